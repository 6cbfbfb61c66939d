"""Rounding-error bounds of the dense linear-algebra primitives.

Each rule takes the primitive's operands ``xs`` (in the case's dtype), their
error bounds ``es`` (float64, or None for an exact operand) and its outputs
``outs``, and returns a float64 bound for each output: the output's own
rounding (a backward-error result: the computed factorization is the exact one
of a nearby matrix ``A + ΔA``), carried to the output by a first-order
perturbation bound evaluated at the sampled point, plus the operands' errors
carried the same way (they are a perturbation of ``A`` too).

Componentwise rules (LU, Cholesky, triangular solves) are upper bounds to first
order. Normwise rules (QR, eigh, SVD) take the backward error as ``c·n·u·‖A‖_F``
with a modest constant, as LAPACK's documentation does; they are marked
estimated in the README's error-model table.

References:
  N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM
  2002: Thm 8.5 (triangular systems, ``(T + ΔT)x̂ = b``, ``|ΔT| ≤ γ_n|T|``);
  Thm 9.3 (LU, ``L̂Û = A + ΔA``, ``|ΔA| ≤ γ_n|L̂||Û|``); Thm 10.3 (Cholesky,
  ``|ΔA| ≤ γ_{n+1}|R̂ᵀ||R̂|``); Thm 19.4 (Householder QR, columnwise
  ``‖Δa_j‖ ≤ γ̃_{mn}‖a_j‖``); §9.13 and §10.1.1 for the first-order perturbation
  of the LU and Cholesky factors (``ΔL = L·tril(L⁻¹ΔA U⁻¹)``).
  G. W. Stewart and J. Sun, *Matrix Perturbation Theory*, 1990: Weyl's
  inequality for eigenvalues and singular values, Davis–Kahan and Wedin for
  eigen- and singular vectors (error ≤ ‖ΔA‖₂ / gap).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
from jax import lax

__all__ = ["ESTIMATED", "LINALG_RULES"]

# Rules whose backward error is taken from LAPACK-style normwise constants.
ESTIMATED = frozenset({"qr", "eigh", "svd"})


def _f64(x: Any) -> Any:
    return jnp.asarray(x).astype(jnp.float64)


def _u(x: Any) -> float:
    return float(jnp.finfo(jnp.result_type(x)).eps) / 2.0


def _tiny(x: Any) -> float:
    return float(jnp.finfo(jnp.result_type(x)).tiny)


def _mT(x: Any) -> Any:
    return jnp.swapaxes(x, -1, -2)


def _eye(n: int) -> Any:
    return jnp.eye(n, dtype=jnp.float64)


def _frobenius(x: Any) -> Any:
    return jnp.sqrt(jnp.sum(x * x, axis=(-2, -1)))


def _triangular(a: Any, lower: bool, unit: bool) -> Any:
    t = jnp.tril(a) if lower else jnp.triu(a)
    if unit:
        n = a.shape[-1]
        t = t * (1.0 - _eye(n)) + _eye(n)
    return t


def _inverse_of_triangle(t: Any, lower: bool) -> Any:
    n = t.shape[-1]
    eye = jnp.broadcast_to(_eye(n), t.shape)
    return lax.linalg.triangular_solve(t, eye, left_side=True, lower=lower)


def triangular_solve_rule(params, xs, es, outs):
    """``op(T)·x = b`` (or ``x·op(T) = b``): ``|x̂ − x| ≤ |T⁻¹|·(e_b + (e_T +
    γ_n|T|)·|x̂|)`` (Higham Thm 8.5 and its first-order forward error)."""
    (a, _b), (ea, eb), (x,) = xs, es, outs
    lower, unit = bool(params["lower"]), bool(params["unit_diagonal"])
    n = a.shape[-1]
    t = _triangular(_f64(a), lower, unit)
    et = None if ea is None else _triangular(ea, lower, False)
    if et is not None and unit:
        et = et * (1.0 - _eye(n))
    if params["transpose_a"]:
        t, lower = _mT(t), not lower
        et = None if et is None else _mT(et)
    t_inv = jnp.abs(_inverse_of_triangle(t, lower))
    perturb = n * _u(x) * jnp.abs(t) + (0.0 if et is None else et)
    ax = jnp.abs(_f64(x))
    eb = 0.0 if eb is None else eb
    if params["left_side"]:
        bound = t_inv @ (eb + perturb @ ax)
    else:
        bound = (eb + ax @ perturb) @ t_inv
    return [bound + n * _tiny(x)]


def _split_lu(packed: Any) -> tuple[Any, Any]:
    n = packed.shape[-1]
    lo = jnp.tril(packed, -1) + _eye(n)
    return lo, jnp.triu(packed)


def lu_rule(params, xs, es, outs):
    """``P·A = L·U``: ``|ΔL| ≤ |L|·stril(F)``, ``|ΔU| ≤ triu(F)·|U|`` with
    ``F = |L⁻¹|·|ΔA|·|U⁻¹|`` and ``|ΔA| ≤ γ_n|L||U| + P·e_A`` (Higham Thm 9.3,
    first-order perturbation of the factors, §9.13). The pivots are exact."""
    (a,), (ea,) = xs, es
    packed, _pivots, perm = outs
    if a.shape[-1] != a.shape[-2]:
        raise NotImplementedError("rounding-error bound of lu of a non-square matrix")
    n = a.shape[-1]
    lo, up = _split_lu(_f64(packed))
    delta = n * _u(packed) * (jnp.abs(lo) @ jnp.abs(up))
    if ea is not None:
        delta = delta + jnp.take_along_axis(ea, perm[..., :, None], axis=-2)
    f = (
        jnp.abs(_inverse_of_triangle(lo, True))
        @ delta
        @ jnp.abs(_inverse_of_triangle(up, False))
    )
    d_lo = jnp.abs(lo) @ jnp.tril(f, -1)
    d_up = jnp.triu(f) @ jnp.abs(up)
    bound = jnp.tril(d_lo, -1) + jnp.triu(d_up) + n * _tiny(packed)
    return [bound, None, None]


def cholesky_rule(params, xs, es, outs):
    """``A = L·Lᵀ``: ``|ΔL| ≤ |L|·Φ(|L⁻¹|·|ΔA|·|L⁻ᵀ|)``, Φ the lower triangle
    with half its diagonal, and ``|ΔA| ≤ γ_{n+1}|L||Lᵀ| + e_A`` (Higham Thm 10.3
    and §10.1.1)."""
    (a,), (ea,), (chol,) = xs, es, outs
    n = a.shape[-1]
    lo = jnp.tril(_f64(chol))
    delta = (n + 1) * _u(chol) * (jnp.abs(lo) @ jnp.abs(_mT(lo)))
    if ea is not None:
        delta = delta + ea
    inv = jnp.abs(_inverse_of_triangle(lo, True))
    f = inv @ delta @ _mT(inv)
    phi = jnp.tril(f, -1) + 0.5 * f * _eye(n)
    return [jnp.tril(jnp.abs(lo) @ phi) + n * _tiny(chol)]


def _backward_error(a: Any, ea: Any, out: Any, c: float) -> Any:
    """‖ΔA‖_F: ``c·n·u·‖A‖_F`` of the algorithm plus the operand's error."""
    n = max(a.shape[-1], a.shape[-2])
    norm = c * n * _u(out) * _frobenius(jnp.abs(_f64(a)))
    if ea is not None:
        norm = norm + _frobenius(ea)
    return norm[..., None]


