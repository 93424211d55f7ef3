r"""Driver directivity models, and the ``Driver`` and ``Device`` types.

A directivity model gives the far-field pressure of a driver in a direction, relative to a unit
point source (monopole) at the driver's position with the same low-frequency volume velocity:

.. math:: p(r, \hat u, f) \approx D(\hat u, f) \, \frac{e^{-jkr}}{4 \pi r},

with :math:`r` measured from the driver's position (its acoustic centre, the centre of its
diaphragm) and :math:`\hat u` a unit vector in the **driver's frame**: +x is on-axis (the
``orientation`` of the :class:`Driver`), and the frame's y and z axes follow from
:func:`acoustics.geometry.orientation_to_angles` (no roll). Every model is normalised so that
:math:`D \to 1` on-axis as :math:`f \to 0`. Time convention :math:`e^{+j\omega t}`.

Models
------
:class:`Omni`
    A point source, :math:`D = 1`.
:class:`BaffledPiston`
    A rigid circular piston in an infinite baffle, :math:`D = 2 J_1(x)/x`, :math:`x = kb\sin\theta`
    (Kinsler et al., *Fundamentals of Acoustics*, 4th ed., Eq. (7.4.17)); silent behind the baffle.
:class:`SphereCap`
    A spherical cap vibrating on an otherwise rigid sphere (Morse & Ingard, *Theoretical
    Acoustics*, Sec. 7.2): the modal series of docs/references.md, so sound diffracts around the
    enclosure and the back is not silent.
:class:`~acoustics.sources.measured.MeasuredDirectivity`
    A table over directions and frequencies, read from SOFA and interpolated over direction.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray
from scipy import special

from acoustics.geometry import SPEED_OF_SOUND, orientation_to_angles, rotation_matrix
from acoustics.heads.rigid_sphere import inverse_hankel_derivatives, legendre_table
from acoustics.validation import (
    as_directions,
    as_freqs,
    as_point,
    as_positive,
    as_speed_of_sound,
    as_unit_vector,
)

__all__ = [
    "Directivity",
    "Omni",
    "BaffledPiston",
    "SphereCap",
    "Driver",
    "Device",
    "MIN_DRIVER_SPACING",
]

#: Closest two drivers' acoustic centres may be, in metres. Closer, their transfer columns agree
#: to within 3 % up to 16 kHz (k d < 0.03): the device has one driver fewer than it claims and
#: any filter that tells them apart needs a huge gain.
MIN_DRIVER_SPACING: float = 1e-4


class Directivity(abc.ABC):
    """A driver's far-field directivity; see the module docstring for the normalisation."""

    #: True when the response depends only on the angle from the on-axis direction.
    axisymmetric: bool = False

    @property
    def cache_key(self) -> object:
        """A hashable value that two equal models share (:class:`acoustics.caching.Keyed`).

        The model itself for the parametric directivities (frozen dataclasses compared by
        value); a measured table returns a digest of its data.
        """
        return self

    def response(
        self, directions: npt.ArrayLike, freqs: npt.ArrayLike, *, c: float = SPEED_OF_SOUND
    ) -> NDArray[np.complex128]:
        """Complex directivity in each direction at each frequency.

        Parameters
        ----------
        directions : (n_dirs, 3) array_like
            Directions in the driver's frame (+x on-axis); normalised internally.
        freqs : (n_freqs,) array_like
            Frequencies in Hz, non-negative.
        c : float, optional
            Speed of sound in m/s.

        Returns
        -------
        D : (n_dirs, n_freqs) ndarray
            Complex, 1 on-axis as the frequency goes to 0.
        """
        u = as_directions(directions, "directions")
        f = as_freqs(freqs)
        return self._response(u, f, as_speed_of_sound(c))

    @abc.abstractmethod
    def _response(
        self, directions: NDArray[np.float64], freqs: NDArray[np.float64], c: float
    ) -> NDArray[np.complex128]:
        """Model-specific response on validated inputs."""


@dataclass(frozen=True)
class Omni(Directivity):
    """A point source radiating equally in all directions (:math:`D = 1`)."""

    axisymmetric = True

    def _response(self, directions, freqs, c):
        return np.ones((directions.shape[0], freqs.shape[0]), dtype=np.complex128)


@dataclass(frozen=True)
class BaffledPiston(Directivity):
    r"""A rigid circular piston of radius ``radius`` in an infinite baffle.

    .. math:: D(\theta) = \frac{2 J_1(k b \sin\theta)}{k b \sin\theta}, \quad \theta < 90^\circ,

    and 0 behind the baffle (:math:`\theta > 90^\circ`). The first null is at
    :math:`k b \sin\theta = 3.8317`. The pattern is real: the acoustic centre is the piston centre.

    Parameters
    ----------
    radius : float
        Piston radius :math:`b` in metres.
    """

    radius: float
    axisymmetric = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "radius", as_positive(self.radius, "radius"))

    def _response(self, directions, freqs, c):
        k = 2.0 * np.pi * freqs / c
        cos_theta = np.clip(directions[:, 0], -1.0, 1.0)
        sin_theta = np.sqrt(1.0 - cos_theta**2)
        x = k[None, :] * self.radius * sin_theta[:, None]
        small = x < 1e-6
        safe = np.where(small, 1.0, x)
        pattern = np.where(small, 1.0 - x**2 / 8.0, 2.0 * special.j1(safe) / safe)
        front = (cos_theta >= 0.0)[:, None]
        return np.where(front, pattern, 0.0).astype(np.complex128)


