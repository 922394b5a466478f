"""Seeds as bands: the median/quantile maths, one panel per group with a seed selector, the
curves' median lines in 10-90 % bands and the "Per seed" switch back to one line per run."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ganviz.core.contract import RunSpec, Snapshot
from ganviz.views.seeds import group_key, group_runs, row_quantiles, seed_band, seed_title
from tests.views.test_curves import make_snapshot

SEEDS = [0, 1, 2]


# ------------------------------------------------------------------ pure maths
def spec(index: int, estimator: str = "reparam_fixed", seed: int = 0, sigma: float = 0.05,
         learned: bool = False) -> RunSpec:
    return RunSpec(index, estimator, seed, sigma, learned)


def test_groups_are_settings_without_seed_in_run_order():
    specs = [spec(0, "plugin", 0, 0.0), spec(1, "plugin", 1, 0.0), spec(2, seed=0),
             spec(3, seed=0, sigma=0.2), spec(4, seed=1), spec(5, seed=1, sigma=0.2),
             spec(6, "plugin", 2, 0.0)]
    assert group_runs(specs) == [[0, 1, 6], [2, 4], [3, 5]]
    assert group_key(specs[0]) == group_key(specs[6]) != group_key(specs[2])
    assert group_key(spec(0, learned=True)) != group_key(spec(0))
    assert group_runs([]) == []


def test_median_and_band_match_numpy_and_leave_out_nan_and_diverged():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(9, 5))
    values[2, 1] = np.nan  # a NaN (diverged) value
    values[4, :] = np.nan  # nothing left at this row
    diverged = np.zeros_like(values)
    diverged[6:, 3] = 1  # seed 3 diverged from row 6 on (its values there are not NaN)
    med, lo, hi = seed_band(values, diverged)
    kept = np.where(diverged != 0, np.nan, values)
    rows = [t for t in range(9) if t != 4]
    np.testing.assert_allclose(med[rows], np.nanmedian(kept[rows], axis=1))
    np.testing.assert_allclose(lo[rows], np.nanquantile(kept[rows], 0.1, axis=1))
    np.testing.assert_allclose(hi[rows], np.nanquantile(kept[rows], 0.9, axis=1))
    assert np.isnan([med[4], lo[4], hi[4]]).all()
    assert (lo[rows] <= med[rows]).all() and (med[rows] <= hi[rows]).all()
    assert med[7] != np.median(values[7])  # the diverged seed really is left out


def test_known_values_and_a_single_seed():
    med, lo, hi = seed_band(np.array([[1.0, 2.0, 3.0, 4.0, 5.0], [7.0, np.nan, np.nan, 1.0, 3.0]]))
    np.testing.assert_allclose(med, [3.0, 3.0])
    np.testing.assert_allclose(lo, [1.4, 1.4])  # 1 + 0.1 * 4; 1 + 0.1 * 2 * (3 - 1)
    np.testing.assert_allclose(hi, [4.6, 6.2])
    med, lo, hi = seed_band(np.array([[2.5], [np.inf]]))
    np.testing.assert_allclose(med[:1], [2.5])
    assert lo[0] == hi[0] == 2.5 and np.isnan(med[1])


def test_log_series_leave_out_non_positive_and_band_in_log_space():
    values = np.array([[1e-3, 1e-1, 10.0], [0.0, -1.0, 4.0], [0.0, 0.0, 0.0]])
    med, lo, hi = seed_band(values, log=True)
    logs = np.log10(values[0])
    np.testing.assert_allclose(med[0], 0.1)
    np.testing.assert_allclose(lo[0], 10 ** np.quantile(logs, 0.1))
    np.testing.assert_allclose(hi[0], 10 ** np.quantile(logs, 0.9))
    np.testing.assert_allclose([med[1], lo[1], hi[1]], [4.0, 4.0, 4.0])  # 0 and -1 left out
    assert np.isnan([med[2], lo[2], hi[2]]).all()  # sigma = 0: nothing to draw on a log axis
    lin = seed_band(values)[0]
    assert lin[1] == 0.0  # on a linear axis zeros count


def test_row_quantiles_refuse_a_wrong_shape():
    with pytest.raises(ValueError, match=r"values must be \[T, k\]"):
        row_quantiles(np.arange(4.0), (0.5,))
    out = row_quantiles(np.empty((3, 0)), (0.5, 0.9))
    assert out.shape == (2, 3) and np.isnan(out).all()


# ------------------------------------------------------------------ the window's views
@pytest.fixture(scope="module")
def snap() -> Snapshot:
    """2 settings x 3 seeds, three evaluations."""
    return make_snapshot(20, estimators=["reparam_fixed", "reparam_learned"], seeds=SEEDS)


@pytest.fixture
def grid(qtbot):
    from ganviz.views import theme
    from ganviz.views.panel_grid import PanelGrid
    from ganviz.views.viewstate import ViewState

    theme.configure_pyqtgraph()
    w = PanelGrid(ViewState.default())
    qtbot.addWidget(w)
    w.resize(900, 400)
    return w


@pytest.fixture
def curves(qtbot):
    from ganviz.views import theme
    from ganviz.views.curves import CurvesPanel

    theme.configure_pyqtgraph()
    w = CurvesPanel()
    qtbot.addWidget(w)
    return w


def drawn_density(panel) -> np.ndarray:
    """The log-density image the panel draws (upsampled smoothly from its run's grid)."""
    return np.asarray(panel.density.image)


def smooth_image(a: np.ndarray) -> np.ndarray:
    from ganviz.views.panel_data import smooth_image

    return smooth_image(a)


def test_seed_title_names_the_seed_and_its_place():
    specs = [RunSpec(index=i, estimator="plugin", sigma=0.0, learned_sigma=False, seed=seed)
             for i, seed in enumerate([7, 3, 11])]
    assert seed_title(specs[0], specs[:1]) == "seed 7"
    assert seed_title(specs[0], specs) == "seed 7 (1 of 3)"
    assert seed_title(specs[1], specs) == "seed 3 (2 of 3)"
    assert seed_title(specs[2], specs) == "seed 11 (3 of 3)"


def test_one_panel_per_setting_with_a_seed_selector(grid, snap):
    specs = tuple(r.spec for r in snap.runs)
    assert len(specs) == 6
    grid.set_runs(specs)
    grid.update_snapshot(snap)
    assert len(grid.panels) == 2
    assert [[s.seed for s in p.specs] for p in grid.panels] == [SEEDS, SEEDS]
    assert [p.run for p in grid.panels] == [0, 3]  # the first seed of each by default
    for p in grid.panels:
        assert p.seed_box is not None and p.seed_box.count() == 3
        assert f"seed {SEEDS[0]} (1 of 3)" in p.plot.titleLabel.text
        np.testing.assert_allclose(drawn_density(p), smooth_image(np.log10(np.maximum(
            snap.views.density[p.run], 1e-30))))
    # the view state chooses seed 2 of the learned group: its panel draws run 5
    learned = grid.panels[1]
    grid.state.show_seed(learned.group, 2)
    assert learned.run == 5 and learned.seed_box.currentText() == "seed 2"
    assert grid.panels[0].run == 0
    grid.update_snapshot(snap)
    assert "seed 2 (3 of 3)" in learned.plot.titleLabel.text  # exports hide the selector
    np.testing.assert_allclose(drawn_density(learned), smooth_image(np.log10(np.maximum(
        snap.views.density[5], 1e-30))))
    assert not np.allclose(snap.views.density[5], snap.views.density[3])  # seeds differ
    # the combo box (a user's choice) goes through the view state
    grid.state.select_run(3)  # the equation-1 curves showed this group: they follow
    learned.seed_box.setCurrentIndex(1)
    assert grid.state.panel_seeds[learned.group] == 1 and learned.run == 4
    assert grid.state.selected_run == 4
    grid.panels[0].seed_box.setCurrentIndex(2)
    assert grid.panels[0].run == 2 and grid.state.selected_run == 4  # not this group's run
    # a redraw and a new panel set for the same runs keep the choice
    grid.redraw()
    grid.set_runs(specs)
    assert [p.run for p in grid.panels] == [2, 4]
    assert grid.panel_of_run(5) is grid.panels[1] and grid.panel_of_run(9) is None
    assert not learned.show_run(0)  # not one of its runs: nothing changes


def test_hidden_estimators_and_single_seeds(grid, snap):
    grid.set_runs(tuple(r.spec for r in snap.runs))
    grid.state.set_estimator_visible("reparam_fixed", False)
    assert [p.spec.estimator for p in grid.visible_panels()] == ["reparam_learned"]
    grid.state.set_estimator_visible("reparam_fixed", True)
    assert len(grid.visible_panels()) == 2
    one = [spec(0, "plugin", 7, 0.0), spec(1, "score", 7)]
    grid.set_runs(one)
    assert len(grid.panels) == 2 and all(p.seed_box is None for p in grid.panels)
    assert "seed 7" in grid.panels[1].plot.titleLabel.text


def test_curves_draw_the_median_in_a_band_and_switch_to_per_seed(curves, snap):
    import pyqtgraph as pg

    from ganviz.views import theme

    curves.update_snapshot(snap)
    h = snap.history
    assert curves.banded() and not curves.per_seed_box.isChecked()
    for first, members in ((0, [0, 1, 2]), (3, [3, 4, 5])):
        groups = curves.group_items(first)
        assert curves.group_items(members[-1]) == groups
        for series in ("modes", "energy_distance", "loss_d"):
            med, lo, hi = seed_band(h[series][:, members], h["diverged"][:, members])
            np.testing.assert_allclose(groups[series].yData, med)
            edge_lo, edge_hi = curves.group_bands(first)[series]
            np.testing.assert_allclose(edge_lo.yData, lo)
            np.testing.assert_allclose(edge_hi.yData, hi)
        # the learned group's sigma line is the median of sigma_mean, on a log axis
        sigma = "sigma_mean" if first == 3 else "sigma"
        np.testing.assert_allclose(groups["sigma"].yData, seed_band(
            h[sigma][:, members], log=True)[0])
        color = pg.mkPen(groups["modes"].opts["pen"]).color().name()
        assert color == theme.ESTIMATOR_COLORS[snap.runs[first].spec.estimator].lower()
        assert all(i.isVisible() for i in groups.values())
        assert not any(i.isVisible() for r in members for i in curves.run_items(r).values())
    bands = [i for i in curves.plots()["modes"].items if isinstance(i, pg.FillBetweenItem)]
    assert len(bands) == 2 and all(b.isVisible() for b in bands)
    texts = [label.text for _, label in curves.legend.items]
    assert texts == ["reparam, fixed σ = 0.05 · 3 seeds", "reparam, learned σ(z) · 3 seeds"]
    # the box switches back to one line per seed (through the view state)
    curves.per_seed_box.setChecked(True)
    assert curves.state.per_seed and not curves.banded()
    assert not any(i.isVisible() for i in curves.group_items(0).values())
    assert all(i.isVisible() for r in range(6) for i in curves.run_items(r).values())
    np.testing.assert_allclose(curves.run_items(4)["modes"].yData, h["modes"][:, 4])
    assert [label.text for _, label in curves.legend.items] == [
        "reparam, fixed σ = 0.05", "reparam, learned σ(z)"]
    curves.state.set_per_seed(False)  # and back, from the view state
    assert not curves.per_seed_box.isChecked() and curves.banded()
    assert all(i.isVisible() for i in curves.group_items(0).values())
    # hiding an estimator hides its group's band too
    for r in (0, 1, 2):
        curves.set_run_visible(r, False)
    assert not any(i.isVisible() for i in curves.group_items(0).values())
    assert all(i.isVisible() for i in curves.group_items(3).values())


def test_a_diverged_seed_is_left_out_of_the_median(curves, snap):
    h = dict(snap.history)
    modes = h["modes"].copy()
    modes[-1, 1] = np.nan  # seed 1 of the first group diverged at the last evaluation
    diverged = h["diverged"].copy()
    diverged[-1, 1] = 1
    h["modes"], h["diverged"] = modes, diverged
    runs = tuple(dataclasses.replace(r, diverged=r.spec.index == 1) for r in snap.runs)
    curves.update_snapshot(dataclasses.replace(snap, history=h, runs=runs))
    line = curves.group_items(0)["modes"].yData
    assert line[-1] == pytest.approx(np.mean(modes[-1, [0, 2]]))  # median of the other two
    assert "1/3 diverged" in curves.legend.items[0][1].text


def test_single_seed_settings_draw_their_lines_as_today(curves):
    snap = make_snapshot(10, estimators=["plugin", "score"], seeds=[4])
    curves.update_snapshot(snap)
    assert not curves.banded() and not curves.group_items(0)
    assert not curves.legend_column.seed_proxy.isVisible()  # nothing to switch
    assert all(i.isVisible() for r in (0, 1) for i in curves.run_items(r).values())
    np.testing.assert_allclose(curves.run_items(1)["modes"].yData, snap.history["modes"][:, 1])


def test_figures_have_one_panel_per_setting(snap, tmp_path, qapp):
    from PIL import Image

    from ganviz.figures.comparison import write_figures
    from ganviz.figures.panel_figure import panel_width

    paths = write_figures(snap, tmp_path, scale=1.0)
    panels = sorted(p.name for p in paths if p.name.startswith("panel-"))
    assert panels == ["panel-00-reparam_fixed.png", "panel-03-reparam_learned.png"]
    for name in panels:  # each a figure of its own (with its keys), not cut from the grid
        with Image.open(tmp_path / name) as im:
            assert im.width == panel_width("dark"), name


def test_exports_hide_the_seed_selector_and_restore_it(grid, snap):
    from ganviz.figures import export, printable

    grid.set_runs(tuple(r.spec for r in snap.runs))
    grid.update_snapshot(snap)
    panel = grid.panels[0]
    proxy = panel._seed_proxy
    assert proxy.isVisible()
    with printable.printable([panel.plot.scene()]):
        assert not proxy.isVisible()  # a figure shows "seed 0 (1 of 3)" in the title instead
    assert proxy.isVisible()
    image = export.plot_image(panel.plot, 1.0)
    assert not image.isNull() and proxy.isVisible()


def test_exports_keep_the_band_note_and_hide_the_per_seed_box(curves, snap):
    from ganviz.figures import printable

    curves.update_snapshot(snap)
    assert curves.per_seed_box.isVisible() and curves.band_note.isVisible()
    with printable.printable([curves.view.scene()]):
        assert not curves.per_seed_box.isVisible()
        assert curves.band_note.isVisible()  # "Lines: median over seeds" explains the figure
    assert curves.per_seed_box.isVisible()
