"""Geocoded map grids for focusing: a projected CRS (UTM by default), bounds and spacing.

Pixel ``(i, j)`` of a :class:`MapGrid` has its centre at ``x = xmin + (j + 0.5) dx`` and
``y = ymax - (i + 0.5) dy`` (north up, as GDAL and NISAR's GSLC lay rasters out); its
height is the reference height or the DEM's. :func:`swath_bounds` gives the default
bounds: the ground between the near and far edges of the echo window along the flown
track.
"""

from __future__ import annotations

from dataclasses import dataclass

import h5py
import numpy as np

from flightlog.constants import C_LIGHT_M_S
from flightlog.descriptor import FlightDescriptor
from flightlog.geodesy import (
    ecef_to_geodetic,
    geodetic_to_ecef,
    pyproj_transformer,
    utm_epsg,
)
from flightlog.geolocate import Dem
from sarproc.backprojection import reference_track
from sarproc.config import SarConfig
from sarproc.l0 import channels, read_channel


@dataclass(frozen=True)
class MapGrid:
    """A north-up raster in a projected CRS.

    Attributes
    ----------
    epsg : int
        EPSG code of the projected CRS (metres).
    xmin, ymax : float
        Outer corner (upper left) of the raster, metres.
    spacing : float
        Pixel size in x and y, metres.
    nx, ny : int
        Raster width and height.
    """

    epsg: int
    xmin: float
    ymax: float
    spacing: float
    nx: int
    ny: int

    @classmethod
    def from_bounds(cls, epsg: int, bounds: tuple[float, float, float, float],
                    spacing: float) -> MapGrid:
        """The grid covering ``(xmin, ymin, xmax, ymax)`` with pixels of ``spacing`` m."""
        xmin, ymin, xmax, ymax = (float(b) for b in bounds)
        if not (xmax > xmin and ymax > ymin and spacing > 0):
            raise ValueError(f"empty grid: bounds {bounds}, spacing {spacing}")
        nx = int(np.ceil((xmax - xmin) / spacing - 1e-9))
        ny = int(np.ceil((ymax - ymin) / spacing - 1e-9))
        return cls(int(epsg), xmin, ymax, float(spacing), nx, ny)

    @property
    def x(self) -> np.ndarray:
        """Pixel-centre x coordinates (columns), metres."""
        return self.xmin + (np.arange(self.nx) + 0.5) * self.spacing

    @property
    def y(self) -> np.ndarray:
        """Pixel-centre y coordinates (rows, decreasing), metres."""
        return self.ymax - (np.arange(self.ny) + 0.5) * self.spacing

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Outer bounds ``(xmin, ymin, xmax, ymax)``."""
        return (self.xmin, self.ymax - self.ny * self.spacing,
                self.xmin + self.nx * self.spacing, self.ymax)

    def ecef(self, rows: slice, cols: slice, height_m: float = 0.0,
             dem: Dem | None = None) -> np.ndarray:
        """ECEF positions (n_rows, n_cols, 3) of a window of pixels on the ground."""
        xx, yy = np.meshgrid(self.x[cols], self.y[rows])
        lon, lat = pyproj_transformer(self.epsg, 4326).transform(xx, yy)
        h = (np.full(np.shape(lat), float(height_m)) if dem is None
             else dem.height_at(lat, lon))
        return geodetic_to_ecef(np.deg2rad(lat), np.deg2rad(lon), h)

    def dem_gaps(self, dem: Dem) -> str | None:
        """What of the grid ``dem`` leaves without a height, or ``None`` when it covers it.

        The DEM covers a latitude/longitude rectangle, so the grid's edge pixels bound
        what it must cover; its cells under the grid's latitude/longitude box must hold
        heights (no voids).
        """
        ny, nx = self.ny, self.nx
        rows = np.r_[np.zeros(nx, int), np.full(nx, ny - 1), np.arange(ny), np.arange(ny)]
        cols = np.r_[np.arange(nx), np.arange(nx), np.zeros(ny, int), np.full(ny, nx - 1)]
        lon, lat = pyproj_transformer(self.epsg, 4326).transform(self.x[cols], self.y[rows])
        lat, lon = np.asarray(lat), np.asarray(lon)
        n_lat, n_lon = dem.height.shape
        cover = (f"the DEM covers latitude {dem.lat0_deg:.5f} to "
                 f"{dem.lat0_deg + (n_lat - 1) * dem.dlat_deg:.5f} and longitude "
                 f"{dem.lon0_deg:.5f} to {dem.lon0_deg + (n_lon - 1) * dem.dlon_deg:.5f} deg,"
                 f" the grid latitude {lat.min():.5f} to {lat.max():.5f} and longitude "
                 f"{lon.min():.5f} to {lon.max():.5f} deg")
        outside = ~np.isfinite(dem.height_at(lat, lon))
        if outside.any():
            return (f"{int(outside.sum())} of the grid's {outside.size} edge pixels have no "
                    f"height: {cover}")
        i0 = max(int(np.floor((lat.min() - dem.lat0_deg) / dem.dlat_deg)), 0)
        i1 = min(int(np.ceil((lat.max() - dem.lat0_deg) / dem.dlat_deg)) + 1, n_lat)
        j0 = max(int(np.floor((lon.min() - dem.lon0_deg) / dem.dlon_deg)), 0)
        j1 = min(int(np.ceil((lon.max() - dem.lon0_deg) / dem.dlon_deg)) + 1, n_lon)
        voids = ~np.isfinite(dem.height[i0:i1, j0:j1])
        if voids.any():
            i, j = (int(v[0]) for v in np.nonzero(voids))
            return (f"{int(voids.sum())} DEM cells under the grid are voids (not finite), "
                    f"the first at row {i0 + i}, column {j0 + j}")
        return None

    def attrs(self) -> dict[str, object]:
        """JSON-ready description."""
        return {"epsg": self.epsg, "bounds": list(self.bounds), "spacing_m": self.spacing,
                "shape": [self.ny, self.nx]}


def swath_bounds(apc: np.ndarray, track: np.ndarray, look_side: str,
                 slant_near_m: float, slant_far_m: float, height_m: float,
                 epsg: int | None = None) -> tuple[int, tuple[float, float, float, float]]:
    """EPSG and bounds of the illuminated swath: near to far slant range along the track.

    The ground points at the near and far slant ranges, perpendicular to the track on the
    look side, at the first and last pulse, bound the swath.

    Parameters
    ----------
    apc, track : numpy.ndarray
        Phase centres (ECEF, n x 3) and reference-track directions.
    look_side : str
        ``left`` or ``right``.
    slant_near_m, slant_far_m : float
        Slant ranges of the swath's edges.
    height_m : float
        Ellipsoidal height of the ground.
    epsg : int, optional
        Projected CRS of the bounds; default the UTM zone of the swath's centre.
    """
    pts = []
    for k in (0, apc.shape[0] // 2, apc.shape[0] - 1):
        a, d = apc[k], track[k]
        lat, lon, h = (float(v) for v in ecef_to_geodetic(a))
        up = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        side = np.cross(d, up) if look_side == "right" else np.cross(up, d)
        depth = h - height_m
        for r in (slant_near_m, slant_far_m):
            g = np.sqrt(max(r * r - depth * depth, 0.0))
            p = a + g * side - depth * up
            pl, plo, _ = ecef_to_geodetic(p)
            pts.append((float(np.rad2deg(pl)), float(np.rad2deg(plo))))
    lat_c = float(np.mean([p[0] for p in pts]))
    lon_c = float(np.mean([p[1] for p in pts]))
    code = int(epsg) if epsg is not None else utm_epsg(lat_c, lon_c)
    tr = pyproj_transformer(4326, code)
    xs, ys = tr.transform([p[1] for p in pts], [p[0] for p in pts])
    return code, (float(np.min(xs)), float(np.min(ys)), float(np.max(xs)), float(np.max(ys)))


def track_heading_deg(position: np.ndarray, direction: np.ndarray, epsg: int) -> float:
    """Heading of ``direction`` at ``position`` (ECEF) in the projected CRS ``epsg``.

    Degrees clockwise from grid north: the azimuth cut direction of a map-grid image.
    """
    la, lo, _ = ecef_to_geodetic(np.stack([position, position + 100.0 * direction]))
    xs, ys = pyproj_transformer(4326, epsg).transform(np.rad2deg(lo), np.rad2deg(la))
    return float(np.degrees(np.arctan2(xs[1] - xs[0], ys[1] - ys[0])))


def default_grid(l0: h5py.File, desc: FlightDescriptor, cfg: SarConfig) -> MapGrid:
    """The configured grid, or the illuminated swath of the first channel."""
    sar = desc.require_sar()
    band, pol = channels(l0)[0]
    ch = read_channel(l0, band, pol)
    ok = ch.valid & ch.present
    apc = ch.position[ok]
    fs = sar.adc_sampling_rate_hz
    chirp = max(b.chirp_duration_s for b in sar.bands)
    c2 = C_LIGHT_M_S / 2
    near = c2 * (float(np.min(ch.window_start_ticks[ok])) / fs + chirp / 2)
    far = c2 * (float(np.max(ch.window_start_ticks[ok]) + ch.n_samples) / fs - chirp / 2)
    if cfg.grid.bounds is not None:
        epsg = cfg.grid.epsg
        if epsg is None:
            epsg, _ = swath_bounds(apc, reference_track(apc), sar.look_side, near, far,
                                   cfg.reference_height_m)
        return MapGrid.from_bounds(epsg, cfg.grid.bounds, cfg.grid.spacing_m)
    epsg, bounds = swath_bounds(apc, reference_track(apc), sar.look_side, near, far,
                                cfg.reference_height_m, cfg.grid.epsg)
    return MapGrid.from_bounds(epsg, bounds, cfg.grid.spacing_m)
