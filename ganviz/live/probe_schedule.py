"""When the training loop recomputes what the window draws (plain timing, no torch).

The full views cost tens of milliseconds, so they are recomputed at most once a frame and
within a share (``budget``) of the loop's time; the fakes are cheap and follow every new
step; the equation-1 curves are recomputed every ``curve_interval`` seconds, or less often
where that would take more than ``curve_budget`` of the loop's time.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ProbeSchedule:
    """Decides which parts are due; the loop computes them and reports the views' cost."""

    frame_interval: float
    budget: float = 0.06
    curve_interval: float = 2.0
    max_views_gap: float = 2.0  # one slow views (e.g. while the compiler runs) stalls no longer
    curve_budget: float = 0.01
    max_curve_gap: float = 6.0  # slow curves still follow training this often
    views_cost: float = 0.0
    curves_cost: float = 0.0
    last_views: float = -1e9
    last_curves: float = -1e9

    def due(self, now: float, step: int, shown: dict[str, int | None],
            force: bool = False) -> set[str]:
        """The parts to recompute at time ``now`` and training step ``step``; ``shown``
        gives the step of each part as it is (None: not made yet)."""
        if force:
            return {"views", "fakes", "curves"}
        parts = set()
        gap = max(self.frame_interval, min(self.views_cost / self.budget, self.max_views_gap))
        if shown["views"] != step and now - self.last_views >= gap:
            parts.add("views")
        if shown["fakes"] != step:
            parts.add("fakes")
        curve_gap = max(self.curve_interval,
                        min(self.curves_cost / self.curve_budget, self.max_curve_gap))
        if shown["curves"] != step and now - self.last_curves >= curve_gap:
            parts.add("curves")
        return parts

    def done(self, parts: set[str], now: float, views_cost: float,
             curves_cost: float = 0.0) -> None:
        """Record that ``parts`` were recomputed at ``now`` (the views took ``views_cost``
        seconds, the curves ``curves_cost``)."""
        if "views" in parts:
            self.views_cost, self.last_views = views_cost, now
        if "curves" in parts:
            self.curves_cost, self.last_curves = curves_cost, now


PARTS = ("views", "fakes", "curves")


@dataclass
class ProbeTally:
    """Running totals of the probe computations: how many of each part, and their seconds.

    Only ever grows; a reader takes two copies (:meth:`copy`) and subtracts them.
    """

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PARTS, 0))
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PARTS, 0.0))

    def add(self, part: str, seconds: float) -> None:
        """Record one computation of ``part`` that took ``seconds``."""
        self.counts[part] += 1
        self.seconds[part] += seconds

    def copy(self) -> ProbeTally:
        """An independent copy (safe to keep while the loop goes on counting)."""
        return ProbeTally(dict(self.counts), dict(self.seconds))

    @property
    def total_seconds(self) -> float:
        """Seconds spent in all probe computations."""
        return sum(self.seconds.values())
