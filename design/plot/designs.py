r"""Plots of filter designs: crosstalk cancellation, conditioning, centre beams and the filters.

Every function follows the pattern of :mod:`acoustics.plot` (after pyfar):
``plot_x(data, ..., ax=None) -> Axes`` draws on ``ax`` when one is given, or on the axes of a new
figure, and returns the axes. Nothing here calls ``plt.title`` or ``plt.show``; the computational
modules of :mod:`design` never import this one. Beam maps and polar patterns are drawn by
:func:`acoustics.plot.plot_level_map` and :func:`acoustics.plot.plot_polar`, given the beam's
weights normalised to its on-axis response.

Conventions
-----------
* Frequency on a logarithmic axis in Hz; the 0 Hz bin is skipped.
* Levels are :math:`20 \log_{10}|x|` in dB with the reference named on the axis label:

  - ear responses of a CTC design (:attr:`design.filters.ctc.CTCDesign.response`, ``H W``) are
  pascals
    per unit input, "dB re 1 Pa per unit input": the unit (delayed) response a CTC design asks
    for at the ipsilateral ear is 0 dB;
  - separation is the ipsilateral over the contralateral level
  (:func:`design.filters.ctc.separation_db`);
  - beam patterns are in dB re the beam's own on-axis (0 deg) response at each frequency;
  - filter magnitudes are in dB re 1 (unit gain from input to driver);
  - directivity index in dB re an omnidirectional source, white-noise gain in dB re one driver,
    null depth in dB re on-axis (:class:`design.filters.beamforming.BeamMetrics`).
* Azimuth in degrees in the device frame (0 deg on-axis, +90 deg the device's left); polar plots
  put 0 deg at the top and run counter-clockwise, as :func:`acoustics.plot.plot_polar` does.
* Exact cancellation gives an infinite separation (or a level of -inf dB). Such values leave a gap,
  or are drawn at ``limit_db`` where a function offers it; numerically exact inversions sit at
  250-300 dB of round-off, which ``limit_db`` also keeps off the scale.
* Lines of several filters are coloured by driver and styled by input channel (solid for the
  first input, dashed for the second, ...), labelled ``"<driver> <- <input>"`` as
  :func:`acoustics.plot.plot_magnitude` labels ``"<receiver> <- <source>"``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from numpy.typing import NDArray

from acoustics.plot import plot_level_map, plot_polar
from acoustics.plot.axes import check_ax, db, new_axes
from acoustics.transfer import TransferMatrix
from acoustics.validation import as_complex_array, as_float_array, as_positive
from design.filters.beamforming import BeamMetrics, beam_response
from design.filters.ctc import CTCDesign, separation_db, target_curve_db
from design.filters.fir import FilterSet, FIRFilterSet, frequency_response
from design.filters.solvers import condition_number

__all__ = [
    "plot_cancellation",
    "plot_condition_number",
    "plot_beam_map",
    "plot_beam_polar",
    "plot_beam_metrics",
    "plot_filters",
]

#: Label of ear-response levels of a design (``H W``: pascals per unit input).
_RESPONSE_REFERENCE = "dB re 1 Pa per unit input"
#: Label of beam levels normalised to the on-axis response.
_ON_AXIS_REFERENCE = "dB re on-axis"
_LINESTYLES = ("-", "--", ":", "-.")
#: How acoustics.plot names a pattern drawn from weights.
_WEIGHTED_SUM = "weighted sum"


# --------------------------------------------------------------------------- helpers


def _positive_freqs(freqs: NDArray[np.float64], name: str) -> NDArray[np.bool_]:
    """Mask of the bins drawn on a log frequency axis (above 0 Hz); refuse if there are none."""
    keep = freqs > 0
    if not np.any(keep):
        raise ValueError(f"{name} must hold at least one frequency above 0 Hz for a log axis")
    return keep


def _finite_or_nan(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Infinite values (exact nulls) become NaN: a gap in the line, not a vertical spike."""
    return np.where(np.isfinite(values), values, np.nan)


def _optional_limit(limit_db: object) -> float | None:
    return None if limit_db is None else as_positive(limit_db, "limit_db")


