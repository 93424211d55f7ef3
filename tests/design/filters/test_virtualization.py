"""Tests of design.filters.virtualization: the all-pass / delayed low-pass crosstalk simulation.

Independent references: the head models' own ear responses (acoustics.heads, acoustics.heads.hrtf)
for the targets; Kuhn's low-frequency ITD 3 (a/c) sin(theta), Woodworth's (a/c)(theta + sin theta)
and Brown & Duda's alpha(theta) and corner 2 w0 / (2 pi) = 1248 Hz (docs/references.md);
scipy.signal.sosfreqz and an explicit DTFT for responses; Kaiser's window formulas for the
fractional delay.
"""

import numpy as np
import pytest
import scipy.signal as ss
from numpy.testing import assert_allclose, assert_array_equal

from acoustics.geometry import sph_to_cart
from acoustics.heads import BrownDuda, RigidSphere
from acoustics.heads.hrtf import MeasuredHRTF
from design.filters.fir import FilterSet, to_fir
from design.filters.virtualization import (
    Virtualizer,
    apply_virtualizer,
    exact_relative_response,
    fir_filters,
    fit_virtualizer,
    fractional_delay,
    iir_response,
)

A, C, FS = 0.0875, 343.0, 48000.0
# Kaiser (1974): stopband attenuation of a beta = 8 window, and its ripple delta.
KAISER_DELTA = 10 ** (-(8.0 / 0.1102 + 8.7) / 20)  # 8.6e-5


@pytest.fixture(scope="module")
def sphere():
    return fit_virtualizer(RigidSphere(), azimuth_deg=30.0)


@pytest.fixture(scope="module")
def kemar_fit():
    return fit_virtualizer(MeasuredHRTF.kemar(), azimuth_deg=30.0)


def head_relative(head, freqs, azimuth_deg, distance=3.0):
    """Contra / ipsi pressure for a source at azimuth_deg (left ear ipsi when positive)."""
    p = head.ear_responses(sph_to_cart(azimuth_deg, 0.0, distance), freqs, c=C)[:, 0]
    return p[1] / p[0] if azimuth_deg > 0 else p[0] / p[1]


def pair_ratio(v, freqs):
    """B / A of a design from scipy.signal.sosfreqz and the exact delay."""
    _, a = ss.sosfreqz(v.sos_ipsi, worN=freqs, fs=v.fs)
    _, s = ss.sosfreqz(v.sos_contra, worN=freqs, fs=v.fs)
    return s * np.exp(-2j * np.pi * freqs * v.delay_s) / a


def phase_delay(h, freqs):
    return -np.unwrap(np.angle(h)) / (2 * np.pi * freqs)


def db(x):
    return 20 * np.log10(np.abs(x))


# --------------------------------------------------------------------------------------------
# Fits against the head models
# --------------------------------------------------------------------------------------------


def test_rigid_sphere_fit_within_1_db_and_20_us_of_the_relative_response(sphere):
    # A grid other than the fit's: the fit must hold between its own points.
    f = np.geomspace(200.0, 4000.0, 157)
    target, model = head_relative(RigidSphere(), f, 30.0), pair_ratio(sphere, f)
    assert_allclose(db(model), db(target), atol=1.0)
    itd_band = f <= 1500.0  # fine-structure ITD band
    assert_allclose(phase_delay(model, f)[itd_band], phase_delay(target, f)[itd_band], atol=20e-6)
    # The reported errors are those of the returned pair on the fit grid.
    band = (sphere.freqs >= 200.0) & (sphere.freqs <= 4000.0)
    ratio = pair_ratio(sphere, sphere.freqs) / sphere.h_rel
    assert_allclose(sphere.fit_error["max_db_200_4k"], np.max(np.abs(db(ratio[band]))), rtol=1e-9)
    us = np.angle(ratio) / (2 * np.pi * sphere.freqs) * 1e6
    assert_allclose(sphere.fit_error["rms_us"], np.sqrt(np.mean(us**2)), rtol=1e-9)
    assert sphere.fit_error["max_db_200_4k"] <= 1.0 and sphere.fit_error["max_us_200_4k"] <= 20.0


