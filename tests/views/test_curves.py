"""The curves dock: one line per run in its estimator colour, cheap updates, resets, selection."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pyqtgraph as pg
import pytest

from ganviz.core.contract import LatestSlot, Snapshot
from ganviz.live.loop import TrainingLoop
from ganviz.views import theme
from ganviz.views.curve_data import TIME_PLOTS, mode_limits, run_label
from ganviz.views.curve_layout import EQ1
from ganviz.views.curves import PLOT_NAMES, CurvesPanel
from tests.conftest import small_config

SERIES = {"loss": ("loss_d", "loss_g"), "modes": ("modes",), "hq_fraction": ("hq_fraction",),
          "reverse_kl": ("reverse_kl",), "grad_rel_var": ("grad_rel_var",), "sigma": ("sigma",)}


def make_snapshot(steps: int = 60, **runs) -> Snapshot:
    """A real snapshot of a small session after ``steps`` training steps."""
    s = TrainingLoop(small_config(**runs), LatestSlot())
    s._reset(s.cfg)
    for _ in range(steps):
        s._one_step(s.trainer)
    s._finish_evaluation()  # as when paused: the last evaluation's row is in
    s._refresh_probes(force=True)
    return s.snapshot()


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return make_snapshot()


@pytest.fixture
def panel(qtbot) -> CurvesPanel:
    theme.configure_pyqtgraph()
    w = CurvesPanel()
    qtbot.addWidget(w)
    return w


def data_items(plot: pg.PlotItem) -> list[pg.PlotDataItem]:
    return [i for i in plot.items if isinstance(i, pg.PlotDataItem)]


def npoints(item: pg.PlotDataItem) -> int:
    return 0 if item.xData is None else len(item.xData)


def pen_color(item: pg.PlotDataItem) -> str:
    return pg.mkPen(item.opts["pen"]).color().name()


def legend_texts(panel: CurvesPanel) -> list[str]:
    return [label.text for _, label in panel.legend.items]


def test_every_plot_has_one_line_per_run_in_its_colour(panel, snap):
    panel.update_snapshot(snap)
    plots = panel.plots()
    assert set(plots) == set(PLOT_NAMES)
    n_rows, n_runs = snap.history["step"].shape
    assert n_runs == len(snap.runs) == 4 and n_rows == 7
    learned = sum(r.spec.learned_sigma for r in snap.runs)
    for name, series in SERIES.items():
        extra = 2 * learned if name == "sigma" else 0  # the 10-90 % band edges
        assert len(data_items(plots[name])) == len(series) * n_runs + extra, name
        for run in snap.runs:
            items = panel.run_items(run.spec.index)
            for key in series:
                item = items[key]
                assert item in plots[name].items
                assert len(item.xData) == len(item.yData) == n_rows
                assert pen_color(item) == theme.ESTIMATOR_COLORS[run.spec.estimator].lower()
        assert TIME_PLOTS[name][0] in plots[name].titleLabel.text
    assert np.isnan(panel.run_items(0)["loss_d"].yData[0])  # step-0 losses are NaN
    bands = [i for i in plots["sigma"].items if isinstance(i, pg.FillBetweenItem)]
    assert len(bands) == learned == 1
    assert plots["grad_rel_var"].ctrl.logYCheck.isChecked()
    assert legend_texts(panel) == [run_label(r.spec) for r in snap.runs]


def test_fixed_y_ranges(panel, snap):
    panel.update_snapshot(snap)
    plots = panel.plots()
    n_modes, kl_max = mode_limits(snap.real)
    assert n_modes == 8 and kl_max == pytest.approx(np.log(8))
    lo, hi = plots["modes"].vb.viewRange()[1]
    assert lo <= 0 and n_modes + 0.5 <= hi < n_modes + 1
    lo, hi = plots["hq_fraction"].vb.viewRange()[1]
    assert lo <= 0 and 1 <= hi < 1.1


def test_hiding_a_run_hides_its_curves(panel, snap):
    panel.update_snapshot(snap)
    panel.set_run_visible(1, False)
    assert not any(i.isVisible() for i in panel.run_items(1).values())
    assert all(i.isVisible() for r in (0, 2, 3) for i in panel.run_items(r).values())
    samples = [sample.item.isVisible() for sample, _ in panel.legend.items]
    assert samples == [True, False, True, True]  # the legend dims the hidden entry
    panel.set_run_visible(2, False)
    band = next(i for i in panel.plots()["sigma"].items if isinstance(i, pg.FillBetweenItem))
    assert not band.isVisible()
    panel.set_run_visible(1, True)
    assert all(i.isVisible() for i in panel.run_items(1).values())


def test_visibility_set_before_the_first_snapshot_applies(panel, snap):
    panel.set_run_visible(3, False)
    panel.update_snapshot(snap)
    assert not any(i.isVisible() for i in panel.run_items(3).values())


def test_selecting_a_run_changes_the_equation1_plot(panel, snap):
    panel.update_snapshot(snap)
    eq1 = panel.plots()[EQ1]
    items = data_items(eq1)
    assert len(items) == 4
    assert all(len(i.xData) == len(snap.curves.sigma) for i in items)
    for index in (1, 3):
        panel.set_selected_run(index)
        spec = snap.runs[index].spec
        color = theme.ESTIMATOR_COLORS[spec.estimator].lower()
        assert run_label(spec) in eq1.titleLabel.text and color in eq1.titleLabel.text
        assert f"step {snap.curves.step}" in eq1.titleLabel.text
        assert all(pen_color(i) == color for i in items)
        np.testing.assert_array_equal(items[0].yData, snap.curves.bias[index])
        np.testing.assert_array_equal(items[2].yData, snap.curves.score_std[index])
        np.testing.assert_array_equal(items[3].yData, snap.curves.score_std_mean[index])
        assert [label.text for _, label in panel.eq1.legend.items][:4] == [
            "relative bias", "pathwise std", "score std", "score, at-mean"]
    panel.set_selected_run(0)  # plug-in: sigma = 0 has no place on the log axis
    assert not panel.eq1.marker.isVisible()


def _legend_texts(panel: CurvesPanel) -> list[str]:
    return [label.text for _, label in panel.eq1.legend.items]


def test_the_equation1_legend_names_the_run_sigma_when_wide_enough(panel, snap, qtbot):
    """Two legend columns: the run-sigma entry is the fifth; one column (a narrow plot):
    it is left out, since the title names the run's sigma, and comes back when wider."""
    panel.update_snapshot(snap)
    panel.set_selected_run(1)
    sigma = snap.history["sigma"][-1, 1]
    panel.resize(1900, 320)
    panel.show()
    qtbot.waitUntil(lambda: len(_legend_texts(panel)) == 5)
    assert _legend_texts(panel)[4] == f"run σ = {sigma:.2g}"
    panel.set_selected_run(0)
    assert _legend_texts(panel)[4] == "run σ = 0"
    panel.resize(700, 320)
    qtbot.waitUntil(lambda: len(_legend_texts(panel)) == 4)
    panel.set_selected_run(1)  # the text follows while the entry is away
    panel.resize(1900, 320)
    qtbot.waitUntil(lambda: len(_legend_texts(panel)) == 5)
    assert _legend_texts(panel)[4] == f"run σ = {sigma:.2g}"


