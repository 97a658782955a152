"""Memory housekeeping of a ``--max-memory`` run (glibc's heap; private)."""

from __future__ import annotations


def _glibc(call: str, *args: int) -> None:
    """``call(*args)`` of the C library when it is glibc; elsewhere nothing to tune."""
    import ctypes
    import ctypes.util

    try:
        getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), call)(*args)
    except (OSError, AttributeError):
        pass  # not glibc


def release_memory() -> None:
    """Between steps of a ``--max-memory`` run: caches dropped, freed heap returned.

    astropy's Earth-orientation tables go (the alignment has used them), and glibc's
    ``malloc_trim`` gives the pages of freed small blocks back to the system; otherwise
    they stay resident under the next step's peak.
    """
    import gc

    from flightlog.timesys import release_earth_orientation

    release_earth_orientation()
    gc.collect()
    _glibc("malloc_trim", 0)


def bound_heap() -> None:
    """Make glibc return freed large blocks to the system (a ``--max-memory`` run).

    glibc raises its mmap threshold after large frees (up to 32 MB), after which blocks
    of that size come from the heap, which fragments and keeps the peak resident; a fixed
    1 MiB threshold keeps large arrays in their own mappings, released when freed.
    """
    _glibc("mallopt", -3, 1 << 20)  # M_MMAP_THRESHOLD
