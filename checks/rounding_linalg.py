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

The rules are written once over an array namespace ``xp`` (``jax.numpy`` for
the XLA engine, NumPy for the NumPy engine), as ``checks.error_rules`` writes
the others: ``rule_table(xp, apply)`` is their dict, and ``apply(name, params,
*operands)`` evaluates a primitive in that engine (a triangular inverse, the
singular values of R). Every operation acts on the trailing matrix axes, so the
NumPy engine's leading points axis is one more batch axis.

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

import ml_dtypes
import numpy as np

__all__ = ["ESTIMATED", "NAMES", "rule_table"]

# The primitives with a rule here.
NAMES = frozenset({"triangular_solve", "lu", "cholesky", "eigh", "svd", "qr"})
# Rules whose backward error is taken from LAPACK-style normwise constants.
ESTIMATED = frozenset({"qr", "eigh", "svd"})

Rule = Callable[..., list[Any]]
Apply = Callable[..., list[Any]]

# Parameters of the primitives the rules apply to bounds (float64 operands).
_SOLVE = {
    "left_side": True,
    "transpose_a": False,
    "conjugate_a": False,
    "unit_diagonal": False,
}
_SINGULAR_VALUES = {
    "full_matrices": False,
    "compute_uv": False,
    "subset_by_index": None,
    "algorithm": None,
}


def _u(x: Any) -> float:
    return float(ml_dtypes.finfo(x.dtype).eps) / 2.0


def _tiny(x: Any) -> float:
    return float(ml_dtypes.finfo(x.dtype).tiny)


