"""Crosstalk cancellation and null-steering against docs/references.md and independent solvers."""

import cvxpy as cp
import numpy as np
import pytest
from numpy.testing import assert_allclose

from acoustics.heads import PointEars, RigidSphere
from acoustics.scene import Listener, Scene, default_scene, ear_transfer
from acoustics.sources import Device, Driver
from acoustics.sources.presets import smart_speaker
from design.filters.ctc import (
    null_steering,
    regularized,
    separation_db,
    shuffler,
    target_cancellation,
)
from design.filters.solvers import DesignError, condition_number, singular_values

C = 343.0
FS = 48000.0


def _two_point_plant(freqs):
    # docs/references.md: listener 1.6 m away, ears 0.15 m apart, sources spanning 18 deg.
    r, half = 1.6, np.deg2rad(9.0)
    device = Device(
        "pair",
        (
            Driver("left", (r * (1 - np.cos(half)), -r * np.sin(half), 0), (1, 0, 0)),
            Driver("right", (r * (1 - np.cos(half)), r * np.sin(half), 0), (1, 0, 0)),
        ),
    )
    return ear_transfer(Scene(device, Listener((r, 0, 0), 180.0, PointEars(0.075))), freqs, c=C)


def test_two_point_sources_condition_number():
    freqs = np.linspace(0.0, 10000.0, 20001)  # 0.5 Hz steps
    tm = _two_point_plant(freqs)
    cond = condition_number(tm.H)
    # Condition number 1 at 3.66 kHz (path difference a quarter wavelength), peaks (1+g)/(1-g)
    # at DC and 7.32 kHz; g = 0.9855 (docs/references.md, rounded to 4 decimals).
    assert_allclose(freqs[np.argmin(cond)], 3660.0, atol=10.0)
    # On a 0.5 Hz grid the sampled minimum lies within 0.25 Hz of the true one: cond - 1 < 1e-3.
    assert_allclose(cond.min(), 1.0, atol=1e-3)
    peak = freqs[5000:][np.argmax(cond[5000:])]
    assert_allclose(peak, 7320.0, atol=15.0)
    g = 0.9855
    assert_allclose(cond[0], (1 + g) / (1 - g), rtol=0.01)
    # Perfect cancellation needs up to 1 / (1 - g) = 36.8 dB of gain re the direct path.
    w = regularized(tm, fs=FS).filters.W
    direct = np.abs(tm.H[0, 0])
    gain_db = 20 * np.log10(np.max(singular_values(w) * direct, axis=0))
    assert_allclose(gain_db.max(), 36.8, atol=0.1)


def test_unregularized_inversion_is_a_delayed_identity():
    freqs = np.fft.rfftfreq(512, 1 / FS)
    tm = ear_transfer(default_scene(), freqs).select(sources=["left", "right"])
    design = regularized(tm, delay_samples=64.0, fs=FS)
    expected = np.eye(2)[:, :, None] * np.exp(-2j * np.pi * freqs * 64 / FS)
    err = np.max(np.abs(design.response - expected))
    assert 20 * np.log10(err) < -60
    assert np.all(design.separation_db > 60)


def test_shuffler_equals_kirkeby_for_a_symmetric_plant():
    freqs = np.fft.rfftfreq(256, 1 / FS)
    tm = ear_transfer(default_scene(), freqs).select(sources=["left", "right"])
    for beta in (0.0, 1e-4):
        a = shuffler(tm, beta=beta, delay_samples=10.0, fs=FS).filters.W
        b = regularized(tm, beta=beta, delay_samples=10.0, fs=FS).filters.W
        assert_allclose(a, b, rtol=1e-8, atol=1e-12 * np.abs(b).max())
    asym = ear_transfer(default_scene(), freqs).select(sources=["left", "tweeter"])
    with pytest.raises(ValueError, match="symmetric"):
        shuffler(asym)


def _midrange_target(freqs):
    # 20 dB from 500 Hz to 4 kHz, tapering (linearly in log frequency) to 0 at 125 Hz and 12 kHz.
    logf = np.log(np.maximum(freqs, 1.0))
    up = np.clip((logf - np.log(125)) / np.log(4), 0, 1)
    down = np.clip((np.log(12000) - logf) / np.log(3), 0, 1)
    return 20.0 * np.minimum(up, down)


