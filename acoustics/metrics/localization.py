r"""A binaural localization model for several wavefronts: coherence- and onset-gated cues.

The model hears ear signals of a *running* stimulus (noise, a speech-like burst train) and returns
the one azimuth a listener would report. It follows the cue-selection idea of Faller & Merimaa
(JASA 115(6), 2004): binaural cues are computed per auditory band and per instant, and only those
instants count where the ear signals are interaurally coherent, which selects the direct sound of
a source and rejects the parts where reflections or a second loudspeaker interfere. It adds an
onset weight, so that each band is judged by the instants where its level rises, which is where
the first wavefront of a sound arrives alone (localization dominance, the precedence effect:
Litovsky, Colburn, Yost & Guzman, JASA 106(4), 1999; Zurek, JASA 67(3), 1980).

Stages
    1. **Auditory filters.** Complex fourth-order gammatone filters (Patterson et al. 1992; the
       all-pole form of Hohmann, Acta Acustica 88, 2002),
       :math:`G_b(f) = (1 + j (f - f_b)/\beta_b)^{-4}`, :math:`\beta_b = 1.019\,\mathrm{ERB}(f_b)`,
       on bands one ERB apart from 200 Hz to 12 kHz (or 0.42 fs). They are applied in the
       frequency domain and each band is kept as its complex analytic signal at baseband,
       sampled at about 8 kHz (the band is narrow, so nothing is lost).
    2. **Running statistics** with an exponential window of :math:`T = 10` ms (Faller & Merimaa's
       value), on blocks of 0.5 ms: the powers :math:`\Phi_{LL}`, :math:`\Phi_{RR}` and the
       cross-products :math:`\Phi_{LR}(\tau)` for lags :math:`|\tau| \le 1` ms.
    3. **Cues per band and block.** Interaural coherence
       :math:`\mathrm{IC} = \max_\tau |\Phi_{LR}(\tau)| / \sqrt{\Phi_{LL}\Phi_{RR}(\tau)}` (for a
       narrow band the maximum over lags of the normalised cross-correlation that Faller &
       Merimaa use); the level difference :math:`10 \log_{10} \Phi_{LL} / \Phi_{RR}` at the best
       lag (comparing the two ears over the same part of the sound, so that the leading ear's head
       start at an onset is no level cue); the fine-structure phase difference
       :math:`\arg \Phi_{LR}(0)` in the bands below 1.4 kHz.
    4. **Selection.** A block counts where IC is at least ``coherence_min`` (0.99, the value of
       Faller & Merimaa's stricter settings; they use 0.9-0.99), weighted by the rise of the
       band's level, :math:`[\Delta \ln (E_b + \epsilon)]_+` with :math:`E_b` the band energy
       smoothed over 3 ms and :math:`\epsilon` 40 dB below its maximum. Per band the selected
       phases are averaged as unit phasors and the level differences arithmetically.
    5. **Mapping to azimuth** through the same head's cue table (:func:`cue_table`): the same
       filters' long-term statistics of the head's responses to sources on the horizontal plane.
       With the per-band errors in just-noticeable differences (:math:`\sigma_\tau = 20\ \mu s`
       of ITD, :math:`\sigma_L = 1` dB of ILD; Mills, JASA 30(4), 1958),

       .. math:: e_{\tau,b}^2(\varphi) = \frac{2 (1 - \cos(\Delta\phi_b - \Delta\phi_b^T(\varphi)))}
                 {(2 \pi f_b \sigma_\tau)^2}, \qquad
                 e_{L,b}^2(\varphi) = \left(\frac{\Delta L_b - \Delta L_b^T(\varphi)}
                 {\sigma_L}\right)^2

       (the phase error is the squared ITD error for small errors and stays finite across the
       period ambiguity of each band), the azimuth minimises

       .. math:: J(\varphi) = \overline{\rho(e_{\tau,b}^2)}_{f_b \le 1.4\,kHz}
                 + w\, \overline{\rho(e_{L,b}^2)}_{f_b > 1.4\,kHz}, \qquad
                 \rho(e^2) = \kappa^2 \ln(1 + e^2 / \kappa^2),

       means over the bands that selected any cue. :math:`\rho` is the Cauchy (Lorentzian) cost of
       robust estimation with :math:`\kappa = 10` JNDs: a band whose cue is many JNDs off, because
       two wavefronts interfere in it, counts little more than one 10 JNDs off, so the bands that
       agree decide. For cues that agree it is the least-squares fit.

What it reproduces (tests hold it to these, on the rigid sphere and on KEMAR)
    Level panning at +-30 deg follows the tangent law within 3 deg; time panning moves the image
    monotonically towards the leading loudspeaker, most of the way by 1 ms; a lead of 1-5 ms keeps
    it at the leading loudspeaker (Blauert, *Spatial Hearing*, 1997, sec. 3.1); real sources at
    1-3 m and -60..60 deg are found within 5 deg, in free field and in a furnished room.

Where it is not valid
    It returns one direction per signal pair: it does not separate concurrent sources (Faller &
    Merimaa's histograms do; here the cues are pooled). Only the lateral angle is resolved
    (-90..90 deg in front; ITD and ILD cannot tell front from back) and elevation is ignored.
    It models no internal noise, no absolute threshold and no level dependence; a stimulus needs
    onsets (a steady noise switched on once gives only one). Envelope ITDs above 1.4 kHz are not
    used, and precedence in the lowest bands (below about 400 Hz, whose filters ring for longer
    than a lead of a few milliseconds) is weaker than in listeners. Lags beyond the echo
    threshold are not heard as separate echoes: they only lose weight. Right after silence the
    running statistics hold few samples, so the coherence of the first onset blocks is close to
    1 whatever the signals are: two independent noises with a common envelope in the two ears
    still get a direction (about 20 deg in a probe), although only about 3 % of their onset
    weight passes the gate; ``BandCues.coherent_fraction`` shows it (near 1 for a real source).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.caching import memoize
from acoustics.geometry import DEFAULT_FS, SPEED_OF_SOUND, sph_to_cart
from acoustics.heads import HeadModel, KeyedHead
from acoustics.metrics.binaural import as_ears, erb_space, erb_width
from acoustics.validation import as_float_array, as_int, as_positive

__all__ = [
    "BandCues",
    "CueTable",
    "Localization",
    "band_cues",
    "cue_table",
    "localize",
    "localize_responses",
    "match_cues",
    "speech_like_stimulus",
]

#: Auditory bands of the model (Hz): lowest centre, highest centre (capped at 0.42 fs).
BAND_HZ: tuple[float, float] = (200.0, 12000.0)
#: Bands at or below this centre carry the fine-structure phase cue, those above the level cue.
PHASE_LIMIT_HZ = 1400.0
#: Just-noticeable differences that scale the two cues.
SIGMA_ITD_S = 20e-6
SIGMA_ILD_DB = 1.0
COHERENCE_MIN = 0.99
#: Per-band cue errors beyond about this many JNDs count as outliers (Cauchy cost).
OUTLIER_JND = 10.0
_WINDOW_S = 10e-3  # running statistics (Faller & Merimaa 2004)
_ONSET_WINDOW_S = 3e-3  # smoothing of the band energy whose rise weights the cues
_ONSET_FLOOR = 1e-4  # 40 dB below the band's peak energy
_MAX_LAG_S = 1e-3
_BAND_RATE_HZ = 8000.0  # band signals at baseband, sampled at fs / floor(fs / 8 kHz)
_PAD_S = 40e-3
_BLOCK_S = 0.5e-3  # cues are read out every 0.5 ms
_TINY = 1e-30


def speech_like_stimulus(
    fs: float = DEFAULT_FS, *, n_bursts: int = 2, seed: int = 20261201
) -> NDArray[np.float64]:
    """Return a speech-like test signal: noise bursts with sharp onsets and a speech-like tilt.

    Bursts of 80 ms every 125 ms (8 per second, a syllable rate), each with a 0.5 ms rise and a
    10 ms fall, the signal ending with the last burst, of Gaussian noise with a first-order
    low-pass spectrum above 500 Hz (about the long-term slope of speech). Its peak is 1.

    Parameters
    ----------
    fs : float, optional
        Sampling rate in Hz.
    n_bursts : int, optional
        Number of bursts (each an onset the model can hear).
    seed : int, optional
        Seed of the noise.

    Returns
    -------
    x : (n_samples,) ndarray
    """
    fs = as_positive(fs, "fs")
    n_bursts = as_int(n_bursts, "n_bursts", 1)
    period, on, rise, fall = 0.125, 0.08, 0.5e-3, 0.01
    n = int(round(((n_bursts - 1) * period + on) * fs))  # ends with the last burst
    noise = np.random.default_rng(seed).standard_normal(n)
    f = np.fft.rfftfreq(n, 1.0 / fs)
    noise = np.fft.irfft(np.fft.rfft(noise) / np.sqrt(1.0 + (f / 500.0) ** 2), n)
    tp = (np.arange(n) / fs) % period
    env = np.ones(n)
    env = np.where(tp < rise, 0.5 - 0.5 * np.cos(np.pi * tp / rise), env)
    fade = np.clip((tp - (on - fall)) / fall, 0.0, 1.0)
    env = np.where(tp > on - fall, 0.5 + 0.5 * np.cos(np.pi * fade), env)
    env = np.where(tp >= on, 0.0, env)
    x = noise * env
    return x / np.max(np.abs(x))


def _band_centres(fs: float) -> NDArray[np.float64]:
    return erb_space(BAND_HZ[0], min(BAND_HZ[1], 0.42 * fs))


def _gammatone(freqs: NDArray, centres: NDArray) -> NDArray[np.complex128]:
    """Complex all-pole gammatone responses ``(n_bands, n_freqs)``, unit gain at the centre."""
    b = 1.019 * erb_width(centres)[:, None]
    return (1.0 + 1j * (freqs[None, :] - centres[:, None]) / b) ** -4


def _baseband_bands(
    x: NDArray, fs: float, centres: NDArray
) -> tuple[NDArray[np.complex128], float]:
    """Analytic band signals at baseband, ``(..., n_bands, m)``, and their sampling rate.

    The band rate is ``fs / D`` with ``D = floor(fs / 8 kHz)`` (8 kHz at 48 kHz), the same for every
    signal length. Each band keeps the FFT bins within half that rate of its centre, shifted to zero
    frequency: the widest band's filter is about 40 dB down there (39.7 dB for the 12 kHz band at 48
    kHz). Single precision is ample for the cues (the coherence gate and the level floor are far
    above its rounding).
    """
    from scipy.fft import ifft, next_fast_len, rfft

    decimation = max(1, int(fs // _BAND_RATE_HZ))
    # Zero padding of 40 ms: the lowest filter's ringing (-75 dB by then) must not wrap round
    # onto the signal's first onset.
    n = x.shape[-1] + int(np.ceil(_PAD_S * fs))
    m = next_fast_len(int(np.ceil(n / decimation)))
    n_fft = decimation * m
    spec = rfft(x, n_fft, axis=-1).astype(np.complex64)
    df = fs / n_fft
    centre_bins = np.round(centres / df).astype(int)
    idx = centre_bins[:, None] + np.round(np.fft.fftfreq(m) * m).astype(int)[None, :]
    valid = (idx >= 0) & (idx < spec.shape[-1])
    idx = np.clip(idx, 0, spec.shape[-1] - 1)
    g = np.where(valid, _gammatone(idx * df, centres), 0.0).astype(np.complex64)
    # x2 for the analytic signal (one-sided spectrum), m / n_fft for the shorter inverse FFT.
    return ifft(spec[..., idx] * g, axis=-1) * (2.0 * m / n_fft), m * df


@numba.njit(cache=True, fastmath=True)
def _running_statistics(left, right, alpha, alpha_onset, block, shifts):  # pragma: no cover
    """Faller & Merimaa's running statistics per band, read out at the end of each block.

    ``left``, ``right``: complex band signals ``(n_signals, n_bands, m)``; ``alpha``: weight of
    the newest sample in the running averages; ``shifts``: lags in samples (positive: the left
    ear leads, pairing the left ear at ``n - k`` with the right ear at ``n``; samples before the
    start are zero). Returns, per block, the coherence (the maximum over lags), the level
    difference in dB at that lag, the zero-lag cross-product and the band energy averaged with
    ``alpha_onset``.
    """
    n_sig, n_bands, m = left.shape
    n_blocks = m // block
    n_lags = shifts.size
    zero = np.argmin(np.abs(shifts))
    lag_l = np.maximum(shifts, 0)
    lag_r = np.maximum(-shifts, 0)
    coherence = np.zeros((n_sig, n_bands, n_blocks))
    level = np.zeros((n_sig, n_bands, n_blocks))
    phase = np.zeros((n_sig, n_bands, n_blocks), dtype=np.complex128)
    energy = np.zeros((n_sig, n_bands, n_blocks))
    run_l = np.zeros(m)
    run_r = np.zeros(m)
    cross_re = np.zeros(n_lags)
    cross_im = np.zeros(n_lags)
    keep = 1.0 - alpha
    for i in range(n_sig):
        for b in range(n_bands):
            lr_, li_ = left[i, b].real.astype(np.float64), left[i, b].imag.astype(np.float64)
            rr_, ri_ = right[i, b].real.astype(np.float64), right[i, b].imag.astype(np.float64)
            cross_re[:] = 0.0
            cross_im[:] = 0.0
            ql = 0.0
            qr = 0.0
            e = 0.0
            for n in range(m):
                al = lr_[n] * lr_[n] + li_[n] * li_[n]
                ar = rr_[n] * rr_[n] + ri_[n] * ri_[n]
                ql += alpha * (al - ql)
                qr += alpha * (ar - qr)
                run_l[n] = ql
                run_r[n] = qr
                e += alpha_onset * (al + ar - e)
                for j in range(n_lags):
                    nl = n - lag_l[j]
                    nr = n - lag_r[j]
                    if nl < 0 or nr < 0:  # before the start: zeros
                        cross_re[j] *= keep
                        cross_im[j] *= keep
                        continue
                    # left[nl] * conj(right[nr])
                    pre = lr_[nl] * rr_[nr] + li_[nl] * ri_[nr]
                    pim = li_[nl] * rr_[nr] - lr_[nl] * ri_[nr]
                    cross_re[j] = keep * cross_re[j] + alpha * pre
                    cross_im[j] = keep * cross_im[j] + alpha * pim
                if (n + 1) % block == 0:
                    jb = n // block
                    # The lag of the largest |cross|^2 / (pl pr), compared without division.
                    best_num = -1.0
                    best_den = 1.0
                    best_j = zero
                    for j in range(n_lags):
                        nl = n - lag_l[j]
                        nr = n - lag_r[j]
                        if nl < 0 or nr < 0:
                            continue
                        num = cross_re[j] ** 2 + cross_im[j] ** 2
                        den = run_l[nl] * run_r[nr] + 1e-300
                        if num * best_den > best_num * den:
                            best_num = num
                            best_den = den
                            best_j = j
                    if best_num < 0.0:  # no lag is complete yet
                        best, best_level = -1.0, 0.0
                    else:
                        best = np.sqrt(best_num / best_den)
                        lp = run_l[n - lag_l[best_j]]
                        rp = run_r[n - lag_r[best_j]]
                        best_level = 10.0 * np.log10((lp + 1e-300) / (rp + 1e-300))
                    coherence[i, b, jb] = best
                    level[i, b, jb] = best_level
                    phase[i, b, jb] = cross_re[zero] + 1j * cross_im[zero]
                    energy[i, b, jb] = e
    return coherence, level, phase, energy


@dataclass(frozen=True)
class BandCues:
    r"""Selected binaural cues per auditory band; arrays ``(..., n_bands)``.

    Attributes
    ----------
    centres_hz : (n_bands,) ndarray
        Band centres.
    phasor : ndarray, complex
        Weighted mean of the unit interaural phasors :math:`e^{j \Delta\phi}` (positive phase:
        the left ear leads); its angle is the phase cue.
    ild_db : ndarray
        Weighted mean level difference, left over right.
    weight : ndarray
        Total onset weight of the selected blocks (0: the band selected nothing).
    coherent_fraction : ndarray
        Fraction of the band's onset weight that passed the coherence gate.
    """

    centres_hz: NDArray[np.float64]
    phasor: NDArray[np.complex128]
    ild_db: NDArray[np.float64]
    weight: NDArray[np.float64]
    coherent_fraction: NDArray[np.float64]


def band_cues(ears: npt.ArrayLike, fs: float, *, coherence_min: float = COHERENCE_MIN) -> BandCues:
    """Coherence- and onset-gated phase and level cues per auditory band (stages 1-4).

    Parameters
    ----------
    ears : (..., 2, n_samples) array_like
        Left and right ear signals of a running stimulus.
    fs : float
        Sampling rate in Hz.
    coherence_min : float, optional
        Interaural coherence a block needs to count, in (0, 1].

    Returns
    -------
    BandCues
    """
    x, fs = as_ears(ears, fs)
    if x.shape[-1] < int(np.ceil(2e-3 * fs)):
        raise ValueError(
            f"ears must hold at least 2 ms ({int(np.ceil(2e-3 * fs))} samples), got {x.shape[-1]}"
        )
    c0 = as_positive(coherence_min, "coherence_min")
    if c0 > 1.0:
        raise ValueError(f"coherence_min must lie in (0, 1], got {c0:g}")
    centres = _band_centres(fs)
    z, rate = _baseband_bands(x, fs, centres)  # (..., 2, n_bands, m)
    z = z[..., : int(np.ceil(x.shape[-1] * rate / fs))]  # the padding only kept the ends apart
    lead = z.shape[:-3]
    flat = z.reshape((-1,) + z.shape[-3:])
    block = max(1, int(round(_BLOCK_S * rate)))
    n_lag = int(round(_MAX_LAG_S * rate))
    ic, ild, phase, energy = _running_statistics(
        np.ascontiguousarray(flat[:, 0]),
        np.ascontiguousarray(flat[:, 1]),
        1.0 - np.exp(-1.0 / (_WINDOW_S * rate)),
        1.0 - np.exp(-1.0 / (_ONSET_WINDOW_S * rate)),
        block,
        np.arange(-n_lag, n_lag + 1),
    )
    ic, ild, phase, energy = (v.reshape(lead + v.shape[1:]) for v in (ic, ild, phase, energy))
    log_e = np.log(energy + _ONSET_FLOOR * energy.max(axis=-1, keepdims=True) + _TINY)
    onset = np.maximum(np.diff(log_e, axis=-1, prepend=log_e[..., :1]), 0.0)
    w = onset * (ic >= c0)
    total = w.sum(axis=-1)
    safe = np.maximum(total, _TINY)
    return BandCues(
        centres_hz=centres,
        phasor=np.sum(w * phase / (np.abs(phase) + _TINY), axis=-1) / safe,
        ild_db=np.sum(w * ild, axis=-1) / safe,
        weight=total,
        coherent_fraction=total / np.maximum(onset.sum(axis=-1), _TINY),
    )


@dataclass(frozen=True, eq=False)
class CueTable:
    """The cues of a head model for real sources on the horizontal plane (stage 5's template).

    Attributes
    ----------
    head : HeadModel
        The model the cues belong to.
    fs : float
        Sampling rate in Hz.
    distance : float
        Source distance in metres.
    azimuths_deg : (n_az,) ndarray
        Source azimuths in the listener frame, -90 to 90 deg.
    centres_hz : (n_bands,) ndarray
        Band centres (those of :func:`band_cues` at ``fs``).
    ipd_rad : (n_az, n_bands) ndarray
        Interaural phase difference, unwrapped along azimuth (positive: left ear leads).
    ild_db : (n_az, n_bands) ndarray
        Interaural level difference (positive: left louder).
    """

    head: HeadModel
    fs: float
    distance: float
    azimuths_deg: NDArray[np.float64]
    centres_hz: NDArray[np.float64]
    ipd_rad: NDArray[np.float64]
    ild_db: NDArray[np.float64]


def cue_table(
    head: HeadModel,
    *,
    fs: float = DEFAULT_FS,
    distance: float = 2.0,
    step_deg: float = 1.0,
    c: float = SPEED_OF_SOUND,
) -> CueTable:
    r"""Return the head's band cues over azimuth (cached per head and parameters).

    The cache keys on the head's value (:attr:`~acoustics.heads.HeadModel.cache_key`: two loads
    of the same measured set share a table); ``cue_table.cache_clear()`` empties it.

    The cues are the long-term statistics of the model's filters for the speech-like spectrum
    :math:`S(f)`: :math:`\Delta\phi_b = \arg \sum_f |G_b|^2 S\, H_L H_R^*` and
    :math:`\Delta L_b = 10 \log_{10} \sum_f |G_b|^2 S |H_L|^2 / \sum_f |G_b|^2 S |H_R|^2`, which is
    what :func:`band_cues` measures for a single source in free field.

    Parameters
    ----------
    head : HeadModel
        Ear model.
    fs : float, optional
        Sampling rate in Hz.
    distance : float, optional
        Source distance in metres.
    step_deg : float, optional
        Azimuth step.
    c : float, optional
        Speed of sound in m/s.
    """
    if not isinstance(head, HeadModel):
        raise TypeError(f"head must be a HeadModel, got {type(head).__name__}")
    return _cue_table(
        KeyedHead(head),
        as_positive(fs, "fs"),
        as_positive(distance, "distance"),
        as_positive(step_deg, "step_deg"),
        as_positive(c, "c"),
    )


@memoize(16)
def _cue_table(keyed: KeyedHead, fs: float, distance: float, step: float, c: float) -> CueTable:
    head = keyed.head
    if distance <= head.radius:
        raise ValueError(
            f"distance must exceed the head radius {head.radius:g} m, got {distance:g}"
        )
    az = np.arange(-90.0, 90.0 + 1e-9, step)
    freqs = np.fft.rfftfreq(4096, 1.0 / fs)[1:]
    p = head.ear_responses(sph_to_cart(az, np.zeros_like(az), distance), freqs, c=c)
    centres = _band_centres(fs)
    weight = np.abs(_gammatone(freqs, centres)) ** 2 / (1.0 + (freqs / 500.0) ** 2)
    cross = np.einsum("bf,af->ab", weight, p[0] * np.conj(p[1]))
    level_l = np.einsum("bf,af->ab", weight, np.abs(p[0]) ** 2)
    level_r = np.einsum("bf,af->ab", weight, np.abs(p[1]) ** 2)
    return CueTable(
        head=head,
        fs=fs,
        distance=distance,
        azimuths_deg=az,
        centres_hz=centres,
        ipd_rad=np.unwrap(np.angle(cross), axis=0),
        ild_db=10.0 * np.log10(level_l / level_r),
    )


@dataclass(frozen=True)
class Localization:
    """Perceived azimuths and the cues they come from; arrays share the input's leading shape.

    Attributes
    ----------
    azimuth_deg : ndarray
        Azimuth from both cues, degrees in the listener frame (positive: left); NaN where no band
        selected any cue.
    itd_azimuth_deg, ild_azimuth_deg : ndarray
        Azimuth from the phase cue alone and from the level cue alone.
    cues : BandCues
        The selected cues per band.
    """

    azimuth_deg: NDArray[np.float64]
    itd_azimuth_deg: NDArray[np.float64]
    ild_azimuth_deg: NDArray[np.float64]
    cues: BandCues


def match_cues(cues: BandCues, table: CueTable, *, ild_weight: float = 1.0) -> Localization:
    """Map band cues to the azimuth whose table cues they match best (stage 5)."""
    if not isinstance(cues, BandCues):
        raise TypeError(f"cues must be BandCues, got {type(cues).__name__}")
    if not isinstance(table, CueTable):
        raise TypeError(f"table must be a CueTable, got {type(table).__name__}")
    if cues.centres_hz.shape != table.centres_hz.shape or not np.allclose(
        cues.centres_hz, table.centres_hz
    ):
        raise ValueError("cues and table have different bands (computed at different fs?)")
    w = as_positive(ild_weight, "ild_weight", allow_zero=True)
    fine = np.arange(table.azimuths_deg[0], table.azimuths_deg[-1] + 1e-9, 0.1)

    def interp(values: NDArray) -> NDArray:
        return np.stack([np.interp(fine, table.azimuths_deg, v) for v in values.T], axis=-1)

    ipd_tab, ild_tab = interp(table.ipd_rad), interp(table.ild_db)  # (n_fine, n_bands)
    low = table.centres_hz <= PHASE_LIMIT_HZ
    used = cues.weight > 0
    sigma = 2.0 * np.pi * table.centres_hz * SIGMA_ITD_S
    j_phase = 2.0 * (1.0 - np.cos(np.angle(cues.phasor)[..., None, :] - ipd_tab)) / sigma**2
    j_level = ((cues.ild_db[..., None, :] - ild_tab) / SIGMA_ILD_DB) ** 2

    def band_mean(j: NDArray, mask: NDArray) -> NDArray:
        weights = mask / np.maximum(mask.sum(axis=-1, keepdims=True), 1)
        return np.einsum("...ab,...b->...a", j, weights)

    # Robust across bands: an error of many JNDs counts little more than one of OUTLIER_JND.
    j_phase = OUTLIER_JND**2 * np.log1p(j_phase / OUTLIER_JND**2)
    j_level = OUTLIER_JND**2 * np.log1p(j_level / OUTLIER_JND**2)
    j_t = band_mean(j_phase, used & low)
    j_l = band_mean(j_level, used & ~low)
    none = ~np.any(used, axis=-1)

    def pick(j: NDArray, missing: NDArray) -> NDArray:
        return np.where(missing, np.nan, fine[np.argmin(j, axis=-1)])

    return Localization(
        # With the level cue weighted out, only phase cues can decide.
        azimuth_deg=pick(j_t + w * j_l, ~np.any(used & low, axis=-1) if w == 0 else none),
        itd_azimuth_deg=pick(j_t, ~np.any(used & low, axis=-1)),
        ild_azimuth_deg=pick(j_l, ~np.any(used & ~low, axis=-1)),
        cues=cues,
    )


def _table_for(head: HeadModel | CueTable, fs: float) -> CueTable:
    table = head if isinstance(head, CueTable) else cue_table(head, fs=fs)
    if table.fs != fs:
        raise ValueError(f"fs {fs:g} differs from the cue table's {table.fs:g} Hz")
    return table


def localize(
    ears: npt.ArrayLike,
    fs: float,
    head: HeadModel | CueTable,
    *,
    ild_weight: float = 1.0,
    coherence_min: float = COHERENCE_MIN,
) -> Localization:
    """Perceived azimuth of ear signals of a running stimulus.

    Parameters
    ----------
    ears : (..., 2, n_samples) array_like
        Left and right ear signals, e.g. :func:`speech_like_stimulus` through binaural impulse
        responses (:func:`localize_responses` does that).
    fs : float
        Sampling rate in Hz.
    head : HeadModel or CueTable
        The listener's head (its table is built or taken from the cache), or a table.
    ild_weight : float, optional
        Weight of the level cue against the phase cue (0 uses the phase cue only).
    coherence_min : float, optional
        Interaural coherence a block needs to count.

    Returns
    -------
    Localization
    """
    x, fs = as_ears(ears, fs)
    table = _table_for(head, fs)
    return match_cues(band_cues(x, fs, coherence_min=coherence_min), table, ild_weight=ild_weight)


def localize_responses(
    irs: npt.ArrayLike,
    fs: float,
    head: HeadModel | CueTable,
    *,
    stimulus: npt.ArrayLike | None = None,
    ild_weight: float = 1.0,
    coherence_min: float = COHERENCE_MIN,
) -> Localization:
    """Perceived azimuth of a stimulus played through binaural impulse responses.

    Parameters
    ----------
    irs : (..., 2, n_taps) array_like
        Binaural impulse responses (left, right ear), whole: the model selects what it hears.
    fs : float
        Sampling rate in Hz.
    head : HeadModel or CueTable
        As in :func:`localize`.
    stimulus : (n_samples,) array_like, optional
        The source signal; :func:`speech_like_stimulus` by default.
    ild_weight, coherence_min
        As in :func:`localize`.

    Returns
    -------
    Localization

    Notes
    -----
    Each response is judged on its own, whatever else is in the batch: from 5 ms before its
    arrival (before it there is silence) to 20 ms after the stimulus ends (after it there is only
    the reverberant decay, which the coherence gate rejects anyway).
    """
    from scipy.signal import oaconvolve

    h, fs = as_ears(irs, fs)
    s = speech_like_stimulus(fs) if stimulus is None else as_float_array(stimulus, "stimulus")
    if s.ndim != 1 or s.size < 2 or not np.any(s):
        raise ValueError(f"stimulus must be a non-silent 1-D signal, got shape {s.shape}")
    # Each response is judged on its own: from 5 ms before its own arrival (the silence before
    # carries nothing) for as long as the stimulus plus 20 ms, whatever else is in the batch.
    mag = np.max(np.abs(h), axis=-2)  # (..., n_taps)
    first = np.argmax(mag >= 0.1 * mag.max(axis=-1, keepdims=True), axis=-1)
    lead_in, tail = int(round(0.005 * fs)), int(round(0.02 * fs))
    length = lead_in + tail + s.size  # beyond the response's end: zeros (masked below)
    padded = np.concatenate([np.zeros(h.shape[:-1] + (lead_in,)), h], axis=-1)
    idx = first[..., None, None] + np.arange(length)  # start lead_in before the arrival
    idx = np.minimum(idx, padded.shape[-1] - 1)
    window = np.take_along_axis(padded, np.broadcast_to(idx, h.shape[:-1] + (length,)), axis=-1)
    beyond = (first[..., None, None] + np.arange(length)) >= padded.shape[-1]
    window = np.where(beyond, 0.0, window)
    ears = oaconvolve(window, s.reshape((1,) * (h.ndim - 1) + (-1,)), axes=-1)
    ears = ears[..., : lead_in + s.size + tail]
    return localize(ears, fs, head, ild_weight=ild_weight, coherence_min=coherence_min)


cue_table.cache_clear = _cue_table.cache_clear  # type: ignore[attr-defined]
