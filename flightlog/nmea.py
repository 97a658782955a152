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
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from flightlog.timesys import gps_to_utc, utc_to_gps
from flightlog.trajectory import Trajectory, time_ordered

KNOT_MPS = 1852.0 / 3600.0
#: Field counts (the sentence name included) accepted per sentence type.
#: GGA: 15 standard; 14 (Saab R4, no station id) and 16 (BeiDou $GNGGA) seen on real
#: receivers (gpsd's test logs). RMC: 12 (NMEA 2.2), 13 (2.3, mode), 14 (4.1, status).
FIELD_COUNTS = {"GGA": (14, 15, 16), "RMC": (12, 13, 14), "HDT": (3,)}


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
    """Write GGA, RMC and HDT sentences per epoch, atomically.

    Parameters
    ----------
    path : path-like
        Output file; written as ``<path>.part`` and renamed when complete.
    gps_time : ndarray, shape (n,)
        Epochs (GPS seconds). They must fall on whole hundredths of a UTC second,
        the resolution of the sentences' time field.
    lat, lon : ndarray, shape (n,)
        Geodetic latitude and longitude (rad).
    height : ndarray, shape (n,)
        Ellipsoidal height (m); GGA carries ``height - geoid_separation_m``.
    vel_ned : ndarray, shape (n, 3)
        North, east, down velocity (m/s); RMC carries speed and course over ground.
    heading : ndarray, shape (n,)
        True heading (rad) for HDT.
    geoid_separation_m : float
        Geoid height above the ellipsoid written in GGA (m).
    talker : str
        Two-letter talker identifier.
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


#: GGA fix qualities that are a measured position (NMEA 0183: 1 GPS, 2 DGPS, 3 PPS,
#: 4 RTK fixed, 5 RTK float, 6 estimated / dead reckoning; 0 invalid, 7 manual input and
#: 8 simulation are not).
_FIX_QUALITIES = frozenset("123456")
#: One sentence: '$', printable ASCII but '$' and '*', '*', two hex digits.
_SENTENCE = re.compile(r"\$[\x20-\x23\x25-\x29\x2b-\x7e]*\*[0-9A-Fa-f]{2}")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)")
_TIME = re.compile(r"(\d{2})(\d{2})(\d{2}(?:\.\d*)?)")
_LAT = re.compile(r"(\d{2})(\d{2}(?:\.\d*)?)")
_LON = re.compile(r"(\d{3})(\d{2}(?:\.\d*)?)")
_DATE = re.compile(r"(\d{2})(\d{2})(\d{2})")
#: GPS time starts 1980-01-06: a date before it is a receiver's default, not a fix.
_GPS_EPOCH = datetime(1980, 1, 6, tzinfo=timezone.utc)


def _num(fields: list[str], i: int, name: str) -> float | None:
    """Field ``i`` as a number; None when empty (NMEA: not available)."""
    v = fields[i].strip() if i < len(fields) else ""
    if not v:
        return None
    if not _FLOAT.fullmatch(v):
        raise ValueError(f"{name} {v!r} is not a number")
    return float(v)


def _need(value: float | None, name: str) -> float:
    if value is None:
        raise ValueError(f"{name} missing")
    return value


def _angle(dm: str, hemi: str, lat: bool) -> float:
    m = (_LAT if lat else _LON).fullmatch(dm.strip())
    what = "latitude" if lat else "longitude"
    if not dm.strip():
        raise ValueError(f"{what} missing")
    if m is None:
        raise ValueError(f"{what} {dm!r} is not {'ddmm.mm' if lat else 'dddmm.mm'}")
    minutes = float(m.group(2))
    if minutes >= 60.0:
        raise ValueError(f"{what} {dm!r}: minutes beyond 60")
    v = int(m.group(1)) + minutes / 60.0
    if hemi not in (("N", "S") if lat else ("E", "W")):
        raise ValueError(f"{what} hemisphere {hemi!r}")
    if v > (90.0 if lat else 180.0):
        raise ValueError(f"{what} {dm!r} out of range")
    return -v if hemi in ("S", "W") else v


def _utc_seconds(hhmmss: str) -> float:
    """Seconds of the UTC day; 23:59:60 (a leap second) is 86400 and up."""
    m = _TIME.fullmatch(hhmmss.strip())
    if m is None:
        raise ValueError(f"time {hhmmss!r} is not hhmmss.ss")
    hh, mm, ss = int(m.group(1)), int(m.group(2)), float(m.group(3))
    if hh > 23 or mm > 59 or ss >= 61.0 or (ss >= 60.0 and (hh, mm) != (23, 59)):
        raise ValueError(f"time {hhmmss!r} out of range")
    return hh * 3600 + mm * 60 + ss


def _date(ddmmyy: str) -> datetime:
    """UTC midnight of an RMC date; two-digit years 80-99 are 19yy (as pynmea2 reads)."""
    m = _DATE.fullmatch(ddmmyy.strip())
    if not ddmmyy.strip():
        raise ValueError("date missing")
    if m is None:
        raise ValueError(f"date {ddmmyy!r} is not ddmmyy")
    yy = int(m.group(3))
    try:
        day = datetime(1900 + yy if yy >= 80 else 2000 + yy, int(m.group(2)),
                       int(m.group(1)), tzinfo=timezone.utc)
    except ValueError:
        raise ValueError(f"date {ddmmyy!r} is not a calendar date") from None
    if day < _GPS_EPOCH:
        raise ValueError(f"date {ddmmyy!r} before the GPS epoch (a receiver default)")
    return day


def _parse(kind: str, fields: list[str]) -> dict[str, Any]:
    """What one sentence says, with missing fields absent; ValueError names a bad one."""
    if kind == "HDT":
        return {"heading": _need(_num(fields, 1, "HDT heading"), "HDT heading")}
    if kind == "RMC":
        status = fields[2].strip()
        if status != "A":
            raise ValueError(f"status {status or 'empty'!r}: no valid fix")
        out: dict[str, Any] = {"day": _date(fields[9])}
        sog, cog = _num(fields, 7, "speed"), _num(fields, 8, "course")
        if sog is not None:
            out["sog"] = sog * KNOT_MPS
        if cog is not None:
            out["cog"] = cog
        return out
    quality = fields[6].strip()
    if quality not in _FIX_QUALITIES:
        why = {"": "empty", "0": "invalid", "7": "manual input", "8": "simulation mode"}.get(
            quality, "not a defined quality")
        raise ValueError(f"fix quality {quality!r} ({why}): no fix")
    lat = _angle(fields[2], fields[3], True)
    lon = _angle(fields[4], fields[5], False)
    alt = _need(_num(fields, 9, "altitude"), "altitude")
    sep = _num(fields, 11, "geoid separation")
    return {"lat": lat, "lon": lon, "h": alt + (sep or 0.0), "no_separation": sep is None}


def read_nmea(path: str | os.PathLike[str], max_gap_s: float | None = None) -> Trajectory:
    """Read GGA, RMC and HDT sentences into a quick-look trajectory.

    An epoch is a UTC date and time of day: GGA gives its position, the RMC of the same
    time its date, speed and course (the date of the nearest RMC in the file, across
    midnight, when none has that time), HDT after either its heading (else the course).
    Any talker (GP, GN, GL, GA, GB, BD, ...) is read. Empty fields mean "not available":
    a fix is kept where what navigation needs is there (GGA: fix quality, latitude,
    longitude, altitude; RMC: status A and the date) and rejected with the missing
    field named where not. GGA without a geoid separation gives heights above the geoid
    (the trajectory's ``source`` says how many). RMC without speed or course, or epochs
    without one, take their velocity from the positions.

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
        If fewer than two epochs have a position and a date, or no epoch has a heading
        or a course.
    """
    path = Path(path)
    bad: list[dict[str, Any]] = []
    seq: list[tuple[int, str, float, dict[str, Any]]] = []  # line, kind, time of day, values
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            line = raw.decode("ascii", errors="replace").strip()
            if not line:
                continue
            # a sentence may follow binary bytes on the same line (a receiver that mixes
            # its binary protocol in) or a stray '$': each one found is read
            for text in [m.group(0) for m in _SENTENCE.finditer(line)] or [line]:
                fields, why = _check(text)
                if not why and fields:
                    kind = fields[0][-3:]
                    try:
                        sod = -1.0 if kind == "HDT" else _utc_seconds(fields[1])
                        seq.append((number, kind, sod, _parse(kind, fields)))
                        continue
                    except (ValueError, IndexError) as exc:
                        why = f"{kind}: {exc}"
                if why:
                    bad.append({"file": str(path), "record": number, "reason": why})
    rmc_days = [(i, sod, v["day"]) for i, (_, k, sod, v) in enumerate(seq) if k == "RMC"]
    epochs: dict[tuple[datetime, float], dict[str, Any]] = {}
    current: tuple[datetime, float] | None = None
    # (line, kind, epoch, values) in arrival order; HDT takes the epoch before it
    dated: list[tuple[int, str, tuple[datetime, float], dict[str, Any]]] = []
    for i, (number, kind, sod, values) in enumerate(seq):
        if kind == "HDT":
            if current is not None:
                dated.append((number, kind, current, values))
            continue
        day = values["day"] if kind == "RMC" else _day_for(i, sod, rmc_days)
        current = None if day is None else (day, sod)
        if current is None:
            bad.append({"file": str(path), "record": number, "reason": f"{kind}: no date"})
            continue
        dated.append((number, kind, current, values))
    # a capture that goes back in time (two sessions joined, a replay) would mix two
    # positions into one epoch: the longest run in time order is kept (sentences of one
    # epoch share its time), the rest refused
    t = np.array([(d.toordinal() * 86401.0 + sod) for _, _, (d, sod), _ in dated])
    out_of_order, far_off = time_ordered(t, np.ones(t.size, bool), strict=False)
    last: tuple[datetime, float] | None = None
    for j, (number, kind, key, values) in enumerate(dated):
        if out_of_order[j] or far_off[j]:
            bad.append({"file": str(path), "record": number, "reason": (
                f"{kind}: time {key[0]:%Y-%m-%d} {key[1]:.3f} s of day out of order with "
                "the sentences around it" if out_of_order[j] else
                f"{kind}: time more than an hour from the rest of the capture")})
            last = None
            continue
        if kind == "HDT":
            if last is not None:
                epochs[last]["heading"] = values["heading"]
            continue
        last = key
        epochs.setdefault(key, {}).update({k: v for k, v in values.items() if k != "day"})
    bad.sort(key=lambda b: int(b["record"]))
    return _trajectory(path, epochs, bad, max_gap_s)


def _day_for(i: int, sod: float, rmc_days: list[tuple[int, float, datetime]]
             ) -> datetime | None:
    """UTC midnight of a sentence: from the nearest RMC, across midnight if needed."""
    if not rmc_days:
        return None
    j = min(range(len(rmc_days)), key=lambda k: abs(rmc_days[k][0] - i))
    _, rsod, day = rmc_days[j]
    if sod - rsod > 43200:
        day -= timedelta(days=1)
    elif rsod - sod > 43200:
        day += timedelta(days=1)
    return day


def _why_rejected(bad: list[dict[str, Any]], most: int = 3) -> str:
    """The commonest reasons sentences were rejected, for an error message."""
    if not bad:
        return ""
    counts = Counter(b["reason"] for b in bad)
    top = "; ".join(f"{n} x {why}" for why, n in counts.most_common(most))
    return f"; {len(bad)} sentence(s) rejected, most for: {top}"


def _trajectory(path: Path, epochs: dict[tuple[datetime, float], dict[str, Any]],
                bad: list[dict[str, Any]], max_gap_s: float | None) -> Trajectory:
    keys = [k for k in sorted(epochs) if "lat" in epochs[k]]
    if len(keys) < 2:
        raise ValueError(f"{path}: fewer than two epochs with a position (GGA) and a date "
                         f"(RMC){_why_rejected(bad)}")
    # GPS time of each UTC midnight plus the seconds of the day: a leap second, 23:59:60,
    # is the day's second 86400 and keeps its own epoch
    days = sorted({d for d, _ in keys})
    midnight = dict(zip(days, np.atleast_1d(utc_to_gps([d.strftime("%Y-%m-%dT00:00:00")
                                                         for d in days])), strict=True))
    t = np.array([midnight[d] + sod for d, sod in keys])
    ep = [epochs[k] for k in keys]
    lat = np.deg2rad([e["lat"] for e in ep])
    lon = np.deg2rad([e["lon"] for e in ep])
    h = np.array([e["h"] for e in ep])
    sog = np.array([e.get("sog", np.nan) for e in ep])
    cog = np.deg2rad([e.get("cog", np.nan) for e in ep])
    # velocity from the positions where RMC gave no speed or course
    radius = 6371008.8  # IUGG mean Earth radius (m): enough for a quick-look velocity
    vn_pos = np.gradient(np.unwrap(lat), t) * (radius + h)
    ve_pos = np.gradient(np.unwrap(lon), t) * (radius + h) * np.cos(lat)
    have = np.isfinite(sog) & (np.isfinite(cog) | (sog < 0.05))
    vn = np.where(have, sog * np.cos(np.nan_to_num(cog)), vn_pos)
    ve = np.where(have, sog * np.sin(np.nan_to_num(cog)), ve_pos)
    vd = -np.gradient(h, t)
    course = np.where(np.isfinite(cog), cog, np.where(np.hypot(vn, ve) > 1.0,
                                                      np.arctan2(ve, vn), np.nan))
    heading = np.array([np.deg2rad(e["heading"]) if "heading" in e else c
                        for e, c in zip(ep, course, strict=True)])
    if not np.isfinite(heading).any():
        raise ValueError(f"{path}: no epoch has a heading (HDT) or a course (RMC, or moving "
                         "positions)")
    # epochs without a heading (stationary, no HDT) hold the last one known
    idx = np.where(np.isfinite(heading), np.arange(heading.size), 0)
    np.maximum.accumulate(idx, out=idx)
    first = int(np.flatnonzero(np.isfinite(heading))[0])
    heading = np.where(np.isfinite(heading), heading, heading[idx])
    heading[:first] = heading[first]
    vel = np.stack([vn, ve, vd], axis=1)
    ok = np.all(np.isfinite(vel), axis=1)
    if ok.sum() < 2:
        raise ValueError(f"{path}: fewer than two epochs with a position and velocity")
    gap = max_gap_s if max_gap_s is not None else 2.5 * float(np.median(np.diff(t[ok])))
    zeros = np.zeros(ok.sum())
    n_geoid = sum(1 for e in ep if e.get("no_separation"))
    note = f"; {n_geoid} fix(es) without geoid separation: heights above the geoid" \
        if n_geoid else ""
    return Trajectory.from_geodetic(t[ok], lat[ok], lon[ok], h[ok], vel[ok], zeros, zeros,
                                    heading[ok], max_gap_s=gap,
                                    source=f"{path} (NMEA GGA/RMC/HDT, no roll or pitch{note})",
                                    bad_records=bad)
