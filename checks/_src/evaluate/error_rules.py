"""The rounding-error rule table, written once for both engines.

Every value ``v`` of a check carries a bound ``e_v ≥ |v̂ − v|`` on its absolute
error (Wilkinson's running error analysis: N. J. Higham, *Accuracy and
Stability of Numerical Algorithms*, 2nd ed., SIAM 2002, §3.3). Each primitive
propagates its operands' errors and adds its own rounding; this module says how,
once, over an array namespace ``xp``:

* ``checks._src.evaluate.rounding`` evaluates a jaxpr inside JAX (``xp = jax.numpy``;
  the XLA engine), and ``checks._src.evaluate.interpret`` evaluates it with NumPy over a
  batch of points (``xp = numpy``, one leading points axis).
* ``rule_table(xp, lead, apply)`` is the dict from primitive name to rule, the rules of
  sums of ``checks._src.evaluate.rounding_sums`` and the linear-algebra rules of
  ``checks._src.evaluate.rounding_linalg`` included (a dtype's u, tiny and one rounding
  are ``checks._src.evaluate.roundoff``'s); ``apply(name, params, *operands)`` evaluates
  a primitive in that engine (a rule of a linear operation applies the operation itself
  to bounds).
* The classification sets (``STRUCTURAL``, ``DATA_MOVEMENT``, ``IDENTITY``,
  ``OWN_ROUNDING``, ``ESTIMATED``) and ``equation_bounds``, which decides for
  one equation which of them applies, are shared too: the two engines cannot
  drift apart.

A rule ``rule(params, xs, es, outs)`` takes the operands ``xs``, their bounds
``es`` (float64, None for an exact operand) and the outputs ``outs``, and
returns the bound carried from the operands' errors, before the result's own
rounding, except for the primitives in ``OWN_ROUNDING``, whose rule includes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from checks._src.evaluate import rounding_linalg, rounding_sums
from checks._src.evaluate.roundoff import is_float, rounding_error, tiny, unit, wide

__all__ = [
    "DATA_MOVEMENT",
    "DERIVATIVES",
    "ESTIMATED",
    "IDENTITY",
    "LIBRARY_ULPS",
    "OWN_ROUNDING",
    "STRUCTURAL",
    "Rule",
    "constant_error",
    "equation_bounds",
    "own_ulps",
    "rule_table",
]

Rule = Callable[..., list[Any]]
Apply = Callable[..., list[Any]]

# Linear data movement: the same operation applied to the errors propagates them.
STRUCTURAL = frozenset(
    {
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
        "reduce_window_max",
        "cummax",
        "split",
        "stack",
        "unstack",
    }
)
# Operations that only move or select data: errors pass through, no rounding.
DATA_MOVEMENT = STRUCTURAL | {
    "reduce_min",
    "reduce_window_min",
    "cummin",
    "scatter",
    "select_n",
    "neg",
    "abs",
    "real",
    "max",
    "min",
    "sort",
    "top_k",
    "clamp",
    "optimization_barrier",
}
# Exact by IEEE 754 up to one rounding: one ulp.
CORRECTLY_ROUNDED = frozenset({"add", "add_any", "sub", "mul", "div", "sqrt"})
# Library functions (exp, log, tanh, …): a few ulps.
LIBRARY_ULPS = 4.0
# Library functions XLA's CPU computes less accurately, measured against long
# double over 20 000 points: log1p is off by up to 239 ulps (of u) in float64
# near x = −0.4, atanh, built on it, by 145; expm1 by 5.4 in float32; rsqrt,
# not correctly rounded, by 2.3 in float32.
LIBRARY_ULPS_OF = {"log1p": 512.0, "atanh": 512.0, "expm1": 8.0, "rsqrt": 4.0}
# Complex arithmetic rounds more than once per result, relative to |z|
# (Higham, §3.6): a product √2·γ₂ (3 ulps), a quotient √2·γ₇ (Smith's
# algorithm: 10), a modulus √(x² + y²) a few (it is not data movement).
COMPLEX_ULPS = {"mul": 3.0, "div": 10.0, "abs": LIBRARY_ULPS}
# Values passed through unchanged, derivative or not.
IDENTITY = frozenset({"stop_gradient"})
# Zero derivative: only their own rounding (none, for these exact operations).
FLAT = frozenset({"floor", "ceil", "sign", "round"})
# Rules that include the result's own rounding: sums of K terms (K roundings
# into an element) and the linear-algebra factorizations.
OWN_ROUNDING = rounding_sums.NAMES | {"reduce_precision"} | rounding_linalg.NAMES


def own_ulps(name: str, params: dict[str, Any], shape: Sequence[int]) -> float:
    """The rounding an operation adds, in ulps of its result: one for those
    IEEE 754 rounds correctly, a few for library functions, and K − 1 for a
    product of K terms (one rounding per multiplication)."""
    if name in LIBRARY_ULPS_OF:
        return LIBRARY_ULPS_OF[name]
    if name in CORRECTLY_ROUNDED:
        return 1.0
    if name == "reduce_prod":
        terms = int(np.prod([shape[d] for d in params["axes"]]))
        return max(LIBRARY_ULPS, float(terms - 1))
    if name == "cumprod":  # at most n − 1 products into an element
        return max(1.0, float(shape[int(params["axis"])] - 1))
    if name == "cumlogsumexp":  # one log-add-exp per term
        return LIBRARY_ULPS * float(shape[int(params["axis"])])
    return LIBRARY_ULPS


def constant_error(xp: Any, c: Any) -> Any:
    """A constant's error: None (exact) for a short binary fraction (1, 0.5, 2,
    −3: exact in every dtype; a complex constant in both its parts), else one
    rounding (0.1 in float32 is not 0.1)."""
    if not is_float(c):
        return None
    v = np.asarray(c)
    parts = (v.real, v.imag) if np.iscomplexobj(v) else (v,)
    exact = all(
        np.all(~np.isfinite(a) | (np.round(a * 1024) == a * 1024))
        for a in (np.asarray(p, dtype=np.float64) for p in parts)
    )
    return None if exact else rounding_error(xp, c)


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
    "erf": lambda xp, x, z: (2.0 / np.sqrt(np.pi)) * xp.exp(-x * x),
    "erfc": lambda xp, x, z: (2.0 / np.sqrt(np.pi)) * xp.exp(-x * x),
}
# Library functions whose XLA implementation is not known to be within a few
# ulps (erfc's relative error grows with x², as exp(−x²) does): the XLA engine
# adds |z − z₆₄| for them as for a primitive without a rule. The NumPy engine
# computes them in float64 (C library, within an ulp) and rounds once.
MEASURED = frozenset({"erf", "erfc"})
# Rules resting on a constant no theorem fixes for every implementation: the few
# ulps of a library function, LAPACK-style normwise backward errors.
ESTIMATED = (
    rounding_linalg.ESTIMATED
    | frozenset(DERIVATIVES) - {"abs", "sqrt", "square"}
    | {"pow", "fft"}
)


def rule_table(xp: Any, lead: int, apply: Apply) -> dict[str, Rule]:
    """The dict from primitive name to rule, in the array namespace ``xp``:
    ``jax.numpy`` for ``checks._src.evaluate.rounding``, NumPy for
    ``checks._src.evaluate.interpret``, whose arrays carry ``lead`` leading axes (the
    points) before the axes that a primitive's parameters name. ``apply(name, params,
    *operands)`` evaluates a primitive in that engine, on float64 operands where a rule
    passes them."""

    def x64(x: Any) -> Any:
        return wide(xp, x)

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
            slope = xp.abs(derivative(xp, x64(xs[0]), x64(outs[0])))  # real
            return [slope * err(es[0], xs[0])]

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

    def minimum_rule(maximum: str) -> Rule:
        """|min x̂ − min x| ≤ maxᵢ eᵢ over the terms compared, as for the
        maximum: the smallest term may carry the largest error, so the smallest
        error bounds nothing. The maximum (``maximum``) of the errors."""

        def rule(params, xs, es, outs):
            return apply(maximum, params, err(es[0], xs[0]))

        return rule

    def reduce_precision_rule(params, xs, es, outs):
        """Rounding to ``mantissa_bits`` significant bits and ``exponent_bits``
        of exponent: ``e + 2^−(m+1)·|z| + tiny`` of the narrower format."""
        (e,), (z,) = es, outs
        m, k = int(params["mantissa_bits"]), int(params["exponent_bits"])
        smallest = max(2.0 ** (2 - 2 ** (k - 1)), tiny(z))
        bound = 2.0 ** -(m + 1) * abs64(z) + smallest
        return [bound if e is None else bound + e]

    rules = {name: sum_rule for name in ("add", "add_any", "sub", "neg")}
    rules.update(mul=mul_rule, div=div_rule, max=max_min_rule, min=max_min_rule)
    rules["reduce_min"] = minimum_rule("reduce_max")
    rules["cummin"] = minimum_rule("cummax")
    rules["reduce_window_min"] = minimum_rule("reduce_window_max")
    rules["reduce_precision"] = reduce_precision_rule

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
    rules.update({name: unary(f) for name, f in DERIVATIVES.items()})
    rules["square"] = square_rule

    def select_rule(params, xs, es, outs):
        """The bound of the case selected (the predicate is exact)."""
        which, *cases = xs
        errors = [err(e, c) for c, e in zip(cases, es[1:])]
        return apply("select_n", params, which, *errors)

    def flat_rule(params, xs, es, outs):
        """Zero derivative (floor, ceil, sign, round): no error carried."""
        return [xp.zeros(xp.shape(outs[0]), xp.float64)]

    def scatter_rule(params, xs, es, outs):
        """Data movement: the operand's error where no update lands, the
        update's where one does (the largest, where several land)."""
        (x, indices, updates), (ex, _, eu) = xs, es
        zeros = xp.zeros(xp.shape(x), xp.float64)
        ones = xp.ones(xp.shape(updates), xp.float64)
        landed = apply("scatter-add", params, zeros, indices, ones)[0] > 0
        moved = apply("scatter", params, zeros, indices, err(eu, updates))[0]
        return [xp.where(landed, moved, err(ex, x))]

    def top_k_rule(params, xs, es, outs):
        """The errors of the elements selected (to first order: a tie broken
        the other way selects an element within the same error)."""
        (x,), (e,), (_, indices) = xs, es, outs
        return [xp.take_along_axis(err(e, x), indices, axis=-1), None]

    def sort_rule(params, xs, es, outs):
        """Each operand's errors permuted with it (to first order: keys within
        their errors of a tie may sort the other way, moving an element within
        the same error)."""
        errors = [err(e, x) for x, e in zip(xs, es) if is_float(x)]
        moved = iter(apply("sort", params, *xs, *errors)[len(xs) :])
        return [next(moved) if is_float(x) else None for x in xs]

    rules["select_n"] = select_rule
    rules.update({name: flat_rule for name in FLAT})
    rules["scatter"] = scatter_rule
    rules["top_k"] = top_k_rule
    rules["sort"] = sort_rule
    rules.update(rounding_sums.rule_table(xp, lead, apply))
    rules.update(rounding_linalg.rule_table(xp, apply))
    return rules


