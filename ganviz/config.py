"""Typed, validated configuration; TOML load and save.

Every value a user can set lives here, grouped in sections. ``Config.validate``
raises :class:`ConfigError` naming the field and its allowed range; nothing
else in the engine checks user input again.
"""

from __future__ import annotations

import math
import tomllib
import types
import typing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from ganviz.atomic import write_text_atomic
from ganviz.contract import ESTIMATORS
from ganviz.errors import UserError

PRESET_DIR = Path(__file__).resolve().parent / "resources" / "presets"  # package data

ESTIMATOR_IDS = ESTIMATORS
DATASETS = ("ring8", "grid25", "custom")
ACTIVATIONS = ("relu", "leaky_relu", "tanh")
LATENTS = ("normal", "uniform")
LOSSES = ("nonsaturating", "minimax")
OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("constant", "linear", "exponential")
DEVICES = ("auto", "cpu", "cuda")
INITS = ("default", "normal")

MAX_SEED = 2**63 - 1
MAX_RUNS = 256  # runs in one batched trainer
MAX_MODES = 1000  # modes of a custom mixture
MAX_CONFIG_BYTES = 1 << 20  # a config file is a few hundred bytes; refuse anything huge
# Estimated peak working memory of one training step or evaluation. The limit fits the
# machines ganviz targets (a workstation or a 2-core, 24 GiB CI box): a config past it is
# refused by name instead of swapping for minutes and failing.
MEMORY_LIMIT_GIB = 8.0


