"""Tests of acoustics.sources.measured.MeasuredDirectivity."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from acoustics.geometry import sph_to_cart
from acoustics.sources import BaffledPiston, Directivity, Omni, SphereCap
from acoustics.sources.measured import MeasuredDirectivity

STEP_DEG = 5.0
TABLE_FREQS = np.arange(0.0, 4001.0, 100.0)
# Half the diagonal of a 5 x 5 deg grid cell: the radius of the smallest circle around any of its
# two triangles (cells nearer the poles are smaller).
CELL_RADIUS = np.deg2rad(STEP_DEG) / np.sqrt(2.0)


def _grid(step_deg=STEP_DEG):
    az, el = np.meshgrid(np.arange(0.0, 360.0, step_deg), np.arange(-90 + step_deg, 90, step_deg))
    return np.concatenate([sph_to_cart(az.ravel(), el.ravel()), [[0, 0, 1.0], [0, 0, -1.0]]])


def _random_directions(rng, n):
    u = rng.normal(size=(n, 3))
    return u / np.linalg.norm(u, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def piston_table():
    return MeasuredDirectivity.from_model(BaffledPiston(0.05), _grid(), TABLE_FREQS)


def test_piston_table_matches_the_analytic_pattern_off_grid(piston_table):
    rng = np.random.default_rng(0)
    u = _random_directions(rng, 1200)
    u = u[u[:, 0] > np.cos(np.deg2rad(80.0))][:300]  # front, >= 10 deg from the baffle edge
    piston = BaffledPiston(0.05)
    # Linear interpolation on a triangle inside a circle of radius R errs by at most M R^2 / 2,
    # M bounding the second angular derivative. For D = F(kb sin t), F(x) = 2 J1(x)/x with
    # |F''| <= 1/4 and |F'| <= 0.36: M <= (kb)^2 / 4 + 0.36 kb. A factor 1.5 covers the mapping of
    # the flat (chordal) triangle to the sphere. Measured: 0.0062 at 4 kHz, bound 0.0134.
    # Between table frequencies, linear interpolation in f adds at most df^2 / 8 * |d2D/df2|,
    # with |d2D/df2| <= (2 pi b / c)^2 / 4 (the same |F''| <= 1/4): 2.6e-4 for df = 100 Hz.
    df = TABLE_FREQS[1] - TABLE_FREQS[0]
    freq_bound = df**2 / 8 * (2 * np.pi * 0.05 / 343.0) ** 2 / 4
    for freqs, f_err in ((TABLE_FREQS, 0.0), (TABLE_FREQS[:-1] + 50.0, freq_bound)):
        got = piston_table.response(u, freqs)
        expected = piston.response(u, freqs)
        kb = 2 * np.pi * freqs * 0.05 / 343.0
        bound = 1.5 * (0.5 * (kb**2 / 4 + 0.36 * kb) * CELL_RADIUS**2 + f_err) + 1e-12
        for j in range(freqs.size):
            assert_allclose(got[:, j], expected[:, j], rtol=0, atol=bound[j])


def test_sphere_cap_table_matches_everywhere():
    cap = SphereCap(0.09, 20.0)
    freqs = np.array([0.0, 250.0, 500.0, 1000.0])
    table = MeasuredDirectivity.from_model(cap, _grid(), freqs)
    u = _random_directions(np.random.default_rng(1), 200)  # the whole sphere, back included
    got = table.response(u, freqs)
    expected = cap.response(u, freqs)
    # At kR <= 1.65 the pattern (with the cap-centre phase e^{-jkR cos t}) is a spherical-harmonic
    # series whose terms above order 5 are below 1 % ((kR)^l / (2l - 1)!!), so by Bernstein's
    # inequality its second angular derivative is at most 5^2 max|D| (max|D| < 1.55): bound
    # 0.5 * 25 * 1.55 * R^2 = 0.074. Measured: 0.004.
    assert_allclose(got, expected, rtol=0, atol=0.074)


def test_table_nodes_are_reproduced_exactly(piston_table):
    idx = np.array([0, 17, 500, 1300, 2521])
    got = piston_table.response(piston_table.directions[idx], TABLE_FREQS)
    assert_allclose(got, piston_table.response_table[idx], rtol=0, atol=1e-12)


def test_omni_table_is_one_everywhere():
    table = MeasuredDirectivity.from_model(Omni(), _grid(30.0), [20.0, 20000.0])
    u = _random_directions(np.random.default_rng(2), 50)
    assert_allclose(table.response(u, [20.0, 733.0, 20000.0]), 1.0, rtol=1e-12)


def test_sofa_round_trip(tmp_path, piston_table):
    path = tmp_path / "piston.sofa"
    piston_table.to_sofa(path)
    back = MeasuredDirectivity.from_sofa(path)
    assert_array_equal(back.response_table, piston_table.response_table)
    assert_array_equal(back.freqs, piston_table.freqs)
    assert_allclose(back.directions, piston_table.directions, atol=1e-12)
    assert "BaffledPiston" in back.meta["Comment"]
    u = _random_directions(np.random.default_rng(3), 20)
    assert_allclose(back.response(u, [1234.0]), piston_table.response(u, [1234.0]), atol=1e-12)


def test_refuses_bad_inputs(piston_table):
    grid = _grid(30.0)
    good = np.ones((grid.shape[0], 2), dtype=complex)
    bad = good.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="response"):
        MeasuredDirectivity(bad, [100.0, 200.0], grid)
    with pytest.raises(ValueError, match="response"):
        MeasuredDirectivity(good[:, :1], [100.0, 200.0], grid)
    with pytest.raises(ValueError, match="freqs"):
        MeasuredDirectivity(good, [200.0, 100.0], grid)
    with pytest.raises(ValueError, match="directions"):
        MeasuredDirectivity(np.ones((3, 2)), [100.0, 200.0], grid[:3])
    with pytest.raises(ValueError, match="directions"):  # all in the horizontal plane
        MeasuredDirectivity(np.ones((4, 2)), [100.0, 200.0], sph_to_cart([0, 90, 180, 270], 0))
    with pytest.raises(ValueError, match="freqs"):
        piston_table.response([[1.0, 0.0, 0.0]], [4100.0])
    with pytest.raises(ValueError, match="directions"):
        piston_table.response([[0.0, 0.0, 0.0]], [100.0])
    with pytest.raises(TypeError, match="directivity"):
        MeasuredDirectivity.from_model("piston", grid, [100.0])


def test_is_a_directivity_and_reexported():
    from acoustics.sources import MeasuredDirectivity as Reexported

    assert Reexported is MeasuredDirectivity
    assert issubclass(MeasuredDirectivity, Directivity)
