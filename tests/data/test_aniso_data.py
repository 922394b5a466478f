"""Anisotropic ring8 modes (``data.tangent_std``): covariance, density, the HQ metric, the
bitwise-unchanged isotropic path, the 2-std ellipses and refused values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganviz.cli import main
from ganviz.core import config
from ganviz.core.sections import DataConfig
from ganviz.core.settings import ConfigError
from ganviz.data.mixtures import DataSource, Mixture, build_mixture
from ganviz.engine import metrics
from ganviz.views.geometry import ellipses

RADIAL, TANGENT = 0.02, 0.2
CHI2_2_WITHIN_3 = 1 - math.exp(-4.5)  # P(chi-square(2) <= 9) = 0.98889


def expected_cov(angle: float, radial: float, tangent: float) -> np.ndarray:
    """R diag(radial^2, tangent^2) R^T: the covariance of a ring mode at ``angle``."""
    u = np.array([math.cos(angle), math.sin(angle)])
    t = np.array([-math.sin(angle), math.cos(angle)])
    return radial**2 * np.outer(u, u) + tangent**2 * np.outer(t, t)


def closed_form_density(x: np.ndarray, radius: float, radial: float, tangent: float
                        ) -> np.ndarray:
    """The ring mixture's density at points x [N, 2], from the covariances (numpy)."""
    total = np.zeros(len(x))
    for i in range(8):
        a = 2 * math.pi * i / 8
        cov = expected_cov(a, radial, tangent)
        d = x - radius * np.array([math.cos(a), math.sin(a)])
        q = np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)
        total += np.exp(-0.5 * q) / (2 * math.pi * math.sqrt(np.linalg.det(cov))) / 8
    return total


def test_sample_covariance_of_each_mode_is_rotated_along_the_ring():
    mix = build_mixture(DataConfig(radius=2.0, std=RADIAL, tangent_std=TANGENT, scale=1.5))
    assert mix.anisotropic and mix.axes is not None and mix.axes.shape == (8, 2, 2)
    x = mix.sample(160_000, torch.Generator().manual_seed(0)).double().numpy()
    mode = np.round(np.arctan2(x[:, 1], x[:, 0]) / (2 * math.pi / 8)).astype(int) % 8
    for i in range(8):
        a = 2 * math.pi * i / 8
        pts = x[mode == i]
        assert abs(len(pts) / len(x) - 1 / 8) < 0.01
        centre = 3.0 * np.array([math.cos(a), math.sin(a)])  # radius 2 x scale 1.5
        assert np.allclose(pts.mean(0), centre, atol=0.01)
        cov = np.cov(pts.T)
        want = expected_cov(a, 1.5 * RADIAL, 1.5 * TANGENT)
        assert np.abs(cov - want).max() < 0.04 * want.max()
        evals, evecs = np.linalg.eigh(cov)
        assert abs(math.sqrt(evals[0]) / (1.5 * RADIAL) - 1) < 0.04
        assert abs(math.sqrt(evals[1]) / (1.5 * TANGENT) - 1) < 0.04
        assert abs(evecs[:, 1] @ np.array([-math.sin(a), math.cos(a)])) > 0.999  # tangent
    # the isotropic-equivalent std shown beside learned sigmas: sqrt(radial x tangent)
    assert torch.allclose(mix.stds, torch.full((8,), 1.5 * math.sqrt(RADIAL * TANGENT)))


def test_density_integrates_to_one_and_matches_the_closed_form():
    radial, tangent = 0.05, 0.25
    mix = build_mixture(DataConfig(radius=2.0, std=radial, tangent_std=tangent),
                        dtype=torch.float64)
    ext = mix.extent()
    assert 2.0 + 4 * radial < ext < 2 * (2.0 + 4 * tangent)
    xs = torch.linspace(-ext, ext, 801, dtype=torch.float64)
    cell = float(xs[1] - xs[0])
    grid = torch.stack(torch.meshgrid(xs, xs, indexing="xy"), -1)
    mass = float(mix.density(grid).sum()) * cell**2
    assert abs(mass - 1) < 1e-3
    pts = np.array([[2.0, 0.0], [2.03, 0.1], [1.9, -0.2], [1.3, 1.5], [0.1, 2.2], [0, 0],
                    [-1.5, -1.3]])
    got = mix.density(torch.from_numpy(pts)).numpy()
    assert np.allclose(got, closed_form_density(pts, 2.0, radial, tangent), rtol=1e-9,
                       atol=1e-300)
    assert got[0] == pytest.approx(1 / (8 * 2 * math.pi * radial * tangent), rel=1e-9)


def test_hq_fraction_of_true_samples_is_the_chi_square_mass():
    mix = build_mixture(DataConfig(std=RADIAL, tangent_std=TANGENT))
    x = mix.sample(100_000, torch.Generator().manual_seed(3))
    stats = metrics.mode_stats(x[None], mix)
    assert abs(float(stats["hq_fraction"][0]) - CHI2_2_WITHIN_3) < 0.002
    assert float(stats["modes"][0]) == 8 and float(stats["reverse_kl"][0]) < 1e-3
    # the same spread turned across the ring is mostly not high quality
    turned = build_mixture(DataConfig(std=TANGENT, tangent_std=RADIAL))
    y = turned.sample(20_000, torch.Generator().manual_seed(3))
    assert float(metrics.mode_stats(y[None], mix)["hq_fraction"][0]) < 0.35


