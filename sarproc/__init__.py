"""sarproc: quad-pol SAR focusing, calibration and polarimetric products (issues 5 and 6).

Kernels: spectral windows, FFT range compression against the recorded replica or the
ideal chirp, exact time-domain backprojection (moving antenna, antenna-pattern
compensation, azimuth window over a chosen integration angle). I/O and products: L0
assembly from a dump, map grids (UTM via pyproj), tile-by-tile focusing in bounded memory,
the NISAR-style GSLC writer, and point-target quality measurement.
"""

from sarproc.antenna import antenna_axes
from sarproc.backprojection import backproject, reference_track, upsample
from sarproc.config import GridConfig, SarConfig
from sarproc.focus import channel_geometry, compress_channel, focus_channel, focus_tile
from sarproc.grid import MapGrid, swath_bounds
from sarproc.gslc import GslcWriter
from sarproc.l0 import L0Channel, build_l0, read_channel
from sarproc.quality import (
    ImpulseResponse,
    PointTargetQuality,
    complex_at,
    point_target,
    profile_metrics,
    window_response,
)
from sarproc.range_compression import compress, ideal_chirp, matched_filter, replica_reference
from sarproc.windows import parse_window, window_weights

__all__ = ["GridConfig", "GslcWriter", "ImpulseResponse", "L0Channel", "MapGrid",
           "PointTargetQuality", "SarConfig", "antenna_axes", "backproject", "build_l0",
           "channel_geometry", "compress", "compress_channel", "focus_channel", "focus_tile",
           "complex_at", "ideal_chirp", "matched_filter", "parse_window", "point_target",
           "profile_metrics", "read_channel", "reference_track", "replica_reference",
           "swath_bounds", "upsample", "window_response", "window_weights"]
