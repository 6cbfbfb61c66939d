"""Conformance of every primitive rule: values, bounds that hold, bounds that
are tight, and a meta-test that a broken rule is caught.

One table, ``SPECS``, holds a small JAX function for each primitive that has a rule in
either engine (``checks._src.evaluate.rounding``: XLA,
``checks._src.evaluate.interpret``: NumPy), its input domain and, for the primitives
with a float result, the bound the rule must give, written here from the math (the
*formula*). Generic tests walk
the table:

1. **Coverage.** Every primitive name in the rule tables has a spec.
2. **Values.** The NumPy engine's values equal the compiled ones (``jax.jit``
   of ``jax.vmap``) on typical and edge inputs (zeros, subnormals, huge values,
   ties, repeated indices), in float64, float32 and bfloat16: bit for bit, or
   for a library function (``exp``, ``log``, a sum in another order) within the
   sum of both engines' bounds.
3. **Bound holds.** ``bound ≥ |value − exact|`` under both engines, for each
   dtype, on edge inputs (exact operands) and on typical inputs whose operands
   carry an error: the operand is ``x̂ = x ± e`` with ``e`` about 1000 ulps
   (4 in bfloat16), the worst-case sign drawn at random, the bound is computed
   with operand errors ``e`` and compared with ``f(x)`` at the exact ``x``.
   "Exact" is ``np.longdouble`` (64-bit significand on x86: 2¹¹ times finer
   than float64), with the reference's own rounding (4 of its ulps) allowed;
   primitives NumPy has no long-double function for are checked against
   float64 only below float64 (``NO_EXTENDED_REFERENCE``). Points where the
   value or the exact result is not finite (overflow) are outside the error
   model and skipped. XLA's CPU reads subnormal operands as zero (DAZ), so the
   error is taken against the exact result at the operands as given or as
   flushed, whichever is nearer; a value and an exact result both below the
   smallest normal number are not compared (XLA flushes or keeps them
   depending on how it lowers an operation); ``UNDERFLOW_CARRIED`` names the
   rules whose bound fails near underflow, a limitation left as it is.
4. **Tight.** On typical inputs, ``median(bound) ≤ 1000 · max|value − exact|``
   over the batch wherever that maximum is measurably non-zero, exact operands
   and operands carrying an error alike. Exceptions, with their reasons, are in
   ``LOOSE``.
5. **Formula.** In float64, with chosen operand errors ``e = 1000·u·|x|``, each
   engine's bound equals the spec's formula to 10⁻⁹ relative. The formulas
   are the error model's math, not a copy of the rules: for an elementwise
   operation ``Σ_k |∂f/∂x_k|·e_k + c·u·|z| + tiny``, with the derivative taken
   by ``jax.grad`` and ``c`` the operation's ulps; for data movement the
   operation applied to the errors; for sums, products and scatter-add the
   counts of roundings. ``NO_FORMULA`` lists the rules without one (linear
   algebra, functions without a derivative).
6. **Mutation** (a meta-test). Each rule is broken in turn, in the engine that
   holds it, through ``mutate``: its bound zeroed, its bound × 0.999, its
   value × 1.001. At least one of checks 2, 3, 5 must then fail on that
   primitive's spec. A 0.1 % drop is below what check 3 can see (it has the
   rounding's slack); check 5's equality at 10⁻⁹ is what sees it, with operand
   errors large enough that the scaled part dominates. The XLA engine's
   bounds under every mutation are traced into the same compiled program as
   the unmutated ones (one compilation per spec); ``NOT_MUTABLE`` lists the
   bounds it computes inline, out of reach of a mutation from outside.

The private tables are reached only through the helpers at the top of this file
(``_rule_tables``, ``_bound_with_errors``, ``mutate``), so that a change in how
the tables are laid out is fixed in one place.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from jax import lax

import checks
from checks._src.evaluate import error_rules, interpret, interpret_control, rounding
from checks._src.evaluate.rounding import trace_as_written
from tests.corpus import samplers

# ---------------------------------------------------------------------------
# The one place that knows the engines' private tables.


def _rule_tables() -> dict[str, set[str]]:
    """Primitive names with a rule, per table: the XLA engine's bounds, the
    NumPy engine's values and the NumPy engine's bounds."""
    r, i, t = rounding, interpret, error_rules
    classified = t.STRUCTURAL | t.DATA_MOVEMENT | t.IDENTITY | t.FLAT
    return {
        "xla bounds": set(r.RULES)
        | classified
        | set(r._CONTROL)
        | r._ELEMENTWISE
        | {"convert_element_type"},
        "numpy values": set(i._VALUES),
        "numpy bounds": set(i.RULES)
        | classified
        | set(interpret_control.CONTROL)
        | {"convert_element_type"},
    }


def _bound_with_errors(closed: Any, xs: list, es: list) -> tuple:
    """The NumPy engine's (values, bounds) of a one-output jaxpr at a batch of
    points whose operands carry the error bounds ``es`` (None: exact)."""
    pairs = [(np.asarray(x), e) for x, e in zip(xs, es)]
    with np.errstate(all="ignore"):
        ((v, b),) = interpret._eval(closed.jaxpr, closed.consts, pairs, True)
    shape = (len(xs[0]), *v.shape[1:])
    b = np.zeros(shape, np.float64) if b is None else b
    return np.broadcast_to(v, shape), np.broadcast_to(b, shape)


def _xla_point(closed: Any, exact: tuple[bool, ...]) -> Callable:
    """The XLA engine's (value, bound) at one point, traceable (vmap, jit);
    the operands flagged ``exact`` carry no error."""

    def one(xs, es):
        es = [None if x else e for x, e in zip(exact, es)]
        pairs = list(zip(xs, es))
        ((v, b),) = rounding._eval_jaxpr(closed.jaxpr, closed.consts, pairs)
        return v, jnp.zeros(jnp.shape(v), jnp.float64) if b is None else b

    return one


def _scaled(out: list, factor: float) -> list:
    return [None if b is None else b * factor for b in out]


def _xla_hook(name: str) -> tuple[Any, str] | None:
    """Where the XLA engine's bound of ``name`` is computed: (namespace, key)."""
    if name in rounding._CONTROL:
        return rounding._CONTROL, name
    return rounding, "_equation_bounds"


@contextlib.contextmanager
def mutate(name: str, engine: str, how: str) -> Iterator[None]:
    """Break the rule of primitive ``name`` in ``engine`` ("xla" or "numpy"):
    ``how`` is "zero" (bound 0), "shrink" (bound × 0.999) or "value" (value ×
    1.001, the NumPy engine's value rule)."""
    factor = {"zero": 0.0, "shrink": 0.999}.get(how)
    patches: list[tuple[Any, str, Any]] = []
    if engine == "numpy" and how == "value":
        original = interpret._VALUES[name]

        def value(params, *xs, _f=original):
            out = _f(params, *xs)
            many = isinstance(out, list)
            outs = [_perturb(np.asarray(o)) for o in (out if many else [out])]
            return outs if many else outs[0]

        value.elementwise = getattr(original, "elementwise", False)
        patches.append((interpret._VALUES, name, value))
    elif engine == "numpy" and name in interpret_control.CONTROL:
        original = interpret_control.CONTROL[name]

        def control(eqn, pairs, bounds, run, _f=original):
            return [
                (v, None if b is None else b * factor)
                for v, b in _f(eqn, pairs, bounds, run)
            ]

        patches.append((interpret_control.CONTROL, name, control))
    elif engine == "numpy":
        original = interpret._bounds

        def bounds(n, params, xs, es, outs, _f=original):
            out = _f(n, params, xs, es, outs)
            return _scaled(out, factor) if n == name else out

        patches.append((interpret, "_bounds", bounds))
    else:
        space, key = _xla_hook(name)
        original = space[key] if isinstance(space, dict) else getattr(space, key)
        if isinstance(space, dict) and key in rounding._CONTROL:

            def rule(params, pairs, _f=original):
                return [
                    (v, None if b is None else b * factor) for v, b in _f(params, pairs)
                ]

        elif isinstance(space, dict):

            def rule(*args, _f=original):
                return _scaled(_f(*args), factor)

        elif key == "_equation_bounds":

            def rule(eqn, params, xs, es, outs, _f=original):
                out = _f(eqn, params, xs, es, outs)
                return _scaled(out, factor) if eqn.primitive.name == name else out

        else:

            def rule(*args, _f=original):
                return _f(*args) * factor

        patches.append((space, key, rule))
    saved = []
    for space, key, new in patches:
        if isinstance(space, dict):
            saved.append((space, key, space[key]))
            space[key] = new
        else:
            saved.append((space, key, getattr(space, key)))
            setattr(space, key, new)
    try:
        yield
    finally:
        for space, key, old in saved:
            if isinstance(space, dict):
                space[key] = old
            else:
                setattr(space, key, old)


def _perturb(x: np.ndarray) -> np.ndarray:
    if x.dtype == np.bool_:
        return ~x
    if np.issubdtype(x.dtype, np.integer):
        return x + np.ones((), x.dtype)
    if jax.dtypes.issubdtype(x.dtype, np.inexact):
        return (x.astype(np.float64) * 1.001).astype(x.dtype)
    return x


# ---------------------------------------------------------------------------
# The table.

Formula = Callable[..., np.ndarray]


