"""SAR raw data of a simulated flight: scenes, pulse geometry, echoes, replicas, packets.

Turns a scene (point targets and distributed land-class patches) seen from an
:class:`~sim.flight.AnalyticFlight` into the ICD payloads of the SAR stream: echoes of both
receive channels per pulse with quad-pol alternating transmit, calibration-loop replicas
at the start and every minute, with thermal noise, receiver attenuation (automatic gain
set once per flight) and quantisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from flightlog.constants import C_LIGHT_M_S, SINC2_BEAM_FACTOR
from flightlog.packets import APID_SAR_ECHO, APID_SAR_REPLICA, FLAG_CALIBRATION
from flightlog.payloads import POL_CODES, SAMPLE_INT8, SAMPLE_INT16, encode_echo
from sim.flight import AnalyticFlight
from sim.recorder import Item
from sim.sar_echo import PulseGeometry, RadarBand, chirp_samples, quantize, synthesize
from sim.scattering import LAND_CLASSES, Distortion, draw_scatterers


@dataclass
class Scene:
    """What the radar sees: point targets and distributed scatterers, ECEF.

    Attributes
    ----------
    point_xyz, point_s : numpy.ndarray
        Point targets (n, 3) and their true scattering matrices (n, 2, 2).
    point_kind : list of str
        What each point target is (``trihedral``, ``dihedral0``, ...).
    dist_xyz, dist_s : numpy.ndarray
        Distributed scatterers (m, 3) and their matrices (m, 2, 2).
    class_map : numpy.ndarray
        Land-class codes of the distributed grid (rows along track), 0 = empty.
    class_grid : dict
        Origin and axes of the class map (ECEF origin, along- and across-track unit
        vectors, spacing) for the truth.
    """

    point_xyz: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    point_s: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 2), complex))
    point_kind: list[str] = field(default_factory=list)
    dist_xyz: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    dist_s: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 2), complex))
    class_map: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.uint8))
    class_grid: dict[str, Any] = field(default_factory=dict)


def ground_frame(flight: AnalyticFlight, t_mid: float, ground_range_m: float,
                 look_side: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scene centre on the ellipsoid-tangent ground, and along/across-track unit vectors."""
    p = flight.ecef(np.array([t_mid]))[0]
    v = flight.ecef_velocity(np.array([t_mid]))[0]
    lat, lon, h = flight.geodetic(np.array([t_mid]))
    up = np.array([np.cos(lat[0]) * np.cos(lon[0]), np.cos(lat[0]) * np.sin(lon[0]),
                   np.sin(lat[0])])
    along = v - (v @ up) * up
    along /= np.linalg.norm(along)
    right = np.cross(along, up)  # along x up points to the right of track
    across = right if look_side == "right" else -right
    centre = p - h[0] * up + ground_range_m * across
    return centre, along, across


def place(centre: np.ndarray, along: np.ndarray, across: np.ndarray,
          offsets: np.ndarray) -> np.ndarray:
    """ECEF points at (along, across) metre offsets from a centre, on its tangent plane."""
    offsets = np.atleast_2d(offsets)
    return centre + offsets[:, :1] * along + offsets[:, 1:2] * across


def add_patch(scene: Scene, centre: np.ndarray, along: np.ndarray, across: np.ndarray,
              class_map: np.ndarray, spacing_m: float, rng: np.random.Generator) -> None:
    """Add a distributed patch: one scatterer per class-map cell, jittered inside it.

    Parameters
    ----------
    scene : Scene
        Extended in place (scatterers, class map and its grid).
    centre : ndarray, shape (3,)
        Patch centre (ECEF, m).
    along, across : ndarray, shape (3,)
        Unit vectors of the class map's rows (along track) and columns.
    class_map : ndarray of int, shape (rows, cols)
        Land-class codes (:data:`sim.scattering.LAND_CLASSES`), 0 = empty cell.
    spacing_m : float
        Cell size (m).
    rng : numpy.random.Generator
        Jitter and scatterer draws.
    """
    ny, nx = class_map.shape
    ia, ic = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
    off = np.stack([(ia.ravel() - (ny - 1) / 2) * spacing_m,
                    (ic.ravel() - (nx - 1) / 2) * spacing_m], axis=1)
    off += rng.uniform(-0.5, 0.5, off.shape) * spacing_m
    s = draw_scatterers(class_map, spacing_m, rng)
    keep = class_map.ravel() > 0
    scene.dist_xyz = np.concatenate([scene.dist_xyz, place(centre, along, across, off)[keep]])
    scene.dist_s = np.concatenate([scene.dist_s, s[keep]])
    scene.class_map = class_map.astype(np.uint8)
    scene.class_grid = {"centre_ecef": centre, "along_track": along, "across_track": across,
                        "spacing_m": spacing_m,
                        "classes": {str(k): v[0] for k, v in LAND_CLASSES.items()}}


