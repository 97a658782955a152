"""Simulator: echo synthesis rate and spectra per second.

- Echo synthesis: scatterer-pulse contributions per second of the distributed-scene route
  (exact delays, band-limited impulses, FFT chirp convolution) against the exact
  sample-by-sample route on the same pulses (the baseline it replaces for large scenes).
- Spectra: fine-grid radiance through the ISRF per sounding with precomputed layer optical
  depths, against rebuilding the line-by-line optical depths for every spectrum.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.common import Result
from flightlog.constants import C_LIGHT_M_S
from sim.flight import AnalyticFlight, Turbulence
from sim.radiative import BandModel, Sounding
from sim.sar_echo import RadarBand, synthesize
from sim.sar_raw import ground_frame, place, pulse_geometry

BAND = RadarBand(1.2575e9, 85e6, 10e-6, 1, 3500.0, 160.0, 100e6, 10.0, 35.0)
ANT = {"depression_deg": 45.0, "boresight_deg": {}}


def _echo_rates(n_scatterers: int = 20000, n_pulses: int = 128) -> tuple[float, float]:
    t0 = 2381 * 604800.0
    flight = AnalyticFlight(t0, altitude_m=3000.0, speed_mps=120.0, turbulence=Turbulence(),
                            seed=0)
    centre, along, across = ground_frame(flight, t0, 3000.0, "right")
    rng = np.random.default_rng(0)
    xyz = place(centre, along, across, rng.uniform(-100, 100, (n_scatterers, 2)))
    s = np.tile(np.eye(2, dtype=complex), (n_scatterers, 1, 1))
    t = t0 + np.arange(n_pulses) / 500.0
    geom = pulse_geometry(flight, t, np.zeros(3), ANT, "right")
    r = np.linalg.norm(centre - geom.apc[0])
    tau0 = np.full(n_pulses, 2 * (r - 300) / C_LIGHT_M_S - 5e-6)
    tx = np.arange(n_pulses) % 2
    none3, none22 = np.zeros((0, 3)), np.zeros((0, 2, 2))
    synthesize(geom, tx, tau0, 1536, BAND, none3, none22, xyz[:5], s[:5])  # compile
    synthesize(geom, tx, tau0, 1536, BAND, xyz[:5], s[:5], none3, none22)
    t_fast = time.perf_counter()
    synthesize(geom, tx, tau0, 1536, BAND, none3, none22, xyz, s)
    fast = n_pulses * n_scatterers / (time.perf_counter() - t_fast)
    n_exact = 500
    t_ex = time.perf_counter()
    synthesize(geom, tx, tau0, 1536, BAND, xyz[:n_exact], s[:n_exact], none3, none22)
    exact = n_pulses * n_exact / (time.perf_counter() - t_ex)
    return fast, exact


def _spectra_rates(n: int = 40) -> tuple[float, float]:
    t_build = time.perf_counter()
    model = BandModel("WCO2", 1590.0, 1620.0, 0.0, 3.0)
    build = time.perf_counter() - t_build
    pix = np.linspace(1590.0, 1620.0, 600)
    rng = np.random.default_rng(1)
    t_run = time.perf_counter()
    for _ in range(n):
        s = Sounding(float(rng.uniform(0.05, 0.3)), co2_scale=float(rng.uniform(0.99, 1.01)),
                     sza_deg=40.0, vza_deg=float(rng.uniform(0, 5)))
        model.convolve(model.radiance(s), 0.13, pix)
    per = (time.perf_counter() - t_run) / n
    return 1.0 / per, 1.0 / (per + build)


def run() -> list[Result]:
    """Echo synthesis and spectra rates against their same-run baselines."""
    fast, exact = _echo_rates()
    spec, rebuild = _spectra_rates()
    return [
        Result("echo synthesis, distributed route", "Mcontrib/s", fast / 1e6, exact / 1e6,
               "exact per-sample route", "-", None),
        Result("spectra (WCO2 band, 600 pixels, LBL + ISRF)", "spectra/s", spec, rebuild,
               "rebuild optical depths per spectrum", "-", None),
    ]
