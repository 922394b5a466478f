"""The learned-variance figure: what the learned std converges to against the data's mode std.

Four panels over the swept mode std s (log scale), one line per covariance form (median
over seeds, shaded 10-90 %): the learned std (median eigen-std of Sigma(z)), log-log with
the identity line; the robust width (1.4826 x MAD) of the means mu(z) within a mode,
log-log with the identity;
modes captured; the high-quality fraction. The engine computes every number
(``ganviz.studies.variance``); this module only draws them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from ganviz.core.contract import ResponseCurve
from ganviz.views.curve_items import BAND_ALPHA
from ganviz.views.plotstyle import LEFT_AXIS_WIDTH, LegendSample, plot_item, style_plot
from ganviz.views.theme import DARK, Theme

PANEL_SIZE = (380, 340)
LEGEND_HEIGHT = 30
PANELS = {  # metric: (title, y label, log y, identity line)
    "sigma_median": ("Learned std: median eigen-std of Σ(z)", "learned std", True, True),
    "mu_width": ("Width of μ(z) in a mode (1.48 MAD)", "robust std of μ(z)", True, True),
    "modes": ("Modes captured", "modes", False, False),
    "hq_fraction": ("High-quality fraction", "fraction", False, False),
}


def _color(label: str, look: Theme = DARK) -> str:
    return look.covariance_color(label)


def _positive(values: Sequence[float], log: bool) -> np.ndarray:
    """Values as an array, NaN where a log axis cannot show them."""
    a = np.asarray(values, dtype=np.float64)
    return np.where(a > 0, a, np.nan) if log else a


def variance_figure(curves: dict[str, list[ResponseCurve]], floor: float | None = None,
                    look: Theme = DARK) -> pg.GraphicsLayoutWidget:
    """The figure as a widget in ``look``'s colours (``floor``: sigma_min, drawn dotted on
    the std panels)."""
    view = pg.GraphicsLayoutWidget()
    view.setBackground(look.background)
    grid = view.ci
    grid.setContentsMargins(6, 4, 6, 4)
    grid.layout.setHorizontalSpacing(10)
    legend_height = look.room(LEGEND_HEIGHT)
    view.resize(*look.print_size((PANEL_SIZE[0] * len(PANELS), PANEL_SIZE[1] + legend_height)))
    identity_pen = pg.mkPen(look.dim, width=1, style=Qt.PenStyle.DashLine)
    floor_pen = pg.mkPen(look.dim, width=1, style=Qt.PenStyle.DotLine)
    legend = pg.LegendItem(labelTextSize=look.css(look.text.legend), labelTextColor=look.foreground,
                           sampleType=LegendSample, horSpacing=6, verSpacing=-2, frame=False)
    grid.addItem(legend, row=1, col=0, colspan=len(PANELS))
    grid.layout.setAlignment(legend, Qt.AlignmentFlag.AlignHCenter)
    grid.layout.setRowFixedHeight(1, legend_height)
    labels = [c.label for c in next(iter(curves.values()), [])]
    for label in labels:
        legend.addItem(pg.PlotDataItem(pen=pg.mkPen(_color(label, look), width=2)),
                       f"{label} Σ(z)")
    legend.addItem(pg.PlotDataItem(pen=identity_pen), "identity (= data std)")
    if floor is not None:
        legend.addItem(pg.PlotDataItem(pen=floor_pen), f"σ min ({floor:g})")
    legend.setColumnCount(len(labels) + 2)
    for col, (metric, (title, left, log_y, identity)) in enumerate(PANELS.items()):
        plot = plot_item(look)
        style_plot(plot, title, left, "data's mode std s", look)
        plot.setLogMode(x=True, y=log_y)
        plot.getAxis("left").setWidth(look.room(LEFT_AXIS_WIDTH + 8))
        grid.addItem(plot, row=0, col=col)
        for curve in curves.get(metric, []):
            _draw_curve(plot, curve, log_y, look)
        xs = [x for c in curves.get(metric, []) for x in c.x if x > 0]
        if identity and xs:
            lo, hi = min(xs), max(xs)
            plot.addItem(pg.PlotDataItem([lo, hi], [lo, hi], pen=identity_pen))
        if identity and floor is not None:
            plot.addItem(pg.InfiniteLine(math.log10(floor), angle=0, pen=floor_pen),
                         ignoreBounds=True)
        if metric == "hq_fraction":
            plot.setYRange(0, 1, padding=0.02)
    return view


def _draw_curve(plot: pg.PlotItem, curve: ResponseCurve, log_y: bool,
                look: Theme = DARK) -> None:
    """The median as a line with dots, the 10-90 % band shaded, in the form's colour."""
    color = _color(curve.label, look)
    x = np.asarray(curve.x, dtype=np.float64)
    lo, hi = _positive(curve.p10, log_y), _positive(curve.p90, log_y)
    fill = QColor(color)
    fill.setAlpha(BAND_ALPHA)
    low = pg.PlotDataItem(x, lo, pen=pg.mkPen(None))
    high = pg.PlotDataItem(x, hi, pen=pg.mkPen(None))
    plot.addItem(low)
    plot.addItem(high)
    plot.addItem(pg.FillBetweenItem(low, high, brush=pg.mkBrush(fill)))
    line = pg.PlotDataItem(x, _positive(curve.median, log_y), pen=pg.mkPen(color, width=2),
                           symbol="o", symbolSize=5, symbolBrush=color, symbolPen=None,
                           connect="finite")
    plot.addItem(line)


def write_variance_figure(curves: dict[str, list[ResponseCurve]], path: Path,
                          floor: float | None = None, scale: float = 2.0,
                          theme: str = "dark") -> Path:
    """Render :func:`variance_figure` offscreen into the PNG ``path`` (atomically) in
    ``theme`` (dark or paper)."""
    from ganviz.figures.comparison import write_widget_figure

    return write_widget_figure(lambda look: variance_figure(curves, floor, look), path, scale,
                               theme)
