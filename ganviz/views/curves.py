"""The curves dock: training curves per run and the equation-1 sigma curves of one run.

Eight small plots over training steps (loss, modes, high quality, reverse KL, JS
divergence, energy distance, gradient relative variance, sigma) in two rows of four (three or
two to a row when the dock is narrow and tall enough: ``plots_per_row``), the
equation-1 plot (log-log, its legend below it) beside them over all rows, and one shared
legend of the runs at the left (a legend inside every small plot would cover its data).
A panel made with ``only=name`` shows that one plot, the legend above it: the figure an
export of one plot draws (``figures.curve_figure``). Titles too long for their plot are cut
with an ellipsis.

The y axes follow the data: modes 0..n_modes and reverse KL 0..log(1 / min weight) of the
current mixture, the other plots fitted to their lines; a reset or a new run set fits them
afresh.

Runs that differ only by seed form a group (``seeds.group_runs``). A group of two or more
seeds is drawn as one line, the median over its seeds at each evaluation, in a 10-90 % band
across seeds (diverged seeds left out); the "Per seed" box (``ViewState.per_seed``) draws
one line per run instead.

Items are created once per run set and then only fed with ``setData``; nothing is recomputed
unless the history length, the history buffer, the sigma-curves step, the selection or the run
set changed.

This module is the dock's layout and wiring. The arrays, limits and texts it shows come from
``curve_data`` (no Qt); the lines per run and group live in ``curve_lines`` (their items in
``curve_items``), the legend column in ``curve_legend``, the plots' places in ``curve_layout``
and the equation-1 plot in ``eq1plot``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ganviz.core.config import Config
from ganviz.core.contract import RealData, RunSpec, SigmaCurves, Snapshot
from ganviz.core.help_text import curve_tip
from ganviz.views import curve_data, curve_layout
from ganviz.views.curve_data import FIXED_Y, MODE_PLOTS, TIME_PLOTS
from ganviz.views.curve_items import run_color
from ganviz.views.curve_layout import EQ1, PER_ROW
from ganviz.views.curve_legend import CurvesLegend
from ganviz.views.curve_lines import CurveLines
from ganviz.views.eq1plot import Equation1Plot
from ganviz.views.plotstyle import plot_item, set_title, style_plot
from ganviz.views.slots import Connections
from ganviz.views.theme import DARK, Theme
from ganviz.views.viewstate import ViewState

PLOT_NAMES = (*TIME_PLOTS, EQ1)


def time_plot(name: str, look: Theme) -> pg.PlotItem:
    """Training plot ``name`` of ``TIME_PLOTS`` in ``look``: its title, axes and log mode, drawn
    cheaply (clipped to the view, peak-downsampled)."""
    title, ylabel, log = TIME_PLOTS[name]
    plot = plot_item(look)
    style_plot(plot, title, ylabel, "step", look)
    plot.setLogMode(x=False, y=log)
    plot.setClipToView(True)
    plot.setDownsampling(auto=True, mode="peak")
    return plot


class CurvesPanel(QWidget):
    """Training curves for every run (or group of seeds) and the equation-1 sigma curves of
    the selected run.

    ``state`` is the window's view state (its ``per_seed`` switch); without one the panel
    keeps its own. ``only``: a name of ``PLOT_NAMES``, the one plot shown (a figure of it).
    """

    def __init__(self, parent: QWidget | None = None, *, state: ViewState | None = None,
                 theme: Theme = DARK, only: str | None = None) -> None:
        super().__init__(parent)
        if only is not None and only not in PLOT_NAMES:
            raise ValueError(f"no curve plot {only!r}; choose from {', '.join(PLOT_NAMES)}")
        self.theme = theme
        self.only = only
        self.state = state if state is not None else ViewState.default()
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(theme.background)
        self.view.setMinimumHeight(200)
        # no pyqtgraph "Export...": its SVG fails on Qt 6.11 and it cuts the plot out of the
        # dock; each plot's "Export this plot" (gui.exports) draws it as a figure instead
        self.view.scene().contextMenu = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        grid = self.view.ci
        grid.setContentsMargins(4, 2, 4, 2)
        grid.layout.setHorizontalSpacing(6)
        grid.layout.setVerticalSpacing(2)

        self.legend_column = CurvesLegend(grid, theme)
        self.legend = self.legend_column.legend
        self._plots: dict[str, pg.PlotItem] = {}
        for i, name in enumerate(TIME_PLOTS):
            self._plots[name] = plot = time_plot(name, theme)
            grid.addItem(plot, row=i // PER_ROW, col=1 + i % PER_ROW)
        self._plots["hq_fraction"].setYRange(0, 1, padding=0.04)
        self._plots["hq_fraction"].enableAutoRange(y=False)

        self._connections = Connections()
        self.eq1 = Equation1Plot(self._connections, theme)
        grid.addItem(self.eq1.plot, row=0, col=1 + PER_ROW, rowspan=2)
        self._plots[EQ1] = self.eq1.plot
        for plot in self._plots.values():
            self._connections.connect(plot.vb.sigResized, self._fit_axis_labels)

        # a print figure, or one plot: the legend one row above
        self.legend_above = theme.for_print or only is not None
        if self.legend_above:
            self.legend_column.set_columns(PER_ROW)
        self.per_row = PER_ROW
        self._arrange(PER_ROW)

        self.lines = CurveLines(self._plots)
        self._hidden: set[int] = set()
        self._diverged: tuple[bool, ...] = ()
        self._selected = 0
        self._history_key: tuple = ()
        self._history_ref: np.ndarray | None = None
        self._history_rows = 0
        self._range_key: tuple = ()
        self._eq1_key: tuple = ()
        self._snap: Snapshot | None = None

        self.legend_column.add_seed_controls(self.state, self._connections)
        self.per_seed_box = self.legend_column.per_seed_box
        self.band_note = self.legend_column.band_note
        self.state.subscribe(self._on_state)
        for name, plot in self._plots.items():  # the Help page's text (core.help_text)
            plot.setToolTip(curve_tip(name))

    # --------------------------------------------------------------- layout
    def plots_per_row(self, width: float, height: float) -> int:
        """How many training plots to put in a row of a ``width`` x ``height`` px dock
        (:func:`~ganviz.views.curve_layout.plots_per_row`)."""
        return curve_layout.plots_per_row(self.theme, width, height, self.legend.width(),
                                          self.legend.height(), self.legend_above,
                                          len(TIME_PLOTS))

    def _arrange(self, per_row: int) -> None:
        """Place the plots ``per_row`` to a row (:func:`~ganviz.views.curve_layout.arrange`),
        or the one plot of ``only`` (:func:`~ganviz.views.curve_layout.arrange_one`)."""
        if self.only is not None:
            curve_layout.arrange_one(self.view.ci.layout, self.legend, self._plots, self.only)
            return
        curve_layout.arrange(self.view.ci.layout, self.legend, self._plots, per_row,
                             self.legend_above)
        self.per_row = per_row

    def _fit_axis_labels(self, *_) -> None:
        """Hide a y-axis label that is longer than its plot is tall (it would run into the
        title); the title still names what is plotted."""
        for plot in self._plots.values():
            axis = plot.getAxis("left")
            fits = axis.label.boundingRect().width() <= plot.vb.height()
            if axis.label.isVisible() != fits:
                axis.showLabel(fits)

    def _reflow(self) -> None:
        """Re-arrange the plots when the width calls for another number per row."""
        per_row = self.plots_per_row(self.width(), self.height())  # the view follows later
        if per_row != self.per_row and self.only is None:
            self._arrange(per_row)

    def resizeEvent(self, event) -> None:
        """Fewer plots per row when the dock gets narrow (they wrap into more rows)."""
        super().resizeEvent(event)
        self._reflow()

    # ------------------------------------------------------------------ API
    def dispose(self) -> None:
        """Disconnect the slots Qt calls on resizes, before the plots are destroyed (a Python
        slot called while Qt tears an item down can crash the process: pyqtgraph #1628)."""
        self._connections.disconnect_all()

    def plots(self) -> dict[str, pg.PlotItem]:
        """The plots by name (see ``PLOT_NAMES``), for export and tests."""
        return dict(self._plots)

    def run_items(self, index: int) -> dict[str, pg.PlotDataItem]:
        """Run ``index``'s data items by series (loss_d, loss_g, modes, ..., sigma)."""
        return dict(self.lines.runs[index].items)

    def group_items(self, run: int) -> dict[str, pg.PlotDataItem]:
        """The median items, by series, of the group of seeds run ``run`` belongs to (empty
        for a run without other seeds)."""
        group = self.lines.group_of(run)
        return {} if group is None else dict(group.items)

    def group_bands(self, run: int) -> dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]]:
        """The 10 % and 90 % edge items, by series, of run ``run``'s group of seeds."""
        group = self.lines.group_of(run)
        return {} if group is None else dict(group.edges)

    def banded(self) -> bool:
        """Whether groups of seeds are drawn as medians in bands (not one line per seed)."""
        return not self.state.per_seed and bool(self.lines.groups)

    def set_selected_run(self, index: int) -> None:
        """Show the equation-1 curves of run ``index``."""
        if index != self._selected:
            self._selected = int(index)
            self._update_eq1()

    def set_run_visible(self, index: int, visible: bool) -> None:
        """Show or hide every curve of run ``index`` (cheap if nothing changes)."""
        hidden = index in self._hidden
        if hidden != visible:
            return
        (self._hidden.discard if visible else self._hidden.add)(index)
        self._apply_visibility()
        self._update_legend()
        self._update_sigma_note()
        self._update_eq1()  # a hidden run's equation-1 curves give way to a shown run's

    def hide_estimators(self, hidden: set[str]) -> None:
        """Hide the runs of the estimators in ``hidden`` and show the others."""
        for spec in self.lines.specs:
            self.set_run_visible(spec.index, spec.estimator not in hidden)

    def clear(self) -> None:
        """Forget every run and all data (the next snapshot rebuilds the items)."""
        self.lines.remove()
        self._hidden.clear()
        self._diverged = ()
        self._history_key = ()
        self._history_ref = None
        self._eq1_key = ()
        self._snap = None
        self._reset_ranges()
        self.eq1.clear()
        self.legend_column.seed_proxy.setVisible(False)
        self._update_legend()
        self._update_sigma_note()

    def update_snapshot(self, snap: Snapshot) -> None:
        """Draw ``snap``; only what changed since the last snapshot is touched."""
        if snap is self._snap:
            return
        self._snap = snap
        specs = tuple(r.spec for r in snap.runs)
        if specs != self.lines.specs:
            self._build(specs)
        self._diverged = tuple(r.diverged for r in snap.runs)
        self._update_mode_note(snap.real)
        before = (self._history_key, self._eq1_key)
        self._update_history(snap.history, snap.config)
        self._fit_mode_ranges(snap.real, snap.history)
        self._update_legend()
        self._update_eq1()
        if (self._history_key, self._eq1_key) != before:
            # settle the auto-ranges (and so the axes) now: pyqtgraph would do it at the start
            # of the next paint, and the axes it changes then cost a second full repaint
            self.view.scene().prepareForPaint()

    # ------------------------------------------------------------- building
    def _build(self, specs: tuple[RunSpec, ...]) -> None:
        """New lines for the run set ``specs``; the axes fit them afresh."""
        self.lines.build(specs)
        self._history_key = ()
        self._history_ref = None
        self._eq1_key = ()
        self._reset_ranges()
        self.legend_column.show_seed_controls(bool(self.lines.groups))
        self._apply_visibility()

    def _apply_visibility(self) -> None:
        """Show the lines of the shown runs (in band mode: their groups' bands)."""
        self.lines.show(self._hidden, self.state.per_seed)

    def _on_state(self, what: str) -> None:
        if what != "per_seed":
            return
        self.legend_column.follow_per_seed()
        self._apply_visibility()
        if self._snap is not None:
            self._update_history(self._snap.history, self._snap.config)
            self._update_legend()
            self.view.scene().prepareForPaint()

    # ------------------------------------------------------------- updating
    def _update_history(self, history: dict[str, np.ndarray], cfg: Config) -> None:
        """Feed every shown line from ``history`` (:mod:`~ganviz.views.curve_data`), only when
        its length, its buffer, the run set or the band mode changed."""
        steps = history.get("step")
        rows = 0 if steps is None else steps.shape[0]
        base = None if steps is None else (steps.base if steps.base is not None else steps)
        key = (rows, id(base), self.lines.specs, not self.state.per_seed)
        if key == self._history_key:
            return
        if rows < self._history_rows:  # a new history (a reset): forget zooms and old ranges
            self._reset_ranges()
        self._history_rows = rows
        self._history_key = key
        self._history_ref = base  # keeps id(base) from being reused while it is our key
        self.lines.feed(history, self.state.per_seed)
        x_range = curve_data.first_x_range(steps, cfg.eval.every)
        for name in TIME_PLOTS:
            if x_range is None:
                self._plots[name].enableAutoRange(x=True)
            else:  # nothing to fit yet: leave room for the first evaluations
                self._plots[name].setXRange(*x_range, padding=0.02)
        self._update_sigma_note()

    def _reset_ranges(self) -> None:
        """Back to the initial axes: the auto-ranged plots fit their data again (a zoom or a
        range from the previous run set or data is dropped), the mode plots are refitted."""
        self._range_key = ()
        self._history_rows = 0
        for name in TIME_PLOTS:
            if name not in FIXED_Y:
                self._plots[name].enableAutoRange(y=True)

    def _fit_mode_ranges(self, real: RealData, history: dict[str, np.ndarray]) -> None:
        """Fixed y ranges of the mode plots (:func:`~ganviz.views.curve_data.mode_tops`), set
        only when they change, so a user's zoom survives new rows."""
        key = curve_data.mode_tops(real, history)
        if key == self._range_key:
            return
        self._range_key = key
        modes, kl = key
        self._plots["modes"].setYRange(0, modes + 0.5, padding=0.02)
        self._plots["reverse_kl"].setYRange(0, kl * 1.05, padding=0.02)
        for name in ("modes", "reverse_kl"):
            self._plots[name].enableAutoRange(y=False)

    def _set_title(self, name: str, notes: list[str]) -> None:
        """Plot ``name``'s title, with ``notes`` dimmed in brackets after it."""
        title = TIME_PLOTS[name][0]
        if notes:
            title += f"  <span style='color:{self.theme.dim}'>({'; '.join(notes)})</span>"
        if self._plots[name].titleLabel.text != title:
            set_title(self._plots[name], title, self.theme)

    def _update_mode_note(self, real: RealData) -> None:
        """Say in the titles of the mode plots when the data has no known modes (file data
        without centres): they stay empty by design, not by a fault."""
        for name in MODE_PLOTS:
            self._set_title(name, [] if len(real.weights) else ["no known modes"])

    def _update_sigma_note(self) -> None:
        """Say in the sigma title what it leaves out or summarises for the shown runs
        (:func:`~ganviz.views.curve_data.sigma_notes`); a printed column has no room for
        the note, the figure's caption says it there."""
        shown = [s for s in self.lines.specs if s.index not in self._hidden]
        self._set_title("sigma", [] if self.theme.for_print else curve_data.sigma_notes(shown))

    def _update_legend(self) -> None:
        """One legend entry per group of seeds (:func:`~ganviz.views.curve_data.legend_entries`);
        a legend that changed width leaves the plots another room."""
        entries = curve_data.legend_entries(self.lines.specs, self._diverged, self._hidden,
                                            not self.state.per_seed)
        if self.legend_column.set_entries(entries, self.lines):
            self._reflow()

    def eq1_run(self) -> int | None:
        """The run the equation-1 plot shows (:func:`~ganviz.views.curve_data.eq1_run`)."""
        return curve_data.eq1_run(len(self.lines.specs), self._selected, self._hidden)

    def _update_eq1(self) -> None:
        snap = self._snap
        curves: SigmaCurves | None = snap.curves if snap is not None else None
        specs = self.lines.specs
        if not specs:
            return
        index = self.eq1_run()
        key = (index, specs, id(curves), None if curves is None else curves.step,
               self._history_key)
        if key == self._eq1_key:
            return
        self._eq1_key = key
        if index is None:
            self.eq1.show_none()
            return
        spec = specs[index]
        sigma = curve_data.current_sigma(snap.history if snap is not None else {}, spec, index)
        self.eq1.show_run(curve_data.eq1_label(specs, index), run_color(spec, specs),
                          curves, index, sigma, spec.learned_sigma)
