"""Polarimetric products of a GSLC: GCOV (HDF5), CF netCDF4 layers and PNG composites.

:func:`polarimetric_products` reads one frequency of a GSLC with all four polarisations,
multilooks the covariance matrix, filters speckle, converts to sigma0 with the radar
constant and the impulse response's area (:mod:`sarproc.radiometry`), decomposes
(Cloude-Pottier, Freeman-Durden) and writes

- ``<stem>_GCOV.h5``: NISAR GCOV-like ``/science/LSAR/GCOV/grids/frequencyA/`` with
  ``HHHH, HVHV, VVVV`` (real) and ``HHHV, HHVV, HVVV`` (complex) sigma0-normalised
  covariance terms (HV is the symmetrised cross-polar channel), coordinates, projection;
- ``<stem>_polsar.nc``: CF-1.8 netCDF4 with ``x``, ``y``, a ``crs`` grid mapping from
  pyproj, ``sigma0_HH``, ``sigma0_HV``, ``sigma0_VV`` (dB, thermal noise subtracted by
  default), ``beta0_*`` and ``gamma0_*`` (dB), ``incidence_angle`` (local, degrees),
  ``nesz`` (dB, the noise floor found from ``HV - VH``), ``entropy``, ``anisotropy``,
  ``alpha``, ``freeman_surface``, ``freeman_double_bounce``, ``freeman_volume`` and
  ``freeman_corrected`` (a flag: 1 where the pixel's C13 was not realisable and was scaled
  to its bound, :func:`sarproc.polarimetry.freeman_durden`; the count and fraction of
  such pixels are its attributes ``corrected_pixels`` and ``corrected_fraction``);
- ``<stem>_pauli.png`` and ``<stem>_hh_hv_vv.png`` quicklooks (:mod:`sarproc.composites`).

The science (the blocks of :func:`polarimetric_blocks`) is computed here; the writers
are the sinks of :mod:`sarproc.products`. Every file is written under a temporary name,
renamed when complete, and carries the provenance attributes it is given.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from flightlog.geodesy import geodetic_to_ecef, pyproj_transformer
from flightlog.geolocate import Dem
from sarproc.config import PolarimetryConfig
from sarproc.polarimetry import (
    boxcar,
    coherency,
    covariance,
    cross_pol_noise,
    freeman_durden,
    h_a_alpha,
    refined_lee,
    subtract_noise,
)
from sarproc.products.base import PolBlock, PolGrid
from sarproc.products.gcov import TERMS
from sarproc.products.gslc import GRIDS, frequency_name
from sarproc.radiometry import effective_area

#: Longest side, in multilooked pixels, of the quicklooks and of the NESZ median's sample:
#: a larger grid is sampled every d-th pixel, so their memory does not grow with the grid
#: (a 2048 x 2048 quicklook: about 100 MB of accumulators).
QUICKLOOK_MAX_SIDE = 2048

def _geometry(x: np.ndarray, y: np.ndarray, epsg: int, height_m: float,
              apc: np.ndarray, track: np.ndarray,
              dem: Dem | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zero-Doppler slant range and the sines of the incidence of grid pixels.

    Returns the range from a straight track, the sine of the incidence on the ellipsoid
    and the sine of the local incidence on the surface (the DEM's, or the reference
    height's): the angle between the line of sight and the surface normal, the normal
    from the cross product of the surface's tangents along the grid's axes.
    """
    xx, yy = np.meshgrid(x, y)
    lon, lat = pyproj_transformer(epsg, 4326).transform(xx, yy)
    h = np.full(lat.shape, height_m)
    if dem is not None:
        hd = dem.height_at(lat, lon)
        h = np.where(np.isfinite(hd), hd, height_m)
    la, lo = np.deg2rad(lat), np.deg2rad(lon)
    p = geodetic_to_ecef(la, lo, h)
    d = p - apc
    along = d @ track
    perp = d - along[..., None] * track
    r = np.linalg.norm(perp, axis=-1)
    los = perp / r[..., None]
    up = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)
    cos_inc = np.abs(np.sum(los * up, axis=-1))
    normal = up
    if p.shape[0] >= 2 and p.shape[1] >= 2:
        n = np.cross(np.gradient(p, axis=1), np.gradient(p, axis=0))
        n /= np.linalg.norm(n, axis=-1, keepdims=True)
        normal = n * np.sign(np.sum(n * up, axis=-1))[..., None]
    cos_loc = np.abs(np.sum(los * normal, axis=-1))
    return (r, np.sqrt(np.clip(1 - cos_inc**2, 1e-6, 1.0)),
            np.sqrt(np.clip(1 - cos_loc**2, 1e-6, 1.0)))


