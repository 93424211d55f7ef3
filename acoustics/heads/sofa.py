r"""SOFA (AES69) files: head-related impulse responses and source directivities, read with sofar.

Two conventions are supported, each mapped to a small frozen dataclass:

``SimpleFreeFieldHRIR`` :math:`\leftrightarrow` :class:`HRIRSet`
    ``Data.IR`` is ``(M, R=2, N)``: one measurement per source direction, the receivers in
    (left, right) order, ``N`` taps at ``Data.SamplingRate``. ``SourcePosition`` (spherical in
    degrees, or Cartesian in metres, per ``SourcePosition:Type``) is taken relative to
    ``ListenerPosition`` and turned into the listener frame of :mod:`acoustics.geometry` with
    ``ListenerView`` (+x) and ``ListenerUp`` (+z); SOFA's spherical angles are already ours
    (azimuth counter-clockwise from +x, 90 = left; elevation up from the horizontal plane).
``FreeFieldDirectivityTF`` :math:`\leftrightarrow` :class:`DirectivityTable`
    One measurement (``M = 1``) of one source surrounded by receivers: ``Data.Real`` and
    ``Data.Imag`` are ``(1, R, N)`` with one receiver per direction and ``N`` the frequencies in
    Hz. The directions are the receiver positions (``ReceiverPosition``, relative to the listener,
    i.e. the microphone array) seen from ``SourcePosition`` in the source's frame (``SourceView`` =
    +x, on-axis; ``SourceUp`` = +z): the driver frame of :mod:`acoustics.sources`. Files are written
    with the source at the array centre, ``SourceView = (1, 0, 0)`` and the receivers at 1 m.

:func:`kemar_path` is the bundled MIT KEMAR set (Gardner & Martin, JASA 97(6), 1995; see
``acoustics/heads/data/PROVENANCE.md``). Files must carry the ``.sofa`` suffix: sofar replaces any
other suffix with it. Errors name the argument (``path``, ``hrir_set``, ``table``).
"""

from __future__ import annotations

import os
import pathlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sofar
from numpy.typing import NDArray

from acoustics.geometry import cart_to_sph, sph_to_cart
from acoustics.validation import as_complex_array, as_directions, as_float_array, as_positive

__all__ = [
    "HRIRSet",
    "DirectivityTable",
    "kemar_path",
    "read_hrir",
    "write_hrir",
    "read_directivity",
    "write_directivity",
]

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_DEFAULTS = {
    "ListenerView": (1.0, 0.0, 0.0),
    "SourceView": (1.0, 0.0, 0.0),
    "ListenerUp": (0.0, 0.0, 1.0),
    "SourceUp": (0.0, 0.0, 1.0),
}
# Global attributes that sofar sets itself (read-only in a new Sofa object).
_READ_ONLY_GLOBALS = {
    "Conventions",
    "Version",
    "SOFAConventions",
    "SOFAConventionsVersion",
    "DataType",
    "APIName",
    "APIVersion",
}


def _freeze(obj: object, meta: object, **arrays: NDArray) -> None:
    """Store validated read-only arrays and a copy of ``meta`` on a frozen dataclass."""
    if not isinstance(meta, dict):
        raise TypeError(f"meta must be a dict, got {type(meta).__name__}")
    for name, arr in arrays.items():
        arr.flags.writeable = False
        object.__setattr__(obj, name, arr)
    object.__setattr__(obj, "meta", dict(meta))


@dataclass(frozen=True, eq=False)
class HRIRSet:
    """Head-related impulse responses over a set of source directions.

    Parameters
    ----------
    hrirs : (n_dirs, 2, n_taps) array_like
        Impulse responses, ears in (left, right) order, dimensionless (as measured).
    fs : float
        Sampling rate in Hz.
    directions : (n_dirs, 3) array_like
        Source directions in the listener frame; normalised to unit vectors.
    distance : (n_dirs,) array_like
        Source distances from the head centre in metres.
    meta : dict, optional
        The file's global attributes (``"Title"``, ``"License"``, ...) without the ``GLOBAL_``
        prefix.
    """

    hrirs: NDArray[np.float64]
    fs: float
    directions: NDArray[np.float64]
    distance: NDArray[np.float64]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        hrirs = as_float_array(self.hrirs, "hrirs")
        if hrirs.ndim != 3 or hrirs.shape[1] != 2 or hrirs.shape[0] == 0 or hrirs.shape[2] == 0:
            raise ValueError(f"hrirs must have shape (n_dirs, 2, n_taps), got shape {hrirs.shape}")
        directions = as_directions(self.directions, "directions")
        distance = as_float_array(self.distance, "distance")
        if directions.shape[0] != hrirs.shape[0] or distance.shape != (hrirs.shape[0],):
            raise ValueError(
                f"directions {directions.shape} and distance {distance.shape} must have "
                f"{hrirs.shape[0]} rows, one per impulse response"
            )
        if np.any(distance <= 0):
            raise ValueError(f"distance must be positive (m), got a minimum of {distance.min():g}")
        object.__setattr__(self, "fs", as_positive(self.fs, "fs"))
        _freeze(self, self.meta, hrirs=hrirs, directions=directions, distance=distance)


