"""Tests for ganviz.engine.probe_draws: the probes' default draws, kept or drawn afresh."""

from __future__ import annotations

import numpy as np

from ganviz.engine.equation1 import compute_sigma_curves
from ganviz.engine.probe_draws import SALT_CURVES, SALT_VIEWS, default_generator
from ganviz.engine.probes import compute_views
from tests.engine.probe_trainers import make_trainer, probe_arrays


def test_kept_default_draws_equal_fresh_default_draws() -> None:
    t = make_trainer(steps=2)
    kept = compute_views(t)  # the default generator's draws, drawn once and kept
    again = compute_views(t)
    fresh = compute_views(t, default_generator(t, SALT_VIEWS))
    for name, a in probe_arrays(kept).items():
        np.testing.assert_array_equal(a, probe_arrays(again)[name], err_msg=name)
        np.testing.assert_array_equal(a, probe_arrays(fresh)[name], err_msg=name)
    c_kept = compute_sigma_curves(t)
    c_fresh = compute_sigma_curves(t, default_generator(t, SALT_CURVES))
    for name, a in probe_arrays(c_kept).items():
        np.testing.assert_array_equal(a, probe_arrays(c_fresh)[name], err_msg=name)
    other = make_trainer(steps=2, runs={"estimators": ["plugin", "score"]})
    assert compute_views(other).fakes.shape[0] == 2  # another run count: other draws

