"""Barycentric interpolation over directions on the sphere."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from acoustics.geometry import sph_to_cart
from acoustics.heads.interpolation import SphericalTriangulation


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_weights_put_the_query_on_the_triangle():
    rng = np.random.default_rng(5)
    grid = rng.normal(size=(500, 3))
    tri = SphericalTriangulation(grid)
    q = _unit(rng.normal(size=(2000, 3)))
    idx, w = tri.weights(q)
    assert np.all(w >= 0) and _sums_to_one(w)
    # The weighted corners lie on the ray of the query: their sum is parallel to it.
    point = np.einsum("qi,qij->qj", w, tri.directions[idx])
    assert_allclose(_unit(point), q, atol=1e-12)


def _sums_to_one(w):
    assert_allclose(w.sum(axis=1), 1.0, rtol=1e-14)
    return True


def test_fast_candidate_search_equals_exhaustive_search():
    # Partial coverage like a measured HRTF set (nothing below -40 deg): queries below it fall on
    # the large hull facet and must still be found.
    az, el = np.meshgrid(np.arange(0, 360, 10.0), np.arange(-40, 81, 10.0))
    grid = np.vstack([sph_to_cart(az.ravel(), el.ravel()), [[0, 0, 1.0]]])
    tri = SphericalTriangulation(grid)
    rng = np.random.default_rng(6)
    q = _unit(rng.normal(size=(3000, 3)))
    idx, w = tri.weights(q)
    triangle, bary = tri._search_all(q)
    bary = np.clip(bary, 0, None)
    bary /= bary.sum(axis=1, keepdims=True)
    assert_allclose(np.sort(tri._triangles[triangle], axis=1), np.sort(idx, axis=1))
    assert_allclose(np.sort(bary, axis=1), np.sort(w, axis=1), atol=1e-12)


def test_measured_direction_gets_all_the_weight():
    grid = sph_to_cart([0, 90, 180, 270, 0, 0, 45], [0, 0, 0, 0, 90, -90, 30])
    idx, w = SphericalTriangulation(grid).weights(grid)
    for row in range(grid.shape[0]):
        assert_allclose(w[row][idx[row] == row], 1.0, atol=1e-12)


def test_bad_directions():
    with pytest.raises(ValueError, match="directions"):
        SphericalTriangulation([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match="directions"):
        SphericalTriangulation(sph_to_cart(np.arange(0, 360, 30.0), 0.0))  # one plane
    with pytest.raises(ValueError, match="directions must surround"):
        SphericalTriangulation(sph_to_cart([0, 90, 180, 270, 0], [0, 0, 0, 0, 90]))  # hemisphere
    octahedron = sph_to_cart([0, 90, 180, 270, 0, 0], [0, 0, 0, 0, 90, -90])
    with pytest.raises(ValueError, match="query"):
        SphericalTriangulation(octahedron).weights([[np.nan, 0, 0]])
