"""Benchmark: room transfer functions by soundstage and by pyroomacoustics, in one run.

Run with ``python -m experiments.benchmarks.room_transfer [--grid N] [--kemar-grid M]
[--components K] [--exact-grid E]``.

Three cases, each done by both libraries on the same shoebox (5 x 4 x 2.5 m, uniform absorption
0.3, fs 48 kHz), timed in the same process, with the agreement as a normalised mean-square error
over 100 Hz-16 kHz (pyroomacoustics' impulse responses converted to soundstage's conventions by
:func:`acoustics.pyroom.pyroomacoustics_rirs`, then FFT'd on the same grid):

(a) one omnidirectional source to 2 omnidirectional points, order 17;
(b) the smart speaker's 5 driver positions (omnidirectional, since pyroomacoustics has no
    sphere-cap drivers) to an N x N grid of listeners (2 point ears each), order 10;
(c) the same driver positions to an M x M grid of listeners (default the same 21 x 21) with the
    MIT KEMAR head, against pyroomacoustics with the KEMAR responses as microphone directivity,
    order 10. pyroomacoustics gives every image the nearest measured direction's response, so
    soundstage runs the same model: ``hrtf_directions="nearest"`` with ``hrtf_components=K``
    (default 32: reflections up to order 4 with their whole measured responses, later ones as
    K echograms per ear, one per principal component of the onset-aligned responses; see
    :mod:`acoustics.room.engines`). On an E x E sub-grid the
    exact (one spectrum per path) evaluations are run too, to report the error of the
    components and the difference between the nearest-direction and the interpolating models.

Timing. Both sides are timed in the same process on the same inputs; one-time set-up is
excluded on both (building the pyroomacoustics room and its KEMAR directivities; loading the
KEMAR set into :class:`~acoustics.heads.hrtf.MeasuredHRTF`). pyroomacoustics' time is its
``compute_rir`` (which includes its image-source enumeration) and the conversion of
:func:`~acoustics.pyroom.pyroomacoustics_rirs`; its ``rfft`` to the same spectra as ours is
excluded (about 0.1 s for (b)), which favours it slightly. soundstage's is
:func:`~acoustics.room.engines.ear_transfer_room` / ``point_transfer_room`` (image enumeration,
synthesis, FFTs) on rfft bins covering the same response length; for (b) the whole
:func:`~acoustics.scene.ear_transfer` is reported as well: it adds the validation copies of
:class:`~acoustics.transfer.TransferMatrix` (one copy of the 290 MB result and a finiteness
check). Each soundstage call runs once to warm up (loading numba's cached kernels and building
the cached tables: one-time set-up, about 0.4 s), then twice, and the faster is kept;
pyroomacoustics runs twice in (a) and (b) and the faster is kept, once in (c) (about 100 s).
The machine may be shared, so the ratios vary by about 30 %.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from acoustics.heads import PointEars
from acoustics.pyroom import pyroomacoustics_rirs, to_pyroomacoustics
from acoustics.room import Room
from acoustics.room.engines import ear_transfer_room, point_transfer_room
from acoustics.scene import Listener, ListenerGrid, Scene, ear_transfer, listener_grid
from acoustics.sources import Device, Driver, Omni
from acoustics.sources.presets import smart_speaker

FS = 48000
DIMS = (5.0, 4.0, 2.5)
DEVICE_POSITION = np.array([1.0, 2.0, 1.2])


def _nmse_db(ours: np.ndarray, theirs: np.ndarray, freqs: np.ndarray) -> float:
    band = (freqs >= 100.0) & (freqs <= 16000.0)
    err = np.sum(np.abs(ours[..., band] - theirs[..., band]) ** 2)
    return float(10 * np.log10(err / np.sum(np.abs(theirs[..., band]) ** 2)))


def _omni_speaker() -> Device:
    return Device(
        "smart_speaker_omni",
        tuple(Driver(d.name, d.position, d.orientation, Omni()) for d in smart_speaker().drivers),
    )


def _pyroomacoustics(scene: Scene, repeats: int = 2, **kwargs):
    """Return pyroomacoustics' responses and the best time of ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        room_pra = to_pyroomacoustics(scene, fs=FS, **kwargs)
        start = time.perf_counter()
        rirs = pyroomacoustics_rirs(room_pra)
        times.append(time.perf_counter() - start)
    return rirs, min(times)


