"""Calibration from a calibration flight: absolute (trihedrals) and polarimetric.

:func:`calibrate` measures the corner reflectors of a focused GSLC (known positions and
radar cross-sections), compares the radar cross-section read through the radar equation
(:mod:`sarproc.radiometry`) with the truth to get the absolute correction per band
(``10 log10(sigma_measured / sigma_true)``, averaged over the trihedrals in HH and VV),
and estimates cross-talk and channel imbalance (:mod:`sarproc.polcal`) from the scene's
distributed pixels and the reflectors of known kind (trihedrals, dihedrals), every
reflector's polarisations read at the peak of its brightest channel. The absolute
correction uses the trihedrals after the polarimetric correction. The result is a JSON
calibration file that later flights' processing applies (``sar.calibration_file``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from flightlog.geodesy import ecef_to_geodetic, pyproj_transformer
from flightlog.provenance import atomic_output
from sarproc.polcal import (
    PolCal,
    canonical_matrix,
    estimate,
    observed_covariance,
    observed_matrix,
)
from sarproc.products.gslc import GRIDS, frequency_name
from sarproc.quality import complex_at, point_target
from sarproc.radiometry import point_rcs


@dataclass(frozen=True)
class Reflector:
    """A corner reflector: ECEF position, kind (``trihedral``, ...) and true RCS (m^2)."""

    position: np.ndarray
    kind: str
    rcs_m2: float


def read_reflectors(path: str | os.PathLike[str]) -> list[Reflector]:
    """Reflectors from a CSV: ``x_ecef,y_ecef,z_ecef,kind,rcs_m2`` (header line first)."""
    out = []
    with open(path) as fh:
        header = fh.readline().strip().split(",")
        want = ["x_ecef", "y_ecef", "z_ecef", "kind", "rcs_m2"]
        if header != want:
            raise ValueError(f"{path}: header must be {','.join(want)}, got {','.join(header)}")
        for n, line in enumerate(fh, start=2):
            parts = line.strip().split(",")
            if not line.strip():
                continue
            if len(parts) != 5:
                raise ValueError(f"{path}: line {n}: expected 5 fields, got {len(parts)}")
            try:
                pos = np.array([float(v) for v in parts[:3]])
                rcs = float(parts[4])
            except ValueError as exc:
                raise ValueError(f"{path}: line {n}: {exc}") from exc
            out.append(Reflector(pos, parts[3].strip(), rcs))
    return out


def grid_xy(epsg: int, pos: np.ndarray) -> tuple[float, float]:
    """Projected ``(x, y)`` in ``epsg`` of an ECEF position (a surveyed reflector)."""
    la, lo, _ = ecef_to_geodetic(pos)
    px, py = pyproj_transformer(4326, epsg).transform(np.rad2deg(lo), np.rad2deg(la))
    return float(px), float(py)


def _pixel(x: np.ndarray, y: np.ndarray, epsg: int, pos: np.ndarray) -> tuple[int, int]:
    px, py = grid_xy(epsg, pos)
    return int(np.argmin(np.abs(y - py))), int(np.argmin(np.abs(x - px)))


def reflector_values(img: dict[str, np.ndarray], pixel: tuple[int, int], spacing: float,
                     heading_deg: float, chip: int = 32) -> dict[str, complex]:
    """Complex value of every polarisation at a reflector's peak.

    The peak is located in the channel brightest within two pixels of ``pixel``
    (:func:`sarproc.quality.point_target`), and every channel is read there by band-limited
    interpolation (:func:`sarproc.quality.complex_at`): a trihedral's cross-polarised
    channels, or a 45 degree dihedral's co-polarised ones, hold only cross-talk and
    clutter, whose own brightest pixel is elsewhere.
    """
    i, j = pixel
    win = (slice(max(i - 2, 0), i + 3), slice(max(j - 2, 0), j + 3))
    bright = max(img, key=lambda p: float(np.abs(img[p][win]).max()))
    q = point_target(img[bright], spacing, heading_deg, chip=chip, upsample=8,
                     cut_half_length_m=chip * spacing / 8, peak=(i, j))
    row, col = -q.peak_north_m / spacing, q.peak_east_m / spacing
    return {p: complex_at(im, row, col, chip=chip, upsample=8) for p, im in img.items()}


def _channels(v: dict[str, complex]) -> np.ndarray:
    """A reflector's values as the vector ``[HH, HV, VH, VV]``."""
    return np.array([v["HH"], v["HV"], v["VH"], v["VV"]])


def _rcs_error_db(value: complex, range_m: float, radar_k: float, rcs_true: float) -> float:
    """RCS read from a peak value through the radar equation, against the true RCS (dB)."""
    return float(10 * np.log10(point_rcs(abs(value), range_m, range_m, radar_k) / rcs_true))


