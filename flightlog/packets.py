"""The ICD recorder packet format (sections 1 and 2): constants and the writer side.

A packet on the wire is::

    sync (4) | CCSDS primary header (6) | secondary header (10) | payload (n) | CRC-16 (2)

This module builds packets, splits payloads of more than :data:`MAX_SEGMENT_PAYLOAD` bytes
into segment groups, and cuts a stream into segment files of a chosen size so that packets
straddle files. The reader side lives in :mod:`flightlog.ingest`.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from flightlog._crc import CRC16_TABLES, crc16, crc16_many_kernel

SYNC_MARKER = b"\x1a\xcf\xfc\x1d"
SYNC_LEN = 4
PRIMARY_HEADER_LEN = 6
SECONDARY_HEADER_LEN = 10
CRC_LEN = 2
#: Bytes of a packet that are not payload.
PACKET_OVERHEAD = SYNC_LEN + PRIMARY_HEADER_LEN + SECONDARY_HEADER_LEN + CRC_LEN
#: Largest payload the writer puts in one packet; larger payloads are segmented (ICD 2).
MAX_SEGMENT_PAYLOAD = 65000
#: Largest payload that fits the 16-bit packet data length field.
MAX_PACKET_PAYLOAD = 65536 - SECONDARY_HEADER_LEN - CRC_LEN
SEQUENCE_MODULO = 16384

APID_SAR_ECHO = 0x101
APID_SAR_REPLICA = 0x102
APID_SAR_TIMESYNC = 0x10F
APID_GHGSIF_FRAME = 0x201
APID_GHGSIF_TIMESYNC = 0x20F
APID_IDLE = 0x7FF

#: APIDs that each stream may carry (ICD section 2), idle excluded.
STREAM_APIDS: dict[str, frozenset[int]] = {
    "sar": frozenset({APID_SAR_ECHO, APID_SAR_REPLICA, APID_SAR_TIMESYNC}),
    "ghgsif": frozenset({APID_GHGSIF_FRAME, APID_GHGSIF_TIMESYNC}),
}

SEQ_CONTINUATION = 0b00
SEQ_FIRST = 0b01
SEQ_LAST = 0b10
SEQ_UNSEGMENTED = 0b11

FLAG_TEST_PATTERN = 0x0001
FLAG_CALIBRATION = 0x0002
FLAGS_DEFINED = FLAG_TEST_PATTERN | FLAG_CALIBRATION

SEGMENT_DIGITS = 6
SEGMENT_SUFFIX = ".dat"

_HEADER = struct.Struct(">4sHHHIIH")


def encode_packet(
    apid: int,
    sequence_count: int,
    payload: bytes | bytearray | memoryview,
    coarse: int,
    fine: int,
    flags: int = 0,
    sequence_flags: int = SEQ_UNSEGMENTED,
) -> bytes:
    """Encode one packet: sync marker, headers, payload and CRC.

    Parameters
    ----------
    apid : int
        Application process identifier, 0..2047.
    sequence_count : int
        Per-APID sequence count; taken modulo 16384.
    payload : bytes-like
        At most :data:`MAX_PACKET_PAYLOAD` bytes.
    coarse, fine : int
        Instrument clock: seconds and units of 2**-32 s.
    flags : int
        Secondary-header flags (bit 0 test pattern, bit 1 calibration mode).
    sequence_flags : int
        ``SEQ_UNSEGMENTED`` (3), ``SEQ_FIRST`` (1), ``SEQ_CONTINUATION`` (0) or ``SEQ_LAST`` (2).

    Returns
    -------
    bytes
        The packet as it appears in the stream.
    """
    if not 0 <= apid < 2048:
        raise ValueError(f"APID {apid} outside 0..2047")
    if len(payload) > MAX_PACKET_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds one packet; segment it")
    data_length = SECONDARY_HEADER_LEN + len(payload) + CRC_LEN - 1
    word0 = (0 << 13) | (0 << 12) | (1 << 11) | apid
    word1 = ((sequence_flags & 3) << 14) | (sequence_count % SEQUENCE_MODULO)
    head = _HEADER.pack(
        SYNC_MARKER, word0, word1, data_length, coarse & 0xFFFFFFFF, fine & 0xFFFFFFFF, flags
    )
    body = head[SYNC_LEN:] + bytes(payload)
    return head[:SYNC_LEN] + body + crc16(body).to_bytes(2, "big")


@dataclass
class SequenceCounters:
    """Per-APID sequence counters, as a recorder keeps them (wrap at 16384)."""

    next_count: dict[int, int] = field(default_factory=dict)

    def take(self, apid: int, n: int = 1) -> int:
        """Reserve ``n`` consecutive counts for ``apid`` and return the first."""
        first = self.next_count.get(apid, 0)
        self.next_count[apid] = (first + n) % SEQUENCE_MODULO
        return first


def packetize(
    apid: int,
    payload: bytes | bytearray | memoryview,
    coarse: int,
    fine: int,
    counters: SequenceCounters,
    flags: int = 0,
    max_segment_payload: int = MAX_SEGMENT_PAYLOAD,
) -> list[bytes]:
    """Encode a payload as one packet, or as a segment group when it is too large.

    Every segment repeats the secondary header; the payloads concatenate (ICD 2).

    Parameters
    ----------
    apid : int
        Application process identifier.
    payload : bytes-like
        The whole payload, any length.
    coarse, fine : int
        Instrument clock time of the payload.
    counters : SequenceCounters
        Sequence counters of the stream; advanced by the number of packets written.
    flags : int
        Secondary-header flags.
    max_segment_payload : int
        Largest payload per packet (default 65,000 bytes).

    Returns
    -------
    list of bytes
        The packets in stream order.
    """
    if not 1 <= max_segment_payload <= MAX_PACKET_PAYLOAD:
        raise ValueError(
            f"max_segment_payload {max_segment_payload} out of 1..{MAX_PACKET_PAYLOAD}")
    view = memoryview(bytes(payload))
    if len(view) <= max_segment_payload:
        seq = counters.take(apid)
        return [encode_packet(apid, seq, view, coarse, fine, flags, SEQ_UNSEGMENTED)]
    pieces = [view[i : i + max_segment_payload] for i in range(0, len(view), max_segment_payload)]
    first = counters.take(apid, len(pieces))
    out = []
    for k, piece in enumerate(pieces):
        sf = SEQ_FIRST if k == 0 else (SEQ_LAST if k == len(pieces) - 1 else SEQ_CONTINUATION)
        out.append(encode_packet(apid, first + k, piece, coarse, fine, flags, sf))
    return out


def encode_fixed_packets(
    apid: int,
    first_sequence_count: int,
    payloads: np.ndarray,
    coarse: np.ndarray,
    fine: np.ndarray,
    flags: int = 0,
) -> np.ndarray:
    """Encode many unsegmented packets of one APID and equal payload size at once.

    Parameters
    ----------
    apid : int
        Application process identifier.
    first_sequence_count : int
        Sequence count of the first packet; the rest follow, modulo 16384.
    payloads : numpy.ndarray
        uint8, shape (n, payload_bytes).
    coarse, fine : numpy.ndarray
        Instrument clock per packet, shape (n,).
    flags : int
        Secondary-header flags of every packet.

    Returns
    -------
    numpy.ndarray
        uint8, shape (n, payload_bytes + PACKET_OVERHEAD): the packets, one per row.
    """
    payloads = np.ascontiguousarray(payloads, dtype=np.uint8)
    n, size = payloads.shape
    if size > MAX_PACKET_PAYLOAD:
        raise ValueError(f"payload of {size} bytes exceeds one packet")
    out = np.empty((n, size + PACKET_OVERHEAD), dtype=np.uint8)
    out[:, :SYNC_LEN] = np.frombuffer(SYNC_MARKER, np.uint8)
    word0 = (1 << 11) | apid
    seq = (first_sequence_count + np.arange(n, dtype=np.int64)) % SEQUENCE_MODULO
    word1 = (SEQ_UNSEGMENTED << 14) | seq
    dl = SECONDARY_HEADER_LEN + size + CRC_LEN - 1
    hdr = np.empty(n, dtype=np.dtype([("w0", ">u2"), ("w1", ">u2"), ("dl", ">u2"),
                                      ("coarse", ">u4"), ("fine", ">u4"), ("flags", ">u2")]))
    hdr["w0"] = word0
    hdr["w1"] = word1
    hdr["dl"] = dl
    hdr["coarse"] = np.asarray(coarse, dtype=np.int64) & 0xFFFFFFFF
    hdr["fine"] = np.asarray(fine, dtype=np.int64) & 0xFFFFFFFF
    hdr["flags"] = flags
    out[:, SYNC_LEN : SYNC_LEN + 16] = hdr.view(np.uint8).reshape(n, 16)
    out[:, SYNC_LEN + 16 : SYNC_LEN + 16 + size] = payloads
    flat = out.reshape(-1)
    row = size + PACKET_OVERHEAD
    starts = np.arange(n, dtype=np.int64) * row + SYNC_LEN
    ends = starts + 16 + size
    crcs = np.empty(n, dtype=np.int64)
    crc16_many_kernel(flat, starts, ends, CRC16_TABLES, crcs)
    out[:, -2] = (crcs >> 8).astype(np.uint8)
    out[:, -1] = (crcs & 0xFF).astype(np.uint8)
    return out


def segment_path(directory: str | os.PathLike[str], prefix: str, number: int) -> Path:
    """Path of segment ``number`` of a stream, e.g. ``sar/SAR_000003.dat``."""
    return Path(directory) / f"{prefix}{number:0{SEGMENT_DIGITS}d}{SEGMENT_SUFFIX}"


class SegmentWriter:
    """Write a byte stream into segment files of a fixed size, cut anywhere (ICD 1).

    Parameters
    ----------
    directory : path-like
        Folder of the stream's segment files (created if missing).
    prefix : str
        File-name prefix, e.g. ``"SAR_"``.
    segment_bytes : int
        Size at which a segment file is cut; the last one may be shorter.

    Notes
    -----
    Each segment is written to a temporary name and renamed when it is complete, so an
    interrupted writer never leaves a segment that looks whole.
    """

    def __init__(self, directory: str | os.PathLike[str], prefix: str, segment_bytes: int):
        if segment_bytes < 1:
            raise ValueError("segment_bytes must be positive")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.segment_bytes = int(segment_bytes)
        self.paths: list[Path] = []
        self.bytes_written = 0
        self._number = 0
        self._fh: BinaryIO | None = None
        self._fill = 0

    def _open(self) -> None:
        path = segment_path(self.directory, self.prefix, self._number)
        self._tmp = path.with_name(path.name + ".part")
        self._fh = open(self._tmp, "wb")  # noqa: SIM115
        self._fill = 0

    def _close_segment(self) -> None:
        if self._fh is None:
            return
        self._fh.close()
        final = segment_path(self.directory, self.prefix, self._number)
        os.replace(self._tmp, final)
        self.paths.append(final)
        self._fh = None
        self._number += 1

    def write(self, data: bytes | bytearray | memoryview | np.ndarray) -> None:
        """Append bytes to the stream, cutting segment files as they fill."""
        view = (np.ascontiguousarray(data).view(np.uint8).reshape(-1).data
                if isinstance(data, np.ndarray) else memoryview(data))
        pos = 0
        while pos < len(view):
            if self._fh is None:
                self._open()
            room = self.segment_bytes - self._fill
            take = min(room, len(view) - pos)
            assert self._fh is not None
            self._fh.write(view[pos : pos + take])
            self._fill += take
            pos += take
            if self._fill == self.segment_bytes:
                self._close_segment()
        self.bytes_written += len(view)

    def close(self) -> list[Path]:
        """Finish the last segment and return the paths of all segment files."""
        self._close_segment()
        return self.paths

    def __enter__(self) -> SegmentWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_stream(
    packets: Iterable[bytes], directory: str | os.PathLike[str], prefix: str, segment_bytes: int
) -> list[Path]:
    """Write packets back to back into segment files; return the segment paths."""
    with SegmentWriter(directory, prefix, segment_bytes) as writer:
        for pkt in packets:
            writer.write(pkt)
    return writer.paths


def iter_segment_numbers(directory: Path, prefix: str,
                         root: Path | None = None) -> Iterator[tuple[int, Path]]:
    """Yield ``(number, path)`` of a stream's segment files in ascending number.

    With ``root``, a segment file that resolves outside it (a symbolic link out of the
    dump) is not yielded, nor one whose number exceeds :data:`MAX_SEGMENT_NUMBER`;
    :func:`scan_segments` also lists those.
    """
    yield from scan_segments(directory, prefix, root)[0]


#: Largest segment file number read (the ICD's names have six digits).
MAX_SEGMENT_NUMBER = 10**12 - 1


def scan_segments(directory: Path, prefix: str, root: Path | None = None
                  ) -> tuple[list[tuple[int, Path]], list[tuple[Path, str]]]:
    """A stream's segment files in one pass of the folder.

    Returns
    -------
    accepted : list of (int, pathlib.Path)
        ``(number, path)`` in ascending number.
    refused : list of (pathlib.Path, str)
        Files not to read, with why: one that resolves outside ``root`` (a link out of
        the dump) or whose number exceeds :data:`MAX_SEGMENT_NUMBER`.
    """
    if not directory.is_dir():
        return [], []
    base = root.resolve() if root is not None else None
    found: list[tuple[int, Path]] = []
    refused: list[tuple[Path, str]] = []
    for entry in directory.iterdir():
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(SEGMENT_SUFFIX)):
            continue
        digits = name[len(prefix) : -len(SEGMENT_SUFFIX)]
        if digits.isdigit() and digits.isascii() and entry.is_file():
            target = entry.resolve()
            if base is not None and base not in target.parents:
                refused.append((entry, f"resolves outside the dump ({target})"))
            elif len(digits) > len(str(MAX_SEGMENT_NUMBER)):
                refused.append((entry, f"segment number beyond {MAX_SEGMENT_NUMBER}"))
            else:
                found.append((int(digits), entry))
    return sorted(found), sorted(refused)
