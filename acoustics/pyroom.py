r"""Bridge to pyroomacoustics: the same shoebox scene simulated by an independent implementation.

:func:`to_pyroomacoustics` builds the :class:`pyroomacoustics.ShoeBox` equivalent of a
:class:`~acoustics.scene.Scene` in a :class:`~acoustics.room.Room`, and
:func:`pyroomacoustics_rirs` runs its image-source model and converts the impulse responses to the
conventions of :mod:`acoustics.geometry`, in one place. They exist to cross-check the image-source
model of :mod:`acoustics.room` / :mod:`acoustics.room.engines` against an independent
implementation (Scheibler, Bezzam & Dokmanic, "Pyroomacoustics: a Python package for audio room
simulation and array processing algorithms", ICASSP 2018; tested against pyroomacoustics 0.10.1 in
``tests/acoustics/test_pyroom.py``).

Mapping of the scene
    * Room: same dimensions and ``max_order``; walls in the same order (west, east, south, north,
      floor, ceiling) and absorption as energy coefficients in both. A room whose absorption does
      not depend on frequency gets flat :class:`pyroomacoustics.Material` s (one band, no filter
      bank). Otherwise each wall gets :meth:`~acoustics.room.Room.absorption_at` sampled at
      pyroomacoustics' own octave-band centres (:func:`pyroomacoustics_band_centres`: 125 Hz to
      16 kHz at 48 kHz), so that it holds our values exactly there (above 8 kHz both hold the
      8 kHz value). Between centres the models differ: pyroomacoustics cross-fades the band
      signals with its Antoni filter bank (flat tops, sine/cosine transitions over linear
      frequency), ours interpolates each image's band factors linearly over log frequency.
    * Air absorption: our ISO 9613-1 attenuation :math:`a(f)` (dB/m) at the band centres, given as
      pyroomacoustics' energy coefficients :math:`m = a \ln 10 / 10` per metre (its amplitude
      factor is :math:`e^{-m r / 2}`, ours :math:`10^{-a r / 20}`); it interpolates between bands
      as for absorption, ours is evaluated at every frequency.
    * Speed of sound: set explicitly (pyroomacoustics otherwise takes it from a global constant or
      from temperature and humidity).
    * Sources: one omnidirectional source per driver at its world position, in driver order.
      Other directivities are refused: pyroomacoustics' source patterns (cardioid family, measured)
      are different models, and the bridge exists to compare rooms, not driver models.
    * Receivers: ``"ears"`` puts omnidirectional microphones at the listener's ear points
      (:attr:`~acoustics.scene.Listener.ear_positions`; every ear of a
      :class:`~acoustics.scene.ListenerGrid`, listener-major, left then right), the equivalent of
      :class:`~acoustics.heads.PointEars`; ``"points"`` at given positions.

Measured KEMAR microphones (``directivity="kemar"``)
    pyroomacoustics 0.10.1 reads SOFA files with the ``python-sofa`` package, which soundstage
    does not depend on: ``MeasuredDirectivityFile(kemar_path())`` raises ``ValueError``. The
    bridge gives :class:`pyroomacoustics.directivities.MeasuredDirectivityFile` a reader callback
    that returns the bundled MIT KEMAR set exactly as
    :meth:`acoustics.heads.hrtf.MeasuredHRTF.kemar` holds it (read by
    :func:`acoustics.heads.sofa.read_hrir`, whose directions honour ``ListenerView``; resampled to
    ``fs`` with the filter gain kept) times its level normalisation
    :attr:`~acoustics.heads.hrtf.MeasuredHRTF.gain`. Each ear's microphone takes that ear's
    responses, turned to the listener's yaw by ``Rotation3D([yaw_deg], "z")`` (counter-clockwise
    from +x, as ours). pyroomacoustics gives every image the response of the **nearest measured
    direction** (ours interpolates onset-aligned responses over the triangle around it), so the two
    agree exactly only for sources on measured directions. The microphones sit at the **head
    centre**: a head-related impulse response belongs to a source position relative to the head
    centre and already holds each ear's delay and shadowing; microphones at the ears would count the
    interaural delay (about 255 us) twice. The responses keep the data's bulk latency: they lag ours
    by :attr:`~acoustics.heads.hrtf.MeasuredHRTF.latency` (0.85 ms, 40.9 samples at 48 kHz), which a
    comparison removes with :math:`e^{+j 2\pi f t_0}`.

Conventions of the responses: converted by :func:`pyroomacoustics_rirs` (its Notes list them).
"""