def test_rigid_sphere_low_frequency_itd_near_kuhn(sphere):
    # Kuhn (JASA 62(1), 1977): ITD -> 3 (a/c) sin(theta) = 382.7 us as ka -> 0; the correction is
    # O((ka)^2), 2.6 % at 100 Hz (ka = 0.16), i.e. 10 us: the tolerance.
    kuhn = 3 * A / C * np.sin(np.deg2rad(30.0))
    assert_allclose(kuhn, 382.65e-6, rtol=1e-4)
    f0 = sphere.freqs[:1]
    assert_allclose(f0, 100.0)
    assert_allclose(phase_delay(sphere.h_rel[:1], f0), kuhn, atol=10e-6)
    # The fitted pair, below and at the bottom of the fit band, within that and the 20 us fit
    # tolerance.
    f = np.array([50.0, 100.0])
    assert_allclose(phase_delay(pair_ratio(sphere, f), f), kuhn, atol=30e-6)


def test_mirror_image_is_the_right_virtual_speaker(sphere):
    f = np.geomspace(200.0, 4000.0, 101)
    w = iir_response(sphere, f).W  # W[ear, speaker]
    assert_array_equal(w[0, 0], w[1, 1])
    assert_array_equal(w[0, 1], w[1, 0])
    # Against the head with the source really at -30 deg: the left ear is contralateral.
    right_speaker = w[0, 1] / w[1, 1]
    target = head_relative(RigidSphere(), f, -30.0)
    assert_allclose(db(right_speaker), db(target), atol=1.0)
    low = f <= 1500.0
    assert_allclose(phase_delay(right_speaker, f)[low], phase_delay(target, f)[low], atol=20e-6)
    # Left speaker: the left ear (ipsi) is unattenuated, the right one shadowed and late.
    assert_allclose(np.abs(w[0, 0]), 1.0, atol=1e-9)
    assert np.all(db(w[1, 0])[f > 1000.0] < -3.0)
    # The offline renderer swaps its outputs when its inputs are swapped.
    x = np.random.default_rng(1).standard_normal((2, 2000))
    assert_allclose(apply_virtualizer(sphere, x[::-1], FS), apply_virtualizer(sphere, x, FS)[::-1],
                    atol=1e-12)  # fmt: skip


def test_brown_duda_first_order_fit_recovers_the_structural_model():
    # Contra/ipsi of Brown & Duda at 30 deg is one first-order shelf times a delay: the ipsi
    # ear is 60 deg and the contra ear 120 deg from its axis, so the ratio's pole is the ipsi
    # zero, 1248 Hz / alpha(60), its zero 1248 Hz / alpha(120), its DC gain 1 and its delay
    # Woodworth's (a/c)(theta + sin theta) = 261.1 us.
    head = BrownDuda()
    alpha_i, alpha_c = 1.05 + 0.95 * np.cos(np.deg2rad([72.0, 144.0]))  # theta / 150 * 180
    assert_allclose(head.alpha([60.0, 120.0]), [alpha_i, alpha_c])
    corner = 2 * C / A / (2 * np.pi)
    assert_allclose(corner, 1248.0, atol=0.5)
    v = fit_virtualizer(head, lowpass_order=1, allpass_order=0)
    section = v.params["lowpass"][0]
    # The digital section (bilinear, pre-warped corners) matches the analog shelf to 0.02 dB up
    # to 16 kHz only with its corners moved to absorb the warping's compression towards
    # Nyquist: the pole (0.9 kHz) by < 2 %, the zero (4.4 kHz) by < 10 %.
    assert_allclose(section["f_pole"], corner / alpha_i, rtol=0.02)
    assert_allclose(section["f_zero"], corner / alpha_c, rtol=0.10)
    assert_allclose(v.params["gain_db"], 0.0, atol=0.05)
    woodworth = A / C * (np.pi / 6 + 0.5)
    assert_allclose(v.delay_s, woodworth, atol=2e-6)  # a tenth of a sample
    assert v.fit_error["max_db"] <= 0.05 and v.fit_error["max_us"] <= 0.5


def test_brown_duda_default_orders_fit_closely():
    # The default structure contains the exact one; the all-pass, parked at its upper corner
    # bound (0.45 fs) by the penalty, adds a near-constant ~3 us that the delay absorbs, with a
    # residual of a few us at the top of the band.
    v = fit_virtualizer(BrownDuda())
    assert_allclose(v.params["allpass"][0]["f"], 0.45 * FS, rtol=1e-3)
    assert v.fit_error["max_db"] <= 0.1
    assert v.fit_error["max_us_200_4k"] <= 1.0 and v.fit_error["max_us"] <= 5.0


