"""Run every benchmark and print the results table: ``python -m benchmarks``."""

from __future__ import annotations

import argparse
import sys

from benchmarks import (
    bench_ghgsif,
    bench_ingest,
    bench_memory,
    bench_navigation,
    bench_polarimetry,
    bench_postflight,
    bench_sar,
    bench_sim,
)
from benchmarks.common import Result, machine_facts

SUITES = {"ingest": bench_ingest.run, "navigation": bench_navigation.run,
          "sim": bench_sim.run, "sar": bench_sar.run, "polarimetry": bench_polarimetry.run,
          "ghgsif": bench_ghgsif.run, "postflight": bench_postflight.run}
SLOW = {"memory": bench_memory.run}  # only when named


def table(results: list[Result]) -> str:
    """Markdown table of results."""
    rows = ["| figure | ours | baseline | ratio | target | met |",
            "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        base = "-" if r.baseline is None else f"{r.baseline:.3g} {r.unit} ({r.baseline_name})"
        ratio = "-" if r.ratio is None else f"{r.ratio:.1f}x"
        met = {True: "yes", False: "NO", None: "-"}[r.passed]
        rows.append(f"| {r.figure} | {r.ours:.3g} {r.unit} | {base} | {ratio} | {r.target} "
                    f"| {met} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("suites", nargs="*", choices=[*SUITES, *SLOW, []], default=[],
                        help="suites to run (default: all)")
    parser.add_argument("--size-mib", type=int, default=1024,
                        help="stream size of the ingest benchmark")
    parser.add_argument("--sar-grid", type=int, default=4096,
                        help="side of the fast-path grid of the sar benchmark")
    args = parser.parse_args(argv)
    results: list[Result] = []
    for name in args.suites or list(SUITES):
        if name == "ingest":
            results += SUITES[name](args.size_mib)
        elif name == "sar":
            results += SUITES[name](args.sar_grid)
        else:
            results += {**SUITES, **SLOW}[name]()
    facts = machine_facts()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in facts.items()))
    print(table(results))
    return 0 if all(r.passed is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
