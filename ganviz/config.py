"""Typed, validated configuration; TOML load and save.

Every value a user can set lives here, grouped in sections, and is declared once
with :func:`setting`: default, bounds or choices, live or reset, label, help and
its place in the Settings form. ``Config.validate`` derives its checks from those
declarations (plus a few cross-field rules) and raises :class:`ConfigError` naming
the field and its allowed range; nothing else in the engine checks user input again.
"""

from __future__ import annotations

import copy
import math
import tomllib
import types
import typing
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomli_w

from ganviz.atomic import write_text_atomic
from ganviz.errors import UserError
from ganviz.names import ESTIMATORS
from ganviz.regular import read_capped

PRESET_DIR = Path(__file__).resolve().parent / "resources" / "presets"  # package data

ESTIMATOR_IDS = ESTIMATORS
DATASETS = ("ring8", "grid25", "custom", "file")
ACTIVATIONS = ("relu", "leaky_relu", "tanh")
LATENTS = ("normal", "uniform")
COVARIANCES = ("isotropic", "diagonal", "full")
LOSSES = ("nonsaturating", "minimax")
OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("constant", "linear", "exponential")
DEVICES = ("auto", "cpu", "cuda")
INITS = ("default", "normal", "orthogonal")
UPDATES = ("alternating", "simultaneous")
SCORE_BASELINES = ("leave_one_out", "at_mean")

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


@dataclass(frozen=True)
class Setting:
    """One setting, declared once: how it is checked, whether it is live, how it is shown.

    Kept in the metadata of its dataclass field (see :func:`setting`); ``key`` and ``type``
    are filled in from the field. Bounds are pydantic-style: ``ge``/``gt`` below (closed or
    open), ``le`` above, or ``gt_field``, another field whose value is an open lower bound.
    For lists the bounds and ``choices`` hold for every item; ``min_len``/``max_len`` limit
    the length, ``repeated`` asks for every item once, and ``few``/``many``/``repeated`` are
    the messages ({n} the length, {lo}/{hi} the limits, {choices} the allowed values).
    """

    label: str
    help: str
    live: bool = False  # applies at the next step; otherwise a change needs a reset
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    gt_field: str = ""
    choices: tuple[str, ...] = ()
    min_len: int = 0
    max_len: int | None = None
    few: str = ""
    many: str = ""
    repeated: str = ""
    item_len: int = 0  # lists of points: every item has this many numbers, else item_msg
    item_msg: str = ""
    checked_if: tuple[str, ...] = ()  # (key, value, ...): checked only when key is a value
    # The Settings form; fields without a group are not shown there.
    group: str = ""
    row: int = 0  # order within the group
    unit: str = ""
    hint: str = ""  # a line edit's placeholder; the text after a count of points
    special: str = ""  # what the minimum of a spin box means (shown instead of it)
    range_text: str = ""  # how the form states the range when the numbers are unwieldy
    shown_if: tuple[str, ...] = ()  # (key, value, ...): the row shows only then
    enabled_if: tuple[str, ...] = ()  # (key, value, ...): the widget is enabled only then
    errors_at: str = ""  # the form field that shows this field's errors
    key: str = ""  # "section.name", filled in from the dataclass
    type: Any = None  # the field's type, filled in from the dataclass

    @property
    def numeric(self) -> bool:
        """Whether the field (or every item of it) is a bounded number."""
        return self.ge is not None or self.gt is not None or self.le is not None or \
            bool(self.gt_field)


def setting(default: Any, label: str, help: str, **declared: Any) -> Any:
    """A dataclass field carrying its :class:`Setting` (lists get a fresh copy each time)."""
    meta = {"setting": Setting(label=label, help=help, **declared)}
    if isinstance(default, list):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


CUSTOM_ONLY = ("data.name", "custom")
FILE_ONLY = ("data.name", "file")
MAX_COORD = 1e6  # |x|, |y| of a mode centre of file data


