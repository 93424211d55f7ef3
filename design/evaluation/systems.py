r"""Width, depth and listening zones of a chain in a scene, against the two comparisons.

:func:`evaluate` judges a :class:`~design.chain.Chain` in a "true" scene (which may differ from
the scene it was designed for: design on the rigid sphere in free field, evaluate on KEMAR in a
room) and always runs the same measures for matrix mixing on the same device
(:func:`design.chain.matrix_mixing_chain`) and for a reference stereo pair at +-30 deg in the same
room (:func:`design.chain.stereo_chain` on the pair). :func:`zone_maps` repeats the measures over a
grid of listening positions and head yaws.

Placement: every system is set up for the *nominal* listener (the scene's listener in
:func:`zone_maps`; ``nominal_listener``, by default the scene's listener, in :func:`evaluate`)
and stays fixed in the room when the listener moves. The reference pair stands at +-30 deg and
the nominal listener's distance from the nominal listener, centred on the device's position; a
chain's virtual loudspeakers are where its virtualizer puts them for the nominal listener.

How a system is measured
    The ear response of a stimulus is linear algebra on one FFT grid,

    .. math:: \mathbf t_s(f) = \mathbf H(f)\, \mathbf W(f)\, \mathbf u_s(f),

    with :math:`\mathbf H` the scene's driver-to-ear transfer, :math:`\mathbf W` the chain's
    filters (drivers x paths) and :math:`\mathbf u_s` the upmix's response to the stimulus: a
    noise panned with gains :math:`(g_L, g_R)` is upmixed by the chain's own upmix and
    :math:`\mathbf u_s = S_{x p} / S_{x x}` estimated per path (Welch, 2048-point segments). For a
    single panned source the side-decorrelated upmix is exactly linear (C = 0 unless
    :math:`g_L = g_R`), so the estimate is exact up to the segment resolution. The stimuli are a
    constant-power pan sweep from hard left to hard right, :math:`g_L = \cos\theta`,
    :math:`g_R = \sin\theta`, :math:`\theta = (1 - p)\pi/4` for pan positions
    :math:`p = 1 \dots -1`; the middle one is the phantom centre.

Segments (:mod:`design.evaluation.segments`)
    *direct* (onset -1 ms to +2.5 ms), *early* (onset -1 ms to just before the first side-wall
    reflection, or ``early_ms``; the whole response in free field) and *full*, cut in the time
    domain with 0.5 ms raised-cosine fades inside each segment.
Width
    Separation per segment: hard-left input at the left ear over the right ear (and the mirror
    for hard right), from 1/3-octave band energies over ``band_hz`` (500 Hz-4 kHz), with the
    median and the 10th percentile over the bands. A virtualizing chain puts the crosstalk of
    its virtual +-30 deg pair back on purpose, so at the ears it separates no more than a real
    pair; the *crosstalk cancellation* separation divides that intended crosstalk out (the L/R
    path responses times the inverse of the virtualizer's 2 x 2 response, as the chain applied
    it) and is what the sweet spot asks of. The per-frequency curves (``separation_db``) are of
    the full response. Perceived azimuth of every stimulus by
    :func:`acoustics.metrics.localization.localize_responses` on the whole response, with no cut:
    the model selects coherent cues at onsets itself (the precedence effect), so reflections pull
    the image only as far as they would pull a listener's. The width is the hard-left azimuth
    minus the hard-right one; the extent is the range over the sweep.
Sweet spot
    Where a listener hears what the system intends. Intended directions are fixed points in the
    room, seen from each listening position (horizontal azimuth in the listener's frame):

    - a system with a virtualizer (the chain): hard left and right at its virtual loudspeakers,
      placed at the virtualizer's angle and the nominal listener's distance around the nominal
      listener's axis to the device (the device's position rotated about the vertical through
      the nominal listener by +-angle);
    - a system without one (matrix mixing, and the stereo pair, whose drivers are its
      loudspeakers): its outermost left and right drivers (least and greatest device-frame y);
    - the phantom centre: the device's origin (the pair's is the device's position too).

    The criteria: hard left and hard right heard within ``azimuth_tolerance_deg`` (10 deg) of
    their intended directions, the phantom centre within ``centre_tolerance_deg`` (5 deg, the
    criterion of Wierstorf, Raake & Spors, AES 134th Convention, 2013) of its own; for a system
    that cancels crosstalk (a chain designed by :func:`design.chain.design_chain`), also an
    early-segment crosstalk-cancellation separation (median over bands) of at least
    ``separation_min_db`` (10 dB). No separation is asked of the stereo pair (its natural
    separation is about 6 dB) nor of matrix mixing.
Depth
    IACC (ISO 3382-1) of the hard-left and hard-right stimuli, early (0-80 ms after the direct
    sound) and late (80 ms to the end; None in free field); DRR (arrival peak +- 2.5 ms) and C50
    of the hard-left, hard-right and phantom-centre responses (mean over the ears in dB; None in
    free field, where there is no reverberant part), and the same with the IACCs for the centre
    path alone. The phantom centre's IACC is not reported: a symmetric centre is coherent for
    every system (0.998 in the demo room), so it tells nothing apart. In a room, the directivity
    factor :math:`Q` of the drivers' feeds for the centre stimulus, averaged over ``band_hz``,
    and the critical distance it buys, :math:`r_c = 0.057 \sqrt{Q V / T_{60}}` with Eyring's
    :math:`T_{60}` averaged over the octave bands in ``band_hz``.
Listening zones
    The same measures for every grid point, the sweet spot by the same rule; the centre bias is
    the perceived azimuth of the phantom centre minus the device's azimuth seen from the
    listener.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from acoustics.scene import Listener, Scene
from design.chain import Chain
from design.evaluation.measures import (
    SYSTEMS,
    cancels_crosstalk,
    centre_directivity_factor,
    check_chain,
    check_settings,
    comparison_systems,
    critical_distance_in,
    ear_transfer_grid,
    early_limits,
    fft_length,
    intended_points,
    listener_poses,
    measure_listeners,
    pan_gains,
    pan_stimuli,
    seen_azimuths_deg,
    sweet_spot_test,
    tangent_law_deg,
)
from design.evaluation.segments import SEGMENTS, BandSeparation, summarize_separation
from design.evaluation.zones import ZoneMap, zone_maps

__all__ = [
    "SYSTEMS",
    "SEGMENTS",
    "SystemMetrics",
    "Evaluation",
    "ZoneMap",
    "BandSeparation",
    "evaluate",
    "zone_maps",
    "intended_points",
    "pan_gains",
    "tangent_law_deg",
    "evaluation_to_dict",
]


@dataclass(frozen=True)
class SystemMetrics:
    """Width, depth and sweet-spot measures of one system at one listening position.

    Attributes
    ----------
    name : str
        ``"chain"``, ``"matrix_mixing"`` or ``"stereo_pair"``.
    freqs : (n_freqs,) ndarray
        Frequencies of ``separation_db``.
    separation_db : (2, n_freqs) ndarray
        Hard-left (row 0) and hard-right (row 1) ipsilateral over contralateral ear level of the
        full response, per frequency (for plots; the measures use band energies).
    ctc_separation_db : (2, n_freqs) ndarray
        The same for the L/R paths with the chain's intended virtual crosstalk divided out: the
        crosstalk cancellation achieved (equal to ``separation_db`` without a virtualizer).
    separation, ctc_separation : dict of str to BandSeparation
        Band separation at the ears and of the crosstalk cancellation per segment
        (``"direct"``, ``"early"``, ``"full"``).
    early_limit_ms : float or None
        End of the early segment after the onset (None: the full response, free field).
    pan_positions : (n_pans,) ndarray
        The sweep, 1 (hard left) to -1 (hard right).
    perceived_azimuth_deg : (n_pans,) ndarray
        Perceived azimuth of each pan position, listener frame (positive: left).
    width_deg, extent_deg : float
        Hard-left minus hard-right azimuth; range of azimuths over the sweep.
    centre_bias_deg : float
        Perceived phantom-centre azimuth minus the device's azimuth.
    intended_azimuth_deg : (3,) ndarray
        Intended directions of hard left, the centre and hard right, listener frame.
    cancels_crosstalk : bool
        Whether the sweet spot asks a crosstalk-cancellation separation of this system.
    sweet_spot : bool
        Whether this listening position meets every criterion.
    criteria : dict of str to float
        ``hard_left_error_deg``, ``hard_right_error_deg``, ``centre_error_deg`` (perceived minus
        intended) and ``early_ctc_separation_db`` (median over bands).
    depth : dict
        ``"hard_left"`` and ``"hard_right"``: ``iacc_early``, ``iacc_late``, ``drr_db``,
        ``c50_db``; ``"centre"``: ``drr_db``, ``c50_db``; ``"centre_path"`` (absent for a system
        without a centre path): ``iacc``, ``iacc_early``, ``drr_db``, ``c50_db``. None where the
        measure needs a reverberant part and the scene has none.
    directivity_factor : float
        Q of the centre stimulus's driver feeds over the band.
    critical_distance_m : float or None
        Critical distance in the room (None in free field).
    """

    name: str
    freqs: NDArray[np.float64]
    separation_db: NDArray[np.float64]
    ctc_separation_db: NDArray[np.float64]
    separation: dict[str, BandSeparation]
    ctc_separation: dict[str, BandSeparation]
    early_limit_ms: float | None
    pan_positions: NDArray[np.float64]
    perceived_azimuth_deg: NDArray[np.float64]
    width_deg: float
    extent_deg: float
    centre_bias_deg: float
    intended_azimuth_deg: NDArray[np.float64]
    cancels_crosstalk: bool
    sweet_spot: bool
    criteria: dict[str, float]
    depth: dict[str, dict[str, float | None]]
    directivity_factor: float
    critical_distance_m: float | None


@dataclass(frozen=True)
class Evaluation:
    """An evaluation: the scene, the settings and each system's metrics (:data:`SYSTEMS`)."""

    scene: Scene
    systems: dict[str, SystemMetrics]
    settings: dict[str, Any] = field(default_factory=dict)


