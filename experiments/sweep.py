"""Parameter sweeps that scale out: many runs, one results table, laptop or cluster.

``soundstage sweep SWEEP.toml`` (or ``python -m experiments.sweep SWEEP.toml``) reads a sweep file
(format: :mod:`experiments.sweep_spec`), checks all of it, then runs every run (a scene, a design
and an evaluation: :func:`run_one`) and appends one row per run to a CSV table as the runs finish.

The results table
    Columns: ``run_id`` (:func:`experiments.sweep_spec.run_id`), the parameters of
    :data:`~experiments.sweep_spec.PARAMETERS` (empty where one does not apply; lists as JSON),
    ``status`` (``ok`` or ``failed``), ``error`` (the exception, one line), ``warnings`` (those the
    run raised, ``" | "``-separated), ``seconds`` (the run's own time, in its worker), then
    :data:`METRICS`: for each system of :data:`design.evaluation.SYSTEMS` (``chain``,
    ``matrix_mixing``, ``stereo_pair``) ``<system>.width_deg``, ``.extent_deg``,
    ``.centre_bias_deg``, ``.separation.<segment>.median_db`` / ``.p10_db`` and
    ``.ctc_separation.<segment>.*`` (segments ``direct``, ``early``, ``full``), ``.sweet_spot`` (1
    or 0), ``.hard_left.*`` / ``.hard_right.*`` (``iacc_early``, ``iacc_late``, ``drr_db``,
    ``c50_db``), ``.centre.drr_db`` / ``.c50_db`` (phantom centre), ``.centre_path.*`` (the centre
    path alone; empty for the stereo pair; DRR, C50 and late IACC empty in free field),
    ``.directivity_factor`` and ``.critical_distance_m`` (empty in free field). Floats are written
    with ``repr``, so they read back exactly. Each row is flushed and synced to disk when its run
    finishes.
Resuming
    Rerunning a sweep skips every run whose id has an ``ok`` row and retries failed ones
    (``retry_failed=False`` keeps those too). Before it starts it drops what a killed sweep can
    leave behind (a half-written last line) and the failed rows it will retry, rewriting the
    table atomically; rows of runs the sweep file does not list are kept as they are. A failed
    run records its error and the sweep goes on. One sweep at a time may write a table (a lock
    on ``<table>.lock``, POSIX only, left in place).
Execution
    Through :class:`concurrent.futures.Executor`: by default a pool of ``workers`` local
    processes (all cores; ``workers=1`` runs serially in this process), or a Dask cluster: an
    existing one (``scheduler="tcp://host:8786"``; its workers must have soundstage installed)
    or a :class:`distributed.LocalCluster` of ``local_cluster`` single-threaded worker processes
    on the loopback interface. Dask is the optional extra ``soundstage[distributed]``. Workers
    run BLAS single-threaded (Dask's default for its workers; set here for the local pool too),
    so that ``n`` workers use ``n`` cores. On a cluster of your own, unset Dask's default
    ``MALLOC_TRIM_THRESHOLD_`` for the workers (config
    ``distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_: null``): with it, glibc maps
    every large numpy temporary afresh and these runs take about twice as long (the local
    cluster started here leaves it unset). Every run is deterministic (the evaluation's noise is
    seeded), so a sweep gives the same table, up to row order and ``seconds``, wherever it runs
    with one BLAS thread per run. A serial sweep (``workers=1``) uses this process's BLAS
    threads: its convex designs then differ in about the ninth digit (and, on two cores, take
    nearly twice as long: set ``OMP_NUM_THREADS=1`` before starting Python).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import csv
import io
import json
import multiprocessing
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from experiments.sweep_spec import PARAMETERS, Sweep, SweepError, build_scene, load_sweep

__all__ = [
    "METRICS",
    "COLUMNS",
    "SweepError",
    "run_one",
    "run_sweep",
    "read_results",
    "add_arguments",
    "main",
]

_SYSTEMS = ("chain", "matrix_mixing", "stereo_pair")  # design.evaluation.SYSTEMS (not imported:
_SCALARS = (  # this module stays light to import, for the workers and the command line)
    "width_deg",
    "extent_deg",
    "centre_bias_deg",
)
_SEGMENTS = ("direct", "early", "full")  # design.evaluation.SEGMENTS
_SEPARATION = tuple(
    f"{kind}.{seg}.{stat}"
    for kind in ("separation", "ctc_separation")
    for seg in _SEGMENTS
    for stat in ("median_db", "p10_db")
)
_DEPTH = {
    "hard_left": ("iacc_early", "iacc_late", "drr_db", "c50_db"),
    "hard_right": ("iacc_early", "iacc_late", "drr_db", "c50_db"),
    "centre": ("drr_db", "c50_db"),
    "centre_path": ("iacc", "iacc_early", "drr_db", "c50_db"),
}
_ROOMLIKE = ("directivity_factor", "critical_distance_m")
# The chain's design effort and what it achieved at the design listener (Chain.targets):
# the largest per-bin filter gain in dB re the inverse of the strongest path and its median over
# the bins where cancellation is asked for (target above 1 dB), the mean designed separation in
# dB (CTC, both ears) over those bins, and the number of bins that fell short of the target.
_DESIGN = (
    "design.max_gain_db",
    "design.median_gain_db",
    "design.separation_db",
    "design.short_bins",
)
#: Metric columns of the results table, ``<system>.<measure>``.
METRICS: tuple[str, ...] = tuple(f"chain.{key}" for key in _DESIGN) + tuple(
    f"{system}.{key}"
    for system in _SYSTEMS
    for key in (
        *_SCALARS,
        *_SEPARATION,
        "sweet_spot",
        *(f"{part}.{d}" for part, keys in _DEPTH.items() for d in keys),
        *_ROOMLIKE,
    )
)
_STATUS = ("status", "error", "warnings", "seconds")
#: All columns of the results table, in order.
COLUMNS: tuple[str, ...] = ("run_id", *PARAMETERS, *_STATUS, *METRICS)
_BLAS_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# --- one run ---------------------------------------------------------------------------------


def run_one(run: Mapping[str, Any]) -> dict[str, float | None]:
    """Build the scene, design and evaluate one run; return its metrics.

    Parameters
    ----------
    run : mapping
        Resolved parameters (:func:`experiments.sweep_spec.resolve`).

    Returns
    -------
    dict
        :data:`METRICS` to floats (``None`` where a system lacks the measure).
    """
    from functools import partial

    from design.chain import design_chain, matrix_mixing_chain, midrange_target_db
    from design.evaluation import evaluate

    scene = build_scene(run)
    if run["design"] == "chain":
        depth = run["target_depth_db"]
        if run["target_curve"] == "midrange":
            target = partial(midrange_target_db, depth_db=depth)
        else:
            target = depth
        chain = design_chain(
            scene,
            fs=run["fs"],
            n_taps=run["n_taps"],
            target_db=target,
            gain_limit_db=run["gain_limit_db"],
            virtual_azimuth_deg=run["virtual_azimuth_deg"],
            beam_band_hz=tuple(run["beam_band_hz"]),
            upmix=run["upmix"],
            beam_options={
                "wng_floor_db": run["beam_wng_floor_db"],
                "null_depth_db": run["beam_null_depth_db"],
                "lobe_half_width_deg": run["beam_lobe_half_width_deg"],
                "null_width_deg": run["beam_null_width_deg"],
            },
        )
    else:
        chain = matrix_mixing_chain(scene, fs=run["fs"], upmix=run["upmix"])
    ev = evaluate(
        chain,
        scene,
        n_pans=run["n_pans"],
        band_hz=tuple(run["band_hz"]),
        early_ms=run["early_ms"],
    )
    out: dict[str, float | None] = dict.fromkeys(f"chain.{key}" for key in _DESIGN)
    targets = chain.targets  # None for matrix mixing
    if targets is not None:
        import numpy as np

        band = targets.target_db > 1.0  # the bins where cancellation is asked for
        out["chain.design.max_gain_db"] = float(np.max(targets.max_gain_db))
        out["chain.design.median_gain_db"] = float(np.median(targets.max_gain_db[band]))
        out["chain.design.separation_db"] = float(np.mean(targets.separation_db[:, band]))
        out["chain.design.short_bins"] = float(targets.short_bins.size)
    for name in _SYSTEMS:
        s = ev.systems[name]
        for key in _SCALARS:
            out[f"{name}.{key}"] = float(getattr(s, key))
        for key in _SEPARATION:
            kind, seg, stat = key.split(".")
            out[f"{name}.{key}"] = float(getattr(getattr(s, kind)[seg], stat))
        out[f"{name}.sweet_spot"] = float(s.sweet_spot)
        for part, keys in _DEPTH.items():
            for key in keys:
                value = s.depth.get(part, {}).get(key)
                out[f"{name}.{part}.{key}"] = None if value is None else float(value)
        for key in _ROOMLIKE:
            value = getattr(s, key)
            out[f"{name}.{key}"] = None if value is None else float(value)
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _run_row(run: dict[str, Any]) -> dict[str, Any]:
    """Run one run in a worker, never raising: its status, error, warnings, time and metrics."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            metrics = run_one(run)
            status, error = "ok", ""
        except Exception as exc:  # noqa: BLE001  (a failed run is recorded, the sweep goes on)
            metrics, status = {}, "failed"
            error = _one_line(f"{type(exc).__name__}: {exc}")
    seen = dict.fromkeys(_one_line(f"{w.category.__name__}: {w.message}") for w in caught)
    return {
        "status": status,
        "error": error,
        "warnings": " | ".join(seen),
        "seconds": time.perf_counter() - start,
        **metrics,
    }


