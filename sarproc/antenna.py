"""The SAR antenna of ICD section 7: its pointing per pulse."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation


def antenna_axes(quaternion: np.ndarray, depression_deg: float, look_side: str,
                 boresight_deg: tuple[float, float, float] = (0.0, 0.0, 0.0),
                 imu_to_body_deg: tuple[float, float, float] = (0.0, 0.0, 0.0),
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boresight, azimuth and elevation unit axes (ECEF) of the antenna at each pulse.

    The boresight points ``depression_deg`` below horizontal, perpendicular to the
    fuselage on the look side, then turned by the boresight angles (yaw, pitch, roll);
    the azimuth axis is the fuselage direction made perpendicular to it.

    Parameters
    ----------
    quaternion : numpy.ndarray
        IMU body-to-ECEF attitude per pulse (n, 4), scalar last.
    depression_deg : float
        Boresight depression below horizontal.
    look_side : str
        ``"right"`` or ``"left"``.
    boresight_deg : tuple of float
        Roll, pitch and yaw of the antenna in the body frame.
    imu_to_body_deg : tuple of float
        Roll, pitch and yaw from the IMU frame to the body frame.
    """
    side = 1.0 if look_side == "right" else -1.0
    dep = np.deg2rad(depression_deg)
    r_bs = Rotation.from_euler("ZYX", np.deg2rad(boresight_deg[::-1]))
    r_ib = Rotation.from_euler("ZYX", np.deg2rad(imu_to_body_deg[::-1]))
    b = (r_ib.inv() * r_bs).apply([0.0, side * np.cos(dep), np.sin(dep)])
    x = (r_ib.inv() * r_bs).apply([1.0, 0.0, 0.0])
    rot = Rotation.from_quat(quaternion)
    bore = rot.apply(b)
    az = rot.apply(x)
    az -= np.sum(az * bore, axis=1, keepdims=True) * bore
    az /= np.linalg.norm(az, axis=1, keepdims=True)
    return bore, az, np.cross(bore, az)
