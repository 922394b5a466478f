"""Drawing geometry for the views (numpy only): arrows, contour circles and ellipses,
polylines.

The GUI draws these arrays as they are; it never computes them itself.
"""

from __future__ import annotations

import numpy as np

HEAD_ANGLE = np.deg2rad(28.0)
HEAD_FRACTION = 0.35


def arrow_segments(points: np.ndarray, vectors: np.ndarray, length: float,
                   quantile: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Line segments (for ``connect='pairs'``) of arrows at ``points`` [N, 2] along ``vectors``.

    Arrows are scaled together so that the ``quantile`` magnitude is drawn ``length`` long
    (longer ones are clipped to 1.5x that); each arrow is a shaft and two head strokes.
    Returns x and y arrays of length 6 N.
    """
    points = np.asarray(points, dtype=np.float64)
    vectors = np.nan_to_num(np.asarray(vectors, dtype=np.float64))
    mag = np.linalg.norm(vectors, axis=1)
    ref = np.quantile(mag, quantile) if mag.size else 0.0
    if ref <= 0:
        return np.zeros(0), np.zeros(0)
    scale = np.minimum(mag / ref, 1.5) * length
    unit = vectors / np.maximum(mag, 1e-30)[:, None]
    tips = points + unit * scale[:, None]
    head = (HEAD_FRACTION * scale)[:, None]
    c, s = np.cos(HEAD_ANGLE), np.sin(HEAD_ANGLE)
    back = -unit
    left = np.stack([c * back[:, 0] - s * back[:, 1], s * back[:, 0] + c * back[:, 1]], 1)
    right = np.stack([c * back[:, 0] + s * back[:, 1], -s * back[:, 0] + c * back[:, 1]], 1)
    segs = np.stack([points, tips, tips, tips + head * left, tips, tips + head * right], 1)
    segs = segs.reshape(-1, 2)
    return segs[:, 0].copy(), segs[:, 1].copy()


def circles(centres: np.ndarray, radii: np.ndarray, n: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Closed circles as one polyline with NaN breaks (for ``connect='finite'``)."""
    t = np.linspace(0, 2 * np.pi, n)
    xs = centres[:, 0:1] + radii[:, None] * np.cos(t)
    ys = centres[:, 1:2] + radii[:, None] * np.sin(t)
    pad = np.full((len(centres), 1), np.nan)
    return np.hstack([xs, pad]).ravel(), np.hstack([ys, pad]).ravel()


def ellipses(centres: np.ndarray, axes: np.ndarray, n: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Closed ellipses ``centre + A (cos t, sin t)`` (A = ``axes[m]`` [2, 2], its columns
    the semi-axes) as one polyline with NaN breaks (for ``connect='finite'``)."""
    t = np.linspace(0, 2 * np.pi, n)
    unit = np.stack([np.cos(t), np.sin(t)])  # [2, n]
    pts = centres[:, :, None] + np.asarray(axes, dtype=np.float64) @ unit  # [M, 2, n]
    pad = np.full((len(centres), 1), np.nan)
    return np.hstack([pts[:, 0], pad]).ravel(), np.hstack([pts[:, 1], pad]).ravel()


def polylines(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polylines [..., K, 2] as one x, y pair with NaN breaks between lines."""
    flat = lines.reshape(-1, lines.shape[-2], 2)
    pad = np.full((flat.shape[0], 1, 2), np.nan)
    joined = np.concatenate([flat, pad], axis=1).reshape(-1, 2)
    return joined[:, 0].copy(), joined[:, 1].copy()


def spread_indices(total: int, count: int) -> np.ndarray:
    """``count`` indices spread evenly over ``range(total)`` (all of them if fewer)."""
    if total <= count:
        return np.arange(total)
    return np.linspace(0, total - 1, count).round().astype(int)


def _bilinear_axis(n: int, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """For ``factor * n`` fine cells over the span of ``n`` coarse cells: the coarse index
    left of each fine centre and the weight of its right neighbour (held beyond the outer
    centres)."""
    u = (np.arange(n * factor) + 0.5) / factor - 0.5  # fine centres in coarse-index units
    left = np.clip(np.floor(u), 0, max(n - 2, 0)).astype(np.intp)
    weight = np.clip(u - left, 0.0, 1.0).astype(np.float32)
    return left, weight


def upsample_cells(a: np.ndarray, factor: int) -> np.ndarray:
    """Bilinear upsampling of cell-centred values [H, W] to [factor H, factor W] finer cells
    over the same square (a fresh float32 array).

    Each fine cell takes the bilinear interpolation of the four coarse cell centres around
    its own centre, so a peak stays where it was and a smooth field is drawn smoothly, not
    as blocks; beyond the outermost centres the edge values are held.
    """
    a = np.asarray(a, dtype=np.float32)
    if factor <= 1:
        return a.copy()
    h, w = a.shape
    if h < 2 or w < 2:
        return np.repeat(np.repeat(a, factor, axis=0), factor, axis=1)
    rows, t = _bilinear_axis(h, factor)
    cols, s = _bilinear_axis(w, factor)
    tall = a[rows] * (1 - t)[:, None] + a[rows + 1] * t[:, None]  # [fH, W]
    return tall[:, cols] * (1 - s) + tall[:, cols + 1] * s
