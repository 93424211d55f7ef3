"""Tests of design.render.upmix: LRC upmix methods, PCA panning gain, synthetic mixture and scores.

Independent references: closed-form consequences of each estimator for single panned sources
(C = M, C = 0, C = w(psi) M) worked out by hand in the comments; component powers of the mixture
(computed from its known parts, not from the upmix) for the passive SDR and the oracle SDRs that
bound the adaptive methods; eigenvector perturbation theory (Anderson, Ann. Math. Stat. 34(1), 1963)
for the spread of the PCA panning-gain estimate.

Run with ``-s`` to see each method's centre SDR and leakage.
"""

import dataclasses

import numpy as np
import pytest
import scipy.signal as ss
from numpy.testing import assert_allclose

from design.render.upmix import (
    Mixture,
    UpmixParams,
    _centre_spectrum,
    centre_sdr,
    leakage_db,
    pca_panning_gain,
    pca_panning_gain_from_covariance,
    synthetic_mixture,
    upmix_lrc,
)

FS = 48000.0
METHODS = ("passive", "side_decorrelated", "pca", "similarity")
XI = UpmixParams().panning_width  # default Gaussian window variance (0.02)


@pytest.fixture(scope="module")
def mix():
    return synthetic_mixture(FS, 4.0, seed=0)


@pytest.fixture(scope="module")
def results(mix):
    return {m: upmix_lrc(mix.stereo, FS, method=m) for m in METHODS}


def level_db(x, ref):
    return 10.0 * np.log10(np.sum(np.square(x)) / np.sum(np.square(ref)))


def mid_powers(mix):
    """Power of each component's mid signal relative to the voice's (from the known parts)."""
    pv = np.sum(mix.centre_reference**2)
    return {k: np.sum(img.mean(axis=0) ** 2) / pv for k, img in mix.images.items() if k != "voice"}


# --------------------------------------------------------------------------------------------
# Re-summation and single sources
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("gain", [1.0, 0.7])
def test_outputs_resum_to_the_input(mix, method, gain):
    L, R, C = upmix_lrc(mix.stereo, FS, method=method, centre_gain=gain)
    assert L.shape == R.shape == C.shape == (mix.stereo.shape[1],)
    # the sides are defined as input - g C, so only rounding (~1e-16 x peak) may remain
    assert_allclose(L + gain * C, mix.stereo[0], rtol=0, atol=1e-6)
    assert_allclose(R + gain * C, mix.stereo[1], rtol=0, atol=1e-6)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("stft", [(2048, 512), (1024, 512), (1000, 300)])
def test_centre_panned_source_gives_c_equal_to_mid(mix, method, stft):
    # L = R = v: S = 0 exactly, so beta S = 0 (side_decorrelated); psi = 1 and k = 1 give
    # w = 1 (similarity, pca); passive is C = M by definition. What remains is the STFT
    # round trip, perfect for any hop <= nperseg/2 (canonical dual window): ~1e-15 relative.
    v = mix.sources["voice"]
    L, R, C = upmix_lrc(np.stack([v, v]), FS, method=method, nperseg=stft[0], hop=stft[1])
    assert_allclose(C, v, rtol=0, atol=1e-6 * np.max(np.abs(v)))
    assert_allclose(L, 0.0, atol=1e-6 * np.max(np.abs(v)))


# float64 checks the frame grid, windows and FFT convention to rounding (1e-12 of the peak);
# float32 (the default) checks that the fast path computes the same thing: its rounding alone
# deviates by ~2e-7 of the peak (measured, module docstring), so 2e-6 admits rounding but no
# misplaced frame or window (an O(1) error).
PRECISION_TOL = {"float64": 1e-12, "float32": 2e-6}