def _select(labels: tuple[str, ...], wanted: Sequence[str] | None, name: str) -> list[int]:
    """Return the indices of the labels named in ``wanted`` (all when None), in that order."""
    if wanted is None:
        return list(range(len(labels)))
    if isinstance(wanted, str) or not all(isinstance(x, str) for x in wanted) or not wanted:
        raise TypeError(f"{name} must be a non-empty sequence of str labels, got {wanted!r:.80}")
    missing = [x for x in wanted if x not in labels]
    if missing:
        raise ValueError(f"{name} {missing} not found; available: {list(labels)}")
    return [labels.index(x) for x in wanted]


def _on_axis_index(tm: TransferMatrix) -> int:
    if not isinstance(tm, TransferMatrix):
        raise TypeError(f"tm must be a TransferMatrix, got {type(tm).__name__}")
    if tm.directions is None or not tm.directions.is_arc:
        raise ValueError(
            "tm must be an azimuth transfer matrix (from acoustics.scene.azimuth_transfer: "
            "receivers on an arc)"
        )
    az = tm.directions.azimuths_deg
    wrapped = np.abs((az + 180.0) % 360.0 - 180.0)
    i = int(np.argmin(wrapped))
    if wrapped[i] > 1e-6:
        raise ValueError("tm must include the on-axis direction (azimuth 0 deg) to normalise to")
    return i


def _beam_weights(tm: TransferMatrix, filters: object) -> NDArray[np.complex128]:
    """Driver weights ``(n_sources, n_freqs)`` of a beam, checked against ``tm``."""
    n_s, n_f = tm.shape[1], tm.shape[2]
    if isinstance(filters, FilterSet):
        if len(filters.inputs) != 1:
            raise ValueError(
                f"filters must have one input (a beam), got inputs {list(filters.inputs)}"
            )
        if filters.drivers != tm.sources:
            raise ValueError(
                f"filters must be for the drivers of tm {list(tm.sources)}, "
                f"got {list(filters.drivers)}"
            )
        if filters.freqs.shape != tm.freqs.shape or not np.allclose(filters.freqs, tm.freqs):
            raise ValueError("filters must be on the frequencies of tm")
        return filters.W[:, 0, :]
    w = as_complex_array(filters, "filters")
    if w.shape == (n_s,):
        w = np.broadcast_to(w[:, None], (n_s, n_f))
    if w.shape != (n_s, n_f):
        raise ValueError(
            f"filters must be a FilterSet or have shape ({n_s},) or ({n_s}, {n_f}) "
            f"(n_drivers, n_freqs), got {w.shape}"
        )
    return w


def _beam_name(filters: object) -> str:
    """Return the design's name for a legend (``meta["design"]`` of a FilterSet), else generic."""
    if isinstance(filters, FilterSet):
        return str(filters.meta.get("design", _WEIGHTED_SUM))
    return _WEIGHTED_SUM


def _normalised_weights(tm: TransferMatrix, filters: object) -> NDArray[np.complex128]:
    """Weights divided by the beam's on-axis response, so the pattern is 0 dB on-axis."""
    on = _on_axis_index(tm)
    w = _beam_weights(tm, filters)
    on_axis = beam_response(tm, w)[on]
    silent = on_axis == 0
    if np.any(silent):
        raise ValueError(
            f"filters give no on-axis response at {np.count_nonzero(silent)} bin(s) (first: "
            f"{tm.freqs[silent][:3].tolist()} Hz): the pattern cannot be normalised to on-axis"
        )
    return w / on_axis[None, :]


# --------------------------------------------------------------------------- CTC


