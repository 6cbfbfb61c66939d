"""Running rounding-error bounds: how far a computed value may be from exact.

This is Wilkinson's running error analysis, done by interpreting the function's
jaxpr. Every value ``v`` carries a bound ``e_v ≥ |v̂ − v|`` on its absolute error,
to first order in the rounding unit ``u`` of its dtype. Inputs are exact
(``e = 0``). Each operation propagates the errors of its operands through its
derivative and adds its own rounding:

    z = x ± y        e_z = e_x + e_y + u·|z| + η
    z = x · y        e_z = |y|·e_x + |x|·e_y + u·|z|
    z = x / y        e_z = e_x/|y| + |x/y²|·e_y + u·|z|
    z = f(x)         e_z = |f′(x)|·e_x + c_f·u·|z|     (c_f ulps for exp, log, …)
    z = Σᵢ xᵢ        e_z = Σᵢ e_xᵢ + K·u·Σᵢ|xᵢ|          (K terms)
    z = A·B          e_z = |A|·e_B + e_A·|B| + K·u·|A|·|B|

where η = tiny (the smallest normal number) covers a result that underflows;
so a result that is a small difference of large terms gets a large bound: the
``u·|z|`` of each large intermediate survives the cancellation. Operations that
only move data (reshape, transpose, gather, select, …) pass errors through
without rounding. Any other primitive falls back to ``Σ_k |∂z/∂x_k · e_k|``
computed with ``jax.jvp`` plus its rounding.

The bounds are computed in float64 whatever the dtype of the computation, so
they neither underflow nor round away.

Reference: N. J. Higham, *Accuracy and Stability of Numerical Algorithms*,
2nd ed., SIAM 2002, §3.3 (running error analysis) and §3.1 (inner products).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend import core

from checks import rounding_linalg

__all__ = [
    "ESTIMATED",
    "NoErrorBound",
    "is_estimated",
    "rounding_unit",
    "with_error_bound",
]


class NoErrorBound(NotImplementedError):
    """A primitive whose rounding error this module cannot bound."""


# Linear data movement: the same operation applied to the errors propagates them.
_STRUCTURAL = {
    "broadcast_in_dim",
    "reshape",
    "transpose",
    "squeeze",
    "expand_dims",
    "slice",
    "rev",
    "copy",
    "copy_p",
    "concatenate",
    "pad",
    "gather",
    "dynamic_slice",
    "dynamic_update_slice",
    "reduce_max",
    "cummax",
}
# Operations that only move or select data: errors pass through, no rounding.
_DATA_MOVEMENT = _STRUCTURAL | {
    "reduce_min",
    "cummin",
    "scatter",
    "select_n",
    "neg",
    "abs",
    "real",
    "max",
    "min",
    "sort",
    "clamp",
    "optimization_barrier",
}
# Exact by IEEE 754 up to one rounding: one ulp.
_CORRECTLY_ROUNDED = {"add", "add_any", "sub", "mul", "div", "sqrt"}
# Library functions (exp, log, tanh, …): a few ulps.
_LIBRARY_ULPS = 4.0
# Library functions XLA's CPU computes less accurately, measured against long
# double over 20 000 points: log1p is off by up to 239 ulps (of u) in float64
# near x = −0.4, atanh, built on it, by 145; expm1 by 5.4 in float32; rsqrt,
# not correctly rounded, by 2.3 in float32.
_LIBRARY_ULPS_OF = {"log1p": 512.0, "atanh": 512.0, "expm1": 8.0, "rsqrt": 4.0}
# Values passed through unchanged, derivative or not.
_IDENTITY = {"stop_gradient"}


def own_ulps(name: str, params: dict[str, Any], shape: Sequence[int]) -> float:
    """The rounding an operation adds, in ulps of its result: one for those
    IEEE 754 rounds correctly, a few for library functions, and K − 1 for a
    product of K terms (one rounding per multiplication)."""
    if name in _LIBRARY_ULPS_OF:
        return _LIBRARY_ULPS_OF[name]
    if name in _CORRECTLY_ROUNDED:
        return 1.0
    if name == "reduce_prod":
        terms = int(np.prod([shape[d] for d in params["axes"]]))
        return max(_LIBRARY_ULPS, float(terms - 1))
    if name == "cumprod":  # at most n − 1 products into an element
        return max(1.0, float(shape[int(params["axis"])] - 1))
    if name == "cumlogsumexp":  # one log-add-exp per term
        return _LIBRARY_ULPS * float(shape[int(params["axis"])])
    return _LIBRARY_ULPS


def rounding_unit(dtype: Any) -> float:
    """u = ε/2 for the dtype: the largest relative error of one rounding."""
    return float(jnp.finfo(dtype).eps) / 2.0


def _is_float(x: Any) -> bool:
    return jnp.issubdtype(jnp.result_type(x), jnp.inexact)


def _u(x: Any) -> float:
    return rounding_unit(jnp.result_type(x)) if _is_float(x) else 0.0


def _abs64(x: jax.Array) -> jax.Array:
    return jnp.abs(jnp.asarray(x).astype(jnp.float64))


def _rounding(x: Any, ulps: float = 1.0) -> jax.Array:
    """ulps·u·|x| + tiny: one rounding, to a relative ``ulps·u`` or, for a result
    that underflows (flushed to zero on CPU and GPU), to an absolute ``tiny``.
    0 where x is not finite (an infinite constant is exact)."""
    a = _abs64(x)
    tiny = float(jnp.finfo(jnp.result_type(x)).tiny)
    return jnp.where(jnp.isfinite(a), ulps * _u(x) * a + tiny, 0.0)


def _constant_error(c: Any) -> jax.Array | None:
    """A constant's error: 0 for a short binary fraction (1, 0.5, 2, −3: exact in
    every dtype), else one rounding (0.1 in float32 is not 0.1)."""
    if not _is_float(c):
        return None
    a = np.asarray(c, dtype=np.float64)
    exact = np.all(~np.isfinite(a) | (np.round(a * 1024) == a * 1024))
    return None if exact else _rounding(c)


def _zero_error(x: Any) -> jax.Array | None:
    """An explicit zero bound. Exact values carry None instead, so that no
    constant array of zeros reaches XLA, which may spend seconds folding a large
    one through reductions."""
    return jnp.zeros(jnp.shape(x), jnp.float64) if _is_float(x) else None


def _has_jaxpr_param(params: dict[str, Any]) -> bool:
    return any(
        isinstance(v, (core.Jaxpr, core.ClosedJaxpr))
        or (isinstance(v, tuple) and any(hasattr(w, "jaxpr") for w in v))
        or (hasattr(v, "_fields") and any(hasattr(w, "jaxpr") for w in v))
        for v in params.values()
    )


# Elementwise primitives without a rule of their own: their Jacobian is
# diagonal, so one JVP with unit tangents gives its absolute values.
_ELEMENTWISE = {
    "erf", "erfc", "erf_inv", "lgamma", "digamma", "igamma", "igammac",
    "polygamma", "bessel_i0e", "bessel_i1e", "atan2", "atan", "asin", "acos",
    "sinh", "cosh", "tan", "asinh", "acosh", "atanh", "cbrt", "nextafter",
    "round", "floor", "ceil", "sign", "logaddexp",
}  # fmt: skip


def _sum_parts(total: list[Any] | None, parts: list[Any]) -> list[Any]:
    if total is None:
        return parts
    return [a if b is None else b if a is None else a + b for a, b in zip(total, parts)]


def _jacobian_bound(
    prim: Any,
    params: dict[str, Any],
    primals: Sequence[Any],
    errors: Sequence[Any],
    outvars: Sequence[Any],
) -> list[jax.Array | None]:
    """Σ_k |∂z/∂x_k|·e_k with the absolute value of each Jacobian entry, so that
    terms of opposite sign do not cancel (a JVP with the errors as tangent may
    sum to 0). First order; the Jacobian is taken at the primals upcast to
    float64 where the primitive allows."""
    multiple = prim.multiple_results
    outs_like = [v.aval for v in outvars]

    def bound_at(xs: Sequence[Any]) -> list[Any]:
        total: list[Any] | None = None
        for k, e in enumerate(errors):
            if e is None or not _is_float(xs[k]):
                continue

            def f(xk: Any, k: int = k) -> list[Any]:
                args = list(xs)
                args[k] = xk
                out = prim.bind(*args, **params)
                out = list(out) if multiple else [out]
                return [o if _is_float(o) else jnp.zeros(()) for o in out]

            if prim.name in _ELEMENTWISE and all(
                tuple(o.shape) == jnp.shape(xs[k]) or not jnp.shape(xs[k])
                for o in outs_like
            ):  # a diagonal Jacobian: one JVP, each output from one entry
                ones = jnp.ones(jnp.shape(xs[k]), jnp.result_type(xs[k]))
                _, ts = jax.jvp(f, (xs[k],), (ones,))
                parts = [
                    _abs64(t) * e if _is_float(o) else None
                    for t, o in zip(ts, outs_like)
                ]
                total = _sum_parts(total, parts)
                continue
            jacs = jax.jacfwd(f)(xs[k])
            size_in = int(np.prod(jnp.shape(xs[k])))
            flat_e = jnp.reshape(e, (size_in,)).astype(jnp.float64)
            parts = []
            for j, o in zip(jacs, outs_like):
                if not _is_float(o):
                    parts.append(None)
                    continue
                shape_out = jnp.shape(j)[: jnp.ndim(j) - jnp.ndim(xs[k])]
                j = jnp.reshape(_abs64(j), (-1, size_in))
                parts.append(jnp.reshape(j @ flat_e, shape_out))
            total = _sum_parts(total, parts)
        return total or []

    if not _has_jaxpr_param(params):
        try:
            return bound_at(
                [
                    jnp.asarray(x).astype(jnp.float64) if _is_float(x) else x
                    for x in primals
                ]
            )
        except Exception:  # a primitive whose parameters pin its dtype
            pass
    try:
        return bound_at(primals)
    except Exception as exc:
        raise NoErrorBound(
            f"no rounding-error bound for primitive {prim.name!r}: it has no rule "
            f"and its Jacobian cannot be taken ({type(exc).__name__})"
        ) from exc


def _difference_from_float64(prim: Any, params: dict[str, Any], primals, outs):
    """|z − z₆₄|: the primitive evaluated on the same operands in float64 against
    its value in the case's dtype, for a dtype below float64; else None."""
    if _has_jaxpr_param(params) or all(
        not _is_float(o) or _u(o) <= rounding_unit(jnp.float64) for o in outs
    ):
        return None
    try:
        wide = prim.bind(
            *[
                jnp.asarray(x).astype(jnp.float64) if _is_float(x) else x
                for x in primals
            ],
            **params,
        )
    except Exception:  # a primitive whose parameters pin its dtype
        return None
    wide = list(wide) if prim.multiple_results else [wide]
    return [
        jnp.abs(w.astype(jnp.float64) - o.astype(jnp.float64)) if _is_float(o) else None
        for w, o in zip(wide, outs)
    ]