@pytest.mark.parametrize("precision", ["float64", "float32"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("stft, n", [((2048, 512), 40000), ((1000, 300), 30001), ((64, 7), 5000),
                                     ((2048, 512), 1500)])  # fmt: skip
def test_batched_frames_equal_short_time_fft_stft_and_istft(mix, method, stft, n, precision):
    # upmix_lrc transforms ShortTimeFFT's frames itself, in chunks of 64 (the first three cases
    # span several chunks). Reference: scipy's own ShortTimeFFT.stft / istft, frame by frame, with
    # its default phase_shift (the centre is bin-wise, so the phase convention must not matter),
    # and the same centre estimator, in float64. In float64 both are the same sums of rounded
    # products: ~1e-15.
    nperseg, hop = stft
    x = mix.stereo[:, :n]
    L, R, C = upmix_lrc(x, FS, method=method, nperseg=nperseg, hop=hop, precision=precision)
    p = UpmixParams(method, nperseg, hop)
    sft = ss.ShortTimeFFT(ss.windows.hann(nperseg, sym=False), hop, FS)
    padded = np.pad(x, ((0, 0), (0, max(nperseg - n, 0))))  # stft needs >= nperseg/2 samples
    mid_side = np.stack([padded[0] + padded[1], padded[0] - padded[1]]) / 2.0
    spectra = np.swapaxes(sft.stft(mid_side), -1, -2)  # (2, n_frames, n_freqs)
    lam = np.exp(-hop / (FS * p.smoothing_s))
    centre = np.swapaxes(_centre_spectrum(spectra, p, lam), -1, -2)
    expected = sft.istft(centre, k1=padded.shape[1])[:n]
    assert_allclose(C, expected, rtol=0, atol=PRECISION_TOL[precision] * np.abs(x).max())
    assert_allclose(L, x[0] - C, rtol=0, atol=1e-15)  # the sides are formed in float64 always


@pytest.mark.parametrize("precision", ["float64", "float32"])
@pytest.mark.parametrize("n", [1, 100, 1500])
def test_input_shorter_than_a_window_is_padded_not_refused(n, precision):
    v = np.random.default_rng(n).standard_normal(n)
    tol = PRECISION_TOL[precision] * np.abs(v).max()  # as above: rounding of the round trip
    for method in METHODS:
        L, R, C = upmix_lrc(np.stack([v, v]), FS, method=method, precision=precision)
        assert_allclose(C, v, rtol=0, atol=tol)  # zero-padding keeps the STFT round trip exact


@pytest.mark.parametrize("name", ["left", "right"])
def test_hard_panned_source_leaves_the_centre(mix, name):
    s = mix.sources[name]
    image = np.outer(mix.gains[name], s)
    levels = {m: level_db(upmix_lrc(image, FS, method=m)[2], s) for m in METHODS}
    print(f"\nhard-panned {name!r} alone, C energy re input (dB): "
          + ", ".join(f"{m} {v:.1f}" for m, v in levels.items()))  # fmt: skip
    # side_decorrelated: M = +-S, so E[M S*] / E[|S|^2] = +-1 up to the 1e-12 power floor and C = 0
    assert levels["side_decorrelated"] < -30.0
    # passive: C = M = s/2 exactly -> 20 log10(1/2) = -6.02 dB
    assert_allclose(levels["passive"], 20 * np.log10(0.5), atol=1e-6)
    # similarity: Phi_LR = 0 -> psi = 0 -> C = exp(-1/(2 xi)) M; pca: u = [1, 0] (or [0, 1]) gives
    # the same weight on the primary's mid, s/2. Both: -6.02 dB + 20 log10(e^{-1/(2 xi)}).
    expected = 20 * np.log10(0.5 * np.exp(-1 / (2 * XI)))
    assert_allclose([levels["similarity"], levels["pca"]], expected, atol=0.01)


def test_part_panned_source_follows_each_estimators_closed_form(mix):
    s = mix.sources["part_panned"]
    image = np.outer((1.0, 0.5), s)
    mid = 0.75 * s
    tol = 1e-6 * np.max(np.abs(mid))
    # side_decorrelated: M = 3 S -> beta = 3 -> C = 0
    C = upmix_lrc(image, FS, method="side_decorrelated")[2]
    assert level_db(C, s) < -30.0
    # similarity: psi = 2 (1)(0.5) / (1 + 0.25) = 0.8 -> w = exp(-0.2^2 / (2 xi)); pca: k = 0.5,
    # psi_k = 2k / (1 + k^2) = 0.8 and the primary is the whole signal, whose mid is M
    for method in ("similarity", "pca"):
        C = upmix_lrc(image, FS, method=method)[2]
        assert_allclose(C, np.exp(-(0.2**2) / (2 * XI)) * mid, rtol=0, atol=tol)
    # shrunk regression: side/mid ratio r = 1/3 -> C = mu / (r^2 + mu) M
    mu = 0.03
    C = upmix_lrc(image, FS, side_regularization=mu)[2]
    assert_allclose(C, mu / (1 / 9 + mu) * mid, rtol=0, atol=tol)
    # ... and for a hard-panned source (r = 1): C = mu / (1 + mu) M, -36.7 dB re the input
    left = mix.sources["left"]
    C = upmix_lrc(np.stack([left, 0 * left]), FS, side_regularization=mu)[2]
    assert_allclose(C, mu / (1 + mu) * 0.5 * left, rtol=0, atol=1e-6 * np.max(np.abs(left)))


def test_params_dataclass_reproduces_a_run(mix):
    params = UpmixParams(method="similarity", nperseg=1024, hop=256, smoothing_s=0.1)
    a = upmix_lrc(mix.stereo[:, :24000], FS, **dataclasses.asdict(params))
    b = upmix_lrc(mix.stereo[:, :24000], FS, method="similarity", nperseg=1024, hop=256,
                  smoothing_s=0.1)  # fmt: skip
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.hop = 128


# --------------------------------------------------------------------------------------------
# PCA panning gain
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0.2, 1.0, 5.0])
def test_pca_panning_gain_recovers_k_with_the_predicted_spread(k):
    rng = np.random.default_rng(20140201)
    trials, n, amb = 40, 1 << 16, 0.1  # ambience power 0.1 (-10 dB) re the primary's
    p = rng.standard_normal((trials, n))
    a0, a1 = np.sqrt(amb) * rng.standard_normal((2, trials, n))
    est = pca_panning_gain(p + a0, k * p + a1)
    # Eigenvector perturbation (Anderson 1963): the principal direction theta = arctan k of a
    # sample covariance of N Gaussian samples has var(theta) = l1 l2 / (N (l1 - l2)^2), with
    # l1 = (1 + k^2) + amb, l2 = amb; dk = (1 + k^2) dtheta.
    l1, l2 = 1 + k**2 + amb, amb
    sigma = (1 + k**2) * np.sqrt(l1 * l2 / n) / (l1 - l2)
    err = est - k
    print(f"\nk = {k}: mean error {err.mean():+.2e}, std {err.std(ddof=1):.2e} "
          f"(theory {sigma:.2e}), max |error| {np.abs(err).max():.2e}")  # fmt: skip
    # exact in expectation: the mean of 40 trials lies within 4 standard errors of k
    assert_allclose(err.mean(), 0.0, atol=4 * sigma / np.sqrt(trials))
    # every single estimate within 5 sigma (P(miss) ~ 40 x 6e-7)
    assert_allclose(est, k, rtol=0, atol=5 * sigma)
    # the spread itself matches theory: a 40-sample std is good to ~11 %, so +-35 % is 3 sigma
    assert_allclose(err.std(ddof=1), sigma, rtol=0.35)


