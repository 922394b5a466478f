"""The Settings dock: a compact form that edits a :class:`Config`.

Every row is generated from the settings' declarations in :mod:`ganviz.core.config` (label,
widget, bounds, tooltip, group and order, when a row shows or is enabled): the form has no
per-field code. Labels are short, tooltips carry the help, the allowed range and whether a
change applies live or needs a reset. The form never changes
``runs.estimators`` (the toolbar's job) nor the custom modes (edited by clicking panels):
fields the form does not show are carried over from the config it was given.
"""

from __future__ import annotations

import copy
import html
import math
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ganviz.core.config import (
    SETTINGS,
    Config,
    form_settings,
    from_dict,
    limits,
    load_preset,
    needs_reset,
    preset_description,
    preset_names,
    range_text,
)
from ganviz.core.sections import (
    MAX_SEED,
    DataConfig,
    EvalConfig,
    ModelConfig,
    ProbeConfig,
    RunsConfig,
    TrainConfig,
)
from ganviz.core.settings import ConfigError, Setting

SECTIONS: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig,
                             "runs": RunsConfig, "eval": EvalConfig, "probe": ProbeConfig}
# Explicit colour pairs (background + text) read the same on light and dark palettes.
ERROR_STYLE = ("QLabel { background: #fde8e8; color: #8f1d1d; border: 1px solid #e5484d;"
               " border-radius: 4px; padding: 4px 6px; }")
NOTE_STYLE = ("QLabel { background: #fff3cd; color: #5c4200; border: 1px solid #d9a400;"
              " border-radius: 4px; padding: 4px 6px; }")
RESET_HIGHLIGHT = ("QPushButton { background: #f5c542; color: #1a1a1a; border: 1px solid #a87f00;"
                   " border-radius: 4px; padding: 4px 8px; font-weight: bold; }"
                   " QPushButton:pressed { background: #d9a400; }")
INVALID_STYLE = "border: 2px solid #e5484d; border-radius: 3px;"

INT_MAX = 2**31 - 1
CUSTOM_PRESET = "custom"  # the Preset box when the form matches no bundled preset
EXAMPLES = {"floats": "e.g. 0.05, 0.1", "ints": "e.g. 128, 128"}  # list placeholders


def field_label(field_name: str) -> str:
    """How the GUI names a config field: its declared label ("train.lr_d" -> "LR D"), with the
    item of a list ("runs.seeds[0]" -> "Seeds, item 1"); unknown names stay as they are."""
    key, _, rest = field_name.partition("[")
    if key not in SETTINGS:
        return field_name
    label = SETTINGS[key].label
    index = [int(i) for i in re.findall(r"\[(\d+)\]", "[" + rest)] if rest else []
    if index:
        label += f", item {index[0] + 1}"
    if len(index) > 1:  # a coordinate of a point ("data.means[2][1]" -> "Modes, item 3, y")
        label += f", {'xy'[index[1]] if index[1] < 2 else index[1] + 1}"
    return label


def labelled(message: str) -> str:
    """A settings error as the GUI shows it: the leading config key ("train.lr_d: ...")
    replaced by the field's label ("LR D: ..."); other text unchanged."""
    match = re.match(r"([a-z_]+\.[a-z_0-9]+(?:\[\d+\])*): ", message)
    if match is None:
        return message
    return f"{field_label(match.group(1))}: {message[match.end():]}"


def kind(s: Setting) -> Any:
    """The widget a setting gets: "float", "int", "bool", "floats", "ints", "points"
    (a read-only count: the custom modes are edited by clicking panels) or its choices."""
    if s.choices:
        return s.choices
    if typing.get_origin(s.type) is list:
        (item,) = typing.get_args(s.type)
        return "points" if typing.get_origin(item) is list else {int: "ints"}.get(item, "floats")
    return {float: "float", int: "int", bool: "bool"}[s.type]


def spin_range(s: Setting) -> tuple[int, int]:
    """Integer bounds of a spin box from the declared bounds (capped to Qt's int)."""
    lo, hi, lo_open = limits(s.key)
    return int(lo) + (1 if lo_open else 0), INT_MAX if hi == math.inf else min(int(hi), INT_MAX)


