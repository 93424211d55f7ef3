r"""Solvers for filter design: batched regularized least squares, and stacked convex problems.

Closed form (the default path)
    Per frequency bin, :math:`W = \arg\min \|H W - D\|_F^2 + \beta \|W\|_F^2`, i.e.
    :math:`W = (H^H H + \beta I)^{-1} H^H D = H^H (H H^H + \beta I)^{-1} D` (Kirkeby, Nelson,
    Hamada & Orduna-Bustamante, IEEE TSAP 6(2), 1998, Eq. (4)), solved for all bins at once with
    batched :func:`numpy.linalg.solve`, in whichever of the two forms has the smaller matrix to
    invert. Per singular value :math:`\sigma` of :math:`H` the gain is
    :math:`\sigma / (\sigma^2 + \beta) \le 1 / (2\sqrt\beta)`.
Stacked convex problems
    Constrained designs (gain limits, white-noise-gain floors, response equalities and bounds,
    robustness over several transfer matrices) are one :mod:`cvxpy` problem over all bins, never a
    problem per bin. Complex weights are split into real and imaginary parts,
    :math:`\mathbf w = \mathbf w_r + j \mathbf w_i`, with :math:`\mathbf h^T \mathbf w =
    (\mathbf h_r^T \mathbf w_r - \mathbf h_i^T \mathbf w_i) + j(\mathbf h_r^T \mathbf w_i +
    \mathbf h_i^T \mathbf w_r)`, and every constraint is a second-order cone per bin
    (:math:`\|\mathbf x_f\|_2 \le b_f`), so the problem is a second-order cone program solved by
    Clarabel (Goulart & Chen, 2024). Transfer functions, bounds and targets can be cvxpy
    Parameters, so a sweep re-solves the same compiled structure (cvxpy's DPP rules). If a solve
    is infeasible, an elastic copy of the problem (a slack per bin and constraint group, minimised)
    names the constraint groups and bins that cannot be met.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.validation import as_complex_array, as_float_array, as_int

__all__ = [
    "regularized_inverse",
    "singular_values",
    "condition_number",
    "StackedProblem",
    "DesignError",
]


class DesignError(RuntimeError):
    """A design that cannot be solved: infeasible constraints or a failed solver."""


def _freq_first(a: NDArray) -> NDArray:
    """Move the trailing frequency axis to the front (the batched-linear-algebra layout)."""
    return np.moveaxis(a, -1, 0)


def _as_plant(H: npt.ArrayLike, name: str = "H") -> NDArray[np.complex128]:
    h = as_complex_array(H, name)
    if h.ndim != 3:
        raise ValueError(f"{name} must have shape (n_receivers, n_sources, n_freqs), got {h.shape}")
    return h


def _as_beta(beta: npt.ArrayLike, n_freqs: int) -> NDArray[np.float64]:
    b = as_float_array(beta, "beta")
    if b.ndim == 0:
        b = np.full(n_freqs, float(b))
    if b.shape != (n_freqs,):
        raise ValueError(f"beta must be a scalar or have shape ({n_freqs},), got {b.shape}")
    if np.any(b < 0):
        raise ValueError("beta must be non-negative")
    return b


def regularized_inverse(
    H: npt.ArrayLike, D: npt.ArrayLike, *, beta: npt.ArrayLike = 0.0
) -> NDArray[np.complex128]:
    r"""Regularized least-squares filters for all frequency bins at once.

    Parameters
    ----------
    H : (n_receivers, n_sources, n_freqs) array_like
        The plant (e.g. ``TransferMatrix.H``).
    D : (n_receivers, n_inputs, n_freqs) array_like
        Desired responses at the receivers, one column per input channel (a modelling delay is
        part of ``D``).
    beta : float or (n_freqs,) array_like, optional
        Tikhonov regularization :math:`\beta(f) \ge 0`.

    Returns
    -------
    W : (n_sources, n_inputs, n_freqs) ndarray
        The minimisers of :math:`\|H W - D\|^2 + \beta \|W\|^2`; with ``beta = 0`` and
        more sources than receivers, the minimum-norm exact solution.

    Raises
    ------
    ValueError
        For a singular system (``beta = 0`` with a rank-deficient ``H``), naming the bins.
    """
    h = _as_plant(H)
    d = as_complex_array(D, "D")
    if d.ndim != 3 or d.shape[0] != h.shape[0] or d.shape[2] != h.shape[2]:
        raise ValueError(
            f"D must have shape ({h.shape[0]}, n_inputs, {h.shape[2]}) to match H, got {d.shape}"
        )
    b = _as_beta(beta, h.shape[2])
    hf, df = _freq_first(h), _freq_first(d)  # (n_f, n_r, n_s), (n_f, n_r, n_i)
    hh = np.conj(np.swapaxes(hf, 1, 2))  # (n_f, n_s, n_r)
    n_r, n_s = h.shape[0], h.shape[1]
    if n_s >= n_r:  # invert the smaller (n_r x n_r) Gram matrix: W = H^H (H H^H + b I)^-1 D
        gram = hf @ hh + b[:, None, None] * np.eye(n_r)
        rhs = df
    else:  # W = (H^H H + b I)^-1 H^H D
        gram = hh @ hf + b[:, None, None] * np.eye(n_s)
        rhs = hh @ df
    cond = np.linalg.cond(gram)
    bad = np.nonzero(~np.isfinite(cond) | (cond > 1e14))[0]
    if bad.size:
        raise ValueError(
            f"H is singular at {bad.size} bin(s) (first: {bad[:5].tolist()}); use beta > 0"
        )
    x = np.linalg.solve(gram, rhs)
    w = hh @ x if n_s >= n_r else x
    return np.moveaxis(w, 0, -1)


def singular_values(H: npt.ArrayLike) -> NDArray[np.float64]:
    """Singular values of the plant per bin, descending, ``(min(n_receivers, n_sources), n_freqs)``.

    Parameters
    ----------
    H : (n_receivers, n_sources, n_freqs) array_like
        The plant.
    """
    return np.moveaxis(np.linalg.svd(_freq_first(_as_plant(H)), compute_uv=False), 0, -1)


def condition_number(H: npt.ArrayLike) -> NDArray[np.float64]:
    """Condition number per bin: largest over smallest singular value, ``(n_freqs,)``."""
    s = singular_values(H)
    with np.errstate(divide="ignore"):
        return s[0] / s[-1]


@dataclass(frozen=True)
class _Cone:
    """One named group of per-bin constraints.

    ``kind`` is ``"cone"`` for ``||X[:, k]|| <= bound[k]``, ``"eq"`` for ``X[:, k] = 0`` and
    ``"ge"`` for ``X[k] >= bound[k]`` (X a vector).
    """

    name: str
    X: cp.Expression
    bound: cp.Expression | NDArray
    bins: NDArray[np.intp]  # frequency bin of each column
    kind: str = "cone"
    soft: float | None = None  # penalty per unit of violation; None: a hard constraint


class StackedProblem:
    """One convex problem over all frequency bins for the complex weights of a set of sources.

    The variables are the weights :math:`w_{f,s}` of ``n_sources`` sources at ``n_freqs`` bins
    (one input channel), split into :attr:`wr` and :attr:`wi` of shape ``(n_freqs, n_sources)``.
    Build the problem from responses (:meth:`response`), add constraints (:meth:`limit_gain`,
    :meth:`limit_norm`, :meth:`equal`, :meth:`bound`), give an objective, and :meth:`solve`.

    Parameters
    ----------
    n_sources : int
        Number of sources (drivers).
    n_freqs : int
        Number of frequency bins.

    Examples
    --------
    >>> import numpy as np
    >>> prob = StackedProblem(2, 3)
    >>> h = np.ones((3, 2)) + 0j
    >>> prob.equal("unit response", h, np.ones(3))
    >>> w = prob.solve(prob.effort())
    >>> np.allclose(w, 0.5, atol=1e-6)
    True
    """

    def __init__(self, n_sources: int, n_freqs: int) -> None:
        for name, value in (("n_sources", n_sources), ("n_freqs", n_freqs)):
            as_int(value, name, 1)
        self.n_sources, self.n_freqs = int(n_sources), int(n_freqs)
        self.wr = cp.Variable((self.n_freqs, self.n_sources), name="w_real")
        self.wi = cp.Variable((self.n_freqs, self.n_sources), name="w_imag")
        self._cones: list[_Cone] = []
        self._slacks: list[cp.Variable | None] = []
        self._problem: cp.Problem | None = None
        self._objective: cp.Expression | None = None

    # --- building blocks --------------------------------------------------------------------
    def _row(self, h, name: str):
        """Real and imaginary parts of a response row: arrays, or a pair of Parameters."""
        if isinstance(h, tuple):
            hr, hi = h
            for part in (hr, hi):
                if not isinstance(part, cp.Parameter) or part.shape != (
                    self.n_freqs,
                    self.n_sources,
                ):
                    raise ValueError(
                        f"{name} parameters must have shape ({self.n_freqs}, {self.n_sources})"
                    )
            return hr, hi
        row = as_complex_array(h, name)
        if row.shape != (self.n_freqs, self.n_sources):
            raise ValueError(
                f"{name} must have shape ({self.n_freqs}, {self.n_sources}) (bins, sources), "
                f"got {row.shape}"
            )
        return row.real, row.imag

    def response(self, h) -> tuple[cp.Expression, cp.Expression]:
        r"""Real and imaginary parts ``(n_freqs,)`` of :math:`\sum_s h_{f,s} w_{f,s}`.

        Parameters
        ----------
        h : (n_freqs, n_sources) array_like or (Parameter, Parameter)
            Complex responses of the sources at one receiver, or real and imaginary parts as
            cvxpy Parameters (for re-solves with new transfer functions).
        """
        hr, hi = self._row(h, "h")
        real = cp.sum(cp.multiply(hr, self.wr) - cp.multiply(hi, self.wi), axis=1)
        imag = cp.sum(cp.multiply(hr, self.wi) + cp.multiply(hi, self.wr), axis=1)
        return real, imag

    def effort(self) -> cp.Expression:
        r"""Total driver effort :math:`\sum_{f,s} |w_{f,s}|^2`."""
        return cp.sum_squares(self.wr) + cp.sum_squares(self.wi)

    def _bound(self, value, name: str, size: int):
        if isinstance(value, (cp.Parameter, cp.Expression)):
            if value.shape == ():
                return np.ones(size) * value  # a scalar Parameter for every bin (still DPP)
            if value.shape != (size,):
                raise ValueError(
                    f"{name} must be a scalar or have shape ({size},), got {value.shape}"
                )
            return value
        b = as_float_array(value, name)
        b = np.broadcast_to(b, (size,)) if b.ndim == 0 else b
        if b.shape != (size,):
            raise ValueError(f"{name} must be a scalar or have shape ({size},), got {b.shape}")
        if np.any(b < 0):
            raise ValueError(f"{name} must be non-negative")
        return b

    def add_cone(
        self, name: str, X: cp.Expression, bound, bins: NDArray[np.intp], *, soft=None
    ) -> None:
        r"""Add the per-column cones ``||X[:, k]|| <= bound[k]`` as a named constraint group.

        With ``soft`` (a positive penalty weight) the group is an objective, not a constraint:
        each column may exceed its bound by a slack :math:`s_k \ge 0` that costs
        ``soft * s_k`` (an exact L1 penalty: a group that can be met, and whose multiplier is
        below the weight, is met exactly). :meth:`shortfall` reports the slacks after a solve.
        """
        if soft is not None:
            soft = float(as_float_array(soft, "soft"))
            if not soft > 0:
                raise ValueError(f"soft must be a positive penalty weight, got {soft!r}")
        self._cones.append(_Cone(name, X, bound, np.asarray(bins), soft=soft))
        self._problem = None

    def limit_gain(self, limit, *, name: str = "gain limit") -> None:
        r"""Limit every weight's magnitude: :math:`|w_{f,s}| \le g_f` (or :math:`g_{f,s}`).

        Parameters
        ----------
        limit : float, (n_freqs,) or (n_freqs, n_sources) array_like, or Parameter
            Linear gain limit(s), non-negative.
        """
        size = self.n_freqs * self.n_sources
        if isinstance(limit, (cp.Parameter, cp.Expression)):
            if limit.shape == ():
                g = np.ones(size) * limit
            elif limit.shape == (self.n_freqs, self.n_sources):
                g = cp.vec(limit, order="F")
            else:
                g = self._bound(limit, "limit", size)
        else:
            arr = as_float_array(limit, "limit")
            arr = np.broadcast_to(
                arr[..., None] if arr.ndim == 1 else arr, (self.n_freqs, self.n_sources)
            )
            g = self._bound(arr.ravel(order="F"), "limit", size)
        X = cp.vstack([cp.vec(self.wr, order="F"), cp.vec(self.wi, order="F")])
        bins = np.tile(np.arange(self.n_freqs), self.n_sources)
        self.add_cone(name, X, g, bins)

    def limit_norm(self, limit, *, name: str = "norm limit", soft=None) -> None:
        r"""Limit the weight vector's norm per bin, :math:`\|\mathbf w_f\|_2 \le n_f`.

        A white-noise-gain floor :math:`|\mathbf w^H\mathbf d|^2 / \|\mathbf w\|^2 \ge \gamma`
        with a unit response :math:`\mathbf w^H \mathbf d = 1` is this limit with
        :math:`n_f = 1/\sqrt{\gamma_f}`.
        """
        b = self._bound(limit, "limit", self.n_freqs)
        X = cp.hstack([self.wr, self.wi]).T  # (2 n_sources, n_freqs)
        self.add_cone(name, X, b, np.arange(self.n_freqs), soft=soft)

    def equal(self, name: str, h, target) -> None:
        """Require the response at a receiver to equal ``target`` (complex, per bin)."""
        real, imag = self.response(h)
        if isinstance(target, tuple):
            tr, ti = target
        else:
            t = as_complex_array(target, "target")
            t = np.broadcast_to(t, (self.n_freqs,)) if t.ndim == 0 else t
            if t.shape != (self.n_freqs,):
                raise ValueError(f"target must have shape ({self.n_freqs},), got {t.shape}")
            tr, ti = t.real, t.imag
        X = cp.vstack([real - tr, imag - ti])
        self._cones.append(_Cone(name, X, np.zeros(self.n_freqs), np.arange(self.n_freqs), "eq"))
        self._problem = None

    def at_least(self, name: str, expr: cp.Expression, floor, *, soft=None) -> None:
        """Require a per-bin real expression ``(n_freqs,)`` to be at least ``floor``."""
        if expr.shape != (self.n_freqs,):
            raise ValueError(f"expr must have shape ({self.n_freqs},), got {expr.shape}")
        f = as_float_array(floor, "floor")
        f = np.broadcast_to(f, (self.n_freqs,)) if f.ndim == 0 else f
        self._cones.append(_Cone(name, expr, f, np.arange(self.n_freqs), "ge", soft=soft))
        self._problem = None

    def bound(self, name: str, h, limit, *, soft=None) -> None:
        r"""Bound the magnitude of the response at a receiver, :math:`|y_f| \le b_f`.

        ``soft`` makes it an objective (see :meth:`add_cone`).
        """
        real, imag = self.response(h)
        b = self._bound(limit, "limit", self.n_freqs)
        self.add_cone(name, cp.vstack([real, imag]), b, np.arange(self.n_freqs), soft=soft)

    # --- solving ------------------------------------------------------------------------------
    def _constraints(self) -> tuple[list[cp.Constraint], cp.Expression | float]:
        """Return the constraints and the penalty of the soft groups (their slacks are kept)."""
        out, penalty = [], 0.0
        self._slacks = []
        for cone in self._cones:
            slack = None
            if cone.soft is not None:
                slack = cp.Variable(cone.bins.size, nonneg=True)
                penalty = penalty + cone.soft * cp.sum(slack)
            self._slacks.append(slack)
            if cone.kind == "eq":
                out.append(cone.X == 0)
            elif cone.kind == "ge":  # a floor: the slack lowers it
                out.append(cone.X >= (cone.bound if slack is None else cone.bound - slack))
            else:  # a cone: the slack widens it
                out.append(
                    cp.SOC(cone.bound if slack is None else cone.bound + slack, cone.X, axis=0)
                )
        return out, penalty

    @property
    def groups(self) -> tuple[_Cone, ...]:
        """The named constraint groups, in the order they were added."""
        return tuple(self._cones)

    def shortfall(self, name: str) -> NDArray[np.float64]:
        """Per-bin violation ``(n_freqs,)`` of a soft group after :meth:`solve` (0 where met)."""
        if self._problem is None or self.wr.value is None:
            raise DesignError("the problem has not been solved")
        out = np.zeros(self.n_freqs)
        found = False
        for cone, slack in zip(self._cones, self._slacks, strict=True):
            if cone.name == name and slack is not None:
                found = True
                np.maximum.at(out, cone.bins, np.maximum(slack.value, 0.0))
        if not found:
            raise ValueError(f"name: no soft constraint group {name!r}")
        return out

    def solve(self, objective: cp.Expression, **solver_options) -> NDArray[np.complex128]:
        """Minimise ``objective`` subject to the constraints; return the weights.

        The compiled problem is kept and reused while the objective and constraints are the same
        objects, so updating Parameter values and calling :meth:`solve` again re-solves quickly.

        Returns
        -------
        w : (n_freqs, n_sources) ndarray
            Complex weights.

        Raises
        ------
        DesignError
            If the problem is infeasible (naming the constraint groups and bins that cannot be
            met) or the solver fails.
        """
        if self._problem is None or objective is not self._objective:
            constraints, penalty = self._constraints()
            self._problem = cp.Problem(cp.Minimize(objective + penalty), constraints)
            self._objective = objective
        options = {"solver": cp.CLARABEL, **solver_options}
        try:
            self._problem.solve(**options)
        except cp.error.SolverError as exc:
            raise DesignError(f"the solver failed: {exc}") from exc
        status = self._problem.status
        if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
            raise DesignError(self._diagnose(options))
        if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or self.wr.value is None:
            raise DesignError(f"the solver ended with status {status!r}")
        return self.wr.value + 1j * self.wi.value

    @property
    def value(self) -> float:
        """Optimal objective value of the last solve."""
        if self._problem is None or self._problem.value is None:
            raise DesignError("the problem has not been solved")
        return float(self._problem.value)

    def _diagnose(self, options: dict) -> str:
        """Re-solve with a slack per bin and group; name the groups and bins that need slack."""
        slacks, constraints = [], []
        for cone in self._cones:
            s = cp.Variable(cone.bins.size, nonneg=True)
            slacks.append(s)
            if cone.kind == "eq":
                constraints.append(cp.SOC(s, cone.X, axis=0))
            elif cone.kind == "ge":
                constraints.append(cone.X + s >= cone.bound)
            else:
                constraints.append(cp.SOC(cone.bound + s, cone.X, axis=0))
        elastic = cp.Problem(cp.Minimize(sum(cp.sum(s) for s in slacks)), constraints)
        with warnings.catch_warnings():  # a diagnosis: an inaccurate solution still names groups
            warnings.simplefilter("ignore")
            elastic.solve(**options)
        parts = []
        for cone, s in zip(self._cones, slacks, strict=True):
            if s.value is None:
                continue
            bins = np.unique(cone.bins[s.value > 1e-6 * max(1.0, float(np.max(s.value)))])
            if bins.size and np.max(s.value) > 1e-7:
                parts.append(f"{cone.name!r} at {bins.size} bin(s) (first: {bins[:8].tolist()})")
        detail = "; ".join(parts) if parts else "no single group identified"
        return f"the design is infeasible: cannot meet {detail}"
