"""The main window: run panels, curves dock, settings dock, toolbar, status bar.

The training process publishes snapshots (~34 Hz) that a relay thread puts into one slot and
asks the window to draw at once; a ~60 Hz timer draws too (older ones are dropped). The
window owns its parts and wires them: the menus (:mod:`ganviz.gui.menus`), the status bar's
training state (:mod:`ganviz.gui.training_status`), the recorder
(:mod:`ganviz.gui.recording`), the file actions (:mod:`ganviz.gui.files`) and the data edits
(:mod:`ganviz.gui.datachoice`).
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QResizeEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox

from ganviz.core.config import Config
from ganviz.core.contract import (
    Apply,
    LatestSlot,
    Opened,
    Pause,
    PauseEstimators,
    Play,
    Reset,
    ShowLayers,
    Snapshot,
    Speed,
    Step,
)
from ganviz.gui import sessionview
from ganviz.gui.datachoice import DataChoice
from ganviz.gui.filedialogs import FileHost, settings
from ganviz.gui.files import FileActions
from ganviz.gui.hint import STARTING, CentredHint
from ganviz.gui.menus import build_menus
from ganviz.gui.recording import Recording
from ganviz.gui.screenfit import (
    CURVES_SHARE,
    clamp_geometry,
    first_geometry,
    is_small_screen,
)
from ganviz.gui.settings import SettingsPanel
from ganviz.gui.settings_form import labelled
from ganviz.gui.toolbar import TrainingToolbar
from ganviz.gui.training_status import TrainingStatus
from ganviz.gui.training_thread import TrainingThread
from ganviz.live.process import TrainingProcess
from ganviz.views.curves import CurvesPanel
from ganviz.views.panel_grid import PanelGrid
from ganviz.views.viewstate import ViewState

LAYOUT_KEY = "window/state"
GEOMETRY_KEY = "window/geometry"
FRAME_MS = 15  # the timer polls the slot at ~60 Hz; training publishes at ~40 Hz
PUBLISH_INTERVAL = 1 / 34
NOTHING_TO_TRAIN = "every estimator is off: switch one on in the toolbar to train"
CLOSE_MS = 700  # closing stops training within this budget (+ at most ~0.1 s)
THREAD_LEAVE_MS = 1000  # the relay thread only reads a pipe: under load, wait for it this long


class MainWindow(QMainWindow):
    """ganviz's window; owns the training thread and stops it on close."""

    def __init__(self, cfg: Config, *, frame_ms: int = FRAME_MS) -> None:
        super().__init__()
        self.setWindowTitle("ganviz — learned vs fixed generator variance")
        self.state = ViewState.default()
        self.slot = LatestSlot()
        self.training = TrainingProcess(cfg, self.slot, frame_interval=PUBLISH_INTERVAL)
        self.training.start()
        self.thread = TrainingThread(self.training)
        self.thread.failed.connect(self._on_failed)
        self.thread.arrived.connect(self.draw_newest)  # queued: drawn on the GUI thread
        self.snapshot: Snapshot | None = None
        self.frames = 0
        self._runs_key: tuple = ()

        self.panels = PanelGrid(self.state)
        self.setCentralWidget(self.panels)
        self.curves = CurvesPanel(state=self.state)
        self.curves_dock = QDockWidget("Curves", self)
        self.curves_dock.setObjectName("curves-dock")
        self.curves_dock.setWidget(self.curves)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.curves_dock)
        self.settings = SettingsPanel(cfg)
        self.settings_dock = QDockWidget("Settings", self)
        self.settings_dock.setObjectName("settings-dock")
        self.settings_dock.setWidget(self.settings)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.settings_dock)
        self.toolbar = TrainingToolbar(self.state, self)
        self.addToolBar(self.toolbar)
        self.quiet_dialogs = False  # tests set True: failures go to the status bar only
        self.recording = Recording(self)  # its Record button ends the toolbar
        self.confirm_question = self._ask_yes_no  # tests replace it (no modal dialog)
        self.settings.confirm_reset = lambda: self.confirm_discard("Reset")
        self.data = DataChoice(self)
        self.files = FileActions(FileHost(
            parent=self, send=self.training.send, step=self.shown_step,
            view_state=self.view_state, restore_view=self.restore_view,
            before_open=lambda: self.toolbar.play.setChecked(False),
            status=lambda text: self.statusBar().showMessage(text, 8000),
            quiet=lambda: self.quiet_dialogs, figure=self, use_data=self.data.use_data,
            confirm_discard=self.confirm_discard,
            data_scale=lambda: self.current_config().data.scale))
        self.files.data.data_ended = self.data.data_ended
        self.help_action = build_menus(self, self.recording)
        self._restore_layout()
        self.training_status = TrainingStatus(self.statusBar())
        # rightmost: the training labels left of it change width, its Cancel must not move
        self.statusBar().addPermanentWidget(self.files.data.read_indicator)
        self.starting_hint = CentredHint(STARTING, self.panels, self)
        self.statusBar().showMessage(STARTING)

        self.toolbar.play_toggled.connect(self._on_play)
        self.toolbar.step_requested.connect(self._on_step)
        self.toolbar.reset_requested.connect(self._reset_current)
        self.toolbar.speed_changed.connect(lambda n: self.training.send(Speed(n)))
        self.toolbar.estimator_toggled.connect(self._on_estimator)
        self.settings.apply_requested.connect(self._on_apply)
        self.settings.reset_requested.connect(self._reset)
        self.panels.hovered.connect(lambda text: self.statusBar().showMessage(text, 4000))
        self.panels.selected.connect(self.curves.set_selected_run)
        self.panels.context_requested.connect(self.files.exports.panel_menu)
        self.files.exports.add_curve_menus()

        self.timer = QTimer(self)
        self.timer.setInterval(frame_ms)
        self.timer.timeout.connect(self.draw_newest)
        self.timer.start()
        self.state.subscribe(self._send_layers)
        self._send_layers("layers")
        self.thread.start()

    # ---------------------------------------------------------------- frames
    def draw_newest(self) -> None:
        """Timer slot: draw the newest snapshot, if there is one."""
        snap = self.slot.take()
        if snap is None:
            return
        if self.snapshot is None:  # the training process is up: the hint has done its job
            self.starting_hint.hide()
            if self.statusBar().currentMessage() == STARTING:
                self.statusBar().clearMessage()
        self.snapshot = snap
        key = tuple(r.spec for r in snap.runs)
        if key != self._runs_key:
            self._runs_key = key
            self.panels.set_runs(key)
            self.curves.clear()
            self.toolbar.set_available({s.estimator for s in key})
            self.settings.mark_applied(snap.config)
            if self.state.selected_run >= len(key):  # fewer runs than before: back to the first
                self.state.select_run(0)
                self.curves.set_selected_run(0)
        self.panels.edit_modes = snap.config.data.name == "custom"
        self.panels.update_snapshot(snap)
        self.curves.update_snapshot(snap)
        self.curves.hide_estimators(self.state.hidden_estimators)
        self.training_status.update(snap)
        self.files.data.snapshot_drawn(snap.config.data.file or "", snap.error or "")
        if snap.error:
            self.statusBar().showMessage(labelled(snap.error), 8000)
        if snap.notice is not None:
            self.files.handle_notice(snap.notice)
            if isinstance(snap.notice, Opened):  # the session's hidden estimators now rule
                self._send_paused()
        self.frames += 1
        self.training_status.frame_drawn()

    # -------------------------------------------------------------- actions
    def _on_step(self) -> None:
        self.toolbar.play.setChecked(False)
        self.training.send(Step(1))
        self._hint_if_all_paused()

    def _on_play(self, on: bool) -> None:
        self.training.send(Play() if on else Pause())
        if on:
            self._hint_if_all_paused()

    def _hint_if_all_paused(self) -> None:
        """Say why Step and Play do nothing when every estimator of the runs is off."""
        snap = self.snapshot
        if snap is not None and all(r.spec.estimator in self.state.hidden_estimators
                                    for r in snap.runs):
            self.statusBar().showMessage(NOTHING_TO_TRAIN, 6000)

    def _on_estimator(self, estimator: str, on: bool) -> None:
        """A toolbar toggle: the training process pauses the hidden estimators' runs."""
        self._send_paused()

    def _send_layers(self, what: str) -> None:
        """Tell the training process which layers are drawn: it leaves out the views of
        hidden ones (the D map alone costs most of a views refresh)."""
        if what == "layers":
            self.training.send(ShowLayers(frozenset(self.state.layers)))

    def _send_paused(self) -> None:
        """Tell the training process which estimators are hidden; it keeps them paused,
        through resets too, so the toolbar, the panels and the runs always agree."""
        self.training.send(PauseEstimators(frozenset(self.state.hidden_estimators)))

    def current_config(self) -> Config:
        """The configuration the training process runs now."""
        return self.snapshot.config if self.snapshot is not None else self.training.cfg

    def shown_step(self) -> int:
        """The step of the snapshot on screen (0 before the first)."""
        return self.snapshot.step if self.snapshot is not None else 0

    def view_state(self) -> dict:
        """What the window shows, stored in a session file."""
        return sessionview.view_state(self)

    def restore_view(self, view: dict) -> None:
        """Apply a session's stored view (:func:`ganviz.gui.sessionview.restore_view`)."""
        sessionview.restore_view(self, view)

    def _reset_current(self) -> None:
        if self.confirm_discard("Reset"):
            self._reset(self.current_config())

    def confirm_discard(self, action: str) -> bool:
        """Whether to go on with ``action`` (Reset, Open Data, Open Session), which throws the
        training so far away: asked only once training has run (the shown step > 0) and
        never with ``quiet_dialogs``."""
        step = self.shown_step()
        if step == 0 or self.quiet_dialogs:
            return True
        return self.confirm_question(
            f"{action}?", f"{action} discards the {step:,} training steps so far "
            "(File > Save Session keeps them). Go on?")

    def _ask_yes_no(self, title: str, text: str) -> bool:
        """A Yes/No question; No is the default."""
        answer = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Yes |
                                      QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _reset(self, cfg: Config) -> None:
        self.training.send(Reset(cfg))

    def _on_apply(self, cfg: Config) -> None:
        self.training.send(Apply(cfg))
        self.settings.mark_applied(cfg)

    def _on_failed(self, message: str) -> None:
        self.starting_hint.hide()
        self.toolbar.play.setChecked(False)
        QMessageBox.critical(self, "ganviz", message)

    # ----------------------------------------------------------------- close
    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the training thread (within a second) before the window goes away; a
        recording under way is offered for saving first (when the user closes)."""
        if event.spontaneous() and not self.recording.settle():
            event.ignore()
            return
        self.timer.stop()
        self.files.data.close_read()  # a data file being read is dropped (its thread: ~0.05 s)
        if self.recording.saving():  # a recording being written is finished, not cut off
            self.recording.finish_saving()
        if not self.thread.stop(CLOSE_MS):  # the process gets ~0.45 s to leave, then is ended
            self.thread.wait(THREAD_LEAVE_MS)  # a QThread destroyed while running aborts
        self.panels.dispose()
        self.curves.dispose()
        store = settings()
        store.setValue(self.layout_key(), self.saveState())
        store.setValue(GEOMETRY_KEY, self.saveGeometry())
        event.accept()

    def _restore_layout(self) -> None:
        """Dock and toolbar layout and window geometry from the last session."""
        store = settings()
        geometry, state = store.value(GEOMETRY_KEY), store.value(self.layout_key())
        self.restored_geometry = geometry is not None and self.restoreGeometry(geometry)
        self.restored_layout = state is not None and self.restoreState(state)

    def layout_key(self) -> str:
        """Where the dock and toolbar layout is stored: one layout for small screens and one
        for large ones, so a Settings dock opened on a desktop does not squeeze a laptop's
        panels."""
        screen = self.screen()
        if screen is None:
            return LAYOUT_KEY
        g = screen.availableGeometry()
        small = is_small_screen((g.x(), g.y(), g.width(), g.height()))
        return f"{LAYOUT_KEY}-small" if small else LAYOUT_KEY

    # ---------------------------------------------------------------- screen
    def fit_to_screen(self, available: QRect | None = None, *,
                      first_launch: bool | None = None) -> None:
        """Place the window on a screen whose available area is ``available`` (default: the
        screen the window is on). A first launch takes most of the screen, starts with the
        Settings dock hidden on a small screen (View > Settings shows it) and gives the
        curves about a third of the height; a later launch keeps its saved geometry, clamped
        to the screen, and the layout last left on a screen of this size class.
        ``first_launch`` forces either (default: a first launch when no geometry was saved)."""
        if available is None:
            screen = self.screen()
            if screen is None:
                return
            available = screen.availableGeometry()
        area = (available.x(), available.y(), available.width(), available.height())
        first = not self.restored_geometry if first_launch is None else first_launch
        if not first and self.isMaximized():
            return
        if not first:
            g = self.geometry()
            rect = clamp_geometry((g.x(), g.y(), g.width(), g.height()), area)
        else:
            rect = first_geometry(area)
        self.setGeometry(QRect(*rect))
        if first_launch or not self.restored_layout:  # no layout saved for this screen size
            self.settings_dock.setVisible(not is_small_screen(area))
            self.resizeDocks([self.curves_dock], [round(CURVES_SHARE * rect[3])],
                             Qt.Orientation.Vertical)
        self._fit_toolbar()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """A narrow window makes the toolbar compact rather than hide actions."""
        super().resizeEvent(event)
        self._fit_toolbar()

    def _fit_toolbar(self) -> None:
        margins = self.contentsMargins()
        room = self.width() - margins.left() - margins.right() - 8
        self.toolbar.set_compact(self.toolbar.full_width() > room)