def test_equation1_follows_the_curves_step(panel, snap):
    panel.update_snapshot(snap)
    newer = dataclasses.replace(snap, curves=dataclasses.replace(
        snap.curves, step=snap.curves.step + 10, bias=snap.curves.bias * 2))
    panel.update_snapshot(newer)
    eq1 = panel.plots()[EQ1]
    assert f"step {snap.curves.step + 10}" in eq1.titleLabel.text
    np.testing.assert_array_equal(data_items(eq1)[0].yData, newer.curves.bias[0])
    panel.update_snapshot(dataclasses.replace(snap, curves=None))
    assert all(npoints(i) == 0 for i in data_items(eq1))


def test_fewer_runs_after_a_reset_rebuild_the_items(panel, snap):
    panel.update_snapshot(snap)
    old = panel.run_items(0)["loss_d"]
    small = make_snapshot(20, estimators=["plugin", "score"])
    panel.update_snapshot(small)
    plots = panel.plots()
    assert old not in plots["loss"].items
    assert len(data_items(plots["loss"])) == 4 and len(data_items(plots["modes"])) == 2
    assert not [i for i in plots["sigma"].items if isinstance(i, pg.FillBetweenItem)]
    assert len(panel.run_items(1)["modes"].xData) == small.history["step"].shape[0] == 3
    assert legend_texts(panel) == [run_label(r.spec) for r in small.runs]
    panel.set_selected_run(3)  # out of range after the reset: falls back to run 0
    assert run_label(small.runs[0].spec) in plots[EQ1].titleLabel.text


