"""Polarimetric throughput: multilook + Cloude-Pottier + Freeman-Durden, megapixels/s.

Ours: ``sarproc.polarimetry`` (Numba, parallel) on four 2048 x 2048 complex64 images,
4 x 4 looks. Baseline: the same mathematics in plain vectorised NumPy (``einsum``
multilook, batched ``numpy.linalg.eigh``, array-wise Freeman-Durden), same process.
"""

from __future__ import annotations

import numpy as np

from benchmarks.common import Result, best_of
from sarproc.polarimetry import PAULI_FROM_LEX, coherency, covariance, freeman_durden, h_a_alpha


def _numpy_pipeline(hh: np.ndarray, hv: np.ndarray, vh: np.ndarray, vv: np.ndarray,
                    looks: int) -> tuple[np.ndarray, ...]:
    k = np.stack([hh, np.sqrt(2) * (hv + vh) / 2, vv], axis=-1).astype(np.complex128)
    ny, nx = hh.shape[0] // looks, hh.shape[1] // looks
    k = k.reshape(ny, looks, nx, looks, 3)
    c = np.einsum("iajbp,iajbq->ijpq", k, k.conj()) / looks**2
    t = PAULI_FROM_LEX @ c @ PAULI_FROM_LEX.conj().T
    w, v = np.linalg.eigh(t)
    lam = np.maximum(w, 0)
    p = lam / lam.sum(-1, keepdims=True)
    h = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0), -1) / np.log(3)
    alpha = np.degrees(np.sum(p * np.arccos(np.minimum(np.abs(v[..., 0, :]), 1)), -1))
    an = (lam[..., 1] - lam[..., 0]) / (lam[..., 1] + lam[..., 0])
    fv = 3 * c[..., 1, 1].real / 2
    a, b, x = c[..., 0, 0].real - fv, c[..., 2, 2].real - fv, c[..., 0, 2] - fv / 3
    surf = x.real >= 0
    fd = np.where(surf, (a * b - abs(x) ** 2) / (a + b + 2 * x.real), 0)
    fs = np.where(surf, b - fd, (a * b - abs(x) ** 2) / (a + b - 2 * x.real))
    return h, an, alpha, fs, fd, fv


def run(n: int = 2048, looks: int = 4) -> list[Result]:
    rng = np.random.default_rng(0)
    ims = [(rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))).astype(np.complex64)
           for _ in range(4)]

    def ours() -> None:
        c = covariance(*ims, looks=(looks, looks))
        h_a_alpha(coherency(c))
        freeman_durden(c)

    def plain() -> None:
        _numpy_pipeline(*ims, looks)

    ours()
    c = covariance(*ims, looks=(looks, looks))
    ent = h_a_alpha(coherency(c))["entropy"]
    assert np.allclose(ent, _numpy_pipeline(*ims, looks)[0], atol=1e-9)  # same numbers
    t_o, t_b = best_of(ours, 3), best_of(plain, 2)
    mp = n * n / 1e6
    return [Result(f"multilook {looks}x{looks} + H/A/alpha + Freeman-Durden, {n}x{n}",
                   "Mpixel/s", mp / t_o, mp / t_b, "NumPy vectorised", ">= 5x",
                   t_b / t_o >= 5)]
