"""Open the spectrometer's products as xarray Datasets, lazily.

- :func:`open_l2`: the soundings (dimension ``sounding``) with ``time`` (UTC, decoded),
  ``latitude`` and ``longitude`` as coordinates and the footprint corners as their
  ``_bounds``; ``featureType`` ``point``.
- :func:`open_l1b`: one band's group (``frame`` x ``pixel`` x ``spectral``) with ``time``,
  ``latitude``, ``longitude`` and ``wavelength`` as coordinates of the radiances.

Both return dask arrays in the file's chunks unless ``chunks=None``.
"""

from __future__ import annotations

import os
from typing import Any

import netCDF4
import xarray as xr


def open_l2(path: str | os.PathLike[str], chunks: Any = "file") -> xr.Dataset:
    """The L2 soundings of ``path`` (module doc).

    Parameters
    ----------
    path : path-like
        The ``*_GHGSIF_L2.nc`` file.
    chunks : optional
        ``"file"`` (default): dask arrays in the file's chunks; ``None``: NumPy arrays
        loaded on access; or a dask chunk specification.

    Returns
    -------
    xarray.Dataset
        ``sif_757``, ``xco2``, ``xch4``, ... with their uncertainties and flags.
    """
    return xr.open_dataset(os.fspath(path), engine="netcdf4",
                           chunks={} if chunks == "file" else chunks)


def open_l1b(path: str | os.PathLike[str], band: str = "O2A",
             chunks: Any = "file") -> xr.Dataset:
    """One band of the L1B radiances of ``path`` (module doc).

    Parameters
    ----------
    path : path-like
        The ``*_GHGSIF_L1B.nc`` file.
    band : str
        The band's group: ``O2A``, ``WCO2``, ``CH4``, ...
    chunks : optional
        As :func:`open_l2`.

    Returns
    -------
    xarray.Dataset
        ``radiance``, ``radiance_noise``, ``quality`` and the geometry of each frame.

    Raises
    ------
    KeyError
        If the file has no such band (the message names the file and the bands it has).
    """
    path = os.fspath(path)
    with netCDF4.Dataset(path) as nc:
        have = sorted(nc.groups)
    if band not in have:
        raise KeyError(f"{path}: no band {band!r} (the file has {', '.join(have) or 'none'})")
    ds = xr.open_dataset(path, group=band, engine="netcdf4",
                         chunks={} if chunks == "file" else chunks)
    with netCDF4.Dataset(path) as nc:
        ds.attrs = {**{k: nc.getncattr(k) for k in nc.ncattrs()}, **ds.attrs, "band": band}
    return ds
