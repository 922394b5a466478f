"""Running a sweep's units for ``compare`` (a one-protocol sweep) and ``sweep``: the plan (new,
or the one in ``--out`` when resuming), the executor (in-process, or Ray with ``--ray``), the
locked output folder and the groups' figures."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from ganviz.cli.args import LOCAL_RAY, UsageError
from ganviz.cli.outdir import give_up


def run_units(args: argparse.Namespace, sweep, device: str, *, single: bool,
              steps_may_grow: bool) -> int:
    """Run ``sweep``'s units into ``args.out``, then print where the results are and the
    results table; returns the exit code."""
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
            give_up(run_dir, exc)
            raise UsageError(f"--resume: {exc}" if args.resume else str(exc)) from None
        except BaseException as exc:
            give_up(run_dir, exc)
            raise
        finally:
            run_dir.close()
    if code != 0:
        return code
    print(f"results in {args.out}/: {', '.join(str(p.relative_to(args.out)) for p in paths)}")
    print((args.out / "results.md").read_text(), end="")
    return 0


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
