"""The Qt binding itself must not leak: a window runs for hours."""

import sys

import pytest
from PySide6.QtWidgets import QLabel


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")
def test_event_loop_does_not_leak_references_to_none(qtbot, qapp):
    """PySide6 6.12.0 drops a reference to None per processEvents on Python 3.11 (crash later)."""
    label = QLabel("x")
    qtbot.addWidget(label)
    label.show()
    for _ in range(20):
        qapp.processEvents()
    before = sys.getrefcount(None)
    for _ in range(200):
        label.update()
        qapp.processEvents()
    assert sys.getrefcount(None) - before > -20


def test_the_relay_thread_asks_for_each_received_snapshot_to_be_drawn(qtbot):
    """``arrived`` fires once per snapshot moved into the slot, never on an empty poll, so
    the window draws a snapshot when it comes instead of at its next timer tick."""
    from ganviz.core.contract import TrainingEnded
    from ganviz.gui.training_thread import TrainingThread

    class Process:  # receive(): a snapshot, an empty poll, a snapshot, then the end
        received = 0

        def __init__(self):
            self.script = [True, False, True]

        def receive(self, timeout):
            if not self.script:
                return TrainingEnded("done")
            self.received += self.script.pop(0)
            return None

    thread = TrainingThread(Process())
    arrivals, failures = [], []
    thread.arrived.connect(lambda: arrivals.append(1))
    thread.failed.connect(failures.append)
    thread.run()  # the body, on this thread: signals are delivered at once
    assert len(arrivals) == 2 and failures == ["done"]
