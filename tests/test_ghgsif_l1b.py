"""Spectrometer L1B kernels against slow references and the detector's statistics, and the
calibration file reader's errors."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghgsif.calibration import CalibrationError, read_band_calibration
from ghgsif.l1b import FLAG_BAD, FLAG_NEGATIVE, FLAG_NO_DARK, FLAG_SATURATED, to_radiance


def _slow_l1b(counts, t_int, t, dark_frames, dark_t, dark_offset, gain, bad, read, epc,
              dark_n=None):
    """One pixel at a time, the module doc's formulas."""
    n = np.ones(dark_t.size) if dark_n is None else dark_n
    rad = np.empty(counts.shape)
    noise = np.empty(counts.shape)
    flags = np.zeros(counts.shape, np.uint8)
    for f in range(counts.shape[0]):
        if dark_t.size == 0:
            dark, dvar, nodark = dark_offset, 0.0, True
        else:
            k = int(np.searchsorted(dark_t, t[f]))
            if k == 0 or k == dark_t.size:
                j = 0 if k == 0 else dark_t.size - 1
                dark, w, n0, n1 = dark_frames[j], 0.0, n[j], n[j]
            else:
                w = (t[f] - dark_t[k - 1]) / (dark_t[k] - dark_t[k - 1])
                dark = (1 - w) * dark_frames[k - 1] + w * dark_frames[k]
                n0, n1 = n[k - 1], n[k]
            dvar, nodark = read**2 * ((1 - w) ** 2 / n0 + w**2 / n1), False
        for x in range(counts.shape[1]):
            for k in range(counts.shape[2]):
                s = counts[f, x, k] - dark[x, k]
                var = max(s, 0.0) / epc + read**2 + dvar
                rad[f, x, k] = gain[x, k] * s / t_int[f]
                noise[f, x, k] = gain[x, k] * np.sqrt(var) / t_int[f]
                flags[f, x, k] = ((FLAG_BAD if bad[x, k] else 0)
                                  | (FLAG_SATURATED if counts[f, x, k] >= 65535 else 0)
                                  | (FLAG_NO_DARK if nodark else 0)
                                  | (FLAG_NEGATIVE if s < 0 else 0))
    return rad, noise, flags


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(0, 3))
def test_l1b_kernel_matches_the_slow_reference(seed, n_dark):
    rng = np.random.default_rng(seed)
    shape = (5, 3, 7)
    counts = rng.integers(0, 65536, shape).astype(np.float64)
    counts[0, 0, 0] = 65535
    t = np.sort(rng.uniform(0, 100, shape[0]))
    dark_t = np.sort(rng.uniform(-10, 110, n_dark))
    dark_frames = rng.normal(500, 20, (n_dark,) + shape[1:])
    dark_offset = rng.normal(500, 20, shape[1:])
    gain = rng.uniform(1e-6, 2e-6, shape[1:])
    bad = (rng.random(shape[1:]) < 0.2).astype(np.uint8)
    t_int = rng.uniform(0.01, 0.1, shape[0])
    dark_n = rng.integers(1, 5, n_dark)
    got = to_radiance(counts, t_int, t, dark_frames, dark_t, dark_offset, gain, bad, 8.0, 4.0,
                      dark_n)
    want = _slow_l1b(counts, t_int, t, dark_frames, dark_t, dark_offset, gain, bad, 8.0, 4.0,
                     dark_n)
    for g, w in zip(got[:2], want[:2], strict=True):
        assert np.allclose(g, w, rtol=1e-12, atol=0)
    assert np.array_equal(got[2], want[2])


