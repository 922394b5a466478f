"""Session files: exact resume, archive contents, refusals, atomic writes."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import pytest
import torch

from ganviz.core import config as gconfig
from ganviz.engine.sessionfile import (
    SESSION_FORMAT,
    SessionFileError,
    load_session,
    peek_session,
    save_session,
)
from ganviz.engine.trainer import Trainer
from tests.conftest import small_config


def _params(t: Trainer) -> list[torch.Tensor]:
    return [*t.G.parameters(), *t.D.parameters()]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _write_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _refused(path: Path, *words: str) -> str:
    with pytest.raises(SessionFileError) as info:
        load_session(path)
    msg = str(info.value)
    assert "\n" not in msg and path.name in msg
    for w in words:
        assert w in msg
    return msg


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Trainer, Path]:
    t = Trainer(small_config())
    t.set_active(1, False)
    t.train(12)
    path = save_session(t, tmp_path_factory.mktemp("s") / "run",
                        view={"layers": ["density"], "selected_run": 2})
    return t, path


def test_resume_is_bit_identical(saved):
    path = saved[1]
    assert path.name == "run.ganviz"
    straight = Trainer(small_config())
    straight.set_active(1, False)
    straight.train(20)
    resumed, view = load_session(path, device="cpu")
    assert view == {"layers": ["density"], "selected_run": 2}
    assert resumed.active == [True, False, True, True] and resumed.step_count == 12
    resumed.train(8)
    assert all(torch.equal(a, b) for a, b in zip(_params(resumed), _params(straight),
                                                 strict=True))
    assert len(resumed.history) == len(straight.history) > 0
    for a, b in zip(resumed.history.rows(), straight.history.rows(), strict=True):
        assert a["step"] == b["step"]
        assert _same(a["loss_d"], b["loss_d"]) and _same(a["loss_g"], b["loss_g"])


def test_archive_members(saved):
    t, path = saved
    with zipfile.ZipFile(path) as zf:
        assert set(zf.namelist()) == {"manifest.json", "config.toml", "checkpoint.pt",
                                      "metrics.csv"}
        assert gconfig.loads(zf.read("config.toml").decode()) == t.cfg
        assert zf.read("metrics.csv").decode().splitlines()[0].startswith("step,run,")
    manifest = peek_session(path)
    assert manifest["format"] == SESSION_FORMAT and manifest["step"] == 12
    assert manifest["runs"] == [r.label for r in t.runs]


def test_refusals(tmp_path, saved):
    text = tmp_path / "notes.ganviz"
    text.write_text("hello\n")
    _refused(text, "not a ganviz session")
    with zipfile.ZipFile(saved[1]) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    _refused(_write_zip(tmp_path / "nockpt.ganviz", {"manifest.json": json.dumps(manifest)}),
             "missing checkpoint.pt")
    newer = _write_zip(tmp_path / "newer.ganviz",
                       {"manifest.json": json.dumps({**manifest, "version": 99}),
                        "checkpoint.pt": b"x"})
    _refused(newer, "newer", "99")
    with pytest.raises(SessionFileError, match="newer"):
        peek_session(newer)
    _refused(_write_zip(tmp_path / "fmt.ganviz",
                        {"manifest.json": json.dumps({**manifest, "format": "other"}),
                         "checkpoint.pt": b"x"}), "format")
    _refused(_write_zip(tmp_path / "junk.ganviz",
                        {"manifest.json": json.dumps(manifest), "checkpoint.pt": b"junk"}),
             "checkpoint")
    _refused(tmp_path / "missing.ganviz", "no such file")


def test_unwritable_destination(tmp_path):
    t = Trainer(small_config())
    (tmp_path / "file").write_text("x")
    before = sorted(tmp_path.iterdir())
    for target in (tmp_path / "file" / "s.ganviz", tmp_path / "nodir" / "s.ganviz"):
        with pytest.raises(SessionFileError, match="cannot write") as info:
            save_session(t, target)
        assert "\n" not in str(info.value) and "s.ganviz" in str(info.value)
    assert sorted(tmp_path.iterdir()) == before


def test_failed_overwrite_keeps_old_file(tmp_path, monkeypatch):
    t = Trainer(small_config())
    path = save_session(t, tmp_path / "s.ganviz")
    old = path.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    t.train(2)
    with pytest.raises(SessionFileError, match="No space left on device"):
        save_session(t, path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.ganviz"]
    monkeypatch.undo()
    save_session(t, path)
    assert peek_session(path)["step"] == 2


def test_checkpoint_version_99_is_refused_in_a_session_as_on_the_command_line(tmp_path, saved):
    """Issue 9, item 6: one check for both; the session used to load it."""
    from ganviz.engine.checkpoint import CheckpointError, read_checkpoint

    state = saved[0].state_dict()
    state["version"] = 99
    ckpt = tmp_path / "checkpoint.pt"
    torch.save(state, ckpt)
    with pytest.raises(CheckpointError) as cli:
        read_checkpoint(ckpt)
    with zipfile.ZipFile(saved[1]) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["checkpoint.pt"] = ckpt.read_bytes()
    msg = _refused(_write_zip(tmp_path / "v99.ganviz", members), "format version 99",
                   "reads versions up to 2")
    assert msg.endswith(str(cli.value).removeprefix(f"checkpoint {ckpt}"))


def test_saved_view_is_cleaned_to_what_loading_accepts(tmp_path):
    t = Trainer(small_config())
    path = save_session(t, tmp_path / "v", view={
        "layers": ["density", 5], "hidden_estimators": ["score", "magic"], "selected_run": 9,
        "colour": "red"})
    assert peek_session(path)["view"] == {"layers": ["density"],
                                          "hidden_estimators": ["score"]}
    assert load_session(path)[1] == {"layers": ["density"], "hidden_estimators": ["score"]}
