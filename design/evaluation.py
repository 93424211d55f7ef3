r"""Width, depth and listening zones of a chain in a scene, against the two comparisons.

:func:`evaluate` judges a :class:`~design.chain.Chain` in a "true" scene (which may differ from
the scene it was designed for: design on the rigid sphere in free field, evaluate on KEMAR in a
room) and always runs the same measures for matrix mixing on the same device
(:func:`design.chain.matrix_mixing_chain`) and for a reference stereo pair at +-30 deg in the same
room (:func:`design.chain.stereo_chain` on the pair). :func:`zone_maps` repeats the measures over a
grid of listening positions and head yaws.

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

Width
    Channel separation per frequency: hard-left input at the left ear over the right ear (and the
    mirror for hard right), in dB; band-averaged as the ratio of band energies over ``band_hz``
    (500 Hz-4 kHz). A virtualizing chain puts the crosstalk of its virtual +-30 deg pair back on
    purpose, so at the ears it separates no more than a real pair; the *crosstalk cancellation*
    separation divides that intended crosstalk out (the L/R path responses times the inverse of
    the virtualizer's 2 x 2 response, as the chain applied it) and is what the sweet spot asks of.
    Perceived azimuth of every stimulus by :func:`acoustics.localization.localize`
    on the first ``precedence_ms`` (5 ms) of the binaural impulse response after its onset: the
    first wavefront dominates localization in rooms (the precedence effect: localization
    dominance holds for reflections up to about 5 ms after a click, the echo threshold, and
    longer for speech: Litovsky et al., JASA 106(4), 1999). The width
    is the hard-left azimuth minus the hard-right one; the extent is the range over the sweep.
Depth
    IACC (whole response and early, 0-80 ms), DRR (arrival peak +- 2.5 ms) and C50 of the binaural
    impulse responses (averaged over the ears in dB) for the phantom centre through the whole
    system, and for the centre path alone. In a room, the directivity factor :math:`Q` of the
    drivers' feeds for the centre stimulus, averaged over ``band_hz``, and the critical distance
    it buys, :math:`r_c = 0.057 \sqrt{Q V / T_{60}}` with Eyring's :math:`T_{60}` averaged over
    the octave bands in ``band_hz``.
Listening zones
    The same measures for every grid point; the centre bias is the perceived azimuth of the
    phantom centre minus the device's azimuth seen from the listener; the sweet spot is where the
    crosstalk-cancellation separation reaches ``separation_min_db`` and the bias stays within
    ``centre_bias_max_deg``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics._validate import as_float_array, as_positive
from acoustics.localization import cue_table, localize
from acoustics.metrics import (
    _band_limits,
    arrival_index,
    clarity,
    direct_to_reverberant_ratio,
    interaural_cross_correlation,
)
from acoustics.scene import Listener, ListenerGrid, Scene, ear_transfer
from design.chain import (
    PATHS,
    Chain,
    _reference_scene,
    _room_taps,
    filter_response,
    matrix_mixing_chain,
    stereo_chain,
)

__all__ = [
    "SystemMetrics",
    "Evaluation",
    "ZoneMap",
    "evaluate",
    "zone_maps",
    "pan_gains",
    "tangent_law_deg",
    "evaluation_to_dict",
]

#: The systems every evaluation compares, in report order.
SYSTEMS: tuple[str, str, str] = ("chain", "matrix_mixing", "stereo_pair")
_NOISE_SECONDS = 2.0
_WELCH_SEGMENT = 2048
_CHUNK = 16  # listeners per vectorized pass: bounds memory for long room responses


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
    >>> round(float(tangent_law_deg([1.0, 0.5])), 2)      # REFERENCES.md
    10.89
    """
    g = as_float_array(gains, "gains")
    if g.ndim < 1 or g.shape[-1] != 2:
        raise ValueError(f"gains must have shape (..., 2), got {g.shape}")
    if np.any(g < 0) or np.any(g.sum(axis=-1) <= 0):
        raise ValueError("gains must be non-negative and not both zero (amplitude panning)")
    ratio = (g[..., 0] - g[..., 1]) / (g[..., 0] + g[..., 1])
    return np.rad2deg(np.arctan(np.tan(np.deg2rad(base_deg)) * ratio))


