"""Azimuth-compression algorithms, chosen by ``sar.algorithm`` from one registry.

A new algorithm is one module with a :class:`Focuser` subclass, registered by one line in
:data:`FOCUSERS`.
"""

from __future__ import annotations

from sarproc.focusers.base import Focuser, PulseBlock, TileAperture
from sarproc.focusers.exact import ExactBackprojection
from sarproc.focusers.factorised import FactorisedBackprojection

#: ``sar.algorithm`` value -> algorithm.
FOCUSERS: dict[str, Focuser] = {f.name: f for f in (ExactBackprojection(),
                                                    FactorisedBackprojection())}


def get_focuser(name: str) -> Focuser:
    """The registered algorithm ``name``.

    Raises
    ------
    KeyError
        If none is registered under that name; the message lists those that are.
    """
    try:
        return FOCUSERS[name]
    except KeyError:
        raise KeyError(f"no focusing algorithm {name!r}; registered: "
                       f"{', '.join(sorted(FOCUSERS))}") from None


__all__ = ["FOCUSERS", "ExactBackprojection", "FactorisedBackprojection", "Focuser",
           "PulseBlock", "TileAperture", "get_focuser"]
