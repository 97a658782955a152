"""Exact time-domain backprojection (``sar.algorithm: backprojection``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sarproc.backprojection import backproject_tiles_kernel
from sarproc.focusers.base import Focuser, PulseBlock, TileAperture
from sarproc.windows import window_weights

if TYPE_CHECKING:
    from sarproc.config import SarConfig


class ExactBackprojection(Focuser):
    """Every pulse to every pixel (:func:`sarproc.backprojection.backproject_tiles_kernel`)."""

    name = "backprojection"
    description = "exact time-domain backprojection"

    def plan(self, tile: TileAperture, cfg: SarConfig) -> np.ndarray:
        """The azimuth window sampled on [-0.5, 0.5] of the sine of squint."""
        return window_weights(cfg.azimuth_window, np.linspace(-0.5, 0.5, 2001))

    def accumulate(self, plan: np.ndarray, tile: TileAperture, block: PulseBlock, first: int,
                   cfg: SarConfig, acc: np.ndarray) -> None:
        """Backproject the block onto the tile's sub-tiles."""
        backproject_tiles_kernel(*block.kernel_args(), tile.centre, tile.offset,
                                 tile.half_diag, tile.sin_half, plan, block.axes,
                                 tile.beam_az_rad, tile.beam_el_rad, tile.min_gain, acc)
