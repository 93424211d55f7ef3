r"""Frequency responses to causal FIR filters, relative-transfer-function form, path alignment.

* :func:`to_fir` requires ``freqs == np.fft.rfftfreq(n_fft, 1/fs)`` and never interpolates: ``W``
  is one period of a circular response ``n_fft`` long (longer content has aliased undetectably).
  The modelling delay (Kirkeby et al., IEEE TSAP 6(2), 1998) moves the acausal part of ``W`` into
  ``[0, delay)``; every filter keeps samples ``[0, n_taps)``, so relative delays between drivers
  are untouched. One window serves the set (``meta["window_flat"]``): flat over the delay and the
  energy centroids of all the filters' kept taps (where the energy is), a rising half before and a
  falling half after, each reaching zero one sample outside the kept taps.
* ``minimum_phase=True`` is homomorphic (Oppenheim & Schafer, *Discrete-Time Signal Processing*,
  3rd ed., Ch. 13): the magnitude, interpolated onto an ``8 n_fft`` grid by zero-padding the
  time-centred response and floored at -200 dB re its peak, has its real cepstrum folded onto
  :math:`n \ge 0` and exponentiated (``scipy.signal.minimum_phase`` wants linear-phase taps, not a
  magnitude). It is per filter and discards the inter-driver phase CTC relies on: use it on
  single-channel filters, not on a CTC set.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.validation import (
    as_complex_array,
    as_float_array,
    as_freqs,
    as_int,
    as_point,
    as_positive,
)

__all__ = [
    "FilterSet", "FIRFilterSet", "RTFForm", "to_fir", "frequency_response", "to_rtf", "from_rtf",
    "path_latency", "align_paths"]  # fmt: skip

#: Energy fraction lost to truncation above which :func:`to_fir` warns.
TRUNCATION_WARNING = 0.01

_TUKEY_ALPHA = 0.5  # fraction of each half-window that tapers (scipy.signal.windows.tukey default)
_CEPSTRUM_PAD = 8  # the minimum-phase grid is this many times the design grid
_LOG_FLOOR = 1e-10  # magnitude floor before the log, relative to the peak (-200 dB)
_DTFT_BLOCK = 1 << 22  # complex exponentials held at once by frequency_response


def _labels(value: Sequence[str], name: str, size: int) -> tuple[str, ...]:
    labels = (value,) if isinstance(value, str) else tuple(value)
    if isinstance(value, str) or not all(isinstance(x, str) for x in labels):
        raise TypeError(f"{name} must be a sequence of str labels, got {value!r:.80}")
    if len(labels) != size or len(set(labels)) != size:
        raise ValueError(f"{name} must hold {size} unique labels to match the arrays, got {labels}")
    return labels


def _readonly(arr: npt.ArrayLike) -> NDArray:
    arr = np.array(arr, copy=True)
    arr.flags.writeable = False
    return arr


def _freeze(obj: object, **values: Any) -> None:
    """Store validated fields on a frozen dataclass: arrays read-only copies, ``meta`` a proxy."""
    for key, val in values.items():
        if isinstance(val, np.ndarray):
            val = _readonly(val)
        elif key == "meta":
            if not isinstance(val, Mapping):
                raise TypeError(f"meta must be a mapping, got {type(val).__name__}")
            val = MappingProxyType(dict(val))
        object.__setattr__(obj, key, val)


def _freqs(value: npt.ArrayLike, fs: float, size: int | None) -> NDArray:
    f = as_freqs(value, "freqs")
    if size is not None and f.shape[0] != size:
        raise ValueError(f"freqs must have {size} entries to match the filters, got {f.shape[0]}")
    if np.any(np.diff(f) <= 0):
        raise ValueError("freqs must be strictly increasing")
    if f[-1] > fs / 2 * (1 + 1e-12):
        raise ValueError(f"freqs must not exceed fs/2 = {fs / 2:g} Hz, got {f[-1]:g} Hz")
    return f


def _require(value: object, kind: type, name: str) -> None:
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be a {kind.__name__}, got {type(value).__name__}")


@dataclass(frozen=True, eq=False)
class FilterSet:
    """Complex filter responses from input channels to drivers over frequency.

    Parameters
    ----------
    W : (n_drivers, n_inputs, n_freqs) array_like
        Complex responses, finite.
    freqs : (n_freqs,) array_like
        Frequencies in Hz, non-negative, strictly increasing, at most ``fs / 2``.
    fs : float
        Sampling rate in Hz at which the filters will run.
    inputs, drivers : sequence of str
        Unique input-channel labels (e.g. ``("left", "right")``) and driver labels.
    meta : mapping, optional
        The design and its parameters (provenance; read-only once stored).
    phase_centre : (3,) array_like, optional
        The point in the device frame (metres) the design refers its on-axis phase to (a beam's
        apparent source); ``None`` is the device origin.
    softened : mapping of str to (n_freqs,) array_like, optional
        The requested constraints the design made objectives instead (because they could not
        all hold, or on request), by name, each with its per-bin shortfall (0 where met, in the
        constraint's own unit: dB of separation for a CTC target; for a beam's groups the
        linear slack of its constraint, re the unit on-axis response for the nulls and the lobe
        and re the weights' norm for the white-noise-gain floor). Empty when every request is a
        hard constraint (and so holds).
    """

    W: NDArray[np.complex128]
    freqs: NDArray[np.float64]
    fs: float
    inputs: tuple[str, ...]
    drivers: tuple[str, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)
    phase_centre: NDArray[np.float64] | None = None
    softened: Mapping[str, NDArray[np.float64]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        w = as_complex_array(self.W, "W")
        if w.ndim != 3:
            raise ValueError(f"W must have shape (n_drivers, n_inputs, n_freqs), got {w.shape}")
        fs = as_positive(self.fs, "fs")
        centre = None if self.phase_centre is None else as_point(self.phase_centre, "phase_centre")
        if not isinstance(self.softened, Mapping):
            raise TypeError(f"softened must be a mapping, got {type(self.softened).__name__}")
        softened = {}
        for name, shortfall in self.softened.items():
            s = _readonly(as_float_array(shortfall, f"softened[{name!r}]"))
            if s.shape != (w.shape[2],):
                raise ValueError(
                    f"softened[{name!r}] must have shape ({w.shape[2]},) (one value per bin), "
                    f"got {s.shape}"
                )
            softened[str(name)] = s
        _freeze(self, W=w, freqs=_freqs(self.freqs, fs, w.shape[2]), fs=fs,
                inputs=_labels(self.inputs, "inputs", w.shape[1]),
                drivers=_labels(self.drivers, "drivers", w.shape[0]), meta=self.meta,
                phase_centre=centre, softened=MappingProxyType(softened))  # fmt: skip


@dataclass(frozen=True, eq=False)
class FIRFilterSet:
    """Real FIR filters from input channels to drivers.

    Parameters
    ----------
    h : (n_drivers, n_inputs, n_taps) array_like
        Real taps, finite.
    fs, inputs, drivers, meta
        As for :class:`FilterSet`.
    latency_samples : float, optional
        Latency put in by design (delay of :func:`to_fir` plus that of :func:`align_paths`).
    truncation_error : (n_drivers, n_inputs) array_like, optional
        Per filter, the energy of the designed response beyond the kept taps over its total
        (:func:`to_fir`); None when the taps were not cut from a longer response.
    approximation_error : (n_drivers, n_inputs) array_like, optional
        Per filter, the energy of taps minus designed response over the total, window
        included (:func:`to_fir`: by Parseval the relative squared error on the design grid).
    """

    h: NDArray[np.float64]
    fs: float
    inputs: tuple[str, ...]
    drivers: tuple[str, ...]
    latency_samples: float = 0.0
    meta: Mapping[str, Any] = field(default_factory=dict)
    truncation_error: NDArray[np.float64] | None = None
    approximation_error: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        h = as_float_array(self.h, "h")
        if h.ndim != 3 or h.shape[2] < 1:
            raise ValueError(f"h must have shape (n_drivers, n_inputs, n_taps), got {h.shape}")
        latency = as_positive(self.latency_samples, "latency_samples", allow_zero=True)
        errors = {}
        for name in ("truncation_error", "approximation_error"):
            value = getattr(self, name)
            if value is not None:
                value = as_float_array(value, name)
                if value.shape != h.shape[:2] or np.any(value < 0):
                    raise ValueError(
                        f"{name} must be non-negative with shape {h.shape[:2]} (one value per "
                        f"filter), got shape {value.shape}"
                    )
            errors[name] = value
        _freeze(self, h=h, fs=as_positive(self.fs, "fs"), inputs=_labels(self.inputs, "inputs",
                h.shape[1]), drivers=_labels(self.drivers, "drivers", h.shape[0]),
                latency_samples=latency, meta=self.meta, **errors)  # fmt: skip


@dataclass(frozen=True, eq=False)
class RTFForm:
    """Filters in relative-transfer-function form: ``W[d, i] = ratios[d, i] * channel[i]``.

    Parameters
    ----------
    channel : (n_inputs, n_freqs) array_like
        The reference driver's filter per input, ``W[ref, i, :]``.
    ratios : (n_drivers, n_inputs, n_freqs) array_like
        ``W[d, i, :] / W[ref, i, :]`` (see :func:`to_rtf`); ``ratios[ref] == 1`` exactly.
    freqs, fs, inputs, drivers, meta
        As for :class:`FilterSet`.
    reference_driver : str
        One of ``drivers``.
    """

    channel: NDArray[np.complex128]
    ratios: NDArray[np.complex128]
    freqs: NDArray[np.float64]
    fs: float
    inputs: tuple[str, ...]
    drivers: tuple[str, ...]
    reference_driver: str
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ch = as_complex_array(self.channel, "channel")
        if ch.ndim != 2:
            raise ValueError(f"channel must have shape (n_inputs, n_freqs), got {ch.shape}")
        r = as_complex_array(self.ratios, "ratios")
        if r.ndim != 3 or r.shape[1:] != ch.shape:
            raise ValueError(f"ratios must have shape (n_drivers, *{ch.shape}), got {r.shape}")
        fs, drivers = as_positive(self.fs, "fs"), _labels(self.drivers, "drivers", r.shape[0])
        if np.any(r[_driver_index(self.reference_driver, drivers)] != 1):
            raise ValueError(f"ratios of the reference driver {self.reference_driver!r} must be 1")
        _freeze(self, channel=ch, ratios=r, freqs=_freqs(self.freqs, fs, ch.shape[1]), fs=fs,
                inputs=_labels(self.inputs, "inputs", ch.shape[0]), drivers=drivers,
                meta=self.meta)  # fmt: skip


def _driver_index(name: object, drivers: tuple[str, ...]) -> int:
    if not isinstance(name, str) or name not in drivers:
        raise ValueError(f"reference_driver {name!r} not found; available: {list(drivers)}")
    return drivers.index(name)


def _rfft_size(freqs: NDArray, fs: float) -> int | None:
    """Return ``n_fft`` such that ``freqs == rfftfreq(n_fft, 1/fs)``, or None."""
    for n in (2 * (freqs.size - 1), 2 * freqs.size - 1):
        grid = np.fft.rfftfreq(max(n, 1), 1.0 / fs)
        if n > 0 and grid.shape == freqs.shape and np.allclose(freqs, grid, 0.0, 1e-9 * fs):
            return n
    return None


def _minimum_phase_spectrum(W: NDArray, n_fft: int) -> NDArray[np.complex128]:
    """Minimum-phase spectrum of magnitude ``|W|`` on the ``_CEPSTRUM_PAD * n_fft`` rfft grid."""
    n_cep, half = _CEPSTRUM_PAD * n_fft, _CEPSTRUM_PAD * n_fft // 2
    # Put each circular response's energy centroid mid-buffer before zero-padding (interpolation).
    e = np.fft.irfft(W, n=n_fft, axis=-1) ** 2
    centroid = np.angle(e @ np.exp(-2j * np.pi * np.arange(n_fft) / n_fft)) * n_fft / (2 * np.pi)
    shift = np.rint(n_fft / 2 - centroid)[..., None]
    roll = np.exp(-2j * np.pi * np.arange(W.shape[-1]) * shift / n_fft)
    mag = np.abs(np.fft.rfft(np.fft.irfft(W * roll, n=n_fft, axis=-1), n=n_cep, axis=-1))
    peak = mag.max(axis=-1, keepdims=True)
    floor = np.maximum(_LOG_FLOOR * peak, np.finfo(float).tiny)  # no log(0), even for a zero W
    cep = np.fft.irfft(np.log(np.maximum(mag, floor)), n=n_cep, axis=-1)  # real cepstrum
    fold = np.concatenate([cep[..., :1], 2.0 * cep[..., 1:half], cep[..., half : half + 1]], -1)
    return np.exp(np.fft.rfft(fold, n=n_cep, axis=-1)) * (peak > 0)


def _window(kept: NDArray, delay: float, window: str | None) -> tuple[NDArray, list[int]]:
    """Set-wide window over the kept taps and its flat part ``[lo, hi]``."""
    n_taps, n = kept.shape[-1], np.arange(kept.shape[-1])
    energy = np.sum(kept**2, axis=-1)
    centroids = (kept**2 @ n)[energy > 0] / energy[energy > 0]  # one per non-silent filter
    lo = int(np.rint(min([delay, *centroids])))
    hi = min(int(np.rint(max([delay, *centroids]))), n_taps - 1)
    if window is None:
        return np.ones(n_taps), [lo, hi]
    x = np.ones(n_taps)  # 0 at the (virtual) zero of the window, 1 where it is flat
    rise, fall = n < lo, n > hi
    x[rise] = (n[rise] + 1.0) / (lo + 1.0)
    x[fall] = (n_taps - n[fall]) / (n_taps - hi)
    if window == "tukey":
        x = np.minimum(x / _TUKEY_ALPHA, 1.0)
    return 0.5 * (1.0 - np.cos(np.pi * x)), [lo, hi]


def to_fir(
    filters: FilterSet, n_taps: int, *, delay: float | None = None,
    window: Literal["hann", "tukey"] | None = "tukey", minimum_phase: bool = False,
) -> FIRFilterSet:  # fmt: skip
    r"""Realise frequency responses as causal FIR filters.

    Parameters
    ----------
    filters : FilterSet
        Responses on the rfft grid ``freqs == np.fft.rfftfreq(n_fft, 1/fs)``.
    n_taps : int
        FIR length, at most ``n_fft``.
    delay : float, optional
        Modelling delay in samples in ``[0, n_taps)``, applied as :math:`e^{-j2\pi f\,delay/f_s}`;
        default ``n_taps // 2`` (room for the acausal half of an inverse or linear-phase-like
        response), 0 with ``minimum_phase``. Pass 0 if ``W`` already contains its modelling delay.
    window : {"hann", "tukey"} or None, optional
        Taper of the truncation (placed as the module notes say); None truncates. The default,
        "tukey", tapers only the outer quarter: on a smooth response (a 2nd-order Butterworth,
        128 taps of 1024) it errs by 8e-7 against 5e-3 for "hann".
    minimum_phase : bool, optional
        Replace each filter by the minimum-phase filter of the same magnitude.

    Returns
    -------
    FIRFilterSet
        ``latency_samples = delay``; per filter ``truncation_error`` (energy of the delayed
        response outside the kept taps over its total) and ``approximation_error`` (energy of
        taps minus response over the total, window included: by Parseval the relative squared
        error on the design grid); ``meta`` the parameters. "Response" is the minimum-phase one
        when ``minimum_phase`` is set.

    Examples
    --------
    >>> f = np.fft.rfftfreq(64, 1 / 48000)
    >>> fset = FilterSet(np.exp(-2j * np.pi * f * 3 / 48000)[None, None], f, 48000, ("x",), ("d",))
    >>> int(np.argmax(to_fir(fset, 16).h[0, 0]))  # 3 samples plus the default delay of 8
    11
    """
    _require(filters, FilterSet, "filters")
    fs, freqs = filters.fs, filters.freqs
    n_fft = _rfft_size(freqs, fs)
    if n_fft is None:
        raise ValueError(f"filters.freqs must be the rfft grid np.fft.rfftfreq(n_fft, 1/fs) with "
                         f"fs = {fs:g} Hz (to_fir does not interpolate); got {freqs.size} bins "
                         f"from {freqs[0]:g} to {freqs[-1]:g} Hz")  # fmt: skip
    n_taps = as_int(n_taps, "n_taps", 0)
    if not 1 <= n_taps <= n_fft:
        raise ValueError(f"n_taps must be in [1, n_fft = {n_fft}] (the response length that the "
                         f"grid of filters.freqs resolves), got {n_taps}")  # fmt: skip
    if window not in ("hann", "tukey", None):
        raise ValueError(f"window must be 'hann', 'tukey' or None, got {window!r}")
    if delay is None:
        delay = 0.0 if minimum_phase else float(n_taps // 2)
    delay = as_positive(delay, "delay", allow_zero=True)
    if delay > n_taps - 1:
        raise ValueError(f"delay must be less than n_taps = {n_taps} samples, got {delay:g}")
    n_buf = _CEPSTRUM_PAD * n_fft if minimum_phase else n_fft
    spec = _minimum_phase_spectrum(filters.W, n_fft) if minimum_phase else filters.W
    f_buf = np.fft.rfftfreq(n_buf, 1.0 / fs)
    full = np.fft.irfft(spec * np.exp(-2j * np.pi * f_buf * delay / fs), n=n_buf, axis=-1)
    kept = full[..., :n_taps]
    win, flat = _window(kept, delay, window)
    h = kept * win
    total, outside = np.sum(full**2, axis=-1), np.sum(full[..., n_taps:] ** 2, axis=-1)
    err = np.stack([outside, outside + np.sum((h - kept) ** 2, axis=-1)])
    trunc, approx = np.divide(err, total, out=np.zeros_like(err), where=total > 0)
    meta = {"source": "to_fir", "n_fft": n_fft, "delay": delay, "window": window}
    meta.update(window_flat=flat, minimum_phase=bool(minimum_phase), design_meta=dict(filters.meta))
    if trunc.max() > TRUNCATION_WARNING:
        warnings.warn(
            f"to_fir keeps only {100 * (1 - trunc.max()):.1f} % of the energy of "
            f"the worst filter in {n_taps} taps: lengthen n_taps or move the modelling delay "
            "(a design's delay must exceed the plant's bulk delay, e.g. the flight time)",
            stacklevel=2,
        )
    return FIRFilterSet(
        h,
        fs,
        filters.inputs,
        filters.drivers,
        delay,
        meta,
        truncation_error=trunc,
        approximation_error=approx,
    )


def frequency_response(fir: FIRFilterSet, freqs: npt.ArrayLike) -> FilterSet:
    r"""Evaluate FIR filters at arbitrary frequencies (their DTFT).

    Parameters
    ----------
    fir : FIRFilterSet
        The filters.
    freqs : (n_freqs,) array_like
        Frequencies in Hz, strictly increasing within ``[0, fs/2]``.

    Returns
    -------
    FilterSet
        :math:`W(f) = \sum_n h[n] e^{-j 2\pi f n / f_s}` (an FFT on an rfft grid at least
        ``n_taps`` long, else a product with exponentials formed in blocks of frequencies).
    """
    _require(fir, FIRFilterSet, "fir")
    f = _freqs(freqs, fir.fs, None)
    n_taps, n_fft = fir.h.shape[-1], _rfft_size(f, fir.fs)
    if n_fft is not None and n_fft >= n_taps:
        w = np.fft.rfft(fir.h, n=n_fft, axis=-1)
    else:
        n, step = np.arange(n_taps), max(1, _DTFT_BLOCK // n_taps)
        blocks = [f[i : i + step] for i in range(0, f.size, step)]  # blocks of bins, not bins
        w = np.concatenate([fir.h @ np.exp(-2j * np.pi * np.outer(n, b) / fir.fs) for b in blocks],
                           axis=-1)  # fmt: skip
    meta = {"source": "frequency_response", "latency_samples": fir.latency_samples}
    return FilterSet(w, f, fir.fs, fir.inputs, fir.drivers, meta)


def to_rtf(filters: FilterSet, *, reference_driver: str, floor: float = 1e-6) -> RTFForm:
    r"""Split filters into one channel filter per input and the drivers' ratios to it.

    Parameters
    ----------
    filters : FilterSet
        The filters ``W``.
    reference_driver : str
        The driver whose filter becomes the channel filter.
    floor : float, optional
        Relative floor in ``(0, 1)``: where :math:`|W_{ref,i}| < \epsilon_i = \mathrm{floor}
        \max_f |W_{ref,i}|` the division uses :math:`\epsilon_i` and the phase of
        :math:`W_{ref,i}`, holding the ratio's gain to :math:`|W_d| / \epsilon_i` (unbounded gain
        cannot be realised); :func:`from_rtf` then gives :math:`W_d |W_{ref}| / \epsilon_i` there.

    Returns
    -------
    RTFForm
        ``channel = W[ref]`` and ``ratios[ref] = 1`` exactly. ``meta`` holds ``floor``,
        ``floor_abs`` and ``n_floored`` (per input) and ``n_floored_total``.
    """
    _require(filters, FilterSet, "filters")
    ref = _driver_index(reference_driver, filters.drivers)
    floor = as_positive(floor, "floor")
    if floor >= 1:
        raise ValueError(f"floor must lie in (0, 1), got {floor:g}")
    channel = filters.W[ref]
    mag, peak = np.abs(channel), np.abs(channel).max(axis=-1)
    if np.any(peak == 0):
        silent = [filters.inputs[i] for i in np.flatnonzero(peak == 0)]
        raise ValueError(f"reference_driver {reference_driver!r} has an all-zero filter for "
                         f"inputs {silent}; choose another reference")  # fmt: skip
    eps = floor * peak[:, None]
    floored, n_floored = mag < eps, np.sum(mag < eps, axis=-1)
    unit = np.divide(channel, mag, out=np.ones_like(channel), where=mag > 0)
    ratios = filters.W / np.where(floored, eps * unit, channel)[None]
    ratios[ref] = 1.0
    meta = dict(floor=floor, floor_abs=_readonly(eps[:, 0]), n_floored=_readonly(n_floored),
                n_floored_total=int(n_floored.sum()), design_meta=dict(filters.meta))  # fmt: skip
    f = filters
    return RTFForm(channel, ratios, f.freqs, f.fs, f.inputs, f.drivers, reference_driver, meta)


def from_rtf(rtf: RTFForm) -> FilterSet:
    """Rebuild the FilterSet ``W = ratios * channel`` (so ``W[ref] == channel``) from ``rtf``."""
    _require(rtf, RTFForm, "rtf")
    meta = {"source": "from_rtf", "rtf_meta": dict(rtf.meta)}
    return FilterSet(rtf.ratios * rtf.channel, rtf.freqs, rtf.fs, rtf.inputs, rtf.drivers, meta)


def path_latency(
    filters: FIRFilterSet | FilterSet, *, band: tuple[float, float] | None = None
) -> float:
    r"""Estimate latency in samples as the power-weighted mean group delay.

    Parameters
    ----------
    filters : FIRFilterSet or FilterSet
        The path's filters, all pooled (slice a set for one filter's latency).
    band : (f_lo, f_hi), optional
        Band in Hz to average over; ``[0, fs/2]`` by default.

    Returns
    -------
    float
        Latency in samples.

    Notes
    -----
    .. math:: \bar\tau = \frac{\int \tau_g |W|^2 \, d\omega}{\int |W|^2 \, d\omega}, \qquad
              \tau_g |W|^2 = \mathrm{Re}\{G W^*\}, \quad G(\omega) = \sum_n n\, h[n] e^{-j\omega n},

    as :math:`dW/d\omega = -jG`: no unwrapping, zeros of :math:`W` carry no weight, exact for a pure
    delay, and over the full band the energy centroid :math:`\sum n h^2 / \sum h^2` (Parseval).
    For a :class:`FilterSet`, :math:`\tau_g = -\arg(W_{k+1} W_k^*) f_s / (2\pi \Delta f_k)`,
    weighted by :math:`|W_k W_{k+1}| \Delta f_k` (valid below :math:`f_s / (2 \Delta f)` samples).
    """
    if not isinstance(filters, (FIRFilterSet, FilterSet)):
        raise TypeError(f"filters must be FIRFilterSet or FilterSet, got {type(filters).__name__}")
    lo_hi = np.array([0.0, filters.fs / 2]) if band is None else as_float_array(band, "band")
    if lo_hi.shape != (2,) or not 0 <= lo_hi[0] < lo_hi[1] <= filters.fs / 2 * (1 + 1e-12):
        raise ValueError(f"band must be (f_lo, f_hi) with 0 <= f_lo < f_hi <= fs/2, got {band!r}")
    lo, hi = lo_hi
    if isinstance(filters, FIRFilterSet):
        h = filters.h
        n = max(4096, 1 << int(np.ceil(np.log2(h.shape[-1]))))  # exact; fine enough for a band
        f = np.fft.rfftfreq(n, 1.0 / filters.fs)
        weight = ((f >= lo) & (f <= hi)) * np.where((f == 0) | (2 * f == filters.fs), 0.5, 1.0)
        spec, spec_n = np.fft.rfft([h, h * np.arange(h.shape[-1])], n=n, axis=-1)
        num, den = np.real(spec_n * spec.conj()) @ weight, np.abs(spec) ** 2 @ weight
    else:
        f, w = filters.freqs, filters.W
        weight = np.diff(f) * ((f[:-1] >= lo) & (f[1:] <= hi))
        if not np.any(weight > 0):
            raise ValueError(f"band must hold at least two bins of filters.freqs, got {band!r}")
        prod = w[..., 1:] * w[..., :-1].conj()
        tau = -np.angle(prod) * filters.fs / (2 * np.pi * np.diff(f))
        num, den = (np.abs(prod) * tau) @ weight, np.abs(prod) @ weight
    if not den.sum() > 0:
        raise ValueError(f"filters must not be silent in the band {lo:g}-{hi:g} Hz")
    return float(num.sum() / den.sum())


def align_paths(
    paths: Sequence[FIRFilterSet], *, band: tuple[float, float] | None = None,
    latencies: npt.ArrayLike | None = None,
) -> list[FIRFilterSet]:  # fmt: skip
    """Delay the faster parallel paths by whole samples to the latency of the slowest.

    Parameters
    ----------
    paths : sequence of FIRFilterSet
        Paths to be summed per driver: the same ``fs`` and ``drivers`` (inputs may differ).
    band : (f_lo, f_hi), optional
        Band in Hz for :func:`path_latency`.
    latencies : (n_paths,) array_like, optional
        Known latencies in samples (e.g. modelling delays); by default :func:`path_latency`.

    Returns
    -------
    list of FIRFilterSet
        Each path delayed by ``round(max(latency) - latency)`` samples and zero-padded to a common
        length; ``meta`` gains ``align_delay_samples``, ``path_latency_samples``,
        ``target_latency_samples`` and ``residual_samples`` (target minus latency after the delay).
    """
    if isinstance(paths, FIRFilterSet) or not isinstance(paths, Sequence) or not paths:
        raise TypeError(f"paths must be a non-empty sequence of FIRFilterSet, got {paths!r:.60}")
    for i, p in enumerate(paths := list(paths)):
        _require(p, FIRFilterSet, f"paths[{i}]")
        if p.fs != paths[0].fs or p.drivers != paths[0].drivers:
            raise ValueError(f"paths must share fs and drivers; paths[{i}] differs from paths[0]")
    if latencies is None:
        lat = np.array([path_latency(p, band=band) for p in paths])
    else:
        lat = as_float_array(latencies, "latencies")
        if lat.shape != (len(paths),):
            raise ValueError(f"latencies must have shape ({len(paths)},), got {lat.shape}")
    target = float(lat.max())
    shifts = np.floor(target - lat + 0.5).astype(int)
    n_out = max(p.h.shape[-1] + s for p, s in zip(paths, shifts, strict=True))
    aligned = []
    for p, s, tau in zip(paths, shifts, lat, strict=True):
        h = np.zeros(p.h.shape[:2] + (n_out,))
        h[..., s : s + p.h.shape[-1]] = p.h
        extra = {"align_delay_samples": int(s), "path_latency_samples": float(tau)}
        extra.update(target_latency_samples=target, residual_samples=float(target - tau - s))
        latency = p.latency_samples + s
        aligned.append(
            dataclasses.replace(p, h=h, latency_samples=latency, meta={**p.meta, **extra})
        )
    return aligned
