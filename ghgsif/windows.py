"""Fraunhofer windows and the weak telluric absorption inside them.

SIF and the wavelength registration of the O2-A band fit two windows beside the band, in
the spirit of OCO-2 (Frankenberg et al., GRL 38, L17706, 2011) but wider, for this
instrument's resolution: 755.2-758.6 nm, below the band's R branch, and 771.8-774.8 nm,
past its P branch. Weak O2 and H2O lines remain in them (up to about 1 % of the
continuum after the ISRF). Rather than masking them, the window model carries them as
linear terms: for each gas the ISRF-convolved product of the solar spectrum and the
gas's optical-depth spectrum ``tau_g`` (:func:`telluric_depth`), whose coefficient is
fitted (to first order, ``L = S P (1 - sum_g c_g tau_g)`` for weak lines).

``tau_g`` is the vertical optical depth of the packaged US Standard atmosphere from sea
level, layer by layer through the forward model's cross-section tables
(:mod:`ghgsif.xsections`: the same line shapes, pressures and temperatures, and the same
25 cm-1 line wing cut-off): only its spectral shape matters, its amount is fitted. A
single effective layer (750 hPa, 260 K) left -0.06 mW m-2 sr-1 nm-1 of bias at 771 nm
on noise-free spectra, where the window's O2 absorption is the wings of the P branch's
strong lines, whose shape follows the pressure. The cut-off matters too:
untruncated, the Lorentz wings of the strong O2-A lines reach into the 757 nm window as
a steep slope towards the band head, which the forward model (and the simulator) leave
out (far wings are sub-Lorentzian; beyond 25 cm-1 they are the continuum's business);
fitting that slope biased the SIF low by about 0.2 mW m-2 sr-1 nm-1 per unit albedo on
noise-free spectra.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ghgsif.atmosphere import make_layers
from ghgsif.bands import group_of
from ghgsif.refdata import LineLists
from ghgsif.solar import convolved_solar
from ghgsif.xsections import band_table


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


@lru_cache(maxsize=8)
def _column_depth(lo_nm: float, hi_nm: float, molecule: int,
                  line_lists: LineLists) -> tuple[np.ndarray, np.ndarray]:
    """The table's wavenumbers and one gas's US Standard column optical depth on them.

    Once per band and gas: every FWHM's basis (:func:`telluric_basis`) uses it, and
    opening the table hashes the line lists.
    """
    grp = group_of(lo_nm, hi_nm)
    group = grp.name
    gas = next(name for name, mol in grp.gases.items() if mol == molecule)
    table = band_table(group, lo_nm, hi_nm, line_lists=line_lists)
    return table.nu, table.column(gas, make_layers(0.0, 0.0))[0]


def telluric_depth(wl_nm: np.ndarray, molecule: int, lo_nm: float, hi_nm: float,
                   line_lists: LineLists = ()) -> np.ndarray:
    """Vertical optical depth of one gas on a vacuum-wavelength grid (module doc).

    The US Standard column from sea level, layer by layer through the cross-section
    table of the band ``lo_nm``-``hi_nm`` that the forward model uses
    (:meth:`ghgsif.xsections.XsecTable.column`), interpolated to ``wl_nm``.
    ``line_lists`` names user ``.par`` files that replace the packaged line lists.
    """
    nu, down = _column_depth(float(lo_nm), float(hi_nm), int(molecule), line_lists)
    return np.interp(1e7 / np.asarray(wl_nm, np.float64), nu, down)


@lru_cache(maxsize=32)
def telluric_basis(lo_nm: float, hi_nm: float, fwhm_nm: float,
                   molecule: int, line_lists: LineLists = ()) -> object:
    """Spline of the ISRF-convolved ``S tau_g`` for a band's solar model and FWHM."""
    solar = convolved_solar(lo_nm, hi_nm, fwhm_nm)
    return solar.product(telluric_depth(solar.wl_fine, molecule, lo_nm, hi_nm, line_lists))
