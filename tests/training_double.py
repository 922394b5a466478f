"""The window's training process as a thread of the test process (window tests only).

The window talks to its training process through five calls (``start``, ``send``,
``receive``, ``request_stop``, ``stop``) and a count of snapshots ``received``
(:class:`ganviz.live.process.TrainingProcess`). This double runs the same
:class:`~ganviz.live.loop.TrainingLoop` on a thread and passes its snapshots through the
same encoder and decoder, so a window test sees what the process would send, without
starting a process and importing torch in it for every test. The tests of the process
itself (closing, the torch-free window, the command line) start the real one.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from ganviz.core.config import Config
from ganviz.core.contract import Command, LatestSlot, TrainingEnded
from ganviz.live.loop import TrainingLoop
from ganviz.live.process import _Decoder, _Encoder


class _Outbox(LatestSlot):
    """The loop's slot: every snapshot, encoded as the process would send it, in order."""

    def __init__(self, out: queue.SimpleQueue) -> None:
        super().__init__()
        self.out = out
        self.encoder = _Encoder()

    def put(self, item: Any) -> None:
        self.out.put(self.encoder.encode(item))


class ThreadedTraining:
    """:class:`ganviz.live.process.TrainingProcess`'s interface, its loop on a thread."""

    def __init__(self, cfg: Config, slot: LatestSlot, *, frame_interval: float = 1 / 40,
                 leave_core_for_gui: bool = True) -> None:
        self.cfg = cfg
        self.slot = slot
        self._out: queue.SimpleQueue = queue.SimpleQueue()
        self._stop = threading.Event()
        self._decoder = _Decoder()
        self._error: str | None = None
        self.received = 0  # snapshots moved into the slot so far
        self.loop = TrainingLoop(cfg, _Outbox(self._out), frame_interval=frame_interval,
                                 leave_core_for_gui=leave_core_for_gui)
        self._thread = threading.Thread(target=self._run, name="training (test double)",
                                        daemon=True)
        self.process = self._thread  # what tests ask of the process: is_alive()

    def _run(self) -> None:
        try:
            self.loop.run(self._stop)
        except Exception as exc:  # reported like the process reports it
            self._error = f"training stopped: {type(exc).__name__}: {exc}"

    def start(self) -> None:
        self._thread.start()

    def send(self, command: Command) -> None:
        self.loop.commands.put(command)

    def receive(self, timeout: float) -> TrainingEnded | None:
        try:
            message = self._out.get(timeout=timeout)
        except queue.Empty:
            return None if self._thread.is_alive() else TrainingEnded(self._error or "")
        self.slot.put(self._decoder.decode(message))  # every message, in order: parts
        self.received += 1  # are sent only when they change
        return None

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self, timeout: float = 0.6, *, drain: bool = True) -> bool:
        self._stop.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()
