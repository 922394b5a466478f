"""Oracles: what the study measures, checked against independent computations (torch's own
Adam, values worked out by hand, closed forms) rather than against a second path through
ganviz's code that could share a bug."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from ganviz.core.config import load_preset
from ganviz.core.runs import expand_runs
from ganviz.data.mixtures import Mixture
from ganviz.engine.metrics import grid_js_divergence, mode_stats
from ganviz.engine.optim import BatchedOptimizer, adam_update
from ganviz.engine.step import discriminator_loss, generator_loss
from ganviz.studies import compare

# ------------------------------------------------------------------------------ Adam

LR, BETAS, EPS = 0.01, (0.9, 0.999), 1e-8
MASKS = [[True, True, True], [True, False, True], [False, False, True], [True, True, False],
         [True, True, True], [True, True, True]]


def _problem(seed: int = 0) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
    """Per-run parameters [R=3, ...] and six steps of gradients (float64)."""
    gen = torch.Generator().manual_seed(seed)
    params = [torch.randn(3, 4, 5, generator=gen, dtype=torch.float64),
              torch.randn(3, 5, generator=gen, dtype=torch.float64)]
    grads = [[torch.randn(p.shape, generator=gen, dtype=torch.float64) * (k + 1)
              for p in params] for k in range(len(MASKS))]
    return params, grads


def _torch_adam(params: list[torch.Tensor], grads: list[list[torch.Tensor]]
                ) -> list[torch.Tensor]:
    """torch.optim.Adam, one optimiser per run, stepped only where the run's mask is on."""
    out = [p.clone() for p in params]
    for r in range(params[0].shape[0]):
        mine = [torch.nn.Parameter(p[r].clone()) for p in params]
        opt = torch.optim.Adam(mine, lr=LR, betas=BETAS, eps=EPS)
        for step, mask in enumerate(MASKS):
            if not mask[r]:
                continue
            for param, g in zip(mine, grads[step], strict=True):
                param.grad = g[r].clone()
            opt.step()
        for p, param in zip(out, mine, strict=True):
            p[r] = param.detach()
    return out


