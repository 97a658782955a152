"""O2-A band FLD retrievals (``ghgsif.fld``): the formulas' algebra, the known
overestimation of sFLD on a reflectance that rises across the band (against its analytic
value), 3FLD and iFLD removing it, and the propagated noise against the scatter. The
radiances are the simulator's (``sim.radiative``, an independent line-by-line model),
convolved to the demo instrument's pixels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghgsif.fld import fld_pixels, fld_retrievals, ifld, sfld, sfld_bias, three_fld
from ghgsif.forward import band_forward

LO, HI, N = 755.0, 775.0, 600
WL = np.linspace(LO, HI, N)
FWHM = 2.5 * (HI - LO) / (N - 1)  # the simulator's ISRF: 2.5 pixels
SZA, VZA = 35.0, 5.0

@settings(max_examples=50, deadline=None)
@given(rho=st.floats(0.02, 0.8), f=st.floats(0.0, 5e-3), i_in=st.floats(0.01, 0.2),
       i_out=st.floats(0.25, 0.4), u_in=st.floats(0.2, 0.6), u_out=st.floats(0.9, 1.0))
def test_sfld_is_exact_when_reflectance_and_fluorescence_are_flat(rho, f, i_in, i_out,
                                                                  u_in, u_out):
    got, _ = sfld(rho * i_in + f * u_in, rho * i_out + f * u_out, i_in, i_out, u_in,
                  u_out, 1.0, 1.0)
    assert got == pytest.approx(f, abs=1e-12 * rho)


@settings(max_examples=50, deadline=None)
@given(rho=st.floats(0.05, 0.8), drho=st.floats(-0.01, 0.01), f=st.floats(1e-4, 5e-3),
       df=st.floats(-5e-5, 5e-5), w=st.floats(0.1, 0.9))
def test_3fld_is_exact_for_linear_spectra_and_ifld_for_known_ratios(rho, drho, f, df, w):
    # in-band pixel between the shoulders, a fraction w of the way; equal shoulder
    # terms, for which rho I + F U is linear between the shoulders as 3FLD assumes
    i_in, i_l, i_r, u_in, u_l, u_r = 0.02, 0.33, 0.33, 0.25, 0.999, 0.999

    def lin(a, da):  # value at the left shoulder, the right one, the in-band pixel
        return a - w * da, a + (1 - w) * da, a

    rl, rr, ri = lin(rho, drho)
    fl, fr, fi = lin(f, df)
    l_in, l_l, l_r = ri * i_in + fi * u_in, rl * i_l + fl * u_l, rr * i_r + fr * u_r
    got, _ = three_fld(l_in, l_l, l_r, i_in, i_l, i_r, u_in, u_l, u_r, 1.0, 1.0, 1.0,
                       1.0 - w)  # the left shoulder's weight
    assert got == pytest.approx(fi, abs=1e-10)
    got, _ = ifld(l_in, l_l, i_in, i_l, u_in, u_l, 1.0, 1.0, rl / ri, fl / fi)
    assert got == pytest.approx(fi, abs=1e-10)
    err = sfld(l_in, l_l, i_in, i_l, u_in, u_l, 1.0, 1.0)[0] - fi
    assert err == pytest.approx(sfld_bias(ri, rl, fi, fl, i_in, i_l, u_in, u_l), abs=1e-10)


@pytest.fixture(scope="module")
def scene():
    from sim.radiative import BandModel

    fw = band_forward(LO, HI, 3.0, 0.0)
    white, up = fw.path_terms(WL, FWHM, SZA, VZA)
    return BandModel("O2A", LO, HI, 0.0, 3.0), white, up, fld_pixels(WL, white)


def _retrieve(scene, slope, sif, noise=None, n=1, seed=0):
    from sim.radiative import Sounding

    model, white, up, idx = scene
    s = Sounding(0.35, slope, sif, sza_deg=SZA, vza_deg=VZA)
    rad = np.tile(model.convolve(model.radiance(s), FWHM, WL), (n, 1))
    sigma = np.full(rad.shape, 1e-9 if noise is None else noise)
    if noise is not None:
        rad = rad + np.random.default_rng(seed).normal(0.0, 1.0, rad.shape) * sigma
    return fld_retrievals(np.tile(WL, (n, 1)), rad, sigma, np.ones(rad.shape, bool),
                          np.tile(white, (n, 1)), np.tile(up, (n, 1)), idx)


def test_fld_pixels_are_the_band_head_and_its_shoulders(scene):
    _, white, up, (a, b, c) = scene
    assert 760.2 <= WL[a] <= 761.2 and WL[b] < 759.3 and WL[c] > 769.8
    assert white[a] < 0.1 * white[b]  # deep inside the band
    assert up[b] > 0.99 and up[c] > 0.99  # the shoulders see the surface unabsorbed


@pytest.mark.parametrize("slope", [0.002, 0.004])
def test_sfld_overestimates_sif_on_a_rising_reflectance(scene, slope):
    """The known sFLD overestimation: a reflectance rising with wavelength (vegetation
    beyond the red edge, here 0.2 and 0.4 % per nm) makes sFLD read high by the analytic
    ``(rho_in - rho_out) I_in I_out / D``; 3FLD and iFLD remove that bias."""
    from sim.radiative import sif_shape

    model, white, up, (a, b, _) = scene
    sif = 1.5e-3
    flat = _retrieve(scene, 0.0, 0.0)  # the two line-by-line models' disagreement
    got = _retrieve(scene, slope, sif)
    truth = sif * float(sif_shape(got["wavelength_in"])[0])
    centre = 0.5 * (model.wl[0] + model.wl[-1])

    def rho(w):
        return 0.35 + slope * (w - centre)

    pred = sfld_bias(rho(WL[a]), rho(WL[b]), sif * sif_shape(WL[a]), sif * sif_shape(WL[b]),
                     white[a], white[b], up[a], up[b])
    err = {m: float(got[f"{m}_at_in"][0] - truth) for m in ("sfld", "3fld", "ifld")}
    floor = max(abs(float(flat[f"{m}_at_in"][0])) for m in ("sfld", "3fld", "ifld"))
    assert pred > 0.1 * truth  # a real overestimation: over 10 % here
    assert err["sfld"] > 0 and abs(err["sfld"] - pred) <= 0.03 * pred + floor
    # 3FLD is exact for a linear reflectance, iFLD with its fitted ratio; what is left
    # is the ISRF-width residual (reflectance slope times the ISRF's moment)
    assert abs(err["3fld"]) <= 0.05 * err["sfld"] + floor
    # iFLD's reflectance ratio comes from the apparent reflectance L / I, which holds
    # F U / I (1.5 % of it here) with the slope of the fluorescence shape: an error of
    # that order, whatever the reflectance slope
    assert abs(err["ifld"]) <= 0.02 * truth + floor
    assert abs(err["ifld"]) <= 0.1 * err["sfld"]


def test_fld_uncertainties_match_the_scatter(scene):
    """Noise of 1e-3 W m-2 sr-1 nm-1 (SNR about 100 on the shoulders), 400 draws: the
    scatter of each method within 10 % (about three standard errors) of its propagated
    uncertainty."""
    got = _retrieve(scene, 0.002, 1.5e-3, noise=1e-3, n=400, seed=3)
    for m in ("sfld", "3fld"):  # linear in the radiances: exact propagation
        assert np.std(got[m]) == pytest.approx(float(np.median(got[f"{m}_uncertainty"])),
                                               rel=0.10)
    # iFLD's reflectance ratio comes from the same noisy spectrum: its scatter is the
    # propagated part and little more
    assert np.std(got["ifld"]) <= 1.2 * float(np.median(got["ifld_uncertainty"]))
