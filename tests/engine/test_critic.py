"""Tests for ganviz.engine.critic: D's own forward and hand-written input gradient against
D and autograd, and chunk sizes that do not change the probes' numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from ganviz.core.config import load_preset
from ganviz.engine import critic
from ganviz.engine.equation1 import compute_sigma_curves
from ganviz.engine.probes import compute_views
from ganviz.engine.trainer import Trainer
from tests.engine.probe_trainers import SMALL_PROBE, make_trainer, probe_arrays


def test_chunking_does_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    t = make_trainer(steps=4)
    whole_v, whole_c = compute_views(t), compute_sigma_curves(t)
    monkeypatch.setattr(critic, "ELEMENT_BUDGET", {"cpu": 64 * 32})
    monkeypatch.setattr(critic, "BLOCK_POINTS", 200)  # a few points per block
    assert critic._chunk(t, 10_000) == 64
    parts_v, parts_c = compute_views(t), compute_sigma_curves(t)
    for a, b in [*zip(probe_arrays(whole_v).values(), probe_arrays(parts_v).values(), strict=True),
                 *zip(probe_arrays(whole_c).values(), probe_arrays(parts_c).values(), strict=True)]:
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)



@pytest.mark.parametrize(("model", "loss"), [
    ({"d_activation": "relu"}, "nonsaturating"),
    ({"d_activation": "leaky_relu", "leaky_slope": 0.1}, "minimax"),
    ({"d_activation": "tanh"}, "nonsaturating"),
    ({"d_activation": "relu", "d_maxout": 3}, "nonsaturating"),
])
def test_own_forward_and_gradient_match_d_and_autograd(model: dict[str, Any], loss: str) -> None:
    over = {"model": {"g_hidden": [32, 32], "d_hidden": [32, 24], **model},
            "train": {"batch_size": 64, "device": "cpu", "loss": loss}, "probe": SMALL_PROBE}
    t = Trainer(load_preset("default").with_overrides(over))
    for _ in range(5):
        t.step()
    assert critic._own_forward(t) and critic._own_forward(t, grad=True) == (model.get(
        "d_maxout", 1) == 1)
    xs = torch.linspace(-2.5, 2.5, 19)
    ys = torch.linspace(-2.0, 3.0, 23)
    grid = critic.grid_points(xs, ys).expand(t.n_runs, -1, -1).contiguous()
    with torch.no_grad():
        truth = t.D(grid)[..., 0].reshape(t.n_runs, 23, 19)
    np.testing.assert_allclose(critic.grid_logits(t, xs, ys), truth, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(critic._logits(t, grid).reshape(t.n_runs, 23, 19), truth,
                               rtol=1e-5, atol=1e-5)
    x = grid.clone().requires_grad_(True)
    f_true = t.f(x)
    (g_true,) = torch.autograd.grad(f_true.sum(), x)
    f, g = critic.f_and_grad(t, grid)
    np.testing.assert_allclose(f, f_true.detach(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g, g_true, rtol=1e-4, atol=1e-6)
    assert all(p.grad is None for p in t.D.parameters())