def test_kemar_fit_reports_errors_bounded_by_its_ripple(kemar_fit):
    err = kemar_fit.fit_error
    assert all(np.isfinite(val) for val in err.values())
    # A low-order fit follows at best the smooth trend of KEMAR's relative response, not its
    # pinna, torso and measurement ripples: bound its errors by the ripple about the
    # octave-smoothed response (rms 1.3 dB, max 4.5 dB in 200 Hz - 4 kHz).
    f, level = kemar_fit.freqs, db(kemar_fit.h_rel)
    octave = np.abs(np.log2(f)[:, None] - np.log2(f)[None, :]) <= 0.5
    ripple = level - (octave @ level) / octave.sum(axis=1)
    band = (f >= 200.0) & (f <= 4000.0)
    assert err["rms_db_200_4k"] <= np.sqrt(np.mean(ripple[band] ** 2)) + 0.5
    assert err["max_db_200_4k"] <= np.max(np.abs(ripple[band])) + 1.0
    assert err["max_db"] <= np.max(np.abs(ripple)) + 3.0  # pinna notches above 5 kHz
    # The ITD (mean phase delay below 1.5 kHz, where it is heard) within the 20 us fit tolerance,
    # though the measured phase delay ripples by +-40 us about it.
    low = (f >= 200.0) & (f <= 1500.0)
    ratio = pair_ratio(kemar_fit, f) / kemar_fit.h_rel
    us = -np.angle(ratio) / (2 * np.pi * f)
    assert_allclose(np.mean(us[low]), 0.0, atol=20e-6)
    assert err["rms_us_200_4k"] <= 30.0  # that ripple's rms, +-40 us / sqrt(2) = 28 us


# --------------------------------------------------------------------------------------------
# Forms: all-pass, FIR, offline rendering, exact relative response
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("allpass_order", [0, 1, 2, 3])
def test_ipsilateral_path_is_all_pass(allpass_order):
    v = fit_virtualizer(RigidSphere(), allpass_order=allpass_order, n_freqs=64)
    _, a = ss.sosfreqz(v.sos_ipsi, worN=np.linspace(0.0, FS / 2, 4097), fs=FS)
    assert_allclose(np.abs(a), 1.0, atol=1e-9)
    assert len(v.params["allpass"]) == (allpass_order + 1) // 2


def test_kemar_ipsilateral_path_is_all_pass(kemar_fit):
    _, a = ss.sosfreqz(kemar_fit.sos_ipsi, worN=np.linspace(0.0, FS / 2, 4097), fs=FS)
    assert_allclose(np.abs(a), 1.0, atol=1e-9)


@pytest.mark.parametrize("delay", [0.0, 3.25, 13.5, 20.0, 31.9])
def test_fractional_delay_matches_an_exact_delay_to_kaiser_ripple(delay):
    taps, latency = fractional_delay(delay)
    f = np.linspace(0.0, 0.4 * FS, 801)
    dtft = np.exp(-2j * np.pi * np.outer(f, np.arange(taps.size)) / FS) @ taps
    # Within 2 delta of Kaiser's ripple below 0.4 fs (the transition band is centred on fs/2).
    assert_allclose(dtft, np.exp(-2j * np.pi * f * (delay + latency) / FS), atol=2 * KAISER_DELTA)
    assert latency == max(0, 15 - int(np.floor(delay)))
    if delay == int(delay):
        assert_array_equal(taps, np.eye(taps.size)[int(delay) + latency])


