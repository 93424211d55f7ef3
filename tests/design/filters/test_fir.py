"""Tests of design.filters.fir: FIR realisation, DTFT, minimum phase, RTF form, latency and
alignment.

Independent references: scipy.signal.butter / freqz / lfilter / group_delay for responses,
impulse responses and group delays; zero reflection (np.roots / np.poly) for minimum phase;
closed-form energies for truncation errors.
"""

import numpy as np
import pytest
import scipy.signal as ss
from numpy.testing import assert_allclose, assert_array_equal

import design.filters.fir as fir_module
from design.filters.fir import (
    FilterSet,
    FIRFilterSet,
    RTFForm,
    align_paths,
    frequency_response,
    from_rtf,
    path_latency,
    to_fir,
    to_rtf,
)

FS = 48000.0


def grid(n_fft):
    return np.fft.rfftfreq(n_fft, 1.0 / FS)


def delay_response(freqs, samples):
    """e^{-j 2 pi f m / fs}: a delay of m samples in the e^{+j w t} convention."""
    return np.exp(-2j * np.pi * np.asarray(freqs) * samples / FS)


def one(W, freqs, inputs=("x",), drivers=("d",)):
    return FilterSet(
        np.asarray(W)[None, None] if np.ndim(W) == 1 else W, freqs, FS, inputs, drivers
    )


def butter_lowpass(order, fc):
    return ss.butter(order, fc, fs=FS)


def impulse(b, a, n):
    return ss.lfilter(b, a, np.r_[1.0, np.zeros(n - 1)])


# --------------------------------------------------------------------------------------------
# to_fir: delays and truncation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("window", ["hann", "tukey", None])
def test_pure_delays_become_single_taps_at_the_right_samples(window):
    f = grid(256)
    delays = np.array([[0, 3], [7, 11]])
    gains = np.array([[1.0, -0.5], [2.0, 0.25]])
    W = gains[..., None] * delay_response(f, delays[..., None])
    fir = to_fir(FilterSet(W, f, FS, ("l", "r"), ("a", "b")), 64, window=window)
    expected = np.zeros((2, 2, 64))
    for d in range(2):
        for i in range(2):
            expected[d, i, 32 + delays[d, i]] = gains[d, i]  # default delay n_taps // 2 = 32
    # Only rounding of the FFTs remains: the set's one window is flat from the modelling delay to
    # the latest filter's energy centroid (here [32, 43]), so no tap is tapered.
    assert_allclose(fir.h, expected, atol=1e-13)
    assert fir.meta["window_flat"] == [32, 43]
    assert fir.latency_samples == 32.0
    assert fir.truncation_error.max() < 1e-28


def test_acausal_content_is_brought_in_by_the_modelling_delay_or_reported_as_lost():
    f = grid(256)
    advance = one(delay_response(f, -5.0), f)  # 5 samples early: acausal
    for window in ("hann", None):  # the flat part of the window reaches back to the energy at 15
        h = to_fir(advance, 64, delay=20, window=window).h[0, 0]
        assert_allclose(h, np.eye(64)[15], atol=1e-13)
    # 40 samples early with a 32-sample modelling delay: the impulse lies at -8, wraps to the end
    # of the circular response and is outside the kept taps: all energy is lost.
    with pytest.warns(UserWarning, match="keeps only 0.0 %"):
        lost = to_fir(one(delay_response(f, -40.0), f), 64)
    assert_allclose(lost.truncation_error, [[1.0]], rtol=1e-12)


def test_truncation_error_is_the_energy_outside_the_kept_taps():
    # Impulses of amplitude 1 at 0 and 0.5 at 100; 64 taps keep the first: lost 0.25 of 1.25.
    f = grid(256)
    with pytest.warns(UserWarning, match="keeps only 80.0 %"):
        fir = to_fir(one(1.0 + 0.5 * delay_response(f, 100.0), f), 64, delay=0, window=None)
    assert_allclose(fir.truncation_error, [[0.2]], rtol=1e-12)
    assert_allclose(fir.h[0, 0], np.eye(64)[0], atol=1e-13)


