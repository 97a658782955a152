"""Recorder streams of a simulated flight: packets in time order, segment files, faults.

This module turns instrument products (echo samples, detector frames) into the ICD byte
streams through :mod:`flightlog.packets`, adds the time-sync packets of each instrument
clock and the replicas, and injects recorder faults (:mod:`sim.faults`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from flightlog.packets import (
    APID_GHGSIF_TIMESYNC,
    APID_SAR_TIMESYNC,
    SequenceCounters,
    packetize,
    write_stream,
)
from flightlog.payloads import encode_timesync
from sim.clock import InstrumentClock, split_clock
from sim.faults import FaultSpec, Packet, apply_file_faults, apply_packet_faults

SECONDS_PER_WEEK = 604800


@dataclass(frozen=True)
class Item:
    """One payload to record: its GPS time, APID, payload and secondary-header flags."""

    gps_time: float
    apid: int
    payload: bytes
    flags: int = 0


def timesync_items(apid: int, gps_start: float, gps_end: float) -> Iterator[Item]:
    """Time-sync payloads at every GPS PPS edge in ``[gps_start, gps_end]`` (ICD 5)."""
    for sec in range(int(np.ceil(gps_start)), int(np.floor(gps_end)) + 1):
        week, sow = divmod(sec, SECONDS_PER_WEEK)
        yield Item(float(sec), apid, encode_timesync(week, sow))


def record_stream(
    items: Iterable[Item],
    clock: InstrumentClock,
    directory: Path,
    prefix: str,
    segment_bytes: int,
    stream: str,
    faults: FaultSpec,
    rng: np.random.Generator,
    corrupt_sync: Callable[[Item], Item] | None = None,
) -> tuple[list[Path], list[dict[str, Any]], dict[str, np.ndarray]]:
    """Packetize time-ordered payloads, inject faults and write the segment files.

    Parameters
    ----------
    items : iterable of Item
        Payloads in GPS time order.
    clock : InstrumentClock
        The instrument's clock, which stamps every packet.
    directory, prefix : Path, str
        Where the segment files go and their name prefix.
    segment_bytes : int
        Segment file size.
    stream : str
        Stream name for the truth.
    faults : FaultSpec
        Faults to inject.
    rng : numpy.random.Generator
        Source of the faults' randomness.
    corrupt_sync : callable, optional
        Makes a corrupted copy of a time-sync item (used with ``faults.corrupt_sync``).

    Returns
    -------
    paths : list of Path
        Segment files still present.
    injected : list of dict
        The faults injected.
    pacing : dict
        ``packet_offset`` (bytes into the whole stream) and ``packet_gps_time`` of every
        recorded packet, for the streaming mode.
    """
    counters = SequenceCounters()
    packets: list[Packet] = []
    injected: list[dict[str, Any]] = []
    for item in items:
        is_sync = item.apid in (APID_SAR_TIMESYNC, APID_GHGSIF_TIMESYNC)
        if is_sync and faults.sync_drop and rng.random() < faults.sync_drop:
            injected.append({"stream": stream, "kind": "sync_drop", "gps_time": item.gps_time})
            continue
        if (corrupt_sync is not None and faults.corrupt_sync
                and item.apid in (APID_SAR_TIMESYNC, APID_GHGSIF_TIMESYNC)
                and rng.random() < faults.corrupt_sync):
            item = corrupt_sync(item)
            injected.append({"stream": stream, "kind": "corrupt_sync",
                             "gps_time": item.gps_time})
        # A corrupted sync item keeps its true edge time; only its payload lies.
        coarse, fine = split_clock(clock.instrument_time(item.gps_time))
        first = counters.next_count.get(item.apid, 0)
        for k, data in enumerate(packetize(item.apid, item.payload, int(coarse), int(fine),
                                           counters, item.flags)):
            packets.append(Packet(data, item.apid, (first + k) % 16384, item.gps_time))
    packets, pk_faults = apply_packet_faults(packets, faults, rng, stream)
    injected += pk_faults
    paths = write_stream((p.data for p in packets), directory, prefix, segment_bytes)
    last_len = len(packets[-1].data) if packets else 0
    injected += apply_file_faults(paths, faults, rng, stream, last_len)
    sizes = np.array([len(p.data) for p in packets], dtype=np.int64)
    pacing = {"packet_offset": np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64),
              "packet_gps_time": np.array([p.gps_time for p in packets])}
    return [p for p in paths if p.exists()], injected, pacing


def merge_by_time(*sources: Iterable[Item]) -> Iterator[Item]:
    """Merge time-ordered item sources into one time-ordered sequence."""
    return heapq.merge(*sources, key=lambda it: it.gps_time)


__all__ = ["Item", "merge_by_time", "record_stream", "timesync_items"]
