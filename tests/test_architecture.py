"""The layers (see docs/architecture.md): import-linter's contracts in pyproject.toml hold,
and they can fail; the packages without Qt import with Qt blocked at run time too (the
static contracts cannot see an import made by name)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())", "--no-cache"]
QT_PACKAGES = ("ganviz.gui", "ganviz.views", "ganviz.figures", "ganviz.bench.window")

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
        if not m.name.startswith(QT_PACKAGES)]
for m in mods:
    __import__(m)
print(len(mods))
"""


def lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(LINT, cwd=root, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def test_the_import_contracts_hold():
    proc = lint(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 kept, 0 broken" in proc.stdout


def test_a_view_that_imports_the_engine_breaks_a_contract(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "ganviz", copy / "ganviz",
                    ignore=shutil.ignore_patterns("__pycache__", "resources"))
    shutil.copy(ROOT / "pyproject.toml", copy)
    slots = copy / "ganviz" / "views" / "slots.py"
    slots.write_text(slots.read_text() + "\nimport ganviz.engine.trainer\n")
    proc = lint(copy)
    assert proc.returncode != 0
    assert "never imports torch BROKEN" in proc.stdout


def test_the_packages_without_qt_import_with_qt_blocked():
    code = BLOCK_QT.replace("QT_PACKAGES", repr(QT_PACKAGES))
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) >= 40


def test_the_ray_relay_imports_without_torch():
    """Ray starts the relay actor in a fresh process; importing torch there would hold the
    sweep's first task for seconds (studies/sweep/relay.py)."""
    code = ("import sys; import ganviz.studies.sweep.relay; "
            "print('torch' in sys.modules, 'ganviz.engine' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]
