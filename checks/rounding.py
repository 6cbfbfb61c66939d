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

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend import core

__all__ = ["rounding_unit", "with_error_bound"]

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
    "reduce_min",
    "cumsum",
}
# Operations that only move or select data: errors pass through, no rounding
# (a cumulative sum rounds, so it is not one of them).
_DATA_MOVEMENT = (_STRUCTURAL - {"cumsum"}) | {
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
_CORRECTLY_ROUNDED = {"add", "add_any", "sub", "mul", "div", "sqrt", "rsqrt"}
# Library functions (exp, log, tanh, …): a few ulps.
_LIBRARY_ULPS = 4.0
# Values passed through unchanged, derivative or not.
_IDENTITY = {"stop_gradient", "reduce_precision"}


def own_ulps(name: str, params: dict[str, Any], shape: Sequence[int]) -> float:
    """The rounding an operation adds, in ulps of its result: one for those
    IEEE 754 rounds correctly, a few for library functions, and K − 1 for a
    product of K terms (one rounding per multiplication)."""
    if name in _CORRECTLY_ROUNDED:
        return 1.0
    if name == "reduce_prod":
        terms = int(np.prod([shape[d] for d in params["axes"]]))
        return max(_LIBRARY_ULPS, float(terms - 1))
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


def _jvp_bound(
    prim: Any, params: dict[str, Any], primals: Sequence[Any], errors: Sequence[Any]
) -> list[jax.Array | None]:
    """Σ_k |∂out/∂x_k · e_k|, each input's contribution taken separately.

    Evaluated at the primals upcast to float64 where the primitive allows, else at
    the primals' own dtype.
    """

    def tangent_outputs(xs: Sequence[Any], k: int, e: jax.Array) -> list[Any]:
        def f(*args):
            out = prim.bind(*args, **params)
            return list(out) if prim.multiple_results else [out]

        tangents = []
        for i, x in enumerate(xs):
            if not _is_float(x):
                tangents.append(np.zeros(np.shape(x), jax.dtypes.float0))
            elif i == k:
                tangents.append(e.astype(jnp.result_type(x)))
            else:
                tangents.append(jnp.zeros(jnp.shape(x), jnp.result_type(x)))
        _, outs = jax.jvp(f, list(xs), tangents)
        return outs

    upcast = [
        jnp.asarray(x).astype(jnp.float64) if _is_float(x) else x for x in primals
    ]
    out_bounds: list[jax.Array | None] | None = None
    for k, e in enumerate(errors):
        if e is None:
            continue
        try:
            outs = tangent_outputs(upcast, k, e)
        except Exception:  # a primitive whose parameters pin its dtype
            outs = tangent_outputs(primals, k, e)
        parts = [
            _abs64(t)
            if t is not None and jnp.result_type(t) != jax.dtypes.float0
            else None
            for t in outs
        ]
        if out_bounds is None:
            out_bounds = parts
        else:
            out_bounds = [
                a if b is None else (b if a is None else a + b)
                for a, b in zip(out_bounds, parts)
            ]
    return out_bounds or []


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


def arithmetic_rules(xp: Any) -> dict[str, Callable[..., list[Any]]]:
    """The propagation rules of arithmetic and library functions, written once
    over the array namespace ``xp``: ``jax.numpy`` here, NumPy in
    ``checks.interpret``. Each ``rule(params, xs, es, outs)`` returns the bound
    carried from the operands' errors ``es`` (None: exact), before the result's
    own rounding."""

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
        (x, y), (ex, ey) = xs, es
        parts = [
            None if ex is None else abs64(y) * ex,
            None if ey is None else abs64(x) * ey,
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
        y = int(params["y"])
        return [xp.abs(y * x64(xs[0]) ** (y - 1)) * err(es[0], xs[0])]

    rules = {name: sum_rule for name in ("add", "add_any", "sub", "neg")}
    rules.update(mul=mul_rule, div=div_rule, max=max_min_rule, min=max_min_rule)
    rules["integer_pow"] = integer_pow_rule
    rules.update({name: unary(f) for name, f in DERIVATIVES.items()})
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


_RULES: dict[str, Callable[..., list[jax.Array]]] = arithmetic_rules(jnp)
_RULES["select_n"] = _select_rule


def _propagate(prim: Any, params: dict[str, Any], xs, es, outs) -> list[Any]:
    """Σ_k |∂z/∂x_k|·e_k: an explicit rule, the operation itself for data
    movement, else ``jax.jvp`` one input at a time."""
    rule = _RULES.get(prim.name)
    if rule is not None:
        return rule(params, xs, es, outs)
    if prim.name in _STRUCTURAL:
        try:
            return _same_op_on_errors(params, xs, es, outs, prim)
        except Exception:  # an operation that insists on its operands' dtype
            pass
    return _jvp_bound(prim, params, xs, es)


def _sub_jaxpr(params: dict[str, Any]) -> Any:
    for key in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
        if key in params:
            return params[key]
    return None


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

        if sub is not None and name not in ("cond", "while", "scan"):
            closed = sub if hasattr(sub, "jaxpr") else None
            inner = closed.jaxpr if closed is not None else sub
            inner_consts = closed.consts if closed is not None else ()
            n_in = len(inner.invars)
            results = _eval_jaxpr(inner, inner_consts, pairs[len(pairs) - n_in :])
        else:
            outs = eqn.primitive.bind(*primals, **params)
            outs = list(outs) if eqn.primitive.multiple_results else [outs]
            if name == "convert_element_type":
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
            else:
                bounds = _propagate(eqn.primitive, params, primals, errors, outs)
                if not bounds:
                    bounds = [_zero_error(o) for o in outs]
                if name not in _DATA_MOVEMENT:
                    ulps = own_ulps(name, params, jnp.shape(primals[0]))
                    bounds = [
                        None if b is None else b + _rounding(o, ulps)
                        for o, b in zip(outs, bounds)
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
