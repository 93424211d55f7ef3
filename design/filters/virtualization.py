r"""Virtualization (crosstalk simulation): an all-pass ipsilateral, a delayed low-pass contra path.

A loudspeaker at azimuth :math:`\theta` reaches the near (ipsilateral) ear with :math:`P_i` and the
far (contralateral) ear with :math:`P_c`. Relative to the near ear the far ear gets

.. math:: H_{rel}(f) = P_c(f) / P_i(f),

a delayed (interaural time difference, ITD) and high-frequency-shadowed copy. The virtualizer
(docs/architecture.md, step 2) gives each input that relative response: the ipsilateral path
:math:`A` is an all-pass (:math:`|A| = 1`: the near ear's tonal balance is unchanged) and the
contralateral path :math:`B` a delayed low-pass, fitted so that :math:`B / A \approx H_{rel}`. With
:math:`L_v, R_v` the virtual left / right speaker signals (inputs ``("left", "right")``), the
outputs are the ear signals that the crosstalk canceller should reproduce (outputs
``("left", "right")``):

.. math:: e_L = A\,L_v + B\,R_v, \qquad e_R = B\,L_v + A\,R_v,

i.e. ``W[output, input] = [[A, B], [B, A]]``. The fit is for the virtual LEFT speaker at
:math:`+\theta` (listener frame, azimuth counter-clockwise, +90 = left), whose ipsilateral ear is
the left one; the right speaker at :math:`-\theta` is its mirror image (exact for the symmetric
models of :mod:`acoustics.heads`; :func:`exact_relative_response` takes each side as it is).

Model. Sections come from analog prototypes by the bilinear transform at ``fs``, each corner
pre-warped so that it is the digital corner; every section has DC gain 1:

.. math:: B(z) = g\, z^{-\tau f_s} \prod_k S_k(z), \qquad A(z) = \prod_m \mathcal A_m(z),

:math:`S(s) = (1 + s/\omega_z)/(1 + s/\omega_p)` (first order: the head-shadow filter of Brown &
Duda, IEEE TSAP 6(5), 1998, Eq. (1)) or :math:`(s^2/\omega_z^2 + s/(Q_z\omega_z) + 1)/(s^2/
\omega_p^2 + s/(Q_p\omega_p) + 1)`, and :math:`\mathcal A(s) = D(-s)/D(s)` with
:math:`D(s) = 1 + s/\omega` or :math:`s^2/\omega^2 + s/(Q\omega) + 1`. The "low-pass" is a
high-frequency shelf (the head shadow levels off near -10 dB rather than falling to zero), with
poles and zeros in the left half-plane: :math:`B` is minimum phase apart from the delay. Digital
all-pass sections have numerator = reversed denominator, so :math:`|A| = 1` to rounding.

Fit (:func:`fit_virtualizer`). ``scipy.optimize.least_squares`` ("trf", bounded) on a log-spaced
grid over ``freq_range`` minimises the complex log-ratio :math:`\ln(M/H_{rel})`, :math:`M = B/A`,
in the units the result is judged in:

.. math:: r_1 = 20\log_{10}\left|\frac{M}{H_{rel}}\right| \ [\mathrm{dB}], \qquad
          r_2 = w(f)\,\frac{\Delta\tau_p}{20\ \mu s}, \qquad
          \Delta\tau_p(f) = -\frac{\arg(M/H_{rel})}{2\pi f},

so that 20 µs of phase-delay error cost as much as 1 dB, with :math:`w = (1 + (f/1.5\,
\mathrm{kHz})^4)^{-1/2}` keeping the phase term where fine-structure ITD is heard (below about
1.5 kHz; Blauert, *Spatial Hearing*, MIT Press, 1997, Sec. 2.4). Parameters: ``gain_db``,
:math:`\tau` in µs (``[0, 2 ms]``), log10 of the corners (``[f_lo/2, 0.45 fs]``) and of the Q's
(``[0.1, 10]``): every point of the box is a stable, causal pair. Stage 1 fits gain and shelf to
the magnitude; :math:`\tau` starts where the phase term is least on a 5 µs grid; stage 2 fits
everything. An all-pass whose corners lie near the top of the band is nearly a pure delay
over it and trades freely with :math:`\tau`; one more residual, the all-pass's mean group delay
over the band (1 µs of it costing 0.02 dB at every grid point), makes the problem well posed: the
all-pass moves off its upper bound only where it lowers the error. For the rigid sphere, Brown &
Duda and KEMAR it does not: their :math:`H_{rel}` is a minimum-phase shelf times a delay to
within the fit errors, so :math:`A` stays near-idle (about 3 µs of near-constant delay).

Realisation. The delay of :math:`D = \tau f_s` samples is a Kaiser-windowed sinc of 32 taps
(:math:`\beta = 8`; Laakso et al., "Splitting the unit delay", IEEE Signal Process. Mag. 13(1),
1996, Sec. 3.2): by Kaiser's formulas (attenuation :math:`\beta/0.1102 + 8.7 = 81` dB,
:math:`\delta = 8.6\cdot 10^{-5}`, transition :math:`(81 - 8)/(2.285 \cdot 31)` rad centred on
Nyquist) its complex error is below :math:`2\delta = 1.7\cdot 10^{-4}` (-75 dB) up to
:math:`0.4 f_s`. So that its taps are causal, both paths carry a bulk latency of
``latency_samples`` whole samples, which cancels in :math:`B/A`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray
from scipy.optimize import least_squares
from scipy.signal import oaconvolve, sosfilt

from acoustics.geometry import DEFAULT_FS, SPEED_OF_SOUND, sph_to_cart
from acoustics.heads import HeadModel
from acoustics.validation import (
    as_complex_array,
    as_float_array,
    as_freqs,
    as_int,
    as_positive,
    as_real,
)
from design.filters.fir import FilterSet, FIRFilterSet

__all__ = [
    "Virtualizer", "fit_virtualizer", "iir_response", "fir_filters", "exact_relative_response",
    "apply_virtualizer", "fractional_delay", "CHANNELS"]  # fmt: skip

#: Input (virtual speakers) and output (ear signals) labels of every filter set here.
CHANNELS: tuple[str, str] = ("left", "right")
_ITD_CUTOFF_HZ = 1500.0  # phase weight w(f) = (1 + (f / cutoff)^4)^(-1/2)
_US_PER_DB = 20.0  # phase-delay error in µs that costs as much as 1 dB
_AP_PENALTY = 0.02  # dB per µs of mean all-pass group delay, at every grid point
_Q_BOUNDS = (0.1, 10.0)
_MAX_DELAY_S = 2e-3  # well above the largest human ITD (about 0.8 ms)
_FD_HALF, _FD_BETA = 16, 8.0  # windowed-sinc fractional delay: half-length (taps), Kaiser beta
_TAIL_SAMPLES = 1 << 16  # extra samples over which FIR truncation errors are measured
_LOW_BAND = (200.0, 4000.0)  # band of the "_200_4k" error figures
_TOL = 1e-6  # ftol and xtol of least_squares
_N_PARAMS = {("lowpass", 2): 4, ("lowpass", 1): 2, ("allpass", 2): 2, ("allpass", 1): 1}


def _check_azimuth(azimuth_deg: object) -> float:
    az = as_real(azimuth_deg, "azimuth_deg")
    if not 0.0 < az < 90.0:
        raise ValueError(f"azimuth_deg must be in (0, 90) degrees (the LEFT virtual speaker; "
                         f"the right one mirrors it), got {az:g}")  # fmt: skip
    return az


def _require(value: object, kind: type, name: str) -> Any:
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be a {kind.__name__}, got {type(value).__name__}")
    return value


def _check_sos(value: npt.ArrayLike, name: str, *, allpass: bool = False) -> NDArray:
    sos = as_float_array(value, name)
    if sos.ndim != 2 or sos.shape[1] != 6 or sos.shape[0] < 1 or np.any(sos[:, 3] != 1.0):
        raise ValueError(f"{name} must have shape (n_sections >= 1, 6) and a0 = 1, got {sos!r:.80}")
    a1, a2 = sos[:, 4].astype(complex), sos[:, 5].astype(complex)
    disc = np.sqrt(a1**2 - 4.0 * a2)
    if np.any(np.maximum(np.abs(-a1 + disc), np.abs(-a1 - disc)) / 2.0 >= 1.0):
        raise ValueError(f"{name} must be stable (all poles inside the unit circle)")
    order = np.where(sos[:, 5] != 0, 2, np.where(sos[:, 4] != 0, 1, 0))
    reverse = np.stack([np.roll(r, k - 2) for r, k in zip(sos[:, :2:-1], order, strict=True)])
    if allpass and np.any(np.abs(sos[:, :3] - reverse) > 1e-12):
        raise ValueError(f"{name} must be all-pass (numerator = reversed denominator)")
    return sos


def fractional_delay(delay_samples: float) -> tuple[NDArray[np.float64], int]:
    r"""Return a causal FIR for a delay of ``delay_samples`` (any real >= 0) and its added latency.

    Parameters
    ----------
    delay_samples : float
        The delay :math:`D \ge 0` in samples.

    Returns
    -------
    taps : (n,) ndarray
        :math:`h[n] = \mathrm{sinc}(n - D_t)\, I_0(\beta\sqrt{1 - ((n - D_t)/K)^2}) / I_0(\beta)`
        on the :math:`2K = 32` samples around :math:`D_t = D + \mathrm{latency}`, zeros before
        (accuracy: module notes); a single unit tap when :math:`D` is whole.
    latency : int
        :math:`\max(0, K - 1 - \lfloor D \rfloor)` samples, added so that the taps are causal.

    Examples
    --------
    >>> taps, latency = fractional_delay(20.0)
    >>> latency, int(np.argmax(taps)), float(taps.max())
    (0, 20, 1.0)
    """
    d = as_positive(delay_samples, "delay_samples", allow_zero=True)
    latency = max(0, _FD_HALF - 1 - int(np.floor(d)))
    total = d + latency
    start = int(np.floor(total)) - _FD_HALF + 1
    x = np.arange(start, start + 2 * _FD_HALF) - total
    window = np.i0(_FD_BETA * np.sqrt(np.clip(1.0 - (x / _FD_HALF) ** 2, 0.0, None)))
    taps = np.zeros(start + 2 * _FD_HALF)
    sinc = np.where(x == np.round(x), x == 0, np.sinc(x))  # exact zeros at whole samples
    taps[start:] = sinc * window / np.i0(_FD_BETA)
    return taps, latency


@dataclass(frozen=True, eq=False)
class Virtualizer:
    r"""A fitted crosstalk-simulation pair for virtual speakers at :math:`\pm\theta`.

    Parameters
    ----------
    sos_ipsi : (n_sections, 6) array_like
        The ipsilateral all-pass :math:`A`, ``scipy.signal`` second-order sections (numerator =
        reversed denominator; ``[[1, 0, 0, 1, 0, 0]]`` for none).
    sos_contra : (n_sections, 6) array_like
        The contralateral shelf :math:`g \prod S_k`, without the delay.
    delay_s : float
        Contralateral delay :math:`\tau` in seconds, in ``[0, 2 ms]``.
    fs : float
        Sampling rate in Hz of the sections.
    azimuth_deg : float
        Azimuth of the left virtual speaker in degrees, in (0, 90).
    freqs : (n_freqs,) array_like
        Fit grid in Hz.
    h_rel : (n_freqs,) array_like
        The target :math:`H_{rel} = P_c / P_i` on ``freqs``.
    params : mapping
        ``gain_db``, ``delay_us``, and ``lowpass`` / ``allpass``: one dict per section with its
        ``order``, corners in Hz (``f_pole``, ``f_zero`` or ``f``) and Q's (None for order 1).
    fit_error : mapping
        ``max_db`` / ``rms_db``: magnitude error of :math:`B/A` re :math:`H_{rel}` in dB;
        ``max_us`` / ``rms_us``: phase-delay error :math:`\Delta\tau_p` in µs (phase wrapped to
        :math:`\pm\pi`), over the fit grid; the same with suffix ``_200_4k`` over 200 Hz - 4 kHz
        (NaN where the fit band misses it).
    meta : mapping, optional
        The head, the set-up and the optimiser's report.

    Attributes
    ----------
    delay_fir : (n,) ndarray
        :func:`fractional_delay` taps for :math:`\tau f_s` samples plus ``latency_samples``.
    latency_samples : int
        Whole samples added to both paths by :func:`fir_filters` and :func:`apply_virtualizer`.
    """

    sos_ipsi: NDArray[np.float64]
    sos_contra: NDArray[np.float64]
    delay_s: float
    fs: float
    azimuth_deg: float
    freqs: NDArray[np.float64]
    h_rel: NDArray[np.complex128]
    params: Mapping[str, Any]
    fit_error: Mapping[str, float]
    meta: Mapping[str, Any] = field(default_factory=dict)
    delay_fir: NDArray[np.float64] = field(init=False, repr=False)
    latency_samples: int = field(init=False)

    def __post_init__(self) -> None:
        sos_ipsi = _check_sos(self.sos_ipsi, "sos_ipsi", allpass=True)
        fs = as_positive(self.fs, "fs")
        delay = as_positive(self.delay_s, "delay_s", allow_zero=True)
        if delay > _MAX_DELAY_S:
            raise ValueError(f"delay_s must be at most {_MAX_DELAY_S:g} s, got {delay:g}")
        freqs, h_rel = as_float_array(self.freqs, "freqs"), as_complex_array(self.h_rel, "h_rel")
        if freqs.ndim != 1 or h_rel.shape != freqs.shape:
            raise ValueError(f"freqs and h_rel must be 1-D of one length, got {freqs.shape} "
                             f"and {h_rel.shape}")  # fmt: skip
        for name in ("params", "fit_error", "meta"):
            if not isinstance(getattr(self, name), Mapping):
                raise TypeError(f"{name} must be a mapping, got {type(getattr(self, name))}")
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        taps, latency = fractional_delay(delay * fs)
        for name, val in dict(sos_ipsi=sos_ipsi, sos_contra=_check_sos(self.sos_contra,
                              "sos_contra"), freqs=freqs, h_rel=h_rel, delay_fir=taps, fs=fs,
                              delay_s=delay, azimuth_deg=_check_azimuth(self.azimuth_deg),
                              latency_samples=latency).items():  # fmt: skip
            if isinstance(val, np.ndarray):
                (val := val.copy()).flags.writeable = False
            object.__setattr__(self, name, val)

    def __reduce__(self):
        """Pickle by the constructor's arguments (the read-only mappings are views)."""
        mappings = [_plain(getattr(self, name)) for name in ("params", "fit_error", "meta")]
        args = (self.sos_ipsi, self.sos_contra, self.delay_s, self.fs, self.azimuth_deg,
                self.freqs, self.h_rel, *mappings)  # fmt: skip
        return (type(self), args)


