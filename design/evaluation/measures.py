r"""What :func:`design.evaluation.evaluate` and :func:`design.evaluation.zones.zone_maps` share.

The systems compared and where they stand (:func:`comparison_systems`, :func:`intended_points`),
their stimuli (:func:`pan_stimuli`), every per-listener measure on one FFT grid
(:func:`measure_listeners`) and the sweet-spot test (:func:`sweet_spot_test`). The measures and
the rules are defined in :mod:`design.evaluation`; the segments in
:mod:`design.evaluation.segments`.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.metrics import (
    band_limits,
    clarity,
    direct_to_reverberant_ratio,
    interaural_cross_correlation,
)
from acoustics.metrics.localization import cue_table, localize_responses
from acoustics.scene import (
    Listener,
    ListenerGrid,
    Scene,
    ear_transfer,
    impulse_response_length,
    reference_scene,
)
from acoustics.validation import as_float_array, as_int, as_positive
from design.chain import (
    PATHS,
    Chain,
    filter_response,
    matrix_mixing_chain,
    path_signals,
    stereo_chain,
)
from design.evaluation.segments import (
    FADE_MS,
    band_separation,
    early_segment_end_ms,
    segment_windows,
    third_octave_bands,
)

__all__ = [
    "SYSTEMS",
    "pan_gains",
    "tangent_law_deg",
    "comparison_systems",
    "cancels_crosstalk",
    "intended_points",
    "seen_azimuths_deg",
    "fft_length",
    "listener_poses",
    "has_reverberation",
    "ear_transfer_grid",
    "pan_stimuli",
    "measure_listeners",
    "sweet_spot_test",
    "centre_directivity_factor",
    "band_t60",
    "critical_distance_in",
    "check_settings",
    "check_chain",
    "early_limits",
]

#: The systems every evaluation compares, in report order.
SYSTEMS: tuple[str, str, str] = ("chain", "matrix_mixing", "stereo_pair")
_NOISE_SECONDS = 2.0
_WELCH_SEGMENT = 2048
_CHUNK = 16  # listeners per vectorized pass: bounds memory for long room responses
_STIMULI = ("hard_left", "centre", "hard_right")


def pan_gains(pan: npt.ArrayLike) -> NDArray[np.float64]:
    """Constant-power gains ``(..., 2)`` for pan positions from 1 (hard left) to -1 (hard right)."""
    p = as_float_array(pan, "pan")
    if np.any(np.abs(p) > 1):
        raise ValueError("pan positions must lie in [-1, 1]")
    theta = (1.0 - p) * np.pi / 4.0
    return np.stack([np.cos(theta), np.sin(theta)], axis=-1)


def tangent_law_deg(gains: npt.ArrayLike, *, base_deg: float = 30.0) -> NDArray[np.float64]:
    """Phantom-source azimuth of the stereo tangent law for gains ``(..., 2)``.

    Examples
    --------
    >>> round(float(tangent_law_deg([1.0, 0.5])), 2)  # Bennett et al., JAES 33(5), 1985
    10.89
    """
    g = as_float_array(gains, "gains")
    if g.ndim < 1 or g.shape[-1] != 2:
        raise ValueError(f"gains must have shape (..., 2), got {g.shape}")
    if np.any(g < 0) or np.any(g.sum(axis=-1) <= 0):
        raise ValueError("gains must be non-negative and not both zero (amplitude panning)")
    ratio = (g[..., 0] - g[..., 1]) / (g[..., 0] + g[..., 1])
    return np.rad2deg(np.arctan(np.tan(np.deg2rad(base_deg)) * ratio))


# --- the systems -----------------------------------------------------------------------------


def comparison_systems(
    chain: Chain, scene: Scene, nominal: Listener
) -> dict[str, tuple[Chain, Scene]]:
    """Return the chain and the two comparisons, each with the scene it plays in.

    The reference pair is set up for the ``nominal`` listener and heard by the scene's.
    """
    pair_scene = reference_scene(dataclasses.replace(scene, listener=nominal))
    pair_scene = dataclasses.replace(pair_scene, listener=scene.listener)
    return {
        "chain": (chain, scene),
        "matrix_mixing": (matrix_mixing_chain(scene, fs=chain.fs), scene),
        "stereo_pair": (stereo_chain(pair_scene, fs=chain.fs), pair_scene),
    }


def cancels_crosstalk(system: Chain) -> bool:
    """Whether the sweet spot asks crosstalk cancellation of a system.

    A designed chain (:func:`design.chain.design_chain`, or one loaded from its exported
    filters) cancels crosstalk to present its virtual loudspeaker pair; the comparison chains do
    not.
    """
    return system.virtual is not None


def intended_points(system: Chain, scene: Scene, nominal: Listener) -> NDArray[np.float64]:
    """World positions ``(3, 3)`` a system intends for hard left, the centre and hard right.

    Parameters
    ----------
    system : Chain
        The system; a chain with a virtual pair (``system.virtual``) intends its
        virtual loudspeakers, any other its outermost left and right drivers.
    scene : Scene
        The scene it plays in (its device and device placement).
    nominal : Listener
        The listener it is set up for.

    Returns
    -------
    (3, 3) ndarray
        Rows: hard left, centre (the device origin), hard right; metres, world frame.
    """
    centre = scene.device_position
    if system.virtual is not None:
        theta = np.deg2rad(system.virtual.azimuth_deg)
        offset = centre - nominal.position
        pts = []
        for sign in (1.0, -1.0):  # counter-clockwise (+) is the listener's left
            c, s = np.cos(sign * theta), np.sin(sign * theta)
            rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
            pts.append(nominal.position + rot @ offset)
        return np.stack([pts[0], centre, pts[1]])
    y = scene.device.positions[:, 1]  # device frame: the listener's left is -y
    world = scene.driver_positions
    return np.stack([world[np.argmin(y)], centre, world[np.argmax(y)]])


def seen_azimuths_deg(points: NDArray, positions: NDArray, yaws: NDArray) -> NDArray[np.float64]:
    """Azimuths ``(n_listeners, n_points)`` of world points seen from each listener's frame."""
    d = points[None, :, :2] - positions[:, None, :2]
    az = np.rad2deg(np.arctan2(d[..., 1], d[..., 0])) - yaws[:, None]
    return (az + 180.0) % 360.0 - 180.0


