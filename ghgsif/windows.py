"""Fraunhofer windows and the weak telluric absorption inside them.

SIF and the wavelength registration of the O2-A band fit two windows beside the band, in
the spirit of OCO-2 (Frankenberg et al., GRL 38, L17706, 2011) but wider, for this
instrument's resolution: 755.2-758.6 nm, below the band's R branch, and 771.8-774.8 nm,
past its P branch. Weak O2 and H2O lines remain in them (up to about 1 % of the
continuum after the ISRF). Rather than masking them, the window model carries them as
linear terms: for each gas the ISRF-convolved product of the solar spectrum and the
gas's optical-depth spectrum ``tau_g`` (:func:`telluric_depth`), whose coefficient is
fitted (to first order, ``L = S P (1 - sum_g c_g tau_g)`` for weak lines).

``tau_g`` is the vertical optical depth of the packaged US Standard atmosphere in one
effective layer (750 hPa, 260 K; the line parameters of :mod:`ghgsif.xsections`, Voigt
profiles from scipy's Faddeeva function on the non-uniform wavenumbers of the solar
model's wavelength grid): only its spectral shape matters, its amount is fitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.integrate import trapezoid
from scipy.special import wofz

from ghgsif.refdata import LineLists, line_list, us_standard_atmosphere
from ghgsif.solar import band_group, convolved_solar
from ghgsif.xsections import line_parameters


@dataclass(frozen=True)
class Window:
    """A fit window: name, range (vacuum nm) and the wavelength its SIF is reported at."""

    name: str
    lo_nm: float
    hi_nm: float
    reference_nm: float


SIF_WINDOWS = (Window("757", 755.2, 758.6, 757.0), Window("771", 771.8, 774.8, 771.0))
#: Gases whose weak lines the O2-A windows model (HITRAN molecule numbers).
WINDOW_GASES = (7, 1)

_CM_PER_KM = 1e5
_P_EFF_ATM, _T_EFF_K = 750.0 / 1013.25, 260.0


@lru_cache(maxsize=4)
def _columns() -> dict[int, float]:
    a = us_standard_atmosphere()
    z, n = a["z_km"], a["n_cm3"]
    return {mol: float(trapezoid(n * a[key], z) * _CM_PER_KM)
            for mol, key in ((1, "H2O"), (2, "CO2"), (6, "CH4"), (7, "O2"))}


def telluric_depth(wl_nm: np.ndarray, molecule: int,
                   line_lists: LineLists = ()) -> np.ndarray:
    """Vertical optical depth of one gas on a vacuum-wavelength grid (module doc).

    ``line_lists`` names user ``.par`` files that replace the packaged line lists.
    """
    wl = np.asarray(wl_nm, np.float64)
    nu = 1e7 / wl
    group = band_group(float(wl.min()))
    lines = line_list(group, molecule, float(nu.min()) - 2.0, float(nu.max()) + 2.0,
                      line_lists)
    tau = np.zeros(wl.size)
    if lines.size == 0:
        return tau
    nu0, s, gam, alpha = line_parameters(lines, molecule, _P_EFF_ATM, _T_EFF_K)
    sig_d = alpha / np.sqrt(2 * np.log(2))  # Doppler sigma, cm-1
    col = _columns()[molecule]
    step = max(1, (1 << 19) // max(nu.size, 1))  # lines a pass: about 8 MB of complex work
    for k in range(0, lines.size, step):
        sl = slice(k, k + step)
        z = ((nu[None, :] - nu0[sl, None]) + 1j * gam[sl, None]) / (
            sig_d[sl, None] * np.sqrt(2.0))
        prof = wofz(z).real / (sig_d[sl, None] * np.sqrt(2.0 * np.pi))
        tau += col * np.sum(s[sl, None] * prof, axis=0)
    return tau


@lru_cache(maxsize=32)
def telluric_basis(lo_nm: float, hi_nm: float, fwhm_nm: float,
                   molecule: int, line_lists: LineLists = ()) -> object:
    """Spline of the ISRF-convolved ``S tau_g`` for a band's solar model and FWHM."""
    solar = convolved_solar(lo_nm, hi_nm, fwhm_nm)
    return solar.product(telluric_depth(solar.wl_fine, molecule, line_lists))
