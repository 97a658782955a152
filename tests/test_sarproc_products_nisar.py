"""GSLC and GCOV against NISAR's L2 specification and the readers of the field.

The specification's fields come from isce3's XML (``tests/data/nisar_l2_fields.tsv``);
isce3's ``Identification`` reader is replayed from its source; GDAL (through rasterio),
xarray (netCDF-C) and nisar-pytools open the files as they are.
"""

import re
from pathlib import Path

import h5py
import numpy as np
import pytest
from cfcheck import assert_cf_acdd

from sarproc.config import PolarimetryConfig
from sarproc.grid import MapGrid
from sarproc.pol_products import PolBand, polarimetric_products
from sarproc.products.gslc import FrequencyInfo, GslcWriter

SPEC = Path(__file__).parent / "data" / "nisar_l2_fields.tsv"
POLS = ("HH", "HV", "VH", "VV")


def spec_fields(product):
    """(path, type, units) of the product's identification and frequencyA fields."""
    out = []
    for line in SPEC.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        prod, path, kind, units = line.split("\t")
        if prod == product:
            out.append((path, kind, units))
    return out


def check_against_spec(path, product):
    """Every field of the spec with meaning for us is present with the spec's type and
    units: identification/ entire; of the grid, every field but the rasters of
    polarisations or covariance terms the product does not list."""
    problems = []
    with h5py.File(path, "r") as f:
        grid = f[f"/science/LSAR/{product}/grids/frequencyA"]
        listed = {v.decode() for key in ("listOfPolarizations", "listOfCovarianceTerms")
                  if key in grid for v in grid[key][()]}
        for name, kind, units in spec_fields(product):
            leaf = name.rsplit("/", 1)[1]
            if "/grids/" in name and re.fullmatch(r"[HVRL]{2}([HVRL]{2})?", leaf) and (
                    leaf not in listed):
                continue
            if name not in f:
                problems.append(f"missing {name}")
                continue
            ds = f[name]
            dt = ds.dtype
            if kind == "string":
                ok = dt.kind == "S"
            elif kind.startswith("integer"):
                bits, sign = int(kind[7:-1]), kind[-1]
                ok = dt.kind == ("u" if sign == "u" else "i") and dt.itemsize * 8 == bits
            else:  # realNN: a real, or a complex of NN-bit parts
                bits = int(kind[4:])
                ok = (dt.kind == "f" and dt.itemsize * 8 == bits) or (
                    dt.kind == "c" and dt.itemsize * 4 == bits)
            if not ok:
                problems.append(f"{name}: {dt} for the spec's {kind}")
            if units != "-":
                got = ds.attrs.get("units")
                got = got.decode() if isinstance(got, bytes) else got
                if got != units:
                    problems.append(f"{name}: units {got!r} for the spec's {units!r}")
    return problems


# --- isce3's Identification reader, replayed (python/packages/nisar/products/readers/
# Base/Identification.py and nisar/h5/h5utils.py at e065414add5f) --------------------
ISOFMT8601 = (r"[1-9][0-9]{3}-[0-1][0-9]-[0-3][0-9](|(T| )[0-2][0-9]:[0-5][0-9]:[0-6][0-9]"
              r"(|(\.|\:|\,)([0-9]*)))")  # cxx/isce3/core/DateTime.h


def isce3_identification(grp):
    bytestring = lambda x: x.decode("utf-8")  # noqa: E731 - as isce3 writes it

    def extract_scalar(key, conv):
        return conv(grp[key][()])

    def extract_iter(key, conv):
        return [conv(x) for x in grp[key][()]]

    def scalar_or_list(key, conv):
        d = grp[key]
        return [conv(v) for v in ([d[()]] if d.shape == () else d[:])]

    out = {k: extract_scalar(k, c) for k, c in (
        ("missionId", bytestring), ("productType", bytestring),
        ("absoluteOrbitNumber", int), ("lookDirection", bytestring),
        ("orbitPassDirection", bytestring), ("zeroDopplerStartTime", bytestring),
        ("zeroDopplerEndTime", bytestring), ("boundingPolygon", bytestring))}
    for k in ("zeroDopplerStartTime", "zeroDopplerEndTime"):  # isce3.core.DateTime(...)
        assert re.fullmatch(ISOFMT8601, out[k]), out[k]
    out["listOfFrequencies"] = extract_iter("listOfFrequencies", bytestring)
    flag = grp["diagnosticModeFlag"][()]
    assert isinstance(flag, (int, np.integer)) and flag in range(3)  # the new spec
    out["plannedDatatake"] = scalar_or_list("plannedDatatakeId", bytestring)
    out["plannedObservation"] = scalar_or_list("plannedObservationId", bytestring)
    urgent = grp["isUrgentObservation"]
    urgent = urgent[()] if urgent.shape == () else urgent[0]
    assert not isinstance(urgent, np.bool_)
    out["isUrgentObservation"] = bytestring(urgent)
    return out


