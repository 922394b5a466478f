"""The output folder of a headless run: created, proven writable, locked while in use.

A folder that already holds a run is never overwritten: it is continued with ``--resume``
or refused. While a run writes into it, a lock file keeps a second ganviz out; temporary
files that a killed run left behind (``.checkpoint.pt.XXXXXXXX.tmp``) are removed when the
next run takes the lock.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

from ganviz.core.errors import UserError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; folders are still never overwritten
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".ganviz.lock"
# What a run writes; any of them marks a folder as holding a run.
RUN_FILES = ("checkpoint.pt", "config.toml", "metrics.csv", "summary.json", "results.md",
             "results.csv", "sweep.json")
TEMPORARY_DEPTH = 2  # OUT/<group>/ and OUT/units/<unit>/ hold atomic writes too
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$")


class RunDirError(UserError):
    """The output folder cannot be used; ``str()`` is one line naming ``--out``."""


def holds_run(path: Path) -> list[str]:
    """The run files already in ``path`` (empty when it holds no run)."""
    return [name for name in RUN_FILES if (path / name).exists()]


def fresh_default(path: Path) -> Path:
    """``path``, or ``path-2``, ``path-3``, ... : the first that holds no run yet."""
    candidate, n = path, 1
    while candidate.is_dir() and holds_run(candidate):
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


class RunDir:
    """One run's output folder, held from :meth:`open` to :meth:`close`.

    ``resume`` requires a checkpoint in the folder; without it, a folder holding a run is
    refused. Folders created here are removed again by :meth:`discard` (a failed start).
    """

    def __init__(self, path: Path, *, resume: bool, field: str = "--out",
                 resume_file: str = "checkpoint.pt") -> None:
        self.path = Path(path)
        self.resume_file = resume_file  # what --resume needs, and what keeps a failed run
        self.resume = resume
        self.field = field
        self.created: list[Path] = []
        self._lock_fd: int | None = None

    def open(self) -> RunDir:
        """Check, create and lock the folder; raise :class:`RunDirError` if it cannot be used."""
        out = self.path
        if str(out).strip() == "" or str(out) != str(out).strip():
            raise RunDirError(f"{self.field}: give a folder name (got {str(out)!r})")
        existing = out.absolute()
        missing = []
        while not existing.exists():
            missing.append(existing)
            existing = existing.parent
        if not existing.is_dir():
            raise RunDirError(f"{self.field}: {existing} is not a folder")
        if self.resume and not (out / self.resume_file).is_file():
            raise RunDirError(f"--resume: no {self.resume_file} in {out}")
        if not self.resume and out.is_dir() and holds_run(out):
            files = ", ".join(holds_run(out))
            raise RunDirError(f"{self.field}: {out} already holds a run ({files}); continue it "
                              "with --resume, or choose another folder")
        try:
            for d in reversed(missing):
                d.mkdir()
                self.created.append(d)
            self._lock()
            probe = out / f".ganviz-write-test-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            self.close()
            self.discard()
            raise RunDirError(f"{self.field}: cannot write to {out} ({exc.strerror})") from None
        except RunDirError:
            self.close()
            self.discard()
            raise
        self.remove_stale_temporaries()
        return self

    def _lock(self) -> None:
        if fcntl is None:
            return
        fd = os.open(self.path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise RunDirError(f"{self.field}: {self.path} is in use by another ganviz run; "
                              "wait for it to finish or choose another folder") from None
        self._lock_fd = fd

    def remove_stale_temporaries(self) -> list[Path]:
        """Remove temporary files of interrupted writes (safe: this process holds the lock),
        in the folder and in the folders ganviz makes inside it (a sweep's ``<group>/`` and
        ``units/<unit>/``), never following a link out of it."""
        removed = []
        for folder in self._own_folders():
            for p in folder.iterdir():
                m = _TEMPORARY.match(p.name)
                if m and p.is_file() and not p.is_symlink() \
                        and not p.name.startswith(".ganviz-write-test"):
                    with contextlib.suppress(FileNotFoundError):
                        p.unlink()
                        removed.append(p)
        return removed

    def _own_folders(self, depth: int = TEMPORARY_DEPTH) -> list[Path]:
        """The folder and its real subfolders down to ``depth`` levels (links left out)."""
        found, level = [self.path], [self.path]
        for _ in range(depth):
            level = [d for parent in level for d in sorted(parent.iterdir())
                     if d.is_dir() and not d.is_symlink()]
            found += level
        return found

    def close(self) -> None:
        """Release the lock and remove the lock file."""
        if self._lock_fd is None:
            return
        # the lock is released with its descriptor; a lock file that cannot be removed (the
        # folder became read-only, say) is harmless, and must not hide the run's own error
        with contextlib.suppress(OSError):
            os.unlink(self.path / LOCK_NAME)
        os.close(self._lock_fd)
        self._lock_fd = None

    def discard(self) -> None:
        """Remove the folders this run created (deepest first), with anything inside, unless
        training got as far as a checkpoint: that work is kept for ``--resume``."""
        if (self.path / self.resume_file).exists():
            return
        for d in reversed(self.created):
            shutil.rmtree(d, ignore_errors=True)
        self.created = []
