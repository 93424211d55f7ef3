"""Fast room engines: gridded echograms and measured-HRTF components against exact evaluations."""

import numpy as np
import pytest

from acoustics.heads import PointEars, RigidSphere
from acoustics.room import Room, measured_head, tables
from acoustics.room.engines import ear_transfer_room, point_transfer_room
from acoustics.sources import Device, Driver, Omni
from acoustics.sources.presets import smart_speaker

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
    from acoustics.heads.hrtf import MeasuredHRTF

    return MeasuredHRTF.kemar(fs=FS)


def test_gridded_echoes_wrap_like_the_sampled_spectrum():
    # A 256-point grid is 16 ms long: most order-8 echoes arrive later and wrap around, which the
    # frequency-domain sum on the same bins does implicitly. Per-band absorption: 7 echograms.
    room = Room(
        (3.0, 2.5, 2.2), np.tile(np.linspace(0.1, 0.6, 7), (6, 1)), max_order=8, tail="none"
    )
    freqs = np.fft.rfftfreq(256, 1 / FS)
    pts = [[2.1, 1.7, 1.3], [0.2, 2.3, 2.0]]
    fast = point_transfer_room(room, OMNI, pts, freqs, device_position=(0.9, 0.8, 1.1))
    slow = point_transfer_room(
        room, OMNI, pts, freqs, device_position=(0.9, 0.8, 1.1), method="exact"
    )
    band = (freqs > 0) & (freqs <= 0.4 * FS)
    # The 7-tap kernel's aliasing is below -67 dB per path up to 0.4 fs (module notes); the
    # 1/4096-sample table adds about -75 dB at 0.4 fs. Measured -78.8 dB; bound 3 dB above.
    assert _nmse_db(fast, slow, band) < -75.5


@pytest.mark.parametrize("exact_order", [4, -1])
def test_components_of_the_whole_set_reproduce_the_exact_models(kemar, exact_order):
    # With as many components as measured directions the factorisation is exact, so the grouped
    # engine differs from the per-path evaluation only by the echogram gridding. Order 2: with
    # the default EXACT_ORDER (4) every reflection takes its whole measured response in time
    # (measured -80.9 dB nearest, -82.2 dB interpolating); with -1 every one goes through the
    # components (measured -80.3 / -82.1 dB).
    room = Room((5.0, 4.0, 2.5), 0.3, max_order=2, tail="none")
    freqs = np.fft.rfftfreq(1024, 1 / FS)
    args = (room, TWO_OMNI, [[3.4, 1.8, 1.2], [2.5, 3.0, 1.4]], [185.0, 120.0], kemar, freqs)
    kwargs = dict(device_position=(1.2, 2.0, 1.1))
    n_dirs = kemar.hrir_set.directions.shape[0]
    band = (freqs >= 100) & (freqs <= 0.4 * FS)
    for mode in ("nearest", "interpolate"):
        exact = ear_transfer_room(*args, **kwargs, hrtf_directions=mode)
        grouped = ear_transfer_room(
            *args,
            **kwargs,
            hrtf_directions=mode,
            hrtf_components=n_dirs,
            hrtf_exact_order=exact_order,
        )
        assert grouped.shape == exact.shape == (2, 2, 2, freqs.size)
        assert _nmse_db(grouped, exact, band) < -75, mode


def test_few_components_err_by_what_the_set_leaves_out(kemar):
    # Reflections up to order 4 take their whole measured response (exact to the gridding);
    # later ones the 16 components, which leave out -21.1 dB of the aligned set's energy. So an
    # order-4 room is exact (measured -80.3 dB) and an order-8 room errs by less than the
    # components' residual (measured -28.8 dB: the exact early paths carry most of the energy).
    assert measured_head.EXACT_ORDER == 4
    freqs = np.fft.rfftfreq(2048, 1 / FS)
    band = (freqs >= 100) & (freqs <= 0.4 * FS)
    residual = measured_head.MeasuredComponents(kemar, freqs, 16).residual
    residual_db = 10 * np.log10(max(residual))
    assert -23 < residual_db < -20, residual_db
    nmse = {}
    for order in (4, 8):
        room = Room((5.0, 4.0, 2.5), 0.3, max_order=order, tail="none")
        args = (room, OMNI, [[3.4, 1.8, 1.2]], [185.0], kemar, freqs)
        kwargs = dict(device_position=(1.2, 2.0, 1.1), hrtf_directions="nearest")
        exact = ear_transfer_room(*args, **kwargs)
        grouped = ear_transfer_room(*args, **kwargs, hrtf_components=16)
        nmse[order] = _nmse_db(grouped, exact, band)
    assert nmse[4] < -75, nmse
    assert -40 < nmse[8] < residual_db - 5, nmse


