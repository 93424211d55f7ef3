r"""Plots of acoustic quantities: responses over frequency, beam patterns and scenes.

Every function follows one pattern (after pyfar): ``plot_x(data, ..., ax=None) -> Axes``
draws on ``ax`` when one is given, or on the axes of a new figure, and returns the axes. Nothing
here calls ``plt.title`` or ``plt.show``; computational modules never import this one.

Conventions
-----------
* Frequency on a logarithmic axis in Hz; the 0 Hz bin is skipped.
* Levels are :math:`20 \log_{10} |H|` in dB, with the reference named on the axis label. The
  reference is read from the transfer matrix: transfer matrices from
  :func:`acoustics.scene.azimuth_transfer` (receivers with ``directions``) are relative to a unit
  point source at the device origin; those from :func:`acoustics.scene.ear_transfer`
  (receivers labelled as ears) are pascals per unit source strength, "dB re 1 Pa per unit
  source". Pass ``reference=`` to name another.
* Azimuth in degrees in the device frame (0 deg on-axis, +90 deg the device's own left). Polar
  plots put 0 deg at the top and run counter-clockwise, so +90 deg (the device's left, which is the
  listener's *right* when the listener faces the device) appears on the left of the plot, as seen
  from above and behind the device.
* Scenes are drawn in the world frame from above (x right, y up), equal aspect.
* A level of exactly zero (a baffled piston behind its baffle) is -inf dB: it is drawn at the
  floor of the plot's dB range, or left as a gap where no floor applies.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.patches import Circle, Rectangle
from numpy.typing import NDArray

from acoustics.plot.axes import check_ax, db
from acoustics.scene import EAR_LABELS
from acoustics.transfer import TransferMatrix
from acoustics.validation import as_complex_array, as_float_array, as_positive, as_real

if TYPE_CHECKING:  # pragma: no cover - type hints only
    from acoustics.scene import Scene

__all__ = ["plot_magnitude", "plot_polar", "plot_level_map", "plot_scene", "level_reference"]

#: Label of ear-transfer levels (pascals per unit source strength).
_EAR_REFERENCE = "dB re 1 Pa per unit source"
#: Label of azimuth-transfer levels (far-field, relative to a point source at the device origin).
_AZIMUTH_REFERENCE = "dB re point source at device origin"
_LINESTYLES = ("-", "--", ":", "-.")


# --------------------------------------------------------------------------- helpers


def level_reference(tm: TransferMatrix) -> str:
    """Name the dB reference of a transfer matrix's levels, as used on axis labels.

    Parameters
    ----------
    tm : TransferMatrix
        A transfer matrix: receivers with ``directions`` are a beam pattern, receivers
        labelled as ears (``"left"``, ``"right"``, ``"<i>:left"``, ...) ear pressures.

    Returns
    -------
    str
        E.g. ``"dB re 1 Pa per unit source"`` for ear transfer matrices and
        ``"dB re point source at device origin"`` for azimuth transfer matrices.

    Examples
    --------
    >>> import numpy as np
    >>> from acoustics.sources.presets import smart_speaker
    >>> from acoustics.scene import azimuth_transfer
    >>> level_reference(azimuth_transfer(smart_speaker(), [0.0, 90.0], [1000.0]))
    'dB re point source at device origin'
    """
    _check_tm(tm)
    if tm.directions is not None:
        return _AZIMUTH_REFERENCE
    if all(r.rpartition(":")[2] in EAR_LABELS for r in tm.receivers):
        return _EAR_REFERENCE
    return "dB re |H| = 1"


def _check_tm(tm: object) -> None:
    if not isinstance(tm, TransferMatrix):
        raise TypeError(f"tm must be a TransferMatrix, got {type(tm).__name__}")


def _db_range(db_range: object) -> float:
    return as_positive(db_range, "db_range")


def _format_hz(f: float) -> str:
    """``984 Hz``, ``1.97 kHz``, ``12 kHz``."""
    if f < 1000.0:
        return f"{f:.3g} Hz"
    return f"{f / 1000.0:.3g} kHz"


def _wrap(text: str, width: int) -> str:
    """Break ``text`` into lines of at most about ``width`` characters, at spaces."""
    return textwrap.fill(text, width=width, break_long_words=False)


def _reference_label(tm: TransferMatrix, reference: str | None) -> str:
    if reference is None:
        return level_reference(tm)
    if not isinstance(reference, str) or not reference:
        raise TypeError(f"reference must be a non-empty str or None, got {reference!r}")
    return reference


def _azimuths(tm: TransferMatrix) -> NDArray[np.float64]:
    """Return the azimuths (degrees) of an azimuth transfer matrix, from its ``directions``."""
    if tm.directions is None or not tm.directions.is_arc:
        raise ValueError(
            "tm must be an azimuth transfer matrix (from acoustics.scene.azimuth_transfer: "
            f"receivers on an arc); got one with receivers {list(tm.receivers)[:4]}..."
        )
    return tm.directions.azimuths_deg


def _pattern(
    tm: TransferMatrix, source: str | None, weights: npt.ArrayLike | None
) -> tuple[NDArray[np.complex128], str]:
    """Complex pattern ``(n_azimuths, n_freqs)`` of one source or a weighted sum, and its name."""
    n_src, n_f = tm.shape[1], tm.shape[2]
    if weights is not None:
        if source is not None:
            raise ValueError("give either source or weights, not both")
        w = as_complex_array(weights, "weights")
        if w.shape == (n_src,):
            w = np.broadcast_to(w[:, None], (n_src, n_f))
        elif w.shape != (n_src, n_f):
            raise ValueError(
                f"weights must have shape ({n_src},) (n_sources) or ({n_src}, {n_f}) "
                f"(n_sources, n_freqs), got {w.shape}"
            )
        return np.einsum("asf,sf->af", tm.H, w), "weighted sum"
    if source is None:
        if n_src != 1:
            raise ValueError(
                f"source must name one of {list(tm.sources)} (tm has {n_src} sources), or give "
                "weights; got None"
            )
        source = tm.sources[0]
    if not isinstance(source, str):
        raise TypeError(f"source must be a str naming a source, got {type(source).__name__}")
    if source not in tm.sources:
        raise ValueError(f"source {source!r} is not in tm; available: {list(tm.sources)}")
    return tm.H[:, tm.sources.index(source), :], source


def _freq_bins(tm: TransferMatrix, freqs_hz: npt.ArrayLike) -> NDArray[np.intp]:
    """Return the bins nearest the requested frequencies, which must lie in tm's range."""
    f = np.atleast_1d(as_float_array(freqs_hz, "freqs_hz"))
    if f.ndim != 1 or f.size == 0:
        raise ValueError(f"freqs_hz must be a frequency or a 1-D sequence of them, got {f.shape}")
    lo, hi = tm.freqs[0], tm.freqs[-1]
    outside = (f < lo) | (f > hi)
    if np.any(outside):
        raise ValueError(
            f"freqs_hz must lie within the transfer matrix's range [{lo:g}, {hi:g}] Hz, got "
            f"{f[outside].tolist()}"
        )
    return np.argmin(np.abs(tm.freqs[None, :] - f[:, None]), axis=1)


