"""Tests of experiments.figures: each figure's physics, and that make_all writes the seven PNGs.

Every result is computed once per module (fixtures); make_all is then given them, so the file
computes each figure once. References are independent of the code under test where they can be:
geometry from the positions, the textbook ITD formulas (docs/references.md), the target curve, the
component powers of the synthetic mixture, the diffuse-field critical-distance formula, and the
beam levels recomputed from the azimuth transfer matrix.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from experiments.figures import (  # noqa: E402
    FIGURES,
    beams,
    crosstalk,
    ctc_filters,
    geometry,
    make_all,
    phantom_centre,
    room_impact,
    signal_flow,
)

C = 343.0
A = 0.0875  # the default rigid-sphere head radius


@pytest.fixture(scope="module")
def results():
    """Every figure's default result, computed once (the make_all test reuses them)."""
    return {stem: module.compute() for stem, module in FIGURES.items()}


def _db(x):
    return 20 * np.log10(np.abs(x))


# --- figure 1 ----------------------------------------------------------------------------------


def test_fig1_virtual_pair_at_30_deg_and_device_subtends_a_small_angle(results):
    r = results["fig1_geometry"]
    head = r.listener_position
    to_device = (r.device_position - head) / np.linalg.norm(r.device_position - head)
    to_virtual = r.virtual_positions - head
    dist = np.linalg.norm(to_virtual, axis=1)
    # The angle between "towards the device" (the listener faces it) and each virtual speaker,
    # from the positions alone: 30 deg each, to rounding.
    angles = np.rad2deg(np.arccos(to_virtual @ to_device / dist))
    assert_allclose(angles, 30.0, atol=1e-9)
    assert_allclose(r.virtual_azimuths_deg, [30.0, -30.0], atol=1e-9)
    # Equilateral triangle: each speaker at the device's distance, and as far from the other.
    assert_allclose(dist, r.distance_m, rtol=1e-12)
    assert_allclose(np.linalg.norm(np.diff(r.virtual_positions, axis=0)), r.distance_m, rtol=1e-12)
    # The "left" virtual speaker is on the listener's left: nearer the left ear.
    ears = r.scene.listener.ear_positions
    near = np.linalg.norm(r.virtual_positions[:, None] - ears[None], axis=2)
    assert near[0, 0] < near[0, 1] and near[1, 1] < near[1, 0]
    # Small angle: between the side drivers' 2 atan(0.0875 / 2) = 5.01 deg and the bound of a
    # sphere holding every driver, 2 asin(max |p| / d).
    extent = np.max(np.linalg.norm(r.scene.device.positions, axis=1))
    lower, upper = 2 * np.rad2deg(np.arctan(A / 2.0)), 2 * np.rad2deg(np.arcsin(extent / 2.0))
    assert lower - 1e-9 <= r.device_subtended_deg <= upper + 1e-9
    assert r.device_subtended_deg < 6.0  # 5.9 deg measured: the whole box within +-3 deg
    assert np.all(np.abs(r.driver_azimuths_deg) <= r.device_subtended_deg / 2 + 1e-9)


# --- figure 2 ----------------------------------------------------------------------------------


def test_fig2_fit_error_is_what_the_virtualizer_reports(results):
    r = results["fig2_crosstalk_simulation"]
    # The figure's error is B/A re H_rel on the fit's own grid: its extremes are the report's.
    assert_allclose(np.max(np.abs(r.error_db)), r.fit_error["max_db"], rtol=1e-9)
    assert_allclose(np.max(np.abs(r.error_us)), r.fit_error["max_us"], rtol=1e-9)
    assert_allclose(np.sqrt(np.mean(r.error_db**2)), r.fit_error["rms_db"], rtol=1e-9)
    assert r.fit_error["max_db_200_4k"] < 1.0  # 0.80 dB measured (the module's doctest bound)
    # The curve drawn at 30 deg is the virtualizer's own target.
    k = int(np.flatnonzero(r.azimuths_deg == r.virtual_azimuth_deg)[0])
    assert_allclose(r.relative[k], r.target, rtol=1e-12)
    # The ipsilateral path is an all-pass.
    assert_allclose(np.abs(r.allpass), 1.0, atol=1e-12)


