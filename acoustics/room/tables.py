r"""Tabulated per-path models behind the image sums of :mod:`acoustics.room.engines`.

Internal: :func:`acoustics.room.engines.ear_transfer_room` is the public entry point, and its
module docstring states the measured error and cost. Here live

- the driver's directivity tabulated over the off-axis angle (axisymmetric models), cached;
- the rigid-sphere head (Duda & Martens, JASA 104(5), 1998, Eq. (4)-(5), via
  :func:`acoustics.heads.rigid_sphere.rigid_sphere_transfer`) tabulated over the angle to the ear
  and over :math:`u = a/r`, cached;
- :func:`sphere_image_sum`, the sum over images for a rigid-sphere head: the direct sound and
  images very near a head exactly, every other path from the two tables, in float32 blocks.

Rigid-sphere table
    The ear pressure of a source at distance :math:`r = a/u` from the head centre and straight-line
    distance :math:`d` from the ear is :math:`H(\rho, \mu, \theta)\, e^{-jkr}/(4\pi r)` =
    :math:`T(u, \theta, \mu)\, e^{-jkd}/(4\pi r)` with

    .. math:: T = H\, e^{j\mu (d - r)/a}, \qquad
              \frac{d - r}{a} = \frac{u - 2\cos\theta}{1 + \sqrt{1 + u^2 - 2u\cos\theta}}.

    Removing the straight-line phase (rather than only the far-field :math:`-\cos\theta`) leaves
    :math:`T` smooth in :math:`u` up to the head, so one cubic-to-septic in :math:`u` through
    Chebyshev-Lobatto nodes on :math:`[0, U]` covers every reflection of a call: ``U`` is the
    smallest rung of :data:`_SPHERE_RUNGS` above the nearest table path's :math:`u` (nearer
    images are evaluated exactly), and :math:`T` is linear over :math:`\theta` on a 0.25 deg
    grid. The phase :math:`e^{-jkd}` is restored per path from the exact ear distance.
    Measured against the exact series (400 random paths per rung, uniform in :math:`u` and
    :math:`\theta`, 0-24 kHz, head radius 8.75 cm), normalised mean-square error per rung:
    :math:`U = 1/16`, 4 nodes: -84.6 dB; :math:`1/8`, 5 nodes: -84.8 dB; :math:`1/4`, 8 nodes:
    -86.9 dB; largest relative error of one path about 1e-3 (deep shadow at 24 kHz, where the
    two creeping waves interfere). The angular grid sets that floor: 0.5 deg would give -72 dB.
Directivity table
    Axisymmetric models depend only on the off-axis angle: tabulated every 0.5 deg (one row
    beyond each end) and interpolated by the Lagrange cubic through the four nearest angles.
    Measured on the smart speaker's caps (kR up to 38 at 24 kHz), 400 random angles, 0-24 kHz:
    NMSE -112.5 dB for the woofer (the widest cap), -123 to -129 dB for the others, largest
    relative error 4e-5; the former linear interpolation on a 0.1 deg grid gave -98 dB and
    2e-4, from a table five times as large (68 MB at 4 688 bins, now 14 MB).
Sum
    Each (listener, ear, image) path of the table is a row of two sparse interpolation matrices
    (``2 N`` rows of the sphere table with Lagrange-times-linear weights and the spreading
    :math:`1/(4\pi r)`; 4 rows of the directivity table), applied to the tables stored as
    complex64 by :mod:`scipy.sparse` (one pass, no gathered copies). Listeners go in chunks of
    16; within a chunk the paths are sorted by their angle to the ear, so that consecutive
    paths share sphere-table rows in cache (three times faster than in image order), and taken
    in blocks of 256. The phase :math:`e^{-j2\pi f d/c}` on a uniform grid is the product of a
    coarse and a fine table of about :math:`\sqrt{n_f}` exponentials each (computed in float64),
    applied in place; then the image's reflection spectrum (folded into the weights when the
    absorption does not depend on frequency), and a sparse sum into each (listener, ear). All in
    float32 (rounding about 1e-7 per path, 1e-6 after summing hundreds of images); the direct
    sound and the images nearer than ``near_rho`` radii are added exactly in complex128.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp_sparse
from numpy.typing import NDArray

from acoustics.caching import Keyed, memoize
from acoustics.heads import RigidSphere
from acoustics.heads.rigid_sphere import rigid_sphere_transfer
from acoustics.room.shoebox import ImageSources
from acoustics.sources import Directivity, Omni

__all__: list[str] = []

#: Angular step of the directivity table of axisymmetric drivers, degrees (cubic interpolation).
_DIRECTIVITY_STEP_DEG = 0.5
#: Angular step of the rigid-sphere table, degrees (interpolated with the path phase removed).
_SPHERE_STEP_DEG = 0.25
#: Ranges ``[0, U]`` of ``u = a / r`` of the rigid-sphere table and the Chebyshev-Lobatto nodes
#: each needs (measured, module notes); a call uses the first that covers its table paths.
_SPHERE_RUNGS = ((1.0 / 16.0, 4), (1.0 / 8.0, 5), (1.0 / 4.0, 8))
#: Paths (listener, ear, image) per block of the tabulated sum: the float32 work arrays of a
#: block stay within a few MB for 5 000 bins.
_BLOCK_PATHS = 256
#: Listeners per chunk of the tabulated sum (the float32 accumulator of a chunk stays small).
_CHUNK_LISTENERS = 16
#: Complex elements of the work arrays of one chunk of exactly evaluated paths.
_EXACT_ELEMENTS = 2_000_000
#: Tables kept per process (each up to ``n_rows x n_freqs`` complex64: 68 MB for a directivity
#: and 108-216 MB for a sphere at 4 688 bins).
_DIRECTIVITY_CACHE = 4
_SPHERE_CACHE = 2


def outside_head(positions: NDArray, radius: float) -> NDArray[np.float64]:
    """Distances of listener-frame positions from the head centre; refuse any inside the head."""
    distance = np.linalg.norm(positions, axis=-1)
    inside = distance <= radius
    if np.any(inside):
        i = int(np.argmax(inside.ravel()))
        raise ValueError(
            f"positions must lie outside the head sphere of radius {radius:g} m; "
            f"position {i} is {distance.ravel()[i]:.4g} m from the head centre"
        )
    return distance


def within_reach(dist: NDArray[np.float64], reach: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which images ``(n_l, n_img)`` lie within each listener's ``reach``; the source always."""
    keep = dist <= reach[:, None]
    keep[:, 0] = True
    return keep


