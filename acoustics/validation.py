"""Input validation shared by the public functions of :mod:`acoustics` and :mod:`design`.

Every check raises ``ValueError`` or ``TypeError`` whose message names the argument, the value
received and what was expected (docs/conventions.md, "Errors").
"""

from __future__ import annotations

import numbers

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

__all__: list[str] = []  # private module


def _describe(value: object) -> str:
    """Short description of a value for an error message."""
    try:
        arr = np.asarray(value) if not isinstance(value, str) else None
    except (ValueError, TypeError):  # ragged nested sequences
        return "a ragged (non-rectangular) sequence"
    if arr is not None and arr.ndim > 0:
        return f"an array of shape {arr.shape}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def as_float_array(value: npt.ArrayLike, name: str) -> NDArray[np.float64]:
    """Convert to a float64 array, refusing non-numeric, complex and non-finite values."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - numpy rarely refuses
        raise TypeError(
            f"{name} must be array_like of real numbers, got {_describe(value)}"
        ) from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be array_like of real numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex values")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got NaN or infinite values in {_describe(value)}")
    return arr


def as_complex_array(value: npt.ArrayLike, name: str) -> NDArray[np.complex128]:
    """Convert to a complex128 array, refusing non-finite values."""
    arr = np.asarray(value)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be array_like of numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.complex128)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got NaN or infinite values")
    return arr


def as_positions(value: npt.ArrayLike, name: str) -> NDArray[np.float64]:
    """Positions as an ``(n, 3)`` float array; a single ``(3,)`` point becomes ``(1, 3)``."""
    arr = as_float_array(value, name)
    if arr.ndim == 1 and arr.shape[0] == 3:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"{name} must have shape (n, 3) or (3,), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one position, got shape {arr.shape}")
    return arr


def as_point(value: npt.ArrayLike, name: str) -> NDArray[np.float64]:
    """One point as a ``(3,)`` float array."""
    arr = as_float_array(value, name)
    if arr.shape != (3,):
        raise ValueError(f"{name} must have shape (3,), got shape {arr.shape}")
    return arr


def as_unit_vector(value: npt.ArrayLike, name: str) -> NDArray[np.float64]:
    """Return a non-zero ``(3,)`` vector normalised to unit length."""
    arr = as_point(value, name)
    norm = np.linalg.norm(arr)
    if norm < 1e-12:
        raise ValueError(f"{name} must be a non-zero direction vector, got {arr.tolist()}")
    return arr / norm


def as_directions(value: npt.ArrayLike, name: str) -> NDArray[np.float64]:
    """Directions as ``(n, 3)`` unit vectors; zero vectors are refused."""
    arr = as_positions(value, name)
    norms = np.linalg.norm(arr, axis=1)
    if np.any(norms < 1e-12):
        raise ValueError(f"{name} must hold non-zero direction vectors, got a zero vector")
    return arr / norms[:, None]


#: The lowest non-zero frequency accepted, Hz (an FFT grid's first bin is far above it).
MIN_FREQ_HZ = 1e-3
#: The highest frequency accepted, Hz (ultrasound; far above any audio use).
MAX_FREQ_HZ = 1e6


def as_freqs(value: npt.ArrayLike, name: str = "freqs") -> NDArray[np.float64]:
    """Frequencies in Hz as a non-empty 1-D array of non-negative values."""
    arr = as_float_array(value, name)
    if arr.ndim == 0:
        arr = arr[None]
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array in Hz, got shape {arr.shape}")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative (Hz), got a minimum of {arr.min():g}")
    if np.any(arr > MAX_FREQ_HZ):  # series and tables sized by k r would not fit in memory
        raise ValueError(f"{name} must be at most {MAX_FREQ_HZ:g} Hz, got {arr.max():g} Hz")
    tiny = (arr > 0) & (arr < MIN_FREQ_HZ)
    if np.any(tiny):  # wavenumbers that underflow: meaningless, and they would divide by zero
        raise ValueError(
            f"{name} must be 0 or at least {MIN_FREQ_HZ:g} Hz, got {arr[tiny].min():g} Hz"
        )
    return arr


def as_positive(value: object, name: str, *, allow_zero: bool = False) -> float:
    """Return a real scalar that is positive (or non-negative with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    val = float(value)
    if not np.isfinite(val):
        raise ValueError(f"{name} must be finite, got {val}")
    if val < 0 or (val == 0 and not allow_zero):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be {bound}, got {val:g}")
    return val


def as_real(value: object, name: str) -> float:
    """Return a finite real scalar."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    val = float(value)
    if not np.isfinite(val):
        raise ValueError(f"{name} must be finite, got {val}")
    return val


def as_speed_of_sound(c: object) -> float:
    """Return the speed of sound in m/s, refusing non-positive or non-finite values."""
    return as_positive(c, "c")


def as_int(value: object, name: str, lower: int, upper: int | None = None) -> int:
    """Return an integer within ``[lower, upper]`` (refusing bools and non-integers)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r:.60}")
    val = int(value)
    if val < lower or (upper is not None and val > upper):
        bound = f">= {lower}" if upper is None else f"in [{lower}, {upper}]"
        raise ValueError(f"{name} must be {bound}, got {val}")
    return val
