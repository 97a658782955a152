import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from naive import crc32_novatel

from flightlog.nmea import nmea_checksum, read_nmea, write_nmea
from flightlog.novatel import novatel_crc32, read_inspvaxa, write_inspvaxa
from sim.flight import AnalyticFlight, Turbulence

T0 = 2381 * 604800.0 + 3600.0


@given(st.binary(max_size=200))
def test_novatel_crc_matches_bitwise(data):
    assert novatel_crc32(data) == crc32_novatel(data)


def flight_samples(rate_hz, seconds=30.0):
    f = AnalyticFlight(T0, turbulence=Turbulence(track_m=1.0), seed=2)
    t = T0 + np.arange(int(seconds * rate_hz)) / rate_hz
    lat, lon, h = f.geodetic(t)
    return f, t, lat, lon, h, f.ned_velocity(t), f.euler(t)


def test_novatel_round_trip(tmp_path):
    f, t, lat, lon, h, v, (roll, pitch, hdg) = flight_samples(20)
    write_inspvaxa(tmp_path / "n.asc", t, lat, lon, h, v, roll, pitch, hdg)
    traj = read_inspvaxa(tmp_path / "n.asc")
    assert traj.bad_records == []
    assert np.allclose(traj.gps_time, t, atol=5e-4)
    assert np.abs(traj.position - f.ecef(t)).max() < 1e-3  # 1e-11 deg, 0.1 mm height


def test_novatel_bad_lines(tmp_path):
    f, t, lat, lon, h, v, (roll, pitch, hdg) = flight_samples(20, 2.0)
    p = tmp_path / "n.asc"
    write_inspvaxa(p, t, lat, lon, h, v, roll, pitch, hdg)
    lines = p.read_text().splitlines()
    lines[3] = lines[3].replace("INS_PPP", "INS_PSR")  # CRC now wrong
    head, _, rest = lines[5].partition(";")
    body = rest.split("*")[0].split(",")
    from flightlog.novatel import novatel_crc32 as c

    short = head[1:] + ";" + ",".join(body[:-1])
    lines[5] = f"#{short}*{c(short.encode()):08x}"  # good CRC, one field short
    lines.insert(7, "#BESTPOSA,COM1,0,0.0,FINESTEERING,2381,1.0,0,0,0;x*00000000")
    p.write_text("\n".join(lines) + "\n")
    traj = read_inspvaxa(p)
    reasons = {b["record"]: b["reason"] for b in traj.bad_records}
    assert reasons == {4: "CRC-32 mismatch", 6: "wrong field count (10 header, 22 data)"}
    assert traj.gps_time.size == t.size - 2


def test_nmea_round_trip(tmp_path):
    f, t, lat, lon, h, v, (roll, pitch, hdg) = flight_samples(5)
    write_nmea(tmp_path / "n.nmea", t, lat, lon, h, v, hdg)
    traj = read_nmea(tmp_path / "n.nmea")
    assert traj.bad_records == []
    assert np.allclose(traj.gps_time, t, atol=1e-6)
    # 1e-7 minutes of arc is 0.2 mm; heights to 1 mm
    assert np.abs(traj.position - f.ecef(t)).max() < 5e-3
    assert "no roll or pitch" in traj.source


def test_nmea_bad_sentences(tmp_path):
    f, t, lat, lon, h, v, (roll, pitch, hdg) = flight_samples(5, 3.0)
    p = tmp_path / "n.nmea"
    write_nmea(p, t, lat, lon, h, v, hdg)
    lines = p.read_text().splitlines()
    lines[0] = lines[0][:-2] + ("00" if lines[0][-2:] != "00" else "11")
    body = "GPGGA,1,2,3"
    lines[3] = f"${body}*{nmea_checksum(body):02X}"
    p.write_text("\n".join(lines) + "\n")
    traj = read_nmea(p)
    reasons = {b["record"]: b["reason"] for b in traj.bad_records}
    assert reasons == {1: "checksum mismatch", 4: "GGA: wrong field count 4"}


@given(st.lists(st.text(alphabet="$*,.0123456789ABCDEFGPNSWEMT#;", max_size=80), max_size=30))
def test_arbitrary_lines_only_documented_errors(tmp_path_factory, lines):
    d = tmp_path_factory.mktemp("nav")
    for name, reader in (("x.nmea", read_nmea), ("x.asc", read_inspvaxa)):
        (d / name).write_text("\n".join(lines))
        with pytest.raises(ValueError, match="fewer than two"):
            reader(d / name)
