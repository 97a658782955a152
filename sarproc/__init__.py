"""sarproc: quad-pol SAR focusing, calibration and polarimetric products.

Kernels: spectral windows, FFT range compression against the recorded replica or the
ideal chirp, tiled time-domain backprojection (moving antenna, antenna-pattern
compensation, azimuth window over a chosen integration angle) and its factorised fast
path, chosen from the :data:`FOCUSERS` registry. I/O and products: L0 assembly from a
dump, map grids (UTM via pyproj), tile-by-tile focusing in bounded memory, the NISAR-style
GSLC writer, and point-target quality measurement.
"""

from sarproc.antenna import antenna_axes
from sarproc.backprojection import reference_track, upsample
from sarproc.config import GridConfig, SarConfig
from sarproc.focus import channel_geometry, compress_channel, focus_channel, focus_tile
from sarproc.focusers import FOCUSERS, Focuser, PulseBlock, TileAperture, get_focuser
from sarproc.grid import MapGrid, swath_bounds
from sarproc.l0 import L0Channel, build_l0, read_channel
from sarproc.products.gslc import GslcWriter
from sarproc.products.readers import open_gcov, open_gslc
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

__all__ = ["FOCUSERS", "Focuser", "GridConfig", "GslcWriter", "ImpulseResponse", "L0Channel",
           "MapGrid", "PointTargetQuality", "PulseBlock", "SarConfig", "TileAperture",
           "antenna_axes", "build_l0", "channel_geometry", "complex_at", "compress",
           "compress_channel", "focus_channel", "focus_tile", "get_focuser", "ideal_chirp",
           "matched_filter", "open_gcov", "open_gslc", "parse_window", "point_target",
           "profile_metrics", "read_channel",
           "reference_track", "replica_reference", "swath_bounds", "upsample",
           "window_response", "window_weights"]
