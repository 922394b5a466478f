"""The options the study needs (issue 25): simultaneous updates, orthogonal init, the
score function's at-mean baseline and the entropy bonus on learned sigma, each checked
against what it must mean, with the defaults leaving every number as it was."""

from __future__ import annotations

import math

import pytest
import torch

from ganviz.engine.estimators import surrogate
from ganviz.engine.step import mean_log_sigma
from ganviz.engine.trainer import Trainer
from tests.conftest import small_config


def _trainer(**over) -> Trainer:
    sections: dict = {"train": {"compile": False}}
    for key, value in over.items():
        section, name = key.split("__")
        sections.setdefault(section, {})[name] = value
    return Trainer(small_config(seeds=[3]).with_overrides(sections), "cpu")


def _flat(net) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in net.parameters()])


# --------------------------------------------------------------- simultaneous updates


def test_simultaneous_g_takes_its_gradient_before_d_moves():
    """G's new weights do not depend on D's learning rate (its gradient is taken at the D
    of the step's start); with alternating updates they do."""
    def g_after(update: str, lr_d: float) -> torch.Tensor:
        t = _trainer(train__update=update, train__lr_d=lr_d)
        t.step()
        return _flat(t.G)

    assert torch.equal(g_after("simultaneous", 1e-3), g_after("simultaneous", 0.5))
    assert not torch.equal(g_after("alternating", 1e-3), g_after("alternating", 0.5))


def test_simultaneous_trains_g_on_the_batch_d_saw():
    """One draw per step: the generator's batch is the discriminator's z and eps."""
    t = _trainer(train__update="simultaneous")
    draws = []
    real_normal = t._normal

    def spy(n, width):
        draws.append(width)
        return real_normal(n, width)

    t._normal = spy
    t.step()
    assert draws == [t.functions.spec.noise_width]


def test_the_default_update_is_alternating_and_unchanged():
    a, b = _trainer(), _trainer(train__update="alternating")
    for _ in range(3):
        a.step()
        b.step()
    assert torch.equal(_flat(a.G), _flat(b.G)) and torch.equal(_flat(a.D), _flat(b.D))


# ------------------------------------------------------------------- orthogonal init


@pytest.mark.parametrize("gain", [1.0, 1.4])
def test_orthogonal_init_has_orthonormal_weights_times_the_gain_and_zero_biases(gain):
    t = _trainer(model__init="orthogonal", model__init_gain=gain)
    # (G's last layer is left out: its sigma columns are scaled by 0.1 on purpose)
    for weights in (t.G.weights[:-1], t.D.weights):
        for w in weights:
            w = w.detach()[0].double()
            small = min(w.shape)
            gram = w @ w.T if w.shape[0] == small else w.T @ w
            torch.testing.assert_close(gram, gain**2 * torch.eye(small, dtype=torch.float64),
                                       atol=1e-5, rtol=0)
    for net in (t.G, t.D):
        assert all(not b.detach()[0, 0, :].any() for b in net.biases[:-1])
    # and the default init keeps PyTorch's uniform weights (nonzero biases)
    assert any(b.detach().abs().sum() > 0 for b in _trainer().D.biases)


# ------------------------------------------------------------------------ init nudge


def test_init_nudge_moves_every_nonzero_parameter_by_one_float_step():
    base = _trainer(model__init="orthogonal")
    nudged = [_trainer(model__init="orthogonal", model__init_nudge=k) for k in (1, 2)]
    a = _flat(base.G), _flat(base.D)
    for t in nudged:
        for before, after in zip(a, (_flat(t.G), _flat(t.D)), strict=True):
            zero = before == 0
            assert zero.any() and torch.equal(after[zero], before[zero])  # biases stay 0
            up = torch.nextafter(before, torch.tensor(math.inf))
            down = torch.nextafter(before, torch.tensor(-math.inf))
            moved_up, moved_down = after == up, after == down
            assert torch.all((moved_up | moved_down)[~zero])
            assert 0.4 < moved_up[~zero].float().mean() < 0.6  # directions drawn at random
    one, two = (_flat(t.D) for t in nudged)
    assert not torch.equal(one, two)  # each stream its own directions
    assert torch.equal(_flat(_trainer(model__init_nudge=1).D),
                       _flat(_trainer(model__init_nudge=1).D))  # reproducible


def test_init_nudge_is_shared_by_the_runs_of_one_seed():
    cfg = small_config(seeds=[3, 4]).with_overrides(
        {"train": {"compile": False}, "model": {"init_nudge": 1},
         "runs": {"estimators": ["plugin", "reparam_fixed"]}})
    t = Trainer(cfg, "cpu")
    by_seed: dict[int, list[int]] = {}
    for spec in t.runs:
        by_seed.setdefault(spec.seed, []).append(spec.index)
    for runs in by_seed.values():
        first, *rest = runs
        for w in t.D.weights:
            for r in rest:
                assert torch.equal(w[r], w[first])


