"""Memoised tables: every cache of the toolkit, keyed by value, and one way to clear them.

Tables that cost seconds to build and are asked for again with the same arguments (the rigid
sphere's and the directivities' tables of the room engines, the localization model's cue tables,
a room's ray-traced decay times, a device's diffuse-field covariance, a measured set's
nearest-direction cells) are memoised with :func:`memoize`. Their keys are values, never
identities: arrays enter as bytes, and models as :class:`Keyed` (by their ``cache_key``: the
parametric models themselves, frozen dataclasses compared by value; a digest of the data for
measured heads and directivities), so two loads of the same data share an entry. Each cache
holds a few entries (its ``maxsize``, least recently used out).

:func:`clear_caches` empties them all, e.g. to free memory between the parts of a sweep or to time
a cold call; :func:`cache_info` reports what each one holds.

Examples
--------
>>> from acoustics.caching import cache_info, clear_caches
>>> clear_caches()
>>> all(info.currsize == 0 for info in cache_info().values())
True
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

__all__ = ["memoize", "clear_caches", "cache_info", "Keyed", "digest"]

_F = TypeVar("_F", bound=Callable[..., Any])

#: Every cache made by :func:`memoize`, by the qualified name of its function.
_CACHES: dict[str, Any] = {}


def memoize(maxsize: int) -> Callable[[_F], _F]:
    """Return a decorator memoising a function of hashable values (:func:`functools.lru_cache`).

    The cache is registered, so :func:`clear_caches` empties it and :func:`cache_info`
    reports it. Arguments must be hashable values (bytes for arrays, frozen dataclasses, a
    :class:`~acoustics.heads.KeyedHead` for a head); results should be read-only.

    Parameters
    ----------
    maxsize : int
        Entries kept, the least recently used dropped first.
    """
    if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
        raise ValueError(f"maxsize must be a positive integer, got {maxsize!r}")

    def decorate(function: _F) -> _F:
        cached = functools.lru_cache(maxsize=maxsize)(function)
        _CACHES[f"{function.__module__}.{function.__qualname__}"] = cached
        return cached  # type: ignore[return-value]

    return decorate


class Keyed:
    """A model as a cache key: hashed and compared by its ``cache_key``, the model in ``.model``.

    Measured models compare by identity (they hold arrays), so two loads of one data set would
    miss each other's entries; wrapped, they share them.
    """

    def __init__(self, model: Any) -> None:
        self.model, self.key = model, model.cache_key

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Keyed) and self.key == other.key


def digest(*arrays: Any) -> str:
    """Return a 128-bit hex digest of arrays' shapes and bytes (a value key for measured data)."""
    h = hashlib.blake2b(digest_size=16)
    for arr in arrays:
        a = np.ascontiguousarray(arr)
        h.update(repr((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def clear_caches() -> None:
    """Empty every cache of the toolkit (the tables are rebuilt when next asked for)."""
    for cached in _CACHES.values():
        cached.cache_clear()


def cache_info() -> dict[str, functools._CacheInfo]:
    """Return each cache's hits, misses, size and current size, by its function's name."""
    return {name: cached.cache_info() for name, cached in sorted(_CACHES.items())}