@dataclass(frozen=True)
class SystemMetrics:
    """Width and depth measures of one system at one listening position.

    Attributes
    ----------
    name : str
        ``"chain"``, ``"matrix_mixing"`` or ``"stereo_pair"``.
    freqs : (n_freqs,) ndarray
        Frequencies of ``separation_db``.
    separation_db : (2, n_freqs) ndarray
        Hard-left (row 0) and hard-right (row 1) ipsilateral over contralateral ear level.
    separation_band_db : float
        Band-energy separation over the evaluation band, mean of the two sides.
    ctc_separation_db : (2, n_freqs) ndarray
        The same for the L/R paths with the chain's intended virtual crosstalk divided out: the
        crosstalk cancellation achieved (equal to ``separation_db`` without a virtualizer).
    ctc_separation_band_db : float
        Its band average.
    pan_positions : (n_pans,) ndarray
        The sweep, 1 (hard left) to -1 (hard right).
    perceived_azimuth_deg : (n_pans,) ndarray
        Perceived azimuth of each pan position, listener frame (positive: left).
    width_deg, extent_deg : float
        Hard-left minus hard-right azimuth; range of azimuths over the sweep.
    centre_bias_deg : float
        Perceived phantom-centre azimuth minus the device's azimuth.
    depth : dict
        ``{"centre": {...}, "centre_path": {...}}`` with ``iacc``, ``iacc_early``, ``drr_db`` and
        ``c50_db``; ``"centre_path"`` is absent for a system without a centre path.
    directivity_factor : float
        Q of the centre stimulus's driver feeds over the band.
    critical_distance_m : float or None
        Critical distance in the room (None in free field).
    """

    name: str
    freqs: NDArray[np.float64]
    separation_db: NDArray[np.float64]
    separation_band_db: float
    ctc_separation_db: NDArray[np.float64]
    ctc_separation_band_db: float
    pan_positions: NDArray[np.float64]
    perceived_azimuth_deg: NDArray[np.float64]
    width_deg: float
    extent_deg: float
    centre_bias_deg: float
    depth: dict[str, dict[str, float]]
    directivity_factor: float
    critical_distance_m: float | None


