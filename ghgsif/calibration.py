"""The spectrometer's pre-flight calibration file (ICD section 8), read and checked.

One HDF5 group per band, named as the descriptor's ``ghgsif.bands[].name``, with the
per-pixel vacuum wavelength, Gaussian ISRF FWHM, gain (radiance per count per second),
dark offset and bad-pixel map, and the scalar read noise and conversion gain.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from flightlog.errors import PisarL3Error

_PIXEL_KEYS = ("wavelength_nm", "isrf_fwhm_nm", "gain", "dark_offset", "bad_pixel")


class CalibrationError(PisarL3Error, ValueError):
    """The calibration file is missing, unreadable or inconsistent (names file and key)."""


@dataclass(frozen=True)
class BandCalibration:
    """ICD section 8 quantities of one band, arrays [n_spatial, n_spectral]."""

    name: str
    wavelength_nm: np.ndarray
    isrf_fwhm_nm: np.ndarray
    gain: np.ndarray
    dark_offset: np.ndarray
    bad_pixel: np.ndarray
    read_noise: float
    electrons_per_count: float

    @property
    def shape(self) -> tuple[int, int]:
        """(n_spatial, n_spectral)."""
        return (int(self.gain.shape[0]), int(self.gain.shape[1]))


def read_band_calibration(path: str | os.PathLike[str], band: str) -> BandCalibration:
    """Read one band's calibration; every problem names the file and the key."""
    path = Path(path)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise CalibrationError(f"{path}: cannot read the calibration file ({exc})") from exc
    with f:
        if band not in f:
            raise CalibrationError(f"{path}: no group '{band}' (bands: {', '.join(f)})")
        g = f[band]
        arrays: dict[str, np.ndarray] = {}
        for key in _PIXEL_KEYS:
            if key not in g:
                raise CalibrationError(f"{path}: key '{band}/{key}' is missing")
            a = np.asarray(g[key][()])
            if a.ndim != 2:
                raise CalibrationError(f"{path}: key '{band}/{key}' must be 2-D "
                                       f"[n_spatial, n_spectral], got shape {a.shape}")
            arrays[key] = a
        shapes = {k: v.shape for k, v in arrays.items()}
        if len(set(shapes.values())) != 1:
            raise CalibrationError(f"{path}: band '{band}': pixel arrays differ in shape "
                                   f"{shapes}")
        scalars = {}
        for key in ("read_noise", "electrons_per_count"):
            if key not in g:
                raise CalibrationError(f"{path}: key '{band}/{key}' is missing")
            v = float(np.asarray(g[key][()]))
            if not np.isfinite(v) or v <= 0:
                raise CalibrationError(f"{path}: key '{band}/{key}' must be positive, got {v}")
            scalars[key] = v
    wl = arrays["wavelength_nm"].astype(np.float64)
    if not np.all(np.isfinite(wl)) or np.any(np.diff(wl, axis=1) <= 0):
        raise CalibrationError(f"{path}: key '{band}/wavelength_nm' must be finite and "
                               "increase along the spectral axis")
    gain = arrays["gain"].astype(np.float64)
    if np.any(~np.isfinite(gain)):
        raise CalibrationError(f"{path}: key '{band}/gain' has non-finite values")
    return BandCalibration(band, wl, arrays["isrf_fwhm_nm"].astype(np.float64), gain,
                           arrays["dark_offset"].astype(np.float64),
                           arrays["bad_pixel"].astype(np.uint8), scalars["read_noise"],
                           scalars["electrons_per_count"])
