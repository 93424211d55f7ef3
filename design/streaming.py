"""Real-time rendering: the upmix and the chain's filters, block by block.

:class:`StreamingUpmix` runs :func:`design.upmix.upmix_lrc` frame by frame: the same
:class:`scipy.signal.ShortTimeFFT` window, hop and frame grid (frame ``p`` covers samples
``p hop - nperseg/2 ... p hop + nperseg/2 - 1``, from the offline STFT's first frame ``p_min``),
the same recursive averages carried from frame to frame (:func:`design.upmix._centre_spectrum`
with a persistent state), and overlap-add with the same dual window. A sample is final once every
frame that covers it has been processed, so the outputs lag the input by ``nperseg`` samples;
after that lag they equal the offline upmix of the whole signal (the tests hold them to 1e-9).

:class:`StreamingRenderer` feeds the three paths to a
:class:`~design.convolution.PartitionedConvolver` of the chain's filters. Its latency is the
upmix's (``nperseg`` samples, none without an upmix) on top of the chain's own
``latency_samples``: output block ``k`` equals samples ``kB - latency ... (k+1)B - latency - 1``
of :func:`design.chain.render`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.signal as ss
from numpy.typing import NDArray

from acoustics._validate import as_int, as_positive
from design.chain import Chain
from design.convolution import PartitionedConvolver
from design.upmix import UpmixParams, _centre_spectrum

__all__ = ["StreamingUpmix", "StreamingRenderer"]


class StreamingUpmix:
    """Block-wise left/right/centre upmix equal to the offline one after ``latency`` samples.

    Parameters
    ----------
    fs : float
        Sampling rate in Hz.
    **options
        Keyword arguments of :func:`design.upmix.upmix_lrc` (method, nperseg, hop, ...).
    """

    def __init__(self, fs: float, **options) -> None:
        self.fs = as_positive(fs, "fs")
        self.params = UpmixParams(**options)
        p = self.params
        self._stft = ss.ShortTimeFFT(ss.windows.hann(p.nperseg, sym=False), p.hop, self.fs)
        self._lam = float(np.exp(-p.hop / (self.fs * p.smoothing_s)))
        self.latency = p.nperseg
        self.reset()

    def reset(self) -> None:
        """Start a new stream."""
        self._state: dict = {}
        self._frame = self._stft.p_min  # next frame to compute
        self._received = 0  # input samples so far
        self._emitted = 0  # output samples so far
        self._in = np.zeros((2, 0))  # input samples from absolute index self._in_base
        self._in_base = 0
        self._acc = np.zeros(0)  # centre overlap-add from absolute index self._acc_base
        self._acc_base = self._start(self._frame)

    def _start(self, frame: int) -> int:
        """Absolute index of the first sample of ``frame`` (ShortTimeFFT's frame grid)."""
        return frame * self.params.hop - self._stft.m_num_mid

    def _samples(self, first: int, n: int) -> NDArray[np.float64]:
        """Input samples at absolute indices ``first ... first + n - 1`` (zeros before 0)."""
        out = np.zeros((2, n))
        lo = max(first, 0)
        if lo < first + n:
            out[:, lo - first :] = self._in[:, lo - self._in_base : first + n - self._in_base]
        return out

    def process(self, block: npt.ArrayLike) -> NDArray[np.float64]:
        """Take ``(2, n)`` stereo samples; return ``(3, n)`` left, right, centre, lagged."""
        x = np.asarray(block, dtype=float)
        if x.ndim != 2 or x.shape[0] != 2:
            raise ValueError(f"block must have shape (2, n), got {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError("block must be finite")
        m, stft = self.params.nperseg, self._stft
        self._in = np.concatenate([self._in, x], axis=1)
        self._received += x.shape[1]
        while self._start(self._frame) + m <= self._received:  # a loop over STFT frames
            start = self._start(self._frame)
            spectrum = np.fft.rfft(self._samples(start, m) * stft.win, axis=-1)[:, :, None]
            centre = _centre_spectrum(spectrum, self.params, self._lam, self._state)[:, 0]
            offset = start - self._acc_base
            if offset + m > self._acc.size:
                self._acc = np.concatenate([self._acc, np.zeros(offset + m - self._acc.size)])
            self._acc[offset : offset + m] += np.fft.irfft(centre, m) * stft.dual_win
            self._frame += 1
        out = self._emit(x.shape[1])
        self._trim()
        return out

    def _emit(self, n: int) -> NDArray[np.float64]:
        """Return the next ``n`` output samples: input sample ``k`` leaves at ``k + latency``."""
        first = self._emitted - self.latency
        self._emitted += n
        k = np.arange(first, first + n)
        valid = k >= 0
        out = np.zeros((3, n))
        if np.any(valid):
            kv = k[valid]
            centre = self._acc[kv - self._acc_base]
            left_right = self._samples(int(kv[0]), kv.size)
            g = self.params.centre_gain
            out[:2, valid] = left_right - g * centre
            out[2, valid] = centre
        return out

    def _trim(self) -> None:
        """Forget samples that no future frame or output needs (bounded memory)."""
        keep = min(self._start(self._frame), self._emitted - self.latency)
        if keep - self._in_base > 4 * self.params.nperseg:
            cut = keep - self._in_base
            self._in = self._in[:, cut:]
            self._in_base = keep
        if keep - self._acc_base > 4 * self.params.nperseg:
            cut = keep - self._acc_base
            self._acc = self._acc[cut:]
            self._acc_base = keep


class StreamingRenderer:
    """Render a chain in blocks: streaming upmix, then partitioned convolution.

    Parameters
    ----------
    chain : Chain
        The designed chain.
    block_size : int
        Samples per call of :meth:`process`.

    Attributes
    ----------
    latency : int
        Samples by which the output lags :func:`design.chain.render`'s (the upmix's lag).
    """

    def __init__(self, chain: Chain, block_size: int) -> None:
        if not isinstance(chain, Chain):
            raise TypeError(f"chain must be a Chain, got {type(chain).__name__}")
        self.chain = chain
        self.block_size = as_int(block_size, "block_size", 1)
        self._upmix = (
            None
            if chain.upmix is None
            else StreamingUpmix(chain.fs, method=chain.upmix, **chain.upmix_options)
        )
        self.latency = 0 if self._upmix is None else self._upmix.latency
        self._convolver = PartitionedConvolver(chain.filters, self.block_size)

    def reset(self) -> None:
        """Start a new stream."""
        if self._upmix is not None:
            self._upmix.reset()
        self._convolver.reset()

    def process(self, block: npt.ArrayLike) -> NDArray[np.float64]:
        """Take ``(2, block_size)`` stereo; return ``(n_drivers, block_size)`` driver feeds."""
        x = np.asarray(block, dtype=float)
        if x.shape != (2, self.block_size):
            raise ValueError(f"block must have shape (2, {self.block_size}), got {x.shape}")
        if self._upmix is None:
            if not np.all(np.isfinite(x)):
                raise ValueError("block must be finite")
            paths = np.vstack([x, np.zeros((1, self.block_size))])
        else:
            paths = self._upmix.process(x)
        return self._convolver.process(paths)
