"""The ``bench --gui`` report (figures come from real runs: no timing assertions here)."""

from __future__ import annotations

from ganviz.bench.window import format_gui_report

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


def test_report_adds_the_per_cpu_second_ratio_where_measured():
    assert "per CPU second" not in format_gui_report(RESULT)
    text = format_gui_report({**RESULT, "headless_steps_per_cpu_sec": 101.0,
                              "window_steps_per_cpu_sec": 95.0, "cpu_fraction": 0.941,
                              "training_cpu_share": 0.97})
    assert "95.0 steps  (94% of headless's 101.0; training got 97% of a core)" in text


def test_process_cpu_seconds_grows_with_work():
    import os
    import time

    from ganviz.bench.window import process_cpu_seconds

    before = process_cpu_seconds(os.getpid())
    if before is None:  # no /proc here
        return
    end = time.process_time() + 0.05
    while time.process_time() < end:
        pass
    assert process_cpu_seconds(os.getpid()) >= before + 0.03
    assert process_cpu_seconds(-1) is None
