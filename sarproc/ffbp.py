"""Factorised backprojection: the fast path (``sar.algorithm: ffbp``).

The pulses are split into subapertures ("leaves") of ``L`` consecutive pulses (Ulander,
Hellsten & Stenstrom, IEEE TAES 39(3), 2003, one factorisation level). Each leaf is
backprojected exactly (the kernel of exact backprojection: moving antenna, antenna
pattern, band-limited range interpolation, and each pulse weighted by the azimuth
window's formula continued smoothly past the aperture's edges) onto a polar grid on the
ground, centred on the leaf's mean phase centre ``C`` with its own line of flight ``t``
(the phase centres' principal direction): range ``rho = |X - C|`` and direction cosine
``alpha = (X - C).t / rho``. The ground is the tile's (:mod:`sarproc.ground`): level at
the pixels' height, or the pixels' heights on a DEM. The weights of a leaf's pulses are a
parabola in their position along it (leaves shortened where the aperture is short,
:func:`leaf_size`). With the carrier of the leaf centre, ``exp(j 4 pi fc rho / c)``,
removed, the polar image is band-limited: in ``alpha`` to about ``L dx / lambda`` cycles
(and the antenna pattern's and window's own scales), in ``rho`` to the range bandwidth,
and it is sampled ``oversample`` times finer than those Nyquist spacings.

The leaf keeps its prefix images: image ``m`` sums its first ``m + 1`` pulses, all on
the same grid (a part of the leaf has no more bandwidth than the whole). A pixel's
aperture is the run of pulses ``first .. last`` that see it inside the integration
angle and above the antenna's gain limit (:func:`sarproc.aperture.aperture_bounds`, the
tests exact backprojection makes, pulse by pulse at the aperture's ends); a leaf inside
it adds its last prefix image, one that straddles an end adds the difference of two
prefix images, interpolated (Keys cubic) at the pixel with the carrier put back. So the
aperture ends exactly where exact backprojection ends it, and the work per pixel drops
from about ``N`` pulses to ``N / L + 2`` interpolations. The difference from exact
backprojection is measured in the tests and benchmarks.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numba as nb
import numpy as np

from flightlog.constants import C_LIGHT_M_S
from sarproc._f32math import F32, HALF, ONE, ZERO, sincos_cycles
from sarproc.backprojection import (
    expansion_phase,
    pulse_constants,
    pulse_weights,
    subtile_pulses,
    subtile_scratch,
    subtile_work,
    subtiles,
)
from sarproc.ground import Terrain, surface_points
from sarproc.windows import parse_window, window_weights


@nb.njit(cache=True, nogil=True, parallel=True, fastmath=True)
def prefix_tiles_kernel(up: np.ndarray, tau0: np.ndarray, fs_up: float, apc: np.ndarray,
                        vel: np.ndarray, track: np.ndarray, fc: float, centre: np.ndarray,
                        offset: np.ndarray, half_diag: np.ndarray, sin_reach: float,
                        win_table: np.ndarray, axes: np.ndarray, beam_az: float,
                        beam_el: float, min_gain: float, u: np.ndarray, rho: np.ndarray,
                        size_r: int, size_a: int, n_cols: int, keep: np.ndarray,
                        out: np.ndarray) -> None:
    """A leaf's prefix images on its polar grid: ``out[m, r, a]`` sums pulses ``0 .. m``.

    Parameters
    ----------
    up, tau0, fs_up, apc, vel, track, fc
        The leaf's pulses: the fields of :class:`sarproc.focusers.PulseBlock`, in order.
    centre, offset, half_diag : ndarray
        The polar grid's points as sub-tiles (:func:`sarproc.backprojection.subtiles`).
    sin_reach : float
        Bound on the sine of squint of any pulse at any sample.
    win_table : ndarray
        Window samples over the sine of squint.
    axes : ndarray, shape (pulses, 3, 3)
        Antenna axes.
    beam_az, beam_el : float
        Half-power beamwidths (rad); ``beam_az = 0`` means no pattern.
    min_gain : float
        Lowest one-way power gain kept.
    u : ndarray, shape (pulses,)
        Each pulse's position along the leaf, the variable of the weights' parabola.
    rho : ndarray
        Range of each grid sample (m), whose carrier is taken off.
    size_r, size_a, n_cols : int
        Sub-tile size in samples and sub-tiles per grid row.
    keep : ndarray of bool
        Columns that get every prefix image; the others get the last (the whole leaf)
        alone.
    out : ndarray of complex64, shape (pulses, range, columns)
        Filled with the prefix images.

    Notes
    -----
    The grid points are sub-tiles of ``size_r x size_a`` samples (``centre``,
    ``offset``, ``half_diag`` of :func:`sarproc.backprojection.subtiles`, ``n_cols``
    sub-tiles a row), backprojected as exact backprojection does
    (:func:`sarproc.backprojection.subtile_pulses`) with the carrier of the sample's
    range ``rho`` taken off. The window and antenna-pattern weight of a pulse at a
    sample (:func:`sarproc.backprojection.pulse_weights`, ``sin_reach`` bounding the
    squint) is the parabola through its values at the leaf's first, middle and last
    pulses: the weights change smoothly across a leaf (by about the leaf's angle over
    the beam's and window's widths), so the error is third order in that ratio, and
    the pulses are summed without per-sample pattern or window (Abel summation:
    ``sum_{k<=m} k s_k = m P_m - sum_{j<m} P_j`` and ``sum k^2 s_k = m^2 P_m -
    sum_{j<m} (2 j + 1) P_j`` from the prefix sums ``P``).
    """
    n_t, n_i = offset.shape[0], offset.shape[1]
    n_p = up.shape[0]
    kcyc = 2.0 * fc / C_LIGHT_M_S
    table, _, ka, ke = pulse_constants(win_table, beam_az, beam_el)
    flat = np.ones(2, np.float32)
    for t in nb.prange(n_t):
        work, kix, vab, acc = subtile_scratch(offset[t])
        # per sample: the weight's polynomial in the pulse index (a, b, c), then the sums
        # of P_j and of (2 j + 1) P_j over the pulses so far (real, imaginary)
        wts = np.zeros((7, n_i), np.float32)
        k_end = n_p - 1
        k_mid = 0  # the pulse nearest the middle of the leaf
        for k in range(n_p):
            if abs(u[k] - 0.5 * u[k_end]) < abs(u[k_mid] - 0.5 * u[k_end]):
                k_mid = k
        u_end, u_mid = u[k_end] - u[0], u[k_mid] - u[0]
        for e in range(3):
            p = 0 if e == 0 else (k_end if e == 1 else k_mid)
            wx = centre[t, 0] - apc[p, 0]
            wy = centre[t, 1] - apc[p, 1]
            wz = centre[t, 2] - apc[p, 2]
            r = np.sqrt(wx * wx + wy * wy + wz * wz)
            sc = (wx * track[p, 0] + wy * track[p, 1] + wz * track[p, 2]) / r
            # the pattern divided out below the gain limit too (to a quarter of it), so
            # that the weights stay smooth where the aperture ends at the limit
            pulse_weights(wx, wy, wz, r, sc, p, track, axes, sin_reach, table, ka, ke,
                          0.25 * min_gain, work, wts[e])
        for i in range(n_i):
            w0, w1, wm = float(wts[0, i]), float(wts[1, i]), float(wts[2, i])
            if n_p < 3 or u_mid <= 0.0 or u_mid >= u_end:  # a straight line (or a constant)
                wts[1, i] = (w1 - w0) / u_end if n_p > 1 and u_end > 0.0 else 0.0
                wts[2, i] = 0.0
                continue
            # the parabola through (0, w0), (u_mid, wm), (u_end, w1)
            d0 = w0 / (u_mid * u_end)
            dm = wm / (u_mid * (u_mid - u_end))
            d1 = w1 / (u_end * (u_end - u_mid))
            wts[1, i] = -d0 * (u_mid + u_end) - dm * u_end - d1 * u_mid
            wts[2, i] = d0 + dm + d1
        r0, a0 = (t // n_cols) * size_r, (t % n_cols) * size_a
        store = np.any(keep[a0 : a0 + size_a])
        car = np.empty((2, n_i), np.float32)  # the carrier taken off, per sample
        for q in range(size_r):
            c = kcyc * rho[min(r0 + q, rho.size - 1)]
            sn, cs = sincos_cycles(F32(c - np.rint(c)))
            for k in range(size_a):
                car[0, q * size_a + k], car[1, q * size_a + k] = cs, -sn
        # the sub-tile's prefix images, written out to the planes row by row at the end
        buf = np.empty((n_p if store else 1, n_i), np.complex64)
        for p in range(n_p):
            # unweighted (the weights come from the parabola): no squint limit (a sine of
            # 4), a flat window and no pattern, which is the kernel's plain path
            subtile_pulses(up, tau0, fs_up, apc, vel, track, fc, centre[t], half_diag[t], p,
                           p + 1, 4.0, flat, True, axes, 0.0, 0.0, 0.0, work, kix, vab, acc)
            # the position and the steps to the next pulse's (u_{p+1} - u_p, and of u^2)
            up_ = u[p] - u[0]
            un_ = u[min(p + 1, n_p - 1)] - u[0]
            fp, f1, fq = F32(up_), F32(un_ - up_), F32(un_ * un_ - up_ * up_)
            if p < n_p - 1 and not store:
                for i in range(n_i):
                    pr, pi = acc[0, i], acc[1, i]
                    wts[3, i] += f1 * pr
                    wts[4, i] += f1 * pi
                    wts[5, i] += fq * pr
                    wts[6, i] += fq * pi
                continue
            line = buf[p if store else 0]
            fp2 = fp * fp
            for i in range(n_i):
                pr, pi = acc[0, i], acc[1, i]
                # sum_k (a + b k + c k^2) s_k = a P + b (p P - Q) + c (p^2 P - R)
                vr = (wts[0, i] * pr + wts[1, i] * (fp * pr - wts[3, i])
                      + wts[2, i] * (fp2 * pr - wts[5, i]))
                vi = (wts[0, i] * pi + wts[1, i] * (fp * pi - wts[4, i])
                      + wts[2, i] * (fp2 * pi - wts[6, i]))
                wts[3, i] += f1 * pr
                wts[4, i] += f1 * pi
                wts[5, i] += fq * pr
                wts[6, i] += fq * pi
                line[i] = complex(vr * car[0, i] - vi * car[1, i],
                                  vr * car[1, i] + vi * car[0, i])
        for m in range(buf.shape[0]):
            plane = out[m if store else n_p - 1]
            for q in range(size_r):
                row = plane[r0 + q]
                for k in range(size_a):
                    row[a0 + k] = buf[m, q * size_a + k]


@nb.njit(cache=True, nogil=True, inline="always", fastmath=True)
def _cubic(g: np.ndarray, ri: int, ai: int, tap: np.ndarray, i: int) -> tuple[np.float32,
                                                                             np.float32]:
    """Keys cubic interpolation of plane ``g`` from ``g[ri, ai]``; weights in ``tap``."""
    vr = ZERO
    vi = ZERO
    for q in range(4):
        kq = tap[6 + q, i]
        z0 = g[ri, ai + q]
        z1 = g[ri + 1, ai + q]
        z2 = g[ri + 2, ai + q]
        z3 = g[ri + 3, ai + q]
        vr += kq * (tap[2, i] * z0.real + tap[3, i] * z1.real
                    + tap[4, i] * z2.real + tap[5, i] * z3.real)
        vi += kq * (tap[2, i] * z0.imag + tap[3, i] * z1.imag
                    + tap[4, i] * z2.imag + tap[5, i] * z3.imag)
    return vr, vi


@nb.njit(cache=True, nogil=True, parallel=True, fastmath=True)
def leaf_tiles_kernel(planes: np.ndarray, n_rows: np.ndarray, n_cols: np.ndarray,
                      rho0: np.ndarray, alpha0: np.ndarray, d_rho: float,
                      d_alpha: np.ndarray, centres: np.ndarray, sub_axes: np.ndarray,
                      starts: np.ndarray, counts: np.ndarray, tile_centre: np.ndarray,
                      offset: np.ndarray, first: np.ndarray, last: np.ndarray,
                      lo_t: np.ndarray, hi_t: np.ndarray, first_hi: np.ndarray,
                      last_lo: np.ndarray, fc: float, out: np.ndarray) -> None:
    """The final stage of :func:`ffbp_block` for a group of leaves, on sub-tiles.

    Parameters
    ----------
    planes : ndarray of complex64
        Each leaf's prefix images (:func:`prefix_tiles_kernel`).
    n_rows, n_cols, rho0, alpha0 : ndarray, shape (leaves,)
        Each leaf's polar grid: its size and its first sample's range (m) and direction
        cosine.
    d_rho : float
        Range spacing of every leaf's grid (m).
    d_alpha : ndarray, shape (leaves,)
        Direction-cosine spacing of each leaf's grid.
    centres, sub_axes : ndarray, shape (leaves, 3)
        Each leaf's grid origin (ECEF, m) and unit axis.
    starts, counts : ndarray of int, shape (leaves,)
        Each leaf's first block pulse and number of pulses.
    tile_centre, offset : ndarray
        The image's sub-tiles (:func:`sarproc.backprojection.subtiles`).
    first, last : ndarray of int, shape (tiles, pixels)
        Each pixel's aperture in block pulses.
    lo_t, hi_t, first_hi, last_lo : ndarray of int, shape (tiles,)
        Per sub-tile: ``lo_t`` .. ``first_hi`` bound its apertures' starts and
        ``last_lo`` .. ``hi_t`` their ends.
    fc : float
        Carrier frequency (Hz).
    out : ndarray of complex64, shape (tiles, pixels)
        Added into.

    Notes
    -----
    ``planes[j]`` holds leaf ``j``'s prefix images (:func:`prefix_tiles_kernel`) of the
    block's pulses from ``starts[j]`` (``counts[j]`` of them); its polar grid has
    ``n_rows[j] x n_cols[j]`` samples from ``(rho0[j], alpha0[j])`` by ``(d_rho,
    d_alpha[j])`` about ``centres[j]`` and ``sub_axes[j]``. Pixel ``i`` of sub-tile
    ``t`` is ``tile_centre[t] + offset[t, i]``, its range expanded about the sub-tile's
    centre; with aperture ``first .. last`` (block pulses) it adds the prefix image of
    the aperture's part in the leaf less the one before it, by Keys cubic interpolation,
    the carrier put back. ``lo_t`` .. ``first_hi`` and ``last_lo`` .. ``hi_t`` bound a
    sub-tile's aperture starts and ends. Adds into ``out[t, i]``. Single precision; per
    leaf three loops: geometry and weights (vectorised), the complex taps (scalar
    loads), rotation and accumulation.
    """
    n_t, n_i = offset.shape[0], offset.shape[1]
    n_leaf = planes.shape[0]
    kcyc = 2.0 * fc / C_LIGHT_M_S
    for t in nb.prange(n_t):
        work = np.empty((7, n_i), np.float32)
        subtile_work(offset[t], work)
        ox, oy, oz, dd = work[0], work[1], work[2], work[3]
        # per pixel: row and column bases, cubic weights (4 + 4), phase, weight, value (2)
        tap = np.empty((14, n_i), np.float32)
        plane = np.empty((2, n_i), np.int32)
        acc = np.zeros((2, n_i), np.float32)
        for j in range(n_leaf):
            p0 = starts[j]
            p1 = p0 + counts[j] - 1
            if hi_t[t] < p0 or lo_t[t] > p1:
                continue
            wx = tile_centre[t, 0] - centres[j, 0]
            wy = tile_centre[t, 1] - centres[j, 1]
            wz = tile_centre[t, 2] - centres[j, 2]
            r = np.sqrt(wx * wx + wy * wy + wz * wz)
            ac = (wx * sub_axes[j, 0] + wy * sub_axes[j, 1] + wz * sub_axes[j, 2]) / r
            cyc = kcyc * r
            fux, fuy, fuz = F32(wx / r), F32(wy / r), F32(wz / r)
            fax, fay, faz = F32(sub_axes[j, 0]), F32(sub_axes[j, 1]), F32(sub_axes[j, 2])
            hir, hi2, fr_c = F32(0.5 / r), F32(0.5 / (r * r)), F32(r)
            wa = F32(ac * r)
            r0 = F32(r - rho0[j])
            idr = F32(1.0 / d_rho)
            ida = F32(1.0 / d_alpha[j])
            a0 = F32(alpha0[j])
            phk, fk = F32(cyc - np.rint(cyc)), F32(kcyc)
            top_r, top_a = F32(n_rows[j] - 2), F32(n_cols[j] - 2)
            for i in range(n_i):
                dx, dy, dz = ox[i], oy[i], oz[i]
                du = dx * fux + dy * fuy + dz * fuz
                drho = du + (dd[i] - du * du) * (hir - du * hi2)
                al = (wa + dx * fax + dy * fay + dz * faz) / (fr_c + drho)
                fr = (r0 + drho) * idr
                fa = (al - a0) * ida
                ok = (fr >= ONE) & (fr < top_r) & (fa >= ONE) & (fa < top_a)
                rb = min(max(np.floor(fr), ONE), top_r - ONE)
                ab = min(max(np.floor(fa), ONE), top_a - ONE)
                tr = fr - rb
                ta = fa - ab
                tap[0, i] = rb
                tap[1, i] = ab
                tap[2, i] = ((-HALF * tr + ONE) * tr - HALF) * tr
                tap[3, i] = (F32(1.5) * tr - F32(2.5)) * tr * tr + ONE
                tap[4, i] = ((F32(-1.5) * tr + F32(2.0)) * tr + HALF) * tr
                tap[5, i] = (HALF * tr - HALF) * tr * tr
                tap[6, i] = ((-HALF * ta + ONE) * ta - HALF) * ta
                tap[7, i] = (F32(1.5) * ta - F32(2.5)) * ta * ta + ONE
                tap[8, i] = ((F32(-1.5) * ta + F32(2.0)) * ta + HALF) * ta
                tap[9, i] = (HALF * ta - HALF) * ta * ta
                tap[10, i] = phk + drho * fk
                tap[11, i] = F32(ok)
            g = planes[j]
            if first_hi[t] <= p0 and last_lo[t] >= p1:
                # every pixel's aperture holds the whole leaf
                gl = g[counts[j] - 1]
                for i in range(n_i):
                    vr, vi = _cubic(gl, int(tap[0, i]) - 1, int(tap[1, i]) - 1, tap, i)
                    tap[12, i] = vr
                    tap[13, i] = vi
            else:
                for i in range(n_i):
                    hi = min(last[t, i], p1) - p0
                    lo = max(first[t, i], p0) - p0 - 1
                    if hi <= lo:
                        tap[11, i] = ZERO
                        hi, lo = 0, -1
                    plane[0, i] = hi
                    plane[1, i] = lo
                for i in range(n_i):
                    ri = int(tap[0, i]) - 1
                    ai = int(tap[1, i]) - 1
                    vr, vi = _cubic(g[plane[0, i]], ri, ai, tap, i)
                    if plane[1, i] >= 0:
                        wr, wi = _cubic(g[plane[1, i]], ri, ai, tap, i)
                        vr -= wr
                        vi -= wi
                    tap[12, i] = vr
                    tap[13, i] = vi
            for i in range(n_i):
                sn, cs = sincos_cycles(tap[10, i])
                w = tap[11, i]
                vr, vi = tap[12, i] * w, tap[13, i] * w
                acc[0, i] += vr * cs - vi * sn
                acc[1, i] += vr * sn + vi * cs
        for i in range(n_i):
            out[t, i] += complex(acc[0, i], acc[1, i])


_GROUP_BYTES = 16 << 20  # prefix images held at once
#: Largest error of a leaf's parabolic window weights, relative to the window's mean
#: (-60 dB; 32-pulse leaves of the benchmark's 463-pulse aperture have 5.6e-4 with the
#: Hamming and Taylor windows).
PARABOLA_TOLERANCE = 1e-3


@lru_cache(maxsize=256)
def parabola_error(window: str, leaf: int, aperture: int) -> float:
    """The largest error of a leaf's parabolic window weights, relative to the mean.

    The window against the parabola through its values at a leaf's first, middle and
    last pulses, for a leaf of ``leaf`` pulses at any place in an aperture of
    ``aperture`` (the window continued past the aperture's ends, as the leaves weight
    their pulses).
    """
    if leaf < 3 or aperture < 2:
        return 0.0
    k = np.arange(aperture + leaf)
    w = window_weights(window, (k - 0.5 * (aperture - 1)) / aperture - 0.5 * leaf / aperture,
                       truncate=False)
    worst = 0.0
    x = np.arange(leaf, dtype=np.float64)
    m = (leaf - 1) // 2
    for s in range(0, aperture + 1, max(1, leaf // 4)):
        y = w[s : s + leaf]
        # the parabola through (0, y0), (m, ym), (leaf - 1, y1), in Lagrange form
        e = leaf - 1.0
        p = (y[0] * (x - m) * (x - e) / (m * e) + y[m] * x * (x - e) / (m * (m - e))
             + y[-1] * x * (x - m) / (e * (e - m)))
        worst = max(worst, float(np.max(np.abs(p - y))))
    return worst / max(float(np.mean(np.abs(w))), 1e-12)


def leaf_size(window: str, aperture: int, largest: int) -> int:
    """The longest leaf, at most ``largest`` pulses, within the parabola's tolerance.

    Its parabolic window weights stay within :data:`PARABOLA_TOLERANCE` over an aperture
    of ``aperture`` pulses: a short aperture (a small integration angle) needs short
    leaves.
    """
    leaf = max(int(largest), 1)
    e = parabola_error(window, leaf, int(aperture))
    if e > PARABOLA_TOLERANCE:  # the error goes as the leaf's length cubed
        leaf = max(2, int(leaf * (PARABOLA_TOLERANCE / e) ** (1 / 3)))
        while leaf > 2 and parabola_error(window, leaf, int(aperture)) > PARABOLA_TOLERANCE:
            leaf -= 1
        while (leaf < largest
               and parabola_error(window, leaf + 1, int(aperture)) <= PARABOLA_TOLERANCE):
            leaf += 1
    return leaf


class _Leaf(NamedTuple):
    """A leaf's pulses (of the block) and its polar grid."""

    pulses: slice
    centre: np.ndarray  # mean phase centre (ECEF)
    axis: np.ndarray  # reference-track direction
    rho0: float  # first range sample
    n_rho: int
    alpha0: float  # first direction-cosine sample
    n_alpha: int
    d_alpha: float


