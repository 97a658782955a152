"""What the GSLC and GCOV writers share: NISAR L2 conventions for an airborne flight line.

The field names, types and units follow NISAR's L2 GSLC and GCOV product specifications
(version :data:`NISAR_SPEC_VERSION`, as isce3 keeps them in ``nisar_L2_GSLC.xml`` and
``nisar_L2_GCOV.xml``); ``docs/products.md`` is our product specification beside them:
every field written, with its type, units and meaning, and the fill convention of those
that have no airborne meaning (orbit, track and frame numbers).

- :func:`write_identification` writes ``identification/`` from :data:`IDENTIFICATION`;
- :func:`write_coordinates` and :func:`create_raster`: coordinates as HDF5 dimension
  scales attached to every raster, rasters chunked and compressed with ``_FillValue``;
- :func:`write_projection`: the EPSG code with the CF grid-mapping attributes;
- :func:`write_trajectory`: ``metadata/orbit`` and ``metadata/attitude`` from the
  navigation (the aircraft's trajectory in the orbit's layout);
- :func:`write_gdal_sidecar`: a GDAL PAM file (``<product>.aux.xml``) with the CRS and
  geotransform of every raster, which GDAL's HDF5 driver reads for
  ``HDF5:"<product>"://<raster>`` (it has no reader of CF grid mappings itself; GDAL's
  netCDF driver reads them from the file alone).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import h5py
import numpy as np
from pyproj import CRS

from flightlog.geodesy import ecef_to_geodetic, ned_to_ecef_matrix, pyproj_transformer
from flightlog.provenance import atomic_output
from flightlog.timesys import gps_to_utc

#: Version of NISAR's L2 product specification whose layout the products follow (isce3,
#: ``python/packages/nisar/products/XML/L2/nisar_L2_GSLC.xml``: "product specification
#: version is 1.1.2").
NISAR_SPEC_VERSION = "1.1.2"
#: Version of our product specification (``docs/products.md``).
PRODUCT_SPEC_VERSION = "1.0.0"
#: Mask codes (NISAR's ``mask`` fill value 255; layover/shadow coded as NISAR's
#: layover/shadow layers: 1 shadow, 2 layover, 3 both).
MASK_VALID, MASK_FILL = np.uint8(0), np.uint8(255)
MASK_MEANINGS = "valid shadow layover layover_and_shadow"
#: Raster chunks (rows, columns) and compression of every image layer.
CHUNKS = (512, 512)
COMPRESSION = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
#: Seconds between trajectory samples written to ``metadata/orbit`` (the navigation is
#: decimated to this; the focusing used every sample).
TRAJECTORY_STEP_S = 0.1


@dataclass(frozen=True)
class Field:
    """A field of ``identification/``."""

    name: str
    kind: str
    """``str``, ``str[]`` (list of strings), ``u8``, ``u16``, ``u32``."""
    description: str


#: ``identification/`` of both products, in NISAR's order, with NISAR's types.
IDENTIFICATION: tuple[Field, ...] = (
    Field("absoluteOrbitNumber", "u32", "Absolute orbit number (0: airborne, no orbit)"),
    Field("trackNumber", "u8", "Track number (0: airborne, no track)"),
    Field("frameNumber", "u16", "Frame number (0: airborne, no frame)"),
    Field("missionId", "str", "Mission identifier"),
    Field("processingCenter", "str", "Data processing center"),
    Field("productType", "str", "Product type"),
    Field("granuleId", "str", "Unique granule identification name"),
    Field("productVersion", "str", "Product version (the toolkit's version)"),
    Field("productSpecificationVersion", "str",
          "Product specification version which represents the schema of this product"),
    Field("lookDirection", "str", 'Look direction, either "Left" or "Right"'),
    Field("orbitPassDirection", "str", 'Flight direction, "Ascending" (heading within '
          '90 degrees of north) or "Descending"'),
    Field("zeroDopplerStartTime", "str", "Azimuth start time of the product (UTC)"),
    Field("zeroDopplerEndTime", "str", "Azimuth stop time of the product (UTC)"),
    Field("plannedDatatakeId", "str[]", "List of planned datatakes (the flight id)"),
    Field("plannedObservationId", "str[]", "List of planned observations (the flight id)"),
    Field("isUrgentObservation", "str", 'Flag indicating if observation is nominal '
          '("False") or urgent ("True")'),
    Field("listOfFrequencies", "str[]", "List of frequency layers available in the product"),
    Field("diagnosticModeFlag", "u8", "Indicates if the radar operation mode is a "
          "diagnostic mode (1-2) or DBFed science (0): 0, 1, or 2"),
    Field("productLevel", "str", "Product level (L2: geocoded)"),
    Field("isGeocoded", "str", 'Flag to indicate if the product data is in the radar '
          'geometry ("False") or in the map geometry ("True")'),
    Field("boundingPolygon", "str", "OGR compatible WKT representing the bounding polygon "
          "of the image (longitude, latitude in degrees and height above the WGS84 "
          "ellipsoid in meters, counterclockwise)"),
    Field("boundingBox", "str", "OGR compatible WKT representing the bounding box of the "
          "product (longitude, latitude, counterclockwise from the top left)"),
    Field("processingDateTime", "str", "Processing UTC date and time"),
    Field("radarBand", "str", 'Acquired frequency band, "L"'),
    Field("platformName", "str", "Name of the platform (the aircraft)"),
    Field("instrumentName", "str", "Name of the instrument"),
    Field("processingType", "str", "Nominal (or) Urgent (or) Custom (or) Undefined"),
    Field("isDithered", "str", '"True" if the pulse timing was varied (dithered) during '
          'acquisition, "False" otherwise'),
    Field("isMixedMode", "str", '"True" if this product is a composite of data collected '
          'in multiple radar modes, "False" otherwise'),
    Field("compositeReleaseId", "str", "Unique version identifier of the science data "
          "production system (the toolkit's version)"),
)


def iso_utc(gps_seconds: float) -> str:
    """``YYYY-mm-ddTHH:MM:SS.sssssssss`` (UTC) of GPS seconds, as NISAR writes times."""
    t = gps_to_utc(float(gps_seconds))
    t.precision = 9
    return str(t.isot)


def _string(group: h5py.Group, name: str, value: str | Sequence[str],
            description: str | None = None) -> h5py.Dataset:
    data = (np.bytes_(value) if isinstance(value, str)
            else np.asarray([np.bytes_(v) for v in value]))
    ds = group.create_dataset(name, data=data)
    if description:
        ds.attrs["description"] = np.bytes_(description)
    return ds


def scalar(group: h5py.Group, name: str, value: Any, units: str | None = None,
           description: str | None = None, dtype: Any = None) -> h5py.Dataset:
    """A scalar (or small array) dataset with ``units`` and ``description``.

    Strings are stored as fixed-length byte strings, as NISAR stores them.
    """
    if isinstance(value, str) or (isinstance(value, (list, tuple)) and value
                                  and isinstance(value[0], str)):
        ds = _string(group, name, value, description)
    else:
        ds = group.create_dataset(name, data=np.asarray(value, dtype=dtype))
        if description:
            ds.attrs["description"] = np.bytes_(description)
    if units is not None:
        ds.attrs["units"] = np.bytes_(units)
    return ds


_INT = {"u8": np.uint8, "u16": np.uint16, "u32": np.uint32}


def write_identification(group: h5py.Group, values: dict[str, Any]) -> None:
    """``identification/``: every field of :data:`IDENTIFICATION`, from ``values``.

    Raises
    ------
    KeyError
        If ``values`` lacks a field or has one the table does not know.
    """
    names = {f.name for f in IDENTIFICATION}
    missing, extra = names - set(values), set(values) - names
    if missing or extra:
        raise KeyError(f"identification: missing {sorted(missing)}, unknown {sorted(extra)}")
    for f in IDENTIFICATION:
        v = values[f.name]
        if f.kind in _INT:
            scalar(group, f.name, v, description=f.description, dtype=_INT[f.kind])
        else:
            _string(group, f.name, v if f.kind == "str" else list(v), f.description)


def write_projection(group: h5py.Group, epsg: int) -> h5py.Dataset:
    """``projection``: the EPSG code, with the CF grid-mapping attributes and the WKT."""
    crs = CRS.from_epsg(epsg)
    ds = group.create_dataset("projection", data=np.uint32(epsg))
    for k, v in crs.to_cf().items():
        ds.attrs[k] = v if not isinstance(v, (list, tuple)) else np.asarray(v)
    ds.attrs["epsg_code"] = np.uint32(epsg)
    ds.attrs["spatial_ref"] = crs.to_wkt()
    ds.attrs["description"] = np.bytes_("Product map grid projection: EPSG code, with "
                                        "additional projection information as attributes")
    utm = crs.utm_zone
    if utm:
        ds.attrs["utm_zone_number"] = int(utm[:-1])
    return ds


def write_coordinates(group: h5py.Group, x: np.ndarray, y: np.ndarray, dx: float,
                      dy: float) -> tuple[h5py.Dataset, h5py.Dataset]:
    """``xCoordinates``/``yCoordinates`` (dimension scales) and their spacings."""
    xs = group.create_dataset("xCoordinates", data=np.asarray(x, np.float64))
    ys = group.create_dataset("yCoordinates", data=np.asarray(y, np.float64))
    for ds, axis, what in ((xs, "x", "X"), (ys, "y", "Y")):
        ds.attrs["units"] = np.bytes_("meters")
        ds.attrs["standard_name"] = np.bytes_(f"projection_{axis}_coordinate")
        ds.attrs["long_name"] = np.bytes_(f"{axis} coordinate of projection")
        ds.attrs["description"] = np.bytes_(
            f"CF compliant dimension associated with the {what} coordinate "
            "(pixel centres)")
        ds.make_scale(f"{axis}Coordinates")
    scalar(group, "xCoordinateSpacing", float(dx), "meters",
           "Nominal spacing in meters between consecutive pixels")
    scalar(group, "yCoordinateSpacing", float(dy), "meters",
           "Nominal spacing in meters between consecutive lines")
    return xs, ys


def create_raster(group: h5py.Group, name: str, shape: tuple[int, int], dtype: Any,
                  fill: Any, units: str, description: str,
                  scales: tuple[h5py.Dataset, h5py.Dataset],
                  long_name: str | None = None) -> h5py.Dataset:
    """An image layer: chunked, compressed, ``_FillValue``, grid mapping, dimension scales."""
    ny, nx = shape
    ds = group.create_dataset(name, shape=shape, dtype=dtype,
                              chunks=(max(1, min(CHUNKS[0], ny)), max(1, min(CHUNKS[1], nx))),
                              fillvalue=fill, **COMPRESSION)
    if np.dtype(dtype).kind != "c":  # netCDF-C reads HDF5 complex as a compound type,
        # and a compound _FillValue attribute stops xarray's decoding: the fill value of
        # a complex raster is the dataset's HDF5 fill value (NaN) alone
        ds.attrs["_FillValue"] = np.asarray(fill, dtype=dtype)
    ds.attrs["units"] = np.bytes_(units)
    ds.attrs["description"] = np.bytes_(description)
    if long_name:
        ds.attrs["long_name"] = np.bytes_(long_name)
    ds.attrs["grid_mapping"] = np.bytes_("projection")
    xs, ys = scales
    ds.dims[0].attach_scale(ys)
    ds.dims[1].attach_scale(xs)
    return ds


def create_mask(group: h5py.Group, shape: tuple[int, int],
                scales: tuple[h5py.Dataset, h5py.Dataset]) -> h5py.Dataset:
    """``mask``: 0 valid, 1 shadow, 2 layover, 3 both, 255 no data (fill)."""
    ds = create_raster(group, "mask", shape, np.uint8, MASK_FILL, "1",
                       "Mask: 0 valid, 1 shadow, 2 layover, 3 layover and shadow (local, "
                       "from the DEM's slopes), 255 no data (no pulse reached the pixel)",
                       scales, long_name="valid-samples, layover and shadow mask")
    ds.attrs["valid_min"] = np.uint8(0)
    ds.attrs["valid_max"] = np.uint8(3)
    ds.attrs["flag_values"] = np.arange(4, dtype=np.uint8)
    ds.attrs["flag_meanings"] = np.bytes_(MASK_MEANINGS)
    return ds


def bounding_polygon(first: np.ndarray, last: np.ndarray, x: np.ndarray, y: np.ndarray,
                     epsg: int, height_m: float, max_points: int = 64) -> tuple[str, str]:
    """WKT polygon of the valid pixels and WKT bounding box, longitude/latitude/height.

    ``first``/``last`` are each row's first and last valid column (-1 where none): the
    polygon runs down the rows' first columns and back up their last ones (the swath's
    near and far edges), counterclockwise on the map, pixel edges included.
    """
    rows = np.flatnonzero(last >= 0)
    if rows.size == 0:
        return "POLYGON EMPTY", "POLYGON EMPTY"
    step = max(1, -(-rows.size // (max_points // 2)))
    pick = np.unique(np.r_[rows[::step], rows[-1]])
    dx = float(x[1] - x[0]) if x.size > 1 else 1.0
    dy = float(y[1] - y[0]) if y.size > 1 else -1.0
    left = np.c_[x[first[pick]] - dx / 2, y[pick]]
    right = np.c_[x[last[pick]] + dx / 2, y[pick]]
    left[0, 1] = right[0, 1] = y[pick[0]] - dy / 2
    left[-1, 1] = right[-1, 1] = y[pick[-1]] + dy / 2
    ring = np.r_[left, right[::-1]]  # down the west edge, up the east: counterclockwise
    ring = np.r_[ring, ring[:1]]
    t = pyproj_transformer(epsg, 4326)
    lon, lat = t.transform(ring[:, 0], ring[:, 1])
    poly = "POLYGON ((" + ", ".join(f"{a:.7f} {b:.7f} {height_m:.1f}"
                                     for a, b in zip(lon, lat, strict=True)) + "))"
    x0, x1 = x[first[rows].min()] - dx / 2, x[last[rows].max()] + dx / 2
    y0, y1 = y[rows[0]] - dy / 2, y[rows[-1]] + dy / 2
    bx, by = t.transform(np.array([x0, x0, x1, x1, x0]), np.array([y0, y1, y1, y0, y0]))
    box = "POLYGON ((" + ", ".join(f"{a:.7f} {b:.7f}" for a, b in zip(bx, by, strict=True)) + "))"
    return poly, box


def _euler_deg(quaternion: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Roll, pitch, heading (degrees) of body-to-ECEF quaternions (scalar last)."""
    x, y, z, w = quaternion.T
    r = np.empty((len(w), 3, 3))
    r[:, 0, 0] = 1 - 2 * (y * y + z * z)
    r[:, 0, 1] = 2 * (x * y - z * w)
    r[:, 0, 2] = 2 * (x * z + y * w)
    r[:, 1, 0] = 2 * (x * y + z * w)
    r[:, 1, 1] = 1 - 2 * (x * x + z * z)
    r[:, 1, 2] = 2 * (y * z - x * w)
    r[:, 2, 0] = 2 * (x * z - y * w)
    r[:, 2, 1] = 2 * (y * z + x * w)
    r[:, 2, 2] = 1 - 2 * (x * x + y * y)
    lat, lon, _ = ecef_to_geodetic(position)
    ned = np.swapaxes(ned_to_ecef_matrix(lat, lon), -1, -2) @ r  # body to NED
    roll = np.arctan2(ned[:, 2, 1], ned[:, 2, 2])
    pitch = -np.arcsin(np.clip(ned[:, 2, 0], -1, 1))
    heading = np.arctan2(ned[:, 1, 0], ned[:, 0, 0]) % (2 * np.pi)
    return np.degrees(np.c_[roll, pitch, heading])


