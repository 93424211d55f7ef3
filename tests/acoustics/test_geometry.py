"""Conventions of acoustics.geometry: axes, angles, rotations, Green's function."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from acoustics.geometry import (
    cart_to_sph,
    greens_function,
    orientation_to_angles,
    rotation_matrix,
    sph_to_cart,
    to_local,
    to_world,
)


def test_sph_to_cart_axes():
    # docs/conventions.md: azimuth counter-clockwise from +x, 90 deg = +y (left); elevation 90 deg
    # = +z.
    assert_allclose(sph_to_cart(90, 0, 1), [0, 1, 0], atol=1e-15)
    assert_allclose(sph_to_cart(0, 0, 2), [2, 0, 0], atol=1e-15)
    assert_allclose(sph_to_cart(-90, 0, 1), [0, -1, 0], atol=1e-15)
    assert_allclose(sph_to_cart(180, 0, 1), [-1, 0, 0], atol=1e-15)
    assert_allclose(sph_to_cart(37, 90, 1), [0, 0, 1], atol=1e-15)


def test_sph_to_cart_broadcasts():
    xyz = sph_to_cart(np.arange(4) * 90.0, 0.0, np.array([[1.0], [2.0]]))
    assert xyz.shape == (2, 4, 3)
    assert_allclose(np.linalg.norm(xyz, axis=-1), [[1] * 4, [2] * 4])


@settings(max_examples=200, deadline=None)
@given(
    az=st.floats(-179.9, 180.0),
    el=st.floats(-89.9, 89.9),
    r=st.floats(1e-3, 1e3),
)
def test_spherical_round_trip(az, el, r):
    az2, el2, r2 = cart_to_sph(sph_to_cart(az, el, r))
    # Round-off of a few ulps in the trigonometric functions, amplified near the poles.
    assert_allclose([az2, el2], [az, el], atol=1e-7)
    assert_allclose(r2, r, rtol=1e-12)


def test_cart_to_sph_range():
    # Azimuth lies in (-180, 180]: straight behind is +180 from either side of the axis.
    az, el, r = cart_to_sph([[-1.0, 0.0, 0.0], [-1.0, -1e-300, 0.0], [-1.0, 1e-9, 0.0]])
    assert_allclose(az, [180.0, 180.0, 180.0], atol=1e-6)
    assert_allclose(el, 0.0)
    assert_allclose(r, 1.0)


def test_rotation_is_proper():
    rng = np.random.default_rng(1)
    for yaw, pitch, roll in rng.uniform(-180, 180, (20, 3)):
        rot = rotation_matrix(yaw, pitch, roll)
        assert_allclose(rot @ rot.T, np.eye(3), atol=1e-14)
        assert_allclose(np.linalg.det(rot), 1.0, atol=1e-14)


def test_rotation_senses():
    # Yaw turns x towards +y (left); pitch lifts the nose; roll lifts the left side.
    assert_allclose(rotation_matrix(90) @ [1, 0, 0], [0, 1, 0], atol=1e-15)
    assert_allclose(rotation_matrix(0, 30) @ [1, 0, 0], [np.cos(np.pi / 6), 0, 0.5], atol=1e-15)
    assert_allclose(rotation_matrix(0, 0, 30) @ [0, 1, 0], [0, np.cos(np.pi / 6), 0.5], atol=1e-15)
    # Intrinsic order: yaw first, then pitch about the new y axis.
    assert_allclose(
        rotation_matrix(90, 45) @ [1, 0, 0], [0, np.sqrt(0.5), np.sqrt(0.5)], atol=1e-15
    )


def test_orientation_to_angles_points_x_along_orientation():
    for o in ([1, 0, 0], [0, -1, 0], [1, 1, 1], [0, 0, 1], [0, 0, -1], [-2, 0.5, -1]):
        rot = rotation_matrix(*orientation_to_angles(o))
        assert_allclose(rot @ [1, 0, 0], np.asarray(o) / np.linalg.norm(o), atol=1e-14)


def test_local_world_round_trip_and_yaw():
    rng = np.random.default_rng(2)
    pts = rng.normal(size=(10, 3))
    origin = np.array([1.0, 2.0, 0.5])
    rot = rotation_matrix(33, -12, 5)
    assert_allclose(to_world(to_local(pts, origin, rot), origin, rot), pts, atol=1e-14)
    # A listener at the origin turned to face +y (yaw 90) sees a source at world +y straight ahead
    # and a source at world +x on its right (-y in its own frame).
    local = to_local([[0, 3, 0], [3, 0, 0]], [0, 0, 0], rotation_matrix(90))
    assert_allclose(local, [[3, 0, 0], [0, -3, 0]], atol=1e-14)


def test_greens_function_magnitude_and_phase():
    freqs = np.array([0.0, 100.0, 1000.0, 10000.0])
    r = np.array([0.5, 2.0, 7.0])
    g = greens_function(r, freqs, c=343.0)
    k = 2 * np.pi * freqs / 343.0
    assert_allclose(np.abs(g), np.broadcast_to(1 / (4 * np.pi * r[:, None]), g.shape), rtol=1e-14)
    # Phase -kr: G * exp(+jkr) * 4 pi r is exactly 1.
    assert_allclose(g * np.exp(1j * np.outer(r, k)) * 4 * np.pi * r[:, None], 1.0, rtol=1e-12)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: sph_to_cart(np.nan, 0, 1), "azimuth_deg"),
        (lambda: sph_to_cart(0, 0, -1), "radius"),
        (lambda: cart_to_sph([1.0, 2.0]), "xyz"),
        (lambda: rotation_matrix(np.nan), "yaw_deg"),
        (lambda: to_local([[1, 2]], [0, 0, 0], np.eye(3)), "points"),
        (lambda: to_local([[1, 2, 3]], [0, 0, 0], np.ones((3, 3))), "rotation"),
        (lambda: greens_function([0.0], [100.0]), "distances"),
        (lambda: greens_function([1.0], [100.0], c=-1), "c"),
        (lambda: orientation_to_angles([0, 0, 0]), "orientation"),
    ],
)
def test_bad_input_names_argument(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()
