"""Sweep files: the parameters of one run, their checks, and the TOML format that lists many runs.

A *run* is one scene, one design and one evaluation (:func:`experiments.sweep.run_one`); its
parameters are the flat names of :data:`PARAMETERS`. A sweep file gives every run's parameters::

    [sweep]
    name = "distance-and-limit"       # names the progress bar and the default results file
    results = "results.csv"           # relative to this file; default "<name>.csv"

    [base]                            # fixed values for every run (the rest keep their defaults)
    device = "smart_speaker"
    n_taps = 512
    n_pans = 5

    [grid]                            # every combination of these lists (cartesian product)
    listener_distance = [1.5, 2.0, 3.0]
    listener_offset = [0.0, 0.3]
    gain_limit_db = [10.0, 20.0]
    dimensions = [[4.0, 3.5, 2.5], [7.0, 5.0, 3.0]]  # list-valued parameters: a list of lists

    [[cases]]                         # optional explicit variants of [base], each crossed with
    device = "smart_speaker"          # the grid; without [[cases]] the grid runs once on [base]
    [[cases]]
    device = "soundbar"
    n_drivers = 6

The runs are the cases in file order, each crossed with the grid in file order (the last grid
key varies fastest). A key may sit in [base] and in cases (the case wins), but not in [grid] as
well as in [base] or a case: that would be two answers for one question.

Parameters (defaults in brackets; units SI, angles in degrees)

======================  ====================================================================
scene                   ``device`` ["smart_speaker"] one of :data:`DEVICE_PRESETS`, or the path
                        of a scene file (:mod:`experiments.scene_file`) whose ``[device]``
                        table is used (a custom device); ``n_drivers`` [8] and ``length`` [0.9]
                        (soundbar only); ``angle_deg`` [30.0] (stereo pair only); ``head``
                        ["sphere"] one of :data:`HEAD_CHOICES` or a ``.sofa`` file;
                        ``listener_distance`` [2.0] m
                        along the device's axis; ``listener_offset`` [0.0] m across it (positive
                        towards the device's own left, +y: the listener's right);
                        ``listener_yaw_offset_deg`` [0.0], the head turned from facing the
                        device (positive to the listener's left). A ``stereo_pair`` device is
                        built for the listener's distance (the +-30 deg triangle).
room                    ``room`` ["free_field"], a preset (``living_room``, ``bare_room``,
                        ``studio``) or ``shoebox`` with ``dimensions`` [[5.5, 4.2, 2.6]] m and
                        a uniform ``absorption`` [0.3]; ``max_order`` [the preset's, or the
                        shoebox's: :func:`experiments.scene_file.default_max_order`];
                        ``air_absorption`` [false]; the late ``tail`` ["eyring"; or
                        "sabine", "ray_tracing", "none"] and the walls' ``scattering`` [0.2]
                        (:class:`acoustics.room.Room`); in a room the device stands
                        ``device_wall_distance`` [0.5] m from the wall x = 0, centred across
                        the room, facing +x, and device and ears are ``height`` [1.0] m up.
design                  ``design`` ["chain"]: :func:`design.chain.design_chain`, or
                        ``matrix_mixing`` (the baseline alone); ``fs`` [48000.0]; ``upmix``
                        ["side_decorrelated"]. For the chain: ``n_taps`` [1024];
                        ``gain_limit_db`` [20.0], the regularization of the crosstalk
                        canceller (its per-driver gain limit, dB re the inverse of the strongest
                        path); ``target_curve`` ["midrange"]
                        (:func:`design.chain.midrange_target_db`) or ``flat``, with
                        ``target_depth_db`` [20.0]; ``virtual_azimuth_deg`` [30.0];
                        ``beam_band_hz`` [[500.0, 3000.0]]; the beam effort and shape
                        (:func:`design.filters.beamforming.null_beam`): ``beam_wng_floor_db``
                        [-10.0], ``beam_null_depth_db`` [20.0], ``beam_lobe_half_width_deg`` [45.0],
                        ``beam_null_width_deg`` [0.0].
evaluation              ``n_pans`` [9], ``band_hz`` [[500.0, 4000.0]], ``early_ms`` [the
                        side-wall rule] (:func:`design.evaluation.evaluate`).
======================  ====================================================================

The device, head and room are built by the scene schema's builders
(:func:`experiments.scene_file.build_device`, :func:`~experiments.scene_file.make_head`,
:func:`~experiments.scene_file.build_room`), so a key means the same in a sweep as in a scene
file. Relative paths (``device``, ``head``) are relative to the sweep file and recorded absolute.

Parameters that do not apply to a run (``n_drivers`` for a smart speaker, ``dimensions`` in free
field, ``n_taps`` for matrix mixing) are dropped from it, and runs that then coincide are run once
(with a warning). A run is identified by :func:`run_id`, a hash of all its parameters with the
defaults filled in: the same run in another sweep file has the same id.

The whole file is checked before any run starts: unknown tables or keys, empty lists, wrong types
and out-of-range values, and every run's scene is built (a listener outside the room is an error
naming the run). Errors are :class:`SweepError` (a ``ValueError``) naming the table and key.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.scene_file import (
    DEVICE_PRESETS,
    HEAD_CHOICES,
    ROOM_PRESETS,
    build_device,
    build_room,
    default_max_order,
    make_head,
)

__all__ = [
    "PARAMETERS",
    "ROOM_CHOICES",
    "DESIGN_CHOICES",
    "Sweep",
    "SweepError",
    "load_sweep",
    "resolve",
    "run_id",
    "build_scene",
]

#: Room choices: free field, the presets of :mod:`acoustics.room`, or a uniform shoebox.
ROOM_CHOICES: tuple[str, ...] = ("free_field", *ROOM_PRESETS, "shoebox")
#: The late-tail models (:data:`acoustics.room.TAIL_MODELS`, repeated to keep imports light).
TAIL_CHOICES: tuple[str, ...] = ("eyring", "sabine", "ray_tracing", "none")
#: Design choices: the full chain, or the matrix-mixing baseline alone (cheap).
DESIGN_CHOICES: tuple[str, ...] = ("chain", "matrix_mixing")
_UPMIX_CHOICES: tuple[str, ...] = ("passive", "side_decorrelated", "pca", "similarity")
_VERSION = "soundstage-sweep-4"  # part of every run id: bump when a run's meaning changes


class SweepError(ValueError):
    """A sweep file (or mapping) that cannot be run: the message names the table and key."""


@dataclass(frozen=True)
class _Param:
    kind: str  # "float", "int", "bool", "str", "path" or "floats" (``length`` numbers)
    default: Any
    low: float | None = None  # inclusive bounds
    high: float | None = None
    choices: tuple[str, ...] | None = None
    length: int = 0
    applies: str | None = None  # "soundbar", "stereo_pair", "room", "shoebox" or "chain"
    suffix: str = ""  # kind "path": a value ending so is a file, anything else one of choices


#: Every run parameter, in results-table order, with its type, default and range.
PARAMETERS: dict[str, _Param] = {
    "device": _Param("path", "smart_speaker", choices=DEVICE_PRESETS, suffix=".toml"),
    "n_drivers": _Param("int", 8, low=2, applies="soundbar"),
    "length": _Param("float", 0.9, low=1e-3, applies="soundbar"),
    "angle_deg": _Param("float", 30.0, low=1.0, high=89.0, applies="stereo_pair"),
    "head": _Param("path", "sphere", choices=HEAD_CHOICES, suffix=".sofa"),
    "listener_distance": _Param("float", 2.0, low=0.2),
    "listener_offset": _Param("float", 0.0),
    "listener_yaw_offset_deg": _Param("float", 0.0, low=-180.0, high=180.0),
    "room": _Param("str", "free_field", choices=ROOM_CHOICES),
    "dimensions": _Param("floats", (5.5, 4.2, 2.6), low=0.5, length=3, applies="shoebox"),
    "absorption": _Param("float", 0.3, low=0.0, high=1.0, applies="shoebox"),
    "max_order": _Param("int", None, low=0, high=52, applies="room"),
    "air_absorption": _Param("bool", False, applies="room"),
    "tail": _Param("str", "eyring", choices=TAIL_CHOICES, applies="room"),
    "scattering": _Param("float", 0.2, low=0.0, high=1.0, applies="room"),
    "device_wall_distance": _Param("float", 0.5, low=0.0, applies="room"),
    "height": _Param("float", 1.0, low=0.0, applies="room"),
    "design": _Param("str", "chain", choices=DESIGN_CHOICES),
    "fs": _Param("float", 48000.0, low=8000.0),
    "upmix": _Param("str", "side_decorrelated", choices=_UPMIX_CHOICES),
    "n_taps": _Param("int", 1024, low=16, applies="chain"),
    "gain_limit_db": _Param("float", 20.0, applies="chain"),
    "target_curve": _Param("str", "midrange", choices=("midrange", "flat"), applies="chain"),
    "target_depth_db": _Param("float", 20.0, low=0.0, applies="chain"),
    "virtual_azimuth_deg": _Param("float", 30.0, low=1.0, high=89.0, applies="chain"),
    "beam_band_hz": _Param("floats", (500.0, 3000.0), low=1.0, length=2, applies="chain"),
    "beam_wng_floor_db": _Param("float", -10.0, applies="chain"),
    "beam_null_depth_db": _Param("float", 20.0, low=0.0, applies="chain"),
    "beam_lobe_half_width_deg": _Param("float", 45.0, low=1.0, high=89.0, applies="chain"),
    "beam_null_width_deg": _Param("float", 0.0, low=0.0, high=45.0, applies="chain"),
    "n_pans": _Param("int", 9, low=3),
    "band_hz": _Param("floats", (500.0, 4000.0), low=1.0, length=2),
    "early_ms": _Param("float", None, low=0.5),
}

_TABLES = {"sweep", "base", "grid", "cases"}
# Names of earlier versions, refused with the new name (the scene schema's).
_RENAMED = {"bar_length": "length", "room_size": "dimensions"}
_SWEEP_KEYS = {"name", "results", "description"}


@dataclass(frozen=True)
class Sweep:
    """A checked sweep: its name, results path and runs (complete parameter dicts).

    Attributes
    ----------
    name : str
        The sweep's name.
    results : pathlib.Path
        The results table (CSV).
    runs : tuple of dict
        Every distinct run's parameters, all of :data:`PARAMETERS` (``None`` where a parameter
        does not apply), in sweep order.
    ids : tuple of str
        :func:`run_id` of each run.
    """

    name: str
    results: Path
    runs: tuple[dict[str, Any], ...]
    ids: tuple[str, ...]


def _number(value: Any, where: str, integer: bool) -> float | int:
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok:
        raise SweepError(
            f"{where} must be {'an integer' if integer else 'a number'}, got {value!r}"
        )
    if not integer and not math.isfinite(value):
        raise SweepError(f"{where} must be finite, got {value!r}")
    return int(value) if integer else float(value)


def _in_range(x: float, p: _Param, where: str) -> None:
    if (p.low is not None and x < p.low) or (p.high is not None and x > p.high):
        lo = "-inf" if p.low is None else f"{p.low:g}"
        hi = "inf" if p.high is None else f"{p.high:g}"
        raise SweepError(f"{where} must lie in [{lo}, {hi}], got {x:g}")


def _coerce(name: str, value: Any, where: str, base_dir: Path | None = None) -> Any:
    """Check one value of parameter ``name`` and return it in canonical form."""
    p = PARAMETERS[name]
    if p.kind == "bool":
        if not isinstance(value, bool):
            raise SweepError(f"{where} must be a boolean (true or false), got {value!r}")
        return value
    if p.kind == "path":
        if isinstance(value, str) and value.lower().endswith(p.suffix):
            path = Path(value).expanduser()
            if not path.is_absolute():
                path = (base_dir or Path.cwd()) / path
            if not path.is_file():
                raise SweepError(f"{where}: file {str(path)!r} does not exist")
            return str(path.resolve())
        if not isinstance(value, str) or value not in p.choices:  # type: ignore[operator]
            raise SweepError(
                f"{where} must be one of {p.choices} or a {p.suffix} file, got {value!r}"
            )
        return value
    if p.kind == "str":
        if not isinstance(value, str):
            raise SweepError(f"{where} must be a string, one of {p.choices}, got {value!r}")
        if value not in p.choices:  # type: ignore[operator]
            raise SweepError(f"{where} must be one of {p.choices}, got {value!r}")
        return value
    if p.kind == "floats":
        if not isinstance(value, list) or len(value) != p.length:
            raise SweepError(f"{where} must be a list of {p.length} numbers, got {value!r}")
        out = [_number(v, f"{where}[{i}]", False) for i, v in enumerate(value)]
        for i, v in enumerate(out):
            _in_range(v, p, f"{where}[{i}]")
        if p.length == 2 and not out[0] < out[1]:
            raise SweepError(f"{where} must be (low, high) with low < high, got {value!r}")
        return out
    x = _number(value, where, p.kind == "int")
    _in_range(x, p, where)
    if name == "n_pans" and x % 2 == 0:
        raise SweepError(f"{where} must be odd (the pan sweep holds the centre), got {x}")
    return x


def _check_keys(table: Mapping[str, Any], where: str) -> None:
    unknown = sorted(set(table) - set(PARAMETERS))
    renamed = [k for k in unknown if k in _RENAMED]
    if renamed:
        new = _RENAMED[renamed[0]]
        raise SweepError(f"{where}: {renamed[0]} is now called {new!r} (the scene schema's name)")
    if unknown:
        raise SweepError(f"{where}: unknown parameter(s) {unknown}; known: {', '.join(PARAMETERS)}")


def _applies(rule: str | None, run: Mapping[str, Any]) -> bool:
    if rule is None:
        return True
    if rule == "soundbar":
        return run["device"] == "soundbar"
    if rule == "stereo_pair":
        return run["device"] == "stereo_pair"
    if rule == "room":
        return run["room"] != "free_field"
    if rule == "shoebox":
        return run["room"] == "shoebox"
    return run["design"] == "chain"


def resolve(
    params: Mapping[str, Any], *, where: str = "params", base_dir: str | os.PathLike | None = None
) -> dict[str, Any]:
    """Return a run's complete, checked parameters: defaults filled, inapplicable ones ``None``.

    Parameters
    ----------
    params : mapping
        Some of :data:`PARAMETERS`, with TOML-like values (lists for list-valued parameters).
    where : str, optional
        Names the source in error messages.
    base_dir : path-like, optional
        What relative file paths (``device``, ``head``) are relative to; default the working
        directory. They are returned absolute.

    Returns
    -------
    dict
        Every parameter of :data:`PARAMETERS`, in its order.

    Examples
    --------
    >>> run = resolve({"listener_distance": 2, "n_drivers": 4})
    >>> run["listener_distance"], run["n_drivers"], run["dimensions"]   # a smart speaker
    (2.0, None, None)
    >>> run_id(run) == run_id(resolve({}))
    True
    """
    _check_keys(params, where)
    run = {name: p.default for name, p in PARAMETERS.items()}
    for name, value in params.items():
        run[name] = _coerce(
            name, value, f"{where}: {name}", None if base_dir is None else Path(base_dir)
        )
    for name, p in PARAMETERS.items():
        if not _applies(p.applies, run):
            run[name] = None
        elif p.kind == "floats":
            run[name] = [float(v) for v in run[name]]
    if run["max_order"] is None and run["room"] != "free_field":
        run["max_order"] = default_max_order(None if run["room"] == "shoebox" else run["room"])
    nyquist = run["fs"] / 2
    for name in ("beam_band_hz", "band_hz"):
        if run[name] is not None and run[name][1] >= nyquist:
            raise SweepError(f"{where}: {name} must lie below fs / 2 = {nyquist:g} Hz")
    return run


def run_id(run: Mapping[str, Any]) -> str:
    """Return the stable id of a resolved run (:func:`resolve`): 16 hex digits of SHA-256."""
    payload = json.dumps([_VERSION, dict(run)], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def build_scene(run: Mapping[str, Any], *, heads: dict[str, Any] | None = None):
    """Build the :class:`~acoustics.scene.Scene` of a resolved run.

    Parameters
    ----------
    run : mapping
        From :func:`resolve`.
    heads : dict, optional
        A cache of head models by name (loading KEMAR once for many scenes).

    Returns
    -------
    Scene
    """
    import numpy as np

    from acoustics.scene import Listener, Scene

    device = _device(run)
    room = None
    origin = np.zeros(3)
    room_keys = {
        "max_order": run["max_order"],
        "air_absorption": run["air_absorption"],
        "tail": run["tail"],
        "scattering": run["scattering"],
    }
    if run["room"] == "shoebox":
        room_keys.update(dimensions=run["dimensions"], absorption=run["absorption"])
        room = build_room(room_keys, where="room")
    elif run["room"] != "free_field":
        room = build_room({"preset": run["room"], **room_keys}, where="room")
    if room is not None:
        origin = np.array([run["device_wall_distance"], room.dimensions[1] / 2.0, run["height"]])
    position = origin + np.array([run["listener_distance"], run["listener_offset"], 0.0])
    facing = np.rad2deg(np.arctan2(origin[1] - position[1], origin[0] - position[0]))
    if heads is None:
        heads = {}
    if run["head"] not in heads:
        heads[run["head"]] = make_head(run["head"])
    listener = Listener(position, facing + run["listener_yaw_offset_deg"], heads[run["head"]])
    return Scene(device, listener, room=room, device_position=origin, device_yaw_deg=0.0)


def _device(run: Mapping[str, Any]):
    """Build a run's device through the scene schema (a preset, or a scene file's [device])."""
    if run["device"].endswith(".toml"):
        path = Path(run["device"])
        try:
            table = tomllib.loads(path.read_text()).get("device", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"device: {str(path)!r} cannot be read as TOML: {exc}") from exc
        where = f"device {path.name} [device]"
        return build_device(
            table, where=where, base_dir=path.parent, listener_distance=run["listener_distance"]
        )
    table = {"preset": run["device"]}
    if run["device"] == "soundbar":
        table.update(n_drivers=run["n_drivers"], length=run["length"])
    elif run["device"] == "stereo_pair":
        table["angle_deg"] = run["angle_deg"]
    return build_device(table, where="device", listener_distance=run["listener_distance"])


def _grid(grid: Any, base_dir: Path | None = None) -> tuple[list[str], list[list[Any]]]:
    if not isinstance(grid, dict):
        raise SweepError("[grid] must be a table of lists")
    _check_keys(grid, "[grid]")
    keys, values = [], []
    for name, value in grid.items():
        if not isinstance(value, list):
            raise SweepError(f"[grid] {name} must be a list of values, got {value!r}")
        if not value:
            raise SweepError(f"[grid] {name} is an empty list: give at least one value")
        if PARAMETERS[name].kind == "floats" and not all(isinstance(v, list) for v in value):
            raise SweepError(
                f"[grid] {name} takes lists of {PARAMETERS[name].length} numbers: give a list of "
                f"them, e.g. [{list(PARAMETERS[name].default)}], got {value!r}"
            )
        value = [_coerce(name, v, f"[grid] {name}[{i}]", base_dir) for i, v in enumerate(value)]
        keys.append(name)
        values.append(value)
    return keys, values


def _parse(data: Mapping[str, Any], source: str, base_dir: Path, default_name: str) -> Sweep:
    unknown = sorted(set(data) - _TABLES)
    if unknown:
        raise SweepError(f"{source}: unknown table(s) {unknown}; expected {sorted(_TABLES)}")
    head = data.get("sweep", {})
    if not isinstance(head, dict):
        raise SweepError(f"{source}: [sweep] must be a table")
    extra = sorted(set(head) - _SWEEP_KEYS)
    if extra:
        raise SweepError(
            f"{source}: unknown key(s) {extra} in [sweep]; expected {sorted(_SWEEP_KEYS)}"
        )
    for key in _SWEEP_KEYS & set(head):
        if not isinstance(head[key], str) or not head[key]:
            raise SweepError(f"{source}: [sweep] {key} must be a non-empty string")
    name = head.get("name", default_name)
    results = base_dir / head.get("results", f"{name}.csv")

    base = data.get("base", {})
    if not isinstance(base, dict):
        raise SweepError(f"{source}: [base] must be a table")
    _check_keys(base, f"{source}: [base]")
    keys, values = _grid(data.get("grid", {}), base_dir)
    cases = data.get("cases", [{}])
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
        raise SweepError(f"{source}: cases must be an array of tables, [[cases]]")
    if not cases:
        raise SweepError(f"{source}: cases is empty: give at least one [[cases]] table")
    if "grid" not in data and "cases" not in data:
        raise SweepError(f"{source}: nothing to sweep: give a [grid] of lists or [[cases]]")
    if "grid" in data and not keys:
        raise SweepError(f"{source}: [grid] is empty: give at least one parameter and its list")
    for key in keys:
        if key in base:
            raise SweepError(f"{source}: {key} is in both [base] and [grid]; keep one")
    for k, case in enumerate(cases):
        _check_keys(case, f"{source}: cases[{k}]")
        both = sorted(set(case) & set(keys))
        if both:
            raise SweepError(f"{source}: cases[{k}] sets {both}, which [grid] also sweeps")

    runs: dict[str, dict[str, Any]] = {}
    n_listed = 0
    heads: dict[str, Any] = {}
    for case in cases:
        for combo in itertools.product(*values):
            n_listed += 1
            params = {**base, **case, **dict(zip(keys, combo, strict=True))}
            listing = ", ".join(f"{a}={b!r}" for a, b in params.items())
            where = f"{source}: run {n_listed} ({listing})"
            run = resolve(params, where=where, base_dir=base_dir)
            try:
                build_scene(run, heads=heads)
            except (TypeError, ValueError) as exc:
                raise SweepError(f"{where}: {exc}") from exc
            runs.setdefault(run_id(run), run)
    if len(runs) < n_listed:
        warnings.warn(
            f"{source}: {n_listed} runs listed, {len(runs)} distinct once the parameters that do "
            "not apply are dropped; each is run once",
            stacklevel=3,
        )
    return Sweep(name, results, tuple(runs.values()), tuple(runs))


def load_sweep(source: str | os.PathLike | Mapping[str, Any]) -> Sweep:
    """Read and check a sweep (see the module docstring for the format) before anything runs.

    Parameters
    ----------
    source : str, os.PathLike or mapping
        A ``.toml`` file, or its content as a mapping (a relative ``results`` path is then
        relative to the working directory rather than to the file).

    Returns
    -------
    Sweep

    Raises
    ------
    SweepError
        On an unreadable file, invalid TOML, an unknown table or parameter, an empty grid, a
        value of the wrong type or out of range, or a run whose scene cannot be built.
    """
    if isinstance(source, Mapping):
        return _parse(source, "sweep", Path.cwd(), "sweep")
    path = Path(source)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise SweepError(f"sweep file {str(path)!r} cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(f"sweep file {str(path)!r} is not valid TOML: {exc}") from exc
    return _parse(data, path.name, path.resolve().parent, path.stem)
