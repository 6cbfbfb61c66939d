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

where η = tiny (the smallest normal number) covers a result that underflows; so a result
that is a small difference of large terms gets a large bound: the ``u·|z|`` of each
large intermediate survives the cancellation. Operations that only move data (reshape,
transpose, gather, select, …) pass errors through without rounding. The rules, and which
applies to an equation, are the table of ``checks._src.evaluate.error_rules`` (shared
with the NumPy engine, ``checks._src.evaluate.interpret``); this module applies it
inside JAX, with the control flow (scan, while, cond, linear solves) and, for a
primitive the table has no rule for, ``Σ_k |∂z/∂x_k · e_k|`` from the Jacobian plus its
rounding.

The bounds are computed in float64 whatever the dtype of the computation, so
they neither underflow nor round away.

Reference: N. J. Higham, *Accuracy and Stability of Numerical Algorithms*,
2nd ed., SIAM 2002, §3.3 (running error analysis) and §3.1 (inner products).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend import core

from checks._src.evaluate import error_rules as rules
from checks._src.evaluate.roundoff import is_float, unit

__all__ = [
    "ESTIMATED",
    "RULES",
    "NoErrorBound",
    "is_estimated",
    "rounding_unit",
    "with_error_bound",
]


class NoErrorBound(NotImplementedError):
    """A primitive whose rounding error this module cannot bound."""


def rounding_unit(dtype: Any) -> float:
    """u = ε/2 for the dtype: the largest relative error of one rounding."""
    return float(jnp.finfo(dtype).eps) / 2.0


def _abs64(x: jax.Array) -> jax.Array:
    return jnp.abs(_widened(x)).astype(jnp.float64)


def _widened(x: Any) -> Any:
    """``x`` in float64, or complex128 for a complex ``x`` (a cast to float64
    would drop its imaginary part)."""
    x = jnp.asarray(x)
    wide = jnp.complex128 if jnp.iscomplexobj(x) else jnp.float64
    return x.astype(wide)


def _directions(x: Any) -> list[Any]:
    """The unit tangent directions of an operand's entries: 1, and for a
    complex operand also i. An error δ with |δ| ≤ e moves a complex entry by
    Re δ along 1 and Im δ along i, so |J δ| ≤ (|J·1| + |J·i|)·e."""
    x = jnp.asarray(x)
    if jnp.iscomplexobj(x):
        return [jnp.asarray(1.0, x.dtype), jnp.asarray(1j, x.dtype)]
    return [jnp.asarray(1.0, x.dtype)]


def _zero_error(x: Any) -> jax.Array | None:
    """An explicit zero bound. Exact values carry None instead, so that no
    constant array of zeros reaches XLA, which may spend seconds folding a large
    one through reductions."""
    return jnp.zeros(jnp.shape(x), jnp.float64) if is_float(x) else None


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


# The most Jacobian entries (per point) the generic rule forms: 2²⁴ float64, 128 MiB.
JACOBIAN_LIMIT = 1 << 24


def _check_jacobian_size(prim: Any, primals, errors, outs_like) -> None:
    """NoErrorBound, naming the primitive, where the generic rule would form a
    Jacobian of more than ``JACOBIAN_LIMIT`` entries (a primitive without a rule
    on a large operand: a case error, not an allocation the size of n²)."""
    if prim.name in _ELEMENTWISE:
        return
    size_out = sum(int(np.prod(o.shape)) for o in outs_like)
    for x, e in zip(primals, errors):
        if e is None or not is_float(x):
            continue
        entries = size_out * int(np.prod(jnp.shape(x)))
        if entries > JACOBIAN_LIMIT:
            raise NoErrorBound(
                f"no rounding-error rule for primitive {prim.name!r}, and the "
                f"generic rule would form its {entries:,}-entry Jacobian "
                f"(limit {JACOBIAN_LIMIT:,})"
            )


