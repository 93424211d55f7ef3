"""Directivity models, drivers and devices."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from acoustics.geometry import sph_to_cart
from acoustics.heads.rigid_sphere import inverse_hankel_derivatives, rigid_sphere_transfer
from acoustics.sources import BaffledPiston, Device, Driver, Omni, SphereCap
from acoustics.sources.presets import smart_speaker, soundbar, stereo_pair

C = 343.0


def test_omni_is_one():
    d = Omni().response(sph_to_cart([0, 90, 180], 0), [0.0, 1e3, 2e4])
    assert d.shape == (3, 3)
    assert_allclose(d, 1.0)


def test_piston_first_null_and_limits():
    b = 0.05
    f = 6.0 * C / (2 * np.pi * b)  # kb = 6
    theta_null = np.arcsin(3.8317 / 6.0)  # docs/references.md: first null at kb sin(theta) = 3.8317
    dirs = sph_to_cart(np.rad2deg([0.0, theta_null - 0.02, theta_null, theta_null + 0.02]), 0)
    d = BaffledPiston(b).response(dirs, [f], c=C)[:, 0]
    assert_allclose(d[0], 1.0, atol=1e-15)
    # 3.8317 is J1's first zero to 4 decimals: |2 J1(x)/x| ~ |J1'(x)| * 6e-6 / x there.
    assert abs(d[2]) < 1e-5
    assert d[1].real > 0 and d[3].real < 0  # the lobe changes sign through the null
    # Low ka: omnidirectional in front; behind an infinite baffle, silent.
    low = BaffledPiston(b).response(sph_to_cart([0, 60, 89.9, 120, 180], 0), [10.0], c=C)[:, 0]
    assert_allclose(low[:3], 1.0, atol=1e-4)  # 1 - (kb)^2 / 8 with kb = 0.009
    assert_allclose(low[3:], 0.0)


def test_inverse_hankel_derivatives_against_scipy():
    from scipy.special import spherical_jn, spherical_yn

    x = np.array([0.05, 0.7, 3.0, 12.0, 40.0])
    orders = np.arange(45)[:, None]
    reference = 1.0 / (
        spherical_jn(orders, x, derivative=True) - 1j * spherical_yn(orders, x, derivative=True)
    )
    ours = inverse_hankel_derivatives(x, 45)
    # scipy is accurate to a few ulps; the ratio recursion loses a little per order.
    assert_allclose(ours, reference, rtol=1e-11, atol=1e-300)


def test_sphere_cap_is_omni_at_low_kr():
    cap = SphereCap(0.0875, 16.6)
    d = cap.response(sph_to_cart(np.arange(0, 360, 30), 0), [0.0, 20.0], c=C)
    assert_allclose(d[:, 0], 1.0)
    # kR = 0.032: the pattern departs from a monopole at order (kR)^2 ~ 1e-3.
    assert_allclose(np.abs(d[:, 1]), 1.0, atol=2e-3)


def test_sphere_cap_beams_at_high_kr():
    cap = SphereCap(0.0875, 16.6)
    freqs = np.array([16000.0])
    d = np.abs(cap.response(sph_to_cart([0, 90, 180], 0), freqs, c=C)[:, 0])
    front, side, back = 20 * np.log10(d)
    # On-axis the rigid sphere's baffle gives close to pressure doubling (+6 dB) at kR = 25.6;
    # the finite cap loses a little to its own directivity.
    assert 4.5 < front < 6.2
    assert front - back > 20.0 and front - side > 20.0
    # The back is not silent: sound diffracts around the sphere.
    assert back > -40.0


@pytest.mark.parametrize("kr", [0.3, 1.0, 3.0, 10.0])
def test_sphere_cap_reciprocity_with_rigid_sphere(kr):
    # By reciprocity a vanishingly small cap on a rigid sphere radiates, relative to a monopole
    # at the centre, exactly what a far source produces on the sphere's surface relative to the
    # free field at the centre: the Duda-Martens H at rho -> infinity (two different series).
    radius = 0.09
    cap = SphereCap(radius, 0.1)
    f = kr * C / (2 * np.pi * radius)
    theta = np.deg2rad(np.arange(0.0, 181.0, 15.0))
    dirs = np.stack([np.cos(theta), np.sin(theta), np.zeros_like(theta)], axis=1)
    # The model refers the pattern to the cap centre; undo that shift to refer it to the centre.
    pattern_centre = cap.response(dirs, [f], c=C)[:, 0] * np.exp(1j * kr * np.cos(theta))
    duda = rigid_sphere_transfer(np.array([1e9]), np.cos(theta)[:, None], np.array([kr]))[:, 0, 0]
    # A cap of 0.1 deg differs from a point by ~(l alpha)^2 / 8 ~ 1e-5 for the orders that matter.
    assert_allclose(pattern_centre, duda, rtol=2e-4, atol=2e-5)


def test_driver_and_device_validation():
    d = Driver("a", (0, 0, 0), (2, 0, 0))
    assert_allclose(d.orientation, [1, 0, 0])
    assert isinstance(d.directivity, Omni)
    with pytest.raises(ValueError, match="orientation"):
        Driver("a", (0, 0, 0), (0, 0, 0))
    with pytest.raises(ValueError, match="position"):
        Driver("a", (0, np.nan, 0), (1, 0, 0))
    with pytest.raises(TypeError, match="directivity"):
        Driver("a", (0, 0, 0), (1, 0, 0), "omni")
    with pytest.raises(ValueError, match="unique"):
        Device("dev", (d, d))
    with pytest.raises(ValueError, match="drivers"):
        Device("dev", ())
    with pytest.raises(ValueError, match="radius"):
        BaffledPiston(-0.01)
    with pytest.raises(ValueError, match="cap_half_angle_deg"):
        SphereCap(0.1, 190.0)
    with pytest.raises(ValueError, match="freqs"):
        Omni().response([[1, 0, 0]], [-1.0])
    with pytest.raises(ValueError, match="directions"):
        Omni().response([[0, 0, 0]], [1.0])
    with pytest.raises(ValueError, match="freqs"):
        SphereCap(0.1, 10).response([[1, 0, 0]], [np.nan])


def test_presets_follow_naming_convention():
    # docs/conventions.md: the driver named "left" sits at negative device y (the listener's left).
    for device in (stereo_pair(), smart_speaker()):
        assert device.driver("left").position[1] < 0 < device.driver("right").position[1]
    bar = soundbar(6, 0.6)
    ys = bar.positions[:, 1]
    assert np.all(np.diff(ys) > 0) and ys[0] < 0
    assert_allclose(np.diff(ys), 0.1)
    with pytest.raises(ValueError, match="driver_radius"):
        soundbar(10, 0.3, driver_radius=0.05)
    with pytest.raises(ValueError, match="n_drivers"):
        soundbar(1)


def test_stereo_pair_geometry():
    pair = stereo_pair(listener_distance=2.5, angle_deg=30.0)
    listener = np.array([2.5, 0.0, 0.0])
    for name, sign in (("left", -1), ("right", 1)):
        drv = pair.driver(name)
        to_speaker = drv.position - listener
        assert_allclose(np.linalg.norm(to_speaker), 2.5)
        # Seen from the listener facing the device (-x), the angle off the median plane is 30 deg.
        assert_allclose(np.rad2deg(np.arctan2(abs(to_speaker[1]), -to_speaker[0])), 30.0)
        assert np.sign(to_speaker[1]) == sign
        assert_allclose(drv.orientation, -to_speaker / 2.5)  # toed in to face the listener


def test_smart_speaker_layout():
    dev = smart_speaker()
    assert dev.driver_names == ("left", "right", "top", "tweeter", "woofer")
    assert_allclose(dev.driver("left").orientation, [0, -1, 0])
    assert_allclose(dev.driver("tweeter").orientation, [1, 0, 0])
    assert_allclose(dev.driver("woofer").orientation, [0, 0, -1])
    # All drivers on the enclosure: within the 175 mm x 206 mm cylinder.
    pos = dev.positions
    assert np.all(np.hypot(pos[:, 0], pos[:, 1]) <= 0.0875 + 1e-12)
    assert np.all(np.abs(pos[:, 2]) <= 0.103 + 1e-12)
