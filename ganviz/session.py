"""A headless training session: trainer + progress bar + periodic checkpoints + outputs."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from ganviz.atomic import write_text_atomic
from ganviz.config import Config
from ganviz.device import training_threads
from ganviz.live import snapshot_of
from ganviz.outputs import metrics_csv_text, write_session_outputs
from ganviz.probes import compute_sigma_curves
from ganviz.trainer import Trainer, read_checkpoint

CHECKPOINT_NAME = "checkpoint.pt"


class OutputError(ValueError):
    """Writing the outputs failed (disk full, folder gone): one line for the user."""


def open_trainer(cfg: Config, device: torch.device, out: Path, resume: bool,
                 state: dict[str, Any] | None = None) -> Trainer:
    """A fresh trainer, or one restored from ``out/checkpoint.pt`` (or ``state``) when resuming.

    Resuming keeps the checkpoint's config except ``train.steps`` (the new total).
    """
    if not resume:
        return Trainer(cfg, device)
    if state is None:
        state = read_checkpoint(out / CHECKPOINT_NAME)
    return Trainer.from_state(state, device, steps=cfg.train.steps)


class StopRequests:
    """Ctrl-C (SIGINT) and SIGTERM ask training to stop after the step under way.

    A step is never cut in half, so the checkpoint saved afterwards is exactly the state
    after a whole step, and ``--resume`` continues as if nothing had happened. Further
    signals while saving only print a line: the files are written whole. Handlers are
    installed only in the main thread (elsewhere this is a no-op).
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.requested = ""
        self._saved: dict[int, Any] = {}

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)
        self._saved = {}

    def __call__(self) -> bool:
        """True once a stop was requested (``Trainer.train``'s ``should_stop``)."""
        return bool(self.requested)

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested:
            print("ganviz: still saving; the files are written whole", file=sys.stderr)
            return
        self.requested = signal.Signals(signum).name
        print(f"\nganviz: {self.requested}: stopping after this step and saving",
              file=sys.stderr)


def save_progress(trainer: Trainer, out: Path) -> None:
    """The checkpoint and the metrics so far, each written atomically."""
    trainer.save_checkpoint(out / CHECKPOINT_NAME)
    write_text_atomic(out / "metrics.csv", metrics_csv_text(trainer.history))


def run_training(cfg: Config, device: torch.device, out: Path, *, resume: bool = False,
                 checkpoint_every: int = 1000, progress: bool = True, figures: bool = False,
                 gif_every: int = 0, state: dict[str, Any] | None = None) -> int:
    """Train to ``cfg.train.steps`` total steps, writing everything into ``out``; exit code.

    ``figures`` also renders the window's views offscreen (comparison.png/.svg, one PNG per
    panel); ``gif_every`` > 0 records training.gif with a frame every that many steps.
    ``state`` is the checkpoint already read when resuming (else it is read from ``out``).
    Ctrl-C or SIGTERM stops after the step under way, saves, and returns 130.
    """
    with StopRequests() as stop:
        return _run_training(cfg, device, out, stop, resume=resume,
                             checkpoint_every=checkpoint_every, progress=progress,
                             figures=figures, gif_every=gif_every, state=state)


def _run_training(cfg: Config, device: torch.device, out: Path, stop: StopRequests, *,
                  resume: bool, checkpoint_every: int, progress: bool, figures: bool,
                  gif_every: int, state: dict[str, Any] | None) -> int:
    torch.set_num_threads(training_threads(cfg.train.threads, leave_for_gui=False))
    trainer = open_trainer(cfg, device, out, resume, state)
    trainer.cfg.save(out / "config.toml")
    ckpt = out / CHECKPOINT_NAME
    remaining = max(0, trainer.cfg.train.steps - trainer.step_count)
    bar = tqdm(total=trainer.cfg.train.steps, initial=trainer.step_count, unit="step",
               disable=not progress, file=sys.stderr, dynamic_ncols=True, leave=True)

    recorder = view = None
    if gif_every > 0:
        from ganviz.gui.headless import ComparisonView
        from ganviz.gui.recorder import GifRecorder

        view, recorder = ComparisonView(), GifRecorder()

    def record(t: Trainer) -> None:
        if recorder is not None and view is not None:
            view.show(snapshot_of(t))
            recorder.add(view.grab(), t.step_count)

    if trainer.step_count == 0:
        record(trainer)

    def on_step(t: Trainer) -> None:
        bar.update(1)
        if gif_every > 0 and t.step_count % gif_every == 0:
            record(t)
        if t.step_count % checkpoint_every == 0:
            save_progress(t, out)
        if t.history.last_step == t.step_count:
            bar.set_postfix_str(_progress_text(t), refresh=False)

    try:
        trainer.train(remaining, on_step=on_step, should_stop=stop)
    finally:
        bar.close()
    interrupted = stop.requested != "" and trainer.step_count < trainer.cfg.train.steps
    try:
        trainer.save_checkpoint(ckpt)
        curves = compute_sigma_curves(trainer)
        paths = write_session_outputs(trainer, out, curves)
        if recorder is not None and view is not None:
            if trainer.step_count % gif_every:
                record(trainer)
            paths.append(recorder.save(out / "training.gif"))
            view.close()
        if figures:
            from ganviz.gui.headless import write_figures

            paths.extend(write_figures(snapshot_of(trainer), out))
    except Exception as exc:
        if type(exc).__name__ == "ExportError":  # from the GUI's exporters, already one line
            raise OutputError(f"--figures: {exc}") from None
        raise
    for line in _final_table(trainer):
        print(line)
    print(f"outputs in {out}/: config.toml, {', '.join(p.name for p in paths)}, {CHECKPOINT_NAME}")
    if interrupted:
        last = trainer.history.last_step or 0
        print(f"interrupted at step {trainer.step_count} (last evaluation at step {last}); "
              f"continue with --resume --out {out}", file=sys.stderr)
        return 130
    return 0


def _progress_text(t: Trainer) -> str:
    rows = t.history.last() if t.history.last_step == t.step_count else []
    return " ".join(f"{r['estimator'][:8]}:{r['modes']:.0f}m" for r in rows[:8])


def _final_table(t: Trainer) -> list[str]:
    """A short table of the last evaluation, one line per run."""
    lines = [f"{'run':<40} {'modes':>5} {'hq':>6} {'revKL':>7} {'sigma':>8}  state"]
    for spec in t.runs:
        r = t.history.final(spec.index)
        if r is None:
            continue
        state = "diverged" if r["diverged"] else "ok"
        lines.append(f"{spec.label:<40} {r['modes']:>5.0f} {r['hq_fraction']:>6.3f} "
                     f"{r['reverse_kl']:>7.3f} {r['sigma_mean']:>8.4f}  {state}")
    return lines