@dataclass(frozen=True, eq=False)
class DirectivityTable:
    """Complex directivity of a source over directions and frequencies.

    Parameters
    ----------
    response : (n_dirs, n_freqs) array_like
        Complex pressure relative to the table's reference (for a driver: a monopole of the same
        low-frequency volume velocity, see :mod:`acoustics.sources`).
    freqs : (n_freqs,) array_like
        Frequencies in Hz, non-negative and strictly increasing.
    directions : (n_dirs, 3) array_like
        Directions in the driver frame (+x on-axis); normalised to unit vectors.
    meta : dict, optional
        Global attributes without the ``GLOBAL_`` prefix.
    """

    response: NDArray[np.complex128]
    freqs: NDArray[np.float64]
    directions: NDArray[np.float64]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        response = as_complex_array(self.response, "response")
        freqs = as_float_array(self.freqs, "freqs")
        directions = as_directions(self.directions, "directions")
        if freqs.ndim != 1 or freqs.size == 0:
            raise ValueError(f"freqs must be a non-empty 1-D array in Hz, got shape {freqs.shape}")
        if freqs[0] < 0 or np.any(np.diff(freqs) <= 0):
            raise ValueError("freqs must be non-negative and strictly increasing (Hz)")
        if response.shape != (directions.shape[0], freqs.size):
            raise ValueError(
                f"response must have shape (n_dirs, n_freqs) = ({directions.shape[0]}, "
                f"{freqs.size}), got shape {response.shape}"
            )
        _freeze(self, self.meta, response=response, freqs=freqs, directions=directions)


def kemar_path() -> pathlib.Path:
    """Path of the bundled MIT KEMAR HRIR set (normal pinna, 710 directions, 44.1 kHz).

    Returns
    -------
    path : pathlib.Path
        ``acoustics/heads/data/mit_kemar_normal_pinna.sofa``; provenance and citation in
        ``acoustics/heads/data/PROVENANCE.md``.
    """
    return pathlib.Path(__file__).resolve().parent / "data" / "mit_kemar_normal_pinna.sofa"


def read_hrir(path: str | os.PathLike) -> HRIRSet:
    """Read a ``SimpleFreeFieldHRIR`` SOFA file.

    Parameters
    ----------
    path : str or os.PathLike
        An existing ``.sofa`` file.

    Returns
    -------
    HRIRSet
        Impulse responses ``(n_dirs, 2, n_taps)``, directions in the listener frame.

    Raises
    ------
    ValueError
        If ``path`` is missing, not SOFA, of another convention or holds non-finite data.
    """
    p, sofa = _read(path, "SimpleFreeFieldHRIR")
    hrirs = _finite(sofa.Data_IR, p, "Data.IR")
    if hrirs.ndim == 2:  # sofar drops a trailing singleton: (M, 2) for 1-tap responses
        hrirs = hrirs[:, :, None]
    if hrirs.ndim != 3 or hrirs.shape[1] != 2:
        raise ValueError(f"path {p}: Data.IR must be (M, 2, N), got shape {hrirs.shape}")
    fs = np.unique(_finite(sofa.Data_SamplingRate, p, "Data.SamplingRate"))
    if fs.size != 1 or fs[0] <= 0:
        raise ValueError(f"path {p}: Data.SamplingRate must be one positive value, got {fs}")
    source = _cartesian(sofa, "SourcePosition", p)
    origin = _cartesian(sofa, "ListenerPosition", p)
    rotation = _frame(_cartesian(sofa, "ListenerView", p), _cartesian(sofa, "ListenerUp", p), p)
    local = (rotation @ (source - origin)[:, :, None])[:, :, 0]
    if local.shape[0] == 1:  # a single SourcePosition for every measurement
        local = np.repeat(local, hrirs.shape[0], axis=0)
    if local.shape[0] != hrirs.shape[0]:
        raise ValueError(
            f"path {p}: SourcePosition has {local.shape[0]} rows for {hrirs.shape[0]} measurements"
        )
    distance = np.linalg.norm(local, axis=1)
    if np.any(distance <= 0):
        raise ValueError(f"path {p}: a SourcePosition coincides with the listener")
    return HRIRSet(hrirs, float(fs[0]), local / distance[:, None], distance, meta=_globals(sofa))


