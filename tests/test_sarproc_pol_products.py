"""Polarimetric products of a processed dump: GCOV, CF netCDF (xarray, pyproj), PNGs."""

import json
from contextlib import contextmanager

import h5py
import numpy as np
import pytest
from PIL import Image
from pyproj import CRS

from postflight.process import load_config, process_sar


@pytest.fixture(scope="module")
def products(demo_products):
    return demo_products


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
        # Freeman-Durden: the powers add up to the span (in sigma0) and the
        # flag layer counts the pixels whose C13 was scaled to its bound
        span = sum(10 ** (ds[f"sigma0_{p}"].values.astype(np.float64) / 10) * w
                   for p, w in (("HH", 1), ("HV", 2), ("VV", 1)))
        fd = sum(ds[f"freeman_{k}"].values.astype(np.float64)
                 for k in ("surface", "double_bounce", "volume"))
        floor = np.all([ds[f"sigma0_{p}"].values > -119 for p in ("HH", "HV", "VV")],
                       axis=0)  # the dB layers floor a power at 1e-12
        ok = np.isfinite(fd) & floor
        assert ok.mean() > 0.5
        np.testing.assert_allclose(fd[ok], span[ok], rtol=1e-5)  # float32 layers
        flag = ds["freeman_corrected"]
        assert set(np.unique(flag.values[ok])) <= {0, 1}
        assert int(flag.attrs["corrected_pixels"]) == int((flag.values == 1).sum()) > 0
        assert flag.attrs["flag_meanings"] == "realisable c13_scaled_to_bound"
        ent = ds["entropy"].values
        assert np.nanmin(ent) >= -1e-6 and np.nanmax(ent) <= 1 + 1e-6
        alpha = ds["alpha"].values
        assert np.nanmin(alpha) >= 0 and np.nanmax(alpha) <= 90 + 1e-6
        # beta0 and gamma0: sigma0 over the sine and cosine of the local incidence
        inc = np.deg2rad(ds["incidence_angle"].values)
        for pol in ("HH", "HV", "VV"):
            s0 = ds[f"sigma0_{pol}"].values
            ok = s0 > -100
            assert np.allclose((ds[f"beta0_{pol}"].values - s0)[ok],
                               -10 * np.log10(np.sin(inc))[ok], atol=1e-3)
            assert np.allclose((ds[f"gamma0_{pol}"].values - s0)[ok],
                               -10 * np.log10(np.cos(inc))[ok], atol=1e-3)


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
            lay = json.loads(im.text["pisar-l3:layout"])
            k, (ox, oy) = lay["scale"], lay["offset"]
            # enlarged by a whole factor to at least 1024 px on the long side
            assert k == -(-1024 // max(ny, nx)) and max(ny, nx) * k >= 1024
            assert im.size[1] == ny * k + oy + 64 and im.size[0] == max(nx * k, 480)
            px = np.asarray(im)[oy: oy + ny * k, ox: ox + nx * k]
            assert px.std() > 10  # not blank
            assert "common stretch -35 to 0 dB" in im.text["Comment"]


def _reflector_colours(png, reflectors):
    """The brightest RGB within two lattice pixels of each reflector of the survey."""
    import csv

    from flightlog.geodesy import ecef_to_geodetic, pyproj_transformer

    with Image.open(png) as im:
        lay = json.loads(im.text["pisar-l3:layout"])
        px = np.asarray(im).astype(int)
    k, (ox, oy) = lay["scale"], lay["offset"]
    t = pyproj_transformer(4326, lay["epsg"])
    out = []
    with open(reflectors) as f:
        for row in csv.DictReader(f):
            lat, lon, _ = ecef_to_geodetic(np.array([[float(row[c]) for c in
                                                      ("x_ecef", "y_ecef", "z_ecef")]]))
            x, y = t.transform(np.degrees(lon[0]), np.degrees(lat[0]))
            j = int(round((x - lay["x0"]) / lay["dx"]))
            i = int(round((y - lay["y0"]) / lay["dy"]))
            win = px[oy + (i - 2) * k: oy + (i + 3) * k, ox + (j - 2) * k: ox + (j + 3) * k]
            flat = win.reshape(-1, 3)
            out.append((row["kind"], flat[np.argmax(flat.sum(axis=1))]))
    return out, px[oy:oy + 10 * k, ox:]


def test_pauli_shows_the_reflectors_in_their_colours(products, demo_dump):
    """Common stretch: trihedrals blue (odd bounce), the 0-degree dihedral red (even
    bounce), the 45-degree dihedral green (HV); the background dark."""
    colours, top = _reflector_colours(products["polarimetry"]["band0/pauli"],
                                      demo_dump / "truth" / "reflectors.csv")
    channel = {"trihedral": 2, "dihedral0": 0, "dihedral45": 1}
    assert sorted(k for k, _ in colours) == ["dihedral0", "dihedral45", "trihedral",
                                             "trihedral"]
    for kind, rgb in colours:
        c = channel[kind]
        others = [rgb[o] for o in range(3) if o != c]
        # 30 m2 over a 4 m x 4 m multilooked cell is sigma0 +2.7 dB; the 5 x 5 speckle
        # filter spreads it over at most 25 cells (-14 dB): at least -11.3 dB, 176 of 255
        # on the -35..0 dB stretch (128 leaves room for the cell not centred on the peak)
        assert rgb[c] >= 128 and rgb[c] > 2 * max(others), (kind, rgb)
    # the scene's first rows: thermal noise and bare ground, far below -35 dB... dark
    assert np.median(top.sum(axis=-1)) < 60


def _slope_geometry(slope_deg: float, dem: bool = True):
    """Pixels 0.03 deg east of a right-looking radar at 3000 m flying north at 35 N, on a
    DEM rising ``slope_deg`` to the east (away from the radar; negative: falling), at
    height 0 under the pixels' centre."""
    from flightlog.geodesy import geodetic_to_ecef, pyproj_transformer
    from flightlog.geolocate import Dem
    from sarproc.terrain import pixel_geometry

    lat0, lon0 = 35.0, 139.0
    la, lo = np.deg2rad(lat0), np.deg2rad(lon0)
    apc = geodetic_to_ecef(la, lo, 3000.0)
    north = np.array([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)])
    m_per_deg_lon = 6378137.0 * np.cos(la) * np.pi / 180  # near enough for the grid
    slope = np.tan(np.deg2rad(slope_deg))
    lons = lon0 + np.arange(0, 0.06, 0.0005)
    lats = lat0 - 0.01 + np.arange(0, 0.02, 0.0005)
    height = np.tile((lons - lon0 - 0.03) * m_per_deg_lon * slope, (lats.size, 1))
    d = Dem(float(lats[0]), float(lons[0]), 0.0005, 0.0005, height)
    t = pyproj_transformer(4326, 32654)
    x0, y0 = t.transform(lon0 + 0.03, lat0)
    x = x0 + np.arange(-50, 50, 10.0)
    y = y0 + np.arange(50, -50, -10.0)
    g = pixel_geometry(x, y, 32654, 0.0, apc, north, d if dem else None)
    return g, x, y, slope, m_per_deg_lon


