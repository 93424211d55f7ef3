"""The scene schema: example scenes through the CLI, custom devices, SOFA heads, bad input."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import soundfile as sf  # noqa: E402

from acoustics.geometry import sph_to_cart  # noqa: E402
from acoustics.heads import RigidSphere  # noqa: E402
from acoustics.heads.hrtf import MeasuredHRTF  # noqa: E402
from acoustics.heads.sofa import kemar_path  # noqa: E402
from acoustics.sources import BaffledPiston, Omni, SphereCap  # noqa: E402
from acoustics.sources.measured import MeasuredDirectivity  # noqa: E402
from experiments.cli import main  # noqa: E402
from experiments.scene_file import default_max_order, load_scene  # noqa: E402
from experiments.sweep_spec import build_scene, resolve  # noqa: E402

SCENES = Path(__file__).resolve().parents[2] / "experiments" / "scenes"
EXAMPLES = sorted(p.name for p in SCENES.glob("*.toml"))


def test_the_three_example_scenes_ship():
    assert EXAMPLES == ["custom_3_driver.toml", "living_room_smart_speaker.toml", "soundbar_8.toml"]


@pytest.fixture(scope="module")
def stereo_wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("audio") / "in.wav"
    t = np.arange(24000) / 48000
    sf.write(path, 0.3 * np.stack([np.sin(2e3 * t), np.sin(3e3 * t)], axis=1), 48000)
    return path


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_scene_designs_evaluates_and_renders_from_the_cli(name, tmp_path, stereo_wav):
    scene_path = SCENES / name
    scene = load_scene(scene_path)
    filters = tmp_path / "filters.npz"
    assert main(["design", str(scene_path), "-o", str(filters)]) == 0
    with np.load(filters) as data:
        assert data["filters"].shape[0] == len(scene.device.drivers)
    outdir = tmp_path / "evaluation"
    assert main(["evaluate", str(scene_path), "-o", str(outdir), "--no-zones"]) == 0
    systems = json.loads((outdir / "metrics.json").read_text())["systems"]
    # Every example is a working stage: measured widths 52.8 (living room, hybrid room), 47.2
    # (soundbar) and 29.4 deg (custom on KEMAR) against matrix mixing's 2.1, 13.1 and 1.4 deg.
    assert systems["chain"]["width_deg"] > systems["matrix_mixing"]["width_deg"] + 15.0
    feeds = tmp_path / "feeds.wav"
    ears = tmp_path / "ears.wav"
    args = ["render", str(stereo_wav), "-o", str(feeds), "--binaural", str(ears)]
    assert main([*args, "--scene", str(scene_path)]) == 0
    assert sf.info(feeds).channels == len(scene.device.drivers)
    assert sf.info(ears).channels == 2


def test_example_scenes_build_what_they_describe():
    living = load_scene(SCENES / "living_room_smart_speaker.toml")
    assert living.device.name == "smart_speaker" and living.room is not None
    assert living.room.max_order == default_max_order("living_room")
    bar = load_scene(SCENES / "soundbar_8.toml")
    assert len(bar.device.drivers) == 8
    spacing = np.diff(bar.device.positions[:, 1])
    np.testing.assert_allclose(spacing, 0.9 / 8)
    custom = load_scene(SCENES / "custom_3_driver.toml")
    assert custom.device.driver_names == ("left", "centre", "right")
    assert isinstance(custom.device.driver("left").directivity, BaffledPiston)
    assert isinstance(custom.device.driver("centre").directivity, SphereCap)
    np.testing.assert_allclose(custom.device.driver("left").orientation, [2**-0.5, -(2**-0.5), 0])
    assert isinstance(custom.listener.head, MeasuredHRTF)
    assert custom.listener.head.hrir_set.directions.shape[0] == 710  # the MIT set, read from file


def _write(tmp_path, text, name="scene.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


DRIVER = '[[device.drivers]]\nname = "{n}"\nposition = {p}\norientation = [1.0, 0.0, 0.0]\n{extra}'


def _custom(*drivers):
    return "[device]\n" + "\n".join(DRIVER.format(n=n, p=p, extra=e) for n, p, e in drivers)


def test_a_measured_driver_is_read_from_its_sofa_file(tmp_path):
    azimuth, elevation = np.meshgrid(np.arange(0, 360, 15.0), np.arange(-75, 76, 15.0))
    poles = sph_to_cart([0.0, 0.0], [-90.0, 90.0])
    grid = np.vstack([sph_to_cart(azimuth.ravel(), elevation.ravel()), poles])
    piston = BaffledPiston(0.03)
    table = MeasuredDirectivity.from_model(piston, grid, np.geomspace(50, 20000, 40))
    table.to_sofa(tmp_path / "driver.sofa")
    text = _custom(
        ("a", "[0.0, -0.05, 0.0]", 'directivity = "measured"\nfile = "driver.sofa"\n'),
        ("b", "[0.0, 0.05, 0.0]", 'directivity = "omni"\n'),
    )
    scene = load_scene(_write(tmp_path, text))
    measured = scene.device.driver("a").directivity
    assert isinstance(measured, MeasuredDirectivity)
    assert isinstance(scene.device.driver("b").directivity, Omni)
    f = measured.freqs[[10, 30]]  # on the table's grid of frequencies and directions: exact
    np.testing.assert_allclose(measured.response(grid, f), piston.response(grid, f), atol=1e-12)


BAD_SCENES = {
    "two drivers at one point": (
        _custom(("a", "[0.0, 0.0, 0.0]", ""), ("b", "[0.0, 0.0, 0.0]", "")),
        ValueError,
        "[device].drivers: drivers 'a' and 'b' are at one point",
    ),
    "zero orientation": (
        "[device]\n[[device.drivers]]\nposition = [0.0, 0.0, 0.0]\norientation = [0.0, 0.0, 0.0]\n",
        ValueError,
        "[device].drivers[0].orientation must be a non-zero direction",
    ),
    "piston without a radius": (
        _custom(("a", "[0.0, 0.0, 0.0]", 'directivity = "piston"\n')),
        ValueError,
        "[device].drivers[0]: directivity 'piston' needs ['radius']",
    ),
    "parameter of another model": (
        _custom(("a", "[0.0, 0.0, 0.0]", "radius = 0.02\n")),
        ValueError,
        "['radius'] belong to directivity 'piston', not 'omni'",
    ),
    "unknown directivity": (
        _custom(("a", "[0.0, 0.0, 0.0]", 'directivity = "horn"\n')),
        ValueError,
        "[device].drivers[0].directivity must be one of",
    ),
    "string position": (
        '[listener]\nposition = "2, 0, 0"\n',
        TypeError,
        "[listener].position must be a list of 3 numbers",
    ),
    "string yaw": (
        '[listener]\nyaw_deg = "180"\n',
        TypeError,
        "[listener].yaw_deg must be a number",
    ),
    "string boolean": (
        '[room]\npreset = "studio"\nair_absorption = "no"\n',
        TypeError,
        "[room].air_absorption must be a boolean",
    ),
    "preset with drivers": (
        '[device]\npreset = "soundbar"\n' + _custom(("a", "[0.0, 0.0, 0.0]", ""))[9:],
        ValueError,
        "a custom device ([[device.drivers]]) takes no ['preset']",
    ),
    "soundbar key on a smart speaker": (
        "[device]\nn_drivers = 4\n",
        ValueError,
        "['n_drivers'] do not apply to preset 'smart_speaker'",
    ),
    "missing head file": (
        '[listener]\nhead = "nowhere.sofa"\n',
        ValueError,
        "[listener].head: file",
    ),
}


@pytest.mark.parametrize("case", BAD_SCENES)
def test_bad_scenes_are_refused_naming_the_field(case, tmp_path):
    text, error, message = BAD_SCENES[case]
    with pytest.raises(error) as info:
        load_scene(_write(tmp_path, text))
    assert message in str(info.value)
    assert str(info.value).startswith("scene.toml: ")


@pytest.fixture(scope="module")
def kemar_set():
    return MeasuredHRTF.kemar().hrir_set


def _head_file(tmp_path, hrir_set, keep=None, swap=False):
    import dataclasses

    from acoustics.heads.sofa import write_hrir

    hrirs, directions, distance = hrir_set.hrirs, hrir_set.directions, hrir_set.distance
    if keep is not None:
        hrirs, directions, distance = hrirs[keep], directions[keep], distance[keep]
    if swap:
        hrirs = hrirs[:, ::-1]
    path = tmp_path / "head.sofa"
    edited = dataclasses.replace(hrir_set, hrirs=hrirs, directions=directions, distance=distance)
    write_hrir(path, edited)
    return path


def test_a_head_file_that_misses_the_horizontal_plane_is_refused(tmp_path, kemar_set):
    elevation = np.rad2deg(np.arcsin(kemar_set.directions[:, 2]))
    path = _head_file(tmp_path, kemar_set, keep=elevation >= 19.0)  # MIT: 20 deg and up
    text = f'[listener]\nhead = "{path.name}"\n'
    with pytest.raises(
        ValueError, match=r"\[listener\].head: .*does not span the horizontal plane"
    ):
        load_scene(_write(tmp_path, text))


def test_a_head_file_with_swapped_ears_is_refused(tmp_path, kemar_set):
    path = _head_file(tmp_path, kemar_set, swap=True)
    with pytest.raises(ValueError, match=r"\[listener\].head: .*the ears look swapped"):
        load_scene(_write(tmp_path, f'[listener]\nhead = "{path.name}"\n'))
    # The same file with its ears in order loads (the check refuses only the swap).
    assert isinstance(MeasuredHRTF.from_sofa(_head_file(tmp_path, kemar_set)), MeasuredHRTF)


def test_a_sweep_uses_the_same_schema(tmp_path):
    # A scene file's [device] table and a SOFA head, both by path, in a sweep run.
    custom = SCENES / "custom_3_driver.toml"
    run = resolve({"device": str(custom), "head": kemar_path().as_posix()}, base_dir=tmp_path)
    scene = build_scene(run)
    assert scene.device.driver_names == ("left", "centre", "right")
    assert isinstance(scene.listener.head, MeasuredHRTF)
    # Same key names and the same default image-source order as scene files.
    bar = build_scene(resolve({"device": "soundbar", "n_drivers": 4, "length": 0.6}))
    np.testing.assert_allclose(np.ptp(bar.device.positions[:, 1]), 0.6 * 3 / 4)
    run = resolve({"room": "living_room", "air_absorption": True})
    room = build_scene(run).room
    assert room.max_order == default_max_order("living_room") and room.air_absorption is True
    shoebox = resolve({"room": "shoebox"})
    assert shoebox["max_order"] == default_max_order(None)
    with pytest.raises(ValueError, match="bar_length is now called 'length'"):
        resolve({"bar_length": 0.5})
    with pytest.raises(ValueError, match="air_absorption must be a boolean"):
        resolve({"room": "studio", "air_absorption": "no"})


def test_the_default_listener_head_is_the_sphere(tmp_path):
    scene = load_scene(_write(tmp_path, "[device]\n"))
    assert isinstance(scene.listener.head, RigidSphere)


def test_a_stereo_pair_scene_runs_through_the_cli(tmp_path, stereo_wav):
    # The classic CTC on a real pair, here at +-10 deg: measured width 46.8 deg against matrix
    # mixing's 19.4 (free field, 2 m, sphere head).
    text = '[device]\npreset = "stereo_pair"\nangle_deg = 10.0\n'
    scene_path = _write(tmp_path, text)
    pair = load_scene(scene_path).device
    np.testing.assert_allclose(
        np.rad2deg(np.arctan2(pair.positions[1, 1], 2.0 - pair.positions[1, 0])), 10.0
    )
    outdir = tmp_path / "evaluation"
    assert main(["evaluate", str(scene_path), "-o", str(outdir), "--no-zones"]) == 0
    systems = json.loads((outdir / "metrics.json").read_text())["systems"]
    assert systems["chain"]["width_deg"] > systems["matrix_mixing"]["width_deg"] + 15.0
    feeds = tmp_path / "feeds.wav"
    assert main(["render", str(stereo_wav), "-o", str(feeds), "--scene", str(scene_path)]) == 0
    assert sf.info(feeds).channels == 2
