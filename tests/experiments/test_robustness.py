"""Ordinary mistakes get one line and exit code 2; audio never leaves full scale silently."""

import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import design.chain
from design.render.audio import as_audio, fit_full_scale, read_wav, write_wav
from experiments.cli import MAX_ZONE_POINTS, main


@pytest.fixture
def stereo_wav(tmp_path):
    path = tmp_path / "in.wav"
    sf.write(path, 0.25 * np.random.default_rng(0).uniform(-1, 1, (4800, 2)), 48000)
    return path


@pytest.fixture
def no_design(monkeypatch):
    """Make any design an error: what is refused must be refused before the slow part."""

    def refuse(*args, **kwargs):
        raise AssertionError("the design ran before the arguments were checked")

    monkeypatch.setattr(design.chain, "design_chain", refuse)


def _one_error_line(capsys, command, *needles):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"soundstage {command}: error: "), err
    for needle in needles:
        assert needle in err[0], (needle, err[0])


@pytest.mark.parametrize(
    ("output", "needle"),
    [
        ("noext", "must end in .wav"),
        ("feeds.mp3", "must end in .wav"),
        ("SUBDIR", "is a directory"),
        ("/dev/null", "is not a regular file"),
        ("/dev/full", "is not a regular file"),
        ("missing/feeds.wav", "no directory"),
    ],
)
def test_render_refuses_bad_outputs_before_designing(
    output, needle, tmp_path, stereo_wav, no_design, capsys
):
    (tmp_path / "SUBDIR").mkdir()
    target = output if output.startswith("/") else str(tmp_path / output)
    assert main(["render", str(stereo_wav), "-o", target]) == 2
    _one_error_line(capsys, "render", "--output", needle)
    assert main(["render", str(stereo_wav), "-o", str(tmp_path / "ok.wav"), "--binaural", target])
    _one_error_line(capsys, "render", "--binaural", needle)


def test_render_refuses_the_same_file_twice(tmp_path, stereo_wav, no_design, capsys):
    out = str(tmp_path / "x.wav")
    assert main(["render", str(stereo_wav), "-o", out, "--binaural", out]) == 2
    _one_error_line(capsys, "render", "same file")


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[listener]\nyaw_deg = "180"\n', "[listener].yaw_deg must be a number"),
        ('[listener]\nposition = "1, 2, 3"\n', "[listener].position must be a list of 3"),
        ('[room]\npreset = "living_room"\nair_absorption = "no"\n', "[room].air_absorption"),
        ("[room]\npreset = 'studio'\nmax_order = 2.5\n", "[room].max_order must be an integer"),
        ("[device]\npreset = 'soundbar'\nn_drivers = true\n", "[device].n_drivers"),
    ],
)
def test_scene_values_of_the_wrong_type_are_one_line(toml, key, tmp_path, no_design, capsys):
    scene = tmp_path / "scene.toml"
    scene.write_text(toml)
    assert main(["evaluate", str(scene), "-o", str(tmp_path / "ev"), "--no-zones"]) == 2
    _one_error_line(capsys, "evaluate", key)


def test_zone_step_is_estimated_and_absurd_grids_refused(tmp_path, no_design, capsys):
    assert main(["evaluate", "-o", str(tmp_path), "--zone-step", "5"]) == 2
    _one_error_line(capsys, "evaluate", "--zone-step 5", "1 x 1 grid", "at most 0.6 m")
    assert main(["evaluate", "-o", str(tmp_path), "--zone-step", "0.01"]) == 2
    _one_error_line(capsys, "evaluate", "121 x 121 grid (14641 points", str(MAX_ZONE_POINTS))


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("soundstage 0.")


def test_unreadable_input_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    assert main(["render", str(bad), "-o", str(tmp_path / "o.wav")]) == 2
    _one_error_line(capsys, "render", "input", "bad.wav")


def test_design_chain_refuses_unknown_upmix_and_bad_band():
    from acoustics.scene import default_scene

    with pytest.raises(ValueError, match="upmix must be None or one of"):
        design.chain.design_chain(default_scene(), upmix="nope")
    with pytest.raises(ValueError, match="upmix_options has unknown keys"):
        design.chain.design_chain(default_scene(), upmix_options={"centre_gainz": 1.0})
    with pytest.raises(ValueError, match=r"beam_band_hz must be two frequencies"):
        design.chain.design_chain(default_scene(), beam_band_hz=(500,))


# -- audio -----------------------------------------------------------------------------------


def test_integer_pcm_is_read_as_full_scale():
    x = np.array([[-32768, 0, 16384, 32767]] * 2, dtype=np.int16)
    np.testing.assert_allclose(as_audio(x)[0], [-1.0, 0.0, 0.5, 32767 / 32768])
    u = np.array([[0, 128, 255]], dtype=np.uint8)
    np.testing.assert_allclose(as_audio(u)[0], [-1.0, 0.0, 127 / 128])


def test_int16_scaled_floats_warn_with_the_peak_in_dbfs():
    x = np.full((2, 10), 19000.0)
    with pytest.warns(UserWarning, match=r"peaks at \+85.6 dBFS.*divide by 32768"):
        as_audio(x, "stereo")


