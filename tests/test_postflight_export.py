"""``postflight export``: COGs read back with rasterio, vectors against RFC 7946 and KML."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from gischeck import check_geojson, check_kml

from postflight.cli import main
from postflight.export import ExportError, export


@pytest.fixture(scope="module")
def exported(demo_products, tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    gcov = Path(demo_products["polarimetry"]["band0/gcov"])
    return out, export(gcov.parent, out), demo_products


def test_cogs_read_back_with_their_georeferencing(exported):
    rasterio = pytest.importorskip("rasterio")
    out, paths, products = exported
    gcov = Path(products["polarimetry"]["band0/gcov"])
    names = {p.name for p in paths}
    for layer in ("gamma0_HH", "gamma0_HV", "gamma0_VV", "sigma0_HH", "pauli"):
        assert f"{gcov.stem}_{layer}.tif" in names, layer
    with h5py.File(gcov, "r") as f:
        g = f["/science/LSAR/GCOV/grids/frequencyA"]
        x, y, hh = g["xCoordinates"][()], g["yCoordinates"][()], g["HHHH"][()]
        factor = g["rtcGammaToSigmaFactor"][()]
    with rasterio.open(out / f"{gcov.stem}_gamma0_HH.tif") as ds:
        assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert ds.crs.to_epsg() == products["grid"]["epsg"]
        a, _, c, _, e, f_ = tuple(ds.transform)[:6]
        assert np.isclose(a, x[1] - x[0]) and np.isclose(e, y[1] - y[0])
        assert np.isclose(c, x[0] - a / 2) and np.isclose(f_, y[0] - e / 2)
        band = ds.read(1)
    ok = np.isfinite(hh) & (hh > 0)
    np.testing.assert_allclose(band[ok], 10 * np.log10(hh[ok]), atol=1e-4)
    assert np.all(np.isnan(band[~np.isfinite(hh)]))
    with rasterio.open(out / f"{gcov.stem}_sigma0_HH.tif") as ds:
        s = ds.read(1)
    np.testing.assert_allclose(s[ok], 10 * np.log10(hh[ok] * factor[ok]), atol=1e-4)
    with rasterio.open(out / f"{gcov.stem}_pauli.tif") as ds:
        assert ds.count == 4 and ds.dtypes[0] == "uint8"
        alpha = ds.read(4)
        assert np.array_equal(alpha == 0, ~np.isfinite(hh))
        assert "common stretch" in ds.tags()["stretch"]
    polsar = Path(products["polarimetry"]["band0/netcdf"])
    for layer in ("entropy", "anisotropy", "alpha", "sigma0_HV"):
        with rasterio.open(out / f"{polsar.stem}_{layer}.tif") as ds:
            assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
            v = ds.read(1)
            assert np.isfinite(v).any()
            if layer == "entropy":
                assert np.nanmin(v) >= 0 and np.nanmax(v) <= 1


def test_swath_and_track_vectors(exported):
    out, _, products = exported
    gslc = Path(products["gslc"])
    swath = check_geojson(out / f"{gslc.stem}_swath.geojson")
    track = check_geojson(out / f"{gslc.stem}_track.geojson")
    check_kml(out / f"{gslc.stem}_swath.kml", 1)
    check_kml(out / f"{gslc.stem}_track.kml", 1)
    ring = np.array(swath["features"][0]["geometry"]["coordinates"][0])
    line = np.array(track["features"][0]["geometry"]["coordinates"])
    with h5py.File(gslc, "r") as f:
        wkt = f["/science/LSAR/identification/boundingPolygon"][()].decode()
    first = [float(v) for v in wkt[wkt.index("((") + 2:].split(",")[0].split()[:2]]
    assert np.min(np.hypot(*(ring - first).T)) < 1e-7
    # the demo flies about 3 km above the scene: the track is beside the swath, and the
    # swath lies within a few kilometres of it
    assert line.shape[0] >= 2
    dlat_m = (ring[:, 1].mean() - line[:, 1].mean()) * 111e3
    dlon_m = (ring[:, 0].mean() - line[:, 0].mean()) * 111e3 * np.cos(np.radians(35))
    assert 100 < np.hypot(dlat_m, dlon_m) < 10e3


def test_cli_export_and_its_errors(demo_products, tmp_path, capsys):
    gslc = demo_products["gslc"]
    assert main(["export", str(gslc), str(tmp_path / "e")]) == 0
    printed = capsys.readouterr().out.split()
    assert {Path(p).name for p in printed} == {f"{Path(gslc).stem}_{k}.{e}" for k in
                                               ("swath", "track") for e in ("geojson", "kml")}
    assert main(["export", str(tmp_path / "nope.h5"), str(tmp_path / "e")]) == 2
    assert "no such product" in capsys.readouterr().err
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(ExportError, match="not a product"):
        export(tmp_path / "x.txt", tmp_path / "e")
