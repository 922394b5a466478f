"""ganviz for scripts and notebooks: load a preset, override settings, train, read the
history as arrays (or a pandas DataFrame), save a checkpoint and draw figures.

    from ganviz.api import Experiment

    exp = Experiment.from_preset("default", train={"steps": 500, "compile": False},
                                 runs={"seeds": [0, 1]})
    exp.train()                        # to train.steps (or exp.train(100): 100 more)
    h = exp.history()                  # {"step": [T], "modes": [T, R], ...}
    exp.runs[0].label                  # which run column r is
    exp.save_figure("comparison.png", theme="paper")

The same engine the window and the command line use: a seeded Experiment gives the same
numbers as ``python main.py train`` with the same config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ganviz.core.config import Config, load, load_preset
from ganviz.core.contract import RunSpec
from ganviz.engine.device import resolve_device, training_thread_count
from ganviz.engine.trainer import Trainer


class Experiment:
    """One batched trainer of every run a config asks for, with a notebook's conveniences."""

    def __init__(self, cfg: Config, device: str | None = None,
                 compile: bool | None = None) -> None:
        """Train ``cfg`` on ``device`` (default: the config's ``train.device``); ``compile``
        overrides ``train.compile`` (the compiled step is faster for long runs but takes a
        minute or two to compile first)."""
        if compile is not None:
            cfg = cfg.with_overrides({"train": {"compile": bool(compile)}})
        self.cfg = cfg
        self.device = resolve_device(device or cfg.train.device)
        self.trainer = Trainer(cfg, self.device)
        self._compiled = False
        self._threads = training_thread_count(cfg.train.threads, leave_for_gui=False)

    @classmethod
    def from_preset(cls, name: str = "default", *, device: str | None = None,
                    compile: bool | None = None, **sections: dict[str, Any]) -> Experiment:
        """A bundled preset with ``section={"key": value}`` overrides, e.g.
        ``train={"steps": 500}``; an invalid value raises ConfigError naming the field."""
        cfg = load_preset(name)
        if sections:
            cfg = cfg.with_overrides(sections)
        return cls(cfg, device, compile)

    @classmethod
    def from_file(cls, path: str | Path, *, device: str | None = None,
                  compile: bool | None = None, **sections: dict[str, Any]) -> Experiment:
        """A config TOML file (as ``--config``), with overrides as :meth:`from_preset`."""
        cfg = load(path)
        if sections:
            cfg = cfg.with_overrides(sections)
        return cls(cfg, device, compile)

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str | None = None) -> Experiment:
        """Continue a run saved by :meth:`save_checkpoint` or ``python main.py train``."""
        exp = cls.__new__(cls)
        exp.device = resolve_device(device or "auto")
        exp.trainer = Trainer.from_checkpoint(path, exp.device)
        exp.cfg = exp.trainer.cfg
        exp._compiled = False
        exp._threads = training_thread_count(exp.cfg.train.threads, leave_for_gui=False)
        return exp

    # ---------------------------------------------------------------------- training
    @property
    def runs(self) -> list[RunSpec]:
        """The runs, in the order of the history's run columns."""
        return list(self.trainer.runs)

    @property
    def step(self) -> int:
        """Steps trained so far."""
        return int(self.trainer.step_count)

    def train(self, steps: int | None = None) -> Experiment:
        """Train ``steps`` more steps (default: up to ``train.steps``), evaluating every
        ``eval.every`` steps as the command line does; returns self, so calls chain."""
        t = self.trainer
        threads = self._threads  # one per experiment: short calls keep what it saw
        threads.start()
        if t.cfg.train.compile and not self._compiled:
            from ganviz.engine.compiled import compile_for_run

            compile_for_run(t)
            self._compiled = True
        remaining = max(0, t.cfg.train.steps - t.step_count) if steps is None else int(steps)
        if steps is not None and t.step_count + remaining > t.cfg.train.steps:
            t.apply_live(t.cfg.with_overrides({"train": {"steps": t.step_count + remaining}}))
            self.cfg = t.cfg
        t.train(remaining, on_step=lambda _: threads.tick())
        return self

    # ---------------------------------------------------------------------- reading
    def history(self) -> dict[str, np.ndarray]:
        """Every metric over training: ``step`` [T] and each column [T, R] (R runs, in the
        order of :attr:`runs`); copies, safe to keep."""
        h = self.trainer.history
        out = {"step": h.steps}
        out.update({k: np.array(v, copy=True) for k, v in h.arrays().items() if k != "step"})
        out["diverged"] = out["diverged"].astype(bool)
        return out

    def dataframe(self):
        """The history as a long pandas DataFrame (one row per evaluation and run, with
        estimator, sigma and seed); needs pandas."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("Experiment.dataframe needs pandas (pip install pandas); "
                              "Experiment.history gives the same numbers as arrays") from exc
        return pd.DataFrame(self.trainer.history.rows())

    def final(self) -> list[dict[str, Any]]:
        """Each run's last evaluation (modes, hq_fraction, reverse_kl, sigma_mean, ...)."""
        return [self.trainer.history.final(r.index) or {} for r in self.trainer.runs]

    # ---------------------------------------------------------------------- saving
    def save_checkpoint(self, path: str | Path) -> Path:
        """The whole training state (atomically), readable by :meth:`from_checkpoint` and
        ``python main.py train --resume``."""
        self.trainer.save_checkpoint(path)
        return Path(path)

    def snapshot(self):
        """What the window draws of the current state (numpy arrays; see ganviz.core.contract)."""
        from ganviz.live.loop import snapshot_of

        return snapshot_of(self.trainer)

    def save_figure(self, path: str | Path, *, theme: str = "dark", scale: float = 2.0,
                    plot: str | None = None) -> Path:
        """The comparison figure (run panels above the curves, as the window shows them)
        as PNG, SVG or PDF by the suffix; needs PySide6 and pyqtgraph (offscreen is fine).
        ``plot``: one curve plot alone instead, its runs' legend above it (a name of
        ``ganviz.views.curves.PLOT_NAMES``: "loss", "modes", ..., "equation1"), the
        window's "Export this plot"."""
        if plot is not None:
            from ganviz.figures.curve_figure import Drawn, write_curve_plot

            return write_curve_plot(Drawn(self.snapshot()), plot, path, theme=theme,
                                    scale=scale)
        from ganviz.figures.comparison import write_comparison_figure

        return write_comparison_figure(self.snapshot(), Path(path), theme=theme, scale=scale)
