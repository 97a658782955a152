"""Summarise a post-flight dump for a flight engineer (``postflight inspect``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flightlog.descriptor import DescriptorError, FlightDescriptor, load_descriptor
from flightlog.errors import PisarL3Error
from flightlog.ingest import open_stream

STREAMS = ("sar", "ghgsif")


class UnusableDump(PisarL3Error):
    """The dump cannot be read at all (no or invalid descriptor, no stream)."""


def inspect_dump(dump: str | os.PathLike[str], chunk_bytes: int = 16 << 20) -> dict[str, Any]:
    """Read every stream of a dump and summarise packets and anomalies.

    Parameters
    ----------
    dump : path-like
        The dump directory.
    chunk_bytes : int
        Read size; memory use is a small multiple of it.

    Returns
    -------
    dict
        ``{"flight_id", "streams": {name: summary}, "anomalies": [...],
        "anomalies_suppressed": {kind: n}}`` as ``postflight inspect --json`` prints it.

    Raises
    ------
    UnusableDump
        If the descriptor is missing or invalid, or no stream has any segment file.
    """
    try:
        desc: FlightDescriptor = load_descriptor(dump)
    except DescriptorError as exc:
        raise UnusableDump(str(exc)) from None
    streams: dict[str, Any] = {}
    anomalies: list[dict[str, Any]] = []
    suppressed: dict[str, int] = {}
    readable = 0
    for name in STREAMS:
        if getattr(desc, name) is None:
            continue
        reader = open_stream(desc, name, chunk_bytes=chunk_bytes)
        folder, prefix = reader.directory, reader.prefix
        if not reader.segments:
            anomalies.append({"stream": name, "kind": "missing_stream",
                              "segment": str(Path(folder).relative_to(desc.root.resolve())),
                              "offset": 0,
                              "detail": f"no segment file {prefix}NNNNNN.dat in {folder}"})
            streams[name] = None
            continue
        readable += 1
        for _block in reader:
            pass
        streams[name] = reader.summary.to_dict()
        if not reader.summary.packets:
            first = reader.segments[0]
            anomalies.append({"stream": name, "kind": "empty_stream",
                              "segment": first.path.name, "offset": 0,
                              "detail": f"{len(reader.segments)} segment file(s), "
                                        f"{reader.summary.bytes} bytes, and not one intact "
                                        "packet: the instrument recorded nothing usable"})
        anomalies += [a.to_dict() for a in sorted(
            reader.anomalies, key=lambda a: (a.segment, a.offset))]
        for kind, n in reader.log.suppressed.items():
            suppressed[f"{name}:{kind}"] = n
    if readable == 0:
        raise UnusableDump(f"{desc.root}: no stream has any segment file")
    return {"flight_id": desc.flight_id, "streams": streams, "anomalies": anomalies,
            "anomalies_suppressed": suppressed}


def format_summary(report: dict[str, Any]) -> str:
    """Human-readable text of an :func:`inspect_dump` report."""
    lines = [f"flight {report['flight_id']}"]
    for name, s in report["streams"].items():
        if s is None:
            lines.append(f"  {name}: NO SEGMENT FILES")
            continue
        span = s["time_span_instrument_s"]
        span_txt = "-" if span is None else f"{span[0]:.6f} .. {span[1]:.6f} s"
        pk = ", ".join(f"{a}: {n}" for a, n in s["packets"].items()) or "none"
        lines += [
            f"  {name}: {s['segments']} segment file(s), {s['bytes']} bytes",
            f"    packets delivered  {pk}",
            f"    instrument clock   {span_txt}",
        ]
        counts = [(k, s[k]) for k in ("crc_errors", "sync_losses", "bytes_skipped",
                                      "sequence_gaps", "packets_lost", "duplicates",
                                      "out_of_order", "incomplete_groups", "unknown_apids",
                                      "missing_segments", "other_anomalies", "idle_packets")]
        bad = [f"{k}={v}" for k, v in counts if v]
        if s["truncated_tail"]:
            bad.append("truncated_tail")
        lines.append(f"    anomalies          {', '.join(bad) if bad else 'none'}")
    if report["anomalies"]:
        lines.append(f"  {len(report['anomalies'])} anomaly record(s); first ones:")
        for a in report["anomalies"][:20]:
            lines.append(f"    [{a['stream']}] {a['kind']:<16} {a['segment']}@{a['offset']}: "
                         f"{a['detail']}")
    return "\n".join(lines)