@dataclass(frozen=True)
class Evaluation:
    """An evaluation: the scene, the settings and each system's metrics (:data:`SYSTEMS`)."""

    scene: Scene
    systems: dict[str, SystemMetrics]
    settings: dict[str, Any] = field(default_factory=dict)


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
    separation_db, centre_bias_deg, width_deg, iacc_early, drr_db : ndarray
        The measures at each point: the band crosstalk-cancellation separation, and
        ``iacc_early`` and ``drr_db`` for the phantom centre.
    sweet_spot : ndarray of bool
        Where separation and centre bias meet the thresholds.
    sweet_spot_area_m2 : (n_yaws,) ndarray
        Its area: the number of sweet grid points times the grid cell.
    thresholds : dict
        ``separation_min_db`` and ``centre_bias_max_deg``.
    """

    name: str
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    yaw_offsets_deg: NDArray[np.float64]
    separation_db: NDArray[np.float64]
    centre_bias_deg: NDArray[np.float64]
    width_deg: NDArray[np.float64]
    iacc_early: NDArray[np.float64]
    drr_db: NDArray[np.float64]
    sweet_spot: NDArray[np.bool_]
    sweet_spot_area_m2: NDArray[np.float64]
    thresholds: dict[str, float]


# --- the systems -----------------------------------------------------------------------------


def _systems(chain: Chain, scene: Scene) -> dict[str, tuple[Chain, Scene]]:
    """Return the chain and the two comparisons, each with the scene it plays in."""
    pair_scene = _reference_scene(scene)
    return {
        "chain": (chain, scene),
        "matrix_mixing": (matrix_mixing_chain(scene, fs=chain.fs), scene),
        "stereo_pair": (stereo_chain(pair_scene, fs=chain.fs), pair_scene),
    }


def _upmix_responses(chain: Chain, gains: NDArray, freqs: NDArray) -> NDArray[np.complex128]:
    """Upmix response ``(n_stimuli, 3, n_freqs)`` to each panned stimulus, measured on noise."""
    n_stim = gains.shape[0]
    if chain.upmix is None:
        u = np.zeros((n_stim, len(PATHS), freqs.size), dtype=complex)
        u[:, :2, :] = gains[:, :, None]
        return u
    from scipy.signal import csd

    from design.chain import _paths

    rng = np.random.default_rng(20261126)
    noise = rng.standard_normal(int(_NOISE_SECONDS * chain.fs))
    u = np.empty((n_stim, len(PATHS), freqs.size), dtype=complex)
    for i, g in enumerate(gains):
        paths = _paths(chain, np.outer(g, noise))
        f, s_xp = csd(noise, paths, fs=chain.fs, nperseg=_WELCH_SEGMENT, axis=-1)
        _, s_xx = csd(noise, noise, fs=chain.fs, nperseg=_WELCH_SEGMENT)
        ratio = s_xp / np.real(s_xx)
        u[i] = np.array(
            [np.interp(freqs, f, r.real) + 1j * np.interp(freqs, f, r.imag) for r in ratio]
        )
    return u


def _fft_length(chain: Chain, scene: Scene) -> int:
    """Return an FFT length holding the chain's filters and the scene's response, unwrapped.

    The comparisons' filters are shorter than the chain's, so one grid serves all three.
    """
    from scipy.fft import next_fast_len

    return next_fast_len(chain.filters.shape[-1] + _room_taps(scene, chain.fs), real=True)


def _listeners(scene: Scene) -> tuple[NDArray, NDArray, Any]:
    lis = scene.listener
    if isinstance(lis, Listener):
        return lis.position[None, :], np.array([lis.yaw_deg]), lis.head
    return lis.positions, lis.yaws_deg, lis.head


def _device_azimuth_deg(scene: Scene, positions: NDArray, yaws: NDArray) -> NDArray:
    """Azimuth of the device origin seen from each listener, in the listener's frame."""
    d = scene.device_position[None, :2] - positions[:, :2]
    az = np.rad2deg(np.arctan2(d[:, 1], d[:, 0])) - yaws
    return (az + 180.0) % 360.0 - 180.0


# --- the measures ----------------------------------------------------------------------------


def _virtual_crosstalk(system: Chain, freqs: NDArray) -> NDArray[np.complex128] | None:
    """Return the virtual crosstalk ``(2, 2, F)`` a chain's L/R paths carry on purpose, or None."""
    if "virtualizer" not in system.meta:
        return None
    from design.virtualization import iir_response

    weight = np.interp(freqs, system.meta["freqs"], system.meta["virtual_weight"])
    eye = np.eye(2)[:, :, None]
    return eye + weight * (iir_response(system.meta["virtualizer"], freqs).W - eye)


def _band_separation(sep_lin: NDArray, freqs: NDArray, band: tuple[float, float]) -> NDArray:
    """Return band-energy ratios in dB of ipsi/contra pressure pairs ``(..., 2, F)``."""
    inside = (freqs >= band[0]) & (freqs <= band[1])
    e = np.sum(np.abs(sep_lin[..., inside]) ** 2, axis=-1)
    return 10.0 * np.log10(e[..., 0] / e[..., 1])


def _precedence_window(ears: NDArray, fs: float, precedence_ms: float) -> NDArray:
    """Binaural responses ``(..., 2, n)`` cut to 1 ms before to ``precedence_ms`` after onset."""
    energy = np.sum(ears**2, axis=-2)
    onset = arrival_index(energy, fs)
    pre = int(round(1e-3 * fs))
    length = pre + int(round(precedence_ms * 1e-3 * fs))
    start = np.maximum(onset - pre, 0)
    start = np.minimum(start, ears.shape[-1] - length)
    idx = start[..., None] + np.arange(length)
    cut = np.take_along_axis(
        ears, np.broadcast_to(idx[..., None, :], ears.shape[:-1] + (length,)), axis=-1
    )
    # A half-millisecond raised-cosine fade at each end keeps the window from adding cues.
    ramp = int(round(0.5e-3 * fs))
    taper = np.ones(length)
    fade = 0.5 - 0.5 * np.cos(np.pi * (np.arange(ramp) + 0.5) / ramp)
    taper[:ramp], taper[-ramp:] = fade, fade[::-1]
    return cut * taper


