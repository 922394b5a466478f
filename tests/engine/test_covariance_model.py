"""Learned covariance in the model: the generator's head, the step, metrics, probes, resume.

``runs.covariance`` = isotropic (sigma(z) I), diagonal (one sigma per axis) or full
(x = mu(z) + L(z) eps); fixed-sigma runs keep sigma I in every form.
"""

import math

import numpy as np
import pytest
import torch

from ganviz.core.settings import ConfigError
from ganviz.engine import covariance
from ganviz.engine.probes import _density_cov, compute_fakes, compute_views
from ganviz.engine.trainer import Trainer
from tests.conftest import small_config

FORMS = ("isotropic", "diagonal", "full")


def _cfg(form: str, **runs):
    return small_config(covariance=form, score_learned_sigma=True, **runs)


def _random_scale(form: str, shape=(3, 50), seed=0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    raw = torch.randn(*shape, covariance.HEAD_COLUMNS[form], generator=gen)
    return covariance.learned_scale(raw, form, 0.01)


@pytest.mark.parametrize("form", FORMS)
def test_eigen_stds_and_axes_reproduce_the_covariance(form):
    s = _random_scale(form).double()
    p, q, r = covariance.covariance_entries(s, form) if form != "isotropic" else (
        s[..., 0] ** 2, torch.zeros_like(s[..., 0]), s[..., 0] ** 2)
    sigma = torch.stack([torch.stack([p, q], -1), torch.stack([q, r], -1)], -2)
    if form == "full":  # Sigma = L L^T
        torch.testing.assert_close(sigma, s @ s.transpose(-1, -2))
    expected = torch.linalg.eigvalsh(sigma).flip(-1).clamp_min(0).sqrt()
    torch.testing.assert_close(covariance.eigen_stds(s, form), expected)
    ax = covariance.axes(s, form)  # the axes' outer products add up to Sigma
    torch.testing.assert_close(ax @ ax.transpose(-1, -2), sigma)
    torch.testing.assert_close((ax[..., :, 0] * ax[..., :, 1]).sum(-1),
                               torch.zeros_like(p), atol=1e-12, rtol=0)
    rms = covariance.rms_std(s, form)[..., 0]
    torch.testing.assert_close(rms, ((p + r) / 2).sqrt())


def test_full_scale_is_lower_triangular_with_a_positive_diagonal():
    raw = torch.tensor([[[-30.0, 2.0, -1.5]]])
    lower = covariance.learned_scale(raw, "full", 0.003)
    assert lower.shape == (1, 1, 2, 2)
    assert lower[0, 0, 0, 1] == 0
    assert lower[0, 0, 1, 0] == -1.5  # the raw entry below the diagonal
    assert lower[0, 0, 0, 0] >= 0.003 and lower[0, 0, 1, 1] > 2.0


@pytest.mark.parametrize("form", FORMS)
def test_trainer_shapes_and_fixed_runs_keep_sigma_identity(form):
    trainer = Trainer(_cfg(form), "cpu")
    assert trainer.G.sizes[-1] == 2 + covariance.HEAD_COLUMNS[form]
    z = torch.randn(trainer.n_runs, 10, trainer.cfg.model.latent_dim)
    mu, scale = trainer.generate(z)
    extra = {"isotropic": (1,), "diagonal": (2,), "full": (2, 2)}[form]
    assert mu.shape == (trainer.n_runs, 10, 2)
    assert scale.shape == (trainer.n_runs, 10, *extra)
    stds = covariance.eigen_stds(scale, form)
    for r, run in enumerate(trainer.runs):
        if not run.learned_sigma:  # plugin: 0; reparam_fixed: its sigma, in every direction
            assert torch.equal(stds[r], torch.full_like(stds[r], run.sigma))
        else:  # learned entries start near sigma_init
            assert torch.allclose(stds[r], torch.full_like(stds[r], 0.1), rtol=0.5)


@pytest.mark.parametrize("form", ["diagonal", "full"])
def test_learned_covariance_trains_and_reports_eigen_std_stats(form):
    trainer = Trainer(_cfg(form), "cpu")
    trainer.train(20)
    assert not any(trainer.diverged_list())
    gens = trainer.probe_generators(salt=1)
    _, stds = trainer.sample_model(100, gens)
    assert stds.shape == (trainer.n_runs, 200)  # both eigen-stds of every sample
    row = {r["estimator"]: r for r in trainer.history.last()}
    learned = row["reparam_learned"]
    assert learned["sigma_p10"] < learned["sigma_mean"] < learned["sigma_p90"]
    assert learned["sigma"] == learned["sigma_mean"]
    assert row["reparam_fixed"]["sigma_p10"] == pytest.approx(0.05)
    # the learned form really is anisotropic once trained (major and minor stds differ)
    _, scale = trainer.generate(torch.randn(trainer.n_runs, 64, 2))
    major, minor = covariance.eigen_stds(scale, form).unbind(-1)
    r = trainer.names.index("reparam_learned")
    assert bool((major[r] - minor[r] > 1e-5).any())


@pytest.mark.parametrize("form", ["diagonal", "full"])
def test_probes_carry_ellipses_and_a_normalised_density(form):
    cfg = _cfg(form).with_overrides({"probe": {"grid": 48, "density_draws": 64}})
    trainer = Trainer(cfg, "cpu")
    trainer.train(5)
    views = compute_views(trainer)
    n = cfg.probe.fakes
    assert views.fake_axes.shape == (trainer.n_runs, n, 2, 2)
    mass = views.density.sum((1, 2)) * views.cell**2
    learned = trainer.names.index("reparam_learned")
    assert mass[learned] == pytest.approx(1.0, abs=0.08)
    fakes = compute_fakes(trainer)
    np.testing.assert_array_equal(fakes.fakes, views.fakes)
    np.testing.assert_array_equal(fakes.fake_axes, views.fake_axes)
    np.testing.assert_array_equal(fakes.fake_means, views.fake_means)
    # the fakes sit at mu + L eps: within a few stds of their means, measured in the axes
    ax = views.fake_axes[learned].astype(np.float64)
    offset = (views.fakes - views.fake_means)[learned]
    coords = np.linalg.solve(ax, offset[..., None])[..., 0]
    assert np.abs(coords).max() < 6 and np.abs(coords).std() > 0.3


def test_isotropic_probes_have_no_ellipses():
    trainer = Trainer(_cfg("isotropic"), "cpu")
    assert compute_views(trainer).fake_axes is None
    assert compute_fakes(trainer).fake_axes is None


def test_rotated_density_matches_gaussian_sums():
    mu = torch.tensor([[[0.2, -0.1], [-0.5, 0.4]]])
    stds = torch.tensor([[[0.3, 0.1], [0.2, 0.05]]])
    angle = torch.tensor([[0.6, -1.1]])
    xs = torch.linspace(-1, 1, 9)
    ys = torch.linspace(-1, 1, 7)
    got = _density_cov(mu, stds, angle, xs, ys, floor=0.07)[0].double().numpy()
    want = np.zeros((7, 9))
    for m in range(2):
        c, s = math.cos(angle[0, m]), math.sin(angle[0, m])
        rot = np.array([[c, -s], [s, c]])
        h = np.maximum(stds[0, m].numpy(), 0.07)
        cov = rot @ np.diag(h**2) @ rot.T
        inv = np.linalg.inv(cov)
        for i, y in enumerate(ys.tolist()):
            for j, x in enumerate(xs.tolist()):
                d = np.array([x, y]) - mu[0, m].numpy()
                want[i, j] += np.exp(-0.5 * d @ inv @ d) / (2 * math.pi * math.sqrt(
                    np.linalg.det(cov))) / 2
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("form", ["diagonal", "full"])
def test_resume_continues_exactly(form, tmp_path):
    cfg = _cfg(form)
    whole = Trainer(cfg, "cpu")
    whole.train(6)
    half = Trainer(cfg, "cpu")
    half.train(3)
    half.save_checkpoint(tmp_path / "c.pt")
    resumed = Trainer.from_checkpoint(tmp_path / "c.pt", "cpu")
    resumed.train(3)
    for a, b in zip(whole.G.parameters(), resumed.G.parameters(), strict=True):
        assert torch.equal(a, b)


def test_checkpoint_of_another_covariance_is_refused_in_one_line(tmp_path):
    iso = Trainer(_cfg("isotropic"), "cpu")
    full = Trainer(_cfg("full"), "cpu")
    from ganviz.engine.checkpoint import CheckpointError, check_fits

    with pytest.raises(CheckpointError) as info:
        check_fits(iso.state_dict(), full)
    assert "\n" not in str(info.value) and "G." in str(info.value)


def test_bad_covariance_is_one_line_naming_the_field():
    with pytest.raises(ConfigError) as info:
        small_config(covariance="spherical").validate()
    message = str(info.value)
    assert "runs.covariance" in message and "full" in message and "\n" not in message


def test_diagonal_density_factorised_equals_the_rotated_kernel():
    from ganviz.engine.probes import _density

    gen = torch.Generator().manual_seed(3)
    mu = torch.randn(2, 40, 2, generator=gen) * 0.5
    scale = covariance.learned_scale(torch.randn(2, 40, 2, generator=gen) - 2, "diagonal", 0.01)
    stds, angle = covariance.eigen(scale, "diagonal")
    xs = torch.linspace(-1.5, 1.5, 31)
    ys = torch.linspace(-1.2, 1.2, 25)
    fast = _density(mu, scale, xs, ys, floor=0.05)
    full = _density_cov(mu, stds, angle, xs, ys, floor=0.05)
    torch.testing.assert_close(fast, full, rtol=1e-4, atol=1e-6)
