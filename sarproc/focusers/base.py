"""The focuser interface: what the tile loop hands an azimuth-compression algorithm.

The tile loop (:func:`sarproc.focus.focus_tile`) finds a tile's pulses and range crop,
splits the tile into sub-tiles and upsamples the pulses block by block; an algorithm
sees only a :class:`TileAperture` (once per tile) and :class:`PulseBlock` (once per block
of pulses) and adds its sums into the tile's accumulator. The loop, the dask executor and
the GSLC writer never name an algorithm: they look it up in :data:`sarproc.focusers.FOCUSERS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from sarproc.config import SarConfig


class PulseBlock(NamedTuple):
    """A block of upsampled range-compressed pulses and their geometry.

    The first seven fields are, in order, the leading arguments of every backprojection
    kernel (``kernel(*block.kernel_args(), ...)``).
    """

    rc: np.ndarray
    """Upsampled range lines (pulses, samples), complex64."""
    tau0_s: np.ndarray
    """Delay of sample 0 of each line (s)."""
    fs_up_hz: float
    """Sampling rate of the upsampled lines (Hz)."""
    apc_m: np.ndarray
    """Antenna phase centre at transmit (pulses, 3), ECEF metres."""
    vel_m_s: np.ndarray
    """Its velocity (pulses, 3), m/s."""
    track: np.ndarray
    """Unit reference-track direction (pulses, 3): squint is measured from its normal plane."""
    fc_hz: float
    """Carrier frequency (Hz)."""
    axes: np.ndarray
    """Antenna boresight, azimuth and elevation axes (pulses, 3, 3); zeros: no pattern."""

    def kernel_args(self) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, np.ndarray,
                                   np.ndarray, float]:
        """``(rc, tau0, fs_up, apc, vel, track, fc)``, the kernels' leading arguments."""
        return (self.rc, self.tau0_s, self.fs_up_hz, self.apc_m, self.vel_m_s, self.track,
                self.fc_hz)


@dataclass(frozen=True)
class TileAperture:
    """One tile of the map grid and the pulses ``[first, first + n)`` of the channel it sees.

    Pulse indices in a :class:`PulseBlock` handed with it count from ``first``.
    """

    pixels: np.ndarray
    """ECEF pixel positions (rows, cols, 3)."""
    centre: np.ndarray
    """Sub-tile centres (tiles, 3), from :func:`sarproc.backprojection.subtiles`."""
    offset: np.ndarray
    """Pixel offsets from their sub-tile's centre (tiles, pixels, 3), float32."""
    half_diag: np.ndarray
    """Sub-tile half-diagonals (tiles,), metres."""
    sin_half: float
    """Sine of half the integration angle."""
    apc_m: np.ndarray
    """Phase centres of the tile's pulses (n, 3)."""
    track: np.ndarray
    """Reference-track directions of the tile's pulses (n, 3)."""
    axes: np.ndarray
    """Antenna axes of the tile's pulses (n, 3, 3)."""
    beam_az_rad: float
    """Azimuth half-power beamwidth; 0 when the pattern is not divided out."""
    beam_el_rad: float
    """Elevation half-power beamwidth."""
    min_gain: float
    """Pulses that see a pixel below this one-way antenna gain are left out."""
    bandwidth_hz: float
    """Chirp bandwidth."""


class Focuser(ABC):
    """An azimuth-compression algorithm: plan a tile, then add each block of pulses."""

    #: The ``sar.algorithm`` value that selects it.
    name: str = ""
    #: What the GSLC's processing information says of it.
    description: str = ""

    def check(self, cfg: SarConfig) -> str | None:
        """Why ``cfg`` does not suit the algorithm (for the configuration's error), or None."""
        return None

    @abstractmethod
    def plan(self, tile: TileAperture, cfg: SarConfig) -> Any:
        """What the algorithm keeps of a tile across its pulse blocks."""

    @abstractmethod
    def accumulate(self, plan: Any, tile: TileAperture, block: PulseBlock, first: int,
                   cfg: SarConfig, acc: np.ndarray) -> None:
        """Add the block's pulses (the tile's ``first``-th onwards) into ``acc``.

        ``acc`` (sub-tiles, pixels) is complex128, in the scaling of exact
        backprojection (a sum over pulses, divided out later by the tile loop).
        """
