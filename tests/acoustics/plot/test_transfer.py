"""Tests of acoustics.plot: what each plot draws, that it uses a given Axes, and input checks."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import QuadMesh  # noqa: E402
from matplotlib.projections.polar import PolarAxes  # noqa: E402

from acoustics.heads import PointEars  # noqa: E402
from acoustics.plot import (  # noqa: E402
    level_reference,
    plot_level_map,
    plot_magnitude,
    plot_polar,
    plot_scene,
)
from acoustics.scene import (  # noqa: E402
    Scene,
    azimuth_transfer,
    default_scene,
    ear_transfer,
    listener_grid,
)
from acoustics.sources.presets import smart_speaker, soundbar  # noqa: E402
from acoustics.transfer import TransferMatrix  # noqa: E402

FREQS = np.fft.rfftfreq(256, 1 / 48000)  # 0 Hz to 24 kHz in 187.5 Hz steps
AZIMUTHS = np.arange(-180.0, 180.0, 10.0)


@pytest.fixture(scope="module")
def ears():
    return ear_transfer(default_scene(), FREQS)


@pytest.fixture(scope="module")
def beams():
    return azimuth_transfer(smart_speaker(), AZIMUTHS, FREQS)


# --------------------------------------------------------------------------- plot_magnitude


def test_magnitude_draws_one_line_per_pair_with_labels(ears):
    ax = plot_magnitude(ears)
    lines = ax.get_lines()
    assert len(lines) == 2 * 5
    labels = {line.get_label() for line in lines}
    assert "left <- left" in labels and "right <- tweeter" in labels
    assert ax.get_xscale() == "log"
    assert "dB re 1 Pa per unit source" in ax.get_ylabel()


def test_magnitude_skips_0hz_and_plots_20log10(ears):
    ax = plot_magnitude(ears, receivers=["right"], sources=["tweeter"])
    (line,) = ax.get_lines()
    x, y = line.get_data()
    np.testing.assert_array_equal(x, FREQS[1:])
    # The plot shows the data unchanged: compare with the level of the same bins computed here.
    np.testing.assert_allclose(y, 20 * np.log10(np.abs(ears.H[1, 3, 1:])), rtol=0, atol=1e-12)


def test_magnitude_uses_given_ax_and_floor(ears):
    fig, ax = plt.subplots()
    out = plot_magnitude(ears, sources=["woofer"], ax=ax, db_floor=-40.0)
    assert out is ax
    assert len(fig.axes) == 1
    for line in ax.get_lines():
        assert np.min(line.get_ydata()) >= -40.0
    assert ax.get_ylim()[0] == -40.0


def test_magnitude_zero_response_is_a_gap_not_a_warning():
    h = np.ones((1, 1, 4), dtype=complex)
    h[0, 0, 2] = 0.0  # a baffled piston behind its baffle is exactly zero
    tm = TransferMatrix(h, [0.0, 100.0, 200.0, 300.0], ("p",), ("s",))
    (line,) = plot_magnitude(tm).get_lines()
    assert np.isnan(line.get_ydata()[1])
    (line,) = plot_magnitude(tm, db_floor=-20.0).get_lines()
    assert line.get_ydata()[1] == -20.0


def test_magnitude_rejects_bad_inputs(ears):
    with pytest.raises(TypeError, match="tm"):
        plot_magnitude(np.ones((2, 1, 3)))
    with pytest.raises(ValueError, match="sources"):
        plot_magnitude(ears, sources=["subwoofer"])
    with pytest.raises(ValueError, match="receivers"):
        plot_magnitude(ears, receivers=["middle"])
    with pytest.raises(TypeError, match="ax"):
        plot_magnitude(ears, ax="axes")
    with pytest.raises(ValueError, match="db_floor"):
        plot_magnitude(ears, db_floor=float("nan"))
    only_dc = TransferMatrix(np.ones((1, 1, 1)), [0.0], ("p",), ("s",))
    with pytest.raises(ValueError, match="tm"):
        plot_magnitude(only_dc)


# --------------------------------------------------------------------------- plot_polar


def test_polar_one_line_per_frequency_on_polar_axes(beams):
    ax = plot_polar(beams, [500.0, 2000.0, 8000.0], source="left")
    assert isinstance(ax, PolarAxes)
    assert len(ax.get_lines()) == 3
    assert ax.get_theta_offset() == pytest.approx(np.pi / 2)  # 0 deg at the top
    assert ax.get_theta_direction() == 1  # counter-clockwise: +90 deg on the left
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["562 Hz", "2.06 kHz", "8.06 kHz"]


def test_polar_normalized_peak_is_0db_at_the_drivers_axis(beams):
    ax = plot_polar(beams, 8000.0, source="left", db_range=30)
    (line,) = ax.get_lines()
    theta, r = line.get_data()
    assert np.max(r) == pytest.approx(0.0)
    assert np.min(r) >= -30.0
    # The "left" driver faces the device's -y: its beam points to azimuth -90 deg (270 deg).
    assert np.rad2deg(theta[np.argmax(r)]) == pytest.approx(270.0)
    assert theta[-1] == pytest.approx(theta[0] + 2 * np.pi)  # full circle: the curve is closed


def test_polar_weights_sum_drivers(beams):
    n = len(beams.sources)
    w = np.zeros(n, dtype=complex)
    w[beams.sources.index("tweeter")] = 2.0
    weighted = plot_polar(beams, 1000.0, weights=w, normalize=False).get_lines()[0].get_ydata()
    single = plot_polar(beams, 1000.0, source="tweeter", normalize=False).get_lines()[0]
    # Doubling the only driver raises every level by 20 log10(2) = 6.02 dB.
    np.testing.assert_allclose(weighted - single.get_ydata(), 20 * np.log10(2.0), atol=1e-9)
    per_bin = np.repeat(w[:, None], beams.shape[2], axis=1)
    ax = plot_polar(beams, [1000.0, 3000.0], weights=per_bin)
    assert len(ax.get_lines()) == 2


def test_polar_uses_given_polar_ax_and_refuses_cartesian(beams):
    fig = plt.figure()
    ax = fig.add_subplot(projection="polar")
    assert plot_polar(beams, 1000.0, source="top", ax=ax) is ax
    _, flat = plt.subplots()
    with pytest.raises(TypeError, match="ax"):
        plot_polar(beams, 1000.0, source="top", ax=flat)


def test_polar_rejects_bad_inputs(beams, ears):
    with pytest.raises(ValueError, match="source"):
        plot_polar(beams, 1000.0, source="subwoofer")
    with pytest.raises(ValueError, match="source"):
        plot_polar(beams, 1000.0)  # five sources: which one?
    with pytest.raises(ValueError, match="freqs_hz"):
        plot_polar(beams, 30000.0, source="left")
    with pytest.raises(ValueError, match="freqs_hz"):
        plot_polar(beams, -5.0, source="left")
    with pytest.raises(ValueError, match="freqs_hz"):
        plot_polar(beams, [1000.0, np.nan], source="left")
    with pytest.raises(ValueError, match="weights"):
        plot_polar(beams, 1000.0, weights=np.ones(3))
    with pytest.raises(ValueError, match="weights"):
        plot_polar(beams, 1000.0, weights=np.ones((5, 7)))
    with pytest.raises(ValueError, match="weights"):
        plot_polar(beams, 1000.0, weights=np.full(5, np.nan))
    with pytest.raises(ValueError, match="source or weights"):
        plot_polar(beams, 1000.0, source="left", weights=np.ones(5))
    with pytest.raises(ValueError, match="db_range"):
        plot_polar(beams, 1000.0, source="left", db_range=0)
    with pytest.raises(ValueError, match="tm"):
        plot_polar(ears, 1000.0, source="left")  # ear responses have no azimuths
    with pytest.raises(TypeError, match="tm"):
        plot_polar("beams", 1000.0, source="left")


# --------------------------------------------------------------------------- plot_level_map


def test_level_map_draws_a_mesh_with_labelled_colorbar(beams):
    ax = plot_level_map(beams, source="tweeter")
    meshes = [c for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(meshes) == 1
    n_freqs_drawn = int(np.sum(FREQS > 0))
    assert meshes[0].get_array().shape == (n_freqs_drawn, AZIMUTHS.size)
    assert ax.get_yscale() == "log"
    assert "azimuth (deg" in ax.get_xlabel()
    colorbar = meshes[0].colorbar
    assert "dB re point source at device origin" in colorbar.ax.get_ylabel()
    lo, hi = meshes[0].get_clim()
    assert hi - lo == pytest.approx(40.0)


def test_level_map_uses_given_ax_and_weights(beams):
    fig, ax = plt.subplots()
    out = plot_level_map(beams, weights=np.ones(5), ax=ax, db_range=20, normalize=True)
    assert out is ax
    assert len(fig.axes) == 2  # the map and its colorbar
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    assert mesh.get_clim() == pytest.approx((-20.0, 0.0))
    assert "re maximum" in mesh.colorbar.ax.get_ylabel()


def test_level_map_rejects_bad_inputs(beams, ears):
    with pytest.raises(ValueError, match="source"):
        plot_level_map(beams, source="nope")
    with pytest.raises(ValueError, match="weights"):
        plot_level_map(beams, weights=np.ones((5, 2)))
    with pytest.raises(ValueError, match="tm"):
        plot_level_map(ears, source="left")
    with pytest.raises(TypeError, match="ax"):
        plot_level_map(beams, source="left", ax=object())
    with pytest.raises(TypeError, match="db_range"):
        plot_level_map(beams, source="left", db_range="40")


# --------------------------------------------------------------------------- plot_scene


def test_scene_draws_drivers_listener_and_ears():
    scene = default_scene()
    ax = plot_scene(scene, inset=False)
    assert ax.get_aspect() == 1.0
    texts = {t.get_text() for t in ax.texts}
    assert {"left", "right", "tweeter", "L", "R"} <= texts
    assert {"top (up)", "woofer (down)"} <= texts
    # The listener's left ear is drawn at world -y in the default scene, as is the "left" driver.
    ear_l = next(t for t in ax.texts if t.get_text() == "L")
    driver_l = next(t for t in ax.texts if t.get_text() == "left")
    assert ear_l.xy[1] < 0 and driver_l.xy[1] < 0
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["drivers (smart_speaker)", "listener (RigidSphere)"]


def test_scene_inset_and_given_ax():
    fig, ax = plt.subplots()
    out = plot_scene(default_scene(head=PointEars()), ax=ax)
    assert out is ax
    assert len(ax.child_axes) == 1
    zoom = ax.child_axes[0]
    assert "tweeter" in {t.get_text() for t in zoom.texts}


def test_scene_listener_grid_and_rotated_device():
    grid = listener_grid(np.linspace(1.5, 2.5, 3), np.linspace(-1.0, 1.0, 5), head=PointEars())
    scene = Scene(soundbar(4, 0.6), grid, device_position=(0.0, 0.5, 0.0), device_yaw_deg=10.0)
    ax = plot_scene(scene)
    offsets = [c.get_offsets() for c in ax.collections if len(c.get_offsets()) == len(grid)]
    assert len(offsets) >= 1
    np.testing.assert_allclose(offsets[0], grid.positions[:, :2])


def test_scene_rejects_bad_inputs():
    with pytest.raises(TypeError, match="scene"):
        plot_scene(smart_speaker())
    with pytest.raises(TypeError, match="ax"):
        plot_scene(default_scene(), ax=42)
    with pytest.raises(TypeError, match="inset"):
        plot_scene(default_scene(), inset="yes")


def test_level_reference_names_the_model(ears, beams):
    assert level_reference(ears) == "dB re 1 Pa per unit source"
    assert level_reference(beams) == "dB re point source at device origin"
    # Read from the receivers, not from meta: a grid's ears are ears, other receivers generic.
    from acoustics.transfer import TransferMatrix

    h = np.ones((4, 1, 2))
    grid = TransferMatrix(h, [0.0, 1.0], ("0:left", "0:right", "1:left", "1:right"), ("d",))
    assert level_reference(grid) == "dB re 1 Pa per unit source"
    points = TransferMatrix(h, [0.0, 1.0], ("p0", "p1", "p2", "p3"), ("d",), {"head": "x"})
    assert level_reference(points) == "dB re |H| = 1"
    with pytest.raises(TypeError, match="tm"):
        level_reference(None)


def test_beam_plots_refuse_a_sphere_quadrature():
    # A sphere transfer matrix has directions too, but not on an arc: no polar plot of it.
    from acoustics.freefield import sphere_transfer
    from acoustics.sources.presets import smart_speaker

    sphere = sphere_transfer(smart_speaker(), [1000.0], n_elevations=4)
    assert not sphere.directions.is_arc
    with pytest.raises(ValueError, match="arc"):
        plot_polar(sphere, 1000.0, source="tweeter")
