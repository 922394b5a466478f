"""Start the window: ``python main.py`` (or ``ganviz``) with no subcommand."""

from __future__ import annotations

import sys

from ganviz.config import Config


def run_app(cfg: Config, argv: list[str] | None = None, *, play: bool = False,
            quit_after: float | None = None) -> int:
    """Open the main window on ``cfg`` and run the Qt event loop; the exit code.

    ``play`` starts training at once; ``quit_after`` closes the window after that many
    seconds (for scripted demos and tests).
    """
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ganviz.gui.theme import configure_pyqtgraph
    from ganviz.gui.window import MainWindow

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("ganviz")
    app.setOrganizationName("ganviz")
    configure_pyqtgraph()
    window = MainWindow(cfg)
    window.resize(1600, 1000)
    window.show()
    if play:
        window.toolbar.play.setChecked(True)
    if quit_after is not None:
        QTimer.singleShot(int(quit_after * 1000), window.close)
    return app.exec()
