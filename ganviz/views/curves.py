"""The curves dock: training curves per run and the equation-1 sigma curves of one run.

Eight small plots over training steps (loss, modes, high quality, reverse KL, JS
divergence, energy distance, gradient relative variance, sigma) in two rows of four (three or
two to a row when the dock is narrow and tall enough: ``plots_per_row``), the
equation-1 plot (log-log, its legend below it) beside them over all rows, and one shared
legend of the runs at the left (a legend inside every small plot would cover its data;
``set_plot_legends(True)`` adds them for exporting single plots). Titles too long for their
plot are cut with an ellipsis.

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
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QGraphicsProxyWidget, QLabel, QVBoxLayout, QWidget

from ganviz.core.config import Config
from ganviz.core.contract import RealData, RunSpec, SigmaCurves, Snapshot
from ganviz.core.help_text import curve_tip
from ganviz.views import curve_layout, theme
from ganviz.views.curve_items import (
    LOG_SERIES,
    GroupItems,
    RunItems,
    build_group,
    build_runs,
    feed,
    run_color,
)
from ganviz.views.curve_layout import EQ1, PER_ROW
from ganviz.views.eq1plot import Equation1Plot
from ganviz.views.plotstyle import LegendSample, plot_item, set_title, style_plot
from ganviz.views.seeds import group_runs, seed_band
from ganviz.views.slots import Connections
from ganviz.views.theme import DARK, Theme
from ganviz.views.viewstate import ViewState

# name -> (title, y label, log y); the order is the layout order (row-major, PER_ROW a row).
TIME_PLOTS: dict[str, tuple[str, str, bool]] = {
    "loss": ("Loss: D —, G --", "loss", False),
    "modes": ("Modes captured", "modes", False),
    "hq_fraction": ("High quality", "fraction", False),
    "reverse_kl": ("Reverse KL (modes)", "KL (nats)", False),
    "js_divergence": ("JS divergence", "JS (nats)", False),
    "energy_distance": ("Energy distance", "energy", False),
    "grad_rel_var": ("Gradient noise", "rel. variance", True),
    "sigma": ("σ over training", "σ", True),
}
MODE_PLOTS = ("modes", "hq_fraction", "reverse_kl")  # empty without known modes
FIXED_Y = ("modes", "hq_fraction", "reverse_kl")  # y ranges from the data's limits, not fitted
PER_SEED_TIP = ("Draw one line per seed; off: one line per setting, the median over its seeds, "
                "in a 10–90 % band across seeds (diverged seeds left out)")
PLOT_NAMES = (*TIME_PLOTS, EQ1)
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


def run_label(spec: RunSpec) -> str:
    """Legend text shared by runs that differ only in seed (``RunSpec.legend``)."""
    return spec.legend


def mode_limits(real: RealData) -> tuple[int, float]:
    """Number of modes and the largest possible reverse KL, log(1 / min weight), of the
    mixture the snapshot carries."""
    w = np.asarray(real.weights, dtype=float)
    if not len(w):  # file data without centres: the mode plots stay empty
        return 0, 1.0
    return len(w), float(math.log(w.sum() / max(w.min(), 1e-12)))


class CurvesPanel(QWidget):
    """Training curves for every run (or group of seeds) and the equation-1 sigma curves of
    the selected run.

    ``state`` is the window's view state (its ``per_seed`` switch); without one the panel
    keeps its own.
    """

    def __init__(self, parent: QWidget | None = None, *, state: ViewState | None = None,
                 theme: Theme = DARK) -> None:
        super().__init__(parent)
        self.theme = theme
        self.state = state if state is not None else ViewState.default()
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(theme.background)
        self.view.setMinimumHeight(200)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        grid = self.view.ci
        grid.setContentsMargins(4, 2, 4, 2)
        grid.layout.setHorizontalSpacing(6)
        grid.layout.setVerticalSpacing(2)

        legend_size = theme.css(theme.text.legend)
        self.legend = pg.LegendItem(labelTextSize=legend_size, labelTextColor=theme.foreground,
                                    sampleType=LegendSample, horSpacing=4, verSpacing=-2,
                                    frame=False)
        grid.addItem(self.legend, row=0, col=0, rowspan=2)
        grid.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop)
        self._plots: dict[str, pg.PlotItem] = {}
        for i, (name, (title, ylabel, log)) in enumerate(TIME_PLOTS.items()):
            plot = plot_item(theme)
            style_plot(plot, title, ylabel, "step", theme)
            plot.setLogMode(x=False, y=log)
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.addLegend(offset=(-6, 6), labelTextSize=legend_size, sampleType=LegendSample,
                           brush=pg.mkBrush(theme.background + "d0"),
                           labelTextColor=theme.foreground).setVisible(False)
            grid.addItem(plot, row=i // PER_ROW, col=1 + i % PER_ROW)
            self._plots[name] = plot
        self._plots["hq_fraction"].setYRange(0, 1, padding=0.04)
        self._plots["hq_fraction"].enableAutoRange(y=False)

        self._connections = Connections()
        self.eq1 = Equation1Plot(self._connections, theme)
        grid.addItem(self.eq1.plot, row=0, col=1 + PER_ROW, rowspan=2)
        self._plots[EQ1] = self.eq1.plot
        for plot in self._plots.values():
            self._connections.connect(plot.vb.sigResized, self._fit_axis_labels)

        self.legend_above = theme.for_print  # a print figure: the legend one row above
        if self.legend_above:
            self.legend.setColumnCount(PER_ROW)
        self.per_row = PER_ROW
        self._arrange(PER_ROW)

        self._runs: list[RunItems] = []
        self._specs: tuple[RunSpec, ...] = ()
        self._hidden: set[int] = set()
        self._diverged: tuple[bool, ...] = ()
        self._selected = 0
        self._history_key: tuple = ()
        self._history_ref: np.ndarray | None = None
        self._history_rows = 0
        self._range_key: tuple = ()
        self._eq1_key: tuple = ()
        self._legend_key: tuple = ()
        self._legend_dummies: list[pg.PlotDataItem] = []
        self._snap: Snapshot | None = None
        self._groups: list[GroupItems] = []

        self.per_seed_box = QCheckBox(PER_SEED_TEXT)
        self.per_seed_box.setToolTip(PER_SEED_TIP)
        self.per_seed_box.setChecked(self.state.per_seed)
        self.per_seed_box.setStyleSheet(PER_SEED_STYLE)
        self.per_seed_box.toggled.connect(self.state.set_per_seed)
        self.band_note = QLabel(BAND_NOTE)
        self.band_note.setStyleSheet(f"color: {theme.dim}; background: transparent; "
                                     f"font-size: {legend_size};")
        self.band_note.setVisible(not self.state.per_seed)
        controls = QWidget()
        controls.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        controls.setStyleSheet("background: transparent;")
        box = QVBoxLayout(controls)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        box.addWidget(self.band_note)
        box.addWidget(self.per_seed_box)
        self._per_seed_proxy = QGraphicsProxyWidget(grid)
        self._per_seed_proxy.setWidget(controls)
        self._per_seed_proxy.setVisible(False)  # shown when a setting has several seeds
        self._connections.connect(grid.geometryChanged, self._place_per_seed_box)
        self._connections.connect(self.legend.geometryChanged, self._place_per_seed_box)
        self.state.subscribe(self._on_state)
        self._set_tooltips()

    def _set_tooltips(self) -> None:
        """Each plot says what it shows (the Help page's text, ``ganviz.core.help_text``)."""
        for name, plot in self._plots.items():
            plot.setToolTip(curve_tip(name))

    # --------------------------------------------------------------- layout
    def plots_per_row(self, width: float, height: float) -> int:
        """How many training plots to put in a row of a ``width`` x ``height`` px dock
        (:func:`~ganviz.views.curve_layout.plots_per_row`)."""
        return curve_layout.plots_per_row(self.theme, width, height, self.legend.width(),
                                          self.legend.height(), self.legend_above,
                                          len(TIME_PLOTS))

    def _arrange(self, per_row: int) -> None:
        """Place the plots ``per_row`` to a row (:func:`~ganviz.views.curve_layout.arrange`)."""
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
        if per_row != self.per_row:
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
        return dict(self._runs[index].items)

    def group_items(self, run: int) -> dict[str, pg.PlotDataItem]:
        """The median items, by series, of the group of seeds run ``run`` belongs to (empty
        for a run without other seeds)."""
        group = next((g for g in self._groups if run in g.members), None)
        return {} if group is None else dict(group.items)

    def group_bands(self, run: int) -> dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]]:
        """The 10 % and 90 % edge items, by series, of run ``run``'s group of seeds."""
        group = next((g for g in self._groups if run in g.members), None)
        return {} if group is None else dict(group.edges)

    def banded(self) -> bool:
        """Whether groups of seeds are drawn as medians in bands (not one line per seed)."""
        return not self.state.per_seed and any(len(g.members) > 1 for g in self._groups)

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

    def set_plot_legends(self, visible: bool) -> None:
        """Show a legend inside each training plot too (for exporting single plots)."""
        for name in TIME_PLOTS:
            self._plots[name].legend.setVisible(visible)

    def clear(self) -> None:
        """Forget every run and all data (the next snapshot rebuilds the items)."""
        for run in [*self._runs, *self._groups]:
            for item in run.all():
                self._remove(item)
        self._runs = []
        self._groups = []
        self._specs = ()
        self._hidden.clear()
        self._diverged = ()
        self._history_key = ()
        self._history_ref = None
        self._eq1_key = ()
        self._snap = None
        self._reset_ranges()
        self.eq1.clear()
        self._per_seed_proxy.setVisible(False)
        self._update_legend()
        self._update_sigma_note()

    def update_snapshot(self, snap: Snapshot) -> None:
        """Draw ``snap``; only what changed since the last snapshot is touched."""
        if snap is self._snap:
            return
        self._snap = snap
        specs = tuple(r.spec for r in snap.runs)
        if specs != self._specs:
            self._build(specs, snap.real)
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
    def _remove(self, item) -> None:
        for plot in self._plots.values():
            if item in plot.items:
                plot.removeItem(item)
                return

    def _build(self, specs: tuple[RunSpec, ...], real: RealData) -> None:
        for run in [*self._runs, *self._groups]:
            for item in run.all():
                self._remove(item)
        self._specs = specs
        self._history_key = ()
        self._history_ref = None
        self._eq1_key = ()
        self._reset_ranges()
        self._runs = build_runs(self._plots, specs)
        self._groups = [build_group(self._plots, self._runs, members, specs)
                        for members in group_runs(specs) if len(members) > 1]
        self._per_seed_proxy.setVisible(bool(self._groups))
        self._place_per_seed_box()
        self._apply_visibility()

    def _apply_visibility(self) -> None:
        """Show each run's lines, or in band mode its group's median and band instead; hidden
        runs (estimators switched off) show neither."""
        banded = not self.state.per_seed
        in_band = {i for g in self._groups for i in g.members} if banded else set()
        for run in self._runs:
            shown = run.spec.index not in self._hidden and run.spec.index not in in_band
            for item in run.all():
                item.setVisible(shown)
        for group in self._groups:
            shown = banded and not all(i in self._hidden for i in group.members)
            for item in group.all():
                item.setVisible(shown)

    def _place_per_seed_box(self, *_) -> None:
        """The "Per seed" box at the bottom of the legend's column, below the legend."""
        proxy = self._per_seed_proxy
        grid = self.view.ci
        h = proxy.size().height()
        legend_bottom = self.legend.geometry().bottom()
        proxy.setPos(4.0, max(legend_bottom + 4, grid.size().height() - h - 6))

    def _on_state(self, what: str) -> None:
        if what != "per_seed":
            return
        if self.per_seed_box.isChecked() != self.state.per_seed:
            self.per_seed_box.blockSignals(True)
            self.per_seed_box.setChecked(self.state.per_seed)
            self.per_seed_box.blockSignals(False)
        self.band_note.setVisible(not self.state.per_seed)
        self._per_seed_proxy.resize(self._per_seed_proxy.widget().sizeHint())
        self._place_per_seed_box()
        self._apply_visibility()
        if self._snap is not None:
            self._update_history(self._snap.history, self._snap.config)
            self._update_legend()
            self.view.scene().prepareForPaint()

    # ------------------------------------------------------------- updating
    def _update_history(self, history: dict[str, np.ndarray], cfg: Config) -> None:
        steps = history.get("step")
        rows = 0 if steps is None else steps.shape[0]
        base = None if steps is None else (steps.base if steps.base is not None else steps)
        banded = not self.state.per_seed
        key = (rows, id(base), self._specs, banded)
        if key == self._history_key:
            return
        if rows < self._history_rows:  # a new history (a reset): forget zooms and old ranges
            self._reset_ranges()
        self._history_rows = rows
        self._history_key = key
        self._history_ref = base  # keeps id(base) from being reused while it is our key
        in_band = {i for g in self._groups for i in g.members} if banded else set()
        for r, run in enumerate(self._runs):
            if r in in_band:  # drawn by its group's median; fed again when switched back
                continue
            ok = steps is not None and r < steps.shape[1]
            for series, item in run.items.items():
                y = self._column(history, series, run.spec, steps)
                feed(item, steps[:, r] if ok and len(y) else np.empty(0),
                      y[:, r] if ok and len(y) else np.empty(0), series)
        if banded:
            for group in self._groups:
                self._feed_group(group, history, steps)
        first = float(steps[0].min()) if rows else 0.0
        span = float(steps[-1].max()) - first if rows else 0.0
        for name in TIME_PLOTS:
            if span > 0:
                self._plots[name].enableAutoRange(x=True)
            else:  # nothing to fit yet: leave room for the first evaluations
                self._plots[name].setXRange(first, first + 10 * cfg.eval.every, padding=0.02)
        self._update_sigma_note()

    @staticmethod
    def _column(history: dict[str, np.ndarray], series: str, spec: RunSpec,
                steps: np.ndarray | None) -> np.ndarray:
        """History column [T, R] of ``series`` for a run like ``spec`` (learned sigma: its
        mean sigma(z)); empty when missing or misshapen."""
        learned = series == "sigma" and spec.learned_sigma
        column = history.get("sigma_mean" if learned else series)
        if steps is None or column is None or column.shape != steps.shape:
            return np.empty((0, 0))
        return column

    def _feed_group(self, group: GroupItems, history: dict[str, np.ndarray],
                    steps: np.ndarray | None) -> None:
        """Median and 10-90 % band over the group's seeds, per series (diverged rows out)."""
        members = [i for i in group.members if steps is not None and i < steps.shape[1]]
        empty = np.empty(0)
        x = np.median(steps[:, members], axis=1) if members and len(steps) else empty
        diverged = history.get("diverged")
        div = (diverged[:, members] if diverged is not None and len(x)
               and diverged.shape == steps.shape else None)
        spec = self._runs[group.members[0]].spec
        for series, item in group.items.items():
            column = self._column(history, series, spec, steps)
            if len(x) and len(column):
                med, lo, hi = seed_band(column[:, members], div, log=series in LOG_SERIES)
            else:
                med = lo = hi = empty
            xs = x if len(med) else empty
            feed(item, xs, med, series)
            low, high = group.edges[series]
            low.setData(xs, lo)
            high.setData(xs, hi)

    def _reset_ranges(self) -> None:
        """Back to the initial axes: the auto-ranged plots fit their data again (a zoom or a
        range from the previous run set or data is dropped), the mode plots are refitted."""
        self._range_key = ()
        self._history_rows = 0
        for name in TIME_PLOTS:
            if name not in FIXED_Y:
                self._plots[name].enableAutoRange(y=True)

    def _fit_mode_ranges(self, real: RealData, history: dict[str, np.ndarray]) -> None:
        """Fixed y ranges of the mode plots from the current data: modes 0..n_modes, reverse
        KL 0..log(1 / min weight), both widened if a value ever lies beyond (so no line runs
        off the top). Set only when they change, so a user's zoom survives new rows."""
        n_modes, kl_max = mode_limits(real)
        top = {"modes": float(n_modes), "reverse_kl": kl_max}
        for name in top:
            column = history.get(name)
            if column is not None and column.size:
                with np.errstate(all="ignore"):
                    finite = column[np.isfinite(column)]
                if finite.size:
                    top[name] = max(top[name], float(finite.max()))
        key = (top["modes"], top["reverse_kl"])
        if key == self._range_key:
            return
        self._range_key = key
        self._plots["modes"].setYRange(0, top["modes"] + 0.5, padding=0.02)
        self._plots["reverse_kl"].setYRange(0, top["reverse_kl"] * 1.05, padding=0.02)
        for name in top:
            self._plots[name].enableAutoRange(y=False)

    def _update_mode_note(self, real: RealData) -> None:
        """Say in the titles of the mode plots when the data has no known modes (file data
        without centres): they stay empty by design, not by a fault."""
        note = f"  <span style='color:{self.theme.dim}'>(no known modes)</span>" \
            if not len(real.weights) else ""
        for name in MODE_PLOTS:
            title = TIME_PLOTS[name][0] + note
            if self._plots[name].titleLabel.text != title:
                set_title(self._plots[name], title, self.theme)

    def _update_sigma_note(self) -> None:
        """Say in the sigma title when a shown run has sigma = 0 (it has no place on a log axis)
        and when a learned covariance is summarised by its eigen-stds."""
        title = TIME_PLOTS["sigma"][0]
        shown = [run.spec for run in self._runs if run.spec.index not in self._hidden]
        notes = []
        if any(s.learned_sigma and s.covariance != "isotropic" for s in shown):
            notes.append("learned Σ: its eigen-stds")
        if any(not s.learned_sigma and s.sigma <= 0 for s in shown):
            notes.append("σ = 0 not drawn")
        # a printed column has no room for the note; the figure's caption says it there
        if notes and not self.theme.for_print:
            title += f"  <span style='color:{self.theme.dim}'>({'; '.join(notes)})</span>"
        plot = self._plots["sigma"]
        if plot.titleLabel.text != title:
            set_title(plot, title, self.theme)

    def _update_legend(self) -> None:
        """One entry per group of seeds (the setting, not the run); in band mode a group of
        several seeds says how many and shows its band."""
        banded = not self.state.per_seed
        key = tuple((run_label(self._specs[idx[0]]), tuple(idx),
                     tuple(self._diverged[i] if i < len(self._diverged) else False for i in idx),
                     all(i in self._hidden for i in idx), banded and len(idx) > 1)
                    for idx in group_runs(self._specs))
        if key == self._legend_key:
            return
        self._legend_key = key
        legends = [self.legend, *(self._plots[n].legend for n in TIME_PLOTS)]
        for legend in legends:
            legend.clear()
        self._legend_dummies = []
        for label, idx, diverged, hidden, band in key:
            run = self._runs[idx[0]]
            group = next((g for g in self._groups if g.members[0] == idx[0]), None)
            source = group.items["loss_d"] if band and group is not None else run.items["loss_d"]
            pen = pg.mkPen(source.opts["pen"])
            pen.setStyle(Qt.PenStyle.SolidLine)
            dummy = pg.PlotDataItem(pen=pen)
            if band and group is not None:
                dummy.opts["fillBrush"] = group.bands["loss_d"].brush()
            elif run.band is not None:
                dummy.opts["fillBrush"] = run.band.brush()
            dummy.setVisible(not hidden)
            n_div = sum(diverged)
            text = label + (f" · {len(idx)} seeds" if band else "")
            if n_div:
                text += " (diverged)" if n_div == len(idx) else f" ({n_div}/{len(idx)} diverged)"
            for legend in legends:
                legend.addItem(dummy, text)
                legend.items[-1][1].setText(text, color=self.theme.dim if hidden
                                            else self.theme.foreground)
            self._legend_dummies.append(dummy)
        size = self.legend.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize)
        self.legend.setFixedWidth(max(size.width(), 1.0))
        self.legend.setFixedHeight(max(size.height(), 1.0))
        self._reflow()  # a wider legend leaves less room for the plots

    def eq1_run(self) -> int | None:
        """The run the equation-1 plot shows: the selected one, or the first shown run when
        the selected run's estimator is hidden; None when every run is hidden."""
        if not self._specs:
            return None
        index = self._selected if 0 <= self._selected < len(self._specs) else 0
        if index not in self._hidden:
            return index
        return next((i for i in range(len(self._specs)) if i not in self._hidden), None)

    def _update_eq1(self) -> None:
        snap = self._snap
        curves: SigmaCurves | None = snap.curves if snap is not None else None
        if not self._specs:
            return
        index = self.eq1_run()
        key = (index, self._specs, id(curves), None if curves is None else curves.step,
               self._history_key)
        if key == self._eq1_key:
            return
        self._eq1_key = key
        if index is None:
            self.eq1.show_none()
            return
        spec = self._specs[index]
        seeds = sum(run_label(s) == run_label(spec) for s in self._specs) > 1
        self.eq1.show_run(run_label(spec) + (f", seed {spec.seed}" if seeds else ""),
                          run_color(spec, self._specs), curves, index,
                          self._current_sigma(index), spec.learned_sigma)

    def _current_sigma(self, index: int) -> float | None:
        """The selected run's sigma now (mean sigma(z) if learned), or None if not positive."""
        spec = self._specs[index]
        value = spec.sigma
        hist = self._snap.history if self._snap is not None else {}
        column = hist.get("sigma_mean" if spec.learned_sigma else "sigma")
        if column is not None and column.shape[0] and index < column.shape[1]:
            value = float(column[-1, index])
        return value if math.isfinite(value) and value > 0 else None


__all__ = ["EQ1", "PLOT_NAMES", "TIME_PLOTS", "CurvesPanel", "mode_limits", "run_label"]
