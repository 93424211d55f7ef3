r"""Coordinates, directions, rotations and physical constants: the conventions of soundstage.

Every other module takes its geometry from here, so the conventions are stated once:

Units
    SI: metres, seconds, Hz, pascals. Levels in dB re the quantity named.
Axes
    Right-handed, z up, in three frames.

    * **world**: the room's frame (origin at a room corner, like pyroomacoustics) or any fixed frame
      in free field; a :class:`~acoustics.scene.Scene` places the device and the listener in it by
      position and yaw;
    * **device**: x = the device's front (on-axis, towards the listener), y = the device's own left,
      z = up. Driver positions and orientations are given in this frame;
    * **listener**: x = where the nose points, y = the left ear, z = up. Head models work here.

    Left and right always mean the listener's left and right when facing the device. Facing it, the
    listener's left is the device's -y: the driver named ``"left"`` sits at negative y in the device
    frame.
Angles
    Degrees at the public API (``azimuth_deg``, ``elevation_deg``, ``yaw_deg``); radians only inside
    functions. Azimuth is counter-clockwise from +x seen from above, so +90 deg is the frame's own
    left (+y) (the SOFA convention); elevation is from the horizontal plane, +90 deg = up (+z).
Rotations
    A body's orientation is given by yaw, pitch and roll in degrees, applied intrinsically in the
    order yaw (about z, positive turns x towards +y, i.e. to the left), then pitch (about the new y,
    positive lifts the nose, x towards +z), then roll (about the new x, right-handed: positive
    lifts the left side, y towards +z). The matrix returned by
    :func:`rotation_matrix` maps a body's local coordinates to its parent frame:
    ``world = R @ local + origin``.
Time convention
    :math:`e^{+j\omega t}`. The free-field Green's function is
    :math:`G(r) = e^{-jkr} / (4 \pi r)`, so a unit point source gives :math:`|H| = 1/(4\pi r)`.

Array shapes put the sampled axis last; positions are ``(n, 3)`` rows.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.validation import (
    as_float_array,
    as_point,
    as_positions,
    as_real,
    as_speed_of_sound,
    as_unit_vector,
)

__all__ = [
    "SPEED_OF_SOUND",
    "DEFAULT_FS",
    "sph_to_cart",
    "cart_to_sph",
    "rotation_matrix",
    "orientation_to_angles",
    "to_local",
    "to_world",
    "greens_function",
    "wavenumber",
]

#: Speed of sound in air in m/s (about 20 degC), the default of every ``c`` keyword.
SPEED_OF_SOUND: float = 343.0

#: Default sampling rate in Hz.
DEFAULT_FS: int = 48000


def sph_to_cart(
    azimuth_deg: npt.ArrayLike, elevation_deg: npt.ArrayLike = 0.0, radius: npt.ArrayLike = 1.0
) -> NDArray[np.float64]:
    """Convert spherical coordinates (degrees) to Cartesian ``(..., 3)`` coordinates.

    Parameters
    ----------
    azimuth_deg : array_like
        Azimuth in degrees, counter-clockwise from +x (90 = +y, the frame's left).
    elevation_deg : array_like, optional
        Elevation in degrees from the horizontal plane (90 = +z, up).
    radius : array_like, optional
        Distance from the origin in metres. The three inputs broadcast together.

    Returns
    -------
    xyz : (..., 3) ndarray
        Cartesian coordinates in metres, the components on the last axis.

    Examples
    --------
    >>> sph_to_cart(90.0, 0.0, 1.0).round(12)
    array([0., 1., 0.])
    """
    az = np.deg2rad(as_float_array(azimuth_deg, "azimuth_deg"))
    el = np.deg2rad(as_float_array(elevation_deg, "elevation_deg"))
    r = as_float_array(radius, "radius")
    if np.any(r < 0):
        raise ValueError(f"radius must be non-negative, got a minimum of {r.min():g}")
    az, el, r = np.broadcast_arrays(az, el, r)
    return np.stack(
        [r * np.cos(el) * np.cos(az), r * np.cos(el) * np.sin(az), r * np.sin(el)], axis=-1
    )


def cart_to_sph(
    xyz: npt.ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Convert Cartesian ``(..., 3)`` coordinates to spherical coordinates in degrees.

    Parameters
    ----------
    xyz : (..., 3) array_like
        Cartesian coordinates in metres.

    Returns
    -------
    azimuth_deg : ndarray
        Azimuth in degrees in (-180, 180], counter-clockwise from +x.
    elevation_deg : ndarray
        Elevation in degrees in [-90, 90].
    radius : ndarray
        Distance from the origin in metres.

    Examples
    --------
    >>> az, el, r = cart_to_sph([0.0, 2.0, 0.0])
    >>> float(az), float(el), float(r)
    (90.0, 0.0, 2.0)
    """
    arr = as_float_array(xyz, "xyz")
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(f"xyz must have shape (..., 3), got shape {arr.shape}")
    x, y, z = arr[..., 0], arr[..., 1], arr[..., 2]
    horizontal = np.hypot(x, y)
    radius = np.hypot(horizontal, z)
    azimuth = np.rad2deg(np.arctan2(y, x))
    azimuth = np.where(azimuth <= -180.0, azimuth + 360.0, azimuth)
    elevation = np.rad2deg(np.arctan2(z, horizontal))
    return azimuth, elevation, radius


def rotation_matrix(
    yaw_deg: float = 0.0, pitch_deg: float = 0.0, roll_deg: float = 0.0
) -> NDArray[np.float64]:
    """Rotation matrix from a body's local frame to its parent frame.

    Parameters
    ----------
    yaw_deg : float
        Turn about z in degrees; positive turns the body's x axis towards its parent's +y (left).
    pitch_deg : float
        Then about the body's new y axis; positive lifts the body's x axis towards +z.
    roll_deg : float
        Then about the body's new x axis, right-handed (positive turns y towards +z).

    Returns
    -------
    R : (3, 3) ndarray
        Orthonormal with determinant +1, such that ``parent = R @ local``.

    Examples
    --------
    >>> (rotation_matrix(90.0) @ [1.0, 0.0, 0.0]).round(12)
    array([0., 1., 0.])
    """
    yaw = np.deg2rad(as_real(yaw_deg, "yaw_deg"))
    pitch = np.deg2rad(as_real(pitch_deg, "pitch_deg"))
    roll = np.deg2rad(as_real(roll_deg, "roll_deg"))
    cy, sy = np.cos(yaw), np.sin(yaw)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    rz = np.array([[cy, -sy, 0.0], [sy, cy, 0.0], [0.0, 0.0, 1.0]])
    # A right-handed turn about +y by angle t moves x towards -z; "nose up" is therefore -pitch.
    ry = np.array([[cp, 0.0, -sp], [0.0, 1.0, 0.0], [sp, 0.0, cp]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cr, -sr], [0.0, sr, cr]])
    return rz @ ry @ rx


