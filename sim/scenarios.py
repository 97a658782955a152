"""Scenario definitions of the simulator: flights, radar settings and scenes.

``demo`` is small enough to simulate and process end to end in about a minute;
``calibration`` is a corner-reflector array on a low-backscatter field with a distorted
radar; ``forest`` is a patchwork of land classes; ``nominal`` is Pi-SAR-L2-like (1.2575 GHz,
85 MHz, 10 us chirp, 100 MHz sampling, 9 km altitude, 200 m/s, a 15 km slant window) for
the benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from flightlog.constants import C_LIGHT_M_S
from flightlog.payloads import SAMPLE_INT16
from sim.flight import AnalyticFlight, Turbulence
from sim.sar_raw import SarRecording, Scene, add_patch, ground_frame, place
from sim.scattering import Distortion, dihedral, trihedral, trihedral_rcs


@dataclass(frozen=True)
class ScenarioConfig:
    """Everything that makes one scenario."""

    name: str = "demo"
    duration_s: float = 2.0
    gps_week: int = 2381
    start_sow: float = 345600.25
    lat0_deg: float = 35.0
    lon0_deg: float = 139.0
    altitude_m: float = 3000.0
    speed_mps: float = 120.0
    heading_deg: float = 10.0
    turn_rate_deg_s: float = 0.0
    turbulence: Turbulence = field(default_factory=Turbulence)
    center_frequency_hz: float = 1.2575e9
    bandwidth_hz: float = 85e6
    chirp_duration_s: float = 10e-6
    adc_sampling_rate_hz: float = 100e6
    peak_power_w: float = 3500.0
    calibration_constant_db: float = 160.0
    prf_hz: float = 500.0
    depression_deg: float = 45.0
    azimuth_beamwidth_deg: float = 10.0
    elevation_beamwidth_deg: float = 35.0
    slant_window_m: tuple[float, float] = (3900.0, 4600.0)
    sample_format: int = SAMPLE_INT16
    nesz_db: float = -30.0
    crosstalk_db: float | None = None
    imbalance_db: float = 0.0
    imbalance_deg: float = 0.0
    scene: str = "demo"
    clutter: bool = True
    n_spatial: int = 16
    n_spectral: int = 600
    integration_s: float = 0.05
    cloudy: bool = False
    frame_rate_hz: float = 2.0
    n_dark_frames: int = 3
    segment_bytes: int = 1 << 20

    @property
    def window_start_ticks(self) -> int:
        """Delay of sample 0: half a chirp before the near edge's echo."""
        return int(np.floor((2 * self.slant_window_m[0] / C_LIGHT_M_S - self.chirp_duration_s / 2)
                            * self.adc_sampling_rate_hz))

    @property
    def n_samples(self) -> int:
        """Samples per echo: the window plus a chirp, rounded up to 256."""
        span = (2 * (self.slant_window_m[1] - self.slant_window_m[0]) / C_LIGHT_M_S
                + self.chirp_duration_s) * self.adc_sampling_rate_hz
        return int(np.ceil(span / 256.0) * 256)

    def recording(self) -> SarRecording:
        """The SAR recording settings."""
        dist = (Distortion() if self.crosstalk_db is None else Distortion.from_db(
            self.crosstalk_db, self.imbalance_db, self.imbalance_deg, seed=17))
        return SarRecording(self.n_samples, self.window_start_ticks, self.nesz_db,
                            self.sample_format, dist)


_DEMO = ScenarioConfig()
SCENARIO_CONFIGS: dict[str, ScenarioConfig] = {
    "demo": _DEMO,
    "calibration": replace(_DEMO, name="calibration", duration_s=8.0, scene="calibration",
                           crosstalk_db=-20.0, imbalance_db=1.0, imbalance_deg=20.0),
    "forest": replace(_DEMO, name="forest", duration_s=8.0, scene="forest", cloudy=True,
                      n_spatial=32, frame_rate_hz=5.0,
                      slant_window_m=(3700.0, 4800.0)),
    "nominal": replace(_DEMO, name="nominal", duration_s=10.0, altitude_m=9000.0,
                       speed_mps=200.0, prf_hz=1000.0, scene="nominal",
                       slant_window_m=(5500.0, 20500.0), segment_bytes=256 << 20),
}


