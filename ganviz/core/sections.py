"""The six sections of a configuration (data, model, train, runs, eval, probe): every value
a user can set, declared once with :func:`~ganviz.core.settings.setting`."""

from __future__ import annotations

from dataclasses import dataclass

from ganviz.core.names import ESTIMATORS
from ganviz.core.settings import setting

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
    init_nudge: int = setting(
        0, "Init nudge",
        "0: none. k >= 1: every non-zero initial weight and bias of G and D moves one float32 "
        "step up or down, the directions drawn from stream k of the run's seed: a "
        "perturbation the size of rounding, whose replicates measure how much of a seed's "
        "outcome is chaos.", ge=0, le=1_000_000)


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

    def learns_sigma(self, estimator: str) -> bool:
        """Whether ``estimator``'s runs learn σ(z): reparam learned, and the score function
        when ``score_learned_sigma`` asks it to."""
        return estimator == "reparam_learned" or (estimator == "score"
                                                  and self.score_learned_sigma)

    def uses_sigmas(self, estimator: str) -> bool:
        """Whether ``estimator`` trains one run per value of ``sigmas`` (the fixed-σ ones)."""
        return estimator != "plugin" and not self.learns_sigma(estimator)


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
