r"""Listening zones: the measures of :func:`design.evaluation.evaluate` over a grid of positions.

The systems are set up for the scene's listener (the nominal one) and stay fixed in the room while
the listener moves over the grid; the sweet spot is tested at every point by the rule of
:mod:`design.evaluation`. The room transfer is computed once per scene and head yaw for all grid
points (the chain and matrix mixing share their scene), in chunks of listeners.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.scene import Listener, ListenerGrid, Scene
from acoustics.validation import as_float_array, as_int
from design.chain import Chain
from design.evaluation.measures import (
    cancels_crosstalk,
    check_chain,
    check_settings,
    comparison_systems,
    ear_transfer_grid,
    early_limits,
    fft_length,
    intended_points,
    measure_listeners,
    pan_stimuli,
    seen_azimuths_deg,
    sweet_spot_test,
)

__all__ = ["ZoneMap", "zone_maps"]


@dataclass(frozen=True)
class ZoneMap:
    """Measures of one system over a grid: arrays ``(n_yaws, n_x, n_y)``.

    Attributes
    ----------
    name : str
        The system.
    x, y : ndarray
        Grid coordinates in the world frame (metres).
    yaw_offsets_deg : (n_yaws,) ndarray
        Head yaw relative to facing the device.
    separation_db : ndarray
        Early-segment crosstalk-cancellation separation, median over bands (dB).
    centre_bias_deg, hard_left_error_deg, hard_right_error_deg : ndarray
        Perceived minus intended azimuth of the centre, hard left and hard right.
    width_deg : ndarray
        Perceived hard-left minus hard-right azimuth.
    iacc_early : ndarray
        Early IACC, mean of the hard-left and hard-right stimuli.
    drr_db : ndarray
        DRR of the phantom centre (NaN in free field).
    early_limit_ms : ndarray
        End of the early segment (NaN in free field: the full response).
    sweet_spot : ndarray of bool
        Where every criterion of the sweet spot holds.
    sweet_spot_area_m2 : (n_yaws,) ndarray
        Its area: the number of sweet grid points times the grid cell.
    thresholds : dict
        ``azimuth_tolerance_deg``, ``centre_tolerance_deg`` and ``separation_min_db`` (None when
        the system is not asked for separation).
    """

    name: str
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    yaw_offsets_deg: NDArray[np.float64]
    separation_db: NDArray[np.float64]
    centre_bias_deg: NDArray[np.float64]
    hard_left_error_deg: NDArray[np.float64]
    hard_right_error_deg: NDArray[np.float64]
    width_deg: NDArray[np.float64]
    iacc_early: NDArray[np.float64]
    drr_db: NDArray[np.float64]
    early_limit_ms: NDArray[np.float64]
    sweet_spot: NDArray[np.bool_]
    sweet_spot_area_m2: NDArray[np.float64]
    thresholds: dict[str, float | None]


@dataclass(frozen=True)
class _ZoneJob:
    """The measures of every system at some grid points and yaws (one part of a zone map)."""

    systems: dict
    nominal: Listener
    n_fft: dict
    stimuli: dict
    settings: dict

    def __call__(self, positions: NDArray, yaws: NDArray) -> dict[str, dict[str, NDArray]]:
        head = self.nominal.head
        h_by_scene: dict[int, NDArray] = {}  # the chain and matrix mixing share their scene
        out = {}
        for name, (system, sys_scene) in self.systems.items():
            try:
                grid_scene = dataclasses.replace(
                    sys_scene, listener=ListenerGrid(positions, yaws, head)
                )
            except ValueError as exc:
                raise ValueError(f"x, y: the grid does not fit the scene ({exc})") from exc
            if id(sys_scene) not in h_by_scene:
                h_by_scene[id(sys_scene)] = ear_transfer_grid(
                    grid_scene, self.n_fft[name], system.fs
                )
            h = h_by_scene[id(sys_scene)]
            early = early_limits(sys_scene, positions, self.settings["early_ms"])
            m = measure_listeners(
                system,
                grid_scene,
                h,
                self.stimuli[name],
                self.settings["band_centres_hz"],
                early,
                with_centre_path=False,
                full_detail=False,
            )
            az = m["azimuth_deg"]
            sep = np.median(np.mean(m["ctc.early"], axis=1), axis=-1)
            intended = seen_azimuths_deg(
                intended_points(system, sys_scene, self.nominal), positions, yaws
            )
            sweet, criteria = sweet_spot_test(
                az, intended, sep, cancels_crosstalk(system), self.settings
            )
            drr = m["centre.drr_db"]
            missing = np.full(positions.shape[0], np.nan)
            out[name] = {
                "sep": sep,
                "bias": criteria["centre_error_deg"],
                "left": criteria["hard_left_error_deg"],
                "right": criteria["hard_right_error_deg"],
                "width": az[:, 0] - az[:, -1],
                "iacc": np.mean(m["hard.iacc_early"], axis=1),
                "drr": missing if drr is None else drr,
                "early": missing if early is None else early,
                "sweet": sweet,
            }
        return out


def zone_maps(
    chain: Chain,
    scene: Scene,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    yaw_offsets_deg: npt.ArrayLike = (0.0,),
    separation_min_db: float = 10.0,
    azimuth_tolerance_deg: float = 10.0,
    centre_tolerance_deg: float = 5.0,
    band_hz: tuple[float, float] = (500.0, 4000.0),
    early_ms: float | None = None,
    precedence_ms: float | None = None,
    progress: bool = False,
    workers: int = 1,
) -> dict[str, ZoneMap]:
    """Width and depth measures over a grid of listening positions and head yaws.

    Parameters
    ----------
    chain : Chain
        The design, for ``scene.device``.
    scene : Scene
        The true scene; its listener is the nominal one: it gives the head model, and the
        systems are set up for it (the reference pair, the virtual loudspeakers) and stay fixed.
    x, y : 1-D array_like
        Grid coordinates in the world frame, metres, strictly increasing and evenly spaced (the
        sweet-spot area counts grid cells); the ears stay at the scene listener's height.
    yaw_offsets_deg : array_like, optional
        Head yaws relative to facing the device.
    separation_min_db, azimuth_tolerance_deg, centre_tolerance_deg, band_hz, early_ms
        The sweet-spot criteria and the measures' settings, as in :func:`evaluate`.
    precedence_ms : float, optional
        Deprecated, without effect.
    progress : bool, optional
        Show a progress bar over the work (yaws and parts of the grid); off by default (the
        command line turns it on).
    workers : int, optional
        Processes to share the grid among (1: all in this process). The maps do not depend on
        it: every grid point is computed alike wherever it runs.

    Returns
    -------
    dict of str to ZoneMap
        One map per system (:data:`SYSTEMS`).
    """
    from tqdm import tqdm

    check_chain(chain, scene)
    if not isinstance(scene.listener, Listener):
        raise ValueError("scene must have a single Listener (the nominal one)")
    xs, ys = (np.atleast_1d(as_float_array(v, name)) for v, name in ((x, "x"), (y, "y")))
    for v, name in ((xs, "x"), (ys, "y")):
        if v.ndim != 1 or v.size < 2:
            raise ValueError(
                f"{name} must be a 1-D grid of at least two points, got shape {v.shape}"
            )
        step = np.diff(v)
        if np.any(step <= 0) or not np.allclose(step, step[0], rtol=1e-6):
            raise ValueError(f"{name} must be strictly increasing and evenly spaced")
    yaw_off = np.atleast_1d(as_float_array(yaw_offsets_deg, "yaw_offsets_deg"))
    if yaw_off.ndim != 1 or yaw_off.size == 0:
        raise ValueError("yaw_offsets_deg must be a non-empty 1-D list of degrees")
    pans, settings = check_settings(
        3,
        band_hz,
        chain.fs,
        early_ms=early_ms,
        azimuth_tolerance_deg=azimuth_tolerance_deg,
        centre_tolerance_deg=centre_tolerance_deg,
        separation_min_db=separation_min_db,
        precedence_ms=precedence_ms,
    )
    workers = as_int(workers, "workers", 1)
    nominal = scene.listener
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    positions = np.column_stack([gx.ravel(), gy.ravel(), np.full(gx.size, nominal.position[2])])
    facing = scene.device_position[None, :2] - positions[:, :2]
    base_yaw = np.rad2deg(np.arctan2(facing[:, 1], facing[:, 0]))
    cell = float((xs[1] - xs[0]) * (ys[1] - ys[0]))
    shape = (yaw_off.size, xs.size, ys.size)
    systems = comparison_systems(chain, scene, nominal)
    n_fft = {name: fft_length(chain, sys_scene) for name, (_, sys_scene) in systems.items()}
    stimuli = {
        name: pan_stimuli(system, pans, n_fft[name]) for name, (system, _) in systems.items()
    }
    job = _ZoneJob(systems, nominal, n_fft, stimuli, settings)
    # The work in parts: each yaw, and the grid in pieces when processes share it.
    n_parts = 1 if workers == 1 else max(1, -(-2 * workers // yaw_off.size))
    bounds = np.linspace(0, positions.shape[0], n_parts + 1).astype(int)
    tasks = [
        (positions[lo:hi], base_yaw[lo:hi] + off)
        for off in yaw_off
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
        if hi > lo
    ]
    bar = tqdm(total=len(tasks), desc="zone maps", disable=not progress)
    parts = []
    if workers == 1:
        for task in tasks:
            parts.append(job(*task))
            bar.update()
    else:
        import concurrent.futures
        import multiprocessing

        # fork (where there is one) shares the caches already built; spawn elsewhere.
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            for part in pool.map(job, *zip(*tasks, strict=True)):
                parts.append(part)
                bar.update()
    fields = {
        name: {k: np.concatenate([part[name][k] for part in parts]) for k in parts[0][name]}
        for name in systems
    }
    maps = {}
    for name, (system, _) in systems.items():
        arr = {k: np.asarray(v).reshape(shape) for k, v in fields[name].items()}
        sweet = arr["sweet"].astype(bool)
        cancels = cancels_crosstalk(system)
        maps[name] = ZoneMap(
            name=name,
            x=xs,
            y=ys,
            yaw_offsets_deg=yaw_off,
            separation_db=arr["sep"],
            centre_bias_deg=arr["bias"],
            hard_left_error_deg=arr["left"],
            hard_right_error_deg=arr["right"],
            width_deg=arr["width"],
            iacc_early=arr["iacc"],
            drr_db=arr["drr"],
            early_limit_ms=arr["early"],
            sweet_spot=sweet,
            sweet_spot_area_m2=sweet.sum(axis=(1, 2)) * cell,
            thresholds={
                "azimuth_tolerance_deg": settings["azimuth_tolerance_deg"],
                "centre_tolerance_deg": settings["centre_tolerance_deg"],
                "separation_min_db": settings["separation_min_db"] if cancels else None,
            },
        )
    bar.close()
    return maps
