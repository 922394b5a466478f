"""The ``bench --gui`` report (figures come from real runs: no timing assertions here)."""

from __future__ import annotations

from ganviz.gui.benchmark import format_gui_report

RESULT = {"runs": 4, "seconds": 10.0, "worker_threads": 1, "headless_steps_per_sec": 97.7,
          "headless_before_after": [95.2, 100.2],
          "window_steps_per_sec": 90.1, "throughput_fraction": 0.922, "frames_per_sec": 31.4,
          "window_cpu_ms_per_frame": 7.25, "snapshots_dropped": 3,
          "headless_step": "compiled step", "window_step": "compiled step"}


def test_report_names_every_figure():
    text = format_gui_report(RESULT)
    assert "4 runs, 1 worker thread(s), 10.0 s" in text
    assert "97.7 steps/s  (compiled step; mean of 95.2 before and 100.2 after)" in text
    assert "90.1 steps/s" in text
    assert "(92% of headless; compiled step)" in text
    assert "31.4 per second" in text
    assert "7.25 ms per frame" in text