# --------------------------------------------------------------- at-mean baseline


def test_at_mean_baseline_is_the_closed_form():
    """Score function with b = f(mu): per sample (f(mu + s eps) - f(mu)) eps / s for mu and
    (f(mu + s eps) - f(mu)) (|eps|^2 - 2) / s for an isotropic s (D = 2), averaged."""
    c = torch.tensor([0.7, -1.3], dtype=torch.float64)

    def f(x):
        return (x * c).sum(-1) + (x**2).sum(-1)

    mu = torch.tensor([[0.5, -0.2], [1.0, 2.0], [-0.3, 0.1]], dtype=torch.float64,
                      requires_grad=True)
    eps = torch.tensor([[0.3, -1.1], [0.8, 0.4], [-1.5, 0.2]], dtype=torch.float64)
    s = torch.tensor(0.2, dtype=torch.float64, requires_grad=True)
    surrogate("score", f, mu, s, eps, baseline="at_mean").backward()
    with torch.no_grad():
        x = mu + s * eps
        w = f(x) - f(mu)
        n = mu.shape[0]
        want_mu = w[:, None] * eps / s / n
        want_s = (w * ((eps**2).sum(-1) - 2) / s).sum() / n
    torch.testing.assert_close(mu.grad, want_mu, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(s.grad, want_s, rtol=1e-12, atol=1e-12)


def test_at_mean_stays_bounded_as_sigma_shrinks_and_leave_one_out_does_not():
    gen = torch.Generator().manual_seed(0)
    mu0 = torch.randn(64, 2, generator=gen, dtype=torch.float64)
    eps = torch.randn(64, 2, generator=gen, dtype=torch.float64)

    def grad_norm(baseline: str, s: float) -> float:
        mu = mu0.clone().requires_grad_(True)
        surrogate("score", lambda x: (x**2).sum(-1), mu, s, eps, baseline=baseline).backward()
        return float(mu.grad.norm())

    assert grad_norm("at_mean", 1e-5) < 2 * grad_norm("at_mean", 1e-1)  # ~ grad f . eps
    assert grad_norm("leave_one_out", 1e-5) > 1e3 * grad_norm("leave_one_out", 1e-1)


def test_the_trainer_passes_the_baseline_to_its_step():
    assert _trainer(runs__score_baseline="at_mean").functions.spec.baseline == "at_mean"
    assert _trainer().functions.spec.baseline == "leave_one_out"


# ---------------------------------------------------------------- entropy bonus


@pytest.mark.parametrize("form", ["isotropic", "diagonal", "full"])
def test_mean_log_sigma_is_the_log_geometric_mean_std(form):
    t = _trainer(runs__covariance=form)
    spec = t.functions.spec
    n = 5
    if form == "isotropic":
        sigma = torch.full((t.n_runs, n, 1), 0.3)
        want = math.log(0.3)
    elif form == "diagonal":
        sigma = torch.tensor([0.2, 0.8]).expand(t.n_runs, n, 2)
        want = 0.5 * (math.log(0.2) + math.log(0.8))
    else:
        sigma = torch.tensor([[0.2, 0.0], [5.0, 0.8]]).expand(t.n_runs, n, 2, 2)
        want = 0.5 * (math.log(0.2) + math.log(0.8))  # 1/2 log det (L L^T) / 2
    got = mean_log_sigma(spec, sigma)
    learned = torch.tensor([r.learned_sigma for r in t.runs])
    torch.testing.assert_close(got[learned], torch.full((int(learned.sum()),), want))
    assert got[~learned].eq(0).all()


def test_the_entropy_bonus_is_minus_lambda_log_sigma_on_learned_runs_only():
    lam = 0.25
    plain, bonus = _trainer(), _trainer(runs__sigma_entropy=lam)
    torch.manual_seed(0)
    noise = torch.randn(plain.n_runs, 64, plain.functions.spec.latent_dim + 2)
    g, d, fixed = plain.G.params(), plain.D.params(), plain.fixed_sigma()
    base = plain.functions.g_terms(g, d, noise, fixed)
    with_bonus = bonus.functions.g_terms(g, d, noise, fixed)
    _, sigma = plain.generate(plain.latent(noise[..., :plain.functions.spec.latent_dim]))
    want = -lam * torch.log(sigma[..., 0]).mean(-1)
    learned = torch.tensor([r.learned_sigma for r in plain.runs])
    torch.testing.assert_close((with_bonus - base)[learned], want[learned].float(),
                               rtol=1e-5, atol=1e-6)
    assert (with_bonus - base)[~learned].eq(0).all()