def test_fig2_relative_response_delay_is_the_itd(results):
    r = results["fig2_crosstalk_simulation"]
    # Low frequency (100 Hz): Kuhn's 3 (a/c) sin(theta); measured within 0.8 % (the 3 m
    # source distance and ka = 0.16 are not quite the limit): tolerance 2 %.
    assert_allclose(r.phase_delay_s[:, 0], 3 * A / C * np.sin(np.deg2rad(r.azimuths_deg)),
                    rtol=0.02)  # fmt: skip
    # High frequency (4-8 kHz group delay): Woodworth's (a/c)(theta + sin theta); measured
    # within 3.2 % (creeping-wave ripple): tolerance 5 %.
    band = (r.freqs >= crosstalk.HIGH_BAND_HZ[0]) & (r.freqs <= crosstalk.HIGH_BAND_HZ[1])
    theta = np.deg2rad(r.azimuths_deg)
    assert_allclose(np.mean(r.group_delay_s[:, band], axis=1), A / C * (theta + np.sin(theta)),
                    rtol=0.05)  # fmt: skip
    # The fitted pure delay is the high-frequency ITD at 30 deg (269 us vs 261 us).
    assert_allclose(r.delay_s, A / C * (np.pi / 6 + 0.5), rtol=0.05)


# --- figure 3 ----------------------------------------------------------------------------------


def test_fig3_contralateral_drops_by_the_target_and_rtf_rebuilds(results):
    from design.chain import midrange_target_db

    r = results["fig3_ctc_filters"]
    f = r.freqs
    mid = (f >= 500) & (f <= 4000)
    assert_allclose(r.target_db, midrange_target_db(f), atol=0)
    # Minimum effort puts the contralateral level on its bound: 20 dB below the ipsilateral
    # ear in the midrange, to the solver's tolerance (measured 20.000000-20.000006 dB).
    assert_allclose(r.separation_db[:, mid], 20.0, atol=0.01)
    # ... while each driver alone separates the ears by 0.4-1.5 dB there: a drop of > 18 dB.
    assert np.all(r.plain_separation_db[:, mid] < 2.0)
    assert np.all(r.plain_separation_db[:, mid] > 0.0)
    # The ipsilateral ear gets the delayed unit response (an equality constraint).
    delayed = np.exp(-2j * np.pi * f * r.delay_samples / r.fs)
    assert_allclose(r.response[0, 0], delayed, atol=1e-6)
    assert_allclose(r.response[1, 1], delayed, atol=1e-6)
    # H W recomputed from the plant and the filters.
    assert_allclose(np.einsum("edf,dif->eif", r.plant, r.filters), r.response, atol=1e-12)
    # RTF form: W = R C, R of the reference = 1, and R = W_d / W_ref wherever not floored.
    ref = r.drivers.index(r.reference_driver)
    assert_allclose(r.ratios * r.channel[None], r.filters, rtol=1e-12, atol=0)
    assert np.all(r.ratios[ref] == 1)
    assert_allclose(r.ratios[1 - ref], r.filters[1 - ref] / r.filters[ref], rtol=1e-12)


# --- figure 4 ----------------------------------------------------------------------------------


def test_fig4_beam_raises_drr_and_critical_distance(results):
    r = results["fig4_room_impact"]
    beam, mixing = 0, 1
    # evaluate()'s centre-path DRR at the listener: -2.8 dB against -6.7 dB measured.
    assert r.drr_db[beam] > r.drr_db[mixing] + 2.0
    assert r.directivity_factor[beam] > r.directivity_factor[mixing]
    assert r.critical_distance_m[beam] > r.critical_distance_m[mixing]
    # r_c = sqrt(Q A / (16 pi)) in one room: the ratio is sqrt(Q ratio), exactly.
    assert_allclose(r.critical_distance_m[beam] / r.critical_distance_m[mixing],
                    np.sqrt(r.directivity_factor[beam] / r.directivity_factor[mixing]),
                    rtol=1e-12)  # fmt: skip
    # docs/references.md: r_c = 0.057 sqrt(Q V / T60); 0.057 is sqrt(24 ln 10 / (16 pi c)) = 0.0566
    # rounded, so 1 %.
    assert_allclose(
        r.critical_distance_m,
        0.057 * np.sqrt(r.directivity_factor * r.volume_m3 / r.t60_s),
        rtol=0.01,
    )
    # Exact direct / reflected split: in the beam's octaves (1 and 2 kHz) the beam's reflected
    # level drops against its direct sound by 3.7 and 6.5 dB more than matrix mixing's.
    drr_band = r.direct_db - r.reflected_db
    k = [list(r.bands_hz).index(b) for b in (1000.0, 2000.0)]
    assert np.all(drr_band[beam, k] > drr_band[mixing, k] + 3.0)
    # The chain's centre is calibrated as a point source at the listener's distance: its
    # direct sound at the ears is 1 / (4 pi 2 m) = -28.0 dB re 1 Pa in every band above 100 Hz.
    assert_allclose(r.direct_db[beam], _db(1 / (4 * np.pi * r.listener_distance_m)), atol=0.5)
    assert np.all((r.band_iacc > 0) & (r.band_iacc <= 1))
    assert np.max(r.etc_db) == 0.0


