"""Resumable runs: one output folder, a lock, and a manifest of the products made.

Every product is written under a temporary name and renamed when complete
(:func:`flightlog.provenance.atomic_output`), so a killed run leaves no partial product,
only hidden temporaries (``.NAME.PID.part``, ``work/.rc-*``) that the next run removes.
After each step the manifest ``OUT/manifest.json`` (itself replaced atomically) records
the step's key, the files it made (size and modification time) and its summary (paths
under ``OUT`` stored relative, so the folder may move). The key
is a sha256 over the software version, the inputs' checksums, the configuration the step
reads and the keys of the steps it depends on; a step whose key and files are unchanged
is not redone, anything else is.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from flightlog.provenance import atomic_output, software_version

MANIFEST = "manifest.json"
LOCK = ".postflight.lock"


class RunLocked(RuntimeError):
    """Another live ``postflight`` run holds the output folder."""


def step_key(*parts: Any) -> str:
    """sha256 of the software version and ``parts`` (JSON-serialisable)."""
    blob = json.dumps([software_version(), *parts], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _swap(obj: Any, old: str, new: str) -> Any:
    """``obj`` with every string that starts with ``old`` starting with ``new`` instead."""
    if isinstance(obj, str):
        return new + obj[len(old):] if obj.startswith(old) else obj
    if isinstance(obj, dict):
        return {k: _swap(v, old, new) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_swap(v, old, new) for v in obj]
    return obj


_OUT = "{OUT}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunState:
    """The lock and manifest of one output folder (a context manager).

    Parameters
    ----------
    out : path-like
        The output folder (created if missing).
    resume : bool
        Reuse steps the manifest shows complete and current; ``False`` redoes everything.
    """

    def __init__(self, out: str | os.PathLike[str], resume: bool = True) -> None:
        self.out = Path(out)
        self.resume = resume
        self.manifest: dict[str, Any] = {"steps": {}}
        self.reused: list[str] = []
        self.made: list[str] = []

    def __enter__(self) -> RunState:
        self.out.mkdir(parents=True, exist_ok=True)
        lock = self.out / LOCK
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and pid != os.getpid() and _alive(pid):
                raise RunLocked(f"{self.out}: in use by postflight process {pid} "
                                f"(lock file {lock})") from None
            lock.unlink(missing_ok=True)
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        self._clean()
        path = self.out / MANIFEST
        if path.exists():
            try:
                self.manifest = json.loads(path.read_text())
            except (OSError, ValueError):
                self.manifest = {"steps": {}}
        self.manifest.setdefault("steps", {})
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        (self.out / LOCK).unlink(missing_ok=True)

    def _clean(self) -> None:
        """Remove the temporaries a killed run left (never a finished product)."""
        for folder in (self.out, self.out / "work"):
            if not folder.is_dir():
                continue
            for p in folder.iterdir():
                if p.name.startswith(".") and p.name.endswith(".part"):
                    p.unlink(missing_ok=True)
                elif p.name.startswith(".rc-") and p.is_dir():
                    shutil.rmtree(p, ignore_errors=True)

    def _stat(self, path: Path) -> dict[str, int]:
        st = path.stat()
        return {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns}

    def _rel(self, path: str | os.PathLike[str]) -> str:
        p = Path(path)
        try:
            return str(p.resolve().relative_to(self.out.resolve()))
        except ValueError:
            return str(p)

    def done(self, step: str, key: str) -> dict[str, Any] | None:
        """The manifest entry of ``step`` when it is complete and current, else None."""
        entry = self.manifest["steps"].get(step)
        if not self.resume or entry is None or entry.get("key") != key:
            return None
        for name, st in entry.get("files", {}).items():
            p = self.out / name if not os.path.isabs(name) else Path(name)
            if not p.is_file() or self._stat(p) != st:
                return None
        self.reused.append(step)
        return {**entry, "summary": _swap(entry["summary"], _OUT, str(self.out))}

    def record(self, step: str, key: str, files: list[str | os.PathLike[str]],
               summary: Any) -> dict[str, Any]:
        """Note ``step`` complete with its files and summary; returns the entry."""
        entry = {"key": key, "summary": _swap(summary, str(self.out), _OUT),
                 "files": {self._rel(f): self._stat(Path(f)) for f in files}}
        self.manifest["steps"][step] = entry
        self.made.append(step)
        with atomic_output(self.out / MANIFEST) as tmp:
            tmp.write_text(json.dumps(self.manifest, indent=1, default=str))
        return {**entry, "summary": summary}

    def scratch(self) -> Path:
        """A new hidden scratch folder under ``OUT/work`` (removed by a later run if left)."""
        work = self.out / "work"
        work.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".rc-", dir=work))
