"""Streaming mode for hardware-in-the-loop tests: replay a recorder stream in real time.

A :class:`Feed` holds a simulated stream's bytes (its segment files back to back, faults
and all) and the GPS time and byte offset of every packet, which the simulator records in
the truth. :meth:`Feed.play` writes the bytes to any sink, each packet when its time comes
(``speed`` times faster than the flight), so a reader sees them as the recorder wrote
them; :meth:`Feed.to_fifo` and :meth:`Feed.serve_tcp` are the usual sinks, and
``postflight simulate ... --stream TARGET`` plays a freshly simulated dump.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np


@dataclass
class Feed:
    """One recorder stream with its packet pacing.

    Attributes
    ----------
    data : bytes
        The stream as recorded (segment files concatenated, in number order).
    offsets : numpy.ndarray
        Byte offset in ``data`` where each packet starts (ascending).
    gps_time : numpy.ndarray
        GPS time at which each packet was recorded.
    """

    data: bytes
    offsets: np.ndarray
    gps_time: np.ndarray

    @classmethod
    def from_dump(cls, dump: str | os.PathLike[str], stream: str = "sar") -> Feed:
        """The stream of a simulated dump, paced by the truth's packet times."""
        dump = Path(dump)
        with h5py.File(dump / "truth" / "truth.h5", "r") as f:
            g = f[f"streams/{stream}"]
            offsets = g["packet_offset"][()]
            times = g["packet_gps_time"][()]
            prefix = str(g.attrs["prefix"])
            seg = int(g.attrs["segment_bytes"])
        folder = dump / prefix.rsplit("/", 1)[0] if "/" in prefix else dump
        name = prefix.rsplit("/", 1)[-1]
        present = {int(p.stem[len(name):]): p for p in folder.glob(f"{name}*.dat")
                   if p.stem[len(name):].isdigit()}
        numbers = sorted(present)
        data = b"".join(present[k].read_bytes() for k in numbers)
        # Offsets were counted over every segment; drop packets starting in a missing
        # one and shift the rest past the missing bytes.
        number = offsets // seg
        missing_before = np.array([sum(1 for m in range(k) if m not in present)
                                   for k in range(int(number.max()) + 1 if number.size else 0)])
        keep = np.isin(number, numbers)
        shifted = offsets - (missing_before[number] * seg if number.size else 0)
        keep &= shifted < len(data)
        return cls(data, shifted[keep], times[keep])

    def play(self, write: Callable[[bytes], object], speed: float = 1.0,
             max_batch_s: float = 0.02) -> float:
        """Write the stream to ``write`` at ``speed`` times real time; returns seconds taken.

        Packets due within ``max_batch_s`` of each other go out in one write.
        """
        if speed <= 0:
            raise ValueError("speed must be positive")
        start = time.monotonic()
        t_first = float(self.gps_time[0]) if self.gps_time.size else 0.0
        due = (self.gps_time - t_first) / speed
        ends = np.append(self.offsets[1:], len(self.data))
        i, n = 0, self.offsets.size
        if n and self.offsets[0] > 0:
            write(self.data[: int(self.offsets[0])])
        while i < n:
            wait = due[i] - (time.monotonic() - start)
            if wait > 0:
                time.sleep(wait)
            j = int(np.searchsorted(due, due[i] + max_batch_s, side="right"))
            j = max(j, i + 1)
            write(self.data[int(self.offsets[i]) : int(ends[j - 1])])
            i = j
        return time.monotonic() - start

    def to_stdout(self, speed: float = 1.0) -> float:
        """Play to standard output (binary)."""
        out = sys.stdout.buffer
        took = self.play(out.write, speed)
        out.flush()
        return took

    def to_fifo(self, path: str | os.PathLike[str], speed: float = 1.0) -> float:
        """Play into a named pipe (created if missing); blocks until a reader opens it."""
        path = Path(path)
        if not path.exists():
            os.mkfifo(path)
        with open(path, "wb", buffering=0) as fh:
            return self.play(fh.write, speed)

    def serve_tcp(self, host: str = "127.0.0.1", port: int = 0, speed: float = 1.0,
                  timeout_s: float = 60.0) -> tuple[int, threading.Thread]:
        """Serve the stream to the first client on a localhost TCP port, in a thread.

        Returns the bound port (pass 0 for any free one) and the serving thread.
        """
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the simulator streams to localhost only")
        srv = socket.create_server((host, port))
        srv.settimeout(timeout_s)
        bound = srv.getsockname()[1]

        def serve() -> None:
            with srv:
                conn, _ = srv.accept()
                with conn:
                    self.play(conn.sendall, speed)

        th = threading.Thread(target=serve, name="sim-tcp-feed", daemon=True)
        th.start()
        return bound, th


