"""`postflight process` as a run: resume, kill-and-resume, scale-out, report and logs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from test_postflight_faults import check_products

from postflight.cli import main
from postflight.process import load_config, process_dump
from postflight.runstate import MANIFEST

pytestmark = pytest.mark.flight

# a quick but complete run: every product kind (GSLC, GCOV, polarimetric netCDF,
# quicklooks, spectrometer L1B and L2 with XCO2 / XCH4 every fourth frame)
FAST = ["sar.grid.spacing_m=2", "ghgsif.xgas_every=4"]
# the only attributes and datasets that may differ between equal runs: creation times
VOLATILE = {"created_utc", "date_created", "history", "processingDateTime"}


def _products(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_file() and p.suffix in (".h5", ".nc", ".png"))


def _h5_content(path: Path) -> dict[str, object]:
    """Every dataset (bytes) and attribute of an HDF5 / netCDF4 file, but the volatile."""
    got: dict[str, object] = {}
    with h5py.File(path, "r") as f:
        def visit(name: str, obj: object) -> None:
            if isinstance(obj, h5py.Dataset) and name.rsplit("/", 1)[-1] not in VOLATILE:
                got[name] = obj[()].tobytes() if obj.shape != () else repr(obj[()])
            for k, v in obj.attrs.items():  # type: ignore[attr-defined]
                if k not in VOLATILE and not k.startswith("_Netcdf4"):
                    got[f"{name}@{k}"] = repr(v)
        visit("/", f)
        f.visititems(visit)
    return got


def assert_same_products(a: Path, b: Path) -> None:
    pa, pb = _products(a), _products(b)
    assert [p.name for p in pa] == [p.name for p in pb]
    for x, y in zip(pa, pb, strict=True):
        if x.suffix == ".png":
            assert x.read_bytes() == y.read_bytes(), x.name
        else:
            cx, cy = _h5_content(x), _h5_content(y)
            assert cx.keys() == cy.keys(), x.name
            diff = [k for k in cx if cx[k] != cy[k]]
            assert not diff, f"{x.name}: {diff[:5]}"


@pytest.fixture(scope="module")
def reference(demo_dump, tmp_path_factory):
    """One uninterrupted serial run of the demo dump."""
    out = tmp_path_factory.mktemp("ref")
    summary = process_dump(demo_dump, out, load_config(None, FAST))
    return out, summary


def test_reference_run_has_every_product_report_and_log(reference):
    out, summary = reference
    names = {p.name for p in _products(out)}
    fid = summary["flight_id"]
    assert {f"{fid}_GSLC.h5", f"{fid}_GHGSIF_L1B.nc", f"{fid}_GHGSIF_L2.nc"} <= names
    assert any(n.endswith("_pauli.png") for n in names)
    assert any(n.endswith("_GCOV.h5") for n in names)
    rep = json.loads((out / "report.json").read_text())
    assert rep["anomalies"] == []
    assert rep["spectrometer"]["statistics"]["soundings"] > 0
    assert rep["quicklooks"]
    html = (out / "report.html").read_text()
    # the quicklooks and the figures (track map, navigation, retrievals along track)
    assert html.count("data:image/png;base64,") == len(rep["quicklooks"]) + 3
    for title in ("Track map", "Navigation", "Retrievals along track"):
        assert f"<figcaption>{title}</figcaption>" in html
    ny, nx = summary["grid"]["shape"]
    assert f"{ny} x {nx} px at {summary['grid']['spacing_m']} m" in html  # was "None x None"
    assert "src='http" not in html  # self-contained
    lines = [json.loads(x) for x in (out / "postflight.log.jsonl").read_text().splitlines()]
    ends = {x["step"] for x in lines if x.get("event") == "end"}
    assert {"align", "L0 assembly", "SAR focusing", "polarimetric products",
            "spectrometer L1B and L2", "flight report"} <= ends
    assert summary["steps"]["reused"] == []


def test_report_reads_as_a_person_reads_it(reference, demo_dump, tmp_path):
    """Units as ppm/ppb, flags by their CF meanings, a clock fit without redundancy warned
    of (the demo's SAR clock: 2 pairs for offset and rate), each reflector measured in the
    channels where it responds (a 45-degree dihedral in HV and VH, not in HH)."""
    from postflight.report import write_report

    out, summary = reference
    for p in out.glob("*"):
        if p.is_file():
            shutil.copy(p, tmp_path / p.name)
    write_report(tmp_path, summary, load_config(None, FAST),
                 demo_dump / "truth" / "reflectors.csv")
    rep = json.loads((tmp_path / "report.json").read_text())
    html = (tmp_path / "report.html").read_text()
    pieces = rep["alignment"]["clocks"]["sar"]["pieces"]
    if any(p["n_pairs"] <= 2 for p in pieces):
        assert any("no redundancy" in w for w in rep["warnings"])
        assert "n/a (no redundancy)" in html
    assert "<td>ppm</td>" in html and "<td>ppb</td>" in html and "1e-6" not in html
    text = html.split("<h2>Spectrometer</h2>")[1].split("</p>")[0]
    assert "{" not in text and "clear" in text
    assert "None" not in html
    # the header: date and UTC times of the navigation, the platform of flight.json, area
    head = html.split("<h2>")[0]
    assert "navigation from, to (UTC)" in head and "Gulfstream II" in head
    assert "area (lon min, lat min, lon max, lat max; track)" in head
    # every embedded picture decodes and is not blank
    import base64
    import io
    import re

    from PIL import Image

    pics = re.findall(r"src='data:image/png;base64,([^']*)'", html)
    assert len(pics) >= 5
    for b64 in pics:
        img = np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("L"), float)
        assert min(img.shape) >= 300 and img.std() > 5
    kinds = {r["kind"]: r for r in rep["sar"]["reflectors"]}
    d45 = kinds["dihedral45"]
    assert "not_applicable" in d45["HH"] and "not_applicable" in d45["VV"]
    assert "azimuth_irw_m" in d45["HV"] and "azimuth_irw_m" in d45["VH"]
    tri = kinds["trihedral"]
    assert "azimuth_irw_m" in tri["HH"] and "not_applicable" in tri["HV"]


def test_report_renders_in_a_headless_browser(reference, tmp_path):
    """The demo report as a person sees it: Chromium (Debian's ``chromium`` package)
    renders it headless to a screenshot with its pictures drawn (a page of text alone is
    nearly all white). ``scripts/report-screenshot`` does the same by hand."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("no chromium here (apt install chromium)")
    from PIL import Image

    out, _ = reference
    shot = tmp_path / "report.png"
    subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1200,6000", f"--screenshot={shot}",
                    (out / "report.html").resolve().as_uri()],
                   capture_output=True, timeout=120, check=True)
    img = np.asarray(Image.open(shot).convert("L"))
    assert img.shape == (6000, 1200)
    dark = img < 128
    # the figures and quicklooks fill a good part of the page: the quicklooks' black
    # scene alone is more than a tenth of it
    assert dark.mean() > 0.1
    assert dark[:1000].any()  # the header and the first sections are drawn


