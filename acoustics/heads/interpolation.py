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
from scipy.spatial import ConvexHull, QhullError, cKDTree

from acoustics.validation import as_directions

__all__ = ["SphericalTriangulation", "check_spans_horizontal_plane", "HORIZONTAL_PLANE_TOL_DEG"]

#: How close to the horizontal plane (degrees of elevation), from above and from below, measured
#: directions must come in every azimuth quadrant for a set to span the plane
#: (:func:`check_spans_horizontal_plane`).
HORIZONTAL_PLANE_TOL_DEG: float = 10.0

# Queries are processed in chunks so that the (n_query, n_candidates, 3) work array stays small.
_CHUNK_ELEMENTS = 4_000_000
# Candidate triangles of a query: those touching its few nearest measured directions.
_NEAREST = 6
# Barycentric weights below this count as outside a triangle (rounding of the inverse matrices).
_INSIDE_TOL = -1e-9


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
        # A hull face through the centre (directions covering only a hemisphere, say) cannot
        # interpolate a ray: its corner matrix is singular.
        if np.min(np.abs(np.linalg.det(corners))) < 1e-9:
            raise ValueError(
                "directions must surround the origin: their convex hull has a face through the "
                "centre (they cover no more than a hemisphere)"
            )
        self._inverse = np.linalg.inv(np.transpose(corners, (0, 2, 1)))
        # Triangles around each measured direction, padded with -1, for the candidate search.
        n_dirs = dirs.shape[0]
        counts = np.bincount(self._triangles.ravel(), minlength=n_dirs)
        incident = np.full((n_dirs, counts.max()), -1, dtype=np.intp)
        order = np.argsort(self._triangles.ravel(), kind="stable")
        vertex = self._triangles.ravel()[order]
        slot = np.arange(vertex.size) - np.repeat(np.cumsum(counts) - counts, counts)
        incident[vertex, slot] = order // 3
        self._incident = incident
        self._tree = cKDTree(dirs)

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
        # Fast path: the containing triangle almost always touches one of the query's nearest
        # measured directions; check those candidates only, and search every triangle for the
        # few queries where none contains the query.
        k = min(_NEAREST, self._directions.shape[0])
        _, near = self._tree.query(q, k=k)
        candidates = self._incident[near.reshape(q.shape[0], k)].reshape(q.shape[0], -1)
        valid = candidates >= 0
        safe = np.where(valid, candidates, 0)
        g = np.einsum("qcij,qj->qci", self._inverse[safe], q)
        score = np.where(valid, g.min(axis=2), -np.inf)
        best = np.argmax(score, axis=1)
        rows = np.arange(q.shape[0])
        triangle = safe[rows, best]
        bary = g[rows, best]
        missed = np.nonzero(score[rows, best] < _INSIDE_TOL)[0]
        if missed.size:
            triangle[missed], bary[missed] = self._search_all(q[missed])
        bary = np.clip(bary, 0.0, None)
        return self._triangles[triangle], bary / bary.sum(axis=1, keepdims=True)

    def _search_all(self, q: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Return the best triangle and raw barycentric weights, checking every triangle."""
        n_tri = self._inverse.shape[0]
        chunk = max(1, _CHUNK_ELEMENTS // (3 * n_tri))
        triangle = np.empty(q.shape[0], dtype=np.intp)
        bary = np.empty((q.shape[0], 3))
        for start in range(0, q.shape[0], chunk):
            block = q[start : start + chunk]
            g = np.einsum("tij,qj->qti", self._inverse, block)  # (m, n_tri, 3)
            # The ray passes through the triangle whose weights are all non-negative; with
            # rounding, take the triangle whose smallest weight is largest.
            best = np.argmax(g.min(axis=2), axis=1)
            triangle[start : start + chunk] = best
            bary[start : start + chunk] = g[np.arange(block.shape[0]), best]
        return triangle, bary


def check_spans_horizontal_plane(directions: npt.ArrayLike, name: str) -> None:
    """Refuse a set of measured directions that does not reach the horizontal plane.

    Devices and listeners stand in the horizontal plane, so a measured head or driver must be
    measured there. Outside the measured region the triangulation interpolates across a hull face
    that spans the gap, which gives finite but invented responses. The set spans the plane when,
    in each azimuth quadrant [0, 90], [90, 180], [180, 270] and [270, 360] deg (closed), some
    direction lies at most :data:`HORIZONTAL_PLANE_TOL_DEG` above the plane and some at most that
    far below it (one direction in the plane is both).

    Parameters
    ----------
    directions : (n, 3) array_like
        The measured directions (any non-zero length), in the frame whose horizontal plane is
        z = 0.
    name : str
        Names the data in the error message.

    Raises
    ------
    ValueError
        Naming the quadrant and the elevation range measured there.

    Examples
    --------
    >>> from acoustics.geometry import sph_to_cart
    >>> check_spans_horizontal_plane(sph_to_cart([0, 90, 180, 270], [0, 0, 0, 0]), "grid")
    >>> check_spans_horizontal_plane(sph_to_cart([0, 90, 180, 270], [30, 30, 30, 30]), "grid")
    Traceback (most recent call last):
    ...
    ValueError: grid does not span the horizontal plane: between azimuth 0 and 90 deg its \
elevations run from 30 to 30 deg; measured directions within 10 deg of the plane, above and \
below it, are needed
    """
    dirs = as_directions(directions, name)
    azimuth = np.rad2deg(np.arctan2(dirs[:, 1], dirs[:, 0]))
    elevation = np.rad2deg(np.arcsin(np.clip(dirs[:, 2], -1.0, 1.0)))
    tol = HORIZONTAL_PLANE_TOL_DEG
    for start in (0.0, 90.0, 180.0, 270.0):
        # Closed quadrants: within 45 deg of the quadrant's centre, wrapping round 360.
        off_centre = np.abs((azimuth - start - 45.0 + 180.0) % 360.0 - 180.0)
        inside = off_centre <= 45.0 + 1e-9
        elev = elevation[inside]
        if elev.size == 0 or elev.min() > tol or elev.max() < -tol:
            span = (
                "none is measured"
                if elev.size == 0
                else (f"its elevations run from {elev.min():.0f} to {elev.max():.0f} deg")
            )
            raise ValueError(
                f"{name} does not span the horizontal plane: between azimuth {start:.0f} and "
                f"{start + 90.0:.0f} deg {span}; measured directions within {tol:.0f} deg of the "
                "plane, above and below it, are needed"
            )
