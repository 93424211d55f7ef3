"""Real-time rendering: the upmix and the chain's filters, block by block.

:class:`StreamingUpmix` runs :func:`design.upmix.upmix_lrc` frame by frame: the same
:class:`scipy.signal.ShortTimeFFT` window, hop and frame grid (frame ``p`` covers samples
``p hop - nperseg/2 ... p hop + nperseg/2 - 1``, from the offline STFT's first frame ``p_min``),
the same recursive averages carried from frame to frame (:func:`design.upmix._centre_spectrum`
with a persistent state), and overlap-add with the same dual window. Every frame that a block
completes is computed in one batch (:func:`design.upmix._centre_frames`, vectorized over frames
and bins). A sample is final once every frame that covers it has been processed, so the outputs
lag the input by ``nperseg`` samples; after that lag they equal the offline upmix of the whole
signal (the tests hold them to 1e-9).

:class:`StreamingRenderer` feeds the three paths to a
:class:`~design.convolution.PartitionedConvolver` of the chain's filters. Its latency is the
upmix's (``nperseg`` samples, none without an upmix) on top of the chain's own
``latency_samples``: output block ``k`` equals samples ``kB - latency ... (k+1)B - latency - 1``
of :func:`design.chain.render`.

Both keep their history in preallocated arrays on an absolute sample axis (:class:`_Tape`), so
a block costs no allocation that grows with the history.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics._validate import as_int, as_positive
from design.chain import Chain
from design.convolution import PartitionedConvolver, _overlap_add
from design.upmix import UpmixParams, _centre_frames, _short_time_fft

__all__ = ["StreamingUpmix", "StreamingRenderer"]


class _Tape:
    """Rows of samples on an absolute time axis, held in one reusable array.

    Samples ``start ... stop - 1`` are held; :meth:`reserve` appends zeros up to a new ``stop``,
    :meth:`forget` lets the samples before an index be dropped the next time room is needed.
    """

    def __init__(self, rows: int, start: int, capacity: int) -> None:
        self._data = np.zeros((rows, capacity))
        self.start = self.stop = self._keep = start

    def reserve(self, stop: int) -> None:
        """Hold samples up to ``stop`` (exclusive); the new ones are zero."""
        if stop <= self.stop:
            return
        if stop - self.start > self._data.shape[1]:  # out of room: drop what is forgotten
            held = self.stop - self._keep
            self._data[:, :held] = self._data[:, self._keep - self.start : self.stop - self.start]
            self.start = self._keep
            if stop - self.start > self._data.shape[1]:  # still too small: grow
                grown = np.zeros((self._data.shape[0], 2 * (stop - self.start)))
                grown[:, :held] = self._data[:, :held]
                self._data = grown
        self._data[:, self.stop - self.start : stop - self.start] = 0.0
        self.stop = stop

    def window(self, first: int, stop: int) -> NDArray[np.float64]:
        """View of samples ``first ... stop - 1`` (all held)."""
        return self._data[:, first - self.start : stop - self.start]

    def forget(self, before: int) -> None:
        """Let the samples before ``before`` go: they will not be asked for again."""
        self._keep = max(self._keep, min(before, self.stop))


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
        self._sft = _short_time_fft(p, self.fs)
        self._lam = float(np.exp(-p.hop / (self.fs * p.smoothing_s)))
        self.latency = p.nperseg
        self._first = self._sft.p_min * p.hop - self._sft.m_num_mid  # frame p_min's first sample
        self._span = -(-p.nperseg // p.hop) * p.hop  # samples a frame's overlap-add reserves
        self.reset()

    def reset(self) -> None:
        """Start a new stream."""
        self._state: dict = {}
        self._next = self._first  # first sample of the next frame to compute
        self._emitted = 0  # output samples so far
        capacity = 4 * self.params.nperseg
        self._input = _Tape(4, self._first, capacity)  # left, right, mid, side
        self._input.reserve(0)  # zeros before the first sample
        self._centre = _Tape(1, self._first, capacity)  # overlap-added centre

    def process(self, block: npt.ArrayLike) -> NDArray[np.float64]:
        """Take ``(2, n)`` stereo samples; return ``(3, n)`` left, right, centre, lagged."""
        x = np.asarray(block, dtype=float)
        if x.ndim != 2 or x.shape[0] != 2:
            raise ValueError(f"block must have shape (2, n), got {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError("block must be finite")
        p, n = self.params, x.shape[1]
        received = self._input.stop
        self._input.reserve(received + n)
        new = self._input.window(received, received + n)
        new[:2] = x
        new[2] = 0.5 * (x[0] + x[1])  # as upmix_lrc forms them
        new[3] = 0.5 * (x[0] - x[1])
        n_frames = max(0, (received + n - p.nperseg - self._next) // p.hop + 1)
        if n_frames:  # every frame this block completes, in one batch
            mid_side = self._input.window(self._next, received + n)[2:]
            frames = _centre_frames(self._sft, mid_side, n_frames, p, self._lam, self._state)
            stop = self._next + n_frames * p.hop + self._span
            self._centre.reserve(stop)
            _overlap_add(frames, p.hop, self._centre.window(self._next, stop)[0])
            self._next += n_frames * p.hop
        return self._emit(n)

    def _emit(self, n: int) -> NDArray[np.float64]:
        """Return the next ``n`` output samples: input sample ``k`` leaves at ``k + latency``."""
        first = self._emitted - self.latency
        self._emitted += n
        out = np.zeros((3, n))
        lo = max(first, 0)  # output before input sample 0 is silence
        if lo < first + n:
            centre = self._centre.window(lo, first + n)[0]
            out[:2, lo - first :] = self._input.window(lo, first + n)[:2]
            out[:2, lo - first :] -= self.params.centre_gain * centre
            out[2, lo - first :] = centre
        keep = min(self._next, first + n)  # what later frames or outputs still read
        self._input.forget(keep)
        self._centre.forget(keep)
        return out


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
            if not np.isfinite(x).all():
                raise ValueError("block must be finite")
            paths = np.vstack([x, np.zeros((1, self.block_size))])
        else:
            paths = self._upmix.process(x)  # checks the block
        return self._convolver._filter(paths)
