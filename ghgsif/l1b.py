"""L1B kernels: dark correction, counts to radiance, per-pixel noise and quality flags.

Radiance follows ICD section 8: ``gain * (counts - dark) / integration_time_s``. Consecutive
closed-shutter frames (a run, :func:`average_dark_runs`) are averaged into one dark. The
dark of a scene frame is interpolated linearly in time between the darks that bracket
it (the nearest one outside their span); with no dark frame at all the calibration's
``dark_offset`` is used and the pixels are flagged. Noise per pixel, in counts: shot
noise of the signal electrons, read noise of the frame, and the read noise the
interpolated dark carries,

    var = max(counts - dark, 0) / e_per_count + read^2 + read^2 ((1 - w)^2 / n0 + w^2 / n1),

with ``w`` the interpolation weight and ``n0``, ``n1`` the frames averaged into the two
darks (the last term is 0 when the calibration offset is used, whose own error is not
known). The dark's error is common to every scene frame that uses it: averaging a run
matters for anything averaged over many soundings (estimated for the simulated
instrument: the read noise of one dark frame, 8 counts, moves a spatial pixel's
Fraunhofer SIF by about 0.1 mW m-2 sr-1 nm-1 through the window's least squares).
"""

from __future__ import annotations

import numba as nb
import numpy as np

#: Quality flag bits of an L1B pixel.
FLAG_BAD = 1  # the calibration's bad-pixel map
FLAG_SATURATED = 2  # counts at full scale (65535)
FLAG_NO_DARK = 4  # no dark frame: the calibration's dark offset was used
FLAG_NEGATIVE = 8  # signal below the dark (noise or a wrong dark)
SATURATED = 65535


def dark_weights(t: np.ndarray, dark_t: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                              np.ndarray]:
    """Bracketing dark frames and weights for scene times ``t``.

    Returns indices ``i0``, ``i1`` into ``dark_t`` (sorted) and weight ``w`` of ``i1``:
    ``dark = (1 - w) dark[i0] + w dark[i1]``; outside the darks' span the nearest one
    (``w`` 0). With no dark frame, ``i0 = i1 = -1``.
    """
    t = np.asarray(t, np.float64)
    n = dark_t.size
    if n == 0:
        m1 = np.full(t.shape, -1, np.int64)
        return m1, m1.copy(), np.zeros(t.shape)
    k = np.searchsorted(dark_t, t)
    i1 = np.clip(k, 0, n - 1)
    i0 = np.clip(k - 1, 0, n - 1)
    span = dark_t[i1] - dark_t[i0]
    w = np.where(span > 0, (t - dark_t[i0]) / np.where(span > 0, span, 1.0), 0.0)
    return i0.astype(np.int64), i1.astype(np.int64), np.clip(w, 0.0, 1.0)


