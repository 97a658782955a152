"""``postflight process``: from a dump to products (the SAR chain so far).

Steps: align the dump (clock fits, navigation per pulse), assemble L0 (per band and
polarisation pulse matrices in ``OUT/work/l0.h5``), range-compress each channel into a
scratch file, focus it tile by tile onto the map grid and write one GSLC per flight line
(``OUT/<flight_id>_GSLC.h5``). Every file is written under a temporary name and renamed
when complete.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flightlog.align import align
from flightlog.descriptor import FlightDescriptor, load_descriptor
from flightlog.geolocate import Dem
from flightlog.provenance import describe_inputs, provenance
from ghgsif.config import GhgsifConfig
from sarproc.backprojection import reference_track
from sarproc.config import PolarimetryConfig, SarConfig
from sarproc.focus import channel_geometry, compress_channel, focus_channel
from sarproc.grid import MapGrid, swath_bounds
from sarproc.gslc import GslcWriter
from sarproc.l0 import build_l0, channels, read_channel

log = logging.getLogger("postflight.process")


class RunConfig(BaseModel):
    """The run configuration (YAML): unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sar: SarConfig = Field(default_factory=SarConfig)
    pol: PolarimetryConfig = Field(default_factory=PolarimetryConfig)
    ghgsif: GhgsifConfig = Field(default_factory=GhgsifConfig)


class ConfigError(ValueError):
    """An invalid run configuration; the message names the file and key."""


def default_config_yaml() -> str:
    """The default run configuration as YAML, every key commented with its meaning."""
    lines = ["# postflight run configuration (defaults). Unknown keys are errors.",
             "# Use with: postflight process DUMP OUT --config THIS_FILE", ""]

    def emit(model: type[BaseModel], values: dict[str, Any], indent: int) -> None:
        pad = "  " * indent
        for name, info in model.model_fields.items():
            value = values[name]
            ann = info.annotation
            sub = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
            if info.description:
                lines.append(f"{pad}# {info.description}")
            elif sub is not None and sub.__doc__:
                lines.append(f"{pad}# {sub.__doc__.strip().splitlines()[0]}")
            if sub is not None:
                lines.append(f"{pad}{name}:")
                emit(sub, value, indent + 1)
            else:
                text = yaml.safe_dump({name: value}, default_flow_style=True, width=1000)
                lines.append(pad + text.strip().strip("{}"))
        if indent == 0:
            lines.append("")

    emit(RunConfig, RunConfig().model_dump(mode="json"), 0)
    return "\n".join(lines) + "\n"


def load_config(path: str | os.PathLike[str] | None,
                overrides: list[str] | None = None) -> RunConfig:
    """Load and validate a YAML run configuration, with ``KEY=VALUE`` overrides.

    ``KEY`` is dotted (``sar.grid.spacing_m=2``); ``VALUE`` is parsed as YAML.
    """
    data: dict[str, Any] = {}
    where = str(path) if path else "<defaults>"
    if path:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: the top level must be a mapping")
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"override {item!r}: use KEY=VALUE")
        node = data
        parts = key.strip().split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = yaml.safe_load(value)
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        msgs = "; ".join(f"key '{'.'.join(str(x) for x in e['loc'])}': {e['msg']}"
                         for e in exc.errors())
        raise ConfigError(f"{where}: {msgs}") from exc


def load_dem(path: str) -> Dem:
    """A DEM from an ``.npz`` with ``lat0_deg, lon0_deg, dlat_deg, dlon_deg, height``."""
    with np.load(path) as z:
        return Dem(float(z["lat0_deg"]), float(z["lon0_deg"]), float(z["dlat_deg"]),
                   float(z["dlon_deg"]), np.asarray(z["height"], np.float64))


def default_grid(l0: h5py.File, desc: FlightDescriptor, cfg: SarConfig) -> MapGrid:
    """The configured grid, or the illuminated swath of the first channel."""
    assert desc.sar is not None
    band, pol = channels(l0)[0]
    ch = read_channel(l0, band, pol)
    ok = ch.valid & ch.present
    apc = ch.position[ok]
    fs = desc.sar.adc_sampling_rate_hz
    chirp = max(b.chirp_duration_s for b in desc.sar.bands)
    c2 = 299_792_458.0 / 2
    near = c2 * (float(np.min(ch.window_start_ticks[ok])) / fs + chirp / 2)
    far = c2 * (float(np.max(ch.window_start_ticks[ok]) + ch.n_samples) / fs - chirp / 2)
    if cfg.grid.bounds is not None:
        epsg = cfg.grid.epsg
        if epsg is None:
            epsg, _ = swath_bounds(apc, reference_track(apc), desc.sar.look_side, near, far,
                                   cfg.reference_height_m)
        return MapGrid.from_bounds(epsg, cfg.grid.bounds, cfg.grid.spacing_m)
    epsg, bounds = swath_bounds(apc, reference_track(apc), desc.sar.look_side, near, far,
                                cfg.reference_height_m, cfg.grid.epsg)
    return MapGrid.from_bounds(epsg, bounds, cfg.grid.spacing_m)


