"""Beam designs and metrics against theory, the matrix-mixing baseline and their constraints."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from acoustics.freefield import sphere_transfer
from acoustics.scene import azimuth_transfer
from acoustics.sources import Device, Driver
from acoustics.sources.presets import smart_speaker
from design.filters.beamforming import (
    beam_metrics,
    beam_response,
    delay_and_sum,
    matrix_mixing,
    null_beam,
    superdirective,
    white_noise_gain,
)
from design.filters.solvers import DesignError

AZ = np.arange(-180.0, 180.0, 5.0)


@pytest.fixture(scope="module")
def speaker():
    freqs = np.geomspace(500.0, 4000.0, 16)
    dev = smart_speaker()
    return freqs, azimuth_transfer(dev, AZ, freqs), sphere_transfer(dev, freqs, n_elevations=32)


def test_delay_and_sum_of_omni_line_matches_array_factor():
    # Four omni drivers 5 cm apart along y: the delay-and-sum pattern is the array factor
    # |sum_n exp(j k d n sin(theta))| / N, and its white-noise gain is N (6.02 dB).
    c, spacing = 343.0, 0.05
    ys = (np.arange(4) - 1.5) * spacing
    dev = Device("line", tuple(Driver(f"d{i}", (0, y, 0), (1, 0, 0)) for i, y in enumerate(ys)))
    freqs = np.array([1000.0, 3000.0])
    tm = azimuth_transfer(dev, AZ, freqs, c=c)
    w = delay_and_sum(tm)
    k = 2 * np.pi * freqs / c
    theta = np.deg2rad(AZ)
    factor = np.abs(np.exp(1j * np.einsum("a,n,f->afn", np.sin(theta), ys, k)).sum(axis=2)) / 4
    assert_allclose(np.abs(beam_response(tm, w)), factor, atol=1e-12)
    assert_allclose(10 * np.log10(white_noise_gain(tm, w)), 10 * np.log10(4), atol=1e-9)


def test_superdirective_of_omni_pair_reaches_endfire_limit():
    # Two omni points a small distance apart on the axis: the maximum directivity factor tends to
    # 4 (6.02 dB, the hypercardioid) as kd -> 0 (Cox et al. 1986); with a WNG floor it stays
    # above it and the floor holds.
    dev = Device(
        "pair", (Driver("a", (0.01, 0, 0), (1, 0, 0)), Driver("b", (-0.01, 0, 0), (1, 0, 0)))
    )
    freqs = np.array([200.0, 500.0])
    sphere = sphere_transfer(dev, freqs, n_elevations=16)
    tm = azimuth_transfer(dev, AZ, freqs)
    unconstrained = superdirective(sphere, wng_floor_db=-60.0)
    m = beam_metrics(tm, unconstrained, sphere=sphere)
    assert_allclose(m.directivity_index_db, 10 * np.log10(4), atol=0.05)
    floored = superdirective(sphere, wng_floor_db=-10.0)
    wng = 10 * np.log10(white_noise_gain(tm, floored))
    assert np.all(wng >= -10.0 - 1e-6)
    assert np.all(beam_metrics(tm, floored, sphere=sphere).directivity_index_db < 6.0)
    with pytest.raises(ValueError, match="wng_floor_db"):
        superdirective(sphere, wng_floor_db=20.0)  # above N = 2 (3 dB): impossible


def test_null_beam_meets_the_centre_beam_brief(speaker):
    freqs, tm, sphere = speaker
    w = null_beam(tm, sphere=sphere, wng_floor_db=-10.0)
    m = beam_metrics(tm, w, sphere=sphere)
    # Nulls at +-90 deg at least 20 dB below on-axis (solver tolerance 0.05 dB).
    assert np.all(m.null_depth_db <= -20.0 + 0.05)
    # Main lobe within 3 dB of on-axis out to +-45 deg.
    y = np.abs(beam_response(tm, w))
    on = y[np.nonzero(AZ == 0)[0][0]]
    lobe = np.abs(AZ) <= 45
    assert np.all(20 * np.log10(y[lobe] / on) >= -3.0 - 0.05)
    assert np.all(m.white_noise_gain_db >= -10.0 - 1e-4)
    # The optimiser maximises the directivity under these constraints. Below about 3.2 kHz that
    # beats matrix mixing; above it the +-45 deg lobe costs more directivity than the narrow
    # beam that plain mixing (tweeter-dominated) makes, so the beam trades DI for coverage.
    mix = beam_metrics(tm, matrix_mixing(tm), sphere=sphere)
    low = freqs <= 3000
    assert np.all(m.directivity_index_db[low] > mix.directivity_index_db[low])
    assert np.all(mix.beamwidth_deg[~low] < 90) and np.all(m.beamwidth_deg >= 90)


def test_null_depth_trades_against_effort(speaker):
    # Deeper nulls need more effort: with a stricter white-noise-gain floor the deepest feasible
    # null gets shallower (the trade-off the closing note quotes).
    freqs, tm, sphere = speaker
    deep = null_beam(tm, sphere=sphere, null_depth_db=40.0, wng_floor_db=-20.0)
    assert np.all(beam_metrics(tm, deep).null_depth_db <= -40.0 + 0.1)
    strict = dict(null_depth_db=40.0, null_width_deg=30.0, wng_floor_db=5.0)
    with pytest.raises(DesignError, match="infeasible"):
        null_beam(tm, sphere=sphere, constraints="hard", **strict)
    # By default the request becomes the objective instead, and the null comes out shallower.
    soft = null_beam(tm, sphere=sphere, **strict)
    assert soft.softened
    assert np.max(beam_metrics(tm, soft).null_depth_db) > -40.0 + 0.1


def test_matrix_mixing_is_frequency_independent(speaker):
    freqs, tm, _ = speaker
    w = matrix_mixing(tm, [1.0, 1.0, 0.5, 2.0, 0.0])
    assert_allclose(
        w.W[:, 0, :], np.array([1.0, 1.0, 0.5, 2.0, 0.0])[:, None] * np.ones(freqs.size)
    )
    with pytest.raises(ValueError, match="gains"):
        matrix_mixing(tm, [1.0, 2.0])


def test_beam_bad_input(speaker):
    freqs, tm, sphere = speaker
    with pytest.raises(ValueError, match="azimuth_transfer"):
        null_beam(sphere)
    no_side = azimuth_transfer(smart_speaker(), np.arange(-60.0, 61.0, 5.0), freqs)
    with pytest.raises(ValueError, match="90"):
        null_beam(no_side)
    with pytest.raises(ValueError, match="null_depth_db"):
        null_beam(tm, null_depth_db=-3.0)


def test_null_beam_constraint_modes_on_a_soundbar():
    # A soundbar cannot hold nulls at its end-fire directions with a +-45 deg lobe: "hard" raises
    # naming the constraints, "soft" and "auto" design and report each group's shortfall; on the
    # smart speaker (feasible) "auto" is the hard design itself.
    from acoustics.freefield import sphere_transfer
    from acoustics.scene import azimuth_transfer
    from acoustics.sources.presets import smart_speaker, soundbar

    freqs = np.geomspace(500.0, 3000.0, 12)
    az = np.arange(-180.0, 180.0, 5.0)
    bar = soundbar(8, 0.9)
    tm = azimuth_transfer(bar, az, freqs)
    sphere = sphere_transfer(bar, freqs)
    with pytest.raises(DesignError, match="null at"):
        null_beam(tm, sphere=sphere, constraints="hard")
    soft = null_beam(tm, sphere=sphere, constraints="soft")
    auto = null_beam(tm, sphere=sphere)
    assert soft.softened and auto.softened
    assert_allclose(auto.W, soft.W, atol=1e-6)
    y = beam_response(tm, soft)
    on = int(np.argmin(np.abs(az)))
    assert_allclose(
        y[on], np.exp(1j * 2 * np.pi * freqs / 343.0 * soft.phase_centre[0]), atol=1e-6
    )  # the unit on-axis normalisation still holds
    shortfall = soft.softened
    # The reported shortfall of each null is what the response exceeds its bound by.
    side = int(np.argmin(np.abs(az - 90.0)))
    excess = np.maximum(np.abs(y[side]) - 10 ** (-20 / 20), 0.0)
    assert_allclose(shortfall["null at 90 deg"], excess, atol=1e-5)
    assert np.max(excess) > 0.01
    speaker = smart_speaker()
    tm2 = azimuth_transfer(speaker, az, freqs)
    sph2 = sphere_transfer(speaker, freqs)
    hard = null_beam(tm2, sphere=sph2, constraints="hard")
    assert not null_beam(tm2, sphere=sph2).softened
    assert_allclose(null_beam(tm2, sphere=sph2).W, hard.W)
    with pytest.raises(ValueError, match="constraints"):
        null_beam(tm2, constraints="maybe")
