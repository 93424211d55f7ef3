"""The scene schema: scenes from TOML files, and the device, head and room builders sweeps share.

One schema serves ``soundstage design|evaluate|render SCENE.toml`` (:func:`load_scene`) and the
sweep files of :mod:`experiments.sweep_spec`, which build their devices, heads and rooms with the
same functions (:func:`build_device`, :func:`make_head`, :func:`build_room`) and the same key
names. Every table and key is optional; what is missing takes the default. Units are SI, angles
in degrees, positions in the world (room) frame; example scenes are in ``experiments/scenes/``::

    [device]
    preset = "smart_speaker"          # or "stereo_pair", "soundbar"; or give [[device.drivers]]
    position = [0.5, 2.1, 1.0]        # metres
    yaw_deg = 0.0
    # soundbar:    n_drivers = 8, length = 0.9 (m)
    # stereo_pair: angle_deg = 30.0, half the angle the listener sees; the pair is built for the
    #              listener's distance from the device position

    # A custom device: no preset, one [[device.drivers]] table per driver (device frame:
    # x front, y the device's own left, z up; positions in metres).
    # name = "my_device"
    # [[device.drivers]]
    # name = "left"
    # position = [0.0, -0.06, 0.0]
    # orientation = [0.0, -1.0, 0.0]  # on-axis direction, any non-zero length
    # directivity = "piston"          # "omni"; "piston" with radius (m); "cap" with
    #                                 # sphere_radius (m) and half_angle_deg; "measured" with
    #                                 # file = "driver.sofa" (FreeFieldDirectivityTF)
    # radius = 0.025

    [listener]
    position = [2.5, 2.1, 1.0]
    yaw_deg = 180.0
    head = "sphere"                   # or "point", "brown-duda", "kemar", or "path/to/hrtf.sofa"

    [room]                            # leave the table out for free field
    preset = "living_room"            # or "bare_room", "studio"; or give:
    # dimensions = [5.5, 4.2, 2.6]
    # absorption = 0.3                # one value, six (per wall) or six lists of seven bands
    # max_order = 3                   # image-source order (default: the preset's own, or 3)
    # air_absorption = false          # a boolean
    # tail = "eyring"                 # the late tail: "eyring", "sabine", "ray_tracing", "none"
    # scattering = 0.2                # walls' scattering, for tail = "ray_tracing"
    # transition_ms = 20.0            # start the tail earlier than max_order's images end

Relative paths (``head``, a measured driver's ``file``) are relative to the scene file. Unknown
tables or keys are errors (a typo should not silently fall back to a default), and so are values
of the wrong type: ``TypeError`` for a string where a number belongs or ``"no"`` for a boolean,
``ValueError`` for a value out of range; both name the table and key.
"""

from __future__ import annotations

import inspect
import math
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from acoustics.scene import Listener, Scene

__all__ = [
    "load_scene",
    "make_head",
    "build_device",
    "build_room",
    "default_max_order",
    "HEAD_CHOICES",
    "DEVICE_PRESETS",
    "ROOM_PRESETS",
    "DIRECTIVITY_CHOICES",
]

#: Head models by name (a head may also be given as the path of a ``.sofa`` file).
HEAD_CHOICES: tuple[str, ...] = ("sphere", "point", "brown-duda", "kemar")
#: Device presets by name.
DEVICE_PRESETS: tuple[str, ...] = ("smart_speaker", "stereo_pair", "soundbar")
#: Room presets by name.
ROOM_PRESETS: tuple[str, ...] = ("living_room", "bare_room", "studio")
#: Directivity models of a custom driver.
DIRECTIVITY_CHOICES: tuple[str, ...] = ("omni", "piston", "cap", "measured")

_PRESET_KEYS = {
    "smart_speaker": set(),
    "stereo_pair": {"angle_deg"},
    "soundbar": {"n_drivers", "length"},
}
_DIRECTIVITY_KEYS = {
    "omni": set(),
    "piston": {"radius"},
    "cap": {"sphere_radius", "half_angle_deg"},
    "measured": {"file"},
}
_KEYS = {
    "device": {"preset", "position", "yaw_deg", "name", "drivers"}.union(*_PRESET_KEYS.values()),
    "listener": {"position", "yaw_deg", "head"},
    "room": {
        "preset",
        "dimensions",
        "absorption",
        "max_order",
        "air_absorption",
        "tail",
        "scattering",
        "transition_ms",
    },
}
_DRIVER_KEYS = {"name", "position", "orientation", "directivity"}.union(*_DIRECTIVITY_KEYS.values())


