"""Optimal estimation per sounding (Rodgers 2000; Levenberg-Marquardt steps).

``dx = (K^T Se^-1 K + (1 + gamma) Sa^-1)^-1 [K^T Se^-1 (y - F(x)) - Sa^-1 (x - x_a)]``
with ``gamma`` lowered after a step that reduces the cost and raised after one that does
not; converged when the step's ``d^2 = dx^T S^-1 dx`` falls below a tenth of the state
size. Returns the state, posterior covariance ``S = (K^T Se^-1 K + Sa^-1)^-1``, averaging
kernel ``A = S K^T Se^-1 K``, reduced chi-square, iterations and convergence flag.

The O2-A retrieval (:func:`o2a_sounding`) fits the O2 and H2O column scales, a quadratic
surface reflectance and SIF; the O2 scale times the prior surface pressure is the
apparent surface pressure of the cloud screening (:mod:`ghgsif.clouds`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ghgsif.forward import BandForward, State


@dataclass
class OEResult:
    """One sounding's retrieval."""

    x: np.ndarray
    covariance: np.ndarray
    averaging_kernel: np.ndarray
    chi2: float
    iterations: int
    converged: bool

    @property
    def uncertainty(self) -> np.ndarray:
        """1-sigma posterior uncertainties."""
        return np.sqrt(np.diag(self.covariance))


def optimal_estimation(forward: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
                       y: np.ndarray, sigma: np.ndarray, xa: np.ndarray, sa: np.ndarray,
                       x0: np.ndarray | None = None, max_iter: int = 12) -> OEResult:
    """Levenberg-Marquardt optimal estimation (module doc).

    Parameters
    ----------
    forward : callable
        ``forward(x) -> (F, K)``: modelled measurement and its Jacobian.
    y, sigma : ndarray, shape (m,)
        Measurement and its 1-sigma noise (diagonal measurement covariance).
    xa, sa : ndarray, shape (n,), (n, n)
        Prior state and covariance.
    x0 : ndarray, optional
        First guess; the prior when not given.
    max_iter : int
        Most iterations.
    """
    w = 1.0 / sigma**2
    sa_inv = np.linalg.inv(sa)
    x = np.array(xa if x0 is None else x0, np.float64)
    f, k = forward(x)

    def cost(fx: np.ndarray, xx: np.ndarray) -> float:
        r = y - fx
        d = xx - xa
        return float(np.sum(w * r * r) + d @ sa_inv @ d)

    c = cost(f, x)
    gamma = 1.0
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - reported below
        ktw = k.T * w
        hess = ktw @ k
        grad = ktw @ (y - f) - sa_inv @ (x - xa)
        step = np.linalg.solve(hess + (1 + gamma) * sa_inv, grad)
        xn = x + step
        fn, kn = forward(xn)
        cn = cost(fn, xn)
        if cn < c:
            x, f, k, c = xn, fn, kn, cn
            gamma /= 10.0
            s_post = np.linalg.inv(hess + sa_inv)
            if step @ np.linalg.solve(s_post, step) < 0.1 * x.size:
                converged = True
                break
        else:
            gamma *= 10.0
    ktw = k.T * w
    s_post = np.linalg.inv(ktw @ k + sa_inv)
    avk = s_post @ ktw @ k
    chi2 = float(np.sum(w * (y - f) ** 2) / max(y.size - x.size, 1))
    return OEResult(x, s_post, avk, chi2, n_iter, converged)


def _usable(fw: BandForward, radiance: np.ndarray, noise: np.ndarray, good: np.ndarray,
            wl_nm: np.ndarray) -> np.ndarray:
    """Pixels a retrieval uses: good, finite, with noise, inside the band."""
    return (good & np.isfinite(radiance) & (noise > 0) & (wl_nm > fw.lo_nm)
            & (wl_nm < fw.hi_nm))


