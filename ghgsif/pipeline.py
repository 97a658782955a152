"""The spectrometer chain of a dump: L1B per band and the L2 SIF soundings, as CF netCDF4.

For every band of ``flight.json``: the closed-shutter frames are collected first (one
pass over the stream), then the scene frames are read and processed ``block_frames`` at
a time (:mod:`ghgsif.l1b`): radiance, noise and flags. In the O2-A band the wavelength
scale is registered on the Fraunhofer windows every ``register_every`` frames
(:mod:`ghgsif.wavelength`; the shift and squeeze are interpolated linearly in time in
between) and SIF is retrieved in both windows (:mod:`ghgsif.sif`). The SWIR bands get
their L1B; their wavelength registration needs the absorption forward model and is not
done yet (their ``wavelength_nm`` is the calibration's, flagged in the file).

Products, written under temporary names and renamed when complete, each with provenance
attributes (software version, inputs with sha256, configuration):

- ``<flight>_GHGSIF_L1B.nc``: one group per band with dimensions ``frame`` (unlimited),
  ``pixel`` (across track), ``spectral``; ``radiance``, ``radiance_noise`` (W m-2 sr-1
  nm-1), ``quality`` (bit 1 bad pixel, 2 saturated, 4 no dark frame, 8 below dark),
  ``wavelength`` (registered, nm, vacuum), per frame ``time`` (GPS s), ``frame_counter``,
  ``wavelength_shift_pixels`` and ``wavelength_squeeze``, per sounding ``latitude``,
  ``longitude``, ``solar_zenith``, ``viewing_zenith``.
- ``<flight>_GHGSIF_L2.nc``: dimension ``sounding`` (frame counter and across-track pixel
  as keys): ``time``, ``latitude``, ``longitude`` with their ``_bounds`` (footprint
  corners, dimension ``corner``), angles, ``sif_757``, ``sif_771``
  (mW m-2 sr-1 nm-1, Fraunhofer windows) with ``_uncertainty`` and ``_chi2``;
  ``sif_757_o2a`` with its uncertainty from the O2-A band's optimal estimation
  (:mod:`ghgsif.retrieval`), the apparent and expected surface pressure (hPa),
  ``cloud_delta_pressure``, ``o2a_chi2``, ``o2a_brightness``, ``o2a_iterations``,
  ``cloud_flag`` (:mod:`ghgsif.clouds`) and ``quality_flag`` (0 good; bit 1 geolocation
  invalid, 2 a SIF fit failed, 4 a SIF fit's reduced chi-square above 2, 8 more than 5 %
  of a window's pixels flagged in L1B, 16 cloudy, 32 the O2-A fit did not converge).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import netCDF4
import numpy as np

from flightlog.align import Alignment
from flightlog.cfmeta import cf_utc_seconds
from flightlog.descriptor import load_descriptor
from flightlog.geodesy import ecef_to_geodetic
from flightlog.provenance import atomic_output
from ghgsif.bands import band_spec, swir_bands, xgas_variables
from ghgsif.calibration import read_band_calibration
from ghgsif.clouds import cloud_test, co2_band_consistency
from ghgsif.config import GhgsifConfig
from ghgsif.fld import METHODS as FLD_METHODS
from ghgsif.fld import fld_pixels, fld_retrievals
from ghgsif.forward import band_forward
from ghgsif.frames import iter_frames
from ghgsif.l1b import average_dark_runs, to_radiance
from ghgsif.products import (
    L2_BASE_VARIABLES,
    l1b_extent,
    l1b_group,
    set_global_attributes,
    write_l2,
)
from ghgsif.refdata import LineLists
from ghgsif.retrieval import OEResult, o2a_sounding, swir_sounding
from ghgsif.sif import retrieve_sif
from ghgsif.wavelength import register_frame, registered
from ghgsif.windows import SIF_WINDOWS

#: Quality bits set by the cloud tests: cloudy (any test), the O2-A fit did not converge,
#: and the weak CO2 band's light path disagrees with the O2-A band's
#: (:func:`ghgsif.clouds.co2_band_consistency`).
CLOUDY, O2A_NOT_CONVERGED, CO2_BAND_INCONSISTENT = 16, 32, 64


#: Per-sounding geometry copied to the products: (product variable, SpectrometerBand field)
_GEOMETRY = (("latitude", "latitude"), ("longitude", "longitude"),
             ("solar_zenith", "solar_zenith"), ("viewing_zenith", "view_zenith"))


#: ``map_fn(fn, args) -> [fn(*a) for a in args]``, possibly on other processes.
MapFn = Callable[[Callable[..., Any], list[tuple[Any, ...]]], list[Any]]


def _frame_times(al: Alignment, name: str, counters: np.ndarray) -> np.ndarray:
    """Row of each frame counter in the alignment of band ``name`` (-1: not aligned)."""
    sb = al.ghgsif[name]
    order = np.argsort(sb.frame_counter, kind="stable")
    k = np.searchsorted(sb.frame_counter[order], counters)
    k = np.clip(k, 0, max(order.size - 1, 0))
    found = (order.size > 0) & (sb.frame_counter[order][k] == counters)
    return np.where(found, order[k], -1)


def _interp_registration(t: np.ndarray, t_reg: np.ndarray, vals: np.ndarray) -> np.ndarray:
    ok = np.isfinite(vals)
    if not ok.any():
        return np.zeros(t.shape)
    return np.interp(t, t_reg[ok], vals[ok])


def process_spectrometer(dump: str | os.PathLike[str], out: str | os.PathLike[str],
                         al: Alignment, cfg: GhgsifConfig, attrs: dict[str, str],
                         map_fn: MapFn | None = None,
                         progress: Callable[[int], Any] | None = None) -> dict[str, Any]:
    """Write the L1B and L2 products of a dump's spectrometer (module doc).

    Parameters
    ----------
    dump : path-like
        The dump directory.
    out : path-like
        Output directory.
    al : Alignment
        The dump's alignment.
    cfg : GhgsifConfig
        Spectrometer processing configuration.
    attrs : dict of str
        Provenance attributes written on both products.
    map_fn : callable, optional
        ``map_fn(fn, args)`` runs ``fn(*a)`` for every tuple of ``args`` and returns the
        results in order. The retrievals go through it in chunks of soundings
        (:func:`soundings_chunk`), so a caller can spread them over processes or
        machines; default, one by one here.
    progress : callable, optional
        Called with the number of scene frames of each block done.

    Returns
    -------
    dict
        ``l1b`` and ``l2`` product paths and per-band statistics under ``bands``.
    """
    map_fn = map_fn or _serial_map
    desc = load_descriptor(dump)
    gs = desc.require_ghgsif()
    out = Path(out)
    cal_path = desc.resolve(gs.calibration, "ghgsif.calibration")
    l1b_path = out / f"{desc.flight_id}_GHGSIF_L1B.nc"
    l2_path = out / f"{desc.flight_id}_GHGSIF_L2.nc"
    l2: dict[str, list[np.ndarray]] = {v.name: [] for v in L2_BASE_VARIABLES}
    # per-sounding results of the O2-A band and each SWIR band, by (frame, pixel)
    xgas: dict[str, dict[tuple[int, int], Any]] = {"o2": {}, **{b.name: {}
                                                                for b in swir_bands()}}
    stats: dict[str, Any] = {}
    with atomic_output(l1b_path) as tmp:
        with netCDF4.Dataset(tmp, "w", format="NETCDF4") as nc:
            for band in gs.bands:
                if band.name not in al.ghgsif:
                    continue
                stats[band.name] = _band(dump, band, al, cal_path, cfg, nc, l2, xgas,
                                         map_fn, progress)
            set_global_attributes(nc, "L1B", l1b_path.name, attrs, *l1b_extent(nc))
    with atomic_output(l2_path) as tmp:
        write_l2(tmp, _merge_xgas(l2, xgas), attrs, l2_path.name)
    return {"l1b": str(l1b_path), "l2": str(l2_path), "bands": stats}


def _band(dump: str | os.PathLike[str], band: Any, al: Alignment, cal_path: Path,
          cfg: GhgsifConfig, nc: netCDF4.Dataset, l2: dict[str, list[np.ndarray]],
          xgas: dict[str, dict[tuple[int, int], Any]], map_fn: MapFn,
          progress: Callable[[int], Any] | None) -> dict[str, Any]:
    cal = read_band_calibration(cal_path, band.name)
    sb = al.ghgsif[band.name]
    lines = cfg.line_list_overrides()
    lo, hi = float(band.range_nm[0]), float(band.range_nm[1])
    spec = band_spec(band.name, lo, hi)
    o2a = (spec.retrieval == "o2a" and lo <= SIF_WINDOWS[0].lo_nm
           and hi >= SIF_WINDOWS[-1].hi_nm)
    # pass 1: the closed-shutter frames
    dark_t, dark_c = [], []
    for blk in iter_frames(dump, band.id):
        rows = _frame_times(al, band.name, blk.headers["frame_counter"].astype(np.int64))
        sel = (blk.headers["shutter"] == 1) & (rows >= 0)
        dark_t.append(sb.gps_time[rows[sel]])
        dark_c.append(blk.counts[sel].astype(np.float64))
    dt = np.concatenate(dark_t) if dark_t else np.zeros(0)
    dc = (np.concatenate(dark_c) if dark_c else np.zeros((0,) + cal.shape))
    order = np.argsort(dt)
    # consecutive closed-shutter frames averaged into one dark (their read noise is
    # common to every scene frame that uses them)
    period = float(np.median(np.diff(sb.gps_time))) if sb.gps_time.size > 1 else 0.0
    dt, dc, dn = average_dark_runs(dt[order], dc[order], 1.5 * period)
    g = l1b_group(nc, band.name, *cal.shape, ("Fraunhofer windows " + ", ".join(
        f"{w.lo_nm}-{w.hi_nm} nm" for w in SIF_WINDOWS)) if o2a else (
        "none: calibration wavelengths (SWIR registration needs the absorption forward "
        "model)"))
    mid = cal.shape[1] // 2
    fwhm = cal.isrf_fwhm_nm[:, mid]
    disp = float(np.median(cal.wavelength_nm[:, mid + 1] - cal.wavelength_nm[:, mid]))
    n_done, n_dark, reg_rows = 0, int(dt.size), []
    pending: list[tuple[np.ndarray, ...]] = []

    def flush() -> None:
        nonlocal n_done
        if not pending:
            return
        counts = np.concatenate([p[0] for p in pending])
        rows = np.concatenate([p[1] for p in pending])
        fcs = np.concatenate([p[2] for p in pending])
        pending.clear()
        t = sb.gps_time[rows]
        rad, noise, flags = to_radiance(counts, sb.integration_time_s[rows], t, dc, dt,
                                        cal.dark_offset, cal.gain, cal.bad_pixel,
                                        cal.read_noise, cal.electrons_per_count, dn)
        good = flags == 0
        n_f = rad.shape[0]
        shift_nm = np.zeros(n_f)
        squeeze = np.zeros(n_f)
        if o2a:
            idx = [i for i in range(n_f) if (n_done + i) % cfg.register_every == 0]
            if (n_f - 1) not in idx:
                idx.append(n_f - 1)
            regs = [register_frame(rad[i], noise[i], good[i], cal.wavelength_nm, fwhm,
                                   SIF_WINDOWS, lo, hi) for i in idx]
            tr = t[idx]
            reg_rows.extend(regs)
            shift_nm = _interp_registration(t, tr, np.array([r["shift_nm"] for r in regs]))
            squeeze = _interp_registration(t, tr, np.array([r["squeeze"] for r in regs]))
        wl = np.stack([registered(cal.wavelength_nm, shift_nm[i], squeeze[i], lo, hi)
                       for i in range(n_f)])
        sl = slice(n_done, n_done + n_f)
        g["radiance"][sl] = rad.astype(np.float32)
        g["radiance_noise"][sl] = noise.astype(np.float32)
        g["quality"][sl] = flags
        g["wavelength"][sl] = wl
        g["gps_time"][sl] = t
        g["time"][sl] = cf_utc_seconds(t)
        g["frame_counter"][sl] = fcs
        g["wavelength_shift_pixels"][sl] = shift_nm / disp
        g["wavelength_squeeze"][sl] = squeeze
        for var, field_name in _GEOMETRY:
            g[var][sl] = getattr(sb, field_name)[rows]
        if o2a:
            _sif_soundings(rad, noise, good, flags, wl, fwhm, lo, hi, rows, fcs, sb, l2, lines)
            _fld_soundings(rad, noise, good, wl, fwhm, lo, hi, rows, sb, al, l2, lines)
            _o2a_soundings(rad, noise, good, wl, fwhm, lo, hi, rows, fcs, sb, al, l2,
                           xgas["o2"], map_fn, lines)
        elif spec.retrieval == "swir" and cfg.xgas:
            _swir_soundings(rad, noise, good, wl, fwhm, lo, hi, rows, fcs, sb, al,
                            xgas["o2"], xgas[band.name], cfg.xgas_every, n_done, map_fn,
                            lines)
        n_done += n_f
        if progress is not None:
            progress(n_f)

    for blk in iter_frames(dump, band.id):
        rows = _frame_times(al, band.name, blk.headers["frame_counter"].astype(np.int64))
        sel = (blk.headers["shutter"] == 0) & (rows >= 0)
        if sel.any():
            pending.append((blk.counts[sel], rows[sel],
                            blk.headers["frame_counter"][sel].astype(np.int64)))
        if sum(p[0].shape[0] for p in pending) >= cfg.block_frames:
            flush()
    flush()
    out: dict[str, Any] = {"scene_frames": n_done, "dark_frames": n_dark}
    if reg_rows:
        sp = np.array([r["shift_pix"] for r in reg_rows])
        out["wavelength_shift_pixels"] = {"min": float(np.nanmin(sp)),
                                          "max": float(np.nanmax(sp)),
                                          "registrations": len(reg_rows)}
    return out


def _sif_soundings(rad: np.ndarray, noise: np.ndarray, good: np.ndarray,
                   flags: np.ndarray, wl: np.ndarray, fwhm: np.ndarray, lo: float,
                   hi: float, rows: np.ndarray, fcs: np.ndarray, sb: Any,
                   l2: dict[str, list[np.ndarray]], lines: LineLists = ()) -> None:
    n_f, n_x, n_l = rad.shape
    flat = (n_f * n_x, n_l)
    q = np.zeros(n_f * n_x, np.uint8)
    q |= np.where(sb.valid[rows].ravel(), 0, 1).astype(np.uint8)
    for w in SIF_WINDOWS:
        res = retrieve_sif(rad.reshape(flat), noise.reshape(flat), good.reshape(flat),
                           wl.reshape(flat), np.tile(fwhm, n_f), w, lo, hi,
                           line_lists=lines)
        inside = (wl.reshape(flat) >= w.lo_nm) & (wl.reshape(flat) <= w.hi_nm)
        bad_frac = ((flags.reshape(flat) != 0) & inside).sum(1) / np.maximum(inside.sum(1), 1)
        q |= np.where(np.isfinite(res["sif"]), 0, 2).astype(np.uint8)
        q |= np.where(res["chi2"] > 2.0, 4, 0).astype(np.uint8)
        q |= np.where(bad_frac > 0.05, 8, 0).astype(np.uint8)
        l2[f"sif_{w.name}"].append(res["sif"] * 1e3)
        l2[f"sif_{w.name}_uncertainty"].append(res["sif_uncertainty"] * 1e3)
        l2[f"sif_{w.name}_chi2"].append(res["chi2"])
    l2["quality_flag"].append(q)
    l2["frame_counter"].append(np.repeat(fcs, n_x))
    l2["pixel"].append(np.tile(np.arange(n_x, dtype=np.int16), n_f))
    l2["gps_time"].append(np.repeat(sb.gps_time[rows], n_x))
    l2["time"].append(cf_utc_seconds(l2["gps_time"][-1]))
    for var, field_name in _GEOMETRY:
        l2[var].append(getattr(sb, field_name)[rows].ravel())
    for var, src in (("latitude_bounds", sb.corner_latitude),
                     ("longitude_bounds", sb.corner_longitude)):
        l2[var].append(np.full((n_f * n_x, 4), np.nan) if src is None
                       else src[rows].reshape(-1, 4))


def _fld_soundings(rad: np.ndarray, noise: np.ndarray, good: np.ndarray, wl: np.ndarray,
                   fwhm: np.ndarray, lo: float, hi: float, rows: np.ndarray, sb: Any,
                   al: Alignment, l2: dict[str, list[np.ndarray]],
                   lines: LineLists = ()) -> None:
    """sFLD, 3FLD and iFLD SIF of every sounding of a block (:mod:`ghgsif.fld`).

    The pixels are chosen, and iFLD's continuum modelled, per across-track pixel at the
    block's first frame; the in- and out-of-band terms are modelled per sounding at its
    registered wavelengths and geometry.
    """
    n_f, n_x, n_l = rad.shape
    ground_km, aircraft_km = _heights_km(sb, rows, al)
    fw = band_forward(lo, hi, aircraft_km, ground_km, lines)
    out = {f"sif_757_{m}{s}": np.full((n_f, n_x), np.nan)
           for m in FLD_METHODS for s in ("", "_uncertainty")}
    out["fld_wavelength_in"] = np.full((n_f, n_x), np.nan)
    for x in range(n_x):
        valid = np.flatnonzero(sb.valid[rows, x])
        if valid.size == 0:
            continue
        f0 = int(valid[0])
        white_x, up_x = fw.path_terms(wl[f0, x], float(fwhm[x]),
                                      float(sb.solar_zenith[rows[f0], x]),
                                      float(sb.view_zenith[rows[f0], x]))
        try:
            idx = fld_pixels(wl[f0, x], white_x)
        except ValueError:
            continue  # a band that does not reach both shoulders
        white = np.tile(white_x, (valid.size, 1))
        up = np.tile(up_x, (valid.size, 1))
        pick = list(idx)
        for j, f in enumerate(valid):
            white[j, pick], up[j, pick] = fw.path_terms(
                wl[f, x, pick], float(fwhm[x]), float(sb.solar_zenith[rows[f], x]),
                float(sb.view_zenith[rows[f], x]))
        res = fld_retrievals(wl[valid, x], rad[valid, x], noise[valid, x], good[valid, x],
                             white, up, idx)
        for m in FLD_METHODS:
            out[f"sif_757_{m}"][valid, x] = res[m] * 1e3
            out[f"sif_757_{m}_uncertainty"][valid, x] = res[f"{m}_uncertainty"] * 1e3
        out["fld_wavelength_in"][valid, x] = res["wavelength_in"]
    for k, v in out.items():
        l2[k].append(v.ravel())


def _heights_km(sb: Any, rows: np.ndarray, al: Alignment) -> tuple[float, float]:
    """Ground and aircraft heights (km) of a block of frames (for the forward model)."""
    ground_km = max(float(np.nanmedian(sb.height[rows])) / 1000.0, 0.0)
    aircraft_km = ground_km + 3.0
    if al.trajectory is not None:
        st = al.trajectory.interpolate(sb.gps_time[rows])
        if np.any(st.valid):
            aircraft_km = float(np.median(ecef_to_geodetic(st.position[st.valid])[2])) / 1e3
    return round(ground_km, 2), round(aircraft_km, 1)


def soundings_chunk(kind: str, lo: float, hi: float, aircraft_km: float, ground_km: float,
                    items: list[tuple[Any, ...]], lines: LineLists = ()) -> list[OEResult]:
    """Retrieve a chunk of soundings (a scale-out work unit; pure).

    Parameters
    ----------
    kind : {"o2a", "swir"}
        The retrieval (:func:`o2a_sounding` or :func:`swir_sounding`).
    lo, hi : float
        The band's wavelength range (nm).
    aircraft_km, ground_km : float
        Heights the forward model is built for (built once per process).
    items : list of tuple
        Each a sounding's radiance, noise, good-pixel mask, wavelengths, ISRF FWHM, and
        solar and viewing zenith angles: the arguments of the retrieval after the model.
    lines : LineLists
        User line lists replacing the packaged ones.
    """
    fw = band_forward(lo, hi, aircraft_km, ground_km, lines)
    fn = o2a_sounding if kind == "o2a" else swir_sounding
    return [fn(fw, *it) for it in items]


def _retrieve(map_fn: MapFn, kind: str, lo: float, hi: float, heights: tuple[float, float],
              items: list[tuple[Any, ...]], lines: LineLists = (),
              chunk: int = 16) -> list[OEResult]:
    """:func:`soundings_chunk` over ``items`` in chunks through ``map_fn``, in order."""
    ground_km, aircraft_km = heights
    args = [(kind, lo, hi, aircraft_km, ground_km, items[k:k + chunk], lines)
            for k in range(0, len(items), chunk)]
    return [r for part in map_fn(soundings_chunk, args) for r in part]


def _serial_map(fn: Callable[..., Any], args: list[tuple[Any, ...]]) -> list[Any]:
    return [fn(*a) for a in args]


def _items(todo: list[tuple[int, int]], rad: np.ndarray, noise: np.ndarray,
           good: np.ndarray, wl: np.ndarray, fwhm: np.ndarray, rows: np.ndarray,
           sb: Any) -> list[tuple[Any, ...]]:
    """The arguments of each sounding ``(frame, pixel)`` of ``todo`` for the retrievals."""
    return [(rad[f, x], noise[f, x], good[f, x], wl[f, x], float(fwhm[x]),
             float(sb.solar_zenith[rows[f], x]), float(sb.view_zenith[rows[f], x]))
            for f, x in todo]


def _o2a_soundings(rad: np.ndarray, noise: np.ndarray, good: np.ndarray, wl: np.ndarray,
                   fwhm: np.ndarray, lo: float, hi: float, rows: np.ndarray, fcs: np.ndarray,
                   sb: Any, al: Alignment, l2: dict[str, list[np.ndarray]],
                   o2: dict[tuple[int, int], Any], map_fn: MapFn = _serial_map,
                   lines: LineLists = ()) -> None:
    """O2-A optimal estimation and cloud test of every sounding of a block."""
    n_f, n_x, _ = rad.shape
    ground_km, aircraft_km = _heights_km(sb, rows, al)
    fw = band_forward(lo, hi, aircraft_km, ground_km, lines)
    expected = fw.layers.surface_pressure_hpa
    out = {k: np.full(n_f * n_x, np.nan) for k in (
        "sif_757_o2a", "sif_757_o2a_uncertainty", "surface_pressure_apparent",
        "cloud_delta_pressure", "o2a_chi2", "o2a_brightness", "o2a_iterations")}
    cloud = np.zeros(n_f * n_x, np.uint8)
    q = np.zeros(n_f * n_x, np.uint8)
    todo = [(f, x) for f in range(n_f) for x in range(n_x) if sb.valid[rows[f], x]]
    results = _retrieve(map_fn, "o2a", lo, hi, (ground_km, aircraft_km),
                        _items(todo, rad, noise, good, wl, fwhm, rows, sb), lines)
    for (f, x), r in zip(todo, results, strict=True):
        i = f * n_x + x
        c = cloud_test(r, expected)
        out["sif_757_o2a"][i] = r.x[-1] * 1e3
        out["sif_757_o2a_uncertainty"][i] = r.uncertainty[-1] * 1e3
        out["surface_pressure_apparent"][i] = c.apparent_pressure_hpa
        out["cloud_delta_pressure"][i] = c.delta_pressure_hpa
        out["o2a_chi2"][i] = c.chi2
        out["o2a_brightness"][i] = c.brightness
        out["o2a_iterations"][i] = r.iterations
        cloud[i] = c.cloudy
        q[i] = (CLOUDY if c.cloudy else 0) | (0 if r.converged else O2A_NOT_CONVERGED)
        o2[(int(fcs[f]), x)] = (float(r.x[0]), float(r.uncertainty[0]), c.cloudy)
    for k, v in out.items():
        l2[k].append(v)
    l2["surface_pressure_expected"].append(np.full(n_f * n_x, expected))
    l2["cloud_flag"].append(cloud)
    l2["quality_flag"][-1] |= q


def _swir_soundings(rad: np.ndarray, noise: np.ndarray, good: np.ndarray, wl: np.ndarray,
                    fwhm: np.ndarray, lo: float, hi: float, rows: np.ndarray,
                    fcs: np.ndarray, sb: Any, al: Alignment, o2: dict[tuple[int, int], Any],
                    out: dict[tuple[int, int], Any], every: int, first: int,
                    map_fn: MapFn = _serial_map, lines: LineLists = ()) -> None:
    """SWIR optimal estimation of the clear soundings of a block (every ``every`` frames)."""
    n_f, n_x, _ = rad.shape
    ground_km, aircraft_km = _heights_km(sb, rows, al)
    fw = band_forward(lo, hi, aircraft_km, ground_km, lines)
    todo = [(f, x) for f in range(n_f) if not (first + f) % every for x in range(n_x)
            if sb.valid[rows[f], x] and (int(fcs[f]), x) in o2 and not o2[(int(fcs[f]), x)][2]]
    results = _retrieve(map_fn, "swir", lo, hi, (ground_km, aircraft_km),
                        _items(todo, rad, noise, good, wl, fwhm, rows, sb), lines)
    prior = _ColumnPrior(tuple(fw.gases), {g: fw.layers.column_average(g) for g in fw.gases})
    for (f, x), r in zip(todo, results, strict=True):
        out[(int(fcs[f]), x)] = (r, prior)


@dataclass(frozen=True)
class _ColumnPrior:
    """What the XGAS merge needs of a forward model: its gases and their prior averages.

    Kept with each SWIR result instead of the forward model itself (megabytes of
    fine-grid optical depths), so a flight's results hold no forward models alive.
    """

    gases: tuple[str, ...]
    average: dict[str, float]


def _over_o2(r: Any, prior: _ColumnPrior, gas: str, s_o2: float, u_o2: float,
             unit: float) -> tuple[float, float, float]:
    """Column-averaged mole fraction of ``gas`` over the O2 dry-air column.

    In ``1 / unit`` (ppm for ``1e6``), with its uncertainty and the scale's averaging
    kernel.
    """
    j = prior.gases.index(gas)
    x = r.x[j] / s_o2 * prior.average[gas] * unit
    return (float(x), float(x * np.hypot(r.uncertainty[j] / r.x[j], u_o2 / s_o2)),
            float(r.averaging_kernel[j, j]))


def _merge_xgas(l2: dict[str, list[np.ndarray]],
                xgas: dict[str, dict[tuple[int, int], Any]]) -> dict[str, list[np.ndarray]]:
    """XCO2, XCH4 and the CO2 proxy per L2 sounding from the O2 and SWIR retrievals.

    ``XCO2 = s_CO2 / s_O2 * XCO2_prior`` (the O2 column scale from the O2-A band measures the
    dry-air column), ``XCH4 = s_CH4 / s_O2 * XCH4_prior``, the proxy ``s_CH4 / s_CO2 *
    XCH4_prior`` with CO2 from the weak CO2 band (its light path); uncertainties by
    propagation of the posterior standard deviations; the averaging kernel is the scale's
    own (column). Also the CO2 band's cloud test (:func:`ghgsif.clouds.co2_band_consistency`),
    which sets ``cloud_flag`` and quality bits 16 and 64 where it fails.
    """
    names = xgas_variables()
    bands = swir_bands()
    light = next((b for b in bands if b.light_path), None)
    if not l2["frame_counter"]:
        for k in names:
            l2[k] = []
        return l2
    fc = np.concatenate(l2["frame_counter"])
    px = np.concatenate(l2["pixel"])
    vals = {k: np.full(fc.size, np.nan) for k in names}
    s_o2, s_co2 = np.full(fc.size, np.nan), np.full(fc.size, np.nan)
    for i, key in enumerate(zip(fc.tolist(), px.tolist(), strict=True)):
        o2 = xgas["o2"].get(key)
        if o2 is None:
            continue
        so2, u_o2 = o2[0], o2[1]
        s_o2[i] = so2
        for b in bands:
            got = xgas[b.name].get(key)
            if got is None:
                continue
            r, prior = got
            assert b.gas is not None  # a SWIR band names its gas (BandSpec)
            x, u, ak = _over_o2(r, prior, b.gas, so2, u_o2, b.unit)
            if b.light_path:
                s_co2[i] = r.x[prior.gases.index("CO2")]
            name, fit = b.l2_name, b.fit_name
            vals[name][i], vals[f"{name}_uncertainty"][i] = x, u
            vals[f"{name}_averaging_kernel"][i] = ak
            vals[f"{fit}_chi2"][i] = r.chi2
            vals[f"{fit}_iterations"][i] = r.iterations
            vals[f"{fit}_converged"][i] = float(r.converged)
        w = xgas[light.name].get(key) if light is not None else None
        for b in bands:
            c = xgas[b.name].get(key) if b.proxy else None
            if w is None or c is None:
                continue
            # proxy: the light-path band's CO2 as the light path
            assert b.gas is not None
            (r, prior), (rw, prior_w) = c, w
            j, jc = prior.gases.index(b.gas), prior_w.gases.index("CO2")
            px_ = r.x[j] / rw.x[jc] * prior.average[b.gas] * b.unit
            vals[f"{b.l2_name}_proxy"][i] = px_
            vals[f"{b.l2_name}_proxy_uncertainty"][i] = px_ * np.hypot(
                r.uncertainty[j] / r.x[j], rw.uncertainty[jc] / rw.x[jc])
    dp, bad = co2_band_consistency(s_co2, s_o2,
                                   np.concatenate(l2["surface_pressure_expected"]))
    vals["cloud_co2_delta_pressure"] = dp
    for k, v in vals.items():
        l2[k] = [v]
    l2["cloud_flag"] = [np.concatenate(l2["cloud_flag"]) | bad.astype(np.uint8)]
    l2["quality_flag"] = [np.concatenate(l2["quality_flag"])
                          | np.where(bad, CLOUDY | CO2_BAND_INCONSISTENT, 0).astype(np.uint8)]
    return l2