@dataclass(frozen=True)
class SphereCap(Directivity):
    r"""A spherical cap vibrating radially on an otherwise rigid sphere.

    A cap of half-angle :math:`\alpha` moving with uniform radial velocity :math:`u_0` on a sphere
    of radius :math:`R` has the modal velocity coefficients

    .. math:: u_0^{(0)} = \tfrac{u_0}{2}(1 - \cos\alpha), \qquad
              u_l = \tfrac{u_0}{2}\left[P_{l-1}(\cos\alpha) - P_{l+1}(\cos\alpha)\right],

    and, with :math:`h_l = h_l^{(2)}` the outgoing spherical Hankel function of the
    :math:`e^{+j\omega t}` convention, the pressure coefficients
    :math:`A_l = -j \rho_0 c\, u_l / h_l'(kR)` (docs/references.md; Morse & Ingard 1968, Eq.
    (7.2.8)).
    Far away, :math:`h_l(kr) \to j^{l+1} e^{-jkr}/(kr)`, so the pattern relative to a monopole of
    the same volume velocity :math:`Q = 2\pi R^2 (1-\cos\alpha) u_0` at the sphere centre is

    .. math:: D_c(\theta) = -\frac{4\pi}{k^2 Q} \sum_l \frac{j^{l+1} u_l}{h_l'(kR)} P_l(\cos\theta),

    which tends to 1 as :math:`kR \to 0`. The model refers it to the cap centre (the driver's
    position, a distance :math:`R` in front of the sphere centre) by the far-field phase
    :math:`e^{-jkR\cos\theta}`.

    Parameters
    ----------
    sphere_radius : float
        Radius :math:`R` of the enclosure sphere in metres.
    cap_half_angle_deg : float
        Half-angle :math:`\alpha` of the cap in degrees, in (0, 180). A driver of radius ``b``
        flush in the sphere has :math:`\alpha = \arcsin(b/R)`.
    """

    sphere_radius: float
    cap_half_angle_deg: float
    axisymmetric = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "sphere_radius", as_positive(self.sphere_radius, "sphere_radius"))
        alpha = as_positive(self.cap_half_angle_deg, "cap_half_angle_deg")
        if alpha >= 180.0:
            raise ValueError(f"cap_half_angle_deg must be in (0, 180), got {alpha:g}")
        object.__setattr__(self, "cap_half_angle_deg", alpha)

    def _response(self, directions, freqs, c):
        cos_theta = np.clip(directions[:, 0], -1.0, 1.0)
        out = np.ones((directions.shape[0], freqs.shape[0]), dtype=np.complex128)
        positive = freqs > 0
        if not np.any(positive):
            return out
        k = 2.0 * np.pi * freqs[positive] / c
        kr = k * self.sphere_radius
        # Enough orders for the series to converge: beyond l ~ kR the terms fall off like
        # (l / (e kR / 2))^-l; beyond l ~ pi / alpha the cap's velocity coefficients are small.
        n_orders = int(np.ceil(kr.max() + 8.0 * np.cbrt(max(kr.max(), 1.0)) + 40))
        orders = np.arange(n_orders + 2)
        cos_alpha = np.cos(np.deg2rad(self.cap_half_angle_deg))
        p_alpha = special.eval_legendre(orders, cos_alpha)
        u = np.empty(n_orders + 1)
        u[0] = 0.5 * (1.0 - cos_alpha)
        u[1:] = 0.5 * (p_alpha[0:n_orders] - p_alpha[2 : n_orders + 2])
        ell = orders[: n_orders + 1]
        # Volume velocity of the cap for u0 = 1; 1 / h_l'(kR) from the stable ratio recursion.
        q = 2.0 * np.pi * self.sphere_radius**2 * (1.0 - cos_alpha)
        coeff = (1j ** (ell[:, None] + 1)) * u[:, None] * inverse_hankel_derivatives(kr, ell.size)
        legendre = legendre_table(cos_theta, ell.size)  # (n_dirs, L)
        pattern_centre = -4.0 * np.pi / (k**2 * q) * (legendre @ coeff)
        shift = np.exp(-1j * np.outer(cos_theta, kr))
        out[:, positive] = pattern_centre * shift
        return out


