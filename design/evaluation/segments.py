r"""Time segments of ear responses, and the separation measured in each, by 1/3-octave bands.

The measures of :mod:`design.evaluation` judge three parts of every binaural (or path-to-ear)
impulse response, counted from its *onset* (the first sample within 20 dB of the peak of the
two ears' summed energy, :func:`acoustics.metrics.arrival_index`):

direct
    1 ms before the onset to 2.5 ms after it: the first wavefront alone.
early
    1 ms before the onset up to the *early limit*: by default just before the first reflection
    that reaches the listener from a side wall (:func:`early_segment_end_ms`: its delay after the
    direct sound at the head centre, :func:`early_limit_ms`, less one head diameter's travel
    time); or a given number of milliseconds. In free field
    (and in a room modelled without reflections, ``max_order = 0``) there is no reflection: the
    early segment is the full response.
full
    The whole response, steady state.

Segments are cut in the time domain by a window that is 1 inside and falls to 0 at both ends
over a raised-cosine (Hann) fade of :data:`FADE_MS` (0.5 ms), placed *inside* the segment:
nothing outside it passes, and the direct sound (after the 1 ms lead-in) is never faded in.
The same window multiplies both ears, so interaural level and time differences are kept.

Side walls
    The two vertical walls whose normals are most perpendicular to the horizontal axis from the
    listener to the device: for a device facing down the room, the walls parallel to that axis.
    The first reflection from a wall is the driver's first-order image in it
    (:func:`acoustics.room.image_sources`, Allen & Berkley, JASA 65(4), 1979); its delay is its
    path length to the listener's head centre minus the shortest direct path from any driver,
    over the speed of sound, minimized over the device's drivers and the two walls.

Why the head-diameter guard
    Delays are geometric, at the head centre; the ears hear both wavefronts elsewhere. The ear
    nearer the wall hears the reflection up to :math:`a/c` earlier, and the direct sound from
    the front reaches the ears up to :math:`a(\pi/2 - 1)/c` later (the path round a rigid sphere
    of radius :math:`a`), so the reflection can arrive up to :math:`a\pi/(2c)` sooner after the
    ears' onset than the geometric delay says: 0.40 ms for :math:`a` = 8.75 cm. Ending the
    segment :math:`2a/c` (0.51 ms) early keeps it out. In the demo living room (side-firing
    drivers 2.1 m from the side walls, the listener 2 m away) the geometric delay is 7.76 ms, and
    the chain's early crosstalk-cancellation separation falls from 13.5 dB with the segment
    ending at 7.4 ms to 8.4 dB at 7.6 ms: the reflection is at the ears by then.

Separation by bands
    Energies :math:`E_b = \sum_{f \in b} |X(f)|^2` in the 1/3-octave bands (base-2 centres
    :math:`1000 \cdot 2^{k/3}` Hz, edges :math:`f_c 2^{\pm 1/6}`, IEC 61260-1) whose centres lie
    in the evaluation band. Per band and side the separation is
    :math:`10 \log_{10}(E_{b,\mathrm{ipsi}} / E_{b,\mathrm{contra}})`; the two sides (hard left,
    hard right) are averaged in dB, and the median and the 10th percentile (linear
    interpolation) over the bands summarize it. A segment of length :math:`T` resolves
    frequency to about :math:`1/T` (290 Hz for the direct segment), so its lowest bands are
    smoothed by the window; the bands still sum the segment's energy exactly (Parseval).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.geometry import SPEED_OF_SOUND
from acoustics.metrics import arrival_index
from acoustics.room import WALLS, image_sources
from acoustics.scene import Listener, Scene

__all__ = [
    "SEGMENTS",
    "FADE_MS",
    "DIRECT_MS",
    "LEAD_MS",
    "BandSeparation",
    "third_octave_bands",
    "early_limit_ms",
    "early_segment_end_ms",
    "segment_windows",
    "band_energies",
    "band_separation",
    "summarize_separation",
]

#: The segments, shortest first.
SEGMENTS: tuple[str, str, str] = ("direct", "early", "full")
#: Length of each raised-cosine fade, ms.
FADE_MS = 0.5
#: Lead-in before the onset, ms.
LEAD_MS = 1.0
#: End of the direct segment after the onset, ms.
DIRECT_MS = 2.5
_SIDE_WALL_PAIRS = (
    (WALLS.index("west"), WALLS.index("east")),
    (WALLS.index("south"), WALLS.index("north")),
)


@dataclass(frozen=True)
class BandSeparation:
    """Separation of one segment in 1/3-octave bands.

    Attributes
    ----------
    segment : str
        ``"direct"``, ``"early"`` or ``"full"``.
    band_centres_hz : (n_bands,) ndarray
        Nominal band centres.
    band_db : (2, n_bands) ndarray
        Ipsilateral over contralateral band energy in dB, hard left (row 0) and hard right.
    median_db, p10_db : float
        Median and 10th percentile over the bands of the two sides' mean.
    """

    segment: str
    band_centres_hz: NDArray[np.float64]
    band_db: NDArray[np.float64]
    median_db: float
    p10_db: float


def third_octave_bands(band_hz: tuple[float, float], fs: float) -> NDArray[np.float64]:
    """Return the 1/3-octave centres (base 2, re 1 kHz) inside ``band_hz``, Hz.

    Parameters
    ----------
    band_hz : (float, float)
        Evaluation band, ``0 < low < high``; every band's upper edge must lie below ``fs / 2``.
    fs : float
        Sampling rate in Hz.

    Examples
    --------
    >>> third_octave_bands((500.0, 4000.0), 48000.0).round().tolist()[:4]
    [500.0, 630.0, 794.0, 1000.0]
    """
    lo, hi = (float(v) for v in band_hz)
    k = np.arange(
        np.ceil(3 * np.log2(lo / 1000.0) - 1e-9), np.floor(3 * np.log2(hi / 1000.0) + 1e-9) + 1
    )
    centres = 1000.0 * 2.0 ** (k / 3.0)
    if centres.size == 0:
        raise ValueError(f"band_hz {band_hz!r} holds no 1/3-octave band centre")
    if centres[-1] * 2 ** (1 / 6) >= fs / 2:
        raise ValueError(
            f"band_hz {band_hz!r}: its top 1/3-octave band reaches "
            f"{centres[-1] * 2 ** (1 / 6):.0f} Hz, beyond fs / 2 = {fs / 2:g} Hz"
        )
    return centres


def _side_walls(axis_xy: NDArray) -> NDArray[np.intp]:
    """Return the side walls ``(n, 2)`` (indices into :data:`WALLS`) for axes ``(n, 2)``."""
    # x-walls have normal x; they are the side walls when the axis runs more along y than x.
    along_y = np.abs(axis_xy[:, 1]) > np.abs(axis_xy[:, 0])
    pairs = np.asarray(_SIDE_WALL_PAIRS)
    return np.where(along_y[:, None], pairs[0], pairs[1])


def early_limit_ms(
    scene: Scene, positions: npt.ArrayLike | None = None, *, c: float = SPEED_OF_SOUND
) -> NDArray[np.float64] | None:
    """Delay of the first side-wall reflection after the direct sound at each listener, ms.

    Parameters
    ----------
    scene : Scene
        Device, room and listener (or listener grid).
    positions : (n, 3) array_like, optional
        Head centres in the world frame, metres; the scene's listener(s) by default.
    c : float, optional
        Speed of sound in m/s.

    Returns
    -------
    (n,) ndarray or None
        None in free field or without reflections (``max_order = 0`` and no late tail): the
        early segment is the whole response there.
    """
    if not isinstance(scene, Scene):
        raise TypeError(f"scene must be a Scene, got {type(scene).__name__}")
    room = scene.room
    if room is None or not room.reverberant:
        return None
    if room.max_order == 0:  # a tail without image sources: the walls still reflect first
        room = dataclasses.replace(room, max_order=1, tail="none")
    if positions is None:
        lis = scene.listener
        positions = lis.position[None, :] if isinstance(lis, Listener) else lis.positions
    p = np.atleast_2d(np.asarray(positions, dtype=float))
    drivers = scene.driver_positions  # (D, 3)
    walls = _side_walls(scene.device_position[None, :2] - p[:, :2])  # (n, 2)
    first = np.full((p.shape[0],), np.inf)
    for d in drivers:  # a handful of drivers, not frequency bins
        img = image_sources(room, d)
        one = img.order == 1
        pos, hits = img.positions[one], img.hits[one]  # (6, 3), (6, 6): one image per wall
        wall_of = np.argmax(hits, axis=1)
        dist = np.linalg.norm(p[:, None, :] - pos[None, :, :], axis=-1)  # (n, 6)
        side = (wall_of[None, :] == walls[:, :1]) | (wall_of[None, :] == walls[:, 1:])
        first = np.minimum(first, np.min(np.where(side, dist, np.inf), axis=1))
    direct = np.min(np.linalg.norm(p[:, None, :] - drivers[None, :, :], axis=-1), axis=1)
    return 1e3 * (first - direct) / c


def early_segment_end_ms(
    scene: Scene, positions: npt.ArrayLike | None = None, *, c: float = SPEED_OF_SOUND
) -> NDArray[np.float64] | None:
    """End of the default early segment after the onset at each listener, ms.

    :func:`early_limit_ms` less the travel time over the head's diameter, :math:`2a/c` (module
    docstring), and never below the :data:`FADE_MS` fade; None in free field.
    """
    delay = early_limit_ms(scene, positions, c=c)
    if delay is None:
        return None
    head = scene.listener.head
    return np.maximum(delay - 1e3 * 2.0 * head.radius / c, FADE_MS)


def _onsets(irs: NDArray, fs: float) -> NDArray[np.intp]:
    """Onset of ``(..., 2, n)`` responses: of the two ears' summed energy (-20 dB of its peak)."""
    return arrival_index(np.sqrt(np.sum(irs**2, axis=-2)), fs)


