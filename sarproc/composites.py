"""Colour composites people look at: Pauli and HH-HV-VV RGB, and their PNG quicklooks.

Scaling (documented, the same for every product; :class:`Stretch`): each channel is an
amplitude converted to dB (``20 log10``, i.e. ``10 log10`` of its power), stretched
linearly to [0, 1], clipped and quantised to 8 bits. The default stretch is **common**:
the same dB range (``pol.stretch_db``, -35 to 0 dB of sigma0-normalised power) for the
three channels, so that colour means polarimetry: a trihedral (odd bounce, HH = VV) is
blue in Pauli, a 0-degree dihedral (even bounce, HH = -VV) red, a 45-degree dihedral (HV)
green, a forest (volume) a pale green-grey, and a surface below the range black. The
**per-channel** stretch (``pol.stretch = "per_channel"``) takes each channel's own
``pol.percentiles`` of its finite pixels instead: more contrast, but the colours no longer
compare between channels or scenes. No-data pixels are black. The PNG is enlarged by a
whole factor (nearest neighbour) to at least :data:`MIN_LONG_SIDE` pixels on its long side,
and framed with the title, a legend of the channels, the stretch, a scale bar and the
corner coordinates; its ``pisar-l3:layout`` text chunk (JSON) says where each lattice pixel
is (offset, scale and the map coordinates of the first pixel centre and the spacing).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from flightlog.provenance import atomic_output

#: The long side, in pixels, a quicklook is enlarged to at least (by a whole factor).
MIN_LONG_SIDE = 1024
#: The largest enlargement (a tiny grid is not blown up further).
MAX_ENLARGE = 16


@dataclass(frozen=True)
class Stretch:
    """How amplitudes become 8-bit colour channels (module doc)."""

    mode: Literal["common", "per_channel"] = "common"
    range_db: tuple[float, float] = (-35.0, 0.0)
    """dB range of every channel (``common``)."""
    percentiles: tuple[float, float] = (2.0, 98.0)
    """Percentiles of each channel's finite pixels (``per_channel``)."""

    def limits(self, channels_db: list[np.ndarray]) -> list[tuple[float, float]]:
        """The (low, high) dB of each channel."""
        if self.mode == "common":
            return [(float(self.range_db[0]), float(self.range_db[1]))] * len(channels_db)
        out = []
        for db in channels_db:
            ok = np.isfinite(db)
            lo, hi = (np.percentile(db[ok], self.percentiles) if ok.any() else (0.0, 1.0))
            out.append((float(lo), float(hi)))
        return out

    def caption(self, limits: list[tuple[float, float]]) -> str:
        """What the stretch was, for the PNG."""
        if self.mode == "common":
            lo, hi = limits[0]
            return f"common stretch {lo:g} to {hi:g} dB (all channels)"
        parts = ", ".join(f"{'RGB'[i]} {lo:.1f}..{hi:.1f}" for i, (lo, hi) in
                          enumerate(limits))
        p0, p1 = self.percentiles
        return f"per-channel {p0:g}-{p1:g} % stretch: {parts} dB"


def amplitude_db(amplitude: np.ndarray) -> np.ndarray:
    """``20 log10`` of an amplitude; NaN where it is not positive or not finite."""
    a = np.asarray(amplitude, np.float64)
    db = np.full(a.shape, np.nan)
    ok = np.isfinite(a) & (a > 0)
    db[ok] = 20 * np.log10(a[ok])
    return db


def rgb8(r: np.ndarray, g: np.ndarray, b: np.ndarray, stretch: Stretch = Stretch()
         ) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """8-bit RGB (rows, cols, 3) from three amplitude channels, and the dB limits used."""
    dbs = [amplitude_db(c) for c in (r, g, b)]
    limits = stretch.limits(dbs)
    chans = []
    for db, (lo, hi) in zip(dbs, limits, strict=True):
        x = (db - lo) / max(hi - lo, 1e-9)
        chans.append(np.where(np.isfinite(db), np.clip(x, 0.0, 1.0), 0.0))
    return np.round(255 * np.stack(chans, axis=-1)).astype(np.uint8), limits


