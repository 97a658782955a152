"""Time systems: GPS time is the internal axis; UTC and TAI through astropy, offline.

GPS time here is float64 seconds since 1980-01-06T00:00:00 UTC with no leap seconds
(astropy's ``gps`` format). TAI = GPS + 19 s exactly. UTC differs from GPS by the leap
seconds in force, taken from the bundled ``astropy-iers-data`` table; nothing is ever
downloaded. When that table has expired for the times converted, a loud
:class:`StaleLeapSecondTable` warning says so, because a leap second announced after it
would be missing.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from astropy.time import Time
from astropy.utils import iers

iers.conf.auto_download = False
iers.conf.auto_max_age = None
# Beyond the bundled Earth-orientation tables astropy extrapolates, with a warning.
iers.conf.iers_degraded_accuracy = "warn"

SECONDS_PER_WEEK = 604800
GPS_MINUS_TAI_S = -19.0


class StaleLeapSecondTable(UserWarning):
    """The bundled leap-second table has expired for the times being converted."""


def release_earth_orientation() -> None:
    """Drop astropy's in-memory Earth-orientation tables (IERS-A/B, tens of MB).

    They are read again from the bundled files when next needed (about a second); a
    memory-bounded run calls this once the alignment no longer needs them.
    """
    for table in (iers.IERS_Auto, iers.IERS_B, iers.IERS_A):
        table.close()


def leap_second_table_expiry() -> Time:
    """Expiry (UTC) of the leap-second table in use (bundled, never downloaded)."""
    return Time(iers.LeapSeconds.auto_open().expires).utc


def _check_stale(t: Time) -> None:
    expiry = leap_second_table_expiry()
    latest = np.max(np.atleast_1d(t.tai.jd))
    if latest > expiry.tai.jd:
        last = Time(latest, format="jd", scale="tai").utc.iso
        warnings.warn(
            f"LEAP-SECOND TABLE EXPIRED: the bundled table (astropy-iers-data) is valid until "
            f"{expiry.utc.iso[:10]}, but times up to {last} are converted; a leap second "
            "announced since would be missing. Update astropy-iers-data.",
            StaleLeapSecondTable, stacklevel=3)


def gps_to_utc(gps_time: float | np.ndarray) -> Time:
    """Convert GPS seconds to an astropy ``Time`` in UTC.

    Parameters
    ----------
    gps_time : float or numpy.ndarray
        Seconds since 1980-01-06T00:00:00 UTC, no leap seconds.

    Returns
    -------
    astropy.time.Time
        UTC times; ``.isot`` gives ``...T23:59:60`` during a leap second.

    Warns
    -----
    StaleLeapSecondTable
        If the bundled leap-second table has expired for these times.
    """
    t = Time(np.asarray(gps_time, dtype=np.float64), format="gps")
    _check_stale(t)
    return t.utc


def utc_to_gps(utc: Any) -> np.ndarray:
    """Convert UTC times to GPS seconds.

    Parameters
    ----------
    utc : astropy.time.Time, str, datetime or array of them
        UTC instants; strings as ISO 8601 (``"2016-12-31T23:59:60"`` is a leap second).

    Returns
    -------
    numpy.ndarray
        GPS seconds (float64; a 0-d array for a scalar input).
    """
    t = utc if isinstance(utc, Time) else Time(utc, scale="utc")
    _check_stale(t)
    return np.asarray(t.utc.gps, dtype=np.float64)


def gps_to_tai(gps_time: float | np.ndarray) -> Time:
    """GPS seconds as an astropy ``Time`` on the TAI scale (TAI = GPS + 19 s)."""
    return Time(np.asarray(gps_time, dtype=np.float64), format="gps").tai


def tai_to_gps(tai: Any) -> np.ndarray:
    """TAI instants (astropy ``Time`` or ISO strings on the TAI scale) to GPS seconds."""
    t = tai if isinstance(tai, Time) else Time(tai, scale="tai")
    return np.asarray(t.gps, dtype=np.float64)


def gps_from_week(week: int | np.ndarray, seconds_of_week: float | np.ndarray) -> np.ndarray:
    """GPS seconds from the full GPS week number and seconds of week."""
    return np.asarray(week, dtype=np.float64) * SECONDS_PER_WEEK + np.asarray(
        seconds_of_week, dtype=np.float64)


def gps_to_week(gps_time: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split GPS seconds into full week number and seconds of week."""
    t = np.asarray(gps_time, dtype=np.float64)
    week = np.floor(t / SECONDS_PER_WEEK)
    return week.astype(np.int64), t - week * SECONDS_PER_WEEK