def _upmix_responses(chain: Chain, gains: NDArray, freqs: NDArray) -> NDArray[np.complex128]:
    """Upmix response ``(n_stimuli, 3, n_freqs)`` to each panned stimulus, measured on noise."""
    n_stim = gains.shape[0]
    if chain.upmix is None:
        u = np.zeros((n_stim, len(PATHS), freqs.size), dtype=complex)
        u[:, :2, :] = gains[:, :, None]
        return u
    from scipy.signal import csd

    rng = np.random.default_rng(20261126)
    noise = rng.standard_normal(int(_NOISE_SECONDS * chain.fs))
    u = np.empty((n_stim, len(PATHS), freqs.size), dtype=complex)
    for i, g in enumerate(gains):
        paths = path_signals(chain, np.outer(g, noise))
        f, s_xp = csd(noise, paths, fs=chain.fs, nperseg=_WELCH_SEGMENT, axis=-1)
        _, s_xx = csd(noise, noise, fs=chain.fs, nperseg=_WELCH_SEGMENT)
        ratio = s_xp / np.real(s_xx)
        u[i] = np.array(
            [np.interp(freqs, f, r.real) + 1j * np.interp(freqs, f, r.imag) for r in ratio]
        )
    return u


#: Decay of the late tail, dB, that the evaluation grids hold (:func:`fft_length`).
EVALUATION_DECAY_DB = 30.0


def fft_length(chain: Chain, scene: Scene) -> int:
    """Return an FFT length holding the chain's filters and the scene's response, unwrapped.

    The comparisons' filters are shorter than the chain's, so one grid serves all three. In a
    room with a late tail the grid holds the tail until it has decayed by
    :data:`EVALUATION_DECAY_DB`; what follows (0.1 % of the reverberant energy) folds onto the
    grid's period, which changes the measures by hundredths of a dB and halves the cost.
    """
    from scipy.fft import next_fast_len

    taps = impulse_response_length(scene, chain.fs, decay_db=EVALUATION_DECAY_DB)
    return next_fast_len(chain.filters.shape[-1] + taps, real=True)


def listener_poses(scene: Scene) -> tuple[NDArray, NDArray, Any]:
    """Return positions ``(n, 3)``, yaws ``(n,)`` (deg) and the head of the scene's listeners."""
    lis = scene.listener
    if isinstance(lis, Listener):
        return lis.position[None, :], np.array([lis.yaw_deg]), lis.head
    return lis.positions, lis.yaws_deg, lis.head