def test_noise_model_matches_the_detector_scatter():
    """Poisson electrons, read noise and a dark frame interpolated between two: the
    predicted noise equals the radiance's scatter over many frames (within 3 % for the
    4,000 frames' sampling error of a standard deviation, about 1.1 %)."""
    rng = np.random.default_rng(2)
    n_f, epc, read = 4000, 4.0, 8.0
    signal = np.array([[200.0, 5000.0, 30000.0]])  # counts above dark
    dark_true = np.full((1, 3), 500.0)
    darks = dark_true + rng.normal(0, read, (2, 1, 3))  # two closed-shutter frames
    t = rng.uniform(0.0, 10.0, n_f)
    electrons = rng.poisson(signal * epc, (n_f, 1, 3))
    counts = electrons / epc + dark_true + rng.normal(0, read, (n_f, 1, 3))
    gain = np.full((1, 3), 1e-6)
    rad, noise, _ = to_radiance(counts, np.full(n_f, 0.05), t, darks, np.array([0.0, 10.0]),
                                dark_true, gain, np.zeros((1, 3), np.uint8), read, epc)
    # frames' own noise (shot + read) around their mean; the darks' error is common to
    # frames at one time, so compare at the darks' mid-point weights separately
    resid = rad - (1e-6 / 0.05) * (signal + dark_true - ((1 - t / 10)[:, None, None] * darks[0]
                                                          + (t / 10)[:, None, None] * darks[1]))
    own = np.sqrt(signal / epc + read**2) * 1e-6 / 0.05
    assert np.allclose(resid.std(axis=0)[0], own[0], rtol=0.03)
    dvar = read**2 * ((1 - t / 10) ** 2 + (t / 10) ** 2)
    want = np.sqrt(own[0] ** 2 + (1e-6 / 0.05) ** 2 * dvar[:, None])
    # the prediction uses each frame's own (noisy) signal: equal on average
    assert np.allclose(noise[:, 0].mean(axis=0), want.mean(axis=0), rtol=0.01)


def test_dark_runs_are_averaged_and_their_noise_shrinks():
    """Consecutive closed-shutter frames become one dark (mean time, mean counts, their
    number), whose read noise the scene noise then carries divided by that number."""
    from ghgsif.l1b import average_dark_runs

    t = np.array([0.0, 0.1, 0.2, 60.0, 120.0, 120.1])
    c = np.arange(6, dtype=float)[:, None, None] * np.ones((6, 2, 3))
    mt, mc, n = average_dark_runs(t, c, 0.15)
    assert np.allclose(mt, [0.1, 60.0, 120.05])
    assert np.allclose(mc[:, 0, 0], [1.0, 3.0, 4.5])
    assert np.array_equal(n, [3, 1, 2])
    read = 8.0
    frames = np.random.default_rng(3).normal(500.0, read, (3, 1, 1))
    _, means, n = average_dark_runs(np.array([0.0, 0.1, 0.2]), frames, 0.15)
    assert n[0] == 3 and np.isclose(means[0, 0, 0], frames.mean())
    # the scene noise the model then reports: read^2 (1 + 1 / 3) with one run of three
    counts = np.full((1, 1, 1), 500.0)
    _, noise, _ = to_radiance(counts, np.ones(1), np.array([0.5]), means, np.array([0.1]),
                              np.zeros((1, 1)), np.ones((1, 1)), np.zeros((1, 1), np.uint8),
                              read, 4.0, n)
    s = max(500.0 - means[0, 0, 0], 0.0)
    assert np.isclose(noise[0, 0, 0], np.sqrt(s / 4.0 + read**2 * (1 + 1 / 3)))


def test_calibration_errors_name_file_and_key(tmp_path):
    p = tmp_path / "cal.h5"
    with h5py.File(p, "w") as f:
        g = f.create_group("O2A")
        for k in ("wavelength_nm", "isrf_fwhm_nm", "gain", "dark_offset"):
            g[k] = np.ones((2, 3)) * (np.arange(3) if k == "wavelength_nm" else 1.0)
        g["read_noise"] = 8.0
        g["electrons_per_count"] = 4.0
    with pytest.raises(CalibrationError, match=r"cal\.h5: key 'O2A/bad_pixel' is missing"):
        read_band_calibration(p, "O2A")
    with pytest.raises(CalibrationError, match=r"no group 'CH4'"):
        read_band_calibration(p, "CH4")
    with h5py.File(p, "a") as f:
        f["O2A/bad_pixel"] = np.zeros((2, 3), np.uint8)
        del f["O2A/read_noise"]
        f["O2A/read_noise"] = -1.0
    with pytest.raises(CalibrationError, match=r"'O2A/read_noise' must be positive"):
        read_band_calibration(p, "O2A")
    with pytest.raises(CalibrationError, match="cannot read"):
        read_band_calibration(tmp_path / "missing.h5", "O2A")
