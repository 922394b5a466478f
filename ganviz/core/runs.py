"""Runs: the (estimator, sigma, seed) combinations a config trains side by side."""

from __future__ import annotations

from ganviz.core.config import Config
from ganviz.core.contract import RunSpec


def expand_runs(cfg: Config) -> list[RunSpec]:
    """All runs of a config, in estimator order, then sigma, then seed."""
    r = cfg.runs
    specs: list[tuple[str, float, bool]] = []
    for est in r.estimators:
        if est == "plugin":
            specs.append((est, r.plugin_sigma, False))
        elif r.learns_sigma(est):
            specs.append((est, r.sigma_init, True))
        else:
            specs.extend((est, s, False) for s in r.sigmas)
    runs = []
    for est, sigma, learned in specs:
        for seed in r.seeds:
            runs.append(RunSpec(len(runs), est, seed, sigma, learned,
                                r.covariance if learned else "isotropic"))
    return runs
