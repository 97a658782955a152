"""Single-precision math of the tiled backprojection kernels (private).

Polynomial sine and cosine of a phase in cycles, a branch-free arctangent and the sinc
series, in float32 for Numba's vectorised inner loops; each states its truncation error.
The exact kernels and the fast path share them.
"""

from __future__ import annotations

import numba as nb
import numpy as np

F32 = np.float32
HALF, ONE, ZERO = F32(0.5), F32(1.0), F32(0.0)


# minimax polynomials of sin(2 pi x) and cos(2 pi x) on [0, 1/4] (4e-9 absolute error)
_PS = (F32(6.283185189), F32(-41.34166012), F32(81.60126724), F32(-76.55501843), F32(39.57215334))
_PC = (F32(0.9999999999), F32(-19.73920861), F32(64.93935261), F32(-85.45381044),
       F32(60.14806081), F32(-25.00674980))


@nb.njit(cache=True, nogil=True, inline="always", fastmath=True)
def sincos_cycles(c: np.float32) -> tuple[np.float32, np.float32]:
    """``sin(2 pi c)`` and ``cos(2 pi c)`` in single precision for a phase in cycles."""
    c = c - np.rint(c)
    a = abs(c)
    x = HALF - a if a > F32(0.25) else a
    x2 = x * x
    sp = x * (_PS[0] + x2 * (_PS[1] + x2 * (_PS[2] + x2 * (_PS[3] + x2 * _PS[4]))))
    cp = _PC[0] + x2 * (_PC[1] + x2 * (_PC[2] + x2 * (_PC[3] + x2 * (_PC[4] + x2 * _PC[5]))))
    return (-sp if c < ZERO else sp), (-cp if a > F32(0.25) else cp)


@nb.njit(cache=True, nogil=True, inline="always", fastmath=True)
def atan_small(t: np.float32) -> np.float32:
    """Arctangent for |t| <= 1, branch-free: one argument halving, odd series to t^15.

    ``atan t = 2 atan(t / (1 + sqrt(1 + t^2)))``; the halved argument is at most
    ``tan(pi / 8)``, where the truncation error is below 3e-8.
    """
    h = t / (ONE + np.sqrt(ONE + t * t))
    h2 = h * h
    return F32(2.0) * h * (ONE + h2 * (F32(-1 / 3) + h2 * (F32(0.2) + h2 * (F32(-1 / 7) + h2 * (
        F32(1 / 9) + h2 * (F32(-1 / 11) + h2 * (F32(1 / 13) + h2 * F32(-1 / 15))))))))


# Taylor coefficients of sin(pi x) / (pi x) in x^2, to x^20 (error below 3e-10 for |x| <= 1)
_SINC = tuple(F32((-1) ** k * np.pi ** (2 * k) / float(np.prod(np.arange(1, 2 * k + 2))))
              for k in range(11))


@nb.njit(cache=True, nogil=True, inline="always", fastmath=True)
def sinc(x: np.float32) -> np.float32:
    """``sin(pi x) / (pi x)`` for |x| <= 1 by its series, and 0 beyond the first null."""
    z = min(x * x, ONE)
    v = _SINC[10]
    v = _SINC[9] + z * v
    v = _SINC[8] + z * v
    v = _SINC[7] + z * v
    v = _SINC[6] + z * v
    v = _SINC[5] + z * v
    v = _SINC[4] + z * v
    v = _SINC[3] + z * v
    v = _SINC[2] + z * v
    v = _SINC[1] + z * v
    v = _SINC[0] + z * v
    return v * F32(z < ONE)
