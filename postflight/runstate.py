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

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from flightlog.errors import PisarL3Error
from flightlog.provenance import atomic_output, software_version

MANIFEST = "manifest.json"
LOCK = ".postflight.lock"


class RunLocked(PisarL3Error, RuntimeError):
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


def _take_lock(lock: Path, out: Path) -> int:
    """Hold an exclusive ``flock`` on the lock file; return its descriptor.

    The lock is atomic and the kernel releases it when the holder dies, so a stale lock
    is never taken over by two runs at once.
    """
    while True:
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                pid = int(os.read(fd, 32).decode().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            os.close(fd)
            who = f"postflight process {pid}" if pid else "another postflight process"
            raise RunLocked(f"{out}: in use by {who} (lock file {lock})") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the holder removed it between our open and our lock: again
            os.close(fd)
            continue
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        return fd


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
        self._lock_fd = _take_lock(self.out / LOCK, self.out)
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
        # unlinked while still held: a waiting run that locked this inode sees it is gone
        (self.out / LOCK).unlink(missing_ok=True)
        os.close(self._lock_fd)

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
