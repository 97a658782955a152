"""Raw SAR echoes by time-domain synthesis from the true antenna track (Numba).

Each echo sample is synthesised from the scatterers inside the antenna beam with the exact
two-way delay of a moving antenna (no stop-and-go): the wavefront received at time ``t``
left the antenna at ``t_e`` with ``c (t - t_e) = |X - A(t_e)| + |X - A(t)|``, solved per
sample for point targets (the Doppler shift inside a pulse included), so the sample is
``a S s(t_e - t_tx) exp(-j 2 pi f_c (t - t_e))`` with ``s`` the ICD chirp.

Distributed scatterers (thousands to millions) take the fast route: the same exact delay,
solved at the echo centre, places a band-limited impulse (Kaiser-windowed sinc, 16 taps)
with its full carrier phase on the sample grid, and each pulse's impulses are convolved
with the chirp by FFT. It neglects the Doppler shift within one pulse (a few centimetres
of range on speckle), which the point-target route keeps.

Radiometry: amplitude in ADC counts at the receiver input is
``C sqrt(P_t) G0 g(theta) lambda sqrt(4 pi) S / ((4 pi)^1.5 R_t R_r)`` with ``g`` the
one-way power pattern of ICD section 7, ``G0 = 4 pi 0.886^2 / (beta_az beta_el)`` the peak
gain of that pattern's uniform aperture, and ``C = 10^(calibration_constant_db / 20)``
counts per square-root watt; the receiver attenuation then divides by
``10^(rx_attenuation_db / 20)`` before the quantiser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
import scipy.fft

from flightlog.constants import C_LIGHT_M_S, SINC2_BEAM_FACTOR

N_TAPS = 16
KAISER_BETA = 8.0


@dataclass
class PulseGeometry:
    """Per-pulse antenna state at transmit: phase centre, its rates, antenna axes (ECEF)."""

    apc: np.ndarray
    velocity: np.ndarray
    acceleration: np.ndarray
    boresight: np.ndarray
    az_axis: np.ndarray
    el_axis: np.ndarray


@dataclass
class RadarBand:
    """What the echo synthesis needs of a band and the antenna."""

    center_frequency_hz: float
    bandwidth_hz: float
    chirp_duration_s: float
    chirp_rate_sign: int
    peak_power_w: float
    calibration_constant_db: float
    adc_sampling_rate_hz: float
    azimuth_beamwidth_deg: float
    elevation_beamwidth_deg: float

    @property
    def chirp_rate(self) -> float:
        """Chirp rate k of s(t) = exp(j pi k t^2), Hz/s."""
        return self.chirp_rate_sign * self.bandwidth_hz / self.chirp_duration_s

    @property
    def wavelength_m(self) -> float:
        """Carrier wavelength."""
        return C_LIGHT_M_S / self.center_frequency_hz

    @property
    def peak_gain(self) -> float:
        """G0 of the uniform aperture whose pattern is sinc^2(0.886 theta / beta)."""
        return 4 * np.pi * SINC2_BEAM_FACTOR**2 / (np.deg2rad(self.azimuth_beamwidth_deg)
                                       * np.deg2rad(self.elevation_beamwidth_deg))

    @property
    def amplitude_scale(self) -> float:
        """Counts per unit S at 1 m range on boresight (before the receiver attenuation)."""
        c_adc = 10 ** (self.calibration_constant_db / 20)
        return (c_adc * np.sqrt(self.peak_power_w) * self.peak_gain * self.wavelength_m
                * np.sqrt(4 * np.pi) / (4 * np.pi) ** 1.5)


@nb.njit(cache=True, nogil=True)
def _sinc(x: float) -> float:
    if abs(x) < 1e-12:
        return 1.0
    return np.sin(np.pi * x) / (np.pi * x)


@nb.njit(cache=True, nogil=True)
def _pattern(dx: float, dy: float, dz: float, bx: np.ndarray, ax: np.ndarray,
             ex: np.ndarray, beam_az: float, beam_el: float) -> float:
    """One-way power pattern for a unit direction; 0 outside three beamwidths."""
    cb = dx * bx[0] + dy * bx[1] + dz * bx[2]
    if cb <= 0.0:
        return 0.0
    th_az = np.arctan2(dx * ax[0] + dy * ax[1] + dz * ax[2], cb)
    th_el = np.arctan2(dx * ex[0] + dy * ex[1] + dz * ex[2], cb)
    if abs(th_az) > 3 * beam_az or abs(th_el) > 3 * beam_el:
        return 0.0
    ga = _sinc(SINC2_BEAM_FACTOR * th_az / beam_az)
    ge = _sinc(SINC2_BEAM_FACTOR * th_el / beam_el)
    return ga * ga * ge * ge


@nb.njit(cache=True, nogil=True)
def _gain_towards(x: np.ndarray, apc: np.ndarray, bore: np.ndarray, azax: np.ndarray,
                  elax: np.ndarray, beam_az: float, beam_el: float) -> float:
    """One-way power pattern from the phase centre towards point ``x``."""
    dx = x[0] - apc[0]
    dy = x[1] - apc[1]
    dz = x[2] - apc[2]
    r = np.sqrt(dx * dx + dy * dy + dz * dz)
    return _pattern(dx / r, dy / r, dz / r, bore, azax, elax, beam_az, beam_el)


@nb.njit(cache=True, nogil=True)
def _delay(x: np.ndarray, apc: np.ndarray, vel: np.ndarray, acc: np.ndarray,
           tr: float) -> tuple[float, float, float]:
    """Two-way delay D of the wavefront received ``tr`` after transmit, and both ranges.

    Solves ``c D = |X - A(tr - D)| + |X - A(tr)|`` with the antenna track expanded to
    second order about the transmit time (exact to far below a micrometre over 1 ms).
    """
    rx = apc[0] + vel[0] * tr + 0.5 * acc[0] * tr * tr - x[0]
    ry = apc[1] + vel[1] * tr + 0.5 * acc[1] * tr * tr - x[1]
    rz = apc[2] + vel[2] * tr + 0.5 * acc[2] * tr * tr - x[2]
    r_rx = np.sqrt(rx * rx + ry * ry + rz * rz)
    d = 2.0 * r_rx / C_LIGHT_M_S
    r_tx = r_rx
    for _ in range(3):  # converges by a factor v/c (1e-6) per step
        te = tr - d
        tx_ = apc[0] + vel[0] * te + 0.5 * acc[0] * te * te - x[0]
        ty_ = apc[1] + vel[1] * te + 0.5 * acc[1] * te * te - x[1]
        tz_ = apc[2] + vel[2] * te + 0.5 * acc[2] * te * te - x[2]
        r_tx = np.sqrt(tx_ * tx_ + ty_ * ty_ + tz_ * tz_)
        d = (r_tx + r_rx) / C_LIGHT_M_S
    return d, r_tx, r_rx


@nb.njit(cache=True, nogil=True)
def _echo_delay(x: np.ndarray, apc: np.ndarray, vel: np.ndarray,
                acc: np.ndarray) -> tuple[float, float, float]:
    """Delay of the chirp centre's echo: the fixed point of tr = D(tr)."""
    dx = apc[0] - x[0]
    dy = apc[1] - x[1]
    dz = apc[2] - x[2]
    tr = 2.0 * np.sqrt(dx * dx + dy * dy + dz * dz) / C_LIGHT_M_S
    r_tx = r_rx = 0.0
    for _ in range(3):
        # the chirp centre left at the transmit time: its echo arrives when tr = D(tr)
        tr, r_tx, r_rx = _delay(x, apc, vel, acc, tr)
    return tr, r_tx, r_rx


