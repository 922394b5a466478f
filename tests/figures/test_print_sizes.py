"""Paper figures print at a stated width with readable text: the PDF's page is the figure's
print size (7 in wide) and every character on it is at least 7 pt; the PNG states 300 dpi and
the SVG its size in inches. The window's theme (DARK) keeps the text sizes it had."""

from __future__ import annotations

import ctypes
import io

import pytest
from PIL import Image

from ganviz.figures import export
from ganviz.figures.comparison import ComparisonView
from ganviz.views import theme
from tests.views.test_curves import make_snapshot

MIN_POINTS = 7.0  # journals' least text size


@pytest.fixture(scope="module")
def paper_exports(qapp, tmp_path_factory):
    """The paper comparison of a small snapshot as PDF, PNG (2x) and SVG."""
    folder = tmp_path_factory.mktemp("print")
    look = theme.PAPER
    with theme.using(look):
        view = ComparisonView(theme=look)
        try:
            view.show(make_snapshot(10))
            return {"pdf": export.export_comparison_pdf(view, folder / "c.pdf"),
                    "png": export.export_comparison_png(view, folder / "c.png", scale=2.0),
                    "svg": export.export_comparison_svg(view, folder / "c.svg")}
        finally:
            view.close()


def pdf_text_points(path) -> tuple[float, list[tuple[str, float]]]:
    """The page's width (pt) and every drawn character with its size on the page (pt): the
    font size times the scale of the character's matrix (text matrix and CTM)."""
    pdfium = pytest.importorskip("pypdfium2")
    raw = pdfium.raw
    pdf = pdfium.PdfDocument(str(path))
    try:
        page = pdf[0]
        width, _ = page.get_size()
        text = page.get_textpage()
        m = raw.FS_MATRIX()
        chars = []
        for i in range(text.count_chars()):
            ch = chr(raw.FPDFText_GetUnicode(text, i))
            if not ch.strip():
                continue  # the spaces and line ends pdfium makes up
            raw.FPDFText_GetMatrix(text, i, ctypes.byref(m))
            scale = abs(m.a * m.d - m.b * m.c) ** 0.5
            chars.append((ch, raw.FPDFText_GetFontSize(text, i) * scale))
        text.close()
        return width, chars
    finally:
        pdf.close()


def smallest_printed(path, print_width: float) -> float:
    """The smallest character of the PDF at ``path`` in points, printed ``print_width`` pt
    wide (its page scaled to that width)."""
    width, chars = pdf_text_points(path)
    assert len(chars) > 200  # titles, labels, ticks, legends, captions
    return min(size for _, size in chars) * print_width / width


def test_paper_pdf_page_is_seven_inches_with_text_of_seven_points(paper_exports):
    width, _ = pdf_text_points(paper_exports["pdf"])
    assert width == pytest.approx(theme.PRINT_WIDTH * 72, abs=0.5)
    assert smallest_printed(paper_exports["pdf"], width) >= MIN_POINTS - 0.05


def test_the_window_sized_figure_prints_too_small(qapp, tmp_path):
    """The check can fail: the paper colours with the window's sizes (the figure before text
    sizes were the theme's), printed 7 in wide, has text of about 4 pt."""
    import dataclasses

    old = dataclasses.replace(theme.PAPER, figure_size=(1400, 900), text=theme.DARK.text,
                              px_per_inch=theme.SCREEN_DPI, for_print=False, text_room=1.0)
    with theme.using(old):
        view = ComparisonView(theme=old)
        try:
            view.show(make_snapshot(10))
            path = export.export_comparison_pdf(view, tmp_path / "old.pdf")
        finally:
            view.close()
    width, _ = pdf_text_points(path)
    assert width == pytest.approx(1400 * 72 / 96, abs=1)  # its page: the window's pixels
    assert smallest_printed(path, theme.PRINT_WIDTH * 72) < 5


def test_paper_png_states_300_dpi_at_seven_inches(paper_exports):
    with Image.open(paper_exports["png"]) as im:
        dpi = im.info["dpi"]
        assert dpi[0] == pytest.approx(300, abs=0.5) == dpi[1]
        assert im.size[0] / dpi[0] == pytest.approx(theme.PRINT_WIDTH, abs=0.01)


def test_paper_svg_states_its_size_in_inches(paper_exports):
    import xml.etree.ElementTree as ET

    root = ET.parse(paper_exports["svg"]).getroot()
    assert root.get("width") == f"{theme.PRINT_WIDTH:g}in"
    assert root.get("height").endswith("in")
    assert root.get("viewBox").split()[2] == str(theme.PAPER.figure_size[0])