def play_target(feed: Feed, target: str, speed: float) -> float:
    """Play a feed to ``-`` (stdout), ``fifo:PATH`` or ``tcp://127.0.0.1:PORT``."""
    if target == "-":
        return feed.to_stdout(speed)
    if target.startswith("fifo:"):
        return feed.to_fifo(target[5:], speed)
    if target.startswith("tcp://"):
        host, _, port = target[6:].rpartition(":")
        bound, th = feed.serve_tcp(host or "127.0.0.1", int(port), speed)
        print(f"streaming on tcp://{host}:{bound}", file=sys.stderr)
        th.join()
        return 0.0
    raise ValueError(f"stream target {target!r}: use '-', 'fifo:PATH' or 'tcp://127.0.0.1:PORT'")


class Harness:
    """Push a simulated stream to a live reader at real-time pace (hardware-in-the-loop).

    The test gives :attr:`source` to the reader under test (``postflight ingest
    --follow SOURCE`` or :func:`postflight.follow.follow`), starts the feed and, once the
    reader is done, asserts on what it saw against :attr:`injected` (the faults the
    simulator put into this stream) and :attr:`packets` (how many it sent).

    Parameters
    ----------
    dump : path-like
        A simulated dump (with its truth).
    stream : str
        ``"sar"`` or ``"ghgsif"``.
    via : str
        ``"fifo"`` (a named pipe in ``folder``) or ``"tcp"`` (a free localhost port).
    speed : float
        Times faster than the flight.
    folder : path-like, optional
        Where the FIFO goes (default: the dump's folder).

    Examples
    --------
    >>> with Harness(dump, "sar", "fifo", speed=5) as h:           # doctest: +SKIP
    ...     summary = follow(h.source)
    >>> summary["crc_errors"] == h.expected("bit_flip")           # doctest: +SKIP
    """

    def __init__(self, dump: str | os.PathLike[str], stream: str = "sar", via: str = "fifo",
                 speed: float = 1.0, folder: str | os.PathLike[str] | None = None) -> None:
        from sim.dump import read_injected_faults

        self.feed = Feed.from_dump(dump, stream)
        self.stream = stream
        self.via = via
        self.speed = speed
        self.injected = [f for f in read_injected_faults(dump) if f.get("stream") == stream]
        self.packets = int(self.feed.offsets.size)
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if via == "fifo":
            self._fifo = Path(folder or dump) / f"{stream}.fifo"
            if self._fifo.exists():
                self._fifo.unlink()
            os.mkfifo(self._fifo)
            self.source = f"fifo:{self._fifo}"
        elif via == "tcp":
            self._port, self._thread = self.feed.serve_tcp("127.0.0.1", 0, speed)
            self.source = f"tcp://127.0.0.1:{self._port}"
        else:
            raise ValueError(f"via {via!r}: use 'fifo' or 'tcp'")

    def expected(self, kind: str) -> int:
        """How many faults of ``kind`` (``drop``, ``dup``, ``bit_flip``, ...) were injected."""
        return sum(1 for f in self.injected if f.get("kind") == kind)

    def start(self) -> Harness:
        """Start feeding (TCP: already serving the first client)."""
        if self.via == "fifo":
            def run() -> None:
                try:
                    self.feed.to_fifo(self._fifo, self.speed)
                except BaseException as exc:  # noqa: BLE001 - reported by join()
                    self.error = exc
            self._thread = threading.Thread(target=run, name="sim-fifo-feed", daemon=True)
            self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        """Wait for the feed to finish; re-raises a feeding error."""
        if self._thread is not None:
            self._thread.join(timeout)
        if self.error is not None:
            raise self.error

    def __enter__(self) -> Harness:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.join(30)
        if self.via == "fifo" and self._fifo.exists():
            self._fifo.unlink()
