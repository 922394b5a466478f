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