def same_op_on_errors(
    xp: Any, lead: int, apply: Apply, name: str, params: dict[str, Any], xs, es
) -> list[Any]:
    """Linear data movement: the operation itself applied to the errors (a
    padding value is exact)."""
    args = [
        (xp.zeros(xp.shape(x), xp.float64) if e is None else e) if is_float(x) else x
        for x, e in zip(xs, es)
    ]
    if name == "pad":
        args[1] = xp.zeros((1,) * lead, xp.float64)
    return apply(name, params, *args)


def _complex(xp: Any, xs: Sequence[Any]) -> bool:
    return any(xp.iscomplexobj(x) for x in xs)


def _own_rounding_added(
    xp: Any,
    lead: int,
    name: str,
    params: dict[str, Any],
    xs: Sequence[Any],
    outs: Sequence[Any],
    bounds: list[Any],
    widen: Callable[[], list[Any] | None] | None,
) -> list[Any]:
    """The propagated ``bounds`` plus the result's own rounding (``own_ulps``),
    plus ``widen()`` where given (the XLA engine's |z − z₆₄|)."""
    ulps = own_ulps(name, params, xp.shape(xs[0])[lead:])
    if name in COMPLEX_ULPS and _complex(xp, xs):
        ulps = COMPLEX_ULPS[name]
    bounds = [
        None if b is None or not is_float(o) else b + rounding_error(xp, o, ulps)
        for o, b in zip(outs, bounds)
    ]
    extra = widen() if widen is not None else None
    if extra is not None:
        bounds = [b if b is None or w is None else b + w for b, w in zip(bounds, extra)]
    return bounds


