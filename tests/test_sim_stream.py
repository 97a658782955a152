"""Streaming mode: a simulated recorder stream replayed in real time over a FIFO and TCP."""

import os
import socket
import threading
import time

import numpy as np
import pytest

from sim import simulate
from sim.stream import Feed


@pytest.fixture(scope="module")
def faulty_dump(tmp_path_factory):
    return simulate("demo", tmp_path_factory.mktemp("st") / "d", seed=9, duration_s=1.0,
                    faults="drop=0.01,missing_segment=2,truncate=1")


def _stream_bytes(dump, name="SAR_"):
    files = sorted((dump / "sar").glob(f"{name}*.dat"))
    return b"".join(p.read_bytes() for p in files)


def test_feed_is_the_recorded_bytes(faulty_dump):
    feed = Feed.from_dump(faulty_dump, "sar")
    got = bytearray()
    feed.play(got.extend, speed=1e6)
    assert bytes(got) == _stream_bytes(faulty_dump)
    assert np.all(np.diff(feed.offsets) > 0)
    # every packet offset lands on a sync marker (the missing segment's were dropped)
    data = feed.data
    assert sum(data[o : o + 4] == b"\x1a\xcf\xfc\x1d" for o in feed.offsets) >= \
        0.95 * feed.offsets.size


def test_pacing_follows_the_packet_times(faulty_dump):
    feed = Feed.from_dump(faulty_dump, "sar")
    span = float(feed.gps_time[-1] - feed.gps_time[0])
    took = feed.play(lambda b: None, speed=4.0)
    # packets due within max_batch_s (20 ms) of a batch go out together
    assert span / 4.0 - 0.021 <= took <= span / 4.0 + 0.5


def test_fifo(tmp_path, faulty_dump):
    feed = Feed.from_dump(faulty_dump, "sar")
    fifo = tmp_path / "feed"
    os.mkfifo(fifo)
    got = bytearray()

    def reader():
        with open(fifo, "rb") as fh:
            while chunk := fh.read(65536):
                got.extend(chunk)

    th = threading.Thread(target=reader)
    th.start()
    feed.to_fifo(fifo, speed=50.0)
    th.join(10)
    assert bytes(got) == feed.data


def test_tcp_localhost(faulty_dump):
    feed = Feed.from_dump(faulty_dump, "ghgsif")
    port, th = feed.serve_tcp("127.0.0.1", 0, speed=50.0, timeout_s=10)
    got = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        while chunk := s.recv(65536):
            got.extend(chunk)
    th.join(10)
    assert bytes(got) == feed.data
    with pytest.raises(ValueError, match="localhost"):
        feed.serve_tcp("10.0.0.1", 0)


def test_cli_stream_to_stdout(tmp_path, capfdbinary):
    from postflight.cli import main

    t = time.monotonic()
    assert main(["simulate", "demo", str(tmp_path / "x"), "--duration", "0.5", "--stream",
                 "-", "--speed", "20"]) == 0
    out = capfdbinary.readouterr().out
    assert out == _stream_bytes(tmp_path / "x")
    assert time.monotonic() - t < 120
