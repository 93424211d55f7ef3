r"""Multichannel FIR convolution: offline (overlap-add) and streaming (partitioned overlap-save).

A filter matrix ``h`` of shape ``(n_outputs, n_inputs, n_taps)`` maps input signals
``(n_inputs, n_samples)`` to outputs :math:`y_o = \sum_i h_{o,i} * x_i`.

Offline: :func:`convolve` is overlap-add with a fixed block of 8192 samples: every block of every
input is transformed once, the products are summed over the inputs in the frequency domain, and
one inverse transform per output and block is added into place; it returns the full convolution
(``n_samples + n_taps - 1``), so no part of the response is lost. It is written out rather than
calling :func:`scipy.signal.oaconvolve` on every output-input pair because that transforms each
pair back separately (15 inverse FFTs instead of 5 for 5 drivers x 3 inputs): measured on this
project's 2-core machine, 5 x 3 filters of 1024 taps run about 28x real time with oaconvolve and
about 250x with the summed form. Blocks go through in chunks of four (about 1.5 MB of spectra,
in cache) with the sum over inputs as a loop of broadcast products, and the overlap-add of a
chunk is a few slice additions: 1.8x faster than one ``einsum`` over all blocks, measured in the
same process (69 ms against 127 ms for 20 s; a batched ``matmul`` over bins measured slower
still). ``python -m experiments.benchmarks.render`` prints its real-time factor. The tests
check it against oaconvolve.

Streaming: :class:`PartitionedConvolver` is the uniformly partitioned overlap-save convolution
(Wefers, *Partitioned convolution algorithms for real-time auralization*, Logos 2015, Sec. 5.3):
the filters are cut into ``P = ceil(n_taps / B)`` partitions of the block size ``B``, each
transformed with a ``2B``-point FFT; every block of input is transformed once, pushed into a
frequency-domain delay line of the last ``P`` input spectra, multiplied with the partitions and
summed, and one inverse FFT per output gives ``B`` new output samples (the second half of the
``2B``-point result). The partitions are stored as ``P n_inputs`` rows of ``(n_outputs, B + 1)``
spectra, so the whole multiply-and-sum is one broadcast product with the delay line and one sum
over its rows; the delay line is kept doubled so that the last ``P`` spectra are always one
contiguous slice. Its latency is zero samples beyond the block itself: block ``k`` of the
output equals samples ``kB ... (k+1)B - 1`` of the offline convolution.
:class:`design.render.streaming.StreamingRenderer` fills :attr:`PartitionedConvolver.input` and
calls ``_step`` directly, without a copy or a check per block.

Precision (``precision=``, both): ``"float64"`` by default; ``"float32"`` transforms and
multiplies in float32/complex64 (output still float64). On the benchmark's 20 s render (5 x 3
filters of 1024 taps) float32 takes the convolution from ~50 ms to ~33 ms and deviates from
float64 by 2.6e-7 of the output's peak (measured). The default stays float64 because this is
also the general-purpose convolution of room responses (:func:`design.chain.binaural_preview`)
and exact signals (a unit impulse filter returns its input to float64 rounding).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.fft as sfft
from numpy.typing import NDArray

from acoustics.validation import as_float_array, as_int

__all__ = ["convolve", "PartitionedConvolver"]

#: Input samples per overlap-add block of :func:`convolve`.
OFFLINE_BLOCK = 8192
_CHUNK = 4  # blocks transformed at once by convolve (5 outputs x 4 x 9216 samples: 1.5 MB)
Precision = Literal["float64", "float32"]
_REAL = {"float64": np.float64, "float32": np.float32}


def _as_filters(h: npt.ArrayLike) -> NDArray[np.float64]:
    f = as_float_array(h, "h")
    if f.ndim != 3 or f.shape[2] == 0:
        raise ValueError(f"h must have shape (n_outputs, n_inputs, n_taps), got {f.shape}")
    return f


def overlap_add(frames: NDArray[np.float64], hop: int, out: NDArray[np.float64]) -> None:
    """Add frames ``(..., n_frames, m)``, ``hop`` apart from ``out[..., 0]``, into ``out`` in place.

    A loop over the ``ceil(m / hop)`` hop-wide strips of a frame, each added for all frames at
    once. ``out`` must hold ``(n_frames + ceil(m / hop)) * hop`` samples on its last axis. The
    strips go last to first, so every output sample receives its frames in increasing order,
    the order in which frames added one at a time arrive: in float32 (the upmix) a different
    order of the same sum would differ by an ulp between the offline and streaming upmix.
    """
    n_frames, m = frames.shape[-2:]
    if n_frames == 1:  # the streaming case: one frame, no strips needed
        out[..., :m] += frames[..., 0, :]
        return
    n_strips = -(-m // hop)
    grid = out[..., : (n_frames + n_strips) * hop].reshape(out.shape[:-1] + (-1, hop), copy=False)
    for j in reversed(range(n_strips)):  # row r of grid: samples r hop ... (r + 1) hop - 1
        width = min(hop, m - j * hop)
        grid[..., j : j + n_frames, :width] += frames[..., j * hop : j * hop + width]


def _real_type(precision: Precision) -> type:
    if precision not in _REAL:
        raise ValueError(f"precision must be one of {tuple(_REAL)}, got {precision!r:.60}")
    return _REAL[precision]


def convolve(
    h: npt.ArrayLike, x: npt.ArrayLike, *, precision: Precision = "float64"
) -> NDArray[np.float64]:
    """Return the full multichannel convolution ``(n_outputs, n_samples + n_taps - 1)``.

    Parameters
    ----------
    h : (n_outputs, n_inputs, n_taps) array_like
        FIR filters.
    x : (n_inputs, n_samples) array_like
        Input signals.
    precision : {"float64", "float32"}, optional
        Arithmetic of the transforms and spectra (the output is float64 either way).
        ``"float32"`` is about 1.5x faster and deviates by ~3e-7 of the output's peak (module
        docstring); the default keeps float64, as this is also the general-purpose convolution
        of long room responses and of exact test signals.
    """
    real = _real_type(precision)
    f = _as_filters(h)
    s = as_float_array(x, "x")
    if s.ndim != 2 or s.shape[0] != f.shape[1] or s.shape[1] == 0:
        raise ValueError(f"x must have shape ({f.shape[1]}, n_samples > 0), got {s.shape}")
    n_out, n_in, n_taps = f.shape
    n = s.shape[1]
    block = OFFLINE_BLOCK
    n_fft = sfft.next_fast_len(block + n_taps - 1, real=True)
    spectra = sfft.rfft(f.astype(real, copy=False), n_fft, axis=-1)  # (o, i, bins)
    n_blocks = -(-n // block)
    padded = np.zeros((n_in, n_blocks * block), real)
    padded[:, :n] = s
    n_strips = -(-n_fft // block)  # blocks that one block's result spans
    out = np.zeros((n_out, (n_blocks + n_strips) * block), real)
    for first in range(0, n_blocks, _CHUNK):  # a few blocks at a time: the arrays stay in cache
        k = min(_CHUNK, n_blocks - first)
        blocks = padded[:, first * block : (first + k) * block].reshape(n_in, k, block)
        x_spec = sfft.rfft(blocks, n_fft, axis=-1)  # (i, k, bins)
        y_spec = spectra[:, 0, None, :] * x_spec[0]  # (o, k, bins), summed over the inputs
        for i in range(1, n_in):
            y_spec += spectra[:, i, None, :] * x_spec[i]
        y = sfft.irfft(y_spec, n_fft, axis=-1, overwrite_x=True)
        overlap_add(y, block, out[:, first * block :])
    return out[:, : n + n_taps - 1].astype(np.float64, copy=False)


class PartitionedConvolver:
    """Streaming multichannel convolution by uniformly partitioned overlap-save.

    Parameters
    ----------
    h : (n_outputs, n_inputs, n_taps) array_like
        FIR filters.
    block_size : int
        Samples per call of :meth:`process`.
    precision : {"float64", "float32"}, optional
        Arithmetic of the transforms and spectra, as in :func:`convolve`.

    Examples
    --------
    >>> import numpy as np
    >>> conv = PartitionedConvolver(np.ones((1, 1, 3)), 2)
    >>> conv.process(np.array([[1.0, 0.0]])), conv.process(np.array([[0.0, 0.0]]))
    (array([[1., 1.]]), array([[1., 0.]]))
    """

    def __init__(
        self, h: npt.ArrayLike, block_size: int, *, precision: Precision = "float64"
    ) -> None:
        real = _real_type(precision)
        f = _as_filters(h)
        block_size = as_int(block_size, "block_size", 1)
        b = int(block_size)
        n_out, n_in, n_taps = f.shape
        n_parts = -(-n_taps // b)
        padded = np.zeros((n_out, n_in, n_parts * b), real)
        padded[..., :n_taps] = f
        parts = padded.reshape(n_out, n_in, n_parts, b)
        spectra = sfft.rfft(parts, 2 * b, axis=-1)  # (o, i, P, B + 1)
        # Row p i + j, (o, B + 1), multiplies input j delayed by p blocks.
        self._spectra = np.ascontiguousarray(
            spectra.transpose(2, 1, 0, 3).reshape(n_parts * n_in, n_out, b + 1)
        )
        self.block_size, self.n_inputs, self.n_outputs = b, n_in, n_out
        self._n_parts, self._real = n_parts, real
        self.reset()

    def reset(self) -> None:
        """Clear the input history (start a new stream)."""
        b, n_in, n_parts = self.block_size, self.n_inputs, self._n_parts
        # The frequency-domain delay line, (2 P i, B + 1): every input spectrum is written twice,
        # P slots apart, so that rows ptr i ... (ptr + P) i - 1 are always the last P spectra,
        # newest first, as one contiguous slice: no data moves and nothing is gathered.
        complex_type = self._spectra.dtype
        self._line = np.zeros((2 * n_parts * n_in, b + 1), dtype=complex_type)
        self._ptr = 0
        self._frame = np.zeros((n_in, 2 * b), self._real)
        #: Where the next block of input goes before :meth:`_step` (callers may write it there).
        self.input = self._frame[:, b:]
        self._products = np.empty(self._spectra.shape, complex_type)
        self._acc = np.empty((self.n_outputs, b + 1), complex_type)

    def process(self, block: npt.ArrayLike) -> NDArray[np.float64]:
        """Filter one block ``(n_inputs, block_size)``; return ``(n_outputs, block_size)``."""
        x = np.asarray(block, dtype=float)
        if x.shape != (self.n_inputs, self.block_size):
            raise ValueError(
                f"block must have shape ({self.n_inputs}, {self.block_size}), got {x.shape}"
            )
        if not np.isfinite(x).all():
            raise ValueError("block must be finite")
        self.input[...] = x
        return self._step().astype(np.float64)

    def _step(self) -> NDArray:
        """Filter the block in :attr:`input`; return a view of the ``(n_outputs, B)`` output.

        The view is valid until the next call (it lives in the inverse transform's result).
        """
        b, n_in, n_parts = self.block_size, self.n_inputs, self._n_parts
        spectrum = sfft.rfft(self._frame, axis=-1)  # (i, B + 1): overlap-save, 2 blocks
        self._frame[:, :b] = self.input  # the current block is the next call's previous one
        self._ptr = ptr = (self._ptr - 1) % n_parts
        line = self._line
        line[ptr * n_in : (ptr + 1) * n_in] = spectrum
        line[(ptr + n_parts) * n_in : (ptr + n_parts + 1) * n_in] = spectrum
        history = line[ptr * n_in : (ptr + n_parts) * n_in, None, :]  # (P i, 1, B + 1)
        # All partitions and inputs at once: products, then their sum over the rows. Measured
        # at 513 bins x 6 rows, 1.4x (complex128) to 2.3x (complex64) faster than one batched
        # matmul of (o, P i) matrices per bin (26 us): numpy loops over the bins' tiny matrices.
        np.multiply(self._spectra, history, out=self._products)
        np.add.reduce(self._products, axis=0, out=self._acc)
        return sfft.irfft(self._acc, 2 * b, axis=-1, overwrite_x=True)[:, b:]
