"""Device presets: a reference stereo pair, a compact smart speaker and a soundbar.

All positions and orientations are in the device frame (x = front, towards the listener; y = the
device's own left; z = up; see :mod:`acoustics.geometry`). Drivers are named from the listener's
point of view: facing the device, the listener's left is the device's -y, so the driver called
``"left"`` sits at negative y.
"""

from __future__ import annotations

import numpy as np

from acoustics.sources.device import BaffledPiston, Device, Directivity, Driver, SphereCap
from acoustics.validation import as_int, as_positive, as_real

__all__ = [
    "stereo_pair",
    "smart_speaker",
    "soundbar",
    "SMART_SPEAKER_RADIUS",
    "SMART_SPEAKER_HEIGHT",
]

#: Radius of the smart-speaker cylinder in metres (175 mm across).
SMART_SPEAKER_RADIUS: float = 0.0875
#: Height of the smart-speaker cylinder in metres.
SMART_SPEAKER_HEIGHT: float = 0.206


def _cap_on(radius: float, driver_radius: float) -> SphereCap:
    """Model a driver of radius b flush in a sphere of radius R: a cap of half-angle asin(b/R)."""
    return SphereCap(radius, float(np.rad2deg(np.arcsin(driver_radius / radius))))


def stereo_pair(
    *,
    listener_distance: float = 2.0,
    angle_deg: float = 30.0,
    directivity: Directivity | None = None,
) -> Device:
    """Build the hi-fi reference: two loudspeakers at +-``angle_deg`` from the listening position.

    The device origin is where a compact device would stand; the listening position is
    ``(listener_distance, 0, 0)`` in the device frame (the default scene puts the listener there).
    Each loudspeaker stands ``listener_distance`` from the listener (an equilateral triangle for
    30 deg), toed in to face the listener.

    Parameters
    ----------
    listener_distance : float, optional
        Distance in metres from the device origin to the listening position, and from each
        loudspeaker to the listening position.
    angle_deg : float, optional
        Half the angle between the loudspeakers seen by the listener, in (0, 90) degrees.
    directivity : Directivity, optional
        Both loudspeakers' directivity. By default a cap of 20 deg half-angle on a sphere of radius
        0.15 m: a box-sized enclosure, omnidirectional at low frequencies and beaming gently above
        about 1 kHz, with sound wrapping round to the back as from a real cabinet.

    Returns
    -------
    Device
        Drivers ``"left"`` (device -y, the listener's left) and ``"right"``.
    """
    dist = as_positive(listener_distance, "listener_distance")
    angle = as_real(angle_deg, "angle_deg")
    if not 0.0 < angle < 90.0:
        raise ValueError(f"angle_deg must lie in (0, 90), got {angle:g}")
    if directivity is None:
        directivity = SphereCap(0.15, 20.0)
    theta = np.deg2rad(angle)
    listener = np.array([dist, 0.0, 0.0])
    drivers = []
    for name, side in (("left", -1.0), ("right", 1.0)):
        position = np.array([dist * (1.0 - np.cos(theta)), side * dist * np.sin(theta), 0.0])
        drivers.append(Driver(name, position, listener - position, directivity))
    return Device("stereo_pair", tuple(drivers))


def smart_speaker() -> Device:
    """Build a compact cylindrical smart speaker with five drivers.

    An approximation built from public specifications of a current premium smart speaker (the
    Amazon Echo Studio: 175 mm across, 206 mm tall; three 51 mm midrange drivers facing left, right
    and up, a 25 mm tweeter facing front, a 133 mm woofer facing down). Not a measurement: driver
    heights are estimates, and each driver is modelled as a cap on a rigid sphere of the cylinder's
    radius (:class:`~acoustics.sources.SphereCap`, half-angle asin(b/R) for a driver of radius b),
    which captures the diffraction around a compact enclosure but not the cylinder's edges.

    Returns
    -------
    Device
        Drivers, in the device frame (origin at the cylinder's centre, mid-height), positions
        in metres:

        - ``"left"``: midrange (radius 25.5 mm) at (0, -0.0875, 0.03), facing -y (the
          listener's left);
        - ``"right"``: midrange at (0, +0.0875, 0.03), facing +y;
        - ``"top"``: midrange at (0, 0, 0.103), facing up;
        - ``"tweeter"``: radius 12.5 mm at (0.0875, 0, 0.03), facing front (+x);
        - ``"woofer"``: radius 66.5 mm at (0, 0, -0.103), facing down.
    """
    r = SMART_SPEAKER_RADIUS
    top = SMART_SPEAKER_HEIGHT / 2.0
    mid = _cap_on(r, 0.0255)
    drivers = (
        Driver("left", (0.0, -r, 0.03), (0.0, -1.0, 0.0), mid),
        Driver("right", (0.0, r, 0.03), (0.0, 1.0, 0.0), mid),
        Driver("top", (0.0, 0.0, top), (0.0, 0.0, 1.0), mid),
        Driver("tweeter", (r, 0.0, 0.03), (1.0, 0.0, 0.0), _cap_on(r, 0.0125)),
        Driver("woofer", (0.0, 0.0, -top), (0.0, 0.0, -1.0), _cap_on(r, 0.0665)),
    )
    return Device("smart_speaker", drivers)


def soundbar(n_drivers: int = 8, length: float = 0.9, *, driver_radius: float = 0.025) -> Device:
    """Build a soundbar: a line of identical front-facing drivers.

    The drivers are spaced ``length / n_drivers`` apart along y, centred on the device origin,
    all facing +x, each a baffled piston (the bar's front is the baffle).

    Parameters
    ----------
    n_drivers : int, optional
        Number of drivers, at least 2.
    length : float, optional
        Length of the bar in metres.
    driver_radius : float, optional
        Piston radius of each driver in metres; the drivers must fit side by side.

    Returns
    -------
    Device
        Drivers ``"d0"`` (the listener's far left, most negative y) to ``"d{n-1}"``.
    """
    n_drivers = as_int(n_drivers, "n_drivers", 2)
    length = as_positive(length, "length")
    b = as_positive(driver_radius, "driver_radius")
    spacing = length / n_drivers
    if 2.0 * b > spacing:
        raise ValueError(
            f"driver_radius must be at most half the spacing {spacing:.3g} m "
            f"(length / n_drivers) so that the drivers fit, got {b:g}"
        )
    piston = BaffledPiston(b)
    ys = (np.arange(n_drivers) - (n_drivers - 1) / 2.0) * spacing
    drivers = tuple(
        Driver(f"d{i}", (0.0, y, 0.0), (1.0, 0.0, 0.0), piston) for i, y in enumerate(ys)
    )
    return Device(f"soundbar_{n_drivers}", drivers)
