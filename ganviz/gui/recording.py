"""The window's recorder: the Record button and its frame-rate menu, the capture timer, the
status bar's "REC" indicator, and the saving of a recording on a background thread.

One :class:`Recording` belongs to one window; it grabs the window's run panels and curves
while recording, and asks where to save when the recording stops (or the window closes).
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMessageBox

from ganviz.figures.recorder import (
    GifRecorder,
    RecordingError,
    dot_icon,
    fps_menu,
    indicator_text,
    save_filter,
    stack_vertically,
)
from ganviz.gui.filedialogs import settings

if TYPE_CHECKING:
    from ganviz.gui.host import WindowHost

RECORD_FPS = 10  # frames per second of wall time captured, and played back (real time)
RECORD_FPS_KEY = "record/fps"
REGRAB_S = 1.0  # while recording an unchanged view, grab it again this often (hover, docks)
SAVE_POLL_MS = 100  # how often the window looks whether a recording has been saved


class Recording:
    """Records the window's panels and curves as an animated image (GIF, WebP or APNG).

    Adds the Record action to the window's toolbar and its indicator to the status bar; the
    window adds the action and :attr:`record_fps_menu` to its File menu.
    """

    def __init__(self, window: WindowHost) -> None:
        self.window = window
        self.recorder: GifRecorder | None = None
        self.record_action = QAction("&Record", window)
        self.record_action.setCheckable(True)
        self.record_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.record_action.toggled.connect(self._on_record)
        window.toolbar.addSeparator()
        window.toolbar.addAction(self.record_action)
        self.recording_question = self._ask_recording  # tests replace it (no modal dialog)
        self.ask_path = self._ask_path  # likewise: where to save (None: not saved)
        self._build_recording()
        self._build_saver()

    def _build_recording(self) -> None:
        """The Record button's frame-rate menu, its red-dot icon, the capture timer and the
        status bar's "REC" indicator."""
        window = self.window
        stored = settings().value(RECORD_FPS_KEY, RECORD_FPS)
        self.record_fps = int(stored) if str(stored).isdigit() else RECORD_FPS
        self.record_fps_menu, self.record_fps_actions = fps_menu(
            window, window.toolbar, self.record_action, self.record_fps, self.set_record_fps)
        self.record_fps = next(f for f, a in self.record_fps_actions.items() if a.isChecked())
        self._rec_icons = {on: dot_icon(on) for on in (False, True)}
        self.record_action.setIcon(self._rec_icons[False])
        self.record_timer = QTimer(window)
        self.record_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.record_timer.timeout.connect(self.capture_frame)
        self._view_changes = 0  # layer, estimator, seed toggles: the view changed, grab it
        window.state.subscribe(
            lambda _what: setattr(self, "_view_changes", self._view_changes + 1))
        self._grabbed: tuple[tuple[int, int], float] = ((-1, -1), 0.0)  # (what, when)
        self.record_indicator = QLabel()
        self.record_indicator.setObjectName("record-indicator")
        self.record_indicator.setVisible(False)
        window.statusBar().addPermanentWidget(self.record_indicator)
        self._update_record_tooltip()

    def _build_saver(self) -> None:
        """The background saving of recordings and the timer that reports it."""
        self._saver: ThreadPoolExecutor | None = None
        self._saving: list[tuple[Future, GifRecorder, object]] = []
        self.save_timer = QTimer(self.window)
        self.save_timer.setInterval(SAVE_POLL_MS)
        self.save_timer.timeout.connect(self._report_saved)

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
        path = self.ask_path()
        if path is not None:
            self.save_recording(recorder, path)

    def _ask_path(self) -> Path | None:
        """Ask where to save a recording (GIF, WebP or APNG by the suffix)."""
        dialogs = self.window.files.dialogs
        return dialogs.ask("Save recording", dialogs.name("training", ".gif"), save_filter())

    def capture_frame(self) -> None:
        """Timer slot while recording: add the panels and curves as they are now, timed by
        the wall clock, and update the indicator."""
        recorder, window = self.recorder, self.window
        if recorder is None:  # recording ended
            self.record_timer.stop()
            self.record_indicator.setVisible(False)
            return
        now = time.perf_counter()
        drawn = (window.frames, self._view_changes)
        if drawn == self._grabbed[0] and now - self._grabbed[1] < REGRAB_S:
            recorder.hold(now)  # no new snapshot or view change since the last grab
        elif recorder.add(stack_vertically([window.panels.grab().toImage(),
                                            window.curves.grab().toImage()]),
                          window.shown_step(), at=now):
            self._grabbed = (drawn, now)
        self.record_indicator.setText(indicator_text(recorder))
        self.record_indicator.setVisible(True)

    def save_recording(self, recorder: GifRecorder, path) -> Future:
        """Write the recorded frames (GIF, WebP or APNG by the suffix) on a background
        thread, so the window keeps drawing; the status bar says when it is done, a dialog
        what went wrong, naming the file. :meth:`finish_saving` waits for it."""
        self.window.statusBar().showMessage(f"saving {len(recorder)} frames to {path} …")
        if self._saver is None:
            self._saver = ThreadPoolExecutor(1, thread_name_prefix="save-recording")
        job = self._saver.submit(recorder.save, path)
        self._saving.append((job, recorder, path))
        self.save_timer.start()
        return job

    def saving(self) -> bool:
        """Whether a recording is being written."""
        return bool(self._saving)

    def finish_saving(self, timeout: float | None = None) -> None:
        """Wait for the recordings being saved and report each (tests; closing)."""
        for job, _, _ in list(self._saving):
            with contextlib.suppress(Exception):
                job.result(timeout)
        self._report_saved()

    def _report_saved(self) -> None:
        """Timer slot: report the recordings whose saving has ended."""
        fail = self.window.files.dialogs.fail
        for item in [item for item in self._saving if item[0].done()]:
            self._saving.remove(item)
            job, recorder, path = item
            exc = job.exception()
            if exc is None:
                self.window.statusBar().showMessage(
                    f"saved {path}: {len(recorder)} frames, {recorder.seconds():.1f} s at "
                    f"{recorder.fps:g} frames/s", 6000)
            elif isinstance(exc, OSError | RecordingError):
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                fail(f"cannot write {path}: {reason}")
            else:
                fail(f"cannot write {path}: {type(exc).__name__}: {exc}")
        if not self._saving:
            self.save_timer.stop()

    def settle(self) -> bool:
        """Before the user's close: a recording with frames is saved (its file asked for),
        discarded, or the close is cancelled (False). Tests replace ``recording_question``."""
        recorder = self.recorder
        if recorder is None or not len(recorder) or self.window.quiet_dialogs:
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
            self.window, "Recording", f"A recording of {frames} frames is under way. Save it "
            "before closing?", buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        return {buttons.Save: "save", buttons.Discard: "discard"}.get(answer, "cancel")
