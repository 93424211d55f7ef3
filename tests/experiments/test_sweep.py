"""Tests of parameter sweeps (experiments.sweep, experiments.sweep_spec).

The table mechanics (resume, failures, damage) run serially with a stub in place of the acoustics;
the scale-out tests run real, cheap runs (free field, point ears, matrix mixing or a 256-tap chain,
three pan positions) on local processes and on a two-worker Dask LocalCluster on loopback.
"""

import contextlib
import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import experiments.sweep as sweep_mod
from experiments.sweep import COLUMNS, METRICS, main, read_results, run_sweep
from experiments.sweep_spec import PARAMETERS, SweepError, load_sweep, resolve, run_id

CHEAP = """
[base]
design = "matrix_mixing"
head = "point"
n_pans = 3
"""


def write(tmp_path, text, name="sweep.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def fake_run_one(run):
    """Stand in for the acoustics: metrics that depend on the parameters, instantly."""
    if run["listener_offset"] == 0.3:
        raise RuntimeError("offset 0.3 is cursed\nsecond line")
    return {key: run["listener_distance"] * (i + 1) / 7 for i, key in enumerate(METRICS)}


@pytest.fixture
def stub(monkeypatch):
    monkeypatch.setattr(sweep_mod, "run_one", fake_run_one)


GRID = """
[sweep]
name = "stub"
[grid]
listener_distance = [1.5, 2.0, 3.0]
listener_offset = [0.0, 0.3]
"""


def table(path):
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == COLUMNS
    return rows[1:]


# --- the sweep file --------------------------------------------------------------------------


def test_grid_times_cases_in_file_order(tmp_path):
    spec = load_sweep(
        write(
            tmp_path,
            """
[base]
n_taps = 256
[grid]
listener_distance = [1.5, 2]
gain_limit_db = [10, 20]
[[cases]]
device = "smart_speaker"
[[cases]]
device = "soundbar"
n_drivers = 6
""",
        )
    )
    assert len(spec.runs) == 8
    assert spec.results == tmp_path / "sweep.csv"  # beside the file, named after it
    got = [(r["device"], r["listener_distance"], r["gain_limit_db"]) for r in spec.runs]
    assert got[:4] == [
        ("smart_speaker", 1.5, 10.0),
        ("smart_speaker", 1.5, 20.0),
        ("smart_speaker", 2.0, 10.0),
        ("smart_speaker", 2.0, 20.0),
    ]
    assert {r["n_drivers"] for r in spec.runs} == {None, 6}
    assert all(r["n_taps"] == 256 for r in spec.runs)
    assert len(set(spec.ids)) == 8


def test_run_id_is_stable_and_ignores_what_does_not_apply():
    a = resolve({"listener_distance": 2})
    b = resolve({"listener_distance": 2.0, "n_drivers": 4, "dimensions": [4, 4, 3]})
    assert a == b and run_id(a) == run_id(b)  # int 2 == 2.0; soundbar/shoebox keys dropped
    assert a["n_drivers"] is None and a["max_order"] is None
    assert run_id(resolve({"listener_distance": 2.5})) != run_id(a)
    assert resolve({"room": "living_room"})["max_order"] == 3  # the preset's default, explicit
    assert list(a) == list(PARAMETERS)
    # The id is a hash of the parameters, fixed across versions unless their meaning changes.
    assert run_id(a) == run_id(resolve({}))


def test_the_example_sweep_is_valid():
    example = Path(__file__).resolve().parents[2] / "experiments" / "sweeps" / "example.toml"
    spec = load_sweep(example)
    assert len(spec.runs) == 96 and spec.name == "example"
    assert spec.results == example.parent / "example.csv"


def test_runs_that_coincide_run_once(tmp_path):
    path = write(tmp_path, "[grid]\nn_drivers = [4, 6, 8]\n")  # smart speaker: no n_drivers
    with pytest.warns(UserWarning, match="3 runs listed, 1 distinct"):
        spec = load_sweep(path)
    assert len(spec.runs) == 1


BAD = {
    "unknown table": ("[grids]\nlistener_distance = [1.0]\n", "unknown table(s) ['grids']"),
    "unknown grid key": ("[grid]\nlistener_distanse = [1.0]\n", "[grid]: unknown parameter"),
    "unknown base key": (
        "[base]\nregularisation = 1\n[grid]\nn_pans = [3]\n",
        "[base]: unknown parameter(s) ['regularisation']",
    ),
    "unknown case key": ("[[cases]]\ndevise = 'soundbar'\n", "cases[0]: unknown parameter"),
    "unknown sweep key": ("[sweep]\nresult = 'x.csv'\n[grid]\nn_pans = [3]\n", "in [sweep]"),
    "empty list": ("[grid]\nlistener_distance = []\n", "[grid] listener_distance is an empty"),
    "empty grid": ("[grid]\n", "[grid] is empty"),
    "nothing": ("[base]\nn_pans = 3\n", "nothing to sweep"),
    "not a list": ("[grid]\nlistener_distance = 2.0\n", "listener_distance must be a list"),
    "wrong type": (
        "[grid]\nlistener_distance = [1.0, 'far']\n",
        "listener_distance[1] must be a number",
    ),
    "float for int": ("[grid]\nn_drivers = [4.5]\n", "n_drivers[0] must be an integer"),
    "bool for number": ("[grid]\ngain_limit_db = [true]\n", "gain_limit_db[0] must be a number"),
    "bad choice": ("[grid]\ndevice = ['hifi']\n", "device[0] must be one of"),
    "string type": ("[grid]\nroom = [3]\n", "room[0] must be a string"),
    "out of range": ("[grid]\nabsorption = [0.2, 1.5]\n", "absorption[1] must lie in [0, 1]"),
    "even pans": ("[grid]\nn_pans = [4]\n", "n_pans[0] must be odd"),
    "list param": ("[grid]\ndimensions = [4.0, 3.0, 2.5]\n", "dimensions takes lists of 3"),
    "pair order": ("[grid]\nband_hz = [[4000.0, 500.0]]\n", "low < high"),
    "above nyquist": ("[base]\nfs = 8000\n[grid]\nn_pans = [3]\n", "below fs / 2"),
    "base and grid": ("[base]\nn_pans = 3\n[grid]\nn_pans = [5]\n", "in both [base] and [grid]"),
    "case and grid": ("[grid]\nn_pans = [5]\n[[cases]]\nn_pans = 3\n", "which [grid] also sweeps"),
    "cases not tables": ("cases = [1, 2]\n", "array of tables"),
    "outside the room": (
        "[base]\nroom = 'shoebox'\ndimensions = [3.0, 3.0, 2.5]\n"
        "[grid]\nlistener_distance = [1.0, 4.0]\n",
        "run 2 (room='shoebox', dimensions=[3.0, 3.0, 2.5], listener_distance=4.0): listener",
    ),
    "invalid toml": ("[grid\n", "is not valid TOML"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_sweep_files_fail_before_any_run(tmp_path, stub, case):
    text, message = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(SweepError) as info:
        run_sweep(path, workers=1, progress=False)
    assert message in str(info.value)
    assert not list(tmp_path.glob("*.csv"))  # nothing ran, nothing written


def test_command_line_reports_a_bad_file(tmp_path, capsys):
    assert main([str(write(tmp_path, "[grid]\nn_pans = [4]\n"))]) == 2
    assert "n_pans[0] must be odd" in capsys.readouterr().err
    assert main([str(tmp_path / "missing.toml")]) == 2
    assert "cannot be read" in capsys.readouterr().err


def test_bad_execution_options(tmp_path, stub, monkeypatch):
    path = write(tmp_path, GRID)
    with pytest.raises(ValueError, match="not both"):
        run_sweep(path, scheduler="tcp://127.0.0.1:1", local_cluster=2, progress=False)
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        run_sweep(path, workers=0, progress=False)
    with pytest.raises(ValueError, match="a Dask cluster has its own workers"):
        run_sweep(path, local_cluster=2, workers=2, progress=False)
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(ImportError, match=r"soundstage\[distributed\]"):
        run_sweep(path, local_cluster=2, progress=False)


# --- the results table -----------------------------------------------------------------------


def test_failed_runs_are_recorded_and_the_sweep_goes_on(tmp_path, stub, capsys):
    path = write(tmp_path, GRID)
    assert main([str(path), "--workers", "1", "--no-progress"]) == 1  # some runs failed
    assert "6 rows, 3 failed" in capsys.readouterr().out
    rows = read_results(tmp_path / "stub.csv")
    assert len(rows) == 6
    failed = [r for r in rows if r["status"] == "failed"]
    assert {r["listener_offset"] for r in failed} == {0.3}
    assert failed[0]["error"] == "RuntimeError: offset 0.3 is cursed second line"  # one line
    assert all(r[m] is None for r in failed for m in METRICS)
    ok = [r for r in rows if r["status"] == "ok"]
    for r in ok:  # the floats read back exactly (repr round-trips)
        assert r[METRICS[3]] == r["listener_distance"] * 4 / 7


def test_rerun_skips_finished_runs_and_retries_failed_ones(tmp_path, stub, monkeypatch):
    path = write(tmp_path, GRID)
    out = run_sweep(path, workers=1, progress=False)
    first = {r[0]: r for r in table(out)}
    calls = []
    monkeypatch.setattr(sweep_mod, "run_one", lambda run: calls.append(run) or fake_run_one(run))
    run_sweep(path, workers=1, progress=False, retry_failed=False)
    assert calls == [] and {r[0]: r for r in table(out)} == first  # nothing redone, all kept
    run_sweep(path, workers=1, progress=False)
    assert sorted(c["listener_offset"] for c in calls) == [0.3, 0.3, 0.3]  # only the failed
    rows = table(out)
    assert len(rows) == 6 and len({r[0] for r in rows}) == 6  # no duplicates
    for r in rows:
        if r[COLUMNS.index("status")] == "ok":
            assert r == first[r[0]]  # finished rows untouched (same seconds: not rerun)


def test_resume_repairs_a_half_written_row_and_keeps_foreign_rows(tmp_path, stub):
    path = write(tmp_path, GRID)
    out = run_sweep(path, workers=1, progress=False)
    rows = table(out)
    foreign = list(rows[0])
    foreign[0] = "0123456789abcdef"  # a run an earlier version of the sweep file listed
    with out.open("a", newline="") as f:
        csv.writer(f, lineterminator="\n").writerow(foreign)
        f.write(",".join(rows[1])[:40])  # killed while writing: no newline, a partial row
    run_sweep(path, workers=1, progress=False)
    after = table(out)
    assert {r[0] for r in after} == {r[0] for r in rows} | {foreign[0]}
    assert all(len(r) == len(COLUMNS) for r in after)
    assert out.read_text().endswith("\n")


def test_a_table_of_another_layout_is_refused(tmp_path, stub):
    path = write(tmp_path, GRID)
    (tmp_path / "stub.csv").write_text("run_id,width\nabc,1.0\n")
    with pytest.raises(SweepError, match="other columns"):
        run_sweep(path, workers=1, progress=False)


# --- scale-out, with real runs ---------------------------------------------------------------


def cheap_sweep(tmp_path):
    """50 cheap runs: two devices x 5 distances x 5 offsets, matrix mixing, point ears."""
    text = (
        CHEAP
        + """
[grid]
listener_distance = [1.5, 2.0, 2.5, 3.0, 3.5]
listener_offset = [-0.4, -0.2, 0.0, 0.2, 0.4]
[[cases]]
device = "smart_speaker"
[[cases]]
device = "soundbar"
n_drivers = 4
length = 0.5
"""
    )
    return write(tmp_path, text)


def test_fifty_runs_locally_and_on_a_local_cluster_agree(tmp_path):
    import dask
    import distributed

    path = cheap_sweep(tmp_path)
    spec = load_sweep(path)
    assert len(spec.runs) == 50
    local = read_results(run_sweep(path, results=tmp_path / "local.csv", workers=2, progress=False))
    # A cluster started elsewhere, reached by its address (``local_cluster=N`` is the
    # kill-and-resume test's); without Dask's MALLOC_TRIM_THRESHOLD_, as run_sweep starts its own,
    # and leaving this process's environment as it was (the nannies write to it).
    with (
        sweep_mod._environ({}),
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
    ):
        out = run_sweep(
            path, results=tmp_path / "dask.csv", scheduler=cluster.scheduler_address, progress=False
        )
    dask_rows = read_results(out)
    for rows in (local, dask_rows):
        assert sorted(r["run_id"] for r in rows) == sorted(spec.ids)
        assert all(r["status"] == "ok" for r in rows), [r["error"] for r in rows]
    by_id = {r["run_id"]: r for r in dask_rows}
    for r in local:
        other = by_id[r["run_id"]]
        for col in COLUMNS:
            if col != "seconds":  # deterministic runs: bit-identical wherever they ran
                assert r[col] == other[col], (r["run_id"], col)
    widths = {r["chain.width_deg"] for r in local}
    assert len(widths) > 5  # the runs really differ


def complete_rows(path):
    if not path.exists():
        return []
    text = path.read_text()
    return list(csv.reader(text[: text.rfind("\n") + 1].splitlines()))[1:]


def test_killed_cluster_sweep_resumes_without_loss_or_duplicates(tmp_path):
    path = write(
        tmp_path,
        """
[base]
design = "chain"
n_taps = 256
head = "point"
n_pans = 3
[grid]
listener_distance = [1.5, 2.0, 2.5, 3.0]
listener_offset = [-0.2, 0.0, 0.2, 0.4]
""",
    )
    spec = load_sweep(path)
    out = spec.results
    proc = subprocess.Popen(
        [sys.executable, "-m", "experiments.sweep", str(path), "--local-cluster", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the cluster's processes with it
    )
    try:
        deadline = time.monotonic() + 120
        while len(complete_rows(out)) < 4:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no rows after 120 s"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # the sweep itself dies at once, mid-write or not
        proc.wait(timeout=10)
    finally:
        proc.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # any of its cluster's processes left behind
    before = complete_rows(out)
    assert 4 <= len(before) < len(spec.runs), "killed midway"
    run_sweep(path, local_cluster=2, progress=False)
    after = table(out)
    ids = [r[0] for r in after]
    assert sorted(ids) == sorted(spec.ids)  # complete, each run once
    kept = {r[0]: r for r in after}
    for row in before:
        assert kept[row[0]] == row  # finished before the kill: kept as it was, not rerun
    assert all(r[COLUMNS.index("status")] == "ok" for r in after)


def test_the_gain_limit_sweep_trades_effort_for_separation_monotonically(tmp_path):
    # experiments/sweeps/gain_limits.toml, run for real (4 runs, about 9 s on 2 workers).
    spec = Path(__file__).resolve().parents[2] / "experiments" / "sweeps" / "gain_limits.toml"
    out = run_sweep(spec, results=tmp_path / "gain_limits.csv", workers=2, progress=False)
    rows = sorted(read_results(out), key=lambda r: r["gain_limit_db"])
    assert [r["status"] for r in rows] == ["ok"] * 4
    limits = [r["gain_limit_db"] for r in rows]
    assert limits == [6.0, 10.0, 20.0, 30.0]
    # The limit holds and binds: measured max gain 6.0 / 10.0 / 20.0 / 30.0 dB.
    for r in rows:
        assert r["chain.design.max_gain_db"] <= r["gain_limit_db"] + 1e-3
        assert r["chain.design.max_gain_db"] >= r["gain_limit_db"] - 0.5
    # Separation rises with the effort: measured 5.2 / 8.4 / 18.1 / 20.0 dB designed, and
    # 482 / 414 / 107 / 2 bins short of the 20 dB target.
    separation = [r["chain.design.separation_db"] for r in rows]
    short = [r["chain.design.short_bins"] for r in rows]
    assert all(b > a + 1.0 for a, b in zip(separation, separation[1:], strict=False))
    assert all(b < a for a, b in zip(short, short[1:], strict=False))
