"""`postflight inspect` and `postflight simulate` from the command line."""

import json
import shutil
from collections import Counter

import pytest

from postflight.cli import EXIT_ANOMALIES, EXIT_OK, EXIT_UNUSABLE, main
from sim import read_injected_faults, simulate
from sim.scenarios import SCENARIO_CONFIGS

S_KEYS = {"segments", "bytes", "packets", "crc_errors", "sync_losses", "bytes_skipped",
          "sequence_gaps", "packets_lost", "duplicates", "out_of_order", "truncated_tail"}


def run_json(capsys, dump):
    rc = main(["inspect", str(dump), "--json"])
    return rc, json.loads(capsys.readouterr().out)


def test_clean_demo_inspects_clean(capsys, demo_dump):
    rc, rep = run_json(capsys, demo_dump)
    assert rc == EXIT_OK
    assert rep["flight_id"] == "SIM-DEMO-0011"
    assert rep["anomalies"] == []
    for name in ("sar", "ghgsif"):
        s = rep["streams"][name]
        assert S_KEYS <= set(s)
        assert s["truncated_tail"] is False
    sar = rep["streams"]["sar"]
    cfg_pulses = 2.0 * 500  # demo: 2 s at 500 Hz, two receive channels per pulse
    assert sar["packets"] == {"0x101": 2 * cfg_pulses, "0x102": 2, "0x10F": 2}
    cfg = SCENARIO_CONFIGS["demo"]
    frames = int(cfg.duration_s * cfg.frame_rate_hz) * 3  # three bands
    assert rep["streams"]["ghgsif"]["packets"] == {"0x201": frames, "0x20F": 2}


def test_human_summary(capsys, demo_dump):
    assert main(["inspect", str(demo_dump)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "sar:" in out and "anomalies          none" in out


@pytest.mark.flight
@pytest.mark.parametrize("spec,check", [
    ("drop=0.02", "drop"), ("dup=0.02", "dup"), ("reorder=0.02", "reorder"),
    ("idle=0.05", "idle"), ("unknown=4", "unknown_apid"),
    ("truncate=1", "truncate"), ("missing_segment=2", "missing_segment"),
])
def test_injected_faults_reported_exactly(tmp_path, capsys, spec, check):
    dump = simulate("demo", tmp_path / "d", seed=3, faults=spec)
    truth = [f for f in read_injected_faults(dump) if f["kind"] == check]
    assert truth, "the seed must inject at least one fault"
    rc, rep = run_json(capsys, dump)
    per = {s: Counter() for s in ("sar", "ghgsif")}
    for f in truth:
        per[f["stream"]][f["kind"]] += 1
    expect_rc = EXIT_OK if check == "idle" else EXIT_ANOMALIES
    assert rc == expect_rc
    for name, n in per.items():
        s = rep["streams"][name]
        if check == "drop":
            lost = sum(1 for f in truth if f["stream"] == name and f["detectable"])
            assert s["packets_lost"] == lost
        elif check == "dup":
            assert s["duplicates"] == n["dup"]
        elif check == "reorder":
            assert s["out_of_order"] == n["reorder"]
        elif check == "idle":
            assert s["idle_packets"] == n["idle"]
        elif check == "unknown_apid":
            assert s["unknown_apids"] == n["unknown_apid"]
        elif check == "truncate":
            assert s["truncated_tail"] is True
            assert s["crc_errors"] == 0 and s["sync_losses"] == 0
        elif check == "missing_segment":
            seen = sum(1 for f in truth if f["stream"] == name and f["detectable"])
            assert s["missing_segments"] == seen


def _stream_offset(segment: str, offset: int) -> int:
    size = SCENARIO_CONFIGS["demo"].segment_bytes
    return int(segment.split("_")[-1].split(".")[0]) * size + offset


@pytest.mark.flight
def test_bit_errors_reported(tmp_path, capsys):
    dump = simulate("demo", tmp_path / "d", seed=4, faults="ber=2e-7")
    flips = [f for f in read_injected_faults(dump) if f["kind"] == "bit_flip"]
    assert flips
    rc, rep = run_json(capsys, dump)
    assert rc == EXIT_ANOMALIES
    ranges = [(a["stream"], _stream_offset(a["segment"], a["offset"]), a["length"])
              for a in rep["anomalies"] if a["kind"] in ("crc_error", "sync_loss")]
    for f in flips:  # every flipped byte lies in a reported bad packet or skipped range
        pos = _stream_offset(f["segment"], f["offset"])
        assert any(st == f["stream"] and o <= pos < o + n for st, o, n in ranges), f


def test_unusable_dumps(tmp_path, capsys, demo_dump):
    assert main(["inspect", str(tmp_path / "nothing")]) == EXIT_UNUSABLE
    assert "nothing: no such dump directory" in capsys.readouterr().err
    bad = tmp_path / "bad"
    shutil.copytree(demo_dump, bad)
    (bad / "flight.json").write_text('{"icd_version": "1"}')
    assert main(["inspect", str(bad)]) == EXIT_UNUSABLE
    assert "flight_id" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(demo_dump / "flight.json", empty / "flight.json")
    assert main(["inspect", str(empty)]) == EXIT_UNUSABLE
    assert "no stream" in capsys.readouterr().err


def test_one_stream_missing_is_an_anomaly(tmp_path, capsys, demo_dump):
    d = tmp_path / "d"
    shutil.copytree(demo_dump, d)
    shutil.rmtree(d / "ghgsif")
    rc, rep = run_json(capsys, d)
    assert rc == EXIT_ANOMALIES
    assert rep["streams"]["ghgsif"] is None
    assert [a["kind"] for a in rep["anomalies"]] == ["missing_stream"]


def test_help_and_version(capsys):
    assert main(["--help"]) == 0
    assert "inspect" in capsys.readouterr().out
    assert main(["inspect", "--help"]) == 0
    assert "--json" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert "postflight" in capsys.readouterr().out
    assert main(["inspect"]) == EXIT_UNUSABLE


@pytest.mark.flight
def test_simulate_command(tmp_path, capsys):
    assert main(["simulate", "demo", str(tmp_path / "x"), "--duration", "0.5"]) == EXIT_OK
    assert (tmp_path / "x" / "flight.json").is_file()
    assert main(["simulate", "demo", str(tmp_path / "y"), "--faults", "bogus=1"]) == \
        EXIT_UNUSABLE
