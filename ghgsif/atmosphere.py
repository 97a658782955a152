"""The retrieval's prior atmosphere: layers of the US Standard 1976 atmosphere.

Levels of the packaged AFGL table (``ghgsif/data/atmosphere``) from the surface to 70 km,
with a level at the aircraft; per layer the log-pressure mean, mean temperature, the dry
air column from hydrostatic balance (``dp / (g M_air)``) and the gases' volume mixing
ratios, CO2 and CH4 scaled to the priors below (the table is of 1976).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flightlog.constants import G0_M_S2, M_AIR_KG
from ghgsif.refdata import us_standard_atmosphere

PRIOR_CO2 = 420e-6  # mol/mol, surface prior
PRIOR_CH4 = 1.9e-6


@dataclass(frozen=True)
class Layers:
    """Layers from the surface up.

    Boundaries (km), mean p (hPa) and T (K), air column (molecules cm-2) and VMRs per
    gas; ``p_bottom_hpa`` the pressure at each bottom.
    """

    z_bottom_km: np.ndarray
    z_top_km: np.ndarray
    p_hpa: np.ndarray
    t_k: np.ndarray
    air_column_cm2: np.ndarray
    vmr: dict[str, np.ndarray]
    p_bottom_hpa: np.ndarray

    @property
    def surface_pressure_hpa(self) -> float:
        """Pressure at the surface."""
        return float(self.p_bottom_hpa[0])

    def column_average(self, gas: str) -> float:
        """Dry-air column-averaged mole fraction of ``gas`` (mol/mol)."""
        return float(np.sum(self.air_column_cm2 * self.vmr[gas])
                     / np.sum(self.air_column_cm2))


def make_layers(surface_km: float, aircraft_km: float, top_km: float = 70.0) -> Layers:
    """Layers from ``surface_km`` to ``top_km`` with a level at ``aircraft_km``."""
    a = us_standard_atmosphere()
    z = a["z_km"]
    lv = np.unique(np.concatenate([z[(z > surface_km) & (z < top_km)],
                                   [surface_km, aircraft_km, top_km]]))
    lv = lv[(lv >= surface_km) & (lv <= top_km)]
    p = np.exp(np.interp(lv, z, np.log(a["p_hpa"])))
    t = np.interp(lv, z, a["t_k"])
    vmr = {g: np.interp(lv, z, a[g]) for g in ("H2O", "CO2", "CH4", "O2")}
    vmr["CO2"] *= PRIOR_CO2 / a["CO2"][0]
    vmr["CH4"] *= PRIOR_CH4 / a["CH4"][0]
    p1, p2 = p[:-1], p[1:]
    col = (p1 - p2) * 100.0 / (G0_M_S2 * M_AIR_KG) * 1e-4
    return Layers(lv[:-1], lv[1:], (p1 - p2) / np.log(p1 / p2), 0.5 * (t[:-1] + t[1:]), col,
                  {g: 0.5 * (v[:-1] + v[1:]) for g, v in vmr.items()}, p1)
