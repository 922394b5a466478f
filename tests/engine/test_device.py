import pytest
import torch

from ganviz.core.settings import ConfigError
from ganviz.engine.device import resolve_device, training_threads
from ganviz.engine.nets import BatchedMLP


def test_auto_prefers_cuda_when_present():
    assert resolve_device("auto", lambda: True) == torch.device("cuda")
    assert resolve_device("auto", lambda: False) == torch.device("cpu")


def test_explicit_devices():
    assert resolve_device("cpu", lambda: True) == torch.device("cpu")
    assert resolve_device("cuda:1", lambda: True) == torch.device("cuda:1")
    with pytest.raises(ConfigError, match="no CUDA device"):
        resolve_device("cuda", lambda: False)
    with pytest.raises(ConfigError, match="allowed: auto, cpu, cuda"):
        resolve_device("gpu", lambda: True)


def test_threads_leave_a_core_for_the_gui():
    assert training_threads(0, leave_for_gui=True, cores=2) == 1
    assert training_threads(0, leave_for_gui=False, cores=2) == 2
    assert training_threads(0, leave_for_gui=True, cores=1) == 1
    assert training_threads(3, leave_for_gui=True, cores=2) == 3


def test_cuda_trainer_keeps_every_tensor_on_its_device():
    """Every tensor the trainer makes must follow the configured device, never assume CPU."""
    from ganviz.engine.trainer import Trainer
    from tests.conftest import small_config

    if torch.cuda.is_available():
        device = torch.device("cuda")
        t = Trainer(small_config(), device=device)
        t.train(3)
        tensors = [*t.G.parameters(), *t.D.parameters(), t.diverged, t.run_steps, t.loss_g,
                   *t.opt_g.m, *t.opt_d.v]
        assert all(x.device.type == "cuda" for x in tensors)
    else:
        pytest.skip("no CUDA device on this machine")


def test_batched_mlp_equals_separate_networks():
    net = BatchedMLP([2, 8, 8, 3], seeds=[0, 1, 2], activation_name="tanh", maxout=2)
    x = torch.randn(3, 5, 2)
    out = net(x)
    for r in range(3):
        h = x[r]
        for i in range(3):
            h = h @ net.weights[i][r] + net.biases[i][r]
            if i < 2:
                h = torch.tanh(h.unflatten(-1, (-1, 2)).amax(-1))
        assert torch.allclose(out[r], h, atol=1e-6)
    same = BatchedMLP([2, 8, 8, 3], seeds=[0], activation_name="tanh", maxout=2)
    assert torch.equal(same.weights[1][0], net.weights[1][0])
