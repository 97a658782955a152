"""``postflight ingest --follow SOURCE``: validate a live recorder stream as it arrives.

Sources: ``-`` (standard input, e.g. the simulator's ``--stream -``), ``fifo:PATH`` (a
named pipe), ``tcp://127.0.0.1:PORT`` (connects, retrying until the sender listens) and
``file:PATH`` (a segment file the recorder is still writing: read to its end, then
polled for growth until ``idle_timeout_s`` passes without any). Bytes are framed and
checked as they come (:class:`flightlog.ingest.LiveStream`: CRC, sequence counts,
reassembly); every ``every_s`` seconds the running summary is logged, written to
``OUT/live_summary.json`` and a quicklook of the latest echoes (or spectrometer frames) to
``OUT/live_quicklook.png``, both replaced atomically. New anomalies are logged as they
are found, with the byte offset in the stream.
"""

from __future__ import annotations

import json
import logging
import os
import select
import socket
import stat
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from flightlog.anomalies import Anomaly
from flightlog.errors import PisarL3Error
from flightlog.ingest import LiveStream, PacketTable
from flightlog.packets import APID_GHGSIF_FRAME, APID_SAR_ECHO
from flightlog.payloads import echo_samples, frame_counts
from flightlog.provenance import atomic_output

log = logging.getLogger("postflight.follow")

READ_BYTES = 1 << 16


class SourceError(PisarL3Error, OSError):
    """A live source that cannot be opened."""


class SourceInterrupted(Exception):
    """A live source that stalled past the idle timeout or was reset mid-stream."""


def _read_fd(fd: int, close: Callable[[], None], idle_timeout_s: float | None,
             label: str) -> Iterator[bytes]:
    """Chunks of a pipe or FIFO, each waited for at most ``idle_timeout_s``.

    The wait covers a FIFO's first writer too. None waits for as long as the pipe is
    open (standard input: its writer's exit ends it).
    """
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], idle_timeout_s)
            if not ready:
                raise SourceInterrupted(f"{label}: nothing for {idle_timeout_s:g} s")
            try:
                data = os.read(fd, READ_BYTES)
            except BlockingIOError:
                continue
            if not data:
                return
            yield data
    finally:
        close()


def _tcp(address: str, timeout_s: float) -> Iterator[bytes]:
    host, _, port = address.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise SourceError(f"tcp://{address}: the port must be a number from 1 to 65535")
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            sock = socket.create_connection((host or "127.0.0.1", int(port)), timeout=5)
            break
        except (ConnectionRefusedError, TimeoutError, OSError) as exc:
            if time.monotonic() > deadline:
                raise SourceError(f"tcp://{address}: {exc}") from exc
            time.sleep(0.05)
    sock.settimeout(timeout_s)  # a stalled sender ends the follow after the idle timeout
    with sock:
        while True:
            try:
                data = sock.recv(READ_BYTES)
            except TimeoutError:
                raise SourceInterrupted(f"tcp://{address}: nothing for {timeout_s:g} s") \
                    from None
            except (ConnectionResetError, ConnectionAbortedError) as exc:
                raise SourceInterrupted(f"tcp://{address}: {exc}") from None
            if not data:
                return
            yield data


def _growing(path: Path, idle_timeout_s: float, poll_s: float = 0.1) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        idle = time.monotonic()
        while True:
            data = fh.read(READ_BYTES)
            if data:
                idle = time.monotonic()
                yield data
                continue
            if time.monotonic() - idle > idle_timeout_s:
                return
            time.sleep(poll_s)


def open_source(source: str, idle_timeout_s: float = 10.0) -> Iterator[bytes]:
    """The byte chunks of a live source (module doc), as they arrive."""
    if source == "-":
        fd = sys.stdin.buffer.fileno()
        return _read_fd(fd, lambda: None, None, "stdin")
    if source.startswith("tcp://"):
        return _tcp(source[6:], idle_timeout_s)
    kind, sep, rest = source.partition(":")
    path = Path(rest if sep and kind in ("fifo", "file") else source)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror}") from exc
    if stat.S_ISFIFO(mode):
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # no wait here for a writer
        return _read_fd(fd, lambda: os.close(fd), idle_timeout_s, f"fifo:{path}")
    if stat.S_ISREG(mode):
        return _growing(path, idle_timeout_s)
    raise SourceError(f"{path}: not a FIFO or a regular file")


