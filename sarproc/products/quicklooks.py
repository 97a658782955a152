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

#: Quicklook key -> caption.
QUICKLOOKS = {"pauli": "Pauli: R |HH-VV|, G 2|HV|, B |HH+VV|",
              "hh_hv_vv": "R |HH|, G |HV|, B |VV|"}


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
        paths = {}
        for key, title in QUICKLOOKS.items():
            amp = self._amp.pop(key)
            rgb = rgb8(amp[..., 0], amp[..., 1], amp[..., 2], self.percentiles)
            paths[key] = write_png(rgb, self.stem.with_name(f"{self.stem.name}_{key}.png"),
                                   g.spacing_m * lx * g.quick_step, corners, title,
                                   g.crs.name)
        return paths
