"""The arithmetic of the run panels' grid: how many columns make the panels largest, the
smallest widget that holds them at a given width, and where the grid sits in the widget.

Every panel is the same square of data at the same scale, so a grid is ``cols`` x ``rows``
equal cells of a square view box of ``side`` pixels plus the plot's overhead (axes, title),
``GRID_SPACING`` apart, and the keys column at the right. Pure arithmetic (no Qt): the
:class:`~ganviz.views.panel_grid.PanelGrid` measures, this module decides.
"""

from __future__ import annotations

import math

MAX_COLUMNS = 4
MIN_PANEL_WIDTH = 160  # pixels of plot area: below this the grid wraps into more rows
GRID_SPACING = 6  # pixels between panels


def rows_for(n: int, cols: int) -> int:
    """Rows of a grid of ``n`` panels in ``cols`` columns."""
    return -(-n // cols)


def best_columns(n: int, width: float, height: float,
                 overhead: tuple[float, float]) -> tuple[int, int]:
    """The number of columns that makes ``n`` panels largest in ``width`` x ``height``
    pixels, and that view box's side (at least 1; a tie keeps fewer columns)."""
    ow, oh = overhead
    best = (1, -math.inf)
    for cols in range(1, n + 1):
        rows = rows_for(n, cols)
        side = min((width - (cols - 1) * GRID_SPACING) / cols - ow,
                   (height - (rows - 1) * GRID_SPACING) / rows - oh)
        if side > best[1] + 0.5:
            best = (cols, side)
    return best[0], max(math.floor(best[1]), 1)


def squarest_size(n: int, side: float, overhead: tuple[float, float],
                  keys: float) -> tuple[int, int]:
    """Width and height of the squarest grid of ``n`` panels whose view boxes are ``side``
    pixels, with a keys column ``keys`` pixels wide."""
    ow, oh = overhead
    cols = math.ceil(math.sqrt(n))
    rows = rows_for(n, cols)
    return (math.ceil(cols * (side + ow + GRID_SPACING) + keys),
            math.ceil(rows * (side + oh) + (rows - 1) * GRID_SPACING))


def used_size(cols: int, rows: int, cell: tuple[float, float],
              keys: float) -> tuple[float, float]:
    """Width and height that ``cols`` x ``rows`` cells of ``cell`` pixels and the keys column
    take."""
    w, h = cell
    return cols * w + keys + cols * GRID_SPACING, rows * h + (rows - 1) * GRID_SPACING


def centred_margins(width: float, height: float,
                    used: tuple[float, float]) -> tuple[float, float, float, float]:
    """Left, top, right and bottom margins that centre ``used`` pixels in the widget's
    ``width`` x ``height`` (none when it does not fit)."""
    used_w, used_h = used
    left = max((width - used_w) // 2, 0)
    top = max((height - used_h) // 2, 0)
    return left, top, max(width - used_w - left, 0), max(height - used_h - top, 0)
