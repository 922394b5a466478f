"""What the window's parts may use of the window, as a Protocol.

The parts the window builds (the data choice, the menus, recording, the session's view)
take the window as a :class:`WindowHost`, so they depend on this list and not on
``window.py``, which imports them: the imports run one way, and the list says what a part
may reach.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget, QMenuBar, QStatusBar

    from ganviz.core.config import Config
    from ganviz.core.contract import Snapshot
    from ganviz.gui.files import FileActions
    from ganviz.gui.settings import SettingsPanel
    from ganviz.gui.toolbar import TrainingToolbar
    from ganviz.live.process import TrainingProcess
    from ganviz.views.curves import CurvesPanel
    from ganviz.views.panel_grid import PanelGrid
    from ganviz.views.viewstate import ViewState


class WindowHost(Protocol):
    """The main window as its parts see it (``gui.window.MainWindow`` is one)."""

    state: ViewState
    training: TrainingProcess
    snapshot: Snapshot | None
    frames: int  # snapshots drawn so far
    panels: PanelGrid
    curves: CurvesPanel
    curves_dock: QDockWidget
    settings: SettingsPanel
    settings_dock: QDockWidget
    toolbar: TrainingToolbar
    files: FileActions
    quiet_dialogs: bool  # failures go to the status bar only (tests)

    def current_config(self) -> Config:
        """The config the next Apply or Reset would use."""

    def shown_step(self) -> int:
        """The step of the snapshot on screen."""

    def statusBar(self) -> QStatusBar: ...

    def menuBar(self) -> QMenuBar: ...

    def close(self) -> bool: ...
