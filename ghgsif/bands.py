"""The spectrometer's bands and wavelength groups: one table that ghgsif and sim read.

A *wavelength group* is what serves a stretch of the spectrum: the gases whose lines are
modelled there (HITRAN molecule numbers, in the order of the retrieval's state vector),
the packaged line lists and solar spectrum (``ghgsif/data/SOURCES.md``), and whether
fluorescence emits there. A *band* is a named band of ``flight.json`` (ICD section 8):
its group and what is retrieved from it.

Adding a band with a retrieval is one :class:`BandSpec` entry in :data:`BANDS` (or a call
of :func:`register_band`) plus, where its wavelengths lie outside every group, a group
with its data. A band of ``flight.json`` that is not in the table gets its L1B, in the
group that holds its wavelengths, and no retrieval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Retrieval = Literal["o2a", "swir"]


@dataclass(frozen=True)
class BandGroup:
    """Gases, packaged line lists and solar spectrum of a stretch of the spectrum."""

    name: str
    #: Gas name -> HITRAN molecule number, in the order of the retrieval's state vector.
    gases: dict[str, int]
    #: HITRAN molecule number -> packaged line list (``ghgsif/data/lines``).
    line_files: dict[int, str]
    #: Packaged solar spectrum (``ghgsif/data/solar``).
    solar_file: str
    #: Vacuum wavenumbers (cm-1) the line lists and the solar spectrum both cover.
    span_cm: tuple[float, float]
    #: Whether chlorophyll fluorescence emits in the group (the O2-A band's 757 nm peak).
    fluorescence: bool
    #: The simulator's fine wavelength step (nm): a fifth of the narrowest Doppler width.
    fine_step_nm: float

    def holds(self, lo_nm: float, hi_nm: float) -> bool:
        """Whether the centre of the band ``lo_nm``-``hi_nm`` lies in the group's span."""
        nu = 2e7 / (lo_nm + hi_nm)
        return self.span_cm[0] <= nu <= self.span_cm[1]


#: The wavelength groups of the packaged data.
GROUPS: dict[str, BandGroup] = {g.name: g for g in (
    BandGroup("O2A", {"O2": 7, "H2O": 1},
              {7: "07_O2_hit16_hapi_12875-13275.par",
               1: "01_H2O_hit12_5925-6315_12875-13275.par"},
              "tsis1_hsrs_v2_p005nm_740-790nm.npz", (12875.0, 13275.0), True, 0.0003),
    BandGroup("SWIR", {"CO2": 2, "CH4": 6, "H2O": 1},
              {2: "02_CO2_hitranonline2021_hapi_5934-6309_iso1.par",
               6: "06_CH4_hitranonline2021_hapi_5934-6309_iso1.par",
               1: "01_H2O_hitranonline2021_hapi_5935-6309_iso1.par"},
              "solar_spectrum_merged_finch_5850-6360cm-1.dat", (5934.0, 6309.0), False,
              0.0005),
)}

#: HITRAN molecule numbers of every gas a group models.
GAS_MOLECULES: dict[str, int] = {g: m for grp in GROUPS.values() for g, m in grp.gases.items()}
#: HITRAN molecule number -> gas name.
MOLECULE_NAMES: dict[int, str] = {m: g for g, m in GAS_MOLECULES.items()}


