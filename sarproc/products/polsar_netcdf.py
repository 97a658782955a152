"""The polarimetric layers as CF-1.8 netCDF4 (``<stem>_polsar.nc``).

Dimensions ``y`` and ``x`` with their projection coordinates, a ``crs`` grid mapping from
pyproj, and the layers of :data:`LAYERS`, chunked by the row blocks they are written in.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import netCDF4
import numpy as np

from flightlog.provenance import atomic_output
from sarproc.products.base import PolBlock, PolSink


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


def _backscatter(kind: str) -> list[Layer]:
    return [Layer(f"{kind}_{pol}", "f4", "dB", f"{kind} {pol}{note}")
            for pol, note in (("HH", ""), ("HV", " (symmetrised)"), ("VV", ""))]


#: The product's layers, in file order.
LAYERS: tuple[Layer, ...] = (
    *_backscatter("sigma0"), *_backscatter("beta0"), *_backscatter("gamma0"),
    Layer("incidence_angle", "f4", "degree", "local incidence angle (surface normal from "
          "the DEM or the reference height)"),
    Layer("nesz", "f4", "dB", "noise-equivalent sigma0 per channel, from HV - VH "
          "(subtracted from sigma0 when noise_subtraction is on)"),
    Layer("entropy", "f4", "1", "Cloude-Pottier entropy"),
    Layer("anisotropy", "f4", "1", "Cloude-Pottier anisotropy"),
    Layer("alpha", "f4", "degree", "Cloude-Pottier mean alpha angle"),
    Layer("freeman_surface", "f4", "1", "Freeman-Durden surface power (sigma0)"),
    Layer("freeman_double_bounce", "f4", "1", "Freeman-Durden double-bounce power (sigma0)"),
    Layer("freeman_volume", "f4", "1", "Freeman-Durden volume power (sigma0)"),
    Layer("freeman_corrected", "i1", "1", "Freeman-Durden: C13 not realisable after the "
          "volume term, scaled to its bound (1) or not (0)",
          flag_meanings="realisable c13_scaled_to_bound"),
)


class PolsarNetcdfWriter(PolSink):
    """``<stem>_polsar.nc``, written block by block, renamed into place when complete."""

    def open(self, stack: contextlib.ExitStack) -> None:
        """Create the file: dimensions, coordinates, grid mapping and empty layers."""
        self.path = self.stem.with_name(self.stem.name + "_polsar.nc")
        tmp = stack.enter_context(atomic_output(self.path))
        nc = self._nc = stack.enter_context(netCDF4.Dataset(tmp, "w", format="NETCDF4"))
        g = self.grid
        nc.Conventions = "CF-1.8"
        nc.title = "Pi-SAR-L3 polarimetric layers"
        for k, val in self.provenance.items():
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
            v.axis = axis.upper()
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
