"""What the views need, computed in torch in the training process, handed over as numpy arrays.

Two entry points, both read-only with respect to training (parameters, optimiser state and
the per-run noise generators are never touched; all randomness comes from probe generators):

* :func:`compute_views` -> :class:`ViewProbes`: generator density, discriminator, gradient
  fields (plain and sigma-smoothed), fake samples, the generator manifold, sigma statistics.
* :func:`compute_sigma_curves` -> :class:`SigmaCurves`: the equation-1 curves (relative bias
  of the smoothed gradient, single-sample std of the pathwise and score-function estimates)
  over a log grid of sigma.

Grid orientation (density, disc): ``a[r, i, j]`` is the value at ``x = xs[j], y = ys[i]``
(row = y, column = x; ``ys`` increases with ``i``). ``xs`` and ``ys`` are cell centres of an
H x W partition of [-extent, extent]^2, so the image covers exactly that square and
``a.sum() * cell**2`` is the midpoint rule for the integral. Every array is a fresh float32
numpy array (never a view of torch storage).

Randomness: by default fixed-seed generators, one per run (:func:`default_generator`), so
consecutive frames reuse the same latents and eps; a run's draws (and, with chunks sized
independently of the run count, its numbers) never depend on which runs share the batch.
With ``model.g_batchnorm`` the generator normalises with the statistics of whatever batch
it sees: the probe batch for density and fakes, the z-grid itself for the manifold (an
approximation there).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ganviz.core.contract import FakeProbes, SigmaCurves, ViewProbes
from ganviz.engine import covariance
from ganviz.engine.draws import normal_runs, run_generators
from ganviz.engine.step import fake_samples, generator_loss
from ganviz.engine.step import tanh as step_tanh
from ganviz.engine.trainer import Trainer

SALT_VIEWS = 101
SALT_CURVES = 102
FLOOR_CELLS = 1.0  # density kernel floor h, in grid cells
# Max floats in one hidden activation of a chunked network call: small chunks stay in the CPU
# cache (docs/performance.md); a GPU wants big ones.
ELEMENT_BUDGET = {"cpu": 1 << 18, "cuda": 1 << 24}
# Chunks are sized for CHUNK_RUNS runs whatever the run count, so a run's numbers never depend
# on how many runs share the batch (a chunk's boundaries can change the rounding).
CHUNK_RUNS = 4
BLOCK_POINTS = 1 << 16  # shifted points materialised at once (all runs) for smoothed gradients
SIGMA_LO, SIGMA_HI = 1e-3, 1.0
EXP_FLOOR = -87.0  # density kernel exponent floor: e^-87 ~ 1.6e-38, the least normal float
MANIFOLD_SPAN = {"normal": 2.5, "uniform": 1.0}
# Layers whose views parts are computed only when shown (they cost most of a views refresh).
OPTIONAL_LAYERS = frozenset({"disc", "smooth", "manifold"})


def compute_fakes(trainer: Trainer, gens: Sequence[torch.Generator] | None = None
                  ) -> FakeProbes:
    """Model samples [R, n, 2], their sigma(z) [R, n] and, for a non-isotropic covariance,
    their means and 1-std semi-axes, for the current generator (no gradients)."""
    p = trainer.cfg.probe
    d = trainer.cfg.model.latent_dim
    form = trainer.cfg.runs.covariance
    with torch.no_grad():
        noise = _draws(trainer, SALT_VIEWS, max(p.density_draws, p.fakes), p.smooth_draws,
                       gens)[0][:, :p.fakes]
        mu, scale = trainer.generate(trainer.latent(noise[..., :d]))
        fakes = fake_samples(trainer.functions.spec, mu, scale, noise[..., d:])
        means, fake_axes = _ellipses(mu, scale, form)
    return FakeProbes(step=int(trainer.step_count), fakes=_np(fakes),
                      fake_sigma=_np(covariance.rms_std(scale, form)[..., 0]),
                      fake_means=means, fake_axes=fake_axes)


def _ellipses(mu: torch.Tensor, scale: torch.Tensor, form: str
              ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The fakes' means and 1-std semi-axes as numpy, or (None, None) when isotropic."""
    if form == "isotropic":
        return None, None
    return _np(mu), _np(covariance.axes(scale, form))


# ------------------------------------------------------------------------------ helpers


