"""Instrument clocks as the recorders see them (ICD section 5): offset, drift and resets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class InstrumentClock:
    """A free-running instrument clock relative to GPS time.

    ``instrument = (gps - epoch_gps) * (1 + drift_ppm * 1e-6) + offset_s`` before the
    reset; from ``reset_gps`` on, the clock restarts at ``reset_to_s`` and runs on with
    the same drift.

    Parameters
    ----------
    epoch_gps : float
        GPS time (s since 1980-01-06) at which the clock read ``offset_s``.
    offset_s : float
        Clock reading at ``epoch_gps``.
    drift_ppm : float
        Rate error, parts per million.
    reset_gps : float or None
        GPS time of a clock reset, if any.
    reset_to_s : float
        Clock reading just after the reset.
    """

    epoch_gps: float
    offset_s: float = 3.0
    drift_ppm: float = 0.0
    reset_gps: float | None = None
    reset_to_s: float = 100.0

    def instrument_time(self, gps: np.ndarray | float) -> np.ndarray:
        """Clock reading (s) at GPS time(s) ``gps``."""
        gps = np.asarray(gps, dtype=np.float64)
        rate = 1.0 + self.drift_ppm * 1e-6
        t = (gps - self.epoch_gps) * rate + self.offset_s
        if self.reset_gps is not None:
            after = gps >= self.reset_gps
            t = np.where(after, (gps - self.reset_gps) * rate + self.reset_to_s, t)
        return t


def split_clock(t: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Split clock readings (s, >= 0) into the ICD ``coarse`` and ``fine`` fields."""
    t = np.asarray(t, dtype=np.float64)
    if np.any(t < 0) or np.any(t >= 2.0**32):
        raise ValueError("instrument clock readings must lie in [0, 2**32) s")
    coarse = np.floor(t)
    fine = np.floor((t - coarse) * 2.0**32)
    return coarse.astype(np.int64), np.minimum(fine, 2.0**32 - 1).astype(np.int64)
