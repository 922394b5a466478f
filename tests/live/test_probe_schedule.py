"""When the training loop recomputes the views, fakes and curves."""

import pytest

from ganviz.core.contract import LatestSlot
from ganviz.live.loop import TrainingLoop
from ganviz.live.probe_schedule import ProbeSchedule, ProbeTally

NONE = {"views": None, "fakes": None, "curves": None}


def shown(step):
    return {"views": step, "fakes": step, "curves": step}


def test_everything_is_due_at_first_and_when_forced():
    s = ProbeSchedule(frame_interval=0.025)
    assert s.due(0.0, 0, NONE) == {"views", "fakes", "curves"}
    assert s.due(0.0, 7, shown(7), force=True) == {"views", "fakes", "curves"}


def test_nothing_is_due_while_the_step_is_unchanged():
    s = ProbeSchedule(frame_interval=0.025)
    s.done({"views", "fakes", "curves"}, 0.0, 0.01)
    assert s.due(100.0, 5, shown(5)) == set()


def test_views_keep_within_their_budget_of_time():
    s = ProbeSchedule(frame_interval=0.025, budget=0.1, curve_interval=2.0)
    s.done({"views", "fakes", "curves"}, 10.0, views_cost=0.05)  # 50 ms: at most every 0.5 s
    assert s.due(10.4, 6, shown(5)) == {"fakes"}
    assert s.due(10.5, 6, shown(5)) == {"views", "fakes"}


def test_one_slow_views_does_not_stall_them_for_long():
    """Views that once took 1 s (the compiler held the cores) would wait 1 / 0.06 = 17 s
    by the budget alone; they come back after ``max_views_gap`` seconds."""
    s = ProbeSchedule(frame_interval=0.025, budget=0.06, max_views_gap=2.0)
    s.done({"views", "fakes", "curves"}, 10.0, views_cost=1.0)
    assert "views" not in s.due(11.9, 5, shown(4))
    assert "views" in s.due(12.0, 5, shown(4))


def test_cheap_views_still_wait_one_frame_and_curves_their_interval():
    s = ProbeSchedule(frame_interval=0.025, budget=0.1, curve_interval=2.0)
    s.done({"views", "fakes", "curves"}, 10.0, views_cost=0.0001)
    assert s.due(10.01, 6, shown(5)) == {"fakes"}
    assert s.due(10.03, 6, shown(5)) == {"views", "fakes"}
    assert s.due(12.0, 6, shown(5)) == {"views", "fakes", "curves"}


def test_tally_counts_and_copies_are_independent():
    t = ProbeTally()
    t.add("views", 0.02)
    t.add("views", 0.04)
    t.add("curves", 0.1)
    kept = t.copy()
    t.add("fakes", 0.001)
    assert kept.counts == {"views": 2, "fakes": 0, "curves": 1}
    assert t.counts == {"views": 2, "fakes": 1, "curves": 1}
    assert kept.total_seconds == pytest.approx(0.16)
    assert t.total_seconds == pytest.approx(0.161)


def test_the_loop_tallies_what_it_recomputes(small_cfg):
    loop = TrainingLoop(small_cfg, LatestSlot())
    loop._reset(small_cfg)  # builds the trainer and computes every part once
    assert loop.probe_tally.counts == {"views": 1, "fakes": 1, "curves": 1}
    assert all(s > 0 for s in loop.probe_tally.seconds.values())
    loop.schedule.views_cost = 1.0  # views wait max_views_gap (2 s), however slow the step
    loop.trainer.step()
    loop._refresh_probes()  # the views wait a frame; the fakes follow the new step
    assert loop.probe_tally.counts == {"views": 1, "fakes": 2, "curves": 1}


def test_slow_curves_keep_within_their_budget_but_come_back():
    s = ProbeSchedule(frame_interval=0.025, curve_interval=2.0, curve_budget=0.02,
                      max_curve_gap=6.0)
    s.done({"views", "fakes", "curves"}, 10.0, views_cost=0.0001, curves_cost=0.08)
    assert "curves" not in s.due(13.9, 6, shown(5))  # 80 ms at 2%: every 4 s
    assert "curves" in s.due(14.0, 6, shown(5))
    s.done({"curves"}, 14.0, views_cost=0.0, curves_cost=1.0)  # one very slow: 6 s at most
    assert "curves" not in s.due(19.9, 7, shown(6))
    assert "curves" in s.due(20.0, 7, shown(6))