def _depth(ears: NDArray, fs: float) -> dict[str, NDArray]:
    """IACC, early IACC, DRR and C50 of binaural responses ``(..., 2, n)``."""
    return {
        "iacc": interaural_cross_correlation(ears, fs),
        "iacc_early": interaural_cross_correlation(ears, fs, window_ms=(0.0, 80.0)),
        "drr_db": np.mean(direct_to_reverberant_ratio(ears, fs), axis=-1),
        "c50_db": np.mean(clarity(ears, fs, split_ms=50.0), axis=-1),
    }


def _ear_h(scene: Scene, n_fft: int, fs: float) -> NDArray[np.complex128]:
    """Driver-to-ear transfer ``(n_listeners, 2, n_drivers, n_freqs)`` on the FFT grid."""
    positions, yaws, head = _listeners(scene)
    grid = dataclasses.replace(scene, listener=ListenerGrid(positions, yaws, head))
    h = ear_transfer(grid, np.fft.rfftfreq(n_fft, 1.0 / fs)).H
    return h.reshape(-1, 2, h.shape[1], h.shape[2])


def _stimuli(system: Chain, pans: NDArray, n_fft: int) -> NDArray[np.complex128]:
    """Upmix response ``(n_pans, 3, n_fft // 2 + 1)`` to the pan sweep, on the FFT grid."""
    return _upmix_responses(system, pan_gains(pans), np.fft.rfftfreq(n_fft, 1.0 / system.fs))


def _measure(
    system: Chain,
    scene: Scene,
    h_all: NDArray,
    u: NDArray,
    band: tuple[float, float],
    precedence_ms: float,
    with_centre_path: bool,
) -> dict[str, NDArray]:
    """Every per-listener measure of a system from its ear transfer ``h_all`` (:func:`_ear_h`).

    ``u`` is the upmix's response to the pan sweep (:func:`_stimuli`): it does not depend on the
    listener, so callers measure it once per system.
    """
    fs = system.fs
    n_fft = 2 * (h_all.shape[-1] - 1)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / fs)
    w = np.fft.rfft(system.filters, n_fft, axis=-1)  # (drivers, paths, F)
    v = _virtual_crosstalk(system, freqs)
    v_inv = None if v is None else np.moveaxis(np.linalg.inv(np.moveaxis(v, -1, 0)), 0, -1)
    table = cue_table(_listeners(scene)[2], fs=fs)
    centre = u.shape[0] // 2
    out: dict[str, list] = {}
    for lo in range(0, h_all.shape[0], _CHUNK):
        h = h_all[lo : lo + _CHUNK]  # (n_lis, ears, drivers, F)
        p = np.einsum("ledf,dpf->lepf", h, w, optimize=True)  # path-to-ear
        t = np.einsum("lepf,spf->lsef", p, u, optimize=True)  # stimulus-to-ear
        lr = p[:, :, :2]  # (n_lis, ears, L/R paths, F)
        if v_inv is not None:
            lr = np.einsum("leif,ijf->lejf", lr, v_inv)
        ctc = np.stack(
            [np.stack([lr[:, 0, 0], lr[:, 1, 0]], 1), np.stack([lr[:, 1, 1], lr[:, 0, 1]], 1)], 1
        )
        sep = np.stack(
            [np.stack([t[:, 0, 0], t[:, 0, 1]], 1), np.stack([t[:, -1, 1], t[:, -1, 0]], 1)], 1
        )  # (n_lis, sides, [ipsi, contra], F)
        ears = np.fft.irfft(t, n_fft, axis=-1)  # (n_lis, n_stim, 2, n)
        loc = localize(_precedence_window(ears, fs, precedence_ms), fs, table)
        parts = {
            "separation_db": 20.0 * np.log10(np.abs(sep[:, :, 0]) / np.abs(sep[:, :, 1])),
            "separation_band_db": np.mean(_band_separation(sep, freqs, band), axis=1),
            "ctc_separation_db": 20.0 * np.log10(np.abs(ctc[:, :, 0]) / np.abs(ctc[:, :, 1])),
            "ctc_separation_band_db": np.mean(_band_separation(ctc, freqs, band), axis=1),
            "azimuth_deg": loc.azimuth_deg,
        }
        for key, value in _depth(ears[:, centre], fs).items():
            parts[f"centre.{key}"] = value
        if with_centre_path:
            path_ears = np.fft.irfft(p[:, :, 2], n_fft, axis=-1)
            for key, value in _depth(path_ears, fs).items():
                parts[f"centre_path.{key}"] = value
        for key, value in parts.items():
            out.setdefault(key, []).append(value)
    return {key: np.concatenate(v, axis=0) for key, v in out.items()} | {"freqs": freqs}


