"""``TransferMatrix``: the one type every acoustic model returns.

A transfer matrix holds the complex frequency responses from a set of sources (drivers) to a set of
receivers (ears, points on an arc, listener positions), ``H[receiver, source, freq]``, together with
the frequencies, the labels of both axes and a record of the model that made it (``meta``). It is
immutable: its arrays are read-only copies.

What another module relies on is a typed field, never a ``meta`` key: the speed of sound ``c``,
the receivers' directions and quadrature weights (:class:`ReceiverDirections`, for beam patterns and
directivity factors) and the drivers' positions in the device frame. ``meta`` is provenance only.

Shapes follow docs/conventions.md: ``H`` is ``(n_receivers, n_sources, n_freqs)``; filters ``W`` are
``(n_sources, n_inputs, n_freqs)``; :meth:`TransferMatrix.apply` gives ``(n_receivers, n_inputs,
n_freqs)``; impulse responses are ``(n_receivers, n_sources, n_taps)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.geometry import SPEED_OF_SOUND, cart_to_sph, sph_to_cart
from acoustics.validation import (
    as_complex_array,
    as_float_array,
    as_freqs,
    as_int,
    as_positions,
    as_positive,
    as_speed_of_sound,
)

__all__ = ["ReceiverDirections", "TransferMatrix"]


def _labels(value: Sequence[str], name: str, size: int) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"{name} must be a sequence of str labels, got the single str {value!r}")
    labels = tuple(value)
    if not all(isinstance(x, str) for x in labels):
        raise TypeError(f"{name} must hold str labels, got {labels!r:.80}")
    if len(labels) != size:
        raise ValueError(f"{name} must hold {size} labels to match H, got {len(labels)}")
    if len(set(labels)) != len(labels):
        raise ValueError(f"{name} must be unique, got duplicates in {labels!r:.80}")
    return labels


@dataclass(frozen=True, eq=False)
class ReceiverDirections:
    """The directions of a TransferMatrix's receivers from the device, in the device frame.

    Beam patterns (:func:`acoustics.scene.azimuth_transfer`) put their receivers on an arc and
    directivity factors (:func:`acoustics.freefield.sphere_transfer`) on a sphere quadrature; the
    code that reads those patterns back needs the angles and weights, so they travel here.

    Parameters
    ----------
    azimuths_deg : (n_receivers,) array_like
        Azimuth of each receiver in degrees, counter-clockwise from the device's axis (+90 its
        left), as given (not wrapped).
    elevations_deg : (n_receivers,) array_like or float
        Elevation of each receiver in degrees, in [-90, 90]; a float applies to all.
    distance : float, optional
        Radius in metres of the receivers from the device origin; ``None`` is the far field.
    weights : (n_receivers,) array_like, optional
        Quadrature weights for averages over the sphere (non-negative, summing to 1).

    Examples
    --------
    >>> d = ReceiverDirections([0.0, 90.0], 0.0)
    >>> d.vectors.round(12)
    array([[1., 0., 0.],
           [0., 1., 0.]])
    """

    azimuths_deg: NDArray[np.float64]
    elevations_deg: NDArray[np.float64]
    distance: float | None = None
    weights: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        az = np.atleast_1d(as_float_array(self.azimuths_deg, "azimuths_deg")).copy()
        if az.ndim != 1:
            raise ValueError(f"azimuths_deg must be 1-D, got shape {az.shape}")
        el = as_float_array(self.elevations_deg, "elevations_deg")
        if el.ndim == 0:
            el = np.full(az.shape, float(el))
        if el.shape != az.shape:
            raise ValueError(f"elevations_deg must have shape {az.shape}, got {el.shape}")
        el = el.copy()
        if np.any(np.abs(el) > 90.0):
            raise ValueError(f"elevations_deg must lie in [-90, 90], got {np.abs(el).max():g}")
        distance = None if self.distance is None else as_positive(self.distance, "distance")
        weights = self.weights
        if weights is not None:
            weights = as_float_array(weights, "weights").copy()
            if weights.shape != az.shape:
                raise ValueError(f"weights must have shape {az.shape}, got {weights.shape}")
            if np.any(weights < 0) or not np.isclose(weights.sum(), 1.0, rtol=0, atol=1e-9):
                raise ValueError(
                    f"weights must be non-negative and sum to 1, got a sum of {weights.sum():.12g}"
                )
            weights.flags.writeable = False
        az.flags.writeable = False
        el.flags.writeable = False
        object.__setattr__(self, "azimuths_deg", az)
        object.__setattr__(self, "elevations_deg", el)
        object.__setattr__(self, "distance", distance)
        object.__setattr__(self, "weights", weights)

    @classmethod
    def from_vectors(
        cls,
        vectors: npt.ArrayLike,
        *,
        distance: float | None = None,
        weights: npt.ArrayLike | None = None,
    ) -> ReceiverDirections:
        """Directions from ``(n, 3)`` vectors in the device frame (normalised here)."""
        v = as_positions(vectors, "vectors")
        if np.any(np.linalg.norm(v, axis=1) == 0):
            raise ValueError("vectors must be non-zero")
        az, el, _ = cart_to_sph(v)
        return cls(az, el, distance=distance, weights=weights)

    def __len__(self) -> int:
        return int(self.azimuths_deg.shape[0])

    @property
    def is_arc(self) -> bool:
        """Whether the receivers lie on an arc: one elevation, no quadrature (a beam pattern)."""
        return self.weights is None and bool(np.ptp(self.elevations_deg) <= 1e-9)

    @property
    def vectors(self) -> NDArray[np.float64]:
        """``(n_receivers, 3)`` unit vectors in the device frame."""
        return sph_to_cart(self.azimuths_deg, self.elevations_deg, 1.0)

    def take(self, indices: Sequence[int]) -> ReceiverDirections:
        """Return the directions of the receivers ``indices``, in that order.

        Quadrature weights belong to the whole set, so a subset that drops any receiver loses
        them (a part of a quadrature is no quadrature).
        """
        idx = np.asarray(indices, dtype=int)
        keep = self.weights if sorted(idx.tolist()) == list(range(len(self))) else None
        return ReceiverDirections(
            self.azimuths_deg[idx],
            self.elevations_deg[idx],
            distance=self.distance,
            weights=None if keep is None else keep[idx],
        )


@dataclass(frozen=True, eq=False)
class TransferMatrix:
    """Complex transfer functions from sources to receivers over frequency.

    Parameters
    ----------
    H : (n_receivers, n_sources, n_freqs) array_like
        Complex responses, e.g. pressure in Pa per unit source strength.
    freqs : (n_freqs,) array_like
        Frequencies in Hz, non-negative and strictly increasing.
    receivers : sequence of str
        Receiver labels, e.g. ``("left", "right")`` for ears (always in that order).
    sources : sequence of str
        Source labels, normally driver names.
    meta : mapping, optional
        Provenance: a description of the model and its parameters (read-only once stored).
        Nothing another module relies on lives here; that is in typed fields such as ``c``.
    c : float, optional
        The speed of sound in m/s the responses were computed with (their delays and
        wavenumbers assume it).
    directions : ReceiverDirections, optional
        The receivers' directions from the device (beam patterns, sphere quadratures); one per
        receiver.
    source_positions : (n_sources, 3) array_like, optional
        The sources' positions in metres in the device frame (drivers), when the model knows them.

    Examples
    --------
    >>> import numpy as np
    >>> tm = TransferMatrix(np.ones((2, 1, 3)), [0.0, 100.0, 200.0], ("left", "right"), ("c",))
    >>> tm.at(100.0).shape
    (2, 1)
    """

    H: NDArray[np.complex128]
    freqs: NDArray[np.float64]
    receivers: tuple[str, ...]
    sources: tuple[str, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)
    c: float = SPEED_OF_SOUND
    directions: ReceiverDirections | None = None
    source_positions: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        h = as_complex_array(self.H, "H")  # a new array (astype copies): no second copy
        if h.ndim != 3:
            raise ValueError(f"H must have shape (n_receivers, n_sources, n_freqs), got {h.shape}")
        freqs = as_freqs(self.freqs).copy()
        if freqs.shape[0] != h.shape[2]:
            raise ValueError(
                f"freqs must have {h.shape[2]} entries to match H, got {freqs.shape[0]}"
            )
        if np.any(np.diff(freqs) <= 0):
            raise ValueError("freqs must be strictly increasing")
        receivers = _labels(self.receivers, "receivers", h.shape[0])
        sources = _labels(self.sources, "sources", h.shape[1])
        if not isinstance(self.meta, Mapping):
            raise TypeError(f"meta must be a mapping, got {type(self.meta).__name__}")
        h.flags.writeable = False
        freqs.flags.writeable = False
        object.__setattr__(self, "H", h)
        object.__setattr__(self, "freqs", freqs)
        object.__setattr__(self, "receivers", receivers)
        object.__setattr__(self, "sources", sources)
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))
        object.__setattr__(self, "c", as_speed_of_sound(self.c))
        if self.directions is not None:
            if not isinstance(self.directions, ReceiverDirections):
                raise TypeError(
                    f"directions must be a ReceiverDirections, got {type(self.directions).__name__}"
                )
            if len(self.directions) != h.shape[0]:
                raise ValueError(
                    f"directions must hold one direction per receiver ({h.shape[0]}), "
                    f"got {len(self.directions)}"
                )
        if self.source_positions is not None:
            pos = as_positions(self.source_positions, "source_positions").copy()
            if pos.shape[0] != h.shape[1]:
                raise ValueError(
                    f"source_positions must have shape ({h.shape[1]}, 3), got {pos.shape}"
                )
            pos.flags.writeable = False
            object.__setattr__(self, "source_positions", pos)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(n_receivers, n_sources, n_freqs)``."""
        return self.H.shape  # type: ignore[return-value]

    def at(self, freq: float) -> NDArray[np.complex128]:
        """Return the matrix at the frequency bin nearest ``freq``.

        Parameters
        ----------
        freq : float
            Frequency in Hz within the range of :attr:`freqs`.

        Returns
        -------
        H : (n_receivers, n_sources) ndarray
        """
        f = as_positive(freq, "freq", allow_zero=True)
        if f < self.freqs[0] or f > self.freqs[-1]:
            raise ValueError(
                f"freq must lie within [{self.freqs[0]:g}, {self.freqs[-1]:g}] Hz, got {f:g}"
            )
        return self.H[:, :, int(np.argmin(np.abs(self.freqs - f)))]

    def select(
        self,
        *,
        receivers: Sequence[str] | None = None,
        sources: Sequence[str] | None = None,
    ) -> TransferMatrix:
        """Return the TransferMatrix restricted to (and ordered as) the named labels.

        Parameters
        ----------
        receivers, sources : sequence of str, optional
            Labels to keep, in the order wanted; all when omitted.
        """
        r_idx = self._indices(receivers, self.receivers, "receivers")
        s_idx = self._indices(sources, self.sources, "sources")
        return TransferMatrix(
            self.H[np.ix_(r_idx, s_idx)],
            self.freqs,
            tuple(self.receivers[i] for i in r_idx),
            tuple(self.sources[i] for i in s_idx),
            self.meta,
            self.c,
            directions=None if self.directions is None else self.directions.take(r_idx),
            source_positions=(
                None if self.source_positions is None else self.source_positions[s_idx]
            ),
        )

    @staticmethod
    def _indices(wanted, labels, name) -> list[int]:
        if wanted is None:
            return list(range(len(labels)))
        if isinstance(wanted, str):
            raise TypeError(f"{name} must be a sequence of labels, got the single str {wanted!r}")
        wanted = list(wanted)
        if not wanted:
            raise ValueError(f"{name} must name at least one label")
        missing = [w for w in wanted if w not in labels]
        if missing:
            raise ValueError(f"{name} {missing} not found; available: {list(labels)}")
        return [labels.index(w) for w in wanted]

    def apply(self, W: npt.ArrayLike) -> NDArray[np.complex128]:
        """Responses at the receivers of filters ``W`` feeding the sources.

        Parameters
        ----------
        W : (n_sources, n_inputs, n_freqs) array_like
            Complex filters, one per source and input channel, on the same frequencies.

        Returns
        -------
        R : (n_receivers, n_inputs, n_freqs) ndarray
            ``R[:, :, f] = H[:, :, f] @ W[:, :, f]``.
        """
        w = as_complex_array(W, "W")
        if w.ndim != 3 or w.shape[0] != self.H.shape[1] or w.shape[2] != self.H.shape[2]:
            raise ValueError(
                f"W must have shape ({self.H.shape[1]}, n_inputs, {self.H.shape[2]}) "
                f"(n_sources, n_inputs, n_freqs), got {w.shape}"
            )
        return np.einsum("rsf,sif->rif", self.H, w)

    def to_impulse_responses(self, fs: float, n_taps: int) -> NDArray[np.float64]:
        """Real impulse responses by inverse real FFT.

        The frequencies must be the full grid ``np.fft.rfftfreq(n_fft, 1/fs)`` for some ``n_fft``.
        The responses are truncated (or zero-padded) to ``n_taps``; responses longer than
        ``n_fft`` samples would have wrapped around, which is the caller's choice of ``n_fft``.

        Parameters
        ----------
        fs : float
            Sampling rate in Hz.
        n_taps : int
            Length of the returned responses.

        Returns
        -------
        h : (n_receivers, n_sources, n_taps) ndarray
        """
        fs = as_positive(fs, "fs")
        n_taps = as_int(n_taps, "n_taps", 1)
        n_bins = self.freqs.shape[0]
        n_fft = None
        for candidate in (2 * (n_bins - 1), 2 * n_bins - 1):
            if candidate > 0 and np.allclose(
                self.freqs, np.fft.rfftfreq(candidate, 1.0 / fs), rtol=0, atol=1e-9 * fs
            ):
                n_fft = candidate
                break
        if n_fft is None:
            raise ValueError(
                f"freqs must be np.fft.rfftfreq(n_fft, 1/fs) for fs = {fs:g} Hz to build impulse "
                f"responses; got {n_bins} bins from {self.freqs[0]:g} to {self.freqs[-1]:g} Hz"
            )
        h = np.fft.irfft(self.H, n=n_fft, axis=-1)
        if n_taps <= n_fft:
            return h[..., :n_taps]
        return np.concatenate([h, np.zeros(h.shape[:-1] + (n_taps - n_fft,))], axis=-1)
