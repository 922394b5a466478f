"""Making the window's scenes print well, for the length of one export.

Each context manager changes the scenes temporarily and restores them afterwards: cosmetic
pens widened at high resolution (:func:`pens_scaled`), device caches off and input controls
hidden (:func:`printable`), pixmap dots drawn as circles (:func:`vector_dots`), the
painter's clip restated after every item (:func:`clips_restated`) and lines of one point left
unstroked (:func:`lone_points_unstroked`) for vector output.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractGraphicsShapeItem,
    QComboBox,
    QGraphicsItem,
    QGraphicsProxyWidget,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from ganviz.views.items import DotsItem

INPUTS = (QComboBox, QAbstractButton)  # controls a figure leaves out
PEN_KEYS = ("pen", "shadowPen")  # the pens a pyqtgraph item keeps in its ``opts``


def _set_meanwhile(opts: dict, key: str, value: object,
                   restore: list[Callable[[], None]]) -> None:
    """``opts[key] = value``, with the old value's way back appended to ``restore``."""
    old = opts[key]
    opts[key] = value
    restore.append(lambda: opts.__setitem__(key, old))


@contextlib.contextmanager
def pens_scaled(scenes: Sequence[QGraphicsScene], factor: float) -> Iterator[None]:
    """Widen cosmetic pens (curves, arrows, borders, legend samples) by ``factor`` meanwhile.

    Cosmetic pens are drawn in device pixels, so at ``scale`` x resolution a 1-px line would
    come out ``scale`` times thinner than in the window. Every pen is restored afterwards.
    """
    restore: list[Callable[[], None]] = []

    def widen(pen: object) -> QPen | None:
        if not isinstance(pen, QPen) or not pen.isCosmetic() or pen.style() == Qt.PenStyle.NoPen:
            return None
        wide = QPen(pen)
        wide.setWidthF(max(pen.widthF(), 1.0) * factor)
        return wide

    def widen_opts(opts: object) -> None:
        if not isinstance(opts, dict):
            return
        for key in PEN_KEYS:
            wide = widen(opts.get(key))
            if wide is not None:
                _set_meanwhile(opts, key, wide, restore)

    try:
        if factor != 1.0:
            seen: set[int] = set()
            for scene in scenes:
                for item in scene.items():
                    if isinstance(item, pg.AxisItem):
                        continue  # axes and grids keep their device-pixel lines
                    if isinstance(item, QAbstractGraphicsShapeItem):
                        wide = widen(item.pen())
                        if wide is not None:
                            old = item.pen()
                            item.setPen(wide)
                            restore.append(lambda item=item, old=old: item.setPen(old))
                    targets = [getattr(item, "opts", None)]
                    if isinstance(item, pg.ItemSample):  # legend samples paint their item's pen
                        targets.append(getattr(item.item, "opts", None))
                    for opts in targets:
                        if opts is not None and id(opts) not in seen:
                            seen.add(id(opts))
                            widen_opts(opts)
        yield
    finally:
        for undo in reversed(restore):
            undo()


@contextlib.contextmanager
def uncached(scenes: Sequence[QGraphicsScene]) -> Iterator[None]:
    """Draw every item afresh meanwhile: items the window keeps as device pixmaps (see
    ``run_panel.CACHED_LAYERS``) would otherwise come out as pixmaps of the window's resolution
    and pens, and as raster images in an SVG. Cache modes are restored afterwards."""
    cached = [(item, item.cacheMode()) for scene in scenes for item in scene.items()
              if item.cacheMode() != QGraphicsItem.CacheMode.NoCache]
    for item, _ in cached:
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    try:
        yield
    finally:
        for item, mode in cached:
            item.setCacheMode(mode)


@contextlib.contextmanager
def printable(scenes: Sequence[QGraphicsScene]) -> Iterator[None]:
    """A figure, not a screen: items drawn afresh (:func:`uncached`), images interpolated,
    and the input controls that live in the plots (a panel's seed selector, the curves' Per
    seed box) hidden meanwhile; the titles name what they chose, and text beside a control
    stays."""
    hidden: list[QGraphicsProxyWidget | QWidget] = []
    for scene in scenes:
        for item in scene.items():
            if not isinstance(item, QGraphicsProxyWidget) or not item.isVisible():
                continue
            widget = item.widget()
            if isinstance(widget, INPUTS):
                hidden.append(item)
            elif widget is not None:
                hidden += [w for kind in INPUTS for w in widget.findChildren(kind)
                           if w.isVisible()]
    for thing in hidden:
        thing.setVisible(False)
    smooth = QPainter.RenderHint.SmoothPixmapTransform
    views = [v for scene in scenes for v in scene.views() if not v.renderHints() & smooth]
    for view in views:  # density maps interpolated, not cells: in the PNG, SVG and PDF alike
        view.setRenderHint(smooth, True)
    try:
        with uncached(scenes):
            yield
    finally:
        for thing in hidden:
            thing.setVisible(True)
        for view in views:
            view.setRenderHint(smooth, False)


class VectorDots(QGraphicsItem):
    """A :class:`DotsItem`'s dots as circles, for vector output: its pixmap fragments come
    out of QSvgGenerator as the whole sprite strip squeezed into each dot."""

    def __init__(self, dots: DotsItem) -> None:
        super().__init__(dots.parentItem())
        self._dots = dots
        self.setTransform(dots.transform())
        self.setPos(dots.pos())
        self.setZValue(dots.zValue())

    def boundingRect(self) -> QRectF:
        return self._dots.boundingRect()

    def paint(self, painter: QPainter, *args) -> None:
        xy, color = self._dots.points(), self._dots.colors()
        if not len(xy):
            return
        t = painter.transform()
        painter.save()
        painter.resetTransform()
        painter.setPen(Qt.PenStyle.NoPen)
        # DotsItem keeps its style private (items.py is not ours to widen); read it here only
        r = self._dots._size / 2
        for k, brush in enumerate(self._dots._brushes):
            pick = color == k
            if not pick.any():
                continue
            painter.setBrush(brush)
            for x, y in xy[pick]:
                painter.drawEllipse(t.map(QPointF(float(x), float(y))), r, r)
        painter.restore()


