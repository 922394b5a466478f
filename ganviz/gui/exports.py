"""The window's exports: the comparison (all visible panels and curves) as PNG, SVG or PDF in
the dark or the paper theme, one panel or one curve plot from its context menu, and the
metrics (CSV) and summary (JSON), which the training process writes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QMenu, QWidget

from ganviz.core.contract import ExportMetrics, ExportSummary
from ganviz.figures.export import comparison_pixels
from ganviz.gui.filedialogs import FileDialogs, ran_ok

# The PNG resolutions' choices (label, scale) for a theme's name.
ScalesFor = Callable[[str], list[tuple[str, float]]]
SCALES = (1, 2, 3, 4)  # the PNG export's resolutions, times the window's size
DEFAULT_SCALE = 2
EXPORT_THEMES = (("dark", "Dark (as the window)"), ("paper", "Paper (white, for print)"))


def resolution_choices(figure: Any, theme: str = "dark") -> list[tuple[str, float]]:
    """The PNG export's resolutions as (label, scale); each label states the exact pixel size
    that export writes at that scale in ``theme`` (paper is laid out at its print width,
    whatever the window's size, so its sizes come from that layout)."""
    def choices(laid_out: Any) -> list[tuple[str, float]]:
        size = comparison_pixels(laid_out, 1)  # whole pixels: at scale k, k times as many
        return sized_choices(size.width(), size.height())

    if theme == "dark":
        return choices(figure)
    from ganviz.figures.comparison import themed_copy

    with themed_copy(figure, theme) as copy:
        return choices(copy)


def sized_choices(width: float, height: float) -> list[tuple[str, float]]:
    """The PNG resolutions of a ``width`` x ``height`` figure as (label, scale), each label
    stating the pixel size written at that scale."""
    return [(f"{k}x  ({round(width * k)} × {round(height * k)} px)", float(k)) for k in SCALES]


def plot_resolution_choices(theme: str) -> list[tuple[str, float]]:
    """The one-curve-plot PNG export's resolutions in ``theme`` (:func:`sized_choices`)."""
    from ganviz.figures.curve_figure import curve_plot_size

    return sized_choices(*curve_plot_size(theme))


def ask_export_options(parent: QWidget, scales_for: ScalesFor | None,
                       title: str = "Export comparison") -> tuple[float, str] | None:
    """A small dialog titled ``title``: the theme (and for PNG the resolution, whose labels
    ``scales_for`` gives for the chosen theme); None: cancelled."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    form = QFormLayout(dialog)
    theme_box = QComboBox(dialog)
    for name, label in EXPORT_THEMES:
        theme_box.addItem(label, name)
    size_box = None
    if scales_for is not None:
        scales = scales_for(str(theme_box.currentData()))
        size_box = QComboBox(dialog)
        for label, scale in scales:
            size_box.addItem(label, scale)
        size_box.setCurrentIndex(min(SCALES.index(DEFAULT_SCALE), len(scales) - 1))
        form.addRow("Resolution", size_box)

        def relabel() -> None:  # the sizes differ by theme: paper is laid out for print
            for i, (label, _) in enumerate(scales_for(str(theme_box.currentData()))):
                size_box.setItemText(i, label)

        theme_box.currentIndexChanged.connect(relabel)
    form.addRow("Theme", theme_box)
    if not ran_ok(dialog, form):
        return None
    scale = float(size_box.currentData()) if size_box is not None else 1.0
    return scale, str(theme_box.currentData())


class ExportActions:
    """The File menu's exports and the panels' and curves' "Export this" entries."""

    def __init__(self, dialogs: FileDialogs) -> None:
        self.dialogs = dialogs
        self.host = dialogs.host
        # the export's theme and, for PNG, resolution (tests replace the dialog)
        self.pick_export: Callable[..., tuple[float, str] | None] = \
            lambda scales_for, title="Export comparison": ask_export_options(
                self.host.parent, scales_for, title)

    # -------------------------------------------------------------- dialogs
    def export_png(self) -> None:
        """Ask for a file, the resolution and the theme, and export all visible panels and
        curves as PNG."""
        path = self.dialogs.ask("Export comparison (PNG)",
                                self.dialogs.name("comparison", ".png"), "PNG images (*.png)")
        if path is None:
            return
        options = self.pick_export(lambda theme: resolution_choices(self.host.figure, theme))
        if options is not None:
            scale, theme = options
            self.export_figure_to(path, scale=scale, theme=theme)

    def export_svg(self) -> None:
        """Ask for a file and the theme, and export all visible panels and curves as SVG."""
        self._export_vector(".svg", "SVG drawings (*.svg)")

    def export_pdf(self) -> None:
        """Ask for a file and the theme, and export all visible panels and curves as PDF."""
        self._export_vector(".pdf", "PDF documents (*.pdf)")

    def _export_vector(self, suffix: str, pattern: str) -> None:
        path = self.dialogs.ask(f"Export comparison ({suffix[1:].upper()})",
                                self.dialogs.name("comparison", suffix), pattern)
        if path is None:
            return
        options = self.pick_export(None)
        if options is not None:
            self.export_figure_to(path, theme=options[1])

    def export_metrics(self) -> None:
        """Ask for a file and export the metrics history as CSV (the headless columns)."""
        path = self.dialogs.ask("Export metrics", self.dialogs.name("metrics", ".csv"),
                                "CSV (*.csv)")
        if path is not None:
            self.host.send(ExportMetrics(str(path)))

    def export_summary(self) -> None:
        """Ask for a file and export the current summary as JSON (the headless schema)."""
        path = self.dialogs.ask("Export summary", self.dialogs.name("summary", ".json"),
                                "JSON (*.json)")
        if path is not None:
            self.host.send(ExportSummary(str(path)))

    # -------------------------------------------------------------- writing
    def export_figure_to(self, path: Path, scale: float = 2.0, theme: str = "dark") -> None:
        """Export the comparison as PNG, SVG or PDF by suffix, in ``theme`` (dark: as shown;
        paper: an offscreen copy in the light theme); a dialog says what went wrong."""
        from ganviz.figures.comparison import themed_copy
        from ganviz.figures.export import (
            export_comparison_pdf,
            export_comparison_png,
            export_comparison_svg,
        )

        def write(figure) -> Path:
            match path.suffix.lower():
                case ".svg":
                    return export_comparison_svg(figure, path)
                case ".pdf":
                    return export_comparison_pdf(figure, path)
                case _:
                    return export_comparison_png(figure, path, scale=scale)

        def themed() -> Path:
            if theme == "dark":
                return write(self.host.figure)
            try:
                with themed_copy(self.host.figure, theme) as copy:
                    return write(copy)
            except ValueError as exc:
                from ganviz.figures.export import ExportError

                raise ExportError(f"cannot write {path}: {exc}") from exc

        self._run_export(path, themed)

    def _run_export(self, path: Path, write) -> None:
        """Run one export; a failure goes to a dialog, success to the status bar."""
        from ganviz.figures.export import ExportError

        try:
            write()
        except ExportError as exc:
            self.dialogs.fail(str(exc))
            return
        self.host.status(f"exported {path}")

    # ------------------------------------------------------- context menus
    def panel_menu(self, index: int, where) -> None:
        """Context menu of one run panel: export it as PNG, SVG or PDF."""
        menu = QMenu(self.host.parent)
        for suffix in (".png", ".svg", ".pdf"):
            action = menu.addAction(f"Export this panel as {suffix[1:].upper()}…")
            action.triggered.connect(lambda _=False, s=suffix: self.export_panel(index, s))
        menu.popup(where)

    def add_curve_menus(self) -> None:
        """Add "Export this plot" entries to every curve plot's context menu."""
        for name, plot in self.host.figure.curves.plots().items():
            menu = plot.getViewBox().menu
            menu.addSeparator()
            for suffix in (".png", ".svg", ".pdf"):
                action = menu.addAction(f"Export this plot as {suffix[1:].upper()}…")
                action.triggered.connect(lambda _=False, n=name, s=suffix: self.export_curve(n, s))

    def _ask_figure(self, what: str, stem: str, suffix: str, scales_for: ScalesFor
                    ) -> tuple[Path, float, str] | None:
        """Ask for the file of one ``what`` (panel, plot), then its theme and, for PNG, its
        resolution (labels from ``scales_for``): (path, scale, theme), or None if cancelled."""
        title = f"Export {what}"
        path = self.dialogs.ask(title, self.dialogs.name(stem, suffix),
                                f"{suffix[1:].upper()} (*{suffix})")
        if path is None:
            return None
        options = self.pick_export(scales_for if suffix == ".png" else None, title)
        return None if options is None else (path, *options)

    def export_panel(self, index: int, suffix: str, path: Path | None = None, *,
                     theme: str = "dark", scale: float = 2.0) -> None:
        """Export run panel ``index`` as a figure of its own, with its colour keys
        (:mod:`~ganviz.figures.panel_figure`). Without ``path``, ask for the file, the theme
        and (PNG) the resolution; with it, write in ``theme`` at ``scale``."""
        from ganviz.figures.panel_figure import panel_size, write_panel

        figure = self.host.figure
        if path is None:
            asked = self._ask_figure(
                "panel", f"panel-{figure.panels.panels[index].spec.estimator}", suffix,
                lambda look: sized_choices(*panel_size(figure, index, look)))
            if asked is None:
                return
            path, scale, theme = asked
        self._run_export(path, lambda: write_panel(figure, index, path, theme=theme,
                                                   scale=scale))

    def export_curve(self, name: str, suffix: str, path: Path | None = None, *,
                     theme: str = "dark", scale: float = 2.0) -> None:
        """Export one curve plot as a figure of its own, its runs' legend above it
        (:mod:`~ganviz.figures.curve_figure`). Without ``path``, ask for the file, the theme
        and (PNG) the resolution; with it, write in ``theme`` at ``scale``."""
        from ganviz.figures.curve_figure import write_curve_plot

        if path is None:
            asked = self._ask_figure("plot", name, suffix, plot_resolution_choices)
            if asked is None:
                return
            path, scale, theme = asked
        self._run_export(path, lambda: write_curve_plot(self.host.figure, name, path,
                                                        theme=theme, scale=scale))
