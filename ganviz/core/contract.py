"""The one contract between the training process and the window.

Everything that crosses the process boundary is defined here, in plain frozen dataclasses
over numpy arrays and the standard library (no torch, no Qt): the snapshot and its parts,
the run states, the commands the window sends and the notices it gets back. The engine
produces these; the window only consumes them, so its process never imports torch.

Large parts (views, fakes, curves, real data) carry version numbers: a receiver decides
what is new by comparing versions, never by ``id()`` (CPython reuses the ids of freed
objects).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ganviz.core.config import Config
from ganviz.core.names import FULL_NAMES, SHORT_NAMES

CONTRACT_VERSION = 1

def sigma_number(value: float) -> str:
    """A sigma as titles and legends show it (0.05, 0.00047, 1e-05)."""
    return f"{value:g}"


# ------------------------------------------------------------------- runs
@dataclass(frozen=True)
class RunSpec:
    """One run. ``sigma`` is the fixed (schedule start) value, or the initial one if learned;
    ``covariance`` the form of a learned Sigma(z) (isotropic, diagonal or full)."""

    index: int
    estimator: str
    seed: int
    sigma: float
    learned_sigma: bool
    covariance: str = "isotropic"

    @property
    def label(self) -> str:
        """Short unique label, e.g. ``reparam_fixed s=0.05 seed=0``."""
        sig = "s=learned" if self.learned_sigma else f"s={self.sigma:g}"
        return f"{self.estimator} {sig} seed={self.seed}"

    @property
    def title(self) -> str:
        """Human title, e.g. ``reparameterized, fixed sigma = 0.05``."""
        name = FULL_NAMES[self.estimator]
        if self.learned_sigma:
            return name if self.estimator == "reparam_learned" else f"{name}, learned sigma(z)"
        return f"{name}, sigma = {self.sigma:g}"

    @property
    def sigma_text(self) -> str:
        """``σ learned``, ``Σ learned, full`` or ``σ = 0.05``: a panel title's second line."""
        if self.learned_sigma and self.covariance != "isotropic":
            return f"Σ learned, {self.covariance}"
        return "σ learned" if self.learned_sigma else f"σ = {self.sigma:g}"

    @property
    def legend(self) -> str:
        """Legend text shared by runs that differ only in seed, e.g. ``reparam, fixed σ = 0.05``."""
        return legend_text(self.estimator, None if self.learned_sigma else self.sigma,
                           self.covariance)


def legend_text(estimator: str, sigma: float | None, covariance: str = "isotropic") -> str:
    """The short name of an estimator with its fixed ``sigma`` (None: learned, with its
    ``covariance`` form when not isotropic)."""
    name = SHORT_NAMES[estimator]
    if sigma is None and covariance != "isotropic":
        base = name.replace(", learned σ(z)", "")
        return f"{base}, learned Σ(z) {covariance}"
    if sigma is None:
        return name if estimator == "reparam_learned" else f"{name}, learned σ(z)"
    if estimator == "reparam_fixed":
        return f"{name} = {sigma_number(sigma)}"
    return f"{name}, σ = {sigma_number(sigma)}"


@dataclass(frozen=True)
class RunState:
    """What the window shows about one run."""

    spec: RunSpec
    active: bool
    diverged: bool
    run_step: int


