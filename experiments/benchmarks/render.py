"""Benchmark: stereo to the smart speaker's driver feeds with 1024-tap filters at 48 kHz.

Run with ``python -m experiments.benchmarks.render``. The chain of the default scene
(:func:`design.chain.design_chain`, 5 drivers x 3 paths x 1024 taps) renders 20 s of the synthetic
mixture: offline (:func:`design.chain.render`, upmix + multichannel overlap-add) and streaming
(:class:`design.streaming.StreamingRenderer`, block 256: streaming upmix + partitioned
overlap-save), against a naive baseline of one :func:`numpy.convolve` per driver and path in the
same run (after the same offline upmix). Printed: real-time factors (audio seconds per
computing second) and the ratios; the agreement of the three outputs.
"""

from __future__ import annotations

import time

import numpy as np

from acoustics.scene import default_scene
from design.chain import _paths, design_chain, render
from design.mixtures import synthetic_mixture
from design.streaming import StreamingRenderer

FS = 48000.0
SECONDS = 20.0
BLOCK = 256


def naive(chain, stereo):
    """Return driver feeds by one numpy.convolve per driver and path (the baseline)."""
    paths = _paths(chain, stereo)
    n_d, n_p, n_t = chain.filters.shape
    out = np.zeros((n_d, paths.shape[1] + n_t - 1))
    for d in range(n_d):
        for p in range(n_p):
            out[d] += np.convolve(paths[p], chain.filters[d, p])
    return out


def main() -> None:
    """Time the three renderers and print real-time factors."""
    chain = design_chain(default_scene(), fs=FS, n_taps=1024)
    stereo = synthetic_mixture(FS, SECONDS, seed=0).stereo

    start = time.perf_counter()
    offline = render(chain, stereo, FS)
    t_offline = time.perf_counter() - start

    streamer = StreamingRenderer(chain, BLOCK)
    n = (stereo.shape[1] // BLOCK) * BLOCK
    blocks = [stereo[:, i : i + BLOCK] for i in range(0, n, BLOCK)]
    start = time.perf_counter()
    streamed = np.concatenate([streamer.process(b) for b in blocks], axis=1)
    t_stream = time.perf_counter() - start

    start = time.perf_counter()
    baseline = naive(chain, stereo)
    t_naive = time.perf_counter() - start

    lag = streamer.latency
    err_stream = np.max(np.abs(streamed[:, lag:] - offline[:, : n - lag])) / np.abs(offline).max()
    err_naive = np.max(np.abs(baseline - offline)) / np.abs(offline).max()
    print(
        f"chain: {chain.filters.shape[0]} drivers x 3 paths x {chain.filters.shape[2]} taps, "
        f"{SECONDS:g} s at {FS:g} Hz"
    )
    print(f"  offline   {t_offline:6.3f} s  real-time factor {SECONDS / t_offline:7.1f}x")
    print(
        f"  streaming {t_stream:6.3f} s  real-time factor {n / FS / t_stream:7.1f}x "
        f"(block {BLOCK}, latency {lag} samples)"
    )
    print(
        f"  naive     {t_naive:6.3f} s  real-time factor {SECONDS / t_naive:7.1f}x "
        f"(one numpy.convolve per driver and path)"
    )
    print(
        f"  offline / naive speed {t_naive / t_offline:.1f}x; streaming vs offline max "
        f"difference {err_stream:.1e}, naive vs offline {err_naive:.1e}"
    )


if __name__ == "__main__":
    main()
