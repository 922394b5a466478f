"""Figures without a window: the window's own panel and curve views, rendered offscreen.

``python main.py train --figures`` and ``--gif`` use this, so exported pictures look
exactly like the window (one rendering path).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ganviz.core.contract import Snapshot

FIGURE_MARGIN = 6  # pixels above and below the panels of a headless comparison figure
DENSITY_FIGURE_LAYERS = ("real", "density", "fakes")


def ensure_app():
    """A QApplication; offscreen when no display is available."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from ganviz.figures.export import application
    from ganviz.views.theme import configure_pyqtgraph

    if QApplication.instance() is None:
        _quiet_offscreen_notice()
    app = application([])
    configure_pyqtgraph()
    return app


def settle(app, rounds: int = 3) -> None:
    """Let ``app`` run its pending layouts and repaints (a layout change can queue another,
    so a few rounds) before a figure is measured or rendered."""
    for _ in range(rounds):
        app.processEvents()


def write_widget_figure(make, path: Path, scale: float = 2.0, theme: str = "dark",
                        vectors: bool = False) -> Path:
    """Build a figure widget with ``make(theme)`` (after the application exists) in ``theme``
    (dark or paper), show it offscreen, let it lay out and render it into the PNG ``path``
    (atomically), on the theme's background; with ``vectors``, also into an SVG and a PDF
    of the same name beside it."""
    from ganviz.figures.export import export_widget_png, export_widget_vectors
    from ganviz.views.theme import theme_named, using

    app = ensure_app()
    look = theme_named(theme)
    with using(look):
        view = make(look)
        view.theme = look  # the exporter reads the figure's theme (background, print dpi)
        try:
            view.show()
            settle(app)
            png = export_widget_png(view, path, scale, background=look.background)
            if vectors:
                for suffix in (".svg", ".pdf"):
                    export_widget_vectors(view, path.with_suffix(suffix), f"ganviz {path.stem}")
            return png
        finally:
            view.close()
            app.processEvents()


def _quiet_offscreen_notice() -> None:
    """Drop the offscreen platform's harmless 'does not support propagateSizeHints()' line
    from command-line output; every other Qt message still goes to stderr."""
    import sys

    from PySide6.QtCore import qInstallMessageHandler

    def handler(_mode, _context, message: str) -> None:
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


class ComparisonView:
    """The run panels above the curves, as in the window, fed with snapshots."""

    def __init__(self, width: int | None = None, height: int | None = None, *,
                 theme=None, state=None) -> None:
        """``theme``: a ``ganviz.views.theme.Theme`` (default the window's, DARK); the size
        defaults to the theme's figure size. ``state``: the ``ViewState`` it draws (layers,
        hidden estimators, selected run, seeds; default a new user's)."""
        from PySide6.QtWidgets import QVBoxLayout, QWidget

        from ganviz.views.curves import CurvesPanel
        from ganviz.views.panel_grid import PanelGrid
        from ganviz.views.theme import DARK
        from ganviz.views.viewstate import ViewState

        self.app = ensure_app()
        self.theme = theme if theme is not None else DARK
        width = width or self.theme.figure_size[0]
        height = height or self.theme.figure_size[1]
        self.widget = QWidget()
        layout = QVBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        self.state = state if state is not None else ViewState.default()
        self.panels = PanelGrid(self.state, theme=self.theme)
        self.curves = CurvesPanel(state=self.state, theme=self.theme)
        # the window's split; a print figure's curves get as much height as the panels (its
        # panels shrink to one row of squares, the curves' text needs the room)
        layout.addWidget(self.panels, 1 if self.theme.for_print else 3)
        layout.addWidget(self.curves, 1 if self.theme.for_print else 2)
        self.widget.resize(width, height)
        self._runs: tuple = ()
        self.snapshot: Snapshot | None = None  # the one drawn, as the window's

    @property
    def curves_dock(self):
        """The curves (hidden: the comparison exports leave them out, as the window's dock)."""
        return self.curves

    def show(self, snap: Snapshot) -> None:
        """Draw ``snap`` and let the layout settle."""
        self.snapshot = snap
        runs = tuple(r.spec for r in snap.runs)
        if runs != self._runs:
            self._runs = runs
            self.panels.set_runs(runs)
            self.curves.clear()
        self.panels.update_snapshot(snap)
        self.curves.update_snapshot(snap)
        self.curves.hide_estimators(self.state.hidden_estimators)  # as the window's curves
        self.curves.set_selected_run(self.state.selected_run)
        self.widget.show()
        settle(self.app)
        self._trim_panels()

    def _trim_panels(self) -> None:
        """A figure has no empty band above and below its panels: the panel area shrinks to
        the square panels' height (plus a margin), the curves keep theirs."""
        used = self.panels.used_height
        target = used + 2 * FIGURE_MARGIN
        if not used or target >= self.panels.height() - 2:
            return
        curves = self.curves.height()
        self.panels.setFixedHeight(target)
        self.widget.resize(self.widget.width(), target + curves)
        settle(self.app)

    def grab(self):
        """The view as a QImage (screen resolution)."""
        return self.widget.grab().toImage()

    def close(self) -> None:
        """Close the offscreen widget."""
        self.widget.close()
        self.app.processEvents()


