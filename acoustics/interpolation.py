"""Interpolation over direction on the sphere, shared by the measured directivity and HRTF models.

The measured directions are triangulated by their convex hull (a spherical Delaunay triangulation
when they cover the sphere). A query direction is interpolated from the three corners of the
triangle its ray passes through, with barycentric weights that are non-negative and sum to one:
the weights of vector-base amplitude panning (Pulkki, JAES 45(6), 1997, Eq. (8)), normalised to a
sum of one so that a value constant over direction is reproduced exactly. Directions outside the
measured region (for example below the lowest measured elevation) fall on a hull face that spans
the gap and are interpolated across it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray
from scipy.spatial import ConvexHull, QhullError

from acoustics._validate import as_directions

__all__ = ["SphericalTriangulation"]

# Queries are processed in chunks so that the (n_query, n_triangles, 3) work array stays small.
_CHUNK_ELEMENTS = 4_000_000


class SphericalTriangulation:
    """Barycentric interpolation weights over a set of measured directions.

    Parameters
    ----------
    directions : (n, 3) array_like
        Measured directions (normalised to unit vectors internally). At least four, not all in one
        plane through the origin.

    Examples
    --------
    >>> from acoustics.geometry import sph_to_cart
    >>> tri = SphericalTriangulation(sph_to_cart([0, 90, 180, 270, 0, 0], [0, 0, 0, 0, 90, -90]))
    >>> idx, w = tri.weights([[1.0, 0.0, 0.0]])
    >>> float(w[0, idx[0] == 0][0])
    1.0
    """

    def __init__(self, directions: npt.ArrayLike) -> None:
        dirs = as_directions(directions, "directions")
        if dirs.shape[0] < 4:
            raise ValueError(f"directions must hold at least 4 directions, got {dirs.shape[0]}")
        try:
            hull = ConvexHull(dirs)
        except QhullError as exc:
            raise ValueError(
                "directions must span the sphere (not all in one plane through the origin)"
            ) from exc
        if hull.volume < 1e-9:
            raise ValueError("directions must span the sphere (their convex hull has no volume)")
        self._directions = dirs
        self._triangles = hull.simplices
        # Inverse of each triangle's corner matrix: weights = inv @ query.
        corners = dirs[self._triangles]  # (n_tri, 3 corners, 3 xyz)
        self._inverse = np.linalg.inv(np.transpose(corners, (0, 2, 1)))

    @property
    def directions(self) -> NDArray[np.float64]:
        """The measured unit directions, ``(n, 3)``."""
        return self._directions

    def weights(self, query: npt.ArrayLike) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Return the three measured directions around each query and their weights.

        Parameters
        ----------
        query : (m, 3) array_like
            Query directions (any non-zero length).

        Returns
        -------
        indices : (m, 3) ndarray of int
            Indices into :attr:`directions`.
        weights : (m, 3) ndarray
            Non-negative barycentric weights summing to one.
        """
        q = as_directions(query, "query")
        n_tri = self._inverse.shape[0]
        chunk = max(1, _CHUNK_ELEMENTS // (3 * n_tri))
        indices = np.empty((q.shape[0], 3), dtype=np.intp)
        weights = np.empty((q.shape[0], 3))
        for start in range(0, q.shape[0], chunk):
            block = q[start : start + chunk]
            g = np.einsum("tij,qj->qti", self._inverse, block)  # (m, n_tri, 3)
            # The ray passes through the triangle whose weights are all non-negative; with
            # rounding, take the triangle whose smallest weight is largest.
            best = np.argmax(g.min(axis=2), axis=1)
            gb = np.clip(g[np.arange(block.shape[0]), best], 0.0, None)
            indices[start : start + chunk] = self._triangles[best]
            weights[start : start + chunk] = gb / gb.sum(axis=1, keepdims=True)
        return indices, weights