def test_second_run_reuses_and_a_changed_key_redoes(reference, demo_dump, tmp_path):
    out = tmp_path / "moved"
    shutil.copytree(reference[0], out)  # a moved output folder resumes too
    again = process_dump(demo_dump, out, load_config(None, FAST))
    assert set(again["steps"]["reused"]) == {"l0", "gslc", "polarimetry", "ghgsif"}
    assert again["steps"]["made"] == []
    # a polarimetry key changes: only that step is redone; a touched GSLC is redone too
    changed = process_dump(demo_dump, out, load_config(None, [*FAST, "pol.looks=[3, 3]"]))
    assert changed["steps"]["made"] == ["polarimetry"]
    gslc = Path(changed["gslc"])
    os.utime(gslc, ns=(gslc.stat().st_atime_ns, gslc.stat().st_mtime_ns + 1))
    redone = process_dump(demo_dump, out, load_config(None, FAST))
    assert "gslc" in redone["steps"]["made"] and "l0" in redone["steps"]["reused"]
    assert_same_products(out, reference[0])


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "postflight.cli", *args]


def _kill_when(proc: subprocess.Popen, log: Path, step: str, delay: float) -> bool:
    """SIGKILL ``proc`` ``delay`` seconds after ``step`` starts; False if it ended first."""
    while proc.poll() is None:
        if log.exists() and any(json.loads(x).get("step") == step and
                                json.loads(x).get("event") == "start"
                                for x in log.read_text().splitlines() if x.strip()):
            time.sleep(delay)
            if proc.poll() is not None:
                return False
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.005)
    return False


