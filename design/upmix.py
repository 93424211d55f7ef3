r"""Stereo to left, right and centre (LRC) upmix, with synthetic test material and scores.

The centre is estimated per time-frequency bin of a short-time Fourier transform (STFT), synthesised
to the time domain, and the side channels are then *defined* as what remains,

.. math:: L' = x_L - g\,C, \qquad R' = x_R - g\,C,

with ``g = centre_gain``, so every method re-sums to its input (:math:`L' + gC = x_L`) to rounding.
Mid and side are :math:`M = (X_L + X_R)/2` and :math:`S = (X_L - X_R)/2`.

Methods (``method=``):

``"passive"``
    The fixed mid/side matrix :math:`C = M`, hence :math:`L' = S`, :math:`R' = -S` for ``g = 1``.
    It is the ``"side_decorrelated"`` estimator with its regression weight forced to zero, the
    baseline the adaptive methods must beat. A hard-panned source puts half its amplitude
    (-6.02 dB) into C.
``"side_decorrelated"`` (BRIEF.md, step 1)
    The part of M that is minimally correlated with S,
    :math:`C = M - \beta S`, :math:`\beta = E[M S^*] / E[|S|^2]`: a least-squares regression of M on
    S per bin. A centre-panned source (S = 0) gives C = M exactly; a source panned with real gains
    :math:`(a, b)`, :math:`a \ne b`, has :math:`M = \frac{a+b}{a-b} S` and gives C = 0, so
    hard- and part-panned sources leave the centre alike. Equal-power decorrelated ambience has
    :math:`E[M S^*] = 0` and stays in C. The jump from C = M (S = 0) to C = 0 (any *coherent* S)
    makes it fragile: reverberation of a steady harmonic is coherent with it within a bin and
    slightly off-centre, so the voice is removed with it. ``side_regularization`` :math:`\mu`
    (default 0, the formula above) shrinks the regression,
    :math:`\beta = E[M S^*] / (E[|S|^2] + \mu E[|M|^2])`, so a single source with side/mid ratio
    :math:`r` gives the smooth :math:`C = \frac{\mu}{r^2 + \mu} M` (hard panning, r = 1:
    :math:`-6.02 + 20\log_{10}\frac{\mu}{1+\mu}` dB re the input, -37 dB at ``mu = 0.03``).
``"pca"``
    Primary-ambient extraction by principal component analysis (He, Tan & Gan, IEEE/ACM TASLP
    22(2), 2014) of the smoothed 2x2 covariance :math:`R = E[x x^H]` per bin. The principal
    eigenvector :math:`u \propto [1, k]` gives the panning gain :math:`k` (:func:`pca_panning_gain`)
    and the primary component :math:`x_P = \hat u \hat u^H x`. The centre is the primary's mid,
    weighted by how central its panning is:
    :math:`C = w(\psi_k)\,(\hat u_0 + \hat u_1)/2\;(\hat u_0^* X_L + \hat u_1^* X_R)`, with
    :math:`\psi_k = 2|k| / (1 + |k|^2)` (1 for k = 1, 0 for hard panning; it is the similarity a
    source panned with gains (1, k) would have) and the window :math:`w` below.
``"similarity"``
    Avendano & Jot (JAES 52(7/8), 2004): the similarity
    :math:`\psi = 2|\Phi_{LR}| / (\Phi_{LL} + \Phi_{RR})` of recursively averaged (cross-)spectra
    (1 for centre panning, :math:`2ab/(a^2+b^2)` for gains (a, b), near 0 for decorrelated
    ambience), mapped to a centre mask on M: :math:`C = w(\psi)\,M`.

The window of the last two is a Gaussian in the panning index :math:`1 - \psi` centred on the
centre position, as Avendano & Jot unmix a source at a chosen panning index,

.. math:: w(\psi) = \exp\!\left(-\frac{(1 - \psi)^2}{2\xi}\right),
   \qquad \xi = \text{panning\_width} \;(\text{default } 0.02),

so :math:`w(1) = 1` (C = M for a centre source) and a (1, 0.5) source (:math:`\psi = 0.8`) gets
:math:`e^{-1} = 0.37` while a hard-panned one gets :math:`e^{-25}`.

Expectations :math:`E[\cdot]` are one-pole recursive averages over frames (Avendano & Jot, Eq. for
:math:`\Phi_{ij}`): :math:`E_m = \lambda E_{m-1} + (1 - \lambda)\,X_m`, run with
:func:`scipy.signal.lfilter` along the frame axis, :math:`\lambda = e^{-\text{hop}/(f_s \tau)}`,
:math:`\tau` = ``smoothing_s``. They are causal (usable in real time) and start from zero; every
ratio formed from them is insensitive to that start-up bias. Denominators get the smallest
positive float as a floor, so silent bins give C = 0 instead of NaN (the regression weight is
bounded by :math:`\sqrt{E|M|^2 / E|S|^2}`, so :math:`\beta S` stays of the size of M); the floor
is absolute, not relative to the whole input, so that the streaming upmix of
:mod:`design.streaming` reproduces the offline one exactly.

STFT: :class:`scipy.signal.ShortTimeFFT` with a periodic Hann analysis window of ``nperseg``
samples and its canonical dual window for synthesis (``ShortTimeFFT.dual_win``). At
``hop = nperseg / 4`` the dual is the Hann window divided by 1.5 (the Hann/Hann weighted
overlap-add pair); any ``hop <= nperseg / 2`` reconstructs perfectly, so an unmodified bin grid
returns its input to rounding (C = M to ~1e-15 for a centre source). The ``ShortTimeFFT`` object
defines the frames (``p_min ... p_max(n) - 1``, zero-padded at both ends) and the windows; it is
built with ``phase_shift=None``, so a frame's spectrum is the plain FFT of the windowed frame
(every estimator here is bin-wise and equivariant to a per-bin phase, so the centre does not
depend on this). Its ``stft`` and ``istft`` loop over the frames in Python (scipy 1.17), so
:func:`upmix_lrc` transforms the same frames itself, 64 at a time in one batched FFT each way,
and overlap-adds them with the dual window; the tests check this against ``ShortTimeFFT.stft``
and ``istft``. The STFT is linear, so the mid and side signals are transformed, not left and
right.

Test material and scores (:func:`synthetic_mixture`, :func:`centre_sdr`, :func:`leakage_db`) live
in :mod:`design.mixtures` and are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
import scipy.fft as sfft
import scipy.signal as ss
from numpy.typing import NDArray

from acoustics._validate import as_complex_array, as_float_array, as_int, as_positive
from design.convolution import _overlap_add

__all__ = [
    "UpmixMethod", "UpmixParams", "upmix_lrc", "pca_panning_gain",
    "pca_panning_gain_from_covariance", "Mixture", "synthetic_mixture", "centre_sdr",
    "leakage_db"]  # fmt: skip

UpmixMethod = Literal["passive", "side_decorrelated", "pca", "similarity"]
_METHODS: tuple[str, ...] = get_args(UpmixMethod)
_FLOOR = np.finfo(float).tiny  # denominator floor: silent bins give 0, not NaN
_CHUNK = 64  # STFT frames processed at once by upmix_lrc (2 x 64 x 2048 samples = 2 MB)


@dataclass(frozen=True)
class UpmixParams:
    """Validated keyword parameters of :func:`upmix_lrc`; store them beside its results.

    ``upmix_lrc(stereo, fs, **dataclasses.asdict(params))`` reproduces a run.

    Parameters
    ----------
    method : {"passive", "side_decorrelated", "pca", "similarity"}
        Centre estimator (see the module docstring).
    nperseg : int
        STFT window length in samples (>= 16).
    hop : int
        STFT hop in samples, ``1 <= hop <= nperseg // 2`` (perfect reconstruction).
    smoothing_s : float
        Time constant of the recursive averages in seconds (> 0).
    centre_gain : float
        Gain ``g`` with which C re-sums into the sides: ``L' = left - g C`` (> 0).
    panning_width : float
        Variance ``xi`` of the Gaussian centre window in the panning index ``1 - psi``, used by
        ``"pca"`` and ``"similarity"`` (> 0).
    side_regularization : float
        Shrinkage ``mu`` of the ``"side_decorrelated"`` regression (>= 0; 0 is the plain formula).
    """

    method: UpmixMethod = "side_decorrelated"
    nperseg: int = 2048
    hop: int = 512
    smoothing_s: float = 0.05
    centre_gain: float = 1.0
    panning_width: float = 0.02
    side_regularization: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.method, str):
            raise TypeError(f"method must be a str, one of {_METHODS}, got {self.method!r:.60}")
        if self.method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS}, got {self.method!r:.60}")
        nperseg = as_int(self.nperseg, "nperseg", 16)
        object.__setattr__(self, "nperseg", nperseg)
        object.__setattr__(self, "hop", as_int(self.hop, "hop", 1, nperseg // 2))
        for name in ("smoothing_s", "centre_gain", "panning_width"):
            object.__setattr__(self, name, as_positive(getattr(self, name), name))
        mu = as_positive(self.side_regularization, "side_regularization", allow_zero=True)
        object.__setattr__(self, "side_regularization", mu)


def _as_stereo(stereo: npt.ArrayLike) -> NDArray[np.float64]:
    x = as_float_array(stereo, "stereo")
    if x.ndim != 2 or x.shape[0] != 2:
        raise ValueError(f"stereo must have shape (2, n_samples), got shape {x.shape}")
    if x.shape[1] == 0:
        raise ValueError("stereo must hold at least one sample, got shape (2, 0)")
    return x


def _short_time_fft(p: UpmixParams, fs: float) -> ss.ShortTimeFFT:
    """Return the upmix's STFT: periodic Hann window, ``p.hop``, no phase shift (plain FFT)."""
    return ss.ShortTimeFFT(ss.windows.hann(p.nperseg, sym=False), p.hop, fs, phase_shift=None)


