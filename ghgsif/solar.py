"""The solar spectrum seen through the instrument: ISRF-convolved irradiance and slope.

The packaged high-resolution solar irradiance (TSIS-1 HSRS for the O2-A band, the merged
line-by-line spectrum for the SWIR bands; ``ghgsif/data/SOURCES.md``) is resampled onto a
fine grid uniform in vacuum wavelength, convolved with the Gaussian ISRF of a given FWHM
and interpolated with a cubic spline at any pixel wavelength, with its derivative (the
Fraunhofer lines are what the wavelength registration and the SIF retrieval fit).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.fft
from scipy.interpolate import CubicSpline

from ghgsif.bands import group_of
from ghgsif.refdata import solar_irradiance

FINE_STEP_NM = 0.001


def gaussian_convolve(values: np.ndarray, step_nm: float, fwhm_nm: float) -> np.ndarray:
    """Convolution of samples on a uniform grid with a unit-area Gaussian of ``fwhm_nm``."""
    sig = fwhm_nm / (2 * np.sqrt(2 * np.log(2))) / step_nm
    half = int(np.ceil(6 * sig))
    k = np.exp(-0.5 * (np.arange(-half, half + 1) / sig) ** 2)
    k /= k.sum()
    n = scipy.fft.next_fast_len(values.shape[-1] + k.size)
    out = scipy.fft.irfft(scipy.fft.rfft(values, n) * scipy.fft.rfft(k, n), n)
    return out[half : half + values.shape[-1]]


class ConvolvedSolar:
    """Solar irradiance (W m-2 nm-1 at 1 AU) through a Gaussian ISRF, as a spline."""

    def __init__(self, lo_nm: float, hi_nm: float, fwhm_nm: float):
        nu_s, f_nu = solar_irradiance(group_of(lo_nm, hi_nm).name)
        margin = 8 * fwhm_nm + 0.5
        wl = np.arange(lo_nm - margin, hi_nm + margin, FINE_STEP_NM)
        nu = 1e7 / wl
        if nu.min() < nu_s[0] or nu.max() > nu_s[-1]:
            raise ValueError(f"solar spectrum covers {1e7 / nu_s[-1]:.1f}-"
                             f"{1e7 / nu_s[0]:.1f} nm, not {lo_nm}-{hi_nm} nm")
        f = np.interp(nu, nu_s, f_nu) * nu**2 / 1e7
        self.fwhm_nm = fwhm_nm
        self.wl_fine = wl
        self.irradiance_fine = f
        self._spline = CubicSpline(wl, gaussian_convolve(f, FINE_STEP_NM, fwhm_nm))
        self._slope = self._spline.derivative()

    def product(self, factor_fine: np.ndarray) -> CubicSpline:
        """Spline of the ISRF-convolved product of the irradiance and a fine-grid factor.

        The factor (a transmittance or optical depth) is sampled on :attr:`wl_fine`.
        """
        return CubicSpline(self.wl_fine, gaussian_convolve(self.irradiance_fine * factor_fine,
                                                           FINE_STEP_NM, self.fwhm_nm))

    def __call__(self, wl_nm: np.ndarray) -> np.ndarray:
        """Convolved irradiance at ``wl_nm``."""
        return np.asarray(self._spline(wl_nm))

    def slope(self, wl_nm: np.ndarray) -> np.ndarray:
        """Its derivative, per nm."""
        return np.asarray(self._slope(wl_nm))


@lru_cache(maxsize=64)
def convolved_solar(lo_nm: float, hi_nm: float, fwhm_nm: float) -> ConvolvedSolar:
    """A :class:`ConvolvedSolar`, built once per band range and FWHM (rounded to 1 pm)."""
    return ConvolvedSolar(lo_nm, hi_nm, round(fwhm_nm, 6))