def test_pca_panning_gain_is_exact_without_ambience_and_keeps_phase():
    rng = np.random.default_rng(3)
    p = rng.standard_normal(4096) + 1j * rng.standard_normal(4096)
    for k in (0.2, 1.0, 5.0, 2.0 * np.exp(0.7j), 0.3 * np.exp(-1.1j)):
        assert_allclose(pca_panning_gain(p, k * p), k, rtol=1e-12)
    # r01 = 0: all power on channel 0 -> k = 0; on channel 1 -> k = inf
    assert pca_panning_gain_from_covariance(2.0, 0.0, 0.0) == 0.0
    assert np.isinf(pca_panning_gain_from_covariance(0.0, 2.0, 0.0))
    # batches along other axes
    assert pca_panning_gain(np.stack([p, p]), np.stack([0.2 * p, 5 * p])).shape == (2,)


# --------------------------------------------------------------------------------------------
# Mixture and scores
# --------------------------------------------------------------------------------------------


def test_mixture_parts_add_up_and_are_seeded():
    a = synthetic_mixture(16000.0, 1.0, seed=4)
    b = synthetic_mixture(16000.0, 1.0, seed=4)
    c = synthetic_mixture(16000.0, 1.0, seed=5)
    np.testing.assert_array_equal(a.stereo, b.stereo)
    assert not np.allclose(a.stereo, c.stereo)
    assert_allclose(sum(a.images.values()), a.stereo, atol=1e-12)
    assert_allclose(a.centre_reference, a.sources["voice"], atol=1e-15)
    for name, gains in a.gains.items():
        assert_allclose(a.images[name], np.outer(gains, a.sources[name]), atol=1e-15)
    # the ambience is decorrelated between channels (|rho| ~ 1/sqrt(n) for white-ish noise)
    amb = a.images["ambience"]
    assert abs(np.corrcoef(amb)[0, 1]) < 0.05
    assert not a.stereo.flags.writeable
    with pytest.raises(ValueError, match="stereo"):
        Mixture(FS, a.stereo[:, :-1], a.images, a.sources, a.gains, ("voice",))


