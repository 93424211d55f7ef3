r"""Shoebox rooms by the image-source method, with source-room-receiver modelling.

Images (Allen & Berkley, JASA 65(4), 1979, Eq. (9)-(11)). For a source at :math:`\mathbf s` in a
room :math:`[0, L_x] \times [0, L_y] \times [0, L_z]` each image is indexed per axis by an
integer :math:`n` and a parity :math:`p \in \{0, 1\}`: its coordinate is
:math:`2 n L + (1 - 2p) s`, it has met the wall at 0 :math:`|n - p|` times and the wall at
:math:`L` :math:`|n|` times, and its order is the total number of wall hits. Every image within
``max_order`` is enumerated at once (vectorized).

Each image reaches a listener with (Scheibler et al., ICASSP 2018, for the source-room-receiver
split; docs/conventions.md for the conventions)

(a) the driver's directivity at its true emission direction: the ray arriving from the image in
    direction :math:`\hat{\mathbf v}` left the real driver in direction
    :math:`\mathbf M \hat{\mathbf v}`, with
    :math:`\mathbf M = \mathrm{diag}(1 - 2p_x, 1 - 2p_y, 1 - 2p_z)` the image's mirror parity,
    evaluated per ear exactly as in free field (:mod:`acoustics.freefield`);
(b) the head model's ear response for a point source at the image's position in the listener
    frame, i.e. at its true arrival direction and distance;
(c) the image's reflection factor: at each octave-band centre :math:`f_k` the product
    :math:`B_{i,k} = \prod_w \beta_{w,k}^{h_{i,w}}` of the wall factors
    :math:`\beta_{w,k} = \sqrt{1 - \alpha_{w,k}}` raised to the number of hits on each wall,
    interpolated linearly over log frequency between the centres (:func:`band_weights`,
    :func:`reflection_spectra`); exactly :math:`\prod_w \beta_w^{h_{i,w}}` at every frequency
    when the absorption does not depend on frequency;
(d) :math:`e^{-jkr}/(4\pi r)` through the head model (and, with ``air_absorption``, the ISO
    9613-1 attenuation over the path length :math:`r`).

An image of order 0 is the driver itself, so ``max_order=0`` reproduces the free-field transfer
matrix exactly.

Absorption
    One energy coefficient for every wall, one per wall, or per wall per octave band (125 Hz to
    8 kHz). Walls are ordered as in pyroomacoustics: ``x = 0`` ("west"), ``x = L_x`` ("east"),
    ``y = 0`` ("south"), ``y = L_y`` ("north"), ``z = 0`` (floor), ``z = L_z`` (ceiling). Between
    band centres each image's reflection factor is interpolated linearly over log frequency (see
    (c)), and held at the end values outside 125 Hz to 8 kHz.

Evaluation
    :mod:`acoustics.room.engines` evaluates these sums (frequency-domain sum, or time-domain
    echogram synthesis for omnidirectional cases), with the choice and its measured cost in its
    docstring. :mod:`acoustics.pyroom` cross-checks the model against pyroomacoustics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.validation import as_float_array, as_freqs, as_int, as_point, as_positive

__all__ = [
    "Room",
    "ImageSources",
    "image_sources",
    "living_room",
    "bare_room",
    "studio",
    "air_attenuation_db_per_m",
    "band_weights",
    "reflection_spectra",
    "OCTAVE_BANDS_HZ",
    "WALLS",
    "TAIL_MODELS",
]

#: Octave-band centre frequencies of per-band absorption, Hz.
OCTAVE_BANDS_HZ: tuple[float, ...] = (125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0)
#: The late-tail models of :class:`Room` (:mod:`acoustics.room.late_tail`).
TAIL_MODELS: tuple[str, ...] = ("eyring", "sabine", "ray_tracing", "none")
#: Wall names in storage order (those of pyroomacoustics' ShoeBox).
WALLS: tuple[str, ...] = ("west", "east", "south", "north", "floor", "ceiling")

# Refuse image sets larger than this many images per source (order N has 4N^2 + 2 images, so
# orders up to N hold about 4N^3/3: 36 000 at order 30).
_MAX_IMAGES = 200_000


def image_count(order: int) -> int:
    """Return the number of images up to ``order``: 1 + sum of 4n^2 + 2 over n = 1 .. order."""
    return 1 + 2 * order + 2 * order * (order + 1) * (2 * order + 1) // 3


@dataclass(frozen=True, eq=False)
class Room:
    """A shoebox room.

    Parameters
    ----------
    dimensions : (3,) array_like
        Lengths along x, y, z in metres, positive. The room spans ``[0, L]`` on each axis of the
        world frame.
    absorption : float or (6,) or (6, 7) array_like
        Energy absorption coefficients in [0, 1]: one for all walls, one per wall (order of
        :data:`WALLS`), or per wall per octave band (:data:`OCTAVE_BANDS_HZ`). Stored as (6, 7).
    max_order : int, optional
        Highest reflection order of the image-source model.
    air_absorption : bool, optional
        Attenuate each path by air absorption (ISO 9613-1 at 20 degC, 50 % relative humidity).
    tail : {"eyring", "sabine", "ray_tracing", "none"}, optional
        The late reverberation after the image sources (:mod:`acoustics.room.late_tail`): a diffuse
        tail decaying per octave band by Eyring's or Sabine's reverberation time, or by the
        decay of a stochastic ray tracer with ``scattering``; ``"none"`` keeps the image sources
        alone, every one up to ``max_order`` (a specular box, whose late decay overshoots).
    scattering : float, optional
        Scattering coefficient in [0, 1] of the walls, for ``tail="ray_tracing"``.
    transition_ms : float or None, optional
        Start the tail this long after emission, if that is before the image sources of
        ``max_order`` stop being complete at the receiver (the default, None: when they stop).
    seed : int, optional
        Seed of the tail's noise (combined with each receiver's position and yaw).

    Examples
    --------
    >>> room = Room((5.0, 4.0, 2.5), 0.3, max_order=3)
    >>> room.volume, room.absorption.shape
    (50.0, (6, 7))
    """

    dimensions: NDArray[np.float64]
    absorption: NDArray[np.float64]
    max_order: int = 3
    air_absorption: bool = False
    tail: Literal["eyring", "sabine", "ray_tracing", "none"] = "eyring"
    scattering: float = 0.2
    transition_ms: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        dims = as_point(self.dimensions, "dimensions")
        if np.any(dims <= 0):
            raise ValueError(f"dimensions must be positive lengths in metres, got {dims.tolist()}")
        alpha = as_float_array(self.absorption, "absorption")
        if alpha.ndim == 0:
            alpha = np.full((6, len(OCTAVE_BANDS_HZ)), float(alpha))
        elif alpha.shape == (6,):
            alpha = np.repeat(alpha[:, None], len(OCTAVE_BANDS_HZ), axis=1)
        elif alpha.shape != (6, len(OCTAVE_BANDS_HZ)):
            raise ValueError(
                "absorption must be a scalar, (6,) per wall or (6, 7) per wall per octave band "
                f"(125 Hz ... 8 kHz), got shape {alpha.shape}"
            )
        if np.any(alpha < 0) or np.any(alpha > 1):
            raise ValueError(
                f"absorption must lie in [0, 1] (energy coefficients), got values from "
                f"{alpha.min():g} to {alpha.max():g}"
            )
        order = self.max_order
        order = as_int(order, "max_order", 0)
        if image_count(order) > _MAX_IMAGES:
            raise ValueError(
                f"max_order {order} would need {image_count(int(order))} images per source, more "
                f"than the {_MAX_IMAGES} this model will hold in memory; use max_order <= 52"
            )
        if not isinstance(self.air_absorption, (bool, np.bool_)):
            raise TypeError(f"air_absorption must be a bool, got {self.air_absorption!r}")
        if self.tail not in TAIL_MODELS:
            raise ValueError(f"tail must be one of {TAIL_MODELS}, got {self.tail!r}")
        if isinstance(self.scattering, bool) or not isinstance(
            self.scattering, (int, float, np.integer, np.floating)
        ):
            raise TypeError(f"scattering must be a number in [0, 1], got {self.scattering!r}")
        if not 0.0 <= float(self.scattering) <= 1.0:
            raise ValueError(f"scattering must lie in [0, 1], got {self.scattering!r}")
        if self.transition_ms is not None:
            transition = as_positive(self.transition_ms, "transition_ms")
            object.__setattr__(self, "transition_ms", transition)
        as_int(self.seed, "seed", 0)
        dims.flags.writeable = False
        alpha.flags.writeable = False
        object.__setattr__(self, "dimensions", dims)
        object.__setattr__(self, "absorption", alpha)
        object.__setattr__(self, "max_order", int(order))
        object.__setattr__(self, "air_absorption", bool(self.air_absorption))
        object.__setattr__(self, "scattering", float(self.scattering))
        object.__setattr__(self, "seed", int(self.seed))

    def describe(self) -> str:
        """One line naming the model, e.g. for reports and provenance."""
        model = f"image sources to order {self.max_order}"
        if self.tail == "ray_tracing":
            model += (
                f", then a diffuse tail decaying as ray-traced with scattering {self.scattering:g}"
            )
        elif self.tail != "none":
            model += f", then a diffuse tail decaying by {self.tail.capitalize()}"
        if self.transition_ms is not None:
            model += f" from {self.transition_ms:g} ms"
        return model

    @property
    def reverberant(self) -> bool:
        """Whether responses in the room hold anything after the direct sound."""
        return self.tail != "none" or self.max_order > 0

    @property
    def volume(self) -> float:
        """Volume in m^3."""
        return float(np.prod(self.dimensions))

    @property
    def wall_areas(self) -> NDArray[np.float64]:
        """Areas of the six walls in :data:`WALLS` order, m^2."""
        lx, ly, lz = self.dimensions
        return np.array([ly * lz, ly * lz, lx * lz, lx * lz, lx * ly, lx * ly])

    def absorption_at(self, freqs: npt.ArrayLike) -> NDArray[np.float64]:
        """Energy absorption of each wall at ``freqs``, ``(6, n_freqs)``.

        Linear interpolation over log frequency between octave-band centres; constant below
        125 Hz and above 8 kHz (the :func:`band_weights` of the model).
        """
        return self.absorption @ band_weights(freqs)

    def reflection_factors(self, freqs: npt.ArrayLike) -> NDArray[np.float64]:
        r"""Pressure reflection factors :math:`\sqrt{1 - \alpha_w(f)}`, ``(6, n_freqs)``."""
        return np.sqrt(1.0 - self.absorption_at(freqs))

    def contains(self, points: npt.ArrayLike, *, margin: float = 0.0) -> NDArray[np.bool_]:
        """Whether each point lies inside the room, at least ``margin`` metres from every wall."""
        p = np.atleast_2d(as_float_array(points, "points"))
        return np.all((p >= margin) & (p <= self.dimensions - margin), axis=-1)


@dataclass(frozen=True, eq=False)
class ImageSources:
    """The images of one source in a shoebox room.

    Attributes
    ----------
    positions : (n, 3) ndarray
        Image positions in the world (room) frame, metres.
    parity : (n, 3) ndarray
        Mirror signs :math:`1 - 2p` per axis: the emission direction of a ray leaving image ``i``
        in direction ``v`` is ``parity[i] * v`` at the real source.
    hits : (n, 6) ndarray of int
        Reflections on each wall, in :data:`WALLS` order.
    order : (n,) ndarray of int
        Total number of reflections; image 0 is the source itself (order 0).
    """

    positions: NDArray[np.float64]
    parity: NDArray[np.float64]
    hits: NDArray[np.intp]
    order: NDArray[np.intp]


def image_sources(
    room: Room, source: npt.ArrayLike, *, max_order: int | None = None
) -> ImageSources:
    """Enumerate the images of a source up to the room's ``max_order`` (vectorized).

    Parameters
    ----------
    room : Room
        The shoebox.
    source : (3,) array_like
        Source position in the room frame, metres, strictly inside the room.
    max_order : int, optional
        Enumerate to this order instead of the room's (the hybrid model's transition looks one
        order beyond it).

    Returns
    -------
    ImageSources
        Sorted by order; image 0 is the source.
    """
    if not isinstance(room, Room):
        raise TypeError(f"room must be a Room, got {type(room).__name__}")
    s = as_point(source, "source")
    if not room.contains(s)[0] or np.any(s == 0) or np.any(s == room.dimensions):
        raise ValueError(
            f"source must lie strictly inside the room {room.dimensions.tolist()}, got {s.tolist()}"
        )
    n_max = room.max_order if max_order is None else int(max_order)
    # Per axis: every (n, p) whose own hits |n - p| + |n| stay within the order.
    n = np.arange(-n_max, n_max + 2)
    n_ax, p_ax = np.meshgrid(n, [0, 1], indexing="ij")
    n_ax, p_ax = n_ax.ravel(), p_ax.ravel()
    low, high = np.abs(n_ax - p_ax), np.abs(n_ax)
    keep = low + high <= n_max
    n_ax, p_ax, low, high = n_ax[keep], p_ax[keep], low[keep], high[keep]
    ix, iy, iz = np.meshgrid(*(np.arange(n_ax.size),) * 3, indexing="ij")
    ix, iy, iz = ix.ravel(), iy.ravel(), iz.ravel()
    total = low[ix] + high[ix] + low[iy] + high[iy] + low[iz] + high[iz]
    sel = total <= n_max
    ix, iy, iz, total = ix[sel], iy[sel], iz[sel], total[sel]
    order = np.argsort(total, kind="stable")
    ix, iy, iz, total = ix[order], iy[order], iz[order], total[order]
    idx = np.stack([ix, iy, iz], axis=1)  # (n_img, 3) indices into the per-axis lists
    sign = 1.0 - 2.0 * p_ax[idx]
    positions = 2.0 * n_ax[idx] * room.dimensions + sign * s
    hits = np.stack([low[ix], high[ix], low[iy], high[iy], low[iz], high[iz]], axis=1)
    return ImageSources(positions, sign, hits, total)


def air_attenuation_db_per_m(
    freqs: npt.ArrayLike,
    *,
    temperature_c: float = 20.0,
    relative_humidity: float = 50.0,
    pressure_kpa: float = 101.325,
) -> NDArray[np.float64]:
    r"""Atmospheric absorption in dB per metre (ISO 9613-1:1993, Eq. (3)-(5) and Annex B).

    Parameters
    ----------
    freqs : (n_freqs,) array_like
        Frequencies in Hz.
    temperature_c : float, optional
        Air temperature in degrees Celsius.
    relative_humidity : float, optional
        Relative humidity in per cent, in (0, 100].
    pressure_kpa : float, optional
        Atmospheric pressure in kPa.

    Returns
    -------
    alpha : (n_freqs,) ndarray
        Attenuation in dB/m; the pressure amplitude falls by :math:`10^{-\alpha r / 20}` over
        :math:`r` metres.
    """
    f = as_freqs(freqs)
    t = as_positive(temperature_c + 273.15, "temperature_c")
    rh = as_positive(relative_humidity, "relative_humidity")
    if rh > 100:
        raise ValueError(f"relative_humidity must be at most 100 %, got {rh:g}")
    pa = as_positive(pressure_kpa, "pressure_kpa") / 101.325
    t0, t01 = 293.15, 273.16
    psat = 10.0 ** (-6.8346 * (t01 / t) ** 1.261 + 4.6151)
    h = rh * psat / pa  # molar concentration of water vapour, per cent
    fr_o = pa * (24.0 + 4.04e4 * h * (0.02 + h) / (0.391 + h))
    fr_n = pa * (t / t0) ** -0.5 * (9.0 + 280.0 * h * np.exp(-4.170 * ((t / t0) ** (-1 / 3) - 1.0)))
    return (
        8.686
        * f**2
        * (
            1.84e-11 / pa * (t / t0) ** 0.5
            + (t / t0) ** -2.5
            * (
                0.01275 * np.exp(-2239.1 / t) / (fr_o + f**2 / fr_o)
                + 0.1068 * np.exp(-3352.0 / t) / (fr_n + f**2 / fr_n)
            )
        )
    )


def living_room(*, max_order: int = 3, air_absorption: bool = False, **tail) -> Room:
    """Build a furnished living room, 5.5 x 4.2 x 2.6 m (60 m^3).

    Octave-band absorption (125 Hz ... 8 kHz) from typical material tables (Vorlaender,
    *Auralization*, 2nd ed., Springer 2020, Appendix A; Cox & D'Antonio, *Acoustic Absorbers and
    Diffusers*, 3rd ed., 2017): plastered walls partly covered by curtains and shelves on the long
    sides, a glazed end wall, carpet on the floor with a sofa's worth of upholstery lumped into it,
    and a painted plasterboard ceiling. Reverberation time about 0.4-0.5 s in the midrange, typical
    of furnished domestic rooms (Diaz & Pedrero, Applied Acoustics 66, 2005).

    ``tail`` takes the late-tail options of :class:`Room` (``tail``, ``scattering``,
    ``transition_ms``, ``seed``), as do :func:`bare_room` and :func:`studio`.
    """
    walls = np.array(
        [
            [0.15, 0.12, 0.10, 0.08, 0.07, 0.06, 0.06],  # west: plaster with shelving
            [0.18, 0.06, 0.04, 0.03, 0.02, 0.02, 0.02],  # east: glazing
            [0.10, 0.15, 0.25, 0.30, 0.35, 0.35, 0.35],  # south: curtains on plaster
            [0.15, 0.12, 0.10, 0.08, 0.07, 0.06, 0.06],  # north: plaster with shelving
            [0.10, 0.15, 0.30, 0.45, 0.55, 0.60, 0.60],  # floor: carpet and upholstery
            [0.20, 0.15, 0.10, 0.08, 0.06, 0.05, 0.05],  # ceiling: plasterboard
        ]
    )
    return Room((5.5, 4.2, 2.6), walls, max_order=max_order, air_absorption=air_absorption, **tail)


def bare_room(*, max_order: int = 3, air_absorption: bool = False, **tail) -> Room:
    """Build an unfurnished room with hard surfaces, 5.0 x 4.0 x 2.6 m.

    Painted plaster and concrete (absorption 0.02-0.05, Vorlaender 2020, Appendix A): a long
    reverberation time, about 3 s (Eyring) in the midrange.
    """
    walls = np.tile([0.02, 0.02, 0.03, 0.03, 0.04, 0.05, 0.05], (6, 1))
    return Room((5.0, 4.0, 2.6), walls, max_order=max_order, air_absorption=air_absorption, **tail)


def studio(*, max_order: int = 3, air_absorption: bool = False, **tail) -> Room:
    """Build a treated control room, 6.0 x 5.0 x 3.0 m, with broadband absorption.

    Porous absorbers 100 mm thick on the side walls and as a ceiling cloud (absorption 0.4-0.95,
    Cox & D'Antonio 2017, Table 5.1), the front and rear walls half covered, carpet on the floor:
    reverberation time (Eyring) about 0.3 s at 125 Hz and under 0.1 s from 500 Hz up.
    """
    absorber = [0.40, 0.75, 0.90, 0.95, 0.95, 0.95, 0.95]
    half = [0.25, 0.40, 0.50, 0.50, 0.50, 0.50, 0.50]
    carpet = [0.08, 0.24, 0.57, 0.69, 0.71, 0.73, 0.73]
    walls = np.array([half, half, absorber, absorber, carpet, absorber])
    return Room((6.0, 5.0, 3.0), walls, max_order=max_order, air_absorption=air_absorption, **tail)


def band_weights(freqs: npt.ArrayLike) -> NDArray[np.float64]:
    """Interpolation weights from the octave-band centres to ``freqs``, ``(7, n_freqs)``.

    Hat functions over log frequency (linear interpolation between neighbouring centres), held
    constant below 125 Hz and above 8 kHz; each column sums to one.
    """
    f = as_freqs(freqs)
    logf = np.log(np.clip(f, OCTAVE_BANDS_HZ[0], OCTAVE_BANDS_HZ[-1]))
    eye = np.eye(len(OCTAVE_BANDS_HZ))
    centres = np.log(OCTAVE_BANDS_HZ)
    return np.stack([np.interp(logf, centres, row) for row in eye])


def reflection_spectra(room: Room, images: ImageSources) -> NDArray[np.float64]:
    r"""Each image's pressure reflection factor at the octave-band centres, ``(n_img, 7)``.

    :math:`B_{i,k} = \prod_w \beta_{w,k}^{h_{i,w}}` with :math:`\beta_{w,k} = \sqrt{1 -
    \alpha_{w,k}}`; at other frequencies the model interpolates :math:`B_{i,k}` with
    :func:`band_weights`. (With frequency-independent absorption this is exactly
    :math:`\prod_w \beta_w^{h_{i,w}}` at every frequency.)
    """
    beta = np.sqrt(1.0 - room.absorption)  # (6, 7)
    out = np.ones((images.hits.shape[0], beta.shape[1]))
    for wall in range(6):
        hits = images.hits[:, wall]
        if np.any(hits):
            # 0^0 = 1: a fully absorbing wall silences only the images that hit it.
            out *= beta[wall][None, :] ** hits[:, None]
    return out
