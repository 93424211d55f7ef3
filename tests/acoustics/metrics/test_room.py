"""Room metrics against docs/references.md and hand-computed impulse responses."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from acoustics.metrics import (
    arrival_index,
    clarity,
    critical_distance,
    decay_time,
    definition,
    direct_to_reverberant_ratio,
    eyring_t60,
    sabine_t60,
    schroeder_decay,
)

FS = 48000


def _room_surfaces(lx, ly, lz):
    return np.array([ly * lz, ly * lz, lx * lz, lx * lz, lx * ly, lx * ly])


def test_sabine_matches_reference_constant():
    # docs/references.md: T60 = 0.161 V / A; 24 ln(10) / 343 = 0.16111, within 0.1 % of 0.161.
    areas = _room_surfaces(5.0, 4.0, 2.5)
    t = sabine_t60(50.0, areas, 0.2)
    assert_allclose(t, 0.161 * 50.0 / (0.2 * areas.sum()), rtol=1e-3)
    # Per band: one value per column.
    bands = sabine_t60(50.0, areas, np.tile([0.1, 0.2, 0.4], (6, 1)))
    assert_allclose(bands, 0.161 * 50.0 / (np.array([0.1, 0.2, 0.4]) * areas.sum()), rtol=1e-3)
    # Air absorption adds 4 m V to the absorption area.
    assert_allclose(
        sabine_t60(50.0, areas, 0.2, air_attenuation=0.01),
        0.161 * 50.0 / (0.2 * areas.sum() + 4 * 0.01 * 50.0),
        rtol=1e-3,
    )


def test_eyring_limits():
    areas = _room_surfaces(5.0, 4.0, 2.5)
    # Small absorption: -ln(1 - a) ~ a, Eyring -> Sabine (relative difference ~ a / 2).
    assert_allclose(eyring_t60(50.0, areas, 0.01), sabine_t60(50.0, areas, 0.01), rtol=6e-3)
    # Eyring is always shorter, and zero for a fully absorbing room.
    assert eyring_t60(50.0, areas, 0.5) < sabine_t60(50.0, areas, 0.5)
    assert eyring_t60(50.0, areas, 1.0) == 0.0
    # Exact value: -S ln(1 - 0.3).
    assert_allclose(
        eyring_t60(50.0, areas, 0.3), 0.161 * 50.0 / (-areas.sum() * np.log(0.7)), rtol=1e-3
    )


def test_critical_distance_reference_values():
    # docs/references.md: V = 50 m^3, T60 = 0.4 s: 0.64 m for Q = 1 and 0.90 m for Q = 2 (values
    # rounded from 0.057 sqrt(Q V / T60); the exact Sabine constant gives 0.633 and 0.895).
    assert_allclose(critical_distance(50.0, 0.4), 0.64, atol=0.01)
    assert_allclose(critical_distance(50.0, 0.4, directivity_factor=2.0), 0.90, atol=0.01)


def test_decay_time_of_exponential_noise():
    rng = np.random.default_rng(4)
    t60 = 0.5
    t = np.arange(int(1.5 * FS)) / FS
    ir = rng.normal(size=t.size) * 10 ** (-3 * t / t60)  # energy falls 60 dB in t60
    ir = np.concatenate([np.zeros(100), ir])
    # A noise realisation bends the decay curve slightly: a few per cent.
    assert_allclose(decay_time(ir, FS, kind="T30"), t60, rtol=0.03)
    assert_allclose(decay_time(ir, FS, kind="T20"), t60, rtol=0.03)
    assert_allclose(decay_time(ir, FS, kind="EDT"), t60, rtol=0.05)
    edc = schroeder_decay(ir, FS)
    assert edc[0] == 0.0 and np.all(np.diff(edc[np.isfinite(edc)]) <= 1e-12)


def test_two_and_three_arrival_responses():
    ir = np.zeros(FS)
    n0 = 480  # direct sound at 10 ms
    ir[n0] = 1.0
    ir[n0 + int(0.030 * FS)] = 0.5  # 30 ms: early for C50, reverberant for DRR
    ir[n0 + int(0.060 * FS)] = 0.25  # 60 ms: late for C50, early for C80
    ir[n0 + int(0.100 * FS)] = 0.125  # 100 ms: late for both
    assert arrival_index(ir, FS) == n0
    e = np.array([1.0, 0.25, 0.0625, 0.015625])
    assert_allclose(direct_to_reverberant_ratio(ir, FS), 10 * np.log10(e[0] / e[1:].sum()))
    assert_allclose(clarity(ir, FS, split_ms=50), 10 * np.log10(e[:2].sum() / e[2:].sum()))
    assert_allclose(clarity(ir, FS, split_ms=80), 10 * np.log10(e[:3].sum() / e[3]))
    assert_allclose(definition(ir, FS), e[:2].sum() / e.sum())


def test_metrics_bad_input():
    with pytest.raises(ValueError, match="absorption"):
        sabine_t60(50.0, [10.0, 10.0], [0.2, 1.2])
    with pytest.raises(ValueError, match="volume"):
        sabine_t60(-1.0, [10.0], 0.2)
    with pytest.raises(ValueError, match="absorption"):
        sabine_t60(50.0, [10.0], 0.0)
    with pytest.raises(ValueError, match="t60"):
        critical_distance(50.0, 0.0)
    with pytest.raises(ValueError, match="ir"):
        clarity(np.zeros(100), FS)
    with pytest.raises(ValueError, match="ir"):
        decay_time([1.0, np.nan, 0.0], FS)
    with pytest.raises(ValueError, match="kind"):
        decay_time(np.ones(10), FS, kind="T10")
    with pytest.raises(ValueError, match="decay"):
        decay_time(np.ones(1000), FS)


def test_directivity_factor_of_a_baffled_piston():
    # Kinsler et al., Fundamentals of Acoustics, Eq. (7.5.14): a baffled piston radiating into a
    # half space has Q = (ka)^2 / (1 - J1(2 ka) / (ka)). The hemisphere-split quadrature
    # integrates the baffle's jump at 90 deg exactly.
    from scipy.special import j1

    from acoustics.freefield import sphere_transfer
    from acoustics.metrics import directivity_factor, directivity_index
    from acoustics.sources import BaffledPiston, Device, Driver

    b, c = 0.05, 343.0
    ka = np.array([0.5, 1.0, 2.0, 5.0, 10.0])
    device = Device("p", (Driver("p", (0, 0, 0), (1, 0, 0), BaffledPiston(b)),))
    tm = sphere_transfer(device, ka * c / (2 * np.pi * b), n_elevations=64, c=c)
    assert_allclose(directivity_factor(tm), ka**2 / (1 - j1(2 * ka) / ka), rtol=1e-10)
    assert_allclose(directivity_index(tm), 10 * np.log10(directivity_factor(tm)))


def test_directivity_factor_of_driver_weights_matches_diffuse_coherence():
    # docs/references.md: DF = |w^H d|^2 / (w^H Gamma w), Gamma_ij = sinc(k r_ij) (diffuse-field
    # coherence of omni points); here against the sphere quadrature of the same weights.
    from acoustics.freefield import sphere_transfer
    from acoustics.metrics import directivity_factor
    from acoustics.sources import Device, Driver

    c = 343.0
    pos = np.array([[0.03, 0.0, 0.0], [-0.03, 0.0, 0.0], [0.0, 0.04, 0.01]])
    device = Device("arr", tuple(Driver(f"d{i}", p, (1, 0, 0)) for i, p in enumerate(pos)))
    freqs = np.array([300.0, 1000.0, 3000.0])
    k = 2 * np.pi * freqs / c
    w = np.array([1.0, -0.8 * np.exp(-1j * 0.3), 0.2j])[:, None] * np.ones(3)
    tm = sphere_transfer(device, freqs, n_elevations=32, c=c)
    d = np.exp(1j * np.outer(pos[:, 0], k))  # far-field response on-axis (+x), our phase convention
    dist = np.linalg.norm(pos[:, None] - pos[None], axis=2)
    gamma = np.sinc(dist[..., None] * k / np.pi)  # numpy's sinc is sin(pi x) / (pi x)
    expected = np.abs(np.einsum("if,if->f", d, w)) ** 2 / np.real(
        np.einsum("if,ijf,jf->f", w.conj(), gamma, w)
    )
    assert_allclose(directivity_factor(tm, w), expected, rtol=1e-9)
    with pytest.raises(ValueError, match="weights"):
        directivity_factor(tm)


def test_octave_band_filter_passes_its_band_only():
    from acoustics.metrics import octave_band_filter

    fs = 16000
    t = np.arange(fs) / fs
    tones = {f: np.sin(2 * np.pi * f * t) for f in (250.0, 1000.0, 4000.0)}
    for fc in tones:
        for f, other in tones.items():
            out = octave_band_filter(other, fs, fc)[fs // 2 :]  # after the filter settles
            gain = np.sqrt(np.mean(out**2) / np.mean(other[fs // 2 :] ** 2))
            if f == fc:
                assert_allclose(gain, 1.0, atol=0.02)  # Butterworth: flat at the centre
            else:
                assert gain < 0.02  # two octaves away: 18 dB/octave per edge, order 3
    with pytest.raises(ValueError, match="centre_hz"):
        octave_band_filter(np.ones(10), fs, 8000.0)
