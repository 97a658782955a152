"""Calibration end to end on the simulator's `calibration` scenario:
a corner-reflector array on a calm lake, with thermal noise (NESZ -30 dB) and the radar
distorted by -20 dB cross-talk (random phases) and a 1 dB / 20 degree channel imbalance.

`postflight calibrate` on one flight writes the calibration file; its estimates are
checked against the distortion the simulator injected, and applied to a second flight
(another seed: other speckle, noise and turbulence) whose trihedrals must then read their
true radar cross-section."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from flightlog.geodesy import ecef_to_geodetic, pyproj_transformer
from postflight.cli import main
from postflight.process import load_config, process_sar
from sarproc.backprojection import reference_track
from sarproc.calibration import (
    load_calibration,
    polcal_of,
    read_reflectors,
    reflector_values,
)
from sarproc.grid import track_heading_deg
from sarproc.l0 import read_channel
from sarproc.polarimetry import coherency, covariance, h_a_alpha, pauli_rgb
from sarproc.radiometry import band_radar_constant, effective_area, point_rcs
from sim.dump import simulate

pytestmark = pytest.mark.flight

EPSG = 32654
GSLC = "/science/LSAR/GSLC/grids/frequencyA"


def _flight(root, seed):
    d = root / f"dump{seed}"
    simulate("calibration", d, seed=seed)
    with h5py.File(d / "truth" / "truth.h5") as f:
        pos = f["sar/targets/position_ecef"][()]
        kind = [k.decode() for k in f["sar/targets/kind"][()]]
        smat = f["sar/targets/scattering_matrix"][()]
        rec = json.loads(f["sar"].attrs["recording"])
    csv = d / "truth" / "reflectors.csv"  # the simulator's reflector survey
    surveyed = read_reflectors(csv)
    assert [r.kind for r in surveyed] == kind
    for r, p, s in zip(surveyed, pos, smat, strict=True):
        assert np.allclose(r.position, p)
        # RCS of the reflector's own polarisation: 4 pi times the largest singular value
        # of S squared (a trihedral's S is a I, a dihedral's a rotation of it)
        assert r.rcs_m2 == pytest.approx(4 * np.pi * np.linalg.norm(s, 2) ** 2)
    lat, lon, h = ecef_to_geodetic(pos)
    x, y = pyproj_transformer(4326, EPSG).transform(np.rad2deg(lon), np.rad2deg(lat))
    bounds = [float(v) for v in (x.min() - 40, y.min() - 40, x.max() + 40, y.max() + 40)]
    sets = [f"sar.grid.epsg={EPSG}", f"sar.grid.bounds={bounds}", "sar.grid.spacing_m=0.5",
            "sar.integration_angle_deg=3", f"sar.reference_height_m={float(h.mean())}",
            "sar.range_window=taylor:4:35", "sar.azimuth_window=taylor:4:35"]
    return d, csv, sets, rec["distortion"]


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    root = tmp_path_factory.mktemp("calchain")
    d, csv, sets, dist = _flight(root, 3)
    out = root / "cal"
    argv = ["calibrate", str(d), str(out), "--reflectors", str(csv)]
    for s in sets:
        argv += ["--set", s]
    assert main(argv) == 0
    return out / "calibration.json", dist, root


def test_distortion_is_recovered(calibrated):
    path, dist, _ = calibrated
    pc = polcal_of(load_calibration(path)[0])
    assert pc is not None
    d_true = [complex(v) for v in dist["crosstalk"]]
    f_true = complex(dist["imbalance"])
    print("residual cross-talk (dB):", [round(20 * np.log10(abs(g - w)), 1)
                                         for g, w in zip(pc.crosstalk, d_true, strict=True)])
    for got, want in zip(pc.crosstalk, d_true, strict=True):
        assert 20 * np.log10(abs(got - want)) <= -35  # residual cross-talk
    ratio = pc.imbalance / f_true
    print("imbalance residual (dB, deg):", 20 * np.log10(abs(ratio)), np.degrees(np.angle(ratio)))
    assert abs(20 * np.log10(abs(ratio))) <= 0.1
    assert abs(np.degrees(np.angle(ratio))) <= 1.0
    # what the calibrated radar does to S = I: cross-polar leakage below -35 dB
    from sim.scattering import Distortion

    s = pc.correct(Distortion(tuple(d_true), f_true).apply(np.eye(2)))
    s = s / s[0, 0]
    assert 20 * np.log10(max(abs(s[0, 1]), abs(s[1, 0]))) <= -35
    assert abs(20 * np.log10(abs(s[1, 1]))) <= 0.1


def test_calibration_applies_to_a_later_flight(calibrated, tmp_path):
    """Reflectors of a second flight, read with the first flight's calibration file: each
    kind in its Pauli colour with its alpha, and the trihedrals' RCS:
    the mean over the trihedrals (HH and VV) within 0.2 dB of truth, and each within 0.2 dB
    plus three standard deviations of its clutter-and-noise error (the lake's sigma0 from
    the class truth plus the NESZ, over the impulse response's effective area)."""
    path, _, root = calibrated
    entry = load_calibration(path)[0]
    pc = polcal_of(entry)
    assert pc is not None
    d, csv, sets, _ = _flight(root, 4)
    cfg = load_config(None, [*sets, "pol.enabled=false"])
    s = process_sar(d, tmp_path, cfg)
    with h5py.File(s["gslc"]) as f:
        g = f[GSLC]
        img = {p: g[p][()] for p in ("HH", "HV", "VH", "VV")}
        x, y = g["xCoordinates"][()], g["yCoordinates"][()]
    from flightlog.descriptor import load_descriptor

    desc = load_descriptor(d)
    sar = desc.require_sar()
    k = band_radar_constant(sar.bands[0], sar.antenna)
    with h5py.File(s["l0"]) as f:
        ch = read_channel(f, 0, "HH")
    apc = ch.position[ch.valid & ch.present]
    track = reference_track(apc)
    mid = apc.shape[0] // 2
    heading = track_heading_deg(apc[mid], track[mid], EPSG)
    with h5py.File(d / "truth" / "truth.h5") as f:
        water = f["sar/class_covariance/water"][()]
    sin_inc = np.sin(np.deg2rad(45.0))
    a_eff = float(effective_area("taylor:4:35", "taylor:4:35", 85e6, 3.0,
                                 299_792_458.0 / 1.2575e9, sin_inc))
    errors = []
    colour = {"trihedral": 2, "dihedral0": 0, "dihedral45": 1}  # Pauli B, R, G
    for r in read_reflectors(csv):
        la, lo, _ = ecef_to_geodetic(r.position)
        px, py = pyproj_transformer(4326, EPSG).transform(np.rad2deg(lo), np.rad2deg(la))
        i, j = int(np.argmin(np.abs(y - py))), int(np.argmin(np.abs(x - px)))
        v = reflector_values(img, (i, j), 0.5, heading)
        c = pc.correct(np.array([[v["HH"], v["VH"]], [v["HV"], v["VV"]]]))
        # canonical targets land where theory puts them, in the calibrated scene: Pauli
        # colour (dominant by 20 dB) and alpha of the single-look peak
        one = [np.array([[x]]) for x in (c[0, 0], c[1, 0], c[0, 1], c[1, 1])]
        rgb = pauli_rgb(*one)[0, 0]
        assert int(np.argmax(rgb)) == colour[r.kind], r.kind
        assert np.sort(rgb)[-1] >= 10 * np.sort(rgb)[-2], r.kind
        alpha = float(h_a_alpha(coherency(covariance(*one)))["alpha_deg"][0, 0])
        assert (alpha < 3.0) if r.kind == "trihedral" else (alpha > 87.0), (r.kind, alpha)
        if r.kind != "trihedral":
            continue
        dpos = r.position - apc[mid]
        rng = float(np.linalg.norm(dpos - (dpos @ track[mid]) * track[mid]))
        for val, sigma0 in ((c[0, 0], water[0, 0].real), (c[1, 1], water[2, 2].real)):
            rcs = point_rcs(abs(val), rng, rng, k) * 10 ** (-entry["absolute_db"] / 10)
            err = 10 * np.log10(rcs / r.rcs_m2)
            clutter = (sigma0 + 10 ** (-30 / 10)) * a_eff  # m^2 in the response
            sd = 20 * np.log10(1 + np.sqrt(clutter / (2 * r.rcs_m2)))
            assert abs(err) <= 0.2 + 3 * sd
            errors.append(err)
    print("trihedral RCS errors after calibration (dB):", np.round(errors, 3))
    assert len(errors) >= 6
    assert abs(np.mean(errors)) <= 0.2
