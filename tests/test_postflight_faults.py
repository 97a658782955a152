"""The whole pipeline under fault injection.

Small simulated flights with every fault class of ``sim.faults``, alone and combined, at
rates from rare to absurd, plus what the recorder and the navigation can do beside them
(empty streams, a dump cut mid-packet, navigation gaps at the line's ends, no navigation
at all, garbage after the last packet). Whatever the mix, ``postflight process``,
``inspect`` and ``align`` end with exit 0, 10 (anomalies listed) or 2 (unusable input,
the message naming the file), never 1 or a signal; every product written opens and is
complete; and a run under ``--max-memory`` stays under it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postflight.cli import main

pytestmark = pytest.mark.flight

PROBABILITIES = ("drop", "dup", "reorder", "idle", "corrupt_sync", "sync_drop", "nav_corrupt")
RATES = (1e-3, 0.02, 0.2, 0.7, 1.0)  # rare to absurd
SBET_RECORD = 17 * 8  # bytes of one SBET record (17 doubles)
SMALL = ["--set", "sar.grid.spacing_m=4", "--set", "ghgsif.xgas_every=8"]


@st.composite
def fault_mixes(draw):
    """A simulator fault spec and the damage done to the dump after it was written."""
    duration = draw(st.sampled_from([0.8, 1.5]))
    items = [f"{name}={draw(st.sampled_from(RATES))}"
             for name in draw(st.sets(st.sampled_from(PROBABILITIES), max_size=4))]
    if draw(st.booleans()):
        items.append(f"ber={draw(st.sampled_from([1e-7, 1e-5, 1e-3]))}")
    if draw(st.booleans()):
        items.append(f"clock_reset={draw(st.floats(0.01, duration)):.3f}")
    if draw(st.booleans()):
        items.append(f"unknown={draw(st.integers(1, 200))}")
    if draw(st.booleans()):
        items.append("truncate=1")
    missing = draw(st.sets(st.integers(0, 5), max_size=3))
    if missing:
        items.append("missing_segment=" + ";".join(map(str, sorted(missing))))
    damage = draw(st.sampled_from([None, "empty sar", "empty ghgsif", "cut sar",
                                   "garbage after sar"]))
    nav = draw(st.sampled_from([None, "sbet ends", "sbet empty", "novatel cut, no sbet",
                                "no navigation"]))
    return {"duration": duration, "faults": ",".join(items), "damage": damage, "nav": nav,
            "seed": draw(st.integers(0, 999)), "where": draw(st.floats(0.0, 1.0)),
            "pol": draw(st.booleans())}


def _damage(dump: Path, mix: dict) -> None:
    rng = np.random.default_rng(mix["seed"])
    w = mix["where"]
    segs = sorted((dump / "sar").glob("*.dat"))
    if mix["damage"] in ("empty sar", "empty ghgsif"):
        for p in (dump / mix["damage"].split()[1]).glob("*.dat"):
            p.write_bytes(b"")
    elif mix["damage"] == "cut sar" and segs:  # the dump ends mid-packet, anywhere
        data = segs[-1].read_bytes()
        segs[-1].write_bytes(data[: int(w * len(data))])
    elif mix["damage"] == "garbage after sar" and segs:
        with open(segs[-1], "ab") as fh:
            fh.write(rng.integers(0, 256, 1 + int(w * 70_000), dtype=np.uint8).tobytes())
    nav = dump / "nav"
    sbet = nav / "sbet.out"
    if mix["nav"] == "sbet ends" and sbet.exists():  # gaps at both ends of the line
        n = sbet.stat().st_size // SBET_RECORD
        a, b = int(0.6 * w * n), int((0.4 + 0.6 * w) * n)
        sbet.write_bytes(sbet.read_bytes()[a * SBET_RECORD : b * SBET_RECORD])
    elif mix["nav"] == "sbet empty" and sbet.exists():
        sbet.write_bytes(b"")
    elif mix["nav"] == "novatel cut, no sbet":
        asc = nav / "novatel.asc"
        asc.write_bytes(asc.read_bytes()[: int(w * asc.stat().st_size)])
        sbet.unlink(missing_ok=True)
    elif mix["nav"] == "no navigation":
        for p in nav.iterdir():
            p.unlink()


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(argv)
    return status, err.getvalue()


def check_products(out: Path) -> None:
    """Every product in ``out`` opens and reads whole; nothing partial or locked is left."""
    import netCDF4
    from PIL import Image

    assert not list(out.rglob("*.part")), "a partial product was left"
    assert not (out / ".postflight.lock").exists()
    for p in sorted(out.iterdir()):
        if p.suffix in (".h5", ".nc"):
            with h5py.File(p, "r") as f:  # every dataset reads to its end
                f.visititems(lambda _, o: o[()] if isinstance(o, h5py.Dataset) else None)
        if p.suffix == ".nc":
            netCDF4.Dataset(p).close()
        if p.suffix == ".png":
            with Image.open(p) as im:
                im.verify()


def check_complete(out: Path) -> None:
    """The products the run's summary names exist and hold what the summary says."""
    summary = json.loads((out / "process_summary.json").read_text())
    report = json.loads((out / "report.json").read_text())
    assert isinstance(report["anomalies"], list)
    if "gslc" in summary:
        with h5py.File(summary["gslc"], "r") as f:
            grids = f["science/LSAR/GSLC/grids"]
            pols = {p for g in grids.values() for p in g if p in ("HH", "HV", "VH", "VV")}
        assert pols == {k.split("/")[1] for k in summary["channels"]}
    for p in (summary.get("polarimetry") or {}).values():
        assert Path(p).exists()
    if "ghgsif" in summary:
        for key in ("l1b", "l2"):
            assert Path(summary["ghgsif"][key]).exists()


