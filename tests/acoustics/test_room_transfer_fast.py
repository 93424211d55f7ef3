"""Fast room engines: gridded echograms and measured-HRTF components against exact evaluations."""

import numpy as np
import pytest

from acoustics import room_transfer
from acoustics.devices import smart_speaker
from acoustics.heads import PointEars
from acoustics.room import Room
from acoustics.room_transfer import ear_transfer_room, point_transfer_room
from acoustics.sources import Device, Driver, Omni

FS = 16000
OMNI = Device("omni", (Driver("o", (0, 0, 0), (1, 0, 0), Omni()),))
TWO_OMNI = Device(
    "two", (Driver("a", (0, 0.05, 0), (1, 0, 0)), Driver("b", (0, -0.05, 0), (1, 0, 0)))
)


def _nmse_db(ours, reference, band):
    err = np.sum(np.abs(ours - reference)[..., band] ** 2)
    return 10 * np.log10(err / np.sum(np.abs(reference[..., band]) ** 2))


@pytest.fixture(scope="module")
def kemar():
    from acoustics.hrtf import MeasuredHRTF

    return MeasuredHRTF.kemar(fs=FS)


def test_gridded_echoes_wrap_like_the_sampled_spectrum(monkeypatch):
    # A 256-point grid is 16 ms long: most order-8 echoes arrive later and wrap around, which the
    # frequency-domain sum on the same bins does implicitly. Per-band absorption: 7 echograms.
    room = Room((3.0, 2.5, 2.2), np.tile(np.linspace(0.1, 0.6, 7), (6, 1)), max_order=8)
    freqs = np.fft.rfftfreq(256, 1 / FS)
    pts = [[2.1, 1.7, 1.3], [0.2, 2.3, 2.0]]
    fast = point_transfer_room(room, OMNI, pts, freqs, device_position=(0.9, 0.8, 1.1))
    monkeypatch.setattr(room_transfer, "_fft_grid", lambda f: None)  # force the direct sum
    slow = point_transfer_room(room, OMNI, pts, freqs, device_position=(0.9, 0.8, 1.1))
    band = (freqs > 0) & (freqs <= 0.4 * FS)
    # The 7-tap kernel's aliasing is below -67 dB per path up to 0.4 fs (module notes); the
    # 1/4096-sample table adds about -75 dB at 0.4 fs. Measured about -78 dB here.
    assert _nmse_db(fast, slow, band) < -65


def test_components_of_the_whole_set_reproduce_the_exact_models(kemar):
    # With as many components as measured directions the factorisation is exact, so the grouped
    # engine differs from the per-path evaluation only by the echogram gridding (-67 dB).
    room = Room((5.0, 4.0, 2.5), 0.3, max_order=2)
    freqs = np.fft.rfftfreq(1024, 1 / FS)
    args = (room, TWO_OMNI, [[3.4, 1.8, 1.2], [2.5, 3.0, 1.4]], [185.0, 120.0], kemar, freqs)
    kwargs = dict(device_position=(1.2, 2.0, 1.1))
    n_dirs = kemar.hrir_set.directions.shape[0]
    band = (freqs >= 100) & (freqs <= 0.4 * FS)
    for mode in ("nearest", "interpolate"):
        exact = ear_transfer_room(*args, **kwargs, hrtf_directions=mode)
        grouped = ear_transfer_room(
            *args, **kwargs, hrtf_directions=mode, hrtf_components=n_dirs
        )
        assert grouped.shape == exact.shape == (2, 2, 2, freqs.size)
        assert _nmse_db(grouped, exact, band) < -60, mode


def test_few_components_err_by_what_the_set_leaves_out(kemar):
    # 16 components leave out about -24 dB of the aligned set's energy; a room response errs by
    # about that (the exact direct sound lowers it a little).
    room = Room((5.0, 4.0, 2.5), 0.3, max_order=3)
    freqs = np.fft.rfftfreq(2048, 1 / FS)
    args = (room, OMNI, [[3.4, 1.8, 1.2]], [185.0], kemar, freqs)
    kwargs = dict(device_position=(1.2, 2.0, 1.1), hrtf_directions="nearest")
    exact = ear_transfer_room(*args, **kwargs)
    grouped = ear_transfer_room(*args, **kwargs, hrtf_components=16)
    residual = room_transfer._MeasuredComponents(kemar, freqs, 16).residual
    assert 10 * np.log10(max(residual)) < -20
    band = (freqs >= 100) & (freqs <= 0.4 * FS)
    assert -35 < _nmse_db(grouped, exact, band) < -18


