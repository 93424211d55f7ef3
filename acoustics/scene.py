"""Listeners, scenes and the transfer matrices a scene yields.

A :class:`Scene` places a :class:`~acoustics.sources.Device` and a :class:`Listener` (or a
:class:`ListenerGrid` of listening positions) in the world frame, optionally in a room. One scene
produces every :class:`~acoustics.transfer.TransferMatrix` a design or an evaluation needs
(docs/architecture.md, "Data flow"): :func:`ear_transfer` for driver-to-ear responses and
:func:`azimuth_transfer` for beam patterns.

A listener's orientation is given as ``yaw_deg`` (where the nose points, degrees counter-clockwise
from world +x; docs/conventions.md, "Frames"); heads stay upright.

The default scene (:func:`default_scene`) puts the smart speaker at the world origin facing +x and
the listener 2 m in front of it, facing it (yaw 180 deg): the listener's left is then world -y, the
device's -y, where the driver named ``"left"`` sits.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.freefield import azimuth_transfer_freefield, ear_transfer_freefield
from acoustics.geometry import SPEED_OF_SOUND, greens_function, rotation_matrix
from acoustics.heads import HeadModel, RigidSphere
from acoustics.room import Room, image_sources, living_room
from acoustics.room.engines import RoomMethod, ear_transfer_room, point_transfer_room
from acoustics.room.late_tail import response_seconds
from acoustics.sources import Device
from acoustics.sources.presets import smart_speaker, stereo_pair
from acoustics.transfer import TransferMatrix
from acoustics.validation import (
    as_float_array,
    as_freqs,
    as_int,
    as_point,
    as_positions,
    as_positive,
    as_real,
)

__all__ = [
    "Listener",
    "ListenerGrid",
    "Scene",
    "default_scene",
    "living_room_scene",
    "listener_grid",
    "ear_transfer",
    "azimuth_transfer",
    "impulse_responses",
    "impulse_response_length",
    "reference_scene",
    "EAR_LABELS",
]

#: Receiver labels of a single listener, always in this order.
EAR_LABELS: tuple[str, str] = ("left", "right")


def _check_head(head: object) -> None:
    if not isinstance(head, HeadModel):
        raise TypeError(f"head must be a HeadModel, got {type(head).__name__}")


@dataclass(frozen=True, eq=False)
class Listener:
    """A listener: head centre, orientation and ear model.

    Parameters
    ----------
    position : (3,) array_like
        Head centre in the world frame, in metres.
    yaw_deg : float, optional
        Where the nose points, degrees counter-clockwise from world +x.
    head : HeadModel, optional
        Ear model; a rigid sphere of radius 0.0875 m by default.
    """

    position: NDArray[np.float64]
    yaw_deg: float = 0.0
    head: HeadModel = field(default_factory=RigidSphere)

    def __post_init__(self) -> None:
        pos = as_point(self.position, "position")
        pos.flags.writeable = False
        object.__setattr__(self, "position", pos)
        object.__setattr__(self, "yaw_deg", as_real(self.yaw_deg, "yaw_deg"))
        _check_head(self.head)

    @property
    def rotation(self) -> NDArray[np.float64]:
        """Listener-to-world rotation, ``(3, 3)``."""
        return rotation_matrix(self.yaw_deg)

    @property
    def ear_positions(self) -> NDArray[np.float64]:
        """World positions of the (left, right) ears, ``(2, 3)`` in metres."""
        return self.head.ear_positions @ self.rotation.T + self.position


@dataclass(frozen=True, eq=False)
class ListenerGrid:
    """Many listening positions sharing one ear model, evaluated in one vectorized call.

    Parameters
    ----------
    positions : (n, 3) array_like
        Head centres in the world frame, in metres.
    yaws_deg : (n,) array_like
        Nose directions, degrees counter-clockwise from world +x.
    head : HeadModel, optional
        Ear model; a rigid sphere by default.
    """

    positions: NDArray[np.float64]
    yaws_deg: NDArray[np.float64]
    head: HeadModel = field(default_factory=RigidSphere)

    def __post_init__(self) -> None:
        pos = as_positions(self.positions, "positions")
        yaws = np.atleast_1d(as_float_array(self.yaws_deg, "yaws_deg"))
        if yaws.shape != (pos.shape[0],):
            raise ValueError(
                f"yaws_deg must have shape ({pos.shape[0]},) to match positions, got {yaws.shape}"
            )
        pos.flags.writeable = False
        yaws.flags.writeable = False
        object.__setattr__(self, "positions", pos)
        object.__setattr__(self, "yaws_deg", yaws)
        _check_head(self.head)

    def __len__(self) -> int:
        return self.positions.shape[0]

    @property
    def receiver_labels(self) -> tuple[str, ...]:
        """Labels ``"<i>:left"``, ``"<i>:right"`` for listener ``i``, in that order."""
        return tuple(f"{i}:{ear}" for i in range(len(self)) for ear in EAR_LABELS)


def listener_grid(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    z: float = 0.0,
    facing: npt.ArrayLike | None = (0.0, 0.0, 0.0),
    yaw_deg: float | None = None,
    head: HeadModel | None = None,
) -> ListenerGrid:
    """Build a rectangular grid of listening positions.

    Parameters
    ----------
    x, y : 1-D array_like
        Grid coordinates in the world frame, in metres; the grid is their Cartesian product, with
        ``x`` varying slowest (``positions.reshape(len(x), len(y), 3)`` recovers it).
    z : float, optional
        Ear height in metres.
    facing : (3,) array_like, optional
        A point every listener faces (their yaw turns the nose towards it in the horizontal
        plane); the world origin by default, where the default scene puts the device.
    yaw_deg : float, optional
        A common yaw instead of ``facing`` (pass ``facing=None``).
    head : HeadModel, optional
        Ear model; a rigid sphere by default.

    Returns
    -------
    ListenerGrid
    """
    xs = np.atleast_1d(as_float_array(x, "x"))
    ys = np.atleast_1d(as_float_array(y, "y"))
    for name, arr in (("x", xs), ("y", ys)):
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    positions = np.stack([gx.ravel(), gy.ravel(), np.full(gx.size, as_real(z, "z"))], axis=1)
    if (facing is None) == (yaw_deg is None):
        raise ValueError("give exactly one of facing and yaw_deg (set facing=None to use yaw_deg)")
    if yaw_deg is not None:
        yaws = np.full(positions.shape[0], as_real(yaw_deg, "yaw_deg"))
    else:
        target = as_point(facing, "facing")
        d = target - positions
        if np.any(np.hypot(d[:, 0], d[:, 1]) < 1e-9):
            raise ValueError("facing must not coincide (in the horizontal plane) with a grid point")
        yaws = np.rad2deg(np.arctan2(d[:, 1], d[:, 0]))
    return ListenerGrid(positions, yaws, RigidSphere() if head is None else head)


@dataclass(frozen=True, eq=False)
class Scene:
    """A device and a listener (or listener grid) in the world, in free field or a room.

    Parameters
    ----------
    device : Device
        The loudspeaker device; driver positions are in its own frame.
    listener : Listener or ListenerGrid
        Who listens, in the world frame.
    room : Room, optional
        A shoebox room (:class:`acoustics.room.Room`), in whose frame (origin at a corner) the
        device and listener are placed; ``None`` is free field.
    device_position : (3,) array_like, optional
        The device origin in the world frame, in metres.
    device_yaw_deg : float, optional
        Where the device's front points, degrees counter-clockwise from world +x.
    """

    device: Device
    listener: Listener | ListenerGrid
    room: Room | None = None
    device_position: NDArray[np.float64] = field(default_factory=lambda: np.zeros(3))
    device_yaw_deg: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.device, Device):
            raise TypeError(f"device must be a Device, got {type(self.device).__name__}")
        if not isinstance(self.listener, (Listener, ListenerGrid)):
            raise TypeError(
                f"listener must be a Listener or ListenerGrid, got {type(self.listener).__name__}"
            )
        if self.room is not None and not isinstance(self.room, Room):
            raise TypeError(f"room must be a Room or None, got {type(self.room).__name__}")
        pos = as_point(self.device_position, "device_position")
        pos.flags.writeable = False
        object.__setattr__(self, "device_position", pos)
        object.__setattr__(self, "device_yaw_deg", as_real(self.device_yaw_deg, "device_yaw_deg"))
        self._check_listener_outside_device()
        if self.room is not None:
            # Physically meaningless set-ups are refused before any work.
            drivers = self.driver_positions
            inside = self.room.contains(drivers)
            if not np.all(inside):
                name = self.device.driver_names[int(np.argmin(inside))]
                raise ValueError(
                    f"device_position puts driver {name!r} outside the room "
                    f"{self.room.dimensions.tolist()}"
                )
            self._check_device_inside_room()
            lis = self.listener
            heads = lis.position[None, :] if isinstance(lis, Listener) else lis.positions
            inside = self.room.contains(heads, margin=lis.head.radius)
            if not np.all(inside):
                raise ValueError(
                    f"listener: the head at {heads[int(np.argmin(inside))].tolist()} does not fit "
                    f"inside the room {self.room.dimensions.tolist()}"
                )

    def _check_listener_outside_device(self) -> None:
        """Refuse a head that overlaps the device's body (its drivers' hull and enclosures)."""
        lis = self.listener
        heads = lis.position[None, :] if isinstance(lis, Listener) else lis.positions
        local = (heads - self.device_position) @ self.device_rotation  # into the device frame
        gap = self.device.body_distance(local) - lis.head.radius
        if np.any(gap < 0):
            i = int(np.argmin(gap))
            raise ValueError(
                f"listener: the head at {np.round(heads[i], 4).tolist()} (radius "
                f"{lis.head.radius:g} m) overlaps the device {self.device.name!r} (its drivers' "
                f"hull and enclosures), {max(-gap[i], 0.0) * 1e3:.0f} mm too close"
            )

    def _check_device_inside_room(self) -> None:
        """Refuse a device whose drivers or enclosures are not inside the room."""
        centres, radii = self.device.enclosures
        world = centres @ self.device_rotation.T + self.device_position
        for centre, radius in zip(world, radii, strict=True):
            if not self.room.contains(centre, margin=radius)[0]:
                raise ValueError(
                    f"device_position puts the device's enclosure (a sphere of radius "
                    f"{radius:g} m at {np.round(centre, 4).tolist()}) through a wall of the "
                    f"room {self.room.dimensions.tolist()}"
                )

    @property
    def device_rotation(self) -> NDArray[np.float64]:
        """Device-to-world rotation, ``(3, 3)``."""
        return rotation_matrix(self.device_yaw_deg)

    @property
    def driver_positions(self) -> NDArray[np.float64]:
        """World positions of the drivers, ``(n_drivers, 3)`` in metres."""
        return self.device.positions @ self.device_rotation.T + self.device_position


def default_scene(*, head: HeadModel | None = None, distance: float = 2.0) -> Scene:
    """Build the default scene: the smart speaker at the origin facing +x, a listener facing it.

    Parameters
    ----------
    head : HeadModel, optional
        The listener's ear model; a rigid sphere by default.
    distance : float, optional
        Listener distance in metres along +x.

    Returns
    -------
    Scene
        Free field; listener at ``(distance, 0, 0)`` with yaw 180 deg.
    """
    listener = Listener((as_real(distance, "distance"), 0.0, 0.0), 180.0, head or RigidSphere())
    return Scene(smart_speaker(), listener)


def living_room_scene(*, head: HeadModel | None = None, max_order: int | None = None) -> Scene:
    """Build the demo's room scene: the smart speaker and a listener 2 m away in a living room.

    Parameters
    ----------
    head : HeadModel, optional
        The listener's ear model; a rigid sphere by default.
    max_order : int, optional
        Image-source order of the room; :func:`acoustics.room.living_room`'s by default.

    Returns
    -------
    Scene
        :func:`acoustics.room.living_room` as it comes (image sources, then the late tail), the
        device 0.5 m from the wall at ``x = 0`` facing +x, the listener at ``(2.5, 2.1, 1.1)``
        facing it (yaw 180 deg).
    """
    room = living_room() if max_order is None else living_room(max_order=max_order)
    listener = Listener((2.5, 2.1, 1.1), 180.0, head or RigidSphere())
    return Scene(smart_speaker(), listener, room=room, device_position=(0.5, 2.1, 1.1))


def ear_transfer(
    scene: Scene,
    freqs: npt.ArrayLike,
    *,
    c: float = SPEED_OF_SOUND,
    method: RoomMethod = "auto",
) -> TransferMatrix:
    """Driver-to-ear transfer matrix of a scene.

    Parameters
    ----------
    scene : Scene
        Device, listener (or grid) and room.
    freqs : (n_freqs,) array_like
        Frequencies in Hz, strictly increasing.
    c : float, optional
        Speed of sound in m/s.
    method : {"auto", "exact"}, optional
        How a room is evaluated (:func:`acoustics.room.engines.ear_transfer_room`); free field
        is exact either way.

    Returns
    -------
    TransferMatrix
        ``H`` of shape ``(2, n_drivers, n_freqs)`` with receivers ``("left", "right")`` for a
        single listener, or ``(2 n, n_drivers, n_freqs)`` with receivers ``"<i>:left"``,
        ``"<i>:right"`` for a grid of ``n`` listeners (reshape ``H`` to ``(n, 2, ...)``); sources
        are the driver names. Pascals per unit source strength (:mod:`acoustics.freefield`).

    Examples
    --------
    >>> import numpy as np
    >>> tm = ear_transfer(default_scene(), np.fft.rfftfreq(512, 1 / 48000))
    >>> tm.receivers, tm.sources[:2]
    (('left', 'right'), ('left', 'right'))
    """
    if not isinstance(scene, Scene):
        raise TypeError(f"scene must be a Scene, got {type(scene).__name__}")
    f = as_freqs(freqs)
    lis = scene.listener
    if isinstance(lis, Listener):
        positions, yaws, receivers = lis.position[None, :], np.array([lis.yaw_deg]), EAR_LABELS
    else:
        positions, yaws, receivers = lis.positions, lis.yaws_deg, lis.receiver_labels
    common = dict(device_position=scene.device_position, device_yaw_deg=scene.device_yaw_deg, c=c)
    if scene.room is None:
        h = ear_transfer_freefield(scene.device, positions, yaws, lis.head, f, **common)
        model = "free field"
    else:
        h = ear_transfer_room(
            scene.room, scene.device, positions, yaws, lis.head, f, method=method, **common
        )
        model = f"shoebox, {scene.room.describe()}"
    meta = {
        "model": model,
        "head": type(lis.head).__name__,
        "device": scene.device.name,
        "listener_positions": positions.copy(),
        "listener_yaws_deg": yaws.copy(),
        "c": c,
    }
    if scene.room is not None:
        meta["room_dimensions"] = scene.room.dimensions.copy()
    return TransferMatrix(
        h.reshape(-1, *h.shape[2:]), f, receivers, scene.device.driver_names, meta, c=c
    )


def azimuth_transfer(
    device: Device | Scene,
    azimuths_deg: npt.ArrayLike,
    freqs: npt.ArrayLike,
    *,
    distance: float | None = None,
    elevation_deg: float = 0.0,
    c: float = SPEED_OF_SOUND,
) -> TransferMatrix:
    """Driver-to-direction responses for beam patterns, in free field or in a scene's room.

    Parameters
    ----------
    device : Device or Scene
        A device (free field), or a scene whose device placement and room are used.
    azimuths_deg, freqs, distance, elevation_deg, c
        As for :func:`acoustics.freefield.azimuth_transfer_freefield`. Azimuths are in the device
        frame (0 on-axis, +90 the device's left). In a room, ``distance`` is required: the receivers
        are omnidirectional points on that arc around the device origin.

    Returns
    -------
    TransferMatrix
        ``(n_azimuths, n_drivers, n_freqs)``, relative to a unit point source at the device origin
        in free field (so the direct sound alone equals the free-field pattern at that distance).
    """
    if isinstance(device, Device):
        return azimuth_transfer_freefield(
            device, azimuths_deg, freqs, distance=distance, elevation_deg=elevation_deg, c=c
        )
    if not isinstance(device, Scene):
        raise TypeError(f"device must be a Device or a Scene, got {type(device).__name__}")
    scene = device
    if scene.room is None:
        return azimuth_transfer_freefield(
            scene.device, azimuths_deg, freqs, distance=distance, elevation_deg=elevation_deg, c=c
        )
    if distance is None:
        raise ValueError("distance is required for beam patterns in a room (no far field there)")
    # The free-field call validates the arguments and gives the labels and directions.
    free = azimuth_transfer_freefield(
        scene.device, azimuths_deg, freqs, distance=distance, elevation_deg=elevation_deg, c=c
    )
    points_device = free.directions.vectors * float(distance)
    points = points_device @ scene.device_rotation.T + scene.device_position
    h = point_transfer_room(
        scene.room,
        scene.device,
        points,
        free.freqs,
        device_position=scene.device_position,
        device_yaw_deg=scene.device_yaw_deg,
        c=c,
    )
    reference = greens_function(np.array([float(distance)]), free.freqs, c=c)[0]
    meta = dict(free.meta)
    meta.update(model=f"shoebox, {scene.room.describe()}")
    return TransferMatrix(
        h / reference,
        free.freqs,
        free.receivers,
        free.sources,
        meta,
        c=c,
        directions=free.directions,
        source_positions=free.source_positions,
    )


def impulse_responses(
    scene: Scene, fs: float, n_taps: int, *, c: float = SPEED_OF_SOUND
) -> NDArray[np.float64]:
    """Driver-to-ear impulse responses of a scene (free field or room), band-limited to fs / 2.

    Computed exactly in the frequency domain on an FFT grid long enough that nothing wraps
    around (at least ``n_taps`` and the latest arrival plus 25 ms for the heads' and drivers'
    own responses), then transformed with an inverse real FFT and cut to ``n_taps``.

    Parameters
    ----------
    scene : Scene
        Device, listener (or grid) and room.
    fs : float
        Sampling rate in Hz.
    n_taps : int
        Length of the responses in samples.
    c : float, optional
        Speed of sound in m/s.

    Returns
    -------
    h : (n_receivers, n_drivers, n_taps) ndarray
        Receivers as in :func:`ear_transfer`; pascals per unit source strength per sample.
    """
    if not isinstance(scene, Scene):
        raise TypeError(f"scene must be a Scene, got {type(scene).__name__}")
    fs = as_positive(fs, "fs")
    n_taps = as_int(n_taps, "n_taps", 1)
    lis = scene.listener
    heads = lis.position[None, :] if isinstance(lis, Listener) else lis.positions
    drivers = scene.driver_positions
    if scene.room is None:
        longest = np.max(np.linalg.norm(heads[:, None] - drivers[None], axis=2))
    else:
        longest = max(
            np.max(
                np.linalg.norm(
                    image_sources(scene.room, p).positions[None] - heads[:, None], axis=2
                )
            )
            for p in drivers
        )
    seconds = longest / c + 0.025
    if scene.room is not None and scene.room.tail != "none":
        seconds = max(seconds, response_seconds(scene.room, c=c))
    needed = max(int(n_taps), int(np.ceil(seconds * fs)))
    n_fft = int(2 ** np.ceil(np.log2(needed)))
    tm = ear_transfer(scene, np.fft.rfftfreq(n_fft, 1.0 / fs), c=c)
    return tm.to_impulse_responses(fs, int(n_taps))


def impulse_response_length(
    scene: Scene, fs: float, *, decay_db: float = 60.0, c: float = SPEED_OF_SOUND
) -> int:
    """Return a driver-to-ear impulse-response length in samples long enough for the scene.

    50 ms in free field; in a room, to the last image source of the room's order or until the
    late tail has decayed by ``decay_db`` (:func:`acoustics.room.late_tail.response_seconds`),
    whichever is later.

    Parameters
    ----------
    scene : Scene
        Free field or a room.
    fs : float
        Sampling rate in Hz.
    decay_db : float, optional
        Decay of the late tail to keep, in dB.
    c : float, optional
        Speed of sound in m/s.
    """
    if not isinstance(scene, Scene):
        raise TypeError(f"scene must be a Scene, got {type(scene).__name__}")
    fs = as_positive(fs, "fs")
    if scene.room is None:
        return int(0.05 * fs)
    # The farthest image of order N is under (N + 2) room diagonals away (bound, not exact).
    images = (scene.room.max_order + 2) * np.linalg.norm(scene.room.dimensions) / c
    tail = response_seconds(scene.room, decay_db=as_positive(decay_db, "decay_db"), c=c)
    return int(np.ceil(max(images, tail) * fs))


def reference_scene(scene: Scene) -> Scene:
    """Return the hi-fi reference of a scene: a +-30 deg stereo pair in the same place and room.

    The pair is at the listener's horizontal distance from the device, turned to face the
    listener; a ValueError names the scene when the pair does not fit in the room.
    """
    if not isinstance(scene, Scene) or not isinstance(scene.listener, Listener):
        raise ValueError("scene must be a Scene with a single Listener")
    lis = scene.listener
    offset = lis.position - scene.device_position
    distance = float(np.linalg.norm(offset[:2]))
    pair = stereo_pair(listener_distance=distance)
    yaw = float(np.rad2deg(np.arctan2(offset[1], offset[0])))
    try:
        return dataclasses.replace(scene, device=pair, device_yaw_deg=yaw)
    except ValueError as exc:
        raise ValueError(
            f"scene: the reference stereo pair does not fit in the room ({exc})"
        ) from exc