@dataclasses.dataclass(frozen=True)
class Spec:
    """How to produce one primitive and what its rule must give.

    ``fn`` takes the float operands (shapes ``floats``) then the integer ones
    (``ints``: (shape, low, high), drawn per point); ``domain`` maps a normal
    sample into the operands' domain; ``ref`` evaluates ``fn`` on
    ``np.longdouble`` operands (None: the operation is exact, and float64 is
    its reference); ``formula(xs, es, z, ints)`` is the float64 bound the rule
    must give (None: no independent formula, listed in ``NO_FORMULA``);
    ``library`` marks values that may differ between the engines within the
    bound; ``absent`` names a rule-table entry that no primitive of this JAX
    carries, with the reason."""

    fn: Callable[..., Any] | None = None
    floats: tuple[tuple[int, ...], ...] = ((3,),)
    ints: tuple[tuple[tuple[int, ...], int, int], ...] = ()
    domain: Callable[[np.ndarray], np.ndarray] = lambda v: v
    ref: Callable[..., Any] | None = None
    formula: Formula | None = None
    library: bool = False
    absent: str = ""
    int_inputs: bool = False  # the "float" operands are integers


U64, TINY64 = float(np.finfo(np.float64).eps) / 2, float(np.finfo(np.float64).tiny)


def _r(z: np.ndarray, ulps: float, u: float = U64, tiny: float = TINY64) -> np.ndarray:
    """One rounding of ``ulps`` units: ``ulps·u·|z| + tiny``."""
    return ulps * u * np.abs(z) + tiny


def _grad_parts(fn: Callable, xs: list, es: list) -> np.ndarray:
    """Σ_k |∂f/∂x_k|·e_k of an elementwise ``fn`` by ``jax.grad``, per element."""

    def scalar(*a):
        return fn(*[jnp.reshape(v, (1,)) for v in a])[0]

    flat = [np.asarray(x, np.float64).reshape(-1) for x in xs]
    total = 0.0
    for k, e in enumerate(es):
        g = jax.vmap(jax.grad(scalar, argnums=k))(*flat)
        total = total + np.abs(np.asarray(g)).reshape(xs[0].shape) * e
    return total


def elementwise(fn: Callable, ulps: float) -> Formula:
    """``Σ_k |∂f/∂x_k|·e_k + ulps·u·|z| + tiny`` (no rounding for ulps = 0)."""

    def formula(xs, es, z, ints):
        moved = _grad_parts(fn, xs, es)
        return moved + (_r(z, ulps) if ulps else 0.0)

    return formula


def moves(fn: Callable) -> Formula:
    """Data movement: the operation applied to the errors (the integer
    operands, indices, as they are)."""

    def formula(xs, es, z, ints):
        return np.abs(np.asarray(jax.vmap(fn)(*es, *ints)))

    return formula


def _max_of_errors(xs, es, z, ints):
    return np.maximum(es[0], es[1])


def _pos(v: np.ndarray) -> np.ndarray:
    return np.abs(v) + 0.25


def _unit(v: np.ndarray) -> np.ndarray:
    return np.tanh(v) * 0.9


def _reduce_sum_formula(xs, es, z, ints):
    (x,), (e,) = xs, es
    k = x.shape[-1]
    return e.sum(-1) + k * (U64 * np.abs(x).sum(-1) + TINY64)


def _cumsum_formula(xs, es, z, ints):
    (x,), (e,) = xs, es
    terms = np.arange(1, x.shape[-1] + 1)
    return np.cumsum(e, -1) + terms * (U64 * np.cumsum(np.abs(x), -1) + TINY64)