def _nice_length(span_m: float) -> float:
    target = span_m / 5
    p = 10 ** np.floor(np.log10(max(target, 1e-9)))
    return float(max(m * p for m in (1, 2, 5) if m * p <= target) if target >= p else p)


def write_png(rgb: np.ndarray, path: str | os.PathLike[str], spacing_m: float,
              corners: tuple[tuple[float, float], tuple[float, float]] | None = None,
              title: str = "", crs: str = "", legend: tuple[str, str, str] | None = None,
              stretch_text: str = "", layout: dict[str, Any] | None = None) -> Path:
    """Write an RGB quicklook, enlarged and framed (module doc), atomically.

    Parameters
    ----------
    rgb : numpy.ndarray
        (rows, cols, 3) uint8, north up.
    path : path-like
        PNG to write.
    spacing_m : float
        Pixel size of ``rgb``, metres (for the scale bar).
    corners : tuple, optional
        ((x_min, y_max), (x_max, y_min)) of the raster's outer corners in ``crs`` units.
    title, crs : str
        Caption and the name of the coordinate system.
    legend : tuple of str, optional
        What the red, green and blue channels are.
    stretch_text : str
        The stretch (:meth:`Stretch.caption`).
    layout : dict, optional
        Map coordinates of the first pixel centre and the spacing (``x0``, ``y0``,
        ``dx``, ``dy``), stored with the offset and scale in ``pisar-l3:layout``.
    """
    from PIL import Image, ImageDraw, PngImagePlugin

    rgb = np.ascontiguousarray(rgb, np.uint8)
    k = int(min(MAX_ENLARGE, max(1, -(-MIN_LONG_SIDE // max(rgb.shape[0], rgb.shape[1], 1)))))
    img = Image.fromarray(rgb, "RGB")
    if k > 1:
        img = img.resize((img.width * k, img.height * k), Image.Resampling.NEAREST)
    top, bottom = 34, 64
    canvas = Image.new("RGB", (max(img.width, 480), img.height + top + bottom),
                       (255, 255, 255))
    canvas.paste(img, (0, top))
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((4, 3), title, fill=(0, 0, 0))
    if corners is not None:
        (x0, y0), (x1, y1) = corners
        for text, yy in ((f"UL {x0:.0f} {y0:.0f} {crs}".strip(), 19),
                         (f"LR {x1:.0f} {y1:.0f}", img.height + top + 48)):
            w = draw.textlength(text)
            draw.text((max(4.0, canvas.width - 4 - w), yy), text, fill=(0, 0, 0))
    y = img.height + top + 6
    sx = 6
    if legend is not None:
        for colour, label in zip(((220, 0, 0), (0, 170, 0), (0, 0, 230)), legend,
                                 strict=True):
            draw.rectangle([sx, y, sx + 12, y + 10], fill=colour)
            draw.text((sx + 16, y), label, fill=(0, 0, 0))
            sx += 24 + int(draw.textlength(label))
    if stretch_text:
        draw.text((6, y + 14), stretch_text, fill=(0, 0, 0))
    length = _nice_length(img.width * spacing_m / k)
    px = max(1, int(round(length / spacing_m * k)))
    yb = y + 32
    draw.rectangle([6, yb, 6 + px, yb + 5], fill=(0, 0, 0))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    draw.text((12 + px, yb - 3), label, fill=(0, 0, 0))
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", title)
    info.add_text("Comment", stretch_text)
    info.add_text("pisar-l3:layout", json.dumps(
        {"offset": [0, top], "scale": k, "stretch": stretch_text, **(layout or {})}))
    path = Path(path)
    with atomic_output(path) as tmp:
        canvas.save(tmp, format="PNG", pnginfo=info)
    return path
