r"""Echogram synthesis on an FFT grid: impulses at arbitrary delays, spread and deconvolved.

The time-domain engine of :mod:`acoustics.room.engines` (the gridding step of a type-1
non-uniform FFT): every arrival is spread over the ``SPREAD_TAPS`` samples around it with an
exponential-of-semicircle kernel (Barnett, Magland & af Klinteberg, SIAM J. Sci. Comput. 41(5),
2019), the echograms are transformed, and dividing by the kernel's spectrum
(:func:`deconvolution`) leaves the exact delays' spectra up to the kernel's aliasing (-76 to
-80 dB below 0.4 fs, measured in :mod:`acoustics.room.engines`'s docstring). Also the exact
delay phasors of a few paths on a uniform grid (:func:`delay_phasors`). Split out of
:mod:`acoustics.room.engines` to keep each module to one concept.

The scatter-adds and the combinations are numba kernels (``cache=True``, ``nogil``; threads
over blocks of rows, :func:`map_tasks`): compiling all five takes about 5 s once (then
cached: loading them about 0.3 s). Each is tested against the plain computation (numpy
scatter-add, the exact delay spectra, the exact per-path room sums) in
``tests/acoustics/test_echogram.py`` and ``tests/acoustics/test_room_transfer_fast.py``.
"""

from __future__ import annotations

import concurrent.futures
import os

import numba
import numpy as np
import scipy.fft as sp_fft
from numpy.typing import NDArray

from acoustics.caching import memoize

__all__ = [
    "image_echogram_spectra",
    "component_echogram_spectra",
    "combine_with_direct",
    "combine_components",
    "deconvolution",
    "delay_phasors",
    "fft_grid",
    "map_blocks",
    "map_tasks",
    "ECHOGRAM_ELEMENTS",
    "SPREAD_TAPS",
]  # the building blocks of acoustics.room.engines's fast engines

# Echogram synthesis for the time-domain paths (gridding, as in a type-1 non-uniform FFT).
#: Taps of the spreading kernel (odd: centred on the sample nearest each arrival).
SPREAD_TAPS = 7
#: Shape parameter of the exponential-of-semicircle kernel (chosen for the smallest worst-case
#: aliasing up to 0.4 fs; see :func:`_kernel_spectrum`).
_SPREAD_BETA = 12.6
#: Resolution of the tabulated kernel, rows per sample of arrival offset.
SPREAD_RESOLUTION = 4096
#: Real elements of the echograms of one scatter (kept cache-sized).
ECHOGRAM_ELEMENTS = 1_000_000
#: Threads of :func:`map_blocks` (blocks of points, each scattered and transformed in one).
_SCATTER_THREADS = min(8, os.cpu_count() or 1)
#: Worker threads of the FFTs (``scipy.fft``'s ``workers``; -1 = every core).
_FFT_WORKERS = -1


