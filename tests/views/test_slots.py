"""Replaced or closed panels let go of the slots Qt would call while destroying them."""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, Signal

from ganviz.core.contract import RunSpec
from ganviz.views import panel_grid
from ganviz.views.slots import Connections
from ganviz.views.theme import configure_pyqtgraph
from ganviz.views.viewstate import ViewState


class _Emitter(QObject):
    fired = Signal()


def test_connections_are_undone_once_and_after_their_item_is_gone(qapp):
    calls = []
    emitter = _Emitter()
    made = Connections()
    made.connect(emitter.fired, lambda: calls.append(1))
    emitter.fired.emit()
    made.disconnect_all()
    emitter.fired.emit()
    assert calls == [1] and len(made) == 0
    made.disconnect_all()  # nothing left: no error, no warning

    gone = _Emitter()
    made.connect(gone.fired, lambda: calls.append(2))
    gone.deleteLater()
    qapp.processEvents()
    qapp.sendPostedEvents(None, 0)
    made.disconnect_all()  # its C++ object was destroyed first: still no error


def _specs(seeds: list[int]) -> list[RunSpec]:
    return [RunSpec(index=i, estimator="plugin", sigma=0.0, seed=s, learned_sigma=False)
            for i, s in enumerate(seeds)]


def test_replaced_panels_are_disconnected_and_survive_being_collected(qtbot):
    """Panels with a seed selector (several seeds) are replaced again and again while the grid
    resizes; the old ones have no connection left, and nothing crashes."""
    configure_pyqtgraph()
    grid = panel_grid.PanelGrid(ViewState.default())
    qtbot.addWidget(grid)
    grid.resize(600, 400)
    grid.show()
    grid.set_runs(_specs([0, 1, 2]))
    first = grid.panels[0]
    assert first.seed_box is not None and len(first._connections) == 3  # caption, selector x2
    for k in range(4):
        grid.set_runs(_specs([0, 1, 2]))
        grid.resize(600 + 10 * k, 400)
        qtbot.wait(1)
        gc.collect()
    assert len(first._connections) == 0
    assert len(grid.panels[0]._connections) == 3
    grid.dispose()
    assert all(len(p._connections) == 0 for p in grid.panels)