# --- the results table -----------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def _row(rid: str, run: Mapping[str, Any], result: Mapping[str, Any]) -> list[str]:
    values = {"run_id": rid, **run, **result}
    return [_cell(values.get(col)) for col in COLUMNS]


def _read_rows(path: Path) -> tuple[list[list[str]], bool]:
    """Return the data rows of a results table and whether it needs rewriting (damage found)."""
    with path.open(newline="") as f:
        text = f.read()
    damaged = False
    if text and not text.endswith("\n"):  # a killed sweep's half-written last row
        text = text[: text.rfind("\n") + 1]
        damaged = True
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return [], True
    if tuple(rows[0]) != COLUMNS:
        raise SweepError(
            f"results {str(path)!r} has other columns than this version of soundstage writes; "
            "give another results file (or move this one away)"
        )
    good = [r for r in rows[1:] if len(r) == len(COLUMNS)]
    return good, damaged or len(good) != len(rows) - 1


def _prepare(path: Path, retry: set[str]) -> set[str]:
    """Make ``path`` a clean table to append to; return the ids of runs already done.

    Failed rows of the runs in ``retry`` are dropped (they run again); all else is kept.
    """
    rows, dirty = _read_rows(path) if path.exists() else ([], True)
    status = COLUMNS.index("status")
    kept: dict[str, list[str]] = {}
    for row in rows:
        rid, ok = row[0], row[status] == "ok"
        if rid in kept and (kept[rid][status] == "ok" or not ok):
            dirty = True  # a duplicate: keep the first success
            continue
        if not ok and rid in retry:
            dirty = True
            continue
        kept[rid] = row
    if dirty:
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(kept.values())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    return set(kept)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` (POSIX; left in place) while a sweep writes.

    ``path`` is the resolved real path, so a symbolic link to a table locks the table itself.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SweepError(
            f"results {str(path)!r}: cannot create its directory: {exc.strerror or exc}"
        ) from exc
    try:
        import fcntl
    except ImportError:  # pragma: no cover  (Windows: no lock)
        yield
        return
    try:
        lock = path.with_name(path.name + ".lock").open("a")
    except OSError as exc:
        raise SweepError(f"results {str(path)!r} cannot be written: {exc.strerror or exc}") from exc
    with lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise SweepError(f"results {str(path)!r} are being written by another sweep") from exc
        yield


def read_results(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Read a results table back: parameters as in the sweep, metrics as floats or ``None``.

    Parameters
    ----------
    path : str or os.PathLike
        A table written by :func:`run_sweep`.

    Returns
    -------
    list of dict
        One dict per row, keyed by :data:`COLUMNS`.
    """
    rows, _ = _read_rows(Path(path))
    out = []
    for row in rows:
        record: dict[str, Any] = {}
        for col, cell in zip(COLUMNS, row, strict=True):
            if cell == "":
                record[col] = None if col not in ("error", "warnings") else ""
            elif col in METRICS or col == "seconds":
                record[col] = float(cell)
            elif col in PARAMETERS and PARAMETERS[col].kind not in ("str", "path"):
                record[col] = json.loads(cell)
            else:
                record[col] = cell
        out.append(record)
    return out


# --- execution -------------------------------------------------------------------------------


def _import_distributed():
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(
            "running a sweep on Dask needs the 'distributed' package: "
            "pip install 'soundstage[distributed]' (or 'dask[distributed]')"
        ) from exc
    return distributed


@contextlib.contextmanager
def _environ(updates: Mapping[str, str]) -> Iterator[None]:
    """Apply ``updates`` to ``os.environ``; on exit undo them and every change made meanwhile."""
    saved = dict(os.environ)
    os.environ.update(updates)
    try:
        yield
    finally:
        for key in set(os.environ) - set(saved):
            del os.environ[key]
        os.environ.update(saved)


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


@contextlib.contextmanager
def _executor(
    scheduler: str | None, local_cluster: int | None, workers: int | None
) -> Iterator[cf.Executor | None]:
    """Yield the executor (``None``: run serially here), shutting it down on the way out."""
    if scheduler is not None and local_cluster is not None:
        raise ValueError("give scheduler or local_cluster, not both")
    if (scheduler is not None or local_cluster is not None) and workers is not None:
        raise ValueError("workers is for local processes; a Dask cluster has its own workers")
    if scheduler is None and local_cluster is None:
        n = (os.cpu_count() or 1) if workers is None else _positive_int(workers, "workers")
        if n == 1:
            yield None
            return
        pool = cf.ProcessPoolExecutor(
            n,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        )
        try:
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    # Dask's nannies run in this process and write their workers' environment into it: undo.
    with _environ({}), _dask_executor(scheduler, local_cluster) as executor:
        yield executor


def _die_with_parent(parent: int) -> None:
    """In a pool worker: exit as soon as the sweep that started it is gone (even by kill -9).

    Linux delivers SIGKILL to the worker when its parent dies (``PR_SET_PDEATHSIG``); elsewhere,
    and as a second line, a daemon thread checks twice a second that the parent still is.
    """
    import threading

    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="soundstage-parent-watch").start()


#: Seconds to wait for a Dask scheduler before giving up.
SCHEDULER_TIMEOUT_S = 5.0


@contextlib.contextmanager
def _dask_executor(scheduler: str | None, local_cluster: int | None) -> Iterator[cf.Executor]:
    distributed = _import_distributed()
    cluster = None
    if local_cluster is not None:
        n = _positive_int(local_cluster, "local_cluster")
        import dask

        # Dask starts workers with MALLOC_TRIM_THRESHOLD_ set, which turns off glibc's adaptive
        # mmap threshold: every large numpy temporary is then mmapped and page-faulted afresh,
        # and these runs take twice as long. Unset it for the cluster started here.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
            cluster = distributed.LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
        client = distributed.Client(cluster)
    else:
        if not isinstance(scheduler, str) or not scheduler:
            raise ValueError(
                f"scheduler must be an address like 'tcp://host:8786', got {scheduler!r}"
            )
        try:
            client = distributed.Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S:g}s")
        except (OSError, TimeoutError) as exc:
            raise SweepError(
                f"scheduler {scheduler!r} could not be reached within "
                f"{SCHEDULER_TIMEOUT_S:g} s: {_one_line(str(exc))}"
            ) from exc
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_sweep(
    path_or_spec: str | os.PathLike | Mapping[str, Any] | Sweep,
    *,
    results: str | os.PathLike | None = None,
    scheduler: str | None = None,
    local_cluster: int | None = None,
    workers: int | None = None,
    progress: bool = False,
    retry_failed: bool = True,
) -> Path:
    """Run a sweep, appending one row per run to its results table; resume where it stopped.

    Parameters
    ----------
    path_or_spec : str, os.PathLike, mapping or Sweep
        A sweep file, its content as a mapping, or a loaded :class:`~experiments.sweep_spec.Sweep`;
        checked completely before any run starts.
    results : str or os.PathLike, optional
        The results table (CSV), overriding the sweep's ``results``.
    scheduler : str, optional
        Address of a Dask scheduler to run on.
    local_cluster : int, optional
        Start a Dask ``LocalCluster`` of this many single-threaded worker processes on loopback.
    workers : int, optional
        Local worker processes (default: all cores; 1 runs serially in this process).
    progress : bool, optional
        Show a progress bar (tqdm, on stderr); off by default (the command line turns it
        on unless ``--no-progress``).
    retry_failed : bool, optional
        Rerun runs whose earlier row failed (their old rows are dropped).

    Returns
    -------
    pathlib.Path
        The results table.
    """
    from tqdm import tqdm

    sweep = path_or_spec if isinstance(path_or_spec, Sweep) else load_sweep(path_or_spec)
    path = Path(results) if results is not None else sweep.results
    path = Path(os.path.realpath(path))  # one table, one lock, whatever links lead to it
    with _locked(path):
        done = _prepare(path, set(sweep.ids) if retry_failed else set())
        todo = [
            (rid, run) for rid, run in zip(sweep.ids, sweep.runs, strict=True) if rid not in done
        ]
        bar = tqdm(
            total=len(sweep.runs),
            initial=len(sweep.runs) - len(todo),
            desc=sweep.name,
            unit="run",
            disable=not progress,
            file=sys.stderr,
        )
        with path.open("a", newline="") as f, bar:
            writer = csv.writer(f, lineterminator="\n")

            def record(rid: str, run: dict[str, Any], result: Mapping[str, Any]) -> None:
                writer.writerow(_row(rid, run, result))
                f.flush()
                os.fsync(f.fileno())
                bar.update()

            if todo:
                _execute(todo, record, scheduler, local_cluster, workers)
    return path


def _execute(
    todo: list[tuple[str, dict[str, Any]]],
    record: Callable[[str, dict[str, Any], Mapping[str, Any]], None],
    scheduler: str | None,
    local_cluster: int | None,
    workers: int | None,
) -> None:
    """Run ``todo`` ((id, run) pairs) on the chosen executor, recording each as it finishes."""
    local = scheduler is None and local_cluster is None
    with _executor(scheduler, local_cluster, workers) as executor:
        if executor is None:
            for rid, run in todo:
                record(rid, run, _run_row(run))
            return
        # A local pool spawns its processes on these first submissions: give them one BLAS thread.
        with _environ(dict.fromkeys(_BLAS_ENV, "1") if local else {}):
            futures = {executor.submit(_run_row, run): (rid, run) for rid, run in todo}
        try:
            for future in cf.as_completed(futures):
                rid, run = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001  (a worker died: record it, go on)
                    message = f"worker failed: {type(exc).__name__}: {exc}"
                    result = {"status": "failed", "error": _one_line(message)}
                record(rid, run, result)
        finally:
            for future in futures:
                future.cancel()


# --- command line ----------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the sweep's arguments (``SWEEP`` and its options) to ``parser``; return it."""
    parser.add_argument("sweep", metavar="SWEEP.toml", help="the sweep file")
    parser.add_argument(
        "--results", help="results table (CSV); default: the sweep's [sweep] results"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local worker processes (default: all cores)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask scheduler")
    where.add_argument(
        "--local-cluster", type=int, metavar="N", help="run on a Dask LocalCluster of N workers"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--keep-failed", action="store_true", help="do not retry runs that failed before"
    )
    return parser


def run_from_args(args: argparse.Namespace) -> Path:
    """Run the sweep that :func:`add_arguments`'s arguments describe; return the table."""
    return run_sweep(
        args.sweep,
        results=args.results,
        scheduler=args.scheduler,
        local_cluster=args.local_cluster,
        workers=args.workers,
        progress=not args.no_progress,
        retry_failed=not args.keep_failed,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m experiments.sweep SWEEP.toml [options]``; return the exit code.

    0 when every run succeeded, 1 when some failed (their errors are in the table), 2 on a bad
    sweep file or options (the reason on stderr).
    """
    parser = add_arguments(
        argparse.ArgumentParser(prog="soundstage sweep", description="Run a parameter sweep.")
    )
    return run_command(parser.parse_args(argv))


def run_command(args: argparse.Namespace) -> int:
    """Run the sweep of parsed :func:`add_arguments` arguments; return :func:`main`'s exit code."""
    try:
        path = run_from_args(args)
    except (SweepError, ValueError, TypeError, ImportError) as exc:
        print(f"soundstage sweep: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{exc.filename!r}: " if exc.filename else ""
        print(f"soundstage sweep: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    rows = read_results(path)
    n_failed = sum(row["status"] != "ok" for row in rows)
    print(f"wrote {path}: {len(rows)} rows, {n_failed} failed")
    return 1 if n_failed else 0


if __name__ == "__main__":
    sys.exit(main())
