"""Rounding replicates: how much of a seed's outcome is chaos (plan B's replicates,
docs/study.md, section 4).

Groups whose configs differ only in ``model.init_nudge`` (and in which seeds they ran) are
replicates of one another: the same seeds trained from initial networks one float32 step
apart. Per (family, estimator, sigma), over the seeds every replicate ran:

* ``flips``: the share of seeds whose ``covers_final`` is not the same in every replicate,
  with a Wilson interval;
* ``independent``: the flips expected if each replicate's outcome were an independent draw
  with the family's pooled coverage p, 1 - p^k - (1 - p)^k for k replicates;
* the coverage over the nudged replicates beside that over the unnudged ones.

Read from the analysed runs (``ganviz.studies.analysis``) and the groups' configs; no
training, no Qt.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from ganviz.core.config import Config
from ganviz.core.markdown import markdown_table
from ganviz.studies.analysis import (
    CONFIDENCE,
    GroupFolder,
    RunEndpoints,
    config_key,
    csv_text,
    interval_text,
    wilson,
)

# What may differ between replicates of one family: the nudge and the seeds.
REPLICATE_FIELDS = {"model": {"init_nudge": 0}, "runs": {"seeds": []}}
SEED_COLUMNS = ("family", "estimator", "sigma", "seed", "replicates", "covers_final",
                "flips")
ROW_COLUMNS = ("family", "estimator", "sigma", "replicates", "seeds", "flips", "flips_lo",
               "flips_hi", "independent", "covers_nudged", "covers_nudged_lo",
               "covers_nudged_hi", "covers_unnudged", "covers_unnudged_lo",
               "covers_unnudged_hi")


def families(groups: Sequence[tuple[str, Config]]) -> list[dict[int, str]]:
    """Sets of replicate groups (``groups``: name and config): per family, its groups by
    nudge; only families of two or more nudges."""
    by_key: dict[str, dict[int, str]] = defaultdict(dict)
    for name, cfg in groups:
        by_key[config_key(cfg, REPLICATE_FIELDS)][cfg.model.init_nudge] = name
    return [dict(sorted(f.items())) for f in by_key.values() if len(f) >= 2]


def _family_name(family: dict[int, str]) -> str:
    """The family by its unnudged group's name (else its first group's)."""
    return family.get(0, next(iter(family.values())))


def replicate_rows(family: dict[int, str], runs: Sequence[RunEndpoints]
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per setting of one family: the summary row; and one row per seed."""
    name = _family_name(family)
    outcome: dict[tuple[str, str, int], dict[int, bool]] = defaultdict(dict)
    nudge_of = {group: nudge for nudge, group in family.items()}
    for r in runs:
        if r.protocol in nudge_of:
            outcome[(r.estimator, r.sigma, r.seed)][nudge_of[r.protocol]] = r.covers_final
    k = len(family)
    per_setting: dict[tuple[str, str], list[tuple[int, dict[int, bool]]]] = defaultdict(list)
    for (estimator, sigma, seed), by_nudge in sorted(outcome.items()):
        if len(by_nudge) == k:  # seeds every replicate ran
            per_setting[(estimator, sigma)].append((seed, by_nudge))
    rows, seeds = [], []
    for (estimator, sigma), items in per_setting.items():
        n = len(items)
        flips = [len(set(b.values())) > 1 for _, b in items]  # per seed: not all alike
        flipped = sum(flips)
        nudged = [v for _, b in items for nudge, v in b.items() if nudge != 0]
        unnudged = [b[0] for _, b in items if 0 in b]
        pooled = sum(v for _, b in items for v in b.values()) / (n * k)
        row: dict[str, Any] = {"family": name, "estimator": estimator, "sigma": sigma,
                               "replicates": k, "seeds": n, "flips": flipped / n,
                               "independent": 1 - pooled ** k - (1 - pooled) ** k}
        row["flips_lo"], row["flips_hi"] = wilson(flipped, n)
        for label, values in (("covers_nudged", nudged), ("covers_unnudged", unnudged)):
            share = sum(values) / len(values) if values else float("nan")
            lo, hi = wilson(sum(values), len(values))
            row.update({label: share, f"{label}_lo": lo, f"{label}_hi": hi})
        rows.append(row)
        seeds += [{"family": name, "estimator": estimator, "sigma": sigma, "seed": seed,
                   "replicates": " ".join(str(nudge) for nudge in b),
                   "covers_final": " ".join(str(int(v)) for v in b.values()),
                   "flips": int(f)} for (seed, b), f in zip(items, flips, strict=True)]
    return rows, seeds


def replicate_texts(groups: Sequence[GroupFolder], runs: Sequence[RunEndpoints],
                    command: str) -> dict[str, str]:
    """``replicates.csv`` (one row per seed) and ``replicates.md`` for the replicate
    families among ``groups`` (``ganviz.studies.analysis.read_groups``; empty when there is
    none)."""
    rows: list[dict[str, Any]] = []
    seeds: list[dict[str, Any]] = []
    for family in families([(g.name, g.config) for g in groups]):
        more_rows, more_seeds = replicate_rows(family, runs)
        rows += more_rows
        seeds += more_seeds
    if not rows:
        return {}
    lines = ["# Rounding replicates", "", f"Command: `{command}`", "",
             "Groups that differ only in `model.init_nudge` (initial networks one float32 "
             "step apart) are replicates of one another. *Flips*: the share of seeds whose "
             "outcome (every mode covered at the end) is not the same in every replicate, "
             f"with a {CONFIDENCE:.0%} Wilson interval. *If independent*: the flips expected "
             "if each replicate were an independent draw with the pooled coverage p, "
             "1 - p^k - (1 - p)^k. Coverage over the nudged and the unnudged replicates "
             "with Wilson intervals.", ""]
    lines += markdown_table(
        ("family", "estimator", "sigma", "replicates", "seeds", "flips", "if independent",
         "covering, nudged", "covering, unnudged"),
        ([r["family"], r["estimator"], r["sigma"], str(r["replicates"]), str(r["seeds"]),
          interval_text(r["flips"], r["flips_lo"], r["flips_hi"], True),
          f"{100 * r['independent']:.0f}",
          interval_text(r["covers_nudged"], r["covers_nudged_lo"], r["covers_nudged_hi"], True),
          interval_text(r["covers_unnudged"], r["covers_unnudged_lo"], r["covers_unnudged_hi"],
                        True)] for r in rows))
    lines += ["", "Percentages; one row per seed in `replicates.csv`."]
    return {"replicates.csv": csv_text(SEED_COLUMNS, seeds),
            "replicates.md": "\n".join(lines) + "\n"}