def _plain(value: Any) -> Any:
    """Nested mapping proxies as plain dicts (lists and tuples kept)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    return value


def _proto(f: float, q: float | None, fs: float) -> list[float]:
    """Analog ``[c2, c1, c0]`` of ``s^2/w^2 + s/(q w) + 1`` (or ``s/w + 1`` if q is None)."""
    w = 2.0 * fs * np.tan(np.pi * f / fs)  # pre-warped: the digital corner is at f
    return [0.0, 1.0 / w, 1.0] if q is None else [1.0 / w**2, 1.0 / (q * w), 1.0]


def _bilinear(num: NDArray, den: NDArray, fs: float) -> NDArray[np.float64]:
    """Sections from analog rows ``[c2, c1, c0]`` by ``s = 2 fs (1 - z^-1) / (1 + z^-1)``."""
    k = 2.0 * fs

    def digital(p: NDArray) -> NDArray:  # times (1 + z^-1)^order; order 1 where c2 = 0
        c2, c1, c0 = p[:, 0] * k * k, p[:, 1] * k, p[:, 2]
        second = np.stack([c2 + c1 + c0, 2.0 * (c0 - c2), c2 - c1 + c0], axis=1)
        first = np.stack([c1 + c0, c0 - c1, 0.0 * c0], axis=1)
        return np.where((p[:, 0] == 0)[:, None], first, second)

    b, a = digital(num), digital(den)
    return np.concatenate([b / a[:, :1], a / a[:, :1]], axis=1)


def _sections(x: NDArray, layout: list, fs: float) -> tuple[NDArray, NDArray, NDArray, list]:
    """``(sos_contra, sos_ipsi, analog all-pass denominators, section dicts)`` from ``x``."""
    num, den, ap, described, i = [], [], [], [], 2
    for kind, order in layout:
        n = _N_PARAMS[kind, order]
        v = [float(p) for p in 10.0 ** x[i : i + n]]
        i += n
        if kind == "lowpass":
            fp, qp, fz, qz = v if order == 2 else (v[0], None, v[1], None)
            num.append(_proto(fz, qz, fs))
            den.append(_proto(fp, qp, fs))
            described.append(dict(kind=kind, order=order, f_pole=fp, q_pole=qp, f_zero=fz,
                                  q_zero=qz))  # fmt: skip
        else:
            f0, q = v if order == 2 else (v[0], None)
            ap.append(_proto(f0, q, fs))
            described.append(dict(kind=kind, order=order, f=f0, q=q))
    contra = _bilinear(np.array(num), np.array(den), fs)
    contra[0, :3] *= 10.0 ** (x[0] / 20.0)
    ap = np.array(ap).reshape(-1, 3)
    if ap.size:
        a = _bilinear(ap, ap, fs)[:, 3:]
        b = np.where((a[:, 2] == 0)[:, None], np.stack([a[:, 1], a[:, 0], a[:, 2]], 1),
                     a[:, ::-1])  # fmt: skip
        ipsi = np.concatenate([b, a], axis=1)
    else:
        ipsi = np.array([[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]])
    return contra, ipsi, ap, described


def _sos_response(sos: NDArray, freqs: NDArray, fs: float) -> NDArray[np.complex128]:
    """Frequency response of second-order sections at ``freqs`` (vectorized over bins)."""
    z = np.exp(-2j * np.pi * np.asarray(freqs) / fs)
    powers = np.stack([np.ones_like(z), z, z * z])  # (3, n_f)
    return np.prod((sos[:, :3] @ powers) / (sos[:, 3:] @ powers), axis=0)


def _pair(x: NDArray, layout: list, f: NDArray, fs: float) -> tuple[NDArray, NDArray, NDArray]:
    """Return the paths' responses ``A``, ``B`` (delay included) and the all-pass rows."""
    contra, ipsi, ap, _ = _sections(x, layout, fs)
    delay = np.exp(-2j * np.pi * f * x[1] * 1e-6)
    return _sos_response(ipsi, f, fs), _sos_response(contra, f, fs) * delay, ap


