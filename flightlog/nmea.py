"""NMEA 0183 ``GGA``, ``RMC`` and ``HDT`` sentences (ICD section 6): reader and writer.

For quick-look processing without an SBET: GGA gives position (height above the geoid
plus the geoid separation = ellipsoidal height), RMC the date, ground speed and course,
HDT the true heading. Roll and pitch are not in these sentences and are taken as zero;
vertical velocity comes from the heights. Times are UTC and become GPS time with the leap
seconds in force. A sentence whose checksum (xor of the bytes between ``$`` and ``*``)
fails or whose field count is wrong is reported with file and line number and skipped.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from flightlog.timesys import gps_to_utc, utc_to_gps
from flightlog.trajectory import Trajectory

KNOT_MPS = 1852.0 / 3600.0
#: Field counts (the sentence name included) accepted per sentence type.
FIELD_COUNTS = {"GGA": (15,), "RMC": (12, 13, 14), "HDT": (3,)}


def nmea_checksum(body: str) -> int:
    """XOR of the bytes of ``body`` (the text between ``$`` and ``*``)."""
    c = 0
    for b in body.encode("ascii"):
        c ^= b
    return c


def _sentence(body: str) -> str:
    return f"${body}*{nmea_checksum(body):02X}"


def _dm(value_deg: float, lat: bool) -> tuple[str, str]:
    hemi = ("N" if value_deg >= 0 else "S") if lat else ("E" if value_deg >= 0 else "W")
    v = abs(value_deg)
    d = int(v)
    m = (v - d) * 60.0
    if round(m, 7) >= 60.0:
        d, m = d + 1, 0.0
    return (f"{d:02d}{m:010.7f}" if lat else f"{d:03d}{m:010.7f}"), hemi


def write_nmea(path: str | os.PathLike[str], gps_time: np.ndarray, lat: np.ndarray,
               lon: np.ndarray, height: np.ndarray, vel_ned: np.ndarray, heading: np.ndarray,
               geoid_separation_m: float = 40.0, talker: str = "GP") -> None:
    """Write GGA, RMC and HDT sentences per epoch, atomically (angles in rad).

    ``gps_time`` must fall on whole hundredths of a UTC second, the resolution of the
    sentences' time field.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    utc = gps_to_utc(np.asarray(gps_time, dtype=np.float64)).to_datetime()
    with open(tmp, "w", encoding="ascii", newline="\r\n") as fh:
        for i, when in enumerate(np.atleast_1d(utc)):
            hh = f"{when:%H%M%S}.{round(when.microsecond / 1e4) % 100:02d}"
            la, ns = _dm(float(np.rad2deg(lat[i])), True)
            lo, ew = _dm(float(np.rad2deg(lon[i])), False)
            alt = float(height[i]) - geoid_separation_m
            fh.write(_sentence(f"{talker}GGA,{hh},{la},{ns},{lo},{ew},4,12,0.8,{alt:.3f},M,"
                               f"{geoid_separation_m:.3f},M,1.0,0000") + "\n")
            vn, ve = float(vel_ned[i][0]), float(vel_ned[i][1])
            sog = np.hypot(vn, ve) / KNOT_MPS
            cog = np.rad2deg(np.arctan2(ve, vn)) % 360.0
            fh.write(_sentence(f"{talker}RMC,{hh},A,{la},{ns},{lo},{ew},{sog:.4f},{cog:.4f},"
                               f"{when:%d%m%y},,,D") + "\n")
            fh.write(_sentence(f"{talker}HDT,{np.rad2deg(float(heading[i])) % 360.0:.4f},T")
                     + "\n")
    os.replace(tmp, path)


def _check(line: str) -> tuple[list[str], str]:
    if not line.startswith("$"):
        return [], "no '$'"
    star = line.rfind("*")
    if star < 0 or len(line) - star - 1 != 2:
        return [], "no '*' with 2 hex checksum digits"
    body = line[1:star]
    try:
        if nmea_checksum(body) != int(line[star + 1 :], 16):
            return [], "checksum mismatch"
    except (ValueError, UnicodeEncodeError):
        return [], "bad checksum or non-ASCII bytes"
    fields = body.split(",")
    kind = fields[0][-3:]
    if kind not in FIELD_COUNTS:
        return [], ""
    if len(fields) not in FIELD_COUNTS[kind]:
        return [], f"{kind}: wrong field count {len(fields)}"
    return fields, ""


def _angle(dm: str, hemi: str, lat: bool) -> float:
    deg_digits = 2 if lat else 3
    v = float(dm[:deg_digits]) + float(dm[deg_digits:]) / 60.0
    if hemi not in (("N", "S") if lat else ("E", "W")):
        raise ValueError(f"hemisphere {hemi!r}")
    return -v if hemi in ("S", "W") else v


def _utc_seconds(hhmmss: str) -> float:
    return int(hhmmss[:2]) * 3600 + int(hhmmss[2:4]) * 60 + float(hhmmss[4:])


