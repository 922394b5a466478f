"""How big a configuration is: its number of runs and the working memory of a step, with
the limits past which it is refused by name instead of swapping for minutes."""

from __future__ import annotations

from typing import Protocol

from ganviz.core.sections import DataConfig, EvalConfig, ModelConfig, RunsConfig, TrainConfig
from ganviz.core.settings import ConfigError


class Sections(Protocol):
    """The sections a size depends on (a :class:`~ganviz.core.config.Config` has them)."""

    data: DataConfig
    model: ModelConfig
    train: TrainConfig
    runs: RunsConfig
    eval: EvalConfig


MAX_RUNS = 256  # runs in one batched trainer
# Estimated peak working memory of one training step or evaluation. The limit fits the
# machines ganviz targets (a workstation or a 2-core, 24 GiB CI box): a config past it is
# refused by name instead of swapping for minutes and failing.
MEMORY_LIMIT_GIB = 8.0


def run_count(cfg: Sections) -> int:
    """How many runs ``cfg`` trains side by side (estimators x sigmas x seeds)."""
    r = cfg.runs
    per_seed = 0
    for est in r.estimators:
        per_seed += len(r.sigmas) if r.uses_sigmas(est) else 1
    return per_seed * len(r.seeds)


def memory_estimate_gib(cfg: Sections) -> dict[str, float]:
    """A generous estimate of the peak working memory, in GiB, of a training step (keyed
    ``train.batch_size``) and of an evaluation (keyed ``eval.samples``).

    Counts the activations autograd keeps (and their gradients) in a discriminator step,
    which sees real and fake batches, in a generator step, and in an evaluation; probes are
    computed in bounded chunks and are not counted.
    """
    m, t, e = cfg.model, cfg.train, cfg.eval
    runs = run_count(cfg)
    d_per_point = 2 + sum(w * (m.d_maxout + 1) * 2 for w in m.d_hidden)
    g_per_point = m.latent_dim + sum(w * (3 if m.g_batchnorm else 2) * 2 for w in m.g_hidden)
    modes = max(len(cfg.data.means), 25)
    step = max(2 * t.batch_size * d_per_point, t.batch_size * (g_per_point + d_per_point))
    evaluation = e.samples * (g_per_point // 2 + modes + 8)
    gib = runs * 4 / 2**30
    return {"train.batch_size": step * gib, "eval.samples": evaluation * gib}


def check_size(cfg: Sections) -> None:
    """Refuse configs that cannot fit: too many runs, or a step past the memory limit."""
    n = run_count(cfg)
    if n > MAX_RUNS:
        raise ConfigError("runs", f"{n} runs (estimators x sigmas x seeds); the limit is "
                                  f"{MAX_RUNS} in one trainer")
    need = memory_estimate_gib(cfg)
    field_name = max(need, key=need.__getitem__)
    if need[field_name] > MEMORY_LIMIT_GIB:
        t = cfg.train
        raise ConfigError(field_name, f"{n} runs at batch {t.batch_size} (eval samples "
                                      f"{cfg.eval.samples}) would need about "
                                      f"{need[field_name]:.1f} GiB; the limit is "
                                      f"{MEMORY_LIMIT_GIB:g} GiB (use fewer runs, a smaller "
                                      "batch or eval sample, or narrower layers)")
