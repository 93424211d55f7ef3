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
``"side_decorrelated"`` (docs/architecture.md, step 1)
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
:math:`\Phi_{ij}`): :math:`E_m = \lambda E_{m-1} + (1 - \lambda)\,X_m`,
:math:`\lambda = e^{-\text{hop}/(f_s \tau)}`, :math:`\tau` = ``smoothing_s``. Every estimator
uses only ratios of them (and the test ``norm2 > 0``), so the common factor :math:`1 - \lambda`
is left out: the sums :math:`E'_m = \lambda E'_{m-1} + X_m = E_m / (1 - \lambda)` are what is
computed, exactly, by one BLAS ``axpy`` per frame over all bins and quantities at once (a loop
over frames, vectorized over bins; 1.7 ms for 20 s where :func:`scipy.signal.lfilter` along the
frame axis took 33-44 ms). They are causal (usable in real time) and start from zero; every
ratio formed from them is insensitive to that start-up bias. Denominators get the smallest
positive normal number of the working precision as a floor, so silent bins give C = 0 instead of
NaN (the regression weight is bounded by :math:`\sqrt{E|M|^2 / E|S|^2}`, so :math:`\beta S`
stays of the size of M); the floor is absolute, not relative to the whole input, so that the
streaming upmix of :mod:`design.render.streaming` reproduces the offline one exactly.

Precision (``precision=``, default ``"float32"``): the STFT, the averages and the centre
spectrum run in float32 (complex64), the mid/side inputs are rounded once to float32, and the
centre is returned as float64 with the sides formed in float64 from the float64 input, so
:math:`L' + gC = x_L` holds to float64 rounding whatever the precision, and a centre source
still gives C = M (to float32 rounding, S = 0 exactly). On the benchmark's 20 s mixture
(``python -m experiments.benchmarks.render``) every output deviates from the float64 result by
at most 2.0e-7 of the input's peak (passive 1.8e-7, pca 1.7e-7, similarity 1.6e-7,
side-decorrelated with mu = 0.03 1.8e-7; measured), at the level of 24-bit quantisation
(:math:`2^{-23} = 1.2 \cdot 10^{-7}`) and far below every estimator's own error; it runs 1.6x
faster (39 ms against 63 ms for 20 s, which was 100 ms before these changes). Powers of
signals below ~1e-19 of full scale fall into float32's subnormal range and lose precision: use
``"float64"`` for such inputs, and to check the STFT grid to 1e-12 (the tests do).

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
in :mod:`design.render.mixtures` and are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
import scipy.fft as sfft
import scipy.signal as ss
from numpy.typing import NDArray
from scipy.linalg import blas

from acoustics.validation import as_complex_array, as_float_array, as_int, as_positive
from design.render.convolution import overlap_add

__all__ = [
    "UpmixMethod", "UpmixParams", "upmix_lrc", "pca_panning_gain",
    "pca_panning_gain_from_covariance", "Mixture", "synthetic_mixture", "centre_sdr",
    "leakage_db"]  # fmt: skip

