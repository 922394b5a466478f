"""The main window: run panels, curves dock, settings dock, toolbar, status bar.

The training process publishes snapshots (~34 Hz) that a relay thread puts into one slot and
asks the window to draw at once; a ~60 Hz timer draws too (older ones are dropped).
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox

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
from ganviz.core.settings import ConfigError
from ganviz.figures.recorder import (
    GifRecorder,
    RecordingError,
    dot_icon,
    fps_menu,
    indicator_text,
    stack_vertically,
)
from ganviz.gui.files import FileActions, FileHost, settings
from ganviz.gui.help import add_help_action
from ganviz.gui.hint import STARTING, CentredHint
from ganviz.gui.screenfit import (
    CURVES_SHARE,
    clamp_geometry,
    first_geometry,
    is_small_screen,
)
from ganviz.gui.settings import SettingsPanel, labelled
from ganviz.gui.toolbar import TrainingToolbar
from ganviz.gui.training_thread import TrainingThread
from ganviz.live.process import TrainingProcess
from ganviz.views import theme
from ganviz.views.curves import CurvesPanel
from ganviz.views.panel_grid import PanelGrid
from ganviz.views.viewstate import ViewState

RECORD_FPS = 10  # frames per second of wall time captured, and played back (real time)
RECORD_FPS_KEY = "record/fps"
REGRAB_S = 1.0  # while recording an unchanged view, grab it again this often (hover, docks)
LAYOUT_KEY = "window/state"
GEOMETRY_KEY = "window/geometry"
FRAME_MS = 15  # the timer polls the slot at ~60 Hz; training publishes at ~40 Hz
PUBLISH_INTERVAL = 1 / 34
NOTHING_TO_TRAIN = "every estimator is off: switch one on in the toolbar to train"
CLOSE_MS = 700  # closing stops training within this budget (+ at most ~0.1 s)
SAVE_POLL_MS = 100  # how often the window looks whether a recording has been saved
THREAD_LEAVE_MS = 1000  # the relay thread only reads a pipe: under load, wait for it this long
def _names(value: object) -> set[str]:
    """The text items of a stored list (anything else: none)."""
    if not isinstance(value, list | tuple | set):
        return set()
    return {x for x in value if isinstance(x, str)}


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
        self._frame_times: list[float] = []
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
        self.recorder: GifRecorder | None = None
        self.record_action = QAction("&Record", self)
        self.record_action.setCheckable(True)
        self.record_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.record_action.toggled.connect(self._on_record)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.record_action)
        self._build_recording()
        self._build_recording_saver()
        self.confirm_question = self._ask_yes_no  # tests replace it (no modal dialog)
        self.recording_question = self._ask_recording  # likewise
        self.settings.confirm_reset = lambda: self.confirm_discard("Reset")
        self.files = FileActions(FileHost(
            parent=self, send=self.training.send, step=self.shown_step,
            view_state=self.view_state, restore_view=self.restore_view,
            before_open=lambda: self.toolbar.play.setChecked(False),
            status=lambda text: self.statusBar().showMessage(text, 8000),
            quiet=lambda: self.quiet_dialogs, figure=self, use_data=self.use_data,
            confirm_discard=self.confirm_discard,
            data_scale=lambda: self.current_config().data.scale))
        self.files.data_ended = self._data_ended
        self._build_menus()
        self._restore_layout()
        self._build_status()
        # rightmost: the training labels left of it change width, its Cancel must not move
        self.statusBar().addPermanentWidget(self.files.read_indicator)
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
        self.panels.add_mode.connect(self._add_mode)
        self.panels.remove_mode.connect(self._remove_mode)
        self.panels.context_requested.connect(self.files.panel_menu)
        self.files.add_curve_menus()
        dataset = self.settings.field_widget("data.name")
        self._taking_data = False
        dataset.currentTextChanged.connect(self._on_dataset_chosen)

        self.timer = QTimer(self)
        self.timer.setInterval(frame_ms)
        self.timer.timeout.connect(self.draw_newest)
        self.timer.start()
        self.state.subscribe(self._send_layers)
        self._send_layers("layers")
        self.thread.start()

    # ---------------------------------------------------------------- chrome
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.files.build(file_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.record_action)
        file_menu.addMenu(self.record_fps_menu)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        train_menu = bar.addMenu("&Train")
        for action in (self.toolbar.play, self.toolbar.step, self.toolbar.reset):
            train_menu.addAction(action)
        view_menu = bar.addMenu("&View")
        view_menu.addMenu(self.toolbar.layers_menu).setText("Layers")
        view_menu.addAction(self.curves_dock.toggleViewAction())
        view_menu.addAction(self.settings_dock.toggleViewAction())
        help_menu = bar.addMenu("&Help")
        self.help_action = add_help_action(help_menu, self)
        about = QAction("About ganviz", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _build_status(self) -> None:
        self.status_step = QLabel("step 0")
        self.status_rate = QLabel("")
        self.status_device = QLabel("")
        self.status_runs = QLabel("")
        for w in (self.status_step, self.status_rate, self.status_device, self.status_runs):
            self.statusBar().addPermanentWidget(w)

    def _about(self) -> None:
        QMessageBox.about(self, "About ganviz", "ganviz trains GANs with four generator-gradient "
                          "estimators side by side: plug-in (Goodfellow's eq. 1), "
                          "reparameterized with fixed and learned sigma(z), and score function.")

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
        for run in snap.runs:
            hidden = run.spec.estimator in self.state.hidden_estimators
            self.curves.set_run_visible(run.spec.index, not hidden)
        self._update_status(snap)
        self.files.snapshot_drawn(snap.config.data.file or "", snap.error or "")
        if snap.error:
            self.statusBar().showMessage(labelled(snap.error), 8000)
        if snap.notice is not None:
            self.files.handle_notice(snap.notice)
            if isinstance(snap.notice, Opened):  # the session's hidden estimators now rule
                self._send_paused()
        self.frames += 1
        now = time.perf_counter()
        self._frame_times.append(now)
        while self._frame_times and now - self._frame_times[0] > 2.0:
            self._frame_times.pop(0)

    def frames_per_sec(self) -> float:
        """Frames drawn per second over the last two seconds."""
        t = self._frame_times
        return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else 0.0

    def _update_status(self, snap: Snapshot) -> None:
        self.status_step.setText(f"step {snap.step}")
        self.status_rate.setText(f"{snap.steps_per_sec:.0f} steps/s · "
                                 f"{self.frames_per_sec():.0f} frames/s")
        self.status_device.setText(f"{snap.device} · {snap.step_path}")
        self.status_device.setToolTip(snap.step_note or "Which training step runs: the "
                                      "compiled one, or the eager one (while compiling).")
        parts = []
        for run in snap.runs:
            state = "diverged" if run.diverged else ("training" if run.active and snap.running
                                                     else "paused")
            color = theme.ESTIMATOR_COLORS[run.spec.estimator]
            parts.append(f"<span style='color:{color}'>■</span> {state}")
        self.status_runs.setText(" ".join(parts))

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
        state = self.state
        return {"layers": sorted(state.layers), "hidden_estimators":
                sorted(state.hidden_estimators), "selected_run": state.selected_run,
                "per_seed": state.per_seed,
                "shown_runs": sorted(p.run for p in self.panels.panels)}

    def restore_view(self, view: dict) -> None:
        """Apply a session's stored layers, hidden estimators, selected run, the seed each
        panel shows and whether the curves draw every seed.

        Never raises: names this window does not know are ignored, and a selected run that
        is not a run of the current session selects the first one.
        """
        view = view if isinstance(view, dict) else {}
        toolbar = self.toolbar
        layers = _names(view.get("layers")) & set(toolbar.layer_actions)
        if layers:
            for name, action in toolbar.layer_actions.items():
                action.setChecked(name in layers)
        hidden = _names(view.get("hidden_estimators"))
        for est, button in toolbar.estimator_buttons.items():
            button.setChecked(est not in hidden)
        run = view.get("selected_run", 0)
        snap = self.snapshot
        n_runs = len(snap.runs) if snap is not None else 0
        if not isinstance(run, int) or isinstance(run, bool) or not 0 <= run < n_runs:
            run = 0
        self.state.select_run(run)
        self.curves.set_selected_run(self.state.selected_run)
        self.state.set_per_seed(view.get("per_seed") is True)
        shown = view.get("shown_runs")
        for r in shown if isinstance(shown, list) else []:
            if isinstance(r, int) and not isinstance(r, bool) and 0 <= r < n_runs:
                self.panels.show_run(r)

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

    def use_data(self, path: str, columns: list[str]) -> None:
        """Train on a data file from step 0: the data settings become (file, ``path``,
        ``columns``) and training resets; a refused setting raises ConfigError, and then
        nothing changes."""
        cfg = self.current_config().with_overrides(
            {"data": {"name": "file", "file": path, "columns": columns, "centres": []}})
        self.toolbar.play.setChecked(False)
        self._reset(cfg)
        self._taking_data = True  # the form now says "file": that is no new choice
        try:
            self.settings.set_config(cfg)
            self.settings.mark_applied(cfg)
        finally:
            self._taking_data = False

    def _on_apply(self, cfg: Config) -> None:
        self.training.send(Apply(cfg))
        self.settings.mark_applied(cfg)

    def _on_dataset_chosen(self, name: str) -> None:
        """Choosing "custom" starts from the current modes, which clicks then edit; choosing
        "file" while training on something else asks for the file (File > Open Data…)."""
        if name == "file" and not self._taking_data and self.snapshot is not None \
                and self.snapshot.config.data.name != "file":
            QTimer.singleShot(0, self._choose_data_file)  # after the combo box's own signal
            return
        if name != "custom" or self.snapshot is None:
            return
        try:
            self.settings.current_config()
        except ConfigError as exc:
            if exc.field != "data.means":
                return
            real, scale = self.snapshot.real, self.snapshot.config.data.scale
            self.settings.set_modes([[round(float(v) / scale, 4) for v in m] for m in real.modes],
                                    [float(s) / scale for s in real.stds],
                                    [float(w) for w in real.weights])

    def _choose_data_file(self) -> None:
        """Ask for the data file; cancelled (here or while it is read) or refused, the dataset
        box shows the data that trains again (nothing else changed)."""
        if not self.files.open_data():
            self._data_ended(False)

    def _data_ended(self, taken: bool) -> None:
        """An Open Data ended; not taken, a dataset box left at "file" by choosing it there
        goes back to the data that trains."""
        box = self.settings.field_widget("data.name")
        snap = self.snapshot
        if not taken and snap is not None and snap.config.data.name != "file" \
                and box.currentText() == "file":
            box.setCurrentText(snap.config.data.name)

    def _add_mode(self, x: float, y: float) -> None:
        d = self.current_config().data
        std = d.stds[0] if d.stds else d.std
        means = [*map(list, d.means), [round(x, 3), round(y, 3)]]
        stds = [*d.stds, std] if len(d.stds) == len(d.means) and d.stds else list(d.stds)
        weights = [*d.weights, 1.0] if d.weights else []
        self._apply_data({"means": means, "stds": stds, "weights": weights})

    def _remove_mode(self, x: float, y: float) -> None:
        d = self.current_config().data
        if len(d.means) <= 1:
            self.statusBar().showMessage(
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
        try:
            cfg = self.current_config().with_overrides({"data": values})
        except ConfigError as exc:
            self.statusBar().showMessage(labelled(str(exc)), 8000)
            return
        self.training.send(Apply(cfg))
        self.settings.set_config(cfg)
        self.settings.mark_applied(cfg)

    # ------------------------------------------------------------- recording
    def _build_recording_saver(self) -> None:
        """The background saving of recordings and the timer that reports it."""
        self._saver: ThreadPoolExecutor | None = None
        self._saving: list[tuple[Future, GifRecorder, object]] = []
        self.save_timer = QTimer(self)
        self.save_timer.setInterval(SAVE_POLL_MS)
        self.save_timer.timeout.connect(self._report_saved)

    def _build_recording(self) -> None:
        """The Record button's frame-rate menu, its red-dot icon, the capture timer and the
        status bar's "REC" indicator."""
        stored = settings().value(RECORD_FPS_KEY, RECORD_FPS)
        self.record_fps = int(stored) if str(stored).isdigit() else RECORD_FPS
        self.record_fps_menu, self.record_fps_actions = fps_menu(
            self, self.toolbar, self.record_action, self.record_fps, self.set_record_fps)
        self.record_fps = next(f for f, a in self.record_fps_actions.items() if a.isChecked())
        self._rec_icons = {on: dot_icon(on) for on in (False, True)}
        self.record_action.setIcon(self._rec_icons[False])
        self.record_timer = QTimer(self)
        self.record_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.record_timer.timeout.connect(self.capture_frame)
        self._view_changes = 0  # layer, estimator, seed toggles: the view changed, grab it
        self.state.subscribe(lambda _what: setattr(self, "_view_changes", self._view_changes + 1))
        self._grabbed: tuple[tuple[int, int], float] = ((-1, -1), 0.0)  # (what, when)
        self.record_indicator = QLabel()
        self.record_indicator.setObjectName("record-indicator")
        self.record_indicator.setVisible(False)
        self.statusBar().addPermanentWidget(self.record_indicator)
        self._update_record_tooltip()

    def set_record_fps(self, fps: int) -> None:
        """Frames per second for the next recording (captured and played back: real time)."""
        self.record_fps = fps
        self.record_fps_actions[fps].setChecked(True)
        settings().setValue(RECORD_FPS_KEY, fps)
        self._update_record_tooltip()

    def _update_record_tooltip(self) -> None:
        self.record_action.setToolTip(
            f"Record the panels and curves at {self.record_fps} frames/s (Ctrl+Shift+R); it "
            "plays back in real time. The arrow picks the frame rate. Stopping asks where to "
            "save: GIF, WebP (smaller, smoother colours) or APNG, by the file's suffix")

    def _on_record(self, on: bool) -> None:
        self.record_action.setIcon(self._rec_icons[on])
        if on:
            self.recorder = GifRecorder(fps=self.record_fps)
            self._grabbed = ((-1, -1), 0.0)
            self.record_timer.start(round(1000 / self.record_fps))
            self.capture_frame()
            return
        self.record_timer.stop()
        self.record_indicator.setVisible(False)
        recorder, self.recorder = self.recorder, None
        if recorder is None or not len(recorder):
            return
        recorder.finish()
        path = self.files.ask_gif_path()
        if path is not None:
            self.save_recording(recorder, path)

    def capture_frame(self) -> None:
        """Timer slot while recording: add the panels and curves as they are now, timed by
        the wall clock, and update the indicator."""
        recorder = self.recorder
        if recorder is None:  # recording ended
            self.record_timer.stop()
            self.record_indicator.setVisible(False)
            return
        now = time.perf_counter()
        drawn = (self.frames, self._view_changes)
        if drawn == self._grabbed[0] and now - self._grabbed[1] < REGRAB_S:
            recorder.hold(now)  # no new snapshot or view change since the last grab
        elif recorder.add(stack_vertically([self.panels.grab().toImage(),
                                            self.curves.grab().toImage()]),
                          self.shown_step(), at=now):
            self._grabbed = (drawn, now)
        self.record_indicator.setText(indicator_text(recorder))
        self.record_indicator.setVisible(True)

    def save_recording(self, recorder: GifRecorder, path) -> Future:
        """Write the recorded frames (GIF, WebP or APNG by the suffix) on a background
        thread, so the window keeps drawing; the status bar says when it is done, a dialog
        what went wrong, naming the file. :meth:`finish_saving` waits for it."""
        self.statusBar().showMessage(f"saving {len(recorder)} frames to {path} …")
        if self._saver is None:
            self._saver = ThreadPoolExecutor(1, thread_name_prefix="save-recording")
        job = self._saver.submit(recorder.save, path)
        self._saving.append((job, recorder, path))
        self.save_timer.start()
        return job

    def finish_saving(self, timeout: float | None = None) -> None:
        """Wait for the recordings being saved and report each (tests; closing)."""
        for job, _, _ in list(self._saving):
            with contextlib.suppress(Exception):
                job.result(timeout)
        self._report_saved()

    def _report_saved(self) -> None:
        """Timer slot: report the recordings whose saving has ended."""
        for item in [item for item in self._saving if item[0].done()]:
            self._saving.remove(item)
            job, recorder, path = item
            exc = job.exception()
            if exc is None:
                self.statusBar().showMessage(
                    f"saved {path}: {len(recorder)} frames, {recorder.seconds():.1f} s at "
                    f"{recorder.fps:g} frames/s", 6000)
            elif isinstance(exc, OSError | RecordingError):
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                self.files.fail(f"cannot write {path}: {reason}")
            else:
                self.files.fail(f"cannot write {path}: {type(exc).__name__}: {exc}")
        if not self._saving:
            self.save_timer.stop()

    def _settle_recording(self) -> bool:
        """Before the user's close: a recording with frames is saved (its file asked for),
        discarded, or the close is cancelled (False). Tests replace ``recording_question``."""
        recorder = self.recorder
        if recorder is None or not len(recorder) or self.quiet_dialogs:
            return True
        answer = self.recording_question(len(recorder))
        if answer == "cancel":
            return False
        if answer == "save":
            self.record_action.setChecked(False)  # stops, asks for the file and saves
        else:
            self.recorder = None
            self.record_action.setChecked(False)
        return True

    def _ask_recording(self, frames: int) -> str:
        """Save, discard or cancel: what to do with a recording of ``frames`` frames."""
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self, "Recording", f"A recording of {frames} frames is under way. Save it before "
            "closing?", buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        return {buttons.Save: "save", buttons.Discard: "discard"}.get(answer, "cancel")

    def _on_failed(self, message: str) -> None:
        self.starting_hint.hide()
        self.toolbar.play.setChecked(False)
        QMessageBox.critical(self, "ganviz", message)

    # ----------------------------------------------------------------- close
    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the training thread (within a second) before the window goes away; a
        recording under way is offered for saving first (when the user closes)."""
        if event.spontaneous() and not self._settle_recording():
            event.ignore()
            return
        self.timer.stop()
        self.files.close_read()  # a data file being read is dropped (its thread ends in ~0.05 s)
        if self._saving:  # a recording being written is finished, not cut off
            self.finish_saving()
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
