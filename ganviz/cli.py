"""Command line: ``train``, ``compare``, ``sweep`` and ``bench`` headless; no subcommand
opens the window.

Bad input prints one line ``ganviz: error: FIELD: what is allowed`` and exits with 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from ganviz.core.config import SETTINGS
from ganviz.core.errors import UserError
from ganviz.core.names import ESTIMATORS
from ganviz.core.sections import MAX_RUNS

EXIT_USAGE = 2
MAX_STEPS = int(SETTINGS["train.steps"].le)  # the config's own limit for train.steps
MAX_COMPARE_SEEDS = MAX_RUNS // len(ESTIMATORS)  # every estimator x seeds within the limit
THEMES = ("dark", "paper")  # the figures' looks (ganviz.views.theme.THEMES; no Qt here)


class UsageError(UserError):
    """A user mistake on the command line: reported as one line, exit code 2."""


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
    parser.add_argument("--quit-after", type=_seconds_arg("--quit-after"), default=None,
                        metavar="SECONDS",
                        help="close the window after SECONDS (scripted demos)")
    sub = parser.add_subparsers(dest="command",
                                metavar="{train,compare,sweep,variance,analyse,bench}")

    train = sub.add_parser("train", help="train headless and write metrics, summary, checkpoint")
    src = train.add_mutually_exclusive_group()
    src.add_argument("--preset", default=None, help="bundled preset name (default: default)")
    src.add_argument("--config", type=Path, default=None, help="a config TOML file")
    train.add_argument("--steps", type=_int_arg("--steps", MAX_STEPS),
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
    train.add_argument("--out", type=_out_arg, default=None,
                       help="output folder (default: runs/<preset or config name>, numbered "
                            "-2, -3, ... when that already holds a run)")
    train.add_argument("--resume", action="store_true",
                       help="continue from OUT/checkpoint.pt up to --steps in total")
    train.add_argument("--checkpoint-every", type=_int_arg("--checkpoint-every", MAX_STEPS),
                       default=1000, help="also save the checkpoint and metrics.csv every N "
                                          "steps (default 1000)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--figures", action="store_true",
                       help="also write comparison.png/.svg/.pdf and one PNG per panel "
                            "(offscreen)")
    _theme_arg(train, "--figures")
    train.add_argument("--gif", action="store_true",
                       help="also write training.gif, a frame every --gif-every steps")
    train.add_argument("--gif-every", type=_int_arg("--gif-every", MAX_STEPS), default=None,
                       help="steps between GIF frames (default: steps/50)")

    compare = sub.add_parser("compare", help="the four estimators under a published protocol, "
                             "over seeds: results.md, results.csv, summary.json, figure")
    compare.add_argument("--protocol", required=True,
                         help="veegan-ring, veegan-grid, pacgan-ring or pacgan-grid")
    compare.add_argument("--seeds", type=_int_arg("--seeds", MAX_COMPARE_SEEDS), default=5,
                         help=f"number of seeds (default 5, at most {MAX_COMPARE_SEEDS})")
    compare.add_argument("--steps", type=_int_arg("--steps", MAX_STEPS), default=None,
                         help="iterations (default: the protocol's)")
    compare.add_argument("--sigma", default=None,
                         help="sigma value(s) of the fixed-sigma runs, comma list")
    compare.add_argument("--device", default=None, help="auto, cpu or cuda")
    compare.add_argument("--out", type=_out_arg, required=True, help="output folder")
    compare.add_argument("--resume", action="store_true",
                         help="continue from the units' checkpoints in OUT (--steps may grow)")
    compare.add_argument("--checkpoint-every", type=_int_arg("--checkpoint-every", MAX_STEPS),
                         default=500, help="save each unit's checkpoint every N steps "
                                           "(default 500)")
    compare.add_argument("--quiet", action="store_true", help="no progress bar")
    _theme_arg(compare, "the figures")
    _ray_arg(compare)

    sweep = sub.add_parser("sweep", help="protocols x sigma values x seeds x steps from a TOML "
                           "file: one folder of results per protocol and a combined table")
    sweep.add_argument("file", type=Path, metavar="FILE", help="the sweep file (TOML)")
    sweep.add_argument("--out", type=_out_arg, required=True, help="output folder")
    sweep.add_argument("--resume", action="store_true",
                       help="continue the sweep in OUT from its units' checkpoints")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    _theme_arg(sweep, "the figures")
    _ray_arg(sweep)

    variance = sub.add_parser("variance", help="where a finished sweep's generators put each "
                              "mode's variance (learned Σ(z) against the spread of μ(z)): "
                              "variance.md, variance.csv, variance.png in the sweep's folder")
    variance.add_argument("out", type=Path, metavar="SWEEP_OUT",
                          help="the --out folder of a finished sweep")
    variance.add_argument("--device", default="auto",
                          help="where to evaluate the generators: auto (CUDA when present), "
                               "cpu, cuda or cuda:N")
    _theme_arg(variance, "variance.png")

    analyse = sub.add_parser("analyse", aliases=["analyze"],
                             help="the study's endpoints of finished sweep or compare folders, "
                                  "with intervals: runs.csv (one row per run), endpoints.csv "
                                  "and endpoints.md")
    analyse.add_argument("folders", type=Path, nargs="+", metavar="SWEEP_OUT",
                         help="--out folders of finished sweeps or compares")
    analyse.add_argument("--out", type=_out_arg, required=True,
                         help="folder for runs.csv, endpoints.csv, endpoints.md and "
                              "endpoints.png")
    _theme_arg(analyse, "endpoints.png")

    bench = sub.add_parser("bench", help="measure the training step (eager and compiled) against "
                                          "this machine's matmul peak")
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument("--device", default="auto", help="auto, cpu or cuda")
    bench.add_argument("--quick", action="store_true", help="short measurement (for tests)")
    bench.add_argument("--gui", action="store_true",
                       help="measure the window offscreen: training throughput while drawing "
                            "as a fraction of headless, and frames per second")
    bench.add_argument("--seconds", type=_seconds_arg("--seconds", low=1.0), default=10.0,
                       help="measuring time of --gui (default 10, 1 to 3600)")
    return parser


def _ray_arg(parser: argparse.ArgumentParser) -> None:
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


def _int_arg(name: str, high: int):
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


def _seconds_arg(name: str, low: float = 0.0, high: float = 3600.0):
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


def _out_arg(text: str) -> Path:
    """An argparse type: a folder name (not empty, no surrounding blanks)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("give a folder name (got an empty one)")
    if text != text.strip():
        raise argparse.ArgumentTypeError(f"the folder name has blanks around it ({text!r})")
    if "\0" in text:
        raise argparse.ArgumentTypeError("the folder name contains a NUL character")
    return Path(text)


