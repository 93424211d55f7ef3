r"""Rooms heard through a measured head, fast: principal components and exact early paths.

The engine behind ``ear_transfer_room(..., hrtf_components=K)`` (:mod:`acoustics.room.engines`),
split out to keep each module to one concept.

After Luo & Kim (EUSIPCO 2020, "Fast source-room-receiver acoustics modeling"), who bucket
the image arrivals of each receiver by direction and filter each bucket's echogram once. A
measured set has too many directions for buckets to pay (about 500 of the 710 KEMAR
directions are occupied by the 1 561 images of order 10), so the directions are grouped by
the principal components of the onset-aligned responses instead:
:math:`g H_{d,e}(f) e^{j2\pi f\tau_{d,e}} \approx \sum_{k<K} W_{e,d,k} C_{e,k}(f)` (real
weights, found on a 1024-point grid, fitted on ``freqs``). A reflection then adds, to each
ear's ``K`` echograms, an impulse at its delay plus its direction's onset, weighted by
:math:`W_{e,d,k}` (nearest direction) or by the barycentric mix of its triangle's weights
and onsets (interpolation, exactly the head's own model), and each echogram's spectrum is
multiplied by :math:`C_{e,k}`. The direct sound is exact, and so are the reflections up
to order 4 (``EXACT_ORDER``; the strongest, about two thirds of the reflected energy):
each adds its direction's whole measured response (each corner's taps at that corner's
own onset, which the taps hold), spread by the same kernel, to one more echogram per band
knot; this needs the grid at the data's sampling rate (otherwise every reflection goes
through the components). ``ear_transfer_room(..., hrtf_components=K,
hrtf_directions=...)`` selects it; the default stays the exact sum. Nearest directions come
from a cube-map cell lookup (:mod:`acoustics.heads.nearest_direction`, exact, 9x a k-d tree).
Measured on MIT KEMAR at 48 kHz, room 5 x 4 x 2.5 m, absorption 0.3, order 10, 4
listeners, NMSE over 100 Hz-16 kHz against the exact evaluation of the same model, nearest
directions: K = 16 / 24 / 32 / 64: -27.2 / -29.6 / -31.5 / -36.4 dB (the components alone,
without the exact early reflections: -21.5 / -23.7 / -25.6 / -30.6 dB). The
nearest-direction model itself differs from the interpolating one by -5.4 dB and agrees
with pyroomacoustics (which uses it) to -51..-54 dB when evaluated exactly. Each chunk of
listeners runs whole in one thread. The interpolating mode is slower, dominated by
:meth:`~acoustics.heads.interpolation.SphericalTriangulation.weights` (directions below the
lowest measured elevation fall back to a search of every triangle).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
from numpy.typing import NDArray

from acoustics.heads.hrtf import MeasuredHRTF, hrir_dtft
from acoustics.heads.interpolation import SphericalTriangulation
from acoustics.heads.nearest_direction import NearestDirections
from acoustics.room.echogram import (
    ECHOGRAM_ELEMENTS,
    SPREAD_TAPS,
    combine_components,
    component_echogram_spectra,
    deconvolution,
    delay_phasors,
    fft_grid,
    map_tasks,
)
from acoustics.room.shoebox import Room, band_weights, image_sources, reflection_spectra
from acoustics.room.tables import outside_head

__all__ = ["ear_transfer_measured_grouped", "MeasuredComponents", "NearestHRTF", "EXACT_ORDER"]

#: Reflections up to this order take their direction's whole measured response in the
#: grouped engine (the strongest paths; :class:`MeasuredComponents`' components the rest).
EXACT_ORDER = 4
#: FFT length (at the head data's rate) of the grid the principal components are found on.
PCA_FFT = 1024


class MeasuredComponents:
    r"""Onset-aligned measured responses of a :class:`MeasuredHRTF` and their principal components.

    ``aligned[d, e]`` is :math:`g\, H_{d,e}(f)\, e^{+j 2\pi f \tau_{d,e}}` on ``freqs``: the
    measured response with its onset removed (the model of :mod:`acoustics.heads.hrtf`). Per ear the
    ``(n_dirs, n_freqs)`` matrix, real and imaginary parts side by side, is factored by its
    singular value decomposition (through the eigenvectors of its Gram matrix) and truncated to
    ``n_components``: :math:`A_{d,e}(f) \approx \sum_k W_{e,d,k}\, C_{e,k}(f)` with real
    weights ``W`` (so each component's echogram is real) and complex spectra ``C``.
    ``residual[e]`` is the energy the truncation leaves out, relative to the set's.
    """

    def __init__(self, head: MeasuredHRTF, freqs: NDArray, n_components: int | None) -> None:
        hs = head.hrir_set
        if freqs.max() > hs.fs / 2:
            raise ValueError(
                f"freqs must not exceed the head data's Nyquist frequency {hs.fs / 2:g} Hz, got "
                f"{freqs.max():g} Hz"
            )
        self.head = head
        self.directions = hs.directions / np.linalg.norm(hs.directions, axis=1, keepdims=True)
        self.lookup = NearestDirections(self.directions)
        self.onsets = head.onsets - head.latency  # (n_dirs, 2), the delay each direction adds
        self.aligned = _aligned_spectra(head, freqs)  # (n_dirs, 2, n_f)
        if n_components is None:
            return
        # The components are found on a coarse grid (the responses are a few hundred taps long,
        # so their spectra are smooth), then fitted on ``freqs`` by projection.
        coarse = _aligned_spectra(head, np.fft.rfftfreq(PCA_FFT, 1.0 / hs.fs))
        self.weights, self.spectra, self.residual = [], [], []
        for e in range(2):
            stacked = np.concatenate([coarse[:, e].real, coarse[:, e].imag], axis=1)
            keep = _leading_eigenvectors(stacked @ stacked.T, n_components)  # (n_dirs, K)
            self.weights.append(keep)
            data = self.aligned[:, e]
            fit = keep.T @ data.real + 1j * (keep.T @ data.imag)  # least squares on freqs
            self.spectra.append(fit)  # (K, n_f)
            total = np.sum(data.real**2) + np.sum(data.imag**2)
            kept = np.sum(fit.real**2) + np.sum(fit.imag**2)  # orthonormal columns: Pythagoras
            self.residual.append(float(max(total - kept, 0.0) / total))

    def impulse_responses(self, fs: float) -> NDArray[np.float64] | None:
        """Return the measured responses ``(2, n_dirs, n_taps)`` (gain applied), at rate ``fs``.

        None unless ``fs`` is the data's rate: only then is the DTFT of the measured taps on
        the grid's bins the DFT of those taps (the model's responses, exactly, in time).
        """
        hs = self.head.hrir_set
        if not np.isclose(fs, hs.fs, rtol=0.0, atol=1e-9 * fs):
            return None
        return np.ascontiguousarray((hs.hrirs * self.head.gain).transpose(1, 0, 2))

    def nearest(self, local: NDArray[np.float64]) -> NDArray[np.intp]:
        """Index of the measured direction nearest each listener-frame position ``(n, 3)``."""
        return self.lookup(local)


class NearestHRTF:
    """Ear pressures with each path given the nearest measured direction's response (exactly)."""

    def __init__(
        self,
        head: MeasuredHRTF,
        freqs: NDArray,
        c: float,
        model: MeasuredComponents | None = None,
    ) -> None:
        self.model = MeasuredComponents(head, freqs, None) if model is None else model
        self.head, self.freqs, self.c = head, freqs, c
        self.uniform = fft_grid(freqs) is not None  # phases from two short tables if so

    def __call__(self, positions: NDArray, *, exact: NDArray[np.bool_]) -> NDArray[np.complex128]:
        """Ear pressures ``(2, n, n_freqs)`` of sources at ``positions`` (listener frame)."""
        distance = outside_head(positions, self.head.radius)
        d = self.model.nearest(positions)
        delay = distance[:, None] / self.c + self.model.onsets[d]  # (n, 2)
        if self.uniform:
            phase = delay_phasors(delay.ravel(), self.freqs).reshape(*delay.shape, -1)
        else:
            phase = np.exp(-2j * np.pi * delay[:, :, None] * self.freqs[None, None, :])
        out = self.model.aligned[d] * phase / (4.0 * np.pi * distance[:, None, None])
        return np.ascontiguousarray(out.transpose(1, 0, 2))


