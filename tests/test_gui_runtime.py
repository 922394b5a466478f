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
