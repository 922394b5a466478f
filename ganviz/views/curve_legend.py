"""The curves dock's legend column: one entry per setting of the runs (at the left of the
dock, and the same entries in each training plot's own legend for exporting single plots),
and below it the band note and the "Per seed" box, shown while a setting has several seeds.

The entries come from :func:`~ganviz.views.curve_data.legend_entries`; this module only turns
them into legend rows drawn with the pens of the runs' (or groups') items.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QSizeF, Qt
from PySide6.QtWidgets import QCheckBox, QGraphicsProxyWidget, QLabel, QVBoxLayout, QWidget

from ganviz.views import theme
from ganviz.views.curve_data import LegendEntry
from ganviz.views.curve_lines import CurveLines
from ganviz.views.plotstyle import LegendSample
from ganviz.views.slots import Connections
from ganviz.views.theme import DARK, Theme
from ganviz.views.viewstate import ViewState

PER_SEED_TIP = ("Draw one line per seed; off: one line per setting, the median over its seeds, "
                "in a 10–90 % band across seeds (diverged seeds left out)")
DIM_COLOR = DARK.dim
PER_SEED_TEXT = "Per seed"
BAND_NOTE = "Lines: median over seeds\nBands: 10–90 % of seeds"
PER_SEED_STYLE = (
    f"QCheckBox {{ color: {theme.FOREGROUND}; background: transparent; "
    f"font-size: {DARK.css(DARK.text.legend)}; }}"
    f"QCheckBox::indicator {{ width: 10px; height: 10px; border: 1px solid {DIM_COLOR}; "
    f"border-radius: 2px; background: {theme.BACKGROUND}; }}"
    f"QCheckBox::indicator:checked {{ background: {theme.FOREGROUND}; "
    f"image: url({(theme.ICON_DIR / 'check.svg').as_posix()}); }}")


class CurvesLegend:
    """The legend of the runs in ``grid`` (its first column) and, once
    :meth:`add_seed_controls` ran, the "Per seed" box bound to the view state below it."""

    def __init__(self, grid: pg.GraphicsLayout, look: Theme) -> None:
        self.theme = look
        self.grid = grid
        self.legend = pg.LegendItem(labelTextSize=look.css(look.text.legend),
                                    labelTextColor=look.foreground, sampleType=LegendSample,
                                    horSpacing=4, verSpacing=-2, frame=False)
        grid.addItem(self.legend, row=0, col=0, rowspan=2)
        grid.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop)
        self._entries: tuple[LegendEntry, ...] = ()
        self._dummies: list[pg.PlotDataItem] = []  # the items the legend rows sample

    def add_seed_controls(self, state: ViewState, connections: Connections) -> None:
        """The band note and the "Per seed" box (``state.per_seed``) below the legend, hidden
        until a setting has several seeds."""
        self.state = state
        self.per_seed_box = QCheckBox(PER_SEED_TEXT)
        self.per_seed_box.setToolTip(PER_SEED_TIP)
        self.per_seed_box.setChecked(state.per_seed)
        self.per_seed_box.setStyleSheet(PER_SEED_STYLE)
        self.per_seed_box.toggled.connect(state.set_per_seed)
        self.band_note = QLabel(BAND_NOTE)
        self.band_note.setStyleSheet(f"color: {self.theme.dim}; background: transparent; "
                                     f"font-size: {self.theme.css(self.theme.text.legend)};")
        self.band_note.setVisible(not state.per_seed)
        controls = QWidget()
        controls.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        controls.setStyleSheet("background: transparent;")
        box = QVBoxLayout(controls)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        box.addWidget(self.band_note)
        box.addWidget(self.per_seed_box)
        self.seed_proxy = QGraphicsProxyWidget(self.grid)
        self.seed_proxy.setWidget(controls)
        self.seed_proxy.setVisible(False)  # shown when a setting has several seeds
        connections.connect(self.grid.geometryChanged, self.place_seed_controls)
        connections.connect(self.legend.geometryChanged, self.place_seed_controls)

    def show_seed_controls(self, visible: bool) -> None:
        """Show the box (a setting has several seeds) or hide it."""
        self.seed_proxy.setVisible(visible)
        self.place_seed_controls()

    def place_seed_controls(self, *_) -> None:
        """The "Per seed" box at the bottom of the legend's column, below the legend."""
        h = self.seed_proxy.size().height()
        legend_bottom = self.legend.geometry().bottom()
        self.seed_proxy.setPos(4.0, max(legend_bottom + 4, self.grid.size().height() - h - 6))

    def follow_per_seed(self) -> None:
        """The box and the band note follow the view state's ``per_seed``."""
        if self.per_seed_box.isChecked() != self.state.per_seed:
            self.per_seed_box.blockSignals(True)
            self.per_seed_box.setChecked(self.state.per_seed)
            self.per_seed_box.blockSignals(False)
        self.band_note.setVisible(not self.state.per_seed)
        self.seed_proxy.resize(self.seed_proxy.widget().sizeHint())
        self.place_seed_controls()

    def set_entries(self, entries: tuple[LegendEntry, ...], lines: CurveLines) -> bool:
        """Show ``entries``, each sampling the loss line and band of its first run (in a
        band: of its group) in ``lines``; a hidden setting's text is dimmed. False (and
        nothing touched) when the entries did not change."""
        if entries == self._entries:
            return False
        self._entries = entries
        self.legend.clear()
        self._dummies = []
        for entry in entries:
            run = lines.runs[entry.members[0]]
            group = next((g for g in lines.groups if g.members[0] == entry.members[0]), None)
            in_band = entry.band and group is not None
            source = group.items["loss_d"] if in_band else run.items["loss_d"]
            pen = pg.mkPen(source.opts["pen"])
            pen.setStyle(Qt.PenStyle.SolidLine)
            dummy = pg.PlotDataItem(pen=pen)
            if in_band:
                dummy.opts["fillBrush"] = group.bands["loss_d"].brush()
            elif run.band is not None:
                dummy.opts["fillBrush"] = run.band.brush()
            dummy.setVisible(not entry.hidden)
            color = self.theme.dim if entry.hidden else self.theme.foreground
            self.legend.addItem(dummy, entry.text)
            self.legend.items[-1][1].setText(entry.text, color=color)
            self._dummies.append(dummy)
        self._fit()
        return True

    def set_columns(self, columns: int) -> QSizeF:
        """Lay the entries out in ``columns`` columns; the legend's new size (its geometry
        follows when the layout next runs)."""
        self.legend.setColumnCount(columns)
        return self._fit()

    def _fit(self) -> QSizeF:
        """The legend exactly as large as its entries (the grid gives the plots the rest)."""
        size = self.legend.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize)
        self.legend.setFixedWidth(max(size.width(), 1.0))
        self.legend.setFixedHeight(max(size.height(), 1.0))
        return size