def _subtile_cosines(tile_centre: np.ndarray, half_diag: np.ndarray, c: np.ndarray,
                     t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sub-tiles' ranges from ``c``, direction cosines to ``t`` and the cosines' spread.

    The spread bounds how far a sub-tile's pixels' direction cosines stray from its
    centre's: its half-diagonal over the range, with 5 % to spare.
    """
    w = tile_centre - c
    r_t = np.linalg.norm(w, axis=1)
    return r_t, np.einsum("ij,j->i", w, t) / r_t, 1.05 * half_diag / r_t


def ffbp_block(up: np.ndarray, tau0: np.ndarray, fs_up: float, apc: np.ndarray,
               vel: np.ndarray, track: np.ndarray, fc: float, bandwidth_hz: float,
               pixels: np.ndarray, tile_centre: np.ndarray, offset: np.ndarray,
               half_diag: np.ndarray, first: np.ndarray, last: np.ndarray,
               sin_half: float, window: str, axes: np.ndarray, beam_az: float,
               beam_el: float, min_gain: float, height_m: float, out: np.ndarray,
               subaperture: int = 32, oversample: float = 4.0,
               terrain: Terrain | None = None) -> None:
    """Factorised backprojection of a block of pulses onto a tile; adds into ``out``.

    ``pixels`` (rows, cols, 3) is the tile, split into sub-tiles ``tile_centre``,
    ``offset`` and ``half_diag`` (:func:`sarproc.backprojection.subtiles`); ``first``
    and ``last`` (per sub-tile pixel, :func:`sarproc.aperture.aperture_bounds`) are each
    pixel's aperture in this block's pulses. ``out[t, i]`` receives the sums over pulses with
    the scaling of exact backprojection. The polar grids lie at ellipsoidal height
    ``height_m``, or on ``terrain`` (:func:`sarproc.ground.tile_terrain`) where the
    pixels are not level.

    Parameters
    ----------
    up, tau0, fs_up, apc, vel, track, fc
        The block's pulses, as the first seven arguments of
        :func:`sarproc.backprojection.backproject_tiles_kernel` (``up`` is its ``rc``).
    bandwidth_hz : float
        Chirp bandwidth (the polar grids' range sampling).
    pixels : numpy.ndarray
        The tile's ECEF pixels (rows, cols, 3).
    tile_centre, offset, half_diag : numpy.ndarray
        Its sub-tiles (:func:`sarproc.backprojection.subtiles`).
    first, last : numpy.ndarray
        Each pixel's first and last pulse of this block (int32, sub-tiles x pixels).
    sin_half : float
        Sine of half the integration angle.
    window : str
        Azimuth window (:func:`sarproc.windows.parse_window`).
    axes, beam_az, beam_el, min_gain
        Antenna axes per pulse, beamwidths (rad; ``beam_az`` 0: no pattern) and the least
        one-way gain a pulse may see a pixel with.
    height_m : float
        Ellipsoidal height of the polar grids on level ground.
    out : numpy.ndarray
        Accumulator (sub-tiles, pixels), complex128, added into.
    subaperture : int
        Pulses of a leaf at most (:func:`leaf_size` may shorten it).
    oversample : float
        Polar-grid oversampling.
    terrain : Terrain, optional
        The tile's terrain when it is not level.
    """
    ny, nx = pixels.shape[:2]
    edge = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1],
                           pixels[ny // 2, nx // 2][None]])
    tile_c = pixels[ny // 2, nx // 2]
    n_p = up.shape[0]
    lo_t, hi_t = first.min(axis=1), last.max(axis=1)
    first_hi, last_lo = first.max(axis=1), last.min(axis=1)
    if hi_t.max() < 0 or lo_t.min() >= n_p:
        return
    spacing = float(np.median(np.linalg.norm(np.diff(apc, axis=0), axis=1))) if n_p > 1 else 0.0
    # leaves short enough for their weights' parabola over the pixels' typical aperture
    spans = (last - first + 1)[last >= first]
    if spans.size:
        subaperture = leaf_size(window, int(np.median(spans)), subaperture)
    lam = C_LIGHT_M_S / (fc + 0.5 * bandwidth_hz)
    name, par = parse_window(window)
    harmonics = {"rect": 0, "hamming": 1}.get(name, int(par.get("nbar", 1.0)) - 1)
    d_rho = C_LIGHT_M_S / (2 * bandwidth_hz) / oversample
    specs: list[_Leaf] = []
    for s0 in range(max(0, int(lo_t.min())), min(n_p, int(hi_t.max()) + 1), subaperture):
        sl = slice(s0, min(n_p, s0 + subaperture))
        c = apc[sl].mean(axis=0)
        # the polar axis: the leaf's own line of flight (its phase centres' principal
        # direction), so that its image is nearly the same at any depression angle
        t_ref = track[(sl.start + sl.stop - 1) // 2]
        t = t_ref
        if sl.stop - sl.start > 2:
            q = apc[sl] - c
            ax = np.linalg.eigh(np.einsum("ij,ik->jk", q, q))[1][:, -1]
            t = ax if ax @ t_ref > 0 else -ax
        rel = edge - c
        rho = np.linalg.norm(rel, axis=1)
        al = np.einsum("ij,j->i", rel, t) / rho  # not BLAS: its threads spin against Numba
        if terrain is not None:
            # the pixels' ranges and direction cosines, bounded sub-tile by sub-tile (the
            # tile's edges do not bound them on terrain)
            r_t, a_t, spread = _subtile_cosines(tile_centre, half_diag, c, t)
            rho = np.concatenate([rho, r_t - half_diag, r_t + half_diag])
            al = np.concatenate([al, a_t - spread, a_t + spread])
        # the squint limit, widened by the angle between the polar axis and the track
        reach = (sin_half + subaperture * spacing / rho.min()
                 + float(np.linalg.norm(t - t_ref)))
        a_lo, a_hi = max(al.min(), -reach), min(al.max(), reach)
        if a_lo > a_hi:
            continue
        length = max(float(np.linalg.norm(apc[sl.stop - 1] - apc[sl.start])), lam)
        # alpha sampling: the subaperture's bandwidth, the antenna pattern divided out and
        # the window's highest harmonic (both applied at this level)
        d_al = min(lam / (2 * length), beam_az / 2 if beam_az > 0 else 1.0,
                   sin_half / harmonics if harmonics else 1.0) / oversample
        a_lo, a_hi = a_lo - 3 * d_al, a_hi + 3 * d_al
        r_lo, r_hi = rho.min() - 3 * d_rho, rho.max() + 3 * d_rho
        specs.append(_Leaf(sl, c, t, r_lo, int(np.ceil((r_hi - r_lo) / d_rho)) + 1, a_lo,
                           int(np.ceil((a_hi - a_lo) / d_al)) + 1, d_al))
    if not specs:
        return
    # leaf pulses are weighted by the window's formula continued past the aperture's
    # edges (smooth, so the polar images interpolate); the prefix images end the aperture
    ext_table = window_weights(window, np.linspace(-1.0, 1.0, 4001), truncate=False)
    n_r = max(leaf.n_rho for leaf in specs) + 64
    n_a = max(leaf.n_alpha for leaf in specs) + 8
    group = max(1, min(len(specs), _GROUP_BYTES // (subaperture * n_r * n_a * 8)))
    planes = np.zeros((group, subaperture, n_r, n_a), np.complex64)
    for g0 in range(0, len(specs), group):
        part = specs[g0 : g0 + group]
        for j, (sl, c, t, r_lo, nr, a_lo, na, d_al) in enumerate(part):
            side = tile_c - c
            side -= (side @ t) * t
            side /= np.linalg.norm(side)
            rho = r_lo + np.arange(nr) * d_rho
            al = a_lo + np.arange(na) * d_al
            pts = surface_points(c, t, side, rho, al, height_m, terrain)
            # sub-tiles compact on the ground: many range samples, few along alpha
            step_a = float(np.min(rho)) * d_al
            sr, sa = 64, 8
            while sa > 1 and expansion_phase(0.5 * np.hypot(sr * d_rho, sa * step_a), r_lo,
                                             lam) > 1e-3:
                sa //= 2
            while sr > 8 and expansion_phase(0.5 * np.hypot(sr * d_rho, sa * step_a), r_lo,
                                             lam) > 1e-3:
                sr //= 2
            centre, off, half, padded = subtiles(pts, (sr, sa))
            if padded[0] > n_r or padded[1] > n_a:
                raise AssertionError("ffbp: polar grid larger than its planes")
            # columns that sub-tiles with an aperture end in this leaf interpolate from
            p0, p1 = sl.start, sl.stop - 1
            ends = (((first_hi > p0) & (lo_t <= p1)) | ((hi_t >= p0) & (last_lo < p1)))
            keep = np.zeros(n_a, np.bool_)
            if ends.any():
                _, a_t, spread = _subtile_cosines(tile_centre[ends], half_diag[ends], c, t)
                c_lo = np.floor((a_t - spread - a_lo) / d_al).astype(np.int64) - 2
                c_hi = np.ceil((a_t + spread - a_lo) / d_al).astype(np.int64) + 3
                marks = np.zeros(n_a + 1, np.int64)
                np.add.at(marks, np.clip(c_lo, 0, n_a), 1)
                np.add.at(marks, np.clip(c_hi, 0, n_a), -1)
                keep = np.cumsum(marks[:-1]) > 0
            # the pulses' positions along the leaf in pulse spacings (the weights' parabola
            # is in position: a missing pulse leaves a gap in it)
            u = np.einsum("ij,j->i", apc[sl] - apc[sl.start], t) / max(spacing, 1e-9)
            prefix_tiles_kernel(up[sl], tau0[sl], fs_up, apc[sl], vel[sl], track[sl], fc,
                                centre, off, half, 2.0 * sin_half, ext_table, axes[sl],
                                beam_az, beam_el, min_gain, u, rho, sr, sa,
                                padded[1] // sa, keep, planes[j])
        leaf_tiles_kernel(planes[: len(part)], np.array([lf.n_rho for lf in part], np.int64),
                          np.array([lf.n_alpha for lf in part], np.int64),
                          np.array([lf.rho0 for lf in part]),
                          np.array([lf.alpha0 for lf in part]), d_rho,
                          np.array([lf.d_alpha for lf in part]),
                          np.ascontiguousarray([lf.centre for lf in part]),
                          np.ascontiguousarray([lf.axis for lf in part]),
                          np.array([lf.pulses.start for lf in part], np.int64),
                          np.array([lf.pulses.stop - lf.pulses.start for lf in part],
                                   np.int64), tile_centre, offset, first, last, lo_t, hi_t,
                          first_hi, last_lo, fc, out)
