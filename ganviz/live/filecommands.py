"""The file commands of the training process: save and open sessions, export metrics and
the summary. Plain functions of a trainer; the training loop installs an opened trainer
and turns failures into one-line notices."""

from __future__ import annotations

import json
from pathlib import Path

from ganviz.core.atomic import write_text_atomic
from ganviz.core.contract import (
    Exported,
    ExportMetrics,
    ExportSummary,
    Notice,
    Opened,
    OpenSession,
    Saved,
    SaveSession,
)
from ganviz.engine.equation1 import compute_sigma_curves
from ganviz.engine.outputs import metrics_csv_text, summary_dict
from ganviz.engine.sessionfile import load_session, save_session
from ganviz.engine.trainer import Trainer

FileCommand = SaveSession | OpenSession | ExportMetrics | ExportSummary
FILE_ACTIONS = {SaveSession: "save session", OpenSession: "open session",
                ExportMetrics: "export metrics", ExportSummary: "export summary"}


def carry_out(command: FileCommand, trainer: Trainer) -> tuple[Notice, Trainer | None]:
    """Do ``command`` for ``trainer``: the notice to send, and the opened trainer (for
    :class:`OpenSession`, else None). Raises the one-line errors of the files and OSError."""
    match command:
        case SaveSession(path=path, view=view):
            return Saved(str(save_session(trainer, path, view=view))), None
        case OpenSession(path=path):
            opened, view = load_session(path)
            return Opened(str(path), view), opened
        case ExportMetrics(path=path):
            write_text_atomic(Path(path), metrics_csv_text(trainer.history))
            return Exported(str(path)), None
        case ExportSummary(path=path):
            summary = summary_dict(trainer, compute_sigma_curves(trainer))
            write_text_atomic(Path(path), json.dumps(summary, indent=2) + "\n")
            return Exported(str(path)), None
    raise TypeError(f"not a file command: {command!r}")
