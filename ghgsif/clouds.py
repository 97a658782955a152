"""Cloud screening from the O2-A band: apparent surface pressure and fit quality.

A cloud shortens the light path: the clear-sky O2-A retrieval (:func:`ghgsif.retrieval.
o2a_sounding`) then finds less O2 than the column above the ground holds. The apparent
surface pressure is the O2 column scale times the expected surface pressure (the prior
atmosphere at the ground's height, from the DEM or the reference height); a sounding is
cloudy when it lies more than ``max_delta_hpa`` from the expected pressure (about ten
times the retrieval's own precision at nominal SNR) or when the clear-sky model cannot
fit the spectrum (reduced chi-square above ``max_chi2``). The brightness (the fitted
reflectance at the band centre) is reported with the test values.
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
               max_chi2: float = 3.0) -> CloudTest:
    """The cloud flag of one O2-A retrieval (module doc)."""
    p_app = float(result.x[0]) * expected_pressure_hpa
    dp = p_app - expected_pressure_hpa
    chi2 = float(result.chi2)
    bright = float(result.x[2])
    cloudy = bool(not np.isfinite(p_app) or abs(dp) > max_delta_hpa or chi2 > max_chi2
                  or not result.converged)
    return CloudTest(p_app, dp, chi2, bright, cloudy)