def tooltip(s: Setting) -> str:
    """A field's tooltip: help, allowed range (and unit), live or reset."""
    if kind(s) == "points":
        return _tip(s.help)
    parts = [s.help]
    rng = range_text(s.key)
    if rng:
        each = " each" if kind(s) in ("floats", "ints") else ""
        unit = f" {s.unit}" if s.unit else ""
        parts.append(f"Allowed: {rng}{unit}{each}.")
    parts.append("Applies at the next step." if s.live else "Changing it needs a reset.")
    return _tip(" ".join(parts), title=s.key)


def _holds(condition: tuple[str, ...], value: str) -> bool:
    """Whether ``value`` is one of the values a (key, value, ...) condition allows."""
    return value in condition[1:]


def _value(raw: dict[str, Any], key: str) -> Any:
    section, name = key.split(".")
    return raw[section][name]


def _unvalidated(raw: dict[str, Any]) -> Config:
    """A Config built from nested dicts without validation (for comparisons only)."""
    return Config(**{s: cls(**raw[s]) for s, cls in SECTIONS.items()})


def _as_loaded(preset: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """What loading ``preset`` over ``current`` gives: the enabled estimators, the device
    and (when the preset has none) the custom modes stay as they are."""
    raw = copy.deepcopy(preset)
    raw["runs"]["estimators"] = list(current["runs"]["estimators"])
    raw["train"]["device"] = current["train"]["device"]
    if not raw["data"]["means"]:
        for key in ("means", "stds", "weights"):
            raw["data"][key] = copy.deepcopy(current["data"][key])
    return raw


class _WheelOnlyWhenFocused:
    """Mixin: the wheel scrolls the panel unless the widget has focus."""

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Only change the value under the wheel when focused."""
        if self.hasFocus():  # type: ignore[attr-defined]
            super().wheelEvent(event)  # type: ignore[misc]
        else:
            event.ignore()


class _SpinBox(_WheelOnlyWhenFocused, QSpinBox):
    """A spin box that lets the wheel scroll the panel unless it has focus."""


class _ComboBox(_WheelOnlyWhenFocused, QComboBox):
    """A combo box that lets the wheel scroll the panel unless it has focus."""


@dataclass
class _Field:
    """One form field bound to a config key."""

    key: str
    label: str
    kind: Any
    widget: QWidget
    tip: str

    def write(self, value: Any) -> None:
        """Show ``value`` in the widget (signals are blocked by the caller)."""
        w = self.widget
        if self.kind == "float":
            w.setText(repr(float(value)))
        elif self.kind == "floats":
            w.setText(", ".join(repr(float(v)) for v in value))
        elif self.kind == "ints":
            w.setText(", ".join(str(v) for v in value))
        elif self.kind == "int":
            w.setValue(int(value))
        elif self.kind == "bool":
            w.setChecked(bool(value))
        else:
            w.setCurrentIndex(w.findText(str(value)))

    def read(self) -> Any:
        """The widget's value, or :class:`ConfigError` naming the key when it does not parse."""
        w = self.widget
        if self.kind == "int":
            return w.value()
        if self.kind == "bool":
            return w.isChecked()
        if isinstance(self.kind, tuple):
            return w.currentText()
        text = w.text().strip()
        if self.kind == "float":
            try:
                return float(text)
            except ValueError:
                rng = range_text(self.key)
                where = f" in {rng}" if rng else ""
                raise ConfigError(
                    self.key, f"must be a finite number{where} (got {_short(text)})") from None
        tokens = [t for t in re.split(r"[,;\s]+", text) if t]
        try:
            values = [int(t) if self.kind == "ints" else float(t) for t in tokens]
        except ValueError:
            what = "integers, e.g. 128, 128" if self.kind == "ints" else "numbers, e.g. 0.05, 0.1"
            raise ConfigError(self.key,
                              f"give comma-separated {what} (got {_short(text)})") from None
        if any(abs(v) > MAX_SEED for v in values if isinstance(v, int)):  # overflows floats
            raise ConfigError(self.key, f"must be integers in {range_text(self.key)} each "
                              f"(got {_short(text)})")
        return values


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
        self._fields: dict[str, _Field] = {}
        self._counts: dict[str, QLabel] = {}  # read-only rows: how many points a list holds
        self._forms: dict[str, QFormLayout] = {}
        self._filling = False
        self._error_key = ""
        self._marked: dict[str, str] = {}
        self._presets = {name: load_preset(name).to_dict() for name in preset_names()}
        self._preset_origin: str | None = None  # the preset the form last matched
        # asked before the reset button throws training away (the window sets it)
        self.confirm_reset: Callable[[], bool] = lambda: True
        self._build()
        self.set_config(cfg)

    # ------------------------------------------------------------------ build
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(4)
        self.error_label = self._banner(ERROR_STYLE)
        self.reset_note = self._banner(NOTE_STYLE)
        outer.addWidget(self.error_label)
        outer.addWidget(self.reset_note)

        content = QWidget()
        col = QVBoxLayout(content)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(6)
        preset_form = self._form()
        self.preset_combo = _ComboBox()
        self.preset_combo.setPlaceholderText(CUSTOM_PRESET)
        for i, name in enumerate(self._presets):
            self.preset_combo.addItem(name)
            self.preset_combo.setItemData(i, _tip(preset_description(name)), Qt.ToolTipRole)
        self.preset_combo.textActivated.connect(self.load_preset)
        preset_form.addRow("Preset", self.preset_combo)
        col.addLayout(preset_form)

        for title, specs in form_settings().items():
            box = QGroupBox(title.replace("&", "&&"))
            box.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Maximum)
            form = self._form()
            box.setLayout(form)
            for s in specs:
                self._add_field(form, s)
            col.addWidget(box)
        col.addStretch(1)
        row_labels = [lab for lab in content.findChildren(QLabel) if lab.buddy() is not None]
        width = max(lab.sizeHint().width() for lab in row_labels)
        for lab in row_labels:
            lab.setMinimumWidth(width)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        self._scroll = scroll
        outer.addWidget(scroll, 1)

        buttons = QHBoxLayout()
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip(_tip("Apply the settings that can change while training "
                                          "(at the next step)."))
        self.reset_button = QPushButton("Reset with these settings")
        self.reset_button.setToolTip(_tip("Start training again from step 0 with the settings "
                                          "in this form."))
        self.apply_button.clicked.connect(self._on_apply)
        self.reset_button.clicked.connect(self._on_reset)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.reset_button, 1)
        outer.addLayout(buttons)

        conditions = {s.shown_if[0] for s in SETTINGS.values() if s.shown_if} | \
            {s.enabled_if[0] for s in SETTINGS.values() if s.enabled_if}
        for key in conditions:
            self._fields[key].widget.currentTextChanged.connect(self._sync_enabled)

    @staticmethod
    def _banner(style: str) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setStyleSheet(style)
        label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        label.hide()
        return label

    @staticmethod
    def _form() -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.DontWrapRows)
        form.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        form.setContentsMargins(6, 4, 6, 4)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(4)
        return form

    def _add_field(self, form: QFormLayout, s: Setting) -> None:
        """One row generated from a declaration: widget by kind, bounds, tooltip."""
        key, what, tip = s.key, kind(s), tooltip(s)
        self._forms[key] = form
        widget: QWidget
        if what == "points":
            widget = QLabel()
            widget.setWordWrap(True)
            widget.setToolTip(tip)
            form.addRow(s.label, widget)
            self._counts[key] = widget
            return
        if what == "bool":
            widget = QCheckBox(s.label)
            widget.toggled.connect(lambda _=None, k=key: self._edited(k))
        elif what == "int":
            widget = _SpinBox()
            widget.setFocusPolicy(Qt.StrongFocus)
            widget.setRange(*spin_range(s))
            widget.setAccelerated(True)
            if s.special:
                widget.setSpecialValueText(s.special)
            widget.valueChanged.connect(lambda _=None, k=key: self._edited(k))
        elif isinstance(what, tuple):
            widget = _ComboBox()
            widget.setFocusPolicy(Qt.StrongFocus)
            widget.addItems(list(what))
            widget.currentIndexChanged.connect(lambda _=None, k=key: self._edited(k))
        else:
            widget = QLineEdit()
            widget.setPlaceholderText(s.hint or EXAMPLES.get(what, ""))
            widget.textChanged.connect(lambda _=None, k=key: self._edited(k))
            widget.returnPressed.connect(self._on_return)
            widget.editingFinished.connect(lambda k=key: self._check_field(k))
        widget.setToolTip(tip)
        if what == "bool":
            form.addRow(widget)
        else:
            row_label = QLabel(s.label)
            row_label.setToolTip(tip)
            row_label.setBuddy(widget)
            form.addRow(row_label, widget)
        self._fields[key] = _Field(key, s.label, what, widget, tip)

    # ------------------------------------------------------------------- API
    def field_widget(self, key: str) -> QWidget:
        """The widget that edits config field ``key`` (e.g. "train.lr_d"), or shows it
        (the count of custom modes, "data.means")."""
        return self._counts[key] if key in self._counts else self._fields[key].widget

    def set_config(self, cfg: Config) -> None:
        """Fill the form from ``cfg`` without emitting; the applied config is unchanged."""
        self._base = cfg.to_dict()
        self._filling = True
        try:
            for key, f in self._fields.items():
                section, name = key.split(".")
                f.write(self._base[section][name])
        finally:
            self._filling = False
        self._preset_origin = None
        self._clear_error()
        self._sync_enabled()
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
                    f = self._fields.get(f"{section}.{name}")
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
        self._sync_enabled()
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
        return needs_reset(self._applied, _unvalidated(raw))

    def load_preset(self, name: str) -> None:
        """Load a bundled preset into the form (keeping the enabled estimators, the device
        and custom modes); applies nothing."""
        current, _ = self._collect()
        self.set_config(_unvalidated(_as_loaded(load_preset(name).to_dict(), current)))

    def matching_preset(self) -> str | None:
        """The bundled preset the form equals (as :meth:`load_preset` would fill it), if any."""
        raw, errors = self._collect()
        return None if errors else self._match(raw)

    def _match(self, raw: dict[str, Any]) -> str | None:
        for name, preset in self._presets.items():
            if _as_loaded(preset, raw) == raw:
                return name
        return None

    def _show_preset(self, raw: dict[str, Any], errors: list[ConfigError]) -> None:
        """The Preset box names the preset the form matches, else says it matches none."""
        combo = self.preset_combo
        name = None if errors else self._match(raw)
        if name is not None:
            self._preset_origin = name
            combo.setCurrentIndex(list(self._presets).index(name))
            combo.setToolTip(_tip(preset_description(name), title=f"preset {name}"))
            return
        origin = self._preset_origin
        combo.setCurrentIndex(-1)
        combo.setPlaceholderText(f"{origin} (modified)" if origin else CUSTOM_PRESET)
        combo.setToolTip(_tip(
            (f"The form differs from preset {origin}. " if origin else
             "The settings match no bundled preset. ") + "Choose one to load it into the form; "
            "then press Apply or Reset to use it.", title="no preset"))

    # ------------------------------------------------------------- behaviour
    def _collect(self) -> tuple[dict[str, Any], list[ConfigError]]:
        """The merged raw config; fields that do not parse keep their base value."""
        raw = copy.deepcopy(self._base)
        errors = []
        for key, f in self._fields.items():
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
            f"Changes to {self._names(fields)} need a reset.\n\nReset now with the new settings? "
            "Training starts again from step 0.",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        return answer == QMessageBox.Yes

    def _validated(self) -> Config | None:
        """The form's config, or None after showing why it is refused."""
        try:
            return self.current_config()
        except ConfigError as exc:
            self._show_error(exc)
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
        message = self._marked.get(key)
        if message is not None:
            self._show_message(key, message, focus=False)

    def _emit_reset(self, cfg: Config) -> None:
        self.reset_requested.emit(cfg)
        self.mark_applied(cfg)

    def _edited(self, key: str) -> None:
        if self._filling:
            return
        if self._error_key and self._widget_key(self._error_key) == self._widget_key(key):
            self._clear_error()
        self._refresh()

    def _refresh(self) -> None:
        """Live validation, the reset note and the dirty indicator."""
        raw, errors = self._collect()
        marks = {self._widget_key(e.field): labelled(str(e)) for e in errors}
        if not errors:
            try:
                from_dict(raw)
            except ConfigError as exc:
                marks.setdefault(self._widget_key(exc.field), labelled(str(exc)))
        self._mark(marks)
        if not marks:
            self._clear_error()
        fields = needs_reset(self._applied, _unvalidated(raw))
        self.reset_note.setText(f"Changes to {self._names(fields)} need a reset.")
        self.reset_note.setToolTip(_tip(", ".join(fields)))
        self.reset_note.setVisible(bool(fields))
        self.reset_button.setStyleSheet(RESET_HIGHLIGHT if fields else "")
        self.set_dirty_indicator(bool(errors) or raw != self._applied.to_dict())
        self._show_preset(raw, errors)
        for key, label in self._counts.items():
            s, n = SETTINGS[key], len(_value(raw, key))
            label.setText(f"{n} {s.unit}{'' if n == 1 else 's'} — {s.hint}")

    def set_dirty_indicator(self, dirty: bool) -> None:
        """Enable Apply only when the form differs from the applied config (run on every edit)."""
        self.apply_button.setEnabled(dirty)

    def _sync_enabled(self, *_: object) -> None:
        """Show or enable the rows whose declared condition holds (e.g. the ring's radius
        only for ring8, Adam's betas only with Adam)."""
        for key, form in self._forms.items():
            s = SETTINGS[key]
            widget = self.field_widget(key)
            if s.shown_if:
                form.setRowVisible(widget, _holds(s.shown_if, self._shown(s.shown_if[0])))
            if s.enabled_if:
                widget.setEnabled(_holds(s.enabled_if, self._shown(s.enabled_if[0])))

    def _shown(self, key: str) -> str:
        """The text a choice field shows."""
        return self._fields[key].widget.currentText()

    def _widget_key(self, field_name: str) -> str:
        """The form key that shows a ConfigError field ("model.g_hidden[0]" -> "model.g_hidden")."""
        key = re.sub(r"\[.*$", "", field_name)
        return SETTINGS[key].errors_at or key if key in SETTINGS else key

    def _mark(self, marks: dict[str, str]) -> None:
        """Red border and the message as tooltip on invalid widgets; restore the others."""
        for key in set(self._marked) | set(marks):
            f = self._fields.get(key)
            if f is None or self._marked.get(key) == marks.get(key):
                continue
            if key in marks:
                f.widget.setStyleSheet(INVALID_STYLE)
                f.widget.setToolTip(_tip(marks[key], title="invalid") + f.tip)
            else:
                f.widget.setStyleSheet("")
                f.widget.setToolTip(f.tip)
        self._marked = {k: v for k, v in marks.items() if k in self._fields}

    def _show_error(self, exc: ConfigError) -> None:
        self._show_message(exc.field, labelled(str(exc)), focus=True)

    def _show_message(self, field_name: str, message: str, focus: bool) -> None:
        """The error banner and the field's mark; ``focus`` also takes the user to it."""
        self._error_key = field_name
        self.error_label.setText(message)
        self.error_label.show()
        self._mark({**self._marked, self._widget_key(field_name): message})
        f = self._fields.get(self._widget_key(field_name))
        if f is not None and focus:
            self._scroll.ensureWidgetVisible(f.widget)
            f.widget.setFocus()

    def _clear_error(self) -> None:
        self._error_key = ""
        self.error_label.clear()
        self.error_label.hide()

    def _names(self, fields: list[str]) -> str:
        """Short human names of config fields ("train.optimizer" -> "Optimizer")."""
        names = []
        for key in fields:
            f = self._fields.get(self._widget_key(key))
            name = f.label if f is not None and self._widget_key(key) == key else key
            if name not in names:
                names.append(name)
        return ", ".join(names)


def _short(text: str, limit: int = 40) -> str:
    """``repr`` of what the user typed, cut to ``limit`` characters (messages stay one line)."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _tip(text: str, title: str = "") -> str:
    """Rich-text tooltip (so Qt wraps long lines), with an optional bold title line."""
    head = f"<b>{html.escape(title)}</b><br>" if title else ""
    return f"<p>{head}{html.escape(text)}</p>"
