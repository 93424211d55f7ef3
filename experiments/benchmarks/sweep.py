"""Benchmark: one sweep serially, on local processes and on a Dask LocalCluster.

Run with ``python -m experiments.benchmarks.sweep [--workers N] [--runs {24,48}]``. The sweep is
the full chain (:func:`design.chain.design_chain`, 512 taps) for the smart speaker in free field,
rigid-sphere head, evaluated with 5 pan positions, over listener distances and offsets and two
CTC gain limits. It runs three times into fresh tables: serially in this process (the baseline,
timed in the same run), on ``N`` local processes and on an ``N``-worker ``LocalCluster`` on
loopback. Printed for each: wall time (including starting the pool or cluster), throughput in
runs per second, the speed-up over serial and the scaling efficiency (speed-up / N), and the
mean time of one run inside its worker; finally whether the three tables agree.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

N_DISTANCES = 4


def spec(n_runs: int) -> dict:
    """Return the benchmark sweep of ``n_runs`` (a multiple of 8) runs."""
    offsets = [round(0.1 * k, 1) for k in range(n_runs // (2 * N_DISTANCES))]
    return {
        "sweep": {"name": "bench"},
        "base": {"design": "chain", "n_taps": 512, "n_pans": 5, "head": "sphere"},
        "grid": {
            "listener_distance": [1.5, 2.0, 2.5, 3.0][:N_DISTANCES],
            "listener_offset": offsets,
            "gain_limit_db": [12.0, 20.0],
        },
    }


def main() -> None:
    """Time the sweep three ways and print throughput and scaling efficiency."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="processes / cluster workers")
    parser.add_argument("--runs", type=int, default=24, choices=(16, 24, 32, 48))
    args = parser.parse_args()
    # One BLAS thread in this process too, as in the workers (experiments.sweep sets it for
    # them): the serial baseline then does the same work per run, and the ratios measure the
    # scaling, not BLAS's own threads (which on these small per-bin problems cost more than they
    # give: a run takes 1.6 s with two threads, 0.9 s with one). Set before numpy is imported.
    for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(key, "1")
    from experiments.sweep import COLUMNS, read_results, run_sweep

    n = args.workers
    sweep = spec(args.runs)
    tables = {}
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        ways = (
            ("serial (this process)", {"workers": 1}),
            (f"{n} local processes", {"workers": n}),
            (f"Dask LocalCluster, {n} workers", {"local_cluster": n}),
        )
        for label, kwargs in ways:
            out = Path(tmp) / f"{len(tables)}.csv"
            start = time.perf_counter()
            run_sweep(sweep, results=out, progress=False, **kwargs)
            times[label] = time.perf_counter() - start
            tables[label] = read_results(out)
    serial = times[ways[0][0]]
    print(
        f"sweep of {args.runs} runs: full chain, smart speaker, free field, sphere head, "
        f"512 taps, 5 pans; {n} workers"
    )
    print(
        f"  {'':32s} {'wall s':>7s} {'runs/s':>7s} {'speed-up':>8s} {'efficiency':>10s} "
        f"{'s/run in worker':>15s}"
    )
    for label, _ in ways:
        rows = tables[label]
        speedup = serial / times[label]
        eff = speedup if label == ways[0][0] else speedup / n
        per_run = sum(r["seconds"] for r in rows) / len(rows)
        print(
            f"  {label:32s} {times[label]:7.2f} {len(rows) / times[label]:7.2f} "
            f"{speedup:7.2f}x {eff:10.0%} {per_run:15.3f}"
        )
    keys = [c for c in COLUMNS if c != "seconds"]

    def canon(rows):
        return sorted(tuple(r[k] for k in keys) for r in rows)

    ok = all(r["status"] == "ok" for rows in tables.values() for r in rows)
    first = canon(tables[ways[0][0]])
    same = all(canon(rows) == first for rows in tables.values())
    print(f"  all runs ok: {ok}; identical tables (but for 'seconds'): {same}")


if __name__ == "__main__":
    main()
