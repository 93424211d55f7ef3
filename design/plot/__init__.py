"""Plots of designs and evaluations (matplotlib; compute modules never import it)."""

from design.plot.designs import (
    plot_beam_map,
    plot_beam_metrics,
    plot_beam_polar,
    plot_cancellation,
    plot_condition_number,
    plot_filters,
)
from design.plot.evaluation import (
    SYSTEM_COLOURS,
    plot_depth,
    plot_perceived_azimuth,
    plot_segment_separation,
    plot_separation,
    plot_zone_map,
    smooth_fractional_octave,
    zone_colour_limits,
)

__all__ = [
    "plot_cancellation",
    "plot_condition_number",
    "plot_beam_map",
    "plot_beam_polar",
    "plot_beam_metrics",
    "plot_filters",
    "SYSTEM_COLOURS",
    "smooth_fractional_octave",
    "plot_separation",
    "plot_segment_separation",
    "plot_perceived_azimuth",
    "plot_depth",
    "plot_zone_map",
    "zone_colour_limits",
]
