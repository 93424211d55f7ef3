r"""Figure 7: the chain's signal flow and what each path delivers at the listener.

The chain (:func:`design.chain.design_chain` on :func:`acoustics.scene.default_scene`) is

.. math:: y_d = \sum_{p \in \{L, R, C\}} h_{d,p} * x_p, \qquad (x_L, x_R, x_C) = \mathrm{upmix}(s):

the upmix splits stereo into left, right and centre; L and R go through virtualization (the
all-pass / delayed low-pass of :mod:`design.filters.virtualization`) and crosstalk cancellation
(:mod:`design.filters.ctc`), C through the null beam (:mod:`design.filters.beamforming`); each
path's FIR filters already carry the delays that align them at the listener
(``chain.latency_samples``: modelling delay plus flight time). :func:`compute` gives each path's ear
responses, ``H W`` with ``H`` the scene's driver-to-ear transfer
(:func:`acoustics.scene.ear_transfer`) and ``W`` the DTFT of the chain's taps
(:func:`design.filters.fir.frequency_response`), their impulse responses, and, for comparison, a
real loudspeaker pair at +-30 deg at the listener's distance
(:func:`acoustics.sources.presets.stereo_pair`) in the same scene.

The left path should reach the ears as the +30 deg loudspeaker does: the same contralateral
re ipsilateral response (level and interaural delay) where the CTC target is at full depth
(500 Hz - 4 kHz); the centre should arrive at both ears alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import FancyBboxPatch
from numpy.typing import NDArray

from acoustics.geometry import DEFAULT_FS
from acoustics.scene import Listener, Scene, default_scene, ear_transfer
from acoustics.validation import as_positive
from experiments.figures._util import db, freeze, log_freq_axis, panels

__all__ = ["SignalFlowResult", "compute", "plot"]

#: Band where the CTC target is at full depth.
MIDRANGE_HZ = (500.0, 4000.0)


@dataclass(frozen=True, eq=False)
class SignalFlowResult:
    """Per-path ear responses of the designed chain and of a +-30 deg loudspeaker pair.

    Attributes
    ----------
    fs : float
        Hz.
    freqs : (n_freqs,) ndarray
        ``np.fft.rfftfreq(n_fft, 1 / fs)``.
    paths : tuple of str
        ``("left", "right", "centre")``.
    drivers : tuple of str
        The device's drivers.
    response : (2, 3, n_freqs) complex ndarray
        ``response[ear, path]``, Pa per unit input.
    impulse : (2, 3, n_fft) ndarray
        Their impulse responses.
    peaks : (2, 3) int ndarray
        Sample of each impulse response's largest magnitude.
    latency_samples : float
        The chain's designed latency.
    pair : (2, 2, n_freqs) complex ndarray
        ``pair[ear, speaker]`` of the +-30 deg pair (speakers left, right), Pa per unit input.
    virtual : (n_freqs,) complex ndarray
        The virtualizer's :math:`B/A` (contralateral re ipsilateral of the virtual speaker).
    distance_m : float
        Listener to device.
    """

    fs: float
    freqs: NDArray[np.float64]
    paths: tuple[str, ...]
    drivers: tuple[str, ...]
    response: NDArray[np.complex128]
    impulse: NDArray[np.float64]
    peaks: NDArray[np.intp]
    latency_samples: float
    pair: NDArray[np.complex128]
    virtual: NDArray[np.complex128]
    distance_m: float

    def __post_init__(self) -> None:
        freeze(self)


def compute(
    scene: Scene | None = None, *, chain=None, fs: float = DEFAULT_FS, n_fft: int = 4096
) -> SignalFlowResult:
    """Each path's response at the listener's ears, and the reference pair's.

    Parameters
    ----------
    scene : Scene, optional
        One listener in free field; :func:`acoustics.scene.default_scene` by default.
    chain : Chain, optional
        Designed for ``scene`` (:func:`design.chain.design_chain` by default).
    fs : float, optional
        Hz.
    n_fft : int, optional
        FFT length of the ear responses (longer than the filters plus the flight time).

    Returns
    -------
    SignalFlowResult
    """
    from acoustics.sources.presets import stereo_pair
    from design.chain import PATHS, Chain, design_chain, filter_response
    from design.filters.virtualization import iir_response

    scene = default_scene() if scene is None else scene
    if not isinstance(scene, Scene) or not isinstance(scene.listener, Listener):
        raise TypeError(f"scene must be a Scene with one Listener, got {scene!r:.80}")
    fs = as_positive(fs, "fs")
    chain = design_chain(scene, fs=fs) if chain is None else chain
    if not isinstance(chain, Chain) or chain.fs != fs:
        raise TypeError(f"chain must be a Chain at fs = {fs:g} Hz, got {chain!r:.80}")
    if isinstance(n_fft, bool) or not isinstance(n_fft, int) or n_fft <= chain.latency_samples:
        raise ValueError(
            f"n_fft must be an integer above the chain's latency {chain.latency_samples:.0f}, "
            f"got {n_fft!r}"
        )
    freqs = np.fft.rfftfreq(n_fft, 1.0 / fs)
    response = ear_transfer(scene, freqs).apply(filter_response(chain, freqs))
    impulse = np.fft.irfft(response, n_fft, axis=-1)
    lis = scene.listener
    offset = lis.position - scene.device_position
    distance = float(np.linalg.norm(offset))
    yaw = float(np.rad2deg(np.arctan2(offset[1], offset[0])))
    pair_scene = dataclasses.replace(
        scene, device=stereo_pair(listener_distance=distance), device_yaw_deg=yaw
    )
    if chain.virtual is None:
        raise TypeError(f"chain must simulate a virtual pair (design_chain), got {chain.name!r}")
    virtualizer = chain.virtual.virtualizer
    v = iir_response(virtualizer, freqs).W
    return SignalFlowResult(
        fs=fs,
        freqs=freqs,
        paths=PATHS,
        drivers=tuple(chain.drivers),
        response=response,
        impulse=impulse,
        peaks=np.argmax(np.abs(impulse), axis=-1),
        latency_samples=float(chain.latency_samples),
        pair=ear_transfer(pair_scene, freqs).H,
        virtual=v[1, 0] / v[0, 0],
        distance_m=distance,
    )


def _box(ax: Axes, x: float, y: float, text: str, colour: str, width: float = 0.16) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - 0.05),
            width,
            0.1,
            boxstyle="round,pad=0.01",
            fc=colour,
            ec="0.3",
            alpha=0.9,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize="small")


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], text: str = "") -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "color": "0.3"})
    if text:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.025, text, ha="center",
                fontsize="x-small", color="0.3")  # fmt: skip


def _diagram(ax: Axes, result: SignalFlowResult) -> None:
    """Draw the chain as blocks: upmix, (virtualizer, CTC) / beam, delays, sum to drivers."""
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.axis("off")
    lat_ms = result.latency_samples / result.fs * 1e3
    _box(ax, 0.08, 0.5, "stereo\nL, R", "0.95", 0.12)
    _box(ax, 0.27, 0.5, "upmix\n(side-decorr.)", "#cfe2f3")
    rows = {"left": 0.8, "right": 0.5, "centre": 0.2}
    for path, y in rows.items():
        _arrow(ax, (0.35, 0.5), (0.42, y))
        if path == "centre":
            _box(ax, 0.52, y, "null beam\n(nulls ±90°)", "#d9ead3")
        else:
            _box(ax, 0.52, y, f"virtualizer {'+' if path == 'left' else '-'}30°\n+ CTC",
                 "#fce5cd")  # fmt: skip
        _arrow(ax, (0.6, y), (0.68, y), path[0].upper())
        _box(ax, 0.75, y, "delay\n(aligned)", "0.9", 0.12)
        _arrow(ax, (0.81, y), (0.88, 0.5))
    _box(ax, 0.93, 0.5, f"Σ per\ndriver\n({len(result.drivers)})", "0.95", 0.1)
    _arrow(ax, (0.14, 0.5), (0.19, 0.5))
    ax.text(0.5, 0.02, f"every path arrives at the listener {lat_ms:.2f} ms after the input "
            f"({result.latency_samples:.1f} samples)", ha="center", fontsize="small")  # fmt: skip
    ax.set_title("signal flow of the chain")


def plot(result: SignalFlowResult, ax: Sequence[Axes] | None = None) -> list[Axes]:
    """Draw the block diagram, the paths' ear responses, their relative response and alignment.

    Parameters
    ----------
    result : SignalFlowResult
        From :func:`compute`.
    ax : sequence of 4 Axes, optional
        Panels (diagram, ear levels, contra re ipsi, impulse responses); a new 2 x 2 figure's
        when omitted.

    Returns
    -------
    list of Axes
    """
    if not isinstance(result, SignalFlowResult):
        raise TypeError(f"result must be a SignalFlowResult, got {type(result).__name__}")
    if ax is None:
        _, grid = plt.subplots(2, 2, figsize=(15.0, 9.0), layout="constrained")
        ax = list(grid.ravel())
    axes = panels(ax, 4, figsize=(15.0, 9.0), name="figure 7")
    _diagram(axes[0], result)
    f, r = result.freqs[1:], result.response[:, :, 1:]
    pair = result.pair[:, :, 1:]
    axes[1].plot(f, db(r[0, 0]), "C0", lw=1.5, label="left path -> left ear")
    axes[1].plot(f, db(r[1, 0]), "C0--", lw=1.5, label="left path -> right ear")
    axes[1].plot(f, db(r[0, 2]), "C2", lw=2.5, label="centre path -> left ear")
    axes[1].plot(f, db(r[1, 2]), "C3:", lw=1.5, label="centre path -> right ear")
    axes[1].plot(f, db(pair[0, 0]), "k", lw=0.8, alpha=0.6, label="+30° loudspeaker -> left ear")
    axes[1].plot(f, db(pair[1, 0]), "k--", lw=0.8, alpha=0.6, label="+30° loudspeaker -> right ear")
    axes[1].axhline(db(1 / (4 * np.pi * result.distance_m)), color="0.4", lw=0.8, ls=":",
                    label=f"point source at {result.distance_m:g} m")  # fmt: skip
    log_freq_axis(axes[1], 50.0, 20000.0)
    axes[1].set(ylabel="ear response (dB re 1 Pa per unit input)", ylim=(-55, -10),
                title="each path at the listener's ears")  # fmt: skip
    axes[1].legend(fontsize="x-small", loc="lower left", ncol=2)

    rel = r[1, 0] / r[0, 0]
    rel_pair = pair[1, 0] / pair[0, 0]
    axes[2].plot(f, db(rel), "C0", lw=2, label="left path (chain)")
    axes[2].plot(f, db(rel_pair), "k", lw=1, label="+30° loudspeaker")
    axes[2].plot(f, db(result.virtual[1:]), "C1--", lw=1.2, label="virtualizer B/A (target)")
    axes[2].axvspan(*MIDRANGE_HZ, color="0.92", zorder=0, label="CTC target at full depth")
    twin = axes[2].twinx()
    w = 2 * np.pi * f
    twin.plot(f, -np.unwrap(np.angle(rel)) / w * 1e6, "C0", lw=1, alpha=0.5)
    twin.plot(f, -np.unwrap(np.angle(rel_pair)) / w * 1e6, "k", lw=0.8, alpha=0.5)
    twin.set(ylabel="interaural phase delay (µs, thin lines)", ylim=(-400, 800))
    log_freq_axis(axes[2], 50.0, 20000.0)
    axes[2].set(
        ylabel="right ear re left ear (dB, thick lines)",
        ylim=(-30, 10),
        title="left path: contralateral re ipsilateral, like a +30° loudspeaker?",
    )
    axes[2].legend(fontsize="x-small", loc="lower left")

    lat = result.latency_samples
    t = (np.arange(result.impulse.shape[-1]) - lat) / result.fs * 1e3
    styles = (((0, 0), "C0", "left path -> left ear"), ((1, 1), "C3", "right path -> right ear"),
              ((0, 2), "C2", "centre path -> left ear"),
              ((1, 2), "k", "centre path -> right ear"))  # fmt: skip
    for (e, p), colour, label in styles:
        h = result.impulse[e, p]
        axes[3].plot(t, h / np.max(np.abs(h)), color=colour, lw=1.2,
                     label=f"{label}: peak {result.peaks[e, p] - lat:+.1f} samples")  # fmt: skip
    axes[3].axvline(0.0, color="k", lw=0.8)
    axes[3].set(xlim=(-1.0, 1.5), xlabel="time re the chain's latency (ms)",
                ylabel="impulse response (re its peak)",
                title="alignment: every path peaks at the designed latency")  # fmt: skip
    axes[3].grid(True, alpha=0.3)
    axes[3].legend(fontsize="x-small", loc="upper right")
    return axes