def test_sigkill_at_random_points_then_resume_equals_uninterrupted(reference, demo_dump,
                                                                   tmp_path):
    env = {**os.environ, "POSTFLIGHT_PROGRESS": "0"}
    sets = sum((["--set", s] for s in FAST), [])
    ref_names = {p.name for p in _products(reference[0])}
    rng = np.random.default_rng(8)
    # a random moment inside every step of the run (align writes only the manifest)
    for trial, (step, longest) in enumerate([("align", 0.2), ("L0 assembly", 0.05),
                                             ("SAR focusing", 2.0),
                                             ("polarimetric products", 0.05),
                                             ("spectrometer L1B and L2", 2.0),
                                             ("flight report", 0.0)]):
        out = tmp_path / f"out{trial}"
        cmd = _cli("process", str(demo_dump), str(out), *sets)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        killed = _kill_when(proc, out / "postflight.log.jsonl", step,
                            float(rng.uniform(0.0, longest)))
        assert killed, f"the run ended before it could be killed in {step!r}"
        # never a partial product: whatever carries a product's name is complete
        for p in _products(out):
            assert p.name in ref_names
            if p.suffix != ".png":
                assert _h5_content(p).keys() == _h5_content(reference[0] / p.name).keys()
        if (out / MANIFEST).exists():
            json.loads((out / MANIFEST).read_text())
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        assert not [p for p in out.rglob("*.part")]
        assert not (out / ".postflight.lock").exists()
        assert_same_products(out, reference[0])


