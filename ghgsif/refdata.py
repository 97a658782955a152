"""Reference data shipped with the package: line lists, solar spectra, standard atmosphere.

Files and their provenance (origin, licence, citation) are in ``ghgsif/data/SOURCES.md``
and ``ghgsif/data/README.md``, copied with the files from the project's shared data.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import numpy as np

from ghgsif.bands import GROUPS
from ghgsif.hitran import read_par

#: Line lists a user brings, replacing the packaged ones: ``((molecule, path), ...)``
#: (hashable, so the cached tables and forward models are keyed by it).
LineLists = tuple[tuple[int, str], ...]
#: HITRAN's reference temperature of line intensities (K).
T_REF_K = 296.0
#: Gases that broaden their own lines beyond HITRAN's ``gamma_air`` (broadening by dry
#: air, O2 included): water vapour, which is not part of dry air.
SELF_BROADENED = ("H2O",)


@lru_cache(maxsize=1)
def _tips() -> tuple[np.ndarray, dict[tuple[int, int], np.ndarray]]:
    """TIPS-2025 temperatures and sums per (molecule, isotopologue) (``data/tips``)."""
    header, rows = _csv(data_path("tips", "tips2025_q_1-1000K.csv"))
    a = np.array([[float(v) for v in r] for r in rows])
    sums = {}
    for k, name in enumerate(header[1:], start=1):
        m, i = name.split("_")
        sums[(int(m), int(i))] = a[:, k]
    return a[:, 0], sums


def _csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a packaged CSV whose leading ``#`` lines are its provenance."""
    lines = [ln.strip() for ln in path.read_text("ascii").splitlines()
             if ln.strip() and not ln.startswith("#")]
    return lines[0].split(","), [ln.split(",") for ln in lines[1:]]


def partition_sum(molecule: int, isotopologue: np.ndarray | int,
                  t_k: float | np.ndarray) -> np.ndarray:
    """Total internal partition sum ``Q(T)`` of HITRAN isotopologues (TIPS-2025).

    Parameters
    ----------
    molecule : int
        HITRAN molecule number (1 H2O, 2 CO2, 6 CH4, 7 O2).
    isotopologue : int or array of int
        HITRAN local isotopologue numbers (1 the most abundant), one per line.
    t_k : float or array
        Temperature (K), 1 to 1000 K.

    Returns
    -------
    numpy.ndarray
        ``Q`` at each (isotopologue, temperature), broadcast together.

    Notes
    -----
    Interpolated between the tabulated temperatures as TIPS and HAPI do: Lagrange through
    the two nodes on each side (three nodes at the table's ends). The sums and their
    source are in ``ghgsif/data/tips`` and ``ghgsif/data/SOURCES.md`` section 6.
    """
    tt, sums = _tips()
    iso = np.asarray(isotopologue, dtype=np.int64)
    t = np.asarray(t_k, dtype=np.float64)
    iso, t = np.broadcast_arrays(iso, t)
    if t.size and (np.nanmin(t) < tt[0] or np.nanmax(t) > tt[-1] or np.isnan(t).any()):
        raise ValueError(f"partition sums: temperature {t.min()}-{t.max()} K outside the "
                         f"TIPS table's {tt[0]}-{tt[-1]} K")
    n = tt.size
    j = np.searchsorted(tt, t, side="left")  # first node >= T
    inner = (j >= 2) & (j <= n - 2)
    lo = np.where(inner, j - 2, np.clip(j - 2, 0, n - 3))
    out = np.empty(t.shape)
    for code in np.unique(iso):
        key = (int(molecule), int(code))
        if key not in sums:
            raise ValueError(f"partition sums: no TIPS data for molecule {molecule} "
                             f"isotopologue {code}")
        q = sums[key]
        sel = iso == code
        x, base, four = t[sel], lo[sel], inner[sel]
        acc = np.zeros(x.shape)
        for order in (3, 4):
            m = four if order == 4 else ~four
            if not m.any():
                continue
            nodes = base[m, None] + np.arange(order)
            xs, qs, xm = tt[nodes], q[nodes], x[m]
            val = np.zeros(xm.shape)
            for a in range(order):
                w = np.ones(xm.shape)
                for b in range(order):
                    if b != a:
                        w *= (xm - xs[:, b]) / (xs[:, a] - xs[:, b])
                val += w * qs[:, a]
            acc[m] = val
        out[sel] = acc
    return out


