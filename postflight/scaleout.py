"""Scale-out of the work units (map-grid tiles, spectrometer soundings) on dask.distributed.

``postflight process --scheduler local`` (the default) starts a ``LocalCluster`` of one
single-threaded worker process per core (each with ``NUMBA_NUM_THREADS=1``), ``--scheduler
tcp://HOST:PORT`` uses a running scheduler, ``--scheduler serial`` runs in this process
with Numba's threads. The units are the tiles of every channel's grid: each one reads the
range-compressed scratch file of its channel (closed for writing, opened read-only by
every worker) and returns its complex tile, which this process writes into the GSLC. A
tile is a pure function of its inputs (the kernels' parallel loops write disjoint
pixels), so where it runs does not change a bit of the product. The spectrometer's
retrievals go out the same way, in chunks of soundings (:meth:`Executor.map`,
:func:`ghgsif.pipeline.soundings_chunk`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from flightlog.geolocate import Dem
from sarproc.config import SarConfig
from sarproc.focus import ChannelGeometry, focus_grid_tile
from sarproc.grid import MapGrid

log = logging.getLogger("postflight.scaleout")

Tile = tuple[slice, slice]


def _tile_task(rc_path: str, geo: ChannelGeometry, grid: MapGrid, rows: slice, cols: slice,
               cfg: SarConfig, dem: Dem | None) -> np.ndarray:
    """A worker's unit: open the channel's scratch read-only and focus one tile."""
    with h5py.File(rc_path, "r") as f:
        return focus_grid_tile(f["rc"], geo, grid, rows, cols, cfg, dem)


class Executor:
    """Where the tiles run: in this process (``serial``) or on a dask cluster.

    Parameters
    ----------
    scheduler : str
        ``serial``, ``local`` (a LocalCluster here) or a scheduler address.
    workers : int, optional
        Worker processes of the local cluster (default: the usable cores).
    """

    def __init__(self, scheduler: str = "serial", workers: int | None = None) -> None:
        self.scheduler = scheduler
        self.client: Any = None
        self.cluster: Any = None
        if scheduler == "serial":
            return
        from distributed import Client, LocalCluster

        for name in [n for n in logging.root.manager.loggerDict if n.startswith("distributed")]:
            logging.getLogger(name).setLevel(max(logging.WARNING, log.getEffectiveLevel()))
        if scheduler == "local":
            import dask

            n = workers or len(os.sched_getaffinity(0))
            # dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, which also fixes
            # glibc's mmap threshold: every array of the forward model (a few hundred kB)
            # is then mapped and faulted in anew, and the retrievals ran at half speed
            with dask.config.set({
                    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
                self.cluster = LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True,
                    dashboard_address=None,
                    env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
                    silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        else:
            self.client = Client(scheduler)
        log.info("dask scheduler %s with %d workers", self.client.scheduler.address,
                 len(self.client.scheduler_info()["workers"]))

    @property
    def description(self) -> str:
        """How the run was spread (recorded in the products' processing parameters)."""
        if self.client is None:
            return "serial"
        return f"dask.distributed ({len(self.client.scheduler_info()['workers'])} workers)"

    def focus(self, rc_path: Path, geo: ChannelGeometry, grid: MapGrid, tiles: list[Tile],
              cfg: SarConfig, dem: Dem | None,
              tick: Callable[[int], None] | None = None) -> Iterator[tuple[Tile, np.ndarray]]:
        """Focus ``tiles`` of one channel; yields ``((rows, cols), tile)`` as they finish.

        Parameters
        ----------
        rc_path : Path
            HDF5 file whose ``rc`` dataset holds the channel's range-compressed pulses.
        geo : ChannelGeometry
            The channel's pulse geometry.
        grid : MapGrid
            The output grid.
        tiles : list of (slice, slice)
            Row and column ranges to focus.
        cfg : SarConfig
            Focusing settings (algorithm, window, ...).
        dem : Dem, optional
            Terrain under the grid; ``None`` for the reference height.
        tick : callable, optional
            Called with 1 as each tile finishes (progress).
        """
        if self.client is None:
            with h5py.File(rc_path, "r") as f:
                for rows, cols in tiles:
                    yield (rows, cols), focus_grid_tile(f["rc"], geo, grid, rows, cols, cfg,
                                                        dem)
                    if tick is not None:
                        tick(1)
            return
        from distributed import as_completed

        geo_f, grid_f, cfg_f = self.client.scatter([geo, grid, cfg], broadcast=True)
        dem_f = self.client.scatter(dem, broadcast=True) if dem is not None else None
        futures = {self.client.submit(_tile_task, str(rc_path), geo_f, grid_f, rows, cols,
                                      cfg_f, dem_f, pure=False): (rows, cols)
                   for rows, cols in tiles}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
            if tick is not None:
                tick(1)
            fut.release()

    def map(self, fn: Callable[..., Any], args: list[tuple[Any, ...]]) -> list[Any]:
        """``[fn(*a) for a in args]``, on the cluster's workers when there is one."""
        if self.client is None:
            return [fn(*a) for a in args]
        futures = [self.client.submit(fn, *a, pure=False) for a in args]
        out = self.client.gather(futures)
        for f in futures:
            f.release()
        return list(out)

    def close(self) -> None:
        """Shut the cluster down (a remote scheduler is left running)."""
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
