"""Write a simulated flight as an ICD dump with its truth (``postflight simulate``)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from flightlog.constants import WGS84_A
from flightlog.nmea import write_nmea
from flightlog.novatel import write_inspvaxa
from flightlog.packets import APID_GHGSIF_TIMESYNC, APID_SAR_TIMESYNC
from flightlog.payloads import encode_timesync
from flightlog.sbet import write_sbet
from sim.catalog import SCENARIOS
from sim.clock import InstrumentClock
from sim.faults import FaultSpec
from sim.flight import AnalyticFlight
from sim.recorder import SECONDS_PER_WEEK, Item, merge_by_time, record_stream, timesync_items
from sim.sar_raw import sar_items
from sim.scattering import LAND_CLASSES
from sim.scenarios import SCENARIO_CONFIGS, ScenarioConfig, build_scene, descriptor_dict
from sim.spectrometer import SpectrometerSim, spectrometer_items

NAV_MARGIN_S = 5.0
FRAME_BAND_OFFSET_S = 0.002


def _navigation(out: Path, flight: AnalyticFlight, t0: float, duration_s: float,
                spec: FaultSpec, rng: np.random.Generator) -> list[dict[str, Any]]:
    """SBET at 200 Hz, NovAtel INSPVAXA at 20 Hz and NMEA at 5 Hz around the recording."""
    injected: list[dict[str, Any]] = []
    t = t0 - NAV_MARGIN_S + np.arange(int((duration_s + 2 * NAV_MARGIN_S) * 200)) / 200.0
    rec = flight.sbet_records(t)
    if spec.nav_noise or spec.nav_drift:
        # white noise and a slow drift in a random horizontal direction, in metres
        err = spec.nav_noise * rng.normal(size=(t.size, 3))
        az = rng.uniform(0, 2 * np.pi)
        err[:, 0] += spec.nav_drift * (t - t[0]) * np.cos(az)
        err[:, 1] += spec.nav_drift * (t - t[0]) * np.sin(az)
        r = WGS84_A + rec["height"]
        rec["latitude"] += err[:, 0] / r
        rec["longitude"] += err[:, 1] / (r * np.cos(rec["latitude"]))
        rec["height"] += err[:, 2]
        injected.append({"stream": "nav", "kind": "nav_error", "noise_m": spec.nav_noise,
                         "drift_m_per_s": spec.nav_drift, "drift_azimuth_rad": az})
    if spec.nav_corrupt:
        for i in np.flatnonzero(rng.random(rec.size) < spec.nav_corrupt):
            if i % 2:
                rec["latitude"][i] = np.nan
                kind = "nan"
            else:
                rec["time"][i] -= 0.5
                kind = "time_back"
            injected.append({"stream": "nav", "kind": "nav_corrupt", "record": int(i),
                             "what": kind})
    write_sbet(out / "nav" / "sbet.out", rec)
    for step, writer, name in ((10, write_inspvaxa, "novatel.asc"), (40, write_nmea,
                                                                      "nav.nmea")):
        ts = t[::step]
        lat, lon, h = flight.geodetic(ts)
        vned = flight.ned_velocity(ts)
        roll, pitch, heading = flight.euler(ts)
        if writer is write_inspvaxa:
            write_inspvaxa(out / "nav" / name, ts, lat, lon, h, vned, roll, pitch, heading)
        else:
            write_nmea(out / "nav" / name, ts, lat, lon, h, vned, heading)
    return injected


def _write_calibration(path: Path, sim: SpectrometerSim) -> None:
    """ICD section 8 calibration file, one group per band."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with h5py.File(tmp, "w") as f:
        for name, cal in sim.calib.items():
            g = f.create_group(name)
            g["wavelength_nm"] = cal.wavelength_nm
            g["isrf_fwhm_nm"] = cal.isrf_fwhm_nm
            g["gain"] = cal.gain
            g["dark_offset"] = cal.dark_offset
            g["bad_pixel"] = cal.bad_pixel
            g["read_noise"] = cal.read_noise
            g["electrons_per_count"] = cal.electrons_per_count
    os.replace(tmp, path)


def _corrupt_sync(item: Item) -> Item:
    sec = int(round(item.gps_time)) + 7
    week, sow = divmod(sec, SECONDS_PER_WEEK)
    return Item(item.gps_time, item.apid, encode_timesync(week, sow), item.flags)


