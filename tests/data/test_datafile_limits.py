"""Data files whose numbers would be read wrongly or cannot be trained on are refused in one
line naming the file: thousands separators, ambiguous column names, values beyond float32,
and points whose reach is far from what the networks learn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganviz.cli import main
from ganviz.data.datafile import DataFileError, check_scale, load_points


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_thousands_separators_are_refused_not_split(tmp_path):
    path = _file(tmp_path, "d.txt", "7,000.0 5,000.0\n1,200.5 3,000.0\n2,000.0 1,000.0\n")
    with pytest.raises(DataFileError, match="thousands separators"):
        load_points(path)
    # commas as the separator, with spaces after them, are still read as columns
    ok = _file(tmp_path, "e.csv", "x, y\n1.5, 2.5\n3.0, 4.0\n")
    assert load_points(ok).points.tolist() == [[1.5, 2.5], [3.0, 4.0]]


def test_a_duplicated_column_name_must_be_picked_by_index(tmp_path):
    path = _file(tmp_path, "d.csv", "x,x,y\n1,2,3\n4,5,6\n7,8,9\n")
    with pytest.raises(DataFileError, match=r"has 2 columns named 'x' \(columns 0, 1\)"):
        load_points(path, ["x", "y"])
    assert load_points(path, ["1", "y"]).points.tolist() == [[2, 3], [5, 6], [8, 9]]


@pytest.mark.parametrize("value", ["1e39", "-3.5e38"])
def test_values_beyond_float32_are_refused(tmp_path, value):
    path = _file(tmp_path, "d.csv", f"x,y\n1,2\n{value},3\n4,5\n")
    with pytest.raises(DataFileError, match=r"beyond float32's range .*data row 2,"):
        load_points(path)


def test_float32_limit_holds_for_npy_too(tmp_path):
    path = tmp_path / "d.npy"
    np.save(path, np.array([[0.0, 1.0], [1e300, 2.0], [3.0, 4.0]]))
    with pytest.raises(DataFileError, match="beyond float32's range"):
        load_points(path)


@pytest.mark.parametrize(("points", "scale", "ok"), [
    ([[0.5, 1.0], [-2.0, 3.0]], 1.0, True),
    ([[1e30, 1.0], [-2.0, 3.0]], 1.0, False),
    ([[1e30, 1.0], [-2.0, 3.0]], 1e-30, True),
    ([[4.6e18, 1.0], [2.0, 3.0]], 1.0, False),
    ([[1e-9, 0.0], [0.0, 2e-9]], 1.0, False),
    ([[0.0, 0.0], [0.0, 0.0]], 1.0, False),
    ([[5000.0, 0.0], [0.0, 1.0]], 1.0, True),
    ([[5000.0, 0.0], [0.0, 1.0]], 10.0, False),
])
def test_the_reach_training_sees_is_checked_with_the_scale(points, scale, ok):
    arr = np.array(points)
    if ok:
        check_scale(Path("d.csv"), arr, scale)
    else:
        with pytest.raises(DataFileError, match=r"set data\.scale to about"):
            check_scale(Path("d.csv"), arr, scale)


def test_train_refuses_a_far_scale_in_one_line_and_writes_nothing(tmp_path, capsys):
    rows = "\n".join(f"{1e30 * (k + 1)},{k}" for k in range(10))
    path = _file(tmp_path, "big.csv", f"x,y\n{rows}\n")
    out = tmp_path / "out"
    code = main(["train", "--data", str(path), "--steps", "1", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0, err
    assert f"{path}: its points reach 1e+31" in err and "data.scale to about 1e-31" in err, err
    assert not out.exists()
