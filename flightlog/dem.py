"""Digital elevation models from files: the ``sar.dem`` of a run.

The format is an ``.npz`` of a regular latitude-longitude grid (``lat0_deg``,
``lon0_deg``, ``dlat_deg``, ``dlon_deg`` and ``height``, metres above the ellipsoid),
read into a :class:`flightlog.geolocate.Dem`.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

from flightlog.errors import PisarL3Error
from flightlog.geolocate import Dem

#: Members of a DEM file.
DEM_KEYS = ("lat0_deg", "lon0_deg", "dlat_deg", "dlon_deg", "height")


class DemError(PisarL3Error, ValueError):
    """A DEM file that cannot be used; the message names the file and the key."""


def load_dem(path: str | os.PathLike[str]) -> Dem:
    """A DEM from an ``.npz`` with ``lat0_deg, lon0_deg, dlat_deg, dlon_deg, height``.

    Raises
    ------
    DemError
        If the file is not such an archive or lacks a key.
    """
    try:
        with np.load(path) as z:
            missing = [k for k in DEM_KEYS if k not in z.files]
            if missing:
                raise DemError(f"{path}: no {', '.join(missing)} (a DEM holds "
                               f"{', '.join(DEM_KEYS)})")
            return Dem(float(z["lat0_deg"]), float(z["lon0_deg"]), float(z["dlat_deg"]),
                       float(z["dlon_deg"]), np.asarray(z["height"], np.float64))
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        if isinstance(exc, DemError):
            raise
        raise DemError(f"{path}: not a DEM archive (.npz): {exc}") from None
