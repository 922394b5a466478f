"""The curves dock's plot items: one set per run (a line per series, a learned sigma's band)
and one per group of seeds (a median line in its 10-90 % band), built once per run set and
then only fed with new data (:func:`feed`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from ganviz.core.contract import RunSpec
from ganviz.views import theme

LOG_SERIES = {"grad_rel_var", "sigma", "sigma_p10", "sigma_p90"}
SERIES_PLOTS = {"loss_d": "loss", "loss_g": "loss", "modes": "modes",
                "hq_fraction": "hq_fraction", "reverse_kl": "reverse_kl",
                "js_divergence": "js_divergence", "energy_distance": "energy_distance",
                "grad_rel_var": "grad_rel_var", "sigma": "sigma"}  # series -> plot
LINE_WIDTH = 1.0  # cosmetic; wider (or fractional) pens are several times slower to draw
BAND_ALPHA = 55
EDGE_ALPHA = 90
DASH = 4
SEED_BAND_ALPHA = 45  # the 10-90 % band over seeds


def run_color(spec: RunSpec, specs: tuple[RunSpec, ...]) -> QColor:
    """The estimator colour, shaded (darker to lighter) when one estimator has several sigmas."""
    color = theme.estimator_color(spec.estimator)
    sigmas = sorted({(s.learned_sigma, s.sigma) for s in specs if s.estimator == spec.estimator})
    if len(sigmas) > 1:
        t = sigmas.index((spec.learned_sigma, spec.sigma)) / (len(sigmas) - 1)
        factor = round(75 + 60 * t)  # 75 % .. 135 % brightness
        color = color.darker(int(10000 / factor)) if factor < 100 else color.lighter(factor)
    return color


def feed(item: pg.PlotDataItem, x: np.ndarray, y: np.ndarray, series: str) -> None:
    """Give ``item`` new data; a single row draws no line, so it is shown as a dot (if it has
    a place on the axis). Symbols go off before new data arrives so the scatter never holds
    only NaN."""
    dot = len(y) == 1 and bool(np.isfinite(y).all() and (
        series not in LOG_SERIES or (y > 0).all()))
    if not dot and item.opts["symbol"] is not None:
        item.setSymbol(None)
    item.setData(x, y)
    if dot and item.opts["symbol"] is None:
        item.setSymbol("o")


@dataclass
class RunItems:
    """The plot items of one run, by series name (plus the sigma band of a learned run)."""

    spec: RunSpec
    items: dict[str, pg.PlotDataItem] = field(default_factory=dict)
    band: pg.FillBetweenItem | None = None

    def all(self) -> list:
        """Every graphics item of the run (for visibility)."""
        return [*self.items.values(), *([self.band] if self.band is not None else [])]


@dataclass
class GroupItems:
    """The items of one group of seeds: per series a median line and its 10-90 % band."""

    members: list[int]  # run indices, in run order
    items: dict[str, pg.PlotDataItem] = field(default_factory=dict)
    edges: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = field(default_factory=dict)
    bands: dict[str, pg.FillBetweenItem] = field(default_factory=dict)

    def all(self) -> list:
        """Every graphics item of the group (for visibility)."""
        return [*self.items.values(), *(e for pair in self.edges.values() for e in pair),
                *self.bands.values()]


def build_runs(plots: dict[str, pg.PlotItem], specs: tuple[RunSpec, ...]) -> list[RunItems]:
    """Every run's items, in run order: lines a little transparent when seeds overlap, and
    the fixed sigmas' lines dashed in turn so that coinciding ones all stay visible."""
    seeds = {(s.estimator, s.learned_sigma, s.sigma) for s in specs}
    alpha = 255 if len(seeds) == len(specs) else 200
    fixed = list(dict.fromkeys(s.estimator for s in specs if not s.learned_sigma))
    runs: list[RunItems] = []
    for spec in specs:
        color = run_color(spec, specs)
        color.setAlpha(alpha)
        sigma_pen = pg.mkPen(color, width=LINE_WIDTH)
        if not spec.learned_sigma and len(fixed) > 1:
            # fixed sigmas often coincide (reparam and score at 0.05): interleaved dashes
            # keep every colour visible on the shared line
            sigma_pen.setDashPattern([DASH, DASH * (len(fixed) - 1)])
            sigma_pen.setDashOffset(DASH * fixed.index(spec.estimator))
        runs.append(build_run(plots, spec, color, sigma_pen))
    return runs


