"""Special files given as user files (a FIFO, a device, a link to /dev/zero) are refused at
once in one line, never read: nothing blocks, nothing is written. And a device this machine
lacks is refused before a sweep writes anything."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ganviz.cli import main
from ganviz.core.regular_file import NotARegularFile, check_regular, read_capped

SWEEP = 'protocols = ["default"]\nseeds = 1\nsteps = 2\n'


def _fifo(folder: Path, name: str) -> Path:
    path = folder / name
    os.mkfifo(path)
    return path


def _refused_quickly(args: list[str], capsys, expected: str) -> None:
    """``main(args)`` exits 2 with one line containing ``expected``, within seconds (a
    blocking open would hang: the call runs in a thread that is not waited for forever)."""
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(main(args)), daemon=True)
    worker.start()
    worker.join(60)
    assert result, f"{args} did not return (blocked on a special file?)"
    err = capsys.readouterr().err.strip()
    assert result[0] == 2 and err.count("\n") == 0, err
    assert expected in err, err


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


@needs_fifo
def test_a_fifo_is_refused_as_config_sweep_and_data_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    _refused_quickly(["train", "--config", str(_fifo(tmp_path, "c.toml")), "--out", str(out)],
                     capsys, "a FIFO (named pipe), not a regular file")
    _refused_quickly(["sweep", str(_fifo(tmp_path, "s.toml")), "--out", str(out)],
                     capsys, "a FIFO (named pipe), not a regular file")
    _refused_quickly(["train", "--data", str(_fifo(tmp_path, "d.csv")), "--steps", "1",
                      "--out", str(out)], capsys, "a FIFO (named pipe), not a regular file")
    assert not out.exists()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_link_to_dev_zero_is_refused_not_read(tmp_path, capsys):
    out = tmp_path / "out"
    for name in ("s.toml", "c.toml"):
        (tmp_path / name).symlink_to("/dev/zero")
    _refused_quickly(["sweep", str(tmp_path / "s.toml"), "--out", str(out)], capsys,
                     "a character device, not a regular file")
    _refused_quickly(["train", "--config", str(tmp_path / "c.toml"), "--out", str(out)],
                     capsys, "a character device, not a regular file")
    assert not out.exists()


def test_read_capped_reads_one_byte_past_the_cap(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"a" * 100)
    assert read_capped(path, 10) == b"a" * 11
    assert read_capped(path, 1000) == b"a" * 100
    with pytest.raises(NotARegularFile, match="a folder"):
        check_regular(tmp_path)
    with pytest.raises(FileNotFoundError):
        check_regular(tmp_path / "none")


def test_a_sweep_asking_for_cuda_without_it_is_refused_before_writing(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    path = tmp_path / "s.toml"
    path.write_text(SWEEP + '[overrides.train]\ndevice = "cuda"\n')
    out = tmp_path / "out"
    _refused_quickly(["sweep", str(path), "--out", str(out)], capsys,
                     f"sweep {path}: overrides.train.device: cuda requested but no CUDA")
    assert not out.exists()


@pytest.mark.parametrize(("extra", "expected"), [
    ('[overrides.data]\nname = "file"\nfile = "{missing}"\n',
     "overrides.data.file: cannot read"),
    ('[overrides.data]\nname = "file"\nfile = "{big}"\n', "overrides.data.file: "),
    ('[overrides.train]\ncompile = true\n', "overrides.train.compile: a sweep's units always"),
    ('[vary.train]\ncompile = [false, true]\n', "vary.train.compile: a sweep's units always"),
])
def test_sweep_settings_that_would_fail_later_are_refused_first(tmp_path, capsys, extra,
                                                                expected):
    big = tmp_path / "big.csv"
    big.write_text("x,y\n" + "\n".join(f"{1e30 * (k + 1)},{k}" for k in range(5)) + "\n")
    path = tmp_path / "s.toml"
    path.write_text(SWEEP + extra.format(missing=tmp_path / "none.csv", big=big))
    out = tmp_path / "out"
    _refused_quickly(["sweep", str(path), "--out", str(out)], capsys, expected)
    assert not out.exists()


def test_an_empty_ray_address_is_refused(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(SWEEP)
    code = main(["sweep", str(path), "--out", str(tmp_path / "out"), "--ray", ""])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0, err
    assert "argument --ray: give a cluster address" in err, err
    assert not (tmp_path / "out").exists()