def _allpass_mean_delay(ap: NDArray, f_lo: float, f_hi: float, fs: float) -> float:
    r"""Mean group delay (s) of the all-pass over ``[f_lo, f_hi]``: its unwrapped phase change.

    :math:`\arg\mathcal A = -2\arg D(j\omega)` and :math:`\arg D(j\omega) = \mathrm{atan2}(c_1
    \omega, c_0 - c_2\omega^2)` is continuous (its imaginary part is positive), at the
    pre-warped :math:`\omega` of each edge: exact for the digital sections.
    """
    w = 2.0 * fs * np.tan(np.pi * np.array([f_lo, f_hi]) / fs)[:, None]
    arg = np.sum(np.arctan2(ap[:, 1] * w, ap[:, 2] - ap[:, 0] * w**2), axis=1)
    return float(2.0 * (arg[1] - arg[0]) / (2.0 * np.pi * (f_hi - f_lo)))


def _errors(model: NDArray, target: NDArray, f: NDArray) -> dict[str, float]:
    """Magnitude (dB) and phase-delay (µs) errors of ``model`` re ``target``."""
    ratio = model / target
    db, us = 20.0 * np.log10(np.abs(ratio)), -np.angle(ratio) / (2 * np.pi * f) * 1e6
    out: dict[str, float] = {}
    for suffix, band in (("", f > 0), ("_200_4k", (f >= _LOW_BAND[0]) & (f <= _LOW_BAND[1]))):
        for name, err in (("db", db[band]), ("us", us[band])):
            out[f"max_{name}{suffix}"] = float(np.max(np.abs(err))) if err.size else np.nan
            out[f"rms_{name}{suffix}"] = float(np.sqrt(np.mean(err**2))) if err.size else np.nan
    return out


