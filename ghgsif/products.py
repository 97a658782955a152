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

    def create(self, parent: netCDF4.Dataset | netCDF4.Group, **kw: Any) -> netCDF4.Variable:
        """The variable in ``parent``, with its attributes."""
        v = parent.createVariable(self.name, self.dtype, self.dims, zlib=self.compress, **kw)
        for key in ("units", "long_name", "standard_name"):
            val = getattr(self, key)
            if val is not None:
                v.setncattr(key, val)
        for key, val in self.attrs.items():
            v.setncattr(key, val)
        return v


_TIME = "start of integration, GPS seconds since 1980-01-06T00:00:00"
_CUBE = ("frame", "pixel", "spectral")
_RADIANCE = "W m-2 sr-1 nm-1"

#: Variables of each band's L1B group.
L1B_VARIABLES: tuple[Var, ...] = (
    Var("radiance", "f4", _CUBE, _RADIANCE, compress=True),
    Var("radiance_noise", "f4", _CUBE, _RADIANCE, compress=True),
    Var("quality", "u1", _CUBE, "1", compress=True, attrs={
        "flag_masks": np.array([1, 2, 4, 8], np.uint8),
        "flag_meanings": "bad_pixel saturated no_dark_frame below_dark"}),
    Var("wavelength", "f8", _CUBE, "nm", "registered vacuum wavelength of the pixel centre"),
    Var("time", "f8", ("frame",), "s", _TIME),
    Var("frame_counter", "i8", ("frame",), "1"),
    Var("wavelength_shift_pixels", "f8", ("frame",), "1"),
    Var("wavelength_squeeze", "f8", ("frame",), "1"),
    Var("latitude", "f8", ("frame", "pixel"), "degrees_north", standard_name="latitude"),
    Var("longitude", "f8", ("frame", "pixel"), "degrees_east", standard_name="longitude"),
    Var("solar_zenith", "f4", ("frame", "pixel"), "degree", compress=True),
    Var("viewing_zenith", "f4", ("frame", "pixel"), "degree", compress=True),
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
    return (Var(name, "f8", _S, _SIF, long_name, compress=True),
            Var(f"{name}_uncertainty", "f8", _S, _SIF, "1-sigma uncertainty of solar-induced "
                f"fluorescence at {name[4:7]} nm", compress=True))


def _plain(name: str, units: str | None = None, long_name: str | None = None,
           dtype: str = "f8", **attrs: Any) -> Var:
    return Var(name, dtype, _S, units, long_name, compress=True, attrs=attrs)


#: The L2 variables of the O2-A chain and the geometry, in file order.
L2_BASE_VARIABLES: tuple[Var, ...] = (
    _plain("frame_counter", dtype="i8"),
    _plain("pixel", dtype="i2"),
    _plain("time", "s", _TIME),
    Var("latitude", "f8", _S, "degrees_north", standard_name="latitude", compress=True,
        attrs={"bounds": "latitude_bounds"}),
    Var("longitude", "f8", _S, "degrees_east", standard_name="longitude", compress=True,
        attrs={"bounds": "longitude_bounds"}),
    Var("latitude_bounds", "f8", ("sounding", "corner"), "degrees_north", compress=True,
        attrs={"comment": _CORNERS}),
    Var("longitude_bounds", "f8", ("sounding", "corner"), "degrees_east", compress=True,
        attrs={"comment": _CORNERS}),
    _plain("solar_zenith", "degree"),
    _plain("viewing_zenith", "degree"),
    *_sif("sif_757", "solar-induced fluorescence at 757 nm"),
    _plain("sif_757_chi2", long_name=_CHI2),
    *_sif("sif_771", "solar-induced fluorescence at 771 nm"),
    _plain("sif_771_chi2", long_name=_CHI2),
    *_sif("sif_757_o2a", "solar-induced fluorescence at 757 nm from the O2-A band's optimal "
          "estimation (spectral fitting)"),
    _plain("surface_pressure_apparent", "hPa"),
    _plain("surface_pressure_expected", "hPa"),
    _plain("cloud_delta_pressure", "hPa"),
    _plain("o2a_chi2", long_name=_CHI2),
    _plain("o2a_brightness"),
    _plain("o2a_iterations"),
    *(v for m, label in zip(FLD_METHODS, ("sFLD", "3FLD", "iFLD"), strict=True)
      for v in _sif(f"sif_757_{m}", f"solar-induced fluorescence from the O2-A band by "
                    f"{label} (at fld_wavelength_in, scaled to 757 nm with the fluorescence "
                    "shape; ghgsif.fld)")),
    _plain("fld_wavelength_in", "nm", "wavelength of the FLD in-band pixel"),
    _plain("cloud_flag", long_name="1: cloudy (O2-A apparent surface pressure or fit "
           "quality, or the weak CO2 band's apparent surface pressure against the O2-A "
           "band's; ghgsif.clouds)", dtype="u1"),
    _plain("quality_flag", dtype="u1",
           flag_masks=np.array([1, 2, 4, 8, 16, 32, 64], np.uint8),
           flag_meanings="geolocation_invalid sif_fit_failed sif_chi2_above_2 "
                         "window_pixels_flagged cloudy o2a_not_converged "
                         "co2_band_inconsistent"),
)


def _xgas_variables() -> list[Var]:
    """The L2 variables of the SWIR bands of :data:`ghgsif.bands.BANDS`, in file order."""
    bands = swir_bands()
    out: list[Var] = []
    for b in bands:
        what = f"column-averaged dry-air mole fraction of {b.gas} ({b.unit_name})"
        out += [_plain(b.l2_name, b.units, what),
                _plain(f"{b.l2_name}_uncertainty", b.units, "1-sigma uncertainty of " + what),
                _plain(f"{b.l2_name}_averaging_kernel")]
        if b.proxy:
            out += [_plain(f"{b.l2_name}_proxy", b.units, what + ", CO2 proxy"),
                    _plain(f"{b.l2_name}_proxy_uncertainty", b.units,
                           "1-sigma uncertainty of " + what + ", CO2 proxy")]
    for suffix in ("chi2", "iterations", "converged"):
        out += [_plain(f"{b.fit_name}_{suffix}", long_name=_CHI2 if suffix == "chi2" else None)
                for b in bands]
    out.append(_plain("cloud_co2_delta_pressure", "hPa", "weak CO2 band's apparent surface "
                      "pressure less the O2-A band's (cloud test; NaN without a SWIR "
                      "retrieval)"))
    return out


def l2_variables() -> tuple[Var, ...]:
    """Every L2 variable, in file order."""
    return (*L2_BASE_VARIABLES, *_xgas_variables())


def write_l2(path: Path, l2: dict[str, list[np.ndarray]], attrs: dict[str, str]) -> None:
    """The L2 file from the per-block lists of each variable of :func:`l2_variables`."""
    data = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in l2.items()}
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        nc.Conventions = "CF-1.8"
        nc.title = "Pi-SAR-L3 GHG/SIF spectrometer L2: solar-induced fluorescence"
        nc.featureType = "point"
        for key, val in attrs.items():
            nc.setncattr(key, val)
        nc.createDimension("sounding", data["time"].size)
        nc.createDimension("corner", 4)
        for var in l2_variables():
            arr = data[var.name]
            if len(var.dims) == 2 and arr.ndim == 1:
                arr = arr.reshape(-1, 4)
            var.create(nc)[:] = arr.astype(var.dtype)
