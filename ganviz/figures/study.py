"""The study's figure (``analyse``): per protocol, four plots from every run.

1. every run's final modes, one column of jittered dots per setting;
2. the share of runs covering every mode over training;
3. the median modes over training with the band between the quartiles;
4. the paired difference from the plug-in in the share covering every mode over the last
   fifth, with Newcombe's 95 % interval (a forest plot).

Plain numbers in (``ganviz.studies.analysis``'s rows and series), a widget out; the command line
renders it with :func:`ganviz.figures.comparison.write_widget_figure`.
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

PLOT_SIZE = (330, 260)
STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine,
          Qt.PenStyle.DashDotLine)
FOREST_AXIS_WIDTH = 96  # room for the settings' names
JITTER_SEED = 0  # the strip plot's horizontal jitter is the same in every rendering


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
    """The figure as a widget in ``look``'s colours: one row of four plots per protocol."""
    view = pg.GraphicsLayoutWidget()
    view.setBackground(look.background)
    grid = view.ci
    grid.setContentsMargins(6, 4, 6, 4)
    by_protocol: dict[str, list[Any]] = defaultdict(list)
    for s in series:
        by_protocol[s.protocol].append(s)
    for r, (protocol, runs) in enumerate(by_protocol.items()):
        settings = _settings(runs)
        sigma_rank = {key: sum(1 for k in settings[:i] if k[0] == key[0])
                      for i, key in enumerate(settings)}
        n_modes = runs[0].n_modes
        # the protocol (or sweep group) names its row across the whole width: a plot's title
        # is too narrow for a group's name at print width
        grid.addLabel(protocol.replace("--", " · "), row=2 * r, col=0, colspan=4,
                      size=look.css(look.text.title), color=look.foreground, bold=True)
        at = 2 * r + 1
        _strip(grid, at, protocol, runs, settings, n_modes, look)
        _coverage(grid, at, runs, settings, sigma_rank, n_modes, look)
        _quartiles(grid, at, runs, settings, sigma_rank, n_modes, look)
        _forest(grid, at, [row for row in rows if row["protocol"] == protocol], look)
    view.resize(*look.print_size((4 * PLOT_SIZE[0], PLOT_SIZE[1] * max(1, len(by_protocol)))))
    return view


def _strip(grid, r: int, protocol: str, runs, settings, n_modes: int, look: Theme) -> None:
    plot = plot_item(look)
    style_plot(plot, "final modes, every run", "modes", "setting", look)
    rng = np.random.default_rng(JITTER_SEED)
    for x, (estimator, sigma) in enumerate(settings):
        ys = np.array([s.modes[-1] for s in runs if (s.estimator, s.sigma) ==
                       (estimator, sigma)])
        xs = x + rng.uniform(-0.22, 0.22, len(ys))
        plot.addItem(pg.ScatterPlotItem(xs, ys, size=6, pen=None,
                                        brush=pg.mkBrush(theme.ESTIMATOR_COLORS[estimator])))
        plot.addItem(pg.PlotDataItem([x - 0.3, x + 0.3], [np.median(ys)] * 2,
                                     pen=pg.mkPen(look.foreground, width=2)))
    dashed = pg.mkPen(look.dim, style=Qt.PenStyle.DashLine)
    plot.addItem(pg.InfiniteLine(n_modes, angle=0, pen=dashed))
    axis = plot.getAxis("bottom")
    axis.setTicks([[(x, _label(*key)) for x, key in enumerate(settings)]])
    plot.setXRange(-0.6, len(settings) - 0.4, padding=0)
    plot.setYRange(0, n_modes * 1.05, padding=0)
    grid.addItem(plot, row=r, col=0)


def _steps_and(runs, key, values) -> tuple[np.ndarray, np.ndarray]:
    """The common steps of a setting's runs and ``values(run)`` stacked [runs, T]."""
    mine = [s for s in runs if (s.estimator, s.sigma) == key]
    t = min(len(s.steps) for s in mine)
    return mine[0].steps[:t], np.stack([values(s)[:t] for s in mine])


def _coverage(grid, r: int, runs, settings, sigma_rank, n_modes: int, look: Theme) -> None:
    plot = plot_item(look)
    style_plot(plot, "runs covering every mode", "share of runs", "step", look)
    legend = plot.addLegend(offset=(6, 6), labelTextColor=look.foreground,
                            labelTextSize=look.css(look.text.legend),
                            brush=pg.mkBrush(look.background + "c0"))
    for key in settings:
        steps, covered = _steps_and(runs, key, lambda s: (s.modes >= n_modes).astype(float))
        plot.addItem(item := pg.PlotDataItem(steps, covered.mean(0),
                                             pen=_pen(key[0], sigma_rank[key])))
        legend.addItem(item, _label(*key))
    plot.setYRange(0, 1.02, padding=0)
    grid.addItem(plot, row=r, col=1)


def _quartiles(grid, r: int, runs, settings, sigma_rank, n_modes: int, look: Theme) -> None:
    plot = plot_item(look)
    style_plot(plot, "modes: median and quartiles", "modes", "step", look)
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


def _forest(grid, r: int, rows: Sequence[dict[str, Any]], look: Theme) -> None:
    compared = [row for row in rows if np.isfinite(row["covers_late_diff"])]
    if not compared:  # no plug-in arm to compare with (a sweep of one estimator)
        return
    plot = plot_item(look)
    style_plot(plot, "vs plug-in (last 20 %)", "setting", "difference in share", look)
    for y, row in enumerate(compared):
        color = theme.ESTIMATOR_COLORS[row["estimator"]]
        plot.addItem(pg.PlotDataItem([row["covers_late_diff_lo"], row["covers_late_diff_hi"]],
                                     [y, y], pen=pg.mkPen(color, width=2)))
        plot.addItem(pg.ScatterPlotItem([row["covers_late_diff"]], [y], size=9, pen=None,
                                        brush=pg.mkBrush(color)))
    dashed = pg.mkPen(look.dim, style=Qt.PenStyle.DashLine)
    plot.addItem(pg.InfiniteLine(0, angle=90, pen=dashed))
    left = plot.getAxis("left")
    left.setTicks([[(y, _label(row["estimator"], row["sigma"]))
                    for y, row in enumerate(compared)]])
    left.setWidth(look.room(FOREST_AXIS_WIDTH))
    left.setLabel("")
    plot.setXRange(-1, 1, padding=0.02)
    plot.setYRange(-0.7, max(len(compared), 1) - 0.3, padding=0)
    grid.addItem(plot, row=r, col=3)
