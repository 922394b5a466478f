"""R independent MLPs evaluated as one batched module (stacked weights, ``baddbmm``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ganviz.core.sections import ModelConfig
from ganviz.engine.covariance import HEAD_COLUMNS, POSITIVE_COLUMNS
from ganviz.engine.step import NetParams, NetSpec, mlp


class BatchedMLP(nn.Module):
    """``R`` MLPs with identical shapes and independent weights.

    Input ``[R, N, in]``, output ``[R, N, out]``. Run ``r`` uses only slice ``r`` of
    every parameter, so gradients and updates of different runs never mix.
    Hidden layers may use maxout (``pieces`` > 1) or batch normalisation (batch
    statistics over the N samples of each run, also when evaluating).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        seeds: Sequence[int],
        *,
        activation_name: str = "relu",
        leaky_slope: float = 0.2,
        batchnorm: bool = False,
        maxout: int = 1,
        init: str = "default",
        init_std: float = 0.02,
        init_gain: float = 1.0,
        salt: int = 0,
    ) -> None:
        super().__init__()
        self.sizes = list(sizes)
        self.n_runs = len(seeds)
        self.batchnorm = batchnorm
        self.maxout = maxout
        if activation_name not in ("relu", "leaky_relu", "tanh"):
            raise ValueError(f"model activation: unknown {activation_name!r}; "
                             "allowed: relu, leaky_relu, tanh")
        self.spec = NetSpec(activation_name, leaky_slope, batchnorm, maxout)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.gammas = nn.ParameterList()
        self.betas = nn.ParameterList()
        n_layers = len(self.sizes) - 1
        for i in range(n_layers):
            fan_in, width = self.sizes[i], self.sizes[i + 1]
            hidden = i < n_layers - 1
            fan_out = width * maxout if hidden else width
            w = torch.empty(self.n_runs, fan_in, fan_out)
            b = torch.empty(self.n_runs, 1, fan_out)
            for r, seed in enumerate(seeds):
                gen = torch.Generator().manual_seed(_mix_seed(seed, salt, i))
                if init == "normal":
                    w[r].normal_(0.0, init_std, generator=gen)
                    b[r].zero_()
                elif init == "orthogonal":  # rows or columns orthonormal, times the gain
                    nn.init.orthogonal_(w[r], gain=init_gain, generator=gen)
                    b[r].zero_()
                else:  # PyTorch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
                    bound = 1.0 / math.sqrt(fan_in)
                    w[r].uniform_(-bound, bound, generator=gen)
                    b[r].uniform_(-bound, bound, generator=gen)
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(b))
            if hidden and batchnorm:
                self.gammas.append(nn.Parameter(torch.ones(self.n_runs, 1, width)))
                self.betas.append(nn.Parameter(torch.zeros(self.n_runs, 1, width)))

    def params(self) -> NetParams:
        """The parameters, grouped as :func:`ganviz.engine.step.mlp` takes them."""
        return NetParams(tuple(self.weights), tuple(self.biases), tuple(self.gammas),
                         tuple(self.betas))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Evaluate all runs: ``x`` [R, N, in] -> [R, N, out] (see
        :func:`ganviz.engine.step.mlp`)."""
        return mlp(self.params(), x, self.spec)

    def matmul_flops(self, n: int) -> int:
        """Multiply-add FLOPs (2 per MAC) of one forward pass of all runs on ``n`` samples each."""
        total = 0
        for w in self.weights:
            total += 2 * self.n_runs * n * w.shape[1] * w.shape[2]
        return total


def _mix_seed(seed: int, salt: int, layer: int) -> int:
    """A deterministic 63-bit seed for (run seed, network, layer)."""
    h = (seed * 0x9E3779B97F4A7C15 + salt * 0xBF58476D1CE4E5B9 + layer * 0x94D049BB133111EB)
    return h % (2**63 - 1)


def nudge_(net: BatchedMLP, seeds: Sequence[int], stream: int, salt: int) -> None:
    """Move every non-zero weight and bias of ``net`` one float32 step (ulp) up or down, in
    place; the directions come from ``stream`` of each run's seed (runs of one seed get the
    same nudge). Zeros stay zero (their next float is a denormal, which slows the CPU)."""
    with torch.no_grad():
        for i, p in enumerate([*net.weights, *net.biases]):
            up = torch.empty(p.shape, dtype=torch.bool)
            for r, seed in enumerate(seeds):
                gen = torch.Generator().manual_seed(_mix_seed(seed, salt + 8 * stream, 64 + i))
                up[r] = torch.randint(0, 2, p.shape[1:], generator=gen).bool()
            toward = torch.where(up.to(p.device), math.inf, -math.inf).to(p.dtype)
            p.copy_(torch.where(p == 0, p, torch.nextafter(p, toward)))


def build_generator(cfg: ModelConfig, seeds: Sequence[int], sigma_init: float,
                    sigma_min: float, covariance: str = "isotropic") -> BatchedMLP:
    """Generator: z [R, N, d] -> [R, N, 2 + k] = (mu_x, mu_y, s...), k raw scale columns of
    the ``covariance`` form (see :mod:`ganviz.engine.covariance`: isotropic 1, diagonal 2, full 3).

    Positive entries are sigma_min + softplus(s), their biases start so that they are about
    ``sigma_init``; L's off-diagonal entry (full) starts near 0.
    """
    net = BatchedMLP(
        [cfg.latent_dim, *cfg.g_hidden, 2 + HEAD_COLUMNS[covariance]], seeds,
        activation_name=cfg.g_activation, leaky_slope=cfg.leaky_slope,
        batchnorm=cfg.g_batchnorm, init=cfg.init, init_std=cfg.init_std,
        init_gain=cfg.init_gain, salt=1,
    )
    target = max(sigma_init - sigma_min, 1e-6)
    positive = slice(2, 2 + POSITIVE_COLUMNS[covariance])
    with torch.no_grad():
        net.weights[-1][:, :, 2:] *= 0.1
        net.biases[-1][:, :, positive] = math.log(math.expm1(target))
        net.biases[-1][:, :, positive.stop:] = 0.0
    if cfg.init_nudge:
        nudge_(net, seeds, cfg.init_nudge, salt=1)
    return net


def build_discriminator(cfg: ModelConfig, seeds: Sequence[int]) -> BatchedMLP:
    """Discriminator logits: x [R, N, 2] -> [R, N, 1]."""
    net = BatchedMLP(
        [2, *cfg.d_hidden, 1], seeds,
        activation_name=cfg.d_activation, leaky_slope=cfg.leaky_slope,
        maxout=cfg.d_maxout, init=cfg.init, init_std=cfg.init_std,
        init_gain=cfg.init_gain, salt=2,
    )
    if cfg.init_nudge:
        nudge_(net, seeds, cfg.init_nudge, salt=2)
    return net
