"""The live training session behind the window: plain code, no Qt.

``LiveSession.run(stop)`` is the worker thread's whole body (Orange's TSNERunner
pattern): it owns the trainer and the device, takes commands from a thread-safe
queue between steps, and publishes immutable :class:`Snapshot` objects into a
:class:`LatestSlot` that the GUI reads at its own rate (the newest wins, older
ones are dropped, nothing queues up).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganviz.atomic import write_text_atomic
from ganviz.checkpoint import one_line
from ganviz.config import Config, ConfigError
from ganviz.device import resolve_device, training_threads
from ganviz.outputs import metrics_csv_text, summary_dict
from ganviz.probes import (
    FakeProbes,
    SigmaCurves,
    ViewProbes,
    compute_fakes,
    compute_sigma_curves,
    compute_views,
)
from ganviz.runs import RunSpec
from ganviz.sessionfile import SessionFileError, load_session, save_session
from ganviz.trainer import CheckpointError, Trainer

FILE_COMMANDS = ("save_session", "open_session", "export_metrics", "export_summary")
# Settings that apply at the next step; everything else needs a reset.
LIVE_FIELDS = {
    "train": {"batch_size", "k_d", "k_g", "lr_d", "lr_g", "beta1", "beta2", "momentum",
              "loss", "sigma_min", "sigma_schedule", "sigma_final", "schedule_steps",
              "real_noise", "steps"},
    "data": {"name", "radius", "std", "spacing", "scale", "means", "stds", "weights",
             "train_size", "seed"},
    "eval": {"every", "samples", "grad_var_batches", "js_bins"},
    "probe": {"grid", "field_grid", "density_draws", "fakes", "smooth_draws",
              "manifold_lines", "curve_points", "curve_draws", "curve_fakes"},
}


def needs_reset(old: Config, new: Config) -> list[str]:
    """Fields that differ between two configs and cannot change while training."""
    changed = []
    a, b = old.to_dict(), new.to_dict()
    for section, values in b.items():
        for key, value in values.items():
            if a[section][key] != value and key not in LIVE_FIELDS.get(section, set()):
                changed.append(f"{section}.{key}")
    return changed


class LatestSlot:
    """A one-element mailbox: ``put`` overwrites, ``take`` returns the newest once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._item: Any = None
        self.dropped = 0

    def put(self, item: Any) -> None:
        """Store ``item``, dropping any snapshot the reader has not taken yet.

        A dropped snapshot's one-off ``notice`` and ``error`` are carried over into
        ``item`` when it has none of its own, so that no message is lost.
        """
        with self._lock:
            if self._item is not None:
                self.dropped += 1
                item = _carry_messages(self._item, item)
            self._item = item

    def take(self) -> Any:
        """The newest item (or None if nothing new since the last take)."""
        with self._lock:
            item, self._item = self._item, None
            return item


def _carry_messages(dropped: Any, item: Any) -> Any:
    """``item`` with the ``notice`` and ``error`` of ``dropped`` where it has none."""
    carry = {name: getattr(dropped, name) for name in ("notice", "error")
             if getattr(dropped, name, None) and not getattr(item, name, None)}
    return replace(item, **carry) if carry else item


@dataclass(frozen=True)
class RunState:
    """What the GUI shows about one run."""

    spec: RunSpec
    active: bool
    diverged: bool
    run_step: int


@dataclass(frozen=True, eq=False)
class RealData:
    """The target mixture as the views draw it."""

    modes: np.ndarray
    stds: np.ndarray
    weights: np.ndarray
    peak_density: float

    @classmethod
    def of(cls, trainer: Trainer) -> RealData:
        """Modes, stds, weights and the density's peak value of the trainer's data."""
        mix = trainer.data.mixture
        peak = float(mix.density(mix.means).max())
        return cls(mix.means.cpu().numpy().copy(), mix.stds.cpu().numpy().copy(),
                   mix.weights.cpu().numpy().copy(), peak)


@dataclass(frozen=True)
class PartVersions:
    """Version numbers of a snapshot's large parts (views, fakes, curves, real data).

    The session gives a part a new number, unique within the session, whenever it builds
    that part anew; equal numbers mean the very same part. Receivers decide by these
    numbers what is new, never by ``id()`` (CPython reuses the ids of freed objects).
    """

    views: int = 0
    fakes: int = 0
    curves: int = 0
    real: int = 0


