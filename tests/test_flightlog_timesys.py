import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flightlog.timesys import (
    StaleLeapSecondTable,
    gps_from_week,
    gps_to_tai,
    gps_to_utc,
    gps_to_week,
    leap_second_table_expiry,
    tai_to_gps,
    utc_to_gps,
)

# 2017-01-01T00:00:00 UTC is GPS 1167264018 s (GPS-UTC = 18 s from then on).
GPS_2017 = 1167264018.0


def test_leap_second_2016_12_31():
    before = utc_to_gps("2016-12-31T23:59:59")
    leap = utc_to_gps("2016-12-31T23:59:60")
    after = utc_to_gps("2017-01-01T00:00:00")
    assert float(after) == GPS_2017
    assert float(leap) == GPS_2017 - 1
    assert float(before) == GPS_2017 - 2
    assert gps_to_utc(GPS_2017 - 1).isot == "2016-12-31T23:59:60.000"
    assert gps_to_utc(GPS_2017).isot == "2017-01-01T00:00:00.000"
    assert gps_to_utc(GPS_2017 - 2).isot == "2016-12-31T23:59:59.000"
    # GPS - UTC was 17 s before the leap second and 18 s after it.
    assert float(utc_to_gps("2016-06-01T00:00:00")) == pytest.approx(
        1148774417.0, abs=1e-6)


def test_week_boundary():
    t = gps_from_week(1930, 604799.75)
    assert gps_from_week(1931, 0.25) - t == pytest.approx(0.5)
    week, sow = gps_to_week(gps_from_week(1931, 0.25))
    assert (int(week), float(sow)) == (1931, 0.25)
    # GPS week 1931 started 2017-01-08T00:00:00 GPS = 2017-01-07T23:59:42 UTC.
    assert gps_to_utc(gps_from_week(1931, 0.0)).isot == "2017-01-07T23:59:42.000"


def test_tai_is_gps_plus_19():
    t = gps_to_tai(GPS_2017)
    assert t.isot == "2017-01-01T00:00:37.000"
    assert float(tai_to_gps(t)) == GPS_2017


def test_stale_table_is_loud():
    expiry = leap_second_table_expiry()
    late = float(utc_to_gps(expiry.isot)) + 86400 * 400
    with pytest.warns(StaleLeapSecondTable, match="EXPIRED"):
        gps_to_utc(late)
    with warnings.catch_warnings():
        warnings.simplefilter("error", StaleLeapSecondTable)
        gps_to_utc(GPS_2017)


@given(st.floats(0.0, 1.4e9, allow_nan=False))
def test_round_trip_utc(t):
    back = float(utc_to_gps(gps_to_utc(t)))
    assert back == pytest.approx(t, abs=1e-6)


@given(st.integers(0, 4000), st.floats(0.0, 604799.999))
def test_round_trip_week(week, sow):
    w, s = gps_to_week(gps_from_week(week, sow))
    assert int(w) == week and float(s) == pytest.approx(sow, abs=1e-6)


def test_vectorised():
    t = GPS_2017 + np.arange(-3, 3)
    assert np.allclose(utc_to_gps(gps_to_utc(t)), t)
