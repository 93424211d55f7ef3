r"""Plots of an evaluation: separation curves, perceived azimuths, depth bars and zone maps.

The pattern of :mod:`design.plot`: ``plot_x(data, ..., ax=None) -> Axes`` draws on ``ax`` or on a
new figure's axes and returns them; nothing here shows or titles a figure. The systems are drawn
in the order of :data:`design.evaluation.SYSTEMS` with one colour each throughout.

Conventions
-----------
* Separation in dB: ipsilateral over contralateral ear level (hard-left input at the left ear over
  the right ear), mean of the two sides, on a logarithmic frequency axis.
* Azimuths in degrees in the listener's frame, positive to the left, as everywhere in the toolkit.
* Zone maps are drawn in the world frame, x down the room and y across it, with the device marked;
  colour limits are symmetric for the centre bias.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from design.evaluation import SYSTEMS, Evaluation, ZoneMap, pan_gains, tangent_law_deg
from design.plot import _check_ax, _new_axes

__all__ = [
    "SYSTEM_COLOURS",
    "plot_separation",
    "plot_perceived_azimuth",
    "plot_depth",
    "plot_zone_map",
]

#: One colour per system.
SYSTEM_COLOURS = {"chain": "C0", "matrix_mixing": "C1", "stereo_pair": "C2"}
_LABELS = {"chain": "chain", "matrix_mixing": "matrix mixing", "stereo_pair": "stereo pair"}
_ZONE_FIELDS = {
    "separation_db": ("CTC separation (dB)", "viridis", False),
    "centre_bias_deg": ("centre bias (deg, + = left)", "RdBu_r", True),
    "width_deg": ("perceived width (deg)", "viridis", False),
    "iacc_early": ("IACC_E of the centre", "viridis", False),
    "drr_db": ("DRR of the centre (dB)", "viridis", False),
}


def _axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 4.0)) -> Axes:
    _check_ax(ax)
    return _new_axes(ax, figsize)


def _evaluation(evaluation: object) -> Evaluation:
    if not isinstance(evaluation, Evaluation):
        raise TypeError(f"evaluation must be an Evaluation, got {type(evaluation).__name__}")
    return evaluation


def plot_separation(evaluation: Evaluation, *, kind: str = "ears", ax: Axes | None = None) -> Axes:
    """Separation over frequency for each system.

    Parameters
    ----------
    evaluation : Evaluation
        From :func:`design.evaluation.evaluate`.
    kind : {"ears", "ctc"}, optional
        At the ears, or the crosstalk cancellation with a chain's virtual crosstalk divided out.
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
        keep = f >= 50.0
        ax.semilogx(
            f[keep], np.mean(sep, axis=0)[keep], color=SYSTEM_COLOURS[name], label=_LABELS[name]
        )
    ax.axvspan(lo, hi, color="0.9", zorder=0, label=f"band {lo:g}-{hi:g} Hz")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("separation (dB, ipsi / contra)" if kind == "ears" else "CTC separation (dB)")
    ax.set_xlim(50.0, 20000.0)
    ax.grid(True, which="both", alpha=0.3)
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
    """IACC (early) and DRR of the phantom centre for each system, as bars on two scales."""
    ev = _evaluation(evaluation)
    ax = _axes(ax)
    x = np.arange(len(SYSTEMS))
    iacc = [ev.systems[n].depth["centre"]["iacc_early"] for n in SYSTEMS]
    drr = [ev.systems[n].depth["centre"]["drr_db"] for n in SYSTEMS]
    colours = [SYSTEM_COLOURS[n] for n in SYSTEMS]
    ax.bar(x - 0.2, iacc, 0.4, color=colours, alpha=0.55, label="IACC_E (left axis)")
    ax.set_ylim(0.0, 1.05)
    ax.set_ylabel("IACC_E")
    ax.set_xticks(x, [_LABELS[n] for n in SYSTEMS])
    twin = ax.twinx()
    twin.bar(x + 0.2, drr, 0.4, color=colours, hatch="//", edgecolor="k", label="DRR (right axis)")
    twin.set_ylabel("DRR (dB)")
    twin.axhline(0.0, color="0.5", lw=0.5)
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles, ["IACC_E (left axis)", "DRR (right axis)"], loc="upper right")
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
    ax: Axes | None = None,
) -> Axes:
    """One measure of a zone map over the listening area, the sweet spot outlined.

    Parameters
    ----------
    zone : ZoneMap
        From :func:`design.evaluation.zone_maps`.
    field : str, optional
        ``"separation_db"``, ``"centre_bias_deg"``, ``"width_deg"``, ``"iacc_early"`` or
        ``"drr_db"``.
    yaw_index : int, optional
        Which head yaw of ``zone.yaw_offsets_deg``.
    device_xy : (float, float), optional
        The device's world (x, y): marked on the map, or by an arrow at the map's edge.
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
    kwargs = {}
    if symmetric and finite.size:
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
