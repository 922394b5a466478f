"""Plan C1's figure: does learned sigma(z) track the modes' std s under an entropy bonus?

For a finished sweep that varies ``runs.sigma_entropy`` (lambda) and ``data.std`` (s) with
learned-sigma runs (``sweeps/study-c-entropy.toml``): every run's final mean sigma(z)
divided by its s (faint dots), and per (lambda, s) the median over seeds with its 95 %
percentile-bootstrap interval (the endpoint fixed in docs/study.md, section 4), on a log
axis; the band [0.5, 2] is where "sigma tracks s" is said. Writes PNG, SVG and PDF.

    python scripts/analysis/sigma_tracking.py docs/results/study-c-entropy \
        docs/results/study-c-entropy/analysis/sigma-tracking.png [--theme paper]
"""

from __future__ import annotations

import argparse
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from ganviz.studies.analysis import median_interval, read_group, read_groups

TRACKING_BAND = (0.5, 2.0)  # the pre-registered band of sigma / s
PLOT_SIZE = (560, 380)
JITTER_SEED = 0
STD_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")  # Okabe-Ito, one per s


def ratios(sweep: Path) -> dict[float, dict[float, list[float]]]:
    """sigma / s of every learned-sigma run, by s then lambda."""
    groups = read_groups([sweep])
    out: dict[float, dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
    for group in groups:
        cfg = group.config
        for r, _ in read_group(group):
            if r.sigma == "learned" and math.isfinite(r.sigma_mean) and not r.diverged:
                out[cfg.data.std][cfg.runs.sigma_entropy].append(r.sigma_mean / cfg.data.std)
    return out


def _font(look):
    from PySide6.QtGui import QFont

    font = QFont()
    font.setPointSizeF(look.font_points(look.text.note))
    return font


def figure(data: dict[float, dict[float, list[float]]], look):
    """The figure widget: lambda as categories along x, sigma / s on a log y axis."""
    import pyqtgraph as pg
    from PySide6.QtCore import Qt

    from ganviz.views.plotstyle import plot_item, style_plot

    lambdas = sorted({lam for by_lambda in data.values() for lam in by_lambda})
    view = pg.GraphicsLayoutWidget()
    view.setBackground(look.background)
    plot = plot_item(look)
    style_plot(plot, "σ(z) / s: each run, median and 95 % interval", "final mean σ(z) / s",
               "entropy bonus λ", look)
    plot.setLogMode(x=False, y=True)
    view.ci.addItem(plot)
    lo, hi = (math.log10(v) for v in TRACKING_BAND)
    band = pg.LinearRegionItem((lo, hi), orientation="horizontal", movable=False,
                               brush=pg.mkBrush(look.dim + "30"), pen=pg.mkPen(None))
    plot.addItem(band)
    plot.addItem(pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen(look.dim, style=Qt.PenStyle.DashLine)))
    note = pg.TextItem("σ tracks s (the pre-registered band)", color=look.foreground,
                       anchor=(0, 0))
    note.setFont(_font(look))
    note.setPos(-0.45, hi - 0.02)
    plot.addItem(note)
    legend = plot.addLegend(offset=(-8, -8), labelTextColor=look.foreground,
                            labelTextSize=look.css(look.text.legend),
                            brush=pg.mkBrush(look.background + "d0"))
    rng = np.random.default_rng(JITTER_SEED)
    stds = sorted(data)
    for k, s in enumerate(stds):
        color = STD_COLORS[k % len(STD_COLORS)]
        shift = (k - (len(stds) - 1) / 2) * 0.18
        xs, meds = [], []
        for x, lam in enumerate(lambdas):
            values = data[s].get(lam, [])
            if not values:
                continue
            faint = pg.mkColor(color)
            faint.setAlpha(110)
            plot.addItem(pg.ScatterPlotItem(
                x + shift + rng.uniform(-0.04, 0.04, len(values)), np.log10(values), size=5,
                pen=None, brush=pg.mkBrush(faint)))
            med, m_lo, m_hi = median_interval(values)
            plot.addItem(pg.ErrorBarItem(
                x=np.array([x + shift]), y=np.array([math.log10(med)]),
                top=np.array([math.log10(m_hi) - math.log10(med)]),
                bottom=np.array([math.log10(med) - math.log10(m_lo)]),
                beam=0.06, pen=pg.mkPen(color, width=2)))
            xs.append(x + shift)
            meds.append(med)  # a PlotDataItem takes raw values and logs them itself
        line = pg.PlotDataItem(xs, meds, pen=pg.mkPen(color, width=2), symbol="o",
                               symbolSize=8, symbolBrush=pg.mkBrush(color), symbolPen=None)
        plot.addItem(line)
        legend.addItem(line, f"s = {s:g}")
    plot.getAxis("bottom").setTicks([[(x, f"{lam:g}") for x, lam in enumerate(lambdas)]])
    plot.setXRange(-0.5, len(lambdas) - 0.5, padding=0)
    view.resize(*look.print_size(PLOT_SIZE, inches=3.5))
    return view


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", type=Path, help="the finished sweep's --out folder")
    parser.add_argument("png", type=Path, help="the figure's PNG (SVG and PDF beside it)")
    parser.add_argument("--theme", choices=("dark", "paper"), default="paper")
    args = parser.parse_args()
    data = ratios(args.sweep)
    if not data:
        parser.error(f"{args.sweep}: no learned-sigma runs")
    from ganviz.figures.comparison import write_widget_figure

    write_widget_figure(lambda look: figure(data, look), args.png, theme=args.theme,
                        vectors=True)
    for s, by_lambda in sorted(data.items()):
        for lam, values in sorted(by_lambda.items()):
            med, lo, hi = median_interval(values)
            print(f"s={s:g} lambda={lam:g}: sigma/s median {med:.3g} [{lo:.3g}, {hi:.3g}] "
                  f"({len(values)} runs)")


if __name__ == "__main__":
    main()
