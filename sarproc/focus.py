"""Focusing of one band and polarisation from L0 onto a map grid, in bounded memory.

Two passes over the channel: range compression of blocks of pulses into a scratch
dataset (same size as the echoes), then tiles of the map grid, each backprojected from
the pulses whose squint reaches it and the range samples its delays need (a crop,
upsampled). Memory is that of one block of echoes, or one tile's pulses times its range
crop, whichever is larger, whatever the flight line's length.

Pixel values are normalised so that a point target's pixel equals its echo amplitude
(ADC counts of the unit-amplitude chirp, receiver attenuation restored, antenna pattern
divided out), whatever the windows: the sum over pulses is divided by the number of
pulses a full aperture at the pixel's range holds and by the means of the azimuth and
range windows (:mod:`sarproc.radiometry`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import h5py
import numpy as np

from flightlog.constants import C_LIGHT_M_S
from flightlog.descriptor import FlightDescriptor
from flightlog.geolocate import Dem
from sarproc.antenna import antenna_axes
from sarproc.backprojection import (
    merge_subtiles,
    pulse_span,
    reference_track,
    subtile_size,
    subtiles,
    upsample,
)
from sarproc.config import SarConfig
from sarproc.focusers import PulseBlock, TileAperture, get_focuser
from sarproc.grid import MapGrid
from sarproc.l0 import L0Channel, read_channel, read_replica
from sarproc.range_compression import compress, ideal_chirp, matched_filter, replica_reference
from sarproc.windows import window_weights

_MARGIN = 48  # samples kept either side of a tile's range crop before upsampling
MIN_GAIN = 0.1  # pulses that see a pixel below this one-way antenna gain are left out


@dataclass
class ChannelGeometry:
    """What the tiles of one channel share."""

    l0: L0Channel
    use: np.ndarray  # indices of valid pulses
    track: np.ndarray  # reference-track direction of the valid pulses
    tau0_s: np.ndarray  # delay of sample 0, valid pulses
    fs_hz: float  # ADC sampling rate
    fc_hz: float  # carrier
    bandwidth_hz: float
    pulse_spacing_m: float
    axes: np.ndarray  # (n, 3, 3) antenna axes of the valid pulses (zeros: no pattern)
    beam_az_rad: float  # 0 when the pattern is not compensated
    beam_el_rad: float


def range_reference(l0: h5py.File, desc: FlightDescriptor, band_id: int, pol: str,
                    cfg: SarConfig, gps_mid: float) -> tuple[np.ndarray, int, str]:
    """The matched-filter reference of a channel: recorded replica or ideal chirp."""
    sar = desc.require_sar()
    band = next(b for b in sar.bands if b.id == band_id)
    if cfg.replica == "recorded":
        rep = read_replica(l0, band_id, pol[0], gps_mid)
        if rep is not None and np.any(rep):
            ref, centre = replica_reference(rep)
            return ref, centre, "recorded"
    ref, centre = ideal_chirp(band.bandwidth_hz, band.chirp_duration_s, band.chirp_rate_sign,
                              sar.adc_sampling_rate_hz)
    return ref, centre, "ideal"


def compress_channel(l0: h5py.File, desc: FlightDescriptor, band_id: int, pol: str,
                     cfg: SarConfig, scratch: h5py.Group) -> tuple[h5py.Dataset, str]:
    """Range-compress a channel into ``scratch['rc']``; returns it and the reference kind.

    The echoes are read and compressed ``cfg.block_pulses`` at a time.
    """
    sar = desc.require_sar()
    band = next(b for b in sar.bands if b.id == band_id)
    ch = read_channel(l0, band_id, pol)
    echo = l0[f"band{band_id}/{pol}/echo"]
    n = echo.shape[1]
    fs = sar.adc_sampling_rate_hz
    ref, centre, kind = range_reference(l0, desc, band_id, pol, cfg,
                                        float(np.median(ch.gps_time)))
    delays = {str(k): float(v) for k, v in sar.antenna.channel_delay_s.items()}
    filt, nf = matched_filter(ref, centre, n, fs, band.bandwidth_hz, cfg.range_window,
                              delays.get(pol, 0.0))
    rc = scratch.create_dataset("rc", shape=echo.shape, dtype=np.complex64,
                                chunks=(min(64, max(1, echo.shape[0])), max(1, n)))
    for p0 in range(0, echo.shape[0], cfg.block_pulses):
        sl = slice(p0, min(echo.shape[0], p0 + cfg.block_pulses))
        rc[sl] = compress(echo[sl], filt, nf, ch.rx_attenuation_db[sl])
    return rc, kind


def unfocusable(ch: L0Channel) -> str | None:
    """Why a channel of L0 cannot be focused, or None when it can.

    Focusing needs two pulses with valid time and navigation (the reference track) and
    echo samples.
    """
    usable = int(np.count_nonzero(ch.valid & ch.present))
    if usable < 2:
        return f"{usable} pulse(s) with valid time and navigation; focusing needs two"
    if ch.n_samples == 0:
        return "every echo of the channel was lost"
    return None


def channel_geometry(l0: h5py.File, desc: FlightDescriptor, band_id: int,
                     pol: str, antenna_pattern: bool = True) -> ChannelGeometry:
    """Valid pulses, reference track, timing and antenna axes of a channel."""
    sar = desc.require_sar()
    ch = read_channel(l0, band_id, pol)
    why = unfocusable(ch)
    if why is not None:
        raise ValueError(f"band {band_id} {pol}: {why}")
    use = np.flatnonzero(ch.valid & ch.present)
    band = next(b for b in sar.bands if b.id == band_id)
    fs = sar.adc_sampling_rate_hz
    apc = ch.position[use]
    step = np.linalg.norm(apc[-1] - apc[0]) / max(use[-1] - use[0], 1)
    ant = sar.antenna
    if antenna_pattern:
        bs = ant.boresight_deg
        axes = np.stack(antenna_axes(ch.quaternion[use], ant.depression_deg,
                                     sar.look_side, (bs.roll, bs.pitch, bs.yaw),
                                     (float(desc.nav.imu_to_body_deg[0]),
                                      float(desc.nav.imu_to_body_deg[1]),
                                      float(desc.nav.imu_to_body_deg[2]))), axis=1)
        beams = (np.deg2rad(ant.azimuth_beamwidth_deg), np.deg2rad(ant.elevation_beamwidth_deg))
    else:
        axes, beams = np.zeros((use.size, 3, 3)), (0.0, 0.0)
    return ChannelGeometry(ch, use, reference_track(apc), ch.window_start_ticks[use] / fs,
                           fs, band.center_frequency_hz, band.bandwidth_hz, float(step),
                           np.ascontiguousarray(axes), float(beams[0]), float(beams[1]))


def range_bounds(pixels: np.ndarray, apc: np.ndarray) -> tuple[float, float]:
    """Bounds of the distance from any pulse of ``apc`` (n, 3) to any of ``pixels``.

    Distances from about 33 x 33 of the pixels to about 128 of the pulses, widened by
    half a sample cell's diagonal and half a pulse step (a distance changes by no more
    than the points move).
    """
    ny, nx = pixels.shape[:2]
    ry = np.unique(np.r_[0:ny:max(1, ny // 32), ny - 1])
    cx = np.unique(np.r_[0:nx:max(1, nx // 32), nx - 1])
    origin = pixels[ny // 2, nx // 2]
    pts = pixels[ry][:, cx].reshape(-1, 3) - origin
    kp = np.unique(np.r_[0:len(apc):max(1, len(apc) // 128), len(apc) - 1])
    ant = apc[kp] - origin
    # einsum, not a matrix product: OpenBLAS's threads would spin against Numba's
    d2 = (np.einsum("ij,ij->i", pts, pts)[:, None] + np.einsum("ij,ij->i", ant, ant)[None]
          - 2.0 * np.einsum("ik,jk->ij", pts, ant))
    dist = np.sqrt(np.maximum(d2, 0.0))
    cell = float(np.linalg.norm(pixels[ry[min(1, ry.size - 1)], cx[min(1, cx.size - 1)]]
                                - pixels[0, 0]))
    step = float(np.max(np.linalg.norm(np.diff(apc[kp], axis=0), axis=1))) if kp.size > 1 else 0.0
    margin = 0.5 * cell + 0.5 * step + 1.0
    return float(dist.min()) - margin, float(dist.max()) + margin


def focus_tile(rc: h5py.Dataset | np.ndarray, geo: ChannelGeometry, pixels: np.ndarray,
               cfg: SarConfig) -> np.ndarray:
    """Backproject one tile of ECEF pixels (rows, cols, 3), normalised (module doc).

    Pixels that no echo sample reached (outside every pulse's integration angle, beam or
    recorded range window) are NaN: their sum is exactly zero, which any echo sample,
    noise included, makes non-zero.
    """
    sin_half = float(np.sin(np.deg2rad(cfg.integration_angle_deg) / 2))
    ny, nx = pixels.shape[:2]
    corners = pixels[[0, 0, -1, -1], [0, -1, 0, -1]]
    apc = geo.l0.position[geo.use]
    vel = geo.l0.velocity[geo.use]
    a, b = pulse_span(apc, geo.track, corners, sin_half)
    if b - a < 2:
        return np.full((ny, nx), np.nan + 1j * np.nan)
    rows = geo.use[a:b]
    r_lo, r_hi = range_bounds(pixels, apc[a:b])
    tau0 = geo.tau0_s[a:b]
    n = rc.shape[1]
    k0 = max(int(np.floor((2 * r_lo / C_LIGHT_M_S - tau0.max()) * geo.fs_hz)) - _MARGIN, 0)
    k1 = min(int(np.ceil((2 * r_hi / C_LIGHT_M_S - tau0.min()) * geo.fs_hz)) + _MARGIN, n)
    if k1 - k0 < 4:
        return np.full((ny, nx), np.nan + 1j * np.nan)
    px = np.ascontiguousarray(pixels.reshape(-1, 3), np.float64)
    spacing = float(np.linalg.norm(pixels[min(1, ny - 1), min(1, nx - 1)] - pixels[0, 0])
                    / np.sqrt(2)) or 1.0
    size = subtile_size(spacing, max(r_lo, 1.0), C_LIGHT_M_S / geo.fc_hz)
    centre, offset, half_diag, padded = subtiles(pixels, size)
    acc = np.zeros(offset.shape[:2], np.complex128)
    # pulses upsampled at a time: the configured block, and no more than the memory budget
    # (about three upsampled copies live at once)
    per_pulse = (k1 - k0) * cfg.upsample * 8 * 3
    step = max(1, min(cfg.block_pulses, cfg.block_bytes // max(per_pulse, 1)))
    focuser = get_focuser(cfg.algorithm)
    tile = TileAperture(pixels, centre, offset, half_diag, sin_half, apc[a:b], geo.track[a:b],
                        geo.axes[a:b], geo.beam_az_rad, geo.beam_el_rad, MIN_GAIN, geo.bandwidth_hz)
    plan = focuser.plan(tile, cfg)
    for j0 in range(0, rows.size, step):
        rsel = rows[j0 : j0 + step]
        data = np.asarray(rc[rsel[0] : rsel[-1] + 1, k0:k1])[rsel - rsel[0]]
        sl = slice(a + j0, a + j0 + rsel.size)
        # the block's pulses: delay of the crop's first sample, phase centres, velocities,
        # reference track
        block = PulseBlock(upsample(data, cfg.upsample),
                           np.ascontiguousarray(geo.tau0_s[sl] + k0 / geo.fs_hz),
                           geo.fs_hz * cfg.upsample, np.ascontiguousarray(apc[sl]),
                           np.ascontiguousarray(vel[sl]), np.ascontiguousarray(geo.track[sl]),
                           geo.fc_hz, geo.axes[sl])
        focuser.accumulate(plan, tile, block, j0, cfg, acc)
    out = merge_subtiles(acc, (ny, nx), padded, size).ravel()
    # normalise by the pulses of a full aperture at each pixel's range from the track
    mid = (a + b) // 2
    d = px - apc[mid]
    t = geo.track[mid] / np.linalg.norm(geo.track[mid])
    perp = np.sqrt(np.maximum(np.einsum("ij,ij->i", d, d) - np.einsum("ij,j->i", d, t) ** 2,
                              0.0))
    n_full = 2 * sin_half * perp / geo.pulse_spacing_m
    u = (np.arange(4096) + 0.5) / 4096 - 0.5
    mean_w = float(np.mean(window_weights(cfg.azimuth_window, u))
                   * np.mean(window_weights(cfg.range_window, u)))
    out = out / (n_full * mean_w)
    out[out == 0] = np.nan + 1j * np.nan
    return out.reshape(ny, nx)


def grid_tiles(grid: MapGrid, tile_px: int) -> list[tuple[slice, slice]]:
    """The tiles of ``grid``, ``tile_px`` on a side (the last ones smaller), row by row."""
    return [(slice(r0, min(grid.ny, r0 + tile_px)), slice(c0, min(grid.nx, c0 + tile_px)))
            for r0 in range(0, grid.ny, tile_px) for c0 in range(0, grid.nx, tile_px)]


def focus_grid_tile(rc: h5py.Dataset | np.ndarray, geo: ChannelGeometry, grid: MapGrid,
                    rows: slice, cols: slice, cfg: SarConfig,
                    dem: Dem | None = None) -> np.ndarray:
    """One tile ``grid[rows, cols]`` focused (complex64); a work unit of scale-out.

    Parameters
    ----------
    rc : h5py.Dataset or ndarray
        Range-compressed lines of the channel (pulses, samples).
    geo : ChannelGeometry
        The channel's pulse geometry and sampling.
    grid : MapGrid
        The output grid.
    rows, cols : slice
        The tile.
    cfg : SarConfig
        Focusing configuration (algorithm, window, integration angle).
    dem : Dem, optional
        Terrain the pixels lie on; without it, ``cfg.reference_height_m``.
    """
    pixels = grid.ecef(rows, cols, cfg.reference_height_m, dem)
    return focus_tile(rc, geo, pixels, cfg).astype(np.complex64)


def focus_channel(rc: h5py.Dataset | np.ndarray, geo: ChannelGeometry, grid: MapGrid,
                  cfg: SarConfig, write: Callable[[slice, slice, np.ndarray], None],
                  dem: Dem | None = None,
                  progress: Callable[[int], None] | None = None) -> int:
    """Focus a channel tile by tile onto ``grid``; ``write(rows, cols, tile)`` stores each.

    Parameters
    ----------
    rc : h5py.Dataset or numpy.ndarray
        The channel's range-compressed echoes (:func:`compress_channel`).
    geo : ChannelGeometry
        Its valid pulses and geometry (:func:`channel_geometry`).
    grid : MapGrid
        The map grid.
    cfg : SarConfig
        Focusing parameters (``algorithm``, windows, angle, tile size, memory).
    write : callable
        ``write(rows, cols, tile)`` stores a focused tile (complex64).
    dem : Dem, optional
        Terrain heights of the pixels (else ``cfg.reference_height_m``).
    progress : callable, optional
        Called with 1 after each tile.

    Returns the number of tiles that received pulses.
    """
    done = 0
    for rs, cs in grid_tiles(grid, cfg.tile_px):
        tile = focus_grid_tile(rc, geo, grid, rs, cs, cfg, dem)
        if np.any(np.isfinite(tile)):
            done += 1
        write(rs, cs, tile)
        if progress is not None:
            progress(1)
    return done
