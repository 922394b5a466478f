"""Colours and pens: one colour per estimator, used everywhere (panels, curves, buttons)."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtGui import QColor

ESTIMATOR_COLORS = {
    "plugin": "#4C72B0",          # blue
    "reparam_fixed": "#DD8452",   # orange
    "reparam_learned": "#55A868", # green
    "score": "#C44E52",           # red
}
COVARIANCE_COLORS = {  # the learned covariance forms in the response figures
    "isotropic": "#d8dde6",  # light grey
    "diagonal": "#ffd166",   # yellow
    "full": "#c77dff",       # violet
}
ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"  # package data
BACKGROUND = "#16181d"
FOREGROUND = "#d8dde6"
GRID_ALPHA = 0.15
DENSITY_CMAP = "inferno"
DISC_CMAP = "CET-D1A"
SIGMA_CMAP = "CET-R4"


def estimator_color(estimator: str) -> QColor:
    """The estimator's colour as a QColor."""
    return QColor(ESTIMATOR_COLORS[estimator])


def configure_pyqtgraph() -> None:
    """Global pyqtgraph options (call once, before creating plots)."""
    pg.setConfigOptions(antialias=True, background=BACKGROUND, foreground=FOREGROUND,
                        imageAxisOrder="row-major")
