"""A NumPy interpreter of jaxprs over a batch of points, with rounding-error bounds.

A check of a few thousand points at small shapes does microseconds of arithmetic
per operation, but compiling it with XLA costs a fraction of a second per case.
This module evaluates the same jaxprs (traced by JAX: the closed form, and
``jax.grad``/``jacfwd``/``jacrev``/``hessian`` of the function) one equation at
a time with NumPy, in each value's own dtype, every point at once.

Batching: every value carries a leading points axis, of the batch's size or of
size 1 for a value that is the same at every point (constants, literals,
``iota``). An equation's parameters name axes of one point, so each rule shifts
them by one; elementwise rules rely on NumPy's broadcasting of the size-1 axis.
This is what ``jax.vmap`` does, without tracing anything again
(``checks._src.evaluate.interpret_batch``).

Values: each primitive's value rule lives with those of its kind
(``checks._src.evaluate.interpret_elementwise``, ``_reduce``, ``_shape``, ``_windows``,
``_random``, ``_linalg``); this module joins them into one table and runs a
jaxpr's equations through it.

Bounds: with ``bounds=True`` every value also carries ``e ≥ |v̂ − v|``, by the rule
table of ``checks._src.evaluate.error_rules`` (Higham, *Accuracy and Stability of
Numerical Algorithms*, §3.3) in NumPy (``RULES``), the very rules
``checks._src.evaluate.rounding`` applies in JAX, so a verdict does not depend on which
of the two evaluated it.

Control flow: each point may take its own branch of a ``cond`` and loop its own number
of times in a ``while``; every branch is evaluated and each point keeps its own, and a
loop runs until no point continues (``checks._src.evaluate.interpret_control``).

Anything this module does not implement raises ``Unsupported`` before a point
is evaluated (``supported`` walks the jaxpr first); the check is then compiled
with XLA as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from jax.extend import core
from numpy.typing import ArrayLike

from checks._src.evaluate import error_rules as rules
from checks._src.evaluate import (
    interpret_control,
    interpret_elementwise,
    interpret_linalg,
    interpret_random,
    interpret_reduce,
    interpret_shape,
    interpret_windows,
)
from checks._src.evaluate.interpret_batch import (
    Pair,
    Rule,
    Unsupported,
    floating,
    flush,
    full_batch,
    n_points,
    to_rank,
)
from checks._src.evaluate.interpret_control import (
    CALLS,
    CONTROL,
    closed_jaxpr,
    sub_jaxpr,
)
from checks._src.run import caches

__all__ = ["RULES", "Unsupported", "evaluate", "supported"]

# Value rules: (params, *operands) -> result (or list of results). The result is
# cast to the equation's output dtype afterwards.
_VALUES: dict[str, Rule] = {
    **interpret_elementwise.VALUES,
    **interpret_reduce.VALUES,
    **interpret_shape.VALUES,
    **interpret_windows.VALUES,
    **interpret_random.VALUES,
    **interpret_control.VALUES,
    **interpret_linalg.VALUES,
}

# Operand shapes equal the output's, except scalars, which broadcast.
_ELEMENTWISE = {
    name for name, rule in _VALUES.items() if getattr(rule, "elementwise", False)
} | {"integer_pow", "select_n", "clamp", "convert_element_type"}


def _has_bound(eqn: core.JaxprEqn) -> bool:
    name = eqn.primitive.name
    if not any(floating(v.aval.dtype) for v in eqn.outvars):
        return True
    if not any(floating(v.aval.dtype) for v in eqn.invars):
        return True
    return (
        name in RULES
        or name in rules.STRUCTURAL
        or name in rules.IDENTITY
        or name == "convert_element_type"
    )


def supported(jaxpr: core.Jaxpr | core.ClosedJaxpr, *, bounds: bool = False) -> bool:
    """Whether every equation of ``jaxpr`` (nested ones too) can be evaluated,
    with its rounding-error bound if ``bounds``."""
    stack = [jaxpr.jaxpr if hasattr(jaxpr, "jaxpr") else jaxpr]
    while stack:
        j = stack.pop()
        for eqn in j.eqns:
            name = eqn.primitive.name
            sub = sub_jaxpr(eqn)
            if sub is not None and name in CALLS:
                stack.append(closed_jaxpr(sub)[0])
            elif name in CONTROL:
                stack.extend(
                    closed_jaxpr(j)[0]
                    for j in interpret_control.control_jaxprs(eqn.params)
                )
            elif name not in _VALUES or (bounds and not _has_bound(eqn)):
                return False
    return True


def _apply(name: str, params: dict[str, Any], *xs: np.ndarray) -> list[np.ndarray]:
    """Primitive ``name`` evaluated here, for the rules that apply one to bounds."""
    out = _VALUES[name](params, *xs)
    return list(out) if isinstance(out, list) else [out]


# The rule table of ``checks._src.evaluate.error_rules`` in NumPy, over a leading points
# axis.
RULES: dict[str, rules.Rule] = rules.rule_table(np, 1, _apply)


def _no_rule(name: str) -> Callable[[], list[np.ndarray | None]]:
    def refuse() -> list[np.ndarray | None]:
        raise Unsupported(f"no rounding-error rule for {name}")

    return refuse


def _bounds(
    name: str,
    params: dict[str, Any],
    xs: Sequence[np.ndarray],
    es: Sequence[np.ndarray | None],
    outs: Sequence[np.ndarray],
) -> list[np.ndarray | None]:
    """The bounds of one equation's outputs:
    ``checks._src.evaluate.error_rules.equation_bounds``."""
    return rules.equation_bounds(
        np, 1, RULES, _apply, name, params, xs, es, outs, generic=_no_rule(name)
    )


# Primitives that move bits without arithmetic: XLA's CPU leaves their
# subnormal values alone (it flushes those of arithmetic: FTZ and DAZ). Maxima
# and minima are compared by the processor, which reads a subnormal as zero;
# the total-order comparisons compare bit patterns, which keep it.
_COMPARES = {
    "max",
    "min",
    "reduce_max",
    "reduce_min",
    "cummax",
    "cummin",
    "clamp",
    "reduce_window_max",
    "reduce_window_min",
}
_KEEPS_BITS = (
    rules.DATA_MOVEMENT
    | rules.IDENTITY
    | {"bitcast_convert_type", "random_wrap", "random_unwrap", "iota", "is_finite"}
    | {"eq_to", "lt_to", "le_to"}
) - _COMPARES


def _as_dtype(x: ArrayLike, dtype: np.dtype | object) -> np.ndarray:
    """``x`` in the equation's output dtype; a PRNG key stays its uint32 words."""
    x = np.asarray(x)
    if not isinstance(dtype, np.dtype) or x.dtype == dtype:
        return x
    return x.astype(dtype)


