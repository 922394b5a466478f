"""The run panels on screen: equal square panels that wrap into a grid, images exactly on the
data square, the right pixel under the right point, and what the hover reports there.

Fed with numpy snapshots (tests/panel_fakes.py), no training process.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from ganviz.views.panel_grid import ALL_HIDDEN_MESSAGE, PanelGrid
from ganviz.views.panel_keys import KEY_WIDTH
from ganviz.views.panel_layout import MIN_PANEL_WIDTH
from tests.panel_fakes import centres, fake_snapshot, new_grid, settle, show

EXTENT = 3.0
GRID = 24
PEAKS = ((1.5, -0.75), (-1.8, 1.2), (0.6, 2.1), (-2.0, -1.5))  # one per run, none symmetric




@pytest.fixture
def grid(qtbot):
    return new_grid(qtbot)




def peaked_snapshot():
    """Run r's density has one narrow peak at PEAKS[r]."""
    xs = centres(EXTENT, GRID)
    yy, xx = np.meshgrid(xs, xs, indexing="ij")
    width = 2 * EXTENT / GRID
    density = np.stack([np.exp(-((xx - px) ** 2 + (yy - py) ** 2) / (2 * width ** 2))
                        for px, py in PEAKS])
    return fake_snapshot(EXTENT, GRID, density=density)


def scene_rects(grid: PanelGrid):
    return [p.plot.getViewBox().sceneBoundingRect() for p in grid.visible_panels()]


@pytest.mark.parametrize("size", [(1024, 700), (1366, 768), (1920, 1080), (1366, 380),
                                  (900, 700)])
def test_panels_are_equal_squares_at_least_the_minimum_width(grid, size):
    grid.resize(*size)
    show(grid, fake_snapshot(EXTENT, GRID))
    rects = scene_rects(grid)
    assert len(rects) == 4
    view = grid.mapToScene(grid.viewport().rect()).boundingRect()
    side = rects[0].width()
    assert side >= MIN_PANEL_WIDTH, size
    for k, r in enumerate(rects):
        assert r.width() == pytest.approx(side, abs=0.01) and r.height() == pytest.approx(
            side, abs=0.01)
        assert view.contains(r), (size, r, view)  # inside the widget, nothing cut off
        for other in rects[k + 1:]:
            assert not r.intersects(other)
    keys = grid.keys.sceneBoundingRect()
    assert keys.width() <= KEY_WIDTH + 1 and view.contains(keys.adjusted(1, 1, -1, -1))
    assert all(not keys.intersects(r) for r in rects)
    # as large as the widget allows: the grid fills the width or the height (up to rounding),
    # centred in the other
    used = keys
    for p in grid.visible_panels():
        used = used.united(p.plot.sceneBoundingRect())
    slack_w, slack_h = view.width() - used.width(), view.height() - used.height()
    assert min(slack_w, slack_h) <= 12, (size, slack_w, slack_h)
    assert abs((used.left() - view.left()) - (view.right() - used.right())) <= 2
    assert abs((used.top() - view.top()) - (view.bottom() - used.bottom())) <= 2


def test_panels_wrap_into_rows_when_narrow_and_back_when_wide(grid):
    show(grid, fake_snapshot(EXTENT, GRID))
    rects = scene_rects(grid)
    assert len({round(r.top()) for r in rects}) == 1  # 1366 x 500: one row
    grid.resize(760, 700)
    settle()
    rects = scene_rects(grid)
    assert len({round(r.top()) for r in rects}) == 2 and len({round(r.left()) for r in rects}) == 2
    assert rects[0].width() >= MIN_PANEL_WIDTH
    grid.resize(1900, 500)
    settle()
    assert len({round(r.top()) for r in scene_rects(grid)}) == 1


def test_every_panel_shows_the_same_data_square_at_the_same_scale(grid):
    grid.resize(1100, 700)
    show(grid, fake_snapshot(EXTENT, GRID))
    scales = []
    for p in grid.panels:
        vb = p.plot.getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        assert (x0, x1, y0, y1) == pytest.approx((-EXTENT, EXTENT, -EXTENT, EXTENT), abs=1e-9)
        px, py = vb.viewPixelSize()
        assert px == pytest.approx(py, rel=1e-6)  # aspect 1
        scales.append(px)
    assert max(scales) == pytest.approx(min(scales), rel=1e-6)


def test_images_fill_exactly_the_data_square(grid):
    grid.state.set_layer("disc", True)
    show(grid, fake_snapshot(EXTENT, GRID))
    for p in grid.panels:
        for image in (p.density, p.disc):
            assert image.image is not None and image.image.shape[0] > GRID  # upsampled
            rect = image.mapRectToView(image.boundingRect())
            assert (rect.left(), rect.right(), rect.top(), rect.bottom()) == pytest.approx(
                (-EXTENT, EXTENT, -EXTENT, EXTENT), abs=1e-6)
            scene = image.sceneBoundingRect()
            vb = p.plot.getViewBox()
            assert scene.width() == pytest.approx(vb.width(), abs=0.01)
            assert scene.height() == pytest.approx(vb.height(), abs=0.01)
            assert scene.topLeft() == vb.mapToScene(vb.rect().topLeft())


