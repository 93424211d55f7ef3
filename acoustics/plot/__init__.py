"""Plots of transfer matrices and scenes (matplotlib; compute modules never import it)."""

from acoustics.plot.axes import (
    check_ax,
    db,
    new_axes,
)
from acoustics.plot.transfer import (
    level_reference,
    plot_level_map,
    plot_magnitude,
    plot_polar,
    plot_scene,
)

__all__ = [
    "plot_magnitude",
    "plot_polar",
    "plot_level_map",
    "plot_scene",
    "level_reference",
    "check_ax",
    "new_axes",
    "db",
]