def has_reverberation(scene: Scene) -> bool:
    """Whether the scene's responses have a reverberant part (a room with reflections)."""
    return scene.room is not None and scene.room.reverberant


# --- the measures ----------------------------------------------------------------------------


def _ipsi_first(x: NDArray) -> NDArray:
    """Put the ipsilateral ear first for ``(..., side, ear, ...)``: side 1 is hard right."""
    out = x.copy()
    out[:, 1] = x[:, 1, ::-1]
    return out


def _segment_bands(
    irs: NDArray, spectra: NDArray, fs: float, early: NDArray | None, centres: NDArray
) -> dict[str, NDArray]:
    """Band separation ``(n_lis, 2, n_bands)`` per segment of side responses ``(n_lis, 2, 2, n)``.

    ``spectra`` are the responses' full spectra (the *full* segment needs no window).
    """
    n = irs.shape[-1]
    freqs = np.fft.rfftfreq(n, 1.0 / fs)
    windows = segment_windows(irs, fs, early_ms=None if early is None else early[:, None])
    out = {"full": band_separation(_ipsi_first(spectra), freqs, centres)}
    for seg in ("direct", "early"):
        w = windows[seg]
        if w is None:  # no early limit: the early segment is the full response
            out[seg] = out["full"]
            continue
        spec = np.fft.rfft(irs * w[..., None, :], n, axis=-1)
        out[seg] = band_separation(_ipsi_first(spec), freqs, centres)
    return out


def _depth(ears: NDArray, fs: float, reverberant: bool) -> dict[str, NDArray | None]:
    """Early and late IACC, DRR and C50 of binaural responses ``(..., 2, n)``."""
    return {
        "iacc_early": interaural_cross_correlation(ears, fs, window_ms=(0.0, 80.0)),
        "iacc_late": (
            interaural_cross_correlation(ears, fs, window_ms=(80.0, np.inf))
            if reverberant
            else None
        ),
        **_room_depth(ears, fs, reverberant),
    }


def _room_depth(ears: NDArray, fs: float, reverberant: bool) -> dict[str, NDArray | None]:
    if not reverberant:
        return {"drr_db": None, "c50_db": None}
    return {
        "drr_db": np.mean(direct_to_reverberant_ratio(ears, fs), axis=-1),
        "c50_db": np.mean(clarity(ears, fs, split_ms=50.0), axis=-1),
    }


def ear_transfer_grid(scene: Scene, n_fft: int, fs: float) -> NDArray[np.complex128]:
    """Driver-to-ear transfer ``(n_listeners, 2, n_drivers, n_freqs)`` on the FFT grid."""
    positions, yaws, head = listener_poses(scene)
    grid = dataclasses.replace(scene, listener=ListenerGrid(positions, yaws, head))
    h = ear_transfer(grid, np.fft.rfftfreq(n_fft, 1.0 / fs)).H
    return h.reshape(-1, 2, h.shape[1], h.shape[2])


def pan_stimuli(system: Chain, pans: NDArray, n_fft: int) -> NDArray[np.complex128]:
    """Upmix response ``(n_pans, 3, n_fft // 2 + 1)`` to the pan sweep, on the FFT grid."""
    return _upmix_responses(system, pan_gains(pans), np.fft.rfftfreq(n_fft, 1.0 / system.fs))