def _dot_general_bound(
    params: dict[str, Any], a: Any, b: Any, ea: Any, eb: Any, out: Any
) -> jax.Array:
    """|A|·e_B + e_A·|B| + K·u·|A|·|B| for a contraction of K terms."""
    p = dict(params)
    p["preferred_element_type"] = jnp.float64
    (contract_a, _), _ = params["dimension_numbers"]
    k = int(np.prod([jnp.shape(a)[d] for d in contract_a])) if contract_a else 1
    abs_a, abs_b = _abs64(a), _abs64(b)
    tiny = float(jnp.finfo(jnp.result_type(out)).tiny)
    bound = k * (_u(out) * lax.dot_general_p.bind(abs_a, abs_b, **p) + tiny)
    if eb is not None:
        bound = bound + lax.dot_general_p.bind(abs_a, eb, **p)
    if ea is not None:
        bound = bound + lax.dot_general_p.bind(ea, abs_b, **p)
    return bound


def _reduce_sum_bound(params: dict[str, Any], x: Any, ex: Any, out: Any) -> jax.Array:
    """Σ e_x + K·u·Σ|x| over the K summed terms."""
    axes = params["axes"]
    k = int(np.prod([jnp.shape(x)[d] for d in axes])) if axes else 1
    tiny = float(jnp.finfo(jnp.result_type(out)).tiny)
    bound = k * (_u(out) * jnp.sum(_abs64(x), axis=axes) + tiny)
    if ex is not None:
        bound = bound + jnp.sum(ex, axis=axes)
    return bound


