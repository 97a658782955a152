"""Read a recorder stream of a dump in bounded memory, losing no intact packet (ICD 1-2).

A stream is the concatenation of its segment files in ascending number; a missing number
is a gap. :class:`StreamReader` reads it in chunks of fixed size, frames packets with the
Numba kernels of :mod:`flightlog._framing`, verifies every CRC in parallel, tracks
sequence counts per APID modulo 16384, reassembles segmented payloads, and yields blocks
of delivered packets per APID while an :class:`~flightlog.anomalies.AnomalyLog` records
every fault with its segment file and byte offset.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flightlog._crc import CRC16_POWERS, CRC16_TABLES, crc16_many_kernel
from flightlog._framing import (
    KIND_PACKET,
    KIND_SKIP,
    KIND_TAIL,
    UNDECIDED,
    find_valid_packet,
    frame_kernel,
    gather_kernel,
)
from flightlog._tracking import GroupAssembler, SequenceTracker
from flightlog.anomalies import Anomaly, AnomalyLog, StreamSummary
from flightlog.descriptor import FlightDescriptor
from flightlog.packets import (
    APID_IDLE,
    FLAGS_DEFINED,
    SEQ_CONTINUATION,
    SEQ_FIRST,
    SEQ_LAST,
    SEQ_UNSEGMENTED,
    STREAM_APIDS,
    scan_segments,
)
from flightlog.payloads import malformed_mask

#: Delivered-packet record: primary and secondary header fields plus where it came from.
PACKET_DTYPE = np.dtype([
    ("apid", "<u2"),
    ("sequence_count", "<u2"),
    ("n_segments", "<u2"),
    ("flags", "<u2"),
    ("coarse", "<u4"),
    ("fine", "<u4"),
    ("segment", "<i4"),
    ("offset", "<i8"),
    ("payload_offset", "<i8"),
    ("payload_size", "<i8"),
])

_MAX_PACKET = 65546
_HEADER_IDX = np.arange(4, 20)


@dataclass
class PacketTable:
    """Delivered packets of one APID, in arrival order.

    Attributes
    ----------
    stream : str
        Stream name.
    apid : int
        APID of every packet here.
    records : numpy.ndarray
        :data:`PACKET_DTYPE` records; ``segment`` is the segment file number and
        ``offset`` the byte offset of the sync marker (of the first segment of a group)
        in that file.
    payload : numpy.ndarray
        uint8: the payloads back to back; ``records["payload_offset"]`` and
        ``["payload_size"]`` index it. Segmented payloads arrive reassembled.
    """

    stream: str
    apid: int
    records: np.ndarray
    payload: np.ndarray

    def __len__(self) -> int:
        return int(self.records.size)

    def payload_of(self, i: int) -> np.ndarray:
        """Payload bytes of packet ``i`` (a view, uint8)."""
        r = self.records[i]
        start = int(r["payload_offset"])
        return self.payload[start : start + int(r["payload_size"])]

    @property
    def time(self) -> np.ndarray:
        """Instrument-clock time of each packet, seconds (``coarse + fine * 2**-32``)."""
        return self.records["coarse"].astype(np.float64) + self.records["fine"] * 2.0**-32

    def subset(self, mask: np.ndarray) -> PacketTable:
        """The packets selected by a boolean mask or index array (payload shared)."""
        return PacketTable(self.stream, self.apid, self.records[mask], self.payload)

    @staticmethod
    def concatenate(tables: list[PacketTable]) -> PacketTable:
        """Join tables of one APID into one with a compact payload store."""
        if not tables:
            raise ValueError("nothing to concatenate")
        recs = np.concatenate([t.records for t in tables])
        sizes = recs["payload_size"].astype(np.int64)
        offsets = np.zeros(sizes.size, np.int64)
        np.cumsum(sizes[:-1], out=offsets[1:])
        payload = np.empty(int(sizes.sum()), np.uint8)
        k = 0
        for t in tables:
            n = len(t)
            gather_kernel(t.payload, t.records["payload_offset"].astype(np.int64),
                          sizes[k : k + n], offsets[k : k + n], payload)
            k += n
        recs["payload_offset"] = offsets
        return PacketTable(tables[0].stream, tables[0].apid, recs, payload)


@dataclass
class _Segment:
    number: int
    path: Path
    size: int


class StreamReader:
    """Stream one recorder stream of a dump in bounded memory.

    Parameters
    ----------
    directory : path-like or None
        Folder of the segment files (None: no files, as :class:`LiveStream` uses it).
    prefix : str
        Segment file-name prefix (``"SAR_"``).
    stream : str
        Stream name (``"sar"`` or ``"ghgsif"``): selects the APIDs that are known.
    chunk_bytes : int
        Bytes read per chunk; memory use is a few times this.
    reorder_window : int
        Packets a sequence gap stays open for late arrivals.
    max_group_bytes : int
        Largest reassembled payload accepted.
    max_anomaly_records : int
        Detailed anomaly records kept per kind (counts stay exact).
    root : path-like, optional
        The dump directory: segment files that resolve outside it (symbolic links out
        of the dump) are reported as ``segment_refused`` and not read.

    Examples
    --------
    >>> reader = StreamReader("dump/sar", "SAR_", "sar")          # doctest: +SKIP
    >>> for block in reader:                                       # doctest: +SKIP
    ...     echoes = block.get(0x101)
    >>> reader.summary.crc_errors                                  # doctest: +SKIP
    """

    def __init__(self, directory: str | os.PathLike[str] | None, prefix: str, stream: str,
                 chunk_bytes: int = 16 << 20, reorder_window: int = 1024,
                 max_group_bytes: int = 256 << 20, max_anomaly_records: int = 100_000,
                 root: str | os.PathLike[str] | None = None):
        if chunk_bytes < 4096:
            raise ValueError("chunk_bytes must be at least 4 KiB")
        self.directory = Path(directory) if directory is not None else Path()
        self.prefix = prefix
        self.stream = stream
        self.known_apids = STREAM_APIDS.get(stream, frozenset())
        self.chunk_bytes = int(chunk_bytes)
        self.reorder_window = reorder_window
        self.max_group_bytes = max_group_bytes
        self.summary = StreamSummary(stream)
        self.log = AnomalyLog(self.summary, max_anomaly_records)
        rootp = Path(root) if root is not None else None
        present, refused = ([], []) if directory is None else scan_segments(
            self.directory, prefix, rootp)
        for p, why in refused:
            self.log.add(Anomaly(stream, "segment_refused", p.name, 0,
                                 f"segment file {p} {why}: not read"))
        self.segments = [_Segment(num, p, p.stat().st_size) for num, p in present]
        self.summary.segments = len(self.segments)
        self.summary.bytes = sum(s.size for s in self.segments)
        self._trackers: dict[int, SequenceTracker] = {}
        self._assemblers: dict[int, GroupAssembler] = {}
        cap = 1 << 16
        self._rs = np.empty(cap, np.int64)
        self._rl = np.empty(cap, np.int64)
        self._rk = np.empty(cap, np.int64)
        self._pending_skip: list | None = None  # [run_offset, length]
        self._read = False

    @property
    def anomalies(self) -> list[Anomaly]:
        """Detailed anomaly records, in the order found."""
        return self.log.records

    def segment_name(self, number: int) -> str:
        """File name of segment ``number``."""
        return f"{self.prefix}{number:06d}.dat"

    def _runs(self) -> list[list[_Segment]]:
        runs: list[list[_Segment]] = []
        expected = 0
        for seg in self.segments:
            if seg.number != expected or not runs:
                n_missing = seg.number - expected
                if n_missing:  # one record for a run, however long (no loop over it)
                    first = self.segment_name(expected)
                    detail = (f"segment file {first} absent" if n_missing == 1 else
                              f"{n_missing} segment files absent: {first} to "
                              f"{self.segment_name(seg.number - 1)}")
                    self.log.add(Anomaly(self.stream, "missing_segment", first, 0, detail,
                                         count=n_missing))
                runs.append([])
            runs[-1].append(seg)
            expected = seg.number + 1
        return runs

    def __iter__(self) -> Iterator[dict[int, PacketTable]]:
        if self._read:
            raise RuntimeError("a StreamReader reads its stream once; make a new one")
        self._read = True
        runs = self._runs()
        for r, run in enumerate(runs):
            yield from self._read_run(run, last_run=r == len(runs) - 1)
        for apid, tracker in sorted(self._trackers.items()):
            tracker.finish(self.log, self.stream, apid)
        for apid, asm in sorted(self._assemblers.items()):
            asm.finish(self.log, self.stream, apid)

    # -- one contiguous run of segment files ------------------------------------------------
    def _read_run(self, run: list[_Segment], last_run: bool) -> Iterator[dict[int, PacketTable]]:
        # Each chunk is read into a fresh buffer that the yielded tables keep as their
        # payload store (no copy of payloads); only the cut packet at its end is carried.
        # room for a chunk and for what a deferred rescan keeps (a damaged packet and a
        # packet starting inside it: two packets at most)
        size = self.chunk_bytes + 2 * _MAX_PACKET + 16
        buf = np.empty(size, dtype=np.uint8)
        seg_starts = np.cumsum([0] + [s.size for s in run[:-1]]).astype(np.int64)
        numbers = np.array([s.number for s in run], dtype=np.int64)
        total = int(seg_starts[-1] + run[-1].size)
        self._run_ctx = (seg_starts, numbers, run)
        files = iter(run)
        fh = None
        base = 0  # run offset of buf[0]
        fill = 0
        read_total = 0
        try:
            while True:
                want = min(self.chunk_bytes, buf.size - fill)
                got = 0
                while got < want:
                    if fh is None:
                        seg = next(files, None)
                        if seg is None:
                            break
                        fh = open(seg.path, "rb")  # noqa: SIM115
                    n = fh.readinto(buf.data[fill + got : fill + want])
                    if not n:
                        fh.close()
                        fh = None
                        continue
                    got += n
                fill += got
                read_total += got
                final = read_total >= total or got == 0
                consumed, tables = self._frame(buf, fill, base, final, last_run)
                if tables:
                    yield tables
                keep = fill - consumed
                if final:
                    break
                nbuf = np.empty(size, dtype=np.uint8)
                nbuf[:keep] = buf[consumed:fill]
                buf = nbuf
                base += consumed
                fill = keep
                if final:
                    break
        finally:
            if fh is not None:
                fh.close()
        self._flush_skip()

    def _where(self, run_offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        seg_starts, numbers, _ = self._run_ctx
        idx = np.searchsorted(seg_starts, run_offsets, side="right") - 1
        return numbers[idx], run_offsets - seg_starts[idx]

    def _where1(self, run_offset: int) -> tuple[str, int]:
        num, off = self._where(np.array([run_offset], dtype=np.int64))
        return self.segment_name(int(num[0])), int(off[0])

    def _flush_skip(self) -> None:
        if self._pending_skip is None:
            return
        start, length = self._pending_skip
        self._pending_skip = None
        seg, off = self._where1(start)
        self.log.add(Anomaly(self.stream, "sync_loss", seg, off,
                             f"{length} byte(s) without a valid packet skipped", count=length,
                             length=length))

    def _skip(self, run_offset: int, length: int) -> None:
        if length <= 0:
            return
        if self._pending_skip is not None and sum(self._pending_skip) == run_offset:
            self._pending_skip[1] += length
            return
        self._flush_skip()
        self._pending_skip = [run_offset, length]

    def _frame(self, buf: np.ndarray, fill: int, base: int, final: bool,
               last_run: bool) -> tuple[int, dict[int, PacketTable]]:
        p = 0
        good_starts: list[np.ndarray] = []
        good_lens: list[np.ndarray] = []
        while True:
            k, consumed = frame_kernel(buf, p, fill, final, self._rs, self._rl, self._rk)
            rs, rl, rk = self._rs[:k].copy(), self._rl[:k].copy(), self._rk[:k].copy()
            pk = np.flatnonzero(rk == KIND_PACKET)
            ok = np.ones(k, dtype=bool)
            if pk.size:
                s = rs[pk]
                e = s + rl[pk]
                crc = np.empty(pk.size, np.int64)
                crc16_many_kernel(buf, s + 4, e - 2, CRC16_TABLES, crc)
                stored = (buf[e - 2].astype(np.int64) << 8) | buf[e - 1]
                ok[pk] = crc == stored
            ok[rk != KIND_PACKET] = False
            restart = -1
            cut = k
            deferred = -1
            for j in np.flatnonzero(~ok):
                s0, l0, kind = int(rs[j]), int(rl[j]), int(rk[j])
                if kind == KIND_SKIP:
                    continue
                q = find_valid_packet(buf, s0 + 1, s0 + l0, fill, CRC16_TABLES, CRC16_POWERS,
                                      final)
                if q == UNDECIDED:  # wait for the bytes after the chunk's end
                    deferred, cut = s0, int(j)
                    break
                if q >= 0:
                    rl[j] = q - s0
                    if kind == KIND_TAIL:
                        rk[j] = KIND_SKIP
                    restart, cut = q, int(j) + 1
                    break
            self._account(buf, rs[:cut], rl[:cut], rk[:cut], ok[:cut], base, final, last_run)
            good = ok[:cut]
            good_starts.append(rs[:cut][good])
            good_lens.append(rl[:cut][good])
            if deferred >= 0:
                consumed = deferred
                break
            if restart >= 0:
                p = restart
                continue
            if k == self._rs.size and consumed < fill:
                p = consumed
                continue
            break
        starts = np.concatenate(good_starts) if good_starts else np.zeros(0, np.int64)
        lens = np.concatenate(good_lens) if good_lens else np.zeros(0, np.int64)
        return consumed, self._deliver(buf, starts, lens, base)

    def _account(self, buf: np.ndarray, rs: np.ndarray, rl: np.ndarray, rk: np.ndarray,
                 ok: np.ndarray, base: int, final: bool, last_run: bool) -> None:
        """Log sync losses, CRC failures and a truncated tail, in stream order."""
        good_before = np.concatenate([[0], np.cumsum(ok)])  # good records before index j
        prev = 0
        for j in np.flatnonzero(~ok):
            if good_before[j] > good_before[prev]:
                self._flush_skip()  # a good packet ends the sync loss
            prev = int(j)
            s0, l0, kind = int(rs[j]), int(rl[j]), int(rk[j])
            if kind == KIND_SKIP:
                self._skip(base + s0, l0)
                continue
            self._flush_skip()
            seg, off = self._where1(base + s0)
            if kind == KIND_TAIL:
                if last_run:
                    self.log.add(Anomaly(self.stream, "truncated_tail", seg, off,
                                         f"stream ends {l0} byte(s) into a packet",
                                         length=l0))
                else:
                    self.log.add(Anomaly(self.stream, "sync_loss", seg, off,
                                         f"{l0} byte(s) of a packet cut by a missing segment",
                                         count=l0, length=l0))
                continue
            w0 = (int(buf[s0 + 4]) << 8) | int(buf[s0 + 5])
            w1 = (int(buf[s0 + 6]) << 8) | int(buf[s0 + 7])
            self.log.add(Anomaly(self.stream, "crc_error", seg, off,
                                 f"{l0}-byte packet (header says APID 0x{w0 & 0x7FF:03X}, "
                                 f"sequence count {w1 & 0x3FFF}) fails its CRC", length=l0))
        if good_before[-1] > good_before[prev]:
            self._flush_skip()

    def _deliver(self, buf: np.ndarray, starts: np.ndarray, lens: np.ndarray,
                 base: int) -> dict[int, PacketTable]:
        n = starts.size
        if n == 0:
            return {}
        h = buf[starts[:, None] + _HEADER_IDX[None, :]].astype(np.int64)
        w0 = (h[:, 0] << 8) | h[:, 1]
        w1 = (h[:, 2] << 8) | h[:, 3]
        apid = w0 & 0x7FF
        seg_num, seg_off = self._where(base + starts)
        recs = np.zeros(n, PACKET_DTYPE)
        recs["apid"] = apid
        recs["sequence_count"] = w1 & 0x3FFF
        recs["n_segments"] = 1
        recs["coarse"] = (h[:, 6] << 24) | (h[:, 7] << 16) | (h[:, 8] << 8) | h[:, 9]
        recs["fine"] = (h[:, 10] << 24) | (h[:, 11] << 16) | (h[:, 12] << 8) | h[:, 13]
        recs["flags"] = (h[:, 14] << 8) | h[:, 15]
        recs["segment"] = seg_num
        recs["offset"] = seg_off
        pstart = starts + 20
        psize = lens - 22
        sflags = w1 >> 14
        out: dict[int, PacketTable] = {}
        for a in np.unique(apid):
            a = int(a)
            sel = np.flatnonzero(apid == a)
            if a == APID_IDLE:
                self.summary.idle_packets += sel.size
                continue
            if a not in self.known_apids:
                for i in sel:
                    self.log.add(Anomaly(self.stream, "unknown_apid",
                                         self.segment_name(int(seg_num[i])), int(seg_off[i]),
                                         f"intact packet of APID 0x{a:03X}, not carried by the "
                                         f"{self.stream} stream"))
                continue
            table = self._deliver_apid(buf, a, recs[sel], pstart[sel], psize[sel], sflags[sel])
            if table is not None and len(table):
                out[a] = table
        return out

    def _deliver_apid(self, buf: np.ndarray, apid: int, recs: np.ndarray, pstart: np.ndarray,
                      psize: np.ndarray, sflags: np.ndarray) -> PacketTable | None:
        tracker = self._trackers.get(apid)
        if tracker is None:
            tracker = self._trackers[apid] = SequenceTracker(self.reorder_window)
        where = [(self.segment_name(int(r["segment"])), int(r["offset"])) for r in recs] \
            if self._needs_slow_path(apid, recs, sflags) else [("", 0)] * recs.size
        keep = tracker.process(recs["sequence_count"], where, self.log, self.stream, apid)
        recs, pstart, psize, sflags = recs[keep], pstart[keep], psize[keep], sflags[keep]
        where = [w for w, k in zip(where, keep, strict=True) if k]
        asm = self._assemblers.get(apid)
        if asm is None:
            asm = self._assemblers[apid] = GroupAssembler(self.max_group_bytes,
                                                          self.reorder_window)
        if np.all(sflags == SEQ_UNSEGMENTED) and not asm.open:
            payload = buf  # the chunk buffer is this block's payload store
            recs["payload_offset"] = pstart
            recs["payload_size"] = psize
        else:
            done_recs, parts = [], []
            for i in range(recs.size):
                got = asm.feed(recs[i], int(sflags[i]),
                               buf[pstart[i] : pstart[i] + psize[i]].tobytes(), where[i],
                               self.log, self.stream, apid)
                if got is not None:
                    done_recs.append(got[0])
                    parts.append(got[1])
            if not done_recs:
                return None
            recs = np.array(done_recs, dtype=PACKET_DTYPE)
            sizes = np.array([len(p) for p in parts], dtype=np.int64)
            recs["payload_size"] = sizes
            recs["payload_offset"] = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            payload = np.frombuffer(b"".join(parts), dtype=np.uint8).copy()
        table = PacketTable(self.stream, apid, recs, payload)
        return self._validate(table)

    def _needs_slow_path(self, apid: int, recs: np.ndarray, sflags: np.ndarray) -> bool:
        asm = self._assemblers.get(apid)
        if (asm is not None and asm.open) or np.any(sflags != SEQ_UNSEGMENTED):
            return True
        return not self._trackers[apid].continues(recs["sequence_count"].astype(np.int64))

    def _validate(self, table: PacketTable) -> PacketTable:
        recs = table.records
        bad = malformed_mask(table)
        for i in np.flatnonzero(bad):
            self.log.add(Anomaly(self.stream, "malformed_payload",
                                 self.segment_name(int(recs["segment"][i])),
                                 int(recs["offset"][i]),
                                 f"APID 0x{table.apid:03X} payload of "
                                 f"{int(recs['payload_size'][i])} bytes contradicts its header"))
        for i in np.flatnonzero(recs["flags"] & (0xFFFF ^ FLAGS_DEFINED)):
            self.log.add(Anomaly(self.stream, "invalid_header",
                                 self.segment_name(int(recs["segment"][i])),
                                 int(recs["offset"][i]),
                                 f"APID 0x{table.apid:03X} reserved flag bits set: "
                                 f"0x{int(recs['flags'][i]):04X}"))
        if bad.any():
            table = table.subset(~bad)
        if len(table):
            self.summary.packets[table.apid] += len(table)
            t = table.time
            self.summary.update_time(float(t.min()), float(t.max()))
        return table


class LiveStream(StreamReader):
    """Frame and validate a live byte stream as it arrives (``postflight ingest --follow``).

    The same framing, CRC checks, sequence tracking and reassembly as
    :class:`StreamReader`, fed by :meth:`feed` with whatever bytes the source delivered;
    anomalies name the source (``label``) and the byte offset in the stream. Only the
    packet cut at the end of the bytes so far is kept between calls.

    Parameters
    ----------
    stream : str
        Stream name (``"sar"`` or ``"ghgsif"``).
    label : str
        What the anomalies name as the file (the source, e.g. ``fifo:/tmp/sar``).
    **kwargs
        As for :class:`StreamReader` (``reorder_window``, ``max_group_bytes``, ...).
    """

    def __init__(self, stream: str, label: str, **kwargs: int) -> None:
        super().__init__(None, label, stream, **kwargs)  # type: ignore[arg-type]
        self.label = label
        self._read = True
        self._buf = np.empty(0, np.uint8)
        self._fill = 0
        self._base = 0
        self._run_ctx = (np.zeros(1, np.int64), np.zeros(1, np.int64), [])
        self.summary.segments = 1

    def segment_name(self, number: int) -> str:
        """The source's label (a live stream has no segment files)."""
        return self.label

    def feed(self, data: bytes | bytearray | memoryview) -> dict[int, PacketTable]:
        """Add bytes as they arrived; returns the packets completed by them, per APID."""
        n = len(data)
        if not n:
            return {}
        buf = np.empty(self._fill + n, np.uint8)
        buf[: self._fill] = self._buf[: self._fill]
        buf[self._fill:] = np.frombuffer(data, np.uint8)
        self.summary.bytes += n
        consumed, tables = self._frame(buf, buf.size, self._base, False, True)
        self._buf, self._fill = buf[consumed:], buf.size - consumed
        self._base += consumed
        return tables

    def finish(self) -> dict[int, PacketTable]:
        """The source ended: frame what is left, close open gaps and groups."""
        consumed, tables = self._frame(self._buf, self._fill, self._base, True, True)
        self._flush_skip()
        for apid, tracker in sorted(self._trackers.items()):
            tracker.finish(self.log, self.stream, apid)
        for apid, asm in sorted(self._assemblers.items()):
            asm.finish(self.log, self.stream, apid)
        self._buf, self._fill = np.empty(0, np.uint8), 0
        return tables


