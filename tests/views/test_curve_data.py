"""The curves dock's numbers without a window: each line's arrays from the history, the
median and band over seeds, the axes' limits, the legend's entries and the titles' notes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganviz.core.contract import RealData, RunSpec
from ganviz.views import curve_data

FIXED = RunSpec(0, "reparam_fixed", 0, 0.05, False)
LEARNED = RunSpec(1, "reparam_learned", 0, 0.05, True)
SEEDS = (RunSpec(0, "score", 0, 0.05, False), RunSpec(1, "score", 1, 0.05, False),
         RunSpec(2, "score", 2, 0.05, False), RunSpec(3, "plugin", 0, 0.0, False))


def real(weights=(0.25, 0.75)) -> RealData:
    w = np.asarray(weights, float)
    return RealData(modes=np.zeros((len(w), 2)), stds=np.full(len(w), 0.1), weights=w,
                    peak_density=1.0)


def test_a_runs_curve_is_its_column_and_a_learned_sigma_its_mean():
    steps = np.array([[0, 0], [10, 10], [20, 20]])
    history = {"step": steps, "loss_d": np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
               "sigma": np.full((3, 2), 0.05), "sigma_mean": np.array([[.1, .2], [.3, .4],
                                                                        [.5, .6]])}
    x, y = curve_data.run_curve(history, "loss_d", FIXED, 1)
    np.testing.assert_array_equal(x, [0, 10, 20])
    np.testing.assert_array_equal(y, [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(curve_data.run_curve(history, "sigma", LEARNED, 1)[1],
                                  [.2, .4, .6])
    np.testing.assert_array_equal(curve_data.run_curve(history, "sigma", FIXED, 1)[1],
                                  [0.05] * 3)
    for bad in ({"step": steps}, {}, {"step": steps, "loss_d": np.ones((2, 2))}):
        x, y = curve_data.run_curve(bad, "loss_d", FIXED, 0)  # missing or misshapen
        assert len(x) == len(y) == 0
    assert len(curve_data.run_curve(history, "loss_d", FIXED, 2)[0]) == 0  # no such run


def test_a_groups_curve_is_the_median_in_a_band_without_diverged_seeds():
    history = {"step": np.array([[0, 0, 0, 0], [10, 12, 14, 10]]),
               "modes": np.array([[1.0, 2.0, 3.0, 9.0], [4.0, 5.0, 100.0, 9.0]]),
               "diverged": np.array([[0, 0, 0, 0], [0, 0, 1, 0]])}
    x, med, lo, hi = curve_data.group_curve(history, "modes", SEEDS[0], [0, 1, 2])
    np.testing.assert_allclose(x, [0, 12])  # the median step over the seeds
    np.testing.assert_allclose(med, [2.0, 4.5])  # seed 2 diverged at the second row
    np.testing.assert_allclose(lo, [1.2, 4.1])
    np.testing.assert_allclose(hi, [2.8, 4.9])
    empty = curve_data.group_curve({"step": history["step"]}, "modes", SEEDS[0], [0, 1, 2])
    assert all(len(a) == 0 for a in empty)


def test_the_x_axis_leaves_room_until_there_is_a_span_to_fit():
    assert curve_data.first_x_range(None, 50) == (0.0, 500.0)
    assert curve_data.first_x_range(np.array([[100, 100]]), 50) == (100.0, 600.0)
    assert curve_data.first_x_range(np.array([[100, 100], [150, 150]]), 50) is None


def test_the_mode_axes_reach_the_mixtures_limits_or_the_largest_value():
    assert curve_data.mode_limits(real()) == (2, pytest.approx(math.log(4)))
    assert curve_data.mode_limits(real(())) == (0, 1.0)  # no known modes
    assert curve_data.mode_tops(real(), {}) == (2.0, pytest.approx(math.log(4)))
    history = {"modes": np.array([[1.0, np.nan], [3.0, 2.0]]),
               "reverse_kl": np.array([[np.inf, 0.5]])}
    assert curve_data.mode_tops(real(), history) == (3.0, pytest.approx(math.log(4)))


def test_one_legend_entry_per_setting_with_its_seeds_and_divergences():
    entries = curve_data.legend_entries(SEEDS, (False, True, False, False), {3}, banded=True)
    assert [e.members for e in entries] == [(0, 1, 2), (3,)]
    score, plugin = entries
    assert score.text == SEEDS[0].legend + " · 3 seeds (1/3 diverged)"
    assert not score.hidden and plugin.hidden and not plugin.band
    assert plugin.text == SEEDS[3].legend
    per_seed = curve_data.legend_entries(SEEDS, (True,) * 3, set(), banded=False)
    assert per_seed[0].text == SEEDS[0].legend + " (diverged)"
    assert per_seed[1].diverged == (False,)  # no flag for it: not diverged


def test_sigma_notes_name_what_the_log_axis_leaves_out():
    assert curve_data.sigma_notes([FIXED, LEARNED]) == []
    assert curve_data.sigma_notes([SEEDS[3]]) == ["σ = 0 not drawn"]
    full = RunSpec(2, "reparam_learned", 0, 0.05, True, "full")
    assert curve_data.sigma_notes([full, SEEDS[3]]) == ["learned Σ: its eigen-stds",
                                                       "σ = 0 not drawn"]


def test_equation1_shows_the_selected_or_the_first_shown_run():
    assert curve_data.eq1_run(4, 2, set()) == 2
    assert curve_data.eq1_run(4, 2, {2, 0}) == 1
    assert curve_data.eq1_run(4, 9, set()) == 0  # a selection from an older run set
    assert curve_data.eq1_run(2, 0, {0, 1}) is None
    assert curve_data.eq1_run(0, 0, set()) is None
    assert curve_data.eq1_label(SEEDS, 1) == SEEDS[1].legend + ", seed 1"
    assert curve_data.eq1_label(SEEDS, 3) == SEEDS[3].legend


def test_the_current_sigma_is_the_last_row_or_the_specs_and_only_positive():
    history = {"sigma": np.array([[0.05, 0.0], [0.04, 0.0]]),
               "sigma_mean": np.array([[0.3, 0.2], [0.3, 0.1]])}
    assert curve_data.current_sigma(history, FIXED, 0) == pytest.approx(0.04)
    assert curve_data.current_sigma(history, LEARNED, 1) == pytest.approx(0.1)
    assert curve_data.current_sigma({}, FIXED, 0) == 0.05
    assert curve_data.current_sigma(history, SEEDS[3], 1) is None  # sigma = 0
