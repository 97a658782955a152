"""HITRAN line lists: the standard 160-character ``.par`` record (HITRAN2004 and later).

Only the first 160 characters of a record are read, so HAPI ``.data`` files with extra
comma-separated fields load too. A record that does not parse is reported with the file
and line number.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from flightlog.errors import PisarL3Error

#: Parsed line parameters (vacuum wavenumbers, intensities at 296 K).
LINE_DTYPE = np.dtype([
    ("molecule", "i2"), ("isotopologue", "i2"), ("nu", "f8"), ("sw", "f8"), ("a", "f8"),
    ("gamma_air", "f8"), ("gamma_self", "f8"), ("elower", "f8"), ("n_air", "f8"),
    ("delta_air", "f8"),
])
def _iso(text: str) -> int:
    # HITRAN writes isotopologue 10 as '0' and 11 as 'A', 12 as 'B'.
    text = text.strip()
    if text.isdigit():
        return 10 if text == "0" else int(text)
    return 11 + ord(text.upper()) - ord("A")


_FIELDS: list[tuple[str, int, int, Callable[[str], float]]] = [
    ("molecule", 0, 2, int), ("isotopologue", 2, 3, _iso), ("nu", 3, 15, float),
    ("sw", 15, 25, float), ("a", 25, 35, float), ("gamma_air", 35, 40, float),
    ("gamma_self", 40, 45, float), ("elower", 45, 55, float), ("n_air", 55, 59, float),
    ("delta_air", 59, 67, float),
]


class HitranFormatError(PisarL3Error, ValueError):
    """A ``.par`` record that does not parse; the message names file and line."""


def read_par(path: str | os.PathLike[str], numin: float = -np.inf, numax: float = np.inf,
             molecule: int | None = None, isotopologues: tuple[int, ...] | None = None,
             ) -> np.ndarray:
    """Read a HITRAN ``.par`` file into a :data:`LINE_DTYPE` array, sorted by wavenumber.

    Parameters
    ----------
    path : path-like
        The line list.
    numin, numax : float
        Keep lines with ``numin <= nu <= numax`` (cm-1).
    molecule : int, optional
        Keep one HITRAN molecule number only.
    isotopologues : tuple of int, optional
        Keep these local isotopologue numbers only.

    Raises
    ------
    HitranFormatError
        If a record is shorter than 160 characters or a field is not a number.
    """
    path = Path(path)
    rows = []
    with open(path, encoding="ascii", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            rec = line.rstrip("\r\n")
            if not rec.strip():
                continue
            if len(rec) < 160:
                raise HitranFormatError(f"{path}:{number}: record of {len(rec)} characters, "
                                        "expected 160")
            vals = []
            for name, a, b, conv in _FIELDS:
                try:
                    vals.append(conv(rec[a:b]))
                except ValueError:
                    raise HitranFormatError(f"{path}:{number}: field '{name}' "
                                            f"({rec[a:b]!r}) is not a number") from None
            rows.append(tuple(vals))
    arr = np.array(rows, dtype=LINE_DTYPE) if rows else np.zeros(0, LINE_DTYPE)
    keep = (arr["nu"] >= numin) & (arr["nu"] <= numax)
    if molecule is not None:
        keep &= arr["molecule"] == molecule
    if isotopologues is not None:
        keep &= np.isin(arr["isotopologue"], isotopologues)
    out = arr[keep]
    return out[np.argsort(out["nu"], kind="stable")]