class Quicklook:
    """The latest ``rows`` echoes (or frames) as a waterfall image, in dB."""

    def __init__(self, stream: str, rows: int = 256, cols: int = 256) -> None:
        self.apid = APID_SAR_ECHO if stream == "sar" else APID_GHGSIF_FRAME
        self.rows, self.cols = rows, cols
        self.lines: list[np.ndarray] = []

    def add(self, tables: dict[int, PacketTable]) -> None:
        """Take the data packets of a batch."""
        t = tables.get(self.apid)
        if t is None:
            return
        for i in range(max(0, len(t) - self.rows), len(t)):
            try:
                v = (np.abs(echo_samples(t, i)) if self.apid == APID_SAR_ECHO
                     else frame_counts(t, i).astype(np.float64).mean(axis=0))
            except (ValueError, IndexError):
                continue  # a malformed payload is counted by the reader
            n = v.size // self.cols
            line = (v[: n * self.cols].reshape(self.cols, n).mean(axis=1) if n
                    else np.resize(v, self.cols))
            self.lines.append(line.astype(np.float32))
        del self.lines[: max(0, len(self.lines) - self.rows)]

    def write(self, path: Path) -> None:
        """Write the waterfall (newest at the bottom) as an 8-bit PNG, atomically."""
        from PIL import Image

        if not self.lines:
            return
        img = 10 * np.log10(np.maximum(np.stack(self.lines) ** 2, 1e-6))
        lo, hi = np.percentile(img, [2, 99.5])
        grey = np.clip((img - lo) / max(hi - lo, 1e-6) * 255, 0, 255).astype(np.uint8)
        with atomic_output(path) as tmp:
            Image.fromarray(grey).save(tmp, format="PNG")


def summary_dict(live: LiveStream, started: float) -> dict[str, Any]:
    """The running summary: counters, packets per APID, anomalies so far."""
    s = asdict(live.summary)
    s["packets"] = {f"0x{k:03X}": v for k, v in sorted(live.summary.packets.items())}
    s["elapsed_s"] = round(time.monotonic() - started, 3)
    s["anomalies"] = [asdict(a) for a in live.anomalies[-100:]]
    # one per anomaly, as `inspect` counts them (a sync loss is one anomaly however many
    # bytes it skipped; those are in bytes_skipped)
    s["anomaly_count"] = live.summary.anomaly_count
    return s


def follow(source: str, stream: str = "sar", out: str | os.PathLike[str] | None = None,
           every_s: float = 1.0, idle_timeout_s: float = 10.0,
           on_update: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Follow ``source`` to its end; returns the final summary (module doc).

    ``on_update`` is called with each running summary (and the final one).
    """
    live = LiveStream(stream, source)
    look = Quicklook(stream)
    folder = Path(out) if out is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    started = last = time.monotonic()
    seen = 0

    def publish(final: bool) -> dict[str, Any]:
        nonlocal seen
        for a in live.anomalies[seen:]:
            log.warning("%s at byte %d of %s: %s", a.kind, a.offset, a.segment, a.detail,
                        extra={"anomaly": a.kind, "offset": a.offset})
        seen = len(live.anomalies)
        s = summary_dict(live, started)
        s["final"] = final
        log.info("%s: %d bytes, %d packets, %d CRC errors, %d lost, %d duplicates, "
                 "%d bytes skipped", source, s["bytes"], sum(live.summary.packets.values()),
                 s["crc_errors"], s["packets_lost"], s["duplicates"], s["bytes_skipped"])
        if folder is not None:
            with atomic_output(folder / "live_summary.json") as tmp:
                tmp.write_text(json.dumps(s, indent=1, default=str))
            look.write(folder / "live_quicklook.png")
        if on_update is not None:
            on_update(s)
        return s

    chunks = open_source(source, idle_timeout_s)
    try:
        for chunk in chunks:
            look.add(live.feed(chunk))
            if time.monotonic() - last >= every_s:
                publish(False)
                last = time.monotonic()
    except SourceInterrupted as exc:
        live.log.add(Anomaly(stream, "source_interrupted", source, live.summary.bytes,
                             f"{exc}: what arrived is processed"))
    look.add(live.finish())
    return publish(True)
