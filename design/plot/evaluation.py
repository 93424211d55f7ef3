r"""Plots of an evaluation: separation curves, segments, perceived azimuths, depth and zone maps.

The pattern of :mod:`design.plot`: ``plot_x(data, ..., ax=None) -> Axes`` draws on ``ax`` or on a
new figure's axes and returns them; nothing here shows or titles a figure. The systems are drawn
in the order of :data:`design.evaluation.SYSTEMS` with one colour each throughout.

Conventions
-----------
* Separation in dB: ipsilateral over contralateral ear level (hard-left input at the left ear over
  the right ear), mean of the two sides, on a logarithmic frequency axis. Curves over frequency
  are smoothed by fractional octaves for display only (:func:`smooth_fractional_octave`: the
  ipsi and contra powers are each averaged over :math:`f\,2^{\pm 1/(2n)}` before their ratio);
  the measures themselves use 1/3-octave band energies (:mod:`design.evaluation.segments`),
  drawn by :func:`plot_segment_separation`.
* Azimuths in degrees in the listener's frame, positive to the left, as everywhere in the toolkit.
* Zone maps are drawn in the world frame, x down the room and y across it, with the device marked;
  colour limits are symmetric for signed errors. To compare systems, draw their maps with one
  colour scale per measure: :func:`zone_colour_limits` gives it, ``plot_zone_map(vmin=, vmax=)``
  takes it.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from numpy.typing import NDArray

from acoustics.plot.axes import check_ax, new_axes
from design.evaluation import SEGMENTS, SYSTEMS, Evaluation, ZoneMap, pan_gains, tangent_law_deg

__all__ = [
    "SYSTEM_COLOURS",
    "smooth_fractional_octave",
    "plot_separation",
    "plot_segment_separation",
    "plot_perceived_azimuth",
    "plot_depth",
    "plot_zone_map",
    "zone_colour_limits",
]

#: One colour per system.
SYSTEM_COLOURS = {"chain": "C0", "matrix_mixing": "C1", "stereo_pair": "C2"}
_LABELS = {"chain": "chain", "matrix_mixing": "matrix mixing", "stereo_pair": "stereo pair"}
_ZONE_FIELDS = {
    "separation_db": ("early CTC separation, median (dB)", "viridis", False),
    "centre_bias_deg": ("centre error (deg, + = left)", "RdBu_r", True),
    "hard_left_error_deg": ("hard-left error (deg, + = left)", "RdBu_r", True),
    "hard_right_error_deg": ("hard-right error (deg, + = left)", "RdBu_r", True),
    "width_deg": ("perceived width (deg)", "viridis", False),
    "iacc_early": ("IACC_E, hard left / right", "viridis", False),
    "drr_db": ("DRR of the centre (dB)", "viridis", False),
    "early_limit_ms": ("early limit (ms)", "viridis", False),
}


def _axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 4.0)) -> Axes:
    check_ax(ax)
    return new_axes(ax, figsize)


def _evaluation(evaluation: object) -> Evaluation:
    if not isinstance(evaluation, Evaluation):
        raise TypeError(f"evaluation must be an Evaluation, got {type(evaluation).__name__}")
    return evaluation


def smooth_fractional_octave(
    freqs: npt.ArrayLike, power: npt.ArrayLike, *, fraction: int = 6
) -> NDArray[np.float64]:
    r"""Average a power spectrum ``(..., n_freqs)`` over a 1/``fraction`` octave around each bin.

    For display: every bin's value becomes the mean power over the bins within
    :math:`f\,2^{\pm 1/(2 n)}` (running sums, no loop over bins); the DC bin is kept.

    Parameters
    ----------
    freqs : (n_freqs,) array_like
        Evenly spaced frequencies in Hz, from 0 (an ``rfftfreq`` grid).
    power : (..., n_freqs) array_like
        Non-negative power (squared magnitude) at ``freqs``.
    fraction : int, optional
        Bandwidth denominator: 3 (1/3 octave) or 6 (1/6 octave).
    """
    if fraction not in (3, 6):
        raise ValueError(f"fraction must be 3 or 6 (1/3 or 1/6 octave), got {fraction!r}")
    f = np.asarray(freqs, dtype=float)
    p = np.asarray(power, dtype=float)
    if f.ndim != 1 or p.shape[-1] != f.size:
        raise ValueError(f"power must end with the {f.size} frequencies, got shape {p.shape}")
    if np.any(p < 0):
        raise ValueError("power must be non-negative (a squared magnitude)")
    half = 2.0 ** (1.0 / (2 * fraction))
    lo = np.searchsorted(f, f / half, side="left")
    hi = np.searchsorted(f, f * half, side="right")
    csum = np.concatenate([np.zeros(p.shape[:-1] + (1,)), np.cumsum(p, axis=-1)], axis=-1)
    out = (csum[..., hi] - csum[..., lo]) / np.maximum(hi - lo, 1)
    out[..., f == 0] = p[..., f == 0]
    return out


def plot_separation(
    evaluation: Evaluation,
    *,
    kind: Literal["ears", "ctc"] = "ears",
    fraction: int = 6,
    ax: Axes | None = None,
) -> Axes:
    """Separation of the full response over frequency for each system, octave-smoothed.

    Parameters
    ----------
    evaluation : Evaluation
        From :func:`design.evaluation.evaluate`.
    kind : {"ears", "ctc"}, optional
        At the ears, or the crosstalk cancellation with a chain's virtual crosstalk divided out.
    fraction : {3, 6}, optional
        Display smoothing, 1/3 or 1/6 octave (:func:`smooth_fractional_octave`).
    ax : Axes, optional
    """
    ev = _evaluation(evaluation)
    if kind not in ("ears", "ctc"):
        raise ValueError(f"kind must be 'ears' or 'ctc', got {kind!r}")
    ax = _axes(ax)
    lo, hi = ev.settings["band_hz"]
    for name in SYSTEMS:
        s = ev.systems[name]
        sep = s.separation_db if kind == "ears" else s.ctc_separation_db
        f = s.freqs
        # Smooth the level ratio as a power ratio: ipsi power over contra power, contra = 1.
        smooth = 10.0 * np.log10(
            smooth_fractional_octave(f, 10.0 ** (sep / 10.0), fraction=fraction)
        )
        keep = f >= 50.0
        ax.semilogx(
            f[keep], np.mean(smooth, axis=0)[keep], color=SYSTEM_COLOURS[name], label=_LABELS[name]
        )
    ax.axvspan(lo, hi, color="0.9", zorder=0, label=f"band {lo:g}-{hi:g} Hz")
    ax.set_xlabel("frequency (Hz)")
    what = "separation" if kind == "ears" else "CTC separation"
    ax.set_ylabel(f"{what}, full response (dB, ipsi / contra; 1/{fraction} oct.)")
    ax.set_xlim(50.0, 20000.0)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="best")
    return ax


def plot_segment_separation(
    evaluation: Evaluation, *, kind: Literal["ears", "ctc"] = "ctc", ax: Axes | None = None
) -> Axes:
    """Median band separation per segment and system; the whisker down to the 10th percentile.

    Parameters
    ----------
    evaluation : Evaluation
        From :func:`design.evaluation.evaluate`.
    kind : {"ears", "ctc"}, optional
        At the ears, or the crosstalk cancellation.
    ax : Axes, optional
    """
    ev = _evaluation(evaluation)
    if kind not in ("ears", "ctc"):
        raise ValueError(f"kind must be 'ears' or 'ctc', got {kind!r}")
    ax = _axes(ax)
    x = np.arange(len(SEGMENTS))
    width = 0.8 / len(SYSTEMS)
    for i, name in enumerate(SYSTEMS):
        s = ev.systems[name]
        sep = s.separation if kind == "ears" else s.ctc_separation
        med = np.array([sep[seg].median_db for seg in SEGMENTS])
        p10 = np.array([sep[seg].p10_db for seg in SEGMENTS])
        pos = x + (i - (len(SYSTEMS) - 1) / 2) * width
        ax.bar(pos, med, width, color=SYSTEM_COLOURS[name], label=_LABELS[name])
        ax.errorbar(pos, med, yerr=[np.maximum(med - p10, 0), np.zeros_like(med)], fmt="none",
                    ecolor="k", capsize=3)  # fmt: skip
    ax.set_xticks(x, list(SEGMENTS))
    what = "separation at the ears" if kind == "ears" else "CTC separation"
    ax.set_ylabel(f"{what} (dB, band median)")
    ax.axhline(0.0, color="0.5", lw=0.5)
    ax.legend(loc="best")
    return ax


def plot_perceived_azimuth(evaluation: Evaluation, *, ax: Axes | None = None) -> Axes:
    """Plot the perceived azimuth of the pan sweep per system, and the tangent law at +-30 deg."""
    ev = _evaluation(evaluation)
    ax = _axes(ax)
    pans = ev.systems[SYSTEMS[0]].pan_positions
    n = len(SYSTEMS)
    width = 0.8 / n * (pans[0] - pans[1]) if pans.size > 1 else 0.2
    for i, name in enumerate(SYSTEMS):
        s = ev.systems[name]
        ax.bar(
            s.pan_positions + (i - (n - 1) / 2) * width,
            s.perceived_azimuth_deg,
            width,
            color=SYSTEM_COLOURS[name],
            label=_LABELS[name],
        )
    fine = np.linspace(-1.0, 1.0, 101)
    ax.plot(fine, tangent_law_deg(pan_gains(fine)), "k--", lw=1, label="tangent law, +-30 deg")
    ax.set_xlabel("pan position (1 = hard left)")
    ax.set_ylabel("perceived azimuth (deg, + = left)")
    ax.invert_xaxis()
    ax.axhline(0.0, color="0.5", lw=0.5)
    ax.legend(loc="best")
    return ax


def plot_depth(evaluation: Evaluation, *, ax: Axes | None = None) -> Axes:
    """Early and late IACC of the hard-left/right stimuli, and the centre's DRR, per system.

    IACCs are the mean of the hard-left and hard-right stimuli (left axis); the phantom centre's
    DRR is on the right axis, drawn only where the scene has a reverberant part.
    """
    ev = _evaluation(evaluation)
    ax = _axes(ax)
    x = np.arange(len(SYSTEMS))
    colours = [SYSTEM_COLOURS[n] for n in SYSTEMS]

    def side_mean(name: str, key: str) -> float:
        d = ev.systems[name].depth
        values = [d[p][key] for p in ("hard_left", "hard_right")]
        return np.nan if any(v is None for v in values) else float(np.mean(values))

    early = [side_mean(n, "iacc_early") for n in SYSTEMS]
    late = [side_mean(n, "iacc_late") for n in SYSTEMS]
    ax.bar(x - 0.27, early, 0.27, color=colours, alpha=0.55, label="IACC_E 0-80 ms")
    handles = [ax.containers[-1]]
    if np.all(np.isfinite(late)):
        ax.bar(x, late, 0.27, color=colours, alpha=0.3, hatch="..", label="IACC_L 80 ms-end")
        handles.append(ax.containers[-1])
    ax.set_ylim(0.0, 1.05)
    ax.set_ylabel("IACC, hard left / right (mean)")
    ax.set_xticks(x, [_LABELS[n] for n in SYSTEMS])
    drr = [ev.systems[n].depth["centre"]["drr_db"] for n in SYSTEMS]
    if all(v is not None for v in drr):
        twin = ax.twinx()
        twin.bar(x + 0.27, drr, 0.27, color=colours, hatch="//", edgecolor="k",
                 label="DRR of the centre")  # fmt: skip
        twin.set_ylabel("DRR of the phantom centre (dB)")
        twin.axhline(0.0, color="0.5", lw=0.5)
        handles.append(twin.containers[-1])
    ax.legend(handles, [h.get_label() for h in handles], loc="upper right")
    return ax


def _mark_device(ax: Axes, zone: ZoneMap, x: float, y: float) -> None:
    """Mark the device: a square inside the map, else an arrow at the map's edge pointing to it."""
    dx, dy = np.diff(zone.x[:2])[0] / 2, np.diff(zone.y[:2])[0] / 2
    x_lo, x_hi, y_lo, y_hi = zone.x[0] - dx, zone.x[-1] + dx, zone.y[0] - dy, zone.y[-1] + dy
    if x_lo <= x <= x_hi and y_lo <= y <= y_hi:
        ax.plot(y, x, "ks", ms=8)
        ax.annotate("device", (y, x), xytext=(4, 4), textcoords="offset points", fontsize=8)
        return
    # Where the line from the map's centre to the device leaves the map.
    cx, cy = (x_lo + x_hi) / 2, (y_lo + y_hi) / 2
    t = min(
        (x_hi - cx) / (x - cx) if x > cx else (x_lo - cx) / (x - cx) if x < cx else np.inf,
        (y_hi - cy) / (y - cy) if y > cy else (y_lo - cy) / (y - cy) if y < cy else np.inf,
    )
    ex, ey = cx + t * (x - cx), cy + t * (y - cy)
    ax.annotate(
        f"device at ({x:g}, {y:g}) m",
        xy=(ey, ex),
        xytext=(cy + 0.7 * t * (y - cy), cx + 0.7 * t * (x - cx)),
        arrowprops={"arrowstyle": "->", "color": "k"},
        fontsize=8,
        ha="center",
    )


