import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flightlog.clockfit import fit_clock

T0 = 2381 * 604800.0 + 1000.0


def scenario(rng, offset=3.0, drift_ppm=50.0, reset_at=300.5, n=600, lost=0.02,
             corrupt=0.01, reset_to=100.0):
    edges = T0 + np.arange(n, dtype=float)

    def clock(g):
        x = (g - T0) * (1 + drift_ppm * 1e-6) + offset
        if reset_at is None:
            return x
        return np.where(g >= T0 + reset_at,
                        (g - T0 - reset_at) * (1 + drift_ppm * 1e-6) + reset_to, x)

    keep = rng.random(n) >= lost
    y = edges.copy()
    bad = rng.random(n) < corrupt
    y[bad] += rng.choice([-7.0, -1.0, 1.0, 3.0, 86400.0], bad.sum())
    # data packets, interleaved with the sync packets in stream order
    g = np.sort(rng.uniform(T0 - 0.5, T0 + n - 0.5, 20000))
    k = np.searchsorted(edges[keep], g)
    return clock(edges[keep]), y[keep], np.arange(keep.sum()) * 2, clock(g), 2 * k - 1, g, \
        int((bad & keep).sum())


def test_acceptance_offset_drift_loss_corruption_reset():
    rng = np.random.default_rng(7)
    sx, sy, spos, x, pos, truth, n_bad = scenario(rng)
    model = fit_clock(sx, sy, spos)
    assert len(model.pieces) == 2
    assert len(model.rejected) == n_bad
    for p in model.pieces:
        assert p.drift_ppm == pytest.approx(50.0, abs=1e-3)
        assert p.residual_max_s < 1e-6
    gps, valid = model.to_gps(x, pos)
    assert valid.all()
    assert np.max(np.abs(gps - truth)) <= 1e-6


def test_without_positions_overlapping_pieces_are_ambiguous():
    rng = np.random.default_rng(8)
    sx, sy, spos, x, pos, truth, _ = scenario(rng, corrupt=0.0, lost=0.0)
    model = fit_clock(sx, sy, spos)
    gps, valid = model.to_gps(x)
    # the reset goes back to 100 s, inside the first piece's range: no guessing
    assert not valid.all()
    assert np.max(np.abs(gps[valid] - truth[valid])) <= 1e-6


def test_no_extrapolation_far_beyond():
    model = fit_clock(np.arange(10.0) + 5, T0 + np.arange(10.0))
    gps, valid = model.to_gps(np.array([5.0, 14.0 + 1.5, 14.0 + 10]))
    assert valid.tolist() == [True, True, False]


@given(offset=st.floats(0.0, 5000.0), drift=st.floats(-50.0, 50.0),
       reset=st.one_of(st.none(), st.floats(20.0, 80.0)), seed=st.integers(0, 2**16))
def test_mapping_within_a_microsecond(offset, drift, reset, seed):
    rng = np.random.default_rng(seed)
    sx, sy, spos, x, pos, truth, _ = scenario(rng, offset=offset, drift_ppm=drift,
                                              reset_at=reset, n=100, reset_to=offset + 5000)
    model = fit_clock(sx, sy, spos)
    gps, valid = model.to_gps(x, pos)
    assert valid.mean() > 0.97
    assert np.max(np.abs(gps[valid] - truth[valid])) <= 1e-6
