"""Filters: what the drivers are fed (crosstalk cancellation, beams, virtualization, upmix)."""
