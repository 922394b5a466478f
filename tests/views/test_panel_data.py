"""What a run panel draws, without a window: levels, smooth images, the sigma colours, the
real data's crosses, the arrows' length, the caption and the hover text."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ganviz.core.contract import RealData
from ganviz.views import panel_data
from ganviz.views.panel_data import SIGMA_LEVELS, smooth_image
from tests.panel_fakes import SPECS, fake_snapshot


def test_panel_images_are_smooth_not_blocky():
    rng = np.random.default_rng(1)
    coarse = rng.random((24, 24)).astype(np.float32)
    img = smooth_image(coarse)
    assert img.shape[0] >= 384 and img.shape[0] % 24 == 0
    step = np.abs(np.diff(img, axis=1)).max()
    assert step <= np.abs(np.diff(coarse, axis=1)).max() / (img.shape[0] // 24) + 1e-6


def test_levels_span_three_decades_below_the_peak_and_sigma_three_around_the_std():
    snap = fake_snapshot()
    data = dataclasses.replace(snap.real, peak_density=100.0)
    assert panel_data.density_levels(data) == pytest.approx((-1.0, 2.0))
    assert panel_data.sigma_color_range(data) == pytest.approx((-3.0, 0.0))  # stds 0.1
    files = RealData(np.zeros((0, 2)), np.zeros(0), np.zeros(0), 1.0, scale=10.0)
    assert panel_data.sigma_color_range(files) == pytest.approx((-1.0, 2.0))


def test_sigma_colours_index_the_log_range_and_clip_at_both_ends():
    real = fake_snapshot().real  # colour range 10^-3 .. 10^0
    k = np.arange(SIGMA_LEVELS)
    np.testing.assert_array_equal(panel_data.sigma_bins(10 ** (-3 + 3 * k / 31), real), k)
    np.testing.assert_array_equal(panel_data.sigma_bins(np.array([0.0, 1e-9, 100.0]), real),
                                  [0, 0, SIGMA_LEVELS - 1])


def test_crosses_mark_each_point():
    x, y = panel_data.crosses(np.array([[1.0, 2.0], [0.0, 0.0]]), 0.5)
    np.testing.assert_array_equal(x[:6], [0.5, 1.5, np.nan, 1.0, 1.0, np.nan])
    np.testing.assert_array_equal(y[:6], [2.0, 2.0, np.nan, 1.5, 2.5, np.nan])
    assert len(x) == len(y) == 12


def test_arrows_fill_most_of_a_grid_spacing():
    views = fake_snapshot(extent=3.0).views  # a 5 x 5 arrow grid over [-3, 3]
    assert panel_data.arrow_length(views) == pytest.approx(0.9 * 6 / 5)


def test_caption_says_what_the_title_does_not():
    views = fake_snapshot(labels=("KDE, h = 0.25", "mixture", "mixture", "mixture")).views
    assert panel_data.caption_text(SPECS[0], views, 0)[0] == "p(x): KDE, h = 0.25"
    assert panel_data.caption_text(SPECS[1], views, 1) == ("", "")
    text, tip = panel_data.caption_text(SPECS[2], views, 2)
    assert text == "σ(z) 0.05 [0.03, 0.08]" and "10th to 90th percentile" in tip


def test_hover_reports_the_cell_nearest_to_the_point():
    views = fake_snapshot().views
    x, y = float(views.xs[3]) + 0.01, float(views.ys[5]) - 0.01
    text = panel_data.hover_text(SPECS[1], views, x, y, 1)
    assert f"p(x) = {views.density[1, 5, 3]:.3g}" in text
    assert f"D(x) = {views.disc[1, 5, 3]:.3f}" in text and "(seed 0)" in text
    no_disc = dataclasses.replace(views, disc=None)
    assert "D(x)" not in panel_data.hover_text(SPECS[1], no_disc, x, y, 1)
