"""Export products for GIS: Cloud-Optimized GeoTIFF layers, GeoJSON and KML vectors.

``postflight export PRODUCT OUT`` (or :func:`export`) writes, for each product:

- ``*_GCOV.h5``: COGs ``<stem>_gamma0_<pol>.tif`` and ``<stem>_sigma0_<pol>.tif``
  (float32 decibels of the diagonal terms, HH, HV and VV; sigma0 = gamma0 times
  ``rtcGammaToSigmaFactor``), ``<stem>_pauli.tif`` (8-bit RGB of the gamma0 terms, the
  quicklooks' common stretch of :mod:`sarproc.composites`, alpha band 0 where no data),
  and the swath's
  ``boundingPolygon`` and the flight track as ``<stem>_swath`` / ``<stem>_track``;
- ``*_polsar.nc``: a COG of every layer (``sigma0_HH``, ..., ``entropy``, ``anisotropy``,
  ``alpha``, Freeman-Durden; float32 with NaN for no data);
- ``*_GSLC.h5``: the swath and the track;
- ``*_GHGSIF_L2.nc``: ``<stem>_footprints``, one polygon per sounding (its footprint
  corners) with the retrieved values and their uncertainties, the flags and the UTC time.

Vectors are written twice: GeoJSON (RFC 7946: WGS 84 longitude/latitude, exterior rings
anticlockwise, non-finite values as ``null``) and KML 2.2 (Google Earth, QGIS). A
directory exports every product in it. Each file is written under a temporary name and
renamed when complete; rasters are copied in blocks of rows (bounded memory) to a tiled
GeoTIFF and then to GDAL's COG driver (deflate, overviews).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

import h5py
import numpy as np

from flightlog.cfmeta import DB_NOTE
from flightlog.provenance import atomic_output

#: Rows of a raster read and written at a time.
BLOCK_ROWS = 1024
#: Most vertices of an exported flight track.
TRACK_MAX_POINTS = 4000
#: L2 variables carried by each footprint (those the file has).
FOOTPRINT_PROPERTIES = ("frame_counter", "pixel", "sif_757", "sif_757_uncertainty",
                        "sif_771", "sif_771_uncertainty", "xco2", "xco2_uncertainty",
                        "xch4", "xch4_uncertainty", "xch4_proxy", "cloud_flag",
                        "quality_flag")

_ROOT = "/science/LSAR"
_POLS = ("HH", "HV", "VV")


class ExportError(ValueError):
    """A product that cannot be exported (the message names it)."""


# --- rasters ----------------------------------------------------------------------------

def _write_cog(path: Path, shape: tuple[int, int], count: int, dtype: str, epsg: int,
               transform: tuple[float, ...], blocks: Iterable[tuple[slice, np.ndarray]],
               nodata: float | None, descriptions: Sequence[str],
               tags: dict[str, str]) -> Path:
    """A COG from row blocks ``(rows, array (count, rows, cols))``."""
    import rasterio
    from rasterio.shutil import copy as rio_copy
    from rasterio.transform import Affine
    from rasterio.windows import Window

    ny, nx = shape
    with atomic_output(path) as final_tmp:
        staging = final_tmp.with_name(final_tmp.name + ".tiled.tif")
        try:
            profile = {"driver": "GTiff", "width": nx, "height": ny, "count": count,
                       "dtype": dtype, "crs": f"EPSG:{epsg}",
                       "transform": Affine.from_gdal(*transform), "tiled": True,
                       "blockxsize": 512, "blockysize": 512, "compress": "deflate",
                       "BIGTIFF": "IF_SAFER"}
            if nodata is not None:
                profile["nodata"] = nodata
            with rasterio.open(staging, "w", **profile) as dst:
                for rows, arr in blocks:
                    dst.write(arr, window=Window(0, rows.start, nx, rows.stop - rows.start))
                for i, d in enumerate(descriptions, start=1):
                    dst.set_band_description(i, d)
                dst.update_tags(**tags)
            rio_copy(staging, final_tmp, driver="COG", compress="DEFLATE",
                     overview_resampling="nearest" if dtype == "uint8" else "average",
                     BIGTIFF="IF_SAFER")
        finally:
            if staging.exists():
                staging.unlink()
    return path


def _row_blocks(ny: int) -> Iterator[slice]:
    for r0 in range(0, ny, BLOCK_ROWS):
        yield slice(r0, min(ny, r0 + BLOCK_ROWS))


def _db(v: np.ndarray) -> np.ndarray:
    out = np.full(v.shape, np.nan, np.float32)
    ok = np.isfinite(v) & (v > 0)
    out[ok] = 10 * np.log10(v[ok])
    return out


def _grid(g: h5py.Group) -> tuple[int, tuple[float, ...], np.ndarray, np.ndarray]:
    from sarproc.products.nisar import geotransform

    x, y = g["xCoordinates"][()], g["yCoordinates"][()]
    return int(g["projection"][()]), tuple(geotransform(x, y)), x, y


def _gcov_rasters(path: Path, out: Path, layers: Sequence[str] | None) -> list[Path]:
    from sarproc.composites import Stretch, rgb8

    written = []
    stem = path.stem
    with h5py.File(path, "r") as f:
        g = f[f"{_ROOT}/GCOV/grids/frequencyA"]
        epsg, gt, x, y = _grid(g)
        shape = (y.size, x.size)
        tags = {"source_product": path.name, "units": "dB"}
        for kind in ("gamma0", "sigma0"):
            for pol in _POLS:
                name = f"{kind}_{pol}"
                if layers is not None and name not in layers:
                    continue
                term = g[pol + pol]
                factor = g["rtcGammaToSigmaFactor"]

                def blocks(term: h5py.Dataset = term, factor: h5py.Dataset = factor,
                           kind: str = kind) -> Iterator[tuple[slice, np.ndarray]]:
                    for rows in _row_blocks(shape[0]):
                        v = term[rows].astype(np.float64)
                        if kind == "sigma0":
                            v = v * factor[rows]
                        yield rows, _db(v)[None]

                written.append(_write_cog(
                    out / f"{stem}_{name}.tif", shape, 1, "float32", epsg, gt, blocks(),
                    float("nan"), [f"{name} (dB)"],
                    {**tags, "long_name": f"{name} backscatter coefficient in decibels"}))
        if layers is None or "pauli" in layers:
            stretch = Stretch()

            def pauli() -> Iterator[tuple[slice, np.ndarray]]:
                for rows in _row_blocks(shape[0]):
                    hh, vv, hv = (g[t][rows].astype(np.float64) for t in ("HHHH", "VVVV",
                                                                          "HVHV"))
                    x_ = np.real(g["HHVV"][rows]).astype(np.float64)
                    # Pauli powers |HH-VV|^2, |2 HV|^2, |HH+VV|^2 (amplitudes squared)
                    red = np.sqrt(np.maximum(hh + vv - 2 * x_, 0.0))
                    green = np.sqrt(np.maximum(4 * hv, 0.0))
                    blue = np.sqrt(np.maximum(hh + vv + 2 * x_, 0.0))
                    rgb, _ = rgb8(red, green, blue, stretch)
                    alpha = np.where(np.isfinite(hh), 255, 0).astype(np.uint8)
                    yield rows, np.concatenate([np.moveaxis(rgb, -1, 0), alpha[None]])

            written.append(_write_cog(
                out / f"{stem}_pauli.tif", shape, 4, "uint8", epsg, gt, pauli(), None,
                ["|HH-VV| even bounce", "2|HV| volume", "|HH+VV| odd bounce", "alpha"],
                {"source_product": path.name,
                 "stretch": stretch.caption(stretch.limits([np.zeros(1)] * 3))}))
    return written


def _polsar_rasters(path: Path, out: Path, layers: Sequence[str] | None) -> list[Path]:
    import netCDF4
    from pyproj import CRS

    from sarproc.products.nisar import geotransform
    from sarproc.products.polsar_netcdf import LAYERS

    written = []
    with netCDF4.Dataset(path) as nc:
        x, y = nc["x"][:].data, nc["y"][:].data
        crs = CRS.from_cf({k: nc["crs"].getncattr(k) for k in nc["crs"].ncattrs()})
        epsg = crs.to_epsg()
        if epsg is None:
            raise ExportError(f"{path}: its grid mapping has no EPSG code")
        gt = tuple(geotransform(x, y))
        for lay in LAYERS:
            if (layers is not None and lay.name not in layers) or lay.flag_meanings:
                continue
            var = nc[lay.name]

            def blocks(var: Any = var) -> Iterator[tuple[slice, np.ndarray]]:
                for rows in _row_blocks(y.size):
                    yield rows, np.ma.filled(var[rows], np.nan).astype(np.float32)[None]

            units = "dB" if lay.comment == DB_NOTE else lay.units
            written.append(_write_cog(
                out / f"{path.stem}_{lay.name}.tif", (y.size, x.size), 1, "float32", epsg,
                gt, blocks(), float("nan"), [lay.long_name],
                {"source_product": path.name, "units": units, "long_name": lay.long_name}))
    return written


# --- vectors ----------------------------------------------------------------------------

def _clean(v: Any) -> Any:
    """A JSON value: NumPy scalars as Python, non-finite floats as None."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


