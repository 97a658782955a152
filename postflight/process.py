"""``postflight process``: from a dump to every product it can make.

Steps: align the dump (clock fits, navigation per pulse), assemble L0 (per band and
polarisation pulse matrices in ``OUT/work/l0.h5``), range-compress each channel into a
scratch file, focus it tile by tile onto the map grid and write one GSLC per flight line
(``OUT/<flight_id>_GSLC.h5``). Every file is written under a temporary name and renamed
when complete.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flightlog.align import align
from flightlog.constants import C_LIGHT_M_S
from flightlog.dem import load_dem
from flightlog.descriptor import FlightDescriptor, load_descriptor
from flightlog.errors import PisarL3Error
from flightlog.geolocate import Dem
from flightlog.provenance import (
    atomic_output,
    describe_inputs,
    provenance,
    sha256_file,
    writing,
)
from ghgsif.config import GhgsifConfig
from postflight._memory import bound_heap, release_memory
from postflight.runlog import json_log, progress, step
from postflight.runstate import RunState, step_key
from postflight.scaleout import Executor
from sarproc.backprojection import reference_track
from sarproc.config import PolarimetryConfig, SarConfig
from sarproc.focus import channel_geometry, compress_channel, grid_tiles, unfocusable
from sarproc.focusers import get_focuser
from sarproc.grid import MapGrid, default_grid, track_heading_deg
from sarproc.l0 import build_l0, channels, read_channel
from sarproc.products import nisar
from sarproc.products.gslc import GRIDS, FrequencyInfo, GslcWriter, frequency_name
from sarproc.terrain import layover_shadow, pixel_geometry, radar_grid_cube

log = logging.getLogger("postflight.process")


#: Memory of the interpreter, Numba, the HDF5 and netCDF libraries and the alignment
#: (measured: 0.35 to 0.41 GB before any data block), outside the data blocks.
BASELINE_MB = 400


class RunConfig(BaseModel):
    """The run configuration (YAML): unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sar: SarConfig = Field(default_factory=SarConfig)
    pol: PolarimetryConfig = Field(default_factory=PolarimetryConfig)
    ghgsif: GhgsifConfig = Field(default_factory=GhgsifConfig)
    max_memory_mb: int | None = Field(None, ge=BASELINE_MB + 64, description="memory limit "
                                      "of the run (MB); the block sizes are cut to fit it "
                                      "(null: the configured block sizes)")

    def block_budget(self) -> int | None:
        """Bytes the data blocks of one step may take (``max_memory_mb`` less the baseline)."""
        if self.max_memory_mb is None:
            return None
        return (self.max_memory_mb - BASELINE_MB) << 20

    def fitted(self, echo_samples: int | None = None, grid_columns: int | None = None,
               frame_pixels: int | None = None) -> RunConfig:
        """The configuration with block sizes cut to :meth:`block_budget`.

        A quarter of the budget goes to each of: the range-compression block
        (``echo_samples`` complex samples a pulse, about four copies), the upsampled pulses
        of a tile, the polarimetry row block (``grid_columns``) and the spectrometer frame
        block (``frame_pixels`` a frame, about twelve float64 copies).
        """
        budget = self.block_budget()
        if budget is None:
            return self
        part = budget // 4
        sar, pol, gs = self.sar, self.pol, self.ghgsif
        sar = sar.model_copy(update={"block_bytes": max(1 << 20, min(sar.block_bytes, part))})
        if echo_samples:
            sar = sar.model_copy(update={"block_pulses": max(16, min(
                sar.block_pulses, part // (echo_samples * 8 * 4)))})
        if grid_columns:
            row = pol.looks[0] * grid_columns * 8 * 4 * 3 + grid_columns * 16 * 9 * 8
            pol = pol.model_copy(update={"block_rows": max(1, min(pol.block_rows, part // row))})
        if frame_pixels:
            gs = gs.model_copy(update={"block_frames": max(1, min(
                gs.block_frames, part // (frame_pixels * 8 * 12)))})
        return self.model_copy(update={"sar": sar, "pol": pol, "ghgsif": gs})


class ConfigError(PisarL3Error, ValueError):
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
                lines.extend(f"{pad}# {part}" for part in textwrap.wrap(
                    info.description, 96 - len(pad)))
            elif sub is not None and sub.__doc__:
                lines.append(f"{pad}# {sub.__doc__.strip().splitlines()[0]}")
            if sub is not None:
                lines.append(f"{pad}{name}:")
                emit(sub, value, indent + 1)
            else:
                text = yaml.safe_dump({name: value}, default_flow_style=True,
                                      width=1000).strip()
                lines.append(pad + text[1:-1])  # the outer braces of the one-key mapping
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
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: the top level must be a mapping")
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"override {item!r}: use KEY=VALUE")
        node = data
        parts = key.strip().split(".")
        for i, p in enumerate(parts[:-1]):
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: '{'.'.join(parts[: i + 1])}' is "
                                  "a value, not a section")
        try:
            node[parts[-1]] = yaml.safe_load(value)
        except (yaml.YAMLError, ValueError, RecursionError) as exc:
            raise ConfigError(f"override {item!r}: {exc}") from None
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        msgs = "; ".join(f"key '{'.'.join(str(x) for x in e['loc'])}': {e['msg']}"
                         for e in exc.errors())
        raise ConfigError(f"{where}: {msgs}") from exc


def _polarimetry(gslc: Path, out: Path, desc: FlightDescriptor, config: RunConfig,
                 l0_path: Path, inputs: list[dict[str, Any]]) -> dict[str, str]:
    """Polarimetric products of every band that has all four polarisations."""
    from sarproc.pol_products import PolBand, polarimetric_products
    from sarproc.radiometry import band_radar_constant

    sar = desc.require_sar()
    made: dict[str, str] = {}
    with h5py.File(gslc, "r") as f:
        columns = int(f[f"{GRIDS}/frequencyA/xCoordinates"].shape[0])
    config = config.fitted(grid_columns=columns)
    pc = config.pol
    cal = {}
    if config.sar.calibration_file:
        from sarproc.calibration import load_calibration

        cal = load_calibration(config.sar.calibration_file)
    with h5py.File(l0_path, "r") as l0:
        chans = channels(l0)
        for index, band in enumerate(sar.bands):
            if sorted(p for b, p in chans if b == band.id) != ["HH", "HV", "VH", "VV"]:
                continue
            ch = read_channel(l0, band.id, "HH")
            ok = ch.valid & ch.present
            apc = ch.position[ok]
            track = reference_track(apc)
            mid = apc.shape[0] // 2
            k = band_radar_constant(band, sar.antenna)
            stem = out / f"{desc.flight_id}_band{band.id}"
            with progress(None, f"polarimetry band {band.id}", "row") as bar:
                paths = polarimetric_products(
                    gslc, stem, PolBand(k, band.bandwidth_hz,
                                        C_LIGHT_M_S / band.center_frequency_hz, apc[mid],
                                        track[mid]),
                    config.sar.model_dump(mode="json"), pc,
                    provenance(inputs, config.model_dump(mode="json")), index,
                    cal.get(band.id), load_dem(config.sar.dem) if config.sar.dem else None,
                    bar.update)
            made.update({f"band{band.id}/{key}": str(v) for key, v in paths.items()})
    return made


def _file_digest(path: str | None) -> str | None:
    """sha256 of an optional auxiliary file (calibration, DEM) for the step keys."""
    return sha256_file(path) if path else None


#: A step's work: given the dict of fields its end record logs, its product files and
#: its summary.
StepFn = Callable[[dict[str, Any]], tuple[list[Any], Any]]


def run_step(state: RunState, name: str, key: str, label: str, make: StepFn) -> Any:
    """One step of the run: reuse its products when complete and current, else make them.

    Every step has this form: ``make(done)`` writes the step's files and returns them
    with its summary; ``key`` (:func:`postflight.runstate.step_key`) is the content key
    of its inputs and configuration. Returns the step's summary.
    """
    entry = state.done(name, key)
    if entry is not None:
        log.info("%s: up to date, reused", label)
        return entry["summary"]
    with step(log, label) as done:
        files, summary = make(done)
    return state.record(name, key, files, summary)["summary"]


def process_dump(dump: str | os.PathLike[str], out: str | os.PathLike[str],
                 config: RunConfig, executor: Executor | None = None,
                 resume: bool = True, reflectors: str | os.PathLike[str] | None = None
                 ) -> dict[str, Any]:
    """Every chain the dump has: SAR (GSLC, polarimetry) and spectrometer (L1B, L2).

    One alignment serves both. Steps whose products are complete and current are reused
    (:mod:`postflight.runstate`); the run ends with ``OUT/process_summary.json`` and the
    flight report (``OUT/report.json``, ``OUT/report.html``).

    Parameters
    ----------
    dump : path
        The dump's directory (ICD section 2).
    out : path
        Output directory.
    config : RunConfig
        The run's configuration.
    executor : Executor, optional
        Where the tiles run. Default serial.
    resume : bool, optional
        Reuse steps whose products are complete and current.
    reflectors : path, optional
        Corner-reflector list whose image quality the report shows.

    Returns
    -------
    dict
        The summary written to ``OUT/process_summary.json``.
    """
    from postflight.report import anomalies, write_report

    out = Path(out)
    if config.max_memory_mb is not None:
        bound_heap()
    with RunState(out, resume) as state, json_log(out), contextlib.ExitStack() as stack:
        if executor is None:
            executor = stack.enter_context(Executor("serial"))
        desc = load_descriptor(dump)
        cfg = config.sar
        dem = load_dem(cfg.dem) if cfg.dem else None
        with step(log, "align", dump=str(dump)):
            al = align(dump, reference_height_m=cfg.reference_height_m, dem=dem)
        if config.max_memory_mb is not None:
            release_memory()
        inputs = describe_inputs(al.inputs, desc.root)
        summary: dict[str, Any] = {"flight_id": desc.flight_id,
                                   "dump": str(Path(dump).resolve()),
                                   "alignment": al.report(), "inputs": inputs,
                                   "scale_out": executor.description}
        # an instrument described but silent is an anomaly of the flight: the others go on
        silent = dict(al.silent)
        for name, why in silent.items():
            log.warning("%s: described in flight.json but silent (%s); its products are "
                        "not made", name, why)
        summary["silent_instruments"] = silent
        if desc.sar is not None and al.sar:
            summary.update(process_sar(dump, out, config, al=al, state=state,
                                       executor=executor, inputs=inputs))
            if config.max_memory_mb is not None:
                release_memory()
        if desc.ghgsif is not None and config.ghgsif.enabled and al.ghgsif:
            # user line lists are inputs too: their content keys the step and the products
            gs_inputs = inputs + [{**describe_inputs([Path(p).resolve()])[0],
                                   "role": f"line list {g}"}
                                  for g, p in sorted(config.ghgsif.line_lists.items())]
            key = step_key("ghgsif", gs_inputs, config.ghgsif.model_dump(mode="json"),
                           config.max_memory_mb)
            summary["ghgsif"] = run_step(
                state, "ghgsif", key, "spectrometer L1B and L2",
                lambda done: _spectrometer(dump, out, config, al, gs_inputs, executor, done))
        summary["steps"] = {"reused": state.reused, "made": state.made}
        summary["anomalies"] = anomalies(summary)
        with atomic_output(out / "process_summary.json") as tmp:
            tmp.write_text(json.dumps(summary, indent=2, default=str))
        with step(log, "flight report"):
            summary["report"] = {k: str(v) for k, v in write_report(
                out, summary, config, reflectors).items()}
    return summary


def _spectrometer(dump: str | os.PathLike[str], out: Path, config: RunConfig, al: Any,
                  inputs: list[dict[str, Any]], executor: Executor,
                  done: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """The spectrometer step: L1B and L2 with block sizes fitted to the memory limit."""
    from ghgsif.calibration import read_band_calibration
    from ghgsif.pipeline import process_spectrometer

    desc = load_descriptor(dump)
    gs = desc.require_ghgsif()
    cal = desc.resolve(gs.calibration, "ghgsif.calibration")
    pixels = max(int(np.prod(read_band_calibration(cal, b.name).shape))
                 for b in gs.bands if b.name in al.ghgsif)
    gs_cfg = config.fitted(frame_pixels=pixels)
    done["block_frames"] = gs_cfg.ghgsif.block_frames
    frames = sum(int(np.sum(s.shutter == 0)) for s in al.ghgsif.values())
    with progress(frames, "spectrometer", "frame") as bar:
        res = process_spectrometer(dump, out, al, gs_cfg.ghgsif, provenance(
            inputs, gs_cfg.model_dump(mode="json")), executor.map, bar.update)
    return [res["l1b"], res["l2"]], res


def process_sar(dump: str | os.PathLike[str], out: str | os.PathLike[str],
                config: RunConfig, al: Any = None, state: RunState | None = None,
                executor: Executor | None = None,
                inputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Run the SAR chain on a dump; returns a JSON-ready summary with the product paths.

    Parameters
    ----------
    dump : path
        The dump's directory (ICD section 2).
    out : path
        Output directory; ``OUT/work`` holds intermediate files.
    config : RunConfig
        The run's configuration (its ``sar`` section).
    al : Alignment, optional
        The dump's alignment, if already computed.
    state : RunState, optional
        The run's manifest: steps up to date are reused. Default: opened on ``out``.
    executor : Executor, optional
        Where the tiles run. Default serial.
    inputs : list of dict, optional
        The input files' descriptions (digests) that key the steps.

    Returns
    -------
    dict
        JSON-ready summary with the product paths.
    """
    out = Path(out)
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    desc = load_descriptor(dump)
    desc.require_sar()
    cfg = config.sar
    dem = load_dem(cfg.dem) if cfg.dem else None
    with contextlib.ExitStack() as stack:
        if state is None:
            state = stack.enter_context(RunState(out))
        if executor is None:
            executor = stack.enter_context(Executor("serial"))
        if al is None:
            with step(log, "align", dump=str(dump)):
                al = align(dump, reference_height_m=cfg.reference_height_m, dem=dem)
        if inputs is None:
            inputs = describe_inputs(al.inputs, desc.root)
        chans = {"bands": cfg.bands, "polarisations": cfg.polarisations,
                 "reference_height_m": cfg.reference_height_m, "dem": _file_digest(cfg.dem)}
        l0_key = step_key("l0", inputs, chans)
        l0_path = work / "l0.h5"

        def make_l0(done: dict[str, Any]) -> tuple[list[Path], dict[str, Any]]:
            build_l0(dump, l0_path, al, bands=cfg.bands, polarisations=list(
                cfg.polarisations) if cfg.polarisations else None)
            return [l0_path], {"l0": str(l0_path)}

        run_step(state, "l0", l0_key, "L0 assembly", make_l0)
        summary: dict[str, Any] = {"flight_id": desc.flight_id, "l0": str(l0_path),
                                   "alignment": al.report()}
        gslc_key = step_key("gslc", l0_key, cfg.model_dump(mode="json"),
                            _file_digest(cfg.calibration_file), config.max_memory_mb)

        def make_gslc(done: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
            res = _focus_gslc(dump, out, config, desc, al, l0_path, dem, inputs, executor,
                              state)
            return ([res["gslc"]] if "gslc" in res else []), res

        summary.update(run_step(state, "gslc", gslc_key, "SAR focusing", make_gslc))
        if config.pol.enabled and "gslc" in summary:
            pol_key = step_key("polarimetry", gslc_key, config.pol.model_dump(mode="json"),
                               config.max_memory_mb)

            def make_pol(done: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
                made = _polarimetry(Path(summary["gslc"]), out, desc, config, l0_path, inputs)
                return list(made.values()), made

            summary["polarimetry"] = run_step(state, "polarimetry", pol_key,
                                              "polarimetric products", make_pol)
    return summary


def _focus_gslc(dump: str | os.PathLike[str], out: Path, config: RunConfig,
                desc: FlightDescriptor, al: Any, l0_path: Path, dem: Dem | None,
                inputs: list[dict[str, Any]], executor: Executor,
                state: RunState) -> dict[str, Any]:
    """Range-compress and focus every channel of L0 into the GSLC; returns its summary."""
    sar = desc.require_sar()
    band_index = {b.id: i for i, b in enumerate(sar.bands)}
    summary: dict[str, Any] = {"channels": {}}
    with h5py.File(l0_path, "r") as l0:
        chans = channels(l0)
        if not chans:
            raise ConfigError(f"sar.bands / sar.polarisations: the dump {dump} has no echo of "
                              f"the requested ones (bands {config.sar.bands}, polarisations "
                              f"{config.sar.polarisations})")
        # a channel with fewer than two timed, navigated pulses, or whose every echo was
        # lost, cannot be focused: an anomaly of the flight, the other channels go on
        unfocused = {f"band{b}/{p}": why for b, p in chans
                     if (why := unfocusable(read_channel(l0, b, p))) is not None}
        # a channel the radar transmits and receives (ICD 3: H and V received at once)
        # that left no echo in the stream at all
        have = {f"band{b}/{p}" for b, p in chans}
        for bd in sar.bands:
            for pol in sorted({t + r for t in sar.tx_sequence for r in "HV"}):
                key = f"band{bd.id}/{pol}"
                if (key not in have and (config.sar.bands is None or bd.id in config.sar.bands)
                        and (config.sar.polarisations is None
                             or pol in config.sar.polarisations)):
                    unfocused[key] = "no echo of the channel in the stream"
        summary["unfocused_channels"] = unfocused
        for key, why in unfocused.items():
            log.warning("SAR %s: not focused (%s)", key, why)
        chans = [(b, p) for b, p in chans if f"band{b}/{p}" not in unfocused]
        if not chans:
            return summary
        config = config.fitted(echo_samples=max(l0[f"band{b}/{p}/echo"].shape[1]
                                                for b, p in chans))
        cfg = config.sar
        grid = default_grid(l0, desc, cfg)
        gaps = grid.dem_gaps(dem) if dem is not None else None
        if gaps:
            raise ConfigError(f"sar.dem {cfg.dem}: {gaps}")
        ch0 = read_channel(l0, *chans[0])
        ok0 = ch0.valid & ch0.present
        apc0, vel0, t_0 = ch0.position[ok0], ch0.velocity[ok0], ch0.gps_time[ok0]
        track0 = reference_track(apc0)
        mid = apc0.shape[0] // 2
        heading = track_heading_deg(apc0[mid], track0[mid], grid.epsg)
        summary["track_heading_deg"] = heading
        times = np.concatenate([read_channel(l0, b, p).gps_time for b, p in chans])
        path = out / f"{desc.flight_id}_GSLC.h5"
        algorithms: dict[str, Any] = {}
        tiles = grid_tiles(grid, cfg.tile_px)
        azimuth = (get_focuser(cfg.algorithm).description
                   + ", moving antenna during two-way travel")
        terrain = _terrain_mask(grid, cfg.reference_height_m, apc0[mid], track0[mid], dem)
        with writing(path), GslcWriter(path, grid, _identification(
                desc, float(times.min()), float(times.max()), heading),
                terrain, cfg.reference_height_m) as gw, progress(
                len(tiles) * len(chans), "focusing", "tile") as bar:
            for band_id in sorted({b for b, _ in chans}):
                pols = [p for b, p in chans if b == band_id]
                index = band_index[band_id]
                gw.frequency(index, _frequency_info(l0, desc, band_id, pols, cfg))
                for pol in pols:
                    scratch = state.scratch()
                    try:
                        with writing(scratch / "rc.h5"), h5py.File(scratch / "rc.h5", "w") as f:
                            _, kind = compress_channel(l0, desc, band_id, pol, cfg, f)
                        geo = channel_geometry(l0, desc, band_id, pol, cfg.antenna_pattern)
                        focused = 0
                        for (rows, cols), tile in executor.focus(
                                scratch / "rc.h5", geo, grid, tiles, cfg, dem, bar.update):
                            gw.write_tile(index, pol, rows, cols, tile)
                            focused += bool(np.any(np.isfinite(tile)))
                    finally:
                        shutil.rmtree(scratch, ignore_errors=True)
                    log.info("band %d %s: %d of %d pulses focused on %d tiles", band_id, pol,
                             geo.use.size, geo.l0.n_pulses, focused,
                             extra={"band": band_id, "polarisation": pol})
                    algorithms[f"band{band_id}/{pol}"] = {
                        "range_compression": f"FFT matched filter, {kind} replica, "
                                             f"window {cfg.range_window}",
                        "azimuth_compression": azimuth, "tiles_focused": focused}
                    summary["channels"][f"band{band_id}/{pol}"] = {
                        "pulses": geo.l0.n_pulses, "valid_pulses": int(geo.use.size),
                        "missing_pulses": int((~geo.l0.present).sum()), "replica": kind}
                nisar.write_calibration_information(
                    gw.metadata(), frequency_name(index), pols, None, applied=False)
            epoch = _utc_midnight_gps(float(times.min()))
            traj = al.trajectory
            nisar.write_trajectory(gw.metadata(), traj.gps_time, traj.position,
                                   traj.velocity, traj.quaternion, float(times.min()),
                                   float(times.max()), epoch, str(traj.source))
            nisar.write_radar_grid(gw.metadata(), radar_grid_cube(
                grid.x, grid.y, grid.epsg, t_0, apc0, vel0, epoch, cfg.reference_height_m),
                grid.epsg, epoch)
            params = {"sar": cfg.model_dump(mode="json"), "grid": grid.attrs()}
            gw.processing(algorithms, params, inputs,
                          provenance(inputs, config.model_dump(mode="json")),
                          config.model_dump(mode="json"), (str(traj.source),),
                          str(cfg.dem) if cfg.dem else "")
    summary["gslc"] = str(path)
    summary["grid"] = grid.attrs()
    return summary


def _utc_midnight_gps(gps: float) -> float:
    """GPS seconds of the UTC midnight that starts the day of ``gps``.

    It is the products' time reference.
    """
    from flightlog.timesys import gps_to_utc, utc_to_gps

    return float(utc_to_gps(gps_to_utc(gps).strftime("%Y-%m-%dT00:00:00")))


def _identification(desc: FlightDescriptor, t0: float, t1: float,
                    heading_deg: float) -> dict[str, Any]:
    """The GSLC's ``identification/`` fields that come from the flight (docs/products.md)."""
    from flightlog.provenance import software_version

    sar = desc.require_sar()
    version = software_version()
    return {"absoluteOrbitNumber": 0, "trackNumber": 0, "frameNumber": 0,
            "missionId": "Pi-SAR-L3", "processingCenter": "postflight (pisar-l3 toolkit)",
            "productVersion": version,
            "productSpecificationVersion": nisar.PRODUCT_SPEC_VERSION,
            "lookDirection": sar.look_side.capitalize(),
            "orbitPassDirection": ("Ascending" if np.cos(np.deg2rad(heading_deg)) >= 0
                                   else "Descending"),
            "zeroDopplerStartTime": nisar.iso_utc(t0), "zeroDopplerEndTime": nisar.iso_utc(t1),
            "plannedDatatakeId": [desc.flight_id], "plannedObservationId": [desc.flight_id],
            "isUrgentObservation": "False", "diagnosticModeFlag": 0, "productLevel": "L2",
            "isGeocoded": "True", "radarBand": "L", "platformName": desc.platform or "",
            "instrumentName": "Pi-SAR-L3", "processingType": "Custom", "isDithered": "False",
            "isMixedMode": "False", "compositeReleaseId": version}


def _frequency_info(l0: h5py.File, desc: FlightDescriptor, band_id: int, pols: list[str],
                    cfg: SarConfig) -> FrequencyInfo:
    """What the GSLC records of a band: bandwidths, sample and pulse spacing."""
    sar = desc.require_sar()
    bd = next(b for b in sar.bands if b.id == band_id)
    ch = read_channel(l0, band_id, pols[0])
    ok = ch.valid & ch.present
    speed = float(np.median(np.linalg.norm(ch.velocity[ok], axis=1)))
    wavelength = C_LIGHT_M_S / bd.center_frequency_hz
    half = np.deg2rad(cfg.integration_angle_deg) / 2
    return FrequencyInfo(bd.center_frequency_hz, bd.bandwidth_hz,
                         4 * speed * np.sin(half) / wavelength,
                         C_LIGHT_M_S / (2 * sar.adc_sampling_rate_hz),
                         float(np.median(np.diff(ch.gps_time[ok]))), tuple(pols))


def _terrain_mask(grid: MapGrid, height_m: float, apc: np.ndarray, track: np.ndarray,
                  dem: Dem | None) -> Callable[[slice], np.ndarray] | None:
    """Layover/shadow codes of a block of grid rows (none without a DEM: flat ground)."""
    if dem is None:
        return None

    def codes(rows: slice) -> np.ndarray:
        g0, g1 = max(0, rows.start - 1), min(grid.ny, rows.stop + 1)  # a row more: slopes
        g = pixel_geometry(grid.x, grid.y[g0:g1], grid.epsg, height_m, apc, track, dem)
        return layover_shadow(g)[rows.start - g0: rows.start - g0 + rows.stop - rows.start]

    return codes


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
    sar = desc.require_sar()
    bands = {}
    with h5py.File(summary["l0"], "r") as l0:
        for index, band in enumerate(sar.bands):
            if not any(b == band.id for b, _ in channels(l0)):
                continue
            ch = read_channel(l0, band.id, channels(l0)[0][1])
            apc = ch.position[ch.valid & ch.present]
            track = reference_track(apc)
            mid = apc.shape[0] // 2
            heading = track_heading_deg(apc[mid], track[mid], summary["grid"]["epsg"])
            k = band_radar_constant(band, sar.antenna)
            bands[band.id] = calibrate(summary["gslc"], refl, k, apc[mid], track[mid],
                                       heading, index)
    return write_calibration(Path(out) / "calibration.json", bands,
                             provenance(describe_inputs([Path(reflectors)]),
                                        config.model_dump(mode="json")))
