"""Start the window: ``python main.py`` (or ``ganviz``) with no subcommand."""

from __future__ import annotations

import signal
import sys

from ganviz.core.config import Config


def app_icon():
    """The ganviz icon (SVG, with the 256 px PNG for icon engines without SVG)."""
    from PySide6.QtGui import QIcon

    from ganviz.views.theme import ICON_DIR

    icon = QIcon()
    for name in ("ganviz.svg", "ganviz.png"):
        if (ICON_DIR / name).is_file():
            icon.addFile(str(ICON_DIR / name))
    return icon


def run_app(cfg: Config, argv: list[str] | None = None, *, play: bool = False,
            quit_after: float | None = None) -> int:
    """Open the main window on ``cfg`` and run the Qt event loop; the exit code.

    ``play`` starts training at once; ``quit_after`` closes the window after that many
    seconds (for scripted demos and tests).
    """
    from pyqtgraph.util.garbage_collector import GarbageCollector
    from PySide6.QtCore import QTimer

    from ganviz.figures.export import application
    from ganviz.gui.window import MainWindow
    from ganviz.views.theme import configure_pyqtgraph

    app = application(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("ganviz")
    app.setOrganizationName("ganviz")
    app.setDesktopFileName("ganviz")  # resources/ganviz.desktop: the Wayland app id
    app.setWindowIcon(app_icon())
    configure_pyqtgraph()
    # Python's automatic collection runs in whichever thread allocates (the relay thread,
    # too), and a Qt object destroyed off the GUI thread can crash the process: collect
    # on a timer in the GUI thread instead (pyqtgraph's well-known remedy).
    collector = GarbageCollector(interval=1.0)
    window = MainWindow(cfg)
    window.garbage_collector = collector
    window.setWindowIcon(app.windowIcon())
    window.fit_to_screen()  # first launch: most of the screen; later: the saved size, clamped
    window.show()
    if play:
        window.toolbar.play.setChecked(True)
    if quit_after is not None:
        QTimer.singleShot(int(quit_after * 1000), window.close)
    close_on_signals(window)
    return app.exec()


def close_on_signals(window) -> None:
    """Ctrl-C (SIGINT) or SIGTERM in the terminal closes the window as its close button does:
    training stops and the layout is saved, with no traceback.

    Qt's event loop runs no Python code by itself, so a timer wakes the interpreter a few
    times a second to let it notice a signal.
    """
    from PySide6.QtCore import QTimer

    def close(*_args) -> None:
        QTimer.singleShot(0, window.close)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, close)
    window._signal_wake = wake = QTimer(window)
    wake.timeout.connect(lambda: None)
    wake.start(200)