def _split(field: str, text: str, kind: type) -> list:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise UsageError(f"{field}: give a comma-separated list")
    try:
        return [kind(t) for t in items]
    except ValueError:
        raise UsageError(f"{field}: every item must be a {kind.__name__} (got {text!r})") from None


def preset_name(args: argparse.Namespace) -> str:
    """The preset asked for (``default`` when none; an empty name stays empty, and is refused)."""
    return args.preset if args.preset is not None else "default"


def base_config(args: argparse.Namespace):
    """The config file or preset the arguments name, before any flag overrides it."""
    from ganviz.core import config

    if args.config is not None:
        return config.load(args.config)
    return config.load_preset(preset_name(args))


def resolve_config(args: argparse.Namespace):
    """The validated Config for ``train``'s arguments (preset or file, then overrides)."""
    from ganviz.core import config

    base = base_config(args)
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
    overrides.update(data_overrides(args))
    try:
        return base.with_overrides(overrides)
    except config.ConfigError as exc:
        flag = {"runs.estimators": "--estimators", "runs.seeds": "--seeds",
                "runs.sigmas": "--sigma", "train.steps": "--steps", "train.device": "--device"}
        for field, name in flag.items():
            if exc.field.startswith(field) and getattr(args, name[2:]) is not None:
                raise UsageError(f"{name} ({exc})") from None
        given = [f"--{k}" for k in ("estimators", "seeds", "sigma") if getattr(args, k)]
        if exc.field == "runs" and given:
            raise UsageError(f"{'/'.join(given)} ({exc})") from None
        raise


