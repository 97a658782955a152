"""Geocoded SLC product in HDF5, laid out like NISAR's GSLC.

::

    /science/LSAR/identification/            flight id, look side, bands, times, ...
    /science/LSAR/GSLC/grids/frequencyA/     first band of the descriptor (B: the second)
        HH, HV, VH, VV                        complex64 [y, x]
        xCoordinates, yCoordinates            pixel centres, metres
        xCoordinateSpacing, yCoordinateSpacing
        projection                            EPSG code, CF grid-mapping attributes
        listOfPolarizations, centerFrequency, rangeBandwidth
    /science/LSAR/GSLC/metadata/processingInformation/
        algorithms, parameters, inputs       every parameter used, inputs with sha256

:class:`GslcWriter` creates the file under a temporary name, takes tiles as they are
focused, and renames it into place only when closed without error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np
from pyproj import CRS

from sarproc.grid import MapGrid

ROOT = "/science/LSAR"
GRIDS = f"{ROOT}/GSLC/grids"


def frequency_name(index: int) -> str:
    """``frequencyA`` for the first band, ``frequencyB`` for the second, ..."""
    return "frequency" + chr(ord("A") + index)


def _projection(group: h5py.Group, epsg: int) -> None:
    crs = CRS.from_epsg(epsg)
    ds = group.create_dataset("projection", data=np.uint32(epsg))
    for k, v in crs.to_cf().items():
        ds.attrs[k] = v if not isinstance(v, (list, tuple)) else np.asarray(v)
    ds.attrs["epsg_code"] = np.uint32(epsg)
    ds.attrs["spatial_ref"] = crs.to_wkt()
    utm = crs.utm_zone
    if utm:
        ds.attrs["utm_zone_number"] = int(utm[:-1])


class GslcWriter:
    """Write a GSLC file tile by tile, atomically.

    Parameters
    ----------
    path : path-like
        Final file name.
    grid : MapGrid
        The map grid of every image.
    identification : dict
        Entries of ``identification/`` (strings, numbers, lists).
    """

    def __init__(self, path: str | os.PathLike[str], grid: MapGrid,
                 identification: dict[str, Any]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
        self.grid = grid
        self._open: dict[tuple[int, str], h5py.Dataset] = {}
        self.h5 = h5py.File(self.tmp, "w")
        ident = self.h5.require_group(f"{ROOT}/identification")
        for k, v in identification.items():
            ident.create_dataset(k, data=np.bytes_(v) if isinstance(v, str) else
                                 (np.asarray([np.bytes_(x) for x in v])
                                  if isinstance(v, list) and v and isinstance(v[0], str)
                                  else np.asarray(v)))
        ident.create_dataset("productType", data=np.bytes_("GSLC"))

    def frequency(self, index: int, center_frequency_hz: float, bandwidth_hz: float,
                  polarisations: list[str]) -> h5py.Group:
        """Create (or return) the group of one band with its coordinates."""
        name = f"{GRIDS}/{frequency_name(index)}"
        if name in self.h5:
            return self.h5[name]
        g = self.h5.create_group(name)
        g.create_dataset("xCoordinates", data=self.grid.x)
        g.create_dataset("yCoordinates", data=self.grid.y)
        g.create_dataset("xCoordinateSpacing", data=self.grid.spacing)
        g.create_dataset("yCoordinateSpacing", data=-self.grid.spacing)
        g["xCoordinates"].attrs["units"] = "meters"
        g["yCoordinates"].attrs["units"] = "meters"
        _projection(g, self.grid.epsg)
        g.create_dataset("listOfPolarizations",
                         data=np.asarray([np.bytes_(p) for p in polarisations]))
        g.create_dataset("centerFrequency", data=float(center_frequency_hz))
        g.create_dataset("rangeBandwidth", data=float(bandwidth_hz))
        for pol in polarisations:
            ds = g.create_dataset(pol, shape=(self.grid.ny, self.grid.nx), dtype=np.complex64,
                                  chunks=(min(256, self.grid.ny), min(256, self.grid.nx)),
                                  fillvalue=np.complex64(np.nan + 1j * np.nan))
            ds.attrs["grid_mapping"] = "projection"
            ds.attrs["units"] = "ADC counts (range-compressed point-target amplitude)"
        return g

    def write_tile(self, index: int, pol: str, rows: slice, cols: slice,
                   tile: np.ndarray) -> None:
        """Store a focused tile of one band and polarisation."""
        key = (index, pol)
        ds = self._open.get(key)
        if ds is None:  # held open: a dataset freed per tile flushes in its finaliser,
            # where HDF5 write errors (a full disk) are printed and ignored
            ds = self._open[key] = self.h5[f"{GRIDS}/{frequency_name(index)}/{pol}"]
        ds[rows, cols] = tile
        ds.id.flush()  # write the tile's chunks now, so that a failed write raises here

    def processing(self, algorithms: dict[str, Any], parameters: dict[str, Any],
                   inputs: list[dict[str, Any]], provenance: dict[str, str]) -> None:
        """Record ``metadata/processingInformation`` and root provenance attributes."""
        g = self.h5.require_group(f"{ROOT}/GSLC/metadata/processingInformation")
        for name, blob in (("algorithms", algorithms), ("parameters", parameters)):
            sub = g.require_group(name)
            for k, v in blob.items():
                sub.create_dataset(k, data=np.bytes_(json.dumps(v, default=str)
                                                     if not isinstance(v, str) else v))
        inp = g.require_group("inputs")
        inp.create_dataset("files", data=np.bytes_(json.dumps(inputs)))
        self.h5.attrs.update(provenance)

    def close(self, ok: bool = True) -> None:
        """Close; rename into place when ``ok``, else delete the temporary file."""
        self._open.clear()
        try:
            self.h5.close()
            if ok:
                os.replace(self.tmp, self.path)
        finally:
            if self.tmp.exists():  # not renamed: failed, or closing failed (disk full)
                self.tmp.unlink()

    def __enter__(self) -> GslcWriter:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(ok=et is None)
