"""ghgsif: spectrometer L1B, cloud screening, SIF and XCO2/XCH4 retrievals.

Kernels: counts to radiance (:func:`to_radiance`), Fraunhofer-window SIF
(:func:`retrieve_sif`), the FLD methods (:func:`sfld`, :func:`three_fld`, :func:`ifld`),
line-by-line cross-sections and the band forward model with analytic Jacobians
(:class:`BandForward`), optimal estimation per sounding (:func:`o2a_sounding`,
:func:`swir_sounding`) and the cloud tests. I/O and products: the HITRAN ``.par`` reader
(:func:`read_par`) and the L1B/L2 writer (:func:`process_spectrometer`).

The names load on first use, so that the simulator, which reads only this package's
reference data (:mod:`ghgsif.refdata`), does not import the retrievals it is used to test.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "GhgsifConfig": "ghgsif.config", "process_spectrometer": "ghgsif.pipeline",
    "soundings_chunk": "ghgsif.pipeline", "to_radiance": "ghgsif.l1b",
    "retrieve_sif": "ghgsif.sif", "window_basis": "ghgsif.sif", "sif_shape": "ghgsif.sif",
    "sfld": "ghgsif.fld", "three_fld": "ghgsif.fld", "ifld": "ghgsif.fld",
    "sfld_bias": "ghgsif.fld", "fld_pixels": "ghgsif.fld", "fld_retrievals": "ghgsif.fld",
    "BandForward": "ghgsif.forward", "State": "ghgsif.forward",
    "band_forward": "ghgsif.forward", "o2a_sounding": "ghgsif.retrieval",
    "swir_sounding": "ghgsif.retrieval", "optimal_estimation": "ghgsif.retrieval",
    "OEResult": "ghgsif.retrieval", "cloud_test": "ghgsif.clouds",
    "co2_band_consistency": "ghgsif.clouds", "CloudTest": "ghgsif.clouds",
    "line_by_line": "ghgsif.xsections", "band_table": "ghgsif.xsections",
    "read_par": "ghgsif.hitran", "HitranFormatError": "ghgsif.hitran",
    "register_frame": "ghgsif.wavelength", "read_band_calibration": "ghgsif.calibration",
    "open_l2": "ghgsif.readers", "open_l1b": "ghgsif.readers",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ghgsif' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
