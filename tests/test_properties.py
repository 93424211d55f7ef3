"""Property-based tests: every generated input ends in a result or in a clear refusal.

Over the scene-file schema (:mod:`experiments.scene_file`, fed the tables TOML would give it) and
the numeric inputs of the public API: each case must return, or raise ``ValueError`` /
``TypeError`` whose message names the argument or key; any other exception, or a message that
names nothing, fails. Sizes are bounded (a few values per array, order <= 2 rooms) so that each
case takes milliseconds, and the examples are derandomized (the same ones in every run).
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acoustics.heads import PointEars
from acoustics.room import Room
from acoustics.scene import Listener, Scene, ear_transfer, listener_grid
from acoustics.sources.presets import smart_speaker
from design.render.audio import as_audio, fit_full_scale

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

# -- values of every kind TOML can hold, and some it cannot ----------------------------------

numbers = st.one_of(
    st.integers(-10, 10),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1e-300, 1e300, math.inf, -math.inf, math.nan]),
)
scalars = st.one_of(numbers, st.booleans(), st.text(max_size=8), st.none())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
vectors = st.one_of(st.lists(numbers, min_size=3, max_size=3), values)


def _key_values(special, keys=None):
    """Tables of some of ``keys`` (plausible or arbitrary values) and now and then a stray key.

    ``special`` maps keys to their plausible values; ``keys`` (default: those of ``special``)
    lists every key, the others taking arbitrary values.
    """
    plausible = {k: special.get(k, values) for k in (keys or list(special))}
    entries = st.fixed_dictionaries(
        {}, optional={k: st.one_of(v, values) for k, v in plausible.items()}
    )
    stray = st.dictionaries(st.sampled_from(["typo", "colour", "yaw"]), values, max_size=1)
    return st.builds(lambda a, b: {**a, **b}, entries, st.one_of(st.just({}), stray))


device_tables = _key_values(
    {
        "preset": st.sampled_from(["smart_speaker", "stereo_pair", "soundbar", "tv"]),
        "position": vectors,
        "n_drivers": st.integers(-2, 12),
        "length": numbers,
        "angle_deg": numbers,
    },
    ["preset", "position", "yaw_deg", "n_drivers", "length", "angle_deg"],
)
listener_tables = _key_values(
    {"position": vectors, "head": st.sampled_from(["sphere", "point", "brown-duda", "ears"])},
    ["position", "yaw_deg", "head"],
)
room_tables = _key_values(
    {
        "preset": st.sampled_from(["living_room", "bare_room", "studio", "cave"]),
        "dimensions": vectors,
        "absorption": st.one_of(numbers, st.lists(numbers, min_size=6, max_size=6)),
        "max_order": st.integers(-1, 2),
        "air_absorption": st.one_of(st.booleans(), st.sampled_from(["no", "yes", 0, 1])),
        "tail": st.sampled_from(["eyring", "sabine", "none", "ray_tracing", "reverb"]),
        "scattering": numbers,
        "transition_ms": numbers,
    },
)
scene_tables = st.fixed_dictionaries(
    {}, optional={"device": device_tables, "listener": listener_tables, "room": room_tables}
)

_TABLE_NAMES = ("[device]", "[listener]", "[room]", "table")


def _names_something(message, data):
    keys = {k for table in data.values() if isinstance(table, dict) for k in table}
    return any(name in message for name in _TABLE_NAMES) or any(k in message for k in keys)


@SETTINGS
@given(data=scene_tables)
def test_scene_tables_give_a_scene_or_an_error_naming_the_key(data, tmp_path_factory):
    from experiments.scene_file import _scene

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scene = _scene(data, tmp_path_factory.getbasetemp())
    except (ValueError, TypeError) as exc:
        assert _names_something(str(exc), data), (str(exc), data)
    else:
        assert isinstance(scene, Scene)


# -- numeric inputs of the public API ----------------------------------------------------------

small_arrays = st.one_of(
    st.lists(numbers, min_size=0, max_size=5),
    st.lists(st.lists(numbers, min_size=1, max_size=3), min_size=1, max_size=3),
    numbers,
    st.text(max_size=3),
    st.none(),
)


def _refused(exc, *names):
    message = str(exc)
    assert any(name in message for name in names), (names, message)


@SETTINGS
@given(dims=small_arrays, absorption=small_arrays, order=st.one_of(st.integers(-2, 3), numbers))
def test_rooms_are_built_or_refused_by_name(dims, absorption, order):
    try:
        room = Room(dims, absorption, max_order=order)
    except (ValueError, TypeError) as exc:
        _refused(exc, "dimensions", "absorption", "max_order")
    else:
        assert np.all(room.dimensions > 0) and 0 <= room.max_order <= 3


@SETTINGS
@given(position=small_arrays, yaw=st.one_of(numbers, st.text(max_size=2)))
def test_listeners_are_built_or_refused_by_name(position, yaw):
    try:
        listener = Listener(position, yaw, PointEars())
    except (ValueError, TypeError) as exc:
        _refused(exc, "position", "yaw_deg")
    else:
        assert listener.position.shape == (3,) and np.all(np.isfinite(listener.position))
        assert np.isfinite(listener.yaw_deg)


@SETTINGS
@given(x=small_arrays, y=small_arrays, z=st.one_of(numbers, st.text(max_size=2)))
def test_listener_grids_are_built_or_refused_by_name(x, y, z):
    try:
        grid = listener_grid(x, y, z=z, facing=(0.0, 0.0, 0.0))
    except (ValueError, TypeError) as exc:
        _refused(exc, "x", "y", "z", "facing", "position")
    else:
        assert grid.positions.shape[1] == 3


_SCENE = Scene(smart_speaker(), Listener((2.0, 0.0, 0.0), 180.0, PointEars()))


@SETTINGS
@given(freqs=small_arrays)
def test_ear_transfer_takes_frequencies_or_refuses_them_by_name(freqs):
    try:
        tm = ear_transfer(_SCENE, freqs)
    except (ValueError, TypeError) as exc:
        _refused(exc, "freqs")
    else:
        assert np.all(np.isfinite(tm.H))


@SETTINGS
@given(signal=small_arrays, headroom=numbers)
def test_audio_helpers_take_signals_or_refuse_them_by_name(signal, headroom):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # beyond full scale: warned, not refused
        try:
            x = as_audio(signal, "stereo")
        except (ValueError, TypeError) as exc:
            _refused(exc, "stereo")
            return
    try:
        y, gain_db = fit_full_scale(x, headroom)
    except (ValueError, TypeError) as exc:
        _refused(exc, "headroom_db")
    else:
        assert np.max(np.abs(y)) <= 1.0 + 1e-12 and gain_db <= 0.0


@pytest.mark.parametrize("n_taps", [15, 16.0, True, "1024"])
def test_design_chain_refuses_bad_tap_counts_by_name(n_taps):
    from design.chain import design_chain

    with pytest.raises((ValueError, TypeError), match="n_taps"):
        design_chain(_SCENE, n_taps=n_taps)