from __future__ import annotations

import copy
import math
import warnings
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyroomacoustics as pra
from numpy.typing import NDArray

from acoustics.caching import memoize
from acoustics.geometry import SPEED_OF_SOUND, rotation_matrix
from acoustics.room.shoebox import WALLS, Room, air_attenuation_db_per_m
from acoustics.scene import Listener, Scene
from acoustics.sources import Omni
from acoustics.validation import as_int, as_positions, as_speed_of_sound

__all__ = [
    "to_pyroomacoustics",
    "pyroomacoustics_rirs",
    "pyroomacoustics_transfer",
    "pyroomacoustics_band_centres",
]


def pyroomacoustics_band_centres(fs: int) -> NDArray[np.float64]:
    """Octave-band centres in Hz that pyroomacoustics uses for per-band data at rate ``fs``.

    Parameters
    ----------
    fs : int
        Sampling rate in Hz.

    Returns
    -------
    centres : (n_bands,) ndarray
        ``base * 2**b`` for ``b = 0 .. floor(log2(fs / base)) - 1``, ``base`` the global constant
        ``octave_bands_base_freq`` (125 Hz): 125 Hz to 16 kHz at 48 kHz.
    """
    fs = _as_fs(fs)
    base = float(pra.constants.get("octave_bands_base_freq"))
    return base * 2.0 ** np.arange(math.floor(np.log2(fs / base)))