class _VectorWriter:
    """GeoJSON and KML of the same features, written feature by feature."""

    def __init__(self, stem: Path, name: str, description: str) -> None:
        self.paths = (stem.with_name(stem.name + ".geojson"),
                      stem.with_name(stem.name + ".kml"))
        self.name, self.description = name, description
        self._n = 0

    def __enter__(self) -> _VectorWriter:
        self._ctx = [atomic_output(p) for p in self.paths]
        tmp_json, tmp_kml = (c.__enter__() for c in self._ctx)
        self._json: IO[str] = open(tmp_json, "w")  # noqa: SIM115 - closed in __exit__
        self._kml: IO[str] = open(tmp_kml, "w")  # noqa: SIM115
        self._json.write('{"type": "FeatureCollection", "name": ' + json.dumps(self.name)
                         + ', "features": [\n')
        self._kml.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
                        f"<name>{escape(self.name)}</name>"
                        f"<description>{escape(self.description)}</description>\n")
        return self

    def feature(self, kind: str, lonlat: np.ndarray, props: dict[str, Any]) -> None:
        """One ``LineString`` or ``Polygon`` (closed ring, anticlockwise) feature."""
        coords = [[round(float(a), 8), round(float(b), 8)] for a, b in lonlat]
        geom = {"type": kind, "coordinates": [coords] if kind == "Polygon" else coords}
        props = {k: _clean(v) for k, v in props.items()}
        self._json.write((",\n" if self._n else "") + json.dumps(
            {"type": "Feature", "geometry": geom, "properties": props}, allow_nan=False))
        text = " ".join(f"{a},{b}" for a, b in coords)
        shape = (f"<LineString><tessellate>1</tessellate><coordinates>{text}</coordinates>"
                 "</LineString>" if kind == "LineString" else
                 "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
                 f"{text}</coordinates></LinearRing></outerBoundaryIs></Polygon>")
        data = "".join(f'<Data name="{escape(k)}"><value>{escape(str(v))}</value></Data>'
                       for k, v in props.items() if v is not None)
        label = escape(str(props.get("name", f"{self.name} {self._n}")))
        self._kml.write(f"<Placemark><name>{label}</name><ExtendedData>{data}"
                        f"</ExtendedData>{shape}</Placemark>\n")
        self._n += 1

    def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
        try:
            if et is None:
                self._json.write("\n]}\n")
                self._kml.write("</Document></kml>\n")
        finally:
            self._json.close()
            self._kml.close()
            for c in self._ctx:
                c.__exit__(et, ev, tb)


