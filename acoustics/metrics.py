r"""Room-acoustic metrics: reverberation time, critical distance, and impulse-response measures.

Directivity
    Directivity factor :math:`Q(f) = |p(\hat{\mathbf a}, f)|^2 / \langle |p|^2 \rangle_{sphere}`
    of a driver or of driver weights :math:`\mathbf w` (:math:`p = \mathbf H \mathbf w`) from a
    :func:`acoustics.freefield.sphere_transfer`; directivity index :math:`10 \log_{10} Q`
    (Beranek, *Acoustics*, 1954, Ch. 4).
Diffuse-field predictions
    Sabine: :math:`T_{60} = \frac{24 \ln 10}{c} \frac{V}{A + 4 m V}`,
    :math:`A = \sum_i S_i \alpha_i`
    (:math:`24 \ln 10 / c = 0.161` s/m at 343 m/s); Eyring: :math:`A` replaced by
    :math:`-S \ln(1 - \bar\alpha)`; :math:`m` the energy attenuation of air in 1/m (Kuttruff,
    *Room Acoustics*, 6th ed., Eq. (5.24), (5.31)). Critical distance, the distance at which direct
    and diffuse energies are equal for a source of directivity factor :math:`Q`:
    :math:`r_c = \sqrt{Q A / (16 \pi)} \approx 0.057 \sqrt{Q V / T_{60}}` (Kuttruff Eq. (5.42)).
From an impulse response (ISO 3382-1:2009)
    Schroeder's backward-integrated energy decay curve (EDC, Schroeder, JASA 37(3), 1965);
    T20 / T30 from a least-squares line through the EDC between -5 and -25 / -35 dB, EDT between
    0 and -10 dB, each extrapolated to 60 dB; clarity
    :math:`C_{50}, C_{80} = 10 \log_{10}(E_{early}/E_{late})` and definition
    :math:`D_{50} = E(0\text{-}50\,ms)/E_{total}`, with time zero at the direct sound;
    direct-to-reverberant ratio with the direct part the arrival peak :math:`\pm 2.5` ms (Zahorik,
    JASA 112(5), 2002).

Measure reverberation times per octave band (:func:`octave_band_filter`, as ISO 3382-1 asks): a
room response to an omnidirectional unit source carries a large low-frequency part (every image
adds with the same sign), which biases broadband decay fits.

The direct sound's arrival is the first sample whose magnitude reaches 20 dB below the response's
peak (ISO 3382-1 A.3.3 puts the onset 20 dB below the maximum), and the arrival *peak* is the
largest
magnitude within 1 ms after it.

Binaural measures
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

from acoustics._validate import as_float_array, as_positive, as_speed_of_sound
from acoustics.geometry import SPEED_OF_SOUND
from acoustics.transfer import TransferMatrix

__all__ = [
    "sabine_t60",
    "eyring_t60",
    "critical_distance",
    "schroeder_decay",
    "decay_time",
    "clarity",
    "definition",
    "direct_to_reverberant_ratio",
    "arrival_index",
    "directivity_factor",
    "directivity_index",
    "octave_band_filter",
    "erb_space",
    "interaural_time_difference",
    "interaural_level_difference",
    "interaural_cross_correlation",
]


def _surfaces(areas: npt.ArrayLike, absorption: npt.ArrayLike) -> tuple[NDArray, NDArray]:
    s = as_float_array(areas, "areas")
    if s.ndim != 1 or s.size == 0 or np.any(s <= 0):
        raise ValueError(
            f"areas must be a 1-D array of positive surface areas in m^2, got {s!r:.60}"
        )
    a = as_float_array(absorption, "absorption")
    if a.ndim == 0:
        a = np.full(s.shape, float(a))
    if a.shape[0] != s.shape[0] or a.ndim > 2:
        raise ValueError(
            f"absorption must have shape ({s.size},) or ({s.size}, n_bands) to match areas, "
            f"got {a.shape}"
        )
    if np.any(a < 0) or np.any(a > 1):
        raise ValueError("absorption must lie in [0, 1] (energy absorption coefficients)")
    return s, a


def _air_term(volume: float, air_attenuation: npt.ArrayLike) -> NDArray:
    m = as_float_array(air_attenuation, "air_attenuation")
    if np.any(m < 0):
        raise ValueError("air_attenuation must be non-negative (energy attenuation in 1/m)")
    return 4.0 * m * volume


def sabine_t60(
    volume: float,
    areas: npt.ArrayLike,
    absorption: npt.ArrayLike,
    *,
    air_attenuation: npt.ArrayLike = 0.0,
    c: float = SPEED_OF_SOUND,
) -> NDArray[np.float64]:
    """Sabine reverberation time.

    Parameters
    ----------
    volume : float
        Room volume in m^3.
    areas : (n_surfaces,) array_like
        Surface areas in m^2.
    absorption : (n_surfaces,) or (n_surfaces, n_bands) array_like
        Energy absorption coefficients in [0, 1] (a scalar applies to every surface).
    air_attenuation : float or (n_bands,) array_like, optional
        Energy attenuation of air, m in 1/m.
    c : float, optional
        Speed of sound in m/s.

    Returns
    -------
    t60 : ndarray
        Seconds; one value per band (a 0-d array for frequency-independent absorption).

    Examples
    --------
    >>> round(float(sabine_t60(50.0, [100.0], 0.2)), 3)  # 0.161 * 50 / 20
    0.403
    """
    v = as_positive(volume, "volume")
    s, a = _surfaces(areas, absorption)
    c = as_speed_of_sound(c)
    area = np.tensordot(s, a, axes=(0, 0)) + _air_term(v, air_attenuation)
    if np.any(area <= 0):
        raise ValueError("absorption must not be zero everywhere: the room would never decay")
    return 24.0 * np.log(10.0) / c * v / area


def eyring_t60(
    volume: float,
    areas: npt.ArrayLike,
    absorption: npt.ArrayLike,
    *,
    air_attenuation: npt.ArrayLike = 0.0,
    c: float = SPEED_OF_SOUND,
) -> NDArray[np.float64]:
    """Eyring reverberation time, with the area-weighted mean absorption.

    Parameters are those of :func:`sabine_t60`; a mean absorption of 1 gives 0 s.
    """
    v = as_positive(volume, "volume")
    s, a = _surfaces(areas, absorption)
    c = as_speed_of_sound(c)
    mean = np.tensordot(s, a, axes=(0, 0)) / s.sum()
    with np.errstate(divide="ignore"):
        area = -s.sum() * np.log1p(-mean) + _air_term(v, air_attenuation)
    if np.any(area <= 0):
        raise ValueError("absorption must not be zero everywhere: the room would never decay")
    return 24.0 * np.log(10.0) / c * v / area


def critical_distance(
    volume: float,
    t60: npt.ArrayLike,
    *,
    directivity_factor: npt.ArrayLike = 1.0,
    c: float = SPEED_OF_SOUND,
) -> NDArray[np.float64]:
    """Critical distance from the reverberation time and the source's directivity factor.

    Parameters
    ----------
    volume : float
        Room volume in m^3.
    t60 : float or array_like
        Reverberation time in seconds (Sabine's equivalent absorption area follows from it).
    directivity_factor : float or array_like, optional
        Q of the source towards the listener (1 for an omnidirectional source).
    c : float, optional
        Speed of sound in m/s.

    Returns
    -------
    r_c : ndarray
        Metres, broadcast over ``t60`` and ``directivity_factor``.

    Examples
    --------
    >>> round(float(critical_distance(50.0, 0.4)), 3)   # docs/references.md: about 0.64 m
    0.633
    """
    v = as_positive(volume, "volume")
    t = as_float_array(t60, "t60")
    q = as_float_array(directivity_factor, "directivity_factor")
    if np.any(t <= 0):
        raise ValueError("t60 must be positive (seconds)")
    if np.any(q <= 0):
        raise ValueError("directivity_factor must be positive")
    area = 24.0 * np.log(10.0) / as_speed_of_sound(c) * v / t
    return np.sqrt(q * area / (16.0 * np.pi))


def _as_ir(ir: npt.ArrayLike, fs: float) -> tuple[NDArray[np.float64], float]:
    h = as_float_array(ir, "ir")
    if h.ndim < 1 or h.shape[-1] < 2:
        raise ValueError(f"ir must have at least two samples on its last axis, got shape {h.shape}")
    if np.any(np.all(h == 0, axis=-1)):
        raise ValueError("ir must not be all zeros")
    return h, as_positive(fs, "fs")


def arrival_index(ir: npt.ArrayLike, fs: float) -> NDArray[np.intp]:
    """Index of the direct sound's onset: the first sample within 20 dB of the peak magnitude.

    Parameters
    ----------
    ir : (..., n_samples) array_like
        Impulse responses.
    fs : float
        Sampling rate in Hz.

    Returns
    -------
    index : ndarray of int, shape ``ir.shape[:-1]``
    """
    h, _ = _as_ir(ir, fs)
    mag = np.abs(h)
    return np.argmax(mag >= 0.1 * mag.max(axis=-1, keepdims=True), axis=-1)


def _arrival_peak(h: NDArray, fs: float) -> NDArray[np.intp]:
    onset = arrival_index(h, fs)
    span = max(1, int(round(1e-3 * fs)))
    idx = onset[..., None] + np.arange(span)
    idx = np.minimum(idx, h.shape[-1] - 1)
    window = np.take_along_axis(np.abs(h), idx, axis=-1)
    return onset + np.argmax(window, axis=-1)


def schroeder_decay(ir: npt.ArrayLike, fs: float) -> NDArray[np.float64]:
    r"""Schroeder's energy decay curve in dB re the total energy.

    Parameters
    ----------
    ir : (..., n_samples) array_like
        Impulse responses (already band-filtered for a per-band decay).
    fs : float
        Sampling rate in Hz.

    Returns
    -------
    edc : (..., n_samples) ndarray
        :math:`10 \log_{10}(\int_t^\infty h^2 / \int_0^\infty h^2)`, 0 dB at the start; ``-inf``
        after the last non-zero sample.
    """
    h, _ = _as_ir(ir, fs)
    energy = np.cumsum((h**2)[..., ::-1], axis=-1)[..., ::-1]
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(energy / energy[..., :1])


def decay_time(ir: npt.ArrayLike, fs: float, *, kind: str = "T30") -> NDArray[np.float64]:
    """Reverberation time from the Schroeder decay (ISO 3382-1).

    Parameters
    ----------
    ir : (..., n_samples) array_like
        Impulse responses; long enough to decay by the evaluation range plus a margin.
    fs : float
        Sampling rate in Hz.
    kind : {"T20", "T30", "EDT"}, optional
        Evaluation range: -5 to -25 dB, -5 to -35 dB, or 0 to -10 dB.

    Returns
    -------
    t : ndarray
        Seconds, extrapolated to a 60 dB decay.
    """
    ranges = {"T20": (-5.0, -25.0), "T30": (-5.0, -35.0), "EDT": (0.0, -10.0)}
    if kind not in ranges:
        raise ValueError(f"kind must be one of {sorted(ranges)}, got {kind!r}")
    h, fs = _as_ir(ir, fs)
    edc = schroeder_decay(h, fs)
    hi, lo = ranges[kind]
    # Start the fit at the direct sound: the time before it is silence, not decay.
    onset = arrival_index(h, fs)
    t = np.arange(h.shape[-1]) / fs
    after = np.arange(h.shape[-1]) >= onset[..., None]
    if np.any(np.min(np.where(after, edc, 0.0), axis=-1) > lo):
        raise ValueError(
            f"ir does not decay by {-lo:g} dB; it is too short (or too noisy) for {kind}"
        )
    mask = after & (edc <= hi) & (edc >= lo)
    n = mask.sum(axis=-1)
    tm = np.sum(np.where(mask, t, 0.0), axis=-1) / n
    em = np.sum(np.where(mask, edc, 0.0), axis=-1) / n
    cov = np.sum(np.where(mask, (t - tm[..., None]) * (edc - em[..., None]), 0.0), axis=-1)
    var = np.sum(np.where(mask, (t - tm[..., None]) ** 2, 0.0), axis=-1)
    slope = cov / var  # dB per second, negative
    return -60.0 / slope


def _energy_split(h: NDArray, fs: float, split_ms: float) -> tuple[NDArray, NDArray]:
    onset = arrival_index(h, fs)
    n = np.arange(h.shape[-1])
    boundary = onset[..., None] + int(round(split_ms * 1e-3 * fs))
    e = h**2
    early = np.sum(np.where((n >= onset[..., None]) & (n < boundary), e, 0.0), axis=-1)
    late = np.sum(np.where(n >= boundary, e, 0.0), axis=-1)
    return early, late


def clarity(ir: npt.ArrayLike, fs: float, *, split_ms: float = 80.0) -> NDArray[np.float64]:
    """Clarity :math:`C_{t}` in dB: early (direct sound to ``split_ms``) over late energy.

    ``split_ms`` 50 gives C50 (speech), 80 gives C80 (music).
    """
    h, fs = _as_ir(ir, fs)
    early, late = _energy_split(h, fs, as_positive(split_ms, "split_ms"))
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(early / late)


def definition(ir: npt.ArrayLike, fs: float, *, split_ms: float = 50.0) -> NDArray[np.float64]:
    """Definition :math:`D_{50}`: energy in ``split_ms`` after the direct sound over the total."""
    h, fs = _as_ir(ir, fs)
    early, late = _energy_split(h, fs, as_positive(split_ms, "split_ms"))
    return early / (early + late)


def direct_to_reverberant_ratio(
    ir: npt.ArrayLike, fs: float, *, window_ms: float = 2.5
) -> NDArray[np.float64]:
    """Direct-to-reverberant ratio in dB; the direct part is the arrival peak +- ``window_ms``.

    Energy before the direct window (there is none in a causal room response) is not counted.
    """
    h, fs = _as_ir(ir, fs)
    peak = _arrival_peak(h, fs)
    half = int(round(as_positive(window_ms, "window_ms") * 1e-3 * fs))
    n = np.arange(h.shape[-1])
    direct_mask = np.abs(n - peak[..., None]) <= half
    e = h**2
    direct = np.sum(np.where(direct_mask, e, 0.0), axis=-1)
    reverberant = np.sum(np.where(n > peak[..., None] + half, e, 0.0), axis=-1)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(direct / reverberant)


def directivity_factor(
    tm: TransferMatrix, weights: npt.ArrayLike | None = None
) -> NDArray[np.float64]:
    """Directivity factor per frequency from a sphere-sampled transfer matrix.

    Parameters
    ----------
    tm : TransferMatrix
        From :func:`acoustics.freefield.sphere_transfer`: receiver ``"axis"`` and quadrature
        directions with ``meta["weights"]``.
    weights : (n_sources,) or (n_sources, n_freqs) array_like, optional
        Complex driver weights; required unless ``tm`` has a single source.

    Returns
    -------
    q : (n_freqs,) ndarray
        On-axis intensity over the sphere-averaged intensity (1 for a point source).
    """
    if not isinstance(tm, TransferMatrix):
        raise TypeError(f"tm must be a TransferMatrix, got {type(tm).__name__}")
    if "weights" not in tm.meta or "axis" not in tm.receivers:
        raise ValueError("tm must come from acoustics.freefield.sphere_transfer (meta['weights'])")
    quad = np.asarray(tm.meta["weights"], dtype=float)
    n_src, n_f = tm.H.shape[1], tm.H.shape[2]
    if weights is None:
        if n_src != 1:
            raise ValueError(f"weights are required for a TransferMatrix of {n_src} sources")
        w = np.ones((1, n_f), dtype=complex)
    else:
        w = np.asarray(weights)
        if w.ndim == 1:
            w = np.broadcast_to(w[:, None], (w.shape[0], n_f))
        if w.shape != (n_src, n_f):
            raise ValueError(
                f"weights must have shape ({n_src},) or ({n_src}, {n_f}), got {w.shape}"
            )
        if not np.all(np.isfinite(w)):
            raise ValueError("weights must be finite")
    p = np.einsum("rsf,sf->rf", tm.H, w)
    intensity = np.abs(p) ** 2
    mean = quad @ intensity
    if np.any(mean <= 0):
        raise ValueError("weights radiate no sound at some frequency: the directivity is undefined")
    return intensity[tm.receivers.index("axis")] / mean


def directivity_index(
    tm: TransferMatrix, weights: npt.ArrayLike | None = None
) -> NDArray[np.float64]:
    r"""Directivity index in dB, :math:`10 \log_{10}` of :func:`directivity_factor`."""
    return 10.0 * np.log10(directivity_factor(tm, weights))


def octave_band_filter(
    ir: npt.ArrayLike, fs: float, centre_hz: float, *, fraction: int = 1, order: int = 3
) -> NDArray[np.float64]:
    r"""Filter impulse responses into one octave (or 1/``fraction``-octave) band.

    A Butterworth band-pass of ``order`` per edge (IEC 61260-1 class-1 like for order 3), applied
    forward only (causal, as a measurement filter is), edges at :math:`f_c\,2^{\pm 1/(2b)}`.

    Parameters
    ----------
    ir : (..., n_samples) array_like
        Impulse responses.
    fs : float
        Sampling rate in Hz.
    centre_hz : float
        Band centre in Hz; the upper edge must lie below fs / 2.
    fraction : int, optional
        1 for octaves, 3 for third-octaves.
    order : int, optional
        Butterworth order per edge.

    Returns
    -------
    band : (..., n_samples) ndarray
    """
    from scipy.signal import butter, sosfilt

    h = as_float_array(ir, "ir")
    fs = as_positive(fs, "fs")
    fc = as_positive(centre_hz, "centre_hz")
    if isinstance(fraction, bool) or not isinstance(fraction, int) or fraction < 1:
        raise ValueError(f"fraction must be a positive integer, got {fraction!r}")
    lo, hi = fc * 2.0 ** (-0.5 / fraction), fc * 2.0 ** (0.5 / fraction)
    if hi >= fs / 2:
        raise ValueError(
            f"centre_hz {fc:g} puts the band edge {hi:g} Hz above fs / 2 = {fs / 2:g} Hz"
        )
    sos = butter(order, [lo, hi], btype="bandpass", fs=fs, output="sos")
    return sosfilt(sos, h, axis=-1)


def _erb(f: NDArray) -> NDArray:
    return 24.7 * (4.37e-3 * f + 1.0)


def _erb_number(f: NDArray) -> NDArray:
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
    e = np.arange(_erb_number(np.array(lo)), _erb_number(np.array(hi)) + 1e-9, st)
    return (10.0 ** (e / 21.4) - 1.0) / 4.37e-3


def _gammatone_power(freqs: NDArray, centres: NDArray) -> NDArray[np.float64]:
    """Fourth-order gammatone power response, ``(n_bands, n_freqs)``."""
    b = 1.019 * _erb(centres)[:, None]
    return (1.0 + ((freqs[None, :] - centres[:, None]) / b) ** 2) ** -4


def _as_ears(ears: npt.ArrayLike, fs: float) -> tuple[NDArray[np.float64], float]:
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


def _band_limits(band_hz: object, name: str, fs: float) -> tuple[float, float]:
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
    x, fs = _as_ears(ears, fs)
    band = _band_limits(band_hz, "band_hz", fs)
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
    x, fs = _as_ears(ears, fs)
    band = _band_limits(band_hz, "band_hz", fs)
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
    x, fs = _as_ears(ears, fs)
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
