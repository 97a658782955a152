"""The covariance product in HDF5, laid out as NISAR's L2 GCOV (``docs/products.md``).

::

    /science/LSAR/identification/            NISAR identification (the GSLC's, as GCOV)
    /science/LSAR/GCOV/grids/frequencyA/     the GSLC frequency's band
        HHHH, HVHV, VVVV                      float32 [y, x], sigma0-normalised (linear)
        HHHV, HHVV, HVVV                      complex64 [y, x]; NaN: no data
        numberOfLooks, rtcGammaToSigmaFactor, mask
        xCoordinates, yCoordinates            multilooked pixel centres (m), scales
        xCoordinateSpacing, yCoordinateSpacing, projection
        listOfPolarizations, listOfCovarianceTerms, numberOfSubSwaths
    /science/LSAR/GCOV/metadata/
        orbit/, attitude/, radarGrid/         copied from the GSLC
        calibrationInformation/               the calibration applied
        processingInformation/parameters/     NISAR flags; polarimetry, sar, calibration
                                              (JSON); noiseEquivalentSigma0Median (dB)

HV is the symmetrised cross-polar channel.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from flightlog.provenance import atomic_output
from sarproc.products import nisar
from sarproc.products.base import PolBlock, PolSink
from sarproc.products.gslc import frequency_name

#: GCOV term -> (row, column) of the lexicographic covariance matrix, dtype.
TERMS: dict[str, tuple[int, int, type]] = {
    "HHHH": (0, 0, np.float32), "HVHV": (1, 1, np.float32), "VVVV": (2, 2, np.float32),
    "HHHV": (0, 1, np.complex64), "HHVV": (0, 2, np.complex64),
    "HVVV": (1, 2, np.complex64)}
#: Description attribute of every term.
TERM_DESCRIPTION = "sigma0-normalised covariance term (linear); NaN where no data"
GCOV_ROOT = "/science/LSAR/GCOV"
_GSLC_ROOT = "/science/LSAR"


class GcovWriter(PolSink):
    """``<stem>_GCOV.h5``, written block by block, renamed into place when complete."""

    def open(self, stack: contextlib.ExitStack) -> None:
        """Create the file and its (empty) layers under a temporary name."""
        self.path = self.stem.with_name(self.stem.name + "_GCOV.h5")
        tmp = stack.enter_context(atomic_output(self.path))
        self._h5 = stack.enter_context(h5py.File(tmp, "w"))
        self._h5.attrs["Conventions"] = np.bytes_("CF-1.7")
        self._h5.attrs["title"] = np.bytes_("Pi-SAR-L3 L2 GCOV product (NISAR L2 GCOV layout)")
        self._h5.attrs["reference_document"] = np.bytes_(
            f"docs/products.md {nisar.PRODUCT_SPEC_VERSION}; NISAR L2 GCOV product "
            f"specification {nisar.NISAR_SPEC_VERSION}")
        g = self.grid
        ly, lx = g.looks
        self._freq = frequency_name(g.frequency)
        grp = self._grp = self._h5.create_group(f"{GCOV_ROOT}/grids/{self._freq}")
        scales = nisar.write_coordinates(grp, g.x, g.y, g.spacing_m * lx, -g.spacing_m * ly)
        nisar.write_projection(grp, g.epsg)
        nan = np.float32(np.nan)
        for name, (_, _, dtype) in TERMS.items():
            nisar.create_raster(grp, name, g.shape, dtype,
                                dtype(nan) if dtype is np.float32 else np.complex64(nan + 1j * nan),
                                "1", f"{name}: {TERM_DESCRIPTION}", scales)
        nisar.create_raster(grp, "numberOfLooks", g.shape, np.float32, nan, "1",
                            "Number of looks: GSLC pixels averaged (before the speckle "
                            "filter); NaN where no data", scales)
        nisar.create_raster(grp, "rtcGammaToSigmaFactor", g.shape, np.float32, nan, "1",
                            "Factor to convert the terms from gamma0 to sigma0: the "
                            "cosine of the local incidence angle", scales)
        nisar.create_mask(grp, g.shape, scales)
        nisar.scalar(grp, "listOfPolarizations", ["HH", "HV", "VV"],
                     description="List of processed polarization layers (HV symmetrised)")
        nisar.scalar(grp, "listOfCovarianceTerms", list(TERMS),
                     description="List of processed covariance terms")
        nisar.scalar(grp, "numberOfSubSwaths", np.uint8(1), "1", "Number of swaths of "
                     "continuous imagery", dtype=np.uint8)

    def write(self, block: PolBlock) -> None:
        """Store the block's covariance terms, looks, mask and gamma-to-sigma factor."""
        for name in TERMS:
            self._grp[name][block.rows] = block.terms[name]
        ly, lx = self.grid.looks
        if block.mask is not None:
            self._grp["mask"][block.rows] = block.mask
            self._grp["numberOfLooks"][block.rows] = np.where(
                block.mask != nisar.MASK_FILL, np.float32(ly * lx), np.float32(np.nan))
        if block.gamma_to_sigma is not None:
            self._grp["rtcGammaToSigmaFactor"][block.rows] = block.gamma_to_sigma

    def finish(self, summary: dict[str, Any]) -> dict[str, Path]:
        """Identification, metadata, parameters, the NESZ median and the provenance."""
        source = self.parameters.get("gslc")
        self._from_gslc(Path(source) if source else None)
        meta = self._h5.require_group(f"{GCOV_ROOT}/metadata")
        cal = self.parameters.get("calibration") or None
        nisar.write_calibration_information(meta, self._freq, ["HH", "HV", "VH", "VV"], cal,
                                            applied=bool(cal))
        par = meta.require_group("processingInformation/parameters")
        for key in ("polarimetry", "sar", "calibration"):
            par.create_dataset(key, data=np.bytes_(json.dumps(self.parameters[key])))
        pol = self.parameters["polarimetry"]
        for key, value in (
                ("noiseCorrectionApplied", pol.get("noise_subtraction", False)),
                ("preprocessingMultilookingApplied", True),
                ("polarizationOrientationCorrectionApplied", False),
                ("faradayRotationApplied", False),
                ("radiometricTerrainCorrectionApplied", False),
                ("postProcessingFilteringApplied", pol.get("speckle_filter") != "none"),
                ("isFullCovariance", True), ("validSamplesSubSwathMaskingApplied", True),
                ("shadowMaskingApplied", False), ("polarimetricSymmetrizationApplied", True)):
            nisar.scalar(par, key, str(bool(value)),
                         description="Flag to indicate if the step has been applied")
        ly, lx = self.grid.looks
        pre = par.require_group(f"preprocessing/{self._freq}")
        nisar.scalar(pre, "numberOfRangeLooks", np.uint64(lx), "1",
                     "Looks along x (columns) of the map grid", dtype=np.uint64)
        nisar.scalar(pre, "numberOfAzimuthLooks", np.uint64(ly), "1",
                     "Looks along y (rows) of the map grid", dtype=np.uint64)
        rtc = par.require_group("rtc")
        for key, value in (("inputBackscatterNormalizationConvention", "beta0"),
                           ("outputBackscatterNormalizationConvention", "sigma0"),
                           ("outputBackscatterExpressionConvention",
                            "backscatter coefficient")):
            nisar.scalar(rtc, key, value, description="Backscatter normalisation")
        par.create_dataset("noiseEquivalentSigma0Median", data=summary["nesz_median_db"])
        par["noiseEquivalentSigma0Median"].attrs["units"] = np.bytes_("dB")
        self._h5.attrs.update(self.provenance)
        self._sidecar = {f"{GCOV_ROOT}/grids/{self._freq}/{n}": (
            self.grid.epsg, nisar.geotransform(self.grid.x, self.grid.y))
            for n in (*TERMS, "numberOfLooks", "rtcGammaToSigmaFactor", "mask")}
        return {"gcov": self.path}

    def _from_gslc(self, gslc: Path | None) -> None:
        """``identification/`` and the trajectory and geometry metadata of the GSLC."""
        ident = self._h5.require_group(f"{_GSLC_ROOT}/identification")
        meta = self._h5.require_group(f"{GCOV_ROOT}/metadata")
        if gslc is None or not gslc.exists():
            return
        with h5py.File(gslc, "r") as src:
            if f"{_GSLC_ROOT}/identification" in src:
                for k in src[f"{_GSLC_ROOT}/identification"]:
                    src.copy(src[f"{_GSLC_ROOT}/identification/{k}"], ident, name=k)
            for k in ("orbit", "attitude"):
                path = f"{_GSLC_ROOT}/GSLC/metadata/{k}"
                if path in src:
                    src.copy(src[path], meta, name=k)
            rg = src.get(f"{_GSLC_ROOT}/GSLC/metadata/radarGrid")
            if rg is not None:  # written anew: copied dimension scales would still point
                # into the GSLC, which netCDF-C refuses
                cube = {k: rg[k][()] for k in ("xCoordinates", "yCoordinates",
                                               "heightAboveEllipsoid", *nisar.RADAR_GRID)}
                nisar.write_radar_grid(meta, cube, int(rg["projection"][()]), 0.0)
                meta["radarGrid/zeroDopplerAzimuthTime"].attrs["units"] = rg[
                    "zeroDopplerAzimuthTime"].attrs["units"]
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000"
        for k, v in (("productType", "GCOV"), ("granuleId", self.path.stem),
                     ("processingDateTime", now)):
            if k in ident:
                desc = ident[k].attrs.get("description")
                del ident[k]
                nisar.scalar(ident, k, v, description=desc.decode() if isinstance(
                    desc, bytes) else desc)
        if "listOfFrequencies" in ident:
            del ident["listOfFrequencies"]
            nisar.scalar(ident, "listOfFrequencies", [self._freq[-1]],
                         description="List of frequency layers available in the product")

    def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
        """Close; when complete, the GDAL sidecar beside the renamed file."""
        super().__exit__(et, ev, tb)
        if et is None and getattr(self, "_sidecar", None):
            nisar.write_gdal_sidecar(self.path, self._sidecar)