def _frames(x: NDArray, m: int, hop: int, n_frames: int) -> NDArray:
    """View of ``n_frames`` frames of ``m`` samples, ``hop`` apart, from the last axis of ``x``."""
    if n_frames == 1:
        return x[..., None, :m]
    return np.lib.stride_tricks.sliding_window_view(x, m, axis=-1)[..., : n_frames * hop : hop, :]


def _centre_frames(
    sft: ss.ShortTimeFFT,
    mid_side: NDArray[np.float64],
    n_frames: int,
    p: UpmixParams,
    lam: float,
    state: dict,
) -> NDArray[np.float64]:
    """Centre of ``n_frames`` consecutive STFT frames, the first at ``mid_side[:, 0]``.

    Analysis window, one batched FFT of all frames, :func:`_centre_spectrum`, one batched inverse
    FFT and the synthesis (dual) window: ``(n_frames, nperseg)`` frames for :func:`_overlap_add`.
    ``ShortTimeFFT.stft`` and ``istft`` (scipy 1.17) loop over the frames in Python, which was most
    of the upmix's time; the frame grid, windows and FFT convention here are those of ``sft``
    (the tests check the result against ``sft.stft`` and ``sft.istft``).
    """
    frames = _frames(mid_side, sft.m_num, sft.hop, n_frames) * sft.win
    spectra = sfft.rfft(frames, axis=-1, workers=-1)  # (2, n_frames, n_freqs)
    centre = sfft.irfft(_centre_spectrum(spectra, p, lam, state), sft.m_num, axis=-1, workers=-1)
    centre *= sft.dual_win
    return centre


