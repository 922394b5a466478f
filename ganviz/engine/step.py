"""One training step as pure tensor functions: the same code runs eagerly or compiled.

What a step computes between the per-run noise draws and the optimiser lives here, as
functions of explicit tensors and a frozen :class:`StepSpec` (the static choices: network
shapes, estimator of each run, batch size, loss). They keep no state and never branch on
tensor values, so ``torch.compile`` captures each one as a single graph, and the eager
path (``torch.compile`` not used) runs exactly the same code.

Shapes: R runs, N samples per run; parameters are stacked per run (``[R, ...]``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from ganviz.engine import covariance
from ganviz.engine.estimators import estimator_terms, positive_scale, spread

BN_EPS = 1e-5


@dataclass(frozen=True)
class NetSpec:
    """The static form of a :class:`~ganviz.engine.nets.BatchedMLP` (everything but its weights)."""

    activation: str = "relu"
    leaky_slope: float = 0.2
    batchnorm: bool = False
    maxout: int = 1


@dataclass(frozen=True)
class NetParams:
    """A batched MLP's parameters: per layer weights [R, in, out] and biases [R, 1, out];
    batch-norm scales and shifts [R, 1, width] per hidden layer (empty without)."""

    weights: Sequence[Tensor]
    biases: Sequence[Tensor]
    gammas: Sequence[Tensor] = ()
    betas: Sequence[Tensor] = ()

    def flat(self) -> tuple[Tensor, ...]:
        """All tensors in the order of the module's ``parameters()`` (and its optimiser)."""
        return (*self.weights, *self.biases, *self.gammas, *self.betas)

    def with_flat(self, flat: Sequence[Tensor]) -> NetParams:
        """The same structure holding ``flat`` (laid out as :meth:`flat` gives them)."""
        n, k = len(self.weights), len(self.gammas)
        return NetParams(tuple(flat[:n]), tuple(flat[n:2 * n]), tuple(flat[2 * n:2 * n + k]),
                         tuple(flat[2 * n + k:]))


def activate(h: Tensor, net: NetSpec, fresh: bool) -> Tensor:
    """The hidden activation; in place when ``fresh`` (``h`` is a new tensor nobody saved)
    and not compiling (the compiler fuses it anyway, and wants no in-place ops)."""
    in_place = fresh and not torch.compiler.is_compiling()
    if net.activation == "relu":
        return torch.relu_(h) if in_place else torch.relu(h)
    if net.activation == "tanh":
        return tanh(h, in_place)
    if net.activation == "leaky_relu":
        if in_place and net.leaky_slope >= 0:  # backward from the output needs slope >= 0
            return F.leaky_relu_(h, net.leaky_slope)
        return F.leaky_relu(h, net.leaky_slope)
    raise ValueError(f"model activation: unknown {net.activation!r}; "
                     "allowed: relu, leaky_relu, tanh")


def tanh(h: Tensor, in_place: bool) -> Tensor:
    """tanh; on the CPU as 2 sigmoid(2h) - 1, the same function to float32 rounding
    (absolute error below 2.5e-7, a test).

    torch's CPU tanh is correctly rounded but several times slower than this form, and
    tanh networks spend a large share of the eager step in it (docs/performance.md,
    "Why the code is shaped this way"). ``in_place``
    overwrites h; where autograd records, the sigmoid's output (in h) is what the
    backward keeps, and the result is a new tensor. On other devices torch's tanh is one
    fast pass and stays.
    """
    if h.device.type != "cpu":
        return torch.tanh_(h) if in_place else torch.tanh(h)
    if not in_place:
        return torch.sigmoid(h * 2) * 2 - 1
    s = torch.sigmoid_(h.mul_(2))
    return s.mul(2).sub_(1) if s.requires_grad else s.mul_(2).sub_(1)


NARROW_PAD = 16  # narrow outputs are computed this wide (MKL's batched GEMM: see linear)


