"""Colours and pens: one colour per estimator, used everywhere (panels, curves, buttons), and the
two looks a figure can take, as data: ``DARK`` (the window) and ``PAPER`` (print).

The estimator colours are Okabe & Ito's (2008) palette, chosen to stay apart under the common
colour-vision deficiencies (tests/figures/test_export_theme.py checks it with Machado et al.'s 2009
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
ICON_DIR = Path(__file__).resolve().parents[1] / "resources" / "icons"  # package data

RGBA = tuple[int, int, int, int]
SCREEN_DPI = 96  # the logical dots per inch Qt lays text out at (screens, offscreen)
PRINT_WIDTH = 7.0  # inches: a multi-panel paper figure spans a two-column page's text width


@dataclass(frozen=True)
class TextSizes:
    """Every text size a figure draws with, in points as printed at the theme's
    ``px_per_inch`` (for the window, DARK, that is the screen: points as Qt lays them out)."""

    title: float  # a curve plot's title
    label: float  # an axis label
    tick: float  # a curve plot's tick labels
    legend: float  # legend entries and the notes beside them
    note: float  # a run panel's caption
    panel_name: float  # a run panel's estimator name (first title line)
    panel_sub: float  # a run panel's sigma and seed (second title line)
    panel_tick: float | None  # a run panel's and a colour bar's ticks (None: Qt's default font)
    key: float  # the arrow colours' key
    message: float  # a message across the panel area


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
    text: TextSizes
    px_per_inch: float  # logical pixels per printed inch: the screen's for DARK, 150 in PAPER
    for_print: bool  # figures are laid out at their print width (``print_size``)
    text_room: float  # pixels around text (axis widths, title rows, least plot sizes),
    # relative to the window's

    def font_points(self, printed: float) -> float:
        """The point size to lay text out at so that it prints at ``printed`` points."""
        return printed * self.px_per_inch / SCREEN_DPI

    def css(self, printed: float) -> str:
        """``font_points(printed)`` as a CSS font size ("10pt")."""
        return f"{self.font_points(printed):.4g}pt"

    def room(self, pixels: float) -> int:
        """``pixels`` of the window's room for text, for this theme's text sizes."""
        return round(pixels * self.text_room)

    def print_size(self, size: tuple[int, int], inches: float = PRINT_WIDTH) -> tuple[int, int]:
        """A figure's logical size: the window's ``size`` on screen (DARK), else scaled to
        ``inches`` wide at ``px_per_inch`` (the height in proportion)."""
        if not self.for_print:
            return size
        width = round(inches * self.px_per_inch)
        return width, round(size[1] * width / size[0])

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
    text=TextSizes(title=10, label=9, tick=8, legend=9, note=8, panel_name=10, panel_sub=9,
                   panel_tick=None, key=8, message=11),
    px_per_inch=SCREEN_DPI,
    for_print=False,
    text_room=1.0,
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
    figure_size=(1050, 900),  # 7 in wide at 150 px/in: printed at 300 dpi from a 2x PNG
    # printed sizes: panel names 9 pt, titles and labels 8 pt, nothing below 7 pt (journals'
    # least); a curve title of 9 pt would be cut in plots 1.2 in wide
    text=TextSizes(title=8, label=8, tick=7, legend=8, note=7, panel_name=9, panel_sub=8,
                   panel_tick=7, key=7, message=9),
    px_per_inch=150,
    for_print=True,
    text_room=1.4,
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
