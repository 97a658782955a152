"""The flight report: ``OUT/report.json`` and a self-contained ``OUT/report.html``.

What a flight engineer reads first after a run: the dump's anomalies (stream faults,
rejected clock pairs, navigation gaps and bad records, invalid pulses and footprints),
the clock fits, the processed extents, the image quality of any surveyed corner
reflectors (impulse response width, PSLR, ISLR, peak offset from the survey), the
spectrometer retrievals' statistics, and every PNG quicklook in ``OUT`` embedded in the
HTML (base64), so the file can be mailed on its own.
"""

from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from flightlog.provenance import atomic_output, software_version
from postflight import plots


def anomalies(summary: dict[str, Any]) -> list[str]:
    """One line per anomaly of the run's alignment report (empty when all was well)."""
    rep = summary.get("alignment") or {}
    out = [f"{name}: described in flight.json but silent, no products ({why})"
           for name, why in (summary.get("silent_instruments") or {}).items()]
    out += [f"{name}: {n} stream anomal{'y' if n == 1 else 'ies'} (see `postflight inspect`)"
           for name, n in (rep.get("stream_anomalies") or {}).items() if n]
    for name, clock in (rep.get("clocks") or {}).items():
        if clock.get("rejected"):
            out.append(f"{name} clock: {len(clock['rejected'])} sync pair(s) rejected")
        if len(clock.get("pieces", [])) > 1:
            out.append(f"{name} clock: {len(clock['pieces'])} pieces (a clock jump or reset)")
    nav = rep.get("navigation") or {}
    if nav.get("gaps"):
        out.append(f"navigation: {len(nav['gaps'])} gap(s) longer than {nav['max_gap_s']} s")
    if nav.get("bad_records"):
        out.append(f"navigation: {len(nav['bad_records'])} bad record(s)")
    for key, v in (rep.get("sar") or {}).items():
        if v.get("invalid"):
            out.append(f"SAR {key}: {v['invalid']} of {v['pulses']} pulses without valid "
                       "navigation or time")
    for key, v in (rep.get("ghgsif") or {}).items():
        if v.get("invalid_footprints"):
            out.append(f"spectrometer {key}: {v['invalid_footprints']} of {v['frames']} frames "
                       "without a valid footprint")
    for key, why in (summary.get("unfocused_channels") or {}).items():
        out.append(f"SAR {key}: not focused ({why})")
    for key, ch in (summary.get("channels") or {}).items():
        if ch.get("missing_pulses"):
            out.append(f"SAR {key}: {ch['missing_pulses']} pulses missing from the stream")
    return out


#: How far (dB) below a reflector's strongest channel a channel's peak may be and still be
#: measured: a trihedral or a 0-degree dihedral answers in HH and VV, a 45-degree dihedral
#: in HV and VH; the channels it does not answer in hold only clutter at its place.
RESPONSE_RANGE_DB = 10.0


def reflector_quality(gslc: str | os.PathLike[str], reflectors: str | os.PathLike[str],
                      heading_deg: float, chip: int = 64) -> list[dict[str, Any]]:
    """Impulse response of every surveyed reflector inside the GSLC (first band).

    Each reflector is measured in every channel where it responds (a peak within
    :data:`RESPONSE_RANGE_DB` of its strongest channel): widths, PSLR and ISLR of both
    cuts, and the peak's offset from the surveyed position. The other channels are marked
    ``{"not_applicable": "..."}`` with their peak's level below the strongest.
    ``heading_deg`` is the track's heading in the grid (the azimuth cut).
    """
    from sarproc.calibration import grid_xy, read_reflectors
    from sarproc.products.gslc import GRIDS

    out = []
    with h5py.File(gslc, "r") as h5:
        g = h5[f"{GRIDS}/frequencyA"]
        x, y = g["xCoordinates"][()], g["yCoordinates"][()]
        epsg = int(g["projection"][()])
        spacing = float(g["xCoordinateSpacing"][()])
        pols = [p for p in ("HH", "HV", "VH", "VV") if p in g]
        for n, r in enumerate(read_reflectors(reflectors)):
            px, py = grid_xy(epsg, r.position)
            i, j = int(np.argmin(np.abs(y - py))), int(np.argmin(np.abs(x - px)))
            h = chip // 2
            if not (h <= i < y.size - h and h <= j < x.size - h):
                continue
            entry: dict[str, Any] = {"index": n, "kind": r.kind, "row": i, "col": j}
            chips = {p: g[p][i - h: i + h, j - h: j + h] for p in pols}
            chips = {p: c for p, c in chips.items() if np.all(np.isfinite(c)) and np.any(c)}
            if not chips:
                continue
            q = h // 4  # the peak is looked for near the surveyed place
            level = {p: float(10 * np.log10(np.max(np.abs(c[h - q: h + q, h - q: h + q]) ** 2)))
                     for p, c in chips.items()}
            top = max(level.values())
            for pol, img in chips.items():
                if level[pol] < top - RESPONSE_RANGE_DB:
                    entry[pol] = {"not_applicable": f"no response: peak {top - level[pol]:.0f}"
                                  " dB below the strongest channel"}
                else:
                    entry[pol] = _measure(img, spacing, heading_deg, float(x[j - h] - px),
                                          float(y[i - h] - py))
            out.append(entry)
    return out


