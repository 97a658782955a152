"""sarproc: quad-pol SAR focusing, calibration and polarimetric products (issues 5 and 6).

Kernels so far: spectral windows, FFT range compression against the recorded replica or
the ideal chirp, and exact time-domain backprojection onto ECEF pixels.
"""

from sarproc.backprojection import backproject, upsample
from sarproc.range_compression import compress, ideal_chirp, matched_filter, replica_reference
from sarproc.windows import parse_window, window_weights

__all__ = ["backproject", "compress", "ideal_chirp", "matched_filter", "parse_window",
           "replica_reference", "upsample", "window_weights"]
