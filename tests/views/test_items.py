"""The cheaper graphics items draw what pyqtgraph's items drew, and export stays vector."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication, QGraphicsItem

from ganviz.figures import export
from ganviz.views import panel_grid, run_panel
from ganviz.views.items import DotsItem, RasterImageItem
from ganviz.views.theme import configure_pyqtgraph

SIZE = 120  # pixels of the test images


@pytest.fixture(autouse=True)
def _pyqtgraph(qapp):
    configure_pyqtgraph()


def _render(item: QGraphicsItem, dpr: float = 1.0) -> np.ndarray:
    """``item`` alone in a view box showing [-1, 1]^2 on SIZE x SIZE logical pixels, as RGBA
    (rendered through the scene, as the exports do)."""
    view = pg.GraphicsView(background="k")
    box = pg.ViewBox(enableMouse=False)
    view.setCentralItem(box)
    view.resize(SIZE, SIZE)
    view.show()
    box.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
    box.addItem(item)
    QApplication.processEvents()
    image = QImage(round(SIZE * dpr), round(SIZE * dpr), QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(dpr)
    image.fill(QColor(0, 0, 0))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.scene().render(painter, QRectF(0, 0, SIZE, SIZE), box.sceneBoundingRect())
    painter.end()
    box.removeItem(item)
    view.close()
    ptr = image.constBits()
    return np.frombuffer(ptr, np.uint8).reshape(image.height(), image.width(), 4).copy()


def test_raster_image_is_converted_once_to_the_same_colours():
    data = np.random.default_rng(0).random((48, 64))
    plain = pg.ImageItem(colorMap=pg.colormap.get("inferno"))
    fast = RasterImageItem(colorMap=pg.colormap.get("inferno"))
    for item in (plain, fast):
        item.setImage(data, autoLevels=False, levels=(0.2, 0.9))
        item.render()
    assert plain.qimage.format() == QImage.Format.Format_Indexed8  # what Qt converts per paint
    assert fast.qimage.format() == QImage.Format.Format_RGB32
    same = plain.qimage.convertToFormat(QImage.Format.Format_RGB32)
    assert same == fast.qimage


def test_raster_image_keeps_alpha_of_a_translucent_colour_map():
    cmap = pg.ColorMap([0.0, 1.0], [(255, 0, 0, 0), (0, 0, 255, 255)])
    item = RasterImageItem(colorMap=cmap)
    item.setImage(np.linspace(0, 1, 64).reshape(8, 8), autoLevels=False, levels=(0, 1))
    item.render()
    assert item.qimage.format() == QImage.Format.Format_ARGB32_Premultiplied
    assert item.qimage.pixelColor(0, 0).alpha() == 0
    assert item.qimage.pixelColor(7, 7).alpha() == 255


@pytest.mark.parametrize("colored", [False, True])
def test_dots_look_like_the_scatter_plot_they_replace(colored):
    rng = np.random.default_rng(1)
    pts = rng.uniform(-0.9, 0.9, (200, 2))
    brushes = [pg.mkBrush(255, 255, 255, 170), pg.mkBrush("#ff8000"), pg.mkBrush("#00c0ff")]
    index = rng.integers(0, 3, 200) if colored else np.zeros(200, dtype=int)
    scatter = pg.ScatterPlotItem(size=3.5, pen=None)
    scatter.setData(x=pts[:, 0], y=pts[:, 1], brush=[brushes[k] for k in index])
    dots = DotsItem(3.5, brushes)
    dots.set_points(pts, index)
    want, got = _render(scatter), _render(dots)
    assert want.any(axis=-1).sum() > 0
    assert np.abs(want.astype(int) - got.astype(int)).max() <= 2


def test_dots_leave_out_non_finite_points_and_clip_colour_indices():
    dots = DotsItem(3.5, [pg.mkBrush("w"), pg.mkBrush("r")])
    dots.set_points(np.array([[0.0, 0.0], [np.nan, 1.0], [0.5, np.inf], [0.2, -0.3]]),
                    np.array([0, 1, 1, 7]))
    assert dots.points().tolist() == [[0.0, 0.0], [0.2, -0.3]]
    assert dots.colors().tolist() == [0, 1]
    rect = dots.boundingRect()
    assert rect.contains(0.0, 0.0) and rect.contains(0.2, -0.3)


def test_dots_without_points_draw_nothing():
    dots = DotsItem(3.5, [pg.mkBrush("w")])
    dots.set_points(np.empty((0, 2)))
    assert dots.boundingRect().isEmpty()
    assert not _render(dots)[..., :3].any()


def test_dots_are_rendered_at_the_device_pixel_ratio():
    """At 2x (exports) a dot is drawn from a 2x atlas: about 4x the pixels, no upscaling."""
    dots = DotsItem(3.5, [pg.mkBrush("w")])
    dots.set_points(np.array([[0.0, 0.0]]))
    lit1 = int((_render(dots, 1.0)[..., 0] > 128).sum())
    lit2 = int((_render(dots, 2.0)[..., 0] > 128).sum())
    assert lit1 > 0 and 3 * lit1 <= lit2 <= 5 * lit1


def test_panel_caches_its_line_layers_and_export_draws_them_as_vectors(qtbot, tmp_path):
    """The arrows are kept as device pixmaps in the window; an SVG export still strokes them
    (their colour appears as a vector stroke) and the caches come back afterwards."""
    from ganviz.core.contract import RunSpec
    from ganviz.views.viewstate import ViewState

    spec = RunSpec(index=0, estimator="plugin", sigma=0.0, seed=0, learned_sigma=False)
    grid = panel_grid.PanelGrid(ViewState.default())
    qtbot.addWidget(grid)
    grid.resize(400, 400)
    grid.show()
    grid.set_runs([spec])
    panel = grid.panels[0]
    panel.set_extent(1.0)
    panel.field.setData([-0.5, 0.5, 0.0, 0.0], [0.0, 0.0, -0.5, 0.5])
    qtbot.wait(20)
    cached = QGraphicsItem.CacheMode.DeviceCoordinateCache
    assert panel.field.cacheMode() == cached
    assert panel.real.curve.cacheMode() == cached
    out = export.export_widget_vectors(grid, tmp_path / "panel.svg", "panel")
    svg = out.read_text()
    assert run_panel.FIELD_COLOR in svg.lower()
    assert panel.field.cacheMode() == cached


def test_ellipses_follow_the_axes_and_subsample_evenly():
    from ganviz.views.geometry import ellipses, spread_indices

    centres = np.array([[1.0, -1.0]])
    axes = np.array([[[0.3, -0.08], [0.4, 0.06]]])  # columns: major (0.5 long), minor (0.1)
    x, y = ellipses(centres, 2 * axes, n=64)
    pts = np.stack([x, y], 1)[:-1] - centres  # the NaN break last
    major = axes[0, :, 0] / np.linalg.norm(axes[0, :, 0])
    along = pts @ major
    across = pts @ np.array([-major[1], major[0]])
    assert np.abs(along).max() == pytest.approx(1.0, rel=1e-3)  # 2 stds of 0.5
    assert np.abs(across).max() == pytest.approx(0.2, rel=1e-2)
    np.testing.assert_allclose((along / 1.0) ** 2 + (across / 0.2) ** 2, 1.0, rtol=1e-9)
    assert spread_indices(5, 40).tolist() == [0, 1, 2, 3, 4]
    picked = spread_indices(256, 40)
    assert len(picked) == 40 and picked[0] == 0 and picked[-1] == 255
    assert len(set(picked.tolist())) == 40
