"""Helpers every plot function shares: checking a caller's axes, making new ones, decibels."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.projections.polar import PolarAxes
from numpy.typing import NDArray

__all__ = ["check_ax", "new_axes", "db"]


def check_ax(ax: object, *, polar: bool = False) -> None:
    """Raise a TypeError unless ``ax`` is None or a matplotlib Axes (polar, if ``polar``)."""
    if ax is None:
        return
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    if polar and not isinstance(ax, PolarAxes):
        raise TypeError(
            f"ax must be a polar Axes (projection='polar') for a polar pattern, got "
            f"{type(ax).__name__}"
        )


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 4.0)) -> Axes:
    """Return ``ax``, or new axes of ``figsize`` inches in a constrained-layout figure."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def db(values: npt.ArrayLike) -> NDArray[np.float64]:
    """``20 log10 |values|``; exact zeros give -inf without a warning."""
    with np.errstate(divide="ignore"):
        return 20.0 * np.log10(np.abs(values))