def _db(v: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.maximum(v, 1e-12))


@dataclass(frozen=True)
class PolBand:
    """What the polarimetric products need of a band and its flight line."""

    radar_k: float
    """Radar constant (:func:`sarproc.radiometry.band_radar_constant`)."""
    bandwidth_hz: float
    wavelength_m: float
    apc_m: np.ndarray
    """Antenna phase centre at mid-line (ECEF, m): the range and incidence reference."""
    track: np.ndarray
    """Unit reference-track direction there."""


def polarimetric_products(gslc: str | Path, out_stem: str | Path, band: PolBand,
                          sar_parameters: dict[str, Any], cfg: PolarimetryConfig,
                          provenance: dict[str, str], frequency: int = 0,
                          calibration: dict[str, Any] | None = None,
                          dem: Dem | None = None,
                          progress: Callable[[int], Any] | None = None) -> dict[str, Path]:
    """Write GCOV, netCDF and PNG products of one frequency of a GSLC (module doc).

    Parameters
    ----------
    gslc : path-like
        GSLC with HH, HV, VH and VV in ``frequency``.
    out_stem : path-like
        Products are ``<stem>_GCOV.h5``, ``<stem>_polsar.nc`` and ``<stem>_<key>.png``.
    band : PolBand
        Radar constant, bandwidth, wavelength and the mid-line geometry.
    sar_parameters : dict
        The ``sar`` configuration the GSLC was focused with (JSON form): its windows,
        integration angle and reference height give the impulse response's area.
    cfg : PolarimetryConfig
        Looks, speckle filter, noise subtraction, stretch and ``block_rows``.
    provenance : dict
        Attributes every product carries.
    frequency : int
        GSLC frequency (0: ``frequencyA``).
    calibration : dict, optional
        The band's entry of a calibration file (:func:`sarproc.calibration.load_calibration`):
        its cross-talk and imbalance are removed from the channels and its absolute
        correction from sigma0.
    dem : Dem, optional
        Local incidence (and the area it gives each pixel) from its slopes.
    progress : callable, optional
        Called with the multilooked rows of each block done.

    Returns
    -------
    dict
        Product key (``gcov``, ``netcdf``, ``pauli``, ``hh_hv_vv``) -> path.

    Notes
    -----
    The GSLC is read ``cfg.block_rows`` multilooked rows at a time, with the rows the
    noise window and the speckle filter need on either side, so memory is bounded by the
    block (and the quicklooks' lattice). The blocks are computed here
    (:func:`polarimetric_blocks`) and handed to the writers of
    :data:`sarproc.products.POLARIMETRY_SINKS`.
    """
    from sarproc.products import POLARIMETRY_SINKS

    out_stem = Path(out_stem)
    grid = pol_grid(gslc, frequency, cfg)
    parameters = {"polarimetry": {k: getattr(cfg, k) for k in _GCOV_POLARIMETRY_KEYS},
                  "sar": sar_parameters, "calibration": calibration or {}}
    qy, qx = grid.quick_shape
    nesz_all = np.full((qy, qx), np.nan, np.float32)
    summary: dict[str, Any] = {"corrected": 0, "decomposed": 0}
    paths: dict[str, Path] = {}
    with contextlib.ExitStack() as stack:
        sinks = [stack.enter_context(cls(out_stem, grid, provenance, parameters,
                                         cfg.percentiles))
                 for cls in POLARIMETRY_SINKS.values()]
        for block, nesz_q in polarimetric_blocks(gslc, grid, band, sar_parameters, cfg,
                                                 calibration, dem):
            nesz_all[block.quick_rows // grid.quick_step] = nesz_q
            for k in summary:
                summary[k] += block.counts[k]
            for sink in sinks:
                sink.write(block)
            if progress is not None:
                progress(block.rows.stop - block.rows.start)
        summary["nesz_median_db"] = float(10 * np.log10(np.nanmedian(nesz_all)))
        for sink in sinks:
            paths.update(sink.finish(summary))
    return paths


#: The polarimetry parameters the GCOV records.
_GCOV_POLARIMETRY_KEYS = ("looks", "speckle_filter", "filter_size", "percentiles",
                          "noise_subtraction", "noise_window")


def pol_grid(gslc: str | Path, frequency: int, cfg: PolarimetryConfig) -> PolGrid:
    """The multilooked grid of a GSLC frequency with all four polarisations.

    Raises
    ------
    ValueError
        If the frequency lacks one of HH, HV, VH and VV (the message names the file).
    """
    with h5py.File(gslc, "r") as f:
        g = f[f"{GRIDS}/{frequency_name(frequency)}"]
        pols = [p.decode() for p in g["listOfPolarizations"][()]]
        if sorted(pols) != ["HH", "HV", "VH", "VV"]:
            raise ValueError(f"{gslc}: polarimetric products need HH, HV, VH and VV, "
                             f"found {', '.join(pols)}")
        x, y = g["xCoordinates"][()], g["yCoordinates"][()]
        epsg = int(g["projection"][()])
        spacing = float(g["xCoordinateSpacing"][()])
    ly, lx = cfg.looks
    ny, nx = y.size // ly, x.size // lx
    # the whole-image accumulators (quicklooks, the NESZ median) take every d-th
    # multilooked pixel, so that their memory is bounded whatever the grid: d = 1 up to
    # QUICKLOOK_MAX_SIDE pixels a side
    d = max(1, -(-max(ny, nx) // QUICKLOOK_MAX_SIDE))
    return PolGrid(x[: nx * lx].reshape(nx, lx).mean(axis=1),
                   y[: ny * ly].reshape(ny, ly).mean(axis=1), epsg, spacing, (ly, lx),
                   frequency, cfg.block_rows, d)


def polarimetric_blocks(gslc: str | Path, grid: PolGrid, band: PolBand,
                        sar_parameters: dict[str, Any], cfg: PolarimetryConfig,
                        calibration: dict[str, Any] | None = None, dem: Dem | None = None
                        ) -> Iterator[tuple[PolBlock, np.ndarray]]:
    """The polarimetric quantities of ``grid``, ``cfg.block_rows`` multilooked rows at a time.

    Parameters
    ----------
    gslc : path-like
        The GSLC product.
    grid : PolGrid
        The multilooked grid (:func:`pol_grid`).
    band : PolBand
        The frequency band's channels and their GSLC datasets.
    sar_parameters : dict
        The descriptor's SAR parameters (for the noise-equivalent sigma0).
    cfg : PolarimetryConfig
        Looks, speckle filter, decompositions.
    calibration : dict, optional
        The calibration file's contents; absolute calibration and channel imbalance.
    dem : Dem, optional
        Terrain for the local incidence angle.

    Yields
    ------
    block : PolBlock
        The rows' covariance terms and decompositions.
    nesz : ndarray
        Noise-equivalent sigma0 on the quicklooks' lattice.
    """
    absolute_db = 0.0
    pc = None
    if calibration is not None:
        from sarproc.calibration import polcal_of

        absolute_db = float(calibration.get("absolute_db", 0.0))
        pc = polcal_of(calibration)
    ly, lx = grid.looks
    ny, nx = grid.shape
    xm, ym, d = grid.x, grid.y, grid.quick_step
    h_filter = {"boxcar": cfg.filter_size // 2, "refined_lee": 3, "none": 0}[cfg.speckle_filter]
    h_noise = cfg.noise_window // 2
    with h5py.File(gslc, "r") as f:
        g = f[f"{GRIDS}/{frequency_name(grid.frequency)}"]
        for m0 in range(0, ny, cfg.block_rows):
            m1 = min(ny, m0 + cfg.block_rows)
            e0, e1 = max(0, m0 - h_filter - h_noise), min(ny, m1 + h_filter + h_noise)
            rows, cols = slice(e0 * ly, e1 * ly), slice(0, nx * lx)
            hh, hv, vh, vv = (g[p][rows, cols] for p in ("HH", "HV", "VH", "VV"))
            if pc is not None:  # O = [[HH, VH], [HV, VV]] (receive, transmit)
                o = np.stack([np.stack([hh, vh], -1), np.stack([hv, vv], -1)], -2)
                s = pc.correct(o)
                hh, vh, hv, vv = s[..., 0, 0], s[..., 0, 1], s[..., 1, 0], s[..., 1, 1]
            c3 = covariance(hh, hv, vh, vv, (ly, lx))
            noise = cross_pol_noise(hv, vh, (ly, lx), cfg.noise_window)
            del hh, hv, vh, vv
            f0, f1 = max(0, m0 - h_filter) - e0, min(ny, m1 + h_filter) - e0
            c3, noise = c3[f0:f1], noise[f0:f1]
            if cfg.noise_subtraction:
                c3 = subtract_noise(c3, noise)
            if cfg.speckle_filter == "boxcar":
                c3 = boxcar(c3, cfg.filter_size)
            elif cfg.speckle_filter == "refined_lee":
                c3 = refined_lee(c3, looks=float(ly * lx))
            k0 = m0 - e0 - f0
            c3, noise = c3[k0:k0 + m1 - m0], noise[k0:k0 + m1 - m0]
            g0, g1 = max(0, m0 - 1), min(ny, m1 + 1)  # a row more: the same slopes
            r, _, sin_loc = (v[m0 - g0:m0 - g0 + m1 - m0] for v in _geometry(
                xm, ym[g0:g1], grid.epsg, float(sar_parameters.get("reference_height_m", 0.0)),
                band.apc_m, band.track, dem))
            cos_loc = np.sqrt(1 - sin_loc**2)
            area = effective_area(sar_parameters["range_window"],
                                  sar_parameters["azimuth_window"], band.bandwidth_hz,
                                  sar_parameters["integration_angle_deg"], band.wavelength_m,
                                  sin_loc)
            scale = 4 * np.pi * (r**2 / band.radar_k) ** 2 / area  # intensity -> sigma0
            scale = scale * 10 ** (-absolute_db / 10)
            c3s = c3 * scale[..., None, None]
            nesz = noise * scale  # noise-equivalent sigma0
            on = np.arange(m0 + (-m0) % d, m1, d)  # rows of the block on the lattice
            terms = {}
            for name, (a, b, _) in TERMS.items():
                v = c3s[..., a, b] if a != b else c3s[..., a, a].real
                if name == "HVHV":
                    v = v / 2  # C3[1,1] is 2 <|HVs|^2>
                elif name in ("HHHV", "HVVV"):
                    v = v / np.sqrt(2)
                terms[name] = v
            decomp = h_a_alpha(coherency(c3s))
            fd = freeman_durden(c3s)
            diag = [c3s[..., k, k].real / (2 if k == 1 else 1) for k in range(3)]
            ok = np.isfinite(fd["volume"])
            layers = {"sigma0_HH": _db(diag[0]), "sigma0_HV": _db(diag[1]),
                      "sigma0_VV": _db(diag[2]),
                      **{f"{kind}_{pol}": _db(diag[k] / norm)
                         for kind, norm in (("beta0", sin_loc), ("gamma0", cos_loc))
                         for k, pol in enumerate(("HH", "HV", "VV"))},
                      "incidence_angle": np.degrees(np.arcsin(sin_loc)), "nesz": _db(nesz),
                      "entropy": decomp["entropy"], "anisotropy": decomp["anisotropy"],
                      "alpha": decomp["alpha_deg"], "freeman_surface": fd["surface"],
                      "freeman_double_bounce": fd["double_bounce"],
                      "freeman_volume": fd["volume"],
                      "freeman_corrected": np.where(ok, fd["corrected"].astype(np.int8),
                                                    np.int8(-1))}
            # composites from the multilooked, filtered matrices
            yield (PolBlock(slice(m0, m1), terms, layers, on, c3[on - m0, ::d],
                            {"corrected": int(fd["corrected"].sum()),
                             "decomposed": int(ok.sum())}),
                   nesz[on - m0, ::d])
