"""Simulator SAR physics against slow references and the requested statistics."""

import numpy as np
import pytest
from naive import point_echo_reference

from flightlog.constants import C_LIGHT_M_S
from sim.flight import AnalyticFlight, Turbulence
from sim.sar_echo import RadarBand, synthesize
from sim.sar_raw import ground_frame, place, pulse_geometry
from sim.scattering import (
    LAND_CLASSES,
    Distortion,
    dihedral,
    dipole,
    draw_scatterers,
    trihedral,
    trihedral_rcs,
)

BAND = RadarBand(1.2575e9, 85e6, 10e-6, 1, 3500.0, 160.0, 100e6, 10.0, 35.0)
ANT = {"depression_deg": 45.0, "boresight_deg": {"roll": 0.0, "pitch": 0.0, "yaw": 0.0}}
LEVER = np.array([1.2, 0.0, 0.85])


def setup(seed=0):
    t0 = 2381 * 604800.0 + 1000.0
    flight = AnalyticFlight(t0, altitude_m=3000.0, speed_mps=120.0, heading_deg=10.0,
                            turbulence=Turbulence(track_m=2.0, roll_deg=2.0), seed=seed)
    centre, along, across = ground_frame(flight, t0, 3000.0, "right")
    return flight, t0, centre, along, across


@pytest.mark.parametrize("along_m", [0.0, -250.0, 300.0])
def test_point_echo_phase_and_delay_match_analytic_range(along_m):
    flight, t0, centre, along, across = setup()
    x = place(centre, along, across, np.array([[along_m, 20.0]]))[0]
    t = t0 + np.array([-0.7, 0.0, 0.45])
    geom = pulse_geometry(flight, t, LEVER, ANT, "right")
    r = np.linalg.norm(x - geom.apc[1])
    tau0 = np.full(t.size, 2 * r / C_LIGHT_M_S - 7e-6)
    echo = synthesize(geom, np.zeros(t.size, int), tau0, 1400, BAND, x[None], np.eye(2)[None]
                      .astype(complex), np.zeros((0, 3)), np.zeros((0, 2, 2)))

    def apc(tt):
        return flight.ecef(np.array([tt]))[0] + flight.body_to_ecef(np.array([tt])).apply(
            LEVER)[0]

    for p in range(t.size):
        tau = tau0[p] + np.arange(1400) / BAND.adc_sampling_rate_hz
        ref = point_echo_reference(apc, x, t[p], tau, BAND.center_frequency_hz,
                                   BAND.chirp_rate, BAND.chirp_duration_s)
        on = np.abs(ref) > 0
        got = echo[p, 0]
        assert np.array_equal(np.abs(got) > 0, on)  # same samples: same delay
        assert echo[p, 1][on].std() == 0  # no HV from S = I
        cyc = np.angle(got[on] / ref[on]) / (2 * np.pi)
        assert np.max(np.abs(cyc)) <= 1e-3


def test_fast_route_agrees_with_exact_route():
    flight, t0, centre, along, across = setup(1)
    x = place(centre, along, across, np.array([[150.0, -30.0]]))
    t = t0 + np.arange(16) / 500.0
    geom = pulse_geometry(flight, t, LEVER, ANT, "right")
    tau0 = np.full(t.size, 2 * np.linalg.norm(x[0] - geom.apc[0]) / C_LIGHT_M_S - 8e-6)
    s = dihedral(10.0, 22.5)[None]
    exact = synthesize(geom, np.arange(16) % 2, tau0, 1800, BAND, x, s, np.zeros((0, 3)),
                       np.zeros((0, 2, 2)))
    fast = synthesize(geom, np.arange(16) % 2, tau0, 1800, BAND, np.zeros((0, 3)),
                      np.zeros((0, 2, 2)), x, s)
    c = np.vdot(exact, fast) / (np.linalg.norm(exact) * np.linalg.norm(fast))
    assert abs(c) > 0.999
    assert abs(np.angle(c)) / (2 * np.pi) < 1e-3
    assert np.linalg.norm(fast) / np.linalg.norm(exact) == pytest.approx(1.0, abs=2e-3)