def test_dark_keeps_the_window_text_sizes():
    """The window's look: curve titles 10 pt, axis labels and legends 9 pt, ticks 8 pt, panel
    names 10 pt over 9 pt, captions and the arrow key 8 pt, messages 11 pt, at the screen's
    96 dpi (a point is a point) and the window's pixel room."""
    dark = theme.DARK
    assert dark.text == theme.TextSizes(title=10, label=9, tick=8, legend=9, note=8,
                                        panel_name=10, panel_sub=9, panel_tick=None, key=8,
                                        message=11)
    assert dark.px_per_inch == 96 and not dark.for_print and dark.text_room == 1.0
    assert dark.font_points(8) == 8 and dark.css(10) == "10pt" and dark.room(52) == 52
    assert dark.print_size((1600, 1000)) == (1600, 1000)
    assert dark.figure_size == (1600, 1000)


def test_dark_window_pdf_keeps_its_page_and_points(qapp, tmp_path):
    """A dark export is the window at screen size: page = pixels at 96 dpi, and the text as
    before (8, 9 and 10 pt, which Qt draws at whole pixels: 11, 12 and 13 px)."""
    with theme.using(theme.DARK):
        view = ComparisonView(theme=theme.DARK)
        try:
            view.show(make_snapshot(10))
            path = export.export_comparison_pdf(view, tmp_path / "dark.pdf")
            width_px = view.widget.width()
        finally:
            view.close()
    width, chars = pdf_text_points(path)
    assert width == pytest.approx(width_px * 72 / 96, abs=0.5)
    assert {round(s, 2) for _, s in chars} == {8.25, 9.0, 9.75}


def test_paper_sizes_print_at_least_seven_points():
    paper = theme.PAPER
    assert min(v for v in vars(paper.text).values() if v is not None) >= MIN_POINTS
    assert paper.print_size((1600, 1000)) == (1050, 656)
    # the layout's point sizes, printed at px_per_inch, are the theme's sizes
    assert paper.font_points(7) * theme.SCREEN_DPI / paper.px_per_inch == pytest.approx(7)


def test_png_bytes_carry_no_dpi_for_the_window(paper_exports, qapp, tmp_path):
    """The window's PNG keeps Qt's default resolution (it is a screen picture)."""
    with theme.using(theme.DARK):
        view = ComparisonView(theme=theme.DARK)
        try:
            view.show(make_snapshot(10))
            path = export.export_comparison_png(view, tmp_path / "d.png", scale=1.0)
        finally:
            view.close()
    with Image.open(io.BytesIO(path.read_bytes())) as im:
        assert round(im.info.get("dpi", (96, 96))[0]) in (72, 96)


def test_paper_panel_png_states_its_dpi_without_changing_a_pixel(qapp, monkeypatch):
    """The dpi is stated after painting: text of a point size painted into an image of 300 dpi
    would come out three times as large (the single-panel PNGs once did)."""
    import numpy as np

    def pixels(image) -> np.ndarray:
        return np.array(Image.open(io.BytesIO(export._png_bytes(image, export.Path("p.png")))))

    look = theme.PAPER
    with theme.using(look):
        view = ComparisonView(theme=look)
        try:
            view.show(make_snapshot(10))
            plot = view.panels.panels[0].plot
            stated = export.plot_image(plot, 2.0)
            monkeypatch.setattr(export, "_state_dpi", lambda *args: None)
            plain = export.plot_image(plot, 2.0)
        finally:
            view.close()
    assert round(stated.dotsPerMeterX() * 0.0254) == 300
    assert np.array_equal(pixels(stated), pixels(plain))


def test_the_equation1_figure_prints_two_panels_to_a_row_with_whole_titles(qapp):
    """Four panels in a row leave a 7 in page's panels too short for their axis labels and
    titles; in print the figure is a 2 x 2 grid, in the window's theme still one row."""
    from ganviz.core.contract import GroupCurves
    from ganviz.figures.equation1 import equation1_figure

    sig = [1e-3, 1e-2, 1e-1, 1.0]
    groups = [GroupCurves(e, s, r, sig, [1e-4] * 4, [1e-2] * 4, [1e2] * 4, [1.0] * 4)
              for e, s, r in (("plugin", "0", None), ("reparam_fixed", "0.05", 0.05),
                              ("reparam_learned", "learned", 0.21), ("score", "0.05", 0.05))]
    for look, grid in ((theme.PAPER, (2, 2)), (theme.DARK, (1, 4))):
        with theme.using(look):
            view = equation1_figure(groups, 0.05, look)
            try:
                view.show()
                qapp.processEvents()
                plots = [i for i in view.ci.items if hasattr(i, "titleLabel")]
                rows = sorted({round(p.pos().y()) for p in plots})
                cols = sorted({round(p.pos().x()) for p in plots})
                assert (len(rows), len(cols)) == grid, look.name
                if look.for_print:
                    titles = [p.titleLabel.text for p in plots]
                    assert not any("…" in t for t in titles), titles
                    assert "mean 0.21" in titles[2]
            finally:
                view.close()
