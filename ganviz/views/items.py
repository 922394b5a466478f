"""Graphics items that cost less per frame than their pyqtgraph counterparts, and look the same.

* :class:`RasterImageItem`: an ImageItem whose colour-mapped image is converted once, when the
  data change, to the raster engine's own pixel format. pyqtgraph keeps an 8-bit indexed
  image, which Qt converts again at every paint, several times the cost of drawing the
  converted image (docs/performance.md).
* :class:`DotsItem`: round dots of a fixed pixel size, one colour index per dot, drawn from a
  strip of pre-rendered dots exactly as ScatterPlotItem draws from its atlas; new positions
  cost one array copy instead of ScatterPlotItem's per-point records and styles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.ScatterPlotItem import renderSymbol
from pyqtgraph.Qt.internals import PrimitiveArray
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QImage, QPainter, QPen, QPixmap

NATIVE_FORMATS = (QImage.Format.Format_RGB32, QImage.Format.Format_ARGB32_Premultiplied)
COORD_LIMIT = 2.0 ** 30  # larger device coordinates crash Qt's raster engine (as pyqtgraph)


class RasterImageItem(pg.ImageItem):
    """ImageItem that stores its rendered image in a format Qt paints without converting."""

    def render(self) -> None:
        """Colour-map as pyqtgraph does, then convert once (lossless: same colours)."""
        super().render()
        image = self.qimage
        if image is None or image.isNull() or image.format() in NATIVE_FORMATS:
            return
        fmt = NATIVE_FORMATS[1] if image.hasAlphaChannel() else NATIVE_FORMATS[0]
        self.qimage = image.convertToFormat(fmt)


class DotsItem(pg.GraphicsObject):
    """Dots of ``size`` device-independent pixels; dot i is filled with ``brushes[color[i]]``."""

    def __init__(self, size: float, brushes: Sequence[QBrush]) -> None:
        super().__init__()
        self._size = float(size)
        self._brushes = list(brushes)
        self._atlas: QPixmap | None = None
        self._atlas_dpr = 0.0
        self._side = 0
        self._xy = np.empty((0, 2))
        self._color = np.empty(0, dtype=np.intp)
        self._data_rect = QRectF()
        self._bounds: QRectF | None = None  # padded data rect, until data or view change
        self._pad: tuple[float, float] | None = None  # half a dot in item units, per view
        self._frags = PrimitiveArray(QPainter.PixmapFragment, 10)

    # ---------------------------------------------------------------- data
    def set_points(self, xy: np.ndarray, color: np.ndarray | None = None) -> None:
        """Show the points ``xy`` [n, 2] (non-finite ones are left out), coloured by
        ``color`` [n] (indices into the brushes; default the first)."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        color = (np.zeros(len(xy), dtype=np.intp) if color is None
                 else np.clip(np.asarray(color, dtype=np.intp), 0, len(self._brushes) - 1))
        keep = np.isfinite(xy).all(axis=1)
        if not keep.all():
            xy, color = xy[keep], color[keep]
        self.prepareGeometryChange()
        self._bounds = None
        self._xy, self._color = xy, color
        if len(xy):
            lo, hi = xy.min(axis=0), xy.max(axis=0)
            self._data_rect = QRectF(QPointF(lo[0], lo[1]), QPointF(hi[0], hi[1]))
        else:
            self._data_rect = QRectF()
        self.update()

    def points(self) -> np.ndarray:
        """The points drawn, [n, 2]."""
        return self._xy

    def colors(self) -> np.ndarray:
        """The brush index of each point drawn, [n]."""
        return self._color

    # ------------------------------------------------------------ geometry
    def _padding(self) -> tuple[float, float]:
        """Half a dot plus a pixel, in item units along x and y (kept until the view changes)."""
        if self._pad is None:
            px, py = self.pixelVectors()
            half = (self._size + 1) / 2 + 1
            self._pad = (half * px.length() if px is not None else 0.0,
                         half * py.length() if py is not None else 0.0)
        return self._pad

    def boundingRect(self) -> QRectF:
        """The points' extent, widened by half a dot in pixels."""
        if self._bounds is None:
            dx, dy = self._padding()
            self._bounds = (self._data_rect.adjusted(-dx, -dy, dx, dy) if len(self._xy)
                            else QRectF())
        return self._bounds

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        """Data extent along ``ax`` (for a view box's auto-range)."""
        if not len(self._xy):
            return (None, None)
        return (float(self._xy[:, ax].min()), float(self._xy[:, ax].max()))

    def viewTransformChanged(self) -> None:
        """The pixel padding of the bounding rect depends on the view's scale."""
        self.prepareGeometryChange()
        self._bounds = self._pad = None
        super().viewTransformChanged()

    # --------------------------------------------------------------- paint
    def _atlas_for(self, dpr: float) -> QPixmap:
        """One row of pre-rendered dots, one per brush, at device pixel ratio ``dpr``."""
        if self._atlas is None or dpr != self._atlas_dpr:
            pen = QPen(Qt.PenStyle.NoPen)
            self._side = math.ceil(dpr * (self._size + max(math.ceil(pen.widthF()), 1)))
            strip = QImage(self._side * len(self._brushes), self._side,
                           QImage.Format.Format_ARGB32_Premultiplied)
            strip.fill(Qt.GlobalColor.transparent)
            painter = QPainter(strip)
            for k, brush in enumerate(self._brushes):
                dot = renderSymbol("o", self._size, pen, brush, dpr=dpr)
                dot.setDevicePixelRatio(1.0)
                painter.drawImage(k * self._side, 0, dot)
            painter.end()
            self._atlas, self._atlas_dpr = QPixmap.fromImage(strip), dpr
        return self._atlas

    def paint(self, painter: QPainter, *args) -> None:
        """Blit one dot per point, centred on it (pixel-sized, as ScatterPlotItem does)."""
        n = len(self._xy)
        if not n:
            return
        dpr = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        atlas = self._atlas_for(dpr)
        t = painter.transform()
        x, y = self._xy[:, 0], self._xy[:, 1]
        painter.resetTransform()
        self._frags.resize(n)
        frags = self._frags.ndarray()
        frags[:, 0] = t.m11() * x + t.m21() * y + t.dx()
        frags[:, 1] = t.m12() * x + t.m22() * y + t.dy()
        np.clip(frags[:, 0:2], -COORD_LIMIT, COORD_LIMIT, out=frags[:, 0:2])
        frags[:, 2] = self._color * self._side
        frags[:, 3] = 0
        frags[:, 4:6] = self._side
        frags[:, 6:10] = (1 / dpr, 1 / dpr, 0.0, 1.0)
        painter.drawPixmapFragments(*self._frags.drawargs(), atlas)