@dataclass
class DataConfig:
    """The target mixture of Gaussians (isotropic, or on ring8 stretched along the ring)."""

    name: str = setting(
        "ring8", "Dataset",
        "Target mixture: ring8 = 8 Gaussians on a circle, grid25 = a 5×5 grid, custom = "
        "modes you place by clicking a panel (right-click removes one), file = your own "
        "points (File > Open Data…).",
        choices=DATASETS, live=True, group="Data", row=1)
    radius: float = setting(2.0, "Radius", "Radius of the ring of 8 modes.",
                            gt=0, le=1e3, live=True, group="Data", row=2,
                            shown_if=("data.name", "ring8"))
    std: float = setting(
        0.05, "Mode std",
        "Standard deviation of every mode (custom modes without their own std use it too); "
        "with a Tangent std, the std across the ring (radial).",
        gt=0, le=1e3, live=True, group="Data", row=4)
    tangent_std: float = setting(
        0.0, "Tangent std",
        "Std of every ring8 mode along the ring (tangential), Mode std being the std across "
        "it: anisotropic modes, e.g. 0.2 with Mode std 0.02. 0 keeps the modes isotropic.",
        ge=0, le=1e3, live=True, group="Data", row=5, hint="0 = isotropic",
        shown_if=("data.name", "ring8"))
    spacing: float = setting(2.0, "Spacing", "Distance between neighbouring modes of the grid.",
                             gt=0, le=1e3, live=True, group="Data", row=3,
                             shown_if=("data.name", "grid25"))
    scale: float = setting(1.0, "Scale", "Multiplies every mean and every std of the mixture.",
                           gt=0, le=1e3, live=True, group="Data", row=6)
    means: list[list[float]] = setting(
        [], "Modes",
        "The custom mixture's modes: click a run panel to add a mode at that point, "
        "right-click one to remove it.",
        ge=-1e3, le=1e3, item_len=2, item_msg="must be [x, y]", min_len=1, max_len=MAX_MODES,
        few="custom data needs at least one mean [x, y]", many="give at most {hi} modes (got {n})",
        checked_if=CUSTOM_ONLY, live=True, group="Data", row=8, unit="mode",
        hint="click a panel to add a mode, right-click to remove", shown_if=CUSTOM_ONLY,
        errors_at="data.name")
    stds: list[float] = setting(
        [], "Mode stds", "Standard deviation of each custom mode (one for all, or one per mode; "
        "none uses Mode std).",
        gt=0, le=1e3, checked_if=CUSTOM_ONLY, live=True, errors_at="data.name")
    weights: list[float] = setting(
        [], "Mode weights", "Relative weight of each custom mode (none: equal weights).",
        gt=0, le=1e6, checked_if=CUSTOM_ONLY, live=True, errors_at="data.name")
    train_size: int = setting(
        0, "Train set",
        "Size of a fixed training set drawn once; 0 draws fresh samples at every step.",
        ge=0, le=10_000_000, live=True, group="Data", row=7, special="fresh samples")
    file: str = setting(
        "", "Data file",
        "Your own 2-D points: a .csv, .txt (.tsv, .dat) or .npy file; they become the training "
        "set (File > Open Data…).", live=True, errors_at="data.name")
    columns: list[str] = setting(
        [], "Columns",
        "The two columns of the data file used as x and y, by name or 0-based index; none: the "
        "first two numeric columns.",
        max_len=2, few="give two columns, x and y", many="give two columns, x and y (got {n})",
        live=True, errors_at="data.name")
    centres: list[list[float]] = setting(
        [], "Centres",
        "Known mode centres [x, y] of file data (optional); with them the mode metrics are "
        "computed, each mode with the Mode std.",
        ge=-MAX_COORD, le=MAX_COORD, item_len=2, item_msg="must be [x, y]", max_len=MAX_MODES,
        many="give at most {hi} centres (got {n})", checked_if=FILE_ONLY, live=True,
        errors_at="data.name")
    seed: int = setting(
        1234, "Data seed", "Seed of the fixed training set and of the evaluation's real samples.",
        ge=0, le=MAX_SEED, live=True)