def _measure(img: np.ndarray, spacing: float, heading: float, dx0: float,
             dy0: float) -> dict[str, Any]:
    """Point-target quality of a chip.

    Its first pixel centre is ``(dx0, dy0)`` m (grid east, north) from the surveyed position.
    """
    from sarproc.quality import point_target

    try:
        q = point_target(img, spacing, heading, chip=img.shape[0] // 2, upsample=8,
                         peak=(img.shape[0] // 2, img.shape[1] // 2))
    except ValueError as exc:
        return {"error": str(exc)}
    return {"peak_db": float(20 * np.log10(max(q.peak_amplitude, 1e-30))),
            "offset_east_m": dx0 + q.peak_east_m, "offset_north_m": dy0 + q.peak_north_m,
            **{f"{cut}_{k}": float(getattr(getattr(q, cut), k)) for cut in ("azimuth", "range")
               for k in ("irw_m", "pslr_db", "islr_db")}}


def retrieval_statistics(l2: str | os.PathLike[str]) -> dict[str, Any]:
    """Count, mean, standard deviation and median of every L2 retrieval; flag counts."""
    import netCDF4

    stats: dict[str, Any] = {}
    with netCDF4.Dataset(l2) as nc:
        n = nc.dimensions["sounding"].size if "sounding" in nc.dimensions else 0
        stats["soundings"] = int(n)
        for name in ("sif_757", "sif_771", "sif_757_o2a", "sif_757_sfld", "sif_757_3fld",
                     "sif_757_ifld", "xco2", "xch4", "xch4_proxy", "cloud_delta_pressure",
                     "cloud_co2_delta_pressure"):
            if name not in nc.variables:
                continue
            v = np.ma.filled(nc.variables[name][:].astype(np.float64), np.nan)
            ok = np.isfinite(v)
            stats[name] = {"valid": int(ok.sum()),
                           "units": getattr(nc.variables[name], "units", ""),
                           **({"mean": float(v[ok].mean()), "std": float(v[ok].std()),
                               "median": float(np.median(v[ok]))} if ok.any() else {})}
        for name in ("cloud_flag", "quality_flag"):
            if name in nc.variables:
                stats[name] = _flag_counts(nc.variables[name])
    return stats


def _flag_counts(var: Any) -> dict[str, int]:
    """Soundings per CF flag meaning.

    flag_values: the soundings of each value; flag_masks: those with each bit set, and
    ``good`` for those with none.
    """
    v = np.ma.filled(var[:], 0).astype(np.int64)
    names = str(getattr(var, "flag_meanings", "")).split()
    if hasattr(var, "flag_masks"):
        masks = np.atleast_1d(var.flag_masks).astype(np.int64)
        out = {"good": int(np.sum(v == 0))}
        out.update({m: int(np.sum((v & b) != 0)) for m, b in zip(names, masks, strict=False)})
        return out
    values = np.atleast_1d(getattr(var, "flag_values", np.unique(v))).astype(np.int64)
    label = dict(zip(values.tolist(), names or [str(k) for k in values], strict=False))
    return {label.get(int(k), str(k)): int(c)
            for k, c in zip(*np.unique(v, return_counts=True), strict=True)}


#: CF units of the L2 as a reader says them.
UNIT_NAMES = {"1e-6": "ppm", "1e-9": "ppb"}


def clock_warnings(alignment: dict[str, Any]) -> list[str]:
    """Clock fits that cannot be checked: as many parameters as sync pairs (rms 0)."""
    out = []
    for name, clock in (alignment.get("clocks") or {}).items():
        for i, p in enumerate(clock.get("pieces", [])):
            params = 1 if p.get("rate_from_other_pieces") else 2
            if p["n_pairs"] <= params:
                out.append(f"{name} clock piece {i}: {p['n_pairs']} sync pair(s) for {params}"
                           " parameter(s) (offset" + (")" if params == 1 else " and rate)")
                           + ": no redundancy, so the fit cannot be checked (its residual is "
                           "0 by construction)")
    return out


def build_report(out: Path, summary: dict[str, Any], config: Any,
                 reflectors: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The report's content (JSON-ready)."""
    rep: dict[str, Any] = {
        "flight_id": summary.get("flight_id"), "dump": summary.get("dump"),
        "platform": _platform(summary.get("dump")),
        "software_version": software_version(), "anomalies": summary["anomalies"],
        "warnings": clock_warnings(summary.get("alignment") or {}),
        "alignment": summary.get("alignment"), "inputs": summary.get("inputs"),
        "steps": summary.get("steps"), "scale_out": summary.get("scale_out"),
        "configuration": config.model_dump(mode="json")}
    if "gslc" in summary:
        rep["sar"] = {"gslc": summary["gslc"], "grid": summary.get("grid"),
                      "channels": summary.get("channels"),
                      "products": summary.get("polarimetry", {})}
        if reflectors:
            rep["sar"]["reflectors"] = reflector_quality(
                summary["gslc"], reflectors, float(summary.get("track_heading_deg", 0.0)))
    gs = summary.get("ghgsif")
    if gs:
        rep["spectrometer"] = {"l1b": gs["l1b"], "l2": gs["l2"], "bands": gs.get("bands"),
                               "statistics": retrieval_statistics(gs["l2"])}
    rep["quicklooks"] = sorted(str(p.relative_to(out)) for p in out.rglob("*.png")
                               if "dump" not in p.relative_to(out).parts[:1])
    return rep


def _platform(dump: Any) -> str | None:
    from flightlog.descriptor import load_descriptor

    try:
        return load_descriptor(Path(dump)).platform if dump else None
    except (OSError, ValueError):
        return None


def _table(rows: list[list[Any]], head: list[str]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _header(rep: dict[str, Any], nav: dict[str, np.ndarray] | None) -> str:
    """Date and UTC times of the navigation, platform, area, software, dump."""
    from flightlog.cfmeta import iso_utc_second

    rows: list[list[Any]] = []
    if nav is not None:
        t0, t1 = iso_utc_second(float(nav["t"][0])), iso_utc_second(float(nav["t"][-1]))
        rows += [["date (UTC)", t0[:10]], ["navigation from, to (UTC)", f"{t0} to {t1}"],
                 ["area (lon min, lat min, lon max, lat max; track)",
                  ", ".join(f"{v:.4f}" for v in (np.nanmin(nav["lon"]), np.nanmin(nav["lat"]),
                                                 np.nanmax(nav["lon"]),
                                                 np.nanmax(nav["lat"])))]]
    rows += [["platform", rep.get("platform") or "not stated in flight.json"],
             ["software", f"pisar-l3 {rep['software_version']}"],
             ["dump", rep.get("dump")], ["execution", rep.get("scale_out")]]
    return "<table class='header'>" + "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in rows) + "</table>"


def render_html(rep: dict[str, Any], out: Path) -> str:
    """The report as one self-contained HTML page (quicklooks inlined)."""
    e = html.escape
    track = plots.navigation(rep["dump"]) if rep.get("dump") else None
    parts = [f"<h1>Flight {e(str(rep['flight_id']))}</h1>", _header(rep, track),
             "<h2>Anomalies</h2>"]
    parts.append("<ul>" + "".join(f"<li>{e(a)}</li>" for a in rep["anomalies"]) + "</ul>"
                 if rep["anomalies"] else "<p>none</p>")
    if rep.get("warnings"):
        parts += ["<h2>Warnings</h2>", "<ul>" + "".join(f"<li>{e(w)}</li>"
                                                       for w in rep["warnings"]) + "</ul>"]
    al = rep.get("alignment") or {}
    rows = []
    for name, clock in (al.get("clocks") or {}).items():
        pieces = clock.get("pieces", [])
        fitted = [q for q in pieces if not q.get("rate_from_other_pieces")]
        for i, p in enumerate(pieces):
            drift: Any = p["drift_ppm"]
            if p.get("rate_from_other_pieces"):  # too few pairs to fit a rate of its own
                drift = f"{drift:.4g} ({'from the other pieces' if fitted else 'nominal'})"
            checked = p["n_pairs"] > (1 if p.get("rate_from_other_pieces") else 2)
            rms: Any = p["residual_rms_s"] * 1e6 if checked else "n/a (no redundancy)"
            mx: Any = p["residual_max_s"] * 1e6 if checked else "n/a"
            rows.append([name, i, p["n_pairs"], drift, rms, mx,
                         len(clock.get("rejected", []))])
    parts += ["<h2>Clock fits</h2>", _table(rows, ["stream", "piece", "pairs", "drift ppm",
                                                  "rms us", "max us", "rejected pairs"])]
    nav = al.get("navigation") or {}
    if nav:
        parts.append(f"<h2>Navigation</h2><p>{e(str(nav.get('source')))}: {nav.get('samples')} "
                     f"samples, {len(nav.get('gaps', []))} gap(s), "
                     f"{len(nav.get('bad_records', []))} bad record(s)</p>")
        if nav.get("gaps"):
            parts.append(_table([[g0, g1, g1 - g0] for g0, g1 in nav["gaps"][:50]],
                                ["gap start (GPS s)", "end", "seconds"]))
    sar = rep.get("sar")
    if sar:
        grid = sar.get("grid") or {}
        ny, nx = grid.get("shape") or ("?", "?")
        bounds = ", ".join(f"{v:.1f}" for v in grid.get("bounds") or [])
        parts.append("<h2>SAR</h2>" + f"<p>GSLC {e(sar['gslc'])}; grid EPSG "
                     f"{grid.get('epsg')}, {ny} x {nx} px at {grid.get('spacing_m')} m, "
                     f"bounds [{e(bounds)}] m (x min, y min, x max, y max)</p>")
        parts.append(_table([[k, v["pulses"], v["valid_pulses"], v["missing_pulses"],
                              v["replica"]] for k, v in (sar.get("channels") or {}).items()],
                            ["channel", "pulses", "focused", "missing", "replica"]))
        refl = sar.get("reflectors")
        if refl:
            rows = []
            for r in refl:
                for pol in ("HH", "HV", "VH", "VV"):
                    q = r.get(pol)
                    if not q:
                        continue
                    if "error" in q or "not_applicable" in q:
                        rows.append([r["index"], r["kind"], pol,
                                     q.get("not_applicable") or q["error"]] + [""] * 8)
                        continue
                    rows.append([r["index"], r["kind"], pol, q["peak_db"],
                                 q["azimuth_irw_m"], q["range_irw_m"],
                                 q["azimuth_pslr_db"], q["range_pslr_db"],
                                 q["azimuth_islr_db"], q["range_islr_db"],
                                 q["offset_east_m"], q["offset_north_m"]])
            parts += ["<h3>Corner reflectors</h3>", _table(rows, [
                "#", "kind", "pol", "peak dB", "az width m", "rg width m", "az PSLR dB",
                "rg PSLR dB", "az ISLR dB", "rg ISLR dB", "east offset m",
                "north offset m"])]
    spec = rep.get("spectrometer")
    if spec:
        st = spec["statistics"]
        rows = [[k, UNIT_NAMES.get(v.get("units", ""), v.get("units", "")), v["valid"],
                 v.get("mean"), v.get("std"), v.get("median")]
                for k, v in st.items() if isinstance(v, dict) and "valid" in v]

        def flags(name: str) -> str:
            return ", ".join(f"{k} {n}" for k, n in (st.get(name) or {}).items()) or "none"

        parts += ["<h2>Spectrometer</h2>", f"<p>L1B {e(spec['l1b'])}; L2 {e(spec['l2'])}; "
                  f"{st.get('soundings')} soundings. Cloud flag: {e(flags('cloud_flag'))}. "
                  f"Quality flags (soundings with each set): {e(flags('quality_flag'))}.</p>",
                  _table(rows, ["retrieval", "units", "valid", "mean", "std", "median"])]
    figures = plots.report_figures(rep, track)
    if figures:
        parts.append("<h2>Figures</h2>")
        for title, png in figures:
            data = base64.b64encode(png).decode()
            parts.append(f"<figure><img alt='{e(title)}' src='data:image/png;base64,{data}'>"
                         f"<figcaption>{e(title)}</figcaption></figure>")
    if rep["quicklooks"]:
        parts.append("<h2>Quicklooks</h2>")
        for q in rep["quicklooks"]:
            data = base64.b64encode((out / q).read_bytes()).decode()
            parts.append(f"<figure><img alt='{e(q)}' src='data:image/png;base64,{data}'>"
                         f"<figcaption>{e(q)}</figcaption></figure>")
    style = ("body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:"
             "collapse}td,th{border:1px solid #999;padding:2px 6px;font-size:90%}"
             "img{max-width:100%}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Flight "
            f"{e(str(rep['flight_id']))}</title><style>{style}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")


def write_report(out: str | os.PathLike[str], summary: dict[str, Any], config: Any,
                 reflectors: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """Write ``OUT/report.json`` and ``OUT/report.html`` atomically; returns their paths."""
    out = Path(out)
    rep = build_report(out, summary, config, reflectors)
    paths = {"json": out / "report.json", "html": out / "report.html"}
    with atomic_output(paths["json"]) as tmp:
        tmp.write_text(json.dumps(rep, indent=2, default=str))
    with atomic_output(paths["html"]) as tmp:
        tmp.write_text(render_html(rep, out))
    return paths
