r"""The hybrid room model's evaluation beside the image sums (:mod:`acoustics.room.engines`).

Where the tail starts for each receiver (:func:`transition_reach`), the short FFT grid the image
sources' time-limited part is computed on and taken back to the requested grid
(:func:`coarse_grid`, :func:`refine`), and the diffuse tails added to the result
(:func:`add_tails`; the model is :mod:`acoustics.room.late_tail`).
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sp_fft
from numpy.typing import NDArray

from acoustics.heads import HeadModel
from acoustics.heads.hrtf import MeasuredHRTF
from acoustics.room import late_tail
from acoustics.room.echogram import fft_grid
from acoustics.room.late_tail import (
    decay_times,
    diffuse_driver_covariance,
    diffuse_ear_covariance,
    matching_gains,
    synthesize_tails,
    tail_duration,
    transition_distances,
)
from acoustics.room.shoebox import Room, image_sources, reflection_spectra
from acoustics.sources import Device

__all__ = ["add_tails", "coarse_grid", "refine", "synthesis_rate", "transition_reach"]


#: Time after the transition that the early responses of heads and drivers are given on the
#: coarse grid (their own impulse responses ring for a few milliseconds), seconds.
_EARLY_MARGIN_S = 0.02


def coarse_grid(
    f: NDArray[np.float64], room: Room, c: float, head: HeadModel | None
) -> tuple[NDArray[np.float64], int, int] | None:
    """Return a shorter FFT grid for the image sources' part, or None if it would not pay.

    With the hybrid model the image sources stop at the transition, so their part of the
    response is time-limited: computed on a grid just long enough for it and zero-padded in
    time to the requested grid, it is the same response (measured: -76 dB NMSE against the
    direct evaluation on the long grid). The short grid depends on the room alone, never on
    the receivers of the call, so a receiver's response does not depend on its company: it
    holds the latest transition any receiver can have, ``(max_order + 2)`` times the room's
    smallest dimension (the order-``max_order + 1`` image along that axis is never farther),
    or ``transition_ms``, plus a margin for the heads' and drivers' own responses.
    """
    grid = fft_grid(f)
    if grid is None:
        return None
    fs, n_fft = grid
    if room.transition_ms is not None:
        latest = room.transition_ms / 1000.0
    else:
        latest = (room.max_order + 2) * float(room.dimensions.min()) / c
    margin = _EARLY_MARGIN_S
    if isinstance(head, MeasuredHRTF):
        margin += head.hrir_set.hrirs.shape[-1] / head.hrir_set.fs
    from scipy.fft import next_fast_len

    n_coarse = next_fast_len(int(np.ceil((latest + margin) * fs)), real=True)
    if 2 * n_coarse > n_fft:
        return None
    return np.fft.rfftfreq(n_coarse, 1.0 / fs), n_coarse, n_fft


def refine(early: NDArray[np.complex128], n_coarse: int, n_fft: int) -> NDArray[np.complex128]:
    """Early spectra on a coarse grid, zero-padded in time to the ``n_fft`` grid."""
    return np.fft.rfft(np.fft.irfft(early, n_coarse, axis=-1), n_fft, axis=-1)


def transition_reach(
    room: Room, p_d: NDArray[np.float64], x: NDArray[np.float64], c: float
) -> NDArray[np.float64] | None:
    """Transition distances ``(n_receivers, n_drivers)`` of the hybrid model; None without tail."""
    if room.tail == "none":
        return None
    reach = transition_distances(room, p_d, x)
    if room.transition_ms is not None:
        wanted = c * room.transition_ms / 1000.0
        late = wanted > reach
        if np.any(late):
            i, d = np.argwhere(late)[0]
            raise ValueError(
                f"transition_ms={room.transition_ms:g} is later than the image sources of "
                f"max_order {room.max_order} are complete at receiver {i} for driver {d} "
                f"({1000.0 * reach[i, d] / c:.1f} ms): raise max_order or lower transition_ms"
            )
        reach = np.full_like(reach, wanted)
    return reach


#: Receiver groups whose time-domain tails are held at once.
_TAIL_GROUPS = 8


def add_tails(
    out: NDArray[np.complex128],
    room: Room,
    device: Device,
    centres: NDArray[np.float64],
    yaws: NDArray[np.float64],
    head: HeadModel | None,
    f: NDArray[np.float64],
    c: float,
    reach: NDArray[np.float64],
    p_d: NDArray[np.float64],
) -> NDArray[np.complex128]:
    """Add diffuse tails to ``out (n_groups, n_rec, n_d, n_f)`` from each transition on.

    A group is a listener (two ears, the head's diffuse coherence) or, without a head, one point.
    On an FFT grid the tail is folded onto the grid's period (as sampling the spectrum does);
    otherwise its spectrum is summed at ``f`` directly.
    """
    n_g, n_d, n_f = centres.shape[0], reach.shape[1], f.shape[0]
    t60 = decay_times(room, c=c)
    if not np.any(t60 > 0):
        return
    grid = fft_grid(f)
    fs = grid[0] if grid is not None else synthesis_rate(f)
    bins = late_tail.stft_bins(fs)
    driver_cov = diffuse_driver_covariance(device, bins, c)
    receiver_cov = None if head is None else diffuse_ear_covariance(head, bins, c)
    gains = np.empty((n_g, n_d, t60.size))
    for d in range(n_d):
        images = image_sources(room, p_d[d])
        diff = centres[:, None, :] - images.positions[None, :, :]
        dist = np.sqrt(np.einsum("gni,gni->gn", diff, diff))
        gains[:, d] = matching_gains(
            room, dist, reflection_spectra(room, images), reach[:, d], t60, c
        )
    start = reach / c  # (n_g, n_d)
    end = tail_duration(t60)
    if end <= start.max() + 4 * late_tail.FADE_S:
        return  # decayed by TAIL_DECAY_DB before the transition
    for g0 in range(0, n_g, _TAIL_GROUPS):
        sl = slice(g0, g0 + _TAIL_GROUPS)
        tails, offsets = synthesize_tails(
            room,
            centres[sl],
            yaws[sl],
            receiver_cov,
            driver_cov,
            gains[sl],
            start[sl],
            t60,
            fs,
            end,
            c,
        )
        n_taps = tails.shape[-1]
        if grid is not None:
            n_fft = grid[1]
            folded = np.empty(tails.shape[:-1] + (n_fft,), dtype=np.float32)
            for i, offset in enumerate(offsets):  # fold each tail onto the grid's period
                shift = int(offset) % n_fft
                n_seg = -(-(shift + n_taps) // n_fft)
                buf = np.zeros(tails.shape[1:-1] + (n_seg * n_fft,), dtype=np.float32)
                buf[..., shift : shift + n_taps] = tails[i]
                folded[i] = buf.reshape(*buf.shape[:-1], n_seg, n_fft).sum(axis=-2)
            out[sl] += sp_fft.rfft(folded, axis=-1)
        else:
            for i, offset in enumerate(offsets):
                t = (offset + np.arange(n_taps)) / fs
                for lo in range(0, n_f, 256):
                    phasor = np.exp(-2j * np.pi * np.outer(t, f[lo : lo + 256]))
                    out[g0 + i, ..., lo : lo + 256] += tails[i] @ phasor


def synthesis_rate(f: NDArray[np.float64]) -> float:
    """Return the tails' rate off an FFT grid: 48 kHz, or more above 19.2 kHz."""
    return max(48000.0, float(np.ceil(2.5 * f.max() / 1000.0)) * 1000.0)
