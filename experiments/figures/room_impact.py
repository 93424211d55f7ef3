r"""Figure 4: what the centre beam does in a room, against matrix mixing.

The scene is the demo's (:func:`acoustics.scene.living_room_scene`: the smart speaker 0.5 m
from a wall of a furnished 5.5 x 4.2 x 2.6 m living room, the listener 2 m in front, image sources
to order 6). Two centre paths feed the same drivers: the designed chain's
(:func:`design.chain.design_chain`: the null beam of :func:`design.filters.beamforming.null_beam`,
nulls towards the side walls, in 500 Hz - 3 kHz) and matrix mixing's
(:func:`design.chain.matrix_mixing_chain`: the centre to every driver with equal gains).

What the figure shows, and :func:`compute` returns:

* the energy-time curves of the centre path at the ears, 500 Hz - 4 kHz;
* direct and reflected energy per octave band, split exactly: the direct sound is the same scene
  in free field (:func:`acoustics.scene.ear_transfer` with ``room=None``; same geometry, so it is
  the room response's direct part), the reflected sound the room response minus it;
* the depth measures of :func:`design.evaluation.evaluate` for the centre path: DRR (arrival peak
  +-2.5 ms, Zahorik 2002), IACC, the directivity factor :math:`Q` of the drivers' feeds averaged
  over ``band_hz`` and the critical distance :math:`r_c = \sqrt{Q A / (16\pi)}` (Eyring's
  :math:`T_{60}`) it buys, with the diffuse-field law :math:`\mathrm{DRR}(r) = 20\log_{10}(r_c/r)`
  over distance (docs/references.md);
* the interaural coherence (IACC, ISO 3382-1) of the centre path per octave band. In the demo's
  scene the device and the listener sit on the room's mid-plane (y = 2.1 m of 4.2 m), so every
  lateral reflection has a mirror twin and the centre stays coherent (IACC > 0.99) with or
  without the beam: there the beam's effect shows in the DRR and the critical distance.

The ear responses are computed on the FFT grid :func:`~design.evaluation.evaluate` uses
(the chain's filter length plus the room's reach, ``scipy.fft.next_fast_len``), so the room
model's tables are built once for both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from acoustics.geometry import DEFAULT_FS
from acoustics.scene import Listener, Scene, ear_transfer
from acoustics.validation import as_positive
from experiments.figures._util import db, freeze, panels

__all__ = ["RoomImpactResult", "compute", "plot", "SYSTEMS"]

#: The two centre paths compared, in result order.
SYSTEMS: tuple[str, str] = ("beam (designed chain)", "matrix mixing")
#: Octave bands of the energy and coherence panels, Hz.
BANDS_HZ: tuple[float, ...] = (125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0)
_ETC_SMOOTHING_S = 2.5e-3


@dataclass(frozen=True, eq=False)
class RoomImpactResult:
    """Centre-path responses and depth measures of the beam and of matrix mixing in a room.

    Attributes
    ----------
    fs : float
        Sampling rate, Hz.
    time_s : (n,) ndarray
        Time re the direct sound's arrival at the left ear (the free-field response's peak).
    etc_db : (2, n) ndarray
        Energy-time curve per system, ear-mean power in ``band_hz`` smoothed over 2.5 ms, dB re
        its direct-sound peak.
    bands_hz : (n_bands,) ndarray
        Octave-band centres.
    direct_db, reflected_db : (2, n_bands) ndarray
        Level of the direct and of the reflected part of the centre path's ear responses per
        system and band (power averaged over the band's bins and the two ears), dB re 1 Pa per
        unit input.
    band_iacc : (2, n_bands) ndarray
        IACC of the centre path's binaural response per octave band.
    drr_db, iacc, iacc_early : (2,) ndarray
        :func:`~design.evaluation.evaluate`'s centre-path DRR (dB), IACC and early IACC.
    directivity_factor, critical_distance_m : (2,) ndarray
        :math:`Q` of the feeds and the critical distance per system.
    reference : dict
        The stereo pair's ``drr_db``, ``directivity_factor`` and ``critical_distance_m`` (its
        whole phantom centre, both loudspeakers).
    t60_s : float
        Eyring reverberation time averaged over the octave bands of ``band_hz``.
    volume_m3 : float
        Room volume.
    listener_distance_m : float
        Device origin to the head centre.
    band_hz : (float, float)
        Band of the ETC and of :math:`Q`.
    """

    fs: float
    time_s: NDArray[np.float64]
    etc_db: NDArray[np.float64]
    bands_hz: NDArray[np.float64]
    direct_db: NDArray[np.float64]
    reflected_db: NDArray[np.float64]
    band_iacc: NDArray[np.float64]
    drr_db: NDArray[np.float64]
    iacc: NDArray[np.float64]
    iacc_early: NDArray[np.float64]
    directivity_factor: NDArray[np.float64]
    critical_distance_m: NDArray[np.float64]
    reference: dict[str, float]
    t60_s: float
    volume_m3: float
    listener_distance_m: float
    band_hz: tuple[float, float]

    def __post_init__(self) -> None:
        freeze(self)


def compute(
    scene: Scene | None = None,
    *,
    chain=None,
    fs: float = DEFAULT_FS,
    band_hz: tuple[float, float] = (500.0, 4000.0),
) -> RoomImpactResult:
    """Measure the centre path of the designed chain and of matrix mixing in a room.

    Parameters
    ----------
    scene : Scene, optional
        A single listener in a room; :func:`acoustics.scene.living_room_scene` by default.
    chain : Chain, optional
        The designed chain for ``scene`` (:func:`design.chain.design_chain` by default).
    fs : float, optional
        Sampling rate, Hz.
    band_hz : (float, float), optional
        Band of the ETC and of the directivity factor (:func:`design.evaluation.evaluate`).

    Returns
    -------
    RoomImpactResult
    """
    from scipy.signal import butter, sosfiltfilt

    from acoustics.metrics import interaural_cross_correlation, octave_band_filter
    from acoustics.scene import living_room_scene
    from design.chain import Chain, design_chain, matrix_mixing_chain
    from design.evaluation import band_t60, evaluate, fft_length

    scene = living_room_scene() if scene is None else scene
    if not isinstance(scene, Scene) or not isinstance(scene.listener, Listener):
        raise TypeError(f"scene must be a Scene with one Listener, got {scene!r:.80}")
    if scene.room is None:
        raise ValueError("scene must have a room: the figure is about reflections")
    fs = as_positive(fs, "fs")
    lo, hi = (as_positive(v, "band_hz") for v in band_hz)
    chain = design_chain(scene, fs=fs) if chain is None else chain
    if not isinstance(chain, Chain) or chain.fs != fs:
        raise TypeError(f"chain must be a Chain at fs = {fs:g} Hz, got {chain!r:.80}")
    systems = (chain, matrix_mixing_chain(scene, fs=fs))
    ev = evaluate(chain, scene, n_pans=3, band_hz=(lo, hi))
    measured = [ev.systems["chain"], ev.systems["matrix_mixing"]]

    n_fft = fft_length(chain, scene)  # the evaluation's grid: filters plus the room's response
    freqs = np.fft.rfftfreq(n_fft, 1.0 / fs)
    h_room = ear_transfer(scene, freqs).H
    h_free = ear_transfer(dataclasses.replace(scene, room=None), freqs).H
    w = np.stack([np.fft.rfft(s.filters[:, 2, :], n_fft, axis=-1) for s in systems])  # (2, D, F)
    room = np.einsum("edf,sdf->sef", h_room, w)  # (systems, ears, F)
    free = np.einsum("edf,sdf->sef", h_free, w)
    reflected = room - free

    bands = np.asarray(BANDS_HZ)
    edges = bands[:, None] * np.sqrt([0.5, 2.0])[None, :]
    inside = (freqs >= edges[:, :1]) & (freqs < edges[:, 1:])  # (n_bands, F)
    # Mean power over the band's bins and the two ears: the level of the ear response there.
    count = np.sum(inside, axis=1)
    direct_e = np.einsum("sef,bf->sb", np.abs(free) ** 2, inside) / (2 * count)
    reflected_e = np.einsum("sef,bf->sb", np.abs(reflected) ** 2, inside) / (2 * count)

    ir = np.fft.irfft(room, n_fft, axis=-1)  # (systems, ears, n)
    onset = int(np.argmax(np.abs(np.fft.irfft(free[0, 0], n_fft))))
    sos = butter(4, (lo, hi), btype="bandpass", fs=fs, output="sos")
    power = np.mean(sosfiltfilt(sos, ir, axis=-1) ** 2, axis=1)  # (systems, n)
    k = max(1, int(round(_ETC_SMOOTHING_S * fs)))
    smooth = np.apply_along_axis(np.convolve, -1, power, np.ones(k) / k, mode="same")
    start = max(0, onset - int(0.005 * fs))
    stop = min(n_fft, onset + int(0.15 * fs))
    etc = db(smooth[:, start:stop], power=True)
    etc -= np.max(etc, axis=-1, keepdims=True)
    band_iacc = np.stack(
        [interaural_cross_correlation(octave_band_filter(ir, fs, fc), fs) for fc in bands], axis=-1
    )

    r = scene.room
    pair = ev.systems["stereo_pair"]
    return RoomImpactResult(
        fs=fs,
        time_s=(np.arange(start, stop) - onset) / fs,
        etc_db=etc,
        bands_hz=bands,
        direct_db=db(direct_e, power=True),
        reflected_db=db(reflected_e, power=True),
        band_iacc=band_iacc,
        drr_db=np.array([m.depth["centre_path"]["drr_db"] for m in measured]),
        iacc=np.array([m.depth["centre_path"]["iacc"] for m in measured]),
        iacc_early=np.array([m.depth["centre_path"]["iacc_early"] for m in measured]),
        directivity_factor=np.array([m.directivity_factor for m in measured]),
        critical_distance_m=np.array([m.critical_distance_m for m in measured]),
        reference={
            "drr_db": pair.depth["centre"]["drr_db"],
            "directivity_factor": pair.directivity_factor,
            "critical_distance_m": pair.critical_distance_m,
        },
        t60_s=band_t60(r, (lo, hi)),
        volume_m3=float(r.volume),
        listener_distance_m=float(np.linalg.norm(scene.listener.position - scene.device_position)),
        band_hz=(lo, hi),
    )


def plot(result: RoomImpactResult, ax: Sequence[Axes] | None = None) -> list[Axes]:
    """Draw the ETCs, direct/reflected energy per band, DRR over distance and band IACC.

    Parameters
    ----------
    result : RoomImpactResult
        From :func:`compute`.
    ax : sequence of 4 Axes, optional
        Panels (ETC, energy per band, DRR over distance, IACC per band); a new 1 x 4 figure's
        when omitted.

    Returns
    -------
    list of Axes
    """
    if not isinstance(result, RoomImpactResult):
        raise TypeError(f"result must be a RoomImpactResult, got {type(result).__name__}")
    axes = panels(ax, 4, figsize=(20.0, 4.8), name="figure 4")
    colours = ("C0", "C1")
    t_ms = result.time_s * 1e3
    for s, name in enumerate(SYSTEMS):
        axes[0].plot(t_ms, result.etc_db[s], colours[s], lw=1.0,
                     label=f"{name}: DRR {result.drr_db[s]:+.1f} dB")  # fmt: skip
    axes[0].axvspan(-2.5, 2.5, color="0.9", zorder=0, label="direct window ±2.5 ms")
    lo, hi = result.band_hz
    axes[0].set(xlabel="time re direct sound (ms)", ylabel="energy (dB re direct peak)",
                xlim=(t_ms[0], min(t_ms[-1], 120.0)), ylim=(-45, 3),
                title=f"centre path at the ears, {lo:g} Hz - {hi / 1e3:g} kHz")  # fmt: skip

    x = np.arange(result.bands_hz.size)
    for s, name in enumerate(SYSTEMS):
        axes[1].plot(x, result.direct_db[s], colours[s], marker="o", label=f"{name}: direct")
        axes[1].plot(x, result.reflected_db[s], colours[s], ls="--", marker="s",
                     label=f"{name}: reflected")  # fmt: skip
    labels = [f"{f / 1e3:g}k" if f >= 1e3 else f"{f:g}" for f in result.bands_hz]
    axes[1].set_xticks(x, labels)
    axes[1].set(
        xlabel="octave band (Hz)",
        ylabel="mean level at the ears (dB re 1 Pa per unit input)",
        title="direct and reflected energy",
    )

    r = np.geomspace(0.2, 6.0, 200)
    for s, name in enumerate(SYSTEMS):
        rc = result.critical_distance_m[s]
        axes[2].plot(r, 20 * np.log10(rc / r), colours[s],
                     label=f"{name}: Q = {result.directivity_factor[s]:.2f}, "
                     f"r_c = {rc:.2f} m")  # fmt: skip
        axes[2].plot(rc, 0.0, "o", color=colours[s], mfc="none", ms=8)
        axes[2].plot(result.listener_distance_m, result.drr_db[s], "*", color=colours[s], ms=12)
    ref = result.reference
    axes[2].plot(r, 20 * np.log10(ref["critical_distance_m"] / r), "0.5", ls=":",
                 label=f"stereo pair: Q = {ref['directivity_factor']:.2f}, "
                 f"r_c = {ref['critical_distance_m']:.2f} m")  # fmt: skip
    axes[2].plot([], [], "*", color="0.3", ms=10, label="measured DRR at the listener")
    axes[2].axhline(0.0, color="k", lw=0.6)
    axes[2].axvline(result.listener_distance_m, color="k", lw=0.6, ls="--")
    axes[2].set(xscale="log", xlabel="distance from the device (m)",
                ylabel="DRR (dB), diffuse-field law 20 log10(r_c / r)", ylim=(-15, 15),
                title=f"critical distance (V = {result.volume_m3:.0f} m³, "
                f"T60 = {result.t60_s:.2f} s)")  # fmt: skip
    ticks = [0.2, 0.5, 1.0, 2.0, 5.0]
    axes[2].set_xticks(ticks, [f"{t:g}" for t in ticks])
    axes[2].xaxis.set_minor_formatter(plt.NullFormatter())

    width = 0.38
    for s, name in enumerate(SYSTEMS):
        axes[3].bar(x + (s - 0.5) * width, result.band_iacc[s], width, color=colours[s],
                    label=f"{name}: broadband {result.iacc[s]:.3f}")  # fmt: skip
    axes[3].set_xticks(x, labels)
    axes[3].set(xlabel="octave band (Hz)", ylabel="IACC (ISO 3382-1)", ylim=(0.98, 1.0),
                title="interaural coherence of the centre path")  # fmt: skip
    for a in axes:
        a.grid(True, which="both", alpha=0.3)
        a.legend(fontsize="x-small", loc="lower left")
    axes[2].legend(fontsize="x-small", loc="upper right")
    return axes