def _leading_eigenvectors(gram: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """Orthonormal eigenvectors ``(n, k)`` of the ``k`` largest eigenvalues of a Gram matrix.

    Block subspace iteration (6 steps, 10 extra vectors, seeded start; each step orthonormalised
    twice through the small Gram matrix of the block) and a Rayleigh-Ritz step: a few matrix
    products instead of a full eigendecomposition (0.5-2 s for 710 directions with this
    machine's LAPACK). Any orthonormal basis is a valid factorisation; how well it fits is
    measured (``residual``).
    """
    n = gram.shape[0]
    width = k + 10
    if 2 * width >= n:  # most of the set: the full decomposition is as cheap
        values, vectors = np.linalg.eigh(gram)
        return vectors[:, ::-1][:, :k]
    basis = np.random.default_rng(0).standard_normal((n, width))
    for _ in range(6):
        basis = gram @ basis
        for _twice in range(2):
            values, vectors = np.linalg.eigh(basis.T @ basis)
            floor = 1e-14 * max(float(values.max()), 1e-300)
            basis = basis @ (vectors / np.sqrt(np.clip(values, floor, None)))
    values, vectors = np.linalg.eigh(basis.T @ gram @ basis)
    return basis @ vectors[:, ::-1][:, :k]


def _aligned_spectra(head: MeasuredHRTF, freqs: NDArray[np.float64]) -> NDArray[np.complex128]:
    r"""Return :math:`g H_{d,e}(f) e^{+j2\pi f\tau_{d,e}}` ``(n_dirs, 2, n_freqs)`` on ``freqs``."""
    hs = head.hrir_set
    onset = delay_phasors(-head.onsets.ravel(), freqs).reshape(*head.onsets.shape, -1)
    return hrir_dtft(hs.hrirs, freqs, hs.fs) * onset * head.gain


def ear_transfer_measured_grouped(
    room: Room,
    p_d: NDArray[np.float64],
    x_l: NDArray[np.float64],
    r_l: NDArray[np.float64],
    head: MeasuredHRTF,
    freqs: NDArray[np.float64],
    grid: tuple[float, int],
    c: float,
    *,
    directions: str,
    n_components: int,
    exact_order: int = EXACT_ORDER,
    reach: NDArray[np.float64] | None = None,
) -> NDArray[np.complex128]:
    """Ears of listeners with a measured head, by per-component echograms (see module notes).

    Reflections up to ``exact_order`` take their whole measured response (-1: none).
    """
    fs, n_fft = grid
    n_f = freqs.shape[0]
    model = MeasuredComponents(head, freqs, n_components)
    triangulation = None
    if directions == "interpolate":
        triangulation = SphericalTriangulation(model.directions)
    constant = np.allclose(room.absorption, room.absorption[:, :1])
    bands = np.ones((1, n_f)) if constant else band_weights(freqs)
    deconv = deconvolution(n_fft)
    # Combination of each ear's echogram columns: (knot j, component k), bands x component x 1/phi,
    # then one column per knot of the exact paths' responses, bands x 1/phi.
    coef = [
        np.ascontiguousarray(
            np.concatenate(
                [(bands[:, None, :] * model.spectra[e][None, :, :] * deconv).reshape(-1, n_f)]
                + [bands * deconv]
            ).T
        )
        for e in range(2)
    ]  # each (n_f, columns)
    responses = model.impulse_responses(fs)
    if responses is None or responses.shape[-1] + SPREAD_TAPS >= n_fft:
        exact_order = -1  # another rate, or a grid shorter than a response: components only
        responses = np.zeros((2, 1, 1))
    n_cols = coef[0].shape[1]
    n_l = x_l.shape[0]
    out = np.empty((n_l, 2, p_d.shape[0], n_f), dtype=np.complex128)
    block = max(1, ECHOGRAM_ELEMENTS // (n_cols * n_fft))  # listeners per echogram block
    tasks = []
    for d in range(p_d.shape[0]):
        images = image_sources(room, p_d[d])
        knots = reflection_spectra(room, images)[1:, : bands.shape[0]]  # reflections only
        exact_paths = images.order[1:] <= exact_order  # the strongest: their whole responses
        for start in range(0, n_l, 4 * block):
            tasks.append((d, slice(start, min(n_l, start + 4 * block)), images, knots, exact_paths))
    context = _GroupedContext(
        model, triangulation, head, responses, coef, x_l, r_l, reach, freqs, fs, n_fft, c, block
    )
    # Chunks of listeners for each driver, each whole in one thread (geometry, nearest
    # directions, scatter, FFT, combination): the threads never wait on a serial step.
    map_tasks(functools.partial(_grouped_chunk, context=context, out=out), tasks)
    return out


@dataclasses.dataclass(frozen=True)
class _GroupedContext:
    """What every chunk of :func:`ear_transfer_measured_grouped` shares (read-only)."""

    model: MeasuredComponents
    triangulation: SphericalTriangulation | None
    head: MeasuredHRTF
    responses: NDArray[np.float64]
    coef: list[NDArray[np.complex128]]
    x_l: NDArray[np.float64]
    r_l: NDArray[np.float64]
    reach: NDArray[np.float64] | None
    freqs: NDArray[np.float64]
    fs: float
    n_fft: int
    c: float
    block: int


def _grouped_chunk(task: tuple, *, context: _GroupedContext, out: NDArray[np.complex128]) -> None:
    """Both ears of one chunk of listeners for one driver, into ``out[chunk, :, d]``."""
    d, sl, images, knots, exact_paths = task
    g = context
    model, head, c, fs = g.model, g.head, g.c, g.fs
    n_c = sl.stop - sl.start
    n_refl = knots.shape[0]
    rel = images.positions[None, :, :] - g.x_l[sl, None, :]  # (n_c, n_img, 3)
    local = np.einsum("lji,lnj->lni", g.r_l[sl], rel)
    try:
        if g.triangulation is not None:
            direct = head.ear_responses(local[:, 0], g.freqs, c=c)  # (2, n_c, n_f)
        else:
            direct = NearestHRTF(head, g.freqs, c, model)(local[:, 0], exact=None)
        refl = local[:, 1:].reshape(-1, 3)
        distance = outside_head(refl, head.radius)
    except ValueError as exc:
        raise ValueError(f"an image of driver {d} is inside a head: {exc}") from exc
    if g.triangulation is None:
        corner = model.nearest(refl)[:, None]
        bary = np.ones((refl.shape[0], 1))
    else:
        corner, bary = g.triangulation.weights(refl)
    base = knots[None, :, :] / (4.0 * np.pi * distance.reshape(n_c, n_refl)[:, :, None])
    if g.reach is not None:
        centre = np.linalg.norm(rel[:, 1:], axis=2)
        base *= (centre <= g.reach[sl, d, None])[:, :, None]
    flat = base.reshape(-1, knots.shape[1])
    for e in range(2):
        delay = distance / c + np.einsum("pc,pc->p", bary, model.onsets[corner, e])
        # An exact path's corners each start at their own onset: the measured taps hold it
        # (see MeasuredComponents.impulse_responses).
        at_corners = delay[:, None] - (model.onsets[corner, e] + head.latency)
        # Each set listener-major, the same number of paths per listener.
        split = [
            tuple(
                a.reshape(n_c, n_refl, *a.shape[1:])[:, keep]
                for a in (position, flat, corner, bary)
            )
            for keep, position in ((~exact_paths, delay * fs), (exact_paths, at_corners * fs))
        ]
        for b0 in range(0, n_c, g.block):
            _grouped_block(
                slice(b0, min(n_c, b0 + g.block)),
                paths=split[0],
                exact=split[1],
                weights=model.weights[e],
                responses=g.responses[e],
                coef=g.coef[e],
                direct=direct[e],
                n_fft=g.n_fft,
                out=out[sl, e, d, :],
            )


def _grouped_block(
    listeners: slice,
    *,
    paths: tuple[NDArray, ...],
    exact: tuple[NDArray, ...],
    weights: NDArray[np.float64],
    responses: NDArray[np.float64],
    coef: NDArray[np.complex128],
    direct: NDArray[np.complex128],
    n_fft: int,
    out: NDArray[np.complex128],
) -> None:
    """One ear of a block of listeners: scatter, transform, combine the components, add the direct.

    ``paths`` (by components) and ``exact`` (whole responses) are each ``(position, base, corner,
    bary)`` with a leading listener axis ``(n_c, paths per listener, ...)``; ``out`` and
    ``direct`` are the chunk's ``(n_c, n_f)``.
    """
    n_block = listeners.stop - listeners.start

    def flat(arrays: tuple[NDArray, ...]) -> tuple[NDArray, ...]:
        block = [np.ascontiguousarray(a[listeners].reshape(-1, *a.shape[2:])) for a in arrays]
        rows = np.repeat(np.arange(n_block), arrays[0].shape[1])
        return (*block, rows)

    spectra = component_echogram_spectra(
        flat(paths), weights, flat(exact), responses, n_block, n_fft
    )
    combine_components(spectra, coef, direct[listeners], out[listeners])