def _err(e: Any, x: Any) -> jax.Array:
    return e if e is not None else _zero_error(x)


# |f′| of each elementwise library function, from x and z = f(x), in the array
# namespace xp.
DERIVATIVES: dict[str, Callable[..., Any]] = {
    "abs": lambda xp, x, z: xp.ones_like(x),
    "exp": lambda xp, x, z: xp.abs(z),
    "exp2": lambda xp, x, z: xp.abs(z) * np.log(2.0),
    "log": lambda xp, x, z: 1.0 / xp.abs(x),
    "log1p": lambda xp, x, z: 1.0 / xp.abs(1.0 + x),
    "expm1": lambda xp, x, z: xp.abs(z + 1.0),
    "logistic": lambda xp, x, z: xp.abs(z * (1.0 - z)),
    "tanh": lambda xp, x, z: xp.abs(1.0 - z * z),
    "sqrt": lambda xp, x, z: 0.5 / xp.abs(z),
    "rsqrt": lambda xp, x, z: 0.5 * xp.abs(z / x),
    "square": lambda xp, x, z: 2.0 * xp.abs(x),
    "sin": lambda xp, x, z: xp.abs(xp.cos(x)),
    "cos": lambda xp, x, z: xp.abs(xp.sin(x)),
}


def arithmetic_rules(xp: Any, lead: int = 0) -> dict[str, Callable[..., list[Any]]]:
    """The propagation rules of arithmetic and library functions, written once
    over the array namespace ``xp``: ``jax.numpy`` here, NumPy in
    ``checks.interpret``, whose arrays carry ``lead`` leading axes (the points)
    before the axes that a primitive's parameters name. Each
    ``rule(params, xs, es, outs)`` returns the bound carried from the operands'
    errors ``es`` (None: exact), before the result's own rounding, except for
    the primitives in ``OWN_ROUNDING``, whose rule includes it."""

    def x64(x: Any) -> Any:
        return xp.asarray(x).astype(xp.float64)

    def abs64(x: Any) -> Any:
        return xp.abs(x64(x))

    def err(e: Any, x: Any) -> Any:
        return xp.zeros(xp.shape(x), xp.float64) if e is None else e

    def total(parts: Sequence[Any], like: Any) -> Any:
        found = [p for p in parts if p is not None]
        out = found[0] if found else xp.zeros(xp.shape(like), xp.float64)
        for p in found[1:]:
            out = out + p
        return out

    def unary(derivative: Callable[..., Any]) -> Callable[..., list[Any]]:
        """``e_z = |f′(x)|·e_x`` from ``|f′|`` as a function of (x, z)."""

        def rule(params, xs, es, outs):
            return [derivative(xp, x64(xs[0]), x64(outs[0])) * err(es[0], xs[0])]

        return rule

    def sum_rule(params, xs, es, outs):
        return [total(es, outs[0])]

    def mul_rule(params, xs, es, outs):
        """|y|·e_x + |x|·e_y + e_x·e_y: exact (a product of two inexact zeros
        is not exact)."""
        (x, y), (ex, ey) = xs, es
        parts = [
            None if ex is None else abs64(y) * ex,
            None if ey is None else abs64(x) * ey,
            None if ex is None or ey is None else ex * ey,
        ]
        return [total(parts, outs[0])]

    def div_rule(params, xs, es, outs):
        """e_x/|y| + (e_y/|y|)·|z|: in that order, since |z|/|y| may be
        subnormal, which XLA flushes to zero."""
        (_, y), (ex, ey) = xs, es
        ay = abs64(y)
        parts = [
            None if ex is None else ex / ay,
            None if ey is None else (ey / ay) * abs64(outs[0]),
        ]
        return [total(parts, outs[0])]

    def max_min_rule(params, xs, es, outs):
        (x, y), (ex, ey) = xs, es
        return [xp.maximum(err(ex, x), err(ey, y))]

    def integer_pow_rule(params, xs, es, outs):
        """|y·x^(y−1)|·e, and for y ≥ 2 every order: |(x ± e)^y − x^y| ≤
        (|x| + e)^y − |x|^y, which is not 0 at x = 0 when e is not."""
        y = int(params["y"])
        e = err(es[0], xs[0])
        ax = abs64(xs[0])
        first = xp.abs(y * x64(xs[0]) ** (y - 1)) * e
        if y >= 2:  # expanded: (|x| + e)^y − |x|^y itself cancels
            higher = sum(
                math.comb(y, k) * ax ** (y - k) * e**k for k in range(1, y + 1)
            )
            first = xp.maximum(first, higher)
        return [first]

    def cumsum_rule(params, xs, es, outs):
        """K·u·Σ|xᵢ| + Σ eᵢ over the K terms summed into each element (any
        order of summation: Higham §4.2), as ``reduce_sum``."""
        (x,), (e,), (z,) = xs, es, outs
        axis = int(params["axis"]) + lead
        reverse = bool(params.get("reverse", False))

        def cum(v):
            if reverse:
                return xp.flip(xp.cumsum(xp.flip(v, axis), axis=axis), axis)
            return xp.cumsum(v, axis=axis)

        n = x.shape[axis]
        view = [1] * len(x.shape)
        view[axis] = n
        terms = xp.arange(1, n + 1, dtype=xp.float64)
        if reverse:
            terms = xp.flip(terms, 0)
        terms = xp.reshape(terms, view)
        kind = jnp.finfo(z.dtype)
        bound = terms * (float(kind.eps) / 2 * cum(abs64(x)) + float(kind.tiny))
        return [bound if e is None else bound + cum(e)]

    def reduce_min_rule(params, xs, es, outs):
        """|min x̂ − min x| ≤ maxᵢ eᵢ over the reduced terms, as for the
        maximum: the term that is smallest may carry the largest error, so the
        smallest error bounds nothing."""
        (x,), (e,) = xs, es
        axes = tuple(int(a) + lead for a in params["axes"])
        return [xp.max(err(e, x), axis=axes)]

    def cummin_rule(params, xs, es, outs):
        """The running maximum of the errors (see ``reduce_min_rule``)."""
        (x,), (e,) = xs, es
        axis = int(params["axis"]) + lead
        e = err(e, x)
        reverse = bool(params.get("reverse", False))
        if reverse:
            e = xp.flip(e, axis)
        run = np.maximum.accumulate(e, axis) if xp is np else lax.cummax(e, axis)
        return [xp.flip(run, axis) if reverse else run]

    rules = {name: sum_rule for name in ("add", "add_any", "sub", "neg")}
    rules.update(reduce_min=reduce_min_rule, cummin=cummin_rule)
    rules.update(mul=mul_rule, div=div_rule, max=max_min_rule, min=max_min_rule)

    def pow_rule(params, xs, es, outs):
        """JAX's JVP of ``pow``: ∂/∂x = y·x^(y−1) (0 where y = 0), ∂/∂y =
        log(x)·x^y (0 where x = 0)."""
        x, y = (x64(v) for v in xs)
        ex, ey = es
        parts = []
        if ex is not None:
            dx = xp.where(y == 0, 0.0, y * xp.power(x, y - 1))
            parts.append(xp.abs(dx * ex))
        if ey is not None:
            dy = xp.log(xp.where(x == 0, 1.0, x)) * xp.power(x, y)
            parts.append(xp.abs(dy * ey))
        return [total(parts, outs[0])]

    def reduce_prod_rule(params, xs, es, outs):
        """Σᵢ |Πⱼ≠ᵢ xⱼ|·eᵢ over the K multiplied terms (JAX's JVP of
        ``reduce_prod``, in absolute value), with the exclusive products taken
        from both ends so a zero term is exact."""
        (x,), (e,) = xs, es
        if e is None:
            return [total([], outs[0])]
        axes = tuple(int(a) + lead for a in params["axes"])
        keep = [a for a in range(len(x.shape)) if a not in axes]
        order = keep + list(axes)
        lead_shape = [x.shape[a] for a in keep]
        y = xp.reshape(xp.transpose(x64(x), order), (*lead_shape, -1))
        ey = xp.reshape(xp.transpose(e, order), (*lead_shape, -1))
        ones = xp.ones((*lead_shape, 1), xp.float64)
        left = xp.concatenate([ones, xp.cumprod(y[..., :-1], axis=-1)], axis=-1)
        right = xp.flip(xp.cumprod(xp.flip(y[..., 1:], -1), axis=-1), -1)
        right = xp.concatenate([right, ones], axis=-1)
        return [xp.sum(xp.abs(left * right) * ey, axis=-1)]

    def square_rule(params, xs, es, outs):
        """(|x| + e)² − x² = 2|x|·e + e²: exact, not only to first order."""
        e = err(es[0], xs[0])
        return [(2.0 * abs64(xs[0]) + e) * e]

    rules["integer_pow"] = integer_pow_rule
    rules["pow"] = pow_rule
    rules["reduce_prod"] = reduce_prod_rule
    rules["cumsum"] = cumsum_rule
    rules.update({name: unary(f) for name, f in DERIVATIVES.items()})
    rules["square"] = square_rule
    return rules