def test_empty_and_single_row_histories(panel, snap):
    empty = {k: v[:0] for k, v in snap.history.items()}
    panel.update_snapshot(dataclasses.replace(snap, history=empty, curves=None))
    assert all(npoints(i) == 0 for i in panel.run_items(2).values())
    one = {k: v[:1] for k, v in snap.history.items()}  # losses are all NaN at step 0
    panel.update_snapshot(dataclasses.replace(snap, history=one))
    assert all(len(i.xData) == 1 for i in panel.run_items(2).values())
    assert panel.run_items(2)["modes"].opts["symbol"] == "o"  # one row shows as a dot
    assert panel.run_items(2)["loss_d"].opts["symbol"] is None  # NaN: nothing to show
    assert panel.run_items(0)["sigma"].opts["symbol"] is None  # 0 on a log axis
    panel.update_snapshot(dataclasses.replace(snap, history={}))
    assert all(npoints(i) == 0 for i in panel.run_items(0).values())
    panel.clear()
    assert not data_items(panel.plots()["loss"]) and not panel.legend.items
    panel.update_snapshot(snap)
    assert len(data_items(panel.plots()["loss"])) == 8


def test_diverged_runs_keep_their_line_and_say_so(panel, snap):
    runs = tuple(dataclasses.replace(r, diverged=r.spec.index == 3) for r in snap.runs)
    panel.update_snapshot(dataclasses.replace(snap, runs=runs))
    assert legend_texts(panel)[3] == run_label(snap.runs[3].spec) + " (diverged)"
    assert panel.run_items(3)["loss_d"].isVisible()


def test_seeds_share_an_entry_and_sigmas_get_shades(panel):
    snap = make_snapshot(10, estimators=["reparam_fixed", "reparam_learned"], seeds=[0, 1],
                         sigmas=[0.05, 0.2])
    panel.update_snapshot(snap)
    assert len(snap.runs) == 6
    names = ["reparam, fixed σ = 0.05", "reparam, fixed σ = 0.2", "reparam, learned σ(z)"]
    assert legend_texts(panel) == [f"{n} · 2 seeds" for n in names]  # bands over seeds
    panel.state.set_per_seed(True)
    assert legend_texts(panel) == names
    colors = [pen_color(panel.run_items(r.spec.index)["modes"]) for r in snap.runs]
    assert colors[0] == colors[1] != colors[2] == colors[3]  # seeds share, sigmas differ
    assert colors[4] == theme.ESTIMATOR_COLORS["reparam_learned"].lower()


def test_updates_reuse_items(panel, snap):
    """New rows reuse the items (setData); an unchanged snapshot changes nothing.

    (How fast that is belongs to ``python main.py bench --gui``, not to a timed test.)
    """
    panel.update_snapshot(snap)
    items = {r: panel.run_items(r) for r in range(4)}
    t = 2000
    base = {k: np.resize(v, (t, 4)).astype(float) for k, v in snap.history.items()}
    base["step"] = np.repeat(np.arange(t, dtype=float)[:, None] * 10, 4, axis=1)
    for n in range(1990, 2000):
        panel.update_snapshot(dataclasses.replace(snap, history={k: v[:n] for k, v in
                                                                 base.items()}))
    assert all(panel.run_items(r) == items[r] for r in range(4))  # setData, no new items
    assert len(panel.run_items(0)["loss_d"].xData) == 1999
    before = panel.run_items(0)["loss_d"].xData
    panel.update_snapshot(dataclasses.replace(snap, history={k: v[:1999] for k, v in
                                                             base.items()}))
    assert panel.run_items(0)["loss_d"].xData is before


def test_screenshot_is_drawn(panel, snap, qtbot, tmp_path):
    panel.update_snapshot(snap)
    panel.set_selected_run(2)
    panel.resize(1600, 360)
    panel.show()
    qtbot.waitExposed(panel)
    image = panel.grab().toImage()
    assert image.save(str(tmp_path / "curves.png"))
    colors = {image.pixelColor(x, y).name() for x in range(0, 1600, 7) for y in range(0, 360, 5)}
    assert len(colors) > 20  # lines, text and grid, not just the background


