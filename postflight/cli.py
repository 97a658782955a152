"""``postflight``: one console script with subcommands; heavy imports wait for the command.

Exit status: 0 success; 10 done, but the dump had anomalies; 2 unusable input (no or
invalid descriptor, no stream, bad arguments); 1 internal error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from postflight import __version__

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_UNUSABLE = 2
EXIT_ANOMALIES = 10

_EPILOG = """exit status:
  0   success, no anomaly
  10  done, but the dump had anomalies (see the report)
  2   unusable input: no or invalid flight.json, no stream, bad arguments
  1   internal error (a bug: please report it with `postflight show-versions`)
"""

log = logging.getLogger("postflight")


def _unusable(command: str, exc: BaseException) -> int:
    """Print why the input or output is unusable; the exit status 2.

    A full output disk ends the process here and now (``os._exit``): HDF5 objects of a
    file whose writing or closing failed can crash the interpreter when they are freed.
    Every product is already removed or left whole by then, and the run lock released.
    """
    from flightlog.provenance import no_room

    print(f"postflight {command}: {exc}", file=sys.stderr)
    log.debug("where it was raised", exc_info=exc)  # --verbose
    if no_room(exc) is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(EXIT_UNUSABLE)
    return EXIT_UNUSABLE


def _cmd_inspect(args: argparse.Namespace) -> int:
    from postflight.inspect_dump import UnusableDump, format_summary, inspect_dump

    try:
        report = inspect_dump(args.dump, chunk_bytes=args.chunk_mib << 20)
    except (UnusableDump, OSError) as exc:
        return _unusable("inspect", exc)
    if args.json:
        json.dump(report, sys.stdout, indent=None if args.compact else 2)
        sys.stdout.write("\n")
    else:
        print(format_summary(report))
    return EXIT_ANOMALIES if report["anomalies"] else EXIT_OK


def _cmd_ingest(args: argparse.Namespace) -> int:
    from postflight.follow import follow

    try:
        summary = follow(args.follow, args.stream, args.out, every_s=args.every,
                         idle_timeout_s=args.idle_timeout)
    except OSError as exc:  # SourceError, or the output folder
        return _unusable("ingest", exc)
    if args.json:
        json.dump(summary, sys.stdout, default=str)
        sys.stdout.write("\n")
    else:
        print(f"{args.follow}: {summary['bytes']} bytes, "
              f"{sum(summary['packets'].values())} packets "
              f"({', '.join(f'{k}: {v}' for k, v in summary['packets'].items())}); "
              f"{summary['anomaly_count']} anomalies: {summary['crc_errors']} CRC errors, "
              f"{summary['packets_lost']} packets lost, {summary['duplicates']} duplicates, "
              f"{summary['bytes_skipped']} bytes skipped")
    return EXIT_ANOMALIES if summary["anomaly_count"] else EXIT_OK


def _cmd_align(args: argparse.Namespace) -> int:
    from flightlog.align import align, write_aligned
    from flightlog.errors import PisarL3Error
    from postflight.align_report import format_alignment

    try:
        al = align(args.dump, reference_height_m=args.reference_height,
                   chunk_bytes=args.chunk_mib << 20, max_nav_gap_s=args.max_nav_gap)
        path = write_aligned(al, Path(args.out) / "aligned.h5")
    except (PisarL3Error, OSError) as exc:
        return _unusable("align", exc)
    print(format_alignment(al.report()))
    print(f"written: {path}")
    return EXIT_ANOMALIES if al.has_anomalies else EXIT_OK


def _cmd_simulate(args: argparse.Namespace) -> int:
    from sim.dump import simulate

    try:
        out = simulate(args.scenario, args.out, seed=args.seed, duration_s=args.duration,
                       faults=args.faults)
    except ValueError as exc:
        print(f"postflight simulate: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(f"simulated {args.scenario!r} flight written to {out}", file=sys.stderr
          if args.stream == "-" else sys.stdout)
    if args.stream:
        from sim.stream import Feed, play_target

        try:
            play_target(Feed.from_dump(out, args.stream_name), args.stream, args.speed)
        except (ValueError, OSError) as exc:
            print(f"postflight simulate: stream: {exc}", file=sys.stderr)
            return EXIT_UNUSABLE
    return EXIT_OK


def _megabytes(size: str) -> int:
    """``2G``, ``800M``, ``1.5g`` or a plain number of MB, in MB."""
    from postflight.process import ConfigError

    text = size.strip().upper().removesuffix("B")
    scale = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}.get(text[-1:], None)
    try:
        return int(float(text[:-1] if scale else text) * (scale or 1))
    except ValueError:
        raise ConfigError(f"--max-memory {size!r}: use a size such as 2G or 800M") from None


def _positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= v <= 4096:
        raise argparse.ArgumentTypeError(f"{text!r}: use 1 to 4096")
    return v


def _run_configured(command: str, args: argparse.Namespace, job: Any,
                    unusable: tuple[type[BaseException], ...] = ()) -> tuple[int, Any]:
    """Load the run configuration, then ``job(cfg)``; unusable input gives exit status 2.

    Returns the status (0 when the job ran) and the job's result.
    """
    from flightlog.errors import PisarL3Error
    from postflight.process import load_config

    # OSError: an unreadable input, a read-only or full output disk, a bad path given
    caught: tuple[type[BaseException], ...] = (PisarL3Error, OSError, *unusable)
    try:
        sets = list(args.set)
        if getattr(args, "max_memory", None):
            sets.append(f"max_memory_mb={_megabytes(args.max_memory)}")
        cfg = load_config(args.config, sets)
        return EXIT_OK, job(cfg)
    except caught as exc:
        return _unusable(command, exc), None


def _process(command: str, args: argparse.Namespace, dump: Any,
             reflectors: Any = None) -> tuple[int, Any]:
    """``process_dump`` with the scale-out and resume options; (status, summary)."""
    from postflight.process import process_dump
    from postflight.scaleout import Executor

    def job(cfg: Any) -> Any:
        with Executor(args.scheduler, args.workers) as ex:
            return process_dump(dump, args.out, cfg, executor=ex, resume=not args.restart,
                                reflectors=reflectors)

    status, summary = _run_configured(command, args, job)
    if status:
        return status, None
    steps = summary["steps"]
    if steps["reused"]:
        print(f"reused (up to date): {', '.join(steps['reused'])}")
    for line in summary["anomalies"]:
        print(f"anomaly: {line}", file=sys.stderr)
    return (EXIT_ANOMALIES if summary["anomalies"] else EXIT_OK), summary


def _print_products(summary: dict[str, Any]) -> None:
    if "gslc" in summary:
        print(f"GSLC: {summary['gslc']}")
        for name, ch in summary["channels"].items():
            print(f"  {name}: {ch['valid_pulses']} of {ch['pulses']} pulses focused, "
                  f"{ch['missing_pulses']} missing, {ch['replica']} replica")
        for name, path in summary.get("polarimetry", {}).items():
            print(f"  {name}: {path}")
    gs = summary.get("ghgsif")
    if gs:
        print(f"spectrometer L1B: {gs['l1b']}")
        print(f"spectrometer L2: {gs['l2']}")
    rep = summary.get("report") or {}
    if rep:
        print(f"flight report: {rep['html']} (and {Path(rep['json']).name})")


def _cmd_process(args: argparse.Namespace) -> int:
    status, summary = _process("process", args, args.dump, args.reflectors)
    if summary is not None:
        _print_products(summary)
    return status


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from postflight.process import calibrate_dump

    status, path = _run_configured(
        "calibrate", args, lambda cfg: calibrate_dump(args.dump, args.out, args.reflectors, cfg),
        (ValueError, OSError))
    if status:
        return status
    result = json.loads(Path(path).read_text())
    for band, entry in result["bands"].items():
        print(f"band {band}: absolute correction {entry['absolute_db']:+.3f} dB from "
              f"{sum(r['kind'] == 'trihedral' for r in entry['reflectors'])} trihedrals")
        pc = entry.get("polcal")
        if pc:
            print(f"  cross-talk {', '.join(f'{v:.1f}' for v in pc['crosstalk_db'])} dB; "
                  f"imbalance {pc['imbalance_db']:+.3f} dB {pc['imbalance_deg']:+.2f} deg")
    print(f"written: {path} (use it with --set sar.calibration_file={path})")
    return EXIT_OK


def _cmd_config(args: argparse.Namespace) -> int:
    from flightlog.provenance import atomic_output
    from postflight.process import default_config_yaml

    text = default_config_yaml()
    if args.file in (None, "-"):
        sys.stdout.write(text)
        return EXIT_OK
    with atomic_output(args.file) as tmp:
        Path(tmp).write_text(text)
    print(f"written: {args.file}", file=sys.stderr)
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from sim.dump import simulate

    out = Path(args.out)
    dump = simulate("demo", out / "dump", seed=args.seed)
    survey = dump / "truth" / "reflectors.csv"
    status, summary = _process("demo", args, dump, survey if survey.is_file() else None)
    if summary is None:
        return status
    print(f"demo flight simulated in {dump} and processed into {out}:")
    _print_products(summary)
    return status


def _cmd_export(args: argparse.Namespace) -> int:
    from postflight.export import ExportError, export

    try:
        paths = export(args.product, args.out, args.layer or None)
    except (ExportError, FileNotFoundError, KeyError, OSError) as exc:
        return _unusable("export", exc)
    for p in paths:
        print(p)
    return EXIT_OK


def _cmd_show_versions(args: argparse.Namespace) -> int:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    print(f"pisar-l3 {__version__}")
    print(f"python {sys.version.split()[0]} on {platform.platform()}")
    for dist in ("numpy", "numba", "llvmlite", "scipy", "h5py", "pyproj", "astropy",
                 "astropy-iers-data", "pydantic", "pyyaml"):
        try:
            print(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            print(f"{dist} not installed")
    return EXIT_OK


def _config_arguments(p: argparse.ArgumentParser) -> None:
    """The run-configuration options of the commands that process (``_run_configured``)."""
    p.add_argument("--config", default=None, metavar="YAML", help="run configuration")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a configuration key, e.g. sar.grid.spacing_m=2 "
                   "(repeatable; VALUE is YAML)")


def _run_arguments(p: argparse.ArgumentParser) -> None:
    """Scale-out and resume options of the commands that run the whole pipeline."""
    _config_arguments(p)
    p.add_argument("--scheduler", default="serial", metavar="WHERE",
                   help="where the focusing tiles and spectrometer retrievals run: 'serial' "
                   "(this process, Numba "
                   "threads; default), 'local' (a dask LocalCluster of --workers processes) "
                   "or a dask scheduler address such as tcp://host:8786")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes of --scheduler local (default: the cores)")
    p.add_argument("--max-memory", default=None, metavar="SIZE",
                   help="memory limit of the run, e.g. 2G or 800M: block sizes are cut to "
                   "fit (same as --set max_memory_mb=MB)")
    p.add_argument("--restart", action="store_true",
                   help="redo every step (default: reuse products that are complete and "
                   "up to date, as after an interrupted run)")


def _command(sub: Any, name: str, **kw: Any) -> argparse.ArgumentParser:
    """A sub-command's parser with the exit-status epilog."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter, **kw)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``postflight`` command."""
    from sim.catalog import SCENARIOS

    parser = argparse.ArgumentParser(
        prog="postflight",
        description="Process Pi-SAR-L3 post-flight dumps (SAR and GHG/SIF spectrometer).",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"postflight {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log detail on stderr (debug)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="only warnings and errors on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = _command(sub, "inspect", help="summarise a dump: streams, packets, anomalies",
                       description="Read every recorder stream of DUMP, verify every packet "
                       "and summarise packets per APID, instrument-clock span and anomalies.")
    p.add_argument("dump", help="dump directory (holds flight.json)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--compact", action="store_true", help="with --json: on one line")
    p.add_argument("--chunk-mib", type=_positive_int, default=16, metavar="MIB",
                   help="read size in MiB (memory use is a small multiple; default 16)")
    p.set_defaults(func=_cmd_inspect)

    p = _command(sub, "ingest", help="validate a live packet stream as it arrives",
                       description="Read a live recorder stream (hardware-in-the-loop or "
                       "on board), frame and check every packet as it arrives (CRC, "
                       "sequence counts, reassembly), log each anomaly as found, and keep a "
                       "running summary (OUT/live_summary.json) and quicklook "
                       "(OUT/live_quicklook.png) up to date. Ends when the source does.")
    p.add_argument("--follow", required=True, metavar="SOURCE",
                   help="'-' (stdin), 'fifo:PATH', 'tcp://127.0.0.1:PORT' or "
                   "'file:PATH' (a growing segment file)")
    p.add_argument("--stream", default="sar", choices=("sar", "ghgsif"),
                   help="which stream it carries (default sar)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="folder for the running summary and quicklook")
    p.add_argument("--every", type=float, default=1.0, metavar="S",
                   help="seconds between summary updates (default 1)")
    p.add_argument("--idle-timeout", type=float, default=10.0, metavar="S",
                   help="stop after this long without new bytes (a growing file, a "
                   "stalled TCP sender or FIFO writer, a FIFO no writer opens); tcp: also "
                   "give up connecting after this long (default 10)")
    p.add_argument("--json", action="store_true", help="print the final summary as JSON")
    p.set_defaults(func=_cmd_ingest)

    p = _command(sub, "align", help="time-align pulses and frames with the navigation",
                       description="Fit the instrument clocks, map every SAR pulse and "
                       "spectrometer frame to GPS time, and interpolate the navigation: "
                       "antenna phase centres per pulse, footprints and angles per frame. "
                       "Writes OUT/aligned.h5 and prints the clock-fit and gap report.")
    p.add_argument("dump", help="dump directory (holds flight.json)")
    p.add_argument("out", help="output directory")
    p.add_argument("--reference-height", type=float, default=0.0, metavar="M",
                   help="ellipsoidal height of the ground for footprints (default 0)")
    p.add_argument("--max-nav-gap", type=float, default=0.05, metavar="S",
                   help="navigation gaps longer than this invalidate states (default 0.05 s)")
    p.add_argument("--chunk-mib", type=_positive_int, default=16, metavar="MIB",
                   help="read size in MiB (default 16)")
    p.set_defaults(func=_cmd_align)

    p = sub.add_parser("simulate", help="write a simulated dump with its truth",
                       description="Simulate a flight and write it as an ICD dump, with the "
                       "truth in OUT/truth/truth.h5.")
    p.add_argument("scenario", choices=SCENARIOS)
    p.add_argument("out", help="dump directory to write (replaced if it exists)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--duration", type=float, default=None, metavar="S",
                   help="seconds of flight to record")
    p.add_argument("--faults", default=None, metavar="SPEC",
                   help="recorder faults, e.g. 'drop=0.01,dup=0.005,ber=1e-7,truncate=1'")
    p.add_argument("--stream", default=None, metavar="TARGET",
                   help="then replay a recorder stream in real time to '-' (stdout), "
                   "'fifo:PATH' or 'tcp://127.0.0.1:PORT' (serves one client)")
    p.add_argument("--stream-name", default="sar", choices=("sar", "ghgsif"),
                   help="which stream to replay (default sar)")
    p.add_argument("--speed", type=float, default=1.0,
                   help="replay this many times faster than the flight (default 1)")
    p.set_defaults(func=_cmd_simulate)

    p = _command(sub, "process", help="process a dump into products (SAR: GSLC)",
                       description="Align DUMP, assemble L0, range-compress and focus every "
                       "band and polarisation onto a map grid (OUT/<flight_id>_GSLC.h5, NISAR "
                       "GSLC layout), make the polarimetric products and quicklooks, the "
                       "spectrometer L1B and L2, and the flight report (OUT/report.html, "
                       "OUT/report.json). Steps already done and up to date are reused, so "
                       "an interrupted run is resumed by running it again. Logs go to "
                       "stderr and, as JSON lines, to OUT/postflight.log.jsonl.")
    p.add_argument("dump", help="dump directory (holds flight.json)")
    p.add_argument("out", help="output directory")
    p.add_argument("--reflectors", default=None, metavar="CSV",
                   help="surveyed corner reflectors (as for `calibrate`): their image "
                   "quality goes into the flight report")
    _run_arguments(p)
    p.set_defaults(func=_cmd_process)

    p = _command(sub, "calibrate", help="calibration file from a corner-reflector flight",
                       description="Focus a calibration flight (as `process` does, without "
                       "polarimetric products), measure its corner reflectors and write "
                       "OUT/calibration.json: the absolute correction per band from the "
                       "trihedrals, cross-talk and channel imbalance from the distributed "
                       "scene and the brightest trihedral. Later flights apply it with "
                       "--set sar.calibration_file=OUT/calibration.json.")
    p.add_argument("dump", help="dump directory of the calibration flight")
    p.add_argument("out", help="output directory")
    p.add_argument("--reflectors", required=True, metavar="CSV",
                   help="reflector list: x_ecef,y_ecef,z_ecef,kind,rcs_m2 (header line "
                   "first; kind trihedral, dihedral0, dihedral45, ...)")
    _config_arguments(p)
    p.set_defaults(func=_cmd_calibrate)

    p = _command(sub, "demo", help="simulate the built-in demo flight and process it",
                       description="Simulate the `demo` flight into OUT/dump and process it "
                       "into OUT (GSLC, polarimetric products and quicklooks, spectrometer "
                       "L1B and L2); prints where the products are.")
    p.add_argument("out", nargs="?", default="demo-out", help="output directory "
                   "(default demo-out)")
    p.add_argument("--seed", type=int, default=0)
    _run_arguments(p)
    p.set_defaults(func=_cmd_demo)

    p = _command(sub, "export", help="GeoTIFF (COG), GeoJSON and KML of products, for GIS",
                 description="Export PRODUCT (a GSLC, GCOV, polarimetric netCDF or "
                 "spectrometer L2 file, or a directory of them) into OUT: a "
                 "Cloud-Optimized GeoTIFF of every grid layer (gamma0 and sigma0 per "
                 "polarisation in dB, the Pauli RGB, the polarimetric layers), and GeoJSON "
                 "and KML of the flight track, the SAR swath's bounding polygon and the "
                 "spectrometer footprints with their retrieved values. Prints the files "
                 "written.")
    p.add_argument("product", help="product file or output directory of `process`")
    p.add_argument("out", help="folder for the exports")
    p.add_argument("--layer", action="append", default=[], metavar="NAME",
                   help="only this raster layer, e.g. gamma0_HV, pauli, entropy "
                   "(repeatable; default all)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("config", help="write the default run configuration, commented",
                       description="Write the default run configuration as YAML with every "
                       "key and its meaning, to FILE (or stdout); edit it and pass it to "
                       "`process --config`.")
    p.add_argument("file", nargs="?", default=None, help="file to write (default stdout)")
    p.set_defaults(func=_cmd_config)

    p = sub.add_parser("show-versions", help="print versions for bug reports")
    p.set_defaults(func=_cmd_show_versions)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``postflight`` command; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help/--version, 2 for usage errors
        return int(exc.code or 0)
    level = logging.WARNING if args.quiet else (logging.DEBUG if args.verbose else logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S", stream=sys.stderr)
    for handler in logging.root.handlers:  # the run's JSON log may lower logger levels
        handler.setLevel(level)
    for noisy in ("distributed", "numba", "fsspec", "asyncio", "tornado", "bokeh", "PIL"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_UNUSABLE
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("postflight: interrupted", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as exc:  # noqa: BLE001 - the documented exit status for bugs
        from flightlog.provenance import no_room

        if no_room(exc) is not None:  # a full disk met outside a product writer
            return _unusable(args.command, exc)
        log.exception("internal error")
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