def _report(label: str, t_ours: float, t_theirs: float, nmse: float) -> None:
    print(
        f"{label}\n    soundstage {t_ours:8.3f} s   pyroomacoustics {t_theirs:8.3f} s   "
        f"ratio {t_theirs / t_ours:6.2f}x   NMSE {nmse:6.1f} dB (100 Hz-16 kHz)"
    )


def case_a() -> None:
    """One omni source to two omni points, order 17."""
    room = Room(DIMS, 0.3, max_order=17, tail="none")
    points = np.array([[3.5, 1.2, 1.4], [4.1, 3.0, 0.8]])
    scene = Scene(
        _omni_speaker(),
        Listener((3.5, 2.0, 1.2), 180.0, PointEars()),
        room=room,
        device_position=DEVICE_POSITION,
    )
    device = Device("omni", (Driver("o", (0, 0, 0), (1, 0, 0)),))
    scene = Scene(device, scene.listener, room=room, device_position=DEVICE_POSITION)
    rirs, t_theirs = _pyroomacoustics(scene, receivers="points", points=points)
    n_fft = int(2 ** np.ceil(np.log2(rirs.shape[-1])))
    freqs = np.fft.rfftfreq(n_fft, 1 / FS)
    ours, t_ours = _best_of_two(
        lambda: point_transfer_room(room, device, points, freqs, device_position=DEVICE_POSITION)
    )
    theirs = np.fft.rfft(rirs, n_fft)
    _report(
        "(a) omni source -> 2 omni points, order 17",
        t_ours,
        t_theirs,
        _nmse_db(ours, theirs, freqs),
    )


def _best_of_two(fn):
    """Return the result of ``fn()`` and the faster of two timed calls after a warm-up call."""
    fn()  # loads the compiled kernels from numba's cache, builds the cached tables
    times = []
    for _ in range(2):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, min(times)


def _grid(n: int, head) -> ListenerGrid:
    return listener_grid(
        np.linspace(2.0, 4.5, n),
        np.linspace(0.5, 3.5, n),
        z=1.2,
        facing=DEVICE_POSITION,
        head=head,
    )


def case_b(n: int) -> None:
    """Smart-speaker driver positions to an n x n grid of point-ear listeners, order 10."""
    room = Room(DIMS, 0.3, max_order=10, tail="none")
    grid = _grid(n, PointEars())
    scene = Scene(_omni_speaker(), grid, room=room, device_position=DEVICE_POSITION)
    rirs, t_theirs = _pyroomacoustics(scene)
    n_fft = int(2 ** np.ceil(np.log2(rirs.shape[-1])))
    freqs = np.fft.rfftfreq(n_fft, 1 / FS)
    ours, t_ours = _best_of_two(
        lambda: ear_transfer_room(
            room,
            scene.device,
            grid.positions,
            grid.yaws_deg,
            grid.head,
            freqs,
            device_position=DEVICE_POSITION,
        )
    )
    start = time.perf_counter()
    tm = ear_transfer(scene, freqs)
    t_whole = time.perf_counter() - start
    assert np.array_equal(tm.H, ours.reshape(tm.H.shape))
    theirs = np.fft.rfft(rirs, n_fft)
    _report(
        f"(b) 5 drivers -> {n} x {n} listeners, point ears, order 10",
        t_ours,
        t_theirs,
        _nmse_db(ours.reshape(tm.H.shape), theirs, freqs),
    )
    print(
        f"    whole ear_transfer (with TransferMatrix) {t_whole:.2f} s, "
        f"ratio {t_theirs / t_whole:.2f}x"
    )


