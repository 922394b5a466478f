"""Rounding replicates (plan B, docs/study.md): flips and coverage against counts made by
hand, on group folders made by hand whose configs differ only in ``model.init_nudge``."""

from __future__ import annotations

import csv
from pathlib import Path

from ganviz.cli import main
from ganviz.core.config import load_preset
from ganviz.studies.analysis import analyse, read_groups, wilson
from ganviz.studies.replicates import replicate_texts

COLUMNS = ("step,run,estimator,seed,sigma,loss_d,loss_g,modes,hq_fraction,reverse_kl,"
           "js_divergence,energy_distance,sigma_mean,sigma_p10,sigma_p90,grad_rel_var,"
           "diverged")


def _group(folder: Path, final_modes: dict[tuple[str, int], int], nudge: int,
           **overrides: dict) -> None:
    """A default-preset group (8 modes) of ``model.init_nudge`` = ``nudge`` whose runs end
    on the given modes (two evaluations, steps 0 and 100)."""
    folder.mkdir(parents=True)
    seeds = sorted({seed for _, seed in final_modes})
    cfg = load_preset("default").with_overrides(
        {"model": {"init_nudge": nudge}, "runs": {"seeds": seeds}, **overrides})
    cfg.save(folder / "config.toml")
    lines = [COLUMNS]
    for step in (0, 100):
        for run, ((estimator, seed), m) in enumerate(final_modes.items()):
            modes = m if step else 1
            lines.append(f"{step},{run},{estimator},{seed},0.0,0.6,0.7,{modes},0.5,0.1,0.2,"
                         "0.3,0.0,0.0,0.0,1.0,False")
    (folder / "metrics.csv").write_text("\n".join(lines) + "\n")


def _outcomes(covering: str, seeds: range) -> dict[tuple[str, int], int]:
    """Plug-in runs of ``seeds``: 8 modes where ``covering`` has a 1, else 5."""
    return {("plugin", s): 8 if c == "1" else 5 for s, c in zip(seeds, covering, strict=True)}


def test_flips_count_the_seeds_whose_outcome_differs_between_replicates(tmp_path):
    # seeds 0-3 in all three replicates; seeds 4-5 only in the unnudged run (left out)
    _group(tmp_path / "b" / "ring", _outcomes("110011", range(6)), 0)
    _group(tmp_path / "r" / "ring--init_nudge=1", _outcomes("1100", range(4)), 1)
    _group(tmp_path / "r" / "ring--init_nudge=2", _outcomes("1010", range(4)), 2)
    _group(tmp_path / "other", _outcomes("0000", range(4)), 1,
           train={"batch_size": 64})  # differs in more than the nudge: no family
    groups = read_groups([tmp_path / "b", tmp_path / "r", tmp_path / "other"])
    runs, _, _ = analyse(groups)
    texts = replicate_texts(groups, runs, "cmd")
    seeds = list(csv.DictReader(texts["replicates.csv"].splitlines()))
    assert [(r["seed"], r["covers_final"], r["flips"]) for r in seeds] == [
        ("0", "1 1 1", "0"), ("1", "1 1 0", "1"), ("2", "0 0 1", "1"), ("3", "0 0 0", "0")]
    assert {r["family"] for r in seeds} == {"ring"}
    md = texts["replicates.md"]
    # flips 2 of 4 seeds; covering: 2/4 unnudged, 4/8 nudged, so the pooled p = 6/12 and
    # independent draws would flip 1 - p^3 - (1 - p)^3 = 0.75 of the seeds
    half4, half8 = wilson(2, 4), wilson(4, 8)
    assert (f"| ring | plugin | 0 | 3 | 4 | 50 [{100 * half4[0]:.0f}, {100 * half4[1]:.0f}] "
            f"| 75 | 50 [{100 * half8[0]:.0f}, {100 * half8[1]:.0f}] "
            f"| 50 [{100 * half4[0]:.0f}, {100 * half4[1]:.0f}] |") in md
    assert "| other |" not in md


def test_no_replicates_no_table(tmp_path):
    _group(tmp_path / "ring", _outcomes("10", range(2)), 0)
    groups = read_groups([tmp_path / "ring"])
    assert replicate_texts(groups, analyse(groups)[0], "cmd") == {}


def test_analyse_writes_the_replicate_table(tmp_path, capsys, qapp):
    _group(tmp_path / "b" / "ring", _outcomes("10", range(2)), 0)
    _group(tmp_path / "r" / "ring--init_nudge=1", _outcomes("11", range(2)), 1)
    out = tmp_path / "analysis"
    assert main(["analyse", str(tmp_path / "b"), str(tmp_path / "r"), "--out", str(out)]) == 0
    capsys.readouterr()
    rows = list(csv.DictReader((out / "replicates.csv").read_text().splitlines()))
    assert [r["flips"] for r in rows] == ["0", "1"]
    assert "| ring | plugin | 0 | 2 | 2 | 50 [" in (out / "replicates.md").read_text()


def test_a_family_without_the_unnudged_group_has_no_unnudged_coverage(tmp_path):
    for n in (1, 2):
        _group(tmp_path / f"ring--init_nudge={n}", _outcomes("10", range(2)), n)
    groups = read_groups([tmp_path / f"ring--init_nudge={n}" for n in (1, 2)])
    md = replicate_texts(groups, analyse(groups)[0], "cmd")["replicates.md"]
    lo, hi = wilson(2, 4)  # 2 of the 4 nudged runs cover
    assert f"| ring--init_nudge=1 | plugin | 0 | 2 | 2 | 0 [0, 66] | 50 | 50 [{100 * lo:.0f}, " \
        f"{100 * hi:.0f}] | – |" in md