def _relative(head: HeadModel, f: NDArray, az: float, distance: float, c: float) -> NDArray:
    """``[P_R/P_L for the left speaker at +az, P_L/P_R for the right one at -az]``."""
    if distance <= head.radius:
        raise ValueError(f"distance must exceed the head radius {head.radius:g}, got {distance:g}")
    p = head.ear_responses(sph_to_cart(np.array([az, -az]), 0.0, distance), f, c=c)
    ipsi = np.stack([p[0, 0], p[1, 1]])
    if np.any(ipsi == 0):
        raise ValueError("head gives zero ipsilateral pressure at some of the frequencies; "
                         "leave those out of freqs / freq_range")  # fmt: skip
    return np.stack([p[1, 0], p[0, 1]]) / ipsi


def fit_virtualizer(
    head: HeadModel, *, azimuth_deg: float = 30.0, fs: float = DEFAULT_FS,
    freq_range: tuple[float, float] | None = None, distance: float = 3.0,
    lowpass_order: int = 3, allpass_order: int = 1, n_freqs: int = 200,
    c: float = SPEED_OF_SOUND,
) -> Virtualizer:  # fmt: skip
    r"""Fit the all-pass / delayed-low-pass pair to a head's relative response (module notes).

    Parameters
    ----------
    head : HeadModel
        The ear model, e.g. ``RigidSphere()``, ``BrownDuda()``, ``MeasuredHRTF.kemar()``.
    azimuth_deg : float, optional
        Azimuth of the left virtual speaker in degrees, in (0, 90); the right one is at minus
        it. 0 (nothing to simulate), 90 or more (on or behind the ear axis, where "near" and
        "far" ear lose their frontal meaning) and negative angles are refused.
    fs : float, optional
        Sampling rate in Hz of the filters.
    freq_range : (f_lo, f_hi), optional
        Fit band in Hz, ``0 < f_lo < f_hi < fs / 2``; by default 100 Hz to 16 kHz, or to
        0.45 fs where that is lower (so every fs from 16 kHz up designs).
    distance : float, optional
        Source distance from the head centre in metres (far field: 3 m or more).
    lowpass_order : int, optional
        Order of the contralateral shelf, 1 to 8: ``order // 2`` second-order sections and a
        first-order one if odd. 1 is exactly the structure of Brown & Duda's head shadow.
    allpass_order : int, optional
        Order of the ipsilateral all-pass, 0 (none) to 4, built likewise.
    n_freqs : int, optional
        Points of the log-spaced fit grid, at least 32.
    c : float, optional
        Speed of sound in m/s.

    Returns
    -------
    Virtualizer
        Sections, delay, target, ``params`` and ``fit_error``; ``meta`` holds the set-up and the
        optimiser's ``cost``, ``nfev``, ``status`` and ``message``.

    Examples
    --------
    >>> from acoustics.heads import RigidSphere
    >>> v = fit_virtualizer(RigidSphere(), n_freqs=64)
    >>> bool(v.fit_error["max_db_200_4k"] < 1.0), round(v.params["delay_us"], -1)
    (True, 270.0)
    """
    head, az = _require(head, HeadModel, "head"), _check_azimuth(azimuth_deg)
    fs, c = as_positive(fs, "fs"), as_positive(c, "c")
    distance = as_positive(distance, "distance")
    if freq_range is None:
        freq_range = (100.0, min(16000.0, 0.45 * fs))
    band = as_float_array(freq_range, "freq_range")
    if band.shape != (2,) or not 0.0 < band[0] < band[1] < fs / 2:
        raise ValueError(f"freq_range must be (f_lo, f_hi) with 0 < f_lo < f_hi < fs/2 = "
                         f"{fs / 2:g} Hz, got {freq_range!r}")  # fmt: skip
    lowpass_order = as_int(lowpass_order, "lowpass_order", 1, 8)
    allpass_order = as_int(allpass_order, "allpass_order", 0, 4)
    n_freqs = as_int(n_freqs, "n_freqs", 32, 100_000)
    f = np.geomspace(band[0], band[1], n_freqs)
    target = _relative(head, f, az, distance, c)[0]
    layout = [(kind, o) for kind, n in (("lowpass", lowpass_order), ("allpass", allpass_order))
              for o in [2] * (n // 2) + [1] * (n % 2)]  # sections in parameter order  # fmt: skip

    # x = [gain_db, delay_us, per section log10 of corners and Q's]; start: mild shelves with
    # poles spread over 0.5-8 kHz and zeros an octave up, Q = 0.71, all-passes near the top.
    f_lo, f_top, (q_lo, q_hi) = np.log10(band[0] / 2), np.log10(0.45 * fs), np.log10(_Q_BOUNDS)
    x0, lo, hi = [20 * np.log10(np.abs(target[0])), 0.0], [-60.0, 0.0], [20.0, _MAX_DELAY_S * 1e6]
    poles = iter(np.log10(np.geomspace(500.0, 8000.0, lowpass_order)))
    for kind, order in layout:
        if kind == "lowpass":
            fp = next(poles)
            x0 += [fp, -0.15, fp + 0.3, -0.15] if order == 2 else [fp, fp + 0.3]
        else:
            x0 += [f_top - 0.1, -0.15][:order]
        n = _N_PARAMS[kind, order]
        lo += ([f_lo, q_lo] * 2 if order == 2 else [f_lo, f_lo])[:n]
        hi += ([f_top, q_hi] * 2 if order == 2 else [f_top, f_top])[:n]
    x0, lo, hi = np.array(x0), np.array(lo), np.array(hi)
    weight = (1.0 + (f / _ITD_CUTOFF_HZ) ** 4) ** -0.5
    ap_scale = _AP_PENALTY * np.sqrt(f.size) * 1e6  # mean group delay (s) -> "dB" residual
    shelf = np.r_[0, 2 : 2 + sum(_N_PARAMS[s] for s in layout if s[0] == "lowpass")]

    def magnitude(xs: NDArray) -> NDArray:  # stage 1: gain and shelf only (A, tau: no effect)
        x = x0.copy()
        x[shelf] = xs
        return 20.0 * np.log10(np.abs(_pair(x, layout, f, fs)[1] / target))

    def residuals(x: NDArray) -> NDArray:
        a, b, ap = _pair(x, layout, f, fs)
        ratio = b / (a * target)
        tau_us = -np.angle(ratio) / (2 * np.pi * f) * 1e6
        penalty = ap_scale * _allpass_mean_delay(ap, f[0], f[-1], fs) if ap.size else 0.0
        return np.concatenate([20.0 * np.log10(np.abs(ratio)), weight * tau_us / _US_PER_DB,
                               [penalty]])  # fmt: skip

    x = x0.copy()  # stage 1 only starts stage 2: loose tolerances (exact fits creep to them)
    x[shelf] = least_squares(magnitude, x0[shelf], bounds=(lo[shelf], hi[shelf]), x_scale="jac",
                             ftol=100 * _TOL, xtol=100 * _TOL).x  # fmt: skip
    a, b, _ = _pair(x, layout, f, fs)
    taus = np.linspace(0.0, hi[1], 401)[:, None]  # 5 µs apart: the weighted phase cost's minimum
    shifted = (b / (a * target)) * np.exp(-2j * np.pi * f * taus * 1e-6)
    x[1] = taus[np.argmin(np.sum((weight * np.angle(shifted) / f) ** 2, axis=1)), 0]
    fit = least_squares(residuals, x, bounds=(lo, hi), x_scale="jac", ftol=_TOL, xtol=_TOL)
    contra, ipsi, _, described = _sections(fit.x, layout, fs)
    a, b, _ = _pair(fit.x, layout, f, fs)
    params = dict(gain_db=float(fit.x[0]), delay_us=float(fit.x[1]), **{
        k: [s for s in described if s["kind"] == k] for k in ("lowpass", "allpass")})  # fmt: skip
    meta = dict(head=repr(head)[:200], head_type=type(head).__name__, distance=distance, c=c,
                freq_range=tuple(band.tolist()), lowpass_order=lowpass_order,
                allpass_order=allpass_order, cost=float(fit.cost), nfev=int(fit.nfev),
                status=int(fit.status), message=str(fit.message))  # fmt: skip
    return Virtualizer(ipsi, contra, fit.x[1] * 1e-6, fs, az, f, target, params,
                       _errors(b / a, target, f), meta)  # fmt: skip


def _mixing(a: NDArray, b: NDArray) -> NDArray:
    """``W[output, input] = [[A, B], [B, A]]`` over the last axis."""
    return np.stack([np.stack([a, b]), np.stack([b, a])])


def iir_response(virtualizer: Virtualizer, freqs: npt.ArrayLike) -> FilterSet:
    r"""Return the IIR form's frequency response: sections and exact delay, no bulk latency.

    Parameters
    ----------
    virtualizer : Virtualizer
        The design.
    freqs : (n_freqs,) array_like
        Frequencies in Hz, strictly increasing within ``[0, fs/2]``.

    Returns
    -------
    FilterSet
        ``W[output, input]``, inputs the virtual speakers ``("left", "right")``, outputs
        (``drivers``) the ear signals ``("left", "right")``: :math:`W = [[A, B], [B, A]]`,
        :math:`A = \prod \mathcal A_m`, :math:`B = g \prod S_k\, e^{-j 2\pi f \tau}`.
    """
    v = _require(virtualizer, Virtualizer, "virtualizer")
    f = as_freqs(freqs, "freqs")
    a = _sos_response(v.sos_ipsi, f, v.fs)
    b = _sos_response(v.sos_contra, f, v.fs) * np.exp(-2j * np.pi * f * v.delay_s)
    meta = {"source": "virtualization.iir_response", "outputs": "ear signals"}
    return FilterSet(_mixing(a, b), f, v.fs, CHANNELS, CHANNELS, meta)


def fir_filters(virtualizer: Virtualizer, *, n_taps: int = 1024) -> FIRFilterSet:
    r"""Return the FIR form: the realised impulse responses, truncated to ``n_taps``.

    Parameters
    ----------
    virtualizer : Virtualizer
        The design.
    n_taps : int, optional
        FIR length, longer than ``virtualizer.delay_fir``.

    Returns
    -------
    FIRFilterSet
        ``h[output, input]``, labels and mapping as :func:`iir_response`; ipsilateral: the
        all-pass's impulse response delayed by ``latency_samples``; contralateral: the shelf's
        convolved with :attr:`Virtualizer.delay_fir`. ``latency_samples`` is set.
        ``truncation_error`` per filter is the energy beyond ``n_taps`` over the total; ``meta``
        gives per path (ipsi, contra) ``tail_l1``, the sum of the discarded :math:`|h[n]|`,
        which bounds the error of the FIR's frequency response re the untruncated one; both
        over ``n_taps + 65536`` samples.
        Re :func:`iir_response` the fractional delay adds at most :math:`1.7\cdot 10^{-4}
        \max|B|` below :math:`0.4 f_s` (module notes).
    """
    v = _require(virtualizer, Virtualizer, "virtualizer")
    n_taps = as_int(n_taps, "n_taps", v.delay_fir.size + 1, 1 << 24)
    impulse = np.eye(1, n := n_taps + _TAIL_SAMPLES)[0]
    paths = np.zeros((2, n))
    paths[0, v.latency_samples :] = sosfilt(v.sos_ipsi.copy(), impulse)[: n - v.latency_samples]
    paths[1] = np.convolve(sosfilt(v.sos_contra.copy(), impulse), v.delay_fir)[:n]
    total, tail = np.sum(paths**2, axis=1), np.sum(paths[:, n_taps:] ** 2, axis=1)
    meta = {"source": "virtualization.fir_filters", "outputs": "ear signals",
            "paths": ("ipsi", "contra"),
            "tail_l1": np.sum(np.abs(paths[:, n_taps:]), axis=1).tolist()}  # fmt: skip
    h = _mixing(paths[0, :n_taps], paths[1, :n_taps])
    ipsi, contra = tail / total
    return FIRFilterSet(
        h,
        v.fs,
        CHANNELS,
        CHANNELS,
        float(v.latency_samples),
        meta,
        truncation_error=[[ipsi, contra], [contra, ipsi]],
    )


def exact_relative_response(
    head: HeadModel, freqs: npt.ArrayLike, *, azimuth_deg: float = 30.0, distance: float = 3.0,
    fs: float = DEFAULT_FS, c: float = SPEED_OF_SOUND,
) -> FilterSet:  # fmt: skip
    r"""Return the head's exact relative responses as a filter set, instead of the fitted pair.

    Parameters
    ----------
    head : HeadModel
        The ear model.
    freqs : (n_freqs,) array_like
        Frequencies in Hz, strictly increasing within ``[0, fs/2]`` (the rfft grid for
        :func:`design.filters.fir.to_fir`, whose modelling delay then absorbs any acausal part).
    azimuth_deg, distance, c
        As for :func:`fit_virtualizer`.
    fs : float, optional
        Sampling rate in Hz at which the filters will run.

    Returns
    -------
    FilterSet
        ``W[output, input]``, labels as :func:`iir_response`, with unit ipsilateral paths and
        contralateral paths :math:`P_R(+\theta)/P_L(+\theta)` (left speaker to right ear) and
        :math:`P_L(-\theta)/P_R(-\theta)` (right speaker to left ear), each from its own side,
        so an asymmetric (measured) head keeps its asymmetry.
    """
    head, az = _require(head, HeadModel, "head"), _check_azimuth(azimuth_deg)
    fs, c = as_positive(fs, "fs"), as_positive(c, "c")
    distance = as_positive(distance, "distance")
    f = as_freqs(freqs, "freqs")
    to_right, to_left = _relative(head, f, az, distance, c)
    ones = np.ones(f.shape, complex)
    meta = {"source": "virtualization.exact_relative_response", "head": type(head).__name__,
            "azimuth_deg": az, "distance": distance, "c": c, "outputs": "ear signals"}  # fmt: skip
    w = np.stack([np.stack([ones, to_left]), np.stack([to_right, ones])])
    return FilterSet(w, f, fs, CHANNELS, CHANNELS, meta)


def apply_virtualizer(virtualizer: Virtualizer, stereo: npt.ArrayLike, fs: float) -> NDArray:
    r"""Render virtual-speaker signals to ear signals offline (IIR form).

    Parameters
    ----------
    virtualizer : Virtualizer
        The design.
    stereo : (2, n_samples) array_like
        The (left, right) virtual-speaker signals, finite.
    fs : float
        Their sampling rate in Hz; must equal ``virtualizer.fs``.

    Returns
    -------
    ears : (2, n_samples) ndarray
        :math:`e_L = A L_v + B R_v`, :math:`e_R = B L_v + A R_v`: the sections by
        :func:`scipy.signal.sosfilt`, the delay by :attr:`Virtualizer.delay_fir` (whole samples
        and a windowed-sinc fraction), both paths late by ``latency_samples``; as long as the
        input (the tails are cut, as by :func:`scipy.signal.lfilter`).
    """
    v = _require(virtualizer, Virtualizer, "virtualizer")
    if as_positive(fs, "fs") != v.fs:
        raise ValueError(f"fs must equal the design's rate {v.fs:g} Hz, got {fs:g}")
    x = as_float_array(stereo, "stereo")
    if x.ndim != 2 or x.shape[0] != 2 or x.shape[1] == 0:
        raise ValueError(f"stereo must have shape (2, n_samples), got {x.shape}")
    n, lat = x.shape[1], v.latency_samples
    a = np.zeros_like(x)
    a[:, lat:] = sosfilt(v.sos_ipsi.copy(), x, axis=-1)[:, : max(n - lat, 0)]
    b = oaconvolve(sosfilt(v.sos_contra.copy(), x, axis=-1), v.delay_fir[None], axes=-1)[:, :n]
    return a + b[::-1]