def test_local_cluster_of_two_workers_is_bit_identical(reference, demo_dump, tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "dist"
    args = ["process", str(demo_dump), str(out), "--scheduler", "local", "--workers", "2"]
    assert main([*args, *sum((["--set", s] for s in FAST), [])]) == 0
    summary = json.loads((out / "process_summary.json").read_text())
    assert summary["scale_out"] == "dask.distributed (2 workers)"
    assert_same_products(out, reference[0])


def test_faulted_dump_reports_anomalies_and_exits_10(tmp_path):
    from sim import simulate

    dump = simulate("demo", tmp_path / "dump", seed=3, duration_s=1.0,
                    faults="drop=0.01,dup=0.005")
    out = tmp_path / "out"
    status = main(["process", str(dump), str(out), "--set", "sar.grid.spacing_m=4",
                   "--set", "pol.enabled=false", "--set", "ghgsif.enabled=false"])
    assert status == 10
    rep = json.loads((out / "report.json").read_text())
    assert any("stream anomal" in a for a in rep["anomalies"])
    assert "Anomalies" in (out / "report.html").read_text()


def test_busy_output_folder_is_refused(demo_dump, tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    import fcntl

    with open(out / ".postflight.lock", "w") as fh:  # held by a live run
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write(str(os.getpid()))
        fh.flush()
        assert main(["process", str(demo_dump), str(out)]) == 2


@pytest.mark.parametrize("silent", ["sar", "ghgsif"])
def test_a_silent_instrument_is_an_anomaly_and_the_other_is_processed(tmp_path, silent):
    """A described instrument whose stream holds no data packet: exit 10, the other
    instrument's products made."""
    from sim import simulate

    dump = simulate("demo", tmp_path / "dump", seed=3, duration_s=1.0)
    folder = dump / silent
    for seg in folder.glob("*.dat"):  # a recorder that wrote nothing but idle bytes
        seg.write_bytes(b"\x00" * 100)
    out = tmp_path / "out"
    status = main(["process", str(dump), str(out), "--set", "sar.grid.spacing_m=4",
                   "--set", "pol.enabled=false", "--set", "ghgsif.xgas_every=8"])
    assert status == 10
    rep = json.loads((out / "report.json").read_text())
    assert any(a.startswith(f"{silent}: described in flight.json but silent")
               for a in rep["anomalies"])
    names = [p.name for p in out.iterdir()]
    has_gslc = any(n.endswith("_GSLC.h5") for n in names)
    has_l2 = any(n.endswith("_GHGSIF_L2.nc") for n in names)
    assert (has_gslc, has_l2) == ((False, True) if silent == "sar" else (True, False))


_LIMITED = """import resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))  # Python ignores SIGXFSZ: EFBIG
from postflight.cli import main

sys.exit(main(sys.argv[2:]))
"""


def test_output_that_cannot_grow_exits_2_naming_it_then_resume_completes(reference, demo_dump,
                                                                         tmp_path):
    """A write that fails for lack of room (here a 1 MiB file size limit, as a full disk
    fails it) ends in exit 2 naming the product, nothing partial, no lock: it ended in a
    segfault. The run then resumes to the uninterrupted run's products."""
    env = {**os.environ, "POSTFLIGHT_PROGRESS": "0"}
    out = tmp_path / "out"
    args = ["process", str(demo_dump), str(out), *sum((["--set", s] for s in FAST), [])]
    r = subprocess.run([sys.executable, "-c", _LIMITED, str(1 << 20), *args], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 2, r.stderr[-3000:]
    assert "File too large while writing" in r.stderr and "l0.h5" in r.stderr
    assert not list(out.rglob("*.part")) and not (out / ".postflight.lock").exists()
    done = subprocess.run(_cli(*args), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert_same_products(out, reference[0])


@pytest.fixture()
def small_disk(tmp_path):
    """A 64 MiB tmpfs (root only: skipped elsewhere)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m",
                                            "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=False)


def test_disk_full_in_each_later_step_exits_2_and_loses_nothing(reference, demo_dump,
                                                                small_disk):
    """Fill the disk, then redo one step at a time (polarimetry, spectrometer, report):
    exit 2 naming the file, the earlier products intact; with room again, exit 0."""
    env = {**os.environ, "POSTFLIGHT_PROGRESS": "0"}
    out = small_disk / "out"
    base = ["process", str(demo_dump), str(out), *sum((["--set", s] for s in FAST), [])]
    assert subprocess.run(_cli(*base), env=env, capture_output=True).returncode == 0
    ballast = small_disk / "ballast"
    for change in ("pol.looks=[2,2]", "ghgsif.xgas_every=3"):
        before = {p.name: p.read_bytes() for p in _products(out)}
        st = os.statvfs(small_disk)
        with open(ballast, "wb") as fh:  # leave 16 KiB
            fh.truncate(0)
            os.posix_fallocate(fh.fileno(), 0, st.f_bavail * st.f_frsize - (16 << 10))
        r = subprocess.run(_cli(*base, "--set", change), env=env, capture_output=True,
                           text=True)
        assert r.returncode == 2, r.stderr[-3000:]
        assert "No space left on device" in r.stderr and str(out) in r.stderr
        assert not list(out.rglob("*.part")) and not (out / ".postflight.lock").exists()
        after = {p.name: p.read_bytes() for p in _products(out)}
        assert after == {k: v for k, v in before.items() if k in after}  # none damaged
        ballast.unlink()
        done = subprocess.run(_cli(*base, "--set", change), env=env, capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        check_products(out)


def test_a_channel_that_cannot_be_focused_is_an_anomaly_and_the_others_are_made(tmp_path):
    """Found by the fault-mix property test: sync loss and bit errors leave HV one timed
    pulse and VH no echo; focusing raised ValueError (exit 1) for HV and said nothing of
    VH. Now: exit 10, both named in the report, HH and VV focused."""
    from sim import simulate

    dump = simulate("demo", tmp_path / "dump", seed=387, duration_s=0.8,
                    faults="reorder=0.02,sync_drop=0.2,ber=0.0001,truncate=1")
    out = tmp_path / "out"
    assert main(["process", str(dump), str(out), "--set", "sar.grid.spacing_m=4",
                 "--set", "ghgsif.enabled=false"]) == 10
    rep = json.loads((out / "report.json").read_text())
    assert any(a.startswith("SAR band0/HV: not focused (1 pulse(s)") for a in rep["anomalies"])
    assert "SAR band0/VH: not focused (no echo of the channel in the stream)" in rep["anomalies"]
    summary = json.loads((out / "process_summary.json").read_text())
    assert sorted(summary["channels"]) == ["band0/HH", "band0/VV"]
    with h5py.File(summary["gslc"]) as f:
        assert {"HH", "VV"} <= set(f["science/LSAR/GSLC/grids/frequencyA"])
