"""Align every SAR pulse and spectrometer frame with GPS time and the navigation.

:func:`align` reads a dump's streams, fits each instrument clock from its time-sync
packets, maps every packet time to GPS time, and interpolates the trajectory: per SAR band
and polarisation the antenna phase centre position and velocity per pulse; per
spectrometer band the footprint of each across-track pixel with viewing and solar angles.
:func:`write_aligned` writes the result to HDF5, atomically, with provenance.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from flightlog.clockfit import ClockModel, fit_clock
from flightlog.descriptor import FlightDescriptor, load_descriptor
from flightlog.errors import PisarL3Error
from flightlog.geodesy import ecef_to_geodetic, euler_to_matrix
from flightlog.geolocate import (
    Dem,
    boresight_matrix,
    intersect,
    local_angles,
    pushbroom_directions,
    pushbroom_edges,
    sun_ecef,
)
from flightlog.ingest import StreamReader, open_stream, stream_position
from flightlog.nmea import read_nmea
from flightlog.novatel import read_inspvaxa
from flightlog.packets import (
    APID_GHGSIF_FRAME,
    APID_GHGSIF_TIMESYNC,
    APID_SAR_ECHO,
    APID_SAR_TIMESYNC,
)
from flightlog.payloads import (
    POL_NAMES,
    decode_echo_headers,
    decode_frame_headers,
    decode_timesync,
)
from flightlog.provenance import atomic_output, describe_inputs, provenance
from flightlog.sbet import read_sbet
from flightlog.timesys import gps_from_week
from flightlog.trajectory import Trajectory

log = logging.getLogger(__name__)


class AlignmentError(PisarL3Error, ValueError):
    """The dump cannot be aligned (no navigation, no usable time sync)."""


@dataclass
class SarChannel:
    """Per-pulse timing and antenna phase centre of one band and polarisation."""

    band_id: int
    polarisation: str
    pulse_counter: np.ndarray
    instrument_time: np.ndarray
    gps_time: np.ndarray
    position: np.ndarray
    velocity: np.ndarray
    valid: np.ndarray
    window_start_ticks: np.ndarray
    rx_attenuation_db: np.ndarray
    quaternion: np.ndarray  # IMU body to ECEF at transmit, scalar last


@dataclass
class SpectrometerBand:
    """Per-frame timing and per-pixel footprints of one spectrometer band.

    ``gps_time`` is the start of integration; the footprint geometry is computed at the
    middle of the integration.
    """

    band_id: int
    name: str
    frame_counter: np.ndarray
    shutter: np.ndarray
    integration_time_s: np.ndarray
    instrument_time: np.ndarray
    gps_time: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray
    height: np.ndarray
    view_zenith: np.ndarray
    view_azimuth: np.ndarray
    solar_zenith: np.ndarray
    solar_azimuth: np.ndarray
    valid: np.ndarray
    #: (frames, pixels, 4) footprint corners: the pixel's left and right edges at the
    #: start and the end of integration (left-start, right-start, right-end, left-end)
    corner_latitude: np.ndarray | None = None
    corner_longitude: np.ndarray | None = None


@dataclass
class Alignment:
    """Everything :func:`align` found, keyed by band and polarisation."""

    flight_id: str
    sar: dict[tuple[int, str], SarChannel] = field(default_factory=dict)
    ghgsif: dict[str, SpectrometerBand] = field(default_factory=dict)
    clocks: dict[str, ClockModel] = field(default_factory=dict)
    trajectory: Trajectory | None = None
    stream_anomalies: dict[str, int] = field(default_factory=dict)
    inputs: list[Path] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    #: Instruments described in flight.json that cannot be aligned, with why (no data
    #: packet, no time sync): an anomaly of the flight; the other instruments go on.
    silent: dict[str, str] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        """JSON-ready summary: clock fits, navigation gaps, validity per channel."""
        return {
            "flight_id": self.flight_id,
            "clocks": {k: m.report() for k, m in self.clocks.items()},
            "navigation": self.trajectory.report() if self.trajectory is not None else None,
            "sar": {f"band{b}/{p}": {"pulses": int(c.valid.size),
                                     "invalid": int((~c.valid).sum())}
                    for (b, p), c in sorted(self.sar.items())},
            "ghgsif": {n: {"frames": int(s.valid.shape[0]),
                           "invalid_footprints": int((~s.valid).sum())}
                       for n, s in sorted(self.ghgsif.items())},
            "stream_anomalies": self.stream_anomalies,
            "silent_instruments": self.silent,
        }

    @property
    def has_anomalies(self) -> bool:
        """Whether anything was off in the alignment or the streams.

        Rejected clock pairs, navigation gaps or bad records, invalid pulses or footprints,
        or stream anomalies.
        """
        rep = self.report()
        nav = rep["navigation"] or {}
        return bool(
            any(m.rejected for m in self.clocks.values())
            or nav.get("gaps") or nav.get("bad_records")
            or any(v["invalid"] for v in rep["sar"].values())
            or any(v["invalid_footprints"] for v in rep["ghgsif"].values())
            or any(self.stream_anomalies.values()) or bool(self.silent))


#: Real-time navigation logs tried, in this order, where the SBET is missing or unusable:
#: a file pattern in the SBET's folder and the reader that makes it a trajectory (raising
#: ``ValueError`` when the file is unusable). A new format is one reader and one entry.
NAV_LOGS: list[tuple[str, Callable[[Path], Trajectory]]] = [
    ("*.asc", read_inspvaxa),
    ("*.nmea", read_nmea),
]


def load_trajectory(desc: FlightDescriptor, max_gap_s: float = 0.05) -> tuple[Trajectory, Path]:
    """The flight's trajectory and its file: the SBET, else the first usable log.

    The logs are tried in the order of :data:`NAV_LOGS`.
    """
    sbet = desc.resolve(desc.nav.sbet, "nav.sbet")
    why = "no SBET"
    if sbet.is_file():
        try:
            return read_sbet(sbet, desc.nav.gps_week, max_gap_s=max_gap_s), sbet
        except (ValueError, OSError) as exc:  # unusable SBET: fall back to the logs
            why = f"SBET unusable ({exc})"
            log.warning("%s: %s; trying the real-time navigation logs", sbet, why)
    nav_dir = sbet.parent
    rejected: list[str] = []
    for pattern, reader in NAV_LOGS:
        for p in sorted(nav_dir.glob(pattern)):
            try:
                return reader(p), p
            except ValueError as exc:  # this log is unusable: the next one may do
                rejected.append(f"{p.name}: {exc}")
                log.warning("%s: unusable (%s); trying the next navigation log", p, exc)
    logs = ("; rejected: " + "; ".join(rejected)) if rejected else ""
    tried = ", ".join(pattern for pattern, _ in NAV_LOGS)
    raise AlignmentError(f"{sbet}: {why} and no usable navigation log ({tried}) in "
                         f"{nav_dir}{logs}")


def _read(desc: FlightDescriptor, name: str, chunk_bytes: int) -> tuple[
        StreamReader, dict[str, list[np.ndarray]]]:
    reader = open_stream(desc, name, chunk_bytes=chunk_bytes)
    sync_apid = APID_SAR_TIMESYNC if name == "sar" else APID_GHGSIF_TIMESYNC
    data_apid = APID_SAR_ECHO if name == "sar" else APID_GHGSIF_FRAME
    decode = decode_echo_headers if name == "sar" else decode_frame_headers
    got: dict[str, list[np.ndarray]] = {k: [] for k in (
        "sync_x", "sync_gps", "sync_pos", "x", "pos", "hdr")}
    for block in reader:
        if sync_apid in block:
            t = block[sync_apid]
            ts = decode_timesync(t)
            got["sync_x"].append(t.time)
            got["sync_gps"].append(gps_from_week(ts["gps_week"], ts["gps_seconds_of_week"]))
            got["sync_pos"].append(stream_position(t.records))
        if data_apid in block:
            t = block[data_apid]
            got["x"].append(t.time)
            got["pos"].append(stream_position(t.records))
            got["hdr"].append(decode(t))
    return reader, got


def _cat(parts: list[np.ndarray], dtype: Any = np.float64) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def _read_and_fit(al: Alignment, desc: FlightDescriptor, name: str,
                  chunk_bytes: int) -> dict[str, list[np.ndarray]] | None:
    """Read a stream, note its inputs and anomalies, fit its clock; None without data."""
    reader, got = _read(desc, name, chunk_bytes)
    al.inputs += [s.path for s in reader.segments]
    al.stream_anomalies[name] = reader.summary.anomaly_count
    folder = reader.directory
    if not got["x"]:
        what = "echo" if name == "sar" else "detector frame"
        al.silent[name] = (f"{folder}: no intact {what} packet in {len(reader.segments)} "
                           f"segment file(s), {reader.summary.bytes} bytes")
        return None
    if not got["sync_x"]:
        al.silent[name] = f"{folder}: the {name} stream has no time-sync packet"
        return None
    al.clocks[name] = fit_clock(_cat(got["sync_x"]), _cat(got["sync_gps"]),
                                _cat(got["sync_pos"], np.int64))
    return got


def align(dump: str | os.PathLike[str], reference_height_m: float = 0.0, dem: Dem | None = None,
          chunk_bytes: int = 16 << 20, max_nav_gap_s: float = 0.05) -> Alignment:
    """Align every SAR pulse and spectrometer frame of a dump with GPS time and navigation.

    Parameters
    ----------
    dump : path-like
        The dump directory.
    reference_height_m : float
        Ellipsoidal height of the ground for footprints when no ``dem`` is given.
    dem : Dem, optional
        Terrain for footprints.
    chunk_bytes : int
        Read size of the stream readers.
    max_nav_gap_s : float
        Navigation gaps longer than this make the states inside them invalid.

    Returns
    -------
    Alignment
        Per band and polarisation (SAR) and per band (spectrometer), with clock fits and
        the navigation report.

    Raises
    ------
    AlignmentError
        If there is no navigation. A stream without data or time sync is not an error:
        :attr:`Alignment.silent` names it.
    flightlog.DescriptorError
        If ``flight.json`` is missing or invalid.
    """
    desc = load_descriptor(dump)
    traj, nav_file = load_trajectory(desc, max_nav_gap_s)
    al = Alignment(desc.flight_id, trajectory=traj,
                   config={"reference_height_m": reference_height_m,
                           "dem": None if dem is None else "given",
                           "max_nav_gap_s": max_nav_gap_s})
    al.inputs.append(desc.root / "flight.json")
    al.inputs.append(nav_file)
    r_imu_body = euler_to_matrix(*np.deg2rad(desc.nav.imu_to_body_deg))  # body <- IMU
    if desc.sar is not None and (got := _read_and_fit(al, desc, "sar", chunk_bytes)):
        lever = np.asarray(desc.sar.antenna.lever_arm_m)
        _align_sar(al, al.clocks["sar"], _cat(got["x"]), _cat(got["pos"], np.int64),
                   np.concatenate(got["hdr"]), traj, lever)
    if desc.ghgsif is not None and (got := _read_and_fit(al, desc, "ghgsif", chunk_bytes)):
        clock = al.clocks["ghgsif"]
        g = desc.ghgsif
        bs = boresight_matrix(g.boresight_deg.roll, g.boresight_deg.pitch,
                              g.boresight_deg.yaw)
        to_imu = r_imu_body.T @ bs  # instrument -> body -> IMU
        names = {b.id: b.name for b in g.bands}
        _align_ghgsif(al, clock, _cat(got["x"]), _cat(got["pos"], np.int64),
                      np.concatenate(got["hdr"]), traj, np.asarray(g.lever_arm_m), to_imu,
                      g.across_track_fov_deg, names, reference_height_m, dem)
    return al


def _phase_centre(traj: Trajectory, t: np.ndarray, lever: np.ndarray) -> tuple[
        np.ndarray, np.ndarray, np.ndarray]:
    st = traj.interpolate(t)
    return st.position + st.body_to_ecef(lever), st.valid, st.quaternion


def _align_sar(al: Alignment, clock: ClockModel, x: np.ndarray, pos: np.ndarray,
               hdr: np.ndarray, traj: Trajectory, lever: np.ndarray) -> None:
    gps, ok = clock.to_gps(x, pos)
    keys = np.stack([hdr["band_id"].astype(np.int64), hdr["tx_pol"], hdr["rx_pol"]], axis=1)
    for band, tx, rx in np.unique(keys, axis=0):
        sel = np.flatnonzero((keys == (band, tx, rx)).all(axis=1))
        sel = sel[np.argsort(gps[sel], kind="stable")]
        t = gps[sel]
        apc, nav_ok, quat = _phase_centre(traj, t, lever)
        h = 5e-4  # velocity of the phase centre by central difference of its track
        p1, ok1, _ = _phase_centre(traj, t + h, lever)
        p0, ok0, _ = _phase_centre(traj, t - h, lever)
        pol = POL_NAMES[int(tx)] + POL_NAMES[int(rx)]
        al.sar[(int(band), pol)] = SarChannel(
            int(band), pol, hdr["pulse_counter"][sel].astype(np.int64), x[sel], t, apc,
            (p1 - p0) / (2 * h), ok[sel] & nav_ok & ok1 & ok0,
            hdr["window_start_ticks"][sel].astype(np.int64),
            hdr["rx_attenuation_db"][sel].astype(np.float64), quat)


def _align_ghgsif(al: Alignment, clock: ClockModel, x: np.ndarray, pos: np.ndarray,
                  hdr: np.ndarray, traj: Trajectory, lever: np.ndarray, to_imu: np.ndarray,
                  fov_deg: float, names: dict[int, str], height_m: float,
                  dem: Dem | None) -> None:
    gps, ok = clock.to_gps(x, pos)
    for band in np.unique(hdr["band_id"]):
        sel = np.flatnonzero(hdr["band_id"] == band)
        sel = sel[np.argsort(gps[sel], kind="stable")]
        h = hdr[sel]
        n_pix = int(h["n_spatial"].max()) if sel.size else 0
        t = gps[sel]
        t_mid = t + 0.5 * h["integration_time_s"].astype(np.float64)
        st = traj.interpolate(t_mid)
        pupil = st.position + st.body_to_ecef(lever)
        los_imu = pushbroom_directions(n_pix, fov_deg) @ to_imu.T  # (n_pix, 3)
        n = t.size
        dirs = np.empty((n, n_pix, 3))
        for j in range(n_pix):
            dirs[:, j] = st.body_to_ecef(los_imu[j])
        origin = np.repeat(pupil[:, None, :], n_pix, axis=1)
        ground = intersect(origin.reshape(-1, 3), dirs.reshape(-1, 3), height_m,
                           dem).reshape(n, n_pix, 3)
        lat, lon, hgt = ecef_to_geodetic(ground)
        vz, va = local_angles(ground, origin)
        valid_t = ok[sel] & st.valid
        sun = np.full((n, 3), np.nan)
        if valid_t.any():
            sun[valid_t] = sun_ecef(t_mid[valid_t])
        sz, sa = local_angles(ground, sun[:, None, :])
        valid = valid_t[:, None] & np.isfinite(lat)
        name = names.get(int(band), f"band{int(band)}")
        clat, clon = _corners(traj, t, t + h["integration_time_s"].astype(np.float64), lever,
                              to_imu, n_pix, fov_deg, height_m, dem)
        al.ghgsif[name] = SpectrometerBand(
            int(band), name, h["frame_counter"].astype(np.int64), h["shutter"].astype(np.uint8),
            h["integration_time_s"].astype(np.float64), x[sel], t, np.rad2deg(lat),
            np.rad2deg(lon), hgt, vz, va, sz, sa, valid, clat, clon)


def _corners(traj: Trajectory, t0: np.ndarray, t1: np.ndarray, lever: np.ndarray,
             to_imu: np.ndarray, n_pix: int, fov_deg: float, height_m: float,
             dem: Dem | None) -> tuple[np.ndarray, np.ndarray]:
    """Footprint corners (degrees): pixel edges at the start and end of integration.

    The ICD gives the across-track field of view only; the along-track extent is the
    motion during the integration (a zero along-track instantaneous field of view). In a
    roll or a turn the edges at the end can cross those at the start; the corners are then
    put in anticlockwise order about their centre (CF 7.1 cell bounds), which draws the
    ground the pixel swept rather than a bow tie.
    """
    n = t0.size
    lat = np.full((n, n_pix, 4), np.nan)
    lon = np.full((n, n_pix, 4), np.nan)
    for c, (tt, edge) in enumerate(((t0, 0.0), (t0, 1.0), (t1, 1.0), (t1, 0.0))):
        st = traj.interpolate(tt)
        pupil = st.position + st.body_to_ecef(lever)
        los = pushbroom_edges(n_pix, fov_deg, edge) @ to_imu.T
        dirs = np.stack([st.body_to_ecef(los[j]) for j in range(n_pix)], axis=1)
        origin = np.repeat(pupil[:, None, :], n_pix, axis=1)
        g = intersect(origin.reshape(-1, 3), dirs.reshape(-1, 3), height_m,
                      dem).reshape(n, n_pix, 3)
        la, lo, _ = ecef_to_geodetic(g)
        ok = st.valid[:, None]
        lat[..., c] = np.where(ok, np.rad2deg(la), np.nan)
        lon[..., c] = np.where(ok, np.rad2deg(lo), np.nan)
    return _anticlockwise(lat, lon)


def _anticlockwise(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polygon vertices (last axis) sorted anticlockwise about their centre.

    Angles are taken in local east/north (longitude scaled by cos latitude), so the result
    is a simple polygon whatever order the vertices came in.
    """
    clat = lat.mean(axis=-1, keepdims=True)
    clon = lon.mean(axis=-1, keepdims=True)
    ang = np.arctan2(lat - clat, (lon - clon) * np.cos(np.deg2rad(clat)))
    order = np.argsort(np.where(np.isfinite(ang), ang, 0.0), axis=-1, kind="stable")
    return (np.take_along_axis(lat, order, axis=-1),
            np.take_along_axis(lon, order, axis=-1))


