r"""Synthetic stereo mixtures with known parts, and scores for centre extraction.

:func:`synthetic_mixture` builds a test programme: a centre voice-like source, a hard-left and a
hard-right instrument, a part-panned source and decorrelated ambience (or the voice's reverb),
each kept as its own stereo image. Scores: :func:`centre_sdr` is BSS-eval's signal-to-distortion
ratio (Vincent, Gribonval & Févotte, IEEE TASLP 14(4), 2006) with only a scalar gain allowed on
the reference (no 512-tap distortion filter), i.e. the scale-invariant SDR of Le Roux et al.
(ICASSP 2019). :func:`leakage_db` projects C on a panned source's mono signal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.signal as ss
from numpy.typing import NDArray

from acoustics.validation import as_float_array, as_int, as_positive
from design.render.audio import as_signal

__all__ = ["Mixture", "synthetic_mixture", "centre_sdr", "leakage_db"]


@dataclass(frozen=True)
class Mixture:
    """A stereo mixture with its known parts (arrays stored read-only).

    Parameters
    ----------
    fs : float
        Sample rate in Hz.
    stereo : (2, n) ndarray
        The mixture, equal to the sum of ``images``.
    images : mapping of str to (2, n) ndarray
        Each component's stereo image.
    sources : mapping of str to (n,) ndarray
        Mono signal of each amplitude-panned component: ``images[k] = outer(gains[k], sources[k])``.
    gains : mapping of str to (float, float)
        (left, right) panning gains of the components in ``sources``.
    centre : tuple of str
        Names of the components that are centre content.

    Attributes
    ----------
    centre_reference : (n,) ndarray
        Mid signal :math:`(L + R)/2` of the centre components: what an ideal C holds.
    """

    fs: float
    stereo: NDArray[np.float64]
    images: Mapping[str, NDArray[np.float64]]
    sources: Mapping[str, NDArray[np.float64]]
    gains: Mapping[str, tuple[float, float]]
    centre: tuple[str, ...]
    centre_reference: NDArray[np.float64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        stereo = _stereo(self.stereo)
        images = {k: as_float_array(v, f"images[{k!r}]") for k, v in dict(self.images).items()}
        sources = {k: as_float_array(v, f"sources[{k!r}]") for k, v in dict(self.sources).items()}
        if any(v.shape != stereo.shape for v in images.values()):
            raise ValueError(f"images must each have the shape of stereo {stereo.shape}")
        if not np.allclose(sum(images.values()), stereo, rtol=1e-9, atol=1e-12):
            raise ValueError("stereo must equal the sum of images")
        if not set(self.centre) <= set(images) or not set(sources) <= set(images):
            raise ValueError(f"centre and sources must name components of images {set(images)}")
        ref = sum((images[c].mean(axis=0) for c in self.centre), np.zeros(stereo.shape[1]))
        for arr in (stereo, ref, *images.values(), *sources.values()):
            arr.flags.writeable = False
        fields = dict(fs=as_positive(self.fs, "fs"), stereo=stereo, centre=tuple(self.centre),
                      images=MappingProxyType(images), sources=MappingProxyType(sources),
                      gains=MappingProxyType(dict(self.gains)), centre_reference=ref)  # fmt: skip
        for key, val in fields.items():
            object.__setattr__(self, key, val)


def _rms(x: NDArray, level_db: float) -> NDArray:
    """``x`` scaled to an RMS of ``level_db`` dB re 1 along its last axis."""
    return x * (10.0 ** (level_db / 20.0) / np.sqrt(np.mean(x**2, axis=-1, keepdims=True)))


def _harmonic(f0: NDArray, fs: float, amps: NDArray) -> NDArray:
    """Sum of harmonics ``h f0(t)``, ``amps`` of shape (n_harmonics, n) (zero above 0.45 fs)."""
    phase = 2.0 * np.pi * np.cumsum(f0) / fs
    h = np.arange(1, amps.shape[0] + 1)[:, None]
    amps = np.where(h * f0[None, :] < 0.45 * fs, amps, 0.0)
    return np.sum(amps * np.sin(h * phase[None, :]), axis=0)


def _notes(n, fs, rng, pitches, rate, n_harm, decay_s) -> NDArray:
    """Plucked notes: onsets every 1/rate s, random pitches, per-harmonic exponential decays."""
    period = int(round(fs / rate))
    note, idx = np.divmod(np.arange(n), period)
    f0 = rng.choice(pitches, size=note[-1] + 1)[note]
    h = np.arange(1, n_harm + 1)[:, None]
    return _harmonic(f0, fs, np.exp(-(idx / fs)[None, :] * h / decay_s) / h)


def synthetic_mixture(
    fs: float, duration_s: float, *, seed: int = 0, ambience: Literal["noise", "reverb"] = "noise"
) -> Mixture:
    """Stereo test mixture with a centre voice, panned instruments and decorrelated ambience.

    Parameters
    ----------
    fs : float
        Sample rate in Hz (>= 8000).
    duration_s : float
        Length in seconds (at least 16 samples).
    seed : int, optional
        Seed of every random choice (pitches, noise).
    ambience : {"noise", "reverb"}, optional
        ``"noise"``: independent Gaussian noise in each channel, first-order low-passed at 1 kHz
        (a diffuse, stationary room tone). ``"reverb"``: the voice convolved with two independent
        exponentially decaying noise tails (RT60 0.5 s, no direct path): near-zero interchannel
        correlation overall, but coherent with the voice within a bin while it holds a pitch
        (the case that defeats the plain ``"side_decorrelated"`` regression).

    Returns
    -------
    Mixture
        Components (per-channel RMS in dB re the voice):

        * ``"voice"``, gains (1, 1), 0 dB: harmonic complex, f0 170-270 Hz gliding per syllable,
          5.5 Hz +-1.5 % vibrato, three vowel-like formants (500, 1500, 2500 Hz), 4 Hz syllable
          envelope. The only centre content.
        * ``"left"``, gains (1, 0), -3 dB: plucked notes (110-330 Hz, 6 per second).
        * ``"right"``, gains (0, 1), -3 dB: sustained organ-like chord with 0.7 Hz tremolo.
        * ``"part_panned"``, gains (1, 0.5), -6 dB (left channel): bass notes (41-98 Hz, 2 per s).
        * ``"ambience"``, -12 dB in each channel.

    Examples
    --------
    >>> mix = synthetic_mixture(16000.0, 0.5)
    >>> mix.stereo.shape, mix.centre
    ((2, 8000), ('voice',))
    """
    fs = as_positive(fs, "fs")
    if fs < 8000.0:
        raise ValueError(f"fs must be at least 8000 Hz for the synthetic mixture, got {fs:g}")
    duration_s = as_positive(duration_s, "duration_s")
    seed = as_int(seed, "seed", 0)
    if ambience not in ("noise", "reverb"):
        raise ValueError(f"ambience must be 'noise' or 'reverb', got {ambience!r:.60}")
    n = int(round(duration_s * fs))
    if n < 16:
        raise ValueError(f"duration_s must give at least 16 samples, got {duration_s:g} s")
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fs

    # voice: one pitch per syllable (4 Hz) with glides, vibrato, formants, syllable envelope
    syll, n_h = 4.0, 30
    n_syll = int(np.ceil(duration_s * syll)) + 1
    glide = np.interp(t * syll, np.arange(n_syll), 170.0 * 2.0 ** (rng.integers(0, 8, n_syll) / 12))
    f0 = glide * (1.0 + 0.015 * np.sin(2.0 * np.pi * 5.5 * t + rng.uniform(0, 2 * np.pi)))
    fh = np.arange(1, n_h + 1)[:, None] * f0[None, :]
    formants = sum(
        g * np.exp(-0.5 * ((fh - fc) / bw) ** 2)
        for fc, bw, g in ((500.0, 120.0, 1.0), (1500.0, 200.0, 0.5), (2500.0, 250.0, 0.3))
    )
    accent = 0.6 + 0.4 * rng.uniform(size=n_syll)[np.minimum((t * syll).astype(int), n_syll - 1)]
    voice = _rms(_harmonic(f0, fs, formants + 0.02) * np.sin(np.pi * syll * t) ** 2 * accent, 0.0)

    left = _rms(_notes(n, fs, rng, 110.0 * 2.0 ** (np.arange(0, 19, 2) / 12), 6.0, 20, 0.6), -3.0)
    chord = sum(
        _harmonic(np.full(n, f), fs, np.full((12, n), 1.0) / np.arange(1, 13)[:, None])
        for f in 220.0 * 2.0 ** (np.array([0, 4, 7, 12]) / 12)
    )
    right = _rms(chord * (1.0 + 0.3 * np.sin(2.0 * np.pi * 0.7 * t)), -3.0)
    bass = _rms(_notes(n, fs, rng, 41.2 * 2.0 ** (np.arange(0, 15, 3) / 12), 2.0, 8, 1.5), -6.0)

    if ambience == "noise":
        b, a = ss.butter(1, 1000.0, fs=fs)
        amb = ss.lfilter(b, a, rng.standard_normal((2, n)), axis=-1)
    else:
        tail_t = np.arange(1, int(0.5 * fs) + 1) / fs
        tails = rng.standard_normal((2, tail_t.size)) * np.exp(-6.9 * tail_t / 0.5)  # -60 dB
        amb = ss.fftconvolve(voice[None, :], tails, axes=-1)[:, :n]
    gains = dict(voice=(1.0, 1.0), left=(1.0, 0.0), right=(0.0, 1.0), part_panned=(1.0, 0.5))
    sources = {"voice": voice, "left": left, "right": right, "part_panned": bass}
    images = {k: np.outer(gains[k], s) for k, s in sources.items()}
    images["ambience"] = _rms(amb, -12.0)
    return Mixture(fs, sum(images.values()), images, sources, gains, ("voice",))


def _pair(a: npt.ArrayLike, b: npt.ArrayLike, na: str, nb: str) -> tuple[NDArray, NDArray]:
    x, y = as_float_array(a, na), as_float_array(b, nb)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"{na} must be a non-empty 1-D signal, got shape {x.shape}")
    if y.shape != x.shape:
        raise ValueError(f"{nb} must have the shape of {na} {x.shape}, got {y.shape}")
    if not np.any(y):
        raise ValueError(f"{nb} must not be all zeros")
    return x, y


def centre_sdr(estimate: npt.ArrayLike, reference: npt.ArrayLike) -> float:
    r"""Signal-to-distortion ratio of an estimated centre, in dB, with the optimal scalar gain.

    Parameters
    ----------
    estimate, reference : (n,) array_like
        Estimated centre and the true one (e.g. ``Mixture.centre_reference``).

    Returns
    -------
    float
        SDR in dB (``inf`` for a perfect scaled copy).

    Notes
    -----
    BSS-eval's SDR (Vincent, Gribonval & Févotte, IEEE TASLP 14(4), 2006) with the allowed
    distortion restricted to a scalar gain, i.e. the scale-invariant SDR (Le Roux, Wisdom, Erdogan
    & Hershey, ICASSP 2019):

    .. math:: \alpha = \frac{\langle \hat c, c \rangle}{\|c\|^2}, \qquad
       \mathrm{SDR} = 10 \log_{10} \frac{\|\alpha c\|^2}{\|\hat c - \alpha c\|^2}.

    Examples
    --------
    >>> round(centre_sdr([1.0, 1.0, 0.0], [2.0, 2.0, 1.0]), 2)
    9.03
    """
    est, ref = _pair(estimate, reference, "estimate", "reference")
    target = np.dot(est, ref) / np.dot(ref, ref) * ref
    err = np.sum((est - target) ** 2)
    with np.errstate(divide="ignore"):
        return float(10.0 * np.log10(np.sum(target**2) / err)) if err > 0 else float("inf")


def leakage_db(c: npt.ArrayLike, panned_component_mono: npt.ArrayLike) -> float:
    r"""Level of a panned source found in the centre, in dB re the source's own energy.

    Parameters
    ----------
    c : (n,) array_like
        Centre signal.
    panned_component_mono : (n,) array_like
        The panned source's mono signal (``Mixture.sources[name]``).

    Returns
    -------
    float
        :math:`10\log_{10}\alpha^2`, :math:`\alpha = \langle c, s\rangle / \|s\|^2`: the energy of
        the projection of C on the source relative to the source's energy (``-inf`` if none).

    Notes
    -----
    The projection counts only the part of C that is a scaled copy of the source; a spectrally
    shaped leak (a time-frequency mask applied to it) is partly counted as uncorrelated distortion,
    so this is a lower bound on leakage. To measure a method's leakage without that caveat, run
    :func:`upmix_lrc` on the source's image alone and take the energy of its C.

    Examples
    --------
    >>> round(leakage_db([0.5, -0.5], [1.0, -1.0]), 2)
    -6.02
    """
    x, s = _pair(c, panned_component_mono, "c", "panned_component_mono")
    alpha = np.dot(x, s) / np.dot(s, s)
    with np.errstate(divide="ignore"):
        return float(10.0 * np.log10(alpha**2))


def _stereo(value: npt.ArrayLike) -> NDArray[np.float64]:
    return as_signal(value, "stereo", channels=2)
