"""Rendering and audio: upmix, convolution, streaming, WAV I/O, test mixtures."""

from design.render.audio import (
    as_audio,
    as_signal,
    fit_full_scale,
    read_wav,
    resample,
    write_wav,
)
from design.render.convolution import (
    PartitionedConvolver,
    convolve,
)
from design.render.mixtures import (
    Mixture,
    centre_sdr,
    leakage_db,
    synthetic_mixture,
)
from design.render.streaming import (
    StreamingRenderer,
    StreamingUpmix,
)
from design.render.upmix import (
    UpmixMethod,
    UpmixParams,
    pca_panning_gain,
    pca_panning_gain_from_covariance,
    upmix_lrc,
)

__all__ = [
    "UpmixMethod",
    "UpmixParams",
    "upmix_lrc",
    "pca_panning_gain",
    "pca_panning_gain_from_covariance",
    "convolve",
    "PartitionedConvolver",
    "StreamingUpmix",
    "StreamingRenderer",
    "read_wav",
    "write_wav",
    "resample",
    "as_signal",
    "as_audio",
    "fit_full_scale",
    "Mixture",
    "synthetic_mixture",
    "centre_sdr",
    "leakage_db",
]