@dataclass(frozen=True)
class BandSpec:
    """A named band: its group, its retrieval and the L2 variables it makes.

    ``retrieval`` ``"o2a"`` is the O2-A chain (wavelength registration on the Fraunhofer
    windows, SIF, the O2 column and the cloud tests), ``"swir"`` a column retrieval of
    ``gas`` over the clear soundings, scaled by the O2 column to the dry-air mole fraction
    ``l2_name`` (times ``unit``, named ``unit_name``, CF ``units``); ``fit_name`` prefixes the fit's
    ``_chi2``, ``_iterations`` and ``_converged``. ``light_path`` marks the band whose
    CO2 column is the light path of the CO2 proxy and of the CO2-band cloud test;
    ``proxy`` a band whose gas also gets the proxy ``<l2_name>_proxy``;
    ``standard_name`` is the CF standard name of ``l2_name``.
    """

    name: str
    group: str
    retrieval: Retrieval | None = None
    gas: str | None = None
    l2_name: str = ""
    fit_name: str = ""
    unit: float = 1.0
    unit_name: str = "1"
    units: str = "1"
    light_path: bool = False
    proxy: bool = False
    standard_name: str | None = None

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"band {self.name}: no wavelength group {self.group!r}")
        if self.retrieval == "swir":
            if self.gas not in GROUPS[self.group].gases:
                raise ValueError(f"band {self.name}: group {self.group} models no {self.gas}")
            if not (self.l2_name and self.fit_name):
                raise ValueError(f"band {self.name}: a SWIR retrieval needs l2_name and "
                                 "fit_name")


#: The bands of the Pi-SAR-L3 spectrometer (ICD section 8) and what each makes.
BANDS: dict[str, BandSpec] = {b.name: b for b in (
    BandSpec("O2A", "O2A", "o2a"),
    BandSpec("WCO2", "SWIR", "swir", "CO2", "xco2", "wco2", 1e6, "ppm", "1e-6",
             light_path=True, standard_name="dry_atmosphere_mole_fraction_of_carbon_dioxide"),
    BandSpec("CH4", "SWIR", "swir", "CH4", "xch4", "ch4", 1e9, "ppb", "1e-9",
             proxy=True, standard_name="dry_atmosphere_mole_fraction_of_methane"),
)}


def register_band(spec: BandSpec) -> None:
    """Add (or replace) a band of the table, e.g. from a plug-in or a test."""
    names = {b.l2_name for b in BANDS.values() if b.name != spec.name and b.l2_name}
    if spec.l2_name and spec.l2_name in names:
        raise ValueError(f"band {spec.name}: L2 variable {spec.l2_name} is another band's")
    BANDS[spec.name] = spec


def group_of(lo_nm: float, hi_nm: float) -> BandGroup:
    """The wavelength group that holds the band ``lo_nm``-``hi_nm``.

    Raises
    ------
    ValueError
        If no group's line lists and solar spectrum cover the band's centre.
    """
    for g in GROUPS.values():
        if g.holds(lo_nm, hi_nm):
            return g
    raise ValueError(f"band {lo_nm:g}-{hi_nm:g} nm: no packaged line lists and solar "
                     f"spectrum cover it (groups: " + ", ".join(
                         f"{g.name} {1e7 / g.span_cm[1]:.1f}-{1e7 / g.span_cm[0]:.1f} nm"
                         for g in GROUPS.values()) + ")")


def band_spec(name: str, lo_nm: float, hi_nm: float) -> BandSpec:
    """The band ``name`` of the table, or an L1B-only band in the group of its wavelengths."""
    spec = BANDS.get(name)
    return spec if spec is not None else BandSpec(name, group_of(lo_nm, hi_nm).name)


def swir_bands() -> list[BandSpec]:
    """The bands with a SWIR column retrieval, in the table's order."""
    return [b for b in BANDS.values() if b.retrieval == "swir"]


def xgas_variables() -> tuple[str, ...]:
    """The L2 variables of the SWIR retrievals, in the order the L2 product holds them."""
    bands = swir_bands()
    names: list[str] = []
    for b in bands:
        names += [b.l2_name, f"{b.l2_name}_uncertainty", f"{b.l2_name}_averaging_kernel"]
        if b.proxy:
            names += [f"{b.l2_name}_proxy", f"{b.l2_name}_proxy_uncertainty"]
    for suffix in ("chi2", "iterations", "converged"):
        names += [f"{b.fit_name}_{suffix}" for b in bands]
    return (*names, "cloud_co2_delta_pressure")
