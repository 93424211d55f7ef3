r"""A localization model: the azimuth a listener would perceive from two ear signals.

The model matches the two binaural cues of :mod:`acoustics.metrics` against a table of the same
cues of the same head model for real sources on the horizontal plane (REFERENCES.md, "Perceived
azimuth from ear signals"):

- the interaural time difference of the summary cross-correlogram below 1.5 kHz
  (:func:`acoustics.metrics.interaural_time_difference`), and
- the interaural level differences in the auditory bands from 1.5 kHz to 12 kHz
  (:func:`acoustics.metrics.interaural_level_difference`).

The perceived azimuth :math:`\hat\varphi` minimizes

.. math:: J(\varphi) = \left(\frac{\tau - \tau_T(\varphi)}{\sigma_\tau}\right)^2
          + \frac{w}{B} \sum_b \left(\frac{\Delta L_b - \Delta L_{T,b}(\varphi)}{\sigma_L}\right)^2

over the table's azimuths (interpolated to 0.1 deg), with :math:`\sigma_\tau = 20\ \mu s` and
:math:`\sigma_L = 1` dB, about the just-noticeable differences of each cue (Mills, JASA 30(4), 1958;
Hafter et al. 1977), and a weight :math:`w` on the level cue that is 1 by default. Where the cues
of a phantom source disagree, the weighting decides; Wightman & Kistler (JASA 91(3), 1992) found
the low-frequency time cue dominant whenever low frequencies are present, which
``ild_weight < 1`` models. The model also returns the azimuth each cue alone points to.

Only lateral angle is resolved: the table covers -90 to +90 deg in front of the listener, since
ITD and ILD alone cannot tell front from back. Tables are built once per head model and
parameters and kept in memory (:func:`cue_table`, an LRU cache of 16).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics._validate import as_float_array, as_positive
from acoustics.geometry import SPEED_OF_SOUND, sph_to_cart
from acoustics.heads import HeadModel
from acoustics.metrics import (
    _as_ears,
    _ear_spectra,
    _ild_from_spectra,
    _itd_from_spectra,
    erb_space,
)

__all__ = ["CueTable", "Localization", "cue_table", "localize", "match_cues"]

#: Cue bands of the model (Hz): time differences below, level differences above 1.5 kHz.
ITD_BAND_HZ: tuple[float, float] = (200.0, 1500.0)
ILD_BAND_HZ: tuple[float, float] = (1500.0, 12000.0)
#: Just-noticeable differences that scale the two cues.
SIGMA_ITD_S = 20e-6
SIGMA_ILD_DB = 1.0
_MAX_LAG_S = 1e-3
_TABLE_TAPS = 1024


@dataclass(frozen=True, eq=False)
class CueTable:
    """Binaural cues of a head model for sources on the horizontal plane.

    Attributes
    ----------
    head : HeadModel
        The model the cues belong to.
    fs : float
        Sampling rate in Hz the cues were computed at.
    distance : float
        Source distance in metres.
    azimuths_deg : (n_az,) ndarray
        Source azimuths in the listener frame, -90 to 90 deg.
    itd_s : (n_az,) ndarray
        ITD in seconds (positive: left ear leads).
    ild_db : (n_az, n_bands) ndarray
        ILD per auditory band in dB (positive: left louder).
    ild_centres_hz : (n_bands,) ndarray
        Band centres of ``ild_db``.
    """

    head: HeadModel
    fs: float
    distance: float
    azimuths_deg: NDArray[np.float64]
    itd_s: NDArray[np.float64]
    ild_db: NDArray[np.float64]
    ild_centres_hz: NDArray[np.float64]


@dataclass(frozen=True)
class Localization:
    """Perceived azimuths and the cues they come from; arrays share the input's leading shape.

    Attributes
    ----------
    azimuth_deg : ndarray
        Azimuth from both cues, degrees in the listener frame (positive: left).
    itd_azimuth_deg, ild_azimuth_deg : ndarray
        Azimuth from the time cue alone and from the level cue alone.
    itd_s : ndarray
        Measured ITD in seconds.
    ild_db : (..., n_bands) ndarray
        Measured ILD per band in dB.
    """

    azimuth_deg: NDArray[np.float64]
    itd_azimuth_deg: NDArray[np.float64]
    ild_azimuth_deg: NDArray[np.float64]
    itd_s: NDArray[np.float64]
    ild_db: NDArray[np.float64]


def cue_table(
    head: HeadModel,
    *,
    fs: float = 48000.0,
    distance: float = 2.0,
    step_deg: float = 1.0,
    c: float = SPEED_OF_SOUND,
) -> CueTable:
    """Return the head's ITD and ILD over azimuth (cached per head and parameters).

    Parameters
    ----------
    head : HeadModel
        Ear model.
    fs : float, optional
        Sampling rate in Hz.
    distance : float, optional
        Source distance in metres.
    step_deg : float, optional
        Azimuth step.
    c : float, optional
        Speed of sound in m/s.
    """
    if not isinstance(head, HeadModel):
        raise TypeError(f"head must be a HeadModel, got {type(head).__name__}")
    return _cue_table(
        head,
        as_positive(fs, "fs"),
        as_positive(distance, "distance"),
        as_positive(step_deg, "step_deg"),
        as_positive(c, "c"),
    )


@functools.lru_cache(maxsize=16)
def _cue_table(head: HeadModel, fs: float, distance: float, step: float, c: float) -> CueTable:
    if distance <= head.radius:
        raise ValueError(
            f"distance must exceed the head radius {head.radius:g} m, got {distance:g}"
        )
    az = np.arange(-90.0, 90.0 + 1e-9, step)
    positions = sph_to_cart(az, np.zeros_like(az), distance)
    freqs = np.fft.rfftfreq(_TABLE_TAPS, 1.0 / fs)
    pressure = head.ear_responses(positions, freqs, c=c)  # (2, n_az, n_freqs)
    # Remove the travel time to the head centre, keep a pre-delay so every ear response is causal.
    shift = np.exp(2j * np.pi * freqs * (distance / c - 0.25 * _TABLE_TAPS / fs))
    hrirs = np.fft.irfft(np.moveaxis(pressure * shift, 0, 1), _TABLE_TAPS, axis=-1)
    spec, f = _ear_spectra(hrirs, fs)
    centres = erb_space(*ILD_BAND_HZ)
    return CueTable(
        head=head,
        fs=fs,
        distance=distance,
        azimuths_deg=az,
        itd_s=_itd_from_spectra(spec, f, ITD_BAND_HZ, _MAX_LAG_S),
        ild_db=_ild_from_spectra(spec, f, centres),
        ild_centres_hz=centres,
    )


def localize(
    ears: npt.ArrayLike,
    fs: float,
    head: HeadModel | CueTable,
    *,
    ild_weight: float = 1.0,
) -> Localization:
    """Perceived azimuth of ear signals, by matching their ITD and ILD to the head's table.

    Parameters
    ----------
    ears : (..., 2, n_samples) array_like
        Left and right ear signals or binaural impulse responses.
    fs : float
        Sampling rate in Hz.
    head : HeadModel or CueTable
        The listener's head (its table is built or taken from the cache), or a table.
    ild_weight : float, optional
        Weight of the level cue against the time cue (0 uses the time cue only).

    Returns
    -------
    Localization
    """
    x, fs = _as_ears(ears, fs)
    table = head if isinstance(head, CueTable) else cue_table(head, fs=fs)
    if table.fs != fs:
        raise ValueError(f"fs {fs:g} differs from the cue table's {table.fs:g} Hz")
    w = as_positive(ild_weight, "ild_weight", allow_zero=True)
    spec, freqs = _ear_spectra(x, fs)
    itd = _itd_from_spectra(spec, freqs, ITD_BAND_HZ, _MAX_LAG_S)
    ild = _ild_from_spectra(spec, freqs, table.ild_centres_hz)
    return match_cues(itd, ild, table, ild_weight=w)


def match_cues(
    itd_s: npt.ArrayLike, ild_db: npt.ArrayLike, table: CueTable, *, ild_weight: float = 1.0
) -> Localization:
    """Match measured cues, ``itd_s`` ``(...)`` and ``ild_db`` ``(..., n_bands)``, to a table."""
    if not isinstance(table, CueTable):
        raise TypeError(f"table must be a CueTable, got {type(table).__name__}")
    itd = as_float_array(itd_s, "itd_s")
    ild = np.asarray(ild_db, dtype=float)  # +-inf marks a silent band (no level cue)
    if np.any(np.isnan(ild)):
        raise ValueError("ild_db must not contain NaN")
    if ild.shape != itd.shape + table.ild_centres_hz.shape:
        raise ValueError(
            f"ild_db must have shape {itd.shape + table.ild_centres_hz.shape}, got {ild.shape}"
        )
    fine = np.arange(table.azimuths_deg[0], table.azimuths_deg[-1] + 1e-9, 0.1)
    itd_tab = np.interp(fine, table.azimuths_deg, table.itd_s)
    ild_tab = np.stack(
        [np.interp(fine, table.azimuths_deg, b) for b in table.ild_db.T], axis=-1
    )  # (n_fine, n_bands)
    # A silent band (ILD of +-inf) carries no usable level cue: leave it out of the mean.
    ild = np.where(np.isfinite(ild), ild, np.nan)
    j_itd = ((itd[..., None] - itd_tab) / SIGMA_ITD_S) ** 2
    j_ild = np.nanmean(((ild[..., None, :] - ild_tab) / SIGMA_ILD_DB) ** 2, axis=-1)
    j_ild = np.nan_to_num(j_ild)
    total = j_itd + ild_weight * j_ild
    return Localization(
        azimuth_deg=fine[np.argmin(total, axis=-1)],
        itd_azimuth_deg=fine[np.argmin(j_itd, axis=-1)],
        ild_azimuth_deg=fine[np.argmin(j_ild, axis=-1)],
        itd_s=itd,
        ild_db=ild,
    )
