"""Command line: ``train`` and ``bench`` headless; no subcommand opens the window.

Bad input prints one line ``ganviz: error: FIELD: what is allowed`` and exits with 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_USAGE = 2


class UsageError(Exception):
    """A user mistake: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``python main.py``."""
    parser = _Parser(prog="ganviz", description="GANs with learned versus fixed generator "
                     "conditional variance, four gradient estimators side by side.")
    parser.add_argument("--preset", default=None, help="open the window on this preset")
    parser.add_argument("--config", type=Path, default=None,
                        help="open the window on this config TOML file")
    parser.add_argument("--device", default=None,
                        help="open the window training on auto (CUDA when present), cpu or cuda")
    parser.add_argument("--play", action="store_true", help="start training at once")
    parser.add_argument("--quit-after", type=float, default=None, metavar="SECONDS",
                        help="close the window after SECONDS (scripted demos)")
    sub = parser.add_subparsers(dest="command", metavar="{train,compare,bench}")

    train = sub.add_parser("train", help="train headless and write metrics, summary, checkpoint")
    src = train.add_mutually_exclusive_group()
    src.add_argument("--preset", default=None, help="bundled preset name (default: default)")
    src.add_argument("--config", type=Path, default=None, help="a config TOML file")
    train.add_argument("--steps", type=_int_arg("--steps"), help="total training steps")
    train.add_argument("--estimators", help="comma list of plugin,reparam_fixed,"
                       "reparam_learned,score")
    train.add_argument("--seeds", help="comma list of integer seeds, e.g. 0,1,2")
    train.add_argument("--sigma", help="sigma value(s) of the fixed-sigma runs, comma list")
    train.add_argument("--device", help="auto (CUDA when present), cpu or cuda")
    train.add_argument("--out", type=Path, default=None,
                       help="output folder (default: runs/<preset or config name>)")
    train.add_argument("--resume", action="store_true",
                       help="continue from OUT/checkpoint.pt up to --steps in total")
    train.add_argument("--checkpoint-every", type=_int_arg("--checkpoint-every"), default=1000,
                       help="also save the checkpoint every N steps (default 1000)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--figures", action="store_true",
                       help="also write comparison.png/.svg and one PNG per panel (offscreen)")
    train.add_argument("--gif", action="store_true",
                       help="also write training.gif, a frame every --gif-every steps")
    train.add_argument("--gif-every", type=_int_arg("--gif-every"), default=None,
                       help="steps between GIF frames (default: steps/50)")

    compare = sub.add_parser("compare", help="the four estimators under a published protocol, "
                             "over seeds: results.md, results.csv, summary.json, figure")
    compare.add_argument("--protocol", required=True,
                         help="veegan-ring, veegan-grid, pacgan-ring or pacgan-grid")
    compare.add_argument("--seeds", type=_int_arg("--seeds"), default=5,
                         help="number of seeds (default 5)")
    compare.add_argument("--steps", type=_int_arg("--steps"), default=None,
                         help="iterations (default: the protocol's)")
    compare.add_argument("--sigma", default=None,
                         help="sigma value(s) of the fixed-sigma runs, comma list")
    compare.add_argument("--device", default=None, help="auto, cpu or cuda")
    compare.add_argument("--out", type=Path, required=True, help="output folder")
    compare.add_argument("--resume", action="store_true",
                         help="continue from OUT/checkpoint.pt")
    compare.add_argument("--checkpoint-every", type=_int_arg("--checkpoint-every"),
                         default=500, help="save the checkpoint every N steps (default 500)")
    compare.add_argument("--quiet", action="store_true", help="no progress bar")

    bench = sub.add_parser("bench", help="measure batched against separate training")
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument("--device", default="auto", help="auto, cpu or cuda")
    bench.add_argument("--quick", action="store_true", help="short measurement (for tests)")
    bench.add_argument("--gui", action="store_true",
                       help="measure the window offscreen: training throughput while drawing "
                            "as a fraction of headless, and frames per second")
    bench.add_argument("--seconds", type=float, default=10.0,
                       help="measuring time of --gui (default 10)")
    return parser


def _int_arg(name: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer (got {text!r})") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"must be >= 1 (got {value})")
        return value

    parse.__name__ = name
    return parse


def _split(field: str, text: str, kind: type) -> list:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise UsageError(f"{field}: give a comma-separated list")
    try:
        return [kind(t) for t in items]
    except ValueError:
        raise UsageError(f"{field}: every item must be a {kind.__name__} (got {text!r})") from None


def resolve_config(args: argparse.Namespace):
    """The validated Config for ``train``'s arguments (preset or file, then overrides)."""
    from ganviz import config

    base = config.load(args.config) if args.config else config.load_preset(args.preset or
                                                                             "default")
    overrides: dict[str, dict] = {"train": {}, "runs": {}}
    if args.steps is not None:
        overrides["train"]["steps"] = args.steps
    if args.device is not None:
        overrides["train"]["device"] = args.device
    if args.estimators is not None:
        overrides["runs"]["estimators"] = _split("--estimators", args.estimators, str)
    if args.seeds is not None:
        overrides["runs"]["seeds"] = _split("--seeds", args.seeds, int)
    if args.sigma is not None:
        overrides["runs"]["sigmas"] = _split("--sigma", args.sigma, float)
    try:
        return base.with_overrides(overrides)
    except config.ConfigError as exc:
        flag = {"runs.estimators": "--estimators", "runs.seeds": "--seeds",
                "runs.sigmas": "--sigma", "train.steps": "--steps", "train.device": "--device"}
        for field, name in flag.items():
            if exc.field.startswith(field) and getattr(args, name[2:]) is not None:
                raise UsageError(f"{name} ({exc})") from None
        raise


