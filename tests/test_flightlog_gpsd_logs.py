"""Navigation readers on real files: NMEA captures of real
receivers (gpsd's regression logs, tests/data/gpsd) against gpsd's own decoding of the
same sentences, invalid captures refused with the reason named; PDAL's SBET test files
(tests/data/pdal) against PDAL's reader test."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from flightlog.nmea import read_nmea
from flightlog.timesys import gps_to_utc

DATA = Path(__file__).parent / "data" / "gpsd"
#: captures with moving fixes that make a trajectory
GOOD = ["telit-he910", "rst39", "iTrek", "eXplorist210", "humminbird-M37", "magellan315",
        "myguide-3100", "beidou-bd", "beidou-gb", "st-teseo-liv4f"]
_TO_LLH = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)


def _second_of_day(iso: str) -> float:
    hms = iso.split("T")[1].rstrip("Z")
    h, m, s = hms.split(":")
    return round(int(h) * 3600 + int(m) * 60 + float(s), 3)


@pytest.mark.parametrize("name", GOOD)
def test_positions_equal_gpsd_decoding(name):
    traj = read_nmea(DATA / f"{name}.log")
    lon, lat, _ = _TO_LLH.transform(*traj.position.T)
    utc = gps_to_utc(traj.gps_time).isot
    ours = {_second_of_day(u): (la, lo) for u, la, lo in zip(utc, lat, lon, strict=True)}
    ref = [json.loads(x) for x in (DATA / f"{name}.log.chk").read_text().splitlines()]
    gpsd: dict[float, list[tuple[float, float]]] = {}
    for r in ref:  # a capture may hold one time twice (humminbird-M37 joins two sessions)
        gpsd.setdefault(_second_of_day(r["time"]), []).append((r["lat"], r["lon"]))
    both = [(v, min(gpsd[k], key=lambda g, v=v: abs(g[0] - v[0]) + abs(g[1] - v[1])))
            for k, v in ours.items() if k in gpsd]
    # gpsd reports every fix it decodes (from GLL and VTG too): our epochs are among them,
    # but the first, which gpsd may hold back until the receiver's first cycle is whole
    assert len(both) >= len(ours) - 1 and len(both) >= 1, (len(both), len(ours), len(ref))
    got, want = np.array([b[0] for b in both]), np.array([b[1] for b in both])
    # gpsd prints 9 decimals; NMEA's minutes carry at most 1e-7 degree: 1e-8 degree
    # is 1 mm, far below anything the sentences carry
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-8)


@pytest.mark.parametrize("name,why", [
    ("saab-r4", "altitude missing"),                       # 14-field GGA, empty altitude
    ("polarx2", "altitude missing"),
    ("skytraq", "fix quality '0' (invalid)"),               # no fix: not 17 epochs at 0N 0E
    ("GPSmap-76S", "fix quality '8' (simulation mode)"),
    ("ublox-zed-f9r", "no epoch has a heading"),            # a stationary RTK base
])
def test_unusable_captures_are_refused_with_the_reason(name, why):
    with pytest.raises(ValueError, match=str(DATA / name)) as err:
        read_nmea(DATA / f"{name}.log")
    assert why in str(err.value)


def test_sentences_after_binary_bytes_on_a_line_are_read():
    # u-blox ZED-F9R: UBX frames and NMEA on the same lines; '$$GNRMC' (ST Teseo)
    from flightlog.nmea import _SENTENCE

    raw = (DATA / "ublox-zed-f9r.log").read_bytes().decode("ascii", errors="replace")
    lines = [x for x in raw.splitlines() if "$GNRMC" in x and not x.startswith("$")]
    assert lines, "the capture has sentences after binary bytes"
    assert all(_SENTENCE.search(x) for x in lines)


PDAL = Path(__file__).parent / "data" / "pdal"


def test_pdal_sbet_records_and_trajectory():
    """PDAL's 2-points.sbet read to the values of PDAL's own reader test (raw fields to
    their 16 printed digits; geodetic position to PDAL's 6 decimals of a degree)."""
    from flightlog.sbet import read_sbet, read_sbet_records

    rec, torn = read_sbet_records(PDAL / "2-points.sbet")
    assert torn == 0 and rec.size == 2
    np.testing.assert_allclose(
        [rec["time"][0], rec["latitude"][0], rec["longitude"][0], rec["height"][0],
         rec["vel_x"][0], rec["wander"][0], rec["rate_z"][0]],
        [1.516310028360710e+05, 5.680211852972264e-01, -2.041654392303940e+00,
         1.077152953296560e+02, -2.332420866600025e+00, -2.198414736922658e-02,
         7.217812320996525e-02], rtol=1e-15)
    traj = read_sbet(PDAL / "2-points.sbet", gps_week=1500)
    lon, lat, h = _TO_LLH.transform(*traj.position.T)
    # PDAL's degrees, checked there to 1e-4 degree (its first latitude, 32.545149, is
    # 6.8e-5 degree from its own raw 0.5680211852972264 rad = 32.5452166 degree)
    np.testing.assert_allclose(lat, [32.545149, 32.545216], atol=1e-4)
    np.testing.assert_allclose(lat, np.degrees(rec["latitude"]), atol=1e-9)
    np.testing.assert_allclose(lon, [-116.978180, -116.978180], atol=1e-4)
    np.testing.assert_allclose(np.degrees(rec["heading"]), [174.567247, 174.587752],
                               atol=1e-6)
    np.testing.assert_allclose(np.degrees(rec["roll"]), [-1.611964, -1.612221], atol=1e-6)
    np.testing.assert_allclose(h, [1.077152953296560e+02, 1.077151424357507e+02], atol=1e-6)
    np.testing.assert_allclose(traj.gps_time - 1500 * 604800.0,
                               [1.516310028360710e+05, 1.516310078318641e+05], atol=1e-9)


def test_pdal_bad_sbet_is_refused_with_the_torn_record():
    # 271 bytes: one record and 135 bytes of a second. PDAL throws; so do we, naming it.
    from flightlog.sbet import read_sbet_records

    rec, torn = read_sbet_records(PDAL / "badfile.sbet")
    assert (rec.size, torn) == (1, 135)
    from flightlog.sbet import read_sbet

    with pytest.raises(ValueError, match="fewer than two good SBET records"):
        read_sbet(PDAL / "badfile.sbet", gps_week=1500)
