"""Tests of acoustics.heads.sofa: the bundled KEMAR file, round trips and refusals of bad files."""

from __future__ import annotations

import bz2
import hashlib
import importlib.util
import pathlib
import pickle
import re

import numpy as np
import pytest
import sofar
from numpy.testing import assert_allclose, assert_array_equal

from acoustics.geometry import sph_to_cart
from acoustics.heads.sofa import (
    DirectivityTable,
    HRIRSet,
    kemar_path,
    read_directivity,
    read_hrir,
    write_directivity,
    write_hrir,
)

DATA = pathlib.Path(kemar_path()).parent


@pytest.fixture(scope="module")
def kemar() -> HRIRSet:
    return read_hrir(kemar_path())


def _random_hrir_set(rng: np.random.Generator, n_dirs: int = 12, n_taps: int = 16) -> HRIRSet:
    dirs = rng.normal(size=(n_dirs, 3))
    return HRIRSet(
        rng.normal(size=(n_dirs, 2, n_taps)),
        32000.0,
        dirs,
        rng.uniform(0.5, 3.0, n_dirs),
        meta={"Title": "random", "MyNote": "kept"},
    )


def _random_table(rng: np.random.Generator, n_dirs: int = 10) -> DirectivityTable:
    freqs = np.array([0.0, 125.0, 1000.0, 8000.0])
    response = rng.normal(size=(n_dirs, 4)) + 1j * rng.normal(size=(n_dirs, 4))
    return DirectivityTable(response, freqs, rng.normal(size=(n_dirs, 3)), meta={"Title": "t"})


# --- the bundled KEMAR file -------------------------------------------------------------------


def test_kemar_file_layout_as_stored():
    # Read with sofar directly, not through the module under test.
    sofa = sofar.read_sofa(str(kemar_path()), verbose=False)
    assert sofa.GLOBAL_SOFAConventions == "SimpleFreeFieldHRIR"
    assert sofa.Data_IR.shape == (710, 2, 512)
    assert sofa.Data_SamplingRate == 44100.0
    assert_array_equal(sofa.SourcePosition[:, 2], 1.4)
    assert sofa.SourcePosition_Type == "spherical"
    assert "Gardner" in sofa.GLOBAL_License and "Gardner" in sofa.GLOBAL_References
    assert sofa.GLOBAL_DatabaseName == "MIT KEMAR"


def test_read_kemar_gives_unit_directions_in_the_listener_frame(kemar):
    assert kemar.hrirs.shape == (710, 2, 512)
    assert kemar.fs == 44100.0
    assert_allclose(np.linalg.norm(kemar.directions, axis=1), 1.0, rtol=1e-12)
    assert_allclose(kemar.distance, 1.4, rtol=1e-12)
    # Independent of the conversion code: the stored (az, el) of the direction closest to +y
    # (the listener's left) is (90, 0), and of the one closest to +z is elevation 90.
    raw = sofar.read_sofa(str(kemar_path()), verbose=False).SourcePosition
    assert_allclose(raw[np.argmax(kemar.directions[:, 1]), :2], [90.0, 0.0])
    assert_allclose(raw[np.argmax(kemar.directions[:, 2]), 1], 90.0)
    # At azimuth 90 (left) the left ear (index 0) carries more energy: ears are in (left, right).
    energy = np.sum(kemar.hrirs[np.argmax(kemar.directions[:, 1])] ** 2, axis=-1)
    assert energy[0] > 10 * energy[1]


def test_kemar_checksum_matches_provenance():
    text = (DATA / "PROVENANCE.md").read_text()
    recorded = re.search(r"\| sha256 \| `([0-9a-f]{64})` \|", text).group(1)
    assert hashlib.sha256(kemar_path().read_bytes()).hexdigest() == recorded


