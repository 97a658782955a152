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

from flightlog.geolocate import Dem
from sarproc.composites import Stretch
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
    with_noise,
)
from sarproc.products.base import PolBlock, PolGrid
from sarproc.products.gcov import TERMS
from sarproc.products.gslc import GRIDS, frequency_name
from sarproc.products.nisar import MASK_FILL
from sarproc.radiometry import effective_area
from sarproc.terrain import pixel_geometry

#: Longest side, in multilooked pixels, of the quicklooks and of the NESZ median's sample:
#: a larger grid is sampled every d-th pixel, so their memory does not grow with the grid
#: (a 2048 x 2048 quicklook: about 100 MB of accumulators).
QUICKLOOK_MAX_SIDE = 2048

def _db(v: np.ndarray) -> np.ndarray:
    """10 log10 of a power; NaN where it is not positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(v > 0, 10 * np.log10(np.where(v > 0, v, 1.0)), np.nan)


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
                  "sar": sar_parameters, "calibration": calibration or {},
                  "gslc": str(gslc)}
    qy, qx = grid.quick_shape
    nesz_all = np.full((qy, qx), np.nan, np.float32)
    summary: dict[str, Any] = {"corrected": 0, "decomposed": 0}
    paths: dict[str, Path] = {}
    with contextlib.ExitStack() as stack:
        sinks = [stack.enter_context(cls(out_stem, grid, provenance, parameters,
                                         Stretch(cfg.stretch, cfg.stretch_db,
                                                 cfg.percentiles)))
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
_GCOV_POLARIMETRY_KEYS = ("looks", "speckle_filter", "filter_size", "stretch", "stretch_db",
                          "percentiles", "noise_subtraction", "noise_window")


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
            # no data (NaN in the GSLC: no pulse reached the pixel) is computed as zero,
            # then every multilooked pixel with a look of no data is no data (NaN)
            ok_px = np.isfinite(hh) & np.isfinite(hv) & np.isfinite(vh) & np.isfinite(vv)
            hh, hv, vh, vv = (np.where(ok_px, c, 0) for c in (hh, hv, vh, vv))
            n_r = ok_px.shape[0] // ly
            valid = ok_px[: n_r * ly].reshape(n_r, ly, nx, lx).all(axis=(1, 3))
            terrain = (np.bitwise_or.reduce(np.bitwise_or.reduce(
                g["mask"][rows, cols][: n_r * ly].reshape(n_r, ly, nx, lx), axis=3), axis=1)
                if "mask" in g else np.zeros(valid.shape, np.uint8))
            if pc is not None:  # O = [[HH, VH], [HV, VV]] (receive, transmit)
                o = np.stack([np.stack([hh, vh], -1), np.stack([hv, vv], -1)], -2)
                s = pc.correct(o)
                hh, vh, hv, vv = s[..., 0, 0], s[..., 0, 1], s[..., 1, 0], s[..., 1, 1]
            c3 = covariance(hh, hv, vh, vv, (ly, lx))
            noise = cross_pol_noise(hv, vh, (ly, lx), cfg.noise_window)
            del hh, hv, vh, vv
            f0, f1 = max(0, m0 - h_filter) - e0, min(ny, m1 + h_filter) - e0
            c3, noise = c3[f0:f1], noise[f0:f1]
            valid, terrain = valid[f0:f1], terrain[f0:f1]
            if cfg.noise_subtraction:
                c3 = subtract_noise(c3, noise)
            if cfg.speckle_filter == "boxcar":
                c3 = boxcar(c3, cfg.filter_size)
            elif cfg.speckle_filter == "refined_lee":
                c3 = refined_lee(c3, looks=float(ly * lx))
            k0 = m0 - e0 - f0
            c3, noise = c3[k0:k0 + m1 - m0], noise[k0:k0 + m1 - m0]
            valid, terrain = valid[k0:k0 + m1 - m0], terrain[k0:k0 + m1 - m0]
            g0, g1 = max(0, m0 - 1), min(ny, m1 + 1)  # a row more: the same slopes
            geom = pixel_geometry(xm, ym[g0:g1], grid.epsg,
                                  float(sar_parameters.get("reference_height_m", 0.0)),
                                  band.apc_m, band.track, dem)
            r, sin_loc = (v[m0 - g0:m0 - g0 + m1 - m0]
                          for v in (geom.slant_range_m, geom.sin_local_incidence))
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
            # Cloude-Pottier of the observed matrix (polarimetry.with_noise): a pixel at
            # the noise floor is unpolarised noise, entropy near 1
            decomp = h_a_alpha(coherency(with_noise(c3s, nesz)
                                         if cfg.noise_subtraction else c3s))
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
            # no data: NaN in every layer (the flag: -1), the quicklooks and the NESZ
            bad = ~valid
            for v in (*terms.values(), *layers.values()):
                v[bad] = -1 if v.dtype == np.int8 else np.nan
            nesz[bad] = np.nan
            ok &= valid
            gamma_to_sigma = np.where(valid, cos_loc, np.nan).astype(np.float32)
            mask = np.where(valid, terrain, MASK_FILL).astype(np.uint8)
            # composites from the multilooked, filtered, sigma0-normalised matrices (the
            # common stretch is in dB of sigma0)
            quick = np.where(valid[on - m0, ::d][..., None, None], c3s[on - m0, ::d], np.nan)
            yield (PolBlock(slice(m0, m1), terms, layers, on, quick,
                            {"corrected": int((fd["corrected"] & ok).sum()),
                             "decomposed": int(ok.sum())}, mask, gamma_to_sigma),
                   nesz[on - m0, ::d])
