"""``python main.py variance SWEEP_OUT``: where a finished sweep's generators put each mode's
variance; variance.md, variance.csv and variance.png beside the sweep's results."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganviz.cli.args import UsageError, theme_arg

NAME = "variance"
TRAINS = False  # evaluates finished generators only


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``variance`` and its flags to the subcommands ``sub``."""
    variance = sub.add_parser(NAME, help="where a finished sweep's generators put each "
                              "mode's variance (learned Σ(z) against the spread of μ(z)): "
                              "variance.md, variance.csv, variance.png in the sweep's folder")
    variance.add_argument("out", type=Path, metavar="SWEEP_OUT",
                          help="the --out folder of a finished sweep")
    variance.add_argument("--device", default="auto",
                          help="where to evaluate the generators: auto (CUDA when present), "
                               "cpu, cuda or cuda:N")
    theme_arg(variance, "variance.png")
    return variance


def run(args: argparse.Namespace) -> int:
    """The learned-variance study of a finished sweep, written beside its results."""
    from ganviz.core.atomic import write_text_atomic
    from ganviz.studies.variance import (
        response_curves,
        study_csv,
        study_markdown,
        study_sweep,
    )

    out: Path = args.out
    if not (out / "sweep.json").is_file():
        raise UsageError(f"SWEEP_OUT: {out} is not a sweep's output folder (no sweep.json)")
    groups = study_sweep(out, args.device)
    command = "python main.py " + " ".join(args.argv)
    paths = [out / "variance.md", out / "variance.csv"]
    figure = out / "variance.png"
    try:
        from ganviz.figures.variance import write_variance_figure
    except ImportError:
        print("figure skipped: it needs PySide6 and pyqtgraph", file=sys.stderr)
    else:
        floors = {g.sigma_min for g in groups}
        paths.append(write_variance_figure(response_curves(groups), figure,
                                           floor=floors.pop() if len(floors) == 1 else None,
                                           theme=args.theme))
    write_text_atomic(paths[0], study_markdown(groups, command))
    write_text_atomic(paths[1], study_csv(groups))
    for path in paths:
        print(path)
    return 0