@pytest.mark.parametrize("product", ["gslc", "gcov"])
def test_products_carry_every_field_of_the_nisar_spec(demo_products, product):
    path = (demo_products["gslc"] if product == "gslc"
            else demo_products["polarimetry"]["band0/gcov"])
    assert check_against_spec(path, product.upper()) == []


@pytest.mark.parametrize("product", ["gslc", "gcov"])
def test_isce3_identification_reader_accepts_ours(demo_products, product):
    path = (demo_products["gslc"] if product == "gslc"
            else demo_products["polarimetry"]["band0/gcov"])
    with h5py.File(path, "r") as f:
        ident = isce3_identification(f["/science/LSAR/identification"])
    assert ident["productType"] == product.upper()
    assert ident["lookDirection"] in ("Left", "Right")
    assert ident["listOfFrequencies"] == ["A"]
    assert ident["boundingPolygon"].startswith("POLYGON ((")


def test_bounding_polygon_holds_the_valid_pixels(demo_products):
    """The WKT polygon (counterclockwise) contains every valid pixel centre of the mask."""
    from flightlog.geodesy import pyproj_transformer

    with h5py.File(demo_products["gslc"], "r") as f:
        wkt = f["/science/LSAR/identification/boundingPolygon"][()].decode()
        g = f["/science/LSAR/GSLC/grids/frequencyA"]
        x, y, mask = g["xCoordinates"][()], g["yCoordinates"][()], g["mask"][()]
        epsg = int(g["projection"][()])
    ring = np.array([[float(v) for v in p.split()[:2]]
                     for p in wkt[len("POLYGON (("):-2].split(", ")])
    px, py = pyproj_transformer(4326, epsg).transform(ring[:, 0], ring[:, 1])
    area2 = np.sum(px[:-1] * py[1:] - px[1:] * py[:-1])
    assert area2 > 0  # counterclockwise
    rows, cols = np.nonzero(mask != 255)
    sel = np.random.default_rng(0).choice(rows.size, 2000)
    qx, qy = x[cols[sel]], y[rows[sel]]
    inside = np.zeros(sel.size, bool)  # even-odd rule
    for (x0, y0, x1, y1) in zip(px[:-1], py[:-1], px[1:], py[1:], strict=True):
        cross = (y0 > qy) != (y1 > qy)
        xi = x0 + (qy - y0) * (x1 - x0) / np.where(y1 != y0, y1 - y0, 1)
        inside ^= cross & (qx < xi)
    assert inside.mean() > 0.995  # vertices are decimated: a sliver of edge pixels


@pytest.mark.parametrize("product, layer", [("gslc", "GSLC/grids/frequencyA/HH"),
                                            ("gcov", "GCOV/grids/frequencyA/HHHH")])
def test_gdal_reads_crs_and_geotransform(demo_products, product, layer):
    """``HDF5:"F"://...`` (GDAL's HDF5 driver, with the PAM sidecar) and
    ``NETCDF:"F":/...`` (GDAL's netCDF driver, from the file alone) both georeference
    the raster at its coordinates."""
    rasterio = pytest.importorskip("rasterio")
    path = (demo_products["gslc"] if product == "gslc"
            else demo_products["polarimetry"]["band0/gcov"])
    with h5py.File(path, "r") as f:
        g = f[f"/science/LSAR/{layer.rsplit('/', 1)[0]}"]
        x, y, epsg = g["xCoordinates"][()], g["yCoordinates"][()], int(g["projection"][()])
    for name in (f'HDF5:"{path}"://science/LSAR/{layer}',
                 f'NETCDF:"{path}":/science/LSAR/{layer}'):
        with rasterio.open(name) as ds:
            assert ds.crs.to_epsg() == epsg
            a, b, c, d, e, f_ = tuple(ds.transform)[:6]
            dx = x[1] - x[0]
            assert np.allclose([a, b, d, e], [dx, 0, 0, y[1] - y[0]])
            assert np.isclose(c, x[0] - dx / 2, atol=1e-6)
            assert np.isclose(f_, y[0] - (y[1] - y[0]) / 2, atol=1e-6)
            assert (ds.height, ds.width) == (y.size, x.size)


