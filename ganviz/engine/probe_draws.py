"""The probes' random draws (latents, the samples' noise, smoothing eps), from probe generators.

The probes (the views, the equation-1 curves) never touch the per-run training noise
generators. By default they draw from fixed-seed generators, one per run
(:func:`default_generator`), so consecutive frames reuse the same latents and eps: each fake
follows its own latent z as training moves the generator, and the Monte Carlo fields do not
flicker. A run's draws depend only on its own seed, never on which runs share the batch.
Each probe has its own salt, so the views and the curves draw different numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch

from ganviz.engine.draws import normal_runs, run_generators
from ganviz.engine.trainer import Trainer

SALT_VIEWS = 101  # compute_views and compute_fakes (ganviz.engine.probes)
SALT_CURVES = 102  # compute_sigma_curves (ganviz.engine.equation1)


def default_generator(trainer: Trainer, salt: int) -> list[torch.Generator]:
    """The probes' default generators, one per run: a fixed seed (data seed, salt, the run's
    seed), the same every call, so successive frames are comparable (see the module's
    docstring). Pass ``trainer.probe_generators(salt)`` for fresh draws per step.
    """
    return run_generators(trainer.device, _run_seeds(trainer), _seed(trainer, salt))


def _seed(trainer: Trainer, salt: int) -> int:
    return (trainer.cfg.data.seed * 0x9E3779B97F4A7C15 + salt) % (2**63 - 1)


def _run_seeds(trainer: Trainer) -> tuple[int, ...]:
    return tuple(r.seed for r in trainer.runs)


def draws(trainer: Trainer, salt: int, n: int, k: int,
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
    """The draws of :func:`draws` for fixed seeds (cached: they never change)."""
    gens = run_generators(device, run_seeds, seed)
    return _run_draws(gens, n, latent_dim, k, torch.device(device))


def _run_draws(gens: Sequence[torch.Generator], n: int, latent_dim: int, k: int,
               device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Per run: n normal draws [n, latent_dim + 2], then k antithetic eps [k, 2]."""
    noise = normal_runs(gens, n, latent_dim + 2, device)
    eps = torch.stack([_antithetic_eps(k, g, device) for g in gens])
    return noise, eps


def _antithetic_eps(k: int, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    """k standard normal 2-vectors [k, 2], in antithetic pairs (eps, -eps) when k is even."""
    half = torch.randn((k + 1) // 2, 2, generator=gen, device=device)
    return torch.cat([half, -half])[:k] if k % 2 == 0 else torch.cat([half, -half[:k // 2]])