def read_nmea(path: str | os.PathLike[str], max_gap_s: float | None = None) -> Trajectory:
    """Read GGA, RMC and HDT sentences into a quick-look trajectory.

    An epoch is a UTC time of day: GGA gives its position, the RMC of the same time its
    date, speed and course (the date of the nearest RMC in the file, across midnight,
    when none has that time), HDT after either its heading (else the RMC course).

    Parameters
    ----------
    path : path-like
        The ``.nmea`` file.
    max_gap_s : float, optional
        Longest spacing interpolated across; default 2.5 times the median spacing.

    Returns
    -------
    Trajectory
        ``bad_records`` lists every bad sentence (file, line from 1, reason).

    Raises
    ------
    ValueError
        If fewer than two epochs have a position and a date.
    """
    path = Path(path)
    bad: list[dict[str, Any]] = []
    seq: list[tuple[int, str, float, list[str]]] = []  # line, kind, time of day, fields
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            line = raw.decode("ascii", errors="replace").strip()
            if not line:
                continue
            fields, why = _check(line)
            if why:
                bad.append({"file": str(path), "record": number, "reason": why})
            elif fields:
                kind = fields[0][-3:]
                try:
                    sod = -1.0 if kind == "HDT" else _utc_seconds(fields[1])
                except (ValueError, IndexError):
                    bad.append({"file": str(path), "record": number,
                                "reason": f"{kind}: bad time field"})
                    continue
                seq.append((number, kind, sod, fields))
    rmc_days = [(i, sod, f[9]) for i, (_, k, sod, f) in enumerate(seq) if k == "RMC"]
    epochs: dict[float, dict[str, Any]] = {}
    current: float | None = None
    for i, (number, kind, sod, fields) in enumerate(seq):
        try:
            if kind == "HDT":
                if current is not None:
                    epochs[current]["heading"] = float(fields[1])
                continue
            day = _day_for(i, sod, rmc_days)
            if day is None:
                bad.append({"file": str(path), "record": number, "reason": f"{kind}: no date"})
                continue
            key = (day + timedelta(seconds=sod)).timestamp()
            ep = epochs.setdefault(key, {})
            if kind == "RMC":
                ep["sog"], ep["cog"] = float(fields[7]) * KNOT_MPS, float(fields[8])
            else:
                ep["lat"] = _angle(fields[2], fields[3], True)
                ep["lon"] = _angle(fields[4], fields[5], False)
                ep["h"] = float(fields[9]) + float(fields[11])
                if abs(ep["lat"]) > 90 or abs(ep["lon"]) > 180:
                    raise ValueError("impossible position")
            current = key
        except (ValueError, IndexError) as exc:
            bad.append({"file": str(path), "record": number, "reason": f"{kind}: {exc}"})
    return _trajectory(path, epochs, bad, max_gap_s)


def _day_for(i: int, sod: float, rmc_days: list[tuple[int, float, str]]) -> datetime | None:
    """UTC midnight of a sentence: from the nearest RMC, across midnight if needed."""
    if not rmc_days:
        return None
    j = min(range(len(rmc_days)), key=lambda k: abs(rmc_days[k][0] - i))
    _, rsod, d = rmc_days[j]
    day = datetime(2000 + int(d[4:6]), int(d[2:4]), int(d[0:2]), tzinfo=timezone.utc)
    if sod - rsod > 43200:
        day -= timedelta(days=1)
    elif rsod - sod > 43200:
        day += timedelta(days=1)
    return day


def _trajectory(path: Path, epochs: dict[float, dict[str, Any]], bad: list[dict[str, Any]],
                max_gap_s: float | None) -> Trajectory:
    keys = [k for k in sorted(epochs) if "lat" in epochs[k]]
    if len(keys) < 2:
        raise ValueError(f"{path}: fewer than two epochs with a position")
    utc = [datetime.fromtimestamp(k, tz=timezone.utc).replace(tzinfo=None) for k in keys]
    t = utc_to_gps(utc)
    ep = [epochs[k] for k in keys]
    lat = np.deg2rad([e["lat"] for e in ep])
    lon = np.deg2rad([e["lon"] for e in ep])
    h = np.array([e["h"] for e in ep])
    sog = np.array([e.get("sog", np.nan) for e in ep])
    cog = np.deg2rad([e.get("cog", np.nan) for e in ep])
    heading = np.array([np.deg2rad(e["heading"]) if "heading" in e else c
                        for e, c in zip(ep, cog, strict=True)])
    vd = -np.gradient(h, t)
    vel = np.stack([sog * np.cos(cog), sog * np.sin(cog), vd], axis=1)
    ok = np.all(np.isfinite(vel), axis=1) & np.isfinite(heading)
    if ok.sum() < 2:
        raise ValueError(f"{path}: fewer than two epochs with a position and velocity")
    gap = max_gap_s if max_gap_s is not None else 2.5 * float(np.median(np.diff(t[ok])))
    zeros = np.zeros(ok.sum())
    return Trajectory.from_geodetic(t[ok], lat[ok], lon[ok], h[ok], vel[ok], zeros, zeros,
                                    heading[ok], max_gap_s=gap,
                                    source=f"{path} (NMEA GGA/RMC/HDT, no roll or pitch)",
                                    bad_records=bad)
