"""Colours and pens: one colour per estimator, used everywhere (panels, curves, buttons), and the
two looks a figure can take, as data: ``DARK`` (the window) and ``PAPER`` (print).

The estimator colours are Okabe & Ito's (2008) palette, chosen to stay apart under the common
colour-vision deficiencies (tests/test_export_theme.py checks it with Machado et al.'s 2009
simulation); both themes share them, so a colour means the same estimator on screen and paper.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtGui import QColor

ESTIMATOR_COLORS = {  # Okabe-Ito
    "plugin": "#0072B2",           # blue
    "reparam_fixed": "#E69F00",    # orange
    "reparam_learned": "#009E73",  # bluish green
    "score": "#D55E00",            # vermillion
}
COVARIANCE_COLORS = {  # the learned covariance forms in the response figures
    "isotropic": "#d8dde6",  # light grey
    "diagonal": "#ffd166",   # yellow
    "full": "#c77dff",       # violet
}
ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"  # package data

RGBA = tuple[int, int, int, int]


@dataclass(frozen=True)
class Theme:
    """Every named colour the panels, curves and figures draw with."""

    name: str
    background: str  # the figure around the plots
    foreground: str  # text, axes, ticks
    dim: str  # secondary text and marker lines
    grid_alpha: float
    selection: str  # a chosen entry in a list
    panel_background: str  # inside a run panel: the density map's lowest colour
    density_cmap: str  # perceptually uniform, lightness monotonic
    disc_cmap: str  # D(x): diverging around 1/2
    sigma_cmap: str  # fakes coloured by log sigma(z)
    field: str  # -grad f arrows on a grid
    smooth: str  # the sigma-smoothed arrows
    fake_field: str  # -grad f at the fakes
    real: str  # the data's contours
    manifold: RGBA  # the image of a z-grid
    fake: RGBA  # fake samples (fixed sigma)
    ellipse: RGBA  # 2-std ellipses of a learned covariance
    covariance: tuple[tuple[str, str], ...]  # covariance form -> colour (response figures)
    figure_size: tuple[int, int]  # the headless comparison figure, logical pixels

    def covariance_color(self, label: str) -> str:
        """The colour of a covariance form (the foreground for any other label)."""
        return dict(self.covariance).get(label, self.foreground)


DARK = Theme(
    name="dark",
    background="#16181d",
    foreground="#d8dde6",
    dim="#8a919e",
    grid_alpha=0.15,
    selection="#3a4050",
    panel_background="#000004",  # inferno's lowest colour
    density_cmap="inferno",
    disc_cmap="CET-D1A",
    sigma_cmap="CET-R4",
    field="#7fd6ff",
    smooth="#ffd166",
    fake_field="#f2f2f2",
    real="#ffffff",
    manifold=(235, 235, 235, 110),
    fake=(255, 255, 255, 170),
    ellipse=(190, 255, 140, 130),  # apart from the field arrows (cyan) and real data (white)
    covariance=tuple(COVARIANCE_COLORS.items()),
    figure_size=(1600, 1000),
)

PAPER = Theme(
    name="paper",
    background="#ffffff",
    foreground="#1a1a1a",
    dim="#5f6670",
    grid_alpha=0.22,
    selection="#d0d6e0",
    # CET-L17 (white, orange, red, magenta, deep blue): perceptually uniform, lightness falling
    # from 100 to 25, so empty space is paper white and density reads in greyscale print too
    panel_background="#ffffff",
    density_cmap="CET-L17",
    disc_cmap="CET-D1A",
    sigma_cmap="CET-R4",
    field="#24507a",  # dark slate blue: apart from the warm low and middle of the map
    smooth="#1b7837",  # dark green
    fake_field="#303030",
    real="#000000",
    manifold=(40, 40, 40, 110),
    fake=(0, 0, 0, 170),
    ellipse=(0, 110, 60, 150),
    covariance=(("isotropic", "#4d4d4d"), ("diagonal", "#CC79A7"), ("full", "#56B4E9")),
    figure_size=(1400, 900),  # narrower than the window: text is larger against the figure
)
THEMES = {t.name: t for t in (DARK, PAPER)}

# the window's look, as module constants (what the window and older callers read)
BACKGROUND = DARK.background
FOREGROUND = DARK.foreground
GRID_ALPHA = DARK.grid_alpha
DENSITY_CMAP = DARK.density_cmap
DISC_CMAP = DARK.disc_cmap
SIGMA_CMAP = DARK.sigma_cmap


def theme_named(name: str) -> Theme:
    """The theme called ``name`` (``dark`` or ``paper``); ValueError names the choices."""
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}, not {name!r}") from None


def estimator_color(estimator: str) -> QColor:
    """The estimator's colour as a QColor."""
    return QColor(ESTIMATOR_COLORS[estimator])


def configure_pyqtgraph(theme: Theme = DARK) -> None:
    """Global pyqtgraph options (call once, before creating plots)."""
    pg.setConfigOptions(antialias=True, background=theme.background,
                        foreground=theme.foreground, imageAxisOrder="row-major")


@contextlib.contextmanager
def using(theme: Theme) -> Iterator[Theme]:
    """pyqtgraph's default background and foreground set to ``theme``'s meanwhile (for the
    items that read them when created or drawn), the previous ones restored afterwards."""
    before = {key: pg.getConfigOption(key) for key in ("background", "foreground")}
    pg.setConfigOptions(background=theme.background, foreground=theme.foreground)
    try:
        yield theme
    finally:
        pg.setConfigOptions(**before)
