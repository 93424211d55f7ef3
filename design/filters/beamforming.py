r"""Beamforming for the centre channel: driver weights from azimuth transfer matrices, and metrics.

Inputs are far-field :class:`~acoustics.transfer.TransferMatrix` objects in the device frame:
:func:`acoustics.scene.azimuth_transfer` (receivers ``"az=<deg>"``, 0 deg on-axis, +90 deg the
device's left) for patterns, and :func:`acoustics.freefield.sphere_transfer` for the diffuse-field
quantities. Weights are returned as a :class:`~design.filters.fir.FilterSet` with one input,
``"centre"``.

Designs
-------
:func:`matrix_mixing`
    The baseline of docs/architecture.md: the same signal to every driver with fixed real gains, no
    filtering.
:func:`delay_and_sum`
    Phase-aligns the drivers towards a steering direction: the matched filter
    :math:`\mathbf w = \mathbf d^* / \|\mathbf d\|^2` of the steering response :math:`\mathbf d`,
    unit response on the steering axis (delay-and-sum for omnidirectional drivers).
:func:`superdirective`
    Maximum directivity with diagonal loading (Cox, Zeskind & Kooij, IEEE TASSP 34(3), 1986):
    :math:`\mathbf w = (\Gamma + \epsilon I)^{-1}\mathbf d / (\mathbf d^H (\Gamma + \epsilon
    I)^{-1}\mathbf d)`, with :math:`\Gamma` the diffuse-field cross-spectral matrix of the drivers
    (the sphere average of :math:`\mathbf h \mathbf h^H`, which reduces to
    :math:`\mathrm{sinc}(k r_{ij})` for omnidirectional drivers) and :math:`\epsilon(f)` the
    smallest loading that keeps the white-noise gain above a floor (bisection, all bins at once).
:func:`null_beam`
    The centre beam of docs/architecture.md (step 4): unit on-axis response, nulls towards the side
    walls at +-90 deg at least ``null_depth_db`` down, the main lobe held within
    ``lobe_tolerance_db`` of on-axis over +-``lobe_half_width_deg``, energy beyond the lobe
    minimised, and the effort limited by a white-noise-gain floor: a second-order cone program over
    all bins (:class:`~design.filters.solvers.StackedProblem`). The lobe lower bound uses the
    in-phase part :math:`\mathrm{Re}(y) \ge 10^{-\mathrm{tol}/20}` (a convex restriction of
    :math:`|y| \ge \ldots`), with the response referred to a point source at the device origin.

Metrics (all per frequency)
    Directivity index :math:`10\log_{10}(|\mathbf w^T \mathbf h_0|^2 / \langle|\mathbf w^T
    \mathbf h|^2\rangle)`; white-noise gain :math:`|\mathbf w^T \mathbf d|^2 / \|\mathbf w\|^2`
    (docs/references.md; with :math:`\mathbf d` the on-axis responses); front-to-side ratio (on-axis
    over the mean of +-90 deg); -6 dB beamwidth of the lobe around 0 deg; null depth at +-90 deg
    re on-axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cvxpy as cp
import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from acoustics.geometry import DEFAULT_FS
from acoustics.metrics import directivity_index
from acoustics.transfer import TransferMatrix
from acoustics.validation import as_float_array, as_positive, as_real
from design.filters.fir import FilterSet
from design.filters.solvers import DesignError, StackedProblem

__all__ = [
    "BeamMetrics",
    "matrix_mixing",
    "delay_and_sum",
    "superdirective",
    "null_beam",
    "beam_response",
    "beam_metrics",
    "white_noise_gain",
]

#: The single input channel of a beam design.
CENTRE: tuple[str] = ("centre",)


def _azimuths(tm: TransferMatrix, name: str = "tm") -> NDArray[np.float64]:
    if not isinstance(tm, TransferMatrix):
        raise TypeError(f"{name} must be a TransferMatrix, got {type(tm).__name__}")
    if tm.directions is None or not tm.directions.is_arc:
        raise ValueError(f"{name} must come from azimuth_transfer (receivers on an arc)")
    return tm.directions.azimuths_deg


def _index(az: NDArray, angle: float, name: str) -> int:
    wrapped = (az - angle + 180.0) % 360.0 - 180.0
    i = int(np.argmin(np.abs(wrapped)))
    if abs(wrapped[i]) > 1e-6:
        raise ValueError(f"{name}: the azimuth grid has no {angle:g} deg direction")
    return i


def _filters(tm: TransferMatrix, w: NDArray, fs: float, meta: dict) -> FilterSet:
    return FilterSet(w[:, None, :], tm.freqs, fs, CENTRE, tm.sources, meta)


def _weights(filters: FilterSet | npt.ArrayLike, n_sources: int, n_freqs: int) -> NDArray:
    if isinstance(filters, FilterSet):
        w = filters.W[:, 0, :]
    else:
        w = np.asarray(filters, dtype=complex)
        if w.ndim == 1:
            w = np.broadcast_to(w[:, None], (w.shape[0], n_freqs))
    if w.shape != (n_sources, n_freqs):
        raise ValueError(f"filters must have shape ({n_sources}, {n_freqs}), got {w.shape}")
    return w


def matrix_mixing(
    tm: TransferMatrix, gains: npt.ArrayLike | None = None, *, fs: float = DEFAULT_FS
) -> FilterSet:
    """Return the matrix-mixing baseline: fixed real gains, the same signal to every driver.

    Parameters
    ----------
    tm : TransferMatrix
        Any transfer matrix of the device (for the driver names and frequencies).
    gains : (n_drivers,) array_like, optional
        Real gains; equal gains summing to 1 by default.
    fs : float, optional
        Sampling rate in Hz of the filters.
    """
    n = len(tm.sources)
    g = np.full(n, 1.0 / n) if gains is None else as_float_array(gains, "gains")
    if g.shape != (n,):
        raise ValueError(f"gains must have shape ({n},), got {g.shape}")
    w = np.broadcast_to(g[:, None], (n, tm.freqs.size)).astype(complex)
    return _filters(tm, w, fs, {"design": "matrix_mixing", "gains": g})


def delay_and_sum(
    tm: TransferMatrix, *, steer_deg: float = 0.0, fs: float = DEFAULT_FS
) -> FilterSet:
    """Return matched-filter (delay-and-sum) weights with unit response at ``steer_deg``."""
    az = _azimuths(tm)
    d = tm.H[_index(az, as_real(steer_deg, "steer_deg"), "steer_deg")]  # (n_s, n_f)
    w = np.conj(d) / np.sum(np.abs(d) ** 2, axis=0)
    return _filters(tm, w, fs, {"design": "delay_and_sum", "steer_deg": steer_deg})


def white_noise_gain(tm: TransferMatrix, filters: FilterSet | npt.ArrayLike) -> NDArray:
    r"""White-noise gain :math:`|\mathbf w^T\mathbf d|^2/\|\mathbf w\|^2` on-axis, per bin."""
    az = _azimuths(tm)
    d = tm.H[_index(az, 0.0, "tm")]
    w = _weights(filters, d.shape[0], d.shape[1])
    return np.abs(np.sum(w * d, axis=0)) ** 2 / np.sum(np.abs(w) ** 2, axis=0)


def _diffuse_matrix(sphere: TransferMatrix) -> tuple[NDArray, NDArray]:
    """Diffuse-field matrix (n_f, n_s, n_s) and on-axis response (n_f, n_s) from a sphere TM."""
    if (
        sphere.directions is None
        or sphere.directions.weights is None
        or "axis" not in sphere.receivers
    ):
        raise ValueError("sphere must come from acoustics.freefield.sphere_transfer")
    q = sphere.directions.weights
    h = np.moveaxis(sphere.H, -1, 0)  # (n_f, n_dirs, n_s)
    # With p = w^T h the mean intensity is w^H Gamma w for Gamma = sum_q q |h_q><h_q| (conj).
    gamma = np.einsum("q,fqi,fqj->fij", q, np.conj(h), h)
    return gamma, h[:, sphere.receivers.index("axis"), :]


def superdirective(
    sphere: TransferMatrix, *, wng_floor_db: float = -10.0, fs: float = DEFAULT_FS
) -> FilterSet:
    """Return maximum-directivity weights with a white-noise-gain floor.

    Parameters
    ----------
    sphere : TransferMatrix
        From :func:`acoustics.freefield.sphere_transfer` (on-axis receiver ``"axis"``).
    wng_floor_db : float, optional
        Smallest white-noise gain in dB (re one driver); the diagonal loading is raised per bin
        until it holds.
    fs : float, optional
        Sampling rate in Hz of the filters.
    """
    floor = 10.0 ** (as_real(wng_floor_db, "wng_floor_db") / 10.0)
    gamma, d = _diffuse_matrix(sphere)
    n_f, n_s = d.shape
    scale = np.real(np.trace(gamma, axis1=1, axis2=2)) / n_s  # loading relative to Gamma's size

    def weights(eps):
        a = gamma + (eps * scale)[:, None, None] * np.eye(n_s)
        x = np.linalg.solve(a, np.conj(d)[..., None])[..., 0]  # (Gamma + eps I)^-1 d*
        return x / np.sum(d * x, axis=1, keepdims=True)  # unit response: w^T d = 1

    def wng(w):
        return 1.0 / np.sum(np.abs(w) ** 2, axis=1)  # |w^T d| = 1

    lo, hi = np.full(n_f, 1e-10), np.full(n_f, 1e6)
    ok_lo = wng(weights(lo)) >= floor
    for _ in range(60):  # bisection in log(eps), all bins at once
        mid = np.sqrt(lo * hi)
        ok = wng(weights(mid)) >= floor
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    eps = np.where(ok_lo, 1e-10, hi)
    w = weights(eps)
    achieved = wng(w)
    if np.any(achieved < floor * (1 - 1e-6)):
        bad = np.nonzero(achieved < floor * (1 - 1e-6))[0]
        raise ValueError(
            f"wng_floor_db {wng_floor_db:g} dB cannot be reached at {bad.size} bin(s) "
            f"(first: {bad[:5].tolist()}): delay-and-sum is the most robust beam"
        )
    meta = {"design": "superdirective", "wng_floor_db": wng_floor_db, "loading": eps * scale}
    return FilterSet(w.T[:, None, :], sphere.freqs, fs, CENTRE, sphere.sources, meta)


#: Penalty per unit of violation (re the unit on-axis response) of a softened beam constraint.
_BEAM_PENALTY = 1e3


def null_beam(
    tm: TransferMatrix,
    *,
    null_depth_db: float = 20.0,
    lobe_half_width_deg: float = 45.0,
    lobe_tolerance_db: float = 3.0,
    null_width_deg: float = 0.0,
    wng_floor_db: float | None = -10.0,
    sphere: TransferMatrix | None = None,
    phase_centre: npt.ArrayLike | None = None,
    constraints: Literal["auto", "hard", "soft"] = "auto",
    fs: float = DEFAULT_FS,
) -> FilterSet:
    r"""Return the centre beam: unit on-axis, nulls at +-90 deg, a wide lobe, little else.

    Parameters
    ----------
    tm : TransferMatrix
        Far-field azimuth transfer matrix of the device (:func:`acoustics.scene.azimuth_transfer`)
        on a grid that includes 0 and +-90 deg.
    null_depth_db : float, optional
        Level at the nulls, dB below on-axis.
    lobe_half_width_deg : float, optional
        The main lobe must stay within ``lobe_tolerance_db`` of on-axis out to this azimuth.
    lobe_tolerance_db : float, optional
        Allowed drop across the lobe, dB.
    null_width_deg : float, optional
        Hold the null depth over +-90 deg +- this width (the null shape over azimuth).
    wng_floor_db : float or None, optional
        White-noise-gain floor in dB (re one driver), the effort limit.
    sphere : TransferMatrix, optional
        :func:`acoustics.freefield.sphere_transfer` on the same frequencies: the objective is
        then the power radiated over the whole sphere, :math:`\mathbf w^H \Gamma \mathbf w`
        (maximising the directivity index under the constraints); without it, the energy on the
        azimuth grid beyond the lobe.
    phase_centre : (3,) array_like, optional
        Where the beam should seem to come from, in the device frame (metres): the target
        response is that of a point source there, :math:`e^{jk\mathbf p_c\cdot\hat{\mathbf u}}`
        relative to the device origin, so the lobe constraint asks for the in-phase part
        :math:`\mathrm{Re}(y\,e^{-jk\mathbf p_c\cdot\hat{\mathbf u}})` rather than forcing a
        zero-phase pattern about the origin (which costs effort at high frequencies). By default
        the front of the device on its axis, :math:`(\max_s x_s, 0, 0)`.
    constraints : {"auto", "hard", "soft"}, optional
        ``"hard"``: the lobe, the nulls and the white-noise-gain floor hold in every bin, or
        :class:`~design.filters.solvers.DesignError` names the constraint and bins. ``"soft"``: they
        are objectives (heavy L1 penalties on their violation, zero wherever they can be met); only
        the unit on-axis response, the normalisation, stays a constraint. ``"auto"`` (default):
        hard, and soft where the geometry cannot meet them (a soundbar's end-fire directions, a
        two-driver device). The result's ``softened`` names the groups that became objectives,
        each with its per-bin violation (see :func:`beam_metrics` for the achieved null depth,
        white-noise gain and lobe); it is empty for a hard design.
    fs : float, optional
        Sampling rate in Hz of the filters.

    Returns
    -------
    FilterSet
        One input, ``"centre"``. With ``constraints="hard"``, infeasible requests raise
        :class:`~design.filters.solvers.DesignError` naming the constraint and bins.
    """
    if constraints not in ("auto", "hard", "soft"):
        raise ValueError(f"constraints must be 'auto', 'hard' or 'soft', got {constraints!r}")
    if constraints == "auto":
        try:
            return null_beam(
                tm, null_depth_db=null_depth_db, lobe_half_width_deg=lobe_half_width_deg,
                lobe_tolerance_db=lobe_tolerance_db, null_width_deg=null_width_deg,
                wng_floor_db=wng_floor_db, sphere=sphere, phase_centre=phase_centre,
                constraints="hard", fs=fs,
            )  # fmt: skip
        except DesignError:
            constraints = "soft"
    az = _azimuths(tm)
    depth = 10.0 ** (-as_positive(null_depth_db, "null_depth_db") / 20.0)
    half = as_positive(lobe_half_width_deg, "lobe_half_width_deg")
    tol = 10.0 ** (-as_positive(lobe_tolerance_db, "lobe_tolerance_db") / 20.0)
    width = as_positive(null_width_deg, "null_width_deg", allow_zero=True)
    n_f, n_s = tm.freqs.size, len(tm.sources)
    on_axis = _index(az, 0.0, "tm")
    for side in (90.0, -90.0):
        _index(az, side, "tm")  # the grid must hold the null directions
    wrapped = (az + 180.0) % 360.0 - 180.0
    lobe = np.nonzero(np.abs(wrapped) <= half)[0]
    nulls = np.nonzero(np.abs(np.abs(wrapped) - 90.0) <= width + 1e-9)[0]
    beyond = np.nonzero(np.abs(wrapped) > half)[0]

    if phase_centre is None:
        drivers = np.zeros((1, 3)) if tm.source_positions is None else tm.source_positions
        front = max(0.0, float(np.max(drivers[:, 0])))
        centre = np.array([front, 0.0, 0.0])
    else:
        from acoustics.validation import as_point

        centre = as_point(phase_centre, "phase_centre")
    c = tm.c
    k = 2.0 * np.pi * tm.freqs / c
    u = tm.directions.vectors
    reference = np.exp(1j * np.outer(u @ centre, k))  # (n_az, n_f): a point source at the centre
    prob = StackedProblem(n_s, n_f)
    soft = _BEAM_PENALTY if constraints == "soft" else None
    prob.equal("unit on-axis response", tm.H[on_axis].T, reference[on_axis])
    for a in lobe:
        if a != on_axis:
            # Re(y conj(r)) >= tol: the response in phase with the reference, by at least tol.
            rotated = tm.H[a].T * np.conj(reference[a])[:, None]
            real, _ = prob.response(rotated)
            prob.at_least(f"main lobe at {wrapped[a]:g} deg", real, tol, soft=soft)
    for a in nulls:
        prob.bound(f"null at {wrapped[a]:g} deg", tm.H[a].T, np.full(n_f, depth), soft=soft)
    if wng_floor_db is not None:
        # With a unit on-axis response, WNG >= floor is ||w|| <= 1 / sqrt(floor).
        floor = 10.0 ** (as_real(wng_floor_db, "wng_floor_db") / 10.0)
        # The norm's slack is in units of weights: scale its penalty by the on-axis gain.
        scale = float(np.sqrt(np.mean(np.abs(tm.H[on_axis]) ** 2)))
        prob.limit_norm(
            np.full(n_f, 1.0 / np.sqrt(floor)),
            name="white-noise-gain floor",
            soft=None if soft is None else soft * scale,
        )
    energy = 0
    if sphere is not None:
        if not np.array_equal(sphere.freqs, tm.freqs) or sphere.sources != tm.sources:
            raise ValueError("sphere must have the frequencies and drivers of tm")
        gamma, _ = _diffuse_matrix(sphere)
        # w^H Gamma w = ||V^H w||^2 with Gamma = V V^H (eigendecomposition, all bins at once).
        vals, vecs = np.linalg.eigh(gamma)
        v = vecs * np.sqrt(np.clip(vals, 0.0, None))[:, None, :]  # (n_f, n_s, n_s)
        for j in range(n_s):
            real, imag = prob.response(np.conj(v[:, :, j]))
            energy = energy + cp.sum_squares(real) + cp.sum_squares(imag)
    else:
        for a in beyond:
            real, imag = prob.response(tm.H[a].T)
            energy = energy + cp.sum_squares(real) + cp.sum_squares(imag)
        energy = energy / max(len(beyond), 1)
    objective = energy + 1e-3 * prob.effort() * float(np.mean(np.abs(tm.H[on_axis]) ** 2))
    w = prob.solve(objective).T
    meta = {
        "design": "null_beam",
        "null_depth_db": null_depth_db,
        "lobe_half_width_deg": half,
        "lobe_tolerance_db": lobe_tolerance_db,
        "null_width_deg": width,
        "wng_floor_db": wng_floor_db,
        "objective": "sphere power" if sphere is not None else "energy beyond the lobe",
    }
    softened = (
        {}
        if constraints != "soft"
        else {c.name: prob.shortfall(c.name) for c in prob.groups if c.soft is not None}
    )
    return FilterSet(
        w[:, None, :],
        tm.freqs,
        fs,
        CENTRE,
        tm.sources,
        meta,
        phase_centre=centre,
        softened=softened,
    )


def beam_response(tm: TransferMatrix, filters: FilterSet | npt.ArrayLike) -> NDArray:
    """Response of weighted drivers at every receiver of ``tm``, ``(n_receivers, n_freqs)``."""
    w = _weights(filters, tm.H.shape[1], tm.H.shape[2])
    return np.einsum("rsf,sf->rf", tm.H, w)


@dataclass(frozen=True, eq=False)
class BeamMetrics:
    """Per-frequency metrics of a beam (arrays of shape ``(n_freqs,)``, levels in dB)."""

    directivity_index_db: NDArray[np.float64] | None
    white_noise_gain_db: NDArray[np.float64]
    front_to_side_db: NDArray[np.float64]
    beamwidth_deg: NDArray[np.float64]
    null_depth_db: NDArray[np.float64]


def beam_metrics(
    tm: TransferMatrix, filters: FilterSet | npt.ArrayLike, *, sphere: TransferMatrix | None = None
) -> BeamMetrics:
    """Directivity index, white-noise gain, front-to-side ratio, -6 dB beamwidth, null depth.

    Parameters
    ----------
    tm : TransferMatrix
        Far-field azimuth transfer matrix on a grid including 0 and +-90 deg.
    filters : FilterSet or (n_drivers,) / (n_drivers, n_freqs) array_like
        The weights.
    sphere : TransferMatrix, optional
        :func:`acoustics.freefield.sphere_transfer` on the same frequencies, for the directivity
        index (``None`` in the result without it).
    """
    az = _azimuths(tm)
    y = np.abs(beam_response(tm, filters))
    on = y[_index(az, 0.0, "tm")]
    left, right = y[_index(az, 90.0, "tm")], y[_index(az, -90.0, "tm")]
    with np.errstate(divide="ignore"):
        side = 20 * np.log10(np.sqrt((left**2 + right**2) / 2) / on)
        null = 20 * np.log10(np.maximum(left, right) / on)
        wng = 10 * np.log10(white_noise_gain(tm, filters))
    # -6 dB beamwidth: the contiguous span around 0 deg where the level stays within 6 dB,
    # found for all bins at once from the first grid point outside it on either side.
    wrapped = (az + 180.0) % 360.0 - 180.0
    order = np.argsort(wrapped)
    a_sorted = wrapped[order]
    inside = ((y / on)[order] >= 10 ** (-6 / 20)).T  # (n_f, n_az)
    centre = int(np.argmin(np.abs(a_sorted)))
    up, down = inside[:, centre:], inside[:, centre::-1]
    n_up = np.where(up.all(axis=1), up.shape[1], np.argmax(~up, axis=1))
    n_down = np.where(down.all(axis=1), down.shape[1], np.argmax(~down, axis=1))
    width = a_sorted[centre + n_up - 1] - a_sorted[centre - n_down + 1]
    di = None
    if sphere is not None:
        di = directivity_index(sphere, _weights(filters, *sphere.H.shape[1:]))
    return BeamMetrics(di, wng, -side, width, null)
