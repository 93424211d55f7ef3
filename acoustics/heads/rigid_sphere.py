r"""Scattering of a point source by a rigid sphere: the Duda-Martens series, evaluated stably.

Duda & Martens, "Range dependence of the response of a spherical head model", JASA 104(5), 1998,
Eq. (4)-(5). With :math:`\rho = r/a` (source distance over sphere radius), :math:`\mu = ka` and
:math:`\theta` the angle between the source and the ear as seen from the centre, the pressure on the
surface relative to the free-field pressure at the centre is

.. math:: H(\rho, \mu, \theta) = -\frac{\rho}{\mu} e^{j\mu\rho}
          \sum_{m=0}^{\infty} (2m+1) P_m(\cos\theta)\,\frac{h_m(\mu\rho)}{h_m'(\mu)},

written here for the time convention :math:`e^{+j\omega t}`, in which :math:`h_m = h_m^{(2)}` is
the outgoing spherical Hankel function (the paper uses :math:`e^{-j\omega t}`; its :math:`H` is the
complex conjugate of this one).

Numerics
--------
The Hankel functions themselves overflow for :math:`m \gg \mu`, so the series is evaluated through
ratios that stay of order one (in the spirit of the recursion of the paper's appendix):
:math:`r_m(x) = h_m(x)/h_{m-1}(x)` obeys :math:`r_1(x) = 1/x + j` and the upward recurrence
:math:`r_{m+1} = (2m+1)/x - 1/r_m`, which is stable for the dominant (Hankel) solution. Then

.. math:: \frac{h_m(\mu\rho)}{h_m'(\mu)} = \frac{h_0(\mu\rho)}{h_0(\mu)}
          \prod_{k=1}^{m}\frac{r_k(\mu\rho)}{r_k(\mu)} \Big/ \frac{h_m'(\mu)}{h_m(\mu)},
          \qquad \frac{h_m'}{h_m} = \frac{1}{r_m} - \frac{m+1}{\mu}, \quad
          \frac{h_0'}{h_0} = -r_1,

with :math:`h_0(\mu\rho)/h_0(\mu) = e^{-j\mu(\rho-1)}/\rho`. At :math:`\mu = 0` (0 Hz) each term
takes its quasi-static limit :math:`(2m+1) P_m(\cos\theta) / ((m+1)\rho^m)`, which carries the
near-field level difference down to DC. The series is summed until every term is below ``tol``
(relative to the zeroth) for two successive orders at every :math:`(\rho, \mu)`; near the sphere
(:math:`\rho \to 1`) it converges like :math:`\rho^{-m}` and needs more terms.

The modal factor depends only on :math:`(\rho, \mu)` and the Legendre factor only on
:math:`\theta`, so for sources sharing a distance (a ring or sphere of directions, the usual HRTF
grid) the sum is a single matrix product.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.validation import as_float_array

__all__ = ["rigid_sphere_transfer", "inverse_hankel_derivatives"]

# Memory budget (complex elements) for the (n_rho, n_orders, n_mu) modal table of one chunk.
_TABLE_ELEMENTS = 8_000_000


def rigid_sphere_transfer(
    rho: npt.ArrayLike,
    cos_theta: npt.ArrayLike,
    mu: npt.ArrayLike,
    *,
    tol: float = 1e-12,
    max_orders: int = 20_000,
) -> NDArray[np.complex128]:
    r"""Rigid-sphere transfer function :math:`H(\rho, \mu, \theta)` of Duda & Martens (1998).

    Parameters
    ----------
    rho : (n,) array_like
        Source distance from the centre over the sphere radius, > 1.
    cos_theta : (..., n) array_like
        Cosine of the angle between each source and the ear, seen from the centre. Leading axes
        (e.g. one per ear) share the distances ``rho``.
    mu : (n_mu,) array_like
        :math:`ka`, non-negative.
    tol : float, optional
        Relative size below which the series is truncated.
    max_orders : int, optional
        Refuse to sum more terms than this (sources extremely close to the surface).

    Returns
    -------
    H : (..., n, n_mu) ndarray
        Complex, time convention :math:`e^{+j\omega t}`; 1 for a far source at 0 Hz, tending to 2
        (+6.02 dB) for the ear facing a far source at high :math:`\mu`.
    """
    rho = as_float_array(rho, "rho")
    cos_theta = as_float_array(cos_theta, "cos_theta")
    mu = as_float_array(mu, "mu")
    if rho.ndim != 1:
        raise ValueError(f"rho must be 1-D, got shape {rho.shape}")
    if np.any(rho <= 1.0):
        raise ValueError(
            f"rho must be > 1 (source outside the sphere), got a minimum of {rho.min():g}"
        )
    if cos_theta.shape[-1:] != rho.shape:
        raise ValueError(
            f"cos_theta must have shape (..., {rho.shape[0]}) to match rho, got {cos_theta.shape}"
        )
    if np.any(np.abs(cos_theta) > 1.0 + 1e-9):
        raise ValueError("cos_theta must lie in [-1, 1]")
    if mu.ndim != 1 or np.any(mu < 0):
        raise ValueError("mu must be a 1-D array of non-negative values")
    cos_theta = np.clip(cos_theta, -1.0, 1.0)

    lead = cos_theta.shape[:-1]
    x = cos_theta.reshape(-1, rho.shape[0])  # (n_lead, n)
    out = np.empty((x.shape[0], rho.shape[0], mu.shape[0]), dtype=np.complex128)
    unique_rho, inverse = np.unique(rho, return_inverse=True)
    inverse = inverse.ravel()
    # Chunk the distinct distances so that the modal table of a chunk fits the memory budget
    # (the number of orders is not known in advance; assume a generous 200 for sizing).
    chunk = max(1, _TABLE_ELEMENTS // (200 * max(mu.shape[0], 1)))
    for start in range(0, unique_rho.shape[0], chunk):
        rho_chunk = unique_rho[start : start + chunk]
        table = modal_table(rho_chunk, mu, tol=tol, max_orders=max_orders)  # (n_c, M, n_mu)
        n_orders = table.shape[1]
        members = np.nonzero((inverse >= start) & (inverse < start + rho_chunk.shape[0]))[0]
        legendre = legendre_table(x[:, members], n_orders)  # (n_lead, n_members, M)
        local = inverse[members] - start
        if rho_chunk.shape[0] <= 16:
            # Few distances, many directions: one matrix product per distance.
            for j in range(rho_chunk.shape[0]):
                sel = local == j
                out[:, members[sel], :] = legendre[:, sel, :] @ table[j]
        else:
            # Distinct distances: a batched product per source.
            batched = np.matmul(legendre.transpose(1, 0, 2), table[local])  # (n_p, n_lead, n_mu)
            out[:, members, :] = batched.transpose(1, 0, 2)
    return out.reshape(*lead, rho.shape[0], mu.shape[0])


def legendre_table(x: NDArray[np.float64], n_orders: int) -> NDArray[np.float64]:
    """Legendre polynomials :math:`P_m(x)` for m < n_orders, on a new last axis."""
    table = np.empty(x.shape + (n_orders,))
    table[..., 0] = 1.0
    if n_orders > 1:
        table[..., 1] = x
    for m in range(2, n_orders):
        table[..., m] = ((2 * m - 1) * x * table[..., m - 1] - (m - 1) * table[..., m - 2]) / m
    return table


def modal_table(
    rho: NDArray[np.float64], mu: NDArray[np.float64], *, tol: float, max_orders: int
) -> NDArray[np.complex128]:
    r"""Return the terms :math:`T_m(\rho, \mu)` of :math:`H = \sum_m T_m P_m(\cos\theta)`.

    Shape ``(n_rho, M, n_mu)``.

    :math:`T_m = -(e^{j\mu}/\mu)(2m+1) \Pi_m / D_m`, where :math:`\Pi_m` is the running product of
    ratios and :math:`D_m = h_m'(\mu)/h_m(\mu)` (module docstring).
    """
    static = mu == 0.0
    mu_safe = np.where(static, 1.0, mu)[None, :]  # (1, n_mu)
    inv_arg = 1.0 / (rho[:, None] * mu_safe)  # 1 / (mu rho), (n_rho, n_mu)
    prefactor = -np.exp(1j * mu_safe) / mu_safe
    log_rho = np.log(rho)[:, None]
    # Order 0.
    r_surface = 1.0 / mu_safe + 1j  # r_1(mu), shared by all distances
    r_source = inv_arg + 1j  # r_1(mu rho)
    term0 = np.broadcast_to(prefactor / (-r_surface), inv_arg.shape)
    terms = [np.where(static[None, :], 1.0, term0)]
    product = np.ones(inv_arg.shape, dtype=np.complex128)
    small_count = 0
    m = 0
    while True:
        m += 1
        if m > max_orders:
            raise ValueError(
                f"the rigid-sphere series did not converge within {max_orders} orders; "
                f"the source is too close to the sphere (rho = {rho.min():.6g})"
            )
        if m > 1:
            # Upward recurrence r_m = (2m - 1)/x - 1/r_{m-1}.
            r_surface = (2 * m - 1) / mu_safe - 1.0 / r_surface
            r_source = (2 * m - 1) * inv_arg - 1.0 / r_source
        product *= r_source * (1.0 / r_surface)
        # Factors that depend on mu only, as one row: prefactor (2m+1) h_m(mu) / h_m'(mu).
        row = prefactor * (2 * m + 1) / (1.0 / r_surface - (m + 1) / mu_safe)
        term = product * row
        if static.any():
            # rho^-m as exp(-m log rho): underflows quietly to 0 instead of overflowing rho^m.
            quasi_static = (2 * m + 1) / (m + 1) * np.exp(-m * log_rho)
            term = np.where(static[None, :], quasi_static, term)
        terms.append(term)
        size = np.max(term.real**2 + term.imag**2)
        small_count = small_count + 1 if size < tol**2 else 0
        if small_count >= 2 and m >= 2:
            break
    return np.stack(terms, axis=1)


def inverse_hankel_derivatives(x: npt.ArrayLike, n_orders: int) -> NDArray[np.complex128]:
    r"""Reciprocals :math:`1/h_l'(x)` of the derivatives of the outgoing spherical Hankel functions.

    :math:`h_l = h_l^{(2)} = j_l - j y_l` (time convention :math:`e^{+j\omega t}`). Computed from
    the ratio recursion of the module docstring, :math:`1/h_l' = (1/h_0) \prod_{k \le l} (1/r_k) /
    (1/r_l - (l+1)/x)`, which never overflows: where :math:`|h_l'|` exceeds the floating-point range
    the reciprocal underflows gracefully to 0.

    Parameters
    ----------
    x : (n,) array_like
        Positive arguments.
    n_orders : int
        Number of orders ``l = 0 .. n_orders - 1``.

    Returns
    -------
    inv : (n_orders, n) ndarray
    """
    x = as_float_array(x, "x")
    if x.ndim != 1 or np.any(x <= 0):
        raise ValueError("x must be a 1-D array of positive values")
    if n_orders < 1:
        raise ValueError(f"n_orders must be at least 1, got {n_orders}")
    out = np.empty((n_orders, x.shape[0]), dtype=np.complex128)
    inv_h = -1j * x * np.exp(1j * x)  # 1 / h_0(x), h_0 = j e^{-jx} / x
    r = 1.0 / x + 1j  # r_1
    out[0] = -inv_h / r  # h_0' = -h_1 = -h_0 r_1
    with np.errstate(under="ignore"):
        for m in range(1, n_orders):
            if m > 1:
                r = (2 * m - 1) / x - 1.0 / r
            inv_h = inv_h / r
            out[m] = inv_h / (1.0 / r - (m + 1) / x)
    return out
