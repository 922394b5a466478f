"""The configuration of a session: the six sections (:mod:`~ganviz.core.sections`) as one
:class:`Config`, read from and written to TOML, and checked.

``Config.validate`` derives its checks from the fields' declarations
(:mod:`~ganviz.core.settings`) plus a few cross-field rules and the size limits
(:mod:`~ganviz.core.memory`), and raises :class:`~ganviz.core.settings.ConfigError` naming
the field and its allowed range; nothing else in the engine checks user input again.
"""

from __future__ import annotations

import math
import tomllib
import types
import typing
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomli_w

from ganviz.core.atomic import write_text_atomic
from ganviz.core.memory import check_size
from ganviz.core.regular_file import read_capped
from ganviz.core.sections import (
    DataConfig,
    EvalConfig,
    ModelConfig,
    ProbeConfig,
    RunsConfig,
    TrainConfig,
)
from ganviz.core.settings import (
    ConfigError,
    Setting,
    bound_text,
    check_choice,
    check_number,
)

PRESET_DIR = Path(__file__).resolve().parents[1] / "resources" / "presets"  # package data

MAX_CONFIG_BYTES = 1 << 20  # a config file is a few hundred bytes; refuse anything huge


@dataclass
class Config:
    """The complete, resolved configuration of one training session."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    runs: RunsConfig = field(default_factory=RunsConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    probe: ProbeConfig = field(default_factory=ProbeConfig)

    def validate(self) -> Config:
        """Check every field; raise :class:`ConfigError` on the first bad one."""
        _validate(self)
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (TOML/JSON serialisable)."""
        return asdict(self)

    def to_toml(self) -> str:
        """The fully resolved configuration as TOML text."""
        return tomli_w.dumps(self.to_dict())

    def save(self, path: str | Path) -> None:
        """Write the resolved configuration atomically as TOML."""
        write_text_atomic(Path(path), self.to_toml())

    def with_overrides(self, overrides: dict[str, Any]) -> Config:
        """A copy with nested ``{"section": {"key": value}}`` values applied and validated."""
        merged = self.to_dict()
        for section, values in overrides.items():
            if section not in merged or not isinstance(values, dict):
                raise ConfigError(section, f"unknown section; allowed: {', '.join(merged)}")
            merged[section].update(values)
        return from_dict(merged)


def from_dict(raw: dict[str, Any]) -> Config:
    """Build and validate a Config from nested dicts, refusing unknown keys."""
    if not isinstance(raw, dict):
        raise ConfigError("config", "must be a table of sections")
    sections: dict[str, Any] = {}
    hints = typing.get_type_hints(Config)
    for name, values in raw.items():
        if name not in hints:
            raise ConfigError(name, f"unknown section; allowed: {', '.join(hints)}")
        if not isinstance(values, dict):
            raise ConfigError(name, "must be a table")
        sections[name] = _build_section(name, hints[name], values)
    return Config(**sections).validate()


