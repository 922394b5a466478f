"""The training thread: a thin QThread shell around the engine's LiveSession."""

from __future__ import annotations

import threading
import traceback

from PySide6.QtCore import QThread, Signal

from ganviz.live import LiveSession


class TrainingThread(QThread):
    """Runs ``session.run`` until :meth:`stop`; reports a crash once through ``failed``."""

    failed = Signal(str)

    def __init__(self, session: LiveSession, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self._stop = threading.Event()

    def run(self) -> None:
        """Thread body (do not call directly: use ``start()``)."""
        try:
            self.session.run(self._stop)
        except Exception as exc:  # report, never kill the GUI
            traceback.print_exc()
            self.failed.emit(f"training stopped: {type(exc).__name__}: {exc}")

    def stop(self, timeout_ms: int = 1000) -> bool:
        """Ask the loop to end and wait for it; True when the thread has finished."""
        self._stop.set()
        return self.wait(timeout_ms)
