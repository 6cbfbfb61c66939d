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
This is what ``jax.vmap`` does, without tracing anything again.

Bounds: with ``bounds=True`` every value also carries ``e ≥ |v̂ − v|``, by the
rules of ``checks.rounding`` (Higham, *Accuracy and Stability of Numerical
Algorithms*, §3.3), equation for equation the same, so a verdict does not depend
on which of the two evaluated it.

Anything this module does not implement raises ``Unsupported`` before a point
is evaluated (``supported`` walks the jaxpr first); the check is then compiled
with XLA as usual.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import jax
import ml_dtypes
import numpy as np
from jax.extend import core

from checks.rounding import (
    _DATA_MOVEMENT,
    _IDENTITY,
    _LIBRARY_ULPS,
    _STRUCTURAL,
    OWN_ROUNDING,
    arithmetic_rules,
    own_ulps,
)

__all__ = ["Unsupported", "evaluate", "supported"]


class Unsupported(Exception):
    """A primitive, or a parameter of one, that this interpreter does not do."""


Rule = Callable[..., Any]

_CALLS = (
    "pjit",
    "jit",
    "closed_call",
    "core_call",
    "custom_jvp_call",
    "custom_vjp_call",
)


def _ax(axes: Iterable[int]) -> tuple[int, ...]:
    """Axes of one point, as axes of the batch."""
    return tuple(int(a) + 1 for a in axes)


def _batch(arrays: Sequence[np.ndarray]) -> int:
    return max(a.shape[0] for a in arrays)


def _to_rank(x: np.ndarray, rank: int) -> np.ndarray:
    """A point's value of lower rank, with leading axes of size 1 (after the
    points axis) so that it broadcasts as a scalar operand does."""
    missing = rank - (x.ndim - 1)
    if missing <= 0:
        return x
    return x.reshape((x.shape[0], *(1,) * missing, *x.shape[1:]))


def _full(x: np.ndarray, b: int) -> np.ndarray:
    return x if x.shape[0] == b else np.broadcast_to(x, (b, *x.shape[1:]))


# Value rules: (params, *operands) -> result (or list of results). The result is
# cast to the equation's output dtype afterwards.