def test_local_incidence_from_a_dem_slope():
    """A DEM rising 5 degrees away from a right-looking radar flying north: the local
    incidence is the ellipsoid's minus the slope (the facet faces the radar)."""
    from flightlog.geodesy import pyproj_transformer

    g, x, y, slope, m_per_deg_lon = _slope_geometry(5.0)
    flat = _slope_geometry(5.0, dem=False)[0]
    sin_ell, sin_loc = g.sin_incidence, g.sin_local_incidence
    assert np.allclose(flat.sin_incidence, flat.sin_local_incidence, atol=1e-6)
    # the slope as the DEM's bilinear surface has it (metres per degree of longitude at
    # each pixel's latitude): atan of the height gradient along true east
    xx, yy = np.meshgrid(x, y)
    lon, lat = pyproj_transformer(32654, 4326).transform(xx, yy)
    beta = np.arctan(slope * m_per_deg_lon / (6378137.0 * np.pi / 180
                                              * np.cos(np.deg2rad(lat))))
    assert np.degrees(np.abs(np.arcsin(sin_loc) - (np.arcsin(sin_ell) - beta))).max() < 0.05


@pytest.mark.parametrize("slope_deg, code", [(5.0, 0), (-5.0, 0), (38.0, 0), (-45.0, 0),
                                             (46.0, 2), (60.0, 2), (-52.0, 1), (-60.0, 1)])
