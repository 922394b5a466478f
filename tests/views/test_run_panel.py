"""One run panel: its one-line caption with a background, elided when narrow; what it
says on hover is in test_panel_grid.py (the grid routes the mouse)."""

from __future__ import annotations

import pytest

from ganviz.views.panel_grid import PanelGrid
from tests.panel_fakes import fake_snapshot, new_grid, show


@pytest.fixture
def grid(qtbot):
    return new_grid(qtbot)


def captions(grid: PanelGrid) -> dict[str, str]:
    return {p.spec.estimator: p.note.textItem.toPlainText() if p.note.isVisible() else ""
            for p in grid.panels}


def test_captions_are_one_short_line_that_does_not_repeat_the_title(grid):
    labels = ("KDE, h = 0.25", "mixture", "mixture, sigma floored at h = 0.25 for 46% of draws",
              "mixture")
    show(grid, fake_snapshot(labels=labels))
    text = captions(grid)
    assert text["plugin"] == "p(x): KDE, h = 0.25"  # "σ = 0" is the title's second line
    assert text["reparam_fixed"] == "" and text["score"] == ""
    assert text["reparam_learned"] == "σ(z) 0.05 [0.03, 0.08] · p(x) floored: 46%"
    learned = next(p for p in grid.panels if p.spec.learned_sigma)
    assert "46% of draws" in learned.note.toolTip()
    for p in grid.panels:
        if not p.note.isVisible():
            continue
        assert "\n" not in p.note.textItem.toPlainText()
        fill = p.note.fill.color()
        assert 100 <= fill.alpha() < 255  # semi-opaque background under the text
        inside = p.plot.getViewBox().sceneBoundingRect()
        assert inside.contains(p.note.sceneBoundingRect())


def test_captions_elide_in_narrow_panels(grid):
    labels = ("mixture",) * 2 + ("mixture, sigma floored at h = 0.25 for 46% of draws",) * 2
    grid.resize(520, 520)
    show(grid, fake_snapshot(labels=labels))
    learned = next(p for p in grid.panels if p.spec.learned_sigma)
    assert learned.note.textItem.toPlainText().endswith("…")
    assert learned.plot.getViewBox().sceneBoundingRect().contains(
        learned.note.sceneBoundingRect())


def titles(grid: PanelGrid) -> dict[str, list[str]]:
    return {p.spec.estimator: p.plot.titleLabel.item.toPlainText().split("\n")
            for p in grid.panels}


@pytest.mark.parametrize("width", [1366, 900, 640, 420, 260])
def test_panel_titles_share_one_name_tier_and_never_overlap(qtbot, width):
    """However narrow the grid, every panel names its estimator from the same tier (full,
    short, terse), each title line is whole or cut with an ellipsis, and no title's text
    reaches outside its own panel."""
    from ganviz.core.names import NAME_TIERS

    grid = new_grid(qtbot)
    grid.resize(width, 420)
    show(grid, fake_snapshot())
    lines = titles(grid)
    tiers = set(range(len(NAME_TIERS)))  # the tiers every panel's name is consistent with
    for est, ls in lines.items():
        tiers &= {i for i, t in enumerate(NAME_TIERS) if t[est] == ls[0]}
    cut = [ls[0] for ls in lines.values() if ls[0].endswith("…")]
    assert tiers or (cut and width <= 420), lines  # cut only when even the terse one is wide
    for p in grid.panels:
        label = p.plot.titleLabel
        text = label.mapRectToScene(label.item.mapRectToParent(label.item.boundingRect()))
        shown = text.intersected(label.sceneBoundingRect())  # the label clips its text
        plot = p.plot.sceneBoundingRect()
        assert shown.left() >= plot.left() - 1 and shown.right() <= plot.right() + 1, (
            p.spec.estimator, shown, plot)
        for line in lines[p.spec.estimator]:
            assert "…" not in line or line.endswith("…"), line


def test_a_long_second_line_is_cut_and_the_name_kept(qtbot):
    """Per line: a title whose second line is too wide keeps its first line whole."""
    from ganviz.views.plotstyle import TitleLabel
    from ganviz.views.theme import configure_pyqtgraph

    configure_pyqtgraph()
    label = TitleLabel("")
    label.resize(120, 40)
    label.setText("<b>plug-in</b><br>σ = 0 · seed 0 (1 of 3) · <i>paused</i> and more text")
    first, second = label.item.toPlainText().split("\n")
    assert first == "plug-in"
    assert second.endswith("…") and second.startswith("σ = 0")
    assert label.item.document().size().width() <= 120
    assert "paused" in label.text  # the full text is kept for the next resize
    label.resize(800, 40)
    assert label.item.toPlainText().split("\n")[1].endswith("and more text")
