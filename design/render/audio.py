"""WAV input and output for the rendering chain, with resampling on a rate mismatch.

Signals are ``(n_channels, n_samples)`` float64 arrays with full scale at +-1, files are read and
written with :mod:`soundfile` (libsndfile), multichannel float by default. Nothing changes a
signal silently:

- integer PCM (in a file, or an integer array given to :func:`as_audio`) is read as [-1, 1];
- when a file's rate differs from the rate asked for, it is resampled with
  :func:`scipy.signal.resample_poly` by the reduced ratio of the two rates (a polyphase
  Kaiser-windowed FIR; the passband is flat to about 0.9 of the lower Nyquist frequency), and a
  warning says so;
- a WAV file shorter than its header declares (truncated) is read with a warning;
- a signal beyond full scale given as audio warns with its peak in dBFS; written to a file it
  warns too, unless it was brought within full scale by :func:`fit_full_scale`, whose gain the
  caller states (the CLI prints it and stores it in the file's comment).
"""

from __future__ import annotations

import os
import struct
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf
from numpy.typing import NDArray
from scipy.signal import resample_poly

from acoustics.validation import as_float_array, as_positive

__all__ = ["read_wav", "write_wav", "resample", "as_signal", "as_audio", "fit_full_scale"]


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


def as_audio(
    signal: npt.ArrayLike, name: str = "signal", *, channels: int | None = None
) -> NDArray[np.float64]:
    """Validate audio as :func:`as_signal`, with full scale at +-1.

    Integer arrays are PCM: divided by their type's full scale (``int16`` by 32768; unsigned
    types centred first). Float audio beyond full scale is kept, with a warning giving its peak
    in dBFS (samples scaled like ``int16`` peak near +90 dBFS).
    """
    try:
        arr = np.asarray(signal) if not isinstance(signal, np.ndarray) else signal
    except (ValueError, TypeError) as exc:  # ragged nested sequences
        raise ValueError(f"{name} must be a rectangular array of samples: {exc}") from exc
    if np.issubdtype(arr.dtype, np.integer) and not np.issubdtype(arr.dtype, np.bool_):
        info = np.iinfo(arr.dtype)
        centre = (int(info.max) + 1) / 2.0 if info.min == 0 else 0.0
        full = (int(info.max) + 1) / 2.0 if info.min == 0 else float(-int(info.min))
        arr = (arr.astype(np.float64) - centre) / full
    x = as_signal(arr, name, channels=channels)
    peak = float(np.max(np.abs(x)))
    if peak > 1.0:
        hint = " (integer PCM scaling? divide by 32768 for int16)" if peak > 256.0 else ""
        warnings.warn(
            f"{name} peaks at {_dbfs(peak)}, beyond full scale (+-1){hint}",
            UserWarning,
            stacklevel=2,
        )
    return x


def fit_full_scale(
    signal: npt.ArrayLike, headroom_db: float = 1.0
) -> tuple[NDArray[np.float64], float]:
    """Scale a signal beyond full scale to peak ``headroom_db`` below it; return it and the gain.

    Returns
    -------
    signal : (n_channels, n_samples) ndarray
        The signal, unchanged (a copy) when it peaks at or below full scale.
    gain_db : float
        The gain applied (0, or negative).
    """
    x = as_signal(signal)
    if not (np.isfinite(headroom_db) and 0.0 <= headroom_db <= 40.0):
        raise ValueError(f"headroom_db must lie in [0, 40] dB, got {headroom_db!r}")
    peak = float(np.max(np.abs(x)))
    if peak <= 1.0:
        return x.copy(), 0.0
    gain = 10.0 ** (-headroom_db / 20.0) / peak
    return x * gain, float(20.0 * np.log10(gain))


def _dbfs(peak: float) -> str:
    return f"{20.0 * np.log10(peak):+.1f} dBFS" if peak > 0 else "-inf dBFS"


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
        data, rate = sf.read(str(p), dtype="float64", always_2d=True)  # PCM read as [-1, 1]
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise ValueError(f"path {str(p)!r} is not a readable audio file: {exc}") from exc
    truncated = _wav_truncation(p)
    if truncated:
        warnings.warn(f"{p.name} is truncated: {truncated}", UserWarning, stacklevel=2)
    signal = as_audio(data.T, f"the audio in {p.name}", channels=channels)
    if fs is not None and as_positive(fs, "fs") != rate:
        warnings.warn(
            f"{p.name}: resampled from {rate:g} Hz to {fs:g} Hz", UserWarning, stacklevel=2
        )
        return resample(signal, rate, fs), float(fs)
    return signal, float(rate)


def _wav_truncation(path: Path) -> str | None:
    """Return what is missing if a RIFF WAV file holds less data than its header declares."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None  # not a plain RIFF WAV (RF64, W64, another format): libsndfile decides
        block = 0
        offset = 12
        while offset + 8 <= size:
            f.seek(offset)
            chunk_id, length = struct.unpack("<4sI", f.read(8))
            if chunk_id == b"fmt ":
                fmt = f.read(16)
                if len(fmt) == 16:
                    block = struct.unpack("<HHIIHH", fmt)[4]  # block align: bytes per frame
            if chunk_id == b"data":
                held = size - offset - 8
                if length in (0, 0xFFFFFFFF) or length <= held:  # 0 / -1: a streamed header
                    return None
                if block:
                    return f"its header declares {length // block} frames, it holds {held // block}"
                return f"its header declares {length} bytes of audio, it holds {held}"
            offset += 8 + length + (length & 1)
    return None


def write_wav(
    path: str | os.PathLike,
    signal: npt.ArrayLike,
    fs: float,
    *,
    subtype: str = "FLOAT",
    comment: str | None = None,
) -> Path:
    """Write ``(n_channels, n_samples)`` to a WAV file (32-bit float by default).

    Parameters
    ----------
    path : str or os.PathLike
        Destination; its folder must exist.
    signal : (n_channels, n_samples) array_like
        Finite samples; float formats keep values beyond [-1, 1] (with a warning: players clip
        them), integer ones would clip, so they are refused then.
    fs : float
        Sampling rate in Hz (a whole number).
    subtype : str, optional
        libsndfile subtype, e.g. ``"FLOAT"``, ``"DOUBLE"``, ``"PCM_24"``.
    comment : str, optional
        Stored in the file's comment (a gain applied to the signal, say).

    Returns
    -------
    Path
    """
    x = as_signal(signal)
    rate = as_positive(fs, "fs")
    if rate != int(rate):
        raise ValueError(f"fs must be a whole number of Hz for a WAV file, got {rate:g}")
    peak = float(np.max(np.abs(x)))
    p = Path(path)
    if peak > 1.0:
        if not subtype.upper().startswith(("FLOAT", "DOUBLE")):
            raise ValueError(
                f"signal peaks at {_dbfs(peak)}, beyond the [-1, 1] range of subtype "
                f"{subtype!r}; scale it (fit_full_scale) or write FLOAT"
            )
        warnings.warn(
            f"{p.name}: the signal peaks at {_dbfs(peak)}, beyond full scale; players will "
            "clip it (scale it with fit_full_scale)",
            UserWarning,
            stacklevel=2,
        )
    if not p.parent.is_dir():
        raise ValueError(f"path {str(p)!r}: folder {str(p.parent)!r} does not exist")
    with sf.SoundFile(str(p), "w", int(rate), x.shape[0], subtype=subtype, format="WAV") as f:
        if comment:
            f.comment = comment
        f.write(x.T)
    return p