@nb.njit(cache=True, nogil=True, parallel=True)
def point_echo_kernel(apc: np.ndarray, vel: np.ndarray, acc: np.ndarray, bore: np.ndarray,
                      azax: np.ndarray, elax: np.ndarray, tx_pol: np.ndarray,
                      tau0: np.ndarray, targets: np.ndarray, smat: np.ndarray, fs: float,
                      chirp_t: float, chirp_k: float, fc: float, beam_az: float,
                      beam_el: float, scale: float, out: np.ndarray) -> None:
    """Add point-target echoes to ``out[pulse, rx, sample]``, exactly, sample by sample.

    Parameters
    ----------
    apc, vel, acc : ndarray, shape (pulses, 3)
        Antenna phase centre (ECEF, m), velocity and acceleration at transmit; the
        track is expanded to second order over the echo's travel.
    bore, azax, elax : ndarray, shape (pulses, 3)
        Antenna boresight, azimuth and elevation unit axes.
    tx_pol : ndarray of int, shape (pulses,)
        Transmit polarisation of each pulse (0 H, 1 V).
    tau0 : ndarray, shape (pulses,)
        Delay of sample 0 after the pulse's transmit time (s).
    targets : ndarray, shape (targets, 3)
        Scatterer positions (ECEF, m).
    smat : ndarray of complex, shape (targets, 2, 2)
        Scattering matrices ``[rx, tx]``, distortion applied.
    fs : float
        Sampling rate (Hz).
    chirp_t, chirp_k : float
        Chirp length (s) and rate (Hz/s).
    fc : float
        Carrier frequency (Hz).
    beam_az, beam_el : float
        Half-power beamwidths (rad) of the sinc-squared pattern.
    scale : float
        Amplitude factor (radar constant and units).
    out : ndarray of complex, shape (pulses, 2, samples)
        Added into.
    """
    n_samp = out.shape[2]
    for p in nb.prange(apc.shape[0]):
        q = tx_pol[p]
        for n in range(targets.shape[0]):
            x = targets[n]
            g = _gain_towards(x, apc[p], bore[p], azax[p], elax[p], beam_az, beam_el)
            if g == 0.0:
                continue
            tc, _, _ = _echo_delay(x, apc[p], vel[p], acc[p])
            k0 = int(np.floor((tc - 0.5 * chirp_t - tau0[p]) * fs)) - 1
            k1 = int(np.ceil((tc + 0.5 * chirp_t - tau0[p]) * fs)) + 1
            for k in range(max(k0, 0), min(k1, n_samp)):
                tr = tau0[p] + k / fs
                d, r_tx, r_rx = _delay(x, apc[p], vel[p], acc[p], tr)
                u = tr - d  # emission time of this wavefront, relative to the chirp centre
                if abs(u) > 0.5 * chirp_t:
                    continue
                ph = np.pi * chirp_k * u * u - 2.0 * np.pi * fc * d
                v = scale * g / (r_tx * r_rx) * (np.cos(ph) + 1j * np.sin(ph))
                out[p, 0, k] += v * smat[n, 0, q]
                out[p, 1, k] += v * smat[n, 1, q]