def test_target_cancellation_follows_its_curve():
    freqs = np.fft.rfftfreq(512, 1 / FS)[1:]
    tm = ear_transfer(default_scene(), freqs).select(sources=["left", "right", "tweeter"])
    target = _midrange_target(freqs)
    design = target_cancellation(tm, target, fs=FS)
    sep = design.separation_db
    # Never short of the curve (solver tolerance), and on it where cancellation costs effort.
    assert np.all(sep >= target - 0.5)
    active = target >= 10.0
    assert np.all(np.abs(sep[:, active] - target[active]) <= 0.5)
    # Ipsilateral response is the unit response exactly.
    assert_allclose(np.abs(design.response[0, 0]), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="target_db"):
        target_cancellation(tm, np.zeros(7))


def test_robust_target_cancellation_holds_over_positions():
    # Listener 5 cm to either side and 0.2 m nearer or farther: the plain design loses its
    # separation there; the robust one keeps at least target - 6 dB wherever the plain one fell
    # below that (the smart speaker's five drivers; with three the array is too small).
    freqs = np.fft.rfftfreq(256, 1 / FS)[1:]
    positions = [
        (2.0, 0.0, 0.0),
        (2.0, 0.05, 0.0),
        (2.0, -0.05, 0.0),
        (1.8, 0.0, 0.0),
        (2.2, 0.0, 0.0),
    ]
    plants = [
        ear_transfer(Scene(smart_speaker(), Listener(p, 180.0, RigidSphere())), freqs)
        for p in positions
    ]
    target = _midrange_target(freqs)
    plain = target_cancellation(plants[0], target, fs=FS)
    robust = target_cancellation(plants, target, fs=FS)
    band = (freqs >= 500) & (freqs <= 4000)
    plain_sep = np.stack([separation_db(p.apply(plain.filters.W)) for p in plants])[..., band]
    robust_sep = robust.separation_db_positions[..., band]
    floor = np.broadcast_to(target[band] - 6.0, plain_sep.shape)
    short = plain_sep < floor
    assert short.any(), "the plain design should lose separation off its design position"
    assert np.all(robust_sep[short] >= floor[short] - 0.1)  # 0.1 dB: solver tolerance
    assert np.all(robust.separation_db[:, band] >= target[band] - 0.5)  # and at the design spot


def test_null_steering_without_and_with_gain_limit():
    freqs = np.fft.rfftfreq(256, 1 / FS)[1:]
    tm = ear_transfer(default_scene(), freqs)  # all five smart-speaker drivers
    band = (freqs >= 200) & (freqs <= 6000)
    free = null_steering(tm, fs=FS)
    assert np.all(free.separation_db[:, band] >= 40.0)
    limited = null_steering(tm, gain_limit_db=12.0, fs=FS)
    w = limited.filters.W
    for i in range(2):
        limit = 10 ** (12 / 20) / np.max(np.abs(tm.H[i]), axis=0)
        assert np.all(np.abs(w[:, i, :]) <= limit[None, :] * (1 + 1e-6))
    # Against an independent per-bin formulation with cvxpy's complex variables (no splitting),
    # at bins where the limit stops a perfect null (the optimum is then clearly positive).
    checked = 0
    for k in range(len(freqs)):
        h_i, h_c = tm.H[0, :, k], tm.H[1, :, k]
        x = cp.Variable(5, complex=True)
        limit = 10 ** (12 / 20) / np.max(np.abs(h_i))
        prob = cp.Problem(cp.Minimize(cp.abs(h_c @ x) ** 2), [h_i @ x == 1, cp.abs(x) <= limit])
        prob.solve(solver=cp.CLARABEL)
        scale = (np.abs(h_c).max() * limit) ** 2
        if prob.value < 1e-6 * scale:
            continue
        ours = np.abs(tm.H[1, :, k] @ w[:, 0, k]) ** 2
        assert_allclose(ours, prob.value, rtol=1e-4)
        checked += 1
        if checked == 3:
            break
    assert checked == 3


def test_ctc_bad_input():
    freqs = np.fft.rfftfreq(64, 1 / FS)
    tm = ear_transfer(default_scene(), freqs)
    other = ear_transfer(default_scene(), np.fft.rfftfreq(128, 1 / FS))
    with pytest.raises(ValueError, match="tm\\[1\\]"):
        target_cancellation([tm, other], 10.0)
    with pytest.raises(ValueError, match="receivers"):
        regularized(tm.select(receivers=["left"]))
    with pytest.raises(TypeError, match="tm"):
        regularized(tm.H)
    with pytest.raises(ValueError, match="fs"):
        regularized(tm, fs=8000.0)
    with pytest.raises(DesignError, match=r"infeasible: cannot meet .* bin\(s\)"):
        # 60 dB of cancellation with a 0 dB gain limit cannot be met.
        target_cancellation(tm.select(sources=["left", "right"]), 60.0, gain_limit=1.0)
