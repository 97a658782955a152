"""SAR product writers: each in its own module, each declaring its variables in one table.

- :mod:`sarproc.products.gslc`: the geocoded SLC (NISAR GSLC layout, HDF5).
- :mod:`sarproc.products.gcov`: the covariance terms (NISAR GCOV layout, HDF5).
- :mod:`sarproc.products.polsar_netcdf`: the polarimetric layers as CF netCDF4.
- :mod:`sarproc.products.quicklooks`: Pauli and HH-HV-VV PNG composites.

The polarimetric writers are sinks of :func:`sarproc.pol_products.polarimetric_products`:
each is opened on the multilooked grid, takes the computed row blocks one by one, and is
closed with the whole-image results (:class:`PolSink`). A new writer is one module with
such a class, added to :data:`POLARIMETRY_SINKS`.
"""

from __future__ import annotations

from sarproc.products.base import PolBlock, PolGrid, PolSink
from sarproc.products.gcov import GcovWriter
from sarproc.products.polsar_netcdf import PolsarNetcdfWriter
from sarproc.products.quicklooks import QuicklookWriter

#: Product key -> writer of the polarimetric products (in the order they are written).
POLARIMETRY_SINKS: dict[str, type[PolSink]] = {"gcov": GcovWriter,
                                                "netcdf": PolsarNetcdfWriter,
                                                "quicklooks": QuicklookWriter}

__all__ = ["POLARIMETRY_SINKS", "GcovWriter", "PolBlock", "PolGrid", "PolSink",
           "PolsarNetcdfWriter", "QuicklookWriter"]
