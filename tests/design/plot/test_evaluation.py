"""Plots of an evaluation: display smoothing, one colour scale per measure, bad inputs."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose

from acoustics.scene import default_scene
from design.chain import design_chain
from design.evaluation import evaluate, zone_maps
from design.plot.evaluation import (
    plot_depth,
    plot_segment_separation,
    plot_separation,
    plot_zone_map,
    smooth_fractional_octave,
    zone_colour_limits,
)


@pytest.fixture(scope="module")
def evaluated():
    scene = default_scene()
    chain = design_chain(scene)
    ev = evaluate(chain, scene, n_pans=3)
    zones = zone_maps(chain, scene, [1.9, 2.1], [-0.2, 0.0, 0.2], progress=False)
    return ev, zones


def test_smoothing_keeps_a_flat_spectrum_and_spreads_a_line():
    freqs = np.fft.rfftfreq(4800, 1 / 48000.0)  # 10 Hz bins
    assert_allclose(smooth_fractional_octave(freqs, np.full(freqs.size, 3.0)), 3.0)
    # A single line at 1 kHz: every bin within 2^(+-1/12) of it sees it once, averaged over
    # its own window; a bin at f sees the line iff 1000 lies in [f 2^-1/12, f 2^1/12].
    p = np.zeros(freqs.size)
    p[100] = 1.0
    s = smooth_fractional_octave(freqs, p, fraction=6)
    half = 2 ** (1 / 12)
    sees = (freqs / half <= 1000.0) & (1000.0 <= freqs * half)
    assert np.all(s[sees] > 0) and np.all(s[~sees] == 0)
    # At 1 kHz the window spans 1000 (2^(1/12) - 2^(-1/12)) = 115.6 Hz: 11 bins of 10 Hz.
    assert s[100] == pytest.approx(1 / 11)
    with pytest.raises(ValueError, match="fraction"):
        smooth_fractional_octave(freqs, p, fraction=12)
    with pytest.raises(ValueError, match="power"):
        smooth_fractional_octave(freqs, -p)


def test_zone_maps_share_one_colour_scale(evaluated):
    _, zones = evaluated
    fig, axes = plt.subplots(1, 3)
    vmin, vmax = zone_colour_limits(zones, "separation_db")
    values = np.concatenate([z.separation_db.ravel() for z in zones.values()])
    assert (vmin, vmax) == (pytest.approx(values.min()), pytest.approx(values.max()))
    for ax, z in zip(axes, zones.values(), strict=True):
        plot_zone_map(z, field="separation_db", vmin=vmin, vmax=vmax, ax=ax)
        assert ax.collections[0].get_clim() == (vmin, vmax)
    lo, hi = zone_colour_limits(zones, "centre_bias_deg")
    assert lo == -hi  # signed errors: symmetric about 0
    plt.close(fig)
    with pytest.raises(ValueError, match="field"):
        zone_colour_limits(zones, "loudness")
    with pytest.raises(TypeError, match="zones"):
        zone_colour_limits({}, "separation_db")


def test_evaluation_plots_draw(evaluated):
    ev, _ = evaluated
    fig, axes = plt.subplots(1, 3)
    plot_separation(ev, kind="ctc", fraction=3, ax=axes[0])
    plot_segment_separation(ev, kind="ears", ax=axes[1])
    plot_depth(ev, ax=axes[2])
    # One bar per system and segment, at the medians.
    heights = [p.get_height() for p in axes[1].patches]
    assert len(heights) == 9
    assert heights[0] == pytest.approx(ev.systems["chain"].separation["direct"].median_db)
    plt.close(fig)
    with pytest.raises(ValueError, match="kind"):
        plot_segment_separation(ev, kind="both")
    with pytest.raises(ValueError, match="fraction"):
        plot_separation(ev, fraction=2)
    with pytest.raises(TypeError, match="evaluation"):
        plot_depth("not an evaluation")
