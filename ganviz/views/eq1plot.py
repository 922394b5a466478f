"""The curves dock's equation-1 plot: for one run, the relative bias of the plug-in gradient
and the standard deviations of the pathwise and score-function estimators (the latter with
the leave-one-out batch baseline and the at-mean one) over the smoothing scale sigma
(log-log), the run's own sigma marked, the legend below the axis (where it covers no
curve). The dock chooses the run; this draws it."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from ganviz.core.contract import SigmaCurves
from ganviz.views.plotstyle import LEFT_AXIS_WIDTH, LegendSample, plot_item, set_title, style_plot
from ganviz.views.slots import Connections
from ganviz.views.theme import DARK, Theme

EQ1_SERIES = {  # series -> (legend text, pen style)
    "bias": ("relative bias", Qt.PenStyle.SolidLine),
    "pathwise_std": ("pathwise std", Qt.PenStyle.DashLine),
    "score_std": ("score std", Qt.PenStyle.DotLine),
    "score_std_mean": ("score, at-mean", Qt.PenStyle.DashDotLine),
}
EQ1_TITLE = "Equation 1"
EQ1_PRINT_TITLE = "Eq. 1"  # a printed figure's narrow column keeps the run's name whole
EQ1_LEGEND_ROW = 4  # below the equation-1 plot's bottom axis, outside its data area
EQ1_LEGEND_TWO_COLUMNS = 290  # plot width (px) from which its legend uses two columns
EQ1_NONE = "no run shown: every estimator is hidden"
MARKER_TEXT = "run σ"


class Equation1Plot:
    """The plot (``plot``), its legend (``legend``, also ``plot.legend`` for exports), one
    line per series of ``EQ1_SERIES`` and the run-sigma marker (``marker``)."""

    def __init__(self, connections: Connections, theme: Theme = DARK) -> None:
        self.theme = theme
        plot = self.plot = plot_item(theme)
        style_plot(plot, EQ1_TITLE, "relative to mean |∇f|", "σ (smoothing scale)", theme)
        plot.setLogMode(x=True, y=True)
        plot.getAxis("left").setWidth(theme.room(LEFT_AXIS_WIDTH + 8))
        # the legend sits below the axis, in the plot's own layout (so exports keep it)
        self.legend = pg.LegendItem(labelTextSize=theme.css(theme.text.legend),
                                    labelTextColor=theme.foreground, sampleType=LegendSample,
                                    horSpacing=4, verSpacing=-4, frame=False)
        plot.layout.addItem(self.legend, EQ1_LEGEND_ROW, 0, 1, 3)
        plot.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignHCenter)
        plot.legend = self.legend
        self.lines: dict[str, pg.PlotDataItem] = {}
        for key, (text, style) in EQ1_SERIES.items():
            item = pg.PlotDataItem(pen=pg.mkPen(theme.foreground, width=2, style=style),
                                   connect="finite")
            plot.addItem(item)
            self.legend.addItem(item, text)
            self.lines[key] = item
        connections.connect(plot.vb.sigResized, self.fit_legend)
        marker_pen = pg.mkPen(theme.dim, width=1, style=Qt.PenStyle.DashLine)
        self.marker = pg.InfiniteLine(angle=90, movable=False, pen=marker_pen)
        plot.addItem(self.marker, ignoreBounds=True)
        self.marker.setVisible(False)
        self._marker_sample = pg.PlotDataItem(pen=marker_pen)
        self._marker_text = MARKER_TEXT
        self.legend.addItem(self._marker_sample, MARKER_TEXT)
        self.fit_legend()

    def clear(self, title: str = EQ1_TITLE) -> None:
        """No curves, no marker, ``title``."""
        for item in self.lines.values():
            item.setData([], [])
        self.marker.setVisible(False)
        self._set_marker_text(MARKER_TEXT)
        set_title(self.plot, title, self.theme)

    def show_none(self) -> None:
        """Say that no run is shown (every estimator is hidden)."""
        self.clear(f"{EQ1_TITLE} · <span style='color:{self.theme.dim}'>{EQ1_NONE}</span>")

    def show_run(self, name: str, color: QColor, curves: SigmaCurves | None, index: int,
                 sigma: float | None, learned: bool) -> None:
        """Run ``index`` of ``curves`` (none: an empty plot), titled ``name`` in ``color``, its
        ``sigma`` marked (None: sigma = 0, no place on the axis; ``learned``: the mean)."""
        head = EQ1_PRINT_TITLE if self.theme.for_print else EQ1_TITLE
        title = f"{head} · <span style='color:{color.name()}'>{name}</span>"
        usable = curves is not None and index < curves.bias.shape[0]
        if usable:
            title += f" · step {curves.step}"
        set_title(self.plot, title, self.theme)
        for series, item in self.lines.items():
            item.setPen(pg.mkPen(color, width=2, style=EQ1_SERIES[series][1]))
            if usable:
                item.setData(curves.sigma, getattr(curves, series)[index])
            else:
                item.setData([], [])
        self.marker.setVisible(sigma is not None)
        if sigma is not None:
            self.marker.setValue(math.log10(sigma))
        text = f"{MARKER_TEXT} = 0" if sigma is None else f"{MARKER_TEXT} = {sigma:.2g}"
        self._set_marker_text(text + (" (mean)" if learned else ""))

    def _set_marker_text(self, text: str) -> None:
        self._marker_text = text
        label = self.legend.getLabel(self._marker_sample)
        if label is not None:
            label.setText(text)
        self.fit_legend()

    def _show_marker_entry(self, shown: bool) -> None:
        """The run-sigma entry of the legend, or not (the title names the run's sigma)."""
        present = self.legend.getLabel(self._marker_sample) is not None
        if shown and not present:
            self.legend.addItem(self._marker_sample, self._marker_text)
        elif present and not shown:
            self.legend.removeItem(self._marker_sample)

    def fit_legend(self, *_) -> None:
        """Lay the legend out below the plot: in two columns when the plot is wide enough,
        else one without the run-sigma entry, and give it the height that takes
        (pyqtgraph's legend sizes itself for floating over a plot, not for a layout)."""
        legend = self.legend
        columns = 2 if self.plot.width() >= self.theme.room(EQ1_LEGEND_TWO_COLUMNS) else 1
        self._show_marker_entry(columns == 2)  # one column: a row less for a narrow plot
        legend.setColumnCount(columns)
        size = legend.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize)
        if abs(legend.maximumHeight() - size.height()) > 0.5:
            legend.setFixedHeight(max(size.height(), 1.0))
        legend.setMinimumWidth(0)  # the column's width comes from its stretch, not the legend
        legend.setPreferredWidth(0)
        legend.setMaximumWidth(size.width())