def test_truncated_and_resampled_files_are_announced(tmp_path):
    full = tmp_path / "full.wav"
    sf.write(full, np.zeros((4800, 2)), 48000, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(full.read_bytes()[:60])  # the header and 4 frames of 4800
    with pytest.warns(
        UserWarning, match="cut.wav is truncated: its header declares 4800 frames, it holds 4"
    ):
        read_wav(cut)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an intact file reads silently
        read_wav(full)
    with pytest.warns(UserWarning, match="resampled from 48000 Hz to 44100 Hz"):
        read_wav(full, fs=44100)
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros((0, 2)), 48000)
    with pytest.raises(ValueError, match="must not be empty"):
        read_wav(empty)


def test_beyond_full_scale_is_scaled_with_a_stated_gain_or_warned(tmp_path):
    x = np.array([[0.5, -4.0, 2.0]])
    y, gain_db = fit_full_scale(x)
    assert np.max(np.abs(y)) == pytest.approx(10 ** (-1 / 20))  # 1 dB below full scale
    assert gain_db == pytest.approx(-1.0 - 20 * np.log10(4.0))
    same, zero = fit_full_scale(0.5 * x / 4.0)
    assert zero == 0.0 and np.array_equal(same, 0.5 * x / 4.0)
    with pytest.warns(UserWarning, match=r"peaks at \+12.0 dBFS, beyond full scale"):
        write_wav(tmp_path / "loud.wav", x, 48000)
    with pytest.raises(ValueError, match="beyond the"):
        write_wav(tmp_path / "loud16.wav", x, 48000, subtype="PCM_16")


def test_render_of_full_scale_noise_stays_within_full_scale(tmp_path, capsys):
    noise = tmp_path / "noise.wav"
    sf.write(noise, np.random.default_rng(1).uniform(-1, 1, (9600, 2)), 48000, subtype="PCM_16")
    out, ears = tmp_path / "feeds.wav", tmp_path / "ears.wav"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the design's own notes
        assert main(["render", str(noise), "-o", str(out), "--binaural", str(ears)]) == 0
    printed = capsys.readouterr().out
    for path in (out, ears):
        data, _ = sf.read(path)
        assert np.max(np.abs(data)) <= 1.0
    # Measured: the feeds of full-scale noise peak at +11.6 dBFS before scaling.
    assert "scaled by -" in printed
    with sf.SoundFile(out) as f:
        assert f.comment.startswith("soundstage: scaled by -")


# -- sweeps ----------------------------------------------------------------------------------

SLOW_SWEEP = """
[base]
design = "matrix_mixing"
head = "point"
n_pans = 3
[grid]
listener_distance = [1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6]
"""


def _children(pid):
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    import os

    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2 :].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(entry))
    return out


def _alive(pid):
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] != "Z"


@pytest.mark.skipif(not __import__("os").path.isdir("/proc"), reason="needs Linux /proc")
def test_a_killed_sweep_leaves_no_worker_behind(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    sweep = tmp_path / "sweep.toml"
    sweep.write_text(SLOW_SWEEP)
    cmd = [sys.executable, "-m", "experiments.sweep", str(sweep), "--workers", "2", "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers = []
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = _children(proc.pid)  # the pool's workers (and the resource tracker)
        assert len(workers) >= 2, workers
        time.sleep(1.0)  # the workers are importing or running
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        left = [w for w in workers if _alive(w)]
        for w in left:  # clean up before failing
            os.kill(w, signal.SIGKILL)
        assert not left, f"workers {left} outlived their killed sweep"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_lock_is_on_the_real_path(tmp_path):
    from experiments.sweep import SweepError, _locked

    table = tmp_path / "results.csv"
    link = tmp_path / "link.csv"
    table.write_text("")
    link.symlink_to(table)
    import os

    with _locked(Path(os.path.realpath(table))):
        with pytest.raises(SweepError, match="being written by another sweep"):
            from experiments.sweep import run_sweep

            run_sweep(_cheap_spec(tmp_path), results=link, workers=1, progress=False)


def _cheap_spec(tmp_path):
    path = tmp_path / "cheap.toml"
    path.write_text(SLOW_SWEEP)
    return path


def test_unwritable_results_and_unreachable_scheduler_are_one_line(tmp_path, capsys):
    import time

    from experiments.sweep import main as sweep_main

    blocker = tmp_path / "a_file"
    blocker.write_text("")
    spec = _cheap_spec(tmp_path)
    assert sweep_main([str(spec), "--results", str(blocker / "r.csv"), "--no-progress"]) == 2
    _one_error_line(capsys, "sweep", "cannot create its directory")
    start = time.monotonic()
    args = [str(spec), "--scheduler", "tcp://127.0.0.1:9", "--no-progress"]  # nothing listens
    assert sweep_main([*args, "--results", str(tmp_path / "r.csv")]) == 2
    elapsed = time.monotonic() - start
    _one_error_line(capsys, "sweep", "tcp://127.0.0.1:9", "could not be reached")
    assert elapsed < 20.0, elapsed  # the timeout is 5 s; the rest is importing distributed
