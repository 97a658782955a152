"""Numba kernels that frame recorder packets in a byte buffer (ICD section 2).

Framing is split in three passes so that the expensive one runs in parallel:

1. :func:`frame_kernel` hops from packet to packet along the declared lengths, checking
   only the sync marker and the structural header fields, and scans byte by byte for the
   next plausible sync marker where the hop lands on anything else;
2. :func:`flightlog._crc.crc16_many_kernel` checks every candidate's CRC in parallel;
3. :func:`find_valid_packet` rescans, byte by byte, the bytes of a candidate whose CRC
   failed, because its length field may itself be damaged: any packet that validates
   inside them restarts the hop there, so no intact packet is skipped.

Kernels are pure functions of their arguments; slow twins live in ``tests/naive.py``.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from flightlog._crc import crc16_prefix_kernel, crc16_span

KIND_PACKET = 0  #: a structurally plausible packet, CRC not yet checked
KIND_SKIP = 1  #: bytes where no plausible packet starts (sync loss)
KIND_TAIL = 2  #: the stream ends inside a packet (only when ``final``)

_S0, _S1, _S2, _S3 = 0x1A, 0xCF, 0xFC, 0x1D
_IDLE = 0x7FF


@nb.njit(cache=True, nogil=True)
def packet_total(buf: np.ndarray, p: int, n: int) -> int:
    """Bytes of the packet whose sync marker is at ``p``, from its header.

    Returns -1 when no structurally valid packet starts at ``p`` and -2 when fewer than
    the 10 bytes needed to tell remain before ``n``. The length comes from a 16-bit field,
    so the result never exceeds 65,546.
    """
    if p + 10 > n:
        return -2
    if buf[p] != _S0 or buf[p + 1] != _S1 or buf[p + 2] != _S2 or buf[p + 3] != _S3:
        return -1
    b0 = np.int64(buf[p + 4])
    if (b0 >> 4) != 0:  # version 000 and type 0
        return -1
    sec = (b0 >> 3) & 1
    apid = ((b0 & 7) << 8) | np.int64(buf[p + 5])
    dl = ((np.int64(buf[p + 8]) << 8) | np.int64(buf[p + 9])) + 1
    if sec == 1:
        if dl < 12:
            return -1
    else:
        # Only CCSDS idle packets may lack the secondary header.
        if apid != _IDLE or dl < 2:
            return -1
    return int(10 + dl)


@nb.njit(cache=True, nogil=True)
def _is_sync_prefix(buf: np.ndarray, q: int, n: int) -> bool:
    m = min(4, n - q)
    for i in range(m):
        if buf[q + i] != (_S0, _S1, _S2, _S3)[i]:
            return False
    return m > 0


@nb.njit(cache=True, nogil=True)
def frame_kernel(
    buf: np.ndarray,
    start: int,
    n: int,
    final: bool,
    rec_start: np.ndarray,
    rec_len: np.ndarray,
    rec_kind: np.ndarray,
) -> tuple[int, int]:
    """Frame ``buf[start:n]`` into records of packets, skipped bytes and a truncated tail.

    Parameters
    ----------
    buf : numpy.ndarray
        uint8 buffer.
    start, n : int
        Framing starts at ``start`` and may not read at or past ``n``.
    final : bool
        No bytes follow ``n``: a packet cut short there is a truncated tail.
    rec_start, rec_len, rec_kind : numpy.ndarray
        int64 output arrays; their size caps the number of records.

    Returns
    -------
    n_records : int
        Records written.
    consumed : int
        Position up to which the records account for the bytes; the caller keeps
        ``buf[consumed:n]`` for the next call (fewer than 65,546 bytes unless the record
        cap was reached).
    """
    p = start
    k = 0
    cap = rec_start.size
    while k < cap and p < n:
        t = packet_total(buf, p, n)
        if t > 0:
            if p + t <= n:
                rec_start[k] = p
                rec_len[k] = t
                rec_kind[k] = KIND_PACKET
                k += 1
                p += t
                continue
            if not final:
                break
            rec_start[k] = p
            rec_len[k] = n - p
            rec_kind[k] = KIND_TAIL
            k += 1
            p = n
            break
        if t == -2:
            if not final:
                break
            rec_start[k] = p
            rec_len[k] = n - p
            rec_kind[k] = KIND_TAIL if _is_sync_prefix(buf, p, n) else KIND_SKIP
            k += 1
            p = n
            break
        # No packet at p: scan for the next plausible sync marker.
        q = p + 1
        while q < n:
            if buf[q] == _S0:
                tq = packet_total(buf, q, n)
                if tq > 0:
                    break
                if tq == -2 and (not final or _is_sync_prefix(buf, q, n)):
                    break
            q += 1
        rec_start[k] = p
        rec_len[k] = q - p
        rec_kind[k] = KIND_SKIP
        k += 1
        p = q
        if q + 10 > n and not final:
            break
    return k, p


UNDECIDED = -2  #: :func:`find_valid_packet`: a candidate runs past the bytes so far


@nb.njit(cache=True, nogil=True)
def find_valid_packet(buf: np.ndarray, lo: int, hi: int, n: int, tables: np.ndarray,
                      powers: np.ndarray, final: bool = True) -> int:
    """First position in ``[lo, hi)`` where a whole packet with a good CRC starts.

    Parameters
    ----------
    buf : ndarray of uint8
        Bytes read so far; ``buf[:n]`` are valid.
    lo, hi : int
        Range of candidate start positions.
    n : int
        Number of valid bytes in ``buf``.
    tables, powers : ndarray
        CRC-16 slicing tables and shift registers (``CRC16_TABLES``, ``CRC16_POWERS``).
    final : bool
        True when no more bytes will follow ``buf[:n]``.

    Returns
    -------
    int
        The start position; -1 when there is none and :data:`UNDECIDED` when, before any
        valid one, a structurally plausible packet starts there but ends past ``n`` while
        more bytes are to come (``final`` false): the caller must wait for them, so that
        what is found does not depend on where a read chunk ended.

    Every candidate's CRC comes from registers of the bytes from ``lo`` computed once
    (:func:`flightlog._crc.crc16_span`, with ``powers`` from ``CRC16_POWERS``), so the
    rescan costs time linear in the bytes it covers: a flood of sync markers with
    65,546-byte lengths every 10 bytes is not quadratic in the packet length.
    """
    top = min(hi, n)
    if top <= lo:
        return -1
    # Candidates starting before hi end by hi + 65,546; the prefix grows as they need it.
    prefix = np.empty(min(n, top + 65546) - lo + 1, dtype=np.int64)
    prefix[0] = 0
    filled = lo
    for q in range(lo, top):
        if buf[q] != _S0:
            continue
        t = packet_total(buf, q, n)
        if t == -2 and not final:
            return UNDECIDED
        if t <= 0:
            continue
        if q + t > n:
            if not final:
                return UNDECIDED
            continue
        if q + t > filled:
            crc16_prefix_kernel(buf, lo, filled, q + t, tables, prefix)
            filled = q + t
        crc = crc16_span(prefix, lo, q + 4, q + t - 2, powers)
        stored = (np.int64(buf[q + t - 2]) << 8) | np.int64(buf[q + t - 1])
        if crc == stored:
            return q
    return -1


@nb.njit(cache=True, nogil=True, parallel=True)
def gather_kernel(buf: np.ndarray, starts: np.ndarray, sizes: np.ndarray,
                  offsets: np.ndarray, out: np.ndarray) -> None:
    """Copy ``buf[starts[k]:starts[k]+sizes[k]]`` to ``out[offsets[k]:...]`` for every k."""
    for k in nb.prange(starts.size):
        out[offsets[k] : offsets[k] + sizes[k]] = buf[starts[k] : starts[k] + sizes[k]]
