"""Each setting is declared once: the validator and the live set follow the declarations.

The form's side (widgets, bounds, tooltips from the same declarations) is in
test_gui_settings.py.
"""

from __future__ import annotations

import dataclasses
import math
import typing

import pytest

from ganviz.core import config
from ganviz.core.config import FORM_GROUPS, SETTINGS, Config, needs_reset
from ganviz.core.settings import ConfigError

SECTIONS = typing.get_type_hints(Config)
NUMERIC = [key for key, s in SETTINGS.items() if s.numeric]
FLOATS = [key for key in NUMERIC if "float" in str(SETTINGS[key].type)]


def _fmt(v: float) -> str:
    return str(v) if isinstance(v, int) else f"{v:g}"


def test_every_config_field_is_declared_with_label_and_help():
    keys = [f"{section}.{f.name}" for section, cls in SECTIONS.items()
            for f in dataclasses.fields(cls)]
    assert keys == list(SETTINGS)
    assert len(keys) > 50
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            s = f.metadata["setting"]
            assert s.label.strip() and s.help.strip().endswith("."), f"{section}.{f.name}"
            assert SETTINGS[f"{section}.{f.name}"].label == s.label


def test_defaults_come_from_the_declarations():
    cfg = Config()
    assert cfg.validate() is cfg
    assert cfg.model.g_hidden == [128, 128] and cfg.train.lr_d == 1e-3
    other = Config()
    other.model.g_hidden.append(64)  # list defaults are fresh copies
    assert Config().model.g_hidden == [128, 128]


FREE_TEXT = {"data.file", "data.columns"}  # a path and column names: checked by the loader


def test_declarations_refer_to_real_fields_and_values():
    for key, s in SETTINGS.items():
        for ref in (s.gt_field, s.errors_at):
            assert not ref or ref in SETTINGS, (key, ref)
        for cond in (s.shown_if, s.enabled_if, s.checked_if):
            if cond:
                target = SETTINGS[cond[0]]
                assert target.choices and set(cond[1:]) <= set(target.choices), (key, cond)
        assert not s.group or s.group in FORM_GROUPS, key
        if typing.get_origin(s.type) is not list:
            assert not (s.min_len or s.max_len or s.few or s.many or s.repeated), key
        assert s.numeric or s.choices or s.type in (bool,) or key in FREE_TEXT, \
            f"{key} has no declared range"
    rows = [(s.group, s.row) for s in SETTINGS.values() if s.group]
    assert len(rows) == len(set(rows)), "two rows at the same place in the form"


def _bad_values(key: str) -> list[tuple[object, str]]:
    """One value just below and one above the declared bounds, and the interval the
    message must state (read from the declaration, not from the validator)."""
    s = SETTINGS[key]
    item = typing.get_args(s.type)[0] if typing.get_origin(s.type) is list else s.type
    while typing.get_origin(item) is list:
        item = typing.get_args(item)[0]
    if s.gt_field:
        ref_section, ref_name = s.gt_field.split(".")
        lo, lo_open = getattr(getattr(Config(), ref_section), ref_name), True
    elif s.gt is not None:
        lo, lo_open = s.gt, True
    else:
        lo, lo_open = s.ge, False
    hi = s.le
    interval = f"{'(' if lo_open else '['}{_fmt(lo)}, {_fmt(hi)}]"
    below = lo if lo_open else lo - 1
    above = hi + 1
    cast = int if item is int else float
    return [(cast(below), interval), (cast(above), interval)]


def _case(key: str, value: object) -> tuple[dict, str]:
    """Overrides that put ``value`` into ``key`` (one item of a list), and the name the
    error must carry."""
    s = SETTINGS[key]
    section, name = key.split(".")
    overrides: dict = {section: {}}
    where = key
    if typing.get_origin(s.type) is list:
        value, where = [value], f"{key}[0]"
        if s.item_len:
            value, where = [[value[0]] + [0.0] * (s.item_len - 1)], f"{key}[0][0]"
    if s.checked_if:
        cond_section, cond_name = s.checked_if[0].split(".")
        overrides.setdefault(cond_section, {})[cond_name] = s.checked_if[1]
        if key != "data.means":
            overrides["data"]["means"] = [[0.0, 0.0]]
    overrides[section][name] = value
    return overrides, where


@pytest.mark.parametrize("side", [0, 1], ids=["below", "above"])
@pytest.mark.parametrize("key", NUMERIC)
def test_validator_refuses_out_of_range_with_declared_bounds(key, side):
    value, interval = _bad_values(key)[side]
    overrides, where = _case(key, value)
    with pytest.raises(ConfigError) as err:
        Config().with_overrides(overrides)
    assert err.value.field == where
    assert str(err.value) == f"{where}: must be a finite number in {interval} (got {value!r})"


