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
effective layer (750 hPa, 260 K; Voigt profiles from the packaged HITRAN lists): only
its spectral shape matters, its amount is fitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.integrate import trapezoid
from scipy.special import wofz

from ghgsif.refdata import MOLECULAR_MASS, line_list, us_standard_atmosphere
from ghgsif.solar import convolved_solar

C2 = 1.4387769  # second radiation constant, cm K
K_B = 1.380649e-23
AMU = 1.66053906660e-27
C_LIGHT = 299_792_458.0


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


def telluric_depth(wl_nm: np.ndarray, molecule: int) -> np.ndarray:
    """Vertical optical depth of one gas on a vacuum-wavelength grid (module doc)."""
    wl = np.asarray(wl_nm, np.float64)
    nu = 1e7 / wl
    group = "O2A" if wl.min() < 1000 else "SWIR"
    lines = line_list(group, molecule, float(nu.min()) - 2.0, float(nu.max()) + 2.0)
    tau = np.zeros(wl.size)
    if lines.size == 0:
        return tau
    t_ref = 296.0
    # intensity at the effective temperature (rotational partition function ~ T^j)
    j = 1.0 if molecule in (2, 7) else 1.5
    s = (lines["sw"] * (t_ref / _T_EFF_K) ** j
         * np.exp(-C2 * lines["elower"] * (1 / _T_EFF_K - 1 / t_ref)))
    gam = lines["gamma_air"] * _P_EFF_ATM * (t_ref / _T_EFF_K) ** lines["n_air"]
    nu0 = lines["nu"] + lines["delta_air"] * _P_EFF_ATM
    mass = MOLECULAR_MASS[molecule] * AMU
    sig_d = nu0 / C_LIGHT * np.sqrt(K_B * _T_EFF_K / mass)  # Doppler sigma, cm-1
    col = _columns()[molecule]
    for k in range(0, lines.size, 256):
        sl = slice(k, k + 256)
        z = ((nu[None, :] - nu0[sl, None]) + 1j * gam[sl, None]) / (
            sig_d[sl, None] * np.sqrt(2.0))
        prof = wofz(z).real / (sig_d[sl, None] * np.sqrt(2.0 * np.pi))
        tau += col * np.sum(s[sl, None] * prof, axis=0)
    return tau


@lru_cache(maxsize=32)
def telluric_basis(lo_nm: float, hi_nm: float, fwhm_nm: float,
                   molecule: int) -> object:
    """Spline of the ISRF-convolved ``S tau_g`` for a band's solar model and FWHM."""
    solar = convolved_solar(lo_nm, hi_nm, fwhm_nm)
    return solar.product(telluric_depth(solar.wl_fine, molecule))
