"""Offline and streaming multichannel convolution against scipy's oaconvolve."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.signal import oaconvolve

from design.render.convolution import PartitionedConvolver, convolve


# (1024, 50000): several chunks of blocks; (9000, 20000): a filter longer than a block (8192), so
# one block's result overlaps the next two.
@pytest.mark.parametrize(
    "n_taps, n_samples", [(1, 10), (300, 20000), (1024, 9000), (1024, 50000), (9000, 20000)]
)
def test_offline_equals_oaconvolve(n_taps, n_samples):
    rng = np.random.default_rng(n_taps)
    h = rng.normal(size=(4, 3, n_taps))
    x = rng.normal(size=(3, n_samples))
    expected = oaconvolve(h, x[None], axes=-1).sum(axis=1)  # independent: scipy, pair by pair
    assert_allclose(convolve(h, x), expected, atol=1e-10 * np.abs(expected).max())


@pytest.mark.parametrize("block", [1, 64, 256, 700, 1000])  # 700, 1000: a single partition
def test_streaming_equals_offline(block):
    rng = np.random.default_rng(block)
    h = rng.normal(size=(2, 3, 700))
    x = rng.normal(size=(3, 5 * 1000))
    conv = PartitionedConvolver(h, block)
    n = (x.shape[1] // block) * block
    out = np.concatenate([conv.process(x[:, i : i + block]) for i in range(0, n, block)], axis=1)
    assert_allclose(out, convolve(h, x)[:, :n], atol=1e-9)
    conv.reset()
    assert_allclose(conv.process(np.zeros((3, block))), 0.0)


def test_float32_convolution_is_float64_to_float32_rounding():
    # float32 transforms and spectra: the same sums rounded to 24 bits, ~3e-7 of the peak
    # (measured on the benchmark); 2e-6 admits that and nothing structural (an O(1) error).
    rng = np.random.default_rng(32)
    h = rng.normal(size=(5, 3, 1024))
    x = rng.normal(size=(3, 30000))
    expected = oaconvolve(h, x[None], axes=-1).sum(axis=1)
    got = convolve(h, x, precision="float32")
    assert got.dtype == np.float64
    assert_allclose(got, expected, atol=2e-6 * np.abs(expected).max())
    conv = PartitionedConvolver(h, 256, precision="float32")
    out = np.concatenate([conv.process(x[:, i : i + 256]) for i in range(0, 29952, 256)], axis=1)
    assert_allclose(out, expected[:, :29952], atol=2e-6 * np.abs(expected).max())


def test_convolution_bad_input():
    with pytest.raises(ValueError, match="h"):
        convolve(np.ones((2, 3)), np.ones((3, 10)))
    with pytest.raises(ValueError, match="x"):
        convolve(np.ones((2, 3, 4)), np.ones((2, 10)))
    with pytest.raises(ValueError, match="block_size"):
        PartitionedConvolver(np.ones((1, 1, 4)), 0)
    with pytest.raises(ValueError, match="precision"):
        convolve(np.ones((1, 1, 4)), np.ones((1, 10)), precision="float16")
    with pytest.raises(ValueError, match="precision"):
        PartitionedConvolver(np.ones((1, 1, 4)), 8, precision="double")
    conv = PartitionedConvolver(np.ones((1, 2, 4)), 8)
    with pytest.raises(ValueError, match="block"):
        conv.process(np.ones((1, 8)))
    with pytest.raises(ValueError, match="finite"):
        conv.process(np.full((2, 8), np.nan))