def test_xarray_opens_the_grids_with_their_coordinates(demo_products):
    xr = pytest.importorskip("xarray")
    with xr.open_dataset(demo_products["gslc"], group="science/LSAR/GSLC/grids/frequencyA",
                         engine="netcdf4", auto_complex=True) as ds:
        assert ds["HH"].dims == ("yCoordinates", "xCoordinates")
        assert ds["HH"].dtype == np.complex64
        assert not any(d.startswith("phony_dim") for d in ds["HH"].dims)
        assert np.all(np.diff(ds["yCoordinates"].values) < 0)
    with xr.open_dataset(demo_products["polarimetry"]["band0/gcov"],
                         group="science/LSAR/GCOV/grids/frequencyA", engine="netcdf4",
                         auto_complex=True) as ds:
        assert ds["HHHH"].dims == ("yCoordinates", "xCoordinates")
        assert ds["mask"].dims == ("yCoordinates", "xCoordinates")


def test_reader_api_returns_lazy_georeferenced_datasets(demo_products):
    from pyproj import CRS

    import sarproc

    epsg = demo_products["grid"]["epsg"]
    for path, opener, names in (
            (demo_products["gslc"], sarproc.open_gslc, POLS),
            (demo_products["polarimetry"]["band0/gcov"], sarproc.open_gcov,
             ("HHHH", "HVHV", "VVVV", "HHHV", "HHVV", "HVVV", "numberOfLooks"))):
        with opener(path) as ds:
            assert set(names) | {"mask"} <= set(ds.data_vars)
            assert ds[names[0]].dims == ("y", "x")
            assert hasattr(ds[names[0]].data, "dask")       # lazy
            assert ds["mask"].dtype == np.uint8
            assert CRS.from_cf(ds["spatial_ref"].attrs).to_epsg() == epsg
            assert ds[names[0]].attrs["grid_mapping"] == "spatial_ref"
            gt = [float(v) for v in ds["spatial_ref"].attrs["GeoTransform"].split()]
            dx = float(ds["x"][1] - ds["x"][0])
            assert np.isclose(gt[0], float(ds["x"][0]) - dx / 2) and np.isclose(gt[1], dx)
            assert ds.attrs["granuleId"] == Path(path).stem
            assert ds.attrs["lookDirection"] in ("Left", "Right")
            with h5py.File(path, "r") as f:
                g = f[f"/science/LSAR/{ds.attrs['productType']}/grids/frequencyA"]
                ref = g[names[0]][()]
            np.testing.assert_array_equal(ds[names[0]].values, ref)
    with pytest.raises(KeyError, match="frequencyB"):
        sarproc.open_gslc(demo_products["gslc"], frequency="B")


def test_nisar_pytools_opens_both(demo_products):
    """``open_nisar`` takes the GSLC (version 0.5.0 knows only GSLC and GUNW product
    types); its generic HDF5 tree reader takes the GCOV, both with x/y and the CRS."""
    npt = pytest.importorskip("nisar_pytools")
    from nisar_pytools.io.h5_to_datatree import h5_to_datatree

    dt = npt.open_nisar(demo_products["gslc"])
    assert dt.attrs["product_type"] == "GSLC"
    node = dt["science/LSAR/GSLC/grids/frequencyA"].dataset
    assert set(POLS) <= set(node.data_vars) and node["HH"].dims == ("y", "x")
    assert node.rio.crs.to_epsg() == demo_products["grid"]["epsg"]
    with h5py.File(demo_products["polarimetry"]["band0/gcov"], "r") as f:
        node = h5_to_datatree(f)["science/LSAR/GCOV/grids/frequencyA"].dataset
        assert node["HHHH"].dims == ("y", "x")
        assert node.rio.crs.to_epsg() == demo_products["grid"]["epsg"]
        assert np.isfinite(node["HHHH"].values).any()


