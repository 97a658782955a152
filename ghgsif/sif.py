"""Solar-induced fluorescence from Fraunhofer-line filling (OCO-2 style).

In a window almost free of telluric absorption (:mod:`ghgsif.windows`) the radiance is
the reflected sun, a smooth function of wavelength times the ISRF-convolved solar
spectrum ``S``, less the weak telluric lines, plus fluorescence, which fills in the
Fraunhofer lines:

    L(l) = S(l) (a0 + a1 x + a2 x^2) - sum_g c_g [S tau_g](l) + F g(l) / g(l_ref),

``x = (l - l_c) / (half width)``, ``[S tau_g]`` the convolved product of the solar
spectrum and a window gas's optical depth; linear in ``a0..a2``, ``c_g`` and ``F``, the
SIF at the reference wavelength ``l_ref`` (757 or 771 nm). ``g`` is the fluorescence
spectral shape inside the window: the far-red peak, a Gaussian at 740 nm of 25 nm
standard deviation (it only moves ``F`` between the window centre and ``l_ref``, by a few
per cent). Weighted least squares with the L1B noise gives ``F``, its 1-sigma
uncertainty and the reduced chi-square per sounding (Frankenberg et al., GRL 38, L17706,
2011; Joiner et al., AMT 6, 2803, 2013).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ghgsif.refdata import LineLists
from ghgsif.solar import convolved_solar
from ghgsif.windows import WINDOW_GASES, Window, telluric_basis

N_POLY = 3  # reflected-sun polynomial terms
N_BASIS = N_POLY + len(WINDOW_GASES) + 1  # polynomial, telluric gases, fluorescence


def sif_shape(wl_nm: np.ndarray) -> np.ndarray:
    """Relative fluorescence spectrum inside a window (far-red peak; module doc)."""
    return np.exp(-0.5 * ((np.asarray(wl_nm) - 740.0) / 25.0) ** 2)


@nb.njit(cache=True, nogil=True, parallel=True)
def fit_kernel(y: np.ndarray, sigma: np.ndarray, use: np.ndarray, basis: np.ndarray,
               out: np.ndarray) -> None:
    """Weighted linear least squares per sounding.

    ``y``, ``sigma``, ``use`` [n, m]; ``basis`` [n, p, m]. Writes ``out[n, 0:p]`` the
    coefficients, ``out[n, p:2p]`` their 1-sigma uncertainties, ``out[n, 2p]`` the reduced
    chi-square and ``out[n, 2p + 1]`` the pixels used (NaN where the system is singular or
    has too few pixels).
    """
    n, p, m = basis.shape
    for s in nb.prange(n):
        a = np.zeros((p, p))
        b = np.zeros(p)
        cnt = 0
        for k in range(m):
            if not use[s, k]:
                continue
            wk = 1.0 / (sigma[s, k] * sigma[s, k])
            cnt += 1
            for i in range(p):
                bi = basis[s, i, k] * wk
                b[i] += bi * y[s, k]
                for j in range(i, p):
                    a[i, j] += bi * basis[s, j, k]
        if cnt <= p:
            out[s, :] = np.nan
            continue
        for i in range(p):
            for j in range(i):
                a[i, j] = a[j, i]
        # Cholesky solve and inverse (p is small)
        lo = np.zeros((p, p))
        ok = True
        for i in range(p):
            for j in range(i + 1):
                v = a[i, j]
                for q in range(j):
                    v -= lo[i, q] * lo[j, q]
                if i == j:
                    if v <= 0.0:
                        ok = False
                        break
                    lo[i, i] = np.sqrt(v)
                else:
                    lo[i, j] = v / lo[j, j]
            if not ok:
                break
        if not ok:
            out[s, :] = np.nan
            continue
        inv_l = np.zeros((p, p))
        for i in range(p):
            inv_l[i, i] = 1.0 / lo[i, i]
            for j in range(i):
                v = 0.0
                for q in range(j, i):
                    v -= lo[i, q] * inv_l[q, j]
                inv_l[i, j] = v / lo[i, i]
        cov = inv_l.T @ inv_l
        x = cov @ b
        chi2 = 0.0
        for k in range(m):
            if use[s, k]:
                r = y[s, k]
                for i in range(p):
                    r -= x[i] * basis[s, i, k]
                chi2 += (r / sigma[s, k]) ** 2
        for i in range(p):
            out[s, i] = x[i]
            out[s, p + i] = np.sqrt(cov[i, i])
        out[s, 2 * p] = chi2 / (cnt - p)
        out[s, 2 * p + 1] = cnt


def window_basis(wl_nm: np.ndarray, fwhm_nm: np.ndarray, window: Window,
                 lo_nm: float, hi_nm: float,
                 line_lists: LineLists = ()) -> tuple[np.ndarray, np.ndarray]:
    """Basis [n, N_BASIS, m] of the window model at registered wavelengths [n, m].

    Columns: the convolved solar spectrum times ``x^k`` (``k < N_POLY``), the convolved
    solar spectrum times each window gas's optical depth (:mod:`ghgsif.windows`), and the
    fluorescence shape normalised at the window's reference wavelength (last). Also
    returns the pixels inside the window [n, m]. ``fwhm_nm`` [n] per sounding; ``lo_nm``,
    ``hi_nm`` the band's range (for the solar model); ``line_lists`` user ``.par`` files
    for the window gases.
    """
    wl = np.asarray(wl_nm, np.float64)
    n, m = wl.shape
    basis = np.zeros((n, N_BASIS, m))
    centre = 0.5 * (window.lo_nm + window.hi_nm)
    half = 0.5 * (window.hi_nm - window.lo_nm)
    g_ref = float(sif_shape(np.array(window.reference_nm)))
    inside = (wl >= window.lo_nm) & (wl <= window.hi_nm)
    fw = np.round(np.asarray(fwhm_nm, np.float64), 6)
    for f in np.unique(fw):
        sel = np.flatnonzero(fw == f)
        ins = inside[sel]
        w = wl[sel][ins]  # only the window's pixels are evaluated
        rows = np.broadcast_to(sel[:, None], ins.shape)[ins]
        cols = np.broadcast_to(np.arange(m)[None, :], ins.shape)[ins]
        s = convolved_solar(lo_nm, hi_nm, float(f))(w)
        x = (w - centre) / half
        for k in range(N_POLY):
            basis[rows, k, cols] = s * x**k
        for g, mol in enumerate(WINDOW_GASES):
            spline = telluric_basis(lo_nm, hi_nm, float(f), mol, line_lists)
            basis[rows, N_POLY + g, cols] = -spline(w)  # type: ignore[operator]
        basis[rows, N_BASIS - 1, cols] = sif_shape(w) / g_ref
    return basis, inside


def retrieve_sif(radiance: np.ndarray, noise: np.ndarray, good: np.ndarray,
                 wl_nm: np.ndarray, fwhm_nm: np.ndarray, window: Window, lo_nm: float,
                 hi_nm: float, chunk: int = 256,
                 line_lists: LineLists = ()) -> dict[str, np.ndarray]:
    """SIF of soundings [n, m] (radiance, noise, usable pixels, registered wavelengths).

    Parameters
    ----------
    radiance, noise : numpy.ndarray
        Radiance and its 1-sigma noise [n, m] (W m-2 sr-1 nm-1).
    good : numpy.ndarray
        Usable pixels [n, m].
    wl_nm : numpy.ndarray
        Registered vacuum wavelengths [n, m].
    fwhm_nm : numpy.ndarray
        ISRF full width at half maximum per sounding (or one for all).
    window : Window
        The Fraunhofer window.
    lo_nm, hi_nm : float
        The band's range (its solar spectrum and telluric tables).
    chunk : int
        Soundings fitted at a time.
    line_lists : tuple
        User ``.par`` files for the window gases.

    Returns ``sif`` and ``sif_uncertainty`` (W m-2 sr-1 nm-1, at the window's reference
    wavelength), ``chi2`` (reduced) and ``n_pixels`` per sounding. The soundings are
    fitted ``chunk`` at a time, so the basis (``N_BASIS`` spectra a sounding) stays a few
    megabytes whatever ``n``; each sounding's numbers do not depend on ``chunk``.
    ``line_lists`` names user ``.par`` files for the window gases.
    """
    n = radiance.shape[0]
    out = np.empty((n, 2 * N_BASIS + 2))
    fw = np.broadcast_to(np.asarray(fwhm_nm, np.float64), (n,))
    step = max(int(chunk), 1)
    for a in range(0, n, step):
        sl = slice(a, a + step)
        basis, inside = window_basis(wl_nm[sl], fw[sl], window, lo_nm, hi_nm, line_lists)
        rad, sig = radiance[sl], noise[sl]
        use = inside & good[sl] & np.isfinite(rad) & (sig > 0)
        fit_kernel(np.ascontiguousarray(rad, np.float64),
                   np.ascontiguousarray(np.where(sig > 0, sig, 1.0), np.float64), use,
                   np.ascontiguousarray(basis), out[sl])
    p, f = N_BASIS, N_BASIS - 1
    return {"sif": out[:, f], "sif_uncertainty": out[:, p + f],
            "chi2": out[:, 2 * p], "n_pixels": out[:, 2 * p + 1]}