def test_nearest_direction_model_matches_pyroomacoustics():
    # pyroomacoustics gives every image the nearest measured direction's response: the same
    # model, implemented independently (conventions converted in acoustics.pyroom).
    from acoustics.heads.hrtf import MeasuredHRTF
    from acoustics.pyroom import pyroomacoustics_rirs, to_pyroomacoustics
    from acoustics.scene import Listener, Scene

    fs = 48000
    head = MeasuredHRTF.kemar(fs=fs)
    device = Device("omni", (Driver("o", (0, 0, 0), (1, 0, 0), Omni()),))
    room = Room((5.0, 4.0, 2.5), 0.3, max_order=3, tail="none")
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
    # Measured -63.0 dB at order 3 (pyroomacoustics' float32 sinc table and 81-tap kernels; -54
    # dB at order 10). With 32 components the grouped engine takes every reflection up to
    # EXACT_ORDER (4) whole, so at order 3 it agrees as well: measured -62.9 dB. Bounds 4 dB
    # above.
    assert _nmse_db(exact, theirs, band) < -59
    assert _nmse_db(grouped, theirs, band) < -59


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hrtf_directions": "linear"}, "hrtf_directions"),
        ({"hrtf_components": 0}, "hrtf_components"),
        ({"hrtf_components": 2.5}, "hrtf_components"),
        ({"hrtf_components": True}, "hrtf_components"),
        ({"hrtf_components": 10_000}, "hrtf_components"),
        ({"hrtf_components": 8, "hrtf_exact_order": -2}, "hrtf_exact_order"),
        ({"hrtf_components": 8, "hrtf_exact_order": 1.0}, "hrtf_exact_order"),
    ],
)
def test_bad_hrtf_options_are_refused(kemar, kwargs, match):
    # Out of range is a ValueError, not an integer (2.5, True, 1.0) a TypeError.
    room = Room((5.0, 4.0, 2.5), 0.3, max_order=1, tail="none")
    freqs = np.fft.rfftfreq(256, 1 / FS)
    with pytest.raises((ValueError, TypeError), match=match):
        ear_transfer_room(room, OMNI, [[3.0, 2.0, 1.2]], [180.0], kemar, freqs, **kwargs)


def test_hrtf_options_need_a_measured_head_and_a_suitable_scene(kemar):
    room = Room((5.0, 4.0, 2.5), 0.3, max_order=1, tail="none")
    grid = np.fft.rfftfreq(256, 1 / FS)
    where = ([[3.0, 2.0, 1.2]], [180.0])
    at = dict(device_position=(1.0, 2.0, 1.2))
    with pytest.raises(ValueError, match="MeasuredHRTF"):
        ear_transfer_room(room, OMNI, *where, PointEars(), grid, hrtf_directions="nearest", **at)
    with pytest.raises(ValueError, match="FFT grid"):
        ear_transfer_room(room, OMNI, *where, kemar, [500.0, 1000.0], hrtf_components=8, **at)
    with pytest.raises(ValueError, match="omnidirectional"):
        ear_transfer_room(room, smart_speaker(), *where, kemar, grid, hrtf_components=8, **at)
    airy = Room((5.0, 4.0, 2.5), 0.3, max_order=1, tail="none", air_absorption=True)
    with pytest.raises(ValueError, match="air absorption"):
        ear_transfer_room(airy, OMNI, *where, kemar, grid, hrtf_components=8, **at)


# Rigid-sphere heads: the tabulated image sum (acoustics.room.tables) against the exact series.


