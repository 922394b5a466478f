"""The study's figure (``analyse``): per protocol, a legend of its settings and four plots
from every run.

1. every run's final modes, one row of jittered dots per setting (its median a bar);
2. the share of runs covering every mode over training;
3. the median modes over training with the band between the quartiles;
4. the paired difference from the plug-in in the share covering every mode, at the end and
   over the last fifth (the two primary endpoints), with Newcombe's 95 % intervals (a
   forest plot).

The settings run down the left axes of plots 1 and 4 in one order, with room for their
names; the curves of 2 and 3 are told apart by the legend above the row (colour per
estimator, line style per sigma). Plain numbers in (``ganviz.studies.analysis``'s rows and
series), a widget out; the command line renders it with
:func:`ganviz.figures.comparison.write_widget_figure`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from ganviz.views import theme
from ganviz.views.plotstyle import plot_item, style_plot
from ganviz.views.theme import DARK, Theme

PLOT_SIZE = (330, 280)
LEGEND_HEIGHT = 26
TITLE_HEIGHT = 24
STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine,
          Qt.PenStyle.DashDotLine)
SETTING_AXIS_WIDTH = 84  # room for the settings' names on the strip and forest plots
JITTER_SEED = 0  # the strip plot's jitter is the same in every rendering
DOT_ALPHA = 190  # overlapping runs (integer modes) show as darker dots
FOREST_OFFSET = 0.14  # the two endpoints of a setting, just above and below its row


def _settings(series: Sequence[Any]) -> list[tuple[str, str]]:
    """The (estimator, sigma) settings in first-seen order."""
    seen: dict[tuple[str, str], None] = {}
    for s in series:
        seen.setdefault((s.estimator, s.sigma), None)
    return list(seen)


def _pen(estimator: str, k: int) -> Any:
    return pg.mkPen(theme.ESTIMATOR_COLORS[estimator], width=2, style=STYLES[k % len(STYLES)])


SHORT = {"plugin": "plug-in", "reparam_fixed": "fixed σ", "reparam_learned": "learned σ",
         "score": "score"}


def _label(estimator: str, sigma: str) -> str:
    """A setting in a few characters: plug-in, fixed σ=0.01, learned σ, score σ=0.05."""
    if estimator == "plugin" or (estimator == "reparam_learned" and sigma == "learned"):
        return SHORT[estimator]
    if sigma == "learned":
        return f"{SHORT[estimator]}, learned σ"
    return f"{SHORT[estimator]}={sigma}" if estimator == "reparam_fixed" else \
        f"{SHORT[estimator]} σ={sigma}"


def study_figure(rows: Sequence[dict[str, Any]], series: Sequence[Any],
                 look: Theme = DARK) -> pg.GraphicsLayoutWidget:
    """The figure as a widget in ``look``'s colours: per protocol a title, a legend and a
    row of four plots."""
    view = pg.GraphicsLayoutWidget()
    view.setBackground(look.background)
    grid = view.ci
    grid.setContentsMargins(6, 4, 6, 4)
    by_protocol: dict[str, list[Any]] = defaultdict(list)
    for s in series:
        by_protocol[s.protocol].append(s)
    height = 0
    for r, (protocol, runs) in enumerate(by_protocol.items()):
        settings = _settings(runs)
        sigma_rank = {key: sum(1 for k in settings[:i] if k[0] == key[0])
                      for i, key in enumerate(settings)}
        n_modes = runs[0].n_modes
        # the protocol (or sweep group) names its row across the whole width: a plot's title
        # is too narrow for a group's name at print width
        grid.addLabel(protocol.replace("--", " · "), row=3 * r, col=0, colspan=4,
                      size=look.css(look.text.title), color=look.foreground, bold=True)
        compared = _compared([row for row in rows if row["protocol"] == protocol], settings)
        lines = _legend(grid, 3 * r + 1, runs, settings, sigma_rank, bool(compared), look)
        height += PLOT_SIZE[1] + TITLE_HEIGHT + LEGEND_HEIGHT * lines
        at = 3 * r + 2
        _strip(grid, at, runs, settings, n_modes, look)
        _coverage(grid, at, runs, settings, sigma_rank, n_modes, look)
        _quartiles(grid, at, runs, settings, sigma_rank, n_modes, look)
        if compared:  # else no plug-in arm to compare with (a sweep of one estimator)
            _forest(grid, at, compared, look)
    view.resize(*look.print_size((4 * PLOT_SIZE[0], max(height, PLOT_SIZE[1]))))
    return view


def _legend(grid, r: int, runs, settings, sigma_rank, forest: bool, look: Theme) -> int:
    """A line of entries, each a setting's line with its name and number of runs, and
    with a ``forest`` plot a second line with its marks; the number of lines."""
    legend = pg.LegendItem(labelTextSize=look.css(look.text.legend),
                           labelTextColor=look.foreground, horSpacing=14, verSpacing=-2,
                           frame=False)
    for key in settings:
        n = sum(1 for s in runs if (s.estimator, s.sigma) == key)
        legend.addItem(pg.PlotDataItem(pen=_pen(key[0], sigma_rank[key])),
                       f"{_label(*key)} (n = {n})")
    lines = 1
    if forest:  # its two endpoints' marks, on a second line
        for label, filled in (("vs plug-in: at the end", True),
                              ("over the last 20 %", False)):
            legend.addItem(pg.ScatterPlotItem(
                size=8, pen=pg.mkPen(look.foreground, width=1.5),
                brush=pg.mkBrush(look.foreground if filled else look.background)), label)
        lines = 2
    legend.setColumnCount(max(len(settings), 2))
    grid.addItem(legend, row=r, col=0, colspan=4)
    grid.layout.setAlignment(legend, Qt.AlignmentFlag.AlignHCenter)
    grid.layout.setRowFixedHeight(r, look.room(LEGEND_HEIGHT * lines))
    return lines


def _setting_axis(plot: pg.PlotItem, labels: Sequence[str], look: Theme) -> None:
    """The settings' names down the left axis, the first at the top."""
    left = plot.getAxis("left")
    left.setTicks([[(y, label) for y, label in enumerate(labels)]])
    left.setWidth(look.room(SETTING_AXIS_WIDTH))
    left.setLabel("")
    plot.invertY(True)
    plot.setYRange(-0.6, max(len(labels), 1) - 0.4, padding=0)
    plot.showGrid(x=True, y=False, alpha=look.grid_alpha)


