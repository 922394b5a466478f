"""Exports: the comparison as PNG/SVG, single plots, atomic writes and clear errors."""

from __future__ import annotations

import os
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganviz.figures import export
from ganviz.figures.curve_figure import write_curve_plot
from ganviz.figures.export import ExportError
from ganviz.figures.panel_figure import write_panel
from ganviz.views.theme import ESTIMATOR_COLORS, configure_pyqtgraph
from tests.conftest import small_config, window_on_a_thread


@pytest.fixture(scope="module")
def window(qapp):
    """One trained-for-a-step window for the whole module (startup is the slow part)."""
    configure_pyqtgraph()
    w = window_on_a_thread(small_config())
    w.resize(1600, 1000)
    w.show()
    deadline = time.monotonic() + 20
    while not (w.snapshot is not None and w.snapshot.views is not None):
        assert time.monotonic() < deadline, "no snapshot with views"
        qapp.processEvents()
        time.sleep(0.01)
    yield w
    w.close()


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.int16)


def _has_color(px: np.ndarray, hex_color: str, tol: int = 10, min_count: int = 100) -> bool:
    rgb = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    close = (np.abs(px - rgb) <= tol).all(axis=-1)
    return int(close.sum()) >= min_count


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_comparison_png_is_2x_and_looks_like_the_window(window, tmp_path):
    out = export.export_comparison_png(window, tmp_path / "cmp.png")
    assert out == tmp_path / "cmp.png"
    width = max(window.panels.width(), window.curves.width())
    height = window.panels.height() + window.curves.height()
    with Image.open(out) as im:
        assert im.format == "PNG"
        assert abs(im.width - 2 * width) <= 1 and abs(im.height - 2 * height) <= 1
    px = _pixels(out)
    assert px.std() > 20
    for estimator, color in ESTIMATOR_COLORS.items():
        assert _has_color(px, color), estimator
    assert _files(tmp_path) == {"cmp.png"}


def test_widget_png_scale(window, tmp_path):
    out = export.export_widget_png(window.curves, tmp_path / "curves.png", scale=1.5)
    with Image.open(out) as im:
        assert abs(im.width - 1.5 * window.curves.width()) <= 1
        assert abs(im.height - 1.5 * window.curves.height()) <= 1


def test_comparison_svg_has_titles(window, tmp_path):
    out = export.export_comparison_svg(window, tmp_path / "cmp.svg")
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    text = out.read_text(encoding="utf-8")
    for needle in ("plug-in", "score function", "Modes captured", "Equation 1"):
        assert needle in text, needle


def test_path_under_a_file_gives_clear_error(window, tmp_path):
    (tmp_path / "f").write_text("not a folder")
    before = _files(tmp_path)
    for write in (lambda p: export.export_comparison_png(window, p / "x.png"),
                  lambda p: export.export_comparison_svg(window, p / "x.svg"),
                  lambda p: write_panel(window, 0, p / "x.png")):
        with pytest.raises(ExportError, match=r"cannot write .*f/x") as info:
            write(tmp_path / "f")
        assert "\n" not in str(info.value)
    assert _files(tmp_path) == before
    assert window.isVisible() and window.panels.panels


def test_full_disk_leaves_target_unchanged(window, tmp_path, monkeypatch):
    target = tmp_path / "cmp.png"
    target.write_bytes(b"old contents")

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ExportError, match=r"(?i)no space left on device") as info:
        export.export_comparison_png(window, target)
    assert str(target) in str(info.value)
    with pytest.raises(ExportError, match=r"(?i)no space left"):
        write_curve_plot(window, "loss", target)
    assert target.read_bytes() == b"old contents"
    assert _files(tmp_path) == {"cmp.png"}


def test_unsupported_suffix_names_allowed(window, tmp_path):
    with pytest.raises(ExportError, match=r"\.png or \.svg or \.pdf"):
        write_panel(window, 0, tmp_path / "x.jpg")
    with pytest.raises(ExportError, match=r"\.png"):
        export.export_comparison_png(window, tmp_path / "x.svg")
    with pytest.raises(ExportError, match=r"\.svg"):
        export.export_comparison_svg(window, tmp_path / "x")
    assert not any(tmp_path.iterdir())


def test_default_export_name():
    assert export.default_export_name("comparison", 1200, "png") == \
        "ganviz-comparison-step1200.png"
    assert export.default_export_name("loss", 0, ".SVG") == "ganviz-loss-step0.svg"


