"""Applanix SBET files (ICD section 6): 17 little-endian float64 per record, no header."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

#: One SBET record (136 bytes).
SBET_DTYPE = np.dtype([
    ("time", "<f8"), ("latitude", "<f8"), ("longitude", "<f8"), ("height", "<f8"),
    ("vel_x", "<f8"), ("vel_y", "<f8"), ("vel_z", "<f8"),
    ("roll", "<f8"), ("pitch", "<f8"), ("heading", "<f8"), ("wander", "<f8"),
    ("acc_x", "<f8"), ("acc_y", "<f8"), ("acc_z", "<f8"),
    ("rate_x", "<f8"), ("rate_y", "<f8"), ("rate_z", "<f8"),
])
SBET_RECORD_BYTES = SBET_DTYPE.itemsize


def write_sbet(path: str | os.PathLike[str], records: np.ndarray) -> None:
    """Write SBET records atomically (temporary file, then rename).

    Parameters
    ----------
    path : path-like
        Destination file.
    records : numpy.ndarray
        Structured array of :data:`SBET_DTYPE` (or castable to it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    np.asarray(records).astype(SBET_DTYPE).tofile(tmp)
    os.replace(tmp, path)


def read_sbet_records(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """Read the whole records of an SBET file.

    Returns
    -------
    records : numpy.ndarray
        :data:`SBET_DTYPE` records (memory-mapped for large files).
    torn_bytes : int
        Bytes of a torn last record that were left out (0 when the size is a multiple
        of 136).
    """
    path = Path(path)
    size = path.stat().st_size
    n = size // SBET_RECORD_BYTES
    torn = size - n * SBET_RECORD_BYTES
    if n == 0:
        return np.zeros(0, SBET_DTYPE), torn
    return np.memmap(path, dtype=SBET_DTYPE, mode="r", shape=(n,)), torn
