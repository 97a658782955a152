"""Per-APID bookkeeping of the reader: sequence counts and segmented-payload reassembly.

Both are fed packets in arrival order and report to an :class:`~flightlog.anomalies.AnomalyLog`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flightlog.anomalies import Anomaly, AnomalyLog
from flightlog.packets import (
    SEQ_CONTINUATION,
    SEQ_FIRST,
    SEQ_LAST,
    SEQ_UNSEGMENTED,
    SEQUENCE_MODULO,
)


@dataclass(eq=False)
class _Gap:
    """Sequence counts found missing at one place; late arrivals shrink ``remaining``."""

    end_position: int
    remaining: int
    segment: str
    offset: int
    first: int
    counts: list[int]


class SequenceTracker:
    """Sequence counts of one APID: gaps, duplicates and late (out-of-order) arrivals.

    A gap is held open for ``window`` further packets so that late arrivals fill it
    (reported as out of order) instead of being counted as lost; what is still missing
    then, or at the end of the stream, is a sequence gap.
    """

    def __init__(self, window: int):
        self.window = window
        self.hi: int | None = None
        self.position = 0  # packets the count has advanced since the first one
        self.missing: dict[int, _Gap] = {}
        self.open_gaps: list[_Gap] = []

    def continues(self, seq: np.ndarray) -> bool:
        """True when ``seq`` follows the last count without gap, duplicate or reorder."""
        if self.hi is not None and seq[0] != (self.hi + 1) % SEQUENCE_MODULO:
            return False
        return bool(seq.size == 1 or np.all(np.diff(seq) % SEQUENCE_MODULO == 1))

    def process(self, seq: np.ndarray, where: list[tuple[str, int]], log: AnomalyLog,
                stream: str, apid: int) -> np.ndarray:
        """Return the mask of packets to deliver; log duplicates, late packets and gaps."""
        n = seq.size
        keep = np.ones(n, dtype=bool)
        if n == 0:
            return keep
        s64 = seq.astype(np.int64)
        if self.continues(s64):
            self.hi = int(s64[-1])
            self.position += n
        else:
            for i in range(n):
                keep[i] = self._one(int(s64[i]), where[i], log, stream, apid)
        self._expire(log, stream, apid, final=False)
        return keep

    def _one(self, s: int, where: tuple[str, int], log: AnomalyLog, stream: str,
             apid: int) -> bool:
        seg, off = where
        if self.hi is None:
            self.hi = s
            return True
        d = (s - self.hi) % SEQUENCE_MODULO
        if d == 0:
            log.add(Anomaly(stream, "duplicate", seg, off,
                            f"APID 0x{apid:03X} sequence count {s} repeated"))
            return False
        if d < SEQUENCE_MODULO // 2:
            if d > 1:
                counts = [(self.hi + j) % SEQUENCE_MODULO for j in range(1, d)]
                gap = _Gap(self.position + d - 1, d - 1, seg, off, counts[0], counts)
                for c in counts:
                    self.missing[c] = gap
                self.open_gaps.append(gap)
            self.hi = s
            self.position += d
            return True
        late = self.missing.pop(s, None)
        if late is not None:
            late.remaining -= 1
            log.add(Anomaly(stream, "out_of_order", seg, off,
                            f"APID 0x{apid:03X} sequence count {s} arrived after {self.hi}"))
            return True
        back = SEQUENCE_MODULO - d
        if back <= self.window:
            log.add(Anomaly(stream, "duplicate", seg, off,
                            f"APID 0x{apid:03X} sequence count {s} already delivered"))
            return False
        # A jump far back is not a copy of a recent packet: the counter restarted.
        log.add(Anomaly(stream, "sequence_gap", seg, off,
                        f"APID 0x{apid:03X} sequence count jumped back from {self.hi} to {s}; "
                        "packets lost unknown", count=0))
        self.hi = s
        self.position += self.window + 1
        return True

    def _expire(self, log: AnomalyLog, stream: str, apid: int, final: bool) -> None:
        still = []
        for gap in self.open_gaps:
            if not final and self.position - gap.end_position <= self.window:
                still.append(gap)
                continue
            for c in gap.counts:
                if self.missing.get(c) is gap:
                    del self.missing[c]
            if gap.remaining > 0:
                log.add(Anomaly(stream, "sequence_gap", gap.segment, gap.offset,
                                f"APID 0x{apid:03X}: {gap.remaining} packet(s) missing from "
                                f"sequence count {gap.first}", count=gap.remaining))
        self.open_gaps = still

    def finish(self, log: AnomalyLog, stream: str, apid: int) -> None:
        """Report every gap still open at the end of the stream."""
        self._expire(log, stream, apid, final=True)


class _Group:
    """Segments of one payload so far, keyed by sequence count."""

    def __init__(self, where: tuple[str, int], touched: int):
        self.parts: dict[int, tuple[int, np.ndarray, bytes]] = {}
        self.size = 0
        self.where = where
        self.touched = touched

    def complete(self) -> list[int] | None:
        """Sequence counts first..last in order when every segment is here, else None."""
        firsts = [c for c, (f, _, _) in self.parts.items() if f == SEQ_FIRST]
        lasts = [c for c, (f, _, _) in self.parts.items() if f == SEQ_LAST]
        if len(firsts) != 1 or len(lasts) != 1:
            return None
        n = (lasts[0] - firsts[0]) % SEQUENCE_MODULO + 1
        if n != len(self.parts):
            return None
        order = [(firsts[0] + k) % SEQUENCE_MODULO for k in range(n)]
        if any(c not in self.parts for c in order):
            return None
        if any(self.parts[c][0] != SEQ_CONTINUATION for c in order[1:-1]):
            return None
        return order


class GroupAssembler:
    """Reassembles segmented payloads of one APID (ICD 2 sequence flags).

    Segments of one payload repeat its secondary header, so the instrument time
    (``coarse``, ``fine``) keys the group: segments may arrive out of order, and several
    groups may be open at once. A group that is still incomplete ``window`` packets after
    its last segment arrived, or at the end of the stream, is reported and dropped whole.

    Parameters
    ----------
    max_bytes : int
        Largest payload a group may reassemble to.
    window : int
        Packets of this APID an incomplete group waits for its missing segments.
    """

    def __init__(self, max_bytes: int, window: int):
        self.max_bytes = max_bytes
        self.window = window
        self.groups: dict[tuple[int, int], _Group] = {}
        self.count = 0

    @property
    def open(self) -> bool:
        """True while some group is incomplete."""
        return bool(self.groups)

    def _drop(self, key: tuple[int, int], log: AnomalyLog, stream: str, apid: int,
              why: str) -> None:
        g = self.groups.pop(key)
        seg, off = g.where
        counts = sorted(g.parts)
        log.add(Anomaly(stream, "incomplete_group", seg, off,
                        f"APID 0x{apid:03X} payload at instrument time {key[0]}+{key[1]}/2^32 s "
                        f"({len(counts)} segment(s), sequence counts {counts[0]}..{counts[-1]}): "
                        f"{why}; dropped"))

    def feed(self, rec: np.ndarray, sflag: int, payload: bytes, where: tuple[str, int],
             log: AnomalyLog, stream: str, apid: int) -> tuple[np.ndarray, bytes] | None:
        """Feed one packet in arrival order; return ``(record, payload)`` when one completes.

        Parameters
        ----------
        rec : ndarray
            The packet's header record (one element of the packet record dtype).
        sflag : int
            CCSDS sequence flags (unsegmented, first, continuation, last).
        payload : bytes
            The packet's user data.
        where : tuple of (str, int)
            Segment file and byte offset of the packet, for anomaly records.
        log : AnomalyLog
            Where incomplete or oversize groups are recorded.
        stream, apid : str, int
            Stream name and APID, for anomaly records.
        """
        self.count += 1
        result: tuple[np.ndarray, bytes] | None = None
        if sflag == SEQ_UNSEGMENTED:
            result = (rec, payload)
        else:
            key = (int(rec["coarse"]), int(rec["fine"]))
            g = self.groups.get(key)
            if g is None:
                g = self.groups[key] = _Group(where, self.count)
            seq = int(rec["sequence_count"])
            g.parts[seq] = (sflag, rec.copy(), payload)
            g.size += len(payload)
            g.touched = self.count
            if sflag == SEQ_FIRST:
                g.where = where
            if g.size > self.max_bytes:
                self.groups.pop(key)
                seg, off = g.where
                log.add(Anomaly(stream, "oversize_group", seg, off,
                                f"APID 0x{apid:03X} payload exceeds {self.max_bytes} bytes; "
                                "dropped"))
            else:
                order = g.complete()
                if order is not None:
                    self.groups.pop(key)
                    out = g.parts[order[0]][1].copy()
                    out["n_segments"] = len(order)
                    result = (out, b"".join(g.parts[c][2] for c in order))
        for k in [k for k, g in self.groups.items() if self.count - g.touched > self.window]:
            self._drop(k, log, stream, apid, f"segments missing after {self.window} packets")
        return result

    def finish(self, log: AnomalyLog, stream: str, apid: int) -> None:
        """Report every group still open at the end of the stream."""
        for k in list(self.groups):
            self._drop(k, log, stream, apid, "stream ended")
