"""The run panels side by side: one panel per group of seeds in a grid that fits the widget,
the colour keys at the right, a message in their place when there is nothing to draw, and the
mouse (hover, select, modes, context menu).

Every panel is the same square of data at the same scale: the grid chooses its number of
columns from its size so the panels are as large as they can be (wrapping into rows when
narrow). The seed a group's panel draws lives in the view state (``ViewState.panel_seeds``),
so it survives redraws and resets that keep the group. The panels are
:class:`~ganviz.views.run_panel.RunPanel`; the keys :class:`~ganviz.views.panel_keys.ColorKeys`.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QSize, Qt, Signal

from ganviz.core.contract import RealData, RunSpec, Snapshot
from ganviz.core.names import NAME_TIERS
from ganviz.views.panel_keys import KEY_WIDTH, ColorKeys
from ganviz.views.panel_layout import (
    GRID_SPACING,
    MAX_COLUMNS,
    MIN_PANEL_WIDTH,
    best_columns,
    centred_margins,
    rows_for,
    squarest_size,
    used_size,
)
from ganviz.views.run_panel import RunPanel, measure_overhead
from ganviz.views.seeds import group_runs
from ganviz.views.theme import DARK, Theme
from ganviz.views.viewstate import ViewState

ALL_HIDDEN_MESSAGE = "every estimator is off: switch one on in the toolbar"
STARTING_MESSAGE = "starting the training process…"


class PanelGrid(pg.GraphicsLayoutWidget):
    """One panel per group of seeds in a grid with the colour keys at the right.

    Every panel is the same square of data at the same scale: the grid chooses its number of
    columns from its size so the panels are as large as they can be (wrapping into rows when
    narrow), and gives every plot the same fixed size whose view box is square.
    """

    hovered = Signal(str)
    add_mode = Signal(float, float)
    remove_mode = Signal(float, float)
    selected = Signal(int)
    context_requested = Signal(int, QPoint)  # panel position in ``panels``, global position
    # (not in custom mode)

    def __init__(self, state: ViewState, parent=None, *, theme: Theme = DARK) -> None:
        super().__init__(parent)
        self.theme = theme
        self.setBackground(theme.background)
        self.state = state
        self.panels: list[RunPanel] = []
        self.edit_modes = False
        self._real: RealData | None = None
        self._snap: Snapshot | None = None
        self.keys = ColorKeys(theme)
        keys = self.keys  # its items by the names the export and the tests know
        self.colorbar, self.disc_bar, self.sigma_bar = keys.colorbar, keys.disc_bar, keys.sigma_bar
        self.arrow_key = keys.arrow_key
        self.message = pg.LabelItem("", justify="center", size=theme.css(theme.text.message),
                                    color=theme.foreground)
        self._message: str | None = None
        self._columns = 0
        self._side = 0.0
        self._overhead: tuple[float, float] | None = None  # plot size minus view box size
        self.ci.setSpacing(GRID_SPACING)
        self.scene().sigMouseMoved.connect(self._on_move)
        self.scene().sigMouseClicked.connect(self._on_click)
        state.subscribe(self._on_state)

    # --------------------------------------------------------------- layout
    def set_runs(self, specs: tuple[RunSpec, ...] | list[RunSpec]) -> None:
        """Create one panel per group of seeds (after a reset), each showing the seed the view
        state chose for its group (else its first)."""
        specs = tuple(specs)
        for old in self.panels:
            old.dispose()
        self.panels = [RunPanel([specs[i] for i in group], self.ci, self.theme)
                       for group in group_runs(specs)]
        for p in self.panels:
            p.apply_layers(self.state.layers)
            self._show_chosen_seed(p)
            if p.seed_box is not None:
                p.seed_box.currentIndexChanged.connect(
                    lambda pos, p=p: self._on_seed_box(p, pos))
        self._real = None
        self._message = None
        self.relayout()

    def dispose(self) -> None:
        """Let go of every panel's signals (the window is closing)."""
        for p in self.panels:
            p.dispose()

    def panel_of_run(self, run: int) -> RunPanel | None:
        """The panel of the group that run ``run`` belongs to."""
        return next((p for p in self.panels if any(s.index == run for s in p.specs)), None)

    def show_run(self, run: int) -> None:
        """Let the panel of run ``run``'s group show that run (through the view state)."""
        panel = self.panel_of_run(run)
        if panel is not None:
            spec = next(s for s in panel.specs if s.index == run)
            self.state.show_seed(panel.group, spec.seed)

    def _show_chosen_seed(self, panel: RunPanel) -> bool:
        """Point ``panel`` at the run of the seed the view state chose; True if it changed."""
        return panel.show_seed(self.state.panel_seeds.get(panel.group))

    def _on_seed_box(self, panel: RunPanel, pos: int) -> None:
        """The user chose a seed: the panel shows it, and the equation-1 curves follow when they
        showed a run of this group."""
        if not 0 <= pos < len(panel.specs):
            return
        was_selected = any(s.index == self.state.selected_run for s in panel.specs)
        spec = panel.specs[pos]
        self.state.show_seed(panel.group, spec.seed)
        if was_selected and self.state.selected_run != spec.index:
            self.state.select_run(spec.index)
            self.selected.emit(spec.index)

    def visible_panels(self) -> list[RunPanel]:
        """Panels of estimators that are not hidden, in run order."""
        return [p for p in self.panels if p.spec.estimator not in self.state.hidden_estimators]

    def set_message(self, text: str | None) -> None:
        """Show ``text`` centred in the panel area instead of the panels (None: the panels).

        For the window's states without panels to draw, e.g. "starting the training
        process…" before the first snapshot; :meth:`set_runs` clears it.
        """
        if text != self._message:
            self._message = text
            self.relayout()

    def message_text(self) -> str | None:
        """The text shown in place of the panels, if any (also when every estimator is off)."""
        if self._message is not None:
            return self._message
        if self.panels and not self.visible_panels():
            return ALL_HIDDEN_MESSAGE
        return None

    def relayout(self) -> None:
        """Place the visible panels in the grid that suits the widget's size, the keys at the
        right; or the message alone."""
        self.ci.clear()
        self._columns = 0
        self.keys.shown = []  # (clearing the grid took the keys column's items out too)
        text = self.message_text()
        shown = self.visible_panels()
        self._unfix_cells()
        if text is not None or not shown:
            self.message.setText(text or "")
            if self.message.scene() is None:
                self.scene().addItem(self.message)
            self._place_message()
            return
        if self.message.scene() is not None:
            self.message.scene().removeItem(self.message)
        cols, _ = self.choose_columns()
        rows = rows_for(len(shown), cols)
        for k, p in enumerate(shown):
            self.ci.addItem(p.plot, row=k // cols, col=k % cols)
        self.ci.addItem(self.keys, row=0, col=cols, rowspan=rows)
        self.colorbar.setImageItem([p.density for p in self.panels])
        self._columns = cols
        self._update_keys()
        self.fit()

    def _place_message(self) -> None:
        """The message fills the visible area, its text centred."""
        self.message.setGeometry(self.mapToScene(self.viewport().rect()).boundingRect())

    # ------------------------------------------------------------- sizes
    def _unfix_cells(self) -> None:
        """Let go of the fixed column widths and row heights of an earlier grid."""
        layout = self.ci.layout
        for k in range(max(layout.columnCount(), MAX_COLUMNS + 1, len(self.panels) + 1)):
            layout.setColumnMinimumWidth(k, 0)
            layout.setColumnMaximumWidth(k, 1e6)
            layout.setRowMinimumHeight(k, 0)
            layout.setRowMaximumHeight(k, 1e6)

    def plot_overhead(self) -> tuple[float, float]:
        """Width and height a panel's plot adds around its view box (axes, title, margins):
        the same for every panel, measured once on a laid-out panel."""
        if self._overhead is None:
            self._overhead = measure_overhead(self.panels[0].plot)
        return self._overhead

    def _area(self) -> tuple[float, float]:
        """The width and height the panels may fill (the widget less the keys column)."""
        size = self.viewport().size()
        keys = self.theme.room(KEY_WIDTH) + GRID_SPACING
        return max(size.width() - keys, 1.0), max(size.height(), 1.0)

    def choose_columns(self) -> tuple[int, float]:
        """The number of columns that makes the panels largest, and that view-box side."""
        return best_columns(max(len(self.visible_panels()), 1), *self._area(),
                            self.plot_overhead())

    used_height = 0  # pixels the grid of panels takes (with the frame), after fit()

    def minimum_grid_size(self, side: float = MIN_PANEL_WIDTH) -> QSize:
        """The smallest widget size at which the shown panels are ``side`` pixels wide, in the
        squarest grid: what the window's docks should leave the panels (a hint; nothing here
        enforces it)."""
        n = len(self.visible_panels())
        if not n:
            return QSize(0, 0)
        w, h = squarest_size(n, side, self.plot_overhead(), self.theme.room(KEY_WIDTH))
        frame = self.size() - self.viewport().size()
        return QSize(w + frame.width(), h + frame.height())

    def fit(self) -> None:
        """Give every shown plot the same size with a square view box, centred in the widget
        (after a resize, or when the panels change)."""
        shown = self.visible_panels()
        if not self._columns or not shown:
            return
        cols, side = self.choose_columns()
        if cols != self._columns:
            self.relayout()
            return
        ow, oh = self.plot_overhead()
        self._side = side
        w, h = side + ow, side + oh
        layout = self.ci.layout
        rows = rows_for(len(shown), cols)
        for c in range(cols):
            layout.setColumnFixedWidth(c, w)
        layout.setColumnFixedWidth(cols, self.theme.room(KEY_WIDTH))
        for r in range(rows):
            layout.setRowFixedHeight(r, h)
        for p in shown:
            p.plot.setMinimumSize(w, h)
            p.plot.setMaximumSize(w, h)
        used = used_size(cols, rows, (w, h), self.theme.room(KEY_WIDTH))
        used_h = used[1]
        self.used_height = int(used_h + self.height() - self.viewport().height())
        layout.setContentsMargins(*centred_margins(self.viewport().width(),
                                                   self.viewport().height(), used))
        self.keys.setMinimumHeight(used_h)
        self.keys.setMaximumHeight(used_h)
        self.keys.room = used_h
        self._update_keys()
        # one tier of names for every panel: the longest in which all of them fit
        names = next((n for n in NAME_TIERS if all(p.name_fits(n, w) for p in shown)),
                     NAME_TIERS[-1])
        for p in shown:
            p.use_names(names)
            p.elide_note()

    def resizeEvent(self, event) -> None:
        """Refit the grid: the number of columns and the panel size follow the widget."""
        super().resizeEvent(event)
        if not hasattr(self, "_columns") or self.closed:  # while the base class is built, or
            return  # after close() destroyed the scene's items
        if self.message.scene() is not None:
            self._place_message()
        self.fit()

    # -------------------------------------------------------------- keys
    def _learned_sigma_shown(self) -> bool:
        return any(p.spec.learned_sigma for p in self.visible_panels())

    def key_items(self) -> list[pg.GraphicsWidget]:
        """The keys shown now, top to bottom (:meth:`ColorKeys.fitting`)."""
        return self.keys.fitting(self.state.layers, self._learned_sigma_shown())

    def _update_keys(self) -> None:
        """Show the keys of the layers shown in the keys column."""
        self.keys.show_keys(self.state.layers, self._learned_sigma_shown())

    # ---------------------------------------------------------------- draw
    def update_snapshot(self, snap: Snapshot) -> None:
        """Draw the newest snapshot (views may be shared with the previous one)."""
        self._snap = snap
        for p in self.panels:
            if p.run < len(snap.runs):
                run = snap.runs[p.run]
                p.set_title(run.diverged, run.active)
        if snap.real is not self._real:
            self._real = snap.real
            self.keys.set_data(snap.real)
            for p in self.panels:
                p.draw_real(snap.real)
        for p in self.panels:
            r = p.run
            if p.spec.estimator in self.state.hidden_estimators or r >= len(snap.runs):
                continue
            if snap.views is not None and p.views is not snap.views:
                p.draw(snap.views, r, snap.real, self.state.layers)
            if (snap.fakes is not None and p.fakes_drawn is not snap.fakes
                    and "fakes" in self.state.layers):
                p.draw_fakes(snap.fakes, r, snap.real)

    def redraw(self) -> None:
        """Draw the last snapshot again (after a layer was switched on)."""
        for p in self.panels:
            p.views = p.fakes_drawn = None
        if self._snap is not None:
            self.update_snapshot(self._snap)

    def _on_state(self, what: str) -> None:
        if what == "layers":
            for p in self.panels:
                p.apply_layers(self.state.layers)
            if self._columns:
                self._update_keys()
            self.redraw()
        elif what == "estimators":
            self.relayout()
            self.redraw()
        elif what == "seeds":
            changed = [p for p in self.panels if self._show_chosen_seed(p)]
            if changed and self._snap is not None:
                self.update_snapshot(self._snap)

    # --------------------------------------------------------------- mouse
    def _panel_at(self, scene_pos: QPointF) -> tuple[int, RunPanel] | None:
        """The shown run and the panel at ``scene_pos``."""
        for p in self.panels:
            if p.spec.estimator in self.state.hidden_estimators:
                continue
            if p.contains(scene_pos):
                return p.run, p
        return None

    def _on_move(self, scene_pos: QPointF) -> None:
        hit = self._panel_at(scene_pos)
        if hit is None:
            return
        r, p = hit
        self.hovered.emit(p.describe(*p.to_data(scene_pos), r))

    def _on_click(self, event) -> None:
        hit = self._panel_at(event.scenePos())
        if hit is None:
            return
        r, p = hit
        x, y = p.to_data(event.scenePos())
        if self.edit_modes and event.button() == Qt.MouseButton.LeftButton:
            self.add_mode.emit(x, y)
        elif self.edit_modes and event.button() == Qt.MouseButton.RightButton:
            self.remove_mode.emit(x, y)
        elif event.button() == Qt.MouseButton.LeftButton:
            self.state.select_run(r)
            self.selected.emit(r)
        elif event.button() == Qt.MouseButton.RightButton:
            self.context_requested.emit(self.panels.index(p), event.screenPos().toPoint())
        event.accept()