@dataclass
class ModelConfig:
    """Generator and discriminator architecture (shared by all runs of a trainer)."""

    latent_dim: int = setting(2, "Latent dim", "Dimension d of the latent z.",
                              ge=1, le=1024, group="Model", row=5)
    latent: str = setting("normal", "Latent",
                          "Distribution of z: N(0, I) or uniform on [−1, 1]^d.",
                          choices=LATENTS, group="Model", row=6)
    g_hidden: list[int] = setting(
        [128, 128], "G widths",
        "Generator hidden layer widths, comma-separated, e.g. 128, 128 (depth = count, "
        "1 to 8 layers).",
        ge=1, le=4096, min_len=1, max_len=8, few="give {lo} to {hi} layer widths (got {n})",
        group="Model", row=1)
    g_activation: str = setting("relu", "G act.", "Generator hidden activation.",
                                choices=ACTIVATIONS, group="Model", row=3)
    g_batchnorm: bool = setting(
        False, "G batchnorm",
        "Batch normalisation after every generator hidden layer (batch statistics).",
        group="Model", row=7)
    d_hidden: list[int] = setting(
        [128, 128], "D widths",
        "Discriminator hidden layer widths, comma-separated (depth = count, 1 to 8 layers).",
        ge=1, le=4096, min_len=1, max_len=8, few="give {lo} to {hi} layer widths (got {n})",
        group="Model", row=2)
    d_activation: str = setting("relu", "D act.", "Discriminator hidden activation.",
                                choices=ACTIVATIONS, group="Model", row=4)
    d_maxout: int = setting(1, "D maxout", "Maxout pieces per discriminator unit (1 = no maxout).",
                            ge=1, le=16, group="Model", row=8)
    leaky_slope: float = setting(0.2, "Leaky slope", "Negative slope of the leaky_relu activation.",
                                 ge=0, le=1)
    init: str = setting("default", "Init",
                        "Weight initialisation: PyTorch's default, normal with Init std, or "
                        "orthogonal with Init gain (biases 0; as the VEEGAN reimplementation).",
                        choices=INITS)
    init_std: float = setting(0.02, "Init std",
                              "Standard deviation of the weights with the normal init.",
                              gt=0, le=10)
    init_gain: float = setting(1.0, "Init gain",
                               "Gain of the orthogonal init (the VEEGAN reimplementation: 1.4).",
                               gt=0, le=10)


