"""Tests for ganviz.engine.estimators against closed-form Gaussian expectations."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import pytest
import torch
from torch import Tensor

from ganviz.core.names import ESTIMATORS, FULL_NAMES
from ganviz.engine.estimators import evaluation_points, surrogate, surrogate_terms

DT = torch.float64
UNBIASED = ("reparam_fixed", "reparam_learned", "score")
MU0 = (0.3, -0.5, 1.1)
SIGMA0 = 0.8
K_QUAD = (1.0, 0.5, -0.2)
K_COS = 1.5


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --- test functions and their closed forms (mu: [D] tensor, sigma: float) -------------------


def quad(x: Tensor) -> Tensor:
    k = torch.tensor(K_QUAD[: x.shape[-1]], dtype=x.dtype)
    return ((x - k) ** 2).sum(-1)


def quad_truth(mu: Tensor, sigma: float) -> tuple[Tensor, Tensor, float]:
    k = torch.tensor(K_QUAD[: mu.shape[-1]], dtype=mu.dtype)
    d = mu.shape[-1]
    value = float(((mu - k) ** 2).sum()) + d * sigma**2
    return torch.tensor(value, dtype=DT), 2 * (mu - k), 2 * d * sigma


def cos_f(x: Tensor) -> Tensor:
    return torch.cos(K_COS * x).sum(-1)


def cos_truth(mu: Tensor, sigma: float) -> tuple[Tensor, Tensor, float]:
    k = K_COS
    damp = math.exp(-(k**2) * sigma**2 / 2)
    value = torch.cos(k * mu).sum() * damp
    return value, -k * torch.sin(k * mu) * damp, -(k**2) * sigma * float(value)


CASES: dict[str, tuple[Callable[[Tensor], Tensor], Callable]] = {
    "quad": (quad, quad_truth),
    "cos": (cos_f, cos_truth),
}


def per_sample_grads(
    name: str, f: Callable[[Tensor], Tensor], n: int, d: int, seed: int, baseline: str
) -> tuple[Tensor, Tensor, Tensor]:
    """Per-sample estimates of (d/dmu [n, d], d/dsigma [n]) and the surrogate value."""
    mu = torch.tensor(MU0[:d], dtype=DT).repeat(n, 1).requires_grad_(True)
    sigma = torch.full((n, 1), SIGMA0, dtype=DT, requires_grad=True)
    eps = torch.randn(n, d, generator=_gen(seed), dtype=DT)
    loss = surrogate(name, f, mu, sigma, eps, baseline=baseline)
    loss.backward()
    assert mu.grad is not None and sigma.grad is not None
    return n * mu.grad, n * sigma.grad[:, 0], loss.detach()


def assert_unbiased(samples: Tensor, truth: Tensor | float, what: str) -> None:
    n = samples.shape[0]
    mean, se = samples.mean(0), samples.std(0) / math.sqrt(n)
    truth = torch.as_tensor(truth, dtype=DT)
    err = (mean - truth).abs()
    assert torch.all(err < 5 * se + 1e-9), f"{what}: mean={mean} truth={truth} se={se}"
    # The check is informative: the resolution is much finer than the quantity itself.
    assert torch.all(5 * se < 0.25 * truth.abs().max()), f"{what}: se={se} too large"


# --- unbiasedness --------------------------------------------------------------------------


@pytest.mark.parametrize("baseline", ["leave_one_out", "none"])
@pytest.mark.parametrize("name", UNBIASED)
@pytest.mark.parametrize("case", ["quad", "cos"])
@pytest.mark.parametrize("d", [1, 3])
def test_unbiased_against_closed_form(case: str, name: str, baseline: str, d: int) -> None:
    f, truth_fn = CASES[case]
    n = 200_000
    g_mu, g_sigma, value = per_sample_grads(name, f, n, d, seed=11 + d, baseline=baseline)
    t_value, t_mu, t_sigma = truth_fn(torch.tensor(MU0[:d], dtype=DT), SIGMA0)
    assert_unbiased(g_mu, t_mu, f"{case}/{name}/{baseline} d/dmu")
    assert_unbiased(g_sigma, t_sigma, f"{case}/{name}/{baseline} d/dsigma")
    # The surrogate's value is the Monte Carlo mean of f for all unbiased estimators.
    assert abs(float(value - t_value)) < 0.02 * (1 + abs(float(t_value)))


@pytest.mark.parametrize("case", ["quad", "cos"])
def test_plugin_is_gradient_at_the_mean(case: str) -> None:
    f, truth_fn = CASES[case]
    n, d = 1000, 3
    g_mu, g_sigma, _ = per_sample_grads("plugin", f, n, d, seed=3, baseline="leave_one_out")
    mu0 = torch.tensor(MU0, dtype=DT).requires_grad_(True)
    (grad_at_mu,) = torch.autograd.grad(f(mu0), mu0)
    assert torch.allclose(g_mu, grad_at_mu.expand(n, d), rtol=1e-12, atol=1e-12)
    assert torch.equal(g_sigma, torch.zeros(n, dtype=DT))
    _, t_mu, t_sigma = truth_fn(mu0.detach(), SIGMA0)
    if case == "cos":  # biased for sigma > 0: far beyond any Monte Carlo tolerance used above
        assert float((grad_at_mu - t_mu).abs().max()) > 0.3
        assert abs(t_sigma) > 0.3


def test_plugin_sigma_zero_gradient_with_float_sigma() -> None:
    mu = torch.zeros(4, 2, dtype=DT, requires_grad=True)
    sigma = torch.tensor(0.0, dtype=DT, requires_grad=True)
    eps = torch.randn(4, 2, generator=_gen(0), dtype=DT)
    surrogate("plugin", quad, mu, sigma, eps).backward()
    assert sigma.grad is not None and float(sigma.grad) == 0.0
    surrogate("plugin", quad, mu.detach().requires_grad_(True), 0.5, eps)  # float sigma ok


# --- variances ----------------------------------------------------------------------------


def _variance_1d(name: str, baseline: str, n: int = 1_000_000) -> float:
    mu = torch.ones(n, 1, dtype=DT, requires_grad=True)
    eps = torch.randn(n, 1, generator=_gen(5), dtype=DT)
    surrogate(name, lambda x: (x**2).sum(-1), mu, 1.0, eps, baseline=baseline).backward()
    assert mu.grad is not None
    g = n * mu.grad[:, 0]
    assert abs(float(g.mean()) - 2.0) < 0.05  # true gradient 2 mu = 2
    return float(g.var())


def test_variance_formulas() -> None:
    # f(x) = x^2 at mu = sigma = 1: pathwise 2(1+e) has variance 4;
    # score (1+e)^2 e has variance E[(1+e)^4 e^2] - 2^2 = 34 - 4 = 30;
    # with a (leave-one-out) mean baseline ((1+e)^2 - 2) e: 22 - 4 = 18.
    assert _variance_1d("reparam_fixed", "none") == pytest.approx(4.0, rel=0.02)
    assert _variance_1d("reparam_learned", "leave_one_out") == pytest.approx(4.0, rel=0.02)
    v_none = _variance_1d("score", "none")
    v_loo = _variance_1d("score", "leave_one_out")
    assert v_none == pytest.approx(30.0, rel=0.03)
    assert v_loo == pytest.approx(18.0, rel=0.03)
    assert v_loo < 0.7 * v_none


# --- equation 1: smoothed gradient tends to grad f as sigma -> 0 -----------------------------


def test_smoothed_gradient_converges_to_gradient() -> None:
    k, n = 3.0, 100_000
    x0 = torch.tensor([0.4, -0.7], dtype=DT)
    grad_true = -k * torch.sin(k * x0)
    eps = torch.randn(n, 2, generator=_gen(7), dtype=DT)  # common random numbers

    def f(x: Tensor) -> Tensor:
        return torch.cos(k * x).sum(-1)

    errors = []
    for s in [1.0, 0.3, 0.1, 0.03, 0.01]:
        x = x0.clone().requires_grad_(True)
        surrogate("reparam_fixed", f, x.expand(n, 2), s, eps).backward()
        assert x.grad is not None
        errors.append(float((x.grad - grad_true).norm() / grad_true.norm()))
    assert all(a > b for a, b in itertools.pairwise(errors)), errors
    assert errors[-1] < 1e-3 and errors[0] > 0.5, errors


# --- batched runs --------------------------------------------------------------------------


def test_mixed_batch_matches_per_run_calls() -> None:
    names = ["plugin", "reparam_fixed", "reparam_learned", "score", "plugin", "score"]
    r, n, d = len(names), 64, 3
    g = _gen(21)
    mu = torch.randn(r, n, d, generator=g, dtype=DT)
    sig = torch.rand(r, n, 1, generator=g, dtype=DT) + 0.2
    sig[0] = 0.0  # a plugin run with sigma = 0 must not poison the others
    eps = torch.randn(r, n, d, generator=g, dtype=DT)
    calls = []

    def f(x: Tensor) -> Tensor:
        calls.append(x.shape)
        return torch.cos(K_COS * x).sum(-1) + (x**2).sum(-1)

    mu_b, sig_b = mu.clone().requires_grad_(True), sig.clone().requires_grad_(True)
    terms = surrogate_terms(names, f, mu_b, sig_b, eps)
    assert calls == [torch.Size([r, n, d])] and terms.shape == (r,)
    terms.sum().backward()
    assert mu_b.grad is not None and sig_b.grad is not None
    assert torch.isfinite(mu_b.grad).all() and torch.isfinite(sig_b.grad).all()
    x = evaluation_points(names, mu, sig, eps)
    for i, name in enumerate(names):
        m, s = mu[i].clone().requires_grad_(True), sig[i].clone().requires_grad_(True)
        value = surrogate(name, f, m, s, eps[i])
        value.backward()
        assert torch.allclose(terms[i], value, rtol=1e-12, atol=1e-12), name
        assert torch.allclose(mu_b.grad[i], m.grad, rtol=1e-10, atol=1e-12), name
        assert torch.allclose(sig_b.grad[i], s.grad, rtol=1e-10, atol=1e-12), name
        assert torch.equal(x[i], evaluation_points(name, mu[i], sig[i], eps[i])), name
    assert torch.equal(sig_b.grad[0], torch.zeros(n, 1, dtype=DT))
    assert torch.equal(sig_b.grad[4], torch.zeros(n, 1, dtype=DT))
    assert sig_b.grad[1:4].abs().sum() > 0 and mu_b.grad.abs().sum() > 0


@pytest.mark.parametrize("name", ESTIMATORS)
def test_leading_batch_dims_and_shapes(name: str) -> None:
    g = _gen(1)
    mu = torch.randn(2, 3, 5, 3, generator=g, dtype=DT, requires_grad=True)
    eps = torch.randn(2, 3, 5, 3, generator=g, dtype=DT)
    sigma = torch.full((2, 3, 1, 1), 0.7, dtype=DT, requires_grad=True)
    terms = surrogate_terms(name, quad, mu, sigma, eps)
    assert terms.shape == (2, 3)
    terms.sum().backward()
    assert mu.grad is not None and mu.grad.shape == mu.shape
    x = evaluation_points(name, mu, sigma, eps)
    assert x.shape == mu.shape
    expected = mu if name == "plugin" else mu + sigma * eps
    assert torch.equal(x, expected)
    assert x.requires_grad == (name != "score")
    single = surrogate_terms(name, quad, mu[0, 0], sigma[0, 0], eps[0, 0])
    assert single.shape == () and torch.allclose(single, terms[0, 0])


@pytest.mark.parametrize("baseline", ["leave_one_out", "none"])
def test_score_gradient_is_reinforce_formula(baseline: str) -> None:
    n, d, s0 = 5, 2, 0.7
    g = _gen(9)
    mu = torch.randn(n, d, generator=g, dtype=DT, requires_grad=True)
    sigma = torch.full((n, 1), s0, dtype=DT, requires_grad=True)
    eps = torch.randn(n, d, generator=g, dtype=DT)
    value = surrogate("score", quad, mu, sigma, eps, baseline=baseline)
    value.backward()
    x = (mu + s0 * eps).detach()
    fx = quad(x)
    b = (fx.sum() - fx) / (n - 1) if baseline == "leave_one_out" else torch.zeros_like(fx)
    w = (fx - b)[:, None] / n
    assert torch.allclose(value, fx.mean())
    assert mu.grad is not None and sigma.grad is not None
    assert torch.allclose(mu.grad, w * (x - mu.detach()) / s0**2)
    dlogp_ds = ((x - mu.detach()) ** 2).sum(-1, keepdim=True) / s0**3 - d / s0
    assert torch.allclose(sigma.grad, w * dlogp_ds)


def test_single_sample_score_has_no_baseline() -> None:
    mu = torch.zeros(1, 2, dtype=DT, requires_grad=True)
    eps = torch.tensor([[0.5, -1.0]], dtype=DT)
    surrogate("score", quad, mu, 1.0, eps).backward()
    fx = quad(eps)
    assert mu.grad is not None and torch.allclose(mu.grad, fx * eps)


def test_full_names() -> None:
    assert set(FULL_NAMES) == set(ESTIMATORS)
    assert FULL_NAMES["score"] == "score function (REINFORCE)"


# --- errors --------------------------------------------------------------------------------


def test_errors() -> None:
    mu, eps = torch.zeros(4, 2), torch.zeros(4, 2)
    with pytest.raises(ValueError, match="reparam_learned"):
        surrogate("reinforce", quad, mu, 1.0, eps)
    with pytest.raises(ValueError, match="plugin"):
        evaluation_points(["plugin", "nope"], mu[None].expand(2, 4, 2), 1.0, eps)
    with pytest.raises(ValueError, match="estimator names"):
        surrogate(["plugin", "score"], quad, mu, 1.0, eps)
    with pytest.raises(ValueError, match="baseline"):
        surrogate("score", quad, mu, 1.0, eps, baseline="mean")
    for bad in (0.0, -1.0, torch.tensor([[1.0], [1.0], [0.0], [1.0]])):
        with pytest.raises(ValueError, match="sigma > 0"):
            surrogate("score", quad, mu, bad, eps)
    # sigma = 0 is fine for the score estimator's neighbours in a batch, not for itself
    mu3, eps3 = torch.zeros(2, 4, 2), torch.zeros(2, 4, 2)
    surrogate(["plugin", "score"], quad, mu3, torch.tensor([0.0, 1.0]).view(2, 1, 1), eps3)
    with pytest.raises(ValueError, match="sigma > 0"):
        surrogate(["score", "plugin"], quad, mu3, torch.tensor([0.0, 1.0]).view(2, 1, 1), eps3)
