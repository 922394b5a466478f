"""Exporting the comparison (PNG, SVG) and single plots, always written atomically.

Every writer renders into memory first and then hands the bytes to ``write_atomic`` (a
temporary file beside the target, fsync, rename), so a failure leaves no partial file and an
existing file at the target untouched. Failures raise ``ExportError`` with a one-line message
naming the path and the reason; the GUI shows it in a dialog and carries on.
"""

from __future__ import annotations

import errno
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

import pyqtgraph as pg
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QHashSeed,
    QIODevice,
    QMarginsF,
    QPoint,
    QRect,
    QRectF,
    QSize,
    QSizeF,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontInfo,
    QImage,
    QPageSize,
    QPainter,
    QPdfWriter,
)
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QApplication,
    QWidget,
)

from ganviz.core.atomic import write_atomic
from ganviz.core.errors import UserError
from ganviz.figures import pdfmeta, printable, svgdoc
from ganviz.views import theme

MAX_PIXELS = 400_000_000  # ~1.6 GB of ARGB32: beyond this QImage allocation fails or thrashes


class ExportError(UserError):
    """An export failed; the message (one line) names the path and the reason."""


class ComparisonWindow(Protocol):
    """What the comparison exports need of the main window."""

    panels: QWidget
    curves: QWidget


def application(argv: list[str]) -> QApplication:
    """The running QApplication, or a new one on ``argv`` with Qt's hash seed fixed first:
    Qt orders the fonts a PDF embeds by hash, so with a fixed seed the same figure exports
    to the same bytes in every process (``pdfmeta`` fixes the rest)."""
    app = QApplication.instance()
    if app is None:
        QHashSeed.setDeterministicGlobalSeed()
        app = QApplication(argv)
    return app


def default_export_name(kind: str, step: int, suffix: str) -> str:
    """A file name such as ``ganviz-comparison-step1200.png``."""
    suffix = suffix if suffix.startswith(".") else f".{suffix}"
    return f"ganviz-{kind}-step{int(step)}{suffix.lower()}"


# ---------------------------------------------------------------- helpers
def check_suffix(path: Path, allowed: Sequence[str]) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise ExportError(f"cannot write {path}: unsupported file type "
                          f"{suffix or '(none)'!r}; use {' or '.join(allowed)}")
    return suffix


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    return exc.strerror or str(exc) or type(exc).__name__


def _write(path: Path, data: bytes) -> Path:
    """Write ``data`` atomically; any OSError becomes an ExportError."""
    try:
        write_atomic(path, lambda fh: fh.write(data))
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {_reason(exc)}") from exc
    return path


def _png_bytes(image: QImage, path: Path) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    ok = image.save(buf, "PNG")
    buf.close()
    if not ok or data.isEmpty():
        raise ExportError(f"cannot write {path}: PNG encoding failed")
    return bytes(data.data())


def _settle() -> None:
    """Let pending layouts and repaints run, so the export shows what the window shows."""
    app = QApplication.instance()
    if app is not None:
        app.processEvents()


def _shown(widgets: Sequence[QWidget]) -> list[QWidget]:
    return [w for w in widgets if w.width() > 0 and w.height() > 0]


def _stack_size(widgets: Sequence[QWidget]) -> QSize:
    return QSize(max(w.width() for w in widgets), sum(w.height() for w in widgets))


def _render_stack(painter: QPainter, widgets: Sequence[QWidget]) -> None:
    """Render the widgets one below the other, left aligned, in logical pixels."""
    y = 0
    for w in widgets:
        # QWidget.render: QGraphicsView overrides render() with a scene-rect signature
        QWidget.render(w, painter, QPoint(0, y))
        y += w.height()


def _blank_image(path: Path, size: QSize, scale: float, fill: QColor) -> QImage:
    """A filled image of ``scale`` x ``size`` pixels with that device pixel ratio."""
    px = QSize(round(size.width() * scale), round(size.height() * scale))
    if px.width() * px.height() > MAX_PIXELS:
        raise ExportError(f"cannot write {path}: {px.width()} x {px.height()} pixels is too "
                          "large; choose a smaller resolution")
    image = QImage(px, QImage.Format.Format_ARGB32_Premultiplied)
    if image.isNull():
        raise ExportError(f"cannot write {path}: out of memory for a "
                          f"{px.width()} x {px.height()} image")
    image.setDevicePixelRatio(scale)
    image.fill(fill)
    return image


