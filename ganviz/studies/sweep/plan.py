"""Sweeps: a TOML file of protocols x sigma values x seeds x steps, and its plan of units.

A sweep file::

    protocols = ["veegan-ring", "pacgan-ring"]   # bundled presets (ganviz.core.config)
    sigmas = [0.01, 0.05]   # optional: the fixed sigma values (runs.sigmas); default each
                            # protocol's own
    seeds = 10              # a count (seeds 0..9) or an explicit list, e.g. [3, 7, 11]
    steps = 25000           # optional: an int or a list of ints (each value its own group)
    [overrides.train]       # optional: any config field, section by section
    lr_g = 1e-3
    [vary.data]             # optional: config fields to sweep, a list of values each;
    std = [0.01, 0.1]       # every combination is its own group
    [vary.runs]
    covariance = ["isotropic", "full"]
    [units]
    seeds = 5               # optional: seeds per unit (default: sized to the workers)
    checkpoint_every = 1000

``protocols`` are bundled presets (the compare protocols or any other, e.g. ``default``).
A *group* is one protocol (x one steps value when there are several, x one combination of
the ``vary`` values): its runs merge back into one trainer and one results table. A *unit*
is one batched trainer of a group: the runs of one sigma group (the fixed-sigma estimators
at one sigma, or the runs whose sigma does not come from ``runs.sigmas``: plugin and
learned sigma, the ``free`` group) for one block of seeds. Every unit trains on the eager
step, so a run's numbers depend only on its own settings and seed: how the runs are cut into
units changes nothing but the time it takes.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganviz.core.atomic import write_text_atomic
from ganviz.core.config import (
    MAX_CONFIG_BYTES,
    SETTINGS,
    Config,
    condition_holds,
    from_dict,
    load_preset,
    lookup,
    preset_names,
)
from ganviz.core.errors import UserError
from ganviz.core.regular_file import read_capped
from ganviz.core.settings import ConfigError
from ganviz.studies.sweep.units import Unit

PLAN_NAME = "sweep.json"
PLAN_FORMAT = "ganviz-sweep"
PLAN_VERSION = 1
MAX_SEEDS = 10_000
FREE = "free"  # the sigma group of runs that do not use runs.sigmas
TOP_KEYS = ("protocols", "sigmas", "seeds", "steps", "overrides", "vary", "units")
UNIT_KEYS = ("seeds", "checkpoint_every")
SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._=+-]{0,199}")  # a unit's or group's folder
MAX_GROUPS = 1000  # groups of one sweep: each costs a config, a folder and a table row
MAX_UNITS = 10_000  # units of one plan: each is a trainer to run and a checkpoint to keep
FIXED_BY_SWEEP = {"runs.seeds": "seeds", "runs.sigmas": "sigmas", "train.steps": "steps"}


class SweepError(UserError):
    """A bad sweep file or plan; ``str()`` is one line naming the field."""


@dataclass(frozen=True)
class Sweep:
    """A parsed, validated sweep. ``steps`` holds None for "the protocol's own"."""

    protocols: tuple[str, ...]
    seeds: tuple[int, ...]
    sigmas: tuple[float, ...] | None = None
    steps: tuple[int | None, ...] = (None,)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    seeds_per_unit: int | None = None
    checkpoint_every: int = 1000
    vary: dict[str, list[Any]] = field(default_factory=dict)  # "section.key" -> values

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for the plan file): what defines the sweep's runs and units."""
        return {"protocols": list(self.protocols), "seeds": list(self.seeds),
                "sigmas": None if self.sigmas is None else list(self.sigmas),
                "steps": list(self.steps), "overrides": self.overrides,
                "seeds_per_unit": self.seeds_per_unit,
                "checkpoint_every": self.checkpoint_every, **(
                    {"vary": self.vary} if self.vary else {})}

    def groups(self) -> list[Group]:
        """Every group, in sweep order (protocol, then steps, then the vary values)."""
        many = len(self.steps) > 1
        combos = [dict(zip(self.vary, values, strict=True))
                  for values in itertools.product(*self.vary.values())]
        return [Group(f"{p}-{s}steps" if many else p, p, s, values)
                for p in self.protocols for s in self.steps for values in combos]

    def group_config(self, protocol: str, steps: int | None,
                     values: dict[str, Any] | None = None) -> Config:
        """The full config of one group: the protocol's preset, the sweep's seeds, sigmas,
        steps, overrides and ``vary`` values, on the eager step (see the module's
        docstring)."""
        over: dict[str, dict[str, Any]] = {k: dict(v) for k, v in self.overrides.items()}
        for dotted, value in (values or {}).items():
            section, key = dotted.split(".", 1)
            over.setdefault(section, {})[key] = value
        over.setdefault("runs", {})["seeds"] = list(self.seeds)
        if self.sigmas is not None:
            over["runs"]["sigmas"] = list(self.sigmas)
        train = over.setdefault("train", {})
        if steps is not None:
            train["steps"] = steps
        train["compile"] = False
        return load_preset(protocol).with_overrides(over)