def _same_op_on_errors(params, xs, es, outs, prim):
    """Linear data movement: apply the operation itself to the errors."""
    args = [_err(e, x) if _is_float(x) else x for x, e in zip(xs, es)]
    if prim.name == "pad":
        args[1] = jnp.zeros((), jnp.float64)
    out = prim.bind(*args, **params)
    return list(out) if prim.multiple_results else [out]


def _select_rule(params, xs, es, outs):
    which, *cases = xs
    return [lax.select_n(which, *[_err(e, c) for c, e in zip(cases, es[1:])])]


def _scatter_to(params: dict[str, Any], like: Any, indices: Any, updates: Any, add):
    scatter = lax.scatter_add if add else lax.scatter
    return scatter(
        jnp.zeros(jnp.shape(like), jnp.float64),
        indices,
        updates,
        params["dimension_numbers"],
        indices_are_sorted=params["indices_are_sorted"],
        unique_indices=params["unique_indices"],
        mode=params["mode"],
    )


def _scatter_add_rule(params, xs, es, outs):
    """One rounding per update added into an element: with K updates landing
    on it, ``e_z = e_x + Σ e_upd + K·u·(|x| + Σ|upd|) + K·η`` (repeated indices
    add several times)."""
    (x, indices, updates), (ex, _, eu), (z,) = xs, es, outs
    count = _scatter_to(params, x, indices, jnp.ones(jnp.shape(updates)), True)
    size = _abs64(x) + _scatter_to(params, x, indices, _abs64(updates), True)
    tiny = float(jnp.finfo(jnp.result_type(z)).tiny)
    bound = count * (_u(z) * size + tiny)
    if ex is not None:
        bound = bound + ex
    if eu is not None:
        bound = bound + _scatter_to(params, x, indices, eu, True)
    return [bound]


