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
    spec = scipy.fft.fft(rc, axis=-1, workers=-1)
    half = n // 2
    big = np.zeros(rc.shape[:-1] + (n * factor,), dtype=np.complex128)
    big[..., :half] = spec[..., :half]
    big[..., -(n - half):] = spec[..., half:]
    return (scipy.fft.ifft(big, axis=-1, workers=-1) * factor).astype(np.complex64)


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


@nb.njit(cache=True, nogil=True, parallel=True)
def backproject_kernel(rc: np.ndarray, tau0: np.ndarray, fs_up: float, apc: np.ndarray,
                       vel: np.ndarray, track: np.ndarray, fc: float, pixels: np.ndarray,
                       sin_half: float, win_table: np.ndarray, axes: np.ndarray,
                       beam_az: float, beam_el: float, min_gain: float,
                       out: np.ndarray) -> None:
    """Add the backprojection of pulses ``rc[p]`` (upsampled) to ``out[m]`` at ``pixels[m]``.

    ``tau0[p]`` is the delay of ``rc[p, 0]``; ``track[p]`` the unit reference-track
    direction; ``win_table`` samples the azimuth window uniformly on [-0.5, 0.5] of the
    sine of squint (uniform in azimuth wavenumber); pulses with ``|sin squint| >
    sin_half`` are left out. With ``beam_az > 0`` each contribution is divided by the
    antenna's one-way power pattern towards the pixel (ICD section 7: sinc^2 in each
    principal plane; ``axes[p]`` holds the boresight, azimuth and elevation axes), so the
    aperture is weighted by the window alone whatever the yaw and crab; pulses that see
    the pixel below ``min_gain`` are left out.
    """
    n_s = rc.shape[1]
    n_w = win_table.size - 1
    inv_c = 1.0 / C_LIGHT
    k_ph = 2.0 * np.pi * fc
    for m in nb.prange(pixels.shape[0]):
        x0, x1, x2 = pixels[m, 0], pixels[m, 1], pixels[m, 2]
        acc_re = 0.0
        acc_im = 0.0
        for p in range(rc.shape[0]):
            dx = x0 - apc[p, 0]
            dy = x1 - apc[p, 1]
            dz = x2 - apc[p, 2]
            r_tx = np.sqrt(dx * dx + dy * dy + dz * dz)
            s = (dx * track[p, 0] + dy * track[p, 1] + dz * track[p, 2]) / r_tx
            if abs(s) > sin_half:
                continue
            u = (s / (2.0 * sin_half) + 0.5) * n_w
            iu = min(int(u), n_w - 1)
            w = win_table[iu] + (u - iu) * (win_table[iu + 1] - win_table[iu])
            if beam_az > 0.0:
                cb = dx * axes[p, 0, 0] + dy * axes[p, 0, 1] + dz * axes[p, 0, 2]
                if cb <= 0.0:
                    continue
                xa = 0.886 * np.arctan2(dx * axes[p, 1, 0] + dy * axes[p, 1, 1]
                                        + dz * axes[p, 1, 2], cb) / beam_az
                xe = 0.886 * np.arctan2(dx * axes[p, 2, 0] + dy * axes[p, 2, 1]
                                        + dz * axes[p, 2, 2], cb) / beam_el
                ga = 1.0 if abs(xa) < 1e-12 else np.sin(np.pi * xa) / (np.pi * xa)
                ge = 1.0 if abs(xe) < 1e-12 else np.sin(np.pi * xe) / (np.pi * xe)
                g = ga * ga * ge * ge
                if g < min_gain:
                    continue
                w /= g
            # the antenna moves during the two-way travel: one fixed-point step of
            # tau = (|X - A| + |X - A - V tau|) / c is exact to (v/c)^2
            tau = 2.0 * r_tx * inv_c
            ex = dx - vel[p, 0] * tau
            ey = dy - vel[p, 1] * tau
            ez = dz - vel[p, 2] * tau
            tau = (r_tx + np.sqrt(ex * ex + ey * ey + ez * ez)) * inv_c
            pos = (tau - tau0[p]) * fs_up
            i = int(np.floor(pos))
            if i < 0 or i + 1 >= n_s:
                continue
            f = pos - i
            a = rc[p, i]
            b = rc[p, i + 1]
            sr = (a.real + f * (b.real - a.real)) * w
            si = (a.imag + f * (b.imag - a.imag)) * w
            ph = k_ph * tau
            c = np.cos(ph)
            sn = np.sin(ph)
            acc_re += sr * c - si * sn
            acc_im += sr * sn + si * c
        out[m] += acc_re + 1j * acc_im


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
