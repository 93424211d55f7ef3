"""Benchmark: a constrained target-cancellation design, stacked over all bins vs per bin.

Run with ``python -m experiments.benchmarks.design``. The smart speaker's three midrange drivers
(``left``, ``right``, ``top``) and the default listener (rigid sphere), 2049 bins (n_fft 4096 at
48 kHz), a 20 dB target cancellation curve tapering to 0 dB at the band edges, and a
per-driver gain limit. soundstage solves each input channel as one stacked second-order cone
program (:func:`design.filters.ctc.target_cancellation`); the baseline builds one cvxpy Problem per
bin with complex variables, as a plain loop would. Printed: both times, the ratio, and the relative
difference of the total objectives (the driver effort summed over bins and both inputs).
"""

from __future__ import annotations

import time

import cvxpy as cp
import numpy as np

from acoustics.scene import default_scene, ear_transfer
from design.filters.ctc import target_cancellation

FS = 48000.0
N_FFT = 4096


def target_db(freqs):
    """Return 20 dB from 500 Hz to 4 kHz, tapering over log frequency to 0 at 125 Hz and 12 kHz."""
    logf = np.log(np.maximum(freqs, 1.0))
    up = np.clip((logf - np.log(125)) / np.log(4), 0, 1)
    down = np.clip((np.log(12000) - logf) / np.log(3), 0, 1)
    return 20.0 * np.minimum(up, down)


def per_bin(h, target, limit):
    """Return the effort summed over bins from one cvxpy Problem per bin and input."""
    total = 0.0
    bound = 10 ** (-target / 20)
    for i in range(2):
        for k in range(h.shape[2]):
            w = cp.Variable(h.shape[1], complex=True)
            prob = cp.Problem(
                cp.Minimize(cp.sum_squares(w)),
                [h[i, :, k] @ w == 1, cp.abs(h[1 - i, :, k] @ w) <= bound[k], cp.abs(w) <= limit],
            )
            prob.solve(solver=cp.CLARABEL)
            total += prob.value
    return total


def main() -> None:
    """Time both and print the ratio and the agreement of the objectives."""
    freqs = np.fft.rfftfreq(N_FFT, 1 / FS)
    tm = ear_transfer(default_scene(), freqs).select(sources=["left", "right", "top"])
    target = target_db(freqs)
    limit = 10 ** (30 / 20) / np.max(np.abs(tm.H))  # 30 dB above the strongest path's inverse
    start = time.perf_counter()
    design = target_cancellation(tm, target, fs=FS, gain_limit=limit)
    t_stacked = time.perf_counter() - start
    effort = float(np.sum(np.abs(design.filters.W) ** 2))
    start = time.perf_counter()
    effort_loop = per_bin(tm.H, target, limit)
    t_loop = time.perf_counter() - start
    print(f"target cancellation, 3 drivers, {freqs.size} bins, 2 inputs, gain limit")
    print(f"  stacked (soundstage): {t_stacked:7.2f} s   objective {effort:.10e}")
    print(f"  one problem per bin:  {t_loop:7.2f} s   objective {effort_loop:.10e}")
    print(
        f"  ratio {t_loop / t_stacked:.1f}x, relative objective difference "
        f"{abs(effort - effort_loop) / effort_loop:.2e}"
    )


if __name__ == "__main__":
    main()
