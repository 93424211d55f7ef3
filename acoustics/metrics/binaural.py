r"""Binaural measures: interaural time and level differences, IACC, and auditory bands.

Ear signals are ``(..., 2, n_samples)`` with the ears in the order (left, right). Signs follow
the azimuth convention (positive = the listener's left): the ITD is positive when the left ear
leads, the ILD positive when the left ear is louder. Auditory bands are spaced on Glasberg and
Moore's ERB-number scale, :math:`\mathrm{ERB}(f) = 24.7\,(4.37 f / 1000 + 1)` Hz (Hear. Res.
47, 1990), each weighted by the power response of a fourth-order gammatone filter,
:math:`|G(f)|^2 = (1 + ((f - f_c) / b)^2)^{-4}` with :math:`b = 1.019\,\mathrm{ERB}(f_c)`
(Patterson et al., 1992). The ITD is the lag of the peak of the summary cross-correlogram (the
band-normalised cross-correlations averaged over the bands below ``1.5 kHz``; averaging over
bands resolves the period ambiguity of each band, as in Stern's "straightness" weighting), with
parabolic refinement. IACC follows ISO 3382-1: the maximum of the normalised interaural
cross-correlation function over :math:`|\tau| \le 1` ms, the early IACC over 0-80 ms after the
direct sound.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.metrics.room import arrival_index
from acoustics.validation import as_float_array, as_positive

__all__ = [
    "erb_width",
    "erb_number",
    "erb_space",
    "as_ears",
    "band_limits",
    "interaural_time_difference",
    "interaural_level_difference",
    "interaural_cross_correlation",
]


def erb_width(f: npt.ArrayLike) -> NDArray[np.float64]:
    """Equivalent rectangular bandwidth in Hz at ``f`` Hz (Glasberg & Moore 1990).

    Examples
    --------
    >>> float(erb_width(1000.0))
    132.639
    """
    f = np.asarray(f, dtype=float)
    return 24.7 * (4.37e-3 * f + 1.0)


def erb_number(f: npt.ArrayLike) -> NDArray[np.float64]:
    """ERB number (Cams) at ``f`` Hz: the count of ERBs below ``f`` (Glasberg & Moore 1990)."""
    f = np.asarray(f, dtype=float)
    return 21.4 * np.log10(4.37e-3 * f + 1.0)


def erb_space(low_hz: float, high_hz: float, *, step: float = 1.0) -> NDArray[np.float64]:
    """Auditory band centres from ``low_hz`` to ``high_hz``, ``step`` ERB numbers apart.

    Examples
    --------
    >>> np.round(erb_space(1000.0, 2000.0), 1)
    array([1000. , 1139.6, 1295. , 1468.2, 1660.9, 1875.6])
    """
    lo = as_positive(low_hz, "low_hz")
    hi = as_positive(high_hz, "high_hz")
    st = as_positive(step, "step")
    if hi < lo:
        raise ValueError(f"high_hz must be at least low_hz = {lo:g}, got {hi:g}")
    e = np.arange(erb_number(np.array(lo)), erb_number(np.array(hi)) + 1e-9, st)
    return (10.0 ** (e / 21.4) - 1.0) / 4.37e-3


def _gammatone_power(freqs: NDArray, centres: NDArray) -> NDArray[np.float64]:
    """Fourth-order gammatone power response, ``(n_bands, n_freqs)``."""
    b = 1.019 * erb_width(centres)[:, None]
    return (1.0 + ((freqs[None, :] - centres[:, None]) / b) ** 2) ** -4


def as_ears(ears: npt.ArrayLike, fs: float) -> tuple[NDArray[np.float64], float]:
    """Return ``ears`` as a float ``(..., 2, n_samples)`` array and ``fs``, or raise naming them.

    Both ear signals must be finite, at least two samples long and not silent.
    """
    x = as_float_array(ears, "ears")
    if x.ndim < 2 or x.shape[-2] != 2 or x.shape[-1] < 2:
        raise ValueError(f"ears must have shape (..., 2, n_samples), got {x.shape}")
    if np.any(np.all(x == 0, axis=-1)):
        raise ValueError("ears must not contain a silent ear signal")
    return x, as_positive(fs, "fs")


def _ear_spectra(x: NDArray, fs: float) -> tuple[NDArray, NDArray]:
    """Spectra zero-padded for linear (not circular) correlation, and their frequencies."""
    from scipy.fft import next_fast_len, rfft

    n_fft = next_fast_len(2 * x.shape[-1], real=True)
    return rfft(x, n_fft, axis=-1), np.fft.rfftfreq(n_fft, 1.0 / fs)


def band_limits(band_hz: object, name: str, fs: float) -> tuple[float, float]:
    """Return a band ``(low, high)`` in Hz with ``0 < low < high < fs / 2``, or raise naming it."""
    try:
        lo, hi = (float(v) for v in band_hz)  # type: ignore[union-attr]
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a pair (low, high) in Hz, got {band_hz!r}") from exc
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi < fs / 2):
        raise ValueError(
            f"{name} must satisfy 0 < low < high < fs / 2 = {fs / 2:g}, got {band_hz!r}"
        )
    return lo, hi


def _itd_from_spectra(
    spec: NDArray, freqs: NDArray, band_hz: tuple[float, float], max_lag_s: float
) -> NDArray[np.float64]:
    """Summary cross-correlogram ITD from ear spectra ``(..., 2, n_bins)``."""
    centres = erb_space(*band_hz)
    w = _gammatone_power(freqs, centres)
    used = np.flatnonzero(w.max(axis=0) > 1e-6)
    w, f = w[:, used], freqs[used]
    left, right = spec[..., 0, used], spec[..., 1, used]
    cross = np.conj(left) * right  # peak at lag t_right - t_left: positive when left leads
    norm = np.sqrt((np.abs(left) ** 2 @ w.T) * (np.abs(right) ** 2 @ w.T))  # (..., n_bands)
    # Lags on a grid finer than any band's period; the correlogram is smooth there.
    step = 1.0 / (16.0 * band_hz[1])
    lags = np.arange(-np.ceil(max_lag_s / step), np.ceil(max_lag_s / step) + 1) * step
    kernel = np.exp(2j * np.pi * f[:, None] * lags[None, :])  # (n_used, n_lags)
    band_xc = np.real(np.einsum("...f,bf,fl->...bl", cross, w, kernel, optimize=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        summary = np.nanmean(band_xc / norm[..., None], axis=-2)
    summary = np.nan_to_num(summary)
    k = np.clip(np.argmax(summary, axis=-1), 1, lags.size - 2)
    y0, y1, y2 = (
        np.take_along_axis(summary, (k + d)[..., None], axis=-1)[..., 0] for d in (-1, 0, 1)
    )
    denom = y0 - 2 * y1 + y2
    shift = np.where(denom < 0, 0.5 * (y0 - y2) / np.where(denom < 0, denom, 1.0), 0.0)
    return lags[k] + np.clip(shift, -1.0, 1.0) * step


def interaural_time_difference(
    ears: npt.ArrayLike,
    fs: float,
    *,
    band_hz: tuple[float, float] = (200.0, 1500.0),
    max_lag_ms: float = 1.0,
) -> NDArray[np.float64]:
    """Interaural time difference in seconds from the low-frequency cross-correlation.

    Parameters
    ----------
    ears : (..., 2, n_samples) array_like
        Left and right ear signals (or binaural impulse responses).
    fs : float
        Sampling rate in Hz.
    band_hz : (float, float), optional
        Auditory bands (1 ERB apart) whose cross-correlations form the summary correlogram.
    max_lag_ms : float, optional
        Largest lag searched, in ms.

    Returns
    -------
    itd : ndarray, shape ``ears.shape[:-2]``
        Seconds, positive when the left ear leads (a source on the left).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> s = rng.standard_normal(4800)
    >>> ears = np.stack([s, np.roll(s, 24)])          # the right ear 0.5 ms late
    >>> round(float(interaural_time_difference(ears, 48000.0)) * 1e6)
    500
    """
    x, fs = as_ears(ears, fs)
    band = band_limits(band_hz, "band_hz", fs)
    max_lag = as_positive(max_lag_ms, "max_lag_ms") * 1e-3
    spec, freqs = _ear_spectra(x, fs)
    return _itd_from_spectra(spec, freqs, band, max_lag)


def _ild_from_spectra(spec: NDArray, freqs: NDArray, centres: NDArray) -> NDArray[np.float64]:
    w = _gammatone_power(freqs, centres)
    power = np.abs(spec) ** 2 @ w.T  # (..., 2, n_bands)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(power[..., 0, :] / power[..., 1, :])


def interaural_level_difference(
    ears: npt.ArrayLike,
    fs: float,
    *,
    band_hz: tuple[float, float] = (100.0, 16000.0),
    step_erb: float = 1.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Interaural level difference in auditory bands.

    Parameters
    ----------
    ears : (..., 2, n_samples) array_like
        Left and right ear signals (or binaural impulse responses).
    fs : float
        Sampling rate in Hz.
    band_hz : (float, float), optional
        Lowest and highest band centre in Hz.
    step_erb : float, optional
        Band spacing in ERB numbers.

    Returns
    -------
    ild : (..., n_bands) ndarray
        Left over right band energy in dB (positive: the left ear is louder).
    centres : (n_bands,) ndarray
        Band centres in Hz.
    """
    x, fs = as_ears(ears, fs)
    band = band_limits(band_hz, "band_hz", fs)
    centres = erb_space(*band, step=step_erb)
    spec, freqs = _ear_spectra(x, fs)
    return _ild_from_spectra(spec, freqs, centres), centres