def _theme_of(widgets: Sequence[QWidget]) -> theme.Theme:
    """The figure's theme (a PanelGrid, CurvesPanel or ComparisonView knows its theme, and
    ``headless.write_widget_figure`` tells its figure), else the window's."""
    for w in widgets:
        while w is not None:
            look = getattr(w, "theme", None)
            if isinstance(look, theme.Theme):
                return look
            w = w.parentWidget()
    return theme.DARK


def _background(widgets: Sequence[QWidget]) -> str:
    """The figure's background: its theme's, else the window's."""
    return _theme_of(widgets).background


def _per_inch(look: theme.Theme) -> float:
    """Logical pixels per printed inch: the theme's for a print theme, else the screen's
    (a window's figure prints at its size on screen)."""
    return look.px_per_inch if look.for_print else _screen_dpi()


def _state_dpi(image: QImage, look: theme.Theme, scale: float) -> None:
    """A print theme's PNG says its resolution (``scale`` x ``px_per_inch`` dots per inch), so
    it opens at its print width; the window's PNGs keep Qt's default. Only once painted:
    text of a point size is drawn at the image's dpi."""
    if look.for_print:
        per_metre = round(look.px_per_inch * scale / 0.0254)
        image.setDotsPerMeterX(per_metre)
        image.setDotsPerMeterY(per_metre)


def _raster(widgets: Sequence[QWidget], path: Path, scale: float,
            background: str | None = None) -> bytes:
    widgets = _shown(widgets)
    if not widgets:
        raise ExportError(f"cannot write {path}: nothing to export (empty window)")
    if not scale > 0:
        raise ExportError(f"cannot write {path}: scale must be positive, not {scale}")
    fill = QColor(background or _background(widgets))
    image = _blank_image(path, _stack_size(widgets), scale, fill)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        scenes = printable.scenes_of(widgets)
        with printable.printable(scenes), printable.pens_scaled(scenes, scale):
            _render_stack(painter, widgets)
    finally:
        painter.end()
    _state_dpi(image, _theme_of(widgets), scale)
    return _png_bytes(image, path)


def _screen_dpi() -> int:
    """The logical dpi text was laid out for (96 on most screens, and offscreen)."""
    app = QApplication.instance()
    screen = app.primaryScreen() if app is not None else None
    return round(screen.logicalDotsPerInch()) if screen is not None else 96


def _svg_bytes(size: QSize, path: Path, title: str,
               paint: Callable[[QPainter], None], background: str = theme.BACKGROUND) -> bytes:
    """Paint into a QSvgGenerator of ``size`` (on the window background) and return the SVG."""
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    gen = QSvgGenerator(QSvgGenerator.SvgVersion.Svg11)  # 1.1: clip paths (Tiny has none)
    gen.setOutputDevice(buf)
    gen.setSize(size)
    gen.setViewBox(QRect(0, 0, size.width(), size.height()))
    gen.setTitle(title)
    gen.setResolution(_screen_dpi())  # point sizes as the window laid the text out
    painter = QPainter()
    if not painter.begin(gen):
        buf.close()
        raise ExportError(f"cannot write {path}: the SVG generator failed to start")
    try:
        painter.fillRect(QRect(0, 0, size.width(), size.height()), QColor(background))
        paint(painter)
    finally:
        painter.end()
        buf.close()
    if data.isEmpty():
        raise ExportError(f"cannot write {path}: SVG generation produced nothing")
    return bytes(data.data())


