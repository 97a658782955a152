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


def crc32_novatel(data: bytes) -> int:
    """Bit-by-bit CRC-32, reflected polynomial 0xEDB88320, init 0, no final xor."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xEDB88320 if crc & 1 else crc >> 1
    return crc


def ray_ground_bisect(origin, direction, height, dem_height=None):
    """Where a ray meets the ground, by bisection on pyproj geodetic heights.

    ``dem_height(lat_deg, lon_deg)`` gives terrain height when set; otherwise the ground
    is the surface at ellipsoidal ``height``.
    """
    import numpy as np
    from pyproj import Transformer

    to_geo = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)
    o = np.asarray(origin, float)
    d = np.asarray(direction, float)
    d = d / np.linalg.norm(d)

    def f(s):
        lon, lat, h = to_geo.transform(*(o + s * d))
        ground = height if dem_height is None else dem_height(lat, lon)
        return h - ground

    lo, hi = 0.0, 1.0
    while f(hi) > 0:
        lo, hi = hi, hi * 2
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if f(mid) > 0:
            lo = mid
        else:
            hi = mid
    return o + 0.5 * (lo + hi) * d


def point_echo_reference(apc_fn, x, t_tx, tau, fc, k_rate, chirp_t):
    """Exact echo of a unit point target, sample by sample, by fixed-point iteration.

    ``apc_fn(t)`` is the true antenna phase centre (ECEF) at GPS time ``t``; returns the
    unit-amplitude samples ``s(t_e - t_tx) exp(-j 2 pi fc (t - t_e))`` at ``t_tx + tau``.
    """
    import numpy as np

    c = 299_792_458.0
    out = np.zeros(len(tau), complex)
    for i, ta in enumerate(tau):
        t = t_tx + ta
        r_rx = np.linalg.norm(x - apc_fn(t))
        d = 2 * r_rx / c
        for _ in range(30):
            d = (np.linalg.norm(x - apc_fn(t - d)) + r_rx) / c
        u = ta - d
        if abs(u) <= chirp_t / 2:
            out[i] = np.exp(1j * (np.pi * k_rate * u * u - 2 * np.pi * fc * d))
    return out
