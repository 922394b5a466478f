"""A resumed sweep trusts only its sweep file: an edited or foreign ``sweep.json`` or unit
checkpoint is refused in one line, and nothing inside or outside ``--out`` is changed."""

import json
import time
from pathlib import Path

import pytest

from ganviz.cli import main
from ganviz.studies.sweep import plan as sw
from ganviz.studies.sweep.run import DirectoryStore

SWEEP = """
protocols = ["pacgan-grid"]
seeds = 2
steps = 2
[overrides.model]
g_hidden = [8]
d_hidden = [8]
latent_dim = 2
[overrides.train]
batch_size = 16
{extra}
[overrides.eval]
samples = 100
grad_var_batches = 2
every = 2
[overrides.probe]
curve_fakes = 8
curve_draws = 4
curve_points = 3
[units]
seeds = 1
checkpoint_every = 1
"""


def _sweep_file(tmp_path: Path, extra: str = "", name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(SWEEP.format(extra=extra))
    return path


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, Path]:
    """A finished sweep folder and its sweep file (copied per test: tests edit them)."""
    root = tmp_path_factory.mktemp("finished")
    path = _sweep_file(root)
    out = root / "out"
    assert main(["sweep", str(path), "--out", str(out), "--quiet"]) == 0
    return path, out


def _copy(finished: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    import shutil

    path, out = finished
    shutil.copytree(out, tmp_path / "out")
    return path, tmp_path / "out"


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _resume_refused(capsys, path: Path, out: Path, message: str) -> None:
    before = _files(out.parent)
    code = main(["sweep", str(path), "--out", str(out), "--resume", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0, err
    assert err.startswith("ganviz: error: ") and message in err, err
    after = _files(out.parent)
    assert after == before, "a refused resume changed files"


def _edit_plan(out: Path, edit) -> None:
    plan = json.loads((out / sw.PLAN_NAME).read_text())
    edit(plan)
    (out / sw.PLAN_NAME).write_text(json.dumps(plan))


@pytest.mark.parametrize("key", ["../../OTHER-RUN", "/tmp/elsewhere", "a/../../b", ""])
def test_a_unit_key_is_never_a_path(finished, tmp_path, capsys, key):
    path, out = _copy(finished, tmp_path)
    other = tmp_path / "OTHER-RUN"  # another run's folder beside --out
    other.mkdir()
    (other / "checkpoint.pt").write_bytes(b"precious")

    def edit(plan):
        plan["units"][0]["key"] = key
    _edit_plan(out, edit)
    _resume_refused(capsys, path, out, f"units[0] is {key!r}")
    assert (other / "checkpoint.pt").read_bytes() == b"precious"


def test_the_store_refuses_keys_that_are_not_folder_names(tmp_path):
    store = DirectoryStore(tmp_path)
    for key in ("..", "../x", "a/b", "/abs", ".hidden", "", "a\\b", "x" * 300):
        with pytest.raises(sw.SweepError, match="not a plain folder name"):
            store.path(key)
    assert store.path("veegan-ring--free--seeds0") == \
        tmp_path / "units" / "veegan-ring--free--seeds0" / "checkpoint.pt"


def test_an_edited_unit_config_is_refused(finished, tmp_path, capsys):
    path, out = _copy(finished, tmp_path)

    def edit(plan):
        plan["units"][1]["config"]["train"]["lr_g"] = 0.5
    _edit_plan(out, edit)
    _resume_refused(capsys, path, out, "units[1].config.train.lr_g is not what the sweep")


def test_an_edited_group_config_is_refused(finished, tmp_path, capsys):
    path, out = _copy(finished, tmp_path)

    def edit(plan):
        plan["groups"]["pacgan-grid"]["train"]["lr_d"] = 0.5
    _edit_plan(out, edit)
    _resume_refused(capsys, path, out, "groups.pacgan-grid.train.lr_d is not what the sweep")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda p: p.update(units=[]), "lists no units"),
    (lambda p: p["units"].pop(), "lists 3 units, the sweep has 4"),
    (lambda p: p["units"][0].update(checkpoint_every=0), "checkpoint_every"),
    (lambda p: p["units"].reverse(), "units[0] is"),
])
def test_damaged_unit_lists_are_refused(finished, tmp_path, capsys, edit, message):
    path, out = _copy(finished, tmp_path)
    _edit_plan(out, edit)
    _resume_refused(capsys, path, out, message)


def test_a_unit_checkpoint_of_another_sweep_is_refused(finished, tmp_path, capsys):
    _path, out = finished
    other_path = _sweep_file(tmp_path, "lr_g = 0.002", "other.toml")
    other = tmp_path / "other"
    assert main(["sweep", str(other_path), "--out", str(other), "--quiet"]) == 0
    key = json.loads((other / sw.PLAN_NAME).read_text())["units"][0]["key"]
    (other / "units" / key / "checkpoint.pt").write_bytes(
        (out / "units" / key / "checkpoint.pt").read_bytes())
    _resume_refused(capsys, other_path, other, f"checkpoint of unit {key}: train.lr_g is")


def test_an_unchanged_folder_still_resumes(finished, tmp_path):
    path, out = _copy(finished, tmp_path)
    results = (out / "results.md").read_text()
    assert main(["sweep", str(path), "--out", str(out), "--resume", "--quiet"]) == 0
    assert (out / "results.md").read_text().split("Command:")[0] == results.split("Command:")[0]


def test_a_million_groups_are_refused_at_once(tmp_path, capsys):
    values = ", ".join(str(0.01 * (k + 1)) for k in range(100))
    path = tmp_path / "huge.toml"
    path.write_text(f'protocols = ["default"]\nseeds = 1\n[vary.data]\nstd = [{values}]\n'
                    f'[vary.train]\nlr_g = [{values}]\nlr_d = [{values}]\n')
    t0 = time.perf_counter()
    code = main(["sweep", str(path), "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert time.perf_counter() - t0 < 30  # refused before any group is built
    assert code == 2 and "vary: 1000000 groups" in err and "at most 1000" in err, err
    assert not (tmp_path / "o").exists()
