r"""The rendering chain: stereo in, one feed per driver out.

The five steps of docs/architecture.md, "The signal chain".

A :class:`Chain` holds everything needed to render: the upmix settings and one FIR filter per driver
and path, for the three paths left, right and centre, already phase-aligned, so rendering is

.. math:: y_d = \sum_{p \in \{L, R, C\}} h_{d,p} * x_p, \qquad (x_L, x_R, x_C) = \mathrm{upmix}(s).

:func:`design_chain` builds it for a :class:`~acoustics.scene.Scene` from the designs of
:mod:`design.filters.virtualization`, :mod:`design.filters.ctc` and
:mod:`design.filters.beamforming` (designed on the scene's direct sound, i.e. the scene without its
room: the room is what the evaluation judges them in). The comparison chains are chains too:
:func:`matrix_mixing_chain` and :func:`stereo_chain`. :func:`render` renders offline
(:func:`design.render.convolution.convolve`), and :class:`design.render.streaming.StreamingRenderer`
in blocks, equal to offline after the upmix's latency.
:func:`design.evaluation.preview.binaural_preview` gives the ear signals of the scene's listener
for a chain and for a reference stereo pair in the same room.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.geometry import DEFAULT_FS
from acoustics.scene import Listener, Scene, azimuth_transfer, ear_transfer
from acoustics.validation import as_int, as_positive
from design.render.audio import as_audio
from design.render.convolution import Precision, convolve

if TYPE_CHECKING:  # the filter and upmix modules are imported where they are used
    from design.filters.virtualization import Virtualizer
    from design.render.upmix import UpmixMethod

__all__ = [
    "Chain",
    "DesignTargets",
    "VirtualPair",
    "SHORTFALL_MARGIN_DB",
    "PATHS",
    "design_chain",
    "midrange_target_db",
    "render",
    "path_signals",
    "filter_response",
    "stereo_chain",
    "matrix_mixing_chain",
]

#: Keywords of :func:`design.filters.beamforming.null_beam` that
#: ``design_chain(beam_options=...)`` passes.
_BEAM_OPTIONS = (
    "null_depth_db",
    "lobe_half_width_deg",
    "lobe_tolerance_db",
    "null_width_deg",
    "wng_floor_db",
)

#: The chain's paths (the upmix outputs), in filter order.
PATHS: tuple[str, str, str] = ("left", "right", "centre")


#: A requested separation counts as met within this margin (dB); further short, design_chain warns.
SHORTFALL_MARGIN_DB = 1.0


@dataclass(frozen=True, eq=False)
class DesignTargets:
    """What a chain's design was asked for, next to what it achieved (arrays over ``freqs``).

    Attributes
    ----------
    freqs : (n_freqs,) ndarray
        Design frequencies in Hz.
    gain_limit_db : float
        Requested per-driver CTC gain limit, dB re the inverse of the strongest driver-to-ear
        path at each frequency (a hard constraint: it holds in every bin).
    max_gain_db : (n_freqs,) ndarray
        Achieved: the largest CTC driver gain per bin, in the same units (at most the limit).
    target_db : (n_freqs,) ndarray
        Requested crosstalk-cancellation separation.
    separation_db : (2, n_freqs) ndarray
        Achieved at the design position, per input (left, right).
    short_bins : (n_short,) ndarray of int
        Bins where the achieved separation of either input falls more than
        :data:`SHORTFALL_MARGIN_DB` below the target (the gain limit made it unreachable: there
        the target was the objective).
    beam_freqs : (n_beam,) ndarray
        Frequencies of the centre beam's band (the beam values below are over these).
    beam_requested : dict
        The beam's null depth (dB below on-axis), lobe half-width and tolerance, WNG floor.
    beam_softened : bool
        Whether the geometry could not meet the beam's lobe, nulls and WNG floor together, so
        that they became objectives (:func:`design.filters.beamforming.null_beam`, ``"auto"``).
    beam_null_depth_db : (n_beam,) ndarray
        Achieved: the louder of +-90 deg, dB below on-axis (positive is a null).
    beam_lobe_drop_db : (n_beam,) ndarray
        Achieved: the largest drop in the lobe (within the half-width), dB below on-axis.
    beam_wng_db : (n_beam,) ndarray
        Achieved white-noise gain in dB re one driver.
    fir_truncation_error : (n_drivers, 3) ndarray or None
        Achieved by the FIR realisation: per driver and path, the energy of the designed
        response beyond the kept taps over its total (:func:`design.filters.fir.to_fir`).
    """

    freqs: NDArray[np.float64]
    gain_limit_db: float
    max_gain_db: NDArray[np.float64]
    target_db: NDArray[np.float64]
    separation_db: NDArray[np.float64]
    short_bins: NDArray[np.intp]
    beam_freqs: NDArray[np.float64]
    beam_requested: dict[str, Any]
    beam_softened: bool
    beam_null_depth_db: NDArray[np.float64]
    beam_lobe_drop_db: NDArray[np.float64]
    beam_wng_db: NDArray[np.float64]
    fir_truncation_error: NDArray[np.float64] | None = None


@dataclass(frozen=True, eq=False)
class VirtualPair:
    r"""The virtual loudspeaker pair a chain's left and right paths simulate.

    The paths carry the pair's crosstalk on purpose, :math:`W_{LR} = W_{CTC}\,(I + w(f)(V - I))`
    with :math:`V` the virtualizer's response: the evaluation divides it out to judge the
    crosstalk cancellation itself (:meth:`crosstalk`).

    Attributes
    ----------
    virtualizer : Virtualizer
        The fitted pair (:func:`design.filters.virtualization.fit_virtualizer`); its
        ``azimuth_deg`` is where the virtual loudspeakers are, its ``fit_error`` how well the
        fit met its target.
    freqs : (n_freqs,) ndarray
        Frequencies in Hz of ``weight``.
    weight : (n_freqs,) ndarray
        How much of the virtual crosstalk the paths carry, in [0, 1] (it follows the depth of
        the cancellation target, fading to plain stereo outside its band).
    """

    virtualizer: Virtualizer
    freqs: NDArray[np.float64]
    weight: NDArray[np.float64]

    def __post_init__(self) -> None:
        from design.filters.virtualization import Virtualizer

        if not isinstance(self.virtualizer, Virtualizer):
            raise TypeError(
                f"virtualizer must be a Virtualizer, got {type(self.virtualizer).__name__}"
            )
        freqs = np.array(self.freqs, dtype=float)
        weight = np.array(self.weight, dtype=float)
        if weight.shape != freqs.shape or freqs.ndim != 1:
            raise ValueError(
                f"weight must have the shape of freqs {freqs.shape}, got {weight.shape}"
            )
        if np.any((weight < 0) | (weight > 1)):
            raise ValueError("weight must lie in [0, 1]")
        for arr in (freqs, weight):
            arr.flags.writeable = False
        object.__setattr__(self, "freqs", freqs)
        object.__setattr__(self, "weight", weight)

    @property
    def azimuth_deg(self) -> float:
        """Azimuth of the left virtual loudspeaker in degrees (the right one at minus that)."""
        return float(self.virtualizer.azimuth_deg)

    def crosstalk(self, freqs: npt.ArrayLike) -> NDArray[np.complex128]:
        """Return the virtual crosstalk ``(2, 2, n_freqs)`` the paths carry, ``I + w (V - I)``."""
        from design.filters.virtualization import iir_response

        f = np.asarray(freqs, dtype=float)
        weight = np.interp(f, self.freqs, self.weight)
        eye = np.eye(2)[:, :, None]
        return eye + weight * (iir_response(self.virtualizer, f).W - eye)


@dataclass(frozen=True, eq=False)
class Chain:
    """Everything needed to render stereo to driver feeds.

    Attributes
    ----------
    name : str
        A label, e.g. ``"virtual_ctc"``.
    fs : float
        Sampling rate in Hz of the filters and of the audio it renders.
    drivers : tuple of str
        Driver names, the order of the feeds.
    filters : (n_drivers, 3, n_taps) ndarray
        FIR filter per driver for the left, right and centre paths (:data:`PATHS`), aligned.
    upmix : str or None
        Upmix method of :func:`design.render.upmix.upmix_lrc`; ``None`` feeds left and right as they
        are and the centre path silence.
    upmix_options : dict
        Keyword arguments of the upmix.
    latency_samples : float
        Delay from input to the designed sound at the listener, in samples.
    targets : DesignTargets or None
        Requested against achieved values (:func:`design_chain`); None for the comparison
        chains, which are not designed against targets.
    virtual : VirtualPair or None
        The virtual loudspeaker pair the left and right paths simulate (:func:`design_chain`);
        None for chains without one.
    meta : dict
        How it was designed (provenance).
    """

    name: str
    fs: float
    drivers: tuple[str, ...]
    filters: NDArray[np.float64]
    upmix: UpmixMethod | None = None
    upmix_options: dict[str, Any] = field(default_factory=dict)
    latency_samples: float = 0.0
    targets: DesignTargets | None = None
    virtual: VirtualPair | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        h = np.asarray(self.filters, dtype=float)
        if h.ndim != 3 or h.shape[1] != len(PATHS) or h.shape[0] != len(self.drivers):
            raise ValueError(
                f"filters must have shape ({len(self.drivers)}, {len(PATHS)}, n_taps), "
                f"got {h.shape}"
            )
        if not np.all(np.isfinite(h)):
            raise ValueError("filters must be finite")
        h = h.copy()
        h.flags.writeable = False
        object.__setattr__(self, "filters", h)
        object.__setattr__(self, "fs", as_positive(self.fs, "fs"))
        object.__setattr__(self, "drivers", tuple(self.drivers))


def midrange_target_db(freqs: npt.ArrayLike, *, depth_db: float = 20.0) -> NDArray[np.float64]:
    """Return the default cancellation target: ``depth_db`` from 500 Hz to 4 kHz, tapering.

    Linear in log frequency down to 0 dB at 125 Hz and 12 kHz: deep cancellation in the midrange,
    none at the band edges (docs/architecture.md, step 3).
    """
    f = np.asarray(freqs, dtype=float)
    logf = np.log(np.maximum(f, 1.0))
    up = np.clip((logf - np.log(125.0)) / np.log(4.0), 0.0, 1.0)
    down = np.clip((np.log(12000.0) - logf) / np.log(3.0), 0.0, 1.0)
    return depth_db * np.minimum(up, down)


def _check_upmix(upmix: str | None, options: dict[str, Any] | None) -> None:
    """Refuse an unknown upmix method or option now, not at the first render."""
    import inspect
    import typing

    from design.render.upmix import UpmixMethod, upmix_lrc

    methods = typing.get_args(UpmixMethod)
    if upmix is not None and (not isinstance(upmix, str) or upmix not in methods):
        raise ValueError(f"upmix must be None or one of {methods}, got {upmix!r}")
    if options is None:
        return
    if not isinstance(options, dict):
        raise TypeError(f"upmix_options must be a dict, got {type(options).__name__}")
    allowed = set(inspect.signature(upmix_lrc).parameters) - {"stereo", "fs", "method"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(
            f"upmix_options has unknown keys {unknown}; expected some of {sorted(allowed)}"
        )


def design_chain(
    scene: Scene,
    *,
    fs: float = DEFAULT_FS,
    n_taps: int = 1024,
    target_db: Callable[[NDArray], NDArray] | float | None = None,
    gain_limit_db: float = 20.0,
    virtual_azimuth_deg: float = 30.0,
    beam_band_hz: tuple[float, float] = (500.0, 3000.0),
    upmix: UpmixMethod | None = "side_decorrelated",
    upmix_options: dict[str, Any] | None = None,
    beam_options: dict[str, Any] | None = None,
) -> Chain:
    """Design the full chain for a scene: upmix, virtualization + CTC on L/R, a beam on C.

    Parameters
    ----------
    scene : Scene
        Device and a single listener; the design uses its direct sound (the room, if any, is
        left out: it is what the evaluation judges the design in).
    fs : float, optional
        Sampling rate in Hz.
    n_taps : int, optional
        FIR length of every filter; the modelling delay is ``n_taps // 2``.
    target_db : callable, float or None, optional
        Target cancellation curve for :func:`design.filters.ctc.target_cancellation`;
        :func:`midrange_target_db` by default.
    gain_limit_db : float, optional
        Per-driver gain limit of the CTC in dB re the inverse of the strongest driver-to-ear path
        at each frequency, at least 0 dB. It always holds; where the target cancellation cannot
        be met within it, the design comes as close as the limit allows (the target becomes the
        objective there), ``Chain.targets`` reports the achieved separation and the bins that
        fell short, and a ``UserWarning`` says so.
    virtual_azimuth_deg : float, optional
        Angle of the virtual loudspeakers (:func:`design.filters.virtualization.fit_virtualizer`, on
        the scene listener's head model).
    beam_band_hz : (f_lo, f_hi), optional
        Band of the centre null beam (:func:`design.filters.beamforming.null_beam`); outside it the
        centre is delay-and-sum, cross-faded (raised cosine) over a sixth of an octave beyond each
        band edge.
    upmix : str or None, optional
        Upmix method; ``None`` feeds the stereo channels to the L/R paths and silence to C.
    upmix_options : dict, optional
        Keyword arguments of the upmix.
    beam_options : dict, optional
        The centre beam's effort and shape, keyword arguments of
        :func:`design.filters.beamforming.null_beam`: ``null_depth_db``, ``lobe_half_width_deg``,
        ``lobe_tolerance_db``, ``null_width_deg``, ``wng_floor_db`` (its defaults otherwise).

    Returns
    -------
    Chain
        ``latency_samples`` is the modelling delay plus the flight time from the nearest driver
        to the listener: every path is designed to reach the listener's ears with that delay, so
        the paths are aligned by construction (the centre path is equalised to the listener's
        mean ear response). Levels are calibrated so that each path gives the ears the pressure
        of a point source at the listener's distance, 1 / (4 pi r) per unit input.
    """
    from acoustics.freefield import sphere_transfer
    from design.filters.beamforming import delay_and_sum, null_beam
    from design.filters.ctc import target_cancellation
    from design.filters.fir import FilterSet, to_fir
    from design.filters.virtualization import fit_virtualizer, iir_response

    if not isinstance(scene, Scene):
        raise TypeError(f"scene must be a Scene, got {type(scene).__name__}")
    if not isinstance(scene.listener, Listener):
        raise ValueError("scene must have a single Listener to design for")
    fs = as_positive(fs, "fs")
    gain_limit_db = as_positive(gain_limit_db, "gain_limit_db", allow_zero=True)
    n_taps = as_int(n_taps, "n_taps", 16)
    if (
        isinstance(beam_band_hz, (str, bytes))
        or np.ndim(beam_band_hz) != 1
        or len(beam_band_hz) != 2
    ):
        raise ValueError(
            f"beam_band_hz must be two frequencies (f_lo, f_hi) in Hz, got {beam_band_hz!r}"
        )
    lo, hi = (as_positive(v, "beam_band_hz") for v in beam_band_hz)
    if not lo < hi < fs / 2:
        raise ValueError(f"beam_band_hz must satisfy 0 < f_lo < f_hi < fs / 2, got {beam_band_hz}")
    _check_upmix(upmix, upmix_options)
    beam_kwargs = dict(beam_options or {})
    unknown = set(beam_kwargs) - set(_BEAM_OPTIONS)
    if unknown:
        raise ValueError(
            f"beam_options has unknown keys {sorted(unknown)}; expected some of {_BEAM_OPTIONS}"
        )
    n_fft = 2 * int(n_taps)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / fs)
    delay = n_taps // 2
    modelling = np.exp(-2j * np.pi * freqs * delay / fs)
    direct = dataclasses.replace(scene, room=None)
    tm = ear_transfer(direct, freqs)
    # Design relative to the first arrival: the flight time is latency, not something the
    # filters should reproduce (it would eat the modelling delay and be cut by the FIR).
    flight = np.min(np.linalg.norm(scene.driver_positions - scene.listener.position, axis=1))
    flight_s = flight / tm.c
    tm = dataclasses.replace(tm, H=tm.H * np.exp(2j * np.pi * freqs * flight_s))

    # Left and right: virtualization, then crosstalk cancellation (W_lr = W_ctc V per bin).
    target = midrange_target_db if target_db is None else target_db
    strongest = np.max(np.abs(tm.H), axis=(0, 1))
    limit = 10.0 ** (gain_limit_db / 20.0) / strongest
    ctc = target_cancellation(tm, target, delay_samples=delay, fs=fs, gain_limit=limit)
    short = _short_bins(ctc)
    if short.size:
        warnings.warn(
            f"design_chain: the {gain_limit_db:g} dB gain limit holds, but the target "
            f"cancellation falls more than {SHORTFALL_MARGIN_DB:g} dB short in "
            f"{short.size} of {freqs.size} bins (first at {freqs[short[0]]:.0f} Hz); "
            "Chain.targets has the achieved values",
            stacklevel=2,
        )
    virtualizer = fit_virtualizer(scene.listener.head, azimuth_deg=virtual_azimuth_deg, fs=fs)
    v = iir_response(virtualizer, freqs).W  # (ears, virtual inputs, n_f)
    # Simulate the virtual speakers' crosstalk only where the CTC removes the device's own: where
    # the target tapers to 0 dB the device's crosstalk stays, and adding the simulated one on top
    # would count it twice (too loud and too narrow at low frequencies). The weight follows the
    # target's depth, so the virtual pair fades to plain stereo (identity) outside the band.
    target_curve = ctc.target_db
    weight = np.clip(target_curve / max(float(np.max(target_curve)), 1e-12), 0.0, 1.0)
    v = np.eye(2)[:, :, None] + weight[None, None, :] * (v - np.eye(2)[:, :, None])
    w_lr = np.einsum("def,evf->dvf", ctc.filters.W, v)

    # Centre: the null beam in its band, delay-and-sum outside, cross-faded.
    az = np.arange(-180.0, 180.0, 5.0)
    band = (freqs >= lo * 2 ** (-1 / 6)) & (freqs <= hi * 2 ** (1 / 6))
    beam_tm = azimuth_transfer(scene.device, az, freqs[1:])
    w_c = np.zeros((len(scene.device.drivers), freqs.size), dtype=complex)
    w_c[:, 1:] = delay_and_sum(beam_tm, fs=fs).W[:, 0, :]
    w_c[:, 0] = w_c[:, 1]
    inner = np.nonzero(band)[0]
    band_tm = azimuth_transfer(scene.device, az, freqs[inner])
    beam = null_beam(
        band_tm, sphere=sphere_transfer(scene.device, freqs[inner]), fs=fs, **beam_kwargs
    )
    targets = _targets(ctc, strongest, gain_limit_db, band_tm, beam, beam_kwargs)
    if targets.beam_softened:
        requested = targets.beam_requested
        warnings.warn(
            f"design_chain: the device cannot meet the centre beam's lobe, nulls and white-noise"
            f" gain together in {lo:g}-{hi:g} Hz; they became objectives: median null depth "
            f"{np.median(targets.beam_null_depth_db):.1f} dB (requested "
            f"{requested['null_depth_db']:g}), worst lobe drop "
            f"{np.max(targets.beam_lobe_drop_db):.1f} dB (requested at most "
            f"{requested['lobe_tolerance_db']:g}); Chain.targets has them per frequency",
            stacklevel=2,
        )
    fade = _crossfade(freqs[inner], lo, hi)
    # Delay-and-sum refers its on-axis response to the device origin, the null beam to its
    # phase centre: bring delay-and-sum to the same reference before fading.
    centre = beam.phase_centre
    k = 2 * np.pi * freqs / beam_tm.c
    w_c *= np.exp(1j * k * centre[0])[None, :]
    w_c[:, inner] = fade * beam.W[:, 0, :] + (1 - fade) * w_c[:, inner]
    # Equalise the centre to arrive at the listener like the L/R paths: mean ear response ->
    # the modelling delay (regularised where the beam leaves the listener in a notch).
    y = np.mean(tm.apply(w_c[:, None, :])[:, 0, :], axis=0)
    eps = 1e-3 * np.max(np.abs(y)) ** 2
    w_c = w_c * (modelling * np.conj(y) / (np.abs(y) ** 2 + eps))[None, :]

    # Calibrate like a loudspeaker at the listener's distance: the designs put a unit pressure at
    # the ears; an omnidirectional point source there gives 1 / (4 pi r) per unit input (a real
    # loudspeaker adds its directivity and the head its own gain on top, as the reference has).
    distance = float(np.linalg.norm(scene.listener.position - scene.device_position))
    w = np.concatenate([w_lr, w_c[:, None, :]], axis=1) / (4.0 * np.pi * distance)
    fir = to_fir(FilterSet(w, freqs, fs, PATHS, tm.sources), int(n_taps), delay=0)
    targets = dataclasses.replace(targets, fir_truncation_error=fir.truncation_error)
    meta = {
        "design": "virtual_ctc",
        "target_db": target,
        "gain_limit_db": gain_limit_db,
        "virtual_azimuth_deg": virtual_azimuth_deg,
        "beam_band_hz": (lo, hi),
        "beam_options": beam_kwargs,
        "fir": dict(fir.meta),  # its parameters
        "flight_time_s": flight_s,
    }
    return Chain(
        "virtual_ctc",
        fs,
        tm.sources,
        fir.h,
        upmix=upmix,
        upmix_options=dict(upmix_options or {}),
        latency_samples=float(delay + flight_s * fs),
        targets=targets,
        virtual=VirtualPair(virtualizer, freqs, weight),
        meta=meta,
    )


def _short_bins(ctc) -> NDArray[np.intp]:
    """Bins where a CTC design's separation falls more than the margin short of its target."""
    target = ctc.target_db
    return np.flatnonzero(np.any(ctc.separation_db < target[None, :] - SHORTFALL_MARGIN_DB, axis=0))


def _targets(ctc, strongest, gain_limit_db, band_tm, beam, beam_kwargs) -> DesignTargets:
    """Return the requested and achieved values of the CTC and the centre beam."""
    import inspect

    from design.filters.beamforming import beam_metrics, beam_response, null_beam

    w = np.abs(ctc.filters.W)  # (drivers, inputs, F)
    with np.errstate(divide="ignore"):
        max_gain_db = 20.0 * np.log10(np.max(w, axis=(0, 1)) * strongest)
    defaults = {
        k: v.default
        for k, v in inspect.signature(null_beam).parameters.items()
        if k in _BEAM_OPTIONS
    }
    requested = defaults | dict(beam_kwargs)
    metrics = beam_metrics(band_tm, beam)
    az = (band_tm.directions.azimuths_deg + 180.0) % 360.0 - 180.0
    y = np.abs(beam_response(band_tm, beam))
    on = y[int(np.argmin(np.abs(az)))]
    lobe = np.abs(az) <= requested["lobe_half_width_deg"]
    with np.errstate(divide="ignore"):
        lobe_drop = -20.0 * np.log10(np.min(y[lobe], axis=0) / on)
    return DesignTargets(
        freqs=np.asarray(ctc.filters.freqs, dtype=float),
        gain_limit_db=float(gain_limit_db),
        max_gain_db=max_gain_db,
        target_db=np.asarray(ctc.target_db, dtype=float),
        separation_db=np.asarray(ctc.separation_db, dtype=float),
        short_bins=_short_bins(ctc),
        beam_freqs=np.asarray(band_tm.freqs, dtype=float),
        beam_requested=requested,
        beam_softened=bool(beam.softened),
        beam_null_depth_db=-metrics.null_depth_db,
        beam_lobe_drop_db=lobe_drop,
        beam_wng_db=metrics.white_noise_gain_db,
    )


def _crossfade(freqs: NDArray, lo: float, hi: float) -> NDArray[np.float64]:
    """Weights 1 inside [lo, hi], raised-cosine to 0 over a sixth of an octave outside."""
    width = np.log(2) / 6
    x = np.log(np.maximum(freqs, 1e-9))
    below = np.clip((x - (np.log(lo) - width)) / width, 0, 1)
    above = np.clip(((np.log(hi) + width) - x) / width, 0, 1)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(below, above))