def build_run(plots: dict[str, pg.PlotItem], spec: RunSpec, color: QColor,
              sigma_pen: pg.QtGui.QPen) -> RunItems:
    """One run's line in every plot (its sigma line drawn with ``sigma_pen``; a learned
    sigma also with its 10-90 % band over the batch)."""
    run = RunItems(spec)

    def add(plot: str, series: str, style=Qt.PenStyle.SolidLine,
            pen: pg.QtGui.QPen | None = None) -> pg.PlotDataItem:
        pen = pen or pg.mkPen(color, width=LINE_WIDTH, style=style)
        item = pg.PlotDataItem(pen=pen, connect="finite")
        item.setSymbolSize(5)  # symbol* keywords in the constructor would switch dots on
        item.setSymbolBrush(pen.color())
        item.setSymbolPen(None)
        item.setZValue(10 + spec.index)
        plots[plot].addItem(item)
        run.items[series] = item
        return item

    add("loss", "loss_d")
    add("loss", "loss_g", Qt.PenStyle.DashLine)
    for name in ("modes", "hq_fraction", "reverse_kl", "js_divergence", "energy_distance",
                 "grad_rel_var"):
        add(name, name)
    add("sigma", "sigma", pen=sigma_pen)
    if spec.learned_sigma:
        edge = QColor(color)
        edge.setAlpha(EDGE_ALPHA)
        lo = add("sigma", "sigma_p10", pen=pg.mkPen(edge, width=1))
        hi = add("sigma", "sigma_p90", pen=pg.mkPen(edge, width=1))
        fill = QColor(color)
        fill.setAlpha(BAND_ALPHA)
        run.band = pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(fill))
        lo.sigPlotChanged.disconnect(run.band.curveChanged)  # p90 is set after p10: once
        plots["sigma"].addItem(run.band, ignoreBounds=True)
    return run



def build_group(plots: dict[str, pg.PlotItem], runs: list[RunItems], members: list[int],
                specs: tuple[RunSpec, ...]) -> GroupItems:
    """A median line per series in its 10-90 % band over the seeds, in the setting's
    colour (the sigma line dashed like its runs')."""
    group = GroupItems(members)
    first = runs[members[0]]
    color = run_color(first.spec, specs)
    edge, fill = QColor(color), QColor(color)
    edge.setAlpha(EDGE_ALPHA)
    fill.setAlpha(SEED_BAND_ALPHA)
    for series, plot_name in SERIES_PLOTS.items():
        plot = plots[plot_name]
        pen = pg.mkPen(first.items[series].opts["pen"])
        pen.setColor(color)
        pen.setWidthF(2 * LINE_WIDTH)
        item = pg.PlotDataItem(pen=pen, connect="finite")
        item.setSymbolSize(5)
        item.setSymbolBrush(color)
        item.setSymbolPen(None)
        item.setZValue(10 + len(specs) + members[0])  # above the per-seed lines
        edge_style = Qt.PenStyle.DashLine if series == "loss_g" else Qt.PenStyle.SolidLine
        lo, hi = (pg.PlotDataItem(pen=pg.mkPen(edge, width=1, style=edge_style),
                                  connect="finite") for _ in range(2))
        band = pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(fill))
        lo.sigPlotChanged.disconnect(band.curveChanged)  # hi is set after lo: once
        for part in (lo, hi, item):
            part.setZValue(item.zValue() - (part is not item))
            plot.addItem(part)
        band.setZValue(5)
        plot.addItem(band, ignoreBounds=True)
        group.items[series], group.edges[series], group.bands[series] = item, (lo, hi), band
    return group