def _strip(grid, r: int, runs, settings, n_modes: int, look: Theme) -> None:
    plot = plot_item(look)
    style_plot(plot, "final modes, each run", "", "modes at the end", look)
    rng = np.random.default_rng(JITTER_SEED)
    for y, key in enumerate(settings):
        xs = np.array([s.modes[-1] for s in runs if (s.estimator, s.sigma) == key])
        ys = y + rng.uniform(-0.25, 0.25, len(xs))
        color = pg.mkColor(theme.ESTIMATOR_COLORS[key[0]])
        color.setAlpha(DOT_ALPHA)
        plot.addItem(pg.ScatterPlotItem(xs, ys, size=6, pen=None, brush=pg.mkBrush(color)))
        plot.addItem(pg.PlotDataItem([np.median(xs)] * 2, [y - 0.35, y + 0.35],
                                     pen=pg.mkPen(look.foreground, width=2)))
    dashed = pg.mkPen(look.dim, style=Qt.PenStyle.DashLine)
    plot.addItem(pg.InfiniteLine(n_modes, angle=90, pen=dashed))
    _setting_axis(plot, [_label(*key) for key in settings], look)
    # room on both sides: runs with 0 modes sit clear of the axis, like those with all
    plot.setXRange(-0.05 * n_modes, n_modes * 1.05, padding=0)
    grid.addItem(plot, row=r, col=0)


