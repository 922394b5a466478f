"""Command line: ``train``, ``compare``, ``sweep``, ``variance``, ``analyse`` and ``bench``
headless; no subcommand opens the window.

Bad input prints one line ``ganviz: error: FIELD: what is allowed`` and exits with 2.

Where things live: each command is one module holding its flags (``add_parser``) and its
work (``run``): ``train.py``, ``compare.py``, ``sweep.py``, ``variance.py``, ``analyse.py``,
``bench.py``, and ``window.py`` (no subcommand). ``parser.py`` assembles them in the order
of its ``COMMANDS`` (adding a command is one module and one entry there); ``args.py`` holds
the shared argument types and ``UsageError``, ``configs.py`` the config the flags ask for,
``units.py`` the running of a sweep's units (compare, sweep), ``outdir.py`` the ``--out``
folder. This module only runs the command ``argv`` asks for.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Sequence

from ganviz.cli.parser import build_parser, command_of
from ganviz.core.errors import UserError

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python main.py`` and the ``ganviz`` command; returns the exit code.

    Called for the process (no ``argv``), a Ctrl-C at any moment, even one pressed again
    and again while the program is already ending, gives exit code 130 and no traceback.
    """
    if argv is not None:
        return _dispatch(list(argv))
    code = 130  # what an interrupt that escaped everything below means
    try:
        code = _dispatch(sys.argv[1:])
    except KeyboardInterrupt:
        pass
    finally:  # the process ends now: a late Ctrl-C must not break its exit
        try:
            _ignore_interrupts()
        except KeyboardInterrupt:  # one more, landed between two tries below
            _ignore_interrupts()
    return code


def _ignore_interrupts() -> None:
    """Ignore SIGINT from now on; an interrupt raised while installing that is retried."""
    for _ in range(1000):
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            return
        except KeyboardInterrupt:
            continue


def _dispatch(argv: list[str]) -> int:
    """Parse ``argv`` and run its command; user errors and interrupts become exit codes."""
    try:
        args = build_parser().parse_args(argv)
        args.argv = argv
        command = command_of(args)
        if command.TRAINS:
            from ganviz.core.allocator import keep_memory_for_training

            keep_memory_for_training()
        return command.run(args)
    except UserError as exc:
        print(f"ganviz: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ganviz: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        with contextlib.suppress(OSError):
            sys.stderr.close()
        return 1