def data_overrides(args: argparse.Namespace) -> dict[str, dict]:
    """The data settings ``--data FILE [--columns A,B]`` ask for (none without --data)."""
    if args.data is None:
        if args.columns is not None:
            raise UsageError("--columns: give --data FILE too (the columns of which file?)")
        return {}
    columns = _split("--columns", args.columns, str) if args.columns is not None else []
    if len(columns) not in (0, 2):
        raise UsageError(f"--columns: give two columns, x and y (got {len(columns)})")
    return {"data": {"name": "file", "file": str(args.data.absolute()), "columns": columns}}


def check_data_file(args: argparse.Namespace, cfg) -> None:
    """Read the config's data file once before anything is written: a bad file is one line
    naming --data (or data.file), exit 2, and no run folder."""
    from ganviz.data.datafile import load_points

    if cfg.data.name != "file":
        return
    flags = getattr(args, "data", None) is not None
    load_points(cfg.data.file, cfg.data.columns, field="--data" if flags else "data.file",
                columns_field="--columns" if flags else "data.columns")


def open_run_dir(out: Path, resume: bool):
    """The locked output folder of a run (see :mod:`ganviz.studies.rundir`); usage errors as
    one line."""
    from ganviz.studies.rundir import RunDir, RunDirError

    try:
        return RunDir(out, resume=resume).open()
    except RunDirError as exc:
        raise UsageError(str(exc)) from None


RUN_FLAGS = {"estimators": "runs.estimators", "seeds": "runs.seeds", "sigma": "runs.sigmas"}


def resume_config(args: argparse.Namespace, state: dict):
    """The config to continue a checkpoint with: its own, with ``--steps`` and ``--device``.

    Flags that define the runs (``--preset``, ``--config``, ``--estimators``, ``--seeds``,
    ``--sigma``) may be repeated on ``--resume`` but must agree with the checkpoint; a
    disagreement is refused, never silently ignored.
    """
    from ganviz.core import config
    from ganviz.studies import compare

    saved = state["config"]
    if args.preset is not None or args.config is not None:
        why = compare.resume_mismatch(resolve_config(args), saved)
        if why is not None:
            flag = "--config" if args.config is not None else "--preset"
            raise UsageError(f"{flag}: the checkpoint was made with another config ({why}); "
                             "--resume continues the checkpoint's own config")
    else:
        given = resolve_config(args)
        for flag, field in RUN_FLAGS.items():
            if getattr(args, flag) is None:
                continue
            section, key = field.split(".")
            old, new = saved[section][key], getattr(given.runs, key)
            if old != new:
                raise UsageError(f"--{flag}: the checkpoint's runs have {key} {old!r}, not "
                                 f"{new!r}; --resume cannot change them (train into another "
                                 "--out instead)")
    if args.data is not None and data_overrides(args)["data"]["file"] != saved["data"]["file"]:
        trained_on = saved["data"]["file"] or saved["data"]["name"]
        raise UsageError(f"--data: the checkpoint was trained on {trained_on}; --resume "
                         "cannot change the data")
    step = int(state["step"])
    steps = args.steps if args.steps is not None else saved["train"]["steps"]
    if steps < step:
        raise UsageError(f"--steps: the checkpoint is already at step {step}; give the total "
                         f"to reach, at least {step}")
    train = {"steps": steps}
    if args.device is not None:
        train["device"] = args.device
    try:
        return config.from_dict({**saved, "train": {**saved["train"], **train}})
    except config.ConfigError as exc:
        if exc.field == "train.device":
            raise UsageError(f"--device ({exc})") from None
        raise UsageError(f"--resume: the checkpoint's config is no longer valid ({exc})"
                         ) from None


def cmd_train(args: argparse.Namespace) -> int:
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
        _give_up(run_dir, exc)
        raise
    finally:
        run_dir.close()


def _give_up(run_dir, exc: BaseException) -> None:
    """After a failed run: remove the folders it created unless they hold a checkpoint, and
    turn a write failure (disk full, folder removed while training) into one line."""
    run_dir.close()
    run_dir.discard()
    if isinstance(exc, OSError):
        raise UsageError(f"--out: cannot write into {run_dir.path} "
                         f"({exc.strerror or exc})") from None


