"""What a run panel draws, as numbers: the images' levels and smoothing, the fakes' sigma
colours, the real data's marks, the caption and the hover text.

Pure numpy and the standard library (no Qt), so the display mapping is unit-tested without a
window; :mod:`ganviz.views.run_panel` hands these arrays and texts to its items. Run ``r``'s
probes are row ``r`` of the snapshot's ``ViewProbes`` / ``FakeProbes``.
"""

from __future__ import annotations

import math

import numpy as np

from ganviz.core.contract import RealData, RunSpec, ViewProbes
from ganviz.core.names import SHORT_NAMES
from ganviz.views.geometry import upsample_cells

DENSITY_DECADES = 3.0  # the density image shows this many decades below the data's peak
SIGMA_LEVELS = 32  # fakes of learned-sigma runs: brushes prepared once, indexed per frame
SMOOTH_PIXELS = 384  # the density and D(x) images are upsampled (bilinear) to at least this
MAX_SMOOTH_FACTOR = 16  # ... but by no more than this factor per axis
ARROW_FILL = 0.9  # a grid arrow's length, in grid spacings


def density_levels(real: RealData) -> tuple[float, float]:
    """log10 p(x) levels of the density image: ``DENSITY_DECADES`` up to the data's peak."""
    hi = math.log10(max(real.peak_density, 1e-12))
    return hi - DENSITY_DECADES, hi


def sigma_color_range(real: RealData) -> tuple[float, float]:
    """log10 sigma range of the fake-sample colours: two decades below to one above the
    data's mode std."""
    std = float(np.median(real.stds)) if len(real.stds) else max(real.scale, 1e-6)
    return math.log10(std) - 2.0, math.log10(std) + 1.0


def sigma_bins(sigma: np.ndarray, real: RealData) -> np.ndarray:
    """The colour of each fake of a learned sigma(z): its log10 sigma's place in
    :func:`sigma_color_range`, as an index 0..``SIGMA_LEVELS`` - 1 (clipped at both ends)."""
    lo, hi = sigma_color_range(real)
    frac = (np.log10(np.maximum(sigma, 1e-12)) - lo) / (hi - lo)
    return np.clip((frac * (SIGMA_LEVELS - 1)).round(), 0, SIGMA_LEVELS - 1).astype(int)


def crosses(points: np.ndarray, half: float) -> tuple[np.ndarray, np.ndarray]:
    """Line data (NaN-separated) of a small "+" of half-width ``half`` at every point [N, 2]."""
    px, py = points[:, 0:1], points[:, 1:2]
    nan = np.full_like(px, np.nan)
    x = np.hstack([px - half, px + half, nan, px, px, nan]).ravel()
    y = np.hstack([py, py, nan, py - half, py + half, nan]).ravel()
    return x, y


def smooth_image(a: np.ndarray) -> np.ndarray:
    """A view grid [H, W] upsampled bilinearly to at least ``SMOOTH_PIXELS`` per side, so the
    window and the exports (an SVG embeds the raster) show a smooth map, not square cells."""
    factor = min(MAX_SMOOTH_FACTOR, max(1, math.ceil(SMOOTH_PIXELS / max(min(a.shape), 1))))
    return upsample_cells(a, factor)


def arrow_length(views: ViewProbes) -> float:
    """The length of a field arrow on the grid: ``ARROW_FILL`` of the grid's spacing."""
    return ARROW_FILL * 2 * views.extent / max(int(math.sqrt(len(views.field_points))), 2)


def caption_text(spec: RunSpec, views: ViewProbes, r: int) -> tuple[str, str]:
    """The panel caption (one short line, nothing the title says already) and its tooltip."""
    mean, p10, p90 = views.sigma_stats[r]
    parts, tips = [], []
    if spec.learned_sigma:
        name = "Σ(z) eigen-σ" if views.fake_axes is not None else "σ(z)"
        parts.append(f"{name} {mean:.2g} [{p10:.2g}, {p90:.2g}]")
        what = ("both eigen-standard-deviations of Σ(z)"
                if views.fake_axes is not None else "σ(z)")
        tips.append(f"{name}: mean {mean:.3g} of {what} over the probe batch; "
                    f"10th to 90th percentile in brackets.")
    label = views.density_label[r]
    if label != "mixture":
        floor = f"{views.density_floor:.3g}"
        if label.startswith("KDE"):
            parts.append(f"p(x): KDE, h = {floor}")
        else:
            share = label.rsplit(" for ", 1)[1].split(" of ")[0] if " for " in label else "all"
            parts.append(f"p(x) floored: {share}")
        tips.append("p(x): " + label.replace("sigma", "σ") + " (h is one grid cell: a "
                    "narrower Gaussian cannot be drawn on the view grid).")
    return " · ".join(parts), "\n".join(tips)


def hover_text(spec: RunSpec, views: ViewProbes, x: float, y: float, r: int) -> str:
    """x, p(x), D(x) and the field at the grid cell nearest to (x, y), for run ``r``."""
    j = int(np.abs(views.xs - x).argmin())
    i = int(np.abs(views.ys - y).argmin())
    k = int(np.argmin(((views.field_points - (x, y)) ** 2).sum(1)))
    gx, gy = views.field[r, k]
    disc = "" if views.disc is None else f"D(x) = {views.disc[r, i, j]:.3f}   "  # None: off
    return (f"{SHORT_NAMES[spec.estimator]} (seed {spec.seed}):  "
            f"x = ({x:+.3f}, {y:+.3f})   p(x) = {views.density[r, i, j]:.3g}   "
            f"{disc}−∇f = ({gx:+.3g}, {gy:+.3g})")
