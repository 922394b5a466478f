"""The training loop behind the window: plain code, no Qt.

``TrainingLoop.run(stop)`` is the training process's whole body (Orange's TSNERunner
pattern): it owns the trainer and the device, takes typed commands
(:mod:`ganviz.core.contract`) from a queue between steps, and publishes immutable snapshots
into a :class:`~ganviz.core.contract.LatestSlot` that the window reads at its own rate (the
newest wins, older ones are dropped, nothing queues up).
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from ganviz.core.config import Config, needs_reset
from ganviz.core.contract import (
    Apply,
    Command,
    ExportMetrics,
    ExportSummary,
    Failed,
    ForceDivergence,
    LatestSlot,
    Notice,
    OpenSession,
    PartVersions,
    Pause,
    PauseEstimators,
    Play,
    RealData,
    Reset,
    RunState,
    SaveSession,
    SetActive,
    ShowLayers,
    Snapshot,
    Speed,
    Step,
)
from ganviz.core.settings import ConfigError
from ganviz.engine.checkpoint import CheckpointError, one_line
from ganviz.engine.compiled import BackgroundCompile
from ganviz.engine.device import resolve_device, training_thread_count
from ganviz.engine.equation1 import compute_sigma_curves
from ganviz.engine.probes import OPTIONAL_LAYERS, compute_fakes, compute_views
from ganviz.engine.sessionfile import SessionFileError
from ganviz.engine.step import eager_functions
from ganviz.engine.trainer import PendingEvaluation, Trainer
from ganviz.live.filecommands import FILE_ACTIONS, FileCommand, carry_out
from ganviz.live.probe_schedule import ProbeSchedule, ProbeTally

REAL_POINTS = 2000  # points of file data the views draw
# Share of the loop's time the views may take: views of the default layers cost a few ms, so
# they still follow training about twice a second; with the D map shown, every ~2 s.
VIEWS_BUDGET = 0.02
DENSITY_BINS = 64  # cells per axis of the histogram that gives file data's peak density


def real_data(trainer: Trainer) -> RealData:
    """Modes, stds, weights and the density's peak value of the trainer's data; for file data
    also a fixed subsample of its points (the peak is a histogram's, on the view)."""
    data, mix = trainer.data, trainer.data.mixture
    modes = (mix.means.cpu().numpy().copy(), mix.stds.cpu().numpy().copy(),
             mix.weights.cpu().numpy().copy())
    if not data.from_file:
        axes = None if mix.axes is None else mix.axes.cpu().numpy().copy()
        return RealData(*modes, float(mix.density(mix.means).max()), axes=axes)
    ref = data.reference(REAL_POINTS).cpu().numpy().astype(np.float64)
    extent = trainer.extent
    points = data.train_set.cpu().numpy()
    counts, _, _ = np.histogram2d(points[:, 0], points[:, 1], bins=DENSITY_BINS,
                                  range=[[-extent, extent], [-extent, extent]])
    cell = (2 * extent / DENSITY_BINS) ** 2
    peak = float(counts.max() / (len(points) * cell))
    return RealData(*modes, peak, points=ref, scale=2 * extent / DENSITY_BINS)


class _Part:
    """A TrainingLoop attribute (``_views``, ...) whose every assignment bumps its version."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.part = name.lstrip("_")

    def __get__(self, loop: Any, owner: type | None = None) -> Any:
        if loop is None:
            return self
        return loop._parts.get(self.part)

    def __set__(self, loop: Any, value: Any) -> None:
        loop._parts[self.part] = value
        loop._last_version += 1
        loop.versions = replace(loop.versions, **{self.part: loop._last_version})




class TrainingLoop:
    """Trainer + command queue + snapshot publishing; the body of the training process.

    ``paused_estimators`` mirrors the window's estimator toggles: runs of those estimators
    do not train, and stay paused through every reset (``pause_estimators`` sets it).
    """

    _views = _Part()
    _fakes = _Part()
    _curves = _Part()
    _real = _Part()
    _history = _Part()  # the trainer's history, versioned: a new trainer, a new history

    def __init__(self, cfg: Config, slot: LatestSlot, *, frame_interval: float = 1 / 30,
                 probe_budget: float = VIEWS_BUDGET, curve_interval: float = 2.0,
                 leave_core_for_gui: bool = True) -> None:
        self.cfg = cfg.validate()
        self.slot = slot
        self.frame_interval = frame_interval
        self.schedule = ProbeSchedule(frame_interval, probe_budget, curve_interval)
        self.probe_tally = ProbeTally()  # time spent in probe computations (probe_share reads it)
        self.leave_core_for_gui = leave_core_for_gui
        self._threads = training_thread_count(self.cfg.train.threads, leave_core_for_gui)
        self.commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self.trainer: Trainer | None = None
        self.running = False
        self.steps_per_frame = 0  # 0 = unlimited
        self.pending_steps = 0
        self.seq = 0
        self.error = ""
        self.notice: Notice | None = None
        self.paused_estimators: frozenset[str] = frozenset()
        self._parts: dict[str, Any] = {}  # views, fakes, curves, real (see _Part)
        self._last_version = 0
        self.versions = PartVersions()
        self._rate_window: list[tuple[float, int]] = []
        self._changed = True
        self._compile: BackgroundCompile | None = None
        self.step_note = ""
        self._evaluation: PendingEvaluation | None = None  # its pieces go between steps
        self.view_layers: frozenset[str] | None = None  # layers the window shows; None: all

    # ------------------------------------------------------------- commands
    def send(self, command: Command) -> None:
        """Queue a command (thread-safe); it is carried out between steps."""
        self.commands.put(command)

    def _handle(self, command: Command) -> None:
        match command:
            case Play():
                self.running = True
            case Pause():
                self.running = False
            case Step(count=count):
                self.running = False
                self.pending_steps += max(1, int(count))
            case Speed(steps_per_frame=n):
                self.steps_per_frame = max(0, int(n))
            case SetActive(run=index, on=on):
                assert self.trainer is not None
                self.trainer.set_active(index, on)
            case PauseEstimators(estimators=names):
                self.paused_estimators = frozenset(names)
                self._pause_runs()
            case Reset(config=cfg):
                self._reset(cfg if cfg is not None else self.cfg)
            case Apply(config=cfg):
                self._apply(cfg)
            case SaveSession() | OpenSession() | ExportMetrics() | ExportSummary():
                self._file_command(command)
            case ShowLayers(layers=layers):
                self._show_layers(layers)
            case ForceDivergence(run=index):
                assert self.trainer is not None
                force_divergence(self.trainer, index)
            case _:
                raise TypeError(f"not a command: {command!r}")

    def _show_layers(self, layers: frozenset[str]) -> None:
        """Compute from now on only the views of ``layers``; a part the views lack for a
        newly shown layer is made at once (the next snapshot draws it)."""
        before = self.view_layers
        self.view_layers = frozenset(layers)
        had = OPTIONAL_LAYERS if before is None else before
        added = (OPTIONAL_LAYERS & self.view_layers) - had
        if added and self.trainer is not None and self._views is not None:
            self.schedule.done({"views"}, time.perf_counter(), self._compute("views"))

    def _file_command(self, command: FileCommand) -> None:
        """Save or open a session, or export metrics; the outcome goes out as a notice.

        Any failure becomes one :class:`Failed` notice and training goes on: a refused or
        broken file never ends the training process, and a failed open leaves the loop
        as it was.
        """
        assert self.trainer is not None
        # everything _install may replace (the parts dict is changed in place: copy it)
        before = {**self.__dict__, "_parts": dict(self._parts)}
        try:
            notice, opened = carry_out(command, self.trainer)
            if opened is not None:
                self._install(opened)
                self._start_compile()
                self.running = False
            self.notice = notice
        except (SessionFileError, CheckpointError, ConfigError) as exc:
            self._file_failed(before, str(exc))
        except OSError as exc:
            verb = "open" if isinstance(command, OpenSession) else "write"
            self._file_failed(before, f"cannot {verb} {command.path}: {exc.strerror or exc}")
        except Exception as exc:  # unforeseen: say what it was, keep training
            what = FILE_ACTIONS[type(command)]
            self._file_failed(before, f"{what} failed unexpectedly ({one_line(exc)})")

    def _file_failed(self, before: dict[str, Any], message: str) -> None:
        """Put back what a failed file command may have changed, and say why it failed.

        The version counter only ever grows, so no number is given to two different parts."""
        last = self._last_version
        self.__dict__.update(before)
        self._last_version = last
        self.notice = Failed(message)

    def _install(self, trainer: Trainer) -> None:
        """Make ``trainer`` the session's trainer and rebuild everything derived from it."""
        self.cfg, self.trainer = trainer.cfg, trainer
        self.pending_steps = 0
        self._rate_window.clear()  # a new trainer counts steps from its own start
        self._views = self._curves = self._fakes = None
        self._history = trainer.history
        self._real = real_data(trainer)
        if not trainer.history:
            trainer.evaluate()
        self._refresh_probes(force=True)

    # ----------------------------------------------------- compiled step
    def _start_compile(self) -> None:
        """Compile the trainer's step in the background if the config asks for it; the
        loop trains eagerly meanwhile and switches in :meth:`_take_compiled`."""
        trainer = self.trainer
        assert trainer is not None
        self._compile = None
        self.step_note = ""
        if self.cfg.train.compile and not trainer.functions.compiled:
            self._compile = BackgroundCompile(trainer)

    def _take_compiled(self) -> None:
        """Switch to the compiled step once it is ready (between steps)."""
        job = self._compile
        if job is None or not job.done:
            return
        self._compile = None
        self._changed = True
        fns = job.take()
        if fns is None:
            self.step_note = f"compiler unavailable, training eagerly: {job.error}"
        elif self.trainer is not None and self.trainer.use_functions(fns):
            self.step_note = f"compiled in {job.seconds:.1f} s"
        else:  # the settings changed while compiling: compile again for the new ones
            self._start_compile()

    @property
    def step_path(self) -> str:
        """Which step trains now, for the status bar."""
        if self.trainer is not None and self.trainer.functions.compiled:
            return "compiled step"
        return "eager step, compiling…" if self._compile is not None else "eager step"

    def _reset(self, cfg: Config) -> None:
        """A new trainer from step 0; runs of paused estimators start paused."""
        cfg = cfg.validate()
        trainer = Trainer(cfg, resolve_device(cfg.train.device))  # may refuse: nothing changed
        self._install(trainer)
        self._start_compile()
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
        self.trainer.apply_live(cfg)  # back to the eager step if the step's shape changed
        self.cfg = cfg
        if not cfg.train.compile:
            self.trainer.use_functions(eager_functions(self.trainer.step_spec()))
            self._compile, self.step_note = None, ""
        elif not self.trainer.functions.compiled and self._compile is None:
            self._start_compile()
        if data_changed:
            self._real = real_data(self.trainer)
            self._refresh_probes(force=True)

    # ----------------------------------------------------------------- loop
    def run(self, stop: threading.Event) -> None:
        """Worker-thread body: set threads and device here, then train until ``stop``."""
        self._threads.start()  # train.threads, or the free cores (re-checked between steps)
        self._reset(self.cfg)  # a config the device cannot run raises to the caller
        self._publish()
        last_frame = time.perf_counter()
        # Publish on a deadline, not "a whole interval after the last one": steps come in
        # whole units, so waiting until the interval has passed overshoots by up to a
        # step every frame, and the frame rate falls short of its goal. A step is taken only
        # if it ends no more than half a step past the deadline.
        deadline = last_frame + self.frame_interval
        step_cost = 0.0
        while not stop.is_set():
            self._drain()
            self._take_compiled()
            trainer = self.trainer
            assert trainer is not None
            if not any(trainer.active):  # every run paused: Step and Play have nothing to do
                self.pending_steps = 0
            if (self.running or self.pending_steps) and any(trainer.active):
                budget = self.steps_per_frame if self.steps_per_frame > 0 else None
                n = 0
                while not stop.is_set():
                    started = time.perf_counter()
                    self._one_step(trainer)
                    step_cost = 0.8 * step_cost + 0.2 * (time.perf_counter() - started)
                    n += 1
                    if self.pending_steps:
                        self.pending_steps -= 1
                        if not self.pending_steps and not self.running:
                            break
                    if budget is not None and n >= budget:
                        break
                    if time.perf_counter() + step_cost / 2 >= deadline:
                        break
                    if not self.commands.empty():
                        break
                if budget is not None:  # steps-per-frame mode: one chunk per frame
                    wait = self.frame_interval - (time.perf_counter() - last_frame)
                    if wait > 0:
                        stop.wait(wait)
            else:
                self._finish_evaluation()
                self._wait_for_command(stop, self.frame_interval)
            if stop.is_set():  # leave at once: no probes, no last snapshot
                break
            if not self.running:  # stepped or paused: no frames to keep, publish it whole
                self._finish_evaluation()
            now = time.perf_counter()
            if self._changed and now + step_cost / 2 >= deadline:
                self._refresh_probes()
                self._publish()
                last_frame = now
                deadline = max(deadline + self.frame_interval, now + self.frame_interval / 2)

    def _wait_for_command(self, stop: threading.Event, timeout: float) -> None:
        try:
            command = self.commands.get(timeout=timeout)
        except queue.Empty:
            return
        self._safe_handle(command)
        self._drain()

    def _safe_handle(self, command: Command) -> None:
        self._finish_evaluation()  # a command may change the data or read the history
        self._changed = True
        try:
            self._handle(command)
        except ConfigError as exc:
            self.error = str(exc)

    def _drain(self) -> None:
        while True:
            try:
                command = self.commands.get_nowait()
            except queue.Empty:
                return
            self._safe_handle(command)

    def _one_step(self, trainer: Trainer) -> None:
        self._changed = True
        self._take_compiled()
        self._threads.tick()
        trainer.step()
        if trainer.step_count % trainer.cfg.eval.every == 0:
            self._finish_evaluation()
            self._evaluation = trainer.begin_evaluation()
        else:
            self._advance_evaluation()
        now = time.perf_counter()
        self._rate_window.append((now, trainer.step_count))
        while len(self._rate_window) > 2 and now - self._rate_window[0][0] > 2.0:
            self._rate_window.pop(0)

    def _advance_evaluation(self) -> None:
        """One piece of the pending evaluation (a few ms): a whole one (~0.1 s on a CPU) at
        once would hold back several frames."""
        if self._evaluation is not None and self._evaluation.advance():
            self._evaluation = None

    def _finish_evaluation(self) -> None:
        """Every piece left of the pending evaluation, now."""
        if self._evaluation is not None:
            self._evaluation.finish()
            self._evaluation = None
            self._changed = True

    def _refresh_probes(self, force: bool = False) -> None:
        """Recompute the parts the schedule says are due (all of them when ``force``)."""
        trainer = self.trainer
        assert trainer is not None
        now = time.perf_counter()
        shown = {name: None if part is None else part.step for name, part in
                 (("views", self._views), ("fakes", self._fakes), ("curves", self._curves))}
        due = self.schedule.due(now, trainer.step_count, shown, force)
        costs = {part: self._compute(part) for part in ("views", "fakes", "curves")
                 if part in due}
        self.schedule.done(due, now, costs.get("views", 0.0), costs.get("curves", 0.0))

    def _compute(self, part: str) -> float:
        """Recompute ``part`` (views, fakes or curves) now; its cost in seconds."""
        trainer = self.trainer
        assert trainer is not None
        t0 = time.perf_counter()
        if part == "views":
            self._views = compute_views(trainer, layers=self.view_layers)
        elif part == "fakes":
            self._fakes = compute_fakes(trainer)
        else:
            self._curves = compute_sigma_curves(trainer)
        cost = time.perf_counter() - t0
        self.probe_tally.add(part, cost)
        return cost

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
            step_path=self.step_path, step_note=self.step_note,
        )

    def _publish(self) -> None:
        self.slot.put(self.snapshot())
        self.error = ""
        self.notice = None
        self._changed = False  # while paused and idle, nothing new is sent


def force_divergence(trainer: Trainer, index: int) -> None:
    """Make run ``index`` go non-finite (NaN in its discriminator's output bias).

    For demonstrations and tests of divergence handling: the window or a test sends
    ``ForceDivergence(run=index)``.
    """
    with torch.no_grad():
        trainer.D.biases[-1][index] = float("nan")


def snapshot_of(trainer: Trainer) -> Snapshot:
    """A complete snapshot (views, fakes, curves, history) of a trainer, for headless figures."""
    session = TrainingLoop(trainer.cfg, LatestSlot())
    session._install(trainer)
    return session.snapshot()
