"""The colour keys beside the run panels: a key for every colour encoding shown (also in
exports), the sigma key's levels from the data."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtWidgets import QWidget

from ganviz.figures import export
from ganviz.views.panel_grid import PanelGrid
from ganviz.views.run_panel import FIELD_COLOR, SMOOTH_COLOR
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
