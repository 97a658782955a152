"""The polarimetric layers as CF-1.8 netCDF4 (``<stem>_polsar.nc``).

Dimensions ``y`` and ``x`` with their projection coordinates, a ``crs`` grid mapping from
pyproj, and the layers of :data:`LAYERS`, chunked by the row blocks they are written in.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import netCDF4
import numpy as np
from pyproj import Transformer

from flightlog import cfmeta
from flightlog.provenance import atomic_output
from sarproc.products.base import PolBlock, PolGrid, PolSink


@dataclass(frozen=True)
class Layer:
    """A variable of the product."""

    name: str
    dtype: str
    """netCDF type: ``f4`` (NaN fill) or ``i1`` for a flag (fill -1)."""
    units: str
    long_name: str
    standard_name: str | None = None
    flag_meanings: str | None = None
    """Space-separated meanings of flag values 0, 1, ... (a flag layer)."""
    role: str = cfmeta.MEASUREMENT
    """ACDD ``coverage_content_type``."""
    comment: str | None = None


_DB = cfmeta.DB_UNITS


def _backscatter(kind: str) -> list[Layer]:
    return [Layer(f"{kind}_{pol}", "f4", _DB, f"{kind} {pol}{note} in decibels",
                  comment=cfmeta.DB_NOTE)
            for pol, note in (("HH", ""), ("HV", " (symmetrised)"), ("VV", ""))]


#: The product's layers, in file order.
LAYERS: tuple[Layer, ...] = (
    *_backscatter("sigma0"), *_backscatter("beta0"), *_backscatter("gamma0"),
    Layer("incidence_angle", "f4", "degree", "local incidence angle (surface normal from "
          "the DEM or the reference height)", standard_name="angle_of_incidence",
          role=cfmeta.AUXILIARY),
    Layer("nesz", "f4", _DB, "noise-equivalent sigma0 per channel in decibels, from HV - "
          "VH (subtracted from sigma0 when noise_subtraction is on)", role=cfmeta.QUALITY,
          comment=cfmeta.DB_NOTE),
    Layer("entropy", "f4", "1", "Cloude-Pottier entropy"),
    Layer("anisotropy", "f4", "1", "Cloude-Pottier anisotropy"),
    Layer("alpha", "f4", "degree", "Cloude-Pottier mean alpha angle"),
    Layer("freeman_surface", "f4", "1", "Freeman-Durden surface power (sigma0)"),
    Layer("freeman_double_bounce", "f4", "1", "Freeman-Durden double-bounce power (sigma0)"),
    Layer("freeman_volume", "f4", "1", "Freeman-Durden volume power (sigma0)"),
    Layer("freeman_corrected", "i1", "1", "Freeman-Durden: C13 not realisable after the "
          "volume term, scaled to its bound (1) or not (0)",
          flag_meanings="realisable c13_scaled_to_bound", role=cfmeta.QUALITY),
)


def geographic_extent(grid: PolGrid, samples: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes (degrees) along the edges of a map grid."""
    t = np.linspace(0.0, 1.0, samples)
    x0, x1 = float(grid.x[0]), float(grid.x[-1])
    y0, y1 = float(grid.y[0]), float(grid.y[-1])
    xs = np.concatenate([x0 + t * (x1 - x0), np.full(samples, x1), x1 - t * (x1 - x0),
                         np.full(samples, x0)])
    ys = np.concatenate([np.full(samples, y0), y0 + t * (y1 - y0), np.full(samples, y1),
                         y1 - t * (y1 - y0)])
    lon, lat = Transformer.from_crs(grid.epsg, 4326, always_xy=True).transform(xs, ys)
    return np.asarray(lat), np.asarray(lon)


def gslc_time_coverage(gslc: str | Path) -> tuple[str, str]:
    """``zeroDopplerStartTime`` and ``EndTime`` of a GSLC, to the second with ``Z``."""
    from sarproc.products.gslc import ROOT

    with h5py.File(gslc, "r") as f:
        ident = f[f"{ROOT}/identification"]
        return tuple(  # type: ignore[return-value]
            ident[k][()].decode()[:19] + "Z"
            for k in ("zeroDopplerStartTime", "zeroDopplerEndTime"))