# ------------------------------------------------------------------ parts
@dataclass(frozen=True, eq=False)
class RealData:
    """The real data as the views draw it: the modes (none for file data without centres),
    their stds and weights, the density's peak, and for file data a subsample of its
    ``points`` [<= REAL_POINTS, 2] and a length ``scale`` (the spread of a point's
    neighbourhood, for the sigma colours). Anisotropic modes also carry ``axes`` [M, 2, 2]:
    column k of ``axes[m]`` is the k-th semi-axis of mode m's 1-std ellipse (covariance
    A A^T), and ``stds[m]`` is then sqrt|det A| (the same-area isotropic std)."""

    modes: np.ndarray
    stds: np.ndarray
    weights: np.ndarray
    peak_density: float
    points: np.ndarray | None = None
    scale: float = 0.0
    axes: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class ViewProbes:
    """Everything the run panels draw for one trainer state (R runs).

    * ``density`` [R, H, W]: generator density p(x) = E_z N(x; mu(z), h(z)^2 I) with
      h = max(sigma(z), ``density_floor``) (``density_floor`` = one grid cell), from
      ``density_draws`` latent draws; it integrates to the model's mass inside the view
      (~1 unless fakes leave it). ``density_label[r]`` says whether run r's map is exact
      ("mixture"), partly or fully floored, or a kernel density estimate of the means
      ("KDE, h = ..." when sigma = 0).
    * ``disc`` [R, H, W]: D(x) in (0, 1) on the same grid.
    * ``field_points`` [F*F, 2]: arrow tails, row-major like the grids
      (``reshape(F, F, 2)[i, j] = (x_j, y_i)``); ``field`` [R, F*F, 2] = -grad_x f(x), the
      direction the generator loss pushes a fake at x; ``smooth_field`` [R, F*F, 2] =
      -grad_x E_eps f(x + s eps) with s = ``smooth_sigma[r]`` (Monte Carlo, common eps).
    * ``fakes`` [R, n, 2] = mu + sigma * eps, ``fake_means`` [R, n, 2] = mu(z),
      ``fake_sigma`` [R, n], ``fake_field`` [R, n, 2] = -grad_x f at the fakes.
    * ``manifold`` [R, 2, L, K, 2] or None (latent_dim != 2): mu(z) along a z-grid;
      ``manifold[r, 0, l]`` is the line z1 = c_l (z2 varies), ``manifold[r, 1, l]`` the line
      z2 = c_l (z1 varies); c and the K points span [-2.5, 2.5] (normal latent) or [-1, 1]
      (uniform); K = 4 (L - 1) + 1 so the lines meet at sample points.
    * ``sigma_stats`` [R, 3]: mean, 10th and 90th percentile of sigma(z) over the probe batch
      (a non-isotropic covariance: of both eigen-stds of every draw).
    * ``fake_axes`` [R, n, 2, 2] or None (isotropic covariance): each fake's 1-std semi-axes
      of its conditional Gaussian as the columns of A (major ``[..., :, 0]``, minor
      ``[..., :, 1]``, A A^T = Sigma, as ``RealData.axes``); the 2-std ellipse is
      ``fake_means + 2 A (cos t, sin t)``. Then
      ``fake_sigma`` is sqrt(trace(Sigma) / 2) and the density uses the full covariance.

    ``disc``, ``smooth_field`` and ``manifold`` are None when the window hid their layers
    (:class:`ShowLayers`): they cost most of a refresh and nothing would draw them.
    """

    step: int
    extent: float
    xs: np.ndarray
    ys: np.ndarray
    cell: float
    density: np.ndarray
    density_floor: float
    density_label: tuple[str, ...]
    disc: np.ndarray | None
    field_points: np.ndarray
    field: np.ndarray
    smooth_field: np.ndarray | None
    smooth_sigma: np.ndarray
    fakes: np.ndarray
    fake_means: np.ndarray
    fake_sigma: np.ndarray
    fake_field: np.ndarray
    manifold: np.ndarray | None
    sigma_stats: np.ndarray
    fake_axes: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class SigmaCurves:
    """The equation-1 curves over ``sigma`` [S] (log grid 1e-3 .. 1); all [R, S], dimensionless.

    For the current D and fakes x_i = mu(z_i), g0_i = grad_x f(x_i), K common draws eps_k:

    * ``bias``: sum_i |gs_i - g0_i| / sum_i |g0_i|, gs_i = mean_k grad_x f(x_i + s eps_k)
      (pathwise Monte Carlo estimate of the smoothed gradient); -> 0 as s -> 0.
    * ``pathwise_std``: RMS over i of the per-point std over k of grad_x f(x_i + s eps_k).
    * ``score_std``: same for the score-function estimate (f(x_i + s eps_k) - b_ik) eps_k / s
      with the leave-one-out batch baseline b_ik = mean_{j != i} f(x_j + s eps_k), as in
      training; grows like 1/s because f(x_i) - b_ik does not vanish as s -> 0.
    * ``score_std_point``: the same with a per-point baseline (leave-one-out over the K draws
      at x_i), which cancels f(x_i) and stays bounded: the 1/s comes from the baseline.
    * ``score_std_mean``: the same with the at-mean baseline b_i = f(x_i) (f at the
      sample's own mean, ``runs.score_baseline = "at_mean"``); also bounded as s -> 0.

    The std curves are divided by mean_i |g0_i| (a std of a 2-vector is sqrt of the trace of
    its covariance), so all curves share one log-log plot.
    """

    step: int
    sigma: np.ndarray
    bias: np.ndarray
    pathwise_std: np.ndarray
    score_std: np.ndarray
    score_std_point: np.ndarray
    score_std_mean: np.ndarray


@dataclass(frozen=True, eq=False)
class FakeProbes:
    """The cheap per-frame part of the views: model samples and their sigma(z).

    Drawn from the same latents as the views (the first ``probe.fakes`` of their probe
    batch), so between two full probes the fakes move smoothly frame by frame. With a
    non-isotropic covariance, ``fake_means`` [R, n, 2] and ``fake_axes`` [R, n, 2, 2] as in
    :class:`ViewProbes` (else None).
    """

    step: int
    fakes: np.ndarray
    fake_sigma: np.ndarray
    fake_means: np.ndarray | None = None
    fake_axes: np.ndarray | None = None


@dataclass(frozen=True)
class ResponseCurve:
    """One line of a sweep's response figure: a metric over the swept data std ``x`` for one
    ``label`` (e.g. a covariance form): the median and 10-90 % band over seeds, lists of
    equal length (NaN where nothing is known)."""

    label: str
    x: list[float]
    median: list[float]
    p10: list[float]
    p90: list[float]


@dataclass(frozen=True)
class GroupCurves:
    """The equation-1 curves of one table row: means over its non-diverged seeds, [S] each."""

    estimator: str
    sigma_label: str
    run_sigma: float | None  # the row's own sigma (learned: mean over seeds); None at 0
    sigma: list[float]
    bias: list[float]
    pathwise_std: list[float]
    score_std: list[float]
    score_std_mean: list[float]


