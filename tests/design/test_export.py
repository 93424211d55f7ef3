"""Filter export: SOFA GeneralFIR, per-path WAV with a JSON side-car, NPZ; and reading back."""

import json

import numpy as np
import pytest
import sofar
import soundfile
from numpy.testing import assert_allclose

from acoustics.scene import default_scene
from design.chain import design_chain, render, stereo_chain
from design.evaluation.measures import cancels_crosstalk
from design.export import load_filters, save_filters, wav_paths


@pytest.fixture(scope="module")
def chain():
    return design_chain(default_scene(), n_taps=256)


@pytest.mark.parametrize("suffix", [".sofa", ".wav", ".npz"])
def test_filters_round_trip_and_render_the_same(chain, tmp_path, suffix):
    written = save_filters(chain, tmp_path / f"filters{suffix}")
    assert all(p.exists() for p in written)
    back = load_filters(tmp_path / f"filters{suffix}")
    # Float64 in SOFA and NPZ; 32-bit float WAV rounds to 6e-8 of the largest tap.
    tol = 1e-7 * np.abs(chain.filters).max() if suffix == ".wav" else 0.0
    assert_allclose(back.filters, chain.filters, atol=tol, rtol=0)
    assert back.drivers == chain.drivers and back.fs == chain.fs
    assert back.upmix == chain.upmix and back.latency_samples == chain.latency_samples
    x = np.random.default_rng(1).standard_normal((2, 4800)) * 0.1
    assert_allclose(render(back, x, chain.fs), render(chain, x, chain.fs), atol=1e-6)
    # The virtual pair travels too, so the evaluation divides out the same virtual crosstalk
    # and asks the same sweet spot of the loaded chain.
    freqs = np.geomspace(50.0, 20000.0, 64)
    assert back.virtual.azimuth_deg == chain.virtual.azimuth_deg
    assert_allclose(back.virtual.crosstalk(freqs), chain.virtual.crosstalk(freqs), rtol=1e-12)
    assert dict(back.virtual.virtualizer.fit_error) == dict(chain.virtual.virtualizer.fit_error)
    assert cancels_crosstalk(back) and not cancels_crosstalk(stereo_chain(default_scene()))


def test_sofa_export_verifies_as_general_fir(chain, tmp_path):
    save_filters(chain, tmp_path / "f.sofa", positions=default_scene().device.positions)
    sofa = sofar.read_sofa(str(tmp_path / "f.sofa"))  # verifies on reading
    sofa.verify(issue_handling="raise")
    assert sofa.GLOBAL_SOFAConventions == "GeneralFIR"
    assert sofa.Data_IR.shape == (3, len(chain.drivers), 256)  # (paths, drivers, taps)
    assert sofa.Data_SamplingRate == chain.fs
    assert_allclose(sofa.ReceiverPosition, default_scene().device.positions)
    info = json.loads(sofa.GLOBAL_Comment)
    assert info["paths"] == ["left", "right", "centre"]
    assert info["drivers"] == list(chain.drivers)


def test_wav_export_is_one_file_per_path_with_a_side_car(chain, tmp_path):
    files = wav_paths(tmp_path / "f.wav")
    save_filters(chain, tmp_path / "f.wav")
    info = json.loads(files["info"].read_text())
    assert info["files"] == {"left": "f_left.wav", "right": "f_right.wav", "centre": "f_centre.wav"}
    data, fs = soundfile.read(files["left"])
    assert fs == 48000 and data.shape == (256, len(chain.drivers))
    assert soundfile.info(str(files["left"])).subtype == "FLOAT"


def test_export_bad_input(chain, tmp_path):
    with pytest.raises(ValueError, match="path.*suffix"):
        save_filters(chain, tmp_path / "f.mp3")
    with pytest.raises(TypeError, match="chain"):
        save_filters("chain", tmp_path / "f.npz")
    with pytest.raises(ValueError, match="positions"):
        save_filters(chain, tmp_path / "f.sofa", positions=np.zeros((2, 3)))
    np.savez(tmp_path / "other.npz", filters=chain.filters, fs=48000.0, info=np.array("{}"))
    with pytest.raises(ValueError, match="no soundstage filters"):
        load_filters(tmp_path / "other.npz")


def test_version_1_files_load_and_newer_ones_are_refused(chain, tmp_path):
    # A version-1 side-car (no virtual pair) loads as a chain without one; an unknown version
    # is refused naming it.
    save_filters(chain, tmp_path / "f.wav")
    files = wav_paths(tmp_path / "f.wav")
    info = json.loads(files["info"].read_text())
    old = {k: v for k, v in info.items() if k != "virtual"} | {"version": 1}
    files["info"].write_text(json.dumps(old))
    assert load_filters(tmp_path / "f.wav").virtual is None
    files["info"].write_text(json.dumps(info | {"version": 99}))
    with pytest.raises(ValueError, match="version 99"):
        load_filters(tmp_path / "f.wav")