def _gaps(values: Any) -> Any:
    """For each value, the distance to the nearest other one."""
    d = jnp.abs(values[..., :, None] - values[..., None, :])
    k = values.shape[-1]
    return jnp.min(jnp.where(_eye(k) > 0, jnp.inf, d), axis=-1)


def eigh_rule(params, xs, es, outs):
    """Eigenvalues move by at most ‖ΔA‖₂ (Weyl); an eigenvector by at most
    ‖ΔA‖₂/gap (Davis–Kahan), with ‖ΔA‖ ≤ 4n·u·‖A‖_F + ‖e_A‖_F. Estimated."""
    (a,), (ea,) = xs, es
    v, w = outs
    norm = _backward_error(a, ea, w, 4.0)
    bound_w = norm + _u(w) * jnp.abs(_f64(w))
    gap = _gaps(_f64(w))
    bound_v = jnp.broadcast_to((norm / gap)[..., None, :], v.shape)
    return [bound_v + _u(v), bound_w]


def svd_rule(params, xs, es, outs):
    """Singular values move by at most ‖ΔA‖₂ (Weyl); singular vectors by at
    most ‖ΔA‖₂/gap (Wedin), with ‖ΔA‖ ≤ 4·max(m, n)·u·‖A‖_F + ‖e_A‖_F.
    Estimated."""
    (a,), (ea,) = xs, es
    s = outs[0]
    norm = _backward_error(a, ea, s, 4.0)
    bounds = [norm + _u(s) * jnp.abs(_f64(s))]
    if len(outs) == 3:
        _, uu, vt = outs
        s64 = _f64(s)
        gap = _gaps(s64)
        if a.shape[-1] != a.shape[-2]:
            gap = jnp.minimum(gap, s64)
        k = s.shape[-1]
        rel = norm / gap
        ru = jnp.full((*uu.shape[:-1], uu.shape[-1]), jnp.inf)
        ru = ru.at[..., :k].set(
            jnp.broadcast_to(rel[..., None, :], (*uu.shape[:-1], k))
        )
        rv = jnp.full(vt.shape, jnp.inf)
        rv = rv.at[..., :k, :].set(
            jnp.broadcast_to(rel[..., :, None], (*vt.shape[:-2], k, vt.shape[-1]))
        )
        bounds += [ru + _u(uu), rv + _u(vt)]
    return bounds


def qr_rule(params, xs, es, outs):
    """Householder QR is backward stable, ``‖ΔA‖_F ≤ γ̃_{mn}‖A‖_F`` (Higham Thm
    19.4); to first order ``‖ΔR‖_F ≤ √2·κ₂(A)·‖ΔA‖_F`` and ``‖ΔQ‖_F ≤
    √2·κ₂(A)·‖ΔA‖_F/‖A‖_F`` (Sun 1991), κ₂ from the computed R. Estimated."""
    (a,), (ea,) = xs, es
    q, r = outs
    norm = _backward_error(a, ea, r, 4.0)[..., None]
    k = min(r.shape[-1], r.shape[-2])
    r64 = _f64(r)[..., :k, :k]
    s = jnp.linalg.svd(r64, compute_uv=False)
    kappa = (s[..., :1] / s[..., -1:])[..., None]
    a_norm = _frobenius(jnp.abs(_f64(a)))[..., None, None]
    d_r = jnp.sqrt(2.0) * kappa * norm
    d_q = d_r / a_norm
    return [
        jnp.broadcast_to(d_q, q.shape) + _u(q),
        jnp.broadcast_to(d_r, r.shape) + _u(r) * jnp.abs(_f64(r)),
    ]


LINALG_RULES: dict[str, Callable[..., list[Any]]] = {
    "triangular_solve": triangular_solve_rule,
    "lu": lu_rule,
    "cholesky": cholesky_rule,
    "eigh": eigh_rule,
    "svd": svd_rule,
    "qr": qr_rule,
}
