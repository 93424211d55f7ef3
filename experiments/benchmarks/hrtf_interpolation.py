"""Benchmark: ``MeasuredHRTF.kemar().ear_responses`` for 700 random directions x 1025 bins.

Run with ``python -m experiments.benchmarks.hrtf_interpolation``. The baseline, timed in the same
run on the same 48 kHz table, is a nearest-neighbour lookup without onset alignment: the measured
direction closest to each query (largest dot product), its spectra by one real FFT of the stored
impulse responses on the benchmark's bin grid, and the same gain, latency and Green's function.

A second part measures interpolation accuracy by leaving out every other azimuth at elevation 0
(10 deg gaps) and predicting the left-out responses from the rest: the onset-aligned barycentric
interpolation of the model, the same weights on the raw spectra, and the nearest neighbour.
"""

from __future__ import annotations

import time

import numpy as np

from acoustics.geometry import cart_to_sph, greens_function
from acoustics.heads.hrtf import MeasuredHRTF
from acoustics.heads.interpolation import SphericalTriangulation
from acoustics.heads.sofa import HRIRSet

FS = 48000
N_FFT = 2048


def _time(fn, repeats=5):
    best, out = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _nearest(model: MeasuredHRTF, positions, freqs):
    """Nearest measured direction, no alignment; same normalisation as the model."""
    hs = model.hrir_set
    r = np.linalg.norm(positions, axis=1)
    nearest = np.argmax((positions / r[:, None]) @ hs.directions.T, axis=1)
    spectra = np.fft.rfft(hs.hrirs[nearest], N_FFT)  # (n, 2, n_f): exact DTFT on this grid
    scale = model.gain * np.exp(2j * np.pi * freqs * model.latency) * greens_function(r, freqs)
    return (spectra * scale[:, None, :]).transpose(1, 0, 2)


def _accuracy(model: MeasuredHRTF) -> dict[str, float]:
    """Leave-one-out NRMSE over 1-8 kHz of three interpolators (see the module docstring)."""
    hs = model.hrir_set
    az, el, _ = cart_to_sph(hs.directions)
    drop = np.isclose(el, 0.0) & np.isclose(np.mod(np.round(az), 10.0), 5.0)
    keep = ~drop
    sparse = MeasuredHRTF(HRIRSet(hs.hrirs[keep], hs.fs, hs.directions[keep], hs.distance[keep]))
    freqs = np.fft.rfftfreq(N_FFT, 1 / FS)
    band = (freqs >= 1000) & (freqs <= 8000)
    query = hs.directions[drop] * 1.4
    truth = model.ear_responses(query, freqs)[..., band]
    corners, w = SphericalTriangulation(hs.directions[keep]).weights(query)
    raw = np.fft.rfft(hs.hrirs[keep], N_FFT)
    scale = model.gain * np.exp(2j * np.pi * freqs * model.latency) * greens_function(1.4, freqs)
    plain = np.einsum("qi,qief->eqf", w, raw[corners]) * scale
    nearest = np.argmax(hs.directions[drop] @ hs.directions[keep].T, axis=1)
    near = raw[nearest].transpose(1, 0, 2) * scale
    candidates = {
        "onset-aligned barycentric (model)": sparse.ear_responses(query, freqs),
        "barycentric on raw spectra": plain,
        "nearest neighbour": near,
    }
    return {
        name: float(np.sqrt(np.sum(np.abs(p[..., band] - truth) ** 2) / np.sum(np.abs(truth) ** 2)))
        for name, p in candidates.items()
    }


def main() -> None:
    """Time the model against the baseline and print both, their ratio and the accuracy."""
    t_build, model = _time(lambda: MeasuredHRTF.kemar(fs=FS), repeats=1)
    rng = np.random.default_rng(0)
    u = rng.normal(size=(700, 3))
    positions = 2.0 * u / np.linalg.norm(u, axis=1, keepdims=True)
    freqs = np.fft.rfftfreq(N_FFT, 1 / FS)
    t_model, p_model = _time(lambda: model.ear_responses(positions, freqs))
    t_base, p_base = _time(lambda: _nearest(model, positions, freqs))
    print(f"MeasuredHRTF (MIT KEMAR at {FS} Hz), 700 random directions x {freqs.size} bins")
    print(f"  construction (read, resample 44.1 -> 48 kHz, onsets): {t_build * 1e3:8.1f} ms")
    print(f"  ear_responses, onset-aligned interpolation:          {t_model * 1e3:8.1f} ms")
    print(f"  baseline, nearest-neighbour lookup (no alignment):   {t_base * 1e3:8.1f} ms")
    print(f"  ratio model / baseline:                              {t_model / t_base:8.2f}")
    diff = np.abs(p_model - p_base)
    print(
        f"  model vs nearest neighbour, median |diff| / |model|:  "
        f"{np.median(diff / np.abs(p_model)):8.3f}"
    )
    print("Leave-one-out at elevation 0 (10 deg gaps), NRMSE over 1-8 kHz:")
    for name, err in _accuracy(model).items():
        print(f"  {name:36s} {100 * err:6.1f} %")


if __name__ == "__main__":
    main()