def write_trajectory(metadata: h5py.Group, gps_time: np.ndarray, position: np.ndarray,
                     velocity: np.ndarray, quaternion: np.ndarray, t0: float, t1: float,
                     reference_gps: float, source: str) -> None:
    """``orbit/`` and ``attitude/``: the navigation from ``t0`` to ``t1`` (GPS seconds).

    Times are seconds since ``reference_gps`` (its UTC date in the ``units``), sampled
    every :data:`TRAJECTORY_STEP_S`; positions and velocities are ECEF; quaternions are
    body to ECEF, scalar first (NISAR's order); Euler angles roll, pitch, heading
    against local north-east-down.
    """
    keep = np.flatnonzero((gps_time >= t0 - 1.0) & (gps_time <= t1 + 1.0))
    if keep.size == 0:
        keep = np.arange(gps_time.size)
    dt = float(np.median(np.diff(gps_time))) if gps_time.size > 1 else TRAJECTORY_STEP_S
    keep = keep[:: max(1, int(round(TRAJECTORY_STEP_S / dt)))]
    units = f"seconds since {iso_utc(reference_gps)[:19]}"
    orbit = metadata.require_group("orbit")
    scalar(orbit, "time", gps_time[keep] - reference_gps, units,
           "Time vector record. This record contains the time corresponding to position "
           "and velocity records")
    scalar(orbit, "position", position[keep], "meters",
           "Position vector record. This record contains the platform position data with "
           "respect to WGS84 G1762 reference frame")
    scalar(orbit, "velocity", velocity[keep], "meters / second",
           "Velocity vector record. This record contains the platform velocity data with "
           "respect to WGS84 G1762 reference frame")
    scalar(orbit, "orbitType", "Custom", description=f"Airborne trajectory: {source}")
    scalar(orbit, "interpMethod", "Hermite", description="Orbit interpolation method, "
           "either Hermite or Legendre")
    att = metadata.require_group("attitude")
    scalar(att, "time", gps_time[keep] - reference_gps, units,
           "Time vector record. This record contains the time corresponding to attitude "
           "and quaternion records")
    q = quaternion[keep]
    scalar(att, "quaternions", np.c_[q[:, 3], q[:, :3]], "1",
           "Attitude quaternions (q0, q1, q2, q3), body to ECEF")
    scalar(att, "eulerAngles", _euler_deg(q, position[keep]), "degrees",
           "Attitude Euler angles (roll, pitch, heading) against local north-east-down")
    scalar(att, "attitudeType", "Custom", description=f"Airborne attitude: {source}")