def interaural_cross_correlation(
    ears: npt.ArrayLike,
    fs: float,
    *,
    window_ms: tuple[float, float] | None = None,
    max_lag_ms: float = 1.0,
) -> NDArray[np.float64]:
    r"""Interaural cross-correlation coefficient (IACC, ISO 3382-1).

    .. math:: \mathrm{IACC} = \max_{|\tau| \le 1\,ms}
              \frac{|\int p_L(t)\, p_R(t + \tau)\, dt|}{\sqrt{\int p_L^2\, dt \int p_R^2\, dt}}

    Parameters
    ----------
    ears : (..., 2, n_samples) array_like
        Binaural impulse responses (or ear signals).
    fs : float
        Sampling rate in Hz.
    window_ms : (float, float), optional
        Integration limits in ms after the direct sound (the earlier ear's onset, as in
        :func:`arrival_index`): ``(0, 80)`` gives the early IACC\ :sub:`E`, ``(80, inf)`` the
        late one. The whole signal by default.
    max_lag_ms : float, optional
        Largest lag in ms.

    Returns
    -------
    iacc : ndarray, shape ``ears.shape[:-2]``
        Between 0 and 1.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> s = rng.standard_normal(4800)
    >>> float(interaural_cross_correlation(np.stack([s, s]), 48000.0))
    1.0
    """
    x, fs = as_ears(ears, fs)
    max_lag = int(round(as_positive(max_lag_ms, "max_lag_ms") * 1e-3 * fs))
    if window_ms is not None:
        try:
            t0, t1 = (float(v) for v in window_ms)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"window_ms must be a pair (start, end) in ms, got {window_ms!r}"
            ) from exc
        if not (0 <= t0 < t1) or np.isnan(t1):
            raise ValueError(f"window_ms must satisfy 0 <= start < end, got {window_ms!r}")
        onset = np.min(arrival_index(x, fs), axis=-1)
        n = np.arange(x.shape[-1])
        start = onset[..., None] + int(round(t0 * 1e-3 * fs))
        stop = onset[..., None] + (x.shape[-1] if np.isinf(t1) else int(round(t1 * 1e-3 * fs)))
        x = np.where(((n >= start) & (n < stop))[..., None, :], x, 0.0)
        if np.any(np.all(x == 0, axis=-1)):
            raise ValueError(f"ears are silent in window_ms={window_ms!r}")
    from scipy.fft import irfft

    spec, _ = _ear_spectra(x, fs)
    n_fft = 2 * (spec.shape[-1] - 1)
    xc = irfft(np.conj(spec[..., 0, :]) * spec[..., 1, :], n_fft, axis=-1)
    lags = np.concatenate([xc[..., : max_lag + 1], xc[..., n_fft - max_lag :]], axis=-1)
    norm = np.sqrt(np.sum(x[..., 0, :] ** 2, axis=-1) * np.sum(x[..., 1, :] ** 2, axis=-1))
    return np.minimum(np.max(np.abs(lags), axis=-1) / norm, 1.0)
