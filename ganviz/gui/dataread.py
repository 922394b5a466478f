"""Reading a user's file off the GUI thread, and the status bar's "reading …" indicator.

File > Open Data reads and checks a file of up to ten million rows (seconds of numpy) or one
on a slow mount. :class:`BackgroundRead` runs such a job on a daemon thread, so the window keeps
drawing; its outcome reaches the GUI thread as a queued signal. ``cancel()`` makes the job's
``stop`` answer True, which ends the read between blocks (ganviz.data.datafile), so closing the
window never waits for a whole file; a cancelled read delivers nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

Job = Callable[[Callable[[float], bool]], Any]  # stop(fraction read) -> whether to end


class BackgroundRead(QObject):
    """``job(stop)`` on a daemon thread. Its result, or the exception it raised, is handed to
    ``on_done`` on the GUI thread; the fraction read so far to ``on_progress``. Neither is
    called once :meth:`cancel` has been."""

    _finished = Signal(object)
    _progressed = Signal(float)

    def __init__(self, job: Job, on_done: Callable[[Any], None],
                 on_progress: Callable[[float], None] | None = None,
                 name: str = "read-file") -> None:
        super().__init__()  # no parent: the thread keeps this object alive while it runs
        self._job = job
        self._on_done = on_done
        self._on_progress = on_progress
        self._stop = threading.Event()
        self._percent = -1  # the last whole percent reported
        # both are emitted on the worker thread and received here, on the GUI thread: queued
        self._finished.connect(self._deliver)
        self._progressed.connect(self._report)
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> BackgroundRead:
        """Start the job; returns self."""
        self.thread.start()
        return self

    def cancel(self) -> None:
        """End the job at its next block and drop its outcome."""
        self._stop.set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` has been called."""
        return self._stop.is_set()

    def running(self) -> bool:
        """Whether the worker thread is still alive."""
        return self.thread.is_alive()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the thread to end; whether it has."""
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def _should_stop(self, fraction: float) -> bool:
        if self._stop.is_set():
            return True
        percent = int(100 * fraction)
        if percent != self._percent:  # at most ~100 signals, however small the blocks
            self._percent = percent
            self._progressed.emit(float(fraction))
        return False

    def _run(self) -> None:
        try:
            outcome = self._job(self._should_stop)
        except Exception as exc:  # the GUI thread says what went wrong
            outcome = exc
        if not self._stop.is_set():
            self._finished.emit(outcome)

    @Slot(object)
    def _deliver(self, outcome: Any) -> None:
        if not self._stop.is_set():
            self._on_done(outcome)

    @Slot(float)
    def _report(self, fraction: float) -> None:
        if not self._stop.is_set() and self._on_progress is not None:
            self._on_progress(fraction)


class ReadIndicator(QWidget):
    """In the status bar while a file is read: its name, how much is read, and Cancel; then,
    while the training process loads the file it was given, a busy bar alone."""

    def __init__(self, on_cancel: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("read-indicator")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setFixedWidth(120)
        self.bar.setTextVisible(True)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop reading this file (nothing changes)")
        self.cancel_button.clicked.connect(on_cancel)
        for w in (self.label, self.bar, self.cancel_button):
            row.addWidget(w)
        self.setVisible(False)

    def begin(self, path: str, name: str) -> None:
        """Show the indicator for the file ``name`` (at ``path``), at 0 %."""
        self.label.setText(f"reading {name} …")
        self.setToolTip(path)
        self.bar.setRange(0, 100)
        self.bar.setValue(0)
        self.cancel_button.setVisible(True)
        self.setVisible(True)

    def loading(self, name: str) -> None:
        """The file ``name`` is checked and handed over: training loads it (no Cancel)."""
        self.label.setText(f"loading {name} for training …")
        self.bar.setRange(0, 0)  # busy: the training process says nothing until it is done
        self.cancel_button.setVisible(False)
        self.setVisible(True)

    def set_fraction(self, fraction: float) -> None:
        """How much of the file is read (0 to 1)."""
        self.bar.setValue(round(100 * min(max(fraction, 0.0), 1.0)))

    def end(self) -> None:
        """Hide the indicator."""
        self.setVisible(False)
