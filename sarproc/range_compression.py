"""Range compression: FFT matched filtering with the recorded replica or the ideal chirp.

Output sample ``k`` of a compressed echo lies at the same delay as raw sample ``k``
(``window_start_ticks / fs + k / fs`` after the transmit time): the filter is aligned on
the chirp's centre. Spectral weighting (``rect``, ``hamming``, ``taylor:NBAR:SLL_DB``)
spans the chirp bandwidth, the receiver attenuation is added back, and a per-channel
delay is removed by a linear phase. Amplitudes are normalised so that a point echo of
amplitude ``a`` compresses to a peak of ``a`` times the window's mean.
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
    """A recorded replica as filter reference: its centre is its middle sample."""
    samples = np.asarray(samples, dtype=np.complex128)
    return samples, (samples.size - 1) // 2


def matched_filter(reference: np.ndarray, centre: int, n_samples: int, fs: float,
                   bandwidth_hz: float, window: str = "rect",
                   channel_delay_s: float = 0.0) -> tuple[np.ndarray, int]:
    """Frequency response of the matched filter for echoes of ``n_samples``.

    Returns the filter (length ``n_fft``) and ``n_fft``.
    """
    n_fft = scipy.fft.next_fast_len(n_samples + reference.size)
    ref = np.zeros(n_fft, dtype=np.complex128)
    ref[: reference.size] = reference
    f = scipy.fft.fftfreq(n_fft, 1.0 / fs)
    h = np.conj(scipy.fft.fft(ref)) / np.sum(np.abs(reference) ** 2)
    # delay the correlation by the reference's centre (peak at the echo's centre) and
    # advance it by the channel's own delay, both as linear phases
    h *= np.exp(2j * np.pi * f * (channel_delay_s - centre / fs))
    w = window_weights(window, f / bandwidth_hz)
    return h * w, n_fft


def compress(echoes: np.ndarray, filt: np.ndarray, n_fft: int,
             rx_attenuation_db: np.ndarray | float = 0.0) -> np.ndarray:
    """Range-compress echoes (pulses, samples) with a filter from :func:`matched_filter`."""
    e = np.asarray(echoes)
    n = e.shape[-1]
    spec = scipy.fft.fft(e, n_fft, axis=-1, workers=-1)
    out = scipy.fft.ifft(spec * filt, axis=-1, workers=-1)[..., :n]
    gain = 10 ** (np.asarray(rx_attenuation_db, dtype=np.float64) / 20)
    if gain.ndim:
        gain = gain.reshape(gain.shape + (1,) * (out.ndim - gain.ndim))
    return (out * gain).astype(np.complex64)