@dataclass
class TrainConfig:
    """Optimisation, loss and the sigma schedule of fixed-sigma runs."""

    steps: int = setting(3000, "Steps", "Total number of training steps.",
                         ge=1, le=100_000_000, live=True)
    batch_size: int = setting(256, "Batch", "Real and fake samples per minibatch and run.",
                              ge=2, le=1_000_000, live=True, group="Training", row=10)
    k_d: int = setting(1, "k_D", "Discriminator steps per training step (0 freezes D).",
                       ge=0, le=100, live=True, group="Training", row=8)
    k_g: int = setting(1, "k_G", "Generator steps per training step.",
                       ge=1, le=100, live=True, group="Training", row=9)
    optimizer: str = setting("adam", "Optimizer", "Adam, or SGD with momentum.",
                             choices=OPTIMIZERS, group="Training", row=3)
    lr_d: float = setting(1e-3, "LR D",
                          "Discriminator learning rate; scientific notation works (1e-4).",
                          gt=0, le=10, live=True, group="Training", row=1, hint="e.g. 1e-4")
    lr_g: float = setting(1e-3, "LR G",
                          "Generator learning rate; scientific notation works (1e-4).",
                          gt=0, le=10, live=True, group="Training", row=2, hint="e.g. 1e-4")
    beta1: float = setting(0.5, "β1", "Adam's first-moment decay (beta1).",
                           ge=0, le=0.9999, live=True, group="Training", row=4,
                           enabled_if=("train.optimizer", "adam"))
    beta2: float = setting(0.999, "β2", "Adam's second-moment decay (beta2).",
                           ge=0, le=0.99999, live=True, group="Training", row=5,
                           enabled_if=("train.optimizer", "adam"))
    momentum: float = setting(0.0, "Momentum", "SGD momentum (0 = plain SGD).",
                              ge=0, le=0.9999, live=True, group="Training", row=6,
                              enabled_if=("train.optimizer", "sgd"))
    loss: str = setting(
        "nonsaturating", "G loss",
        "Generator loss f(x): nonsaturating −log D(x), or Goodfellow's minimax log(1 − D(x)).",
        choices=LOSSES, live=True, group="Training", row=7)
    sigma_min: float = setting(1e-3, "σ min", "Floor of the learned σ(z) = σ min + softplus(s(z)).",
                               ge=0, le=10, live=True, group="Estimators & σ", row=5)
    sigma_schedule: str = setting(
        "constant", "Schedule",
        "How fixed σ moves from its start value to Final σ: constant, linear, or exponential "
        "decay (exponential needs every σ > 0).",
        choices=SCHEDULES, live=True, group="Estimators & σ", row=7)
    sigma_final: float = setting(0.0, "Final σ", "Fixed σ at the end of the schedule.",
                                 ge=0, le=100, live=True, group="Estimators & σ", row=8,
                                 enabled_if=("train.sigma_schedule", "linear", "exponential"))
    schedule_steps: int = setting(
        0, "Over", "Steps over which the schedule runs; 0 uses the total number of training steps.",
        ge=0, le=100_000_000, live=True, group="Estimators & σ", row=9, special="= total steps",
        enabled_if=("train.sigma_schedule", "linear", "exponential"))
    update: str = setting(
        "alternating", "Update",
        "alternating: D steps, then G steps against the updated D; simultaneous: D and G "
        "take their gradients at the same point, on one batch of z and eps (needs k_D = "
        "k_G = 1), as the VEEGAN reimplementation does.",
        choices=UPDATES)
    real_noise: bool = setting(
        False, "Real-data noise",
        "Add the fakes' mean σ as Gaussian noise to the real samples D sees (instance noise).",
        live=True, group="Training", row=11)
    device: str = setting("auto", "Device", "auto = CUDA when present, else the CPU.",
                          choices=DEVICES, group="Training", row=13)
    compile: bool = setting(
        True, "Compiled step",
        "Compile the training step (torch.compile) for speed. The window trains eagerly "
        "until it is compiled; headless runs compile first, so every step of a run takes "
        "the same path. Compiled and eager steps agree to float rounding, not bit for bit.",
        live=True, group="Training", row=14)
    threads: int = setting(0, "Threads",
                           "Torch threads for training. 0 (auto): the cores that the machine's "
                           "other processes leave free (all but one beside the window), "
                           "checked a second after training starts and every few seconds, so "
                           "trainings that share a machine do not collapse. N: exactly N.",
                           ge=0, le=1024)


@dataclass
class RunsConfig:
    """Which runs train side by side: estimators x sigmas x seeds."""

    estimators: list[str] = setting(
        list(ESTIMATOR_IDS), "Estimators",
        "The gradient estimators that train, one run each per σ (fixed-σ ones) and seed; the "
        "toolbar switches them.",
        choices=ESTIMATOR_IDS, min_len=1, few="give at least one of {choices}",
        repeated="each estimator may be listed once")
    seeds: list[int] = setting(
        [0], "Seeds",
        "Random seeds, comma-separated, e.g. 0, 1, 2; every estimator and σ trains once "
        "per seed. Each seed once.",
        ge=0, le=MAX_SEED, min_len=1, max_len=MAX_RUNS, few="give at least one seed, each once",
        repeated="give at least one seed, each once", many="give at most {hi} seeds (got {n})",
        group="Estimators & σ", row=10, range_text="[0, 2^63 − 1]")
    sigmas: list[float] = setting(
        [0.05], "Fixed σ",
        "σ values of the fixed-σ runs (reparam fixed, score), comma-separated, e.g. "
        "0.05, 0.1; one run per value and seed. The score estimator with fixed σ needs σ > 0.",
        ge=0, le=100, min_len=1, max_len=MAX_RUNS, few="give at least one sigma, each once",
        repeated="give at least one sigma, each once", many="give at most {hi} sigmas (got {n})",
        group="Estimators & σ", row=1)
    plugin_sigma: float = setting(
        0.0, "Plug-in σ",
        "Noise σ of the fakes the plug-in estimator shows D; 0 is the vanilla GAN.",
        ge=0, le=100, group="Estimators & σ", row=2)
    sigma_init: float = setting(0.1, "Initial σ",
                                "Initial σ(z) of the learned-σ runs; it must exceed σ min.",
                                gt_field="train.sigma_min", le=100, group="Estimators & σ", row=3)
    covariance: str = setting(
        "isotropic", "Learned Σ(z)",
        "Form of the learned conditional covariance: isotropic σ(z)² I, diagonal (one σ per "
        "axis) or full (x = μ(z) + L(z) ε, L lower-triangular). Fixed-σ runs stay σ I.",
        choices=COVARIANCES, group="Estimators & σ", row=4)
    score_baseline: str = setting(
        "leave_one_out", "Score baseline",
        "Baseline b of the score-function estimator (f(x) − b) ∇ log p(x): leave_one_out, "
        "the mean f over the rest of the batch; at_mean, f(μ(z)) at each sample's own mean "
        "(detached), which stays bounded as σ → 0.",
        choices=SCORE_BASELINES)
    sigma_entropy: float = setting(
        0.0, "σ entropy λ",
        "Weight λ of an entropy bonus on learned σ(z): the generator's loss gains "
        "−λ E log σ(z) (for a diagonal or full Σ(z), −λ E ½ log det Σ(z)), as PresGAN "
        "(Dieng et al. 2019) does; 0 turns it off.",
        ge=0, le=100)
    score_learned_sigma: bool = setting(
        False, "Score uses learned σ(z)",
        "The score-function estimator learns σ(z) like reparam learned, instead of using "
        "the fixed σ values.",
        group="Estimators & σ", row=6)


