r"""Figure 2: crosstalk simulation, the all-pass and delayed low-pass against the relative HRTFs.

A loudspeaker at azimuth :math:`\theta` reaches the far (contralateral) ear, relative to the near
(ipsilateral) one, with :math:`H_{rel}(f) = P_c / P_i` (:func:`design.filters.virtualization.
exact_relative_response`): a copy delayed by the interaural time difference and shadowed at high
frequencies. The virtualizer (docs/architecture.md, step 2,
:func:`design.filters.virtualization.fit_virtualizer`) is
an all-pass :math:`A` on the ipsilateral path and a delayed low-pass (a shelf) :math:`B` on the
contralateral one, fitted so that :math:`B/A \approx H_{rel}` at the virtual angle.

:func:`compute` returns :math:`H_{rel}` of the head at several azimuths on the fit's own grid,
the fitted pair at ``virtual_azimuth_deg`` (:func:`design.filters.virtualization.iir_response`) and
its error re :math:`H_{rel}`, and the delays the figure shows against the textbook interaural time
differences (docs/references.md): the low-frequency phase delay of :math:`H_{rel}` against Kuhn's
:math:`3 (a/c) \sin\theta` and its high-frequency group delay against Woodworth's
:math:`(a/c)(\theta + \sin\theta)`.

Phase delay is :math:`-\arg H / (2\pi f)` with the phase unwrapped from the lowest frequency
(100 Hz, where it is below :math:`\pi`); group delay is :math:`-d\arg H / d\omega` by central
differences on the log grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from numpy.typing import NDArray

from acoustics.geometry import DEFAULT_FS
from acoustics.heads import HeadModel, RigidSphere
from acoustics.validation import as_float_array, as_positive, as_real
from experiments.figures._util import db, freeze, log_freq_axis, panels

__all__ = ["CrosstalkResult", "compute", "plot"]

#: Band over which the high-frequency group delay is averaged (above the head's ka ~ 1 region).
HIGH_BAND_HZ = (4000.0, 8000.0)


@dataclass(frozen=True, eq=False)
class CrosstalkResult:
    r"""Relative ipsi/contra responses of a head over azimuth and the fitted virtualizer.

    Attributes
    ----------
    freqs : (n_freqs,) ndarray
        The virtualizer's log-spaced fit grid, Hz.
    azimuths_deg : (n_az,) ndarray
        Loudspeaker azimuths (listener frame, the left speaker: + = left).
    relative : (n_az, n_freqs) complex ndarray
        :math:`H_{rel} = P_c / P_i` (far ear re near ear) at each azimuth.
    phase_delay_s, group_delay_s : (n_az, n_freqs) ndarray
        Delays of :math:`H_{rel}` in seconds.
    itd_kuhn_s, itd_woodworth_s : (n_az,) ndarray
        Low- and high-frequency interaural time differences of a sphere of the head's radius.
    virtual_azimuth_deg : float
        Where the virtualizer was fitted.
    allpass, lowpass : (n_freqs,) complex ndarray
        The fitted ipsilateral all-pass :math:`A` and contralateral delayed low-pass :math:`B`.
    target : (n_freqs,) complex ndarray
        The virtualizer's own :math:`H_{rel}` at ``virtual_azimuth_deg``.
    error_db, error_us : (n_freqs,) ndarray
        Magnitude (dB) and phase-delay (µs) error of :math:`B/A` re ``target``.
    fit_error : dict
        What :func:`~design.filters.virtualization.fit_virtualizer` reports (``max_db``, ``rms_us``,
        ...).
    delay_s : float
        The fitted contralateral delay :math:`\tau`.
    head_radius : float
        Metres.
    """

    freqs: NDArray[np.float64]
    azimuths_deg: NDArray[np.float64]
    relative: NDArray[np.complex128]
    phase_delay_s: NDArray[np.float64]
    group_delay_s: NDArray[np.float64]
    itd_kuhn_s: NDArray[np.float64]
    itd_woodworth_s: NDArray[np.float64]
    virtual_azimuth_deg: float
    allpass: NDArray[np.complex128]
    lowpass: NDArray[np.complex128]
    target: NDArray[np.complex128]
    error_db: NDArray[np.float64]
    error_us: NDArray[np.float64]
    fit_error: dict[str, Any] = field(default_factory=dict)
    delay_s: float = 0.0
    head_radius: float = 0.0875

    def __post_init__(self) -> None:
        freeze(self)


def compute(
    head: HeadModel | None = None,
    *,
    azimuths_deg: npt.ArrayLike = (10.0, 20.0, 30.0, 45.0, 60.0, 80.0),
    virtual_azimuth_deg: float = 30.0,
    fs: float = DEFAULT_FS,
    n_freqs: int = 200,
    c: float = 343.0,
) -> CrosstalkResult:
    """Relative HRTFs over azimuth and the virtualizer fitted at ``virtual_azimuth_deg``.

    Parameters
    ----------
    head : HeadModel, optional
        The ear model; a rigid sphere of radius 8.75 cm by default.
    azimuths_deg : sequence of float, optional
        Loudspeaker azimuths in (0, 90) degrees.
    virtual_azimuth_deg : float, optional
        Angle of the virtual loudspeaker the virtualizer is fitted to.
    fs : float, optional
        Sampling rate of the filters, Hz.
    n_freqs : int, optional
        Points of the fit grid (100 Hz - 16 kHz, log-spaced), at least 32.
    c : float, optional
        Speed of sound, m/s.

    Returns
    -------
    CrosstalkResult
    """
    from design.filters.virtualization import exact_relative_response, fit_virtualizer, iir_response

    head = RigidSphere() if head is None else head
    if not isinstance(head, HeadModel):
        raise TypeError(f"head must be a HeadModel, got {type(head).__name__}")
    az = np.atleast_1d(as_float_array(azimuths_deg, "azimuths_deg"))
    if az.ndim != 1 or np.any((az <= 0) | (az >= 90)):
        raise ValueError(f"azimuths_deg must be a 1-D sequence in (0, 90) degrees, got {az}")
    virtual = as_real(virtual_azimuth_deg, "virtual_azimuth_deg")
    fs, c = as_positive(fs, "fs"), as_positive(c, "c")
    v = fit_virtualizer(head, azimuth_deg=virtual, fs=fs, n_freqs=n_freqs, c=c)
    f = v.freqs
    relative = np.stack(
        [exact_relative_response(head, f, azimuth_deg=a, fs=fs, c=c).W[1, 0] for a in az]
    )
    phase = np.unwrap(np.angle(relative), axis=-1)
    w = 2.0 * np.pi * f
    pair = iir_response(v, f).W
    a, b = pair[0, 0], pair[1, 0]
    ratio = (b / a) / v.h_rel
    theta = np.deg2rad(az)
    radius = float(head.radius)
    return CrosstalkResult(
        freqs=f,
        azimuths_deg=az,
        relative=relative,
        phase_delay_s=-phase / w,
        group_delay_s=-np.gradient(phase, w, axis=-1),
        itd_kuhn_s=3.0 * radius / c * np.sin(theta),
        itd_woodworth_s=radius / c * (theta + np.sin(theta)),
        virtual_azimuth_deg=virtual,
        allpass=a,
        lowpass=b,
        target=np.asarray(v.h_rel),
        error_db=db(ratio),
        error_us=-np.angle(ratio) / w * 1e6,
        fit_error=dict(v.fit_error),
        delay_s=float(v.delay_s),
        head_radius=radius,
    )


def plot(result: CrosstalkResult, ax: Sequence[Axes] | None = None) -> list[Axes]:
    """Draw magnitude and phase delay of :math:`H_{rel}` over azimuth with the fit, and its error.

    Parameters
    ----------
    result : CrosstalkResult
        From :func:`compute`.
    ax : sequence of 3 Axes, optional
        Panels (magnitude, phase delay, fit error); a new 1 x 3 figure's when omitted.

    Returns
    -------
    list of Axes
        The three panels; frequency on a log axis in Hz, levels in dB re the ipsilateral ear,
        delays in µs.
    """
    import matplotlib as mpl

    if not isinstance(result, CrosstalkResult):
        raise TypeError(f"result must be a CrosstalkResult, got {type(result).__name__}")
    axes = panels(ax, 3, figsize=(16.0, 4.6), name="figure 2")
    f = result.freqs
    colours = mpl.colormaps["viridis"](np.linspace(0.0, 0.9, result.azimuths_deg.size))
    for k, az in enumerate(result.azimuths_deg):
        label = f"H_rel at {az:g}°"
        axes[0].plot(f, db(result.relative[k]), color=colours[k], lw=1.2, label=label)
        axes[1].plot(f, result.phase_delay_s[k] * 1e6, color=colours[k], lw=1.2, label=label)
        axes[1].plot(f[0], result.itd_kuhn_s[k] * 1e6, "<", color=colours[k], ms=7)
        axes[1].plot(f[-1], result.itd_woodworth_s[k] * 1e6, ">", color=colours[k], ms=7)
    v_az = result.virtual_azimuth_deg
    model = result.lowpass / result.allpass
    axes[0].plot(f, db(result.lowpass), "k--", lw=2, label=f"B: delayed low-pass ({v_az:g}°)")
    axes[0].plot(f, db(result.allpass), "k:", lw=2, label="A: all-pass (|A| = 1)")
    phase = -np.unwrap(np.angle(model)) / (2 * np.pi * f)
    axes[1].plot(f, phase * 1e6, "k--", lw=2, label=f"B/A ({v_az:g}°)")
    axes[1].plot([], [], "<", color="0.4", label="Kuhn 3(a/c) sin θ (low f)")
    axes[1].plot([], [], ">", color="0.4", label="Woodworth (a/c)(θ + sin θ) (high f)")
    axes[2].plot(f, result.error_db, "C0", lw=1.5, label="magnitude error (dB)")
    twin = axes[2].twinx()
    twin.plot(f, result.error_us, "C3", lw=1.5, label="phase-delay error (µs)")
    err = result.fit_error
    axes[2].plot([], [], "C3", label="phase-delay error (µs, right axis)")
    axes[2].set_title(
        f"fit error of B/A at {v_az:g}°: max {err['max_db']:.2f} dB, rms {err['rms_us']:.1f} µs",
        fontsize="medium",
    )
    axes[0].set(ylabel="contra re ipsi level (dB)", ylim=(-30, 5),
                title="relative response P_c/P_i over azimuth, magnitude")  # fmt: skip
    axes[1].set(ylabel="phase delay (µs)", ylim=(0, 1150),
                title=f"phase delay (ITD); fitted τ = {result.delay_s * 1e6:.0f} µs")  # fmt: skip
    axes[2].set(ylabel="B/A re H_rel (dB)", ylim=(-2, 2))
    twin.set(ylabel="B/A re H_rel (µs)", ylim=(-40, 40))
    for a in axes:
        log_freq_axis(a, f[0], f[-1])
    axes[0].legend(fontsize="x-small", ncol=2, loc="lower left")
    axes[1].legend(fontsize="x-small", ncol=3, loc="upper center")
    axes[2].legend(fontsize="small", loc="lower left")
    return axes
