"""The colour keys beside the run panels: log10 p(x) always, D(x), log10 sigma(z) and the
arrows' colours while their layers are shown, stacked top to bottom in one column.

In a grid too short for all of them the last ones give way (a bar needs ``KEY_BAR_MIN``
pixels), so the density's key stays first.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtGui import QFont

from ganviz.core.contract import RealData
from ganviz.views.panel_data import density_levels, sigma_color_range
from ganviz.views.theme import Theme

KEY_WIDTH = 96  # pixels of the colour-key column at the right
KEY_BAR_MIN = 80  # pixels of height a colour bar needs to be read
ARROW_KEYS = (("field", "−∇f(x)"), ("smooth", "σ-smoothed"), ("fake_field", "at fakes"))
ARROW_TIP = ("Arrows: −∇f(x), the direction the generator's loss f pushes a fake at x; "
             "σ-smoothed: −∇ E f(x + σε), the gradient the reparameterized estimator "
             "follows on average; at fakes: −∇f at the fake samples.")


def tick_font(look: Theme) -> QFont | None:
    """The font of a panel's and a colour bar's ticks in ``look`` (None: Qt's default)."""
    if look.text.panel_tick is None:
        return None
    font = QFont()
    font.setPointSizeF(look.font_points(look.text.panel_tick))
    return font


def theme_colorbar(bar: pg.ColorBarItem, look: Theme) -> None:
    """A colour bar's scale and label in ``look``'s foreground and text size."""
    font = tick_font(look)
    for side in ("left", "bottom", "right", "top"):  # the scale's axis and the label's
        axis = bar.getAxis(side)
        axis.setPen(look.foreground)
        axis.setTextPen(look.foreground)
        if font is not None:
            axis.setStyle(tickFont=font)
        if axis.labelText:
            style = {} if font is None else {"font-size": look.css(look.text.label)}
            axis.setLabel(axis.labelText, color=look.foreground, **style)


class ColorKeys(pg.GraphicsLayout):
    """The keys column: ``colorbar`` (log10 p(x)), ``disc_bar``, ``sigma_bar`` and
    ``arrow_key``, of which :meth:`show_keys` stacks those of the layers shown."""

    def __init__(self, look: Theme) -> None:
        super().__init__()
        self.theme = look
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=pg.colormap.get(
            look.density_cmap), interactive=False, label="log₁₀ p(x)", width=14)
        theme_colorbar(self.colorbar, look)
        self.setContentsMargins(0, 0, 0, 0)
        self.setSpacing(4)
        self.disc_bar = pg.ColorBarItem(values=(0, 1), colorMap=pg.colormap.get(
            look.disc_cmap), interactive=False, label="D(x)", width=14)
        self.sigma_bar = pg.ColorBarItem(values=(-3.0, 0.0), colorMap=pg.colormap.get(
            look.sigma_cmap), interactive=False, label="log₁₀ σ(z)", width=14)
        for bar in (self.disc_bar, self.sigma_bar):
            theme_colorbar(bar, look)
        self.arrow_key = pg.LabelItem("", justify="left", size=look.css(look.text.key))
        self.arrow_key.setToolTip(ARROW_TIP)
        self.room = math.inf  # pixels of height the column has
        self.shown: list[pg.GraphicsWidget] = []  # the keys in the column now

    def set_data(self, real: RealData) -> None:
        """The levels of the density and sigma keys from the data (its peak and mode std)."""
        self.colorbar.setLevels(density_levels(real))
        self.sigma_bar.setLevels(sigma_color_range(real))

    def arrow_lines(self, layers: set[str]) -> list[str]:
        """One line of the arrow key per arrow layer shown."""
        colors = {"field": self.theme.field, "smooth": self.theme.smooth,
                  "fake_field": self.theme.fake_field}
        return [f"<span style='color:{colors[name]}'>→</span> {text}"
                for name, text in ARROW_KEYS if name in layers]

    def _arrow_key_height(self, layers: set[str]) -> float:
        return self.theme.room(6 + 14 * len(self.arrow_lines(layers)))

    def wanted(self, layers: set[str], learned_sigma: bool) -> list[pg.GraphicsWidget]:
        """The keys of the layers shown, top to bottom (the sigma key only when a panel
        shown has a learned sigma, ``learned_sigma``)."""
        keys: list[pg.GraphicsWidget] = []
        if "density" in layers:
            keys.append(self.colorbar)
        if "disc" in layers:
            keys.append(self.disc_bar)
        if "fakes" in layers and learned_sigma:
            keys.append(self.sigma_bar)
        if self.arrow_lines(layers):
            keys.append(self.arrow_key)
        return keys

    def fitting(self, layers: set[str], learned_sigma: bool) -> list[pg.GraphicsWidget]:
        """The keys :meth:`wanted` that fit in the column's height, top to bottom."""
        room = self.room
        keys = []
        for item in self.wanted(layers, learned_sigma):
            need = KEY_BAR_MIN if item is not self.arrow_key else self._arrow_key_height(layers)
            if need > room:
                break
            keys.append(item)
            room -= need
        return keys

    def show_keys(self, layers: set[str], learned_sigma: bool) -> None:
        """Stack the keys that fit in the column (placed anew only when they change)."""
        self.arrow_key.setText("<br>".join(self.arrow_lines(layers)),
                               color=self.theme.foreground)
        self.arrow_key.setFixedHeight(self._arrow_key_height(layers))
        keys = self.fitting(layers, learned_sigma)
        if keys == self.shown:
            return
        self.clear()
        self.shown = keys
        for k, item in enumerate(keys):
            self.addItem(item, row=k, col=0)
