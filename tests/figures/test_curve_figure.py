"""One curve plot as a figure of its own ("Export this plot"): the plot alone at a figure's
size, its runs' legend above it and inside the figure, the window's view state followed,
nothing else in the vector files, and clear errors that leave no file."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from ganviz.core.contract import Snapshot
from ganviz.figures import curve_figure
from ganviz.figures.export import ExportError
from ganviz.views import theme
from ganviz.views.curve_data import TIME_PLOTS
from ganviz.views.curve_layout import EQ1
from ganviz.views.eq1plot import EQ1_TITLE
from ganviz.views.viewstate import ViewState
from tests.figures.pdfpage import page_points
from tests.views.test_curves import make_snapshot

ESTIMATORS = ["plugin", "reparam_fixed", "score"]


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return make_snapshot(30, estimators=ESTIMATORS, seeds=[0])


def window_of(snap: Snapshot | None, **state) -> curve_figure.Drawn:
    """What the export reads of the window: its snapshot and view state."""
    view = ViewState.default()
    for key, value in state.items():
        setattr(view, key, value)
    return curve_figure.Drawn(snap, view)


def legend_texts(panel) -> list[str]:
    return [label.text for _, label in panel.legend.items]


@pytest.mark.parametrize("look", ["dark", "paper"])
def test_the_plot_is_alone_with_its_legend_above_it_inside_the_figure(qapp, snap, look):
    theme.configure_pyqtgraph()
    with curve_figure.curve_plot_copy(window_of(snap), "modes", look) as panel:
        plots = panel.plots()
        assert [n for n, p in plots.items() if p.isVisible()] == ["modes"]
        view = panel.view.rect()
        assert (panel.width(), panel.height()) == curve_figure.curve_plot_size(look)
        # the grid is the view's size (it first grew to the legend's one-row layout)
        assert panel.view.ci.geometry().width() == pytest.approx(view.width())
        legend = panel.view.mapFromScene(panel.legend.sceneBoundingRect()).boundingRect()
        plot = panel.view.mapFromScene(plots["modes"].sceneBoundingRect()).boundingRect()
        assert view.contains(legend) and view.contains(plot)
        assert legend.bottom() <= plot.top() + 1
        assert len(legend_texts(panel)) == len(ESTIMATORS)


def test_the_equation1_plot_alone_keeps_its_own_legend_only(qapp, snap):
    with curve_figure.curve_plot_copy(window_of(snap), EQ1, "paper") as panel:
        assert not panel.legend.isVisible()
        assert [n for n, p in panel.plots().items() if p.isVisible()] == [EQ1]
        assert panel.eq1.legend.isVisible()


def test_the_copy_follows_the_windows_hidden_estimators_and_selected_run(qapp, snap):
    window = window_of(snap, hidden_estimators={"score"}, selected_run=1)
    with curve_figure.curve_plot_copy(window, "loss", "dark") as panel:
        for spec in panel.lines.specs:
            shown = panel.run_items(spec.index)["loss_d"].isVisible()
            assert shown == (spec.estimator != "score"), spec.estimator
        assert panel.eq1_run() == 1
    assert window.state.hidden_estimators == {"score"}  # the window's state is not touched


@pytest.mark.parametrize("look", ["dark", "paper"])
def test_png_svg_and_pdf_hold_this_plot_and_no_other(qapp, snap, tmp_path, look):
    window = window_of(snap)
    width, height = curve_figure.curve_plot_size(look)
    png = curve_figure.write_curve_plot(window, "modes", tmp_path / "m.png", theme=look,
                                        scale=2.0)
    with Image.open(png) as im:
        assert im.size == (2 * width, 2 * height)
    svg = curve_figure.write_curve_plot(window, "modes", tmp_path / "m.svg", theme=look)
    text = svg.read_text(encoding="utf-8")
    assert "Modes captured" in text and "score function" in text
    others = [TIME_PLOTS[n][0] for n in TIME_PLOTS if n != "modes"] + [EQ1_TITLE]
    for title in others:  # (titles are drawn as text: none of the other plots is in it)
        assert f">{title}<" not in text, title
    view = re.search(r'viewBox="0 0 (\d+) (\d+)"', text).groups()
    assert (int(view[0]), int(view[1])) == (width, height)
    pdf = curve_figure.write_curve_plot(window, "modes", tmp_path / "m.pdf", theme=look)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    if look == "paper":  # one column of a page: 3.5 in = 252 pt wide
        assert page_points(data)[0] == pytest.approx(72 * curve_figure.PLOT_INCHES, abs=0.5)


def test_bad_requests_name_the_problem_and_write_nothing(qapp, snap, tmp_path):
    target = tmp_path / "keep.png"
    target.write_bytes(b"old")
    with pytest.raises(ExportError, match=r"no curve plot 'nope'; choose from loss, "):
        curve_figure.write_curve_plot(window_of(snap), "nope", target)
    with pytest.raises(ExportError, match=r"nothing to export yet"):
        curve_figure.write_curve_plot(window_of(None), "loss", target)
    with pytest.raises(ExportError, match=r"\.png or \.svg or \.pdf"):
        curve_figure.write_curve_plot(window_of(snap), "loss", tmp_path / "x.jpg")
    (tmp_path / "f").write_text("a file, not a folder")
    with pytest.raises(ExportError, match=r"cannot write .*f/x\.svg"):
        curve_figure.write_curve_plot(window_of(snap), "loss", tmp_path / "f" / "x.svg")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f", "keep.png"]


def test_the_comparison_copy_hides_the_windows_hidden_estimators_curves(qapp, snap):
    """A paper export of the window redraws the curves: those of an estimator switched off
    in the toolbar stay off there too, and the equation-1 plot shows the selected run."""
    from ganviz.figures.comparison import ComparisonView

    state = window_of(snap, hidden_estimators={"plugin"}, selected_run=2).state
    view = ComparisonView(theme=theme.PAPER, state=state)
    try:
        view.show(snap)
        shown = {s.estimator: view.curves.run_items(s.index)["loss_d"].isVisible()
                 for s in view.curves.lines.specs}
        assert shown == {"plugin": False, "reparam_fixed": True, "score": True}
        assert view.curves.eq1_run() == 2
    finally:
        view.close()
