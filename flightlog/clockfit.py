"""Instrument clock to GPS time (ICD section 5): a piecewise linear fit to time-sync pairs.

Each time-sync packet pairs the instrument clock latched at a GPS PPS edge with that edge's
GPS second. The fit is robust to

- lost sync packets (gaps in the pairs),
- corrupt sync packets (a pair inconsistent with its neighbours is an outlier),
- clock resets (a jump that the following pairs confirm starts a new piece),

and reports every piece with its residuals and every rejected pair with the reason.
Packet times then map through the piece they belong to, chosen by their position in the
stream, so that times just before and after a reset each use their own piece.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

#: Largest clock rate error accepted between consecutive pairs (ICD: up to 50 ppm).
DRIFT_LIMIT = 1e-4
#: Timing tolerance between consecutive pairs beyond drift (PPS latch jitter), seconds.
PAIR_TOLERANCE_S = 1e-3


@dataclass
class ClockPiece:
    """One linear piece: ``gps = gps_ref + rate * (instrument - instrument_ref)``."""

    instrument_ref: float
    gps_ref: float
    rate: float
    instrument_start: float
    instrument_end: float
    gps_start: float
    gps_end: float
    position_start: int
    position_end: int
    n_pairs: int
    n_rejected: int
    residual_rms_s: float
    residual_max_s: float
    rate_from_other_pieces: bool = False

    def to_gps(self, instrument_time: np.ndarray) -> np.ndarray:
        """Map instrument times through this piece."""
        return self.gps_ref + self.rate * (np.asarray(instrument_time, np.float64)
                                           - self.instrument_ref)

    @property
    def drift_ppm(self) -> float:
        """Rate error of the instrument clock against GPS, ppm (positive: it runs fast)."""
        return (1.0 / self.rate - 1.0) * 1e6


@dataclass
class ClockModel:
    """A fitted instrument clock model.

    Attributes
    ----------
    pieces : list of ClockPiece
        In stream order; more than one after a clock reset.
    rejected : list of dict
        Sync pairs left out: index, instrument and GPS time, reason.
    max_extrapolation_s : float
        How far beyond its first or last sync pair a piece may map a time.
    sync_position, sync_gps : numpy.ndarray
        Stream positions and GPS times of the sync pairs used, in stream order.
    bracket_margin_s : float
        How far a packet's time may lie outside the GPS times of the sync packets that
        bracket it in the stream (recording latency).
    """

    pieces: list[ClockPiece]
    rejected: list[dict[str, Any]] = field(default_factory=list)
    max_extrapolation_s: float = 5.0
    sync_position: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sync_gps: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bracket_margin_s: float = 1.0

    def to_gps(self, instrument_time: np.ndarray,
               position: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Map instrument-clock times to GPS time.

        Parameters
        ----------
        instrument_time : numpy.ndarray
            Instrument clock readings, seconds.
        position : numpy.ndarray, optional
            Stream position of each time (:func:`flightlog.ingest.stream_position`); it
            decides the piece around a clock reset. Without it the piece is chosen by
            instrument time, and a time that more than one piece could hold is invalid.

        Returns
        -------
        gps_time : numpy.ndarray
            GPS seconds (NaN where invalid).
        valid : numpy.ndarray
            False where no piece maps the time within ``max_extrapolation_s``.
        """
        x = np.asarray(instrument_time, dtype=np.float64)
        out = np.full(x.shape, np.nan)
        if not self.pieces:
            return out, np.zeros(x.shape, dtype=bool)
        ext = self.max_extrapolation_s
        if position is not None:
            pos = np.asarray(position, dtype=np.int64)
            # GPS times of the sync pairs that bracket each packet in the stream.
            j = np.searchsorted(self.sync_position, pos)
            g = np.concatenate([[-np.inf], self.sync_gps, [np.inf]])
            lo, hi = g[j] - self.bracket_margin_s, g[j + 1] + self.bracket_margin_s
        cand_count = np.zeros(x.shape, dtype=np.int64)
        for k, pc in enumerate(self.pieces):
            y = pc.to_gps(x)
            ok = (y >= pc.gps_start - ext) & (y <= pc.gps_end + ext)
            if position is not None:
                before = self.pieces[k - 1].position_end if k > 0 else np.iinfo(np.int64).min
                after = (self.pieces[k + 1].position_start if k + 1 < len(self.pieces)
                         else np.iinfo(np.int64).max)
                ok &= (pos > before) & (pos < after) & (y >= lo) & (y <= hi)
            cand_count += ok
            out = np.where(ok, y, out)
        valid = cand_count == 1
        out[~valid] = np.nan
        return out, valid

    def report(self) -> dict[str, Any]:
        """JSON-ready summary: pieces with drift and residuals, rejected pairs."""
        return {
            "pieces": [{**asdict(p), "drift_ppm": p.drift_ppm} for p in self.pieces],
            "rejected": self.rejected,
        }


