"""Polarimetric products of a processed dump: GCOV, CF netCDF (xarray, pyproj), PNGs."""

from contextlib import contextmanager

import h5py
import numpy as np
import pytest
from PIL import Image
from pyproj import CRS

from postflight.process import load_config, process_sar


@pytest.fixture(scope="module")
def products(demo_dump, tmp_path_factory):
    out = tmp_path_factory.mktemp("pol")
    cfg = load_config(None, ["sar.grid.spacing_m=2", "pol.looks=[2, 2]"])
    return process_sar(demo_dump, out, cfg)


def test_netcdf_opens_in_xarray_with_its_crs(products):
    xr = pytest.importorskip("xarray")
    path = products["polarimetry"]["band0/netcdf"]
    with xr.open_dataset(path) as ds:
        for name in ("sigma0_HH", "sigma0_HV", "sigma0_VV", "entropy", "anisotropy", "alpha",
                     "freeman_surface", "freeman_double_bounce", "freeman_volume"):
            assert ds[name].dims == ("y", "x")
            assert ds[name].attrs["grid_mapping"] == "crs"
        crs = CRS.from_cf(ds["crs"].attrs)
        assert crs.to_epsg() == products["grid"]["epsg"]
        assert ds["x"].attrs["standard_name"] == "projection_x_coordinate"
        ent = ds["entropy"].values
        assert np.nanmin(ent) >= -1e-6 and np.nanmax(ent) <= 1 + 1e-6
        alpha = ds["alpha"].values
        assert np.nanmin(alpha) >= 0 and np.nanmax(alpha) <= 90 + 1e-6


def test_gdal_sees_the_georeferencing(products):
    """GDAL's view through rasterio (the test extra): the CRS, and a geotransform whose
    pixel size and corner agree with the file's pixel-centre coordinates."""
    rasterio = pytest.importorskip("rasterio")
    path = products["polarimetry"]["band0/netcdf"]
    with xr_coords(path) as (x, y), rasterio.open(f"netcdf:{path}:sigma0_HH") as src:
        assert src.crs is not None and src.crs.to_epsg() == products["grid"]["epsg"]
        t = src.transform
        dx, dy = x[1] - x[0], y[1] - y[0]
        assert t.a == pytest.approx(dx) and t.e == pytest.approx(dy)
        assert t.c == pytest.approx(x[0] - dx / 2) and t.f == pytest.approx(y[0] - dy / 2)
        assert (src.width, src.height) == (x.size, y.size)


@contextmanager
def xr_coords(path):
    import netCDF4

    with netCDF4.Dataset(path) as nc:
        yield np.asarray(nc["x"][:]), np.asarray(nc["y"][:])


def test_gcov_layout(products):
    with h5py.File(products["polarimetry"]["band0/gcov"]) as f:
        g = f["/science/LSAR/GCOV/grids/frequencyA"]
        for term in ("HHHH", "HVHV", "VVVV"):
            assert g[term].dtype == np.float32
        for term in ("HHHV", "HHVV", "HVVV"):
            assert g[term].dtype == np.complex64
        assert g["HHHH"].shape == (g["yCoordinates"].size, g["xCoordinates"].size)
        assert g["projection"].attrs["grid_mapping_name"] == "transverse_mercator"
        assert "configuration" in f.attrs


def test_quicklooks_are_valid_pngs_of_the_expected_size(products):
    with h5py.File(products["polarimetry"]["band0/gcov"]) as f:
        ny, nx = f["/science/LSAR/GCOV/grids/frequencyA/HHHH"].shape
    for key in ("pauli", "hh_hv_vv"):
        with Image.open(products["polarimetry"][f"band0/{key}"]) as im:
            im.verify()
        with Image.open(products["polarimetry"][f"band0/{key}"]) as im:
            assert im.format == "PNG" and im.mode == "RGB"
            assert im.size == (nx, ny + 56)  # the image plus caption and scale-bar margins
            px = np.asarray(im)[28 : 28 + ny]
            assert px.std() > 10  # not blank