def _edges(centres: NDArray[np.float64], *, log: bool) -> NDArray[np.float64]:
    """Cell edges around sorted centres (geometric midpoints when ``log``)."""
    x = np.log(centres) if log else centres
    if x.size == 1:
        half = 0.05 * abs(x[0]) if log else 2.5
        edges = np.array([x[0] - half, x[0] + half])
    else:
        mid = 0.5 * (x[1:] + x[:-1])
        edges = np.concatenate([[2 * x[0] - mid[0]], mid, [2 * x[-1] - mid[-1]]])
    return np.exp(edges) if log else edges


# --------------------------------------------------------------------------- plots


def plot_magnitude(
    tm: TransferMatrix,
    *,
    receivers: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
    ax: Axes | None = None,
    db_floor: float | None = None,
    reference: str | None = None,
) -> Axes:
    """Plot the level over frequency of each (receiver, source) pair of a transfer matrix.

    Parameters
    ----------
    tm : TransferMatrix
        Responses ``(n_receivers, n_sources, n_freqs)``.
    receivers, sources : sequence of str, optional
        Labels to draw, in that order; all when omitted (see :meth:`TransferMatrix.select`).
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes when omitted.
    db_floor : float, optional
        Levels below this many dB are drawn at it (and the y axis starts there); by default
        nothing is clipped and exact zeros leave gaps.
    reference : str, optional
        The dB reference for the y label; by default from the receivers (:func:`level_reference`).

    Returns
    -------
    Axes
        One line per pair, colour by source, line style by receiver, labelled
        ``"<receiver> <- <source>"``; frequency in Hz on a log x axis, the 0 Hz bin skipped.

    Examples
    --------
    >>> import numpy as np
    >>> from acoustics.scene import default_scene, ear_transfer
    >>> tm = ear_transfer(default_scene(), np.fft.rfftfreq(256, 1 / 48000))
    >>> ax = plot_magnitude(tm, sources=["left", "right"])
    >>> len(ax.get_lines())
    4
    >>> plt.close(ax.figure)
    """
    _check_tm(tm)
    check_ax(ax)
    ref = _reference_label(tm, reference)
    floor = None if db_floor is None else as_real(db_floor, "db_floor")
    sub = tm.select(receivers=receivers, sources=sources)
    keep = sub.freqs > 0
    if not np.any(keep):
        raise ValueError("tm must hold at least one frequency above 0 Hz to plot on a log axis")
    f = sub.freqs[keep]
    level = db(sub.H[:, :, keep])
    level = np.where(np.isneginf(level), np.nan if floor is None else floor, level)
    if floor is not None:
        level = np.maximum(level, floor)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 4.0), layout="constrained")
    colours = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    for s, src in enumerate(sub.sources):
        for r, rec in enumerate(sub.receivers):
            ax.plot(
                f,
                level[r, s],
                color=colours[s % len(colours)],
                linestyle=_LINESTYLES[r % len(_LINESTYLES)],
                label=f"{rec} <- {src}",
            )
    ax.set_xscale("log")
    ax.set_xlim(f[0], f[-1])
    if floor is not None:
        top = np.nanmax(level)
        ax.set_ylim(floor, max(top, floor) + 3.0)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel(f"level ({ref})")
    ax.grid(True, which="both", alpha=0.3)
    n_lines = level.shape[0] * level.shape[1]
    ax.legend(fontsize="small", ncol=1 if n_lines <= 6 else 2)
    return ax


