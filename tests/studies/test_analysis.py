"""The study's endpoints: the interval and test formulas against hand-computed values, and
the analyse command on folders made by hand (every run's outcome known)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from ganviz.cli import main
from ganviz.core.config import load_preset
from ganviz.studies.analysis import (
    holm,
    mcnemar_exact,
    median_interval,
    newcombe_paired,
    wilson,
)


def test_wilson_intervals_by_hand():
    z2 = 1.959963984540054 ** 2
    assert wilson(0, 10) == pytest.approx((0.0, z2 / (10 + z2)))  # 0.2775
    assert wilson(10, 10) == pytest.approx((10 / (10 + z2), 1.0))
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson(7, 10) == pytest.approx((0.3968, 0.8922), abs=1e-4)


def test_newcombe_paired_reduces_to_the_unpaired_form_when_uncorrelated():
    a, b, c, d = 6, 2, 3, 1  # ad = bc: phi = 0
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson(a + b, n)
    l2, u2 = wilson(a + c, n)
    diff, lo, hi = newcombe_paired(a, b, c, d)
    assert diff == pytest.approx(p1 - p2)
    assert lo == pytest.approx(p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2))
    assert hi == pytest.approx(p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def test_newcombe_paired_is_narrower_when_pairs_agree_and_covers_the_difference():
    correlated = newcombe_paired(10, 4, 1, 10)
    uncorrelated_like = newcombe_paired(5, 9, 6, 5)  # the same margins 14/25 and 11/25
    assert correlated[0] == pytest.approx(uncorrelated_like[0]) == pytest.approx(3 / 25)
    assert correlated[2] - correlated[1] < uncorrelated_like[2] - uncorrelated_like[1]
    assert correlated[1] < correlated[0] < correlated[2]
    assert newcombe_paired(20, 0, 0, 0)[0] == 0.0


def test_mcnemar_and_holm_by_hand():
    assert mcnemar_exact(9, 2) == pytest.approx(2 * (55 + 11 + 1) / 2048)
    assert mcnemar_exact(0, 0) == 1.0
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    adjusted = holm([0.2, math.nan, 0.01])
    assert adjusted[0] == pytest.approx(0.2) and math.isnan(adjusted[1])
    assert adjusted[2] == pytest.approx(0.02)


def test_median_interval_is_reproducible_and_contains_the_median():
    values = [0.1, 0.4, 0.35, 0.2, 0.9, 0.5, 0.45]
    a, b = median_interval(values), median_interval(values)
    assert a == b and a[0] == 0.4 and a[1] <= 0.4 <= a[2]
    assert math.isnan(median_interval([0.1, 0.2])[1])


# ------------------------------------------------------------------- the command

COLUMNS = ("step,run,estimator,seed,sigma,loss_d,loss_g,modes,hq_fraction,reverse_kl,"
           "js_divergence,energy_distance,sigma_mean,sigma_p10,sigma_p90,grad_rel_var,"
           "diverged")


def _group(folder: Path, outcomes: dict[tuple[str, int], list[float]]) -> Path:
    """A group folder of the default preset (ring8: 8 modes) whose runs capture the given
    modes at steps 0, 100, ..., 1000."""
    folder.mkdir(parents=True)
    load_preset("default").save(folder / "config.toml")
    lines = [COLUMNS]
    runs = list(outcomes)
    for k, modes in enumerate(zip(*outcomes.values(), strict=True)):
        for run, ((estimator, seed), m) in enumerate(zip(runs, modes, strict=True)):
            sigma = 0.05 if estimator == "reparam_fixed" else 0.0
            lines.append(f"{100 * k},{run},{estimator},{seed},{sigma},0.6,0.7,{m},"
                         f"{0.1 * seed + 0.5},0.1,0.2,0.3,{sigma},{sigma},{sigma},1.0,False")
    (folder / "metrics.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_analyse_writes_every_runs_endpoints_and_the_paired_table(tmp_path, capsys, qapp):
    late = [8] * 3  # steps 800, 900, 1000: the last fifth
    outcomes = {
        ("plugin", 0): [1] * 8 + late, ("plugin", 1): [1] * 8 + [8, 8, 7],
        ("plugin", 2): [1] * 8 + [7, 6, 5],
        ("reparam_fixed", 0): [1] * 8 + late, ("reparam_fixed", 1): [1] * 8 + [8, 7, 7],
        ("reparam_fixed", 2): [1] * 8 + late,
    }
    sweep = tmp_path / "sweep"
    _group(sweep / "ring", outcomes)
    out = tmp_path / "analysis"
    assert main(["analyse", str(sweep), "--out", str(out)]) == 0
    with open(out / "runs.csv", newline="") as fh:
        rows = {(r["estimator"], int(r["seed"])): r for r in csv.DictReader(fh)}
    assert len(rows) == 6
    assert rows[("plugin", 0)]["covers_final"] == "1" and rows[("plugin", 0)]["covers_late"] == "1"
    assert rows[("plugin", 1)]["covers_final"] == "0" and rows[("plugin", 1)]["covers_late"] == "1"
    assert rows[("plugin", 2)]["covers_late"] == "0"
    assert rows[("reparam_fixed", 1)]["covers_late"] == "0"  # 1 of 3 late evaluations
    assert float(rows[("plugin", 2)]["modes_late"]) == pytest.approx(6.0)
    assert rows[("plugin", 0)]["sigma"] == "0" and rows[("reparam_fixed", 0)]["sigma"] == "0.05"
    with open(out / "endpoints.csv", newline="") as fh:
        table = {r["estimator"]: r for r in csv.DictReader(fh)}
    fixed = table["reparam_fixed"]
    assert float(fixed["covers_final"]) == pytest.approx(2 / 3)
    assert float(fixed["covers_final_diff"]) == pytest.approx(1 / 3)  # seeds 2: 1 vs 0
    assert float(table["plugin"]["covers_final"]) == pytest.approx(1 / 3)
    md = (out / "endpoints.md").read_text()
    assert "| ring | reparam_fixed | 0.05 | 3 | 67 [" in md
    assert capsys.readouterr().out == md
    from PIL import Image

    with Image.open(out / "endpoints.png") as im:  # four plots in a row, at 2x
        assert im.size[0] >= 4 * 300 * 2 and im.size[1] >= 200 * 2
        assert im.getpixel((2, 2))[:3] == (0x16, 0x18, 0x1D)  # the dark theme's background
    import xml.etree.ElementTree as ET

    svg = ET.parse(out / "endpoints.svg").getroot()  # the same figure in vectors, for print
    assert svg.tag.endswith("svg") and float(svg.get("width").rstrip("ptxin")) > 0
    assert (out / "endpoints.pdf").read_bytes().startswith(b"%PDF")


def test_analyse_refuses_a_folder_without_results(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "analysis"
    code = main(["analyse", str(tmp_path / "empty"), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "no metrics.csv" in err, err
    assert not out.exists()
