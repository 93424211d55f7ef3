"""Listening to a design: the ear signals of a chain and of the hi-fi reference it imitates."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.scene import (
    Listener,
    Scene,
    impulse_response_length,
    impulse_responses,
    reference_scene,
)
from design.chain import Chain, render
from design.render.audio import as_audio
from design.render.convolution import convolve

__all__ = ["binaural_preview"]


def binaural_preview(
    chain: Chain,
    scene: Scene,
    stereo: npt.ArrayLike,
    fs: float,
    *,
    reference: bool = True,
    n_taps: int | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Ear signals of the scene's listener for a chain, and for a reference stereo pair.

    Parameters
    ----------
    chain : Chain
        Designed for ``scene.device``.
    scene : Scene
        The (true) scene: a single listener, free field or a room.
    stereo : (2, n_samples) array_like
        The programme.
    fs : float
        Its sampling rate (the chain's).
    reference : bool, optional
        Also render the reference: a stereo pair at +-30 deg seen from the listener, at the
        device's distance, in the same room, fed left and right directly.
    n_taps : int, optional
        Length of the driver-to-ear impulse responses; by default long enough for the room.

    Returns
    -------
    dict
        ``"chain"``: ``(2, n)`` left and right ear signals; ``"reference"`` likewise when asked.
    """
    if not isinstance(scene.listener, Listener):
        raise ValueError("scene must have a single Listener for a binaural preview")
    feeds = render(chain, stereo, fs)
    taps = n_taps if n_taps is not None else impulse_response_length(scene, fs)
    irs = impulse_responses(scene, fs, taps)  # (2, n_drivers, taps)
    out = {"chain": convolve(irs, feeds)}
    if reference:
        pair_scene = reference_scene(scene)
        pair_irs = impulse_responses(pair_scene, fs, taps)
        x = as_audio(stereo, "stereo", channels=2)
        out["reference"] = convolve(pair_irs, x)
    return out
