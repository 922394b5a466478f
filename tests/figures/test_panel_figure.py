"""One run panel as a figure of its own ("Export this panel"): that panel alone with its
colour keys, at a figure's size, following the window's layers and chosen seed, nothing of
the other panels in the vector files, and clear errors that leave no file."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PIL import Image

from ganviz.core.contract import Snapshot
from ganviz.figures import panel_figure
from ganviz.figures.comparison import ComparisonView
from ganviz.figures.export import ExportError
from ganviz.views.seeds import group_key
from ganviz.views.viewstate import ViewState
from tests.figures.pdfpage import page_points
from tests.views.test_curves import make_snapshot

TITLES = {"plugin": "plug-in (gradient at the mean)", "score": "score function (REINFORCE)",
          "reparam_learned": "reparameterized, learned sigma(z)"}


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    return make_snapshot(20, estimators=list(TITLES), seeds=[0, 1])


@pytest.fixture(scope="module")
def shown(qapp, snap):
    """The window's panel grid (one panel per estimator, two seeds each)."""
    view = ComparisonView()
    view.show(snap)
    yield view.panels
    view.close()


def window_of(snap, panels, **state) -> SimpleNamespace:
    view = ViewState.default()
    for key, value in state.items():
        setattr(view, key, value)
    return SimpleNamespace(snapshot=snap, state=view, panels=panels)


def index_of(panels, estimator: str) -> int:
    return next(i for i, p in enumerate(panels.panels) if p.spec.estimator == estimator)


@pytest.mark.parametrize("look", ["dark", "paper"])
def test_the_panel_is_alone_with_its_keys_inside_the_figure(snap, shown, look):
    index = index_of(shown, "reparam_learned")
    with panel_figure.panel_copy(window_of(snap, shown), index, look) as grid:
        assert [p.specs for p in grid.panels] == [shown.panels[index].specs]
        assert grid.width() == panel_figure.panel_width(look)
        view = grid.viewport().rect().adjusted(-1, -1, 1, 1)  # (mapped rects round outwards)
        plot = grid.mapFromScene(grid.panels[0].plot.sceneBoundingRect()).boundingRect()
        assert view.contains(plot)
        assert plot.height() > 0.8 * view.height()  # as tall as the panel, no empty band
        keys = grid.key_items()
        assert grid.colorbar in keys and grid.sigma_bar in keys  # learned sigma: its key too
        for key in keys:
            assert view.contains(grid.mapFromScene(key.sceneBoundingRect()).boundingRect())


def test_the_copy_follows_the_windows_layers_and_chosen_seed(snap, shown):
    index = index_of(shown, "score")
    panel = shown.panels[index]
    window = window_of(snap, shown, layers={"real", "disc"},
                       panel_seeds={group_key(panel.spec): 1},
                       hidden_estimators={"score"})
    with panel_figure.panel_copy(window, index, "dark") as grid:
        copy = grid.panels[0]
        assert copy.spec.seed == 1 and copy.run == panel.specs[1].index
        assert copy.disc.isVisible() and not copy.density.isVisible()
        assert grid.visible_panels() == [copy]  # asked for, so shown though hidden in the window
    assert window.state.hidden_estimators == {"score"}  # the window's state untouched


@pytest.mark.parametrize("look", ["dark", "paper"])
def test_png_svg_and_pdf_hold_this_panel_and_no_other(snap, shown, tmp_path, look):
    window = window_of(snap, shown)
    index = index_of(shown, "plugin")
    width, height = panel_figure.panel_size(window, index, look)
    png = panel_figure.write_panel(window, index, tmp_path / "p.png", theme=look, scale=2.0)
    with Image.open(png) as im:
        assert im.size == (2 * width, 2 * height)
    text = panel_figure.write_panel(window, index, tmp_path / "p.svg",
                                    theme=look).read_text(encoding="utf-8")
    assert TITLES["plugin"] in text and "log₁₀ p(x)" in text  # the panel and its key
    for estimator in ("score", "reparam_learned"):
        assert TITLES[estimator] not in text, estimator
    data = panel_figure.write_panel(window, index, tmp_path / "p.pdf", theme=look).read_bytes()
    assert data.startswith(b"%PDF")
    if look == "paper":  # one column of a page: 3.5 in = 252 pt wide
        assert page_points(data)[0] == pytest.approx(72 * panel_figure.PANEL_INCHES, abs=0.5)


def test_bad_requests_name_the_problem_and_write_nothing(snap, shown, tmp_path):
    target = tmp_path / "keep.png"
    target.write_bytes(b"old")
    with pytest.raises(ExportError, match=r"no run panel 7; the window has 3"):
        panel_figure.write_panel(window_of(snap, shown), 7, target)
    with pytest.raises(ExportError, match=r"nothing to export yet"):
        panel_figure.write_panel(window_of(None, shown), 0, target)
    with pytest.raises(ExportError, match=r"\.png or \.svg or \.pdf"):
        panel_figure.write_panel(window_of(snap, shown), 0, tmp_path / "x.gif")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.png"]