def pulse_geometry(flight: AnalyticFlight, t: np.ndarray, lever: np.ndarray,
                   antenna: dict[str, Any], look_side: str) -> PulseGeometry:
    """True antenna phase centre, its rates and the antenna axes at transmit times."""
    h = 1e-3

    def apc(tt: np.ndarray) -> np.ndarray:
        return flight.ecef(tt) + flight.body_to_ecef(tt).apply(lever)

    a0, ap, am = apc(t), apc(t + h), apc(t - h)
    dep = np.deg2rad(antenna["depression_deg"])
    side = 1.0 if look_side == "right" else -1.0
    bs = antenna.get("boresight_deg", {})
    r_bs = Rotation.from_euler("ZYX", np.deg2rad([bs.get("yaw", 0.0), bs.get("pitch", 0.0),
                                                   bs.get("roll", 0.0)]))
    b_body = r_bs.apply([0.0, side * np.cos(dep), np.sin(dep)])
    x_body = r_bs.apply([1.0, 0.0, 0.0])
    rot = flight.body_to_ecef(t)
    bore = rot.apply(b_body)
    az = rot.apply(x_body)
    az -= np.sum(az * bore, axis=1, keepdims=True) * bore
    az /= np.linalg.norm(az, axis=1, keepdims=True)
    el = np.cross(bore, az)
    return PulseGeometry(a0, (ap - am) / (2 * h), (ap - 2 * a0 + am) / h**2, bore, az, el)


def noise_rms_for_nesz(band: RadarBand, nesz_db: float, slant_range_m: float,
                       incidence_deg: float) -> float:
    """Receiver noise (rms counts per complex sample) equivalent to ``nesz_db`` sigma0.

    The power per raw sample from a distributed target of unit sigma0 at the scene
    centre is ``scale^2 / (4 pi) * A / R^4`` with ``A`` the ground area one sample sees:
    the chirp's ground-range extent times the two-way azimuth pattern's width.
    """
    beta = np.deg2rad(band.azimuth_beamwidth_deg)
    th = np.linspace(-3 * beta, 3 * beta, 4001)
    g = np.sinc(SINC2_BEAM_FACTOR * th / beta) ** 4  # two-way power, azimuth
    width = slant_range_m * np.sum(g) * (th[1] - th[0])
    ground = C_LIGHT_M_S * band.chirp_duration_s / (2 * np.sin(np.deg2rad(incidence_deg)))
    p_unit = band.amplitude_scale**2 / (4 * np.pi) * ground * width / slant_range_m**4
    return float(np.sqrt(10 ** (nesz_db / 10) * p_unit))


@dataclass
class SarRecording:
    """Settings of the SAR recording in a scenario."""

    n_samples: int
    window_start_ticks: int
    nesz_db: float = -30.0
    sample_format: int = SAMPLE_INT16
    distortion: Distortion = field(default_factory=Distortion)
    agc_fraction: float = 0.08


