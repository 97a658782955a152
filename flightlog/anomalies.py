"""Anomaly log and per-stream summary of a recorder dump read."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

#: Every anomaly kind the reader reports, with what it means for a flight engineer.
ANOMALY_KINDS: dict[str, str] = {
    "crc_error": "a framed packet whose CRC-16 does not match: dropped",
    "sync_loss": "bytes where no valid packet starts: skipped until the next valid sync marker",
    "truncated_tail": "the stream ends inside a packet: the partial packet is dropped",
    "sequence_gap": "sequence counts missing for an APID: packets lost in flight or recording",
    "duplicate": "a packet whose sequence count was already delivered: dropped",
    "out_of_order": "a packet that arrived after later ones: delivered late",
    "incomplete_group": "a segmented payload with segments missing or out of place: dropped whole",
    "unknown_apid": "an intact packet of an APID this stream does not carry: not delivered",
    "missing_segment": "a segment file number absent from the stream: a gap in the bytes",
    "invalid_header": "an intact packet with reserved secondary-header flag bits set: delivered",
    "malformed_payload": "an intact packet whose payload contradicts its own layout: not delivered",
    "oversize_group": "a segmented payload larger than the reader's bound: dropped",
    "source_interrupted": "a live source stalled past the idle timeout or was reset: what "
                          "arrived is kept",
    "segment_refused": "a segment file that resolves outside the dump (a link) or whose number "
                       "is out of range: not read",
}


@dataclass(frozen=True)
class Anomaly:
    """One thing that went wrong in a stream.

    Attributes
    ----------
    stream : str
        ``"sar"`` or ``"ghgsif"``.
    kind : str
        One of :data:`ANOMALY_KINDS`.
    segment : str
        Segment file name where it was found.
    offset : int
        Byte offset inside that segment file.
    detail : str
        Human-readable specifics (APID, counts, sizes).
    count : int
        Packets lost (``sequence_gap``), bytes skipped (``sync_loss``), otherwise 1.
    length : int
        Bytes of the stream the anomaly covers from ``offset`` (the failed packet, the
        skipped bytes, the truncated tail, the dropped packet); 0 when it covers none.
    """

    stream: str
    kind: str
    segment: str
    offset: int
    detail: str
    count: int = 1
    length: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the anomaly as a JSON-ready dict."""
        return asdict(self)


@dataclass
class StreamSummary:
    """Counts for one stream, as ``postflight inspect`` prints them."""

    stream: str
    segments: int = 0
    bytes: int = 0
    packets: Counter[int] = field(default_factory=Counter)
    idle_packets: int = 0
    crc_errors: int = 0
    sync_losses: int = 0
    bytes_skipped: int = 0
    sequence_gaps: int = 0
    packets_lost: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    truncated_tail: bool = False
    incomplete_groups: int = 0
    unknown_apids: int = 0
    missing_segments: int = 0
    other_anomalies: int = 0
    time_first: float | None = None
    time_last: float | None = None

    def count(self, anomaly: Anomaly) -> None:
        """Add one anomaly to the counters."""
        k = anomaly.kind
        if k == "crc_error":
            self.crc_errors += 1
        elif k == "sync_loss":
            self.sync_losses += 1
            self.bytes_skipped += anomaly.count
        elif k == "truncated_tail":
            self.truncated_tail = True
        elif k == "sequence_gap":
            self.sequence_gaps += 1
            self.packets_lost += anomaly.count
        elif k == "duplicate":
            self.duplicates += 1
        elif k == "out_of_order":
            self.out_of_order += 1
        elif k in ("incomplete_group", "oversize_group"):
            self.incomplete_groups += 1
        elif k == "unknown_apid":
            self.unknown_apids += 1
        elif k == "missing_segment":
            self.missing_segments += anomaly.count
        else:
            self.other_anomalies += 1

    def update_time(self, first: float, last: float) -> None:
        """Widen the instrument-clock time span."""
        self.time_first = first if self.time_first is None else min(self.time_first, first)
        self.time_last = last if self.time_last is None else max(self.time_last, last)

    @property
    def anomaly_count(self) -> int:
        """Number of anomalies of every kind."""
        return (self.crc_errors + self.sync_losses + int(self.truncated_tail)
                + self.sequence_gaps + self.duplicates + self.out_of_order
                + self.incomplete_groups + self.unknown_apids + self.missing_segments
                + self.other_anomalies)

    def to_dict(self) -> dict[str, Any]:
        """Return the summary in the ``postflight inspect --json`` shape."""
        return {
            "segments": self.segments,
            "bytes": self.bytes,
            "packets": {f"0x{apid:03X}": int(n) for apid, n in sorted(self.packets.items())},
            "idle_packets": self.idle_packets,
            "crc_errors": self.crc_errors,
            "sync_losses": self.sync_losses,
            "bytes_skipped": self.bytes_skipped,
            "sequence_gaps": self.sequence_gaps,
            "packets_lost": self.packets_lost,
            "duplicates": self.duplicates,
            "out_of_order": self.out_of_order,
            "truncated_tail": self.truncated_tail,
            "incomplete_groups": self.incomplete_groups,
            "unknown_apids": self.unknown_apids,
            "missing_segments": self.missing_segments,
            "other_anomalies": self.other_anomalies,
            "time_span_instrument_s": (
                None if self.time_first is None else [self.time_first, self.time_last]
            ),
        }


class AnomalyLog:
    """Collects anomalies with exact counts; keeps at most ``max_records`` per kind in detail.

    Parameters
    ----------
    summary : StreamSummary
        Counters updated with every anomaly.
    max_records : int
        Detail records kept per kind; counts stay exact beyond it.
    """

    def __init__(self, summary: StreamSummary, max_records: int = 100_000):
        self.summary = summary
        self.max_records = max_records
        self.records: list[Anomaly] = []
        self.suppressed: Counter[str] = Counter()
        self._per_kind: Counter[str] = Counter()

    def add(self, anomaly: Anomaly) -> None:
        """Record one anomaly."""
        if anomaly.kind not in ANOMALY_KINDS:
            raise ValueError(f"unknown anomaly kind {anomaly.kind!r}")
        self.summary.count(anomaly)
        if self._per_kind[anomaly.kind] < self.max_records:
            self.records.append(anomaly)
        else:
            self.suppressed[anomaly.kind] += 1
        self._per_kind[anomaly.kind] += 1
