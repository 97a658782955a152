"""The CO2-band cloud consistency test on dedicated soundings: the simulator's radiances
(``sim.radiative``) of a forest footprint, clear in both bands, and clear in the O2-A band
but under a cloud in the weak CO2 band's footprint (the bands are read at different
moments, so their footprints differ at a cloud's edge)."""

from __future__ import annotations

import numpy as np
import pytest

from ghgsif.clouds import cloud_test, co2_band_consistency
from ghgsif.forward import band_forward
from ghgsif.retrieval import o2a_sounding, swir_sounding

SZA, VZA, AIRCRAFT_KM, CLOUD_KM = 35.0, 3.0, 3.0, 2.0
BANDS = {"O2A": (755.0, 775.0, 0.40), "WCO2": (1590.0, 1620.0, 0.22)}


def _spectrum(name, cloud_km, co2_scale=1.0, seed=0):
    from sim.radiative import BandModel, Sounding

    lo, hi, albedo = BANDS[name]
    model = BandModel(name, lo, hi, 0.0, AIRCRAFT_KM)
    wl = np.linspace(lo, hi, 600)
    fwhm = 2.5 * (hi - lo) / 599
    rad = model.convolve(model.radiance(Sounding(albedo, 0.0, 1e-3, co2_scale, 1.0, 1.0, SZA,
                                                 VZA, cloud_km)), fwhm, wl)
    sigma = np.full(wl.size, rad.max() / 300)  # the demo instrument's SNR
    rad = rad + np.random.default_rng(seed).normal(0, 1, wl.size) * sigma
    return rad, sigma, wl, fwhm


def _scale(name, cloud_km, co2_scale=1.0, seed=0):
    lo, hi, _ = BANDS[name]
    rad, sigma, wl, fwhm = _spectrum(name, cloud_km, co2_scale, seed)
    fw = band_forward(lo, hi, AIRCRAFT_KM, 0.0)
    fn = o2a_sounding if name == "O2A" else swir_sounding
    r = fn(fw, rad, sigma, np.ones(wl.size, bool), wl, fwhm, SZA, VZA)
    gas = "O2" if name == "O2A" else "CO2"
    return r, float(r.x[fw.gases.index(gas)]), fw.layers.surface_pressure_hpa


@pytest.fixture(scope="module")
def o2a_clear():
    r, s, p = _scale("O2A", None)
    assert not cloud_test(r, p).cloudy
    return s, p


@pytest.mark.parametrize("co2_scale", [0.99, 1.0, 1.012])
def test_clear_in_both_bands_is_consistent(o2a_clear, co2_scale):
    """Clear: the two apparent pressures differ by the CO2 anomaly, (s - 1) p, within the
    retrievals' noise (a few hPa), far inside the 25 hPa threshold."""
    s_o2, p = o2a_clear
    _, s_co2, _ = _scale("WCO2", None, co2_scale, seed=1)
    d, bad = co2_band_consistency(np.array([s_co2]), np.array([s_o2]), np.array([p]))
    assert not bad[0]
    assert abs(d[0] - (co2_scale - 1.0) * p) <= 8.0


def test_a_cloud_in_the_co2_footprint_only_is_flagged(o2a_clear):
    """A cloud top at 2 km under the CO2 band's footprint: the clear-sky retrieval sees the
    CO2 above the cloud only; the O2-A band saw the ground. The test flags it, with a
    difference at least that of cloud top and ground: the column above the cloud is a
    fraction p_top / p of the whole, and its lines, narrower at the lower pressure,
    absorb less of the light their saturated cores would, so the clear-sky model reads
    still less CO2 (within the retrieval's noise, a few hPa)."""
    from sim.radiative import make_layers

    s_o2, p = o2a_clear
    _, s_co2, _ = _scale("WCO2", CLOUD_KM, seed=2)
    d, bad = co2_band_consistency(np.array([s_co2]), np.array([s_o2]), np.array([p]))
    lay = make_layers(0.0, AIRCRAFT_KM)
    p_top = float(np.interp(CLOUD_KM, lay.z_bottom_km, lay.p_bottom_hpa))
    assert bad[0]
    assert d[0] <= (p_top - p) + 8.0


def test_fog_passes_the_pressure_test_and_fails_the_brightness_test(o2a_clear):
    """A cloud on the ground (fog; reflectance 0.7) has the clear path: only its
    brightness tells it from the forest (0.40), which passes."""
    r, _, p = _scale("O2A", 0.0, seed=3)
    c = cloud_test(r, p)
    assert abs(c.delta_pressure_hpa) < 25.0  # the pressure test alone would pass it
    assert c.brightness == pytest.approx(0.7, abs=0.05)
    assert c.cloudy