def _direction_bound(
    prim: Any, f: Callable[[Any], list[Any]], zero: Any, e: Any, outs_like
) -> list[Any]:
    """Σ_k |∂z/∂t_k|·e_k for ``f`` of a real tangent ``t`` (at ``zero``): one
    JVP where the Jacobian is diagonal (an elementwise primitive), else the
    Jacobian itself."""
    if prim.name in _ELEMENTWISE and all(
        tuple(o.shape) == jnp.shape(zero) or not jnp.shape(zero) for o in outs_like
    ):  # a diagonal Jacobian: one JVP, each output from one entry
        _, ts = jax.jvp(f, (zero,), (jnp.ones_like(zero),))
        return [_abs64(t) * e if is_float(o) else None for t, o in zip(ts, outs_like)]
    jacs = jax.jacfwd(f)(zero)
    size_in = int(np.prod(jnp.shape(zero)))
    flat_e = jnp.reshape(e, (size_in,)).astype(jnp.float64)
    parts = []
    for j, o in zip(jacs, outs_like):
        if not is_float(o):
            parts.append(None)
            continue
        shape_out = jnp.shape(j)[: jnp.ndim(j) - jnp.ndim(zero)]
        j = jnp.reshape(_abs64(j), (-1, size_in))
        parts.append(jnp.reshape(j @ flat_e, shape_out))
    return parts


def _jacobian_bound(
    prim: Any,
    params: dict[str, Any],
    primals: Sequence[Any],
    errors: Sequence[Any],
    outvars: Sequence[Any],
) -> list[jax.Array | None]:
    """Σ_k |∂z/∂x_k|·e_k with the absolute value of each Jacobian entry, so that
    terms of opposite sign do not cancel (a JVP with the errors as tangent may
    sum to 0); for a complex operand, |∂z/∂ Re x_k| + |∂z/∂ Im x_k| (the
    primitive need not be holomorphic: ``real``, ``abs``, an FFT of either
    kind). First order; the Jacobian is taken at the primals upcast to float64
    (complex128) where the primitive allows."""
    multiple = prim.multiple_results
    outs_like = [v.aval for v in outvars]

    def bound_at(xs: Sequence[Any]) -> list[Any]:
        total: list[Any] | None = None
        for k, e in enumerate(errors):
            if e is None or not is_float(xs[k]):
                continue
            for d in _directions(xs[k]):

                def f(t: Any, k: int = k, d: Any = d) -> list[Any]:
                    args = list(xs)
                    args[k] = xs[k] + t.astype(d.dtype) * d
                    out = prim.bind(*args, **params)
                    out = list(out) if multiple else [out]
                    return [o if is_float(o) else jnp.zeros(()) for o in out]

                zero = jnp.zeros(jnp.shape(xs[k]), jnp.abs(d).dtype)
                total = _sum_parts(total, _direction_bound(prim, f, zero, e, outs_like))
        return total or []

    _check_jacobian_size(prim, primals, errors, outs_like)
    if not _has_jaxpr_param(params):
        try:
            return bound_at([_widened(x) if is_float(x) else x for x in primals])
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
        not is_float(o) or unit(o) <= rounding_unit(jnp.float64) for o in outs
    ):
        return None
    try:
        wide = prim.bind(
            *[_widened(x) if is_float(x) else x for x in primals], **params
        )
    except Exception:  # a primitive whose parameters pin its dtype
        return None
    wide = list(wide) if prim.multiple_results else [wide]
    return [
        _abs64(_widened(w) - _widened(o)) if is_float(o) else None
        for w, o in zip(wide, outs)
    ]


# Every primitive by name, for the rules that apply one to bounds.
_PRIMITIVES = {
    v.name: v
    for space in (lax, lax.linalg)
    for v in vars(space).values()
    if isinstance(v, core.Primitive)
}