def open_stream(desc: FlightDescriptor, name: str, chunk_bytes: int = 16 << 20,
                **kwargs: int) -> StreamReader:
    """A :class:`StreamReader` of one stream of a dump, confined to the dump directory.

    Parameters
    ----------
    desc : flightlog.FlightDescriptor
        The dump's descriptor.
    name : str
        ``"sar"`` or ``"ghgsif"``.
    chunk_bytes : int
        Read size.
    **kwargs
        As for :class:`StreamReader`.
    """
    folder, prefix = desc.stream_location(name)  # type: ignore[arg-type]
    return StreamReader(folder, prefix, name, chunk_bytes=chunk_bytes, root=desc.root,
                        **kwargs)


def read_stream(directory: str | os.PathLike[str], prefix: str, stream: str,
                **kwargs: int) -> tuple[dict[int, PacketTable], StreamReader]:
    """Read a whole stream into memory: one :class:`PacketTable` per APID.

    For small streams and tests; large dumps are read block by block with
    :class:`StreamReader`.

    Returns
    -------
    tables : dict of int to PacketTable
        Delivered packets per APID.
    reader : StreamReader
        Holds ``summary`` and ``anomalies``.
    """
    reader = StreamReader(directory, prefix, stream, **kwargs)  # type: ignore[arg-type]
    parts: dict[int, list[PacketTable]] = {}
    for block in reader:
        for apid, table in block.items():
            parts.setdefault(apid, []).append(table)
    return {a: PacketTable.concatenate(t) for a, t in parts.items()}, reader


# Re-exported for readers of the sequence flags.
__all__ = ["PACKET_DTYPE", "PacketTable", "StreamReader", "open_stream", "read_stream",
           "SEQ_CONTINUATION", "SEQ_FIRST", "SEQ_LAST", "SEQ_UNSEGMENTED"]


def stream_position(records: np.ndarray) -> np.ndarray:
    """Order key of packets in their stream: segment number and byte offset in one int64."""
    return (records["segment"].astype(np.int64) << 40) | records["offset"].astype(np.int64)
