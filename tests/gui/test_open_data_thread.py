"""File > Open Data reads on a worker thread: the event loop keeps running while a read is
pending, the points arrive afterwards on the GUI thread, Cancel and closing end the read at
once, and a bad file is still one line. Pure widgets (no training process): the host is fake."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMainWindow

from ganviz.data import datafile
from ganviz.data.datafile import ReadCancelled, load_points
from ganviz.gui import filedialogs
from ganviz.gui.filedialogs import FileHost
from ganviz.gui.files import FileActions
from ganviz.gui.opendata import read_data


class Host:
    """What FileActions needs of the window, recorded."""

    def __init__(self, qtbot) -> None:
        self.window = QMainWindow()
        qtbot.addWidget(self.window)
        self.status: list[str] = []
        self.used: list[tuple[str, list[str], bool]] = []  # (path, columns, on the GUI thread)
        self.quiet = True
        self.sent: list = []
        self.files = FileActions(FileHost(
            parent=self.window, send=self.sent.append, step=lambda: 0, view_state=dict,
            restore_view=lambda v: None, before_open=lambda: None,
            status=self.status.append, quiet=lambda: self.quiet, figure=None,
            use_data=self._use))
        self.ended: list[bool] = []
        self.files.data.data_ended = self.ended.append
        self.window.statusBar().addPermanentWidget(self.files.data.read_indicator)
        self.window.show()

    def _use(self, path: str, columns: list[str]) -> None:
        self.used.append((path, columns, threading.current_thread() is threading.main_thread()))


@pytest.fixture
def host(qtbot):
    h = Host(qtbot)
    yield h
    assert h.files.data.close_read(2.0)


def _csv(path, n=50, header="x,y"):
    rng = np.random.default_rng(1)
    np.savetxt(path, rng.standard_normal((n, len(header.split(",")))), delimiter=",",
               header=header, comments="")
    return path


def _gated(release: threading.Event, started: threading.Event | None = None):
    """A reader that waits (asking ``stop``) until the test sets ``release``, then reads; it
    gives up waiting after 3 s, so a read on the GUI thread fails the test instead of hanging."""

    def job(path, columns, stop):
        if started is not None:
            started.set()
        give_up = time.monotonic() + 3
        while not release.wait(0.01) and time.monotonic() < give_up:
            if stop(0.5):
                raise ReadCancelled
        return read_data(path, columns, stop)

    return job


def test_the_window_keeps_running_while_a_read_is_pending(host, qtbot, tmp_path):
    path = _csv(tmp_path / "points.csv")
    release = threading.Event()
    host.files.data.read_job = _gated(release)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(10)
    t0 = time.perf_counter()
    assert host.files.data.open_data_from(path)
    assert time.perf_counter() - t0 < 0.5  # it returned at once: the read is elsewhere
    assert host.files.data.reading() and not host.used
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=3000)  # the event loop runs meanwhile
    indicator = host.files.data.read_indicator
    assert indicator.isVisible() and indicator.label.text() == "reading points.csv …"
    assert indicator.toolTip() == str(path) and indicator.cancel_button.isVisible()
    assert host.window.cursor().shape() == Qt.CursorShape.BusyCursor
    assert host.files.data.reading() and not host.used  # still waiting for the release
    release.set()
    qtbot.waitUntil(lambda: bool(host.used), timeout=5000)
    timer.stop()
    assert host.used == [(str(path.absolute()), [], True)]  # taken on the GUI thread
    assert host.ended == [True] and not host.files.data.reading()
    assert host.window.cursor().shape() == Qt.CursorShape.ArrowCursor
    assert "training on points.csv: 50 points (x = x, y = y)" in host.status[-1]
    # handed to training: the indicator stays, busy, until a snapshot on that file is drawn
    assert indicator.isVisible() and "loading points.csv" in indicator.label.text()
    assert not indicator.cancel_button.isVisible() and indicator.bar.maximum() == 0
    host.files.data.snapshot_drawn("", "")  # still the old data
    assert indicator.isVisible()
    host.files.data.snapshot_drawn(str(path.absolute()), "")
    assert not indicator.isVisible()


def test_the_columns_are_picked_between_two_reads(host, qtbot, tmp_path):
    path = _csv(tmp_path / "wide.csv", header="i,x,y,z")
    asked = []
    host.files.data.pick_columns = lambda info: asked.append(info.names) or ["y", "z"]
    host.files.data.open_data_from(path)
    qtbot.waitUntil(lambda: bool(host.ended), timeout=5000)
    assert asked == [("i", "x", "y", "z")]
    assert host.used == [(str(path.absolute()), ["y", "z"], True)] and host.ended == [True]
    assert "(x = y, y = z)" in host.status[-1]


def test_cancel_ends_the_read_and_changes_nothing(host, qtbot, tmp_path):
    path = _csv(tmp_path / "points.csv")
    release, started = threading.Event(), threading.Event()
    host.files.data.read_job = _gated(release, started)
    host.files.data.open_data_from(path)
    assert started.wait(2)
    read = host.files.data.read
    qtbot.mouseClick(host.files.data.read_indicator.cancel_button, Qt.MouseButton.LeftButton)
    assert not host.files.data.reading() and host.ended == [False]
    assert host.status[-1] == "Open Data cancelled"
    assert read.wait(1.0)  # the thread saw stop and ended; it was never released
    release.set()
    qtbot.wait(50)
    assert not host.used and host.ended == [False]
    assert not host.files.data.read_indicator.isVisible()


def test_closing_with_a_read_pending_returns_at_once(host, qtbot, tmp_path):
    release = threading.Event()
    host.files.data.read_job = _gated(release)
    host.files.data.open_data_from(_csv(tmp_path / "points.csv"))
    read = host.files.data.read
    t0 = time.perf_counter()
    assert host.files.data.close_read()
    assert time.perf_counter() - t0 < 0.3 and not read.running()
    qtbot.wait(50)
    assert not host.used


def test_a_second_open_data_cancels_the_first(host, qtbot, tmp_path):
    first, second = _csv(tmp_path / "first.csv"), _csv(tmp_path / "second.csv", n=7)
    release = threading.Event()
    host.files.data.read_job = _gated(release)
    host.files.data.open_data_from(first)
    read = host.files.data.read
    host.files.data.read_job = read_data
    host.files.data.open_data_from(second)
    qtbot.waitUntil(lambda: bool(host.used), timeout=5000)
    assert read.wait(1.0)  # the first read ended without being released
    release.set()
    qtbot.wait(50)
    assert host.used == [(str(second.absolute()), [], True)] and host.ended == [True]
    assert "second.csv: 7 points" in host.status[-1]


def test_opening_a_session_cancels_the_read(host, qtbot, tmp_path):
    release = threading.Event()
    host.files.data.read_job = _gated(release)
    host.files.data.open_data_from(_csv(tmp_path / "points.csv"))
    read = host.files.data.read
    host.files.open_session_from(tmp_path / "saved.ganviz")
    assert [type(c).__name__ for c in host.sent] == ["OpenSession"]
    assert not host.files.data.reading() and read.wait(1.0) and host.ended == [False]
    release.set()
    qtbot.wait(50)
    assert not host.used


def test_a_bad_file_is_one_line_in_a_dialog(host, qtbot, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(filedialogs.QMessageBox, "warning",
                        lambda parent, title, text: shown.append(text))
    host.quiet = False
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,oops\n")
    host.files.data.open_data_from(bad)
    qtbot.waitUntil(lambda: bool(host.ended), timeout=5000)
    assert host.ended == [False] and not host.used
    assert len(shown) == 1 and shown[0] == host.files.dialogs.last_error == host.status[-1]
    assert "bad.csv" in shown[0] and "'x', 'y'" in shown[0] and "\n" not in shown[0]
    fifo = tmp_path / "pipe.csv"
    if hasattr(__import__("os"), "mkfifo"):
        __import__("os").mkfifo(fifo)
        host.files.data.open_data_from(fifo)
        qtbot.waitUntil(lambda: len(host.ended) == 2, timeout=5000)
        assert "FIFO" in shown[-1] and "pipe.csv" in shown[-1]
    assert not host.files.data.read_indicator.isVisible()


def test_points_training_cannot_learn_are_refused_before_training(host, qtbot, tmp_path):
    far = tmp_path / "far.csv"
    far.write_text("x,y\n" + "".join(f"{3e5 * i},{i}\n" for i in range(5)))
    host.files.data.open_data_from(far)
    qtbot.waitUntil(lambda: bool(host.ended), timeout=5000)
    assert host.ended == [False] and not host.used
    error = host.files.dialogs.last_error
    assert "far.csv" in error and "data.scale" in error


def test_an_unexpected_failure_of_the_reader_is_one_line(host, qtbot, tmp_path):
    def broken(path, columns, stop):
        raise MemoryError

    host.files.data.read_job = broken
    host.files.data.open_data_from(tmp_path / "huge.csv")
    qtbot.waitUntil(lambda: bool(host.ended), timeout=5000)
    assert "huge.csv" in host.files.dialogs.last_error and "memory" in host.files.dialogs.last_error


# ---------------------------------------------------------------- the reader's stop
def test_stop_is_asked_between_blocks_and_ends_a_text_read(tmp_path, monkeypatch):
    monkeypatch.setattr(datafile, "BLOCK_LINES", 100)
    path = _csv(tmp_path / "rows.csv", n=1000)
    seen: list[float] = []
    whole = load_points(path, stop=lambda f: seen.append(f) or False)
    assert np.array_equal(whole.points, load_points(path).points)
    assert len(seen) >= 10 and seen == sorted(seen) and seen[-1] == 1.0
    asked = []
    with pytest.raises(ReadCancelled):
        load_points(path, stop=lambda f: asked.append(f) or len(asked) == 3)
    assert len(asked) == 3  # it ended at the third block, not at the end of the file


def test_stop_ends_a_npy_read(tmp_path, monkeypatch):
    monkeypatch.setattr(datafile, "BLOCK_ROWS", 64)
    path = tmp_path / "rows.npy"
    arr = np.random.default_rng(2).standard_normal((1000, 3)).astype(np.float32)
    np.save(path, arr)
    seen: list[float] = []
    got = load_points(path, ["2", "0"], stop=lambda f: seen.append(f) or False).points
    assert np.array_equal(got, arr[:, [2, 0]].astype(np.float64)) and seen[-1] == 1.0
    with pytest.raises(ReadCancelled):
        load_points(path, stop=lambda f: True)
