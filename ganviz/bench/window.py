"""``python main.py bench --gui``: training throughput with the window drawing, as a ratio.

Runs in one process: the same runs headless (trainer steps with the same evaluation
cadence and the same thread count the worker gets), then the window offscreen while
training for a fixed time, then headless again. Reports the window's training steps
per second as a fraction of the mean of the two headless rates (a machine whose speed
wanders moves both sides alike), the frames drawn per second, and the CPU time
the window's process (drawing, event loop, snapshot relay; not the training process)
spends per frame drawn: the share of the machine the window takes from training.
On Linux also the same ratio per CPU second of training (``cpu_fraction``): steps per
second of CPU time the training process got, against the headless thread's. It leaves out
the time other processes take from training, so it stays meaningful on a busy machine.
"""

from __future__ import annotations

import os
import time
from typing import Any

from ganviz.core.config import Config
from ganviz.core.contract import Play

COMPILE_TIMEOUT = 180.0  # seconds the window may take to switch to the compiled step


def _headless_rate(cfg: Config, seconds: float, threads: int) -> tuple[float, float, str]:
    """Steps per second and per CPU second of the plain trainer (with its evaluations),
    after a warm-up, and which step it ran (compiled when the config asks for it and it
    compiles)."""
    from ganviz.bench.engine import headless_run

    return headless_run(cfg, seconds, threads)


def process_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) process ``pid`` has used so far; None where unknown."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def run_gui_bench(cfg: Config, seconds: float = 10.0) -> dict[str, Any]:
    """Measure window training throughput and frame rate against headless training."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from ganviz.engine.device import training_threads
    from ganviz.gui.window import MainWindow
    from ganviz.views.theme import configure_pyqtgraph

    threads = training_threads(cfg.train.threads, leave_for_gui=True)
    before, before_cpu, headless_path = _headless_rate(cfg, seconds, threads)
    app = QApplication.instance() or QApplication([])
    configure_pyqtgraph()
    window = MainWindow(cfg)
    window.resize(1600, 1000)
    window.show()
    deadline = time.perf_counter() + 30
    while window.snapshot is None and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.005)
    window.training.send(Play())
    compiling = time.perf_counter() + COMPILE_TIMEOUT  # measure the step that stays
    while (window.snapshot is None or window.snapshot.step_path.endswith("compiling…")) and (
            time.perf_counter() < compiling):
        app.processEvents()
        time.sleep(0.005)
    warm = time.perf_counter() + 1.5
    while time.perf_counter() < warm:
        app.processEvents()
        time.sleep(0.002)
    start_step = window.snapshot.step if window.snapshot else 0
    start_frames = window.frames
    cpu0 = time.process_time()  # this process only: drawing, event loop, snapshot relay
    child = window.training.process.pid
    child0 = process_cpu_seconds(child) if child is not None else None
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        app.processEvents()
        time.sleep(0.002)
    elapsed = time.perf_counter() - t0
    window_cpu = time.process_time() - cpu0
    child1 = process_cpu_seconds(child) if child is not None else None
    end_step = window.snapshot.step if window.snapshot else 0
    frames = window.frames - start_frames
    step_path = window.snapshot.step_path if window.snapshot else ""
    window.close()
    app.processEvents()
    gui_rate = (end_step - start_step) / elapsed
    after, after_cpu, _ = _headless_rate(cfg, seconds, threads)
    headless = (before + after) / 2
    headless_cpu = (before_cpu + after_cpu) / 2
    training_cpu = None if child0 is None or child1 is None else child1 - child0
    cpu_rate = (end_step - start_step) / training_cpu if training_cpu else None
    return {
        "runs": len(window.snapshot.runs) if window.snapshot else 0,
        "seconds": round(elapsed, 2),
        "worker_threads": threads,
        "headless_steps_per_sec": round(headless, 1),
        "headless_before_after": [round(before, 1), round(after, 1)],
        "headless_step": headless_path,
        "window_step": step_path,
        "window_steps_per_sec": round(gui_rate, 1),
        "throughput_fraction": round(gui_rate / headless, 3) if headless > 0 else 0.0,
        "frames_per_sec": round(frames / elapsed, 1),
        "window_cpu_ms_per_frame": round(1000 * window_cpu / frames, 2) if frames else 0.0,
        "snapshots_dropped": window.slot.dropped,
        "headless_steps_per_cpu_sec": round(headless_cpu, 1),
        "window_steps_per_cpu_sec": None if cpu_rate is None else round(cpu_rate, 1),
        "training_cpu_share": None if training_cpu is None else round(training_cpu / elapsed, 3),
        "cpu_fraction": None if cpu_rate is None or headless_cpu <= 0 else round(
            cpu_rate / headless_cpu, 3),
    }


def format_gui_report(result: dict[str, Any]) -> str:
    """A short human report of :func:`run_gui_bench`."""
    before, after = result["headless_before_after"]
    return (
        f"ganviz bench --gui ({result['runs']} runs, {result['worker_threads']} worker thread(s),"
        f" {result['seconds']} s)\n"
        f"headless training:     {result['headless_steps_per_sec']:8.1f} steps/s  "
        f"({result['headless_step']}; mean of {before:.1f} before and {after:.1f} after)\n"
        f"training with window:  {result['window_steps_per_sec']:8.1f} steps/s  "
        f"({100 * result['throughput_fraction']:.0f}% of headless; {result['window_step']})\n"
        f"frames drawn:          {result['frames_per_sec']:8.1f} per second\n"
        f"window process CPU:    {result['window_cpu_ms_per_frame']:8.2f} ms per frame"
    ) + _cpu_line(result)


def _cpu_line(result: dict[str, Any]) -> str:
    """The per-CPU-second comparison, where it was measured."""
    if result.get("cpu_fraction") is None:
        return ""
    return (f"\nper CPU second:        {result['window_steps_per_cpu_sec']:8.1f} steps  "
            f"({100 * result['cpu_fraction']:.0f}% of headless's "
            f"{result['headless_steps_per_cpu_sec']:.1f}; training got "
            f"{100 * result['training_cpu_share']:.0f}% of a core)")
