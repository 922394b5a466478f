"""With a 1-D latent, mu(z) is a curve: does a learned full Sigma(z) point across it?

For every run of a finished sweep group (``OUT/<group>/checkpoint.pt``), the mean |cos|
between Sigma(z)'s major axis and the curve's direction d mu / dz at 4096 latents, over the
draws whose Sigma is oriented (major std at least 5 % above the minor). 0 means the needles
stand across the curve, 1 along it, 2/pi (0.64) is a random direction.

    python scripts/analysis/needle_orientation.py \
        runs/learned-variance-latent1/default--std=0.3--covariance=full
"""

from __future__ import annotations

from pathlib import Path

import torch
from group_folder import group_folder_argument

from ganviz.engine import covariance
from ganviz.engine.trainer import Trainer

DRAWS = 4096
DZ = 1e-3


def main(folder: Path) -> None:
    trainer = Trainer.from_checkpoint(folder / "checkpoint.pt", "cpu")
    if trainer.cfg.model.latent_dim != 1 or trainer.cfg.runs.covariance == "isotropic":
        raise SystemExit("needs a 1-D latent and a learned diagonal or full covariance")
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(DRAWS, 1, generator=gen).expand(trainer.n_runs, DRAWS, 1).contiguous()
    with torch.no_grad():
        mu, scale = trainer.generate(trainer.latent(z))
        ahead, _ = trainer.generate(trainer.latent(z + DZ))
        stds, angle = covariance.eigen(scale, trainer.cfg.runs.covariance)
    along = ahead - mu
    along = along / along.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    major = torch.stack([torch.cos(angle), torch.sin(angle)], dim=-1)
    cos = (major * along).sum(-1).abs()
    oriented = stds[..., 0] > 1.05 * stds[..., 1]
    for r, spec in enumerate(trainer.runs):
        keep = oriented[r]
        mean = float(cos[r][keep].mean()) if keep.any() else float("nan")
        print(f"{spec.label}: mean |cos(major axis, d mu/dz)| = {mean:.3f} over "
              f"{int(keep.sum())} oriented draws; median major std "
              f"{float(stds[r, :, 0].median()):.4g}")


if __name__ == "__main__":
    main(group_folder_argument())
