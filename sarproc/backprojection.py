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
from scipy.ndimage import uniform_filter1d

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


@nb.njit(cache=True, nogil=True, parallel=True)
def backproject_kernel(rc: np.ndarray, tau0: np.ndarray, fs_up: float, apc: np.ndarray,
                       vel: np.ndarray, track: np.ndarray, fc: float, pixels: np.ndarray,
                       half_angle: float, win_table: np.ndarray, bore: np.ndarray,
                       azax: np.ndarray, elax: np.ndarray, beam_az: float, beam_el: float,
                       min_gain: float, out: np.ndarray) -> None:
    """Add the backprojection of pulses ``rc[p]`` (upsampled) to ``out[m]`` at ``pixels[m]``.

    ``tau0[p]`` is the delay of sample 0; ``track[p]`` the smoothed unit track direction that
    squint is measured from; ``win_table`` samples the azimuth window on [-0.5, 0.5]
    uniformly; pulses with ``|squint| > half_angle`` are left out. With ``beam_az > 0``
    each contribution is divided by the antenna's one-way power pattern towards the pixel
    (antenna axes ``bore, azax, elax`` per pulse), so that yaw and track wander do not
    modulate the aperture; pulses below ``min_gain`` are left out.
    """
    n_s = rc.shape[1]
    n_w = win_table.size - 1
    for m in nb.prange(pixels.shape[0]):
        x0, x1, x2 = pixels[m, 0], pixels[m, 1], pixels[m, 2]
        acc = 0j
        for p in range(rc.shape[0]):
            dx = x0 - apc[p, 0]
            dy = x1 - apc[p, 1]
            dz = x2 - apc[p, 2]
            r_tx = np.sqrt(dx * dx + dy * dy + dz * dz)
            s = (dx * track[p, 0] + dy * track[p, 1] + dz * track[p, 2]) / r_tx
            squint = np.arcsin(min(1.0, max(-1.0, s)))
            if abs(squint) > half_angle:
                continue
            u = (squint / (2.0 * half_angle) + 0.5) * n_w
            iu = min(int(u), n_w - 1)
            w = win_table[iu] + (u - iu) * (win_table[iu + 1] - win_table[iu])
            if beam_az > 0.0:
                cb = (dx * bore[p, 0] + dy * bore[p, 1] + dz * bore[p, 2]) / r_tx
                if cb <= 0.0:
                    continue
                ta = np.arctan2((dx * azax[p, 0] + dy * azax[p, 1] + dz * azax[p, 2]) / r_tx,
                                cb)
                te = np.arctan2((dx * elax[p, 0] + dy * elax[p, 1] + dz * elax[p, 2]) / r_tx,
                                cb)
                xa = 0.886 * ta / beam_az
                xe = 0.886 * te / beam_el
                ga = 1.0 if abs(xa) < 1e-12 else np.sin(np.pi * xa) / (np.pi * xa)
                ge = 1.0 if abs(xe) < 1e-12 else np.sin(np.pi * xe) / (np.pi * xe)
                g = ga * ga * ge * ge
                if g < min_gain:
                    continue
                w /= g
            tau = 2.0 * r_tx / C_LIGHT
            for _ in range(2):
                ex = x0 - (apc[p, 0] + vel[p, 0] * tau)
                ey = x1 - (apc[p, 1] + vel[p, 1] * tau)
                ez = x2 - (apc[p, 2] + vel[p, 2] * tau)
                tau = (r_tx + np.sqrt(ex * ex + ey * ey + ez * ez)) / C_LIGHT
            pos = (tau - tau0[p]) * fs_up
            i = int(np.floor(pos))
            if i < 0 or i + 1 >= n_s:
                continue
            f = pos - i
            sample = (1.0 - f) * rc[p, i] + f * rc[p, i + 1]
            ph = 2.0 * np.pi * fc * tau
            acc += w * sample * (np.cos(ph) + 1j * np.sin(ph))
        out[m] += acc


def backproject(rc: np.ndarray, tau0: np.ndarray, fs: float, apc: np.ndarray,
                vel: np.ndarray, fc: float, pixels: np.ndarray, integration_angle_deg: float,
                azimuth_window: str = "rect", upsample_factor: int = 16,
                block: int = 256, smooth_pulses: int = 501,
                antenna: tuple[np.ndarray, np.ndarray, np.ndarray, float, float] | None = None,
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
        Full azimuth integration angle about zero Doppler.
    azimuth_window : str
        Window over the integration angle.
    upsample_factor : int
        Band-limited upsampling before linear interpolation in range.
    block : int
        Pulses upsampled at a time (memory).
    smooth_pulses : int
        Running-mean length of the velocity that defines the track direction for squint.
    antenna : tuple, optional
        ``(boresight, az_axis, el_axis, beam_az_rad, beam_el_rad)`` per pulse
        (:func:`sarproc.antenna.antenna_axes`): compensate the antenna pattern.
    min_gain : float
        With ``antenna``, pulses seeing the pixel below this one-way gain are left out.

    Returns
    -------
    numpy.ndarray
        Complex image with the shape of ``pixels[..., 0]``: the weighted sum over pulses
        (a point target of peak amplitude ``a`` after range compression reaches
        ``a * sum(weights)``).
    """
    px = np.ascontiguousarray(np.asarray(pixels, dtype=np.float64).reshape(-1, 3))
    # Squint is measured against the smoothed track direction: turbulence swings the
    # instantaneous velocity by degrees, which must not open holes in the aperture.
    track = uniform_filter1d(np.asarray(vel, np.float64), size=min(len(vel), smooth_pulses),
                             axis=0, mode="nearest")
    track /= np.linalg.norm(track, axis=1, keepdims=True)
    out = np.zeros(px.shape[0], dtype=np.complex128)
    table = window_weights(azimuth_window, np.linspace(-0.5, 0.5, 2001))
    half = np.deg2rad(integration_angle_deg) / 2
    if antenna is None:
        none = np.zeros((len(vel), 3))
        bore, azax, elax, beam_az, beam_el = none, none, none, 0.0, 0.0
    else:
        bore, azax, elax, beam_az, beam_el = antenna
    for b0 in range(0, rc.shape[0], block):
        sl = slice(b0, min(rc.shape[0], b0 + block))
        up = upsample(rc[sl], upsample_factor)
        backproject_kernel(up, np.ascontiguousarray(tau0[sl], np.float64),
                           fs * upsample_factor, np.ascontiguousarray(apc[sl], np.float64),
                           np.ascontiguousarray(vel[sl], np.float64),
                           np.ascontiguousarray(track[sl]), fc, px, half, table,
                           np.ascontiguousarray(bore[sl], np.float64),
                           np.ascontiguousarray(azax[sl], np.float64),
                           np.ascontiguousarray(elax[sl], np.float64), float(beam_az),
                           float(beam_el), min_gain, out)
    return out.reshape(np.asarray(pixels).shape[:-1])
