"""Refined Lee: the closer-mean half-window rule (ours, ESA SNAP) against the lower-side
rule (PolSARpro v5's gradient sign) on flat one-look areas: span bias and ENL.

Run from the repository root: ``python benchmarks/refined_lee_rules.py``. The lower-side
rule is the direct filter of ``tests/naive.py`` with only its side choice changed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

import naive  # noqa: E402
from test_sarproc_polarimetry import _speckle  # noqa: E402

from sarproc.polarimetry import _LEE_MASKS, covariance, refined_lee  # noqa: E402
from sim.scattering import LAND_CLASSES  # noqa: E402


def lower_side_filter():
    """``naive.refined_lee_direct`` taking the half-window of the lower outer block mean."""
    src = (TESTS / "naive.py").read_text()
    start = src.index("def refined_lee_direct")
    end = src.index("\ndef ", start + 10)
    code = src[start:end].replace("def refined_lee_direct", "def lower_side").replace(
        "side = s_near if abs(blk[near] - ctr) < abs(blk[far] - ctr) else s_far",
        "side = s_near if blk[near] < blk[far] else s_far")
    ns: dict = {}
    exec(code, ns)  # noqa: S102 - our own test twin, one line changed
    return ns["lower_side"]


def main() -> None:
    lower = lower_side_filter()
    rng = np.random.default_rng(7)
    c0 = LAND_CLASSES[1][1].astype(np.complex128)
    true_span = np.trace(c0).real
    res: dict[str, list[tuple[float, float]]] = {"closer mean (ours)": [],
                                                 "lower side (PolSARpro v5)": []}
    for rep in range(3):
        c3 = covariance(*_speckle(c0, (160, 160), rng), looks=(1, 1))
        ours = refined_lee(c3, looks=1.0)
        if rep == 0:
            d = naive.refined_lee_direct(c3, 1.0, _LEE_MASKS)
            print(f"kernel against tests/naive.py: {np.abs(ours - d)[3:-3, 3:-3].max():.1e}")
        s_in = np.trace(c3, axis1=-2, axis2=-1).real
        print(f"draw {rep}: input span ENL {s_in.mean() ** 2 / s_in.var():.2f}")
        for key, f in zip(res, (ours, lower(c3, 1.0, _LEE_MASKS)), strict=True):
            s = np.trace(f, axis1=-2, axis2=-1).real[3:-3, 3:-3]
            res[key].append((s.mean() / true_span - 1, s.mean() ** 2 / s.var()))
    for key, v in res.items():
        a = np.array(v)
        sem = a[:, 0].std(ddof=1) / np.sqrt(len(a))
        print(f"{key}: span bias {100 * a[:, 0].mean():+.1f} +- {100 * sem:.1f} %, "
              f"ENL {a[:, 1].mean():.0f}")


if __name__ == "__main__":
    main()