def _bessel_i0(x: np.ndarray) -> np.ndarray:
    return np.i0(x)


def interpolator_table(n_frac: int = 1024) -> np.ndarray:
    """Kaiser-windowed sinc taps for fractional delays ``f / n_frac``, shape (n_frac + 1, 16).

    Row ``f`` holds the weights of samples ``k0 - 7 .. k0 + 8`` for an impulse at
    ``k0 + f / n_frac``.
    """
    half = N_TAPS // 2
    frac = np.arange(n_frac + 1) / n_frac
    k = np.arange(-half + 1, half + 1)
    dk = k[None, :] - frac[:, None]
    r = np.clip(dk / half, -1.0, 1.0)
    w = _bessel_i0(KAISER_BETA * np.sqrt(1.0 - r * r)) / _bessel_i0(np.array(KAISER_BETA))
    w[np.abs(dk) >= half] = 0.0
    return np.sinc(dk) * w


@nb.njit(cache=True, nogil=True, inline="always")
def _deposit(amp: float, ph: float, s: np.ndarray, pos: float, table: np.ndarray,
             out: np.ndarray) -> None:
    """Add ``amp exp(i ph) s[rx]`` as a band-limited impulse at ``out[rx, pos]``.

    The taps are :func:`interpolator_table`'s, interpolated linearly in the fraction.
    """
    half = N_TAPS // 2
    n_out = out.shape[1]
    n_frac = table.shape[0] - 1
    v = amp * (np.cos(ph) + 1j * np.sin(ph))
    v0 = v * s[0]
    v1 = v * s[1]
    k0 = int(np.floor(pos))
    ff = (pos - k0) * n_frac
    f0 = int(ff)
    wf = ff - f0
    for j in range(N_TAPS):
        k = k0 - half + 1 + j
        if k < 0 or k >= n_out:
            continue
        w = (1.0 - wf) * table[f0, j] + wf * table[min(f0 + 1, n_frac), j]
        out[0, k] += w * v0
        out[1, k] += w * v1


