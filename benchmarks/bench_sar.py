"""SAR focusing: range compression, exact backprojection, the fast path, memory.

- Range compression: ``sarproc.compress`` on 512 echoes of 10,240 samples against the
  plain ``scipy.fft`` multiply-and-inverse on the same complex64 array with the same
  workers (the FFT limit).
- Exact backprojection: our production kernel (``backproject_tiles_kernel``) on a
  512 x 512 ground grid from 1,024 pulses, every pulse inside the integration angle,
  rectangular window, no antenna pattern (the work FastSAR's ``ExactFormer`` does),
  against FastSAR 0.1.8's ``ExactFormer`` (CPU backend, C++/OpenMP) on the same sizes, with
  its default cubic and with linear range interpolation.
- Fast path: ``sar.algorithm: ffbp`` against exact backprojection through
  ``sarproc.focus.focus_tile`` on an ``N x N`` grid at 0.5 m (N = 4096 by default) from a
  straight 3 km-altitude track, rect window over 3 degrees, antenna pattern on, with
  band-limited random range lines (clutter-like): time ratio and difference energy.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.fft

from benchmarks.common import Result, best_of
from flightlog.constants import C_LIGHT_M_S
from flightlog.geodesy import ecef_to_geodetic, geodetic_to_ecef
from sarproc.backprojection import (
    backproject_tiles_kernel,
    merge_subtiles,
    subtiles,
    upsample,
)
from sarproc.config import SarConfig
from sarproc.focus import ChannelGeometry, focus_tile
from sarproc.l0 import L0Channel
from sarproc.range_compression import compress, ideal_chirp, matched_filter
from sarproc.windows import window_weights

FC, BW, FS = 1.2575e9, 85e6, 100e6


def _range_compression() -> Result:
    rng = np.random.default_rng(0)
    n_p, n_s = 512, 10_240
    echo = (rng.normal(size=(n_p, n_s)) + 1j * rng.normal(size=(n_p, n_s))).astype(np.complex64)
    ref, c = ideal_chirp(BW, 10e-6, 1, FS)
    filt, nf = matched_filter(ref, c, n_s, FS, BW, "taylor:4:35")
    f32 = filt.astype(np.complex64)

    def ours() -> None:
        compress(echo, filt, nf, 6.0)

    def plain() -> None:
        scipy.fft.ifft(scipy.fft.fft(echo, nf, axis=-1, workers=-1) * f32, axis=-1,
                       workers=-1)[..., :n_s]

    ours()
    plain()
    t_o, t_b = best_of(ours, 5), best_of(plain, 5)
    return Result("range compression, 512 x 10240 echoes", "Msamples/s", n_p * n_s / t_o / 1e6,
                  n_p * n_s / t_b / 1e6, "scipy.fft multiply+inverse", ">= 0.9x",
                  t_b / t_o >= 0.9)


def _frame() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    la, lo = np.deg2rad(35.0), np.deg2rad(139.0)
    up = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    east = np.array([-np.sin(lo), np.cos(lo), 0.0])
    return geodetic_to_ecef(la, lo, 0.0), up, east, np.cross(up, east)


def _exact_vs_fastsar(n: int = 512, n_p: int = 1024) -> list[Result]:
    rng = np.random.default_rng(1)
    g0, up, east, north = _frame()
    x = (np.arange(n_p) - n_p / 2) * 0.24
    apc = g0 + 3000 * up + x[:, None] * north
    vel = np.tile(120 * north, (n_p, 1))
    gy, gx = np.mgrid[0:n, 0:n] * 0.5
    pix = g0 + (gx[..., None] - n / 4) * north + (gy[..., None] + 2900) * east
    rc = (rng.normal(size=(n_p, 2048)) + 1j * rng.normal(size=(n_p, 2048))).astype(np.complex64)
    rcu = upsample(rc, 8)
    tau0 = np.full(n_p, 2 * 4000.0 / C_LIGHT_M_S)
    track = np.tile(north, (n_p, 1))
    table = window_weights("rect", np.linspace(-0.5, 0.5, 2001))
    axes = np.zeros((n_p, 3, 3))
    centre, offset, half, padded = subtiles(pix, 16)
    acc = np.zeros(offset.shape[:2], np.complex128)

    def ours() -> None:
        backproject_tiles_kernel(rcu, tau0, FS * 8, apc, vel, track, FC, centre, offset, half,
                                 1.0, table, axes, 0.0, 0.0, 0.1, acc)

    ours()
    merge_subtiles(acc, pix.shape[:2], padded, 16)
    rate = n * n * n_p / best_of(ours, 3) / 1e9
    out = []
    for interp in ("cubic", "linear"):
        base, name = None, "fastsar not installed"
        try:
            import fastsar  # type: ignore[import-not-found]

            s = (rng.normal(size=(n_p, 2048)) + 1j * rng.normal(size=(n_p, 2048))).astype(
                np.complex64)
            ant = np.stack([x, np.full(n_p, -3000.0), np.full(n_p, 3000.0)], axis=1)
            former = fastsar.ExactFormer(ant, FC - BW / 2, BW / 2048, 2048, n, n, 0.5, 0.5,
                                         backend="cpu", interp=interp)
            former(s)
            base = n * n * n_p / best_of(lambda f=former, s=s: f(s), 3) / 1e9
            name = f"FastSAR {fastsar.__version__} ExactFormer cpu, {interp}"
        except ImportError:
            pass
        out.append(Result(f"exact backprojection, {n}x{n} px x {n_p} pulses", "Gpixel-pulses/s",
                          rate, base, name, ">= 1x FastSAR",
                          None if base is None else rate >= base))
    return out


def _fast_path(n: int = 4096) -> list[Result]:
    rng = np.random.default_rng(2)
    g0, up, east, north = _frame()
    spacing, tile = 0.5, 512
    ext = n * spacing
    sin_half = np.sin(np.deg2rad(1.5))
    n_p = int((ext + 2 * sin_half * 4500) / 0.48) + 64
    x = (np.arange(n_p) - n_p / 2) * 0.48
    apc = g0 + 3000 * up + x[:, None] * north
    r_min = np.hypot(3000, 3000 - ext / 2) - 50
    r_max = np.hypot(np.hypot(3000, 3000 + ext / 2), 2 * sin_half * 4500) + 50
    ns = int(2 * (r_max - r_min) / C_LIGHT_M_S * FS) + 256
    spec = rng.normal(size=(n_p, ns)) + 1j * rng.normal(size=(n_p, ns))
    spec[:, np.abs(scipy.fft.fftfreq(ns, 1 / FS)) > BW / 2] = 0
    rc = scipy.fft.ifft(spec, axis=1).astype(np.complex64)
    del spec
    bore = np.cos(np.pi / 4) * east - np.sin(np.pi / 4) * up
    axes = np.tile(np.stack([bore, north, np.cross(bore, north)])[None], (n_p, 1, 1))
    ch = L0Channel(0, "HH", np.arange(n_p), np.arange(n_p) / 250.0, np.ones(n_p, bool),
                   np.ones(n_p, bool), np.zeros(n_p, np.int64), np.zeros(n_p), apc,
                   np.tile(120 * north, (n_p, 1)), np.tile([0, 0, 0, 1.0], (n_p, 1)), ns)
    geo = ChannelGeometry(ch, np.arange(n_p), np.tile(north, (n_p, 1)),
                          np.full(n_p, 2 * r_min / C_LIGHT_M_S), FS, FC, BW, 0.48,
                          np.ascontiguousarray(axes), np.deg2rad(10.0), np.deg2rad(35.0))
    times: dict[str, float] = {}
    energy = {"ref": 0.0, "diff": 0.0}
    for r0 in range(0, n, tile):
        for c0 in range(0, n, tile):
            gy, gx = np.mgrid[r0 : r0 + tile, c0 : c0 + tile] * spacing
            pix = g0 + (gx[..., None] - ext / 2) * north + (gy[..., None] + 3000 - ext / 2) * east
            la, lo, _ = ecef_to_geodetic(pix)
            pix = geodetic_to_ecef(la, lo, np.zeros(la.shape))
            imgs = {}
            for alg in ("backprojection", "ffbp"):
                cfg = SarConfig(algorithm=alg, integration_angle_deg=3.0)
                t = time.perf_counter()
                imgs[alg] = focus_tile(rc, geo, pix, cfg)
                times[alg] = times.get(alg, 0.0) + time.perf_counter() - t
            energy["ref"] += float(np.sum(np.abs(imgs["backprojection"]) ** 2))
            energy["diff"] += float(np.sum(np.abs(imgs["ffbp"] - imgs["backprojection"]) ** 2))
    ratio = times["backprojection"] / times["ffbp"]
    db = 10 * np.log10(energy["diff"] / energy["ref"])
    mpix = n * n / 1e6
    return [Result(f"fast path (ffbp) vs exact, {n}x{n} grid, {n_p} pulses", "Mpixel/s",
                   mpix / times["ffbp"], mpix / times["backprojection"], "exact backprojection",
                   ">= 10x", ratio >= 10),
            Result("fast path difference energy vs exact", "dB", db, None, "-", "<= -40 dB",
                   db <= -40)]


def run(grid: int = 4096) -> list[Result]:
    """All SAR figures; ``grid`` is the side of the fast-path grid."""
    return [_range_compression(), *_exact_vs_fastsar(), *_fast_path(grid)]
