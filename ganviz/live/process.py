"""The training loop in its own process, so drawing never competes with training for the GIL.

With training on a thread beside the drawing thread, every torch op the trainer dispatches
waits for the interpreter lock the GUI holds while it paints, and training runs well below
its headless rate (docs/performance.md). A child process has its own
interpreter: it runs :class:`~ganviz.live.loop.TrainingLoop` exactly as a thread would and sends
its snapshots through a pipe; the parent keeps only the newest one (``LatestSlot``).
No Qt and no torch here (the window imports this module): torch is imported in the child
only. The window's receiving thread calls :meth:`TrainingProcess.receive`.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from dataclasses import replace
from multiprocessing.connection import wait
from typing import Any

import numpy as np

from ganviz.core.config import Config
from ganviz.core.contract import Command, LatestSlot, Snapshot, TrainingEnded

PARTS = ("views", "curves", "fakes", "real")  # the large parts, sent only when new


class _Encoder:
    """Child side: sends each snapshot with only what changed since the last one.

    Views, fakes, curves and real data are sent when their version number
    (``Snapshot.versions``) differs from the one sent last; the metric history as the rows
    added since the previous message. The parent rebuilds full snapshots.
    """

    def __init__(self) -> None:
        self.sent: dict[str, int | None] = dict.fromkeys(PARTS)
        self.history_version: int | None = None
        self.rows = 0

    def encode(self, snap: Snapshot) -> dict[str, Any]:
        msg: dict[str, Any] = {}
        for name in PARTS:
            version = getattr(snap.versions, name)
            if version != self.sent[name]:
                self.sent[name] = version
                msg[name] = getattr(snap, name)
        hist = snap.history
        length = next(iter(hist.values())).shape[0] if hist else 0
        if snap.versions.history != self.history_version:  # a reset started a new history
            self.history_version = snap.versions.history
            self.rows = 0
            msg["history_reset"] = True
        msg["history_rows"] = {k: np.array(v[self.rows:]) for k, v in hist.items()}
        self.rows = length
        msg["snapshot"] = replace(snap, views=None, curves=None, fakes=None, real=None,
                                  history={})
        return msg


class _Decoder:
    """Parent side: rebuilds full snapshots from :class:`_Encoder` messages."""

    def __init__(self) -> None:
        self.parts: dict[str, Any] = dict.fromkeys(PARTS)
        self.history: dict[str, np.ndarray] = {}

    def decode(self, msg: dict[str, Any]) -> Snapshot:
        for name in self.parts:
            if name in msg:
                self.parts[name] = msg[name]
        rows = msg["history_rows"]
        if msg.get("history_reset"):
            self.history = {k: _frozen(v) for k, v in rows.items()}
        elif any(len(v) for v in rows.values()):
            self.history = {k: _frozen(np.concatenate([self.history[k], v]))
                            for k, v in rows.items()}
        return replace(msg["snapshot"], history=self.history, **self.parts)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _child_main(cfg: Config, commands: Any, conn: Any, stop: Any, frame_interval: float,
                leave_core_for_gui: bool) -> None:
    """Body of the training process: a TrainingLoop whose slot is the pipe to the parent.

    Ctrl-C in the terminal reaches the whole process group; the child ignores it and lets
    the window decide (it closes, and stops this process through ``stop``).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The compiler works in its own thread, without a pool of worker processes beside the
    # window; and tqdm (which torch's compiler uses) gets a thread lock instead of its
    # default multiprocessing semaphore, which this process's os._exit would leak.
    os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())
    from ganviz.core.allocator import keep_memory_for_training
    from ganviz.live.loop import TrainingLoop  # torch: only ever imported in this process

    keep_memory_for_training()

    encoder = _Encoder()

    class PipeSlot(LatestSlot):
        def put(self, item: Any) -> None:
            try:
                conn.send(encoder.encode(item))
            except (BrokenPipeError, EOFError, OSError):
                stop.set()

    loop = TrainingLoop(cfg, PipeSlot(), frame_interval=frame_interval,
                        leave_core_for_gui=leave_core_for_gui)
    loop.commands = commands
    try:
        loop.run(stop)
    except KeyboardInterrupt:
        pass
    except Exception as exc:  # report to the parent, then end
        with contextlib.suppress(OSError):
            conn.send(RuntimeError(f"{type(exc).__name__}: {exc}"))
        conn.close()
        raise
    conn.close()
    _leave_now()