# --- figure 5 ----------------------------------------------------------------------------------


def test_fig5_null_beam_has_side_nulls_and_matrix_mixing_does_not(results):
    r = results["fig5_beamforming"]
    az = r.azimuths_deg
    on, left, right = (int(np.argmin(np.abs(az - a))) for a in (0.0, 90.0, -90.0))
    # Levels recomputed from the transfer matrix and the weights, not from beam_metrics.
    y = np.einsum("asf,bsf->baf", r.tm.H, r.weights)
    sides = _db(y[:, [left, right]] / y[:, [on]])  # (beam, side, f)
    mixing, beam = 0, 1
    # The null beam holds both nulls at least 20 dB below on-axis (solver tolerance 0.05 dB).
    assert np.all(sides[beam] <= -r.null_depth_target_db + 0.05)
    # Matrix mixing has no nulls: -0.2 to -5.5 dB at the sides measured.
    assert np.all(sides[mixing] > -10.0)
    assert_allclose(r.null_depth_db, np.max(sides, axis=1), atol=1e-9)
    # The null beam is the more directive below 2 kHz (DI 6.0 against 1.3-4.0 dB).
    low = r.freqs <= 2000
    assert np.all(r.directivity_index_db[beam, low] > r.directivity_index_db[mixing, low] + 1.0)
    # Drawn from its RTF form: weights = ratios x channel, the reference's ratio 1.
    ref = r.tm.sources.index(r.reference_driver)
    assert_allclose(r.weights[beam], r.rtf_ratios * r.rtf_channel, rtol=1e-12)
    assert np.all(r.rtf_ratios[ref] == 1)
    # Matrix mixing: equal real gains summing to 1.
    assert_allclose(r.weights[mixing].sum(axis=0), 1.0, atol=1e-12)


# --- figure 6 ----------------------------------------------------------------------------------


def test_fig6_centre_sdr_and_leakage(results):
    r = results["fig6_phantom_centre"]
    sdr = dict(zip(r.methods, r.sdr_db, strict=True))
    leak_mix = dict(zip(r.methods, r.leakage_mix_db, strict=True))
    leak_alone = dict(zip(r.methods, r.leakage_alone_db, strict=True))
    powers = {k: 10 ** (v / 10) for k, v in r.component_mid_db.items()}
    # passive C = M: SDR = -10 log10(sum of the other parts' mid powers re the voice), 3.73 dB,
    # from the known parts (tests/design/test_upmix.py; 0.3 dB for their finite-length overlap).
    assert_allclose(sdr["passive"], -10 * np.log10(sum(powers.values())), atol=0.3)
    # side_decorrelated: above test_upmix's floor (4.5 dB) and passive, below the ambience
    # oracle (15.0 dB); 6.35 dB measured.
    assert 4.5 <= sdr["side_decorrelated"] <= -10 * np.log10(powers["ambience"])
    assert sdr["side_decorrelated"] > sdr["passive"] + 0.5
    # A hard-panned source alone leaves the centre: M = +-S, C = 0 to the power floor
    # (-157 dB measured), far below -30 dB; passive keeps half its amplitude (-6.02 dB).
    assert np.all(leak_alone["side_decorrelated"] < -30.0)
    assert_allclose(leak_alone["passive"], 20 * np.log10(0.5), atol=1e-6)
    # In the mixture the projection leakage stays well below passive's -6 dB (-18.6 and
    # -16.4 dB measured; the regression's finite averaging leaves some).
    assert np.all(leak_mix["side_decorrelated"] < -12.0)
    assert_allclose(leak_mix["passive"], 20 * np.log10(0.5), atol=0.3)


# --- figure 7 ----------------------------------------------------------------------------------