@pytest.mark.parametrize("window", ["hann", "tukey", None])
def test_butterworth_round_trip_within_the_bound_set_by_the_reported_error(window):
    n_fft, n_taps, delay = 1024, 128, 16
    b, a = butter_lowpass(2, 2000.0)
    f = grid(n_fft)
    _, H = ss.freqz(b, a, worN=f, fs=FS)
    fir = to_fir(one(H, f), n_taps, delay=delay, window=window)

    # The reported approximation error, checked against the independent impulse response:
    # ||taps - h_ideal||^2 / ||h_ideal||^2 with h_ideal the lfilter response delayed by 16.
    ideal = np.r_[np.zeros(delay), impulse(b, a, n_fft - delay)]
    taps = np.r_[fir.h[0, 0], np.zeros(n_fft - n_taps)]
    energy = np.sum(ideal**2)
    err = fir.approximation_error[0, 0]
    # rtol: the pole radius 0.83 leaves a tail below 1e-80 beyond n_fft, so only the floor of
    # double rounding (relative to err, up to ~1e-18 / err) separates the two numbers.
    assert_allclose(np.sum((taps - ideal) ** 2) / energy, err, rtol=1e-6, atol=1e-20)

    # Tolerance from the error: |dH(f)| <= ||dh||_1 <= sqrt(n_fft) ||dh||_2 (Cauchy-Schwarz over
    # the n_fft samples where dh lives), ||dh||_2 = sqrt(err * energy).
    tol = np.sqrt(n_fft * err * energy) + 1e-12
    dense = np.linspace(0.0, FS / 2, 997)  # not an rfft grid: exercises the direct DTFT
    _, H_dense = ss.freqz(b, a, worN=dense, fs=FS)
    got = frequency_response(fir, dense).W[0, 0]
    dev = np.max(np.abs(got - H_dense * delay_response(dense, delay)))
    assert dev <= tol
    # The bound is informative: errors of order 1e-2 (hann), 1e-5 (tukey), 1e-8 (none).
    assert tol < {"hann": 0.05, "tukey": 1e-5, None: 1e-7}[window]


def test_frequency_response_matches_scipy_freqz_on_and_off_the_rfft_grid(monkeypatch):
    rng = np.random.default_rng(1)
    h = rng.standard_normal((2, 3, 40))
    fir = FIRFilterSet(h, FS, ("a", "b", "c"), ("p", "q"))
    monkeypatch.setattr(fir_module, "_DTFT_BLOCK", 40 * 7)  # several blocks of 7 bins
    for f in (grid(128), np.sort(rng.uniform(0, FS / 2, 50))):
        got = frequency_response(fir, f)
        for d in range(2):
            for i in range(3):
                _, ref = ss.freqz(h[d, i], 1, worN=f, fs=FS)
                assert_allclose(got.W[d, i], ref, rtol=1e-11, atol=1e-11)
        assert got.inputs == fir.inputs and got.drivers == fir.drivers


# --------------------------------------------------------------------------------------------
# minimum phase
# --------------------------------------------------------------------------------------------


