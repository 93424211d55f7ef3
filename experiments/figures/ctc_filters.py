r"""Figure 3: crosstalk-cancellation filters, their RTF form and the cancelled contralateral path.

The plant is the driver-to-ear transfer matrix of the default scene
(:func:`acoustics.scene.ear_transfer`) restricted to two drivers, by default the smart speaker's
side-firing ``"left"`` and ``"right"``, with the flight time to the nearer driver removed (as
:func:`design.chain.design_chain` does: it is latency, not something the filters should
reproduce). The design is that of docs/architecture.md (step 3):
:func:`design.filters.ctc.target_cancellation`, unit (delayed)
response at the ipsilateral ear and the contralateral level held to the target curve
:func:`design.chain.midrange_target_db` (20 dB from 500 Hz to 4 kHz, tapering to 0 dB at
125 Hz and 12 kHz) at minimum effort, so that the separation follows the curve rather than being
pushed to its maximum. The RTF form (:func:`design.filters.fir.to_rtf`) is one channel filter per
input (the reference driver's) and each driver's ratio to it, :math:`W_{d,i} = R_{d,i} C_i`.

Levels: filters in dB re 1 (unit gain from input to driver) referred to the plant's scale
:math:`1/\max|H|` (the gain one driver needs to put 1 Pa at the nearer ear), so that 0 dB means
"as loud as playing the input on one driver"; ear responses in dB re the ipsilateral ear.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from acoustics.geometry import DEFAULT_FS
from acoustics.scene import Listener, Scene, default_scene, ear_transfer
from acoustics.validation import as_positive
from experiments.figures._util import db, freeze, log_freq_axis, panels

__all__ = ["CTCFiltersResult", "compute", "plot"]

#: Band where the target is at its full depth.
MIDRANGE_HZ = (500.0, 4000.0)


@dataclass(frozen=True, eq=False)
class CTCFiltersResult:
    """A two-driver CTC design, its RTF form and the ear responses it gives.

    Attributes
    ----------
    freqs : (n_freqs,) ndarray
        ``np.fft.rfftfreq(n_fft, 1 / fs)``, Hz.
    drivers : tuple of str
        The two drivers, in filter order.
    plant : (2, 2, n_freqs) complex ndarray
        ``H[ear, driver]`` with the flight time removed, Pa per unit source.
    filters : (2, 2, n_freqs) complex ndarray
        ``W[driver, input]``, inputs (left, right).
    channel : (2, n_freqs) complex ndarray
        RTF channel filters, ``W[reference, input]``.
    ratios : (2, 2, n_freqs) complex ndarray
        RTF ratios ``W[d, i] / W[reference, i]`` (floored where the channel vanishes).
    reference_driver : str
        The RTF reference.
    response : (2, 2, n_freqs) complex ndarray
        Ear responses ``(H W)[ear, input]`` of the design.
    separation_db : (2, n_freqs) ndarray
        Ipsilateral over contralateral level per input, dB.
    plain_separation_db : (2, n_freqs) ndarray
        The same for each driver played alone (no CTC): near over far ear.
    target_db : (n_freqs,) ndarray
        The target separation curve.
    delay_samples : float
        Modelling delay of the design.
    fs : float
        Sampling rate, Hz.
    """

    freqs: NDArray[np.float64]
    drivers: tuple[str, str]
    plant: NDArray[np.complex128]
    filters: NDArray[np.complex128]
    channel: NDArray[np.complex128]
    ratios: NDArray[np.complex128]
    reference_driver: str
    response: NDArray[np.complex128]
    separation_db: NDArray[np.float64]
    plain_separation_db: NDArray[np.float64]
    target_db: NDArray[np.float64]
    delay_samples: float
    fs: float

    def __post_init__(self) -> None:
        freeze(self)


def compute(
    scene: Scene | None = None,
    *,
    drivers: tuple[str, str] = ("left", "right"),
    reference_driver: str = "left",
    fs: float = DEFAULT_FS,
    n_fft: int = 1024,
) -> CTCFiltersResult:
    """Design the two-driver CTC of a scene and split it into RTF form.

    Parameters
    ----------
    scene : Scene, optional
        One listener; :func:`acoustics.scene.default_scene` by default.
    drivers : (str, str), optional
        The two drivers, the first on the listener's left.
    reference_driver : str, optional
        The RTF reference, one of ``drivers``.
    fs : float, optional
        Sampling rate, Hz.
    n_fft : int, optional
        FFT length of the design grid (even, at least 64); the modelling delay is
        ``n_fft // 4`` samples.

    Returns
    -------
    CTCFiltersResult
    """
    from design.chain import midrange_target_db
    from design.filters.ctc import separation_db, target_cancellation
    from design.filters.fir import to_rtf

    scene = default_scene() if scene is None else scene
    if not isinstance(scene, Scene) or not isinstance(scene.listener, Listener):
        raise TypeError(f"scene must be a Scene with one Listener, got {scene!r:.80}")
    names = tuple(drivers)
    if len(names) != 2 or len(set(names)) != 2 or set(names) - set(scene.device.driver_names):
        raise ValueError(
            f"drivers must name two distinct drivers of {scene.device.driver_names}, got {drivers}"
        )
    if reference_driver not in names:
        raise ValueError(f"reference_driver must be one of {names}, got {reference_driver!r}")
    fs = as_positive(fs, "fs")
    if isinstance(n_fft, bool) or not isinstance(n_fft, int) or n_fft < 64 or n_fft % 2:
        raise ValueError(f"n_fft must be an even integer >= 64, got {n_fft!r}")
    freqs = np.fft.rfftfreq(n_fft, 1.0 / fs)
    tm = ear_transfer(scene, freqs).select(sources=list(names))
    flight = np.min(np.linalg.norm(scene.driver_positions - scene.listener.position, axis=1))
    tm = dataclasses.replace(tm, H=tm.H * np.exp(2j * np.pi * freqs * flight / tm.c))
    delay = n_fft // 4
    design = target_cancellation(tm, midrange_target_db, delay_samples=delay, fs=fs)
    rtf = to_rtf(design.filters, reference_driver=reference_driver)
    plain = separation_db(tm.H)  # each driver alone: ipsilateral = its own side's ear
    return CTCFiltersResult(
        freqs=freqs,
        drivers=names,
        plant=tm.H,
        filters=design.filters.W,
        channel=rtf.channel,
        ratios=rtf.ratios,
        reference_driver=reference_driver,
        response=design.response,
        separation_db=design.separation_db,
        plain_separation_db=plain,
        target_db=np.asarray(design.target_db, dtype=float),
        delay_samples=float(delay),
        fs=fs,
    )


def plot(result: CTCFiltersResult, ax: Sequence[Axes] | None = None) -> list[Axes]:
    """Draw the filters of the left input, their RTF ratio, and the ear responses.

    Parameters
    ----------
    result : CTCFiltersResult
        From :func:`compute`.
    ax : sequence of 3 Axes, optional
        Panels (filters, RTF ratio, contralateral response); a new 1 x 3 figure's if omitted.

    Returns
    -------
    list of Axes
    """
    if not isinstance(result, CTCFiltersResult):
        raise TypeError(f"result must be a CTCFiltersResult, got {type(result).__name__}")
    axes = panels(ax, 3, figsize=(16.0, 4.6), name="figure 3")
    f = result.freqs[1:]
    scale = np.max(np.abs(result.plant), axis=(0, 1))[1:]  # 1 / scale: one driver, 1 Pa
    ref = result.drivers.index(result.reference_driver)
    other = 1 - ref
    for d, name in enumerate(result.drivers):
        axes[0].plot(f, db(result.filters[d, 0, 1:] * scale), f"C{d}", lw=1.8,
                     label=f"{name} driver <- left input")  # fmt: skip
        axes[0].plot(f, db(result.filters[1 - d, 1, 1:] * scale), f"C{d}", ls=(0, (1, 3)), lw=2.5,
                     label=f"{result.drivers[1 - d]} driver <- right input (mirror)")  # fmt: skip
    axes[0].set(ylabel="filter gain (dB re one driver alone)", ylim=(-30, 30),
                title="the two CTC filters W (target-cancellation design)")  # fmt: skip
    ratio = result.ratios[other, :, 1:]
    phase = np.unwrap(np.angle(ratio), axis=-1)
    axes[1].plot(f, db(ratio[0]), "C1", lw=1.5, label="|R|, left input")
    axes[1].plot(f, db(ratio[1]), "C1--", lw=1.5, label="|R|, right input")
    twin = axes[1].twinx()
    twin.plot(f, phase[0] / np.pi, "C4", lw=1.0, label="phase of R, left input")
    twin.set(ylabel="phase of R (π rad)")
    axes[1].plot([], [], "C4", lw=1.0, label="phase, left input (right axis)")
    axes[1].set(
        ylabel="ratio magnitude (dB re 1)",
        ylim=(-10, 10),
        title=f"RTF form: R = W_{result.drivers[other]} / W_{result.reference_driver}",
    )
    for i, (inp, colour) in enumerate((("left", "C0"), ("right", "C3"))):
        axes[2].plot(f, -result.plain_separation_db[i, 1:], colour + ":", lw=1.5,
                     label=f"{result.drivers[i]} driver alone (no CTC)")  # fmt: skip
        axes[2].plot(f, -result.separation_db[i, 1:], colour, lw=2.5 if i == 0 else 1.2,
                     label=f"{inp} input with CTC")  # fmt: skip
    axes[2].plot(f, -result.target_db[1:], "k--", lw=1.2, label="target -T(f)")
    axes[2].axvspan(*MIDRANGE_HZ, color="0.92", zorder=0)
    axes[2].set(ylabel="contralateral re ipsilateral ear (dB)", ylim=(-30, 5),
                title="cancelled contralateral response")  # fmt: skip
    for a in axes:
        log_freq_axis(a, 50.0, f[-1])
    axes[0].legend(fontsize="x-small", loc="upper right")
    axes[1].legend(fontsize="x-small", loc="lower left")
    axes[2].legend(fontsize="x-small", loc="lower left")
    return axes
