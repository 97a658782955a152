"""The SAR chain from a simulated dump: L0, range compression, backprojection onto a UTM
grid, the GSLC product and point-target quality against theory."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from flightlog.geodesy import ecef_to_geodetic, pyproj_transformer
from postflight.cli import main
from postflight.process import ConfigError, load_config, process_sar
from sarproc.backprojection import reference_track
from sarproc.grid import track_heading_deg
from sarproc.l0 import read_channel
from sarproc.quality import point_target, window_response
from sim.dump import simulate

pytestmark = pytest.mark.flight

C = 299_792_458.0
LAMBDA = C / 1.2575e9
HALF_ANGLE = np.deg2rad(1.5)  # integration angle 3 degrees
SPACING = 0.5
GSLC = "/science/LSAR/GSLC/grids/frequencyA"


@pytest.fixture(scope="module")
def cal_dump(tmp_path_factory):
    """The ``calibration`` scenario, flown with its turbulence, with the reflectors alone
    (no clutter, no thermal noise, no distortion): the impulse response itself."""
    d = tmp_path_factory.mktemp("cal") / "dump"
    simulate("calibration", d, seed=3,
             overrides={"clutter": False, "nesz_db": -150.0, "crosstalk_db": None})
    return d


def _target_grid(dump, index, half=24.0):
    with h5py.File(dump / "truth" / "truth.h5") as f:
        tgt = f["sar/targets/position_ecef"][index]
        smat = f["sar/targets/scattering_matrix"][index]
    lat, lon, h = ecef_to_geodetic(tgt)
    epsg = 32654
    x, y = pyproj_transformer(4326, epsg).transform(np.rad2deg(lon), np.rad2deg(lat))
    bounds = [x - half, y - half, x + half, y + half]
    return tgt, smat, epsg, bounds, float(h), (float(x), float(y))


def _heading(l0_path, epsg):
    """Heading of the reference track in the grid (degrees clockwise from grid north)."""
    with h5py.File(l0_path) as f:
        ch = read_channel(f, 0, "HH")
    mid = ch.n_pulses // 2
    p0 = ch.position[mid]
    return track_heading_deg(p0, reference_track(ch.position)[mid], epsg), ch, p0


def _focus(dump, out, index, window, extra=()):
    tgt, smat, epsg, b, h, xy = _target_grid(dump, index)
    cfg = load_config(None, [f"sar.grid.epsg={epsg}", f"sar.grid.bounds={b}",
                             f"sar.grid.spacing_m={SPACING}", f"sar.range_window={window}",
                             f"sar.azimuth_window={window}", "sar.integration_angle_deg=3",
                             "sar.polarisations=[HH]", f"sar.reference_height_m={h}",
                             *extra])
    s = process_sar(dump, out, cfg)
    with h5py.File(s["gslc"]) as f:
        img = f[f"{GSLC}/HH"][()]
        x0 = f[f"{GSLC}/xCoordinates"][0]
        y0 = f[f"{GSLC}/yCoordinates"][0]
    heading, ch, apc = _heading(s["l0"], epsg)
    q = point_target(img, SPACING, heading, chip=64, upsample=16, cut_half_length_m=12)
    return q, (x0, y0), xy, tgt, smat, apc


@pytest.mark.parametrize("window", ["rect", "taylor:4:35"])
@pytest.mark.parametrize("index", [4, 6])  # an isolated trihedral and dihedral
def test_point_target_quality_with_turbulence(cal_dump, tmp_path, window, index):
    q, (x0, y0), (xt, yt), tgt, smat, apc = _focus(cal_dump, tmp_path, index, window)
    # theory: the window over the azimuth wavenumber band 4 sin(half angle) / lambda and
    # over the range band 2 B / c projected on the ground
    up = tgt / np.linalg.norm(tgt)
    los = (apc - tgt) / np.linalg.norm(apc - tgt)
    sin_inc = np.sqrt(1 - (los @ up) ** 2)
    az = window_response(window, 4 * np.sin(HALF_ANGLE) / LAMBDA, 12)
    rg = window_response(window, 2 * 85e6 / C * sin_inc, 12)
    for got, want in ((q.azimuth, az), (q.range, rg)):
        assert got.irw_m == pytest.approx(want.irw_m, rel=0.02)
        assert abs(got.pslr_db - want.pslr_db) <= 0.5
        assert abs(got.islr_db - want.islr_db) <= 1.0
    # peak within 1/20 of a resolution cell of the truth
    de, dn = x0 + q.peak_east_m - xt, y0 + q.peak_north_m - yt
    assert np.hypot(de, dn) <= az.irw_m / 20
    # phase: the scatterer's own (the two-way path is removed by backprojection)
    want_phase = np.angle(smat[0, 0])
    assert abs(np.degrees(np.angle(np.exp(1j * (q.peak_phase_rad - want_phase))))) < 3.0


def test_navigation_noise_degrades_gracefully(tmp_path):
    """1 cm of white position noise in the navigation: the run succeeds and the target is
    still focused (the degradation is reported in BENCHMARKS.md / the issue note)."""
    d = tmp_path / "dump"
    simulate("calibration", d, seed=3, faults="nav_noise=0.01",
             overrides={"clutter": False, "nesz_db": -150.0, "crosstalk_db": None,
                        "duration_s": 4.0})
    q, (x0, y0), (xt, yt), *_ = _focus(d, tmp_path / "out", 4, "rect")
    theory = window_response("rect", 4 * np.sin(HALF_ANGLE) / LAMBDA, 12)
    assert q.azimuth.irw_m == pytest.approx(theory.irw_m, rel=0.1)
    assert np.hypot(x0 + q.peak_east_m - xt, y0 + q.peak_north_m - yt) < theory.irw_m / 4


def test_point_target_on_synthetic_sinc():
    """point_target on an analytic band-limited response with a range carrier."""
    n = 128
    yy, xx = np.mgrid[0:n, 0:n] * 0.5
    x0, y0 = 31.23, 30.71
    bw = 0.4  # cycles per metre
    img = (np.sinc(bw * (xx - x0)) * np.sinc(bw * (yy - y0))
           * np.exp(2j * np.pi * 0.7 * (xx - x0)) * np.exp(0.3j)).astype(np.complex64)
    q = point_target(img, 0.5, 180.0, chip=64, upsample=16, cut_half_length_m=12)
    theory = window_response("rect", bw, 12)
    assert q.azimuth.irw_m == pytest.approx(theory.irw_m, rel=0.005)
    assert q.range.pslr_db == pytest.approx(theory.pslr_db, abs=0.1)
    assert q.peak_east_m == pytest.approx(x0, abs=0.01)
    assert -q.peak_north_m == pytest.approx(y0, abs=0.01)
    assert q.peak_phase_rad == pytest.approx(0.3, abs=0.02)


def test_gslc_layout_and_missing_pulses(demo_dump, tmp_path):
    """The GSLC tree of the demo (all four polarisations), and a dump with lost packets."""
    rc = main(["process", str(demo_dump), str(tmp_path), "--set", "sar.grid.spacing_m=4"])
    assert rc in (0, 10)
    path = next(tmp_path.glob("*_GSLC.h5"))
    with h5py.File(path) as f:
        g = f[GSLC]
        assert sorted(x.decode() for x in g["listOfPolarizations"][()]) == [
            "HH", "HV", "VH", "VV"]
        nodata = np.zeros(g["mask"].shape, bool)
        for pol in ("HH", "HV", "VH", "VV"):
            assert g[pol].dtype == np.complex64
            assert g[pol].shape == (g["yCoordinates"].size, g["xCoordinates"].size)
            nodata |= ~np.isfinite(g[pol][()])
        # NaN where no pulse of a channel reached; the mask's 255 where any channel has none
        assert 0 < nodata.mean() < 0.5
        assert np.array_equal(g["mask"][()] == 255, nodata)
        assert g["projection"][()] // 100 == 326  # UTM north
        assert g["projection"].attrs["grid_mapping_name"] == "transverse_mercator"
        assert np.allclose(np.diff(g["xCoordinates"][()]), 4.0)
        assert f["/science/LSAR/identification/lookDirection"][()] == b"Right"  # NISAR spelling
        params = f["/science/LSAR/GSLC/metadata/processingInformation/parameters/sar"][()]
        assert b"integration_angle_deg" in params
        assert "configuration" in f.attrs
    assert not list(tmp_path.glob(".*.part"))


def test_lost_packets_leave_masked_slots(tmp_path):
    d = tmp_path / "dump"
    simulate("demo", d, seed=5, faults="drop=0.02")
    cfg = load_config(None, ["sar.polarisations=[HH]", "sar.grid.spacing_m=8"])
    s = process_sar(d, tmp_path / "out", cfg)
    with h5py.File(s["l0"]) as f:
        ch = read_channel(f, 0, "HH")
        echo = f["band0/HH/echo"][()]
    assert (~ch.present).sum() > 0
    assert not np.any(echo[~ch.present])  # missing pulses are zero rows
    assert np.all(np.any(echo[ch.present] != 0, axis=1))
    assert np.all(np.diff(ch.gps_time) > 0)  # slots stay uniform in time
    dt = np.diff(ch.gps_time)
    assert dt.max() / dt.min() < 1.01


def test_config_errors_name_the_key(tmp_path):
    bad = tmp_path / "run.yaml"
    bad.write_text("sar:\n  azimuth_window: kaiser\n  grid: {spacing_m: 2}\n")
    with pytest.raises(ConfigError, match="sar.azimuth_window"):
        load_config(bad)
    bad.write_text("sar:\n  integration_angel_deg: 3\n")
    with pytest.raises(ConfigError, match="integration_angel_deg"):
        load_config(bad)
    with pytest.raises(ConfigError, match="sar.grid.bounds"):
        load_config(None, ["sar.grid.bounds=[1, 2, 0, 3]"])
    assert main(["process", "nowhere", str(tmp_path), "--set", "sar.upsample=1"]) == 2
    # settings under which the fast path would part from exact backprojection (-40 dB)
    with pytest.raises(ConfigError, match="sar.upsample 4: the fast path"):
        load_config(None, ["sar.algorithm=ffbp", "sar.upsample=4"])
    with pytest.raises(ConfigError, match="sar.ffbp_oversample"):
        load_config(None, ["sar.ffbp_oversample=3"])
    load_config(None, ["sar.upsample=4"])  # exact backprojection's own choice


def _hills(path):
    """A DEM (.npz) of hills over the demo flight's swath: +-30 m on a 350 m by 330 m
    egg-crate, on a 15 m per km rise to the north; 0.0003-degree posting."""
    lat0, lon0, d = 34.98, 139.01, 0.0003
    la, lo = np.meshgrid(lat0 + np.arange(100) * d, lon0 + np.arange(170) * d, indexing="ij")
    h = (50 + 30 * np.sin(2 * np.pi * (lo - lon0) / 0.004) * np.cos(2 * np.pi * (la - lat0)
                                                                  / 0.003)
         + 2000 * (la - lat0))
    np.savez(path, lat0_deg=lat0, lon0_deg=lon0, dlat_deg=d, dlon_deg=d, height=h)
    return path


@pytest.mark.parametrize(("window", "dem"), [("rect", False), ("taylor:4:35", False),
                                             ("rect", True)])
def test_fast_path_agrees_with_exact_backprojection(demo_dump, tmp_path, window, dem):
    """The factorised fast path against exact backprojection on the same data (demo flight:
    clutter, reflectors, turbulence), on a level reference and on a DEM's hills:
    difference energy at most -40 dB of the image's."""
    imgs = {}
    extra = [f"sar.dem={_hills(tmp_path / 'hills.npz')}"] if dem else []
    for alg in ("backprojection", "ffbp"):
        cfg = load_config(None, [f"sar.algorithm={alg}", "sar.polarisations=[HH]",
                                 "sar.grid.spacing_m=1.5", f"sar.azimuth_window={window}",
                                 *extra])
        s = process_sar(demo_dump, tmp_path / alg, cfg)
        with h5py.File(s["gslc"]) as f:
            imgs[alg] = f[f"{GSLC}/HH"][()]
    a, b = imgs["backprojection"], imgs["ffbp"]
    # the same no-data pixels (NaN, outside every pulse's beam) in both, finite elsewhere
    assert np.array_equal(np.isfinite(a), np.isfinite(b)) and np.isfinite(a).mean() > 0.5
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    err = np.sum(np.abs(a - b) ** 2) / np.sum(np.abs(a) ** 2)
    assert 10 * np.log10(err) <= -40


