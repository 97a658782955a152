"""Imaging geometry of map pixels: slant range, incidence, local incidence, layover, shadow.

The geometry is that of the zero-Doppler line of sight from a straight reference track
(one phase centre and direction, the mid-line's), which is how the polarimetric products
normalise the backscatter. The surface normal comes from the cross product of the
surface's tangents along the grid's axes (the DEM's heights, else the reference height).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flightlog.geodesy import ecef_to_geodetic, geodetic_to_ecef, pyproj_transformer
from flightlog.geolocate import Dem

#: Mask codes of layover and shadow (NISAR's layover/shadow coding: 1 shadow, 2 layover,
#: 3 both; 0 neither).
SHADOW, LAYOVER = np.uint8(1), np.uint8(2)


@dataclass(frozen=True)
class PixelGeometry:
    """The geometry of a block of map pixels (rows, cols)."""

    slant_range_m: np.ndarray
    """Zero-Doppler range from the reference track."""
    sin_incidence: np.ndarray
    """Sine of the incidence on the ellipsoid (against the ellipsoid normal)."""
    sin_local_incidence: np.ndarray
    """Sine of the local incidence (against the surface normal)."""
    los: np.ndarray
    """Unit line of sight from the track to the pixel (ECEF, rows x cols x 3)."""
    normal: np.ndarray
    """Unit surface normal, upward (ECEF)."""
    up: np.ndarray
    """Unit ellipsoid normal (ECEF)."""


def pixel_geometry(x: np.ndarray, y: np.ndarray, epsg: int, height_m: float,
                   apc: np.ndarray, track: np.ndarray,
                   dem: Dem | None = None) -> PixelGeometry:
    """The geometry of the pixels ``x`` (columns) by ``y`` (rows) of a projected grid.

    Parameters
    ----------
    x, y : numpy.ndarray
        Pixel-centre coordinates (m) in ``epsg``.
    epsg : int
        The grid's projected CRS.
    height_m : float
        Height of the pixels above the ellipsoid where ``dem`` has none (or without it).
    apc : numpy.ndarray
        Reference phase centre (ECEF, m).
    track : numpy.ndarray
        Unit reference-track direction (ECEF).
    dem : Dem, optional
        Terrain heights of the pixels.
    """
    xx, yy = np.meshgrid(x, y)
    lon, lat = pyproj_transformer(epsg, 4326).transform(xx, yy)
    h = np.full(lat.shape, height_m)
    if dem is not None:
        hd = dem.height_at(lat, lon)
        h = np.where(np.isfinite(hd), hd, height_m)
    la, lo = np.deg2rad(lat), np.deg2rad(lon)
    p = geodetic_to_ecef(la, lo, h)
    d = p - apc
    along = d @ track
    perp = d - along[..., None] * track
    r = np.linalg.norm(perp, axis=-1)
    los = perp / r[..., None]
    up = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)
    cos_inc = np.abs(np.sum(los * up, axis=-1))
    normal = up
    if p.shape[0] >= 2 and p.shape[1] >= 2:
        n = np.cross(np.gradient(p, axis=1), np.gradient(p, axis=0))
        n /= np.linalg.norm(n, axis=-1, keepdims=True)
        normal = n * np.sign(np.sum(n * up, axis=-1))[..., None]
    cos_loc = np.abs(np.sum(los * normal, axis=-1))
    return PixelGeometry(r, np.sqrt(np.clip(1 - cos_inc**2, 1e-6, 1.0)),
                         np.sqrt(np.clip(1 - cos_loc**2, 1e-6, 1.0)), los, normal, up)


def layover_shadow(g: PixelGeometry) -> np.ndarray:
    """Local layover and shadow codes (uint8: 0, :data:`SHADOW`, :data:`LAYOVER`, both).

    Shadow: the surface faces away from the radar (the line of sight meets the back of
    the surface, ``los . n >= 0``). Layover: the surface rises towards the radar faster
    than the line of sight descends, so that the range decreases going away from the
    track along the surface (``los . t < 0`` for ``t`` the surface tangent whose
    horizontal part points away from the track). Both are local, from each pixel's
    slopes; shadow cast by distant terrain is not found.
    """
    los, n, up = g.los, g.normal, g.up
    shadow = np.sum(los * n, axis=-1) >= 0
    horiz = los - np.sum(los * up, axis=-1)[..., None] * up
    horiz /= np.maximum(np.linalg.norm(horiz, axis=-1, keepdims=True), 1e-12)
    t = horiz - (np.sum(horiz * n, axis=-1) / np.sum(up * n, axis=-1))[..., None] * up
    layover = np.sum(los * t, axis=-1) < 0
    return np.where(shadow, SHADOW, 0).astype(np.uint8) | np.where(layover, LAYOVER,
                                                                   0).astype(np.uint8)


#: Heights (m above the ellipsoid) of the radar-grid cube's layers.
CUBE_HEIGHTS_M = (-500.0, 0.0, 500.0, 1000.0, 2000.0, 3000.0, 4000.0)
#: Most points of the radar-grid cube along x or y.
CUBE_MAX_SIDE = 41


def radar_grid_cube(x: np.ndarray, y: np.ndarray, epsg: int, gps_time: np.ndarray,
                    apc: np.ndarray, velocity: np.ndarray, reference_gps: float,
                    reference_height_m: float = 0.0,
                    heights_m: tuple[float, ...] = CUBE_HEIGHTS_M) -> dict[str, np.ndarray]:
    """NISAR's ``radarGrid`` geometry cube over a map grid, from the antenna's track.

    The cube samples the grid every d-th pixel (at most :data:`CUBE_MAX_SIDE` a side,
    edges included) at the heights ``heights_m``. For each point the zero-Doppler pulse
    is found along the track (the along-track coordinate of the phase centres, then one
    Newton step on ``(p - a(t)) . v(t) = 0``), and from it: the azimuth time (seconds
    since ``reference_gps``), the slant range, the line of sight from the target to the
    antenna in local east/north components, the incidence angle at the target, the
    elevation angle at the antenna (from its nadir), the along-track unit vector, and
    (at the height nearest ``reference_height_m``) the ground-track velocity.

    Parameters
    ----------
    x, y : numpy.ndarray
        The grid's pixel-centre coordinates (m, ``epsg``).
    epsg : int
        The grid's CRS.
    gps_time, apc, velocity : numpy.ndarray
        Times (s), antenna phase centres and velocities (ECEF, m and m/s) of the pulses.
    reference_gps : float
        Epoch of the azimuth times.
    reference_height_m : float
        Height of the ground-track velocity's layer.
    heights_m : tuple of float
        The cube's heights.
    """
    d = max(1, -(-max(x.size, y.size) // (CUBE_MAX_SIDE - 1)))
    xi = np.unique(np.r_[np.arange(0, x.size, d), x.size - 1])
    yi = np.unique(np.r_[np.arange(0, y.size, d), y.size - 1])
    xc, yc, hc = x[xi], y[yi], np.asarray(heights_m, np.float64)
    xx, yy = np.meshgrid(xc, yc)
    lon, lat = pyproj_transformer(epsg, 4326).transform(xx, yy)
    la, lo = np.deg2rad(lat), np.deg2rad(lon)
    p = geodetic_to_ecef(la[None], lo[None], np.broadcast_to(hc[:, None, None],
                                                            (hc.size,) + la.shape))
    t_hat = apc[-1] - apc[0]
    t_hat = t_hat / np.linalg.norm(t_hat)
    s_k = np.maximum.accumulate((apc - apc[0]) @ t_hat)
    s_p = (p - apc[0]) @ t_hat
    t = np.interp(s_p, s_k, gps_time)

    def state(tq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = np.stack([np.interp(tq, gps_time, apc[:, k]) for k in range(3)], axis=-1)
        v = np.stack([np.interp(tq, gps_time, velocity[:, k]) for k in range(3)], axis=-1)
        return a, v

    a, v = state(t)
    t = t + np.sum((p - a) * v, axis=-1) / np.sum(v * v, axis=-1)
    a, v = state(t)
    rng = np.linalg.norm(a - p, axis=-1)
    los = (a - p) / rng[..., None]
    east = np.stack([-np.sin(lo), np.cos(lo), np.zeros_like(lo)], axis=-1)[None]
    north = np.stack([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)],
                     axis=-1)[None]
    up = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)],
                  axis=-1)[None]
    ve, vn = np.sum(v * east, axis=-1), np.sum(v * north, axis=-1)
    vh = np.hypot(ve, vn)
    a_lat, a_lon, _ = ecef_to_geodetic(a)
    nadir = -np.stack([np.cos(a_lat) * np.cos(a_lon), np.cos(a_lat) * np.sin(a_lon),
                       np.sin(a_lat)], axis=-1)
    k = int(np.argmin(np.abs(hc - reference_height_m)))
    ground = vh[k] * np.linalg.norm(p[k], axis=-1) / np.linalg.norm(a[k], axis=-1)
    deg = np.degrees
    return {
        "xCoordinates": xc, "yCoordinates": yc, "heightAboveEllipsoid": hc,
        "zeroDopplerAzimuthTime": t - reference_gps, "slantRange": rng,
        "incidenceAngle": deg(np.arccos(np.clip(np.sum(los * up, axis=-1), -1, 1))),
        "losUnitVectorX": np.sum(los * east, axis=-1), "losUnitVectorY": np.sum(
            los * north, axis=-1),
        "alongTrackUnitVectorX": ve / vh, "alongTrackUnitVectorY": vn / vh,
        "elevationAngle": deg(np.arccos(np.clip(np.sum(-los * nadir, axis=-1), -1, 1))),
        "groundTrackVelocity": ground,
    }

