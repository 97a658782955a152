"""Factorised backprojection, the fast path (``sar.algorithm: ffbp``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sarproc.aperture import aperture_bounds
from sarproc.ffbp import ffbp_block
from sarproc.focusers.base import Focuser, PulseBlock, TileAperture
from sarproc.ground import Terrain, osculating_sphere, tile_terrain

if TYPE_CHECKING:
    from sarproc.config import SarConfig

#: Smallest ``sar.upsample`` at which the leaves' and the pixels' linear range
#: interpolation agree with exact backprojection to -40 dB (BENCHMARKS.md).
MIN_UPSAMPLE = 8


class _Plan(NamedTuple):
    terrain: Terrain | None
    height_m: float
    first: np.ndarray
    last: np.ndarray


class FactorisedBackprojection(Focuser):
    """Subaperture images on polar grids, merged onto the tile (:mod:`sarproc.ffbp`)."""

    name = "ffbp"
    description = "fast factorised backprojection"

    def check(self, cfg: SarConfig) -> str | None:
        """The fast path needs ``sar.upsample`` of :data:`MIN_UPSAMPLE` or more."""
        if cfg.upsample < MIN_UPSAMPLE:
            return (f"sar.upsample {cfg.upsample}: the fast path (sar.algorithm ffbp) needs "
                    f"at least {MIN_UPSAMPLE} to agree with exact backprojection")
        return None

    def plan(self, tile: TileAperture, cfg: SarConfig) -> _Plan:
        """The polar grids' ground and each pixel's aperture in the tile's pulses."""
        pixels = tile.pixels
        ny, nx = pixels.shape[:2]
        # the polar grids' ground: the pixels' own (level, or a DEM's terrain)
        terrain = tile_terrain(pixels)
        height = osculating_sphere(pixels[ny // 2, nx // 2])[2]
        first = np.empty(tile.offset.shape[:2], np.int32)
        last = np.empty(tile.offset.shape[:2], np.int32)
        aperture_bounds(np.ascontiguousarray(tile.apc_m), np.ascontiguousarray(tile.track),
                        tile.centre, tile.offset, tile.half_diag, tile.sin_half,
                        np.ascontiguousarray(tile.axes), tile.beam_az_rad, tile.beam_el_rad,
                        tile.min_gain, first, last)
        return _Plan(terrain, height, first, last)

    def accumulate(self, plan: _Plan, tile: TileAperture, block: PulseBlock, first: int,
                   cfg: SarConfig, acc: np.ndarray) -> None:
        """Focus the block's subapertures and merge them onto the tile."""
        ffbp_block(*block.kernel_args(), tile.bandwidth_hz, tile.pixels, tile.centre,
                   tile.offset, tile.half_diag, plan.first - first, plan.last - first,
                   tile.sin_half, cfg.azimuth_window, block.axes, tile.beam_az_rad,
                   tile.beam_el_rad, tile.min_gain, plan.height_m, acc, cfg.ffbp_subaperture,
                   cfg.ffbp_oversample, plan.terrain)
