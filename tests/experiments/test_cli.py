"""Tests of the soundstage command line (experiments.cli)."""

import json

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from experiments.cli import main  # noqa: E402

PNGS = ("scene.png", "ear_transfer.png", "polar.png", "level_map.png")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"  # does not exist yet: the CLI creates it
    assert main(["demo", "-o", str(out)]) == 0
    return out


def test_demo_writes_the_pngs_and_summary(demo_dir, capsys):
    for name in PNGS:
        path = demo_dir / name
        assert path.is_file()
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 10_000  # a real figure, not an empty canvas
    assert (demo_dir / "summary.json").is_file()


def test_demo_audio_is_within_full_scale(demo_dir):
    import soundfile as sf

    wavs = sorted(demo_dir.glob("*.wav"))
    assert len(wavs) == 6
    for path in wavs:
        data, _ = sf.read(path)
        assert np.max(np.abs(data)) <= 1.0, path.name
    summary = json.loads((demo_dir / "chain_summary.json").read_text())
    # The mixture's stems sum beyond full scale (measured peak 7.5): scaled, and stated.
    assert summary["input_gain_db"] < -17.0 and summary["feeds_gain_db"] <= 0.0


def test_demo_prints_what_it_wrote(tmp_path, capsys):
    assert main(["demo", "--outdir", str(tmp_path), "--head", "point", "--quick"]) == 0
    out = capsys.readouterr().out
    for name in (*PNGS, "summary.json"):
        assert f"wrote {tmp_path / name}" in out


def test_summary_describes_the_scene(demo_dir):
    summary = json.loads((demo_dir / "summary.json").read_text())
    scene = summary["scene"]
    names = [d["name"] for d in scene["drivers"]]
    assert names == ["left", "right", "top", "tweeter", "woofer"]
    left = scene["drivers"][0]
    assert left["position_device_m"][1] < 0  # the listener's left is the device's -y
    assert scene["listener"]["position_m"] == [2.0, 0.0, 0.0]
    assert scene["listener"]["yaw_deg"] == 180.0
    assert scene["listener"]["head"] == "RigidSphere"
    freqs = summary["frequencies"]
    assert freqs["min_hz"] == 0.0 and freqs["max_hz"] == 24000.0 and freqs["n_bins"] == 513


def test_summary_left_driver_is_louder_at_the_left_ear(demo_dir):
    summary = json.loads((demo_dir / "summary.json").read_text())
    at_1k = summary["ear_levels_1khz"]
    assert at_1k["frequency_hz"] == pytest.approx(1000.0, abs=48000 / 1024 / 2)
    assert "dB re 1 Pa" in at_1k["unit"]
    levels = at_1k["levels_db"]
    assert levels["left"]["left"] > levels["left"]["right"]
    assert levels["right"]["right"] > levels["right"]["left"]
    # The scene is mirror-symmetric: the left driver at the left ear equals the right at the right.
    assert levels["left"]["left"] == pytest.approx(levels["right"]["right"], abs=0.01)
    # Order of magnitude: a unit source 2 m away gives 1 / (4 pi 2) Pa, -28 dB re 1 Pa; the head
    # and the drivers' directivity change that by a few dB.
    assert -34.0 < levels["left"]["left"] < -22.0


