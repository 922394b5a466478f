"""The training thread: a thin QThread that relays the training process's snapshots.

Training itself runs in a child process (see ``ganviz.live.process``: drawing and training on
threads of one interpreter fought over the GIL); this thread only moves the newest
snapshot into the window's slot and reports a failure once.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QThread, Signal

from ganviz.live.process import TrainingProcess

THREAD_WAIT_MS = 200  # the relay thread polls every 50 ms
KILL_RESERVE = 0.2  # seconds kept for terminate and kill, 0.1 s each


class TrainingThread(QThread):
    """Starts the training process, receives its snapshots until :meth:`stop`."""

    failed = Signal(str)
    arrived = Signal()  # a snapshot is in the slot: the window draws it now, not at its next poll

    def __init__(self, process: TrainingProcess, parent=None) -> None:
        super().__init__(parent)
        self.process = process
        self._stop = threading.Event()

    def run(self) -> None:
        """Thread body (do not call directly: use ``start()``)."""
        while not self._stop.is_set():
            received = self.process.received
            ended = self.process.receive(timeout=0.05)
            if ended is None:
                if self.process.received != received:
                    self.arrived.emit()
                continue
            if not self._stop.is_set():
                self.failed.emit(ended.error or "training process ended unexpectedly")
            return

    def stop(self, timeout_ms: int = 700) -> bool:
        """Stop this thread and the training process within about ``timeout_ms``.

        True when both have ended. The thread goes first (it reads the pipe only between
        snapshots, so it leaves within one poll); then the process, which gets what is
        left of the budget, less ``KILL_RESERVE``, to leave by itself while its pipe is
        drained, before it is terminated.
        """
        start = time.monotonic()
        self._stop.set()  # first, so that the child's exit is not reported as a failure
        self.process.request_stop()
        thread_done = self.wait(min(timeout_ms, THREAD_WAIT_MS))
        left = timeout_ms / 1000 - (time.monotonic() - start) - KILL_RESERVE
        process_done = self.process.stop(max(left, 0.0), drain=thread_done)
        return (thread_done or self.wait(THREAD_WAIT_MS)) and process_done
