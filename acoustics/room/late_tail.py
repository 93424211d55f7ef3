r"""The diffuse late tail of the hybrid room model (image sources, then a stochastic tail).

A shoebox of specular image sources alone decays wrongly late on: it has no scattering, so the
paths that miss the most absorbent surface decay slowly and the T30 grows with the order (the
demo's living room at 1 kHz: 0.16 / 0.31 / 0.73 / 1.60 s at orders 6 / 12 / 24 / 52, against
0.46 s by Eyring). Following Lehmann & Johansson (IEEE TASLP 18(6), 2010, "Diffuse reverberation
model for efficient image-source simulation of room impulse responses") the room model keeps the
image sources up to a *transition* and continues with a diffuse tail whose decay follows the room.

Transition
    With images up to order :math:`N` the image-source response at a receiver is complete up
    to the arrival of the first image of order :math:`N + 1`: the transition distance
    :math:`r_\mathrm{mix} = \min_i |\mathbf y_i - \mathbf x|` over the order-:math:`(N+1)`
    images (:func:`transition_distances`; the head centre for a listener). Image arrivals
    later than :math:`r_\mathrm{mix}/c` are dropped and the tail starts there, faded in over
    :data:`FADE_S`. ``Room(transition_ms=...)`` sets an earlier transition.
Decay
    Per octave band the reverberation time :math:`T_b` of the room (:func:`decay_times`):
    Eyring (the default) or Sabine from the wall absorption and the air, or the decay of a
    stochastic ray tracer with the room's scattering coefficient (:func:`ray_traced_decay_times`,
    the "energy model": it reproduces the slow decay of a specular box when the scattering is
    zero). Between band centres the decay rate is interpolated over log frequency as the wall
    absorption is (:func:`acoustics.room.band_weights`).
Level
    For a point receiver and a unit omnidirectional point source the diffuse energy arriving per
    second at time :math:`t` after emission is

    .. math:: e(t) = \frac{c}{4 \pi V} e^{-13.82\, t / T},

    the image-source density (one image per room volume) times :math:`1/(4\pi r)^2` at
    :math:`r = ct`, decaying as Eyring's model. Integrated from 0 it gives
    :math:`1/(\pi A)` with :math:`A = 0.161 V / T`, so the diffuse field equals the direct
    sound :math:`1/(4 \pi r)^2` at the critical distance :math:`r_c = \sqrt{A / (16 \pi)}`. The
    tail joins the image-source energy at the transition: per band, driver and receiver its
    level is multiplied by the ratio of the image energy in :math:`[t_\mathrm{mix}/2,
    t_\mathrm{mix}]` (omnidirectional weights, reflection factors at the band centres) to the
    energy :math:`e(t)` predicts there (:func:`matching_gains`; 1 when fewer than
    :data:`MIN_MATCH_IMAGES` images fall in that window).
Space
    A diffuse field's emission and arrival directions are independent and uniform, so the
    tail's cross-spectral matrix over (receiver, driver) pairs is a Kronecker product
    :math:`\mathbf C_\mathrm{rec}(f) \otimes \mathbf C_\mathrm{drv}(f)`:

    - drivers: :math:`C_{ij} = \langle D_i(\hat{\mathbf u}) D_j^*(\hat{\mathbf u})
      e^{jk\hat{\mathbf u}\cdot(\mathbf p_i - \mathbf p_j)}\rangle` over the sphere
      (:func:`diffuse_driver_covariance`); its diagonal is :math:`1/Q` of each driver, and a
      beam's tail level is :math:`\mathbf w^H \mathbf C \mathbf w`, which is how a beam raises the
      critical distance;
    - ears (:func:`diffuse_ear_covariance`): for point ears :math:`\sin(kd)/(kd)` off the
      diagonal and 1 on it; for a rigid sphere, a spherical-head model or a measured set, the
      average of :math:`\mathbf h \mathbf h^H` over a uniform sphere of far-field directions,
      with :math:`\mathbf h` the ear responses relative to free field at the head centre (so the
      diagonal is the head's diffuse-field power response);
    - distinct points of :func:`~acoustics.room.engines.point_transfer_room` are given
      independent tails (a diffuse field decorrelates within about half a wavelength).
Synthesis
    Gaussian white noise per (receiver, driver), seeded from the room's ``seed`` and the
    receiver's position and yaw (so one listener has the same tail alone or in a grid), is
    taken to the short-time Fourier domain (:class:`scipy.signal.ShortTimeFFT`, Hann window of
    :data:`STFT_WINDOW` samples, half overlap), mixed per bin by the Cholesky factors of the two
    covariances, shaped by the envelope (the slowest band's decay per sample in the time domain,
    the rest per frame, so the staircase of the frames is at most a fraction of a dB), and
    brought back. The tail runs until the slowest band has decayed by :data:`TAIL_DECAY_DB`.

Below the Schroeder frequency :math:`2000\sqrt{T/V}` (about 180 Hz in the living room) a room is
modal rather than diffuse; the tail there is a statistical stand-in.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.signal import ShortTimeFFT
from scipy.signal.windows import hann

from acoustics.caching import Keyed, memoize
from acoustics.geometry import SPEED_OF_SOUND
from acoustics.metrics import eyring_t60, sabine_t60

__all__ = [
    "decay_times",
    "ray_traced_decay_times",
    "transition_distances",
    "matching_gains",
    "diffuse_driver_covariance",
    "diffuse_ear_covariance",
    "tail_duration",
    "response_seconds",
    "stft_bins",
    "synthesize_tails",
    "FADE_S",
    "STFT_WINDOW",
    "TAIL_DECAY_DB",
    "MIN_MATCH_IMAGES",
]

#: Fade-in of the tail at the transition, seconds.
FADE_S = 1e-3
#: STFT window length (samples at the synthesis rate): 47 Hz bins at 48 kHz.
STFT_WINDOW = 1024
#: The tail ends when the slowest band has decayed this far below its level at emission, dB.
TAIL_DECAY_DB = 60.0
#: Fewer images than this in the matching window leave the tail at its theoretical level.
MIN_MATCH_IMAGES = 8
#: Rings of the sphere quadrature for the diffuse covariances (acoustics.freefield).
_QUADRATURE_RINGS = 32


def _energy_air_attenuation(room) -> NDArray[np.float64]:
    """Energy attenuation of air m (1/m) at the octave-band centres (0 without air absorption)."""
    from acoustics.room.shoebox import OCTAVE_BANDS_HZ, air_attenuation_db_per_m

    if not room.air_absorption:
        return np.zeros(len(OCTAVE_BANDS_HZ))
    return air_attenuation_db_per_m(np.array(OCTAVE_BANDS_HZ)) / (10.0 * np.log10(np.e))


def decay_times(room, *, c: float = SPEED_OF_SOUND) -> NDArray[np.float64]:
    """Reverberation time of the room's tail per octave band, ``(7,)`` in seconds.

    By ``room.tail``: ``"eyring"`` or ``"sabine"`` from the wall absorption (and the air's, with
    ``air_absorption``), ``"ray_tracing"`` from :func:`ray_traced_decay_times` with
    ``room.scattering``. A band whose walls absorb everything has a time of 0 (no tail).
    """
    m = _energy_air_attenuation(room)
    if room.tail == "ray_tracing":
        return _ray_traced_cached(
            room.dimensions.tobytes(),
            room.absorption.tobytes(),
            room.air_absorption,
            room.scattering,
            float(c),
        ).copy()
    alpha = room.absorption
    if np.all(alpha == 1.0):
        return np.zeros(alpha.shape[1])
    formula = eyring_t60 if room.tail == "eyring" else sabine_t60
    with np.errstate(divide="ignore"):
        return np.asarray(
            formula(room.volume, room.wall_areas, np.minimum(alpha, 1.0), air_attenuation=m, c=c),
            dtype=float,
        )


def ray_traced_decay_times(
    room,
    *,
    scattering: float,
    n_rays: int = 2000,
    seed: int = 0,
    c: float = SPEED_OF_SOUND,
) -> NDArray[np.float64]:
    r"""Reverberation times ``(7,)`` of the room's energy decay by stochastic ray tracing.

    Rays leave the room's centre in uniformly random directions and bounce off the walls, each
    reflection specular or, with probability ``scattering``, in a Lambert (cosine) direction
    about the wall normal. A ray carries the energy :math:`\prod (1 - \alpha_w)` of the walls it
    has met per band (and the air's :math:`e^{-mr}`); the room's energy :math:`E(t)` is the sum
    over rays, and the time is fitted to :math:`10\log_{10} E` from -5 to -35 dB (T30). With
    ``scattering=0`` the shoebox's slow specular paths dominate and the decay overshoots Eyring.

    Parameters
    ----------
    room : Room
        The shoebox.
    scattering : float
        Scattering coefficient in [0, 1].
    n_rays : int, optional
        Rays traced.
    seed : int, optional
        Seed of the random directions.
    c : float, optional
        Speed of sound in m/s.
    """
    if not 0.0 <= scattering <= 1.0:
        raise ValueError(f"scattering must lie in [0, 1], got {scattering!r}")
    rng = np.random.default_rng(seed)
    dims = room.dimensions
    log_keep = np.log(np.clip(1.0 - room.absorption, 1e-300, None))  # (6, 7)
    m = _energy_air_attenuation(room)
    eyring = decay_times(_with_tail(room, "eyring"), c=c)
    if np.all(eyring == 0):
        return eyring
    horizon = 2.0 * float(eyring.max()) * c  # path length traced: two Eyring T60s
    n_grid = 600
    grid = np.linspace(0.0, horizon / c, n_grid)
    step_t = grid[1] - grid[0]
    pos = np.tile(dims / 2.0, (n_rays, 1))
    direction = _uniform_directions(rng, n_rays)
    length = np.zeros(n_rays)
    log_energy = np.zeros((n_rays, log_keep.shape[1]))
    # Energy in the room at time t: each ray's energy since its last reflection, accumulated on
    # the grid as a difference array (+e where a segment starts, -e where it ends).
    change = np.zeros((n_grid + 1, log_keep.shape[1]))
    rows = np.arange(n_rays)
    while np.min(length) < horizon:
        with np.errstate(divide="ignore", invalid="ignore"):
            to_wall = np.where(direction > 0, (dims - pos) / direction, -pos / direction)
        to_wall[~np.isfinite(to_wall) | (to_wall < 0)] = np.inf
        axis = np.argmin(to_wall, axis=1)
        step = to_wall[rows, axis]
        energy = np.exp(log_energy - m[None, :] * length[:, None])
        begin = np.minimum(np.ceil(length / c / step_t), n_grid).astype(np.intp)
        length = length + step
        end = np.minimum(np.ceil(length / c / step_t), n_grid).astype(np.intp)
        np.add.at(change, begin, energy)
        np.add.at(change, end, -energy)
        pos = np.clip(pos + step[:, None] * direction, 0.0, dims)
        wall = 2 * axis + (direction[rows, axis] > 0)
        log_energy = log_energy + log_keep[wall]
        reflected = direction.copy()
        reflected[rows, axis] *= -1.0
        scatter = rng.random(n_rays) < scattering
        if np.any(scatter):
            inward = np.where(wall % 2 == 0, 1.0, -1.0)[scatter]
            reflected[scatter] = _lambert(rng, axis[scatter], inward)
        direction = reflected
    energy = np.cumsum(change, axis=0)[:n_grid]  # (n_grid, 7)
    level = 10.0 * np.log10(np.maximum(energy / energy[0], 1e-300))
    out = np.empty(level.shape[1])
    for b in range(level.shape[1]):  # seven bands: a fit each
        sel = (level[:, b] <= -5.0) & (level[:, b] >= -35.0)
        if np.count_nonzero(sel) < 3:
            out[b] = 0.0
            continue
        slope = np.polyfit(grid[sel], level[sel, b], 1)[0]
        out[b] = -60.0 / slope
    return out


@memoize(8)
def _ray_traced_cached(
    dims: bytes, absorption: bytes, air: bool, scattering: float, c: float
) -> NDArray[np.float64]:
    """Return the ray tracer's times for a room given by value (each room is traced once)."""
    from acoustics.room.shoebox import Room

    alpha = np.frombuffer(absorption).reshape(6, -1)
    room = Room(np.frombuffer(dims), alpha, air_absorption=air, tail="none")
    return ray_traced_decay_times(room, scattering=scattering, c=c)


def _with_tail(room, tail: str):
    import dataclasses

    return dataclasses.replace(room, tail=tail)


def _uniform_directions(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    v = rng.standard_normal((n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _lambert(rng: np.random.Generator, axis: NDArray, inward: NDArray) -> NDArray[np.float64]:
    """Cosine-distributed directions leaving walls normal to ``axis`` towards ``inward``."""
    n = axis.size
    u1, u2 = rng.random(n), rng.random(n)
    normal_part = np.sqrt(1.0 - u1)  # cos(theta) with a density proportional to cos(theta)
    tangential = np.sqrt(u1)
    phi = 2.0 * np.pi * u2
    out = np.empty((n, 3))
    for ax in range(3):  # three axes: the two tangential components go in the other slots
        sel = axis == ax
        others = [i for i in range(3) if i != ax]
        out[sel, ax] = inward[sel] * normal_part[sel]
        out[sel, others[0]] = tangential[sel] * np.cos(phi[sel])
        out[sel, others[1]] = tangential[sel] * np.sin(phi[sel])
    return out


def transition_distances(
    room, sources: NDArray[np.float64], receivers: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Distance up to which the image sources are complete, ``(n_receivers, n_sources)``, metres.

    The distance from each receiver to the nearest image of order ``room.max_order + 1`` of each
    source, or ``c * room.transition_ms`` if that is nearer.
    """
    from acoustics.room.shoebox import image_sources

    beyond = room.max_order + 1
    out = np.empty((receivers.shape[0], sources.shape[0]))
    for s, source in enumerate(sources):
        images = image_sources(room, source, max_order=beyond)
        first = images.positions[images.order == beyond]
        diff = receivers[:, None, :] - first[None, :, :]
        out[:, s] = np.sqrt(np.min(np.einsum("rni,rni->rn", diff, diff), axis=1))
    return out


def _theory_energy(t0: NDArray, t1: NDArray, decay: NDArray, volume: float, c: float) -> NDArray:
    """Integral of e(t) over [t0, t1], broadcast against the bands' energy decay rates."""
    rate = np.maximum(decay, 1e-12)
    return c / (4.0 * np.pi * volume) * (np.exp(-rate * t0) - np.exp(-rate * t1)) / rate


def energy_decay_rates(t60: NDArray[np.float64]) -> NDArray[np.float64]:
    """Energy decay rates 13.82 / T (1/s) per band; infinite for a time of 0."""
    with np.errstate(divide="ignore"):
        return np.where(t60 > 0, 6.0 * np.log(10.0) / np.maximum(t60, 1e-300), np.inf)


def matching_gains(
    room,
    distances: NDArray[np.float64],
    reflection_knots: NDArray[np.float64],
    reach: NDArray[np.float64],
    t60: NDArray[np.float64],
    c: float,
) -> NDArray[np.float64]:
    """Energy ratios ``(n_receivers, 7)`` of image sources to the diffuse model at the transition.

    Parameters
    ----------
    distances : (n_receivers, n_img) ndarray
        Receiver to image distances (the order-0 image, the source, first).
    reflection_knots : (n_img, 7) ndarray
        Pressure reflection factors of the images at the band centres.
    reach : (n_receivers,) ndarray
        Transition distances.
    """
    lo, hi = reach[:, None] / 2.0, reach[:, None]
    window = (distances >= lo) & (distances <= hi)
    window[:, 0] = False
    images = np.einsum(
        "rn,rn,nb->rb", window, 1.0 / (4.0 * np.pi * distances) ** 2, reflection_knots**2
    )
    rate = energy_decay_rates(t60)
    theory = _theory_energy(lo / c, hi / c, rate[None, :], room.volume, c)
    gains = np.where(theory > 0, images / np.where(theory > 0, theory, 1.0), 0.0)
    few = np.count_nonzero(window, axis=1) < MIN_MATCH_IMAGES
    gains[few] = np.where(np.isfinite(rate), 1.0, 0.0)[None, :]
    return gains


def diffuse_driver_covariance(
    device, freqs: NDArray[np.float64], c: float = SPEED_OF_SOUND
) -> NDArray[np.complex128]:
    """Diffuse-field cross-spectra of the drivers ``(n_freqs, n_d, n_d)`` (diagonal: 1/Q).

    Cached by value (:mod:`acoustics.caching`): the drivers' positions, orientations and
    directivities (``Device.cache_key``), the frequencies and ``c``.
    """
    freqs_key = np.ascontiguousarray(freqs, dtype=float).tobytes()
    return _driver_covariance_cached(Keyed(device), freqs_key, float(c)).copy()


@memoize(8)
def _driver_covariance_cached(keyed: Keyed, freqs_key: bytes, c: float) -> NDArray[np.complex128]:
    return _driver_covariance(keyed.model, np.frombuffer(freqs_key), c)


def _driver_covariance(device, freqs: NDArray[np.float64], c: float) -> NDArray[np.complex128]:
    from acoustics.freefield import sphere_transfer
    from acoustics.sources import Omni

    p = device.positions
    if all(isinstance(d.directivity, Omni) for d in device.drivers):
        dist = np.linalg.norm(p[:, None, :] - p[None, :, :], axis=-1)
        k = 2.0 * np.pi * freqs / c
        return np.sinc(k[:, None, None] * dist[None] / np.pi).astype(complex)
    sphere = sphere_transfer(device, freqs, n_elevations=_QUADRATURE_RINGS, c=c)
    q = sphere.directions.weights
    h = np.moveaxis(sphere.H, -1, 0)  # (n_f, n_dirs, n_d)
    return np.einsum("q,fqi,fqj->fij", q, h, np.conj(h))


@memoize(4)
def _ear_covariance_cached(keyed, freqs_key: bytes, c: float) -> NDArray[np.complex128]:
    from acoustics.freefield import sphere_quadrature
    from acoustics.geometry import greens_function
    from acoustics.heads import PointEars

    head = keyed.head
    freqs = np.frombuffer(freqs_key)
    if isinstance(head, PointEars):
        d = float(np.linalg.norm(head.ear_positions[0] - head.ear_positions[1]))
        gamma = np.sinc(2.0 * freqs * d / c)  # sin(kd)/(kd)
        out = np.zeros((freqs.size, 2, 2), dtype=complex)
        out[:, 0, 0] = out[:, 1, 1] = 1.0
        out[:, 0, 1] = out[:, 1, 0] = gamma
        return out
    directions, weights = sphere_quadrature(_QUADRATURE_RINGS)
    far = 20.0  # m: the far field, relative to free field at the head centre
    ears = head.ear_responses(far * directions, freqs, c=c)  # (2, n_dirs, n_f)
    ears = ears / greens_function(np.array([far]), freqs, c=c)[0][None, None, :]
    return np.einsum("q,aqf,bqf->fab", weights, ears, np.conj(ears))


def diffuse_ear_covariance(head, freqs: NDArray[np.float64], c: float = SPEED_OF_SOUND):
    r"""Diffuse-field cross-spectra of a head's ears ``(n_freqs, 2, 2)``, relative to free field.

    Point ears: 1 on the diagonal and :math:`\sin(kd)/(kd)` off it. Other heads: the average
    of :math:`\mathbf h \mathbf h^H` over a uniform sphere of far-field directions (cached per
    head and frequencies).
    """
    from acoustics.heads import KeyedHead

    key = np.ascontiguousarray(freqs, dtype=float).tobytes()
    return _ear_covariance_cached(KeyedHead(head), key, c)  # by value: two loads of KEMAR share


def response_seconds(room, *, decay_db: float = TAIL_DECAY_DB, c: float = SPEED_OF_SOUND) -> float:
    """Return the seconds from emission until the room's tail has decayed by ``decay_db``.

    The slowest band decides; ``decay_db`` is at most :data:`TAIL_DECAY_DB`, where the tail
    ends. 0 without a tail.
    """
    if room.tail == "none":
        return 0.0
    return tail_duration(decay_times(room, c=c)) * min(decay_db, TAIL_DECAY_DB) / TAIL_DECAY_DB


def tail_duration(t60: NDArray[np.float64]) -> float:
    """Seconds after emission by which the slowest band has decayed by :data:`TAIL_DECAY_DB`."""
    return float(np.max(t60, initial=0.0)) * TAIL_DECAY_DB / 60.0


@memoize(4)
def _stft(fs: float) -> ShortTimeFFT:
    """Return the tail's STFT: root-Hann frames at half overlap.

    The squared windows add to 1, so independent coefficients synthesise stationary noise (a
    plain Hann would modulate it by 3 dB at the hop rate).
    """
    window = np.sqrt(hann(STFT_WINDOW, sym=False))
    return ShortTimeFFT(window, STFT_WINDOW // 2, fs, fft_mode="onesided", dual_win=window)


def stft_bins(fs: float) -> NDArray[np.float64]:
    """Frequencies (Hz) of the bins the tail's spectra are shaped on, at sampling rate ``fs``."""
    return _stft(float(fs)).f


def _factor(cov: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """Principal square roots L = L^H with L L^H = cov per bin.

    The principal root is unique and continuous in ``cov`` (semi-definite is fine), so
    neighbouring bins, whose STFT coefficients are correlated, are mixed alike; factors from a
    bare eigen-decomposition swap and flip columns from bin to bin and bias the coherence.
    """
    values, vectors = np.linalg.eigh(cov)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))[..., None, :]
    return root @ np.conj(np.swapaxes(vectors, -1, -2))


def _seed(room_seed: int, position: NDArray, yaw_deg: float) -> np.random.SeedSequence:
    """Return a seed from the room's, the receiver's position (um) and yaw (millidegrees)."""
    ints = [int(round(v)) for v in np.append(position * 1e6, yaw_deg * 1e3)]
    return np.random.SeedSequence([room_seed] + [2 * abs(v) + (v < 0) for v in ints])


def synthesize_tails(
    room,
    receivers: NDArray[np.float64],
    yaws_deg: NDArray[np.float64],
    receiver_cov: NDArray[np.complex128] | None,
    driver_cov: NDArray[np.complex128],
    gains: NDArray[np.float64],
    start_s: NDArray[np.float64],
    t60: NDArray[np.float64],
    fs: float,
    end_s: float,
    c: float,
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Time-domain tails of each receiver group from its transition on.

    Parameters
    ----------
    receivers, yaws_deg : (n_groups, 3), (n_groups,) ndarray
        Group (listener) positions and yaws: they seed the noise.
    receiver_cov : (n_bins, n_rec, n_rec) ndarray or None
        Cross-spectra of the receivers in a group on the STFT bins (None: one receiver).
    driver_cov : (n_bins, n_d, n_d) ndarray
        Diffuse cross-spectra of the drivers on the STFT bins.
    gains : (n_groups, n_d, 7) ndarray
        Level of each band relative to the theory (:func:`matching_gains`).
    start_s : (n_groups, n_d) ndarray
        Transition time of each group and driver, seconds.
    end_s : float
        End of the tails, seconds after emission. Each group's noise depends only on its own
        seed, start and this end, so a listener has the same tail in any grid.

    Returns
    -------
    tails : (n_groups, n_rec, n_d, n_taps) ndarray
        Each group's tail, sample 0 at ``offsets[g]``, zero after the end.
    offsets : (n_groups,) ndarray of int
        First sample of each group's tails (at or before its earliest transition).
    """
    from acoustics.room.shoebox import band_weights

    sft = _stft(fs)
    bins = sft.f
    n_rec = 1 if receiver_cov is None else receiver_cov.shape[1]
    n_d = driver_cov.shape[1]
    rate = energy_decay_rates(t60)  # energy, per second, per band
    finite = np.isfinite(rate)
    amplitude_rate = np.where(finite, rate, 0.0) / 2.0
    slowest = float(np.min(amplitude_rate[finite])) if np.any(finite) else 0.0
    hats = band_weights(np.maximum(bins, 1e-3))  # (7, n_bins)
    bin_rate = amplitude_rate @ hats  # pressure decay rate per bin
    # One mixing matrix per bin over (receiver, driver) pairs: the Kronecker product of roots.
    mixing = _factor(driver_cov)  # (n_bins, n_d, n_d)
    if receiver_cov is not None:
        mixing = np.einsum("bij,bkl->bikjl", _factor(receiver_cov), mixing).reshape(
            bins.size, n_rec * n_d, n_rec * n_d
        )
    n_groups = receivers.shape[0]
    offsets = np.floor(start_s.min(axis=1) * fs).astype(np.intp)
    lengths = np.maximum(int(np.ceil(end_s * fs)) - offsets, 1)
    n_out = int(lengths.max())
    n_frames = sft.p_max(n_out) - sft.p_min
    # Unit-variance output: circular coefficients of variance N through the root-Hann synthesis.
    sigma = np.sqrt(STFT_WINDOW / 2.0)
    # Single precision throughout: its rounding (about -140 dB) is far below any use of a tail.
    coeffs = np.zeros((n_groups, bins.size, n_rec * n_d, n_frames), dtype=np.complex64)
    for g in range(n_groups):  # each group's noise from its own seed and length alone
        rng = np.random.default_rng(_seed(room.seed, receivers[g], float(yaws_deg[g])))
        own = sft.p_max(int(lengths[g])) - sft.p_min
        z = rng.standard_normal((2, bins.size, n_rec * n_d, own), dtype=np.float32)
        coeffs[g, ..., :own].real = z[0]
        coeffs[g, ..., :own].imag = z[1]
    coeffs *= np.float32(sigma)
    mixed = np.matmul(mixing.astype(np.complex64)[None], coeffs)  # (n_g, n_bins, n_rd, n_frames)
    # Level per band and driver (matched), then per bin; the decay beyond the slowest band's
    # per frame (the slowest band's per sample, below).
    t0 = offsets / fs
    frame_t = sft.t(n_out)
    level = np.sqrt(np.maximum(gains, 0.0) @ hats)  # (n_g, n_d, n_bins)
    extra = np.exp(-(bin_rate - slowest)[None, :, None] * (t0[:, None, None] + frame_t))
    mixed = mixed.reshape(n_groups, bins.size, n_rec, n_d, n_frames)
    scale = np.moveaxis(level, 1, 2)[:, :, None, :, None] * extra[:, :, None, None, :]
    mixed *= scale.astype(np.float32)
    mixed = np.moveaxis(mixed, 1, 3)  # (n_g, n_rec, n_d, n_bins, n_frames)
    tails = sft.istft(mixed, k1=n_out, f_axis=-2, t_axis=-1)  # (n_g, n_rec, n_d, n_out)
    sample_t = np.arange(n_out) / fs
    since = sample_t[None, None, :] + t0[:, None, None] - start_s[:, :, None]
    fade = 0.5 - 0.5 * np.cos(np.pi * np.clip(since / FADE_S, 0.0, 1.0))  # (n_g, n_d, n_out)
    base = c / (4.0 * np.pi * room.volume) / fs  # energy per sample at unit level
    envelope = np.sqrt(base) * np.exp(-slowest * (t0[:, None] + sample_t[None, :]))
    fade *= (envelope * (sample_t[None, :] < lengths[:, None] / fs))[:, None, :]
    out = tails * fade[:, None, :, :].astype(np.float32)
    return out, offsets
