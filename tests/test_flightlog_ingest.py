"""Recorder stream reader: round trips, fault injection, arbitrary bytes."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from naive import SYNC, frame_greedy
from streams import (
    delivered,
    frame_payload,
    packetize_all,
    read,
    sar_payloads,
    stream_offset,
    write_bytes,
)

from flightlog.packets import (
    APID_IDLE,
    SequenceCounters,
    encode_packet,
    packetize,
    write_stream,
)
from flightlog.payloads import encode_echo

SAR_APIDS = (0x101, 0x102, 0x10F)


# -- round trip ---------------------------------------------------------------------------
@given(
    items=st.lists(st.tuples(sar_payloads(), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1),
                             st.integers(0, 3)), min_size=1, max_size=40),
    max_seg=st.integers(8, 400),
    segment_bytes=st.integers(1, 3000),
    chunk=st.integers(4096, 9000),
)
def test_round_trip_byte_identical(tmp_path_factory, items, max_seg, segment_bytes, chunk):
    tmp = tmp_path_factory.mktemp("rt")
    written = packetize_all([(a, p, c, f, fl) for (a, p), c, f, fl in items], max_seg)
    write_stream([pk for w in written for pk in w.packets], tmp, "SAR_", segment_bytes)
    tables, reader = read(tmp, chunk_bytes=chunk)
    assert reader.anomalies == []
    got = {a: [(p, r) for a2, p, r in delivered(tables) if a2 == a] for a in SAR_APIDS}
    for apid in SAR_APIDS:
        want = [w for w in written if w.apid == apid]
        assert len(got[apid]) == len(want)
        counters = SequenceCounters()
        for w, (payload, rec) in zip(want, got[apid], strict=True):
            assert payload == w.payload
            # Re-encode what was read: the very same bytes come out.
            counters.next_count[apid] = int(rec["sequence_count"])
            again = packetize(apid, payload, int(rec["coarse"]), int(rec["fine"]), counters,
                              int(rec["flags"]), max_segment_payload=max_seg)
            assert again == w.packets
            assert int(rec["n_segments"]) == len(w.packets)
    assert sum(reader.summary.packets.values()) == len(written)


def test_large_payload_segmented_and_straddling(tmp_path):
    rng = np.random.default_rng(5)
    frames = [frame_payload(rng, 40, 1000, i) for i in range(4)]  # 80 kB each: 2 segments
    written = packetize_all([(0x201, f, 7, 1 << 31, 0) for f in frames])
    assert all(len(w.packets) == 2 for w in written)
    write_stream([pk for w in written for pk in w.packets], tmp_path, "GS_", 50_000)
    tables, reader = read(tmp_path, "ghgsif", "GS_", chunk_bytes=70_000)
    assert reader.anomalies == []
    assert [p for _, p, _ in delivered(tables)] == frames


# -- fault injection: fixed cases ------------------------------------------------------------
def _echo_stream(n=60, seed=0):
    rng = np.random.default_rng(seed)
    items = []
    for i in range(n):
        s = rng.integers(-100, 100, 32) + 1j * rng.integers(-100, 100, 32)
        items.append((0x101, encode_echo(i, 0, i % 2, 0, 10, 0.0, s, 2), 100 + i, 0, 0))
    return packetize_all(items)


def test_drop_dup_reorder_counted(tmp_path):
    w = _echo_stream()
    pk = [x.packets[0] for x in w]
    stream = pk[:5] + pk[6:9] + [pk[9], pk[9]] + [pk[11], pk[10]] + pk[12:20] + pk[23:]
    write_stream(stream, tmp_path, "SAR_", 777)
    tables, reader = read(tmp_path)
    s = reader.summary
    assert (s.sequence_gaps, s.packets_lost) == (2, 4)
    assert s.duplicates == 1
    assert s.out_of_order == 1
    assert s.packets[0x101] == len(set(stream))
    kinds = sorted(a.kind for a in reader.anomalies)
    assert kinds == ["duplicate", "out_of_order", "sequence_gap", "sequence_gap"]


def test_sync_pattern_inside_payload(tmp_path):
    # Echo samples that spell sync markers followed by plausible primary headers.
    fake = (SYNC + bytes([0x09, 0x01, 0xC0, 0x00, 0x00, 0x20])) * 20
    iq = np.frombuffer(fake, dtype=">i1").astype(int)
    samples = iq[0::2] + 1j * iq[1::2]
    w = packetize_all([(0x101, encode_echo(i, 0, 0, 0, 0, 0.0, samples, 1), 5, i, 0)
                       for i in range(10)])
    stream = [x.packets[0] for x in w]
    write_stream(stream, tmp_path / "clean", "SAR_", 1000)
    tables, reader = read(tmp_path / "clean")
    assert reader.anomalies == [] and reader.summary.packets[0x101] == 10
    # Damage the first packet's length so the reader must resynchronise through payloads.
    damaged = bytearray(stream[0])
    damaged[9] ^= 0xFF
    write_stream([bytes(damaged)] + stream[1:], tmp_path / "dmg", "SAR_", 1000)
    tables, reader = read(tmp_path / "dmg")
    assert reader.summary.packets[0x101] == 9
    assert [p for _, p, _ in delivered(tables)] == [x.payload for x in w[1:]]
    assert reader.summary.crc_errors + reader.summary.sync_losses >= 1


def test_idle_and_unknown_apid(tmp_path):
    w = _echo_stream(10)
    idle = encode_packet(APID_IDLE, 0, b"\x00" * 17, 0, 0)
    unknown = encode_packet(0x3A5, 0, b"abc", 0, 0)
    stream = [w[0].packets[0], idle, w[1].packets[0], unknown] + [x.packets[0] for x in w[2:]]
    write_stream(stream, tmp_path, "SAR_", 333)
    tables, reader = read(tmp_path)
    assert reader.summary.packets[0x101] == 10
    assert reader.summary.idle_packets == 1
    assert [a.kind for a in reader.anomalies] == ["unknown_apid"]


def test_idle_without_secondary_header(tmp_path):
    # CCSDS idle packets may omit the secondary header; skip them cleanly all the same.
    import struct

    from flightlog.packets import SYNC_MARKER, crc16
    body = struct.pack(">HHH", 0x07FF, 0xC000, 4 + 2 - 1) + b"\x55" * 4
    idle = SYNC_MARKER + body + crc16(body).to_bytes(2, "big")
    w = _echo_stream(4)
    write_stream([w[0].packets[0], idle] + [x.packets[0] for x in w[1:]], tmp_path, "SAR_", 99)
    tables, reader = read(tmp_path)
    assert reader.summary.packets[0x101] == 4 and reader.summary.idle_packets == 1
    assert reader.anomalies == []


def test_missing_segment(tmp_path):
    w = _echo_stream(40)
    paths = write_stream([x.packets[0] for x in w], tmp_path, "SAR_", 1000)
    paths[3].unlink()
    tables, reader = read(tmp_path)
    kinds = {a.kind for a in reader.anomalies}
    assert "missing_segment" in kinds and "sequence_gap" in kinds
    missing = [a for a in reader.anomalies if a.kind == "missing_segment"]
    assert [a.segment for a in missing] == ["SAR_000003.dat"]
    # Every packet wholly outside the missing file is delivered.
    size = len(w[0].packets[0])
    outside = [i for i in range(40) if (i * size + size <= 3000 or i * size >= 4000)]
    got = {int(r["sequence_count"]) for _, _, r in delivered(tables)}
    assert set(outside) <= got


@pytest.mark.parametrize("segment_bytes", [50, 4096])
def test_truncation_at_every_offset_of_last_packet(tmp_path, segment_bytes):
    w = _echo_stream(6)
    data = b"".join(x.packets[0] for x in w)
    last = len(w[-1].packets[0])
    for cut in range(1, last):
        d = tmp_path / f"cut{cut}"
        write_bytes(d, data[: len(data) - cut], segment_bytes)
        tables, reader = read(d)
        assert reader.summary.packets[0x101] == 5, cut
        assert reader.summary.truncated_tail, cut
        assert [a.kind for a in reader.anomalies] == ["truncated_tail"], cut


# -- fault injection: properties ------------------------------------------------------------
@st.composite
def damaged_streams(draw):
    items = draw(st.lists(st.tuples(sar_payloads(), st.integers(0, 2**32 - 1)),
                          min_size=1, max_size=25))
    written = packetize_all([(a, p, c, 0, 0) for (a, p), c in items])
    data = bytearray(b"".join(w.packets[0] for w in written))
    ops = draw(st.lists(st.tuples(st.sampled_from(["flip", "insert", "delete", "truncate"]),
                                  st.integers(0, 10**9), st.integers(1, 40)), max_size=4))
    for op, pos, n in ops:
        if not data:
            break
        pos %= len(data)
        if op == "flip":
            data[pos] ^= 1 << (n % 8)
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=n, max_size=n))
        elif op == "delete":
            del data[pos : pos + n]
        else:
            del data[len(data) - (pos % 41) :]
    return written, bytes(data)


@given(damaged_streams(), st.integers(1, 2000), st.integers(4096, 8192))
def test_every_intact_packet_delivered_and_every_byte_accounted(tmp_path_factory, case,
                                                               segment_bytes, chunk):
    written, data = case
    tmp = tmp_path_factory.mktemp("dmg")
    write_bytes(tmp, data, segment_bytes)
    tables, reader = read(tmp, chunk_bytes=chunk)
    framed = frame_greedy(data)
    got = sorted(stream_offset(r, segment_bytes) for _, _, r in delivered(tables))
    dups = [a for a in reader.anomalies if a.kind == "duplicate"]
    # Delivered = every valid packet the slow byte-by-byte reference finds (less copies).
    assert len(got) + len(dups) == len(framed)
    assert set(got) <= {p for p, _ in framed}
    # Every original packet whose bytes survived intact somewhere is delivered.
    payloads = [p for _, p, _ in delivered(tables)]
    for w in written:
        if w.packets[0] in data:
            assert w.payload in payloads
    # No byte is silently ignored: it is in a delivered packet or in an anomaly's range.
    covered = np.zeros(len(data), bool)
    for p, n in framed:
        covered[p : p + n] = True
    for a in reader.anomalies:
        if a.length:
            o = stream_offset(a, segment_bytes)
            covered[o : o + a.length] = True
    assert covered.all()


@given(st.binary(max_size=5000), st.integers(1, 3000))
def test_arbitrary_bytes_only_documented_outcomes(tmp_path_factory, data, segment_bytes):
    tmp = tmp_path_factory.mktemp("arb")
    write_bytes(tmp, data, segment_bytes)
    tables, reader = read(tmp)
    assert sum(reader.summary.packets.values()) == len(delivered(tables))


@given(st.lists(st.sampled_from([SYNC, SYNC[:2], b"\x08\x01", b"\xc0\x00", b"\x00\x0b",
                                 b"\xff\xff", b"\x00"]), max_size=400), st.integers(1, 500))
def test_sync_rich_garbage(tmp_path_factory, parts, segment_bytes):
    tmp = tmp_path_factory.mktemp("garb")
    data = b"".join(parts)
    write_bytes(tmp, data, segment_bytes)
    tables, reader = read(tmp)
    assert len(delivered(tables)) == len(frame_greedy(data)) - sum(
        a.kind == "duplicate" for a in reader.anomalies)


@given(st.lists(st.sampled_from([SYNC, b"\x09\x01", b"\xc0\x00", b"\x00\x0b", b"\xff\xff",
                                 b"\x00", b"\x08\x01"]), max_size=300), st.data())
def test_rescan_finds_the_first_valid_packet_as_the_slow_twin(parts, draw):
    # find_valid_packet (prefix CRCs) against naive.valid_packet_at tried at every offset.
    from naive import valid_packet_at

    from flightlog._crc import CRC16_POWERS, CRC16_TABLES
    from flightlog._framing import find_valid_packet

    items = draw.draw(st.lists(sar_payloads(), max_size=2))
    written = packetize_all([(a, p, 0, 0, 0) for a, p in items])
    data = b"".join(parts) + b"".join(w.packets[0] for w in written) + b"".join(parts[:5])
    lo = draw.draw(st.integers(0, len(data)))
    hi = draw.draw(st.integers(lo, len(data)))
    want = next((q for q in range(lo, hi) if valid_packet_at(data, q)), -1)
    buf = np.frombuffer(data, np.uint8)
    assert find_valid_packet(buf, lo, hi, len(data), CRC16_TABLES, CRC16_POWERS) == want


def test_sync_marker_flood_keeps_the_packet_behind_it(tmp_path):
    # A flood of 65,546-byte candidates every 10 bytes (none valid), then real
    # packets: every one is delivered and every flood byte is in an anomaly.
    from flightlog.payloads import encode_timesync

    written = packetize_all([(0x10F, encode_timesync(k, 1000 + k), k, 0, 0)
                             for k in range(3)])
    flood = bytes.fromhex("1ACFFC1D0901C000FFFF") * 30_000
    data = flood + b"".join(w.packets[0] for w in written)
    write_bytes(tmp_path, data, 1 << 20)
    tables, reader = read(tmp_path, chunk_bytes=4096)
    assert len(delivered(tables)) == 3
    covered = np.zeros(len(flood), bool)
    for a in reader.anomalies:
        o = stream_offset(a, 1 << 20)
        covered[o : o + a.length] = True
    assert covered.all()