def measure_listeners(
    system: Chain,
    scene: Scene,
    h_all: NDArray,
    u: NDArray,
    centres: NDArray,
    early: NDArray | None,
    *,
    with_centre_path: bool,
    full_detail: bool,
) -> dict[str, NDArray]:
    """Return every per-listener measure of a system from its ear transfer ``h_all``.

    ``h_all`` comes from :func:`ear_transfer_grid`.

    ``u`` is the upmix's response to the pan sweep (:func:`pan_stimuli`): it does not depend on the
    listener, so callers measure it once per system. ``early`` is the early limit per listener
    (ms) or None (the full response). ``full_detail`` adds the per-frequency separation curves
    and the depth measures that only :func:`evaluate` reports.
    """
    fs = system.fs
    n_fft = 2 * (h_all.shape[-1] - 1)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / fs)
    w = np.fft.rfft(system.filters, n_fft, axis=-1)  # (drivers, paths, F)
    # The virtual crosstalk the L/R paths carry on purpose, divided out to judge the CTC.
    v = None if system.virtual is None else system.virtual.crosstalk(freqs)
    v_inv = None if v is None else np.moveaxis(np.linalg.inv(np.moveaxis(v, -1, 0)), 0, -1)
    table = cue_table(listener_poses(scene)[2], fs=fs)
    reverberant = has_reverberation(scene)
    centre = u.shape[0] // 2
    out: dict[str, list] = {}
    for lo in range(0, h_all.shape[0], _CHUNK):
        h = h_all[lo : lo + _CHUNK]  # (n_lis, ears, drivers, F)
        lim = None if early is None else early[lo : lo + _CHUNK]
        p = np.einsum("ledf,dpf->lepf", h, w, optimize=True)  # path-to-ear
        t = np.einsum("lepf,spf->lsef", p, u, optimize=True)  # stimulus-to-ear
        lr = p[:, :, :2]  # (n_lis, ears, L/R paths, F)
        if v_inv is not None:
            lr = np.einsum("leif,ijf->lejf", lr, v_inv)
        ctc = np.moveaxis(lr, 2, 1)  # (n_lis, paths, ears, F)
        sides = t[:, [0, -1]]  # (n_lis, hard L / hard R, ears, F)
        ears = np.fft.irfft(t, n_fft, axis=-1)  # (n_lis, n_stim, 2, n)
        parts: dict[str, Any] = {}
        for key, spec in (("sep", sides), ("ctc", ctc)):
            irs = ears[:, [0, -1]] if key == "sep" else np.fft.irfft(spec, n_fft, axis=-1)
            for seg, value in _segment_bands(irs, spec, fs, lim, centres).items():
                parts[f"{key}.{seg}"] = value
        # The binaural model hears the whole response: it weighs the first wavefront itself.
        parts["azimuth_deg"] = localize_responses(ears, fs, table).azimuth_deg
        lr_ears = ears[:, [0, -1]]
        parts["hard.iacc_early"] = interaural_cross_correlation(lr_ears, fs, window_ms=(0.0, 80.0))
        parts["centre.drr_db"] = _room_depth(ears[:, centre], fs, reverberant)["drr_db"]
        if full_detail:
            parts["separation_db"] = 20.0 * np.log10(
                np.abs(_ipsi_first(sides)[:, :, 0]) / np.abs(_ipsi_first(sides)[:, :, 1])
            )
            parts["ctc_separation_db"] = 20.0 * np.log10(
                np.abs(_ipsi_first(ctc)[:, :, 0]) / np.abs(_ipsi_first(ctc)[:, :, 1])
            )
            for i, stim in ((0, "hard_left"), (-1, "hard_right")):
                for key, value in _depth(ears[:, i], fs, reverberant).items():
                    parts[f"{stim}.{key}"] = value
            parts["centre.c50_db"] = _room_depth(ears[:, centre], fs, reverberant)["c50_db"]
            if with_centre_path:
                path_ears = np.fft.irfft(p[:, :, 2], n_fft, axis=-1)
                parts["centre_path.iacc"] = interaural_cross_correlation(path_ears, fs)
                for key, value in _depth(path_ears, fs, reverberant).items():
                    if key != "iacc_late":
                        parts[f"centre_path.{key}"] = value
        for key, value in parts.items():
            out.setdefault(key, []).append(value)
    return {key: None if v[0] is None else np.concatenate(v, axis=0) for key, v in out.items()} | {
        "freqs": freqs
    }


