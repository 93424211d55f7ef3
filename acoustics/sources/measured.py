r"""A driver directivity given as a table over directions and frequencies.

:class:`MeasuredDirectivity` is a :class:`~acoustics.sources.Directivity` whose response is a
measured (or precomputed) table, for example read from a SOFA ``FreeFieldDirectivityTF`` file
(:func:`acoustics.heads.sofa.read_directivity`).

Interpolation
    Over direction with the barycentric weights of
    :class:`~acoustics.heads.interpolation.SphericalTriangulation` (vector-base amplitude panning
    weights, Pulkki, JAES 45(6), 1997), over frequency linearly in the real and imaginary parts
    between neighbouring table frequencies:

    .. math:: D(\hat u, f) = \sum_{i=1}^{3} w_i(\hat u)
              \left[(1 - t)\, D_{d_i}(f_j) + t\, D_{d_i}(f_{j+1})\right], \qquad
              t = \frac{f - f_j}{f_{j+1} - f_j}.

    Query frequencies outside the table's range are refused (no extrapolation), and the ``c``
    of :meth:`~acoustics.sources.Directivity.response` is not used (the table is fixed). The
    table should be referred to the driver's acoustic centre: a table with a large bulk delay (a
    phase that turns quickly with frequency) interpolates poorly in real and imaginary parts.
Normalisation
    The table is used as it is. To follow the :class:`~acoustics.sources.Directivity` convention
    it should be 1 on-axis at low frequency (the far-field pressure relative to a monopole of the
    same low-frequency volume velocity); a measured table is normalised that way before it is
    saved, not here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.caching import digest
from acoustics.geometry import SPEED_OF_SOUND
from acoustics.heads.interpolation import SphericalTriangulation, check_spans_horizontal_plane
from acoustics.heads.sofa import DirectivityTable, read_directivity, write_directivity
from acoustics.sources.device import Directivity

__all__ = ["MeasuredDirectivity"]


@dataclass(frozen=True, eq=False)
class MeasuredDirectivity(Directivity):
    """A directivity table, interpolated over direction and frequency (see the module docstring).

    Parameters
    ----------
    response_table : (n_dirs, n_freqs) array_like
        Complex directivity, finite. (Not named ``response``: that is the
        :meth:`~acoustics.sources.Directivity.response` method every directivity model has.)
    freqs : (n_freqs,) array_like
        Table frequencies in Hz, non-negative and strictly increasing.
    directions : (n_dirs, 3) array_like
        Directions in the driver frame (+x on-axis), normalised internally; at least 4, spanning
        the sphere (not all in one plane through the origin) and reaching the driver frame's
        horizontal plane (:func:`~acoustics.heads.interpolation.check_spans_horizontal_plane`).
    meta : dict, optional
        Provenance (e.g. the SOFA file's global attributes).

    Examples
    --------
    >>> import numpy as np
    >>> from acoustics.sources import Omni
    >>> from acoustics.geometry import sph_to_cart
    >>> grid = sph_to_cart([0, 90, 180, 270, 0, 0], [0, 0, 0, 0, 90, -90])
    >>> table = MeasuredDirectivity.from_model(Omni(), grid, [100.0, 1000.0])
    >>> table.response([[1.0, 1.0, 0.0]], [500.0]).real.round(12)
    array([[1.]])
    """

    response_table: NDArray[np.complex128]
    freqs: NDArray[np.float64]
    directions: NDArray[np.float64]
    meta: dict[str, Any] = field(default_factory=dict)
    _triangulation: SphericalTriangulation = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # DirectivityTable validates shapes, finiteness and the frequency order.
        table = DirectivityTable(self.response_table, self.freqs, self.directions, self.meta)
        if table.directions.shape[0] < 4:
            raise ValueError(
                f"directions must hold at least 4 directions, got {table.directions.shape[0]}"
            )
        object.__setattr__(self, "response_table", table.response)
        object.__setattr__(self, "freqs", table.freqs)
        object.__setattr__(self, "directions", table.directions)
        object.__setattr__(self, "meta", table.meta)
        check_spans_horizontal_plane(table.directions, "directions")
        object.__setattr__(self, "_triangulation", SphericalTriangulation(table.directions))

    @classmethod
    def from_sofa(cls, path: str | os.PathLike) -> MeasuredDirectivity:
        """Read a ``FreeFieldDirectivityTF`` SOFA file (:mod:`acoustics.heads.sofa`)."""
        table = read_directivity(path)
        return cls(table.response, table.freqs, table.directions, meta=table.meta)

    @classmethod
    def from_model(
        cls,
        directivity: Directivity,
        directions: npt.ArrayLike,
        freqs: npt.ArrayLike,
        *,
        c: float = SPEED_OF_SOUND,
    ) -> MeasuredDirectivity:
        """Tabulate another directivity model on a grid of frequencies and directions.

        Parameters
        ----------
        directivity : Directivity
            The model to sample.
        directions : (n_dirs, 3) array_like
            Table directions in the driver frame.
        freqs : (n_freqs,) array_like
            Table frequencies in Hz, strictly increasing.
        c : float, optional
            Speed of sound in m/s passed to the model.
        """
        if not isinstance(directivity, Directivity):
            raise TypeError(
                f"directivity must be a Directivity model, got {type(directivity).__name__}"
            )
        response = directivity.response(directions, freqs, c=c)
        return cls(response, freqs, directions, meta={"Comment": f"sampled from {directivity!r}"})

    @property
    def cache_key(self) -> tuple:
        """A digest of the table: equal for two loads of the same data."""
        return (
            "MeasuredDirectivity",
            digest(self.response_table, self.freqs, self.directions),
            self.axisymmetric,
        )

    def to_sofa(self, path: str | os.PathLike, *, compression: int = 4) -> None:
        """Write the table as a ``FreeFieldDirectivityTF`` file (:mod:`acoustics.heads.sofa`)."""
        table = DirectivityTable(self.response_table, self.freqs, self.directions, self.meta)
        write_directivity(path, table, compression=compression)

    def _response(
        self, directions: NDArray[np.float64], freqs: NDArray[np.float64], c: float
    ) -> NDArray[np.complex128]:
        lo, hi = self.freqs[0], self.freqs[-1]
        if freqs.min() < lo or freqs.max() > hi:
            raise ValueError(
                f"freqs must lie within the table's range [{lo:g}, {hi:g}] Hz, got "
                f"[{freqs.min():g}, {freqs.max():g}] Hz"
            )
        corners, weights = self._triangulation.weights(directions)
        used, local = np.unique(corners, return_inverse=True)
        local = local.reshape(corners.shape)
        table = self.response_table[used]  # (n_used, n_table_freqs)
        if self.freqs.size == 1:
            at_freqs = np.repeat(table, freqs.size, axis=1)
        else:
            last = self.freqs.size - 2
            j = np.clip(np.searchsorted(self.freqs, freqs, side="right") - 1, 0, last)
            t = (freqs - self.freqs[j]) / (self.freqs[j + 1] - self.freqs[j])
            at_freqs = table[:, j] * (1.0 - t) + table[:, j + 1] * t  # (n_used, n_freqs)
        return np.einsum("qi,qif->qf", weights, at_freqs[local])
