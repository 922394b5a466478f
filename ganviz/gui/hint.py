"""A short message centred over a widget, e.g. over the blank run panels while the training
process starts (its first snapshot takes a few seconds)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QWidget

STARTING = "Starting the training process…"
HINT_STYLE = ("QLabel { background: rgba(20, 20, 24, 210); color: #e6e6e6; border-radius: 6px;"
              " padding: 10px 16px; font-size: 15px; }")


class CentredHint(QLabel):
    """A message centred over another widget (the run panels) until it is hidden."""

    def __init__(self, text: str, over: QWidget, parent: QWidget) -> None:
        super().__init__(text, parent)
        self.setStyleSheet(HINT_STYLE)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._over = over
        over.installEventFilter(self)
        self._place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Follow the covered widget when it moves or resizes."""
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show):
            self._place()
        return False

    def _place(self) -> None:
        self.adjustSize()
        centre = self._over.geometry().center()
        if self._over.parentWidget() is not self.parentWidget():
            centre = self._over.mapTo(self.parentWidget(), self._over.rect().center())
        self.move(centre.x() - self.width() // 2, centre.y() - self.height() // 2)
        self.raise_()
