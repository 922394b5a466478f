"""The exported SVG and PDF, drawn by renderers that are not Qt (resvg, PDFium), look like the
PNG export, in both themes; the paper theme is white.

A figure whose curves half is clipped away, whose density maps come out as flat blocks or whose
strokes swell to filled shapes (what librsvg and Inkscape made of Qt's SVG) fails here: each
rendering is cut into a grid of regions and every region's mean colour must match the PNG's.
"""

from __future__ import annotations

import io
import itertools
import re
import zlib

import numpy as np
import pytest
from PIL import Image

from ganviz.figures import export, svgdoc
from ganviz.figures.comparison import ComparisonView
from ganviz.views import theme
from tests.views.test_curves import make_snapshot

GRID = (8, 6)  # regions across, down
MAX_REGION_DIFF = 8.0  # mean |RGB difference| of a region, 0..255 (seen: at most 2.5)
MIN_CORRELATION = 0.97  # of the per-region luminances (seen: at least 0.99)


@pytest.fixture(scope="module")
def snap():
    return make_snapshot(10)


@pytest.fixture(scope="module", params=["dark", "paper"])
def figure(request, qapp, snap, tmp_path_factory):
    """The comparison of a small snapshot in one theme, as PNG (1x), SVG and PDF."""
    look = theme.theme_named(request.param)
    folder = tmp_path_factory.mktemp(request.param)
    with theme.using(look):
        view = ComparisonView(theme=look)  # the theme's figure size
        try:
            view.show(snap)
            paths = {"png": export.export_comparison_png(view, folder / "c.png", scale=1.0),
                     "svg": export.export_comparison_svg(view, folder / "c.svg"),
                     "pdf": export.export_comparison_pdf(view, folder / "c.pdf")}
        finally:
            view.close()
    return look, paths


def _rgb(data: bytes | Image.Image, size: tuple[int, int] | None = None) -> np.ndarray:
    image = data if isinstance(data, Image.Image) else Image.open(io.BytesIO(data))
    image = image.convert("RGB")
    if size is not None and image.size != size:
        image = image.resize(size, Image.Resampling.BOX)
    return np.asarray(image, dtype=np.float64)


