"""The field's own CF and ACDD checkers, run offline on a netCDF product.

- ``cfchecks`` (cfchecker, the CF community's checker) with the CF standard-name table
  that compliance-checker ships (v93) and empty stand-ins for the area-type and region
  tables (``tests/data/cf``: no product has an area_type or region variable, and the
  real tables would be downloaded).
- IOOS ``compliance-checker`` with its ``cf:1.8`` and ``acdd`` (1.3) suites.

Both are optional test dependencies (the ``test`` extra); a test skips when one is
missing. cfchecks needs UDUNITS-2's C library (Debian ``libudunits2-0``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path

import pytest

_CF_DATA = Path(__file__).parent / "data" / "cf"

#: cfchecks warnings that are the checker's heuristics, not the product: it checks a
#: coordinate against the first two vertices of its bounds, which holds for 1-D
#: intervals but not for the 4-vertex footprint polygons CF 7.1 allows for 2-D cells
#: (the L2's soundings; their centres lie inside the polygons, tests check it).
CFCHECKS_KNOWN_WARNINGS = ("lies outside cell boundaries",)
ACDD_ALLOWED_MISSING = ("standard_name",)
"""Variable attributes ACDD may find missing: CF's table has no name for SIF, chi-square,
counts and most retrieval diagnostics (they have long_name, units and
coverage_content_type)."""


def cfchecks(path: Path) -> dict[str, list[str]]:
    """cfchecks' ``FATAL``/``ERROR``/``WARN`` messages of a file, by category."""
    try:
        import cfchecker.cfchecks as cfchecker
    except (ImportError, OSError) as exc:  # cfunits raises OSError without libudunits2
        pytest.skip(f"cfchecker unavailable: {exc}")
    cc = pytest.importorskip("compliance_checker")
    table = Path(cc.__file__).parent / "data" / "cf-standard-name-table.xml"
    checker = cfchecker.CFChecker(
        cfStandardNamesXML=str(table),
        cfAreaTypesXML=str(_CF_DATA / "area-type-table.xml"),
        cfRegionNamesXML=str(_CF_DATA / "standardized-region-list.xml"),
        version=cfchecker.vn1_8, silent=True)
    with contextlib.redirect_stdout(io.StringIO()):
        checker.checker(str(path))
    out: dict[str, list[str]] = {"FATAL": [], "ERROR": [], "WARN": []}
    for res in checker.all_results.values():
        scopes = [res["global"], *res["variables"].values()]
        for scope in scopes:
            for cat in out:
                out[cat] += scope.get(cat, [])
    return out


def compliance(path: Path, checks: tuple[str, ...] = ("cf:1.8", "acdd")
               ) -> dict[str, dict[str, list[str]]]:
    """compliance-checker's failed results: checker -> priority -> ``name: message``."""
    runner = pytest.importorskip("compliance_checker.runner")
    runner.CheckSuite.load_all_available_checkers()
    fd, tmp = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        with contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            runner.ComplianceChecker.run_checker(str(path), list(checks), 0, "normal",
                                                 output_filename=tmp,
                                                 output_format="json")
        report = json.loads(Path(tmp).read_text())
    finally:
        os.unlink(tmp)
    out: dict[str, dict[str, list[str]]] = {}
    for name, res in report.items():
        failed: dict[str, list[str]] = {}
        for prio in ("high_priorities", "medium_priorities", "low_priorities"):
            failed[prio] = [f"{r['name']}: {m}" for r in res.get(prio, [])
                            if r["value"][0] != r["value"][1] for m in r["msgs"]]
        out[name] = failed
    return out


def assert_cf_acdd(path: Path) -> None:
    """Neither checker finds a CF error; ACDD's highly recommended attributes are there."""
    cf = cfchecks(path)
    assert not cf["FATAL"] and not cf["ERROR"], (path.name, cf)
    unknown = [w for w in cf["WARN"] if not any(k in w for k in CFCHECKS_KNOWN_WARNINGS)]
    assert not unknown, (path.name, unknown)
    rep = compliance(path)
    cf18 = next(v for k, v in rep.items() if k.startswith("cf"))
    assert not cf18["high_priorities"], (path.name, cf18["high_priorities"])
    assert not cf18["medium_priorities"], (path.name, cf18["medium_priorities"])
    acdd = next(v for k, v in rep.items() if k.startswith("acdd"))
    high = [m for m in acdd["high_priorities"]
            if not ("missing the following attributes" in m
                    and m.rsplit(": ", 1)[-1] in ACDD_ALLOWED_MISSING)]
    assert not high, (path.name, high)
