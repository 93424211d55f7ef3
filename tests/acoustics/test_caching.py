"""The toolkit's caches: keyed by value, registered, and cleared by one call."""

import numpy as np
import pytest

from acoustics.caching import cache_info, clear_caches, memoize


def test_memoize_registers_a_cache_that_clear_caches_empties():
    calls = []

    @memoize(2)
    def square(x):
        calls.append(x)
        return x * x

    assert square(3) == square(3) == 9 and calls == [3]  # the second call is a hit
    name = f"{__name__}.test_memoize_registers_a_cache_that_clear_caches_empties.<locals>.square"
    assert cache_info()[name].currsize == 1
    clear_caches()
    assert cache_info()[name].currsize == 0
    square(3)
    assert calls == [3, 3]
    with pytest.raises(ValueError, match="maxsize"):
        memoize(0)


def test_two_loads_of_the_kemar_set_share_one_cue_table():
    # Keyed by the data's digest, not by identity: the second load's table is a hit.
    from acoustics.heads.hrtf import MeasuredHRTF
    from acoustics.metrics.localization import cue_table

    clear_caches()
    first = cue_table(MeasuredHRTF.kemar(), step_deg=5.0)
    second = cue_table(MeasuredHRTF.kemar(), step_deg=5.0)
    assert second is first
    info = cache_info()["acoustics.metrics.localization._cue_table"]
    assert (info.hits, info.currsize) == (1, 1)
    clear_caches()
    assert cache_info()["acoustics.metrics.localization._cue_table"].currsize == 0
    assert np.all(np.isfinite(cue_table(MeasuredHRTF.kemar(), step_deg=5.0).ild_db))


def test_measured_directivities_and_devices_are_keyed_by_value():
    # Two tables made from one model are two objects with one key: the room engine's table and
    # the diffuse-field covariance are each built once.
    from acoustics.room.late_tail import diffuse_driver_covariance
    from acoustics.room.tables import directivity_table
    from acoustics.sources import BaffledPiston
    from acoustics.sources.measured import MeasuredDirectivity
    from acoustics.sources.presets import smart_speaker

    az = np.arange(0.0, 360.0, 15.0)
    el = np.arange(-75.0, 90.0, 15.0)
    a, e = np.meshgrid(az, el)
    grid = np.stack([np.cos(np.deg2rad(e)) * np.cos(np.deg2rad(a)),
                     np.cos(np.deg2rad(e)) * np.sin(np.deg2rad(a)),
                     np.sin(np.deg2rad(e))], axis=-1).reshape(-1, 3)  # fmt: skip
    grid = np.vstack([grid, [[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]]])
    table_freqs = np.geomspace(100.0, 8000.0, 8)
    one = MeasuredDirectivity.from_model(BaffledPiston(0.05), grid, table_freqs)
    two = MeasuredDirectivity.from_model(BaffledPiston(0.05), grid, table_freqs)
    assert one is not two and one.cache_key == two.cache_key
    freqs = np.geomspace(200.0, 4000.0, 5)
    clear_caches()
    assert directivity_table(one, freqs, 343.0, 5) is directivity_table(two, freqs, 343.0, 5)
    first = diffuse_driver_covariance(smart_speaker(), freqs)
    np.testing.assert_array_equal(diffuse_driver_covariance(smart_speaker(), freqs), first)
    info = cache_info()["acoustics.room.late_tail._driver_covariance_cached"]
    assert (info.hits, info.misses) == (1, 1)
