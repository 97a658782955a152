"""The spectrometer's products as CF netCDF4: L1B (a group per band) and L2 soundings.

Each product declares its variables in one table (:data:`L1B_VARIABLES`,
:func:`l2_variables`): name, type, dimensions, units, long name, standard name and any
flag attributes. The science (:mod:`ghgsif.pipeline`) fills them; nothing here computes.

- ``<flight>_GHGSIF_L1B.nc``: one group per band with dimensions ``frame`` (unlimited),
  ``pixel`` (across track), ``spectral``.
- ``<flight>_GHGSIF_L2.nc``: dimension ``sounding`` (frame counter and across-track pixel
  as keys) and ``corner`` (footprint corners of the ``_bounds``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import netCDF4
import numpy as np

from flightlog import cfmeta
from flightlog.cfmeta import AUXILIARY, COORDINATE, MEASUREMENT, QUALITY
from ghgsif.bands import swir_bands
from ghgsif.fld import METHODS as FLD_METHODS

#: Chunk cache of each L1B variable written block by block (bytes).
NC_CHUNK_CACHE = 1 << 20


@dataclass(frozen=True)
class Var:
    """A variable of a product and its CF attributes (None: the attribute is not set)."""

    name: str
    dtype: str
    dims: tuple[str, ...]
    units: str | None = None
    long_name: str | None = None
    standard_name: str | None = None
    compress: bool = False
    attrs: dict[str, Any] = field(default_factory=dict)
    """Further attributes (``flag_masks``, ``bounds``, ``comment``), in this order."""
    role: str = MEASUREMENT
    """ACDD ``coverage_content_type``."""

    def create(self, parent: netCDF4.Dataset | netCDF4.Group, **kw: Any) -> netCDF4.Variable:
        """The variable in ``parent``, with its attributes."""
        v = parent.createVariable(self.name, self.dtype, self.dims, zlib=self.compress, **kw)
        for key in ("units", "long_name", "standard_name"):
            val = getattr(self, key)
            if val is not None:
                v.setncattr(key, val)
        for key, val in self.attrs.items():
            v.setncattr(key, val)
        v.coverage_content_type = self.role
        return v


_TIME_ATTRS = {"calendar": "standard", "axis": "T", "comment": cfmeta.UTC_TIME_NOTE}
_GPS = "GPS time of the start of integration: SI seconds since 1980-01-06T00:00:00 UTC"
_COUNTER = ("recorder frame counter of the band (uint32 of the ICD, held exactly as a "
            "double: CF-1.8 has no unsigned 32-bit type)")
_CUBE = ("frame", "pixel", "spectral")
_RADIANCE = "W m-2 sr-1 nm-1"
#: ``coordinates`` of the L1B cubes and of the L2 soundings.
_L1B_COORDS = {"coordinates": "time latitude longitude wavelength"}
_L2_COORDS = {"coordinates": "time latitude longitude"}

#: Variables of each band's L1B group.
L1B_VARIABLES: tuple[Var, ...] = (
    Var("radiance", "f4", _CUBE, _RADIANCE, "calibrated spectral radiance at the aperture",
        "upwelling_radiance_per_unit_wavelength_in_air", compress=True, attrs=_L1B_COORDS),
    Var("radiance_noise", "f4", _CUBE, _RADIANCE, "1-sigma noise of radiance (shot, read "
        "and dark noise)", compress=True, attrs=_L1B_COORDS, role=QUALITY),
    Var("quality", "i1", _CUBE, None, "pixel quality flags (0: good)", compress=True, attrs={
        "flag_masks": np.array([1, 2, 4, 8], np.int8),
        "flag_meanings": "bad_pixel saturated no_dark_frame below_dark",
        **_L1B_COORDS}, role=QUALITY),
    Var("wavelength", "f8", _CUBE, "nm", "registered vacuum wavelength of the pixel centre",
        "radiation_wavelength", role=COORDINATE),
    Var("time", "f8", ("frame",), cfmeta.UTC_TIME_UNITS, "start of integration (UTC)",
        "time", attrs=_TIME_ATTRS, role=COORDINATE),
    Var("gps_time", "f8", ("frame",), "s", _GPS, role=COORDINATE),
    Var("frame_counter", "f8", ("frame",), "1", _COUNTER, role=AUXILIARY),
    Var("wavelength_shift_pixels", "f8", ("frame",), "1", "registered spectral shift of "
        "the frame against the calibration, in pixels", role=AUXILIARY),
    Var("wavelength_squeeze", "f8", ("frame",), "1", "registered relative spectral "
        "stretch of the frame against the calibration", role=AUXILIARY),
    Var("latitude", "f8", ("frame", "pixel"), "degrees_north", "footprint centre latitude",
        "latitude", role=COORDINATE),
    Var("longitude", "f8", ("frame", "pixel"), "degrees_east", "footprint centre "
        "longitude", "longitude", role=COORDINATE),
    Var("solar_zenith", "f4", ("frame", "pixel"), "degree", "solar zenith angle at the "
        "footprint", "solar_zenith_angle", compress=True, role=AUXILIARY),
    Var("viewing_zenith", "f4", ("frame", "pixel"), "degree", "viewing zenith angle at the "
        "footprint", "sensor_zenith_angle", compress=True, role=AUXILIARY),
)


def l1b_group(nc: netCDF4.Dataset, name: str, n_x: int, n_l: int,
              wavelength_registration: str) -> netCDF4.Group:
    """A band's L1B group with its dimensions and (empty) variables."""
    g = nc.createGroup(name)
    g.createDimension("frame", None)
    g.createDimension("pixel", n_x)
    g.createDimension("spectral", n_l)
    for var in L1B_VARIABLES:
        var.create(g).set_var_chunk_cache(size=NC_CHUNK_CACHE)  # not netCDF's 64 MB each
    g.wavelength_registration = wavelength_registration
    return g