def test_fig7_paths_aligned_and_left_path_like_a_30_deg_loudspeaker(results):
    r = results["fig7_signal_flow"]
    # Left path at the left ear, right path at the right ear, centre at both: one latency, to
    # a sample (the designed latency is 779.7 samples; the peaks are at 780).
    for e, p in ((0, 0), (1, 1), (0, 2), (1, 2)):
        assert abs(r.peaks[e, p] - r.latency_samples) <= 1.0
    f = r.freqs
    mid = (f >= 500) & (f <= 4000)
    rel = r.response[1, 0, mid] / r.response[0, 0, mid]
    pair = r.pair[1, 0, mid] / r.pair[0, 0, mid]
    # Level: the chain reproduces the virtualizer's B/A up to the CTC's residual crosstalk,
    # at most 20 log10(1 + 10^(-20/20) / |B/A|) dB (tests/design/test_chain.py), and B/A
    # (fitted at 3 m) differs from the loudspeaker pair's (2 m) by its own amount; 0.2 dB for
    # the FIR and the solver. Measured: 1.7 dB at most.
    virt = np.abs(r.virtual[mid])
    bound = 20 * np.log10(1 + 0.1 / virt) + np.abs(_db(r.virtual[mid] / pair)) + 0.2
    assert np.all(np.abs(_db(rel / pair)) <= bound)
    assert np.max(np.abs(_db(rel / pair))) < 2.5
    # Interaural delay, 500 Hz - 1.5 kHz: the chain's 298 us against the pair's 333 us mean
    # phase delay (the CTC's -20 dB residual and the fit's distance): 15 %. Played plainly the
    # drivers (+-2.5 deg) would give under 40 us.
    low = f[mid] <= 1500
    w = 2 * np.pi * f[mid]
    itd = -np.unwrap(np.angle(rel)) / w
    itd_pair = -np.unwrap(np.angle(pair)) / w
    assert_allclose(np.mean(itd[low]), np.mean(itd_pair[low]), rtol=0.15)
    # The centre reaches both ears alike (a phantom centre in front).
    assert_allclose(r.response[0, 2], r.response[1, 2], rtol=1e-6, atol=0)


# --- plotting and files ------------------------------------------------------------------------


def test_make_all_writes_seven_pngs(results, tmp_path):
    written = make_all(tmp_path, progress=False, dpi=60, results=results)
    names = [p.name for p in written]
    assert names == [f"fig{k}_{n}.png" for k, n in enumerate(
        ("geometry", "crosstalk_simulation", "ctc_filters", "room_impact", "beamforming",
         "phantom_centre", "signal_flow"), start=1)]  # fmt: skip
    for path in written:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 15_000, path.name  # a drawn figure, not an empty canvas
    assert plt.get_fignums() == []  # make_all closes what it opens


def test_plot_draws_on_given_axes(results):
    r = results["fig3_ctc_filters"]
    fig, axes = plt.subplots(1, 3)
    assert ctc_filters.plot(r, ax=axes) == list(axes)
    fig1, ax1 = plt.subplots()
    assert geometry.plot(results["fig1_geometry"], ax=ax1) is ax1
    with pytest.raises(TypeError, match="ax"):
        ctc_filters.plot(r, ax=axes[:2])
    with pytest.raises(TypeError, match="result"):
        beams.plot(r)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: geometry.compute(base_deg=95.0), ValueError, "base_deg"),
        (lambda: geometry.compute("scene"), TypeError, "scene"),
        (lambda: crosstalk.compute(azimuths_deg=[0.0, 30.0]), ValueError, "azimuths_deg"),
        (lambda: crosstalk.compute(head="sphere"), TypeError, "head"),
        (lambda: ctc_filters.compute(drivers=("left", "nope")), ValueError, "drivers"),
        (lambda: ctc_filters.compute(n_fft=63), ValueError, "n_fft"),
        (lambda: beams.compute(freqs=[1000.0, np.nan]), ValueError, "freqs"),
        (lambda: beams.compute(azimuth_step_deg=7.0), ValueError, "azimuth_step_deg"),
        (lambda: phantom_centre.compute(excerpt_s=5.0), ValueError, "excerpt_s"),
        (lambda: room_impact.compute(fs=-1.0), ValueError, "fs"),
        (lambda: signal_flow.compute(fs=float("nan")), ValueError, "fs"),
        (lambda: make_all("/nonexistent/dir", progress=False), ValueError, "outdir"),
        (lambda: make_all(".", progress=False, results={"fig9": None}), ValueError, "results"),
    ],
)
def test_bad_inputs_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()