def path_signals(chain: Chain, stereo: NDArray) -> NDArray[np.float64]:
    """Upmix ``(2, n)`` stereo to the chain's three path signals ``(3, n)``."""
    if chain.upmix is None:
        return np.vstack([stereo, np.zeros((1, stereo.shape[1]))])
    from design.render.upmix import upmix_lrc

    left, right, centre = upmix_lrc(stereo, chain.fs, method=chain.upmix, **chain.upmix_options)
    return np.vstack([left, right, centre])


def render(
    chain: Chain, stereo: npt.ArrayLike, fs: float, *, precision: Precision = "float64"
) -> NDArray[np.float64]:
    """Render stereo to driver feeds offline.

    Parameters
    ----------
    chain : Chain
        The designed chain.
    stereo : (2, n_samples) array_like
        Input, channels first.
    fs : float
        Its sampling rate; must equal ``chain.fs`` (resample with
        :func:`design.render.audio.resample`).
    precision : {"float64", "float32"}, optional
        Arithmetic of the convolution (:func:`design.render.convolution.convolve`): ``"float32"`` is
        faster and deviates by about 3e-7 of the feeds' peak.

    Returns
    -------
    feeds : (n_drivers, n_samples + n_taps - 1) ndarray
        The full convolution: nothing of the filters' tails is cut.
    """
    if not isinstance(chain, Chain):
        raise TypeError(f"chain must be a Chain, got {type(chain).__name__}")
    x = as_audio(stereo, "stereo", channels=2)
    if as_positive(fs, "fs") != chain.fs:
        raise ValueError(f"fs must equal the chain's {chain.fs:g} Hz, got {fs:g}; resample first")
    return convolve(chain.filters, path_signals(chain, x), precision=precision)


