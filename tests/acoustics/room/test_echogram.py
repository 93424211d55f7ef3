"""The echogram kernels (numba) against the plain scatter-add and the exact delay spectra."""

import numpy as np
import pytest

from acoustics.room.echogram import (
    SPREAD_OFFSETS,
    SPREAD_RESOLUTION,
    SPREAD_TABLE,
    combine_with_direct,
    deconvolution,
    delay_phasors,
    image_echogram_spectra,
)

N_FFT = 512
PER_METRE = 48000 / 343.0


def _scene(seed=2):
    """Images at up to 1.45 grid lengths (late ones wrap), two band knots, nine points."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(-2.5, 2.5, (400, 3))
    knots = rng.uniform(0.1, 1.0, (400, 2))
    points = rng.uniform(0.0, 1.0, (9, 3))
    reach = rng.uniform(2.0, 6.0, 9)
    return images, knots, points, reach


def _reflections(images, knots, points, reach):
    """Per (point, image >= 1): distance, amplitude per knot and whether it is within reach."""
    r = np.linalg.norm(points[:, None] - images[None, 1:], axis=2)
    keep = r <= reach[:, None]
    return r, knots[None, 1:] / (4 * np.pi * r[..., None]) * keep[..., None]


def test_image_kernel_equals_the_plain_scatter_add():
    images, knots, points, reach = _scene()
    ours, direct = image_echogram_spectra(images, knots, points, reach, PER_METRE, N_FFT)
    r, amps = _reflections(images, knots, points, reach)
    position = r * PER_METRE
    centre = np.floor(position + 0.5)  # the nearest sample, halves up (as the kernel)
    q = np.floor((position - centre + 0.5) * SPREAD_RESOLUTION + 0.5).astype(int)
    echograms = np.zeros((9, 2, N_FFT))
    rows = np.broadcast_to(np.arange(9)[:, None], r.shape)
    for t, offset in enumerate(SPREAD_OFFSETS):
        index = (centre.astype(int) + offset) % N_FFT
        for m in range(2):
            np.add.at(echograms[:, m], (rows, index), SPREAD_TABLE[q, t] * amps[..., m])
    expected = np.fft.rfft(echograms.astype(np.float32), axis=-1)
    assert np.allclose(direct, np.linalg.norm(points - images[0], axis=1), rtol=1e-15)
    # Only the order of the float64 sums differs: measured 1.0e-7 of the largest bin (the
    # float32 FFT's rounding); the bound allows 10x.
    assert np.max(np.abs(ours - expected)) < 1e-6 * np.max(np.abs(expected))


def test_deconvolved_echograms_give_the_exact_delay_spectra():
    images, knots, points, reach = _scene()
    spectra, _ = image_echogram_spectra(images, knots, points, reach, PER_METRE, N_FFT)
    spectra = spectra * deconvolution(N_FFT)
    r, amps = _reflections(images, knots, points, reach)
    k = np.arange(N_FFT // 2 + 1)
    phasors = np.exp(-2j * np.pi * (r * PER_METRE)[..., None] * k / N_FFT)  # (points, paths, k)
    exact = np.einsum("pim,pik->pmk", amps, phasors)
    band = k <= 0.4 * N_FFT
    err = np.sum(np.abs(spectra - exact)[..., band] ** 2)
    nmse_db = 10 * np.log10(err / np.sum(np.abs(exact[..., band]) ** 2))
    # The kernel's aliasing (below -67 dB per path up to 0.4 fs); measured -80.2 dB here.
    assert nmse_db < -74.0, nmse_db


def test_combination_adds_the_exact_direct_sound():
    rng = np.random.default_rng(5)
    spectra = (rng.standard_normal((4, 2, 300)) + 1j * rng.standard_normal((4, 2, 300))).astype(
        np.complex64
    )
    weights = rng.uniform(0.5, 2.0, (2, 300))
    delays, gains, step = rng.uniform(1e-3, 2e-2, 4), rng.uniform(0.1, 1.0, 4), 31.25
    out = np.empty((4, 300), dtype=complex)
    combine_with_direct(spectra, weights, delays, gains, step, out)
    freqs = np.arange(300) * step
    expected = np.einsum("pmf,mf->pf", spectra, weights) + gains[:, None] * np.exp(
        -2j * np.pi * freqs * delays[:, None]
    )
    # Measured 8e-15 of the largest value (the phasor's coarse-times-fine product).
    assert np.max(np.abs(out - expected)) < 1e-13 * np.max(np.abs(expected))
    assert np.allclose(delay_phasors(delays, freqs), np.exp(-2j * np.pi * freqs * delays[:, None]))


def test_a_point_on_an_image_is_refused():
    images, knots, _, reach = _scene()
    with pytest.raises(ValueError, match="coincide"):
        image_echogram_spectra(images, knots, images[3:4], reach[:1], PER_METRE, N_FFT)