def plot_image(plot_item: pg.PlotItem, scale: float, path: Path = Path("figure")) -> QImage:
    """One plot at ``scale`` x its size, rendered with a device pixel ratio (crisp, and its
    lines as wide as in the window); ``path`` names the file in error messages.

    pyqtgraph's ImageExporter scales the painter instead, which legends ignore (they are
    ``ItemIgnoresTransformations``): they would come out small and misplaced.
    """
    if not scale > 0:
        raise ExportError(f"cannot write {path}: scale must be positive, not {scale}")
    scene = plot_item.scene()
    source = plot_item.sceneBoundingRect()
    views = scene.views()
    fill = views[0].backgroundBrush().color() if views else QColor(theme.BACKGROUND)
    image = _blank_image(path, source.size().toSize(), scale, fill)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        with printable.printable([scene]), printable.pens_scaled([scene], scale):
            scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
    finally:
        painter.end()
    _state_dpi(image, _theme_of(views), scale)
    return image


def _widget_svg(widget: QWidget, path: Path) -> bytes:
    """``widget`` drawn at the origin of its own QSvgGenerator (see :mod:`svgdoc` for why
    never at an offset)."""
    def paint(painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        QWidget.render(widget, painter, QPoint(0, 0))

    return _svg_bytes(widget.size(), path, "part", paint, _background([widget]))


def _font_families() -> dict[str, str]:
    """Qt's name of the default font (an alias such as "Sans Serif") -> the family it draws."""
    font = QFont()
    return {font.family(): QFontInfo(font).family()}


def _stacked_svg(widgets: Sequence[QWidget], path: Path, title: str,
                 crop: QRect | None = None) -> bytes:
    """The widgets one below the other as one portable SVG (:func:`svgdoc.stack`); ``crop``:
    only this rectangle of the stack."""
    size = _stack_size(widgets)
    crop = crop or QRect(QPoint(0, 0), size)
    scenes = printable.scenes_of(widgets)
    parts, y = [], 0
    with printable.as_vectors(scenes):
        for w in widgets:
            parts.append((_widget_svg(w, path), -crop.x(), y - crop.y()))
            y += w.height()
    look = _theme_of(widgets)
    try:
        return svgdoc.stack(parts, crop.width(), crop.height(), title, look.background,
                            _font_families(), look.px_per_inch if look.for_print else None)
    except ET.ParseError as exc:
        raise ExportError(f"cannot write {path}: Qt wrote unreadable SVG ({exc})") from exc


def _pdf_bytes(widgets: Sequence[QWidget], path: Path, title: str) -> bytes:
    """The widgets one below the other as a one-page vector PDF whose page is the figure's
    print size (the stack at ``_per_inch``: a paper figure's stated width, so a reader reports
    the printed point sizes); images inside stay raster. Text keeps the window's layout: the
    writer has the window's dpi and the painter is scaled to the page. Its id comes from its
    content and ``SOURCE_DATE_EPOCH`` fixes its dates (``pdfmeta``)."""
    size = _stack_size(widgets)
    dpi = _screen_dpi()
    look = _theme_of(widgets)
    per_inch = _per_inch(look)
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buf)
    writer.setTitle(title)
    writer.setCreator("ganviz")
    writer.setResolution(dpi)
    points = QSizeF(size.width() * 72 / per_inch, size.height() * 72 / per_inch)
    writer.setPageSize(QPageSize(points, QPageSize.Unit.Point, "figure"))
    writer.setPageMargins(QMarginsF(0, 0, 0, 0))
    painter = QPainter()
    if not painter.begin(writer):
        buf.close()
        raise ExportError(f"cannot write {path}: the PDF writer failed to start")
    scenes = printable.scenes_of(widgets)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(dpi / per_inch, dpi / per_inch)
        painter.fillRect(QRect(QPoint(0, 0), size), QColor(look.background))
        # cosmetic (1-pixel) pens ignore that scale: thinned by it, they are a logical pixel
        # wide on the page, as in the PNG
        with printable.as_vectors(scenes), printable.pens_scaled(scenes, dpi / per_inch):
            _render_stack(painter, widgets)
    finally:
        painter.end()
        buf.close()
    if data.isEmpty():
        raise ExportError(f"cannot write {path}: PDF generation produced nothing")
    return pdfmeta.reproducible(bytes(data.data()))