def _directivity(system: Chain, scene: Scene, band: tuple[float, float]) -> float:
    """Band-mean directivity factor of the driver feeds for the phantom centre."""
    from acoustics.freefield import sphere_transfer
    from acoustics.metrics import directivity_factor

    freqs = np.geomspace(band[0], band[1], 24)
    u = _upmix_responses(system, pan_gains(np.array([0.0])), freqs)[0]  # (paths, F)
    feeds = np.einsum("dpf,pf->df", filter_response(system, freqs), u)
    sphere = sphere_transfer(scene.device, freqs)
    return float(np.mean(directivity_factor(sphere, feeds)))


def _band_t60(room, band: tuple[float, float]) -> float:
    """Eyring's T60 averaged over the octave bands that overlap ``band``, in seconds."""
    from acoustics.metrics import eyring_t60
    from acoustics.room import OCTAVE_BANDS_HZ

    t60 = eyring_t60(room.volume, room.wall_areas, room.absorption)
    centres = np.asarray(OCTAVE_BANDS_HZ)
    inside = (centres >= band[0] / np.sqrt(2)) & (centres <= band[1] * np.sqrt(2))
    return float(np.mean(t60[inside]))


def _critical_distance(scene: Scene, q: float, band: tuple[float, float]) -> float | None:
    if scene.room is None:
        return None
    from acoustics.metrics import critical_distance

    room = scene.room
    return float(critical_distance(room.volume, _band_t60(room, band), directivity_factor=q))


# --- the public entry points -----------------------------------------------------------------


def _settings(
    n_pans: int, band_hz: object, precedence_ms: float, fs: float
) -> tuple[NDArray, tuple[float, float], float]:
    if isinstance(n_pans, bool) or not isinstance(n_pans, (int, np.integer)) or n_pans < 3:
        raise ValueError(f"n_pans must be an odd integer >= 3, got {n_pans!r}")
    if n_pans % 2 == 0:
        raise ValueError(f"n_pans must be odd so that the sweep holds the centre, got {n_pans}")
    lo, hi = _band_limits(band_hz, "band_hz", fs)
    prec = as_positive(precedence_ms, "precedence_ms")
    if prec < 2.0:
        raise ValueError(f"precedence_ms must be at least 2 ms (1 ms fades), got {prec:g}")
    return np.linspace(1.0, -1.0, int(n_pans)), (lo, hi), prec


def _check_chain(chain: object, scene: object) -> None:
    if not isinstance(chain, Chain):
        raise TypeError(f"chain must be a Chain, got {type(chain).__name__}")
    if not isinstance(scene, Scene):
        raise TypeError(f"scene must be a Scene, got {type(scene).__name__}")
    if tuple(chain.drivers) != tuple(scene.device.driver_names):
        raise ValueError(
            f"chain drives {chain.drivers}, but the scene's device has {scene.device.driver_names}"
        )


