r"""Free-field transfer matrices: drivers to the ears of listeners, and drivers to directions.

Driver to ear (:func:`ear_transfer_freefield`). For driver :math:`d` at world position
:math:`\mathbf p_d` with directivity :math:`D_d` and a listener whose head model gives the ear
pressure :math:`P_e(\mathbf x, f)` for a unit point source at :math:`\mathbf x` in the listener
frame (:mod:`acoustics.heads`),

.. math:: H_{e,d}(f) = D_d(\hat{\mathbf u}_{d \to e}, f) \; P_e(\mathbf R_l^T(\mathbf p_d -
          \mathbf x_l), f),

where :math:`\hat{\mathbf u}_{d \to e}` is the direction from the driver to ear :math:`e`
expressed in the driver's frame (so the two ears see the directivity at their own angles) and
:math:`\mathbf R_l`, :math:`\mathbf x_l` are the listener's rotation and position. Units: pascals
per unit point-source strength (a monopole of strength 1 gives :math:`e^{-jkr}/(4\pi r)`).

Driver to direction (:func:`azimuth_transfer_freefield`; :func:`acoustics.scene.azimuth_transfer` is
the public entry point, in free field or a room), in the device frame (0 deg on-axis, +90 deg the
device's left). In the far field the response is referred to a unit point source at the device
origin, :math:`H_{a,d} = D_d(\hat{\mathbf u}_a) e^{+jk\,\mathbf p_d\cdot\hat{\mathbf u}_a}`
(the factor :math:`e^{-jkr}/(4\pi r)` removed); at a finite ``distance`` it is the exact
point-source pressure at :math:`\mathbf x_a = \text{distance}\;\hat{\mathbf u}_a` over that same
reference, :math:`D_d\,G(|\mathbf x_a - \mathbf p_d|)/G(\text{distance})`, which tends to the
far-field value as the distance grows.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.geometry import SPEED_OF_SOUND, greens_function, rotation_matrix, sph_to_cart
from acoustics.heads import HeadModel
from acoustics.sources import Device
from acoustics.transfer import ReceiverDirections, TransferMatrix
from acoustics.validation import (
    as_float_array,
    as_freqs,
    as_int,
    as_point,
    as_positions,
    as_positive,
    as_real,
    as_speed_of_sound,
    as_unit_vector,
)

__all__ = [
    "ear_transfer_freefield",
    "azimuth_transfer_freefield",
    "sphere_transfer",
    "sphere_quadrature",
]


def driver_frames(
    device: Device, device_position: NDArray[np.float64], device_rotation: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """World positions ``(n_d, 3)`` and driver-to-world rotations ``(n_d, 3, 3)`` of the drivers."""
    positions = device.positions @ device_rotation.T + device_position
    rotations = np.stack([device_rotation @ d.rotation for d in device.drivers])
    return positions, rotations


def check_listening(
    device, listener_positions, listener_yaws_deg, head, freqs, device_position, device_yaw_deg, c
):
    """Validate the arguments shared by the ear-transfer functions; place the drivers.

    Returns the listener positions ``(n_l, 3)``, yaws ``(n_l,)``, frequencies, speed of sound,
    and the drivers' world positions ``(n_d, 3)`` and driver-to-world rotations ``(n_d, 3, 3)``.
    """
    if not isinstance(device, Device):
        raise TypeError(f"device must be a Device, got {type(device).__name__}")
    if not isinstance(head, HeadModel):
        raise TypeError(f"head must be a HeadModel, got {type(head).__name__}")
    x_l = as_positions(listener_positions, "listener_positions")
    yaws = np.atleast_1d(as_float_array(listener_yaws_deg, "listener_yaws_deg"))
    if yaws.shape != (x_l.shape[0],):
        raise ValueError(
            f"listener_yaws_deg must have shape ({x_l.shape[0]},) to match listener_positions, "
            f"got {yaws.shape}"
        )
    f = as_freqs(freqs)
    c = as_speed_of_sound(c)
    dev_pos = as_point(device_position, "device_position")
    dev_rot = rotation_matrix(as_real(device_yaw_deg, "device_yaw_deg"))
    p_d, r_d = driver_frames(device, dev_pos, dev_rot)
    return x_l, yaws, f, c, p_d, r_d


def ear_transfer_freefield(
    device: Device,
    listener_positions: npt.ArrayLike,
    listener_yaws_deg: npt.ArrayLike,
    head: HeadModel,
    freqs: npt.ArrayLike,
    *,
    device_position: npt.ArrayLike = (0.0, 0.0, 0.0),
    device_yaw_deg: float = 0.0,
    c: float = SPEED_OF_SOUND,
) -> NDArray[np.complex128]:
    """Free-field pressure at the ears of one or many listeners from each driver.

    Parameters
    ----------
    device : Device
        The drivers, in the device frame.
    listener_positions : (n_listeners, 3) array_like
        Head centres in the world frame, in metres.
    listener_yaws_deg : (n_listeners,) array_like
        Where each listener's nose points, degrees counter-clockwise from world +x.
    head : HeadModel
        Ear model shared by the listeners.
    freqs : (n_freqs,) array_like
        Frequencies in Hz.
    device_position : (3,) array_like, optional
        Device origin in the world frame, in metres.
    device_yaw_deg : float, optional
        Device yaw in the world frame, in degrees.
    c : float, optional
        Speed of sound in m/s.

    Returns
    -------
    H : (n_listeners, 2, n_drivers, n_freqs) ndarray
        Ears in (left, right) order; pascals per unit source strength.
    """
    x_l, yaws, f, c, p_d, r_d = check_listening(
        device,
        listener_positions,
        listener_yaws_deg,
        head,
        freqs,
        device_position,
        device_yaw_deg,
        c,
    )
    n_l, n_d = x_l.shape[0], p_d.shape[0]

    r_l = np.stack([rotation_matrix(y) for y in yaws])  # (n_l, 3, 3) listener-to-world
    # Drivers in each listener's frame: R_l^T (p_d - x_l).
    rel = p_d[None, :, :] - x_l[:, None, :]  # (n_l, n_d, 3)
    local = np.einsum("lji,ldj->ldi", r_l, rel)
    try:
        ears = head.ear_responses(local.reshape(-1, 3), f, c=c)  # (2, n_l * n_d, n_f)
    except ValueError as exc:
        raise ValueError(f"a driver of {device.name!r} is inside a listener's head: {exc}") from exc
    ears = ears.reshape(2, n_l, n_d, f.shape[0]).transpose(1, 0, 2, 3)

    # Directivity towards each ear, in each driver's frame.
    ear_world = x_l[:, None, :] + np.einsum("lij,ej->lei", r_l, head.ear_positions)  # (n_l, 2, 3)
    to_ear = ear_world[:, :, None, :] - p_d[None, None, :, :]  # (n_l, 2, n_d, 3)
    directivity = np.empty((n_l, 2, n_d, f.shape[0]), dtype=np.complex128)
    for d, driver in enumerate(device.drivers):  # a loop over drivers, vectorized over the rest
        dirs = to_ear[:, :, d, :].reshape(-1, 3) @ r_d[d]  # world -> driver frame
        directivity[:, :, d, :] = driver.directivity.response(dirs, f, c=c).reshape(n_l, 2, -1)
    return ears * directivity


def azimuth_transfer_freefield(
    device: Device,
    azimuths_deg: npt.ArrayLike,
    freqs: npt.ArrayLike,
    *,
    distance: float | None = None,
    elevation_deg: float = 0.0,
    c: float = SPEED_OF_SOUND,
) -> TransferMatrix:
    """Driver-to-direction responses of a device, for beam patterns (device frame).

    Parameters
    ----------
    device : Device
        The drivers.
    azimuths_deg : (n_azimuths,) array_like
        Azimuths in degrees in the device frame: 0 on-axis, +90 the device's left.
    freqs : (n_freqs,) array_like
        Frequencies in Hz.
    distance : float, optional
        Radius of the arc in metres from the device origin; the far field when omitted.
    elevation_deg : float, optional
        Elevation of the arc in degrees.
    c : float, optional
        Speed of sound in m/s.

    Returns
    -------
    TransferMatrix
        ``H`` of shape ``(n_azimuths, n_drivers, n_freqs)``, dimensionless (relative to a unit point
        source at the device origin; see the module docstring). Receivers are labelled
        ``"az=<deg>"``; ``directions`` holds the angles and ``source_positions`` the drivers.

    Examples
    --------
    >>> import numpy as np
    >>> from acoustics.sources.presets import smart_speaker
    >>> tm = azimuth_transfer_freefield(smart_speaker(), np.arange(-180, 180, 5), [1000.0])
    >>> tm.shape
    (72, 5, 1)
    """
    if not isinstance(device, Device):
        raise TypeError(f"device must be a Device, got {type(device).__name__}")
    f = as_freqs(freqs)
    az = np.atleast_1d(as_float_array(azimuths_deg, "azimuths_deg"))
    if az.ndim != 1:
        raise ValueError(f"azimuths_deg must be 1-D, got shape {az.shape}")
    el = as_real(elevation_deg, "elevation_deg")
    if abs(el) > 90.0:
        raise ValueError(f"elevation_deg must lie in [-90, 90], got {el:g}")
    c = as_speed_of_sound(c)
    u = sph_to_cart(az, el, 1.0)  # (n_a, 3)
    p_d, r_d = driver_frames(device, np.zeros(3), np.eye(3))
    if distance is None:
        h = _far_field(device, u, f, c)
        normalisation = "far field, relative to a unit point source at the device origin"
    else:
        dist = as_positive(distance, "distance")
        reach = np.linalg.norm(p_d, axis=1).max()
        if dist <= reach:
            raise ValueError(
                f"distance must exceed the device's extent ({reach:.3g} m from its origin), "
                f"got {dist:g}"
            )
        points = dist * u
        h = np.empty((az.shape[0], p_d.shape[0], f.shape[0]), dtype=np.complex128)
        reference = greens_function(np.array([dist]), f, c=c)[0]
        for d, driver in enumerate(device.drivers):
            vec = points - p_d[d]
            r = np.linalg.norm(vec, axis=1)
            g = greens_function(r, f, c=c)
            h[:, d, :] = driver.directivity.response(vec @ r_d[d], f, c=c) * g / reference
        normalisation = f"at {dist:g} m, relative to a unit point source at the device origin"
    labels = tuple(f"az={a:g}" for a in az)
    if len(set(labels)) != len(labels):
        raise ValueError("azimuths_deg must not repeat an angle")
    meta = {"model": "free field", "device": device.name, "normalisation": normalisation}
    return TransferMatrix(
        h,
        f,
        labels,
        device.driver_names,
        meta,
        c=c,
        directions=ReceiverDirections(az, el, distance=distance),
        source_positions=p_d,
    )


def sphere_quadrature(n_elevations: int = 48) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Directions and weights that integrate over the sphere.

    Gauss-Legendre nodes in :math:`\cos\theta` on each hemisphere separately (``n_elevations``
    / 2 per hemisphere) times ``2 n_elevations`` equally spaced azimuths. It integrates exactly
    any spherical polynomial of degree below ``n_elevations`` on each hemisphere, so patterns that
    jump at the equator, like a piston in an infinite baffle, are integrated without error from
    the jump.

    Parameters
    ----------
    n_elevations : int, optional
        Number of elevation rings, even, at least 2.

    Returns
    -------
    directions : (n, 3) ndarray
        Unit vectors; the polar axis is +x (so the rings are cones about the on-axis direction).
    weights : (n,) ndarray
        Positive, summing to 1 (an average over the sphere).
    """
    n_elevations = as_int(n_elevations, "n_elevations", 2)
    if n_elevations % 2:
        raise ValueError(f"n_elevations must be even and at least 2, got {n_elevations}")
    nodes, w = np.polynomial.legendre.leggauss(n_elevations // 2)
    cos_theta = np.concatenate([(nodes - 1.0) / 2.0, (nodes + 1.0) / 2.0])  # both hemispheres
    w_theta = np.concatenate([w, w]) / 2.0
    phi = np.arange(2 * n_elevations) * np.pi / n_elevations
    ct, ph = np.meshgrid(cos_theta, phi, indexing="ij")
    st = np.sqrt(1.0 - ct**2)
    directions = np.stack([ct, st * np.cos(ph), st * np.sin(ph)], axis=-1).reshape(-1, 3)
    weights = np.repeat(w_theta, phi.size) / (2.0 * phi.size)
    return directions, weights


def sphere_transfer(
    device: Device,
    freqs: npt.ArrayLike,
    *,
    axis: npt.ArrayLike = (1.0, 0.0, 0.0),
    n_elevations: int = 48,
    c: float = SPEED_OF_SOUND,
) -> TransferMatrix:
    """Far-field driver responses over the whole sphere, for directivity factors.

    Parameters
    ----------
    device : Device
        The drivers.
    freqs : (n_freqs,) array_like
        Frequencies in Hz.
    axis : (3,) array_like, optional
        The reference direction (on-axis) in the device frame; receiver ``"axis"``.
    n_elevations : int, optional
        Resolution of :func:`sphere_quadrature` (enough for patterns up to about degree
        ``n_elevations``: ka up to ``n_elevations / 2``).
    c : float, optional
        Speed of sound in m/s.

    Returns
    -------
    TransferMatrix
        Receivers ``"axis"`` then ``"q0"``, ``"q1"``, ...; normalised as the far-field
        :func:`azimuth_transfer_freefield`. ``directions`` holds the directions (axis first) and
        their quadrature weights (0 for the axis, the rest summing to 1).
    """
    if not isinstance(device, Device):
        raise TypeError(f"device must be a Device, got {type(device).__name__}")
    f = as_freqs(freqs)
    c = as_speed_of_sound(c)
    ax = as_unit_vector(axis, "axis")
    quad, weights = sphere_quadrature(n_elevations)
    u = np.vstack([ax[None, :], quad])
    h = _far_field(device, u, f, c)
    meta = {
        "model": "free field",
        "device": device.name,
        "normalisation": "far field, relative to a unit point source at the device origin",
    }
    labels = ("axis",) + tuple(f"q{i}" for i in range(quad.shape[0]))
    p_d, _ = driver_frames(device, np.zeros(3), np.eye(3))
    directions = ReceiverDirections.from_vectors(u, weights=np.concatenate([[0.0], weights]))
    return TransferMatrix(
        h, f, labels, device.driver_names, meta, c=c, directions=directions, source_positions=p_d
    )


def _far_field(device: Device, directions: NDArray, freqs: NDArray, c: float) -> NDArray:
    r"""Return far-field responses ``(n_dirs, n_drivers, n_freqs)`` re a source at the origin.

    :math:`D_d(\hat{\mathbf u}) e^{+jk\,\mathbf p_d\cdot\hat{\mathbf u}}` (module docstring).
    """
    p_d, r_d = driver_frames(device, np.zeros(3), np.eye(3))
    k = 2.0 * np.pi * freqs / c
    h = np.empty((directions.shape[0], p_d.shape[0], freqs.shape[0]), dtype=np.complex128)
    for d, driver in enumerate(device.drivers):  # a loop over drivers, vectorized over the rest
        phase = np.exp(1j * np.outer(directions @ p_d[d], k))
        h[:, d, :] = driver.directivity.response(directions @ r_d[d], freqs, c=c) * phase
    return h
