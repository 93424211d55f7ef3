r"""Measured head-related transfer functions: a head model built from SOFA impulse responses.

:class:`MeasuredHRTF` turns an :class:`~acoustics.heads.sofa.HRIRSet` (for example the bundled MIT
KEMAR set, :meth:`MeasuredHRTF.kemar`) into a :class:`~acoustics.heads.HeadModel`: the pressure at
the (left, right) ears for a unit point source anywhere outside the head, in the convention of
:mod:`acoustics.heads` (:math:`H \cdot e^{-jkr}/(4\pi r)`, time convention :math:`e^{+j\omega t}`).

References
----------
W. G. Gardner and K. D. Martin, "HRTF measurements of a KEMAR", JASA 97(6), 3907-3908, 1995.
A. Andreopoulou and B. F. G. Katz, "Identification of perceptually relevant methods of
inter-aural time difference estimation", JASA 142(2), 588-598, 2017 (the threshold onset
detector, "Threshold" in the Auditory Modeling Toolbox's ``itdestimator``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray
from scipy.signal import resample_poly

from acoustics.caching import digest
from acoustics.geometry import DEFAULT_FS
from acoustics.heads.interpolation import SphericalTriangulation, check_spans_horizontal_plane
from acoustics.heads.models import HEAD_RADIUS, HeadModel
from acoustics.heads.sofa import HRIRSet, kemar_path, read_hrir
from acoustics.validation import as_positive

__all__ = ["MeasuredHRTF"]

#: Onset threshold re each impulse response's peak magnitude, dB.
ONSET_THRESHOLD_DB: float = -20.0
#: Upsampling factor of the onset detector.
ONSET_UPSAMPLING: int = 8
#: Band (Hz) over which the frontal response is normalised to a mean magnitude of 1.
LEVEL_BAND_HZ: tuple[float, float] = (300.0, 600.0)


@dataclass(frozen=True, eq=False)
class MeasuredHRTF(HeadModel):
    r"""A head model interpolated from measured head-related impulse responses.

    Model. For measured direction :math:`d`, ear :math:`e` and impulse response
    :math:`h_{d,e}[n]` at rate :math:`f_s`, the response at any frequency is its DTFT,

    .. math:: H_{d,e}(f) = \sum_n h_{d,e}[n]\, e^{-j 2\pi f n / f_s}, \qquad 0 \le f \le f_s/2,

    evaluated exactly at the requested frequencies, only for the measured directions a query uses
    (a matrix product; bins of one zero-padded FFT when the frequencies lie on an FFT grid).
    Between measured directions the responses are interpolated after removing each one's onset
    :math:`\tau_{d,e}`, so that neighbours with different delays do not comb-filter; the onsets
    are interpolated with the same weights and re-applied:

    .. math:: \hat H_e(\hat u, f) = g\, e^{-j 2\pi f (\hat\tau_e - t_0)}
              \sum_{i=1}^{3} w_i\, H_{d_i,e}(f)\, e^{+j 2\pi f \tau_{d_i,e}}, \qquad
              \hat\tau_e = \sum_i w_i \tau_{d_i,e},

    with :math:`d_i` and :math:`w_i` the corners and barycentric weights of the triangle of
    measured directions around :math:`\hat u` (:class:`~acoustics.heads.interpolation.
    SphericalTriangulation`). At a measured direction this reproduces :math:`g H_{d,e}
    e^{j 2\pi f t_0}` exactly. The ear pressure of a unit point source at :math:`\mathbf x`
    (distance :math:`r` from the head centre, direction :math:`\hat u`) is

    .. math:: P_e(\mathbf x, f) = \hat H_e(\hat u, f)\, \frac{e^{-jkr}}{4 \pi r}.

    Onsets. :math:`\tau_{d,e}` is the first time the magnitude of an 8x upsampled copy
    (:func:`scipy.signal.resample_poly`) of :math:`h_{d,e}` reaches -20 dB re its peak (the
    "Threshold" ITD estimator of the Auditory Modeling Toolbox; Andreopoulou & Katz 2017).

    Timing. The data's bulk latency :math:`t_0` (the loudspeaker distance and the measurement
    system, largely trimmed in the MIT data) is the mean of both ears' onsets for the measured
    direction nearest the front (azimuth 0, elevation 0): for a frontal source the ears sit at 90
    deg from it and receive the wave at about the time it would reach the head centre. The output
    therefore carries a delay :math:`\hat\tau_e - t_0` relative to the head centre.

    Level. :math:`g` makes the mean magnitude of both ears' frontal responses over 300-600 Hz
    equal to 1, where a head changes the level by well under 1 dB. Measured sets carry an
    arbitrary gain and, for MIT KEMAR, the measurement loudspeaker's response: its low-frequency
    roll-off remains in the data below about 200 Hz (about -4 dB at 100 Hz, -16 dB at 50 Hz).
    The KEMAR responses are taken at the ear simulator's eardrum microphone, so they also include
    the ear-canal resonance (about +20 dB near 2-3 kHz).

    Distance. No near-field correction: the direction-dependent part is the one measured at the
    data's distance (1.4 m for MIT KEMAR), so sources much closer than that (within about 0.5 m)
    lack the near-field rise of the ipsilateral level; only :math:`e^{-jkr}/(4\pi r)` follows
    :math:`r`.

    Parameters
    ----------
    hrir_set : HRIRSet
        Measured impulse responses; at least 4 directions spanning the sphere and the horizontal
        plane (:func:`~acoustics.heads.interpolation.check_spans_horizontal_plane`), receiver 0 the
        left ear (checked: it must be the louder one for the measured direction nearest the left).
    radius : float, optional
        Head radius in metres: sources at or inside it are refused, and the ears of
        :attr:`ear_positions` sit at :math:`\pm` radius on the y axis.

    Attributes
    ----------
    onsets : (n_dirs, 2) ndarray
        Onset :math:`\tau_{d,e}` of each measured response, seconds.
    latency : float
        Bulk latency :math:`t_0`, seconds.
    gain : float
        Level normalisation :math:`g` applied to the data.

    Examples
    --------
    >>> import numpy as np
    >>> hrtf = MeasuredHRTF.kemar()
    >>> p = hrtf.ear_responses([[0.0, 2.0, 0.0]], [1000.0])  # source 2 m to the left
    >>> bool(abs(p[0, 0, 0]) > abs(p[1, 0, 0]))
    True
    """

    hrir_set: HRIRSet
    radius: float = HEAD_RADIUS
    onsets: NDArray[np.float64] = field(init=False, repr=False)
    latency: float = field(init=False)
    gain: float = field(init=False)
    _triangulation: SphericalTriangulation = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.hrir_set, HRIRSet):
            raise TypeError(f"hrir_set must be an HRIRSet, got {type(self.hrir_set).__name__}")
        object.__setattr__(self, "radius", as_positive(self.radius, "radius"))
        hs = self.hrir_set
        if hs.fs / 2 <= LEVEL_BAND_HZ[1]:
            raise ValueError(f"hrir_set.fs must exceed {2 * LEVEL_BAND_HZ[1]:g} Hz, got {hs.fs:g}")
        check_spans_horizontal_plane(hs.directions, "hrir_set.directions")
        _check_ear_order(hs)
        object.__setattr__(self, "_triangulation", SphericalTriangulation(hs.directions))
        onsets = _onsets(hs.hrirs, hs.fs)
        onsets.flags.writeable = False
        front = int(np.argmax(hs.directions[:, 0]))
        band = np.linspace(*LEVEL_BAND_HZ, 61)
        level = np.mean(np.abs(hrir_dtft(hs.hrirs[front], band, hs.fs)))
        if level == 0:
            raise ValueError("hrir_set has no energy in the frontal direction's 300-600 Hz band")
        object.__setattr__(self, "onsets", onsets)
        object.__setattr__(self, "latency", float(np.mean(onsets[front])))
        object.__setattr__(self, "gain", float(1.0 / level))

    @classmethod
    def from_sofa(
        cls, path: str | os.PathLike, *, fs: float | None = DEFAULT_FS, radius: float = HEAD_RADIUS
    ) -> MeasuredHRTF:
        """Build from a ``SimpleFreeFieldHRIR`` SOFA file.

        Parameters
        ----------
        path : str or os.PathLike
            The ``.sofa`` file (see :func:`acoustics.heads.sofa.read_hrir`).
        fs : float or None, optional
            Sampling rate in Hz of the model's data; the responses are resampled with
            :func:`scipy.signal.resample_poly` if the file's rate differs. ``None`` keeps it.
        radius : float, optional
            Head radius in metres.
        """
        hrir_set = read_hrir(path)
        if fs is not None:
            hrir_set = _resample_set(hrir_set, fs)
        return cls(hrir_set, radius)

    @classmethod
    def kemar(cls, *, fs: float | None = DEFAULT_FS) -> MeasuredHRTF:
        """Load the bundled MIT KEMAR set (normal pinna, 710 directions at 1.4 m) at rate ``fs``.

        Cite Gardner & Martin, JASA 97(6), 1995 (see ``acoustics/heads/data/PROVENANCE.md``).
        """
        return cls.from_sofa(kemar_path(), fs=fs)

    def resampled(self, fs: float) -> MeasuredHRTF:
        """Return the same model with its impulse responses resampled to ``fs`` Hz.

        ``up / down`` is the reduced fraction of the rates (160 / 147 for 44.1 -> 48 kHz); the
        anti-aliasing filter of :func:`scipy.signal.resample_poly` leaves the band below the lower
        Nyquist frequency (minus its transition band) unchanged. The responses are scaled by
        ``down / up`` so that, as filters, they keep their frequency response.
        """
        return type(self)(_resample_set(self.hrir_set, fs), self.radius)

    @property
    def cache_key(self) -> tuple:
        """A digest of the data, rate and radius: equal for two loads of the same set."""
        hs = self.hrir_set
        return ("MeasuredHRTF", digest(hs.hrirs, hs.directions), float(hs.fs), float(self.radius))

    @property
    def ear_positions(self) -> NDArray[np.float64]:
        """Ear points ``(2, 3)``: left (0, +radius, 0), right (0, -radius, 0), metres."""
        return np.array([[0.0, self.radius, 0.0], [0.0, -self.radius, 0.0]])

    def _ear_responses(
        self, positions: NDArray[np.float64], freqs: NDArray[np.float64], c: float
    ) -> NDArray[np.complex128]:
        fs = self.hrir_set.fs
        if freqs.max() > fs / 2:
            raise ValueError(
                f"freqs must not exceed the data's Nyquist frequency {fs / 2:g} Hz, got "
                f"{freqs.max():g} Hz; use resampled(fs) for data at a higher rate"
            )
        distance = np.linalg.norm(positions, axis=1)
        corners, weights = self._triangulation.weights(positions)
        used, local = np.unique(corners, return_inverse=True)
        local = local.reshape(corners.shape)
        onsets = self.onsets[used]  # (n_used, 2)
        omega = 2.0 * np.pi * freqs
        aligned = hrir_dtft(self.hrir_set.hrirs[used], freqs, fs) * np.exp(
            1j * onsets[:, :, None] * omega
        )  # (n_used, 2, n_f)
        # Three corners per query: a fixed 3-term sum, vectorized over queries, ears and bins.
        mix = sum(weights[:, i, None, None] * aligned[local[:, i]] for i in range(3))
        tau = np.einsum("qi,qie->qe", weights, onsets[local])  # (n_pos, 2)
        delay = tau - self.latency + distance[:, None] / c
        out = (
            mix
            * np.exp(-1j * delay[:, :, None] * omega)
            * (self.gain / (4.0 * np.pi * distance))[:, None, None]
        )
        return np.ascontiguousarray(out.transpose(1, 0, 2))


def _check_ear_order(hrir_set: HRIRSet) -> None:
    """Refuse a set whose left ear is quieter than its right for a source on the left.

    Receiver 0 is the left ear (+y, SOFA ``ReceiverPosition``). For the measured directions
    nearest the left (azimuth 90 deg) and the right (270 deg), the ear facing the source must
    carry more energy than the other: the head shadows the far ear by 10-20 dB there.
    """
    for target, near, far, side in ((1.0, 0, 1, "left"), (-1.0, 1, 0, "right")):
        idx = int(np.argmax(hrir_set.directions[:, 1] * target))
        energy = np.sum(hrir_set.hrirs[idx] ** 2, axis=-1)
        if energy[near] <= energy[far]:
            raise ValueError(
                f"hrir_set: the {side} ear is quieter than the other for the source on the "
                f"{side} ({10 * np.log10(energy[near] / max(energy[far], 1e-300)):+.1f} dB); the "
                "ears look swapped (receiver 0 must be the left ear, at +y)"
            )


def hrir_dtft(hrirs: NDArray[np.float64], freqs: NDArray[np.float64], fs: float) -> NDArray:
    r"""Return the DTFT ``(..., n_freqs)`` of real responses ``(..., n_taps)`` at ``freqs``.

    When every frequency is a multiple ``k fs / n_fft`` for some ``n_fft >= n_taps`` (e.g. an
    ``rfftfreq`` grid) the DTFT is exactly bin ``k`` of a zero-padded FFT, which is much faster;
    otherwise it is a matrix product with :math:`e^{-j 2\pi f n / f_s}`.
    """
    n_taps = hrirs.shape[-1]
    n_fft = _fft_size(freqs, fs, n_taps)
    if n_fft is not None:
        return np.fft.rfft(hrirs, n_fft)[..., np.rint(freqs * n_fft / fs).astype(np.intp)]
    phase = np.outer(np.arange(n_taps), 2.0 * np.pi * freqs / fs)  # (n_taps, n_f)
    # Two real products instead of one complex one: a quarter of the multiplications.
    return hrirs @ np.cos(phase) - 1j * (hrirs @ np.sin(phase))


def _fft_size(freqs: NDArray[np.float64], fs: float, n_taps: int) -> int | None:
    """Return an FFT length whose bins hold all ``freqs`` exactly, or None."""
    steps = np.diff(np.unique(freqs))
    if steps.size == 0:
        return None
    base = fs / steps.min()
    n_base = int(round(base))
    if n_base < 1 or abs(base - n_base) > 1e-9 * base:
        return None
    n_fft = n_base * int(np.ceil(n_taps / n_base))
    bins = freqs * n_fft / fs
    if n_fft > 2**20 or np.max(np.abs(bins - np.rint(bins))) > 1e-9:
        return None
    return n_fft


def _onsets(hrirs: NDArray[np.float64], fs: float) -> NDArray[np.float64]:
    """Return threshold onsets in seconds, ``hrirs.shape[:-1]``, from an upsampled copy."""
    env = np.abs(resample_poly(hrirs, ONSET_UPSAMPLING, 1, axis=-1))
    threshold = env.max(axis=-1, keepdims=True) * 10.0 ** (ONSET_THRESHOLD_DB / 20.0)
    first = np.argmax(env >= threshold, axis=-1)
    return first / (ONSET_UPSAMPLING * fs)


def _resample_set(hrir_set: HRIRSet, fs: object) -> HRIRSet:
    """Resample every response to ``fs`` with the reduced fraction of the two rates."""
    new_fs = as_positive(fs, "fs")
    if new_fs == hrir_set.fs:
        return hrir_set
    ratio = Fraction(new_fs).limit_denominator(10**6) / Fraction(hrir_set.fs).limit_denominator(
        10**6
    )
    up, down = ratio.numerator, ratio.denominator
    if max(up, down) > 10_000:
        raise ValueError(
            f"fs must be a simple ratio of the data's {hrir_set.fs:g} Hz, got {new_fs:g} Hz "
            f"(up/down = {up}/{down})"
        )
    # Scaled by down/up so that each response keeps its frequency response (DTFT) as a filter.
    hrirs = resample_poly(hrir_set.hrirs, up, down, axis=-1) * (down / up)
    return HRIRSet(
        hrirs,
        hrir_set.fs * up / down,
        hrir_set.directions,
        hrir_set.distance,
        meta={**hrir_set.meta, "ResampledFrom": f"{hrir_set.fs:g} Hz ({up}/{down})"},
    )
