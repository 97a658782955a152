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

Every file is written under a temporary name, renamed when complete, and carries the
provenance attributes it is given.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import netCDF4
import numpy as np
from pyproj import CRS

from flightlog.geodesy import geodetic_to_ecef, pyproj_transformer
from flightlog.geolocate import Dem
from flightlog.provenance import atomic_output
from sarproc.composites import rgb8, write_png
from sarproc.gslc import GRIDS, frequency_name
from sarproc.polarimetry import (
    boxcar,
    coherency,
    covariance,
    cross_pol_noise,
    freeman_durden,
    h_a_alpha,
    pauli_rgb_from_t3,
    refined_lee,
    subtract_noise,
)
from sarproc.radiometry import effective_area

#: Longest side, in multilooked pixels, of the quicklooks and of the NESZ median's sample:
#: a larger grid is sampled every d-th pixel, so their memory does not grow with the grid
#: (a 2048 x 2048 quicklook: about 100 MB of accumulators).
QUICKLOOK_MAX_SIDE = 2048

_TERMS = {"HHHH": (0, 0), "HVHV": (1, 1), "VVVV": (2, 2), "HHHV": (0, 1), "HHVV": (0, 2),
          "HVVV": (1, 2)}


@dataclass(frozen=True)
class PolConfig:
    """Multilooking, speckle filter and composite stretch."""

    looks: tuple[int, int] = (4, 4)
    speckle_filter: str = "refined_lee"  # or "boxcar", "none"
    filter_size: int = 5
    percentiles: tuple[float, float] = (2.0, 98.0)
    noise_subtraction: bool = True
    noise_window: int = 15


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


def _layer_specs() -> dict[str, tuple[str, str]]:
    """NetCDF layers: name -> (units, long name)."""
    specs = {"sigma0_HH": ("dB", "sigma0 HH"), "sigma0_HV": ("dB", "sigma0 HV (symmetrised)"),
             "sigma0_VV": ("dB", "sigma0 VV")}
    for kind in ("beta0", "gamma0"):
        for k, pol in enumerate(("HH", "HV", "VV")):
            specs[f"{kind}_{pol}"] = ("dB", f"{kind} {pol}{' (symmetrised)' if k == 1 else ''}")
    specs.update({
        "incidence_angle": ("degree", "local incidence angle (surface normal from the DEM or "
                                      "the reference height)"),
        "nesz": ("dB", "noise-equivalent sigma0 per channel, from HV - VH (subtracted from "
                       "sigma0 when noise_subtraction is on)"),
        "entropy": ("1", "Cloude-Pottier entropy"),
        "anisotropy": ("1", "Cloude-Pottier anisotropy"),
        "alpha": ("degree", "Cloude-Pottier mean alpha angle"),
        "freeman_surface": ("1", "Freeman-Durden surface power (sigma0)"),
        "freeman_double_bounce": ("1", "Freeman-Durden double-bounce power (sigma0)"),
        "freeman_volume": ("1", "Freeman-Durden volume power (sigma0)"),
        "freeman_corrected": ("1", "Freeman-Durden: C13 not realisable after the volume "
                                   "term, scaled to its bound (1) or not (0)")})
    return specs


#: Layers stored as flags (bytes, CF ``flag_values``; CF 1.8 has no unsigned types),
#: not as floats.
_FLAG_LAYERS = {"freeman_corrected": "realisable c13_scaled_to_bound"}


def _db(v: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.maximum(v, 1e-12))


