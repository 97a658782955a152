"""In-flight wavelength registration: shift and squeeze of a band from Fraunhofer lines.

The spectrometer's wavelength scale moves in flight by up to a few tenths of a pixel from
the calibration's (ICD section 8). Per frame, every spatial pixel's spectrum in the
Fraunhofer windows is fitted with the window model of :mod:`ghgsif.sif` (reflected sun as
a polynomial times the ISRF-convolved solar spectrum, weak telluric lines, fluorescence)
evaluated at

    l' = l + shift + squeeze (l - l_c),

``l`` the calibrated wavelength and ``l_c`` the band centre; ``shift`` (nm) and
``squeeze`` are common to the windows, the linear terms are each window's own. Gauss-
Newton (the model's slope by central differences) from zero, then the
frame's shift and squeeze are the inverse-variance means over its spatial pixels (the
spectrometer's optics move the whole slit). The result is reported in spectral pixels
(``shift / dispersion``).
"""

from __future__ import annotations

import numpy as np

from ghgsif.sif import N_BASIS, window_basis
from ghgsif.windows import Window


def _pixel_fit(y: np.ndarray, sig: np.ndarray, wl: np.ndarray, masks: list[np.ndarray],
               windows: tuple[Window, ...], fwhm: float, lo_nm: float, hi_nm: float,
               iterations: int) -> tuple[float, float, float, float]:
    """Shift, squeeze and their 1-sigma of one spatial pixel's spectrum."""
    lc = 0.5 * (lo_nm + hi_nm)
    fw = np.array([fwhm])
    d, e = 0.0, 0.0
    h = 1e-4  # nm, for the model's slope
    for it in range(iterations + 1):
        blocks = []
        for win, m in zip(windows, masks, strict=True):
            lw = wl[m]
            lp = (lw + d + e * (lw - lc))[None]
            bas = window_basis(lp, fw, win, lo_nm, hi_nm)[0][0]
            slope = (window_basis(lp + h, fw, win, lo_nm, hi_nm)[0][0]
                     - window_basis(lp - h, fw, win, lo_nm, hi_nm)[0][0]) / (2 * h)
            blocks.append((bas, slope, lw, y[m], 1.0 / sig[m]))
        n_lin = len(blocks) * N_BASIS
        n = sum(b[2].size for b in blocks)
        jac = np.zeros((n, n_lin + 2))
        res = np.zeros(n)
        wts = np.zeros(n)
        start = 0
        for w_i, (bas, slope, lw, yy, ww) in enumerate(blocks):
            k = lw.size
            sl = slice(start, start + k)
            coef = np.linalg.lstsq(bas.T * ww[:, None], yy * ww, rcond=None)[0]
            res[sl] = yy - bas.T @ coef
            wts[sl] = ww
            jac[sl, w_i * N_BASIS : (w_i + 1) * N_BASIS] = bas.T
            dm = slope.T @ coef
            jac[sl, n_lin] = dm
            jac[sl, n_lin + 1] = dm * (lw - lc)
            start += k
        jw = jac * wts[:, None]
        if it == iterations:
            break
        step = np.linalg.lstsq(jw, res * wts, rcond=None)[0]
        d += step[n_lin]
        e += step[n_lin + 1]
        if abs(step[n_lin]) < 1e-7 and abs(step[n_lin + 1]) < 1e-9:
            iterations = it + 1
    try:
        cov = np.linalg.inv(jw.T @ jw)[-2:, -2:]
        chi2 = float(np.sum((res * wts) ** 2) / max(n - jac.shape[1], 1))
        cov = cov * max(chi2, 1.0)
    except np.linalg.LinAlgError:
        cov = np.full((2, 2), np.nan)
    return d, e, float(np.sqrt(cov[0, 0])), float(np.sqrt(cov[1, 1]))


def register_frame(radiance: np.ndarray, noise: np.ndarray, good: np.ndarray,
                   wl_nm: np.ndarray, fwhm_nm: np.ndarray, windows: tuple[Window, ...],
                   lo_nm: float, hi_nm: float, iterations: int = 8) -> dict[str, float]:
    """Shift and squeeze of one frame [spatial, spectral] (module doc).

    Parameters
    ----------
    radiance, noise : ndarray, shape (spatial, spectral)
        Radiance and its 1-sigma noise.
    good : ndarray of bool, shape (spatial, spectral)
        Pixels fit to use.
    wl_nm : ndarray, shape (spatial, spectral)
        Nominal pixel wavelengths (nm).
    fwhm_nm : ndarray, shape (spatial,)
        ISRF full width at half maximum of each spatial pixel (nm).
    windows : tuple of Window
        Spectral windows fitted (:mod:`ghgsif.windows`).
    lo_nm, hi_nm : float
        The band's range (nm); the squeeze is about its centre.
    iterations : int
        Gauss-Newton iterations per spatial pixel.

    Returns
    -------
    dict
        ``shift_nm``, ``squeeze``, ``shift_pix`` (at the band centre), their 1-sigma
        uncertainties, and ``pixels``, the number of spatial pixels that entered.
    """
    ds, es, sd, se = [], [], [], []
    for x in range(radiance.shape[0]):
        f = float(fwhm_nm[x])
        masks = [(wl_nm[x] >= w.lo_nm) & (wl_nm[x] <= w.hi_nm) & good[x] & (noise[x] > 0)
                 & np.isfinite(radiance[x]) for w in windows]
        if min(int(m.sum()) for m in masks) <= N_BASIS + 2:
            continue
        r = _pixel_fit(radiance[x], np.where(noise[x] > 0, noise[x], 1.0), wl_nm[x], masks,
                       windows, f, lo_nm, hi_nm, iterations)
        if np.isfinite(r[2]) and np.isfinite(r[3]) and r[2] > 0 and r[3] > 0:
            ds.append(r[0])
            es.append(r[1])
            sd.append(r[2])
            se.append(r[3])
    if not ds:
        return {"shift_nm": np.nan, "squeeze": np.nan, "shift_pix": np.nan,
                "shift_pix_uncertainty": np.nan, "squeeze_uncertainty": np.nan,
                "pixels": 0}
    wd, we = 1 / np.square(sd), 1 / np.square(se)
    shift = float(np.sum(wd * np.array(ds)) / wd.sum())
    squeeze = float(np.sum(we * np.array(es)) / we.sum())
    mid = wl_nm.shape[1] // 2
    disp = float(np.median(wl_nm[:, mid + 1] - wl_nm[:, mid]))
    return {"shift_nm": shift, "squeeze": squeeze, "shift_pix": shift / disp,
            "shift_pix_uncertainty": float(1 / np.sqrt(wd.sum())) / disp,
            "squeeze_uncertainty": float(1 / np.sqrt(we.sum())), "pixels": len(ds)}


def registered(wl_nm: np.ndarray, shift_nm: float, squeeze: float, lo_nm: float,
               hi_nm: float) -> np.ndarray:
    """The registered wavelength scale ``l + shift + squeeze (l - l_c)``."""
    lc = 0.5 * (lo_nm + hi_nm)
    return wl_nm + shift_nm + squeeze * (wl_nm - lc)
