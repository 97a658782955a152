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

from flightlog.geodesy import ecef_to_geodetic
from sarproc.windows import window_weights

C_LIGHT = 299_792_458.0


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


@nb.njit(cache=True, nogil=True, inline="always")
def pulse_contribution(rc: np.ndarray, p: int, x0: float, x1: float, x2: float,
                       tau0: np.ndarray, fs_up: float, apc: np.ndarray, vel: np.ndarray,
                       track: np.ndarray, fc: float, sin_half: float, win_table: np.ndarray,
                       axes: np.ndarray, beam_az: float, beam_el: float,
                       min_gain: float) -> complex:
    """Exact contribution of upsampled line ``rc[p]`` to the pixel at ``(x0, x1, x2)``.

    The model of :func:`backproject_kernel`; zero outside the integration angle, below
    ``min_gain`` or outside the line.
    """
    n_w = win_table.size - 1
    dx = x0 - apc[p, 0]
    dy = x1 - apc[p, 1]
    dz = x2 - apc[p, 2]
    r_tx = np.sqrt(dx * dx + dy * dy + dz * dz)
    s = (dx * track[p, 0] + dy * track[p, 1] + dz * track[p, 2]) / r_tx
    if abs(s) > sin_half:
        return 0j
    u = (s / (2.0 * sin_half) + 0.5) * n_w
    iu = min(int(u), n_w - 1)
    w = win_table[iu] + (u - iu) * (win_table[iu + 1] - win_table[iu])
    if beam_az > 0.0:
        cb = dx * axes[p, 0, 0] + dy * axes[p, 0, 1] + dz * axes[p, 0, 2]
        if cb <= 0.0:
            return 0j
        xa = 0.886 * np.arctan2(dx * axes[p, 1, 0] + dy * axes[p, 1, 1]
                                + dz * axes[p, 1, 2], cb) / beam_az
        xe = 0.886 * np.arctan2(dx * axes[p, 2, 0] + dy * axes[p, 2, 1]
                                + dz * axes[p, 2, 2], cb) / beam_el
        ga = 1.0 if abs(xa) < 1e-12 else np.sin(np.pi * xa) / (np.pi * xa)
        ge = 1.0 if abs(xe) < 1e-12 else np.sin(np.pi * xe) / (np.pi * xe)
        g = ga * ga * ge * ge
        if g < min_gain:
            return 0j
        w /= g
    # the antenna moves during the two-way travel: one fixed-point step of
    # tau = (|X - A| + |X - A - V tau|) / c is exact to (v/c)^2
    tau = 2.0 * r_tx / C_LIGHT
    ex = dx - vel[p, 0] * tau
    ey = dy - vel[p, 1] * tau
    ez = dz - vel[p, 2] * tau
    tau = (r_tx + np.sqrt(ex * ex + ey * ey + ez * ez)) / C_LIGHT
    pos = (tau - tau0[p]) * fs_up
    i = int(np.floor(pos))
    if i < 0 or i + 1 >= rc.shape[1]:
        return 0j
    f = pos - i
    a = rc[p, i]
    b = rc[p, i + 1]
    sr = (a.real + f * (b.real - a.real)) * w
    si = (a.imag + f * (b.imag - a.imag)) * w
    ph = 2.0 * np.pi * fc * tau
    c = np.cos(ph)
    sn = np.sin(ph)
    return complex(sr * c - si * sn, sr * sn + si * c)


@nb.njit(cache=True, nogil=True, parallel=True)
def backproject_kernel(rc: np.ndarray, tau0: np.ndarray, fs_up: float, apc: np.ndarray,
                       vel: np.ndarray, track: np.ndarray, fc: float, pixels: np.ndarray,
                       sin_half: float, win_table: np.ndarray, axes: np.ndarray,
                       beam_az: float, beam_el: float, min_gain: float,
                       out: np.ndarray) -> None:
    """Add the backprojection of pulses ``rc[p]`` (upsampled) to ``out[m]`` at ``pixels[m]``.

    The reference implementation, one pixel and pulse at a time in double precision.
    ``tau0[p]`` is the delay of ``rc[p, 0]``; ``track[p]`` the unit reference-track
    direction; ``win_table`` samples the azimuth window uniformly on [-0.5, 0.5] of the
    sine of squint (uniform in azimuth wavenumber); pulses with ``|sin squint| >
    sin_half`` are left out. With ``beam_az > 0`` each contribution is divided by the
    antenna's one-way power pattern towards the pixel (ICD section 7: sinc^2 in each
    principal plane; ``axes[p]`` holds the boresight, azimuth and elevation axes), so the
    aperture is weighted by the window alone whatever the yaw and crab; pulses that see
    the pixel below ``min_gain`` are left out.
    """
    for m in nb.prange(pixels.shape[0]):
        acc = 0j
        for p in range(rc.shape[0]):
            acc += pulse_contribution(rc, p, pixels[m, 0], pixels[m, 1], pixels[m, 2], tau0,
                                      fs_up, apc, vel, track, fc, sin_half, win_table, axes,
                                      beam_az, beam_el, min_gain)
        out[m] += acc


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


