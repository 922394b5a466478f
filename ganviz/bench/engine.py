"""Speed of the training step as a share of the machine's matmul peak, measured in one run.

:func:`run_bench` times the real :meth:`Trainer.step` of the default preset with R = 4, 16
and 64 runs, eager and optimized (compiled, :mod:`ganviz.engine.compiled`), interleaved, and, for
information, the same runs trained one after another as separate ``nn.Module`` s (the way
toy GAN scripts do it, see :class:`SeparateRuns`). It measures this machine's float32 matmul
throughput and reports which fraction of it each step reaches, then the window's training
loop with its probes. :func:`format_report` turns the result into a small table. The
result is plain JSON data.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ganviz.bench.probe_share import format_probe_share, measure_probe_share
from ganviz.core.config import Config, load_preset
from ganviz.core.runs import expand_runs
from ganviz.data.mixtures import build_mixture
from ganviz.engine import estimators
from ganviz.engine.compiled import CompileUnavailable, compile_step
from ganviz.engine.device import resolve_device, training_threads
from ganviz.engine.nets import BatchedMLP
from ganviz.engine.step import generator_loss
from ganviz.engine.trainer import Trainer

MATMUL_SIZE = 1024


# ----------------------------------------------------------------------------- timing
def _sync(device: torch.device) -> None:
    """Wait until queued device work has finished (no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def _faults() -> int | None:
    """Minor page faults of this process so far (None where unknown)."""
    try:
        import resource
    except ImportError:  # not on Unix
        return None
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)


def _rates(steps: dict[str, Callable[[], Any]], device: torch.device, seconds: float,
           warmup: int, blocks: int = 8) -> dict[str, dict[str, float]]:
    """Calls per second of each function in ``steps``, timed in interleaved blocks.

    Each function first gets ``warmup`` untimed calls. Then the functions take turns, one
    block each, ``blocks`` times; a block calls its function until ``seconds / blocks``
    have passed, so all of them together take about ``seconds`` per function and a load
    that comes and goes hits all functions alike. Per function: ``best`` (fastest block:
    the machine's capability, least disturbed by other processes), ``median`` block rate,
    timed ``calls`` and minor page ``faults`` per call.
    """
    for step in steps.values():
        for _ in range(warmup):
            step()
    _sync(device)
    block = seconds / blocks
    rates: dict[str, list[float]] = {name: [] for name in steps}
    calls: dict[str, int] = dict.fromkeys(steps, 0)
    faults: dict[str, int] = dict.fromkeys(steps, 0)
    for _ in range(blocks):
        for name, step in steps.items():
            f0 = _faults()
            n, t0 = 0, time.perf_counter()
            while True:
                step()
                n += 1
                _sync(device)
                elapsed = time.perf_counter() - t0
                if elapsed >= block:
                    break
            rates[name].append(n / elapsed)
            calls[name] += n
            f1 = _faults()
            if f0 is not None and f1 is not None:
                faults[name] += f1 - f0
    return {name: {"best": max(r), "median": statistics.median(r), "calls": calls[name],
                   "faults": faults[name] / calls[name]}
            for name, r in rates.items()}


def matmul_call(device: torch.device, size: int = MATMUL_SIZE
                ) -> tuple[Callable[[], Any], int]:
    """One float32 ``torch.mm`` of ``size`` x ``size`` matrices as a call, and its FLOPs."""
    gen = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(size, size, generator=gen, device=device)
    b = torch.randn(size, size, generator=gen, device=device)
    c = torch.empty(size, size, device=device)
    return (lambda: torch.mm(a, b, out=c)), 2 * size**3


# ------------------------------------------------------------------------------ FLOPs
def _backward_flops(net: BatchedMLP, n: int, weights: bool, inputs: bool) -> int:
    """Matmul FLOPs of one backward pass of ``net`` on ``n`` samples per run.

    Each layer's backward costs one forward-sized matmul for its weight gradient (if
    ``weights``) and one for its input gradient (needed in every layer but the first when
    ``weights``; in the first layer only if ``inputs``).
    """
    fwd = net.matmul_flops(n)
    w0 = net.weights[0]
    first = 2 * net.n_runs * n * w0.shape[1] * w0.shape[2]
    total = fwd if weights else 0
    if inputs:
        total += fwd
    elif weights:
        total += fwd - first
    return total


