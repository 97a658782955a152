"""Footprint geolocation: lines of sight to the ellipsoid or a DEM, viewing and solar angles.

Kernels intersect rays (ECEF origin and unit direction) with the surface at a given
ellipsoidal height, or with a DEM grid of ellipsoidal heights, in parallel. The sun's
position comes from astropy (offline IERS data), once per instant; the per-footprint
angles follow from vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from flightlog.constants import WGS84_A, WGS84_B
from flightlog.geodesy import _ecef_to_geodetic_one, euler_to_matrix


@nb.njit(cache=True, nogil=True)
def _ray_height(ox: float, oy: float, oz: float, dx: float, dy: float, dz: float,
                s: float) -> tuple[float, float, float, float]:
    lat, lon, h = _ecef_to_geodetic_one(ox + s * dx, oy + s * dy, oz + s * dz)
    upx = np.cos(lat) * np.cos(lon)
    upy = np.cos(lat) * np.sin(lon)
    upz = np.sin(lat)
    return lat, lon, h, -(dx * upx + dy * upy + dz * upz)


@nb.njit(cache=True, nogil=True)
def _first_hit(ox: float, oy: float, oz: float, dx: float, dy: float, dz: float,
               height: float) -> float:
    """Range along the ray to the surface of ellipsoidal height ``height``, or NaN."""
    ea = WGS84_A + height
    eb = WGS84_B + height
    qa = (dx * dx + dy * dy) / (ea * ea) + dz * dz / (eb * eb)
    qb = 2.0 * ((ox * dx + oy * dy) / (ea * ea) + oz * dz / (eb * eb))
    qc = (ox * ox + oy * oy) / (ea * ea) + oz * oz / (eb * eb) - 1.0
    disc = qb * qb - 4.0 * qa * qc
    if disc < 0.0:
        return np.nan
    s = (-qb - np.sqrt(disc)) / (2.0 * qa)
    if s < 0.0:
        return np.nan
    # The surface of constant geodetic height is not exactly that ellipsoid: refine.
    for _ in range(6):
        _, _, h, cosang = _ray_height(ox, oy, oz, dx, dy, dz, s)
        if cosang < 1e-6:
            return np.nan
        step = (h - height) / cosang
        s += step
        if abs(step) < 1e-7:
            break
    return s


@nb.njit(cache=True, nogil=True, parallel=True)
def intersect_height_kernel(origin: np.ndarray, direction: np.ndarray, height: np.ndarray,
                            out: np.ndarray) -> None:
    """ECEF points where rays meet the surface at ``height`` (per ray); NaN if they miss."""
    for i in nb.prange(origin.shape[0]):
        s = _first_hit(origin[i, 0], origin[i, 1], origin[i, 2], direction[i, 0],
                       direction[i, 1], direction[i, 2], height[i])
        for c in range(3):
            out[i, c] = origin[i, c] + s * direction[i, c]


@nb.njit(cache=True, nogil=True)
def _dem_height(lat: float, lon: float, lat0: float, dlat: float, lon0: float, dlon: float,
                grid: np.ndarray) -> float:
    fy = (lat - lat0) / dlat
    fx = (lon - lon0) / dlon
    ny, nx = grid.shape
    if not (0.0 <= fy <= ny - 1 and 0.0 <= fx <= nx - 1):
        return np.nan
    iy = min(int(fy), ny - 2)
    ix = min(int(fx), nx - 2)
    wy = fy - iy
    wx = fx - ix
    return ((1 - wy) * ((1 - wx) * grid[iy, ix] + wx * grid[iy, ix + 1])
            + wy * ((1 - wx) * grid[iy + 1, ix] + wx * grid[iy + 1, ix + 1]))


@nb.njit(cache=True, nogil=True, parallel=True)
def _dem_height_kernel(lat: np.ndarray, lon: np.ndarray, lat0: float, dlat: float,
                       lon0: float, dlon: float, grid: np.ndarray, out: np.ndarray) -> None:
    for i in nb.prange(lat.size):
        out[i] = _dem_height(lat[i], lon[i], lat0, dlat, lon0, dlon, grid)


@nb.njit(cache=True, nogil=True, parallel=True)
def intersect_dem_kernel(origin: np.ndarray, direction: np.ndarray, lat0: float, dlat: float,
                         lon0: float, dlon: float, grid: np.ndarray, hmin: float, hmax: float,
                         step_m: float, out: np.ndarray) -> None:
    """ECEF points where rays first meet a lat/lon grid of ellipsoidal heights.

    Parameters
    ----------
    origin, direction : ndarray, shape (n, 3)
        Ray origins (ECEF, m) and unit directions.
    lat0, dlat, lon0, dlon : float
        Latitude and longitude of the grid's first node and the node spacings (rad).
    grid : ndarray, shape (n_lat, n_lon)
        Ellipsoidal heights of the nodes (m), bilinearly interpolated between them.
    hmin, hmax : float
        Lowest and highest height in ``grid`` (m); the search runs between the
        ellipsoid shells 1 m outside them.
    step_m : float
        March step along the ray (m) before bisection; it must be shorter than the
        narrowest terrain feature a ray could cross and miss.
    out : ndarray, shape (n, 3)
        Filled with the ECEF hit points (m), NaN where a ray meets no terrain.
    """
    for i in nb.prange(origin.shape[0]):
        ox, oy, oz = origin[i, 0], origin[i, 1], origin[i, 2]
        dx, dy, dz = direction[i, 0], direction[i, 1], direction[i, 2]
        for c in range(3):
            out[i, c] = np.nan
        s_top = _first_hit(ox, oy, oz, dx, dy, dz, hmax + 1.0)
        s_bot = _first_hit(ox, oy, oz, dx, dy, dz, hmin - 1.0)
        if np.isnan(s_top):
            s_top = 0.0
        if np.isnan(s_bot):
            continue
        lo = s_top
        lat, lon, h, _ = _ray_height(ox, oy, oz, dx, dy, dz, lo)
        f_lo = h - _dem_height(lat, lon, lat0, dlat, lon0, dlon, grid)
        hit = False
        s = lo
        while s < s_bot + step_m:
            s = min(s + step_m, s_bot)
            lat, lon, h, _ = _ray_height(ox, oy, oz, dx, dy, dz, s)
            f = h - _dem_height(lat, lon, lat0, dlat, lon0, dlon, grid)
            if f <= 0.0 and not np.isnan(f_lo) and f_lo > 0.0:
                hit = True
                break
            lo, f_lo = s, f
            if s >= s_bot:
                break
        if not hit:
            continue
        hi = s
        for _ in range(60):  # bisection to well below a millimetre
            mid = 0.5 * (lo + hi)
            lat, lon, h, _ = _ray_height(ox, oy, oz, dx, dy, dz, mid)
            if h - _dem_height(lat, lon, lat0, dlat, lon0, dlon, grid) > 0.0:
                lo = mid
            else:
                hi = mid
            if hi - lo < 1e-5:
                break
        s = 0.5 * (lo + hi)
        out[i, 0] = ox + s * dx
        out[i, 1] = oy + s * dy
        out[i, 2] = oz + s * dz


@dataclass
class Dem:
    """A regular latitude/longitude grid of ellipsoidal heights.

    Attributes
    ----------
    lat0_deg, lon0_deg : float
        Latitude and longitude of ``height[0, 0]``.
    dlat_deg, dlon_deg : float
        Grid spacing (positive).
    height : numpy.ndarray
        (n_lat, n_lon) heights above the WGS84 ellipsoid, metres.
    """

    lat0_deg: float
    lon0_deg: float
    dlat_deg: float
    dlon_deg: float
    height: np.ndarray

    def height_at(self, lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
        """Bilinearly interpolated heights; NaN outside the grid.

        The same interpolation as the ray intersection (one kernel for both).
        """
        lat = np.asarray(lat_deg, np.float64)
        lon = np.broadcast_to(np.asarray(lon_deg, np.float64), lat.shape)
        out = np.empty(lat.shape)
        _dem_height_kernel(np.ascontiguousarray(lat).ravel(), np.ascontiguousarray(lon).ravel(),
                           self.lat0_deg, self.dlat_deg, self.lon0_deg, self.dlon_deg,
                           np.ascontiguousarray(self.height, np.float64), out.reshape(-1))
        return out


def intersect(origin: np.ndarray, direction: np.ndarray, height: float | np.ndarray = 0.0,
              dem: Dem | None = None) -> np.ndarray:
    """Where rays meet the ground: the surface at ``height``, or the DEM when given.

    Parameters
    ----------
    origin : numpy.ndarray
        (n, 3) ECEF ray origins, metres.
    direction : numpy.ndarray
        (n, 3) ECEF directions (normalised here).
    height : float or numpy.ndarray
        Ellipsoidal height of the surface, per ray or one for all (ignored with ``dem``).
    dem : Dem, optional
        Terrain to intersect instead.

    Returns
    -------
    numpy.ndarray
        (n, 3) ECEF points; NaN where a ray misses.
    """
    o = np.ascontiguousarray(np.atleast_2d(origin), dtype=np.float64)
    d = np.asarray(np.atleast_2d(direction), dtype=np.float64)
    d = np.ascontiguousarray(d / np.linalg.norm(d, axis=1, keepdims=True))
    out = np.empty_like(o)
    if dem is None:
        h = np.ascontiguousarray(np.broadcast_to(np.asarray(height, np.float64), (o.shape[0],)))
        intersect_height_kernel(o, d, h, out)
        return out
    grid = np.ascontiguousarray(dem.height, dtype=np.float64)
    cell_m = 6.3e6 * np.deg2rad(min(dem.dlat_deg, dem.dlon_deg))
    intersect_dem_kernel(o, d, np.deg2rad(dem.lat0_deg), np.deg2rad(dem.dlat_deg),
                         np.deg2rad(dem.lon0_deg), np.deg2rad(dem.dlon_deg), grid,
                         float(np.nanmin(grid)), float(np.nanmax(grid)),
                         max(0.25 * cell_m, 0.5), out)
    return out


def boresight_matrix(roll_deg: float, pitch_deg: float, yaw_deg: float) -> np.ndarray:
    """Instrument-to-body rotation of boresight angles (yaw, then pitch, then roll)."""
    return euler_to_matrix(np.deg2rad(roll_deg), np.deg2rad(pitch_deg), np.deg2rad(yaw_deg))


def pushbroom_directions(n_pixels: int, fov_deg: float) -> np.ndarray:
    """Body-frame unit lines of sight of a nadir pushbroom's across-track pixel centres.

    Pixel ``j`` looks ``(j + 0.5) / n * fov - fov / 2`` degrees from nadir, positive to
    the right (body +y); shape (n_pixels, 3).
    """
    return pushbroom_edges(n_pixels, fov_deg, 0.5)


def pushbroom_edges(n_pixels: int, fov_deg: float, offset: float) -> np.ndarray:
    """Body-frame unit lines of sight at ``offset`` of each pixel's width.

    ``offset`` 0 is the left edge, 0.5 the centre, 1 the right edge; otherwise as
    :func:`pushbroom_directions`.
    """
    ang = np.deg2rad((np.arange(n_pixels) + offset) / n_pixels * fov_deg - fov_deg / 2)
    return np.stack([np.zeros_like(ang), np.sin(ang), np.cos(ang)], axis=1)


def local_angles(points: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zenith and azimuth (deg, azimuth clockwise from north) of ``target`` seen from points.

    Both are ECEF arrays broadcastable to (..., 3); the local vertical is the ellipsoid
    normal at each point.
    """
    from flightlog.geodesy import ecef_to_geodetic

    lat, lon, _ = ecef_to_geodetic(points)
    v = np.asarray(target, dtype=np.float64) - points
    v = v / np.linalg.norm(v, axis=-1, keepdims=True)
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    up = cl * co * v[..., 0] + cl * so * v[..., 1] + sl * v[..., 2]
    north = -sl * co * v[..., 0] - sl * so * v[..., 1] + cl * v[..., 2]
    east = -so * v[..., 0] + co * v[..., 1]
    zen = np.rad2deg(np.arccos(np.clip(up, -1.0, 1.0)))
    az = np.rad2deg(np.arctan2(east, north)) % 360.0
    return zen, az


def sun_ecef(gps_time: np.ndarray) -> np.ndarray:
    """Geocentric ECEF (ITRS) position of the sun, metres, shape (n, 3)."""
    from astropy.coordinates import ITRS, get_body
    from astropy.time import Time

    from flightlog import timesys  # noqa: F401 - sets the offline IERS configuration

    t = Time(np.atleast_1d(np.asarray(gps_time, dtype=np.float64)), format="gps")
    sun = get_body("sun", t).transform_to(ITRS(obstime=t))
    return np.asarray(sun.cartesian.xyz.to_value("m")).T
