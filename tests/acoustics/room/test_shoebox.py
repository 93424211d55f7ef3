"""Shoebox image-source model: images, order 0 = free field, reciprocity, engines, decay, errors."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from acoustics.freefield import ear_transfer_freefield
from acoustics.heads import BrownDuda, PointEars, RigidSphere
from acoustics.metrics import critical_distance, decay_time, direct_to_reverberant_ratio
from acoustics.room import (
    Room,
    air_attenuation_db_per_m,
    band_weights,
    bare_room,
    image_sources,
    living_room,
    studio,
)
from acoustics.room.engines import ear_transfer_room, point_transfer_room
from acoustics.scene import Listener, Scene, azimuth_transfer, ear_transfer, impulse_responses
from acoustics.sources import Device, Driver, Omni, SphereCap
from acoustics.sources.presets import smart_speaker

C = 343.0
OMNI = Device("omni", (Driver("o", (0, 0, 0), (1, 0, 0), Omni()),))


def test_image_counts_and_first_order_mirrors():
    room = Room((5.0, 4.0, 2.5), 0.3, max_order=6, tail="none")
    s = np.array([1.0, 1.5, 1.2])
    im = image_sources(room, s)
    # A shoebox has 4 n^2 + 2 images of order n >= 1 (Allen & Berkley 1979).
    counts = np.bincount(im.order)
    assert counts[0] == 1 and list(counts[1:]) == [4 * n * n + 2 for n in range(1, 7)]
    assert_allclose(im.hits.sum(axis=1), im.order)
    assert_allclose(im.positions[0], s)
    first = im.positions[im.order == 1]
    expected = [
        [-1, 1.5, 1.2],
        [9, 1.5, 1.2],
        [1, -1.5, 1.2],
        [1, 6.5, 1.2],
        [1, 1.5, -1.2],
        [1, 1.5, 3.8],
    ]
    assert_allclose(np.sort(first, axis=0), np.sort(np.array(expected, float), axis=0))


@pytest.mark.parametrize("head", [PointEars(), RigidSphere(), BrownDuda()])
def test_order_zero_is_free_field(head):
    freqs = np.fft.rfftfreq(512, 1 / 48000)
    room = Room((5.0, 4.0, 2.5), 0.3, max_order=0, tail="none")
    kwargs = dict(device_position=(1.2, 2.0, 1.1), device_yaw_deg=10.0)
    args = ([[3.4, 1.8, 1.2]], [185.0], head, freqs)
    h_room = ear_transfer_room(room, smart_speaker(), *args, **kwargs)
    h_free = ear_transfer_freefield(smart_speaker(), *args, **kwargs)
    assert_allclose(h_room, h_free, rtol=1e-12, atol=1e-18)


def test_order_zero_is_free_field_for_kemar():
    from acoustics.heads.hrtf import MeasuredHRTF

    freqs = np.fft.rfftfreq(256, 1 / 48000)
    head = MeasuredHRTF.kemar()
    room = Room((5.0, 4.0, 2.5), 0.3, max_order=0, tail="none")
    args = (smart_speaker(), [[3.4, 1.8, 1.2]], [185.0], head, freqs)
    kwargs = dict(device_position=(1.2, 2.0, 1.1))
    assert_allclose(
        ear_transfer_room(room, *args, **kwargs),
        ear_transfer_freefield(*args, **kwargs),
        rtol=1e-12,
        atol=1e-18,
    )


def test_reciprocity_of_omni_source_and_receiver():
    room = Room((4.3, 3.1, 2.7), np.linspace(0.1, 0.6, 6), max_order=8, tail="none")
    a, b = np.array([0.7, 1.1, 1.3]), np.array([3.2, 2.4, 0.9])
    freqs = np.fft.rfftfreq(1024, 1 / 16000)
    ab = point_transfer_room(room, OMNI, [b], freqs, device_position=a)
    ba = point_transfer_room(room, OMNI, [a], freqs, device_position=b)
    # The image set of a shoebox is reciprocal: the same paths, walls and lengths either way.
    assert_allclose(ab, ba, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("absorption", [0.3, np.tile([0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6], (6, 1))])
def test_time_domain_engine_matches_frequency_domain_sum(absorption):
    room = Room((3.0, 2.5, 2.2), absorption, max_order=8, tail="none")
    freqs = np.fft.rfftfreq(4096, 1 / 16000)
    pts = [[2.1, 1.7, 1.3], [1.5, 1.0, 0.5]]
    kwargs = dict(device_position=(0.9, 0.8, 1.1))
    fast = point_transfer_room(room, OMNI, pts, freqs, **kwargs)
    slow = point_transfer_room(room, OMNI, pts, freqs, **kwargs, method="exact")
    band = (freqs > 50) & (freqs < 0.4 * 16000)
    err = np.sum(np.abs(fast - slow)[..., band] ** 2) / np.sum(np.abs(slow[..., band]) ** 2)
    # The 7-tap gridding kernel errs by below -67 dB per path up to 0.4 fs; measured -76.4 dB
    # (one band) and -79.1 dB (seven bands). Bound: 3 dB above the worse.
    assert 10 * np.log10(err) < -73


def test_rigid_sphere_tables_match_exact_series():
    # Reflections use tables for the sphere and the drivers' directivity; the direct sound is exact.
    freqs = np.fft.rfftfreq(512, 1 / 48000)
    room = Room((7.0, 6.0, 3.0), 0.2, max_order=3, tail="none")
    args = (room, smart_speaker(), [[4.0, 3.0, 1.2]], [180.0], RigidSphere(), freqs)
    kwargs = dict(device_position=(1.5, 3.0, 1.2))
    tabled = ear_transfer_room(*args, **kwargs)
    exact = ear_transfer_room(*args, **kwargs, method="exact")  # every path by the models
    err = np.sum(np.abs(tabled - exact) ** 2) / np.sum(np.abs(exact) ** 2)
    # Measured -95.7 dB; bound 5 dB above it.
    assert 10 * np.log10(err) < -90


def test_an_unknown_room_method_is_refused():
    room = Room((4.0, 3.0, 2.5), 0.3, max_order=1, tail="none")
    with pytest.raises(ValueError, match="method must be one of"):
        point_transfer_room(room, OMNI, [[2.0, 1.0, 1.0]], [100.0], method="fast")
    with pytest.raises(ValueError, match="hrtf_components approximates"):
        from acoustics.heads.hrtf import MeasuredHRTF

        ear_transfer_room(
            room, OMNI, [[2.0, 1.5, 1.2]], [180.0], MeasuredHRTF.kemar(fs=16000),
            np.fft.rfftfreq(64, 1 / 16000), device_position=(1.0, 1.5, 1.2),
            hrtf_components=4, method="exact",
        )  # fmt: skip


def test_driver_turned_away_scales_only_the_direct_sound():
    freqs = np.array([4000.0, 8000.0])  # where the cap beams: its back is 20-30 dB down
    room = Room((6.0, 5.0, 3.0), 0.2, max_order=4, tail="none")
    toward = Device("d", (Driver("d", (0, 0, 0), (1, 0, 0), SphereCap(0.1, 30.0)),))
    away = Device("d", (Driver("d", (0, 0, 0), (-1, 0, 0), SphereCap(0.1, 30.0)),))
    pts = [[4.0, 2.5, 1.5]]
    kw = dict(device_position=(1.5, 2.5, 1.5))
    direct = {}
    total = {}
    for label, dev in (("toward", toward), ("away", away)):
        direct[label] = point_transfer_room(
            Room((6, 5, 3), 0.2, max_order=0, tail="none"), dev, pts, freqs, **kw
        )
        total[label] = point_transfer_room(room, dev, pts, freqs, **kw)
    cap = SphereCap(0.1, 30.0)
    ratio = cap.response([[-1, 0, 0]], freqs) / cap.response([[1, 0, 0]], freqs)
    assert_allclose(direct["away"] / direct["toward"], ratio[None], rtol=1e-12)
    # Reflections still reach the listener: their energy changes far less than the direct sound's.
    refl = {k: total[k] - direct[k] for k in total}
    direct_drop = np.abs(direct["away"]) ** 2 / np.abs(direct["toward"]) ** 2
    refl_drop = np.abs(refl["away"]) ** 2 / np.abs(refl["toward"]) ** 2
    assert np.all(direct_drop < 0.02) and np.all(refl_drop > 3 * direct_drop)


def test_drr_near_zero_at_the_critical_distance():
    # Diffuse-field theory: at r_c = sqrt(Q A / 16 pi) the direct and reverberant energies are
    # equal. With r_c from the model's own measured T30 (order 40, uniform absorption) the DRR
    # (direct = arrival +- 2.5 ms) averaged over directions is within 2 dB of 0 (measured +0.5 to
    # +1.6 dB in three rooms). (Eyring's T60 predicts 25-45 % shorter decays than a specular
    # shoebox gives, so r_c from Eyring would put the DRR 1-3 dB lower.)
    fs, n_fft = 16000, 32768
    freqs = np.fft.rfftfreq(n_fft, 1 / fs)
    dims = np.array([5.0, 4.0, 3.0])
    room = Room(dims, 0.3, max_order=40, tail="none")
    src = dims * [0.3, 0.35, 0.45]
    far = point_transfer_room(room, OMNI, [dims * 0.7], freqs, device_position=src)
    t30 = decay_time(np.fft.irfft(far[0, 0], n_fft), fs)
    rc = float(critical_distance(room.volume, t30))
    rng = np.random.default_rng(7)
    u = rng.normal(size=(40, 3))
    pts = src + rc * u / np.linalg.norm(u, axis=1, keepdims=True)
    pts = pts[np.all((pts > 0.3) & (pts < dims - 0.3), axis=1)]
    h = np.fft.irfft(point_transfer_room(room, OMNI, pts, freqs, device_position=src)[:, 0], n_fft)
    assert abs(np.mean(direct_to_reverberant_ratio(h, fs))) < 2.0


def test_air_attenuation_matches_iso_9613_table():
    # ISO 9613-1 Table 1, 20 degC, 50 % RH, 101.325 kPa: dB/km at the exact mid-band frequencies.
    f = 1000.0 * 10 ** (np.array([-3, 0, 3, 6]) / 10)  # 501, 1000, 1995, 3981 Hz
    assert_allclose(air_attenuation_db_per_m(f) * 1000, [2.73, 4.66, 9.86, 29.7], rtol=0.01)


def test_band_weights_interpolate_over_log_frequency():
    w = band_weights([50.0, 125.0, 250.0, np.sqrt(250 * 500), 8000.0, 20000.0])
    assert_allclose(w.sum(axis=0), 1.0)
    assert_allclose(w[:, 0], np.eye(7)[0])  # held below 125 Hz
    assert_allclose(w[1:3, 3], [0.5, 0.5])  # halfway in log frequency
    assert_allclose(w[:, -1], np.eye(7)[6])
    room = Room((4, 3, 2.5), np.tile(np.linspace(0.1, 0.7, 7), (6, 1)))
    assert_allclose(room.absorption_at([125.0, 1000.0, 16000.0])[0], [0.1, 0.4, 0.7])


def test_presets_reverberation_times():
    from acoustics.metrics import eyring_t60

    def mid(room):
        return eyring_t60(room.volume, room.wall_areas, room.absorption)[2:4].mean()

    assert 0.3 < mid(living_room()) < 0.7
    assert mid(bare_room()) > 2.0
    assert mid(studio()) < 0.15


def test_scene_with_room_and_impulse_responses():
    room = Room((6.0, 5.0, 3.0), 0.4, max_order=3, tail="none")
    scene = Scene(
        OMNI,
        Listener((4.0, 2.5, 1.2), 180.0, PointEars()),
        room=room,
        device_position=(1.0, 2.5, 1.2),
    )
    fs = 16000
    h = impulse_responses(scene, fs, 2048)
    assert h.shape == (2, 1, 2048)
    # The direct sound arrives at r / c for each ear (band-limited impulse peaks there).
    r = np.linalg.norm(scene.listener.ear_positions - [1.0, 2.5, 1.2], axis=1)
    assert_allclose(np.argmax(np.abs(h[:, 0]), axis=1), np.round(r / C * fs), atol=1)
    tm = ear_transfer(scene, np.fft.rfftfreq(256, 1 / fs))
    assert "image sources to order 3" in tm.meta["model"]
    # Beam patterns in a room need a distance; order 0 equals the free-field pattern there.
    scene0 = Scene(
        smart_speaker(),
        Listener((4.0, 2.5, 1.2), 180.0),
        room=Room((6, 5, 3), 0.4, max_order=0, tail="none"),
        device_position=(2.0, 2.5, 1.2),
    )
    az = np.arange(-180.0, 180.0, 30.0)
    in_room = azimuth_transfer(scene0, az, [500.0, 4000.0], distance=1.0)
    free = azimuth_transfer(smart_speaker(), az, [500.0, 4000.0], distance=1.0)
    assert_allclose(in_room.H, free.H, rtol=1e-3, atol=1e-4)  # directivity table, 0.1 deg steps
    with pytest.raises(ValueError, match="distance"):
        azimuth_transfer(scene0, az, [500.0])


def test_room_bad_input():
    with pytest.raises(ValueError, match="dimensions"):
        Room((5.0, 0.0, 2.5), 0.3)
    with pytest.raises(ValueError, match="absorption"):
        Room((5.0, 4.0, 2.5), 1.2)
    with pytest.raises(ValueError, match="absorption"):
        Room((5.0, 4.0, 2.5), np.full((6, 3), 0.3))
    with pytest.raises(ValueError, match="max_order"):
        Room((5.0, 4.0, 2.5), 0.3, max_order=100, tail="none")
    with pytest.raises(ValueError, match="max_order"):
        Room((5.0, 4.0, 2.5), 0.3, max_order=-1)
    room = Room((5.0, 4.0, 2.5), 0.3, max_order=2, tail="none")
    with pytest.raises(ValueError, match="outside the room"):
        Scene(smart_speaker(), Listener((3.0, 2.0, 1.2)), room=room, device_position=(1.0, 0.05, 1))
    with pytest.raises(ValueError, match="listener"):
        Scene(smart_speaker(), Listener((4.95, 2.0, 1.2)), room=room, device_position=(1, 2, 1))
    with pytest.raises(TypeError, match="room"):
        Scene(smart_speaker(), Listener((3.0, 2.0, 1.2)), room="living room")
    with pytest.raises(ValueError, match="source"):
        image_sources(room, [6.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="points"):
        point_transfer_room(room, OMNI, [[5.5, 1.0, 1.0]], [100.0], device_position=(1, 1, 1))
