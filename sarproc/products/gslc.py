"""Geocoded SLC product in HDF5, laid out as NISAR's L2 GSLC (``docs/products.md``).

::

    /science/LSAR/identification/            NISAR identification (sarproc.products.nisar)
    /science/LSAR/GSLC/grids/frequencyA/     first band of the descriptor (B: the second)
        HH, HV, VH, VV                        complex64 [y, x], NaN where no pulse reached
        mask                                  uint8: 0 valid, 1 shadow, 2 layover, 3 both,
                                              255 no data
        xCoordinates, yCoordinates            pixel centres (m), dimension scales
        xCoordinateSpacing, yCoordinateSpacing, projection
        listOfPolarizations, centerFrequency, rangeBandwidth, azimuthBandwidth,
        slantRangeSpacing, zeroDopplerTimeSpacing, numberOfSubSwaths
    /science/LSAR/GSLC/metadata/
        orbit/, attitude/                     the aircraft's trajectory
        radarGrid/                            geometry cube: incidence, range, LOS, ...
        calibrationInformation/               what calibration did (nothing in the GSLC)
        processingInformation/                algorithms, parameters, inputs

:class:`GslcWriter` creates the file under a temporary name, takes tiles as they are
focused, writes the mask and the identification (bounding polygon of the valid pixels)
when closed, and renames it into place only when closed without error, with the GDAL
sidecar ``<file>.aux.xml`` beside it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from sarproc.grid import MapGrid
from sarproc.products import nisar

ROOT = "/science/LSAR"
GRIDS = f"{ROOT}/GSLC/grids"
META = f"{ROOT}/GSLC/metadata"


def frequency_name(index: int) -> str:
    """``frequencyA`` for the first band, ``frequencyB`` for the second, ..."""
    return "frequency" + chr(ord("A") + index)


@dataclass(frozen=True)
class FrequencyInfo:
    """What the GSLC records of one band."""

    center_frequency_hz: float
    range_bandwidth_hz: float
    azimuth_bandwidth_hz: float
    """Processed Doppler bandwidth: 2 v sin(theta/2) x 2 / lambda for the integration
    angle theta."""
    slant_range_spacing_m: float
    """Range sample spacing of the echoes, c / (2 fs)."""
    zero_doppler_time_spacing_s: float
    """Pulse repetition interval of the band's channels."""
    polarisations: tuple[str, ...]


