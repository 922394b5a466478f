"""The run panels: one 2-D plot per group of seeds, side by side, with layers toggled for all
at once.

Runs that differ only by seed share a panel (``seeds.group_runs``); a seed selector in its
title row chooses which of them the panel draws, and the choice lives in the view state
(``ViewState.panel_seeds``), so it survives redraws and resets that keep the group.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, QSizeF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QComboBox, QGraphicsItem, QGraphicsProxyWidget

from ganviz.core.contract import FakeProbes, RealData, RunSpec, Snapshot, ViewProbes
from ganviz.core.help_text import panel_tip
from ganviz.core.names import FULL_NAMES, SHORT_NAMES
from ganviz.views import theme
from ganviz.views.geometry import (
    arrow_segments,
    circles,
    ellipses,
    polylines,
    spread_indices,
    upsample_cells,
)
from ganviz.views.items import DotsItem, RasterImageItem, use_title_label
from ganviz.views.seeds import group_key, group_runs, seed_title
from ganviz.views.slots import Connections
from ganviz.views.theme import DARK, ESTIMATOR_COLORS, Theme
from ganviz.views.viewstate import ViewState

FIELD_COLOR = DARK.field  # the window's colours; a panel draws with its theme's
SMOOTH_COLOR = DARK.smooth
FAKE_FIELD_COLOR = DARK.fake_field
REAL_COLOR = DARK.real
MANIFOLD_COLOR = DARK.manifold
DENSITY_DECADES = 3.0
MAX_COLUMNS = 4
PANEL_BACKGROUND = DARK.panel_background
SIGMA_LEVELS = 32  # fakes of learned-sigma runs: brushes prepared once, indexed per frame
FAKE_SIZE = 3.5  # pixels
FAKE_COLOR = DARK.fake
ELLIPSE_FAKES = 40  # fakes of a learned covariance drawn with their 2-std ellipse (readable)
ELLIPSE_COLOR = DARK.ellipse
CACHED_LAYERS = ("real", "field", "smooth", "fake_field", "manifold",  # line layers that change
                 "density", "disc")  # and the images: a smooth image's paint is a scaled draw
# only with the views (~1/s): Qt keeps each as a device pixmap (export switches this off)
SEED_BOX_MARGIN = 4  # pixels between the seed selector and the panel's top right corner
SEED_BOX_HEIGHT = 17  # pixels: within the title's second line, clear of its first
SEED_BOX_STYLE = (f"QComboBox {{ color: {theme.FOREGROUND}; background: {theme.BACKGROUND}; "
                  "border: 1px solid #4a505c; border-radius: 3px; padding: 0px 2px 0px 4px; "
                  "font-size: 8pt; }"
                  f"QComboBox QAbstractItemView {{ color: {theme.FOREGROUND}; "
                  f"background: {theme.BACKGROUND}; selection-background-color: #3a4050; "
                  "border: 1px solid #4a505c; }")

# Panel geometry: every panel is the same square of data, [-extent, extent]^2 at one scale.
TITLE_ROW = 30  # pixels of the two-line title (pyqtgraph's title row)
MIN_PANEL_WIDTH = 160  # pixels of plot area: below this the grid wraps into more rows
AXIS_WIDTH = 30  # pixels of the left axis (fixed, so every panel has the same overhead)
AXIS_HEIGHT = 22  # pixels of the bottom axis
GRID_SPACING = 6  # pixels between panels
KEY_WIDTH = 96  # pixels of the colour-key column at the right
KEY_BAR_MIN = 80  # pixels of height a colour bar needs to be read
SMOOTH_PIXELS = 384  # the density and D(x) images are upsampled (bilinear) to at least this
MAX_SMOOTH_FACTOR = 16  # ... but by no more than this factor per axis
NOTE_ALPHA = 185  # the caption's background: the panel's own colour, semi-opaque
ALL_HIDDEN_MESSAGE = "every estimator is off: switch one on in the toolbar"
STARTING_MESSAGE = "starting the training process…"


def tick_font(look: Theme) -> QFont | None:
    """The font of a panel's and a colour bar's ticks in ``look`` (None: Qt's default)."""
    if look.text.panel_tick is None:
        return None
    font = QFont()
    font.setPointSizeF(look.font_points(look.text.panel_tick))
    return font


def theme_colorbar(bar: pg.ColorBarItem, look: Theme) -> None:
    """A colour bar's scale and label in ``look``'s foreground and text size."""
    font = tick_font(look)
    for side in ("left", "bottom", "right", "top"):  # the scale's axis and the label's
        axis = bar.getAxis(side)
        axis.setPen(look.foreground)
        axis.setTextPen(look.foreground)
        if font is not None:
            axis.setStyle(tickFont=font)
        if axis.labelText:
            style = {} if font is None else {"font-size": look.css(look.text.label)}
            axis.setLabel(axis.labelText, color=look.foreground, **style)


def note_fill(look: Theme) -> QColor:
    """The caption's background: the panel's background colour, semi-opaque."""
    color = QColor(look.panel_background)
    color.setAlpha(NOTE_ALPHA)
    return color


def sigma_color_range(real: RealData) -> tuple[float, float]:
    """log10 sigma range of the fake-sample colours: two decades below to one above the
    data's mode std."""
    std = float(np.median(real.stds)) if len(real.stds) else max(real.scale, 1e-6)
    return math.log10(std) - 2.0, math.log10(std) + 1.0


def crosses(points: np.ndarray, half: float) -> tuple[np.ndarray, np.ndarray]:
    """Line data (NaN-separated) of a small "+" of half-width ``half`` at every point [N, 2]."""
    px, py = points[:, 0:1], points[:, 1:2]
    nan = np.full_like(px, np.nan)
    x = np.hstack([px - half, px + half, nan, px, px, nan]).ravel()
    y = np.hstack([py, py, nan, py - half, py + half, nan]).ravel()
    return x, y


def smooth_image(a: np.ndarray) -> np.ndarray:
    """A view grid [H, W] upsampled bilinearly to at least ``SMOOTH_PIXELS`` per side, so the
    window and the exports (an SVG embeds the raster) show a smooth map, not square cells."""
    factor = min(MAX_SMOOTH_FACTOR, max(1, math.ceil(SMOOTH_PIXELS / max(min(a.shape), 1))))
    return upsample_cells(a, factor)


def caption_text(spec: RunSpec, views: ViewProbes, r: int) -> tuple[str, str]:
    """The panel caption (one short line, nothing the title says already) and its tooltip."""
    mean, p10, p90 = views.sigma_stats[r]
    parts, tips = [], []
    if spec.learned_sigma:
        name = "Σ(z) eigen-σ" if views.fake_axes is not None else "σ(z)"
        parts.append(f"{name} {mean:.2g} [{p10:.2g}, {p90:.2g}]")
        what = ("both eigen-standard-deviations of Σ(z)"
                if views.fake_axes is not None else "σ(z)")
        tips.append(f"{name}: mean {mean:.3g} of {what} over the probe batch; "
                    f"10th to 90th percentile in brackets.")
    label = views.density_label[r]
    if label != "mixture":
        floor = f"{views.density_floor:.3g}"
        if label.startswith("KDE"):
            parts.append(f"p(x): KDE, h = {floor}")
        else:
            share = label.rsplit(" for ", 1)[1].split(" of ")[0] if " for " in label else "all"
            parts.append(f"p(x) floored: {share}")
        tips.append("p(x): " + label.replace("sigma", "σ") + " (h is one grid cell: a "
                    "narrower Gaussian cannot be drawn on the view grid).")
    return " · ".join(parts), "\n".join(tips)


class RunPanel:
    """The plot of one group of seeds, drawing one of its runs (``spec``), and its layer items
    (no maths beyond display mapping)."""

    def __init__(self, specs: RunSpec | Sequence[RunSpec], layout: pg.GraphicsLayout,
                 theme: Theme = DARK) -> None:
        self.theme = theme
        self.specs: tuple[RunSpec, ...] = (specs,) if isinstance(specs, RunSpec) else tuple(specs)
        self.spec = self.specs[0]
        self.group = group_key(self.spec)
        self.plot = pg.PlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        use_title_label(self.plot)
        self.plot.setAspectLocked(False)  # a locked aspect widens the range of a non-square
        # box; the grid keeps the box square instead (PanelGrid.fit), so the range stays exact
        self.plot.showGrid(x=False, y=False)
        font = tick_font(theme)
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setStyle(tickLength=-4)
            if font is not None:
                self.plot.getAxis(axis).setStyle(tickFont=font)
            self.plot.getAxis(axis).setPen(theme.foreground)
            self.plot.getAxis(axis).setTextPen(theme.foreground)
        self.plot.getAxis("left").setWidth(theme.room(AXIS_WIDTH))
        self.plot.getAxis("bottom").setHeight(theme.room(AXIS_HEIGHT))
        vb = self.plot.getViewBox()
        vb.setBorder(pg.mkPen(ESTIMATOR_COLORS[self.spec.estimator], width=3))
        vb.setBackgroundColor(theme.panel_background)
        self.density = RasterImageItem(colorMap=pg.colormap.get(theme.density_cmap))
        self.disc = RasterImageItem(colorMap=pg.colormap.get(theme.disc_cmap))
        self.real = pg.PlotDataItem(pen=pg.mkPen(theme.real, width=1), connect="finite")
        self.manifold = pg.PlotCurveItem(pen=pg.mkPen(theme.manifold, width=1),
                                         connect="finite")
        self.field = pg.PlotCurveItem(pen=pg.mkPen(theme.field + "b0", width=1),
                                      connect="pairs")
        self.smooth = pg.PlotCurveItem(pen=pg.mkPen(theme.smooth, width=1), connect="pairs")
        self.fake_field = pg.PlotCurveItem(pen=pg.mkPen(theme.fake_field, width=1),
                                           connect="pairs")
        cmap = pg.colormap.get(theme.sigma_cmap)
        sigma_brushes = [pg.mkBrush(cmap.map(k / (SIGMA_LEVELS - 1), mode="byte"))
                         for k in range(SIGMA_LEVELS)]  # learned sigma: colour index 1 + bin
        self.fakes = DotsItem(FAKE_SIZE, [pg.mkBrush(theme.fake), *sigma_brushes])
        self.ellipses = pg.PlotCurveItem(pen=pg.mkPen(theme.ellipse, width=1),
                                         connect="finite")
        self.note = pg.TextItem(anchor=(0, 0), color=theme.foreground,
                                fill=pg.mkBrush(note_fill(theme)))
        font = QFont()
        font.setPointSizeF(theme.font_points(theme.text.note))
        self.note.setFont(font)
        self.note.setVisible(False)
        self._caption = ""  # the note's full one-line text, elided to the panel's width
        self.items = {
            "density": self.density, "disc": self.disc, "manifold": self.manifold,
            "real": self.real, "field": self.field, "smooth": self.smooth,
            "fake_field": self.fake_field, "fakes": self.fakes,
        }
        for z, item in enumerate(self.items.values()):
            item.setZValue(z)
            self.plot.addItem(item)
        self.ellipses.setZValue(self.fakes.zValue() - 0.5)  # with the fakes, just beneath
        self.plot.addItem(self.ellipses)
        self.note.setZValue(100)
        self.plot.addItem(self.note)
        for name in CACHED_LAYERS:  # redrawn under the moving fakes every frame: blit, not stroke
            item = self.items[name]
            item = item.curve if isinstance(item, pg.PlotDataItem) else item
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._extent = 0.0
        self._rect = QRectF()
        self.views: ViewProbes | None = None
        self.fakes_drawn: FakeProbes | None = None
        self._connections = Connections()
        self._connections.connect(vb.sigResized, self.elide_note)  # the caption fits the box
        self.seed_box = self._seed_selector() if len(self.specs) > 1 else None
        self.set_title(diverged=False, active=True)
        del layout

    @property
    def run(self) -> int:
        """The index of the run the panel draws."""
        return self.spec.index

    def _seed_selector(self) -> QComboBox:
        """A small combo box of the group's seeds at the right of the title row."""
        box = QComboBox()
        box.setStyleSheet(SEED_BOX_STYLE)
        box.setToolTip("Which seed of this setting the panel shows")
        box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        box.setFixedHeight(SEED_BOX_HEIGHT)
        for spec in self.specs:
            box.addItem(f"seed {spec.seed}", spec.index)
        proxy = QGraphicsProxyWidget(self.plot)
        proxy.setWidget(box)
        proxy.setZValue(1000)
        self._seed_proxy = proxy
        self._connections.connect(self.plot.geometryChanged, self._place_seed_selector)
        self._connections.connect(self.plot.titleLabel.geometryChanged,
                                  self._place_seed_selector)
        self._place_seed_selector()
        return box

    def dispose(self) -> None:
        """Disconnect the slots Qt calls on this panel's items, before they are destroyed.

        A Python slot called while Qt tears an item down can crash the process (pyqtgraph
        #1628), so a panel that is replaced or closed lets go of its signals first.
        """
        self._connections.disconnect_all()

    def _place_seed_selector(self) -> None:
        """Keep the seed selector in the title row's top right corner."""
        proxy = self._seed_proxy
        size = proxy.size()
        bottom = self.plot.titleLabel.geometry().bottom()  # level with the title's second line
        proxy.setPos(self.plot.size().width() - size.width() - SEED_BOX_MARGIN,
                     max(0.0, bottom - size.height()))

    def show_run(self, index: int) -> bool:
        """Draw run ``index`` of the group from the next snapshot on; False if it is not one
        of the group's runs (then nothing changes)."""
        spec = next((s for s in self.specs if s.index == index), None)
        if spec is None:
            return False
        if spec != self.spec:
            self.spec = spec
            self.views = self.fakes_drawn = None
            self._title_key = None
        if self.seed_box is not None:
            pos = self.specs.index(spec)
            if self.seed_box.currentIndex() != pos:
                self.seed_box.blockSignals(True)
                self.seed_box.setCurrentIndex(pos)
                self.seed_box.blockSignals(False)
        return True

    def set_title(self, diverged: bool, active: bool) -> None:
        """Two-line title: the estimator's full name; sigma, seed (or the number of seeds, beside
        the selector) and state when not training."""
        self._title_state = (diverged, active)
        full = getattr(self, "_full_title", True)
        key = (diverged, active, full)
        if key == getattr(self, "_title_key", None):
            return
        self._title_key = key
        spec, look = self.spec, self.theme
        color = theme.ESTIMATOR_COLORS[spec.estimator]
        state = ""
        if diverged:
            state = " · <span style='color:#ff6b6b'><b>DIVERGED (frozen)</b></span>"
        elif not active:
            state = " · <i>paused</i>"
        name = (FULL_NAMES if full else SHORT_NAMES)[spec.estimator]
        self.plot.setTitle(
            f"<span style='color:{color}; font-size:{look.css(look.text.panel_name)}'>"
            f"<b>{name}</b></span><br><span style='color:{look.foreground}; "
            f"font-size:{look.css(look.text.panel_sub)}'>"
            f"{spec.sigma_text} · "
            f"{self._seed_text()}{state}</span>")
        self.plot.titleLabel.setMaximumHeight(look.room(TITLE_ROW))  # pyqtgraph's, in DARK
        self.plot.layout.setRowFixedHeight(0, look.room(TITLE_ROW))
        self.update_tooltip()

    def update_tooltip(self, layers: set[str] | None = None) -> None:
        """The title's tooltip (not the plot's, which would cover the data): the run and its
        state, its estimator's gradient and what each shown layer draws (``help_text``)."""
        if layers is not None:
            self._tip_layers = set(layers)
        diverged, active = getattr(self, "_title_state", None) or (False, True)
        state = " · diverged (frozen)" if diverged else "" if active else " · paused"
        self.plot.titleLabel.setToolTip(panel_tip(
            self.spec.estimator, f"{self.spec.sigma_text} · {self._seed_text()}{state}",
            getattr(self, "_tip_layers", ())))

    def fit_title(self, width: float) -> None:
        """Name the estimator in full when that fits in ``width`` pixels, else briefly."""
        font = QFont()
        font.setPointSizeF(self.theme.font_points(self.theme.text.panel_name))
        font.setBold(True)
        name = FULL_NAMES[self.spec.estimator]
        full = QFontMetricsF(font).horizontalAdvance(name) <= width - 8
        if full != getattr(self, "_full_title", True):
            self._full_title = full
            self.set_title(*self._title_state)

    def _seed_text(self) -> str:
        """The seed shown (the selector beside it chooses; exports hide the selector, so the
        title names the seed)."""
        return seed_title(self.spec, self.specs)

    def set_extent(self, extent: float) -> None:
        """Fix the data range of the panel to [-extent, extent]^2."""
        if extent != self._extent:
            self._extent = extent
            self.plot.setRange(xRange=(-extent, extent), yRange=(-extent, extent), padding=0)
            self._rect = QRectF(-extent, -extent, 2 * extent, 2 * extent)
            self.note.setPos(-extent, extent)

    def apply_layers(self, layers: set[str]) -> None:
        """Show exactly the layers in ``layers``."""
        for name, item in self.items.items():
            item.setVisible(name in layers)
        self.ellipses.setVisible("fakes" in layers)
        self.disc.setOpacity(0.55 if "density" in layers else 1.0)
        self.update_tooltip(layers)

    def draw_real(self, real: RealData) -> None:
        """Real-data contours: a circle (anisotropic modes: an ellipse) of two stds around
        each mode; the points of file data as small crosses."""
        x, y = circles(real.modes, 2 * real.stds) if real.axes is None else \
            ellipses(real.modes, 2 * real.axes)
        if real.points is not None and len(real.points):
            cx, cy = crosses(real.points, real.scale / 3)
            x, y = np.concatenate([np.asarray(x, float), cx]), np.concatenate(
                [np.asarray(y, float), cy])
        self.real.setData(x, y)

    def draw(self, views: ViewProbes, r: int, real: RealData, layers: set[str]) -> None:
        """Update every visible layer from the probes of run ``r``."""
        self.views = views
        self.set_extent(views.extent)
        if "density" in layers:
            hi = math.log10(max(real.peak_density, 1e-12))
            logp = np.log10(np.maximum(views.density[r], 1e-30))
            self.density.setImage(smooth_image(logp), autoLevels=False,
                                  levels=(hi - DENSITY_DECADES, hi))
            self.density.setRect(self._rect)  # after setImage: the rect maps image pixels
        if "disc" in layers and views.disc is not None:  # None: hidden when computed
            self.disc.setImage(smooth_image(views.disc[r]), autoLevels=False,
                               levels=(0.0, 1.0))
            self.disc.setRect(self._rect)
        arrow_len = 0.9 * 2 * views.extent / max(int(math.sqrt(len(views.field_points))), 2)
        if "field" in layers:
            self.field.setData(*arrow_segments(views.field_points, views.field[r], arrow_len))
        if "smooth" in layers and views.smooth_field is not None:
            self.smooth.setData(*arrow_segments(views.field_points, views.smooth_field[r],
                                                arrow_len))
        if "fake_field" in layers:
            self.fake_field.setData(*arrow_segments(views.fakes[r], views.fake_field[r],
                                                    0.6 * arrow_len))
        if "manifold" in layers and views.manifold is not None:
            self.manifold.setData(*polylines(views.manifold[r]))
        elif views.manifold is None:
            self.manifold.setData([], [])
        self._draw_note(views, r)

    def draw_fakes(self, fakes: FakeProbes, r: int, real: RealData) -> None:
        """Fake samples (every frame); learned-sigma runs coloured by log sigma(z), and with
        a learned covariance (diagonal or full) the 2-std ellipses of an even subsample."""
        self.fakes_drawn = fakes
        pts = fakes.fakes[r]
        if (self.spec.learned_sigma and fakes.fake_axes is not None
                and fakes.fake_means is not None):
            pick = spread_indices(len(pts), ELLIPSE_FAKES)
            self.ellipses.setData(*ellipses(fakes.fake_means[r][pick],
                                            2 * fakes.fake_axes[r][pick], n=32))
        else:
            self.ellipses.setData([], [])
        if self.spec.learned_sigma:
            lo, hi = sigma_color_range(real)
            frac = (np.log10(np.maximum(fakes.fake_sigma[r], 1e-12)) - lo) / (hi - lo)
            bins = np.clip((frac * (SIGMA_LEVELS - 1)).round(), 0, SIGMA_LEVELS - 1).astype(int)
            self.fakes.set_points(pts, 1 + bins)
        else:
            self.fakes.set_points(pts)

    def _draw_note(self, views: ViewProbes, r: int) -> None:
        """The caption at the top left: what the title does not say (learned sigma(z)'s spread,
        how p(x) is drawn when it is not the exact mixture), one line; details in its tooltip."""
        caption, tip = caption_text(self.spec, views, r)
        self.note.setToolTip(tip)
        self._caption = caption
        self.elide_note()

    def elide_note(self, *_: object) -> None:
        """Fit the caption on one line inside the plot area (elided with … when narrow)."""
        if not self._caption:
            self.note.setVisible(False)
            return
        room = self.plot.getViewBox().width() - 4  # the box's margins included
        metrics = QFontMetricsF(self.note.textItem.font())
        text, width = self._caption, room
        for _ in range(4):  # the text layout measures a little wider than the font metrics
            self.note.setText(text)
            excess = self.note.textItem.boundingRect().width() - room
            if excess <= 0 or room <= 0:
                break
            width -= excess
            text = metrics.elidedText(self._caption, Qt.TextElideMode.ElideRight, width)
        self.note.setVisible(True)

    def contains(self, scene_pos: QPointF) -> bool:
        """Whether a scene position lies inside this panel's plot area."""
        return self.plot.getViewBox().sceneBoundingRect().contains(scene_pos)

    def to_data(self, scene_pos: QPointF) -> tuple[float, float]:
        """Scene position -> data coordinates."""
        p = self.plot.getViewBox().mapSceneToView(scene_pos)
        return float(p.x()), float(p.y())

    def describe(self, x: float, y: float, r: int) -> str:
        """x, p(x), D(x) and the field at the grid cell nearest to (x, y)."""
        v = self.views
        if v is None:
            return ""
        j = int(np.abs(v.xs - x).argmin())
        i = int(np.abs(v.ys - y).argmin())
        k = int(np.argmin(((v.field_points - (x, y)) ** 2).sum(1)))
        gx, gy = v.field[r, k]
        disc = "" if v.disc is None else f"D(x) = {v.disc[r, i, j]:.3f}   "  # None: layer off
        return (f"{SHORT_NAMES[self.spec.estimator]} (seed {self.spec.seed}):  "
                f"x = ({x:+.3f}, {y:+.3f})   p(x) = {v.density[r, i, j]:.3g}   "
                f"{disc}−∇f = ({gx:+.3g}, {gy:+.3g})")


class PanelGrid(pg.GraphicsLayoutWidget):
    """One panel per group of seeds in a grid with the colour keys at the right.

    Every panel is the same square of data at the same scale: the grid chooses its number of
    columns from its size so the panels are as large as they can be (wrapping into rows when
    narrow), and gives every plot the same fixed size whose view box is square.
    """

    hovered = Signal(str)
    add_mode = Signal(float, float)
    remove_mode = Signal(float, float)
    selected = Signal(int)
    context_requested = Signal(int, QPoint)  # panel position in ``panels``, global position
    # (not in custom mode)

    def __init__(self, state: ViewState, parent=None, *, theme: Theme = DARK) -> None:
        super().__init__(parent)
        self.theme = theme
        self.setBackground(theme.background)
        self.state = state
        self.panels: list[RunPanel] = []
        self.edit_modes = False
        self._real: RealData | None = None
        self._snap: Snapshot | None = None
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=pg.colormap.get(
            theme.density_cmap), interactive=False, label="log₁₀ p(x)", width=14)
        theme_colorbar(self.colorbar, theme)
        self._build_keys()
        self._keys_room = math.inf  # pixels of height the keys column has
        self._keys_shown: list[pg.GraphicsWidget] = []
        self.message = pg.LabelItem("", justify="center", size=theme.css(theme.text.message),
                                    color=theme.foreground)
        self._message: str | None = None
        self._columns = 0
        self._side = 0.0
        self._overhead: tuple[float, float] | None = None  # plot size minus view box size
        self.ci.setSpacing(GRID_SPACING)
        self.scene().sigMouseMoved.connect(self._on_move)
        self.scene().sigMouseClicked.connect(self._on_click)
        state.subscribe(self._on_state)

    # --------------------------------------------------------------- layout
    def set_runs(self, specs: tuple[RunSpec, ...] | list[RunSpec]) -> None:
        """Create one panel per group of seeds (after a reset), each showing the seed the view
        state chose for its group (else its first)."""
        specs = tuple(specs)
        for old in self.panels:
            old.dispose()
        self.panels = [RunPanel([specs[i] for i in group], self.ci, self.theme)
                       for group in group_runs(specs)]
        for p in self.panels:
            p.apply_layers(self.state.layers)
            self._show_chosen_seed(p)
            if p.seed_box is not None:
                p.seed_box.currentIndexChanged.connect(
                    lambda pos, p=p: self._on_seed_box(p, pos))
        self._real = None
        self._message = None
        self.relayout()

    def dispose(self) -> None:
        """Let go of every panel's signals (the window is closing)."""
        for p in self.panels:
            p.dispose()

    def panel_of_run(self, run: int) -> RunPanel | None:
        """The panel of the group that run ``run`` belongs to."""
        return next((p for p in self.panels if any(s.index == run for s in p.specs)), None)

    def show_run(self, run: int) -> None:
        """Let the panel of run ``run``'s group show that run (through the view state)."""
        panel = self.panel_of_run(run)
        if panel is not None:
            spec = next(s for s in panel.specs if s.index == run)
            self.state.show_seed(panel.group, spec.seed)

    def _show_chosen_seed(self, panel: RunPanel) -> bool:
        """Point ``panel`` at the run of the seed the view state chose; True if it changed."""
        seed = self.state.panel_seeds.get(panel.group)
        spec = next((s for s in panel.specs if s.seed == seed), panel.specs[0])
        before = panel.spec
        panel.show_run(spec.index)
        return panel.spec != before

    def _on_seed_box(self, panel: RunPanel, pos: int) -> None:
        """The user chose a seed: the panel shows it, and the equation-1 curves follow when they
        showed a run of this group."""
        if not 0 <= pos < len(panel.specs):
            return
        was_selected = any(s.index == self.state.selected_run for s in panel.specs)
        spec = panel.specs[pos]
        self.state.show_seed(panel.group, spec.seed)
        if was_selected and self.state.selected_run != spec.index:
            self.state.select_run(spec.index)
            self.selected.emit(spec.index)

    def visible_panels(self) -> list[RunPanel]:
        """Panels of estimators that are not hidden, in run order."""
        return [p for p in self.panels if p.spec.estimator not in self.state.hidden_estimators]

    def set_message(self, text: str | None) -> None:
        """Show ``text`` centred in the panel area instead of the panels (None: the panels).

        For the window's states without panels to draw, e.g. "starting the training
        process…" before the first snapshot; :meth:`set_runs` clears it.
        """
        if text != self._message:
            self._message = text
            self.relayout()

    def message_text(self) -> str | None:
        """The text shown in place of the panels, if any (also when every estimator is off)."""
        if self._message is not None:
            return self._message
        if self.panels and not self.visible_panels():
            return ALL_HIDDEN_MESSAGE
        return None

    def relayout(self) -> None:
        """Place the visible panels in the grid that suits the widget's size, the keys at the
        right; or the message alone."""
        self.ci.clear()
        self._columns = 0
        self._keys_shown = []  # (clearing the grid took the keys column's items out too)
        text = self.message_text()
        shown = self.visible_panels()
        self._unfix_cells()
        if text is not None or not shown:
            self.message.setText(text or "")
            if self.message.scene() is None:
                self.scene().addItem(self.message)
            self._place_message()
            return
        if self.message.scene() is not None:
            self.message.scene().removeItem(self.message)
        cols, _ = self.choose_columns()
        rows = -(-len(shown) // cols)
        for k, p in enumerate(shown):
            self.ci.addItem(p.plot, row=k // cols, col=k % cols)
        self.ci.addItem(self.keys, row=0, col=cols, rowspan=rows)
        self.colorbar.setImageItem([p.density for p in self.panels])
        self._columns = cols
        self._update_keys()
        self.fit()

    def _place_message(self) -> None:
        """The message fills the visible area, its text centred."""
        self.message.setGeometry(self.mapToScene(self.viewport().rect()).boundingRect())

    # ------------------------------------------------------------- sizes
    def _unfix_cells(self) -> None:
        """Let go of the fixed column widths and row heights of an earlier grid."""
        layout = self.ci.layout
        for k in range(max(layout.columnCount(), MAX_COLUMNS + 1, len(self.panels) + 1)):
            layout.setColumnMinimumWidth(k, 0)
            layout.setColumnMaximumWidth(k, 1e6)
            layout.setRowMinimumHeight(k, 0)
            layout.setRowMaximumHeight(k, 1e6)

    def plot_overhead(self) -> tuple[float, float]:
        """Width and height a panel's plot adds around its view box (axes, title, margins):
        the same for every panel, measured once on a laid-out panel."""
        if self._overhead is None:
            plot = self.panels[0].plot
            plot.resize(QSizeF(400, 400))
            plot.layout.activate()
            vb = plot.getViewBox().size()
            self._overhead = (400 - vb.width(), 400 - vb.height())
        return self._overhead

    def _area(self) -> tuple[float, float]:
        """The width and height the panels may fill (the widget less the keys column)."""
        size = self.viewport().size()
        keys = self.theme.room(KEY_WIDTH) + GRID_SPACING
        return max(size.width() - keys, 1.0), max(size.height(), 1.0)

    def choose_columns(self) -> tuple[int, float]:
        """The number of columns that makes the panels largest, and that view-box side."""
        n = max(len(self.visible_panels()), 1)
        width, height = self._area()
        ow, oh = self.plot_overhead()
        best = (1, -math.inf)
        for cols in range(1, n + 1):
            rows = -(-n // cols)
            side = min((width - (cols - 1) * GRID_SPACING) / cols - ow,
                       (height - (rows - 1) * GRID_SPACING) / rows - oh)
            if side > best[1] + 0.5:  # a tie keeps fewer columns
                best = (cols, side)
        return best[0], max(math.floor(best[1]), 1)

    used_height = 0  # pixels the grid of panels takes (with the frame), after fit()

    def minimum_grid_size(self, side: float = MIN_PANEL_WIDTH) -> QSize:
        """The smallest widget size at which the shown panels are ``side`` pixels wide, in the
        squarest grid: what the window's docks should leave the panels (a hint; nothing here
        enforces it)."""
        n = len(self.visible_panels())
        if not n:
            return QSize(0, 0)
        ow, oh = self.plot_overhead()
        cols = math.ceil(math.sqrt(n))
        rows = -(-n // cols)
        frame = self.size() - self.viewport().size()
        keys = self.theme.room(KEY_WIDTH)
        return QSize(math.ceil(cols * (side + ow + GRID_SPACING) + keys) + frame.width(),
                     math.ceil(rows * (side + oh) + (rows - 1) * GRID_SPACING) + frame.height())

    def fit(self) -> None:
        """Give every shown plot the same size with a square view box, centred in the widget
        (after a resize, or when the panels change)."""
        shown = self.visible_panels()
        if not self._columns or not shown:
            return
        cols, side = self.choose_columns()
        if cols != self._columns:
            self.relayout()
            return
        ow, oh = self.plot_overhead()
        self._side = side
        w, h = side + ow, side + oh
        layout = self.ci.layout
        rows = -(-len(shown) // cols)
        for c in range(cols):
            layout.setColumnFixedWidth(c, w)
        layout.setColumnFixedWidth(cols, self.theme.room(KEY_WIDTH))
        for r in range(rows):
            layout.setRowFixedHeight(r, h)
        for p in shown:
            p.plot.setMinimumSize(w, h)
            p.plot.setMaximumSize(w, h)
        width = self.viewport().width()
        height = self.viewport().height()
        used_w = cols * w + self.theme.room(KEY_WIDTH) + cols * GRID_SPACING
        used_h = rows * h + (rows - 1) * GRID_SPACING
        self.used_height = int(used_h + self.height() - self.viewport().height())
        left = max((width - used_w) // 2, 0)
        top = max((height - used_h) // 2, 0)
        layout.setContentsMargins(left, top, max(width - used_w - left, 0),
                                  max(height - used_h - top, 0))
        self.keys.setMinimumHeight(used_h)
        self.keys.setMaximumHeight(used_h)
        self._keys_room = used_h
        self._update_keys()
        for p in shown:
            p.fit_title(w)
            p.elide_note()

    def resizeEvent(self, event) -> None:
        """Refit the grid: the number of columns and the panel size follow the widget."""
        super().resizeEvent(event)
        if not hasattr(self, "_columns") or self.closed:  # while the base class is built, or
            return  # after close() destroyed the scene's items
        if self.message.scene() is not None:
            self._place_message()
        self.fit()

    # -------------------------------------------------------------- keys
    def _build_keys(self) -> None:
        """The colour keys beside the panels: p(x) always; D(x), log10 sigma(z) and the arrow
        colours when their layers are shown."""
        self.keys = pg.GraphicsLayout()
        self.keys.setContentsMargins(0, 0, 0, 0)
        self.keys.setSpacing(4)
        look = self.theme
        self.disc_bar = pg.ColorBarItem(values=(0, 1), colorMap=pg.colormap.get(
            look.disc_cmap), interactive=False, label="D(x)", width=14)
        lo, hi = -3.0, 0.0
        self.sigma_bar = pg.ColorBarItem(values=(lo, hi), colorMap=pg.colormap.get(
            look.sigma_cmap), interactive=False, label="log₁₀ σ(z)", width=14)
        for bar in (self.disc_bar, self.sigma_bar):
            theme_colorbar(bar, look)
        self.arrow_key = pg.LabelItem("", justify="left", size=look.css(look.text.key))
        self.arrow_key.setToolTip(
            "Arrows: −∇f(x), the direction the generator's loss f pushes a fake at x; "
            "σ-smoothed: −∇ E f(x + σε), the gradient the reparameterized estimator "
            "follows on average; at fakes: −∇f at the fake samples.")

    def key_items(self) -> list[pg.GraphicsWidget]:
        """The keys shown now, top to bottom: those of the layers shown that fit in the
        column's height (a bar needs ``KEY_BAR_MIN`` pixels; in a very short grid the last
        ones give way, the density's first)."""
        room = self._keys_room
        keys = []
        for item in self._wanted_keys():
            need = KEY_BAR_MIN if item is not self.arrow_key else self._arrow_key_height()
            if need > room:
                break
            keys.append(item)
            room -= need
        return keys

    def _arrow_key_height(self) -> float:
        return self.theme.room(6 + 14 * len(self._arrow_lines()))

    def _wanted_keys(self) -> list[pg.GraphicsWidget]:
        """The keys of the layers shown, top to bottom."""
        layers = self.state.layers
        keys: list[pg.GraphicsWidget] = []
        if "density" in layers:
            keys.append(self.colorbar)
        if "disc" in layers:
            keys.append(self.disc_bar)
        if "fakes" in layers and any(p.spec.learned_sigma for p in self.visible_panels()):
            keys.append(self.sigma_bar)
        if self._arrow_lines():
            keys.append(self.arrow_key)
        return keys

    def _arrow_lines(self) -> list[str]:
        """One line of the arrow key per arrow layer shown."""
        layers = self.state.layers
        lines = []
        look = self.theme
        for name, color, text in (("field", look.field, "−∇f(x)"),
                                  ("smooth", look.smooth, "σ-smoothed"),
                                  ("fake_field", look.fake_field, "at fakes")):
            if name in layers:
                lines.append(f"<span style='color:{color}'>→</span> {text}")
        return lines

    def _update_keys(self) -> None:
        """Show the keys of the layers shown, stacked in the keys column (placed anew only
        when they change)."""
        self.arrow_key.setText("<br>".join(self._arrow_lines()), color=self.theme.foreground)
        self.arrow_key.setFixedHeight(self._arrow_key_height())
        keys = self.key_items()
        if keys == self._keys_shown:
            return
        self.keys.clear()
        self._keys_shown = keys
        for k, item in enumerate(keys):
            self.keys.addItem(item, row=k, col=0)

    # ---------------------------------------------------------------- draw
    def update_snapshot(self, snap: Snapshot) -> None:
        """Draw the newest snapshot (views may be shared with the previous one)."""
        self._snap = snap
        for p in self.panels:
            if p.run < len(snap.runs):
                run = snap.runs[p.run]
                p.set_title(run.diverged, run.active)
        if snap.real is not self._real:
            self._real = snap.real
            hi = math.log10(max(snap.real.peak_density, 1e-12))
            self.colorbar.setLevels((hi - DENSITY_DECADES, hi))
            self.sigma_bar.setLevels(sigma_color_range(snap.real))
            for p in self.panels:
                p.draw_real(snap.real)
        for p in self.panels:
            r = p.run
            if p.spec.estimator in self.state.hidden_estimators or r >= len(snap.runs):
                continue
            if snap.views is not None and p.views is not snap.views:
                p.draw(snap.views, r, snap.real, self.state.layers)
            if (snap.fakes is not None and p.fakes_drawn is not snap.fakes
                    and "fakes" in self.state.layers):
                p.draw_fakes(snap.fakes, r, snap.real)

    def redraw(self) -> None:
        """Draw the last snapshot again (after a layer was switched on)."""
        for p in self.panels:
            p.views = p.fakes_drawn = None
        if self._snap is not None:
            self.update_snapshot(self._snap)

    def _on_state(self, what: str) -> None:
        if what == "layers":
            for p in self.panels:
                p.apply_layers(self.state.layers)
            if self._columns:
                self._update_keys()
            self.redraw()
        elif what == "estimators":
            self.relayout()
            self.redraw()
        elif what == "seeds":
            changed = [p for p in self.panels if self._show_chosen_seed(p)]
            if changed and self._snap is not None:
                self.update_snapshot(self._snap)

    # --------------------------------------------------------------- mouse
    def _panel_at(self, scene_pos: QPointF) -> tuple[int, RunPanel] | None:
        """The shown run and the panel at ``scene_pos``."""
        for p in self.panels:
            if p.spec.estimator in self.state.hidden_estimators:
                continue
            if p.contains(scene_pos):
                return p.run, p
        return None

    def _on_move(self, scene_pos: QPointF) -> None:
        hit = self._panel_at(scene_pos)
        if hit is None:
            return
        r, p = hit
        self.hovered.emit(p.describe(*p.to_data(scene_pos), r))

    def _on_click(self, event) -> None:
        hit = self._panel_at(event.scenePos())
        if hit is None:
            return
        r, p = hit
        x, y = p.to_data(event.scenePos())
        if self.edit_modes and event.button() == Qt.MouseButton.LeftButton:
            self.add_mode.emit(x, y)
        elif self.edit_modes and event.button() == Qt.MouseButton.RightButton:
            self.remove_mode.emit(x, y)
        elif event.button() == Qt.MouseButton.LeftButton:
            self.state.select_run(r)
            self.selected.emit(r)
        elif event.button() == Qt.MouseButton.RightButton:
            self.context_requested.emit(self.panels.index(p), event.screenPos().toPoint())
        event.accept()
