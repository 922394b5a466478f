"""The Settings dock: a compact form that edits a :class:`Config`.

Labels are short, tooltips carry the explanation and the allowed range (read from
``Config.validate`` itself, so they never drift). The form never changes
``runs.estimators`` (the toolbar's job) nor the custom modes (edited by clicking panels):
fields the form does not show are carried over from the config it was given.
"""

from __future__ import annotations

import copy
import functools
import html
import math
import re
import typing
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

from ganviz.config import (
    ACTIVATIONS,
    DATASETS,
    DEVICES,
    LATENTS,
    LIVE_FIELDS,
    LOSSES,
    OPTIMIZERS,
    SCHEDULES,
    Config,
    ConfigError,
    DataConfig,
    EvalConfig,
    ModelConfig,
    ProbeConfig,
    RunsConfig,
    TrainConfig,
    from_dict,
    load_preset,
    needs_reset,
    preset_description,
    preset_names,
)

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

# (key, label, kind, help); kind: float, int, floats, ints, bool or a tuple of choices.
GROUPS: dict[str, list[tuple[str, str, Any, str]]] = {
    "Data": [
        ("data.name", "Dataset", DATASETS,
         "Target mixture: ring8 = 8 Gaussians on a circle, grid25 = a 5×5 grid, custom = "
         "modes you place by clicking a panel (right-click removes one)."),
        ("data.radius", "Radius", "float", "Radius of the ring of 8 modes."),
        ("data.spacing", "Spacing", "float", "Distance between neighbouring modes of the grid."),
        ("data.std", "Mode std", "float",
         "Standard deviation of every mode (custom modes without their own std use it too)."),
        ("data.scale", "Scale", "float", "Multiplies every mean and every std of the mixture."),
        ("data.train_size", "Train set", "int",
         "Size of a fixed training set drawn once; 0 draws fresh samples at every step."),
    ],
    "Estimators & σ": [
        ("runs.sigmas", "Fixed σ", "floats",
         "σ values of the fixed-σ runs (reparam fixed, score), comma-separated, e.g. "
         "0.05, 0.1; one run per value and seed. The score estimator with fixed σ needs σ > 0."),
        ("runs.plugin_sigma", "Plug-in σ", "float",
         "Noise σ of the fakes the plug-in estimator shows D; 0 is the vanilla GAN."),
        ("runs.sigma_init", "Initial σ", "float",
         "Initial σ(z) of the learned-σ runs; it must exceed σ min."),
        ("train.sigma_min", "σ min", "float",
         "Floor of the learned σ(z) = σ min + softplus(s(z))."),
        ("runs.score_learned_sigma", "Score uses learned σ(z)", "bool",
         "The score-function estimator learns σ(z) like reparam learned, instead of using "
         "the fixed σ values."),
        ("train.sigma_schedule", "Schedule", SCHEDULES,
         "How fixed σ moves from its start value to Final σ: constant, linear, or exponential "
         "decay (exponential needs every σ > 0)."),
        ("train.sigma_final", "Final σ", "float", "Fixed σ at the end of the schedule."),
        ("train.schedule_steps", "Over", "int",
         "Steps over which the schedule runs; 0 uses the total number of training steps."),
        ("runs.seeds", "Seeds", "ints",
         "Random seeds, comma-separated, e.g. 0, 1, 2; every estimator and σ trains once "
         "per seed. Each seed once."),
    ],
    "Training": [
        ("train.lr_d", "LR D", "float",
         "Discriminator learning rate; scientific notation works (1e-4)."),
        ("train.lr_g", "LR G", "float",
         "Generator learning rate; scientific notation works (1e-4)."),
        ("train.optimizer", "Optimizer", OPTIMIZERS, "Adam, or SGD with momentum."),
        ("train.beta1", "β1", "float", "Adam's first-moment decay (beta1)."),
        ("train.beta2", "β2", "float", "Adam's second-moment decay (beta2)."),
        ("train.momentum", "Momentum", "float", "SGD momentum (0 = plain SGD)."),
        ("train.loss", "G loss", LOSSES,
         "Generator loss f(x): nonsaturating −log D(x), or Goodfellow's minimax log(1 − D(x))."),
        ("train.k_d", "k_D", "int", "Discriminator steps per training step (0 freezes D)."),
        ("train.k_g", "k_G", "int", "Generator steps per training step."),
        ("train.batch_size", "Batch", "int", "Real and fake samples per minibatch and run."),
        ("train.real_noise", "Real-data noise", "bool",
         "Add the fakes' mean σ as Gaussian noise to the real samples D sees (instance noise)."),
        ("eval.every", "Eval every", "int", "Compute the metrics every this many steps."),
        ("train.device", "Device", DEVICES, "auto = CUDA when present, else the CPU."),
    ],
    "Model": [
        ("model.g_hidden", "G widths", "ints",
         "Generator hidden layer widths, comma-separated, e.g. 128, 128 (depth = count, "
         "1 to 8 layers)."),
        ("model.d_hidden", "D widths", "ints",
         "Discriminator hidden layer widths, comma-separated (depth = count, 1 to 8 layers)."),
        ("model.g_activation", "G act.", ACTIVATIONS, "Generator hidden activation."),
        ("model.d_activation", "D act.", ACTIVATIONS, "Discriminator hidden activation."),
        ("model.latent_dim", "Latent dim", "int", "Dimension d of the latent z."),
        ("model.latent", "Latent", LATENTS, "Distribution of z: N(0, I) or uniform on [−1, 1]^d."),
        ("model.g_batchnorm", "G batchnorm", "bool",
         "Batch normalisation after every generator hidden layer (batch statistics)."),
        ("model.d_maxout", "D maxout", "int",
         "Maxout pieces per discriminator unit (1 = no maxout)."),
    ],
}
# Where errors about fields the form does not show are marked.
ERROR_ALIASES = {"data.means": "data.name", "data.stds": "data.name", "data.weights": "data.name"}
SPECIAL_VALUES = {"data.train_size": "fresh samples", "train.schedule_steps": "= total steps"}
RANGE_OVERRIDES = {"runs.sigma_init": "(σ min, 100]", "runs.seeds": "[0, 2^63 − 1]"}
INT_MAX = 2**31 - 1
CUSTOM_PRESET = "custom"  # the Preset box when the form matches no bundled preset
INT64_MAX = 2**63 - 1