def equation_bounds(
    xp: Any,
    lead: int,
    rules: dict[str, Rule],
    apply: Apply,
    name: str,
    params: dict[str, Any],
    xs: Sequence[Any],
    es: Sequence[Any],
    outs: Sequence[Any],
    generic: Callable[[], list[Any]],
    widen: Callable[[], list[Any] | None] | None = None,
) -> list[Any]:
    """The bounds of one equation's outputs from its operands' ``xs`` and their
    bounds ``es``: None for an exact output.

    In order: an integer or boolean output is exact; a conversion to a coarser
    dtype rounds once (an integer or boolean no larger than 2^p, p the float's
    significand bits, is exact: the seed of ``jax.jacrev`` of an ``of`` that
    returns float32, a float32 one-hot, in a float64 case); data movement of
    exact values is exact; a result of integer operands only (``iota`` cast,
    …) rounds a few ulps; an identity passes the bound; a rule in
    ``OWN_ROUNDING`` gives the whole bound; else the propagated error (the
    rule, the operation itself on the errors for ``STRUCTURAL``, or
    ``generic()`` for a primitive without either) plus the result's own
    rounding (none for ``DATA_MOVEMENT``), plus ``widen()`` after
    ``generic()`` or for a function in ``MEASURED`` when given (the XLA
    engine's |z − z₆₄| below float64)."""
    if not any(is_float(o) for o in outs):
        return [None for _ in outs]
    if name == "convert_element_type":
        (o,), e = outs, es[0]
        if not is_float(o):
            return [None]
        if unit(o) > unit(xs[0]):
            r = rounding_error(xp, o)
            if not is_float(xs[0]):  # an integer or boolean: exact up to 1/u = 2^p
                n = xp.abs(xp.asarray(xs[0]).astype(xp.float64))
                r = xp.where(n <= 1.0 / unit(o), 0.0, r)
            e = r if e is None else e + r
        return [e]
    if all(e is None for e in es) and (name in DATA_MOVEMENT or name in IDENTITY):
        return [None for _ in outs]
    if not any(is_float(x) for x in xs):  # integers, or no operand: a few ulps
        return [
            rounding_error(xp, o, LIBRARY_ULPS) if is_float(o) else None for o in outs
        ]
    if name in IDENTITY:
        return list(es[: len(outs)])
    rule = rules.get(name)
    used_generic = False
    if rule is not None and name in OWN_ROUNDING:
        bounds = rule(params, xs, es, outs)
    else:
        if rule is not None:
            bounds = rule(params, xs, es, outs)
        elif name in STRUCTURAL:
            try:
                bounds = same_op_on_errors(xp, lead, apply, name, params, xs, es)
            except Exception:  # an operation that insists on its operands' dtype
                bounds = generic()
        else:
            bounds = generic()
            used_generic = True
        if not bounds:
            bounds = [xp.zeros(xp.shape(o), xp.float64) for o in outs]
        if name not in DATA_MOVEMENT or (name == "abs" and _complex(xp, xs)):
            measured = used_generic or name in MEASURED
            bounds = _own_rounding_added(
                xp, lead, name, params, xs, outs, bounds, widen if measured else None
            )
    return [b if is_float(o) else None for o, b in zip(outs, bounds)]