@dataclass(frozen=True)
class Group:
    """One group of a sweep: its name (also its folder), protocol, steps and vary values."""

    base: str
    protocol: str
    steps: int | None
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """e.g. ``default--std=0.01--covariance=full`` (the base alone without vary)."""
        return "--".join([self.base, *(f"{k.split('.', 1)[1]}={_label(v)}"
                                       for k, v in self.values.items())])


def _label(value: Any) -> str:
    """A vary value as a folder-name part: 0.05, 128x128 for a list, and any character
    other than letters, digits, '.', '_' and '-' (a path's '/', spaces) as '_'."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "x".join(_label(v) for v in value) or "none"
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(value))[:40] or "_"


def _fail(source: str, name: str, what: str) -> SweepError:
    return SweepError(f"{source}: {name}: {what}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _int_list(source: str, name: str, value: Any, low: int, high: int) -> list[int]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(_is_int(v) for v in items):
        raise _fail(source, name, f"give a whole number or a list of them (got {value!r})")
    bad = [v for v in items if not low <= v <= high]
    if bad:
        raise _fail(source, name, f"each must be from {low} to {high} (got {bad[0]})")
    if len(set(items)) != len(items):
        raise _fail(source, name, "each value at most once")
    return items


def parse_sweep(raw: dict[str, Any], source: str = "sweep") -> Sweep:
    """A validated :class:`Sweep` from a sweep file's TOML table; :class:`SweepError` (one
    line naming the field) on anything wrong."""
    if not isinstance(raw, dict):
        raise SweepError(f"{source}: must be a table")
    for key in raw:
        if key not in TOP_KEYS:
            raise _fail(source, key, f"unknown field; allowed: {', '.join(TOP_KEYS)}")
    presets = ", ".join(preset_names())
    protocols = raw.get("protocols")
    if protocols is None:
        raise _fail(source, "protocols", f"missing; give a list from {presets}")
    if isinstance(protocols, str):
        protocols = [protocols]
    if not isinstance(protocols, list) or not protocols or not all(
            isinstance(p, str) for p in protocols):
        raise _fail(source, "protocols", f"give a list of names from {presets}")
    for p in protocols:
        if p not in preset_names():
            raise _fail(source, "protocols", f"unknown {p!r}; allowed: {presets}")
    if len(set(protocols)) != len(protocols):
        raise _fail(source, "protocols", "each protocol at most once")
    if "seeds" not in raw:
        raise _fail(source, "seeds", "missing; give a count (e.g. 10: seeds 0..9) or a list")
    seeds_raw = raw["seeds"]
    if _is_int(seeds_raw):
        if not 1 <= seeds_raw <= MAX_SEEDS:
            raise _fail(source, "seeds", f"a count must be from 1 to {MAX_SEEDS} "
                                         f"(got {seeds_raw})")
        seeds = list(range(seeds_raw))
    elif isinstance(seeds_raw, list):
        seeds = sorted(_int_list(source, "seeds", seeds_raw, 0, 2**31 - 1))
    else:
        raise _fail(source, "seeds", f"give a count or a list of seeds (got {seeds_raw!r})")
    sigmas = raw.get("sigmas")
    if sigmas is not None:
        if not isinstance(sigmas, list) or not sigmas or not all(
                isinstance(s, int | float) and not isinstance(s, bool) for s in sigmas):
            raise _fail(source, "sigmas", f"give a list of positive numbers (got {sigmas!r})")
        sigmas = [float(s) for s in sigmas]
        if not all(math.isfinite(s) and s > 0 for s in sigmas):
            raise _fail(source, "sigmas", f"each must be a positive number (got {sigmas})")
        if len(set(sigmas)) != len(sigmas):
            raise _fail(source, "sigmas", "each value at most once")
    steps: list[int | None] = [None]
    if "steps" in raw:
        steps = list(_int_list(source, "steps", raw["steps"], 1, 10**9))
    overrides = raw.get("overrides", {})
    if not isinstance(overrides, dict) or not all(isinstance(v, dict)
                                                  for v in overrides.values()):
        raise _fail(source, "overrides", "give tables of config fields, e.g. [overrides.train]")
    for section, values in overrides.items():
        for key in values:
            if f"{section}.{key}" in FIXED_BY_SWEEP:
                raise _fail(source, f"overrides.{section}.{key}",
                            f"set it with the top-level field "
                            f"{FIXED_BY_SWEEP[f'{section}.{key}']!r}")
    vary = _parse_vary(source, raw.get("vary", {}), overrides)
    if overrides.get("train", {}).get("compile") or "train.compile" in vary:
        name = "vary.train.compile" if "train.compile" in vary else "overrides.train.compile"
        raise _fail(source, name, "a sweep's units always train on the eager step (a run's "
                                  "numbers then do not depend on its batch-mates); remove it")
    units = raw.get("units", {})
    if not isinstance(units, dict):
        raise _fail(source, "units", "give a table, e.g. [units] seeds = 5")
    for key in units:
        if key not in UNIT_KEYS:
            raise _fail(source, f"units.{key}", f"unknown field; allowed: {', '.join(UNIT_KEYS)}")
    per_unit = units.get("seeds")
    if per_unit is not None and (not _is_int(per_unit) or per_unit < 1):
        raise _fail(source, "units.seeds", f"give a whole number >= 1 (got {per_unit!r})")
    every = units.get("checkpoint_every", 1000)
    if not _is_int(every) or not 1 <= every <= 10**9:
        raise _fail(source, "units.checkpoint_every", f"give a whole number >= 1 (got {every!r})")
    n_groups = len(protocols) * len(steps) * math.prod(len(v) for v in vary.values())
    if n_groups > MAX_GROUPS:
        what = "vary" if vary else "steps"
        raise _fail(source, what, f"{n_groups} groups (protocols x steps x every vary "
                                  f"combination); at most {MAX_GROUPS} in one sweep")
    sweep = Sweep(tuple(protocols), tuple(seeds), None if sigmas is None else tuple(sigmas),
                  tuple(steps), overrides, per_unit, every, vary)
    names = [g.name for g in sweep.groups()]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise _fail(source, "vary", f"two groups would share the folder name {twice!r}; "
                                    "give values that differ in letters or digits")
    checked_files: set[tuple[str, tuple[str, ...], float]] = set()
    for group in sweep.groups():
        try:
            cfg = sweep.group_config(group.protocol, group.steps, group.values)
            file_key = (cfg.data.file, tuple(cfg.data.columns), cfg.data.scale)
            if cfg.data.name == "file" and file_key not in checked_files:  # before training
                _check_data_file(cfg)
                checked_files.add(file_key)
        except ConfigError as exc:
            field_name = exc.field.split("[")[0]
            name = {"runs.seeds": "seeds", "runs.sigmas": "sigmas", "train.steps": "steps",
                    "runs": "seeds/sigmas"}.get(field_name)
            if name is None:
                varied = any(k == field_name or k.startswith(field_name + ".") for k in vary)
                name = ("vary." if varied else "overrides.") + exc.field
            raise SweepError(f"{source}: {name}: {str(exc).split(': ', 1)[1]} "
                             f"(group {group.name})") from None
        _check_applies(source, vary, cfg, group.protocol)
    return sweep


def _check_data_file(cfg: Config) -> None:
    """Read a group's data file as training will (DataFileError on anything wrong)."""
    from ganviz.data.datafile import check_scale, load_points

    loaded = load_points(cfg.data.file, cfg.data.columns)
    check_scale(loaded.path, loaded.points, cfg.data.scale)


