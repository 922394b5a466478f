"""One optimisation step for all runs at once; run state; metrics history; checkpoints.

The trainer is plain code (no Qt): ``step()`` advances every active run by k_D
discriminator and k_G generator steps, ``evaluate()`` appends one metrics row per
run to ``history`` (a :class:`~ganviz.core.history.MetricHistory`, columns [T, R]). All tensors
live on ``self.device``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganviz.core.atomic import write_atomic
from ganviz.core.config import Config
from ganviz.core.contract import RunSpec
from ganviz.core.history import MetricHistory
from ganviz.core.runs import expand_runs
from ganviz.data.mixtures import DataSource
from ganviz.engine import covariance, estimators, metrics
from ganviz.engine.checkpoint import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    CheckpointError,
    check_fits,
    check_state,
    checkpoint_config,
    history_state,
    one_line,
    read_checkpoint,
    state_history,
)
from ganviz.engine.device import resolve_device
from ganviz.engine.draws import fill_runs, normal_runs, run_generators
from ganviz.engine.draws import seed64 as _seed64
from ganviz.engine.nets import build_discriminator, build_generator
from ganviz.engine.optim import BatchedOptimizer
from ganviz.engine.step import (
    StepFunctions,
    StepSpec,
    eager_functions,
    fake_samples,
    generator_loss,
)
from ganviz.engine.step import generate as step_generate
from ganviz.engine.step import latent as step_latent


class Trainer:
    """All runs of one config, trained in lock step as one batched model."""

    def __init__(self, cfg: Config, device: torch.device | str | None = None) -> None:
        self.cfg = cfg.validate()
        self.device = torch.device(device) if device is not None else resolve_device(
            cfg.train.device)
        self.runs: list[RunSpec] = expand_runs(cfg)
        m, t = cfg.model, cfg.train
        n = len(self.runs)
        seeds = [r.seed for r in self.runs]
        self._set_data(cfg)
        self.G = build_generator(m, seeds, cfg.runs.sigma_init, t.sigma_min,
                                 cfg.runs.covariance).to(self.device)
        self.D = build_discriminator(m, seeds).to(self.device)
        betas = (t.beta1, t.beta2)
        self.opt_g = BatchedOptimizer(list(self.G.parameters()), t.optimizer, t.lr_g, betas,
                                      t.momentum)
        self.opt_d = BatchedOptimizer(list(self.D.parameters()), t.optimizer, t.lr_d, betas,
                                      t.momentum)
        self.noise = [torch.Generator(device=self.device).manual_seed(_seed64(r.seed, 7))
                      for r in self.runs]
        self.names = [r.estimator for r in self.runs]
        self.learned = torch.tensor([r.learned_sigma for r in self.runs],
                                    device=self.device).view(n, 1, 1)
        self.sigma_start = torch.tensor([r.sigma for r in self.runs], device=self.device)
        self.active = [True] * n
        self._mask_cache: torch.Tensor | None = None
        self.diverged = torch.zeros(n, dtype=torch.bool, device=self.device)
        self.run_steps = torch.zeros(n, dtype=torch.int64, device=self.device)
        self.loss_d = torch.full((n,), math.nan, device=self.device)
        self.loss_g = torch.full((n,), math.nan, device=self.device)
        self.step_count = 0
        self.history = MetricHistory(self.names, seeds)
        self.functions: StepFunctions = eager_functions(self.step_spec())

    # ----------------------------------------------------------------- runs
    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return len(self.runs)

    def set_active(self, index: int, active: bool) -> None:
        """Pause (False) or resume (True) one run; a paused run does not change at all."""
        self.active[index] = bool(active)
        self._mask_cache = None

    def update_mask(self) -> torch.Tensor:
        """Runs that change in the next step: active and not diverged [R] bool."""
        if self._mask_cache is None:
            self._mask_cache = torch.tensor(self.active, device=self.device)
        return self._mask_cache & ~self.diverged

    def apply_live(self, cfg: Config) -> None:
        """Take settings that may change between steps (learning rates, loss, k_D/k_G, batch,
        sigma schedule, data, evaluation, probes); model and runs must stay the same."""
        cfg = cfg.validate()
        if cfg.model != self.cfg.model or cfg.runs != self.cfg.runs:
            raise ValueError("model and runs settings need a new trainer")
        if cfg.data != self.cfg.data or cfg.eval.samples != self.cfg.eval.samples:
            self._set_data(cfg)  # first: a refused data file leaves the trainer as it was
        t = cfg.train
        for opt, lr in ((self.opt_g, t.lr_g), (self.opt_d, t.lr_d)):
            opt.lr, opt.betas, opt.momentum = lr, (t.beta1, t.beta2), t.momentum
        self.cfg = cfg
        if self.functions.spec != self.step_spec():  # a compiled step is for one spec
            self.functions = eager_functions(self.step_spec())

    def step_spec(self) -> StepSpec:
        """The static choices of this trainer's step under its current config."""
        m, t = self.cfg.model, self.cfg.train
        return StepSpec(
            g_net=self.G.spec, d_net=self.D.spec, latent_dim=m.latent_dim, latent=m.latent,
            batch=t.batch_size, sigma_min=t.sigma_min, loss=t.loss, real_noise=t.real_noise,
            plugin=tuple(n == "plugin" for n in self.names),
            score=tuple(n == "score" for n in self.names),
            learned=tuple(r.learned_sigma for r in self.runs),
            baseline=self.cfg.runs.score_baseline, covariance=self.cfg.runs.covariance,
            sigma_entropy=self.cfg.runs.sigma_entropy)

    def use_functions(self, functions: StepFunctions) -> bool:
        """Take ``functions`` (e.g. the compiled step) for the next steps; False (and
        nothing changes) when they were made for another spec than the current one."""
        if functions.spec != self.step_spec():
            return False
        self.functions = functions
        return True

    def _set_data(self, cfg: Config) -> None:
        """The real data, the evaluation reference sample and the view extent for ``cfg``."""
        data = DataSource(cfg.data, self.device)  # may refuse a data file: nothing changes
        self.data = data
        self._reference = data.reference(cfg.eval.samples)
        self._reference_term: torch.Tensor | None = None  # E|Y - Y'|, at the first evaluation
        self.extent = data.extent()

    def diverged_list(self) -> list[bool]:
        """Which runs have been frozen after going non-finite."""
        return self.diverged.tolist()

    # ------------------------------------------------------------- sampling
    def fixed_sigma(self) -> torch.Tensor:
        """Current fixed sigma of every run [R] after its schedule (runs starting at 0 stay 0)."""
        t = self.cfg.train
        s0 = self.sigma_start
        if t.sigma_schedule == "constant":
            return s0
        horizon = t.schedule_steps or t.steps
        frac = (self.run_steps.to(s0.dtype) / horizon).clamp(0, 1)
        if t.sigma_schedule == "linear":
            s = s0 + (t.sigma_final - s0) * frac
        else:
            s = s0 * (t.sigma_final / s0.clamp_min(1e-30)) ** frac
        return torch.where(s0 > 0, s, s0)

    def generate(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Generator means [R, N, 2] and scales for latents z [R, N, d]: sigma [R, N, 1],
        [R, N, 2] or L [R, N, 2, 2] by the covariance form (:func:`ganviz.engine.step.generate`)."""
        return step_generate(self.functions.spec, self.G.params(), z, self.fixed_sigma())

    def latent(self, normal: torch.Tensor) -> torch.Tensor:
        """Map standard normal draws to the configured latent distribution."""
        return step_latent(self.functions.spec, normal)

    def f(self, x: torch.Tensor) -> torch.Tensor:
        """Generator per-sample loss f(x) under the current D: x [R, N, 2] -> [R, N]."""
        return generator_loss(self.D(x)[..., 0], self.cfg.train.loss)

    def _normal(self, n: int, width: int) -> torch.Tensor:
        """Per-run standard normal draws [R, n, width] from each active run's own generator
        (the same numbers as ``torch.randn(n, width, generator=gen)``; zeros when paused)."""
        out = torch.empty(self.n_runs, n, width, device=self.device)
        return fill_runs(out, self.active,
                         lambda r, row: row.normal_(generator=self.noise[r]))

    def _real(self, n: int) -> torch.Tensor:
        """Per-run real minibatches [R, n, 2], each from its run's own generator."""
        return self.data.batches(n, [gen if on else None
                                     for gen, on in zip(self.noise, self.active, strict=True)])

    # ----------------------------------------------------------------- step
    def step(self) -> None:
        """Advance every active, finite run by k_D discriminator and k_G generator steps
        (with :attr:`functions`: the eager step, or the compiled one once it is in use)."""
        t = self.cfg.train
        if not any(self.active):
            return
        mask = self.update_mask()
        fns = self.functions
        spec = fns.spec
        g, d = self.G.params(), self.D.params()
        fixed = self.fixed_sigma()
        b = t.batch_size
        simultaneous = t.update == "simultaneous"  # then k_d = k_g = 1 (the config says so)
        g_noise = d_at_start = None
        for _ in range(t.k_d):
            noise = self._normal(b, spec.noise_width)
            real = self._real(b)
            if simultaneous:  # G's step takes its gradient at this D, on this batch's z, eps
                g_noise = noise[..., :spec.latent_dim + 2].contiguous()
                d_at_start = d.with_flat([p.detach().clone() for p in d.flat()])
            if fns.d_step is not None:
                loss, finite = fns.d_step(g, d, noise, real, fixed, *self.opt_d.pure_state(),
                                          mask, self.opt_d.hyper())
            else:
                loss = fns.d_losses(g, d, noise, real, fixed)
                finite = self._eager_update(self.opt_d, loss, mask)
            mask = self._settle(finite, mask)
            self.loss_d = torch.where(mask, loss.detach(), self.loss_d)
        for _ in range(t.k_g):
            noise = self._normal(b, spec.latent_dim + 2) if g_noise is None else g_noise
            d_g = d if d_at_start is None else d_at_start
            if fns.g_step is not None:
                terms, finite = fns.g_step(g, d_g, noise, fixed, *self.opt_g.pure_state(),
                                           mask, self.opt_g.hyper())
            else:
                terms = fns.g_terms(g, d_g, noise, fixed)
                finite = self._eager_update(self.opt_g, terms, mask)
            mask = self._settle(finite, mask)
            self.loss_g = torch.where(mask, terms.detach(), self.loss_g)
        self.run_steps += mask.to(self.run_steps.dtype)
        self.step_count += 1

    @staticmethod
    def _eager_update(opt: BatchedOptimizer, loss: torch.Tensor, mask: torch.Tensor
                      ) -> torch.Tensor:
        """Autograd and the optimiser's own step for the masked runs whose loss is finite;
        which runs' loss and new values are finite."""
        grads = torch.autograd.grad(loss.sum(), opt.params, allow_unused=True)
        finite_loss = torch.isfinite(loss.detach())
        return opt.step(grads, mask & finite_loss) & finite_loss

    def _settle(self, finite: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Freeze the masked runs that went non-finite; the runs still updating."""
        self.diverged |= mask & ~finite
        return mask & finite

    # ------------------------------------------------------------ evaluation
    def probe_generators(self, salt: int = 0) -> list[torch.Generator]:
        """Per-run generators for evaluation draws that never touch the training noise: run
        r's is seeded from (data seed, step, ``salt``, its own seed), so its draws do not
        depend on which other runs share the batch."""
        return run_generators(self.device, [r.seed for r in self.runs], self.cfg.data.seed,
                              self.step_count, salt)

    def sample_model(self, n: int, gens: list[torch.Generator]
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` model samples x [R, n, 2] and their stds (no gradients), run r's from
        ``gens[r]``: sigma(z) [R, n], or for a non-isotropic covariance both eigen-stds of
        every sample [R, 2n] (:func:`ganviz.engine.covariance.summary_stds`)."""
        d = self.cfg.model.latent_dim
        spec = self.functions.spec
        with torch.no_grad():
            noise = normal_runs(gens, n, d + 2, self.device)
            mu, scale = self.generate(self.latent(noise[..., :d]))
            return (fake_samples(spec, mu, scale, noise[..., d:]),
                    covariance.summary_stds(scale, spec.covariance))

    def gradient_estimates(self, batches: int, gens: list[torch.Generator]) -> torch.Tensor:
        """Generator parameter-gradient estimates on independent minibatches: [M, R, P]
        (run r's draws from ``gens[r]``)."""
        d, b = self.cfg.model.latent_dim, self.cfg.train.batch_size
        out = []
        for _ in range(batches):
            noise = normal_runs(gens, b, d + 2, self.device)
            mu, sigma = self.generate(self.latent(noise[..., :d]))
            terms = estimators.surrogate_terms(self.names, self.f, mu, sigma, noise[..., d:])
            grads = torch.autograd.grad(terms.sum(), self.opt_g.params, allow_unused=True)
            flat = [torch.zeros_like(p) if g is None else g
                    for p, g in zip(self.opt_g.params, grads, strict=True)]
            out.append(torch.cat([g.flatten(1) for g in flat], dim=1))
        return torch.stack(out)

    def evaluate(self) -> list[dict[str, Any]]:
        """Compute the metrics of every run now, append them to ``history`` and return them
        as one row per run (the columns of ``metrics.csv``)."""
        self.begin_evaluation().finish()
        return self.history.last()

    def begin_evaluation(self) -> PendingEvaluation:
        """Start the metrics of the current step and return what is left of them.

        What reads the model (samples, gradient estimates, losses, sigma) is taken now; the
        rest, mostly the energy distance's blocks of pairs (milliseconds each), runs one
        piece per :meth:`PendingEvaluation.advance`, so a caller may train between pieces.
        The row lands in ``history`` at the last piece, under this step and with the numbers
        :meth:`evaluate` gives. Until then the trainer's data must not change.
        """
        pieces = self._evaluation_pieces()
        next(pieces)
        return PendingEvaluation(pieces)

    def _evaluation_pieces(self) -> Generator[None, None, None]:
        e = self.cfg.eval
        step = self.step_count
        gens = self.probe_generators(salt=1)
        samples, sigma = self.sample_model(e.samples, gens)
        q10, q90 = metrics.quantiles(sigma, (0.1, 0.9))
        rel_var = metrics.relative_variance(self.gradient_estimates(e.grad_var_batches, gens))
        model = {"sigma": self.fixed_sigma(), "loss_d": self.loss_d, "loss_g": self.loss_g,
                 "sigma_mean": sigma.mean(1), "sigma_p10": q10, "sigma_p90": q90,
                 "grad_rel_var": rel_var}
        host = {k: v.detach().float().cpu().numpy() for k, v in model.items()}
        learned = self.learned.view(-1).cpu().numpy()
        diverged = self.diverged.cpu().numpy()
        yield  # the model may train on from here
        stats = metrics.mode_stats(samples, self.data.mixture) if self.data.has_modes else \
            dict.fromkeys(("modes", "hq_fraction", "reverse_kl"),
                          torch.full((self.n_runs,), math.nan, device=self.device))
        js = metrics.grid_js_divergence(samples, self._reference, self.extent, e.js_bins)
        if self._reference_term is None:
            self._reference_term = yield from metrics.pair_distance_mean_pieces(
                self._reference, self._reference, exclude_diagonal=True)
        energy = yield from metrics.energy_distance_pieces(samples, self._reference,
                                                           self._reference_term)
        sample_columns = {"modes": stats["modes"], "hq_fraction": stats["hq_fraction"],
                          "reverse_kl": stats["reverse_kl"], "js_divergence": js,
                          "energy_distance": energy}
        host.update({k: v.detach().float().cpu().numpy() for k, v in sample_columns.items()})
        host["sigma"] = np.where(learned, host["sigma_mean"], host["sigma"])
        host["diverged"] = diverged
        self.history.append(step, host)

    def train(self, steps: int, on_step=None, should_stop=None) -> None:
        """Run ``steps`` steps, evaluating at step 0, every ``eval.every`` steps and at the
        configured last step ``train.steps``.

        ``on_step(trainer)`` is called after each step; ``should_stop()`` is checked
        before each step and ends the loop early when it returns True.
        """
        every = self.cfg.eval.every
        if self.step_count == 0 and not self.history:
            self.evaluate()
        for _ in range(steps):
            if should_stop is not None and should_stop():
                break
            self.step()
            if self.step_count % every == 0 or self.step_count == self.cfg.train.steps:
                self.evaluate()
            if on_step is not None:
                on_step(self)

    # ----------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """The complete training state (CPU tensors and plain Python values)."""
        return {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "config": self.cfg.to_dict(),
            "device_type": self.device.type,
            "step": self.step_count,
            "G": {k: v.cpu() for k, v in self.G.state_dict().items()},
            "D": {k: v.cpu() for k, v in self.D.state_dict().items()},
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "noise": [g.get_state() for g in self.noise],
            "active": list(self.active),
            "diverged": self.diverged.cpu(),
            "run_steps": self.run_steps.cpu(),
            "loss_d": self.loss_d.cpu(),
            "loss_g": self.loss_g.cpu(),
            "history": history_state(self.history),
        }

    def save_checkpoint(self, path: str | Path) -> None:
        """Write the complete state atomically to ``path``."""
        buf = io.BytesIO()
        torch.save(self.state_dict(), buf)
        data = buf.getvalue()
        write_atomic(Path(path), lambda fh: fh.write(data))

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` output (same runs and model) onto this trainer's device.

        The whole state is checked first (:func:`ganviz.engine.checkpoint.check_state` and
        :func:`~ganviz.engine.checkpoint.check_fits`): a refused state leaves this trainer
        unchanged.
        """
        check_state(state)
        check_fits(state, self)
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        for gen, s in zip(self.noise, state["noise"], strict=True):
            gen.set_state(s)
        self.active = [bool(a) for a in state["active"]]
        self._mask_cache = None
        self.diverged.copy_(state["diverged"])
        self.run_steps.copy_(state["run_steps"])
        self.loss_d.copy_(state["loss_d"])
        self.loss_g.copy_(state["loss_g"])
        self.step_count = int(state["step"])
        self.history = state_history(state, self.names, [r.seed for r in self.runs])

    @classmethod
    def from_state(cls, state: dict[str, Any], device: torch.device | str | None = None, *,
                   steps: int | None = None) -> Trainer:
        """A trainer built from a checkpoint state's config (``steps`` replaces
        ``train.steps``) and restored to it; any failure is one :class:`CheckpointError` line."""
        cfg = checkpoint_config(state, steps)
        try:
            trainer = cls(cfg, device=device)
        except Exception as exc:  # the config validated but cannot build a model here
            raise CheckpointError(f"checkpoint: its config cannot build a trainer "
                                  f"({one_line(exc)})") from None
        trainer.load_state_dict(state)
        return trainer

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: torch.device | str | None = None
                        ) -> Trainer:
        """A trainer restored from a checkpoint file; continuing gives the same next steps."""
        return cls.from_state(read_checkpoint(path), device=device)


class PendingEvaluation:
    """The rest of one evaluation (:meth:`Trainer.begin_evaluation`), a piece at a time."""

    def __init__(self, pieces: Generator[None, None, None]) -> None:
        self._pieces = pieces
        self.done = False

    def advance(self) -> bool:
        """Compute the next piece; True once the row is in the history."""
        if not self.done:
            try:
                next(self._pieces)
            except StopIteration:
                self.done = True
        return self.done

    def finish(self) -> None:
        """Compute every piece left."""
        if not self.done:
            metrics.run_pieces(self._pieces)
            self.done = True
