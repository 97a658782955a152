"""Range compression: FFT matched filtering with the recorded replica or the ideal chirp.

Output sample ``k`` of a compressed echo lies at the same delay as raw sample ``k``
(``window_start_ticks / fs + k / fs`` after the transmit time): the filter is aligned on
the chirp's centre. Inside the chirp bandwidth the filter equalises the reference's
spectrum (``W conj(R) / |R|^2``), so that the Fresnel ripple of a finite chirp does not
raise the side lobes and the compressed spectrum is exactly the chosen window (``rect``,
``hamming``, ``taylor:NBAR:SLL_DB``); the receiver attenuation is added back, and a
per-channel delay is removed by a linear phase. Amplitudes are normalised so that a
point echo of amplitude ``a`` (samples ``a * reference``) compresses to a peak of ``a``
times the window's mean.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from sarproc.windows import window_weights


def ideal_chirp(bandwidth_hz: float, duration_s: float, rate_sign: int,
                fs: float) -> tuple[np.ndarray, int]:
    """The ICD chirp sampled at ``fs``, centred: samples and the index of its centre."""
    half = int(np.floor(0.5 * duration_s * fs))
    u = np.arange(-half, half + 1) / fs
    k = rate_sign * bandwidth_hz / duration_s
    return np.exp(1j * np.pi * k * u**2), half


def replica_reference(samples: np.ndarray) -> tuple[np.ndarray, int]:
    """A recorded replica as filter reference: its centre is its middle sample.

    The replica is scaled to unit rms amplitude over its non-zero samples, so that an echo
    ``a * s(t)`` of the unit-amplitude ICD chirp compresses to ``a`` ADC counts, as with
    :func:`ideal_chirp` (the calibration loop's own gain does not enter the image).
    """
    samples = np.asarray(samples, dtype=np.complex128)
    nz = np.abs(samples) > 0
    rms = float(np.sqrt(np.mean(np.abs(samples[nz]) ** 2))) if nz.any() else 1.0
    return samples / rms, (samples.size - 1) // 2


def matched_filter(reference: np.ndarray, centre: int, n_samples: int, fs: float,
                   bandwidth_hz: float, window: str = "rect",
                   channel_delay_s: float = 0.0) -> tuple[np.ndarray, int]:
    """Frequency response of the matched filter for echoes of ``n_samples``.

    Parameters
    ----------
    reference : ndarray of complex
        The transmitted pulse (replica or ideal chirp) at ``fs``.
    centre : int
        Sample of ``reference`` that marks the pulse's centre; the compressed peak of an
        echo falls at the sample of the echo's centre.
    n_samples : int
        Samples per echo line.
    fs : float
        Sampling rate (Hz).
    bandwidth_hz : float
        Chirp bandwidth; outside it the filter is zero.
    window : str
        Range window over the band (:func:`sarproc.windows.parse_window`).
    channel_delay_s : float
        The receive channel's own delay, taken out as a linear phase.

    Returns
    -------
    filt : ndarray of complex128, shape (n_fft,)
        The inverse filter in the band, times the window.
    n_fft : int
        FFT length (at least ``n_samples + reference.size``).
    """
    n_fft = scipy.fft.next_fast_len(n_samples + reference.size)
    ref = np.zeros(n_fft, dtype=np.complex128)
    ref[: reference.size] = reference
    f = scipy.fft.fftfreq(n_fft, 1.0 / fs)
    spec = scipy.fft.fft(ref)
    band = np.abs(f) <= 0.5 * bandwidth_hz
    p = np.abs(spec) ** 2
    floor = 1e-3 * p[band].max() if band.any() else 1.0
    # inverse filter in the band, normalised so that the compressed spectrum is the
    # window and the peak the window's mean (ifft divides by n_fft)
    h = np.conj(spec) / np.maximum(p, floor) * (n_fft / max(int(band.sum()), 1))
    # delay the correlation by the reference's centre (peak at the echo's centre) and
    # advance it by the channel's own delay, both as linear phases
    h *= np.exp(2j * np.pi * f * (channel_delay_s - centre / fs))
    w = window_weights(window, f / bandwidth_hz)
    return h * w, n_fft


def compress(echoes: np.ndarray, filt: np.ndarray, n_fft: int,
             rx_attenuation_db: np.ndarray | float = 0.0) -> np.ndarray:
    """Range-compress echoes (pulses, samples) with a filter from :func:`matched_filter`.

    Single precision throughout (the ADC counts are 16-bit): one forward FFT, the product
    with the filter in place, one inverse FFT in place, the attenuation restored on the
    kept samples.
    """
    e = np.asarray(echoes)
    n = e.shape[-1]
    spec = scipy.fft.fft(e.astype(np.complex64, copy=False), n_fft, axis=-1, workers=-1)
    spec *= filt.astype(np.complex64, copy=False)
    out = scipy.fft.ifft(spec, axis=-1, workers=-1, overwrite_x=True)[..., :n]
    gain = 10 ** (np.asarray(rx_attenuation_db, dtype=np.float64) / 20)
    if gain.ndim:
        gain = gain.reshape(gain.shape + (1,) * (out.ndim - gain.ndim))
    if np.any(gain != 1.0):
        out *= gain.astype(np.float32)
    return out
