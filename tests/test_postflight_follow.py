"""Hardware-in-the-loop: the simulator streams into `postflight ingest --follow`."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from flightlog.descriptor import load_descriptor
from flightlog.ingest import StreamReader
from postflight.follow import follow
from sim import simulate
from sim.stream import Feed, Harness

FAULTS = "drop=0.01,dup=0.005,ber=1e-6"


@pytest.fixture(scope="module")
def faulted(tmp_path_factory):
    return simulate("demo", tmp_path_factory.mktemp("hil") / "d", seed=4, duration_s=1.0,
                    faults=FAULTS)


def _recorded(dump, stream="sar"):
    """What the post-flight reader finds in the same stream (the reference)."""
    folder, prefix = load_descriptor(dump).stream_location(stream)
    r = StreamReader(folder, prefix, stream)
    for _ in r:
        pass
    return r.summary


@pytest.mark.parametrize("via", ["fifo", "tcp"])
def test_live_ingest_sees_every_injected_fault_as_it_arrives(faulted, tmp_path, via):
    updates = []
    with Harness(faulted, "sar", via, speed=4.0, folder=tmp_path) as h:
        t0 = time.monotonic()
        final = follow(h.source, "sar", tmp_path / "live", every_s=0.05,
                       on_update=lambda s: updates.append((time.monotonic() - t0, s)))
    ref = _recorded(faulted)
    assert final["final"] and sum(final["packets"].values()) == sum(ref.packets.values())
    assert final["bytes"] == len(h.feed.data)
    # the injected faults, as the truth lists them, are all found
    assert h.expected("bit_flip") > 0 and h.expected("drop") > 0 and h.expected("dup") > 0
    assert final["crc_errors"] == ref.crc_errors >= h.expected("bit_flip") - 2
    assert final["duplicates"] == ref.duplicates > 0
    assert final["packets_lost"] == ref.packets_lost >= h.expected("drop")
    # anomalies are counted one per anomaly, as `inspect` counts them: skipped bytes are
    # in bytes_skipped, not each an anomaly
    assert final["anomaly_count"] == ref.anomaly_count
    # live: faults were reported while the stream was still playing (real-time pace)
    span = float(h.feed.gps_time[-1] - h.feed.gps_time[0]) / 4.0
    early = [s for t, s in updates if not s["final"] and t < 0.8 * span]
    assert early and early[-1]["crc_errors"] > 0
    assert 0 < early[-1]["bytes"] < final["bytes"]
    live = json.loads((tmp_path / "live" / "live_summary.json").read_text())
    assert live["final"] and live["crc_errors"] == final["crc_errors"]
    assert (tmp_path / "live" / "live_quicklook.png").stat().st_size > 0


def test_cli_follows_simulator_stdout_and_a_growing_file(faulted, tmp_path):
    env_cmd = [sys.executable, "-m", "postflight.cli"]
    sim = subprocess.Popen([*env_cmd, "simulate", "demo", str(tmp_path / "d2"), "--seed",
                            "4", "--duration", "1", "--faults", FAULTS, "--stream", "-",
                            "--speed", "8"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    ing = subprocess.run([*env_cmd, "-q", "ingest", "--follow", "-", "--json"],
                         stdin=sim.stdout, capture_output=True, text=True, timeout=300)
    sim.wait(60)
    assert ing.returncode == 10, ing.stderr[-2000:]  # anomalies found
    got = json.loads(ing.stdout)
    ref = _recorded(faulted)
    assert got["crc_errors"] == ref.crc_errors and got["duplicates"] == ref.duplicates
    # a segment file the recorder is still writing
    feed = Feed.from_dump(faulted, "sar")
    seg = tmp_path / "SAR_000000.dat"
    seg.write_bytes(b"")

    def write():
        with open(seg, "ab", buffering=0) as fh:
            feed.play(fh.write, speed=8.0)

    th = threading.Thread(target=write)
    th.start()
    final = follow(f"file:{seg}", "sar", idle_timeout_s=1.0)
    th.join()
    assert final["crc_errors"] == ref.crc_errors
    assert sum(final["packets"].values()) == sum(ref.packets.values())