# -- typed values -------------------------------------------------------------------------------


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{where} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{where} must be finite, got {value!r}")
    return float(value)


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{where} must be an integer, got {value!r}")
    return int(value)


def _boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{where} must be a boolean (true or false), got {value!r}")
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{where} must be a non-empty string, got {value!r}")
    return value


def _vector(value: Any, where: str) -> list[float]:
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        raise TypeError(f"{where} must be a list of 3 numbers, got {value!r}")
    return [_number(v, f"{where}[{i}]") for i, v in enumerate(value)]


def _choice(value: Any, choices: tuple[str, ...], where: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{where} must be one of {choices}, got {value!r}")
    return value


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{where} must be a table, got {value!r}")
    return value


def _no_extra(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise ValueError(f"{where}: unknown key(s) {extra}; expected some of {sorted(allowed)}")


def _path(value: Any, where: str, base_dir: Path | None) -> Path:
    p = Path(_string(value, where)).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = base_dir / p
    if not p.is_file():
        raise ValueError(f"{where}: file {str(p)!r} does not exist")
    return p


def _read_sofa(reader, path: Path, what: str, where: str):
    """Read a SOFA file with ``reader``; any failure is a ValueError naming ``where``."""
    try:
        return reader(path)
    except (OSError, KeyError) as exc:
        raise ValueError(
            f"{where}: {str(path)!r} is not a readable {what} SOFA file: {exc}"
        ) from exc
    except ValueError as exc:
        raise ValueError(f"{where}: {str(path)!r}: {exc}") from exc


# -- heads --------------------------------------------------------------------------------------


def make_head(name: str, *, base_dir: str | os.PathLike | None = None, where: str = "head"):
    """Return a head model: one of :data:`HEAD_CHOICES`, or a ``.sofa`` file's measured head.

    Parameters
    ----------
    name : str
        A name of :data:`HEAD_CHOICES`, or the path of a ``SimpleFreeFieldHRIR`` SOFA file
        (:meth:`acoustics.heads.hrtf.MeasuredHRTF.from_sofa`), which must span the horizontal plane
        and have its left ear first.
    base_dir : path-like, optional
        What a relative path is relative to (default: the working directory).
    where : str, optional
        Names the value in error messages.
    """
    from acoustics.heads import BrownDuda, PointEars, RigidSphere

    if isinstance(name, str) and name.lower().endswith(".sofa"):
        from acoustics.heads.hrtf import MeasuredHRTF

        path = _path(name, where, None if base_dir is None else Path(base_dir))
        return _read_sofa(MeasuredHRTF.from_sofa, path, "an HRIR", where)
    if name == "sphere":
        return RigidSphere()
    if name == "point":
        return PointEars()
    if name == "brown-duda":
        return BrownDuda()
    if name == "kemar":
        from acoustics.heads.hrtf import MeasuredHRTF

        return MeasuredHRTF.kemar()
    raise ValueError(f"{where} must be one of {HEAD_CHOICES} or a .sofa file, got {name!r}")


# -- devices ------------------------------------------------------------------------------------


def _directivity(table: Mapping[str, Any], where: str, base_dir: Path | None):
    from acoustics.sources import BaffledPiston, Omni, SphereCap

    kind = _choice(table.get("directivity", "omni"), DIRECTIVITY_CHOICES, f"{where}.directivity")
    for other, keys in _DIRECTIVITY_KEYS.items():
        stray = sorted(keys & set(table)) if other != kind else []
        if stray:
            raise ValueError(f"{where}: {stray} belong to directivity {other!r}, not {kind!r}")
    missing = sorted(_DIRECTIVITY_KEYS[kind] - set(table))
    if missing:
        raise ValueError(f"{where}: directivity {kind!r} needs {missing}")
    try:
        if kind == "piston":
            return BaffledPiston(_number(table["radius"], f"{where}.radius"))
        if kind == "cap":
            return SphereCap(
                _number(table["sphere_radius"], f"{where}.sphere_radius"),
                _number(table["half_angle_deg"], f"{where}.half_angle_deg"),
            )
        if kind == "measured":
            from acoustics.sources.measured import MeasuredDirectivity

            path = _path(table["file"], f"{where}.file", base_dir)
            return _read_sofa(MeasuredDirectivity.from_sofa, path, "a directivity", where)
    except ValueError as exc:
        if str(exc).startswith(where):
            raise
        raise ValueError(f"{where}: {exc}") from exc
    return Omni()


def _custom_device(table: Mapping[str, Any], where: str, base_dir: Path | None):
    from acoustics.sources import Device, Driver

    drivers_spec = table["drivers"]
    if not isinstance(drivers_spec, list) or not drivers_spec:
        raise TypeError(f"{where}.drivers must be an array of tables, [[device.drivers]]")
    drivers = []
    for k, spec in enumerate(drivers_spec):
        at = f"{where}.drivers[{k}]"
        spec = _table(spec, at)
        _no_extra(spec, _DRIVER_KEYS, at)
        for key in ("position", "orientation"):
            if key not in spec:
                raise ValueError(f"{at}: {key} is required")
        name = _string(spec.get("name", f"d{k}"), f"{at}.name")
        position = _vector(spec["position"], f"{at}.position")
        orientation = _vector(spec["orientation"], f"{at}.orientation")
        if math.hypot(*orientation) < 1e-12:
            raise ValueError(f"{at}.orientation must be a non-zero direction, got {orientation}")
        drivers.append(Driver(name, position, orientation, _directivity(spec, at, base_dir)))
    try:
        return Device(_string(table.get("name", "custom"), f"{where}.name"), tuple(drivers))
    except ValueError as exc:
        raise ValueError(f"{where}.drivers: {exc}") from exc


def build_device(
    table: Mapping[str, Any],
    *,
    where: str = "[device]",
    base_dir: str | os.PathLike | None = None,
    listener_distance: float = 2.0,
):
    """Build the device of a ``[device]`` table (see the module docstring).

    Parameters
    ----------
    table : mapping
        The table; ``position`` and ``yaw_deg`` (the placement) are accepted and ignored here.
    where : str, optional
        Names the table in error messages.
    base_dir : path-like, optional
        What a measured driver's relative ``file`` is relative to.
    listener_distance : float, optional
        The listener's distance from the device position in metres, for which a
        ``stereo_pair`` is built.

    Returns
    -------
    Device
    """
    from acoustics.sources import presets as devices

    table = _table(table, where)
    _no_extra(table, _KEYS["device"], where)
    base = None if base_dir is None else Path(base_dir)
    if "drivers" in table:
        stray = sorted(({"preset"} | set().union(*_PRESET_KEYS.values())) & set(table))
        if stray:
            raise ValueError(f"{where}: a custom device ([[device.drivers]]) takes no {stray}")
        return _custom_device(table, where, base)
    if "name" in table:
        raise ValueError(f"{where}: name is for a custom device; give [[device.drivers]] too")
    preset = _choice(table.get("preset", "smart_speaker"), DEVICE_PRESETS, f"{where}.preset")
    stray = sorted((_KEYS["device"] - {"preset", "position", "yaw_deg"}) & set(table))
    stray = [k for k in stray if k not in _PRESET_KEYS[preset]]
    if stray:
        raise ValueError(f"{where}: {stray} do not apply to preset {preset!r}")
    try:
        if preset == "soundbar":
            return devices.soundbar(
                _integer(table.get("n_drivers", 8), f"{where}.n_drivers"),
                _number(table.get("length", 0.9), f"{where}.length"),
            )
        if preset == "stereo_pair":
            angle = _number(table.get("angle_deg", 30.0), f"{where}.angle_deg")
            return devices.stereo_pair(listener_distance=listener_distance, angle_deg=angle)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    return devices.smart_speaker()


# -- rooms --------------------------------------------------------------------------------------


def default_max_order(preset: str | None) -> int:
    """Return the image-source order a room takes by default: the preset's, or :class:`Room`'s."""
    from acoustics import room as rooms

    if preset is None:
        return rooms.Room.__dataclass_fields__["max_order"].default
    return inspect.signature(getattr(rooms, preset)).parameters["max_order"].default


def build_room(table: Mapping[str, Any], *, where: str = "[room]"):
    """Build the room of a ``[room]`` table: a preset, or dimensions and absorption.

    Parameters
    ----------
    table : mapping
        ``preset`` (one of :data:`ROOM_PRESETS`) or ``dimensions`` and ``absorption``; optional
        ``max_order`` (default :func:`default_max_order`), ``air_absorption`` (a boolean,
        default false), and the late tail's ``tail``, ``scattering`` and ``transition_ms``
        (defaults of :class:`acoustics.room.Room`).
    where : str, optional
        Names the table in error messages.

    Returns
    -------
    Room
    """
    from acoustics import room as rooms

    table = _table(table, where)
    _no_extra(table, _KEYS["room"], where)
    preset = table.get("preset")
    if preset is not None:
        _choice(preset, ROOM_PRESETS, f"{where}.preset")
        if "dimensions" in table or "absorption" in table:
            raise ValueError(f"{where}: give a preset or dimensions and absorption, not both")
    elif "dimensions" not in table or "absorption" not in table:
        raise ValueError(f"{where}: give a preset, or both dimensions and absorption")
    order = table.get("max_order", default_max_order(preset))
    order = _integer(order, f"{where}.max_order")
    air = _boolean(table.get("air_absorption", False), f"{where}.air_absorption")
    late = {}
    if "tail" in table:
        late["tail"] = _choice(table["tail"], rooms.TAIL_MODELS, f"{where}.tail")
    for key in ("scattering", "transition_ms"):
        if key in table:
            late[key] = _number(table[key], f"{where}.{key}")
    try:
        if preset is not None:
            return getattr(rooms, preset)(max_order=order, air_absorption=air, **late)
        dims = _vector(table["dimensions"], f"{where}.dimensions")
        return rooms.Room(dims, table["absorption"], max_order=order, air_absorption=air, **late)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc


# -- scenes -------------------------------------------------------------------------------------


def load_scene(path: str | os.PathLike) -> Scene:
    """Read a scene from a TOML file (see the module docstring for the format).

    Parameters
    ----------
    path : str or os.PathLike
        The ``.toml`` file.

    Returns
    -------
    Scene

    Raises
    ------
    ValueError, TypeError
        On an unreadable file, invalid TOML, an unknown table or key, a value of the wrong type
        or out of range, or a scene that cannot stand (a listener outside the room, say); the
        message names the file, the table and the key.
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"path {str(p)!r} cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"path {str(p)!r} is not valid TOML: {exc}") from exc
    try:
        return _scene(data, p.resolve().parent)
    except TypeError as exc:
        raise TypeError(f"{p.name}: {exc}") from exc
    except ValueError as exc:
        raise ValueError(f"{p.name}: {exc}") from exc


def _scene(data: Mapping[str, Any], base_dir: Path) -> Scene:
    import numpy as np

    unknown = set(data) - set(_KEYS)
    if unknown:
        raise ValueError(f"unknown table(s) {sorted(unknown)}; expected {sorted(_KEYS)}")
    dev = _table(data.get("device", {}), "[device]")
    lis = _table(data.get("listener", {}), "[listener]")
    _no_extra(lis, _KEYS["listener"], "[listener]")
    device_position = _vector(dev.get("position", [0.0, 0.0, 0.0]), "[device].position")
    device_yaw = _number(dev.get("yaw_deg", 0.0), "[device].yaw_deg")
    listener_position = _vector(lis.get("position", [2.0, 0.0, 0.0]), "[listener].position")
    distance = float(np.linalg.norm(np.subtract(listener_position, device_position)))
    device = build_device(
        dev, base_dir=base_dir, listener_distance=distance if distance > 0 else 2.0
    )
    head = make_head(lis.get("head", "sphere"), base_dir=base_dir, where="[listener].head")
    listener = Listener(
        listener_position, _number(lis.get("yaw_deg", 180.0), "[listener].yaw_deg"), head
    )
    room = build_room(data["room"]) if "room" in data else None
    try:
        return Scene(
            device,
            listener,
            room=room,
            device_position=device_position,
            device_yaw_deg=device_yaw,
        )
    except ValueError as exc:  # a scene that cannot stand: name the keys that place it
        given = {"[device]": "position" in dev, "[listener]": "position" in lis}
        where = "[device].position" if str(exc).startswith("device_position") else None
        where = where or ("[listener].position" if str(exc).startswith("listener") else None)
        if where is None:
            raise
        table = where.split(".")[0]
        default = "" if given[table] else " (not given: the default)"
        raise ValueError(f"{where}{default}: {exc}") from exc
