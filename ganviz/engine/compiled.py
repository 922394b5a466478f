"""The compiled training step (``torch.compile``, inductor), and compiling it without waiting.

:func:`compile_step` compiles a trainer's step (:mod:`ganviz.engine.step`: each half, D's update
and G's update, as one graph of losses, their gradient and the optimiser's update) for its
current spec and runs it once on copies of the trainer's tensors, so all
compiling happens there and the training state is never touched. The trainer keeps its eager
step until :meth:`~ganviz.engine.trainer.Trainer.use_functions` hands it the compiled one.
:class:`BackgroundCompile` does the same in a thread while training goes on eagerly.

Compiled code is cached on disk (``~/.cache/ganviz/inductor``, or ``$TORCHINDUCTOR_CACHE_DIR``):
the first compile of a configuration takes tens of seconds on a CPU, later ones a few.
Where compiling fails (no C++ compiler, an unsupported platform or device), the reason is
one line in :class:`CompileUnavailable` and training stays eager.

Numbers: each path is deterministic on its own (same config, seed, device and thread count:
same numbers); the compiler fuses and reorders elementwise arithmetic, so compiled and eager
agree to float32 rounding per step (see ``tests/engine/test_compiled.py`` for the tolerance), and
then drift apart as any two GAN trainings that differ by rounding do.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganviz.engine.optim import BatchedOptimizer
from ganviz.engine.step import NetParams, StepFunctions, bind, d_losses, d_step, g_step, g_terms
from ganviz.engine.trainer import Trainer


class CompileUnavailable(RuntimeError):
    """The step could not be compiled here; the message is one line saying why."""


def cache_dir() -> Path:
    """Where compiled kernels are kept between runs (``$TORCHINDUCTOR_CACHE_DIR`` wins)."""
    if os.environ.get("TORCHINDUCTOR_CACHE_DIR"):
        return Path(os.environ["TORCHINDUCTOR_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ganviz" / "inductor"


def _compile(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``torch.compile`` for one step function: fixed shapes, one graph, inductor's default
    mode on every device (C++/OpenMP kernels on the CPU, Triton on CUDA). CUDA graphs
    (``mode="reduce-overhead"``) are left out: no GPU here to test them on."""
    return torch.compile(fn, dynamic=False, fullgraph=True)


def _param_copies(params: NetParams) -> NetParams:
    """Parameters with the same types, shapes and strides (the compiled code checks them)."""

    def copy(ps):
        return tuple(nn.Parameter(p.detach().clone()) for p in ps)

    return NetParams(copy(params.weights), copy(params.biases), copy(params.gammas),
                     copy(params.betas))


def _scratch_optimizer(opt: BatchedOptimizer, params: tuple[torch.Tensor, ...]
                       ) -> BatchedOptimizer:
    """A fresh optimiser like ``opt`` over ``params`` (copies), to warm the compiled step on."""
    return BatchedOptimizer(list(params), opt.kind, opt.lr, opt.betas, opt.momentum, opt.eps)


