"""Helpers shared by the figure modules: panels, levels and read-only results (private)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from numpy.typing import NDArray

__all__: list[str] = []


def db(x: npt.ArrayLike, *, power: bool = False) -> NDArray[np.float64]:
    """Return ``20 log10 |x|`` (``10 log10 x`` for ``power=True``), -inf for zeros."""
    a = np.abs(np.asarray(x))
    with np.errstate(divide="ignore"):
        return (10.0 if power else 20.0) * np.log10(a)


def freeze(obj: object) -> None:
    """Make every ndarray field of a frozen dataclass a read-only copy (in ``__post_init__``)."""
    for name, value in vars(obj).items():
        if isinstance(value, np.ndarray):
            arr = value.copy()
            arr.flags.writeable = False
            object.__setattr__(obj, name, arr)


def panels(
    ax: Axes | Sequence[Axes] | None,
    n: int,
    *,
    figsize: tuple[float, float],
    name: str,
    **subplot_kw: Any,
) -> list[Axes]:
    """Return ``n`` axes: the given ones (checked) or those of a new one-row figure.

    Parameters
    ----------
    ax : Axes, sequence of Axes or None
        ``n`` axes to draw on (a single Axes when ``n == 1``); None makes a figure of ``n``
        panels side by side.
    n : int
        Number of panels the figure needs.
    figsize : (width, height)
        Size in inches of a new figure.
    name : str
        The figure's name, for error messages.
    **subplot_kw
        Passed to :func:`matplotlib.pyplot.subplots` for a new figure (e.g. ``gridspec_kw``).
    """
    if ax is None:
        _, axes = plt.subplots(1, n, figsize=figsize, layout="constrained", squeeze=False,
                               **subplot_kw)  # fmt: skip
        return list(axes[0])
    if isinstance(ax, Axes):
        axes = [ax]
    elif isinstance(ax, Sequence | np.ndarray):
        axes = list(np.ravel(np.asarray(ax, dtype=object)))
    else:
        axes = []
    if len(axes) != n or not all(isinstance(a, Axes) for a in axes):
        raise TypeError(
            f"ax must be None or {n} matplotlib Axes for {name}, got {type(ax).__name__}"
            + (f" of length {len(axes)}" if axes else "")
        )
    return axes


def log_freq_axis(ax: Axes, lo: float, hi: float) -> None:
    """Frequency on a log x axis from ``lo`` to ``hi`` Hz, with readable tick labels."""
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ticks = [t for t in (20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4) if lo <= t <= hi]
    ax.set_xticks(ticks, [f"{t / 1e3:g}k" if t >= 1e3 else f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_xlabel("frequency (Hz)")
    ax.grid(True, which="both", alpha=0.3)
