"""Gradient estimators for J = E_z E_eps f(mu(z) + sigma(z) * eps), eps ~ N(0, I).

Each estimator is a sample point (where f is evaluated) plus a surrogate loss whose autograd
gradient w.r.t. mu and sigma is that estimator's estimate of grad J. Shapes: mu and eps are
[..., N, D] (samples on dim -2, coordinates on dim -1); f maps x [..., N, D] to per-sample
losses [..., N]. Sigma takes one of three forms (the covariance of x given z):

* isotropic: a float or a tensor broadcastable to [..., N, 1], x = mu + sigma * eps;
* diagonal: [..., N, D], one std per coordinate, x = mu + sigma * eps elementwise;
* full: a lower-triangular L [..., N, D, D] with a positive diagonal, x = mu + L eps
  (covariance L L^T).

``names`` is either one estimator id for everything, or a sequence of R ids when mu has a
leading run dimension of size R: all runs then share a single call of f.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from ganviz.core.names import ESTIMATORS

BASELINES: tuple[str, ...] = ("leave_one_out", "none", "at_mean")

Names = str | Sequence[str]
Sigma = float | Tensor


def _check_name(name: str) -> str:
    if name not in ESTIMATORS:
        raise ValueError(f"unknown estimator {name!r}; allowed: {', '.join(ESTIMATORS)}")
    return name


def _mask(names: Names, wanted: str, mu: Tensor, ndim: int) -> Tensor:
    """Boolean mask of runs using ``wanted``, shaped [R, 1, ...] (ndim dims) or a 0-dim tensor."""
    if isinstance(names, str):
        return torch.tensor(_check_name(names) == wanted, device=mu.device)
    names = [_check_name(n) for n in names]
    if mu.dim() < 3 or len(names) != mu.shape[0]:
        raise ValueError(
            f"{len(names)} estimator names need mu of shape [R={len(names)}, ..., N, D], "
            f"got {tuple(mu.shape)}"
        )
    flags = torch.tensor([n == wanted for n in names], device=mu.device)
    return flags.reshape(-1, *([1] * (ndim - 1)))


def _sigma(sigma: Sigma, mu: Tensor) -> Tensor:
    """Sigma as a tensor broadcast to [..., N, 1] (isotropic), [..., N, D] (diagonal) or
    [..., N, D, D] (full: lower-triangular L); keeps its autograd graph."""
    s = torch.as_tensor(sigma, dtype=mu.dtype, device=mu.device)
    d = mu.shape[-1]
    if s.dim() == mu.dim() + 1 and s.shape[-2:] == (d, d):
        return torch.broadcast_to(s, (*mu.shape, d))
    if s.dim() >= 1 and s.shape[-1] == d and d > 1:
        return torch.broadcast_to(s, mu.shape)
    return torch.broadcast_to(s, (*mu.shape[:-1], 1))


def is_full(s: Tensor, mu: Tensor) -> bool:
    """Whether ``s`` (as :func:`_sigma` gives it) is a full L, one dimension more than mu."""
    return s.dim() == mu.dim() + 1


def spread(s: Tensor, eps: Tensor, full: bool) -> Tensor:
    """The noise part of x: ``L eps`` (full) or ``sigma * eps``."""
    return (s * eps.unsqueeze(-2)).sum(-1) if full else s * eps


def positive_scale(s: Tensor, full: bool) -> Tensor:
    """What must be > 0 for a density to exist: L's diagonal (full), else sigma itself."""
    return _diagonal(s) if full else s


def _diagonal(lower: Tensor) -> Tensor:
    """The diagonal [..., D] of [..., D, D], gathered entry by entry (the compiler's lowering
    of ``torch.diagonal`` and ``torch.eye`` raises a deprecation warning in torch 2.13)."""
    return torch.stack([lower[..., i, i] for i in range(lower.shape[-1])], dim=-1)


def _identity(d: int, like: Tensor) -> Tensor:
    """The D x D identity with ``like``'s dtype and device (see :func:`_diagonal`)."""
    return torch.tensor([[float(i == j) for j in range(d)] for i in range(d)],
                        dtype=like.dtype, device=like.device)


def _forward_substitution(lower: Tensor, b: Tensor) -> Tensor:
    """y with L y = b, for lower-triangular L [..., D, D] and b [..., D], row by row: for
    the small D here (2), a few elementwise operations that the compiler fuses."""
    rows: list[Tensor] = []
    for i in range(b.shape[-1]):
        acc = b[..., i]
        for j, y in enumerate(rows):
            acc = acc - lower[..., i, j] * y
        rows.append(acc / lower[..., i, i])
    return torch.stack(rows, dim=-1)


def log_density(x: Tensor, mu: Tensor, s: Tensor, full: bool) -> Tensor:
    """log N(x; mu, Sigma) per sample [..., N] for sigma in any of the three forms."""
    d = mu.shape[-1]
    if full:
        quad = 0.5 * (_forward_substitution(s, x - mu) ** 2).sum(-1)
        log_det = torch.log(_diagonal(s)).sum(-1)
    elif s.shape[-1] == 1:  # isotropic
        quad = ((x - mu) ** 2).sum(-1) / (2 * s[..., 0] ** 2)
        log_det = d * torch.log(s[..., 0])
    else:  # diagonal
        quad = 0.5 * (((x - mu) / s) ** 2).sum(-1)
        log_det = torch.log(s).sum(-1)
    return -quad - log_det - 0.5 * d * math.log(2 * math.pi)