def test_radar_equation_amplitude():
    # A trihedral on boresight: peak echo amplitude from the radar equation.
    flight, t0, centre, along, across = setup(2)
    flight = AnalyticFlight(t0, altitude_m=3000.0, speed_mps=120.0, heading_deg=10.0,
                            turbulence=Turbulence(0, 0, 0, 0, 0), seed=2)
    centre, along, across = ground_frame(flight, t0, 3000.0, "right")
    geom = pulse_geometry(flight, np.array([t0]), np.zeros(3), ANT, "right")
    rcs = trihedral_rcs(1.0, BAND.wavelength_m)
    r = np.linalg.norm(centre - geom.apc[0])
    tau0 = np.array([2 * r / C_LIGHT_M_S - 6e-6])
    echo = synthesize(geom, np.zeros(1, int), tau0, 1200, BAND, centre[None],
                      trihedral(rcs)[None], np.zeros((0, 3)), np.zeros((0, 2, 2)))
    # received power P_t G^2 lambda^2 sigma / ((4 pi)^3 R^4), amplitude in counts
    g = BAND.peak_gain
    bore = geom.boresight[0]
    off = np.arccos(np.clip(bore @ (centre - geom.apc[0]) / r, -1, 1))
    pr = BAND.peak_power_w * g**2 * BAND.wavelength_m**2 * rcs / ((4 * np.pi) ** 3 * r**4)
    amp = 10 ** (BAND.calibration_constant_db / 20) * np.sqrt(pr)
    assert off < np.deg2rad(0.5)  # on boresight, pattern loss below 0.01 dB
    assert np.abs(echo[0, 0]).max() == pytest.approx(amp, rel=2e-3)


def test_canonical_matrices():
    assert np.allclose(trihedral(4 * np.pi), np.eye(2))
    d0, d45 = dihedral(4 * np.pi, 0.0), dihedral(4 * np.pi, 45.0)
    assert np.allclose(d0, np.diag([1, -1])) and np.allclose(d45, [[0, 1], [1, 0]])
    assert np.allclose(dipole(4 * np.pi, 90.0), np.diag([0, 1]))
    d = Distortion.from_db(-20.0, 1.0, 20.0)
    o = d.apply(np.eye(2))
    assert np.allclose(o, d.receive @ d.transmit)
    assert abs(d.imbalance) == pytest.approx(10 ** (1 / 20))
    assert np.rad2deg(np.angle(d.imbalance)) == pytest.approx(20.0)
    assert all(abs(abs(c) - 0.1) < 1e-12 for c in d.crosstalk)


@pytest.mark.parametrize("code", sorted(LAND_CLASSES))
def test_class_covariance_within_sampling_error(code):
    rng = np.random.default_rng(code)
    n = 40_000
    s = draw_scatterers(np.full((200, 200), code), 2.0, rng)
    k = np.stack([s[:, 0, 0], np.sqrt(2) * s[:, 0, 1], s[:, 1, 1]], axis=1)
    assert np.allclose(s[:, 0, 1], s[:, 1, 0])  # reciprocity
    c_hat = (k.T @ k.conj()) / n * 4 * np.pi / 4.0  # per unit area
    c = LAND_CLASSES[code][1]
    for i in range(3):
        for j in range(3):
            sigma = np.sqrt(c[i, i].real * c[j, j].real / n)  # standard error of the mean
            assert abs(c_hat[i, j] - c[i, j]) < 5 * sigma, (i, j)


def test_two_bands_interleave_and_8_bit_clipping():
    import copy

    from flightlog.payloads import ECHO_HEADER_DTYPE, SAMPLE_INT8
    from sim.sar_raw import SarRecording, Scene, sar_items
    from sim.scenarios import SCENARIO_CONFIGS, descriptor_dict

    cfg = SCENARIO_CONFIGS["demo"]
    desc = descriptor_dict("X", cfg)
    b1 = copy.deepcopy(desc["sar"]["bands"][0])
    b1.update(id=7, center_frequency_hz=1.2e9, bandwidth_hz=50e6)
    desc["sar"]["bands"].append(b1)
    flight, t0, centre, along, across = setup(3)
    scene = Scene(point_xyz=centre[None], point_s=trihedral(500.0)[None],
                  point_kind=["trihedral"])
    rec = SarRecording(cfg.n_samples, cfg.window_start_ticks, sample_format=SAMPLE_INT8,
                       agc_fraction=2.0)  # gain set too high on purpose: the quantiser clips
    items, truth = sar_items(desc, flight, t0, t0 + 0.02, scene, rec,
                             np.random.default_rng(0))
    echoes = [it for it in items if it.apid == 0x101]
    hdr = np.array([np.frombuffer(it.payload[:24], ECHO_HEADER_DTYPE)[0] for it in echoes])
    times = np.array([it.gps_time for it in echoes])
    assert np.all(np.diff(times) >= 0)
    assert set(hdr["band_id"]) == {0, 7}
    for bid in (0, 7):
        sel = hdr["band_id"] == bid
        assert np.array_equal(np.unique(hdr["pulse_counter"][sel]), np.arange(10))
    # band 7 transmits half a PRI after band 0
    t_b0 = times[hdr["band_id"] == 0][::2]
    t_b7 = times[hdr["band_id"] == 7][::2]
    assert np.allclose(t_b7 - t_b0, 0.5 / desc["sar"]["prf_hz"], rtol=0, atol=1e-6)
    assert all(h["sample_format"] == 1 for h in hdr)
    assert truth["bands"]["0"]["clipped_components"] > 0
    s = np.frombuffer(echoes[0].payload[24:], ">i1")
    assert s.max() <= 127 and s.min() >= -127