def cmd_compare(args: argparse.Namespace) -> int:
    """Train the protocol over seeds (a one-protocol sweep), then tabulate and draw it."""
    from ganviz.core.settings import ConfigError
    from ganviz.engine.device import resolve_device
    from ganviz.studies import compare
    from ganviz.studies.sweep.plan import Sweep

    sigmas = _split("--sigma", args.sigma, float) if args.sigma is not None else None
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
    return _sweep_command(args, sweep, unit_device, single=True, steps_may_grow=True)


def cmd_sweep(args: argparse.Namespace) -> int:
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
    return _sweep_command(args, sweep, "cuda" if "cuda" in devices else "cpu", single=False,
                          steps_may_grow=False)


def _executor(args: argparse.Namespace, stop, device: str):
    """In-process units, or Ray's (``--ray``: a local Ray, or the cluster at ADDRESS)."""
    from ganviz.studies.sweep.run import InProcess

    if args.ray is None:
        return InProcess(stop, device)
    if device != "cpu":
        raise UsageError(f"--ray: units run on the CPU; --device {device} runs in-process only")
    try:
        from ganviz.studies.sweep.ray_cluster import RayExecutor
    except ImportError as exc:
        raise UsageError(f"--ray: Ray is not available ({exc}); install it with the "
                         "README's commands, or run without --ray") from None
    return RayExecutor(None if args.ray is LOCAL_RAY else args.ray)


def _sweep_plan(args: argparse.Namespace, sweep, workers: int, steps_may_grow: bool):
    """The plan to run: a new one, or the one saved in OUT when resuming (which must be of
    the same sweep; ``compare`` may raise the steps)."""
    from ganviz.studies.sweep import plan as sw

    if not args.resume:
        return sw.plan(sweep, workers)
    if not (args.out / sw.PLAN_NAME).is_file():
        if (args.out / "checkpoint.pt").is_file():
            raise UsageError(f"--resume: {args.out} was made by compare before sweeps (one "
                             f"checkpoint.pt, no {sw.PLAN_NAME}); it cannot be continued "
                             "as a sweep: run again into another --out")
        raise UsageError(f"--resume: no {sw.PLAN_NAME} in {args.out}")
    saved = sw.read_plan(args.out)
    why = sw.plan_mismatch(sweep, saved)
    if why is not None and steps_may_grow and why.startswith("steps "):
        old = saved.sweep["steps"][0]
        new = sweep.steps[0]
        if new < old:
            raise UsageError(f"--steps: {args.out} was planned for {old} steps; give at "
                             f"least that many")
        saved = sw.with_steps(saved, new)
        why = sw.plan_mismatch(sweep, saved)
    if why is not None:
        same = "--protocol, --seeds and --sigma" if steps_may_grow else "sweep file"
        raise UsageError(f"--resume: {args.out} was made with other options ({why}); give "
                         f"the same {same}")
    return sw.rebuilt(sweep, saved)


def _sweep_command(args: argparse.Namespace, sweep, device: str, *, single: bool,
                   steps_may_grow: bool) -> int:
    from ganviz.engine.checkpoint import CheckpointError
    from ganviz.studies import compare
    from ganviz.studies.rundir import RunDir, RunDirError
    from ganviz.studies.sweep import plan as sw
    from ganviz.studies.sweep.run import run_sweep
    from ganviz.studies.train import StopRequests

    # in-process, Ctrl-C stops the unit under way after its step; on Ray it interrupts
    # the driver at once (the units keep their checkpoints for --resume)
    with contextlib.ExitStack() as stack:
        stop = stack.enter_context(StopRequests()) if args.ray is None else None
        executor = _executor(args, stop, device)
        if hasattr(executor, "close"):  # a local Ray it started stops with the command
            stack.callback(executor.close)
        p = _sweep_plan(args, sweep, int(getattr(executor, "workers", 1)), steps_may_grow)
        try:
            run_dir = RunDir(args.out, resume=args.resume, resume_file=sw.PLAN_NAME).open()
        except RunDirError as exc:
            raise UsageError(str(exc)) from None
        try:
            sw.save_plan(p, args.out)
            code, paths = run_sweep(p, args.out, executor, command=compare.command_line(
                args.argv), progress=not args.quiet, single=single,
                figures=_figure_writer(getattr(args, "theme", "dark")), device=device)
        except CheckpointError as exc:
            _give_up(run_dir, exc)
            raise UsageError(f"--resume: {exc}" if args.resume else str(exc)) from None
        except BaseException as exc:
            _give_up(run_dir, exc)
            raise
        finally:
            run_dir.close()
    if code != 0:
        return code
    print(f"results in {args.out}/: {', '.join(str(p.relative_to(args.out)) for p in paths)}")
    print((args.out / "results.md").read_text(), end="")
    return 0