def _window(start: NDArray, stop: NDArray, n: int, ramp: int) -> NDArray[np.float64]:
    """Windows ``start.shape + (n,)``: 1 on [start, stop), raised-cosine fades inside both ends."""
    t = np.arange(n) + 0.5
    rise = np.clip((t - start[..., None]) / ramp, 0.0, 1.0)
    fall = np.clip((stop[..., None] - t) / ramp, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(rise, fall))


def segment_windows(
    irs: npt.ArrayLike, fs: float, *, early_ms: npt.ArrayLike | None
) -> dict[str, NDArray[np.float64] | None]:
    """Windows of the direct and early segments of responses ``(..., 2, n)``.

    Parameters
    ----------
    irs : (..., 2, n_samples) array_like
        Binaural (or path-to-ear) impulse responses.
    fs : float
        Sampling rate in Hz.
    early_ms : float, array_like broadcasting to ``irs.shape[:-2]``, or None
        End of the early segment after the onset, ms (at least :data:`FADE_MS`); None: the
        early segment is the full response.

    Returns
    -------
    dict
        ``"direct"`` and ``"early"`` windows ``irs.shape[:-2] + (n,)`` (``"early"`` is None when
        ``early_ms`` is None), ``"full"`` None (no window).
    """
    x = np.asarray(irs, dtype=float)
    onset = _onsets(x, fs)
    n = x.shape[-1]
    ramp = FADE_MS * 1e-3 * fs
    start = onset - LEAD_MS * 1e-3 * fs
    out: dict[str, NDArray | None] = {
        "direct": _window(start, onset + DIRECT_MS * 1e-3 * fs, n, ramp)
    }
    if early_ms is None:
        out["early"] = None
    else:
        limit = np.broadcast_to(np.asarray(early_ms, dtype=float), onset.shape)
        if np.any(~np.isfinite(limit)) or np.any(limit < FADE_MS):
            raise ValueError(f"early_ms must be at least the {FADE_MS:g} ms fade, got {early_ms!r}")
        out["early"] = _window(start, onset + limit * 1e-3 * fs, n, ramp)
    out["full"] = None
    return out


