import numpy as np

from ganviz.views.geometry import arrow_segments, circles, polylines


def test_arrows_point_along_vectors_with_heads():
    pts = np.array([[0.0, 0.0], [1.0, 1.0]])
    vec = np.array([[2.0, 0.0], [0.0, -1.0]])
    x, y = arrow_segments(pts, vec, length=0.5, quantile=1.0)
    assert x.shape == y.shape == (12,)
    # shaft of the first arrow: (0,0) -> (0.5, 0)
    assert np.allclose([x[0], y[0], x[1], y[1]], [0, 0, 0.5, 0])
    # second arrow is half as long, pointing down
    assert np.allclose([x[6], y[6], x[7], y[7]], [1, 1, 1, 0.75])
    # heads start at the tips and go backwards
    assert x[3] < x[2] and x[5] < x[4]


def test_zero_field_draws_nothing():
    x, y = arrow_segments(np.zeros((3, 2)), np.zeros((3, 2)), 1.0)
    assert x.size == y.size == 0


def test_circles_and_polylines_have_breaks():
    x, y = circles(np.array([[0.0, 0.0], [3.0, 0.0]]), np.array([1.0, 0.5]), n=10)
    assert x.shape == (22,) and np.isnan(x[10]) and np.isnan(x[21])
    assert np.allclose(np.hypot(x[:10], y[:10]), 1.0)
    lines = np.arange(2 * 3 * 4 * 2, dtype=float).reshape(2, 3, 4, 2)
    px, _py = polylines(lines)
    assert px.shape == (6 * 5,) and np.isnan(px[4])
