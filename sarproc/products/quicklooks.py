"""Pauli and HH-HV-VV quicklooks (PNG with a scale bar and corner coordinates).

Amplitudes are the rms over the looks of the filtered covariance matrices, on a lattice
of every ``quick_step``-th multilooked pixel (bounded memory whatever the grid).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np

from sarproc.composites import rgb8, write_png
from sarproc.polarimetry import coherency, pauli_rgb_from_t3
from sarproc.products.base import PolBlock, PolSink

#: Quicklook key -> (caption, what the red, green and blue channels are).
QUICKLOOKS = {"pauli": ("Pauli composite", ("|HH-VV| even bounce", "2|HV| volume",
                                            "|HH+VV| odd bounce")),
              "hh_hv_vv": ("HH-HV-VV composite", ("|HH|", "|HV|", "|VV|"))}


class QuicklookWriter(PolSink):
    """``<stem>_pauli.png`` and ``<stem>_hh_hv_vv.png``, written when complete."""

    def open(self, stack: contextlib.ExitStack) -> None:
        """The quicklooks' accumulators."""
        qy, qx = self.grid.quick_shape
        self._amp = {k: np.zeros((qy, qx, 3), np.float32) for k in QUICKLOOKS}

    def write(self, block: PolBlock) -> None:
        """The block's rows of the lattice."""
        at = block.quick_rows // self.grid.quick_step
        c3q = block.quick_c3
        self._amp["pauli"][at] = pauli_rgb_from_t3(coherency(c3q))
        self._amp["hh_hv_vv"][at] = np.sqrt(np.maximum(np.real(np.stack(
            [c3q[..., 0, 0], c3q[..., 1, 1] / 2, c3q[..., 2, 2]], axis=-1)), 0.0))

    def finish(self, summary: dict[str, Any]) -> dict[str, Path]:
        """Stretch and write the PNGs (each atomically)."""
        g = self.grid
        ly, lx = g.looks
        corners = ((float(g.x[0] - g.spacing_m * lx / 2), float(g.y[0] + g.spacing_m * ly / 2)),
                   (float(g.x[-1] + g.spacing_m * lx / 2),
                    float(g.y[-1] - g.spacing_m * ly / 2)))
        d = g.quick_step
        layout = {"x0": float(g.x[0]), "y0": float(g.y[0]),
                  "dx": float(g.x[d] - g.x[0]) if g.x.size > d else g.spacing_m * lx * d,
                  "dy": float(g.y[d] - g.y[0]) if g.y.size > d else -g.spacing_m * ly * d,
                  "epsg": g.epsg}
        paths = {}
        for key, (title, legend) in QUICKLOOKS.items():
            amp = self._amp.pop(key)
            rgb, limits = rgb8(amp[..., 0], amp[..., 1], amp[..., 2], self.stretch)
            paths[key] = write_png(rgb, self.stem.with_name(f"{self.stem.name}_{key}.png"),
                                   g.spacing_m * lx * d, corners,
                                   f"{self.stem.name} {title}", g.crs.name, legend,
                                   self.stretch.caption(limits), layout)
        return paths