def _leave_now() -> None:
    """End the training process at once, skipping interpreter and torch teardown.

    Everything the session writes (sessions, exports) is complete and atomic before a
    command returns, so nothing is lost; only the standard streams need flushing.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


@contextlib.contextmanager
def _main_module_hidden():
    """Keep ``spawn`` from re-running the caller's script in the child.

    The child needs only ganviz; a script that opens the window without an
    ``if __name__ == "__main__"`` guard would otherwise run again in the child.
    """
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


class TrainingProcess:
    """Starts the training process, forwards commands, and receives its snapshots."""

    def __init__(self, cfg: Config, slot: LatestSlot, *, frame_interval: float = 1 / 40,
                 leave_core_for_gui: bool = True) -> None:
        ctx = mp.get_context("spawn")  # never fork a process that has Qt loaded
        self.cfg = cfg
        self.slot = slot
        self.commands = ctx.Queue()
        self._recv, send = ctx.Pipe(duplex=False)
        self._stop = ctx.Event()
        self.process = ctx.Process(
            target=_child_main, name="ganviz-training", daemon=True,
            args=(cfg, self.commands, send, self._stop, frame_interval, leave_core_for_gui))
        self._send_end = send
        self._decoder = _Decoder()
        self.received = 0  # snapshots moved into the slot so far

    def start(self) -> None:
        """Start the child process."""
        with _main_module_hidden():
            self.process.start()
        self._send_end.close()  # the child owns the sending end now

    def send(self, command: Command) -> None:
        """Queue a command for the training loop (:mod:`ganviz.core.contract`)."""
        self.commands.put(command)

    def receive(self, timeout: float) -> TrainingEnded | None:
        """Move the newest snapshot into the slot; None while the child runs, else how it
        ended (with the child's error when it failed)."""
        try:
            if not self._recv.poll(timeout):
                return None if self.process.is_alive() else TrainingEnded()
            item = self._recv.recv()
        except (EOFError, OSError):
            return TrainingEnded()
        if isinstance(item, Exception):
            return TrainingEnded(f"training stopped: {item}")
        self.slot.put(self._decoder.decode(item))
        self.received += 1
        return None

    def request_stop(self) -> None:
        """Tell the child to stop after its current step (returns at once)."""
        self._stop.set()

    def stop(self, timeout: float = 0.6, *, drain: bool = True) -> bool:
        """Stop the child within about ``timeout`` + 0.2 s; True when it has ended.

        The child gets ``timeout`` seconds to finish its step and leave. Meanwhile the
        pipe is drained (a child blocked sending a large snapshot to a parent that no
        longer reads would never see the stop); then it is terminated, then killed.
        Pass ``drain=False`` while another thread may still read the pipe.
        """
        self._stop.set()
        deadline = time.monotonic() + timeout
        if drain:
            self._drain_until_exit(deadline)
        else:
            self.process.join(timeout)
        for end in (self.process.terminate, self.process.kill):
            if not self.process.is_alive():
                break
            end()
            self.process.join(0.1)
        self.commands.close()
        self.commands.cancel_join_thread()
        with contextlib.suppress(OSError):
            self._recv.close()
        return not self.process.is_alive()

    def _drain_until_exit(self, deadline: float) -> None:
        """Read and drop snapshots until the child has ended or ``deadline`` has passed."""
        pipe_open = True
        while self.process.is_alive():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            waiting = [self.process.sentinel] + ([self._recv] if pipe_open else [])
            for ready in wait(waiting, min(left, 0.05)):
                if ready is self._recv:
                    try:
                        self._recv.recv()
                    except (EOFError, OSError):
                        pipe_open = False
        self.process.join(0)
