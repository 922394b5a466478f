"""The engine (everything outside ganviz/gui) must run with no Qt installed."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BLOCK_QT = r"""
import importlib.abc, sys
QT = {'PySide6', 'PyQt5', 'PyQt6', 'PySide2', 'pyqtgraph', 'shiboken6', 'qtpy', 'superqt'}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in QT:
            raise ImportError('Qt is blocked: ' + name)
sys.meta_path.insert(0, Block())
import pkgutil, ganviz
mods = [m.name for m in pkgutil.walk_packages(ganviz.__path__, 'ganviz.')
        if not m.name.startswith('ganviz.gui')]
for m in mods:
    __import__(m)
print(len(mods))
"""


def test_engine_imports_without_qt():
    proc = subprocess.run([sys.executable, "-c", BLOCK_QT], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) >= 10


def test_gui_does_no_tensor_maths():
    gui = ROOT / "ganviz" / "gui"
    for path in gui.rglob("*.py"):
        text = path.read_text()
        assert "import torch" not in text and "from torch" not in text, path
