"""Helpers that build recorder streams of valid packets for the ingest tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from flightlog.ingest import StreamReader
from flightlog.packets import SequenceCounters, packetize, write_stream
from flightlog.payloads import encode_echo, encode_frame, encode_timesync


@dataclass
class Written:
    apid: int
    payload: bytes
    coarse: int
    fine: int
    flags: int
    packets: list[bytes]


@st.composite
def sar_payloads(draw):
    """(apid, payload) with a valid ICD layout for the sar stream."""
    apid = draw(st.sampled_from([0x101, 0x102, 0x10F]))
    if apid == 0x10F:
        return apid, encode_timesync(draw(st.integers(0, 5000)),
                                     draw(st.integers(0, 604799)))
    n = draw(st.integers(0, 64))
    fmt = draw(st.sampled_from([1, 2]))
    lim = 127 if fmt == 1 else 32767
    re = draw(st.lists(st.integers(-lim, lim), min_size=n, max_size=n))
    im = draw(st.lists(st.integers(-lim, lim), min_size=n, max_size=n))
    tx = draw(st.integers(0, 1))
    rx = tx if apid == 0x102 else draw(st.integers(0, 1))
    samples = np.array(re) + 1j * np.array(im) if n else np.zeros(0, complex)
    return apid, encode_echo(draw(st.integers(0, 2**32 - 1)), draw(st.integers(0, 3)), tx, rx,
                             draw(st.integers(0, 10**6)), draw(st.floats(0, 60, width=32)),
                             samples, fmt)


def frame_payload(rng: np.random.Generator, n_spatial: int, n_spectral: int, i: int) -> bytes:
    counts = rng.integers(0, 65536, (n_spatial, n_spectral))
    return encode_frame(i, 0, 0, 0.05, 240.0, counts)


def packetize_all(items, max_segment_payload: int = 65000) -> list[Written]:
    counters = SequenceCounters()
    out = []
    for apid, payload, coarse, fine, flags in items:
        pk = packetize(apid, payload, coarse, fine, counters, flags,
                       max_segment_payload=max_segment_payload)
        out.append(Written(apid, payload, coarse, fine, flags, pk))
    return out


def write_bytes(tmp: Path, data: bytes, segment_bytes: int, prefix: str = "SAR_") -> list[Path]:
    return write_stream([data], tmp, prefix, segment_bytes)


def read(tmp: Path, stream: str = "sar", prefix: str = "SAR_", chunk_bytes: int = 4096,
         **kw):
    reader = StreamReader(tmp, prefix, stream, chunk_bytes=chunk_bytes, **kw)
    tables: dict[int, list] = {}
    for block in reader:
        for apid, t in block.items():
            tables.setdefault(apid, []).append(t)
    return tables, reader


def delivered(tables) -> list[tuple[int, bytes, np.void]]:
    """(apid, payload, record) of every delivered packet, in arrival order per APID."""
    out = []
    for apid, parts in tables.items():
        for t in parts:
            for i in range(len(t)):
                out.append((apid, t.payload_of(i).tobytes(), t.records[i]))
    return out


def stream_offset(item, segment_bytes: int) -> int:
    """Offset in the concatenated stream of a delivered record or an anomaly."""
    if isinstance(item, np.void):
        return int(item["segment"]) * segment_bytes + int(item["offset"])
    num = int(item.segment.split("_")[-1].split(".")[0])
    return num * segment_bytes + int(item.offset)