def test_nearest_mode_of_anisotropic_data_is_mahalanobis():
    """A point 2 stds out along a long mode, Euclidean-closer to a narrow neighbour."""
    mix = Mixture(means=torch.tensor([[0.0, 0.0], [2.2, 0.5]]), stds=torch.ones(2),
                  weights=torch.tensor([0.5, 0.5]),
                  axes=torch.tensor([[[1.0, 0.0], [0.0, 0.01]], [[0.05, 0.0], [0.0, 0.05]]]))
    idx, dist = metrics.nearest_modes(torch.tensor([[2.0, 0.0], [2.2, 0.55]]), mix)
    assert idx.tolist() == [0, 1]
    assert torch.allclose(dist, torch.tensor([2.0, 1.0]))
    stats = metrics.mode_stats(torch.tensor([[[2.0, 0.0], [2.2, 0.55]]]), mix)
    assert float(stats["hq_fraction"][0]) == 1.0 and float(stats["modes"][0]) == 2


def _old_isotropic(cfg: DataConfig) -> Mixture:
    """The ring8 mixture as built before anisotropic modes existed."""
    angles = [2 * math.pi * i / 8 for i in range(8)]
    means = [[cfg.radius * math.cos(a), cfg.radius * math.sin(a)] for a in angles]
    w = torch.ones(8)
    return Mixture(torch.tensor(means) * cfg.scale, torch.full((8,), cfg.std) * cfg.scale,
                   w / w.sum())


def test_isotropic_default_is_bitwise_unchanged():
    cfg = DataConfig(radius=2.0, std=0.05, scale=1.3)
    assert cfg.tangent_std == 0.0 and config.Config().to_dict()["data"]["tangent_std"] == 0.0
    mix, old = build_mixture(cfg), _old_isotropic(cfg)
    assert mix.axes is None and not mix.anisotropic
    for a, b in ((mix.means, old.means), (mix.stds, old.stds), (mix.weights, old.weights)):
        assert torch.equal(a, b)
    gen = torch.Generator().manual_seed(7)
    idx = torch.multinomial(old.weights, 5000, replacement=True, generator=gen)
    noise = torch.randn(5000, 2, generator=gen)
    want = old.means[idx] + old.stds[idx, None] * noise
    got = mix.sample(5000, torch.Generator().manual_seed(7))
    assert torch.equal(got, want)
    d2 = ((got[..., None, :] - old.means) ** 2).sum(-1)
    var = old.stds**2
    dens = ((torch.exp(-0.5 * d2 / var) / (2 * math.pi * var)) * old.weights).sum(-1)
    assert torch.equal(mix.density(got), dens)
    dist, near = torch.cdist(got, old.means).min(-1)
    hq = dist <= metrics.HQ_STDS * old.stds[near]
    assert torch.equal(metrics.mode_stats(got[None], mix)["hq_fraction"],
                       hq.float().mean()[None])
    assert mix.extent() == round(1.25 * float((old.means.abs().amax(1) + 4 * old.stds).max()),
                                 2)


def test_anisotropic_batches_equal_each_runs_own_batch():
    src = DataSource(DataConfig(std=RADIAL, tangent_std=TANGENT), torch.device("cpu"))
    gens = [torch.Generator().manual_seed(s) for s in (3, 4)]
    twins = [torch.Generator().manual_seed(s) for s in (3, 4)]
    out = src.batches(64, [gens[0], None, gens[1]])
    assert torch.equal(out[0], src.batch(64, twins[0]))
    assert torch.equal(out[2], src.batch(64, twins[1]))
    assert torch.equal(out[1], torch.zeros(64, 2))


def test_preset_and_two_std_ellipses():
    cfg = config.load_preset("ring-aniso")
    assert (cfg.data.name, cfg.data.std, cfg.data.tangent_std) == ("ring8", RADIAL, TANGENT)
    mix = build_mixture(cfg.data)
    assert mix.anisotropic
    x, y = ellipses(mix.means.numpy(), 2 * mix.axes.numpy())
    pts = np.stack([x, y], 1)
    assert np.isnan(pts).sum() == 2 * 8  # one break after each ellipse
    pts = torch.from_numpy(pts[~np.isnan(pts[:, 0])]).float()
    assert torch.allclose(mix.mahalanobis(pts).min(-1).values, torch.tensor(2.0), atol=1e-4)


BAD = [("-0.1", "must be a finite number in [0, 1000] (got -0.1)"),
       ("nan", "must be a finite number in [0, 1000] (got nan)"),
       ("inf", "must be a finite number in [0, 1000] (got inf)"),
       ("1e4", "must be a finite number in [0, 1000] (got 10000.0)"),
       ('"wide"', "must be a number (got 'wide')"),
       ("true", "must be a number (got True)")]


@pytest.mark.parametrize(("value", "message"), BAD)
def test_bad_tangent_std_is_refused_by_name(value, message):
    with pytest.raises(ConfigError) as info:
        config.loads(f"[data]\ntangent_std = {value}\n")
    assert str(info.value) == f"data.tangent_std: {message}"


def test_bad_tangent_std_on_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text("[data]\ntangent_std = -1\n")
    assert main(["train", "--config", "bad.toml", "--out", "run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["ganviz: error: data.tangent_std: must be a finite number in [0, 1000] "
                   "(got -1.0)"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_settings_form_shows_tangent_std_only_for_ring8(qtbot):
    pytest.importorskip("PySide6")
    from ganviz.gui.settings import SettingsPanel

    panel = SettingsPanel(config.load_preset("ring-aniso"))
    qtbot.addWidget(panel)
    widget = panel.field_widget("data.tangent_std")
    assert widget.isVisibleTo(panel) and widget.text() == "0.2"
    panel.set_config(config.load_preset("pacgan-grid"))
    assert not widget.isVisibleTo(panel)