def evaluation_points(names: Names, mu: Tensor, sigma: Sigma, eps: Tensor) -> Tensor:
    """Points where f is evaluated: mu (plugin), mu + sigma*eps (pathwise), detached (score)."""
    s = _sigma(sigma, mu)
    x_path = mu + spread(s, eps, is_full(s, mu))
    if isinstance(names, str):
        name = _check_name(names)
        return mu if name == "plugin" else x_path.detach() if name == "score" else x_path
    return _points(mu, x_path, _mask(names, "plugin", mu, mu.dim()),
                   _mask(names, "score", mu, mu.dim()))


def _points(mu: Tensor, x_path: Tensor, is_plugin: Tensor, is_score: Tensor) -> Tensor:
    """Per run: mu (plugin), x_path detached (score), else x_path (pathwise)."""
    return torch.where(is_plugin, mu, torch.where(is_score, x_path.detach(), x_path))


def _loo_baseline(fx: Tensor) -> Tensor:
    """Leave-one-out batch mean of fx along the sample dimension (dim -1); 0 when N == 1."""
    n = fx.shape[-1]
    if n == 1:
        return torch.zeros_like(fx)
    return (fx.sum(dim=-1, keepdim=True) - fx) / (n - 1)


def _baseline(f: Callable[[Tensor], Tensor], f_det: Tensor, mu: Tensor, baseline: str
              ) -> Tensor | float:
    """The score function's baseline b, detached: the leave-one-out batch mean of f(x)
    (``leave_one_out``), f(mu(z)) at each sample's own mean (``at_mean``: a second call of
    f, which keeps the estimate bounded as sigma -> 0), or 0 (``none``)."""
    if baseline == "leave_one_out":
        return _loo_baseline(f_det)
    if baseline == "at_mean":
        with torch.no_grad():
            return f(mu.detach())
    return 0.0


def estimator_terms(f: Callable[[Tensor], Tensor], mu: Tensor, s: Tensor, eps: Tensor,
                    is_plugin: Tensor, is_score: Tensor, baseline: str,
                    has_score: bool) -> Tensor:
    """Per-run surrogate means, shape mu.shape[:-2], from masks instead of names.

    ``s`` is sigma as :func:`_sigma` gives it (isotropic, diagonal or full); ``is_plugin``
    and ``is_score`` are [R, 1, 1] (or 0-dim); ``has_score`` says whether any run uses the
    score function. No checks and no branches on tensor values (the compiled training step
    calls this); f is called once.
    """
    full = is_full(s, mu)
    x_path = mu + spread(s, eps, full)
    x = _points(mu, x_path, is_plugin, is_score)
    # 0 * sigma keeps sigma in the graph, so plugin runs get an exact zero gradient (not None).
    zero = 0 * s.flatten(mu.dim() - 2).sum(-1)
    fx = f(x)
    if not has_score:
        return fx.mean(dim=-1) + zero
    # Score-function term: value f(x), gradient w * grad log p(x; mu, sigma).
    x_det = x_path.detach()
    # no inf/NaN from a zero sigma in the runs that do not use the score function
    unit = _identity(mu.shape[-1], s) if full else 1.0
    s_safe = torch.where(is_score.unsqueeze(-1) if full and is_score.dim() else is_score, s,
                         torch.ones_like(s) * unit)
    logp = log_density(x_det, mu, s_safe, full)
    f_det = fx.detach()
    w = f_det - _baseline(f, f_det, mu, baseline)
    score_term = f_det + w * (logp - logp.detach())
    terms = torch.where(is_score[..., 0] if is_score.dim() else is_score, score_term, fx)
    return terms.mean(dim=-1) + zero


def surrogate_terms(
    names: Names,
    f: Callable[[Tensor], Tensor],
    mu: Tensor,
    sigma: Sigma,
    eps: Tensor,
    baseline: str = "leave_one_out",
) -> Tensor:
    """Per-run surrogate means, shape mu.shape[:-2]; f is called exactly once."""
    if baseline not in BASELINES:
        raise ValueError(f"unknown baseline {baseline!r}; allowed: {', '.join(BASELINES)}")
    s = _sigma(sigma, mu)
    is_score = _mask(names, "score", mu, mu.dim())
    has_score = bool(is_score.any())
    if has_score:
        with torch.no_grad():
            scale = positive_scale(s, is_full(s, mu))
            bad = torch.broadcast_to(is_score, scale.shape) & ~(scale > 0)
        if bool(bad.any()):
            raise ValueError("the score-function estimator requires sigma > 0 (full: a "
                             "positive diagonal of L)")
    return estimator_terms(f, mu, s, eps, _mask(names, "plugin", mu, mu.dim()), is_score,
                           baseline, has_score)


def surrogate(
    name: Names,
    f: Callable[[Tensor], Tensor],
    mu: Tensor,
    sigma: Sigma,
    eps: Tensor,
    baseline: str = "leave_one_out",
) -> Tensor:
    """Scalar surrogate: the sum of ``surrogate_terms`` over runs."""
    return surrogate_terms(name, f, mu, sigma, eps, baseline).sum()