def _apply(prim: Any, name: str, params: dict[str, Any], *args: Any) -> list[Any]:
    """Primitive ``name`` (``prim`` itself when it is the one named) on ``args``;
    a scatter rebuilt from its dimension numbers, whatever its combiner."""
    if name in ("scatter", "scatter-add", "scatter_add"):
        fn = lax.scatter if name == "scatter" else lax.scatter_add
        return [
            fn(
                *args,
                params["dimension_numbers"],
                indices_are_sorted=params["indices_are_sorted"],
                unique_indices=params["unique_indices"],
                mode=params["mode"],
            )
        ]
    p = prim if prim is not None and prim.name == name else _PRIMITIVES[name]
    out = p.bind(*args, **params)
    return list(out) if p.multiple_results else [out]


# The rule table of ``checks._src.evaluate.error_rules`` in jax.numpy, the
# linear-algebra rules included (the same table as the NumPy engine's).
_RULES: dict[str, rules.Rule] = rules.rule_table(
    jnp, 0, functools.partial(_apply, None)
)
RULES = _RULES
ESTIMATED = rules.ESTIMATED


def is_estimated(name: str) -> bool:
    """Whether the bound of primitive ``name`` is an estimate (see the README's
    error-model table) rather than an upper bound from a rounding-error result:
    a rule in ``ESTIMATED``, or the generic rule (``Σ|∂z/∂x|·e`` from the
    Jacobian, plus |z − z₆₄| below float64 and a few ulps)."""
    if name in ESTIMATED:
        return True
    known = (
        set(_RULES)
        | rules.STRUCTURAL
        | rules.DATA_MOVEMENT
        | rules.IDENTITY
        | set(_CONTROL)
    )
    return name not in known | {"convert_element_type"}


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
    if not is_float(v):
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

    def go(carry: list[Any]) -> Any:
        (out,) = core.jaxpr_as_fun(cond)(*cconsts, *[v for v, _ in carry])
        return out

    def step(carry: list[Any]) -> list[Any]:
        outs = _eval_jaxpr(body.jaxpr, body.consts, [*bconsts, *carry])
        new = [_explicit(p, a) for p, a in zip(outs, avals)]
        if not batched:
            return new
        where = go(carry)  # per batch element: the carries' leading axes
        return [
            tuple(_where_leading(where, n, c) for n, c in zip(pn, pc))
            for pn, pc in zip(new, carry)
        ]

    # A condition of shape (B, …) (``jax.vmap`` of a while loop): the loop runs
    # while any element's holds, each element keeping its carry once its own
    # fails (as XLA's lowering of such a loop selects).
    batched = bool(cond.out_avals[0].shape)
    keep_going = (lambda c: jnp.any(go(c))) if batched else go
    return lax.while_loop(keep_going, step, init)


def _where_leading(go: Any, new: Any, old: Any) -> Any:
    """``new`` where ``go`` holds, ``go`` broadcast along the leading axes."""
    if new is None:
        return None
    g = lax.broadcast_in_dim(go, jnp.shape(new), tuple(range(jnp.ndim(go))))
    return jnp.where(g, new, old)


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
            return val, rules.constant_error(jnp, val)
        return env[v]

    for var, c in zip(jaxpr.constvars, consts):
        env[var] = (c, rules.constant_error(jnp, c))
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
            is_float(p) for p in [*primals, *(v.aval for v in eqn.outvars)]
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
            bounds = _equation_bounds(eqn, params, primals, errors, outs)
            results = list(zip(outs, bounds))

        for var, pair in zip(eqn.outvars, results):
            env[var] = pair

    return [read(v) for v in jaxpr.outvars]


def _equation_bounds(eqn: Any, params: dict[str, Any], xs, es, outs) -> list[Any]:
    """``checks._src.evaluate.error_rules.equation_bounds`` in JAX: for a primitive
    without a rule, ``Σ_k |∂z/∂x_k|·e_k`` from the Jacobian, plus |z − z₆₄| below
    float64."""
    prim = eqn.primitive
    return rules.equation_bounds(
        jnp,
        0,
        _RULES,
        functools.partial(_apply, prim),
        prim.name,
        params,
        xs,
        es,
        outs,
        generic=lambda: _jacobian_bound(prim, params, xs, es, eqn.outvars),
        widen=lambda: _difference_from_float64(prim, params, xs, outs),
    )


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