def to_pyroomacoustics(
    scene: Scene,
    *,
    fs: int = 48000,
    receivers: Literal["ears", "points"] = "ears",
    points: npt.ArrayLike | None = None,
    directivity: Literal["kemar"] | None = None,
    ray_tracing: bool = False,
    c: float = SPEED_OF_SOUND,
) -> pra.ShoeBox:
    """Build the pyroomacoustics shoebox equivalent to a scene in a room.

    pyroomacoustics' image sources map ours; our late tail (``room.tail``) does not. With
    ``ray_tracing=True`` pyroomacoustics runs its own hybrid instead (image sources to
    ``max_order``, then ray tracing with the room's ``scattering`` on every wall): the
    independent check of the tail's decay.

    Parameters
    ----------
    scene : Scene
        A scene with a :class:`~acoustics.room.Room`; every driver must be :class:`Omni`.
    fs : int, optional
        Sampling rate of the simulation in Hz (pyroomacoustics needs an integer).
    receivers : {"ears", "points"}, optional
        Microphones at the listener's ears (every ear of a grid, listener-major, left then
        right), or at ``points``.
    points : (n, 3) array_like, optional
        Microphone positions in the room frame, metres, for ``receivers="points"`` only.
    directivity : {"kemar"} or None, optional
        ``None``: omnidirectional microphones. ``"kemar"``: each ear's microphone has the
        bundled MIT KEMAR response of that ear, turned to the listener's yaw, and sits at the head
        centre (see the module docstring); ``receivers="ears"`` only.
    ray_tracing : bool, optional
        Turn on pyroomacoustics' ray tracing (its default ray settings) with the walls'
        scattering coefficient ``room.scattering``.
    c : float, optional
        Speed of sound in m/s.

    Returns
    -------
    room : pyroomacoustics.ShoeBox
        Sources in driver order, microphones in receiver order; ``max_order``,
        ``air_absorption`` as the scene's room; ``min_phase=False`` (linear-phase band filters).

    Raises
    ------
    ValueError
        If the scene is in free field, a driver is not omnidirectional, or the options are
        inconsistent (each message names the argument).
    """
    if not isinstance(scene, Scene):
        raise TypeError(f"scene must be a Scene, got {type(scene).__name__}")
    room = scene.room
    if room is None:
        raise ValueError(
            "scene must have a room (scene.room is None, free field): pyroomacoustics simulates "
            "rooms; use acoustics.freefield for free field"
        )
    for driver in scene.device.drivers:
        if not isinstance(driver.directivity, Omni):
            raise ValueError(
                f"scene.device: driver {driver.name!r} has directivity "
                f"{type(driver.directivity).__name__}; only Omni drivers can be mapped to "
                "pyroomacoustics sources"
            )
    fs = _as_fs(fs)
    c = as_speed_of_sound(c)
    if receivers not in ("ears", "points"):
        raise ValueError(f"receivers must be 'ears' or 'points', got {receivers!r}")
    if directivity not in (None, "kemar"):
        raise ValueError(f"directivity must be None or 'kemar', got {directivity!r}")
    if receivers == "points":
        if points is None:
            raise ValueError("points must be given (n, 3) positions for receivers='points'")
        if directivity is not None:
            raise ValueError("directivity='kemar' needs receivers='ears', got receivers='points'")
        mics = as_positions(points, "points")
        if not np.all(room.contains(mics)):
            i = int(np.argmin(room.contains(mics)))
            raise ValueError(
                f"points must lie inside the room {room.dimensions.tolist()}; points[{i}] is at "
                f"{mics[i].tolist()}"
            )
    elif points is not None:
        raise ValueError("points is only used with receivers='points'; got receivers='ears'")

    pra_room = pra.ShoeBox(
        room.dimensions,
        fs=fs,
        materials=_materials(room, fs, room.scattering if ray_tracing else None),
        max_order=room.max_order,
        air_absorption=False,
        ray_tracing=bool(ray_tracing),
        min_phase=False,
    )
    pra_room.set_sound_speed(c)
    if room.air_absorption:
        centres = pyroomacoustics_band_centres(fs)
        energy_per_m = air_attenuation_db_per_m(centres) * np.log(10.0) / 10.0
        pra_room.set_air_absorption(list(energy_per_m), center_freqs=list(centres))
    for position in scene.driver_positions:
        pra_room.add_source(position)

    if receivers == "points":
        pra_room.add_microphone_array(mics.T)
        return pra_room
    lis = scene.listener
    if isinstance(lis, Listener):
        heads, yaws = lis.position[None, :], np.array([lis.yaw_deg])
    else:
        heads, yaws = lis.positions, lis.yaws_deg
    if directivity is None:
        ears = (
            np.einsum(
                "lij,ej->lei", np.stack([rotation_matrix(y) for y in yaws]), lis.head.ear_positions
            )
            + heads[:, None, :]
        )
        pra_room.add_microphone_array(ears.reshape(-1, 3).T)
        return pra_room
    ears = _kemar_ears(fs)
    dirs = []
    for yaw in yaws:
        for ear in ears:  # a copy shares the (read-only) responses; only the rotated grid is new
            turned = copy.copy(ear)
            turned.set_orientation(pra.directivities.Rotation3D([float(yaw)], "z", degrees=True))
            dirs.append(turned)
    pra_room.add_microphone_array(np.repeat(heads, 2, axis=0).T, directivity=dirs)
    return pra_room


