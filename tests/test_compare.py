import csv

import pytest
from PIL import Image

from ganviz.cli import main
from ganviz.compare import aggregate, protocol_config
from ganviz.config import ConfigError
from ganviz.trainer import Trainer


def test_protocol_config_and_aggregate_over_seeds():
    cfg = protocol_config("pacgan-grid", seeds=3, steps=4, sigmas=[0.05, 0.2], device="cpu")
    assert cfg.runs.seeds == [0, 1, 2] and cfg.data.name == "grid25"
    cfg = cfg.with_overrides({"model": {"g_hidden": [16], "d_hidden": [16]},
                              "eval": {"samples": 200, "grad_var_batches": 2}})
    t = Trainer(cfg)
    t.train(4)
    groups = aggregate(t)
    # plugin, reparam_fixed x2 sigmas, reparam_learned, score x2 sigmas
    assert [(g["estimator"], g["sigma"]) for g in groups] == [
        ("plugin", "0"), ("reparam_fixed", "0.05"), ("reparam_fixed", "0.2"),
        ("reparam_learned", "learned"), ("score", "0.05"), ("score", "0.2")]
    for g in groups:
        assert g["seeds"] == 3 and g["modes_se"] >= 0 and 0 <= g["hq_fraction"] <= 1
    with pytest.raises(ConfigError, match="allowed: veegan-ring"):
        protocol_config("default", 1, None, None, None)


def test_compare_command_writes_tables_and_figure(tmp_path, capsys, qapp):
    out = tmp_path / "cmp"
    code = main(["compare", "--protocol", "veegan-ring", "--seeds", "2", "--steps", "6",
                 "--out", str(out), "--quiet", "--device", "cpu"])
    stdout = capsys.readouterr().out
    assert code == 0
    assert "| reparam_learned | learned |" in stdout
    md = (out / "results.md").read_text()
    assert "Command: `python main.py compare" in md and "± " in md
    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 and {"modes", "modes_se", "hq_fraction_se"} <= set(rows[0])
    assert (out / "summary.json").is_file() and (out / "checkpoint.pt").is_file()
    with Image.open(out / "densities.png") as im:
        assert im.size[0] > 1000 and im.size[1] > 500
    # resuming to more steps continues from the checkpoint
    code = main(["compare", "--protocol", "veegan-ring", "--seeds", "2", "--steps", "8",
                 "--out", str(out), "--quiet", "--resume", "--device", "cpu"])
    assert code == 0 and "8 iterations" in (out / "results.md").read_text()


def test_compare_bad_input(tmp_path, capsys):
    code = main(["compare", "--protocol", "nope", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2 and "--protocol: unknown protocol 'nope'" in err
    assert not (tmp_path / "x").exists()
