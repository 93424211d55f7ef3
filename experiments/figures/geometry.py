r"""Figure 1: the stereo-angle geometry: a listener in the device's far field and the +-30 deg pair.

The default scene (:func:`acoustics.scene.default_scene`: the smart speaker at the world origin
facing +x, the listener 2 m in front facing it) and, around the same listener, the virtual
loudspeakers the chain imitates: the reference stereo pair of
:func:`acoustics.sources.presets.stereo_pair` (each loudspeaker ``base_deg`` off the listener's
nose, at the device's distance: the equilateral triangle of a hi-fi set-up for 30 deg), placed where
the device stands and turned like it.

What the figure claims, and :func:`compute` returns to check it:

* the virtual speakers are at :math:`\pm` ``base_deg`` seen from the listener (listener frame,
  azimuth counter-clockwise, +90 deg = the left ear; docs/conventions.md), the left one on the
  listener's left (world -y in the default scene);
* the device subtends a small angle, :math:`2\arctan(e / d)` for drivers within :math:`e` of
  its centre at distance :math:`d` (about 5 deg for the 8.75 cm smart speaker at 2 m): the
  listener is in its far field, and without processing the image collapses to the box.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from acoustics.scene import Listener, Scene, default_scene
from acoustics.validation import as_real
from experiments.figures._util import freeze, panels

__all__ = ["GeometryResult", "compute", "plot"]


@dataclass(frozen=True, eq=False)
class GeometryResult:
    """Positions (world frame, metres) and angles (degrees) of the stereo-angle geometry.

    Attributes
    ----------
    scene : Scene
        The device and the listener.
    listener_position : (3,) ndarray
        Head centre.
    listener_yaw_deg : float
        Where the nose points, counter-clockwise from world +x.
    device_position : (3,) ndarray
        Device origin.
    driver_positions : (n_drivers, 3) ndarray
        The device's drivers.
    virtual_positions : (2, 3) ndarray
        The virtual (left, right) loudspeakers.
    virtual_azimuths_deg : (2,) ndarray
        Their azimuths seen from the listener, in the listener's frame (+ = left).
    driver_azimuths_deg : (n_drivers,) ndarray
        The drivers' azimuths seen from the listener, likewise.
    device_subtended_deg : float
        Largest angle between two drivers seen from the head centre.
    distance_m : float
        Listener to device origin.
    base_deg : float
        The stereo half-angle asked for.
    """

    scene: Scene
    listener_position: NDArray[np.float64]
    listener_yaw_deg: float
    device_position: NDArray[np.float64]
    driver_positions: NDArray[np.float64]
    virtual_positions: NDArray[np.float64]
    virtual_azimuths_deg: NDArray[np.float64]
    driver_azimuths_deg: NDArray[np.float64]
    device_subtended_deg: float
    distance_m: float
    base_deg: float

    def __post_init__(self) -> None:
        freeze(self)


def _azimuths(listener: Listener, points: NDArray) -> NDArray[np.float64]:
    """Azimuths in degrees of world ``points`` ``(n, 3)`` in the listener's frame."""
    local = (points - listener.position) @ listener.rotation  # world -> listener frame
    return np.rad2deg(np.arctan2(local[:, 1], local[:, 0]))