def _steps_and(runs, key, values) -> tuple[np.ndarray, np.ndarray]:
    """The common steps of a setting's runs and ``values(run)`` stacked [runs, T]."""
    mine = [s for s in runs if (s.estimator, s.sigma) == key]
    t = min(len(s.steps) for s in mine)
    return mine[0].steps[:t], np.stack([values(s)[:t] for s in mine])


def _coverage(grid, r: int, runs, settings, sigma_rank, n_modes: int, look: Theme) -> None:
    plot = plot_item(look)
    style_plot(plot, "covering every mode", "share of runs", "step", look)
    for key in settings:
        steps, covered = _steps_and(runs, key, lambda s: (s.modes >= n_modes).astype(float))
        plot.addItem(pg.PlotDataItem(steps, covered.mean(0), pen=_pen(key[0], sigma_rank[key])))
    plot.setYRange(0, 1.02, padding=0)
    grid.addItem(plot, row=r, col=1)


def _quartiles(grid, r: int, runs, settings, sigma_rank, n_modes: int, look: Theme) -> None:
    plot = plot_item(look)
    style_plot(plot, "modes: median, quartiles", "modes", "step", look)
    for key in settings:
        steps, modes = _steps_and(runs, key, lambda s: s.modes)
        lo, med, hi = np.percentile(modes, [25, 50, 75], axis=0)
        color = pg.mkColor(theme.ESTIMATOR_COLORS[key[0]])
        color.setAlpha(50)
        top = pg.PlotCurveItem(steps, hi, pen=pg.mkPen(None))
        bottom = pg.PlotCurveItem(steps, lo, pen=pg.mkPen(None))
        plot.addItem(pg.FillBetweenItem(top, bottom, brush=pg.mkBrush(color)))
        plot.addItem(pg.PlotDataItem(steps, med, pen=_pen(key[0], sigma_rank[key])))
    plot.setYRange(0, n_modes * 1.05, padding=0)
    grid.addItem(plot, row=r, col=2)


def _compared(rows: Sequence[dict[str, Any]], settings) -> list[dict[str, Any]]:
    """A protocol's rows that have a paired difference from the plug-in, in the strip
    plot's order of settings; none without a plug-in arm."""
    compared = [row for row in rows if np.isfinite(row["covers_final_diff"])
                or np.isfinite(row["covers_late_diff"])]
    order = {key: k for k, key in enumerate(settings)}
    return sorted(compared, key=lambda row: order.get((row["estimator"], row["sigma"]),
                                                      len(order)))


def _forest(grid, r: int, compared: Sequence[dict[str, Any]], look: Theme) -> None:
    """The ``compared`` settings against the plug-in: per setting the paired difference in
    the share covering every mode at the end (filled dot, solid line) and over the last
    fifth (open dot, dashed line), both primary endpoints."""
    plot = plot_item(look)
    style_plot(plot, "vs plug-in, paired", "", "Δ share covering", look)
    for y, row in enumerate(compared):
        color = theme.ESTIMATOR_COLORS[row["estimator"]]
        for endpoint, dy, line, filled in (("covers_final", -FOREST_OFFSET, Qt.PenStyle.SolidLine,
                                            True),
                                           ("covers_late", FOREST_OFFSET, Qt.PenStyle.DashLine,
                                            False)):
            diff = row[f"{endpoint}_diff"]
            if not np.isfinite(diff):
                continue
            plot.addItem(pg.PlotDataItem([row[f"{endpoint}_diff_lo"], row[f"{endpoint}_diff_hi"]],
                                         [y + dy] * 2, pen=pg.mkPen(color, width=2, style=line)))
            plot.addItem(pg.ScatterPlotItem(
                [diff], [y + dy], size=8, pen=pg.mkPen(color, width=1.5),
                brush=pg.mkBrush(color if filled else look.background)))
    dashed = pg.mkPen(look.dim, style=Qt.PenStyle.DashLine)
    plot.addItem(pg.InfiniteLine(0, angle=90, pen=dashed))
    _setting_axis(plot, [_label(row["estimator"], row["sigma"]) for row in compared], look)
    plot.setXRange(-1, 1, padding=0.02)
    grid.addItem(plot, row=r, col=3)
