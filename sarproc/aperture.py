"""Each pixel's aperture: the run of pulses exact backprojection sums for it.

A pulse sees a pixel when its squint is inside the integration angle and, with the
antenna pattern compensated, its one-way gain there is at least the limit; both tests as
:mod:`sarproc.backprojection` makes them. The fast path (:mod:`sarproc.ffbp`) ends each
pixel's aperture exactly there.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from sarproc.backprojection import beam_constants


@nb.njit(cache=True, nogil=True, inline="always")
def _below(apc: np.ndarray, track: np.ndarray, k: int, x: float, y: float, z: float,
           thr: float, strict: bool) -> bool:
    """Whether pulse ``k`` sees ``(x, y, z)`` at a sine of squint below ``thr``."""
    dx, dy, dz = x - apc[k, 0], y - apc[k, 1], z - apc[k, 2]
    s = (dx * track[k, 0] + dy * track[k, 1] + dz * track[k, 2]) / np.sqrt(
        dx * dx + dy * dy + dz * dz)
    return s < thr if strict else s <= thr


@nb.njit(cache=True, nogil=True, inline="always")
def _first_below(apc: np.ndarray, track: np.ndarray, x: float, y: float, z: float,
                 thr: float, strict: bool, lo: int, hi: int) -> int:
    """The first pulse in ``[lo, hi)`` below ``thr`` (:func:`_below`), or ``hi``."""
    while lo < hi:
        mid = (lo + hi) // 2
        if _below(apc, track, mid, x, y, z, thr, strict):
            hi = mid
        else:
            lo = mid + 1
    return lo


@nb.njit(cache=True, nogil=True, inline="always")
def _first_below_near(apc: np.ndarray, track: np.ndarray, x: float, y: float, z: float,
                      thr: float, strict: bool, guess: int, reach: int) -> int:
    """:func:`_first_below` over all pulses, searched first within ``reach`` of ``guess``."""
    n = apc.shape[0]
    lo, hi = min(max(guess - reach, 0), n), min(max(guess + reach, 0), n)
    k = _first_below(apc, track, x, y, z, thr, strict, lo, hi)
    if k == lo and lo > 0 and _below(apc, track, lo - 1, x, y, z, thr, strict):
        k = _first_below(apc, track, x, y, z, thr, strict, 0, lo)
    elif k == hi and hi < n:
        k = _first_below(apc, track, x, y, z, thr, strict, hi, n)
    return k


@nb.njit(cache=True, nogil=True, inline="always")
def _sinc64(u: float) -> float:
    """``sin(pi u) / (pi u)`` inside the first nulls, 0 beyond (as the kernels' series)."""
    if u == 0.0:
        return 1.0
    if abs(u) >= 1.0:
        return 0.0
    return np.sin(np.pi * u) / (np.pi * u)


@nb.njit(cache=True, nogil=True, inline="always")
def _gain(apc: np.ndarray, axes: np.ndarray, k: int, x: float, y: float, z: float,
          ka: float, ke: float) -> float:
    """One-way power pattern of pulse ``k`` towards ``(x, y, z)`` (0 behind the antenna).

    The pattern of :func:`sarproc.backprojection.pulse_weights`, in double precision.
    """
    dx, dy, dz = x - apc[k, 0], y - apc[k, 1], z - apc[k, 2]
    wb = dx * axes[k, 0, 0] + dy * axes[k, 0, 1] + dz * axes[k, 0, 2]
    if wb <= 0.0:
        return 0.0
    ua = ka * np.arctan((dx * axes[k, 1, 0] + dy * axes[k, 1, 1] + dz * axes[k, 1, 2]) / wb)
    ue = ke * np.arctan((dx * axes[k, 2, 0] + dy * axes[k, 2, 1] + dz * axes[k, 2, 2]) / wb)
    ga = _sinc64(ua)
    ge = _sinc64(ue)
    return ga * ga * ge * ge


@nb.njit(cache=True, nogil=True, inline="always")
def _gain_ends(apc: np.ndarray, axes: np.ndarray, x: float, y: float, z: float, ka: float,
               ke: float, min_gain: float, lo: int, hi: int) -> tuple[int, int]:
    """The run of pulses in ``[lo, hi]`` at or above ``min_gain`` (``hi < lo``: none).

    The pattern has one maximum along the pulses, where the point crosses the plane of
    the antenna's boresight and elevation axes (bisection on the side of it, which
    changes once as the antenna flies by), and no side lobes (the kernels' sinc is 0
    past its first nulls): bisection either side of it.
    """

    def side(k: int) -> float:
        return ((x - apc[k, 0]) * axes[k, 1, 0] + (y - apc[k, 1]) * axes[k, 1, 1]
                + (z - apc[k, 2]) * axes[k, 1, 2])

    s_lo = side(lo)
    if (s_lo > 0.0) == (side(hi) > 0.0):  # not crossed inside: the nearer end
        top = lo if _gain(apc, axes, lo, x, y, z, ka, ke) >= _gain(apc, axes, hi, x, y, z,
                                                                    ka, ke) else hi
    else:
        a, b = lo, hi  # the first pulse on the far side
        while a < b:
            m = (a + b) // 2
            if (side(m) > 0.0) == (s_lo > 0.0):
                a = m + 1
            else:
                b = m
        top = a if a == lo or _gain(apc, axes, a, x, y, z, ka, ke) >= _gain(
            apc, axes, a - 1, x, y, z, ka, ke) else a - 1
    g_top = _gain(apc, axes, top, x, y, z, ka, ke)
    if g_top < min_gain:
        return lo, lo - 1
    a, b = lo, top  # the first pulse at or above the limit
    while a < b:
        m = (a + b) // 2
        if _gain(apc, axes, m, x, y, z, ka, ke) >= min_gain:
            b = m
        else:
            a = m + 1
    first = a
    a, b = top, hi  # the last
    while a < b:
        m = (a + b + 1) // 2
        if _gain(apc, axes, m, x, y, z, ka, ke) >= min_gain:
            a = m
        else:
            b = m - 1
    return first, a


@nb.njit(cache=True, nogil=True, parallel=True)
def aperture_bounds(apc: np.ndarray, track: np.ndarray, centre: np.ndarray,
                    offset: np.ndarray, half_diag: np.ndarray, sin_half: float,
                    axes: np.ndarray, beam_az: float, beam_el: float, min_gain: float,
                    first: np.ndarray, last: np.ndarray) -> None:
    """First and last pulse that see each pixel inside the integration angle and beam.

    Parameters
    ----------
    apc, track : ndarray, shape (pulses, 3)
        Antenna phase centres (ECEF, m) and unit reference-track directions.
    centre, offset, half_diag : ndarray
        Sub-tiles as :func:`sarproc.backprojection.subtiles` lays them out: pixel ``i``
        of sub-tile ``t`` is ``centre[t] + offset[t, i]``.
    sin_half : float
        Sine of half the integration angle.
    axes : ndarray, shape (pulses, 3, 3)
        Antenna boresight, azimuth and elevation axes.
    beam_az, beam_el : float
        Half-power beamwidths (rad); ``beam_az = 0`` means no pattern test.
    min_gain : float
        Lowest one-way power gain at which a pulse sees a pixel.
    first, last : ndarray of int, shape (tiles, pixels)
        Filled with each pixel's first and last pulse.

    Notes
    -----
    Pulse ``k`` sees it inside the angle when
    ``|s| <= sin_half``, ``s`` the sine of squint along ``track[k]`` from ``apc[k]``,
    and, with an antenna pattern (``beam_az > 0``), when its one-way power gain there is
    at least ``min_gain`` (the tests of exact backprojection). The squint falls as the
    antenna flies on and the gain has one maximum, so the aperture is the run ``first[t,
    i] .. last[t, i]`` (empty when ``last < first``), found by bisection. The gain only
    where it can end the run: a sub-tile (``half_diag`` its half-diagonal) keeps the
    angle's ends when its centre sees the ends of its pixels' runs above the limit by
    more than the gain can change across it (``exp(slope * 1.5 h / r)``, ``slope`` 1.5
    times the largest logarithmic derivative of the pattern above the limit).
    """
    n_t, n_i = offset.shape[0], offset.shape[1]
    n = apc.shape[0]
    ka, ke = beam_constants(beam_az, beam_el)
    # where one factor alone falls to the limit, sinc(u)^2 = min_gain (bisection on u)
    a_u, b_u = 0.0, 1.0
    for _ in range(60):
        m_u = 0.5 * (a_u + b_u)
        if _sinc64(m_u) ** 2 >= min_gain:
            a_u = m_u
        else:
            b_u = m_u
    u_s = max(a_u, 1e-6)
    slope = 1.5 * 2.0 * max(ka, ke) * (np.pi * abs(np.cos(np.pi * u_s) / np.sin(np.pi * u_s))
                                       + 1.0 / u_s)
    for t in nb.prange(n_t):
        cx, cy, cz = centre[t, 0], centre[t, 1], centre[t, 2]
        g0 = _first_below(apc, track, cx, cy, cz, sin_half, False, 0, n)
        g1 = _first_below(apc, track, cx, cy, cz, -sin_half, True, 0, n)
        lo_t, hi_t = n, -1
        for i in range(n_i):
            x = cx + offset[t, i, 0]
            y = cy + offset[t, i, 1]
            z = cz + offset[t, i, 2]
            g0 = _first_below_near(apc, track, x, y, z, sin_half, False, g0, 8)
            g1 = _first_below_near(apc, track, x, y, z, -sin_half, True, g1, 8)
            first[t, i] = g0
            last[t, i] = g1 - 1
            lo_t = min(lo_t, g0)
            hi_t = max(hi_t, g1 - 1)
        if ka == 0.0 or hi_t < lo_t:
            continue
        r_c = min(np.sqrt((cx - apc[lo_t, 0]) ** 2 + (cy - apc[lo_t, 1]) ** 2
                          + (cz - apc[lo_t, 2]) ** 2),
                  np.sqrt((cx - apc[hi_t, 0]) ** 2 + (cy - apc[hi_t, 1]) ** 2
                          + (cz - apc[hi_t, 2]) ** 2))
        margin = np.exp(min(slope * 1.5 * half_diag[t] / max(r_c, 1.0), 50.0))
        if min(_gain(apc, axes, lo_t, cx, cy, cz, ka, ke),
               _gain(apc, axes, hi_t, cx, cy, cz, ka, ke)) >= margin * min_gain:
            continue
        for i in range(n_i):
            if last[t, i] < first[t, i]:
                continue
            x = cx + offset[t, i, 0]
            y = cy + offset[t, i, 1]
            z = cz + offset[t, i, 2]
            f, e = _gain_ends(apc, axes, x, y, z, ka, ke, min_gain, first[t, i], last[t, i])
            first[t, i] = f
            last[t, i] = e