def _check_applies(source: str, vary: dict[str, list[Any]], cfg: Config, protocol: str
                   ) -> None:
    """Refuse a varied field that the protocol's data ignores (``tangent_std`` on a grid, ...):
    its groups would train the same runs. The condition is the setting's own ``shown_if``."""
    raw = cfg.to_dict()
    for dotted in vary:
        condition = SETTINGS[dotted].shown_if if dotted in SETTINGS else ()
        if not condition_holds(condition, raw):
            raise _fail(source, f"vary.{dotted}", f"applies only when {condition[0]} is "
                        f"{' or '.join(condition[1:])}; protocol {protocol} has "
                        f"{lookup(raw, condition[0])}, so its groups would be the same runs")


def _parse_vary(source: str, raw: Any, overrides: dict[str, dict[str, Any]]
                ) -> dict[str, list[Any]]:
    """``[vary.section] key = [values]`` as {"section.key": values}, checked for shape (the
    values themselves are checked by building every group's config)."""
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise _fail(source, "vary", "give tables of config fields with lists of values, "
                                    "e.g. [vary.data] std = [0.01, 0.1]")
    vary: dict[str, list[Any]] = {}
    for section, values in raw.items():
        for key, options in values.items():
            name = f"vary.{section}.{key}"
            dotted = f"{section}.{key}"
            if dotted in FIXED_BY_SWEEP:
                raise _fail(source, name, f"set it with the top-level field "
                                          f"{FIXED_BY_SWEEP[dotted]!r}")
            if key in overrides.get(section, {}):
                raise _fail(source, name, f"also set in overrides.{section}; give it once")
            if not isinstance(options, list) or not options:
                raise _fail(source, name, f"give a non-empty list of values (got {options!r})")
            try:
                distinct = {json.dumps(o, sort_keys=True) for o in options}
            except TypeError:
                raise _fail(source, name, "give numbers, strings, booleans or lists of them "
                                          f"(got {options!r})") from None
            if len(distinct) != len(options):
                raise _fail(source, name, "each value at most once")
            vary[dotted] = options
    return vary