_LITERALS: dict[tuple[np.dtype, tuple[int, ...], bytes], Pair] = caches.register({})


def _literal(v: core.Literal) -> Pair:
    """A literal with its points axis, and its error: made once per value."""
    x = np.asarray(v.val, dtype=v.aval.dtype)
    key = (x.dtype, x.shape, x.tobytes()) if x.size <= 16 else None
    pair = _LITERALS.get(key) if key is not None else None
    if pair is None:
        x = x[None]
        pair = (x, rules.constant_error(np, x))
        if key is not None and len(_LITERALS) < 4096:
            x.setflags(write=False)
            _LITERALS[key] = pair
    return pair


def _primitive(eqn: core.JaxprEqn, pairs: Sequence[Pair], bounds: bool) -> list[Pair]:
    """One equation of a primitive with a value rule: its outputs in their
    dtypes, flushed as XLA's CPU flushes them, and their bounds."""
    name = eqn.primitive.name
    rule = _VALUES.get(name)
    if rule is None:
        raise Unsupported(name)
    xs = [p for p, _ in pairs]
    es = [e for _, e in pairs]
    if name in _ELEMENTWISE:  # a scalar operand broadcasts
        rank = len(eqn.outvars[0].aval.shape)
        xs = [to_rank(x, rank) for x in xs]
        es = [None if e is None else to_rank(e, rank) for e in es]
    computes = name not in _KEEPS_BITS
    if computes:  # subnormal operands read as zero, as on XLA's CPU
        xs = [flush(x) for x in xs]
    out = rule(eqn.params, *xs)
    outs = out if isinstance(out, list) else [out]
    outs = [_as_dtype(o, v.aval.dtype) for o, v in zip(outs, eqn.outvars)]
    if computes:  # and subnormal results are flushed to zero
        outs = [flush(o) for o in outs]
    if bounds:
        es = _bounds(name, eqn.params, xs, es, outs)
    else:
        es = [None for _ in outs]
    return list(zip(outs, es))


def _eval(
    jaxpr: core.Jaxpr,
    consts: Sequence[ArrayLike],
    args: Sequence[Pair],
    bounds: bool,
) -> list[Pair]:
    env: dict[core.Var, Pair] = {}

    def read(v: core.Var | core.Literal) -> Pair:
        if isinstance(v, core.Literal):
            x, e = _literal(v)
            return x, (e if bounds else None)
        return env[v]

    for var, c in zip(jaxpr.constvars, consts):
        x = np.asarray(c)[None]
        env[var] = (x, rules.constant_error(np, x) if bounds else None)
    for var, pair in zip(jaxpr.invars, args):
        env[var] = pair

    for eqn in jaxpr.eqns:
        pairs = [read(v) for v in eqn.invars]
        name = eqn.primitive.name
        sub = sub_jaxpr(eqn) if name in CALLS else None
        if name in CONTROL:
            results = CONTROL[name](eqn, pairs, bounds, _eval)
        elif sub is not None:
            inner, inner_consts = closed_jaxpr(sub)
            n_in = len(inner.invars)
            results = _eval(inner, inner_consts, pairs[len(pairs) - n_in :], bounds)
        else:
            results = _primitive(eqn, pairs, bounds)
        for var, pair in zip(eqn.outvars, results):
            env[var] = pair
    return [read(v) for v in jaxpr.outvars]


def evaluate(
    closed: core.ClosedJaxpr, args: Sequence[ArrayLike], *, bounds: bool = False
) -> list[Pair]:
    """Evaluate a closed jaxpr of one point at every point of ``args``.

    ``args`` carry a leading points axis (all of one size). Returns, for each
    output, ``(values, bounds)`` with the points axis; ``bounds`` is None unless
    asked for, and None for an exact output. Raises ``Unsupported`` for an
    equation it cannot evaluate.
    """
    n = n_points(args) if args else 1
    pairs = [(np.asarray(a), None) for a in args]
    with np.errstate(all="ignore"):
        outs = _eval(closed.jaxpr, closed.consts, pairs, bounds)
    return [
        (full_batch(v, n), None if e is None else full_batch(e, n)) for v, e in outs
    ]
