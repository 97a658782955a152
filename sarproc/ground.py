"""The ground under a tile for the fast path's polar grids.

A tile's ground is level (the pixels' own height on the osculating sphere of WGS84 below
a point, millimetres from the ellipsoid over a tile) or, on a DEM, the pixels' heights
above that sphere (:func:`tile_terrain`). :func:`surface_points` puts a polar grid's
points (range from a centre, direction cosine to an axis) on it.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from flightlog.constants import WGS84_A, WGS84_E2
from flightlog.geodesy import ecef_to_geodetic


@nb.njit(cache=True, nogil=True, inline="always")
def _on_sphere(centre: np.ndarray, axis: np.ndarray, side: np.ndarray, down: np.ndarray,
               kk: float, ka: float, c0: float, s0: float, hk: float, big_r: float, r: float,
               a: float) -> tuple[float, float, float]:
    """The point at range ``r``, direction cosine ``a`` on the sphere of radius ``big_r``.

    ``kk = |k|^2``, ``ka = k.axis`` and the angle ``(c0, s0)``, length ``hk`` of ``k``'s
    part across the axis, ``k`` being ``centre`` from the sphere's centre.
    |k + r v(beta)| = R  <=>  q (ks cos(beta) + kd sin(beta)) = Q, so beta = beta0 +
    arccos(Q / (q h)) with beta0 = atan2(kd, ks), h = hypot(ks, kd): its cosine and sine
    from the angle-sum formulas (no transcendental per point).
    """
    q = np.sqrt(max(1.0 - a * a, 0.0))
    qq = (big_r * big_r - kk - r * r) / (2.0 * r) - a * ka
    z = min(max(qq / max(q * hk, 1e-9), -1.0), 1.0)
    w = np.sqrt(1.0 - z * z)
    cb, sb = c0 * z - s0 * w, s0 * z + c0 * w
    return (centre[0] + r * (a * axis[0] + q * (cb * side[0] + sb * down[0])),
            centre[1] + r * (a * axis[1] + q * (cb * side[1] + sb * down[1])),
            centre[2] + r * (a * axis[2] + q * (cb * side[2] + sb * down[2])))


@nb.njit(cache=True, nogil=True, inline="always")
def _terrain_height(x: float, y: float, z: float, origin: np.ndarray, to_grid: np.ndarray,
                    heights: np.ndarray) -> float:
    """The height of ``heights`` (bilinear, held at the edges) below point ``(x, y, z)``."""
    ny, nx = heights.shape
    dx, dy, dz = x - origin[0], y - origin[1], z - origin[2]
    fr = to_grid[0, 0] * dx + to_grid[0, 1] * dy + to_grid[0, 2] * dz + to_grid[0, 3]
    fc = to_grid[1, 0] * dx + to_grid[1, 1] * dy + to_grid[1, 2] * dz + to_grid[1, 3]
    fr = min(max(fr, 0.0), ny - 1.0)
    fc = min(max(fc, 0.0), nx - 1.0)
    r0 = min(int(fr), max(ny - 2, 0))
    c0 = min(int(fc), max(nx - 2, 0))
    tr, tc = fr - r0, fc - c0
    r1, c1 = min(r0 + 1, ny - 1), min(c0 + 1, nx - 1)
    return ((1.0 - tr) * ((1.0 - tc) * heights[r0, c0] + tc * heights[r0, c1])
            + tr * ((1.0 - tc) * heights[r1, c0] + tc * heights[r1, c1]))


@nb.njit(cache=True, nogil=True, parallel=True)
def _sphere_points(centre: np.ndarray, axis: np.ndarray, side: np.ndarray, down: np.ndarray,
                   k: np.ndarray, big_r: float, rho: np.ndarray, alpha: np.ndarray,
                   heights: np.ndarray, origin: np.ndarray, to_grid: np.ndarray,
                   out: np.ndarray) -> None:
    """Points at range ``rho`` and direction cosine ``alpha`` on the ground.

    The ground is the sphere of radius ``big_r`` (``k`` is ``centre`` from its centre)
    raised by ``heights``: an empty array for none, else a tile's heights (rows, cols)
    above the sphere, at grid position ``to_grid @ [x - origin, 1]`` (fractional row and
    column) of a point ``x``, bilinear between pixels and held at the edges. On terrain
    each point's height solves ``height(point(h)) = h``, a root that ``[min - 1, max + 1]``
    of the heights brackets: secant steps kept inside the bracket (bisection where one
    leaves it), to 0.1 mm, each column's points in order of range from the previous
    point's height. (The root is unique unless the terrain faces the antenna more steeply
    than the depression angle, where the ground lies over itself; then it is one of
    them.)
    """
    kk = k[0] * k[0] + k[1] * k[1] + k[2] * k[2]
    ka = k[0] * axis[0] + k[1] * axis[1] + k[2] * axis[2]
    ks = k[0] * side[0] + k[1] * side[1] + k[2] * side[2]
    kd = k[0] * down[0] + k[1] * down[1] + k[2] * down[2]
    hk = max(np.hypot(ks, kd), 1e-300)
    c0, s0 = ks / hk, kd / hk
    level = heights.size == 0
    h0 = 0.0 if level else np.mean(heights)
    h_lo = 0.0 if level else np.min(heights) - 1.0
    h_hi = 0.0 if level else np.max(heights) + 1.0
    for j in nb.prange(alpha.size):
        a = alpha[j]
        h_prev = h0
        for i in range(rho.size):
            r = rho[i]
            ha = h_prev
            x, y, z = _on_sphere(centre, axis, side, down, kk, ka, c0, s0, hk, big_r + ha, r, a)
            if not level:
                lo, hi = h_lo, h_hi  # f(lo) > 0 > f(hi)
                fa = _terrain_height(x, y, z, origin, to_grid, heights) - ha
                hb = min(max(ha + fa, lo), hi)
                for _ in range(40):
                    if abs(fa) < 1e-4:
                        break
                    if fa > 0.0:
                        lo = max(lo, ha)
                    else:
                        hi = min(hi, ha)
                    if not lo < hb < hi:
                        hb = 0.5 * (lo + hi)
                    x, y, z = _on_sphere(centre, axis, side, down, kk, ka, c0, s0, hk,
                                         big_r + hb, r, a)
                    fb = _terrain_height(x, y, z, origin, to_grid, heights) - hb
                    hc = hb - fb * (hb - ha) / (fb - fa) if fb != fa else 0.5 * (lo + hi)
                    ha, fa, hb = hb, fb, hc
                h_prev = ha
            out[i, j, 0], out[i, j, 1], out[i, j, 2] = x, y, z


def osculating_sphere(point: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The osculating sphere of WGS84 below ``point``: its centre, radius, ``point``'s height.

    The radius is the Gaussian radius of curvature at the point's latitude (millimetres
    from the ellipsoid over a tile).
    """
    la, lo, h_c = (float(v) for v in ecef_to_geodetic(point))
    gu = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    a_e, e2 = WGS84_A, WGS84_E2
    w = np.sqrt(1 - e2 * np.sin(la) ** 2)
    radius = float(np.sqrt((a_e * (1 - e2) / w**3) * (a_e / w)))
    return point - (radius + h_c) * gu, radius, h_c