def backproject(rc: np.ndarray, tau0: np.ndarray, fs: float, apc: np.ndarray,
                vel: np.ndarray, fc: float, pixels: np.ndarray, integration_angle_deg: float,
                azimuth_window: str = "rect", upsample_factor: int = 16,
                block: int = 256, track: np.ndarray | None = None,
                antenna: tuple[np.ndarray, float, float] | None = None,
                min_gain: float = 0.1) -> np.ndarray:
    """Backproject range-compressed pulses onto ECEF pixels.

    Parameters
    ----------
    rc : numpy.ndarray
        Range-compressed echoes (pulses, samples), sample k at delay ``tau0 + k / fs``.
    tau0 : numpy.ndarray
        Delay of sample 0 per pulse, seconds.
    fs : float
        Sampling rate of ``rc``.
    apc, vel : numpy.ndarray
        Antenna phase centre (ECEF, m) and its velocity (m/s) at each transmit time.
    fc : float
        Carrier frequency.
    pixels : numpy.ndarray
        ECEF pixel positions (..., 3).
    integration_angle_deg : float
        Full azimuth integration angle about zero Doppler of the reference track.
    azimuth_window : str
        Window over the integration angle (uniform in the sine of squint).
    upsample_factor : int
        Band-limited upsampling before linear interpolation in range.
    block : int
        Pulses upsampled at a time (memory).
    track : numpy.ndarray, optional
        Unit direction of the reference track per pulse (n, 3), from which squint is
        measured; default :func:`reference_track` of ``apc``.
    antenna : tuple, optional
        ``(axes, beam_az_rad, beam_el_rad)`` with ``axes`` (n, 3, 3) the boresight,
        azimuth and elevation unit axes per pulse (:func:`sarproc.antenna.antenna_axes`):
        divide out the antenna pattern.
    min_gain : float
        With ``antenna``: pulses seeing the pixel below this one-way gain are left out.

    Returns
    -------
    numpy.ndarray
        Complex image with the shape of ``pixels[..., 0]``: the weighted sum over pulses
        (a point target of peak amplitude ``a`` after range compression reaches
        ``a * sum(weights)``).
    """
    px = np.ascontiguousarray(np.asarray(pixels, dtype=np.float64).reshape(-1, 3))
    if track is None:
        track = reference_track(apc)
    out = np.zeros(px.shape[0], dtype=np.complex128)
    table = window_weights(azimuth_window, np.linspace(-0.5, 0.5, 2001))
    sin_half = float(np.sin(np.deg2rad(integration_angle_deg) / 2))
    axes, beam_az, beam_el = (np.zeros((rc.shape[0], 3, 3)), 0.0, 0.0) if antenna is None \
        else antenna
    for b0 in range(0, rc.shape[0], block):
        sl = slice(b0, min(rc.shape[0], b0 + block))
        up = upsample(rc[sl], upsample_factor)
        backproject_kernel(up, np.ascontiguousarray(tau0[sl], np.float64),
                           fs * upsample_factor, np.ascontiguousarray(apc[sl], np.float64),
                           np.ascontiguousarray(vel[sl], np.float64),
                           np.ascontiguousarray(track[sl], np.float64), fc, px, sin_half,
                           table, np.ascontiguousarray(axes[sl], np.float64), float(beam_az),
                           float(beam_el), min_gain, out)
    return out.reshape(np.asarray(pixels).shape[:-1])


# --- tiled kernel ------------------------------------------------------------------------
# Per pulse and sub-tile, the geometry is computed once in float64 at the sub-tile's
# centre; each pixel's ranges follow from a third-order expansion in its offset d from
# the centre (|w + d| - |w| = du + D / (2 r) - du D / (2 r^2), du = d.u, D = |d|^2 - du^2;
# the next term is below h^4 / (8 r^3), h the sub-tile's half-diagonal), its squint and
# antenna angles from the same offsets, and the carrier phase of the offset from a
# polynomial sine and cosine. The pixel loop has no branch, so it vectorises.

