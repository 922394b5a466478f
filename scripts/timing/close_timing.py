"""How long does closing the window take while it trains?  A measurement, not a test.

Opens the window offscreen on a preset (default: "default", what ``make run`` opens),
presses Play, lets it train for ``--seconds``, then closes it and times ``closeEvent``.
Repeats ``--trials`` times (a fresh window each time) and prints every duration and
the distribution, plus whether the training process was still alive afterwards.

    QT_QPA_PLATFORM=offscreen python scripts/timing/close_timing.py --trials 20 --seconds 2
    QT_QPA_PLATFORM=offscreen python scripts/timing/close_timing.py --trials 4 --seconds 60
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def one_close(app, preset: str, seconds: float) -> tuple[float, int, bool, int | None]:
    """Open, train ``seconds``, close.

    Returns the close's duration in seconds, the step reached, whether the training
    process is still alive afterwards, and its exit code (0: it left by itself; -15:
    terminated, -9: killed).
    """
    from ganviz.core.config import load_preset
    from ganviz.gui.window import MainWindow

    w = MainWindow(load_preset(preset))
    w.quiet_dialogs = True
    w.resize(1600, 1000)
    w.show()
    end = time.monotonic() + 60
    while (w.snapshot is None or w.snapshot.views is None) and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)
    w.toolbar.play.setChecked(True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)
    step = w.snapshot.step if w.snapshot is not None else -1
    t0 = time.perf_counter()
    w.close()
    took = time.perf_counter() - t0
    alive = w.training.process.is_alive()
    code = w.training.process.exitcode
    w.deleteLater()
    app.processEvents()
    return took, step, alive, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=2.0, help="training before the close")
    parser.add_argument("--preset", default="default")
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from ganviz.views.theme import configure_pyqtgraph

    app = QApplication.instance() or QApplication(sys.argv[:1])
    configure_pyqtgraph()
    times = []
    for i in range(args.trials):
        took, step, alive, code = one_close(app, args.preset, args.seconds)
        times.append(took)
        print(f"trial {i + 1:2d}: close {took:.3f} s  (step {step}, child alive after: {alive},"
              f" exit code {code})", flush=True)
    over = sum(t > 1.0 for t in times)
    print(f"{args.trials} closes after {args.seconds:g} s of training: "
          f"min {min(times):.3f}  median {statistics.median(times):.3f}  "
          f"max {max(times):.3f} s; over 1 s: {over}/{args.trials}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