class _Part:
    """A LiveSession attribute (``_views``, ...) whose every assignment bumps its version."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.part = name.lstrip("_")

    def __get__(self, session: Any, owner: type | None = None) -> Any:
        if session is None:
            return self
        return session._parts.get(self.part)

    def __set__(self, session: Any, value: Any) -> None:
        session._parts[self.part] = value
        session._last_version += 1
        session.versions = replace(session.versions, **{self.part: session._last_version})


@dataclass(frozen=True, eq=False)
class Snapshot:
    """One immutable picture of the session, handed from the worker to the GUI."""

    seq: int
    step: int
    running: bool
    steps_per_sec: float
    device: str
    config: Config
    runs: tuple[RunState, ...]
    history: dict[str, np.ndarray]
    views: ViewProbes | None
    fakes: FakeProbes | None
    curves: SigmaCurves | None
    real: RealData
    error: str = ""
    notice: tuple[str, str] | None = None  # (kind, message): saved, opened, exported, failed
    versions: PartVersions = PartVersions()  # of views, fakes, curves and real above


class LiveSession:
    """Trainer + command queue + snapshot publishing; runs inside the worker thread.

    ``paused_estimators`` mirrors the window's estimator toggles: runs of those estimators
    do not train, and stay paused through every reset (``pause_estimators`` sets it).
    """

    _views = _Part()
    _fakes = _Part()
    _curves = _Part()
    _real = _Part()

    def __init__(self, cfg: Config, slot: LatestSlot, *, frame_interval: float = 1 / 30,
                 probe_budget: float = 0.06, curve_interval: float = 2.0,
                 leave_core_for_gui: bool = True) -> None:
        self.cfg = cfg.validate()
        self.slot = slot
        self.frame_interval = frame_interval
        self.probe_budget = probe_budget
        self.curve_interval = curve_interval
        self.leave_core_for_gui = leave_core_for_gui
        self.commands: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self.trainer: Trainer | None = None
        self.running = False
        self.steps_per_frame = 0  # 0 = unlimited
        self.pending_steps = 0
        self.seq = 0
        self.error = ""
        self.notice: tuple[str, str] | None = None
        self.paused_estimators: frozenset[str] = frozenset()
        self._parts: dict[str, Any] = {}  # views, fakes, curves, real (see _Part)
        self._last_version = 0
        self.versions = PartVersions()
        self._probe_cost = 0.0
        self._last_probe = -1e9
        self._last_curves = -1e9
        self._rate_window: list[tuple[float, int]] = []
        self._changed = True

    # ------------------------------------------------------------- commands
    def send(self, name: str, value: Any = None) -> None:
        """Queue a command (thread-safe): play, pause, step, reset, set_active,
        pause_estimators, speed, apply, or a file command."""
        self.commands.put((name, value))

    def _handle(self, name: str, value: Any) -> None:
        if name == "play":
            self.running = True
        elif name == "pause":
            self.running = False
        elif name == "toggle":
            self.running = not self.running
        elif name == "step":
            self.running = False
            self.pending_steps += int(value or 1)
        elif name == "speed":
            self.steps_per_frame = max(0, int(value))
        elif name == "set_active":
            index, active = value
            assert self.trainer is not None
            self.trainer.set_active(index, active)
        elif name == "pause_estimators":
            self.paused_estimators = frozenset(value)
            self._pause_runs()
        elif name == "reset":
            self._reset(value if value is not None else self.cfg)
        elif name == "apply":
            self._apply(value)
        elif name in FILE_COMMANDS:
            self._file_command(name, value)
        elif name == "call":  # run value(trainer) on the worker thread (scripting, tests)
            assert self.trainer is not None
            value(self.trainer)
        else:
            raise ValueError(f"unknown command {name!r}")

    def _file_command(self, name: str, value: Any) -> None:
        """Save or open a session, or export metrics; the outcome goes out as a notice.

        Any failure becomes one "failed" notice and training goes on: a refused or broken
        file never ends the training process, and a failed open leaves the session as it was.
        """
        assert self.trainer is not None
        # everything _install may replace (the parts dict is changed in place: copy it)
        before = {**self.__dict__, "_parts": dict(self._parts)}
        try:
            if name == "save_session":
                path, view = value
                saved = save_session(self.trainer, path, view=view)
                self.notice = ("saved", str(saved))
            elif name == "open_session":
                trainer, view = load_session(value)
                self._install(trainer)
                self.running = False
                self.notice = ("opened", json.dumps({"path": str(value), "view": view}))
            elif name == "export_metrics":
                write_text_atomic(Path(value), metrics_csv_text(self.trainer.history))
                self.notice = ("exported", str(value))
            elif name == "export_summary":
                summary = summary_dict(self.trainer, compute_sigma_curves(self.trainer))
                write_text_atomic(Path(value), json.dumps(summary, indent=2) + "\n")
                self.notice = ("exported", str(value))
        except (SessionFileError, CheckpointError, ConfigError) as exc:
            self._file_failed(before, str(exc))
        except OSError as exc:
            verb = "open" if name == "open_session" else "write"
            self._file_failed(before, f"cannot {verb} {value}: {exc.strerror or exc}")
        except Exception as exc:  # unforeseen: say what it was, keep the session alive
            self._file_failed(before, f"{name.replace('_', ' ')} failed unexpectedly "
                                      f"({one_line(exc)})")

    def _file_failed(self, before: dict[str, Any], message: str) -> None:
        """Put back what a failed file command may have changed, and say why it failed.

        The version counter only ever grows, so no number is given to two different parts."""
        last = self._last_version
        self.__dict__.update(before)
        self._last_version = last
        self.notice = ("failed", message)

    def _install(self, trainer: Trainer) -> None:
        """Make ``trainer`` the session's trainer and rebuild everything derived from it."""
        self.cfg, self.trainer = trainer.cfg, trainer
        self.pending_steps = 0
        self._views = self._curves = self._fakes = None
        self._real = RealData.of(trainer)
        if not trainer.history:
            trainer.evaluate()
        self._refresh_probes(force=True)

    def _reset(self, cfg: Config) -> None:
        """A new trainer from step 0; runs of paused estimators start paused."""
        cfg = cfg.validate()
        trainer = Trainer(cfg, resolve_device(cfg.train.device))  # may refuse: nothing changed
        self._install(trainer)
        self._pause_runs()

    def _pause_runs(self) -> None:
        """Runs of ``paused_estimators`` do not train; all other runs do."""
        assert self.trainer is not None
        for spec in self.trainer.runs:
            self.trainer.set_active(spec.index, spec.estimator not in self.paused_estimators)

    def _apply(self, cfg: Config) -> None:
        """Apply live-changeable settings now; anything else waits for a reset."""
        cfg = cfg.validate()
        assert self.trainer is not None
        if needs_reset(self.cfg, cfg):
            raise ConfigError(needs_reset(self.cfg, cfg)[0], "needs a reset to take effect")
        data_changed = cfg.data != self.cfg.data
        self.cfg = cfg
        self.trainer.apply_live(cfg)
        if data_changed:
            self._real = RealData.of(self.trainer)
            self._refresh_probes(force=True)

    # ----------------------------------------------------------------- loop
    def run(self, stop: threading.Event) -> None:
        """Worker-thread body: set threads and device here, then train until ``stop``."""
        torch.set_num_threads(training_threads(self.cfg.train.threads, self.leave_core_for_gui))
        self._reset(self.cfg)  # a config the device cannot run raises to the caller
        self._publish()
        last_frame = time.perf_counter()
        while not stop.is_set():
            self._drain()
            trainer = self.trainer
            assert trainer is not None
            if not any(trainer.active):  # every run paused: Step and Play have nothing to do
                self.pending_steps = 0
            if (self.running or self.pending_steps) and any(trainer.active):
                budget = self.steps_per_frame if self.steps_per_frame > 0 else None
                n = 0
                while not stop.is_set():
                    self._one_step(trainer)
                    n += 1
                    if self.pending_steps:
                        self.pending_steps -= 1
                        if not self.pending_steps and not self.running:
                            break
                    if budget is not None and n >= budget:
                        break
                    if time.perf_counter() - last_frame >= self.frame_interval:
                        break
                    if not self.commands.empty():
                        break
                if budget is not None:  # steps-per-frame mode: one chunk per frame
                    wait = self.frame_interval - (time.perf_counter() - last_frame)
                    if wait > 0:
                        stop.wait(wait)
            else:
                self._wait_for_command(stop, self.frame_interval)
            if stop.is_set():  # leave at once: no probes, no last snapshot
                break
            now = time.perf_counter()
            if self._changed and now - last_frame >= self.frame_interval:
                self._refresh_probes()
                self._publish()
                last_frame = now

    def _wait_for_command(self, stop: threading.Event, timeout: float) -> None:
        try:
            name, value = self.commands.get(timeout=timeout)
        except queue.Empty:
            return
        self._safe_handle(name, value)
        self._drain()

    def _safe_handle(self, name: str, value: Any) -> None:
        self._changed = True
        try:
            self._handle(name, value)
        except ConfigError as exc:
            self.error = str(exc)

    def _drain(self) -> None:
        while True:
            try:
                name, value = self.commands.get_nowait()
            except queue.Empty:
                return
            self._safe_handle(name, value)

    def _one_step(self, trainer: Trainer) -> None:
        self._changed = True
        trainer.step()
        if trainer.step_count % trainer.cfg.eval.every == 0:
            trainer.evaluate()
        now = time.perf_counter()
        self._rate_window.append((now, trainer.step_count))
        while len(self._rate_window) > 2 and now - self._rate_window[0][0] > 2.0:
            self._rate_window.pop(0)

    def _refresh_probes(self, force: bool = False) -> None:
        """Recompute the views when the probe budget allows (at most ``probe_budget`` of time)."""
        trainer = self.trainer
        assert trainer is not None
        now = time.perf_counter()
        min_gap = max(self.frame_interval, self._probe_cost / self.probe_budget)
        stale = self._views is None or self._views.step != trainer.step_count
        if force or (stale and now - self._last_probe >= min_gap):
            t0 = time.perf_counter()
            self._views = compute_views(trainer)
            self._probe_cost = time.perf_counter() - t0
            self._last_probe = now
        if force or self._fakes is None or self._fakes.step != trainer.step_count:
            self._fakes = compute_fakes(trainer)
        if force or (now - self._last_curves >= self.curve_interval and (
                self._curves is None or self._curves.step != trainer.step_count)):
            self._curves = compute_sigma_curves(trainer)
            self._last_curves = now

    def steps_per_sec(self) -> float:
        """Training steps per second over the last ~2 seconds of running."""
        w = self._rate_window
        if len(w) < 2 or not self.running:
            return 0.0
        dt = w[-1][0] - w[0][0]
        return (w[-1][1] - w[0][1]) / dt if dt > 0 else 0.0

    def snapshot(self) -> Snapshot:
        """An immutable snapshot of the current state (fresh arrays only)."""
        trainer = self.trainer
        assert trainer is not None
        diverged = trainer.diverged_list()
        run_steps = trainer.run_steps.tolist()
        runs = tuple(RunState(spec, trainer.active[i], diverged[i], run_steps[i])
                     for i, spec in enumerate(trainer.runs))
        self.seq += 1
        return Snapshot(
            seq=self.seq, step=trainer.step_count, running=self.running,
            steps_per_sec=self.steps_per_sec(), device=str(trainer.device), config=self.cfg,
            runs=runs, history=trainer.history.arrays(), views=self._views, fakes=self._fakes,
            curves=self._curves,
            real=self._real, error=self.error, notice=self.notice, versions=self.versions,
        )

    def _publish(self) -> None:
        self.slot.put(self.snapshot())
        self.error = ""
        self.notice = None
        self._changed = False  # while paused and idle, nothing new is sent


def force_divergence(trainer: Trainer, index: int) -> None:
    """Make run ``index`` go non-finite (NaN in its discriminator's output bias).

    For demonstrations and tests of divergence handling, sent as a ``call`` command:
    ``session.send("call", functools.partial(force_divergence, index=1))``.
    """
    with torch.no_grad():
        trainer.D.biases[-1][index] = float("nan")


def snapshot_of(trainer: Trainer) -> Snapshot:
    """A complete snapshot (views, fakes, curves, history) of a trainer, for headless figures."""
    session = LiveSession(trainer.cfg, LatestSlot())
    session._install(trainer)
    return session.snapshot()