def test_nearest_direction_model_matches_pyroomacoustics():
    # pyroomacoustics gives every image the nearest measured direction's response: the same
    # model, implemented independently (conventions converted in acoustics.pyroom).
    from acoustics.hrtf import MeasuredHRTF
    from acoustics.pyroom import pyroomacoustics_rirs, to_pyroomacoustics
    from acoustics.scene import Listener, Scene

    fs = 48000
    head = MeasuredHRTF.kemar(fs=fs)
    device = Device("omni", (Driver("o", (0, 0, 0), (1, 0, 0), Omni()),))
    room = Room((5.0, 4.0, 2.5), 0.3, max_order=3)
    scene = Scene(
        device, Listener((3.4, 1.8, 1.2), 160.0, head), room=room, device_position=(1.2, 2.0, 1.1)
    )
    h = pyroomacoustics_rirs(to_pyroomacoustics(scene, fs=fs, directivity="kemar"))
    n_fft = 8192
    freqs = np.fft.rfftfreq(n_fft, 1 / fs)
    theirs = np.fft.rfft(h, n_fft)[:, 0] * np.exp(2j * np.pi * freqs * head.latency)
    kwargs = dict(device_position=(1.2, 2.0, 1.1), hrtf_directions="nearest")
    args = (room, device, [[3.4, 1.8, 1.2]], [160.0], head, freqs)
    band = (freqs >= 100) & (freqs <= 16000)
    exact = ear_transfer_room(*args, **kwargs)[0, :, 0]
    grouped = ear_transfer_room(*args, **kwargs, hrtf_components=32)[0, :, 0]
    # Measured -54 dB at order 10 (pyroomacoustics' float32 sinc table and 81-tap kernels).
    assert _nmse_db(exact, theirs, band) < -40
    # 32 components: -25.6 dB against the exact model at order 10 (module notes).
    assert _nmse_db(grouped, theirs, band) < -20


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hrtf_directions": "linear"}, "hrtf_directions"),
        ({"hrtf_components": 0}, "hrtf_components"),
        ({"hrtf_components": 2.5}, "hrtf_components"),
        ({"hrtf_components": True}, "hrtf_components"),
        ({"hrtf_components": 10_000}, "hrtf_components"),
    ],
)
def test_bad_hrtf_options_are_refused(kemar, kwargs, match):
    room = Room((5.0, 4.0, 2.5), 0.3, max_order=1)
    freqs = np.fft.rfftfreq(256, 1 / FS)
    with pytest.raises(ValueError, match=match):
        ear_transfer_room(room, OMNI, [[3.0, 2.0, 1.2]], [180.0], kemar, freqs, **kwargs)


def test_hrtf_options_need_a_measured_head_and_a_suitable_scene(kemar):
    room = Room((5.0, 4.0, 2.5), 0.3, max_order=1)
    grid = np.fft.rfftfreq(256, 1 / FS)
    where = ([[3.0, 2.0, 1.2]], [180.0])
    at = dict(device_position=(1.0, 2.0, 1.2))
    with pytest.raises(ValueError, match="MeasuredHRTF"):
        ear_transfer_room(room, OMNI, *where, PointEars(), grid, hrtf_directions="nearest", **at)
    with pytest.raises(ValueError, match="FFT grid"):
        ear_transfer_room(room, OMNI, *where, kemar, [500.0, 1000.0], hrtf_components=8, **at)
    with pytest.raises(ValueError, match="omnidirectional"):
        ear_transfer_room(room, smart_speaker(), *where, kemar, grid, hrtf_components=8, **at)
    airy = Room((5.0, 4.0, 2.5), 0.3, max_order=1, air_absorption=True)
    with pytest.raises(ValueError, match="air absorption"):
        ear_transfer_room(airy, OMNI, *where, kemar, grid, hrtf_components=8, **at)