def test_centre_sdr_and_leakage_on_constructed_signals():
    rng = np.random.default_rng(11)
    ref = rng.standard_normal(10000)
    e = rng.standard_normal(10000)
    e -= np.dot(e, ref) / np.dot(ref, ref) * ref  # orthogonal to ref
    e *= np.linalg.norm(ref) / np.linalg.norm(e) * 10 ** (-12.5 / 20)  # 12.5 dB below ref
    # SDR is invariant to the estimate's scale (optimal gain), and exact for orthogonal error
    for scale in (1.0, 0.3, -2.0):
        assert_allclose(centre_sdr(scale * (ref + e), ref), 12.5, atol=1e-9)
    assert_allclose(leakage_db(0.1 * ref + e, ref), -20.0, atol=1e-9)


def test_centre_sdr_on_the_mixture(mix, results):
    ref = mix.centre_reference
    sdr = {m: centre_sdr(results[m][2], ref) for m in METHODS}
    leak = {m: {k: leakage_db(results[m][2], mix.sources[k]) for k in ("left", "right")}
            for m in METHODS}  # fmt: skip
    print("\ncentre SDR (dB) / leakage of the hard-panned sources (dB, projection):")
    for m in METHODS:
        print(f"  {m:18s} SDR {sdr[m]:6.2f}   left {leak[m]['left']:6.1f}"
              f"   right {leak[m]['right']:6.1f}")  # fmt: skip
    powers = mid_powers(mix)
    # passive: C = M = voice + the mids of everything else, mutually uncorrelated, so
    # SDR = -10 log10(sum of their mid powers re the voice) = 3.73 dB. The finite-length parts
    # are orthogonal only to |rho| ~ 0.01 (shared pitches), i.e. ~0.1 dB: tolerance 0.3 dB.
    passive_pred = -10 * np.log10(sum(powers.values()))
    assert_allclose(sdr["passive"], passive_pred, atol=0.3)
    # Oracles from the known parts: removing only the hard-panned sources gives 7.6 dB;
    # removing every panned source (side_decorrelated in expectation) leaves the ambience's
    # mid, 15.0 dB.
    hard_removed = -10 * np.log10(powers["part_panned"] + powers["ambience"])
    # side_decorrelated: the per-bin regression over N_eff effective frames also fits 1/N_eff of
    # M's energy by chance. A one-pole average (lambda = exp(-512 / (48000 x 0.05)) = 0.81) over
    # Hann frames at 75 % overlap (adjacent-frame correlation 0.66) has N_eff ~ 5.4, so the
    # overfit alone caps SDR near 10 log10(5.4) = 7.3 dB; residual leakage (~-17 dB per source)
    # costs ~1-2 dB more: 4.7-6.7 dB over seeds 0-5. Floor: 4.5 dB, 0.8 dB above passive.
    assert 4.5 <= sdr["side_decorrelated"] <= -10 * np.log10(powers["ambience"])
    assert sdr["side_decorrelated"] > sdr["passive"] + 0.5
    # pca and similarity: w(psi = 0) = e^-25 removes the hard-panned sources, and the part-panned
    # one is cut by w(0.8) = e^-1; the mask costs the voice some energy where the sources
    # overlap. Floor: the hard-panned oracle (7.6 dB); measured 9.0-11.2 dB over seeds 0-5.
    for m in ("pca", "similarity"):
        assert hard_removed <= sdr[m] <= -10 * np.log10(powers["ambience"])
    # the projection leakage of the hard-panned sources is well below passive's -6 dB
    for m in ("side_decorrelated", "pca", "similarity"):
        assert max(leak[m].values()) < -12.0
    assert_allclose(list(leak["passive"].values()), 20 * np.log10(0.5), atol=0.3)