def test_mode_plots_say_when_there_are_no_known_modes(qtbot):
    from dataclasses import replace

    from ganviz.views import theme
    from ganviz.views.curves import CurvesPanel

    theme.configure_pyqtgraph()
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    snap = make_snapshot(1, estimators=["reparam_fixed"], seeds=[0])
    panel.update_snapshot(snap)
    assert "no known modes" not in panel.plots()["modes"].titleLabel.text
    no_modes = replace(snap.real, modes=np.zeros((0, 2)), stds=np.zeros(0),
                       weights=np.zeros(0))
    panel.update_snapshot(replace(snap, real=no_modes, seq=snap.seq + 1))
    assert "no known modes" in panel.plots()["modes"].titleLabel.text
    assert "no known modes" in panel.plots()["reverse_kl"].titleLabel.text
    assert "no known modes" not in panel.plots()["loss"].titleLabel.text


def test_sigma_title_notes_eigen_stds_and_zero_sigma(qtbot):
    from ganviz.views import theme
    from ganviz.views.curves import CurvesPanel

    theme.configure_pyqtgraph()
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.update_snapshot(make_snapshot(1, estimators=["plugin", "reparam_learned"],
                                        covariance="full"))
    title = panel.plots()["sigma"].titleLabel.text
    assert "eigen-stds" in title and "σ = 0 not drawn" in title
    panel.update_snapshot(make_snapshot(1, estimators=["reparam_fixed", "reparam_learned"]))
    title = panel.plots()["sigma"].titleLabel.text
    assert "eigen-stds" not in title and "not drawn" not in title


def grid_snapshot(snap: Snapshot, rows: int = 4) -> Snapshot:
    """``snap`` switched to 25 equal modes (as grid25) with a fresh, shorter history whose
    modes and reverse KL lie far above ring8's limits (no training: numbers made up)."""
    n_runs = len(snap.runs)
    real = dataclasses.replace(snap.real, modes=np.zeros((25, 2)), stds=np.full(25, 0.05),
                               weights=np.full(25, 1 / 25))
    history = {k: np.array(v[:rows], dtype=float) for k, v in snap.history.items()}
    ramp = np.linspace(0, 1, rows)[:, None] * np.ones((1, n_runs))
    history["modes"] = 25 * ramp
    history["reverse_kl"] = 0.99 * np.log(25) * ramp[::-1]
    history["js_divergence"] = 5 + ramp  # far from ring8's values: an old range shows nothing
    return dataclasses.replace(snap, real=real, history=history, seq=snap.seq + 1)


def assert_ranges_hold_the_data(panel: CurvesPanel) -> None:
    for name, (_, _, log) in TIME_PLOTS.items():
        plot = panel.plots()[name]
        lo, hi = plot.vb.viewRange()[1]
        for item in data_items(plot):
            y = np.asarray(item.yData if item.yData is not None else [], dtype=float)
            y = np.log10(y[y > 0]) if log else y[np.isfinite(y)]
            if item.isVisible() and len(y):
                assert lo <= y.min() and y.max() <= hi, (name, lo, hi, y.min(), y.max())


def test_axes_follow_the_dataset(panel, snap):
    panel.update_snapshot(snap)  # ring8
    assert panel.plots()["modes"].vb.viewRange()[1][1] < 9
    panel.plots()["js_divergence"].setYRange(0, 0.01)  # a user's zoom, dropped by the reset
    grid = grid_snapshot(snap)
    panel.update_snapshot(grid)  # same runs, new data, new history (a reset)
    modes_hi = panel.plots()["modes"].vb.viewRange()[1][1]
    kl_hi = panel.plots()["reverse_kl"].vb.viewRange()[1][1]
    assert 25 <= modes_hi < 26.5 and np.log(25) <= kl_hi < 1.2 * np.log(25)
    assert_ranges_hold_the_data(panel)
    panel.update_snapshot(dataclasses.replace(snap, seq=grid.seq + 1))  # back to ring8
    assert panel.plots()["modes"].vb.viewRange()[1][1] < 9
    assert_ranges_hold_the_data(panel)
    beyond = grid_snapshot(snap)  # a value beyond the data's limit still gets room
    beyond.history["reverse_kl"][-1] = 2 * np.log(25)
    panel.update_snapshot(beyond)
    assert_ranges_hold_the_data(panel)