def intensity_ratio_q(molecule: int, isotopologue: np.ndarray | int,
                      t_k: float) -> np.ndarray:
    """``Q(296 K) / Q(T)``: the partition-sum factor of a line intensity at ``t_k``."""
    return partition_sum(molecule, isotopologue, T_REF_K) / partition_sum(
        molecule, isotopologue, t_k)


@lru_cache(maxsize=1)
def _isotopologues() -> dict[tuple[int, int], float]:
    header, rows = _csv(data_path("tips", "hitran_isotopologues.csv"))
    col = {name: k for k, name in enumerate(header)}
    return {(int(r[col["molecule"]]), int(r[col["local_iso"]])): float(r[col["mass_g_mol"]])
            for r in rows}


def isotopologue_mass(molecule: int, isotopologue: np.ndarray | int) -> np.ndarray:
    """Molar mass (g/mol) of HITRAN isotopologues, for their Doppler widths (SOURCES 6.2)."""
    table = _isotopologues()
    iso = np.asarray(isotopologue, dtype=np.int64)
    out = np.empty(iso.shape)
    for code in np.unique(iso):
        key = (int(molecule), int(code))
        if key not in table:
            raise ValueError(f"no HITRAN mass for molecule {molecule} isotopologue {code}")
        out[iso == code] = table[key]
    return out


def data_path(*parts: str) -> Path:
    """Path of a packaged data file."""
    return Path(str(files("ghgsif").joinpath("data", *parts)))


def line_file(band_group: str, molecule: int, lines: LineLists = ()) -> Path:
    """The line list of one molecule: the user's from ``lines`` if given, else packaged."""
    user = dict(lines).get(molecule)
    return Path(user) if user else data_path("lines", GROUPS[band_group].line_files[molecule])


@lru_cache(maxsize=16)
def line_list(band_group: str, molecule: int, numin: float, numax: float,
              lines: LineLists = ()) -> np.ndarray:
    """Lines of one molecule of a wavelength group (:data:`ghgsif.bands.GROUPS`) in a span.

    The span is ``numin`` to ``numax`` (cm-1), from the packaged list or the user's
    ``.par`` file named in ``lines``. A line of an isotopologue without shipped partition
    sums or mass (``data/tips``) is refused here, naming the file and the line, rather
    than deep in the line-by-line code.
    """
    path = line_file(band_group, molecule, lines)
    arr = read_par(path, numin, numax, molecule=molecule)
    known = set(_tips()[1]) & set(_isotopologues())
    for code in np.unique(arr["isotopologue"]):
        if (int(molecule), int(code)) not in known:
            first = int(np.flatnonzero(arr["isotopologue"] == code)[0])
            raise ValueError(
                f"{path}: line at {arr['nu'][first]:.6f} cm-1 is of molecule {molecule} "
                f"isotopologue {code}, which has no TIPS partition sum or HITRAN mass in "
                "ghgsif/data/tips (SOURCES.md section 6)")
    return arr


@lru_cache(maxsize=4)
def solar_irradiance(band_group: str) -> tuple[np.ndarray, np.ndarray]:
    """High-resolution solar irradiance at 1 AU.

    Returns vacuum wavenumber (cm-1, ascending) and irradiance (W m-2 (cm-1)-1).
    """
    name = GROUPS[band_group].solar_file
    if name.endswith(".npz"):  # TSIS-1 HSRS: vacuum nm, W m-2 nm-1
        d = np.load(data_path("solar", name))
        wl, f_nm = d["solar_x"], d["solar_y"]  # nm (vacuum), W m-2 nm-1
        nu = 1e7 / wl
        f_nu = f_nm * wl**2 / 1e7
    else:
        a = np.loadtxt(data_path("solar", name), skiprows=3)  # cm-1, W m-2 um-1
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
