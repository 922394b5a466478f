"""The command line's argument parser, assembled from the command modules: the window's
flags at the top level, then one subcommand per module of :data:`COMMANDS`. The reference
page of the docs is generated from it (:mod:`ganviz.reference`)."""

from __future__ import annotations

import argparse
from types import ModuleType

from ganviz.cli import analyse, bench, compare, sweep, train, variance, window
from ganviz.cli.args import Parser

# The subcommands, in the order of --help. Each module has NAME, TRAINS (its process trains:
# memory is kept for training), add_parser(sub) and run(args); a new command is one more.
COMMANDS: tuple[ModuleType, ...] = (train, compare, sweep, variance, analyse, bench)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``python main.py``."""
    parser = Parser(prog="ganviz", description="GANs with learned versus fixed generator "
                    "conditional variance, four gradient estimators side by side.")
    window.add_arguments(parser)
    sub = parser.add_subparsers(dest="command",
                                metavar="{" + ",".join(c.NAME for c in COMMANDS) + "}")
    for command in COMMANDS:
        command.add_parser(sub).set_defaults(command_module=command)
    return parser


def command_of(args: argparse.Namespace) -> ModuleType:
    """The module of the command ``args`` were parsed for: the window's when none was given."""
    return getattr(args, "command_module", window)