def write_hrir(
    path: str | os.PathLike, hrir_set: HRIRSet, *, ear_radius: float = 0.0875, compression: int = 4
) -> None:
    """Write an :class:`HRIRSet` as a ``SimpleFreeFieldHRIR`` SOFA file.

    Parameters
    ----------
    path : str or os.PathLike
        Output file ending in ``.sofa``; its directory must exist. Overwritten if present.
    hrir_set : HRIRSet
        The data. ``SourcePosition`` is written in spherical coordinates (degrees, metres) with the
        listener at the origin looking along +x.
    ear_radius : float, optional
        ``ReceiverPosition`` is (0, +ear_radius, 0) (left) and (0, -ear_radius, 0) (right), metres.
    compression : int, optional
        zlib level 0-9 of the netCDF variables.
    """
    p = _check_path(path, must_exist=False)
    if not isinstance(hrir_set, HRIRSet):
        raise TypeError(f"hrir_set must be an HRIRSet, got {type(hrir_set).__name__}")
    a = as_positive(ear_radius, "ear_radius")
    sofa = sofar.Sofa("SimpleFreeFieldHRIR")
    sofa.Data_IR = np.array(hrir_set.hrirs)
    sofa.Data_SamplingRate = hrir_set.fs
    az, el, _ = cart_to_sph(hrir_set.directions)
    sofa.SourcePosition = np.stack([np.mod(az, 360.0), el, hrir_set.distance], axis=1)
    sofa.SourcePosition_Type = "spherical"
    sofa.SourcePosition_Units = "degree, degree, metre"
    sofa.ReceiverPosition = np.array([[0.0, a, 0.0], [0.0, -a, 0.0]])
    _set_globals(sofa, hrir_set.meta)
    sofar.write_sofa(str(p), sofa, compression=compression)


def read_directivity(path: str | os.PathLike) -> DirectivityTable:
    """Read a ``FreeFieldDirectivityTF`` SOFA file with one measurement.

    Parameters
    ----------
    path : str or os.PathLike
        An existing ``.sofa`` file; see the module docstring for the layout.

    Returns
    -------
    DirectivityTable
        ``response`` ``(n_dirs, n_freqs)`` and directions in the driver frame.

    Raises
    ------
    ValueError
        If ``path`` is missing, not SOFA, of another convention, holds more than one
        measurement or non-finite data.
    """
    p, sofa = _read(path, "FreeFieldDirectivityTF")
    real = _finite(sofa.Data_Real, p, "Data.Real")
    imag = _finite(sofa.Data_Imag, p, "Data.Imag")
    if real.shape != imag.shape or real.ndim not in (2, 3) or real.shape[0] != 1:
        raise ValueError(
            f"path {p}: Data.Real and Data.Imag must both be (1, R, N) (one measurement), got "
            f"shapes {real.shape} and {imag.shape}"
        )
    response = (real + 1j * imag).reshape(real.shape[1], -1)
    freqs = np.atleast_1d(_finite(sofa.N, p, "N"))
    receivers = _cartesian(sofa, "ReceiverPosition", p).reshape(-1, 3)
    array_rot = _frame(_cartesian(sofa, "ListenerView", p), _cartesian(sofa, "ListenerUp", p), p)
    world = _cartesian(sofa, "ListenerPosition", p)[0] + receivers @ array_rot[0]
    source_rot = _frame(_cartesian(sofa, "SourceView", p), _cartesian(sofa, "SourceUp", p), p)
    local = (world - _cartesian(sofa, "SourcePosition", p)[0]) @ source_rot[0].T
    try:
        return DirectivityTable(response, freqs, local, meta=_globals(sofa))
    except ValueError as exc:
        raise ValueError(f"path {p}: {exc}") from exc


def write_directivity(
    path: str | os.PathLike, table: DirectivityTable, *, compression: int = 4
) -> None:
    """Write a :class:`DirectivityTable` as a ``FreeFieldDirectivityTF`` SOFA file.

    Parameters
    ----------
    path : str or os.PathLike
        Output file ending in ``.sofa``; its directory must exist. Overwritten if present.
    table : DirectivityTable
        The data; directions are written as receivers at 1 m (spherical, degrees) around a source
        at the origin facing +x.
    compression : int, optional
        zlib level 0-9 of the netCDF variables.
    """
    p = _check_path(path, must_exist=False)
    if not isinstance(table, DirectivityTable):
        raise TypeError(f"table must be a DirectivityTable, got {type(table).__name__}")
    sofa = sofar.Sofa("FreeFieldDirectivityTF")
    # Empty string variables trip sofar's netCDF writer; they are optional.
    sofa.delete("EmitterDescriptions")
    sofa.delete("Description")
    sofa.Data_Real = np.real(table.response)[None]
    sofa.Data_Imag = np.imag(table.response)[None]
    sofa.N = np.array(table.freqs)
    az, el, _ = cart_to_sph(table.directions)
    sofa.ReceiverPosition = np.stack([np.mod(az, 360.0), el, np.ones_like(az)], axis=1)
    sofa.ReceiverPosition_Type = "spherical"
    sofa.ReceiverPosition_Units = "degree, degree, metre"
    _set_globals(sofa, table.meta)
    sofar.write_sofa(str(p), sofa, compression=compression)