def _prod_parts(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Σᵢ |Πⱼ≠ᵢ xⱼ|·eᵢ along the last axis."""
    total = 0.0
    for i in range(x.shape[-1]):
        others = np.prod(np.delete(x, i, -1), -1)
        total = total + np.abs(others) * e[..., i]
    return total


def _reduce_prod_formula(xs, es, z, ints):
    (x,), (e,) = xs, es
    return _prod_parts(x, e) + _r(z, max(4.0, x.shape[-1] - 1))


def _cumprod_formula(xs, es, z, ints):
    (x,), (e,) = xs, es
    n = x.shape[-1]
    parts = np.stack(
        [_prod_parts(x[..., : i + 1], e[..., : i + 1]) for i in range(n)], -1
    )
    return parts + _r(z, n - 1)


def _dot_formula(xs, es, z, ints):
    (a, v), (ea, ev) = xs, es
    k = a.shape[-1]
    absprod = np.einsum("pij,pj->pi", np.abs(a), np.abs(v))
    moved = np.einsum("pij,pj->pi", np.abs(a), ev) + np.einsum(
        "pij,pj->pi", ea, np.abs(v)
    )
    return moved + k * (U64 * absprod + TINY64)


def _scatter_add_formula(xs, es, z, ints):
    (x, upd), (ex, eu) = xs, es
    count = np.array([2.0, 0.0, 1.0])  # indices [0, 2, 0]
    size = np.abs(x).copy()
    moved = ex.copy()
    for j, i in enumerate([0, 2, 0]):
        size[:, i] += np.abs(upd[:, j])
        moved[:, i] += eu[:, j]
    return moved + count * (U64 * size + TINY64)


def _scatter_add_ref(x: np.ndarray, upd: np.ndarray) -> np.ndarray:
    out = x.copy()
    for j, i in enumerate([0, 2, 0]):
        out[:, i] += upd[:, j]
    return out


def _convert_formula(xs, es, z, ints):
    f32 = np.finfo(np.float32)
    return es[0] + _r(z, 1, float(f32.eps) / 2, float(f32.tiny))


def _select_formula(xs, es, z, ints):
    (x, y), (ex, ey) = xs, es
    return np.where(x > y, ey, ex)


def _clamp_formula(xs, es, z, ints):
    (x,), (e,) = xs, es
    return np.where(np.abs(x) < 0.5, e, 0.0)


def _sort_formula(xs, es, z, ints):
    (x,), (e,) = xs, es
    return np.take_along_axis(e, np.argsort(x, -1, kind="stable"), -1)


def _reduce_extreme_formula(xs, es, z, ints):
    """|max x̂ − max x| ≤ maxᵢ eᵢ, and the same for min."""
    return es[0].max(-1)


def _cum_extreme_formula(xs, es, z, ints):
    return np.maximum.accumulate(es[0], -1)


def _scan_formula(xs, es, z, ints):
    """A running sum by ``lax.scan``: one rounding per addition."""
    (x,), (e,) = xs, es
    out, bound, acc = [], 0.0, 0.0
    for i in range(x.shape[-1]):
        acc = acc + x[..., i]
        bound = bound + e[..., i] + _r(acc, 1)
        out.append(bound)
    return np.stack(out, -1)


def _while_formula(xs, es, z, ints):
    """``c ← c·x`` three times from c = x: a product's rule, step by step."""
    (x,), (e,) = xs, es
    c, ec = x, e
    for _ in range(3):
        new = c * x
        ec = np.abs(x) * ec + np.abs(c) * e + ec * e + _r(new, 1)
        c = new
    return ec


def _cond_formula(xs, es, z, ints):
    (x,), (e,) = xs, es
    doubled = 2 * e + _r(2 * x, 1)
    return np.where(x[:, :1] > 0, doubled, e)


def _iota_formula(xs, es, z, ints):
    # x + iota: an iota, no real operand, is taken to within 4 ulps
    iota = np.arange(3.0)
    return es[0] + 4 * U64 * iota + TINY64 + _r(z, 1)


def _rp_formula(xs, es, z, ints):
    """Rounding to bfloat16's 8 significant bits: one rounding of u = 2⁻⁸."""
    return es[0] + 2.0**-8 * np.abs(z) + float(ml_dtypes.finfo(ml_dtypes.bfloat16).tiny)


_IDX = jnp.array([0, 2, 0])


def _erf_like(name):
    return f"no long-double {name} in NumPy"


SPECS: dict[str, Spec] = {}
_INT = {"int_inputs": True}


def _add(name: str, spec: Spec) -> None:
    SPECS[name] = spec


# Arithmetic, correctly rounded: one ulp.
for _name, _fn, _ref in [
    ("add", lax.add, np.add),
    ("sub", lax.sub, np.subtract),
    ("mul", lax.mul, np.multiply),
    ("div", lax.div, np.divide),
]:
    _add(
        _name,
        Spec(_fn, ((3,), (3,)), ref=_ref, formula=elementwise(_fn, 1.0)),
    )
_add(
    "add_any",
    Spec(
        lambda x, y: jax._src.ad_util.add_jaxvals_p.bind(x, y),
        ((3,), (3,)),
        ref=np.add,
        formula=elementwise(lax.add, 1.0),
    ),
)
_add("sqrt", Spec(lax.sqrt, domain=_pos, ref=np.sqrt, formula=elementwise(lax.sqrt, 1)))
_add(
    "rsqrt",
    Spec(
        lax.rsqrt,
        domain=_pos,
        ref=lambda x: 1 / np.sqrt(x),
        formula=elementwise(lax.rsqrt, 4),
        library=True,  # NumPy's 1/√x rounds twice
    ),
)
# Library functions: a few ulps.
for _name, _fn, _ref, _dom in [
    ("exp", lax.exp, np.exp, lambda v: v),
    ("exp2", lax.exp2, np.exp2, lambda v: v),
    ("log", lax.log, np.log, _pos),
    ("log1p", lax.log1p, np.log1p, lambda v: np.abs(v) - 0.5),
    ("expm1", lax.expm1, np.expm1, lambda v: v),
    ("logistic", lax.logistic, lambda x: 1 / (1 + np.exp(-x)), lambda v: v),
    ("tanh", lax.tanh, np.tanh, lambda v: v),
    ("sin", lax.sin, np.sin, lambda v: v),
    ("cos", lax.cos, np.cos, lambda v: v),
    ("sinh", lax.sinh, np.sinh, lambda v: v),
    ("cosh", lax.cosh, np.cosh, lambda v: v),
    ("tan", lax.tan, np.tan, _unit),
    ("atan", lax.atan, np.arctan, lambda v: v),
    ("asin", lax.asin, np.arcsin, _unit),
    ("acos", lax.acos, np.arccos, _unit),
    ("asinh", lax.asinh, np.arcsinh, lambda v: v),
    ("acosh", lax.acosh, np.arccosh, lambda v: np.abs(v) + 1.25),
    ("atanh", lax.atanh, np.arctanh, _unit),
    ("cbrt", lax.cbrt, np.cbrt, _pos),
]:
    _ulps = {"log1p": 512.0, "atanh": 512.0, "expm1": 8.0}.get(_name, 4.0)
    _add(
        _name,
        Spec(_fn, domain=_dom, ref=_ref, formula=elementwise(_fn, _ulps), library=True),
    )
_add("square", Spec(lax.square, ref=np.square, formula=elementwise(lax.square, 4)))
_add(
    "pow",
    Spec(
        lax.pow,
        ((3,), (3,)),
        domain=_pos,
        ref=np.power,
        formula=elementwise(lax.pow, 4),
        library=True,
    ),
)
_add(
    "atan2",
    Spec(
        lax.atan2,
        ((3,), (3,)),
        ref=np.arctan2,
        formula=elementwise(lax.atan2, 4),
        library=True,
    ),
)
for _y in (3, 2, -2):
    _add(
        f"integer_pow:{_y}",
        Spec(
            functools.partial(lax.integer_pow, y=_y),
            ref=functools.partial(lambda x, y: x**y if y > 0 else 1 / x ** (-y), y=_y),
            formula=elementwise(functools.partial(lax.integer_pow, y=_y), 4),
            library=True,  # XLA multiplies, NumPy's power rounds once
        ),
    )
# Special functions: the generic rule (the Jacobian, a few ulps), no long-double
# reference.
for _name, _fn, _dom in [
    ("erf", lax.erf, lambda v: v),
    ("erfc", lax.erfc, lambda v: v),
    ("erf_inv", lax.erf_inv, _unit),
    ("lgamma", lax.lgamma, _pos),
    ("digamma", lax.digamma, _pos),
    ("bessel_i0e", lax.bessel_i0e, lambda v: v),
    ("bessel_i1e", lax.bessel_i1e, lambda v: v),
]:
    _add(_name, Spec(_fn, domain=_dom, formula=elementwise(_fn, 4), library=True))
_add(
    "igamma",
    Spec(lax.igamma, ((3,), (3,)), domain=_pos, formula=None, library=True),
)
_add(
    "igammac", Spec(lax.igammac, ((3,), (3,)), domain=_pos, formula=None, library=True)
)
_add(
    "polygamma",
    Spec(
        lambda x: lax.polygamma(jnp.ones_like(x), x),
        domain=_pos,
        formula=None,
        library=True,
    ),
)
_add("nextafter", Spec(lambda x: lax.nextafter(x, jnp.zeros_like(x)), formula=None))
_add(
    "logaddexp",
    Spec(absent="jnp.logaddexp is a custom_jvp of max, exp, log1p: no primitive"),
)
# Flat functions: their own rounding only.
for _name, _fn, _ref in [
    ("floor", lax.floor, np.floor),
    ("ceil", lax.ceil, np.ceil),
    ("sign", lax.sign, np.sign),
    (
        "round",
        lax.round,
        lambda x: np.where(
            np.abs(x - np.trunc(x)) == 0.5, np.trunc(x) + np.sign(x), np.round(x)
        ),
    ),
]:
    _add(_name, Spec(_fn, ref=_ref, formula=lambda xs, es, z, ints: _r(z, 4)))
# Data movement: exact.
_add("neg", Spec(lax.neg, formula=elementwise(lax.neg, 0)))
_add("abs", Spec(lax.abs, formula=elementwise(lax.abs, 0)))
_add("max", Spec(lax.max, ((3,), (3,)), formula=_max_of_errors))
_add("min", Spec(lax.min, ((3,), (3,)), formula=_max_of_errors))
_add(
    "select_n",
    Spec(lambda x, y: lax.select_n(x > y, x, y), ((3,), (3,)), formula=_select_formula),
)
_add(
    "clamp",
    Spec(
        lambda x: lax.clamp(jnp.asarray(-0.5, x.dtype), x, jnp.asarray(0.5, x.dtype)),
        formula=_clamp_formula,
    ),
)
_add("sort", Spec(lambda x: lax.sort(x), ((4,),), formula=_sort_formula))
_add(
    "reduce_max",
    Spec(lambda x: lax.reduce_max(x, (0,)), ((4,),), formula=_reduce_extreme_formula),
)
_add(
    "reduce_min",
    Spec(lambda x: lax.reduce_min(x, (0,)), ((4,),), formula=_reduce_extreme_formula),
)
_add("cummax", Spec(lambda x: lax.cummax(x, 0), ((4,),), formula=_cum_extreme_formula))
_add("cummin", Spec(lambda x: lax.cummin(x, 0), ((4,),), formula=_cum_extreme_formula))
for _name, _fn, _shape in [
    ("broadcast_in_dim", lambda x: lax.broadcast_in_dim(x, (2, 3), (1,)), (3,)),
    ("reshape", lambda x: lax.reshape(x, (3, 2)), (2, 3)),
    ("transpose", lambda x: lax.transpose(x, (1, 0)), (2, 3)),
    ("squeeze", lambda x: lax.squeeze(x, (0,)), (1, 3)),
    ("slice", lambda x: lax.slice(x, (1,), (4,), (2,)), (4,)),
    ("rev", lambda x: lax.rev(x, (0,)), (3,)),
    ("copy", lambda x: lax.copy_p.bind(x), (3,)),
    ("concatenate", lambda x: lax.concatenate([x, x[::-1]], 0), (3,)),
    ("pad", lambda x: lax.pad(x, jnp.zeros((), x.dtype), ((1, 2, 0),)), (3,)),
    ("gather", lambda x: x[_IDX], (3,)),
    ("split", lambda x: lax.split(x, (1, 2))[1], (3,)),
    ("stack", lambda x: jnp.stack([x, x[::-1]])[1], (3,)),
    ("unstack", lambda x: lax.unstack_p.bind(x, axis=0)[1], (2, 3)),
    ("optimization_barrier", lambda x: lax.optimization_barrier(x), (3,)),
    ("real", lambda x: lax.real(x.astype(jnp.complex128)), (3,)),
    ("stop_gradient", lambda x: lax.stop_gradient(x), (3,)),
]:
    _add(_name, Spec(_fn, (_shape,), formula=moves(_fn)))
_add("copy_p", Spec(absent="the copy primitive of this JAX is named copy"))


# Windows (pooling), convolution and top_k: a window of 2 sliding by 1 over 4.
def _window(prim: Any) -> Callable:
    """A window of 2 sliding by 1, as pooling binds it."""

    def pooled(x):
        return prim.bind(
            x,
            window_dimensions=(2,),
            window_strides=(1,),
            padding=((0, 0),),
            base_dilation=(1,),
            window_dilation=(1,),
        )

    return pooled


def _window_extreme_formula(xs, es, z, ints):
    """The largest error in each window, for its maximum and its minimum."""
    (e,) = es
    return np.maximum(e[:, :-1], e[:, 1:])


def _window_sum_formula(xs, es, z, ints):
    """Σ e + K·u·Σ|x| + K·tiny over each window's K = 2 terms."""
    (x,), (e,) = xs, es
    return (
        e[:, :-1]
        + e[:, 1:]
        + 2 * (U64 * (np.abs(x[:, :-1]) + np.abs(x[:, 1:])) + TINY64)
    )


def _conv(x, w):
    """A one-channel 1-D convolution (cross-correlation) of 4 by 2: 3 outputs."""
    return lax.conv_general_dilated(x, w, (1,), "VALID")


def _conv_formula(xs, es, z, ints):
    """As ``dot_general`` per output: |w|·e_x + e_w·|x| + K·u·|w|·|x| + K·tiny."""
    (x, w), (ex, ew) = xs, es
    x, ex, w, ew = x[:, 0, 0], ex[:, 0, 0], w[:, 0, 0], ew[:, 0, 0]
    out = []
    for j in range(3):
        size = sum(np.abs(w[:, k]) * np.abs(x[:, j + k]) for k in range(2))
        moved = sum(
            np.abs(w[:, k]) * ex[:, j + k] + ew[:, k] * np.abs(x[:, j + k])
            for k in range(2)
        )
        out.append(moved + 2 * (U64 * size + TINY64))
    return np.stack(out, -1)[:, None, None, :]


def _select_and_scatter_add(source, operand):
    """The gradient of max pooling: each window's ``source`` added where the
    window's first maximum of ``operand`` is."""
    from jax._src.lax.windowed_reductions import _select_and_scatter_add as sas

    return sas(source, operand, lax.ge_p, (2,), (1,), ((0, 0),))


def _select_and_scatter_add_formula(xs, es, z, ints):
    """A scatter-add of the source's errors to each window's selected element,
    with one rounding per source landing there (the operand only selects)."""
    (source, operand), (es_, _) = xs, es
    size = np.zeros(operand.shape)
    moved = np.zeros(operand.shape)
    count = np.zeros(operand.shape)
    rows = np.arange(len(operand))
    for j in range(3):
        i = j + np.argmax(operand[:, j : j + 2], axis=-1)
        size[rows, i] += np.abs(source[:, j])
        moved[rows, i] += es_[:, j]
        count[rows, i] += 1
    return moved + count * (U64 * size + TINY64)


def _top_k_formula(xs, es, z, ints):
    """The errors of the two largest, moved with them (ties: the first)."""
    (x,), (e,) = xs, es
    order = np.argsort(-x, axis=-1, kind="stable")[:, :2]
    return np.take_along_axis(e, order, -1)


_add(
    "reduce_window_max",
    Spec(_window(lax.reduce_window_max_p), ((4,),), formula=_window_extreme_formula),
)
_add(
    "reduce_window_min",
    Spec(_window(lax.reduce_window_min_p), ((4,),), formula=_window_extreme_formula),
)
_add(
    "reduce_window_sum",
    Spec(_window(lax.reduce_window_sum_p), ((4,),), formula=_window_sum_formula),
)
_add(
    "conv_general_dilated",
    Spec(_conv, ((1, 1, 4), (1, 1, 2)), formula=_conv_formula, library=True),
)
_add(
    "select_and_scatter_add",
    Spec(
        _select_and_scatter_add, ((3,), (4,)), formula=_select_and_scatter_add_formula
    ),
)
_add("top_k", Spec(lambda x: lax.top_k(x, 2)[0], ((4,),), formula=_top_k_formula))
_add("expand_dims", Spec(absent="lax.expand_dims is a broadcast_in_dim: no primitive"))
_add(
    "dynamic_slice",
    Spec(
        lambda x, i: lax.dynamic_slice(x, (i,), (2,)),
        ((4,),),
        ints=(((), -1, 5),),
        formula=moves(lambda x, i: lax.dynamic_slice(x, (i,), (2,))),
    ),
)
_add(
    "dynamic_update_slice",
    Spec(
        lambda x, y, i: lax.dynamic_update_slice(x, y, (i,)),
        ((4,), (2,)),
        ints=(((), -1, 5),),
        formula=moves(lambda x, y, i: lax.dynamic_update_slice(x, y, (i,))),
    ),
)
_add(
    "scatter",
    Spec(
        lambda x, y: x.at[_IDX].set(y),
        ((3,), (3,)),
        formula=moves(lambda x, y: x.at[_IDX].set(y)),
    ),
)
_add(
    "scatter-add",
    Spec(
        lambda x, y: x.at[_IDX].add(y),
        ((3,), (3,)),
        ref=_scatter_add_ref,
        formula=_scatter_add_formula,
        library=True,
    ),
)
_add(
    "scatter_add",
    Spec(absent="the scatter-add primitive of this JAX is named scatter-add"),
)
# Scatters that multiply or compare: values under NumPy; their bounds come from
# the generic rule (through the Jacobian) under XLA, and NumPy leaves them to it.
for _name, _fn in [
    # JAX differentiates a scatter-mul only with unique indices
    (
        "scatter-mul",
        lambda x, y: x.at[jnp.asarray([0, 2])].multiply(y[:2], unique_indices=True),
    ),
    ("scatter-min", lambda x, y: x.at[_IDX].min(y)),
    ("scatter-max", lambda x, y: x.at[_IDX].max(y)),
]:
    _add(_name, Spec(_fn, ((3,), (3,)), formula=None, library=True))
# Sums and products.
_add(
    "reduce_sum",
    Spec(
        lambda x: lax.reduce_sum(x, (0,)),
        ((5,),),
        ref=lambda x: x.sum(-1),
        formula=_reduce_sum_formula,
        library=True,
    ),
)
_add(
    "cumsum",
    Spec(
        lambda x: lax.cumsum(x, 0),
        ((5,),),
        ref=lambda x: np.cumsum(x, -1),
        formula=_cumsum_formula,
        library=True,
    ),
)
_add(
    "reduce_prod",
    Spec(
        lambda x: lax.reduce_prod(x, (0,)),
        ((4,),),
        ref=lambda x: x.prod(-1),
        formula=_reduce_prod_formula,
        library=True,
    ),
)
_add(
    "cumprod",
    Spec(
        lambda x: lax.cumprod(x, 0),
        ((4,),),
        ref=lambda x: np.cumprod(x, -1),
        formula=_cumprod_formula,
        library=True,
    ),
)
_add(
    "dot_general",
    Spec(
        lambda a, v: a @ v,
        ((2, 3), (3,)),
        ref=lambda a, v: np.einsum("pij,pj->pi", a, v),
        formula=_dot_formula,
        library=True,
    ),
)
_add(
    "convert_element_type",
    Spec(
        lambda x: x.astype(jnp.float32 if x.dtype == jnp.float64 else jnp.bfloat16),
        formula=_convert_formula,
    ),
)
_add(
    "reduce_precision",
    Spec(
        lambda x: lax.reduce_precision(x, exponent_bits=8, mantissa_bits=7),
        ref=None,
        formula=_rp_formula,
    ),
)
_add(
    "iota",
    Spec(
        lambda x: x + lax.iota(x.dtype, 3),
        ref=lambda x: x + np.arange(3),
        formula=_iota_formula,
    ),
)
# Control flow.
_add(
    "scan",
    Spec(
        lambda x: lax.scan(lambda c, v: (c + v, c + v), jnp.zeros((), x.dtype), x)[1],
        ((4,),),
        ref=lambda x: np.cumsum(x, -1),
        formula=_scan_formula,
    ),
)
_add(
    "while",
    Spec(
        lambda x: lax.while_loop(
            lambda c: c[1] < 3, lambda c: (c[0] * x, c[1] + 1), (x, 0)
        )[0],
        ref=lambda x: x**4,
        formula=_while_formula,
    ),
)
_add(
    "cond",
    Spec(
        lambda x: lax.cond(x[0] > 0, lambda v: v * 2, lambda v: -v, x),
        ref=lambda x: np.where(x[:, :1] > 0, 2 * x, -x),
        formula=_cond_formula,
    ),
)


def _spd(v: np.ndarray) -> np.ndarray:
    if v.ndim < 3 or v.shape[-1] != v.shape[-2]:
        return v  # a right-hand side
    a = 0.3 * np.tanh(v)
    return (a + np.swapaxes(a, -1, -2)) / 2 + 2 * np.eye(v.shape[-1])


_add(
    "custom_linear_solve",
    Spec(
        lambda a, b: jnp.linalg.solve(a, b), ((3, 3), (3,)), domain=_spd, library=True
    ),
)
_add(
    "cholesky",
    Spec(lambda a: lax.linalg.cholesky(a), ((3, 3),), domain=_spd, library=True),
)
_add(
    "triangular_solve",
    Spec(
        lambda a, b: lax.linalg.triangular_solve(a, b, left_side=True, lower=True),
        ((3, 3), (3, 2)),
        domain=_spd,
        library=True,
    ),
)
_add("lu", Spec(lambda a: lax.linalg.lu(a)[0], ((3, 3),), domain=_spd, library=True))
_add(
    "eigh", Spec(lambda a: lax.linalg.eigh(a)[1], ((3, 3),), domain=_spd, library=True)
)
_add(
    "svd",
    Spec(
        lambda a: lax.linalg.svd(a, full_matrices=False, compute_uv=False),
        ((3, 3),),
        domain=_spd,
        library=True,
    ),
)
_add("qr", Spec(lambda a: lax.linalg.qr(a)[1], ((3, 3),), domain=_spd, library=True))


def _near_singular(v: np.ndarray) -> np.ndarray:
    """A general matrix whose last row is its first plus 10⁻³ of another:
    κ ≈ 10³–10⁴, ill conditioned yet within reach of the first-order error
    model with operands 16 ulps off in float32 (κ·e ≪ 1: at 10⁻⁵ the
    second-order terms exceed the bound by 1.7×, and at a matrix singular in
    its dtype no bound holds, the solution being rounding noise); a right-hand
    side in [−1, 1], so the solution stays finite."""
    if v.ndim < 3 or v.shape[-1] != v.shape[-2]:
        return np.tanh(v)
    a = np.tanh(v) + np.eye(v.shape[-1])
    a[..., -1, :] = a[..., 0, :] + 1e-3 * a[..., -1, :]
    return a


def _repeated(v: np.ndarray) -> np.ndarray:
    """``2·I + u·uᵀ``: the eigenvalue 2 repeated n − 1 times."""
    u = np.tanh(v[..., 0, :])
    return 2 * np.eye(v.shape[-1]) + u[..., :, None] * u[..., None, :]


def _indefinite(v: np.ndarray) -> np.ndarray:
    """Symmetric, some positive definite and some not (Cholesky fails: NaN)."""
    return _spd(v) - 1.8 * np.eye(v.shape[-1])


def _tall(v: np.ndarray) -> np.ndarray:
    """A tall matrix of full column rank, well conditioned."""
    return np.tanh(v) + 2 * np.eye(v.shape[-2], v.shape[-1])


# Matrix domains: applied to the edge values too (a matrix of them).
_MATRIX_DOMAINS = (_spd, _near_singular, _repeated, _indefinite, _tall)
_LINALG = {"library": True}
_add(
    "lu:near_singular",
    Spec(lambda a: lax.linalg.lu(a)[0], ((3, 3),), domain=_near_singular, **_LINALG),
)
_add(
    "lu:pivots",
    Spec(lambda a: lax.linalg.lu(a)[1], ((4, 4),), domain=_near_singular, **_LINALG),
)
_add(
    "lu:permutation",
    Spec(lambda a: lax.linalg.lu(a)[2], ((4, 4),), domain=_near_singular, **_LINALG),
)
_add(
    "custom_linear_solve:near_singular",
    Spec(
        lambda a, b: jnp.linalg.solve(a, b),
        ((3, 3), (3,)),
        domain=_near_singular,
        **_LINALG,
    ),
)
_add(
    "triangular_solve:right_transposed_unit",
    Spec(
        lambda a, b: lax.linalg.triangular_solve(
            a, b, left_side=False, lower=False, transpose_a=True, unit_diagonal=True
        ),
        ((3, 3), (2, 3)),
        domain=_spd,
        **_LINALG,
    ),
)
_add(
    "cholesky:not_positive_definite",
    Spec(lambda a: lax.linalg.cholesky(a), ((3, 3),), domain=_indefinite, **_LINALG),
)
_add(
    "eigh:repeated",
    Spec(lambda a: lax.linalg.eigh(a)[1], ((3, 3),), domain=_repeated, **_LINALG),
)
# Eigen- and singular vectors are defined up to sign: |v| is what a check of a
# derivative can depend on.
_add(
    "eigh:vectors",
    Spec(lambda a: jnp.abs(lax.linalg.eigh(a)[0]), ((3, 3),), domain=_spd, **_LINALG),
)
_add(
    "svd:vectors",
    Spec(
        lambda a: jnp.abs(lax.linalg.svd(a, full_matrices=False)[2]),
        ((4, 3),),
        domain=_tall,
        **_LINALG,
    ),
)
# Q's columns too: XLA's CPU and LAPACK may reflect a column the other way
# where the part below the diagonal vanishes (ties, subnormals).
_add(
    "qr:q",
    Spec(lambda a: jnp.abs(lax.linalg.qr(a)[0]), ((4, 3),), domain=_tall, **_LINALG),
)
_add(
    "lu_pivots_to_permutation",
    Spec(
        lambda p: lax.linalg.lu_pivots_to_permutation(p % 4, 4),
        ((4,),),
        **_INT,
    ),
)
_add(
    "platform_index",
    Spec(
        lambda x: lax.platform_dependent(x, default=lambda v: v * 2, cpu=lambda v: -v),
        ref=lambda x: -x,
    ),
)
_add(
    "empty2",
    Spec(lambda x: jax.grad(lambda m: jnp.sum(jnp.diag(m) ** 2))(x), ((3, 3),)),
)
# No float result: values only.
for _name, _fn in [
    ("and", lax.bitwise_and),
    ("or", lax.bitwise_or),
    ("xor", lax.bitwise_xor),
    ("shift_left", lambda x, s: lax.shift_left(x, s & 31)),
    ("shift_right_logical", lambda x, s: lax.shift_right_logical(x, s & 31)),
    ("shift_right_arithmetic", lambda x, s: lax.shift_right_arithmetic(x, s & 31)),
    ("rem", lax.rem),
]:
    _add(_name, Spec(_fn, ((3,), (3,)), **_INT))
_add("not", Spec(lax.bitwise_not, **_INT))
for _name, _fn in [
    ("eq", lax.eq),
    ("ne", lax.ne),
    ("lt", lax.lt),
    ("le", lax.le),
    ("gt", lax.gt),
    ("ge", lax.ge),
    # IEEE 754 totalOrder, as ``jnp.searchsorted`` compares (``expm``'s degree)
    ("eq_to", lax.eq_to_p.bind),
    ("lt_to", lax.lt_to_p.bind),
    ("le_to", lax.le_to_p.bind),
]:
    _add(_name, Spec(_fn, ((3,), (3,))))
_add("is_finite", Spec(lax.is_finite))
_add("reduce_and", Spec(lambda x: lax.reduce_and(x > 0, (0,)), ((4,),)))
_add("reduce_or", Spec(lambda x: lax.reduce_or(x > 0, (0,)), ((4,),)))
_add("argmax", Spec(lambda x: lax.argmax(x, 0, jnp.int32), ((4,),)))
_add("argmin", Spec(lambda x: lax.argmin(x, 0, jnp.int32), ((4,),)))
_add(
    "bitcast_convert_type",
    Spec(
        lambda x: lax.bitcast_convert_type(
            x,
            jnp.uint32
            if x.dtype.itemsize == 4
            else jnp.uint16
            if x.dtype.itemsize == 2
            else jnp.uint64,
        )
    ),
)
_add("random_seed", Spec(lambda x: jax.random.key_data(jax.random.key(x[0])), **_INT))
_add("random_bits", Spec(lambda x: jax.random.bits(jax.random.key(x[0]), (3,)), **_INT))
_add(
    "random_wrap",
    Spec(
        lambda x: jax.random.bits(
            jax.random.wrap_key_data(x[:2].astype(jnp.uint32)), (3,)
        ),
        **_INT,
    ),
)
_add(
    "random_unwrap",
    Spec(
        lambda x: jax.random.key_data(
            jax.random.wrap_key_data(x[:2].astype(jnp.uint32))
        ),
        **_INT,
    ),
)

_add(
    "fft",
    Spec(lambda x: jnp.fft.irfft(jnp.fft.rfft(x), 4), ((4,),), ref=lambda x: x),
)

# Rules looser than 1000× the error they bound on typical inputs, and why.
LOOSE: dict[str, str] = {}
# Float results with no long-double reference: checked below float64 only.
NO_EXTENDED_REFERENCE: dict[str, str] = {
    **{n: _erf_like(n) for n in ("erf", "erfc", "erf_inv", "lgamma", "digamma")},
    **{n: _erf_like(n) for n in ("igamma", "igammac", "polygamma")},
    **{n: _erf_like(n) for n in ("bessel_i0e", "bessel_i1e")},
    **{n: "no long-double LAPACK in NumPy" for n in ("cholesky", "triangular_solve")},
    **{n: "no long-double LAPACK in NumPy" for n in ("lu", "eigh", "svd", "qr")},
    "custom_linear_solve": "no long-double LAPACK in NumPy",
}
# Rules with no independent formula here: checks 3 and 4 only, and the
# mutation meta-test asks only that a zeroed bound be caught.
NO_FORMULA: dict[str, str] = {
    "igamma": "its derivative in the shape parameter has no JAX rule",
    "igammac": "its derivative in the shape parameter has no JAX rule",
    "polygamma": "its derivative in the order has no JAX rule",
    "nextafter": "no derivative",
    "fft": "the normwise bound of the transform is not restated here",
    **{
        n: "the linear-algebra rules' perturbation bounds are not restated here"
        for n in ("cholesky", "triangular_solve", "lu", "eigh", "svd", "qr")
    },
    "custom_linear_solve": "the bound of the solve's own jaxpr (LU, triangular solves)",
    **{
        n: "no rule of its own: the generic rule, through the Jacobian"
        for n in ("scatter-mul", "scatter-min", "scatter-max")
    },
}

DTYPES = {"float64": np.float64, "float32": np.float32, "bfloat16": ml_dtypes.bfloat16}
N = 64  # points of each kind
# Operand errors small enough that second-order terms stay below the rounding
# a first-order bound allows; none in bfloat16, where even one ulp is not.
PERTURB_ULPS = {"float64": 1000.0, "float32": 16.0}
# Each dtype's points: edge values and typical ones with exact operands, the
# typical ones again with operands carrying an error, and (float64) the
# formula's points with errors 1000·u·|x|.
KINDS = ("edge", "typical", "perturbed", "formula")


def _prim(key: str) -> str:
    return key.split(":")[0]


LIVE = sorted(k for k, s in SPECS.items() if not s.absent)


def _rng(key: str, salt: str) -> np.random.Generator:
    return np.random.default_rng(list((key + salt).encode()))


@functools.cache
def _closed(key: str, dtype: str) -> Any:
    spec = SPECS[key]
    ftype = np.int32 if spec.int_inputs else DTYPES[dtype]
    avals = [jax.ShapeDtypeStruct(s, ftype) for s in spec.floats]
    avals += [jax.ShapeDtypeStruct(s, np.int32) for s, _, _ in spec.ints]
    return trace_as_written(spec.fn, *avals)


def _float_out(key: str) -> bool:
    spec = SPECS[key]
    if spec.int_inputs:
        return False
    out = _closed(key, "float64").out_avals[0]
    return bool(jax.dtypes.issubdtype(out.dtype, np.floating))


# No bfloat16 in XLA's CPU LAPACK.
LAPACK = {
    "cholesky",
    "triangular_solve",
    "lu",
    "eigh",
    "svd",
    "qr",
    "lu_pivots_to_permutation",
}


def _dtypes(key: str) -> list[str]:
    if SPECS[key].int_inputs:
        return ["float64"]
    return (
        ["float64", "float32"]
        if _prim(key) in LAPACK | {"custom_linear_solve", "fft"}  # nor FFT
        else list(DTYPES)
    )


def _edge_values(dtype: str) -> np.ndarray:
    f = ml_dtypes.finfo(DTYPES[dtype])
    sub, tiny, huge = float(f.smallest_subnormal), float(f.tiny), float(f.max) / 4
    return np.array(
        [0.0, -0.0, 3 * sub, -3 * sub, tiny, 1.0, -1.0, 0.75, 3.5, huge, -huge, 1e-3]
    )


def _inputs(key: str, dtype: str, kind: str) -> tuple[list, list]:
    """(float operands, integer operands), each with a leading points axis."""
    spec, rng = SPECS[key], _rng(key, dtype + kind)
    if spec.int_inputs:
        if kind == "typical":
            xs = [rng.integers(-1000, 1000, (N, *s)) for s in spec.floats]
        else:
            info = np.iinfo(np.int32)
            vals = np.array([0, -1, 1, 31, 32, info.min, info.max])
            xs = [rng.choice(vals, (N, *s)) for s in spec.floats]
        return [x.astype(np.int32) for x in xs], []
    if kind == "typical":
        xs = [spec.domain(rng.normal(size=(N, *s))) for s in spec.floats]
    else:
        vals = _edge_values(dtype)
        ties = np.repeat(vals, 2)  # every element equal: ties everywhere
        xs = []
        for s in spec.floats:
            same = np.broadcast_to(ties.reshape((-1, *(1,) * len(s))), (len(ties), *s))
            mixed = rng.choice(vals, (N - len(ties), *s))
            xs.append(np.concatenate([same, mixed]))
        if spec.domain in _MATRIX_DOMAINS:  # factorizations: a matrix domain
            xs = [spec.domain(x) for x in xs]
    xs = [x.astype(DTYPES[dtype]) for x in xs]
    ints = [rng.integers(lo, hi, (N, *s)).astype(np.int32) for s, lo, hi in spec.ints]
    return xs, ints


def _u(dtype: str) -> float:
    return float(ml_dtypes.finfo(DTYPES[dtype]).eps) / 2


def _perturbed(key: str, dtype: str, xs: list) -> tuple[list, list]:
    """Operands ``x̂ = x ± e``, about PERTURB_ULPS ulps away, and their errors
    |x̂ − x| (rounded up to float64)."""
    rng = _rng(key, "perturb" + dtype)
    hats, errs = [], []
    for x in xs:
        wide = x.astype(np.longdouble)
        sign = rng.choice([-1.0, 1.0], x.shape)
        step = PERTURB_ULPS[dtype] * _u(dtype) * np.abs(wide)
        hat = (wide + sign * step).astype(DTYPES[dtype])
        err = np.abs(hat.astype(np.longdouble) - wide)
        hats.append(hat)
        errs.append(np.nextafter(err.astype(np.float64), np.inf) * (err > 0))
    return hats, errs


@dataclasses.dataclass(frozen=True)
class Points:
    """One dtype's points of every kind, concatenated along the points axis."""

    xs: list  # operands as evaluated (perturbed ones for "perturbed")
    es: list  # their errors (zeros: exact)
    ints: list
    exact_xs: list  # the exact operands
    kinds: dict  # kind -> slice


@functools.cache
def _points(key: str, dtype: str) -> Points:
    spec = SPECS[key]
    parts = {
        "edge": _inputs(key, dtype, "edge"),
        "typical": _inputs(key, dtype, "typical"),
    }
    runs = []
    for kind in KINDS:
        if kind == "formula" and (dtype != "float64" or spec.int_inputs):
            continue
        xs, ints = parts["typical" if kind in ("perturbed", "formula") else kind]
        if kind == "perturbed" and (spec.int_inputs or dtype not in PERTURB_ULPS):
            continue
        if kind == "perturbed":
            hats, es = _perturbed(key, dtype, xs)
        elif kind == "formula":
            hats, es = xs, [1000 * U64 * np.abs(x) for x in xs]
        else:
            hats, es = xs, [np.zeros(np.shape(x)) for x in xs]
        runs.append((kind, hats, es, ints, xs))
    kinds, start = {}, 0
    for kind, hats, *_ in runs:
        kinds[kind] = slice(start, start + len(hats[0]) if hats else start + N)
        start = kinds[kind].stop

    def cat(i: int) -> list:
        return [np.concatenate(group) for group in zip(*[r[i] for r in runs])]

    return Points(cat(1), cat(2), cat(3), cat(4), kinds)


def _engines(key: str, dtype: str = "float64") -> list[str]:
    closed = _closed(key, dtype)
    return ["xla"] + (["numpy"] if interpret.supported(closed, bounds=True) else [])


def _xla_mutations(key: str) -> list[str]:
    name = _prim(key)
    if not _float_out(key) or _xla_hook(name) is None or name in NOT_MUTABLE:
        return []
    return ["zero"] if name in NO_FORMULA else ["zero", "shrink"]


@functools.cache
def _xla_results(key: str) -> dict:
    """Everything the XLA engine computes for one spec, in one compiled
    program: (values, bounds) for each dtype, the float64 ones again under each
    mutation of the rule, and the float64 evaluation of ``fn`` at the exact
    operands. Keys: (dtype, mutation or None), and ("wide", dtype)."""
    spec = SPECS[key]
    plan = [(d, None) for d in _dtypes(key)]
    plan += [("float64", m) for m in _xla_mutations(key)]
    if _prim(key) in NO_EXTENDED_REFERENCE:  # checked against float64 in float32
        plan += [("float32", m) for m in _xla_mutations(key)]
    inputs = {d: _points(key, d) for d in _dtypes(key)}

    def program(feed):
        out = {}
        for dtype, how in plan:
            xs, es, ints = feed[dtype]
            exact = tuple([spec.int_inputs] * len(xs) + [True] * len(ints))
            one = _xla_point(_closed(key, dtype), exact)
            zeros = [jnp.zeros(jnp.shape(i), jnp.float64) for i in ints]
            ctx = mutate(_prim(key), "xla", how) if how else contextlib.nullcontext()
            with ctx:
                out[f"{dtype}/{how}"] = jax.vmap(one)([*xs, *ints], [*es, *zeros])
        return out

    feed = {d: (p.xs, p.es, p.ints) for d, p in inputs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = jax.jit(program)(feed)
    return {k: jax.tree.map(np.asarray, v) for k, v in got.items()}


def _results(engine: str, key: str, dtype: str, how: str | None = None) -> tuple:
    """(values, bounds) at all of ``_points(key, dtype)``; ``how``: a mutation
    of the rule (float64)."""
    if engine == "xla":
        v, b = _xla_results(key)[f"{dtype}/{how}"]
        return v, b.astype(np.float64)
    if how is None:
        return _numpy_results(key, dtype)
    with mutate(_prim(key), "numpy", how):
        return _numpy_results.__wrapped__(key, dtype)


@functools.cache
def _numpy_results(key: str, dtype: str) -> tuple:
    p = _points(key, dtype)
    es = [*p.es, *[None] * len(p.ints)]
    return _bound_with_errors(_closed(key, dtype), [*p.xs, *p.ints], es)


def _flushed(x: np.ndarray) -> np.ndarray:
    """Subnormal values read as zero, as XLA's CPU reads an operand (DAZ)."""
    tiny = float(ml_dtypes.finfo(x.dtype).tiny)
    return np.where(np.abs(x.astype(np.float64)) < tiny, x * 0, x).astype(x.dtype)


def _exact(key: str, dtype: str, flush: bool = False) -> np.ndarray | None:
    """The exact results at the exact operands of every kind (long double),
    or at those operands with subnormals read as zero (``flush``); None where
    there is no reference finer than ``dtype``."""
    spec, p = SPECS[key], _points(key, dtype)
    xs = [_flushed(x) for x in p.exact_xs] if flush else p.exact_xs
    if spec.ref is not None:
        with np.errstate(all="ignore"):
            return np.asarray(spec.ref(*[x.astype(np.longdouble) for x in xs], *p.ints))
    if dtype == "float64" and _prim(key) in NO_EXTENDED_REFERENCE:
        return None
    wide = [x.astype(np.float64) for x in xs]  # converted here: XLA would flush
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = _f64_program(key)(*wide, *p.ints)
    return np.asarray(got).astype(np.longdouble)


@functools.cache
def _f64_program(key: str) -> Callable:
    return jax.jit(jax.vmap(SPECS[key].fn))


def _excess(value: np.ndarray, bound: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|value − exact| − bound (positive: the bound fails), with the
    reference's own rounding allowed; NaN where not finite."""
    ref_u = float(np.finfo(np.longdouble).eps) / 2
    v = value.astype(np.longdouble)
    error = np.abs(v - exact)
    slack = 4 * ref_u * np.abs(exact) + 1e-9 * bound
    # XLA's CPU flushes subnormal results to zero even where it only moves
    # data (gather, scatter), and the rules of data movement add no η: an
    # exact result below the smallest normal number may come back as zero.
    # Below it, XLA flushes or keeps a subnormal depending on how it lowers
    # the operation (a compare, a select, a convert): a value and an exact
    # result both subnormal are not compared.
    tiny = float(ml_dtypes.finfo(value.dtype).tiny)
    error = np.where((np.abs(exact) < tiny) & (np.abs(v) < tiny), 0.0, error)
    ok = np.isfinite(v) & np.isfinite(exact)
    return np.where(ok, error - bound - slack, np.nan)


def check_bounds(
    key: str, dtype: str, engine: str, how: str | None = None
) -> list[str]:
    """Check 3: the bound holds, on edge points (exact operands) and typical
    points (exact operands, and operands carrying an error)."""
    exact = _exact(key, dtype)
    if exact is None:
        return []
    read = _exact(key, dtype, flush=True)
    p = _points(key, dtype)
    v, b = _results(engine, key, dtype, how)
    failures = []
    for kind in ("edge", "typical", "perturbed"):
        if kind not in p.kinds:
            continue
        s = p.kinds[kind]
        excess = np.fmin(_excess(v[s], b[s], exact[s]), _excess(v[s], b[s], read[s]))
        if kind == "edge" and key in UNDERFLOW_CARRIED:
            near = _near_underflow([x[s] for x in p.xs], dtype)
            excess = np.where(
                near.reshape((-1,) + (1,) * (excess.ndim - 1)), np.nan, excess
            )
        if np.nanmax(excess, initial=-1.0) > 0:
            i = int(np.nanargmax(excess.reshape(len(excess), -1).max(-1)))
            j = s.start + i
            failures.append(
                f"{key} {dtype} {engine} {kind}: bound {b[j].ravel()} < error "
                f"{np.abs(v[j].astype(np.longdouble) - exact[j]).ravel()} at "
                f"{[x[j].tolist() for x in p.xs]} "
                f"with errors {[e[j].tolist() for e in p.es]}"
            )
    return failures


def check_tight(key: str, dtype: str, engine: str) -> list[str]:
    """Check 4: ``median(bound) ≤ 1000 · max|value − exact|`` over the typical
    points, exact operands and operands carrying an error, wherever that
    maximum is non-zero."""
    exact = _exact(key, dtype)
    if exact is None:
        return []
    p = _points(key, dtype)
    v, b = _results(engine, key, dtype)
    failures = []
    for kind in ("typical", "perturbed"):
        if kind not in p.kinds:
            continue
        s = p.kinds[kind]
        error = np.abs(v[s].astype(np.longdouble) - exact[s]).astype(np.float64)
        error = error[np.isfinite(error)]
        worst = float(error.max(initial=0.0))
        if worst > 0 and np.median(b[s]) > 1000 * worst:
            failures.append(
                f"{key} {dtype} {engine} {kind}: median bound {np.median(b[s]):.3g}, "
                f"max error {worst:.3g}"
            )
    return failures


def check_formula(key: str, engine: str, how: str | None = None) -> list[str]:
    """Check 5: in float64, with operand errors ``1000·u·|x|``, the engine's
    bound is the spec's formula to 10⁻⁹ relative."""
    spec = SPECS[key]
    if spec.formula is None:
        return []
    p = _points(key, "float64")
    s = p.kinds["formula"]
    v, b = _results(engine, key, "float64", how)
    xs, es, ints = [x[s] for x in p.xs], [e[s] for e in p.es], [i[s] for i in p.ints]
    v, b = v[s], b[s]
    want = np.asarray(spec.formula(xs, es, v, ints), np.float64)
    off = np.abs(b - want) > 1e-9 * np.maximum(np.abs(b), np.abs(want)) + 1e-300
    if np.any(off):
        i = int(np.argmax(off.reshape(len(off), -1).any(-1)))
        return [f"{key} {engine}: bound {b[i].ravel()} != formula {want[i].ravel()}"]
    return []


# Where the engines' values may differ near underflow, and why: the NumPy
# engine flushes subnormal operands and results of each primitive, as XLA's CPU
# does, but XLA does not do so uniformly.
UNDERFLOW_DIFFERS: dict[str, str] = {
    **{
        n: "XLA keeps the bits of a subnormal no update lands on; NumPy reads "
        "the operand as zero"
        for n in ("scatter-add", "scatter-mul", "scatter-min", "scatter-max")
    },
    "select_n": "XLA rewrites select(x > y, x, y) as max(x, y), which flushes",
    "pow": "XLA's pow does not flush a subnormal operand (pow(−s, −s) is NaN)",
    "cumprod": "XLA flushes a subnormal partial product, NumPy's cumprod does not",
    "reduce_prod": "XLA flushes a subnormal partial product, NumPy's prod does not",
    **{
        key: "XLA's LAPACK reads a subnormal as zero in arithmetic but a row swap "
        "moves its bits; NumPy's operands are flushed first"
        for key in ("lu:near_singular", "lu:pivots", "lu:permutation")
    },
}


# Where a bound does not hold near underflow, and why (limitations of the
# error model, left as they are): edge points with an operand below √tiny.
UNDERFLOW_CARRIED: dict[str, str] = {
    "reduce_prod": "a partial product that underflows is multiplied by later "
    "factors; the model's η is not carried through them",
    "cumprod": "as reduce_prod",
    "pow": "XLA's pow does not read a subnormal operand as zero, nor quite as it is",
    "atan2": "atan2(±subnormal, −x) flips between ±π as XLA reads the sign of zero",
}


def _near_underflow(xs: list, dtype: str) -> np.ndarray:
    """Points with an operand whose partial products may underflow: a nonzero
    magnitude below √tiny."""
    small = float(np.sqrt(ml_dtypes.finfo(DTYPES[dtype]).tiny))
    hit = np.zeros(len(xs[0]), bool)
    for x in xs:
        a = np.abs(x.astype(np.float64)).reshape(len(x), -1)
        hit |= ((a > 0) & (a < small)).any(-1)
    return hit


def check_values(key: str, dtype: str) -> list[str]:
    """Check 2: the NumPy engine's values are the compiled ones, on edge and
    typical points."""
    closed = _closed(key, dtype)
    if not interpret.supported(closed):
        return []
    spec, p = SPECS[key], _points(key, dtype)
    s = slice(0, p.kinds["typical"].stop)
    xs, ints = [x[s] for x in p.xs], [i[s] for i in p.ints]
    ((host, _),) = interpret.evaluate(closed, [*xs, *ints])
    host = np.asarray(host)
    compiled, xla_bound = (a[s] for a in _results("xla", key, dtype))
    if host.dtype != compiled.dtype or host.shape != compiled.shape:
        return [
            f"{key} {dtype}: {host.dtype}{host.shape} "
            f"vs {compiled.dtype}{compiled.shape}"
        ]
    same = host == compiled
    if key in UNDERFLOW_DIFFERS:
        near = _near_underflow(xs, dtype)
        same |= near.reshape((-1,) + (1,) * (same.ndim - 1))
    if jax.dtypes.issubdtype(host.dtype, np.inexact):
        h64, c64 = host.astype(np.float64), compiled.astype(np.float64)
        same |= np.isnan(h64) & np.isnan(c64)
        if spec.library and interpret.supported(closed, bounds=True):
            host_bound = _numpy_results(key, dtype)[1][s]
            same |= np.abs(h64 - c64) <= host_bound + xla_bound
            # inf − inf summed in another order: NaN or ±inf
            same |= ~np.isfinite(h64) & ~np.isfinite(c64)
    if np.all(same):
        return []
    i = int(np.argmin(same.reshape(len(same), -1).all(-1)))
    return [
        f"{key} {dtype}: numpy {host[i].ravel()} != xla {compiled[i].ravel()} at "
        f"{[x[i].tolist() for x in [*xs, *ints]]}"
    ]


# ---------------------------------------------------------------------------
# The tests.


def test_every_rule_has_a_spec():
    """A rule added to either engine without a spec here fails, named."""
    named = {_prim(k) for k in SPECS}
    for table, names in _rule_tables().items():
        missing = sorted(names - named)
        assert not missing, (
            f"{table}: no spec in tests/test_conformance.py for {missing}"
        )


def _primitives_of(closed: Any) -> set[str]:
    found, stack = set(), [closed.jaxpr]
    while stack:
        j = stack.pop()
        for eqn in j.eqns:
            found.add(eqn.primitive.name)
            for p in eqn.params.values():
                for q in p if isinstance(p, tuple) else (p,):
                    if hasattr(q, "eqns") or hasattr(q, "jaxpr"):
                        stack.append(q.jaxpr if hasattr(q, "jaxpr") else q)
    return found


def test_each_spec_produces_its_primitive():
    for key in LIVE:
        found = _primitives_of(_closed(key, "float32"))
        assert _prim(key) in found, (key, sorted(found))


def test_an_absent_name_is_no_primitive_of_this_jax():
    """The table names a few primitives this JAX does not have; each is
    produced by none of the specs."""
    produced = set().union(*(_primitives_of(_closed(k, "float64")) for k in LIVE))
    for key, spec in SPECS.items():
        if spec.absent:
            assert key not in produced, key


@pytest.mark.parametrize("key", LIVE)
def test_values_match_the_compiled_ones(key):
    failures = [f for d in _dtypes(key) for f in check_values(key, d)]
    assert not failures, "\n".join(failures)


FLOAT_KEYS = [k for k in LIVE if _float_out(k)]


# Float results whose bounds are not checked here, and why.
UNCHECKED: dict[str, str] = {
    **{
        n: "XLA takes minutes to compile its Jacobian (series in the shape parameter)"
        for n in ("igamma", "igammac", "polygamma")
    },
    "nextafter": "no derivative: NoErrorBound, an entry that uses it is an error",
}
FLOAT_KEYS = [k for k in FLOAT_KEYS if _prim(k) not in UNCHECKED]


@pytest.mark.parametrize("key", FLOAT_KEYS)
def test_bounds_hold(key):
    failures = [
        f
        for d in _dtypes(key)
        for e in _engines(key, d)
        for f in check_bounds(key, d, e)
    ]
    assert not failures, "\n".join(failures[:6])


@pytest.mark.parametrize("key", [k for k in FLOAT_KEYS if _prim(k) not in LOOSE])
def test_bounds_are_tight(key):
    failures = [
        f
        for d in _dtypes(key)
        for e in _engines(key, d)
        for f in check_tight(key, d, e)
    ]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("key", [k for k in FLOAT_KEYS if _prim(k) not in NO_FORMULA])
def test_bounds_follow_the_error_model(key):
    failures = [f for e in _engines(key) for f in check_formula(key, e)]
    assert not failures, "\n".join(failures)


# Rules the mutation meta-test cannot break from outside the XLA engine, which
# computes their bounds inline; the NumPy engine's are broken.
NOT_MUTABLE: dict[str, str] = {
    "iota": "no real operand: the XLA engine gives it 4 ulps inline",
    **{
        n: "its bound is its own rounding, which the XLA engine adds inline"
        for n in ("floor", "ceil", "sign", "round")
    },
    "convert_element_type": "the XLA engine computes its bound inline",
    "stop_gradient": "the XLA engine passes the bound on inline",
    "reduce_precision": "the XLA engine passes the bound on inline",
}


# Values no check can read, and why: a broken value rule is invisible.
VALUE_NOT_READ: dict[str, str] = {
    "empty2": "a placeholder for a branch the CPU never takes; XLA fills it with "
    "zeros, which a value scaled by 1.001 leaves as they are",
}
# Primitives whose own bound no check can see broken, and why: the float
# result of their spec is another primitive's.
NO_BOUND_OF_THEIR_OWN: dict[str, str] = {
    "platform_index": "an integer result: the float result is its cond's",
    "empty2": "zeros the result never reads (the gradient's own primitives bound it)",
}


def _mutations() -> list[tuple[str, str, str]]:
    out = []
    for key in LIVE:
        name = _prim(key)
        if (
            name in interpret._VALUES
            and name not in VALUE_NOT_READ
            and interpret.supported(_closed(key, "float64"))
        ):
            out.append((key, "numpy", "value"))
        if name in UNCHECKED or name in NO_BOUND_OF_THEIR_OWN:
            continue
        out += [(key, "xla", how) for how in _xla_mutations(key)]
        if _float_out(key) and "numpy" in _engines(key):
            hows = ("zero",) if name in NO_FORMULA else ("zero", "shrink")
            out += [(key, "numpy", how) for how in hows]
    return out


@pytest.mark.parametrize("key,engine,how", _mutations())
def test_a_broken_rule_is_caught(key, engine, how):
    """The checks above fail on a rule zeroed, shrunk by 0.1 %, or a value
    off by 0.1 %."""
    if how == "value":
        closed = _closed(key, "float64")
        if SPECS[key].library and interpret.supported(closed, bounds=True):
            _numpy_results(key, "float64")  # the unbroken bounds, cached first
        with mutate(_prim(key), engine, how):
            caught = check_values(key, "float64")
    else:
        caught = check_formula(key, engine, how) or check_bounds(
            key, "float64", engine, how
        )
        if not caught and _prim(key) in NO_EXTENDED_REFERENCE:
            caught = check_bounds(key, "float32", engine, how)
    assert caught, f"{how} of {key} in {engine} goes unnoticed"


# --------------------------------------------------------------------------- Linear
# algebra outside the table: QR with column pivoting, and eigh and svd of a subset of
# their values. Pivoted QR has no spec above: ``qr``'s bound rule in
# ``checks._src.evaluate.rounding_linalg`` takes two outputs (Q, R), and pivoted QR has
# a third (the permutation), so checks 3–6 cannot run on it; its values are checked
# here, and its verdicts below.


def _pivoted_qr_edges(shape: tuple[int, int], dtype: type) -> np.ndarray:
    """Matrices where pivoting decides: zeros, ties of column norms (equal and
    repeated columns, integers), rank deficiency, a column 10⁻³⁰ of the others,
    huge and subnormal entries, NaN and ±inf, and typical ones."""
    m, n = shape
    rng = _rng(f"qr:pivoted{shape}", dtype.__name__)
    typical = rng.standard_normal((8, m, n))
    cases = [np.zeros(shape), np.ones(shape), np.eye(m, n), *typical]
    tie = rng.standard_normal(shape)
    tie[:, -1] = tie[:, 0]
    small = rng.standard_normal(shape)
    small[:, 1] *= 1e-30
    cases += [tie, -tie, small, rng.integers(-2, 3, shape).astype(float)]
    for scale in (1e300, float(np.finfo(dtype).tiny)):
        cases.append(rng.standard_normal(shape) * scale)
    for bad in (np.nan, np.inf, -np.inf):
        a = rng.standard_normal(shape)
        a[0, -1] = bad
        cases.append(a)
    with np.errstate(over="ignore"):
        return np.stack(cases).astype(dtype)


def _pivoted_qr_mismatches(full: bool, shape: tuple, dtype: type) -> list[str]:
    """Where the NumPy engine's (Q, R, permutation) of pivoted QR differ from
    the compiled ones: bit for bit (NaN equal to NaN), but for the points whose
    column norms underflow (an entry below √tiny), as for ``lu:pivots``: XLA's
    CPU runs LAPACK with subnormals read and written as zero, which NumPy's
    operands only approach by being flushed first."""

    def fn(a):
        return lax.linalg.qr(a, pivoting=True, full_matrices=full)

    xs = _pivoted_qr_edges(shape, dtype)
    closed = jax.make_jaxpr(fn)(xs[0])
    assert interpret.supported(closed)
    host = [v for v, _ in interpret.evaluate(closed, [xs])]
    compiled = [np.asarray(c) for c in jax.jit(jax.vmap(fn))(xs)]
    near = _near_underflow([xs], dtype.__name__)
    failures = []
    for name, h, c in zip(("q", "r", "permutation"), host, compiled):
        if h.dtype != c.dtype or h.shape != c.shape:
            failures.append(f"{name}: {h.dtype}{h.shape} vs {c.dtype}{c.shape}")
            continue
        same = (h == c) | (np.isnan(h) & np.isnan(c) if h.dtype.kind == "f" else False)
        same = same.reshape(len(xs), -1).all(-1) | near
        for i in np.flatnonzero(~same):
            failures.append(f"{name} at {xs[i].tolist()}: {h[i]} != {c[i]}")
    return failures


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
@pytest.mark.parametrize("full", [False, True])
def test_pivoted_qr_values_match_the_compiled_ones(full, shape, dtype):
    failures = _pivoted_qr_mismatches(full, shape, dtype)
    assert not failures, "\n".join(failures[:6])


@pytest.mark.parametrize("how", ["q", "permutation"])
def test_a_broken_pivoted_qr_value_is_caught(monkeypatch, how):
    """The comparison above sees Q off by 0.1 %, or the permutation reversed."""
    original = interpret._VALUES["qr"]

    def broken(params, *xs):
        q, r, *p = original(params, *xs)
        if how == "q":
            return [q * 1.001, r, *p]
        return [q, r, *[np.flip(v, -1) for v in p]]

    monkeypatch.setitem(interpret._VALUES, "qr", broken)
    assert _pivoted_qr_mismatches(False, (3, 3), np.float64)


@pytest.mark.parametrize(
    "fn",
    [
        lambda a: lax.linalg.eigh(a, subset_by_index=(1, 3)),
        lambda a: lax.linalg.svd(a, full_matrices=False, subset_by_index=(0, 1)),
    ],
    ids=["eigh", "svd"],
)
def test_a_subset_of_eigen_or_singular_values_is_not_evaluated(fn):
    """Neither engine evaluates eigh or svd of a subset of the values: XLA's
    CPU has no kernel for one (JAX refuses to lower it), so there is nothing
    for NumPy to match. If JAX gains one, this fails, and NumPy's rule can
    follow it."""
    a = np.eye(3) + 0.1
    with pytest.raises(NotImplementedError, match="subset_by_index"):
        jax.jit(fn).lower(a)
    closed = jax.make_jaxpr(fn)(a)
    with pytest.raises(interpret.Unsupported, match="XLA's CPU has no kernel"):
        interpret.evaluate(closed, [a[None]])


@pytest.mark.parametrize(
    "fn",
    [
        lambda a: lax.linalg.eigh(a, subset_by_index=(0, 3)),
        lambda a: lax.linalg.svd(a, full_matrices=False, subset_by_index=(0, 3)),
    ],
    ids=["eigh", "svd"],
)
def test_a_subset_of_all_the_values_is_the_whole_decomposition(fn):
    """``subset_by_index=(0, n)`` asks for every value: both engines evaluate
    it, and agree to rounding."""
    a = _spd(_rng("subset", "all").standard_normal((5, 3, 3)))
    closed = jax.make_jaxpr(fn)(a[0])
    host = [v for v, _ in interpret.evaluate(closed, [a])]
    compiled = jax.jit(jax.vmap(fn))(a)
    for h, c in zip(host, compiled):
        np.testing.assert_allclose(np.abs(h), np.abs(np.asarray(c)), rtol=1e-13)


def _log_abs_det(X: jax.Array) -> jax.Array:
    return jnp.linalg.slogdet(X)[1]


def _pivoted_inverse_rows(X: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``R⁻¹Qᵀ`` of ``X[:, p] = Q·R``, whose rows are those of X⁻¹ in the order
    ``p``, and ``p``."""
    q, r, p = jax.scipy.linalg.qr(X, pivoting=True)
    return jax.scipy.linalg.solve_triangular(r, q.T, lower=False), p


_PIVOTED = {
    "of": _log_abs_det,
    "wrt": "X",
    "inputs": {"X": checks.domain.custom(samplers.well_conditioned, ("n", "n"))},
    "dims": {"n": (3,)},
}


@checks.derivation(**_PIVOTED)
def _log_abs_det_grad_pivoted(X: jax.Array) -> jax.Array:
    """∂ log|det X| / ∂X = X⁻ᵀ, with X⁻¹ = P·R⁻¹Qᵀ from ``X·P = Q·R``."""
    y, p = _pivoted_inverse_rows(X)
    return y[jnp.argsort(p)].T


@checks.derivation(**_PIVOTED, expect="fail", why="the column permutation left out")
def _log_abs_det_grad_pivoted_unpermuted(X: jax.Array) -> jax.Array:
    """X⁻ᵀ taken as (R⁻¹Qᵀ)ᵀ: right only where no column was moved."""
    y, _ = _pivoted_inverse_rows(X)
    return y.T


@pytest.mark.parametrize("engine", ["auto", "xla"])
def test_pivoted_qr_verdicts_under_both_engines(engine):
    """A right closed form through pivoted QR passes and one that leaves the
    permutation out fails, whichever engine evaluates them ("auto": NumPy)."""
    ran = "numpy" if engine == "auto" else "xla"
    kw = {"engine": engine, "samples": 100, "dtypes": ("float64", "float32")}
    right = checks.verify(_log_abs_det_grad_pivoted, **kw)
    assert right.status == "pass", str(right)
    wrong = checks.verify(_log_abs_det_grad_pivoted_unpermuted, **kw)
    assert wrong.outcome == "fail", str(wrong)
    assert all(c.status == "fail" for c in wrong.cases), str(wrong)
    assert [c.engine for c in right.cases + wrong.cases] == [ran] * 4
