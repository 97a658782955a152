"""Colour composites people look at: Pauli and HH-HV-VV RGB, and their PNG quicklooks.

Scaling (documented, the same for every product): each channel is an amplitude converted
to dB (``20 log10``), stretched linearly between its own 2nd and 98th percentiles over
the finite pixels (a robust stretch: a few corner reflectors do not darken the scene),
clipped to [0, 1] and quantised to 8 bits. No-data pixels are black. The PNG adds a
frame with a scale bar and the coordinates of the corners.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from flightlog.provenance import atomic_output
from sarproc.polarimetry import pauli_rgb


def stretch_db(amplitude: np.ndarray, percentiles: tuple[float, float] = (2.0, 98.0)
               ) -> np.ndarray:
    """One channel's amplitude in dB, stretched between its percentiles to [0, 1]."""
    a = np.asarray(amplitude, np.float64)
    db = np.full(a.shape, np.nan)
    ok = np.isfinite(a) & (a > 0)
    db[ok] = 20 * np.log10(a[ok])
    if not ok.any():
        return np.zeros(a.shape)
    lo, hi = np.percentile(db[ok], percentiles)
    out = (db - lo) / max(hi - lo, 1e-9)
    return np.where(ok, np.clip(out, 0.0, 1.0), 0.0)


def rgb8(r: np.ndarray, g: np.ndarray, b: np.ndarray,
         percentiles: tuple[float, float] = (2.0, 98.0)) -> np.ndarray:
    """8-bit RGB (rows, cols, 3) from three amplitude channels (module scaling)."""
    return np.round(255 * np.stack([stretch_db(c, percentiles) for c in (r, g, b)],
                                   axis=-1)).astype(np.uint8)


def pauli_composite(hh: np.ndarray, hv: np.ndarray, vh: np.ndarray, vv: np.ndarray
                    ) -> np.ndarray:
    """Pauli RGB: R = |HH - VV|, G = |HV + VH| (= 2 |HVs|), B = |HH + VV|."""
    amp = pauli_rgb(hh, hv, vh, vv)
    return rgb8(amp[..., 0], amp[..., 1], amp[..., 2])


def lexicographic_composite(hh: np.ndarray, hv: np.ndarray, vh: np.ndarray,
                            vv: np.ndarray) -> np.ndarray:
    """HH-HV-VV RGB: R = |HH|, G = |HVs|, B = |VV|."""
    return rgb8(np.abs(hh), np.abs(0.5 * (hv + vh)), np.abs(vv))


def _nice_length(span_m: float) -> float:
    target = span_m / 5
    p = 10 ** np.floor(np.log10(max(target, 1e-9)))
    return float(max(m * p for m in (1, 2, 5) if m * p <= target) if target >= p else p)


def write_png(rgb: np.ndarray, path: str | os.PathLike[str], spacing_m: float,
              corners: tuple[tuple[float, float], tuple[float, float]] | None = None,
              title: str = "", crs: str = "") -> Path:
    """Write an RGB quicklook with a scale bar (and corner coordinates), atomically.

    Parameters
    ----------
    rgb : numpy.ndarray
        (rows, cols, 3) uint8, north up.
    path : path-like
        PNG to write.
    spacing_m : float
        Pixel size, metres (for the scale bar).
    corners : tuple, optional
        ((x_min, y_max), (x_max, y_min)) of the raster's outer corners in ``crs`` units.
    title, crs : str
        Caption and the name of the coordinate system.
    """
    from PIL import Image, ImageDraw

    img = Image.fromarray(np.ascontiguousarray(rgb, np.uint8), "RGB")
    margin = 28
    canvas = Image.new("RGB", (img.width, img.height + 2 * margin), (255, 255, 255))
    canvas.paste(img, (0, margin))
    draw = ImageDraw.Draw(canvas)
    # top margin: the title, then the upper-left corner (right-aligned) on its own line;
    # bottom margin: the scale bar, then the lower-right corner (right-aligned)
    if title:
        draw.text((4, 2), title, fill=(0, 0, 0))
    length = _nice_length(img.width * spacing_m)
    px = max(1, int(round(length / spacing_m)))
    y = img.height + margin + 4
    draw.rectangle([6, y, 6 + px, y + 5], fill=(0, 0, 0))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    draw.text((12 + px, y - 2), label, fill=(0, 0, 0))
    if corners is not None:
        (x0, y0), (x1, y1) = corners
        for text, yy in ((f"UL {x0:.0f} {y0:.0f} {crs}".strip(), 15),
                         (f"LR {x1:.0f} {y1:.0f}", img.height + margin + 15)):
            w = draw.textlength(text)
            draw.text((max(4.0, img.width - 4 - w), yy), text, fill=(0, 0, 0))
    path = Path(path)
    with atomic_output(path) as tmp:
        canvas.save(tmp, format="PNG")
    return path
