"""Simulator radiance against a slow direct line-by-line path."""

import numpy as np
import pytest
from naive import isrf_direct, radiance_direct
from scipy.special import wofz

from ghgsif.bands import GROUPS
from ghgsif.hitran import HitranFormatError, read_par
from ghgsif.refdata import data_path
from sim.radiative import BandModel, Sounding, _humlicek, sif_shape


def test_humlicek_matches_faddeeva():
    x = np.linspace(-30, 30, 241)
    for y in (1e-4, 0.01, 0.3, 1.0, 5.0, 40.0):
        ref = wofz(x + 1j * y).real
        got = np.array([_humlicek(v, y) for v in x])
        assert np.max(np.abs(got - ref) / np.max(ref)) < 2e-4


@pytest.mark.parametrize("name,lo,hi", [("O2A", 760.0, 761.5), ("WCO2", 1604.0, 1606.0)])
def test_radiance_matches_direct_path(name, lo, hi):
    model = BandModel(name, lo, hi, 0.0, 3.0)
    s = Sounding(0.3, 0.0, 1.5e-3 if name == "O2A" else 0.0, 1.01, 0.98, 1.0, 40.0, 4.0)
    fwhm = 0.08 if name == "O2A" else 0.13
    pix = np.linspace(lo, hi, 30)
    fast = model.convolve(model.radiance(s), fwhm, pix)
    slow_fine = radiance_direct(model.wl, model.layers, model.group, s, 3.0)
    slow = isrf_direct(model.wl, slow_fine, fwhm, pix)
    assert np.max(np.abs(fast - slow) / slow) < 1e-3


def test_sif_added_at_the_surface_in_radiance_units():
    model = BandModel("O2A", 755.0, 758.0, 0.0, 3.0)
    base = Sounding(0.3, sza_deg=30.0, vza_deg=0.0)
    with_sif = Sounding(0.3, sif_757=2e-3, sza_deg=30.0, vza_deg=0.0)
    diff = model.radiance(with_sif) - model.radiance(base)
    _, tau_up = model.transmittances(base)
    expect = 2e-3 * sif_shape(model.wl) * np.exp(-tau_up)
    assert np.allclose(diff, expect, rtol=1e-10, atol=1e-15)
    i = np.argmin(np.abs(model.wl - 757.0))
    assert diff[i] == pytest.approx(2e-3 * np.exp(-tau_up[i]), rel=1e-6)


def test_cloud_shortens_the_light_path():
    model = BandModel("O2A", 760.0, 762.0, 0.0, 3.0)
    clear = model.transmittances(Sounding(0.3))
    cloudy = model.transmittances(Sounding(0.3, cloud_top_km=2.0))
    assert np.all(cloudy[0] <= clear[0] + 1e-12)
    # O2 is well mixed: the band-integrated optical depth (independent of line shape)
    # above a 2 km cloud top is about the pressure fraction above it, 795 / 1013 hPa
    # (line strengths change a little with temperature)
    ratio = cloudy[0].sum() / clear[0].sum()
    assert 0.74 < ratio < 0.83
    assert np.all(cloudy[1] <= clear[1] + 1e-12)


def test_hitran_reader_and_errors(tmp_path):
    lines = read_par(data_path("lines", GROUPS["O2A"].line_files[7]), 13000, 13010)
    assert lines.size and np.all(np.diff(lines["nu"]) >= 0) and set(lines["molecule"]) == {7}
    bad = tmp_path / "bad.par"
    bad.write_text("short record\n")
    with pytest.raises(HitranFormatError, match="bad.par:1"):
        read_par(bad)


@pytest.mark.parametrize(("group", "mol", "lo", "hi"), [("SWIR", 2, 1630.0, 1680.0),
                                                        ("O2A", 1, 755.0, 775.0)])
def test_two_grid_wings_match_the_direct_sum(group, mol, lo, hi):
    """The simulator's far wings on a 0.02 cm-1 grid against the direct sum of every line
    to 25 cm-1 at 1 atm (the widest wings): within 2e-5 of the peak. Theory: linear
    interpolation leaves h^2/8 |V''| = 3e-4 of a Lorentz wing at the 1 cm-1 seam (about
    5e-6 of the peak), and the 25 cm-1 cut, a step in the direct sum, becomes a ramp one
    coarse step wide: at most the wing there, (gamma / 25 cm-1)^2 ~ 1e-5 of the peak."""
    from ghgsif.refdata import line_list
    from sim.radiative import lbl_kernel, lbl_two_grid, line_shape_parameters, wavelength_grid

    nu = (1e7 / wavelength_grid(lo, hi))[::-1].copy()
    lines = line_list(group, mol, float(nu[0] - 25), float(nu[-1] + 25))
    c, s, g, sd = line_shape_parameters(lines, mol, 1.0, 288.0)
    direct, fast = np.zeros(nu.size), np.zeros(nu.size)
    lbl_kernel(nu, c, s, g, sd, 25.0, direct)
    lbl_two_grid(nu, c, s, g, sd, 25.0, fast)
    assert np.abs(fast - direct).max() <= 2e-5 * direct.max()
