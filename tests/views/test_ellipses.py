"""Learned-covariance runs in the panels: 2-std ellipses on a subsample of their fakes."""

from __future__ import annotations

import numpy as np

from ganviz.views.geometry import spread_indices
from ganviz.views.run_panel import ELLIPSE_FAKES
from tests.views.test_curves import make_snapshot
from tests.views.test_seed_bands import grid  # noqa: F401  (fixture)


def test_full_covariance_runs_draw_ellipses_and_fixed_runs_none(grid):  # noqa: F811
    snap = make_snapshot(5, estimators=["reparam_fixed", "reparam_learned"], seeds=[0],
                         covariance="full")
    grid.set_runs(tuple(r.spec for r in snap.runs))
    grid.update_snapshot(snap)
    by_name = {p.spec.estimator: p for p in grid.panels}
    learned, fixed = by_name["reparam_learned"], by_name["reparam_fixed"]
    assert learned.spec.sigma_text == "Σ learned, full"
    x, y = learned.ellipses.getData()
    assert np.isnan(x).sum() == ELLIPSE_FAKES  # one closed curve per subsampled fake
    r = learned.run
    means, axes = snap.fakes.fake_means[r], snap.fakes.fake_axes[r]
    pick = spread_indices(len(means), ELLIPSE_FAKES)
    assert len(set(pick.tolist())) == ELLIPSE_FAKES and pick[-1] == len(means) - 1
    curves = np.stack([x, y], -1).reshape(ELLIPSE_FAKES, -1, 2)[:, :-1]  # drop the NaN breaks
    for k in (0, ELLIPSE_FAKES // 2, ELLIPSE_FAKES - 1):
        # each point is mean + 2 A u with |u| = 1: A^-1 (p - mean) / 2 lies on the unit circle
        i = pick[k]
        u = np.linalg.solve(2 * axes[i].astype(np.float64), (curves[k] - means[i]).T)
        np.testing.assert_allclose(np.hypot(*u), 1.0, rtol=1e-4)
    fx, _ = fixed.ellipses.getData()
    assert fx is None or len(fx) == 0
    assert "eigen-σ" in learned.note.textItem.toPlainText()
    grid.state.set_layer("fakes", False)
    assert not learned.ellipses.isVisible()


def test_isotropic_runs_draw_no_ellipses(grid):  # noqa: F811
    snap = make_snapshot(2, estimators=["reparam_learned"], seeds=[0])
    grid.set_runs(tuple(r.spec for r in snap.runs))
    grid.update_snapshot(snap)
    x, _ = grid.panels[0].ellipses.getData()
    assert x is None or len(x) == 0
    assert "σ(z)" in grid.panels[0].note.textItem.toPlainText()
