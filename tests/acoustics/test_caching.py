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
