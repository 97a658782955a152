"""NovAtel SPAN ``INSPVAXA`` ASCII logs (ICD section 6): reader and writer.

A log line is ``#INSPVAXA,<9 header fields>;<23 data fields>*<crc32>``. The CRC-32 is
NovAtel's (reflected polynomial 0xEDB88320, initial value 0, no final xor) over the bytes
between ``#`` and ``*``. Lines that fail the CRC, have the wrong field count or hold
impossible values or an INS status without a solution (:data:`INS_STATUS_USABLE`) are
reported with file and line number and skipped; lines of other logs are counted (the
trajectory's ``source`` lists them) and not read.

Angles: roll about the forward axis and pitch about the right axis (NovAtel's vehicle
frame), azimuth clockwise from true north: the ICD's roll, pitch and true heading.
Height is above mean sea level; ellipsoidal height is height + undulation.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from flightlog.timesys import gps_from_week, gps_to_week
from flightlog.trajectory import Trajectory, time_ordered

HEADER_FIELDS = 10  # message name and 9 more
#: INS solution statuses whose values are a navigation solution (NovAtel OEM7 manual,
#: INSPVAX "Inertial Solution Status" table): good, high variance (within tolerances but
#: degraded) and free-inertial (no GNSS updates). INS_INACTIVE, INS_ALIGNING,
#: INS_ALIGNMENT_COMPLETE (not yet within specification), DETERMINING_ORIENTATION,
#: WAITING_INITIALPOS, WAITING_AZIMUTH, INITIALIZING_BIASES, MOTION_DETECT are refused.
INS_STATUS_USABLE = frozenset({"INS_SOLUTION_GOOD", "INS_HIGH_VARIANCE", "INS_SOLUTION_FREE"})
DATA_FIELDS = 23


def novatel_crc32(data: bytes) -> int:
    """NovAtel CRC-32: reflected 0xEDB88320, initial value 0, no final xor."""
    return zlib.crc32(data, 0xFFFFFFFF) ^ 0xFFFFFFFF


def format_inspvaxa(gps_time: float, lat_deg: float, lon_deg: float, height_msl_m: float,
                    undulation_m: float, vel_ned: np.ndarray, roll_deg: float,
                    pitch_deg: float, azimuth_deg: float, sequence: int = 0) -> str:
    """One ``INSPVAXA`` log line (without line ending).

    Parameters
    ----------
    gps_time : float
        Epoch (GPS seconds), written as GPS week and seconds of week.
    lat_deg, lon_deg : float
        Geodetic latitude and longitude (deg).
    height_msl_m : float
        Height above mean sea level (m), as the log defines it.
    undulation_m : float
        Geoid undulation (m); ellipsoidal height is ``height_msl_m + undulation_m``.
    vel_ned : ndarray, shape (3,)
        North, east, down velocity (m/s); the log carries "up", so down is negated.
    roll_deg, pitch_deg, azimuth_deg : float
        Attitude (deg); azimuth is wrapped to [0, 360).
    sequence : int
        Header sequence number.
    """
    week, sow = gps_to_week(gps_time)
    header = (f"INSPVAXA,COM1,{sequence},0.0,FINESTEERING,{int(week)},{float(sow):.3f},"
              "02000020,e39c,16809")
    vn, ve, vd = (float(v) for v in vel_ned)
    body = (f"INS_SOLUTION_GOOD,INS_PPP,{lat_deg:.11f},{lon_deg:.11f},{height_msl_m:.4f},"
            f"{undulation_m:.4f},{vn:.4f},{ve:.4f},{-vd:.4f},{roll_deg:.9f},{pitch_deg:.9f},"
            f"{azimuth_deg % 360.0:.9f},0.0150,0.0150,0.0300,0.0100,0.0100,0.0100,0.0050,"
            "0.0050,0.0100,00000000,0")
    text = f"{header};{body}"
    return f"#{text}*{novatel_crc32(text.encode('ascii')):08x}"


def write_inspvaxa(path: str | os.PathLike[str], gps_time: np.ndarray, lat: np.ndarray,
                   lon: np.ndarray, height: np.ndarray, vel_ned: np.ndarray, roll: np.ndarray,
                   pitch: np.ndarray, heading: np.ndarray, undulation_m: float = 40.0) -> None:
    """Write one ``INSPVAXA`` line per epoch, atomically (``<path>.part`` then rename).

    Parameters
    ----------
    path : path-like
        Output file.
    gps_time : ndarray, shape (n,)
        Epochs (GPS seconds).
    lat, lon, height : ndarray, shape (n,)
        Geodetic latitude, longitude (rad) and ellipsoidal height (m).
    vel_ned : ndarray, shape (n, 3)
        North, east, down velocity (m/s).
    roll, pitch, heading : ndarray, shape (n,)
        Attitude (rad).
    undulation_m : float
        Geoid undulation (m) used to turn ellipsoidal height into the log's MSL height.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="ascii", newline="\r\n") as fh:
        for i in range(len(gps_time)):
            fh.write(format_inspvaxa(
                float(gps_time[i]), float(np.rad2deg(lat[i])), float(np.rad2deg(lon[i])),
                float(height[i]) - undulation_m, undulation_m, vel_ned[i],
                float(np.rad2deg(roll[i])), float(np.rad2deg(pitch[i])),
                float(np.rad2deg(heading[i])), sequence=i) + "\n")
    os.replace(tmp, path)


