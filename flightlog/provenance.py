"""Atomic product writing and provenance records (software, inputs with sha256, config)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


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


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