def test_brightest_density_pixel_sits_on_each_runs_mode(grid):
    """Rendered on screen, each panel's brightest pixel maps back to its own run's peak: a
    transposed, flipped, shifted or shrunken image, or a panel drawing another run, fails."""
    grid.state.layers = {"density"}
    grid.resize(1400, 560)
    show(grid, peaked_snapshot())
    shot = grid.grab().toImage()
    shot.setDevicePixelRatio(1.0)
    for p in grid.panels:
        vb = p.plot.getViewBox()
        rect = grid.mapFromScene(vb.sceneBoundingRect()).boundingRect().adjusted(8, 8, -8, -8)
        # (inside the border and the inward ticks)
        crop = shot.copy(rect).convertToFormat(shot.Format.Format_RGB32)
        a = np.frombuffer(crop.constBits(), np.uint8).reshape(crop.height(), -1, 4)
        a = a[:, :crop.width(), :3].astype(int).sum(-1)
        i, j = np.unravel_index(a.argmax(), a.shape)
        scene = grid.mapToScene(rect.left() + int(j), rect.top() + int(i))
        x, y = p.to_data(QPointF(scene))
        px, py = PEAKS[p.run]
        cell = 2 * EXTENT / GRID
        assert abs(x - px) < cell and abs(y - py) < cell, (p.run, (x, y), (px, py))


def test_hover_reports_the_values_of_the_cell_under_the_pointer(grid):
    """At known points, the status text names exactly the p(x) and D(x) stored for the cell
    there (asymmetric random arrays: a transposed or flipped lookup reports other values)."""
    rng = np.random.default_rng(3)
    density = rng.lognormal(size=(4, GRID, GRID)).astype(np.float32)
    disc = rng.random((4, GRID, GRID)).astype(np.float32)
    snap = fake_snapshot(EXTENT, GRID, density=density, disc=disc)
    show(grid, snap)
    xs = snap.views.xs
    cell = 2 * EXTENT / GRID
    said: list[str] = []
    grid.hovered.connect(said.append)
    for p in grid.panels:
        r = p.run
        for i, j, dx, dy in ((2, 17, 0.0, 0.0), (20, 5, 0.3, -0.3), (0, 23, -0.4, 0.4)):
            point = QPointF(xs[j] + dx * cell, xs[i] + dy * cell)
            grid._on_move(p.plot.getViewBox().mapViewToScene(point))
            text = said[-1]
            assert f"p(x) = {density[r, i, j]:.3g} " in text, (r, i, j, text)
            assert f"D(x) = {disc[r, i, j]:.3f} " in text, (r, i, j, text)
            assert f"x = ({point.x():+.2f}"[:9] in text


def test_hidden_estimators_and_start_show_a_centred_message(grid):
    assert grid.message_text() is None
    grid.set_message("starting the training process…")
    settle()
    assert grid.message.scene() is grid.scene() and grid.message.isVisible()
    assert "starting the training process" in grid.message.item.toPlainText()
    show(grid, fake_snapshot(EXTENT, GRID))  # the first snapshot clears it
    assert grid.message_text() is None and grid.message.scene() is None
    for est in ("plugin", "reparam_fixed", "reparam_learned", "score"):
        grid.state.set_estimator_visible(est, False)
    settle()
    assert grid.message_text() == ALL_HIDDEN_MESSAGE
    assert grid.message.scene() is grid.scene()
    centre = grid.message.mapRectToScene(grid.message.itemRect()).center()
    view = grid.mapToScene(grid.viewport().rect()).boundingRect().center()
    assert abs(centre.x() - view.x()) < 3 and abs(centre.y() - view.y()) < 3
    grid.state.set_estimator_visible("score", True)
    settle()
    assert grid.message_text() is None and len(scene_rects(grid)) == 1


def test_the_minimum_grid_size_gives_panels_of_the_minimum_width(grid):
    show(grid, fake_snapshot(EXTENT, GRID))
    size = grid.minimum_grid_size()
    grid.resize(size)
    settle()
    rects = scene_rects(grid)
    assert min(r.width() for r in rects) >= MIN_PANEL_WIDTH
    assert len({round(r.top()) for r in rects}) == 2  # four panels: the squarest grid, 2 x 2
    grid.resize(size.width() - 20, size.height() - 20)
    settle()
    assert min(r.width() for r in scene_rects(grid)) < MIN_PANEL_WIDTH


def test_a_very_short_grid_keeps_the_density_key_first(grid):
    grid.state.set_layer("disc", True)
    grid.resize(1366, 130)
    show(grid, fake_snapshot(EXTENT, GRID))
    keys = grid.key_items()
    assert keys and keys[0] is grid.colorbar
    assert sum(k.size().height() for k in keys) <= grid.viewport().height()
    grid.resize(1366, 700)
    settle()
    assert grid.key_items()[:3] == [grid.colorbar, grid.disc_bar, grid.sigma_bar]