def _scatter_rule(params, xs, es, outs):
    """Data movement: the operand's error where no update lands, the update's
    where one does."""
    (x, indices, updates), (ex, _, eu) = xs, es
    landed = _scatter_to(params, x, indices, jnp.ones(jnp.shape(updates)), True) > 0
    moved = _scatter_to(params, x, indices, _err(eu, updates), False)
    return [jnp.where(landed, moved, _err(ex, x))]


def _reduce_precision_rule(params, xs, es, outs):
    """Rounding to ``mantissa_bits`` significant bits and ``exponent_bits`` of
    exponent: ``e + 2^−(m+1)·|z| + tiny`` of the narrower format."""
    (e,), (z,) = es, outs
    m, k = int(params["mantissa_bits"]), int(params["exponent_bits"])
    tiny = max(2.0 ** (2 - 2 ** (k - 1)), float(jnp.finfo(jnp.result_type(z)).tiny))
    bound = 2.0 ** -(m + 1) * _abs64(z) + tiny
    return [bound if e is None else bound + e]


_RULES: dict[str, Callable[..., list[jax.Array]]] = arithmetic_rules(jnp)
_RULES["reduce_precision"] = _reduce_precision_rule
_RULES["select_n"] = _select_rule
_RULES["scatter"] = _scatter_rule
_RULES.update(rounding_linalg.LINALG_RULES)
_RULES["scatter-add"] = _scatter_add_rule
_RULES["scatter_add"] = _scatter_add_rule
# Rules that include the result's own rounding.
OWN_ROUNDING = frozenset(
    {"cumsum", "scatter-add", "scatter_add", "reduce_precision"}
) | frozenset(rounding_linalg.LINALG_RULES)
# Rules resting on a constant no theorem fixes for every implementation: the few
# ulps of a library function, LAPACK-style normwise backward errors.
ESTIMATED = (
    rounding_linalg.ESTIMATED
    | frozenset(DERIVATIVES) - {"abs", "sqrt", "square"}
    | {"pow"}
)