def test_equation1_legend_is_outside_the_data_area(panel, snap, qtbot):
    panel.update_snapshot(snap)
    panel.show()
    qtbot.waitExposed(panel)
    eq1 = panel.plots()[EQ1]
    for width, height in ((1600, 360), (1024, 300), (800, 420)):
        panel.resize(width, height)
        qtbot.wait(10)
        legend = panel.eq1.legend.sceneBoundingRect()
        data = eq1.vb.sceneBoundingRect()
        assert legend.height() > 0 and not legend.intersects(data), (width, legend, data)
        assert eq1.sceneBoundingRect().contains(legend)  # part of the plot: exports keep it
        labels = [label for _, label in panel.eq1.legend.items]
        assert all(legend.contains(label.sceneBoundingRect()) for label in labels)


def test_equation1_skips_hidden_runs(panel, snap):
    panel.update_snapshot(snap)
    eq1 = panel.plots()[EQ1]
    panel.set_selected_run(2)
    panel.set_run_visible(2, False)  # its estimator toggled off
    assert panel.eq1_run() == 0
    assert run_label(snap.runs[0].spec) in eq1.titleLabel.text
    np.testing.assert_array_equal(data_items(eq1)[0].yData, snap.curves.bias[0])
    for r in (0, 1, 3):
        panel.set_run_visible(r, False)
    assert panel.eq1_run() is None
    assert "no run shown" in eq1.titleLabel.text
    assert all(npoints(i) == 0 for i in data_items(eq1))
    assert not panel.eq1.marker.isVisible()
    panel.set_run_visible(2, True)
    assert panel.eq1_run() == 2 and run_label(snap.runs[2].spec) in eq1.titleLabel.text
    np.testing.assert_array_equal(data_items(eq1)[0].yData, snap.curves.bias[2])