def _hint(key: str) -> Any:
    section, name = key.split(".")
    return typing.get_type_hints(SECTIONS[section])[name]


@functools.cache
def allowed_range(key: str) -> str:
    """The allowed interval of a numeric field as ``Config.validate`` states it, e.g. "(0, 10]"."""
    if key in RANGE_OVERRIDES:
        return RANGE_OVERRIDES[key]
    hint = _hint(key)
    item = typing.get_args(hint)[0] if typing.get_origin(hint) is list else hint
    bad: Any = -(2**70) if item is int else math.nan
    if typing.get_origin(hint) is list:
        bad = [bad]
    section, name = key.split(".")
    try:
        Config().with_overrides({section: {name: bad}})
    except ConfigError as exc:
        found = re.search(r" in ([\[(][^\]]*\])", str(exc))
        return found.group(1) if found else ""
    return ""


def _range_bounds(key: str) -> tuple[int, int]:
    """Integer bounds of ``allowed_range(key)`` for a spin box."""
    found = re.fullmatch(r"([\[(])(-?[\d.e+]+), (-?[\d.e+]+|inf)\]", allowed_range(key))
    if not found:
        return 0, INT_MAX
    lo = int(float(found.group(2))) + (1 if found.group(1) == "(" else 0)
    hi = INT_MAX if found.group(3) == "inf" else min(int(float(found.group(3))), INT_MAX)
    return lo, hi


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


