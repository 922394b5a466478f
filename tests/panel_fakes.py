"""Fake snapshots for the run-panel tests, built in numpy (no training process)."""

from __future__ import annotations

import numpy as np

from ganviz.core.contract import (
    FakeProbes,
    RealData,
    RunSpec,
    RunState,
    Snapshot,
    ViewProbes,
)
from tests.conftest import small_config

SPECS = (
    RunSpec(0, "plugin", 0, 0.0, False),
    RunSpec(1, "reparam_fixed", 0, 0.05, False),
    RunSpec(2, "reparam_learned", 0, 0.05, True),
    RunSpec(3, "score", 0, 0.05, False),
)


def centres(extent: float, n: int) -> np.ndarray:
    """Cell centres of n equal cells over [-extent, extent] (as the probes make them)."""
    cell = 2 * extent / n
    return (-extent + (np.arange(n) + 0.5) * cell).astype(np.float32)


def fake_snapshot(extent: float = 3.0, grid: int = 24, peak: tuple[float, float] = (1.5, -0.75),
                  specs: tuple[RunSpec, ...] = SPECS, density: np.ndarray | None = None,
                  disc: np.ndarray | None = None, labels: tuple[str, ...] | None = None,
                  seq: int = 1) -> Snapshot:
    """A snapshot whose density has one narrow peak at ``peak`` (or is ``density`` [R, H, W]),
    D(x) a logistic ramp in x - 2 y (or ``disc``), arrows and fakes arbitrary."""
    r = len(specs)
    xs = centres(extent, grid)
    ys = xs.copy()
    yy, xx = np.meshgrid(ys, xs, indexing="ij")  # [i, j] at (xs[j], ys[i])
    if density is None:
        width = 2.5 * (2 * extent / grid)
        one = np.exp(-((xx - peak[0]) ** 2 + (yy - peak[1]) ** 2) / (2 * width ** 2))
        density = np.repeat((one / (2 * np.pi * width ** 2))[None], r, 0)
    if disc is None:
        disc = np.repeat((1 / (1 + np.exp(-(xx - 2 * yy))))[None], r, 0)
    f = 5
    fx = centres(extent, f)
    fy, fxx = np.meshgrid(fx, fx, indexing="ij")
    field_points = np.stack([fxx.ravel(), fy.ravel()], 1).astype(np.float32)
    field = np.repeat(-field_points[None], r, 0)
    rng = np.random.default_rng(0)
    fakes = rng.normal(size=(r, 32, 2)).astype(np.float32)
    sigma = np.abs(rng.normal(0.05, 0.02, size=(r, 32))).astype(np.float32)
    views = ViewProbes(
        step=10, extent=extent, xs=xs, ys=ys, cell=2 * extent / grid,
        density=density.astype(np.float32), density_floor=2 * extent / grid,
        density_label=labels or ("mixture",) * r, disc=disc.astype(np.float32),
        field_points=field_points, field=field.astype(np.float32),
        smooth_field=(0.5 * field).astype(np.float32),
        smooth_sigma=np.full(r, 0.05, np.float32), fakes=fakes, fake_means=fakes,
        fake_sigma=sigma, fake_field=-fakes, manifold=None,
        sigma_stats=np.tile(np.array([0.05, 0.03, 0.08], np.float32), (r, 1)))
    real = RealData(modes=np.array([[2.0, 0.0], [-2.0, 0.0]]), stds=np.array([0.1, 0.1]),
                    weights=np.array([0.5, 0.5]), peak_density=float(density.max()))
    return Snapshot(
        seq=seq, step=10, running=False, steps_per_sec=0.0, device="cpu",
        config=small_config(), runs=tuple(RunState(s, True, False, 10) for s in specs),
        history={}, views=views, fakes=FakeProbes(step=10, fakes=fakes, fake_sigma=sigma),
        curves=None, real=real)


def settle() -> None:
    """Let the layout and the paint events run."""
    from PySide6.QtWidgets import QApplication

    for _ in range(3):
        QApplication.processEvents()


def new_grid(qtbot):
    """A PanelGrid shown at 1366 x 500 (the fixture of the panel tests)."""
    from ganviz.views import theme
    from ganviz.views.panel_grid import PanelGrid
    from ganviz.views.viewstate import ViewState

    theme.configure_pyqtgraph()
    w = PanelGrid(ViewState.default())
    qtbot.addWidget(w)
    w.resize(1366, 500)
    w.show()
    return w


def show(grid, snap) -> None:
    """Give ``grid`` the snapshot's runs, draw it and let it settle."""
    grid.set_runs([r.spec for r in snap.runs])
    grid.update_snapshot(snap)
    settle()