_SIF = "mW m-2 sr-1 nm-1"
_CHI2 = "reduced chi-square of the fit"
_S = ("sounding",)
_CORNERS = ("footprint corners: the pixel's left and right edges at the start and end of "
            "integration")


def _sif(name: str, long_name: str) -> tuple[Var, Var]:
    """A SIF variable and its uncertainty."""
    return (Var(name, "f8", _S, _SIF, long_name, compress=True, attrs=_L2_COORDS),
            Var(f"{name}_uncertainty", "f8", _S, _SIF, "1-sigma uncertainty of solar-induced "
                f"fluorescence at {name[4:7]} nm", compress=True, attrs=_L2_COORDS,
                role=QUALITY))


def _plain(name: str, units: str | None, long_name: str, dtype: str = "f8",
           role: str = MEASUREMENT, standard_name: str | None = None, **attrs: Any) -> Var:
    """A variable of the soundings, linked to their time and position."""
    return Var(name, dtype, _S, units, long_name, standard_name, compress=True,
               attrs={**attrs, **_L2_COORDS}, role=role)


def _fit(name: str, what: str, role: str = QUALITY) -> Var:
    return _plain(name, "1", what, role=role)


_ITER = "iterations of the optimal estimation of the "
_CONV = ("1 where the optimal estimation of the {} converged, 0 where not, NaN where it did "
         "not run")