def plot_polar(
    tm: TransferMatrix,
    freqs_hz: float | npt.ArrayLike,
    *,
    source: str | None = None,
    weights: npt.ArrayLike | None = None,
    ax: Axes | None = None,
    normalize: bool = True,
    db_range: float = 40.0,
    reference: str | None = None,
) -> Axes:
    r"""Plot the polar pattern of one source, or of a weighted sum of sources, at some frequencies.

    Parameters
    ----------
    tm : TransferMatrix
        An azimuth transfer matrix (:func:`acoustics.scene.azimuth_transfer`), receivers on an arc
        (its ``directions``).
    freqs_hz : float or (n,) array_like
        Frequencies in Hz within ``tm``'s range; the nearest bins are drawn, one line each,
        labelled with the bin's frequency.
    source : str, optional
        The source (driver) to draw; may be omitted when ``tm`` has one source or ``weights`` are
        given.
    weights : (n_sources,) or (n_sources, n_freqs) array_like, optional
        Complex weights of the sources (one per source, or one per source and frequency bin of
        ``tm``): the pattern drawn is :math:`\sum_s H_{a,s}(f)\,w_s(f)`.
    ax : matplotlib polar Axes, optional
        Where to draw (it must have ``projection="polar"``); a new figure's when omitted.
    normalize : bool, optional
        If true (default), each frequency's pattern is in dB re its own maximum over azimuth;
        otherwise in dB of ``reference``, the radial range ending at the largest level.
    db_range : float, optional
        Radial range in dB; lower levels are drawn at the centre.
    reference : str, optional
        The dB reference when ``normalize`` is false; by default :func:`level_reference`.

    Returns
    -------
    Axes
        Polar axes, 0 deg (on-axis) at the top, azimuth counter-clockwise (+90 deg, the device's
        left, on the left), radius in dB.

    Examples
    --------
    >>> import numpy as np
    >>> from acoustics.sources.presets import smart_speaker
    >>> from acoustics.scene import azimuth_transfer
    >>> tm = azimuth_transfer(smart_speaker(), np.arange(-180, 180, 5), [500.0, 2000.0])
    >>> ax = plot_polar(tm, [500.0, 2000.0], source="tweeter")
    >>> len(ax.get_lines())
    2
    >>> plt.close(ax.figure)
    """
    _check_tm(tm)
    check_ax(ax, polar=True)
    az = _azimuths(tm)
    pattern, name = _pattern(tm, source, weights)
    bins = _freq_bins(tm, freqs_hz)
    rng = _db_range(db_range)
    ref = _reference_label(tm, reference)
    level = db(pattern[:, bins]).T  # (n_freqs_drawn, n_az)
    if normalize:
        level = level - np.max(level, axis=1, keepdims=True)
        top = 0.0
        unit = "dB re maximum"
    else:
        top = float(np.ceil(np.max(level) / 5.0) * 5.0)
        unit = ref
    bottom = top - rng
    level = np.maximum(level, bottom)
    theta = np.deg2rad(np.mod(az, 360.0))
    order = np.argsort(theta)
    theta, level = theta[order], level[:, order]
    step = np.min(np.diff(theta)) if theta.size > 1 else 0.0
    closed = theta.size > 2 and (theta[0] + 2 * np.pi - theta[-1]) <= 1.5 * step + 1e-9
    if closed:
        theta = np.append(theta, theta[0] + 2 * np.pi)
        level = np.concatenate([level, level[:, :1]], axis=1)
    if ax is None:
        _, ax = plt.subplots(subplot_kw={"projection": "polar"}, figsize=(5.0, 5.0))
    for i, b in enumerate(bins):
        ax.plot(theta, level[i], label=_format_hz(float(tm.freqs[b])))
    ax.set_theta_zero_location("N")
    ax.set_theta_direction(1)
    ax.set_rlim(bottom, top + 0.025 * rng)  # a little headroom keeps a 0 dB circle visible
    n_rings = 4 if rng % 4 == 0 else 5
    ticks = np.linspace(bottom, top, n_rings + 1)[1:]
    ax.set_rticks(ticks)
    ax.set_yticklabels([f"{t:g} dB" for t in ticks], fontsize="x-small")
    ax.set_rlabel_position(157.5)
    ax.set_thetagrids(
        np.arange(0, 360, 45), [f"{a}°" if a <= 180 else f"{a - 360}°" for a in range(0, 360, 45)]
    )
    ax.set_xlabel("azimuth (deg, device frame,\n+90 = device's left)", fontsize="small")
    ax.legend(
        title=f"{name}\nlevel ({_wrap(unit, 22)})",
        fontsize="small",
        title_fontsize="small",
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
    )
    return ax


