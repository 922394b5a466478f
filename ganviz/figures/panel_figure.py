"""One run panel as a figure of its own, for "Export this panel": the window's panel redrawn
offscreen at a figure's size from the window's snapshot and view state (its layers and the
seed it shows), with the colour keys of its layers beside it, in the dark or the paper theme.

Drawing a copy, rather than cutting the panel out of the grid, keeps its keys (a density
without its scale cannot be read) and leaves the other panels out of the SVG and PDF.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ganviz.figures.comparison import FIGURE_MARGIN, ensure_app, settle

PANEL_WIDTH = 560  # the dark figure's width, in the window's pixels
PANEL_INCHES = 3.5  # the paper figure: one column of a two-column page


def panel_width(theme: str) -> int:
    """The figure's logical width in ``theme`` (its height follows from the square panel)."""
    from ganviz.views.theme import theme_named

    return theme_named(theme).print_size((PANEL_WIDTH, PANEL_WIDTH), PANEL_INCHES)[0]


@contextlib.contextmanager
def panel_copy(window, index: int, theme: str) -> Iterator:
    """Run panel ``index`` of ``window`` (its ``snapshot``, ``state`` and ``panels``) alone,
    offscreen, in ``theme`` (dark or paper): a laid-out ``PanelGrid`` of that panel's runs,
    as tall as the panel. ValueError when there is nothing to draw yet or no such panel."""
    from ganviz.views.panel_grid import PanelGrid
    from ganviz.views.theme import theme_named, using

    snap = window.snapshot
    if snap is None:
        raise ValueError("nothing to export yet: no snapshot")
    panels = window.panels.panels
    if not 0 <= index < len(panels):
        raise ValueError(f"no run panel {index}; the window has {len(panels)}")
    specs = panels[index].specs
    app = ensure_app()
    look = theme_named(theme)
    state = window.state.copy()
    state.hidden_estimators = set()  # the panel asked for is shown, whatever the toolbar says
    with using(look):
        grid = PanelGrid(state, theme=look)
        try:
            width = panel_width(theme)
            grid.resize(width, width)
            grid.set_runs(specs)
            grid.update_snapshot(snap)
            grid.show()
            settle(app)
            grid.resize(width, grid.used_height + 2 * look.room(FIGURE_MARGIN))
            settle(app)
            yield grid
        finally:
            grid.dispose()
            grid.close()
            app.processEvents()


def panel_size(window, index: int, theme: str) -> tuple[int, int]:
    """The logical size of panel ``index``'s figure in ``theme`` (a PNG at scale k has k
    times these pixels): laid out once to learn its height."""
    with panel_copy(window, index, theme) as grid:
        return grid.width(), grid.height()


def write_panel(window, index: int, path: str | os.PathLike, *, theme: str = "dark",
                scale: float = 2.0) -> Path:
    """Run panel ``index`` of ``window`` as a figure at ``path``: PNG (``scale`` x its size),
    SVG or PDF by the suffix, in ``theme`` (dark or paper). Written atomically; ExportError
    naming the path on failure."""
    from ganviz.figures.export import export_laid_out

    return export_laid_out(lambda: panel_copy(window, index, theme), path, scale,
                           f"ganviz panel {index}")
