"""``python main.py`` with no command: open the window. Its flags are the top-level ones
(``--preset``, ``--config``, ``--device``, ``--play``, ``--quit-after``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ganviz.cli.args import UsageError, seconds_arg
from ganviz.cli.configs import base_config

TRAINS = False  # the window trains in a child process (ganviz.live.process), not in this one


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the window's flags to the top-level ``parser``."""
    parser.add_argument("--preset", default=None, help="open the window on this preset")
    parser.add_argument("--config", type=Path, default=None,
                        help="open the window on this config TOML file")
    parser.add_argument("--device", default=None,
                        help="open the window training on auto (CUDA when present), cpu or cuda")
    parser.add_argument("--play", action="store_true", help="start training at once")
    parser.add_argument("--quit-after", type=seconds_arg("--quit-after"), default=None,
                        metavar="SECONDS",
                        help="close the window after SECONDS (scripted demos)")


def run(args: argparse.Namespace) -> int:
    """Open the main window (no subcommand)."""
    from ganviz.core import config
    from ganviz.engine.device import check_device_elsewhere
    from ganviz.gui.preflight import problem

    cfg = base_config(args)
    if args.device is not None:
        try:
            cfg = cfg.with_overrides({"train": {"device": args.device}})
        except config.ConfigError as exc:
            raise UsageError(f"--device ({exc})") from None
    check_device_elsewhere(cfg.train.device)  # the window's process never imports torch
    why_not = problem()  # before anything imports Qt, which would abort the process
    if why_not is not None:
        raise UsageError(why_not)
    try:
        from ganviz.gui.app import run_app
    except ImportError as exc:
        raise UsageError(f"the window needs PySide6 and pyqtgraph ({exc}); "
                         "headless: python main.py train") from None
    return run_app(cfg, play=args.play, quit_after=args.quit_after)