def _float_or_none(value: NDArray | None) -> float | None:
    return None if value is None else float(value[0])


def evaluate(
    chain: Chain,
    scene: Scene,
    *,
    nominal_listener: Listener | None = None,
    n_pans: int = 9,
    band_hz: tuple[float, float] = (500.0, 4000.0),
    early_ms: float | None = None,
    azimuth_tolerance_deg: float = 10.0,
    centre_tolerance_deg: float = 5.0,
    separation_min_db: float = 10.0,
    precedence_ms: float | None = None,
) -> Evaluation:
    """Width and depth of a chain at the scene's listener, with matrix mixing and a stereo pair.

    Parameters
    ----------
    chain : Chain
        The design, for ``scene.device``.
    scene : Scene
        The true scene: one listener, free field or a room. Its head model is the listener's and
        the localization model's.
    nominal_listener : Listener, optional
        The listener the systems are set up for (the reference pair and the virtual loudspeakers
        are placed for it and stay fixed); the scene's listener by default. Give the design
        listener to judge a moved one.
    n_pans : int, optional
        Points of the pan sweep (odd, so that it holds the centre).
    band_hz : (float, float), optional
        Band of the separation (its 1/3-octave bands) and of the directivity factor, Hz.
    early_ms : float, optional
        End of the early segment after the onset, ms (positive, at least the 0.5 ms fade); by
        default just before the first side-wall reflection (the whole response in free field).
    azimuth_tolerance_deg, centre_tolerance_deg : float, optional
        Sweet spot: hard left and right, and the centre, within these of their intended
        directions (degrees, positive).
    separation_min_db : float, optional
        Sweet spot of a system that cancels crosstalk: early CTC separation at least this (dB,
        positive).
    precedence_ms : float, optional
        Deprecated, without effect (a ``DeprecationWarning``): the localization model judges the
        whole response and weighs the first wavefront itself.

    Returns
    -------
    Evaluation
        ``systems`` maps ``"chain"``, ``"matrix_mixing"`` and ``"stereo_pair"`` to
        :class:`SystemMetrics`.
    """
    check_chain(chain, scene)
    if not isinstance(scene.listener, Listener):
        raise ValueError("scene must have a single Listener; use zone_maps for a grid")
    nominal = scene.listener if nominal_listener is None else nominal_listener
    if not isinstance(nominal, Listener):
        raise TypeError(f"nominal_listener must be a Listener, got {type(nominal).__name__}")
    pans, settings = check_settings(
        n_pans,
        band_hz,
        chain.fs,
        early_ms=early_ms,
        azimuth_tolerance_deg=azimuth_tolerance_deg,
        centre_tolerance_deg=centre_tolerance_deg,
        separation_min_db=separation_min_db,
        precedence_ms=precedence_ms,
    )
    band, centres = settings["band_hz"], settings["band_centres_hz"]
    results = {}
    h_cache: dict[int, NDArray] = {}  # the chain and matrix mixing share their scene
    for name, (system, sys_scene) in comparison_systems(chain, scene, nominal).items():
        if id(sys_scene) not in h_cache:
            h_cache[id(sys_scene)] = ear_transfer_grid(
                sys_scene, fft_length(chain, sys_scene), chain.fs
            )
        h = h_cache[id(sys_scene)]
        u = pan_stimuli(system, pans, 2 * (h.shape[-1] - 1))
        positions, yaws, _ = listener_poses(sys_scene)
        early = early_limits(sys_scene, positions, settings["early_ms"])
        m = measure_listeners(
            system,
            sys_scene,
            h,
            u,
            centres,
            early,
            with_centre_path=name != "stereo_pair",
            full_detail=True,
        )
        az = m["azimuth_deg"][0]
        intended = seen_azimuths_deg(intended_points(system, sys_scene, nominal), positions, yaws)
        cancels = cancels_crosstalk(system)
        sep = {seg: summarize_separation(seg, m[f"sep.{seg}"][0], centres) for seg in SEGMENTS}
        ctc = {seg: summarize_separation(seg, m[f"ctc.{seg}"][0], centres) for seg in SEGMENTS}
        sweet, criteria = sweet_spot_test(
            az[None, :], intended, np.array([ctc["early"].median_db]), cancels, settings
        )
        q = centre_directivity_factor(system, sys_scene, band)
        depth = {
            part: {key: _float_or_none(m[f"{part}.{key}"]) for key in keys}
            for part, keys in (
                ("hard_left", ("iacc_early", "iacc_late", "drr_db", "c50_db")),
                ("hard_right", ("iacc_early", "iacc_late", "drr_db", "c50_db")),
                ("centre", ("drr_db", "c50_db")),
                ("centre_path", ("iacc", "iacc_early", "drr_db", "c50_db")),
            )
            if f"{part}.{keys[0]}" in m
        }
        results[name] = SystemMetrics(
            name=name,
            freqs=m["freqs"],
            separation_db=m["separation_db"][0],
            ctc_separation_db=m["ctc_separation_db"][0],
            separation=sep,
            ctc_separation=ctc,
            early_limit_ms=_float_or_none(early),
            pan_positions=pans,
            perceived_azimuth_deg=az,
            width_deg=float(az[0] - az[-1]),
            extent_deg=float(np.max(az) - np.min(az)),
            centre_bias_deg=float(criteria["centre_error_deg"][0]),
            intended_azimuth_deg=intended[0],
            cancels_crosstalk=cancels,
            sweet_spot=bool(sweet[0]),
            criteria={k: float(v[0]) for k, v in criteria.items()},
            depth=depth,
            directivity_factor=q,
            critical_distance_m=critical_distance_in(sys_scene, q, band),
        )
    settings["nominal_listener_position"] = nominal.position
    return Evaluation(scene, results, settings)