def sweet_spot_test(
    az: NDArray,
    intended: NDArray,
    early_ctc_db: NDArray,
    cancels: bool,
    tolerances: dict[str, float],
) -> tuple[NDArray[np.bool_], dict[str, NDArray]]:
    """Sweet-spot test for azimuths ``(n, n_pans)`` against intended ``(n, 3)`` directions."""
    errors = {
        "hard_left_error_deg": az[:, 0] - intended[:, 0],
        "centre_error_deg": az[:, az.shape[1] // 2] - intended[:, 1],
        "hard_right_error_deg": az[:, -1] - intended[:, 2],
    }
    tol = tolerances["azimuth_tolerance_deg"]
    ok = (np.abs(errors["hard_left_error_deg"]) <= tol) & (
        np.abs(errors["hard_right_error_deg"]) <= tol
    )
    ok &= np.abs(errors["centre_error_deg"]) <= tolerances["centre_tolerance_deg"]
    if cancels:
        ok &= early_ctc_db >= tolerances["separation_min_db"]
    return ok, errors | {"early_ctc_separation_db": early_ctc_db}


def centre_directivity_factor(system: Chain, scene: Scene, band: tuple[float, float]) -> float:
    """Band-mean directivity factor of the driver feeds for the phantom centre."""
    from acoustics.freefield import sphere_transfer
    from acoustics.metrics import directivity_factor

    freqs = np.geomspace(band[0], band[1], 24)
    u = _upmix_responses(system, pan_gains(np.array([0.0])), freqs)[0]  # (paths, F)
    feeds = np.einsum("dpf,pf->df", filter_response(system, freqs), u)
    sphere = sphere_transfer(scene.device, freqs)
    return float(np.mean(directivity_factor(sphere, feeds)))


def band_t60(room, band: tuple[float, float]) -> float:
    """Eyring's T60 averaged over the octave bands that overlap ``band``, in seconds."""
    from acoustics.metrics import eyring_t60
    from acoustics.room import OCTAVE_BANDS_HZ

    t60 = eyring_t60(room.volume, room.wall_areas, room.absorption)
    centres = np.asarray(OCTAVE_BANDS_HZ)
    inside = (centres >= band[0] / np.sqrt(2)) & (centres <= band[1] * np.sqrt(2))
    return float(np.mean(t60[inside]))


def critical_distance_in(scene: Scene, q: float, band: tuple[float, float]) -> float | None:
    """Return the critical distance (m) for directivity factor ``q``; None in free field."""
    if scene.room is None:
        return None
    from acoustics.metrics import critical_distance

    room = scene.room
    return float(critical_distance(room.volume, band_t60(room, band), directivity_factor=q))


def check_settings(
    n_pans: int,
    band_hz: object,
    fs: float,
    *,
    early_ms: float | None,
    azimuth_tolerance_deg: float,
    centre_tolerance_deg: float,
    separation_min_db: float,
    precedence_ms: float | None,
) -> tuple[NDArray, dict[str, Any]]:
    """Check the settings of an evaluation; return the pan sweep and the settings dict."""
    n_pans = as_int(n_pans, "n_pans", 3)
    if n_pans % 2 == 0:
        raise ValueError(f"n_pans must be odd so that the sweep holds the centre, got {n_pans}")
    band = band_limits(band_hz, "band_hz", fs)
    try:
        centres = third_octave_bands(band, fs)
    except ValueError as exc:
        raise ValueError(f"band_hz: {exc}") from exc
    if early_ms is not None:
        early_ms = as_positive(early_ms, "early_ms")
        if early_ms < FADE_MS:
            raise ValueError(f"early_ms must be at least the {FADE_MS:g} ms fade, got {early_ms:g}")
    if precedence_ms is not None:
        warnings.warn(
            "precedence_ms is deprecated and has no effect: localization now judges the whole "
            "response with the precedence-aware acoustics.metrics.localization.localize_responses",
            DeprecationWarning,
            stacklevel=3,
        )
    settings = {
        "n_pans": int(n_pans),
        "band_hz": band,
        "band_centres_hz": centres,
        "early_ms": early_ms,
        "fade_ms": FADE_MS,
        "azimuth_tolerance_deg": as_positive(azimuth_tolerance_deg, "azimuth_tolerance_deg"),
        "centre_tolerance_deg": as_positive(centre_tolerance_deg, "centre_tolerance_deg"),
        "separation_min_db": as_positive(separation_min_db, "separation_min_db"),
    }
    return np.linspace(1.0, -1.0, int(n_pans)), settings


def check_chain(chain: object, scene: object) -> None:
    """Refuse a chain and a scene that do not belong together (names the argument)."""
    if not isinstance(chain, Chain):
        raise TypeError(f"chain must be a Chain, got {type(chain).__name__}")
    if not isinstance(scene, Scene):
        raise TypeError(f"scene must be a Scene, got {type(scene).__name__}")
    if tuple(chain.drivers) != tuple(scene.device.driver_names):
        raise ValueError(
            f"chain drives {chain.drivers}, but the scene's device has {scene.device.driver_names}"
        )


def early_limits(sys_scene: Scene, positions: NDArray, early_ms: float | None) -> NDArray | None:
    """Early limit per listener (ms): the given one, the side-wall rule, or None (free field)."""
    if early_ms is not None:
        return np.full(positions.shape[0], float(early_ms))
    return early_segment_end_ms(sys_scene, positions)
