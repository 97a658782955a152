import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from flightlog.sbet import SBET_RECORD_BYTES, read_sbet, write_sbet
from sim.flight import CALM, AnalyticFlight, Turbulence

WEEK = 2381
T0 = WEEK * 604800.0 + 604700.0  # 100 s before a GPS week boundary


def sbet_for(tmp_path, flight, seconds=200.0, rate=200.0, drop=None):
    t = T0 - 10 + np.arange(int(seconds * rate)) / rate
    rec = flight.sbet_records(t)
    if drop is not None:
        rec = np.delete(rec, drop)
        t = np.delete(t, drop)
    path = tmp_path / "sbet.out"
    write_sbet(path, rec)
    return path, t


@pytest.mark.parametrize("turn", [0.0, 3.0])
def test_interpolation_against_analytic_trajectory(tmp_path, turn):
    flight = AnalyticFlight(T0, speed_mps=200.0, altitude_m=9000.0, turn_rate_deg_s=turn,
                            turbulence=Turbulence(track_m=3.0, roll_deg=3.0), seed=3)
    path, t = sbet_for(tmp_path, flight)
    traj = read_sbet(path, WEEK)
    assert traj.bad_records == []
    assert traj.gps_time[-1] > (WEEK + 1) * 604800.0  # crossed the week boundary
    # between samples, at arbitrary fractions
    rng = np.random.default_rng(0)
    tq = t[:-1] + rng.uniform(0, 1, t.size - 1) / 200.0
    st_ = traj.interpolate(tq)
    assert st_.valid.all()
    dpos = np.linalg.norm(st_.position - flight.ecef(tq), axis=1)
    assert dpos.max() <= 1e-3
    datt = np.rad2deg((Rotation.from_quat(st_.quaternion).inv()
                       * flight.body_to_ecef(tq)).magnitude())
    assert datt.max() <= 1e-3
    dvel = np.linalg.norm(st_.velocity - flight.ecef_velocity(tq), axis=1)
    assert dvel.max() <= 1e-3


def test_no_extrapolation_and_gaps_flagged(tmp_path):
    flight = AnalyticFlight(T0, turbulence=CALM)
    drop = np.arange(1000, 1030)  # 150 ms of lost records
    path, t = sbet_for(tmp_path, flight, seconds=20, drop=drop)
    traj = read_sbet(path, WEEK, max_gap_s=0.05)
    gap_start, gap_end = t[999], t[1000]
    assert traj.gaps() == [(pytest.approx(gap_start), pytest.approx(gap_end))]
    q = np.array([t[0] - 0.001, t[0], gap_start + 0.01, gap_end - 0.01, t[-1], t[-1] + 1e-3])
    st_ = traj.interpolate(q)
    assert st_.valid.tolist() == [False, True, False, False, True, False]
    assert np.isnan(st_.position[~st_.valid]).all()


def test_bad_records_reported_and_skipped(tmp_path):
    flight = AnalyticFlight(T0, turbulence=CALM)
    t = T0 + np.arange(400) / 200.0
    rec = flight.sbet_records(t)
    rec["latitude"][10] = np.nan
    rec["time"][20] -= 1.0  # goes backwards
    rec["height"][30] = 1e7  # impossible
    path = tmp_path / "sbet.out"
    write_sbet(path, rec)
    with open(path, "ab") as fh:
        fh.write(b"\x00" * 50)  # torn last record
    traj = read_sbet(path, WEEK)
    bad = {b["record"]: b["reason"] for b in traj.bad_records}
    assert set(bad) == {10, 20, 30, 400}
    assert "torn" in bad[400] and "finite" in bad[10] and "after" in bad[20]
    assert traj.gps_time.size == 397
    assert all(b["file"] == str(path) for b in traj.bad_records)


@given(st.binary(max_size=5 * SBET_RECORD_BYTES + 7))
def test_sbet_arbitrary_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("sb") / "sbet.out"
    path.write_bytes(data)
    try:
        traj = read_sbet(path, WEEK)
    except ValueError as exc:
        assert "fewer than two good SBET records" in str(exc)
    else:
        assert np.all(np.diff(traj.gps_time) > 0)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(3, 40))
def test_hermite_and_slerp_match_scipy(seed, n):
    """The interpolation kernel against scipy's CubicHermiteSpline and Slerp on random
    knots, velocities and attitudes (sign-continuous quaternions)."""
    from naive import hermite_slerp_direct

    from flightlog.trajectory import interpolate_kernel

    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.005, 0.02, n)) + 1.3e9
    pos = rng.normal(size=(n, 3)) * 1e3 + np.array([-3.9e6, 3.3e6, 3.7e6])
    vel = rng.normal(size=(n, 3)) * 100
    rot = Rotation.from_rotvec(np.cumsum(rng.normal(size=(n, 3)) * 0.05, axis=0))
    quat = rot.as_quat()
    quat[np.cumsum(np.r_[0, np.sum(quat[1:] * quat[:-1], axis=1) < 0]) % 2 == 1] *= -1
    tq = rng.uniform(t[0], t[-1], 200)
    out = [np.empty((tq.size, 3)), np.empty((tq.size, 3)), np.empty((tq.size, 4))]
    ok = np.empty(tq.size, bool)
    interpolate_kernel(t, pos, vel, quat, 1.0, tq, *out, ok)
    p, v, q = hermite_slerp_direct(t, pos, vel, quat, tq)
    assert ok.all()
    np.testing.assert_allclose(out[0], p, rtol=0, atol=1e-6)  # m, at ECEF magnitudes
    np.testing.assert_allclose(out[1], v, rtol=0, atol=1e-6)
    # the same rotation whatever the quaternion's sign
    np.testing.assert_allclose(np.abs(np.sum(out[2] * q, axis=1)), 1.0, atol=1e-12)
