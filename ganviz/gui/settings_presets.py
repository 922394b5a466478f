"""The Settings form's Preset box: it loads a bundled preset into the form and names the
preset the form matches ("default"), or says that it matches none ("default (modified)",
"custom")."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from PySide6.QtCore import Qt

from ganviz.core.config import Config, load_preset, preset_description, preset_names
from ganviz.gui.settings_form import ComboBox, rich_tip

# each section's class, by name ("data": DataConfig, ...), as Config declares them
SECTIONS: dict[str, Callable[..., Any]] = {f.name: f.default_factory for f in fields(Config)}
CUSTOM_PRESET = "custom"  # the Preset box when the form matches no bundled preset


def unvalidated(raw: dict[str, Any]) -> Config:
    """A Config built from nested dicts without validation (for comparisons only)."""
    return Config(**{s: cls(**raw[s]) for s, cls in SECTIONS.items()})


def as_loaded(preset: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """What loading ``preset`` over ``current`` gives: the enabled estimators, the device
    and (when the preset has none) the custom modes stay as they are."""
    raw = copy.deepcopy(preset)
    raw["runs"]["estimators"] = list(current["runs"]["estimators"])
    raw["train"]["device"] = current["train"]["device"]
    if not raw["data"]["means"]:
        for key in ("means", "stds", "weights"):
            raw["data"][key] = copy.deepcopy(current["data"][key])
    return raw


class PresetBox:
    """The Preset combo box (:attr:`combo`); choosing an entry calls ``chosen(name)``."""

    def __init__(self, chosen: Callable[[str], None]) -> None:
        self._presets = {name: load_preset(name).to_dict() for name in preset_names()}
        self.origin: str | None = None  # the preset the form last matched
        self.combo = ComboBox()
        self.combo.setPlaceholderText(CUSTOM_PRESET)
        for i, name in enumerate(self._presets):
            self.combo.addItem(name)
            self.combo.setItemData(i, rich_tip(preset_description(name)), Qt.ToolTipRole)
        self.combo.textActivated.connect(chosen)

    def match(self, raw: dict[str, Any]) -> str | None:
        """The bundled preset ``raw`` equals (as loading it over ``raw`` would fill it)."""
        for name, preset in self._presets.items():
            if as_loaded(preset, raw) == raw:
                return name
        return None

    def show(self, raw: dict[str, Any], valid: bool) -> None:
        """The box names the preset the form (``raw``) matches, else says it matches none."""
        combo = self.combo
        name = self.match(raw) if valid else None
        if name is not None:
            self.origin = name
            combo.setCurrentIndex(list(self._presets).index(name))
            combo.setToolTip(rich_tip(preset_description(name), title=f"preset {name}"))
            return
        origin = self.origin
        combo.setCurrentIndex(-1)
        combo.setPlaceholderText(f"{origin} (modified)" if origin else CUSTOM_PRESET)
        combo.setToolTip(rich_tip(
            (f"The form differs from preset {origin}. " if origin else
             "The settings match no bundled preset. ") + "Choose one to load it into the form; "
            "then press Apply or Reset to use it.", title="no preset"))