def _jsonable(value: Any) -> Any:
    """Floats and lists for JSON; infinities and NaN become None (JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value


def _separation_dict(sep: dict[str, BandSeparation]) -> dict[str, Any]:
    return {
        seg: {"median_db": s.median_db, "p10_db": s.p10_db, "band_db": s.band_db}
        for seg, s in sep.items()
    }


def evaluation_to_dict(evaluation: Evaluation, zones: dict[str, ZoneMap] | None = None) -> dict:
    """Return a JSON-ready summary: per system the scalar measures and pan sweep; zone areas."""
    out: dict[str, Any] = {"settings": _jsonable(evaluation.settings), "systems": {}}
    for name, s in evaluation.systems.items():
        out["systems"][name] = _jsonable(
            {
                "separation": _separation_dict(s.separation),
                "ctc_separation": _separation_dict(s.ctc_separation),
                "band_centres_hz": s.separation["full"].band_centres_hz,
                "early_limit_ms": s.early_limit_ms,
                "width_deg": s.width_deg,
                "extent_deg": s.extent_deg,
                "centre_bias_deg": s.centre_bias_deg,
                "pan_positions": s.pan_positions,
                "perceived_azimuth_deg": s.perceived_azimuth_deg,
                "intended_azimuth_deg": s.intended_azimuth_deg,
                "cancels_crosstalk": s.cancels_crosstalk,
                "sweet_spot": s.sweet_spot,
                "criteria": s.criteria,
                "depth": s.depth,
                "directivity_factor": s.directivity_factor,
                "critical_distance_m": s.critical_distance_m,
            }
        )
    if zones:
        out["zones"] = {
            name: _jsonable(
                {
                    "yaw_offsets_deg": z.yaw_offsets_deg,
                    "sweet_spot_area_m2": z.sweet_spot_area_m2,
                    "thresholds": z.thresholds,
                    "grid_x": z.x,
                    "grid_y": z.y,
                }
            )
            for name, z in zones.items()
        }
    return out