#: The L2 variables of the O2-A chain and the geometry, in file order.
L2_BASE_VARIABLES: tuple[Var, ...] = (
    Var("frame_counter", "f8", _S, "1", _COUNTER, compress=True, role=AUXILIARY),
    Var("pixel", "i2", _S, "1", "across-track pixel of the sounding", compress=True,
        role=AUXILIARY),
    Var("time", "f8", _S, cfmeta.UTC_TIME_UNITS, "start of integration (UTC)", "time",
        compress=True, attrs=_TIME_ATTRS, role=COORDINATE),
    Var("gps_time", "f8", _S, "s", _GPS, compress=True, role=COORDINATE),
    Var("latitude", "f8", _S, "degrees_north", "footprint centre latitude", "latitude",
        compress=True, attrs={"bounds": "latitude_bounds"}, role=COORDINATE),
    Var("longitude", "f8", _S, "degrees_east", "footprint centre longitude", "longitude",
        compress=True, attrs={"bounds": "longitude_bounds"}, role=COORDINATE),
    Var("latitude_bounds", "f8", ("sounding", "corner"), compress=True,
        attrs={"comment": _CORNERS}, role=COORDINATE),
    Var("longitude_bounds", "f8", ("sounding", "corner"), compress=True,
        attrs={"comment": _CORNERS}, role=COORDINATE),
    _plain("solar_zenith", "degree", "solar zenith angle at the footprint",
           role=AUXILIARY, standard_name="solar_zenith_angle"),
    _plain("viewing_zenith", "degree", "viewing zenith angle at the footprint",
           role=AUXILIARY, standard_name="sensor_zenith_angle"),
    *_sif("sif_757", "solar-induced fluorescence at 757 nm"),
    _fit("sif_757_chi2", _CHI2),
    *_sif("sif_771", "solar-induced fluorescence at 771 nm"),
    _fit("sif_771_chi2", _CHI2),
    *_sif("sif_757_o2a", "solar-induced fluorescence at 757 nm from the O2-A band's optimal "
          "estimation (spectral fitting)"),
    _plain("surface_pressure_apparent", "hPa", "apparent surface pressure from the O2-A "
           "band's O2 column (cloud test)"),
    _plain("surface_pressure_expected", "hPa", "surface pressure expected at the "
           "footprint (prior atmosphere at the ground's height)", role=AUXILIARY),
    _plain("cloud_delta_pressure", "hPa", "apparent less expected surface pressure (cloud "
           "test)", role=QUALITY),
    _fit("o2a_chi2", _CHI2),
    _plain("o2a_brightness", "1", "fitted surface reflectance at the O2-A band centre "
           "(cloud test)", role=AUXILIARY),
    _fit("o2a_iterations", _ITER + "O2-A band"),
    *(v for m, label in zip(FLD_METHODS, ("sFLD", "3FLD", "iFLD"), strict=True)
      for v in _sif(f"sif_757_{m}", f"solar-induced fluorescence from the O2-A band by "
                    f"{label} (at fld_wavelength_in, scaled to 757 nm with the fluorescence "
                    "shape; ghgsif.fld)")),
    _plain("fld_wavelength_in", "nm", "wavelength of the FLD in-band pixel",
           role=AUXILIARY),
    _plain("cloud_flag", None, "cloud flag (O2-A apparent surface pressure or fit quality, "
           "or the weak CO2 band's apparent surface pressure against the O2-A band's; "
           "ghgsif.clouds)", dtype="i1", role=QUALITY,
           flag_values=np.array([0, 1], np.int8), flag_meanings="clear cloudy"),
    _plain("quality_flag", None, "sounding quality flags (0: good)", dtype="i1",
           role=QUALITY, flag_masks=np.array([1, 2, 4, 8, 16, 32, 64], np.int8),
           flag_meanings="geolocation_invalid sif_fit_failed sif_chi2_above_2 "
                         "window_pixels_flagged cloudy o2a_not_converged "
                         "co2_band_inconsistent"),
)


def _error(standard_name: str | None) -> str | None:
    """The CF standard name of a quantity's 1-sigma uncertainty (CF Appendix C modifier)."""
    return None if standard_name is None else f"{standard_name} standard_error"


def _xgas_variables() -> list[Var]:
    """The L2 variables of the SWIR bands of :data:`ghgsif.bands.BANDS`, in file order."""
    bands = swir_bands()
    out: list[Var] = []
    for b in bands:
        what = f"column-averaged dry-air mole fraction of {b.gas} ({b.unit_name})"
        out += [_plain(b.l2_name, b.units, what, standard_name=b.standard_name),
                _plain(f"{b.l2_name}_uncertainty", b.units, "1-sigma uncertainty of " + what,
                       role=QUALITY, standard_name=_error(b.standard_name)),
                _plain(f"{b.l2_name}_averaging_kernel", "1", "column averaging kernel of "
                       f"{b.l2_name} (sensitivity of the retrieved to the true column)",
                       role=QUALITY)]
        if b.proxy:
            out += [_plain(f"{b.l2_name}_proxy", b.units, what + ", CO2 proxy",
                           standard_name=b.standard_name),
                    _plain(f"{b.l2_name}_proxy_uncertainty", b.units,
                           "1-sigma uncertainty of " + what + ", CO2 proxy", role=QUALITY,
                           standard_name=_error(b.standard_name))]
    for suffix, what in (("chi2", "{}: " + _CHI2), ("iterations", _ITER + "{}"),
                         ("converged", _CONV)):
        out += [_fit(f"{b.fit_name}_{suffix}", what.format(f"{b.name} band")) for b in bands]
    out.append(_plain("cloud_co2_delta_pressure", "hPa", "weak CO2 band's apparent surface "
                      "pressure less the O2-A band's (cloud test; NaN without a SWIR "
                      "retrieval)", role=QUALITY))
    return out


def l2_variables() -> tuple[Var, ...]:
    """Every L2 variable, in file order."""
    return (*L2_BASE_VARIABLES, *_xgas_variables())


