"""Tests for ganviz.engine.probes: view arrays, closed-form densities, gradient fields, sigma
curves."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from ganviz.core.config import load_preset
from ganviz.core.contract import SigmaCurves, ViewProbes
from ganviz.engine import probes
from ganviz.engine.probes import compute_sigma_curves, compute_views
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


def _arrays(obj: ViewProbes | SigmaCurves) -> dict[str, np.ndarray]:
    return {k: v for k, v in vars(obj).items() if isinstance(v, np.ndarray)}


def _set_constant_generator(trainer: Trainer, centres: list[list[float]], sigma: float) -> None:
    """Make mu(z) = centres[r] for every z, and learned sigma(z) = sigma."""
    g = trainer.G
    with torch.no_grad():
        g.weights[-1].zero_()
        g.biases[-1][:, 0, :2] = torch.tensor(centres)
        g.biases[-1][:, 0, 2] = math.log(math.expm1(sigma - trainer.cfg.train.sigma_min))


# ----------------------------------------------------------------------------- views


def test_view_shapes_dtypes_and_ranges() -> None:
    t = make_trainer(steps=5)
    v = compute_views(t)
    p, r = t.cfg.probe, t.n_runs
    h, f, n, lines = p.grid, p.field_grid, p.fakes, p.manifold_lines
    expected = {
        "xs": (h,), "ys": (h,), "density": (r, h, h), "disc": (r, h, h),
        "field_points": (f * f, 2), "field": (r, f * f, 2), "smooth_field": (r, f * f, 2),
        "smooth_sigma": (r,), "fakes": (r, n, 2), "fake_means": (r, n, 2),
        "fake_sigma": (r, n), "fake_field": (r, n, 2),
        "manifold": (r, 2, lines, 4 * (lines - 1) + 1, 2), "sigma_stats": (r, 3),
    }
    arrays = _arrays(v)
    assert set(arrays) == set(expected)
    for name, shape in expected.items():
        a = arrays[name]
        assert a.shape == shape, name
        assert a.dtype == np.float32, name
        assert np.isfinite(a).all(), name
        assert a.flags.owndata and a.flags.writeable, f"{name} must be a fresh array"
    assert v.step == t.step_count == 5
    assert v.extent == pytest.approx(t.extent)
    assert len(v.density_label) == r
    # Cell centres covering [-extent, extent]; row-major field points (row = y).
    assert v.xs[0] == pytest.approx(-v.extent + v.cell / 2)
    assert v.xs[-1] == pytest.approx(v.extent - v.cell / 2)
    np.testing.assert_array_equal(v.xs, v.ys)
    grid = v.field_points.reshape(f, f, 2)
    assert np.all(np.diff(grid[..., 0], axis=1) > 0) and np.all(np.diff(grid[..., 1], axis=0) > 0)
    assert np.all((v.disc > 0) & (v.disc < 1))
    assert np.all(v.density >= 0)
    integral = v.density.sum(axis=(1, 2)) * v.cell**2
    np.testing.assert_allclose(integral, 1.0, atol=0.1)
    # Sigma statistics: mean within [p10 - tol, p90 + tol]; fixed runs have a point mass.
    s = v.sigma_stats
    assert np.all(s[:, 1] <= s[:, 2])
    for run in t.runs:
        if not run.learned_sigma:
            np.testing.assert_allclose(s[run.index], run.sigma, atol=1e-6)
            np.testing.assert_allclose(v.fake_sigma[run.index], run.sigma, atol=1e-6)
    np.testing.assert_allclose(v.fakes[0], v.fake_means[0])  # plugin, sigma = 0


def test_density_labels() -> None:
    t = make_trainer(steps=1, runs={"estimators": ["plugin", "reparam_fixed"],
                                    "sigmas": [0.4, 0.01]})
    v = compute_views(t)
    assert [r.sigma for r in t.runs] == [0.0, 0.4, 0.01]
    h = f"{v.density_floor:.3g}"
    assert v.density_label[0] == f"KDE, h = {h}"
    assert v.density_label[1] == "mixture"
    assert v.density_label[2] == f"mixture, sigma floored at h = {h}"
    assert 0.4 > v.density_floor > 0.01


def test_density_of_a_constant_mean_generator_is_the_gaussian() -> None:
    t = make_trainer(steps=0, runs={"estimators": ["plugin", "reparam_fixed", "reparam_learned"],
                                    "sigmas": [0.3]}, probe={"grid": 48})
    centres = [[0.4, -0.3], [-0.5, 0.6], [0.2, 0.7]]
    _set_constant_generator(t, centres, sigma=0.25)
    v = compute_views(t)
    xx, yy = np.meshgrid(v.xs, v.ys)  # [i, j] -> (xs[j], ys[i])
    for r, s in enumerate([v.density_floor, 0.3, 0.25]):
        cx, cy = centres[r]
        truth = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * s**2)) / (2 * np.pi * s**2)
        err = np.abs(v.density[r] - truth).max() / truth.max()
        assert err < 0.02, (r, err)
        assert v.density[r].sum() * v.cell**2 == pytest.approx(1.0, abs=0.02)
    assert v.density_label[0].startswith("KDE")
    assert v.density_label[1] == v.density_label[2] == "mixture"
    # Every fake mean is the centre; the manifold collapses to it too.
    np.testing.assert_allclose(v.fake_means, np.broadcast_to(
        np.array(centres, dtype=np.float32)[:, None], v.fake_means.shape), atol=1e-6)
    assert v.manifold is not None
    np.testing.assert_allclose(v.manifold[:, 0, 0, 0], centres, atol=1e-6)


def test_field_matches_autograd_at_a_point() -> None:
    t = make_trainer(steps=8)
    v = compute_views(t)
    for idx in (0, 17, v.field_points.shape[0] - 1):
        x = torch.tensor(v.field_points[idx]).expand(t.n_runs, 1, 2).clone().requires_grad_()
        (g,) = torch.autograd.grad(t.f(x).sum(), x)
        np.testing.assert_allclose(v.field[:, idx], -g[:, 0].numpy(), rtol=1e-4, atol=1e-6)
    x = torch.tensor(v.fakes[:, 3:4]).requires_grad_()
    (g,) = torch.autograd.grad(t.f(x).sum(), x)
    np.testing.assert_allclose(v.fake_field[:, 3], -g[:, 0].numpy(), rtol=1e-4, atol=1e-6)
    logits = t.D(torch.tensor(v.xs[[5, 5]][None].repeat(t.n_runs, 0).reshape(t.n_runs, 1, 2)))
    # disc[r, i, j] sits at (xs[j], ys[i]): check the (i, j) = (5, 5) diagonal and an off one.
    np.testing.assert_allclose(v.disc[:, 5, 5], torch.sigmoid(logits[:, 0, 0]).detach(),
                               rtol=1e-5)
    pt = torch.tensor([v.xs[2], v.ys[7]]).expand(t.n_runs, 1, 2).contiguous()
    np.testing.assert_allclose(v.disc[:, 7, 2], torch.sigmoid(t.D(pt)[:, 0, 0]).detach(),
                               rtol=1e-5)
    assert all(p.grad is None for p in [*t.G.parameters(), *t.D.parameters()])


def test_smooth_field_tends_to_the_field_as_sigma_goes_to_zero() -> None:
    t = make_trainer(steps=15, runs={"estimators": ["plugin", "reparam_fixed"],
                                     "sigmas": [1e-5, 0.5]})
    v = compute_views(t)
    np.testing.assert_allclose(v.smooth_sigma, [0.0, 1e-5, 0.5], rtol=1e-6)

    def rel(r: int) -> float:
        diff = np.linalg.norm(v.smooth_field[r] - v.field[r], axis=-1).mean()
        return float(diff / np.linalg.norm(v.field[r], axis=-1).mean())

    assert rel(0) < 1e-6  # sigma = 0: exactly the plain field
    assert rel(1) < 1e-3
    assert rel(2) > 0.05  # a wide kernel visibly smooths


def test_learned_run_smooths_at_its_mean_sigma() -> None:
    t = make_trainer(steps=2, runs={"estimators": ["reparam_learned"]})
    v = compute_views(t)
    assert v.smooth_sigma[0] == pytest.approx(v.sigma_stats[0, 0], rel=1e-6)
    assert 0 < v.sigma_stats[0, 1] <= v.sigma_stats[0, 0] <= v.sigma_stats[0, 2]


def test_manifold_grid_and_latent_variants() -> None:
    t = make_trainer(steps=2, model={"latent": "uniform"}, probe={"manifold_lines": 4})
    v = compute_views(t)
    assert v.manifold is not None
    lines, k = 4, 13
    assert v.manifold.shape == (t.n_runs, 2, lines, k, 2)
    # Family 0 line l is z1 = c_l; family 1 line m is z2 = c_m: they meet at point 4m / 4l.
    for m_ in range(lines):
        for l_ in range(lines):
            np.testing.assert_allclose(v.manifold[:, 0, l_, 4 * m_], v.manifold[:, 1, m_, 4 * l_],
                                       atol=1e-6)
    with torch.no_grad():
        corner = t.generate(torch.tensor([[-1.0, 1.0]]).expand(t.n_runs, 1, 2).contiguous())[0]
    np.testing.assert_allclose(v.manifold[:, 0, 0, -1], corner[:, 0].numpy(), atol=1e-5)
    assert compute_views(make_trainer(steps=1, model={"latent_dim": 3})).manifold is None


def test_chunking_does_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    t = make_trainer(steps=4)
    whole_v, whole_c = compute_views(t), compute_sigma_curves(t)
    monkeypatch.setattr(probes, "ELEMENT_BUDGET", {"cpu": 64 * 32})
    monkeypatch.setattr(probes, "BLOCK_POINTS", 200)  # a few points per block
    assert probes._chunk(t, 10_000) == 64
    parts_v, parts_c = compute_views(t), compute_sigma_curves(t)
    for a, b in [*zip(_arrays(whole_v).values(), _arrays(parts_v).values(), strict=True),
                 *zip(_arrays(whole_c).values(), _arrays(parts_c).values(), strict=True)]:
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------------- curves


def test_sigma_curves_equation_one() -> None:
    t = make_trainer(steps=30, probe={"curve_points": 7, "curve_draws": 32, "curve_fakes": 32})
    c = compute_sigma_curves(t)
    r, s = t.n_runs, 7
    for name, a in _arrays(c).items():
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

    monkeypatch.setattr(probes, "_f_and_grad", linear)
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


# ----------------------------------------------------------------------- no side effects


def _training_state(t: Trainer) -> list[torch.Tensor]:
    opt = [*t.opt_g.m, *t.opt_g.v, t.opt_g.steps, *t.opt_d.m, *t.opt_d.v, t.opt_d.steps]
    noise = [g.get_state() for g in t.noise]
    extra = [t.run_steps, t.loss_d, t.loss_g, t.diverged]
    return [x.detach().clone() for x in [*t.G.parameters(), *t.D.parameters(), *opt, *noise,
                                         *extra]]


def test_probes_leave_training_untouched_and_are_deterministic() -> None:
    t, twin = make_trainer(steps=3), make_trainer(steps=3)
    before = _training_state(t)
    v1, c1 = compute_views(t), compute_sigma_curves(t)
    v2 = compute_views(t, t.probe_generators(5))
    c2 = compute_sigma_curves(t, t.probe_generators(6))
    after = _training_state(t)
    assert len(before) == len(after)
    for a, b in zip(before, after, strict=True):
        assert torch.equal(a, b)
    assert all(p.grad is None for p in [*t.G.parameters(), *t.D.parameters()])
    assert t.step_count == 3
    # Determinism given the generator (default: fixed seed).
    for a, b in [*zip(_arrays(v1).values(), _arrays(compute_views(t)).values(), strict=True),
                 *zip(_arrays(v2).values(),
                      _arrays(compute_views(t, t.probe_generators(5))).values(), strict=True),
                 *zip(_arrays(c2).values(),
                      _arrays(compute_sigma_curves(t, t.probe_generators(6))).values(),
                      strict=True)]:
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(v1.fakes, v2.fakes)
    assert c1.bias.shape == c2.bias.shape
    # Training after probing continues exactly like an unprobed twin.
    for _ in range(3):
        t.step()
        compute_views(t)
        twin.step()
    for a, b in zip(_training_state(t), _training_state(twin), strict=True):
        assert torch.equal(a, b)


# ------------------------------------------------------------------ the probes' own forward


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
    assert probes._own_forward(t) and probes._own_forward(t, grad=True) == (model.get(
        "d_maxout", 1) == 1)
    xs = torch.linspace(-2.5, 2.5, 19)
    ys = torch.linspace(-2.0, 3.0, 23)
    grid = probes._grid_points(xs, ys).expand(t.n_runs, -1, -1).contiguous()
    with torch.no_grad():
        truth = t.D(grid)[..., 0].reshape(t.n_runs, 23, 19)
    np.testing.assert_allclose(probes._grid_logits(t, xs, ys), truth, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(probes._logits(t, grid).reshape(t.n_runs, 23, 19), truth,
                               rtol=1e-5, atol=1e-5)
    x = grid.clone().requires_grad_(True)
    f_true = t.f(x)
    (g_true,) = torch.autograd.grad(f_true.sum(), x)
    f, g = probes._f_and_grad(t, grid)
    np.testing.assert_allclose(f, f_true.detach(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g, g_true, rtol=1e-4, atol=1e-6)
    assert all(p.grad is None for p in t.D.parameters())


def test_kept_default_draws_equal_fresh_default_draws() -> None:
    t = make_trainer(steps=2)
    kept = compute_views(t)  # the default generator's draws, drawn once and kept
    again = compute_views(t)
    fresh = compute_views(t, probes.default_generator(t, probes.SALT_VIEWS))
    for name, a in _arrays(kept).items():
        np.testing.assert_array_equal(a, _arrays(again)[name], err_msg=name)
        np.testing.assert_array_equal(a, _arrays(fresh)[name], err_msg=name)
    c_kept = compute_sigma_curves(t)
    c_fresh = compute_sigma_curves(t, probes.default_generator(t, probes.SALT_CURVES))
    for name, a in _arrays(c_kept).items():
        np.testing.assert_array_equal(a, _arrays(c_fresh)[name], err_msg=name)
    other = make_trainer(steps=2, runs={"estimators": ["plugin", "score"]})
    assert compute_views(other).fakes.shape[0] == 2  # another run count: other draws


def test_density_far_from_every_draw_is_negligible_not_slow() -> None:
    t = make_trainer(steps=0, runs={"estimators": ["plugin"]}, probe={"grid": 64})
    _set_constant_generator(t, [[2.5, 2.5]], sigma=0.01)
    v = compute_views(t)
    far = v.density[0, :8, :8]  # the opposite corner: the true density underflows to 0
    assert np.all(far >= 0) and far.max() < 1e-30
    assert v.density[0].max() > 1.0


def test_hidden_layers_leave_out_only_their_views() -> None:
    """The window's default layers: no D map, smoothed field or manifold; every other array
    exactly as with all layers (the same draws, the same batches)."""
    t = make_trainer()
    full = compute_views(t)
    part = compute_views(t, layers={"real", "density", "fakes", "field"})
    assert part.disc is None and part.smooth_field is None and part.manifold is None
    assert full.disc is not None and full.smooth_field is not None
    assert full.manifold is not None
    kept = _arrays(part)
    assert set(kept) == set(_arrays(full)) - {"disc", "smooth_field", "manifold"}
    for name, value in kept.items():
        np.testing.assert_array_equal(value, getattr(full, name), err_msg=name)
    only_disc = compute_views(t, layers={"disc"})
    np.testing.assert_array_equal(only_disc.disc, full.disc)
    assert only_disc.smooth_field is None and only_disc.manifold is None