def filter_response(chain: Chain, freqs: npt.ArrayLike) -> NDArray[np.complex128]:
    """Return the chain's filters at ``freqs``, ``(n_drivers, 3, n_freqs)`` (their DTFT)."""
    from design.filters.fir import FIRFilterSet, frequency_response

    fir = FIRFilterSet(chain.filters, chain.fs, PATHS, chain.drivers)
    return frequency_response(fir, freqs).W


def _side_masks(scene: Scene) -> tuple[NDArray, NDArray]:
    """Drivers on the listener's left (device -y) and right (device +y) halves."""
    y = scene.device.positions[:, 1]
    return y < -1e-9, y > 1e-9


def _stereo_routing(scene: Scene, n_taps: int) -> NDArray[np.float64]:
    """Return filters ``(n_drivers, 3, n_taps)``: L to the left half, R to the right, centre both.

    Drivers on the device's axis (y = 0) get both inputs at half gain; the centre path is silent.
    """
    left, right = _side_masks(scene)
    h = np.zeros((len(scene.device.drivers), 3, n_taps))
    centre = ~(left | right)
    h[left, 0, 0] = 1.0
    h[right, 1, 0] = 1.0
    h[centre, 0, 0] = h[centre, 1, 0] = 0.5
    return h


def _delta(n_taps: int, delay: int) -> NDArray[np.float64]:
    h = np.zeros(n_taps)
    h[delay] = 1.0
    return h


