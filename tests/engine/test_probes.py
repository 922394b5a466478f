"""Tests for ganviz.engine.probes: view arrays, closed-form densities, gradient fields, the
manifold, and that the probes leave training untouched."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganviz.engine.equation1 import compute_sigma_curves
from ganviz.engine.probes import compute_views
from ganviz.engine.trainer import Trainer
from tests.engine.probe_trainers import make_trainer, probe_arrays


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
    arrays = probe_arrays(v)
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
    for a, b in [*zip(probe_arrays(v1).values(), probe_arrays(compute_views(t)).values(),
                      strict=True),
                 *zip(probe_arrays(v2).values(),
                      probe_arrays(compute_views(t, t.probe_generators(5))).values(), strict=True),
                 *zip(probe_arrays(c2).values(),
                      probe_arrays(compute_sigma_curves(t, t.probe_generators(6))).values(),
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
    kept = probe_arrays(part)
    assert set(kept) == set(probe_arrays(full)) - {"disc", "smooth_field", "manifold"}
    for name, value in kept.items():
        np.testing.assert_array_equal(value, getattr(full, name), err_msg=name)
    only_disc = compute_views(t, layers={"disc"})
    np.testing.assert_array_equal(only_disc.disc, full.disc)
    assert only_disc.smooth_field is None and only_disc.manifold is None
