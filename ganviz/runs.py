"""Runs: the (estimator, sigma, seed) combinations a config trains side by side."""

from __future__ import annotations

from dataclasses import dataclass

from ganviz.config import Config
from ganviz.estimators import FULL_NAMES


@dataclass(frozen=True)
class RunSpec:
    """One run. ``sigma`` is the fixed (schedule start) value, or the initial one if learned."""

    index: int
    estimator: str
    seed: int
    sigma: float
    learned_sigma: bool

    @property
    def label(self) -> str:
        """Short unique label, e.g. ``reparam_fixed s=0.05 seed=0``."""
        sig = "s=learned" if self.learned_sigma else f"s={self.sigma:g}"
        return f"{self.estimator} {sig} seed={self.seed}"

    @property
    def title(self) -> str:
        """Human title, e.g. ``reparameterized, fixed sigma = 0.05``."""
        name = FULL_NAMES[self.estimator]
        if self.learned_sigma:
            return name if self.estimator == "reparam_learned" else f"{name}, learned sigma(z)"
        return f"{name}, sigma = {self.sigma:g}"


def expand_runs(cfg: Config) -> list[RunSpec]:
    """All runs of a config, in estimator order, then sigma, then seed."""
    r = cfg.runs
    specs: list[tuple[str, float, bool]] = []
    for est in r.estimators:
        if est == "plugin":
            specs.append((est, r.plugin_sigma, False))
        elif est == "reparam_learned" or (est == "score" and r.score_learned_sigma):
            specs.append((est, r.sigma_init, True))
        else:
            specs.extend((est, s, False) for s in r.sigmas)
    runs = []
    for est, sigma, learned in specs:
        for seed in r.seeds:
            runs.append(RunSpec(len(runs), est, seed, sigma, learned))
    return runs