def orientation_to_angles(orientation: npt.ArrayLike) -> tuple[float, float]:
    """Yaw and pitch in degrees that turn a body's +x axis onto ``orientation``.

    The roll is taken as zero, so a body facing straight up or down has yaw 0: its local z axis is
    then the parent's -x (facing up) or +x (facing down).

    Parameters
    ----------
    orientation : (3,) array_like
        The direction of the body's +x axis in the parent frame (need not be unit length).

    Returns
    -------
    yaw_deg, pitch_deg : float
        Angles for :func:`rotation_matrix`.
    """
    o = as_unit_vector(orientation, "orientation")
    if np.hypot(o[0], o[1]) < 1e-12:
        yaw = 0.0
    else:
        yaw = float(np.rad2deg(np.arctan2(o[1], o[0])))
    pitch = float(np.rad2deg(np.arcsin(np.clip(o[2], -1.0, 1.0))))
    return yaw, pitch


def to_local(
    points: npt.ArrayLike, origin: npt.ArrayLike, rotation: npt.ArrayLike
) -> NDArray[np.float64]:
    """Express parent-frame points in a body's local frame.

    Parameters
    ----------
    points : (n, 3) array_like
        Points in the parent (e.g. world) frame, in metres.
    origin : (3,) array_like
        The body's origin in the parent frame, in metres.
    rotation : (3, 3) array_like
        The body's rotation matrix (local to parent), as from :func:`rotation_matrix`.

    Returns
    -------
    local : (n, 3) ndarray
        ``R.T @ (p - origin)`` for each point.
    """
    pts = as_positions(points, "points")
    org = as_point(origin, "origin")
    rot = _as_rotation(rotation)
    return (pts - org) @ rot


def to_world(
    points: npt.ArrayLike, origin: npt.ArrayLike, rotation: npt.ArrayLike
) -> NDArray[np.float64]:
    """Express a body's local points in its parent frame: ``R @ p + origin``.

    Parameters
    ----------
    points : (n, 3) array_like
        Points in the body's local frame, in metres.
    origin : (3,) array_like
        The body's origin in the parent frame, in metres.
    rotation : (3, 3) array_like
        The body's rotation matrix (local to parent).

    Returns
    -------
    world : (n, 3) ndarray
    """
    pts = as_positions(points, "points")
    org = as_point(origin, "origin")
    rot = _as_rotation(rotation)
    return pts @ rot.T + org


def wavenumber(freqs: npt.ArrayLike, *, c: float = SPEED_OF_SOUND) -> NDArray[np.float64]:
    r"""Wavenumber :math:`k = 2 \pi f / c` in rad/m."""
    c = as_speed_of_sound(c)
    return 2.0 * np.pi * as_float_array(freqs, "freqs") / c


def greens_function(
    distances: npt.ArrayLike, freqs: npt.ArrayLike, *, c: float = SPEED_OF_SOUND
) -> NDArray[np.complex128]:
    r"""Free-field Green's function :math:`G = e^{-jkr} / (4 \pi r)`.

    Parameters
    ----------
    distances : (...) array_like
        Source-receiver distances in metres, positive.
    freqs : (n_freqs,) array_like
        Frequencies in Hz.
    c : float, optional
        Speed of sound in m/s.

    Returns
    -------
    G : (..., n_freqs) ndarray
        Pressure in Pa of a unit point source (time convention :math:`e^{+j\omega t}`).
    """
    r = as_float_array(distances, "distances")
    if np.any(r <= 0):
        raise ValueError(f"distances must be positive, got a minimum of {r.min():g} m")
    k = wavenumber(freqs, c=c)
    return np.exp(-1j * r[..., None] * k) / (4.0 * np.pi * r[..., None])


def _as_rotation(rotation: npt.ArrayLike) -> NDArray[np.float64]:
    """Validate a (3, 3) rotation matrix."""
    rot = as_float_array(rotation, "rotation")
    if rot.shape != (3, 3):
        raise ValueError(f"rotation must have shape (3, 3), got shape {rot.shape}")
    if not np.allclose(rot.T @ rot, np.eye(3), atol=1e-9) or np.linalg.det(rot) < 0:
        raise ValueError("rotation must be a proper rotation matrix (orthonormal, det +1)")
    return rot