def _es_kernel(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Evaluate the spreading kernel at offsets ``x`` (samples); zero beyond ``taps / 2``."""
    z = np.clip(1.0 - (2.0 * x / SPREAD_TAPS) ** 2, 0.0, None)
    return np.where(z > 0, np.exp(_SPREAD_BETA * (np.sqrt(z) - 1.0)), 0.0)


def _spreading_table() -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Return tap offsets ``(taps,)`` and the kernel ``(resolution + 1, taps)`` per offset row.

    Row ``q`` holds the kernel for an arrival ``q / resolution - 1/2`` samples after its nearest
    sample, at that sample's neighbours ``offsets``.
    """
    offsets = np.arange(SPREAD_TAPS) - SPREAD_TAPS // 2
    frac = np.arange(SPREAD_RESOLUTION + 1) / SPREAD_RESOLUTION - 0.5
    return offsets, _es_kernel(offsets[None, :] - frac[:, None])


SPREAD_OFFSETS, SPREAD_TABLE = _spreading_table()
_QUADRATURE = tuple(v * SPREAD_TAPS / 2.0 for v in np.polynomial.legendre.leggauss(200))


def _kernel_spectrum(nu: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""Continuous Fourier transform of the kernel at ``nu`` cycles per sample (real, even).

    :math:`\hat\phi(\nu) = \int \phi(x) \cos(2\pi\nu x)\, dx` by 200-point Gauss-Legendre
    quadrature (the kernel is smooth inside its support and :math:`e^{-\beta}` = 3e-6 at its
    ends; the quadrature errs by under 1e-9 relative).
    """
    x, w = _QUADRATURE
    return np.cos(2.0 * np.pi * np.outer(nu, x)) @ (w * _es_kernel(x))


def fft_grid(freqs: NDArray[np.float64]) -> tuple[float, int] | None:
    """Return ``(fs, n_fft)`` if ``freqs`` is ``np.fft.rfftfreq(n_fft, 1/fs)``, else None."""
    n_bins = freqs.shape[0]
    if n_bins < 2 or freqs[0] != 0.0:
        return None
    for n_fft in (2 * (n_bins - 1), 2 * n_bins - 1):
        fs = freqs[1] * n_fft
        if np.allclose(freqs, np.arange(n_bins) * fs / n_fft, rtol=0.0, atol=1e-9 * fs):
            return fs, n_fft
    return None


def image_echogram_spectra(
    images: NDArray[np.float64],
    knots: NDArray[np.float64],
    points: NDArray[np.float64],
    reach: NDArray[np.float64],
    samples_per_metre: float,
    n_fft: int,
) -> tuple[NDArray[np.complex64], NDArray[np.float64]]:
    """Spectra ``(n_points, K, n_fft // 2 + 1)`` of the reflections of ``images`` at ``points``.

    Image ``i`` (``i >= 1``; row 0 is the source itself, left out) reaches point ``p`` as an
    impulse ``knots[i] / (4 pi r)`` at ``r * samples_per_metre`` samples, ``r`` the distance, if
    ``r <= reach[p]``; spread over the taps around it and wrapped modulo ``n_fft`` (circular,
    as sampling the spectrum on the grid does), not yet divided by the kernel's spectrum
    (:func:`deconvolution`).
    Distances, amplitudes and the scatter run in one numba kernel (:func:`_scatter_images`): no
    (points x images) array is built. One thread (the FFT too): callers run blocks of points in
    threads (:func:`map_blocks`). Also returns the direct distances ``(n_points,)``.

    Raises
    ------
    ValueError
        If a point coincides with an image.
    """
    echograms = np.empty((points.shape[0], knots.shape[1], n_fft), dtype=np.float32)
    clash = _scatter_images(
        images, knots, points, reach, samples_per_metre, SPREAD_TABLE, echograms
    )
    direct = np.linalg.norm(points - images[0], axis=1)
    if clash >= 0 or np.any(direct == 0.0):
        raise ValueError("points must not coincide with a driver or one of its images")
    return sp_fft.rfft(echograms, axis=-1), direct


@numba.njit(cache=True, nogil=True)
def combine_with_direct(spectra, weights, delays, gains, step, out):  # pragma: no cover - compiled
    r"""Write reflections plus the direct sound, ``(n_points, n_f)``, into ``out``.

    ``out[p, f] = sum_m spectra[p, m, f] weights[m, f] + gains[p] exp(-j 2 pi f step delays[p])``:
    the deconvolved, band-weighted reflections plus the exact direct sound in one pass (no
    temporaries). The phasor of bin ``f = aB + b`` is the product of a coarse and a fine one
    (about :math:`2\sqrt{n_f}` exponentials per point), as :func:`delay_phasors`.
    """
    n_points, n_cols, n_f = spectra.shape
    width = int(np.ceil(np.sqrt(n_f)))
    fine = np.empty(width, dtype=np.complex128)
    for p in range(n_points):
        w = -2.0 * np.pi * step * delays[p]
        for b in range(width):
            fine[b] = np.exp(1j * w * b)
        for a in range(0, n_f, width):
            coarse = gains[p] * np.exp(1j * w * a)
            for b in range(min(width, n_f - a)):
                f = a + b
                total = coarse * fine[b]
                for m in range(n_cols):
                    total += spectra[p, m, f] * weights[m, f]
                out[p, f] = total


@numba.njit(cache=True, nogil=True)
def combine_components(spectra, coef, direct, out):  # pragma: no cover - compiled
    """``out[l, f] = direct[l, f] + sum_m spectra[l, f, m] * coef[f, m]``, summed in complex128.

    The component echograms' spectra (complex64, columns last) times each column's spectrum
    (with the band weights and the deconvolution), one contiguous dot product per bin.
    """
    n_l, n_f, n_m = spectra.shape
    for i in range(n_l):
        for f in range(n_f):
            acc = direct[i, f]
            for m in range(n_m):
                acc += spectra[i, f, m] * coef[f, m]
            out[i, f] = acc


def map_blocks(fn, n: int, block: int) -> None:
    """Call ``fn(slice)`` on consecutive blocks of ``range(n)`` in :data:`_SCATTER_THREADS` threads.

    For work that releases the GIL (numba ``nogil`` kernels, ``scipy.fft``, large numpy
    operations); the first exception is raised.
    """
    map_tasks(fn, [slice(start, min(n, start + block)) for start in range(0, n, block)])


def map_tasks(fn, tasks: list) -> None:
    """Call ``fn(task)`` for each of ``tasks`` in :data:`_SCATTER_THREADS` threads (see above)."""
    if len(tasks) <= 1 or _SCATTER_THREADS == 1:
        for task in tasks:
            fn(task)
        return
    with concurrent.futures.ThreadPoolExecutor(_SCATTER_THREADS) as pool:
        for future in [pool.submit(fn, task) for task in tasks]:
            future.result()


@numba.njit(cache=True, nogil=True)
def _scatter_images(
    images, knots, points, reach, samples_per_metre, table, out
):  # pragma: no cover - compiled
    """Write the spread reflections of ``images[1:]`` at each point into ``out`` (float32).

    Each point's echograms are summed in a float64 buffer ``taps`` samples longer than the
    grid (the taps past its end are folded back once per point, not tested per tap), then
    stored. Each arrival rounds to its nearest sample and table row (halves up). Returns the
    index of a point that coincides with an image, or -1.
    """
    n_fft = out.shape[2]
    n_cols = out.shape[1]
    taps = table.shape[1]
    resolution = table.shape[0] - 1
    half = taps // 2
    buffer = np.zeros((n_cols, n_fft + taps))
    clash = -1
    for p in range(points.shape[0]):
        buffer[:] = 0.0
        px, py, pz = points[p, 0], points[p, 1], points[p, 2]
        for i in range(1, images.shape[0]):
            dx = px - images[i, 0]
            dy = py - images[i, 1]
            dz = pz - images[i, 2]
            r = np.sqrt(dx * dx + dy * dy + dz * dz)
            if r == 0.0:
                clash = p
                continue
            if r > reach[p]:
                continue
            position = r * samples_per_metre
            centre = np.floor(position + 0.5)
            q = int((position - centre + 0.5) * resolution + 0.5)
            first = (int(centre) - half) % n_fft
            amplitude = 1.0 / (4.0 * np.pi * r)
            if n_cols == 1:  # one echogram (frequency-independent walls): no inner loop
                amplitude *= knots[i, 0]
                for t in range(taps):
                    buffer[0, first + t] += table[q, t] * amplitude
            else:
                for t in range(taps):
                    weight = table[q, t] * amplitude
                    for m in range(n_cols):
                        buffer[m, first + t] += weight * knots[i, m]
        for m in range(n_cols):
            for n in range(taps):
                buffer[m, n] += buffer[m, n_fft + n]
            for n in range(n_fft):
                out[p, m, n] = buffer[m, n]
    return clash


def component_echogram_spectra(
    paths: tuple[NDArray, ...],
    weights: NDArray[np.float64],
    exact: tuple[NDArray, ...],
    responses: NDArray[np.float64],
    n_rows: int,
    n_fft: int,
) -> NDArray[np.complex64]:
    """Spectra ``(n_rows, n_fft // 2 + 1, J * K + J)`` of paths weighted by components.

    ``paths`` and ``exact`` are each ``(position, base, corner, bary, rows)``: per path its
    arrival (samples), its amplitude per band knot ``(P, J)``, its direction as corners and
    barycentric weights ``(P, C)`` (nearest: one corner of weight 1; interpolating: a
    triangle's three) and its output row (non-decreasing). A path of ``paths`` adds to column
    ``j * K + k`` an impulse of ``base[p, j] * sum_c bary[p, c] * weights[corner[p, c], k]``
    (``K`` component weights of its direction); a path of ``exact`` adds to column ``J * K + j``
    each corner's measured impulse response (``responses`` ``(n_dirs, L)``) starting at that
    corner's own ``position[p, c]``, times ``bary[p, c] * base[p, j]``. Spread and wrapped as
    :func:`image_echogram_spectra`, not deconvolved; one thread (callers split rows with
    :func:`map_blocks`).
    """
    n_knots = paths[1].shape[1]
    n_comp = weights.shape[1]
    # Columns last: a tap updates contiguous memory; the FFT runs down the sample axis.
    echograms = np.zeros((n_rows, n_fft + SPREAD_TAPS, n_knots * (n_comp + 1)), dtype=np.float32)
    _scatter_components(*paths, weights, SPREAD_TABLE, echograms)
    _scatter_responses(*exact, responses, SPREAD_TABLE, echograms, n_knots * n_comp)
    return sp_fft.rfft(echograms[:, :n_fft], axis=1)


@numba.njit(cache=True, nogil=True)
def _scatter_responses(
    position, base, corner, bary, rows, responses, table, out, col0
):  # pragma: no cover - compiled
    """Add the spread impulse responses of the exact paths to ``out[:, :n_fft, col0 + j]``.

    Per path and corner, the corner's response is convolved with the kernel taps of its own
    arrival (``table[q]``), then added times ``bary * base[p, j]`` to a float64 buffer
    ``(J, n_fft + taps + L)`` of its row from sample ``first``, its nearest sample less
    ``taps // 2``; the buffer's overhang is folded back (circular). Rounding as
    :func:`_scatter_images`.
    """
    n_rows = out.shape[0]
    n_fft = out.shape[1] - table.shape[1]
    n_knots = base.shape[1]
    taps = table.shape[1]
    resolution = table.shape[0] - 1
    half = taps // 2
    window = responses.shape[1]
    span = taps + window
    buffer = np.zeros((n_knots, n_fft + span))
    spread = np.empty(span)
    p = 0
    n_paths = position.shape[0]
    for r in range(n_rows):
        if p >= n_paths or rows[p] != r:
            continue
        buffer[:] = 0.0
        while p < n_paths and rows[p] == r:
            for c in range(corner.shape[1]):
                b = bary[p, c]
                d = corner[p, c]
                x = position[p, c]
                centre = np.floor(x + 0.5)
                q = int((x - centre + 0.5) * resolution + 0.5)
                first = (int(centre) - half) % n_fft
                spread[:] = 0.0
                for t in range(taps):
                    phi = table[q, t] * b
                    for n in range(window):
                        spread[t + n] += phi * responses[d, n]
                for j in range(n_knots):
                    a = base[p, j]
                    for n in range(span):
                        buffer[j, first + n] += a * spread[n]
            p += 1
        for j in range(n_knots):
            for n in range(span):
                buffer[j, n] += buffer[j, n_fft + n]
            for n in range(n_fft):
                out[r, n, col0 + j] += buffer[j, n]


@numba.njit(cache=True, nogil=True)
def _scatter_components(
    position, base, corner, bary, rows, weights, table, out
):  # pragma: no cover - compiled
    """Scatter for :func:`component_echogram_spectra` into ``out`` ``(rows, n_fft + taps, M)``.

    ``out`` (float32, zeroed) has the columns of a sample side by side, so a tap updates
    contiguous memory; the ``taps`` samples past ``n_fft`` are folded back at the end of each
    row (circular). Columns past ``J * K`` are left alone. Rounding as :func:`_scatter_images`.
    """
    n_rows = out.shape[0]
    taps = table.shape[1]
    n_fft = out.shape[1] - taps
    n_knots = base.shape[1]
    n_comp = weights.shape[1]
    resolution = table.shape[0] - 1
    half = taps // 2
    w = np.empty(n_comp)
    p = 0
    n_paths = position.shape[0]
    for r in range(n_rows):
        while p < n_paths and rows[p] == r:
            w[:] = 0.0
            for c in range(corner.shape[1]):
                b = bary[p, c]
                d = corner[p, c]
                for k in range(n_comp):
                    w[k] += b * weights[d, k]
            centre = np.floor(position[p] + 0.5)
            q = int((position[p] - centre + 0.5) * resolution + 0.5)
            first = (int(centre) - half) % n_fft
            for t in range(taps):
                phi = table[q, t]
                for j in range(n_knots):
                    a = phi * base[p, j]
                    col = j * n_comp
                    for k in range(n_comp):
                        out[r, first + t, col + k] += a * w[k]
            p += 1
        for n in range(taps):
            for m in range(n_knots * n_comp):
                out[r, n, m] += out[r, n_fft + n, m]


@memoize(8)
def deconvolution(n_fft: int) -> NDArray[np.float64]:
    """Reciprocal kernel spectrum on the bins of an ``n_fft`` grid, ``(n_fft // 2 + 1,)``.

    A pure function of ``n_fft``, cached (read-only result).
    """
    out = 1.0 / _kernel_spectrum(np.arange(n_fft // 2 + 1) / n_fft)
    out.flags.writeable = False
    return out


def delay_phasors(
    delays: NDArray[np.float64], freqs: NDArray[np.float64]
) -> NDArray[np.complex128]:
    r""":math:`e^{-j 2\pi f \tau}` ``(n, n_freqs)`` on a uniform grid ``freqs = k \Delta f``.

    As the product of two tables of about :math:`\sqrt{n_f}` exponentials each
    (:math:`e^{-j2\pi (aB + b)\Delta f\tau} = e^{-j2\pi aB\Delta f\tau} e^{-j2\pi b\Delta f\tau}`):
    exact to rounding, a tenth of the cost of one exponential per bin.
    """
    n_f = freqs.shape[0]
    step = freqs[1] - freqs[0]
    width = int(np.ceil(np.sqrt(n_f)))
    n_coarse = -(-n_f // width)
    w = -2j * np.pi * step * delays[:, None]
    coarse = np.exp(w * (np.arange(n_coarse) * width)[None, :])
    fine = np.exp(w * np.arange(width)[None, :])
    return (coarse[:, :, None] * fine[:, None, :]).reshape(delays.shape[0], -1)[:, :n_f]
