"""Scenes, free-field ear and azimuth transfer, and the naming convention."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from acoustics.geometry import greens_function, rotation_matrix, to_local
from acoustics.heads import PointEars, RigidSphere
from acoustics.room import Room
from acoustics.scene import (
    Listener,
    Scene,
    azimuth_transfer,
    default_scene,
    ear_transfer,
    listener_grid,
)
from acoustics.sources import Device, Driver, Omni, SphereCap
from acoustics.sources.presets import smart_speaker, stereo_pair

C = 343.0
FREQS = np.fft.rfftfreq(512, 1 / 48000)


def _group_delay(h, freqs):
    return -np.gradient(np.unwrap(np.angle(h), axis=-1), 2 * np.pi * freqs, axis=-1)


def test_default_scene_naming_convention():
    # docs/conventions.md: facing the device, the listener's left is the device's -y, where "left"
    # sits.
    scene = default_scene()
    assert_allclose(scene.listener.position, [2.0, 0.0, 0.0])
    assert scene.listener.yaw_deg == 180.0
    left = scene.driver_positions[scene.device.driver_names.index("left")]
    local = to_local(left, scene.listener.position, scene.listener.rotation)[0]
    assert local[1] > 0  # on the listener's left (+y of the listener frame)
    # The smart speaker's "left" driver is only 2.5 deg off the median plane at 2 m, but it faces
    # the listener's left: averaged over the midrange it is louder at the left ear.
    band = np.arange(200.0, 4000.0, 1.0)
    tm = ear_transfer(scene, band).select(sources=["left"])
    assert np.mean(np.abs(tm.H[0, 0])) > np.mean(np.abs(tm.H[1, 0]))
    # A source on the listener's left (device -y, beside the listener) reaches the left ear first.
    probe = Device("probe", (Driver("probe", (2.0, -1.0, 0.0), (1, 0, 0)),))
    tm = ear_transfer(Scene(probe, scene.listener), band)
    # (1 Hz steps keep the propagation delay's phase unambiguous for unwrapping.)
    gd = _group_delay(tm.H[:, 0, :], band)
    assert np.all(gd[0] < gd[1])
    assert np.all(np.abs(tm.H[0, 0]) > np.abs(tm.H[1, 0]))
    # The listener's left ear is at world -y.
    assert scene.listener.ear_positions[0, 1] < 0


def test_free_field_point_ears_are_greens_function():
    device = Device("one", (Driver("d", (0.3, -0.2, 0.1), (1, 0, 0), Omni()),))
    listener = Listener((2.0, 0.5, 0.0), 200.0, PointEars(0.08))
    tm = ear_transfer(
        Scene(device, listener, device_position=(0.5, 0, 0), device_yaw_deg=15.0), FREQS, c=C
    )
    driver_world = rotation_matrix(15.0) @ [0.3, -0.2, 0.1] + [0.5, 0, 0]
    r = np.linalg.norm(listener.ear_positions - driver_world, axis=1)
    assert_allclose(tm.H[:, 0, :], greens_function(r, FREQS, c=C), rtol=1e-12)
    assert_allclose(
        np.abs(tm.H[:, 0, :]), np.broadcast_to(1 / (4 * np.pi * r[:, None]), (2, FREQS.size))
    )


def test_reciprocity_of_point_sources():
    # Swap the omni driver and the (point) ear: the transfer function is the same.
    a, b = np.array([0.0, 0.1, 0.0]), np.array([1.7, -0.4, 0.3])
    ears = PointEars(0.05)

    def h(src, head_centre):
        dev = Device("d", (Driver("s", src, (1, 0, 0)),))
        tm = ear_transfer(Scene(dev, Listener(head_centre, 0.0, ears)), FREQS)
        return tm.H[0, 0]  # left ear at head_centre + (0, 0.05, 0)

    offset = np.array([0.0, 0.05, 0.0])
    assert_allclose(h(a, b - offset), h(b, a - offset), rtol=1e-12)


def test_listener_yaw_rotates_sources():
    # Turn the listener to face away from the symmetric stereo pair's axis by +30 deg (to its
    # left): the left loudspeaker moves to straight ahead and its ear responses become equal.
    pair = stereo_pair(listener_distance=2.0, angle_deg=30.0)
    head = RigidSphere()
    straight = ear_transfer(Scene(pair, Listener((2.0, 0, 0), 180.0, head)), FREQS)
    turned = ear_transfer(Scene(pair, Listener((2.0, 0, 0), 210.0, head)), FREQS)
    h_left = turned.select(sources=["left"]).H[:, 0]
    assert_allclose(h_left[0], h_left[1], rtol=1e-9)
    assert not np.allclose(straight.select(sources=["left"]).H[0, 0], straight.H[1, 0])


def test_grid_matches_individual_listeners():
    device = smart_speaker()
    grid = listener_grid([1.5, 2.5], [-0.5, 0.0, 0.4], z=0.1)
    tm = ear_transfer(Scene(device, grid), FREQS)
    assert tm.shape == (12, 5, FREQS.size)
    assert tm.receivers[:2] == ("0:left", "0:right")
    h = tm.H.reshape(6, 2, 5, -1)
    for i in (0, 4):
        single = ear_transfer(
            Scene(device, Listener(grid.positions[i], grid.yaws_deg[i], grid.head)), FREQS
        )
        assert_allclose(h[i], single.H, rtol=1e-12)
    # Every listener faces the origin.
    to_origin = -grid.positions[:, :2]
    nose = np.stack([np.cos(np.deg2rad(grid.yaws_deg)), np.sin(np.deg2rad(grid.yaws_deg))], axis=1)
    assert_allclose(nose, to_origin / np.linalg.norm(to_origin, axis=1, keepdims=True), atol=1e-12)


def test_symmetric_scene_gives_mirrored_ears():
    tm = ear_transfer(default_scene(), FREQS)
    left, right = tm.select(sources=["left"]).H[:, 0], tm.select(sources=["right"]).H[:, 0]
    assert_allclose(left[0], right[1], rtol=1e-10)
    tweeter = tm.select(sources=["tweeter"]).H[:, 0]
    assert_allclose(tweeter[0], tweeter[1], rtol=1e-10)


def test_azimuth_transfer_far_field_conventions():
    freqs = np.array([0.0, 1000.0, 8000.0])
    az = np.arange(-180.0, 180.0, 10.0)
    # An omni at the device origin is 1 everywhere.
    origin = Device("o", (Driver("o", (0, 0, 0), (1, 0, 0)),))
    assert_allclose(azimuth_transfer(origin, az, freqs).H, 1.0)
    # An omni displaced to p: phase exp(+jk p.u), it is nearer to the directions it points to.
    p = np.array([0.1, 0.05, 0.0])
    offset = Device("o", (Driver("o", p, (1, 0, 0)),))
    tm = azimuth_transfer(offset, az, freqs, c=C)
    u = np.stack([np.cos(np.deg2rad(az)), np.sin(np.deg2rad(az)), 0 * az], axis=1)
    assert_allclose(tm.H[:, 0, :], np.exp(1j * np.outer(u @ p, 2 * np.pi * freqs / C)), rtol=1e-12)
    # +90 deg is the device's own left: a driver facing +y is loudest there at high frequency.
    facing_left = Device("l", (Driver("l", (0, 0.0875, 0), (0, 1, 0), SphereCap(0.0875, 16.6)),))
    pattern = np.abs(azimuth_transfer(facing_left, az, [8000.0]).H[:, 0, 0])
    assert az[np.argmax(pattern)] == 90.0


def test_azimuth_transfer_finite_distance_tends_to_far_field():
    device = smart_speaker()
    az = np.arange(-180.0, 180.0, 15.0)
    freqs = np.array([300.0, 3000.0])
    far = azimuth_transfer(device, az, freqs)
    near = azimuth_transfer(device, az, freqs, distance=1000.0)
    # Differences are O(|p|^2 k / distance) ~ 1e-4 for |p| ~ 0.1 m at 3 kHz.
    assert_allclose(near.H, far.H, rtol=1e-3, atol=1e-3)
    assert_array_equal(far.directions.azimuths_deg, az)
    assert far.directions.distance is None and near.directions.distance == 1000.0
    assert far.receivers[0] == "az=-180"


def test_smart_speaker_side_drivers_point_to_their_sides():
    tm = azimuth_transfer(smart_speaker(), np.arange(-180.0, 180.0, 5.0), [6000.0])
    az = tm.directions.azimuths_deg
    assert az[np.argmax(np.abs(tm.select(sources=["left"]).H[:, 0, 0]))] == -90.0
    assert az[np.argmax(np.abs(tm.select(sources=["right"]).H[:, 0, 0]))] == 90.0
    assert az[np.argmax(np.abs(tm.select(sources=["tweeter"]).H[:, 0, 0]))] == 0.0


def test_scene_bad_input():
    device = smart_speaker()
    with pytest.raises(TypeError, match="device"):
        Scene("speaker", Listener((2, 0, 0)))
    with pytest.raises(TypeError, match="listener"):
        Scene(device, (2, 0, 0))
    with pytest.raises(ValueError, match="position"):
        Listener((np.nan, 0, 0))
    with pytest.raises(TypeError, match="head"):
        Listener((2, 0, 0), 0.0, "kemar")
    with pytest.raises(ValueError, match="device_position"):
        Scene(device, Listener((2, 0, 0)), device_position=(0, 0))
    with pytest.raises(ValueError, match="overlaps the device 'smart_speaker'"):
        Scene(device, Listener((0.05, 0, 0)))  # head around the device: refused at once
    with pytest.raises(ValueError, match="freqs"):
        ear_transfer(default_scene(), [np.nan])
    with pytest.raises(ValueError, match="x"):
        listener_grid([], [0.0])
    with pytest.raises(ValueError, match="facing"):
        listener_grid([1.0], [0.0], yaw_deg=10.0)
    with pytest.raises(ValueError, match="distance"):
        azimuth_transfer(device, [0.0], FREQS, distance=0.05)
    with pytest.raises(ValueError, match="elevation_deg"):
        azimuth_transfer(device, [0.0], FREQS, elevation_deg=120.0)
    with pytest.raises(ValueError, match="azimuths_deg"):
        azimuth_transfer(device, [0.0, 0.0], FREQS)


def test_a_head_in_or_at_the_device_body_is_refused():
    from acoustics.sources.presets import soundbar

    speaker = smart_speaker()
    # At the device centre, inside its enclosure, and touching it: refused, naming the listener.
    for position in [(0, 0, 0), (0.05, 0.0, 0.03), (0.17, 0.0, 0.03)]:
        with pytest.raises(ValueError, match="listener: the head at .* overlaps the device"):
            Scene(speaker, Listener(position, 180.0))
    # Just clear of the enclosure (0.0875 m sphere, head radius 0.0875 m): accepted.
    Scene(speaker, Listener((0.18, 0.0, 0.03), 180.0))
    # A thin bar: 0.3 m in front of its middle is fine, its middle is not; grids are checked too.
    bar = soundbar(4, 0.5)
    Scene(bar, Listener((0.3, 0.0, 0.0), 180.0))
    with pytest.raises(ValueError, match="overlaps the device 'soundbar"):
        Scene(bar, listener_grid([0.0, 1.0], [0.1], facing=(0, 0, 0)))


def test_a_device_body_through_a_wall_is_refused():
    room = Room((4.0, 3.0, 2.5), 0.3, max_order=1)
    speaker = smart_speaker()
    listener = Listener((2.5, 1.5, 1.2), 180.0)
    # Driver centres inside (the rear-most at x = 0.05 m) but the 8.75 cm sphere through x = 0.
    with pytest.raises(ValueError, match="enclosure .* through a wall"):
        Scene(speaker, listener, room=room, device_position=(0.05, 1.5, 1.2))
    Scene(speaker, listener, room=room, device_position=(0.1, 1.5, 1.2))