@pytest.mark.parametrize("rung", range(len(tables._SPHERE_RUNGS)))
def test_sphere_table_matches_the_exact_series_over_its_range(rung):
    # Ear pressures of random sources (distance a/U ... infinity, any angle to the ear) from the
    # table, against RigidSphere.ear_responses (the Duda-Martens series). Measured -84.6 / -84.8
    # / -86.9 dB NMSE per rung (module notes); the 0.25 deg angular grid sets the floor. Bound
    # 4.6 dB above the worst rung.
    head = RigidSphere()
    a = head.radius
    freqs = np.linspace(0.0, 24000.0, 97)
    upper, n_nodes = tables._SPHERE_RUNGS[rung]
    rng = np.random.default_rng(rung)
    u = rng.uniform(0.0, upper, 300)
    u[:3] = [upper, 0.0, upper / 2]  # both ends of the range
    theta = rng.uniform(0.0, np.pi, 300)
    phi = rng.uniform(-np.pi, np.pi, 300)
    ear = head.ear_positions[0] / a  # the left ear, +y
    other = np.array([1.0, 0.0, 0.0])
    up = np.cross(ear, other)
    direction = np.cos(theta)[:, None] * ear + np.sin(theta)[:, None] * (
        np.cos(phi)[:, None] * other + np.sin(phi)[:, None] * up
    )
    r = a / np.maximum(u, 1e-9)  # u = 0: a source 9.75e7 m away
    positions = r[:, None] * direction
    exact = head.ear_responses(positions, freqs)[0]
    table = tables.sphere_table(a, freqs.tobytes(), 343.0, rung, freqs.size)
    first, weights = tables.sphere_weights(a / r, np.cos(theta), upper, n_nodes)
    weights /= 4 * np.pi * r[:, None]
    rows = tables.table_rows(first, weights, table.shape[0])
    path = np.linalg.norm(positions - head.ear_positions[0], axis=1)  # straight to the ear
    ours = tables.apply_rows(rows, table) * np.exp(-2j * np.pi * np.outer(path, freqs) / 343.0)
    assert _nmse_db(ours, exact, slice(None)) < -80
    # Per path, relative to its largest value: measured up to 1e-3 (deep shadow, 24 kHz).
    worst = np.max(np.abs(ours - exact) / np.abs(exact).max(axis=1, keepdims=True))
    assert worst < 5e-3


def test_directivity_table_matches_the_model():
    # The cubic over a 0.5 deg grid, against the model at random angles; the woofer (the widest
    # cap, the most detailed pattern) measured -113 dB, the others lower.
    freqs = np.linspace(0.0, 24000.0, 97)
    rng = np.random.default_rng(3)
    theta = rng.uniform(0.0, np.pi, 400)
    dirs = np.stack([np.cos(theta), np.sin(theta), np.zeros_like(theta)], axis=1)
    for driver in smart_speaker().drivers:
        model = driver.directivity
        table = tables.directivity_table(model, freqs, 343.0, freqs.size)
        assert table is tables.directivity_table(model, freqs.copy(), 343.0, freqs.size)
        first, weights = tables.directivity_weights(np.cos(theta))
        ours = tables.apply_rows(tables.table_rows(first, weights, len(table)), table)
        exact = model.response(dirs, freqs)
        assert _nmse_db(ours, exact, slice(None)) < -100, driver.name


@pytest.mark.parametrize(
    ("grid", "air"),
    [("rfft", False), ("rfft", True), ("irregular", False)],
)
def test_sphere_heads_near_walls_match_the_exact_evaluation(grid, air):
    # An image is never nearer than the driver itself, so near images need a listener close to
    # the device, both near a wall: listener A's wall images of the device are 0.31-0.37 m away
    # (rho 3.5-4.2: exact below 4, else the 1/4 rung of the table); B and C are farther. Against
    # every path evaluated exactly; also off an FFT grid (one exponential per bin instead of the
    # coarse x fine tables) and with air absorption.
    if grid == "rfft":
        freqs = np.fft.rfftfreq(400, 1 / 48000)
    else:
        freqs = np.sort(np.random.default_rng(1).uniform(20.0, 24000.0, 150))
    absorption = np.tile(np.linspace(0.1, 0.6, 7), (6, 1))
    room = Room((5.0, 4.0, 2.5), absorption, max_order=3, tail="none", air_absorption=air)
    listeners = [[1.45, 0.15, 1.1], [2.0, 0.6, 1.2], [3.5, 2.5, 1.0]]
    args = (room, smart_speaker(), listeners, [180.0, 150.0, 200.0], RigidSphere(), freqs)
    kwargs = dict(device_position=(1.2, 0.12, 1.1))
    ours = ear_transfer_room(*args, **kwargs)
    direct = ear_transfer_room(
        Room(room.dimensions, 0.3, max_order=0, tail="none"), *args[1:], **kwargs
    )
    exact = ear_transfer_room(*args, **kwargs, method="exact")  # every path by the models
    # Measured -98 to -106 dB for the whole response, -98 to -102 dB for the reflections alone
    # (over the three cases); bounds 5 dB above the worst.
    assert _nmse_db(ours, exact, slice(None)) < -93
    assert _nmse_db(ours - direct, exact - direct, slice(None)) < -93


def test_sphere_heads_refuse_images_inside_a_head():
    room = Room((5.0, 4.0, 2.5), 0.3, max_order=1, tail="none")
    freqs = np.fft.rfftfreq(64, 1 / 48000)
    with pytest.raises(ValueError, match="inside a head"):
        ear_transfer_room(
            room,
            OMNI,
            [[3.0, 2.0, 1.2]],
            [180.0],
            RigidSphere(),
            freqs,
            device_position=(3.05, 2.0, 1.2),
        )
