"""The fast path's pieces against slow references: aperture ends, prefix images, tiles."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from naive import pulse_contribution

from flightlog.constants import C_LIGHT_M_S
from flightlog.geodesy import ecef_to_geodetic, geodetic_to_ecef
from sarproc.aperture import aperture_bounds
from sarproc.backprojection import subtiles, upsample
from sarproc.config import SarConfig
from sarproc.ffbp import PARABOLA_TOLERANCE, leaf_size, parabola_error, prefix_tiles_kernel
from sarproc.focus import ChannelGeometry, focus_tile
from sarproc.ground import surface_points, tile_terrain
from sarproc.l0 import L0Channel
from sarproc.windows import window_weights

FC, FS = 1.2575e9, 100e6
_LA, _LO = np.deg2rad(35.0), np.deg2rad(139.0)
ORIGIN = geodetic_to_ecef(_LA, _LO, 0.0)
UP = np.array([np.cos(_LA) * np.cos(_LO), np.cos(_LA) * np.sin(_LO), np.sin(_LA)])
EAST = np.array([-np.sin(_LO), np.cos(_LO), 0.0])
NORTH = np.cross(UP, EAST)


def _local(along: np.ndarray, across: np.ndarray, up: np.ndarray) -> np.ndarray:
    """ECEF of local coordinates (north, east, up metres) about ``ORIGIN``."""
    return (ORIGIN + np.asarray(along)[..., None] * NORTH
            + np.asarray(across)[..., None] * EAST + np.asarray(up)[..., None] * UP)


def _ground(along: np.ndarray, across: np.ndarray) -> np.ndarray:
    """Points on the ellipsoid (height 0) below local coordinates."""
    la, lo, _ = ecef_to_geodetic(_local(along, across, np.zeros(np.shape(along))))
    return geodetic_to_ecef(la, lo, np.zeros(np.shape(la)))


def _track(n_p: int, wiggle: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """A 3 km-altitude track to the north, looking east, wiggling (metres) sideways and
    up and down; phase centres, velocities, reference track and antenna axes."""
    x = np.arange(n_p) * 0.48 - 0.24 * n_p
    apc = _local(x, wiggle * np.sin(x / 20), 3000.0 + 0.5 * wiggle * np.cos(x / 15))
    vel = np.tile(120.0 * NORTH, (n_p, 1)) + rng.normal(0, 0.5, (n_p, 3))
    bore = np.tile(np.cos(np.pi / 4) * EAST - np.sin(np.pi / 4) * UP, (n_p, 1))
    azax = np.tile(NORTH, (n_p, 1))
    axes = np.ascontiguousarray(np.stack([bore, azax, np.cross(bore, azax)], axis=1))
    return apc, vel, np.tile(NORTH, (n_p, 1)), axes


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.005, 0.2), st.floats(0.0, 3.0),
       st.sampled_from([0.0, 6.0, 10.0]), st.floats(0.02, 0.5), st.booleans())
def test_aperture_bounds_are_the_pulses_inside_the_angle(seed, sin_half, wiggle, beam,
                                                          min_gain, compact):
    """Every pulse inside ``[first, last]`` sees the pixel within the angle and, with an
    antenna pattern, at or above the gain limit; none outside: the tests of exact
    backprojection evaluated pulse by pulse (the pattern in double precision). Pixels
    scattered over 320 m by 500 m, or a compact 2 m by 3 m sub-tile (where the gain is
    looked at pixel by pixel only near the beam's edge)."""
    rng = np.random.default_rng(seed)
    n_p = 1200
    apc, _, track, axes = _track(n_p, wiggle, rng)
    if compact:
        gy, gx = np.mgrid[0:5, 0:7] * 0.5
        pix = _local(rng.uniform(-160, 160) + gx, rng.uniform(2800, 3300) + gy,
                     np.zeros((5, 7)))
    else:
        pix = _local(rng.uniform(-160, 160, (5, 7)), rng.uniform(2800, 3300, (5, 7)),
                     rng.uniform(-5, 5, (5, 7)))
    centre, offset, half, _ = subtiles(pix, (5, 7))
    first = np.empty(offset.shape[:2], np.int32)
    last = np.empty(offset.shape[:2], np.int32)
    b_az, b_el = np.deg2rad(beam), np.deg2rad(35.0)
    aperture_bounds(apc, track, centre, offset, half, sin_half, axes, b_az, b_el, min_gain,
                    first, last)
    x = centre[:, None, :] + offset.astype(np.float64)
    d = x[:, :, None, :] - apc[None, None]
    s = np.einsum("tipk,pk->tip", d, track) / np.linalg.norm(d, axis=3)
    inside = np.abs(s) <= sin_half
    if beam:
        wb = np.einsum("tipk,pk->tip", d, axes[:, 0])
        ua = 0.886 / b_az * np.arctan(np.einsum("tipk,pk->tip", d, axes[:, 1]) / wb)
        ue = 0.886 / b_el * np.arctan(np.einsum("tipk,pk->tip", d, axes[:, 2]) / wb)
        gain = (np.sinc(ua) * (np.abs(ua) < 1)) ** 2 * (np.sinc(ue) * (np.abs(ue) < 1)) ** 2
        inside &= (gain >= min_gain) & (wb > 0)
    k = np.arange(n_p)
    expect = (k >= first[..., None]) & (k <= last[..., None])
    assert np.array_equal(inside, expect)


@pytest.mark.parametrize(("beam", "window", "missing"),
                         [(10.0, "taylor:4:35", False), (0.0, "rect", False),
                          (10.0, "hamming", False), (10.0, "rect", False),
                          (10.0, "taylor:4:35", True)])
def test_prefix_images_are_weighted_partial_sums(beam, window, missing):
    """A leaf's prefix image ``m`` against the float64 sum of its first ``m + 1`` exact
    contributions, each weighted by the parabola in position through the exact window
    and pattern weights at the leaf's first, middle and last pulses (-70 dB: single
    precision); the parabola against the exact per-pulse weights, below -70 dB: its
    error is third order in the leaf's angle over the window's scale, here (15 m / 4.2
    km) / 0.05 = 0.07 of a Hamming window, whose interpolation bound (third derivative
    times h^3 / (9 sqrt 3)) is -66 dB of the weight at the worst sample and less on
    average. With pulses missing (a run of five and two single ones) the parabola is in
    the pulses' positions, so the bound is the same."""
    rng = np.random.default_rng(5)
    up = 16
    apc, vel, track, axes = _track(40 if missing else 32, 2.0, rng)
    if missing:
        sel = np.delete(np.arange(40), [3, *range(12, 17), 29])[:32]
        apc, vel, track, axes = apc[sel], vel[sel], track[sel], axes[sel]
    n_p = 32
    u = (apc - apc[0]) @ track[n_p // 2] / 0.48
    rc = (rng.normal(size=(n_p, 400)) + 1j * rng.normal(size=(n_p, 400))).astype(np.complex64)
    rcu = upsample(rc, up)
    tau0 = 2 * np.hypot(3000.0, 2950.0) / C_LIGHT_M_S + rng.uniform(0, 1e-8, n_p)
    size_r, size_a = 8, 4
    gy, gx = np.mgrid[0:16, 0:8]
    pix = _ground(gx * 3.0 - 12, gy * 0.45 + 2990.0)
    rho = np.linalg.norm(pix[:, 0] - apc.mean(axis=0), axis=1)
    centre, offset, half, padded = subtiles(pix, (size_r, size_a))
    reach = 2 * np.sin(np.deg2rad(3.0) / 2)
    ext = window_weights(window, np.linspace(-1.0, 1.0, 4001), truncate=False)
    bw = (np.deg2rad(beam), np.deg2rad(35.0) if beam else 0.0, 0.1)
    out = np.zeros((n_p, 16, 8), np.complex64)
    prefix_tiles_kernel(rcu, tau0, FS * up, apc, vel, track, FC, centre, offset, half, reach,
                        ext, axes, *bw, u, rho, size_r, size_a, padded[1] // size_a,
                        np.ones(8, np.bool_), out)
    flat = np.ones(3)
    unit = np.zeros((n_p, 16, 8), complex)
    true = np.zeros((n_p, 16, 8), complex)
    for p in range(n_p):
        for r in range(16):
            for a in range(8):
                x = pix[r, a]
                args = (tau0, FS * up, apc, vel, track, FC)
                unit[p, r, a] = pulse_contribution(rcu, p, *x, *args, 4.0, flat, axes, 0.0,
                                                   0.0, 0.0)
                true[p, r, a] = pulse_contribution(rcu, p, *x, *args, reach, ext, axes, *bw)
    weight = np.where(np.abs(unit) > 0, true / np.where(unit == 0, 1, unit), 0).real
    k = u[:, None, None]
    i_m = int(np.argmin(np.abs(u - u[-1] / 2)))
    km, ke = u[i_m], u[-1]
    line = (weight[0] * (k - km) * (k - ke) / (km * ke) + weight[i_m] * k * (k - ke)
            / (km * (km - ke)) + weight[-1] * k * (k - km) / (ke * (ke - km)))
    carrier = np.exp(-2j * np.pi * 2 * FC / C_LIGHT_M_S * rho)[None, :, None]
    ref = np.cumsum(line * unit, axis=0) * carrier
    err = np.sum(np.abs(out - ref) ** 2) / np.sum(np.abs(ref) ** 2)
    assert 10 * np.log10(err) < -70
    exact = np.cumsum(true, axis=0) * carrier
    err = np.sum(np.abs(ref - exact) ** 2) / np.sum(np.abs(exact) ** 2)
    assert 10 * np.log10(err) < -70


def _white_channel(rng: np.random.Generator, n_p: int, ns: int, r0: float,
                   missing: bool = False) -> tuple[np.ndarray, ChannelGeometry]:
    """White random range lines (85 MHz of 100 MHz) from the wiggling track (1.5 m), the
    first sample at range ``r0``, antenna pattern on; with ``missing``, 5 % of the pulses
    dropped at random and a run of 20."""
    apc, vel, track, axes = _track(n_p, 1.5, rng)
    rc = (rng.normal(size=(n_p, ns)) + 1j * rng.normal(size=(n_p, ns))).astype(np.complex64)
    spec = np.fft.fft(rc, axis=1)
    spec[:, np.abs(np.fft.fftfreq(ns, 1 / FS)) > 42.5e6] = 0
    rc = np.fft.ifft(spec, axis=1).astype(np.complex64)
    ch = L0Channel(0, "HH", np.arange(n_p), np.arange(n_p) / 250.0, np.ones(n_p, bool),
                   np.ones(n_p, bool), np.zeros(n_p, np.int64), np.zeros(n_p), apc, vel,
                   np.tile([0, 0, 0, 1.0], (n_p, 1)), ns)
    use = np.arange(n_p)
    if missing:
        ok = rng.random(n_p) > 0.05
        ok[n_p // 2 - 20 : n_p // 2] = False
        use = np.flatnonzero(ok)
    geo = ChannelGeometry(ch, use, track[use], np.full(use.size, 2 * r0 / C_LIGHT_M_S), FS, FC,
                          85e6, 0.48, np.ascontiguousarray(axes[use]), np.deg2rad(10.0),
                          np.deg2rad(35.0))
    return rc, geo


@pytest.mark.parametrize(("window", "missing", "angle"),
                         [("rect", False, 3.0), ("taylor:4:35", False, 3.0),
                          ("taylor:4:35", True, 3.0), ("hamming", False, 0.5)])
def test_fast_path_tile_against_exact_on_random_lines(window, missing, angle):
    """``focus_tile`` with ``ffbp`` against exact backprojection on white random range
    lines (every pulse independent: the aperture's per-pixel ends carry their full
    share of the energy) from a wiggling track, antenna pattern on, 0.5 m pixels:
    difference energy at most -40 dB. Also with 5 % of the pulses missing at random and
    a run of 20 (the leaves' weights are parabolas in position, not pulse index: in the
    index, this case gave -40.0 dB on the benchmark's geometry, -46.5 dB in position),
    and over an integration angle of 0.5 degrees (a 73-pulse aperture: 32-pulse leaves'
    parabolas missed the Hamming window by 15 %, -26.8 dB; leaves of 7 pulses, -45.5 dB)."""
    rc, geo = _white_channel(np.random.default_rng(6), 900, 1200, 4000.0, missing)
    gy, gx = np.mgrid[0:96, 0:128] * 0.5
    pix = _ground(gx - 32.0, gy + 2980.0)
    imgs = {alg: focus_tile(rc, geo, pix, SarConfig(algorithm=alg,
                                                    integration_angle_deg=angle,
                                                    azimuth_window=window))
            for alg in ("backprojection", "ffbp")}
    ref = imgs["backprojection"]
    assert np.abs(ref).min() > 0
    err = np.sum(np.abs(imgs["ffbp"] - ref) ** 2) / np.sum(np.abs(ref) ** 2)
    assert 10 * np.log10(err) <= -40


def test_fast_path_where_the_beam_ends_the_aperture():
    """Over 20 degrees with a 10-degree beam the antenna's gain limit (0.1 one way), not the
    angle, ends the aperture, pixel by pixel, as exact backprojection ends it: -40 dB
    or better (it was -15.9 dB before the fast path's aperture ends took the gain; now
    -47.4 dB)."""
    rc, geo = _white_channel(np.random.default_rng(3), 6000, 1400, 4000.0)
    gy, gx = np.mgrid[0:32, 0:48] * 0.5
    pix = _ground(gx - 12.0, gy + 2980.0)
    imgs = {alg: focus_tile(rc, geo, pix, SarConfig(algorithm=alg, integration_angle_deg=20.0))
            for alg in ("backprojection", "ffbp")}
    ref = imgs["backprojection"]
    err = np.sum(np.abs(imgs["ffbp"] - ref) ** 2) / np.sum(np.abs(ref) ** 2)
    assert 10 * np.log10(err) <= -40


def test_leaves_shorten_for_a_short_aperture():
    """The leaf length keeps the parabola within its tolerance: 32 pulses for the
    benchmark's 463-pulse aperture with Hamming and Taylor weights, and any length for
    rect, but shorter leaves for a 73-pulse aperture, whose parabolas are then within
    the tolerance (and the next longer leaf's are not)."""
    for window in ("hamming", "taylor:4:35"):
        assert leaf_size(window, 463, 32) == 32
        short = leaf_size(window, 73, 32)
        assert 2 < short < 32
        assert parabola_error(window, short, 73) <= PARABOLA_TOLERANCE
        assert parabola_error(window, short + 1, 73) > PARABOLA_TOLERANCE
    assert leaf_size("rect", 73, 32) == 32


def _terrain(gx: np.ndarray, gy: np.ndarray, kind: str) -> np.ndarray:
    """Heights (m) of the terrain tests: level at 200 m, or a 35-degree slope rising away
    from the radar with ridges across it (slopes to 38 degrees)."""
    if kind == "level":
        return np.full(gx.shape, 200.0)
    return (100.0 + 0.7 * gy + 10.0 * np.sin(2 * np.pi * gx / 150.0)
            + 4.0 * np.sin(2 * np.pi * gx / 60.0) * np.cos(2 * np.pi * gy / 45.0))


def test_surface_points_lie_on_the_terrain():
    """Polar-grid points at the range and direction cosine asked for, on the tile's
    terrain: their height above its sphere is the pixels' heights' bilinear value below
    them (0.1 mm, the secant method's tolerance), and a level tile has no terrain."""
    gy, gx = np.mgrid[0:64, 0:48] * 0.5
    pix = _ground(gx - 12.0, gy + 2990.0)
    la, lo, _ = ecef_to_geodetic(pix)
    assert tile_terrain(geodetic_to_ecef(la, lo, _terrain(gx, gy, "level"))) is None
    pix = geodetic_to_ecef(la, lo, _terrain(gx, gy, "steep"))
    ter = tile_terrain(pix)
    assert ter is not None
    centre = _local(0.0, 0.0, 3000.0)
    rel = pix.reshape(-1, 3) - centre
    r = np.linalg.norm(rel, axis=1)
    rho = np.linspace(r.min(), r.max(), 40)
    alpha = np.linspace(-0.003, 0.003, 7)
    pts = surface_points(centre, NORTH, EAST, rho, alpha, 0.0, ter)
    d = pts - centre
    dist = np.linalg.norm(d, axis=2)
    assert np.allclose(dist, rho[:, None], atol=1e-6)
    assert np.allclose(np.einsum("ijk,k->ij", d, NORTH) / dist, alpha[None], atol=1e-9)
    height = np.linalg.norm(pts - ter.sphere_centre, axis=2) - ter.radius
    grid = np.einsum("ck,ijk->ijc", ter.to_grid[:, :3], pts - ter.origin) + ter.to_grid[:, 3]
    fr = np.clip(grid[..., 0], 0, 63)
    fc = np.clip(grid[..., 1], 0, 47)
    r0 = np.minimum(fr.astype(int), 62)
    c0 = np.minimum(fc.astype(int), 46)
    tr, tc = fr - r0, fc - c0
    hh = ter.heights
    want = ((1 - tr) * ((1 - tc) * hh[r0, c0] + tc * hh[r0, c0 + 1])
            + tr * ((1 - tc) * hh[r0 + 1, c0] + tc * hh[r0 + 1, c0 + 1]))
    assert np.max(np.abs(height - want)) < 1e-4
    # the grid map is the pixels' own: each pixel maps to its row and column
    g = np.einsum("ck,ijk->ijc", ter.to_grid[:, :3], pix - ter.origin) + ter.to_grid[:, 3]
    rows, cols = np.mgrid[0:64, 0:48]
    assert np.max(np.abs(g[..., 0] - rows)) < 1e-3 and np.max(np.abs(g[..., 1] - cols)) < 1e-3


@pytest.mark.parametrize("kind", ["level", "steep"])
def test_fast_path_on_terrain_against_exact(kind):
    """``ffbp`` against exact backprojection on a DEM's terrain (the polar grids laid on
    the pixels' own heights): white random lines, the wiggling track, antenna pattern on,
    at most -40 dB. Laid at the tile's mean height instead, the steep tile gave -41 dB
    on a larger tile, degrading with the relief."""
    rc, geo = _white_channel(np.random.default_rng(7), 900, 2000, 3800.0)
    gy, gx = np.mgrid[0:128, 0:96] * 0.5
    la, lo, _ = ecef_to_geodetic(_ground(gx - 24.0, gy + 2960.0))
    pix = geodetic_to_ecef(la, lo, _terrain(gx, gy, kind))
    imgs = {alg: focus_tile(rc, geo, pix, SarConfig(algorithm=alg, integration_angle_deg=3.0))
            for alg in ("backprojection", "ffbp")}
    ref = imgs["backprojection"]
    assert np.abs(ref).min() > 0
    err = np.sum(np.abs(imgs["ffbp"] - ref) ** 2) / np.sum(np.abs(ref) ** 2)
    assert 10 * np.log10(err) <= -40
