"""``python main.py bench``: measure the training step (eager and compiled) against this
machine's matmul peak, or with ``--gui`` the window's training rate against headless."""

from __future__ import annotations

import argparse
import json

from ganviz.cli.args import seconds_arg

NAME = "bench"
TRAINS = True  # its process trains: memory is kept for training (ganviz.core.allocator)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``bench`` and its flags to the subcommands ``sub``."""
    bench = sub.add_parser(NAME, help="measure the training step (eager and compiled) against "
                                      "this machine's matmul peak")
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument("--device", default="auto", help="auto, cpu or cuda")
    bench.add_argument("--quick", action="store_true", help="short measurement (for tests)")
    bench.add_argument("--gui", action="store_true",
                       help="measure the window offscreen: training throughput while drawing "
                            "as a fraction of headless, and frames per second")
    bench.add_argument("--seconds", type=seconds_arg("--seconds", low=1.0), default=10.0,
                       help="measuring time of --gui (default 10, 1 to 3600)")
    return bench


def run(args: argparse.Namespace) -> int:
    """Measure batched against separate training and print the ratios."""
    from ganviz.engine.device import resolve_device

    resolve_device(args.device)
    if args.gui:
        from ganviz.bench.window import format_gui_report, run_gui_bench
        from ganviz.core import config

        cfg = config.load_preset("default").with_overrides({"train": {"device": args.device}})
        result = run_gui_bench(cfg, seconds=2.0 if args.quick else args.seconds)
        print(json.dumps(result, indent=2) if args.json else format_gui_report(result))
        return 0
    from ganviz.bench import engine as bench

    result = bench.run_bench(device=args.device, quick=args.quick)
    print(json.dumps(result, indent=2) if args.json else bench.format_report(result))
    return 0
