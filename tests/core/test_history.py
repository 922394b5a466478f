"""The columnar metric history: appending, the arrays handed to snapshots, the long rows of
metrics.csv, checkpoint states of both versions."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

from ganviz.core.config import from_dict
from ganviz.core.history import (
    APPEND_COLUMNS,
    ARRAY_COLUMNS,
    METRIC_COLUMNS,
    VALUE_COLUMNS,
    MetricHistory,
)
from ganviz.core.runs import expand_runs
from ganviz.engine.checkpoint import CHECKPOINT_VERSION
from ganviz.engine.outputs import metrics_csv_text, summary_dict
from ganviz.engine.trainer import Trainer
from ganviz.live.loop import force_divergence, snapshot_of
from ganviz.studies.compare import final_rows
from tests.conftest import small_config

DATA = Path(__file__).parents[1] / "data"
ESTIMATORS, SEEDS = ["plugin", "score", "reparam_learned"], [0, 7, 2**63 - 1]


def _values(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    out = {c: rng.normal(size=n) for c in VALUE_COLUMNS}
    out["loss_d"][0] = math.nan
    out["diverged"] = rng.random(n) < 0.5
    return out


def _filled(steps: range, seed: int = 0) -> tuple[MetricHistory, list[dict[str, np.ndarray]]]:
    rng = np.random.default_rng(seed)
    history = MetricHistory(ESTIMATORS, SEEDS)
    given = []
    for step in steps:
        given.append(_values(rng, len(ESTIMATORS)))
        history.append(step, given[-1])
    return history, given


def _text(rows: list[dict]) -> str:
    """Rows as text, so NaN compares equal and int/float/bool types count."""
    return repr([{k: (type(v).__name__, v) for k, v in row.items()} for row in rows])


def test_append_arrays_rows_round_trip():
    history, given = _filled(range(0, 500, 5))
    assert len(history) == 100 and history.n_runs == 3 and history.last_step == 495
    arrays = history.arrays()
    assert tuple(arrays) == ARRAY_COLUMNS
    for c, a in arrays.items():
        assert a.shape == (100, 3) and a.dtype == np.float64, c
    assert np.array_equal(arrays["step"], np.repeat(np.arange(0, 500, 5)[:, None], 3, axis=1))
    for t, values in enumerate(given):
        for c, v in values.items():
            assert np.array_equal(arrays[c][t], v.astype(np.float64), equal_nan=True), (t, c)
    rows = history.rows()
    assert len(rows) == 300 and all(tuple(row) == METRIC_COLUMNS for row in rows)
    row = rows[3 * 7 + 2]
    assert (row["step"], row["run"], row["estimator"], row["seed"]) == (35, 2, ESTIMATORS[2],
                                                                       SEEDS[2])
    assert row["modes"] == given[7]["modes"][2] and row["diverged"] == bool(given[7]["diverged"][2])
    assert type(row["step"]) is int and type(row["modes"]) is float
    assert type(row["diverged"]) is bool
    assert _text(history.rows(99)) == _text(rows[-3:]) == _text(history.last())

    state = history.to_state()
    assert state["step"].dtype == np.int64 and state["diverged"].dtype == bool
    again = MetricHistory.from_state(state, ESTIMATORS, SEEDS)
    assert _text(again.rows()) == _text(rows)
    for c in ARRAY_COLUMNS:
        assert np.array_equal(again.arrays()[c], arrays[c], equal_nan=True)
    again.append(500, given[0])  # a restored history grows like any other
    assert len(again) == 101 and again.last_step == 500


def test_csv_is_byte_identical_to_the_old_row_writer():
    """tests/data/history_v1.*: a real history (8 runs, seed 2**63-1, a paused run, a
    diverged run, NaN losses at step 0) as the old list-of-rows trainer kept it, and the
    metrics.csv the old row writer made of it."""
    recorded = json.loads((DATA / "history_v1.json").read_text())
    runs = expand_runs(from_dict(recorded["config"]))
    history = MetricHistory.from_rows(recorded["history"], [r.estimator for r in runs],
                                      [r.seed for r in runs])
    expected = (DATA / "history_v1.csv").read_bytes()
    # energy_distance came later: the old history reads it as NaN, the other columns as before
    lines = [line.split(",") for line in metrics_csv_text(history).splitlines()]
    k = lines[0].index("energy_distance")
    assert all(line[k] == "nan" for line in lines[1:])
    old = "".join(",".join(line[:k] + line[k + 1:]) + "\n" for line in lines)
    assert old.encode() == expected
    assert _text([{k: v for k, v in row.items() if k != "energy_distance"}
                  for row in history.rows()]) == _text(recorded["history"])
    assert b"True" in expected and b"nan" in expected and b"9223372036854775807" in expected


def test_version_1_checkpoint_converts_to_the_same_columns():
    t = Trainer(small_config())
    t.set_active(1, False)
    t.train(12)
    force_divergence(t, 2)
    t.train(11)
    state = t.state_dict()
    assert state["version"] == CHECKPOINT_VERSION == 2
    old = copy.deepcopy(state)
    old["version"], old["history"] = 1, t.history.rows()  # as version 1 stored it
    converted = Trainer.from_state(old, device="cpu")
    for c, a in t.history.arrays().items():
        assert np.array_equal(converted.history.arrays()[c], a, equal_nan=True), c
    assert metrics_csv_text(converted.history) == metrics_csv_text(t.history)
    again = converted.state_dict()
    assert again["version"] == 2 and again["history"].keys() == state["history"].keys()
    for k, v in state["history"].items():
        assert v.dtype == again["history"][k].dtype
        assert np.array_equal(v.numpy(), again["history"][k].numpy(), equal_nan=True), k
    # and both train on to the same numbers
    converted.train(6)
    t.train(6)
    assert metrics_csv_text(converted.history) == metrics_csv_text(t.history)


def test_arrays_handed_out_are_never_written_again():
    history, _ = _filled(range(3))
    handed = []
    rng = np.random.default_rng(1)
    for step in range(3, 300):  # through several buffer replacements (64, 128, 256 rows)
        if step % 31 == 0 or step in (63, 64, 65, 128):
            arrays = history.arrays()
            handed.append((arrays, {c: a.copy() for c, a in arrays.items()}))
        history.append(step, _values(rng, 3))
    assert len(handed) > 10
    for arrays, copies in handed:
        for c, a in arrays.items():
            assert not a.flags.writeable
            assert np.array_equal(a, copies[c], equal_nan=True), c
            assert np.array_equal(a, history.arrays()[c][: len(a)], equal_nan=True), c
    with pytest.raises(ValueError, match="read-only"):
        handed[-1][0]["modes"][0, 0] = 1.0


def test_final_per_run_with_a_diverged_run():
    t = Trainer(small_config())
    assert t.history.final(0) is None and t.history.last() == []
    assert summary_dict(t, None)["runs"][0]["final"]["step"] == 0
    t.train(10)
    force_divergence(t, 1)
    t.train(20)
    assert t.diverged_list() == [False, True, False, False]
    rows = t.history.rows()
    for r in range(t.n_runs):
        own = [row for row in rows if row["run"] == r]
        final = t.history.final(r)
        assert _text([final]) == _text([own[-1]]) == _text([final_rows(t)[r]])
        assert final["step"] == 30 and final["diverged"] == (r == 1)
        entry = summary_dict(t, None)["runs"][r]
        assert entry["diverged"] == (r == 1) and entry["final"]["step"] == 30
        assert entry["final"]["modes"] == final["modes"]
    # the diverged run's metrics froze at its last finite step: later rows repeat its losses
    frozen = [row for row in rows if row["run"] == 1 and row["diverged"]]
    assert len(frozen) >= 2 and len({row["loss_d"] for row in frozen}) == 1


def test_snapshot_history_keeps_its_keys_and_shapes():
    t = Trainer(small_config())
    t.train(20)
    snap = snapshot_of(t)
    assert tuple(snap.history) == ARRAY_COLUMNS == tuple(
        c for c in METRIC_COLUMNS if c not in ("run", "estimator", "seed"))
    for c, a in snap.history.items():
        assert a.shape == (3, 4) and a.dtype == np.float64 and not a.flags.writeable, c
    assert snap.history["step"][:, 0].tolist() == [0.0, 10.0, 20.0]
    assert snap.history["diverged"].max() == 0.0


@pytest.mark.parametrize(("step", "columns", "words"), [
    (5, {c: [0.0] * 3 for c in APPEND_COLUMNS if c != "modes"}, "missing modes"),
    (5, {**{c: [0.0] * 3 for c in APPEND_COLUMNS}, "colour": [1] * 3}, "unknown colour"),
    (5, {c: [0.0] * 2 for c in APPEND_COLUMNS}, "2 values for 3 runs"),
    (1, {c: [0.0] * 3 for c in APPEND_COLUMNS}, "step 1 comes before step 4"),
])
def test_append_refuses_rows_that_do_not_fit(step, columns, words):
    history = MetricHistory(ESTIMATORS, SEEDS)
    history.append(4, {c: [0.0] * 3 for c in APPEND_COLUMNS})
    handed = history.arrays()
    with pytest.raises(ValueError, match=words):
        history.append(step, columns)
    assert len(history) == 1 and history.arrays()["step"].tolist() == handed["step"].tolist()


def test_from_state_and_from_rows_refuse_what_does_not_fit():
    history, _ = _filled(range(4))
    state = history.to_state()
    with pytest.raises(ValueError, match=r"\[T, 2\]"):
        MetricHistory.from_state(state, ESTIMATORS[:2], SEEDS[:2])
    with pytest.raises(ValueError, match="never decrease"):
        MetricHistory.from_state({**state, "step": state["step"][::-1]}, ESTIMATORS, SEEDS)
    with pytest.raises(ValueError, match="columns"):
        MetricHistory.from_state({"step": state["step"]}, ESTIMATORS, SEEDS)
    with pytest.raises(ValueError, match="3 rows per evaluation"):
        MetricHistory.from_rows(history.rows()[:-1], ESTIMATORS, SEEDS)
    with pytest.raises(ValueError, match="one estimator and one seed per run"):
        MetricHistory(ESTIMATORS, SEEDS[:2])
