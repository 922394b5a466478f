"""Your own data: loaders, the bad-file corpus, training on a file, the energy distance."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from ganviz.cli import main
from ganviz.data import datafile
from ganviz.data.datafile import DataFileError, inspect_columns, load_points
from ganviz.engine import metrics
from ganviz.engine.trainer import Trainer
from tests.conftest import small_config


def _ring(n: int = 300, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 2 * np.pi, n)
    return np.c_[2 * np.cos(a), 2 * np.sin(a)] + 0.05 * rng.standard_normal((n, 2))


# ----------------------------------------------------------------- loaders
def test_csv_with_header_comments_and_a_text_column(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("# measured\nname,x,y,z\nA,1,2,3\n# note\nB,4,5,6\nC,7,8,9 # end\n")
    info = inspect_columns(p)
    assert info.names == ("name", "x", "y", "z") and info.numeric == (1, 2, 3)
    pts = load_points(p)
    assert pts.names == ("x", "y") and pts.points.tolist() == [[1, 2], [4, 5], [7, 8]]
    assert load_points(p, ["z", "x"]).points.tolist() == [[3, 1], [6, 4], [9, 7]]
    assert load_points(p, ["3", "2"]).points.tolist() == [[3, 2], [6, 5], [9, 8]]


def test_txt_whitespace_and_npy(tmp_path):
    p = tmp_path / "b.txt"
    p.write_text("1.5  2\n\n  3 4e-1   # a comment\n-5\t6\n")
    assert load_points(p).points.tolist() == [[1.5, 2], [3, 0.4], [-5, 6]]
    semi = tmp_path / "s.csv"
    semi.write_text("x;y\n1.5;-2\n3;4\n")
    assert load_points(semi).points.tolist() == [[1.5, -2], [3, 4]]
    arr = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.save(tmp_path / "c.npy", arr)
    got = load_points(tmp_path / "c.npy", ["2", "0"]).points
    assert got.dtype == np.float64 and got.tolist() == arr[:, [2, 0]].tolist()


def _npy(tmp_path, name, arr, **kw):
    p = tmp_path / name
    np.save(p, arr, **kw)
    return p


BAD = {  # name -> (how to make it, columns, words the one line must hold)
    "no numeric columns": (lambda d: _w(d, "a.csv", "a,b\nx,y\nz,w\n"), [], "no numeric"),
    "decimal commas": (lambda d: _w(d, "a.csv", "x;y\n1,5;2,5\n3,0;4,0\n"), [], "no numeric"),
    "one column": (lambda d: _w(d, "a.txt", "1\n2\n3\n"), [], "1 column"),
    "one numeric column": (lambda d: _w(d, "a.csv", "1,a\n2,b\n"), [], "1 numeric column"),
    "nan": (lambda d: _w(d, "a.csv", "1,2\nnan,3\n4,5\n6,inf\n"), [], "2 of 4 rows"),
    "single point": (lambda d: _w(d, "a.csv", "x,y\n1,2\n"), [], "1 point"),
    "header only": (lambda d: _w(d, "a.csv", "x,y\n"), [], "no data rows"),
    "only comments": (lambda d: _w(d, "a.txt", "# x\n\n# y\n"), [], "no data"),
    "empty": (lambda d: _w(d, "a.csv", ""), [], "is empty"),
    "not utf-8": (lambda d: _wb(d, "a.csv", b"x,y\n1,2\n\xff\xfe,3\n"), [], "not UTF-8"),
    "folder": (lambda d: _dir(d), [], "is a folder"),
    "missing": (lambda d: d / "nothere.csv", [], "cannot read"),
    "unknown suffix": (lambda d: _w(d, "a.json", "[1, 2]"), [], "unknown kind"),
    "index out of range": (lambda d: _w(d, "a.csv", "1,2\n3,4\n"), ["0", "5"], "out of range"),
    "unknown name": (lambda d: _w(d, "a.csv", "x,y\n1,2\n3,4\n"), ["x", "q"], "no column"),
    "same column": (lambda d: _w(d, "a.csv", "x,y\n1,2\n3,4\n"), ["x", "x"], "different"),
    "text column picked": (lambda d: _w(d, "a.csv", "x,n,y\n1,a,2\n3,b,4\n"), ["x", "n"],
                           "not numeric"),
    "bad later row": (lambda d: _w(d, "a.csv", "1,2\n3,4\n5,oops\n"), [], "cannot be read"),
    "object npy": (lambda d: _npy(d, "a.npy", np.array([[1, "a"]], dtype=object),
                                  allow_pickle=True), [], "pickle"),
    "1-d npy": (lambda d: _npy(d, "a.npy", np.arange(5.0)), [], "shape [5]"),
    "narrow npy": (lambda d: _npy(d, "a.npy", np.zeros((5, 1))), [], "1 column"),
    "string npy": (lambda d: _npy(d, "a.npy", np.array([["a", "b"]])), [], "plain numbers"),
    "not npy": (lambda d: _w(d, "a.npy", "1,2\n"), [], "not a valid .npy"),
    "npy nan": (lambda d: _npy(d, "a.npy", np.array([[1, 2], [np.nan, 1.0], [3, 4]])), [],
                "data row 2"),
}


def _w(d: Path, name: str, text: str) -> Path:
    (d / name).write_text(text)
    return d / name


def _wb(d: Path, name: str, data: bytes) -> Path:
    (d / name).write_bytes(data)
    return d / name


def _dir(d: Path) -> Path:
    (d / "folder.csv").mkdir()
    return d / "folder.csv"


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_are_one_line(case, tmp_path):
    make, columns, words = BAD[case]
    path = make(tmp_path)
    with pytest.raises(DataFileError) as err:
        load_points(path, columns)
    text = str(err.value)
    assert "\n" not in text and words in text, text
    assert text.startswith(("data.file:", "data.columns:"))
    assert path.name in text or text.startswith("data.columns:"), text


@pytest.mark.parametrize("case", ["nan", "single point", "no numeric columns", "folder",
                                  "unknown name", "object npy"])
def test_cli_refuses_bad_files_with_exit_2_and_writes_nothing(case, tmp_path, capsys,
                                                              monkeypatch):
    make, columns, words = BAD[case]
    path = make(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    argv = ["train", "--data", str(path), "--steps", "2", "--quiet", "--out", "out"]
    if columns:
        argv += ["--columns", ",".join(columns)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ganviz: error: --") and "\n" not in err and words in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_huge_file_is_refused_from_its_size_without_reading_it(tmp_path):
    p = tmp_path / "huge.csv"
    with p.open("wb") as fh:
        fh.write(b"0.5,0.25\n" * 20000)
        fh.truncate(9 * 10**8)  # 10^8 rows of 9 bytes (sparse: nothing is written)
    started = time.perf_counter()
    with pytest.raises(DataFileError, match=r"about 1\.0e8 rows; the limit is 10,000,000"):
        load_points(p)
    assert time.perf_counter() - started < 2.0


def test_rows_past_the_limit_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(datafile, "MAX_ROWS", 50)
    p = _w(tmp_path, "a.csv", "1,2\n" * 51)
    with pytest.raises(DataFileError, match="more than 50"):
        load_points(p)
    assert load_points(_w(tmp_path, "b.csv", "1,2\n" * 50)).points.shape == (50, 2)
    big = _npy(tmp_path, "c.npy", np.zeros((51, 2)))
    with pytest.raises(DataFileError, match="51 rows"):
        load_points(big)


# ---------------------------------------------------------------- training
def test_training_on_a_file_end_to_end(tmp_path):
    p = tmp_path / "ring.csv"
    np.savetxt(p, np.c_[_ring(), np.arange(300)], delimiter=",", header="x,y,i", comments="")
    cfg = small_config(estimators=["plugin", "reparam_learned"]).with_overrides(
        {"data": {"name": "file", "file": str(p), "columns": ["x", "y"]}})
    t = Trainer(cfg)
    assert t.data.train_set.shape == (300, 2) and not t.data.has_modes
    t.train(10)
    for row in t.history.last():
        assert row["step"] == 10
        assert all(math.isnan(row[k]) for k in ("modes", "hq_fraction", "reverse_kl"))
        assert 0 <= row["js_divergence"] <= math.log(2) + 1e-6
        assert math.isfinite(row["energy_distance"]) and row["energy_distance"] > 0
    with_centres = Trainer(cfg.with_overrides({"data": {"centres": [[2, 0], [-2, 0]]}}))
    with_centres.train(1)
    assert all(math.isfinite(r["modes"]) for r in with_centres.history.last())


def test_each_run_draws_from_its_own_generator(tmp_path):
    p = tmp_path / "ring.npy"
    np.save(p, _ring())
    cfg = small_config(estimators=["plugin"], seeds=[0, 1]).with_overrides(
        {"data": {"name": "file", "file": str(p)}})
    t = Trainer(cfg)
    real = t._real(16)
    assert not torch.equal(real[0], real[1])
    pts = t.data.train_set
    exact = "donot_use_mm_for_euclid_dist"
    for r in (0, 1):  # every real point is a point of the file
        assert bool((torch.cdist(real[r], pts, compute_mode=exact).min(1).values == 0).all())


def test_a_config_names_the_missing_file():
    with pytest.raises(Exception, match=r"data\.file: give the path"):
        small_config().with_overrides({"data": {"name": "file"}})


# ---------------------------------------------------------- energy distance
def _direct(x: np.ndarray, y: np.ndarray) -> float:
    """The U-statistic written out pair by pair (O(n^2) Python)."""
    def mean(a, b, same):
        total = [np.linalg.norm(a[i] - b[j]) for i in range(len(a)) for j in range(len(b))
                 if not (same and i == j)]
        return sum(total) / len(total)
    return 2 * mean(x, y, False) - mean(x, x, True) - mean(y, y, True)


def test_energy_distance_matches_the_direct_formula():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 17, 2, generator=g)
    y = torch.randn(23, 2, generator=g) + 0.3
    got = metrics.energy_distance(x, y)
    for r in range(3):
        assert got[r].item() == pytest.approx(_direct(x[r].numpy().astype(float),
                                                      y.numpy().astype(float)), rel=1e-5)


def test_energy_distance_of_point_masses_is_twice_their_distance():
    x = torch.tensor([[3.0, 4.0]]).expand(1, 10, 2)
    y = torch.zeros(7, 2)
    assert metrics.energy_distance(x, y).item() == pytest.approx(10.0)


def test_energy_distance_is_zero_in_expectation_and_grows_with_a_shift():
    g = torch.Generator().manual_seed(1)
    same = torch.stack([metrics.energy_distance(torch.randn(1, 200, 2, generator=g),
                                                torch.randn(200, 2, generator=g))[0]
                        for _ in range(40)])
    assert abs(same.mean().item()) < 3 * same.std().item() / math.sqrt(40)
    assert (same < 0).any()  # unbiased: noise around 0, not a positive floor
    y = torch.randn(400, 2, generator=g)
    shifts = [metrics.energy_distance(torch.randn(1, 400, 2, generator=g) + s, y)[0].item()
              for s in (0.5, 1.0, 2.0)]
    assert 0 < shifts[0] < shifts[1] < shifts[2]


def test_energy_distance_of_a_run_does_not_depend_on_its_batch_mates():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(4, 300, 2, generator=g)
    y = torch.randn(250, 2, generator=g)
    alone = metrics.energy_distance(x[2:3], y)
    assert torch.equal(metrics.energy_distance(x, y)[2:3], alone)


def test_cli_table_shows_dashes_for_mode_metrics_without_centres(tmp_path, capsys,
                                                                 monkeypatch):
    path = _w(tmp_path, "pts.csv", "x,y\n" + "".join(f"{i % 7},{i % 5}\n" for i in range(40)))
    monkeypatch.chdir(tmp_path)
    argv = ["train", "--data", str(path), "--steps", "2", "--quiet", "--out", "out",
            "--estimators", "plugin", "--preset", "default"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("plugin"))
    assert row.split()[3:6] == ["–", "–", "–"] and "nan" not in row
    assert "no known modes" in out
