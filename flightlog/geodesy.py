"""WGS84 geodesy: geodetic and ECEF coordinates, local NED frames, attitude matrices.

The array functions are Numba kernels (pure, parallel); :func:`geodetic_to_ecef` and
:func:`ecef_to_geodetic` check them against pyproj in the tests. ``pyproj_transformer``
gives pyproj's own transformers for map projections (UTM and friends).
"""

from __future__ import annotations

from functools import lru_cache

import numba as nb
import numpy as np
from pyproj import Transformer

from flightlog.constants import WGS84_A, WGS84_B, WGS84_E2, WGS84_EP2


@nb.njit(cache=True, nogil=True, parallel=True)
def geodetic_to_ecef_kernel(lat: np.ndarray, lon: np.ndarray, h: np.ndarray,
                            out: np.ndarray) -> None:
    """ECEF (m) of geodetic latitude, longitude (rad) and ellipsoidal height (m)."""
    for i in nb.prange(lat.size):
        s = np.sin(lat[i])
        c = np.cos(lat[i])
        n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * s * s)
        out[i, 0] = (n + h[i]) * c * np.cos(lon[i])
        out[i, 1] = (n + h[i]) * c * np.sin(lon[i])
        out[i, 2] = (n * (1.0 - WGS84_E2) + h[i]) * s


@nb.njit(cache=True, nogil=True)
def _ecef_to_geodetic_one(x: float, y: float, z: float) -> tuple[float, float, float]:
    lon = np.arctan2(y, x)
    p = np.hypot(x, y)
    # Bowring's initial value, then Newton-free fixed-point refinement (converges to
    # sub-micrometre in three steps for any aircraft or terrain height).
    beta = np.arctan2(z * WGS84_A, p * WGS84_B)
    lat = np.arctan2(z + WGS84_EP2 * WGS84_B * np.sin(beta) ** 3,
                     p - WGS84_E2 * WGS84_A * np.cos(beta) ** 3)
    h = 0.0
    for _ in range(4):
        s = np.sin(lat)
        n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * s * s)
        c = np.cos(lat)
        h = p / c - n if abs(c) > 1e-10 else abs(z) - WGS84_B
        lat = np.arctan2(z, p * (1.0 - WGS84_E2 * n / (n + h)))
    return lat, lon, h


@nb.njit(cache=True, nogil=True, parallel=True)
def ecef_to_geodetic_kernel(xyz: np.ndarray, out: np.ndarray) -> None:
    """Geodetic latitude, longitude (rad) and height (m) of ECEF points, into ``out``."""
    for i in nb.prange(xyz.shape[0]):
        lat, lon, h = _ecef_to_geodetic_one(xyz[i, 0], xyz[i, 1], xyz[i, 2])
        out[i, 0] = lat
        out[i, 1] = lon
        out[i, 2] = h


def geodetic_to_ecef(lat: np.ndarray, lon: np.ndarray, h: np.ndarray) -> np.ndarray:
    """ECEF coordinates (n, 3) of geodetic latitude and longitude (rad) and height (m)."""
    lat, lon, h = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (lat, lon, h)))
    out = np.empty((lat.size, 3))
    geodetic_to_ecef_kernel(lat.ravel(), lon.ravel(), h.ravel(), out)
    return out.reshape(lat.shape + (3,))


def ecef_to_geodetic(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Geodetic latitude, longitude (rad) and ellipsoidal height (m) of ECEF points."""
    xyz = np.asarray(xyz, dtype=np.float64)
    flat = np.ascontiguousarray(xyz.reshape(-1, 3))
    out = np.empty_like(flat)
    ecef_to_geodetic_kernel(flat, out)
    shape = xyz.shape[:-1]
    return out[:, 0].reshape(shape), out[:, 1].reshape(shape), out[:, 2].reshape(shape)


def ned_to_ecef_matrix(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) whose columns are north, east, down in ECEF."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    r = np.empty(lat.shape + (3, 3))
    r[..., 0, 0], r[..., 1, 0], r[..., 2, 0] = -sl * co, -sl * so, cl
    r[..., 0, 1], r[..., 1, 1], r[..., 2, 1] = -so, co, 0.0
    r[..., 0, 2], r[..., 1, 2], r[..., 2, 2] = -cl * co, -cl * so, -sl
    return r


def euler_to_matrix(roll: np.ndarray, pitch: np.ndarray, heading: np.ndarray) -> np.ndarray:
    """Body-to-NED rotation ``Rz(heading) Ry(pitch) Rx(roll)`` (ICD 6), shape (..., 3, 3)."""
    roll, pitch, heading = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (roll, pitch, heading)))
    cr, sr = np.cos(roll), np.sin(roll)
    cp, sp = np.cos(pitch), np.sin(pitch)
    ch, sh = np.cos(heading), np.sin(heading)
    r = np.empty(roll.shape + (3, 3))
    r[..., 0, 0] = ch * cp
    r[..., 0, 1] = ch * sp * sr - sh * cr
    r[..., 0, 2] = ch * sp * cr + sh * sr
    r[..., 1, 0] = sh * cp
    r[..., 1, 1] = sh * sp * sr + ch * cr
    r[..., 1, 2] = sh * sp * cr - ch * sr
    r[..., 2, 0] = -sp
    r[..., 2, 1] = cp * sr
    r[..., 2, 2] = cp * cr
    return r


@lru_cache(maxsize=32)
def pyproj_transformer(src: str | int, dst: str | int) -> Transformer:
    """A cached pyproj transformer (``always_xy``: longitude/easting first)."""
    return Transformer.from_crs(src, dst, always_xy=True)


def utm_epsg(lat_deg: float, lon_deg: float) -> int:
    """EPSG code of the WGS84 UTM zone holding a point."""
    zone = int((lon_deg + 180.0) // 6.0) % 60 + 1
    return (32600 if lat_deg >= 0 else 32700) + zone
