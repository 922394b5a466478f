"""``python main.py analyse SWEEP_OUT... --out DIR`` (or ``analyze``): the study's
pre-registered endpoints of finished sweep or compare folders, with intervals."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganviz.cli.args import UsageError, out_arg, theme_arg

NAME = "analyse"
TRAINS = False  # reads finished folders only


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``analyse`` (alias ``analyze``) and its flags to the subcommands ``sub``."""
    analyse = sub.add_parser(NAME, aliases=["analyze"],
                             help="the study's endpoints of finished sweep or compare folders, "
                                  "with intervals: runs.csv (one row per run), endpoints.csv "
                                  "and endpoints.md; noise.csv and noise.md (the score "
                                  "function's baselines) where the groups hold "
                                  "per_run.csv; replicates.csv and replicates.md where "
                                  "groups differ only in model.init_nudge")
    analyse.add_argument("folders", type=Path, nargs="+", metavar="SWEEP_OUT",
                         help="--out folders of finished sweeps or compares")
    analyse.add_argument("--out", type=out_arg, required=True,
                         help="folder for runs.csv, endpoints.csv, endpoints.md and "
                              "endpoints.png/.svg/.pdf")
    theme_arg(analyse, "endpoints.png/.svg/.pdf")
    return analyse


def run(args: argparse.Namespace) -> int:
    """The pre-registered endpoints of finished folders, written into ``--out``."""
    from ganviz.core.atomic import write_text_atomic
    from ganviz.studies.analysis import (
        analyse,
        endpoints_csv,
        endpoints_markdown,
        read_groups,
        runs_csv,
    )
    from ganviz.studies.replicates import replicate_texts
    from ganviz.studies.score_noise import noise_texts

    groups = read_groups(args.folders)  # all is read before anything is written
    runs, rows, series = analyse(groups)
    if not runs:
        raise UsageError("SWEEP_OUT: the folders hold no runs")
    command = "python main.py " + " ".join(args.argv)
    texts = {"runs.csv": runs_csv(runs), "endpoints.csv": endpoints_csv(rows),
             "endpoints.md": endpoints_markdown(rows, command),
             **noise_texts(groups, command), **replicate_texts(groups, runs, command)}
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            write_text_atomic(args.out / name, text)
    except OSError as exc:
        raise UsageError(f"--out: cannot write into {args.out} ({exc.strerror or exc})"
                         ) from None
    try:
        from ganviz.figures.comparison import write_widget_figure
        from ganviz.figures.study import study_figure
    except ImportError:
        print("figure skipped: it needs PySide6 and pyqtgraph", file=sys.stderr)
    else:
        write_widget_figure(lambda look: study_figure(rows, series, look),
                            args.out / "endpoints.png", theme=args.theme, vectors=True)
    print(texts["endpoints.md"], end="")
    return 0
