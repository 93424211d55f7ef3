"""Scenes from TOML files, for the command line (``soundstage render --scene SCENE.toml``).

Every table and key is optional; what is missing takes the default scene's value. Units are SI,
angles in degrees, positions in the world (room) frame::

    [device]
    preset = "smart_speaker"          # or "stereo_pair", "soundbar"
    position = [0.5, 2.1, 1.0]        # metres
    yaw_deg = 0.0
    # soundbar only: n_drivers = 8, length = 0.9

    [listener]
    position = [2.5, 2.1, 1.0]
    yaw_deg = 180.0
    head = "sphere"                   # or "point", "brown-duda", "kemar"

    [room]                            # leave the table out for free field
    preset = "living_room"            # or "bare_room", "studio"; or give:
    # dimensions = [5.5, 4.2, 2.6]
    # absorption = 0.3                # one value, six (per wall) or six lists of seven bands
    max_order = 6

Unknown tables or keys are errors (a typo should not silently fall back to a default).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from acoustics.scene import Listener, Scene

__all__ = ["load_scene", "make_head", "HEAD_CHOICES", "DEVICE_PRESETS", "ROOM_PRESETS"]

#: Head models by name.
HEAD_CHOICES: tuple[str, ...] = ("sphere", "point", "brown-duda", "kemar")
#: Device presets by name.
DEVICE_PRESETS: tuple[str, ...] = ("smart_speaker", "stereo_pair", "soundbar")
#: Room presets by name.
ROOM_PRESETS: tuple[str, ...] = ("living_room", "bare_room", "studio")

_KEYS = {
    "device": {"preset", "position", "yaw_deg", "n_drivers", "length"},
    "listener": {"position", "yaw_deg", "head"},
    "room": {"preset", "dimensions", "absorption", "max_order", "air_absorption"},
}


def make_head(name: str):
    """Return the head model called ``name`` (one of :data:`HEAD_CHOICES`)."""
    from acoustics.heads import BrownDuda, PointEars, RigidSphere

    if name == "sphere":
        return RigidSphere()
    if name == "point":
        return PointEars()
    if name == "brown-duda":
        return BrownDuda()
    if name == "kemar":
        from acoustics.hrtf import MeasuredHRTF

        return MeasuredHRTF.kemar()
    raise ValueError(f"head must be one of {HEAD_CHOICES}, got {name!r}")


def _device(table: dict[str, Any]):
    from acoustics import devices

    preset = table.get("preset", "smart_speaker")
    if preset == "smart_speaker":
        return devices.smart_speaker()
    if preset == "stereo_pair":
        return devices.stereo_pair()
    if preset == "soundbar":
        return devices.soundbar(table.get("n_drivers", 8), table.get("length", 0.9))
    raise ValueError(f"device.preset must be one of {DEVICE_PRESETS}, got {preset!r}")


def _room(table: dict[str, Any]):
    from acoustics import room as rooms

    order = table.get("max_order")
    if "preset" in table:
        if "dimensions" in table or "absorption" in table:
            raise ValueError("room: give a preset or dimensions and absorption, not both")
        if table["preset"] not in ROOM_PRESETS:
            raise ValueError(f"room.preset must be one of {ROOM_PRESETS}, got {table['preset']!r}")
        factory = getattr(rooms, table["preset"])
        kwargs = {"air_absorption": bool(table.get("air_absorption", False))}
        return factory(**kwargs) if order is None else factory(max_order=order, **kwargs)
    if "dimensions" not in table or "absorption" not in table:
        raise ValueError("room: give a preset, or both dimensions and absorption")
    return rooms.Room(
        table["dimensions"],
        table["absorption"],
        max_order=6 if order is None else order,
        air_absorption=bool(table.get("air_absorption", False)),
    )


def load_scene(path: str | os.PathLike) -> Scene:
    """Read a scene from a TOML file (see the module docstring for the format).

    Parameters
    ----------
    path : str or os.PathLike
        The ``.toml`` file.

    Returns
    -------
    Scene
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text())
    except OSError as exc:
        raise ValueError(f"path {str(p)!r} cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"path {str(p)!r} is not valid TOML: {exc}") from exc
    unknown = set(data) - set(_KEYS)
    if unknown:
        raise ValueError(f"{p.name}: unknown table(s) {sorted(unknown)}; expected {sorted(_KEYS)}")
    for name, keys in _KEYS.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise ValueError(f"{p.name}: [{name}] must be a table")
        extra = set(table) - keys
        if extra:
            raise ValueError(f"{p.name}: unknown key(s) {sorted(extra)} in [{name}]")
    dev, lis = data.get("device", {}), data.get("listener", {})
    listener = Listener(
        lis.get("position", (2.0, 0.0, 0.0)),
        lis.get("yaw_deg", 180.0),
        make_head(lis.get("head", "sphere")),
    )
    return Scene(
        _device(dev),
        listener,
        room=_room(data["room"]) if "room" in data else None,
        device_position=dev.get("position", (0.0, 0.0, 0.0)),
        device_yaw_deg=dev.get("yaw_deg", 0.0),
    )