def is_estimated(name: str) -> bool:
    """Whether the bound of primitive ``name`` is an estimate (see the README's
    error-model table) rather than an upper bound from a rounding-error result:
    a rule in ``ESTIMATED``, or the generic rule (``Σ|∂z/∂x|·e`` from the
    Jacobian, plus |z − z₆₄| below float64 and a few ulps)."""
    if name in ESTIMATED:
        return True
    known = set(_RULES) | _STRUCTURAL | _DATA_MOVEMENT | _IDENTITY | set(_CONTROL)
    return name not in known | {"dot_general", "reduce_sum", "convert_element_type"}


def _propagate(prim: Any, params: dict[str, Any], xs, es, outs, outvars) -> list[Any]:
    """Σ_k |∂z/∂x_k|·e_k: an explicit rule, the operation itself for data
    movement, else the Jacobian's absolute values one input at a time."""
    rule = _RULES.get(prim.name)
    if rule is not None:
        return rule(params, xs, es, outs)
    if prim.name in _STRUCTURAL:
        try:
            return _same_op_on_errors(params, xs, es, outs, prim)
        except Exception:  # an operation that insists on its operands' dtype
            pass
    return _jacobian_bound(prim, params, xs, es, outvars)


def _sub_jaxpr(params: dict[str, Any]) -> Any:
    for key in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
        if key in params:
            return params[key]
    return None


def _explicit(pair: tuple[Any, Any], aval: Any = None) -> tuple[Any, Any]:
    """A (value, bound) pair with an explicit float64 bound for a real value
    (zeros for an exact one) and None otherwise: the same types at every
    iteration of a loop and in every branch of a conditional."""
    v, e = pair
    if aval is not None:
        v = jnp.asarray(v, aval.dtype)
    if not _is_float(v):
        return v, None
    if e is None:
        return v, jnp.zeros(jnp.shape(v), jnp.float64)
    return v, jnp.broadcast_to(jnp.asarray(e, jnp.float64), jnp.shape(v))


