"""The ``--out`` folder of a command that trains: opened locked (never overwritten), and
removed again after a failure unless it holds a checkpoint to resume from."""

from __future__ import annotations

from pathlib import Path

from ganviz.cli.args import UsageError


def open_run_dir(out: Path, resume: bool):
    """The locked output folder of a run (see :mod:`ganviz.studies.rundir`); usage errors as
    one line."""
    from ganviz.studies.rundir import RunDir, RunDirError

    try:
        return RunDir(out, resume=resume).open()
    except RunDirError as exc:
        raise UsageError(str(exc)) from None


def give_up(run_dir, exc: BaseException) -> None:
    """After a failed run: remove the folders it created unless they hold a checkpoint, and
    turn a write failure (disk full, folder removed while training) into one line."""
    run_dir.close()
    run_dir.discard()
    if isinstance(exc, OSError):
        raise UsageError(f"--out: cannot write into {run_dir.path} "
                         f"({exc.strerror or exc})") from None