@pytest.mark.parametrize("n_taps", [64, 1024])
def test_fir_form_equals_iir_form_within_its_truncation_bound(sphere, n_taps):
    fir = fir_filters(sphere, n_taps=n_taps)
    assert fir.h.shape == (2, 2, n_taps) and fir.inputs == fir.drivers == ("left", "right")
    f = np.linspace(0.0, 0.4 * FS, 1537)
    dtft = fir.h @ np.exp(-2j * np.pi * np.outer(np.arange(n_taps), f) / FS)
    dtft *= np.exp(2j * np.pi * f * fir.latency_samples / FS)  # remove the bulk latency
    iir = _iir_matrix(sphere, f)
    # Bound: the l1 norm of what truncation discards, from independent long impulse responses
    # (2^18-point inverse FFTs of sosfreqz): the ipsi path's beyond n_taps - latency; the contra
    # path's, a convolution with the delay taps d, at most ||d||_1 times the shelf's beyond
    # n_taps - len(d). Plus the fractional delay's 2 delta times max |B| (<= 1 here).
    n_long = 1 << 18
    grid = np.fft.rfftfreq(n_long, 1 / FS)
    h_a, h_s = (np.fft.irfft(ss.sosfreqz(s, worN=grid, fs=FS)[1], n_long)[: n_long // 2]
                for s in (sphere.sos_ipsi, sphere.sos_contra))  # fmt: skip
    d = sphere.delay_fir
    tail = max(np.sum(np.abs(h_a[n_taps - sphere.latency_samples :])),
               np.sum(np.abs(d)) * np.sum(np.abs(h_s[n_taps - d.size :])))  # fmt: skip
    bound = tail + 2 * KAISER_DELTA * np.max(np.abs(iir))
    assert_allclose(dtft, iir, atol=bound)
    if n_taps == 1024:
        assert bound < 1e-3  # the default length is ample for these poles
        assert_allclose(fir.meta["tail_l1"], 0.0, atol=1e-6)


def _iir_matrix(v, f):
    _, a = ss.sosfreqz(v.sos_ipsi, worN=f, fs=v.fs)
    _, s = ss.sosfreqz(v.sos_contra, worN=f, fs=v.fs)
    b = s * np.exp(-2j * np.pi * f * v.delay_s)
    return np.array([[a, b], [b, a]])


def test_iir_response_is_the_sections_and_the_delay(sphere):
    f = np.linspace(0.0, FS / 2, 513)
    assert_allclose(iir_response(sphere, f).W, _iir_matrix(sphere, f), rtol=1e-12, atol=1e-14)


def test_apply_virtualizer_on_impulses_reproduces_the_fir_form(sphere):
    n = 600
    fir = fir_filters(sphere, n_taps=n)
    for speaker in range(2):
        x = np.zeros((2, n))
        x[speaker, 0] = 1.0
        assert_allclose(apply_virtualizer(sphere, x, FS), fir.h[:, speaker, :], atol=1e-12)


def test_exact_relative_response_is_the_heads_ratio_and_the_fit_follows_it(sphere):
    f = np.fft.rfftfreq(512, 1 / FS)
    exact = exact_relative_response(RigidSphere(), f, azimuth_deg=30.0)
    assert isinstance(exact, FilterSet) and exact.drivers == exact.inputs == ("left", "right")
    assert_array_equal(exact.W[0, 0], 1.0)
    assert_array_equal(exact.W[1, 1], 1.0)
    p_left = RigidSphere().ear_responses(sph_to_cart(30.0, 0.0, 3.0), f, c=C)[:, 0]
    assert_allclose(exact.W[1, 0], p_left[1] / p_left[0], rtol=1e-12)
    assert_allclose(exact.W[0, 1], exact.W[1, 0], rtol=1e-9)  # the sphere is symmetric
    # An asymmetric head (ears at +100 / -80 deg) keeps each side's own ratio.
    lopsided = RigidSphere(ear_azimuths_deg=(100.0, -80.0))
    w = exact_relative_response(lopsided, f, azimuth_deg=30.0).W
    p_right = lopsided.ear_responses(sph_to_cart(-30.0, 0.0, 3.0), f, c=C)[:, 0]
    assert_allclose(w[0, 1], p_right[0] / p_right[1], rtol=1e-12)
    assert np.max(np.abs(db(w[0, 1]) - db(w[1, 0]))) > 1.0
    band = (f >= 200.0) & (f <= 4000.0)
    fitted = iir_response(sphere, f[band]).W
    assert_allclose(db(fitted[1, 0] / fitted[0, 0]), db(exact.W[1, 0, band]), atol=1.0)
    # It realises as FIR through design.filters.fir: a causal response, the contra path arriving
    # later.
    fir = to_fir(exact, 256, delay=32)
    assert np.argmax(np.abs(fir.h[1, 0])) - np.argmax(np.abs(fir.h[0, 0])) > 0


def test_azimuth_orders_the_delay():
    # More lateral speakers: longer fitted delays, tracking Kuhn's sin(theta) at low frequency.
    # Tolerance: Kuhn's O((ka)^2) correction at 100 Hz (2.6 %) plus a 2 % fit error, and 5 us.
    f, delays = np.array([100.0]), []
    for az in (10.0, 30.0, 45.0):
        v = fit_virtualizer(RigidSphere(), azimuth_deg=az, n_freqs=96)
        kuhn = 3 * A / C * np.sin(np.deg2rad(az))
        assert_allclose(phase_delay(pair_ratio(v, f), f), kuhn, atol=0.046 * kuhn + 5e-6)
        delays.append(v.delay_s)
    assert np.all(np.diff(delays) > 0)


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("az", [0.0, 90.0, 120.0, -30.0, np.nan])
def test_azimuth_out_of_range_is_refused(az):
    with pytest.raises(ValueError, match="azimuth_deg"):
        fit_virtualizer(RigidSphere(), azimuth_deg=az)
    with pytest.raises(ValueError, match="azimuth_deg"):
        exact_relative_response(RigidSphere(), [100.0], azimuth_deg=az)


@pytest.mark.parametrize("head", ["sphere", None, RigidSphere])
def test_non_head_is_refused(head):
    with pytest.raises(TypeError, match="head"):
        fit_virtualizer(head)
    with pytest.raises(TypeError, match="head"):
        exact_relative_response(head, [100.0])


@pytest.mark.parametrize(
    "freq_range", [(0.0, 16000.0), (100.0, 24000.0), (100.0, 30000.0), (4000.0, 100.0),
                   (-10.0, 100.0), (100.0,), (np.nan, 1000.0)])  # fmt: skip
def test_freq_range_outside_the_band_is_refused(freq_range):
    with pytest.raises(ValueError, match="freq_range"):
        fit_virtualizer(RigidSphere(), freq_range=freq_range)


@pytest.mark.parametrize(
    "kwargs, name", [({"lowpass_order": 0}, "lowpass_order"), ({"n_freqs": 8}, "n_freqs"),
                     ({"allpass_order": 5}, "allpass_order"), ({"distance": 0.05}, "distance"),
                     ({"distance": -3.0}, "distance"), ({"fs": 0.0}, "fs"),
                     ({"c": np.nan}, "c")])  # fmt: skip
def test_bad_fit_options_are_refused(kwargs, name):
    with pytest.raises(ValueError, match=f"^{name} must"):
        fit_virtualizer(RigidSphere(), **kwargs)


def test_non_integer_order_is_refused():
    with pytest.raises(TypeError, match="lowpass_order"):
        fit_virtualizer(RigidSphere(), lowpass_order=2.0)


def test_bad_stereo_and_fs_are_refused(sphere):
    x = np.zeros((2, 100))
    with pytest.raises(ValueError, match="stereo"):
        apply_virtualizer(sphere, np.where(np.arange(100) == 7, np.nan, x), FS)
    with pytest.raises(ValueError, match="stereo"):
        apply_virtualizer(sphere, np.zeros((3, 100)), FS)
    with pytest.raises(ValueError, match="stereo"):
        apply_virtualizer(sphere, np.zeros(100), FS)
    with pytest.raises(ValueError, match="fs"):
        apply_virtualizer(sphere, x, 44100.0)
    with pytest.raises(TypeError, match="virtualizer"):
        apply_virtualizer("design", x, FS)
    with pytest.raises(TypeError, match="virtualizer"):
        fir_filters(None)
    with pytest.raises(ValueError, match="n_taps"):
        fir_filters(sphere, n_taps=4)
    with pytest.raises(ValueError, match="freqs"):
        iir_response(sphere, [100.0, np.nan])


def test_virtualizer_refuses_inconsistent_fields(sphere):
    fields = dict(sos_ipsi=sphere.sos_ipsi, sos_contra=sphere.sos_contra, delay_s=sphere.delay_s,
                  fs=FS, azimuth_deg=30.0, freqs=sphere.freqs, h_rel=sphere.h_rel,
                  params=sphere.params, fit_error=sphere.fit_error)  # fmt: skip
    assert_array_equal(Virtualizer(**fields).delay_fir, sphere.delay_fir)
    with pytest.raises(ValueError, match="sos_ipsi"):  # a low-pass is not all-pass
        Virtualizer(**{**fields, "sos_ipsi": sphere.sos_contra})
    with pytest.raises(ValueError, match="sos_contra"):  # pole outside the unit circle
        Virtualizer(**{**fields, "sos_contra": [[1.0, 0.0, 0.0, 1.0, -2.0, 0.0]]})
    with pytest.raises(ValueError, match="delay_s"):
        Virtualizer(**{**fields, "delay_s": -1e-4})
    with pytest.raises(ValueError, match="h_rel"):
        Virtualizer(**{**fields, "h_rel": sphere.h_rel[:-1]})
    with pytest.raises(ValueError, match="azimuth_deg"):
        Virtualizer(**{**fields, "azimuth_deg": 95.0})
    with pytest.raises(AttributeError):
        sphere.delay_s = 0.0
