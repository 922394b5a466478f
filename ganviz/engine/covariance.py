"""The generator's conditional covariance Sigma(z) in its three forms, as tensors.

* ``isotropic``: sigma [..., N, 1], Sigma = sigma^2 I (the generator's head: 1 column);
* ``diagonal``: sigma [..., N, 2], one std per axis (2 columns);
* ``full``: a lower-triangular L [..., N, 2, 2] with a positive diagonal, Sigma = L L^T
  (3 columns: the two diagonal entries, then the entry below the diagonal).

A learned positive entry is ``sigma_min + softplus(s)``; L's off-diagonal entry is the raw
output. Runs with a fixed sigma get the same form (sigma I), so every run of a trainer
shares one shape. The eigen-stds (square roots of Sigma's eigenvalues) summarise any form.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

HEAD_COLUMNS: dict[str, int] = {"isotropic": 1, "diagonal": 2, "full": 3}
POSITIVE_COLUMNS: dict[str, int] = {"isotropic": 1, "diagonal": 2, "full": 2}


def learned_scale(raw: Tensor, form: str, sigma_min: float) -> Tensor:
    """The scale from the generator's raw head ``raw`` [..., N, HEAD_COLUMNS[form]]."""
    k = POSITIVE_COLUMNS[form]
    positive = sigma_min + F.softplus(raw[..., :k])
    if form != "full":
        return positive
    zero = torch.zeros_like(raw[..., 2])
    top = torch.stack([positive[..., 0], zero], dim=-1)
    bottom = torch.stack([raw[..., 2], positive[..., 1]], dim=-1)
    return torch.stack([top, bottom], dim=-2)


def fixed_scale(fixed: Tensor, form: str, like: Tensor) -> Tensor:
    """Per-run fixed sigmas ``fixed`` [R] as ``like``'s form and shape (sigma I)."""
    r = fixed.shape[0]
    if form != "full":
        return fixed.view(r, *([1] * (like.dim() - 1))).expand_as(like)
    diag = fixed.view(r, 1).expand(*like.shape[:-2])
    zero = torch.zeros_like(diag)
    return torch.stack([torch.stack([diag, zero], dim=-1), torch.stack([zero, diag], dim=-1)],
                       dim=-2)


def covariance_entries(s: Tensor, form: str) -> tuple[Tensor, Tensor, Tensor]:
    """Sigma's entries (var_x, cov_xy, var_y), each [..., N], for any form."""
    if form == "full":
        a, c, b = s[..., 0, 0], s[..., 1, 0], s[..., 1, 1]
        return a * a, a * c, c * c + b * b
    var = s * s
    vy = var[..., -1]
    return var[..., 0], torch.zeros_like(vy), vy


def eigen(s: Tensor, form: str) -> tuple[Tensor, Tensor]:
    """Eigen-stds [..., N, 2] (major first) and the major axis' angle [..., N] (radians)."""
    if form == "isotropic":
        std = s[..., 0]
        return torch.stack([std, std], dim=-1), torch.zeros_like(std)
    p, q, r = covariance_entries(s, form)
    half_sum = 0.5 * (p + r)
    radius = torch.sqrt((0.5 * (p - r)) ** 2 + q * q)
    major = torch.sqrt(half_sum + radius)
    minor = torch.sqrt((half_sum - radius).clamp_min(0.0))
    return torch.stack([major, minor], dim=-1), 0.5 * torch.atan2(2 * q, p - r)


def eigen_stds(s: Tensor, form: str) -> Tensor:
    """The eigen-stds [..., N, 2], major first (isotropic: sigma twice)."""
    return eigen(s, form)[0]


def axes(s: Tensor, form: str) -> Tensor:
    """One-std semi-axes as the columns of A [..., N, 2, 2] (``A[..., :, 0]`` the major,
    ``A[..., :, 1]`` the minor axis; A A^T = Sigma): the 1-std ellipse is mu + A (cos t, sin t)."""
    stds, angle = eigen(s, form)
    c, sn = torch.cos(angle), torch.sin(angle)
    major = torch.stack([c, sn], dim=-1) * stds[..., 0:1]
    minor = torch.stack([-sn, c], dim=-1) * stds[..., 1:2]
    return torch.stack([major, minor], dim=-1)


def rms_std(s: Tensor, form: str) -> Tensor:
    """One std per sample [..., N, 1]: sqrt(trace(Sigma) / 2) (isotropic: sigma itself)."""
    if form == "isotropic":
        return s
    p, _, r = covariance_entries(s, form)
    return torch.sqrt(0.5 * (p + r)).unsqueeze(-1)


def summary_stds(s: Tensor, form: str) -> Tensor:
    """The stds whose mean and quantiles the sigma curves show: [R, N] (isotropic: sigma)
    or [R, 2N], every sample's two eigen-stds."""
    if form == "isotropic":
        return s[..., 0]
    return eigen_stds(s, form).flatten(-2)


__all__ = ["HEAD_COLUMNS", "axes", "eigen", "eigen_stds", "fixed_scale",
           "learned_scale", "rms_std", "summary_stds"]
