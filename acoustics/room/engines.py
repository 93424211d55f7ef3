r"""Transfer functions in shoebox rooms: the image sums behind ``ear_transfer`` with a room.

The model is stated in :mod:`acoustics.room`; this module evaluates it. For each driver the images
are enumerated once, and every listener of a grid is evaluated against them in one vectorized pass
(chunked so that the largest work array stays near 4 million complex values).

With a late tail (the default, :mod:`acoustics.room.late_tail`) only the images within each
receiver's transition are summed, on a short FFT grid when the requested one is long
(:mod:`acoustics.room.hybrid`), and the tail is added; a memory estimate runs first
(:func:`acoustics.room.memory.check_room_memory`).

Three evaluations of the same sum: the first two chosen automatically, the third on request.

Frequency domain (every case)
    :math:`H(f) = \sum_i D(\cdot, f)\, B_i(f)\, P_e(\mathbf y_i, f)` summed directly over images,
    listeners and bins. The direct sound is evaluated exactly with the driver's and the head's own
    models, so ``max_order=0`` equals the free-field transfer matrix to rounding. For reflections,
    axisymmetric directivities come from a 0.5 deg table over the off-axis angle (cubic, cached
    per directivity, frequencies and ``c``). With a :class:`~acoustics.heads.RigidSphere` head
    the reflections take the tabulated path of :mod:`acoustics.room.tables` (which states the
    per-path errors): the sphere from a table in angle and :math:`u = a/r` over the range the
    call needs (one of three, cached), both tables applied as sparse products in float32 blocks,
    the phase from the exact ear distance; images nearer than 4 head radii (35 cm) use the exact
    series. Measured against every path evaluated exactly (series and directivity
    models): the living-room scene of ``experiments.main_job`` (smart speaker, order 6), 3 x 3
    listeners 0.4 m apart, 938 bins to 24 kHz: NMSE -96 dB for the whole response, -95 dB for
    the reflections alone (and -102 dB from the former tables); a listener 0.3 m from the
    device and both near a wall (images at 3.5-9 radii): -98 to -106 dB. The cached tables
    take 14 MB per directivity and 108-216 MB per sphere range at 4 688 bins (at most 4 and 2
    kept). Other heads are evaluated per path by their own model. Costs:
    ``experiments/benchmarks/README.md``.
Time domain (omnidirectional drivers, point receivers or point ears, no air absorption,
frequencies on an FFT grid)
    Each reflection is an impulse of amplitude :math:`B_{i,k}/(4\pi r)` at delay :math:`r/c`,
    gridded as in a type-1 non-uniform FFT (Dutt & Rokhlin 1993; the kernel of Barnett, Magland &
    af Klinteberg, "A parallel non-uniform fast Fourier transform library based on an
    'exponential of semicircle' kernel", SIAM J. Sci. Comput. 41(5), 2019): spread
    over the 7 samples around it with :math:`\phi(x) = e^{\beta(\sqrt{1 - (2x/7)^2} - 1)}`,
    :math:`\beta = 12.6`, tabulated every 1/4096 sample, into one echogram per octave-band knot
    (one in all when the absorption does not depend on frequency); the echograms are FFT'd
    (float32, all cores) and divided by the kernel's Fourier transform :math:`\hat\phi(f/f_s)`,
    then recombined with :func:`acoustics.room.band_weights`. What remains is the aliased
    :math:`\hat\phi(f/f_s \pm 1)`: a relative error per path below -67 dB up to 0.4 fs and
    below -87 dB up to fs/3, rising to 0 dB at fs/2 (as for any kernel on a grid sampled at
    fs). Against the exact frequency-domain sum (order 8, two points): -76 to -80 dB NMSE below
    0.4 fs (the former 32-tap windowed sinc: -68 to -73 dB). Echoes later than the FFT length
    wrap around exactly as the frequency-domain sum on that grid does. The direct sound is
    added exactly (its phase as the product of two short tables of exponentials).
    Distances, spreading and scatter run in one numba kernel per block of points (no
    (points x images) array), then the FFT and one pass that deconvolves, band-weights and adds
    the direct sound (:mod:`acoustics.room.echogram`), blocks in two threads. Kernels of 5 and 6
    taps would be a little faster but err by -45 / -57 dB at 0.4 fs.
Grouped by principal components (a :class:`~acoustics.heads.hrtf.MeasuredHRTF` head, on request)
    ``hrtf_components=K``: the engine of :mod:`acoustics.room.measured_head`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.freefield import check_listening, driver_frames
from acoustics.geometry import SPEED_OF_SOUND, greens_function, rotation_matrix
from acoustics.heads import HeadModel, PointEars, RigidSphere
from acoustics.heads.hrtf import MeasuredHRTF
from acoustics.room import memory
from acoustics.room.echogram import (
    ECHOGRAM_ELEMENTS,
    combine_with_direct,
    deconvolution,
    fft_grid,
    image_echogram_spectra,
    map_blocks,
)
from acoustics.room.hybrid import add_tails, coarse_grid, refine, transition_reach
from acoustics.room.measured_head import (
    EXACT_ORDER,
    NearestHRTF,
    ear_transfer_measured_grouped,
)
from acoustics.room.memory import check_room_memory
from acoustics.room.shoebox import (
    ImageSources,
    Room,
    air_attenuation_db_per_m,
    band_weights,
    image_sources,
    reflection_spectra,
)
from acoustics.room.tables import (
    apply_rows,
    directivity_table,
    directivity_weights,
    sphere_image_sum,
    table_rows,
    within_reach,
)
from acoustics.sources import Device, Directivity, Omni
from acoustics.validation import (
    as_freqs,
    as_int,
    as_point,
    as_positions,
    as_real,
    as_speed_of_sound,
)

__all__ = ["ear_transfer_room", "point_transfer_room", "RoomMethod", "ROOM_METHODS"]

#: How a room's image sum is evaluated: ``"auto"`` the fastest engine that applies, ``"exact"``
#: every path by the models themselves (the fast engines' reference).
RoomMethod = Literal["auto", "exact"]
ROOM_METHODS: tuple[str, ...] = ("auto", "exact")


def _check_method(method: object) -> None:
    if method not in ROOM_METHODS:
        raise ValueError(f"method must be one of {ROOM_METHODS}, got {method!r}")


# Complex elements of the largest (listeners x images x freqs) work array of one chunk.
_CHUNK_ELEMENTS = 4_000_000


def _image_spectra(room: Room, images: ImageSources, freqs: NDArray) -> NDArray[np.float64]:
    """Wall-reflection spectrum of each image, ``(n_img, n_freqs)`` (:func:`reflection_spectra`)."""
    return reflection_spectra(room, images) @ band_weights(freqs)


def _check_inside(room: Room, points: NDArray, name: str, margin: float = 0.0) -> None:
    inside = room.contains(points, margin=margin)
    if not np.all(inside):
        i = int(np.argmin(inside))
        where = "inside the room" if margin == 0 else f"at least {margin:g} m inside the room"
        raise ValueError(
            f"{name} must lie {where} {room.dimensions.tolist()}; {name}[{i}] is at "
            f"{np.round(points[i], 4).tolist()}"
        )


def ear_transfer_room(
    room: Room,
    device: Device,
    listener_positions: npt.ArrayLike,
    listener_yaws_deg: npt.ArrayLike,
    head: HeadModel,
    freqs: npt.ArrayLike,
    *,
    device_position: npt.ArrayLike = (0.0, 0.0, 0.0),
    device_yaw_deg: float = 0.0,
    c: float = SPEED_OF_SOUND,
    hrtf_directions: Literal["interpolate", "nearest"] = "interpolate",
    hrtf_components: int | None = None,
    hrtf_exact_order: int = EXACT_ORDER,
    method: RoomMethod = "auto",
) -> NDArray[np.complex128]:
    """Pressure at the ears of one or many listeners from each driver, in a shoebox room.

    Parameters
    ----------
    room : Room
        The room; its ``max_order`` sets the image-source order.
    device : Device
        The drivers, in the device frame.
    listener_positions : (n_listeners, 3) array_like
        Head centres in the room frame, metres; each head must fit inside the room.
    listener_yaws_deg : (n_listeners,) array_like
        Nose directions, degrees counter-clockwise from the room's +x.
    head : HeadModel
        Ear model shared by the listeners.
    freqs : (n_freqs,) array_like
        Frequencies in Hz.
    device_position : (3,) array_like, optional
        Device origin in the room frame, metres.
    device_yaw_deg : float, optional
        Device yaw in the room frame, degrees.
    c : float, optional
        Speed of sound in m/s.
    hrtf_directions : {"interpolate", "nearest"}, optional
        For a :class:`~acoustics.heads.hrtf.MeasuredHRTF` head only: ``"interpolate"`` (default) is
        the head's own model (onset-aligned responses interpolated over the triangle of measured
        directions around each path); ``"nearest"`` gives every path, the direct sound included,
        the response of the nearest measured direction, as pyroomacoustics does.
    hrtf_components : int or None, optional
        For a :class:`~acoustics.heads.hrtf.MeasuredHRTF` head only. ``None`` (default): every
        path's ear responses are evaluated exactly (slow: a spectrum per path). An integer ``K``:
        the reflections are synthesised as ``K`` echograms per ear, one per principal component of
        the onset-aligned measured responses, and the direct sound is exact (see the module
        notes for the cost and the measured error). Needs omnidirectional drivers, ``freqs`` on
        an FFT grid and a room without air absorption.
    hrtf_exact_order : int, optional
        With ``hrtf_components``: reflections up to this order take their whole measured
        response instead of the components (default ``EXACT_ORDER`` of
        :mod:`acoustics.room.measured_head`, the strongest reflections); -1 sends every
        reflection through the components.
    method : {"auto", "exact"}, optional
        ``"auto"`` (default): the fastest evaluation that applies (see the module notes: the
        echogram engine, the sphere and directivity tables, a coarse grid for the early part;
        each within its measured error of the exact sum). ``"exact"``: every path evaluated by
        the driver's and the head's own models on the requested bins (slow; the reference the
        fast engines are tested against).

    Returns
    -------
    H : (n_listeners, 2, n_drivers, n_freqs) ndarray
        Ears in (left, right) order; pascals per unit source strength.
    """
    if not isinstance(room, Room):
        raise TypeError(f"room must be a Room, got {type(room).__name__}")
    if hrtf_directions not in ("interpolate", "nearest"):
        raise ValueError(
            f"hrtf_directions must be 'interpolate' or 'nearest', got {hrtf_directions!r}"
        )
    _check_method(method)
    if method == "exact" and hrtf_components is not None:
        raise ValueError(
            "hrtf_components approximates the measured responses; method='exact' "
            "evaluates every path: give one or the other"
        )
    measured = isinstance(head, MeasuredHRTF)
    hrtf_exact_order = as_int(hrtf_exact_order, "hrtf_exact_order", -1)
    if hrtf_components is not None:
        n_dirs = head.hrir_set.directions.shape[0] if measured else 0
        hrtf_components = as_int(hrtf_components, "hrtf_components", 1, max(n_dirs, 1))
    if not measured and (hrtf_directions != "interpolate" or hrtf_components is not None):
        raise ValueError(
            f"hrtf_directions and hrtf_components apply to a MeasuredHRTF head only, got head "
            f"{type(head).__name__}"
        )
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
    _check_inside(room, p_d, "driver positions")
    _check_inside(room, x_l, "listener_positions", margin=head.radius)
    r_l = np.stack([rotation_matrix(y) for y in yaws])
    ear_world = x_l[:, None, :] + np.einsum("lij,ej->lei", r_l, head.ear_positions)  # (n_l, 2, 3)
    reach = transition_reach(room, p_d, x_l, c)  # (n_l, n_d); None without a late tail
    if reach is None:
        check_room_memory(room, head, device, x_l.shape[0], 2, f.shape[0], f.shape[0])
        return _ear_early(
            room, device, p_d, r_d, x_l, r_l, ear_world, head, f, c,
            hrtf_directions, hrtf_components, None, method, hrtf_exact_order,
        )  # fmt: skip
    coarse = coarse_grid(f, room, c, head) if method == "auto" else None
    grid_f = f if coarse is None else coarse[0]
    check_room_memory(room, head, device, x_l.shape[0], 2, f.shape[0], grid_f.shape[0])
    early = _ear_early(
        room, device, p_d, r_d, x_l, r_l, ear_world, head, grid_f, c,
        hrtf_directions, hrtf_components, reach, method, hrtf_exact_order,
    )  # fmt: skip
    if coarse is not None:
        early = refine(early, coarse[1], coarse[2])
    add_tails(early, room, device, x_l, yaws, head, f, c, reach, p_d)
    return early


def _ear_early(
    room: Room,
    device: Device,
    p_d: NDArray[np.float64],
    r_d: NDArray[np.float64],
    x_l: NDArray[np.float64],
    r_l: NDArray[np.float64],
    ear_world: NDArray[np.float64],
    head: HeadModel,
    f: NDArray[np.float64],
    c: float,
    hrtf_directions: Literal["interpolate", "nearest"],
    hrtf_components: int | None,
    reach: NDArray[np.float64] | None,
    method: RoomMethod = "auto",
    hrtf_exact_order: int = EXACT_ORDER,
) -> NDArray[np.complex128]:
    """Image-source part ``(n_l, 2, n_d, n_f)`` at listeners' ears, within ``reach``."""
    omni = all(isinstance(d.directivity, Omni) for d in device.drivers)
    if isinstance(head, PointEars) and omni:
        # Point ears in free space are point receivers: the time-domain path applies.
        pressure = _point_early(
            room,
            device,
            p_d,
            r_d,
            ear_world.reshape(-1, 3),
            f,
            c,
            None if reach is None else np.repeat(reach, 2, axis=0),
            method,
        )
        return pressure.reshape(x_l.shape[0], 2, p_d.shape[0], f.shape[0])
    air = _air_amplitude(room, f)
    if hrtf_components is not None:
        grid = fft_grid(f)
        problems = [
            (not omni, "omnidirectional drivers"),
            (grid is None, "freqs on an FFT grid (np.fft.rfftfreq)"),
            (air is not None, "a room without air absorption"),
        ]
        missing = [need for bad, need in problems if bad]
        if missing:
            raise ValueError(f"hrtf_components={hrtf_components} needs " + ", ".join(missing))
        return ear_transfer_measured_grouped(
            room,
            p_d,
            x_l,
            r_l,
            head,
            f,
            grid,
            c,
            directions=hrtf_directions,
            n_components=hrtf_components,
            exact_order=hrtf_exact_order,
            reach=reach,
        )
    out = np.zeros((x_l.shape[0], 2, p_d.shape[0], f.shape[0]), dtype=np.complex128)
    if type(head) is RigidSphere:  # tables for the sphere, in float32 blocks (room_tables)
        for d, driver in enumerate(device.drivers):
            images = image_sources(room, p_d[d])
            spectra = _image_spectra(room, images, f)
            step = memory.sphere_listener_chunk(images.order.size)
            for l0 in range(0, x_l.shape[0], step):  # listeners in chunks that fit in memory
                sl = slice(l0, l0 + step)
                try:
                    out[sl, :, d, :] = sphere_image_sum(
                        head,
                        driver.directivity,
                        images,
                        spectra,
                        x_l[sl],
                        r_l[sl],
                        r_d[d],
                        f,
                        c,
                        air=air,
                        near_rho=_SPHERE_NEAR_RHO if method == "auto" else np.inf,
                        reach=None if reach is None else reach[sl, d],
                    )
                except ValueError as exc:
                    raise ValueError(
                        f"an image of driver {driver.name!r} is inside a head: {exc}"
                    ) from exc
        return out
    nearest = NearestHRTF(head, f, c) if hrtf_directions == "nearest" else None
    for d, driver in enumerate(
        device.drivers
    ):  # loop over drivers; images, listeners, bins vectorized
        images = image_sources(room, p_d[d])
        spectra = _image_spectra(room, images, f)  # (n_img, n_f)
        pattern = _DirectivityEvaluator(driver.directivity, f, c, table=method == "auto")
        n_img = images.positions.shape[0]
        chunk = max(1, _CHUNK_ELEMENTS // (2 * n_img * f.shape[0]))
        for start in range(0, x_l.shape[0], chunk):
            sl = slice(start, start + chunk)
            rel = images.positions[None, :, :] - x_l[sl, None, :]  # (n_lc, n_img, 3)
            local = np.einsum("lji,lnj->lni", r_l[sl], rel).reshape(-1, 3)
            try:
                if nearest is None:
                    ears = head.ear_responses(local, f, c=c)
                else:
                    ears = nearest(local, exact=None)
            except ValueError as exc:
                raise ValueError(
                    f"an image of driver {driver.name!r} is inside a head: {exc}"
                ) from exc
            ears = ears.reshape(2, -1, n_img, f.shape[0])  # (2, n_lc, n_img, n_f)
            dist = np.linalg.norm(rel, axis=2)
            if air is not None:
                ears = ears * air[None, None, None, :] ** dist[None, :, :, None]
            if reach is not None:
                ears = ears * within_reach(dist, reach[sl, d])[None, :, :, None]
            if isinstance(driver.directivity, Omni):  # D = 1: skip a (listeners x images) pass
                out[sl, :, d, :] = np.einsum("elnf,nf->lef", ears, spectra)
                continue
            # Emission directions per ear, mirrored back to the real driver, in its frame.
            to_ear = ear_world[sl, :, None, :] - images.positions[None, None, :, :]
            emitted = (to_ear * images.parity[None, None, :, :]) @ r_d[d]
            exact = np.broadcast_to(images.order == 0, emitted.shape[:-1]).ravel()
            directivity = pattern(emitted.reshape(-1, 3), exact=exact).reshape(
                -1, 2, n_img, f.shape[0]
            )
            weighted = directivity * spectra[None, None, :, :]
            out[sl, :, d, :] = np.einsum("elnf,lenf->lef", ears, weighted)
    return out


def point_transfer_room(
    room: Room,
    device: Device,
    points: npt.ArrayLike,
    freqs: npt.ArrayLike,
    *,
    device_position: npt.ArrayLike = (0.0, 0.0, 0.0),
    device_yaw_deg: float = 0.0,
    c: float = SPEED_OF_SOUND,
    method: RoomMethod = "auto",
) -> NDArray[np.complex128]:
    """Pressure at omnidirectional points from each driver in a shoebox room.

    Parameters
    ----------
    room, device, freqs, device_position, device_yaw_deg, c, method
        As for :func:`ear_transfer_room`.
    points : (n_points, 3) array_like
        Receiver positions in the room frame, metres, inside the room.

    Returns
    -------
    H : (n_points, n_drivers, n_freqs) ndarray
        Pascals per unit source strength.
    """
    if not isinstance(room, Room):
        raise TypeError(f"room must be a Room, got {type(room).__name__}")
    if not isinstance(device, Device):
        raise TypeError(f"device must be a Device, got {type(device).__name__}")
    _check_method(method)
    x = as_positions(points, "points")
    f = as_freqs(freqs)
    c = as_speed_of_sound(c)
    p_d, r_d = driver_frames(
        device,
        as_point(device_position, "device_position"),
        rotation_matrix(as_real(device_yaw_deg, "device_yaw_deg")),
    )
    _check_inside(room, p_d, "driver positions")
    _check_inside(room, x, "points")
    reach = transition_reach(room, p_d, x, c)
    if reach is None:
        check_room_memory(room, None, device, x.shape[0], 1, f.shape[0], f.shape[0])
        return _point_early(room, device, p_d, r_d, x, f, c, None, method)
    coarse = coarse_grid(f, room, c, None) if method == "auto" else None
    grid_f = f if coarse is None else coarse[0]
    check_room_memory(room, None, device, x.shape[0], 1, f.shape[0], grid_f.shape[0])
    out = _point_early(room, device, p_d, r_d, x, grid_f, c, reach, method)
    if coarse is not None:
        out = refine(out, coarse[1], coarse[2])
    # Distinct points: independent tails (module notes).
    add_tails(out[:, None], room, device, x, np.zeros(x.shape[0]), None, f, c, reach, p_d)
    return out


def _point_early(
    room: Room,
    device: Device,
    p_d: NDArray[np.float64],
    r_d: NDArray[np.float64],
    x: NDArray[np.float64],
    f: NDArray[np.float64],
    c: float,
    reach: NDArray[np.float64] | None,
    method: RoomMethod = "auto",
) -> NDArray[np.complex128]:
    """Image-source part ``(n_points, n_drivers, n_freqs)`` at points, within ``reach``."""
    air = _air_amplitude(room, f)
    out = np.zeros((x.shape[0], p_d.shape[0], f.shape[0]), dtype=np.complex128)
    grid = fft_grid(f) if method == "auto" else None  # "exact": the frequency-domain sum
    for d, driver in enumerate(device.drivers):
        reach_d = None if reach is None else reach[:, d]
        if grid is not None and air is None and isinstance(driver.directivity, Omni):
            _point_transfer_time_domain(room, p_d[d], x, f, grid, c, reach_d, out=out[:, d, :])
            continue
        images = image_sources(room, p_d[d])
        spectra = _image_spectra(room, images, f)
        pattern = _DirectivityEvaluator(driver.directivity, f, c, table=method == "auto")
        n_img = images.positions.shape[0]
        chunk = max(1, _CHUNK_ELEMENTS // (n_img * f.shape[0]))
        for start in range(0, x.shape[0], chunk):
            sl = slice(start, start + chunk)
            rel = x[sl, None, :] - images.positions[None, :, :]  # image -> point, (n_pc, n_img, 3)
            dist = np.linalg.norm(rel, axis=2)
            if np.any(dist == 0):
                raise ValueError(
                    f"points must not coincide with driver {driver.name!r} or its images"
                )
            g = greens_function(dist, f, c=c)
            if air is not None:
                g = g * air[None, None, :] ** dist[:, :, None]
            if reach_d is not None:
                g *= within_reach(dist, reach_d[sl])[:, :, None]
            if isinstance(driver.directivity, Omni):  # D = 1
                out[sl, d, :] = np.einsum("pnf,nf->pf", g, spectra)
                continue
            emitted = (rel * images.parity[None, :, :]) @ r_d[d]
            exact = np.broadcast_to(images.order == 0, emitted.shape[:-1]).ravel()
            directivity = pattern(emitted.reshape(-1, 3), exact=exact).reshape(
                -1, n_img, f.shape[0]
            )
            out[sl, d, :] = np.einsum("pnf,pnf,nf->pf", g, directivity, spectra)
    return out


def _air_amplitude(room: Room, freqs: NDArray) -> NDArray[np.float64] | None:
    """Pressure amplitude factor per metre of air, or None without air absorption."""
    if not room.air_absorption:
        return None
    return 10.0 ** (-air_attenuation_db_per_m(freqs) / 20.0)


#: Images nearer than this many head radii use the exact rigid-sphere series (35 cm for 8.75 cm);
#: farther ones a table (:mod:`acoustics.room.tables`, which covers u = a/r up to 1/4).
_SPHERE_NEAR_RHO = 4.0


class _DirectivityEvaluator:
    """A driver's directivity for many paths: exact, or from a fine table over the off-axis angle.

    For axisymmetric models the response depends only on the angle from the axis; it is tabulated
    every 0.5 deg (cached, :func:`acoustics.room.tables.directivity_table`) and interpolated by a
    cubic (errors in :mod:`acoustics.room.tables`). Paths flagged ``exact`` (the direct sound)
    are always evaluated by the model itself.
    """

    def __init__(
        self, directivity: Directivity, freqs: NDArray, c: float, *, table: bool = True
    ) -> None:
        self.directivity, self.freqs, self.c = directivity, freqs, c
        self.table = None
        if table and directivity.axisymmetric:
            self.table = directivity_table(directivity, freqs, c, freqs.shape[0])

    def __call__(self, directions: NDArray, *, exact: NDArray[np.bool_]) -> NDArray[np.complex128]:
        if self.table is None:
            return self.directivity.response(directions, self.freqs, c=self.c)
        out = np.empty((directions.shape[0], self.freqs.shape[0]), dtype=np.complex128)
        if np.any(exact):
            out[exact] = self.directivity.response(directions[exact], self.freqs, c=self.c)
        rest = ~exact
        cos = directions[rest, 0] / np.linalg.norm(directions[rest], axis=1)
        first, weights = directivity_weights(cos)
        out[rest] = apply_rows(table_rows(first, weights, self.table.shape[0]), self.table)
        return out


def _point_transfer_time_domain(
    room: Room,
    source: NDArray[np.float64],
    points: NDArray[np.float64],
    freqs: NDArray[np.float64],
    grid: tuple[float, int],
    c: float,
    reach: NDArray[np.float64] | None = None,
    out: NDArray[np.complex128] | None = None,
) -> NDArray[np.complex128]:
    """Return omni-source to omni-point responses ``(n_points, n_freqs)`` by echogram synthesis.

    Only images within ``reach`` of each point (if given) are kept. Written into ``out`` if
    given (a view, such as one driver's column of a larger array).
    """
    fs, n_fft = grid
    images = image_sources(room, source)
    knots = reflection_spectra(room, images)  # (n_img, 7)
    constant = np.allclose(room.absorption, room.absorption[:, :1])
    if constant:
        knots = knots[:, :1]
        weights = np.ones((1, freqs.shape[0]))
    else:
        weights = band_weights(freqs)
    weights = weights * deconvolution(n_fft)[None, :]
    out = np.empty((points.shape[0], freqs.shape[0]), dtype=np.complex128) if out is None else out
    reach = np.full(points.shape[0], np.inf) if reach is None else reach

    def block(sl: slice) -> None:
        spectra, direct = image_echogram_spectra(
            images.positions, knots, points[sl], reach[sl], fs / c, n_fft
        )
        # The reflections deconvolved and band-weighted, plus the direct sound exactly.
        combine_with_direct(
            spectra, weights, direct / c, 1.0 / (4.0 * np.pi * direct), freqs[1], out[sl]
        )

    # Blocks of about a megabyte of echograms: the temporaries stay in cache.
    map_blocks(block, points.shape[0], max(1, ECHOGRAM_ELEMENTS // (4 * knots.shape[1] * n_fft)))
    return out
