"""What the views need, computed in torch in the training process, handed over as numpy arrays.

Two entry points, both read-only with respect to training (parameters, optimiser state and
the per-run noise generators are never touched; all randomness comes from a probe generator):

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

Randomness: by default a fixed-seed generator (:func:`default_generator`), so consecutive
frames reuse the same latents and eps. With ``model.g_batchnorm`` the generator normalises
with the statistics of whatever batch it sees: the probe batch for density and fakes, the
z-grid itself for the manifold (an approximation there).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ganviz.contract import FakeProbes, SigmaCurves, ViewProbes
from ganviz.trainer import Trainer

SALT_VIEWS = 101
SALT_CURVES = 102
FLOOR_CELLS = 1.0  # density kernel floor h, in grid cells
# Max floats in one hidden activation of a chunked network call: small chunks stay in the CPU
# cache (measured fastest around 256-1024 points at R = 4, width 128); a GPU wants big ones.
ELEMENT_BUDGET = {"cpu": 1 << 18, "cuda": 1 << 24}
BLOCK_POINTS = 1 << 16  # shifted points materialised at once (all runs) for smoothed gradients
SIGMA_LO, SIGMA_HI = 1e-3, 1.0
MANIFOLD_SPAN = {"normal": 2.5, "uniform": 1.0}


def compute_fakes(trainer: Trainer, gen: torch.Generator | None = None) -> FakeProbes:
    """Model samples [R, n, 2] and sigma(z) [R, n] for the current generator (no gradients)."""
    p = trainer.cfg.probe
    d = trainer.cfg.model.latent_dim
    if gen is None:
        gen = default_generator(trainer, SALT_VIEWS)
    with torch.no_grad():
        noise = _normal_draws(trainer, max(p.density_draws, p.fakes), gen)[:, :p.fakes]
        mu, sigma = trainer.generate(trainer.latent(noise[..., :d]))
        fakes = mu + sigma * noise[..., d:]
    return FakeProbes(step=int(trainer.step_count), fakes=_np(fakes),
                      fake_sigma=_np(sigma[..., 0]))


# ------------------------------------------------------------------------------ helpers


def default_generator(trainer: Trainer, salt: int) -> torch.Generator:
    """The probes' default generator: a fixed seed (data seed, salt), the same every call.

    Fixed draws make successive frames comparable: each fake follows its own latent z as
    training moves the generator, and the Monte Carlo fields do not flicker. It is separate
    from the training noise. Pass ``trainer.probe_generator(salt)`` for fresh draws per step.
    """
    seed = (trainer.cfg.data.seed * 0x9E3779B97F4A7C15 + salt) % (2**63 - 1)
    return torch.Generator(device=trainer.device).manual_seed(seed)


def _np(t: torch.Tensor) -> np.ndarray:
    """A fresh float32 numpy copy of a tensor (never aliasing torch storage)."""
    return np.array(t.detach().to("cpu", torch.float32).numpy(), dtype=np.float32, copy=True)


def _chunk(trainer: Trainer, n: int) -> int:
    """Points per chunk so that one hidden activation of D stays within the element budget."""
    m = trainer.cfg.model
    width = max(max(m.d_hidden) * m.d_maxout, 1)
    budget = ELEMENT_BUDGET.get(trainer.device.type, ELEMENT_BUDGET["cpu"])
    return max(64, min(n, budget // (trainer.n_runs * width)))


def _logits(trainer: Trainer, x: torch.Tensor) -> torch.Tensor:
    """D's logits at x [R, N, 2] -> [R, N], chunked over N (no gradients)."""
    step = _chunk(trainer, x.shape[1])
    with torch.no_grad():
        return torch.cat([trainer.D(x[:, a:a + step])[..., 0]
                          for a in range(0, x.shape[1], step)], dim=1)


