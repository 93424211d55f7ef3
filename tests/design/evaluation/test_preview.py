"""Tests of design.evaluation.preview: the ear signals of a chain and of the hi-fi reference.

Published behaviour: a loudspeaker 30 deg to the left of a rigid-sphere head reaches the left ear
first by an interaural time difference between Woodworth's high-frequency value
(a/c)(theta + sin theta) = 261 us and Kuhn's low-frequency 3 (a/c) sin theta = 383 us for
a = 8.75 cm (docs/references.md); the plain stereo feed of a compact device is heard near the
centre, which is what the chain's designs are for.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from acoustics.heads import HEAD_RADIUS
from acoustics.metrics import interaural_time_difference
from acoustics.room import Room
from acoustics.scene import (
    Listener,
    ListenerGrid,
    Scene,
    default_scene,
    impulse_response_length,
    impulse_responses,
    listener_grid,
)
from design.chain import render, stereo_chain
from design.evaluation.preview import binaural_preview
from design.render.convolution import convolve

FS = 48000.0
C = 343.0
THETA = np.deg2rad(30.0)
WOODWORTH_US = HEAD_RADIUS / C * (THETA + np.sin(THETA)) * 1e6  # 261 us
KUHN_US = 3 * HEAD_RADIUS / C * np.sin(THETA) * 1e6  # 383 us


def _impulse(channel: int, n: int = 2400) -> np.ndarray:
    x = np.zeros((2, n))
    x[channel, 0] = 1.0
    return x


def test_the_reference_pair_is_heard_at_plus_and_minus_30_deg():
    scene = default_scene()
    chain = stereo_chain(scene)
    left = interaural_time_difference(
        binaural_preview(chain, scene, _impulse(0), FS)["reference"], FS
    )
    right = interaural_time_difference(
        binaural_preview(chain, scene, _impulse(1), FS)["reference"], FS
    )
    # Measured 331.8 us, mirror-symmetric to 1e-9 us.
    assert WOODWORTH_US < left * 1e6 < KUHN_US
    assert_allclose(right, -left, rtol=1e-9)


def test_a_plain_stereo_feed_of_the_compact_device_is_heard_near_the_centre():
    scene = default_scene()
    ears = binaural_preview(stereo_chain(scene), scene, _impulse(0), FS, reference=False)
    assert set(ears) == {"chain"}
    # Measured 12.5 us (the drivers are centimetres apart); bound at twice that.
    assert abs(interaural_time_difference(ears["chain"], FS)) < 25e-6


def test_the_preview_is_the_scene_responses_applied_to_the_rendered_feeds():
    room = Room((5.5, 4.2, 2.6), 0.35, max_order=2)
    scene = Scene(
        default_scene().device,
        Listener((3.2, 2.1, 1.2), 180.0),
        room=room,
        device_position=(1.2, 2.1, 1.2),
    )
    chain = stereo_chain(scene)
    x = np.random.default_rng(1).normal(size=(2, 2400)) * 0.1
    taps = impulse_response_length(scene, FS)
    out = binaural_preview(chain, scene, x, FS)
    expected = convolve(impulse_responses(scene, FS, taps), render(chain, x, FS))
    assert_allclose(out["chain"], expected, rtol=0, atol=1e-12 * np.abs(expected).max())
    assert out["reference"].shape == (2, x.shape[1] + taps - 1)


def test_the_preview_refuses_a_listener_grid():
    scene = default_scene()
    grid = Scene(scene.device, listener_grid([2.0], [-0.5, 0.5]))
    assert isinstance(grid.listener, ListenerGrid)
    with pytest.raises(ValueError, match="single Listener"):
        binaural_preview(stereo_chain(scene), grid, _impulse(0), FS)
