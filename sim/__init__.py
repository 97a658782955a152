"""sim: synthetic Pi-SAR-L3 flights written as ICD dumps, with the truth to check against.

Imports formats, writers and constants from the other packages, never their kernels.
"""

from __future__ import annotations

from typing import Any

from sim.catalog import SCENARIOS

__all__ = ["FaultSpec", "SCENARIOS", "read_injected_faults", "simulate"]


def __getattr__(name: str) -> Any:
    # Lazy: importing sim for its scenario names must not pull in h5py and numba.
    if name == "FaultSpec":
        from sim.faults import FaultSpec

        return FaultSpec
    if name in ("simulate", "read_injected_faults"):
        from sim import dump

        return getattr(dump, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