def load_sweep(path: Path) -> Sweep:
    """Read and validate a sweep file (errors name it as ``sweep FILE``)."""
    source = f"sweep {path}"
    try:
        if path.is_dir():
            raise SweepError(f"{source}: is a folder, not a TOML file")
        data = read_capped(path, MAX_CONFIG_BYTES)
    except OSError as exc:
        raise SweepError(f"{source}: cannot read it ({exc.strerror})") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise SweepError(f"{source}: larger than {MAX_CONFIG_BYTES >> 10} KiB; a sweep file "
                         "is a short TOML text")
    try:
        raw = tomllib.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise SweepError(f"{source}: malformed TOML ({str(exc).splitlines()[0]})") from None
    return parse_sweep(raw, source)


# ---------------------------------------------------------------------------------- plan


def sigma_groups(cfg: Config) -> list[tuple[str, list[str], list[float]]]:
    """(name, estimators, sigmas) of each sigma group of a config: ``free`` (plugin and
    learned sigma: their runs do not use runs.sigmas), then one per fixed sigma value."""
    r = cfg.runs
    free = [e for e in r.estimators if not r.uses_sigmas(e)]
    fixed = [e for e in r.estimators if r.uses_sigmas(e)]
    out = [(FREE, free, list(r.sigmas))] if free else []
    out += [(f"sigma{s:g}", fixed, [s]) for s in r.sigmas] if fixed else []
    return out


def seeds_per_unit(sweep: Sweep, workers: int, n_sigma_groups: int) -> int:
    """The sweep's own, or so that there are about 2 units per worker (all seeds in one unit
    when one worker runs them one after another: the biggest batch is the fastest)."""
    n = len(sweep.seeds)
    if sweep.seeds_per_unit is not None:
        return min(sweep.seeds_per_unit, n)
    if workers <= 1:
        return n
    blocks = min(n, math.ceil(2 * workers / max(1, n_sigma_groups)))
    return math.ceil(n / blocks)