def _scan(params: dict[str, Any], pairs: Sequence[tuple[Any, Any]]) -> list[Any]:
    """``lax.scan`` with the bound carried through the loop."""
    body = params["jaxpr"]
    nc, nk = params["num_consts"], params["num_carry"]
    consts, xs = list(pairs[:nc]), list(pairs[nc + nk :])
    avals = [v.aval for v in body.jaxpr.invars]
    init = [_explicit(p, a) for p, a in zip(pairs[nc : nc + nk], avals[nc:])]

    def step(carry: list[Any], x: list[Any]) -> tuple[list[Any], list[Any]]:
        outs = _eval_jaxpr(body.jaxpr, body.consts, [*consts, *carry, *x])
        new = [_explicit(p, a) for p, a in zip(outs[:nk], avals[nc:])]
        return new, [_explicit(p) for p in outs[nk:]]

    carry, ys = lax.scan(
        step,
        init,
        [_explicit(p) for p in xs],
        length=params["length"],
        reverse=params["reverse"],
        unroll=params["unroll"],
    )
    return [*carry, *ys]


def _while(params: dict[str, Any], pairs: Sequence[tuple[Any, Any]]) -> list[Any]:
    """``lax.while_loop`` (and ``fori_loop``) with the bound in the carry; the
    condition reads the values only."""
    cond, body = params["cond_jaxpr"], params["body_jaxpr"]
    cn, bn = params["cond_nconsts"], params["body_nconsts"]
    cconsts = [v for v, _ in pairs[:cn]]
    bconsts = list(pairs[cn : cn + bn])
    avals = [v.aval for v in body.jaxpr.invars[bn:]]
    init = [_explicit(p, a) for p, a in zip(pairs[cn + bn :], avals)]

    def keep_going(carry: list[Any]) -> Any:
        (out,) = core.jaxpr_as_fun(cond)(*cconsts, *[v for v, _ in carry])
        return out

    def step(carry: list[Any]) -> list[Any]:
        outs = _eval_jaxpr(body.jaxpr, body.consts, [*bconsts, *carry])
        return [_explicit(p, a) for p, a in zip(outs, avals)]

    return lax.while_loop(keep_going, step, init)


def _cond(params: dict[str, Any], pairs: Sequence[tuple[Any, Any]]) -> list[Any]:
    """``lax.cond``/``lax.switch``: the bound of the branch taken."""
    (index, _), operands = pairs[0], list(pairs[1:])
    branches = params["branches"]
    out_avals = [v.aval for v in branches[0].jaxpr.outvars]

    def branch(b: Any) -> Callable[[list[Any]], list[Any]]:
        def run(ops: list[Any]) -> list[Any]:
            outs = _eval_jaxpr(b.jaxpr, b.consts, ops)
            return [_explicit(p, a) for p, a in zip(outs, out_avals)]

        return run

    return lax.switch(index, [branch(b) for b in branches], operands)


def _linear_solve(params: dict[str, Any], pairs: Sequence[tuple[Any, Any]]):
    """``lax.custom_linear_solve`` (``jnp.linalg.solve``, ``inv``): the bound of
    its ``solve`` jaxpr, which is what runs (its factors carry the matrix's
    errors)."""
    lengths = params["const_lengths"]
    start = lengths.matvec + lengths.vecmat
    solve = params["jaxprs"].solve
    consts = list(pairs[start : start + lengths.solve])
    b = list(pairs[sum(lengths) :])
    return _eval_jaxpr(solve.jaxpr, solve.consts, [*consts, *b])


_CONTROL = {
    "scan": _scan,
    "while": _while,
    "cond": _cond,
    "custom_linear_solve": _linear_solve,
}