def _polarimetry(gslc: Path, out: Path, desc: FlightDescriptor, config: RunConfig,
                 l0_path: Path, inputs: list[dict[str, Any]]) -> dict[str, str]:
    """Polarimetric products of every band that has all four polarisations."""
    from sarproc.pol_products import PolConfig, polarimetric_products
    from sarproc.radiometry import band_radar_constant

    assert desc.sar is not None
    made: dict[str, str] = {}
    pc = config.pol
    cal = {}
    if config.sar.calibration_file:
        from sarproc.calibration import load_calibration

        cal = load_calibration(config.sar.calibration_file)
    with h5py.File(l0_path, "r") as l0:
        chans = channels(l0)
        for index, band in enumerate(desc.sar.bands):
            if sorted(p for b, p in chans if b == band.id) != ["HH", "HV", "VH", "VV"]:
                continue
            ch = read_channel(l0, band.id, "HH")
            ok = ch.valid & ch.present
            apc = ch.position[ok]
            track = reference_track(apc)
            mid = apc.shape[0] // 2
            k = band_radar_constant(band, desc.sar.antenna)
            stem = out / f"{desc.flight_id}_band{band.id}"
            paths = polarimetric_products(
                gslc, stem, k, band.bandwidth_hz, 299_792_458.0 / band.center_frequency_hz,
                config.sar.model_dump(mode="json"), apc[mid], track[mid],
                PolConfig((pc.looks[0], pc.looks[1]), pc.speckle_filter, pc.filter_size,
                          (pc.percentiles[0], pc.percentiles[1]), pc.noise_subtraction,
                          pc.noise_window),
                provenance(inputs, config.model_dump(mode="json")), index, cal.get(band.id),
                load_dem(config.sar.dem) if config.sar.dem else None)
            made.update({f"band{band.id}/{key}": str(v) for key, v in paths.items()})
    return made


def process_dump(dump: str | os.PathLike[str], out: str | os.PathLike[str],
                 config: RunConfig) -> dict[str, Any]:
    """Every chain the dump has: SAR (GSLC, polarimetry) and spectrometer (L1B, L2 SIF).

    One alignment serves both; returns the SAR summary with a ``ghgsif`` entry.
    """
    from ghgsif.pipeline import process_spectrometer

    desc = load_descriptor(dump)
    cfg = config.sar
    dem = load_dem(cfg.dem) if cfg.dem else None
    al = align(dump, reference_height_m=cfg.reference_height_m, dem=dem)
    summary: dict[str, Any] = {"flight_id": desc.flight_id}
    if desc.sar is not None:
        summary = process_sar(dump, out, config, al=al)
    if desc.ghgsif is not None and config.ghgsif.enabled and al.ghgsif:
        inputs = describe_inputs(al.inputs, desc.root)
        summary["ghgsif"] = process_spectrometer(
            dump, out, al, config.ghgsif, provenance(inputs, config.model_dump(mode="json")))
        (Path(out) / "process_summary.json").write_text(
            json.dumps(summary, indent=2, default=str))
    return summary