def _prior(fw: BandForward, y: np.ndarray, isrf: object, sza_deg: float, vza_deg: float,
           last_sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Prior state and covariance of the gas scales, reflectance and a last element.

    Gas scales 1 +- 0.5; the reflectance's constant first guessed from the brightest tenth
    of the pixels (measured over the radiance of a unit reflectance), its terms +- 1; the
    last element (SIF or wavelength shift) 0 +- ``last_sigma``.
    """
    n = len(fw.gases)
    cont, _ = fw.radiance(State({g: 1.0 for g in fw.gases}, (1.0, 0.0, 0.0), 0.0), sza_deg,
                          vza_deg, isrf, jacobian=False)  # type: ignore[arg-type]
    top = cont >= np.quantile(cont, 0.9)
    a0 = float(np.median(y[top] / cont[top]))
    return (np.array([1.0] * n + [a0, 0.0, 0.0, 0.0]),
            np.diag([0.5**2] * n + [1.0, 1.0, 1.0, last_sigma**2]))


def o2a_sounding(fw: BandForward, radiance: np.ndarray, noise: np.ndarray, good: np.ndarray,
                 wl_nm: np.ndarray, fwhm_nm: float, sza_deg: float,
                 vza_deg: float) -> OEResult:
    """O2-A retrieval of one sounding: O2 and H2O scales, reflectance, SIF (module doc).

    Parameters
    ----------
    fw : BandForward
        The band's forward model.
    radiance, noise : ndarray, shape (pixels,)
        Measured radiance and its 1-sigma noise.
    good : ndarray of bool, shape (pixels,)
        Pixels fit to use.
    wl_nm : ndarray, shape (pixels,)
        Pixel centre wavelengths (nm).
    fwhm_nm : float
        ISRF full width at half maximum (nm).
    sza_deg, vza_deg : float
        Solar and viewing zenith angles (deg).
    """
    use = _usable(fw, radiance, noise, good, wl_nm)
    isrf = fw.isrf_matrix(wl_nm[use], fwhm_nm)
    y = radiance[use]
    xa, sa = _prior(fw, y, isrf, sza_deg, vza_deg, 0.01)  # SIF prior: 10 mW sigma

    def forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f, k = fw.radiance(State.from_vector(x, fw.gases), sza_deg, vza_deg, isrf)
        assert k is not None
        return f, k

    return optimal_estimation(forward, y, noise[use], xa, sa)


def swir_sounding(fw: BandForward, radiance: np.ndarray, noise: np.ndarray, good: np.ndarray,
                  wl_nm: np.ndarray, fwhm_nm: float, sza_deg: float,
                  vza_deg: float) -> OEResult:
    """SWIR retrieval of one sounding: gas column scales, reflectance and wavelength shift.

    Parameters are those of :func:`o2a_sounding`.

    State: the band's gas scales (CO2, CH4, H2O), the quadratic reflectance, and the shift
    (nm) of the pixel wavelengths (the SWIR bands are registered in the same fit as the
    gases, on their absorption lines); the ISRF matrix is rebuilt at each shifted scale
    and the shift's Jacobian is the derivative of the ISRF weights with the shift.
    """
    use = _usable(fw, radiance, noise, good, wl_nm)
    wl = wl_nm[use]
    y = radiance[use]
    cache: dict[float, tuple[object, object]] = {}

    def matrices(shift: float) -> tuple[object, object]:
        key = round(shift, 9)
        if key not in cache:
            cache.clear()
            cache[key] = fw.isrf_matrices(wl + shift, fwhm_nm)
        return cache[key]

    xa, sa = _prior(fw, y, matrices(0.0)[0], sza_deg, vza_deg, 0.02)  # shift: 0.02 nm

    def forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        st = State.from_vector(np.concatenate([x[:-1], [0.0]]), fw.gases)
        fine, kf = fw.fine(st, sza_deg, vza_deg)  # the shift acts on the ISRF only
        assert kf is not None
        m0, dm = matrices(float(x[-1]))
        f = m0 @ fine  # type: ignore[operator]
        k = np.asarray(m0 @ kf[:, :-1])  # type: ignore[operator]
        return f, np.column_stack([k, dm @ fine])  # type: ignore[operator]

    return optimal_estimation(forward, y, noise[use], xa, sa)