def compute(scene: Scene | None = None, *, base_deg: float = 30.0) -> GeometryResult:
    """Place the device, the listener and the virtual +-``base_deg`` pair.

    Parameters
    ----------
    scene : Scene, optional
        One listener and a device; :func:`acoustics.scene.default_scene` by default.
    base_deg : float, optional
        Half the angle between the virtual loudspeakers seen by the listener, in (0, 90).

    Returns
    -------
    GeometryResult
    """
    from acoustics.sources.presets import stereo_pair

    scene = default_scene() if scene is None else scene
    if not isinstance(scene, Scene) or not isinstance(scene.listener, Listener):
        raise TypeError(f"scene must be a Scene with one Listener, got {scene!r:.80}")
    base = as_real(base_deg, "base_deg")
    if not 0.0 < base < 90.0:
        raise ValueError(f"base_deg must lie in (0, 90) degrees, got {base:g}")
    lis = scene.listener
    offset = lis.position - scene.device_position
    distance = float(np.linalg.norm(offset))
    # The pair's own frame puts the listener on its +x axis: turn it to face the listener.
    yaw = float(np.rad2deg(np.arctan2(offset[1], offset[0])))
    pair = dataclasses.replace(
        scene, device=stereo_pair(listener_distance=distance, angle_deg=base), device_yaw_deg=yaw
    )
    virtual = pair.driver_positions
    drivers = scene.driver_positions
    directions = drivers - lis.position
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    cosines = np.clip(directions @ directions.T, -1.0, 1.0)
    return GeometryResult(
        scene=scene,
        listener_position=lis.position,
        listener_yaw_deg=float(lis.yaw_deg),
        device_position=scene.device_position,
        driver_positions=drivers,
        virtual_positions=virtual,
        virtual_azimuths_deg=_azimuths(lis, virtual),
        driver_azimuths_deg=_azimuths(lis, drivers),
        device_subtended_deg=float(np.rad2deg(np.arccos(np.min(cosines)))),
        distance_m=distance,
        base_deg=base,
    )


def plot(result: GeometryResult, ax: Axes | Sequence[Axes] | None = None) -> Axes:
    """Draw the top view: device and listener (:func:`acoustics.plot.plot_scene`), virtual pair.

    Parameters
    ----------
    result : GeometryResult
        From :func:`compute`.
    ax : Axes, optional
        One panel; a new figure's when omitted.

    Returns
    -------
    Axes
        World x-y in metres, equal aspect; the virtual loudspeakers as squares joined to the
        listener, the angle of each marked, and the device's subtended angle in the legend.
    """
    from acoustics.plot import plot_scene

    if not isinstance(result, GeometryResult):
        raise TypeError(f"result must be a GeometryResult, got {type(result).__name__}")
    (ax,) = panels(ax, 1, figsize=(7.0, 5.6), name="figure 1")
    plot_scene(result.scene, ax=ax, inset_bounds=(0.64, 0.6, 0.33, 0.33))
    head = result.listener_position
    for k, (pos, az, side) in enumerate(
        zip(result.virtual_positions, result.virtual_azimuths_deg, ("left", "right"), strict=True)
    ):
        ax.plot(*zip(head[:2], pos[:2], strict=True), color="C2", ls="--", lw=1.0)
        ax.plot(
            pos[0],
            pos[1],
            "s",
            ms=11,
            mfc="none",
            mew=2,
            color="C2",
            label="virtual ±%g° pair (stereo_pair)" % result.base_deg if k == 0 else None,
        )
        ax.annotate(f"virtual {side}\n{az:+.1f}° from the listener", xy=(pos[0], pos[1]),
                    xytext=(0, -20 if pos[1] < head[1] else 14), textcoords="offset points",
                    ha="center", va="top" if pos[1] < head[1] else "bottom", fontsize="small",
                    color="C2")  # fmt: skip
    ax.plot(*zip(head[:2], result.device_position[:2], strict=True), color="0.5", lw=0.8, ls=":",
            label=f"device subtends {result.device_subtended_deg:.1f}° "
            f"at {result.distance_m:g} m")  # fmt: skip
    pts = np.vstack(
        [result.virtual_positions[:, :2], head[None, :2], result.driver_positions[:, :2]]
    )
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = 0.25 * float(np.max(hi - lo))
    ax.set_xlim(lo[0] - pad, hi[0] + pad)
    ax.set_ylim(lo[1] - pad, hi[1] + pad)
    ax.legend(fontsize="small", loc="lower right")
    ax.set_title("stereo-angle geometry: device, listener and the virtual pair (top view)")
    return ax
