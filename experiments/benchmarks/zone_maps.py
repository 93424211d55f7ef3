"""Benchmark: what the localization model costs in a zone map.

Run with ``python -m experiments.benchmarks.zone_maps [--full] [--workers W]``.

``--full``: the issue's case. Three systems on 21 x 21 points x 3 head yaws (-20, 0, +20 deg) in
the demo's living room (:func:`acoustics.scene.living_room_scene`: rigid-sphere head, the
hybrid room with its late tail), timed once after a warm-up on a 2 x 2 grid (numba, cue and sphere
tables); printed with the seconds per point and yaw. The goal is 120 s on this project's 2 cores.

Without ``--full``: the demo's chain in the demo's living room is mapped on a 3 x 3 grid by
:func:`design.evaluation.zone_maps` (three systems, three stimuli
each per grid point), twice in the same run:

- with the model, :func:`acoustics.metrics.localization.localize_responses`, as shipped;
- with the model replaced by a stand-in that returns zeros at no cost (the baseline: everything
  else the map computes, room transfer included).

Printed: seconds per grid point of each, the model's share, and the ratio of the two (the issue's
goal: the model adds at most 20 %). The model is also timed alone, per binaural stimulus, on the
same responses. Each time is the best of ``REPEATS`` runs after a warm-up run (numba compilation,
cue tables, FFT plans); the minimum is the run least disturbed by other processes.
"""

from __future__ import annotations

import time
from unittest import mock

import numpy as np

import design.evaluation.measures as measures
from acoustics.metrics.localization import Localization, band_cues, localize_responses
from acoustics.scene import living_room_scene
from design.chain import design_chain
from design.evaluation import zone_maps

FS = 48000.0
REPEATS = 2
GRID = (np.linspace(2.2, 2.8, 3), np.linspace(1.8, 2.4, 3))


def _no_model(irs, fs, head, **kwargs):
    """Return zeros at no cost: a stand-in for the model."""
    lead = np.shape(irs)[:-2]
    zeros = np.zeros(lead)
    cues = band_cues(np.ones((2, 256)), fs)  # a fixed, tiny BandCues of the right type
    return Localization(zeros, zeros, zeros, cues)


def best_time(run) -> float:
    """Return the best wall time of ``REPEATS`` calls of ``run``."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Time a zone map with and without the localization model."""
    scene = living_room_scene()
    chain = design_chain(scene, fs=FS)
    n_points = GRID[0].size * GRID[1].size

    def run():
        return zone_maps(chain, scene, *GRID, progress=False)

    calls: list[tuple] = []

    def counting(irs, fs, head, **kwargs):
        calls.append(np.shape(irs))
        return localize_responses(irs, fs, head, **kwargs)

    with mock.patch.object(measures, "localize_responses", counting):
        run()  # warm-up, and count what the model is asked to judge
    n_stimuli = sum(int(np.prod(s[:-2])) for s in calls)
    t_model = best_time(run)
    with mock.patch.object(measures, "localize_responses", _no_model):
        run()
        t_base = best_time(run)
    print(
        f"zone map, demo living room, {GRID[0].size} x {GRID[1].size} grid, 3 systems "
        f"(best of {REPEATS} runs each)"
    )
    print(f"  with the localization model   {t_model / n_points:6.3f} s per grid point")
    print(f"  model replaced by zeros       {t_base / n_points:6.3f} s per grid point")
    print(
        f"  the model adds {100 * (t_model / t_base - 1):.1f} % "
        f"({(t_model - t_base) / n_stimuli * 1e3:.1f} ms for each of {n_stimuli} binaural "
        f"stimuli, {n_stimuli // n_points} per grid point); ratio {t_model / t_base:.2f}"
    )


def full(workers: int) -> None:
    """Time the 21 x 21 x 3 map of the three systems."""
    scene = living_room_scene()
    chain = design_chain(scene, fs=FS)
    xs, ys = np.linspace(1.5, 3.5, 21), np.linspace(1.1, 3.1, 21)
    zone_maps(chain, scene, xs[:2], ys[:2], progress=False)  # warm-up
    start = time.perf_counter()
    zone_maps(chain, scene, xs, ys, yaw_offsets_deg=(-20.0, 0.0, 20.0), progress=False,
              workers=workers)  # fmt: skip
    elapsed = time.perf_counter() - start
    print(f"zone maps, living room with late tail, 21 x 21 x 3 yaws, 3 systems, {workers} workers:")
    print(f"  {elapsed:.1f} s ({elapsed / (21 * 21 * 3):.3f} s per point and yaw; goal 120 s)")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the 21 x 21 x 3 case")
    parser.add_argument("--workers", type=int, default=2, help="processes for --full")
    args = parser.parse_args()
    if args.full:
        full(args.workers)
    else:
        main()