def prepare_out_dir(out: Path, resume: bool) -> list[Path]:
    """Create ``out`` (and missing parents) and prove it writable; return what was created."""
    created: list[Path] = []
    p = out.absolute()
    missing = []
    while not p.exists():
        missing.append(p)
        p = p.parent
    if not p.is_dir():
        raise UsageError(f"--out: {p} is not a folder")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {out} exists and is not a folder")
    if resume and not (out / "checkpoint.pt").is_file():
        raise UsageError(f"--resume: no checkpoint.pt in {out}")
    try:
        for d in reversed(missing):
            d.mkdir()
            created.append(d)
        probe = out / f".ganviz-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        remove_created(created)
        raise UsageError(f"--out: cannot write to {out} ({exc.strerror})") from None
    return created


def remove_created(created: list[Path]) -> None:
    """Remove folders this run created (deepest first), with anything inside."""
    for d in reversed(created):
        shutil.rmtree(d, ignore_errors=True)


def cmd_train(args: argparse.Namespace) -> int:
    """Train headless; write config.toml, metrics.csv, summary.json and checkpoint.pt."""
    from ganviz.session import run_training

    cfg = resolve_config(args)
    from ganviz.device import resolve_device

    device = resolve_device(cfg.train.device)
    if args.figures or args.gif:
        try:
            import pyqtgraph  # noqa: F401
            import PySide6  # noqa: F401
        except ImportError as exc:
            raise UsageError(f"--figures/--gif need PySide6 and pyqtgraph ({exc})") from None
    name = args.config.stem if args.config else (args.preset or "default")
    out = args.out if args.out is not None else Path("runs") / name
    created = prepare_out_dir(out, args.resume)
    try:
        gif_every = 0
        if args.gif:
            gif_every = args.gif_every or max(1, cfg.train.steps // 50)
        return run_training(cfg, device, out, resume=args.resume,
                            checkpoint_every=args.checkpoint_every, progress=not args.quiet,
                            figures=args.figures, gif_every=gif_every)
    except KeyboardInterrupt:
        raise
    except OSError as exc:  # disk full, folder removed while training
        remove_created(created)
        raise UsageError(f"--out: cannot write into {out} ({exc.strerror or exc})") from None
    except BaseException:
        remove_created(created)
        raise


def cmd_compare(args: argparse.Namespace) -> int:
    """Train the protocol over seeds, then tabulate and draw the final evaluation."""
    from ganviz import compare
    from ganviz.config import ConfigError
    from ganviz.device import resolve_device
    from ganviz.live import snapshot_of
    from ganviz.session import run_training
    from ganviz.trainer import Trainer

    sigmas = _split("--sigma", args.sigma, float) if args.sigma is not None else None
    try:
        cfg = compare.protocol_config(args.protocol, args.seeds, args.steps, sigmas, args.device)
    except ConfigError as exc:
        if exc.field.startswith("runs.sigmas"):
            raise UsageError(f"--sigma ({exc})") from None
        raise
    device = resolve_device(cfg.train.device)
    created = prepare_out_dir(args.out, args.resume)
    if args.resume:
        from ganviz.trainer import CheckpointError, read_checkpoint

        try:
            why = compare.resume_mismatch(cfg, read_checkpoint(args.out / "checkpoint.pt")
                                          ["config"])
        except CheckpointError as exc:
            raise UsageError(f"--resume: {exc}") from None
        if why is not None:
            raise UsageError(f"--resume: {args.out} was made with other options ({why}); "
                             "give the same --protocol, --seeds and --sigma")
    try:
        code = run_training(cfg, device, args.out, resume=args.resume,
                            checkpoint_every=args.checkpoint_every, progress=not args.quiet)
        trainer = Trainer.from_checkpoint(args.out / "checkpoint.pt", device=device)
        paths = compare.write_results(trainer, args.out, compare.command_line(args.argv))
        try:
            from ganviz.gui.eq1figure import write_equation1_figure
            from ganviz.gui.headless import write_density_figure
        except ImportError:
            print("figures skipped: they need PySide6 and pyqtgraph", file=sys.stderr)
        else:
            paths.append(write_density_figure(snapshot_of(trainer),
                                              compare.best_and_worst(trainer),
                                              args.out / "densities.png"))
            paths.append(write_equation1_figure(compare.equation1_by_group(trainer),
                                                trainer.cfg.data.std,
                                                args.out / "equation1.png"))
    except KeyboardInterrupt:
        raise
    except OSError as exc:
        remove_created(created)
        raise UsageError(f"--out: cannot write into {args.out} ({exc.strerror or exc})") from None
    print(f"results in {args.out}/: {', '.join(p.name for p in paths)}")
    print((args.out / "results.md").read_text(), end="")
    return code


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure batched against separate training and print the ratios."""
    from ganviz.device import resolve_device

    resolve_device(args.device)
    if args.gui:
        from ganviz import config
        from ganviz.gui.benchmark import format_gui_report, run_gui_bench

        cfg = config.load_preset("default").with_overrides({"train": {"device": args.device}})
        result = run_gui_bench(cfg, seconds=2.0 if args.quick else args.seconds)
        print(json.dumps(result, indent=2) if args.json else format_gui_report(result))
        return 0
    from ganviz import bench

    result = bench.run_bench(device=args.device, quick=args.quick)
    print(json.dumps(result, indent=2) if args.json else bench.format_report(result))
    return 0


def cmd_window(args: argparse.Namespace) -> int:
    """Open the main window (no subcommand)."""
    from ganviz import config
    from ganviz.gui.preflight import problem

    why_not = problem()  # before anything imports Qt, which would abort the process
    if why_not is not None:
        raise UsageError(why_not)
    from ganviz.device import resolve_device

    cfg = config.load(args.config) if args.config else config.load_preset(args.preset or
                                                                             "default")
    if args.device is not None:
        try:
            cfg = cfg.with_overrides({"train": {"device": args.device}})
        except config.ConfigError as exc:
            raise UsageError(f"--device ({exc})") from None
    resolve_device(cfg.train.device)
    try:
        from ganviz.gui.app import run_app
    except ImportError as exc:
        raise UsageError(f"the window needs PySide6 and pyqtgraph ({exc}); "
                         "headless: python main.py train") from None
    return run_app(cfg, play=args.play, quit_after=args.quit_after)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python main.py`` and the ``ganviz`` command; returns the exit code."""
    from ganviz.config import ConfigError
    from ganviz.session import OutputError
    from ganviz.trainer import CheckpointError

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        args.argv = argv
        if args.command == "train":
            return cmd_train(args)
        if args.command == "compare":
            return cmd_compare(args)
        if args.command == "bench":
            return cmd_bench(args)
        return cmd_window(args)
    except (UsageError, ConfigError, CheckpointError, OutputError) as exc:
        print(f"ganviz: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ganviz: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        with contextlib.suppress(OSError):
            sys.stderr.close()
        return 1