def _consistent(x0: float, y0: float, x1: float, y1: float) -> bool:
    dy = y1 - y0
    dx = x1 - x0
    return bool(dy > 0 and dx > 0 and abs(dy - dx) <= DRIFT_LIMIT * dy + PAIR_TOLERANCE_S)


def _segment(x: np.ndarray, y: np.ndarray, min_run: int) -> tuple[list[list[int]], dict[int, str]]:
    """Split pairs (in stream order) into consistent runs; the rest are outliers.

    A pair starts a run (at the beginning, or after a clock reset) when enough of the
    pairs that follow agree with it: ``min_run - 1`` of the next ``min_run + 1``, so that
    one corrupt neighbour neither hides a good pair nor fakes a reset.
    """
    n = x.size
    rejected: dict[int, str] = {}
    pieces: list[list[int]] = []
    cur: list[int] = []

    def support(i: int, exclude_last: int | None) -> bool:
        look = range(i + 1, min(n, i + min_run + 2))
        agree = [j for j in look if _consistent(x[i], y[i], x[j], y[j]) and (
            exclude_last is None
            or not _consistent(x[exclude_last], y[exclude_last], x[j], y[j]))]
        if not look:  # the last pair: alone it starts nothing, unless it is all there is
            return exclude_last is None and not pieces
        return len(agree) >= min(min_run - 1, len(look))

    def short_run(i: int) -> int:
        """End of a short piece from ``i``, else -1.

        A run of at least two consistent pairs that a confirmed reset (or the end of
        the stream) follows: too short to be confirmed by ``min_run`` pairs, but a piece
        of the clock all the same.
        """
        j = i
        while j + 1 < n and _consistent(x[j], y[j], x[j + 1], y[j + 1]):
            j += 1
        if j == i or (j + 1 < n and not support(j + 1, j)):
            return -1
        return j

    i = 0
    while i < n:
        if not cur:
            if support(i, None):
                cur = [i]
            elif (j := short_run(i)) >= 0:
                pieces.append(list(range(i, j + 1)))
                i = j + 1
                continue
            else:
                rejected[i] = "inconsistent with the following sync pairs"
            i += 1
            continue
        last = cur[-1]
        if _consistent(x[last], y[last], x[i], y[i]):
            cur.append(i)
        elif support(i, last):
            pieces.append(cur)  # a clock reset: the following pairs confirm the jump
            cur = [i]
        elif (j := short_run(i)) >= 0 and not _consistent(x[last], y[last], x[j], y[j]):
            pieces.append(cur)  # a short piece between two resets
            pieces.append(list(range(i, j + 1)))
            cur = []
            i = j + 1
            continue
        else:
            rejected[i] = "inconsistent with its neighbours (corrupt sync packet)"
        i += 1
    if cur:
        pieces.append(cur)
    return pieces, rejected


