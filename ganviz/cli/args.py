"""What every command's parser shares: the parser that reports a mistake as one line, the
argument types (whole numbers, seconds, folder names, comma lists, Ray addresses) and the
``--theme`` and ``--ray`` flags."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ganviz.core.config import SETTINGS
from ganviz.core.errors import UserError

MAX_STEPS = int(SETTINGS["train.steps"].le)  # the config's own limit for train.steps
THEMES = ("dark", "paper")  # the figures' looks (ganviz.views.theme.THEMES; no Qt here)


class UsageError(UserError):
    """A user mistake on the command line: reported as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes are a :class:`UsageError`, not an exit."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def int_arg(name: str, high: int):
    """An argparse type: a whole number from 1 to ``high``."""

    def parse(text: str) -> int:
        text = text.strip()
        if len(text) > 12 or not text.lstrip("+-").isdecimal():
            if text.lstrip("+-").isdecimal():
                raise argparse.ArgumentTypeError(f"must be at most {high} (got {len(text)} "
                                                 "digits)")
            raise argparse.ArgumentTypeError(f"must be an integer (got {text!r})")
        value = int(text)
        if value < 1:
            raise argparse.ArgumentTypeError(f"must be >= 1 (got {value})")
        if value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high} (got {value})")
        return value

    parse.__name__ = name
    return parse


def seconds_arg(name: str, low: float = 0.0, high: float = 3600.0):
    """An argparse type: a finite number of seconds in [low, high]."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number of seconds (got {text!r})"
                                             ) from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a number of seconds from {low:g} to "
                                             f"{high:g} (got {text!r})")
        return value

    parse.__name__ = name
    return parse


def out_arg(text: str) -> Path:
    """An argparse type: a folder name (not empty, no surrounding blanks)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("give a folder name (got an empty one)")
    if text != text.strip():
        raise argparse.ArgumentTypeError(f"the folder name has blanks around it ({text!r})")
    if "\0" in text:
        raise argparse.ArgumentTypeError("the folder name contains a NUL character")
    return Path(text)


def split_list(field: str, text: str, kind: type) -> list:
    """The items of a comma list given to ``field``, each converted by ``kind``."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise UsageError(f"{field}: give a comma-separated list")
    try:
        return [kind(t) for t in items]
    except ValueError:
        raise UsageError(f"{field}: every item must be a {kind.__name__} (got {text!r})") from None


def theme_arg(parser: argparse.ArgumentParser, what: str) -> None:
    """--theme: the look of ``what``, the window's dark one or a light one for print."""
    parser.add_argument("--theme", choices=THEMES, default="dark",
                        help=f"look of {what}: dark (as the window) or paper (white, for "
                             "print); default dark")


def ray_arg(parser: argparse.ArgumentParser) -> None:
    """--ray [ADDRESS]: run the units on a local Ray, or on the cluster at ADDRESS."""
    parser.add_argument("--ray", nargs="?", const=LOCAL_RAY, default=None, metavar="ADDRESS",
                        type=_ray_address,
                        help="run the units on Ray: alone, a local Ray on all cores; with "
                             "ADDRESS (e.g. ray://head:10001 or auto), join that cluster")


class _LocalRay:
    """``--ray`` given alone: a local Ray (not a string, so argparse leaves it as it is)."""

    def __repr__(self) -> str:
        return "a local Ray"


LOCAL_RAY = _LocalRay()


def _ray_address(text: str) -> str:
    """An argparse type: a Ray address (``--ray`` alone, with no value, means a local Ray)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("give a cluster address (e.g. ray://head:10001 or "
                                         "auto), or --ray alone for a local Ray")
    return text.strip()