def _is_live(key: str) -> bool:
    section, name = key.split(".")
    return name in LIVE_FIELDS.get(section, set())


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
                rng = allowed_range(self.key)
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
        if any(abs(v) > INT64_MAX for v in values if isinstance(v, int)):  # overflows floats
            raise ConfigError(self.key, f"must be integers in {allowed_range(self.key)} each "
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
        self._forms: dict[str, QFormLayout] = {}
        self._filling = False
        self._error_key = ""
        self._marked: dict[str, str] = {}
        self._presets = {name: load_preset(name).to_dict() for name in preset_names()}
        self._preset_origin: str | None = None  # the preset the form last matched
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

        for title, specs in GROUPS.items():
            box = QGroupBox(title.replace("&", "&&"))
            box.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Maximum)
            form = self._form()
            box.setLayout(form)
            for key, label, kind, help_text in specs:
                self._add_field(form, key, label, kind, help_text)
                if key == "data.train_size":
                    self.modes_label = QLabel()
                    self.modes_label.setWordWrap(True)
                    self.modes_label.setToolTip(_tip(
                        "The custom mixture's modes: click a run panel to add a mode at that "
                        "point, right-click one to remove it."))
                    form.addRow("Modes", self.modes_label)
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

        self._fields["train.optimizer"].widget.currentTextChanged.connect(self._sync_enabled)
        self._fields["train.sigma_schedule"].widget.currentTextChanged.connect(self._sync_enabled)
        self._fields["data.name"].widget.currentTextChanged.connect(self._sync_enabled)

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

    def _add_field(self, form: QFormLayout, key: str, label: str, kind: Any,
                   help_text: str) -> None:
        rng = allowed_range(key) if kind in ("float", "int", "floats", "ints") else ""
        rng = re.sub(r"\d+(\.\d+)?e\+\d+", lambda m: f"{int(float(m.group())):,}", rng)
        parts = [help_text]
        if rng:
            parts.append(f"Allowed: {rng}{' each' if kind in ('floats', 'ints') else ''}.")
        parts.append("Applies at the next step." if _is_live(key) else "Changing it needs a reset.")
        tip = _tip(" ".join(parts), title=key)
        widget: QWidget
        if kind == "bool":
            widget = QCheckBox(label)
            widget.toggled.connect(lambda _=None, k=key: self._edited(k))
        elif kind == "int":
            widget = _SpinBox()
            widget.setFocusPolicy(Qt.StrongFocus)
            widget.setRange(*_range_bounds(key))
            widget.setAccelerated(True)
            if key in SPECIAL_VALUES:
                widget.setSpecialValueText(SPECIAL_VALUES[key])
            widget.valueChanged.connect(lambda _=None, k=key: self._edited(k))
        elif isinstance(kind, tuple):
            widget = _ComboBox()
            widget.setFocusPolicy(Qt.StrongFocus)
            widget.addItems(list(kind))
            widget.currentIndexChanged.connect(lambda _=None, k=key: self._edited(k))
        else:
            widget = QLineEdit()
            widget.setPlaceholderText({"floats": "e.g. 0.05, 0.1", "ints": "e.g. 128, 128"}.get(
                kind, "e.g. 1e-4" if "lr" in key else ""))
            widget.textChanged.connect(lambda _=None, k=key: self._edited(k))
            widget.returnPressed.connect(self._on_return)
        widget.setToolTip(tip)
        if kind == "bool":
            form.addRow(widget)
        else:
            row_label = QLabel(label)
            row_label.setToolTip(tip)
            row_label.setBuddy(widget)
            form.addRow(row_label, widget)
        self._fields[key] = _Field(key, label, kind, widget, tip)
        self._forms[key] = form

    # ------------------------------------------------------------------- API
    def field_widget(self, key: str) -> QWidget:
        """The widget that edits config field ``key`` (e.g. "train.lr_d")."""
        return self._fields[key].widget

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
            f"Changes to {self._names(fields)} need a reset.\n\nReset now with the new settings?",
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
        if cfg is not None:
            self._emit_reset(cfg)

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
        marks = {self._widget_key(e.field): str(e) for e in errors}
        if not errors:
            try:
                from_dict(raw)
            except ConfigError as exc:
                marks.setdefault(self._widget_key(exc.field), str(exc))
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
        n = len(raw["data"]["means"])
        self.modes_label.setText(
            f"{n} mode{'' if n == 1 else 's'} — click a panel to add a mode, right-click to remove")

    def set_dirty_indicator(self, dirty: bool) -> None:
        """Enable Apply only when the form differs from the applied config (run on every edit)."""
        self.apply_button.setEnabled(dirty)

    def _sync_enabled(self, *_: object) -> None:
        """Show or enable the fields that matter for the chosen dataset, optimizer, schedule."""
        dataset = self._fields["data.name"].widget.currentText()
        for key, visible in (("data.radius", dataset == "ring8"),
                             ("data.spacing", dataset == "grid25")):
            self._forms[key].setRowVisible(self._fields[key].widget, visible)
        self._forms["data.name"].setRowVisible(self.modes_label, dataset == "custom")
        adam = self._fields["train.optimizer"].widget.currentText() == "adam"
        for key in ("train.beta1", "train.beta2"):
            self._fields[key].widget.setEnabled(adam)
        self._fields["train.momentum"].widget.setEnabled(not adam)
        scheduled = self._fields["train.sigma_schedule"].widget.currentText() != "constant"
        for key in ("train.sigma_final", "train.schedule_steps"):
            self._fields[key].widget.setEnabled(scheduled)

    def _widget_key(self, field_name: str) -> str:
        """The form key that shows a ConfigError field ("model.g_hidden[0]" -> "model.g_hidden")."""
        key = re.sub(r"\[.*$", "", field_name)
        return ERROR_ALIASES.get(key, key)

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
        self._error_key = exc.field
        self.error_label.setText(str(exc))
        self.error_label.show()
        self._mark({**self._marked, self._widget_key(exc.field): str(exc)})
        f = self._fields.get(self._widget_key(exc.field))
        if f is not None:
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
