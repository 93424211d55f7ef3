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