def plot_level_map(
    tm: TransferMatrix,
    *,
    source: str | None = None,
    weights: npt.ArrayLike | None = None,
    ax: Axes | None = None,
    db_range: float = 40.0,
    normalize: bool = False,
    reference: str | None = None,
) -> Axes:
    """Plot the level over azimuth and frequency of one source, or of a weighted sum of sources.

    Parameters
    ----------
    tm : TransferMatrix
        An azimuth transfer matrix (:func:`acoustics.scene.azimuth_transfer`).
    source : str, optional
        The source (driver) to draw; may be omitted when ``tm`` has one source or ``weights`` are
        given.
    weights : (n_sources,) or (n_sources, n_freqs) array_like, optional
        Complex source weights, as in :func:`plot_polar`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes when omitted. A colorbar is added beside it.
    db_range : float, optional
        Colour range in dB, ending at the largest level.
    normalize : bool, optional
        If true, each frequency is in dB re its maximum over azimuth (the shape of the beam
        only); by default in dB of ``reference``.
    reference : str, optional
        The dB reference; by default :func:`level_reference`.

    Returns
    -------
    Axes
        Azimuth in degrees (device frame) on x, frequency in Hz on a log y axis (0 Hz skipped),
        level as a ``pcolormesh`` with a labelled colorbar.

    Examples
    --------
    >>> import numpy as np
    >>> from acoustics.sources.presets import smart_speaker
    >>> from acoustics.scene import azimuth_transfer
    >>> tm = azimuth_transfer(smart_speaker(), np.arange(-180, 180, 10), [250.0, 1000.0, 4000.0])
    >>> ax = plot_level_map(tm, source="left")
    >>> ax.get_ylabel()
    'frequency (Hz)'
    >>> plt.close(ax.figure)
    """
    _check_tm(tm)
    check_ax(ax)
    az = _azimuths(tm)
    pattern, name = _pattern(tm, source, weights)
    rng = _db_range(db_range)
    ref = _reference_label(tm, reference)
    keep = tm.freqs > 0
    if not np.any(keep):
        raise ValueError("tm must hold at least one frequency above 0 Hz to plot on a log axis")
    f = tm.freqs[keep]
    level = db(pattern[:, keep])  # (n_az, n_f)
    if normalize:
        level = level - np.max(level, axis=0, keepdims=True)
        unit = "dB re maximum over azimuth"
    else:
        unit = ref
    order = np.argsort(az)
    az, level = az[order], level[order]
    top = float(np.max(level))
    bottom = top - rng
    level = np.maximum(level, bottom)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 4.0), layout="constrained")
    mesh = ax.pcolormesh(
        _edges(az, log=False),
        _edges(f, log=True),
        level.T,
        vmin=bottom,
        vmax=top,
        cmap="viridis",
        shading="flat",
    )
    ax.set_yscale("log")
    ax.set_xlabel("azimuth (deg, device frame, +90 = device's left)")
    ax.set_ylabel("frequency (Hz)")
    if az[-1] - az[0] >= 180.0:
        start = np.ceil(az[0] / 90.0) * 90.0
        ax.set_xticks(np.arange(start, az[-1] + 1e-9, 90.0))
    ax.figure.colorbar(mesh, ax=ax, label=f"level ({unit})")
    ax.text(
        0.01,
        0.99,
        name,
        transform=ax.transAxes,
        ha="left",
        va="top",
        color="white",
        fontsize="small",
    )
    return ax


