"""Atomic product writing and provenance records (software, inputs with sha256, config)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import platform
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flightlog.errors import PisarL3Error


def software_version() -> str:
    """Version of the installed toolkit distribution."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pisar-l3")
    except PackageNotFoundError:
        return "0+unknown"


def sha256_file(path: str | os.PathLike[str], block: int = 1 << 22) -> str:
    """Hex sha256 of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            h.update(chunk)
    return h.hexdigest()


def describe_inputs(paths: list[Path], root: Path | None = None) -> list[dict[str, Any]]:
    """Input files with size and sha256 (paths relative to ``root`` when inside it)."""
    out = []
    base = root.resolve() if root is not None else None
    # resolved, so that a relative and an absolute dump path give the same provenance
    for p in sorted({Path(q).resolve() for q in paths}):
        if not p.is_file():
            continue
        name = str(p.relative_to(base)) if base is not None and base in p.parents else str(p)
        out.append({"path": name, "bytes": p.stat().st_size, "sha256": sha256_file(p)})
    return out


def provenance(inputs: list[dict[str, Any]], config: dict[str, Any]) -> dict[str, str]:
    """Attributes every product carries: software, creation time, inputs, configuration."""
    return {
        "software": "pisar-l3",
        "software_version": software_version(),
        "python_version": platform.python_version(),
        "created_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "inputs": json.dumps(inputs),
        "configuration": json.dumps(config, sort_keys=True, default=str),
    }


#: errno values of an output that cannot grow: disk full, quota, file size limit.
_NO_ROOM = {errno.ENOSPC: "No space left on device", errno.EDQUOT: "Disk quota exceeded",
            errno.EFBIG: "File too large"}


class OutputFull(PisarL3Error, OSError):
    """A product could not be written: its disk is full (or a quota or size limit hit).

    HDF5 reports a failed write as ``RuntimeError`` or ``OSError`` with the C errno only in
    its message; this names the product and carries the errno. After one, the HDF5
    objects of the failed file may not be freed safely: end the process soon
    (``postflight`` exits with status 2 at once).
    """


def no_room(exc: BaseException | None) -> int | None:
    """The errno when ``exc``, or what it was raised from or during, is a full output."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _NO_ROOM:
            return exc.errno
        text = str(exc)
        for code, message in _NO_ROOM.items():
            if f"errno = {code}," in text or message in text:  # HDF5's error stack
                return code
        exc = exc.__cause__ or exc.__context__
    return None


#: Free bytes under which a failed write is taken for a full disk (the failed file, not
#: yet removed, still holds its space when this is checked).
NEARLY_FULL_BYTES = 1 << 20


def _nearly_full(folder: Path) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < NEARLY_FULL_BYTES


@contextlib.contextmanager
def writing(path: str | os.PathLike[str]) -> Iterator[None]:
    """Raise :class:`OutputFull` naming ``path`` when writing it fails for lack of room."""
    try:
        yield
    except OutputFull:
        raise
    except Exception as exc:
        code = no_room(exc)
        if code is None and isinstance(exc, (OSError, RuntimeError)) and _nearly_full(
                Path(path).parent):
            # netCDF-C reports a full disk as "NetCDF: HDF error" or EACCES, no errno
            code = errno.ENOSPC
        if code is None:
            raise
        raise OutputFull(code, f"{_NO_ROOM[code]} while writing; nothing of it is kept",
                         str(path)) from exc


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` only on success.

    A write that fails for lack of room raises :class:`OutputFull` naming ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with writing(path):
            yield tmp
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