def test_narrow_docks_elide_titles_and_wrap_plots(panel, snap, qtbot):
    from PySide6.QtGui import QFontMetricsF

    from ganviz.views.curve_layout import MIN_PLOT_WIDTH

    panel.update_snapshot(snap)
    panel.show()
    qtbot.waitExposed(panel)
    # wide; narrow and tall enough to wrap; narrow and short: two rows of narrower plots
    for width, height, per_row in ((1600, 360, 4), (1024, 400, 3), (700, 420, 2), (1024, 240, 4)):
        panel.resize(width, height)
        qtbot.waitUntil(lambda: panel.per_row == per_row)  # noqa: B023
        qtbot.wait(10)
        rects = {name: plot.sceneBoundingRect() for name, plot in panel.plots().items()}
        for name, plot in panel.plots().items():
            label = plot.titleLabel
            font = label.item.font()
            font.setPointSizeF(10)
            shown = label.item.toPlainText()
            assert QFontMetricsF(font).horizontalAdvance(shown) <= rects[name].width(), name
            assert label.sceneBoundingRect().width() <= rects[name].width() + 0.5
            assert rects[name].left() >= 0 and rects[name].right() <= width
        assert panel.plots()["sigma"].titleLabel.text.startswith(TIME_PLOTS["sigma"][0])
        if width < 1600:  # narrow: some title had to be cut, and says so
            assert any(p.titleLabel.item.toPlainText().endswith("…")
                       for p in panel.plots().values())
        if width >= 1024 and height >= 360:
            assert all(rects[name].width() >= MIN_PLOT_WIDTH for name in TIME_PLOTS)
        rows = {round(rects[name].top()) for name in TIME_PLOTS}
        assert len(rows) == -(-len(TIME_PLOTS) // per_row)
        names = list(rects)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                overlap = rects[a].intersected(rects[b])
                assert overlap.width() * overlap.height() < 1, (width, a, b)


def test_step_labels_do_not_run_together_on_short_axes(panel):
    from PySide6.QtGui import QFont, QFontMetricsF

    from ganviz.views.theme import DARK

    font = QFont()
    font.setPointSizeF(DARK.text.tick)
    metrics = QFontMetricsF(font)
    axis = panel.plots()["loss"].getAxis("bottom")
    for lo, hi, size in ((0, 900, 100), (0, 12000, 130), (0, 60, 90), (1000, 51000, 400)):
        (major, _), *_ = axis.tickSpacing(lo, hi, size)
        ticks = np.arange(np.ceil(lo / major), np.floor(hi / major) + 1) * major
        widest = max(metrics.horizontalAdvance(s) for s in axis.tickStrings(ticks, 1, major))
        assert major / (hi - lo) * size >= widest + 4, (lo, hi, size, major)
        assert len(ticks) >= 1


def test_value_labels_do_not_overlap_on_short_axes(panel):
    from PySide6.QtGui import QFont, QFontMetricsF

    from ganviz.views.theme import DARK

    font = QFont()
    font.setPointSizeF(DARK.text.tick)
    line = QFontMetricsF(font).height()
    axis = panel.plots()["hq_fraction"].getAxis("left")
    for lo, hi, size in ((0, 1, 55), (0.62, 0.65, 50), (0, 25, 60), (-2, 3, 200)):
        (major, _), *_ = axis.tickSpacing(lo, hi, size)
        assert major / (hi - lo) * size >= line, (lo, hi, size, major)


def test_widened_steps_keep_only_minor_ticks_that_divide_them(panel):
    """Widening 2 to 5 must not keep 2 as a labelled minor level (4, 5, 6 side by side)."""
    axis = panel.plots()["loss"].getAxis("bottom")
    for lo, hi, size in ((-0.4, 8.4, 70), (0, 900, 100), (0, 12000, 130), (-1.25, 26.25, 90)):
        levels = axis.tickSpacing(lo, hi, size)
        major = levels[0][0]
        for minor, _ in levels[1:]:
            assert abs(major / minor - round(major / minor)) < 1e-9, (lo, hi, size, levels)


def test_log_labels_keep_a_line_apart_and_thin_out_on_short_axes(panel):
    """Gradient noise over 0.004-0.06 (1.2 decades): 2 and 5 labelled on a tall axis, only
    what fits on a short one (the window at scale 2 gave 0.005, 0.01, 0.02, 0.05 in 30 px)."""
    from PySide6.QtGui import QFont, QFontMetricsF

    from ganviz.views.theme import DARK

    font = QFont()
    font.setPointSizeF(DARK.text.tick)
    line = QFontMetricsF(font).height()
    axis = panel.plots()["grad_rel_var"].getAxis("left")
    assert axis.logMode
    low, high = math.log10(0.004), math.log10(0.06)
    tall = axis.log_labelled(low, high, 200)
    assert {round(math.log10(v), 6) for v in (0.005, 0.01, 0.02, 0.05)} <= tall
    for length in (30, 45, 60, 90, 200):
        shown = sorted(axis.log_labelled(low, high, length))
        assert round(math.log10(0.01), 6) in shown, "the decade comes first"
        gaps = np.diff(shown) * length / (high - low)
        assert (gaps >= line).all(), (length, shown)
    assert len(axis.log_labelled(low, high, 30)) < len(tall)


def test_log_decades_thin_out_side_by_side(panel):
    """Decades as 10⁻³ on a narrow bottom axis: every other one rather than overlapping."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QFont, QFontMetricsF

    from ganviz.views.theme import DARK

    font = QFont()
    font.setPointSizeF(DARK.text.tick)
    metrics = QFontMetricsF(font)
    axis = panel.plots()["grad_rel_var"].getAxis("bottom")
    axis.logMode = True
    for low, high, length in ((-3, 0, 60), (-3, 0.5, 90), (-6, 0, 120), (-3, 0, 300)):
        shown = sorted(axis.log_labelled(low, high, length))
        assert shown, (low, high, length)
        axis.range = [low, high]
        axis.setGeometry(QRectF(0, 0, length, 30))
        texts = axis.tickStrings(shown, 1, 1)
        assert all(texts), texts
        edges = [((v - low) / (high - low) * length, metrics.horizontalAdvance(t))
                 for v, t in zip(shown, texts, strict=True)]
        for (a, wa), (b, wb) in itertools.pairwise(edges):
            assert b - a >= (wa + wb) / 2 + 4, (low, high, length, texts)