def test_no_data_is_nan_and_masked(demo_products):
    """Pixels no pulse reached: NaN in the GSLC, 255 in its mask, NaN in every GCOV term
    and netCDF layer, -1 in the flag; never a value, never a dB floor."""
    with h5py.File(demo_products["gslc"], "r") as f:
        g = f["/science/LSAR/GSLC/grids/frequencyA"]
        hh, mask = g["HH"][()], g["mask"][()]
        assert 0.01 < np.isnan(hh).mean() < 0.9
        assert not np.any(hh == 0)
        nodata = np.zeros(hh.shape, bool)
        for p in POLS:
            nodata |= ~np.isfinite(g[p][()])
        assert np.array_equal(mask == 255, nodata)
    with h5py.File(demo_products["polarimetry"]["band0/gcov"], "r") as f:
        g = f["/science/LSAR/GCOV/grids/frequencyA"]
        m = g["mask"][()]
        assert 0 < (m == 255).mean() < 1
        for t in ("HHHH", "HVHV", "VVVV", "HHHV", "HHVV", "HVVV", "numberOfLooks",
                  "rtcGammaToSigmaFactor"):
            v = g[t][()]
            assert np.all(np.isnan(v[m == 255])), t
            assert np.all(np.isfinite(v[m != 255])), t
    with h5py.File(demo_products["polarimetry"]["band0/netcdf"], "r") as f:
        for name in ("sigma0_HH", "gamma0_VV", "nesz", "entropy", "anisotropy", "alpha",
                     "freeman_surface", "freeman_double_bounce", "freeman_volume"):
            v = f[name][()]
            assert np.all(np.isnan(v[m == 255])), name
            assert np.nanmin(v) > -100 or name not in ("sigma0_HH", "gamma0_VV"), name
        assert np.all(f["freeman_corrected"][()][m == 255] == -1)


def test_polsar_netcdf_passes_the_cf_and_acdd_checkers(demo_products):
    path = Path(demo_products["polarimetry"]["band0/netcdf"])
    assert_cf_acdd(path)
    with h5py.File(path, "r") as f:
        assert f.attrs["Conventions"].decode() == "CF-1.8, ACDD-1.3"
        # decibel layers: CF units "1" (UDUNITS reads "dB" as a decibit), the scale noted
        assert f["sigma0_HH"].attrs["units"].decode() == "1"
        assert "10 log10" in f["sigma0_HH"].attrs["comment"].decode()
        assert f["incidence_angle"].attrs["standard_name"].decode() == "angle_of_incidence"
        for key in ("time_coverage_start", "geospatial_lat_min", "history", "summary"):
            assert key in f.attrs, key
    with h5py.File(demo_products["gslc"], "r") as f:
        start = f["/science/LSAR/identification/zeroDopplerStartTime"][()].decode()
    with h5py.File(path, "r") as f:
        assert f.attrs["time_coverage_start"].decode() == start[:19] + "Z"


# --- unit tests on a synthetic GSLC -----------------------------------------------------

def _identification():
    from sarproc.products.nisar import IDENTIFICATION

    derived = {"productType", "granuleId", "processingDateTime", "listOfFrequencies",
               "boundingPolygon", "boundingBox"}
    values = {f.name: ([] if f.kind == "str[]" else 0 if f.kind.startswith("u") else "x")
              for f in IDENTIFICATION if f.name not in derived}
    values.update(zeroDopplerStartTime="2025-01-01T00:00:00.000000000",
                  zeroDopplerEndTime="2025-01-01T00:00:01.000000000",
                  plannedDatatakeId=["T"], plannedObservationId=["T"])
    return values


