"""The Settings dock: a compact form that edits a :class:`Config`, and its Apply and Reset.

The rows are generated from the settings' declarations (:mod:`ganviz.gui.settings_form`);
the Preset box is :mod:`ganviz.gui.settings_presets`. This panel keeps the values: what the
engine runs, what the form holds, whether it validates, and whether a change applies live or
needs a reset. The form never changes ``runs.estimators`` (the toolbar's job) nor the custom
modes (edited by clicking panels): fields the form does not show are carried over from the
config it was given.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ganviz.core.config import SETTINGS, Config, from_dict, load_preset, needs_reset
from ganviz.core.settings import ConfigError
from ganviz.gui.settings_form import SettingsForm, labelled, new_form, rich_tip, widget_key
from ganviz.gui.settings_presets import PresetBox, as_loaded, unvalidated

# Explicit colour pairs (background + text) read the same on light and dark palettes.
ERROR_STYLE = ("QLabel { background: #fde8e8; color: #8f1d1d; border: 1px solid #e5484d;"
               " border-radius: 4px; padding: 4px 6px; }")
NOTE_STYLE = ("QLabel { background: #fff3cd; color: #5c4200; border: 1px solid #d9a400;"
              " border-radius: 4px; padding: 4px 6px; }")
RESET_HIGHLIGHT = ("QPushButton { background: #f5c542; color: #1a1a1a; border: 1px solid #a87f00;"
                   " border-radius: 4px; padding: 4px 8px; font-weight: bold; }"
                   " QPushButton:pressed { background: #d9a400; }")


def _value(raw: dict[str, Any], key: str) -> Any:
    section, name = key.split(".")
    return raw[section][name]


def _banner(style: str) -> QLabel:
    """A hidden, word-wrapped message strip (errors, the reset note)."""
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(style)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    label.hide()
    return label


class SettingsPanel(QWidget):
    """The settings form. Apply emits ``apply_requested``; reset emits ``reset_requested``.

    ``apply_requested(Config)``: validated, every change live-changeable (needs no reset).
    ``reset_requested(Config)``: validated; from the reset button, or from Apply when the
    user agrees to reset for changes that need one. After either, the panel marks the
    emitted config as applied; the window may call :meth:`mark_applied` again with what the
    engine actually runs.
    """

    apply_requested = Signal(object)
    reset_requested = Signal(object)

    def __init__(self, cfg: Config, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._base: dict[str, Any] = cfg.to_dict()
        self._applied: Config = cfg
        self._filling = False
        self._error_key = ""
        self.form = SettingsForm(self._edited, self._on_return, self._check_field)
        self.presets = PresetBox(self.load_preset)
        # asked before the reset button throws training away (the window sets it)
        self.confirm_reset: Callable[[], bool] = lambda: True
        self._build()
        self.set_config(cfg)

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(4)
        self.error_label = _banner(ERROR_STYLE)
        self.reset_note = _banner(NOTE_STYLE)
        outer.addWidget(self.error_label)
        outer.addWidget(self.reset_note)

        content = QWidget()
        col = QVBoxLayout(content)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(6)
        preset_form = new_form()
        preset_form.addRow("Preset", self.presets.combo)
        col.addLayout(preset_form)
        self.form.build(col)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        self._scroll = scroll
        outer.addWidget(scroll, 1)

        buttons = QHBoxLayout()
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip(rich_tip("Apply the settings that can change while "
                                              "training (at the next step)."))
        self.reset_button = QPushButton("Reset with these settings")
        self.reset_button.setToolTip(rich_tip("Start training again from step 0 with the "
                                              "settings in this form."))
        self.apply_button.clicked.connect(self._on_apply)
        self.reset_button.clicked.connect(self._on_reset)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.reset_button, 1)
        outer.addLayout(buttons)

    # ------------------------------------------------------------------- API
    def field_widget(self, key: str) -> QWidget:
        """The widget that edits config field ``key`` (e.g. "train.lr_d"), or shows it
        (the count of custom modes, "data.means")."""
        return self.form.field_widget(key)

    def set_config(self, cfg: Config) -> None:
        """Fill the form from ``cfg`` without emitting; the applied config is unchanged."""
        self._base = cfg.to_dict()
        self._filling = True
        try:
            for key, f in self.form.fields.items():
                f.write(_value(self._base, key))
        finally:
            self._filling = False
        self.presets.origin = None
        self._clear_error()
        self.form.sync_enabled()
        self._refresh()

    def mark_applied(self, cfg: Config) -> None:
        """Record ``cfg`` as what the engine runs; the dirty and reset states compare with it.

        Changes made elsewhere (e.g. custom modes added by clicking a panel) are taken into
        the form where the user has not edited the same field.
        """
        old, self._applied = self._applied, cfg
        if old == cfg:
            self._refresh()
            return
        before, after = old.to_dict(), cfg.to_dict()
        self._filling = True
        try:
            for section, values in after.items():
                for name, value in values.items():
                    if before[section][name] == value:
                        continue
                    f = self.form.fields.get(f"{section}.{name}")
                    if f is None:
                        self._base[section][name] = copy.deepcopy(value)
                        continue
                    try:
                        shown = f.read()
                    except ConfigError:
                        continue
                    if shown == before[section][name]:
                        f.write(value)
        finally:
            self._filling = False
        self.form.sync_enabled()
        self._refresh()

    def applied_config(self) -> Config:
        """The config last marked as applied."""
        return self._applied

    def set_modes(self, means: list[list[float]], stds: list[float] | None = None,
                  weights: list[float] | None = None) -> None:
        """Replace the custom modes the form will submit (an edit, not an apply)."""
        data = self._base["data"]
        data["means"] = [list(map(float, m)) for m in means]
        data["stds"] = list(stds) if stds is not None else []
        data["weights"] = list(weights) if weights is not None else []
        self._edited("data.means")

    def current_config(self) -> Config:
        """The validated config in the form; raises :class:`ConfigError` naming the field."""
        raw, errors = self._collect()
        if errors:
            raise errors[0]
        return from_dict(raw)

    def is_dirty(self) -> bool:
        """Whether the form differs from the applied config (or does not parse)."""
        raw, errors = self._collect()
        return bool(errors) or raw != self._applied.to_dict()

    def pending_reset_fields(self) -> list[str]:
        """Edited fields that need a reset, compared with the applied config."""
        raw, _ = self._collect()
        return needs_reset(self._applied, unvalidated(raw))

    def load_preset(self, name: str) -> None:
        """Load a bundled preset into the form (keeping the enabled estimators, the device
        and custom modes); applies nothing."""
        current, _ = self._collect()
        self.set_config(unvalidated(as_loaded(load_preset(name).to_dict(), current)))

    def matching_preset(self) -> str | None:
        """The bundled preset the form equals (as :meth:`load_preset` would fill it), if any."""
        raw, errors = self._collect()
        return None if errors else self.presets.match(raw)

    def set_dirty_indicator(self, dirty: bool) -> None:
        """Enable Apply only when the form differs from the applied config (run on every edit)."""
        self.apply_button.setEnabled(dirty)

    # ------------------------------------------------------------- behaviour
    def _collect(self) -> tuple[dict[str, Any], list[ConfigError]]:
        """The merged raw config; fields that do not parse keep their base value."""
        raw = copy.deepcopy(self._base)
        errors = []
        for key, f in self.form.fields.items():
            section, name = key.split(".")
            try:
                raw[section][name] = f.read()
            except ConfigError as exc:
                errors.append(exc)
        return raw, errors

    def _confirm_reset(self, fields: list[str]) -> bool:
        """Ask whether to reset now (tests replace this)."""
        answer = QMessageBox.question(
            self, "Reset needed",
            f"Changes to {self.form.names(fields)} need a reset.\n\nReset now with the new "
            "settings? Training starts again from step 0.",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        return answer == QMessageBox.Yes

    def _validated(self) -> Config | None:
        """The form's config, or None after showing why it is refused."""
        try:
            return self.current_config()
        except ConfigError as exc:
            self._show_message(exc.field, labelled(str(exc)), focus=True)
            return None

    def _on_apply(self) -> None:
        cfg = self._validated()
        if cfg is None:
            return
        fields = needs_reset(self._applied, cfg)
        if fields:
            if self._confirm_reset(fields):
                self._emit_reset(cfg)
            return
        self.apply_requested.emit(cfg)
        self.mark_applied(cfg)

    def _on_return(self) -> None:
        if self.apply_button.isEnabled():
            self._on_apply()

    def _on_reset(self) -> None:
        cfg = self._validated()
        if cfg is not None and self.confirm_reset():
            self._emit_reset(cfg)

    def _check_field(self, key: str) -> None:
        """A field the user leaves (or presses Return in) says at once why it is refused."""
        message = self.form.marked(key)
        if message is not None:
            self._show_message(key, message, focus=False)

    def _emit_reset(self, cfg: Config) -> None:
        self.reset_requested.emit(cfg)
        self.mark_applied(cfg)

    def _edited(self, key: str) -> None:
        if self._filling:
            return
        if self._error_key and widget_key(self._error_key) == widget_key(key):
            self._clear_error()
        self._refresh()

    def _refresh(self) -> None:
        """Live validation, the reset note, the dirty indicator and the Preset box."""
        raw, errors = self._collect()
        marks = {widget_key(e.field): labelled(str(e)) for e in errors}
        if not errors:
            try:
                from_dict(raw)
            except ConfigError as exc:
                marks.setdefault(widget_key(exc.field), labelled(str(exc)))
        self.form.mark(marks)
        if not marks:
            self._clear_error()
        fields = needs_reset(self._applied, unvalidated(raw))
        self.reset_note.setText(f"Changes to {self.form.names(fields)} need a reset.")
        self.reset_note.setToolTip(rich_tip(", ".join(fields)))
        self.reset_note.setVisible(bool(fields))
        self.reset_button.setStyleSheet(RESET_HIGHLIGHT if fields else "")
        self.set_dirty_indicator(bool(errors) or raw != self._applied.to_dict())
        self.presets.show(raw, valid=not errors)
        for key, label in self.form.counts.items():
            s, n = SETTINGS[key], len(_value(raw, key))
            label.setText(f"{n} {s.unit}{'' if n == 1 else 's'} — {s.hint}")

    def _show_message(self, field_name: str, message: str, focus: bool) -> None:
        """The error banner and the field's mark; ``focus`` also takes the user to it."""
        self._error_key = field_name
        self.error_label.setText(message)
        self.error_label.show()
        self.form.mark_also(field_name, message)
        f = self.form.fields.get(widget_key(field_name))
        if f is not None and focus:
            self._scroll.ensureWidgetVisible(f.widget)
            f.widget.setFocus()

    def _clear_error(self) -> None:
        self._error_key = ""
        self.error_label.clear()
        self.error_label.hide()
