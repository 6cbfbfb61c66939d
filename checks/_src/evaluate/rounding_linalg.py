"""Rounding-error bounds of the dense linear-algebra primitives.

Each rule takes the primitive's operands ``xs`` (in the case's dtype), their
error bounds ``es`` (float64, or None for an exact operand) and its outputs
``outs``, and returns a float64 bound for each output: the output's own
rounding (a backward-error result: the computed factorization is the exact one
of a nearby matrix ``A + ΔA``) together with the operands' errors (a
perturbation of ``A`` too), carried to the output by a perturbation bound that
holds to every order, not only the first: each is the first-order bound divided
by ``1 − ε`` or plus a term in ``ε²``, where ``ε`` is the perturbation relative
to the distance to singularity (``‖|L̂⁻¹|·|ΔA|·|Û⁻¹|‖_F`` for LU, ``‖ΔA‖/gap`` for
an eigenvector). Where ``ε`` is too large for the bound to say anything
(``ε ≥ 1/2``: the perturbation may reach a singular matrix, or swap two
eigenvalues) the bound is ``inf``: no information. The verdict leaves such a
point out of the comparison and counts it (``checks._src.judge.compare``: a point whose
closed form's bound is not finite), and a case where no point is left is an
``error``; a matrix singular in its dtype is judged nowhere.

Componentwise rules (LU, Cholesky, triangular solves) are upper bounds from
Higham's backward-error theorems. Normwise rules (QR, eigh, SVD) take the
backward error as ``c·n·u·‖A‖_F`` with a modest constant, as LAPACK's
documentation does; they are marked estimated in the README's error-model
table. The bound itself is evaluated in float64 at the computed point; its own
rounding there (relative ``κ·u₆₄``) is not counted.

The rules are written once over an array namespace ``xp`` (``jax.numpy`` for the XLA
engine, NumPy for the NumPy engine), as ``checks._src.evaluate.error_rules`` writes the
others: ``rule_table(xp, apply)`` is their dict, and ``apply(name, params, *operands)``
evaluates a primitive in that engine (a triangular inverse, the singular values of R).
Every operation acts on the trailing matrix axes, so the NumPy engine's leading points
axis is one more batch axis.

References:
  N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM
  2002: Lemma 3.1 (``γ_n = n·u/(1 − n·u)``); Thm 7.2 and 7.4 (the perturbed
  system ``(A + ΔA)x̂ = b + Δb``: ``x̂ − x = A⁻¹(Δb − ΔA·x̂)``, and the bound
  ``ε·κ/(1 − ε·κ)`` once ``A⁻¹`` is taken at the perturbed matrix); Thm 8.5
  (triangular systems, ``(T + ΔT)x̂ = b``, ``|ΔT| ≤ γ_n|T|``); Thm 9.3 (LU,
  ``L̂Û = A + ΔA``, ``|ΔA| ≤ γ_n|L̂||Û|``); Thm 10.3 (Cholesky, ``|ΔA| ≤
  γ_{n+1}|R̂ᵀ||R̂|``); Thm 19.4 (Householder QR, ``‖ΔA‖_F ≤ γ̃_{mn}‖A‖_F``);
  §9.13 and §10.1.1 for the perturbation of the LU and Cholesky factors
  (``ΔL = L·stril(L⁻¹ΔA U⁻¹)`` to first order).
  G. W. Stewart, "On the perturbation of LU, Cholesky, and QR factorizations",
  SIAM J. Matrix Anal. Appl. 14 (1993): the factors of ``I − F`` as the fixed
  point ``X + Y = F + XY`` this module bounds to every order.
  J.-G. Sun, "Perturbation bounds for the Cholesky and QR factorizations", BIT
  31 (1991), Thm 1.6: ``‖ΔR‖_F/‖R‖₂ ≤ √2·κ₂ε/(1 − κ₂ε)`` for QR.
  G. W. Stewart and J. Sun, *Matrix Perturbation Theory*, 1990: Weyl's
  inequality for eigenvalues and singular values (IV.4.11, to every order);
  Davis–Kahan's sin θ theorem and Wedin's for eigen- and singular vectors
  (V.3.6, V.4.4: ``sin θ ≤ ‖r‖/δ`` with ``δ ≥ gap − ‖ΔA‖₂`` by Weyl).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from checks._src.evaluate.roundoff import gamma, tiny, unit

__all__ = ["ESTIMATED", "NAMES", "rule_table"]

# Rules whose backward error is taken from LAPACK-style normwise constants.
ESTIMATED = frozenset({"qr", "eigh", "svd"})
# The largest relative perturbation a bound is given for: past it, ``inf``.
LIMIT = 0.5

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

    def matrix(v: Any) -> Any:
        """A per-matrix value (batch shape) broadcast over the matrix axes."""
        return v[..., None, None]

    def small(eps: Any) -> tuple[Any, Any]:
        """Where the relative perturbation ``eps`` is finite and below
        ``LIMIT``, and ``eps`` there (0 elsewhere, so that nothing computed
        from it divides by zero)."""
        ok = xp.isfinite(eps) & (eps < LIMIT)
        return ok, xp.where(ok, eps, 0.0)

    def where_small(ok: Any, bound: Any) -> Any:
        """``bound`` where ``ok``, ``inf`` (no information) elsewhere."""
        return xp.where(ok, bound, xp.inf)

    def triangular(a: Any, lower: bool, unit_diagonal: bool) -> Any:
        t = xp.tril(a) if lower else xp.triu(a)
        if unit_diagonal:
            n = a.shape[-1]
            t = t * (1.0 - eye(n)) + eye(n)
        return t

    def inverse_of_triangle(t: Any, lower: bool) -> Any:
        ident = xp.broadcast_to(eye(t.shape[-1]), t.shape)
        return apply("triangular_solve", dict(_SOLVE, lower=lower), t, ident)[0]

    def triangular_solve_rule(params, xs, es, outs):
        """``op(T)·x = b`` (``x·op(T) = b`` on the right). The computed x̂ solves
        ``(T̂ + ΔT)x̂ = b̂`` with ``|ΔT| ≤ γ_n|T̂|`` (Higham Thm 8.5), T̂ and b̂ the
        operands as computed, within ``e_T`` and ``e_b`` of the exact T and b.
        So ``x̂ − x = T⁻¹·r`` with ``|r| ≤ r̄ = e_b + (γ_n|T̂| + e_T)|x̂|`` (Thm
        7.4's identity), exactly. T⁻¹ is the exact T's, ``T⁻¹ = Σₖ (T̂⁻¹E_T)ᵏ
        T̂⁻¹``: with ``y = |T̂⁻¹|·r̄`` and ``G = |T̂⁻¹|·e_T``, ``|x̂ − x| ≤ Σₖ Gᵏy =
        (I − G)⁻¹y`` (Thm 7.4's ``ε/(1 − ε‖|A⁻¹|E‖)``, componentwise). G is
        triangular, so the series converges when its diagonal ``e_ii/|t_ii|``
        does; ``inf`` where that is ``≥ 1/2``. On the right, ``y·(I − H)⁻¹``
        with ``H = e_T·|T̂⁻¹|``. Underflow: ``n·η`` in r̄ and on x̂."""
        (a, _b), (ea, eb), (x,) = xs, es, outs
        lower, unit_diagonal = bool(params["lower"]), bool(params["unit_diagonal"])
        n = a.shape[-1]
        t = triangular(f64(a), lower, unit_diagonal)
        et = None if ea is None else triangular(ea, lower, False)
        if et is not None and unit_diagonal:
            et = et * (1.0 - eye(n))
        if params["transpose_a"]:
            t, lower = mT(t), not lower
            et = None if et is None else mT(et)
        t_inv = xp.abs(inverse_of_triangle(t, lower))
        perturb = gamma(n, x) * xp.abs(t) + (0.0 if et is None else et)
        ax = xp.abs(f64(x))
        eb = n * tiny(x) + (0.0 if eb is None else eb)
        left = bool(params["left_side"])
        y = t_inv @ (eb + perturb @ ax) if left else (eb + ax @ perturb) @ t_inv
        if et is not None:  # the exact T's inverse: (I − G)⁻¹, G triangular ≥ 0
            g = t_inv @ et if left else et @ t_inv
            ok, _ = small(matrix(xp.max(xp.diagonal(g, axis1=-2, axis2=-1), axis=-1)))
            g = xp.where(ok, g, 0.0)
            solve = dict(_SOLVE, lower=lower, left_side=left)
            y = apply("triangular_solve", solve, eye(n) - g, y)[0]
            y = where_small(ok, y)
        return [y + n * tiny(x)]

    def split_lu(packed: Any) -> tuple[Any, Any]:
        n = packed.shape[-1]
        return xp.tril(packed, -1) + eye(n), xp.triu(packed)

    def lu_rule(params, xs, es, outs):
        """``P·A = L·U``. The computed factors are exact for ``P(Â + ΔA)`` with
        ``|ΔA| ≤ γ_n|L̂||Û|`` (Higham Thm 9.3), Â within e_A of the exact A: so
        ``P·A = L̂(I − F̃)Û`` with ``|F̃| ≤ F = |L̂⁻¹|·D·|Û⁻¹|``, ``D = γ_n|L̂||Û| +
        P·e_A``. If ``I − F̃ = (I − X)(I − Y)`` (X strictly lower, Y upper), the
        exact factors are ``L = L̂(I − X)``, ``U = (I − Y)Û``, and ``X + Y = F̃ +
        XY`` (Stewart 1993; §9.13 to first order): in the Frobenius norm
        ``s = ‖X‖ + ‖Y‖`` (in quadrature) obeys ``s ≤ f + s²/2``, ``f = ‖F‖_F``,
        so ``s ≤ 2f/(1 + √(1 − 2f))`` for ``f < 1/2`` (continuity from f = 0;
        ``‖F̃‖₂ < 1`` keeps every ``I − tF̃`` factorable), and ``|X| ≤ stril(F) +
        s²/2``, ``|Y| ≤ triu(F) + s²/2`` entrywise. Hence ``|ΔL| ≤ |L̂||X|``,
        ``|ΔU| ≤ |Y||Û|``; ``inf`` where ``f ≥ 1/2``. The pivots are exact."""
        (a,), (ea,) = xs, es
        packed, _pivots, perm = outs
        if a.shape[-1] != a.shape[-2]:
            raise NotImplementedError(
                "rounding-error bound of lu of a non-square matrix"
            )
        n = a.shape[-1]
        lo, up = split_lu(f64(packed))
        delta = gamma(n, packed) * (xp.abs(lo) @ xp.abs(up)) + n * tiny(packed)
        if ea is not None:
            rows = xp.broadcast_to(perm[..., :, None], (*perm.shape, ea.shape[-1]))
            ea = xp.broadcast_to(ea, (*rows.shape[:-2], *ea.shape[-2:]))
            delta = delta + xp.take_along_axis(ea, rows, axis=-2)
        f = (
            xp.abs(inverse_of_triangle(lo, True))
            @ delta
            @ xp.abs(inverse_of_triangle(up, False))
        )
        ok, size = small(matrix(frobenius(f)))
        s = 2.0 * size / (1.0 + xp.sqrt(1.0 - 2.0 * size))
        second = 0.5 * s * s
        x_lo = xp.tril(f + second, -1)
        y_up = xp.triu(f + second)
        bound = xp.tril(xp.abs(lo) @ x_lo, -1) + xp.triu(y_up @ xp.abs(up))
        return [where_small(ok, bound) + n * tiny(packed), None, None]

    def cholesky_rule(params, xs, es, outs):
        """``A = L·Lᵀ``. The computed factor is exact for ``Â + ΔA`` with ``|ΔA| ≤
        γ_{n+1}|L̂||L̂ᵀ|`` (Higham Thm 10.3): ``A = L̂(I − G)L̂ᵀ``, ``|G| ≤ F =
        |L̂⁻¹|·D·|L̂⁻ᵀ|``, ``D = γ_{n+1}|L̂||L̂ᵀ| + e_A`` (symmetrized). With ``I −
        G = (I − X)(I − X)ᵀ``, ``L = L̂(I − X)`` and ``X = Φ(G + XXᵀ)``, Φ the
        lower triangle with half its diagonal (§10.1.1 to first order): as
        ``‖Φ(M)‖_F ≤ ‖M‖_F/√2`` for symmetric M, ``x = ‖X‖_F ≤ (g + x²)/√2`` with
        ``g = ‖F‖_F``, so ``x ≤ 2g/(√2 + √(2 − 4g))`` for ``g < 1/2``, and
        ``|X| ≤ Φ(F + x²)`` entrywise, ``|ΔL| ≤ |L̂||X|``; ``inf`` where
        ``g ≥ 1/2``."""
        (a,), (ea,), (chol,) = xs, es, outs
        n = a.shape[-1]
        lo = xp.tril(f64(chol))
        delta = gamma(n + 1, chol) * (xp.abs(lo) @ xp.abs(mT(lo))) + n * tiny(chol)
        if ea is not None:
            delta = delta + xp.maximum(ea, mT(ea))
        inv = xp.abs(inverse_of_triangle(lo, True))
        f = inv @ delta @ mT(inv)
        ok, size = small(matrix(frobenius(f)))
        x = 2.0 * size / (np.sqrt(2.0) + xp.sqrt(2.0 - 4.0 * size))
        g = f + x * x
        phi = xp.tril(g, -1) + 0.5 * g * eye(n)
        bound = xp.tril(xp.abs(lo) @ phi)
        return [where_small(ok, bound) + n * tiny(chol)]

    def backward_error(a: Any, ea: Any, out: Any, c: float) -> Any:
        """‖ΔA‖_F: ``c·n·u·‖A‖_F`` of the algorithm plus the operand's error."""
        n = max(a.shape[-1], a.shape[-2])
        norm = c * n * unit(out) * frobenius(xp.abs(f64(a)))
        if ea is not None:
            norm = norm + frobenius(ea)
        return norm[..., None]

    def gaps(values: Any) -> Any:
        """For each value, the distance to the nearest other one."""
        d = xp.abs(values[..., :, None] - values[..., None, :])
        k = values.shape[-1]
        return xp.min(xp.where(eye(k) > 0, xp.inf, d), axis=-1)

    def vector_error(norm: Any, gap: Any) -> Any:
        """‖v̂ − v‖₂ of a unit vector whose angle to v has ``sin θ ≤ ρ/(1 − ρ)``,
        ``ρ = ‖ΔA‖₂/gap`` (Davis–Kahan or Wedin with ``δ ≥ gap − ‖ΔA‖₂``):
        ``2·sin(θ/2) = sin θ/cos(θ/2)``; ``inf`` where ``ρ ≥ 1/2`` (the
        perturbation may reorder the values)."""
        ok, rho = small(norm / xp.where(gap > 0, gap, 1.0))
        ok = ok & (gap > 0)
        sine = xp.minimum(rho / (1.0 - rho), 1.0)
        cosine = xp.sqrt(1.0 - sine * sine)
        return where_small(ok, sine / xp.sqrt(0.5 * (1.0 + cosine)))

    def eigh_rule(params, xs, es, outs):
        """Eigenvalues move by at most ‖ΔA‖₂ (Weyl, to every order); an
        eigenvector's angle θ by ``sin θ ≤ ‖ΔA‖₂/(gap − ‖ΔA‖₂)`` (Davis–Kahan),
        with ``‖ΔA‖ ≤ 4n·u·‖A‖_F + ‖e_A‖_F``, and n·u more for the computed
        vectors' departure from orthogonality. Estimated."""
        (a,), (ea,) = xs, es
        v, w = outs
        n = a.shape[-1]
        norm = backward_error(a, ea, w, 4.0)
        bound_w = norm + unit(w) * xp.abs(f64(w))
        moved = vector_error(norm, gaps(f64(w)))
        bound_v = moved[..., None, :] + xp.zeros(v.shape)
        return [bound_v + n * unit(v), bound_w]

    def svd_rule(params, xs, es, outs):
        """Singular values move by at most ‖ΔA‖₂ (Weyl, to every order);
        singular vectors' angles by ``sin θ ≤ ‖ΔA‖₂/(gap − ‖ΔA‖₂)`` (Wedin; the
        gap includes σ itself for a rectangular A), with ``‖ΔA‖ ≤ 4·max(m,
        n)·u·‖A‖_F + ‖e_A‖_F``, and max(m, n)·u more for the computed vectors'
        departure from orthogonality. Estimated."""
        (a,), (ea,) = xs, es
        s = outs[0]
        norm = backward_error(a, ea, s, 4.0)
        bounds = [norm + unit(s) * xp.abs(f64(s))]
        if len(outs) == 3:
            _, uu, vt = outs
            s64 = f64(s)
            gap = gaps(s64)
            if a.shape[-1] != a.shape[-2]:
                gap = xp.minimum(gap, s64)
            k = s.shape[-1]
            rel = vector_error(norm, gap)
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
            m = max(a.shape[-1], a.shape[-2])
            bounds += [ru + m * unit(uu), rv + m * unit(vt)]
        return bounds

    def qr_rule(params, xs, es, outs):
        """Householder QR is backward stable, ``‖ΔA‖_F ≤ γ̃_{mn}‖A‖_F`` (Higham
        Thm 19.4), taken as ``η = 4·max(m, n)·u·‖A‖_F + ‖e_A‖_F``. Sun (1991):
        with ``ρ = ‖A⁺‖₂·η < 1``, ``‖ΔR‖_F ≤ √2·‖A‖₂·ρ/(1 − ρ)`` and ``‖ΔQ‖_F ≤
        (1 + √2)·ρ/(1 − ρ)``; the exact A's ``‖A⁺‖₂ ≤ 1/(σ_min(R̂) − η)`` and
        ``‖A‖₂ ≤ σ_max(R̂) + η`` (Weyl). ``inf`` where ``ρ ≥ 1/2``.
        Estimated."""
        (a,), (ea,) = xs, es
        q, r = outs[:2]  # pivoted QR: A·P = Q·R, the same ‖ΔA‖_F and κ₂ as A's
        norm = backward_error(a, ea, r, 4.0)[..., None]
        k = min(r.shape[-1], r.shape[-2])
        r64 = f64(r)[..., :k, :k]
        (s,) = apply("svd", _SINGULAR_VALUES, r64)
        largest, smallest = s[..., :1, None], s[..., -1:, None]
        apart = smallest > norm
        ok, rho = small(norm / xp.where(apart, smallest - norm, 1.0))
        ok = ok & apart
        relative = where_small(ok, rho / (1.0 - rho))
        d_r = np.sqrt(2.0) * (largest + norm) * relative
        d_q = (1.0 + np.sqrt(2.0)) * relative
        return [
            d_q + xp.zeros(q.shape) + unit(q),
            d_r + unit(r) * xp.abs(f64(r)),
            *[None] * (len(outs) - 2),  # the column permutation is exact
        ]

    return {
        "triangular_solve": triangular_solve_rule,
        "lu": lu_rule,
        "cholesky": cholesky_rule,
        "eigh": eigh_rule,
        "svd": svd_rule,
        "qr": qr_rule,
    }


# The primitives with a rule here (the table's keys: building it evaluates
# nothing).
NAMES = frozenset(rule_table(np, lambda *a: []))