def test_the_batched_adam_matches_torch_adam_with_masks():
    params, grads = _problem()
    expected = _torch_adam(params, grads)
    mine = [p.clone() for p in params]
    opt = BatchedOptimizer(mine, "adam", LR, BETAS, eps=EPS)
    for step, mask in enumerate(MASKS):
        opt.step(grads[step], torch.tensor(mask))
    for got, want in zip(mine, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    assert opt.steps.tolist() == [sum(m[r] for m in MASKS) for r in range(3)]


def test_the_pure_adam_update_matches_torch_adam_with_masks():
    params, grads = _problem(1)
    expected = _torch_adam(params, grads)
    mine = [p.clone() for p in params]
    m = [torch.zeros_like(p) for p in mine]
    v = [torch.zeros_like(p) for p in mine]
    steps = torch.zeros(3, dtype=torch.float64)
    hyper = torch.tensor([LR, *BETAS, EPS, 0.0], dtype=torch.float64)
    for step, mask in enumerate(MASKS):
        adam_update(mine, grads[step], m, v, steps, torch.tensor(mask), hyper)
    for got, want in zip(mine, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- metrics


def _two_modes() -> Mixture:
    """Modes at (0, 0) and (10, 0), std 1, equal weights."""
    return Mixture(means=torch.tensor([[0.0, 0.0], [10.0, 0.0]]), stds=torch.ones(2),
                   weights=torch.full((2,), 0.5))


def test_high_quality_means_within_three_stds():
    samples = torch.tensor([[[2.9, 0.0], [0.0, 3.1], [10.0, 2.9], [13.1, 0.0]]])
    stats = mode_stats(samples, _two_modes())
    assert stats["hq_fraction"].tolist() == [0.5]  # 2.9 stds in, 3.1 stds out
    assert stats["modes"].tolist() == [2.0]
    assert stats["reverse_kl"].item() == pytest.approx(0.0, abs=1e-7)  # half and half


def test_modes_and_reverse_kl_by_hand():
    # every sample at mode 0: one mode, q = (1, 0) against p = (1/2, 1/2): KL = log 2
    at_zero = torch.tensor([[[0.1, 0.0], [0.0, 0.2], [2.0, 0.0], [0.0, 3.5]]])
    stats = mode_stats(at_zero, _two_modes())
    assert stats["modes"].tolist() == [1.0] and stats["hq_fraction"].tolist() == [0.75]
    assert stats["reverse_kl"].item() == pytest.approx(math.log(2), rel=1e-6)
    # q = (3/4, 1/4): KL = 3/4 log(3/2) + 1/4 log(1/2)
    mixed = torch.tensor([[[0.0, 0.0], [0.5, 0.0], [0.0, 0.5], [10.0, 0.0]]])
    want = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert mode_stats(mixed, _two_modes())["reverse_kl"].item() == pytest.approx(want, rel=1e-6)


def _cells(*centres: tuple[float, float]) -> torch.Tensor:
    """One point at each cell centre of a 2 x 2 grid over [-1, 1]^2, as [1, n, 2]."""
    return torch.tensor([list(centres)], dtype=torch.float32)


A, B, C = (-0.5, -0.5), (-0.5, 0.5), (0.5, 0.5)


@pytest.mark.parametrize(("p", "q", "want"), [
    ((A, B), (A, B), 0.0),                         # the same histogram
    ((A, A), (C, C), math.log(2)),                 # disjoint: the maximum
    ((A, A), (A, B), 0.5 * math.log(4 / 3) + 0.25 * math.log(2 / 3) + 0.25 * math.log(2)),
    ((A, B), (B, C), 0.5 * math.log(2)),           # half the mass overlaps
])
def test_js_divergence_by_hand(p, q, want):
    got = grid_js_divergence(_cells(*p), _cells(*q)[0], extent=1.0, bins=2)
    assert got.item() == pytest.approx(want, abs=1e-6)


def test_the_table_mean_and_standard_error_by_hand(monkeypatch):
    cfg = load_preset("veegan-ring").with_overrides(
        {"runs": {"estimators": ["plugin"], "seeds": [0, 1, 2, 3]}})
    runs = expand_runs(cfg)
    modes = [8.0, 6.0, 7.0, 3.0]
    rows = {s.index: {"modes": modes[k], "hq_fraction": 0.5, "reverse_kl": 0.1,
                      "sigma_mean": 0.0, "sigma_p10": 0.0, "sigma_p90": 0.0, "diverged": False}
            for k, s in enumerate(runs)}
    monkeypatch.setattr(compare, "final_rows", lambda _t: rows)
    (entry,) = compare.aggregate(SimpleNamespace(runs=runs))
    mean = 6.0  # (8 + 6 + 7 + 3) / 4
    sd = math.sqrt((4 + 0 + 1 + 9) / 3)  # sample standard deviation, n - 1
    assert entry["modes"] == mean and entry["seeds"] == 4
    assert entry["modes_se"] == pytest.approx(sd / 2)  # sd / sqrt(4)


# ---------------------------------------------------------------------------- losses


@pytest.mark.parametrize("logit", [-6.0, -1.5, 0.0, 0.7, 4.0])
def test_generator_losses_are_the_closed_forms(logit):
    d = 1 / (1 + math.exp(-logit))
    x = torch.tensor([logit], dtype=torch.float64)
    assert generator_loss(x, "nonsaturating").item() == pytest.approx(-math.log(d), rel=1e-12)
    assert generator_loss(x, "minimax").item() == pytest.approx(math.log(1 - d), rel=1e-12)


def test_discriminator_loss_is_the_closed_form():
    real = torch.tensor([[2.0, -1.0], [0.0, 0.5]], dtype=torch.float64)
    fake = torch.tensor([[-3.0, 1.0], [0.3, 0.0]], dtype=torch.float64)

    def sig(v: float) -> float:
        return 1 / (1 + math.exp(-v))

    want = [-(math.log(sig(a)) + math.log(sig(b))) / 2 - (math.log(1 - sig(c))
                                                         + math.log(1 - sig(e))) / 2
            for (a, b), (c, e) in zip(real.tolist(), fake.tolist(), strict=True)]
    got = discriminator_loss(real, fake)
    assert got.tolist() == pytest.approx(want, rel=1e-12)
