"""The echogram scatter kernel (numba) against the plain scatter-add and the exact spectrum."""

import numpy as np
import pytest

from acoustics.echogram import (
    _SPREAD_OFFSETS,
    _SPREAD_RESOLUTION,
    _SPREAD_TABLE,
    _deconvolution,
    _echogram_spectra,
)


def _paths(n_paths=3000, n_fft=512, n_rows=5, n_cols=3, seed=1):
    rng = np.random.default_rng(seed)
    position = rng.uniform(-3.0, 1.4 * n_fft, n_paths)  # before 0 and past n_fft: both wrap
    amplitudes = rng.standard_normal((n_paths, n_cols))
    rows = np.sort(rng.integers(0, n_rows, n_paths))
    return position, amplitudes, rows, n_rows, n_fft


def test_scatter_kernel_equals_the_plain_scatter_add():
    position, amplitudes, rows, n_rows, n_fft = _paths()
    reference = np.zeros((n_rows, amplitudes.shape[1], n_fft))
    centre = np.floor(position + 0.5)  # the nearest sample, halves up (as the kernels)
    q = np.floor((position - centre + 0.5) * _SPREAD_RESOLUTION + 0.5).astype(int)
    for t, offset in enumerate(_SPREAD_OFFSETS):
        index = (centre.astype(int) + offset) % n_fft
        for m in range(amplitudes.shape[1]):
            np.add.at(reference[:, m], (rows, index), _SPREAD_TABLE[q, t] * amplitudes[:, m])
    ours = _echogram_spectra(position, amplitudes, rows, n_rows, n_fft)
    expected = np.fft.rfft(reference.astype(np.float32), axis=-1)
    # Only the order of the float64 sums and the float32 FFT differ: measured 1.0e-7 of the
    # largest bin; the bound allows 10x.
    assert np.max(np.abs(ours - expected)) < 1e-6 * np.max(np.abs(expected))


def test_deconvolved_echograms_give_the_exact_delay_spectra():
    position, amplitudes, rows, n_rows, n_fft = _paths()
    spectra = _echogram_spectra(position, amplitudes, rows, n_rows, n_fft) * _deconvolution(n_fft)
    k = np.arange(n_fft // 2 + 1)
    phasors = np.exp(-2j * np.pi * np.outer(position, k) / n_fft)  # (paths, bins)
    exact = np.stack(
        [np.einsum("pm,pk->mk", amplitudes[rows == r], phasors[rows == r]) for r in range(n_rows)]
    )
    band = k <= 0.4 * n_fft
    err = np.sum(np.abs(spectra - exact)[..., band] ** 2)
    nmse_db = 10 * np.log10(err / np.sum(np.abs(exact[..., band]) ** 2))
    # The kernel's aliasing (module docstring: below -67 dB per path up to 0.4 fs); measured
    # -76.6 dB for these random paths.
    assert nmse_db < -74.0, nmse_db


def test_image_kernel_equals_distances_then_scatter():
    # The fused kernel (distances, reach, spreading and scatter per point) against the same
    # steps in numpy followed by the plain scatter: equal to float32 rounding.
    from acoustics.echogram import _image_echogram_spectra

    rng = np.random.default_rng(2)
    images = rng.uniform(-10.0, 10.0, (400, 3))
    knots = rng.uniform(0.1, 1.0, (400, 2))
    points = rng.uniform(0.0, 3.0, (9, 3))
    reach = rng.uniform(5.0, 15.0, 9)
    n_fft, per_metre = 2048, 48000 / 343.0
    ours, direct = _image_echogram_spectra(images, knots, points, reach, per_metre, n_fft)
    r = np.linalg.norm(points[:, None] - images[None, 1:], axis=2)  # (points, images)
    amps = knots[None, 1:] / (4 * np.pi * r[..., None]) * (r <= reach[:, None])[..., None]
    rows = np.repeat(np.arange(9), 399)
    expected = _echogram_spectra(r.ravel() * per_metre, amps.reshape(-1, 2), rows, 9, n_fft)
    assert np.allclose(direct, np.linalg.norm(points - images[0], axis=1), rtol=1e-15)
    # Measured: identical (the same float64 sums in the same order).
    assert np.max(np.abs(ours - expected)) < 1e-6 * np.max(np.abs(expected))
    with pytest.raises(ValueError, match="coincide"):
        _image_echogram_spectra(images, knots, images[3:4], reach[:1], per_metre, n_fft)
