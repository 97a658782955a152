"""Slow, obvious twins of the fast kernels: used only by the tests."""

from __future__ import annotations

SYNC = b"\x1a\xcf\xfc\x1d"


def crc16_ccitt(data: bytes) -> int:
    """Bit-by-bit CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def valid_packet_at(stream: bytes, p: int) -> int:
    """Length of a whole, structurally valid packet with a good CRC at ``p``, else 0."""
    if stream[p : p + 4] != SYNC or p + 10 > len(stream):
        return 0
    w0 = int.from_bytes(stream[p + 4 : p + 6], "big")
    version, ptype, sec, apid = w0 >> 13, (w0 >> 12) & 1, (w0 >> 11) & 1, w0 & 0x7FF
    dl = int.from_bytes(stream[p + 8 : p + 10], "big") + 1
    if version or ptype:
        return 0
    if (sec == 1 and dl < 12) or (sec == 0 and (apid != 0x7FF or dl < 2)):
        return 0
    total = 10 + dl
    if p + total > len(stream):
        return 0
    body = stream[p + 4 : p + total - 2]
    if crc16_ccitt(body) != int.from_bytes(stream[p + total - 2 : p + total], "big"):
        return 0
    return total


def frame_greedy(stream: bytes) -> list[tuple[int, int]]:
    """Every valid packet found by trying each byte offset in turn: ``(offset, length)``."""
    out = []
    p = 0
    while p < len(stream):
        n = valid_packet_at(stream, p)
        if n:
            out.append((p, n))
            p += n
        else:
            p += 1
    return out
