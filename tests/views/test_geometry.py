import numpy as np
import pytest

from ganviz.views.geometry import arrow_segments, circles, polylines, upsample_cells


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


def test_upsampling_keeps_values_peaks_and_linear_ramps():
    xs = np.arange(8, dtype=np.float32)
    ramp = xs[None, :] * 2 + 3 * xs[:, None]  # a[i, j] = 2 j + 3 i
    up = upsample_cells(ramp, 4)
    assert up.shape == (32, 32) and up.dtype == np.float32
    fine = (np.arange(32) + 0.5) / 4 - 0.5  # fine centres in coarse units
    inner = slice(2, 30)  # between the outermost coarse centres: exact for a linear ramp
    expect = 2 * fine[None, inner] + 3 * fine[inner, None]
    np.testing.assert_allclose(up[inner, inner], expect, atol=1e-5)
    peak = np.zeros((9, 7), np.float32)
    peak[6, 2] = 1.0
    up = upsample_cells(peak, 3)
    assert np.unravel_index(up.argmax(), up.shape) == (6 * 3 + 1, 2 * 3 + 1)
    assert up.max() == pytest.approx(1.0)
    np.testing.assert_array_equal(upsample_cells(peak, 1), peak)