def write_aligned(al: Alignment, path: str | os.PathLike[str]) -> Path:
    """Write an :class:`Alignment` to HDF5 atomically, with provenance.

    Layout: ``/sar/band<ID>/<POL>/{gps_time, pulse_counter, instrument_time,
    position_ecef, velocity_ecef, valid, window_start_ticks, rx_attenuation_db}``,
    ``/ghgsif/<NAME>/{gps_time, frame_counter, shutter, integration_time_s, latitude,
    longitude, height, view_zenith, view_azimuth, solar_zenith, solar_azimuth, valid}``,
    root attributes with the provenance and ``report`` (JSON).
    """
    path = Path(path)
    root = al.inputs[0].parent.resolve() if al.inputs else None
    attrs = provenance(describe_inputs([p.resolve() for p in al.inputs], root), al.config)
    units = {"gps_time": "s since 1980-01-06T00:00:00 UTC (GPS, no leap seconds)",
             "instrument_time": "s (instrument clock)", "position_ecef": "m (WGS84 ECEF)",
             "velocity_ecef": "m/s (WGS84 ECEF)", "rx_attenuation_db": "dB",
             "integration_time_s": "s", "latitude": "degrees_north",
             "longitude": "degrees_east", "height": "m (above WGS84 ellipsoid)",
             "view_zenith": "degree", "view_azimuth": "degree (clockwise from north)",
             "solar_zenith": "degree", "solar_azimuth": "degree (clockwise from north)"}
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as f:
        for k, v in attrs.items():
            f.attrs[k] = v
        f.attrs["flight_id"] = al.flight_id
        f.attrs["report"] = json.dumps(al.report(), default=float)
        for (band, pol), c in sorted(al.sar.items()):
            g = f.create_group(f"sar/band{band}/{pol}")
            for name, arr in (("gps_time", c.gps_time), ("pulse_counter", c.pulse_counter),
                              ("quaternion_body_to_ecef", c.quaternion),
                              ("instrument_time", c.instrument_time),
                              ("position_ecef", c.position), ("velocity_ecef", c.velocity),
                              ("valid", c.valid), ("window_start_ticks", c.window_start_ticks),
                              ("rx_attenuation_db", c.rx_attenuation_db)):
                ds = g.create_dataset(name, data=arr, compression="gzip", shuffle=True)
                if name in units:
                    ds.attrs["units"] = units[name]
        for name_b, s in sorted(al.ghgsif.items()):
            g = f.create_group(f"ghgsif/{name_b}")
            g.attrs["band_id"] = s.band_id
            for name, arr in (("gps_time", s.gps_time), ("frame_counter", s.frame_counter),
                              ("shutter", s.shutter), ("integration_time_s",
                                                       s.integration_time_s),
                              ("instrument_time", s.instrument_time), ("latitude", s.latitude),
                              ("longitude", s.longitude), ("height", s.height),
                              ("view_zenith", s.view_zenith), ("view_azimuth", s.view_azimuth),
                              ("solar_zenith", s.solar_zenith),
                              ("solar_azimuth", s.solar_azimuth), ("valid", s.valid)):
                ds = g.create_dataset(name, data=arr, compression="gzip", shuffle=True)
                if name in units:
                    ds.attrs["units"] = units[name]
    return path
