"""Benchmark: ``RigidSphere.ear_responses`` for 700 directions x 1025 bins (48 kHz, n_fft 2048).

Run with ``python -m experiments.benchmarks.rigid_sphere``. The baseline, timed in the same run, is
the textbook evaluation of the same Duda-Martens series with scipy's spherical Bessel functions
(:func:`scipy.special.spherical_jn` / ``spherical_yn``), vectorized over directions and
frequencies with a loop over orders, truncated at the order count the toolkit's own recursion
needed. Two cases: all sources at 2 m (an HRTF-style sphere of directions: the toolkit sums the
series as one matrix product) and sources at 700 different distances.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import special

from acoustics.geometry import sph_to_cart
from acoustics.heads import RigidSphere
from acoustics.heads.rigid_sphere import modal_table

A = 0.0875
C = 343.0


def _baseline(positions, freqs, n_orders):
    """Direct series with scipy's Hankel functions, both ears; returns H (2, n, n_f)."""
    r = np.linalg.norm(positions, axis=1)
    rho = r / A
    mu = 2 * np.pi * freqs[1:] * A / C  # skip 0 Hz, where the direct formula is singular
    ears = np.array([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]])
    cos_theta = ears @ (positions / r[:, None]).T  # (2, n)
    total = np.zeros((2, r.size, mu.size), dtype=complex)
    x_src = rho[:, None] * mu[None, :]
    p_prev, p_cur = np.ones_like(cos_theta), cos_theta
    for m in range(n_orders):
        legendre = np.ones_like(cos_theta) if m == 0 else p_cur
        if m >= 2:
            p_prev, p_cur = p_cur, ((2 * m - 1) * cos_theta * p_cur - (m - 1) * p_prev) / m
            legendre = p_cur
        with np.errstate(all="ignore"):
            h_src = special.spherical_jn(m, x_src) - 1j * special.spherical_yn(m, x_src)
            dh = special.spherical_jn(m, mu, derivative=True) - 1j * special.spherical_yn(
                m, mu, derivative=True
            )
            term = (2 * m + 1) * h_src / dh[None, :]
        total += legendre[:, :, None] * np.where(np.isfinite(term), term, 0.0)[None]
    return -(rho[:, None] / mu[None, :]) * np.exp(1j * x_src) * total


def _time(fn, repeats=3):
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    """Time both cases and print the ratio and the agreement."""
    rng = np.random.default_rng(0)
    freqs = np.fft.rfftfreq(2048, 1 / 48000)
    head = RigidSphere(A)
    cases = {
        "700 directions at 2 m": 2.0,
        "700 directions at 0.2-5 m": rng.uniform(0.2, 5.0, 700),
    }
    print(f"RigidSphere.ear_responses, 700 sources x {freqs.size} bins (fs 48 kHz)")
    for label, radius in cases.items():
        positions = sph_to_cart(rng.uniform(-180, 180, 700), rng.uniform(-60, 90, 700), radius)
        t_ours, pressure = _time(lambda p=positions: head.ear_responses(p, freqs, c=C))
        r = np.linalg.norm(positions, axis=1)
        n_orders = modal_table(
            np.unique(r / A), 2 * np.pi * freqs * A / C, tol=1e-12, max_orders=20000
        ).shape[1]
        t_base, h_base = _time(lambda p=positions, n=n_orders: _baseline(p, freqs, n), repeats=1)
        green = np.exp(-2j * np.pi * freqs[1:] * r[:, None] / C) / (4 * np.pi * r[:, None])
        h_ours = pressure[:, :, 1:] / green[None]
        err = np.max(np.abs(h_ours - h_base)) / np.max(np.abs(h_base))
        print(
            f"  {label}: soundstage {t_ours:.3f} s, scipy series {t_base:.3f} s "
            f"({n_orders} orders), ratio {t_base / t_ours:.1f}x, max relative difference {err:.1e}"
        )


if __name__ == "__main__":
    main()
