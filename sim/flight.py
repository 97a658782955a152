"""Analytic flight trajectories with turbulence: the truth the navigation is checked against.

A flight line (straight or a constant-rate turn) in a local east-north-up plane, plus
smooth random deviations (sums of sinusoids from a seeded generator) of track, height,
roll, pitch and crab, all with exact time derivatives. Geodetic conversions use pyproj and
attitude uses scipy directly, independent of :mod:`flightlog`'s kernels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pyproj import Transformer
from scipy.spatial.transform import Rotation

from flightlog.constants import G0_M_S2
from flightlog.sbet import SBET_DTYPE
from flightlog.timesys import SECONDS_PER_WEEK


@dataclass(frozen=True)
class Turbulence:
    """Sizes (1-sigma amplitudes) of the smooth random deviations."""

    track_m: float = 2.0
    height_m: float = 1.0
    roll_deg: float = 1.5
    pitch_deg: float = 0.7
    crab_deg: float = 1.0
    n_terms: int = 6
    min_freq_hz: float = 0.02
    max_freq_hz: float = 0.5


CALM = Turbulence(0.0, 0.0, 0.0, 0.0, 0.0)


@dataclass
class _Sines:
    amp: np.ndarray
    freq: np.ndarray
    phase: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, sigma: float, tb: Turbulence) -> _Sines:
        f = np.exp(rng.uniform(np.log(tb.min_freq_hz), np.log(tb.max_freq_hz), tb.n_terms))
        a = rng.normal(0.0, 1.0, tb.n_terms)
        a *= sigma / max(np.sqrt(0.5 * np.sum(a**2)), 1e-12) if sigma else 0.0
        return cls(a, 2 * np.pi * f, rng.uniform(0, 2 * np.pi, tb.n_terms))

    def __call__(self, t: np.ndarray, deriv: int = 0) -> np.ndarray:
        arg = np.multiply.outer(t, self.freq) + self.phase
        w = self.freq**deriv
        if deriv % 4 == 0:
            f = np.sin(arg)
        elif deriv % 4 == 1:
            f = np.cos(arg)
        elif deriv % 4 == 2:
            f = -np.sin(arg)
        else:
            f = -np.cos(arg)
        return f @ (self.amp * w)


@dataclass
class AnalyticFlight:
    """A flight line over a reference point, as exact functions of GPS time.

    Parameters
    ----------
    t0_gps : float
        GPS time at which the aircraft passes the reference point (line time zero).
    lat0_deg, lon0_deg : float
        Reference point.
    altitude_m : float
        Ellipsoidal height of the reference point's tangent plane above it.
    speed_mps : float
        Ground speed along the line.
    heading_deg : float
        Track direction at time zero (true, clockwise from north).
    turn_rate_deg_s : float
        Constant rate of turn (0 for a straight line).
    turbulence : Turbulence
        Deviation sizes.
    seed : int
        Seed of the deviations.
    """

    t0_gps: float
    lat0_deg: float = 35.0
    lon0_deg: float = 139.0
    altitude_m: float = 3000.0
    speed_mps: float = 120.0
    heading_deg: float = 0.0
    turn_rate_deg_s: float = 0.0
    turbulence: Turbulence = field(default_factory=Turbulence)
    seed: int = 0

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        tb = self.turbulence
        self._de = _Sines.draw(rng, tb.track_m, tb)
        self._dn = _Sines.draw(rng, tb.track_m, tb)
        self._du = _Sines.draw(rng, tb.height_m, tb)
        self._roll = _Sines.draw(rng, np.deg2rad(tb.roll_deg), tb)
        self._pitch = _Sines.draw(rng, np.deg2rad(tb.pitch_deg), tb)
        self._crab = _Sines.draw(rng, np.deg2rad(tb.crab_deg), tb)
        to_ecef = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
        self._origin = np.array(to_ecef.transform(self.lon0_deg, self.lat0_deg,
                                                  self.altitude_m))
        la, lo = np.deg2rad(self.lat0_deg), np.deg2rad(self.lon0_deg)
        # Columns: east, north, up of the tangent plane in ECEF.
        self._enu = np.array([
            [-np.sin(lo), -np.sin(la) * np.cos(lo), np.cos(la) * np.cos(lo)],
            [np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la) * np.sin(lo)],
            [0.0, np.cos(la), np.sin(la)],
        ])
        self._to_geo = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)

    def parameters(self) -> dict[str, float]:
        """The flight's defining numbers (for the truth file)."""
        tb = self.turbulence
        return {"t0_gps": self.t0_gps, "lat0_deg": self.lat0_deg, "lon0_deg": self.lon0_deg,
                "altitude_m": self.altitude_m, "speed_mps": self.speed_mps,
                "heading_deg": self.heading_deg, "turn_rate_deg_s": self.turn_rate_deg_s,
                "seed": self.seed, "turbulence_track_m": tb.track_m,
                "turbulence_height_m": tb.height_m, "turbulence_roll_deg": tb.roll_deg,
                "turbulence_pitch_deg": tb.pitch_deg, "turbulence_crab_deg": tb.crab_deg}

    # -- track in the tangent plane ----------------------------------------------------------
    def _line(self, tau: np.ndarray, deriv: int) -> np.ndarray:
        v, psi0 = self.speed_mps, np.deg2rad(self.heading_deg)
        w = np.deg2rad(self.turn_rate_deg_s)
        if w == 0.0:
            d = np.array([np.sin(psi0), np.cos(psi0)])
            if deriv == 0:
                return np.multiply.outer(v * tau, d)
            if deriv == 1:
                return np.broadcast_to(v * d, tau.shape + (2,)).copy()
            return np.zeros(tau.shape + (2,))
        r = v / w
        psi = psi0 + w * tau
        if deriv == 0:
            return np.stack([r * (np.cos(psi0) - np.cos(psi)),
                             r * (np.sin(psi) - np.sin(psi0))], axis=-1)
        if deriv == 1:
            return np.stack([v * np.sin(psi), v * np.cos(psi)], axis=-1)
        return np.stack([v * w * np.cos(psi), -v * w * np.sin(psi)], axis=-1)

    def enu(self, t: np.ndarray, deriv: int = 0) -> np.ndarray:
        """Tangent-plane east, north, up (or their ``deriv``-th time derivative), (n, 3)."""
        tau = np.asarray(t, dtype=np.float64) - self.t0_gps
        out = np.zeros(tau.shape + (3,))
        out[..., :2] = self._line(tau, deriv)
        out[..., 0] += self._de(tau, deriv)
        out[..., 1] += self._dn(tau, deriv)
        out[..., 2] += self._du(tau, deriv)
        return out

    def ecef(self, t: np.ndarray) -> np.ndarray:
        """True ECEF position (n, 3) of the navigation reference point."""
        return self._origin + self.enu(t) @ self._enu.T

    def ecef_velocity(self, t: np.ndarray) -> np.ndarray:
        """True ECEF velocity (n, 3)."""
        return self.enu(t, 1) @ self._enu.T

    def geodetic(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Latitude, longitude (rad) and ellipsoidal height (m)."""
        p = self.ecef(t)
        lon, lat, h = self._to_geo.transform(p[:, 0], p[:, 1], p[:, 2])
        return np.deg2rad(lat), np.deg2rad(lon), np.asarray(h)

    def _ned_matrix(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
        north = np.stack([-sl * co, -sl * so, cl], axis=-1)
        east = np.stack([-so, co, np.zeros_like(lat)], axis=-1)
        down = np.stack([-cl * co, -cl * so, -sl], axis=-1)
        return np.stack([north, east, down], axis=-1)

    def ned_velocity(self, t: np.ndarray) -> np.ndarray:
        """True velocity in the local north-east-down frame, (n, 3)."""
        lat, lon, _ = self.geodetic(t)
        return np.einsum("nji,nj->ni", self._ned_matrix(lat, lon), self.ecef_velocity(t))

    def euler(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """True roll, pitch and true heading (rad) of the body frame."""
        tau = np.asarray(t, dtype=np.float64) - self.t0_gps
        vned = self.ned_velocity(t)
        track = np.arctan2(vned[:, 1], vned[:, 0])
        w = np.deg2rad(self.turn_rate_deg_s)
        bank = np.arctan(self.speed_mps * w / G0_M_S2)
        roll = bank + self._roll(tau)
        pitch = self._pitch(tau)
        heading = track + self._crab(tau)
        return roll, pitch, heading

    def body_to_ecef(self, t: np.ndarray) -> Rotation:
        """True body-to-ECEF attitude."""
        lat, lon, _ = self.geodetic(t)
        roll, pitch, heading = self.euler(t)
        r_body_ned = Rotation.from_euler("ZYX", np.stack([heading, pitch, roll], axis=-1))
        return Rotation.from_matrix(self._ned_matrix(lat, lon)) * r_body_ned

    def sbet_records(self, t: np.ndarray, wander_rate_rad_s: float = 1e-3,
                     wander0_rad: float = 0.3) -> np.ndarray:
        """SBET records (ICD 6) sampled at GPS times ``t``, with a drifting wander angle."""
        t = np.asarray(t, dtype=np.float64)
        lat, lon, h = self.geodetic(t)
        vned = self.ned_velocity(t)
        roll, pitch, heading = self.euler(t)
        alpha = wander0_rad + wander_rate_rad_s * (t - self.t0_gps)
        rec = np.zeros(t.size, SBET_DTYPE)
        rec["time"] = np.mod(t, SECONDS_PER_WEEK)
        rec["latitude"], rec["longitude"], rec["height"] = lat, lon, h
        ca, sa = np.cos(alpha), np.sin(alpha)
        rec["vel_x"] = vned[:, 0] * ca - vned[:, 1] * sa
        rec["vel_y"] = vned[:, 0] * sa + vned[:, 1] * ca
        rec["vel_z"] = vned[:, 2]
        rec["roll"], rec["pitch"] = roll, pitch
        rec["heading"] = np.mod(heading + alpha + np.pi, 2 * np.pi) - np.pi
        rec["wander"] = alpha
        dt = 1e-3
        r1, p1, h1 = self.euler(t + dt)
        r0, p0, h0 = self.euler(t - dt)
        dr, dp = (r1 - r0) / (2 * dt), (p1 - p0) / (2 * dt)
        dh = np.angle(np.exp(1j * (h1 - h0))) / (2 * dt)
        rec["rate_x"] = dr - dh * np.sin(pitch)
        rec["rate_y"] = dp * np.cos(roll) + dh * np.cos(pitch) * np.sin(roll)
        rec["rate_z"] = -dp * np.sin(roll) + dh * np.cos(pitch) * np.cos(roll)
        rec["acc_z"] = -G0_M_S2
        return rec