def average_dark_runs(dark_t: np.ndarray, dark_counts: np.ndarray,
                      max_gap_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Average each run of consecutive dark frames (gaps at most ``max_gap_s``).

    ``dark_t`` sorted [n], ``dark_counts`` [n, spatial, spectral]. Returns the runs' mean
    times, mean counts and the number of frames in each.
    """
    t = np.asarray(dark_t, np.float64)
    if t.size == 0:
        return t, np.asarray(dark_counts, np.float64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, np.diff(t) > max_gap_s])
    n = np.diff(np.r_[starts, t.size])
    counts = np.add.reduceat(np.asarray(dark_counts, np.float64), starts, axis=0)
    return np.add.reduceat(t, starts) / n, counts / n[:, None, None], n.astype(np.int64)


@nb.njit(cache=True, nogil=True, parallel=True)
def radiance_kernel(counts: np.ndarray, integration_s: np.ndarray, dark_frames: np.ndarray,
                    i0: np.ndarray, i1: np.ndarray, w: np.ndarray, dark_n: np.ndarray,
                    dark_offset: np.ndarray, gain: np.ndarray, bad: np.ndarray,
                    read_noise: float, e_per_count: float, radiance: np.ndarray,
                    noise: np.ndarray, flags: np.ndarray) -> None:
    """Radiance, its 1-sigma noise and flags of frames ``counts`` [frame, spatial, spectral].

    Parameters
    ----------
    counts : ndarray, shape (frames, spatial, spectral)
        Scene counts.
    integration_s : ndarray, shape (frames,)
        Integration times (s).
    dark_frames : ndarray, shape (n_dark, spatial, spectral)
        Mean closed-shutter counts of each dark group.
    i0, i1, w : ndarray, shape (frames,)
        Frame ``f`` subtracts ``(1 - w[f]) dark_frames[i0[f]] + w[f] dark_frames[i1[f]]``;
        ``i0 < 0`` means no dark group, and the calibration's ``dark_offset``.
    dark_n : ndarray, shape (n_dark,)
        Frames averaged in each dark group (the dark estimate's read-noise variance).
    dark_offset : ndarray, shape (spatial, spectral)
        The calibration's dark counts.
    gain : ndarray, shape (spatial, spectral)
        Radiance per count per second.
    bad : ndarray of bool, shape (spatial, spectral)
        The calibration's bad pixels.
    read_noise : float
        Read noise (counts).
    e_per_count : float
        Electrons per count (shot noise).
    radiance, noise, flags : ndarray, shape of ``counts``
        Filled with the radiance, its 1-sigma noise and the flag bits (1 bad pixel,
        2 saturated, 4 no dark, 8 below dark).
    """
    n_f, n_x, n_l = counts.shape
    r2 = read_noise * read_noise
    for f in nb.prange(n_f):
        inv_t = 1.0 / integration_s[f]
        have = i0[f] >= 0
        wf = w[f]
        dark_var = (r2 * ((1.0 - wf) ** 2 / dark_n[i0[f]] + wf * wf / dark_n[i1[f]])
                    if have else 0.0)
        for x in range(n_x):
            for k in range(n_l):
                c = counts[f, x, k]
                if have:
                    d = ((1.0 - wf) * dark_frames[i0[f], x, k]
                         + wf * dark_frames[i1[f], x, k])
                else:
                    d = dark_offset[x, k]
                s = c - d
                var = max(s, 0.0) / e_per_count + r2 + dark_var
                g = gain[x, k] * inv_t
                radiance[f, x, k] = g * s
                noise[f, x, k] = g * np.sqrt(var)
                fl = 0
                if bad[x, k]:
                    fl |= 1
                if c >= 65535:
                    fl |= 2
                if not have:
                    fl |= 4
                if s < 0.0:
                    fl |= 8
                flags[f, x, k] = fl


def to_radiance(counts: np.ndarray, integration_s: np.ndarray, t: np.ndarray,
                dark_frames: np.ndarray, dark_t: np.ndarray, dark_offset: np.ndarray,
                gain: np.ndarray, bad: np.ndarray, read_noise: float,
                e_per_count: float, dark_n: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Radiance (W m-2 sr-1 nm-1), noise and flags of scene frames (module doc).

    Parameters
    ----------
    counts : numpy.ndarray
        Scene frames [frame, spatial, spectral], ADC counts.
    integration_s, t : numpy.ndarray
        Each frame's integration time and start-of-integration GPS time (s).
    dark_frames, dark_t : numpy.ndarray
        Dark frames and their GPS times (sorted), each the mean of ``dark_n``
        closed-shutter frames (one each when omitted; :func:`average_dark_runs`).
    dark_offset, gain, bad : numpy.ndarray
        The calibration's dark offset (counts), gain (radiance per count per second) and
        bad-pixel map, [spatial, spectral].
    read_noise : float
        Read noise (electrons).
    e_per_count : float
        Electrons per count.
    dark_n : numpy.ndarray, optional
        Frames averaged into each dark.

    Returns
    -------
    tuple of numpy.ndarray
        Radiance (W m-2 sr-1 nm-1), its 1-sigma noise and the quality flags.
    """
    counts = np.ascontiguousarray(counts, np.float64)
    i0, i1, w = dark_weights(t, np.asarray(dark_t, np.float64))
    n_avg = (np.ones(max(len(dark_t), 1)) if dark_n is None
             else np.maximum(np.asarray(dark_n, np.float64), 1.0))
    if dark_frames.size == 0:
        dark_frames = np.zeros((1,) + counts.shape[1:])
        n_avg = np.ones(1)
    rad = np.empty(counts.shape)
    noise = np.empty(counts.shape)
    flags = np.empty(counts.shape, np.uint8)
    radiance_kernel(counts, np.ascontiguousarray(integration_s, np.float64),
                    np.ascontiguousarray(dark_frames, np.float64), i0, i1, w, n_avg,
                    np.ascontiguousarray(dark_offset, np.float64),
                    np.ascontiguousarray(gain, np.float64), np.ascontiguousarray(bad),
                    float(read_noise), float(e_per_count), rad, noise, flags)
    return rad, noise, flags
