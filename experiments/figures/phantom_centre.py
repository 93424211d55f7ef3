r"""Figure 6: the phantom centre, mid/side decomposition and the centre extracted from a mixture.

The programme is :func:`design.render.mixtures.synthetic_mixture` (a centre voice, a hard-left and a
hard-right instrument, a part-panned bass, decorrelated ambience), each part known. Mid and side
are :math:`M = (L + R)/2` and :math:`S = (L - R)/2`; the upmix
(:func:`design.render.upmix.upmix_lrc`, docs/architecture.md, step 1) takes the centre as the part
of M minimally correlated with S, per time-frequency bin, :math:`C = M - (E[M S^*] / E[|S|^2])\, S`
(``"side_decorrelated"``); the other methods are shown for comparison (``"passive"``: C = M).

Scores (:mod:`design.render.mixtures`): the centre's signal-to-distortion ratio against the voice's
mid signal (:func:`~design.render.mixtures.centre_sdr`, scale-invariant SDR) and the leakage of the
hard-panned sources into C, two ways: the projection of C on each source's mono signal within the
mixture (:func:`~design.render.mixtures.leakage_db`, a lower bound) and the energy of C when the
source's image alone is upmixed, re the source (the measure without that caveat).

Signals are in units of the voice's RMS (the mixture's 0 dB); spectra are Welch power spectral
densities (Hann, 4096 samples), in dB re that squared per Hz.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from acoustics.geometry import DEFAULT_FS
from acoustics.validation import as_positive
from experiments.figures._util import db, freeze, log_freq_axis, panels

__all__ = ["PhantomCentreResult", "compute", "plot", "METHODS"]

#: Upmix methods compared, the chain's first.
METHODS: tuple[str, ...] = ("side_decorrelated", "passive", "pca", "similarity")
#: Hard-panned components of the mixture.
HARD_PANNED: tuple[str, str] = ("left", "right")
_WELCH = 4096


@dataclass(frozen=True, eq=False)
class PhantomCentreResult:
    """Mid/side spectra, extracted centres and their scores.

    Attributes
    ----------
    fs : float
        Hz.
    freqs : (n_freqs,) ndarray
        Welch frequencies, Hz.
    psd_db : dict of str to (n_freqs,) ndarray
        Spectra of ``"mid"``, ``"side"``, ``"true centre"`` (the voice's mid) and
        ``"extracted centre"`` (``METHODS[0]``), dB re (voice RMS)^2/Hz.
    time_s : (n_excerpt,) ndarray
        Excerpt times, seconds.
    excerpt : dict of str to (n_excerpt,) ndarray
        ``"mid"``, ``"true centre"``, ``"extracted centre"`` over the excerpt.
    methods : tuple of str
        Upmix methods.
    sdr_db : (n_methods,) ndarray
        Centre SDR per method, dB.
    leakage_mix_db : (n_methods, 2) ndarray
        Projection leakage of the hard-left and hard-right sources in the mixture's C, dB.
    leakage_alone_db : (n_methods, 2) ndarray
        Energy of C from each hard-panned image alone, dB re the source.
    component_mid_db : dict of str to float
        Mid power of every non-centre component re the voice's (from the known parts).
    """

    fs: float
    freqs: NDArray[np.float64]
    psd_db: dict[str, NDArray[np.float64]]
    time_s: NDArray[np.float64]
    excerpt: dict[str, NDArray[np.float64]]
    methods: tuple[str, ...]
    sdr_db: NDArray[np.float64]
    leakage_mix_db: NDArray[np.float64]
    leakage_alone_db: NDArray[np.float64]
    component_mid_db: dict[str, float]

    def __post_init__(self) -> None:
        freeze(self)


def compute(
    *, fs: float = DEFAULT_FS, duration_s: float = 4.0, seed: int = 0, excerpt_s: float = 0.04
) -> PhantomCentreResult:
    """Upmix the synthetic mixture with every method and score the centres.

    Parameters
    ----------
    fs : float, optional
        Sampling rate, Hz.
    duration_s : float, optional
        Length of the mixture, seconds.
    seed : int, optional
        Seed of the mixture.
    excerpt_s : float, optional
        Length of the waveform excerpt (where the voice is loudest), seconds.

    Returns
    -------
    PhantomCentreResult
    """
    from scipy.signal import welch

    from design.render.mixtures import centre_sdr, leakage_db, synthetic_mixture
    from design.render.upmix import upmix_lrc

    fs = as_positive(fs, "fs")
    excerpt_s = as_positive(excerpt_s, "excerpt_s")
    if excerpt_s >= duration_s:
        raise ValueError(f"excerpt_s must be shorter than duration_s {duration_s:g}, "
                         f"got {excerpt_s:g}")  # fmt: skip
    mix = synthetic_mixture(fs, duration_s, seed=seed)
    mid = mix.stereo.mean(axis=0)
    side = (mix.stereo[0] - mix.stereo[1]) / 2.0
    ref = mix.centre_reference
    centres = {m: upmix_lrc(mix.stereo, fs, method=m)[2] for m in METHODS}
    sdr = np.array([centre_sdr(centres[m], ref) for m in METHODS])
    leak_mix = np.array(
        [[leakage_db(centres[m], mix.sources[k]) for k in HARD_PANNED] for m in METHODS]
    )
    leak_alone = np.empty((len(METHODS), len(HARD_PANNED)))
    for j, k in enumerate(HARD_PANNED):
        s = mix.sources[k]
        image = np.outer(mix.gains[k], s)
        for i, m in enumerate(METHODS):
            c = upmix_lrc(image, fs, method=m)[2]
            leak_alone[i, j] = db(np.sum(c**2) / np.sum(s**2), power=True)
    signals = {
        "mid": mid,
        "side": side,
        "true centre": ref,
        "extracted centre": centres[METHODS[0]],
    }
    freqs, _ = welch(mid, fs=fs, nperseg=_WELCH)
    psd = {k: db(welch(x, fs=fs, nperseg=_WELCH)[1], power=True) for k, x in signals.items()}
    # The excerpt: the stretch of that length where the voice is loudest (a syllable's peak).
    length = int(round(excerpt_s * fs))
    energy = np.convolve(ref**2, np.ones(length), mode="valid")
    start = int(np.argmax(energy))
    cut = slice(start, start + length)
    voice_mid = np.sum(ref**2)
    return PhantomCentreResult(
        fs=fs,
        freqs=freqs,
        psd_db=psd,
        time_s=np.arange(start, start + length) / fs,
        excerpt={k: signals[k][cut] for k in ("mid", "true centre", "extracted centre")},
        methods=METHODS,
        sdr_db=sdr,
        leakage_mix_db=leak_mix,
        leakage_alone_db=leak_alone,
        component_mid_db={
            k: float(db(np.sum(img.mean(axis=0) ** 2) / voice_mid, power=True))
            for k, img in mix.images.items()
            if k not in mix.centre
        },
    )


def plot(result: PhantomCentreResult, ax: Sequence[Axes] | None = None) -> list[Axes]:
    """Draw the mid/side spectra with the centres, a waveform excerpt and the scores.

    Parameters
    ----------
    result : PhantomCentreResult
        From :func:`compute`.
    ax : sequence of 3 Axes, optional
        Panels (spectra, excerpt, scores); a new 1 x 3 figure's if omitted.

    Returns
    -------
    list of Axes
    """
    if not isinstance(result, PhantomCentreResult):
        raise TypeError(f"result must be a PhantomCentreResult, got {type(result).__name__}")
    axes = panels(ax, 3, figsize=(17.0, 4.6), name="figure 6")
    styles = {"mid": ("C7", 1.0), "side": ("C4", 1.0), "true centre": ("k", 2.0),
              "extracted centre": ("C0", 1.2)}  # fmt: skip
    for k, y in result.psd_db.items():
        colour, lw = styles[k]
        axes[0].plot(result.freqs[1:], y[1:], color=colour, lw=lw, label=k)
    log_freq_axis(axes[0], 30.0, result.fs / 2)
    top = max(float(np.max(y)) for y in result.psd_db.values())
    axes[0].set(ylabel="PSD (dB re voice RMS² per Hz)", ylim=(top - 90, top + 5),
                title=f"mid M, side S and the centre ({result.methods[0]})")  # fmt: skip
    axes[0].legend(fontsize="small", loc="lower left")

    t_ms = result.time_s * 1e3
    for k in ("mid", "true centre", "extracted centre"):
        colour, lw = styles[k]
        axes[1].plot(t_ms, result.excerpt[k], color=colour, lw=lw, label=k)
    axes[1].set(xlabel="time (ms)", ylabel="amplitude (re the voice's RMS)",
                title="waveform excerpt: the centre found in M")  # fmt: skip
    axes[1].grid(True, alpha=0.3)
    axes[1].legend(fontsize="small", loc="lower left")

    x = np.arange(len(result.methods))
    axes[2].bar(x - 0.3, result.sdr_db, 0.2, color="C0", label="centre SDR (dB)")
    axes[2].bar(x - 0.1, result.leakage_mix_db.max(axis=1), 0.2, color="C1",
                label="hard-panned leakage, projection in the mix (dB, worse side)")  # fmt: skip
    axes[2].bar(
        x + 0.1,
        np.maximum(result.leakage_alone_db.max(axis=1), -80.0),
        0.2,
        color="C3",
        label="hard-panned leakage, image alone (dB, worse side; floor -80)",
    )
    for i, v in enumerate(result.sdr_db):
        axes[2].annotate(f"{v:.1f}", (x[i] - 0.3, v), ha="center", va="bottom", fontsize="x-small")
    axes[2].set_xticks(x, [m.replace("_", "\n") for m in result.methods])
    axes[2].axhline(0.0, color="k", lw=0.6)
    axes[2].set(ylabel="dB", ylim=(-82, 45), title="centre extraction: SDR and leakage per method")
    axes[2].grid(True, axis="y", alpha=0.3)
    axes[2].legend(fontsize="x-small", loc="upper right")
    return axes
