"""Recorder ingest: read a clean stream of 8 KiB packets with full CRC verification.

Baseline: ccsdspy ``FixedLength`` decoding the same packets (without the sync markers,
which ccsdspy does not know; it checks no CRC either).

Also a sync-marker flood (``1ACFFC1D0901C000FFFF`` repeated: a 65,546-byte candidate
every 10 bytes, none valid), read by the reader against a rescan that checks each
candidate's CRC directly (the earlier rescan: quadratic in the packet length).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numba as nb
import numpy as np

from benchmarks.common import Result, best_of
from flightlog._crc import CRC16_TABLES, crc16_kernel
from flightlog._framing import packet_total
from flightlog.ingest import StreamReader
from flightlog.packets import (
    APID_SAR_ECHO,
    PACKET_OVERHEAD,
    SYNC_LEN,
    SegmentWriter,
    encode_fixed_packets,
)

PACKET_BYTES = 8192
SEGMENT_BYTES = 256 << 20


def make_stream(folder: Path, total_bytes: int, seed: int = 0) -> tuple[int, Path]:
    """Write a clean SAR stream of 8 KiB packets and the same packets without sync."""
    payload = PACKET_BYTES - PACKET_OVERHEAD
    n = total_bytes // PACKET_BYTES
    rng = np.random.default_rng(seed)
    raw = folder / "ccsds.bin"
    per = 8192
    with SegmentWriter(folder / "sar", "SAR_", SEGMENT_BYTES) as w, open(raw, "wb") as fh:
        for first in range(0, n, per):
            m = min(per, n - first)
            pay = rng.integers(0, 256, (m, payload), dtype=np.uint8)
            # A valid echo header at the front of each payload: int8 samples, 4085 of them.
            pay[:, :24] = np.frombuffer(_echo_header(payload), np.uint8)
            t = 1000.0 + (first + np.arange(m)) / 1000.0
            pk = encode_fixed_packets(APID_SAR_ECHO, first, pay, np.floor(t),
                                      (t % 1) * 2**32)
            w.write(pk)
            pk[:, SYNC_LEN:].tofile(fh)
    return n, raw


def _echo_header(payload: int) -> bytes:
    from flightlog.payloads import ECHO_HEADER_DTYPE

    h = np.zeros(1, ECHO_HEADER_DTYPE)
    h["sample_format"] = 1
    h["n_samples"] = (payload - 24) // 2
    assert 24 + 2 * int(h["n_samples"][0]) == payload
    return h.tobytes()


def read_ours(folder: Path) -> int:
    reader = StreamReader(folder / "sar", "SAR_", "sar", chunk_bytes=32 << 20)
    n = 0
    for block in reader:
        n += len(block[APID_SAR_ECHO])
    assert reader.summary.crc_errors == 0 and not reader.anomalies
    return n


def read_ccsdspy(raw: Path) -> int:
    from ccsdspy import FixedLength, PacketArray, PacketField

    payload = PACKET_BYTES - PACKET_OVERHEAD
    pkt = FixedLength([
        PacketField(name="coarse", data_type="uint", bit_length=32),
        PacketField(name="fine", data_type="uint", bit_length=32),
        PacketField(name="flags", data_type="uint", bit_length=16),
        PacketArray(name="payload", data_type="uint", bit_length=8, array_shape=payload),
        PacketField(name="crc", data_type="uint", bit_length=16),
    ])
    out = pkt.load(str(raw))
    return len(out["coarse"])


FLOOD_UNIT = bytes.fromhex("1ACFFC1D0901C000FFFF")


@nb.njit(cache=True, nogil=True)
def _direct_rescan(buf: np.ndarray, tables: np.ndarray) -> int:
    """Baseline: every candidate of every failed packet checked with its own CRC."""
    n = buf.size
    p = 0
    found = 0
    while p < n:
        t = packet_total(buf, p, n)
        if t <= 0 or p + t > n:
            p += 1
            continue
        for q in range(p + 1, p + t):
            tq = packet_total(buf, q, n)
            if tq > 0 and q + tq <= n:
                stored = (np.int64(buf[q + tq - 2]) << 8) | np.int64(buf[q + tq - 1])
                if crc16_kernel(buf, q + 4, q + tq - 2, tables) == stored:
                    found += 1
        p += t
    return found


def flood_rates(flood_mb: int = 16, base_mb: int = 1) -> tuple[float, float]:
    """MB/s of the reader on a sync-marker flood, and of the direct rescan baseline."""
    with tempfile.TemporaryDirectory(prefix="bench_flood_") as tmp:
        folder = Path(tmp)
        nbytes = flood_mb * 1_000_000
        (folder / "SAR_000000.dat").write_bytes(FLOOD_UNIT * (nbytes // 10))

        def ours() -> None:
            reader = StreamReader(folder, "SAR_", "sar", chunk_bytes=16 << 20)
            for _ in reader:
                pass
            assert reader.summary.crc_errors > 0

        ours()
        t_ours = best_of(ours, 3)
        small = np.frombuffer(FLOOD_UNIT * (base_mb * 100_000), np.uint8)
        _direct_rescan(small[:100_000], CRC16_TABLES)  # compile
        t_base = best_of(lambda: _direct_rescan(small, CRC16_TABLES), 1)
    return nbytes / t_ours / 1e6, small.size / t_base / 1e6


def run(size_mib: int = 1024) -> list[Result]:
    """Measure ingest throughput and ccsdspy's on the same packets."""
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        folder = Path(tmp)
        n, raw = make_stream(folder, size_mib << 20)
        nbytes = n * PACKET_BYTES
        assert read_ours(folder) == n  # also compiles and warms the page cache
        t_ours = best_of(lambda: read_ours(folder), 3)
        gbps = nbytes / t_ours / 1e9
        try:
            import ccsdspy  # noqa: F401
        except ImportError:
            t_base = None
        else:
            assert read_ccsdspy(raw) == n
            t_base = best_of(lambda: read_ccsdspy(raw), 2)
        base = None if t_base is None else nbytes / t_base / 1e9
        results.append(Result("ingest, 8 KiB packets, full CRC", "GB/s", gbps, None, "-",
                              ">= 1 GB/s", gbps >= 1.0))
        results.append(Result("ingest vs ccsdspy FixedLength (same packets)", "GB/s", gbps,
                              base, "ccsdspy" if base else "ccsdspy (not installed)",
                              ">= 10x", None if base is None else gbps / base >= 10.0))
    ours_mb, base_mb = flood_rates()
    results.append(Result("ingest of a sync-marker flood (65,546-byte candidates)", "MB/s",
                          ours_mb, base_mb, "per-candidate CRC rescan", ">= 50x",
                          ours_mb / base_mb >= 50.0))
    return results