def compile_step(trainer: Trainer) -> StepFunctions:
    """The trainer's step compiled for its current spec, warmed up (compiled) on copies.

    Each half of the step (D's update, G's update) is one compiled graph: losses, their
    gradient and the optimiser (:func:`ganviz.engine.step.d_step`,
    :func:`~ganviz.engine.step.g_step`).
    Raises :class:`CompileUnavailable` when it cannot be compiled here.
    """
    if _switched_off():
        raise CompileUnavailable("torch.compile is switched off here (TORCH_COMPILE_DISABLE)")
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(cache_dir()))
    spec = trainer.step_spec()
    dev = trainer.device
    for net, opt in ((trainer.G, trainer.opt_g), (trainer.D, trainer.opt_d)):
        if [id(p) for p in net.params().flat()] != [id(p) for p in opt.params]:
            raise CompileUnavailable("the optimiser's parameters are not the network's, "
                                     "in the same order")
    fns = StepFunctions(
        spec, bind(d_losses, spec), bind(g_terms, spec),
        _compile(bind(d_step, spec, trainer.opt_d.pure_update())),
        _compile(bind(g_step, spec, trainer.opt_g.pure_update())),
        compiled=True,
    )
    g, d = _param_copies(trainer.G.params()), _param_copies(trainer.D.params())
    opt_g = _scratch_optimizer(trainer.opt_g, g.flat())
    opt_d = _scratch_optimizer(trainer.opt_d, d.flat())
    b, r = spec.batch, trainer.n_runs
    fixed = trainer.fixed_sigma().clone()
    mask = torch.ones(r, dtype=torch.bool, device=dev)
    try:
        noise = torch.zeros(r, b, spec.noise_width, device=dev)
        real = torch.zeros(r, b, 2, device=dev)
        fns.d_step(g, d, noise, real, fixed, *opt_d.pure_state(), mask, opt_d.hyper())
        noise = torch.zeros(r, b, spec.latent_dim + 2, device=dev)
        fns.g_step(g, d, noise, fixed, *opt_g.pure_state(), mask, opt_g.hyper())
    except Exception as exc:  # any compiler failure means: stay eager, say why
        raise CompileUnavailable(_reason(exc)) from None
    return fns


def _switched_off() -> bool:
    """True when torch.compile has been disabled for this process."""
    import torch._dynamo.config as dynamo_config

    try:
        return bool(dynamo_config.disable)
    except AttributeError:  # not a setting of this torch version
        return os.environ.get("TORCH_COMPILE_DISABLE", "0") == "1"


def _reason(exc: BaseException) -> str:
    """One line on why compiling failed (the last line of a compiler message says most)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()
             and not ln.startswith(("Set TORCHDYNAMO_VERBOSE", "For more details"))]
    text = lines[0] if lines else ""
    if text.endswith("raised:") and len(lines) > 1:  # the compiler's own error follows
        text = lines[1]
    for line in lines:
        if "error" in line.lower() and len(line) < 200:
            text = line
            break
    return f"{type(exc).__name__}: {text}"[:300]


def compile_for_run(trainer: Trainer) -> str:
    """Compile a headless run's step before its first step (so every step of the run takes
    the same path); one line for the terminal saying how long it took, or why not."""
    started = time.perf_counter()
    try:
        fns = compile_step(trainer)
    except CompileUnavailable as exc:
        return f"training step: eager (the compiler is unavailable: {exc})"
    trainer.use_functions(fns)
    return f"training step: compiled in {time.perf_counter() - started:.1f} s"


class BackgroundCompile:
    """:func:`compile_step` in a daemon thread; the training loop polls :meth:`take`.

    The thread only reads the trainer (its spec, shapes and a copy of its parameters), so
    the loop may keep stepping eagerly meanwhile. ``seconds`` is the compile time and
    ``error`` the reason it failed (None while compiling or after success).
    """

    def __init__(self, trainer: Trainer) -> None:
        self.spec = trainer.step_spec()
        self.started = time.perf_counter()
        self.seconds: float | None = None
        self.error: str | None = None
        self._result: StepFunctions | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(trainer,), daemon=True,
                                        name="ganviz-compile")
        self._thread.start()

    def _run(self, trainer: Trainer) -> None:
        try:
            self._result = compile_step(trainer)
        except CompileUnavailable as exc:
            self.error = str(exc)
        except Exception as exc:  # never let a compiler crash take the training loop down
            self.error = _reason(exc)
        self.seconds = time.perf_counter() - self.started
        self._done.set()

    @property
    def done(self) -> bool:
        """Finished, with or without success."""
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until finished; True when it has."""
        return self._done.wait(timeout)

    def take(self) -> StepFunctions | None:
        """The compiled functions once ready (then None again: they are handed over once)."""
        if not self._done.is_set():
            return None
        result, self._result = self._result, None
        return result