def pyroomacoustics_rirs(
    room_pra: pra.Room, *, c: float = SPEED_OF_SOUND, n_taps: int | None = None
) -> NDArray[np.float64]:
    r"""Impulse responses of a pyroomacoustics room, converted to soundstage's conventions.

    Parameters
    ----------
    room_pra : pyroomacoustics.Room
        A room with sources and microphones, e.g. from :func:`to_pyroomacoustics`. Its responses
        are (re)computed and also left in ``room_pra.rir`` in pyroomacoustics' own format.
    c : float, optional
        Speed of sound in m/s, set on the room before computing (with a warning if the room had
        another one).
    n_taps : int, optional
        Length of the output; by default the longest response. Shorter responses are zero-padded,
        longer ones truncated.

    Returns
    -------
    h : (n_mics, n_sources, n_taps) ndarray
        Pascals per unit point source, per sample, time 0 at emission: ``np.fft.rfft(h, n)`` with
        ``n >= n_taps`` is the transfer function of
        :func:`acoustics.room.engines.point_transfer_room` at ``np.fft.rfftfreq(n, 1 / fs)``
        (see :func:`pyroomacoustics_transfer`).

    Notes
    -----
    Every difference between pyroomacoustics' output and ours is converted here, and only here:

    1. **High-pass filter.** By default pyroomacoustics filters each response forwards and
       backwards with a 10 Hz second-order Butterworth high-pass (global constants
       ``rir_hpf_enable``, ``rir_hpf_fc``), against the DC offset of image-source responses. It is
       switched off for this computation and the previous setting restored afterwards (also on
       error): our model has no such filter. (Not thread-safe: the setting is global.)
    2. **Amplitude.** pyroomacoustics gives an image the amplitude :math:`\beta / r`
       (:math:`\beta` the product of the wall factors :math:`\sqrt{1 - \alpha}`); our Green's
       function is :math:`e^{-jkr} / (4 \pi r)`. The responses are divided by :math:`4 \pi`.
    3. **Delay.** Each path is a Hann-windowed sinc of ``frac_delay_length`` taps (81) centred on
       :math:`f_s r / c` + ``frac_delay_length // 2`` samples (40), so that no kernel starts before
       the first sample. The first 40 samples are dropped: a path of length :math:`r` then peaks
       at sample :math:`f_s r / c`, as in ours. A path shorter than ``40 c / fs`` (0.29 m at
       48 kHz) would lose the leading half of its kernel; a warning says so when a source is that
       close to a microphone.
    4. **Precision.** pyroomacoustics builds responses in float32 (its image positions, arrival
       times and sinc table too); they are returned as float64. Its kernels' errors (a window
       centred on the integer sample, a float32 sinc table interpolated every 1/20 sample) are
       about -60 dB relative to the response, far below any model difference.
    5. **Length.** Responses of different pairs have different lengths; all are zero-padded to
       one.

    The time convention needs no conversion: a real impulse response and ``np.fft.rfft`` give
    :math:`e^{-j \omega \tau}` for a delay :math:`\tau`, as ours (:math:`e^{+j\omega t}`).
    """
    if not isinstance(room_pra, pra.Room):
        raise TypeError(f"room_pra must be a pyroomacoustics Room, got {type(room_pra).__name__}")
    if not room_pra.sources or room_pra.mic_array is None:
        raise ValueError("room_pra must hold at least one source and one microphone")
    c = as_speed_of_sound(c)
    if n_taps is not None:
        n_taps = as_int(n_taps, "n_taps", 1)
    if not np.isclose(room_pra.c, c, rtol=1e-9, atol=0.0):
        warnings.warn(
            f"room_pra was built with c = {room_pra.c:g} m/s; simulating with c = {c:g} m/s",
            stacklevel=2,
        )
    shift = int(pra.constants.get("frac_delay_length")) // 2
    mics = np.asarray(room_pra.mic_array.R, dtype=float).T
    sources = np.stack([np.asarray(s.position, dtype=float) for s in room_pra.sources])
    nearest = float(np.min(np.linalg.norm(mics[:, None] - sources[None], axis=2)))
    if nearest < shift * c / room_pra.fs:
        warnings.warn(
            f"room_pra: a source is {nearest:.3f} m from a microphone, closer than "
            f"{shift * c / room_pra.fs:.3f} m; removing pyroomacoustics' {shift}-sample delay "
            "cuts the leading half of its sinc kernel",
            stacklevel=2,
        )
    room_pra.set_sound_speed(c)
    previous = pra.constants.get("rir_hpf_enable")
    pra.constants.set("rir_hpf_enable", False)
    try:
        room_pra.compute_rir()
    finally:
        pra.constants.set("rir_hpf_enable", previous)
    rirs = [[np.asarray(r, dtype=np.float64)[shift:] for r in row] for row in room_pra.rir]
    length = max(r.size for row in rirs for r in row) if n_taps is None else int(n_taps)
    out = np.zeros((len(rirs), len(rirs[0]), length))
    for m, row in enumerate(rirs):
        for s, r in enumerate(row):
            n = min(r.size, length)
            out[m, s, :n] = r[:n] / (4.0 * np.pi)
    return out


