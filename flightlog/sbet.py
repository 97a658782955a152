"""Applanix SBET files (ICD section 6): 17 little-endian float64 per record, no header."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from flightlog.trajectory import Trajectory

#: One SBET record (136 bytes).
SBET_DTYPE = np.dtype([
    ("time", "<f8"), ("latitude", "<f8"), ("longitude", "<f8"), ("height", "<f8"),
    ("vel_x", "<f8"), ("vel_y", "<f8"), ("vel_z", "<f8"),
    ("roll", "<f8"), ("pitch", "<f8"), ("heading", "<f8"), ("wander", "<f8"),
    ("acc_x", "<f8"), ("acc_y", "<f8"), ("acc_z", "<f8"),
    ("rate_x", "<f8"), ("rate_y", "<f8"), ("rate_z", "<f8"),
])
SBET_RECORD_BYTES = SBET_DTYPE.itemsize


def write_sbet(path: str | os.PathLike[str], records: np.ndarray) -> None:
    """Write SBET records atomically (temporary file, then rename).

    Parameters
    ----------
    path : path-like
        Destination file.
    records : numpy.ndarray
        Structured array of :data:`SBET_DTYPE` (or castable to it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    np.asarray(records).astype(SBET_DTYPE).tofile(tmp)
    os.replace(tmp, path)


def read_sbet_records(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """Read the whole records of an SBET file.

    Returns
    -------
    records : numpy.ndarray
        :data:`SBET_DTYPE` records (memory-mapped for large files).
    torn_bytes : int
        Bytes of a torn last record that were left out (0 when the size is a multiple
        of 136).
    """
    path = Path(path)
    size = path.stat().st_size
    n = size // SBET_RECORD_BYTES
    torn = size - n * SBET_RECORD_BYTES
    if n == 0:
        return np.zeros(0, SBET_DTYPE), torn
    return np.memmap(path, dtype=SBET_DTYPE, mode="r", shape=(n,)), torn


def _bad_reason(rec: np.ndarray) -> np.ndarray:
    """Per record: '' when plausible, else why not (NaN, impossible values)."""
    fields = [f for f in (SBET_DTYPE.names or ()) if f != "time"]
    reason = np.full(rec.size, "", dtype=object)
    finite = np.isfinite(rec["time"])
    for f in fields:
        finite &= np.isfinite(rec[f])
    reason[~finite] = "not a finite number"
    checks = [
        ((rec["time"] < 0) | (rec["time"] >= 604800.0 + 1.0), "time of week outside 0..604800 s"),
        (np.abs(rec["latitude"]) > np.pi / 2, "latitude beyond +/-90 degrees"),
        (np.abs(rec["longitude"]) > 2 * np.pi, "longitude beyond +/-360 degrees"),
        ((rec["height"] < -1000.0) | (rec["height"] > 100_000.0), "height outside -1..100 km"),
        (np.sqrt(rec["vel_x"] ** 2 + rec["vel_y"] ** 2 + rec["vel_z"] ** 2) > 1000.0,
         "speed above 1000 m/s"),
        ((np.abs(rec["roll"]) > np.pi) | (np.abs(rec["pitch"]) > np.pi / 2),
         "roll or pitch out of range"),
        ((np.abs(rec["heading"]) > 4 * np.pi) | (np.abs(rec["wander"]) > 4 * np.pi),
         "heading or wander angle out of range"),
    ]
    for bad, why in checks:
        reason[finite & bad & (reason == "")] = why
    return reason


def _gps_times(sow: np.ndarray, ok: np.ndarray, gps_week: int) -> np.ndarray:
    """GPS seconds of the records; the time of week restarting at 0 is a week crossing.

    A crossing is a drop of more than half a week between consecutive usable records that
    the next records confirm (their median stays low), so one corrupt time cannot move
    the week of every record after it.
    """
    gps = np.full(sow.size, np.nan)
    idx = np.flatnonzero(ok)
    if not idx.size:
        return gps
    v = sow[idx]
    drops = np.flatnonzero(v[:-1] - v[1:] > 302400.0) + 1
    week = np.zeros(v.size, np.int64)
    for d in drops:
        before = np.median(v[max(0, d - 20) : d])
        after = np.median(v[d : d + 20])
        if before - after > 302400.0:
            week[d:] += 1
    gps[idx] = (gps_week + week) * 604800.0 + v
    return gps


def read_sbet(path: str | os.PathLike[str], gps_week: int,
              max_gap_s: float = 0.05) -> Trajectory:
    """Read an SBET file into a :class:`~flightlog.trajectory.Trajectory`.

    Parameters
    ----------
    path : path-like
        The SBET file (ICD section 6).
    gps_week : int
        Full GPS week of the first record (``flight.json`` ``nav.gps_week``); a drop of
        the time of week by more than half a week inside the file is a week crossing.
    max_gap_s : float
        Longest sample spacing interpolated across (200 Hz data: 0.05 s tolerates up to
        9 lost records in a row).

    Returns
    -------
    Trajectory
        With ``bad_records`` listing every record left out (file, record number, reason),
        and a torn last record.

    Raises
    ------
    ValueError
        If fewer than two good records remain.
    """
    from flightlog.trajectory import Trajectory, time_ordered

    path = Path(path)
    rec, torn = read_sbet_records(path)
    rec = np.array(rec)  # own copy: small next to the flight's radar data
    bad: list[dict[str, object]] = []
    if torn:
        bad.append({"file": str(path), "record": int(rec.size), "offset": int(rec.size) * 136,
                    "reason": f"torn last record: {torn} byte(s) of {SBET_RECORD_BYTES}"})
    reason = _bad_reason(rec)
    gps = _gps_times(rec["time"].astype(np.float64), reason == "", gps_week)
    out_of_order, far_off = time_ordered(gps, reason == "")
    reason[out_of_order] = ("time out of order (not after the record before it, or ahead "
                            "of those after)")
    reason[far_off] = "time more than an hour from the rest of the file"
    for j in np.flatnonzero(reason != ""):
        bad.append({"file": str(path), "record": int(j), "offset": int(j) * 136,
                    "reason": str(reason[j])})
    good = reason == ""
    if good.sum() < 2:
        raise ValueError(f"{path}: fewer than two good SBET records")
    r = rec[good]
    alpha = r["wander"]
    ca, sa = np.cos(alpha), np.sin(alpha)
    vel_ned = np.stack([r["vel_x"] * ca + r["vel_y"] * sa,
                        -r["vel_x"] * sa + r["vel_y"] * ca, r["vel_z"]], axis=1)
    return Trajectory.from_geodetic(gps[good], r["latitude"], r["longitude"], r["height"],
                                    vel_ned, r["roll"], r["pitch"], r["heading"] - alpha,
                                    max_gap_s=max_gap_s, source=str(path), bad_records=bad)
