"""Faults found by independent dumps and an attack audit (issues 17 and 26): each test
failed before its fix."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightlog.align import SarChannel
from flightlog.descriptor import DescriptorError, load_descriptor
from flightlog.ingest import LiveStream, StreamReader
from flightlog.payloads import encode_echo
from sarproc.l0 import _slots
from sim.scenarios import SCENARIO_CONFIGS, descriptor_dict
from tests.streams import packetize_all, write_bytes

GOOD = descriptor_dict("L3-20250829-01", SCENARIO_CONFIGS["demo"])


def _stream(n=40, size=300, seed=0):
    rng = np.random.default_rng(seed)
    items = []
    for i in range(n):
        m = size // 4 + int(rng.integers(0, 50))
        samples = rng.integers(-127, 128, m) + 1j * rng.integers(-127, 128, m)
        items.append((0x101, encode_echo(i, 0, 0, 0, 100, 0.0, samples, 1), 1000 + i, 0, 0))
    written = packetize_all(items)
    return [w.packets[0] for w in written]


def _payloads(tables):
    return sorted(t.payload_of(i).tobytes() for parts in tables.values() for t in parts
                  for i in range(len(t)))


def _read_all(tmp, data, chunk):
    for f in tmp.glob("SAR_*.dat"):
        f.unlink()
    write_bytes(tmp, data, 1 << 30)
    reader = StreamReader(tmp, "SAR_", "sar", chunk_bytes=chunk)
    got = {}
    for block in reader:
        for a, t in block.items():
            got.setdefault(a, []).append(t)
    return _payloads(got)


def _live(data, cuts):
    live = LiveStream("sar", "test")
    got = {}
    prev = 0
    for c in [*sorted(cuts), len(data)]:
        for a, t in live.feed(data[prev:c]).items():
            got.setdefault(a, []).append(t)
        prev = max(prev, c)
    for a, t in live.finish().items():
        got.setdefault(a, []).append(t)
    return _payloads(got)


@given(seed=st.integers(0, 10_000), kind=st.sampled_from(["delete", "length", "insert"]),
       chunk=st.sampled_from([4096, 4096 + 7, 5000, 9001, 16 << 20]),
       cuts=st.lists(st.integers(0, 40_000), max_size=12))
def test_resynchronisation_does_not_depend_on_chunk_end(tmp_path_factory, seed, kind, chunk,
                                                         cuts):
    """After a byte deletion, insertion or a corrupted length, the same intact packets come
    out whatever the read chunk or the live arrival pattern."""
    pk = _stream(seed=seed)
    rng = np.random.default_rng(seed)
    victim = int(rng.integers(0, len(pk) - 1))
    bad = bytearray(pk[victim])
    if kind == "delete":
        del bad[int(rng.integers(20, len(bad)))]
    elif kind == "insert":
        bad.insert(int(rng.integers(20, len(bad))), 0x55)
    else:  # the packet data length, longer: the damaged packet swallows the next one
        bad[8:10] = (len(bad) - 10 + int(rng.integers(1, 600))).to_bytes(2, "big")
    data = b"".join(pk[:victim]) + bytes(bad) + b"".join(pk[victim + 1:])
    intact = sorted(p[20:-2] for i, p in enumerate(pk) if i != victim)
    tmp = tmp_path_factory.mktemp("chunks")
    whole = _read_all(tmp, data, 16 << 20)
    assert all(p in whole for p in intact)
    assert _read_all(tmp, data, chunk) == whole
    assert _live(data, cuts) == whole


def test_flight_id_must_be_a_plain_name(tmp_path):
    for bad in ["../../../x/pwn", "/abs/pwn", "a/b", "..", "a\\b", ""]:
        (tmp_path / "flight.json").write_text(json.dumps({**GOOD, "flight_id": bad}))
        with pytest.raises(DescriptorError, match="flight_id"):
            load_descriptor(tmp_path)


def test_stream_must_be_a_prefix_inside_the_dump(tmp_path):
    for bad in [".", "sar/", "..", "sar/..", "../SAR_"]:
        obj = json.loads(json.dumps(GOOD))
        obj["sar"]["stream"] = bad
        (tmp_path / "flight.json").write_text(json.dumps(obj))
        with pytest.raises(DescriptorError, match="sar.stream"):
            load_descriptor(tmp_path)


def test_segment_link_out_of_the_dump_is_reported_not_read(tmp_path):
    from flightlog.ingest import open_stream

    dump = tmp_path / "dump"
    (dump / "sar").mkdir(parents=True)
    (dump / "flight.json").write_text(json.dumps(GOOD))
    outside = tmp_path / "secret.dat"
    outside.write_bytes(b"".join(_stream(5)))
    write_bytes(dump / "sar", b"".join(_stream(3)), 1 << 30)
    os.symlink(outside, dump / "sar" / "SAR_000001.dat")
    reader = open_stream(load_descriptor(dump), "sar", chunk_bytes=4096)
    n = sum(len(t) for block in reader for t in block.values())
    assert n == 3
    kinds = [a.kind for a in reader.anomalies]
    assert "segment_refused" in kinds


def test_a_huge_segment_number_is_one_anomaly(tmp_path):
    pk = _stream(5)
    (tmp_path / "SAR_000000.dat").write_bytes(b"".join(pk[:3]))
    (tmp_path / "SAR_999999999999.dat").write_bytes(b"".join(pk[3:]))
    (tmp_path / "SAR_99999999999999999999.dat").write_bytes(b"x")
    reader = StreamReader(tmp_path, "SAR_", "sar")
    n = sum(len(t) for block in reader for t in block.values())
    assert n == 5
    gaps = [a for a in reader.anomalies if a.kind == "missing_segment"]
    assert len(gaps) == 1 and gaps[0].count == 999999999999 - 1
    assert reader.summary.missing_segments == 999999999999 - 1
    assert [a.kind for a in reader.anomalies].count("segment_refused") == 1


def _channel(counter):
    n = counter.size
    return SarChannel(0, "HH", counter.astype(np.uint32), np.arange(n, dtype=float),
                      np.arange(n, dtype=float), np.zeros((n, 3)), np.zeros((n, 3)),
                      np.ones(n, bool), np.zeros(n, np.int64), np.zeros(n),
                      np.tile([0, 0, 0, 1.0], (n, 1)))


def test_l0_rows_follow_counter_order_not_clock_order():
    """A clock reset puts later pulses first (counters 3700, 3702, ..., then 0, 2, ...):
    rows come from the counters' order and span."""
    counter = np.r_[np.arange(3700, 8000, 2), np.arange(0, 3700, 2)]
    rows, sel, n, c0, left = _slots(_channel(counter), 2, 10_000)
    assert n == 4000 and left == 0
    assert np.array_equal(rows, counter // 2)


def test_l0_rows_ignore_an_outlying_counter():
    """One intact echo with its counter +2**31 no longer asks for 2**31 rows."""
    counter = np.arange(2**32 - 500, 2**32 + 500) % 2**32  # wraps inside the line
    counter[300] = (counter[300] + 2**31) % 2**32
    rows, sel, n, c0, left = _slots(_channel(counter), 1, 10_000)
    assert n == 1000 and left == 1 and rows[300] == -1
    assert rows[0] == 0 and rows[-1] == 999


def _hold(out, q, go):
    from postflight.runstate import RunLocked, RunState

    go.wait()
    try:
        with RunState(out):
            q.put("in")
            import time

            time.sleep(0.3)
    except RunLocked:
        q.put("locked")


def test_stale_lock_taken_over_by_one_run_only(tmp_path):
    """Runs that find a stale lock (a pid that is gone) never both proceed."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    for trial in range(10):
        out = tmp_path / f"o{trial}"
        out.mkdir()
        (out / ".postflight.lock").write_text("999999")
        q, go = ctx.Queue(), ctx.Event()
        procs = [ctx.Process(target=_hold, args=(out, q, go)) for _ in range(4)]
        for p in procs:
            p.start()
        go.set()
        for p in procs:
            p.join(20)
        got = [q.get(timeout=5) for _ in procs]
        assert got.count("in") == 1, got


def _sbet(tmp_path, n=2400):
    from flightlog.sbet import SBET_DTYPE, write_sbet

    rec = np.zeros(n, SBET_DTYPE)
    rec["time"] = 300000.0 + np.arange(n) / 200.0
    rec["latitude"] = np.deg2rad(35.0) + np.arange(n) * 1e-8
    rec["longitude"] = np.deg2rad(139.0)
    rec["height"] = 3000.0
    rec["vel_x"] = 100.0
    path = tmp_path / "sbet.out"
    return rec, path, write_sbet


@pytest.mark.parametrize("where,ahead", [(500, 1800.0), (500, 7200.0), (0, 1800.0),
                                         (0, -100000.0), (2399, -100.0)])
def test_one_sbet_record_ahead_loses_only_itself(tmp_path, where, ahead):
    """A record whose time is ahead no longer becomes 'previous' and rejects every later
    good record (1,899 of 2,400 were once lost)."""
    from flightlog.sbet import read_sbet

    rec, path, write = _sbet(tmp_path)
    rec["time"][where] += ahead
    write(path, rec)
    traj = read_sbet(path, 2381)
    assert traj.gps_time.size == rec.size - 1
    assert [b["record"] for b in traj.bad_records] == [where]


def _nmea(tmp_path, bodies):
    from flightlog.nmea import nmea_checksum

    path = tmp_path / "log.nmea"
    path.write_text("".join(f"${b}*{nmea_checksum(b):02X}\r\n" for b in bodies))
    return path


def _epochs(n=6, date="150624", talker="GP", gga=None, rmc=None, start=(12, 0)):
    out = []
    for i in range(n):
        hh = f"{start[0]:02d}{start[1]:02d}{i:02d}.00"
        lat = f"35{i * 0.01:08.5f}"
        out.append(gga(i, hh, lat) if gga else
                   f"{talker}GGA,{hh},{lat},N,13900.00000,E,1,08,0.9,100.0,M,40.0,M,,")
        out.append(rmc(i, hh, lat) if rmc else
                   f"{talker}RMC,{hh},A,{lat},N,13900.00000,E,36.0,0.0,{date},,,A")
        out.append(f"{talker}HDT,0.5,T")
    return out


def test_nmea_real_receiver_variants_are_read(tmp_path):
    """Empty fields mean 'not available'; 14 and 16 GGA fields; any talker."""
    from flightlog.nmea import read_nmea

    variants = {
        "empty separation": _epochs(gga=lambda i, hh, lat:
                                    f"GPGGA,{hh},{lat},N,13900.00000,E,1,08,0.9,100.0,M,,M,,"),
        "14 fields": _epochs(gga=lambda i, hh, lat:
                             f"GPGGA,{hh},{lat},N,13900.00000,E,1,08,0.9,100.0,M,40.0,M,"),
        "16 fields": _epochs(talker="GN", gga=lambda i, hh, lat:
                             f"GNGGA,{hh},{lat},N,13900.00000,E,1,08,0.9,100.0,M,40.0,M,,,1"),
        "beidou": _epochs(talker="BD"),
        "empty course": _epochs(rmc=lambda i, hh, lat:
                                f"GPRMC,{hh},A,{lat},N,13900.00000,E,36.0,,150624,,,A"),
    }
    for name, bodies in variants.items():
        traj = read_nmea(_nmea(tmp_path, bodies))
        assert traj.gps_time.size == 6, name
        assert not traj.bad_records, (name, traj.bad_records)


def test_nmea_invalid_data_is_rejected_with_the_field_named(tmp_path):
    from flightlog.nmea import read_nmea

    bodies = _epochs()
    bodies[0] = bodies[0].replace(",1,08,", ",0,08,")          # fix quality 0
    bodies[4] = bodies[4].replace(",A,35", ",V,35")            # RMC void
    bodies[6] = bodies[6].replace("100.0,M", "nan,M")          # nan altitude
    bodies[9] = bodies[9].replace("3500.03000", "48-7.038")      # int("-1") parsed before
    bodies[11] = "GPHDT,,T"                                     # empty heading
    traj = read_nmea(_nmea(tmp_path, bodies))
    reasons = {b["record"]: b["reason"] for b in traj.bad_records}
    assert "fix quality" in reasons[1] and "status" in reasons[5]
    assert "altitude" in reasons[7] and "latitude" in reasons[10]
    assert "HDT heading missing" in reasons[12]
    assert traj.gps_time.size == 3  # epochs 0, 2 and 3 lack a position; 1, 4, 5 are whole


def test_nmea_dates_and_the_leap_second(tmp_path):
    from flightlog.nmea import read_nmea
    from flightlog.timesys import utc_to_gps

    with pytest.raises(ValueError, match="fewer than two"):
        read_nmea(_nmea(tmp_path, _epochs(date="050180")))      # a receiver's default date
    traj = read_nmea(_nmea(tmp_path, _epochs(date="220899")))
    assert abs(traj.gps_time[0] - float(utc_to_gps("1999-08-22T12:00:00"))) < 1e-6
    leap = ["GPGGA,235959.00,3459.99000,N,13900.00000,E,1,08,0.9,100.0,M,40.0,M,,",
            "GPRMC,235959.00,A,3459.99000,N,13900.00000,E,36.0,0.0,311216,,,A",
            "GPGGA,235960.00,3500.00000,N,13900.00000,E,1,08,0.9,100.0,M,40.0,M,,",
            "GPRMC,235960.00,A,3500.00000,N,13900.00000,E,36.0,0.0,311216,,,A",
            "GPGGA,000000.00,3500.01000,N,13900.00000,E,1,08,0.9,100.0,M,40.0,M,,",
            "GPRMC,000000.00,A,3500.01000,N,13900.00000,E,36.0,0.0,010117,,,A",
            # a capture that goes back in time (gpsd's humminbird-M37 log joins two
            # sessions): the sentence is refused, not merged into the earlier epoch
            "GPGGA,235959.00,3459.99100,N,13900.00000,E,1,08,0.9,100.0,M,40.0,M,,"]
    traj = read_nmea(_nmea(tmp_path, leap))
    want = utc_to_gps(["2016-12-31T23:59:59", "2016-12-31T23:59:60", "2017-01-01T00:00:00"])
    assert np.allclose(traj.gps_time, want, atol=1e-6)
    assert [b["record"] for b in traj.bad_records if "out of order" in b["reason"]] == [7]


def test_novatel_ins_status_and_other_logs(tmp_path):
    """INS_INACTIVE (all zeros) and INS_ALIGNMENT_COMPLETE are not fixes; LOGLISTA naming
    INSPVAXA is not a damaged INSPVAXA line; other logs are counted."""
    from flightlog.novatel import format_inspvaxa, novatel_crc32, read_inspvaxa

    t0 = 2381 * 604800.0 + 300000.0
    lines = [format_inspvaxa(t0 + i * 0.01, 35.0 + i * 1e-6, 139.0, 3000.0, 40.0,
                             np.array([100.0, 0.0, 0.0]), 0.0, 0.0, 0.0, i)
             for i in range(10)]

    def relabel(line, status, pos="INS_PPP", zero=False):
        text = line[1:line.rfind("*")]
        head, body = text.split(";")
        b = body.split(",")
        b[0], b[1] = status, pos
        if zero:
            b[2:12] = ["0.0"] * 10
        text = f"{head};{','.join(b)}"
        return f"#{text}*{novatel_crc32(text.encode()):08x}"

    lines[2] = relabel(lines[2], "INS_INACTIVE", "NONE", zero=True)
    lines[5] = relabel(lines[5], "INS_ALIGNMENT_COMPLETE")
    lines[7] = relabel(lines[7], "INS_HIGH_VARIANCE")
    text = ("LOGLISTA,COM1,0,0.0,FINESTEERING,2381,300000.000,02000020,e39c,16809;"
            "1,COM1,INSPVAXA,ONTIME,0.01,0.0,NOHOLD")
    lines.insert(0, f"#{text}*{novatel_crc32(text.encode()):08x}")
    path = tmp_path / "ins.asc"
    path.write_text("\r\n".join(lines) + "\r\n")
    traj = read_inspvaxa(path)
    assert traj.gps_time.size == 8
    reasons = [b["reason"] for b in traj.bad_records]
    assert len(reasons) == 2 and "INS_INACTIVE" in reasons[0]
    assert "INS_ALIGNMENT_COMPLETE" in reasons[1]
    assert "LOGLISTA 1" in traj.source
    assert np.all(np.linalg.norm(traj.position, axis=1) > 6.3e6)


def test_live_sources_honour_the_idle_timeout(tmp_path):
    """A TCP sender that stalls and a FIFO that no writer opens end after --idle-timeout
    with the interruption listed (they once hung)."""
    import socket
    import threading
    import time

    from postflight.follow import follow

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    pk = b"".join(_stream(5))

    def send():
        conn, _ = srv.accept()
        conn.sendall(pk)
        time.sleep(4)  # stalls, connection open
        conn.close()

    th = threading.Thread(target=send)
    th.start()
    t0 = time.monotonic()
    s = follow(f"tcp://127.0.0.1:{port}", "sar", idle_timeout_s=1.0)
    assert time.monotonic() - t0 < 3.5
    assert sum(s["packets"].values()) == 5 and s["other_anomalies"] == 1
    th.join()
    srv.close()
    fifo = tmp_path / "sar.fifo"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    s = follow(f"fifo:{fifo}", "sar", idle_timeout_s=1.0)
    assert time.monotonic() - t0 < 3.0 and s["other_anomalies"] == 1


def test_bad_arguments_exit_2_not_1(tmp_path, capsys):
    from postflight.cli import main

    dump = tmp_path / "d"
    dump.mkdir()
    (dump / "flight.json").write_text("[" * 100_000 + "]" * 100_000)
    assert main(["inspect", str(dump)]) == 2
    (dump / "flight.json").write_text('{"flight_id": ' + "9" * 5000 + "}")
    assert main(["inspect", str(dump)]) == 2
    assert main(["ingest", "--follow", "tcp://127.0.0.1:abc"]) == 2
    assert main(["inspect", str(dump), "--chunk-mib", "0"]) == 2
    (dump / "flight.json").write_text(json.dumps(GOOD))
    out = tmp_path / "o"
    for sets in (["sar=1", "sar.grid=2"], ["sar.grid.spacing_m=!!python/object:os.system x"],
                 ["sar.grid.bounds=[0, 0, .inf, 1]"], ["sar.grid.bounds=[0, 0, 1e9, 1e9]"]):
        args = ["process", str(dump), str(out)]
        for s in sets:
            args += ["--set", s]
        assert main(args) == 2, sets


def test_configuration_refuses_what_would_allocate_without_bound():
    from postflight.process import ConfigError, load_config

    for bad in (["sar.grid.bounds=[0, 0, .inf, 1]"], ["sar.grid.bounds=[0, 0, 1e7, 1e7]"],
                ["sar=1", "sar.grid=2"], ["sar.upsample=!!python/name:os.system"]):
        with pytest.raises(ConfigError):
            load_config(None, bad)
    load_config(None, ["sar.grid.bounds=[0, 0, 20000, 20000]"])


def test_provenance_same_for_relative_and_absolute_dump_paths(tmp_path, monkeypatch):
    from flightlog.provenance import describe_inputs

    (tmp_path / "d" / "sar").mkdir(parents=True)
    (tmp_path / "d" / "flight.json").write_text("{}")
    (tmp_path / "d" / "sar" / "SAR_000000.dat").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    rel = describe_inputs([Path("d/flight.json"), (tmp_path / "d/sar/SAR_000000.dat")],
                          Path("d"))
    ab = describe_inputs([tmp_path / "d/flight.json", Path("d/sar/SAR_000000.dat")],
                         tmp_path / "d")
    assert rel == ab and [r["path"] for r in rel] == ["flight.json", "sar/SAR_000000.dat"]


@pytest.mark.parametrize("before", [[1.0, 3.0], [2.0, 3.0], [0.0, 1.0, 3.0]])
def test_two_sync_pairs_before_a_reset_make_a_piece(before):
    """The clock jumps back 100 s at 3.7 s with sync packets lost: the two (or three)
    pairs before the reset are a piece of their own, not rejected."""
    from flightlog.clockfit import fit_clock

    gps0, drift = 1.4e9, 20e-6
    g = np.array(before + [4.0, 5.0, 6.0, 7.0])
    x = np.where(g < 3.7, 500.0 + g * (1 + drift), 400.0 + g * (1 + drift))
    m = fit_clock(x, gps0 + g)
    assert len(m.pieces) == 2 and not m.rejected
    assert m.pieces[0].n_pairs == len(before)
    t = np.array([500.0 + 3.5 * (1 + drift), 400.0 + 6.5 * (1 + drift)])
    pos = np.array([m.pieces[0].position_end, m.pieces[1].position_end])
    got, ok = m.to_gps(t, pos)
    assert ok.all() and np.allclose(got, gps0 + np.array([3.5, 6.5]), atol=1e-6)


@settings(max_examples=8)
@given(garbage=st.binary(max_size=2000), at=st.floats(0.0, 1.0), cut=st.floats(0.0, 1.0),
       pieces=st.integers(1, 12), end=st.sampled_from(["close", "stall"]))
def test_live_tcp_garbage_disconnect_or_stall_ends_bounded(garbage, at, cut, pieces, end):
    """`ingest --follow` on a sender that mixes garbage in, hangs up mid-packet or stalls:
    it ends within the idle timeout, exit 0 or 10, every intact packet counted."""
    import contextlib
    import io
    import socket
    import threading
    import time

    from naive import frame_greedy

    from postflight.cli import main

    clean = b"".join(_stream(12))
    k = int(at * len(clean))
    data = clean[:k] + garbage + clean[k:]
    data = data[: max(1, int(cut * len(data)))]  # the sender stops here: maybe mid-packet
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    idle = 0.5

    def send():
        conn, _ = srv.accept()
        for part in np.array_split(np.frombuffer(data, np.uint8), pieces):
            conn.sendall(part.tobytes())
            time.sleep(0.01)
        if end == "stall":
            time.sleep(3 * idle)
        conn.close()

    th = threading.Thread(target=send)
    th.start()
    out = io.StringIO()
    t0 = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = main(["ingest", "--follow", f"tcp://127.0.0.1:{port}", "--json",
                       "--idle-timeout", str(idle)])
    elapsed = time.monotonic() - t0
    th.join()
    srv.close()
    assert status in (0, 10)
    assert elapsed < 12 * 0.01 + idle + 2.0
    summary = json.loads(out.getvalue())
    dups = summary["duplicates"]
    assert sum(summary["packets"].values()) + dups == len(frame_greedy(data))


@pytest.mark.parametrize("where,ahead", [(50, 1800.0), (0, 7200.0), (99, -100.0)])
def test_one_novatel_record_ahead_loses_only_itself(tmp_path, where, ahead):
    """As for SBET: one INSPVAXA record whose time is ahead rejected every
    later record."""
    from flightlog.novatel import format_inspvaxa, read_inspvaxa

    t0 = 2381 * 604800.0 + 300000.0
    times = t0 + np.arange(100) * 0.01
    times[where] += ahead
    lines = [format_inspvaxa(t, 35.0 + i * 1e-6, 139.0, 3000.0, 40.0,
                             np.array([100.0, 0.0, 0.0]), 0.0, 0.0, 0.0, i)
             for i, t in enumerate(times)]
    path = tmp_path / "ins.asc"
    path.write_text("\r\n".join(lines) + "\r\n")
    traj = read_inspvaxa(path)
    assert traj.gps_time.size == 99
    assert [b["record"] for b in traj.bad_records] == [where + 1]  # lines count from 1


def test_novatel_oem7_manual_example_line(tmp_path):
    """The INSPVAXA example of NovAtel's OEM7 Commands and Logs Reference Manual (log
    INSPVAX), CRC-32 as printed there: read to its printed values."""
    from flightlog.novatel import _parse, novatel_crc32

    line = ("#INSPVAXA,COM1,0,73.5,FINESTEERING,1695,309428.000,00000040,4e77,43562;"
            "INS_SOLUTION_GOOD,INS_PSRSP,51.11637873403,-114.03825114994,1063.6093,-16.9000,"
            "-0.0845,-0.0464,-0.0127,0.138023492,0.069459386,90.000923268,0.9428,0.6688,"
            "1.4746,0.0430,0.0518,0.0521,0.944295466,0.944567084,1.000131845,3,0*e877c178")
    assert novatel_crc32(line[1:line.rfind("*")].encode()) == 0xE877C178
    vals, why = _parse(line)
    assert why == ""
    # week, sow, lat, lon, ellipsoidal height (MSL + undulation), N, E, D velocity, angles
    assert vals == pytest.approx([1695, 309428.0, 51.11637873403, -114.03825114994,
                                  1063.6093 - 16.9, -0.0845, -0.0464, 0.0127, 0.138023492,
                                  0.069459386, 90.000923268], abs=1e-9)
    bad = line.replace("INS_SOLUTION_GOOD", "INS_ALIGNING")
    assert _parse(bad)[1] == "CRC-32 mismatch"  # the CRC covers the status


@pytest.mark.flight
def test_a_segmented_echo_longer_than_the_pulse_interval_is_left_out(tmp_path):
    """An intact, segmented echo of 2,000,000 samples (10 pulse repetition intervals; the
    audit's 120 MB echo asked L0 for 110 GiB) is skipped and counted in the channel's
    ``echoes_too_long``; the other pulses are assembled as in a clean flight."""
    import h5py

    from flightlog.ingest import read_stream
    from flightlog.packets import SequenceCounters, packetize
    from flightlog.payloads import decode_echo_headers
    from sarproc.l0 import build_l0
    from sim import simulate

    dump = simulate("demo", tmp_path / "dump", seed=2, duration_s=1.0)
    tables, _ = read_stream(dump / "sar", "SAR_", "sar")
    echo = tables[0x101]
    hdr = decode_echo_headers(echo)
    last = int(np.argmax(echo.records["coarse"].astype(np.float64) * 2**32
                         + echo.records["fine"]))
    h, r = hdr[last], echo.records[last]
    counters = SequenceCounters()
    counters.take(0x101, int(echo.records["sequence_count"][-1]) + 1)  # the stream's next
    big = np.ones(2_000_000, np.complex64)  # int8 I, Q: a 4 MB payload, 62 segments
    payload = encode_echo(int(h["pulse_counter"]) + 2, int(h["band_id"]), int(h["tx_pol"]),
                          int(h["rx_pol"]), int(h["window_start_ticks"]), 0.0, big, 1)
    fine = int(r["fine"]) + int(2 ** 32 / 500)  # two pulses of one channel later
    pk = packetize(0x101, payload, int(r["coarse"]) + fine // 2**32, fine % 2**32, counters)
    assert len(pk) > 1
    last_seg = sorted((dump / "sar").glob("SAR_*.dat"))[-1]
    with open(last_seg, "ab") as fh:
        fh.write(b"".join(pk))
    clean = build_l0(dump, tmp_path / "l0.h5")
    pol = "HV"[int(h["tx_pol"])] + "HV"[int(h["rx_pol"])]
    with h5py.File(clean) as f:
        g = f[f"band{int(h['band_id'])}/{pol}"]
        assert g.attrs["echoes_too_long"] == 1
        assert g["echo"].shape[1] <= 200_000  # adc_sampling_rate_hz / prf_hz
        assert g["present"][()].sum() >= g["present"].size - 1