@dataclass(frozen=True)
class PartVersions:
    """Version numbers of a snapshot's large parts (views, fakes, curves, real data) and of
    its metric history (a new number when a reset or an opened session starts a new one;
    rows appended to the same history keep it).

    The producer gives a part a new number, unique within its process, whenever it builds
    that part anew; equal numbers mean the very same part.
    """

    views: int = 0
    fakes: int = 0
    curves: int = 0
    real: int = 0
    history: int = 0


# --------------------------------------------------------------- notices
@dataclass(frozen=True)
class Saved:
    """A session file was written."""

    path: str


@dataclass(frozen=True)
class Opened:
    """A session file was opened; ``view`` is its stored view state (validated)."""

    path: str
    view: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Exported:
    """Metrics or a summary were written."""

    path: str


@dataclass(frozen=True)
class Failed:
    """A file command failed; ``message`` is one line for the user. Nothing else changed."""

    message: str


Notice = Saved | Opened | Exported | Failed


@dataclass(frozen=True, eq=False)
class Snapshot:
    """One immutable picture of the training session, handed to the window."""

    seq: int
    step: int
    running: bool
    steps_per_sec: float
    device: str
    config: Config
    runs: tuple[RunState, ...]
    history: dict[str, np.ndarray]
    views: ViewProbes | None
    fakes: FakeProbes | None
    curves: SigmaCurves | None
    real: RealData
    error: str = ""  # a refused setting, for the status bar
    notice: Notice | None = None  # the answer to a file command
    versions: PartVersions = PartVersions()  # of views, fakes, curves and real above
    step_path: str = "eager step"  # or "compiled step", "eager step, compiling…"
    step_note: str = ""  # more on it (compile time, or why the compiler is unavailable)


# -------------------------------------------------------------- commands
@dataclass(frozen=True)
class Play:
    """Train continuously."""


@dataclass(frozen=True)
class Pause:
    """Stop after the step under way."""


@dataclass(frozen=True)
class Step:
    """Pause, then train ``count`` more steps."""

    count: int = 1


@dataclass(frozen=True)
class Speed:
    """Steps per frame; 0 trains as fast as it can."""

    steps_per_frame: int


@dataclass(frozen=True)
class ShowLayers:
    """The layers the window draws (``ViewState.layers`` names): the views leave out the
    costly parts of hidden layers (the D map, the smoothed field, the manifold)."""

    layers: frozenset[str]


@dataclass(frozen=True)
class SetActive:
    """Pause (``on`` False) or resume one run."""

    run: int
    on: bool


@dataclass(frozen=True)
class PauseEstimators:
    """Keep every run of these estimators paused, also through resets; others train."""

    estimators: frozenset[str]


@dataclass(frozen=True)
class Reset:
    """Start again from step 0 on ``config`` (None: the current one)."""

    config: Config | None = None


@dataclass(frozen=True)
class Apply:
    """Take the live settings of ``config`` at the next step (others need a reset)."""

    config: Config


@dataclass(frozen=True)
class SaveSession:
    """Write the whole session to ``path`` with the window's ``view`` state."""

    path: str
    view: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OpenSession:
    """Replace the session by the one in ``path``."""

    path: str


@dataclass(frozen=True)
class ExportMetrics:
    """Write the metric history as CSV to ``path``."""

    path: str


@dataclass(frozen=True)
class ExportSummary:
    """Write the summary JSON to ``path``."""

    path: str


@dataclass(frozen=True)
class ForceDivergence:
    """Make one run go non-finite (demonstrations and tests of divergence handling)."""

    run: int


Command = (Play | Pause | Step | Speed | SetActive | PauseEstimators | Reset | Apply
           | SaveSession | OpenSession | ExportMetrics | ExportSummary | ForceDivergence
           | ShowLayers)


@dataclass(frozen=True)
class TrainingEnded:
    """The training process has ended; ``error`` says why when it failed."""

    error: str = ""


# ------------------------------------------------------------- the slot
class LatestSlot:
    """A one-element mailbox: ``put`` overwrites, ``take`` returns the newest once.

    The producer never waits for the reader and nothing queues up: a snapshot the reader
    has not taken yet is dropped, but its one-off ``notice`` and ``error`` are carried into
    the newer one when it has none of its own, so that no message is lost.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._item: Any = None
        self.dropped = 0

    def put(self, item: Any) -> None:
        """Store ``item``, dropping any snapshot the reader has not taken yet."""
        with self._lock:
            if self._item is not None:
                self.dropped += 1
                item = _carry_messages(self._item, item)
            self._item = item

    def take(self) -> Any:
        """The newest item (or None if nothing new since the last take)."""
        with self._lock:
            item, self._item = self._item, None
            return item


def _carry_messages(dropped: Any, item: Any) -> Any:
    """``item`` with the ``notice`` and ``error`` of ``dropped`` where it has none."""
    carry = {name: getattr(dropped, name) for name in ("notice", "error")
             if getattr(dropped, name, None) and not getattr(item, name, None)}
    return replace(item, **carry) if carry else item
