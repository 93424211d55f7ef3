"""WAV input and output for the rendering chain, with resampling on a rate mismatch.

Signals are ``(n_channels, n_samples)`` float64 arrays (DESIGN.md), files are read and written
with :mod:`soundfile` (libsndfile), multichannel float by default. When a file's rate differs from
the rate asked for, it is resampled with :func:`scipy.signal.resample_poly` by the reduced ratio of
the two rates (a polyphase Kaiser-windowed FIR; the passband is flat to about 0.9 of the lower
Nyquist frequency).
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf
from numpy.typing import NDArray
from scipy.signal import resample_poly

from acoustics._validate import as_float_array, as_positive

__all__ = ["read_wav", "write_wav", "resample", "as_signal"]


def as_signal(
    signal: npt.ArrayLike, name: str = "signal", *, channels: int | None = None
) -> NDArray[np.float64]:
    """Validate a signal: ``(n_channels, n_samples)``, finite, not empty.

    A 1-D array is taken as one channel.
    """
    x = as_float_array(signal, name)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (n_channels, n_samples), got {x.shape}")
    if x.shape[1] == 0 or x.shape[0] == 0:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    if channels is not None and x.shape[0] != channels:
        raise ValueError(f"{name} must have {channels} channel(s), got {x.shape[0]}")
    return x


def resample(signal: npt.ArrayLike, fs_in: float, fs_out: float) -> NDArray[np.float64]:
    """Resample ``(n_channels, n_samples)`` from ``fs_in`` to ``fs_out`` Hz (polyphase)."""
    x = as_signal(signal)
    fs_in, fs_out = as_positive(fs_in, "fs_in"), as_positive(fs_out, "fs_out")
    if fs_in == fs_out:
        return x.copy()
    ratio = Fraction(fs_out).limit_denominator(10**6) / Fraction(fs_in).limit_denominator(10**6)
    if max(ratio.numerator, ratio.denominator) > 10_000:
        raise ValueError(f"fs_out / fs_in = {fs_out:g} / {fs_in:g} is not a simple ratio")
    return resample_poly(x, ratio.numerator, ratio.denominator, axis=-1)


def read_wav(
    path: str | os.PathLike, *, fs: float | None = None, channels: int | None = None
) -> tuple[NDArray[np.float64], float]:
    """Read an audio file as ``(n_channels, n_samples)`` float64.

    Parameters
    ----------
    path : str or os.PathLike
        WAV (or any format libsndfile reads).
    fs : float, optional
        Wanted sampling rate in Hz; the signal is resampled if the file's differs.
    channels : int, optional
        Required number of channels (e.g. 2 for stereo input).

    Returns
    -------
    signal : (n_channels, n_samples) ndarray
    fs : float
        The rate of the returned signal.
    """
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"path {str(p)!r} is not a readable file")
    try:
        data, rate = sf.read(str(p), dtype="float64", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise ValueError(f"path {str(p)!r} is not a readable audio file: {exc}") from exc
    signal = as_signal(data.T, f"the audio in {p.name}", channels=channels)
    if fs is not None and as_positive(fs, "fs") != rate:
        return resample(signal, rate, fs), float(fs)
    return signal, float(rate)


def write_wav(
    path: str | os.PathLike, signal: npt.ArrayLike, fs: float, *, subtype: str = "FLOAT"
) -> Path:
    """Write ``(n_channels, n_samples)`` to a WAV file (32-bit float by default).

    Parameters
    ----------
    path : str or os.PathLike
        Destination; its folder must exist.
    signal : (n_channels, n_samples) array_like
        Finite samples; float formats keep values beyond [-1, 1], integer ones would clip, so
        they are refused then.
    fs : float
        Sampling rate in Hz (a whole number).
    subtype : str, optional
        libsndfile subtype, e.g. ``"FLOAT"``, ``"DOUBLE"``, ``"PCM_24"``.

    Returns
    -------
    Path
    """
    x = as_signal(signal)
    rate = as_positive(fs, "fs")
    if rate != int(rate):
        raise ValueError(f"fs must be a whole number of Hz for a WAV file, got {rate:g}")
    if not subtype.upper().startswith(("FLOAT", "DOUBLE")) and np.max(np.abs(x)) > 1.0:
        raise ValueError(
            f"signal peaks at {np.max(np.abs(x)):.3g}, beyond the [-1, 1] range of subtype "
            f"{subtype!r}; scale it or write FLOAT"
        )
    p = Path(path)
    if not p.parent.is_dir():
        raise ValueError(f"path {str(p)!r}: folder {str(p.parent)!r} does not exist")
    sf.write(str(p), x.T, int(rate), subtype=subtype)
    return p
