"""Diagonal and full (lower-triangular L) sigma in the estimators, against closed forms.

For x = mu + L eps, eps ~ N(0, I), Sigma = L L^T:
* quadratic f(x) = |x - c|^2: J = |mu - c|^2 + tr(Sigma), dJ/dmu = 2 (mu - c), dJ/dL = 2 L;
* cosine f(x) = cos(a.x): J = cos(a.mu) exp(-q / 2) with q = a^T Sigma a,
  dJ/dmu = -sin(a.mu) exp(-q / 2) a, dJ/dL = -cos(a.mu) exp(-q / 2) a a^T L.
The diagonal form is L = diag(s). Both the pathwise (reparam_learned) and the score-function
estimators are unbiased, so their Monte-Carlo means must approach the closed forms.
"""

import math

import pytest
import torch

from ganviz.engine import estimators

N = 200_000
C = torch.tensor([0.7, -0.4], dtype=torch.float64)
A = torch.tensor([1.3, -0.8], dtype=torch.float64)
MU = torch.tensor([0.3, -0.2], dtype=torch.float64)
L = torch.tensor([[0.5, 0.0], [0.3, 0.4]], dtype=torch.float64)
S = torch.tensor([0.5, 0.2], dtype=torch.float64)


def quadratic(x):
    return ((x - C) ** 2).sum(-1)


def cosine(x):
    return torch.cos((x * A).sum(-1))


def closed_form(f, mu, lower):
    """(dJ/dmu, dJ/dL) for ``lower`` = L (full matrix of free entries)."""
    if f is quadratic:
        return 2 * (mu - C), 2 * lower
    q = A @ lower @ lower.T @ A
    damp = math.exp(-0.5 * float(q))
    return (-math.sin(float(A @ mu)) * damp * A,
            -math.cos(float(A @ mu)) * damp * torch.outer(A, A) @ lower)


def estimate(name, f, sigma0, seed=0, baseline="leave_one_out"):
    """The estimator's gradient of J w.r.t. mu and sigma's parameters, from N samples."""
    mu0 = MU.clone().requires_grad_(True)
    s0 = sigma0.clone().requires_grad_(True)
    eps = torch.randn(N, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    mu = mu0.expand(N, 2)
    sigma = s0.expand(N, *s0.shape)
    estimators.surrogate(name, f, mu, sigma, eps, baseline).backward()
    return mu0.grad, s0.grad


# without a baseline the score function also weighs the log-normaliser's gradient (a
# baseline cancels it in expectation), so both variants are checked
SCORE_CASES = [("reparam_learned", "leave_one_out", 0.01), ("score", "leave_one_out", 0.04),
               ("score", "none", 0.06)]


@pytest.mark.parametrize("f", [quadratic, cosine], ids=["quadratic", "cosine"])
@pytest.mark.parametrize("name,baseline,tol", SCORE_CASES)
def test_full_covariance_gradients_match_closed_forms(f, name, baseline, tol):
    g_mu, g_l = estimate(name, f, L, baseline=baseline)
    want_mu, want_l = closed_form(f, MU, L)
    assert torch.allclose(g_mu, want_mu, atol=tol), (g_mu, want_mu)
    # L's parameters are its lower triangle (the score function's density only reads it)
    assert torch.allclose(g_l.tril(), want_l.tril(), atol=tol), (g_l, want_l)


@pytest.mark.parametrize("f", [quadratic, cosine], ids=["quadratic", "cosine"])
@pytest.mark.parametrize("name,baseline,tol", SCORE_CASES)
def test_diagonal_gradients_match_closed_forms(f, name, baseline, tol):
    g_mu, g_s = estimate(name, f, S, baseline=baseline)
    want_mu, want_l = closed_form(f, MU, torch.diag(S))
    assert torch.allclose(g_mu, want_mu, atol=tol), (g_mu, want_mu)
    assert torch.allclose(g_s, torch.diagonal(want_l), atol=tol), (g_s, want_l)


def test_the_three_forms_agree_where_they_describe_the_same_gaussian():
    """Isotropic s, diagonal (s, s) and full s*I give the same points and the same
    surrogate and mu-gradient, for every estimator (the surrogates' closed forms differ only
    in how sigma is parametrised)."""
    eps = torch.randn(64, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    mu = MU.expand(64, 2)
    forms = {"iso": torch.full((64, 1), 0.3, dtype=torch.float64),
             "diag": torch.full((64, 2), 0.3, dtype=torch.float64),
             "full": (0.3 * torch.eye(2, dtype=torch.float64)).expand(64, 2, 2)}
    for name in ("plugin", "reparam_fixed", "reparam_learned", "score"):
        values, grads = [], []
        for sigma in forms.values():
            m = mu.clone().requires_grad_(True)
            v = estimators.surrogate(name, cosine, m, sigma, eps)
            v.backward()
            values.append(v.detach())
            grads.append(m.grad)
            pts = estimators.evaluation_points(name, m, sigma, eps)
            assert torch.allclose(pts, estimators.evaluation_points(name, m, forms["iso"], eps))
        assert all(torch.allclose(v, values[0]) for v in values), name
        assert all(torch.allclose(g, grads[0]) for g in grads), name


def test_score_function_refuses_a_non_positive_diagonal_of_l():
    lower = torch.tensor([[0.5, 0.0], [0.3, 0.0]], dtype=torch.float64).expand(8, 2, 2)
    with pytest.raises(ValueError, match="positive diagonal"):
        estimators.surrogate("score", cosine, MU.expand(8, 2), lower,
                             torch.zeros(8, 2, dtype=torch.float64))