def write_gdal_sidecar(path: str | os.PathLike[str], rasters: dict[str, tuple[int, Any]],
                       ) -> Path:
    """``<path>.aux.xml``: the CRS and geotransform of each raster, for GDAL's HDF5 driver.

    Parameters
    ----------
    path : path-like
        The product.
    rasters : dict
        HDF5 path of each raster -> (EPSG code, GDAL geotransform of six numbers).
    """
    side = Path(str(path) + ".aux.xml")
    parts = ["<PAMDataset>"]
    for name, (epsg, gt) in rasters.items():
        parts += [f"  <Subdataset name={quoteattr('/' + name)}>", "    <PAMDataset>",
                  f'      <SRS dataAxisToSRSAxisMapping="1,2">'
                  f"{escape(CRS.from_epsg(epsg).to_wkt())}</SRS>",
                  "      <GeoTransform>" + ", ".join(f"{v:.17g}" for v in gt)
                  + "</GeoTransform>", "    </PAMDataset>", "  </Subdataset>"]
    parts.append("</PAMDataset>\n")
    with atomic_output(side) as tmp:
        tmp.write_text("\n".join(parts))
    return side


def geotransform(x: np.ndarray, y: np.ndarray) -> tuple[float, ...]:
    """GDAL geotransform of pixel-centre coordinates (north up)."""
    dx = float(x[1] - x[0]) if x.size > 1 else 1.0
    dy = float(y[1] - y[0]) if y.size > 1 else -1.0
    return (float(x[0]) - dx / 2, dx, 0.0, float(y[0]) - dy / 2, 0.0, dy)