def linear(h: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """``h @ weight + bias`` per run: [R, N, in] -> [R, N, out].

    An output width of 1 (D's logit) is a multiply and a sum: a batched matmul with one
    output column is far below the machine's matmul throughput, the sum much faster.
    Compiled, other narrow outputs (G's mu and sigma, 3 wide) are computed
    :data:`NARROW_PAD` wide with zero columns and sliced, because MKL's batched GEMM is
    slower for 3 columns than for 16. Eagerly, the extra pads cost what the GEMM saves, so
    the eager step (and its numbers) stays as it was. The measurements are in
    docs/performance.md, "Why the code is shaped this way".
    """
    out = weight.shape[-1]
    if out == 1:
        return (h * weight.transpose(1, 2)).sum(-1, keepdim=True) + bias
    if out < NARROW_PAD and torch.compiler.is_compiling():
        pad = (0, NARROW_PAD - out)
        return torch.baddbmm(F.pad(bias, pad), h, F.pad(weight, pad))[..., :out]
    return torch.baddbmm(bias, h, weight)


def mlp(params: NetParams, x: Tensor, net: NetSpec) -> Tensor:
    """Evaluate all runs of a batched MLP: ``x`` [R, N, in] -> [R, N, out].

    Hidden layers: linear, then maxout over groups of ``net.maxout`` units, batch
    normalisation (statistics of each run's N samples) and the activation.
    """
    n_layers = len(params.weights)
    h = x
    for i in range(n_layers):
        h = linear(h, params.weights[i], params.biases[i])
        if i == n_layers - 1:
            break
        if net.maxout > 1:
            h = h.unflatten(-1, (-1, net.maxout)).amax(-1)
        if net.batchnorm:
            mean = h.mean(dim=1, keepdim=True)
            var = h.var(dim=1, unbiased=False, keepdim=True)
            h = (h - mean) * torch.rsqrt(var + BN_EPS) * params.gammas[i] + params.betas[i]
        # in place only on a fresh matmul/batchnorm output (amax saves its output for backward)
        h = activate(h, net, fresh=net.maxout == 1)
    return h


def generator_loss(logits: Tensor, loss: str) -> Tensor:
    """Per-sample generator loss f(x) from D's logits: -log D (nonsaturating) or log(1 - D)."""
    if loss == "nonsaturating":
        return F.softplus(-logits)
    return -F.softplus(logits)


@dataclass(frozen=True)
class StepSpec:
    """The static choices of one training step; a compiled step is valid for one spec."""

    g_net: NetSpec
    d_net: NetSpec
    latent_dim: int
    latent: str  # "normal" or "uniform"
    batch: int
    sigma_min: float
    loss: str
    real_noise: bool
    plugin: tuple[bool, ...]  # per run: evaluates f at mu
    score: tuple[bool, ...]  # per run: score-function estimator
    learned: tuple[bool, ...]  # per run: sigma(z) learned (else the fixed schedule)
    baseline: str = "leave_one_out"
    covariance: str = "isotropic"  # form of the learned sigma (ganviz.engine.covariance)
    sigma_entropy: float = 0.0  # lambda of the -lambda E log sigma(z) bonus of learned runs

    @property
    def noise_width(self) -> int:
        """Standard normal draws per sample in a discriminator step (latent, eps, real noise)."""
        return self.latent_dim + 2 + (2 if self.real_noise else 0)


def _flags(values: tuple[bool, ...], like: Tensor, ndim: int) -> Tensor:
    """Per-run booleans as a tensor shaped [R, 1, ...] with ``ndim`` dimensions."""
    return torch.tensor(values, device=like.device).view(-1, *([1] * (ndim - 1)))


def latent(spec: StepSpec, normal: Tensor) -> Tensor:
    """Map standard normal draws to the configured latent distribution."""
    if spec.latent == "uniform":
        return 2 * torch.special.ndtr(normal) - 1
    return normal


def generate(spec: StepSpec, g: NetParams, z: Tensor, fixed_sigma: Tensor
             ) -> tuple[Tensor, Tensor]:
    """Generator means [R, N, 2] and scales for latents z [R, N, latent_dim]: sigma
    [R, N, 1] (isotropic), [R, N, 2] (diagonal) or L [R, N, 2, 2] (full); learned runs
    from the head (:func:`ganviz.engine.covariance.learned_scale`), the others their fixed sigma
    [R] in the same form."""
    out = mlp(g, z, spec.g_net)
    learned = covariance.learned_scale(out[..., 2:], spec.covariance, spec.sigma_min)
    fixed = covariance.fixed_scale(fixed_sigma, spec.covariance, learned)
    return out[..., :2], torch.where(_flags(spec.learned, out, learned.dim()), learned, fixed)


def fake_samples(spec: StepSpec, mu: Tensor, scale: Tensor, eps: Tensor) -> Tensor:
    """x = mu + sigma eps (isotropic, diagonal) or mu + L eps (full)."""
    return mu + spread(scale, eps, spec.covariance == "full")


def d_losses(spec: StepSpec, g: NetParams, d: NetParams, noise: Tensor, real: Tensor,
             fixed_sigma: Tensor) -> Tensor:
    """Discriminator loss of every run [R]: BCE on ``real`` [R, B, 2] and on fakes made
    from ``noise`` [R, B, noise_width] (latent, eps, then real-data noise if used; its std
    is the fakes' mean sigma, or for a non-isotropic Sigma the mean sqrt(trace / 2))."""
    k = spec.latent_dim
    with torch.no_grad():
        mu, sigma = generate(spec, g, latent(spec, noise[..., :k]), fixed_sigma)
        fake = fake_samples(spec, mu, sigma, noise[..., k:k + 2])
        if spec.real_noise:
            std = covariance.rms_std(sigma, spec.covariance)
            real = real + std.mean(1, keepdim=True) * noise[..., k + 2:]
    logits = mlp(d, torch.cat([real, fake], dim=1), spec.d_net)[..., 0]
    b = real.shape[1]
    return discriminator_loss(logits[:, :b], logits[:, b:])


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """D's binary cross-entropy per run [R] from its logits [R, B]: the mean of -log D(x)
    on real x plus the mean of -log(1 - D(x)) on fakes (softplus keeps both exact)."""
    return F.softplus(-real_logits).mean(1) + F.softplus(fake_logits).mean(1)


def g_terms(spec: StepSpec, g: NetParams, d: NetParams, noise: Tensor, fixed_sigma: Tensor
            ) -> Tensor:
    """Each run's estimator surrogate [R] on a generator batch from ``noise``
    [R, B, latent_dim + 2]; its gradient is that estimator's estimate of grad J."""
    k = spec.latent_dim
    mu, sigma = generate(spec, g, latent(spec, noise[..., :k]), fixed_sigma)

    def f(x: Tensor) -> Tensor:
        return generator_loss(mlp(d, x, spec.d_net)[..., 0], spec.loss)

    terms = estimator_terms(f, mu, sigma, noise[..., k:], _flags(spec.plugin, mu, 3),
                            _flags(spec.score, mu, 3), spec.baseline, any(spec.score))
    if spec.sigma_entropy > 0:
        terms = terms - spec.sigma_entropy * mean_log_sigma(spec, sigma)
    return terms


def mean_log_sigma(spec: StepSpec, sigma: Tensor) -> Tensor:
    """Per run [R], the batch mean of log sigma(z) for learned runs (0 for the others): for
    a diagonal or full Sigma(z), the log of its geometric-mean std, (1 / D) * 1/2 log det
    Sigma, so every form means the same. The entropy of N(mu, Sigma) grows with it."""
    full = spec.covariance == "full"
    scale = positive_scale(sigma, full)  # sigma, or L's diagonal: [R, N, 1 or D]
    learned = _flags(spec.learned, scale, scale.dim())
    safe = torch.where(learned, scale, torch.ones_like(scale))
    log_sigma = torch.log(safe).mean(-1).mean(-1)
    return torch.where(learned.view(-1), log_sigma, torch.zeros_like(log_sigma))


Update = Callable[..., Tensor]
"""A pure optimiser update, ``update(params, grads, m, v, steps, mask, hyper) -> finite``
(:func:`ganviz.engine.optim.adam_update` or :func:`~ganviz.engine.optim.sgd_update`)."""


@torch.no_grad()
def d_step(spec: StepSpec, update: Update, g: NetParams, d: NetParams, noise: Tensor,
           real: Tensor, fixed_sigma: Tensor, m: Sequence[Tensor], v: Sequence[Tensor],
           steps: Tensor, mask: Tensor, hyper: Tensor) -> tuple[Tensor, Tensor]:
    """One whole discriminator update as one pure function: :func:`d_losses`, its gradient
    (``torch.func.grad``) and ``update`` of D's parameters in place, for the runs in
    ``mask`` whose loss and new values are finite. Returns (losses [R], finite [R]).

    Compiled, it is one graph (forward, backward and optimiser fused, one call a step);
    the eager step computes the same with autograd and the optimiser's own step.
    """

    def losses(flat: tuple[Tensor, ...]) -> tuple[Tensor, Tensor]:
        loss = d_losses(spec, g, d.with_flat(flat), noise, real, fixed_sigma)
        return loss.sum(), loss

    return _descend(losses, d.flat(), update, m, v, steps, mask, hyper)


@torch.no_grad()
def g_step(spec: StepSpec, update: Update, g: NetParams, d: NetParams, noise: Tensor,
           fixed_sigma: Tensor, m: Sequence[Tensor], v: Sequence[Tensor], steps: Tensor,
           mask: Tensor, hyper: Tensor) -> tuple[Tensor, Tensor]:
    """One whole generator update (:func:`g_terms`), as :func:`d_step` is for D."""

    def terms(flat: tuple[Tensor, ...]) -> tuple[Tensor, Tensor]:
        loss = g_terms(spec, g.with_flat(flat), d, noise, fixed_sigma)
        return loss.sum(), loss

    return _descend(terms, g.flat(), update, m, v, steps, mask, hyper)


def _descend(loss_fn: Callable[[tuple[Tensor, ...]], tuple[Tensor, Tensor]],
             params: tuple[Tensor, ...], update: Update, m: Sequence[Tensor],
             v: Sequence[Tensor], steps: Tensor, mask: Tensor, hyper: Tensor
             ) -> tuple[Tensor, Tensor]:
    """Gradient of ``loss_fn``'s first output, then ``update``; (per-run loss, finite)."""
    grads, loss = torch.func.grad(loss_fn, has_aux=True)(params)
    finite_loss = torch.isfinite(loss)
    finite = update(params, grads, m, v, steps, mask & finite_loss, hyper)
    return loss, finite & finite_loss


@dataclass(frozen=True)
class StepFunctions:
    """The functions one training step calls, bound to a spec: eager or compiled.

    ``d_step`` and ``g_step`` are the compiled whole updates (:func:`d_step`,
    :func:`g_step` bound to the spec and the optimisers' pure updates), or None: the eager
    step then differentiates ``d_losses``/``g_terms`` with autograd and calls the
    optimisers' own step.
    """

    spec: StepSpec
    d_losses: Callable[..., Tensor]
    g_terms: Callable[..., Tensor]
    d_step: Callable[..., tuple[Tensor, Tensor]] | None = None
    g_step: Callable[..., tuple[Tensor, Tensor]] | None = None
    compiled: bool = False


def bind(fn: Callable[..., Any], spec: StepSpec, *fixed: Any) -> Callable[..., Any]:
    """``fn`` with its spec (and the ``fixed`` arguments after it) given: a plain closure,
    which ``torch.compile`` traces."""

    def bound(*args: Any) -> Any:
        return fn(spec, *fixed, *args)

    bound.__name__ = bound.__qualname__ = fn.__name__
    return bound


def eager_functions(spec: StepSpec) -> StepFunctions:
    """The step's functions as plain eager code."""
    return StepFunctions(spec, bind(d_losses, spec), bind(g_terms, spec))