def _ring(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """A closed, anticlockwise (RFC 7946) ring of longitude/latitude vertices."""
    ring = np.c_[lon, lat]
    if not np.array_equal(ring[0], ring[-1]):
        ring = np.r_[ring, ring[:1]]
    xs, ys = (ring - ring[:-1].mean(axis=0)).T  # centred: no cancellation
    area2 = float(np.sum(xs[:-1] * ys[1:] - xs[1:] * ys[:-1]))
    return ring if area2 >= 0 else ring[::-1]


def _wkt_ring(wkt: str) -> np.ndarray | None:
    body = wkt.strip()
    if not body.upper().startswith("POLYGON") or "EMPTY" in body.upper():
        return None
    inner = body[body.index("((") + 2: body.rindex("))")]
    pts = np.array([[float(t) for t in p.split()[:2]] for p in inner.split(",")])
    return _ring(pts[:, 0], pts[:, 1])


def swath_ring(path: str | os.PathLike[str]) -> np.ndarray | None:
    """The GSLC's or GCOV's ``boundingPolygon`` as a closed (lon, lat) ring, or None."""
    with h5py.File(path, "r") as f:
        poly = f.get(f"{_ROOT}/identification/boundingPolygon")
        return None if poly is None else _wkt_ring(poly[()].decode())


def _swath_and_track(path: Path, product: str, out: Path) -> list[Path]:
    from flightlog.geodesy import ecef_to_geodetic

    written: list[Path] = []
    with h5py.File(path, "r") as f:
        ident = f[f"{_ROOT}/identification"]
        poly = ident["boundingPolygon"][()].decode()
        props = {k: ident[k][()].decode() for k in ("granuleId", "zeroDopplerStartTime",
                                                    "zeroDopplerEndTime", "lookDirection")}
        ring = _wkt_ring(poly)
        if ring is not None:
            with _VectorWriter(out / f"{path.stem}_swath", f"{path.stem} swath",
                               f"boundingPolygon of {path.name}") as w:
                w.feature("Polygon", ring, {"name": f"{props['granuleId']} swath",
                                            "product": product, **props})
            written += list(w.paths)
        orbit = f.get(f"{_ROOT}/{product}/metadata/orbit")
        if orbit is not None and "position" in orbit:
            pos = orbit["position"][()]
            t = orbit["time"][()]
            step = max(1, -(-pos.shape[0] // TRACK_MAX_POINTS))
            pos, t = pos[::step], t[::step]
            lat, lon, h = ecef_to_geodetic(pos)
            with _VectorWriter(out / f"{path.stem}_track", f"{path.stem} flight track",
                               f"antenna trajectory of {path.name}") as w:
                w.feature("LineString", np.c_[np.degrees(lon), np.degrees(lat)],
                          {"name": f"{props['granuleId']} track",
                           "time_units": orbit["time"].attrs["units"].decode()
                           if isinstance(orbit["time"].attrs.get("units"), bytes)
                           else str(orbit["time"].attrs.get("units", "")),
                           "first_time": float(t[0]), "last_time": float(t[-1]),
                           "mean_height_m": float(np.mean(h))})
            written += list(w.paths)
    return written


def _footprints(path: Path, out: Path) -> list[Path]:
    import netCDF4

    with netCDF4.Dataset(path) as nc:
        n = nc.dimensions["sounding"].size
        have = [k for k in FOOTPRINT_PROPERTIES if k in nc.variables]
        t = nc["time"]
        with _VectorWriter(out / f"{path.stem}_footprints", f"{path.stem} footprints",
                           f"spectrometer soundings of {path.name}") as w:
            for s0 in range(0, n, 4096):
                sl = slice(s0, min(n, s0 + 4096))
                lb = np.ma.filled(nc["latitude_bounds"][sl], np.nan)
                ob = np.ma.filled(nc["longitude_bounds"][sl], np.nan)
                when: Any = np.atleast_1d(np.asarray(netCDF4.num2date(
                    np.ma.filled(t[sl], np.nan), t.units, getattr(t, "calendar", "standard"),
                    only_use_cftime_datetimes=False), dtype=object))
                vals = {k: np.ma.filled(nc[k][sl].astype(np.float64), np.nan) for k in have}
                for i in range(lb.shape[0]):
                    if not (np.isfinite(lb[i]).all() and np.isfinite(ob[i]).all()):
                        continue
                    props: dict[str, Any] = {"name": f"sounding {s0 + i}",
                                             "time_utc": when[i].isoformat() + "Z"}
                    for k in have:
                        v = float(vals[k][i])
                        props[k] = (int(v) if k in ("frame_counter", "pixel", "cloud_flag",
                                                    "quality_flag") and math.isfinite(v)
                                    else v)
                    w.feature("Polygon", _ring(ob[i], lb[i]), props)
    return list(w.paths)


# --- entry ------------------------------------------------------------------------------

def product_kind(path: Path) -> str:
    """``gslc``, ``gcov``, ``polsar``, ``l2`` (or ``l1b``, which has nothing to export)."""
    name = path.name
    for suffix, kind in (("_GSLC.h5", "gslc"), ("_GCOV.h5", "gcov"), ("_polsar.nc", "polsar"),
                         ("_GHGSIF_L2.nc", "l2"), ("_GHGSIF_L1B.nc", "l1b")):
        if name.endswith(suffix):
            return kind
    raise ExportError(f"{path}: not a product of the toolkit (expected *_GSLC.h5, "
                      "*_GCOV.h5, *_polsar.nc or *_GHGSIF_L2.nc)")


def export(product: str | os.PathLike[str], out: str | os.PathLike[str],
           layers: Sequence[str] | None = None) -> list[Path]:
    """Export a product (or every product of a directory) for GIS (module doc).

    Parameters
    ----------
    product : path-like
        A GSLC, GCOV, polarimetric netCDF or spectrometer L2 file, or a directory.
    out : path-like
        Folder for the exports (created).
    layers : sequence of str, optional
        Only these raster layers (``gamma0_HH``, ``pauli``, ``entropy``, ...); default all.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ExportError
        If ``product`` is not a product of the toolkit (or a directory with none).
    FileNotFoundError
        If it does not exist.
    """
    src, dst = Path(product), Path(out)
    if not src.exists():
        raise FileNotFoundError(f"{src}: no such product or directory")
    dst.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        found = []
        for p in sorted(src.iterdir()):
            try:
                if product_kind(p) != "l1b":
                    found.append(p)
            except ExportError:
                continue
        if not found:
            raise ExportError(f"{src}: no product to export")
        return [w for p in found for w in export(p, dst, layers)]
    kind = product_kind(src)
    if kind == "gslc":
        return _swath_and_track(src, "GSLC", dst)
    if kind == "gcov":
        return _gcov_rasters(src, dst, layers) + _swath_and_track(src, "GCOV", dst)
    if kind == "polsar":
        return _polsar_rasters(src, dst, layers)
    if kind == "l2":
        return _footprints(src, dst)
    raise ExportError(f"{src}: the L1B radiances have no GIS export; export the L2")