class ConfigError(UserError):
    """A user-facing configuration problem; ``str()`` is one line naming the field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


@dataclass
class DataConfig:
    """The target mixture of isotropic Gaussians."""

    name: str = "ring8"
    radius: float = 2.0
    std: float = 0.05
    spacing: float = 2.0
    scale: float = 1.0
    means: list[list[float]] = field(default_factory=list)
    stds: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    train_size: int = 0
    seed: int = 1234


@dataclass
class ModelConfig:
    """Generator and discriminator architecture (shared by all runs of a trainer)."""

    latent_dim: int = 2
    latent: str = "normal"
    g_hidden: list[int] = field(default_factory=lambda: [128, 128])
    g_activation: str = "relu"
    g_batchnorm: bool = False
    d_hidden: list[int] = field(default_factory=lambda: [128, 128])
    d_activation: str = "relu"
    d_maxout: int = 1
    leaky_slope: float = 0.2
    init: str = "default"
    init_std: float = 0.02


@dataclass
class TrainConfig:
    """Optimisation, loss and the sigma schedule of fixed-sigma runs."""

    steps: int = 3000
    batch_size: int = 256
    k_d: int = 1
    k_g: int = 1
    optimizer: str = "adam"
    lr_d: float = 1e-3
    lr_g: float = 1e-3
    beta1: float = 0.5
    beta2: float = 0.999
    momentum: float = 0.0
    loss: str = "nonsaturating"
    sigma_min: float = 1e-3
    sigma_schedule: str = "constant"
    sigma_final: float = 0.0
    schedule_steps: int = 0
    real_noise: bool = False
    device: str = "auto"
    threads: int = 0


@dataclass
class RunsConfig:
    """Which runs train side by side: estimators x sigmas x seeds."""

    estimators: list[str] = field(default_factory=lambda: list(ESTIMATOR_IDS))
    seeds: list[int] = field(default_factory=lambda: [0])
    sigmas: list[float] = field(default_factory=lambda: [0.05])
    plugin_sigma: float = 0.0
    sigma_init: float = 0.1
    score_learned_sigma: bool = False


@dataclass
class EvalConfig:
    """Metrics recorded during training."""

    every: int = 100
    samples: int = 2500
    grad_var_batches: int = 8
    js_bins: int = 50


@dataclass
class ProbeConfig:
    """Resolution of what the views draw."""

    grid: int = 64
    field_grid: int = 13
    density_draws: int = 512
    fakes: int = 256
    smooth_draws: int = 8
    manifold_lines: int = 11
    curve_points: int = 13
    curve_draws: int = 16
    curve_fakes: int = 32


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


# Settings that apply at the next step; everything else needs a reset.
LIVE_FIELDS = {
    "train": {"batch_size", "k_d", "k_g", "lr_d", "lr_g", "beta1", "beta2", "momentum",
              "loss", "sigma_min", "sigma_schedule", "sigma_final", "schedule_steps",
              "real_noise", "steps"},
    "data": {"name", "radius", "std", "spacing", "scale", "means", "stds", "weights",
             "train_size", "seed"},
    "eval": {"every", "samples", "grad_var_batches", "js_bins"},
    "probe": {"grid", "field_grid", "density_draws", "fakes", "smooth_draws",
              "manifold_lines", "curve_points", "curve_draws", "curve_fakes"},
}


def needs_reset(old: Config, new: Config) -> list[str]:
    """Fields that differ between two configs and cannot change while training."""
    changed = []
    a, b = old.to_dict(), new.to_dict()
    for section, values in b.items():
        for key, value in values.items():
            if a[section][key] != value and key not in LIVE_FIELDS.get(section, set()):
                changed.append(f"{section}.{key}")
    return changed


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
        with path.open("rb") as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
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


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(name, f"unknown value {value!r}; allowed: {', '.join(allowed)}")


def _number(
    name: str, value: float, lo: float = -math.inf, hi: float = math.inf, lo_open: bool = False
) -> None:
    # Integers are compared exactly: float(10**400) would overflow, and 2**63 - 1 must not round.
    finite = isinstance(value, int) or math.isfinite(value)
    bad = not finite or value > hi or (value <= lo if lo_open else value < lo)
    if bad:
        left = "(" if lo_open else "["
        lo_s = "-inf" if lo == -math.inf else _bound(lo)
        hi_s = "inf" if hi == math.inf else _bound(hi)
        raise ConfigError(name, f"must be a finite number in {left}{lo_s}, {hi_s}] "
                                f"(got {_short(value)})")


def _bound(v: float) -> str:
    return str(v) if isinstance(v, int) else f"{v:g}"


def _short(value: Any) -> str:
    """``repr(value)``, shortened for the one-line message (a 400-digit integer)."""
    text = repr(value)
    return text if len(text) <= 24 else f"{text[:10]}...{text[-6:]} ({len(text)} characters)"


def _validate(cfg: Config) -> None:
    d, m, t, r, e, p = cfg.data, cfg.model, cfg.train, cfg.runs, cfg.eval, cfg.probe
    _choice("data.name", d.name, DATASETS)
    _number("data.radius", d.radius, 0, 1e3, lo_open=True)
    _number("data.std", d.std, 0, 1e3, lo_open=True)
    _number("data.spacing", d.spacing, 0, 1e3, lo_open=True)
    _number("data.scale", d.scale, 0, 1e3, lo_open=True)
    _number("data.train_size", d.train_size, 0, 10_000_000)
    _number("data.seed", d.seed, 0, MAX_SEED)
    if d.name == "custom":
        if not d.means:
            raise ConfigError("data.means", "custom data needs at least one mean [x, y]")
        if len(d.means) > MAX_MODES:
            raise ConfigError("data.means", f"give at most {MAX_MODES} modes "
                                            f"(got {len(d.means)})")
        for i, mean in enumerate(d.means):
            if len(mean) != 2:
                raise ConfigError(f"data.means[{i}]", f"must be [x, y] (got {mean!r})")
            for j, v in enumerate(mean):
                _number(f"data.means[{i}][{j}]", v, -1e3, 1e3)
        if len(d.stds) not in (0, 1, len(d.means)):
            raise ConfigError("data.stds", f"give 0, 1 or {len(d.means)} values (one per mean)")
        if len(d.weights) not in (0, len(d.means)):
            raise ConfigError("data.weights", f"give 0 or {len(d.means)} values (one per mean)")
        for i, s in enumerate(d.stds):
            _number(f"data.stds[{i}]", s, 0, 1e3, lo_open=True)
        for i, w in enumerate(d.weights):
            _number(f"data.weights[{i}]", w, 0, 1e6, lo_open=True)

    _number("model.latent_dim", m.latent_dim, 1, 1024)
    _choice("model.latent", m.latent, LATENTS)
    for key in ("g_hidden", "d_hidden"):
        widths = getattr(m, key)
        if not 1 <= len(widths) <= 8:
            raise ConfigError(f"model.{key}", f"give 1 to 8 layer widths (got {len(widths)})")
        for i, w in enumerate(widths):
            _number(f"model.{key}[{i}]", w, 1, 4096)
    _choice("model.g_activation", m.g_activation, ACTIVATIONS)
    _choice("model.d_activation", m.d_activation, ACTIVATIONS)
    _number("model.d_maxout", m.d_maxout, 1, 16)
    _number("model.leaky_slope", m.leaky_slope, 0, 1)
    _choice("model.init", m.init, INITS)
    _number("model.init_std", m.init_std, 0, 10, lo_open=True)

    _number("train.steps", t.steps, 1, 100_000_000)
    _number("train.batch_size", t.batch_size, 2, 1_000_000)
    _number("train.k_d", t.k_d, 0, 100)
    _number("train.k_g", t.k_g, 1, 100)
    _choice("train.optimizer", t.optimizer, OPTIMIZERS)
    _number("train.lr_d", t.lr_d, 0, 10, lo_open=True)
    _number("train.lr_g", t.lr_g, 0, 10, lo_open=True)
    _number("train.beta1", t.beta1, 0, 0.9999)
    _number("train.beta2", t.beta2, 0, 0.99999)
    _number("train.momentum", t.momentum, 0, 0.9999)
    _choice("train.loss", t.loss, LOSSES)
    _number("train.sigma_min", t.sigma_min, 0, 10)
    _choice("train.sigma_schedule", t.sigma_schedule, SCHEDULES)
    _number("train.sigma_final", t.sigma_final, 0, 100)
    _number("train.schedule_steps", t.schedule_steps, 0, 100_000_000)
    _choice("train.device", t.device, DEVICES)
    _number("train.threads", t.threads, 0, 1024)

    if not r.estimators:
        raise ConfigError("runs.estimators", f"give at least one of {', '.join(ESTIMATOR_IDS)}")
    for i, name in enumerate(r.estimators):
        _choice(f"runs.estimators[{i}]", name, ESTIMATOR_IDS)
    if len(set(r.estimators)) != len(r.estimators):
        raise ConfigError("runs.estimators", "each estimator may be listed once")
    if not r.seeds or len(set(r.seeds)) != len(r.seeds):
        raise ConfigError("runs.seeds", "give at least one seed, each once")
    if len(r.seeds) > MAX_RUNS:
        raise ConfigError("runs.seeds", f"give at most {MAX_RUNS} seeds (got {len(r.seeds)})")
    for i, s in enumerate(r.seeds):
        _number(f"runs.seeds[{i}]", s, 0, MAX_SEED)
    if not r.sigmas or len(set(r.sigmas)) != len(r.sigmas):
        raise ConfigError("runs.sigmas", "give at least one sigma, each once")
    if len(r.sigmas) > MAX_RUNS:
        raise ConfigError("runs.sigmas", f"give at most {MAX_RUNS} sigmas (got {len(r.sigmas)})")
    for i, s in enumerate(r.sigmas):
        _number(f"runs.sigmas[{i}]", s, 0, 100)
    _number("runs.plugin_sigma", r.plugin_sigma, 0, 100)
    _number("runs.sigma_init", r.sigma_init, t.sigma_min, 100, lo_open=True)
    fixed_score = "score" in r.estimators and not r.score_learned_sigma
    if fixed_score:
        for i, s in enumerate(r.sigmas):
            if s <= 0:
                raise ConfigError(f"runs.sigmas[{i}]", "the score estimator needs sigma > 0")
        if t.sigma_schedule != "constant" and t.sigma_final <= 0:
            raise ConfigError("train.sigma_final", "the score estimator needs sigma_final > 0")
    if t.sigma_schedule == "exponential":
        if t.sigma_final <= 0:
            raise ConfigError("train.sigma_final", "exponential decay needs sigma_final > 0")
        if any(s <= 0 for s in r.sigmas):
            raise ConfigError("runs.sigmas", "exponential decay needs every sigma > 0")

    _number("eval.every", e.every, 1, 100_000_000)
    _number("eval.samples", e.samples, 10, 1_000_000)
    _number("eval.grad_var_batches", e.grad_var_batches, 2, 256)
    _number("eval.js_bins", e.js_bins, 4, 1000)

    _number("probe.grid", p.grid, 8, 512)
    _number("probe.field_grid", p.field_grid, 3, 128)
    _number("probe.density_draws", p.density_draws, 16, 65536)
    _number("probe.fakes", p.fakes, 8, 65536)
    _number("probe.smooth_draws", p.smooth_draws, 2, 4096)
    _number("probe.manifold_lines", p.manifold_lines, 2, 256)
    _number("probe.curve_points", p.curve_points, 2, 100)
    _number("probe.curve_draws", p.curve_draws, 4, 4096)
    _number("probe.curve_fakes", p.curve_fakes, 2, 4096)
    _check_size(cfg)


def run_count(cfg: Config) -> int:
    """How many runs ``cfg`` trains side by side (estimators x sigmas x seeds)."""
    r = cfg.runs
    per_seed = 0
    for est in r.estimators:
        learned = est == "reparam_learned" or (est == "score" and r.score_learned_sigma)
        per_seed += 1 if est == "plugin" or learned else len(r.sigmas)
    return per_seed * len(r.seeds)


def memory_estimate_gib(cfg: Config) -> dict[str, float]:
    """A generous estimate of the peak working memory, in GiB, of a training step (keyed
    ``train.batch_size``) and of an evaluation (keyed ``eval.samples``).

    Counts the activations autograd keeps (and their gradients) in a discriminator step,
    which sees real and fake batches, in a generator step, and in an evaluation; probes are
    computed in bounded chunks and are not counted.
    """
    m, t, e = cfg.model, cfg.train, cfg.eval
    runs = run_count(cfg)
    d_per_point = 2 + sum(w * (m.d_maxout + 1) * 2 for w in m.d_hidden)
    g_per_point = m.latent_dim + sum(w * (3 if m.g_batchnorm else 2) * 2 for w in m.g_hidden)
    modes = max(len(cfg.data.means), 25)
    step = max(2 * t.batch_size * d_per_point, t.batch_size * (g_per_point + d_per_point))
    evaluation = e.samples * (g_per_point // 2 + modes + 8)
    gib = runs * 4 / 2**30
    return {"train.batch_size": step * gib, "eval.samples": evaluation * gib}


def _check_size(cfg: Config) -> None:
    """Refuse configs that cannot fit: too many runs, or a step past the memory limit."""
    n = run_count(cfg)
    if n > MAX_RUNS:
        raise ConfigError("runs", f"{n} runs (estimators x sigmas x seeds); the limit is "
                                  f"{MAX_RUNS} in one trainer")
    need = memory_estimate_gib(cfg)
    field_name = max(need, key=need.__getitem__)
    if need[field_name] > MEMORY_LIMIT_GIB:
        t = cfg.train
        raise ConfigError(field_name, f"{n} runs at batch {t.batch_size} (eval samples "
                                      f"{cfg.eval.samples}) would need about "
                                      f"{need[field_name]:.1f} GiB; the limit is "
                                      f"{MEMORY_LIMIT_GIB:g} GiB (use fewer runs, a smaller "
                                      "batch or eval sample, or narrower layers)")


__all__ = [
    "Config",
    "ConfigError",
    "DataConfig",
    "EvalConfig",
    "ModelConfig",
    "ProbeConfig",
    "RunsConfig",
    "TrainConfig",
    "from_dict",
    "load",
    "load_preset",
    "loads",
    "preset_names",
]
