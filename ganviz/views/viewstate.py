"""One view-state object that the toolbar, the panels and export all read (glue's idea).

Plain Python with callbacks, so toggles can be tested without clicking widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

LAYERS: dict[str, str] = {
    "real": "Real data (2-std contours)",
    "density": "Generator density p(x)",
    "disc": "Discriminator D(x)",
    "fakes": "Fake samples",
    "field": "Field -∇f on a grid",
    "fake_field": "Field -∇f at the fakes",
    "smooth": "σ-smoothed field",
    "manifold": "Generator manifold (z-grid)",
}
DEFAULT_LAYERS = {"real", "density", "fakes", "field"}


@dataclass
class ViewState:
    """Which layers are drawn, which estimators are shown, which run is selected, which seed
    each group's panel shows, and whether the curves draw every seed or each group's median.

    ``panel_seeds`` maps a group (``seeds.group_key``: the run setting without index and
    seed) to the seed its panel shows; a group not in it shows its first seed. Keys are
    settings, not panel positions, so a choice survives redraws and resets that keep the
    group.
    """

    layers: set[str]
    hidden_estimators: set[str]
    selected_run: int = 0
    per_seed: bool = False
    panel_seeds: dict[tuple, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._listeners: list[Callable[[str], None]] = []

    @classmethod
    def default(cls) -> ViewState:
        """The layers a new user sees first."""
        return cls(layers=set(DEFAULT_LAYERS), hidden_estimators=set())

    def copy(self) -> ViewState:
        """A new state with the same choices and no listeners (an offscreen figure's)."""
        return ViewState(layers=set(self.layers), hidden_estimators=set(self.hidden_estimators),
                         selected_run=self.selected_run, per_seed=self.per_seed,
                         panel_seeds=dict(self.panel_seeds))

    def subscribe(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(what)`` after every change (what: 'layers', 'estimators', 'selected',
        'per_seed', 'seeds')."""
        self._listeners.append(callback)

    def _emit(self, what: str) -> None:
        for cb in self._listeners:
            cb(what)

    def set_layer(self, name: str, on: bool) -> None:
        """Show or hide one layer on every panel."""
        if name not in LAYERS:
            raise KeyError(name)
        before = set(self.layers)
        (self.layers.add if on else self.layers.discard)(name)
        if self.layers != before:
            self._emit("layers")

    def set_estimator_visible(self, estimator: str, visible: bool) -> None:
        """Show or hide every run of one estimator."""
        before = set(self.hidden_estimators)
        (self.hidden_estimators.discard if visible else self.hidden_estimators.add)(estimator)
        if self.hidden_estimators != before:
            self._emit("estimators")

    def select_run(self, index: int) -> None:
        """Select the run whose equation-1 curves are shown."""
        if index != self.selected_run:
            self.selected_run = index
            self._emit("selected")

    def set_per_seed(self, on: bool) -> None:
        """Curves: one line per seed (True) or one median line with a 10-90 % band per group."""
        if bool(on) != self.per_seed:
            self.per_seed = bool(on)
            self._emit("per_seed")

    def show_seed(self, group: tuple, seed: int) -> None:
        """Let the panel of ``group`` show its run with ``seed``."""
        if self.panel_seeds.get(group) != seed:
            self.panel_seeds[group] = int(seed)
            self._emit("seeds")