@nb.njit(cache=True, nogil=True, parallel=True)
def impulse_kernel(apc: np.ndarray, vel: np.ndarray, acc: np.ndarray, bore: np.ndarray,
                   azax: np.ndarray, elax: np.ndarray, tx_pol: np.ndarray, tau0: np.ndarray,
                   targets: np.ndarray, smat: np.ndarray, fs: float, fc: float,
                   beam_az: float, beam_el: float, scale: float, offset: int,
                   table: np.ndarray, out: np.ndarray) -> None:
    """Deposit each scatterer's band-limited impulse at its exact echo delay.

    Convolving ``out`` with the chirp (centred) then gives the echo.

    Parameters
    ----------
    apc, vel, acc, bore, azax, elax, tx_pol, tau0, targets, smat, fs, fc, beam_az, beam_el, scale
        As :func:`point_echo_kernel`.
    offset : int
        ``out[p, rx, offset + k]`` receives the impulse of sample ``k``.
    table : ndarray, shape (n_frac + 1, 16)
        Fractional-delay taps (:func:`interpolator_table`).
    out : ndarray of complex, shape (pulses, 2, samples)
        Added into.
    """
    for p in nb.prange(apc.shape[0]):
        for n in range(targets.shape[0]):
            g = _gain_towards(targets[n], apc[p], bore[p], azax[p], elax[p], beam_az,
                              beam_el)
            if g != 0.0:
                tc, r_tx, r_rx = _echo_delay(targets[n], apc[p], vel[p], acc[p])
                _deposit(scale * g / (r_tx * r_rx), -2.0 * np.pi * fc * tc,
                         smat[n, :, tx_pol[p]], (tc - tau0[p]) * fs + offset, table,
                         out[p])


def chirp_samples(band: RadarBand) -> tuple[np.ndarray, int]:
    """The ICD chirp on the sample grid, centred: values and the index of its centre."""
    fs = band.adc_sampling_rate_hz
    half = int(np.floor(0.5 * band.chirp_duration_s * fs))
    u = np.arange(-half, half + 1) / fs
    return np.exp(1j * np.pi * band.chirp_rate * u**2), half


