"""Loudspeaker drivers, their directivity, and the device presets."""

from acoustics.sources.device import (
    MIN_DRIVER_SPACING,
    BaffledPiston,
    Device,
    Directivity,
    Driver,
    Omni,
    SphereCap,
)
from acoustics.sources.measured import (
    MeasuredDirectivity,
)
from acoustics.sources.presets import (
    SMART_SPEAKER_HEIGHT,
    SMART_SPEAKER_RADIUS,
    smart_speaker,
    soundbar,
    stereo_pair,
)

__all__ = [
    "Directivity",
    "Omni",
    "BaffledPiston",
    "SphereCap",
    "Driver",
    "Device",
    "MIN_DRIVER_SPACING",
    "MeasuredDirectivity",
    "stereo_pair",
    "smart_speaker",
    "soundbar",
    "SMART_SPEAKER_RADIUS",
    "SMART_SPEAKER_HEIGHT",
]
