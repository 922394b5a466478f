"""The contract between the training process and the window: what crosses, and who imports
what. The engine produces contract types; the window consumes them and never loads torch."""

from __future__ import annotations

import dataclasses
import itertools
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ganviz.core import contract
from ganviz.core.contract import PartVersions, Reset, Snapshot, Step
from ganviz.engine.trainer import Trainer
from ganviz.live.loop import TrainingLoop, snapshot_of
from ganviz.live.process import _Decoder, _Encoder
from tests.conftest import small_config

ROOT = Path(__file__).resolve().parent.parent

BLOCK_TORCH = r"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] == 'torch':
            raise ImportError('torch is blocked in the window process: ' + name)
sys.meta_path.insert(0, Block())
"""

OPEN_WINDOW = BLOCK_TORCH + r"""
import os, time
os.environ['QT_QPA_PLATFORM'] = 'offscreen'
from PySide6.QtWidgets import QApplication
from ganviz.core.config import load_preset
from ganviz.views.theme import configure_pyqtgraph
from ganviz.gui.window import MainWindow
app = QApplication([])
configure_pyqtgraph()
cfg = load_preset('default').with_overrides({
    'model': {'g_hidden': [32, 32], 'd_hidden': [32, 32]},
    'train': {'batch_size': 64, 'device': 'cpu'},
    'probe': {'grid': 24, 'field_grid': 7, 'density_draws': 128, 'fakes': 64}})
window = MainWindow(cfg)
window.resize(1600, 1000)
window.show()
window.toolbar.play.setChecked(True)
end = time.monotonic() + 90
while time.monotonic() < end and not (window.snapshot is not None and window.snapshot.step > 5
                                      and window.snapshot.views is not None):
    app.processEvents()
    time.sleep(0.01)
drawn = window.snapshot is not None and window.snapshot.step > 5
window.close()
print('drawn' if drawn else 'nothing drawn', 'torch' in sys.modules)
"""


def test_the_window_opens_and_trains_without_torch_in_its_process():
    """The GUI process imports no torch (it is blocked); the training child does the maths."""
    proc = subprocess.run([sys.executable, "-c", OPEN_WINDOW], cwd=ROOT, capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["drawn", "False"], proc.stdout + proc.stderr[-3000:]


def test_the_command_line_opens_the_window_without_torch():
    """``python main.py`` up to the event loop: config, device check and preflight, no torch."""
    code = BLOCK_TORCH + r"""
import os, sys
os.environ['QT_QPA_PLATFORM'] = 'offscreen'
import ganviz.gui.app as app
app.run_app = lambda cfg, **kw: print('window would open on', cfg.data.name) or 0
from ganviz.cli import main
code = main(['--preset', 'veegan-ring', '--device', 'cpu'])
print(code, 'torch' in sys.modules)
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split("\n")[:2] == ["window would open on ring8", "0 False"], proc.stdout


def test_the_contract_imports_neither_torch_nor_qt():
    code = r"""
import sys
import ganviz.core.contract, ganviz.core.config, ganviz.core.errors
import ganviz.live.process, ganviz.engine.device
bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'PySide6', 'pyqtgraph'))
print(bad)
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_every_command_and_notice_is_a_frozen_dataclass():
    kinds = [*contract.Command.__args__, *contract.Notice.__args__]
    assert len(kinds) == 18
    for kind in kinds:
        assert dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen, kind


def _equal_snapshots(a: Snapshot, b: Snapshot) -> None:
    for f in dataclasses.fields(Snapshot):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "history":
            assert x.keys() == y.keys()
            for k in x:
                np.testing.assert_array_equal(x[k], y[k])
        elif f.name in ("views", "fakes", "curves", "real"):
            assert (x is None) == (y is None), f.name
            if x is None:
                continue
            for g in dataclasses.fields(x):
                u, v = getattr(x, g.name), getattr(y, g.name)
                if isinstance(u, np.ndarray):
                    np.testing.assert_array_equal(u, v, err_msg=f"{f.name}.{g.name}")
                else:
                    assert u == v, (f.name, g.name)
        elif f.name == "config":
            assert x == y
        else:
            assert x == y, f.name


def test_encode_decode_round_trip_through_a_pipe():
    """Snapshots cross as pickled messages holding only what is new; the decoder rebuilds
    them exactly, and a part whose version did not change is not sent again."""
    session = TrainingLoop(small_config(), contract.LatestSlot())
    session._reset(session.cfg)
    encoder, decoder = _Encoder(), _Decoder()
    first = session.snapshot()
    msg = pickle.loads(pickle.dumps(encoder.encode(first)))
    assert {"views", "fakes", "curves", "real"} <= set(msg)
    _equal_snapshots(decoder.decode(msg), first)

    session._safe_handle(Step(3))
    for _ in range(3):
        session._one_step(session.trainer)
    session._refresh_probes(force=False)
    second = session.snapshot()
    msg = pickle.loads(pickle.dumps(encoder.encode(second)))
    assert "real" not in msg  # the same data: its version did not change
    assert ("fakes" in msg) == (second.versions.fakes != first.versions.fakes)
    _equal_snapshots(decoder.decode(msg), second)

    session._safe_handle(Reset(session.cfg.with_overrides({"runs": {"seeds": [4, 5]}})))
    third = session.snapshot()
    assert third.versions.real > second.versions.real
    msg = pickle.loads(pickle.dumps(encoder.encode(third)))
    assert msg.get("history_reset") and "real" in msg
    rebuilt = decoder.decode(msg)
    _equal_snapshots(rebuilt, third)
    assert len(rebuilt.runs) == 8


def test_versions_only_grow_across_resets():
    session = TrainingLoop(small_config(), contract.LatestSlot())
    session._reset(session.cfg)
    seen = [session.snapshot().versions]
    for seeds in ([1], [2, 3], [1]):
        session._safe_handle(Reset(session.cfg.with_overrides({"runs": {"seeds": seeds}})))
        seen.append(session.snapshot().versions)
    for before, after in itertools.pairwise(seen):
        for part in ("views", "fakes", "curves", "real", "history"):
            assert getattr(after, part) > getattr(before, part)
    assert PartVersions() == PartVersions(0, 0, 0, 0, 0)


def test_snapshot_of_a_trainer_is_complete():
    snap = snapshot_of(Trainer(small_config(), "cpu"))
    assert snap.views is not None and snap.fakes is not None and snap.curves is not None
    assert snap.history["modes"].shape == (1, 4)


@pytest.mark.parametrize("bad", [object(), ("play", None), "play"])
def test_an_unknown_command_is_refused(bad):
    session = TrainingLoop(small_config(), contract.LatestSlot())
    session._reset(session.cfg)
    with pytest.raises(TypeError, match="not a command"):
        session._handle(bad)