def sar_items(desc: dict[str, Any], flight: AnalyticFlight, t0: float, t1: float,
              scene: Scene, rec: SarRecording, rng: np.random.Generator,
              block_pulses: int = 512) -> tuple[list[Item], dict[str, Any]]:
    """SAR payloads (echoes and replicas) of ``[t0, t1)`` and the truth of the recording.

    Parameters
    ----------
    desc : dict
        The dump's descriptor (ICD section 3); its ``sar`` section sets the radar.
    flight : AnalyticFlight
        The true trajectory.
    t0, t1 : float
        Recording interval (GPS seconds).
    scene : Scene
        What the radar sees.
    rec : SarRecording
        Window, noise, sample format and distortion of this recording.
    rng : numpy.random.Generator
        Noise draws.
    block_pulses : int, optional
        Pulses simulated at a time (bounds memory).

    Returns
    -------
    items : list of Item
        Payloads in transmit order, for the packet writer.
    truth : dict
        The recording's truth, per band.
    """
    sar = desc["sar"]
    fs = sar["adc_sampling_rate_hz"]
    ant = sar["antenna"]
    seq = [POL_CODES[p] for p in sar["tx_sequence"]]
    lever = np.asarray(ant["lever_arm_m"], dtype=float)
    n_bands = len(sar["bands"])
    items: list[Item] = []
    truth: dict[str, Any] = {"bands": {}}
    point_s = rec.distortion.apply(scene.point_s) if len(scene.point_s) else scene.point_s
    dist_s = rec.distortion.apply(scene.dist_s) if len(scene.dist_s) else scene.dist_s
    lim = 127 if rec.sample_format == SAMPLE_INT8 else 32767
    for b_index, b in enumerate(sar["bands"]):
        band = RadarBand(b["center_frequency_hz"], b["bandwidth_hz"], b["chirp_duration_s"],
                         b["chirp_rate_sign"], b["peak_power_w"],
                         b.get("calibration_constant_db", 0.0), fs,
                         ant["azimuth_beamwidth_deg"], ant["elevation_beamwidth_deg"])
        # Bands interleave: band i transmits i / n_bands of a PRI after band 0.
        n_p = int(np.floor((t1 - t0) * sar["prf_hz"] + 1e-3))  # t0 ~ 1e9 s: rounding
        t = t0 + (np.arange(n_p) + b_index / n_bands) / sar["prf_hz"]
        tx = np.array([seq[k % len(seq)] for k in range(n_p)], dtype=np.int64)
        tau0 = np.full(n_p, rec.window_start_ticks / fs)
        centre_range = float(np.linalg.norm(
            pulse_geometry(flight, t[n_p // 2 : n_p // 2 + 1], lever, ant,
                           sar["look_side"]).apc[0] - (scene.class_grid.get(
                               "centre_ecef", scene.point_xyz[0] if len(scene.point_xyz)
                               else np.zeros(3)))))
        inc = 90.0 - ant["depression_deg"]
        noise = noise_rms_for_nesz(band, rec.nesz_db, centre_range, inc)
        att = None
        clipped = 0
        for p0 in range(0, n_p, block_pulses):
            sl = slice(p0, min(n_p, p0 + block_pulses))
            geom = pulse_geometry(flight, t[sl], lever, ant, sar["look_side"])
            echo = synthesize(geom, tx[sl], tau0[sl], rec.n_samples, band, scene.point_xyz,
                              point_s, scene.dist_xyz, dist_s)
            if att is None:  # automatic gain, set once from the first block
                rms = np.sqrt(np.mean(np.abs(echo) ** 2) + noise**2)
                att = max(0.0, float(np.ceil(20 * np.log10(rms / (rec.agc_fraction * lim)))))
            q, c = quantize(echo, att, noise, rec.sample_format, rng)
            clipped += c
            for k in range(q.shape[0]):
                p = p0 + k
                for rx in (0, 1):
                    items.append(Item(float(t[p]), APID_SAR_ECHO, encode_echo(
                        p, b["id"], int(tx[p]), rx, rec.window_start_ticks, att, q[k, rx],
                        rec.sample_format)))
        items += _replicas(b["id"], band, sorted(set(seq)), t0, t1, rec.sample_format)
        truth["bands"][str(b["id"])] = {
            "pulse_time_first": float(t[0]), "prf_hz": sar["prf_hz"],
            "rx_attenuation_db": float(att or 0.0), "noise_rms_counts": noise,
            "amplitude_scale": band.amplitude_scale, "clipped_components": clipped,
            "centre_slant_range_m": centre_range}
    items.sort(key=lambda it: it.gps_time)
    truth["distortion"] = {"crosstalk": [complex(x) for x in rec.distortion.crosstalk],
                           "imbalance": complex(rec.distortion.imbalance)}
    return items, truth


def _replicas(band_id: int, band: RadarBand, tx_pols: list[int], t0: float, t1: float,
              sample_format: int) -> list[Item]:
    """Calibration-loop replicas at the start and every 60 s, per transmit polarisation.

    The loop delays the chirp by half its duration, so sample 0 (``window_start_ticks``
    0, i.e. at the transmit time) is the chirp's first sample.
    """
    chirp, _ = chirp_samples(band)
    lim = 100 if sample_format == SAMPLE_INT8 else 8000
    samples = np.round(lim * chirp)
    out = []
    for k, tr in enumerate(np.arange(t0 - 0.01, t1, 60.0)):
        for q in tx_pols:
            out.append(Item(float(tr) + 1e-4 * q, APID_SAR_REPLICA,
                            encode_echo(k, band_id, q, q, 0, 0.0, samples, sample_format),
                            FLAG_CALIBRATION))
    return out
