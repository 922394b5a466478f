"""Colours and pens: one colour per estimator, used everywhere (panels, curves, buttons)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor

from ganviz.runs import RunSpec

ESTIMATOR_COLORS = {
    "plugin": "#4C72B0",          # blue
    "reparam_fixed": "#DD8452",   # orange
    "reparam_learned": "#55A868", # green
    "score": "#C44E52",           # red
}
SHORT_NAMES = {
    "plugin": "plug-in",
    "reparam_fixed": "reparam, fixed σ",
    "reparam_learned": "reparam, learned σ(z)",
    "score": "score function",
}
BACKGROUND = "#16181d"
FOREGROUND = "#d8dde6"
GRID_ALPHA = 0.15
DENSITY_CMAP = "inferno"
DISC_CMAP = "CET-D1A"
SIGMA_CMAP = "CET-R4"


def estimator_color(estimator: str) -> QColor:
    """The estimator's colour as a QColor."""
    return QColor(ESTIMATOR_COLORS[estimator])


def run_pen(spec: RunSpec, width: float = 2.0, style=None) -> pg.QtGui.QPen:
    """A cosmetic pen in the run's estimator colour."""
    pen = pg.mkPen(ESTIMATOR_COLORS[spec.estimator], width=width)
    if style is not None:
        pen.setStyle(style)
    return pen


def configure_pyqtgraph() -> None:
    """Global pyqtgraph options (call once, before creating plots)."""
    pg.setConfigOptions(antialias=True, background=BACKGROUND, foreground=FOREGROUND,
                        imageAxisOrder="row-major")