def _comparison_widgets(window: ComparisonWindow) -> list[QWidget]:
    """The panels, then the curves unless the user closed their dock."""
    widgets = [window.panels]
    dock = getattr(window, "curves_dock", None)
    if dock is None or not dock.isHidden():
        widgets.append(window.curves)
    return widgets


def comparison_pixels(window: ComparisonWindow, scale: float) -> QSize:
    """The pixel size of the comparison PNG at ``scale``: what export_comparison_png writes."""
    widgets = _shown(_comparison_widgets(window))
    if not widgets:
        return QSize(0, 0)
    size = _stack_size(widgets)
    return QSize(round(size.width() * scale), round(size.height() * scale))


# ---------------------------------------------------------------- writers
def export_widget_png(widget: QWidget, path: str | os.PathLike, scale: float = 2.0,
                      background: str | None = None) -> Path:
    """Render ``widget`` at ``scale`` x its size (crisp, not upscaled) into a PNG at ``path``
    (on ``background``, default its theme's)."""
    path = Path(path)
    check_suffix(path, (".png",))
    _settle()
    return _write(path, _raster([widget], path, scale, background))


def export_widget_vectors(widget: QWidget, path: str | os.PathLike,
                          title: str = "ganviz figure") -> Path:
    """``widget`` as an SVG or a one-page PDF at ``path``, by its suffix: text and lines
    vector, drawn as the comparison's; the PDF's page is the figure's print size."""
    path = Path(path)
    suffix = check_suffix(path, (".svg", ".pdf"))
    _settle()
    write = _stacked_svg if suffix == ".svg" else _pdf_bytes
    return _write(path, write([widget], path, title))


def export_laid_out(make: Callable[[], AbstractContextManager[QWidget]],
                    path: str | os.PathLike, scale: float, title: str) -> Path:
    """The widget ``make()`` lays out (an offscreen copy of part of the window) as a PNG at
    ``scale`` x its size, an SVG or a one-page PDF, by the suffix of ``path``. A ValueError
    (nothing to draw yet, no such part) becomes an ExportError naming the path."""
    path = Path(path)
    suffix = check_suffix(path, (".png", ".svg", ".pdf"))
    try:
        with make() as widget:
            if suffix == ".png":
                return export_widget_png(widget, path, scale)
            return export_widget_vectors(widget, path, title)
    except ValueError as exc:
        raise ExportError(f"cannot write {path}: {exc}") from exc


def export_comparison_png(window: ComparisonWindow, path: str | os.PathLike,
                          scale: float = 2.0) -> Path:
    """The panels (with colour bar) above the curves (with legends), as shown, into one PNG."""
    path = Path(path)
    check_suffix(path, (".png",))
    _settle()
    return _write(path, _raster(_comparison_widgets(window), path, scale))


def export_comparison_svg(window: ComparisonWindow, path: str | os.PathLike) -> Path:
    """The panels above the curves as one SVG (text and lines vector, images raster)."""
    path = Path(path)
    check_suffix(path, (".svg",))
    return _write(path, _stacked_svg(_comparison_shown(window, path), path,
                                     "ganviz comparison"))


def export_comparison_pdf(window: ComparisonWindow, path: str | os.PathLike) -> Path:
    """The panels above the curves as one vector PDF page (text and lines vector, images
    raster), drawn as the SVG is."""
    path = Path(path)
    check_suffix(path, (".pdf",))
    return _write(path, _pdf_bytes(_comparison_shown(window, path), path, "ganviz comparison"))


def _comparison_shown(window: ComparisonWindow, path: Path) -> list[QWidget]:
    """The comparison's widgets that have a size, after the layout has run (ExportError
    naming ``path`` when there are none)."""
    _settle()
    widgets = _shown(_comparison_widgets(window))
    if not widgets:
        raise ExportError(f"cannot write {path}: nothing to export (empty window)")
    return widgets


__all__ = [
    "ExportError",
    "comparison_pixels",
    "default_export_name",
    "export_comparison_pdf",
    "export_comparison_png",
    "export_comparison_svg",
    "export_widget_png",
]
