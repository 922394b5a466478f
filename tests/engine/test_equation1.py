"""Tests for ganviz.engine.equation1: the sigma curves of equation 1, against its limit, closed
forms for a linear critic, and chosen sigmas."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from ganviz.engine import critic
from ganviz.engine.equation1 import compute_sigma_curves
from tests.engine.probe_trainers import make_trainer, probe_arrays


def test_sigma_curves_equation_one() -> None:
    t = make_trainer(steps=30, probe={"curve_points": 7, "curve_draws": 32, "curve_fakes": 32})
    c = compute_sigma_curves(t)
    r, s = t.n_runs, 7
    for name, a in probe_arrays(c).items():
        assert a.dtype == np.float32 and a.flags.owndata, name
        assert np.isfinite(a).all(), name
        assert a.shape == ((s,) if name == "sigma" else (r, s)), name
    assert c.step == t.step_count
    np.testing.assert_allclose(c.sigma[[0, -1]], [1e-3, 1.0], rtol=1e-5)
    assert np.all(np.diff(np.log(c.sigma)) == pytest.approx(np.log(10) / 2, rel=1e-4))
    # Equation 1: the smoothed gradient tends to the gradient as sigma -> 0.
    assert np.all(c.bias[:, 0] < c.bias[:, -1])
    assert np.all(c.bias[:, 0] < 0.05)
    # Score function with a batch baseline: std ~ 1/sigma at small sigma.
    assert np.all(c.score_std[:, 0] > 100 * c.score_std[:, -1])
    slope = np.log(c.score_std[:, 1] / c.score_std[:, 0]) / np.log(c.sigma[1] / c.sigma[0])
    np.testing.assert_allclose(slope, -1.0, atol=0.1)
    # Pathwise (and a per-point baseline) stay bounded.
    assert np.all(c.pathwise_std < 10) and np.all(c.pathwise_std[:, 0] <= c.pathwise_std[:, -1])
    assert np.all(c.score_std_point < 10) and np.all(c.score_std_mean < 10)
    assert np.all(c.score_std[:, 0] > 20 * c.score_std_point[:, 0])
    assert np.all(c.score_std[:, 0] > 20 * c.score_std_mean[:, 0])


def test_sigma_curves_against_closed_forms_for_a_linear_critic(monkeypatch) -> None:
    """f(x) = a.x + c: grad f = a everywhere, so the smoothed gradient has no bias and the
    pathwise estimate no noise. The score estimate (f(x + s eps) - b) eps / s is then
    (a.eps) eps with the at-mean baseline b = f(x) (trace of its covariance 3|a|^2 for
    eps ~ N(0, I_2), whatever s), s (a.(eps_k - mean of the other eps)) eps / s with the
    per-point one (bounded too), and a.(x_i - mean of the other x_j) eps / s with the
    leave-one-out batch one (which grows like 1/s)."""
    a = torch.tensor([3.0, -4.0])  # |a| = 5

    def linear(trainer: Any, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x @ a + 0.7, a.expand_as(x).clone()

    # equation1 calls critic.f_and_grad at the fakes (the at-mean baseline f(x) and grad f),
    # and critic.shifted_grads calls it at the shifted points: one patch reaches both.
    monkeypatch.setattr(critic, "f_and_grad", linear)
    t = make_trainer(steps=0, probe={"curve_points": 4, "curve_draws": 4096,
                                     "curve_fakes": 8})
    c = compute_sigma_curves(t, sigmas=[1e-3, 1e-2, 1e-1, 1.0])
    np.testing.assert_allclose(c.bias, 0.0, atol=1e-6)
    np.testing.assert_allclose(c.pathwise_std, 0.0, atol=1e-6)
    np.testing.assert_allclose(c.score_std_mean, math.sqrt(3), rtol=0.06)
    np.testing.assert_allclose(c.score_std_mean, np.broadcast_to(c.score_std_mean[:, :1], (4, 4)),
                               rtol=1e-3)
    np.testing.assert_allclose(c.score_std_point, math.sqrt(3), rtol=0.06)  # K large
    np.testing.assert_allclose(c.score_std[:, :-1] / c.score_std[:, 1:], 10.0, rtol=1e-3)
    # Four antithetic draws (h1, h2, -h1, -h2): each eps_k minus the mean of the other
    # three is 4/3 eps_k, so the per-point baseline's std is exactly 4/3 the at-mean one's.
    few = compute_sigma_curves(make_trainer(steps=0, probe={"curve_points": 4,
                                                             "curve_draws": 4}), sigmas=[0.1])
    np.testing.assert_allclose(few.score_std_point / few.score_std_mean, 4 / 3, rtol=1e-4)


def test_sigma_curves_at_chosen_sigmas_match_the_grid() -> None:
    t = make_trainer(steps=5, probe={"curve_points": 7})
    grid = compute_sigma_curves(t)
    chosen = compute_sigma_curves(t, sigmas=[float(grid.sigma[4]), float(grid.sigma[1])])
    np.testing.assert_array_equal(chosen.sigma, grid.sigma[[4, 1]])
    for name in ("bias", "pathwise_std", "score_std", "score_std_point", "score_std_mean"):
        np.testing.assert_allclose(getattr(chosen, name), getattr(grid, name)[:, [4, 1]],
                                   rtol=1e-5, err_msg=name)
    for bad in ([], [0.01, 0.0], [-1.0]):
        with pytest.raises(ValueError, match="positive"):
            compute_sigma_curves(t, sigmas=bad)