def default_generator(trainer: Trainer, salt: int) -> list[torch.Generator]:
    """The probes' default generators, one per run: a fixed seed (data seed, salt, the run's
    seed), the same every call.

    Fixed draws make successive frames comparable: each fake follows its own latent z as
    training moves the generator, and the Monte Carlo fields do not flicker. They are
    separate from the training noise, and a run's draws depend only on its own seed (never
    on its batch-mates). Pass ``trainer.probe_generators(salt)`` for fresh draws per step.
    """
    return run_generators(trainer.device, _run_seeds(trainer), _seed(trainer, salt))


def _seed(trainer: Trainer, salt: int) -> int:
    return (trainer.cfg.data.seed * 0x9E3779B97F4A7C15 + salt) % (2**63 - 1)


def _run_seeds(trainer: Trainer) -> tuple[int, ...]:
    return tuple(r.seed for r in trainer.runs)


def _draws(trainer: Trainer, salt: int, n: int, k: int,
           gens: Sequence[torch.Generator] | None) -> tuple[torch.Tensor, torch.Tensor]:
    """A probe batch: normal draws [R, n, latent_dim + 2], then k eps per run [R, k, 2], run
    r's from ``gens[r]``.

    With ``gens`` None they come from :func:`default_generator`; being the same on every
    call, they are drawn once and kept (never modify them).
    """
    if gens is not None:
        return _run_draws(gens, n, trainer.cfg.model.latent_dim, k, trainer.device)
    return _fixed_draws(_seed(trainer, salt), _run_seeds(trainer), n,
                        trainer.cfg.model.latent_dim, k, str(trainer.device))


