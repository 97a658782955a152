"""Spectrometer retrievals: Fraunhofer SIF soundings per second on one core.

Ours: ``ghgsif.sif.retrieve_sif`` (window basis from the ISRF-convolved solar spectrum and
the telluric terms, then the Numba weighted least squares) on 20,000 synthetic O2-A
soundings (the window model itself plus Gaussian noise at SNR 300), ``NUMBA_NUM_THREADS``
held at 1 for the per-core figure. Baseline: the same weighted least squares per sounding
with ``numpy.linalg.lstsq`` in a Python loop (on 1,000 soundings, scaled). A spot check
asserts both give the same SIF.
"""

from __future__ import annotations

import numba
import numpy as np

from benchmarks.common import Result, best_of
from ghgsif.sif import retrieve_sif, window_basis
from ghgsif.windows import SIF_WINDOWS

LO, HI, FWHM = 755.0, 775.0, 0.0835


def run(n: int = 20_000) -> list[Result]:
    rng = np.random.default_rng(0)
    wl1 = np.linspace(LO, HI, 600)
    wl = np.tile(wl1, (n, 1)) + rng.uniform(-0.003, 0.003, (n, 1))
    fwhm = np.full(n, FWHM)
    w = SIF_WINDOWS[0]
    basis, inside = window_basis(wl, fwhm, w, LO, HI)
    coef = np.zeros((n, basis.shape[1]))
    coef[:, 0] = rng.uniform(0.03, 0.1, n)
    coef[:, -1] = rng.uniform(0, 2e-3, n)
    clean = np.einsum("np,npm->nm", coef, basis)
    sigma = clean.mean(axis=1, keepdims=True) / 300 * np.ones_like(clean)
    y = clean + rng.normal(size=clean.shape) * sigma
    good = np.ones(y.shape, bool)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        retrieve_sif(y[:10], sigma[:10], good[:10], wl[:10], fwhm[:10], w, LO, HI)

        def ours() -> None:
            retrieve_sif(y, sigma, good, wl, fwhm, w, LO, HI)

        t_o = best_of(ours, 3)
    finally:
        numba.set_num_threads(threads)
    m = 1000

    def plain() -> np.ndarray:
        out = np.empty(m)
        for s in range(m):
            b, _ = window_basis(wl[s : s + 1], fwhm[s : s + 1], w, LO, HI)
            sel = inside[s]
            a = b[0][:, sel].T / sigma[s, sel, None]
            out[s] = np.linalg.lstsq(a, y[s, sel] / sigma[s, sel], rcond=None)[0][-1]
        return out

    t_b = best_of(plain, 1) * n / m
    got = retrieve_sif(y[:m], sigma[:m], good[:m], wl[:m], fwhm[:m], w, LO, HI)["sif"]
    assert np.allclose(got, plain(), rtol=1e-6, atol=1e-9)
    return [Result("Fraunhofer SIF (757 nm window), one core", "soundings/s", n / t_o, n / t_b,
                   "per-sounding numpy.linalg.lstsq", ">= 10,000 per core", n / t_o >= 10_000)]