def test_a_dem_that_leaves_the_grid_uncovered_is_refused(demo_dump, tmp_path):
    """A DEM short of the grid, or with a void under it: a configuration error naming the
    DEM file and what it lacks, before any focusing."""
    full = np.load(_hills(tmp_path / "hills.npz"))
    part = dict(full)
    part["height"] = full["height"][40:60, 60:100]
    part["lat0_deg"] = full["lat0_deg"] + 40 * full["dlat_deg"]
    part["lon0_deg"] = full["lon0_deg"] + 60 * full["dlon_deg"]
    np.savez(tmp_path / "part.npz", **part)
    void = dict(full)
    void["height"] = full["height"].copy()
    void["height"][50, 90] = np.nan
    np.savez(tmp_path / "void.npz", **void)
    for name, words in (("part", "edge pixels have no height"), ("void", "voids")):
        cfg = load_config(None, ["sar.polarisations=[HH]", "sar.grid.spacing_m=3",
                                 f"sar.dem={tmp_path / name}.npz"])
        with pytest.raises(ConfigError, match=f"{name}.npz.*{words}"):
            process_sar(demo_dump, tmp_path / name, cfg)


@pytest.mark.parametrize("window", ["rect", "taylor:4:35"])
def test_trihedral_rcs_from_the_radar_equation(cal_dump, tmp_path, window):
    """The calibration scenario's isolated trihedrals: RCS from the image peak and the
    descriptor's radar constant within 0.2 dB of the truth (4 pi a^4 / (3 lambda^2))."""
    import json

    from sarproc.radiometry import point_rcs, radar_constant

    desc = json.loads((cal_dump / "flight.json").read_text())
    band, ant = desc["sar"]["bands"][0], desc["sar"]["antenna"]
    k = radar_constant(band["center_frequency_hz"], band["peak_power_w"],
                       band["calibration_constant_db"], ant["azimuth_beamwidth_deg"],
                       ant["elevation_beamwidth_deg"])
    for index in (4, 5):
        q, _, _, tgt, smat, apc = _focus(cal_dump, tmp_path / str(index), index, window)
        r = float(np.linalg.norm(tgt - apc))  # closest approach, near enough for both ways
        got = point_rcs(q.peak_amplitude, r, r, k)
        truth = 4 * np.pi * abs(smat[0, 0]) ** 2
        assert abs(10 * np.log10(got / truth)) <= 0.2