def test_unwritable_outdir_exits_2(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    assert main(["demo", "-o", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and "a-file" in err
    assert main(["demo", "-o", str(blocker)]) == 2


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["demo", "--head", "cardboard"]) == 2
    assert main(["nonsense"]) == 2
    assert "usage" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert main(["demo", "--help"]) == 0
    assert "--head" in capsys.readouterr().out


def test_kemar_head_when_available(tmp_path):
    try:
        from acoustics.heads.hrtf import MeasuredHRTF

        MeasuredHRTF.kemar()
    except Exception as exc:  # the measured-HRTF module is written separately
        pytest.skip(f"MeasuredHRTF.kemar() is not available: {exc}")
    assert main(["demo", "-o", str(tmp_path), "--head", "kemar", "--quick"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["scene"]["listener"]["head"] == "MeasuredHRTF"
    levels = summary["ear_levels_1khz"]["levels_db"]
    assert levels["left"]["left"] > levels["left"]["right"]


CHAIN_FILES = (
    "input_stereo.wav",
    "feeds_chain.wav",
    "feeds_matrix_mixing.wav",
    "binaural_chain.wav",
    "binaural_matrix_mixing.wav",
    "binaural_reference.wav",
    "chain_filters.png",
    "chain_summary.json",
    "report.md",
    "metrics.json",
    "eval_separation.png",
    "eval_segments.png",
    "eval_azimuth.png",
    "eval_depth.png",
    "eval_zones.png",
    "eval_beam.png",
)


def test_demo_runs_the_main_job(demo_dir):
    import soundfile as sf

    for name in CHAIN_FILES:
        assert (demo_dir / name).is_file(), name
    feeds, fs = sf.read(demo_dir / "feeds_chain.wav")
    assert fs == 48000 and feeds.shape[1] == 5
    ears, _ = sf.read(demo_dir / "binaural_reference.wav")
    assert ears.shape[1] == 2 and abs(ears).max() > 0.05
    summary = json.loads((demo_dir / "chain_summary.json").read_text())
    assert summary["chain"]["latency_ms"] > 0


def test_render_command(tmp_path, capsys):
    import numpy as np

    from design.render.audio import write_wav

    rng = np.random.default_rng(0)
    src = write_wav(tmp_path / "in.wav", 0.1 * rng.normal(size=(2, 4800)), 44100)  # resampled
    out, ears = tmp_path / "feeds.wav", tmp_path / "ears.wav"
    scene = tmp_path / "scene.toml"
    scene.write_text('[listener]\nposition = [1.5, 0.0, 0.0]\nhead = "brown-duda"\n')
    assert (
        main(["render", str(src), "-o", str(out), "--binaural", str(ears), "--scene", str(scene)])
        == 0
    )
    import soundfile as sf

    feeds, fs = sf.read(out)
    assert fs == 48000 and feeds.shape[1] == 5
    assert sf.read(ears)[0].shape[1] == 2
    assert main(["render", str(tmp_path / "missing.wav"), "-o", str(out)]) == 2
    assert "missing.wav" in capsys.readouterr().err
    scene.write_text("[listner]\n")
    assert main(["render", str(src), "-o", str(out), "--scene", str(scene)]) == 2
    assert "unknown table" in capsys.readouterr().err


def test_demo_ends_with_the_evaluation_report(demo_dir):
    metrics = json.loads((demo_dir / "metrics.json").read_text())
    assert set(metrics["systems"]) == {"chain", "matrix_mixing", "stereo_pair"}
    assert metrics["systems"]["chain"]["critical_distance_m"] > 0  # the demo is in a room
    assert len(metrics["zones"]["chain"]["grid_x"]) == 7
    report = (demo_dir / "report.md").read_text()
    assert "| measure | chain | matrix mixing | stereo pair |" in report
    assert "![eval_zones](eval_zones.png)" in report


def test_evaluate_command(tmp_path, capsys):
    out = tmp_path / "ev"
    scene = tmp_path / "scene.toml"
    scene.write_text("[listener]\nposition = [2.0, 0.0, 0.0]\n")
    assert main(["evaluate", str(scene), "-o", str(out), "--zone-step", "0.3"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    chain, mm = metrics["systems"]["chain"], metrics["systems"]["matrix_mixing"]
    assert chain["width_deg"] > mm["width_deg"]
    assert metrics["zones"]["chain"]["grid_y"] == pytest.approx([-0.6, -0.3, 0.0, 0.3, 0.6])
    assert (out / "report.md").is_file() and (out / "eval_zones.png").is_file()
    assert main(["evaluate", "-o", str(out), "--no-zones", "--eval-head", "point"]) == 0
    assert "zones" not in json.loads((out / "metrics.json").read_text())
    assert main(["evaluate", "-o", str(out), "--zone-step", "-1"]) == 2
    assert "--zone-step" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "missing.toml"), "-o", str(out)]) == 2


def test_figures_command_refuses_a_bad_dpi(tmp_path, capsys):
    # The figures themselves are tested in test_figures.py (make_all writes all seven).
    assert main(["figures", "-o", str(tmp_path), "--dpi", "5"]) == 2
    assert "--dpi" in capsys.readouterr().err


def test_sweep_command(tmp_path, capsys):
    sweep = tmp_path / "s.toml"
    sweep.write_text(
        '[sweep]\nname = "tiny"\n[base]\ndesign = "matrix_mixing"\nhead = "point"\nn_pans = 3\n'
        "[grid]\nlistener_distance = [1.5, 2.5]\n"
    )
    assert main(["sweep", str(sweep), "--workers", "1", "--no-progress"]) == 0
    from experiments.sweep import read_results

    rows = read_results(tmp_path / "tiny.csv")
    assert [r["status"] for r in rows] == ["ok", "ok"]
    assert "2 rows, 0 failed" in capsys.readouterr().out
    sweep.write_text("[grid]\nlistener_distanse = [1.0]\n")
    assert main(["sweep", str(sweep)]) == 2
    assert "listener_distanse" in capsys.readouterr().err


def test_design_command_writes_filters(tmp_path, capsys):
    # A soundbar scene designs (its centre beam goes soft) and exports in all three formats.
    import warnings

    from design.export import load_filters

    scene = tmp_path / "bar.toml"
    scene.write_text('[device]\npreset = "soundbar"\nn_drivers = 6\nlength = 0.8\n')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for suffix in (".sofa", ".wav", ".npz"):
            out = tmp_path / f"filters{suffix}"
            assert main(["design", str(scene), "-o", str(out)]) == 0
            assert load_filters(out).filters.shape[:2] == (6, 3)
    assert "latency" in capsys.readouterr().out
    assert main(["design", "-o", str(tmp_path / "f.mp3")]) == 2
    assert "must end in .sofa or .wav or .npz" in capsys.readouterr().err
    assert main(["design", "-o", str(tmp_path / "no" / "f.npz")]) == 2
    assert "no directory" in capsys.readouterr().err
    assert main(["design", "-o", str(tmp_path / "f.npz"), "--fs", "8000"]) == 2
    assert "--fs" in capsys.readouterr().err
