"""The Settings form's rows, generated from the settings' declarations in
:mod:`ganviz.core.config`: label, widget, bounds, tooltip, group and order, and when a row
shows or is enabled. The form has no per-field code; it reads and writes raw config values
and marks invalid rows, and the panel (:mod:`ganviz.gui.settings`) decides what they mean.
"""

from __future__ import annotations

import html
import math
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ganviz.core.config import SETTINGS, form_settings, limits, range_text
from ganviz.core.sections import MAX_SEED
from ganviz.core.settings import ConfigError, Setting

INVALID_STYLE = "border: 2px solid #e5484d; border-radius: 3px;"
INT_MAX = 2**31 - 1
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
        return rich_tip(s.help)
    parts = [s.help]
    rng = range_text(s.key)
    if rng:
        each = " each" if kind(s) in ("floats", "ints") else ""
        unit = f" {s.unit}" if s.unit else ""
        parts.append(f"Allowed: {rng}{unit}{each}.")
    parts.append("Applies at the next step." if s.live else "Changing it needs a reset.")
    return rich_tip(" ".join(parts), title=s.key)


def rich_tip(text: str, title: str = "") -> str:
    """Rich-text tooltip (so Qt wraps long lines), with an optional bold title line."""
    head = f"<b>{html.escape(title)}</b><br>" if title else ""
    return f"<p>{head}{html.escape(text)}</p>"


def _short(text: str, limit: int = 40) -> str:
    """``repr`` of what the user typed, cut to ``limit`` characters (messages stay one line)."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _holds(condition: tuple[str, ...], value: str) -> bool:
    """Whether ``value`` is one of the values a (key, value, ...) condition allows."""
    return value in condition[1:]


def new_form() -> QFormLayout:
    """A compact form layout: labels right-aligned, fields growing."""
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.DontWrapRows)
    form.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
    form.setContentsMargins(6, 4, 6, 4)
    form.setHorizontalSpacing(8)
    form.setVerticalSpacing(4)
    return form


class _WheelOnlyWhenFocused:
    """Mixin: the wheel scrolls the panel unless the widget has focus."""

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Only change the value under the wheel when focused."""
        if self.hasFocus():  # type: ignore[attr-defined]
            super().wheelEvent(event)  # type: ignore[misc]
        else:
            event.ignore()


class SpinBox(_WheelOnlyWhenFocused, QSpinBox):
    """A spin box that lets the wheel scroll the panel unless it has focus."""


class ComboBox(_WheelOnlyWhenFocused, QComboBox):
    """A combo box that lets the wheel scroll the panel unless it has focus."""


@dataclass
class Field:
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


class SettingsForm:
    """The group boxes of rows, one row per declared setting the form shows.

    ``edited(key)`` hears every change of a row, ``returned()`` Return in a text row and
    ``left(key)`` the user leaving a text row.
    """

    def __init__(self, edited: Callable[[str], None], returned: Callable[[], None],
                 left: Callable[[str], None]) -> None:
        self._edited, self._returned, self._left = edited, returned, left
        self.fields: dict[str, Field] = {}
        self.counts: dict[str, QLabel] = {}  # read-only rows: how many points a list holds
        self._forms: dict[str, QFormLayout] = {}
        self._marked: dict[str, str] = {}

    def build(self, col: QVBoxLayout) -> None:
        """Add one group box per declared group to ``col``; labels share one width."""
        for title, specs in form_settings().items():
            box = QGroupBox(title.replace("&", "&&"))
            box.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Maximum)
            form = new_form()
            box.setLayout(form)
            for s in specs:
                self._add_field(form, s)
            col.addWidget(box)
        col.addStretch(1)
        content = col.parentWidget()
        row_labels = [lab for lab in content.findChildren(QLabel) if lab.buddy() is not None]
        width = max(lab.sizeHint().width() for lab in row_labels)
        for lab in row_labels:
            lab.setMinimumWidth(width)
        conditions = {s.shown_if[0] for s in SETTINGS.values() if s.shown_if} | \
            {s.enabled_if[0] for s in SETTINGS.values() if s.enabled_if}
        for key in conditions:
            self.fields[key].widget.currentTextChanged.connect(self.sync_enabled)

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
            self.counts[key] = widget
            return
        if what == "bool":
            widget = QCheckBox(s.label)
            widget.toggled.connect(lambda _=None, k=key: self._edited(k))
        elif what == "int":
            widget = SpinBox()
            widget.setFocusPolicy(Qt.StrongFocus)
            widget.setRange(*spin_range(s))
            widget.setAccelerated(True)
            if s.special:
                widget.setSpecialValueText(s.special)
            widget.valueChanged.connect(lambda _=None, k=key: self._edited(k))
        elif isinstance(what, tuple):
            widget = ComboBox()
            widget.setFocusPolicy(Qt.StrongFocus)
            widget.addItems(list(what))
            widget.currentIndexChanged.connect(lambda _=None, k=key: self._edited(k))
        else:
            widget = QLineEdit()
            widget.setPlaceholderText(s.hint or EXAMPLES.get(what, ""))
            widget.textChanged.connect(lambda _=None, k=key: self._edited(k))
            widget.returnPressed.connect(self._returned)
            widget.editingFinished.connect(lambda k=key: self._left(k))
        widget.setToolTip(tip)
        if what == "bool":
            form.addRow(widget)
        else:
            row_label = QLabel(s.label)
            row_label.setToolTip(tip)
            row_label.setBuddy(widget)
            form.addRow(row_label, widget)
        self.fields[key] = Field(key, s.label, what, widget, tip)

    def field_widget(self, key: str) -> QWidget:
        """The widget that edits config field ``key``, or shows it (a count of points)."""
        return self.counts[key] if key in self.counts else self.fields[key].widget

    def sync_enabled(self, *_: object) -> None:
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
        return self.fields[key].widget.currentText()

    def marked(self, key: str) -> str | None:
        """Why the row of ``key`` is marked invalid (None: it is not)."""
        return self._marked.get(key)

    def mark(self, marks: dict[str, str]) -> None:
        """Red border and the message as tooltip on invalid widgets; restore the others."""
        for key in set(self._marked) | set(marks):
            f = self.fields.get(key)
            if f is None or self._marked.get(key) == marks.get(key):
                continue
            if key in marks:
                f.widget.setStyleSheet(INVALID_STYLE)
                f.widget.setToolTip(rich_tip(marks[key], title="invalid") + f.tip)
            else:
                f.widget.setStyleSheet("")
                f.widget.setToolTip(f.tip)
        self._marked = {k: v for k, v in marks.items() if k in self.fields}

    def mark_also(self, field_name: str, message: str) -> None:
        """Mark the row that shows ``field_name`` too, keeping the other marks."""
        self.mark({**self._marked, widget_key(field_name): message})

    def names(self, fields: list[str]) -> str:
        """Short human names of config fields ("train.optimizer" -> "Optimizer")."""
        names = []
        for key in fields:
            f = self.fields.get(widget_key(key))
            name = f.label if f is not None and widget_key(key) == key else key
            if name not in names:
                names.append(name)
        return ", ".join(names)


def widget_key(field_name: str) -> str:
    """The form key that shows a ConfigError field ("model.g_hidden[0]" -> "model.g_hidden")."""
    key = re.sub(r"\[.*$", "", field_name)
    return SETTINGS[key].errors_at or key if key in SETTINGS else key