def test_minimum_phase_equals_zero_reflection_of_a_mixed_phase_fir():
    # Zeros at 2 and -1.5 (outside) and 0.5 e^{+-j} (inside). The minimum-phase filter of the same
    # magnitude reflects the outside zeros to 1/z* and scales by |2 * 1.5| = 3 (independent of
    # the cepstrum). Cepstral aliasing decays like (2/3)^n with n ~ 8 * 64 / 2: negligible.
    zeros = np.array([2.0, 0.5 * np.exp(1j), 0.5 * np.exp(-1j), -1.5])
    h_mixed = np.real(np.poly(zeros))
    f = grid(64)
    _, H = ss.freqz(h_mixed, 1, worN=f, fs=FS)
    W = H * delay_response(f, 9.0)  # extra excess phase, irrelevant to the magnitude
    fir = to_fir(one(W, f), 8, minimum_phase=True, window=None)
    reflected = np.where(np.abs(zeros) > 1, 1 / np.conj(zeros), zeros)
    expected = 3.0 * np.real(np.poly(reflected))
    assert_allclose(fir.h[0, 0, :5], expected, atol=1e-12)
    assert_allclose(fir.h[0, 0, 5:], 0.0, atol=1e-12)
    assert np.all(np.abs(np.roots(fir.h[0, 0, :5])) < 1.0)
    assert fir.latency_samples == 0.0
    assert_allclose(np.abs(frequency_response(fir, f).W[0, 0]), np.abs(H), rtol=1e-10)


def test_minimum_phase_of_a_delayed_iir_is_the_iir_itself():
    # (1 - 0.5 z^-1) / (1 - 0.9 z^-1) is minimum phase; a 30-sample delay adds only excess phase.
    b, a = [1.0, -0.5], [1.0, -0.9]
    f = grid(1024)
    _, H = ss.freqz(b, a, worN=f, fs=FS)
    fir = to_fir(one(H * delay_response(f, 30.0), f), 128, minimum_phase=True, window=None)
    long = impulse(b, a, 4096)
    # Taps equal the lfilter response to rounding (cepstral aliasing ~ 0.9^4096 / 4096).
    assert_allclose(fir.h[0, 0], long[:128], atol=1e-12)
    # The reported truncation error is the energy of the IIR tail beyond 128 samples.
    tail = np.sum(long[128:] ** 2) / np.sum(long**2)
    assert_allclose(fir.truncation_error[0, 0], tail, rtol=1e-6)


def test_minimum_phase_of_random_firs_has_zeros_inside_and_the_same_magnitude():
    rng = np.random.default_rng(7)
    h = rng.standard_normal((3, 1, 10))
    f = grid(128)
    W = np.fft.rfft(h, 128, axis=-1) * delay_response(f, 20.0)
    fir = to_fir(FilterSet(W, f, FS, ("x",), ("a", "b", "c")), 16, minimum_phase=True, window=None)
    for d in range(3):
        taps = fir.h[d, 0, :10]
        assert np.max(np.abs(np.roots(taps))) < 1.0
        # Minimum phase concentrates energy earliest among all filters of the same magnitude.
        assert np.all(np.cumsum(taps**2) >= np.cumsum(h[d, 0] ** 2) - 1e-9)
    # Both remaining errors are cepstral aliasing, which decays like r^(n_cep / 2) for a zero of
    # radius r (here up to 0.98 after reflection; n_cep = 8 * 128): taps beyond the 10th stay
    # below 1e-6 (energy ~1e-13) and the magnitude within 1e-8 relative (measured 1.2e-10).
    got = np.abs(frequency_response(fir, f).W)
    assert_allclose(got, np.abs(W), rtol=1e-8)
    assert_allclose(fir.h[..., 10:], 0.0, atol=1e-6)
    assert fir.truncation_error.max() < 1e-10


def test_minimum_phase_of_a_pure_delay_is_a_unit_impulse():
    f = grid(256)
    fir = to_fir(one(delay_response(f, 37.0), f), 32, minimum_phase=True)
    assert_allclose(fir.h[0, 0], np.eye(32)[0], atol=1e-12)


# --------------------------------------------------------------------------------------------
# RTF form
# --------------------------------------------------------------------------------------------


def random_set(seed=3, n_drivers=3, n_inputs=2, n_freqs=33):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n_drivers, n_inputs, n_freqs)) + 1j * rng.standard_normal(
        (n_drivers, n_inputs, n_freqs)
    )
    return FilterSet(W, grid(64), FS, ("left", "right"), ("a", "mid", "b"), {"design": "test"})