@dataclass(frozen=True)
class Plan:
    """The units of a sweep and the full config of each group (for merging)."""

    sweep: dict[str, Any]
    groups: dict[str, dict[str, Any]]
    units: tuple[Unit, ...]

    def to_json(self) -> str:
        """The plan file's text."""
        return json.dumps({"format": PLAN_FORMAT, "version": PLAN_VERSION, "sweep": self.sweep,
                           "groups": self.groups,
                           "units": [{"key": u.key, "group": u.group, "config": u.config,
                                      "checkpoint_every": u.checkpoint_every}
                                     for u in self.units]}, indent=1) + "\n"

    def units_of(self, group: str) -> list[Unit]:
        """The units of one group."""
        return [u for u in self.units if u.group == group]


def plan(sweep: Sweep, workers: int = 1, *, per: int | None = None) -> Plan:
    """Cut a sweep into units: group x sigma group x seed block of ``per`` seeds (default:
    :func:`seeds_per_unit`)."""
    groups, configs = {}, []
    for group in sweep.groups():
        cfg = sweep.group_config(group.protocol, group.steps, group.values)
        groups[group.name] = cfg.to_dict()
        configs.append((group.name, cfg))
    n_sigma = sum(len(sigma_groups(cfg)) for _, cfg in configs)
    if per is None:
        per = seeds_per_unit(sweep, workers, n_sigma)
    units = []
    seeds = list(sweep.seeds)
    for name, cfg in configs:
        for sg, estimators, sigmas in sigma_groups(cfg):
            for a in range(0, len(seeds), per):
                block = seeds[a:a + per]
                ucfg = cfg.with_overrides({"runs": {"estimators": estimators, "sigmas": sigmas,
                                                    "seeds": block}})
                seeds_key = f"{block[0]}-{block[-1]}" if len(block) > 1 else f"{block[0]}"
                key = f"{name}--{sg}--seeds{seeds_key}"
                if not SAFE_KEY.fullmatch(key):  # groups and keys are folder names in OUT
                    raise SweepError(f"sweep: unit {key!r} is not a safe folder name")
                units.append(Unit(key, name, ucfg.to_dict(), sweep.checkpoint_every))
        if len(units) > MAX_UNITS:
            raise SweepError(f"sweep: more than {MAX_UNITS} units; give fewer groups or "
                             "seeds, or more seeds per unit ([units] seeds)")
    return Plan(sweep.to_dict(), groups, tuple(units))


def save_plan(p: Plan, out: Path) -> None:
    """Write ``OUT/sweep.json`` atomically."""
    write_text_atomic(out / PLAN_NAME, p.to_json())


def read_plan(out: Path, field_name: str = "--resume") -> Plan:
    """The plan a sweep saved in ``out`` (:class:`SweepError` naming ``field_name``, the
    flag or argument that pointed at it, if unusable)."""
    path = out / PLAN_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != PLAN_FORMAT or raw.get("version") != PLAN_VERSION:
            raise ValueError(f"not a {PLAN_FORMAT} version {PLAN_VERSION} file")
        units = tuple(Unit(u["key"], u["group"], u["config"], int(u["checkpoint_every"]))
                      for u in raw["units"])
        for u in units:
            from_dict(u.config)
        for g in raw["groups"].values():
            from_dict(g)
        return Plan(raw["sweep"], raw["groups"], units)
    except OSError as exc:
        raise SweepError(f"{field_name}: cannot read {path} ({exc.strerror})") from None
    except (ValueError, KeyError, TypeError, AttributeError, ConfigError) as exc:
        raise SweepError(f"{field_name}: {path} is damaged ({str(exc).splitlines()[0]})") from None


