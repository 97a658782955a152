"""GHG/SIF spectrometer frames of a simulated flight: calibration, footprints, detector.

Per band: a pre-flight calibration (vacuum wavelength with smile, Gaussian ISRF FWHM,
gain with pixel response non-uniformity, dark offset, bad pixels, read noise and
conversion gain) written as ICD section 8; per frame: the footprint of every across-track
pixel on the scene, its true state (land class, albedo, SIF, XCO2, XCH4, clouds), the
radiance of :mod:`sim.radiative` through the ISRF at the in-flight-shifted wavelengths, and
detector counts with shot and read noise, dark offset and saturation. Dark frames (shutter
closed) at the start and every minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import AltAz, EarthLocation, get_body
from astropy.time import Time
from pyproj import Transformer

from flightlog.packets import APID_GHGSIF_FRAME
from flightlog.payloads import encode_frame
from sim.flight import AnalyticFlight
from sim.radiative import BandModel, Sounding, band_model
from sim.recorder import Item
from sim.sar_raw import Scene

#: Surface reflectance per land class (1 forest ... 5 water) and band, with 0 for "none".
ALBEDO = {"O2A": {1: 0.40, 2: 0.33, 3: 0.25, 4: 0.22, 5: 0.02},
          "WCO2": {1: 0.22, 2: 0.16, 3: 0.10, 4: 0.28, 5: 0.01},
          "CH4": {1: 0.20, 2: 0.14, 3: 0.09, 4: 0.27, 5: 0.01}}
#: SIF at 757 nm per class, W m-2 sr-1 nm-1.
SIF_757 = {1: 1.6e-3, 2: 1.1e-3, 3: 0.8e-3, 4: 0.1e-3, 5: 0.0}
#: Radiance (W m-2 sr-1 nm-1) that the detector gain puts at 45 % of the full well, per
#: wavelength group (:data:`ghgsif.bands.GROUPS`): roughly a bright scene's continuum.
TYPICAL_RADIANCE = {"O2A": 0.12, "SWIR": 0.03}
FULL_WELL = 65535


@dataclass
class Calibration:
    """ICD section 8 quantities of one band."""

    wavelength_nm: np.ndarray
    isrf_fwhm_nm: np.ndarray
    gain: np.ndarray
    dark_offset: np.ndarray
    bad_pixel: np.ndarray
    read_noise: float = 8.0
    electrons_per_count: float = 4.0


def make_calibration(lo_nm: float, hi_nm: float, n_spatial: int, n_spectral: int,
                     typical_radiance: float, integration_s: float,
                     rng: np.random.Generator) -> Calibration:
    """A band's calibration: linear dispersion with smile, PRNU, dark offsets, bad pixels.

    Parameters
    ----------
    lo_nm, hi_nm : float
        Wavelength of the first and last spectral pixel at the centre of the slit (nm).
    n_spatial, n_spectral : int
        Detector size.
    typical_radiance : float
        Radiance (W m-2 sr-1 nm-1) that fills 45 % of the full well.
    integration_s : float
        Integration time (s).
    rng : numpy.random.Generator
        Draws of PRNU, dark offsets and bad pixels.
    """
    j = (np.arange(n_spatial) - (n_spatial - 1) / 2) / max((n_spatial - 1) / 2, 1)
    wl = np.linspace(lo_nm, hi_nm, n_spectral)[None, :] + 0.02 * j[:, None] ** 2
    step = (hi_nm - lo_nm) / (n_spectral - 1)
    gain0 = typical_radiance * integration_s / (0.45 * FULL_WELL)
    gain = gain0 * (1 + 0.02 * rng.normal(size=(n_spatial, n_spectral)))
    dark = 500.0 + 20.0 * rng.normal(size=(n_spatial, n_spectral))
    bad = (rng.random((n_spatial, n_spectral)) < 1e-3).astype(np.uint8)
    return Calibration(wl, np.full((n_spatial, n_spectral), 2.5 * step), gain, dark, bad)


def pixel_directions(n: int, fov_deg: float) -> np.ndarray:
    """Body-frame lines of sight of the across-track pixel centres (nadir pushbroom)."""
    a = np.deg2rad((np.arange(n) + 0.5) / n * fov_deg - fov_deg / 2)
    return np.stack([np.zeros_like(a), np.sin(a), np.cos(a)], axis=1)


class SpectrometerSim:
    """Frames of all bands along a flight over a scene."""

    def __init__(self, desc: dict[str, Any], flight: AnalyticFlight, scene: Scene,
                 n_spatial: int, n_spectral: int, integration_s: float,
                 rng: np.random.Generator, cloudy: bool = False):
        g = desc["ghgsif"]
        self.desc = desc
        self.flight = flight
        self.scene = scene
        self.n_spatial = n_spatial
        self.integration_s = integration_s
        self.cloudy = cloudy
        self.rng = rng
        self.lever = np.asarray(g["lever_arm_m"], float)
        self.dirs = pixel_directions(n_spatial, g["across_track_fov_deg"])
        grid = scene.class_grid
        self.centre = np.asarray(grid.get("centre_ecef", flight.ecef(
            np.array([flight.t0_gps]))[0]))
        geo = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)
        lon_c, lat_c, h_c = geo.transform(*self.centre)
        self.location = EarthLocation.from_geodetic(lon_c * u.deg, lat_c * u.deg, h_c * u.m)
        self.up = self.centre / np.linalg.norm(self.centre)
        self.east = np.cross([0.0, 0.0, 1.0], self.up)
        self.east /= np.linalg.norm(self.east)
        self.north = np.cross(self.up, self.east)
        self.models: dict[str, BandModel] = {}
        self.calib: dict[str, Calibration] = {}
        aircraft_km = flight.altitude_m / 1000.0
        for b in g["bands"]:
            lo, hi = b["range_nm"]
            self.models[b["name"]] = band_model(b["name"], lo, hi, 0.0, aircraft_km)
            typical = TYPICAL_RADIANCE[self.models[b["name"]].group]
            self.calib[b["name"]] = make_calibration(lo, hi, n_spatial, n_spectral, typical,
                                                     integration_s, rng)

    # -- footprints and truth ------------------------------------------------------------
    def footprints(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Ground points (n_spatial, 3) on the scene's tangent plane and view zeniths (deg)."""
        tt = np.array([t])
        rot = self.flight.body_to_ecef(tt)
        pupil = self.flight.ecef(tt)[0] + rot.apply(self.lever)[0]
        d = rot.apply(self.dirs)
        s = ((self.centre - pupil) @ self.up) / (d @ self.up)
        pts = pupil + s[:, None] * d
        vza = np.rad2deg(np.arccos(np.clip(-(d @ self.up), -1, 1)))
        return pts, vza

    def _class_at(self, pts: np.ndarray) -> np.ndarray:
        grid = self.scene.class_grid
        cmap = self.scene.class_map
        if not grid or cmap.size == 0:
            return np.ones(len(pts), dtype=np.int64)
        rel = pts - np.asarray(grid["centre_ecef"])
        a = rel @ np.asarray(grid["along_track"]) / grid["spacing_m"] + (cmap.shape[0] - 1) / 2
        c = rel @ np.asarray(grid["across_track"]) / grid["spacing_m"] + (cmap.shape[1] - 1) / 2
        ia, ic = np.round(a).astype(int), np.round(c).astype(int)
        inside = (ia >= 0) & (ia < cmap.shape[0]) & (ic >= 0) & (ic < cmap.shape[1])
        out = np.ones(len(pts), dtype=np.int64)
        out[inside] = cmap[ia[inside], ic[inside]]
        out[out == 0] = 1
        return out

    def truth_state(self, pts: np.ndarray) -> dict[str, np.ndarray]:
        """True footprint state: class, SIF, gas scales and clouds as smooth fields."""
        rel = pts - self.centre
        x, y = rel @ self.east, rel @ self.north  # metres east and north of the centre
        cls = self._class_at(pts)
        sif = np.array([SIF_757[c] for c in cls]) * (1 + 0.15 * np.sin(x / 300.0))
        co2 = 1.0 + 0.006 * np.sin(y / 400.0 + 1.0)  # +/- 2.5 ppm at 420 ppm
        ch4 = 1.0 + 0.02 * np.exp(-((x - 100.0) ** 2 + (y + 50.0) ** 2) / (2 * 150.0**2))
        cloud = np.zeros(len(pts), dtype=bool)
        if self.cloudy:
            cloud = np.sin(x / 120.0) + np.cos(y / 90.0) > 1.2
        return {"class": cls, "sif_757": sif, "co2_scale": co2, "ch4_scale": ch4,
                "cloud": cloud}

    def solar_zenith(self, t: float) -> float:
        """Solar zenith (deg) at the scene centre, from astropy."""
        tm = Time(t, format="gps")
        sun = get_body("sun", tm, location=self.location).transform_to(
            AltAz(obstime=tm, location=self.location))
        return float(90.0 - sun.alt.deg)

    # -- detector ----------------------------------------------------------------------------
    def frame_counts(self, name: str, t: float, shutter_closed: bool,
                     shift_pix: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Counts [n_spatial, n_spectral] of one frame and its truth."""
        cal = self.calib[name]
        model = self.models[name]
        rng = self.rng
        pts, vza = self.footprints(t + 0.5 * self.integration_s)
        truth = self.truth_state(pts)
        sza = self.solar_zenith(t)
        signal = np.zeros(cal.gain.shape)
        if not shutter_closed:
            band_key = name if name in ALBEDO else "O2A"
            rad = np.stack([model.radiance(Sounding(
                ALBEDO[band_key][int(truth["class"][j])], 0.0, float(truth["sif_757"][j]),
                float(truth["co2_scale"][j]), float(truth["ch4_scale"][j]), 1.0, sza,
                float(vza[j]), 2.0 if truth["cloud"][j] else None))
                for j in range(self.n_spatial)])
            step = cal.wavelength_nm[0, 1] - cal.wavelength_nm[0, 0]
            wl = cal.wavelength_nm + shift_pix * step
            conv = np.stack([model.convolve(rad[j], float(cal.isrf_fwhm_nm[j, 0]), wl[j])
                             for j in range(self.n_spatial)])
            signal = conv / cal.gain * self.integration_s
        electrons = rng.poisson(np.maximum(signal, 0) * cal.electrons_per_count)
        counts = (electrons / cal.electrons_per_count + cal.dark_offset
                  + rng.normal(0, cal.read_noise, signal.shape))
        counts = np.where(cal.bad_pixel == 1, rng.integers(0, FULL_WELL, signal.shape), counts)
        truth.update({"sza": np.full(self.n_spatial, sza), "vza": vza,
                      "shift_pix": np.full(self.n_spatial, shift_pix)})
        return np.clip(np.round(counts), 0, FULL_WELL).astype(np.uint16), truth


def spectrometer_items(sim: SpectrometerSim, t0: float, t1: float, frame_rate_hz: float,
                       n_dark: int, band_offset_s: float) -> tuple[list[Item], dict[str, Any]]:
    """Frame payloads of all bands in ``[t0, t1)`` and their per-footprint truth."""
    items: list[Item] = []
    truth: dict[str, Any] = {}
    n_frames = int(np.floor((t1 - t0) * frame_rate_hz + 1e-3))
    for b in sim.desc["ghgsif"]["bands"]:
        rows = []
        for i in range(n_frames):
            t = t0 + i / frame_rate_hz + band_offset_s * b["id"]
            dark = i < n_dark or (i % int(60 * frame_rate_hz) == 0 and i > 0)
            shift = 0.15 * np.sin(2 * np.pi * (t - t0) / 300.0) + 0.05 * b["id"]
            counts, tr = sim.frame_counts(b["name"], t, dark, shift)
            items.append(Item(t, APID_GHGSIF_FRAME, encode_frame(
                i, b["id"], int(dark), sim.integration_s, 240.0, counts)))
            tr["frame_counter"] = np.full(sim.n_spatial, i)
            tr["dark"] = np.full(sim.n_spatial, dark)
            rows.append(tr)
        if not rows:  # a flight shorter than one frame period: the band recorded nothing
            truth[b["name"]] = {}
            continue
        truth[b["name"]] = {k: np.stack([r[k] for r in rows]) for k in rows[0]}
        model = sim.models[b["name"]]
        lay = model.layers
        tb = truth[b["name"]]
        shape = tb["class"].shape
        tb["surface_pressure_hpa"] = np.full(shape, lay.surface_pressure_hpa)
        for gas, unit, key in (("CO2", 1e6, "xco2_ppm"), ("CH4", 1e9, "xch4_ppb")):
            reference = float(np.sum(lay.air_column_cm2 * lay.vmr[gas])
                              / np.sum(lay.air_column_cm2))
            tb[key] = tb[f"{gas.lower()}_scale"] * reference * unit
    items.sort(key=lambda it: it.gps_time)  # the recorder interleaves the bands in time
    return items, truth
