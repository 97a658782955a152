"""Trajectory: time-tagged ECEF positions, velocities and body-to-ECEF attitude.

Positions interpolate by cubic Hermite splines with the recorded velocities, attitude by
spherical linear interpolation of unit quaternions; both in one parallel Numba kernel.
Nothing is extrapolated: a time outside the samples, or inside a gap between samples
longer than ``max_gap_s``, is invalid (NaN) and flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numba as nb
import numpy as np
from scipy.spatial.transform import Rotation

from flightlog.geodesy import euler_to_matrix, geodetic_to_ecef, ned_to_ecef_matrix


@nb.njit(cache=True, nogil=True, parallel=True)
def interpolate_kernel(t: np.ndarray, pos: np.ndarray, vel: np.ndarray, quat: np.ndarray,
                       max_gap: float, tq: np.ndarray, out_pos: np.ndarray,
                       out_vel: np.ndarray, out_quat: np.ndarray, out_valid: np.ndarray) -> None:
    """Hermite position and velocity, SLERP attitude at query times ``tq``.

    Parameters
    ----------
    t : ndarray, shape (n,)
        Increasing epochs of the samples (s).
    pos, vel : ndarray, shape (n, 3)
        ECEF position (m) and velocity (m/s) at ``t``; velocity is the Hermite slope.
    quat : ndarray, shape (n, 4)
        Body-to-ECEF attitude quaternions [x, y, z, w], sign-continuous (consecutive
        dot products >= 0).
    max_gap : float
        Longest interval between samples that is interpolated across (s).
    tq : ndarray, shape (m,)
        Query epochs (s).
    out_pos, out_vel, out_quat : ndarray, shape (m, 3), (m, 3), (m, 4)
        Filled with the state; NaN where invalid.
    out_valid : ndarray of bool, shape (m,)
        False where ``tq`` is outside the samples or inside a gap over ``max_gap``.
    """
    n = t.size
    for k in nb.prange(tq.size):
        x = tq[k]
        i = np.searchsorted(t, x, side="right") - 1
        if i == n - 1 and x == t[n - 1]:
            i = n - 2
        if i < 0 or i >= n - 1 or not (t[i + 1] - t[i] <= max_gap):
            out_valid[k] = False
            for c in range(3):
                out_pos[k, c] = np.nan
                out_vel[k, c] = np.nan
            for c in range(4):
                out_quat[k, c] = np.nan
            continue
        h = t[i + 1] - t[i]
        s = (x - t[i]) / h
        s2 = s * s
        s3 = s2 * s
        # Hermite basis; h00 = 1 - h01 and d00 = -d01 are folded into the differences.
        h10 = s3 - 2.0 * s2 + s
        h01 = -2.0 * s3 + 3.0 * s2
        h11 = s3 - s2
        d10 = 3.0 * s2 - 4.0 * s + 1.0
        d01 = (-6.0 * s2 + 6.0 * s) / h
        d11 = 3.0 * s2 - 2.0 * s
        for c in range(3):
            p0 = pos[i, c]
            dp = pos[i + 1, c] - p0  # differences keep precision at ECEF magnitudes
            out_pos[k, c] = p0 + h01 * dp + h * (h10 * vel[i, c] + h11 * vel[i + 1, c])
            out_vel[k, c] = d01 * dp + d10 * vel[i, c] + d11 * vel[i + 1, c]
        dot = 0.0
        for c in range(4):
            dot += quat[i, c] * quat[i + 1, c]
        dot = min(1.0, dot)
        if dot > 0.9999999:
            w0 = 1.0 - s
            w1 = s
        else:
            th = np.arccos(dot)
            st = np.sin(th)
            w0 = np.sin((1.0 - s) * th) / st
            w1 = np.sin(s * th) / st
        norm = 0.0
        for c in range(4):
            q = w0 * quat[i, c] + w1 * quat[i + 1, c]
            out_quat[k, c] = q
            norm += q * q
        norm = np.sqrt(norm)
        for c in range(4):
            out_quat[k, c] /= norm
        out_valid[k] = True


@nb.njit(cache=True, nogil=True, parallel=True)
def rotate_kernel(quat: np.ndarray, vec: np.ndarray, out: np.ndarray) -> None:
    """Rotate body vectors ``vec`` (n, 3) or (1, 3) by unit quaternions [x, y, z, w]."""
    stride = 0 if vec.shape[0] == 1 else 1
    for k in nb.prange(quat.shape[0]):
        qx, qy, qz, qw = quat[k, 0], quat[k, 1], quat[k, 2], quat[k, 3]
        j = k * stride
        vx, vy, vz = vec[j, 0], vec[j, 1], vec[j, 2]
        # v' = v + 2 w (q x v) + 2 q x (q x v)
        tx = 2.0 * (qy * vz - qz * vy)
        ty = 2.0 * (qz * vx - qx * vz)
        tz = 2.0 * (qx * vy - qy * vx)
        out[k, 0] = vx + qw * tx + (qy * tz - qz * ty)
        out[k, 1] = vy + qw * ty + (qz * tx - qx * tz)
        out[k, 2] = vz + qw * tz + (qx * ty - qy * tx)


def longest_run(v: np.ndarray, max_gap: float) -> tuple[int, int]:
    """``(start, end)`` of the longest run of sorted ``v`` without a step over ``max_gap``.

    The first such run when several are as long.
    """
    cuts = np.flatnonzero(np.diff(v) > max_gap) + 1
    starts, ends = np.r_[0, cuts], np.r_[cuts, v.size]
    best = int(np.argmax(ends - starts))
    return int(starts[best]), int(ends[best])


def time_ordered(t: np.ndarray, ok: np.ndarray, strict: bool = True,
                 max_jump_s: float = 3600.0) -> tuple[np.ndarray, np.ndarray]:
    """Which of the usable records ``ok`` (in arrival order) are out of time order.

    The records kept are the longest increasing subsequence of ``t[ok]`` (strictly, or
    non-decreasing when ``strict`` is false: sentences of one epoch share its time), and
    of it the longest run without a jump of more than ``max_jump_s``. So one record whose
    time is ahead of (or behind) its neighbours loses itself, never the many good records
    after it.

    Returns
    -------
    out_of_order, far_off : numpy.ndarray
        Masks of the usable records left out: not in the increasing subsequence, or in
        it but separated from its longest run by a jump of more than ``max_jump_s``.
    """
    import bisect

    idx = np.flatnonzero(ok)
    keep = np.zeros(t.size, bool)
    v = t[idx]
    if v.size < 2 or np.all(np.diff(v) > 0 if strict else np.diff(v) >= 0):
        keep[idx] = True
    else:
        find = bisect.bisect_left if strict else bisect.bisect_right
        tails: list[float] = []
        tail_at: list[int] = []
        parent = np.full(v.size, -1, np.int64)
        for i, x in enumerate(v.tolist()):  # patience sort
            j = find(tails, x)
            if j == len(tails):
                tails.append(x)
                tail_at.append(i)
            else:
                tails[j] = x
                tail_at[j] = i
            parent[i] = tail_at[j - 1] if j else -1
        i = tail_at[-1]
        while i >= 0:
            keep[idx[i]] = True
            i = int(parent[i])
    out_of_order = ok & ~keep
    far_off = np.zeros(t.size, bool)
    kept = np.flatnonzero(keep)
    if kept.size:
        a, b = longest_run(t[kept], max_jump_s)
        far_off[kept] = True
        far_off[kept[a:b]] = False
    return out_of_order, far_off


@dataclass
class State:
    """Interpolated platform states.

    Attributes
    ----------
    gps_time : numpy.ndarray
        Query times.
    position, velocity : numpy.ndarray
        ECEF (n, 3), metres and m/s of the navigation reference point (IMU).
    quaternion : numpy.ndarray
        Body-to-ECEF unit quaternions (n, 4), scalar last.
    valid : numpy.ndarray
        False outside the trajectory or inside a navigation gap.
    """

    gps_time: np.ndarray
    position: np.ndarray
    velocity: np.ndarray
    quaternion: np.ndarray
    valid: np.ndarray

    @property
    def rotation(self) -> np.ndarray:
        """Body-to-ECEF rotation matrices (n, 3, 3); NaN where invalid."""
        out = np.full((self.valid.size, 3, 3), np.nan)
        if self.valid.any():
            out[self.valid] = Rotation.from_quat(self.quaternion[self.valid]).as_matrix()
        return out

    def body_to_ecef(self, vec_body: np.ndarray) -> np.ndarray:
        """Rotate body-frame vectors, (3,) for all states or (n, 3), to ECEF."""
        v = np.ascontiguousarray(np.atleast_2d(np.asarray(vec_body, np.float64)))
        out = np.empty((self.quaternion.shape[0], 3))
        rotate_kernel(np.ascontiguousarray(self.quaternion), v, out)
        return out


@dataclass
class Trajectory:
    """Navigation samples in ECEF with body-to-ECEF attitude.

    Attributes
    ----------
    gps_time : numpy.ndarray
        Strictly increasing GPS seconds.
    position, velocity : numpy.ndarray
        ECEF (n, 3), m and m/s.
    quaternion : numpy.ndarray
        Body-to-ECEF unit quaternions (n, 4), scalar last, sign-continuous.
    max_gap_s : float
        Longest sample spacing interpolated across.
    source : str
        Where the samples came from.
    bad_records : list of dict
        Records left out by the reader: file, record number, reason.
    """

    gps_time: np.ndarray
    position: np.ndarray
    velocity: np.ndarray
    quaternion: np.ndarray
    max_gap_s: float = 0.05
    source: str = ""
    bad_records: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        t = np.ascontiguousarray(self.gps_time, dtype=np.float64)
        if t.ndim != 1 or t.size < 2 or np.any(np.diff(t) <= 0):
            raise ValueError("a trajectory needs at least 2 samples at increasing times")
        self.gps_time = t
        self.position = np.ascontiguousarray(self.position, dtype=np.float64)
        self.velocity = np.ascontiguousarray(self.velocity, dtype=np.float64)
        q = np.array(self.quaternion, dtype=np.float64)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        # Sign continuity: q and -q are the same attitude; SLERP needs the near one.
        flip = np.cumprod(np.where(np.sum(q[1:] * q[:-1], axis=1) < 0, -1.0, 1.0))
        q[1:] *= flip[:, None]
        self.quaternion = q

    @classmethod
    def from_geodetic(cls, gps_time: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                      height: np.ndarray, vel_ned: np.ndarray, roll: np.ndarray,
                      pitch: np.ndarray, heading: np.ndarray, **kwargs: Any) -> Trajectory:
        """Build from geodetic position, NED velocity and Euler angles.

        Parameters
        ----------
        gps_time : ndarray, shape (n,)
            Increasing epochs (GPS seconds).
        lat, lon, height : ndarray, shape (n,)
            Geodetic latitude, longitude (rad) and ellipsoidal height (m).
        vel_ned : ndarray, shape (n, 3)
            North, east, down velocity (m/s).
        roll, pitch, heading : ndarray, shape (n,)
            Euler angles (rad); ``heading`` is the true heading and the body-to-NED
            rotation is ``Rz(heading) Ry(pitch) Rx(roll)`` (ICD section 6).
        **kwargs
            Passed to the constructor (for example ``max_gap_s``).
        """
        pos = geodetic_to_ecef(lat, lon, height)
        r_ned = ned_to_ecef_matrix(lat, lon)
        vel = np.einsum("nij,nj->ni", r_ned, np.asarray(vel_ned, dtype=np.float64))
        r_body = r_ned @ euler_to_matrix(roll, pitch, heading)
        quat = Rotation.from_matrix(r_body).as_quat()
        return cls(np.asarray(gps_time, dtype=np.float64), pos, vel, quat, **kwargs)

    def interpolate(self, gps_time: np.ndarray | float) -> State:
        """Platform state at GPS times (no extrapolation; gaps are invalid).

        Parameters
        ----------
        gps_time : float or numpy.ndarray
            Query times, any order.

        Returns
        -------
        State
            Positions, velocities, attitude and a validity mask.
        """
        tq = np.ascontiguousarray(np.atleast_1d(np.asarray(gps_time, dtype=np.float64)))
        n = tq.size
        pos = np.empty((n, 3))
        vel = np.empty((n, 3))
        quat = np.empty((n, 4))
        valid = np.empty(n, dtype=np.bool_)
        interpolate_kernel(self.gps_time, self.position, self.velocity, self.quaternion,
                           float(self.max_gap_s), tq, pos, vel, quat, valid)
        return State(tq, pos, vel, quat, valid)

    def gaps(self) -> list[tuple[float, float]]:
        """Navigation gaps: (start, end) GPS times of spacings longer than ``max_gap_s``."""
        d = np.diff(self.gps_time)
        return [(float(self.gps_time[i]), float(self.gps_time[i + 1]))
                for i in np.flatnonzero(d > self.max_gap_s)]

    def report(self) -> dict[str, Any]:
        """JSON-ready summary: span, rate, gaps and bad records."""
        d = np.diff(self.gps_time)
        return {"source": self.source, "start_gps": float(self.gps_time[0]),
                "end_gps": float(self.gps_time[-1]), "samples": int(self.gps_time.size),
                "median_interval_s": float(np.median(d)), "max_gap_s": self.max_gap_s,
                "gaps": self.gaps(), "bad_records": self.bad_records}