#: ``radarGrid`` fields: units and description (NISAR's).
RADAR_GRID: dict[str, tuple[str, str]] = {
    "zeroDopplerAzimuthTime": ("seconds since", "Zero doppler azimuth time in seconds"),
    "slantRange": ("meters", "Slant range in meters"),
    "incidenceAngle": ("degrees", "Incidence angle is defined as the angle between the "
                       "LOS vector and the normal to the ellipsoid at the target height"),
    "losUnitVectorX": ("1", "East component of unit vector of LOS from target to sensor"),
    "losUnitVectorY": ("1", "North component of unit vector of LOS from target to sensor"),
    "alongTrackUnitVectorX": ("1", "East component of unit vector in along-track "
                              "direction"),
    "alongTrackUnitVectorY": ("1", "North component of unit vector in along-track "
                              "direction"),
    "elevationAngle": ("degrees", "Elevation angle is defined as the angle between the "
                       "LOS vector and the normal to the ellipsoid at the sensor"),
    "groundTrackVelocity": ("meters / second", "Absolute ground track velocity"),
}


def write_radar_grid(metadata: h5py.Group, cube: dict[str, np.ndarray], epsg: int,
                     reference_gps: float) -> h5py.Group:
    """``radarGrid/``: the geometry cube of :func:`sarproc.terrain.radar_grid_cube`."""
    g = metadata.require_group("radarGrid")
    xs, ys = write_coordinates(g, cube["xCoordinates"], cube["yCoordinates"],
                               float(np.diff(cube["xCoordinates"][:2]).sum() or 0.0),
                               float(np.diff(cube["yCoordinates"][:2]).sum() or 0.0))
    hs = scalar(g, "heightAboveEllipsoid", cube["heightAboveEllipsoid"], "meters",
                "Height values above WGS84 Ellipsoid corresponding to the radar grid")
    hs.make_scale("heightAboveEllipsoid")
    write_projection(g, epsg)
    for name, (units, what) in RADAR_GRID.items():
        if units == "seconds since":
            units = f"seconds since {iso_utc(reference_gps)[:19]}"
        v = cube[name]
        ds = scalar(g, name, v.astype(np.float64 if name in ("zeroDopplerAzimuthTime",
                                                             "slantRange",
                                                             "groundTrackVelocity")
                                      else np.float32), units, what)
        ds.attrs["grid_mapping"] = np.bytes_("projection")
        if v.ndim == 3:
            ds.dims[0].attach_scale(hs)
        ds.dims[v.ndim - 2].attach_scale(ys)
        ds.dims[v.ndim - 1].attach_scale(xs)
    return g