class TrainingDrawings:
    """What ``train --figures`` and ``--gif`` plug into a headless run (the engine's
    ``session.Drawings``): a GIF frame every ``frame_every`` steps, and at the end
    training.gif and/or the figures, all drawn by the window's own views."""

    def __init__(self, *, figures: bool, gif_every: int, theme: str = "dark") -> None:
        from ganviz.figures.recorder import GifRecorder

        self.figures = figures
        self.theme = theme  # of the figures; the GIF keeps the window's look
        self.frame_every = gif_every
        self.view = ComparisonView() if gif_every > 0 else None
        self.recorder = GifRecorder() if gif_every > 0 else None
        self._last_frame = -1

    def frame(self, snapshot: Snapshot) -> None:
        """Add one GIF frame showing ``snapshot``."""
        if self.view is None or self.recorder is None:
            return
        self.view.show(snapshot)
        self.recorder.add(self.view.grab(), snapshot.step)
        self._last_frame = snapshot.step

    def finish(self, snapshot: Snapshot, out: Path) -> list[Path]:
        """training.gif (ending on ``snapshot``) and/or the figures, written into ``out``."""
        paths = []
        if self.view is not None and self.recorder is not None:
            if self._last_frame != snapshot.step:
                self.frame(snapshot)
            paths.append(self.recorder.save(out / "training.gif"))
            self.view.close()
        if self.figures:
            paths.extend(write_figures(snapshot, out, theme=self.theme))
        return paths


@contextlib.contextmanager
def themed_copy(window, theme: str) -> Iterator[ComparisonView]:
    """A copy of the window's comparison in ``theme`` (dark or paper), offscreen: the same
    snapshot and view state (layers, hidden estimators, seeds), for an export; the window's
    sizes in the dark theme, a print theme's figure size (its print width) in paper."""
    from ganviz.views.theme import theme_named, using

    look = theme_named(theme)
    snap = window.snapshot
    if snap is None:
        raise ValueError("nothing to export yet: no snapshot")
    state = window.state
    panels, curves = window.panels.size(), window.curves.size()
    with using(look):
        if look.for_print:  # laid out at its print width, whatever the window's size
            view = ComparisonView(theme=look, state=state.copy())
        else:
            view = ComparisonView(max(panels.width(), curves.width()),
                                  panels.height() + curves.height(), theme=look,
                                  state=state.copy())
        try:
            if not look.for_print:
                view.panels.setFixedSize(panels)
                view.curves.setFixedSize(curves)
            view.curves.setHidden(window.curves_dock.isHidden())
            view.show(snap)
            yield view
        finally:
            view.close()


def write_figures(snap: Snapshot, out: Path, scale: float = 2.0,
                  theme: str = "dark") -> list[Path]:
    """comparison.png, .svg and .pdf and one PNG per panel (one per group of seeds, showing
    its first seed, as the window does) into ``out``, in ``theme`` (dark or paper); each
    panel is a figure of its own with its colour keys, as "Export this panel" writes it."""
    from ganviz.views.theme import theme_named, using

    look = theme_named(theme)
    with using(look):
        return _write_figures(ComparisonView(theme=look), snap, out, scale, theme)


def write_comparison_figure(snap: Snapshot, path: Path, *, theme: str = "dark",
                            scale: float = 2.0) -> Path:
    """The comparison (run panels above the curves) of ``snap`` as one PNG, SVG or PDF,
    chosen by ``path``'s suffix, in ``theme`` (dark or paper)."""
    from ganviz.figures.export import (
        ExportError,
        export_comparison_pdf,
        export_comparison_png,
        export_comparison_svg,
    )
    from ganviz.views.theme import theme_named, using

    path = Path(path)
    writers = {".png": lambda v: export_comparison_png(v, path, scale=scale),
               ".svg": lambda v: export_comparison_svg(v, path),
               ".pdf": lambda v: export_comparison_pdf(v, path)}
    write = writers.get(path.suffix.lower())
    if write is None:
        raise ExportError(f"cannot write {path}: unsupported file type "
                          f"{path.suffix or '(none)'!r}; use .png, .svg or .pdf")
    look = theme_named(theme)
    with using(look):
        view = ComparisonView(theme=look)
        try:
            view.show(snap)
            return write(view)
        finally:
            view.close()


