"""End to end: a simulated dump aligned against the simulator's truth."""

import json

import h5py
import numpy as np
import pytest
from naive import ray_ground_bisect

from flightlog.align import align, write_aligned
from flightlog.descriptor import load_descriptor
from postflight.cli import EXIT_ANOMALIES, EXIT_OK, EXIT_UNUSABLE, main
from sim import simulate
from sim.flight import AnalyticFlight, Turbulence


@pytest.fixture(scope="module")
def clocky_dump(tmp_path_factory):
    """12 s with both clocks reset at 6.3 s, corrupt and lost sync packets."""
    return simulate("demo", tmp_path_factory.mktemp("al") / "d", seed=5, duration_s=12.0,
                    faults="clock_reset=6.3,corrupt_sync=0.1,sync_drop=0.05")


def truth_flight(dump):
    with h5py.File(dump / "truth" / "truth.h5") as f:
        p = dict(f["trajectory"].attrs)
        timing = dict(f["timing"].attrs)
    tb = Turbulence(p["turbulence_track_m"], p["turbulence_height_m"],
                    p["turbulence_roll_deg"], p["turbulence_pitch_deg"],
                    p["turbulence_crab_deg"])
    flight = AnalyticFlight(p["t0_gps"], p["lat0_deg"], p["lon0_deg"], p["altitude_m"],
                            p["speed_mps"], p["heading_deg"], p["turn_rate_deg_s"], tb,
                            int(p["seed"]))
    return flight, timing


def test_pulse_times_and_phase_centres(clocky_dump):
    al = align(clocky_dump)
    flight, timing = truth_flight(clocky_dump)
    lever = np.asarray(load_descriptor(clocky_dump).sar.antenna.lever_arm_m)
    assert len(al.clocks["sar"].pieces) == 2 and len(al.clocks["ghgsif"].pieces) == 2
    assert set(al.sar) == {(0, "HH"), (0, "HV"), (0, "VH"), (0, "VV")}
    for (_, pol), c in al.sar.items():
        assert c.valid.all()
        truth_t = timing["t0_gps"] + c.pulse_counter / timing["prf_hz"]
        assert np.max(np.abs(c.gps_time - truth_t)) <= 1e-6
        # transmit H on even pulses, V on odd ones (tx_sequence H, V)
        assert np.all(c.pulse_counter % 2 == (0 if pol[0] == "H" else 1))
        apc = flight.ecef(truth_t) + flight.body_to_ecef(truth_t).apply(lever)
        assert np.linalg.norm(c.position - apc, axis=1).max() <= 1e-3
        v = flight.ecef_velocity(truth_t)
        assert np.linalg.norm(c.velocity - v, axis=1).max() < 0.2  # rotation of the lever arm


