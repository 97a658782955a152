"""Line-by-line cross-sections against a slow reference, and the tables against direct
line-by-line."""

from __future__ import annotations

import numpy as np
import pytest
from naive import isrf_weights_direct
from scipy.special import wofz

from ghgsif.atmosphere import make_layers
from ghgsif.refdata import line_list
from ghgsif.xsections import build_table, line_by_line, line_parameters

NU = np.arange(1e7 / 760.2, 1e7 / 759.4, 0.004)  # the O2-A band's R-branch head


@pytest.mark.parametrize(("p_hpa", "t_k"), [(1000.0, 288.0), (300.0, 230.0), (5.0, 260.0)])
def test_line_by_line_matches_a_faddeeva_reference(p_hpa, t_k):
    """Humlicek W4 Voigt sums against scipy's Faddeeva function, line by line in NumPy,
    same lines and wings: within 1e-4 of the peak (W4's stated accuracy)."""
    got = line_by_line(NU, "O2A", "O2", p_hpa, t_k)
    lines = line_list("O2A", 7, float(NU[0] - 25), float(NU[-1] + 25))
    c, s, g, a = line_parameters(lines, 7, p_hpa / 1013.25, t_k)
    wing = np.full(lines.size, 25.0)  # every line to 25 cm-1
    ref = np.zeros(NU.size)
    sig = a / np.sqrt(2 * np.log(2))  # Gaussian sigma from the Doppler half width
    for k in range(lines.size):
        m = np.abs(NU - lines["nu"][k]) <= wing[k]
        if not m.any():
            continue
        z = ((NU[m] - c[k]) + 1j * g[k]) / (sig[k] * np.sqrt(2))
        ref[m] += s[k] * wofz(z).real / (sig[k] * np.sqrt(2 * np.pi))
    assert np.abs(got - ref).max() <= 1e-4 * ref.max()


def test_tables_match_line_by_line_in_transmittance():
    """Acceptance: the tables (36 ln p nodes, 5 temperatures) against direct line-by-line
    for the layers of the prior atmosphere, two-way vertical path through the O2-A band's
    strongest lines: within 0.1 % in transmittance."""
    tab = build_table("O2A", NU)
    lay = make_layers(0.0, 3.0)
    tau_t = np.zeros(NU.size)
    tau_d = np.zeros(NU.size)
    for k in range(lay.p_hpa.size):
        col = lay.air_column_cm2[k] * lay.vmr["O2"][k]
        tau_t += col * tab.at("O2", lay.p_hpa[k], lay.t_k[k])
        tau_d += col * line_by_line(NU, "O2A", "O2", lay.p_hpa[k], lay.t_k[k])
    assert np.abs(np.exp(-2 * tau_t) - np.exp(-2 * tau_d)).max() <= 1e-3


def test_forward_model_jacobians_match_finite_differences():
    """Analytic Jacobians of the O2-A forward model (gas scales, reflectance, SIF) against
    central differences: within 1e-5 of each column's largest value."""
    from ghgsif.forward import State, band_forward

    fw = band_forward(755.0, 775.0, 3.0)
    wl = np.linspace(755.5, 774.5, 600)
    isrf = fw.isrf_matrix(wl, 0.0835)
    st = State({"O2": 1.02, "H2O": 0.8}, (0.3, 0.02, -0.01), 1.5e-3)
    v = st.vector(fw.gases)
    _, k = fw.radiance(st, 40.0, 5.0, isrf)
    for j in range(v.size):
        h = 1e-6 * max(abs(v[j]), 1e-3)
        up, dn = v.copy(), v.copy()
        up[j] += h
        dn[j] -= h
        yp, _ = fw.radiance(State.from_vector(up, fw.gases), 40.0, 5.0, isrf, False)
        ym, _ = fw.radiance(State.from_vector(dn, fw.gases), 40.0, 5.0, isrf, False)
        fd = (yp - ym) / (2 * h)
        assert np.abs(fd - k[:, j]).max() <= 1e-5 * np.abs(k[:, j]).max()


def test_cached_tables_equal_built_tables(tmp_path, monkeypatch):
    """The on-disk cache, written gas by gas, gives the same single-precision table as a
    build kept in memory, and is what a second call reads."""
    from ghgsif.xsections import band_table

    lo, hi = 759.6, 760.0
    monkeypatch.setenv("PISAR_L3_CACHE", "off")
    mem = band_table("O2A", lo, hi, margin_nm=0.05)
    monkeypatch.setenv("PISAR_L3_CACHE", str(tmp_path))
    cold = band_table("O2A", lo, hi, margin_nm=0.05)
    files = list(tmp_path.glob("xsec_O2A_*.npz"))
    assert len(files) == 1 and not list(tmp_path.glob(".*part*"))
    stamp = files[0].stat().st_mtime_ns
    warm = band_table("O2A", lo, hi, margin_nm=0.05)
    assert files[0].stat().st_mtime_ns == stamp  # read, not rebuilt
    for gas in ("O2", "H2O"):
        assert mem.xsec[gas].dtype == np.float32
        np.testing.assert_array_equal(cold.xsec[gas], mem.xsec[gas])
        np.testing.assert_array_equal(warm.xsec[gas], mem.xsec[gas])
        ref = build_table("O2A", mem.nu).xsec[gas].astype(np.float32)
        np.testing.assert_array_equal(warm.xsec[gas], ref)
    np.testing.assert_array_equal(warm.at("O2", 500.0, 250.0), mem.at("O2", 500.0, 250.0))


def test_isrf_matrices_match_a_direct_reference():
    """The Numba ISRF kernel against dense weights pixel by pixel, and its shift
    derivative against central differences of the weights."""
    from ghgsif.forward import band_forward

    fw = band_forward(1590.0, 1620.0, 3.0)
    rng = np.random.default_rng(5)
    pix = np.sort(rng.uniform(1591.0, 1619.0, 40))
    fwhm = 0.125
    m, dm = fw.isrf_matrices(pix, fwhm)
    ref = isrf_weights_direct(fw.wl, pix, fwhm)
    np.testing.assert_allclose(m.toarray(), ref, rtol=1e-12, atol=1e-15)
    h = 1e-5
    fd = (isrf_weights_direct(fw.wl, pix + h, fwhm)
          - isrf_weights_direct(fw.wl, pix - h, fwhm)) / (2 * h)
    # a point entering or leaving a pixel's 5-sigma support changes its normalisation by
    # a jump: compare the pixels whose support is the same at both steps
    sup = [(isrf_weights_direct(fw.wl, pix + d, fwhm) > 0).sum(axis=1) for d in (-h, h)]
    rows = (sup[0] == sup[1]) & (sup[0] == (ref > 0).sum(axis=1))
    assert rows.sum() >= 20
    np.testing.assert_allclose(dm.toarray()[rows], fd[rows], rtol=1e-4,
                               atol=1e-6 * np.abs(fd).max())


def test_a_damaged_cache_entry_is_rebuilt(tmp_path, monkeypatch):
    from ghgsif.xsections import band_table

    monkeypatch.setenv("PISAR_L3_CACHE", str(tmp_path))
    first = band_table("O2A", 759.6, 760.0, margin_nm=0.05)
    want = np.array(first.xsec["O2"])
    (path,) = tmp_path.glob("xsec_O2A_*.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a copy cut short
    again = band_table("O2A", 759.6, 760.0, margin_nm=0.05)
    np.testing.assert_array_equal(again.xsec["O2"], want)
    assert path.stat().st_size == len(data)
