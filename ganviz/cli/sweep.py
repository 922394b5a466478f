"""``python main.py sweep FILE``: protocols x sigma values x seeds x steps from a TOML file
(see :mod:`ganviz.cli.units`); one folder of results per protocol and a combined table."""

from __future__ import annotations

import argparse
from pathlib import Path

from ganviz.cli.args import UsageError, out_arg, ray_arg, theme_arg
from ganviz.cli.units import run_units

NAME = "sweep"
TRAINS = True  # its process trains: memory is kept for training (ganviz.core.allocator)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``sweep`` and its flags to the subcommands ``sub``."""
    sweep = sub.add_parser(NAME, help="protocols x sigma values x seeds x steps from a TOML "
                           "file: one folder of results per protocol and a combined table")
    sweep.add_argument("file", type=Path, metavar="FILE", help="the sweep file (TOML)")
    sweep.add_argument("--out", type=out_arg, required=True, help="output folder")
    sweep.add_argument("--resume", action="store_true",
                       help="continue the sweep in OUT from its units' checkpoints")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    theme_arg(sweep, "the figures")
    ray_arg(sweep)
    return sweep


def run(args: argparse.Namespace) -> int:
    """Run a sweep file: every protocol's results in its folder, plus a combined table."""
    from ganviz.core.settings import ConfigError
    from ganviz.engine.device import resolve_device
    from ganviz.studies.sweep.plan import load_sweep

    sweep = load_sweep(args.file)
    devices = {sweep.group_config(g.protocol, g.steps, g.values).train.device
               for g in sweep.groups()}
    for name in sorted(devices):
        try:  # refused before anything is written to --out
            resolve_device(name)
        except ConfigError as exc:
            where = "vary.train.device" if "train.device" in sweep.vary \
                else "overrides.train.device"
            raise UsageError(f"sweep {args.file}: {where}: {str(exc).split(': ', 1)[1]}"
                             ) from None
    return run_units(args, sweep, "cuda" if "cuda" in devices else "cpu", single=False,
                     steps_may_grow=False)
