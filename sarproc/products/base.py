"""What the polarimetric writers share: the multilooked grid, a block, the sink interface."""

from __future__ import annotations

import contextlib
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from pyproj import CRS

from sarproc.composites import Stretch


@dataclass(frozen=True)
class PolGrid:
    """The multilooked map grid of the polarimetric products."""

    x: np.ndarray
    """Pixel-centre x coordinates (m), multilooked."""
    y: np.ndarray
    """Pixel-centre y coordinates (m), multilooked (north up: decreasing)."""
    epsg: int
    spacing_m: float
    """The GSLC's pixel spacing (m)."""
    looks: tuple[int, int]
    """GSLC pixels averaged along y and x."""
    frequency: int
    """Index of the GSLC frequency (0: ``frequencyA``)."""
    block_rows: int
    """Multilooked rows a block holds (the netCDF chunking)."""
    quick_step: int
    """Quicklooks and the NESZ median sample every ``quick_step``-th multilooked pixel."""

    @property
    def crs(self) -> CRS:
        """The grid's coordinate reference system."""
        return CRS.from_epsg(self.epsg)

    @property
    def shape(self) -> tuple[int, int]:
        """Multilooked rows and columns."""
        return self.y.size, self.x.size

    @property
    def quick_shape(self) -> tuple[int, int]:
        """Rows and columns of the quicklooks."""
        return -(-self.y.size // self.quick_step), -(-self.x.size // self.quick_step)


@dataclass
class PolBlock:
    """Multilooked rows ``rows`` of every polarimetric quantity."""

    rows: slice
    terms: dict[str, np.ndarray]
    """GCOV covariance terms (sigma0-normalised, linear) by name."""
    layers: dict[str, np.ndarray]
    """NetCDF layers by name (floats in their units; flags as int8, -1 no data)."""
    quick_rows: np.ndarray
    """Rows of the block on the quicklooks' lattice (multilooked row numbers)."""
    quick_c3: np.ndarray
    """Filtered covariance matrices of those rows, every ``quick_step``-th column,
    sigma0-normalised (noise subtracted when configured); NaN where no data."""
    counts: dict[str, int] = field(default_factory=dict)
    """Pixel counts of the block (``corrected``, ``decomposed``)."""
    mask: np.ndarray | None = None
    """NISAR mask codes (uint8): 0 valid, 1 shadow, 2 layover, 3 both, 255 no data."""
    gamma_to_sigma: np.ndarray | None = None
    """sigma0 / gamma0: the cosine of the local incidence (NaN: no data)."""


class PolSink(ABC):
    """A writer of polarimetric products: opened on a grid, fed blocks, then closed."""

    def __init__(self, stem: Path, grid: PolGrid, provenance: dict[str, str],
                 parameters: dict[str, Any], stretch: Stretch) -> None:
        self.stem = stem
        self.grid = grid
        self.provenance = provenance
        self.parameters = parameters
        self.stretch = stretch

    def __enter__(self) -> PolSink:
        """Open the product (:meth:`open`); whatever it opened is closed if it fails."""
        self._stack = contextlib.ExitStack()
        try:
            self.open(self._stack)
        except BaseException:
            self._stack.__exit__(*sys.exc_info())
            raise
        return self

    @abstractmethod
    def open(self, stack: contextlib.ExitStack) -> None:
        """Open the product under a temporary name; register its closing on ``stack``."""

    @abstractmethod
    def write(self, block: PolBlock) -> None:
        """Store one block of rows."""

    @abstractmethod
    def finish(self, summary: dict[str, Any]) -> dict[str, Path]:
        """Write the whole-image results (``summary``) and return the product paths.

        Called only when every block was written; the product is renamed into place when
        the ``with`` block ends without error.
        """

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Close the product: renamed into place when complete, removed otherwise."""
        self._stack.__exit__(et, ev, tb)