def fit_clock(instrument_time: np.ndarray, gps_time: np.ndarray,
              position: np.ndarray | None = None, min_run: int = 3,
              max_extrapolation_s: float = 5.0) -> ClockModel:
    """Fit the instrument-clock-to-GPS model from time-sync pairs.

    Parameters
    ----------
    instrument_time : numpy.ndarray
        Instrument clock latched at each PPS edge (secondary-header time), seconds.
    gps_time : numpy.ndarray
        GPS time of the same edge from the payload (week * 604800 + seconds of week).
    position : numpy.ndarray, optional
        Stream position of each sync packet; pairs are taken in this order (default: as
        given).
    min_run : int
        Consistent pairs needed to accept a clock reset (fewer are outliers).
    max_extrapolation_s : float
        How far beyond its sync pairs a piece maps times.

    Returns
    -------
    ClockModel
        The pieces and the rejected pairs.
    """
    x = np.asarray(instrument_time, dtype=np.float64)
    y = np.asarray(gps_time, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("instrument_time and gps_time must be 1-D and of equal length")
    pos = np.arange(x.size, dtype=np.int64) if position is None else np.asarray(position,
                                                                                  np.int64)
    order = np.argsort(pos, kind="stable")
    x, y, pos = x[order], y[order], pos[order]
    runs, bad = _segment(x, y, min_run)
    rejected: list[dict[str, Any]] = [
        {"index": int(order[i]), "instrument_time": float(x[i]), "gps_time": float(y[i]),
         "reason": why} for i, why in sorted(bad.items())]
    fits = []
    for run in runs:
        idx = np.array(run)
        keep = np.ones(idx.size, dtype=bool)
        for _ in range(3):  # least squares with iterative rejection of residual outliers
            xs, ys = x[idx[keep]], y[idx[keep]]
            x0, y0 = float(xs[0]), float(ys[0])
            if xs.size >= 2 and xs[-1] - xs[0] >= 1.0:
                rate, icpt = np.polyfit(xs - x0, ys - y0, 1)
            else:
                rate, icpt = np.nan, float(np.mean(ys - y0 - (xs - x0)))
            if np.isnan(rate):
                break
            res = (y[idx] - y0) - (icpt + rate * (x[idx] - x0))
            mad = 1.4826 * np.median(np.abs(res[keep] - np.median(res[keep])))
            new_keep = np.abs(res) <= max(6.0 * mad, 1e-6)
            if new_keep.sum() < 2 or np.array_equal(new_keep, keep):
                break
            keep = new_keep
        for i in idx[~keep]:
            rejected.append({"index": int(order[i]), "instrument_time": float(x[i]),
                             "gps_time": float(y[i]), "reason": "residual outlier"})
        fits.append((idx, keep, x0, y0, rate, icpt))
    known = [f[4] for f in fits if not np.isnan(f[4])]
    default_rate = float(np.median(known)) if known else 1.0
    pieces = []
    for idx, keep, x0, y0, rate, icpt in fits:
        borrowed = bool(np.isnan(rate))
        if borrowed:
            rate = default_rate
            icpt = float(np.mean(y[idx[keep]] - y0 - rate * (x[idx[keep]] - x0)))
        res = (y[idx[keep]] - y0) - (icpt + rate * (x[idx[keep]] - x0))
        used = idx[keep]
        pieces.append(ClockPiece(
            instrument_ref=x0, gps_ref=y0 + icpt, rate=float(rate),
            instrument_start=float(x[used[0]]), instrument_end=float(x[used[-1]]),
            gps_start=float(y[used[0]]), gps_end=float(y[used[-1]]),
            position_start=int(pos[idx[0]]), position_end=int(pos[idx[-1]]),
            n_pairs=int(used.size), n_rejected=int((~keep).sum()),
            residual_rms_s=float(np.sqrt(np.mean(res**2))),
            residual_max_s=float(np.max(np.abs(res))), rate_from_other_pieces=borrowed))
    rejected.sort(key=lambda r: int(r["index"]))
    used = np.sort(np.concatenate([f[0][f[1]] for f in fits])) if fits else np.zeros(0, int)
    return ClockModel(pieces, rejected, max_extrapolation_s, pos[used], y[used])