UpmixMethod = Literal["passive", "side_decorrelated", "pca", "similarity"]
_METHODS: tuple[str, ...] = get_args(UpmixMethod)
Precision = Literal["float32", "float64"]
_PRECISIONS: tuple[str, ...] = get_args(Precision)
_REAL = {"float32": np.float32, "float64": np.float64}
_AXPY = {np.float32: blas.saxpy, np.float64: blas.daxpy}  # y <- a x + y, in place on y
_SIGNS = np.array([[1.0], [-1.0]])  # mid and side: x_L + x_R, x_L - x_R
_CHUNK = 64  # STFT frames processed at once by upmix_lrc (2 x 64 x 2048 samples = 1 MB)


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
    precision : {"float32", "float64"}
        Arithmetic of the STFT, the averages and the centre spectrum (see the module docstring).
    """

    method: UpmixMethod = "side_decorrelated"
    nperseg: int = 2048
    hop: int = 512
    smoothing_s: float = 0.05
    centre_gain: float = 1.0
    panning_width: float = 0.02
    side_regularization: float = 0.0
    precision: Precision = "float32"

    def __post_init__(self) -> None:
        for name, allowed in (("method", _METHODS), ("precision", _PRECISIONS)):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a str, one of {allowed}, got {value!r:.60}")
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r:.60}")
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


@dataclass(frozen=True)
class UpmixPlan:
    """What every frame of an upmix needs: windows in the working precision, lambda, dtypes."""

    sft: ss.ShortTimeFFT
    win: NDArray  # analysis window, (nperseg,), in the working precision
    dual: NDArray  # synthesis (dual) window, likewise
    lam: float  # one-pole coefficient of the recursive averages
    real: type  # np.float32 or np.float64


def upmix_plan(p: UpmixParams, fs: float) -> UpmixPlan:
    sft = _short_time_fft(p, fs)
    real = _REAL[p.precision]
    lam = float(np.exp(-p.hop / (fs * p.smoothing_s)))
    return UpmixPlan(sft, sft.win.astype(real), sft.dual_win.astype(real), lam, real)


def _frames(x: NDArray, m: int, hop: int, n_frames: int) -> NDArray:
    """Return ``n_frames`` frames of ``m`` samples, ``hop`` apart, from ``x``'s last axis (a view).

    ``x`` must hold at least ``(n_frames - 1) hop + m`` samples.
    """
    if n_frames == 1:  # the streaming case: a plain slice, without as_strided's overhead
        return x[..., None, :m]
    shape = x.shape[:-1] + (n_frames, m)
    strides = x.strides[:-1] + (hop * x.strides[-1], x.strides[-1])
    return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)


def centre_frames(
    plan: UpmixPlan, mid_side: NDArray, n_frames: int, p: UpmixParams, state: dict
) -> NDArray:
    """Centre of ``n_frames`` consecutive STFT frames, the first at ``mid_side[:, 0]``.

    Analysis window, one batched FFT of all frames, :func:`_centre_spectrum`, one batched inverse
    FFT and the synthesis (dual) window: ``(n_frames, nperseg)`` frames for :func:`overlap_add`,
    in ``plan.real`` (``mid_side`` must be of that type). ``ShortTimeFFT.stft`` and ``istft``
    (scipy 1.17) loop over the frames in Python, which was most of the upmix's time; the frame
    grid, windows and FFT convention here are those of ``plan.sft`` (the tests check the result
    against ``sft.stft`` and ``sft.istft``). Each frame's transform is bitwise the same whether
    it is batched with others or alone (pocketfft), so the streaming upmix reproduces it exactly.
    """
    m = plan.sft.m_num
    frames = np.multiply(_frames(mid_side, m, plan.sft.hop, n_frames), plan.win)
    spectra = sfft.rfft(frames, axis=-1, overwrite_x=True)  # (2, n_frames, n_freqs)
    centre = _centre_spectrum(spectra, p, plan.lam, state)
    centre = sfft.irfft(centre, m, axis=-1, overwrite_x=True)
    centre *= plan.dual
    return centre


def _smooth(acc: NDArray, lam: float, state: dict, key: str) -> None:
    r"""Recursive sums along the frame axis of ``acc`` ``(n_frames, k)``, in place, from ``state``.

    :math:`E'_m = \lambda E'_{m-1} + X_m`, continuing ``state[key]`` (the last row of the
    previous call; zeros at first). One BLAS ``axpy`` per frame, vectorized over the row: a
    loop over frames, never over bins. It is the same call whether the frames come in one
    batch (offline) or one by one (streaming), so both give bitwise the same sums.
    """
    axpy = _AXPY[acc.dtype.type]
    prev = state.get(key)
    if prev is not None:
        axpy(prev, acc[0], a=lam)  # acc rows are contiguous: axpy updates them in place
    for m in range(1, acc.shape[0]):
        axpy(acc[m - 1], acc[m], a=lam)
    state[key] = acc[-1].copy()


def _gauss_window(psi: NDArray, width: float) -> NDArray:
    return np.exp(-((1.0 - psi) ** 2) / (2.0 * width))


def _power(z: NDArray, out: NDArray | None = None) -> NDArray:
    """``|z|**2`` without a complex temporary (into ``out`` if given)."""
    out = np.multiply(z.real, z.real, out=out)
    out += z.imag**2
    return out


def _accumulator(n_frames: int, n_freqs: int, k: int, real: type) -> tuple[NDArray, list]:
    """Return a ``(n_frames, k n_freqs)`` array of ``real`` and its ``k`` blocks of columns."""
    acc = np.empty((n_frames, k * n_freqs), real)
    return acc, [acc[:, j * n_freqs : (j + 1) * n_freqs] for j in range(k)]


def _ratio(num: NDArray, den: NDArray) -> NDArray:
    """Complex ``num`` divided by real ``den``, both overwritten (the ratio is in ``num``).

    As ``num * (1 / den)``: a real reciprocal and a complex-by-real product are 5x faster than
    numpy's complex division (or a division of the interleaved real view, whose inner loop is 2
    long), measured on 64 x 1025 bins; it differs from the quotient by an ulp.
    """
    np.reciprocal(den, out=den)
    return np.multiply(num, den, out=num)


def _centre_spectrum(
    spectra: NDArray, p: UpmixParams, lam: float, state: dict | None = None
) -> NDArray:
    """Centre STFT from the STFT of mid and side, ``(2, n_frames, n_freqs)``.

    The STFT is linear, so transforming the mid and side signals gives M and S directly; the
    left and right spectra are ``M + S`` and ``M - S``. ``state`` carries the recursive averages
    from one call to the next (streaming); a new dict starts them from zero. The arithmetic is
    that of ``spectra``' dtype (complex64 or complex128).
    """
    state = {} if state is None else state
    mid, side = spectra[0], spectra[1]
    if p.method == "passive":
        return mid.copy()
    real = mid.real.dtype.type
    floor = np.finfo(real).tiny  # denominator floor: silent bins give 0, not NaN
    n_frames, n_freqs = mid.shape
    if p.method == "side_decorrelated":
        mu = p.side_regularization
        acc, blocks = _accumulator(n_frames, n_freqs, 4 if mu > 0 else 3, real)
        denominator = _power(side, out=blocks[0])  # E'|S|^2
        cross = acc[:, n_freqs : 3 * n_freqs].view(mid.dtype)  # E'[M S*], (re, im) interleaved
        np.multiply(mid, side.conj(), out=cross)
        if mu > 0:  # mu = 0 adds exactly nothing: skip E|M|^2
            _power(mid, out=blocks[3])
        _smooth(acc, lam, state, "side_decorrelated")
        if mu > 0:
            blocks[3] *= mu
            denominator += blocks[3]
        denominator += floor
        beta = _ratio(cross, denominator)
        centre = np.multiply(beta, side)
        return np.subtract(mid, centre, out=centre)
    X = np.stack([mid + side, mid - side])
    acc, blocks = _accumulator(n_frames, n_freqs, 4, real)
    r00, r11 = _power(X[0], out=blocks[0]), _power(X[1], out=blocks[1])
    r01 = acc[:, 2 * n_freqs :].view(mid.dtype)
    np.multiply(X[0], X[1].conj(), out=r01)
    _smooth(acc, lam, state, p.method)
    if p.method == "similarity":
        psi = 2.0 * np.abs(r01) / (r00 + r11 + floor)
        return _gauss_window(psi, p.panning_width) * mid
    # pca: principal eigenvector of [[r00, r01], [r01*, r11]] from whichever row is better posed
    lam1 = 0.5 * (r00 + r11 + np.sqrt((r00 - r11) ** 2 + 4.0 * _power(r01)))
    row0 = np.stack([r01, (lam1 - r00).astype(mid.dtype)])
    row1 = np.stack([(lam1 - r11).astype(mid.dtype), r01.conj()])
    n0, n1 = np.sum(_power(row0), axis=0), np.sum(_power(row1), axis=0)
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
    precision: Precision = "float32",
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
    precision : {"float32", "float64"}, optional
        Arithmetic of the STFT, the averages and the centre spectrum. ``"float32"`` (default)
        is about twice as fast and deviates from ``"float64"`` by ~1e-7 of the peak (module
        docstring); the re-summation below holds to float64 rounding either way.

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
    ``"side_decorrelated"`` (docs/architecture.md, step 1, docs/references.md "Upmix") per bin:

    .. math:: C = M - \frac{E[M S^*]}{E[|S|^2]}\, S,
       \qquad M = \tfrac{1}{2}(X_L + X_R),\; S = \tfrac{1}{2}(X_L - X_R).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> v = rng.standard_normal(48000)
    >>> L, R, C = upmix_lrc(np.stack([v, v]), 48000.0)        # float32 arithmetic: ~1e-7
    >>> bool(np.allclose(C, v, atol=2e-6)), bool(np.allclose(L, 0.0, atol=2e-6))
    (True, True)
    >>> L, R, C = upmix_lrc(np.stack([v, v]), 48000.0, precision="float64")
    >>> bool(np.allclose(C, v, rtol=0, atol=1e-12)), bool(np.allclose(L, 0.0, atol=1e-12))
    (True, True)
    """
    x = _as_stereo(stereo)
    fs = as_positive(fs, "fs")
    p = UpmixParams(method, nperseg, hop, smoothing_s, centre_gain, panning_width,
                    side_regularization, precision)  # fmt: skip
    plan = upmix_plan(p, fs)
    sft = plan.sft
    # ShortTimeFFT's frames p_min ... p_max(n) - 1; frame p starts at sample p hop - nperseg/2.
    n = x.shape[1]
    n_frames = sft.p_max(max(n, p.nperseg)) - sft.p_min  # frames past n (short input) add 0
    first = sft.p_min * p.hop - sft.m_num_mid  # first sample of the first frame (<= 0)
    n_strips = -(-p.nperseg // p.hop)
    mid_side = np.zeros((2, (n_frames + n_strips) * p.hop), plan.real)  # zero-padded both ends
    to_mid_side(x, mid_side[:, -first : -first + n])
    centre = np.zeros(mid_side.shape[1], plan.real)
    state: dict = {}
    for k in range(0, n_frames, _CHUNK):  # chunks of frames: every array stays in the cache
        frames = centre_frames(plan, mid_side[:, k * p.hop :], min(_CHUNK, n_frames - k), p,
                                state)  # fmt: skip
        overlap_add(frames, p.hop, centre[k * p.hop :])
    centre = centre[-first : -first + n].astype(np.float64)
    return _sides(x, centre, p.centre_gain) + (centre,)


def to_mid_side(x: NDArray[np.float64], out: NDArray) -> None:
    """Write mid ``(x_L + x_R) / 2`` and side ``(x_L - x_R) / 2`` of ``x`` into ``out`` (2, n).

    Formed in float64 and rounded once to ``out``'s type, the same way offline and streaming
    (``x_L + (-x_R)`` is ``x_L - x_R`` exactly).
    """
    both = np.multiply(x[1], _SIGNS)  # (x_R, -x_R)
    np.add(x[0], both, out=both)
    np.multiply(both, 0.5, out=out)


def _sides(
    x: NDArray[np.float64], centre: NDArray[np.float64], gain: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``x[0] - g C`` and ``x[1] - g C`` in float64: they re-sum to the input to rounding."""
    gc = centre if gain == 1.0 else gain * centre
    return x[0] - gc, x[1] - gc


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


from design.render.mixtures import Mixture, centre_sdr, leakage_db, synthetic_mixture  # noqa: E402