@nb.njit(cache=True, nogil=True, parallel=True)
def _heights(pixels: np.ndarray, centre: np.ndarray, radius: float, out: np.ndarray) -> None:
    """Heights of ``pixels`` (rows, cols, 3) above the sphere about ``centre``."""
    for i in nb.prange(pixels.shape[0]):
        for j in range(pixels.shape[1]):
            dx = pixels[i, j, 0] - centre[0]
            dy = pixels[i, j, 1] - centre[1]
            dz = pixels[i, j, 2] - centre[2]
            out[i, j] = np.sqrt(dx * dx + dy * dy + dz * dz) - radius


class Terrain(NamedTuple):
    """A tile's ground for the polar grids: heights above a sphere, and the grid map."""

    sphere_centre: np.ndarray
    radius: float
    heights: np.ndarray  # (rows, cols) above the sphere, at the tile's pixels
    origin: np.ndarray  # ECEF, the tile's central pixel
    to_grid: np.ndarray  # (2, 4): fractional row and column of [x - origin, 1]


def tile_terrain(pixels: np.ndarray) -> Terrain | None:
    """The terrain of a tile of ECEF pixels (rows, cols, 3); ``None`` when it is level.

    Level: the pixels' heights above the osculating sphere at the central pixel (that
    is, about the ellipsoid) spread by under a millimetre. Else their heights above that
    sphere, and the affine map from a point's local horizontal position to its fractional
    pixel row and column, fitted to the pixels (exact for a map grid over a tile).
    """
    ny, nx = pixels.shape[:2]
    if ny < 2 or nx < 2:
        return None
    origin = np.asarray(pixels[ny // 2, nx // 2], np.float64)
    centre, radius, _ = osculating_sphere(origin)
    ry = np.unique(np.r_[0:ny:max(1, ny // 16), ny - 1])
    cx = np.unique(np.r_[0:nx:max(1, nx // 16), nx - 1])
    heights = np.empty((ny, nx))
    _heights(np.ascontiguousarray(pixels, np.float64), centre, radius, heights)
    if float(heights.max() - heights.min()) < 1e-3:
        return None
    up = (origin - centre) / np.linalg.norm(origin - centre)
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    north = np.cross(up, east)
    flat = pixels[ry][:, cx].reshape(-1, 3) - origin
    design = np.stack([np.einsum("ij,j->i", flat, east), np.einsum("ij,j->i", flat, north),
                       np.ones(flat.shape[0])], axis=1)
    rows, cols = np.meshgrid(ry, cx, indexing="ij")
    coef, *_ = np.linalg.lstsq(design, np.stack([rows.ravel(), cols.ravel()], axis=1)
                               .astype(np.float64), rcond=None)
    to_grid = np.zeros((2, 4))
    to_grid[:, :3] = coef[:2].T @ np.stack([east, north])
    to_grid[:, 3] = coef[2]
    return Terrain(centre, radius, np.ascontiguousarray(heights), origin, to_grid)


def surface_points(centre: np.ndarray, axis: np.ndarray, side: np.ndarray, rho: np.ndarray,
                   alpha: np.ndarray, height_m: float,
                   terrain: Terrain | None = None) -> np.ndarray:
    """Points on the ground: (n_rho, n_alpha, 3) ECEF.

    Parameters
    ----------
    centre : ndarray, shape (3,)
        Origin of the polar grid (ECEF, m).
    axis : ndarray, shape (3,)
        Unit axis the direction cosines are measured to.
    side : ndarray, shape (3,)
        Any vector towards the look side; it picks one of the two solutions.
    rho, alpha : ndarray
        Ranges from ``centre`` (m) and direction cosines to ``axis``.
    height_m : float
        Ellipsoidal height of the ground on the osculating sphere of the ellipsoid
        below ``centre`` (millimetres from the ellipsoid over a tile).
    terrain : Terrain, optional
        Terrain the tile's pixels lie on, used instead of ``height_m``.
    """
    sphere, radius, h_c = osculating_sphere(centre)
    gu = (centre - sphere) / (radius + h_c)  # the ellipsoid's normal below the centre
    up = gu - (gu @ axis) * axis
    up /= np.linalg.norm(up)
    side = side - (side @ axis) * axis - (side @ up) * up  # horizontal, across the axis
    side = side / np.linalg.norm(side)
    down = -up
    out = np.empty((rho.size, alpha.size, 3))
    rho = np.asarray(rho, np.float64)
    alpha = np.asarray(alpha, np.float64)
    if terrain is None:
        _sphere_points(centre, axis, side, down, centre - sphere, radius + height_m, rho,
                       alpha, np.zeros((0, 0)), centre, np.zeros((2, 4)), out)
    else:
        _sphere_points(centre, axis, side, down, centre - terrain.sphere_centre,
                       terrain.radius, rho, alpha, terrain.heights, terrain.origin,
                       terrain.to_grid, out)
    return out