def _f_and_grad(trainer: Trainer, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f(x) [R, N] and grad_x f(x) [R, N, 2] for x [R, N, 2], chunked; parameters get no .grad."""
    step = _chunk(trainer, x.shape[1])
    fs, gs = [], []
    for a in range(0, x.shape[1], step):
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
    block = max(1, BLOCK_POINTS // (r * k))
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


def _normal_draws(trainer: Trainer, n: int, gen: torch.Generator) -> torch.Tensor:
    """Standard normal draws [R, n, latent_dim + 2] from the probe generator."""
    d = trainer.cfg.model.latent_dim
    return torch.randn(trainer.n_runs, n, d + 2, generator=gen, device=trainer.device)


def _common_eps(k: int, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    """k standard normal 2-vectors [k, 2], in antithetic pairs (eps, -eps) when k is even."""
    half = torch.randn((k + 1) // 2, 2, generator=gen, device=device)
    return torch.cat([half, -half])[:k] if k % 2 == 0 else torch.cat([half, -half[:k // 2]])


def _density(mu: torch.Tensor, sigma: torch.Tensor, xs: torch.Tensor, ys: torch.Tensor,
             floor: float) -> torch.Tensor:
    """E_m N(x; mu_m, max(sigma_m, floor)^2 I) on the grid [R, H, W].

    The isotropic kernel factorises over the axes, so the grid is a batched matrix product
    of per-axis kernels: O(R M (H + W)) exponentials, chunked over the draws M.
    """
    r, m = mu.shape[0], mu.shape[1]
    h = sigma.clamp_min(floor)  # [R, M]
    out = torch.zeros(r, ys.numel(), xs.numel(), device=mu.device)
    budget = ELEMENT_BUDGET.get(mu.device.type, ELEMENT_BUDGET["cpu"])
    step = max(1, min(m, budget // (r * (xs.numel() + ys.numel()))))
    for a in range(0, m, step):
        hc = h[:, a:a + step, None]
        norm = 1.0 / (math.sqrt(2 * math.pi) * hc)
        kx = torch.exp(-0.5 * ((xs - mu[:, a:a + step, 0:1]) / hc) ** 2) * norm  # [R, M, W]
        ky = torch.exp(-0.5 * ((ys - mu[:, a:a + step, 1:2]) / hc) ** 2) * norm  # [R, M, H]
        out.baddbmm_(ky.transpose(1, 2), kx)
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


def compute_views(trainer: Trainer, gen: torch.Generator | None = None) -> ViewProbes:
    """All view arrays for the trainer's current state; deterministic given ``gen``.

    ``gen`` (on ``trainer.device``) supplies every random draw; None means
    :func:`default_generator` (the same latents and eps on every call).
    """
    p = trainer.cfg.probe
    dev = trainer.device
    d = trainer.cfg.model.latent_dim
    if gen is None:
        gen = default_generator(trainer, SALT_VIEWS)
    extent = float(trainer.extent)
    with torch.no_grad():
        xs = _centres(extent, p.grid, dev)
        ys = xs.clone()
        cell = 2 * extent / p.grid
        floor = FLOOR_CELLS * cell

        # One probe batch of latents: density uses the first density_draws, fakes the first n.
        noise = _normal_draws(trainer, max(p.density_draws, p.fakes), gen)
        mu, sigma = trainer.generate(trainer.latent(noise[..., :d]))
        sig = sigma[..., 0]
        density = _density(mu[:, :p.density_draws], sig[:, :p.density_draws], xs, ys, floor)
        labels = tuple(_density_label(sig[r, :p.density_draws], floor)
                       for r in range(trainer.n_runs))
        q = torch.quantile(sig, torch.tensor([0.1, 0.9], device=dev), dim=1)
        sigma_stats = torch.stack([sig.mean(1), q[0], q[1]], dim=1)

        grid = _grid_points(xs, ys).expand(trainer.n_runs, -1, -1)
        disc = torch.sigmoid(_logits(trainer, grid)).reshape(trainer.n_runs, p.grid, p.grid)

        n = p.fakes
        fake_means = mu[:, :n]
        fakes = fake_means + sigma[:, :n] * noise[:, :n, d:]

        fixed = trainer.fixed_sigma()
        learned = trainer.learned.view(-1)
        s_smooth = torch.where(learned, sig.mean(1), fixed)

        fc = _centres(extent, p.field_grid, dev)
        field_points = _grid_points(fc, fc)
        nf = field_points.shape[0]
        pts = field_points.expand(trainer.n_runs, -1, -1)
        _, g = _f_and_grad(trainer, torch.cat([pts, fakes], dim=1))
        field, fake_field = -g[:, :nf], -g[:, nf:]
        eps = _common_eps(p.smooth_draws, gen, dev)
        if bool((s_smooth > 0).any()):
            _, g_mean, _ = _shifted_grads(trainer, pts, s_smooth.view(-1, 1, 1) * eps)
            smooth = -g_mean
        else:  # every run has sigma = 0: the smoothed field is the field
            smooth = field.clone()

        manifold = _manifold(trainer, p.manifold_lines) if d == 2 else None

    return ViewProbes(
        step=int(trainer.step_count), extent=extent, xs=_np(xs), ys=_np(ys), cell=float(cell),
        density=_np(density), density_floor=float(floor), density_label=labels,
        disc=_np(disc), field_points=_np(field_points), field=_np(field),
        smooth_field=_np(smooth), smooth_sigma=_np(s_smooth), fakes=_np(fakes),
        fake_means=_np(fake_means), fake_sigma=_np(sig[:, :n]), fake_field=_np(fake_field),
        manifold=None if manifold is None else _np(manifold), sigma_stats=_np(sigma_stats),
    )


def compute_sigma_curves(trainer: Trainer, gen: torch.Generator | None = None,
                         sigmas: list[float] | None = None) -> SigmaCurves:
    """The equation-1 sigma curves for the current D and fakes; deterministic given ``gen``.

    ``gen`` as in :func:`compute_views` (None: fixed draws, so the curves change only with
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
    if gen is None:
        gen = default_generator(trainer, SALT_CURVES)
    with torch.no_grad():
        noise = _normal_draws(trainer, n, gen)
        x0, _ = trainer.generate(trainer.latent(noise[..., :d]))  # [R, n, 2]
        eps = _common_eps(k, gen, dev)  # [k, 2]
        _, g0 = _f_and_grad(trainer, x0)  # [R, n, 2]
        g0_norm = g0.norm(dim=-1)  # [R, n]
        scale = g0_norm.mean(1).clamp_min(1e-30)  # [R]
        e2 = (eps**2).sum(-1)  # [k]
        out: dict[str, list[torch.Tensor]] = {"bias": [], "path": [], "score": [], "point": []}

        def score_var(w: torch.Tensor, s: float) -> torch.Tensor:
            """Per-point variance (trace) over k of w_ik eps_k / s: w [R, n, k] -> [R, n]."""
            second = (w**2 * e2).mean(2)
            first = (w @ eps) / k  # [R, n, 2]
            return (second - (first**2).sum(-1)).clamp_min(0) / s**2

        for s in sig.tolist():  # one sigma at a time keeps memory at R * n * k
            fk, gs, gvar = _shifted_grads(trainer, x0, s * eps[None], keep_f=True)
            assert fk is not None
            out["bias"].append((gs - g0).norm(dim=-1).sum(1) / g0_norm.sum(1).clamp_min(1e-30))
            out["path"].append(gvar.mean(1).sqrt() / scale)
            b_batch = (fk.sum(1, keepdim=True) - fk) / max(n - 1, 1)
            b_point = (fk.sum(2, keepdim=True) - fk) / max(k - 1, 1)
            out["score"].append(score_var(fk - b_batch, s).mean(1).sqrt() / scale)
            out["point"].append(score_var(fk - b_point, s).mean(1).sqrt() / scale)
        bias, pathwise, score, score_point = (torch.stack(out[key], dim=1)
                                              for key in ("bias", "path", "score", "point"))

    return SigmaCurves(step=int(trainer.step_count), sigma=_np(sig), bias=_np(bias),
                       pathwise_std=_np(pathwise), score_std=_np(score),
                       score_std_point=_np(score_point))


__all__ = [
    "SigmaCurves", "ViewProbes", "compute_sigma_curves", "compute_views", "default_generator",
]