def plan_mismatch(sweep: Sweep, saved: Plan) -> str | None:
    """Why ``sweep`` cannot resume the saved plan (the first field that differs), or None.
    The checkpoint interval may differ: it changes no number (the plan's is kept)."""
    wanted = json.loads(json.dumps(sweep.to_dict()))
    empty = {"vary": {}}  # no [vary] table and an empty one are the same sweep
    for key in [*wanted, *(k for k in saved.sweep if k not in wanted)]:
        if key == "checkpoint_every":
            continue
        old, value = saved.sweep.get(key, empty.get(key)), wanted.get(key, empty.get(key))
        if old != value:
            return f"{key} is {old!r} in {PLAN_NAME}, {value!r} here"
    return None


def with_steps(saved: Plan, steps: int) -> Plan:
    """A one-steps-value plan continued to ``steps`` in total (``compare --resume --steps``)."""
    def longer(cfg: dict[str, Any]) -> dict[str, Any]:
        return {**cfg, "train": {**cfg["train"], "steps": steps}}

    units = tuple(Unit(u.key, u.group, longer(u.config), u.checkpoint_every)
                  for u in saved.units)
    return Plan({**saved.sweep, "steps": [steps]},
                {k: longer(v) for k, v in saved.groups.items()}, units)


def _normal(config: dict[str, Any]) -> dict[str, Any]:
    """A config dict as the code reads it today (defaults filled in, values validated)."""
    return json.loads(json.dumps(from_dict(config).to_dict()))


def _first_difference(old: Any, new: Any, where: str) -> str | None:
    """The dotted path of the first value that differs between two plain-data trees."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*new, *(k for k in old if k not in new)]:
            if key not in old or key not in new:
                return f"{where}.{key}"
            why = _first_difference(old[key], new[key], f"{where}.{key}")
            if why is not None:
                return why
        return None
    return None if old == new else where


def rebuilt(sweep: Sweep, saved: Plan, field_name: str = "--resume") -> Plan:
    """The plan of ``sweep`` cut into the seed blocks of ``saved`` (its checkpoint interval
    kept), after checking that ``saved`` says nothing else: a resumed sweep trains what
    its sweep file says, never what an edited ``sweep.json`` says, and its unit folders come
    from validated names, never from the file's text. :class:`SweepError` names the first
    field that differs."""
    sizes = [len(u.config.get("runs", {}).get("seeds", ())) if isinstance(u.config, dict)
             else 0 for u in saved.units]
    if not sizes or min(sizes) < 1:
        raise SweepError(f"{field_name}: {PLAN_NAME} lists no units, or a unit without seeds")
    fresh = plan(sweep, per=max(sizes))
    every = {u.checkpoint_every for u in saved.units}
    if len(every) != 1 or not all(_is_int(e) and e >= 1 for e in every):
        raise SweepError(f"{field_name}: {PLAN_NAME}: units[].checkpoint_every differ or are "
                         "not whole numbers >= 1")
    if len(fresh.units) != len(saved.units):
        raise SweepError(f"{field_name}: {PLAN_NAME} lists {len(saved.units)} units, the "
                         f"sweep has {len(fresh.units)}")
    if list(fresh.groups) != list(saved.groups):
        raise SweepError(f"{field_name}: {PLAN_NAME}: its groups are not the sweep's")
    for name, config in fresh.groups.items():
        why = _first_difference(_normal(saved.groups[name]), _normal(config), "")
        if why is not None:
            raise SweepError(f"{field_name}: {PLAN_NAME}: groups.{name}{why} is not what "
                             "the sweep file gives")
    for k, (old, new) in enumerate(zip(saved.units, fresh.units, strict=True)):
        if (old.key, old.group) != (new.key, new.group):
            raise SweepError(f"{field_name}: {PLAN_NAME}: units[{k}] is {old.key!r}, the "
                             f"sweep's is {new.key!r}")
        why = _first_difference(_normal(old.config), _normal(new.config), "")
        if why is not None:
            raise SweepError(f"{field_name}: {PLAN_NAME}: units[{k}].config{why} is not "
                             "what the sweep file gives")
    return Plan(fresh.sweep | {"checkpoint_every": saved.sweep.get("checkpoint_every",
                                                                   sweep.checkpoint_every)},
                fresh.groups,
                tuple(Unit(u.key, u.group, u.config, next(iter(every))) for u in fresh.units))