def _parse(line: str) -> tuple[list[float], str]:
    """Values of one INSPVAXA line, or a reason it is bad ('' when good)."""
    if not line.startswith("#"):
        return [], "no '#' sync character"
    star = line.rfind("*")
    if star < 0 or len(line) - star - 1 != 8:
        return [], "no '*' with 8 hex CRC digits"
    try:
        crc = int(line[star + 1 :], 16)
    except ValueError:
        return [], "CRC is not hexadecimal"
    text = line[1:star]
    try:
        if novatel_crc32(text.encode("ascii")) != crc:
            return [], "CRC-32 mismatch"
    except UnicodeEncodeError:
        return [], "non-ASCII bytes"
    head, sep, body = text.partition(";")
    h = head.split(",")
    b = body.split(",")
    if not sep or len(h) != HEADER_FIELDS or len(b) != DATA_FIELDS:
        return [], f"wrong field count ({len(h)} header, {len(b)} data)"
    try:
        week, sow = int(h[5]), float(h[6])
        vals = [float(x) for x in b[2:12]]
    except ValueError:
        return [], "field is not a number"
    if b[0] not in INS_STATUS_USABLE:
        return [], f"INS status {b[0]}: no navigation solution to use"
    if b[1] in ("NONE", "0"):
        return [], f"position type {b[1]}: no solution"
    lat, lon, hgt, und, vn, ve, vu, roll, pitch, az = vals
    if not all(np.isfinite(vals)) or not 0 <= sow < 604800 or not 0 <= week < 10000:
        return [], "not finite or time out of range"
    if abs(lat) > 90 or abs(lon) > 360 or not -1000 < hgt + und < 100_000:
        return [], "impossible position"
    if abs(roll) > 180 or abs(pitch) > 90 or np.sqrt(vn**2 + ve**2 + vu**2) > 1000:
        return [], "impossible velocity or attitude"
    return [week, sow, lat, lon, hgt + und, vn, ve, -vu, roll, pitch, az], ""


def read_inspvaxa(path: str | os.PathLike[str], max_gap_s: float | None = None) -> Trajectory:
    """Read the ``INSPVAXA`` logs of a NovAtel ASCII file into a trajectory.

    Parameters
    ----------
    path : path-like
        The ``.asc`` file.
    max_gap_s : float, optional
        Longest spacing interpolated across; default 2.5 times the median spacing.

    Returns
    -------
    Trajectory
        ``bad_records`` lists bad lines (file, line number from 1, reason).
    """
    path = Path(path)
    rows: list[list[float]] = []
    bad: list[dict[str, Any]] = []
    others: dict[str, int] = {}
    numbers: list[int] = []  # line of each row
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            line = raw.decode("ascii", errors="replace").strip()
            if not line.startswith("#INSPVAXA,"):
                name = line[1:].split(",", 1)[0].split(";", 1)[0] if line[:1] == "#" else ""
                if line.startswith("#INSPVAX") and name != "INSPVAXA":
                    bad.append({"file": str(path), "record": number,
                                "reason": "damaged INSPVAXA line"})
                elif name.isalnum():  # another log (INSPVAA, BESTPOSA, LOGLISTA...)
                    others[name] = others.get(name, 0) + 1
                elif line:
                    bad.append({"file": str(path), "record": number,
                                "reason": "not a NovAtel ASCII log line"})
                continue
            vals, why = _parse(line)
            if why:
                bad.append({"file": str(path), "record": number, "reason": why})
                continue
            t = float(gps_from_week(int(vals[0]), vals[1]))
            rows.append([t] + vals[2:])
            numbers.append(number)
    if rows:  # one record whose time is ahead loses itself, not the records after it
        t_all = np.array([r[0] for r in rows])
        out_of_order, far_off = time_ordered(t_all, np.ones(t_all.size, bool))
        for j in np.flatnonzero(out_of_order | far_off):
            bad.append({"file": str(path), "record": numbers[j], "reason": (
                "time out of order (not after the record before it, or ahead of those "
                "after)" if out_of_order[j] else
                "time more than an hour from the rest of the file")})
        rows = [r for r, drop in zip(rows, out_of_order | far_off, strict=True) if not drop]
        bad.sort(key=lambda b: int(b["record"]))
    if len(rows) < 2:
        raise ValueError(f"{path}: fewer than two good INSPVAXA records")
    ignored = ", ".join(f"{k} {v}" for k, v in sorted(others.items()))
    a = np.array(rows)
    gap = max_gap_s if max_gap_s is not None else 2.5 * float(np.median(np.diff(a[:, 0])))
    return Trajectory.from_geodetic(
        a[:, 0], np.deg2rad(a[:, 1]), np.deg2rad(a[:, 2]), a[:, 3], a[:, 4:7],
        np.deg2rad(a[:, 7]), np.deg2rad(a[:, 8]), np.deg2rad(a[:, 9]), max_gap_s=gap,
        source=f"{path} (NovAtel INSPVAXA" + (f"; other logs not read: {ignored})"
                                               if ignored else ")"), bad_records=bad)
