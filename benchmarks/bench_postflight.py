"""Scale-out: ``postflight process`` serial against a dask LocalCluster, same machine.

The SAR chain of a simulated ``demo`` flight line (``duration_s`` seconds, four
polarisations, 1 m grid; polarimetry and spectrometer off, so the focusing tiles, the
distributed work units, dominate) is processed serially (this process, Numba threads =
cores) and on a LocalCluster of one single-threaded worker per core, already started.
The products are compared bit for bit; the figure is tiles per second.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from benchmarks.common import Result
from postflight.process import load_config, process_dump
from postflight.scaleout import Executor
from sim import simulate

SETS = ["pol.enabled=false", "ghgsif.enabled=false", "sar.grid.spacing_m=1"]


def _images(path: str) -> list[bytes]:
    with h5py.File(path, "r") as f:
        g = f["science/LSAR/GSLC/grids/frequencyA"]
        return [g[p][()].tobytes() for p in ("HH", "HV", "VH", "VV")]


def run(duration_s: float = 8.0) -> list[Result]:
    """Serial against LocalCluster time of the same run, and whether they agree."""
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp:
        dump = simulate("demo", Path(tmp) / "dump", seed=1, duration_s=duration_s)
        cfg = load_config(None, SETS)
        times, images, tiles = {}, {}, 0
        process_dump(dump, Path(tmp) / "warm", cfg)  # compile / load caches once
        for name in ("serial", "local"):
            with Executor(name, cores) as ex:
                t = time.perf_counter()
                s = process_dump(dump, Path(tmp) / name, cfg, executor=ex, resume=False)
                times[name] = time.perf_counter() - t
            images[name] = _images(s["gslc"])
            grid = s["grid"]
            tiles = len(s["channels"]) * int(np.ceil(grid["shape"][0] / 256)
                                             * np.ceil(grid["shape"][1] / 256))
    same = images["serial"] == images["local"]
    return [Result(f"LocalCluster ({cores} workers) vs serial, {duration_s:g} s demo line "
                   f"SAR chain, {tiles} tiles", "tiles/s", tiles / times["local"],
                   tiles / times["serial"], "serial run, Numba threads", "shown",
                   None),
            Result("LocalCluster products bit-identical to serial", "bool", float(same), None,
                   "-", "identical", same)]