@pytest.mark.parametrize("key", FLOATS)
def test_validator_refuses_nan(key):
    overrides, where = _case(key, math.nan)
    with pytest.raises(ConfigError, match=r"must be a finite number in .* \(got nan\)") as err:
        Config().with_overrides(overrides)
    assert err.value.field == where


@pytest.mark.parametrize("key", [k for k, s in SETTINGS.items() if s.choices])
def test_validator_refuses_unknown_choice(key):
    overrides, where = _case(key, "bogus")
    with pytest.raises(ConfigError) as err:
        Config().with_overrides(overrides)
    allowed = ", ".join(SETTINGS[key].choices)
    assert str(err.value) == f"{where}: unknown value 'bogus'; allowed: {allowed}"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("model.g_hidden", [], "give 1 to 8 layer widths (got 0)"),
    ("model.d_hidden", [8] * 9, "give 1 to 8 layer widths (got 9)"),
    ("runs.seeds", [1, 1], "give at least one seed, each once"),
    ("runs.seeds", list(range(257)), "give at most 256 seeds (got 257)"),
    ("runs.sigmas", [], "give at least one sigma, each once"),
    ("runs.estimators", [], "give at least one of plugin, reparam_fixed, reparam_learned, score"),
    ("runs.estimators", ["score", "score"], "each estimator may be listed once"),
])
def test_list_lengths_follow_the_declarations(key, value, message):
    section, name = key.split(".")
    with pytest.raises(ConfigError) as err:
        Config().with_overrides({section: {name: value}})
    assert str(err.value) == f"{key}: {message}"


def test_custom_modes_are_checked_only_for_custom_data():
    bad = {"data": {"stds": [-1.0], "weights": [-1.0], "means": [[1e9, 0.0]]}}
    assert Config().with_overrides(bad).data.name == "ring8"
    with pytest.raises(ConfigError, match=r"^data.means\[0\]\[0\]: must be a finite number in "
                                          r"\[-1000, 1000\] \(got 1000000000.0\)$"):
        Config().with_overrides({"data": {**bad["data"], "name": "custom"}})
    with pytest.raises(ConfigError, match=r"^data.means\[0\]: must be \[x, y\] \(got \[1.0\]\)$"):
        Config().with_overrides({"data": {"name": "custom", "means": [[1.0]]}})


def test_range_text_reads_the_declarations():
    assert config.range_text("train.lr_d") == "(0, 10]"
    assert config.range_text("train.beta2") == "[0, 0.99999]"
    assert config.range_text("runs.sigma_init") == "(σ min, 100]"
    assert config.range_text("runs.seeds") == "[0, 2^63 − 1]"
    assert config.range_text("train.optimizer") == ""
    cfg = Config().with_overrides({"train": {"sigma_min": 0.05}})
    assert config.limits("runs.sigma_init", cfg) == (0.05, 100, True)
    with pytest.raises(ConfigError, match=r"runs.sigma_init: must be a finite number in "
                                          r"\(0.05, 100\] \(got 0.05\)"):
        cfg.with_overrides({"runs": {"sigma_init": 0.05}})


def _changed(value: object, s: config.Setting) -> object:
    """A different value of the same type (validity does not matter to needs_reset)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return next(c for c in s.choices if c != value) if s.choices else value + "x"
    return [*value, value[0] if value else [0.0, 0.0]]


@pytest.mark.parametrize("key", list(SETTINGS))
def test_live_set_is_the_fields_declared_live(key):
    s = SETTINGS[key]
    section, name = key.split(".")
    cfg = Config()
    part = getattr(cfg, section)
    new = dataclasses.replace(cfg, **{section: dataclasses.replace(
        part, **{name: _changed(getattr(part, name), s)})})
    assert needs_reset(cfg, new) == ([] if s.live else [key])
    assert (name in config.LIVE_FIELDS.get(section, set())) == s.live


def test_live_set_pins_what_the_trainer_can_change_while_running():
    assert {"lr_d", "lr_g", "batch_size", "loss", "sigma_schedule"} <= config.LIVE_FIELDS["train"]
    assert not {"optimizer", "device", "threads"} & config.LIVE_FIELDS["train"]
    assert "model" not in config.LIVE_FIELDS and "runs" not in config.LIVE_FIELDS
    assert config.LIVE_FIELDS["probe"] == {f.name for f in dataclasses.fields(config.ProbeConfig)}
