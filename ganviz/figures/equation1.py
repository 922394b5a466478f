"""The equation-1 figure of ``compare``: the curves dock's equation-1 plot, one per table row.

Each panel shows, for one estimator and sigma (means over its seeds, computed by the
engine), the relative bias of the smoothed gradient and the single-sample std of the
pathwise and score-function estimates against sigma, in the estimator's colour and the
window's line styles; a dashed line marks the row's own sigma, a dotted one the mode std.
The y axes are shared so the panels compare at a glance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt

from ganviz.core.contract import GroupCurves, legend_text
from ganviz.views import theme
from ganviz.views.eq1plot import EQ1_SERIES
from ganviz.views.plotstyle import LEFT_AXIS_WIDTH, LegendSample, plot_item, style_plot
from ganviz.views.theme import DARK, Theme

PANELS_PER_ROW = 4
PRINT_PANELS_PER_ROW = 2  # at a printed page's width four in a row leave each too short
PANEL_SIZE = (400, 330)
LEGEND_HEIGHT = 30


def _title(group: GroupCurves) -> str:
    """The row's legend text in its estimator's colour (learned: with the mean sigma(z))."""
    learned = group.sigma_label == "learned"
    text = legend_text(group.estimator, None if learned else float(group.sigma_label))
    if learned and group.run_sigma is not None:
        text += f", mean {group.run_sigma:.2g}"
    color = theme.ESTIMATOR_COLORS[group.estimator]
    return f"<span style='color:{color}'>{text}</span>"


def equation1_figure(groups: Sequence[GroupCurves], mode_std: float,
                     look: Theme = DARK) -> pg.GraphicsLayoutWidget:
    """The figure as a widget, in ``look``'s colours: one equation-1 panel per group, its own
    sigma marked."""
    view = pg.GraphicsLayoutWidget()
    view.setBackground(look.background)
    grid = view.ci
    grid.setContentsMargins(6, 4, 6, 4)
    grid.layout.setHorizontalSpacing(8)
    grid.layout.setVerticalSpacing(6)
    per_row = PRINT_PANELS_PER_ROW if look.for_print else PANELS_PER_ROW
    rows = max(1, math.ceil(len(groups) / per_row))
    cols = min(len(groups), per_row) or 1
    legend_height = look.room(LEGEND_HEIGHT)
    view.resize(*look.print_size((PANEL_SIZE[0] * cols, PANEL_SIZE[1] * rows + legend_height)))
    sigma_pen = pg.mkPen(look.dim, width=1, style=Qt.PenStyle.DashLine)
    std_pen = pg.mkPen(look.dim, width=1, style=Qt.PenStyle.DotLine)
    legend = pg.LegendItem(labelTextSize=look.css(look.text.legend), labelTextColor=look.foreground,
                           sampleType=LegendSample, horSpacing=4, verSpacing=-2, frame=False)
    grid.addItem(legend, row=rows, col=0, colspan=cols)
    grid.layout.setAlignment(legend, Qt.AlignmentFlag.AlignHCenter)
    for text, style in EQ1_SERIES.values():
        legend.addItem(pg.PlotDataItem(pen=pg.mkPen(look.foreground, width=2, style=style)),
                       text)
    legend.addItem(pg.PlotDataItem(pen=sigma_pen), "the row's σ")
    legend.addItem(pg.PlotDataItem(pen=std_pen), f"mode std ({mode_std:g})")
    legend.setColumnCount(len(EQ1_SERIES) + 2)
    grid.layout.setRowFixedHeight(rows, legend_height)
    first: pg.PlotItem | None = None
    for i, group in enumerate(groups):
        plot = plot_item(look)
        style_plot(plot, _title(group), "relative to mean |∇f|", "σ (smoothing scale)", look)
        plot.setLogMode(x=True, y=True)
        plot.getAxis("left").setWidth(look.room(LEFT_AXIS_WIDTH + 8))
        grid.addItem(plot, row=i // per_row, col=i % per_row)
        for series, (_, style) in EQ1_SERIES.items():
            pen = pg.mkPen(theme.ESTIMATOR_COLORS[group.estimator], width=2, style=style)
            plot.addItem(pg.PlotDataItem(group.sigma, getattr(group, series), pen=pen,
                                         connect="finite"))
        plot.addItem(pg.InfiniteLine(math.log10(mode_std), angle=90, pen=std_pen),
                     ignoreBounds=True)
        if group.run_sigma is not None:
            plot.addItem(pg.InfiniteLine(math.log10(group.run_sigma), angle=90, pen=sigma_pen),
                         ignoreBounds=True)
        if first is None:
            first = plot
        else:
            plot.setYLink(first)
            plot.setXLink(first)
    return view


def write_equation1_figure(groups: Sequence[GroupCurves], mode_std: float, path: Path,
                           scale: float = 2.0, theme: str = "dark") -> Path:
    """Render :func:`equation1_figure` offscreen into the PNG ``path`` (atomically) in
    ``theme`` (dark or paper)."""
    from ganviz.figures.comparison import write_widget_figure

    return write_widget_figure(lambda look: equation1_figure(groups, mode_std, look), path,
                               scale, theme)