_F = np.float32
_S1, _S2, _S3 = _F(-1.6666654611e-1), _F(8.3321608736e-3), _F(-1.9515295891e-4)
_C1, _C2, _C3 = _F(4.166664568298827e-2), _F(-1.388731625493765e-3), _F(2.443315711809948e-5)
_DP1, _DP2, _DP3 = _F(1.5703125), _F(4.837512969970703125e-4), _F(7.54978995489188216e-8)
_F2PI, _HALF, _ONE, _ZERO = _F(0.6366197723675814), _F(0.5), _F(1.0), _F(0.0)


@nb.njit(cache=True, nogil=True, inline="always", fastmath=True)
def _sincos32(x: np.float32) -> tuple[np.float32, np.float32]:
    """Single-precision sine and cosine (Cephes sinf/cosf), branch-free, |x| < 1e4."""
    q = np.floor(x * _F2PI + _HALF)
    r = ((x - q * _DP1) - q * _DP2) - q * _DP3
    z = r * r
    s = r + r * z * (_S1 + z * (_S2 + z * _S3))
    c = _ONE - _HALF * z + z * z * (_C1 + z * (_C2 + z * _C3))
    k = q - _F(4.0) * np.floor(q * _F(0.25))
    odd = k - _F(2.0) * np.floor(k * _HALF)
    s1 = s * (_ONE - odd) + c * odd
    c1 = c * (_ONE - odd) - s * odd
    sgn = _ONE - _F(2.0) * _F(k >= _F(2.0))
    return s1 * sgn, c1 * sgn


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
    """
    n_t, n_i = offset.shape[0], offset.shape[1]
    n_s = rc.shape[1]
    n_w = win_table.size - 1
    table = win_table.astype(np.float32)
    inv_c = 1.0 / C_LIGHT
    use_beam = beam_az > 0.0
    ka = 0.886 / beam_az if use_beam else 0.0
    ke = 0.886 / beam_el if use_beam else 0.0
    for t in nb.prange(n_t):
        acc_re = np.zeros(n_i, np.float32)
        acc_im = np.zeros(n_i, np.float32)
        dd = np.empty(n_i, np.float32)
        for i in range(n_i):
            dd[i] = (offset[t, i, 0] ** 2 + offset[t, i, 1] ** 2 + offset[t, i, 2] ** 2)
        for p in range(rc.shape[0]):
            wx = centre[t, 0] - apc[p, 0]
            wy = centre[t, 1] - apc[p, 1]
            wz = centre[t, 2] - apc[p, 2]
            r = np.sqrt(wx * wx + wy * wy + wz * wz)
            ux, uy, uz = wx / r, wy / r, wz / r
            sc = ux * track[p, 0] + uy * track[p, 1] + uz * track[p, 2]
            if abs(sc) > sin_half + 1.5 * half_diag[t] / r:
                continue
            tau_c = 2.0 * r * inv_c
            vx, vy, vz = wx - vel[p, 0] * tau_c, wy - vel[p, 1] * tau_c, wz - vel[p, 2] * tau_c
            r2 = np.sqrt(vx * vx + vy * vy + vz * vz)
            tau_c = (r + r2) * inv_c
            cyc = fc * tau_c
            s_c, c_c = _sincos32(_F(2.0 * np.pi * (cyc - np.floor(cyc))))
            # per-pulse constants of the pixel loop, single precision
            fux, fuy, fuz = _F(ux), _F(uy), _F(uz)
            fvx, fvy, fvz = _F(vx / r2), _F(vy / r2), _F(vz / r2)
            hir, hir2 = _F(0.5 / r), _F(0.5 / r2)
            ir, ir2 = _F(1.0 / r), _F(1.0 / r2)
            pos_c = _F((tau_c - tau0[p]) * fs_up)
            kpos = _F(inv_c * fs_up)
            kph = _F(2.0 * np.pi * fc * inv_c)
            fr, fscr = _F(r), _F(sc * r)
            ftx, fty, ftz = _F(track[p, 0]), _F(track[p, 1]), _F(track[p, 2])
            ksq = _F(n_w / (2.0 * sin_half))
            fsh = _F(sin_half)
            nw0 = _F(n_w * 0.5)
            nwm = _F(n_w - 1e-3)
            top = _F(n_s - 1)
            fbx, fby, fbz = _F(axes[p, 0, 0]), _F(axes[p, 0, 1]), _F(axes[p, 0, 2])
            fax, fay, faz = _F(axes[p, 1, 0]), _F(axes[p, 1, 1]), _F(axes[p, 1, 2])
            fex, fey, fez = _F(axes[p, 2, 0]), _F(axes[p, 2, 1]), _F(axes[p, 2, 2])
            wb = _F(wx * axes[p, 0, 0] + wy * axes[p, 0, 1] + wz * axes[p, 0, 2])
            wa = _F(wx * axes[p, 1, 0] + wy * axes[p, 1, 1] + wz * axes[p, 1, 2])
            we = _F(wx * axes[p, 2, 0] + wy * axes[p, 2, 1] + wz * axes[p, 2, 2])
            fka, fke, fmin = _F(ka * np.pi), _F(ke * np.pi), _F(min_gain)
            cr, ci = c_c, s_c
            for i in range(n_i):
                dx, dy, dz = offset[t, i, 0], offset[t, i, 1], offset[t, i, 2]
                du = dx * fux + dy * fuy + dz * fuz
                dr1 = du + (dd[i] - du * du) * hir * (_ONE - du * ir)
                dv = dx * fvx + dy * fvy + dz * fvz
                dr2 = dv + (dd[i] - dv * dv) * hir2 * (_ONE - dv * ir2)
                s = (fscr + dx * ftx + dy * fty + dz * ftz) / (fr + dr1)
                uw = min(max(s * ksq + nw0, _ZERO), nwm)
                iu = int(uw)
                wgt = (table[iu] + (uw - _F(iu)) * (table[iu + 1] - table[iu])) * _F(
                    abs(s) <= fsh)
                if use_beam:
                    cb = wb + dx * fbx + dy * fby + dz * fbz
                    ta = (wa + dx * fax + dy * fay + dz * faz) / cb
                    te = (we + dx * fex + dy * fey + dz * fez) / cb
                    # arctangent of the small tangents (|t| < 0.7): odd series to t^11
                    ta2, te2 = ta * ta, te * te
                    xa = fka * ta * (_ONE + ta2 * (_F(-1 / 3) + ta2 * (_F(0.2) + ta2 * (
                        _F(-1 / 7) + ta2 * (_F(1 / 9) + ta2 * _F(-1 / 11))))))
                    xe = fke * te * (_ONE + te2 * (_F(-1 / 3) + te2 * (_F(0.2) + te2 * (
                        _F(-1 / 7) + te2 * (_F(1 / 9) + te2 * _F(-1 / 11))))))
                    sa, _ = _sincos32(xa)
                    se, _ = _sincos32(xe)
                    xa = xa + _F(1e-30) * _F(xa == _ZERO)
                    xe = xe + _F(1e-30) * _F(xe == _ZERO)
                    ga = sa / xa + _F(xa == _F(1e-30))
                    ge = se / xe + _F(xe == _F(1e-30))
                    g = ga * ga * ge * ge
                    ok = _F((g >= fmin) & (cb > _ZERO) & (abs(ta) < _F(0.7))
                            & (abs(te) < _F(0.7)))
                    wgt = wgt * ok / max(g, fmin)
                dtau = dr1 + dr2
                pos = pos_c + dtau * kpos
                k = min(max(int(np.floor(pos)), 0), n_s - 2)
                f = pos - _F(k)
                wgt = wgt * _F((pos >= _ZERO) & (pos < top))
                a = rc[p, k]
                b = rc[p, k + 1]
                sr = (a.real + f * (b.real - a.real)) * wgt
                si = (a.imag + f * (b.imag - a.imag)) * wgt
                sn, cs = _sincos32(dtau * kph)
                pr = cr * cs - ci * sn
                pim = ci * cs + cr * sn
                acc_re[i] += sr * pr - si * pim
                acc_im[i] += sr * pim + si * pr
        for i in range(n_i):
            out[t, i] += complex(acc_re[i], acc_im[i])


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
    pad = np.pad(pixels, ((0, py - ny), (0, px - nx), (0, 0)), mode="edge")
    blocks = pad.reshape(py // sy, sy, px // sx, sx, 3).transpose(0, 2, 1, 3, 4)
    blocks = blocks.reshape(-1, sy * sx, 3)
    centre = 0.5 * (blocks.min(axis=1) + blocks.max(axis=1))
    offset = blocks - centre[:, None, :]
    half = np.linalg.norm(offset, axis=2).max(axis=1)
    return centre, np.ascontiguousarray(offset, np.float32), half, (py, px)


def merge_subtiles(values: np.ndarray, shape: tuple[int, int], padded: tuple[int, int],
                   size: int | tuple[int, int] = 16) -> np.ndarray:
    """Inverse of :func:`subtiles` for the per-pixel values (T, rows*cols)."""
    sy, sx = (size, size) if isinstance(size, int) else size
    py, px = padded
    v = values.reshape(py // sy, px // sx, sy, sx).transpose(0, 2, 1, 3)
    return v.reshape(py, px)[: shape[0], : shape[1]]
