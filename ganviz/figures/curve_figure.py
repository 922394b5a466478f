"""One curve plot as a figure of its own, for "Export this plot": the window's plot redrawn
offscreen at a figure's size (not the dock's few hundred pixels) from the window's snapshot
and view state, the runs' legend above it, in the dark or the paper theme.

Drawing a copy, rather than cutting the plot out of the dock, gives the plot room for its
text and legend and leaves every other plot out of the SVG and PDF.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyqtgraph as pg

from ganviz.core.contract import Snapshot
from ganviz.figures.comparison import ensure_app, settle
from ganviz.views.viewstate import ViewState

PLOT_SIZE = (560, 420)  # the dark figure, in the window's pixels
PLOT_INCHES = 3.5  # the paper figure: one column of a two-column page
LEGEND_COLUMNS = (4, 3, 2, 1)  # the legend takes the most columns that fit the figure's width


@dataclass
class Drawn:
    """What a one-plot figure draws without a window: a snapshot in a view state (default:
    every run shown, the first run's equation-1 curves)."""

    snapshot: Snapshot | None
    state: ViewState = field(default_factory=ViewState.default)


def curve_plot_size(theme: str) -> tuple[int, int]:
    """The figure's logical size in ``theme``: a PNG at scale k has k times these pixels."""
    from ganviz.views.theme import theme_named

    return theme_named(theme).print_size(PLOT_SIZE, PLOT_INCHES)


@contextlib.contextmanager
def curve_plot_copy(window, name: str, theme: str) -> Iterator:
    """Curve plot ``name`` of ``window`` (its ``snapshot`` and ``state``: the main window or
    a :class:`Drawn`) alone, offscreen, in
    ``theme`` (dark or paper): a laid-out ``CurvesPanel`` made with ``only=name``. ValueError
    when there is nothing to draw yet or no such plot."""
    from ganviz.views.curves import CurvesPanel
    from ganviz.views.theme import theme_named, using

    snap = window.snapshot
    if snap is None:
        raise ValueError("nothing to export yet: no snapshot")
    app = ensure_app()
    look = theme_named(theme)
    state = window.state.copy()
    with using(look):
        panel = CurvesPanel(state=state, theme=look, only=name)
        try:
            panel.resize(*curve_plot_size(theme))
            panel.update_snapshot(snap)
            panel.hide_estimators(state.hidden_estimators)
            panel.set_selected_run(state.selected_run)
            panel.show()
            settle(app)
            _fit_legend(panel, app)
            yield panel
        finally:
            panel.dispose()
            panel.close()
            app.processEvents()


def _fit_legend(panel, app) -> None:
    """The legend above the plot in as many columns as fit the figure's width."""
    room = panel.width() - panel.theme.room(16)
    for columns in LEGEND_COLUMNS:
        if panel.legend_column.set_columns(columns).width() <= room:
            break
    # the grid grew to the legend's first, widest layout; back to the view's size
    view = panel.view
    pg.GraphicsView.setRange(view, view.range, padding=0, disableAutoPixel=False)
    settle(app, rounds=2)


def write_curve_plot(window, name: str, path: str | os.PathLike, *, theme: str = "dark",
                     scale: float = 2.0) -> Path:
    """Curve plot ``name`` of ``window`` as a figure at ``path``: PNG (``scale`` x its size),
    SVG or PDF by the suffix, in ``theme`` (dark or paper). Written atomically; ExportError
    naming the path on failure."""
    from ganviz.figures.export import export_laid_out

    return export_laid_out(lambda: curve_plot_copy(window, name, theme), path, scale,
                           f"ganviz {name}")