def band_energies(
    spectra: npt.ArrayLike, freqs: npt.ArrayLike, centres: npt.ArrayLike
) -> NDArray[np.float64]:
    """Energies ``(..., n_bands)`` of spectra ``(..., n_freqs)`` in 1/3-octave bands.

    A bin belongs to the band with ``f_c 2^{-1/6} <= f < f_c 2^{1/6}``.
    """
    f = np.asarray(freqs, dtype=float)
    fc = np.asarray(centres, dtype=float)
    member = (f[None, :] >= fc[:, None] * 2 ** (-1 / 6)) & (f[None, :] < fc[:, None] * 2 ** (1 / 6))
    if np.any(member.sum(axis=1) == 0):
        raise ValueError("the frequency grid is too coarse: a 1/3-octave band holds no bin")
    return (np.abs(np.asarray(spectra)) ** 2) @ member.T.astype(float)


def band_separation(
    ipsi_contra: npt.ArrayLike, freqs: npt.ArrayLike, centres: npt.ArrayLike
) -> NDArray[np.float64]:
    """Band separation in dB, ``(..., n_bands)``, of ipsi/contra spectra ``(..., 2, n_freqs)``."""
    e = band_energies(ipsi_contra, freqs, centres)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(e[..., 0, :] / e[..., 1, :])


def summarize_separation(segment: str, band_db: NDArray, centres: NDArray) -> BandSeparation:
    """Return the :class:`BandSeparation` of per-side band values ``(2, n_bands)``."""
    mean = np.mean(band_db, axis=0)
    return BandSeparation(
        segment=segment,
        band_centres_hz=np.asarray(centres, dtype=float),
        band_db=np.asarray(band_db, dtype=float),
        median_db=float(np.median(mean)),
        p10_db=float(np.percentile(mean, 10.0)),
    )