def test_rtf_round_trip_is_exact_and_the_reference_ratio_is_one():
    fset = random_set()
    rtf = to_rtf(fset, reference_driver="mid")
    assert_array_equal(rtf.ratios[1], np.ones((2, 33)))
    assert_array_equal(rtf.channel, fset.W[1])
    back = from_rtf(rtf)
    assert_array_equal(back.W[1], fset.W[1])
    # Division then multiplication: two roundings of complex products, ~4 ulp.
    assert_allclose(back.W, fset.W, rtol=1e-15 * 4)
    assert back.inputs == fset.inputs and back.drivers == fset.drivers
    assert rtf.meta["n_floored_total"] == 0
    # Ear-independent meaning: ratio d is W_d / W_ref, so ratio * ref rebuilds the other drivers.
    assert_allclose(rtf.ratios[0] * fset.W[1], fset.W[0], rtol=1e-15 * 4)


def test_rtf_floor_limits_ratio_gain_and_reports_floored_bins():
    W = np.array(random_set().W)
    peak = np.abs(W[1, 0]).max()
    W[1, 0, 5] = 1e-9 * peak * np.exp(0.3j)  # below the 1e-6 floor
    W[1, 0, 7] = 0.0
    peak = np.abs(W[1, 0]).max()
    fset = FilterSet(W, grid(64), FS, ("left", "right"), ("a", "mid", "b"))
    rtf = to_rtf(fset, reference_driver="mid", floor=1e-6)
    assert_array_equal(rtf.meta["n_floored"], [2, 0])
    eps = 1e-6 * peak
    assert_allclose(rtf.meta["floor_abs"][0], eps)
    # Floored: divided by eps with the reference's phase (phase 0 where it is exactly 0).
    assert_allclose(rtf.ratios[0, 0, 5], W[0, 0, 5] / (eps * np.exp(0.3j)), rtol=1e-14)
    assert_allclose(rtf.ratios[2, 0, 7], W[2, 0, 7] / eps, rtol=1e-14)
    others = rtf.ratios[[0, 2]][:, 0, [5, 7]]
    assert np.all(np.abs(others) <= np.abs(W[[0, 2]][:, 0, [5, 7]]) / eps * (1 + 1e-12))
    back = from_rtf(rtf).W
    assert_allclose(back[0, 0, 5], W[0, 0, 5] * 1e-3, rtol=1e-12)  # |W_ref| / eps = 1e-3
    assert_allclose(back[:, 0, 7], [0, 0, 0], atol=0)
    keep = np.ones(33, bool)
    keep[[5, 7]] = False
    assert_allclose(back[:, 0, keep], W[:, 0, keep], rtol=4e-15)
    assert_allclose(back[:, 1], W[:, 1], rtol=4e-15)


def test_rtf_refuses_unknown_or_silent_reference_and_bad_floor():
    fset = random_set()
    with pytest.raises(ValueError, match="reference_driver 'sub' not found"):
        to_rtf(fset, reference_driver="sub")
    with pytest.raises(ValueError, match="reference_driver"):
        to_rtf(fset, reference_driver=1)
    with pytest.raises(ValueError, match="floor"):
        to_rtf(fset, reference_driver="a", floor=2.0)
    W = np.array(fset.W)
    W[0, 1] = 0.0
    silent = FilterSet(W, fset.freqs, FS, fset.inputs, fset.drivers)
    with pytest.raises(ValueError, match=r"reference_driver 'a' .*all-zero.*\['right'\]"):
        to_rtf(silent, reference_driver="a")
    with pytest.raises(ValueError, match="ratios"):
        RTFForm(W[0], np.ones((3, 2, 33)) * 2, fset.freqs, FS, fset.inputs, fset.drivers, "a")
    with pytest.raises(TypeError, match="filters"):
        to_rtf(W, reference_driver="a")


# --------------------------------------------------------------------------------------------
# latency and alignment
# --------------------------------------------------------------------------------------------


