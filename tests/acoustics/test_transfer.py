"""TransferMatrix: validation, selection, application of filters, impulse responses."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from acoustics.transfer import TransferMatrix


def _tm(n_r=2, n_s=3, n_fft=64, fs=48000.0, seed=0):
    rng = np.random.default_rng(seed)
    freqs = np.fft.rfftfreq(n_fft, 1 / fs)
    h = rng.normal(size=(n_r, n_s, freqs.size)) + 1j * rng.normal(size=(n_r, n_s, freqs.size))
    return TransferMatrix(h, freqs, [f"r{i}" for i in range(n_r)], [f"s{i}" for i in range(n_s)])


def test_is_immutable_copy():
    h = np.ones((1, 1, 2), dtype=complex)
    tm = TransferMatrix(h, [0.0, 1.0], ("a",), ("b",), {"model": "x"})
    h[0, 0, 0] = 5.0
    assert tm.H[0, 0, 0] == 1.0
    with pytest.raises(ValueError):
        tm.H[0, 0, 0] = 2.0
    with pytest.raises(TypeError):
        tm.meta["model"] = "y"


def test_at_picks_nearest_bin():
    tm = _tm()
    assert_allclose(tm.at(760.0), tm.H[:, :, 1])  # bins 750 Hz apart
    with pytest.raises(ValueError, match="freq"):
        tm.at(30000.0)


def test_select_reorders():
    tm = _tm()
    sub = tm.select(receivers=["r1"], sources=["s2", "s0"])
    assert sub.receivers == ("r1",) and sub.sources == ("s2", "s0")
    assert_allclose(sub.H[0, 0], tm.H[1, 2])
    assert_allclose(sub.H[0, 1], tm.H[1, 0])
    with pytest.raises(ValueError, match="sources"):
        tm.select(sources=["nope"])
    with pytest.raises(TypeError, match="receivers"):
        tm.select(receivers="r0")


def test_apply_is_per_bin_matrix_product():
    tm = _tm()
    rng = np.random.default_rng(1)
    w = rng.normal(size=(3, 2, tm.freqs.size)) + 1j * rng.normal(size=(3, 2, tm.freqs.size))
    out = tm.apply(w)
    # Independent route: numpy's batched matmul with the frequency axis moved first.
    expected = np.moveaxis(np.moveaxis(tm.H, -1, 0) @ np.moveaxis(w, -1, 0), 0, -1)
    assert_allclose(out, expected, rtol=1e-12)
    with pytest.raises(ValueError, match="W"):
        tm.apply(w[:2])


def test_impulse_response_of_a_delay():
    fs, n_fft, delay = 48000.0, 128, 17
    freqs = np.fft.rfftfreq(n_fft, 1 / fs)
    h = np.exp(-2j * np.pi * freqs * delay / fs)[None, None, :]
    ir = TransferMatrix(h, freqs, ("r",), ("s",)).to_impulse_responses(fs, 40)
    expected = np.zeros(40)
    expected[delay] = 1.0
    assert_allclose(ir[0, 0], expected, atol=1e-12)
    padded = TransferMatrix(h, freqs, ("r",), ("s",)).to_impulse_responses(fs, 300)
    assert padded.shape == (1, 1, 300) and padded[0, 0, delay] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="freqs"):
        TransferMatrix(h, freqs, ("r",), ("s",)).to_impulse_responses(44100.0, 40)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"H": np.ones((2, 3))}, "H"),
        ({"H": np.full((1, 1, 2), np.nan)}, "H"),
        ({"freqs": [0.0, 0.0]}, "freqs"),
        ({"freqs": [0.0]}, "freqs"),
        ({"freqs": [-1.0, 2.0]}, "freqs"),
        ({"receivers": ("a", "b")}, "receivers"),
        ({"receivers": "a"}, "receivers"),
        ({"sources": ("x", "x")}, "sources"),
        ({"meta": 3}, "meta"),
    ],
)
def test_validation_names_argument(kwargs, name):
    args = {"H": np.ones((1, 1, 2)), "freqs": [0.0, 1.0], "receivers": ("a",), "sources": ("b",)}
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=name):
        TransferMatrix(**args)


def test_the_speed_of_sound_is_a_typed_field():
    import dataclasses

    from acoustics.scene import default_scene, ear_transfer

    tm = ear_transfer(default_scene(), [500.0, 1000.0], c=340.0)
    assert tm.c == 340.0
    assert tm.select(receivers=["left"]).c == 340.0
    assert dataclasses.replace(tm, H=2 * tm.H).c == 340.0
    assert TransferMatrix(np.ones((1, 1, 1)), [1.0], ("a",), ("b",)).c == 343.0
    with pytest.raises(ValueError, match="c"):
        TransferMatrix(np.ones((1, 1, 1)), [1.0], ("a",), ("b",), c=-1.0)


# --- typed receiver directions and source positions ------------------------------------------


def test_receiver_directions_round_trip_through_vectors():
    # Azimuths stay as given (-180 is not wrapped to 180); vectors follow sph_to_cart, and
    # from_vectors recovers the angles.
    from acoustics.geometry import sph_to_cart
    from acoustics.transfer import ReceiverDirections

    az, el = np.array([-180.0, -45.0, 0.0, 90.0]), np.array([0.0, 10.0, -30.0, 60.0])
    d = ReceiverDirections(az, el, distance=2.0)
    assert_allclose(d.azimuths_deg, az)
    assert_allclose(d.vectors, sph_to_cart(az, el, 1.0))
    back = ReceiverDirections.from_vectors(3.0 * d.vectors)  # normalised
    assert_allclose(back.elevations_deg, el, atol=1e-12)
    assert_allclose(back.azimuths_deg[1:], az[1:], atol=1e-12)
    assert abs(abs(back.azimuths_deg[0]) - 180.0) < 1e-12
    assert len(d) == 4 and d.distance == 2.0 and d.weights is None


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"elevations_deg": [0.0, 0.0, 0.0]}, "elevations_deg"),
        ({"elevations_deg": 91.0}, "elevations_deg"),
        ({"distance": -1.0}, "distance"),
        ({"weights": [0.5, 0.6]}, "weights"),
        ({"weights": [1.5, -0.5]}, "weights"),
        ({"weights": [1.0]}, "weights"),
    ],
)
def test_receiver_directions_validation_names_argument(kwargs, name):
    from acoustics.transfer import ReceiverDirections

    args = {"azimuths_deg": [0.0, 90.0], "elevations_deg": 0.0} | kwargs
    with pytest.raises(ValueError, match=name):
        ReceiverDirections(**args)


def test_select_subsets_directions_and_source_positions():
    # A selection keeps the directions and positions of what it keeps (the former meta
    # angles stayed whole and no longer matched the receivers). Weights belong to the whole
    # quadrature: a reordering keeps them, a subset drops them.
    from acoustics.transfer import ReceiverDirections

    base = _tm(n_r=3, n_s=2)
    dirs = ReceiverDirections([0.0, 90.0, 180.0], 0.0, weights=[0.5, 0.25, 0.25])
    pos = np.array([[0.1, 0.0, 0.0], [0.0, 0.2, 0.0]])
    tm = TransferMatrix(
        base.H, base.freqs, base.receivers, base.sources, directions=dirs, source_positions=pos
    )
    sub = tm.select(receivers=["r2", "r0"], sources=["s1"])
    assert_allclose(sub.directions.azimuths_deg, [180.0, 0.0])
    assert sub.directions.weights is None
    assert_allclose(sub.source_positions, pos[[1]])
    perm = tm.select(receivers=["r1", "r2", "r0"])
    assert_allclose(perm.directions.weights, [0.25, 0.25, 0.5])
    assert not tm.source_positions.flags.writeable
    with pytest.raises(ValueError, match="directions"):
        TransferMatrix(base.H, base.freqs, base.receivers, base.sources, directions=dirs.take([0]))
    with pytest.raises(ValueError, match="source_positions"):
        TransferMatrix(base.H, base.freqs, base.receivers, base.sources, source_positions=pos[:1])
    with pytest.raises(TypeError, match="directions"):
        TransferMatrix(base.H, base.freqs, base.receivers, base.sources, directions=[0.0] * 3)


def test_models_carry_their_directions_and_driver_positions():
    # The beam-pattern and sphere models say where their receivers are; a room's beam pattern
    # has the free-field one's directions.
    from acoustics.freefield import sphere_quadrature, sphere_transfer
    from acoustics.scene import azimuth_transfer, living_room_scene
    from acoustics.sources.presets import smart_speaker

    device = smart_speaker()
    az = np.arange(-180.0, 180.0, 30.0)
    arc = azimuth_transfer(device, az, [500.0], distance=1.5, elevation_deg=10.0)
    assert_allclose(arc.directions.azimuths_deg, az)
    assert_allclose(arc.directions.elevations_deg, 10.0)
    assert arc.directions.distance == 1.5
    assert_allclose(arc.source_positions, device.positions)
    sphere = sphere_transfer(device, [500.0], n_elevations=8)
    _, weights = sphere_quadrature(8)
    assert_allclose(sphere.directions.weights, np.concatenate([[0.0], weights]))
    assert_allclose(sphere.directions.vectors[0], [1.0, 0.0, 0.0], atol=1e-12)
    living = living_room_scene(max_order=1)
    in_room = azimuth_transfer(living, az, [500.0], distance=0.4)
    free = azimuth_transfer(living.device, az, [500.0], distance=0.4)
    assert_allclose(in_room.directions.vectors, free.directions.vectors)
    assert_allclose(in_room.source_positions, free.source_positions)