def _regions(px: np.ndarray) -> np.ndarray:
    """Mean colour of each region of a GRID, [down, across, 3]."""
    h, w, _ = px.shape
    nx, ny = GRID
    return np.array([[px[j * h // ny:(j + 1) * h // ny, i * w // nx:(i + 1) * w // nx]
                      .reshape(-1, 3).mean(axis=0) for i in range(nx)] for j in range(ny)])


def _assert_alike(rendered: np.ndarray, reference: np.ndarray, what: str) -> None:
    a, b = _regions(rendered), _regions(reference)
    diff = np.abs(a - b).mean(axis=-1)
    worst = np.unravel_index(int(diff.argmax()), diff.shape)
    assert diff.max() < MAX_REGION_DIFF, f"{what}: region {worst} differs by {diff.max():.1f}"
    la, lb = a.mean(axis=-1).ravel(), b.mean(axis=-1).ravel()
    assert np.corrcoef(la, lb)[0, 1] > MIN_CORRELATION, what


def _png(paths) -> np.ndarray:
    with Image.open(paths["png"]) as im:
        return _rgb(im)


def test_svg_drawn_by_resvg_matches_the_png(figure):
    resvg = pytest.importorskip("resvg_py")
    look, paths = figure
    ref = _png(paths)
    h, w, _ = ref.shape
    # dpi: resvg_py's default (0) sizes a paper figure's inches as nothing
    data = bytes(resvg.svg_to_bytes(svg_path=str(paths["svg"]), width=w, height=h, dpi=96))
    _assert_alike(_rgb(data, (w, h)), ref, f"{look.name} SVG (resvg)")


def test_svg_drawn_by_qt_matches_the_png(figure):
    from PySide6.QtCore import QByteArray
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    look, paths = figure
    ref = _png(paths)
    h, w, _ = ref.shape
    renderer = QSvgRenderer(QByteArray(paths["svg"].read_bytes()))
    assert renderer.isValid()
    image = QImage(w, h, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    px = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine() // 4, 4)
    _assert_alike(px[:, :w, 2::-1].astype(np.float64), ref, f"{look.name} SVG (Qt)")


def test_pdf_drawn_by_pdfium_matches_the_png(figure):
    pdfium = pytest.importorskip("pypdfium2")
    look, paths = figure
    ref = _png(paths)
    h, w, _ = ref.shape
    pdf = pdfium.PdfDocument(str(paths["pdf"]))
    try:
        assert len(pdf) == 1
        page = pdf[0]
        width_pt, _ = page.get_size()
        image = page.render(scale=w / width_pt).to_pil()
    finally:
        pdf.close()
    _assert_alike(_rgb(image, (w, h)), ref, f"{look.name} PDF (PDFium)")


def test_a_figure_without_its_curves_fails_the_comparison(figure):
    """The check can fail: the PNG with its lower part (the curves) painted over."""
    look, paths = figure
    ref = _png(paths)
    broken = ref.copy()
    broken[ref.shape[0] * 2 // 3:] = _rgb(Image.new("RGB", (1, 1), look.background))[0, 0]
    with pytest.raises(AssertionError):
        _assert_alike(broken, ref, "curves painted over")


def test_paper_background_is_white(figure):
    look, paths = figure
    px = _png(paths)
    white = (px >= 250).all(axis=-1)
    if look.name == "paper":
        assert (px[0, 0] == 255).all() and (px[-1, -1] == 255).all()
        assert white.mean() > 0.6
    else:
        assert white.mean() < 0.05
    pdfium = pytest.importorskip("pypdfium2")
    pdf = pdfium.PdfDocument(str(paths["pdf"]))
    try:
        page = _rgb(pdf[0].render(scale=0.5).to_pil())
    finally:
        pdf.close()
    corner = page[2, 2]
    if look.name == "paper":
        assert (corner >= 250).all() and ((page >= 250).all(axis=-1)).mean() > 0.6
    else:
        assert (corner < 60).all()


def test_svg_has_no_scaled_cosmetic_strokes(figure):
    """Renderers without vector-effect widen a 1-px stroke by the plot's scale: no stroked
    shape of a cosmetic pen may sit under a scaling transform."""
    import xml.etree.ElementTree as ET

    _, paths = figure
    root = ET.parse(paths["svg"]).getroot()
    for group in root.iter(f"{{{svgdoc.SVG}}}g"):
        m = svgdoc._matrix(group.get("transform"))
        if m is None or m[:4] == (1.0, 0.0, 0.0, 1.0) or group.get("stroke") == "none":
            continue
        for child in group:
            assert child.get("vector-effect") != "non-scaling-stroke", group.attrib


PATH_OPERATORS = {b"m", b"l", b"c", b"v", b"y", b"re"}


def _closepaths_without_a_path(pdf: bytes) -> int:
    """How often a PDF's content closes a path it never began (``h`` right after an operator
    that is not a path construction), what poppler reports as "No current point in closepath".
    """
    count = 0
    for m in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", m.end())
        try:
            content = zlib.decompress(pdf[m.end():end])
        except zlib.error:
            continue  # not deflated: an image
        if re.search(rb"[^\t\n\r\x20-\x7e]", content):
            continue  # binary: a font or an image, not a page's content
        content = re.sub(rb"<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\)", b"0", content)
        operators = re.findall(rb"(?<![/\w*])[A-Za-z*'\"]+", content)
        count += sum(1 for before, op in itertools.pairwise(operators)
                     if op == b"h" and before not in PATH_OPERATORS)
    return count


def test_a_line_of_one_point_leaves_no_empty_path_in_the_pdf(qapp, tmp_path):
    """A translucent line with one point (a learned sigma's p10 at the first evaluation, with
    its dot) draws nothing, and in the PDF it must not close a path it never began; its pens
    and visibility come back after the export."""
    import pyqtgraph as pg
    from PySide6.QtGui import QColor

    widget = pg.PlotWidget()
    colour = QColor(0, 158, 115, 90)
    lone = pg.PlotDataItem(pen=pg.mkPen(colour, width=1), connect="finite")
    lone.setSymbolBrush(colour)
    lone.setSymbolPen(None)
    lone.setData([0.0], [0.1])
    lone.setSymbol("o")
    line = pg.PlotCurveItem([0.0, 1.0, 2.0], [0.1, 0.3, 0.2], pen=pg.mkPen(colour, width=1))
    widget.addItem(lone)
    widget.addItem(line)
    widget.resize(200, 200)
    pen = lone.opts["pen"]
    try:
        path = export.export_widget_vectors(widget, tmp_path / "lone.pdf", "one point")
        assert _closepaths_without_a_path(path.read_bytes()) == 0
        assert lone.opts["pen"] is pen and lone.curve.opts["pen"] is not None
        assert lone.curve.isVisible() and line.opts["pen"] is not None
    finally:
        widget.close()


def test_a_legend_keeps_the_line_of_an_item_of_one_point(qapp):
    """The item loses its pen for the export; its legend sample draws a stand-in with it."""
    import pyqtgraph as pg

    from ganviz.figures import printable

    widget = pg.PlotWidget()
    legend = widget.addLegend()
    lone = widget.plot([0.0], [0.1], pen=pg.mkPen("r", width=1), name="one point")
    widget.resize(200, 200)
    pen = lone.opts["pen"]
    sample = next(i for i in widget.scene().items() if isinstance(i, pg.ItemSample))
    try:
        with printable.lone_points_unstroked(printable.scenes_of([widget])):
            assert lone.opts["pen"] is None and lone.curve.opts["pen"] is None
            assert sample.item.opts["pen"] is pen
        assert sample.item is lone and lone.opts["pen"] is pen
        assert legend.items[0][0] is sample
    finally:
        widget.close()


def test_the_empty_path_check_can_fail():
    stream = b"q /GState11 gs h f Q 0 0 m 1 1 l h S"
    pdf = b"1 0 obj<<>>stream\n" + zlib.compress(stream) + b"\nendstream"
    assert _closepaths_without_a_path(pdf) == 1


def test_figure_pdfs_close_only_paths_they_began(figure):
    _, paths = figure
    assert _closepaths_without_a_path(paths["pdf"].read_bytes()) == 0
