"""Binaural measures (ITD, ILD, IACC); the localization model is in test_localization.py."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from acoustics.geometry import sph_to_cart
from acoustics.heads import RigidSphere
from acoustics.metrics import (
    erb_number,
    erb_space,
    interaural_cross_correlation,
    interaural_level_difference,
    interaural_time_difference,
)

FS = 48000.0
RNG = np.random.default_rng(11)
NOISE = RNG.standard_normal((2, 9600))


def _delayed(x, seconds):
    """Delay by any amount (circularly, band-limited) in the frequency domain."""
    f = np.fft.rfftfreq(x.size, 1 / FS)
    return np.fft.irfft(np.fft.rfft(x) * np.exp(-2j * np.pi * f * seconds), x.size)


def _hrirs(head, azimuth_deg, distance=3.0, n=1024):
    """Head-centred ear impulse responses ``(n_az, 2, n)`` for sources on the horizontal plane."""
    az = np.atleast_1d(azimuth_deg).astype(float)
    f = np.fft.rfftfreq(n, 1 / FS)
    p = head.ear_responses(sph_to_cart(az, 0.0, distance), f)
    p = p * np.exp(2j * np.pi * f * (distance / 343.0 - 256 / FS))
    return np.fft.irfft(np.moveaxis(p, 0, 1), n, axis=-1)


def test_erb_space_steps_one_erb_number():
    c = erb_space(100.0, 8000.0)
    assert c[0] == pytest.approx(100.0)
    assert_allclose(np.diff(erb_number(c)), 1.0, atol=1e-9)
    assert c[-1] <= 8000.0


@pytest.mark.parametrize("delay_us", [-640.0, -137.3, 0.0, 52.1, 333.0, 700.0])
def test_itd_recovers_a_fractional_delay_with_its_sign(delay_us):
    # The right ear hears the noise delay_us later: the left ear leads, a positive ITD.
    s = NOISE[0]
    ears = np.stack([s, _delayed(s, delay_us * 1e-6)])
    assert interaural_time_difference(ears, FS) * 1e6 == pytest.approx(delay_us, abs=2.0)


def test_itd_of_a_rigid_sphere_lies_between_woodworth_and_kuhn():
    # Low-frequency ITD at 90 deg: Kuhn's 3 a / c = 765 us below ~500 Hz, Woodworth's
    # (a / c)(theta + sin theta) = 656 us at high frequency; the 200-1500 Hz summary falls between.
    head = RigidSphere()
    itd = interaural_time_difference(_hrirs(head, [90.0, -90.0, 30.0]), FS)
    assert 656e-6 < itd[0] < 765e-6
    assert itd[1] == pytest.approx(-itd[0], abs=1e-9)  # mirror symmetry
    assert 0 < itd[2] < itd[0]


def test_ild_of_a_scaled_copy_and_of_a_sphere():
    ears = np.stack([NOISE[0], 0.5 * NOISE[0]])
    ild, centres = interaural_level_difference(ears, FS)
    assert_allclose(ild, 20 * np.log10(2.0), atol=1e-9)
    assert_allclose(centres, erb_space(100.0, 16000.0))
    # A sphere's head shadow grows with frequency: about 1 dB at 200 Hz, 7 dB at 8 kHz for a
    # source at 90 deg (less than at 60 deg: the bright spot behind the sphere lifts the far ear).
    ild, c = interaural_level_difference(_hrirs(RigidSphere(), 90.0)[0], FS)
    at = np.interp([200.0, 1000.0, 8000.0], c, ild)
    assert 0 < at[0] < 1.5 and at[0] < at[1] < at[2]
    assert at[2] > 5.0


def test_iacc_of_identical_and_independent_signals():
    assert float(interaural_cross_correlation(np.stack([NOISE[0], NOISE[0]]), FS)) == (
        pytest.approx(1.0)
    )
    # Independent noises: the peak of |r| over 97 lags, each with std 1 / sqrt(9600) ~ 0.01.
    assert float(interaural_cross_correlation(NOISE, FS)) < 0.05
    # A delay inside the +-1 ms window keeps IACC at 1, outside it does not.
    pad = np.zeros(96)
    inside = np.stack([np.r_[NOISE[0], pad], np.r_[pad[:40], NOISE[0], pad[40:]]])
    outside = np.stack([np.r_[NOISE[0], pad], np.r_[pad, NOISE[0]]])
    assert float(interaural_cross_correlation(inside, FS)) == pytest.approx(1.0, abs=1e-3)
    assert float(interaural_cross_correlation(outside, FS)) < 0.05


def test_early_iacc_uses_the_first_80_ms_after_the_direct_sound():
    # A direct sound at n0, identical ears for 80 ms, independent noise afterwards.
    n0, n80 = 480, 480 + int(0.08 * FS)
    ears = np.zeros((2, 2 * n80))
    ears[:, n0 + 1 : n80] = 0.1 * NOISE[0, : n80 - n0 - 1]
    ears[:, n0] = 2.0
    ears[:, n80:] = 0.05 * NOISE[:, : ears.shape[1] - n80]
    early = interaural_cross_correlation(ears, FS, window_ms=(0.0, 80.0))
    late = interaural_cross_correlation(ears, FS, window_ms=(80.0, np.inf))
    full = interaural_cross_correlation(ears, FS)
    assert float(early) == pytest.approx(1.0, abs=1e-9)
    assert float(late) < 0.08
    assert float(late) < float(full) < float(early)


def test_binaural_measures_bad_input():
    with pytest.raises(ValueError, match="ears"):
        interaural_time_difference(NOISE[0], FS)
    with pytest.raises(ValueError, match="ears"):
        interaural_cross_correlation(np.zeros((3, 100)), FS)
    with pytest.raises(ValueError, match="silent"):
        interaural_level_difference(np.stack([NOISE[0], 0 * NOISE[0]]), FS)
    with pytest.raises(ValueError, match="ears"):
        interaural_time_difference(np.stack([NOISE[0], NOISE[0] * np.nan]), FS)
    with pytest.raises(ValueError, match="band_hz"):
        interaural_time_difference(NOISE, FS, band_hz=(2000.0, 1000.0))
    with pytest.raises(ValueError, match="window_ms"):
        interaural_cross_correlation(NOISE, FS, window_ms=(80.0, 0.0))
    with pytest.raises(ValueError, match="step"):
        erb_space(100.0, 1000.0, step=0.0)