def process_sar(dump: str | os.PathLike[str], out: str | os.PathLike[str],
                config: RunConfig, progress: Any = None,
                al: Any = None) -> dict[str, Any]:
    """Run the SAR chain on a dump; returns a JSON-ready summary with the product paths.

    ``al`` is the dump's alignment if already computed.
    """
    out = Path(out)
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    desc = load_descriptor(dump)
    if desc.sar is None:
        raise ValueError(f"{desc.root / 'flight.json'}: no 'sar' section")
    cfg = config.sar
    dem = load_dem(cfg.dem) if cfg.dem else None
    if al is None:
        al = align(dump, reference_height_m=cfg.reference_height_m, dem=dem)
    l0_path = build_l0(dump, work / "l0.h5", al, bands=cfg.bands,
                       polarisations=list(cfg.polarisations) if cfg.polarisations else None)
    summary: dict[str, Any] = {"flight_id": desc.flight_id, "l0": str(l0_path),
                               "alignment": al.report(), "channels": {}}
    band_index = {b.id: i for i, b in enumerate(desc.sar.bands)}
    with h5py.File(l0_path, "r") as l0:
        chans = channels(l0)
        if not chans:
            raise ValueError(f"{dump}: no SAR echoes of the requested bands/polarisations")
        grid = default_grid(l0, desc, cfg)
        times = np.concatenate([read_channel(l0, b, p).gps_time for b, p in chans])
        ident = {"flightId": desc.flight_id, "lookDirection": desc.sar.look_side,
                 "listOfFrequencies": sorted({chr(ord("A") + band_index[b]) for b, _ in chans}),
                 "bandIds": sorted({b for b, _ in chans}),
                 "zeroDopplerStartTime": float(times.min()),
                 "zeroDopplerEndTime": float(times.max()), "timeSystem": "GPS seconds",
                 "platform": desc.platform or ""}
        path = out / f"{desc.flight_id}_GSLC.h5"
        algorithms: dict[str, Any] = {}
        with GslcWriter(path, grid, ident) as gw:
            for band_id in sorted({b for b, _ in chans}):
                pols = [p for b, p in chans if b == band_id]
                bd = next(b for b in desc.sar.bands if b.id == band_id)
                gw.frequency(band_index[band_id], bd.center_frequency_hz, bd.bandwidth_hz,
                             pols)
                for pol in pols:
                    with tempfile.TemporaryDirectory(dir=work) as tmpd, h5py.File(
                            Path(tmpd) / "rc.h5", "w") as scratch:
                        rc, kind = compress_channel(l0, desc, band_id, pol, cfg, scratch)
                        geo = channel_geometry(l0, desc, band_id, pol, cfg.antenna_pattern)

                        def put(rows: slice, cols: slice, tile: np.ndarray,
                                i: int = band_index[band_id], p: str = pol) -> None:
                            gw.write_tile(i, p, rows, cols, tile)

                        tiles = focus_channel(rc, geo, grid, cfg, put, dem, progress)
                    algorithms[f"band{band_id}/{pol}"] = {
                        "range_compression": f"FFT matched filter, {kind} replica, "
                                             f"window {cfg.range_window}",
                        "azimuth_compression": "exact time-domain backprojection, moving "
                                               "antenna during two-way travel",
                        "tiles_focused": tiles}
                    summary["channels"][f"band{band_id}/{pol}"] = {
                        "pulses": geo.l0.n_pulses, "valid_pulses": int(geo.use.size),
                        "missing_pulses": int((~geo.l0.present).sum()), "replica": kind}
            params = {"sar": cfg.model_dump(mode="json"), "grid": grid.attrs()}
            gw.processing(algorithms, params, describe_inputs(al.inputs, desc.root),
                          provenance(describe_inputs(al.inputs, desc.root),
                                     config.model_dump(mode="json")))
    summary["gslc"] = str(path)
    summary["grid"] = grid.attrs()
    if config.pol.enabled:
        summary["polarimetry"] = _polarimetry(path, out, desc, config, l0_path,
                                              describe_inputs(al.inputs, desc.root))
    (out / "process_summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def calibrate_dump(dump: str | os.PathLike[str], out: str | os.PathLike[str],
                   reflectors: str | os.PathLike[str], config: RunConfig) -> Path:
    """Focus a calibration flight and write ``OUT/calibration.json`` from its reflectors."""
    from sarproc.calibration import calibrate, read_reflectors, write_calibration
    from sarproc.grid import track_heading_deg
    from sarproc.radiometry import band_radar_constant

    refl = read_reflectors(reflectors)
    summary = process_sar(dump, out, config.model_copy(
        update={"pol": config.pol.model_copy(update={"enabled": False})}))
    desc = load_descriptor(dump)
    assert desc.sar is not None
    bands = {}
    with h5py.File(summary["l0"], "r") as l0:
        for index, band in enumerate(desc.sar.bands):
            if not any(b == band.id for b, _ in channels(l0)):
                continue
            ch = read_channel(l0, band.id, channels(l0)[0][1])
            apc = ch.position[ch.valid & ch.present]
            track = reference_track(apc)
            mid = apc.shape[0] // 2
            heading = track_heading_deg(apc[mid], track[mid], summary["grid"]["epsg"])
            k = band_radar_constant(band, desc.sar.antenna)
            bands[band.id] = calibrate(summary["gslc"], refl, k, apc[mid], track[mid],
                                       heading, index)
    return write_calibration(Path(out) / "calibration.json", bands,
                             provenance(describe_inputs([Path(reflectors)]),
                                        config.model_dump(mode="json")))