def plot_cancellation(
    design: CTCDesign,
    *,
    ax: Axes | None = None,
    target_db: npt.ArrayLike | Callable[[NDArray], NDArray] | None = None,
    kind: Literal["separation", "levels"] = "separation",
    limit_db: float | None = None,
) -> Axes:
    """Plot what a CTC design achieves at its ears: separation, or ipsi- and contralateral levels.

    Parameters
    ----------
    design : CTCDesign
        A design from :mod:`design.filters.ctc`; its ``response[ear, input]`` (``H W`` at the design
        position) and ``filters.freqs`` are drawn.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes when omitted.
    target_db : float, (n_freqs,) array_like or callable, optional
        A target separation :math:`T(f)` in dB (as for
        :func:`design.filters.ctc.target_cancellation`, a callable receives the frequencies), drawn
        as a black dashed line: the target itself for ``kind="separation"``, the contralateral level
        it asks for, :math:`-T` re the unit ipsilateral response, for ``kind="levels"``.
    kind : {"separation", "levels"}, optional
        ``"separation"`` (default): one line per input, the ipsilateral over the contralateral
        level in dB (:func:`design.filters.ctc.separation_db`). ``"levels"``: four lines, the level
        of each input at its ipsilateral ear (solid) and contralateral ear (dashed), coloured by
        input, in dB re 1 Pa per unit input.
    limit_db : float, optional
        Separations above this many dB, and levels below minus this many dB, are drawn at it (an
        exact inversion leaves a few hundred dB of round-off); by default nothing is clipped and
        infinite values leave gaps.

    Returns
    -------
    Axes
        Frequency in Hz on a log x axis (0 Hz skipped); the legend is titled with
        ``design.meta["design"]``.

    Examples
    --------
    >>> import numpy as np
    >>> from acoustics.scene import default_scene, ear_transfer
    >>> from design.filters.ctc import regularized
    >>> tm = ear_transfer(default_scene(), np.fft.rfftfreq(64, 1 / 48000))
    >>> ax = plot_cancellation(regularized(tm, beta=1e-4), target_db=20.0)
    >>> len(ax.get_lines())  # two inputs and the target
    3
    >>> plt.close(ax.figure)
    """
    if not isinstance(design, CTCDesign):
        raise TypeError(f"design must be a CTCDesign, got {type(design).__name__}")
    check_ax(ax)
    if kind not in ("separation", "levels"):
        raise ValueError(f"kind must be 'separation' or 'levels', got {kind!r}")
    limit = _optional_limit(limit_db)
    freqs = design.filters.freqs
    response = np.asarray(design.response)
    if response.shape != (2, 2, freqs.size):
        raise ValueError(
            f"design.response must have shape (2, 2, {freqs.size}) (ears, inputs, freqs), "
            f"got {response.shape}"
        )
    if len(design.filters.inputs) != 2:
        raise ValueError(f"design.filters must have two inputs, got {design.filters.inputs}")
    target = None if target_db is None else target_curve_db(target_db, freqs)
    keep = _positive_freqs(freqs, "design.filters.freqs")
    f = freqs[keep]
    inputs = design.filters.inputs
    ax = new_axes(ax)
    if kind == "separation":
        with np.errstate(invalid="ignore"):  # 0/0 (silent ears) is NaN: a gap
            sep = separation_db(response)[:, keep]  # (input, n_f)
        if limit is not None:
            sep = np.where(np.isposinf(sep), limit, np.minimum(sep, limit))
        for i, name in enumerate(inputs):
            ax.plot(f, _finite_or_nan(sep[i]), color=f"C{i}", label=f"{name} input")
        if target is not None:
            ax.plot(f, target[keep], color="k", ls="--", lw=1.2, label="target $T(f)$")
        ax.set_ylabel("separation (dB, ipsi- re contralateral)")
    else:
        level = db(response[:, :, keep])  # (ear, input, n_f)
        if limit is not None:
            level = np.maximum(level, -limit)
        for i, name in enumerate(inputs):
            other = inputs[1 - i]
            ipsi, contra = level[i, i], level[1 - i, i]
            label = f"{name} input at {name} ear (ipsilateral)"
            ax.plot(f, _finite_or_nan(ipsi), color=f"C{i}", ls="-", label=label)
            label = f"{name} input at {other} ear (contralateral)"
            ax.plot(f, _finite_or_nan(contra), color=f"C{i}", ls="--", label=label)
        if target is not None:
            label = "contralateral target $-T(f)$"
            ax.plot(f, -target[keep], color="k", ls=":", lw=1.5, label=label)
        ax.set_ylabel(f"ear response level ({_RESPONSE_REFERENCE})")
    ax.set_xscale("log")
    ax.set_xlim(f[0], f[-1])
    ax.set_xlabel("frequency (Hz)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", title=design.meta.get("design"), title_fontsize="small")
    return ax


