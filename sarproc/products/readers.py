"""Open the GSLC and GCOV products as xarray Datasets: coordinates, CRS, attributes, lazily.

:func:`open_gslc` and :func:`open_gcov` read one frequency's ``grids/frequency<X>``
group with netCDF-C (complex rasters through netCDF4's ``auto_complex``) and return:

- data variables: every raster of the group (the polarisations or covariance terms,
  ``mask``, ``numberOfLooks``, ``rtcGammaToSigmaFactor``) with dimensions ``y`` and
  ``x``; as dask arrays chunked like the file (512 x 512) unless ``chunks=None``;
- coordinates ``x`` and ``y`` (pixel centres, metres in the grid's projection) and
  ``spatial_ref``, a CF grid mapping (``crs_wkt``, ``spatial_ref``, ``GeoTransform``) that
  rioxarray, GDAL and CF tools read; every raster names it in ``grid_mapping``;
- attributes: the group's scalar fields (``centerFrequency``, ``rangeBandwidth``, ...),
  ``listOfPolarizations``/``listOfCovarianceTerms`` and ``identification/`` (``granuleId``,
  ``zeroDopplerStartTime``, ``boundingPolygon``, ...), strings decoded.

The file stays open while the Dataset is in use; close it (or use ``with``) when done.
"""

from __future__ import annotations

import os
from typing import Any

import h5py
import numpy as np
import xarray as xr
from pyproj import CRS

from sarproc.products.gslc import ROOT
from sarproc.products.nisar import geotransform

#: Fields of a grids group that are coordinates or the projection, not attributes.
_COORDINATE_FIELDS = ("xCoordinates", "yCoordinates", "projection")


def _decode(value: Any) -> Any:
    """An HDF5 value as Python: bytes as str, arrays of bytes as lists of str."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "SO":
            return [v.decode() if isinstance(v, bytes) else str(v) for v in value.ravel()]
        return value.item() if value.shape == () else value
    if isinstance(value, np.generic):
        return value.item()
    return value


def spatial_ref(epsg: int, x: np.ndarray, y: np.ndarray) -> xr.DataArray:
    """The ``spatial_ref`` grid-mapping coordinate of a map grid (CF and GDAL attributes)."""
    crs = CRS.from_epsg(int(epsg))
    attrs = dict(crs.to_cf())
    attrs["spatial_ref"] = crs.to_wkt()
    attrs["GeoTransform"] = " ".join(repr(float(v)) for v in geotransform(x, y))
    return xr.DataArray(np.int32(0), attrs=attrs)


def _open_grids(path: str | os.PathLike[str], product: str, frequency: str,
                chunks: Any) -> xr.Dataset:
    path = os.fspath(path)
    group = f"{ROOT}/{product}/grids/frequency{frequency}"
    with h5py.File(path, "r") as f:
        if group not in f:
            have = sorted(f.get(f"{ROOT}/{product}/grids", {}).keys())
            raise KeyError(f"{path}: no {group} (the file has {', '.join(have) or 'none'})")
        g = f[group]
        rasters = [k for k, v in g.items() if isinstance(v, h5py.Dataset) and v.ndim == 2]
        fields = {k: _decode(v[()]) for k, v in g.items()
                  if isinstance(v, h5py.Dataset) and v.ndim < 2
                  and k not in _COORDINATE_FIELDS}
        epsg = int(g["projection"][()])
        ident = (f[f"{ROOT}/identification"] if f"{ROOT}/identification" in f else {})
        identification = {k: _decode(v[()]) for k, v in ident.items()}
        root_attrs = {k: _decode(v) for k, v in f.attrs.items()}
    # no masking: the mask keeps its uint8 codes (255 no data); the float rasters hold
    # NaN where no pulse reached whether masked or not
    ds = xr.open_dataset(path, group=group, engine="netcdf4", auto_complex=True,
                         chunks=chunks, mask_and_scale=False)
    ds = ds[rasters].rename({"xCoordinates": "x", "yCoordinates": "y"})
    ds = ds.assign_coords(spatial_ref=spatial_ref(epsg, ds["x"].values, ds["y"].values))
    for name in rasters:
        ds[name].attrs["grid_mapping"] = "spatial_ref"
        ds[name].encoding.pop("grid_mapping", None)
    ds["x"].attrs.update(standard_name="projection_x_coordinate", units="m", axis="X")
    ds["y"].attrs.update(standard_name="projection_y_coordinate", units="m", axis="Y")
    ds.attrs = {**root_attrs, **fields, **identification, "frequency": frequency,
                "source_file": path, "epsg": epsg}
    return ds


def open_gslc(path: str | os.PathLike[str], frequency: str = "A",
              chunks: Any = "file") -> xr.Dataset:
    """A GSLC's ``frequency`` grids as an xarray Dataset (module doc).

    Parameters
    ----------
    path : path-like
        The ``*_GSLC.h5`` file.
    frequency : str
        ``"A"`` (the first band) or ``"B"``, ...
    chunks : optional
        xarray's ``chunks``: ``"file"`` (default) for dask arrays in the file's chunks,
        ``None`` for NumPy arrays loaded on access, or a dask chunk specification.

    Returns
    -------
    xarray.Dataset
        Complex64 ``HH``, ``HV``, ``VH``, ``VV`` and uint8 ``mask`` on ``y``, ``x``.

    Raises
    ------
    KeyError
        If the file has no such frequency (the message names the file and those it has).
    """
    return _open_grids(path, "GSLC", frequency, {} if chunks == "file" else chunks)


def open_gcov(path: str | os.PathLike[str], frequency: str = "A",
              chunks: Any = "file") -> xr.Dataset:
    """A GCOV's ``frequency`` grids as an xarray Dataset (module doc).

    Parameters
    ----------
    path : path-like
        The ``*_GCOV.h5`` file.
    frequency : str
        ``"A"`` or ``"B"``, ...
    chunks : optional
        As :func:`open_gslc`.

    Returns
    -------
    xarray.Dataset
        The covariance terms (``HHHH``, ``HVHV``, ``VVVV`` real gamma0; ``HHHV``,
        ``HHVV``, ``HVVV`` complex), ``mask``, ``numberOfLooks`` and
        ``rtcGammaToSigmaFactor`` on ``y``, ``x``.

    Raises
    ------
    KeyError
        If the file has no such frequency.
    """
    return _open_grids(path, "GCOV", frequency, {} if chunks == "file" else chunks)
