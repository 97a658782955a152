"""Memory: a dump at least three times the memory limit, processed within the limit.

Simulates a ``demo`` flight line of ``duration_s`` seconds (320 s: a 2.04 GB dump) and
runs ``postflight process DUMP OUT --max-memory LIMIT`` in a child process (every product:
GSLC, polarimetry, spectrometer L1B/L2 with XCO2/XCH4 every sixteenth frame, report; an
8 m grid, to keep the run to about 35 minutes on 2 cores). The figure is the child's peak resident
memory (``getrusage``) against the limit, which is a third of the dump's size. Slow: not
part of ``python -m benchmarks`` by default; run ``python -m benchmarks memory``.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import Result
from sim import simulate


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run(duration_s: float = 320.0) -> list[Result]:
    """Peak RSS of the whole run against a limit of a third of the dump."""
    with tempfile.TemporaryDirectory() as tmp:
        dump = simulate("demo", Path(tmp) / "dump", seed=0, duration_s=duration_s)
        size = _size(dump)
        limit_mib = int(size / 3 / 2**20)
        cmd = [sys.executable, "-m", "postflight.cli", "-q", "process", str(dump),
               str(Path(tmp) / "out"), "--max-memory", f"{limit_mib}M", "--set",
               "sar.grid.spacing_m=8", "--set", "ghgsif.xgas_every=16"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # Linux: KiB
    ok = done.returncode in (0, 10) and peak <= limit_mib * 2**20
    return [Result(f"peak RSS, {size / 1e9:.2f} GB dump ({duration_s:g} s line) with "
                   f"--max-memory {limit_mib}M", "MiB", peak / 2**20, float(limit_mib),
                   "the limit", "<= limit, dump >= 3x limit", ok)]