def plot_zone_map(
    zone: ZoneMap,
    *,
    field: str = "separation_db",
    yaw_index: int = 0,
    device_xy: tuple[float, float] | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """One measure of a zone map over the listening area, the sweet spot outlined.

    Parameters
    ----------
    zone : ZoneMap
        From :func:`design.evaluation.zone_maps`.
    field : str, optional
        ``"separation_db"``, ``"centre_bias_deg"``, ``"hard_left_error_deg"``,
        ``"hard_right_error_deg"``, ``"width_deg"``, ``"iacc_early"``, ``"drr_db"`` or
        ``"early_limit_ms"``.
    yaw_index : int, optional
        Which head yaw of ``zone.yaw_offsets_deg``.
    device_xy : (float, float), optional
        The device's world (x, y): marked on the map, or by an arrow at the map's edge.
    vmin, vmax : float, optional
        Colour limits; give the same to every system's map (:func:`zone_colour_limits`). By
        default this map's own range (symmetric about 0 for signed errors).
    ax : Axes, optional
    """
    if not isinstance(zone, ZoneMap):
        raise TypeError(f"zone must be a ZoneMap, got {type(zone).__name__}")
    if field not in _ZONE_FIELDS:
        raise ValueError(f"field must be one of {sorted(_ZONE_FIELDS)}, got {field!r}")
    n_yaw = zone.yaw_offsets_deg.size
    if not isinstance(yaw_index, (int, np.integer)) or not -n_yaw <= yaw_index < n_yaw:
        raise ValueError(f"yaw_index must index {n_yaw} yaw offsets, got {yaw_index!r}")
    ax = _axes(ax, (5.5, 4.5))
    label, cmap, symmetric = _ZONE_FIELDS[field]
    values = getattr(zone, field)[yaw_index]
    finite = values[np.isfinite(values)]
    kwargs: dict[str, float] = {}
    if vmin is not None or vmax is not None:
        kwargs = {k: float(v) for k, v in (("vmin", vmin), ("vmax", vmax)) if v is not None}
    elif symmetric and finite.size:
        lim = max(float(np.max(np.abs(finite))), 1e-9)
        kwargs = {"vmin": -lim, "vmax": lim}
    mesh = ax.pcolormesh(zone.y, zone.x, values, cmap=cmap, shading="nearest", **kwargs)
    ax.figure.colorbar(mesh, ax=ax, label=label)
    sweet = zone.sweet_spot[yaw_index].astype(float)
    if 0 < sweet.sum() < sweet.size:
        ax.contour(zone.y, zone.x, sweet, levels=[0.5], colors="k", linewidths=1.5)
    if device_xy is not None:
        _mark_device(ax, zone, float(device_xy[0]), float(device_xy[1]))
    ax.set_xlabel("y (m)")
    ax.set_ylabel("x (m)")
    ax.set_aspect("equal")
    area = zone.sweet_spot_area_m2[yaw_index]
    ax.text(
        0.02,
        0.02,
        f"{_LABELS.get(zone.name, zone.name)}: sweet spot {area:.2f} m^2",
        transform=ax.transAxes,
        fontsize=8,
        va="bottom",
    )
    return ax


def zone_colour_limits(zones: dict[str, ZoneMap], field: str) -> tuple[float, float]:
    """One colour scale ``(vmin, vmax)`` for a measure over several systems' zone maps.

    The range of the finite values over every map and yaw; symmetric about 0 for signed errors.
    """
    if field not in _ZONE_FIELDS:
        raise ValueError(f"field must be one of {sorted(_ZONE_FIELDS)}, got {field!r}")
    if not zones or not all(isinstance(z, ZoneMap) for z in zones.values()):
        raise TypeError("zones must be a non-empty dict of ZoneMap (from zone_maps)")
    values = np.concatenate([np.ravel(getattr(z, field)) for z in zones.values()])
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (0.0, 1.0)
    if _ZONE_FIELDS[field][2]:
        lim = max(float(np.max(np.abs(finite))), 1e-9)
        return (-lim, lim)
    lo, hi = float(np.min(finite)), float(np.max(finite))
    return (lo, hi if hi > lo else lo + 1e-9)