def calibrate(gslc: str | os.PathLike[str], reflectors: list[Reflector], radar_k: float,
              apc: np.ndarray, track: np.ndarray, heading_deg: float,
              frequency: int = 0, chip: int = 32) -> dict[str, Any]:
    """Absolute and polarimetric calibration of one band from its reflectors.

    Parameters
    ----------
    gslc : path-like
        The calibration flight's GSLC.
    reflectors : list of Reflector
        Surveyed reflectors (:func:`read_reflectors`).
    radar_k : float
        The band's radar constant (:func:`sarproc.radiometry.band_radar_constant`).
    apc, track : numpy.ndarray
        A phase centre and the track direction there (each reflector's zero-Doppler
        range).
    heading_deg : float
        The track heading in the grid.
    frequency : int
        GSLC frequency (0: ``frequencyA``).
    chip : int
        Side (pixels) of the chip cut around each reflector.
    """
    with h5py.File(gslc, "r") as f:
        g = f[f"{GRIDS}/{frequency_name(frequency)}"]
        pols = [p.decode() for p in g["listOfPolarizations"][()]]
        img = {p: g[p][()] for p in pols}
        x, y = g["xCoordinates"][()], g["yCoordinates"][()]
        epsg = int(g["projection"][()])
        spacing = float(g["xCoordinateSpacing"][()])
    measured: list[dict[str, Any]] = []
    peaks: list[dict[str, complex]] = []
    # no-data pixels (NaN: no pulse reached them) are left out of the distributed scene
    # and read as zero by the reflectors' interpolation
    mask = np.ones(img[pols[0]].shape, bool)
    for p in pols:
        bad = ~np.isfinite(img[p])
        mask &= ~bad
        img[p][bad] = 0
    for r in reflectors:
        i, j = _pixel(x, y, epsg, r.position)
        h = chip // 2
        if i < h or j < h or i + h > mask.shape[0] or j + h > mask.shape[1]:
            continue
        mask[max(0, i - 2 * h) : i + 2 * h, max(0, j - 2 * h) : j + 2 * h] = False
        d = r.position - apc
        rng = float(np.linalg.norm(d - (d @ track) * track))
        vals = reflector_values(img, (i, j), spacing, heading_deg, chip)
        peaks.append(vals)
        measured.append({"kind": r.kind, "rcs_true_m2": r.rcs_m2, "range_m": rng,
                         "rcs_db_error": {p: _rcs_error_db(v, rng, radar_k, r.rcs_m2)
                                          for p, v in vals.items()}})
    tri = [k for k, m in enumerate(measured) if m["kind"] == "trihedral"]
    if not tri:
        raise ValueError(f"{gslc}: no trihedral reflector inside the image")
    result: dict[str, Any] = {"reflectors": measured}
    cal = None
    if sorted(pols) == ["HH", "HV", "VH", "VV"]:
        # distributed pixels: away from the reflectors and not much brighter than the scene
        span = sum(np.abs(img[p]) ** 2 for p in pols)
        ok = mask & np.isfinite(span) & (span < 10 * np.nanmedian(span[mask]))
        cov = observed_covariance(*(img[p][ok] for p in ("HH", "HV", "VH", "VV")))
        targets = []
        for k, m in enumerate(measured):
            shape = canonical_matrix(m["kind"])
            if shape is not None:
                targets.append((_channels(peaks[k]), shape))
        cal = estimate(cov, targets)
        result["polcal"] = {"crosstalk": [[c.real, c.imag] for c in cal.crosstalk],
                            "imbalance": [cal.imbalance.real, cal.imbalance.imag],
                            "distributed_pixels": int(ok.sum()), **cal.as_dict()}
    # absolute: the trihedrals' co-polarised RCS, after the polarimetric correction
    errs = []
    for k in tri:
        v = peaks[k]
        if cal is not None:
            s = cal.correct(observed_matrix(_channels(v)))
            co = {"HH": s[0, 0], "VV": s[1, 1]}
        else:
            co = {p: v[p] for p in ("HH", "VV") if p in v}
        m = measured[k]
        m["rcs_db_error_corrected"] = {
            p: _rcs_error_db(x, m["range_m"], radar_k, m["rcs_true_m2"])
            for p, x in co.items()}
        errs += list(m["rcs_db_error_corrected"].values())
    result["absolute_db"] = float(np.mean(errs))
    return result


def write_calibration(path: str | os.PathLike[str], bands: dict[int, dict[str, Any]],
                      provenance: dict[str, str]) -> Path:
    """Write a calibration file (JSON, atomically)."""
    path = Path(path)
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps({"bands": {str(k): v for k, v in bands.items()},
                                   "provenance": provenance}, indent=2))
    return path


def load_calibration(path: str | os.PathLike[str]) -> dict[int, dict[str, Any]]:
    """Per-band calibration from a file written by :func:`write_calibration`."""
    try:
        data = json.loads(Path(path).read_text())
        return {int(k): v for k, v in data["bands"].items()}
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{path}: not a calibration file ({exc})") from exc


def polcal_of(entry: dict[str, Any]) -> PolCal | None:
    """The :class:`PolCal` of one band's calibration entry, if it has one."""
    pc = entry.get("polcal")
    if pc is None:
        return None
    d = [complex(a, b) for a, b in pc["crosstalk"]]
    return PolCal((d[0], d[1], d[2], d[3]), complex(*pc["imbalance"]))