@settings(max_examples=int(os.environ.get("PIPELINE_FAULT_EXAMPLES", "14")))
@given(mix=fault_mixes())
def test_any_fault_mix_ends_in_0_10_or_2_with_whole_products(tmp_path_factory, mix):
    from sim import simulate

    tmp = tmp_path_factory.mktemp("mix")
    dump = simulate("demo", tmp / "dump", seed=mix["seed"], duration_s=mix["duration"],
                    faults=mix["faults"] or None)
    _damage(dump, mix)
    out = tmp / "out"
    status, err = _run(["process", str(dump), str(out), *SMALL,
                        "--set", f"pol.enabled={str(mix['pol']).lower()}"])
    assert status in (0, 10, 2), err[-3000:]
    if status == 2:
        assert str(dump) in err, err[-1000:]  # the message names the file or folder
    else:
        check_products(out)
        check_complete(out)
        report = json.loads((out / "report.json").read_text())
        assert (status == 10) == bool(report["anomalies"])
    for argv in (["inspect", str(dump)], ["align", str(dump), str(tmp / "aligned")]):
        status, err = _run(argv)
        assert status in (0, 10, 2), (argv[0], err[-3000:])
        if status == 2:
            assert str(dump) in err, err[-1000:]


_HWM = """import sys
from postflight.cli import main

status = main(sys.argv[2:])
hwm = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
open(sys.argv[1], "w").write(hwm)
sys.exit(status)
"""


def _peak_rss_mib(argv: list[str], tmp: Path) -> tuple[int, float]:
    """Exit status and peak resident memory (MiB) of one ``postflight`` process.

    The peak is the process's own VmHWM at its end: ``ru_maxrss`` of a child also counts
    the parent's memory at the fork, which is pytest's, not the run's.
    """
    hwm = tmp / "vmhwm"
    proc = subprocess.run([sys.executable, "-c", _HWM, str(hwm), *argv],
                          env={**os.environ, "POSTFLIGHT_PROGRESS": "0"},
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc.returncode, int(hwm.read_text()) / 1024  # kB


@pytest.mark.parametrize("faults", [
    "drop=0.7,dup=0.7,reorder=0.7,idle=1.0,unknown=200",
    "ber=1e-3,corrupt_sync=1.0,clock_reset=0.7",
    "sync_drop=0.7,nav_corrupt=0.7,truncate=1,missing_segment=1;3",
])
def test_absurd_faults_stay_under_the_memory_limit_and_no_signal(tmp_path, faults):
    from sim import simulate

    dump = simulate("demo", tmp_path / "dump", seed=4, duration_s=1.5, faults=faults)
    limit_mib = 600
    status, peak = _peak_rss_mib(["process", str(dump), str(tmp_path / "out"), *SMALL,
                                  "--max-memory", f"{limit_mib}M"], tmp_path)
    assert status in (0, 10, 2)  # a signal would be negative
    assert peak < limit_mib, f"peak {peak:.0f} MiB over --max-memory {limit_mib}M"
    if status != 2:
        check_products(tmp_path / "out")
