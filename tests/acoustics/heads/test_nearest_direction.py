"""The cell lookup of the nearest measured direction against a k-d tree."""

import numpy as np
import pytest
from scipy.spatial import cKDTree

from acoustics.geometry import sph_to_cart
from acoustics.heads.nearest_direction import NearestDirections


@pytest.fixture(scope="module")
def kemar_directions():
    from acoustics.heads.sofa import kemar_path, read_hrir

    return read_hrir(kemar_path()).directions


def _tree_nearest(directions, vectors):
    unit = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    return cKDTree(unit).query(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))[1]


def test_equals_the_tree_on_random_and_awkward_directions(kemar_directions):
    rng = np.random.default_rng(3)
    random = rng.standard_normal((1_000_000, 3)) * rng.uniform(0.1, 10.0, (1_000_000, 1))
    # Cell edges, the poles, the azimuth seam and the measured directions themselves.
    az, el = np.meshgrid(np.arange(-180.0, 360.0, 0.5), np.arange(-90.0, 90.01, 0.5))
    awkward = np.vstack([sph_to_cart(az.ravel(), el.ravel()), kemar_directions])
    nearest = NearestDirections(kemar_directions)
    for vectors in (random, awkward):
        ours, theirs = nearest(vectors), _tree_nearest(kemar_directions, vectors)
        differ = ours != theirs
        if np.any(differ):  # only where two directions are equally near (ties)
            d = kemar_directions / np.linalg.norm(kemar_directions, axis=1, keepdims=True)
            v = vectors[differ] / np.linalg.norm(vectors[differ], axis=1, keepdims=True)
            gap = np.sum(v * d[ours[differ]], axis=1) - np.sum(v * d[theirs[differ]], axis=1)
            assert np.all(np.abs(gap) < 1e-12), np.abs(gap).max()


def test_a_sparse_set_and_bad_vectors():
    # Six directions: every query goes to the axis it is nearest.
    axes = np.vstack([np.eye(3), -np.eye(3)])
    rng = np.random.default_rng(4)
    vectors = rng.standard_normal((10_000, 3))
    expected = np.where(vectors[np.arange(10_000), np.abs(vectors).argmax(1)] > 0, 0, 3) + np.abs(
        vectors
    ).argmax(1)
    assert np.array_equal(NearestDirections(axes)(vectors), expected)
    with pytest.raises(ValueError, match="vectors must be finite and non-zero"):
        NearestDirections(axes)([[0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"vectors must have shape \(n, 3\)"):
        NearestDirections(axes)([1.0, 0.0, 0.0])
