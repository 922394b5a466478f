"""A headless training run: trainer + progress bar + periodic checkpoints + outputs."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any, Protocol

import torch
from tqdm import tqdm

from ganviz.core.atomic import write_text_atomic
from ganviz.core.config import Config
from ganviz.core.contract import Snapshot
from ganviz.engine.checkpoint import read_checkpoint
from ganviz.engine.compiled import compile_for_run
from ganviz.engine.device import training_thread_count
from ganviz.engine.equation1 import compute_sigma_curves
from ganviz.engine.outputs import metrics_csv_text, write_run_outputs
from ganviz.engine.trainer import Trainer
from ganviz.live.loop import snapshot_of

CHECKPOINT_NAME = "checkpoint.pt"


class Drawings(Protocol):
    """What the composition root may plug into a headless run: drawings of its snapshots
    (the window's views, rendered offscreen). The engine knows nothing of how they are made.
    """

    frame_every: int  # steps between frames; 0: no frames, only the final drawings

    def frame(self, snapshot: Snapshot) -> None:
        """One frame of training (step 0, then every ``frame_every`` steps)."""

    def finish(self, snapshot: Snapshot, out: Path) -> list[Path]:
        """Write the drawings of the final snapshot into ``out``; the paths written."""


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
                 checkpoint_every: int = 1000, progress: bool = True,
                 drawings: Drawings | None = None, state: dict[str, Any] | None = None) -> int:
    """Train to ``cfg.train.steps`` total steps, writing everything into ``out``; exit code.

    ``drawings`` (plugged in by the command line: figures and GIFs drawn by the window's
    views) gets a snapshot every ``drawings.frame_every`` steps and the final one.
    ``state`` is the checkpoint already read when resuming (else it is read from ``out``).
    Ctrl-C or SIGTERM stops after the step under way, saves, and returns 130.
    """
    with StopRequests() as stop:
        return _run_training(cfg, device, out, stop, resume=resume,
                             checkpoint_every=checkpoint_every, progress=progress,
                             drawings=drawings, state=state)


def _run_training(cfg: Config, device: torch.device, out: Path, stop: StopRequests, *,
                  resume: bool, checkpoint_every: int, progress: bool,
                  drawings: Drawings | None, state: dict[str, Any] | None) -> int:
    threads = training_thread_count(cfg.train.threads, leave_for_gui=False)
    threads.start()
    trainer = open_trainer(cfg, device, out, resume, state)
    trainer.cfg.save(out / "config.toml")
    if trainer.cfg.train.compile:
        print(compile_for_run(trainer), flush=True)
    ckpt = out / CHECKPOINT_NAME
    remaining = max(0, trainer.cfg.train.steps - trainer.step_count)
    bar = tqdm(total=trainer.cfg.train.steps, initial=trainer.step_count, unit="step",
               disable=not progress, file=sys.stderr, dynamic_ncols=True, leave=True)

    frame_every = drawings.frame_every if drawings is not None else 0
    if drawings is not None and frame_every > 0 and trainer.step_count == 0:
        drawings.frame(snapshot_of(trainer))

    def on_step(t: Trainer) -> None:
        threads.tick()
        bar.update(1)
        if drawings is not None and frame_every > 0 and t.step_count % frame_every == 0:
            drawings.frame(snapshot_of(t))
        if t.step_count % checkpoint_every == 0:
            save_progress(t, out)
        if t.history.last_step == t.step_count:
            bar.set_postfix_str(_progress_text(t), refresh=False)

    try:
        trainer.train(remaining, on_step=on_step, should_stop=stop)
    finally:
        bar.close()
    interrupted = stop.requested != "" and trainer.step_count < trainer.cfg.train.steps
    trainer.save_checkpoint(ckpt)
    curves = compute_sigma_curves(trainer)
    paths = write_run_outputs(trainer, out, curves)
    if drawings is not None:
        paths.extend(drawings.finish(snapshot_of(trainer), out))
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
    return " ".join(f"{r['estimator'][:8]}:{r['modes']:.0f}m" if r["modes"] == r["modes"] else
                    f"{r['estimator'][:8]}:{r['energy_distance']:.3f}e" for r in rows[:8])


def _final_table(t: Trainer) -> list[str]:
    """A short table of the last evaluation, one line per run."""
    lines = [f"{'run':<40} {'modes':>5} {'hq':>6} {'revKL':>7} {'JS':>6} {'energy':>7} "
             f"{'sigma':>8}  state"]
    for spec in t.runs:
        r = t.history.final(spec.index)
        if r is None:
            continue
        state = "diverged" if r["diverged"] else "ok"
        lines.append(f"{spec.label:<40} {_num(r['modes'], 5, '.0f')} "
                     f"{_num(r['hq_fraction'], 6, '.3f')} {_num(r['reverse_kl'], 7, '.3f')} "
                     f"{_num(r['js_divergence'], 6, '.3f')} "
                     f"{_num(r['energy_distance'], 7, '.4f')} {_num(r['sigma_mean'], 8, '.4f')}"
                     f"  {state}")
    if not t.data.has_modes:
        lines.append("(–: no known modes; give the data's centres for modes, hq and revKL)")
    return lines


def _num(value: float, width: int, spec: str) -> str:
    """``value`` right-aligned in ``width``, or a dash when it is not a number (NaN)."""
    return f"{value:>{width}{spec}}" if value == value else f"{'–':>{width}}"
