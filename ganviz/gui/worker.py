"""The training thread: a thin QThread that relays the training process's snapshots.

Training itself runs in a child process (see ``ganviz.remote``: drawing and training on
threads of one interpreter fought over the GIL); this thread only moves the newest
snapshot into the window's slot and reports a failure once.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread, Signal

from ganviz.remote import SessionProcess


class TrainingThread(QThread):
    """Starts the training process, receives its snapshots until :meth:`stop`."""

    failed = Signal(str)

    def __init__(self, session: SessionProcess, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self._stop = threading.Event()

    def run(self) -> None:
        """Thread body (do not call directly: use ``start()``)."""
        while not self._stop.is_set():
            message = self.session.receive(timeout=0.05)
            if message:
                self.failed.emit(message)
                return
            if message == "" and not self._stop.is_set():
                self.failed.emit("training process ended unexpectedly")
                return

    def stop(self, timeout_ms: int = 1000) -> bool:
        """Stop the training process and this thread; True when both have ended."""
        self._stop.set()
        process_done = self.session.stop(timeout_ms / 1000)
        return self.wait(timeout_ms) and process_done