def _eval_jaxpr(jaxpr: Any, consts: Sequence[Any], args: Sequence[tuple[Any, Any]]):
    """Evaluate ``jaxpr`` on (value, error bound) pairs; returns pairs for outputs."""
    env: dict[Any, tuple[Any, Any]] = {}

    def read(v: Any) -> tuple[Any, Any]:
        if isinstance(v, core.Literal):
            val = v.val
            return val, _constant_error(val)
        return env[v]

    for var, c in zip(jaxpr.constvars, consts):
        env[var] = (c, _constant_error(c))
    for var, pair in zip(jaxpr.invars, args):
        env[var] = pair

    for eqn in jaxpr.eqns:
        pairs = [read(v) for v in eqn.invars]
        primals = [p for p, _ in pairs]
        errors = [e for _, e in pairs]
        name = eqn.primitive.name
        params = dict(eqn.params)
        sub = _sub_jaxpr(params)

        if name in _CONTROL and any(
            _is_float(p) for p in [*primals, *(v.aval for v in eqn.outvars)]
        ):
            results = _CONTROL[name](params, pairs)
        elif sub is not None and name not in _CONTROL:
            closed = sub if hasattr(sub, "jaxpr") else None
            inner = closed.jaxpr if closed is not None else sub
            inner_consts = closed.consts if closed is not None else ()
            n_in = len(inner.invars)
            results = _eval_jaxpr(inner, inner_consts, pairs[len(pairs) - n_in :])
        else:
            outs = eqn.primitive.bind(*primals, **params)
            outs = list(outs) if eqn.primitive.multiple_results else [outs]
            if not any(_is_float(o) for o in outs):
                bounds = [None for _ in outs]  # comparisons, integers: exact
            elif name == "convert_element_type":
                (o,) = outs
                if not _is_float(o):
                    bounds = [None]
                else:
                    narrowing = _u(o) > _u(primals[0])
                    e = errors[0]
                    if narrowing:
                        e = _rounding(o) if e is None else e + _rounding(o)
                    bounds = [e]
            elif all(e is None for e in errors) and (
                name in _DATA_MOVEMENT or name in _IDENTITY
            ):
                bounds = [None for _ in outs]  # moving exact values: still exact
            elif not any(_is_float(p) for p in primals):
                # No real operand (integers, or none at all): a few ulps.
                bounds = [
                    _rounding(o, _LIBRARY_ULPS) if _is_float(o) else None for o in outs
                ]
            elif name in _IDENTITY:
                bounds = list(errors[: len(outs)])
            elif name == "dot_general":
                bounds = [_dot_general_bound(params, *primals, *errors, outs[0])]
            elif name == "reduce_sum":
                bounds = [_reduce_sum_bound(params, primals[0], errors[0], outs[0])]
            elif name in OWN_ROUNDING:
                bounds = _RULES[name](params, primals, errors, outs)
            else:
                generic = name not in _RULES and name not in _STRUCTURAL
                bounds = _propagate(
                    eqn.primitive, params, primals, errors, outs, eqn.outvars
                )
                if not bounds:
                    bounds = [_zero_error(o) for o in outs]
                if name not in _DATA_MOVEMENT:
                    ulps = own_ulps(name, params, jnp.shape(primals[0]))
                    bounds = [
                        None
                        if b is None or not _is_float(o)
                        else b + _rounding(o, ulps)
                        for o, b in zip(outs, bounds)
                    ]
                    if generic:
                        wide = _difference_from_float64(
                            eqn.primitive, params, primals, outs
                        )
                        if wide is not None:
                            bounds = [
                                b if b is None or w is None else b + w
                                for b, w in zip(bounds, wide)
                            ]
            bounds = [b if _is_float(o) else None for o, b in zip(outs, bounds)]
            results = list(zip(outs, bounds))

        for var, pair in zip(eqn.outvars, results):
            env[var] = pair

    return [read(v) for v in jaxpr.outvars]


def with_error_bound(
    fn: Callable[..., Any], *example_args: Any
) -> Callable[..., tuple[jax.Array, jax.Array]]:
    """Wrap ``fn`` so it returns ``(value, bound)`` with ``|value − exact| ≤ bound``.

    ``fn`` must return one array. ``example_args`` (arrays or
    ``jax.ShapeDtypeStruct``) fix the shapes and dtypes it is traced at. The
    wrapped function is itself traceable: it can be vmapped and jitted.

    ``fn`` is traced as it would run in a program of the arguments' precision:
    with float64 off for float32 (or lower) arguments, so ``jnp.eye(n)`` is float32
    there, as it is for anyone who has not turned float64 on.
    """
    closed = trace_as_written(fn, *example_args)

    def bounded(*args: Any) -> tuple[jax.Array, jax.Array]:
        pairs = [(x, None) for x in args]  # inputs are exact
        ((value, bound),) = _eval_jaxpr(closed.jaxpr, closed.consts, pairs)
        if bound is None:
            bound = jnp.zeros(jnp.shape(value), jnp.float64)
        return value, bound

    return bounded


def trace_as_written(fn: Callable[..., Any], *example_args: Any) -> Any:
    """``jax.make_jaxpr(fn)`` with float64 on only if a real argument is float64."""
    wide = any(
        jnp.issubdtype(a.dtype, jnp.floating) and jnp.finfo(a.dtype).bits >= 64
        for a in example_args
    )
    with jax.enable_x64(
        wide or not any(jnp.issubdtype(a.dtype, jnp.floating) for a in example_args)
    ):
        return jax.make_jaxpr(fn)(*example_args)
