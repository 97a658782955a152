"""Scale-out: ``postflight process`` serial against a dask LocalCluster, same machine.

The SAR chain of a simulated ``demo`` flight line (``duration_s`` seconds, four
polarisations, 1 m grid; polarimetry and spectrometer off, so the focusing tiles, the
distributed work units, dominate) is processed serially (this process, Numba threads =
cores) and on a LocalCluster of one single-threaded worker per core, already started.
The products are compared bit for bit; the figure is tiles per second.

The spectrometer: the O2-A band of a ``spectrometer_s`` line (L1B, Fraunhofer and FLD SIF
in this process, the O2-A optimal estimation in chunks of 16 soundings through the
executor), serial against the same LocalCluster, each after a warm-up run (the workers
build their forward models once); L2 compared variable by variable; soundings per second.
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


def run(duration_s: float = 8.0, spectrometer_s: float = 16.0) -> list[Result]:
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
    sar = [Result(f"LocalCluster ({cores} workers) vs serial, {duration_s:g} s demo line "
                  f"SAR chain, {tiles} tiles", "tiles/s", tiles / times["local"],
                  tiles / times["serial"], "serial run, Numba threads", "shown", None),
           Result("LocalCluster products bit-identical to serial", "bool", float(same), None,
                  "-", "identical", same)]
    return sar + _spectrometer(spectrometer_s, cores)


def _spectrometer(duration_s: float, cores: int) -> list[Result]:
    import netCDF4

    from flightlog.align import align
    from ghgsif.config import GhgsifConfig
    from ghgsif.pipeline import process_spectrometer

    cfg = GhgsifConfig(xgas=False)
    with tempfile.TemporaryDirectory() as tmp:
        dump = simulate("demo", Path(tmp) / "dump", seed=2, duration_s=duration_s)
        al = align(dump)
        times, l2 = {}, {}
        for name in ("serial", "local"):
            with Executor(name, cores) as ex:
                for run_name in (f"{name}-warm", name):
                    t = time.perf_counter()
                    r = process_spectrometer(dump, Path(tmp) / run_name, al, cfg, {},
                                             map_fn=ex.map)
                    times[name] = time.perf_counter() - t
            with netCDF4.Dataset(r["l2"]) as nc:
                l2[name] = {k: np.asarray(nc[k][:]).tobytes() for k in nc.variables}
        n = int(np.isfinite(np.frombuffer(l2["serial"]["o2a_chi2"])).sum())
    same = l2["serial"] == l2["local"]
    return [Result(f"LocalCluster ({cores} workers) vs serial, {duration_s:g} s demo line "
                   f"O2-A band, {n} soundings", "soundings/s", n / times["local"],
                   n / times["serial"], "serial run", "shown", None),
            Result("LocalCluster spectrometer L2 identical to serial", "bool", float(same),
                   None, "-", "identical", same)]
