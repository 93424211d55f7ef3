"""Batched regularized least squares and the stacked cvxpy problem."""

import cvxpy as cp
import numpy as np
import pytest
from numpy.testing import assert_allclose

from design.filters.solvers import (
    DesignError,
    StackedProblem,
    condition_number,
    regularized_inverse,
    singular_values,
)


def _random_plant(n_r, n_s, n_f, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_r, n_s, n_f)) + 1j * rng.normal(size=(n_r, n_s, n_f))


@pytest.mark.parametrize("n_s", [2, 3, 5])
def test_unregularized_inverse_is_exact(n_s):
    h = _random_plant(2, n_s, 64)
    d = np.broadcast_to(np.eye(2)[:, :, None], (2, 2, 64))
    w = regularized_inverse(h, d)
    hw = np.einsum("rsf,sif->rif", h, w)
    assert_allclose(hw, d, atol=1e-10)
    if n_s == 2:  # square: numpy's own inverse, bin by bin in a batch
        assert_allclose(w, np.moveaxis(np.linalg.inv(np.moveaxis(h, -1, 0)), 0, -1), atol=1e-10)
    else:  # more sources than receivers: the minimum-norm solution, i.e. the pseudo-inverse
        pinv = np.moveaxis(np.linalg.pinv(np.moveaxis(h, -1, 0)), 0, -1)
        assert_allclose(w, pinv, atol=1e-10)


def test_regularized_gain_per_singular_value_is_bounded():
    # docs/references.md (Kirkeby et al. 1998): per singular value the gain sigma / (sigma^2 + beta)
    # is at most 1 / (2 sqrt(beta)), reached where sigma = sqrt(beta).
    h = _random_plant(2, 2, 200, seed=1) * np.logspace(-2, 1, 200)
    beta = 0.04
    w = regularized_inverse(h, np.broadcast_to(np.eye(2)[:, :, None], h.shape), beta=beta)
    gains = singular_values(w)
    assert np.all(gains <= 1 / (2 * np.sqrt(beta)) * (1 + 1e-9))
    assert gains.max() > 0.9 / (2 * np.sqrt(beta))  # the bound is approached
    sigma = singular_values(h)
    assert_allclose(np.sort(gains, axis=0), np.sort(sigma / (sigma**2 + beta), axis=0), rtol=1e-9)


def test_condition_number_and_errors():
    h = _random_plant(2, 2, 8)
    assert_allclose(condition_number(h), np.linalg.cond(np.moveaxis(h, -1, 0)), rtol=1e-10)
    singular = h.copy()
    singular[:, 1, 3] = singular[:, 0, 3]
    with pytest.raises(ValueError, match="singular at 1 bin"):
        regularized_inverse(singular, np.broadcast_to(np.eye(2)[:, :, None], h.shape))
    with pytest.raises(ValueError, match="D"):
        regularized_inverse(h, np.ones((3, 2, 8)))
    with pytest.raises(ValueError, match="beta"):
        regularized_inverse(h, np.ones((2, 2, 8)), beta=-1.0)
    with pytest.raises(ValueError, match="H"):
        regularized_inverse(np.full((2, 2, 8), np.nan), np.ones((2, 2, 8)))


def test_stacked_problem_equals_closed_form_when_constraints_are_inactive():
    h = _random_plant(2, 3, 100, seed=2)
    beta = 0.1
    d = np.zeros((2, 100), dtype=complex)
    d[0] = np.exp(-2j * np.pi * np.arange(100) / 50)  # input 0 to receiver 0, a delay
    prob = StackedProblem(3, 100)
    cost = beta * prob.effort()
    for r in range(2):
        yr, yi = prob.response(h[r].T)
        cost = cost + cp.sum_squares(yr - d[r].real) + cp.sum_squares(yi - d[r].imag)
    prob.limit_gain(1e3)  # far from active
    w = prob.solve(cost)
    closed = regularized_inverse(h, d[:, None, :], beta=beta)[:, 0, :].T
    assert_allclose(w, closed, atol=1e-6)


def test_gain_limit_holds_and_infeasibility_is_named():
    h = _random_plant(1, 3, 50, seed=3)
    # Between the smallest achievable peak gain for a unit response, 1 / ||h||_1, and the peak of
    # the minimum-norm solution, max|h| / ||h||^2: feasible, and active in every bin.
    a = np.abs(h[0])
    limit = 0.5 * (1 / a.sum(axis=0) + a.max(axis=0) / (a**2).sum(axis=0))
    prob = StackedProblem(3, 50)
    prob.equal("unit response", h[0].T, np.ones(50))
    prob.limit_gain(limit)
    w = prob.solve(prob.effort())
    assert np.all(np.abs(w) <= limit[:, None] * (1 + 1e-6))
    assert np.all(np.abs(w).max(axis=1) > 0.99 * limit)  # the limit binds
    yr, yi = prob.response(h[0].T)
    assert_allclose(yr.value + 1j * yi.value, 1.0, atol=1e-6)
    # Make bins 7 and 21 impossible: a tiny plant needs weights far above the limit there.
    h_bad = h.copy()
    h_bad[:, :, [7, 21]] *= 1e-3
    bad = StackedProblem(3, 50)
    bad.equal("unit response", h_bad[0].T, np.ones(50))
    bad.limit_gain(limit, name="driver gain limit")
    with pytest.raises(DesignError, match=r"bin\(s\) \(first: \[7, 21\]\)"):
        bad.solve(bad.effort())


def test_parameters_resolve_the_same_structure():
    h = _random_plant(1, 2, 20, seed=4)[0].T
    hr = cp.Parameter((20, 2), value=h.real)
    hi = cp.Parameter((20, 2), value=h.imag)
    g = cp.Parameter(nonneg=True, value=10.0)
    prob = StackedProblem(2, 20)
    prob.equal("unit", (hr, hi), np.ones(20))
    prob.limit_norm(g)
    objective = prob.effort()
    w1 = prob.solve(objective)
    h2 = 2.0 * h
    hr.value, hi.value = h2.real, h2.imag
    w2 = prob.solve(objective)
    assert_allclose(w2, w1 / 2.0, atol=1e-6)  # twice the plant, half the minimum-norm weights
    assert prob._problem.is_dcp(dpp=True)


def test_soft_groups_are_met_where_possible_and_report_their_shortfall():
    # One bin, two sources. The response at receiver a must be 1 (hard); at receiver b we ask
    # |y_b| <= 0.2 softly. With h_a = (1, 1), h_b = (1, 0): w = (0.2, 0.8) meets both, so the
    # slack is 0. With h_b = h_a the request contradicts the equality: the slack is exactly
    # |y_b| - 0.2 = 0.8 (the L1 penalty cannot buy anything cheaper).
    from design.filters.solvers import StackedProblem

    for h_b, expected in (([1.0, 0.0], 0.0), ([1.0, 1.0], 0.8)):
        prob = StackedProblem(2, 1)
        prob.equal("unit a", np.array([[1.0, 1.0]]) + 0j, np.ones(1))
        prob.bound("quiet b", np.array([h_b]) + 0j, 0.2, soft=1e3)
        w = prob.solve(prob.effort())
        assert prob.shortfall("quiet b")[0] == pytest.approx(expected, abs=1e-6)
        assert abs(w[0].sum()) == pytest.approx(1.0, abs=1e-7)
    with pytest.raises(ValueError, match="soft"):
        StackedProblem(2, 1).bound("x", np.ones((1, 2)) + 0j, 0.2, soft=-1.0)
    with pytest.raises(ValueError, match="name"):
        prob.shortfall("unit a")  # a hard group has no shortfall