def test_conversion_script_refuses_foreign_pickles():
    spec = importlib.util.spec_from_file_location("make_kemar", DATA / "make_mit_kemar_sofa.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for payload in (pickle.dumps(print), pickle.dumps(pathlib.Path("x"))):
        with pytest.raises(pickle.UnpicklingError, match="refusing"):
            script._RestrictedUnpickler(__import__("io").BytesIO(payload)).load()
    # The checksum guard refuses other data before unpickling.
    with pytest.raises(ValueError, match="SHA-256"):
        script.load_kemar(bz2.compress(pickle.dumps(np.zeros(3))))


# --- round trips ------------------------------------------------------------------------------


def test_hrir_round_trip(tmp_path):
    original = _random_hrir_set(np.random.default_rng(1))
    path = tmp_path / "set.sofa"
    write_hrir(path, original)
    back = read_hrir(path)
    assert_array_equal(back.hrirs, original.hrirs)
    assert back.fs == original.fs
    # Directions travel as spherical degrees: a cos/sin/atan2 round trip, exact to ~1e-15.
    assert_allclose(back.directions, original.directions, atol=1e-12)
    assert_allclose(back.distance, original.distance, rtol=1e-12)
    assert back.meta["Title"] == "random" and back.meta["MyNote"] == "kept"


def test_kemar_round_trip(tmp_path, kemar):
    path = tmp_path / "kemar.sofa"
    write_hrir(path, kemar, compression=1)
    back = read_hrir(path)
    assert_array_equal(back.hrirs, kemar.hrirs)
    assert_allclose(back.directions, kemar.directions, atol=1e-12)
    assert back.meta["License"] == kemar.meta["License"]


def test_directivity_round_trip(tmp_path):
    original = _random_table(np.random.default_rng(2))
    path = tmp_path / "dir.sofa"
    write_directivity(path, original)
    back = read_directivity(path)
    assert_array_equal(back.response, original.response)
    assert_array_equal(back.freqs, original.freqs)
    assert_allclose(back.directions, original.directions, atol=1e-12)
    assert back.meta["Title"] == "t"


def test_directivity_reader_uses_the_source_frame(tmp_path):
    # A file written by another tool: receivers on the +y axis seen from a source that faces +y
    # must come out on-axis (+x of the driver frame).
    sofa = sofar.Sofa("FreeFieldDirectivityTF")
    sofa.delete("EmitterDescriptions")
    sofa.delete("Description")
    dirs = np.array([[90.0, 0, 2], [270.0, 0, 2], [0.0, 0, 2], [180.0, 0, 2], [0, 90, 2]])
    sofa.ReceiverPosition = dirs
    sofa.SourceView = np.array([[0.0, 1.0, 0.0]])
    sofa.Data_Real = np.ones((1, 5, 1))
    sofa.Data_Imag = np.zeros((1, 5, 1))
    sofa.N = np.array([1000.0])
    sofar.write_sofa(str(tmp_path / "d.sofa"), sofa)
    table = read_directivity(tmp_path / "d.sofa")
    expected = sph_to_cart([0.0, 180.0, -90.0, 90.0, 0.0], [0, 0, 0, 0, 90])
    assert_allclose(table.directions, expected, atol=1e-12)


# --- bad files and bad arguments --------------------------------------------------------------


def test_missing_file_names_path(tmp_path):
    with pytest.raises(ValueError, match="path .*does not exist"):
        read_hrir(tmp_path / "nothing.sofa")
    with pytest.raises(ValueError, match="path .*does not exist"):
        read_directivity(tmp_path / "nothing.sofa")


def test_text_file_is_not_sofa(tmp_path):
    fake = tmp_path / "notes.sofa"
    fake.write_text("this is not a SOFA file\n")
    with pytest.raises(ValueError, match="path .*not a SOFA file"):
        read_hrir(fake)
    other = tmp_path / "notes.txt"
    other.write_text("text")
    with pytest.raises(ValueError, match="path must name a .sofa file"):
        read_hrir(other)


def test_nan_data_names_path(tmp_path):
    sofa = sofar.Sofa("SimpleFreeFieldHRIR")
    ir = np.random.default_rng(3).normal(size=(4, 2, 8))
    ir[2, 1, 5] = np.nan
    sofa.Data_IR = ir
    sofa.SourcePosition = sph_to_cart([0, 90, 180, 270], 0, 1.0)
    sofa.SourcePosition_Type = "cartesian"
    sofa.SourcePosition_Units = "metre"
    sofar.write_sofa(str(tmp_path / "nan.sofa"), sofa)
    with pytest.raises(ValueError, match="path .*NaN"):
        read_hrir(tmp_path / "nan.sofa")


def test_cartesian_source_positions_are_read(tmp_path):
    sofa = sofar.Sofa("SimpleFreeFieldHRIR")
    sofa.Data_IR = np.ones((4, 2, 3))
    sofa.SourcePosition = np.array([[2.0, 0, 0], [0, 3.0, 0], [0, 0, 1.5], [-1.0, 0, 0]])
    sofa.SourcePosition_Type = "cartesian"
    sofa.SourcePosition_Units = "metre"
    sofar.write_sofa(str(tmp_path / "cart.sofa"), sofa)
    got = read_hrir(tmp_path / "cart.sofa")
    assert_allclose(got.directions, [[1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, 0, 0]], atol=1e-15)
    assert_allclose(got.distance, [2.0, 3.0, 1.5, 1.0])


def test_wrong_convention_names_path(tmp_path):
    write_directivity(tmp_path / "d.sofa", _random_table(np.random.default_rng(4)))
    with pytest.raises(ValueError, match="path .*'FreeFieldDirectivityTF', expected"):
        read_hrir(tmp_path / "d.sofa")
    write_hrir(tmp_path / "h.sofa", _random_hrir_set(np.random.default_rng(5)))
    with pytest.raises(ValueError, match="path .*'SimpleFreeFieldHRIR', expected"):
        read_directivity(tmp_path / "h.sofa")


def test_wrong_types(tmp_path):
    with pytest.raises(TypeError, match="path"):
        read_hrir(42)
    with pytest.raises(TypeError, match="hrir_set"):
        write_hrir(tmp_path / "x.sofa", "not a set")
    with pytest.raises(TypeError, match="table"):
        write_directivity(tmp_path / "x.sofa", np.zeros((4, 2)))
    with pytest.raises(ValueError, match="path"):
        write_hrir(tmp_path / "missing_dir" / "x.sofa", _random_hrir_set(np.random.default_rng(6)))


def test_dataclasses_validate():
    rng = np.random.default_rng(7)
    good = _random_hrir_set(rng)
    with pytest.raises(ValueError, match="hrirs"):
        HRIRSet(np.full((12, 2, 4), np.nan), 48000.0, good.directions, good.distance)
    with pytest.raises(ValueError, match="hrirs"):
        HRIRSet(np.zeros((12, 3, 4)), 48000.0, good.directions, good.distance)
    with pytest.raises(ValueError, match="distance"):
        HRIRSet(good.hrirs, 48000.0, good.directions, -good.distance)
    with pytest.raises(ValueError, match="fs"):
        HRIRSet(good.hrirs, 0.0, good.directions, good.distance)
    with pytest.raises(ValueError, match="freqs"):
        DirectivityTable(np.ones((5, 2)), [100.0, 100.0], rng.normal(size=(5, 3)))
    with pytest.raises(ValueError, match="response"):
        DirectivityTable(np.ones((5, 3)), [100.0, 200.0], rng.normal(size=(5, 3)))
    with pytest.raises(ValueError, match="response"):
        DirectivityTable(np.full((5, 2), np.nan), [100.0, 200.0], rng.normal(size=(5, 3)))
    assert not good.hrirs.flags.writeable
