"""Run logs and progress bars: human lines on stderr, JSON lines in ``OUT``.

:func:`json_log` adds a handler writing one JSON object per log record to
``OUT/postflight.log.jsonl`` (time in UTC, level, logger, message and any ``extra``
fields), appended across runs so an interrupted and resumed run keeps one history.
:func:`progress` is a ``tqdm`` bar on stderr, shown only when stderr is a terminal
(``POSTFLIGHT_PROGRESS=1`` forces it, ``0`` hides it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

LOG_FILE = "postflight.log.jsonl"
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonLinesHandler(logging.Handler):
    """A logging handler that appends one JSON object per record to a file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(logging.DEBUG)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` as one line of JSON and flush it.

        A log that cannot be written (its disk full) is given up with one warning on
        stderr: the run goes on, and what breaks its products is reported by them.
        """
        if self.fh.closed:
            return
        try:
            entry: dict[str, Any] = {
                "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                    timespec="milliseconds").replace("+00:00", "Z"),
                "level": record.levelname, "logger": record.name,
                "message": record.getMessage(), "pid": record.process}
            entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
            if record.exc_info:
                entry["exception"] = logging.Formatter().formatException(record.exc_info)
            self.fh.write(json.dumps(entry, default=str) + "\n")
            self.fh.flush()
        except OSError as exc:
            self._give_up(exc)
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)

    def _give_up(self, exc: OSError) -> None:
        print(f"postflight: the run log {self.path} cannot be written ({exc}); "
              "it stops here", file=sys.stderr)
        with contextlib.suppress(OSError):
            self.fh.close()

    def close(self) -> None:
        """Close the file."""
        try:
            self.fh.close()
        except OSError as exc:
            self._give_up(exc)
        super().close()


@contextlib.contextmanager
def json_log(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Log every ``postflight``, ``sarproc``, ``ghgsif`` and ``flightlog`` record to OUT."""
    handler = JsonLinesHandler(Path(out) / LOG_FILE)
    loggers = [logging.getLogger(n) for n in ("postflight", "sarproc", "ghgsif", "flightlog",
                                              "sim")]
    old = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        if lg.getEffectiveLevel() > logging.INFO:
            lg.setLevel(logging.INFO)
    try:
        yield handler.path
    finally:
        for lg, lv in zip(loggers, old, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(lv)
        handler.close()


def _show() -> bool | None:
    flag = os.environ.get("POSTFLIGHT_PROGRESS")
    if flag is None:
        return None  # tqdm: only on a terminal
    return flag not in ("0", "", "false", "no")


def progress(total: int | None, desc: str, unit: str = "it") -> Any:
    """A progress bar on stderr (a ``tqdm``) for ``total`` steps."""
    from tqdm import tqdm

    show = _show()
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
                dynamic_ncols=True, mininterval=0.5,
                disable=None if show is None else not show)


@contextlib.contextmanager
def step(logger: logging.Logger, name: str, **fields: Any) -> Iterator[dict[str, Any]]:
    """Log the start and end (with its duration) of a pipeline step.

    The yielded dict collects fields to log with the end record.
    """
    t0 = time.perf_counter()
    logger.info("%s: started", name, extra={"step": name, "event": "start", **fields})
    done: dict[str, Any] = {}
    yield done
    dt = time.perf_counter() - t0
    logger.info("%s: done in %.1f s", name, dt,
                extra={"step": name, "event": "end", "seconds": round(dt, 3), **fields,
                       **done})