def test_layover_and_shadow_from_a_dem_slope(slope_deg, code):
    """The incidence there is 41 to 44 degrees: a face towards the radar steeper than that
    lays over (2), a face away steeper than 90 minus it (46 to 49 degrees) is in shadow
    (1); the slopes are 2 degrees or more from those bounds."""
    from sarproc.terrain import layover_shadow

    g = _slope_geometry(slope_deg)[0]
    inc = np.degrees(np.arcsin(g.sin_incidence))
    assert 41 < inc.min() and inc.max() < 44
    assert np.all(layover_shadow(g) == code)


def test_blockwise_products_equal_the_whole_image(demo_dump, products, tmp_path):
    """Blocks of 5 multilooked rows (the noise window and the Lee filter reaching across
    several blocks) give the one-block products, to rounding, wherever there is signal."""
    cfg = load_config(None, ["sar.grid.spacing_m=2", "pol.looks=[2, 2]", "pol.block_rows=5"])
    small = process_sar(demo_dump, tmp_path, cfg)
    whole = {}
    with h5py.File(products["polarimetry"]["band0/netcdf"]) as a, \
            h5py.File(small["polarimetry"]["band0/netcdf"]) as b:
        assert a["alpha"].shape[0] > 20  # several blocks
        signal = a["sigma0_HH"][()] > -60
        for k in ("sigma0_HH", "sigma0_HV", "nesz", "entropy", "alpha", "freeman_volume"):
            whole[k] = a[k][()]
            np.testing.assert_allclose(b[k][()][signal], whole[k][signal], rtol=1e-6,
                                       atol=1e-6, err_msg=k)  # float32 rounding
    with h5py.File(products["polarimetry"]["band0/gcov"]) as a, \
            h5py.File(small["polarimetry"]["band0/gcov"]) as b:
        for k in ("HHHH", "HHVV"):
            g = "science/LSAR/GCOV/grids/frequencyA/" + k
            np.testing.assert_allclose(b[g][()][signal], a[g][()][signal], rtol=1e-6)


def test_quicklooks_of_a_large_grid_are_sampled_with_bounded_memory(demo_dump, products,
                                                                    tmp_path, monkeypatch):
    """Past QUICKLOOK_MAX_SIDE multilooked pixels a side, the quicklooks take every d-th
    pixel (their memory does not grow with the grid: a 1e9 m grid once grew to
    11 GB); the science layers are the same."""
    import sarproc.pol_products as pp

    with h5py.File(products["polarimetry"]["band0/gcov"]) as f:
        ny, nx = f["/science/LSAR/GCOV/grids/frequencyA/HHHH"].shape
    side = max(ny, nx) // 3
    monkeypatch.setattr(pp, "QUICKLOOK_MAX_SIDE", side)
    d = -(-max(ny, nx) // side)
    cfg = load_config(None, ["sar.grid.spacing_m=2", "pol.looks=[2, 2]"])
    small = process_sar(demo_dump, tmp_path, cfg)
    with Image.open(small["polarimetry"]["band0/pauli"]) as im:
        lay = json.loads(im.text["pisar-l3:layout"])
        qy, qx = -(-ny // d), -(-nx // d)
        assert im.size[1] == qy * lay["scale"] + lay["offset"][1] + 64
        assert im.size[0] == max(qx * lay["scale"], 480)
        assert np.asarray(im)[lay["offset"][1]:-64].std() > 10
    with h5py.File(products["polarimetry"]["band0/gcov"]) as a, \
            h5py.File(small["polarimetry"]["band0/gcov"]) as b:
        g = "science/LSAR/GCOV/grids/frequencyA/HHHH"
        np.testing.assert_array_equal(b[g][()], a[g][()])
