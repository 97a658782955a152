"""Navigation interpolation: 10 million states (position, velocity, attitude).

Baseline: the straightforward scipy route, ``CubicHermiteSpline`` on ECEF positions with
the recorded velocities (and its derivative for velocity) plus ``Slerp`` on the attitude,
on the same trajectory and query times.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicHermiteSpline
from scipy.spatial.transform import Rotation, Slerp

from benchmarks.common import Result, best_of
from flightlog.trajectory import Trajectory
from sim.flight import AnalyticFlight


def run(n_states: int = 10_000_000) -> list[Result]:
    """Time ours against scipy on ``n_states`` query times over a 1-hour 200 Hz trajectory."""
    t0 = 2381 * 604800.0
    flight = AnalyticFlight(t0, speed_mps=200.0, turn_rate_deg_s=0.5, seed=1)
    t = t0 + np.arange(0, 3600.0, 1 / 200.0)
    traj = Trajectory(t, flight.ecef(t), flight.ecef_velocity(t),
                      flight.body_to_ecef(t).as_quat())
    rng = np.random.default_rng(0)
    tq = np.sort(rng.uniform(t[0], t[-1], n_states))

    def ours() -> None:
        st = traj.interpolate(tq)
        assert st.valid.all()

    def scipy_baseline() -> None:
        spline = CubicHermiteSpline(traj.gps_time, traj.position, traj.velocity, axis=0)
        spline(tq)
        spline.derivative()(tq)
        Slerp(traj.gps_time, Rotation.from_quat(traj.quaternion))(tq).as_quat()

    ours()  # compile
    st = traj.interpolate(tq[:1000])
    ref = CubicHermiteSpline(traj.gps_time, traj.position, traj.velocity, axis=0)(tq[:1000])
    assert np.abs(st.position - ref).max() < 1e-6  # same numbers
    t_ours = best_of(ours, 3)
    t_base = best_of(scipy_baseline, 2)
    rate, base = n_states / t_ours, n_states / t_base
    return [Result("interpolate 10M states (pos, vel, attitude)", "Mstates/s", rate / 1e6,
                   base / 1e6, "scipy Hermite+Slerp", ">= 5x", rate / base >= 5.0)]
