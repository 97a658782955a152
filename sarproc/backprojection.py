"""Exact time-domain backprojection (Numba, parallel over pixels).

For every pixel ``X`` and pulse ``p`` the two-way delay is that of the moving antenna
(no stop-and-go): out along ``|X - A_p|`` from the phase centre at transmit, back along
``|X - (A_p + V_p tau)|`` to where it is at reception. The range-compressed echo is read
at that delay by band-limited interpolation (FFT upsampling, then linear between the
upsampled samples), the carrier phase ``exp(+j 2 pi f_c tau)`` is put back, and pulses
are weighted by the azimuth window over the chosen integration angle (squint measured
from the plane perpendicular to the smoothed track). A point target's pixel phase is
then its scattering phase.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import scipy.fft

from flightlog.constants import C_LIGHT_M_S, SINC2_BEAM_FACTOR
from flightlog.geodesy import ecef_to_geodetic
from sarproc._f32math import F32, ONE, ZERO, atan_small, sinc, sincos_cycles


def upsample(rc: np.ndarray, factor: int) -> np.ndarray:
    """Band-limited upsampling of range-compressed lines by ``factor`` (FFT zero padding)."""
    n = rc.shape[-1]
    spec = scipy.fft.fft(np.asarray(rc, np.complex64), axis=-1, workers=-1)
    half = n // 2
    big = np.zeros(rc.shape[:-1] + (n * factor,), dtype=np.complex64)
    big[..., :half] = spec[..., :half]
    big[..., -(n - half):] = spec[..., half:]
    del spec
    out = scipy.fft.ifft(big, axis=-1, workers=-1, overwrite_x=True)
    out *= np.float32(factor)
    return out


def reference_track(apc: np.ndarray) -> np.ndarray:
    """Unit direction of the reference track at each pulse.

    Squint, and with it the integration angle, is measured from the plane perpendicular
    to this direction. Turbulence swings the instantaneous velocity by degrees within one
    synthetic aperture; measured against it a target's squint would not be monotonic in
    time and the aperture would not be the chosen angle. The reference is the direction
    of a straight line fitted to the whole path, made horizontal at each pulse (which
    follows the Earth's curvature along a long line but not the turbulence).
    """
    apc = np.asarray(apc, dtype=np.float64)
    n = apc.shape[0]
    if n < 2:
        raise ValueError("a reference track needs at least two pulses")
    tn = np.linspace(-1.0, 1.0, n)
    d = np.polynomial.polynomial.polyfit(tn, apc, 1)[1]
    la, lo, _ = ecef_to_geodetic(apc)
    up = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=1)
    h = d[None, :] - (up @ d)[:, None] * up
    return h / np.linalg.norm(h, axis=1, keepdims=True)


def pulse_span(apc: np.ndarray, track: np.ndarray, points: np.ndarray,
               sin_half: float) -> tuple[int, int]:
    """Pulses ``[p0, p1)`` whose squint reaches the integration angle for ``points``.

    ``points`` (n, 3) bound a tile (its corners).
    """
    d = points[None, :, :] - apc[:, None, :]
    s = np.einsum("pnk,pk->pn", d, track) / np.linalg.norm(d, axis=2)
    inside = np.flatnonzero((np.abs(s) <= sin_half).any(axis=1))
    if not inside.size:
        # a tile may straddle the aperture of no corner (squint changes sign across it)
        lo, hi = s.min(axis=1), s.max(axis=1)
        inside = np.flatnonzero((lo <= sin_half) & (hi >= -sin_half))
        if not inside.size:
            return 0, 0
    return int(inside[0]), int(inside[-1]) + 1


# --- tiled kernel ------------------------------------------------------------------------
# Per pulse and sub-tile, the geometry is computed once in float64 at the sub-tile's
# centre; each pixel's range follows from a third-order expansion in its offset d from
# the centre (|w + d| - |w| = du + D / (2 r) - du D / (2 r^2), du = d.u, D = |d|^2 - du^2;
# the next term is below h^4 / (8 r^3), h the sub-tile's half-diagonal), its squint and
# antenna angles from the same offsets, and its phase from a polynomial sine and cosine.
#
# The two-way path of the moving antenna, |X - A| + |X - A - V tau| = c tau, equals
# 2 |X - M| with M = A + V tau / 2 the antenna's position halfway through the travel, to
# (V tau)^2 / (4 r) (below a nanometre at airborne speeds and ranges); across a sub-tile
# the delay's offset is (2 / c) (|w + d| - |w|) / (1 + u.V / c), w = centre - M.
#
# Each pulse runs three loops over the sub-tile's pixels: geometry (delay, phase and
# weight: vectorised), range interpolation (scalar loads: the gathers, which a vector
# loop would need, are slower than scalar loads on some processors and LLVM leaves such
# loops unvectorised anyway) and phase rotation with accumulation (vectorised).

@nb.njit(cache=True, nogil=True, inline="always")
def beam_constants(beam_az: float, beam_el: float) -> tuple[float, float]:
    """The antenna pattern's sinc scales: ``0.886 / beam_az`` and ``0.886 / beam_el``.

    Both 0 with no pattern (``beam_az`` 0).
    """
    if beam_az > 0.0:
        return SINC2_BEAM_FACTOR / beam_az, SINC2_BEAM_FACTOR / beam_el
    return 0.0, 0.0


@nb.njit(cache=True, nogil=True, inline="always")
def pulse_constants(win_table: np.ndarray, beam_az: float,
                    beam_el: float) -> tuple[np.ndarray, bool, float, float]:
    """What :func:`subtile_pulses` takes of the window and the antenna pattern.

    The float32 window table, whether the window is rectangular (constant), and
    ``ka``, ``ke`` of :func:`beam_constants`.
    """
    ka, ke = beam_constants(beam_az, beam_el)
    return win_table.astype(np.float32), bool(np.all(win_table == win_table[0])), ka, ke


@nb.njit(cache=True, nogil=True, inline="always")
def subtile_scratch(offset: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                 np.ndarray]:
    """Scratch of :func:`subtile_pulses` for one sub-tile's offsets (n, 3).

    ``work`` (7, n) with rows 0-3 filled by :func:`subtile_work`, ``kix`` (n) int32,
    ``vab`` (2, n) complex64 and the zeroed accumulator ``acc`` (2, n) float32.
    """
    n_i = offset.shape[0]
    work = np.empty((7, n_i), np.float32)
    subtile_work(offset, work)
    return (work, np.empty(n_i, np.int32), np.empty((2, n_i), np.complex64),
            np.zeros((2, n_i), np.float32))


@nb.njit(cache=True, nogil=True, inline="always")
def subtile_work(offset: np.ndarray, work: np.ndarray) -> None:
    """Fill rows 0-3 of a sub-tile's ``work`` from its offsets (n, 3): x, y, z, |d|^2."""
    for i in range(offset.shape[0]):
        x, y, z = offset[i, 0], offset[i, 1], offset[i, 2]
        work[0, i], work[1, i], work[2, i] = x, y, z
        work[3, i] = x * x + y * y + z * z


@nb.njit(cache=True, nogil=True, inline="always", fastmath=True)
def pulse_weights(wx: float, wy: float, wz: float, r: float, sc: float, p: int,
                  track: np.ndarray, axes: np.ndarray, sin_half: float, table: np.ndarray,
                  ka: float, ke: float, min_gain: float, work: np.ndarray,
                  wgt: np.ndarray) -> None:
    """Window and antenna-pattern weights of pulse ``p`` at a sub-tile's pixels.

    ``wgt[i]`` is the window over the sine of squint, zero outside [-sin_half,
    sin_half], divided by the one-way power pattern, zero below ``min_gain`` or behind
    the antenna. Squint and antenna angles are those of the transmit position.

    Parameters
    ----------
    wx, wy, wz : float
        The sub-tile's centre from the pulse's transmit position (ECEF, m).
    r, sc : float
        Length of that vector (m) and the sine of squint along it.
    p : int
        Pulse index into ``track`` and ``axes``.
    track : ndarray, shape (pulses, 3)
        Unit reference-track directions.
    axes : ndarray, shape (pulses, 3, 3)
        Antenna boresight, azimuth and elevation axes.
    sin_half : float
        Sine of half the integration angle.
    table : ndarray of float32
        Window samples over the sine of squint on [-sin_half, sin_half].
    ka, ke : float
        Pattern constants of :func:`pulse_constants`; ``ka = 0`` means no pattern.
    min_gain : float
        Lowest one-way power gain kept.
    work : ndarray of float32, shape (7, n)
        Rows 0-3: the pixels' offsets and squared norms (:func:`subtile_work`).
    wgt : ndarray of float32, shape (n,)
        Filled with the weights.
    """
    n_i = work.shape[1]
    n_w = table.size - 1
    ox, oy, oz, dd = work[0], work[1], work[2], work[3]
    ir = 1.0 / r
    fax0, fay0, faz0 = F32(wx * ir), F32(wy * ir), F32(wz * ir)
    fhr, fhr2 = F32(0.5 * ir), F32(0.5 * ir * ir)
    fr, fscr = F32(r), F32(sc * r)
    ftx, fty, ftz = F32(track[p, 0]), F32(track[p, 1]), F32(track[p, 2])
    for i in range(n_i):
        dx, dy, dz = ox[i], oy[i], oz[i]
        da = dx * fax0 + dy * fay0 + dz * faz0
        dr_tx = da + (dd[i] - da * da) * (fhr - da * fhr2)
        wgt[i] = (fscr + dx * ftx + dy * fty + dz * ftz) / (fr + dr_tx)
    # window: table lookup (scalar loads), zero outside the angle
    ksq, nw0, nwm = F32(n_w / (2.0 * sin_half)), F32(n_w * 0.5), F32(n_w - 1e-3)
    fsh = F32(sin_half)
    for i in range(n_i):
        s = wgt[i]
        uw = min(max(s * ksq + nw0, ZERO), nwm)
        iu = int(uw)
        wgt[i] = (table[iu] + (uw - F32(iu)) * (table[iu + 1] - table[iu])) * F32(abs(s) <= fsh)
    if ka > 0.0:
        fbx, fby, fbz = F32(axes[p, 0, 0]), F32(axes[p, 0, 1]), F32(axes[p, 0, 2])
        fax, fay, faz = F32(axes[p, 1, 0]), F32(axes[p, 1, 1]), F32(axes[p, 1, 2])
        fex, fey, fez = F32(axes[p, 2, 0]), F32(axes[p, 2, 1]), F32(axes[p, 2, 2])
        wb = F32(wx * axes[p, 0, 0] + wy * axes[p, 0, 1] + wz * axes[p, 0, 2])
        wa = F32(wx * axes[p, 1, 0] + wy * axes[p, 1, 1] + wz * axes[p, 1, 2])
        we = F32(wx * axes[p, 2, 0] + wy * axes[p, 2, 1] + wz * axes[p, 2, 2])
        fka, fke, fmin = F32(ka), F32(ke), F32(min_gain)
        for i in range(n_i):
            dx, dy, dz = ox[i], oy[i], oz[i]
            icb = ONE / (wb + dx * fbx + dy * fby + dz * fbz)
            ta = (wa + dx * fax + dy * fay + dz * faz) * icb
            te = (we + dx * fex + dy * fey + dz * fez) * icb
            ga = sinc(fka * atan_small(ta))
            ge = sinc(fke * atan_small(te))
            gg = ga * ga * ge * ge
            ok = F32((gg >= fmin) & (icb > ZERO))
            wgt[i] = wgt[i] * ok / max(gg, fmin)


@nb.njit(cache=True, nogil=True, inline="always", fastmath=True)
def subtile_pulses(rc: np.ndarray, tau0: np.ndarray, fs_up: float, apc: np.ndarray,
                   vel: np.ndarray, track: np.ndarray, fc: float, cen: np.ndarray, h: float,
                   p0: int, p1: int, sin_half: float, table: np.ndarray, rect: bool,
                   axes: np.ndarray, ka: float, ke: float, min_gain: float,
                   work: np.ndarray, kix: np.ndarray, vab: np.ndarray,
                   acc: np.ndarray) -> None:
    """Backproject pulses ``p0 .. p1 - 1`` onto one sub-tile; adds into ``acc``.

    The model of :func:`backproject_tiles_kernel`.

    Parameters
    ----------
    rc, tau0, fs_up, apc, vel, track, fc
        The pulses: the fields of :class:`sarproc.focusers.PulseBlock`, in order
        (:meth:`~sarproc.focusers.PulseBlock.kernel_args`).
    cen : ndarray, shape (3,)
        The sub-tile's centre (float64 ECEF, m).
    h : float
        Its half-diagonal (m).
    p0, p1 : int
        Pulses backprojected.
    sin_half : float
        Sine of half the integration angle.
    table : ndarray of float32
        Window table over the sine of squint.
    rect : bool
        Whether the window is constant (the weights are then skipped where the whole
        sub-tile is inside the angle and there is no pattern).
    axes : ndarray, shape (pulses, 3, 3)
        Antenna axes.
    ka, ke : float
        Pattern constants (``SINC2_BEAM_FACTOR / beamwidth``); 0 with no pattern.
    min_gain : float
        Lowest one-way power gain kept.
    work : ndarray of float32, shape (7, n)
        Rows 0-2 the pixels' offsets, row 3 their squared norms
        (:func:`subtile_work`); rows 4-6 scratch.
    kix : ndarray of int32, shape (n,)
        Scratch.
    vab : ndarray of complex64, shape (2, n)
        Scratch.
    acc : ndarray of float32, shape (2, n)
        Real and imaginary sums, added into.
    """
    n_i = work.shape[1]
    n_s = rc.shape[1]
    inv_c = 1.0 / C_LIGHT_M_S
    use_beam = ka > 0.0
    ox, oy, oz, dd = work[0], work[1], work[2], work[3]
    pos, phs, wgt = work[4], work[5], work[6]
    va, vb = vab[0], vab[1]
    acc_re, acc_im = acc[0], acc[1]
    for p in range(p0, p1):
        wx = cen[0] - apc[p, 0]
        wy = cen[1] - apc[p, 1]
        wz = cen[2] - apc[p, 2]
        r = np.sqrt(wx * wx + wy * wy + wz * wz)
        sc = (wx * track[p, 0] + wy * track[p, 1] + wz * track[p, 2]) / r
        if abs(sc) > sin_half + 1.5 * h / r:
            continue
        # the antenna halfway through the two-way travel (two fixed-point steps)
        tau = 2.0 * r * inv_c
        mx, my, mz = wx, wy, wz
        rm = r
        for _ in range(2):
            mx = wx - 0.5 * vel[p, 0] * tau
            my = wy - 0.5 * vel[p, 1] * tau
            mz = wz - 0.5 * vel[p, 2] * tau
            rm = np.sqrt(mx * mx + my * my + mz * mz)
            tau = 2.0 * rm * inv_c
        ux, uy, uz = mx / rm, my / rm, mz / rm
        g = 2.0 * inv_c / (1.0 + (ux * vel[p, 0] + uy * vel[p, 1] + uz * vel[p, 2]) * inv_c)
        pos0 = (tau - tau0[p]) * fs_up
        base = int(np.floor(pos0))
        cyc = fc * tau
        fux, fuy, fuz = F32(ux), F32(uy), F32(uz)
        hir, hi2 = F32(0.5 / rm), F32(0.5 / (rm * rm))
        kpos, kph = F32(g * fs_up), F32(g * fc)
        tfk, phk = F32(pos0 - base), F32(cyc - np.rint(cyc))
        # delay offsets span at most g h (1 + h / r) samples of fs_up
        reach = g * fs_up * h * (1.0 + h / rm) + 1.0
        plain = (rect and not use_beam and abs(sc) + 1.5 * h / r < sin_half
                 and pos0 - reach >= 0.0 and pos0 + reach < n_s - 1)
        for i in range(n_i):
            du = ox[i] * fux + oy[i] * fuy + oz[i] * fuz
            dl = du + (dd[i] - du * du) * (hir - du * hi2)
            pos[i] = tfk + dl * kpos
            phs[i] = phk + dl * kph
        if not plain:
            pulse_weights(wx, wy, wz, r, sc, p, track, axes, sin_half, table, ka, ke,
                          min_gain, work, wgt)
            # zero outside the line
            lo_pos, hi_pos = F32(-base), F32(n_s - 1 - base)
            for i in range(n_i):
                wgt[i] = wgt[i] * F32((pos[i] >= lo_pos) & (pos[i] < hi_pos))
        # range interpolation: sample index and fraction (vector), the two samples (scalar
        # loads), then interpolation, weight and phase rotation (vector)
        line = rc[p]
        k_lo, k_hi = F32(-base), F32(n_s - 2 - base)
        for i in range(n_i):
            fl = min(max(np.floor(pos[i]), k_lo), k_hi)
            pos[i] = pos[i] - fl
            kix[i] = np.int32(fl)
        for i in range(n_i):
            k = kix[i] + base
            va[i] = line[k]
            vb[i] = line[k + 1]
        if plain:
            for i in range(n_i):
                f = pos[i]
                a, b = va[i], vb[i]
                xr = a.real + f * (b.real - a.real)
                xi = a.imag + f * (b.imag - a.imag)
                sn, cs = sincos_cycles(phs[i])
                acc_re[i] += xr * cs - xi * sn
                acc_im[i] += xr * sn + xi * cs
        else:
            for i in range(n_i):
                f = pos[i]
                a, b = va[i], vb[i]
                xr = (a.real + f * (b.real - a.real)) * wgt[i]
                xi = (a.imag + f * (b.imag - a.imag)) * wgt[i]
                sn, cs = sincos_cycles(phs[i])
                acc_re[i] += xr * cs - xi * sn
                acc_im[i] += xr * sn + xi * cs


@nb.njit(cache=True, nogil=True, parallel=True, fastmath=True)
def backproject_tiles_kernel(rc: np.ndarray, tau0: np.ndarray, fs_up: float, apc: np.ndarray,
                             vel: np.ndarray, track: np.ndarray, fc: float,
                             centre: np.ndarray, offset: np.ndarray, half_diag: np.ndarray,
                             sin_half: float, win_table: np.ndarray, axes: np.ndarray,
                             beam_az: float, beam_el: float, min_gain: float,
                             out: np.ndarray) -> None:
    """Backprojection onto sub-tiles; adds into ``out[t, i]``.

    Pixel ``i`` of sub-tile ``t`` is at ``centre[t] + offset[t, i]`` (ECEF; ``offset``
    float32).

    Same model as :func:`backproject_kernel` (moving antenna, window uniform in the sine
    of squint, optional antenna-pattern compensation, linear interpolation of the
    upsampled lines). The centre geometry is float64, the per-pixel offsets float32.
    A pulse that sees the whole sub-tile inside the integration angle and inside its
    line, with a rectangular window and no antenna pattern, skips the per-pixel weight.

    Parameters
    ----------
    rc, tau0, fs_up, apc, vel, track, fc
        The block's pulses (:meth:`sarproc.focusers.PulseBlock.kernel_args`): upsampled
        range lines, delay of their sample 0 (s), their sampling rate (Hz), phase centres
        and velocities (ECEF), reference-track directions and the carrier (Hz).
    centre, offset, half_diag : numpy.ndarray
        Sub-tiles (:func:`subtiles`).
    sin_half : float
        Sine of half the integration angle.
    win_table : numpy.ndarray
        The azimuth window sampled uniformly on [-0.5, 0.5] of the sine of squint.
    axes, beam_az, beam_el, min_gain
        Antenna axes per pulse (pulses, 3, 3), beamwidths (rad; ``beam_az`` 0: no
        pattern) and the least one-way gain a pulse may see a pixel with.
    out : numpy.ndarray
        Accumulator (sub-tiles, pixels), complex128, added into.
    """
    n_t, n_i = offset.shape[0], offset.shape[1]
    table, rect, ka, ke = pulse_constants(win_table, beam_az, beam_el)
    for t in nb.prange(n_t):
        work, kix, vab, acc = subtile_scratch(offset[t])
        subtile_pulses(rc, tau0, fs_up, apc, vel, track, fc, centre[t], half_diag[t], 0,
                       rc.shape[0], sin_half, table, rect, axes, ka, ke, min_gain, work, kix,
                       vab, acc)
        for i in range(n_i):
            out[t, i] += complex(acc[0, i], acc[1, i])


def subtile_size(spacing_m: float, min_range_m: float, wavelength_m: float,
                 phase_limit_rad: float = 1e-3, largest: int = 16) -> int:
    """Largest sub-tile side (16, 8, 4, 2 or 1 pixels) with a small expansion error.

    The error of the range expansion stays below ``phase_limit_rad`` of two-way phase
    (bound ``h^4 / (8 r^3)`` per path, ``h`` the sub-tile's half-diagonal).
    """
    size = largest
    while size > 1 and expansion_phase(size * spacing_m / np.sqrt(2), min_range_m,
                                       wavelength_m) >= phase_limit_rad:
        size //= 2
    return size


def expansion_phase(half_diagonal_m: float, min_range_m: float, wavelength_m: float) -> float:
    """Bound of the two-way phase error (rad) of the sub-tile range expansion."""
    return float(2 * half_diagonal_m**4 / (8 * min_range_m**3) * 2 * np.pi / wavelength_m)


def subtiles(pixels: np.ndarray, size: int | tuple[int, int] = 16) -> tuple[
        np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """Split a (rows, cols, 3) block of ECEF pixels into sub-tiles of ``size`` pixels.

    ``size`` is a side or (rows, cols). Returns centres (T, 3), float32 offsets
    (T, rows*cols, 3), half-diagonals (T,) and the padded shape; :func:`merge_subtiles`
    undoes it.
    """
    sy, sx = (size, size) if isinstance(size, int) else size
    ny, nx = pixels.shape[:2]
    py, px = -(-ny // sy) * sy, -(-nx // sx) * sx
    n_t = (py // sy) * (px // sx)
    centre = np.empty((n_t, 3))
    offset = np.empty((n_t, sy * sx, 3), np.float32)
    half = np.empty(n_t)
    _subtiles_kernel(np.ascontiguousarray(pixels, np.float64), sy, sx, centre, offset, half)
    return centre, offset, half, (py, px)


@nb.njit(cache=True, nogil=True, parallel=True)
def _subtiles_kernel(pixels: np.ndarray, sy: int, sx: int, centre: np.ndarray,
                     offset: np.ndarray, half: np.ndarray) -> None:
    """:func:`subtiles` on edge-padded pixels (rows past the end repeat the last)."""
    ny, nx = pixels.shape[0], pixels.shape[1]
    n_tx = offset.shape[0] // max(1, -(-ny // sy))
    for t in nb.prange(offset.shape[0]):
        r0, c0 = (t // n_tx) * sy, (t % n_tx) * sx
        lo = np.full(3, np.inf)
        hi = np.full(3, -np.inf)
        for a in range(sy):
            for b in range(sx):
                r, c = min(r0 + a, ny - 1), min(c0 + b, nx - 1)
                for k in range(3):
                    lo[k] = min(lo[k], pixels[r, c, k])
                    hi[k] = max(hi[k], pixels[r, c, k])
        for k in range(3):
            centre[t, k] = 0.5 * (lo[k] + hi[k])
        h2 = 0.0
        for a in range(sy):
            for b in range(sx):
                r, c = min(r0 + a, ny - 1), min(c0 + b, nx - 1)
                d2 = 0.0
                for k in range(3):
                    d = pixels[r, c, k] - centre[t, k]
                    offset[t, a * sx + b, k] = d
                    d2 += d * d
                h2 = max(h2, d2)
        half[t] = np.sqrt(h2)


def merge_subtiles(values: np.ndarray, shape: tuple[int, int], padded: tuple[int, int],
                   size: int | tuple[int, int] = 16) -> np.ndarray:
    """Inverse of :func:`subtiles` for the per-pixel values (T, rows*cols)."""
    sy, sx = (size, size) if isinstance(size, int) else size
    py, px = padded
    v = values.reshape(py // sy, px // sx, sy, sx).transpose(0, 2, 1, 3)
    return v.reshape(py, px)[: shape[0], : shape[1]]