def plot_scene(
    scene: Scene,
    *,
    ax: Axes | None = None,
    inset: bool = True,
    inset_bounds: tuple[float, float, float, float] = (0.33, 0.5, 0.36, 0.4),
) -> Axes:
    """Plot a top view (world x-y) of a scene: the drivers and the listener or listener grid.

    Parameters
    ----------
    scene : Scene
        Device, listener (or :class:`~acoustics.scene.ListenerGrid`) and room.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes when omitted.
    inset : bool, optional
        Add a zoomed inset of the device with its driver names (default). A compact device is a
        few centimetres across in a scene metres wide, so its drivers are only legible there.
    inset_bounds : (x0, y0, width, height), optional
        Where the inset goes, in axes fractions; move it where it hides nothing of interest.

    Returns
    -------
    Axes
        Equal aspect, metres. Drivers are dots with arrows along their on-axis directions
        (projected on the horizontal plane; drivers facing up or down are marked ``up``/``down``);
        a listener is a head circle with a nose line and ``L``/``R`` ears; a grid shows each
        position with a tick towards where it looks.

    Examples
    --------
    >>> from acoustics.scene import default_scene
    >>> ax = plot_scene(default_scene())
    >>> ax.get_xlabel()
    'x (m, world)'
    >>> plt.close(ax.figure)
    """
    from acoustics.scene import Listener, Scene  # plot.py imports computation, never the reverse

    if not isinstance(scene, Scene):
        raise TypeError(f"scene must be a Scene, got {type(scene).__name__}")
    check_ax(ax)
    if not isinstance(inset, bool):
        raise TypeError(f"inset must be a bool, got {type(inset).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
    positions = scene.driver_positions
    orientations = np.stack([d.orientation for d in scene.device.drivers]) @ scene.device_rotation.T
    extent = float(np.max(np.linalg.norm(positions[:, :2] - scene.device_position[:2], axis=1)))
    extent = max(extent, 0.02)
    lis = scene.listener
    if isinstance(lis, Listener):
        heads = lis.position[None, :]
        yaws = np.array([lis.yaw_deg])
    else:
        heads = lis.positions
        yaws = lis.yaws_deg
    radius = lis.head.radius

    room = getattr(scene.room, "dimensions", None)
    if room is not None:
        dims = np.asarray(room, dtype=float)
        ax.add_patch(
            Rectangle((0.0, 0.0), dims[0], dims[1], fill=False, color="0.4", lw=1.0, label="room")
        )

    _draw_device(ax, scene, positions, orientations, extent, names=not inset)
    if isinstance(lis, Listener):
        _draw_listener(ax, lis)
    else:
        nose = np.stack([np.cos(np.deg2rad(yaws)), np.sin(np.deg2rad(yaws))], axis=1)
        ax.scatter(
            heads[:, 0],
            heads[:, 1],
            s=12,
            color="C1",
            zorder=3,
            label=f"listeners ({len(lis)}, {type(lis.head).__name__})",
        )
        ax.quiver(
            heads[:, 0],
            heads[:, 1],
            nose[:, 0],
            nose[:, 1],
            color="C1",
            angles="xy",
            scale_units="xy",
            scale=1.0 / (2.5 * radius),
            width=0.003,
            zorder=3,
        )

    pts = np.concatenate([positions[:, :2], heads[:, :2]], axis=0)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    if room is not None:
        lo, hi = np.minimum(lo, 0.0), np.maximum(hi, dims[:2])
    span = max(float(np.max(hi - lo)), 0.5)
    pad = 0.15 * span + 2.0 * radius
    lo, hi = lo - pad, hi + pad
    # A scene is often long and thin (device and listener on a line): widen the short side so the
    # equal-aspect axes stay at least 0.6 as tall as wide (or wide as tall), room for the inset.
    size = hi - lo
    want = np.maximum(size, 0.6 * size[::-1])
    lo, hi = lo - 0.5 * (want - size), hi + 0.5 * (want - size)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("x (m, world)")
    ax.set_ylabel("y (m, world)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", loc="lower left")

    if inset:
        zoom = ax.inset_axes(_check_bounds(inset_bounds))
        _draw_device(zoom, scene, positions, orientations, extent, names=True, legend=False)
        c = scene.device_position
        half = 2.2 * extent
        zoom.set_xlim(c[0] - half, c[0] + half)
        zoom.set_ylim(c[1] - half, c[1] + half)
        zoom.set_aspect("equal")
        zoom.tick_params(labelsize="xx-small")
        zoom.set_title(f"{scene.device.name} (top view)", fontsize="x-small")
        ax.indicate_inset_zoom(zoom, edgecolor="0.5")
    return ax


def _draw_device(ax, scene, positions, orientations, extent, *, names, legend=True) -> None:
    """Drivers as dots with on-axis arrows, the device outline as a circle of its extent."""
    c = scene.device_position
    ax.add_patch(Circle((c[0], c[1]), extent, fill=False, color="0.5", lw=0.8, ls="--"))
    ax.scatter(
        positions[:, 0],
        positions[:, 1],
        s=14,
        color="C0",
        zorder=4,
        label=f"drivers ({scene.device.name})" if legend else None,
    )
    arrow = 0.8 * extent
    vertical_seen = {}
    for d, driver in enumerate(scene.device.drivers):
        x, y = positions[d, 0], positions[d, 1]
        o = orientations[d]
        horizontal = np.hypot(o[0], o[1])
        if horizontal > 0.3:
            u = o[:2] / horizontal
            ax.annotate(
                "",
                xy=(x + arrow * u[0], y + arrow * u[1]),
                xytext=(x, y),
                arrowprops={"arrowstyle": "->", "color": "C0", "lw": 1.0},
                zorder=4,
            )
            if names:
                ax.annotate(
                    driver.name,
                    xy=(x + 1.1 * arrow * u[0], y + 1.1 * arrow * u[1]),
                    ha="left" if u[0] > 0.3 else "right" if u[0] < -0.3 else "center",
                    va="bottom" if u[1] > 0.3 else "top" if u[1] < -0.3 else "center",
                    fontsize="x-small",
                    color="C0",
                )
        elif names:
            key = (round(float(x), 4), round(float(y), 4))
            k = vertical_seen.get(key, 0)
            vertical_seen[key] = k + 1
            tag = "up" if o[2] > 0 else "down"
            # Drivers facing up or down project onto one point: stack their names to the left.
            ax.annotate(
                f"{driver.name} ({tag})",
                xy=(x, y),
                xytext=(-4, 3 - 9 * k),
                textcoords="offset points",
                ha="right",
                va="bottom",
                fontsize="x-small",
                color="C0",
            )


def _draw_listener(ax, lis) -> None:
    """Head circle, nose line and L/R ears of a single listener."""
    p = lis.position
    r = lis.head.radius
    yaw = np.deg2rad(lis.yaw_deg)
    nose = np.array([np.cos(yaw), np.sin(yaw)])
    ax.add_patch(
        Circle(
            (p[0], p[1]),
            r,
            fill=False,
            color="C1",
            lw=1.2,
            label=f"listener ({type(lis.head).__name__})",
        )
    )
    ax.plot([p[0], p[0] + 2.0 * r * nose[0]], [p[1], p[1] + 2.0 * r * nose[1]], color="C1", lw=1.2)
    ears = lis.ear_positions
    ax.scatter(ears[:, 0], ears[:, 1], s=10, color="C3", zorder=5)
    for e, tag in enumerate(("L", "R")):
        out = ears[e, :2] - p[:2]
        norm = np.linalg.norm(out)
        out = out / norm if norm > 0 else out
        ax.annotate(
            tag,
            xy=(ears[e, 0], ears[e, 1]),
            xytext=(8 * out[0], 8 * out[1]),
            textcoords="offset points",
            ha="center",
            va="center",
            fontsize="x-small",
            color="C3",
        )


def _check_bounds(bounds: object) -> tuple[float, float, float, float]:
    """Validate inset bounds (x0, y0, width, height) in axes fractions."""
    b = np.asarray(bounds, dtype=float) if not isinstance(bounds, str) else np.array([])
    if b.shape != (4,) or not np.all(np.isfinite(b)) or np.any(b[2:] <= 0):
        raise ValueError(
            f"inset_bounds must be (x0, y0, width, height) with positive size, got {bounds!r}"
        )
    return tuple(float(x) for x in b)  # type: ignore[return-value]
