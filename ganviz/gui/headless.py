"""Figures without a window: the window's own panel and curve views, rendered offscreen.

``python main.py train --figures`` and ``--gif`` use this, so exported pictures look
exactly like the window (one rendering path).
"""

from __future__ import annotations

import os
from pathlib import Path

from ganviz.live import Snapshot


def ensure_app():
    """A QApplication; offscreen when no display is available."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from ganviz.gui.theme import configure_pyqtgraph

    app = QApplication.instance() or QApplication([])
    configure_pyqtgraph()
    return app


class ComparisonView:
    """The run panels above the curves, as in the window, fed with snapshots."""

    def __init__(self, width: int = 1600, height: int = 1000) -> None:
        from PySide6.QtWidgets import QVBoxLayout, QWidget

        from ganviz.gui.curves import CurvesPanel
        from ganviz.gui.panels import PanelGrid
        from ganviz.gui.viewstate import ViewState

        self.app = ensure_app()
        self.widget = QWidget()
        layout = QVBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        self.state = ViewState.default()
        self.panels = PanelGrid(self.state)
        self.curves = CurvesPanel()
        layout.addWidget(self.panels, 3)
        layout.addWidget(self.curves, 2)
        self.widget.resize(width, height)
        self._runs: tuple = ()

    def show(self, snap: Snapshot) -> None:
        """Draw ``snap`` and let the layout settle."""
        runs = tuple(r.spec for r in snap.runs)
        if runs != self._runs:
            self._runs = runs
            self.panels.set_runs(runs)
            self.curves.clear()
        self.panels.update_snapshot(snap)
        self.curves.update_snapshot(snap)
        self.widget.show()
        for _ in range(3):
            self.app.processEvents()

    def grab(self):
        """The view as a QImage (screen resolution)."""
        return self.widget.grab().toImage()

    def close(self) -> None:
        """Close the offscreen widget."""
        self.widget.close()
        self.app.processEvents()


def write_figures(snap: Snapshot, out: Path, scale: float = 2.0) -> list[Path]:
    """comparison.png, comparison.svg and one PNG per panel into ``out``."""
    from ganviz.gui.export import export_comparison_png, export_comparison_svg, export_plot

    view = ComparisonView()
    try:
        view.show(snap)
        paths = [export_comparison_png(view, out / "comparison.png", scale=scale),
                 export_comparison_svg(view, out / "comparison.svg")]
        for panel in view.panels.panels:
            name = f"panel-{panel.spec.index:02d}-{panel.spec.estimator}.png"
            paths.append(export_plot(panel.plot, out / name, scale=scale))
        return paths
    finally:
        view.close()
