"""The automatic thread count (``train.threads = 0``): readings, the rule, and that a count
changed while training leaves the numbers alone."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
import torch

from ganviz.engine import threads
from ganviz.engine.threads import (
    AutoThreads,
    Usage,
    busy_seconds,
    levels,
    other_busy,
    suggest,
    usable_cores,
)
from tests.conftest import run_cli, small_config

STAT = """cpu  500 10 90 1000 5 0 0 0 7 0
cpu0 100 0 50 600 5 0 0 0 0 0
cpu1 400 10 40 400 0 0 0 0 7 0
intr 123 0 0
ctxt 456
"""


# ------------------------------------------------------------------ readings


def test_busy_seconds_counts_user_nice_system_and_the_interrupts_not_idle_or_guest():
    assert busy_seconds(STAT, None, 100.0) == pytest.approx(6.0)  # (500+10+90)/100
    assert busy_seconds(STAT, [1], 100.0) == pytest.approx(4.5)  # only this process's cores
    assert busy_seconds(STAT, [0, 1], 10.0) == pytest.approx(60.0)
    assert busy_seconds(STAT, [5], 100.0) == pytest.approx(6.0)  # not listed: every core
    assert busy_seconds("intr 1 2\n", None, 100.0) is None


def test_other_processes_are_the_busy_cores_less_this_ones_cpu_time():
    before = Usage(wall=10.0, own=1.0, busy=100.0)
    after = Usage(wall=12.0, own=2.0, busy=103.0)  # 1.5 cores busy, 0.5 of them ours
    assert other_busy(before, after) == pytest.approx(1.0)
    idle = Usage(wall=12.0, own=3.0, busy=102.0)  # counters a tick apart: never below 0
    assert other_busy(before, idle) == 0.0
    assert other_busy(before, Usage(wall=10.0, own=1.0, busy=100.0)) is None


def test_without_proc_stat_the_load_average_less_our_own_share_stands_in():
    before = Usage(wall=0.0, own=0.0, busy=None, load=None)
    assert other_busy(before, Usage(4.0, 4.0, None, load=3.0)) == pytest.approx(2.0)
    assert other_busy(before, Usage(4.0, 4.0, None, load=None)) is None  # Windows: unknown


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="Linux only")
def test_reading_this_machine_counts_our_own_work():
    a = threads.read_usage()
    x = 0
    while os.times().user + os.times().system < a.own + 0.25:
        x += 1
    b = threads.read_usage()
    assert a.busy is not None and b.busy is not None and b.own - a.own >= 0.2
    assert b.busy - a.busy >= 0.15  # our own work shows in /proc/stat (10 ms ticks)


def test_usable_cores_leave_one_beside_a_gui():
    assert usable_cores(False, cores=8) == 8
    assert usable_cores(True, cores=8) == 7
    assert usable_cores(True, cores=1) == 1
    if hasattr(os, "sched_getaffinity"):
        assert usable_cores(False) == len(os.sched_getaffinity(0))


# ------------------------------------------------------------------ the rule


@pytest.mark.parametrize(("usable", "other", "current", "expected"), [
    (2, 0.0, 2, 2),  # alone: every core
    (2, 1.75, 2, 1),  # seven more runs on two cores
    (2, 1.0, 2, 1),  # one other run using a core
    (2, 0.67, 2, 2),  # free 1.33: within the margin of 2, kept
    (2, 0.6, 1, 1),  # free 1.4: within the margin of 1, kept
    (2, 0.2, 1, 2),  # the others finished: back to every core
    (2, 5.0, 2, 1),  # never below one
    (8, 2.3, 8, 4),  # free 5.7: 6 cores, down to the level 4 (half the cores)
    (8, 2.3, 4, 4),  # and there it stays
    (8, 0.4, 6, 8),  # free 7.6
    (8, 0.0, 20, 8),  # a current count above the cores is clamped
    (2, None, 1, 1),  # unknown: unchanged
])
def test_suggest(usable, other, current, expected):
    assert suggest(usable, other, current) == expected


def test_auto_chooses_among_few_counts_so_a_compiled_step_is_recompiled_rarely():
    assert levels(2) == [2, 1] and levels(1) == [1] and levels(3) == [3, 1]
    assert levels(64) == [64, 32, 16, 8, 4, 2, 1]
    seen = {suggest(64, other / 4, 64) for other in range(0, 64 * 4)}
    assert seen <= set(levels(64)) and len(seen) <= 8  # torch.compile's default limit


def test_suggest_does_not_flap_around_a_boundary():
    counts = [2]
    for other in itertools.islice(itertools.cycle([0.4, 0.6, 0.5, 0.7]), 40):
        counts.append(suggest(2, other, counts[-1]))
    assert set(counts) == {2}
    counts = [1]
    for other in itertools.islice(itertools.cycle([1.0, 0.4, 0.5, 0.3]), 40):
        counts.append(suggest(2, other, counts[-1]))
    assert set(counts) == {1}


# ------------------------------------------------------------------ the governor


class FakeMachine:
    """A clock and counters the test moves by hand: ``others`` cores busy besides us."""

    def __init__(self, cores: int) -> None:
        self.now, self.own, self.busy, self.others, self.reads = 0.0, 0.0, 0.0, 0.0, 0
        self.cores = cores
        self.applied: list[int] = []

    def run(self, seconds: float, ours: float) -> None:
        self.now += seconds
        self.own += ours * seconds
        self.busy += min(self.cores, ours + self.others) * seconds

    def read(self) -> Usage:
        self.reads += 1
        return Usage(self.now, self.own, self.busy)

    def auto(self, requested: int = 0, gui: bool = False) -> AutoThreads:
        return AutoThreads(requested, gui, self.applied.append, cores=self.cores,
                           read=self.read, clock=lambda: self.now)


def test_auto_starts_on_every_core_and_adapts_after_a_second_then_every_few():
    m = FakeMachine(cores=2)
    t = m.auto()
    assert t.start() == 2 and m.applied == [2]
    m.others = 1.75  # seven more runs started with it
    m.run(0.5, ours=0.25)
    t.tick()
    assert m.applied == [2] and m.reads == 1  # not due yet: no reading
    m.run(0.75, ours=0.25)
    t.tick()
    assert m.applied == [2, 1]
    for _ in range(20):  # still busy: checked every EVERY s, no further calls
        m.run(0.5, ours=0.25)
        t.tick()
    assert m.applied == [2, 1] and m.reads == 4
    m.others = 0.0  # the others finished
    m.run(threads.EVERY, ours=1.0)
    t.tick()
    assert m.applied == [2, 1, 2]


def test_a_new_start_keeps_the_schedule_so_short_calls_still_adapt():
    m = FakeMachine(cores=2)
    t = m.auto()
    m.others = 2.0
    for _ in range(5):  # Experiment.train(few steps), five times in a row
        t.start()
        m.run(0.25, ours=0.0)
        t.tick()
    assert m.applied[-1] == 1 and m.reads == 2


def test_an_explicit_count_is_never_adapted():
    m = FakeMachine(cores=2)
    t = m.auto(requested=3)
    assert t.start() == 3
    m.others = 2.0
    for _ in range(10):
        m.run(threads.EVERY, ours=1.0)
        t.tick()
    assert m.applied == [3] and m.reads == 0


def test_beside_the_window_one_core_is_left_and_a_pause_is_not_measured():
    m = FakeMachine(cores=4)
    t = m.auto(gui=True)
    assert t.start() == 3
    m.others = 2.0
    m.run(threads.STALE + 1, ours=0.0)  # paused: the reading is only a new start
    t.tick()
    assert m.applied == [3]
    m.run(threads.EVERY, ours=2.0)
    t.tick()
    assert m.applied == [3, 1]  # free: 3 - 2


# ------------------------------------------------------------------ numbers


@pytest.fixture
def flipping(monkeypatch) -> list[tuple[str, object]]:
    """Auto threads on a fake 2-core machine whose other processes take both cores at every
    other check, checked before every step; ``torch.set_num_threads`` calls are recorded
    (and made) in the list returned."""
    busy = itertools.cycle([0.0, 2.0])  # the others' cores at each reading
    clock = [0.0, 0.0]  # wall, busy
    events: list[tuple[str, object]] = []
    real_set = torch.set_num_threads

    def fake_read() -> Usage:
        clock[0] += 1.0
        clock[1] += next(busy)
        return Usage(clock[0], 0.0, clock[1])

    def recorded_set(k: int) -> None:
        events.append(("threads", k))
        real_set(k)

    monkeypatch.setattr(threads, "read_usage", fake_read)
    monkeypatch.setattr(threads, "FIRST_CHECK", 0.0)
    monkeypatch.setattr(threads, "EVERY", 0.0)
    monkeypatch.setattr(threads, "usable_cores", lambda gui, cores=None: 2)
    monkeypatch.setattr(torch, "set_num_threads", recorded_set)
    return events


def _counts(events: list[tuple[str, object]]) -> list[object]:
    return [k for what, k in events if what == "threads"]


def test_a_run_whose_count_changes_while_training_has_the_numbers_of_1_and_2_threads(
        tmp_path, capsys, request):
    """Auto, its count moved between 1 and 2 every step, gives the metrics.csv of
    ``threads = 1`` and of ``threads = 2`` (eager step)."""
    cfg = small_config(estimators=["plugin", "reparam_learned", "score"], seeds=[3])
    cfg = cfg.with_overrides({"train": {"steps": 20, "compile": False},
                              "eval": {"every": 5}})
    results = {}
    for n in (1, 2, 0):
        path = tmp_path / f"t{n}.toml"
        cfg.with_overrides({"train": {"threads": n}}).save(path)
        if n == 0:
            events = request.getfixturevalue("flipping")
        code, _, err = run_cli(["train", "--config", path, "--out", tmp_path / f"o{n}",
                                "--quiet"], capsys)
        assert code == 0, err
        results[n] = (tmp_path / f"o{n}" / "metrics.csv").read_text()
    counts = _counts(events)
    assert counts[0] == 2 and counts.count(1) >= 5 and counts.count(2) >= 5, counts
    assert results[0] == results[1] == results[2]


class DictStore:
    """An in-memory checkpoint store."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    def put(self, key: str, data: bytes) -> None:
        self.data[key] = data


def test_sweep_units_in_process_adapt_unless_their_count_is_explicit(flipping):
    from ganviz.studies.sweep.run import InProcess
    from ganviz.studies.sweep.units import Unit

    base = small_config(estimators=["score"], seeds=[0]).with_overrides(
        {"train": {"steps": 6, "compile": False}, "eval": {"every": 3}})
    units = [Unit(key, "g", base.with_overrides({"train": {"threads": n}}).to_dict())
             for key, n in (("a", 0), ("b", 3), ("c", 0))]
    report = lambda key, state: flipping.append((key, state.split()[0]))  # noqa: E731
    done = [r.key for r in InProcess().run(units, DictStore(), report)]
    assert done == ["a", "b", "c"]
    b_start = flipping.index(("b", "started"))
    b_done = flipping.index(("b", "done"))
    assert flipping[b_start - 1] == ("threads", 3)  # set once as the unit starts
    assert _counts(flipping[b_start:b_done]) == []  # and never adapted
    for key in ("a", "c"):
        inside = _counts(flipping[flipping.index((key, "started")):
                                  flipping.index((key, "done"))])
        assert {1, 2} <= set(inside), (key, flipping)
