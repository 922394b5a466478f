"""The compiled training step: compiled for real (the rest of the suite runs without it).

Tolerance (stated in the README and ganviz/engine/compiled.py): one step of the compiled path
agrees with one eager step from the same state to float32 rounding (parameters within
1e-5 relative, 1e-6 absolute); each path on its own repeats bit for bit.
"""

from __future__ import annotations

import time

import pytest
import torch
import torch._dynamo.config as dynamo_config

from ganviz.core.config import load_preset
from ganviz.core.contract import LatestSlot
from ganviz.engine import compiled
from ganviz.engine.compiled import BackgroundCompile, CompileUnavailable, compile_step
from ganviz.engine.trainer import Trainer
from ganviz.live.loop import TrainingLoop, force_divergence
from tests.conftest import small_config

# torch's compiler uses its own deprecated torch.jit.script_method internally
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated")


@pytest.fixture(scope="module")
def compiling(tmp_path_factory):
    """torch.compile switched on, with its cache in a fresh folder (a cold compile)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path_factory.mktemp("inductor")))
    with dynamo_config.patch(disable=False):
        yield
    mp.undo()


@pytest.fixture(scope="module")
def cfg():
    """Small networks, two seeds, all four estimators, and every branch the default preset
    leaves out: batch norm in G, maxout and leaky ReLU in D, a uniform latent, the minimax
    loss, real-data noise, SGD with momentum, a sigma schedule, a full learned covariance
    (also for the score function), and the study's options: simultaneous updates,
    orthogonal init, the at-mean baseline, the entropy bonus. One configuration, so the
    module pays for one cold compile, not one per branch."""
    return small_config(seeds=[0, 1], covariance="full", score_learned_sigma=True,
                        score_baseline="at_mean", sigma_entropy=0.1).with_overrides({
        "model": {"g_batchnorm": True, "d_maxout": 2, "d_activation": "leaky_relu",
                  "g_activation": "tanh", "latent": "uniform", "latent_dim": 3,
                  "init": "orthogonal", "init_gain": 1.4},
        "train": {"loss": "minimax", "real_noise": True, "optimizer": "sgd",
                  "momentum": 0.5, "sigma_schedule": "linear", "sigma_final": 0.02,
                  "update": "simultaneous"},
    })


def _params(trainer: Trainer) -> list[torch.Tensor]:
    return [p.detach().clone() for p in [*trainer.G.parameters(), *trainer.D.parameters()]]


def _stepped(trainer: Trainer) -> list[torch.Tensor]:
    """Copies of the parameters a step moves: all but G's hidden biases, whose gradient batch
    norm's mean subtraction makes exactly zero."""
    dead = {id(b) for b in trainer.G.biases[:-1]} if trainer.cfg.model.g_batchnorm else set()
    return [p.detach().clone() for p in [*trainer.G.parameters(), *trainer.D.parameters()]
            if id(p) not in dead]


def _compiled_trainer(cfg) -> Trainer:
    trainer = Trainer(cfg, "cpu")
    assert trainer.use_functions(compile_step(trainer))
    assert trainer.functions.compiled
    return trainer