def test_path_latency_is_the_power_weighted_group_delay_of_scipy():
    b, a = butter_lowpass(4, 3000.0)
    h = impulse(b, a, 256)
    fir = FIRFilterSet(h[None, None], FS, ("x",), ("d",))
    w = np.linspace(0, np.pi, 20001)
    w = w[:-50]  # the 4th-order zero at Nyquist makes scipy's group delay singular there
    _, gd = ss.group_delay((h, [1.0]), w=w)
    _, H = ss.freqz(h, 1, worN=w)
    p = np.abs(H) ** 2
    full = np.trapezoid(gd * p, w) / np.trapezoid(p, w)
    # Uniform-grid trapezoid of a smooth periodic integrand: error far below 1e-6 samples.
    assert_allclose(path_latency(fir), full, atol=1e-6)
    assert_allclose(path_latency(fir), np.sum(np.arange(256) * h**2) / np.sum(h**2), atol=1e-9)
    band = w <= 2 * np.pi * 1500 / FS
    in_band = np.trapezoid(gd[band] * p[band], w[band]) / np.trapezoid(p[band], w[band])
    # The estimator sums 4096-point FFT bins in the band (Riemann sum, bin 11.7 Hz): edge terms of
    # relative size ~ bin / band ~ 1e-2 on a delay that varies by ~1 sample across the band.
    assert_allclose(path_latency(fir, band=(0.0, 1500.0)), in_band, atol=2e-2)
    # The FilterSet estimator (phase differences of adjacent bins) agrees on a 1024-point grid.
    on_grid = frequency_response(fir, grid(1024))
    assert_allclose(path_latency(on_grid), full, atol=1e-3)
    assert_allclose(path_latency(on_grid, band=(0.0, 1500.0)), in_band, atol=3e-2)


def test_path_latency_of_a_pure_delay_is_exact():
    h = np.zeros((2, 1, 64))
    h[0, 0, 17] = 1.0
    h[1, 0, 17] = -3.0
    fir = FIRFilterSet(h, FS, ("x",), ("a", "b"))
    assert_allclose(path_latency(fir), 17.0, atol=1e-12)
    assert_allclose(path_latency(fir, band=(1000.0, 5000.0)), 17.0, atol=1e-12)
    assert_allclose(path_latency(frequency_response(fir, grid(256))), 17.0, atol=1e-12)


def delayed_paths(delays, n_taps=96):
    """Three paths of two drivers: a shared smooth low-pass delayed by the given samples."""
    b, a = butter_lowpass(2, 4000.0)
    base = impulse(b, a, n_taps - 41)
    paths = []
    for name, d in zip(("L", "R", "C"), delays, strict=True):
        h = np.zeros((2, 1, n_taps))
        h[0, 0, d : d + base.size] = base
        h[1, 0, d : d + base.size] = -0.5 * base
        paths.append(FIRFilterSet(h, FS, (name,), ("left", "right"), float(d)))
    return paths, base


def test_align_paths_equalises_integer_latencies():
    paths, base = delayed_paths((3, 17, 40))
    own = np.sum(np.arange(base.size) * base**2) / np.sum(base**2)  # latency of the low-pass
    assert_allclose([path_latency(p) for p in paths], np.array([3, 17, 40]) + own, atol=1e-9)
    aligned = align_paths(paths)
    lat = [path_latency(p) for p in aligned]
    assert_allclose(lat, 40 + own, atol=1e-9)
    assert [p.meta["align_delay_samples"] for p in aligned] == [37, 23, 0]
    assert_allclose([p.meta["residual_samples"] for p in aligned], 0.0, atol=1e-9)
    assert [p.latency_samples for p in aligned] == [40.0, 40.0, 40.0]
    assert {p.h.shape for p in aligned} == {(2, 1, 96 + 37)}
    peaks = [np.argmax(np.abs(p.h), axis=-1) for p in aligned]
    assert all(np.array_equal(pk, peaks[0]) for pk in peaks)
    # Summation per driver now works: the three inputs stack on the input axis.
    assert np.concatenate([p.h for p in aligned], axis=1).shape == (2, 3, 133)


