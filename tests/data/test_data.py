import math

import torch

from ganviz.core.sections import DataConfig
from ganviz.data.mixtures import DataSource, build_mixture


def test_ring8_has_eight_distinct_modes_at_even_angles():
    mix = build_mixture(DataConfig(name="ring8", radius=2.0, std=0.05))
    assert mix.n_modes == 8
    angles = torch.atan2(mix.means[:, 1], mix.means[:, 0]) % (2 * math.pi)
    expected = torch.tensor([2 * math.pi * i / 8 for i in range(8)])
    assert torch.allclose(angles.sort().values, expected, atol=1e-5)
    assert torch.allclose(mix.means.norm(dim=1), torch.full((8,), 2.0))
    assert torch.cdist(mix.means, mix.means).add(torch.eye(8) * 9).min() > 1.0


def test_grid25_means_and_scale():
    mix = build_mixture(DataConfig(name="grid25", spacing=2.0, std=0.05, scale=0.5))
    assert mix.n_modes == 25
    assert sorted(set(mix.means[:, 0].tolist())) == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert torch.allclose(mix.stds, torch.full((25,), 0.025))


def test_custom_mixture_weights_and_samples():
    cfg = DataConfig(name="custom", means=[[0.0, 0.0], [3.0, 0.0]], stds=[0.1, 0.2],
                     weights=[3.0, 1.0])
    mix = build_mixture(cfg)
    assert torch.allclose(mix.weights, torch.tensor([0.75, 0.25]))
    x = mix.sample(20000, torch.Generator().manual_seed(0))
    right = x[:, 0] > 1.5
    assert abs(right.float().mean().item() - 0.25) < 0.02
    assert abs(x[right, 1].std().item() - 0.2) < 0.01


def test_fixed_training_set_is_reused():
    src = DataSource(DataConfig(train_size=100), torch.device("cpu"))
    batch = src.batch(500, torch.Generator().manual_seed(1))
    assert src.train_set is not None
    rows = {tuple(r) for r in src.train_set.tolist()}
    assert all(tuple(r) in rows for r in batch.tolist())


def test_batches_for_all_runs_equal_each_runs_own_batch():
    """The batched draw gives every run exactly the numbers of its own ``batch`` call (and
    leaves its generator in the same state); paused runs get zeros and draw nothing."""
    for cfg in (DataConfig(name="grid25", std=0.05), DataConfig(train_size=50)):
        src = DataSource(cfg, torch.device("cpu"))
        seeds = [3, 4, None, 5]
        gens = [None if s is None else torch.Generator().manual_seed(s) for s in seeds]
        twins = [None if s is None else torch.Generator().manual_seed(s) for s in seeds]
        for _ in range(2):  # twice: the generators must also end in the same state
            out = src.batches(64, gens)
            assert out.shape == (4, 64, 2)
            for r, twin in enumerate(twins):
                if twin is None:
                    assert torch.equal(out[r], torch.zeros(64, 2))
                else:
                    assert torch.equal(out[r], src.batch(64, twin))
