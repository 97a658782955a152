"""SAR focusing: range compression against plain scipy.fft, exact backprojection rate.

Range compression: ``sarproc.compress`` (filter from ``matched_filter``) on 512 echoes of
10,240 samples against the plain ``scipy.fft`` multiply-and-inverse on the same complex64
array with the same workers (the FFT limit). Backprojection: the exact kernel
(moving antenna, azimuth window, band-limited range interpolation) on a 256 x 256 ground
tile from 1,024 pulses, in pixel-pulse pairs per second.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from benchmarks.common import Result, best_of
from sarproc.backprojection import C_LIGHT, backproject_kernel, upsample
from sarproc.range_compression import compress, ideal_chirp, matched_filter
from sarproc.windows import window_weights


def run() -> list[Result]:
    rng = np.random.default_rng(0)
    n_p, n_s = 512, 10_240
    echo = (rng.normal(size=(n_p, n_s)) + 1j * rng.normal(size=(n_p, n_s))).astype(np.complex64)
    ref, c = ideal_chirp(85e6, 10e-6, 1, 100e6)
    filt, nf = matched_filter(ref, c, n_s, 100e6, 85e6, "taylor:4:35")
    f32 = filt.astype(np.complex64)

    def ours() -> None:
        compress(echo, filt, nf, 6.0)

    def plain() -> None:
        scipy.fft.ifft(scipy.fft.fft(echo, nf, axis=-1, workers=-1) * f32, axis=-1,
                       workers=-1)[..., :n_s]

    ours()
    plain()
    t_o, t_b = best_of(ours, 5), best_of(plain, 5)
    out = [Result("range compression, 512 x 10240 echoes", "Mecho-samples/s",
                  n_p * n_s / t_o / 1e6, n_p * n_s / t_b / 1e6, "scipy.fft multiply+inverse",
                  ">= 0.9x", t_b / t_o >= 0.9)]

    # exact backprojection: straight track, 1024 pulses, 256 x 256 pixels at 0.5 m
    n_pulse, fs, up = 1024, 100e6, 16
    x = np.arange(n_pulse) * 0.24 - 0.12 * n_pulse
    apc = np.stack([x, np.zeros(n_pulse), np.full(n_pulse, 3000.0)], axis=1) + 6.4e6 * \
        np.array([0, 0, 1.0])
    vel = np.tile([120.0, 0, 0], (n_pulse, 1))
    gy, gx = np.mgrid[0:256, 0:256] * 0.5
    pix = np.stack([gx.ravel() - 64, gy.ravel() + 3000.0, np.zeros(gx.size)], axis=1) + \
        6.4e6 * np.array([0, 0, 1.0])
    rc = (rng.normal(size=(n_pulse, 2048)) + 1j * rng.normal(size=(n_pulse, 2048))
          ).astype(np.complex64)
    rcu = upsample(rc, up)
    tau0 = np.full(n_pulse, 2 * 4000.0 / C_LIGHT)
    track = np.tile([1.0, 0, 0], (n_pulse, 1))
    table = window_weights("taylor:4:35", np.linspace(-0.5, 0.5, 2001))
    img = np.zeros(pix.shape[0], np.complex128)
    axes = np.zeros((n_pulse, 3, 3))

    def bp() -> None:
        backproject_kernel(rcu, tau0, fs * up, apc, vel, track, 1.2575e9, pix, 1.0, table,
                           axes, 0.0, 0.0, 0.1, img)

    bp()
    t_bp = best_of(bp, 3)
    out.append(Result("exact backprojection, 256x256 px x 1024 pulses", "Gpixel-pulses/s",
                      pix.shape[0] * n_pulse / t_bp / 1e9, None, "-",
                      ">= FastSAR exact (not yet measured)", None))
    return out
