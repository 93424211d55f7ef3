"""Streaming upmix and renderer against their offline counterparts."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from acoustics.scene import default_scene
from design.chain import Chain, design_chain, render, stereo_chain
from design.render.streaming import StreamingRenderer, StreamingUpmix
from design.render.upmix import upmix_lrc

FS = 48000.0


def _stereo(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, n)) * np.array([[1.0], [0.5]])
    x[1] += 0.7 * x[0]
    return x


@pytest.mark.parametrize("method", ["passive", "side_decorrelated", "pca", "similarity"])
@pytest.mark.parametrize("block", [1, 300, 4096])
def test_streaming_upmix_equals_offline(method, block):
    x = _stereo(20000)
    offline = np.vstack(upmix_lrc(x, FS, method=method, nperseg=1024, hop=256))
    up = StreamingUpmix(FS, method=method, nperseg=1024, hop=256)
    n = (x.shape[1] // block) * block
    out = np.concatenate([up.process(x[:, i : i + block]) for i in range(0, n, block)], axis=1)
    lag = up.latency
    assert np.all(out[:, :lag] == 0)
    # Same frames, same recursions, same overlap-add: equal to rounding after the lag.
    assert_allclose(out[:, lag:], offline[:, : n - lag], atol=1e-9)


def test_streaming_upmix_takes_blocks_of_any_size_in_bounded_memory():
    # Irregular block sizes (1 sample up to longer than the history kept) exercise the reuse and
    # the growth of the history arrays; the output must still be the offline upmix, lagged.
    x = _stereo(60000, seed=2)
    offline = np.vstack(upmix_lrc(x, FS, nperseg=1024, hop=256))
    up = StreamingUpmix(FS, nperseg=1024, hop=256)
    sizes = np.resize([1, 700, 33, 5000, 256, 2], 60)
    edges = np.concatenate([[0], np.cumsum(sizes)])
    edges = edges[edges <= x.shape[1]]
    out = np.concatenate(
        [up.process(x[:, a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)], axis=1
    )
    n = edges[-1]
    assert_allclose(out[:, up.latency :], offline[:, : n - up.latency], atol=1e-9)
    for _ in range(400):  # 100 000 more samples in blocks of 256: the history does not grow
        up.process(x[:, :256])
    assert up._stereo.shape[1] <= 2 * (5000 + 4 * 1024)


def test_streaming_renderer_equals_offline_after_the_latency():
    chain = design_chain(default_scene(), n_taps=256)
    x = 0.1 * _stereo(12000, seed=1)
    offline = render(chain, x, FS)
    streamer = StreamingRenderer(chain, 256)
    n = (x.shape[1] // 256) * 256
    out = np.concatenate([streamer.process(x[:, i : i + 256]) for i in range(0, n, 256)], axis=1)
    lag = streamer.latency
    assert_allclose(out[:, lag:], offline[:, : n - lag], atol=1e-6 * np.abs(offline).max())
    streamer.reset()
    assert np.all(streamer.process(np.zeros((2, 256))) == 0)  # silence in, silence out


def test_streaming_without_upmix_has_no_extra_latency():
    chain = stereo_chain(default_scene())
    x = _stereo(1000)
    streamer = StreamingRenderer(chain, 100)
    out = np.concatenate([streamer.process(x[:, i : i + 100]) for i in range(0, 1000, 100)], axis=1)
    assert streamer.latency == 0
    assert_allclose(out, render(chain, x, FS)[:, :1000], atol=1e-12)


def test_streaming_bad_input():
    chain = stereo_chain(default_scene())
    with pytest.raises(TypeError, match="chain"):
        StreamingRenderer("chain", 64)
    with pytest.raises(ValueError, match="block_size"):
        StreamingRenderer(chain, 0)
    streamer = StreamingRenderer(chain, 64)
    with pytest.raises(ValueError, match="block"):
        streamer.process(np.zeros((2, 63)))
    with pytest.raises(ValueError, match="finite"):
        streamer.process(np.full((2, 64), np.nan))
    with pytest.raises(ValueError, match="method"):
        StreamingUpmix(FS, method="magic")
    assert isinstance(chain, Chain)