class PolsarNetcdfWriter(PolSink):
    """``<stem>_polsar.nc``, written block by block, renamed into place when complete."""

    def open(self, stack: contextlib.ExitStack) -> None:
        """Create the file: dimensions, coordinates, grid mapping and empty layers."""
        self.path = self.stem.with_name(self.stem.name + "_polsar.nc")
        tmp = stack.enter_context(atomic_output(self.path))
        nc = self._nc = stack.enter_context(netCDF4.Dataset(tmp, "w", format="NETCDF4"))
        g = self.grid
        lat, lon = geographic_extent(g)
        gslc = self.parameters.get("gslc")
        coverage = gslc_time_coverage(gslc) if gslc else ("", "")
        attrs = cfmeta.discovery_attributes(
            "Pi-SAR-L3 L-band polarimetric layers",
            "Multilooked backscatter (sigma0, beta0, gamma0 in decibels), local incidence, "
            "noise-equivalent sigma0, Cloude-Pottier entropy, anisotropy and alpha, and "
            "Freeman-Durden powers of one frequency of a Pi-SAR-L3 quad-polarisation "
            "geocoded SLC, on its map grid.",
            ("synthetic aperture radar", "polarimetry", "L-band", "backscatter",
             "forest biomass"), self.provenance, coverage, lat, lon, "L2",
            "Pi-SAR-L3 airborne L-band quad-polarisation SAR", product_id=self.path.name)
        for k, val in {**self.provenance, **attrs}.items():
            nc.setncattr(k, val)
        nc.createDimension("y", g.y.size)
        nc.createDimension("x", g.x.size)
        vx = nc.createVariable("x", "f8", ("x",))
        vx[:] = g.x
        vy = nc.createVariable("y", "f8", ("y",))
        vy[:] = g.y
        for v, axis in ((vx, "x"), (vy, "y")):
            v.units = "m"
            v.standard_name = f"projection_{axis}_coordinate"
            v.long_name = f"{axis} coordinate of the pixel centre"
            v.axis = axis.upper()
            v.coverage_content_type = cfmeta.COORDINATE
        gm = nc.createVariable("crs", "i4")
        for k, val in g.crs.to_cf().items():
            gm.setncattr(k, val)
        self._vars: dict[str, Any] = {}
        chunks = (max(1, min(g.block_rows, g.y.size)), max(1, min(4096, g.x.size)))
        for lay in LAYERS:
            meanings = lay.flag_meanings
            flag = meanings is not None
            var = nc.createVariable(lay.name, lay.dtype, ("y", "x"), zlib=True,
                                    fill_value=np.int8(-1) if flag else np.float32(np.nan),
                                    chunksizes=chunks)
            var.set_var_chunk_cache(size=1 << 20)  # written block by block: not 64 MB each
            if meanings is not None:
                var.flag_values = np.arange(len(meanings.split()), dtype=np.int8)
                var.flag_meanings = meanings
            else:
                var.units = lay.units
            if lay.standard_name:
                var.standard_name = lay.standard_name
            var.long_name = lay.long_name
            if lay.comment:
                var.comment = lay.comment
            var.coverage_content_type = lay.role
            var.grid_mapping = "crs"
            self._vars[lay.name] = var

    def write(self, block: PolBlock) -> None:
        """Store the block's layers."""
        for lay in LAYERS:
            self._vars[lay.name][block.rows, :] = np.asarray(block.layers[lay.name],
                                                             np.dtype(lay.dtype))

    def finish(self, summary: dict[str, Any]) -> dict[str, Path]:
        """The count and fraction of Freeman-Durden pixels whose C13 was scaled."""
        fc = self._vars["freeman_corrected"]
        fc.corrected_pixels = np.int64(summary["corrected"])
        fc.corrected_fraction = (float(summary["corrected"] / summary["decomposed"])
                                 if summary["decomposed"] else 0.0)
        return {"netcdf": self.path}