def _smooth(x: NDArray, lam: float, state: dict, key: str) -> NDArray:
    """One-pole recursive average along the frame axis (-2), continuing ``state[key]``.

    A complex ``x`` is filtered as its real view: the coefficients are real, so real and imaginary
    parts are filtered alike, at the cost of a real filter.
    """
    y = np.ascontiguousarray(x).view(np.float64) if np.iscomplexobj(x) else x  # [2] n_freqs
    zi = state.get(key)
    if zi is None:
        zi = np.zeros(y.shape[:-2] + (1,) + y.shape[-1:])
    if y.shape[-2] == 1:  # one frame (streaming): the recursion by hand, without lfilter's overhead
        y = (1.0 - lam) * y + zi
        state[key] = lam * y
    else:
        y, state[key] = ss.lfilter([1.0 - lam], [1.0, -lam], y, axis=-2, zi=zi)
    return y.view(x.dtype)


def _gauss_window(psi: NDArray, width: float) -> NDArray[np.float64]:
    return np.exp(-((1.0 - psi) ** 2) / (2.0 * width))


def _power(z: NDArray[np.complex128]) -> NDArray[np.float64]:
    """``|z|**2`` without a complex temporary."""
    return z.real**2 + z.imag**2


def _centre_spectrum(
    spectra: NDArray[np.complex128], p: UpmixParams, lam: float, state: dict | None = None
) -> NDArray[np.complex128]:
    """Centre STFT from the STFT of mid and side, ``(2, ..., n_frames, n_freqs)``.

    The STFT is linear, so transforming the mid and side signals gives M and S directly; the
    left and right spectra are ``M + S`` and ``M - S``. ``state`` carries the recursive averages
    from one call to the next (streaming); a new dict starts them from zero.
    """
    state = {} if state is None else state
    mid, side = spectra[0], spectra[1]
    if p.method == "passive":
        return mid.copy()
    if p.method == "side_decorrelated":
        denominator = _smooth(_power(side), lam, state, "ss")
        if p.side_regularization > 0:  # mu = 0 adds exactly nothing: skip E|M|^2
            denominator += p.side_regularization * _smooth(_power(mid), lam, state, "mm")
        denominator += _FLOOR
        beta = _smooth(mid * side.conj(), lam, state, "ms")
        beta /= denominator  # in place, as are the next two: these arrays are the largest here
        beta *= side
        return np.subtract(mid, beta, out=beta)
    X = np.stack([mid + side, mid - side])
    r00 = _smooth(_power(X[0]), lam, state, "r00")
    r11 = _smooth(_power(X[1]), lam, state, "r11")
    r01 = _smooth(X[0] * X[1].conj(), lam, state, "r01")
    if p.method == "similarity":
        psi = 2.0 * np.abs(r01) / (r00 + r11 + _FLOOR)
        return _gauss_window(psi, p.panning_width) * mid
    # pca: principal eigenvector of [[r00, r01], [r01*, r11]] from whichever row is better posed
    lam1 = 0.5 * (r00 + r11 + np.sqrt((r00 - r11) ** 2 + 4.0 * np.abs(r01) ** 2))
    row0 = np.stack([r01, (lam1 - r00).astype(complex)])
    row1 = np.stack([(lam1 - r11).astype(complex), r01.conj()])
    n0, n1 = np.sum(np.abs(row0) ** 2, axis=0), np.sum(np.abs(row1) ** 2, axis=0)
    u = np.where(n0 >= n1, row0, row1)
    norm2 = np.maximum(n0, n1)
    ok = norm2 > 0  # isotropic (R = lambda I) or silent bins have no primary direction
    u = np.where(ok, u / np.sqrt(np.where(ok, norm2, 1.0)), 0.0)
    psi_k = 2.0 * np.abs(u[0]) * np.abs(u[1])  # = 2|k| / (1 + |k|^2) for unit u = [1, k] / norm
    primary = u[0].conj() * X[0] + u[1].conj() * X[1]
    return _gauss_window(psi_k, p.panning_width) * 0.5 * (u[0] + u[1]) * primary


