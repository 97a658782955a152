"""Spectral weighting windows: ``rect``, ``hamming`` and ``taylor:NBAR:SLL_DB``."""

from __future__ import annotations

import numpy as np


def parse_window(spec: str) -> tuple[str, dict[str, float]]:
    """Parse a window spec; raises ``ValueError`` naming what is wrong."""
    name, *args = spec.strip().lower().split(":")
    if name in ("rect", "hamming") and not args:
        return name, {}
    if name == "taylor" and len(args) == 2:
        nbar, sll = int(args[0]), float(args[1])
        if nbar < 1 or not 10.0 <= sll <= 120.0:
            raise ValueError(f"window {spec!r}: need n-bar >= 1 and 10 <= SLL_DB <= 120")
        return name, {"nbar": nbar, "sll": sll}
    raise ValueError(f"window {spec!r}: use rect, hamming or taylor:NBAR:SLL_DB")


def window_weights(spec: str, u: np.ndarray, truncate: bool = True) -> np.ndarray:
    """Window value at normalised positions ``u`` in [-0.5, 0.5] (0 outside).

    Taylor and Hamming are evaluated from their continuous definitions, so that they can
    be sampled at any positions (frequencies of an FFT grid, angles of pulses). With
    ``truncate=False`` the defining formula continues smoothly outside [-0.5, 0.5].
    """
    name, p = parse_window(spec)
    u = np.asarray(u, dtype=np.float64)
    inside = np.abs(u) <= 0.5
    if name == "rect":
        w = np.ones_like(u)
    elif name == "hamming":
        w = 0.54 + 0.46 * np.cos(2 * np.pi * u)
    else:
        w = _taylor(u, int(p["nbar"]), p["sll"])
    return np.where(inside, w, 0.0) if truncate else w


def _taylor(u: np.ndarray, nbar: int, sll_db: float) -> np.ndarray:
    """Continuous Taylor window (Carrara, Goodman & Majewski), peak-normalised to 1."""
    a = np.arccosh(10 ** (sll_db / 20)) / np.pi
    s2 = nbar**2 / (a**2 + (nbar - 0.5) ** 2)
    ma = np.arange(1, nbar)
    fm = np.zeros(nbar - 1)
    for mi, m in enumerate(ma):
        num = np.prod(1 - m**2 / s2 / (a**2 + (ma - 0.5) ** 2))
        den = 2 * np.prod(1 - m**2 / ma[ma != m] ** 2)
        fm[mi] = (-1) ** (m + 1) * num / den
    w = 1 + 2 * np.sum(fm[:, None] * np.cos(2 * np.pi * ma[:, None] * u.ravel()[None, :]),
                       axis=0)
    return (w / (1 + 2 * np.sum(fm))).reshape(u.shape)
