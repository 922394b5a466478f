"""Which way does the generator loss push an isotropic sigma, and at what order?

For a trained group (``OUT/<group>/checkpoint.pt``) and each of its runs: at 512 fakes'
means mu(z), the pathwise derivative of E_eps f(mu + s eps) with respect to s,
E[eps . grad f(mu + s eps)] (256 draws of eps each, antithetic), over a log grid of s.
A positive value means the loss rises with s, so gradient descent shrinks sigma; a slope
of 1 on log-log means the push is second order (about s tr(Hessian of f)), the argument in
the README's reading.

    python scripts/analysis/sigma_gradient.py \
        runs/learned-variance/default--std=0.3--covariance=isotropic
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from group_folder import group_folder_argument

from ganviz.engine.trainer import Trainer

FAKES, DRAWS = 512, 256
SIGMAS = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)


def main(folder: Path) -> None:
    trainer = Trainer.from_checkpoint(folder / "checkpoint.pt", "cpu")
    gen = torch.Generator().manual_seed(0)
    d = trainer.cfg.model.latent_dim
    z = torch.randn(FAKES, d, generator=gen).expand(trainer.n_runs, FAKES, d).contiguous()
    half = torch.randn(DRAWS // 2, 2, generator=gen)
    eps = torch.cat([half, -half])  # [K, 2]
    with torch.no_grad():
        mu, _ = trainer.generate(trainer.latent(z))
    for r, spec in enumerate(trainer.runs):
        values = []
        for s in SIGMAS:
            x = (mu[r][:, None, :] + s * eps[None]).reshape(1, -1, 2)
            x = x.expand(trainer.n_runs, -1, -1).contiguous().requires_grad_(True)
            f = trainer.f(x)[r].sum()
            (grad,) = torch.autograd.grad(f, x)
            g = grad[r].reshape(FAKES, DRAWS, 2)
            values.append(float((g * eps[None]).sum(-1).mean()))
        slopes = [math.log(abs(b) / abs(a)) / math.log(t / s) if a and b else float("nan")
                  for a, b, s, t in zip(values[:-1], values[1:], SIGMAS[:-1], SIGMAS[1:],
                                        strict=True)]
        shown = "  ".join(f"s={s:g}: {v:+.3g}" for s, v in zip(SIGMAS, values, strict=True))
        print(f"{spec.label}: dE f/ds  {shown}  | log-log slopes "
              + " ".join(f"{x:.2f}" for x in slopes))


if __name__ == "__main__":
    main(group_folder_argument())
