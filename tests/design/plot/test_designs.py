"""Tests of design.plot: what each plot draws, that it uses a given Axes, and input checks."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import QuadMesh  # noqa: E402
from matplotlib.projections.polar import PolarAxes  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from acoustics.freefield import sphere_transfer  # noqa: E402
from acoustics.scene import azimuth_transfer, default_scene, ear_transfer  # noqa: E402
from acoustics.sources.presets import smart_speaker  # noqa: E402
from design.filters.beamforming import beam_metrics, delay_and_sum, matrix_mixing  # noqa: E402
from design.filters.ctc import regularized  # noqa: E402
from design.filters.fir import FilterSet, to_fir  # noqa: E402
from design.filters.solvers import condition_number  # noqa: E402
from design.plot import (  # noqa: E402
    plot_beam_map,
    plot_beam_metrics,
    plot_beam_polar,
    plot_cancellation,
    plot_condition_number,
    plot_filters,
)

FS = 48000.0
FREQS = np.fft.rfftfreq(62, 1 / FS)  # 32 bins, 0 Hz to 24 kHz in 774 Hz steps
BEAM_FREQS = np.geomspace(500.0, 4000.0, 32)
AZIMUTHS = np.arange(-180.0, 180.0, 10.0)


@pytest.fixture(scope="module")
def ears():
    return ear_transfer(default_scene(), FREQS)


@pytest.fixture(scope="module")
def design(ears):
    return regularized(ears, beta=1e-4, delay_samples=16.0, fs=FS)


@pytest.fixture(scope="module")
def beams():
    return azimuth_transfer(smart_speaker(), AZIMUTHS, BEAM_FREQS)


@pytest.fixture(scope="module")
def sphere():
    return sphere_transfer(smart_speaker(), BEAM_FREQS, n_elevations=8)


def _drawn(ax):
    """Lines drawn on ax, without the 0 Hz bin: {label: (x, y)}."""
    return {line.get_label(): (line.get_xdata(), line.get_ydata()) for line in ax.get_lines()}


# --------------------------------------------------------------------------- plot_cancellation


def test_cancellation_separation_lines_and_target(design):
    target = np.linspace(0.0, 20.0, FREQS.size)
    ax = plot_cancellation(design, target_db=target)
    lines = _drawn(ax)
    assert set(lines) == {"left input", "right input", "target $T(f)$"}
    x, y = lines["left input"]
    assert_allclose(x, FREQS[1:])  # 0 Hz skipped on the log axis
    assert_allclose(y, design.separation_db[0, 1:], rtol=1e-12)
    assert_allclose(lines["right input"][1], design.separation_db[1, 1:], rtol=1e-12)
    assert_allclose(lines["target $T(f)$"][1], target[1:])
    assert ax.get_xscale() == "log"
    assert "dB" in ax.get_ylabel() and ax.get_title() == ""
    assert ax.get_legend().get_title().get_text() == "regularized"


def test_cancellation_levels_draw_ipsi_and_contra_per_input(design):
    ax = plot_cancellation(design, kind="levels", target_db=lambda f: np.full(f.shape, 20.0))
    lines = _drawn(ax)
    assert len(lines) == 4 + 1
    ipsi = lines["left input at left ear (ipsilateral)"][1]
    contra = lines["left input at right ear (contralateral)"][1]
    assert_allclose(ipsi, 20 * np.log10(np.abs(design.response[0, 0, 1:])), rtol=1e-12)
    assert_allclose(contra, 20 * np.log10(np.abs(design.response[1, 0, 1:])), rtol=1e-12)
    assert_allclose(lines["contralateral target $-T(f)$"][1], -20.0)
    assert "dB re 1 Pa per unit input" in ax.get_ylabel()


def test_cancellation_limit_clips_exact_inversion(ears):
    # An exact inversion has separation of a few hundred dB (round-off): drawn at the limit.
    exact = regularized(ears, fs=FS)
    assert np.all(exact.separation_db[:, 1:] > 100)
    ax = plot_cancellation(exact, limit_db=60.0)
    for label in ("left input", "right input"):
        assert_allclose(_drawn(ax)[label][1], 60.0)
    ax = plot_cancellation(exact, kind="levels", limit_db=60.0)
    assert_allclose(_drawn(ax)["left input at right ear (contralateral)"][1], -60.0)


def test_cancellation_uses_given_axes(design):
    fig, (ax1, ax2) = plt.subplots(1, 2)
    assert plot_cancellation(design, ax=ax2) is ax2
    assert len(ax2.get_lines()) == 2 and len(ax1.get_lines()) == 0


def test_cancellation_bad_input(design, ears):
    with pytest.raises(TypeError, match="design"):
        plot_cancellation(ears)
    with pytest.raises(ValueError, match="kind"):
        plot_cancellation(design, kind="phase")
    with pytest.raises(ValueError, match="target_db"):
        plot_cancellation(design, target_db=np.zeros(5))
    with pytest.raises(ValueError, match="target_db"):
        plot_cancellation(design, target_db=np.full(FREQS.size, np.nan))
    with pytest.raises(ValueError, match="limit_db"):
        plot_cancellation(design, limit_db=-3.0)
    with pytest.raises(TypeError, match="ax"):
        plot_cancellation(design, ax="axes")


# --------------------------------------------------------------------------- plot_condition_number


def test_condition_number_db_and_linear(ears):
    ax = plot_condition_number(ears)
    (line,) = ax.get_lines()
    assert_allclose(line.get_xdata(), FREQS[1:])
    assert_allclose(line.get_ydata(), 20 * np.log10(condition_number(ears.H)[1:]), rtol=1e-12)
    assert line.get_label() == "smart_speaker: 2 receivers x 5 sources"
    assert ax.get_xscale() == "log" and "dB" in ax.get_ylabel()
    ax = plot_condition_number(ears, scale="linear", label="five drivers")
    assert ax.get_yscale() == "log"
    assert_allclose(ax.get_lines()[0].get_ydata(), condition_number(ears.H)[1:], rtol=1e-12)


def test_condition_number_overlays_on_given_axes(ears):
    _, ax = plt.subplots()
    plot_condition_number(ears, ax=ax, label="five drivers")
    out = plot_condition_number(ears.select(sources=["left", "right"]), ax=ax, label="pair")
    assert out is ax
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["five drivers", "pair"]


def test_condition_number_bad_input(ears):
    with pytest.raises(TypeError, match="tm"):
        plot_condition_number(ears.H)
    with pytest.raises(ValueError, match="scale"):
        plot_condition_number(ears, scale="log")
    with pytest.raises(TypeError, match="label"):
        plot_condition_number(ears, label=3)
    with pytest.raises(ValueError, match="tm.freqs"):
        plot_condition_number(ears.__class__(ears.H[..., :1], [0.0], ears.receivers, ears.sources))


# --------------------------------------------------------------------------- beams


def test_beam_map_is_normalised_to_on_axis(beams):
    w = matrix_mixing(beams)
    ax = plot_beam_map(beams, w, db_range=30.0)
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    level = np.asarray(mesh.get_array()).reshape(BEAM_FREQS.size, AZIMUTHS.size)
    on = int(np.nonzero(np.sort(AZIMUTHS) == 0.0)[0][0])
    assert_allclose(level[:, on], 0.0, atol=1e-9)  # every frequency: 0 dB on-axis
    top = max(0.0, float(level.max()))
    assert_allclose(mesh.get_clim(), (top - 30.0, top))
    assert ax.get_yscale() == "log"
    assert ax.figure.axes[-1].get_ylabel() == "level (dB re on-axis)"  # the colorbar
    assert "matrix_mixing" in [t.get_text() for t in ax.texts]


def test_beam_map_accepts_weight_arrays_and_given_axes(beams):
    _, ax = plt.subplots()
    w = delay_and_sum(beams).W[:, 0, :]
    assert plot_beam_map(beams, w, ax=ax) is ax
    assert plot_beam_map(beams, np.ones(5)).collections  # one weight per driver


def test_beam_polar_draws_one_line_per_frequency_at_0_db_on_axis(beams):
    freqs_hz = [500.0, 1000.0, 4000.0]
    ax = plot_beam_polar(beams, delay_and_sum(beams), freqs_hz, db_range=30.0)
    assert isinstance(ax, PolarAxes)
    lines = ax.get_lines()
    assert len(lines) == len(freqs_hz)
    for line in lines:
        theta, r = line.get_xdata(), line.get_ydata()
        assert_allclose(r[np.argmin(np.abs(theta))], 0.0, atol=1e-9)  # theta 0 = on-axis
        assert np.all(r >= -30.0 - 1e-9)
    assert ax.get_theta_offset() == pytest.approx(np.pi / 2)  # 0 deg at the top
    assert "delay_and_sum" in ax.get_legend().get_title().get_text()


def test_beam_polar_uses_given_polar_axes(beams):
    _, ax = plt.subplots(subplot_kw={"projection": "polar"})
    assert plot_beam_polar(beams, matrix_mixing(beams), 1000.0, ax=ax) is ax
    assert len(ax.get_lines()) == 1


def test_beam_plots_bad_input(beams, ears):
    w = matrix_mixing(beams)
    with pytest.raises(TypeError, match="tm"):
        plot_beam_map(beams.H, w)
    with pytest.raises(ValueError, match="tm"):
        plot_beam_map(ears, np.ones(5))  # not an azimuth transfer matrix
    no_front = azimuth_transfer(smart_speaker(), np.arange(5.0, 360.0, 10.0), BEAM_FREQS)
    with pytest.raises(ValueError, match="azimuth 0"):
        plot_beam_map(no_front, np.ones(5))
    with pytest.raises(ValueError, match="filters"):
        plot_beam_map(beams, np.ones(3))
    with pytest.raises(ValueError, match="filters"):
        plot_beam_map(beams, np.full(5, np.nan))
    with pytest.raises(ValueError, match="filters"):
        plot_beam_map(beams, np.zeros(5))  # silent on-axis: cannot normalise
    other = matrix_mixing(azimuth_transfer(smart_speaker(), AZIMUTHS, BEAM_FREQS[:4]))
    with pytest.raises(ValueError, match="filters"):
        plot_beam_map(beams, other)
    with pytest.raises(ValueError, match="db_range"):
        plot_beam_map(beams, w, db_range=0.0)
    with pytest.raises(TypeError, match="ax"):
        plot_beam_polar(beams, w, 1000.0, ax=plt.subplots()[1])  # not polar
    with pytest.raises(ValueError, match="freqs_hz"):
        plot_beam_polar(beams, w, 20000.0)


def test_beam_metrics_lines(beams, sphere):
    m = beam_metrics(beams, delay_and_sum(beams), sphere=sphere)
    ax = plot_beam_metrics(m, BEAM_FREQS)
    lines = _drawn(ax)
    assert list(lines) == [
        "directivity index (re omnidirectional)",
        "white-noise gain (re one driver)",
        "null depth at ±90° (re on-axis)",
    ]
    assert_allclose(lines["directivity index (re omnidirectional)"][1], m.directivity_index_db)
    assert_allclose(lines["white-noise gain (re one driver)"][1], m.white_noise_gain_db)
    assert_allclose(lines["null depth at ±90° (re on-axis)"][1], m.null_depth_db)
    assert ax.get_xscale() == "log" and "re omni" in ax.get_ylabel()
    # Without a sphere there is no directivity index: two lines.
    _, given = plt.subplots()
    no_di = beam_metrics(beams, delay_and_sum(beams))
    assert plot_beam_metrics(no_di, BEAM_FREQS, ax=given) is given
    assert len(given.get_lines()) == 2


def test_beam_metrics_bad_input(beams):
    m = beam_metrics(beams, delay_and_sum(beams))
    with pytest.raises(TypeError, match="metrics"):
        plot_beam_metrics({"white_noise_gain_db": 0}, BEAM_FREQS)
    with pytest.raises(ValueError, match="freqs"):
        plot_beam_metrics(m, BEAM_FREQS[:-1])
    with pytest.raises(ValueError, match="freqs"):
        plot_beam_metrics(m, np.full(BEAM_FREQS.size, np.nan))


# --------------------------------------------------------------------------- plot_filters


def test_filters_magnitude_one_line_per_driver_and_input(design):
    ax = plot_filters(design.filters)
    lines = _drawn(ax)
    assert len(lines) == 5 * 2
    x, y = lines["tweeter <- right"]
    assert_allclose(x, FREQS[1:])
    assert_allclose(y, 20 * np.log10(np.abs(design.filters.W[3, 1, 1:])), rtol=1e-12)
    assert ax.get_ylabel() == "filter magnitude (dB re 1)" and ax.get_xscale() == "log"
    colours = {line.get_label(): line.get_color() for line in ax.get_lines()}
    ax = plot_filters(design.filters, drivers=["right", "left"], inputs=["left"])
    assert list(_drawn(ax)) == ["right <- left", "left <- left"]
    # A driver keeps its colour when others are left out.
    assert [line.get_color() for line in ax.get_lines()] == [
        colours["right <- left"],
        colours["left <- left"],
    ]
    assert colours["right <- left"] != colours["left <- left"]


def test_filters_phase_removes_a_given_delay():
    # A pure delay of 5 samples: unwrapped phase -2 pi f 5 / fs, zero once the delay is removed.
    f = np.fft.rfftfreq(64, 1 / FS)
    pure = FilterSet(np.exp(-2j * np.pi * f * 5 / FS)[None, None], f, FS, ("x",), ("d",))
    ax = plot_filters(pure, kind="phase")
    assert_allclose(ax.get_lines()[0].get_ydata(), -2 * np.pi * f[1:] * 5 / FS, atol=1e-9)
    ax = plot_filters(pure, kind="phase", delay_samples=5)
    assert_allclose(ax.get_lines()[0].get_ydata(), 0.0, atol=1e-9)
    assert "5-sample delay removed" in ax.get_ylabel()


@pytest.mark.filterwarnings("ignore:to_fir keeps only")  # a short FIR of a plotting fixture
def test_filters_fir_impulse_and_response(design):
    fir = to_fir(design.filters, 32, delay=0)
    ax = plot_filters(fir, kind="impulse", inputs=["left"])
    lines = ax.get_lines()
    assert len(lines) == 5
    assert_allclose(lines[0].get_xdata(), np.arange(32) / FS * 1e3)  # ms
    assert_allclose(lines[0].get_ydata(), fir.h[0, 0])
    assert ax.get_xlabel() == "time (ms)"
    # An FIR set's magnitude is its DTFT on a fine rfft grid: the taps of a one-sample delay
    # give exactly 0 dB.
    one = type(fir)(np.eye(4)[None, None, 1], FS, ("x",), ("d",))
    _, given = plt.subplots()
    assert plot_filters(one, ax=given) is given
    assert_allclose(given.get_lines()[0].get_ydata(), 0.0, atol=1e-12)


def test_filters_bad_input(design):
    with pytest.raises(TypeError, match="filters"):
        plot_filters(design)
    with pytest.raises(ValueError, match="kind"):
        plot_filters(design.filters, kind="group delay")
    with pytest.raises(ValueError, match="impulse"):
        plot_filters(design.filters, kind="impulse")  # a FilterSet has no taps
    with pytest.raises(ValueError, match="drivers"):
        plot_filters(design.filters, drivers=["subwoofer"])
    with pytest.raises(TypeError, match="inputs"):
        plot_filters(design.filters, inputs="left")
    with pytest.raises(ValueError, match="delay_samples"):
        plot_filters(design.filters, kind="phase", delay_samples=np.nan)
    with pytest.raises(TypeError, match="ax"):
        plot_filters(design.filters, ax=1)
