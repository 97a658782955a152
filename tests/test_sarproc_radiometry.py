"""sigma0 of the `forest` scenario's land classes against the simulator's class truth,
through the whole chain (echoes, focusing, radiometry, polarimetric products), with the
scenario's thermal noise (NESZ -30 dB) removed by the cross-polar noise estimate."""

import json

import h5py
import netCDF4
import numpy as np
import pytest

from flightlog.geodesy import ecef_to_geodetic, geodetic_to_ecef, pyproj_transformer
from postflight.process import load_config, process_sar
from sarproc.radiometry import effective_area

EPSG = 32654
MARGIN = 8.0  # metres kept off each stripe's edges
NESZ = 10 ** (-30 / 10)  # the scenario's noise-equivalent sigma0


@pytest.fixture(scope="module")
def forest(tmp_path_factory, forest_dump):
    d = forest_dump
    with h5py.File(d / "truth" / "truth.h5") as f:
        grid = json.loads(f["sar/class_map"].attrs["grid"])
        cov = {k: f[f"sar/class_covariance/{k}"][()] for k in f["sar/class_covariance"]}
    c0 = np.array(grid["centre_ecef"])
    la, lo, _ = ecef_to_geodetic(c0)
    x0, y0 = pyproj_transformer(4326, EPSG).transform(np.rad2deg(lo), np.rad2deg(la))
    bounds = [x0 - 170, y0 - 170, x0 + 170, y0 + 170]
    cfg = load_config(None, [f"sar.grid.epsg={EPSG}", f"sar.grid.bounds={bounds}",
                             "sar.grid.spacing_m=1", "sar.range_window=taylor:4:35",
                             "sar.azimuth_window=taylor:4:35", "pol.looks=[3, 3]",
                             "pol.speckle_filter=none"])
    summary = process_sar(d, tmp_path_factory.mktemp("forest_out"), cfg)
    return summary, grid, cov, c0


def test_class_sigma0_matches_truth(forest):
    summary, grid, cov, c0 = forest
    along_u, across_u = np.array(grid["along_track"]), np.array(grid["across_track"])
    with netCDF4.Dataset(summary["polarimetry"]["band0/netcdf"]) as nc:
        xx, yy = np.meshgrid(nc["x"][:], nc["y"][:])
        lon, lat = pyproj_transformer(EPSG, 4326).transform(xx, yy)
        p = geodetic_to_ecef(np.deg2rad(lat), np.deg2rad(lon), np.zeros(lat.shape))
        along, across = (p - c0) @ along_u, (p - c0) @ across_u
        layers = {pol: 10 ** (np.asarray(nc[f"sigma0_{pol}"][:]) / 10) for pol in
                  ("HH", "HV", "VV")}
    # sampling error of a stripe's mean: independent resolution cells of the image and
    # independent scatterers of the simulated realisation (one per 2 m cell); thermal
    # noise (NESZ) widens the cells' spread by (sigma0 + NESZ) / sigma0
    lam = 299_792_458.0 / 1.2575e9
    a_eff = float(effective_area("taylor:4:35", "taylor:4:35", 85e6, 3.0, lam, np.sin(0.79)))
    for k, code in enumerate((1, 2, 3, 4, 5)):
        lo, hi = (30 * k - 74.5) * 2, (30 * k + 29 - 74.5) * 2
        m = (across > lo + MARGIN) & (across < hi - MARGIN) & (np.abs(along) < 140)
        area = (hi - lo - 2 * MARGIN) * 280.0
        c = cov[grid["classes"][str(code)]]
        for pol, truth in (("HH", c[0, 0].real), ("HV", c[1, 1].real / 2),
                           ("VV", c[2, 2].real)):
            snr = truth / NESZ
            rel = np.sqrt(a_eff / area * (1 + 1 / snr) ** 2 + grid["spacing_m"] ** 2 / area)
            tol = 0.3 + 2 * 10 * np.log10(1 + rel)  # acceptance plus two sigma of sampling
            got = layers[pol][m].mean()
            assert abs(10 * np.log10(got / truth)) <= tol, (code, pol)



def test_forest_pixels_fall_in_the_volume_zone(forest):
    """From the GCOV product, averaged to about 50 independent looks (the 3 x 3 looks of a
    1 m grid hold about one), entropy and alpha of the forest stripe."""
    from sarproc.polarimetry import boxcar, coherency, h_a_alpha

    summary, grid, _, c0 = forest
    along_u, across_u = np.array(grid["along_track"]), np.array(grid["across_track"])
    with h5py.File(summary["polarimetry"]["band0/gcov"]) as f:
        g = f["/science/LSAR/GCOV/grids/frequencyA"]
        hhhh, hvhv, vvvv = g["HHHH"][()], g["HVHV"][()], g["VVVV"][()]
        hhhv, hhvv, hvvv = g["HHHV"][()], g["HHVV"][()], g["HVVV"][()]
        xx, yy = np.meshgrid(g["xCoordinates"][()], g["yCoordinates"][()])
    s2 = np.sqrt(2)
    c3 = np.empty(hhhh.shape + (3, 3), np.complex128)
    c3[..., 0, 0], c3[..., 1, 1], c3[..., 2, 2] = hhhh, 2 * hvhv, vvvv
    c3[..., 0, 1], c3[..., 0, 2], c3[..., 1, 2] = s2 * hhhv, hhvv, s2 * hvvv
    for a, b in ((1, 0), (2, 0), (2, 1)):
        c3[..., a, b] = np.conj(c3[..., b, a])
    d = h_a_alpha(coherency(boxcar(c3, 7)))
    lon, lat = pyproj_transformer(EPSG, 4326).transform(xx, yy)
    p = geodetic_to_ecef(np.deg2rad(lat), np.deg2rad(lon), np.zeros(lat.shape))
    across, along = (p - c0) @ across_u, (p - c0) @ along_u
    m = (across > -149 + MARGIN + 10) & (across < -91 - MARGIN - 10) & (np.abs(along) < 130)
    # Cloude-Pottier zone of vegetation (random volume): high entropy, alpha 40-55 degrees
    assert np.median(d["entropy"][m]) > 0.7
    assert 40 < np.median(d["alpha_deg"][m]) < 55