def stereo_chain(scene: Scene, *, fs: float = DEFAULT_FS, n_taps: int = 1) -> Chain:
    """Return "stereo straight to the drivers": left to the left-half drivers, right to the right.

    Drivers on the device's axis (y = 0) get both, at half gain each. No upmix, no filtering.
    """
    h = _stereo_routing(scene, max(1, int(n_taps)))
    return Chain("stereo", fs, scene.device.driver_names, h, meta={"design": "stereo"})


def matrix_mixing_chain(
    scene: Scene,
    *,
    fs: float = DEFAULT_FS,
    upmix: UpmixMethod = "side_decorrelated",
    centre_gains: npt.ArrayLike | None = None,
) -> Chain:
    """Return the matrix-mixing baseline: upmix, L and R to their halves, C to every driver.

    Fixed gains, no filtering (docs/architecture.md, step 4: plain matrix mixing is the baseline).

    Parameters
    ----------
    scene : Scene
        For the device's drivers.
    fs : float, optional
        Sampling rate in Hz.
    upmix : str, optional
        Upmix method (:func:`design.render.upmix.upmix_lrc`).
    centre_gains : (n_drivers,) array_like, optional
        Gains of the centre path; equal gains summing to 1 by default.
    """
    n = len(scene.device.drivers)
    h = _stereo_routing(scene, 1)
    g = np.full(n, 1.0 / n) if centre_gains is None else np.asarray(centre_gains, dtype=float)
    if g.shape != (n,):
        raise ValueError(f"centre_gains must have shape ({n},), got {g.shape}")
    h[:, 2, 0] = g
    meta = {"design": "matrix_mixing", "centre_gains": g}
    return Chain("matrix_mixing", fs, scene.device.driver_names, h, upmix=upmix, meta=meta)
