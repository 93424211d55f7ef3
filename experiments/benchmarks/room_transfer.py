"""Benchmark: room transfer functions by soundstage and by pyroomacoustics, in one run.

Run with ``python -m experiments.benchmarks.room_transfer [--grid N] [--kemar-grid M]``.

Three cases, each done by both libraries on the same shoebox (5 x 4 x 2.5 m, uniform absorption
0.3, fs 48 kHz), timed in the same process, with the agreement as a normalised mean-square error
over 100 Hz-16 kHz (pyroomacoustics' impulse responses converted to soundstage's conventions by
:func:`acoustics.pyroom.pyroomacoustics_rirs`, then FFT'd on the same grid):

(a) one omnidirectional source to 2 omnidirectional points, order 17;
(b) the smart speaker's 5 driver positions (omnidirectional, since pyroomacoustics has no
    sphere-cap drivers) to an N x N grid of listeners (2 point ears each), order 10;
(c) the same driver positions to an M x M grid of listeners with the MIT KEMAR head, against
    pyroomacoustics with the KEMAR responses as microphone directivity, order 10. Here the two
    models differ by design (pyroomacoustics takes the nearest measured direction for every image,
    soundstage interpolates onset-aligned responses between directions), so the agreement is
    reported, not expected to be tight.

pyroomacoustics' time is its ``compute_rir`` (room set-up excluded); soundstage's is the whole
``ear_transfer`` / ``point_transfer_room`` call on rfft bins covering the same response length.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from acoustics.devices import smart_speaker
from acoustics.heads import PointEars
from acoustics.pyroom import pyroomacoustics_rirs, to_pyroomacoustics
from acoustics.room import Room
from acoustics.room_transfer import point_transfer_room
from acoustics.scene import Listener, Scene, ear_transfer, listener_grid
from acoustics.sources import Device, Driver, Omni

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


def _pyroomacoustics(scene: Scene, **kwargs):
    room_pra = to_pyroomacoustics(scene, fs=FS, **kwargs)
    start = time.perf_counter()
    rirs = pyroomacoustics_rirs(room_pra)
    return rirs, time.perf_counter() - start


def _report(label: str, t_ours: float, t_theirs: float, nmse: float) -> None:
    print(
        f"{label}\n    soundstage {t_ours:8.2f} s   pyroomacoustics {t_theirs:8.2f} s   "
        f"ratio {t_theirs / t_ours:6.2f}x   NMSE {nmse:6.1f} dB (100 Hz-16 kHz)"
    )


def case_a() -> None:
    """One omni source to two omni points, order 17."""
    room = Room(DIMS, 0.3, max_order=17)
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
    start = time.perf_counter()
    ours = point_transfer_room(room, device, points, freqs, device_position=DEVICE_POSITION)
    t_ours = time.perf_counter() - start
    theirs = np.fft.rfft(rirs, n_fft)
    _report(
        "(a) omni source -> 2 omni points, order 17",
        t_ours,
        t_theirs,
        _nmse_db(ours, theirs, freqs),
    )


def case_b(n: int) -> None:
    """Smart-speaker driver positions to an n x n grid of point-ear listeners, order 10."""
    room = Room(DIMS, 0.3, max_order=10)
    grid = listener_grid(
        np.linspace(2.0, 4.5, n),
        np.linspace(0.5, 3.5, n),
        z=1.2,
        facing=DEVICE_POSITION,
        head=PointEars(),
    )
    scene = Scene(_omni_speaker(), grid, room=room, device_position=DEVICE_POSITION)
    rirs, t_theirs = _pyroomacoustics(scene)
    n_fft = int(2 ** np.ceil(np.log2(rirs.shape[-1])))
    freqs = np.fft.rfftfreq(n_fft, 1 / FS)
    start = time.perf_counter()
    ours = ear_transfer(scene, freqs).H
    t_ours = time.perf_counter() - start
    theirs = np.fft.rfft(rirs, n_fft)
    _report(
        f"(b) 5 drivers -> {n} x {n} listeners, point ears, order 10",
        t_ours,
        t_theirs,
        _nmse_db(ours, theirs, freqs),
    )


def case_c(n: int) -> None:
    """Smart-speaker driver positions to an n x n grid of KEMAR listeners, order 10."""
    from acoustics.hrtf import MeasuredHRTF

    kemar = MeasuredHRTF.kemar(fs=FS)
    room = Room(DIMS, 0.3, max_order=10)
    grid = listener_grid(
        np.linspace(2.0, 4.5, n),
        np.linspace(0.5, 3.5, n),
        z=1.2,
        facing=DEVICE_POSITION,
        head=kemar,
    )
    scene = Scene(_omni_speaker(), grid, room=room, device_position=DEVICE_POSITION)
    rirs, t_theirs = _pyroomacoustics(scene, directivity="kemar")
    n_fft = int(2 ** np.ceil(np.log2(rirs.shape[-1])))
    freqs = np.fft.rfftfreq(n_fft, 1 / FS)
    start = time.perf_counter()
    ours = ear_transfer(scene, freqs).H
    t_ours = time.perf_counter() - start
    # pyroomacoustics' KEMAR responses keep the data's bulk latency; soundstage removes it.
    theirs = np.fft.rfft(rirs, n_fft) * np.exp(2j * np.pi * freqs * kemar.latency)
    _report(
        f"(c) 5 drivers -> {n} x {n} listeners, KEMAR, order 10",
        t_ours,
        t_theirs,
        _nmse_db(ours, theirs, freqs),
    )


def main(argv: list[str] | None = None) -> None:
    """Run the three cases and print times, ratios and agreement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=21, help="listener grid size of case (b)")
    parser.add_argument("--kemar-grid", type=int, default=3, help="listener grid size of case (c)")
    args = parser.parse_args(argv)
    print(f"shoebox {DIMS} m, absorption 0.3, fs {FS} Hz")
    case_a()
    case_b(args.grid)
    case_c(args.kemar_grid)


if __name__ == "__main__":
    main()