@dataclass(frozen=True)
class Driver:
    """A loudspeaker driver mounted in a device.

    Parameters
    ----------
    name : str
        Unique within its device, e.g. ``"left"`` (the listener's left, at negative device y).
    position : (3,) array_like
        Acoustic centre in the device frame, in metres.
    orientation : (3,) array_like
        On-axis direction in the device frame; normalised to unit length.
    directivity : Directivity, optional
        Directivity model, :class:`Omni` by default.
    """

    name: str
    position: NDArray[np.float64]
    orientation: NDArray[np.float64]
    directivity: Directivity = field(default_factory=Omni)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty str, got {self.name!r}")
        position = as_point(self.position, "position")
        orientation = as_unit_vector(self.orientation, "orientation")
        position.flags.writeable = False
        orientation.flags.writeable = False
        object.__setattr__(self, "position", position)
        object.__setattr__(self, "orientation", orientation)
        if not isinstance(self.directivity, Directivity):
            raise TypeError(
                f"directivity must be a Directivity model, got {type(self.directivity).__name__}"
            )

    @property
    def rotation(self) -> NDArray[np.float64]:
        """Rotation from the driver's frame to the device frame, ``(3, 3)``."""
        return rotation_matrix(*orientation_to_angles(self.orientation))


@dataclass(frozen=True)
class Device:
    """A set of drivers sharing one device frame.

    Parameters
    ----------
    name : str
        A label, e.g. ``"smart_speaker"``.
    drivers : sequence of Driver
        At least one, with unique names, their acoustic centres at least
        :data:`MIN_DRIVER_SPACING` apart.
    """

    name: str
    drivers: tuple[Driver, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty str, got {self.name!r}")
        drivers = tuple(self.drivers)
        if not drivers:
            raise ValueError("drivers must hold at least one Driver, got none")
        for d in drivers:
            if not isinstance(d, Driver):
                raise TypeError(f"drivers must hold Driver objects, got {type(d).__name__}")
        names = [d.name for d in drivers]
        if len(set(names)) != len(names):
            raise ValueError(f"drivers must have unique names, got {names}")
        positions = np.stack([d.position for d in drivers])
        gaps = np.linalg.norm(positions[:, None] - positions[None], axis=-1)
        gaps[np.diag_indices(len(drivers))] = np.inf
        i, j = np.unravel_index(np.argmin(gaps), gaps.shape)
        if gaps[i, j] < MIN_DRIVER_SPACING:
            raise ValueError(
                f"drivers {names[min(i, j)]!r} and {names[max(i, j)]!r} are at one point "
                f"({gaps[i, j] * 1e3:.3g} mm apart, position {positions[i].tolist()}); acoustic "
                f"centres must be at least {MIN_DRIVER_SPACING * 1e3:g} mm apart"
            )
        object.__setattr__(self, "drivers", drivers)

    @property
    def driver_names(self) -> tuple[str, ...]:
        """Names of the drivers in order."""
        return tuple(d.name for d in self.drivers)

    @property
    def cache_key(self) -> tuple:
        """The drivers' positions, orientations and directivities by value (for caches).

        Two devices with the same drivers share the key whatever their names.
        """
        return tuple(
            (d.position.tobytes(), d.orientation.tobytes(), d.directivity.cache_key)
            for d in self.drivers
        )

    @property
    def positions(self) -> NDArray[np.float64]:
        """Driver positions in the device frame, ``(n_drivers, 3)`` in metres."""
        return np.stack([d.position for d in self.drivers])

    @property
    def enclosures(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The spherical enclosures the drivers sit on: centres ``(n, 3)`` and radii ``(n,)``.

        A :class:`SphereCap` driver's sphere (centre ``sphere_radius`` behind its acoustic centre
        along its axis); other drivers have none (``n`` counts only the caps).
        """
        caps = [d for d in self.drivers if isinstance(d.directivity, SphereCap)]
        centres = [d.position - d.directivity.sphere_radius * d.orientation for d in caps]
        radii = [d.directivity.sphere_radius for d in caps]
        return np.reshape(centres, (-1, 3)), np.asarray(radii, dtype=float)

    def body_distance(self, points: npt.ArrayLike) -> NDArray[np.float64]:
        r"""Return the distance in metres from points (device frame, ``(n, 3)``) to the body.

        The body is the convex hull of the drivers' acoustic centres together with their
        spherical enclosures (:attr:`enclosures`); 0 inside it. The hull distance is the
        smallest :math:`\|x - \sum_i \lambda_i p_i\|` over convex weights (non-negative least
        squares with the sum-to-one row weighted heavily).
        """
        from scipy.optimize import nnls

        x = np.atleast_2d(np.asarray(points, dtype=float))
        p = self.positions
        weight = 1e3
        system = np.vstack([p.T, weight * np.ones(p.shape[0])])
        hull = np.array(
            [nnls(system, np.concatenate([xi, [weight]]))[1] for xi in x]
        )  # residual norm: the distance, up to the weighted row's small share
        centres, radii = self.enclosures
        if radii.size:
            spheres = np.linalg.norm(x[:, None, :] - centres[None], axis=-1) - radii[None]
            hull = np.minimum(hull, np.min(spheres, axis=1))
        return np.maximum(hull, 0.0)

    def driver(self, name: str) -> Driver:
        """Return the driver called ``name``."""
        for d in self.drivers:
            if d.name == name:
                return d
        raise KeyError(
            f"name {name!r} is not a driver of {self.name!r}; drivers: {self.driver_names}"
        )
