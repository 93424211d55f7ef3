r"""Echogram synthesis on an FFT grid: impulses at arbitrary delays, spread and deconvolved.

The time-domain engine of :mod:`acoustics.room_transfer` (the gridding step of a type-1
non-uniform FFT): every arrival is spread over the ``_SPREAD_TAPS`` samples around it with an
exponential-of-semicircle kernel (Barnett, Magland & af Klinteberg, SIAM J. Sci. Comput. 41(5),
2019), the echograms are transformed, and dividing by the kernel's spectrum
(:func:`_deconvolution`) leaves the exact delays' spectra up to the kernel's aliasing (-76 to
-80 dB below 0.4 fs, measured in :mod:`acoustics.room_transfer`'s docstring). Also the exact
delay phasors of a few paths on a uniform grid (:func:`_delay_phasors`). Split out of
:mod:`acoustics.room_transfer` to keep each module to one concept.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.fft as sp_fft
from numpy.typing import NDArray

__all__: list[str] = []  # private helpers of acoustics.room_transfer

# Echogram synthesis for the time-domain paths (gridding, as in a type-1 non-uniform FFT).
#: Taps of the spreading kernel (odd: centred on the sample nearest each arrival).
_SPREAD_TAPS = 7
#: Shape parameter of the exponential-of-semicircle kernel (chosen for the smallest worst-case
#: aliasing up to 0.4 fs; see :func:`_kernel_spectrum`).
_SPREAD_BETA = 12.6
#: Resolution of the tabulated kernel, rows per sample of arrival offset.
_SPREAD_RESOLUTION = 4096
#: Real elements of the (paths x taps) work arrays of one scatter.
_SCATTER_ELEMENTS = 2_000_000
#: Real elements of the echograms of one scatter (kept cache-sized).
_ECHOGRAM_ELEMENTS = 1_000_000
#: Worker threads of the FFTs (``scipy.fft``'s ``workers``; -1 = every core).
_FFT_WORKERS = -1


def _es_kernel(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Evaluate the spreading kernel at offsets ``x`` (samples); zero beyond ``taps / 2``."""
    z = np.clip(1.0 - (2.0 * x / _SPREAD_TAPS) ** 2, 0.0, None)
    return np.where(z > 0, np.exp(_SPREAD_BETA * (np.sqrt(z) - 1.0)), 0.0)


def _spreading_table() -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Return tap offsets ``(taps,)`` and the kernel ``(resolution + 1, taps)`` per offset row.

    Row ``q`` holds the kernel for an arrival ``q / resolution - 1/2`` samples after its nearest
    sample, at that sample's neighbours ``offsets``.
    """
    offsets = np.arange(_SPREAD_TAPS) - _SPREAD_TAPS // 2
    frac = np.arange(_SPREAD_RESOLUTION + 1) / _SPREAD_RESOLUTION - 0.5
    return offsets, _es_kernel(offsets[None, :] - frac[:, None])


_SPREAD_OFFSETS, _SPREAD_TABLE = _spreading_table()
_QUADRATURE = tuple(v * _SPREAD_TAPS / 2.0 for v in np.polynomial.legendre.leggauss(200))


def _kernel_spectrum(nu: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""Continuous Fourier transform of the kernel at ``nu`` cycles per sample (real, even).

    :math:`\hat\phi(\nu) = \int \phi(x) \cos(2\pi\nu x)\, dx` by 200-point Gauss-Legendre
    quadrature (the kernel is smooth inside its support and :math:`e^{-\beta}` = 3e-6 at its
    ends; the quadrature errs by under 1e-9 relative).
    """
    x, w = _QUADRATURE
    return np.cos(2.0 * np.pi * np.outer(nu, x)) @ (w * _es_kernel(x))


def _fft_grid(freqs: NDArray[np.float64]) -> tuple[float, int] | None:
    """Return ``(fs, n_fft)`` if ``freqs`` is ``np.fft.rfftfreq(n_fft, 1/fs)``, else None."""
    n_bins = freqs.shape[0]
    if n_bins < 2 or freqs[0] != 0.0:
        return None
    for n_fft in (2 * (n_bins - 1), 2 * n_bins - 1):
        fs = freqs[1] * n_fft
        if np.allclose(freqs, np.arange(n_bins) * fs / n_fft, rtol=0.0, atol=1e-9 * fs):
            return fs, n_fft
    return None


def _echogram_spectra(
    position: NDArray[np.float64],
    amplitudes: NDArray[np.float64],
    rows: NDArray[np.intp],
    n_rows: int,
    n_fft: int,
) -> NDArray[np.complex64]:
    """Spectra ``(n_rows, M, n_fft // 2 + 1)`` of impulses at ``position`` (samples).

    ``amplitudes`` is ``(n_paths, M)``: one echogram per column. ``rows`` (non-decreasing is
    fastest) assigns each path to an output row. Each impulse is spread over the 7 samples around
    it with the tabulated kernel, circularly modulo ``n_fft`` (as sampling the spectrum on the grid
    does); the result is **not** yet divided by the kernel's spectrum (:func:`_deconvolution`).
    Echograms are accumulated in float64 and transformed in float32 (rounding about -140 dB).
    """
    n_cols = amplitudes.shape[1]
    taps = _SPREAD_TAPS
    length = n_fft + taps - 1  # room for the taps of arrivals near the end; folded below
    echograms = np.empty((n_rows, n_cols, n_fft), dtype=np.float32)
    rows_per_block = max(1, _ECHOGRAM_ELEMENTS // (n_cols * length))
    bounds = np.searchsorted(rows, np.arange(0, n_rows + rows_per_block, rows_per_block))
    for b in range(bounds.size - 1):
        lo, hi = int(bounds[b]), int(bounds[b + 1])
        r0 = b * rows_per_block
        nr = min(rows_per_block, n_rows - r0)
        if nr <= 0:
            break
        block = np.zeros((n_cols, nr * length))
        step = max(1, _SCATTER_ELEMENTS // taps)
        for start in range(lo, hi, step):
            sl = slice(start, min(hi, start + step))
            pos = position[sl]
            centre = np.rint(pos)
            q = np.rint((pos - centre + 0.5) * _SPREAD_RESOLUTION).astype(np.intp)
            kernel = np.take(_SPREAD_TABLE, q, axis=0)  # (p, taps)
            first = (centre.astype(np.intp) + _SPREAD_OFFSETS[0]) % n_fft
            index = ((rows[sl] - r0) * length + first)[:, None] + np.arange(taps)
            index = index.ravel()
            for m in range(n_cols):
                block[m] += np.bincount(
                    index, weights=(kernel * amplitudes[sl, m, None]).ravel(), minlength=nr * length
                )
        block = block.reshape(n_cols, nr, length)
        block[:, :, : taps - 1] += block[:, :, n_fft:]
        echograms[r0 : r0 + nr] = block[:, :, :n_fft].transpose(1, 0, 2)
    return sp_fft.rfft(echograms, axis=-1, workers=_FFT_WORKERS)


@functools.lru_cache(maxsize=8)
def _deconvolution(n_fft: int) -> NDArray[np.float64]:
    """Reciprocal kernel spectrum on the bins of an ``n_fft`` grid, ``(n_fft // 2 + 1,)``.

    A pure function of ``n_fft``, cached (read-only result).
    """
    out = 1.0 / _kernel_spectrum(np.arange(n_fft // 2 + 1) / n_fft)
    out.flags.writeable = False
    return out


def _delay_phasors(
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
