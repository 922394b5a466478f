"""The views' modules of numbers (what the curves and panels draw, the grid's arithmetic, the
seed bands) import with Qt blocked: they are tested, and usable, without a window."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QT_FREE = ("ganviz.views.curve_data", "ganviz.views.panel_data", "ganviz.views.panel_layout",
           "ganviz.views.seeds", "ganviz.views.geometry")
BLOCK_QT = r"""
import importlib.abc, sys
QT = {'PySide6', 'PyQt5', 'PyQt6', 'PySide2', 'pyqtgraph', 'shiboken6', 'qtpy', 'superqt'}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in QT:
            raise ImportError('Qt is blocked: ' + name)
sys.meta_path.insert(0, Block())
for m in sys.argv[1:]:
    __import__(m)
"""


def test_the_modules_of_numbers_import_with_qt_blocked():
    proc = subprocess.run([sys.executable, "-c", BLOCK_QT, *QT_FREE], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    blocked = subprocess.run([sys.executable, "-c", BLOCK_QT, "ganviz.views.curve_legend"],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "Qt is blocked" in blocked.stderr  # the block works