def synthesize(geom: PulseGeometry, tx_pol: np.ndarray, tau0: np.ndarray, n_samples: int,
               band: RadarBand, point_xyz: np.ndarray, point_s: np.ndarray,
               dist_xyz: np.ndarray, dist_s: np.ndarray,
               block: int = 64) -> np.ndarray:
    """Noise-free echoes (counts at the receiver input), shape (pulses, 2, n_samples).

    Parameters
    ----------
    geom : PulseGeometry
        Antenna state per pulse.
    tx_pol : numpy.ndarray
        Transmit polarisation per pulse (0 H, 1 V).
    tau0 : numpy.ndarray
        Delay of sample 0 after each transmit time, seconds.
    n_samples : int
        Samples per echo.
    band : RadarBand
        Band and antenna parameters.
    point_xyz, point_s : numpy.ndarray
        Point targets (ECEF, (n, 3)) and their matrices (n, 2, 2), synthesised exactly.
    dist_xyz, dist_s : numpy.ndarray
        Distributed scatterers, synthesised by the impulse-and-convolution route.
    block : int
        Pulses per FFT block (memory: block * 2 * n_samples * 32 bytes).
    """
    n_p = tx_pol.size
    for name in ("apc", "velocity", "acceleration", "boresight", "az_axis", "el_axis"):
        if getattr(geom, name).shape != (n_p, 3):
            raise ValueError(f"geometry {name} has shape {getattr(geom, name).shape}, "
                             f"expected ({n_p}, 3) for {n_p} pulses")
    if tau0.shape != (n_p,):
        raise ValueError(f"tau0 has shape {tau0.shape}, expected ({n_p},)")
    for xyz, smat in ((point_xyz, point_s), (dist_xyz, dist_s)):
        if len(xyz) != len(smat):
            raise ValueError("targets and scattering matrices differ in number")
    out = np.zeros((n_p, 2, n_samples), dtype=np.complex128)
    fs = band.adc_sampling_rate_hz
    beam_az = np.deg2rad(band.azimuth_beamwidth_deg)
    beam_el = np.deg2rad(band.elevation_beamwidth_deg)
    args = (geom.apc, geom.velocity, geom.acceleration, geom.boresight, geom.az_axis,
            geom.el_axis)
    tx = np.ascontiguousarray(tx_pol, dtype=np.int64)
    if len(point_xyz):
        point_echo_kernel(*args, tx, tau0, np.ascontiguousarray(point_xyz, np.float64),
                          np.ascontiguousarray(point_s, np.complex128), fs,
                          band.chirp_duration_s, band.chirp_rate, band.center_frequency_hz,
                          beam_az, beam_el, band.amplitude_scale, out)
    if len(dist_xyz):
        chirp, centre = chirp_samples(band)
        n_fft = scipy.fft.next_fast_len(n_samples + 2 * chirp.size)
        kern = np.zeros(n_fft, dtype=np.complex128)
        kern[: chirp.size] = chirp
        kern_f = scipy.fft.fft(kern)
        pad = chirp.size  # impulses up to a chirp before sample 0 still reach the window
        table = interpolator_table()
        xyz = np.ascontiguousarray(dist_xyz, np.float64)
        smat = np.ascontiguousarray(dist_s, np.complex128)
        for b0 in range(0, n_p, block):
            b1 = min(n_p, b0 + block)
            imp = np.zeros((b1 - b0, 2, n_fft), dtype=np.complex128)
            blk = (args[0][b0:b1], args[1][b0:b1], args[2][b0:b1], args[3][b0:b1],
                   args[4][b0:b1], args[5][b0:b1])
            impulse_kernel(*blk, tx[b0:b1], tau0[b0:b1], xyz, smat, fs,
                           band.center_frequency_hz, beam_az, beam_el, band.amplitude_scale,
                           pad, table, imp)
            conv = scipy.fft.ifft(scipy.fft.fft(imp, axis=-1) * kern_f, axis=-1, workers=-1)
            # impulse at pad + x convolved with the chirp starting at index 0 whose centre
            # sits at ``centre``: echo sample k is at pad + centre + k
            out[b0:b1] += conv[..., pad + centre : pad + centre + n_samples]
    return out


def quantize(samples: np.ndarray, rx_attenuation_db: float, noise_rms: float,
             sample_format: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Add receiver noise, attenuate and quantise with clipping.

    Returns the integer-valued complex samples and the number of clipped components.
    """
    att = 10 ** (-rx_attenuation_db / 20)
    noise = (rng.normal(size=samples.shape) + 1j * rng.normal(size=samples.shape))
    x = (samples + noise * (noise_rms / np.sqrt(2))) * att
    lim = 127 if sample_format == 1 else 32767
    re = np.round(x.real)
    im = np.round(x.imag)
    clipped = int(np.sum(np.abs(re) > lim) + np.sum(np.abs(im) > lim))
    return np.clip(re, -lim, lim) + 1j * np.clip(im, -lim, lim), clipped