def test_align_paths_reports_the_fractional_residual():
    # Fractional delays designed in the frequency domain (a 4th-order low-pass keeps the
    # fractional-delay sinc short). The estimator recovers the delay differences, and alignment
    # leaves exactly the rounding residuals -0.3 and +0.2 samples.
    n_fft = 512
    f = grid(n_fft)
    b, a = butter_lowpass(4, 8000.0)
    _, B = ss.freqz(b, a, worN=f, fs=FS)
    delays = (3.3, 17.8, 40.0)
    paths = [to_fir(one(B * delay_response(f, d), f, inputs=(n,), drivers=("a",)), 128, delay=16)
             for n, d in zip("LRC", delays, strict=True)]  # fmt: skip
    lat = np.array([path_latency(p) for p in paths])
    # Windowing and the Nyquist-bin rounding perturb the centroid by ~1e-3 samples.
    assert_allclose(lat - lat[2], np.array(delays) - 40.0, atol=5e-3)
    aligned = align_paths(paths)
    assert [p.meta["align_delay_samples"] for p in aligned] == [37, 22, 0]
    residual = np.array([p.meta["residual_samples"] for p in aligned])
    assert_allclose(residual, [-0.3, 0.2, 0.0], atol=5e-3)
    after = np.array([path_latency(p) for p in aligned])
    assert np.all(np.abs(after - lat.max()) <= 0.5)  # each within half a sample of the slowest
    assert np.ptp(after) < 1.0  # hence all within one sample of each other
    assert_allclose(after, lat.max() - residual, atol=1e-9)


def test_align_paths_with_known_latencies_and_bad_paths():
    paths, _ = delayed_paths((0, 10, 5))
    aligned = align_paths(paths, latencies=[p.latency_samples for p in paths])
    assert [p.meta["align_delay_samples"] for p in aligned] == [10, 0, 5]
    other = FIRFilterSet(np.zeros((3, 1, 8)), FS, ("x",), ("a", "b", "c"))
    with pytest.raises(ValueError, match=r"paths must share fs and drivers; paths\[1\]"):
        align_paths([paths[0], other])
    with pytest.raises(TypeError, match=r"paths\[1\]"):
        align_paths([paths[0], "C"])
    with pytest.raises(TypeError, match="paths"):
        align_paths([])
    with pytest.raises(TypeError, match="paths"):
        align_paths(paths[0])
    with pytest.raises(ValueError, match="latencies"):
        align_paths(paths, latencies=[1.0, 2.0])


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def test_filter_sets_validate_and_are_immutable():
    f = grid(8)
    W = np.ones((2, 1, 5), complex)
    fset = FilterSet(W, f, FS, ("x",), ("a", "b"))
    W[0, 0, 0] = 7.0
    assert fset.W[0, 0, 0] == 1.0  # copied
    with pytest.raises(ValueError):
        fset.W[0, 0, 0] = 2.0  # read-only
    bad = np.array(W)
    bad[1, 0, 2] = np.nan
    cases = [
        (ValueError, "W", dict(W=bad)),
        (ValueError, "W", dict(W=np.ones((2, 5)))),
        (ValueError, "freqs", dict(freqs=f[:4])),
        (ValueError, "freqs", dict(freqs=f[::-1])),
        (ValueError, "freqs", dict(freqs=f * 4)),  # beyond fs / 2
        (ValueError, "fs", dict(fs=-1.0)),
        (ValueError, "inputs", dict(inputs=("x", "y"))),
        (ValueError, "drivers", dict(drivers=("a", "a"))),
        (TypeError, "drivers", dict(drivers="ab")),
        (TypeError, "meta", dict(meta=[1])),
    ]
    base = dict(W=W, freqs=f, fs=FS, inputs=("x",), drivers=("a", "b"))
    for exc, name, change in cases:
        with pytest.raises(exc, match=name):
            FilterSet(**{**base, **change})
    with pytest.raises(TypeError, match="h"):
        FIRFilterSet(np.ones((1, 1, 4), complex), FS, ("x",), ("a",))
    with pytest.raises(ValueError, match="h"):
        FIRFilterSet(np.full((1, 1, 4), np.nan), FS, ("x",), ("a",))
    with pytest.raises(ValueError, match="h"):
        FIRFilterSet(np.ones((1, 4)), FS, ("x",), ("a",))
    with pytest.raises(ValueError, match="latency_samples"):
        FIRFilterSet(np.ones((1, 1, 4)), FS, ("x",), ("a",), -1.0)


