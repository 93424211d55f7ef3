r"""Figure 5: the centre beam over frequency and azimuth, matrix mixing against the null beam.

Far-field responses of the smart speaker's drivers over azimuth (:func:`acoustics.scene.
azimuth_transfer`, device frame: 0 deg on-axis, +90 deg the device's left) weighted by

* matrix mixing (:func:`design.filters.beamforming.matrix_mixing`): the same signal to every driver
with
  equal gains, the baseline;
* the null beam (:func:`design.filters.beamforming.null_beam`, docs/architecture.md, step 4): unit
on-axis response,
  nulls at +-90 deg (towards the side walls) at least ``null_depth_db`` down, the main lobe
  within 3 dB over +-45 deg, least power radiated over the sphere
  (:func:`acoustics.freefield.sphere_transfer`), white-noise gain at least -10 dB. It is drawn
  from its RTF form (:func:`design.filters.fir.to_rtf` with the tweeter as reference, rebuilt by
  :func:`design.filters.fir.from_rtf`): one channel filter and the drivers' ratios to it.

Metrics per frequency (:func:`design.filters.beamforming.beam_metrics`): null depth (the louder of
+-90 deg re on-axis), directivity index (re an omnidirectional source) and white-noise gain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from numpy.typing import NDArray

from acoustics.geometry import DEFAULT_FS
from acoustics.sources import Device
from acoustics.transfer import TransferMatrix
from acoustics.validation import as_float_array, as_positive
from experiments.figures._util import freeze, log_freq_axis, panels

__all__ = ["BeamsResult", "compute", "plot", "BEAMS"]

#: The two centre beams, in result order.
BEAMS: tuple[str, str] = ("matrix mixing", "null beam (RTF form)")


@dataclass(frozen=True, eq=False)
class BeamsResult:
    """Weights, patterns and metrics of matrix mixing and of the null beam.

    Attributes
    ----------
    tm : TransferMatrix
        Azimuth transfer matrix ``(n_az, n_drivers, n_freqs)`` of the device.
    freqs : (n_freqs,) ndarray
        Hz.
    azimuths_deg : (n_az,) ndarray
        Device frame.
    weights : (2, n_drivers, n_freqs) complex ndarray
        Per beam (:data:`BEAMS`); the null beam's rebuilt from its RTF form.
    rtf_channel : (n_freqs,) complex ndarray
        The null beam's channel filter (the reference driver's weight).
    rtf_ratios : (n_drivers, n_freqs) complex ndarray
        The drivers' weights re the reference's.
    reference_driver : str
        The RTF reference.
    pattern_db : (2, n_az, n_freqs) ndarray
        Level re on-axis per beam.
    null_depth_db, directivity_index_db, white_noise_gain_db : (2, n_freqs) ndarray
        :class:`~design.filters.beamforming.BeamMetrics` per beam.
    null_depth_target_db : float
        What the null beam asked for at +-90 deg.
    """

    tm: TransferMatrix
    freqs: NDArray[np.float64]
    azimuths_deg: NDArray[np.float64]
    weights: NDArray[np.complex128]
    rtf_channel: NDArray[np.complex128]
    rtf_ratios: NDArray[np.complex128]
    reference_driver: str
    pattern_db: NDArray[np.float64]
    null_depth_db: NDArray[np.float64]
    directivity_index_db: NDArray[np.float64]
    white_noise_gain_db: NDArray[np.float64]
    null_depth_target_db: float

    def __post_init__(self) -> None:
        freeze(self)


def compute(
    device: Device | None = None,
    *,
    freqs: npt.ArrayLike | None = None,
    azimuth_step_deg: float = 5.0,
    null_depth_db: float = 20.0,
    reference_driver: str = "tweeter",
    fs: float = DEFAULT_FS,
) -> BeamsResult:
    """Design the null beam and matrix mixing of a device and measure both.

    Parameters
    ----------
    device : Device, optional
        :func:`acoustics.sources.presets.smart_speaker` by default.
    freqs : (n_freqs,) array_like, optional
        Hz; 25 log-spaced points from 500 Hz to 4 kHz by default (the midrange where the beam
        can hold its nulls).
    azimuth_step_deg : float, optional
        Azimuth grid step, a divisor of 90.
    null_depth_db : float, optional
        Null depth the null beam must reach at +-90 deg.
    reference_driver : str, optional
        The RTF reference driver.
    fs : float, optional
        Sampling rate of the filters, Hz.

    Returns
    -------
    BeamsResult
    """
    from acoustics.freefield import sphere_transfer
    from acoustics.scene import azimuth_transfer
    from acoustics.sources.presets import smart_speaker
    from design.filters.beamforming import beam_metrics, beam_response, matrix_mixing, null_beam
    from design.filters.fir import from_rtf, to_rtf

    device = smart_speaker() if device is None else device
    if not isinstance(device, Device):
        raise TypeError(f"device must be a Device, got {type(device).__name__}")
    f = np.geomspace(500.0, 4000.0, 25) if freqs is None else as_float_array(freqs, "freqs")
    if f.ndim != 1 or f.size < 2 or np.any(f <= 0) or np.any(np.diff(f) <= 0):
        raise ValueError(f"freqs must be positive and strictly increasing, got {f!r:.80}")
    step = as_positive(azimuth_step_deg, "azimuth_step_deg")
    if abs(90.0 / step - round(90.0 / step)) > 1e-9:
        raise ValueError(f"azimuth_step_deg must divide 90, got {step:g}")
    if reference_driver not in device.driver_names:
        raise ValueError(
            f"reference_driver must be one of {device.driver_names}, got {reference_driver!r}"
        )
    az = np.arange(-180.0, 180.0, step)
    tm = azimuth_transfer(device, az, f)
    sphere = sphere_transfer(device, f)
    mixing = matrix_mixing(tm, fs=fs)
    beam = null_beam(tm, null_depth_db=null_depth_db, sphere=sphere, fs=fs)
    rtf = to_rtf(beam, reference_driver=reference_driver)
    rebuilt = from_rtf(rtf)
    weights = np.stack([mixing.W[:, 0], rebuilt.W[:, 0]])
    on_axis = int(np.argmin(np.abs(az)))
    patterns, metrics = [], []
    for w in weights:
        y = np.abs(beam_response(tm, w))
        with np.errstate(divide="ignore"):
            patterns.append(20.0 * np.log10(y / y[on_axis]))
        metrics.append(beam_metrics(tm, w, sphere=sphere))
    return BeamsResult(
        tm=tm,
        freqs=f,
        azimuths_deg=az,
        weights=weights,
        rtf_channel=rtf.channel[0],
        rtf_ratios=rtf.ratios[:, 0],
        reference_driver=reference_driver,
        pattern_db=np.stack(patterns),
        null_depth_db=np.stack([m.null_depth_db for m in metrics]),
        directivity_index_db=np.stack([m.directivity_index_db for m in metrics]),
        white_noise_gain_db=np.stack([m.white_noise_gain_db for m in metrics]),
        null_depth_target_db=float(null_depth_db),
    )


def plot(result: BeamsResult, ax: Sequence[Axes] | None = None) -> list[Axes]:
    """Draw both beam maps (azimuth x frequency) and their metrics over frequency.

    Parameters
    ----------
    result : BeamsResult
        From :func:`compute`.
    ax : sequence of 3 Axes, optional
        Panels (matrix mixing map, null beam map, metrics); a new 1 x 3 figure's if omitted.
        Each map gets a colorbar beside it.

    Returns
    -------
    list of Axes
    """
    from design.plot import plot_beam_map

    if not isinstance(result, BeamsResult):
        raise TypeError(f"result must be a BeamsResult, got {type(result).__name__}")
    axes = panels(ax, 3, figsize=(18.0, 4.8), name="figure 5",
                  gridspec_kw={"width_ratios": [1.0, 1.0, 1.1]})  # fmt: skip
    for k, name in enumerate(BEAMS):
        plot_beam_map(result.tm, result.weights[k], ax=axes[k], db_range=40.0)
        for mesh in axes[k].collections:
            mesh.set_clim(-40.0, 3.0)  # one scale for both maps
        for side in (-90.0, 90.0):
            axes[k].axvline(side, color="w", lw=0.8, ls="--")
        for text in axes[k].texts:  # plot_level_map names weights "weighted sum": name the beam
            text.set_text(name)
        ticks = [t for t in (500, 1000, 2000, 4000) if result.freqs[0] <= t <= result.freqs[-1]]
        axes[k].set_yticks(ticks, [f"{t / 1e3:g}k" if t >= 1e3 else f"{t:g}" for t in ticks])
        axes[k].yaxis.set_minor_formatter(plt.NullFormatter())
        axes[k].set_title(name)
    f = result.freqs
    for k, (name, colour) in enumerate(zip(BEAMS, ("C1", "C0"), strict=True)):
        axes[2].plot(f, result.null_depth_db[k], colour, lw=2, label=f"{name}: level at ±90°")
        axes[2].plot(f, result.directivity_index_db[k], colour, ls="--", lw=1.5,
                     label=f"{name}: directivity index")  # fmt: skip
        axes[2].plot(f, result.white_noise_gain_db[k], colour, ls=":", lw=1.5,
                     label=f"{name}: white-noise gain")  # fmt: skip
    axes[2].axhline(-result.null_depth_target_db, color="k", lw=0.8, ls="-.",
                    label="null depth asked for")  # fmt: skip
    log_freq_axis(axes[2], f[0], f[-1])
    axes[2].set(ylabel="dB (re on-axis / omni source / one driver)", ylim=(-30, 12),
                title="null depth, directivity index and white-noise gain")  # fmt: skip
    axes[2].legend(fontsize="x-small", loc="lower left", ncol=2)
    return axes
