"""Learned-covariance runs in the panels: 2-std ellipses on a subsample of their fakes."""

from __future__ import annotations

import numpy as np

from ganviz.gui.panels import ELLIPSE_FAKES
from tests.test_gui_curves import make_snapshot
from tests.test_seed_bands import grid  # noqa: F401  (fixture)


def test_full_covariance_runs_draw_ellipses_and_fixed_runs_none(grid):  # noqa: F811
    snap = make_snapshot(5, estimators=["reparam_fixed", "reparam_learned"], seeds=[0],
                         covariance="full")
    grid.set_runs(tuple(r.spec for r in snap.runs))
    grid.update_snapshot(snap)
    by_name = {p.spec.estimator: p for p in grid.panels}
    learned, fixed = by_name["reparam_learned"], by_name["reparam_fixed"]
    assert learned.spec.sigma_text == "Σ learned, full"
    x, _ = learned.ellipses.getData()
    assert np.isnan(x).sum() == ELLIPSE_FAKES  # one closed curve per subsampled fake
    r = learned.run
    means = snap.fakes.fake_means[r]
    inside = [np.nanmin(np.abs(x - m[0])) for m in means[:3]]
    assert max(inside) < 2 * float(np.abs(snap.fakes.fake_axes[r]).max()) + 1e-6
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
