r"""Crosstalk cancellation (CTC) and null-steering: filters that send each channel to one ear.

A listener's ears receive ``H W`` from filters ``W`` (``(n_drivers, n_inputs, n_freqs)``) feeding
the drivers, with ``H`` the driver-to-ear :class:`~acoustics.transfer.TransferMatrix` (receivers
``("left", "right")``). Input ``"left"`` should reach the left (ipsilateral) ear and not the right
(contralateral) one, and vice versa. Separation is reported per input and frequency as
:math:`20\log_{10}(|y_{ipsi}| / |y_{contra}|)` in dB.

Designs
-------
:func:`regularized`
    Kirkeby inversion :math:`W = (H^H H + \beta I)^{-1} H^H D e^{-j 2\pi f m / f_s}` (Kirkeby,
    Nelson, Hamada & Orduna-Bustamante, IEEE TSAP 6(2), 1998), :math:`D = I`; with more drivers
    than ears and :math:`\beta = 0` it is the minimum-norm exact solution.
:func:`shuffler`
    Bauck & Cooper's shuffler for a symmetric pair (JAES 44(9), 1996): :math:`H = [[H_i, H_c],
    [H_c, H_i]]` is diagonalised by :math:`S = [[1, 1], [1, -1]]`, so
    :math:`W = \tfrac12 S\,\mathrm{diag}(1/(H_i + H_c), 1/(H_i - H_c))\,S` (regularised as
    :math:`x^* / (|x|^2 + \beta)`).
:func:`target_cancellation`
    The design of docs/architecture.md (step 3): for each input the ipsilateral ear gets the
    (delayed) unit response while
    the contralateral response is held to a target cancellation curve,
    :math:`|y_{contra}| \le 10^{-T(f)/20}`, at minimum driver effort: a second-order cone
    program over all bins (:class:`~design.filters.solvers.StackedProblem`). With effort minimised
    the bound is met with equality wherever cancellation costs effort, so the separation follows the
    curve rather than being pushed to its maximum. Optionally robust over several listener
    positions (stacked transfer matrices): the contralateral bound holds at every position and
    the ipsilateral responses there stay close to the target in the least-squares sense.
:func:`null_steering`
    More drivers than ears: :math:`\min \|\mathbf w\|^2` subject to :math:`\mathbf h_c^T\mathbf w
    = 0`, :math:`\mathbf h_i^T \mathbf w = 1` (closed form), or, with a per-driver gain limit,
    :math:`\min |\mathbf h_c^T \mathbf w|^2` subject to :math:`\mathbf h_i^T \mathbf w = 1`,
    :math:`|w_s| \le g` (stacked cone program).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.geometry import DEFAULT_FS
from acoustics.transfer import TransferMatrix
from acoustics.validation import as_float_array, as_positive, as_real
from design.filters.fir import FilterSet
from design.filters.solvers import DesignError, StackedProblem, regularized_inverse

__all__ = [
    "CTCDesign",
    "regularized",
    "shuffler",
    "target_cancellation",
    "null_steering",
    "separation_db",
    "EARS",
    "INPUTS",
]

#: Receiver labels a CTC plant must have, in this order.
EARS: tuple[str, str] = ("left", "right")
#: Input channels of a CTC design: the (virtualized) left and right signals.
INPUTS: tuple[str, str] = ("left", "right")


@dataclass(frozen=True, eq=False)
class CTCDesign:
    """Filters of a CTC design and what they achieve at the design position.

    Attributes
    ----------
    filters : FilterSet
        ``W`` of shape ``(n_drivers, 2, n_freqs)``, inputs ``("left", "right")``.
    response : (2, 2, n_freqs) ndarray
        Ear responses ``H W`` at the design position: ``response[ear, input]``.
    separation_db : (2, n_freqs) ndarray
        Ipsilateral over contralateral level per input, dB.
    meta : dict
        The design and its parameters (provenance).
    target_db : (n_freqs,) ndarray or None
        The separation the design was asked for, per bin (:func:`target_cancellation`); None
        for designs without a target. Where the gain limit made it unreachable the filters'
        ``softened`` says so, with the shortfall in dB per bin.
    separation_db_positions : (n_positions, 2, n_freqs) ndarray or None
        With several stacked positions (:func:`target_cancellation`), the separation at each,
        the design position first; None otherwise.
    """

    filters: FilterSet
    response: NDArray[np.complex128]
    separation_db: NDArray[np.float64]
    meta: dict[str, Any] = field(default_factory=dict)
    target_db: NDArray[np.float64] | None = None
    separation_db_positions: NDArray[np.float64] | None = None


def _ear_plant(tm: TransferMatrix, name: str = "tm") -> TransferMatrix:
    if not isinstance(tm, TransferMatrix):
        raise TypeError(f"{name} must be a TransferMatrix, got {type(tm).__name__}")
    if set(EARS) - set(tm.receivers):
        raise ValueError(f"{name} must have receivers {EARS}, got {tm.receivers}")
    return tm.select(receivers=list(EARS))


def _delay(freqs: NDArray, delay_samples: float, fs: float) -> NDArray[np.complex128]:
    return np.exp(-2j * np.pi * freqs * delay_samples / fs)


def _check_fs(tm: TransferMatrix, fs: float, delay_samples: float) -> tuple[float, float]:
    fs = as_positive(fs, "fs")
    if tm.freqs[-1] > fs / 2 * (1 + 1e-12):
        raise ValueError(f"fs must be at least twice the highest frequency {tm.freqs[-1]:g} Hz")
    return fs, as_positive(delay_samples, "delay_samples", allow_zero=True)


def separation_db(response: npt.ArrayLike) -> NDArray[np.float64]:
    """Ipsilateral over contralateral level in dB from ear responses ``(2, 2, n_freqs)``.

    ``response[ear, input]``; input 0 is ipsilateral to ear 0. Returns ``(2, n_freqs)``.
    """
    r = np.asarray(response)
    if r.ndim != 3 or r.shape[:2] != (2, 2):
        raise ValueError(f"response must have shape (2, 2, n_freqs), got {r.shape}")
    ipsi = np.abs(np.stack([r[0, 0], r[1, 1]]))
    contra = np.abs(np.stack([r[1, 0], r[0, 1]]))
    with np.errstate(divide="ignore"):
        return 20.0 * np.log10(ipsi / contra)


def _design(
    tm: TransferMatrix,
    w: NDArray,
    fs: float,
    meta: dict,
    *,
    target_db: NDArray | None = None,
    softened: tuple[str, ...] = (),
    off_design: Sequence[TransferMatrix] = (),
) -> CTCDesign:
    response = tm.apply(w)
    separation = separation_db(response)
    shortfall = {}
    for channel in softened:  # the target's shortfall (dB) at the design position
        sep = separation[INPUTS.index(channel)]
        shortfall[f"target separation ({channel})"] = np.maximum(target_db - sep, 0.0)
    filters = FilterSet(w, tm.freqs, fs, INPUTS, tm.sources, meta, softened=shortfall)
    # With stacked positions, the separation at each, the design position's already computed.
    per_position = (
        np.stack([separation, *(separation_db(p.apply(w)) for p in off_design)])
        if off_design
        else None
    )
    return CTCDesign(
        filters,
        response,
        separation,
        meta,
        target_db=target_db,
        separation_db_positions=per_position,
    )


def regularized(
    tm: TransferMatrix,
    *,
    beta: npt.ArrayLike = 0.0,
    delay_samples: float = 0.0,
    fs: float = DEFAULT_FS,
) -> CTCDesign:
    r"""Kirkeby regularized inversion with a modelling delay.

    Parameters
    ----------
    tm : TransferMatrix
        Driver-to-ear plant with receivers ``("left", "right")``.
    beta : float or (n_freqs,) array_like, optional
        Regularization :math:`\beta(f)`; 0 for exact inversion.
    delay_samples : float, optional
        Modelling delay :math:`m` in samples at ``fs`` (makes the inverse realisable as a causal
        FIR; see :func:`design.filters.fir.to_fir`).
    fs : float, optional
        Sampling rate in Hz.

    Returns
    -------
    CTCDesign
    """
    tm = _ear_plant(tm)
    fs, m = _check_fs(tm, fs, delay_samples)
    d = np.eye(2)[:, :, None] * _delay(tm.freqs, m, fs)[None, None, :]
    w = regularized_inverse(tm.H, d, beta=beta)
    return _design(tm, w, fs, {"design": "regularized", "beta": beta, "delay_samples": m})


def shuffler(
    tm: TransferMatrix,
    *,
    beta: float = 0.0,
    delay_samples: float = 0.0,
    fs: float = DEFAULT_FS,
    symmetry_tolerance: float = 1e-6,
) -> CTCDesign:
    """Bauck-Cooper shuffler for a symmetric two-driver plant.

    Parameters
    ----------
    tm : TransferMatrix
        Plant with receivers ``("left", "right")`` and two drivers, the first on the listener's
        left; it must be left/right symmetric (``H[0,0] = H[1,1]``, ``H[0,1] = H[1,0]``).
    beta : float, optional
        Regularization of the two scalar inversions.
    delay_samples, fs
        As for :func:`regularized`.
    symmetry_tolerance : float, optional
        Largest relative asymmetry accepted.

    Returns
    -------
    CTCDesign
    """
    tm = _ear_plant(tm)
    if tm.H.shape[1] != 2:
        raise ValueError(f"tm must have exactly two drivers for the shuffler, got {tm.H.shape[1]}")
    fs, m = _check_fs(tm, fs, delay_samples)
    b = as_positive(beta, "beta", allow_zero=True)
    h = tm.H
    scale = np.max(np.abs(h))
    asym = max(np.max(np.abs(h[0, 0] - h[1, 1])), np.max(np.abs(h[0, 1] - h[1, 0]))) / scale
    if asym > symmetry_tolerance:
        raise ValueError(
            f"tm is not left/right symmetric (relative asymmetry {asym:.2e} > "
            f"{symmetry_tolerance:g}); use regularized() for an asymmetric plant"
        )
    hi, hc = 0.5 * (h[0, 0] + h[1, 1]), 0.5 * (h[0, 1] + h[1, 0])
    total, diff = hi + hc, hi - hc
    if b == 0 and (np.any(total == 0) or np.any(diff == 0)):
        raise ValueError("tm has a zero sum or difference response; use beta > 0")
    inv_sum = np.conj(total) / (np.abs(total) ** 2 + b)
    inv_diff = np.conj(diff) / (np.abs(diff) ** 2 + b)
    delay = _delay(tm.freqs, m, fs)
    # W = 1/2 S diag(inv_sum, inv_diff) S with S = [[1, 1], [1, -1]].
    w = 0.5 * np.array(
        [[inv_sum + inv_diff, inv_sum - inv_diff], [inv_sum - inv_diff, inv_sum + inv_diff]]
    )
    meta = {"design": "shuffler", "beta": b, "delay_samples": m}
    return _design(tm, w * delay[None, None, :], fs, meta)


def target_curve_db(target_db, freqs: NDArray) -> NDArray[np.float64]:
    """Return a target separation in dB per bin from a scalar, an array or a callable."""
    if callable(target_db):
        target_db = target_db(freqs)
    t = as_float_array(target_db, "target_db")
    if t.ndim == 0:
        t = np.full(freqs.shape, float(t))
    if t.shape != freqs.shape:
        raise ValueError(
            f"target_db must be a scalar, a callable of the frequencies or have shape "
            f"{freqs.shape} (one value per bin of the design), got shape {t.shape}"
        )
    return t


#: Penalty per unit of contralateral excess (re the unit ipsilateral response) where a gain limit
#: makes the target unreachable: large against the effort term (about 1 per bin).
_TARGET_PENALTY = 1e4


def _cancellation_problem(ref, plants, i, desired, bound, off_bound, effort_scale, weight,
                          robust, soft):  # fmt: skip
    """Build the stacked problem of :func:`target_cancellation` for input channel ``i``."""
    n_f, n_d = ref.freqs.size, len(ref.sources)
    prob = StackedProblem(n_d, n_f)
    prob.equal("ipsilateral response at the design position", ref.H[i].T, desired)
    prob.bound("contralateral level at the design position", ref.H[1 - i].T, bound, soft=soft)
    objective = prob.effort() * effort_scale
    for p in plants[1:]:
        # Separation of at least T - margin off the design position, as a convex cone:
        # |y_contra| <= b' Re(y_ipsi d*) + excess <= b' |y_ipsi| + excess, excess >= 0
        # penalised (zero wherever the margin can be kept).
        real_i, imag_i = prob.response(p.H[i].T)
        in_phase = cp.multiply(real_i, desired.real) + cp.multiply(imag_i, desired.imag)
        real_c, imag_c = prob.response(p.H[1 - i].T)
        excess = cp.Variable(n_f, nonneg=True)
        prob.add_cone(
            "separation off the design position",
            cp.vstack([real_c, imag_c]),
            cp.multiply(off_bound, in_phase) + excess,
            np.arange(n_f),
        )
        objective = (
            objective
            + robust * cp.sum_squares(excess)
            + weight
            * (cp.sum_squares(real_i - desired.real) + cp.sum_squares(imag_i - desired.imag))
        )
    return prob, objective


def target_cancellation(
    tm: TransferMatrix | Sequence[TransferMatrix],
    target_db: npt.ArrayLike | Callable[[NDArray], NDArray],
    *,
    delay_samples: float = 0.0,
    fs: float = DEFAULT_FS,
    gain_limit: npt.ArrayLike | None = None,
    robust_margin_db: float = 6.0,
    fidelity_weight: float = 1.0,
    robustness_weight: float = 1e6,
) -> CTCDesign:
    r"""Minimum-effort CTC whose contralateral level follows a target cancellation curve.

    Parameters
    ----------
    tm : TransferMatrix or sequence of TransferMatrix
        The plant at the design position; a sequence stacks several listener positions (or head
        models) on the same drivers and frequencies, the first being the design position.
    target_db : float, (n_freqs,) array_like or callable
        Target separation :math:`T(f)` in dB (e.g. 20 dB in the midrange tapering to 0 at the
        band edges); a callable receives the frequencies.
    delay_samples, fs
        Modelling delay and sampling rate, as for :func:`regularized`.
    gain_limit : float or (n_freqs,) array_like, optional
        Largest linear gain of any driver filter.
    robust_margin_db : float, optional
        With several positions: the separation to keep off the design position is
        :math:`T(f)` minus this margin.
    fidelity_weight : float, optional
        With several positions: weight of the squared ipsilateral error off the design position.
    robustness_weight : float, optional
        With several positions: weight of the squared excess of the contralateral level over the
        off-position bound. The target is a hard constraint at the design position only: a few
        drivers cannot in general hold it everywhere, so off the design position the bound
        :math:`|y_c| \le 10^{-(T - margin)/20} \mathrm{Re}(y_i d^*)` (which guarantees the
        separation where it holds) is met where possible and approached elsewhere.

    Notes
    -----
    The effort term is scaled by the mean squared plant gain so that the weights are
    dimensionless (the ipsilateral target has unit magnitude).

    Returns
    -------
    CTCDesign
        At the design position; with several stacked positions its
        ``separation_db_positions`` holds ``(n_positions, 2, n_freqs)`` for all of them.
    """
    plants = [tm] if isinstance(tm, TransferMatrix) else list(tm)
    if not plants:
        raise ValueError("tm must hold at least one TransferMatrix")
    plants = [_ear_plant(p, f"tm[{k}]") for k, p in enumerate(plants)]
    ref = plants[0]
    for k, p in enumerate(plants[1:], start=1):
        if p.sources != ref.sources or not np.array_equal(p.freqs, ref.freqs):
            raise ValueError(f"tm[{k}] must have the drivers and frequencies of tm[0]")
    fs, m = _check_fs(ref, fs, delay_samples)
    target = target_curve_db(target_db, ref.freqs)
    weight = as_positive(fidelity_weight, "fidelity_weight")
    robust = as_positive(robustness_weight, "robustness_weight")
    margin = as_positive(robust_margin_db, "robust_margin_db", allow_zero=True)
    off_bound = 10.0 ** (-(target - margin) / 20.0)
    desired = _delay(ref.freqs, m, fs)
    bound = 10.0 ** (-target / 20.0)
    n_f, n_d = ref.freqs.size, len(ref.sources)
    # Effort in units of the plant: |w|^2 |h|^2 is of the order of the (unit) ear response.
    effort_scale = float(np.mean(np.abs(ref.H) ** 2))
    w = np.empty((n_d, 2, n_f), dtype=np.complex128)
    softened: list[str] = []
    for i in range(2):  # per input channel: ipsilateral ear i, contralateral ear 1 - i
        # The target is a hard constraint; with a gain limit it may not be reachable in some
        # bins, and then it becomes the objective there (a heavy L1 penalty on its excess, which
        # is zero wherever the target can be met within the limit): the limit always holds.
        for attempt in ("hard", "soft target") if gain_limit is not None else ("hard",):
            soft = None if attempt == "hard" else _TARGET_PENALTY
            prob, objective = _cancellation_problem(
                ref, plants, i, desired, bound, off_bound, effort_scale, weight, robust, soft
            )
            if gain_limit is not None:
                prob.limit_gain(gain_limit, name="driver gain limit")
            try:
                w[:, i, :] = prob.solve(objective).T
                break
            except DesignError:
                if attempt != "hard":
                    raise
                softened.append(("left", "right")[i])
    meta = {
        "design": "target_cancellation",
        "delay_samples": m,
        "gain_limit": gain_limit,
        "n_positions": len(plants),
        "fidelity_weight": weight,
        "robust_margin_db": margin,
        "robustness_weight": robust,
    }
    # Channels whose target the gain limit made unreachable somewhere (then an objective).
    return _design(
        ref, w, fs, meta, target_db=target, softened=tuple(softened), off_design=plants[1:]
    )


def null_steering(
    tm: TransferMatrix,
    *,
    gain_limit_db: float | None = None,
    delay_samples: float = 0.0,
    fs: float = DEFAULT_FS,
) -> CTCDesign:
    r"""Null-steering with more drivers than ears: cancel at one ear, keep the other.

    Parameters
    ----------
    tm : TransferMatrix
        Plant with receivers ``("left", "right")`` and at least two drivers.
    gain_limit_db : float, optional
        Per-driver gain limit in dB re :math:`1/\max_s |h_{i,s}|`, the gain the best single
        driver would need to deliver the ipsilateral response alone (e.g. 12 dB). Without it, the
        minimum-norm exact solution (a perfect null).
    delay_samples, fs
        Modelling delay and sampling rate, as for :func:`regularized`.

    Returns
    -------
    CTCDesign
    """
    tm = _ear_plant(tm)
    fs, m = _check_fs(tm, fs, delay_samples)
    if gain_limit_db is None:
        design = regularized(tm, beta=0.0, delay_samples=m, fs=fs)
        meta = {"design": "null_steering", "gain_limit_db": None, "delay_samples": m}
        return _design(tm, design.filters.W, fs, meta)
    limit_db = as_real(gain_limit_db, "gain_limit_db")
    desired = _delay(tm.freqs, m, fs)
    n_d, n_f = tm.H.shape[1], tm.freqs.size
    w = np.empty((n_d, 2, n_f), dtype=np.complex128)
    for i in range(2):
        limit = 10.0 ** (limit_db / 20.0) / np.max(np.abs(tm.H[i]), axis=0)
        prob = StackedProblem(n_d, n_f)
        prob.equal("ipsilateral response", tm.H[i].T, desired)
        prob.limit_gain(limit, name="driver gain limit")
        real, imag = prob.response(tm.H[1 - i].T)
        w[:, i, :] = prob.solve(cp.sum_squares(real) + cp.sum_squares(imag)).T
    meta = {"design": "null_steering", "gain_limit_db": limit_db, "delay_samples": m}
    return _design(tm, w, fs, meta)
