"""What the panels draw, computed in torch in the training process, handed over as numpy arrays.

Two entry points, both read-only with respect to training (parameters, optimiser state and
the per-run noise generators are never touched; all randomness comes from probe generators,
:mod:`ganviz.engine.probe_draws`):

* :func:`compute_views` -> :class:`ViewProbes`: generator density, discriminator, gradient
  fields (plain and sigma-smoothed), fake samples, the generator manifold, sigma statistics.
* :func:`compute_fakes` -> :class:`FakeProbes`: the fake samples alone (cheap, every frame).

D's value and input gradient come from :mod:`ganviz.engine.critic`; the equation-1 curves
are :mod:`ganviz.engine.equation1`.

Grid orientation (density, disc): ``a[r, i, j]`` is the value at ``x = xs[j], y = ys[i]``
(row = y, column = x; ``ys`` increases with ``i``). ``xs`` and ``ys`` are cell centres of an
H x W partition of [-extent, extent]^2, so the image covers exactly that square and
``a.sum() * cell**2`` is the midpoint rule for the integral. Every array is a fresh float32
numpy array (never a view of torch storage; :func:`ganviz.engine.host_arrays.to_numpy`).

Randomness: by default the same latents and eps on every call
(:func:`ganviz.engine.probe_draws.default_generator`); a run's draws (and, with chunks sized
independently of the run count, its numbers) never depend on which runs share the batch.
With ``model.g_batchnorm`` the generator normalises with the statistics of whatever batch
it sees: the probe batch for density and fakes, the z-grid itself for the manifold (an
approximation there).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

import numpy as np
import torch

from ganviz.core.contract import FakeProbes, ViewProbes
from ganviz.engine import covariance
from ganviz.engine.critic import (
    CHUNK_RUNS,
    element_budget,
    f_and_grad,
    grid_logits,
    grid_points,
    shifted_grads,
)
from ganviz.engine.host_arrays import to_numpy, to_numpy_or_none
from ganviz.engine.probe_draws import SALT_VIEWS, draws
from ganviz.engine.step import fake_samples
from ganviz.engine.trainer import Trainer

FLOOR_CELLS = 1.0  # density kernel floor h, in grid cells
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
        noise = draws(trainer, SALT_VIEWS, max(p.density_draws, p.fakes), p.smooth_draws,
                      gens)[0][:, :p.fakes]
        mu, scale = trainer.generate(trainer.latent(noise[..., :d]))
        fakes = fake_samples(trainer.functions.spec, mu, scale, noise[..., d:])
        means, fake_axes = _ellipses(mu, scale, form)
    return FakeProbes(step=int(trainer.step_count), fakes=to_numpy(fakes),
                      fake_sigma=to_numpy(covariance.rms_std(scale, form)[..., 0]),
                      fake_means=means, fake_axes=fake_axes)


def _ellipses(mu: torch.Tensor, scale: torch.Tensor, form: str
              ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The fakes' means and 1-std semi-axes as numpy, or (None, None) when isotropic."""
    if form == "isotropic":
        return None, None
    return to_numpy(mu), to_numpy(covariance.axes(scale, form))


def _centres(extent: float, n: int, device: torch.device) -> torch.Tensor:
    """Cell centres of n equal cells over [-extent, extent]."""
    cell = 2 * extent / n
    return -extent + (torch.arange(n, device=device, dtype=torch.float32) + 0.5) * cell


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
    budget = element_budget(mu.device)
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
    budget = element_budget(mu.device)
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
        noise, eps = draws(trainer, SALT_VIEWS, max(p.density_draws, p.fakes),
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

        disc = torch.sigmoid_(grid_logits(trainer, xs, ys)) if "disc" in wanted else None

        n = p.fakes
        fake_means = mu[:, :n]
        fakes = fake_samples(trainer.functions.spec, fake_means, scale[:, :n],
                             noise[:, :n, d:])
        _, fake_axes = _ellipses(fake_means, scale[:, :n], form)

        fixed = trainer.fixed_sigma()
        learned = trainer.learned.view(-1)
        s_smooth = torch.where(learned, sig.mean(1), fixed)

        fc = _centres(extent, p.field_grid, dev)
        field_points = grid_points(fc, fc)
        nf = field_points.shape[0]
        pts = field_points.expand(trainer.n_runs, -1, -1)
        _, g = f_and_grad(trainer, torch.cat([pts, fakes], dim=1))
        field, fake_field = -g[:, :nf], -g[:, nf:]
        if "smooth" not in wanted:
            smooth = None
        elif bool((s_smooth > 0).any()):
            _, g_mean, _ = shifted_grads(trainer, pts, s_smooth.view(-1, 1, 1) * eps)
            smooth = -g_mean
        else:  # every run has sigma = 0: the smoothed field is the field
            smooth = field.clone()

        manifold = _manifold(trainer, p.manifold_lines) if d == 2 and "manifold" in wanted \
            else None

    return ViewProbes(
        step=int(trainer.step_count), extent=extent, xs=to_numpy(xs), ys=to_numpy(ys),
        cell=float(cell), density=to_numpy(density), density_floor=float(floor),
        density_label=labels, disc=to_numpy_or_none(disc), field_points=to_numpy(field_points),
        field=to_numpy(field), smooth_field=to_numpy_or_none(smooth),
        smooth_sigma=to_numpy(s_smooth), fakes=to_numpy(fakes), fake_means=to_numpy(fake_means),
        fake_sigma=to_numpy(covariance.rms_std(scale[:, :n], form)[..., 0]),
        fake_field=to_numpy(fake_field), fake_axes=fake_axes,
        manifold=to_numpy_or_none(manifold), sigma_stats=to_numpy(sigma_stats),
    )