def loads(text: str, source: str = "config") -> Config:
    """Parse TOML text into a validated Config."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, f"malformed TOML ({exc})") from None
    except RecursionError:
        raise ConfigError(source, "malformed TOML (nested too deeply)") from None
    raw.pop("description", None)
    return from_dict(raw)


def load(path: str | Path, field_name: str = "--config") -> Config:
    """Load a TOML file into a validated Config (``field_name`` names it in errors)."""
    path = Path(path)
    try:
        if path.is_dir():
            raise ConfigError(field_name, f"{path} is a folder, not a TOML file")
        data = read_capped(path, MAX_CONFIG_BYTES)
    except OSError as exc:
        raise ConfigError(field_name, f"cannot read {path} ({exc.strerror})") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(field_name, f"{path} is larger than {MAX_CONFIG_BYTES >> 10} KiB; "
                                      "a config file is a short TOML text")
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark from a Windows editor is fine
    except UnicodeDecodeError as exc:
        raise ConfigError(field_name, f"{path} is not UTF-8 text (byte "
                                      f"0x{data[exc.start]:02x} at offset {exc.start})") from None
    return loads(text, source=str(path))


def preset_names() -> list[str]:
    """Names of the bundled presets."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def preset_description(name: str) -> str:
    """The one-line ``description`` of a bundled preset."""
    raw = tomllib.loads((PRESET_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    return str(raw.get("description", ""))


def load_preset(name: str) -> Config:
    """Load a bundled preset by name."""
    names = preset_names()
    if not names:
        raise ConfigError("--preset", f"no bundled presets found in {PRESET_DIR} (the "
                          "installation is incomplete: reinstall ganviz); use --config FILE")
    if name not in names:
        raise ConfigError("--preset", f"unknown preset {name!r}; allowed: {', '.join(names)}")
    return load(PRESET_DIR / f"{name}.toml")


def _build_section(section: str, cls: type, values: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in values.items():
        if key not in hints:
            allowed = ", ".join(hints)
            raise ConfigError(f"{section}.{key}", f"unknown key; allowed: {allowed}")
        kwargs[key] = _coerce(f"{section}.{key}", value, hints[key])
    return cls(**kwargs)


def _coerce(name: str, value: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list | tuple):
            raise ConfigError(name, f"must be a list (got {value!r})")
        return [_coerce(f"{name}[{i}]", v, item) for i, v in enumerate(value)]
    if isinstance(hint, types.UnionType):
        raise TypeError(hint)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(name, f"must be true or false (got {value!r})")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(name, f"must be an integer (got {value!r})")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(name, f"must be a number (got {value!r})")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(name, f"must be a string (got {value!r})")
        return value
    raise TypeError(f"unsupported config type {hint!r}")


def _declare() -> dict[str, Setting]:
    """Every field's :class:`Setting`, keyed "section.name", in section and field order."""
    declared = {}
    for section, cls in typing.get_type_hints(Config).items():
        hints = typing.get_type_hints(cls)
        for f in fields(cls):
            key = f"{section}.{f.name}"
            declared[key] = replace(f.metadata["setting"], key=key, type=hints[f.name])
    return declared


SETTINGS: dict[str, Setting] = _declare()
FORM_GROUPS = ("Data", "Estimators & σ", "Training", "Model")  # the Settings form's boxes
# Settings that apply at the next step; everything else needs a reset.
LIVE_FIELDS: dict[str, set[str]] = {}
for _s in SETTINGS.values():
    if _s.live:
        LIVE_FIELDS.setdefault(_s.key.split(".")[0], set()).add(_s.key.split(".")[1])


def needs_reset(old: Config, new: Config) -> list[str]:
    """Fields that differ between two configs and cannot change while training."""
    a, b = old.to_dict(), new.to_dict()
    return [key for key, s in SETTINGS.items()
            if not s.live and lookup(a, key) != lookup(b, key)]


def form_settings() -> dict[str, list[Setting]]:
    """The settings the form shows, by group (in :data:`FORM_GROUPS` order), by row."""
    return {group: sorted((s for s in SETTINGS.values() if s.group == group),
                          key=lambda s: s.row) for group in FORM_GROUPS}


def limits(key: str, cfg: Config | None = None) -> tuple[float, float, bool]:
    """``(low, high, low_open)`` of a numeric field (or of each item of a list field);
    a ``gt_field`` bound reads ``cfg``, or is -inf without one."""
    s = SETTINGS[key]
    hi = math.inf if s.le is None else s.le
    if s.gt_field:
        return (lookup(cfg.to_dict(), s.gt_field) if cfg else -math.inf), hi, True
    if s.gt is not None:
        return s.gt, hi, True
    return (-math.inf if s.ge is None else s.ge), hi, False


def range_text(key: str) -> str:
    """The allowed interval of a numeric field as people read it, e.g. "(0, 10]" or
    "(σ min, 100]"; "" for other fields."""
    s = SETTINGS[key]
    if s.range_text or not s.numeric:
        return s.range_text
    lo, hi, lo_open = limits(key)
    lo_s = SETTINGS[s.gt_field].label if s.gt_field else bound_text(lo)
    return f"{'(' if lo_open else '['}{lo_s}, {bound_text(hi)}]"


def lookup(raw: dict[str, Any], key: str) -> Any:
    """The value of setting ``key`` ("section.name") in the config dict ``raw``."""
    section, name = key.split(".")
    return raw[section][name]


def condition_holds(condition: tuple[str, ...], raw: dict[str, Any]) -> bool:
    """Whether a ``(key, value, ...)`` condition (``checked_if``, ``shown_if``) holds for the
    config dict ``raw``: the key has one of the values. No condition always holds."""
    return not condition or lookup(raw, condition[0]) in condition[1:]


def _validate(cfg: Config) -> None:
    raw = cfg.to_dict()
    for key, s in SETTINGS.items():
        if condition_holds(s.checked_if, raw):
            _check_declared(cfg, s, lookup(raw, key))
    _check_rules(cfg)
    check_size(cfg)


def _check_declared(cfg: Config, s: Setting, value: Any) -> None:
    """Check one field against its declaration: length and items of a list, else the value."""
    if not isinstance(value, list):
        _check_item(cfg, s, s.key, value)
        return
    n = len(value)
    text = {"n": n, "lo": s.min_len, "hi": s.max_len, "choices": ", ".join(s.choices)}
    if n < s.min_len:
        raise ConfigError(s.key, s.few.format(**text))
    if s.repeated and len(set(value)) != n:
        raise ConfigError(s.key, s.repeated.format(**text))
    if s.max_len is not None and n > s.max_len:
        raise ConfigError(s.key, (s.many or s.few).format(**text))
    for i, item in enumerate(value):
        name = f"{s.key}[{i}]"
        if not s.item_len:
            _check_item(cfg, s, name, item)
            continue
        if len(item) != s.item_len:
            raise ConfigError(name, f"{s.item_msg} (got {item!r})")
        for j, v in enumerate(item):
            _check_item(cfg, s, f"{name}[{j}]", v)


def _check_item(cfg: Config, s: Setting, name: str, value: Any) -> None:
    if s.choices:
        check_choice(name, value, s.choices)
    elif s.numeric:
        lo, hi, lo_open = limits(s.key, cfg)
        check_number(name, value, lo, hi, lo_open)


def _check_rules(cfg: Config) -> None:
    """The rules that tie fields together (each field alone is checked by its declaration)."""
    d, t, r = cfg.data, cfg.train, cfg.runs
    if d.name == "custom":
        if len(d.stds) not in (0, 1, len(d.means)):
            raise ConfigError("data.stds", f"give 0, 1 or {len(d.means)} values (one per mean)")
        if len(d.weights) not in (0, len(d.means)):
            raise ConfigError("data.weights", f"give 0 or {len(d.means)} values (one per mean)")
    if d.name == "file":
        if not d.file.strip():
            raise ConfigError("data.file", "give the path of a .csv, .txt or .npy file of 2-D "
                                           "points (File > Open Data…, or --data FILE)")
        if len(d.columns) not in (0, 2):
            raise ConfigError("data.columns", f"give two columns, x and y (got {len(d.columns)})")
    if "score" in r.estimators and r.uses_sigmas("score"):
        for i, s in enumerate(r.sigmas):
            if s <= 0:
                raise ConfigError(f"runs.sigmas[{i}]", "the score estimator needs sigma > 0")
        if t.sigma_schedule != "constant" and t.sigma_final <= 0:
            raise ConfigError("train.sigma_final", "the score estimator needs sigma_final > 0")
    if t.update == "simultaneous" and (t.k_d != 1 or t.k_g != 1):
        raise ConfigError("train.update", f"simultaneous updates need k_D = k_G = 1 (got "
                                          f"k_D = {t.k_d}, k_G = {t.k_g})")
    if t.sigma_schedule == "exponential":
        if t.sigma_final <= 0:
            raise ConfigError("train.sigma_final", "exponential decay needs sigma_final > 0")
        if any(s <= 0 for s in r.sigmas):
            raise ConfigError("runs.sigmas", "exponential decay needs every sigma > 0")


__all__ = [
    "Config",
    "from_dict",
    "load",
    "load_preset",
    "loads",
    "preset_names",
]