@functools.lru_cache(maxsize=4)
def _fixed_draws(seed: int, run_seeds: tuple[int, ...], n: int, latent_dim: int, k: int,
                 device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The draws of :func:`_draws` for fixed seeds (cached: they never change)."""
    gens = run_generators(device, run_seeds, seed)
    return _run_draws(gens, n, latent_dim, k, torch.device(device))


def _run_draws(gens: Sequence[torch.Generator], n: int, latent_dim: int, k: int,
               device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Per run: n normal draws [n, latent_dim + 2], then k antithetic eps [k, 2]."""
    noise = normal_runs(gens, n, latent_dim + 2, device)
    eps = torch.stack([_antithetic_eps(k, g, device) for g in gens])
    return noise, eps


def _np(t: torch.Tensor) -> np.ndarray:
    """A fresh float32 numpy copy of a tensor (never aliasing torch storage)."""
    return np.array(t.detach().to("cpu", torch.float32).numpy(), dtype=np.float32, copy=True)


def _np_or_none(t: torch.Tensor | None) -> np.ndarray | None:
    """:func:`_np` of a part that may have been left out."""
    return None if t is None else _np(t)


def _chunk(trainer: Trainer, n: int) -> int:
    """Points per chunk so that one hidden activation of D stays within the element budget."""
    m = trainer.cfg.model
    width = max(max(m.d_hidden) * m.d_maxout, 1)
    budget = ELEMENT_BUDGET.get(trainer.device.type, ELEMENT_BUDGET["cpu"])
    return max(64, min(n, budget // (CHUNK_RUNS * width)))


# ------------------------------------------------------------ D, forward and input gradient
#
# The probes evaluate D on many points with no parameter gradients, so they run their own
# forward over ``trainer.D.weights`` / ``biases`` (the same maths as BatchedMLP.forward):
# the output layer (width 1) as a multiply + sum (a bmm with one output column runs at a
# few % of matmul peak), tanh as the training step computes it (:func:`ganviz.engine.step.tanh`),
# and the input gradient by a hand-written backward (no autograd graph).


def _act_(h: torch.Tensor, name: str, slope: float) -> torch.Tensor:
    """D's hidden activation, in place on a fresh layer output."""
    if name == "relu":
        return h.relu_()
    if name == "leaky_relu":
        return F.leaky_relu_(h, slope)
    if name == "tanh":
        return step_tanh(h, in_place=True)
    raise ValueError(f"model activation: unknown {name!r}; allowed: relu, leaky_relu, tanh")


def _act_back_(g: torch.Tensor, h: torch.Tensor, name: str, slope: float) -> torch.Tensor:
    """g times the activation's derivative, in place on g, from the activation's output h
    (for leaky_relu, slope >= 0, as the config enforces)."""
    if name == "tanh":
        return g.sub_(g * h * h)
    if name == "leaky_relu" and slope != 0:
        return g.mul_(torch.where(h > 0, 1.0, slope))
    return g.masked_fill_(h <= 0, 0.0)


def _own_forward(trainer: Trainer, grad: bool = False) -> bool:
    """Whether the probes' own forward applies to D (else they call trainer.D and autograd)."""
    m, d = trainer.cfg.model, trainer.D
    if getattr(d, "batchnorm", True) or d.weights[-1].shape[-1] != 1:
        return False
    return not grad or m.d_maxout == 1


def _hidden(trainer: Trainer, h: torch.Tensor, first: int = 0,
            saved: list[torch.Tensor] | None = None) -> torch.Tensor:
    """D's hidden layers from ``first`` on (layer ``first``'s pre-activation already in h)."""
    m, d = trainer.cfg.model, trainer.D
    n_hidden = len(d.weights) - 1
    for i in range(first, n_hidden):
        if i > first:
            h = torch.baddbmm(d.biases[i], h, d.weights[i])
        if m.d_maxout > 1:
            h = h.unflatten(-1, (-1, m.d_maxout)).amax(-1)
        h = _act_(h, m.d_activation, m.leaky_slope)
        if saved is not None:
            saved.append(h)
    return h


def _head(trainer: Trainer, h: torch.Tensor) -> torch.Tensor:
    """D's output layer (width 1) as a multiply + sum: h [R, N, C] -> logits [R, N]."""
    w, b = trainer.D.weights[-1], trainer.D.biases[-1]  # [R, C, 1], [R, 1, 1]
    return torch.linalg.vecdot(h, w.transpose(1, 2)) + b[..., 0]


def _d_logits(trainer: Trainer, x: torch.Tensor,
              saved: list[torch.Tensor] | None = None) -> torch.Tensor:
    """D's logits at x [R, N, 2] -> [R, N] by the probes' own forward (no gradients)."""
    d = trainer.D
    h = torch.baddbmm(d.biases[0], x, d.weights[0])
    return _head(trainer, _hidden(trainer, h, 0, saved))


def _logits(trainer: Trainer, x: torch.Tensor) -> torch.Tensor:
    """D's logits at x [R, N, 2] -> [R, N], chunked over N (no gradients)."""
    step = _chunk(trainer, x.shape[1])
    own = _own_forward(trainer)
    with torch.no_grad():
        return torch.cat([_d_logits(trainer, x[:, a:a + step]) if own
                          else trainer.D(x[:, a:a + step])[..., 0]
                          for a in range(0, x.shape[1], step)], dim=1)


def _grid_logits(trainer: Trainer, xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """D's logits on the grid [R, H, W] (``a[r, i, j]`` at x = xs[j], y = ys[i]), no gradients.

    D's first layer separates over the axes: its pre-activation at (xs[j], ys[i]) is
    a[j] + c[i], with a = xs w_x + b and c = ys w_y computed once; blocks of rows follow.
    """
    r, h_n, w_n = trainer.n_runs, ys.numel(), xs.numel()
    if not _own_forward(trainer):
        grid = _grid_points(xs, ys).expand(r, -1, -1)
        return _logits(trainer, grid).reshape(r, h_n, w_n)
    d = trainer.D
    rows = max(1, _chunk(trainer, h_n * w_n) // w_n)
    out = torch.empty(r, h_n, w_n, device=xs.device)
    with torch.no_grad():
        w0, b0 = d.weights[0], d.biases[0]  # [R, 2, C], [R, 1, C]
        a = torch.baddbmm(b0, xs.view(1, -1, 1).expand(r, -1, -1), w0[:, 0:1])  # [R, W, C]
        c = ys.view(1, -1, 1) * w0[:, 1:2]  # [R, H, C]
        for i in range(0, h_n, rows):
            ci = c[:, i:i + rows, None, :]
            pre = (a[:, None] + ci).flatten(1, 2)  # [R, rows * W, C]
            logits = _head(trainer, _hidden(trainer, pre))
            out[:, i:i + rows] = logits.view(r, ci.shape[1], w_n)
    return out


def _dloss(trainer: Trainer, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f = the generator loss of the logits [R, N], and df / dlogit (autograd on [R, N] only)."""
    with torch.enable_grad():
        lg = logits.detach().requires_grad_(True)
        f = generator_loss(lg, trainer.cfg.train.loss)
        (df,) = torch.autograd.grad(f.sum(), lg)
    return f.detach(), df


def _own_f_and_grad(trainer: Trainer, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f(x) [R, N] and grad_x f [R, N, 2] by the own forward and a hand-written backward."""
    m, d = trainer.cfg.model, trainer.D
    saved: list[torch.Tensor] = []
    with torch.no_grad():
        f, df = _dloss(trainer, _d_logits(trainer, x, saved))
        g = df[..., None] * d.weights[-1].transpose(1, 2)  # [R, N, C]
        for i in range(len(saved) - 1, -1, -1):
            g = _act_back_(g, saved[i], m.d_activation, m.leaky_slope)
            w = d.weights[i]  # [R, in, C]
            g = torch.bmm(g, w.transpose(1, 2))
    return f, g


def _f_and_grad(trainer: Trainer, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f(x) [R, N] and grad_x f(x) [R, N, 2] for x [R, N, 2], chunked; parameters get no .grad."""
    step = _chunk(trainer, x.shape[1])
    own = _own_forward(trainer, grad=True)
    fs, gs = [], []
    for a in range(0, x.shape[1], step):
        if own:
            fx, g = _own_f_and_grad(trainer, x[:, a:a + step])
        else:
            with torch.enable_grad():
                xc = x[:, a:a + step].detach().requires_grad_(True)
                fx = trainer.f(xc)
                (g,) = torch.autograd.grad(fx.sum(), xc)
        fs.append(fx.detach())
        gs.append(g)
    return torch.cat(fs, dim=1), torch.cat(gs, dim=1)


def _shifted_grads(trainer: Trainer, centres: torch.Tensor, offsets: torch.Tensor,
                   keep_f: bool = False) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor]:
    """Gradients of f at centres [R, P, 2] + offsets [R or 1, K, 2], reduced over K.

    Returns f at every shifted point [R, P, K] (only if ``keep_f``), the mean gradient
    [R, P, 2] and the per-point variance (trace) of the gradient over K [R, P]. Points are
    processed in blocks, so memory stays bounded for any P and K.
    """
    r, p = centres.shape[:2]
    k = offsets.shape[1]
    block = max(1, BLOCK_POINTS // (CHUNK_RUNS * k))
    fs, means, variances = [], [], []
    for a in range(0, p, block):
        x = centres[:, a:a + block, None, :] + offsets[:, None, :, :]  # [R, b, K, 2]
        b = x.shape[1]
        f, g = _f_and_grad(trainer, x.reshape(r, b * k, 2))
        g = g.reshape(r, b, k, 2)
        mean = g.mean(2)
        variances.append(((g - mean[:, :, None]) ** 2).sum(-1).mean(2))  # two-pass: no cancel
        means.append(mean)
        if keep_f:
            fs.append(f.reshape(r, b, k))
    f_all = torch.cat(fs, dim=1) if keep_f else None
    return f_all, torch.cat(means, dim=1), torch.cat(variances, dim=1)


def _centres(extent: float, n: int, device: torch.device) -> torch.Tensor:
    """Cell centres of n equal cells over [-extent, extent]."""
    cell = 2 * extent / n
    return -extent + (torch.arange(n, device=device, dtype=torch.float32) + 0.5) * cell


def _grid_points(xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """Row-major points [len(ys) * len(xs), 2]: index i * W + j is (xs[j], ys[i])."""
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([xx, yy], dim=-1).reshape(-1, 2)


def _antithetic_eps(k: int, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    """k standard normal 2-vectors [k, 2], in antithetic pairs (eps, -eps) when k is even."""
    half = torch.randn((k + 1) // 2, 2, generator=gen, device=device)
    return torch.cat([half, -half])[:k] if k % 2 == 0 else torch.cat([half, -half[:k // 2]])


def _density(mu: torch.Tensor, sigma: torch.Tensor, xs: torch.Tensor, ys: torch.Tensor,
             floor: float) -> torch.Tensor:
    """E_m N(x; mu_m, diag(h_x^2, h_y^2)) on the grid [R, H, W], h = max(sigma_m, floor):
    ``sigma`` [R, M] (isotropic) or [R, M, 2] (one std per axis).

    An axis-aligned kernel factorises over the axes, so the grid is a batched matrix
    product of per-axis kernels: O(R M (H + W)) exponentials, chunked over the draws M.
    """
    r, m = mu.shape[0], mu.shape[1]
    h = sigma.clamp_min(floor)
    hx, hy = (h[..., None], None) if h.dim() == 2 else (h[..., 0:1], h[..., 1:2])
    inv_x = 1.0 / hx
    norm_x = -torch.log(math.sqrt(2 * math.pi) * hx)
    inv_y, norm_y = (inv_x, norm_x) if hy is None else (
        1.0 / hy, -torch.log(math.sqrt(2 * math.pi) * hy))
    out = torch.zeros(r, ys.numel(), xs.numel(), device=mu.device)
    budget = ELEMENT_BUDGET.get(mu.device.type, ELEMENT_BUDGET["cpu"])
    step = max(1, min(m, budget // (CHUNK_RUNS * (xs.numel() + ys.numel()))))
    for a in range(0, m, step):
        s = slice(a, a + step)
        kx = _kernel(xs, mu[:, s, 0:1], inv_x[:, s], norm_x[:, s])  # [R, M, W]
        ky = _kernel(ys, mu[:, s, 1:2], inv_y[:, s], norm_y[:, s])  # [R, M, H]
        out.baddbmm_(ky.transpose(1, 2), kx)
    return out / m


def _kernel(t: torch.Tensor, centre: torch.Tensor, inv: torch.Tensor,
            log_norm: torch.Tensor) -> torch.Tensor:
    """N(t; centre, h^2) per axis [R, M, T] (inv = 1 / h, log_norm = -log(sqrt(2 pi) h)).

    The exponent is floored at EXP_FLOOR: exp of arguments whose result underflows is ~15x
    slower on CPU, and the floor changes each kernel value by less than 2e-38.
    """
    z = (t - centre).mul_(inv)
    return z.square_().mul_(-0.5).add_(log_norm).clamp_min_(EXP_FLOOR).exp_()


def _density_cov(mu: torch.Tensor, stds: torch.Tensor, angle: torch.Tensor,
                 xs: torch.Tensor, ys: torch.Tensor, floor: float) -> torch.Tensor:
    """E_m N(x; mu_m, Sigma_m) on the grid [R, H, W] for any covariance, given by its
    eigen-stds [R, M, 2] (each floored at ``floor``) and major-axis angles [R, M].

    A rotated kernel does not factorise over the axes: every draw is evaluated at every grid
    point, chunked over the draws (O(R M H W) exponentials).
    """
    r, m = mu.shape[0], mu.shape[1]
    h = stds.clamp_min(floor)
    c, sn = torch.cos(angle), torch.sin(angle)
    log_norm = -torch.log(2 * math.pi * h[..., 0] * h[..., 1])  # [R, M]
    out = torch.zeros(r, ys.numel(), xs.numel(), device=mu.device)
    budget = ELEMENT_BUDGET.get(mu.device.type, ELEMENT_BUDGET["cpu"])
    step = max(1, min(m, budget // (CHUNK_RUNS * xs.numel() * ys.numel())))
    for a in range(0, m, step):
        s = slice(a, a + step)
        dx = (xs - mu[:, s, 0:1])[:, :, None, :]  # [R, m, 1, W]
        dy = (ys - mu[:, s, 1:2])[:, :, :, None]  # [R, m, H, 1]
        cs, ss = c[:, s, None, None], sn[:, s, None, None]
        u = (dx * cs + dy * ss) / h[:, s, 0, None, None]
        v = (dy * cs - dx * ss) / h[:, s, 1, None, None]
        e = (u.square_() + v.square_()).mul_(-0.5).add_(log_norm[:, s, None, None])
        out += e.clamp_min_(EXP_FLOOR).exp_().sum(1)
    return out / m


def _density_label(sigma: torch.Tensor, floor: float) -> str:
    """How run's density map relates to the model: exact mixture, floored, or a KDE."""
    hs = f"{floor:.3g}"
    if bool((sigma <= 0).all()):
        return f"KDE, h = {hs}"
    frac = float((sigma < floor).float().mean())
    if frac == 0.0:
        return "mixture"
    if frac == 1.0:
        return f"mixture, sigma floored at h = {hs}"
    return f"mixture, sigma floored at h = {hs} for {100 * frac:.0f}% of draws"


def _manifold(trainer: Trainer, lines: int) -> torch.Tensor:
    """mu(z) along a 2-D z-grid: [R, 2, L, K, 2] (see :class:`ViewProbes`)."""
    span = MANIFOLD_SPAN[trainer.cfg.model.latent]
    k = 4 * (lines - 1) + 1
    dev = trainer.device
    c = torch.linspace(-span, span, lines, device=dev)
    t = torch.linspace(-span, span, k, device=dev)
    z1 = torch.stack([c[:, None].expand(lines, k), t[None, :].expand(lines, k)], dim=-1)
    z2 = z1.flip(-1)  # z2 = c_l fixed, z1 varies
    z = torch.stack([z1, z2]).reshape(1, -1, 2).expand(trainer.n_runs, -1, -1)
    mu, _ = trainer.generate(z.contiguous())
    return mu.reshape(trainer.n_runs, 2, lines, k, 2)


# ------------------------------------------------------------------------------ probes


def compute_views(trainer: Trainer, gens: Sequence[torch.Generator] | None = None,
                  layers: Collection[str] | None = None) -> ViewProbes:
    """All view arrays for the trainer's current state; deterministic given ``gens``.

    ``gens`` (one per run, on ``trainer.device``) supply every random draw, run r's from
    ``gens[r]``; None means :func:`default_generator` (the same latents and eps on every
    call). ``layers`` (None: all) names the layers shown: the parts of hidden
    :data:`OPTIONAL_LAYERS` are left out (None); every other array is the same either way.
    """
    wanted = OPTIONAL_LAYERS if layers is None else OPTIONAL_LAYERS & set(layers)
    p = trainer.cfg.probe
    dev = trainer.device
    d = trainer.cfg.model.latent_dim
    extent = float(trainer.extent)
    form = trainer.cfg.runs.covariance
    with torch.no_grad():
        xs = _centres(extent, p.grid, dev)
        ys = xs.clone()
        cell = 2 * extent / p.grid
        floor = FLOOR_CELLS * cell

        # One probe batch of latents: density uses the first density_draws, fakes the first n.
        noise, eps = _draws(trainer, SALT_VIEWS, max(p.density_draws, p.fakes),
                            p.smooth_draws, gens)
        mu, scale = trainer.generate(trainer.latent(noise[..., :d]))
        dd = p.density_draws
        if form == "isotropic":
            sig = scale[..., 0]
            density = _density(mu[:, :dd], sig[:, :dd], xs, ys, floor)
            least = sig
        else:
            stds, angle = covariance.eigen(scale, form)
            density = _density(mu[:, :dd], scale[:, :dd], xs, ys, floor) \
                if form == "diagonal" else \
                _density_cov(mu[:, :dd], stds[:, :dd], angle[:, :dd], xs, ys, floor)
            sig = covariance.summary_stds(scale, form)
            least = stds[..., 1]
        labels = tuple(_density_label(least[r, :dd], floor) for r in range(trainer.n_runs))
        q = torch.quantile(sig, torch.tensor([0.1, 0.9], device=dev), dim=1)
        sigma_stats = torch.stack([sig.mean(1), q[0], q[1]], dim=1)

        disc = torch.sigmoid_(_grid_logits(trainer, xs, ys)) if "disc" in wanted else None

        n = p.fakes
        fake_means = mu[:, :n]
        fakes = fake_samples(trainer.functions.spec, fake_means, scale[:, :n],
                             noise[:, :n, d:])
        _, fake_axes = _ellipses(fake_means, scale[:, :n], form)

        fixed = trainer.fixed_sigma()
        learned = trainer.learned.view(-1)
        s_smooth = torch.where(learned, sig.mean(1), fixed)

        fc = _centres(extent, p.field_grid, dev)
        field_points = _grid_points(fc, fc)
        nf = field_points.shape[0]
        pts = field_points.expand(trainer.n_runs, -1, -1)
        _, g = _f_and_grad(trainer, torch.cat([pts, fakes], dim=1))
        field, fake_field = -g[:, :nf], -g[:, nf:]
        if "smooth" not in wanted:
            smooth = None
        elif bool((s_smooth > 0).any()):
            _, g_mean, _ = _shifted_grads(trainer, pts, s_smooth.view(-1, 1, 1) * eps)
            smooth = -g_mean
        else:  # every run has sigma = 0: the smoothed field is the field
            smooth = field.clone()

        manifold = _manifold(trainer, p.manifold_lines) if d == 2 and "manifold" in wanted \
            else None

    return ViewProbes(
        step=int(trainer.step_count), extent=extent, xs=_np(xs), ys=_np(ys), cell=float(cell),
        density=_np(density), density_floor=float(floor), density_label=labels,
        disc=_np_or_none(disc), field_points=_np(field_points), field=_np(field),
        smooth_field=_np_or_none(smooth), smooth_sigma=_np(s_smooth), fakes=_np(fakes),
        fake_means=_np(fake_means),
        fake_sigma=_np(covariance.rms_std(scale[:, :n], form)[..., 0]),
        fake_field=_np(fake_field), fake_axes=fake_axes,
        manifold=None if manifold is None else _np(manifold), sigma_stats=_np(sigma_stats),
    )


CURVE_KEYS = ("bias", "path", "score", "point", "mean")  # compute_sigma_curves' accumulators


def compute_sigma_curves(trainer: Trainer, gens: Sequence[torch.Generator] | None = None,
                         sigmas: list[float] | None = None) -> SigmaCurves:
    """The equation-1 sigma curves for the current D and fakes; deterministic given ``gens``.

    ``gens`` as in :func:`compute_views` (None: fixed draws, so the curves change only with
    the networks). ``sigmas`` (positive) replaces the default log grid of
    ``probe.curve_points`` values from 1e-3 to 1.
    """
    p = trainer.cfg.probe
    dev = trainer.device
    d = trainer.cfg.model.latent_dim
    n, k, S = p.curve_fakes, p.curve_draws, p.curve_points
    if sigmas is None:
        sig = torch.logspace(math.log10(SIGMA_LO), math.log10(SIGMA_HI), S, device=dev)
    elif sigmas and min(sigmas) > 0:
        sig = torch.tensor(sigmas, dtype=torch.float32, device=dev)
    else:
        raise ValueError("sigmas must be a non-empty list of positive values")
    with torch.no_grad():
        noise, eps = _draws(trainer, SALT_CURVES, n, k, gens)  # eps [R, k, 2]
        x0, _ = trainer.generate(trainer.latent(noise[..., :d]))  # [R, n, 2]
        f0, g0 = _f_and_grad(trainer, x0)  # [R, n], [R, n, 2]
        g0_norm = g0.norm(dim=-1)  # [R, n]
        scale = g0_norm.mean(1).clamp_min(1e-30)  # [R]
        e2 = (eps**2).sum(-1)[:, None, :]  # [R, 1, k]
        out: dict[str, list[torch.Tensor]] = {key: [] for key in CURVE_KEYS}

        def score_var(w: torch.Tensor, s: float) -> torch.Tensor:
            """Per-point variance (trace) over k of w_ik eps_k / s: w [R, n, k] -> [R, n]."""
            second = (w**2 * e2).mean(2)
            first = torch.bmm(w, eps) / k  # [R, n, 2]
            return (second - (first**2).sum(-1)).clamp_min(0) / s**2

        for s in sig.tolist():  # one sigma at a time keeps memory at R * n * k
            fk, gs, gvar = _shifted_grads(trainer, x0, s * eps, keep_f=True)
            assert fk is not None
            out["bias"].append((gs - g0).norm(dim=-1).sum(1) / g0_norm.sum(1).clamp_min(1e-30))
            out["path"].append(gvar.mean(1).sqrt() / scale)
            b_batch = (fk.sum(1, keepdim=True) - fk) / max(n - 1, 1)
            b_point = (fk.sum(2, keepdim=True) - fk) / max(k - 1, 1)
            out["score"].append(score_var(fk - b_batch, s).mean(1).sqrt() / scale)
            out["point"].append(score_var(fk - b_point, s).mean(1).sqrt() / scale)
            out["mean"].append(score_var(fk - f0[..., None], s).mean(1).sqrt() / scale)
        curves = {key: _np(torch.stack(out[key], dim=1)) for key in CURVE_KEYS}

    return SigmaCurves(step=int(trainer.step_count), sigma=_np(sig), bias=curves["bias"],
                       pathwise_std=curves["path"], score_std=curves["score"],
                       score_std_point=curves["point"], score_std_mean=curves["mean"])


__all__ = [
    "SigmaCurves", "ViewProbes", "compute_sigma_curves", "compute_views", "default_generator",
]
