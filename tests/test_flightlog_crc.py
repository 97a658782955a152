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


@given(st.binary(max_size=600), st.data())
def test_span_from_prefix_matches_bitwise_reference(data, draw):
    # The CRC of any span from the zero-init prefix registers (crc32_combine's algebra).
    from flightlog._crc import CRC16_POWERS, crc16_prefix_kernel, crc16_span

    buf = np.frombuffer(data, np.uint8)
    lo = draw.draw(st.integers(0, len(data)))
    prefix = np.zeros(len(data) - lo + 1, np.int64)
    crc16_prefix_kernel(buf, lo, lo, len(data), CRC16_TABLES, prefix)
    a = draw.draw(st.integers(lo, len(data)))
    b = draw.draw(st.integers(a, len(data)))
    assert crc16_span(prefix, lo, a, b, CRC16_POWERS) == crc16_ccitt(data[a:b])


def test_span_over_the_longest_packet():
    # 65,544 bytes: the longest CRC span of a packet; the powers table must reach it.
    from flightlog._crc import CRC16_POWERS, crc16_prefix_kernel, crc16_span

    buf = np.random.default_rng(5).integers(0, 256, 70000, dtype=np.uint8)
    prefix = np.zeros(buf.size + 1, np.int64)
    crc16_prefix_kernel(buf, 0, 0, buf.size, CRC16_TABLES, prefix)
    for a, b in [(4, 4 + 65544), (1000, 70000), (0, 65535), (3, 3 + 65536)]:
        assert crc16_span(prefix, 0, a, b, CRC16_POWERS) == crc16(buf[a:b])