@dataclass
class EvalConfig:
    """Metrics recorded during training."""

    every: int = setting(100, "Eval every", "Compute the metrics every this many steps.",
                         ge=1, le=100_000_000, live=True, group="Training", row=12)
    samples: int = setting(2500, "Eval samples",
                           "Model samples each run draws for the sample-quality metrics.",
                           ge=10, le=1_000_000, live=True)
    grad_var_batches: int = setting(
        8, "Gradient batches",
        "Minibatches whose generator gradients give the relative gradient variance.",
        ge=2, le=256, live=True)
    js_bins: int = setting(50, "JS bins",
                           "Histogram cells per axis of the Jensen-Shannon divergence.",
                           ge=4, le=1000, live=True)


@dataclass
class ProbeConfig:
    """Resolution of what the views draw."""

    grid: int = setting(128, "View grid",
                        "Cells per axis of the density and discriminator images; their cost "
                        "grows with its square.",
                        ge=8, le=512, live=True)
    field_grid: int = setting(13, "Field grid", "Arrows per axis of the gradient field.",
                              ge=3, le=128, live=True)
    density_draws: int = setting(512, "Density draws",
                                 "Latent draws whose σ-blobs make up the model density image.",
                                 ge=16, le=65536, live=True)
    fakes: int = setting(256, "Fakes", "Model samples drawn as points in the views.",
                         ge=8, le=65536, live=True)
    smooth_draws: int = setting(8, "Smoothing draws",
                                "Noise draws that smooth the gradient field at each arrow.",
                                ge=2, le=4096, live=True)
    manifold_lines: int = setting(11, "Manifold lines",
                                  "Latent grid lines drawn as the generator's manifold (d = 2).",
                                  ge=2, le=256, live=True)
    curve_points: int = setting(13, "Curve points",
                                "σ values of the equation-1 curves, log-spaced from 1e-3 to 1.",
                                ge=2, le=100, live=True)
    curve_draws: int = setting(16, "Curve draws", "Noise draws per fake of the equation-1 curves.",
                               ge=4, le=4096, live=True)
    curve_fakes: int = setting(32, "Curve fakes", "Fakes per run of the equation-1 curves.",
                               ge=2, le=4096, live=True)


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
    lo_s = SETTINGS[s.gt_field].label if s.gt_field else _bound(lo)
    return f"{'(' if lo_open else '['}{lo_s}, {_bound(hi)}]"


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
    _check_size(cfg)


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
        _choice(name, value, s.choices)
    elif s.numeric:
        lo, hi, lo_open = limits(s.key, cfg)
        _number(name, value, lo, hi, lo_open)


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
    fixed_score = "score" in r.estimators and not r.score_learned_sigma
    if fixed_score:
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