class GslcWriter:
    """Write a GSLC file tile by tile, atomically.

    Parameters
    ----------
    path : path-like
        Final file name.
    grid : MapGrid
        The map grid of every image.
    identification : dict
        Entries of ``identification/`` (:data:`sarproc.products.nisar.IDENTIFICATION`)
        except those the writer derives: ``productType``, ``granuleId``,
        ``processingDateTime``, ``listOfFrequencies``, ``boundingPolygon`` and
        ``boundingBox``.
    terrain : callable, optional
        ``terrain(rows)`` -> layover/shadow codes (uint8, rows x columns) of a block of
        grid rows (:func:`sarproc.terrain.layover_shadow`); without it, none.
    height_m : float
        Height of the bounding polygon's vertices.
    """

    def __init__(self, path: str | os.PathLike[str], grid: MapGrid,
                 identification: dict[str, Any],
                 terrain: Callable[[slice], np.ndarray] | None = None,
                 height_m: float = 0.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
        self.grid = grid
        self.identification = dict(identification)
        self.terrain = terrain
        self.height_m = float(height_m)
        self._open: dict[tuple[int, str], h5py.Dataset] = {}
        self._frequencies: dict[int, tuple[str, ...]] = {}
        self.h5 = h5py.File(self.tmp, "w")
        self.h5.attrs["Conventions"] = np.bytes_("CF-1.7")
        self.h5.attrs["title"] = np.bytes_("Pi-SAR-L3 L2 GSLC product (NISAR L2 GSLC layout)")
        self.h5.attrs["reference_document"] = np.bytes_(
            f"docs/products.md {nisar.PRODUCT_SPEC_VERSION}; NISAR L2 GSLC product "
            f"specification {nisar.NISAR_SPEC_VERSION}")

    def frequency(self, index: int, info: FrequencyInfo) -> h5py.Group:
        """Create (or return) the group of one band with its coordinates."""
        name = f"{GRIDS}/{frequency_name(index)}"
        if name in self.h5:
            return self.h5[name]
        g = self.h5.create_group(name)
        gr = self.grid
        scales = nisar.write_coordinates(g, gr.x, gr.y, gr.spacing, -gr.spacing)
        nisar.write_projection(g, gr.epsg)
        nisar.scalar(g, "listOfPolarizations", list(info.polarisations),
                     description="List of processed polarization layers")
        for key, value, units, what in (
                ("centerFrequency", info.center_frequency_hz, "hertz",
                 "Center frequency of the processed image"),
                ("rangeBandwidth", info.range_bandwidth_hz, "hertz",
                 "Processed range bandwidth"),
                ("azimuthBandwidth", info.azimuth_bandwidth_hz, "hertz",
                 "Processed azimuth (Doppler) bandwidth"),
                ("slantRangeSpacing", info.slant_range_spacing_m, "meters",
                 "Slant range spacing of the source echoes"),
                ("zeroDopplerTimeSpacing", info.zero_doppler_time_spacing_s, "seconds",
                 "Time interval in the along-track direction (pulse repetition interval)")):
            nisar.scalar(g, key, float(value), units, what)
        nisar.scalar(g, "numberOfSubSwaths", np.uint8(1), "1", "Number of swaths of "
                     "continuous imagery, due to transmit gaps", dtype=np.uint8)
        for pol in info.polarisations:
            nisar.create_raster(
                g, pol, (gr.ny, gr.nx), np.complex64, np.complex64(np.nan + 1j * np.nan),
                "1", f"Geocoded focused SLC image ({pol}): range-compressed point-target "
                "amplitude in ADC counts, phase flattened to the pixel's position; NaN "
                "where no pulse reached the pixel", scales)
        nisar.create_mask(g, (gr.ny, gr.nx), scales)
        self._frequencies[index] = tuple(info.polarisations)
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

    def metadata(self) -> h5py.Group:
        """``metadata/`` (trajectory, radar grid, ... are written there by the caller)."""
        return self.h5.require_group(META)

    def processing(self, algorithms: dict[str, Any], parameters: dict[str, Any],
                   inputs: list[dict[str, Any]], provenance: dict[str, str],
                   run_configuration: dict[str, Any] | None = None,
                   orbit_files: tuple[str, ...] = (), dem_source: str = "") -> None:
        """Record ``metadata/processingInformation`` and root provenance attributes.

        ``inputs`` are the input files (path, bytes, sha256); those of ``orbit_files``
        (the navigation) are listed as ``inputs/orbitFiles``, the others (the dump's
        streams and descriptor) as ``inputs/l0bGranules``.
        """
        g = self.h5.require_group(f"{META}/processingInformation")
        alg = g.require_group("algorithms")
        for k, v in algorithms.items():
            alg.create_dataset(k, data=np.bytes_(json.dumps(v, default=str)
                                                 if not isinstance(v, str) else v))
        nisar.scalar(alg, "softwareVersion", provenance.get("software_version", ""),
                     description="Software version used for processing")
        nisar.scalar(alg, "geocoding", "time-domain backprojection onto the map grid",
                     description="Geocoding algorithm")
        par = g.require_group("parameters")
        for k, v in parameters.items():
            par.create_dataset(k, data=np.bytes_(json.dumps(v, default=str)
                                                 if not isinstance(v, str) else v))
        dem = bool(dem_source)
        for key, value in (("ellipsoidalFlatteningApplied", "True"),
                           ("topographicFlatteningApplied", str(dem)),
                           ("dryTroposphericGeolocationCorrectionApplied", "False"),
                           ("wetTroposphericGeolocationCorrectionApplied", "False"),
                           ("rangeIonosphericGeolocationCorrectionApplied", "False"),
                           ("azimuthIonosphericGeolocationCorrectionApplied", "False"),
                           ("rfiMitigationApplied", "False")):
            nisar.scalar(par, key, value, description="Flag to indicate if the correction "
                         "(or flattening) has been applied")
        nisar.scalar(par, "runConfigurationContents",
                     json.dumps(run_configuration or {}, default=str),
                     description="Contents of the run configuration (JSON)")
        inp = g.require_group("inputs")
        inp.create_dataset("files", data=np.bytes_(json.dumps(inputs)))
        names = [str(i.get("path", "")) for i in inputs]
        nav = [n for n in names if any(n == o or o.endswith("/" + n) for o in orbit_files)]
        nisar.scalar(inp, "l0bGranules", [n for n in names if n not in nav] or [""],
                     description="List of input raw recorder streams")
        nisar.scalar(inp, "orbitFiles", nav or [""],
                     description="List of input navigation (trajectory) files")
        nisar.scalar(inp, "configFiles", [str((run_configuration or {}).get("source", ""))],
                     description="List of input config files")
        nisar.scalar(inp, "demSource", dem_source or "none (reference height)",
                     description="Description of the input digital elevation model (DEM)")
        self.h5.attrs.update(provenance)

    def _finish(self) -> None:
        """The masks, the bounding polygon and the identification; the GDAL sidecar."""
        gr = self.grid
        first = np.full(gr.ny, gr.nx, np.int64)
        last = np.full(gr.ny, -1, np.int64)
        step = max(1, (1 << 24) // max(gr.nx, 1) // 8)  # rows of about 16 M samples
        for index, pols in self._frequencies.items():
            g = self.h5[f"{GRIDS}/{frequency_name(index)}"]
            for r0 in range(0, gr.ny, step):
                rows = slice(r0, min(gr.ny, r0 + step))
                valid = np.ones((rows.stop - r0, gr.nx), bool)
                for pol in pols:
                    valid &= np.isfinite(g[pol][rows])
                code = (self.terrain(rows) if self.terrain is not None
                        else np.zeros(valid.shape, np.uint8))
                g["mask"][rows] = np.where(valid, code, nisar.MASK_FILL)
                any_ = valid.any(axis=1)
                first[rows] = np.where(any_, np.minimum(first[rows], valid.argmax(axis=1)),
                                       first[rows])
                last[rows] = np.where(any_, np.maximum(
                    last[rows], gr.nx - 1 - valid[:, ::-1].argmax(axis=1)), last[rows])
        poly, box = nisar.bounding_polygon(first, last, gr.x, gr.y, gr.epsg, self.height_m)
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000"
        ident = {**self.identification, "productType": "GSLC",
                 "granuleId": self.path.stem, "processingDateTime": now,
                 "listOfFrequencies": [chr(ord("A") + i) for i in sorted(self._frequencies)],
                 "boundingPolygon": poly, "boundingBox": box}
        nisar.write_identification(self.h5.require_group(f"{ROOT}/identification"), ident)

    def sidecar_rasters(self) -> dict[str, tuple[int, tuple[float, ...]]]:
        """Every raster of the file -> (EPSG, geotransform), for the GDAL sidecar."""
        gt = nisar.geotransform(self.grid.x, self.grid.y)
        return {f"{GRIDS}/{frequency_name(i)}/{p}": (self.grid.epsg, gt)
                for i, pols in self._frequencies.items() for p in (*pols, "mask")}

    def close(self, ok: bool = True) -> None:
        """Close; rename into place when ``ok``, else delete the temporary file."""
        self._open.clear()
        try:
            if ok:
                self._finish()
            self.h5.close()
            if ok:
                os.replace(self.tmp, self.path)
                nisar.write_gdal_sidecar(self.path, self.sidecar_rasters())
        finally:
            if self.h5.id.valid:
                self.h5.close()
            if self.tmp.exists():  # not renamed: failed, or closing failed (disk full)
                self.tmp.unlink()

    def __enter__(self) -> GslcWriter:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(ok=et is None)