def pyroomacoustics_transfer(
    room_pra: pra.Room, n_fft: int, *, c: float = SPEED_OF_SOUND
) -> NDArray[np.complex128]:
    """Transfer functions of a pyroomacoustics room on an FFT grid, in soundstage's conventions.

    Parameters
    ----------
    room_pra : pyroomacoustics.Room
        As for :func:`pyroomacoustics_rirs`.
    n_fft : int
        FFT length, at least the length of the longest converted response (a shorter one would
        transform a truncated response, so it is refused).
    c : float, optional
        Speed of sound in m/s.

    Returns
    -------
    H : (n_mics, n_sources, n_fft // 2 + 1) ndarray
        ``np.fft.rfft(pyroomacoustics_rirs(room_pra, c=c), n_fft)`` at the frequencies
        ``np.fft.rfftfreq(n_fft, 1 / room_pra.fs)``, comparable bin by bin with
        :func:`acoustics.room.engines.point_transfer_room` on the same frequencies.
    """
    n_fft = as_int(n_fft, "n_fft", 2)
    h = pyroomacoustics_rirs(room_pra, c=c)
    if h.shape[-1] > n_fft:
        raise ValueError(
            f"n_fft must be at least the response length {h.shape[-1]} to avoid truncation, "
            f"got {n_fft}"
        )
    return np.fft.rfft(h, n=int(n_fft), axis=-1)


def _as_fs(fs: object) -> int:
    """Validate an integer sampling rate (pyroomacoustics' RIR builder takes an int)."""
    return as_int(fs, "fs", 1)


def _materials(room: Room, fs: int, scattering: float | None) -> dict[str, pra.Material]:
    """Return one new pyroomacoustics Material per wall (ShoeBox resamples them in place)."""
    alpha = room.absorption
    extra = {} if scattering is None else {"scattering": float(scattering)}
    if np.all(alpha == alpha[:, :1]):
        return {w: pra.Material(float(alpha[i, 0]), **extra) for i, w in enumerate(WALLS)}
    centres = pyroomacoustics_band_centres(fs)
    at = room.absorption_at(centres)
    return {
        w: pra.Material({"coeffs": list(at[i]), "center_freqs": list(centres)}, **extra)
        for i, w in enumerate(WALLS)
    }


@memoize(2)
def _kemar_ears(fs: int) -> tuple[pra.directivities.MeasuredDirectivity, ...]:
    """Return the (left, right) MIT KEMAR microphone directivities at ``fs``, level-matched.

    Read through pyroomacoustics' :class:`~pyroomacoustics.directivities.MeasuredDirectivityFile`
    with a reader callback (its own reader needs ``python-sofa``) that returns the data of
    :meth:`acoustics.heads.hrtf.MeasuredHRTF.kemar`: resampled to ``fs`` and scaled by its ``gain``.
    """
    from acoustics.heads.hrtf import MeasuredHRTF
    from acoustics.heads.sofa import kemar_path

    hrtf = MeasuredHRTF.kemar(fs=fs)
    hs = hrtf.hrir_set
    x, y, z = hs.directions.T
    # pyroomacoustics' spherical coordinates: azimuth from +x (radians), colatitude from +z.
    spherical = np.stack([np.arctan2(y, x), np.arccos(np.clip(z, -1.0, 1.0)), hs.distance])
    ears = np.array([[0.0, hrtf.radius, 0.0], [0.0, -hrtf.radius, 0.0]]).T

    def reader(path, fs=None):  # the signature and return value of pra's open_sofa_file
        return hs.hrirs * hrtf.gain, int(hs.fs), spherical, ears, None, ["left", "right"]

    data = pra.directivities.MeasuredDirectivityFile(
        kemar_path(), fs=fs, file_reader_callback=reader
    )
    upright = pra.directivities.Rotation3D([0.0], "z", degrees=True)
    return tuple(data.get_mic_directivity(ear, orientation=upright) for ear in ("left", "right"))
