r"""Ear models: the pressure at the two ears of a listener for point sources around the head.

Every model has one method, ``ear_responses(positions, freqs, *, c=343.0)``, taking source positions
in the **listener frame** (head centre at the origin, x = nose, y = left ear, z = up; see
:mod:`acoustics.geometry`) and returning the complex pressure at the (left, right) ears, shape
``(2, n_positions, n_freqs)``, for a unit point source in the convention
:math:`G = e^{-jkr}/(4\pi r)` (time convention :math:`e^{+j\omega t}`). A model without a head
(:class:`PointEars`) therefore gives exactly :math:`G` at each ear point; a head model gives
:math:`H \cdot G(r)` with :math:`r` the distance to the head centre and :math:`H` its head-related
transfer function, the ratio of the ear pressure to the free-field pressure at the head centre.

Models
------
:class:`PointEars`
    Two points in free field at :math:`\pm a` on the y axis.
:class:`RigidSphere`
    Exact scattering of a point source by a rigid sphere (Duda & Martens, JASA 104(5), 1998), at
    any distance outside the sphere: :mod:`acoustics.heads.rigid_sphere`.
:class:`BrownDuda`
    The structural model of Brown & Duda (IEEE TSAP 6(5), 1998): a one-pole, one-zero head-shadow
    filter and an interaural delay; pinna and torso echoes are omitted.
:class:`~acoustics.heads.hrtf.MeasuredHRTF`
    Measured head-related impulse responses read from SOFA (the MIT KEMAR set ships with the
    toolkit), interpolated over direction.

Every model refuses a source inside the head sphere (distance to the head centre not larger than
its ``radius``).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.caching import Keyed
from acoustics.geometry import SPEED_OF_SOUND, greens_function, sph_to_cart
from acoustics.heads.rigid_sphere import rigid_sphere_transfer
from acoustics.validation import (
    as_float_array,
    as_freqs,
    as_positions,
    as_positive,
    as_speed_of_sound,
)

__all__ = [
    "HeadModel",
    "KeyedHead",
    "PointEars",
    "RigidSphere",
    "BrownDuda",
    "HEAD_RADIUS",
]

#: Default head radius in metres (docs/references.md).
HEAD_RADIUS: float = 0.0875


class HeadModel(abc.ABC):
    """An ear model; see the module docstring for the convention of its output."""

    radius: float

    @property
    @abc.abstractmethod
    def ear_positions(self) -> NDArray[np.float64]:
        """Positions of the (left, right) ears in the listener frame, ``(2, 3)`` in metres."""

    @property
    def cache_key(self) -> object:
        """A hashable value that two equal models share: what caches of derived tables key on.

        The model itself for the analytic heads (frozen dataclasses compared by value); a
        measured head returns a digest of its data (:class:`~acoustics.heads.hrtf.MeasuredHRTF`).
        """
        return self

    def ear_responses(
        self, positions: npt.ArrayLike, freqs: npt.ArrayLike, *, c: float = SPEED_OF_SOUND
    ) -> NDArray[np.complex128]:
        """Pressure at the (left, right) ears for unit point sources.

        Parameters
        ----------
        positions : (n_positions, 3) array_like
            Source positions in the listener frame, in metres, outside the head sphere.
        freqs : (n_freqs,) array_like
            Frequencies in Hz, non-negative.
        c : float, optional
            Speed of sound in m/s.

        Returns
        -------
        P : (2, n_positions, n_freqs) ndarray
            Complex pressure in Pa at the left (``P[0]``) and right (``P[1]``) ear.
        """
        pos = as_positions(positions, "positions")
        f = as_freqs(freqs)
        c = as_speed_of_sound(c)
        distance = np.linalg.norm(pos, axis=1)
        inside = distance <= self.radius
        if np.any(inside):
            i = int(np.argmax(inside))
            raise ValueError(
                f"positions must lie outside the head sphere of radius {self.radius:g} m; "
                f"position {i} is {distance[i]:.4g} m from the head centre"
            )
        return self._ear_responses(pos, f, c)

    @abc.abstractmethod
    def _ear_responses(
        self, positions: NDArray[np.float64], freqs: NDArray[np.float64], c: float
    ) -> NDArray[np.complex128]:
        """Model-specific responses on validated inputs."""


class KeyedHead(Keyed):
    """A head as a cache key (:class:`acoustics.caching.Keyed`); ``.head`` is the model."""

    @property
    def head(self) -> HeadModel:
        """The wrapped head."""
        return self.model


def _ear_directions(ear_azimuths_deg: tuple[float, float]) -> NDArray[np.float64]:
    """Return unit vectors of the two ears in the horizontal plane of the listener frame."""
    return sph_to_cart(np.asarray(ear_azimuths_deg, dtype=float), 0.0, 1.0)


def _validate_ear_azimuths(value: object) -> tuple[float, float]:
    az = as_float_array(value, "ear_azimuths_deg")
    if az.shape != (2,):
        raise ValueError(
            f"ear_azimuths_deg must hold two angles (left, right), got shape {az.shape}"
        )
    if not (0.0 < az[0] < 180.0 and -180.0 < az[1] < 0.0):
        raise ValueError(
            "ear_azimuths_deg must put the left ear on the left (0, 180) and the right ear on the "
            f"right (-180, 0), got {az.tolist()}"
        )
    return float(az[0]), float(az[1])


@dataclass(frozen=True)
class PointEars(HeadModel):
    """Two free-field points at ``(0, +radius, 0)`` (left) and ``(0, -radius, 0)`` (right).

    Parameters
    ----------
    radius : float, optional
        Half the ear spacing in metres.
    """

    radius: float = HEAD_RADIUS

    def __post_init__(self) -> None:
        object.__setattr__(self, "radius", as_positive(self.radius, "radius"))

    @property
    def ear_positions(self) -> NDArray[np.float64]:
        """Ear points ``(2, 3)``: left at +y, right at -y."""
        return np.array([[0.0, self.radius, 0.0], [0.0, -self.radius, 0.0]])

    def _ear_responses(self, positions, freqs, c):
        dist = np.linalg.norm(positions[None, :, :] - self.ear_positions[:, None, :], axis=2)
        return greens_function(dist, freqs, c=c)


@dataclass(frozen=True)
class RigidSphere(HeadModel):
    r"""A rigid spherical head with ears on its surface (Duda & Martens 1998).

    .. math:: H(\rho, \mu, \theta) = -\frac{\rho}{\mu} e^{j\mu\rho}
              \sum_{m=0}^{\infty} (2m+1) P_m(\cos\theta)\,\frac{h_m(\mu\rho)}{h_m'(\mu)},

    :math:`\rho = r/a`, :math:`\mu = ka`, :math:`\theta` the angle between the source and the ear as
    seen from the centre, :math:`h_m` the outgoing spherical Hankel function; the ear pressure is
    :math:`H\,G(r)`. Evaluated with a ratio recursion that is stable from 0 Hz (the quasi-static
    limit) to high :math:`ka`; see :func:`acoustics.heads.rigid_sphere.rigid_sphere_transfer`.

    Parameters
    ----------
    radius : float, optional
        Sphere radius :math:`a` in metres.
    ear_azimuths_deg : (float, float), optional
        Azimuths of the (left, right) ears on the equator, in degrees.
    """

    radius: float = HEAD_RADIUS
    ear_azimuths_deg: tuple[float, float] = (90.0, -90.0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "radius", as_positive(self.radius, "radius"))
        object.__setattr__(self, "ear_azimuths_deg", _validate_ear_azimuths(self.ear_azimuths_deg))

    @property
    def ear_positions(self) -> NDArray[np.float64]:
        """Ear points on the sphere's surface, ``(2, 3)``."""
        return self.radius * _ear_directions(self.ear_azimuths_deg)

    def _ear_responses(self, positions, freqs, c):
        distance = np.linalg.norm(positions, axis=1)
        cos_theta = (positions / distance[:, None]) @ _ear_directions(self.ear_azimuths_deg).T
        mu = 2.0 * np.pi * freqs * self.radius / c
        h = rigid_sphere_transfer(distance / self.radius, cos_theta.T, mu)  # (2, n_pos, n_f)
        return h * greens_function(distance, freqs, c=c)[None]


@dataclass(frozen=True)
class BrownDuda(HeadModel):
    r"""The structural head model of Brown & Duda (IEEE TSAP 6(5), 1998), head part only.

    Head shadow, Eq. (1)-(2) of the paper, with :math:`\omega_0 = c/a`:

    .. math:: H(\omega, \theta) = \frac{1 + j\alpha(\theta)\,\omega/(2\omega_0)}
                                       {1 + j\omega/(2\omega_0)}, \qquad
              \alpha(\theta) = \left(1 + \frac{\alpha_{min}}{2}\right)
                  + \left(1 - \frac{\alpha_{min}}{2}\right)\cos\left(\frac{\theta}{\theta_{min}}
                  180^\circ\right),

    :math:`\alpha_{min} = 0.1`, :math:`\theta_{min} = 150^\circ`, :math:`\theta` the angle between
    the source direction and the ear axis. Delay relative to the head centre, Eq. (3):
    :math:`-(a/c)\cos\theta` for :math:`\theta < 90^\circ` and :math:`(a/c)(\theta - \pi/2)` beyond.
    The ear pressure is :math:`H e^{-j\omega\tau} G(r)`, a far-field model: the source's distance
    enters only through :math:`G(r)`.

    Parameters
    ----------
    radius : float, optional
        Head radius :math:`a` in metres.
    alpha_min : float, optional
        Shadow depth at ``theta_min_deg``.
    theta_min_deg : float, optional
        Angle of the deepest shadow, degrees from the ear axis.
    """

    radius: float = HEAD_RADIUS
    alpha_min: float = 0.1
    theta_min_deg: float = 150.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "radius", as_positive(self.radius, "radius"))
        alpha_min = as_positive(self.alpha_min, "alpha_min")
        if alpha_min >= 2.0:
            raise ValueError(f"alpha_min must be in (0, 2), got {alpha_min:g}")
        object.__setattr__(self, "alpha_min", alpha_min)
        theta_min = as_positive(self.theta_min_deg, "theta_min_deg")
        if not 90.0 < theta_min <= 180.0:
            raise ValueError(f"theta_min_deg must be in (90, 180], got {theta_min:g}")
        object.__setattr__(self, "theta_min_deg", theta_min)

    @property
    def ear_positions(self) -> NDArray[np.float64]:
        """Ear points ``(2, 3)`` at +-radius on the y axis."""
        return np.array([[0.0, self.radius, 0.0], [0.0, -self.radius, 0.0]])

    def alpha(self, theta_deg: npt.ArrayLike) -> NDArray[np.float64]:
        r"""Shadow coefficient :math:`\alpha(\theta)` for angles from the ear axis in degrees."""
        theta = as_float_array(theta_deg, "theta_deg")
        return (1.0 + self.alpha_min / 2.0) + (1.0 - self.alpha_min / 2.0) * np.cos(
            np.deg2rad(theta / self.theta_min_deg * 180.0)
        )

    def _ear_responses(self, positions, freqs, c):
        distance = np.linalg.norm(positions, axis=1)
        ear_axis = np.array([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]])
        cos_theta = np.clip(ear_axis @ (positions / distance[:, None]).T, -1.0, 1.0)  # (2, n)
        theta = np.arccos(cos_theta)
        omega = 2.0 * np.pi * freqs
        w0 = c / self.radius
        alpha = self.alpha(np.rad2deg(theta))
        shadow = (1.0 + 1j * alpha[..., None] * omega / (2.0 * w0)) / (
            1.0 + 1j * omega / (2.0 * w0)
        )
        tau = np.where(
            theta < np.pi / 2, -self.radius / c * cos_theta, self.radius / c * (theta - np.pi / 2)
        )
        delay = np.exp(-1j * omega * tau[..., None])
        return shadow * delay * greens_function(distance, freqs, c=c)[None]
