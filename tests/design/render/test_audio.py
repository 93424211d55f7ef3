"""WAV input/output and resampling."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from design.render.audio import read_wav, resample, write_wav


def test_round_trip_float(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(scale=0.3, size=(3, 4800))
    p = write_wav(tmp_path / "x.wav", x, 48000)
    y, fs = read_wav(p)
    assert fs == 48000.0
    assert_allclose(y, x.astype(np.float32), rtol=0, atol=0)  # 32-bit float storage is exact


def test_resampling_on_rate_mismatch_keeps_a_tone(tmp_path):
    fs_in, fs_out, f0 = 44100, 48000, 1000.0
    t = np.arange(fs_in) / fs_in
    p = write_wav(tmp_path / "tone.wav", 0.5 * np.sin(2 * np.pi * f0 * t)[None], fs_in)
    y, fs = read_wav(p, fs=fs_out)
    assert fs == fs_out and y.shape == (1, fs_out)
    n = np.arange(fs_out) / fs_out
    mid = slice(2000, -2000)  # away from the filter's edge effects
    assert_allclose(y[0, mid], 0.5 * np.sin(2 * np.pi * f0 * n)[mid], atol=2e-3)
    assert_allclose(resample(y, fs_out, fs_out), y)


def test_audio_bad_input(tmp_path):
    with pytest.raises(ValueError, match="path"):
        read_wav(tmp_path / "missing.wav")
    junk = tmp_path / "junk.wav"
    junk.write_text("not audio")
    with pytest.raises(ValueError, match="not a readable audio file"):
        read_wav(junk)
    stereo = write_wav(tmp_path / "s.wav", np.zeros((2, 100)), 48000)
    with pytest.raises(ValueError, match="channel"):
        read_wav(stereo, channels=1)
    with pytest.raises(ValueError, match="signal"):
        write_wav(tmp_path / "n.wav", np.array([[0.0, np.nan]]), 48000)
    with pytest.raises(ValueError, match="empty"):
        write_wav(tmp_path / "e.wav", np.zeros((2, 0)), 48000)
    with pytest.raises(ValueError, match="folder"):
        write_wav(tmp_path / "no" / "x.wav", np.zeros((1, 10)), 48000)
    with pytest.raises(ValueError, match="beyond"):
        write_wav(tmp_path / "c.wav", np.full((1, 10), 2.0), 48000, subtype="PCM_16")