@pytest.mark.parametrize("theme", ["dark", "paper"])
def test_resolution_labels_state_the_written_size(window, tmp_path, theme):
    """Each choice of the PNG dialog names the exact size the export then writes, in the
    chosen theme (the curves dock is wider than the panels, so a label from the panels'
    width was wrong; paper is laid out at its print width, not the window's size)."""
    seen = {}

    def pick(scales_for):
        seen["scales"] = scales_for(theme)
        return seen["scales"][1][1], theme

    files = window.files
    files.exports.pick_export = pick
    files.dialogs.ask = lambda *args, **kwargs: tmp_path / "c.png"
    files.exports.export_png()
    assert [s for _, s in seen["scales"]] == [1.0, 2.0, 3.0, 4.0]
    sizes = [tuple(map(int, re.search(r"\((\d+) × (\d+) px\)", label).groups()))
             for label, _ in seen["scales"]]
    with Image.open(tmp_path / "c.png") as im:
        assert im.size == sizes[1]
    if theme == "dark":
        for (w, h), (_, scale) in zip(sizes, seen["scales"], strict=True):
            size = export.comparison_pixels(window, scale)
            assert (w, h) == (size.width(), size.height())
    else:
        assert sizes[1] != (export.comparison_pixels(window, 2).width(),
                            export.comparison_pixels(window, 2).height())


@pytest.mark.parametrize("theme", ["dark", "paper"])
@pytest.mark.parametrize("what", ["panel", "plot"])
def test_exporting_one_panel_or_plot_asks_the_theme_and_states_the_size(window, tmp_path,
                                                                        theme, what):
    """A panel's or a curve plot's context menu asks for the file, then the theme and
    resolution, whose labels name the size the PNG then has; a cancelled dialog writes
    nothing."""
    seen = {}

    def pick(scales_for, title):
        seen["title"], seen["scales"] = title, scales_for(theme)
        return seen["scales"][2][1], theme

    exports = window.files.exports
    export = {"panel": lambda suffix: exports.export_panel(1, suffix),
              "plot": lambda suffix: exports.export_curve("modes", suffix)}[what]
    exports.pick_export = pick
    window.files.dialogs.ask = lambda *args, **kwargs: tmp_path / "one.png"
    export(".png")
    assert seen["title"] == f"Export {what}" and window.files.dialogs.last_error == ""
    size = tuple(map(int, re.search(r"\((\d+) × (\d+) px\)", seen["scales"][2][0]).groups()))
    with Image.open(tmp_path / "one.png") as im:
        assert im.size == size
        corner = im.convert("RGB").getpixel((0, 0))
    assert (corner == (255, 255, 255)) == (theme == "paper")
    exports.pick_export = lambda scales_for, title: None
    window.files.dialogs.ask = lambda *args, **kwargs: tmp_path / "cancelled.svg"
    export(".svg")
    assert not (tmp_path / "cancelled.svg").exists()
    if what == "plot":  # one way to export a plot: pyqtgraph's own exporter is gone
        menu = window.curves.plots()["modes"].getViewBox().getMenu(None)
        texts = [a.text() for a in menu.actions()] + \
            [a.text() for a in window.curves.view.scene().contextMenu]
        assert "Export this plot as PDF…" in texts and "Export..." not in texts


def test_window_exports_in_the_paper_theme(window, tmp_path):
    import pyqtgraph as pg

    from ganviz.views.theme import DARK, PAPER

    window.files.exports.export_figure_to(tmp_path / "p.png", scale=1.0, theme="paper")
    window.files.exports.export_figure_to(tmp_path / "p.pdf", theme="paper")
    assert window.files.dialogs.last_error == ""
    px = _pixels(tmp_path / "p.png")
    assert (px[0, 0] == 255).all() and (px >= 250).all(axis=-1).mean() > 0.6
    for estimator, color in ESTIMATOR_COLORS.items():
        assert _has_color(px, color), estimator
    assert (tmp_path / "p.pdf").read_bytes().startswith(b"%PDF")
    assert window.panels.theme is DARK and PAPER.background != DARK.background
    assert pg.getConfigOption("background") == DARK.background  # the window keeps its look


def test_window_paper_pdf_prints_seven_inches_wide_with_seven_point_text(window, tmp_path):
    """The export dialog's paper figure is laid out at its print width, not the window's."""
    from ganviz.views.theme import PRINT_WIDTH
    from tests.figures.test_print_sizes import MIN_POINTS, pdf_text_points

    window.files.exports.export_figure_to(tmp_path / "p.pdf", theme="paper")
    assert window.files.dialogs.last_error == ""
    width, chars = pdf_text_points(tmp_path / "p.pdf")
    assert width == pytest.approx(PRINT_WIDTH * 72, abs=0.5)
    assert min(size for _, size in chars) >= MIN_POINTS - 0.05
