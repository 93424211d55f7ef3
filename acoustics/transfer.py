"""``TransferMatrix``: the one type every acoustic model returns.

A transfer matrix holds the complex frequency responses from a set of sources (drivers) to a set of
receivers (ears, points on an arc, listener positions), ``H[receiver, source, freq]``, together with
the frequencies, the labels of both axes and a record of the model that made it (``meta``). It is
immutable: its arrays are read-only copies.

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

from acoustics._validate import as_complex_array, as_freqs, as_positive, as_speed_of_sound
from acoustics.geometry import SPEED_OF_SOUND

__all__ = ["TransferMatrix"]


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
        if isinstance(n_taps, bool) or not isinstance(n_taps, (int, np.integer)) or n_taps < 1:
            raise ValueError(f"n_taps must be a positive integer, got {n_taps!r}")
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