def write_calibration_information(metadata: h5py.Group, frequency: str,
                                  polarisations: Sequence[str],
                                  calibration: dict[str, Any] | None, applied: bool,
                                  source: str = "") -> h5py.Group:
    """``calibrationInformation/``: the calibration a product applied, if any.

    ``calibration`` is a band's entry of a calibration file (absolute correction in dB,
    cross-talk ``d1..d4`` and imbalance ``f`` of :class:`sarproc.polcal.PolCal`).
    Cross-talk in NISAR's names: ``rxHorizontalCrosspol`` d1 (the H receiver's response
    to V), ``rxVerticalCrosspol`` d2, ``txHorizontalCrosspol`` d4 (V radiated with H),
    ``txVerticalCrosspol`` d3; ``scaleFactor`` multiplies the channel's amplitude.
    Where nothing was applied the cross-talk is 0 and the scale factors 1.
    """
    g = metadata.require_group("calibrationInformation")
    cal = calibration if applied and calibration else {}
    pc = cal.get("polcal") or {}
    d = [complex(a, b) for a, b in pc.get("crosstalk", [[0, 0]] * 4)]
    f = complex(*pc.get("imbalance", [1.0, 0.0]))
    absolute = 10 ** (-float(cal.get("absolute_db", 0.0)) / 20)
    ct = g.require_group("crosstalk")
    for name, value in (("rxHorizontalCrosspol", d[0]), ("rxVerticalCrosspol", d[1]),
                        ("txVerticalCrosspol", d[2]), ("txHorizontalCrosspol", d[3])):
        scalar(ct, name, np.complex64(value), "1", "Cross-talk removed from the channels "
               "(constant over the swath)")
    fg = g.require_group(frequency)
    scalar(fg, "commonDelay", 0.0, "meters", "Common delay correction (none applied)")
    scalar(fg, "faradayRotation", 0.0, "radians", "Faraday rotation correction (none: "
           "airborne, below the ionosphere)")
    for pol in polarisations:
        scale = absolute / (abs(f) if pol[0] == "V" else 1.0) / (abs(f) if pol[1] == "V"
                                                                 else 1.0)
        pg = fg.require_group(pol)
        scalar(pg, "scaleFactor", float(scale), "1", "Scale factor applied to the "
               "channel's amplitude (absolute calibration and channel imbalance)")
        scalar(pg, "differentialDelay", 0.0, "meters", "Differential delay correction "
               "(none applied)")
        phase = (np.angle(f) if pol[0] == "V" else 0.0) + (np.angle(f) if pol[1] == "V"
                                                             else 0.0)
        scalar(pg, "differentialPhase", float(-phase), "radians", "Differential phase "
               "correction applied (channel imbalance)")
    scalar(g, "calibrationFile", source or "none",
           description="Calibration file applied" if applied else
           "No calibration applied to this product")
    return g