def _theme_arg(parser: argparse.ArgumentParser, what: str) -> None:
    """--theme: the look of ``what``, the window's dark one or a light one for print."""
    parser.add_argument("--theme", choices=THEMES, default="dark",
                        help=f"look of {what}: dark (as the window) or paper (white, for "
                             "print); default dark")


def _figure_writer(theme: str = "dark"):
    """What draws a group's figures (densities.png, equation1.png) in ``theme``, or None
    without Qt."""
    try:
        from ganviz.figures.comparison import write_density_figure
        from ganviz.figures.equation1 import write_equation1_figure
    except ImportError:
        print("figures skipped: they need PySide6 and pyqtgraph", file=sys.stderr)
        return None
    from ganviz.live.loop import snapshot_of
    from ganviz.studies import compare

    def draw(trainer, folder: Path) -> list[Path]:
        return [write_density_figure(snapshot_of(trainer), compare.best_and_worst(trainer),
                                     folder / "densities.png", theme=theme),
                write_equation1_figure(compare.equation1_by_group(trainer),
                                       trainer.cfg.data.std, folder / "equation1.png",
                                       theme=theme)]

    return draw


def cmd_analyse(args: argparse.Namespace) -> int:
    """The pre-registered endpoints of finished folders, written into ``--out``."""
    from ganviz.core.atomic import write_text_atomic
    from ganviz.studies.analysis import analyse, endpoints_csv, endpoints_markdown, runs_csv
    from ganviz.studies.score_noise import noise_texts

    runs, rows, series = analyse(args.folders)  # all is read before anything is written
    if not runs:
        raise UsageError("SWEEP_OUT: the folders hold no runs")
    command = "python main.py " + " ".join(args.argv)
    texts = {"runs.csv": runs_csv(runs), "endpoints.csv": endpoints_csv(rows),
             "endpoints.md": endpoints_markdown(rows, command),
             **noise_texts(args.folders, command)}
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            write_text_atomic(args.out / name, text)
    except OSError as exc:
        raise UsageError(f"--out: cannot write into {args.out} ({exc.strerror or exc})"
                         ) from None
    try:
        from ganviz.figures.comparison import write_widget_figure
        from ganviz.figures.study import study_figure
    except ImportError:
        print("figure skipped: it needs PySide6 and pyqtgraph", file=sys.stderr)
    else:
        write_widget_figure(lambda look: study_figure(rows, series, look),
                            args.out / "endpoints.png", theme=args.theme)
    print(texts["endpoints.md"], end="")
    return 0


def cmd_variance(args: argparse.Namespace) -> int:
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


def cmd_bench(args: argparse.Namespace) -> int:
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


def cmd_window(args: argparse.Namespace) -> int:
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
        if args.command in ("train", "compare", "sweep", "bench"):  # processes that train
            from ganviz.core.allocator import keep_memory_for_training

            keep_memory_for_training()
        if args.command == "train":
            return cmd_train(args)
        if args.command == "compare":
            return cmd_compare(args)
        if args.command == "sweep":
            return cmd_sweep(args)
        if args.command == "bench":
            return cmd_bench(args)
        if args.command == "variance":
            return cmd_variance(args)
        if args.command in ("analyse", "analyze"):
            return cmd_analyse(args)
        return cmd_window(args)
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
