"""The real data: the mixtures (ring8, grid25, custom) with their modes, stds and samplers,
and the user's own points (file) as a fixed training set."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ganviz.core.sections import DataConfig
from ganviz.data.datafile import check_scale, load_points


@dataclass(frozen=True)
class Mixture:
    """A mixture of 2-D Gaussians: ``means`` [M, 2], ``stds`` [M], ``weights`` [M], and for
    anisotropic modes ``axes`` [M, 2, 2].

    Without ``axes`` every mode is isotropic with std ``stds[m]``. With them mode m has the
    covariance ``A A^T`` (A = ``axes[m]``): column k of A is the k-th semi-axis of the mode's
    1-std ellipse, and a sample is ``means[m] + A eps``; ``stds[m]`` is then
    ``sqrt(|det A|)``, the std of the isotropic Gaussian of the same area (the scale shown
    beside learned sigmas). Isotropic mixtures keep the isotropic arithmetic, bit for bit.
    """

    means: torch.Tensor
    stds: torch.Tensor
    weights: torch.Tensor
    axes: torch.Tensor | None = None

    @property
    def n_modes(self) -> int:
        """Number of mixture components."""
        return int(self.means.shape[0])

    @property
    def anisotropic(self) -> bool:
        """Whether the modes carry full covariances (``axes``)."""
        return self.axes is not None

    def to(self, device: torch.device | str) -> Mixture:
        """The same mixture with its tensors on ``device``."""
        axes = None if self.axes is None else self.axes.to(device)
        return Mixture(self.means.to(device), self.stds.to(device), self.weights.to(device),
                       axes)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples [n, 2] on the mixture's device, drawn with ``generator``."""
        idx = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        noise = torch.randn(n, 2, generator=generator, device=self.means.device,
                            dtype=self.means.dtype)
        if self.axes is None:
            return self.means[idx] + self.stds[idx, None] * noise
        return self.place(idx, noise)

    def place(self, idx: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Samples of anisotropic modes ``idx`` [...] from standard normal ``noise``
        [..., 2]: the mean plus the axes times the noise, element by element (the same
        numbers whatever the leading shape)."""
        assert self.axes is not None
        a = self.axes[idx]
        return self.means[idx] + a[..., 0] * noise[..., 0:1] + a[..., 1] * noise[..., 1:2]

    def density(self, x: torch.Tensor) -> torch.Tensor:
        """Probability density at points ``x`` [..., 2]."""
        if self.axes is not None:
            det = _det(self.axes).abs()
            comp = torch.exp(-0.5 * self.mahalanobis(x) ** 2) / (2 * math.pi * det)
            return (comp * self.weights).sum(-1)
        d2 = ((x[..., None, :] - self.means) ** 2).sum(-1)
        var = self.stds**2
        comp = torch.exp(-0.5 * d2 / var) / (2 * math.pi * var)
        return (comp * self.weights).sum(-1)

    def mahalanobis(self, x: torch.Tensor) -> torch.Tensor:
        """Distance [..., M] of points ``x`` [..., 2] to every mode, in that mode's stds:
        ``|A^-1 (x - mean)|`` (``|x - mean| / std`` for isotropic modes)."""
        diff = x[..., None, :] - self.means.to(x.dtype)
        if self.axes is None:
            return diff.norm(dim=-1) / self.stds.to(x.dtype)
        inv = self._inverse_axes().to(x.dtype)
        white = inv[..., 0] * diff[..., 0:1] + inv[..., 1] * diff[..., 1:2]
        return white.norm(dim=-1)

    def _inverse_axes(self) -> torch.Tensor:
        """``A^-1`` of every mode [M, 2, 2] (closed form, computed in float64)."""
        assert self.axes is not None
        a = self.axes.double()
        adj = torch.stack([torch.stack([a[:, 1, 1], -a[:, 0, 1]], -1),
                           torch.stack([-a[:, 1, 0], a[:, 0, 0]], -1)], -2)
        return adj / _det(a)[:, None, None]

    def extent(self) -> float:
        """Half-width of a square view that shows every mode with a margin."""
        if self.axes is not None:  # 4 stds along each coordinate: sqrt of Sigma's diagonal
            coord_stds = self.axes.norm(dim=-1)  # [M, 2]
            reach = (self.means.abs() + 4 * coord_stds).amax().item()
            return float(round(1.25 * reach, 2))
        reach = (self.means.abs().amax(dim=1) + 4 * self.stds).max().item()
        return float(round(1.25 * reach, 2))


def _det(a: torch.Tensor) -> torch.Tensor:
    """Determinants [M] of 2 x 2 matrices [M, 2, 2]."""
    return a[:, 0, 0] * a[:, 1, 1] - a[:, 0, 1] * a[:, 1, 0]


def ring_axes(std: float, tangent_std: float, n: int = 8) -> list[list[list[float]]]:
    """The axes [n, 2, 2] of ``n`` modes evenly on a ring (mode i at angle 2 pi i / n): std
    ``std`` across the ring (radial, first column) and ``tangent_std`` along it (second)."""
    out = []
    for i in range(n):
        a = 2 * math.pi * i / n
        c, s = math.cos(a), math.sin(a)
        out.append([[std * c, -tangent_std * s], [std * s, tangent_std * c]])
    return out


def build_mixture(cfg: DataConfig, dtype: torch.dtype = torch.float32) -> Mixture:
    """The mixture a data config describes (on the CPU)."""
    if cfg.name == "ring8":
        angles = [2 * math.pi * i / 8 for i in range(8)]
        means = [[cfg.radius * math.cos(a), cfg.radius * math.sin(a)] for a in angles]
        stds = [cfg.std] * 8
        weights = [1.0] * 8
        if cfg.tangent_std > 0:
            return _anisotropic(means, ring_axes(cfg.std, cfg.tangent_std), weights,
                                cfg.scale, dtype)
    elif cfg.name == "grid25":
        ticks = [cfg.spacing * k for k in (-2, -1, 0, 1, 2)]
        means = [[x, y] for x in ticks for y in ticks]
        stds = [cfg.std] * 25
        weights = [1.0] * 25
    elif cfg.name == "file":
        means = [list(m) for m in cfg.centres]
        stds = [cfg.std] * len(means)
        weights = [1.0] * len(means)
    elif cfg.name == "custom":
        means = [list(m) for m in cfg.means]
        stds = list(cfg.stds) if len(cfg.stds) == len(means) else [
            cfg.stds[0] if cfg.stds else cfg.std] * len(means)
        weights = list(cfg.weights) if cfg.weights else [1.0] * len(means)
    else:  # validated in config
        raise ValueError(f"data.name: unknown dataset {cfg.name!r}")
    w = torch.tensor(weights, dtype=dtype)
    return Mixture(
        means=torch.tensor(means, dtype=dtype).reshape(-1, 2) * cfg.scale,
        stds=torch.tensor(stds, dtype=dtype) * cfg.scale,
        weights=w / w.sum(),
    )


def _anisotropic(means: list[list[float]], axes: list[list[list[float]]], weights: list[float],
                 scale: float, dtype: torch.dtype) -> Mixture:
    """A mixture of anisotropic modes (``stds`` the same-area isotropic std of each)."""
    a = torch.tensor(axes, dtype=torch.float64) * scale
    stds = _det(a).abs().sqrt()
    w = torch.tensor(weights, dtype=dtype)
    return Mixture(means=torch.tensor(means, dtype=dtype).reshape(-1, 2) * scale,
                   stds=stds.to(dtype), weights=w / w.sum(), axes=a.to(dtype))


def file_points(cfg: DataConfig) -> torch.Tensor:
    """The points [N, 2] of ``cfg.file`` (columns ``cfg.columns``) times ``cfg.scale``, on
    the CPU; a bad file raises :class:`~ganviz.data.datafile.DataFileError`."""
    loaded = load_points(cfg.file, cfg.columns)
    check_scale(loaded.path, loaded.points, cfg.scale)
    return torch.from_numpy(loaded.points).to(torch.float32) * cfg.scale


def data_extent(points: torch.Tensor, mixture: Mixture) -> float:
    """Half-width of a square view around the origin that shows the points (all but the
    farthest 0.1 %) and every mode centre, with a margin."""
    reach = float(torch.quantile(points.abs().amax(dim=1).double(), 0.999)) if \
        points.shape[0] <= 1 << 24 else float(points.abs().max())
    if mixture.n_modes:
        reach = max(reach, mixture.extent() / 1.25)
    return float(round(1.2 * reach, 2)) if reach > 0 else 1.0


class DataSource:
    """Real minibatches: fresh mixture samples, or draws from a fixed training set (a sample
    of the mixture, or the points of a data file).

    ``mixture`` holds the known modes: the dataset's, or for file data the given centres
    (``has_modes`` False without them: the mode metrics are off).
    """

    def __init__(self, cfg: DataConfig, device: torch.device) -> None:
        self.mixture = build_mixture(cfg).to(device)
        self.device = device
        self.from_file = cfg.name == "file"
        self.train_set: torch.Tensor | None = None
        if self.from_file:
            points = file_points(cfg)
            self._extent = data_extent(points, self.mixture)
            if 0 < cfg.train_size < points.shape[0]:
                gen = torch.Generator(device="cpu").manual_seed(cfg.seed)
                points = points[torch.randperm(points.shape[0], generator=gen)[:cfg.train_size]]
            self.train_set = points.to(device)
        elif cfg.train_size > 0:
            gen = torch.Generator(device="cpu").manual_seed(cfg.seed)
            self.train_set = build_mixture(cfg).sample(cfg.train_size, gen).to(device)
        self.seed = cfg.seed

    @property
    def has_modes(self) -> bool:
        """Whether the data has known modes (every mixture; file data with centres)."""
        return self.mixture.n_modes > 0

    def extent(self) -> float:
        """Half-width of the square view."""
        return self._extent if self.from_file else self.mixture.extent()

    def reference(self, n: int) -> torch.Tensor:
        """The evaluation's data sample, fixed by the data seed: ``n`` mixture samples, or
        ``min(n, N)`` points of a data file drawn without replacement."""
        if not self.from_file:
            return self.mixture.sample(n, torch.Generator(device=self.device).manual_seed(
                self.seed))
        assert self.train_set is not None
        gen = torch.Generator(device="cpu").manual_seed(self.seed)
        pick = torch.randperm(self.train_set.shape[0], generator=gen)[:n]
        return self.train_set[pick.to(self.device)]

    def batch(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """One minibatch [n, 2] drawn with ``generator`` (which lives on the data's device)."""
        if self.train_set is None:
            return self.mixture.sample(n, generator)
        idx = torch.randint(self.train_set.shape[0], (n,), generator=generator,
                            device=self.device)
        return self.train_set[idx]

    def batches(self, n: int, generators: Sequence[torch.Generator | None]) -> torch.Tensor:
        """Minibatches [R, n, 2], run r's drawn with ``generators[r]`` (None: a paused run,
        zeros): the same numbers as :meth:`batch` for each run. Only the draws are made
        run by run (each run's generator, in the order :meth:`batch` uses it); the lookups
        and the arithmetic are done for all runs at once."""
        runs = len(generators)
        idx = torch.zeros(runs, n, dtype=torch.long, device=self.device)
        if self.train_set is not None:
            for r, gen in enumerate(generators):
                if gen is not None:
                    torch.randint(self.train_set.shape[0], (n,), generator=gen, out=idx[r])
            out = self.train_set[idx]
        else:
            m = self.mixture
            noise = torch.zeros(runs, n, 2, device=self.device, dtype=m.means.dtype)
            for r, gen in enumerate(generators):
                if gen is not None:
                    torch.multinomial(m.weights, n, replacement=True, generator=gen, out=idx[r])
                    noise[r].normal_(generator=gen)
            out = m.means[idx] + m.stds[idx, None] * noise if m.axes is None else \
                m.place(idx, noise)
        paused = [r for r, gen in enumerate(generators) if gen is None]
        if paused:
            out[paused] = 0.0
        return out
