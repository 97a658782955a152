"""Recorder fault injection: what goes wrong between the instruments and the disk.

Faults are given as a spec string of ``name=value`` pairs separated by commas, e.g.
``"drop=0.01,dup=0.005,reorder=0.005,ber=1e-7,truncate=1,missing_segment=2"``:

============== ==================================================================
``drop``       probability that a packet is lost
``dup``        probability that a packet is recorded twice in a row
``reorder``    probability that a packet swaps places with the next one
``idle``       probability that an idle packet (APID 0x7FF) is inserted after one
``unknown``    number of intact packets of an unknown APID (0x3A5) inserted
``ber``        bit-error rate on the recorded bytes (flips after the CRC is made)
``truncate``   1: cut the last segment file inside its last packet
``missing_segment`` segment number whose file is removed (repeat with ``;``)
``corrupt_sync`` probability that a time-sync packet carries a wrong GPS second
``sync_drop``  probability that a time-sync packet is lost
``clock_reset`` seconds after the start at which each instrument clock resets
``nav_corrupt`` probability that an SBET record is corrupted (NaN or a time step back)
``nav_noise``  rms of white position noise in the navigation files, metres
``nav_drift``  slow horizontal position drift of the navigation files, metres per second
============== ==================================================================

The navigation errors are not faults that a reader reports: they make the recorded
trajectory differ from the truth by realistic amounts (centimetres); zero by default.

Every injected fault is listed in the truth with the packet or byte it hit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from flightlog.packets import APID_IDLE, SequenceCounters, encode_packet

UNKNOWN_APID = 0x3A5


@dataclass
class FaultSpec:
    """Parsed fault specification; all zero means a clean recording."""

    drop: float = 0.0
    dup: float = 0.0
    reorder: float = 0.0
    idle: float = 0.0
    unknown: int = 0
    ber: float = 0.0
    truncate: int = 0
    missing_segment: list[int] = field(default_factory=list)
    corrupt_sync: float = 0.0
    sync_drop: float = 0.0
    clock_reset: float = 0.0
    nav_corrupt: float = 0.0
    nav_noise: float = 0.0
    nav_drift: float = 0.0

    @classmethod
    def parse(cls, spec: str | None) -> FaultSpec:
        """Parse ``"name=value,..."``; raises ``ValueError`` naming a bad item."""
        out = cls()
        if not spec:
            return out
        names = {f.name: f for f in fields(cls)}
        for item in spec.split(","):
            item = item.strip()
            if not item:
                continue
            name, sep, value = item.partition("=")
            name = name.strip()
            if not sep or name not in names:
                raise ValueError(f"fault spec item {item!r}: expected one of "
                                 f"{', '.join(names)} as name=value")
            try:
                if name == "missing_segment":
                    out.missing_segment = [int(v) for v in value.split(";") if v.strip()]
                elif name in ("unknown", "truncate"):
                    setattr(out, name, int(value))
                else:
                    setattr(out, name, float(value))
            except ValueError:
                raise ValueError(f"fault spec item {item!r}: bad value") from None
            v = getattr(out, name)
            if name in ("drop", "dup", "reorder", "idle", "corrupt_sync", "ber", "sync_drop",
                        "nav_corrupt") and not (
                    0.0 <= v <= 1.0):
                raise ValueError(f"fault spec item {item!r}: probability outside [0, 1]")
        return out

    @property
    def any(self) -> bool:
        """True when at least one fault is asked for."""
        return any(bool(getattr(self, f.name)) for f in fields(self))


@dataclass
class Packet:
    """A packet before recording, with what the truth needs to know of it."""

    data: bytes
    apid: int
    seq: int
    gps_time: float = float("nan")


def apply_packet_faults(packets: list[Packet], spec: FaultSpec, rng: np.random.Generator,
                        stream: str) -> tuple[list[Packet], list[dict[str, Any]]]:
    """Drop, duplicate, reorder and insert packets; return them and the faults injected.

    A drop of the first or last packet of an APID cannot be seen in the sequence counts;
    the truth marks it ``"detectable": False``. Reordering swaps two neighbours of one
    APID that are neither copies of each other nor duplicates.
    """
    injected: list[dict[str, Any]] = []
    out: list[Packet] = []
    copies: set[int] = set()  # indices in out of duplicate copies
    first_last: dict[int, tuple[int, int]] = {}
    for i, pkt in enumerate(packets):
        lo, _ = first_last.get(pkt.apid, (i, i))
        first_last[pkt.apid] = (lo, i)
    idle_counter = SequenceCounters()
    for i, pkt in enumerate(packets):
        if spec.drop and rng.random() < spec.drop:
            injected.append({"stream": stream, "kind": "drop", "apid": pkt.apid, "seq": pkt.seq,
                             "detectable": i not in first_last[pkt.apid]})
            continue
        out.append(pkt)
        if spec.dup and rng.random() < spec.dup:
            copies.add(len(out))
            out.append(pkt)
            injected.append({"stream": stream, "kind": "dup", "apid": pkt.apid, "seq": pkt.seq})
        if spec.idle and rng.random() < spec.idle:
            n = int(rng.integers(0, 64))
            out.append(Packet(encode_packet(APID_IDLE, idle_counter.take(APID_IDLE),
                                            b"\x55" * n, 0, 0), APID_IDLE, -1, pkt.gps_time))
            injected.append({"stream": stream, "kind": "idle"})
    if spec.reorder:
        i = 0
        while i < len(out) - 1:
            a, b = out[i], out[i + 1]
            if (a.apid == b.apid and a.apid != APID_IDLE and i not in copies
                    and i + 1 not in copies and (i + 2) not in copies
                    and rng.random() < spec.reorder):
                out[i], out[i + 1] = b, a
                injected.append({"stream": stream, "kind": "reorder", "apid": a.apid,
                                 "seq": a.seq})
                i += 2
                continue
            i += 1
    unknown_counter = SequenceCounters()
    for _ in range(spec.unknown):
        pos = int(rng.integers(0, len(out) + 1))
        near = out[min(pos, len(out) - 1)].gps_time if out else float("nan")
        pkt = Packet(encode_packet(UNKNOWN_APID, unknown_counter.take(UNKNOWN_APID),
                                   bytes(rng.integers(0, 256, 32, dtype=np.uint8)), 0, 0),
                     UNKNOWN_APID, -1, near)
        out.insert(pos, pkt)
        injected.append({"stream": stream, "kind": "unknown_apid", "apid": UNKNOWN_APID})
    return out, injected


def apply_file_faults(paths: list[Path], spec: FaultSpec, rng: np.random.Generator,
                      stream: str, last_packet_bytes: int) -> list[dict[str, Any]]:
    """Flip bits, truncate the last segment and remove segments of a written stream."""
    injected: list[dict[str, Any]] = []
    if spec.ber:
        for path in paths:
            data = bytearray(path.read_bytes())
            nbits = len(data) * 8
            nflip = int(rng.poisson(spec.ber * nbits))
            for bit in sorted(rng.choice(nbits, size=min(nflip, nbits), replace=False)):
                data[bit // 8] ^= 1 << (bit % 8)
                injected.append({"stream": stream, "kind": "bit_flip", "segment": path.name,
                                 "offset": int(bit // 8), "bit": int(bit % 8)})
            path.write_bytes(bytes(data))
    if spec.truncate and paths:
        last = paths[-1]
        size = last.stat().st_size
        cut = int(rng.integers(1, max(2, min(last_packet_bytes, size))))
        with open(last, "r+b") as fh:
            fh.truncate(size - cut)
        injected.append({"stream": stream, "kind": "truncate", "segment": last.name,
                         "bytes_removed": cut})
    for number in spec.missing_segment:
        victims = [p for p in paths if p.stem.endswith(f"{number:06d}")]
        for p in victims:
            p.unlink()
            # A missing last segment looks like a shorter recording to any reader.
            injected.append({"stream": stream, "kind": "missing_segment", "segment": p.name,
                             "detectable": p != paths[-1]})
    return injected