def _elementwise(fn: Callable[..., Any]) -> Rule:
    def rule(params: dict[str, Any], *xs: np.ndarray) -> np.ndarray:
        return fn(*xs)

    rule.elementwise = True  # type: ignore[attr-defined]
    return rule


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _int_divisor(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """y with 1 where XLA does not divide: by zero, and the signed
    ``min // −1`` that overflows; and where that is."""
    special = y == 0
    if x.dtype.kind == "i":
        special = special | ((x == np.iinfo(x.dtype).min) & (y == -1))
    return np.where(special, np.ones_like(y), y), special


def _int_div(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Division truncating toward zero; as XLA, x / 0 is −1 (all bits set:
    the largest unsigned integer) and ``min / −1`` is ``min``."""
    if not np.issubdtype(x.dtype, np.integer):
        return x / y
    safe, special = _int_divisor(x, y)
    q = x // safe
    q = q + ((q * safe != x) & ((x < 0) != (safe < 0))).astype(q.dtype)
    q = np.where(y == 0, np.array(-1).astype(x.dtype), q)
    return np.where(special & (y != 0), x, q)


def _rem(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Remainder with the sign of x; as XLA, x rem 0 is x and ``min rem −1``
    is 0."""
    if not np.issubdtype(x.dtype, np.integer):
        return np.fmod(x, y)
    safe, _ = _int_divisor(x, y)
    return np.where(y == 0, x, np.fmod(x, safe))


def _shift_right_logical(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    bits = x.dtype.itemsize * 8
    unsigned = x.view(np.dtype(f"uint{bits}")) if x.dtype.kind == "i" else x
    s = s.astype(unsigned.dtype)
    out = np.where(s < bits, unsigned >> np.minimum(s, bits - 1), 0)
    return out.astype(unsigned.dtype).view(x.dtype)


def _shift_left(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    bits = x.dtype.itemsize * 8
    s = s.astype(x.dtype)
    return np.where(s < bits, x << np.minimum(s, bits - 1), 0)


def _pow(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.power(x, y)


def _integer_pow(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    y = int(params["y"])
    if y >= 0:
        return x**y
    return 1 / x ** (-y)


def _convert(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    return x.astype(np.dtype(params["new_dtype"]))


def _bitcast(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    new = np.dtype(params["new_dtype"])
    if new.itemsize != x.dtype.itemsize:
        raise Unsupported("bitcast_convert_type between widths")
    return np.ascontiguousarray(x).view(new)


def _iota(params: dict[str, Any]) -> np.ndarray:
    shape = tuple(params["shape"])
    dim = int(params["dimension"])
    line = np.arange(shape[dim], dtype=np.dtype(params["dtype"]))
    view = [1] * len(shape)
    view[dim] = shape[dim]
    return np.broadcast_to(line.reshape(view), shape)[None]


def _broadcast_in_dim(params: dict[str, Any], x: np.ndarray, *dyn: Any) -> np.ndarray:
    if dyn:
        raise Unsupported("dynamic shapes")
    shape = tuple(params["shape"])
    view = [1] * len(shape)
    for i, d in enumerate(params["broadcast_dimensions"]):
        view[d] = x.shape[1 + i]
    return np.broadcast_to(x.reshape((x.shape[0], *view)), (x.shape[0], *shape))


def _reshape(params: dict[str, Any], x: np.ndarray, *dyn: Any) -> np.ndarray:
    if dyn or params.get("dimensions") is not None:
        raise Unsupported("reshape with dimensions")
    return x.reshape((x.shape[0], *params["new_sizes"]))


def _squeeze(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    return np.squeeze(x, axis=_ax(params["dimensions"]))


def _expand_dims(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    return np.expand_dims(x, _ax(params["dimensions"]))


def _transpose(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    return np.transpose(x, (0, *_ax(params["permutation"])))


def _reduction(fn: Callable[..., Any]) -> Rule:
    def rule(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return fn(x, axis=_ax(params["axes"]))

    return rule


def _arg(fn: Callable[..., Any]) -> Rule:
    def rule(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
        (axis,) = params["axes"]
        return fn(x, axis=int(axis) + 1).astype(np.dtype(params["index_dtype"]))

    return rule


def _cumulative(fn: Callable[..., Any]) -> Rule:
    def rule(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
        axis = int(params["axis"]) + 1
        if params.get("reverse"):
            return np.flip(fn(np.flip(x, axis), axis=axis), axis)
        return fn(x, axis=axis)

    return rule


def _einsum_spec(dimension_numbers: Any, nl: int, nr: int) -> str:
    """Subscripts for ``lax.dot_general`` with the points axis as ``...``:
    output dims are the batch dims, then lhs free, then rhs free."""
    (lc, rc), (lb, rb) = dimension_numbers
    letters = iter(string.ascii_letters)
    lhs = [next(letters) for _ in range(nl)]
    rhs = [next(letters) for _ in range(nr)]
    for a, b in zip(lc, rc):
        rhs[b] = lhs[a]
    for a, b in zip(lb, rb):
        rhs[b] = lhs[a]
    out = [lhs[a] for a in lb]
    out += [lhs[i] for i in range(nl) if i not in lc and i not in lb]
    out += [rhs[i] for i in range(nr) if i not in rc and i not in rb]
    return f"...{''.join(lhs)},...{''.join(rhs)}->...{''.join(out)}"


def _dot_general(params: dict[str, Any], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    spec = _einsum_spec(params["dimension_numbers"], a.ndim - 1, b.ndim - 1)
    dtype = params.get("preferred_element_type")
    if dtype is not None:
        a, b = a.astype(np.dtype(dtype)), b.astype(np.dtype(dtype))
    return np.einsum(spec, a, b, optimize=True)


def _select_n(params: dict[str, Any], which: np.ndarray, *cases: np.ndarray):
    if which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0]) if len(cases) == 2 else cases[0]
    return np.choose(which, cases)


def _concatenate(params: dict[str, Any], *xs: np.ndarray) -> np.ndarray:
    b = _batch(xs)
    axis = int(params["dimension"]) + 1
    return np.concatenate([_full(x, b) for x in xs], axis=axis)


def _stack(params: dict[str, Any], *xs: np.ndarray) -> np.ndarray:
    b = _batch(xs)
    return np.stack([_full(x, b) for x in xs], axis=int(params["axis"]) + 1)


def _unstack(params: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
    axis = int(params["axis"]) + 1
    return [np.take(x, i, axis=axis) for i in range(x.shape[axis])]


def _split(params: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
    cuts = np.cumsum([int(s) for s in params["sizes"]])[:-1]
    return np.split(x, cuts, axis=int(params["axis"]) + 1)


def _slice(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    strides = params.get("strides") or (1,) * (x.ndim - 1)
    index = tuple(
        slice(int(s), int(e), int(t))
        for s, e, t in zip(params["start_indices"], params["limit_indices"], strides)
    )
    return x[(slice(None), *index)]


def _pad(params: dict[str, Any], x: np.ndarray, value: np.ndarray) -> np.ndarray:
    config = params["padding_config"]
    if any(lo < 0 or hi < 0 or interior != 0 for lo, hi, interior in config):
        raise Unsupported("pad with negative or interior padding")
    if value.shape[0] != 1:
        raise Unsupported("pad with a value that differs between points")
    widths = [(0, 0), *((int(lo), int(hi)) for lo, hi, _ in config)]
    return np.pad(x, widths, constant_values=value.reshape(()))


def _point_index(starts: Sequence[np.ndarray], b: int, rank: int) -> np.ndarray:
    """Scalar indices of each point, shaped to broadcast over ``rank`` axes."""
    return [_full(s.reshape(-1), b).reshape((b, *(1,) * rank)) for s in starts]


def _dynamic_slice(params: dict[str, Any], x: np.ndarray, *starts: np.ndarray):
    """``lax.dynamic_slice``: each start clamped into the operand, as XLA does."""
    sizes = [int(s) for s in params["slice_sizes"]]
    if len(starts) != len(sizes):
        raise Unsupported("dynamic_slice with dynamic sizes")
    b = _batch([x, *starts])
    x = _full(x, b)
    index = [np.arange(b).reshape((b, *(1,) * len(sizes)))]
    for d, (start, size) in enumerate(zip(_point_index(starts, b, len(sizes)), sizes)):
        start = np.clip(start.astype(np.int64), 0, x.shape[d + 1] - size)
        view = [1] * len(sizes)
        view[d] = size
        index.append(start + np.arange(size).reshape((1, *view)))
    return x[tuple(index)]


def _gather(params: dict[str, Any], x: np.ndarray, indices: np.ndarray):
    """``lax.gather`` of whole slices at integer indices (``x[i]``, ``x[i, j]``,
    ``jnp.take``): the indexed dimensions collapsed, the others kept whole."""
    dn = params["dimension_numbers"]
    mapped = tuple(dn.start_index_map)
    sizes = tuple(int(s) for s in params["slice_sizes"])
    rest = [d for d in range(x.ndim - 1) if d not in mapped]
    batch_rank = indices.ndim - 2
    if (
        dn.operand_batching_dims
        or tuple(dn.collapsed_slice_dims) != tuple(sorted(mapped))
        or any(sizes[d] != 1 for d in mapped)
        or any(sizes[d] != x.shape[d + 1] for d in rest)
        or tuple(dn.offset_dims) != tuple(range(batch_rank, batch_rank + len(rest)))
        or "FILL" in str(params["mode"])
    ):
        raise Unsupported("gather of this form")
    b = _batch([x, indices])
    moved = np.moveaxis(_full(x, b), [d + 1 for d in mapped], range(1, len(mapped) + 1))
    index = [np.arange(b).reshape((b, *(1,) * batch_rank))]
    for k, d in enumerate(mapped):
        i = _full(indices[..., k], b).astype(np.int64)
        index.append(np.clip(i, 0, x.shape[d + 1] - 1))
    return moved[tuple(index)]


# jax.random's default generator, threefry2x32 (Salmon et al., "Parallel random
# numbers: as easy as 1, 2, 3", SC 2011), as JAX computes it: a key is two uint32
# words, and ``random_bits`` hashes the element counter, split into two words.
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def _threefry2x32(k1: np.ndarray, k2: np.ndarray, x1: np.ndarray, x2: np.ndarray):
    def rotl(v: np.ndarray, d: int) -> np.ndarray:
        return (v << np.uint32(d)) | (v >> np.uint32(32 - d))

    ks = [k1, k2, k1 ^ k2 ^ np.uint32(0x1BD11BDA)]
    x = [x1 + ks[0], x2 + ks[1]]
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x[0] = x[0] + x[1]
            x[1] = x[0] ^ rotl(x[1], r)
        x[0] = x[0] + ks[(i + 1) % 3]
        x[1] = x[1] + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x


def _is_threefry(impl: Any) -> bool:
    return getattr(impl, "tag", None) == "fry"


def _random_seed(params: dict[str, Any], seed: np.ndarray) -> np.ndarray:
    """A threefry key from an integer seed: (high word, low word)."""
    if not _is_threefry(params["impl"]):
        raise Unsupported("a random generator other than threefry")
    wide = seed.astype(np.uint64)
    high = (wide >> np.uint64(32)).astype(np.uint32)
    if seed.dtype.itemsize < 8:
        high = np.zeros_like(high)
    return np.stack([high, (wide & np.uint64(0xFFFFFFFF)).astype(np.uint32)], -1)


def _random_bits(params: dict[str, Any], key: np.ndarray) -> np.ndarray:
    """``jax.random.bits`` of threefry keys (its partitionable form)."""
    if not jax.config.jax_threefry_partitionable:
        raise Unsupported("threefry bits in their original (non-partitionable) form")
    shape = tuple(int(s) for s in params["shape"])
    width = int(params["bit_width"])
    count = np.arange(int(np.prod(shape)), dtype=np.uint64).reshape(shape)
    high = (count >> np.uint64(32)).astype(np.uint32)[None]
    low = (count & np.uint64(0xFFFFFFFF)).astype(np.uint32)[None]
    lead = (key.shape[0], *key.shape[1:-1], *(1,) * (len(shape) - key.ndim + 2))
    k1 = key[..., 0].reshape(lead)
    k2 = key[..., 1].reshape(lead)
    b1, b2 = _threefry2x32(k1, k2, high, low)
    if width == 64:
        return (b1.astype(np.uint64) << np.uint64(32)) | b2.astype(np.uint64)
    return (b1 ^ b2).astype(np.dtype(f"uint{width}"))


def _rev(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    return np.flip(x, _ax(params["dimensions"]))


def _clamp(params: dict[str, Any], lo: np.ndarray, x: np.ndarray, hi: np.ndarray):
    return np.minimum(np.maximum(x, lo), hi)


def _identity(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    return x


_VALUES: dict[str, Rule] = {
    "exp": _elementwise(np.exp),
    "exp2": _elementwise(np.exp2),
    "log": _elementwise(np.log),
    "log1p": _elementwise(np.log1p),
    "expm1": _elementwise(np.expm1),
    "logistic": _elementwise(_logistic),
    "tanh": _elementwise(np.tanh),
    "sin": _elementwise(np.sin),
    "cos": _elementwise(np.cos),
    "sqrt": _elementwise(np.sqrt),
    "rsqrt": _elementwise(lambda x: 1 / np.sqrt(x)),
    "square": _elementwise(np.square),
    "abs": _elementwise(np.abs),
    "neg": _elementwise(np.negative),
    "sign": _elementwise(np.sign),
    "floor": _elementwise(np.floor),
    "ceil": _elementwise(np.ceil),
    "is_finite": _elementwise(np.isfinite),
    "not": _elementwise(np.invert),
    "add": _elementwise(np.add),
    "add_any": _elementwise(np.add),
    "sub": _elementwise(np.subtract),
    "mul": _elementwise(np.multiply),
    "div": _elementwise(_int_div),
    "rem": _elementwise(_rem),
    "pow": _elementwise(_pow),
    "max": _elementwise(np.maximum),
    "min": _elementwise(np.minimum),
    "and": _elementwise(np.bitwise_and),
    "or": _elementwise(np.bitwise_or),
    "xor": _elementwise(np.bitwise_xor),
    "eq": _elementwise(np.equal),
    "ne": _elementwise(np.not_equal),
    "lt": _elementwise(np.less),
    "le": _elementwise(np.less_equal),
    "gt": _elementwise(np.greater),
    "ge": _elementwise(np.greater_equal),
    "shift_right_logical": _elementwise(_shift_right_logical),
    "shift_left": _elementwise(_shift_left),
    "integer_pow": _integer_pow,
    "convert_element_type": _convert,
    "bitcast_convert_type": _bitcast,
    "iota": _iota,
    "broadcast_in_dim": _broadcast_in_dim,
    "reshape": _reshape,
    "squeeze": _squeeze,
    "expand_dims": _expand_dims,
    "transpose": _transpose,
    "reduce_sum": _reduction(np.sum),
    "reduce_max": _reduction(np.max),
    "reduce_min": _reduction(np.min),
    "reduce_prod": _reduction(np.prod),
    "reduce_and": _reduction(np.all),
    "reduce_or": _reduction(np.any),
    "argmax": _arg(np.argmax),
    "argmin": _arg(np.argmin),
    "cumsum": _cumulative(np.cumsum),
    "cumprod": _cumulative(np.cumprod),
    "cummax": _cumulative(np.maximum.accumulate),
    "cummin": _cumulative(np.minimum.accumulate),
    "dot_general": _dot_general,
    "select_n": _select_n,
    "concatenate": _concatenate,
    "stack": _stack,
    "split": _split,
    "unstack": _unstack,
    "slice": _slice,
    "pad": _pad,
    "rev": _rev,
    "dynamic_slice": _dynamic_slice,
    "random_seed": _random_seed,
    "random_bits": _random_bits,
    "random_wrap": lambda params, x: x,
    "random_unwrap": lambda params, x: x,
    "gather": _gather,
    "clamp": _clamp,
    "copy": _identity,
    "copy_p": _identity,
    "stop_gradient": _identity,
    "optimization_barrier": lambda params, *xs: list(xs),
}

# Operand shapes equal the output's, except scalars, which broadcast.
_ELEMENTWISE = {
    name for name, rule in _VALUES.items() if getattr(rule, "elementwise", False)
} | {"integer_pow", "select_n", "clamp", "convert_element_type"}

# Primitives whose bound has no explicit rule in ``checks.rounding`` and is taken
# there from ``jax.jvp``: the linear ones, whose JVP is the operation itself.
_LINEAR_BY_JVP = {"split", "stack", "unstack"}
# Zero derivative: only their own rounding.
_FLAT = {"floor", "ceil", "sign", "round"}


def _sub_jaxpr(eqn: Any) -> Any:
    for key in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
        if key in eqn.params:
            return eqn.params[key]
    return None


def _closed(sub: Any) -> tuple[Any, Sequence[Any]]:
    if hasattr(sub, "jaxpr"):
        return sub.jaxpr, sub.consts
    return sub, ()


def _has_bound(eqn: Any) -> bool:
    name = eqn.primitive.name
    if not any(_floating(v.aval.dtype) for v in eqn.outvars):
        return True
    if not any(_floating(v.aval.dtype) for v in eqn.invars):
        return True
    return name in _RULED or name in _BOUNDS


def supported(jaxpr: Any, *, bounds: bool = False) -> bool:
    """Whether every equation of ``jaxpr`` (nested ones too) can be evaluated,
    with its rounding-error bound if ``bounds``."""
    stack = [jaxpr.jaxpr if hasattr(jaxpr, "jaxpr") else jaxpr]
    while stack:
        j = stack.pop()
        for eqn in j.eqns:
            name = eqn.primitive.name
            sub = _sub_jaxpr(eqn)
            if sub is not None and name in _CALLS:
                stack.append(_closed(sub)[0])
            elif name not in _VALUES or (bounds and not _has_bound(eqn)):
                return False
    return True


# Bounds, the rules of ``checks.rounding`` in NumPy.


@functools.lru_cache(maxsize=64)
def _tiny(dtype: np.dtype) -> float:
    return float(ml_dtypes.finfo(dtype).tiny)


@functools.lru_cache(maxsize=64)
def _u(dtype: np.dtype) -> float:
    return float(ml_dtypes.finfo(dtype).eps) / 2.0 if _floating(dtype) else 0.0


@functools.lru_cache(maxsize=64)
def _floating(dtype: Any) -> bool:
    """Real or complex floating point, ml_dtypes' bfloat16 and float8 types
    included (NumPy does not count them as ``np.inexact``)."""
    return bool(jax.dtypes.issubdtype(np.dtype(dtype), np.inexact))


def _abs64(x: np.ndarray) -> np.ndarray:
    return np.abs(x.astype(np.float64))


def _rounding(x: np.ndarray, ulps: float = 1.0) -> np.ndarray:
    a = _abs64(x)
    tiny = _tiny(x.dtype)
    return np.where(np.isfinite(a), ulps * _u(x.dtype) * a + tiny, 0.0)


def _constant_error(c: np.ndarray) -> np.ndarray | None:
    if not _floating(c.dtype):
        return None
    a = c.astype(np.float64)
    exact = np.all(~np.isfinite(a) | (np.round(a * 1024) == a * 1024))
    return None if exact else _rounding(c)


def _zero(x: np.ndarray) -> np.ndarray:
    return np.zeros(x.shape, np.float64)


def _err(e: np.ndarray | None, x: np.ndarray) -> np.ndarray:
    return _zero(x) if e is None else e


def _add(parts: Iterable[np.ndarray | None], like: np.ndarray) -> np.ndarray:
    total: np.ndarray | None = None
    for p in parts:
        if p is not None:
            total = p if total is None else total + p
    return _zero(like) if total is None else total


def _select_rule(params, xs, es, outs):
    which, *cases = xs
    return [_select_n(params, which, *[_err(e, c) for c, e in zip(cases, es[1:])])]


def _flat_rule(params, xs, es, outs):
    return [] if all(e is None for e in es) else [_zero(outs[0])]


_BOUNDS: dict[str, Rule] = arithmetic_rules(np, lead=1)
_BOUNDS["select_n"] = _select_rule
for _name in _FLAT:
    _BOUNDS[_name] = _flat_rule
# Equations bounded without a rule of their own.
_RULED = (
    _IDENTITY
    | _STRUCTURAL
    | _LINEAR_BY_JVP
    | {"convert_element_type", "dot_general", "reduce_sum"}
)


def _dot_general_bound(params, a, b, ea, eb, out):
    """|A|·e_B + e_A·|B| + K·u·|A|·|B| for a contraction of K terms."""
    p = dict(params, preferred_element_type=np.float64)
    (contract_a, _), _ = params["dimension_numbers"]
    k = int(np.prod([a.shape[1 + d] for d in contract_a])) if contract_a else 1
    abs_a, abs_b = _abs64(a), _abs64(b)
    tiny = _tiny(out.dtype)
    bound = k * (_u(out.dtype) * _dot_general(p, abs_a, abs_b) + tiny)
    if eb is not None:
        bound = bound + _dot_general(p, abs_a, eb)
    if ea is not None:
        bound = bound + _dot_general(p, ea, abs_b)
    return bound


def _reduce_sum_bound(params, x, ex, out):
    axes = _ax(params["axes"])
    k = int(np.prod([x.shape[d] for d in axes])) if axes else 1
    tiny = _tiny(out.dtype)
    bound = k * (_u(out.dtype) * np.sum(_abs64(x), axis=axes) + tiny)
    if ex is not None:
        bound = bound + np.sum(ex, axis=axes)
    return bound


def _same_op_on_errors(name, params, xs, es):
    args = [_err(e, x) if _floating(x.dtype) else x for x, e in zip(xs, es)]
    if name == "pad":
        args[1] = np.zeros((1,), np.float64)
    out = _VALUES[name](params, *args)
    return list(out) if isinstance(out, list) else [out]


def _bounds(name, params, xs, es, outs):
    """The bounds of one equation's outputs, as ``checks.rounding`` computes them."""
    if not any(_floating(o.dtype) for o in outs):
        return [None for _ in outs]
    if name == "convert_element_type":
        (o,), e = outs, es[0]
        if _u(o.dtype) > _u(xs[0].dtype):
            e = _rounding(o) if e is None else e + _rounding(o)
        return [e]
    if all(e is None for e in es) and (name in _DATA_MOVEMENT or name in _IDENTITY):
        return [None for _ in outs]
    if not any(_floating(x.dtype) for x in xs):
        return [_rounding(o, _LIBRARY_ULPS) for o in outs]
    if name in _IDENTITY:
        return list(es[: len(outs)])
    if name == "dot_general":
        return [_dot_general_bound(params, *xs, *es, outs[0])]
    if name == "reduce_sum":
        return [_reduce_sum_bound(params, xs[0], es[0], outs[0])]
    rule = _BOUNDS.get(name)
    if rule is not None:
        bounds = rule(params, xs, es, outs)
    elif name in _STRUCTURAL or name in _LINEAR_BY_JVP:
        if name in _LINEAR_BY_JVP and all(e is None for e in es):
            bounds = []
        else:
            bounds = _same_op_on_errors(name, params, xs, es)
    else:
        raise Unsupported(f"no rounding-error rule for {name}")
    if not bounds:
        bounds = [_zero(o) for o in outs]
    if name not in _DATA_MOVEMENT and name not in OWN_ROUNDING:
        ulps = own_ulps(name, params, xs[0].shape[1:])
        bounds = [
            None if b is None else b + _rounding(o, ulps) for o, b in zip(outs, bounds)
        ]
    return [b if _floating(o.dtype) else None for o, b in zip(outs, bounds)]


# Primitives that move bits without arithmetic: XLA's CPU leaves their
# subnormal values alone (it flushes those of arithmetic: FTZ and DAZ). Maxima
# and minima are compared by the processor, which reads a subnormal as zero.
_COMPARES = {"max", "min", "reduce_max", "reduce_min", "cummax", "cummin", "clamp"}
_KEEPS_BITS = (
    _DATA_MOVEMENT
    | _IDENTITY
    | _STRUCTURAL
    | _LINEAR_BY_JVP
    | {"bitcast_convert_type", "random_wrap", "random_unwrap", "iota", "is_finite"}
) - _COMPARES


def _flush(x: np.ndarray) -> np.ndarray:
    """``x`` with its subnormal values replaced by zeros of the same sign."""
    if not _floating(x.dtype) or x.dtype.kind == "c":
        return x
    small = (np.abs(x) < _tiny(x.dtype)) & (x != 0)
    if not small.any():
        return x
    return np.where(small, x * 0, x)


def _as_dtype(x: Any, dtype: Any) -> np.ndarray:
    """``x`` in the equation's output dtype; a PRNG key stays its uint32 words."""
    x = np.asarray(x)
    if not isinstance(dtype, np.dtype) or x.dtype == dtype:
        return x
    return x.astype(dtype)


_LITERALS: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray | None]] = {}


def _literal(v: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """A literal with its points axis, and its error: made once per value."""
    x = np.asarray(v.val, dtype=v.aval.dtype)
    key = (x.dtype, x.shape, x.tobytes()) if x.size <= 16 else None
    pair = _LITERALS.get(key) if key is not None else None
    if pair is None:
        x = x[None]
        pair = (x, _constant_error(x))
        if key is not None and len(_LITERALS) < 4096:
            x.setflags(write=False)
            _LITERALS[key] = pair
    return pair


def _eval(jaxpr: Any, consts: Sequence[Any], args: Sequence[tuple], bounds: bool):
    env: dict[Any, tuple[np.ndarray, np.ndarray | None]] = {}

    def read(v: Any) -> tuple[np.ndarray, np.ndarray | None]:
        if isinstance(v, core.Literal):
            x, e = _literal(v)
            return x, (e if bounds else None)
        return env[v]

    for var, c in zip(jaxpr.constvars, consts):
        x = np.asarray(c)[None]
        env[var] = (x, _constant_error(x) if bounds else None)
    for var, pair in zip(jaxpr.invars, args):
        env[var] = pair

    for eqn in jaxpr.eqns:
        pairs = [read(v) for v in eqn.invars]
        name = eqn.primitive.name
        sub = _sub_jaxpr(eqn) if name in _CALLS else None
        if sub is not None:
            inner, inner_consts = _closed(sub)
            n_in = len(inner.invars)
            results = _eval(inner, inner_consts, pairs[len(pairs) - n_in :], bounds)
        else:
            rule = _VALUES.get(name)
            if rule is None:
                raise Unsupported(name)
            xs = [p for p, _ in pairs]
            es = [e for _, e in pairs]
            if name in _ELEMENTWISE:  # a scalar operand broadcasts
                rank = len(eqn.outvars[0].aval.shape)
                xs = [_to_rank(x, rank) for x in xs]
                es = [None if e is None else _to_rank(e, rank) for e in es]
            computes = name not in _KEEPS_BITS
            if computes:  # subnormal operands read as zero, as on XLA's CPU
                xs = [_flush(x) for x in xs]
            out = rule(eqn.params, *xs)
            outs = out if isinstance(out, list) else [out]
            outs = [_as_dtype(o, v.aval.dtype) for o, v in zip(outs, eqn.outvars)]
            if computes:  # and subnormal results are flushed to zero
                outs = [_flush(o) for o in outs]
            if bounds:
                es = _bounds(name, eqn.params, xs, es, outs)
            else:
                es = [None for _ in outs]
            results = list(zip(outs, es))
        for var, pair in zip(eqn.outvars, results):
            env[var] = pair
    return [read(v) for v in jaxpr.outvars]


def evaluate(
    closed: Any, args: Sequence[np.ndarray], *, bounds: bool = False
) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Evaluate a closed jaxpr of one point at every point of ``args``.

    ``args`` carry a leading points axis (all of one size). Returns, for each
    output, ``(values, bounds)`` with the points axis; ``bounds`` is None unless
    asked for, and None for an exact output. Raises ``Unsupported`` for an
    equation it cannot evaluate.
    """
    n = _batch(args) if args else 1
    pairs = [(np.asarray(a), None) for a in args]
    with np.errstate(all="ignore"):
        outs = _eval(closed.jaxpr, closed.consts, pairs, bounds)
    return [(_full(v, n), None if e is None else _full(e, n)) for v, e in outs]