def polarimetric_products(gslc: str | Path, out_stem: str | Path, radar_k: float,
                          bandwidth_hz: float, wavelength_m: float, sar_cfg: dict[str, Any],
                          apc: np.ndarray, track: np.ndarray, cfg: PolConfig,
                          provenance: dict[str, str], frequency: int = 0,
                          calibration: dict[str, Any] | None = None,
                          dem: Dem | None = None, block_rows: int = 128,
                          progress: Callable[[int], Any] | None = None) -> dict[str, Path]:
    """Write GCOV, netCDF and PNG products of one frequency of a GSLC (module doc).

    ``calibration`` is the band's entry of a calibration file
    (:func:`sarproc.calibration.load_calibration`): its cross-talk and imbalance are
    removed from the channels and its absolute correction from sigma0. With a ``dem``
    the local incidence (and the area it gives each pixel) comes from its slopes.

    The GSLC is read ``block_rows`` multilooked rows at a time, with the rows the noise
    window and the speckle filter need on either side, so memory is bounded by the block
    (and the quicklooks' three channels of the multilooked grid). ``progress(n)`` is
    called with the multilooked rows of each block done.
    """
    out_stem = Path(out_stem)
    if cfg.speckle_filter not in ("boxcar", "refined_lee", "none"):
        raise ValueError(f"unknown speckle filter {cfg.speckle_filter!r}")
    with h5py.File(gslc, "r") as f:
        g = f[f"{GRIDS}/{frequency_name(frequency)}"]
        pols = [p.decode() for p in g["listOfPolarizations"][()]]
        if sorted(pols) != ["HH", "HV", "VH", "VV"]:
            raise ValueError(f"{gslc}: polarimetric products need HH, HV, VH and VV, "
                             f"found {', '.join(pols)}")
        x, y = g["xCoordinates"][()], g["yCoordinates"][()]
        epsg = int(g["projection"][()])
        spacing = float(g["xCoordinateSpacing"][()])
    absolute_db = 0.0
    pc = None
    if calibration is not None:
        from sarproc.calibration import polcal_of

        absolute_db = float(calibration.get("absolute_db", 0.0))
        pc = polcal_of(calibration)
    ly, lx = cfg.looks
    ny, nx = y.size // ly, x.size // lx
    xm = x[: nx * lx].reshape(nx, lx).mean(axis=1)
    ym = y[: ny * ly].reshape(ny, ly).mean(axis=1)
    h_filter = {"boxcar": cfg.filter_size // 2, "refined_lee": 3, "none": 0}[cfg.speckle_filter]
    h_noise = cfg.noise_window // 2
    paths = {"gcov": out_stem.with_name(out_stem.name + "_GCOV.h5"),
             "netcdf": out_stem.with_name(out_stem.name + "_polsar.nc")}
    specs = _layer_specs()
    crs = CRS.from_epsg(epsg)
    # the whole-image accumulators (quicklooks, the NESZ median) take every d-th
    # multilooked pixel, so that their memory is bounded whatever the grid: d = 1 up to
    # QUICKLOOK_MAX_SIDE pixels a side
    d = max(1, -(-max(ny, nx) // QUICKLOOK_MAX_SIDE))
    qy, qx = -(-ny // d), -(-nx // d)
    quick = {"pauli": np.zeros((qy, qx, 3), np.float32),
             "hh_hv_vv": np.zeros((qy, qx, 3), np.float32)}
    nesz_all = np.full((qy, qx), np.nan, np.float32)
    with atomic_output(paths["gcov"]) as tmp_g, h5py.File(tmp_g, "w") as h5, \
            atomic_output(paths["netcdf"]) as tmp_n, \
            netCDF4.Dataset(tmp_n, "w", format="NETCDF4") as nc, h5py.File(gslc, "r") as f:
        g = f[f"{GRIDS}/{frequency_name(frequency)}"]
        grp = h5.create_group(f"/science/LSAR/GCOV/grids/{frequency_name(frequency)}")
        for name, (a, b) in _TERMS.items():
            ds = grp.create_dataset(name, shape=(ny, nx),
                                    dtype=np.complex64 if a != b else np.float32)
            ds.attrs["grid_mapping"] = "projection"
            ds.attrs["description"] = "sigma0-normalised covariance term (linear)"
        nc_vars = _netcdf_layout(nc, provenance, xm, ym, crs, specs, block_rows)
        n_corrected = n_decomposed = 0
        for m0 in range(0, ny, block_rows):
            m1 = min(ny, m0 + block_rows)
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
                xm, ym[g0:g1], epsg, float(sar_cfg.get("reference_height_m", 0.0)), apc,
                track, dem))
            cos_loc = np.sqrt(1 - sin_loc**2)
            area = effective_area(sar_cfg["range_window"], sar_cfg["azimuth_window"],
                                  bandwidth_hz, sar_cfg["integration_angle_deg"], wavelength_m,
                                  sin_loc)
            scale = 4 * np.pi * (r**2 / radar_k) ** 2 / area  # intensity -> sigma0
            scale = scale * 10 ** (-absolute_db / 10)
            c3s = c3 * scale[..., None, None]
            nesz = noise * scale  # noise-equivalent sigma0
            on = np.arange(m0 + (-m0) % d, m1, d)  # rows of the block on the lattice
            nesz_all[on // d] = nesz[on - m0, ::d]
            for name, (a, b) in _TERMS.items():
                v = c3s[..., a, b] if a != b else c3s[..., a, a].real
                if name == "HVHV":
                    v = v / 2  # C3[1,1] is 2 <|HVs|^2>
                elif name in ("HHHV", "HVVV"):
                    v = v / np.sqrt(2)
                grp[name][m0:m1] = v
            decomp = h_a_alpha(coherency(c3s))
            fd = freeman_durden(c3s)
            diag = [c3s[..., k, k].real / (2 if k == 1 else 1) for k in range(3)]
            layers = {"sigma0_HH": _db(diag[0]), "sigma0_HV": _db(diag[1]),
                      "sigma0_VV": _db(diag[2]),
                      **{f"{kind}_{pol}": _db(diag[k] / norm)
                         for kind, norm in (("beta0", sin_loc), ("gamma0", cos_loc))
                         for k, pol in enumerate(("HH", "HV", "VV"))},
                      "incidence_angle": np.degrees(np.arcsin(sin_loc)), "nesz": _db(nesz),
                      "entropy": decomp["entropy"], "anisotropy": decomp["anisotropy"],
                      "alpha": decomp["alpha_deg"], "freeman_surface": fd["surface"],
                      "freeman_double_bounce": fd["double_bounce"],
                      "freeman_volume": fd["volume"]}
            ok = np.isfinite(fd["volume"])
            nc_vars["freeman_corrected"][m0:m1, :] = np.where(
                ok, fd["corrected"].astype(np.int8), np.int8(-1))
            n_corrected += int(fd["corrected"].sum())
            n_decomposed += int(ok.sum())
            for name, data in layers.items():
                nc_vars[name][m0:m1, :] = np.asarray(data, np.float32)
            # composites from the multilooked, filtered matrices (amplitudes: rms over the
            # looks)
            c3q = c3[on - m0, ::d]
            quick["pauli"][on // d] = pauli_rgb_from_t3(coherency(c3q))
            quick["hh_hv_vv"][on // d] = np.sqrt(np.maximum(np.real(np.stack(
                [c3q[..., 0, 0], c3q[..., 1, 1] / 2, c3q[..., 2, 2]], axis=-1)), 0.0))
            if progress is not None:
                progress(m1 - m0)
        fc = nc_vars["freeman_corrected"]
        fc.corrected_pixels = np.int64(n_corrected)
        fc.corrected_fraction = float(n_corrected / n_decomposed) if n_decomposed else 0.0
        grp.create_dataset("xCoordinates", data=xm)
        grp.create_dataset("yCoordinates", data=ym)
        grp.create_dataset("xCoordinateSpacing", data=spacing * lx)
        grp.create_dataset("yCoordinateSpacing", data=-spacing * ly)
        proj = grp.create_dataset("projection", data=np.uint32(epsg))
        for k, val in crs.to_cf().items():
            proj.attrs[k] = val
        meta = h5.require_group("/science/LSAR/GCOV/metadata/processingInformation/parameters")
        meta.create_dataset("polarimetry", data=np.bytes_(json.dumps(cfg.__dict__)))
        meta.create_dataset("sar", data=np.bytes_(json.dumps(sar_cfg)))
        meta.create_dataset("calibration", data=np.bytes_(json.dumps(calibration or {})))
        meta.create_dataset("noiseEquivalentSigma0Median", data=float(
            10 * np.log10(np.nanmedian(nesz_all))))
        h5.attrs.update(provenance)
    corners = ((float(xm[0] - spacing * lx / 2), float(ym[0] + spacing * ly / 2)),
               (float(xm[-1] + spacing * lx / 2), float(ym[-1] - spacing * ly / 2)))
    for key, title in (("pauli", "Pauli: R |HH-VV|, G 2|HV|, B |HH+VV|"),
                       ("hh_hv_vv", "R |HH|, G |HV|, B |VV|")):
        amp = quick.pop(key)
        rgb = rgb8(amp[..., 0], amp[..., 1], amp[..., 2], cfg.percentiles)
        paths[key] = write_png(rgb, out_stem.with_name(f"{out_stem.name}_{key}.png"),
                               spacing * lx * d, corners, title, crs.name)
    return paths


def _netcdf_layout(nc: netCDF4.Dataset, provenance: dict[str, str], xm: np.ndarray,
                   ym: np.ndarray, crs: CRS, specs: dict[str, tuple[str, str]],
                   block_rows: int) -> dict[str, Any]:
    """Dimensions, coordinates, grid mapping and the (empty) layers of the netCDF file.

    The layers are chunked by the row blocks they are written in (each write fills whole
    chunks: none is decompressed again).
    """
    nc.Conventions = "CF-1.8"
    nc.title = "Pi-SAR-L3 polarimetric layers"
    for k, val in provenance.items():
        nc.setncattr(k, val)
    nc.createDimension("y", ym.size)
    nc.createDimension("x", xm.size)
    vx = nc.createVariable("x", "f8", ("x",))
    vx[:] = xm
    vy = nc.createVariable("y", "f8", ("y",))
    vy[:] = ym
    for v, axis in ((vx, "x"), (vy, "y")):
        v.units = "m"
        v.standard_name = f"projection_{axis}_coordinate"
        v.axis = axis.upper()
    gm = nc.createVariable("crs", "i4")
    for k, val in crs.to_cf().items():
        gm.setncattr(k, val)
    out = {}
    for name, (units, long_name) in specs.items():
        flag = name in _FLAG_LAYERS
        var = nc.createVariable(name, "i1" if flag else "f4", ("y", "x"), zlib=True,
                                fill_value=np.int8(-1) if flag else np.float32(np.nan),
                                chunksizes=(max(1, min(block_rows, ym.size)),
                                            max(1, min(4096, xm.size))))
        var.set_var_chunk_cache(size=1 << 20)  # written block by block: not 64 MB each
        if flag:
            var.flag_values = np.array([0, 1], np.int8)
            var.flag_meanings = _FLAG_LAYERS[name]
        else:
            var.units = units
        var.long_name = long_name
        var.grid_mapping = "crs"
        out[name] = var
    return out
