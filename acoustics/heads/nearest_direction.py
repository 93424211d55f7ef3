r"""The nearest of a set of measured directions, for millions of queries: a cell lookup.

The nearest-direction model of a measured set (pyroomacoustics' model of a measured HRTF, one
of :mod:`acoustics.room.engines`'s engines) asks, for every image path, which measured
direction is closest to its arrival: a room of order 10 seen by 441 listeners asks 3.4 million
times per driver. Here the sphere is cut into the cells of a cube's faces (a cube map: no
trigonometry per query), and each cell keeps the measured directions that can be the nearest
of some point inside it: for a cell centred on :math:`c` with angular radius :math:`\rho` (the
largest angle from :math:`c` to the cell's boundary) and nearest measured direction at angle
:math:`\theta_c`, every :math:`d` with :math:`\angle(d, c) \le \theta_c + 2\rho` (by the
triangle inequality: a point :math:`x` of the cell has its nearest direction within
:math:`\angle(x, d_c) \le \theta_c + \rho` of itself, so within :math:`\theta_c + 2\rho` of
:math:`c`). A query then compares its few candidates (a compiled loop): the answer is the exact
nearest direction (largest dot product), as a k-d tree's; the test compares the two on a
million directions. Measured: 0.09 us per query against 0.8 us for ``scipy.spatial.cKDTree``
(MIT KEMAR's 710 directions, 2.3 candidates per cell on average); the cells of a set take
0.17 s to build (cached per set); the kernel compiles in about 0.5 s once (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from acoustics.caching import memoize
from acoustics.validation import as_directions

__all__ = ["NearestDirections"]

#: Cells along each edge of a cube face (6 x 64 x 64 cells, 1.1-1.8 degrees across).
_CELLS_PER_EDGE = 64
#: The two other axes of each cube axis, in the order (u, v) of a face's coordinates.
_OTHER_AXES = ((1, 2), (0, 2), (0, 1))


class NearestDirections:
    """Index of the nearest of a set of directions, exactly, by a cached cell lookup.

    Parameters
    ----------
    directions : (n, 3) array_like
        The measured directions (normalised to unit vectors internally).

    Examples
    --------
    >>> from acoustics.geometry import sph_to_cart
    >>> nearest = NearestDirections(sph_to_cart([0, 90, 180, 270], [0, 0, 0, 0]))
    >>> nearest([[0.9, 1.0, 0.0], [0.0, -1.0, 0.2]]).tolist()
    [1, 3]
    """

    def __init__(self, directions: npt.ArrayLike) -> None:
        dirs = as_directions(directions, "directions")
        self.directions = np.ascontiguousarray(dirs)
        self._offsets, self._candidates = _cells(self.directions.tobytes(), dirs.shape[0])

    def __call__(self, vectors: npt.ArrayLike) -> NDArray[np.intp]:
        """Return the index ``(n,)`` of the direction nearest each of ``vectors`` ``(n, 3)``.

        Nearest in angle (the largest dot product with the normalised vector); zero vectors
        are refused.
        """
        v = np.ascontiguousarray(vectors, dtype=np.float64)
        if v.ndim != 2 or v.shape[1] != 3:
            raise ValueError(f"vectors must have shape (n, 3), got {v.shape}")
        out = np.empty(v.shape[0], dtype=np.intp)
        bad = _query(v, self.directions, self._offsets, self._candidates, _CELLS_PER_EDGE, out)
        if bad >= 0:
            raise ValueError(f"vectors must be finite and non-zero, got row {bad}: {v[bad]}")
        return out


@memoize(4)
def _cells(key: bytes, n: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Candidate lists of every cell (CSR: ``offsets``, ``candidates``) of a set of directions.

    Cells are those of a cube's faces (face ``2 * axis + negative``; on it ``u`` and ``v``, the
    other two components over the largest one's magnitude, each cut into
    :data:`_CELLS_PER_EDGE`). Cached by the directions' bytes: the set-up is paid once per set.
    """
    dirs = np.frombuffer(key, dtype=np.float64).reshape(n, 3)
    m = _CELLS_PER_EDGE
    lower = np.arange(m) * (2.0 / m) - 1.0
    u0, v0 = np.meshgrid(lower, lower, indexing="ij")  # lower corners, (m, m)
    step = 2.0 / m
    centres, radii = [], []
    for face in range(6):
        centre = _face_point(face, u0 + step / 2, v0 + step / 2)
        # The largest angle from the centre to the cell's boundary, sampled at five points a
        # side (smooth along so short an edge), with a 1 % margin.
        rho = np.zeros(u0.shape)
        for a in np.linspace(0.0, 1.0, 5):
            for du, dv in ((a, 0.0), (a, 1.0), (0.0, a), (1.0, a)):
                edge = _face_point(face, u0 + du * step, v0 + dv * step)
                cos = np.clip(np.sum(edge * centre, axis=-1), -1.0, 1.0)
                rho = np.maximum(rho, np.arccos(cos))
        centres.append(centre.reshape(-1, 3))
        radii.append(rho.ravel() * 1.01 + 1e-9)
    centre, rho = np.vstack(centres), np.concatenate(radii)
    tree = cKDTree(dirs)
    chord_min = tree.query(centre)[0]
    theta = 2.0 * np.arcsin(np.clip(chord_min / 2.0, 0.0, 1.0)) + 2.0 * rho
    reach = 2.0 * np.sin(np.minimum(theta, np.pi) / 2.0) + 1e-12
    lists = tree.query_ball_point(centre, reach)
    counts = np.array([len(item) for item in lists])
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.intp)
    candidates = np.concatenate([np.sort(item) for item in lists]).astype(np.intp)
    return offsets, candidates


def _face_point(face: int, u: NDArray, v: NDArray) -> NDArray[np.float64]:
    """Return the unit vectors ``(..., 3)`` at face coordinates ``u``, ``v`` of a cube face."""
    axis, negative = divmod(face, 2)
    out = np.empty(u.shape + (3,))
    out[..., axis] = -1.0 if negative else 1.0
    out[..., _OTHER_AXES[axis][0]] = u
    out[..., _OTHER_AXES[axis][1]] = v
    return out / np.linalg.norm(out, axis=-1, keepdims=True)


@numba.njit(cache=True, nogil=True)
def _query(vectors, directions, offsets, candidates, m, out):  # pragma: no cover - compiled
    """Write the nearest direction of each vector into ``out``; return a bad row or -1."""
    for i in range(vectors.shape[0]):
        x, y, z = vectors[i, 0], vectors[i, 1], vectors[i, 2]
        ax, ay, az = abs(x), abs(y), abs(z)
        big = max(ax, ay, az)
        if not (big > 0.0 and big < np.inf) or x != x or y != y or z != z:
            return i
        if ax >= ay and ax >= az:
            face, u, v = (0 if x > 0 else 1), y / ax, z / ax
        elif ay >= az:
            face, u, v = (2 if y > 0 else 3), x / ay, z / ay
        else:
            face, u, v = (4 if z > 0 else 5), x / az, y / az
        iu = min(int((u + 1.0) * 0.5 * m), m - 1)
        iv = min(int((v + 1.0) * 0.5 * m), m - 1)
        cell = (face * m + iu) * m + iv
        best = -np.inf
        pick = -1
        for k in range(offsets[cell], offsets[cell + 1]):
            d = candidates[k]
            dot = x * directions[d, 0] + y * directions[d, 1] + z * directions[d, 2]
            if dot > best:
                best = dot
                pick = d
        out[i] = pick
    return -1