def plot_condition_number(
    tm: TransferMatrix,
    *,
    ax: Axes | None = None,
    scale: Literal["db", "linear"] = "db",
    label: str | None = None,
) -> Axes:
    r"""Plot the condition number :math:`\sigma_{max}/\sigma_{min}` of a plant over frequency.

    Parameters
    ----------
    tm : TransferMatrix
        The plant, e.g. driver-to-ear responses; the condition number is
        :func:`design.filters.solvers.condition_number` of ``tm.H``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes when omitted. Several plants can share one axes: each
        call adds a labelled line.
    scale : {"db", "linear"}, optional
        ``"db"`` (default): :math:`20\log_{10}(\sigma_{max}/\sigma_{min})`, the dynamic range of
        the gain an exact inversion needs across its two (or more) modes. ``"linear"``: the ratio
        on a log y axis.
    label : str, optional
        The line's legend label; by default the device and the plant's size from ``tm``.

    Returns
    -------
    Axes
        Frequency in Hz on a log x axis (0 Hz skipped); bins where the plant is singular (an
        infinite condition number) leave gaps.

    Examples
    --------
    >>> import numpy as np
    >>> from acoustics.scene import default_scene, ear_transfer
    >>> tm = ear_transfer(default_scene(), np.fft.rfftfreq(64, 1 / 48000))
    >>> ax = plot_condition_number(tm)
    >>> ax.get_lines()[0].get_label()
    'smart_speaker: 2 receivers x 5 sources'
    >>> plt.close(ax.figure)
    """
    if not isinstance(tm, TransferMatrix):
        raise TypeError(f"tm must be a TransferMatrix, got {type(tm).__name__}")
    check_ax(ax)
    if scale not in ("db", "linear"):
        raise ValueError(f"scale must be 'db' or 'linear', got {scale!r}")
    if label is not None and not isinstance(label, str):
        raise TypeError(f"label must be a str or None, got {type(label).__name__}")
    keep = _positive_freqs(tm.freqs, "tm.freqs")
    cond = condition_number(tm.H)[keep]
    if label is None:
        device = tm.meta.get("device")
        size = f"{tm.shape[0]} receivers x {tm.shape[1]} sources"
        label = f"{device}: {size}" if device else size
    ax = new_axes(ax)
    f = tm.freqs[keep]
    if scale == "db":
        ax.plot(f, _finite_or_nan(db(cond)), label=label)
        ax.set_ylabel(r"condition number (dB, $20\log_{10}\,\sigma_{max}/\sigma_{min}$)")
    else:
        ax.plot(f, _finite_or_nan(cond), label=label)
        ax.set_yscale("log")
        ax.set_ylabel(r"condition number $\sigma_{max}/\sigma_{min}$")
    ax.set_xscale("log")
    ax.set_xlim(f[0], f[-1])
    ax.set_xlabel("frequency (Hz)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    return ax


# --------------------------------------------------------------------------- beams


def plot_beam_map(
    tm: TransferMatrix,
    filters: FilterSet | npt.ArrayLike,
    *,
    ax: Axes | None = None,
    db_range: float = 40.0,
) -> Axes:
    """Plot a beam's level over azimuth and frequency, normalised to on-axis at each frequency.

    Parameters
    ----------
    tm : TransferMatrix
        Azimuth transfer matrix of the device (:func:`acoustics.scene.azimuth_transfer`), with
        the on-axis direction (0 deg) on its grid.
    filters : FilterSet or (n_drivers,) / (n_drivers, n_freqs) array_like
        The beam's weights: a one-input FilterSet on the drivers and frequencies of ``tm`` (e.g.
        from :func:`design.filters.beamforming.null_beam`), or complex weights.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes when omitted. A colorbar is added beside it.
    db_range : float, optional
        Colour range in dB, ending at the largest level (0 dB unless some direction is louder
        than on-axis).

    Returns
    -------
    Axes
        Drawn by :func:`acoustics.plot.plot_level_map`: azimuth in degrees (device frame) on x,
        frequency on a log y axis, the level (dB re on-axis) as a ``pcolormesh`` with a colorbar,
        and the design's name (``filters.meta["design"]``) in the top-left corner.

    Examples
    --------
    >>> import numpy as np
    >>> from acoustics.sources.presets import smart_speaker
    >>> from acoustics.scene import azimuth_transfer
    >>> from design.filters.beamforming import delay_and_sum
    >>> tm = azimuth_transfer(smart_speaker(), np.arange(-180, 180, 10), [500.0, 2000.0])
    >>> ax = plot_beam_map(tm, delay_and_sum(tm))
    >>> ax.figure.axes[-1].get_ylabel()
    'level (dB re on-axis)'
    >>> plt.close(ax.figure)
    """
    check_ax(ax)
    weights = _normalised_weights(tm, filters)
    ax = plot_level_map(tm, weights=weights, ax=ax, db_range=db_range, reference=_ON_AXIS_REFERENCE)
    for text in ax.texts:  # plot_level_map names a weighted sum generically: name the design
        if text.get_text() == _WEIGHTED_SUM:
            text.set_text(_beam_name(filters))
    return ax


def plot_beam_polar(
    tm: TransferMatrix,
    filters: FilterSet | npt.ArrayLike,
    freqs_hz: float | npt.ArrayLike,
    *,
    ax: Axes | None = None,
    db_range: float = 40.0,
) -> Axes:
    """Plot a beam's polar patterns at chosen frequencies, in dB re its on-axis response.

    Parameters
    ----------
    tm : TransferMatrix
        Azimuth transfer matrix of the device, with 0 deg on its grid.
    filters : FilterSet or (n_drivers,) / (n_drivers, n_freqs) array_like
        The beam's weights, as for :func:`plot_beam_map`.
    freqs_hz : float or (n,) array_like
        Frequencies in Hz within ``tm``'s range; the nearest bins are drawn, one line each.
    ax : matplotlib polar Axes, optional
        Where to draw (``projection="polar"``); a new figure's when omitted.
    db_range : float, optional
        Radial range in dB; lower levels are drawn at the centre.

    Returns
    -------
    Axes
        Drawn by :func:`acoustics.plot.plot_polar`: 0 deg (on-axis) at the top, azimuth
        counter-clockwise (+90 deg, the device's left, on the left), radius in dB re on-axis;
        the legend is titled with the design's name (``filters.meta["design"]``).

    Examples
    --------
    >>> import numpy as np
    >>> from acoustics.sources.presets import smart_speaker
    >>> from acoustics.scene import azimuth_transfer
    >>> from design.filters.beamforming import delay_and_sum
    >>> tm = azimuth_transfer(smart_speaker(), np.arange(-180, 180, 10), [500.0, 2000.0])
    >>> ax = plot_beam_polar(tm, delay_and_sum(tm), [500.0, 2000.0])
    >>> len(ax.get_lines())
    2
    >>> plt.close(ax.figure)
    """
    weights = _normalised_weights(tm, filters)
    ax = plot_polar(
        tm,
        freqs_hz,
        weights=weights,
        ax=ax,
        normalize=False,
        db_range=db_range,
        reference=_ON_AXIS_REFERENCE,
    )
    legend = ax.get_legend()
    if legend is not None:  # plot_polar names a weighted sum generically: name the design
        legend.set_title(f"{_beam_name(filters)}\nlevel ({_ON_AXIS_REFERENCE})")
    return ax


def plot_beam_metrics(
    metrics: BeamMetrics, freqs: npt.ArrayLike, *, ax: Axes | None = None
) -> Axes:
    """Plot a beam's directivity index, white-noise gain and null depth over frequency.

    Parameters
    ----------
    metrics : BeamMetrics
        From :func:`design.filters.beamforming.beam_metrics`; without a directivity index (computed
        only when a sphere transfer matrix was given) that line is left out.
    freqs : (n_freqs,) array_like
        The frequencies in Hz of the metrics (those of the transfer matrix they came from).
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes when omitted.

    Returns
    -------
    Axes
        Up to three lines on one dB axis, each reference named in the axis label and legend: the
        directivity index (dB re omnidirectional), white-noise gain (dB re one driver) and the
        null depth at +-90 deg (the louder side, dB re on-axis); frequency on a log x axis.

    Examples
    --------
    >>> import numpy as np
    >>> from acoustics.sources.presets import smart_speaker
    >>> from acoustics.scene import azimuth_transfer
    >>> from design.filters.beamforming import beam_metrics, delay_and_sum
    >>> f = [500.0, 1000.0, 2000.0]
    >>> tm = azimuth_transfer(smart_speaker(), np.arange(-180, 180, 10), f)
    >>> ax = plot_beam_metrics(beam_metrics(tm, delay_and_sum(tm)), f)
    >>> [line.get_label() for line in ax.get_lines()]
    ['white-noise gain (re one driver)', 'null depth at ±90° (re on-axis)']
    >>> plt.close(ax.figure)
    """
    if not isinstance(metrics, BeamMetrics):
        raise TypeError(f"metrics must be a BeamMetrics, got {type(metrics).__name__}")
    check_ax(ax)
    f = as_float_array(freqs, "freqs")
    n_f = np.shape(metrics.white_noise_gain_db)
    if f.ndim != 1 or f.shape != n_f:
        raise ValueError(f"freqs must have shape {n_f} to match the metrics, got shape {f.shape}")
    keep = _positive_freqs(f, "freqs")
    curves = []
    if metrics.directivity_index_db is not None:
        curves.append(("directivity index (re omnidirectional)", metrics.directivity_index_db))
    curves.append(("white-noise gain (re one driver)", metrics.white_noise_gain_db))
    curves.append(("null depth at ±90° (re on-axis)", metrics.null_depth_db))
    ax = new_axes(ax)
    first = 0 if len(curves) == 3 else 1  # each metric keeps its colour without the DI
    for i, (label, values) in enumerate(curves):
        y = _finite_or_nan(np.asarray(values, dtype=float)[keep])
        ax.plot(f[keep], y, color=f"C{first + i}", label=label)
    ax.set_xscale("log")
    ax.set_xlim(f[keep][0], f[keep][-1])
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("dB (DI re omni, WNG re one driver, null re on-axis)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    return ax


# --------------------------------------------------------------------------- filters


def plot_filters(
    filters: FilterSet | FIRFilterSet,
    *,
    kind: Literal["magnitude", "phase", "impulse"] = "magnitude",
    ax: Axes | None = None,
    drivers: Sequence[str] | None = None,
    inputs: Sequence[str] | None = None,
    delay_samples: float = 0.0,
) -> Axes:
    r"""Plot filters: magnitude (dB re 1), unwrapped phase, or FIR impulse responses.

    Parameters
    ----------
    filters : FilterSet or FIRFilterSet
        Frequency responses (:class:`design.filters.fir.FilterSet`) or FIR taps
        (:class:`design.filters.fir.FIRFilterSet`; for magnitude and phase its response is evaluated
        with :func:`design.filters.fir.frequency_response` on an rfft grid of at least 1024 points).
    kind : {"magnitude", "phase", "impulse"}, optional
        ``"magnitude"``: :math:`20\log_{10}|W|` in dB re 1 (unit gain). ``"phase"``: the phase
        in radians, unwrapped over frequency. ``"impulse"``: the taps over time in ms (an
        FIRFilterSet only: realise a FilterSet with :func:`design.filters.fir.to_fir` first).
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes when omitted.
    drivers, inputs : sequence of str, optional
        Labels to draw, in that order; all when omitted.
    delay_samples : float, optional
        For ``kind="phase"``: a pure delay in samples at ``filters.fs`` removed before
        unwrapping (e.g. the modelling delay, ``design.meta["delay_samples"]``, or an FIR's
        ``latency_samples``), so that what remains is the filters' own phase.

    Returns
    -------
    Axes
        One line per (driver, input), colour by driver (its place in ``filters.drivers``, so a
        driver keeps its colour when others are left out) and line style by input, labelled
        ``"<driver> <- <input>"``; frequency on a log x axis (0 Hz skipped), or time in ms.

    Examples
    --------
    >>> import numpy as np
    >>> from acoustics.scene import default_scene, ear_transfer
    >>> from design.filters.ctc import regularized
    >>> from design.filters.fir import to_fir
    >>> tm = ear_transfer(default_scene(), np.fft.rfftfreq(128, 1 / 48000))
    >>> design = regularized(tm.select(sources=["left", "right"]), beta=1e-4, delay_samples=32)
    >>> ax = plot_filters(design.filters)
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['left <- left', 'left <- right']
    >>> plt.close(ax.figure)
    >>> import warnings
    >>> with warnings.catch_warnings():  # 64 taps cannot hold the 2 m flight time: only a plot
    ...     warnings.simplefilter("ignore")
    ...     fir = to_fir(design.filters, 64, delay=0)
    >>> ax = plot_filters(fir, kind="impulse")
    >>> ax.get_xlabel()
    'time (ms)'
    >>> plt.close(ax.figure)
    """
    if not isinstance(filters, (FilterSet, FIRFilterSet)):
        raise TypeError(
            f"filters must be a FilterSet or an FIRFilterSet, got {type(filters).__name__}"
        )
    if kind not in ("magnitude", "phase", "impulse"):
        raise ValueError(f"kind must be 'magnitude', 'phase' or 'impulse', got {kind!r}")
    check_ax(ax)
    if isinstance(delay_samples, bool) or not isinstance(delay_samples, numbers.Real):
        raise TypeError(f"delay_samples must be a real number, got {delay_samples!r}")
    delay = float(delay_samples)
    if not np.isfinite(delay):
        raise ValueError(f"delay_samples must be finite, got {delay}")
    d_idx = _select(filters.drivers, drivers, "drivers")
    i_idx = _select(filters.inputs, inputs, "inputs")
    if kind == "impulse":
        if not isinstance(filters, FIRFilterSet):
            raise ValueError(
                "kind 'impulse' needs an FIRFilterSet (realise the FilterSet with "
                "design.filters.fir.to_fir first), got a FilterSet"
            )
        x = np.arange(filters.h.shape[-1]) / filters.fs * 1e3
        y = filters.h
    else:
        if isinstance(filters, FIRFilterSet):
            n_fft = max(1024, 1 << int(np.ceil(np.log2(filters.h.shape[-1]))))
            response = frequency_response(filters, np.fft.rfftfreq(n_fft, 1.0 / filters.fs))
            freqs, w = response.freqs, response.W
        else:
            freqs, w = filters.freqs, filters.W
        keep = _positive_freqs(freqs, "filters.freqs")
        if kind == "magnitude":
            y = _finite_or_nan(db(w))
        else:
            undelayed = w * np.exp(2j * np.pi * freqs * delay / filters.fs)
            y = np.unwrap(np.angle(undelayed), axis=-1)
        x, y = freqs[keep], y[..., keep]
    ax = new_axes(ax)
    colours = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    for d in d_idx:  # colour by the driver's place in the set: the same in every selection
        for m, i in enumerate(i_idx):
            ax.plot(
                x,
                y[d, i],
                color=colours[d % len(colours)],
                linestyle=_LINESTYLES[m % len(_LINESTYLES)],
                label=f"{filters.drivers[d]} <- {filters.inputs[i]}",
            )
    if kind == "impulse":
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("tap value (linear)")
        ax.set_xlim(x[0], x[-1])
    else:
        ax.set_xscale("log")
        ax.set_xlim(x[0], x[-1])
        ax.set_xlabel("frequency (Hz)")
        if kind == "magnitude":
            ax.set_ylabel("filter magnitude (dB re 1)")
        elif delay:
            ax.set_ylabel(f"phase (rad, unwrapped, {delay:g}-sample delay removed)")
        else:
            ax.set_ylabel("phase (rad, unwrapped)")
    ax.grid(True, which="both", alpha=0.3)
    n_lines = len(d_idx) * len(i_idx)
    ax.legend(fontsize="small", ncol=1 if n_lines <= 6 else 2)
    return ax
