"""Benchmark: stereo to the smart speaker's driver feeds with 1024-tap filters at 48 kHz.

Run with ``python -m experiments.benchmarks.render``. The chain of the default scene
(:func:`design.chain.design_chain`, 5 drivers x 3 paths x 1024 taps) renders 20 s of the synthetic
mixture: offline (:func:`design.chain.render`, upmix + multichannel overlap-add) and streaming
(:class:`design.render.streaming.StreamingRenderer`, block 256: streaming upmix + partitioned
overlap-save), against a naive baseline of one :func:`numpy.convolve` per driver and path in the
same run (after the same offline upmix). Printed: real-time factors (audio seconds per
computing second) and the ratios; the agreement of the three outputs; and the two stages of each
renderer timed alone (upmix, convolution), which shows where the time goes.

The upmix runs in float32 by default (:mod:`design.render.upmix`); :func:`design.chain.render`'s
convolution is float64. The line "offline f32" times the same render with the convolution in
float32 too (``convolve(..., precision="float32")``), and the run prints how far each float32
result lies from its float64 counterpart, relative to the peak.

Every time is the best of ``REPEATS`` runs after one warm-up run on a short input (FFT plans,
first-touch memory), the convention of :mod:`timeit`: the minimum is the run least disturbed by
other processes on the machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from acoustics.scene import default_scene
from design.chain import design_chain, path_signals, render
from design.render.convolution import PartitionedConvolver, convolve
from design.render.mixtures import synthetic_mixture
from design.render.streaming import StreamingRenderer, StreamingUpmix
from design.render.upmix import upmix_lrc

FS = 48000.0
SECONDS = 20.0
BLOCK = 256
REPEATS = 3


def naive(chain, stereo):
    """Return driver feeds by one numpy.convolve per driver and path (the baseline)."""
    paths = path_signals(chain, stereo)
    n_d, n_p, n_t = chain.filters.shape
    out = np.zeros((n_d, paths.shape[1] + n_t - 1))
    for d in range(n_d):
        for p in range(n_p):
            out[d] += np.convolve(paths[p], chain.filters[d, p])
    return out


def stream(processor, signal: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """Feed ``signal`` to ``processor.process`` in blocks of ``block``; concatenate the outputs."""
    processor.reset()
    n = (signal.shape[1] // block) * block
    blocks = [signal[:, i : i + block] for i in range(0, n, block)]
    return np.concatenate([processor.process(b) for b in blocks], axis=1)


def best_time(run: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
    """Return the best wall time of ``REPEATS`` calls of ``run`` and its (last) result."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    """Time the three renderers and print real-time factors."""
    chain = design_chain(default_scene(), fs=FS, n_taps=1024)
    stereo = synthetic_mixture(FS, SECONDS, seed=0).stereo
    streamer = StreamingRenderer(chain, BLOCK)
    render(chain, stereo[:, : 16 * BLOCK], FS)  # warm-up
    stream(streamer, stereo[:, : 16 * BLOCK])

    t_offline, offline = best_time(lambda: render(chain, stereo, FS))
    t_f32, offline_f32 = best_time(
        lambda: convolve(chain.filters, path_signals(chain, stereo), precision="float32")
    )
    t_stream, streamed = best_time(lambda: stream(streamer, stereo))
    t_naive, baseline = best_time(lambda: naive(chain, stereo))

    # The stages alone: upmix, then convolution of its three paths.
    paths = path_signals(chain, stereo)
    opts = dict(method=chain.upmix, **chain.upmix_options)
    t_upmix, _ = best_time(lambda: upmix_lrc(stereo, FS, **opts))
    t_conv, _ = best_time(lambda: convolve(chain.filters, paths))
    t_conv32, _ = best_time(lambda: convolve(chain.filters, paths, precision="float32"))
    t_upmix64, upmix64 = best_time(lambda: upmix_lrc(stereo, FS, precision="float64", **opts))
    peak = np.abs(stereo).max()
    err_upmix32 = np.max(np.abs(paths - np.vstack(upmix64))) / peak
    offline64 = convolve(chain.filters, np.vstack(upmix64))
    t_stream_upmix, _ = best_time(lambda: stream(StreamingUpmix(FS, **opts), stereo))
    # The renderer's convolver steps one upmix hop at a time (design.render.streaming): time that
    # one.
    step = streamer._convolver.block_size
    convolver = PartitionedConvolver(chain.filters, step)
    t_stream_conv, _ = best_time(lambda: stream(convolver, paths, step))

    n = streamed.shape[1]
    lag = streamer.latency
    err_stream = np.max(np.abs(streamed[:, lag:] - offline[:, : n - lag])) / np.abs(offline).max()
    err_naive = np.max(np.abs(baseline - offline)) / np.abs(offline).max()
    print(
        f"chain: {chain.filters.shape[0]} drivers x 3 paths x {chain.filters.shape[2]} taps, "
        f"{SECONDS:g} s at {FS:g} Hz (best of {REPEATS} runs each)"
    )
    print(f"  offline   {t_offline:6.3f} s  real-time factor {SECONDS / t_offline:7.1f}x")
    print(
        f"  offline f32 {t_f32:4.3f} s  real-time factor {SECONDS / t_f32:7.1f}x "
        f"(float32 convolution too)"
    )
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
    dev = [np.max(np.abs(y - offline64)) / np.abs(offline64).max() for y in (offline, offline_f32)]
    print(
        f"  float32 vs float64, max difference re peak: upmix paths {err_upmix32:.1e}, "
        f"render {dev[0]:.1e}, render with float32 convolution {dev[1]:.1e}"
    )
    print(
        f"  stages alone: offline upmix {SECONDS / t_upmix:.0f}x "
        f"(float64 {SECONDS / t_upmix64:.0f}x), convolution {SECONDS / t_conv:.0f}x "
        f"(float32 {SECONDS / t_conv32:.0f}x); streaming upmix {n / FS / t_stream_upmix:.0f}x, "
        f"partitioned convolution (block {step}) {n / FS / t_stream_conv:.0f}x "
        f"({t_stream_upmix / (n // BLOCK) * 1e6:.0f} + {t_stream_conv / (n // BLOCK) * 1e6:.0f}"
        f" us per block of {BLOCK / FS * 1e6:.0f} us)"
    )


if __name__ == "__main__":
    main()