def step_flops(trainer: Trainer) -> dict[str, int]:
    """Matmul FLOPs of one :meth:`Trainer.step` of all runs, counted from the layer shapes.

    With batch B, per discriminator step (``k_d`` of them):
    G forward on B (no grad) + D forward on 2B (real and fake) + D backward on 2B for the
    weight gradients (weight grads in every layer, input grads in all but the first).
    Per generator step (``k_g`` of them): G forward on B + G backward on B (weight grads
    everywhere, input grads in all but the first layer) + D forward on B + D backward on B
    for the input gradients only (every layer, no weight grads).
    A forward matmul is ``BatchedMLP.matmul_flops`` (2 FLOPs per multiply-add); biases,
    activations, the losses and the optimiser are elementwise and not counted.
    """
    G, D = trainer.G, trainer.D
    b = trainer.cfg.train.batch_size
    d_step = (G.matmul_flops(b) + D.matmul_flops(2 * b)
              + _backward_flops(D, 2 * b, weights=True, inputs=False))
    g_step = (G.matmul_flops(b) + _backward_flops(G, b, weights=True, inputs=False)
              + D.matmul_flops(b) + _backward_flops(D, b, weights=False, inputs=True))
    t = trainer.cfg.train
    return {"d_step": d_step, "g_step": g_step, "total": t.k_d * d_step + t.k_g * g_step}


# ------------------------------------------------------------------------- baseline
def _mlp(sizes: list[int]) -> nn.Sequential:
    """A plain ``nn.Sequential`` MLP: Linear layers with ReLU between them."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class SeparateRuns:
    """The runs of a config as separate ``nn.Module``s, trained one after another.

    Per run: a ``nn.Sequential`` G (latent_dim -> hidden -> 3) and D (2 -> hidden -> 1)
    with ReLU, one ``torch.optim.Adam`` each, and its own noise generator. A step does, per
    run, ``k_d`` D steps (BCE-with-logits on real + fake) and ``k_g`` G steps with that run's
    estimator surrogate; D is frozen (``requires_grad_(False)``) during the G step, as toy
    scripts do, so the work equals the batched trainer's. Fixed sigmas stay constant.
    """

    def __init__(self, cfg: Config, device: torch.device) -> None:
        m, t = cfg.model, cfg.train
        self.cfg = cfg
        self.device = device
        self.runs = expand_runs(cfg)
        self.mixture = build_mixture(cfg.data).to(device)
        self.G: list[nn.Sequential] = []
        self.D: list[nn.Sequential] = []
        self.opt_g: list[torch.optim.Optimizer] = []
        self.opt_d: list[torch.optim.Optimizer] = []
        self.noise: list[torch.Generator] = []
        target = max(cfg.runs.sigma_init - t.sigma_min, 1e-6)
        for spec in self.runs:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(spec.index * 1000 + spec.seed)
                g = _mlp([m.latent_dim, *m.g_hidden, 3])
                d = _mlp([2, *m.d_hidden, 1])
            with torch.no_grad():  # same sigma start as the batched generator
                g[-1].weight[2] *= 0.1
                g[-1].bias[2] = math.log(math.expm1(target))
            g, d = g.to(device), d.to(device)
            self.G.append(g)
            self.D.append(d)
            self.opt_g.append(torch.optim.Adam(g.parameters(), lr=t.lr_g,
                                               betas=(t.beta1, t.beta2)))
            self.opt_d.append(torch.optim.Adam(d.parameters(), lr=t.lr_d,
                                               betas=(t.beta1, t.beta2)))
            self.noise.append(torch.Generator(device=device).manual_seed(1000 + spec.index))
        n = len(self.runs)
        self.loss_d = torch.full((n,), math.nan, device=device)
        self.loss_g = torch.full((n,), math.nan, device=device)

    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return len(self.runs)

    def _generate(self, r: int, n: int) -> tuple[torch.Tensor, torch.Tensor | float,
                                                 torch.Tensor]:
        """Run ``r``'s means [n, 2], sigma ([n, 1] or a float) and its eps [n, 2]."""
        gen, d = self.noise[r], self.cfg.model.latent_dim
        z = torch.randn(n, d, generator=gen, device=self.device)
        if self.cfg.model.latent == "uniform":
            z = 2 * torch.special.ndtr(z) - 1
        eps = torch.randn(n, 2, generator=gen, device=self.device)
        out = self.G[r](z)
        spec = self.runs[r]
        if spec.learned_sigma:
            sigma: torch.Tensor | float = self.cfg.train.sigma_min + F.softplus(out[:, 2:])
        else:
            sigma = spec.sigma
        return out[:, :2], sigma, eps

    def step(self) -> None:
        """One training step (``k_d`` D steps, ``k_g`` G steps) of every run, in turn."""
        t = self.cfg.train
        b = t.batch_size
        for r, spec in enumerate(self.runs):
            D, opt_g, opt_d = self.D[r], self.opt_g[r], self.opt_d[r]
            for _ in range(t.k_d):
                real = self.mixture.sample(b, self.noise[r])
                with torch.no_grad():
                    mu, sigma, eps = self._generate(r, b)
                    fake = mu + sigma * eps
                logits = D(torch.cat([real, fake]))[:, 0]
                loss_d = (F.binary_cross_entropy_with_logits(logits[:b], torch.ones_like(
                    logits[:b])) + F.binary_cross_entropy_with_logits(
                    logits[b:], torch.zeros_like(logits[b:])))
                opt_d.zero_grad(set_to_none=True)
                loss_d.backward()
                opt_d.step()
                self.loss_d[r] = loss_d.detach()
            D.requires_grad_(False)
            for _ in range(t.k_g):
                mu, sigma, eps = self._generate(r, b)
                loss_g = estimators.surrogate(
                    spec.estimator, lambda x, D=D: generator_loss(D(x)[:, 0], t.loss),
                    mu, sigma, eps)
                opt_g.zero_grad(set_to_none=True)
                loss_g.backward()
                opt_g.step()
                self.loss_g[r] = loss_g.detach()
            D.requires_grad_(True)