def test_to_fir_and_frequency_response_refuse_bad_arguments():
    f = grid(64)
    fset = one(np.ones(33), f)
    with pytest.raises(ValueError, match=r"filters.freqs must be the rfft grid"):
        to_fir(one(np.ones(33), np.linspace(0, 20000, 33)), 16)
    with pytest.raises(ValueError, match="n_taps"):
        to_fir(fset, 65)
    with pytest.raises(ValueError, match="n_taps"):
        to_fir(fset, 0)
    with pytest.raises(TypeError, match="n_taps"):
        to_fir(fset, 16.0)
    with pytest.raises(ValueError, match="delay"):
        to_fir(fset, 16, delay=-1)
    with pytest.raises(ValueError, match="delay"):
        to_fir(fset, 16, delay=16)
    with pytest.raises(ValueError, match="window"):
        to_fir(fset, 16, window="hamming")
    with pytest.raises(TypeError, match="filters"):
        to_fir(np.ones((1, 1, 33)), 16)
    fir = to_fir(fset, 16)
    with pytest.raises(ValueError, match="freqs"):
        frequency_response(fir, [0.0, 30000.0])
    with pytest.raises(ValueError, match="freqs"):
        frequency_response(fir, [0.0, np.nan])
    with pytest.raises(TypeError, match="fir"):
        frequency_response(fset, f)
    with pytest.raises(ValueError, match="band"):
        path_latency(fir, band=(5000.0, 100.0))
    with pytest.raises(ValueError, match="band"):
        path_latency(fset, band=(100.0, 200.0))  # no pair of bins inside
    with pytest.raises(TypeError, match="filters"):
        path_latency(np.ones(4))
    with pytest.raises(ValueError, match="silent"):
        path_latency(FIRFilterSet(np.zeros((1, 1, 4)), FS, ("x",), ("a",)))


def test_filter_sets_carry_softened_constraints_and_a_phase_centre():
    # softened maps each constraint that became an objective to its per-bin shortfall.
    w = np.ones((2, 1, 3), dtype=complex)
    f = FilterSet(w, [0.0, 1e3, 2e3], 48000.0, ("c",), ("a", "b"), softened={"null": [0, 1, 0]},
                  phase_centre=(0.1, 0.0, 0.0))  # fmt: skip
    assert_allclose(f.softened["null"], [0.0, 1.0, 0.0])
    assert_allclose(f.phase_centre, [0.1, 0.0, 0.0])
    assert not f.softened["null"].flags.writeable
    assert not FilterSet(w, [0.0, 1e3, 2e3], 48000.0, ("c",), ("a", "b")).softened
    with pytest.raises(ValueError, match="softened"):
        FilterSet(w, [0.0, 1e3, 2e3], 48000.0, ("c",), ("a", "b"), softened={"null": [0, 1]})
    with pytest.raises(ValueError, match="phase_centre"):
        FilterSet(w, [0.0, 1e3, 2e3], 48000.0, ("c",), ("a", "b"), phase_centre=(0.1, 0.0))