def _check_path(path: object, *, must_exist: bool) -> pathlib.Path:
    """Validate a ``.sofa`` path; an existing one must start with the HDF5 signature."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = pathlib.Path(path)
    if p.suffix != ".sofa":
        raise ValueError(f"path must name a .sofa file, got {str(p)!r}")
    if not must_exist:
        if not p.parent.is_dir():
            raise ValueError(f"path {p}: directory {p.parent} does not exist")
        return p
    if not p.is_file():
        raise ValueError(f"path {p} does not exist or is not a file")
    with open(p, "rb") as fh:  # HDF5 allows a user block of 0, 512, 1024, 2048, ... bytes
        head = fh.read(4096)
    if not any(head[o : o + 8] == _HDF5_SIGNATURE for o in (0, 512, 1024, 2048)):
        raise ValueError(f"path {p} is not a SOFA file (no netCDF-4/HDF5 signature)")
    return p


def _read(path: object, convention: str) -> tuple[pathlib.Path, Any]:
    """Read with sofar, checking the file and its convention."""
    p = _check_path(path, must_exist=True)
    try:
        sofa = sofar.read_sofa(str(p), verify=False, verbose=False)
    except Exception as exc:  # netCDF4 and sofar raise OSError, KeyError, AttributeError, ...
        raise ValueError(f"path {p} could not be read as a SOFA file: {exc}") from exc
    found = getattr(sofa, "GLOBAL_SOFAConventions", None)
    if found != convention:
        raise ValueError(f"path {p} holds SOFA convention {found!r}, expected {convention!r}")
    return p, sofa


def _finite(value: object, p: pathlib.Path, name: str) -> NDArray[np.float64]:
    """Convert a variable to a float array; missing (masked) or non-finite values are errors."""
    arr = np.ma.filled(np.ma.asarray(value, dtype=np.float64), np.nan)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"path {p}: {name} holds NaN, infinite or missing values")
    return np.asarray(arr)


def _cartesian(sofa: Any, name: str, p: pathlib.Path) -> NDArray[np.float64]:
    """Return a position or direction variable as ``(n, 3)`` Cartesian rows (defaults if absent)."""
    if not hasattr(sofa, name):  # optional variables take the convention's default
        return np.array([_DEFAULTS.get(name, (0.0, 0.0, 0.0))])
    arr = _finite(getattr(sofa, name), p, name)
    arr = arr.reshape(-1, 3) if arr.size % 3 == 0 else arr
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"path {p}: {name} must hold (n, 3) coordinates, got shape {arr.shape}")
    kind = str(getattr(sofa, f"{name}_Type", "cartesian")).lower()
    if kind == "spherical":
        return sph_to_cart(arr[:, 0], arr[:, 1], arr[:, 2])
    if kind != "cartesian":
        raise ValueError(f"path {p}: {name}:Type must be 'cartesian' or 'spherical', got {kind!r}")
    return arr


def _frame(view: NDArray, up: NDArray, p: pathlib.Path) -> NDArray[np.float64]:
    """Return rotations ``(n, 3, 3)`` whose rows are the local x, y, z axes (``R @ world``)."""
    view, up = np.broadcast_arrays(view, up)
    z = up - np.sum(up * view, axis=1, keepdims=True) * view / np.sum(view**2, 1, keepdims=True)
    if np.any(np.linalg.norm(view, axis=1) < 1e-12) or np.any(np.linalg.norm(z, axis=1) < 1e-12):
        raise ValueError(f"path {p}: a View vector is zero or parallel to its Up vector")
    x = view / np.linalg.norm(view, axis=1, keepdims=True)
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    return np.stack([x, np.cross(z, x), z], axis=1)


def _globals(sofa: Any) -> dict[str, Any]:
    """Return the global attributes without the ``GLOBAL_`` prefix."""
    return {k[7:]: getattr(sofa, k) for k in vars(sofa) if k.startswith("GLOBAL_")}


def _set_globals(sofa: Any, meta: dict[str, Any]) -> None:
    """Copy ``meta`` into the global attributes, leaving sofar's read-only ones alone."""
    for key, value in meta.items():
        if key not in _READ_ONLY_GLOBALS:
            if hasattr(sofa, f"GLOBAL_{key}"):
                setattr(sofa, f"GLOBAL_{key}", str(value))
            else:
                sofa.add_attribute(f"GLOBAL_{key}", str(value))