def evaluate(
    chain: Chain,
    scene: Scene,
    *,
    n_pans: int = 9,
    band_hz: tuple[float, float] = (500.0, 4000.0),
    precedence_ms: float = 5.0,
) -> Evaluation:
    """Width and depth of a chain at the scene's listener, with matrix mixing and a stereo pair.

    Parameters
    ----------
    chain : Chain
        The design, for ``scene.device``.
    scene : Scene
        The true scene: one listener, free field or a room. Its head model is the listener's and
        the localization model's.
    n_pans : int, optional
        Points of the pan sweep (odd, so that it holds the centre).
    band_hz : (float, float), optional
        Band of the averaged separation and of the directivity factor.
    precedence_ms : float, optional
        Length of the binaural response the localization model hears after the onset.

    Returns
    -------
    Evaluation
        ``systems`` maps ``"chain"``, ``"matrix_mixing"`` and ``"stereo_pair"`` to
        :class:`SystemMetrics`.
    """
    _check_chain(chain, scene)
    if not isinstance(scene.listener, Listener):
        raise ValueError("scene must have a single Listener; use zone_maps for a grid")
    pans, band, prec = _settings(n_pans, band_hz, precedence_ms, chain.fs)
    results = {}
    h_cache: dict[int, NDArray] = {}  # the chain and matrix mixing share their scene
    for name, (system, sys_scene) in _systems(chain, scene).items():
        if id(sys_scene) not in h_cache:
            h_cache[id(sys_scene)] = _ear_h(sys_scene, _fft_length(chain, sys_scene), chain.fs)
        h = h_cache[id(sys_scene)]
        u = _stimuli(system, pans, 2 * (h.shape[-1] - 1))
        m = _measure(system, sys_scene, h, u, band, prec, name != "stereo_pair")
        az = m["azimuth_deg"][0]
        positions, yaws, _ = _listeners(sys_scene)
        device_az = float(_device_azimuth_deg(scene, positions, yaws)[0])
        q = _directivity(system, sys_scene, band)
        depth = {
            part: {
                key: float(m[f"{part}.{key}"][0])
                for key in ("iacc", "iacc_early", "drr_db", "c50_db")
            }
            for part in ("centre", "centre_path")
            if f"{part}.iacc" in m
        }
        results[name] = SystemMetrics(
            name=name,
            freqs=m["freqs"],
            separation_db=m["separation_db"][0],
            separation_band_db=float(m["separation_band_db"][0]),
            ctc_separation_db=m["ctc_separation_db"][0],
            ctc_separation_band_db=float(m["ctc_separation_band_db"][0]),
            pan_positions=pans,
            perceived_azimuth_deg=az,
            width_deg=float(az[0] - az[-1]),
            extent_deg=float(np.max(az) - np.min(az)),
            centre_bias_deg=float(az[pans.size // 2] - device_az),
            depth=depth,
            directivity_factor=q,
            critical_distance_m=_critical_distance(sys_scene, q, band),
        )
    settings = {"n_pans": int(n_pans), "band_hz": band, "precedence_ms": prec}
    return Evaluation(scene, results, settings)


def zone_maps(
    chain: Chain,
    scene: Scene,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    yaw_offsets_deg: npt.ArrayLike = (0.0,),
    separation_min_db: float = 10.0,
    centre_bias_max_deg: float = 5.0,
    band_hz: tuple[float, float] = (500.0, 4000.0),
    precedence_ms: float = 5.0,
    progress: bool = True,
) -> dict[str, ZoneMap]:
    """Width and depth measures over a grid of listening positions and head yaws.

    Parameters
    ----------
    chain : Chain
        The design, for ``scene.device``.
    scene : Scene
        The true scene; its listener gives the head model and places the reference stereo pair.
    x, y : 1-D array_like
        Grid coordinates in the world frame, metres, strictly increasing and evenly spaced (the
        sweet-spot area counts grid cells); the ears stay at the scene listener's height.
    yaw_offsets_deg : array_like, optional
        Head yaws relative to facing the device.
    separation_min_db : float, optional
        Sweet spot: band separation at least this (dB, positive).
    centre_bias_max_deg : float, optional
        Sweet spot: phantom centre within this many degrees of the device (positive).
    band_hz, precedence_ms
        As in :func:`evaluate`.
    progress : bool, optional
        Show a progress bar over systems and yaws.

    Returns
    -------
    dict of str to ZoneMap
        One map per system (:data:`SYSTEMS`).
    """
    from tqdm import tqdm

    _check_chain(chain, scene)
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
    sep_min = as_positive(separation_min_db, "separation_min_db")
    bias_max = as_positive(centre_bias_max_deg, "centre_bias_max_deg")
    pans, band, prec = _settings(3, band_hz, precedence_ms, chain.fs)
    head = scene.listener.head
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    positions = np.column_stack(
        [gx.ravel(), gy.ravel(), np.full(gx.size, scene.listener.position[2])]
    )
    facing = scene.device_position[None, :2] - positions[:, :2]
    base_yaw = np.rad2deg(np.arctan2(facing[:, 1], facing[:, 0]))
    cell = float((xs[1] - xs[0]) * (ys[1] - ys[0]))
    shape = (yaw_off.size, xs.size, ys.size)
    maps = {}
    bar = tqdm(total=len(SYSTEMS) * yaw_off.size, desc="zone maps", disable=not progress)
    systems = _systems(chain, scene)
    n_fft = {name: _fft_length(chain, sys_scene) for name, (_, sys_scene) in systems.items()}
    stimuli = {name: _stimuli(system, pans, n_fft[name]) for name, (system, _) in systems.items()}
    fields = {name: {k: [] for k in ("sep", "bias", "width", "iacc", "drr")} for name in systems}
    for off in yaw_off:
        h_by_scene: dict[int, NDArray] = {}  # the chain and matrix mixing share their scene
        for name, (system, sys_scene) in systems.items():
            try:
                grid_scene = dataclasses.replace(
                    sys_scene, listener=ListenerGrid(positions, base_yaw + off, head)
                )
            except ValueError as exc:
                raise ValueError(f"x, y: the grid does not fit the scene ({exc})") from exc
            if id(sys_scene) not in h_by_scene:
                h_by_scene[id(sys_scene)] = _ear_h(grid_scene, n_fft[name], system.fs)
            h = h_by_scene[id(sys_scene)]
            m = _measure(system, grid_scene, h, stimuli[name], band, prec, False)
            device_az = _device_azimuth_deg(scene, positions, base_yaw + off)
            f = fields[name]
            f["sep"].append(m["ctc_separation_band_db"])
            f["bias"].append(m["azimuth_deg"][:, 1] - device_az)
            f["width"].append(m["azimuth_deg"][:, 0] - m["azimuth_deg"][:, -1])
            f["iacc"].append(m["centre.iacc_early"])
            f["drr"].append(m["centre.drr_db"])
            bar.update()
    for name in systems:
        arr = {k: np.asarray(v).reshape(shape) for k, v in fields[name].items()}
        sweet = (arr["sep"] >= sep_min) & (np.abs(arr["bias"]) <= bias_max)
        maps[name] = ZoneMap(
            name=name,
            x=xs,
            y=ys,
            yaw_offsets_deg=yaw_off,
            separation_db=arr["sep"],
            centre_bias_deg=arr["bias"],
            width_deg=arr["width"],
            iacc_early=arr["iacc"],
            drr_db=arr["drr"],
            sweet_spot=sweet,
            sweet_spot_area_m2=sweet.sum(axis=(1, 2)) * cell,
            thresholds={"separation_min_db": sep_min, "centre_bias_max_deg": bias_max},
        )
    bar.close()
    return maps


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


def evaluation_to_dict(evaluation: Evaluation, zones: dict[str, ZoneMap] | None = None) -> dict:
    """Return a JSON-ready summary: per system the scalar measures and pan sweep; zone areas."""
    out: dict[str, Any] = {"settings": _jsonable(evaluation.settings), "systems": {}}
    for name, s in evaluation.systems.items():
        out["systems"][name] = _jsonable(
            {
                "separation_band_db": s.separation_band_db,
                "ctc_separation_band_db": s.ctc_separation_band_db,
                "width_deg": s.width_deg,
                "extent_deg": s.extent_deg,
                "centre_bias_deg": s.centre_bias_deg,
                "pan_positions": s.pan_positions,
                "perceived_azimuth_deg": s.perceived_azimuth_deg,
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
