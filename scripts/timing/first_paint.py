"""How long until the window first paints, and does its process load torch?  A measurement.

Starts a fresh interpreter's clock at the top of this script, opens the main window on the
default preset (offscreen unless a display is given) and stops at the window's first paint
event. Prints the seconds and whether ``torch`` was imported in this (the GUI's) process.

    QT_QPA_PLATFORM=offscreen python scripts/timing/first_paint.py
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    from ganviz.core.config import load_preset
    from ganviz.gui.window import MainWindow

    app = QApplication.instance() or QApplication([])
    painted: list[float] = []

    class FirstPaint(QObject):
        def eventFilter(self, obj, event) -> bool:
            if event.type() == QEvent.Type.Paint and not painted:
                painted.append(time.perf_counter() - T0)
                app.quit()
            return False

    window = MainWindow(load_preset("default"))
    spy = FirstPaint()
    window.installEventFilter(spy)
    window.resize(1600, 1000)
    window.show()
    app.exec()
    window.close()
    print(f"first paint after {painted[0]:.2f} s; torch imported in the GUI process: "
          f"{'torch' in sys.modules}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