#: Title and summary of each product level.
_ABOUT = {
    "L1B": ("Pi-SAR-L3 GHG/SIF spectrometer L1B radiances",
            "Calibrated, wavelength-registered and geolocated spectral radiances of the "
            "Pi-SAR-L3 push-broom GHG/SIF spectrometer, one group per band (frame x "
            "across-track pixel x spectral pixel), with their noise and quality flags."),
    "L2": ("Pi-SAR-L3 GHG/SIF spectrometer L2 soundings",
           "Per-sounding solar-induced fluorescence (757 and 771 nm), O2-A apparent surface "
           "pressure and cloud screening, and column-averaged dry-air mole fractions of CO2 "
           "and CH4 with their uncertainties and averaging kernels, from the Pi-SAR-L3 "
           "GHG/SIF spectrometer's L1B radiances."),
}
_KEYWORDS = ("solar-induced fluorescence", "XCO2", "XCH4", "greenhouse gases",
             "imaging spectrometer", "airborne")
#: Frames of an L1B group read at a time for its extent.
_EXTENT_FRAMES = 4096


def set_global_attributes(nc: netCDF4.Dataset, level: str, product_id: str,
                          provenance: dict[str, str], gps_range: tuple[float, float],
                          lat: np.ndarray, lon: np.ndarray) -> None:
    """CF/ACDD global attributes and provenance of a product (:mod:`flightlog.cfmeta`).

    ``product_id`` is the product's final file name (``id``), ``gps_range`` the GPS
    seconds it covers, ``lat`` and ``lon`` the positions (their extremes suffice).
    """
    title, summary = _ABOUT[level]
    ok = np.isfinite(gps_range[0]) and np.isfinite(gps_range[1])
    coverage = ((cfmeta.iso_utc_second(gps_range[0]), cfmeta.iso_utc_second(gps_range[1]))
                if ok else ("", ""))
    attrs = cfmeta.discovery_attributes(
        title, summary, _KEYWORDS, provenance, coverage, lat, lon, level,
        "Pi-SAR-L3 airborne GHG/SIF imaging spectrometer", product_id,
        duration_s=float(gps_range[1] - gps_range[0]) if ok else None)
    for key, val in {**provenance, **attrs}.items():
        nc.setncattr(key, val)


def l1b_extent(nc: netCDF4.Dataset) -> tuple[tuple[float, float], np.ndarray, np.ndarray]:
    """GPS time range and the latitude/longitude extremes of every group of an L1B file.

    Read ``_EXTENT_FRAMES`` frames at a time, so memory stays bounded on a long flight.
    """
    t0, t1 = np.inf, -np.inf
    lats: list[float] = []
    lons: list[float] = []
    for g in nc.groups.values():
        n = g.dimensions["frame"].size
        for f0 in range(0, n, _EXTENT_FRAMES):
            sl = slice(f0, min(n, f0 + _EXTENT_FRAMES))
            t = np.asarray(g["gps_time"][sl], np.float64)
            if np.isfinite(t).any():
                t0, t1 = min(t0, float(np.nanmin(t))), max(t1, float(np.nanmax(t)))
            for var, out in (("latitude", lats), ("longitude", lons)):
                v = np.ma.filled(g[var][sl], np.nan).astype(np.float64)
                if np.isfinite(v).any():
                    out += [float(np.nanmin(v)), float(np.nanmax(v))]
    return (t0, t1), np.array(lats), np.array(lons)


def write_l2(path: Path, l2: dict[str, list[np.ndarray]], attrs: dict[str, str],
             product_id: str) -> None:
    """The L2 file from the per-block lists of each variable of :func:`l2_variables`.

    ``path`` may be a temporary name; ``product_id`` is the final file name.
    """
    data = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in l2.items()}
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        gps = data["gps_time"]
        fin = np.isfinite(gps)
        rng = ((float(gps[fin].min()), float(gps[fin].max())) if fin.any()
               else (np.nan, np.nan))
        set_global_attributes(nc, "L2", product_id, attrs, rng, data["latitude"], data["longitude"])
        nc.featureType = "point"
        nc.createDimension("sounding", data["time"].size)
        nc.createDimension("corner", 4)
        for var in l2_variables():
            arr = data[var.name]
            if len(var.dims) == 2 and arr.ndim == 1:
                arr = arr.reshape(-1, 4)
            var.create(nc)[:] = arr.astype(var.dtype)
