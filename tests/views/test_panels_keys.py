"""What the run panels say about their colours and numbers: a key for every colour encoding
shown (also in exports), a one-line caption with a background, smooth images."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtWidgets import QWidget

from ganviz.figures import export
from ganviz.views.geometry import upsample_cells
from ganviz.views.panels import FIELD_COLOR, SMOOTH_COLOR, PanelGrid, smooth_image
from tests.panel_fakes import SPECS, fake_snapshot, new_grid, show

FIXED_ONLY = (SPECS[0], SPECS[1], SPECS[3])


@pytest.fixture
def grid(qtbot):
    return new_grid(qtbot)




def shown_keys(grid: PanelGrid) -> set[str]:
    names = {id(grid.colorbar): "density", id(grid.disc_bar): "disc",
             id(grid.sigma_bar): "sigma", id(grid.arrow_key): "arrows"}
    keys = {names[id(k)] for k in grid.key_items()}
    for k in grid.key_items():  # shown means: in the scene, visible, with room
        assert k.scene() is grid.scene() and k.isVisible() and k.size().height() > 12
    return keys


def test_each_colour_encoding_has_a_key_while_its_layer_is_shown(grid):
    show(grid, fake_snapshot())
    assert shown_keys(grid) == {"density", "sigma", "arrows"}  # the defaults, learned run in
    grid.state.set_layer("disc", True)
    grid.state.set_layer("smooth", True)
    assert shown_keys(grid) == {"density", "disc", "sigma", "arrows"}
    text = grid.arrow_key.item.toHtml().lower()
    assert FIELD_COLOR.lower() in text and SMOOTH_COLOR.lower() in text
    assert "−∇f(x)" in grid.arrow_key.item.toPlainText()
    assert "σ-smoothed" in grid.arrow_key.item.toPlainText()
    grid.state.set_layer("fakes", False)
    grid.state.set_layer("field", False)
    grid.state.set_layer("smooth", False)
    assert shown_keys(grid) == {"density", "disc"}
    grid.state.set_layer("density", False)
    assert shown_keys(grid) == {"disc"}
    assert grid.disc_bar.levels() == (0.0, 1.0)


def test_sigma_key_only_with_a_learned_sigma_panel_and_its_levels_follow_the_data(grid):
    show(grid, fake_snapshot(specs=FIXED_ONLY))
    assert "sigma" not in shown_keys(grid)
    show(grid, fake_snapshot())
    assert "sigma" in shown_keys(grid)
    lo, hi = grid.sigma_bar.levels()
    assert (lo, hi) == pytest.approx((np.log10(0.1) - 2, np.log10(0.1) + 1))  # stds 0.1
    grid.state.set_estimator_visible("reparam_learned", False)
    assert "sigma" not in shown_keys(grid)


def test_keys_appear_in_the_svg_export(grid, tmp_path):
    grid.state.set_layer("disc", True)
    show(grid, fake_snapshot())
    hidden = QWidget()
    hidden.hide()
    window = SimpleNamespace(panels=grid, curves=QWidget(), curves_dock=hidden)
    svg = export.export_comparison_svg(window, tmp_path / "keys.svg").read_text()
    # the SVG splits text at font changes: "log₁₀ p(x)", "log₁₀ " + "σ" + "(z)"
    assert "D(x)" in svg and "log₁₀ p(x)" in svg and svg.count("log₁₀") >= 2
    assert "∇f(x)" in svg


def captions(grid: PanelGrid) -> dict[str, str]:
    return {p.spec.estimator: p.note.textItem.toPlainText() if p.note.isVisible() else ""
            for p in grid.panels}


def test_captions_are_one_short_line_that_does_not_repeat_the_title(grid):
    labels = ("KDE, h = 0.25", "mixture", "mixture, sigma floored at h = 0.25 for 46% of draws",
              "mixture")
    show(grid, fake_snapshot(labels=labels))
    text = captions(grid)
    assert text["plugin"] == "p(x): KDE, h = 0.25"  # "σ = 0" is the title's second line
    assert text["reparam_fixed"] == "" and text["score"] == ""
    assert text["reparam_learned"] == "σ(z) 0.05 [0.03, 0.08] · p(x) floored: 46%"
    learned = next(p for p in grid.panels if p.spec.learned_sigma)
    assert "46% of draws" in learned.note.toolTip()
    for p in grid.panels:
        if not p.note.isVisible():
            continue
        assert "\n" not in p.note.textItem.toPlainText()
        fill = p.note.fill.color()
        assert 100 <= fill.alpha() < 255  # semi-opaque background under the text
        inside = p.plot.getViewBox().sceneBoundingRect()
        assert inside.contains(p.note.sceneBoundingRect())


def test_captions_elide_in_narrow_panels(grid):
    labels = ("mixture",) * 2 + ("mixture, sigma floored at h = 0.25 for 46% of draws",) * 2
    grid.resize(520, 520)
    show(grid, fake_snapshot(labels=labels))
    learned = next(p for p in grid.panels if p.spec.learned_sigma)
    assert learned.note.textItem.toPlainText().endswith("…")
    assert learned.plot.getViewBox().sceneBoundingRect().contains(
        learned.note.sceneBoundingRect())


def test_upsampling_keeps_values_peaks_and_linear_ramps():
    xs = np.arange(8, dtype=np.float32)
    ramp = xs[None, :] * 2 + 3 * xs[:, None]  # a[i, j] = 2 j + 3 i
    up = upsample_cells(ramp, 4)
    assert up.shape == (32, 32) and up.dtype == np.float32
    fine = (np.arange(32) + 0.5) / 4 - 0.5  # fine centres in coarse units
    inner = slice(2, 30)  # between the outermost coarse centres: exact for a linear ramp
    expect = 2 * fine[None, inner] + 3 * fine[inner, None]
    np.testing.assert_allclose(up[inner, inner], expect, atol=1e-5)
    peak = np.zeros((9, 7), np.float32)
    peak[6, 2] = 1.0
    up = upsample_cells(peak, 3)
    assert np.unravel_index(up.argmax(), up.shape) == (6 * 3 + 1, 2 * 3 + 1)
    assert up.max() == pytest.approx(1.0)
    np.testing.assert_array_equal(upsample_cells(peak, 1), peak)


def test_panel_images_are_smooth_not_blocky():
    rng = np.random.default_rng(1)
    coarse = rng.random((24, 24)).astype(np.float32)
    img = smooth_image(coarse)
    assert img.shape[0] >= 384 and img.shape[0] % 24 == 0
    step = np.abs(np.diff(img, axis=1)).max()
    assert step <= np.abs(np.diff(coarse, axis=1)).max() / (img.shape[0] // 24) + 1e-6
