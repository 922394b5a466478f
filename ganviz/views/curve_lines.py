"""The curves dock's lines for one run set: which are shown, and their data from the history.

A line per run and series, and per group of several seeds a median line in its 10-90 % band
(the items are made by :mod:`ganviz.views.curve_items`); their arrays come from
:mod:`ganviz.views.curve_data`. In band mode (``per_seed`` off) a group's median stands for
its seeds, whose own lines are hidden and not fed until per-seed mode returns.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pyqtgraph as pg

from ganviz.core.contract import RunSpec
from ganviz.views import curve_data
from ganviz.views.curve_items import (
    LOG_SERIES,
    GroupItems,
    RunItems,
    build_group,
    build_runs,
    feed,
)
from ganviz.views.seeds import group_runs


class CurveLines:
    """The items of the run set ``specs`` in ``plots`` (empty until :meth:`build`)."""

    def __init__(self, plots: dict[str, pg.PlotItem]) -> None:
        self.plots = plots
        self.specs: tuple[RunSpec, ...] = ()
        self.runs: list[RunItems] = []
        self.groups: list[GroupItems] = []  # groups of two or more seeds only

    def build(self, specs: tuple[RunSpec, ...]) -> None:
        """New items for the run set ``specs`` (the old ones taken out first)."""
        self.remove()
        self.specs = specs
        self.runs = build_runs(self.plots, specs)
        self.groups = [build_group(self.plots, self.runs, members, specs)
                       for members in group_runs(specs) if len(members) > 1]

    def remove(self) -> None:
        """Take every run's and group's items out of their plots; no run set is left."""
        for run in [*self.runs, *self.groups]:
            for item in run.all():
                plot = next((p for p in self.plots.values() if item in p.items), None)
                if plot is not None:
                    plot.removeItem(item)
        self.specs = ()
        self.runs = []
        self.groups = []

    def group_of(self, run: int) -> GroupItems | None:
        """The group of seeds run ``run`` belongs to (None for a run without other seeds)."""
        return next((g for g in self.groups if run in g.members), None)

    def in_band(self, per_seed: bool) -> set[int]:
        """The runs drawn by their group's median (none in per-seed mode)."""
        return set() if per_seed else {i for g in self.groups for i in g.members}

    def show(self, hidden: Collection[int], per_seed: bool) -> None:
        """Show each run's lines, or in band mode its group's median and band instead; the
        ``hidden`` runs (estimators switched off) show neither."""
        in_band = self.in_band(per_seed)
        for run in self.runs:
            shown = run.spec.index not in hidden and run.spec.index not in in_band
            for item in run.all():
                item.setVisible(shown)
        for group in self.groups:
            shown = not per_seed and not all(i in hidden for i in group.members)
            for item in group.all():
                item.setVisible(shown)

    def feed(self, history: dict[str, np.ndarray], per_seed: bool) -> None:
        """Give every line drawn in this mode its data from ``history``."""
        in_band = self.in_band(per_seed)
        for r, run in enumerate(self.runs):
            if r in in_band:  # drawn by its group's median; fed again when switched back
                continue
            for series, item in run.items.items():
                feed(item, *curve_data.run_curve(history, series, run.spec, r), series)
        if not per_seed:
            for group in self.groups:
                self._feed_group(group, history)

    def _feed_group(self, group: GroupItems, history: dict[str, np.ndarray]) -> None:
        """The group's median line and band edges, per series."""
        spec = self.runs[group.members[0]].spec
        for series, item in group.items.items():
            x, med, lo, hi = curve_data.group_curve(history, series, spec, group.members,
                                                    log=series in LOG_SERIES)
            feed(item, x, med, series)
            low, high = group.edges[series]
            low.setData(x, lo)
            high.setData(x, hi)
