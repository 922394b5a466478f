"""Small trainers and helpers shared by the probes' tests (views, critic, draws, equation 1)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ganviz.core.config import load_preset
from ganviz.core.contract import SigmaCurves, ViewProbes
from ganviz.engine.trainer import Trainer

SMALL_PROBE = {"grid": 24, "field_grid": 7, "density_draws": 128, "fakes": 64,
               "smooth_draws": 16, "manifold_lines": 5, "curve_points": 7, "curve_draws": 16,
               "curve_fakes": 16}


def make_trainer(steps: int = 3, runs: dict[str, Any] | None = None,
                 model: dict[str, Any] | None = None, probe: dict[str, Any] | None = None,
                 ) -> Trainer:
    """A small CPU trainer (widths 32, batch 64) after ``steps`` steps."""
    over: dict[str, Any] = {
        "model": {"g_hidden": [32, 32], "d_hidden": [32, 32], **(model or {})},
        "train": {"batch_size": 64, "device": "cpu"},
        "probe": {**SMALL_PROBE, **(probe or {})},
    }
    if runs:
        over["runs"] = runs
    trainer = Trainer(load_preset("default").with_overrides(over))
    for _ in range(steps):
        trainer.step()
    return trainer


def probe_arrays(obj: ViewProbes | SigmaCurves) -> dict[str, np.ndarray]:
    """The numpy arrays of a probe result, by field name."""
    return {k: v for k, v in vars(obj).items() if isinstance(v, np.ndarray)}

