"""Cloud screening: O2-A apparent surface pressure and fit quality, CO2-band consistency.

A cloud shortens the light path: the clear-sky O2-A retrieval (:func:`ghgsif.retrieval.
o2a_sounding`) then finds less O2 than the column above the ground holds. The apparent
surface pressure is the O2 column scale times the expected surface pressure (the prior
atmosphere at the ground's height, from the DEM or the reference height); a sounding is
cloudy when it lies more than ``max_delta_hpa`` from the expected pressure (about ten
times the retrieval's own precision at nominal SNR) or when the clear-sky model cannot
fit the spectrum (reduced chi-square above ``max_chi2``), or when the scene is brighter
than land under vegetation ever is at 760 nm (the fitted reflectance at the band centre
above ``max_brightness``, 0.6: clouds reflect 0.6-0.9; so do snow and ice, which are
flagged with them, as imagers' reflectance tests do).

The weak CO2 band then checks the light path on the soundings the O2-A band found clear
(:func:`co2_band_consistency`): CO2 is well mixed, so its column scale from the CO2 band
times the expected surface pressure is a second apparent surface pressure, from another
wavelength and another moment of the push-broom (the bands are read at different times,
so their footprints differ at cloud edges). Clear, the two agree to the CO2 anomaly (a
few hPa per per cent of XCO2); a cloud in the CO2 band's footprint only, or scattering
that differs between 0.76 and 1.6 um, separates them. More than ``max_delta_hpa`` apart,
the sounding is flagged cloudy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ghgsif.retrieval import OEResult


@dataclass(frozen=True)
class CloudTest:
    """Per-sounding test values and the flag."""

    apparent_pressure_hpa: float
    delta_pressure_hpa: float
    chi2: float
    brightness: float
    cloudy: bool


def cloud_test(result: OEResult, expected_pressure_hpa: float, max_delta_hpa: float = 25.0,
               max_chi2: float = 3.0, max_brightness: float = 0.6) -> CloudTest:
    """The cloud flag of one O2-A retrieval (module doc)."""
    p_app = float(result.x[0]) * expected_pressure_hpa
    dp = p_app - expected_pressure_hpa
    chi2 = float(result.chi2)
    bright = float(result.x[2])
    cloudy = bool(not np.isfinite(p_app) or abs(dp) > max_delta_hpa or chi2 > max_chi2
                  or bright > max_brightness or not result.converged)
    return CloudTest(p_app, dp, chi2, bright, cloudy)


def co2_band_consistency(s_co2: np.ndarray, s_o2: np.ndarray, expected_pressure_hpa:
                         np.ndarray, max_delta_hpa: float = 25.0
                         ) -> tuple[np.ndarray, np.ndarray]:
    """The CO2 band's apparent surface pressure less the O2-A band's (hPa), and the flag.

    ``s_co2`` is the CO2 column scale from the weak CO2 band, ``s_o2`` the O2 scale from
    the O2-A band (module doc); NaN (no SWIR retrieval) is not flagged.
    """
    d = (np.asarray(s_co2, np.float64) - np.asarray(s_o2, np.float64)) * np.asarray(
        expected_pressure_hpa, np.float64)
    with np.errstate(invalid="ignore"):
        return d, np.abs(d) > max_delta_hpa