def test_frame_times_and_footprints(clocky_dump):
    al = align(clocky_dump, reference_height_m=120.0)
    flight, timing = truth_flight(clocky_dump)
    desc = load_descriptor(clocky_dump)
    g = desc.ghgsif
    for name, band in al.ghgsif.items():
        bid = {b.name: b.id for b in g.bands}[name]
        truth_t = (timing["t0_gps"] + band.frame_counter / timing["frame_rate_hz"]
                   + timing["frame_band_offset_s"] * bid)
        assert np.max(np.abs(band.gps_time - truth_t)) <= 1e-6
        assert band.valid.all()
        # a few footprints against the slow reference with the true trajectory
        n_pix = band.latitude.shape[1]
        for i in (0, len(truth_t) // 2):
            tm = truth_t[i] + 0.5 * band.integration_time_s[i]
            rot = flight.body_to_ecef(np.array([tm]))
            pupil = flight.ecef(np.array([tm]))[0] + rot.apply(g.lever_arm_m)[0]
            for j in (0, n_pix // 2, n_pix - 1):
                ang = np.deg2rad((j + 0.5) / n_pix * g.across_track_fov_deg
                                 - g.across_track_fov_deg / 2)
                d = rot.apply([0.0, np.sin(ang), np.cos(ang)])[0]
                ref = ray_ground_bisect(pupil, d, 120.0)
                from flightlog.geodesy import geodetic_to_ecef
                got = geodetic_to_ecef(np.deg2rad([band.latitude[i, j]]),
                                       np.deg2rad([band.longitude[i, j]]),
                                       np.array([band.height[i, j]]))[0]
                assert np.linalg.norm(got - ref) < 0.01
        assert np.all((band.solar_zenith > 0) & (band.solar_zenith < 90))
        assert np.all(band.view_zenith < g.across_track_fov_deg / 2 + 5)


def test_aligned_product_and_cli(clocky_dump, tmp_path, capsys):
    rc = main(["align", str(clocky_dump), str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == EXIT_ANOMALIES  # corrupt sync packets were rejected: reported
    assert "sar clock: 2 piece(s)" in out and "rejected pair" in out
    with h5py.File(tmp_path / "aligned.h5") as f:
        assert f["sar/band0/HV/position_ecef"].shape[1] == 3
        assert f["ghgsif/O2A/latitude"].attrs["units"] == "degrees_north"
        inputs = json.loads(f.attrs["inputs"])
        assert any(i["path"] == "flight.json" and len(i["sha256"]) == 64 for i in inputs)
        assert json.loads(f.attrs["configuration"])["reference_height_m"] == 0.0
        assert f.attrs["software_version"]
    assert not list(tmp_path.glob("*.part"))


def test_clean_dump_aligns_clean(demo_dump, tmp_path, capsys):
    assert main(["align", str(demo_dump), str(tmp_path)]) == EXIT_OK
    assert main(["align", str(tmp_path / "nothing"), str(tmp_path)]) == EXIT_UNUSABLE


def test_navigation_fallback_to_novatel_and_nmea(demo_dump, tmp_path):
    import shutil

    d = tmp_path / "d"
    shutil.copytree(demo_dump, d)
    (d / "nav" / "sbet.out").unlink()
    al = align(d)
    assert "INSPVAXA" in al.trajectory.source
    c = al.sar[(0, "HH")]
    ref = align(demo_dump).sar[(0, "HH")]
    assert np.linalg.norm(c.position - ref.position, axis=1).max() < 0.05
    (next((d / "nav").glob("*.asc"))).unlink()
    al = align(d)
    assert "NMEA" in al.trajectory.source


def test_write_aligned_is_atomic(clocky_dump, tmp_path, monkeypatch):
    al = align(clocky_dump)
    import h5py as h5

    real = h5.File.create_group

    def boom(self, name, *a, **k):
        if name.startswith("ghgsif"):
            raise RuntimeError("disk full")
        return real(self, name, *a, **k)

    monkeypatch.setattr(h5.File, "create_group", boom)
    with pytest.raises(RuntimeError):
        write_aligned(al, tmp_path / "aligned.h5")
    assert list(tmp_path.iterdir()) == []


def test_rejected_navigation_logs_are_named_in_the_error(demo_dump, tmp_path):
    """No SBET, and every real-time log unusable: the error says why each was refused."""
    import shutil

    from flightlog.align import AlignmentError, load_trajectory
    from flightlog.descriptor import load_descriptor

    shutil.copy(demo_dump / "flight.json", tmp_path / "flight.json")
    (tmp_path / "nav").mkdir()
    (tmp_path / "nav" / "novatel.asc").write_text("#INSPVAXA,garbage\n")
    (tmp_path / "nav" / "nav.nmea").write_text("$GPGGA,nonsense*00\n")
    with pytest.raises(AlignmentError) as err:
        load_trajectory(load_descriptor(tmp_path))
    msg = str(err.value)
    assert "no SBET" in msg and "rejected: novatel.asc: " in msg and "nav.nmea: " in msg
