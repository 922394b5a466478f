"""The run panels' grid arithmetic without a window: the columns that make the panels
largest, the smallest grid at a width, and the centring margins."""

from __future__ import annotations

from ganviz.views.panel_layout import (
    GRID_SPACING,
    best_columns,
    centred_margins,
    rows_for,
    squarest_size,
    used_size,
)


def test_the_columns_make_the_panels_largest_and_a_tie_keeps_fewer():
    assert best_columns(4, 1000, 200, (0, 0)) == (4, 200 - 0)  # wide: one row
    assert best_columns(4, 200, 1000, (0, 0)) == (1, 200)  # tall: one column
    assert best_columns(4, 500, 500, (10, 30)) == (2, 217)  # square: 2 x 2
    side = (406 - GRID_SPACING) / 2
    assert best_columns(2, 406, 406, (0, 0)) == (1, side)  # 1 x 2 and 2 x 1 tie
    assert best_columns(3, 10, 10, (40, 40))[1] == 1  # no room: one pixel, not less


def test_the_squarest_grid_and_its_size():
    assert rows_for(5, 2) == 3 and rows_for(4, 4) == 1
    # 4 panels: 2 x 2 cells of (100 + 10) x (100 + 20), keys 50 px
    assert squarest_size(4, 100, (10, 20), 50) == (2 * (110 + GRID_SPACING) + 50,
                                                   2 * 120 + GRID_SPACING)
    assert squarest_size(3, 100, (0, 0), 0) == (2 * (100 + GRID_SPACING), 2 * 100 + 6)


def test_the_grid_is_centred_in_the_widget():
    used = used_size(2, 1, (40, 30), 10)
    assert used == (2 * 40 + 10 + 2 * GRID_SPACING, 30)
    assert centred_margins(201, 100, used) == (49, 35, 50, 35)  # 102 x 30 used
    assert centred_margins(50, 20, used) == (0, 0, 0, 0)  # too small: no margins