def descriptor_dict(flight_id: str, cfg: ScenarioConfig) -> dict[str, Any]:
    """The ``flight.json`` of a scenario (the layout of the ICD section 7 example)."""
    return {
        "icd_version": "1",
        "flight_id": flight_id,
        "platform": "Gulfstream II",
        "nav": {"gps_week": cfg.gps_week, "sbet": "nav/sbet.out",
                "imu_to_body_deg": [0.0, 0.0, 0.0]},
        "sar": {
            "stream": "sar/SAR_",
            "adc_sampling_rate_hz": cfg.adc_sampling_rate_hz,
            "tx_sequence": ["H", "V"],
            "prf_hz": cfg.prf_hz,
            "look_side": "right",
            "bands": [{"id": 0, "center_frequency_hz": cfg.center_frequency_hz,
                       "bandwidth_hz": cfg.bandwidth_hz,
                       "chirp_duration_s": cfg.chirp_duration_s, "chirp_rate_sign": 1,
                       "peak_power_w": cfg.peak_power_w,
                       "calibration_constant_db": cfg.calibration_constant_db}],
            "antenna": {"lever_arm_m": [1.20, 0.00, 0.85],
                        "boresight_deg": {"roll": 0.0, "pitch": 0.0, "yaw": 0.0},
                        "depression_deg": cfg.depression_deg,
                        "azimuth_beamwidth_deg": cfg.azimuth_beamwidth_deg,
                        "elevation_beamwidth_deg": cfg.elevation_beamwidth_deg,
                        "channel_delay_s": {"HH": 0.0, "HV": 0.0, "VH": 0.0, "VV": 0.0}},
        },
        "ghgsif": {
            "stream": "ghgsif/GS_",
            "calibration": "calib/ghgsif_calib.h5",
            "lever_arm_m": [2.10, -0.30, 0.90],
            "boresight_deg": {"roll": 0.0, "pitch": 0.0, "yaw": 0.0},
            "across_track_fov_deg": 10.0,
            "bands": [{"id": 0, "name": "O2A", "range_nm": [755.0, 775.0]},
                      {"id": 1, "name": "WCO2", "range_nm": [1590.0, 1620.0]},
                      {"id": 2, "name": "CH4", "range_nm": [1630.0, 1680.0]}],
        },
    }


def build_scene(cfg: ScenarioConfig, flight: AnalyticFlight, desc: dict[str, Any],
                rng: np.random.Generator) -> Scene:
    """The scene of a scenario, centred on the beam centre at mid-flight."""
    ground = cfg.altitude_m / np.tan(np.deg2rad(cfg.depression_deg))
    centre, along, across = ground_frame(flight, flight.t0_gps, ground,
                                         desc["sar"]["look_side"])
    lam = C_LIGHT_M_S / cfg.center_frequency_hz
    scene = Scene()
    pts: list[tuple[float, float, np.ndarray, str]] = []
    if cfg.scene in ("demo", "calibration", "nominal"):
        rcs = trihedral_rcs(0.8 if cfg.scene == "demo" else 1.0, lam)
        pts += [(-60.0, -80.0, trihedral(rcs), "trihedral"),
                (60.0, -80.0, trihedral(rcs), "trihedral"),
                (-60.0, 80.0, dihedral(rcs, 0.0), "dihedral0"),
                (60.0, 80.0, dihedral(rcs, 45.0), "dihedral45")]
        if cfg.scene == "calibration":
            pts += [(0.0, -160.0, trihedral(rcs), "trihedral"),
                    (0.0, 160.0, trihedral(rcs), "trihedral"),
                    (-120.0, 0.0, dihedral(rcs, 0.0), "dihedral0"),
                    (120.0, 0.0, dihedral(rcs, 45.0), "dihedral45")]
    if pts:
        off = np.array([[a, c] for a, c, _, _ in pts])
        scene.point_xyz = place(centre, along, across, off)
        scene.point_s = np.array([s for _, _, s, _ in pts])
        scene.point_kind = [k for _, _, _, k in pts]
    spacing = 2.0
    if not cfg.clutter:
        return scene
    if cfg.scene == "demo":
        cmap = np.ones((20, 20), np.uint8)  # 40 m of forest at the centre
        add_patch(scene, centre, along, across, cmap, spacing, rng)
    elif cfg.scene == "calibration":
        cmap = np.full((200, 200), 5, np.uint8)  # a calm lake under the reflectors
        add_patch(scene, centre, along, across, cmap, spacing, rng)
    elif cfg.scene == "forest":
        cmap = np.zeros((150, 150), np.uint8)
        for k, code in enumerate((1, 2, 3, 4, 5)):
            cmap[:, k * 30 : (k + 1) * 30] = code
        add_patch(scene, centre, along, across, cmap, spacing, rng)
    elif cfg.scene == "nominal":
        cmap = np.ones((500, 500), np.uint8)  # 1 km2 at 2 m spacing
        cmap[:, 250:] = 2
        add_patch(scene, centre, along, across, cmap, spacing, rng)
    return scene
