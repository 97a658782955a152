"""Reference data shipped with the package: line lists, solar spectra, standard atmosphere.

Files and their provenance (origin, licence, citation) are in ``ghgsif/data/SOURCES.md``
and ``ghgsif/data/README.md``, copied with the files from the project's shared data.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import numpy as np

from ghgsif.hitran import read_par

#: Line lists per band and molecule (HITRAN molecule numbers: 1 H2O, 2 CO2, 6 CH4, 7 O2).
LINE_FILES: dict[str, dict[int, str]] = {
    "O2A": {7: "07_O2_hit16_hapi_12875-13275.par",
            1: "01_H2O_hit12_5925-6315_12875-13275.par"},
    "SWIR": {2: "02_CO2_hitranonline2021_hapi_5934-6309_iso1.par",
             6: "06_CH4_hitranonline2021_hapi_5934-6309_iso1.par",
             1: "01_H2O_hitranonline2021_hapi_5935-6309_iso1.par"},
}
#: HITRAN molecule numbers of the gases the bands model.
GAS_MOLECULES = {"H2O": 1, "CO2": 2, "CH4": 6, "O2": 7}
#: Line lists a user brings, replacing the packaged ones: ``((molecule, path), ...)``
#: (hashable, so the cached tables and forward models are keyed by it).
LineLists = tuple[tuple[int, str], ...]
#: Main-isotopologue molecular masses (g/mol) for Doppler widths.
MOLECULAR_MASS = {1: 18.010565, 2: 43.989830, 6: 16.031300, 7: 31.989830}
#: Rotational partition-function exponent: Q(T) ~ T^j (1 linear, 1.5 non-linear).
PARTITION_EXPONENT = {1: 1.5, 2: 1.0, 6: 1.5, 7: 1.0}


def data_path(*parts: str) -> Path:
    """Path of a packaged data file."""
    return Path(str(files("ghgsif").joinpath("data", *parts)))


def line_file(band_group: str, molecule: int, lines: LineLists = ()) -> Path:
    """The line list of one molecule: the user's from ``lines`` if given, else packaged."""
    user = dict(lines).get(molecule)
    return Path(user) if user else data_path("lines", LINE_FILES[band_group][molecule])


@lru_cache(maxsize=16)
def line_list(band_group: str, molecule: int, numin: float, numax: float,
              lines: LineLists = ()) -> np.ndarray:
    """Lines of one molecule for ``O2A`` or ``SWIR`` between ``numin`` and ``numax``.

    From the packaged list, or the user's ``.par`` file named in ``lines``.
    """
    return read_par(line_file(band_group, molecule, lines), numin, numax, molecule=molecule)


@lru_cache(maxsize=4)
def solar_irradiance(band_group: str) -> tuple[np.ndarray, np.ndarray]:
    """High-resolution solar irradiance at 1 AU.

    Returns vacuum wavenumber (cm-1, ascending) and irradiance (W m-2 (cm-1)-1).
    """
    if band_group == "O2A":
        d = np.load(data_path("solar", "tsis1_hsrs_v2_p005nm_740-790nm.npz"))
        wl, f_nm = d["solar_x"], d["solar_y"]  # nm (vacuum), W m-2 nm-1
        nu = 1e7 / wl
        f_nu = f_nm * wl**2 / 1e7
    else:
        a = np.loadtxt(data_path("solar", "solar_spectrum_merged_finch_5850-6360cm-1.dat"),
                       skiprows=3)
        nu, f_um = a[:, 0], a[:, 1]  # cm-1, W m-2 um-1
        f_nu = f_um * (1e4 / nu) ** 2 / 1e4
    order = np.argsort(nu)
    return nu[order], f_nu[order]


@lru_cache(maxsize=1)
def us_standard_atmosphere() -> dict[str, np.ndarray]:
    """US Standard 1976 (AFGL table 1f with CO2 and O2 from table 2a): levels and VMRs.

    Returns ``z_km``, ``p_hpa``, ``t_k``, ``n_cm3`` and volume mixing ratios (mol/mol)
    ``H2O``, ``CO2``, ``CH4``, ``O2`` (1976 composition: scale CO2 and CH4 to today).
    """
    t1 = np.genfromtxt(data_path("atmosphere", "table_1f.csv"), delimiter=",", names=True)
    t2 = np.genfromtxt(data_path("atmosphere", "table_2a.csv"), delimiter=",", names=True)
    return {"z_km": t1["z"], "p_hpa": t1["p"], "t_k": t1["t"], "n_cm3": t1["n"],
            "H2O": t1["H2O"] * 1e-6, "CH4": t1["CH4"] * 1e-6, "CO2": t2["CO2"] * 1e-6,
            "O2": t2["O2"] * 1e-6}
