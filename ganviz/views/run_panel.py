"""One run panel: the 2-D plot of one group of seeds, drawing one of its runs, with its layer
items (densities, fields, fakes, ...), its two-line title, its caption and its seed selector.

Runs that differ only by seed share a panel (``seeds.group_runs``); the seed selector in its
title row chooses which of them it draws. The panel does no maths beyond display mapping (the
numbers come from :mod:`ganviz.views.panel_data`); :mod:`ganviz.views.panel_grid` places the
panels and tells them what to draw.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QComboBox, QGraphicsItem, QGraphicsProxyWidget

from ganviz.core.contract import FakeProbes, RealData, RunSpec, ViewProbes
from ganviz.core.help_text import panel_tip
from ganviz.core.names import FULL_NAMES
from ganviz.views import theme
from ganviz.views.geometry import arrow_segments, circles, ellipses, polylines, spread_indices
from ganviz.views.items import DotsItem, RasterImageItem
from ganviz.views.panel_data import (
    SIGMA_LEVELS,
    arrow_length,
    caption_text,
    crosses,
    density_levels,
    hover_text,
    sigma_bins,
    smooth_image,
)
from ganviz.views.panel_keys import tick_font
from ganviz.views.plotstyle import use_title_label
from ganviz.views.seeds import group_key, seed_title
from ganviz.views.slots import Connections
from ganviz.views.theme import DARK, ESTIMATOR_COLORS, Theme

FIELD_COLOR = DARK.field  # the window's colours (the Help page's chips); a panel draws with
SMOOTH_COLOR = DARK.smooth  # its theme's
FAKE_FIELD_COLOR = DARK.fake_field
REAL_COLOR = DARK.real
MANIFOLD_COLOR = DARK.manifold
PANEL_BACKGROUND = DARK.panel_background
FAKE_COLOR = DARK.fake
ELLIPSE_COLOR = DARK.ellipse
FAKE_SIZE = 3.5  # pixels
ELLIPSE_FAKES = 40  # fakes of a learned covariance drawn with their 2-std ellipse (readable)
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
TITLE_ROW = 30  # pixels of the two-line title (pyqtgraph's title row)
AXIS_WIDTH = 30  # pixels of the left axis (fixed, so every panel has the same overhead)
AXIS_HEIGHT = 22  # pixels of the bottom axis
NOTE_ALPHA = 185  # the caption's background: the panel's own colour, semi-opaque


def note_fill(look: Theme) -> QColor:
    """The caption's background: the panel's background colour, semi-opaque."""
    color = QColor(look.panel_background)
    color.setAlpha(NOTE_ALPHA)
    return color


def panel_plot(look: Theme, estimator: str) -> pg.PlotItem:
    """An empty panel plot in ``look``: no menu, mouse or buttons, axes of a fixed size (every
    panel has the same overhead), the border in the estimator's colour."""
    plot = pg.PlotItem()
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(False, False)
    plot.hideButtons()
    use_title_label(plot)
    plot.setAspectLocked(False)  # a locked aspect widens the range of a non-square box; the
    # grid keeps the box square instead (PanelGrid.fit), so the range stays exact
    plot.showGrid(x=False, y=False)
    font = tick_font(look)
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setStyle(tickLength=-4)
        if font is not None:
            axis.setStyle(tickFont=font)
        axis.setPen(look.foreground)
        axis.setTextPen(look.foreground)
    plot.getAxis("left").setWidth(look.room(AXIS_WIDTH))
    plot.getAxis("bottom").setHeight(look.room(AXIS_HEIGHT))
    vb = plot.getViewBox()
    vb.setBorder(pg.mkPen(ESTIMATOR_COLORS[estimator], width=3))
    vb.setBackgroundColor(look.panel_background)
    return plot


def measure_overhead(plot: pg.PlotItem) -> tuple[float, float]:
    """Width and height ``plot`` adds around its view box (axes, title, margins), measured
    with the plot laid out at 400 x 400 pixels (it is the same at every size)."""
    plot.resize(QSizeF(400, 400))
    plot.layout.activate()
    vb = plot.getViewBox().size()
    return 400 - vb.width(), 400 - vb.height()


class RunPanel:
    """The plot of one group of seeds, drawing one of its runs (``spec``), and its layer items
    (no maths beyond display mapping)."""

    def __init__(self, specs: RunSpec | Sequence[RunSpec], layout: pg.GraphicsLayout,
                 theme: Theme = DARK) -> None:
        self.theme = theme
        self.specs: tuple[RunSpec, ...] = (specs,) if isinstance(specs, RunSpec) else tuple(specs)
        self.spec = self.specs[0]
        self.group = group_key(self.spec)
        self.plot = panel_plot(theme, self.spec.estimator)
        vb = self.plot.getViewBox()
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

    def show_seed(self, seed: int | None) -> bool:
        """Draw the group's run of ``seed`` (its first run if it has none); True if that
        changed the run drawn."""
        spec = next((s for s in self.specs if s.seed == seed), self.specs[0])
        before = self.spec
        self.show_run(spec.index)
        return self.spec != before

    def set_title(self, diverged: bool, active: bool) -> None:
        """Two-line title: the estimator's name (from the tier :meth:`use_names` set, full by
        default); sigma, seed (or the number of seeds, beside the selector) and state when
        not training."""
        self._title_state = (diverged, active)
        names = getattr(self, "_names", FULL_NAMES)
        key = (diverged, active, id(names))
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
        name = names[spec.estimator]
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

    def name_fits(self, names: dict[str, str], width: float) -> bool:
        """Whether this panel's estimator named as in ``names`` fits in ``width`` pixels."""
        font = QFont()
        font.setPointSizeF(self.theme.font_points(self.theme.text.panel_name))
        font.setBold(True)
        return QFontMetricsF(font).horizontalAdvance(names[self.spec.estimator]) <= width - 8

    def use_names(self, names: dict[str, str]) -> None:
        """Title the panel with its estimator's name from ``names`` (a tier of
        ``core.names.NAME_TIERS``, chosen by the grid for all panels alike)."""
        if names is not getattr(self, "_names", FULL_NAMES):
            self._names = names
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
            logp = np.log10(np.maximum(views.density[r], 1e-30))
            self.density.setImage(smooth_image(logp), autoLevels=False,
                                  levels=density_levels(real))
            self.density.setRect(self._rect)  # after setImage: the rect maps image pixels
        if "disc" in layers and views.disc is not None:  # None: hidden when computed
            self.disc.setImage(smooth_image(views.disc[r]), autoLevels=False,
                               levels=(0.0, 1.0))
            self.disc.setRect(self._rect)
        arrow_len = arrow_length(views)
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
            self.fakes.set_points(pts, 1 + sigma_bins(fakes.fake_sigma[r], real))
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
        """x, p(x), D(x) and the field at the grid cell nearest to (x, y) (empty before the
        first views): :func:`~ganviz.views.panel_data.hover_text`."""
        return "" if self.views is None else hover_text(self.spec, self.views, x, y, r)
