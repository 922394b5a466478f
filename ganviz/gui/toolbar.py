"""The training toolbar: play/pause, step, reset, speed, one toggle per estimator, layers.

On a narrow window it turns compact (:meth:`TrainingToolbar.set_compact`): icon-only Step
and Reset, no "Speed"/"Estimators" captions, so every action stays on the bar instead of
behind Qt's overflow button.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMenu,
    QStyle,
    QToolBar,
    QToolButton,
    QWidget,
)

from ganviz.core.help_text import estimator_tip, layer_tip
from ganviz.core.names import ESTIMATORS, SHORT_NAMES
from ganviz.views import theme
from ganviz.views.viewstate import LAYERS, ViewState

SPEEDS = [("unlimited", 0), ("1 step/frame", 1), ("5 steps/frame", 5), ("20 steps/frame", 20),
          ("100 steps/frame", 100)]


def _toggle_style(color: str) -> str:
    return (
        f"QToolButton {{ border: 2px solid {color}; border-radius: 4px; padding: 2px 6px;"
        f" color: {color}; background: transparent; }}"
        f" QToolButton:checked {{ background: {color}; color: #111; }}"
        f" QToolButton:disabled {{ border-color: #555; color: #666; }}"
    )


class TrainingToolbar(QToolBar):
    """Signals what the user asks for; the window forwards it to the training session."""

    play_toggled = Signal(bool)
    step_requested = Signal()
    reset_requested = Signal()
    speed_changed = Signal(int)
    estimator_toggled = Signal(str, bool)

    def __init__(self, state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__("Training", parent)
        self.setObjectName("training-toolbar")
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.state = state
        style = self.style()
        self._icons = {name: style.standardIcon(getattr(QStyle.StandardPixmap, name))
                       for name in ("SP_MediaPlay", "SP_MediaPause", "SP_MediaSkipForward",
                                    "SP_BrowserReload")}
        self.play = QAction(self._icons["SP_MediaPlay"], "Play", self)
        self.play.setCheckable(True)
        self.play.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.play.setToolTip("Play / pause training (Space)")
        self.play.toggled.connect(self._on_play)
        self.step = QAction(self._icons["SP_MediaSkipForward"], "Step", self)
        self.step.setShortcut(QKeySequence("S"))
        self.step.setToolTip("Advance one training step (S)")
        self.step.triggered.connect(self.step_requested)
        self.reset = QAction(self._icons["SP_BrowserReload"], "Reset", self)
        self.reset.setShortcut(QKeySequence("Ctrl+R"))
        self.reset.setToolTip("Start again from step 0 with the current settings (Ctrl+R)")
        self.reset.triggered.connect(self.reset_requested)
        for action in (self.play, self.step, self.reset):
            self.addAction(action)
        self.speed = QComboBox()
        self.speed.setToolTip("Training steps between two frames")
        for label, value in SPEEDS:
            self.speed.addItem(label, value)
        self.speed.currentIndexChanged.connect(
            lambda i: self.speed_changed.emit(int(self.speed.itemData(i))))
        self.captions = [QLabel("  Speed "), QLabel(" Estimators ")]
        self._caption_actions = [self.addWidget(self.captions[0])]
        self.addWidget(self.speed)
        self.addSeparator()
        self._caption_actions.append(self.addWidget(self.captions[1]))
        self.estimator_buttons: dict[str, QToolButton] = {}
        for est in ESTIMATORS:
            button = QToolButton()
            button.setText(SHORT_NAMES[est])
            button.setCheckable(True)
            button.setChecked(True)
            button.setToolTip(estimator_tip(est))
            button.setStyleSheet(_toggle_style(theme.ESTIMATOR_COLORS[est]))
            button.toggled.connect(lambda on, e=est: self._on_estimator(e, on))
            self.estimator_buttons[est] = button
            self.addWidget(button)
        self.addSeparator()
        self.layers_button = QToolButton()
        self.layers_button.setText("Layers")
        self.layers_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.layers_menu = QMenu(self.layers_button)
        self.layer_actions: dict[str, QAction] = {}
        for name, label in LAYERS.items():
            action = self.layers_menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(name in state.layers)
            action.setToolTip(layer_tip(name))
            action.toggled.connect(lambda on, n=name: state.set_layer(n, on))
            self.layer_actions[name] = action
        self.layers_menu.setToolTipsVisible(True)
        self.layers_button.setMenu(self.layers_menu)
        self.addWidget(self.layers_button)
        self.compact = False
        self._full_width = 0  # the bar's width when not compact (measured when first needed)
        self._fix_play_width()

    def _fix_play_width(self) -> None:
        """Size the Play/Pause button for the wider of its two texts, so toggling it does not
        shift the buttons after it."""
        button = self.widgetForAction(self.play)
        if button is None:
            return
        text = self.play.text()
        widths = []
        for candidate in ("Play", "Pause"):
            self.play.setText(candidate)
            widths.append(button.sizeHint().width())
        self.play.setText(text)
        button.setFixedWidth(max(widths))

    def full_width(self) -> int:
        """The width the bar needs with its captions and button texts (not compact)."""
        if not self.compact:
            self._full_width = self.sizeHint().width()
        return self._full_width

    def set_compact(self, compact: bool) -> None:
        """Compact: Step and Reset show their icons only and the "Speed" and "Estimators"
        captions hide (tooltips keep the names), so the bar fits about 900 px."""
        if compact == self.compact:
            return
        if compact:
            self.full_width()
        self.compact = compact
        style = (Qt.ToolButtonStyle.ToolButtonIconOnly if compact
                 else Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.step, self.reset):
            button = self.widgetForAction(action)
            if isinstance(button, QToolButton):
                button.setToolButtonStyle(style)
        for action in self._caption_actions:
            action.setVisible(not compact)

    def _on_play(self, on: bool) -> None:
        self.play.setText("Pause" if on else "Play")
        self.play.setIcon(self._icons["SP_MediaPause" if on else "SP_MediaPlay"])
        self.play_toggled.emit(on)

    def _on_estimator(self, estimator: str, on: bool) -> None:
        self.state.set_estimator_visible(estimator, on)
        self.estimator_toggled.emit(estimator, on)

    def set_available(self, estimators: set[str]) -> None:
        """Enable the toggles of the estimators the current runs use."""
        for est, button in self.estimator_buttons.items():
            button.setEnabled(est in estimators)
