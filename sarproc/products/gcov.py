"""The covariance product in HDF5, laid out like NISAR's GCOV.

::

    /science/LSAR/GCOV/grids/frequencyA/     the GSLC frequency's band
        HHHH, HVHV, VVVV                      float32 [y, x], sigma0-normalised (linear)
        HHHV, HHVV, HVVV                      complex64 [y, x]
        xCoordinates, yCoordinates            multilooked pixel centres, metres
        xCoordinateSpacing, yCoordinateSpacing
        projection                            EPSG code, CF grid-mapping attributes
    /science/LSAR/GCOV/metadata/processingInformation/parameters/
        polarimetry, sar, calibration         JSON of the parameters used
        noiseEquivalentSigma0Median           dB

HV is the symmetrised cross-polar channel.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from flightlog.provenance import atomic_output
from sarproc.products.base import PolBlock, PolSink
from sarproc.products.gslc import frequency_name

#: GCOV term -> (row, column) of the lexicographic covariance matrix, dtype.
TERMS: dict[str, tuple[int, int, type]] = {
    "HHHH": (0, 0, np.float32), "HVHV": (1, 1, np.float32), "VVVV": (2, 2, np.float32),
    "HHHV": (0, 1, np.complex64), "HHVV": (0, 2, np.complex64),
    "HVVV": (1, 2, np.complex64)}
#: Description attribute of every term.
TERM_DESCRIPTION = "sigma0-normalised covariance term (linear)"
GCOV_ROOT = "/science/LSAR/GCOV"


class GcovWriter(PolSink):
    """``<stem>_GCOV.h5``, written block by block, renamed into place when complete."""

    def open(self, stack: contextlib.ExitStack) -> None:
        """Create the file and its (empty) terms under a temporary name."""
        self.path = self.stem.with_name(self.stem.name + "_GCOV.h5")
        tmp = stack.enter_context(atomic_output(self.path))
        self._h5 = stack.enter_context(h5py.File(tmp, "w"))
        self._grp = self._h5.create_group(
            f"{GCOV_ROOT}/grids/{frequency_name(self.grid.frequency)}")
        for name, (_, _, dtype) in TERMS.items():
            ds = self._grp.create_dataset(name, shape=self.grid.shape, dtype=dtype)
            ds.attrs["grid_mapping"] = "projection"
            ds.attrs["description"] = TERM_DESCRIPTION

    def write(self, block: PolBlock) -> None:
        """Store the block's covariance terms."""
        for name in TERMS:
            self._grp[name][block.rows] = block.terms[name]

    def finish(self, summary: dict[str, Any]) -> dict[str, Path]:
        """Coordinates, projection, parameters, the NESZ median and the provenance."""
        g, grp = self.grid, self._grp
        ly, lx = g.looks
        grp.create_dataset("xCoordinates", data=g.x)
        grp.create_dataset("yCoordinates", data=g.y)
        grp.create_dataset("xCoordinateSpacing", data=g.spacing_m * lx)
        grp.create_dataset("yCoordinateSpacing", data=-g.spacing_m * ly)
        proj = grp.create_dataset("projection", data=np.uint32(g.epsg))
        for k, val in g.crs.to_cf().items():
            proj.attrs[k] = val
        meta = self._h5.require_group(f"{GCOV_ROOT}/metadata/processingInformation/parameters")
        for key in ("polarimetry", "sar", "calibration"):
            meta.create_dataset(key, data=np.bytes_(json.dumps(self.parameters[key])))
        meta.create_dataset("noiseEquivalentSigma0Median", data=summary["nesz_median_db"])
        self._h5.attrs.update(self.provenance)
        return {"gcov": self.path}
