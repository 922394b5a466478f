"""The data the runs train on, as the window changes it: the Settings dock's dataset box
("custom" starts from the current modes, "file" asks for a file), clicks on a run panel that
add or remove a custom mode, and a data file that File > Open Data read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from ganviz.core.contract import Apply, Reset
from ganviz.core.settings import ConfigError
from ganviz.gui.settings_form import labelled

if TYPE_CHECKING:
    from ganviz.gui.host import WindowHost


class DataChoice:
    """Turns the window's data edits into settings and commands for the training process."""

    def __init__(self, window: WindowHost) -> None:
        self.window = window
        self._taking_data = False
        window.settings.field_widget("data.name").currentTextChanged.connect(self.chosen)
        window.panels.add_mode.connect(self.add_mode)
        window.panels.remove_mode.connect(self.remove_mode)

    def use_data(self, path: str, columns: list[str]) -> None:
        """Train on a data file from step 0: the data settings become (file, ``path``,
        ``columns``) and training resets; a refused setting raises ConfigError, and then
        nothing changes."""
        w = self.window
        cfg = w.current_config().with_overrides(
            {"data": {"name": "file", "file": path, "columns": columns, "centres": []}})
        w.toolbar.play.setChecked(False)
        w.training.send(Reset(cfg))
        self._taking_data = True  # the form now says "file": that is no new choice
        try:
            w.settings.set_config(cfg)
            w.settings.mark_applied(cfg)
        finally:
            self._taking_data = False

    def chosen(self, name: str) -> None:
        """Choosing "custom" starts from the current modes, which clicks then edit; choosing
        "file" while training on something else asks for the file (File > Open Data…)."""
        snap, settings = self.window.snapshot, self.window.settings
        if name == "file" and not self._taking_data and snap is not None \
                and snap.config.data.name != "file":
            QTimer.singleShot(0, self._choose_data_file)  # after the combo box's own signal
            return
        if name != "custom" or snap is None:
            return
        try:
            settings.current_config()
        except ConfigError as exc:
            if exc.field != "data.means":
                return
            real, scale = snap.real, snap.config.data.scale
            settings.set_modes([[round(float(v) / scale, 4) for v in m] for m in real.modes],
                               [float(s) / scale for s in real.stds],
                               [float(w) for w in real.weights])

    def _choose_data_file(self) -> None:
        """Ask for the data file; cancelled (here or while it is read) or refused, the dataset
        box shows the data that trains again (nothing else changed)."""
        if not self.window.files.data.open_data():
            self.data_ended(False)

    def data_ended(self, taken: bool) -> None:
        """An Open Data ended; not taken, a dataset box left at "file" by choosing it there
        goes back to the data that trains."""
        box = self.window.settings.field_widget("data.name")
        snap = self.window.snapshot
        if not taken and snap is not None and snap.config.data.name != "file" \
                and box.currentText() == "file":
            box.setCurrentText(snap.config.data.name)

    def add_mode(self, x: float, y: float) -> None:
        """A click on a run panel adds a custom mode at (x, y)."""
        d = self.window.current_config().data
        std = d.stds[0] if d.stds else d.std
        means = [*map(list, d.means), [round(x, 3), round(y, 3)]]
        stds = [*d.stds, std] if len(d.stds) == len(d.means) and d.stds else list(d.stds)
        weights = [*d.weights, 1.0] if d.weights else []
        self._apply_data({"means": means, "stds": stds, "weights": weights})

    def remove_mode(self, x: float, y: float) -> None:
        """A click on a run panel removes the custom mode nearest (x, y), never the last."""
        d = self.window.current_config().data
        if len(d.means) <= 1:
            self.window.statusBar().showMessage(
                labelled("data.means: a custom dataset keeps at least one mode"), 5000)
            return
        k = min(range(len(d.means)), key=lambda i: (d.means[i][0] - x) ** 2 +
                (d.means[i][1] - y) ** 2)
        keep = [i for i in range(len(d.means)) if i != k]
        stds = [d.stds[i] for i in keep] if len(d.stds) == len(d.means) else list(d.stds)
        weights = [d.weights[i] for i in keep] if d.weights else []
        self._apply_data({"means": [d.means[i] for i in keep], "stds": stds,
                          "weights": weights})

    def _apply_data(self, values: dict) -> None:
        w = self.window
        try:
            cfg = w.current_config().with_overrides({"data": values})
        except ConfigError as exc:
            w.statusBar().showMessage(labelled(str(exc)), 8000)
            return
        w.training.send(Apply(cfg))
        w.settings.set_config(cfg)
        w.settings.mark_applied(cfg)