def _phase_grid(freqs: NDArray[np.float64]) -> tuple[int, int, bool]:
    """Return ``(n_coarse, width, uniform)``: the padded grid ``n_coarse * width >= n_freqs``.

    On a uniform grid (``f_k = f_0 + k df``) a path's phase is the product of a coarse and a
    fine table (:func:`_phasors`); otherwise it is one exponential per bin (``width`` 1).
    """
    n_f = freqs.shape[0]
    if n_f >= 4:
        step = freqs[1] - freqs[0]
        grid = freqs[0] + step * np.arange(n_f)
        if step > 0 and np.allclose(freqs, grid, rtol=0.0, atol=1e-9 * abs(freqs[-1])):
            width = int(np.ceil(np.sqrt(n_f)))
            return -(-n_f // width), width, True
    return n_f, 1, False


def _phasors(
    delays: NDArray[np.float64], freqs: NDArray[np.float64], grid: tuple[int, int, bool]
) -> tuple[NDArray[np.complex64], NDArray[np.complex64] | None]:
    r"""Coarse ``(n, n_coarse)`` and fine ``(n, width)`` tables of :math:`e^{-j2\pi f\tau}`.

    Their outer product per path is the phase on the padded grid (exact to float64 rounding,
    then stored as complex64). ``fine`` is None off a uniform grid (``coarse`` is then the phase
    at every bin).
    """
    n_coarse, width, uniform = grid
    w = -2j * np.pi * delays[:, None]
    if not uniform:
        return np.exp(w * freqs[None, :]).astype(np.complex64), None
    step = freqs[1] - freqs[0]
    coarse = np.exp(w * (freqs[0] + step * width * np.arange(n_coarse))[None, :])
    fine = np.exp(w * (step * np.arange(width))[None, :])
    return coarse.astype(np.complex64), fine.astype(np.complex64)


def _padded(values: NDArray, n_cols: int) -> NDArray[np.complex64]:
    """Complex64 copy of ``values (n, n_freqs)`` with zero columns up to ``n_cols``."""
    out = np.zeros((values.shape[0], n_cols), dtype=np.complex64)
    out[:, : values.shape[1]] = values
    return out


def directivity_table(
    directivity: Directivity, freqs: NDArray[np.float64], c: float, n_cols: int
) -> NDArray[np.complex64]:
    """Axisymmetric directivity every 0.5 deg off axis, ``(364, n_cols)`` complex64, read-only.

    Row ``i`` is the angle ``(i - 1) * 0.5`` deg, from -0.5 to 180.5 deg (one row beyond each
    end for the cubic, :func:`directivity_weights`). Cached on the directivity's value, the
    frequencies and ``c`` (the evaluation of a design calls the room model for several scenes
    with one device and one frequency grid); a measured table by a digest of its data.
    """
    key = (freqs.tobytes(), float(c), int(n_cols))
    keyed = Keyed(directivity)
    try:
        hash(keyed)
    except TypeError:  # a parametric model holding arrays: not cacheable by value
        return _directivity_table(directivity, *key)
    return _directivity_table_cached(keyed, *key)


def _directivity_table(
    directivity: Directivity, freqs: bytes, c: float, n_cols: int
) -> NDArray[np.complex64]:
    n = int(round(180.0 / _DIRECTIVITY_STEP_DEG))
    theta = np.deg2rad(np.arange(-1, n + 2) * _DIRECTIVITY_STEP_DEG)
    dirs = np.stack([np.cos(theta), np.sin(theta), np.zeros_like(theta)], axis=1)
    out = _padded(directivity.response(dirs, np.frombuffer(freqs), c=c), n_cols)
    out.flags.writeable = False
    return out


@memoize(_DIRECTIVITY_CACHE)
def _directivity_table_cached(
    keyed: Keyed, freqs: bytes, c: float, n_cols: int
) -> NDArray[np.complex64]:
    return _directivity_table(keyed.model, freqs, c, n_cols)


def directivity_weights(
    cos_alpha: NDArray[np.float64],
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """First row of :func:`directivity_table` and the 4 cubic weights of each off-axis cosine.

    Lagrange cubic through the two table angles either side of the path's angle.
    """
    n = int(round(180.0 / _DIRECTIVITY_STEP_DEG))
    pos = np.rad2deg(np.arccos(np.clip(cos_alpha, -1.0, 1.0))) / _DIRECTIVITY_STEP_DEG
    i = np.minimum(pos.astype(np.intp), n - 1)
    t = pos - i
    weights = np.stack(
        [
            -t * (t - 1.0) * (t - 2.0) / 6.0,
            (t + 1.0) * (t - 1.0) * (t - 2.0) / 2.0,
            -(t + 1.0) * t * (t - 2.0) / 2.0,
            (t + 1.0) * t * (t - 1.0) / 6.0,
        ],
        axis=1,
    )
    return i, weights


def sphere_nodes(upper: float, n_nodes: int) -> NDArray[np.float64]:
    """Chebyshev-Lobatto nodes in ``u`` on ``[0, upper]`` (the first at 0: a source at infinity)."""
    return upper * (1.0 - np.cos(np.pi * np.arange(n_nodes) / (n_nodes - 1))) / 2.0


@memoize(_SPHERE_CACHE)
def sphere_table(
    radius: float, freqs: bytes, c: float, rung: int, n_cols: int
) -> NDArray[np.complex64]:
    r"""Rigid-sphere table :math:`T(\theta_i, u_j)` ``(n_theta * n_nodes, n_cols)``, read-only.

    Rows are angle-major (``i * n_nodes + j``), every 0.25 deg from 0 to 180 deg, nodes
    :func:`sphere_nodes` of rung ``rung`` of :data:`_SPHERE_RUNGS`; cached.
    """
    f = np.frombuffer(freqs)
    upper, n_nodes = _SPHERE_RUNGS[rung]
    nodes = sphere_nodes(upper, n_nodes)
    theta = np.deg2rad(np.arange(0.0, 180.0 + _SPHERE_STEP_DEG / 2, _SPHERE_STEP_DEG))
    cos = np.cos(theta)
    mu = 2.0 * np.pi * f * radius / c
    out = np.zeros((theta.size, n_nodes, n_cols), dtype=np.complex64)
    for j, u in enumerate(nodes):  # one distance at a time: a (n_theta, n_freqs) work array
        rho = 1.0 / max(u, 1e-12)
        h = rigid_sphere_transfer([rho], cos[:, None], mu)[:, 0]  # (n_theta, n_f)
        excess = (u - 2.0 * cos) / (1.0 + np.sqrt(1.0 + u * u - 2.0 * u * cos))  # (d - r) / a
        out[:, j, : f.shape[0]] = h * np.exp(1j * np.outer(excess, mu))
    out = out.reshape(-1, n_cols)
    out.flags.writeable = False
    return out


def sphere_weights(
    u: NDArray[np.float64], cos_theta: NDArray[np.float64], upper: float, n_nodes: int
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """First row and the ``2 n_nodes`` weights of each path in :func:`sphere_table`.

    The path's rows are ``first + arange(2 n_nodes)``: the nodes at the angle below it, then
    at the angle above; weights Lagrange (in ``u``) times linear (in angle).
    """
    nodes = sphere_nodes(upper, n_nodes)
    diff = u[:, None] - nodes[None, :]  # (n, N)
    eye = np.eye(n_nodes, dtype=bool)
    numerator = np.where(eye[None], 1.0, diff[:, None, :]).prod(axis=2)  # (n, N)
    denominator = np.where(eye, 1.0, nodes[:, None] - nodes[None, :]).prod(axis=1)
    lagrange = numerator / denominator
    n_theta = int(round(180.0 / _SPHERE_STEP_DEG)) + 1
    pos = np.rad2deg(np.arccos(np.clip(cos_theta, -1.0, 1.0))) / _SPHERE_STEP_DEG
    i0 = np.minimum(pos.astype(np.intp), n_theta - 2)
    w = (pos - i0)[:, None]
    return i0 * n_nodes, np.concatenate([lagrange * (1.0 - w), lagrange * w], axis=1)


def table_rows(
    first: NDArray[np.intp], weights: NDArray[np.float64], n_table_rows: int
) -> sp_sparse.csr_array:
    """Sparse ``(n, n_table_rows)`` float32 matrix: row p holds ``weights[p]`` from ``first[p]``."""
    n, width = weights.shape
    cols = (first[:, None] + np.arange(width)[None, :]).ravel()
    return sp_sparse.csr_array(
        (weights.astype(np.float32).ravel(), cols, np.arange(0, n * width + 1, width)),
        shape=(n, n_table_rows),
    )


def apply_rows(matrix: sp_sparse.csr_array, table: NDArray[np.complex64]) -> NDArray[np.complex64]:
    """``matrix @ table`` for a real sparse matrix and a complex64 table, without upcasting."""
    real = table.view(np.float32)
    return np.asarray(matrix @ real).view(np.complex64)


def sphere_image_sum(
    head: RigidSphere,
    directivity: Directivity,
    images: ImageSources,
    spectra: NDArray[np.float64],
    x_l: NDArray[np.float64],
    r_l: NDArray[np.float64],
    r_d: NDArray[np.float64],
    freqs: NDArray[np.float64],
    c: float,
    *,
    air: NDArray[np.float64] | None,
    near_rho: float,
    reach: NDArray[np.float64] | None = None,
) -> NDArray[np.complex128]:
    r"""Ear pressures ``(n_listeners, 2, n_freqs)`` of one driver's images at rigid-sphere heads.

    Parameters
    ----------
    head, directivity : RigidSphere, Directivity
        The listeners' head and the driver's directivity.
    images : ImageSources
        The driver's images, in the room frame.
    spectra : (n_img, n_freqs) ndarray
        Reflection spectrum of each image (1 for the driver itself).
    x_l, r_l : (n_l, 3), (n_l, 3, 3) ndarray
        Head centres and listener-to-room rotations.
    r_d : (3, 3) ndarray
        Driver-to-room rotation.
    freqs : (n_freqs,) ndarray
        Frequencies in Hz.
    c : float
        Speed of sound in m/s.
    air : (n_freqs,) ndarray or None
        Pressure factor per metre of air, if the room absorbs in the air.
    near_rho : float
        Images nearer than this many head radii, and the driver itself, are evaluated exactly
        (the series and the directivity model); the rest from the tables.
    reach : (n_listeners,) ndarray or None
        Keep only the images within this distance of each head centre (the hybrid model's
        transition); None keeps every image.
    """
    a = head.radius
    n_l, n_f = x_l.shape[0], freqs.shape[0]
    ear_dirs = head.ear_positions / a  # (2, 3)
    rel = images.positions[None, :, :] - x_l[:, None, :]  # (n_l, n_img, 3)
    local = np.einsum("lji,lnj->lni", r_l, rel)  # listener frame
    dist = outside_head(local, a)  # (n_l, n_img)
    ear_world = x_l[:, None, :] + np.einsum("lij,ej->lei", r_l, head.ear_positions)
    to_ear = ear_world[:, :, None, :] - images.positions[None, None, :, :]  # (n_l, 2, n_img, 3)
    emitted = (to_ear * images.parity[None, None, :, :]) @ r_d  # driver frame
    keep = np.ones(dist.shape, dtype=bool) if reach is None else within_reach(dist, reach)
    exact = ((images.order[None, :] == 0) | (dist < near_rho * a)) & keep  # (n_l, n_img)
    out = np.zeros((n_l, 2, n_f), dtype=np.complex128)
    if np.any(exact):
        _exact_paths(out, exact, head, directivity, local, emitted, dist, spectra, freqs, c, air)
    if not np.any(keep & ~exact):
        return out

    # Table paths, one per (listener, ear, image), ordered by their angle to the ear.
    ll, nn = np.nonzero(keep & ~exact)
    lle = np.repeat(ll, 2)
    ee = np.tile([0, 1], ll.size)
    nne = np.repeat(nn, 2)
    r = dist[lle, nne]
    cos_ear = np.einsum("pi,pi->p", local[lle, nne], ear_dirs[ee]) / r
    u = a / r
    rung = next((i for i, (upper, _) in enumerate(_SPHERE_RUNGS) if u.max() <= upper), None)
    if rung is None:  # near_rho below the table's reach: refuse rather than extrapolate
        raise ValueError(f"near_rho must be at least {1 / _SPHERE_RUNGS[-1][0]:g}")
    upper, n_nodes = _SPHERE_RUNGS[rung]
    grid = _phase_grid(freqs)
    n_cols = grid[0] * grid[1]
    key = freqs.tobytes()
    sphere = sphere_table(float(a), key, float(c), rung, n_cols)
    first, weights = sphere_weights(u, cos_ear, upper, n_nodes)
    weights /= 4.0 * np.pi * r[:, None]
    vec = to_ear[lle, ee, nne]
    ear_dist = np.linalg.norm(vec, axis=1)
    table = None
    if directivity.axisymmetric and not isinstance(directivity, Omni):
        table = directivity_table(directivity, freqs, c, n_cols)
        d_first, d_weight = directivity_weights(emitted[lle, ee, nne, 0] / ear_dist)
    # Reflection spectra as interleaved float32, to scale the complex64 rows; one factor per
    # image (absorption independent of frequency) goes into the weights instead.
    scale = None
    if np.all(spectra == spectra[:, :1]):
        weights *= spectra[nne, :1]
    else:
        scale = np.repeat(_padded(spectra, n_cols).real, 2, axis=1)
    log_air = None if air is None else np.log(air)

    # Listeners in chunks (a small accumulator); within a chunk, the paths sorted by table row.
    n_chunks = -(-n_l // _CHUNK_LISTENERS)
    chunk = -(-n_l // n_chunks)
    ones = np.ones(_BLOCK_PATHS, dtype=np.float32)
    for l0 in range(0, n_l, chunk):
        n_c = min(chunk, n_l - l0)
        lo, hi = np.searchsorted(lle, [l0, l0 + n_c])
        order = lo + np.argsort(first[lo:hi], kind="stable")
        acc = np.zeros((2 * n_c, 2 * n_cols), dtype=np.float32)
        for start in range(0, order.size, _BLOCK_PATHS):
            p = order[start : start + _BLOCK_PATHS]
            rows = apply_rows(table_rows(first[p], weights[p], sphere.shape[0]), sphere)
            if table is not None:
                rows *= apply_rows(table_rows(d_first[p], d_weight[p], table.shape[0]), table)
            elif not isinstance(directivity, Omni):
                dirs = emitted[lle[p], ee[p], nne[p]]
                rows[:, :n_f] *= directivity.response(dirs, freqs, c=c).astype(np.complex64)
            coarse, fine = _phasors(ear_dist[p] / c, freqs, grid)
            shaped = rows.reshape(p.size, grid[0], grid[1])
            shaped *= coarse[:, :, None]
            if fine is not None:
                shaped *= fine[:, None, :]
            real = rows.view(np.float32)
            if scale is not None:
                real *= scale[nne[p]]
            if log_air is not None:
                loss = np.exp(r[p, None] * log_air[None, :]).astype(np.float32)
                real[:, : 2 * n_f] *= np.repeat(loss, 2, axis=1)
            total = sp_sparse.csc_array(
                (ones[: p.size], 2 * (lle[p] - l0) + ee[p], np.arange(p.size + 1)),
                shape=(2 * n_c, p.size),
            )
            acc += total @ real
        out[l0 : l0 + n_c] += acc.view(np.complex64)[:, :n_f].reshape(n_c, 2, n_f)
    return out


def _exact_paths(
    out: NDArray[np.complex128],
    exact: NDArray[np.bool_],
    head: RigidSphere,
    directivity: Directivity,
    local: NDArray[np.float64],
    emitted: NDArray[np.float64],
    dist: NDArray[np.float64],
    spectra: NDArray[np.float64],
    freqs: NDArray[np.float64],
    c: float,
    air: NDArray[np.float64] | None,
) -> None:
    """Add the paths flagged ``exact (n_l, n_img)`` to ``out`` by the head and driver models."""
    ll, nn = np.nonzero(exact)
    step = max(1, _EXACT_ELEMENTS // (2 * freqs.shape[0]))
    for start in range(0, ll.size, step):
        l_c, n_c = ll[start : start + step], nn[start : start + step]
        ears = head.ear_responses(local[l_c, n_c], freqs, c=c)  # (2, m, n_f)
        factor = spectra[n_c]
        if air is not None:
            factor = factor * air[None, :] ** dist[l_c, n_c, None]
        for e in range(2):
            d = directivity.response(emitted[l_c, e, n_c], freqs, c=c)
            np.add.at(out[:, e], l_c, ears[e] * d * factor)
