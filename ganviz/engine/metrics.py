"""Sample-quality metrics over runs: modes, quality, reverse KL, JS, energy distance,
gradient variance.

All functions take batched tensors (leading run dimension R) and return [R] tensors.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TypeVar

import torch

from ganviz.data.mixtures import Mixture

HQ_STDS = 3.0
T = TypeVar("T")


def nearest_modes(samples: torch.Tensor, mixture: Mixture) -> tuple[torch.Tensor, torch.Tensor]:
    """Index of the nearest mode and the distance to it, for samples [..., 2].

    Isotropic mixtures: the Euclidean distance. Anisotropic ones (``mixture.axes``): the
    Mahalanobis distance, in the mode's stds, and the nearest mode by it. Mahalanobis
    rather than Euclidean, so that "within ``HQ_STDS`` stds of its nearest mode" means
    "within ``HQ_STDS`` stds of some mode": with Euclidean nearest modes a sample well
    inside a long mode's ellipse can lie closer to a narrow neighbour's centre and be
    judged against that neighbour's shape. (Isotropic data keeps the Euclidean choice, and
    its numbers, unchanged; there the two agree whenever the modes share one std.)
    """
    if mixture.anisotropic:
        d, idx = mixture.mahalanobis(samples.reshape(-1, 2)).min(dim=-1)
        return idx.view(samples.shape[:-1]), d.view(samples.shape[:-1])
    dist = torch.cdist(samples.reshape(-1, 2), mixture.means.to(samples.dtype))
    d, idx = dist.min(dim=-1)
    return idx.view(samples.shape[:-1]), d.view(samples.shape[:-1])


def mode_stats(samples: torch.Tensor, mixture: Mixture) -> dict[str, torch.Tensor]:
    """Modes captured, high-quality fraction and reverse KL over modes for samples [R, n, 2].

    A sample is high quality within ``HQ_STDS`` stds of its nearest mode (for anisotropic
    modes a Mahalanobis distance: inside the mode's ``HQ_STDS``-std ellipse; see
    :func:`nearest_modes`); a mode is captured when it is the nearest mode of at least one
    high-quality sample. The reverse KL is KL(q || p) between the nearest-mode assignment q
    of all samples and the mixture weights p.
    """
    idx, dist = nearest_modes(samples, mixture)
    hq = dist <= HQ_STDS if mixture.anisotropic else dist <= HQ_STDS * mixture.stds[idx]
    n_modes = mixture.n_modes
    counts = torch.zeros(samples.shape[0], n_modes, device=samples.device)
    counts.scatter_add_(1, idx, torch.ones_like(idx, dtype=counts.dtype))
    hq_counts = torch.zeros_like(counts)
    hq_counts.scatter_add_(1, idx, hq.to(counts.dtype))
    q = counts / samples.shape[1]
    p = mixture.weights.to(q.dtype)
    log_ratio = torch.where(q > 0, torch.log(q.clamp_min(1e-30) / p), torch.zeros_like(q))
    return {
        "modes": (hq_counts > 0).sum(1).to(torch.float32),
        "hq_fraction": hq.to(torch.float32).mean(1),
        "reverse_kl": (q * log_ratio).sum(1),
    }


def grid_js_divergence(samples: torch.Tensor, reference: torch.Tensor, extent: float,
                       bins: int) -> torch.Tensor:
    """Jensen-Shannon divergence (nats) between 2-D histograms of samples [R, n, 2] and reference.

    Both are binned on a ``bins`` x ``bins`` grid over [-extent, extent]^2; points
    outside fall into the border cells.
    """
    def hist(x: torch.Tensor) -> torch.Tensor:
        cell = ((x + extent) / (2 * extent) * bins).floor().clamp(0, bins - 1).long()
        flat = cell[..., 0] * bins + cell[..., 1]
        h = torch.zeros(*x.shape[:-2], bins * bins, device=x.device)
        h.scatter_add_(-1, flat, torch.ones_like(flat, dtype=h.dtype))
        return h / x.shape[-2]

    p = hist(samples)
    q = hist(reference).expand_as(p)
    m = 0.5 * (p + q)

    def kl(a: torch.Tensor) -> torch.Tensor:
        terms = torch.where(a > 0, a * torch.log(a.clamp_min(1e-30) / m.clamp_min(1e-30)),
                            torch.zeros_like(a))
        return terms.sum(-1)

    return 0.5 * kl(p) + 0.5 * kl(q)


PAIR_BLOCK = 1024  # rows of one block of pairwise distances (bounds the memory: block x m)


def pair_distance_mean(a: torch.Tensor, b: torch.Tensor, exclude_diagonal: bool = False
                       ) -> torch.Tensor:
    """Mean Euclidean distance over all pairs (a_i, b_j) of a [n, 2] and b [m, 2], exactly
    (float64, blocks of rows); with ``exclude_diagonal`` (a is b) the n (n - 1) pairs i != j."""
    return run_pieces(pair_distance_mean_pieces(a, b, exclude_diagonal))


def pair_distance_mean_pieces(a: torch.Tensor, b: torch.Tensor, exclude_diagonal: bool = False
                              ) -> Generator[None, None, torch.Tensor]:
    """:func:`pair_distance_mean` one block of rows per ``next()``; returns the mean."""
    a, b = a.double(), b.double()
    total = torch.zeros((), dtype=torch.float64, device=a.device)
    for block in a.split(PAIR_BLOCK):
        total = total + torch.cdist(block, b, compute_mode="donot_use_mm_for_euclid_dist").sum()
        yield
    n, m = a.shape[0], b.shape[0]
    return total / (n * (n - 1) if exclude_diagonal else n * m)


def energy_distance(samples: torch.Tensor, reference: torch.Tensor,
                    reference_term: torch.Tensor | None = None) -> torch.Tensor:
    """Energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| between the model samples
    [R, n, 2] of each run (X) and the data sample [m, 2] (Y): [R].

    The unbiased U-statistic over every pair (within a sample, pairs i != j), computed
    exactly, one run at a time, so a run's value never depends on its batch-mates. Its
    expectation is 0 when the model and the data agree (a value may then be slightly
    negative) and positive otherwise; it is a metric on distributions. ``reference_term``
    is E|Y - Y'| when already known (it does not change with the model).
    """
    return run_pieces(energy_distance_pieces(samples, reference, reference_term))


def energy_distance_pieces(samples: torch.Tensor, reference: torch.Tensor,
                           reference_term: torch.Tensor | None = None
                           ) -> Generator[None, None, torch.Tensor]:
    """:func:`energy_distance` one block of pairs (a few milliseconds) per ``next()``, the
    same arithmetic in the same order (so the same numbers); returns the [R] tensor."""
    yy = reference_term if reference_term is not None else \
        (yield from pair_distance_mean_pieces(reference, reference, True))
    out = []
    for x in samples:
        xy = yield from pair_distance_mean_pieces(x, reference)
        xx = yield from pair_distance_mean_pieces(x, x, True)
        out.append(2 * xy - xx - yy)
    return torch.stack(out).float()


def run_pieces(pieces: Generator[None, None, T]) -> T:
    """Run a generator of pieces of work to its end and return its value."""
    while True:
        try:
            next(pieces)
        except StopIteration as end:
            return end.value


def relative_variance(grads: torch.Tensor) -> torch.Tensor:
    """Relative variance of M gradient estimates [M, R, P]: E|g - mean g|^2 / |mean g|^2.

    One run at a time, and each sum in blocks too small for torch to split over threads: a
    reduction's split follows the size of the whole tensor and the thread count, so a
    batched or threaded sum would round a run differently with other batch-mates or
    threads.
    """
    return torch.stack([_relative_variance(grads[:, r]) for r in range(grads.shape[1])])


def _relative_variance(grads: torch.Tensor) -> torch.Tensor:
    """Relative variance of M estimates [M, P] of one run (a scalar)."""
    mean = grads.mean(0)
    spread = torch.stack([_serial_sum(row) for row in (grads - mean) ** 2]).mean(0)
    return spread / _serial_sum(mean**2).clamp_min(1e-30)


SERIAL_BLOCK = 1 << 14  # below torch's grain size (32768): such a sum runs on one thread


def _serial_sum(x: torch.Tensor) -> torch.Tensor:
    """The sum of a 1-D tensor, in fixed blocks each summed on one thread (the same rounding
    whatever the thread count)."""
    return torch.stack([b.sum() for b in x.split(SERIAL_BLOCK)]).sum()


def quantiles(values: torch.Tensor, qs: tuple[float, ...]) -> torch.Tensor:
    """Quantiles ``qs`` of values [R, n] along the sample dim: [len(qs), R]."""
    q = torch.tensor(qs, dtype=values.dtype, device=values.device)
    return torch.quantile(values, q, dim=1)