def upmix_lrc(
    stereo: npt.ArrayLike,
    fs: float,
    *,
    method: UpmixMethod = "side_decorrelated",
    nperseg: int = 2048,
    hop: int = 512,
    smoothing_s: float = 0.05,
    centre_gain: float = 1.0,
    panning_width: float = 0.02,
    side_regularization: float = 0.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    r"""Split a stereo signal into left, right and centre.

    Parameters
    ----------
    stereo : (2, n_samples) array_like
        Left and right input channels (channels first), finite, real.
    fs : float
        Sample rate in Hz.
    method : {"passive", "side_decorrelated", "pca", "similarity"}, optional
        Centre estimator; see the module docstring for each one's formula and citation.
    nperseg : int, optional
        STFT window length in samples (periodic Hann analysis window).
    hop : int, optional
        STFT hop in samples, at most ``nperseg // 2``.
    smoothing_s : float, optional
        Time constant of the recursive averages over frames, in seconds.
    centre_gain : float, optional
        Gain ``g`` of the centre in the re-summation ``L + g C = left``, ``R + g C = right``.
    panning_width : float, optional
        Variance :math:`\xi` of the Gaussian centre window :math:`w(\psi)` (``"pca"``,
        ``"similarity"``).
    side_regularization : float, optional
        Shrinkage :math:`\mu \ge 0` of the ``"side_decorrelated"`` regression (0: plain formula).

    Returns
    -------
    left, right, centre : (n_samples,) ndarray
        ``left = stereo[0] - centre_gain * centre`` and likewise for ``right``.

    Raises
    ------
    ValueError, TypeError
        Naming the argument, for non-finite or mis-shaped ``stereo``, non-positive ``fs``, an
        unknown ``method`` or out-of-range STFT parameters.

    Notes
    -----
    ``"side_decorrelated"`` (BRIEF.md step 1, REFERENCES.md "Upmix") per bin:

    .. math:: C = M - \frac{E[M S^*]}{E[|S|^2]}\, S,
       \qquad M = \tfrac{1}{2}(X_L + X_R),\; S = \tfrac{1}{2}(X_L - X_R).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> v = rng.standard_normal(48000)
    >>> L, R, C = upmix_lrc(np.stack([v, v]), 48000.0)
    >>> bool(np.allclose(C, v)), bool(np.allclose(L, 0.0))
    (True, True)
    """
    x = _as_stereo(stereo)
    fs = as_positive(fs, "fs")
    p = UpmixParams(method, nperseg, hop, smoothing_s, centre_gain, panning_width,
                    side_regularization)  # fmt: skip
    sft = _short_time_fft(p, fs)
    lam = float(np.exp(-p.hop / (fs * p.smoothing_s)))
    # ShortTimeFFT's frames p_min ... p_max(n) - 1; frame p starts at sample p hop - nperseg/2.
    n = x.shape[1]
    n_frames = sft.p_max(max(n, p.nperseg)) - sft.p_min  # frames past n (short input) add 0
    first = sft.p_min * p.hop - sft.m_num_mid  # first sample of the first frame (<= 0)
    n_strips = -(-p.nperseg // p.hop)
    mid_side = np.zeros((2, (n_frames + n_strips) * p.hop))  # zero-padded at both ends
    mid_side[:, -first : -first + n] = [0.5 * (x[0] + x[1]), 0.5 * (x[0] - x[1])]
    centre = np.zeros(mid_side.shape[1])
    state: dict = {}
    for k in range(0, n_frames, _CHUNK):  # chunks of frames: every array stays in the cache
        frames = _centre_frames(sft, mid_side[:, k * p.hop :], min(_CHUNK, n_frames - k), p,
                                lam, state)  # fmt: skip
        _overlap_add(frames, p.hop, centre[k * p.hop :])
    centre = centre[-first : -first + n]
    return x[0] - p.centre_gain * centre, x[1] - p.centre_gain * centre, centre


def pca_panning_gain_from_covariance(
    r00: npt.ArrayLike, r11: npt.ArrayLike, r01: npt.ArrayLike
) -> NDArray:
    r"""Panning gain ``k`` of the principal component from 2x2 covariance entries.

    Parameters
    ----------
    r00, r11 : array_like
        Channel powers :math:`E[|x_0|^2]`, :math:`E[|x_1|^2]` (non-negative, broadcastable).
    r01 : array_like
        Cross term :math:`E[x_0 x_1^*]`, real or complex.

    Returns
    -------
    k : ndarray
        Real where ``r01`` is real, else complex (:math:`x_1 = k\,p`). ``r01 = 0`` gives 0 if
        ``r00 > r11`` and ``inf`` if ``r11 > r00``; ``nan`` if also ``r00 = r11``.

    Notes
    -----
    He, Tan & Gan (IEEE/ACM TASLP 22(2), 2014), for :math:`x_0 = p + a_0`,
    :math:`x_1 = k p + a_1` with uncorrelated, equal-power ambience:

    .. math:: k = \frac{r_{11} - r_{00} + \sqrt{(r_{11} - r_{00})^2 + 4 |r_{01}|^2}}{2 r_{01}},

    the slope of the principal eigenvector; exact in expectation. For :math:`r_{11} < r_{00}` the
    equal form :math:`2 r_{01}^* / (\sqrt{\cdot} - (r_{11} - r_{00}))` avoids cancellation.

    Examples
    --------
    >>> float(pca_panning_gain_from_covariance(1.0 + 0.1, 4.0 + 0.1, 2.0))
    2.0
    """
    r00, r11 = as_float_array(r00, "r00"), as_float_array(r11, "r11")
    real = not np.iscomplexobj(r01)
    r01 = as_complex_array(r01, "r01")
    r01 = r01.real if real else r01
    for name, val in (("r00", r00), ("r11", r11)):
        if np.any(val < 0):
            raise ValueError(f"{name} must be non-negative (a power), got minimum {val.min():g}")
    d = r11 - r00
    root = np.sqrt(d**2 + 4.0 * np.abs(r01) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):  # d < 0: the same k without cancellation
        return np.where(d >= 0, (d + root) / (2.0 * r01), 2.0 * np.conj(r01) / (root - d))[()]


def pca_panning_gain(x0: npt.ArrayLike, x1: npt.ArrayLike, *, axis: int = -1) -> NDArray:
    r"""Panning gain ``k`` of the principal component of two signals.

    Parameters
    ----------
    x0, x1 : array_like
        Signals of the same shape (real or complex), averaged along ``axis``.
    axis : int, optional
        Sample axis; other axes are independent batches.

    Returns
    -------
    k : ndarray
        :func:`pca_panning_gain_from_covariance` of the sample covariances
        :math:`\hat r_{ij} = \langle x_i x_j^* \rangle`.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> p = rng.standard_normal(1000)
    >>> float(np.round(pca_panning_gain(p, 0.2 * p), 12))
    0.2
    """
    a0, a1 = as_complex_array(x0, "x0"), as_complex_array(x1, "x1")
    if a0.ndim == 0 or a0.size == 0:
        raise ValueError(f"x0 must be a non-empty array of samples, got shape {a0.shape}")
    if a0.shape != a1.shape:
        raise ValueError(f"x1 must have the shape of x0 {a0.shape}, got {a1.shape}")
    if not (np.iscomplexobj(x0) or np.iscomplexobj(x1)):
        a0, a1 = a0.real, a1.real
    r00, r11 = (np.mean((a * np.conj(a)).real, axis=axis) for a in (a0, a1))
    return pca_panning_gain_from_covariance(r00, r11, np.mean(a0 * np.conj(a1), axis=axis))


from design.mixtures import Mixture, centre_sdr, leakage_db, synthetic_mixture  # noqa: E402
