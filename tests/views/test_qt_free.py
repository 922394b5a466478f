"""The views' modules of numbers (what the curves and panels draw, the grid's arithmetic, the
seed bands) import with Qt blocked: they are tested, and usable, without a window."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QT_FREE = ("ganviz.views.curve_data", "ganviz.views.panel_data", "ganviz.views.panel_layout",
           "ganviz.views.seeds", "ganviz.views.geometry")
# a fresh interpreter in which importing Qt fails (None in sys.modules halts an import)
BLOCK_QT = ("import importlib, sys\n"
            "sys.modules.update(dict.fromkeys(['PySide6', 'pyqtgraph', 'shiboken6']))\n"
            "for name in sys.argv[1:]:\n"
            "    importlib.import_module(name)\n")


def test_the_modules_of_numbers_import_with_qt_blocked():
    proc = subprocess.run([sys.executable, "-c", BLOCK_QT, *QT_FREE], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    blocked = subprocess.run([sys.executable, "-c", BLOCK_QT, "ganviz.views.curve_legend"],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "halted; None in sys.modules" in blocked.stderr  # the block works
