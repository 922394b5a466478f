"""The status bar's frames per second: counted over the last two seconds, never over less
than one (the first frames after a start come a few milliseconds apart)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QStatusBar

from ganviz.gui import training_status
from ganviz.gui.training_status import TrainingStatus


def _status(qtbot, monkeypatch, times: list[float]) -> TrainingStatus:
    bar = QStatusBar()
    qtbot.addWidget(bar)
    status = TrainingStatus(bar)
    clock = iter(times)
    monkeypatch.setattr(training_status.time, "perf_counter", lambda: next(clock))
    for _ in times:
        status.frame_drawn()
    return status


def test_a_steady_rate_is_its_frames_per_second(qtbot, monkeypatch):
    status = _status(qtbot, monkeypatch, [10 + k / 30 for k in range(61)])  # 30/s for 2 s
    assert status.frames_per_sec() == pytest.approx(30.0, rel=0.05)


def test_two_frames_a_few_ms_apart_are_not_hundreds_per_second(qtbot, monkeypatch):
    status = _status(qtbot, monkeypatch, [5.0, 5.003])
    assert status.frames_per_sec() == pytest.approx(1.0)


def test_no_frames_or_one_frame_is_zero(qtbot, monkeypatch):
    assert _status(qtbot, monkeypatch, []).frames_per_sec() == 0.0
    assert _status(qtbot, monkeypatch, [3.0]).frames_per_sec() == 0.0