def simulate(scenario: str, out: str | os.PathLike[str], seed: int = 0,
             duration_s: float | None = None, faults: str | None = None,
             overrides: dict[str, Any] | None = None) -> Path:
    """Write a simulated dump and its truth.

    Parameters
    ----------
    scenario : str
        One of :data:`sim.catalog.SCENARIOS`.
    out : path-like
        Dump directory to create (replaced if it exists).
    seed : int
        Seed of every random draw.
    duration_s : float, optional
        Flight time recorded; default the scenario's.
    faults : str, optional
        Fault spec (:class:`sim.faults.FaultSpec`).
    overrides : dict, optional
        Fields of the scenario's :class:`sim.scenarios.ScenarioConfig` to change, for
        dedicated cases (for example ``{"clutter": False, "nesz_db": -150.0}`` for a
        point-target-only image, or ``{"turbulence": CALM}``).

    Returns
    -------
    pathlib.Path
        The dump directory.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")
    spec = FaultSpec.parse(faults)
    cfg: ScenarioConfig = SCENARIO_CONFIGS[scenario]
    if overrides:
        unknown = set(overrides) - {f.name for f in fields(ScenarioConfig)}
        if unknown:
            raise ValueError(f"unknown scenario settings: {', '.join(sorted(unknown))}")
        cfg = replace(cfg, **overrides)
    duration = cfg.duration_s if duration_s is None else float(duration_s)
    if not 0 < duration <= 3600:
        raise ValueError("duration must be in (0, 3600] s")
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    flight_id = f"SIM-{scenario.upper()}-{seed:04d}"
    desc = descriptor_dict(flight_id, cfg)
    t0 = cfg.gps_week * SECONDS_PER_WEEK + cfg.start_sow
    t1 = t0 + duration
    flight = AnalyticFlight(t0 + duration / 2, lat0_deg=cfg.lat0_deg, lon0_deg=cfg.lon0_deg,
                            altitude_m=cfg.altitude_m, speed_mps=cfg.speed_mps,
                            heading_deg=cfg.heading_deg, turn_rate_deg_s=cfg.turn_rate_deg_s,
                            turbulence=cfg.turbulence, seed=seed)
    injected = _navigation(out, flight, t0, duration, spec, rng)
    reset = t0 + spec.clock_reset if spec.clock_reset else None
    sar_clock = InstrumentClock(epoch_gps=t0, offset_s=3.0, drift_ppm=50.0, reset_gps=reset,
                                reset_to_s=100.0)
    gs_clock = InstrumentClock(epoch_gps=t0, offset_s=1000.5, drift_ppm=-20.0,
                               reset_gps=reset, reset_to_s=10.0)
    scene = build_scene(cfg, flight, desc, np.random.default_rng([seed, 1]))
    spectro = SpectrometerSim(desc, flight, scene, cfg.n_spatial, cfg.n_spectral,
                              cfg.integration_s, np.random.default_rng([seed, 3]),
                              cloudy=cfg.cloudy)
    _write_calibration(out / "calib" / "ghgsif_calib.h5", spectro)
    g_items, gs_truth = spectrometer_items(spectro, t0, t1, cfg.frame_rate_hz,
                                           cfg.n_dark_frames, FRAME_BAND_OFFSET_S)
    g_items = list(merge_by_time(g_items, timesync_items(APID_GHGSIF_TIMESYNC, t0, t1)))
    s_items, sar_truth = sar_items(desc, flight, t0, t1, scene, cfg.recording(),
                                   np.random.default_rng([seed, 2]))
    s_items = list(merge_by_time(s_items, timesync_items(APID_SAR_TIMESYNC, t0, t1)))
    pacing: dict[str, dict[str, Any]] = {}
    for name, clock, items in (
        ("sar", sar_clock, s_items),
        ("ghgsif", gs_clock, g_items),
    ):
        directory, prefix = (out / desc[name]["stream"]).parent, Path(desc[name]["stream"]).name
        _, inj, pacing[name] = record_stream(items, clock, directory, prefix,
                                             cfg.segment_bytes, name, spec, rng, _corrupt_sync)
        pacing[name]["prefix"] = desc[name]["stream"]
        pacing[name]["segment_bytes"] = cfg.segment_bytes
        injected += inj
    _write_json(out / "flight.json", desc)
    _write_truth(out / "truth" / "truth.h5", scenario, seed, spec, injected,
                 {"sar": sar_clock, "ghgsif": gs_clock}, flight,
                 {"t0_gps": t0, "prf_hz": cfg.prf_hz, "frame_rate_hz": cfg.frame_rate_hz,
                  "frame_band_offset_s": FRAME_BAND_OFFSET_S}, scene, sar_truth, gs_truth,
                 pacing)
    _write_reflectors(out / "truth" / "reflectors.csv", scene)
    return out


def _write_reflectors(path: Path, scene: Any) -> None:
    """Write the reflector survey a field team would hand over, as `calibrate` reads it.

    ECEF position, kind and the RCS of the reflector's own polarisation (4 pi times the
    largest singular value of S, squared; before the radar distortion).
    """
    lines = ["x_ecef,y_ecef,z_ecef,kind,rcs_m2"]
    for p, k, m in zip(scene.point_xyz, scene.point_kind, scene.point_s, strict=True):
        rcs = 4 * np.pi * float(np.linalg.norm(m, 2)) ** 2
        lines.append(",".join([*(repr(float(v)) for v in p), str(k), repr(rcs)]))
    tmp = path.with_name(path.name + ".part")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, path)


def _write_json(path: Path, obj: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(obj, indent=2))
    os.replace(tmp, path)


def _write_truth(path: Path, scenario: str, seed: int, spec: FaultSpec,
                 injected: list[dict[str, Any]], clocks: dict[str, InstrumentClock],
                 flight: AnalyticFlight, timing: dict[str, float], scene: Any,
                 sar_truth: dict[str, Any], gs_truth: dict[str, Any],
                 pacing: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with h5py.File(tmp, "w") as f:
        f.attrs["scenario"] = scenario
        f.attrs["seed"] = seed
        f["faults/spec"] = json.dumps(spec.__dict__)
        f["faults/injected"] = json.dumps(injected)
        for name, c in clocks.items():
            g = f.create_group(f"clocks/{name}")
            g.attrs["epoch_gps"] = c.epoch_gps
            g.attrs["offset_s"] = c.offset_s
            g.attrs["drift_ppm"] = c.drift_ppm
            g.attrs["reset_gps"] = np.nan if c.reset_gps is None else c.reset_gps
            g.attrs["reset_to_s"] = c.reset_to_s
        g = f.create_group("trajectory")
        for k, v in flight.parameters().items():
            g.attrs[k] = v
        t = np.arange(flight.t0_gps - 30.0, flight.t0_gps + 30.0, 1 / 200.0)
        g["gps_time"] = t
        g["position_ecef"] = flight.ecef(t)
        g["quaternion_body_to_ecef"] = flight.body_to_ecef(t).as_quat()
        g = f.create_group("timing")
        for k, v in timing.items():
            g.attrs[k] = v
        g = f.create_group("sar")
        g.attrs["recording"] = json.dumps(sar_truth, default=str)
        g["targets/position_ecef"] = scene.point_xyz
        g["targets/scattering_matrix"] = scene.point_s
        g["targets/kind"] = np.array(scene.point_kind, dtype="S")
        g["targets/scattering_matrix"].attrs["convention"] = (
            "S[receive, transmit], H=0, V=1; RCS = 4 pi |S|^2; before the radar distortion")
        g["class_map"] = scene.class_map
        g["class_map"].attrs["grid"] = json.dumps(scene.class_grid, default=lambda o: (
            o.tolist() if hasattr(o, "tolist") else str(o)))
        c3 = g.create_group("class_covariance")
        for code, (name, cov) in LAND_CLASSES.items():
            c3[name] = cov
            c3[name].attrs["code"] = code
        for name, pc in pacing.items():
            g = f.create_group(f"streams/{name}")
            g["packet_offset"] = pc["packet_offset"]
            g["packet_gps_time"] = pc["packet_gps_time"]
            g.attrs["prefix"] = pc["prefix"]
            g.attrs["segment_bytes"] = pc["segment_bytes"]
        g = f.create_group("ghgsif")
        g.attrs["keys"] = "[frame, across-track pixel] per band, frames by frame_counter"
        for band, tr in gs_truth.items():
            gb = g.create_group(band)
            for k, v in tr.items():
                gb[k] = v
    os.replace(tmp, path)


def read_injected_faults(dump: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The faults a simulated dump's truth says were injected."""
    with h5py.File(Path(dump) / "truth" / "truth.h5", "r") as f:
        return list(json.loads(f["faults/injected"][()]))