# ----------------------------------------------------------------------------- bench
def _cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _cpu_busy(seconds: float) -> float | None:
    """Fraction of all CPU time used (by other processes) over ``seconds`` (Linux; else None)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
        return sum(values), values[3] + (values[4] if len(values) > 4 else 0)

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total1 - total0
    return None if total <= 0 else max(0.0, 1.0 - (idle1 - idle0) / total)


def _floats(t: torch.Tensor) -> list[float]:
    return [float(v) for v in t.detach().cpu().tolist()]


GOALS = {4: 0.45, 16: 0.55}  # issue 11: the optimized step's share of matmul peak


def _compiled_trainer(cfg: Config, dev: torch.device) -> tuple[Trainer, float, str]:
    """A trainer on the compiled step, the compile time, and "" or why it stayed eager."""
    trainer = Trainer(cfg, dev)
    started = time.perf_counter()
    try:
        trainer.use_functions(compile_step(trainer))
    except CompileUnavailable as exc:
        return trainer, time.perf_counter() - started, str(exc)
    return trainer, time.perf_counter() - started, ""


def _size_entry(cfg: Config, dev: torch.device, seconds: float, warmup: int,
                blocks: int, with_separate: bool) -> dict[str, Any]:
    """Eager, optimized (compiled) and separate-module rates for one config, interleaved."""
    eager = Trainer(cfg, dev)
    fast, compile_seconds, unavailable = _compiled_trainer(cfg, dev)
    n = eager.n_runs
    flops = step_flops(eager)
    mm, mm_flops = matmul_call(dev)  # the peak, timed in turn with the steps it divides
    steps: dict[str, Callable[[], Any]] = {"mm": mm, "eager": eager.step,
                                           "optimized": fast.step}
    separate = None
    if with_separate:
        separate = SeparateRuns(cfg, dev)
        separate.step()
        first_d, first_g = _floats(separate.loss_d), _floats(separate.loss_g)
        steps["separate"] = separate.step
    timed = _rates(steps, dev, seconds, warmup, blocks)
    entry: dict[str, Any] = {
        "runs": n,
        "flops_per_step": flops,
        "compile_seconds": compile_seconds,
        "compiled": not unavailable,
        "compile_unavailable": unavailable,
        "batched_losses": {"d": _floats(fast.loss_d), "g": _floats(fast.loss_g)},
    }
    peak = timed.pop("mm")["best"] * mm_flops / 1e9
    entry["matmul_gflops"] = peak
    for name, rate in timed.items():
        entry[f"{name}_matmul_fraction"] = rate["best"] * flops["total"] / 1e9 / peak
        entry[f"{name}_run_steps_per_s"] = rate["best"] * n
        entry[f"median_{name}_run_steps_per_s"] = rate["median"] * n
        entry[f"{name}_gflops"] = rate["best"] * flops["total"] / 1e9
        entry.setdefault("timed_steps", {})[name] = rate["calls"]
        entry.setdefault("page_faults_per_step", {})[name] = rate["faults"]
    entry["optimized_over_eager"] = timed["optimized"]["best"] / timed["eager"]["best"]
    if separate is not None:
        entry["speedup_over_separate"] = timed["optimized"]["best"] / timed["separate"]["best"]
        entry["separate_losses"] = {"d_first": first_d, "g_first": first_g,
                                    "d_last": _floats(separate.loss_d),
                                    "g_last": _floats(separate.loss_g)}
    return entry


def run_bench(device: str = "auto", quick: bool = False,
              sizes: tuple[int, ...] = (4, 16, 64)) -> dict[str, Any]:
    """Measure the eager and the optimized (compiled) step against matmul throughput.

    For R = 4, 16 and 64 runs of the default preset: eager and optimized run-steps/s and
    their share of this machine's float32 matmul throughput, timed in turn with them (so
    that a load that comes and goes changes both alike); the same runs as
    separate ``nn.Module`` s for information (R = 4 and 16: at 64 they only take time).
    Then the window's training loop with its probes (:mod:`ganviz.bench.probe_share`).
    Uses every core (``torch.set_num_threads``; restored afterwards). Rates are the best
    of 8 (quick: 3) interleaved blocks; medians are kept beside them. ``quick`` shortens
    every measurement (for tests); its figures are rougher.
    """
    dev = resolve_device(device)
    seconds = 0.3 if quick else 3.0
    warmup = 1 if quick else 15
    blocks = 3 if quick else 8
    busy = _cpu_busy(0.2 if quick else 0.5)
    old_threads = torch.get_num_threads()
    threads = _cores()
    torch.set_num_threads(threads)
    started = time.perf_counter()
    try:
        base = load_preset("default")
        entries = []
        for r_target in sizes:
            cfg = base.with_overrides({"runs": {"seeds": list(range(r_target // 4))}})
            entry = _size_entry(cfg, dev, seconds, warmup, blocks,
                                with_separate=r_target <= 16)
            if entry["runs"] != r_target:
                raise RuntimeError(f"bench: the default preset gives {entry['runs']} runs, "
                                   f"not {r_target}")
            entries.append(entry)
        for entry in entries:
            entry["goal_matmul_fraction"] = GOALS.get(entry["runs"])
        probes = measure_probe_share(base, 1.0 if quick else 6.0,
                                     training_threads(base.train.threads, leave_for_gui=True))
    finally:
        torch.set_num_threads(old_threads)
    return {
        "torch": str(torch.__version__),
        "device": str(dev),
        "threads": threads,
        "quick": quick,
        "blocks": blocks,
        "cpu_busy_before": busy,
        "matmul_size": MATMUL_SIZE,
        "matmul_gflops": max(e["matmul_gflops"] for e in entries),
        "sizes": entries,
        "probes": probes,
        "seconds": time.perf_counter() - started,
    }


def format_report(result: dict[str, Any]) -> str:
    """A small human table of a :func:`run_bench` result."""
    lines = [
        f"ganviz bench (torch {result['torch']}, {result['device']}, "
        f"{result['threads']} threads{', quick' if result.get('quick') else ''})",
        f"matmul throughput:   {result['matmul_gflops']:.1f} GFLOP/s "
        f"({result['matmul_size']}x{result['matmul_size']} float32 mm; timed in turn with "
        "each R's steps: " + " / ".join(f"{s['matmul_gflops']:.0f}" for s in result["sizes"])
        + ")",
        f"{'R':<4} {'eager':>14} {'optimized':>14} {'opt/eager':>9} {'% of peak':>17}"
        f" {'goal':>6} {'separate':>14}",
        f"{'':<4} {'run-steps/s':>14} {'run-steps/s':>14} {'':>9} {'eager / optimized':>17}"
        f" {'':>6} {'run-steps/s':>14}",
    ]
    notes = []
    for s in result["sizes"]:
        goal = s.get("goal_matmul_fraction")
        goal_text = "" if goal is None else f"{100 * goal:.0f}%" + (
            " ok" if s["optimized_matmul_fraction"] >= goal else " no")
        sep = s.get("separate_run_steps_per_s")
        shares = (f"{100 * s['eager_matmul_fraction']:.1f}% / "
                  f"{100 * s['optimized_matmul_fraction']:.1f}%")
        lines.append(
            f"{s['runs']:<4} {s['eager_run_steps_per_s']:>14.0f} "
            f"{s['optimized_run_steps_per_s']:>14.0f} {s['optimized_over_eager']:>8.2f}x "
            f"{shares:>17} {goal_text:>6} {'' if sep is None else f'{sep:.0f}':>14}".rstrip())
        if s["compile_unavailable"]:
            notes.append(f"R = {s['runs']}: not compiled ({s['compile_unavailable']}); "
                         "optimized = eager")
        else:
            notes.append(f"R = {s['runs']}: compiled in {s['compile_seconds']:.1f} s")
    lines.append(f"(rates: best of {result['blocks']} interleaved timing blocks; % of peak: "
                 "analytic matmul FLOPs per step / the mm throughput timed in turn with them; "
                 "separate: the same runs as separate nn.Modules, for information)")
    lines.extend(notes)
    probes = result.get("probes")
    if probes:
        lines.append(format_probe_share(probes))
    busy = result.get("cpu_busy_before")
    if busy is not None and busy > 0.2:
        lines.append(f"note: other processes used {100 * busy:.0f}% of the CPUs just before the "
                     "bench; they compete for the cores, so these figures may be low")
    return "\n".join(lines)

def headless_steps_per_sec(cfg: Config, seconds: float, threads: int) -> tuple[float, str]:
    """Training steps per second of the bare trainer (evaluating every ``eval.every`` steps,
    as the window's worker does), on ``threads`` torch threads, after a short warm-up; on
    the compiled step when the config asks for it and it compiles. Also which step ran."""
    rate, _, path = headless_run(cfg, seconds, threads)
    return rate, path


def headless_run(cfg: Config, seconds: float, threads: int) -> tuple[float, float, str]:
    """As :func:`headless_steps_per_sec`, and the steps per CPU second of the training thread
    (time other processes take from it on a busy machine does not count)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        device = resolve_device(cfg.train.device)
        trainer, path = Trainer(cfg, device), "eager step"
        if cfg.train.compile:
            trainer, _, unavailable = _compiled_trainer(cfg, device)
            path = "eager step" if unavailable else "compiled step"
        for _ in range(20):
            trainer.step()
        start_step, t0, cpu0 = trainer.step_count, time.perf_counter(), time.thread_time()
        while time.perf_counter() - t0 < seconds:
            trainer.step()
            if trainer.step_count % cfg.eval.every == 0:
                trainer.evaluate()
        steps = trainer.step_count - start_step
        cpu = time.thread_time() - cpu0
        return (steps / (time.perf_counter() - t0), steps / cpu if cpu > 0 else 0.0, path)
    finally:
        torch.set_num_threads(previous)