def synthetic_gslc(path, ny=120, nx=100, nodata_cols=10, seed=1):
    """A GSLC of unpolarised noise, CN(0, 1) in each channel, no data in the first
    ``nodata_cols`` columns."""
    rng = np.random.default_rng(seed)
    grid = MapGrid(32654, 320000.0, 3875000.0, 2.0, nx, ny)
    with GslcWriter(path, grid, _identification()) as gw:
        gw.frequency(0, FrequencyInfo(1.2575e9, 85e6, 50.0, 1.5, 0.004, POLS))
        for pol in POLS:
            t = ((rng.standard_normal((ny, nx)) + 1j * rng.standard_normal((ny, nx)))
                 / np.sqrt(2)).astype(np.complex64)
            t[:, :nodata_cols] = np.nan
            gw.write_tile(0, pol, slice(0, ny), slice(0, nx), t)
    return grid


def _band():
    from flightlog.geodesy import geodetic_to_ecef

    la, lo = np.deg2rad(35.0), np.deg2rad(139.0)
    north = np.array([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)])
    return PolBand(1e12, 85e6, 0.2384, geodetic_to_ecef(la, lo, 3000.0), north)


SAR = {"range_window": "hamming", "azimuth_window": "hamming", "integration_angle_deg": 6.0,
       "reference_height_m": 0.0}


def test_writer_masks_no_data_and_bounds_the_valid_pixels(tmp_path):
    path = tmp_path / "T_GSLC.h5"
    grid = synthetic_gslc(path)
    with h5py.File(path, "r") as f:
        g = f["/science/LSAR/GSLC/grids/frequencyA"]
        mask = g["mask"][()]
        assert np.all(mask[:, :10] == 255) and np.all(mask[:, 10:] == 0)
        assert g["HH"].compression == "gzip" and g["HH"].chunks is not None
        assert [d[0].name for d in g["HH"].dims] == [g["yCoordinates"].name,
                                                    g["xCoordinates"].name]
        poly = f["/science/LSAR/identification/boundingPolygon"][()].decode()
    assert (tmp_path / "T_GSLC.h5.aux.xml").exists()
    from flightlog.geodesy import pyproj_transformer

    pts = np.array([[float(v) for v in p.split()[:2]]
                    for p in poly[len("POLYGON (("):-2].split(", ")])
    px, _ = pyproj_transformer(4326, 32654).transform(pts[:, 0], pts[:, 1])
    assert np.isclose(px.min(), grid.xmin + 10 * grid.spacing, atol=0.01)  # valid edge
    assert np.isclose(px.max(), grid.xmin + grid.nx * grid.spacing, atol=0.01)


@pytest.mark.parametrize("speckle_filter", ["none", "refined_lee"])
def test_unpolarised_noise_has_entropy_near_one(tmp_path, speckle_filter):
    """Noise alone, noise subtraction on: Cloude-Pottier of the observed matrix gives the
    entropy of L-look unpolarised noise. The reference is the entropy of L-look complex
    Wishart samples of the identity (tests.naive.h_a_alpha_direct), with L = 16 looks
    (4 x 4, no filter): the median must be within 0.02 of it (the noise estimate's own
    error moves it); with the Lee filter's extra looks it can only come nearer 1."""
    from naive import h_a_alpha_direct

    synthetic_gslc(tmp_path / "N_GSLC.h5", ny=160, nx=160)
    cfg = PolarimetryConfig(looks=(4, 4), noise_subtraction=True,
                            speckle_filter=speckle_filter)
    out = polarimetric_products(tmp_path / "N_GSLC.h5", tmp_path / "N", _band(), SAR, cfg,
                                {"software": "test"})
    with h5py.File(out["netcdf"], "r") as f:
        h = f["entropy"][()]
    assert np.isnan(h[:, :2]).all()  # 10 no-data columns: the first 2 multilooked ones
    rng = np.random.default_rng(3)
    z = (rng.standard_normal((400, 16, 3)) + 1j * rng.standard_normal((400, 16, 3))) / 2**.5
    c = np.einsum("nli,nlj->nij", z, z.conj()) / 16
    a = np.array([[1, 0, 1], [1, 0, -1], [0, 2**.5, 0]]) / 2**.5
    ref = float(np.median(h_a_alpha_direct((a @ c @ a.conj().T)[None])[0, :, 0]))
    got = float(np.nanmedian(h))
    assert got > ref - 0.02
    assert got > 0.9
