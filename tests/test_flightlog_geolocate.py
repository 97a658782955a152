import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from naive import ray_ground_bisect
from pyproj import Transformer

from flightlog.geodesy import ecef_to_geodetic, geodetic_to_ecef
from flightlog.geolocate import Dem, intersect, local_angles, sun_ecef
from flightlog.timesys import utc_to_gps

TO_ECEF = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)


@given(st.floats(-89.9, 89.9), st.floats(-180, 180), st.floats(-500, 20000))
def test_geodesy_kernels_match_pyproj(lat, lon, h):
    xyz = geodetic_to_ecef(np.deg2rad([lat]), np.deg2rad([lon]), np.array([h]))
    assert np.allclose(xyz[0], TO_ECEF.transform(lon, lat, h), atol=1e-6)
    la, lo, hh = ecef_to_geodetic(xyz)
    assert np.rad2deg(la[0]) == pytest.approx(lat, abs=1e-10)
    assert hh[0] == pytest.approx(h, abs=1e-6)


def _rays(n, seed, lat0=35.0, lon0=139.0, alt=9000.0, max_off=40.0):
    rng = np.random.default_rng(seed)
    lat = lat0 + rng.uniform(-1, 1, n)
    lon = lon0 + rng.uniform(-1, 1, n)
    origin = geodetic_to_ecef(np.deg2rad(lat), np.deg2rad(lon), np.full(n, alt))
    down = -origin / np.linalg.norm(origin, axis=1, keepdims=True)
    tilt = rng.normal(0, 1, (n, 3))
    tilt -= np.sum(tilt * down, axis=1, keepdims=True) * down
    tilt /= np.linalg.norm(tilt, axis=1, keepdims=True)
    ang = np.deg2rad(rng.uniform(0, max_off, n))[:, None]
    return origin, np.cos(ang) * down + np.sin(ang) * tilt


@pytest.mark.parametrize("height", [0.0, 850.0, -30.0])
def test_ellipsoid_intersection_against_slow_reference(height):
    origin, d = _rays(20, 1)
    got = intersect(origin, d, height)
    for i in range(origin.shape[0]):
        ref = ray_ground_bisect(origin[i], d[i], height)
        assert np.linalg.norm(got[i] - ref) < 0.01
    assert np.allclose(ecef_to_geodetic(got)[2], height, atol=1e-6)


def test_dem_intersection_against_slow_reference():
    lat = np.arange(34.5, 35.5, 0.01)
    lon = np.arange(138.5, 139.5, 0.01)
    hills = 600 + 400 * np.sin(np.deg2rad(lat)[:, None] * 900) * np.cos(
        np.deg2rad(lon)[None, :] * 700)
    dem = Dem(34.5, 138.5, 0.01, 0.01, hills)

    def dem_height(la, lo):
        fy, fx = (la - 34.5) / 0.01, (lo - 138.5) / 0.01
        iy, ix = int(fy), int(fx)
        wy, wx = fy - iy, fx - ix
        g = hills
        return ((1 - wy) * ((1 - wx) * g[iy, ix] + wx * g[iy, ix + 1])
                + wy * ((1 - wx) * g[iy + 1, ix] + wx * g[iy + 1, ix + 1]))

    origin, d = _rays(10, 2, max_off=30.0)
    la, lo, _ = ecef_to_geodetic(origin)
    inside = (np.rad2deg(la) > 34.7) & (np.rad2deg(la) < 35.3) & (np.rad2deg(lo) > 138.7) & (
        np.rad2deg(lo) < 139.3)
    got = intersect(origin[inside], d[inside], dem=dem)
    for k, i in enumerate(np.flatnonzero(inside)):
        ref = ray_ground_bisect(origin[i], d[i], 0.0, dem_height)
        assert np.linalg.norm(got[k] - ref) < 0.01


def test_solar_angles_against_astropy():
    from astropy import units as u
    from astropy.coordinates import AltAz, EarthLocation, get_body
    from astropy.time import Time

    when = "2025-08-29T02:30:00"
    gps = float(utc_to_gps(when))
    rng = np.random.default_rng(4)
    lat = rng.uniform(-60, 60, 6)
    lon = rng.uniform(-180, 180, 6)
    h = rng.uniform(0, 2000, 6)
    pts = geodetic_to_ecef(np.deg2rad(lat), np.deg2rad(lon), h)
    zen, az = local_angles(pts, sun_ecef(gps)[0])
    t = Time(gps, format="gps")
    for i in range(6):
        loc = EarthLocation.from_geodetic(lon[i] * u.deg, lat[i] * u.deg, h[i] * u.m)
        aa = get_body("sun", t, location=loc).transform_to(AltAz(obstime=t, location=loc))
        assert zen[i] == pytest.approx(90.0 - aa.alt.deg, abs=0.01)
        assert ((az[i] - aa.az.deg + 180) % 360 - 180) == pytest.approx(0.0, abs=0.01)


def test_missing_rays_are_nan():
    origin, d = _rays(3, 5)
    got = intersect(origin, -d, 0.0)  # looking up
    assert np.isnan(got).all()


def test_a_dem_file_without_a_key_is_refused_naming_it(tmp_path):
    from flightlog.dem import DemError, load_dem

    np.savez(tmp_path / "dem.npz", lat0_deg=35.0, lon0_deg=139.0, dlat_deg=1e-4,
             height=np.zeros((4, 4)))
    with pytest.raises(DemError, match=r"dem\.npz: no dlon_deg"):
        load_dem(tmp_path / "dem.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DemError, match=r"junk\.npz: not a DEM archive"):
        load_dem(tmp_path / "junk.npz")
