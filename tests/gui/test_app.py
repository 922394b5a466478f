"""The window's process: Ctrl-C in the terminal closes the window like its close button."""

from __future__ import annotations

import signal

from ganviz.gui.app import close_on_signals


def test_ctrl_c_closes_the_window_and_stops_training(window, qtbot):
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        close_on_signals(window)
        assert window.isVisible()
        signal.raise_signal(signal.SIGINT)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
        assert not window.training.process.is_alive()
        assert not window.thread.isRunning()  # a QThread destroyed while running aborts
        assert len(window.curves._connections) == 0  # none left for Qt's teardown to call
        assert all(len(p._connections) == 0 for p in window.panels.panels)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
