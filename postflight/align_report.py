"""Human-readable text of an alignment report (``postflight align``)."""

from __future__ import annotations

from typing import Any


def format_alignment(rep: dict[str, Any]) -> str:
    """Clock fits, navigation gaps and per-channel validity as text."""
    lines = [f"flight {rep['flight_id']}"]
    for stream, clock in rep["clocks"].items():
        lines.append(f"  {stream} clock: {len(clock['pieces'])} piece(s), "
                     f"{len(clock['rejected'])} sync pair(s) rejected")
        for i, p in enumerate(clock["pieces"]):
            fitted = 1 if p["rate_from_other_pieces"] else 2
            rms = (f"{p['residual_rms_s'] * 1e6:.3f} us, max {p['residual_max_s'] * 1e6:.3f} us"
                   if p["n_pairs"] > fitted else "n/a (no redundancy: as many pairs as "
                   "parameters)")
            lines.append(
                f"    piece {i}: instrument {p['instrument_start']:.6f}..{p['instrument_end']:.6f}"
                f" s, {p['n_pairs']} pairs, drift {p['drift_ppm']:+.3f} ppm, offset "
                f"{p['gps_ref'] - p['instrument_ref']:.6f} s, residual rms {rms}"
                + (" (rate borrowed)" if p["rate_from_other_pieces"] else ""))
        for r in clock["rejected"][:10]:
            lines.append(f"    rejected pair {r['index']}: {r['reason']}")
    nav = rep["navigation"]
    if nav is not None:
        lines.append(f"  navigation: {nav['source']}, {nav['samples']} samples, "
                     f"{nav['median_interval_s'] * 1e3:.1f} ms spacing, "
                     f"{len(nav['gaps'])} gap(s) > {nav['max_gap_s']} s, "
                     f"{len(nav['bad_records'])} bad record(s)")
        for g0, g1 in nav["gaps"][:10]:
            lines.append(f"    gap {g0:.3f} .. {g1:.3f} ({g1 - g0:.3f} s)")
        for b in nav["bad_records"][:10]:
            lines.append(f"    bad record {b['record']}: {b['reason']}")
    for key, v in rep["sar"].items():
        lines.append(f"  sar {key}: {v['pulses']} pulses, {v['invalid']} invalid")
    for key, v in rep["ghgsif"].items():
        lines.append(f"  ghgsif {key}: {v['frames']} frames, {v['invalid_footprints']} "
                     "invalid footprints")
    return "\n".join(lines)