def test_one_compiled_step_agrees_with_eager_to_rounding(compiling, cfg):
    eager, fast = Trainer(cfg, "cpu"), _compiled_trainer(cfg)
    for a, b in zip(_params(eager), _params(fast), strict=True):
        assert torch.equal(a, b)  # the same start
    eager.step()
    fast.step()
    moved = 0.0
    for a, b, start in zip(_params(eager), _params(fast), _params(Trainer(cfg, "cpu")),
                           strict=True):
        torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6)
        moved = max(moved, float((a - start).abs().max()))
    assert moved > 1e-4  # the step did move the parameters (else the check says nothing)
    torch.testing.assert_close(fast.loss_d, eager.loss_d, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(fast.loss_g, eager.loss_g, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(fast.opt_d.steps, eager.opt_d.steps)


def test_compiled_path_repeats_bit_for_bit_without_recompiling(compiling, cfg):
    a, b = _compiled_trainer(cfg), _compiled_trainer(cfg)
    start = _stepped(a)
    with dynamo_config.patch(error_on_recompile=True):
        for _ in range(6):
            a.step()
            b.step()
    for x, y in zip(_params(a), _params(b), strict=True):
        assert torch.equal(x, y)
    assert not any(torch.equal(x, y) for x, y in zip(start, _stepped(a), strict=True))


def test_compiled_update_keeps_paused_runs_and_freezes_a_diverging_one(compiling, cfg):
    trainer = _compiled_trainer(cfg)
    trainer.step()
    trainer.set_active(1, False)
    before = _stepped(trainer)
    state_before = trainer.opt_g.m[0][1].clone()
    force_divergence(trainer, 2)
    trainer.step()
    trainer.step()
    after = _stepped(trainer)
    for x, y in zip(before, after, strict=True):
        assert torch.equal(x[1], y[1])  # paused: not a bit changed
        assert not torch.equal(x[0], y[0])  # others trained
    assert torch.equal(trainer.opt_g.m[0][1], state_before)
    assert trainer.diverged_list()[2] and not any(
        d for i, d in enumerate(trainer.diverged_list()) if i != 2)
    assert trainer.run_steps.tolist()[0] == 3 and trainer.run_steps.tolist()[1] == 1


def test_a_new_step_shape_falls_back_to_eager(compiling, cfg):
    trainer = _compiled_trainer(cfg)
    fns = trainer.functions
    trainer.apply_live(cfg.with_overrides({"train": {"batch_size": 32}}))
    assert not trainer.functions.compiled  # compiled for batch 64: not used for 32
    assert trainer.use_functions(fns) is False
    trainer.step()  # eager, batch 32
    trainer.apply_live(cfg)
    assert trainer.use_functions(fns) is True


def test_background_compile_lets_the_loop_train_meanwhile(compiling, cfg, monkeypatch):
    real_compile = compiled.compile_step

    def in_thread(trainer):  # torch.compile's switch is per thread: on in this one too
        time.sleep(0.5)  # compiled already (cached in this process): make it take a while
        with dynamo_config.patch(disable=False):
            return real_compile(trainer)

    monkeypatch.setattr(compiled, "compile_step", in_thread)
    loop = TrainingLoop(cfg, LatestSlot())
    loop._reset(cfg)
    assert loop.step_path == "eager step, compiling…"
    job = loop._compile
    assert job is not None
    steps_meanwhile = 0
    while not job.done:
        loop._one_step(loop.trainer)
        steps_meanwhile += 1
    assert steps_meanwhile >= 1 and not loop.trainer.functions.compiled
    loop._one_step(loop.trainer)
    assert loop.step_path == loop.snapshot().step_path == "compiled step", loop.step_note
    assert loop.step_note.startswith("compiled in ")
    assert loop.trainer.step_count == steps_meanwhile + 1


def test_compiler_failure_is_one_line_and_training_stays_eager(cfg, monkeypatch):
    def broken(*args, **kwargs):
        def run(*a, **k):
            raise RuntimeError("C++ compile error: no compiler 'g++' found\nlong trace\n...")
        return run

    monkeypatch.setattr(compiled, "_switched_off", lambda: False)  # (its switch is per thread)
    monkeypatch.setattr(compiled.torch, "compile", broken)
    trainer = Trainer(cfg, "cpu")
    with pytest.raises(CompileUnavailable) as info:
        compile_step(trainer)
    assert "\n" not in str(info.value) and "no compiler" in str(info.value)
    job = BackgroundCompile(trainer)
    assert job.wait(30) and job.take() is None and "no compiler" in job.error
    loop = TrainingLoop(cfg, LatestSlot())
    loop._reset(cfg)
    assert loop._compile is not None and loop._compile.wait(30)
    loop._one_step(loop.trainer)
    assert loop.step_path == "eager step"
    assert loop.step_note.startswith("compiler unavailable, training eagerly: ")
    assert not loop.trainer.functions.compiled


@dynamo_config.patch(disable=True)
def test_switched_off_compiler_is_said_and_compile_setting_off_means_eager(cfg):
    trainer = Trainer(cfg, "cpu")
    assert compiled.compile_for_run(trainer).startswith(
        "training step: eager (the compiler is unavailable: torch.compile is switched off")
    off = cfg.with_overrides({"train": {"compile": False}})
    loop = TrainingLoop(off, LatestSlot())
    loop._reset(off)
    assert loop._compile is None and loop.step_path == "eager step"
    loop._apply(cfg)  # switched on live: compiling starts (and fails here: switched off)
    assert loop._compile is not None and loop._compile.wait(30)
    loop._apply(off)
    assert loop._compile is None and not loop.trainer.functions.compiled
    assert loop.trainer.functions.spec == loop.trainer.step_spec()


def test_default_preset_compiles_on_by_default():
    assert load_preset("default").train.compile is True
