"""Where the curves dock puts its plots: how many training plots to a row for the dock's
size, and their places in the grid (the runs' legend at the left, or above them in a print
figure; the equation-1 plot at the right over all rows)."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt

from ganviz.views.theme import Theme

EQ1 = "equation1"
PER_ROW = 4
MIN_PLOT_WIDTH = 170  # a training plot keeps this width if it can (fewer to a row)
MIN_ROW_HEIGHT = 110  # a row of plots this tall stays readable (title, axis, data)
EQ1_WIDTH = 1.5  # the equation-1 column, in training-plot widths
GRID_SLACK = 40  # the grid's margins and column spacing (px)


def plots_per_row(look: Theme, width: float, height: float, legend_width: float,
                  legend_height: float, legend_above: bool, n_plots: int = 8) -> int:
    """How many of the ``n_plots`` training plots to put in a row of a ``width`` x
    ``height`` px dock (the legend at the left, the equation-1 plot at the right): of 4, 3 or
    2 to a row, the one whose plots fall least short of ``MIN_PLOT_WIDTH`` wide and
    ``MIN_ROW_HEIGHT`` tall (more to a row on a tie). A narrow, tall dock wraps into more
    rows; a short one keeps two rows of narrower plots rather than rows too flat to read. A
    print figure has its legend above the plots (``legend_above``), so its plots have the
    whole width."""
    if legend_above:
        free = width - look.room(GRID_SLACK)
        height -= legend_height
    else:
        free = width - legend_width - look.room(GRID_SLACK)

    def fit(per_row: int) -> float:
        rows = math.ceil(n_plots / per_row)
        plot_width = free / (per_row + EQ1_WIDTH)
        return min(plot_width / look.room(MIN_PLOT_WIDTH),
                   (height - look.room(GRID_SLACK)) / rows / look.room(MIN_ROW_HEIGHT))

    return max(range(PER_ROW, 1, -1), key=fit)


def arrange(gl, legend: pg.LegendItem, plots: dict[str, pg.PlotItem], per_row: int,
            legend_above: bool) -> None:
    """Place the training plots (every plot of ``plots`` but ``EQ1``, in order) ``per_row``
    to a row (row-major) in the grid layout ``gl``, the legend at the left (above them all in
    a print figure: ``legend_above``) and the equation-1 plot at the right over all rows."""
    names = [name for name in plots if name != EQ1]
    rows = math.ceil(len(names) / per_row)
    for item in [legend, *plots.values()]:
        gl.removeItem(item)
    top = 1 if legend_above else 0  # the first row of plots
    if legend_above:
        gl.addItem(legend, 0, 1, 1, per_row + 1)
        gl.setAlignment(legend, Qt.AlignmentFlag.AlignHCenter)
        gl.setRowStretchFactor(0, 0)
    else:
        gl.addItem(legend, 0, 0, rows, 1)
        gl.setAlignment(legend, Qt.AlignmentFlag.AlignTop)
    for i, name in enumerate(names):
        gl.addItem(plots[name], top + i // per_row, 1 + i % per_row)
    gl.addItem(plots[EQ1], top, 1 + per_row, rows, 1)
    gl.setColumnStretchFactor(0, 0)
    for col in range(1, 2 + PER_ROW):
        stretch = 4 if col <= per_row else round(4 * EQ1_WIDTH) if col == 1 + per_row else 0
        gl.setColumnStretchFactor(col, stretch)
    for row in range(math.ceil(len(names) / 2)):
        gl.setRowStretchFactor(top + row, 1 if row < rows else 0)


def arrange_one(gl, legend: pg.LegendItem, plots: dict[str, pg.PlotItem], name: str) -> None:
    """Place plot ``name`` of ``plots`` alone in the grid layout ``gl`` (a figure of one
    plot), the runs' legend above it; the other plots are hidden. The equation-1 plot has
    its own legend, so the runs' legend is hidden with it."""
    for item in [legend, *plots.values()]:
        gl.removeItem(item)
    for other, plot in plots.items():
        plot.setVisible(other == name)
    top = 0 if name == EQ1 else 1
    legend.setVisible(top == 1)
    if top:
        gl.addItem(legend, 0, 1)
        gl.setAlignment(legend, Qt.AlignmentFlag.AlignHCenter)
    gl.addItem(plots[name], top, 1)
    for col in range(2 + PER_ROW):
        gl.setColumnStretchFactor(col, 1 if col == 1 else 0)
    for row in range(gl.rowCount()):
        gl.setRowStretchFactor(row, 1 if row == top else 0)