def _write_figures(view: ComparisonView, snap: Snapshot, out: Path, scale: float,
                   theme: str) -> list[Path]:
    from ganviz.figures.export import (
        export_comparison_pdf,
        export_comparison_png,
        export_comparison_svg,
    )
    from ganviz.figures.panel_figure import write_panel

    try:
        view.show(snap)
        paths = [export_comparison_png(view, out / "comparison.png", scale=scale),
                 export_comparison_svg(view, out / "comparison.svg"),
                 export_comparison_pdf(view, out / "comparison.pdf")]
        for i, panel in enumerate(view.panels.panels):
            name = f"panel-{panel.spec.index:02d}-{panel.spec.estimator}.png"
            paths.append(write_panel(view, i, out / name, theme=theme, scale=scale))
        return paths
    finally:
        view.close()


def write_density_figure(snap: Snapshot, choices: list[tuple[str, int, int]], path: Path,
                         scale: float = 2.0, theme: str = "dark") -> Path:
    """A grid of final-density panels: one column per (label, best run, worst run), the best
    seed on top and the worst below, drawn by the window's panel class in ``theme``."""
    from PySide6.QtCore import QBuffer, QIODevice, QPoint, Qt
    from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter

    from ganviz.core.atomic import write_atomic
    from ganviz.figures.export import plot_image
    from ganviz.views.theme import SCREEN_DPI, theme_named, using

    def panel_image(run: int) -> QImage:
        view.panels.show_run(run)  # the group's panel draws this seed
        panel = view.panels.panel_of_run(run)
        settle(view.app)
        image = plot_image(panel.plot, scale, path)
        image.setDevicePixelRatio(1.0)  # placed pixel for pixel in the grid below
        return image

    from ganviz.views.panel_layout import MAX_COLUMNS
    from ganviz.views.seeds import group_runs

    groups = len(group_runs([r.spec for r in snap.runs]))
    rows = -(-groups // MAX_COLUMNS)  # one panel per group, four per row
    columns = min(groups, MAX_COLUMNS)  # a lone group keeps the panel's shape, not 1700 wide
    look = theme_named(theme)
    with using(look):
        # panels 3/5 of the view's height; a print figure spans the page (one column: half)
        size = look.print_size((425 * columns, int(rows * 430 * 5 / 3)),
                               7.0 if columns > 1 else 3.5)
        if look.for_print:  # its panels take half the height: a square per panel
            size = (size[0], round(2 * rows * size[0] / columns))
        view = ComparisonView(width=size[0], height=size[1], theme=look)
        view.state.layers = set(DENSITY_FIGURE_LAYERS)
        try:
            view.show(snap)
            tiles = [[panel_image(best), panel_image(worst)]
                     for _, best, worst in choices]
        finally:
            view.close()
    w, h = tiles[0][0].width(), tiles[0][0].height()
    label_h = int(look.room(26) * scale)
    grid = QImage(w * len(tiles), 2 * (h + label_h), QImage.Format.Format_RGB32)
    grid.fill(QColor(look.background))
    painter = QPainter(grid)
    font = QFont()
    label_px = 14 if not look.for_print else look.font_points(look.text.title) * SCREEN_DPI / 72
    font.setPixelSize(int(label_px * scale))
    painter.setFont(font)
    painter.setPen(QColor(look.foreground))
    for col, ((label, best, worst), pair) in enumerate(zip(choices, tiles, strict=True)):
        for row, (run, image) in enumerate(zip((best, worst), pair, strict=True)):
            y = row * (h + label_h)
            seed = snap.runs[run].spec.seed
            which = "best" if row == 0 else "worst"
            text = QFontMetrics(font).elidedText(f"{label}: {which} seed ({seed})",
                                                 Qt.TextElideMode.ElideRight,
                                                 w - int(12 * scale))
            painter.drawText(QPoint(col * w + int(8 * scale), y + int(look.room(19) * scale)),
                             text)
            painter.drawImage(col * w, y + label_h, image)
    painter.end()
    if look.for_print:  # the PNG says its print resolution (once painted: see export)
        per_metre = round(look.px_per_inch * scale / 0.0254)
        grid.setDotsPerMeterX(per_metre)
        grid.setDotsPerMeterY(per_metre)
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    grid.save(buf, "PNG")
    data = bytes(buf.data())
    write_atomic(path, lambda fh: fh.write(data))
    return path
