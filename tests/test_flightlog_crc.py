import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from naive import crc16_ccitt

from flightlog import crc16
from flightlog._crc import CRC16_TABLES, crc16_many_kernel


def test_check_value():
    # The catalogued check value of CRC-16/CCITT-FALSE.
    assert crc16(b"123456789") == 0x29B1
    assert crc16_ccitt(b"123456789") == 0x29B1


def test_empty():
    assert crc16(b"") == 0xFFFF


@given(st.binary(max_size=300))
def test_matches_bitwise_reference(data):
    assert crc16(data) == crc16_ccitt(data)


def test_many_matches_single():
    rng = np.random.default_rng(3)
    buf = rng.integers(0, 256, 20000, dtype=np.uint8)
    starts = np.sort(rng.integers(0, 19000, 50))
    ends = starts + rng.integers(0, 1000, 50)
    out = np.empty(50, np.int64)
    crc16_many_kernel(buf, starts, ends, CRC16_TABLES, out)
    for s, e, c in zip(starts, ends, out, strict=True):
        assert c == crc16_ccitt(buf[s:e].tobytes())
