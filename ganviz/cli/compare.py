"""``python main.py compare``: the four estimators under a published protocol over seeds, a
one-protocol sweep (see :mod:`ganviz.cli.units`); results.md, results.csv, summary.json and
the figures in ``--out``."""

from __future__ import annotations

import argparse

from ganviz.cli.args import (
    MAX_STEPS,
    UsageError,
    int_arg,
    out_arg,
    ray_arg,
    split_list,
    theme_arg,
)
from ganviz.cli.units import run_units
from ganviz.core.names import ESTIMATORS
from ganviz.core.sections import MAX_RUNS

NAME = "compare"
TRAINS = True  # its process trains: memory is kept for training (ganviz.core.allocator)
MAX_COMPARE_SEEDS = MAX_RUNS // len(ESTIMATORS)  # every estimator x seeds within the limit


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``compare`` and its flags to the subcommands ``sub``."""
    compare = sub.add_parser(NAME, help="the four estimators under a published protocol, "
                             "over seeds: results.md, results.csv, summary.json, figure")
    compare.add_argument("--protocol", required=True,
                         help="veegan-ring, veegan-grid, pacgan-ring or pacgan-grid")
    compare.add_argument("--seeds", type=int_arg("--seeds", MAX_COMPARE_SEEDS), default=5,
                         help=f"number of seeds (default 5, at most {MAX_COMPARE_SEEDS})")
    compare.add_argument("--steps", type=int_arg("--steps", MAX_STEPS), default=None,
                         help="iterations (default: the protocol's)")
    compare.add_argument("--sigma", default=None,
                         help="sigma value(s) of the fixed-sigma runs, comma list")
    compare.add_argument("--device", default=None, help="auto, cpu or cuda")
    compare.add_argument("--out", type=out_arg, required=True, help="output folder")
    compare.add_argument("--resume", action="store_true",
                         help="continue from the units' checkpoints in OUT (--steps may grow)")
    compare.add_argument("--checkpoint-every", type=int_arg("--checkpoint-every", MAX_STEPS),
                         default=500, help="save each unit's checkpoint every N steps "
                                           "(default 500)")
    compare.add_argument("--quiet", action="store_true", help="no progress bar")
    theme_arg(compare, "the figures")
    ray_arg(compare)
    return compare


def run(args: argparse.Namespace) -> int:
    """Train the protocol over seeds (a one-protocol sweep), then tabulate and draw it."""
    from ganviz.core.settings import ConfigError
    from ganviz.engine.device import resolve_device
    from ganviz.studies import compare
    from ganviz.studies.sweep.plan import Sweep

    sigmas = split_list("--sigma", args.sigma, float) if args.sigma is not None else None
    try:
        cfg = compare.protocol_config(args.protocol, args.seeds, args.steps, sigmas, args.device)
    except ConfigError as exc:
        if exc.field.startswith("runs.sigmas"):
            raise UsageError(f"--sigma ({exc})") from None
        if exc.field == "runs":
            raise UsageError(f"--seeds/--sigma ({exc})") from None
        if exc.field == "train.device":
            raise UsageError(f"--device ({exc})") from None
        raise
    device = resolve_device(cfg.train.device)
    sweep = Sweep((args.protocol,), tuple(range(args.seeds)), tuple(cfg.runs.sigmas),
                  (cfg.train.steps,),
                  checkpoint_every=args.checkpoint_every)
    unit_device = "cuda" if args.device == "cuda" else "cpu"
    if unit_device == "cuda" and device.type != "cuda":
        unit_device = device.type
    return run_units(args, sweep, unit_device, single=True, steps_may_grow=True)
