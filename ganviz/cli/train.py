"""``python main.py train``: train headless and write config.toml, metrics.csv, summary.json
and checkpoint.pt (and, when asked, the figures and a GIF of the training)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ganviz.cli.args import MAX_STEPS, UsageError, int_arg, out_arg, theme_arg
from ganviz.cli.configs import check_data_file, preset_name, resolve_config, resume_config
from ganviz.cli.outdir import give_up, open_run_dir

NAME = "train"
TRAINS = True  # its process trains: memory is kept for training (ganviz.core.allocator)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``train`` and its flags to the subcommands ``sub``."""
    train = sub.add_parser(NAME, help="train headless and write metrics, summary, checkpoint")
    src = train.add_mutually_exclusive_group()
    src.add_argument("--preset", default=None, help="bundled preset name (default: default)")
    src.add_argument("--config", type=Path, default=None, help="a config TOML file")
    train.add_argument("--steps", type=int_arg("--steps", MAX_STEPS),
                       help="total training steps (with --resume: default the checkpoint's)")
    train.add_argument("--estimators", help="comma list of plugin,reparam_fixed,"
                       "reparam_learned,score")
    train.add_argument("--seeds", help="comma list of integer seeds, e.g. 0,1,2")
    train.add_argument("--sigma", help="sigma value(s) of the fixed-sigma runs, comma list")
    train.add_argument("--device", help="auto (CUDA when present), cpu or cuda")
    train.add_argument("--data", type=Path, default=None, metavar="FILE",
                       help="train on your own 2-D points: a .csv, .txt (.tsv, .dat) or .npy "
                            "file (the rest of the config from --preset/--config)")
    train.add_argument("--columns", default=None, metavar="A,B",
                       help="the two columns of --data used as x and y, by name or 0-based "
                            "index (default: the first two numeric columns)")
    train.add_argument("--out", type=out_arg, default=None,
                       help="output folder (default: runs/<preset or config name>, numbered "
                            "-2, -3, ... when that already holds a run)")
    train.add_argument("--resume", action="store_true",
                       help="continue from OUT/checkpoint.pt up to --steps in total")
    train.add_argument("--checkpoint-every", type=int_arg("--checkpoint-every", MAX_STEPS),
                       default=1000, help="also save the checkpoint and metrics.csv every N "
                                          "steps (default 1000)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--figures", action="store_true",
                       help="also write comparison.png/.svg/.pdf and one PNG per panel "
                            "(offscreen)")
    theme_arg(train, "--figures")
    train.add_argument("--gif", action="store_true",
                       help="also write training.gif, a frame every --gif-every steps")
    train.add_argument("--gif-every", type=int_arg("--gif-every", MAX_STEPS), default=None,
                       help="steps between GIF frames (default: steps/50)")
    return train


def run(args: argparse.Namespace) -> int:
    """Train headless; write config.toml, metrics.csv, summary.json and checkpoint.pt."""
    from ganviz.engine.checkpoint import read_checkpoint
    from ganviz.engine.device import resolve_device
    from ganviz.studies.rundir import fresh_default
    from ganviz.studies.train import CHECKPOINT_NAME, run_training

    name = args.config.stem if args.config is not None else preset_name(args)
    if args.data is not None:
        name = args.data.stem or "data"
    if args.out is not None:
        out = args.out
    elif args.resume:
        out = Path("runs") / name
    else:
        out = fresh_default(Path("runs") / name)
    state = None
    if args.resume:
        if not (out / CHECKPOINT_NAME).is_file():
            raise UsageError(f"--resume: no {CHECKPOINT_NAME} in {out}")
        state = read_checkpoint(out / CHECKPOINT_NAME)
        cfg = resume_config(args, state)
    else:
        cfg = resolve_config(args)
    check_data_file(args, cfg)
    device = resolve_device(cfg.train.device)
    if args.figures or args.gif:
        try:
            import pyqtgraph  # noqa: F401
            import PySide6  # noqa: F401
        except ImportError as exc:
            raise UsageError(f"--figures/--gif need PySide6 and pyqtgraph ({exc})") from None
    run_dir = open_run_dir(out, args.resume)
    try:
        drawings = None
        if args.figures or args.gif:
            from ganviz.figures.comparison import TrainingDrawings

            gif_every = (args.gif_every or max(1, cfg.train.steps // 50)) if args.gif else 0
            drawings = TrainingDrawings(figures=args.figures, gif_every=gif_every,
                                        theme=args.theme)
        return run_training(cfg, device, out, resume=args.resume,
                            checkpoint_every=args.checkpoint_every, progress=not args.quiet,
                            drawings=drawings, state=state)
    except BaseException as exc:
        give_up(run_dir, exc)
        raise
    finally:
        run_dir.close()
