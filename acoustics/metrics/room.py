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
largest magnitude within 1 ms after it.

"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.geometry import SPEED_OF_SOUND
from acoustics.transfer import TransferMatrix
from acoustics.validation import as_float_array, as_int, as_positive, as_speed_of_sound

__all__ = [
    "sabine_t60",
    "eyring_t60",
    "critical_distance",
    "schroeder_decay",
    "decay_time",
    "DecayKind",
    "clarity",
    "definition",
    "direct_to_reverberant_ratio",
    "arrival_index",
    "directivity_factor",
    "directivity_index",
    "octave_band_filter",
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


#: The reverberation times of ISO 3382-1 :func:`decay_time` evaluates.
DecayKind = Literal["T20", "T30", "EDT"]


def decay_time(ir: npt.ArrayLike, fs: float, *, kind: DecayKind = "T30") -> NDArray[np.float64]:
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
        directions with quadrature weights (its ``directions``).
    weights : (n_sources,) or (n_sources, n_freqs) array_like, optional
        Complex driver weights; required unless ``tm`` has a single source.

    Returns
    -------
    q : (n_freqs,) ndarray
        On-axis intensity over the sphere-averaged intensity (1 for a point source).
    """
    if not isinstance(tm, TransferMatrix):
        raise TypeError(f"tm must be a TransferMatrix, got {type(tm).__name__}")
    if tm.directions is None or tm.directions.weights is None or "axis" not in tm.receivers:
        raise ValueError(
            "tm must come from acoustics.freefield.sphere_transfer (quadrature-weighted directions)"
        )
    quad = tm.directions.weights
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
    fraction = as_int(fraction, "fraction", 1)
    lo, hi = fc * 2.0 ** (-0.5 / fraction), fc * 2.0 ** (0.5 / fraction)
    if hi >= fs / 2:
        raise ValueError(
            f"centre_hz {fc:g} puts the band edge {hi:g} Hz above fs / 2 = {fs / 2:g} Hz"
        )
    sos = butter(order, [lo, hi], btype="bandpass", fs=fs, output="sos")
    return sosfilt(sos, h, axis=-1)