def case_c(n: int, components: int, n_exact: int) -> None:
    """Smart-speaker driver positions to an n x n grid of KEMAR listeners, order 10."""
    from acoustics.heads.hrtf import MeasuredHRTF

    kemar = MeasuredHRTF.kemar(fs=FS)
    room = Room(DIMS, 0.3, max_order=10, tail="none")
    grid = _grid(n, kemar)
    scene = Scene(_omni_speaker(), grid, room=room, device_position=DEVICE_POSITION)
    rirs, t_theirs = _pyroomacoustics(scene, repeats=1, directivity="kemar")
    n_fft = int(2 ** np.ceil(np.log2(rirs.shape[-1])))
    freqs = np.fft.rfftfreq(n_fft, 1 / FS)

    def ours_at(positions, yaws, **kwargs):
        return ear_transfer_room(
            room,
            scene.device,
            positions,
            yaws,
            kemar,
            freqs,
            device_position=DEVICE_POSITION,
            **kwargs,
        )

    grouped = dict(hrtf_directions="nearest", hrtf_components=components)
    ours, t_ours = _best_of_two(lambda: ours_at(grid.positions, grid.yaws_deg, **grouped))
    # pyroomacoustics' KEMAR responses keep the data's bulk latency; soundstage removes it.
    theirs = np.fft.rfft(rirs, n_fft) * np.exp(2j * np.pi * freqs * kemar.latency)
    _report(
        f"(c) 5 drivers -> {n} x {n} listeners, KEMAR, order 10, nearest direction, "
        f"{components} components",
        t_ours,
        t_theirs,
        _nmse_db(ours.reshape(theirs.shape), theirs, freqs),
    )
    if n_exact < 1:
        return
    # The exact evaluations on a corner sub-grid (one spectrum per path: slow).
    sub = _grid(n_exact, kemar)
    pick = np.array(
        [int(np.argmin(np.linalg.norm(grid.positions - p, axis=1))) for p in sub.positions]
    )
    rows = (2 * pick[:, None] + np.arange(2)).ravel()
    fast = ours.reshape(theirs.shape)[rows]
    start = time.perf_counter()
    nearest = ours_at(sub.positions, sub.yaws_deg, hrtf_directions="nearest")
    t_nearest = time.perf_counter() - start
    start = time.perf_counter()
    interp = ours_at(sub.positions, sub.yaws_deg)
    t_interp = time.perf_counter() - start
    interp_fast = ours_at(
        sub.positions, sub.yaws_deg, hrtf_directions="interpolate", hrtf_components=components
    )
    nearest, interp = nearest.reshape(fast.shape), interp.reshape(fast.shape)
    interp_fast = interp_fast.reshape(fast.shape)
    print(
        f"    on {n_exact} x {n_exact} of those listeners (NMSE, 100 Hz-16 kHz):\n"
        f"      grouped nearest vs exact nearest        {_nmse_db(fast, nearest, freqs):6.1f} dB"
        f"   (exact nearest took {t_nearest:.1f} s)\n"
        f"      exact nearest vs pyroomacoustics        "
        f"{_nmse_db(nearest, theirs[rows], freqs):6.1f} dB\n"
        f"      grouped nearest vs exact interpolating  {_nmse_db(fast, interp, freqs):6.1f} dB"
        f"   (exact interpolating took {t_interp:.1f} s)\n"
        f"      grouped interpolating vs exact interp.  "
        f"{_nmse_db(interp_fast, interp, freqs):6.1f} dB\n"
        f"      exact interpolating vs pyroomacoustics  "
        f"{_nmse_db(interp, theirs[rows], freqs):6.1f} dB"
    )


def main(argv: list[str] | None = None) -> None:
    """Run the three cases and print times, ratios and agreement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=21, help="listener grid size of case (b)")
    parser.add_argument("--kemar-grid", type=int, default=21, help="listener grid size of (c)")
    parser.add_argument(
        "--components", type=int, default=32, help="principal components of the KEMAR set in (c)"
    )
    parser.add_argument(
        "--exact-grid", type=int, default=2, help="sub-grid of (c) also evaluated exactly (0: none)"
    )
    args = parser.parse_args(argv)
    print(f"shoebox {DIMS} m, absorption 0.3, fs {FS} Hz")
    case_a()
    case_b(args.grid)
    case_c(args.kemar_grid, args.components, args.exact_grid)


if __name__ == "__main__":
    main()