def test_coherent_reverb_defeats_the_plain_regression():
    # Reverberation of a held pitch is coherent with it inside a bin and slightly off-centre:
    # S = (H0 - H1) V / 2 is coherent with M, so beta = M / S and the plain regression removes the
    # voice with its reverb. The shrunk regression keeps bins with r^2 << mu at C ~ M.
    mix = synthetic_mixture(FS, 3.0, seed=1, ambience="reverb")
    ref = mix.centre_reference
    sdr = {m: centre_sdr(upmix_lrc(mix.stereo, FS, method=m)[2], ref) for m in METHODS}
    sdr["side_decorrelated mu=0.03"] = centre_sdr(
        upmix_lrc(mix.stereo, FS, side_regularization=0.03)[2], ref)  # fmt: skip
    print("\nreverberant ambience, centre SDR (dB): "
          + ", ".join(f"{m} {v:.2f}" for m, v in sdr.items()))  # fmt: skip
    assert sdr["side_decorrelated"] < sdr["passive"]
    assert sdr["side_decorrelated mu=0.03"] > sdr["passive"] + 1.0
    assert min(sdr["pca"], sdr["similarity"]) > sdr["passive"] + 3.0


# --------------------------------------------------------------------------------------------
# Bad inputs
# --------------------------------------------------------------------------------------------

GOOD = np.zeros((2, 4800))


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "name"),
    [
        ((np.array([[0.0, np.nan], [0.0, 0.0]]), FS), {}, ValueError, "stereo"),
        ((np.zeros(4800), FS), {}, ValueError, "stereo"),
        ((np.zeros((3, 4800)), FS), {}, ValueError, "stereo"),
        ((np.zeros((4800, 2)), FS), {}, ValueError, "stereo"),
        ((np.zeros((2, 0)), FS), {}, ValueError, "stereo"),
        ((GOOD + 1j, FS), {}, TypeError, "stereo"),
        ((GOOD, 0.0), {}, ValueError, "fs"),
        ((GOOD, -FS), {}, ValueError, "fs"),
        ((GOOD, "48k"), {}, TypeError, "fs"),
        ((GOOD, FS), {"method": "dolby"}, ValueError, "method"),
        ((GOOD, FS), {"method": 3}, TypeError, "method"),
        ((GOOD, FS), {"hop": 1025}, ValueError, "hop"),
        ((GOOD, FS), {"hop": 0}, ValueError, "hop"),
        ((GOOD, FS), {"nperseg": 512.0}, TypeError, "nperseg"),
        ((GOOD, FS), {"nperseg": True}, TypeError, "nperseg"),
        ((GOOD, FS), {"smoothing_s": 0.0}, ValueError, "smoothing_s"),
        ((GOOD, FS), {"centre_gain": -1.0}, ValueError, "centre_gain"),
        ((GOOD, FS), {"panning_width": np.nan}, ValueError, "panning_width"),
        ((GOOD, FS), {"side_regularization": -0.1}, ValueError, "side_regularization"),
        ((GOOD, FS), {"precision": "float16"}, ValueError, "precision"),
        ((GOOD, FS), {"precision": 32}, TypeError, "precision"),
    ],
)
def test_upmix_refuses_bad_input(args, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        upmix_lrc(*args, **kwargs)


def test_helpers_refuse_bad_input():
    x = np.ones(100)
    cases = [
        (lambda: synthetic_mixture(0.0, 1.0), ValueError, "fs"),
        (lambda: synthetic_mixture(4000.0, 1.0), ValueError, "fs"),
        (lambda: synthetic_mixture(FS, -1.0), ValueError, "duration_s"),
        (lambda: synthetic_mixture(FS, 1.0, seed=1.5), TypeError, "seed"),
        (lambda: synthetic_mixture(FS, 1.0, ambience="rain"), ValueError, "ambience"),
        (lambda: centre_sdr(x, np.ones(99)), ValueError, "reference"),
        (lambda: centre_sdr(np.ones((2, 100)), x), ValueError, "estimate"),
        (lambda: centre_sdr([np.nan] * 100, x), ValueError, "estimate"),
        (lambda: centre_sdr(x, np.zeros(100)), ValueError, "reference"),
        (lambda: leakage_db(x, np.zeros(100)), ValueError, "panned_component_mono"),
        (lambda: leakage_db([], []), ValueError, "c"),
        (lambda: pca_panning_gain(x, np.ones(99)), ValueError, "x1"),
        (lambda: pca_panning_gain([], []), ValueError, "x0"),
        (lambda: pca_panning_gain(x, [np.inf] * 100), ValueError, "x1"),
        (lambda: pca_panning_gain(["a"], ["b"]), TypeError, "x0"),
        (lambda: pca_panning_gain_from_covariance(-1.0, 1.0, 0.5), ValueError, "r00"),
        (lambda: pca_panning_gain_from_covariance(1.0, 1.0, np.nan), ValueError, "r01"),
    ]
    for call, exc, name in cases:
        with pytest.raises(exc, match=name):
            call()