@contextlib.contextmanager
def vector_dots(scenes: Sequence[QGraphicsScene]) -> Iterator[None]:
    """Dots drawn as circles (:class:`VectorDots`) meanwhile; the pixmap dots come back."""
    swapped: list[tuple[DotsItem, VectorDots]] = []
    for scene in scenes:
        for item in scene.items():
            if isinstance(item, DotsItem) and item.isVisible():
                swapped.append((item, VectorDots(item)))
    for dots, _ in swapped:
        dots.setVisible(False)
    try:
        yield
    finally:
        for dots, vector in swapped:
            vector.setParentItem(None)
            if vector.scene() is not None:
                vector.scene().removeItem(vector)
            dots.setVisible(True)


class ClipRefresher(QGraphicsItem):
    """Draws nothing; states the painter's current clip afresh to the paint engine.

    QSvgGenerator keeps the last clip it was given when the painter restores an outer clip
    (for example a plot's, after a label inside it clipped its own text), so whatever is drawn
    next is cut by the label's rectangle and vanishes. One of these right after every item
    hands the generator the clip QPainter really has.
    """

    def __init__(self, after: QGraphicsItem) -> None:
        parent = after.parentItem()
        super().__init__(parent)
        self._rect = (parent.boundingRect() if parent is not None
                      else after.sceneBoundingRect())
        self.setZValue(after.zValue())

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, *args) -> None:
        if painter.hasClipping():
            painter.setClipPath(painter.clipPath())
        else:
            painter.setClipping(False)


@contextlib.contextmanager
def clips_restated(scenes: Sequence[QGraphicsScene]) -> Iterator[None]:
    """A :class:`ClipRefresher` after every visible item meanwhile (vector output only)."""
    added: list[ClipRefresher] = []
    for scene in scenes:
        items = [i for i in scene.items(Qt.SortOrder.AscendingOrder) if i.isVisible()]
        for item in items:
            siblings = (item.parentItem().childItems() if item.parentItem() is not None
                        else [i for i in items if i.parentItem() is None])
            refresher = ClipRefresher(item)
            if refresher.scene() is None:
                scene.addItem(refresher)
            later = [s for s in siblings if s is not item and s.zValue() == item.zValue()]
            order = siblings.index(item)
            for s in later:
                if siblings.index(s) > order:
                    refresher.stackBefore(s)
                    break
            added.append(refresher)
    try:
        yield
    finally:
        for refresher in added:
            scene = refresher.scene()
            if scene is not None:
                scene.removeItem(refresher)


@contextlib.contextmanager
def lone_points_unstroked(scenes: Sequence[QGraphicsScene]) -> Iterator[None]:
    """Curves with fewer than two finite points get no pen meanwhile (vector output only).

    Such a line has no length and draws nothing on screen, but Qt's PDF engine strokes a
    translucent pen as a filled outline, and the outline of one point is an empty path: the
    PDF then closes and fills a path it never began, which poppler reports as an error. A
    :class:`pg.PlotDataItem` hands its pen to its curve again when the view range settles
    during the render, so its own pen goes too; a legend sample of such an item samples a
    stand-in with the item's pens meanwhile, so it keeps its line. Pens, samples and
    visibility come back afterwards.
    """
    restore: list[Callable[[], None]] = []
    unstroked: list[pg.PlotCurveItem | pg.PlotDataItem] = []
    samples: list[pg.ItemSample] = []
    for item in (item for scene in scenes for item in scene.items()):
        if isinstance(item, pg.ItemSample):
            samples.append(item)
        if not isinstance(item, pg.PlotCurveItem) or item.xData is None:
            continue
        if int((np.isfinite(item.xData) & np.isfinite(item.yData)).sum()) >= 2:
            continue
        shown = item.isVisible()
        restore.append(lambda curve=item, shown=shown: curve.setVisible(shown))
        unstroked.append(item)
        if isinstance(item.parentItem(), pg.PlotDataItem):
            unstroked.append(item.parentItem())
    for sample in samples:
        if sample.item in unstroked:
            stand_in = pg.PlotDataItem()
            stand_in.opts = dict(sample.item.opts)
            stand_in.setVisible(sample.item.isVisible())
            restore.append(lambda sample=sample, item=sample.item: setattr(sample, "item", item))
            sample.item = stand_in
    for item in unstroked:
        for key in PEN_KEYS:
            if item.opts.get(key) is not None:
                _set_meanwhile(item.opts, key, None, restore)
    try:
        yield
    finally:
        for undo in reversed(restore):
            undo()


def scenes_of(widgets: Sequence[QWidget]) -> list[QGraphicsScene]:
    views = [w for w in widgets if isinstance(w, QGraphicsView)]
    for w in widgets:
        views.extend(w.findChildren(QGraphicsView))
    scenes: list[QGraphicsScene] = []
    for view in views:
        if view.scene() is not None and view.scene() not in scenes:
            scenes.append(view.scene())
    return scenes


@contextlib.contextmanager
def as_vectors(scenes: Sequence[QGraphicsScene]) -> Iterator[None]:
    """Everything an SVG or PDF needs meanwhile: :func:`printable`, :func:`vector_dots`,
    :func:`clips_restated` and :func:`lone_points_unstroked`."""
    with (printable(scenes), vector_dots(scenes), clips_restated(scenes),
          lone_points_unstroked(scenes)):
        yield
