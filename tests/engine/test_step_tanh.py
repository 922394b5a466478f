"""The step's tanh (2 sigmoid(2h) - 1 on the CPU) is torch's tanh to float32 rounding, in
value and in gradient, in place or not, and the networks and probes use it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganviz.engine import critic
from ganviz.engine.nets import BatchedMLP
from ganviz.engine.step import tanh

POINTS = torch.cat([torch.linspace(-30, 30, 20001), torch.tensor(
    [0.0, -0.0, 1e-30, -1e-30, 1e-8, 1e-4, 88.0, -88.0, 1e4, -1e4, float("inf"),
     float("-inf")])])


@pytest.mark.parametrize("in_place", [False, True])
def test_values_are_torch_tanh_to_rounding(in_place):
    h = POINTS.clone()
    out = tanh(h, in_place)
    assert (out is h) == in_place
    np.testing.assert_allclose(out, torch.tanh(POINTS), rtol=0, atol=2.5e-7)
    assert torch.all(out.abs() <= 1)


@pytest.mark.parametrize("in_place", [False, True])
def test_gradient_is_one_minus_tanh_squared_to_rounding(in_place):
    x = torch.linspace(-8, 8, 4001, requires_grad=True)
    h = x * 1.0  # a fresh tensor, as a layer's output is
    (g,) = torch.autograd.grad(tanh(h, in_place).sum(), x)
    truth = 1 - torch.tanh(x.detach()) ** 2
    np.testing.assert_allclose(g, truth, rtol=0, atol=5e-7)
    # the compiled step differentiates with torch.func.grad
    g = torch.func.grad(lambda v: tanh(v * 1.0, in_place).sum())(x.detach())
    np.testing.assert_allclose(g, truth, rtol=0, atol=5e-7)


def test_tanh_networks_and_probes_use_it():
    net = BatchedMLP([2, 16, 16, 1], seeds=[0, 1], activation_name="tanh")
    x = torch.randn(2, 7, 2)
    with torch.no_grad():
        out = net(x)
        h = x
        for i in range(3):
            h = torch.baddbmm(net.biases[i], h, net.weights[i]) if i < 2 else \
                (h * net.weights[i].transpose(1, 2)).sum(-1, keepdim=True) + net.biases[i]
            if i < 2:
                h = torch.sigmoid(2 * h) * 2 - 1
    torch.testing.assert_close(out, h, rtol=0, atol=0)  # the same operations, bit for bit
    h = POINTS.clone()
    torch.testing.assert_close(critic._act_(h, "tanh", 0.0), tanh(POINTS, False),
                               rtol=0, atol=0)
