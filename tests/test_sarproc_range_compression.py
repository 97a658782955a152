"""Range compression against its direct twin (explicit DFTs in double precision)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from naive import compress_direct, matched_filter_direct

from sarproc.range_compression import compress, ideal_chirp, matched_filter


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["rect", "hamming", "taylor:4:35"]),
       st.sampled_from([1, -1]), st.floats(-2e-8, 2e-8), st.floats(0.0, 30.0))
def test_matched_filter_and_compression_match_the_direct_twin(seed, window, sign, delay,
                                                               atten_db):
    """Filter to 1e-9 of its peak (double precision both); compressed echoes to 1e-5 of
    their peak (single-precision FFTs of 16-bit counts: float32's 6e-8 times log2(n))."""
    rng = np.random.default_rng(seed)
    fs, bw, dur = 100e6, 50e6, 1.2e-6
    ref, centre = ideal_chirp(bw, dur, sign, fs)
    n = int(rng.integers(150, 300))
    filt, n_fft = matched_filter(ref, centre, n, fs, bw, window, delay)
    want, n_fft2 = matched_filter_direct(ref, centre, n, fs, bw, window, delay)
    assert n_fft == n_fft2
    np.testing.assert_allclose(filt, want, rtol=0, atol=1e-9 * np.abs(want).max())
    echo = np.round(rng.normal(size=n) * 300 + 1j * rng.normal(size=n) * 300)
    got = compress(echo[None], filt, n_fft, np.array([atten_db]))[0]
    direct = compress_direct(echo, filt, n_fft, atten_db)
    np.testing.assert_allclose(got, direct, rtol=0, atol=1e-5 * np.abs(direct).max())