def rule_table(xp: Any, apply: Apply) -> dict[str, Rule]:
    """The linear-algebra rules in the array namespace ``xp``; ``apply(name,
    params, *operands)`` evaluates a primitive in the same engine."""

    def f64(x: Any) -> Any:
        return xp.asarray(x).astype(xp.float64)

    def mT(x: Any) -> Any:
        return xp.swapaxes(x, -1, -2)

    def eye(n: int) -> Any:
        return xp.eye(n, dtype=xp.float64)

    def frobenius(x: Any) -> Any:
        return xp.sqrt(xp.sum(x * x, axis=(-2, -1)))

    def triangular(a: Any, lower: bool, unit: bool) -> Any:
        t = xp.tril(a) if lower else xp.triu(a)
        if unit:
            n = a.shape[-1]
            t = t * (1.0 - eye(n)) + eye(n)
        return t

    def inverse_of_triangle(t: Any, lower: bool) -> Any:
        ident = xp.broadcast_to(eye(t.shape[-1]), t.shape)
        return apply("triangular_solve", dict(_SOLVE, lower=lower), t, ident)[0]

    def triangular_solve_rule(params, xs, es, outs):
        """``op(T)·x = b`` (or ``x·op(T) = b``): ``|x̂ − x| ≤ |T⁻¹|·(e_b + (e_T +
        γ_n|T|)·|x̂|)`` (Higham Thm 8.5 and its first-order forward error)."""
        (a, _b), (ea, eb), (x,) = xs, es, outs
        lower, unit = bool(params["lower"]), bool(params["unit_diagonal"])
        n = a.shape[-1]
        t = triangular(f64(a), lower, unit)
        et = None if ea is None else triangular(ea, lower, False)
        if et is not None and unit:
            et = et * (1.0 - eye(n))
        if params["transpose_a"]:
            t, lower = mT(t), not lower
            et = None if et is None else mT(et)
        t_inv = xp.abs(inverse_of_triangle(t, lower))
        perturb = n * _u(x) * xp.abs(t) + (0.0 if et is None else et)
        ax = xp.abs(f64(x))
        eb = 0.0 if eb is None else eb
        if params["left_side"]:
            bound = t_inv @ (eb + perturb @ ax)
        else:
            bound = (eb + ax @ perturb) @ t_inv
        return [bound + n * _tiny(x)]

    def split_lu(packed: Any) -> tuple[Any, Any]:
        n = packed.shape[-1]
        return xp.tril(packed, -1) + eye(n), xp.triu(packed)

    def lu_rule(params, xs, es, outs):
        """``P·A = L·U``: ``|ΔL| ≤ |L|·stril(F)``, ``|ΔU| ≤ triu(F)·|U|`` with
        ``F = |L⁻¹|·|ΔA|·|U⁻¹|`` and ``|ΔA| ≤ γ_n|L||U| + P·e_A`` (Higham Thm
        9.3, first-order perturbation of the factors, §9.13). The pivots are
        exact."""
        (a,), (ea,) = xs, es
        packed, _pivots, perm = outs
        if a.shape[-1] != a.shape[-2]:
            raise NotImplementedError(
                "rounding-error bound of lu of a non-square matrix"
            )
        n = a.shape[-1]
        lo, up = split_lu(f64(packed))
        delta = n * _u(packed) * (xp.abs(lo) @ xp.abs(up))
        if ea is not None:
            rows = xp.broadcast_to(perm[..., :, None], (*perm.shape, ea.shape[-1]))
            ea = xp.broadcast_to(ea, (*rows.shape[:-2], *ea.shape[-2:]))
            delta = delta + xp.take_along_axis(ea, rows, axis=-2)
        f = (
            xp.abs(inverse_of_triangle(lo, True))
            @ delta
            @ xp.abs(inverse_of_triangle(up, False))
        )
        d_lo = xp.abs(lo) @ xp.tril(f, -1)
        d_up = xp.triu(f) @ xp.abs(up)
        bound = xp.tril(d_lo, -1) + xp.triu(d_up) + n * _tiny(packed)
        return [bound, None, None]

    def cholesky_rule(params, xs, es, outs):
        """``A = L·Lᵀ``: ``|ΔL| ≤ |L|·Φ(|L⁻¹|·|ΔA|·|L⁻ᵀ|)``, Φ the lower
        triangle with half its diagonal, and ``|ΔA| ≤ γ_{n+1}|L||Lᵀ| + e_A``
        (Higham Thm 10.3 and §10.1.1)."""
        (a,), (ea,), (chol,) = xs, es, outs
        n = a.shape[-1]
        lo = xp.tril(f64(chol))
        delta = (n + 1) * _u(chol) * (xp.abs(lo) @ xp.abs(mT(lo)))
        if ea is not None:
            delta = delta + ea
        inv = xp.abs(inverse_of_triangle(lo, True))
        f = inv @ delta @ mT(inv)
        phi = xp.tril(f, -1) + 0.5 * f * eye(n)
        return [xp.tril(xp.abs(lo) @ phi) + n * _tiny(chol)]

    def backward_error(a: Any, ea: Any, out: Any, c: float) -> Any:
        """‖ΔA‖_F: ``c·n·u·‖A‖_F`` of the algorithm plus the operand's error."""
        n = max(a.shape[-1], a.shape[-2])
        norm = c * n * _u(out) * frobenius(xp.abs(f64(a)))
        if ea is not None:
            norm = norm + frobenius(ea)
        return norm[..., None]

    def gaps(values: Any) -> Any:
        """For each value, the distance to the nearest other one."""
        d = xp.abs(values[..., :, None] - values[..., None, :])
        k = values.shape[-1]
        return xp.min(xp.where(eye(k) > 0, xp.inf, d), axis=-1)

    def eigh_rule(params, xs, es, outs):
        """Eigenvalues move by at most ‖ΔA‖₂ (Weyl); an eigenvector by at most
        ‖ΔA‖₂/gap (Davis–Kahan), with ‖ΔA‖ ≤ 4n·u·‖A‖_F + ‖e_A‖_F. Estimated."""
        (a,), (ea,) = xs, es
        v, w = outs
        norm = backward_error(a, ea, w, 4.0)
        bound_w = norm + _u(w) * xp.abs(f64(w))
        gap = gaps(f64(w))
        bound_v = (norm / gap)[..., None, :] + xp.zeros(v.shape)
        return [bound_v + _u(v), bound_w]

    def svd_rule(params, xs, es, outs):
        """Singular values move by at most ‖ΔA‖₂ (Weyl); singular vectors by at
        most ‖ΔA‖₂/gap (Wedin), with ‖ΔA‖ ≤ 4·max(m, n)·u·‖A‖_F + ‖e_A‖_F.
        Estimated."""
        (a,), (ea,) = xs, es
        s = outs[0]
        norm = backward_error(a, ea, s, 4.0)
        bounds = [norm + _u(s) * xp.abs(f64(s))]
        if len(outs) == 3:
            _, uu, vt = outs
            s64 = f64(s)
            gap = gaps(s64)
            if a.shape[-1] != a.shape[-2]:
                gap = xp.minimum(gap, s64)
            k = s.shape[-1]
            rel = norm / gap
            # columns of U (rows of Vᵀ) past the k-th: no bound (a full basis)
            ru = rel[..., None, :] + xp.zeros((*uu.shape[:-1], k))
            ru = xp.concatenate(
                [ru, xp.full((*ru.shape[:-1], uu.shape[-1] - k), xp.inf)], axis=-1
            )
            rv = rel[..., :, None] + xp.zeros((*vt.shape[:-2], k, vt.shape[-1]))
            rv = xp.concatenate(
                [rv, xp.full((*rv.shape[:-2], vt.shape[-2] - k, rv.shape[-1]), xp.inf)],
                axis=-2,
            )
            bounds += [ru + _u(uu), rv + _u(vt)]
        return bounds

    def qr_rule(params, xs, es, outs):
        """Householder QR is backward stable, ``‖ΔA‖_F ≤ γ̃_{mn}‖A‖_F`` (Higham
        Thm 19.4); to first order ``‖ΔR‖_F ≤ √2·κ₂(A)·‖ΔA‖_F`` and ``‖ΔQ‖_F ≤
        √2·κ₂(A)·‖ΔA‖_F/‖A‖_F`` (Sun 1991), κ₂ from the computed R.
        Estimated."""
        (a,), (ea,) = xs, es
        q, r = outs
        norm = backward_error(a, ea, r, 4.0)[..., None]
        k = min(r.shape[-1], r.shape[-2])
        r64 = f64(r)[..., :k, :k]
        (s,) = apply("svd", _SINGULAR_VALUES, r64)
        kappa = (s[..., :1] / s[..., -1:])[..., None]
        a_norm = frobenius(xp.abs(f64(a)))[..., None, None]
        d_r = np.sqrt(2.0) * kappa * norm
        d_q = d_r / a_norm
        return [
            d_q + xp.zeros(q.shape) + _u(q),
            d_r + _u(r) * xp.abs(f64(r)),
        ]

    return {
        "triangular_solve": triangular_solve_rule,
        "lu": lu_rule,
        "cholesky": cholesky_rule,
        "eigh": eigh_rule,
        "svd": svd_rule,
        "qr": qr_rule,
    }
