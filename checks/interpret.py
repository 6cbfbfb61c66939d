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
rule table of ``checks.error_rules`` (Higham, *Accuracy and Stability of Numerical
Algorithms*, §3.3) in NumPy (``RULES``), the very rules ``checks.rounding``
applies in JAX, so a verdict does not depend on which of the two evaluated it.

Control flow: each point may take its own branch of a ``cond`` and loop its own
number of times in a ``while``; every branch is evaluated and each point keeps
its own, and a loop runs until no point continues.

Anything this module does not implement raises ``Unsupported`` before a point
is evaluated (``supported`` walks the jaxpr first); the check is then compiled
with XLA as usual.
"""

from __future__ import annotations

import functools
import math
import string
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import jax
import ml_dtypes
import numpy as np
from jax.extend import core

from checks import caches, interpret_linalg
from checks import error_rules as rules

__all__ = ["RULES", "Unsupported", "evaluate", "supported"]


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


_ERF = np.frompyfunc(math.erf, 1, 1)
_ERFC = np.frompyfunc(math.erfc, 1, 1)


def _libm(fn: Any) -> Callable[[np.ndarray], np.ndarray]:
    """A function of the C library's ``math`` (``erf``, ``erfc``: within an ulp
    of float64) elementwise, in float64; the result is rounded to the
    equation's dtype afterwards."""

    def run(x: np.ndarray) -> np.ndarray:
        return fn(x.astype(np.float64)).astype(np.float64)

    return run


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


def _shift_right_arithmetic(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """As XLA: the sign bit copied in (an unsigned value's top bit too); a shift
    by the width or more leaves only the sign (all ones or zero)."""
    bits = x.dtype.itemsize * 8
    signed = x.view(np.dtype(f"int{bits}")) if x.dtype.kind == "u" else x
    s = s.astype(np.int64)
    signs = np.where(signed < 0, np.array(-1, signed.dtype), np.zeros_like(signed))
    out = np.where(s < bits, signed >> np.clip(s, 0, bits - 1), signs)
    return out.astype(signed.dtype).view(x.dtype)


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
    if dyn:
        raise Unsupported("dynamic shapes")
    if params.get("dimensions") is not None:  # row-major order of a transpose
        x = np.transpose(x, (0, *_ax(params["dimensions"])))
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


def _einsum(spec: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.einsum``, in float32 for ml_dtypes' types (bfloat16, float8), which
    it does not take: XLA's CPU also accumulates those in float32, and the
    result is rounded to the equation's dtype afterwards."""
    if a.dtype.kind == "V":
        a = a.astype(np.float32)
    if b.dtype.kind == "V":
        b = b.astype(np.float32)
    return np.einsum(spec, a, b, optimize=True)


def _dot_general(params: dict[str, Any], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    spec = _einsum_spec(params["dimension_numbers"], a.ndim - 1, b.ndim - 1)
    dtype = params.get("preferred_element_type")
    if dtype is not None:
        a, b = a.astype(np.dtype(dtype)), b.astype(np.dtype(dtype))
    return _einsum(spec, a, b)


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
    """``lax.pad``: ``interior`` copies of the value between neighbours, then
    low and high padding (negative amounts crop)."""
    if value.shape[0] != 1:
        raise Unsupported("pad with a value that differs between points")
    fill = value.reshape(())
    config = params["padding_config"]
    x = _dilate(x, [int(interior) + 1 for _, _, interior in config], 1, fill)
    return _pad_spatial(x, [(lo, hi) for lo, hi, _ in config], 1, fill)


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


def _mode(params: dict[str, Any]) -> str:
    return str(params["mode"]).rsplit(".", 1)[-1]


def _along(rank: int, axis: int, n: int) -> np.ndarray:
    """0, 1, …, n − 1 along axis ``axis`` of a point of rank ``rank``, shaped to
    broadcast over the batch."""
    shape = [1] * (rank + 1)
    shape[axis + 1] = n
    return np.arange(n).reshape(shape)


def _spread(a: np.ndarray, window_axes: Sequence[int]) -> np.ndarray:
    """Per-point index values over the batch axes, with size-1 window axes
    inserted where ``window_axes`` (axes of one point) are."""
    for d in sorted(window_axes):
        a = np.expand_dims(a, d + 1)
    return a


def _fill_value(params: dict[str, Any], dtype: np.dtype) -> Any:
    """What ``mode="fill"`` puts where a gather reads out of bounds: as JAX,
    NaN for floats, the most negative signed and largest unsigned integer,
    True for booleans, unless given."""
    fill = params.get("fill_value")
    if fill is not None:
        return fill
    if _floating(dtype):
        return np.nan
    if dtype == np.bool_:
        return True
    info = np.iinfo(dtype)
    return info.min if dtype.kind == "i" else info.max


def _window_index(
    operand_shape: Sequence[int],
    indices: np.ndarray,
    starts_map: Sequence[int],
    window_dims: Sequence[int],
    window_axes: Sequence[int],
    batching: Sequence[tuple[int, int]],
    sizes: Sequence[int],
    rank: int,
    clip: bool,
) -> tuple[list[Any], Any]:
    """Operand indices of every element of a gather's output or a scatter's
    updates (the point's rank ``rank``), and where the window lies in bounds.

    ``indices`` (points axis first, index vector last) gives the window's start
    in the operand dims ``starts_map``; operand dim ``window_dims[j]`` runs
    along axis ``window_axes[j]``; ``batching`` pairs an operand dim with the
    index batch dim it follows. The other axes are the index batch dims, in
    order. A start is clamped so its window fits (``clip``, as XLA's gather
    does); otherwise a window out of bounds is flagged in the mask."""
    batch_axes = [a for a in range(rank) if a not in window_axes]
    batch_shape = indices.shape[1:-1]
    index: list[Any] = []
    valid: Any = True
    for d, extent in enumerate(operand_shape):
        i: Any = 0
        if d in starts_map:
            start = indices[..., list(starts_map).index(d)].astype(np.int64)
            start = _spread(start, window_axes)
            top = extent - sizes[d]
            if not clip:
                valid = valid & (start >= 0) & (start <= top)
            i = np.clip(start, 0, max(top, 0))
        for od, idim in batching:
            if od == d:
                i = i + _along(rank, batch_axes[idim], batch_shape[idim])
        if d in window_dims:
            axis = window_axes[list(window_dims).index(d)]
            i = i + _along(rank, axis, sizes[d])
        index.append(i)
    return index, valid


def _gather(params: dict[str, Any], x: np.ndarray, indices: np.ndarray):
    """``lax.gather`` in every form JAX emits (``x[i]``, ``x[i, j]``,
    ``x[jnp.arange(n), y]``, ``jnp.take``, ``jnp.take_along_axis``, ``W[idx]``):
    each output element reads the operand at its window's start plus its
    offset; a start is clamped into bounds (XLA), or with ``mode="fill"`` an
    out-of-bounds window reads the fill value."""
    dn = params["dimension_numbers"]
    sizes = tuple(int(s) for s in params["slice_sizes"])
    rank = indices.ndim - 2 + len(dn.offset_dims)
    skipped = set(dn.collapsed_slice_dims) | set(dn.operand_batching_dims)
    window_dims = [d for d in range(x.ndim - 1) if d not in skipped]
    fill = _mode(params) == "FILL_OR_DROP"
    index, valid = _window_index(
        x.shape[1:],
        indices,
        dn.start_index_map,
        window_dims,
        dn.offset_dims,
        list(zip(dn.operand_batching_dims, dn.start_indices_batching_dims)),
        sizes,
        rank,
        clip=not fill,
    )
    b = _batch([x, indices])
    point = np.arange(b).reshape((b, *(1,) * rank))
    out = _full(x, b)[(point, *index)]
    out_shape = [0] * rank
    batch_axes = [a for a in range(rank) if a not in dn.offset_dims]
    for a, n in zip(batch_axes, indices.shape[1:-1]):
        out_shape[a] = n
    for a, d in zip(dn.offset_dims, window_dims):
        out_shape[a] = sizes[d]
    out = np.broadcast_to(out, (b, *out_shape))
    if fill and valid is not True:
        out = np.where(valid, out, np.asarray(_fill_value(params, x.dtype), x.dtype))
    return out


_COMBINE = {
    "scatter-add": np.add,
    "scatter_add": np.add,
    "scatter-mul": np.multiply,
    "scatter-min": np.minimum,
    "scatter-max": np.maximum,
}


def _scatter(name: str) -> Rule:
    """``lax.scatter`` (``x.at[i].set``) and its combining forms
    (``.at[i].add/mul/min/max``): every update element lands on the operand at
    its window's start plus its offset, in order, so repeated indices add up (or
    the last one wins, for ``set``). A window out of bounds is dropped, as XLA
    does, unless ``mode="clip"`` clamped its start."""

    def rule(params: dict[str, Any], x: np.ndarray, indices: np.ndarray, upd):
        dn = params["dimension_numbers"]
        rank = upd.ndim - 1
        skipped = set(dn.inserted_window_dims) | set(dn.operand_batching_dims)
        window_dims = [d for d in range(x.ndim - 1) if d not in skipped]
        sizes = [1] * (x.ndim - 1)
        for d, a in zip(window_dims, dn.update_window_dims):
            sizes[d] = upd.shape[a + 1]
        index, valid = _window_index(
            x.shape[1:],
            indices,
            dn.scatter_dims_to_operand_dims,
            window_dims,
            dn.update_window_dims,
            list(zip(dn.operand_batching_dims, dn.scatter_indices_batching_dims)),
            sizes,
            rank,
            clip=_mode(params) == "CLIP",
        )
        b = _batch([x, indices, upd])
        shape = (b, *upd.shape[1:])
        point = np.arange(b).reshape((b, *(1,) * rank))
        where = [np.broadcast_to(i, shape) for i in (point, *index)]
        values = np.broadcast_to(upd, shape).astype(x.dtype)
        if valid is not True:
            keep = np.broadcast_to(valid, shape)
            where = [i[keep] for i in where]
            values = values[keep]
        out = np.array(_full(x, b))
        if name == "scatter":
            out[tuple(where)] = values
        else:
            _COMBINE[name].at(out, tuple(where), values)
        return out

    return rule


def _dilate(x: np.ndarray, dilation: Sequence[int], first: int, fill: Any = 0):
    """``x`` with ``d − 1`` copies of ``fill`` between neighbours along axes
    ``first``, ``first + 1``, … (``lhs_dilation``, ``rhs_dilation``,
    ``base_dilation``)."""
    if all(int(d) == 1 for d in dilation):
        return x
    shape = list(x.shape)
    for i, d in enumerate(dilation):
        shape[first + i] = (
            (shape[first + i] - 1) * int(d) + 1 if shape[first + i] else 0
        )
    out = np.full(shape, fill, x.dtype)
    step = (slice(None),) * first + tuple(slice(None, None, int(d)) for d in dilation)
    out[step] = x
    return out


def _pad_spatial(x: np.ndarray, padding: Sequence[Any], first: int, fill: Any = 0):
    """``x`` padded by (low, high) on axes ``first``, …; negative amounts crop."""
    widths = [(0, 0)] * first + [
        (max(int(lo), 0), max(int(hi), 0)) for lo, hi in padding
    ]
    x = np.pad(x, widths, constant_values=fill)
    crop = (slice(None),) * first + tuple(
        slice(max(-int(lo), 0), x.shape[first + i] - max(-int(hi), 0))
        for i, (lo, hi) in enumerate(padding)
    )
    return x[crop]


_SPATIAL = string.ascii_uppercase


def _conv(params: dict[str, Any], lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``lax.conv_general_dilated`` (cross-correlation) in any dimension layout,
    with strides, padding, input and kernel dilation and feature groups: the
    dilated, padded input's windows contracted with the kernel."""
    if int(params["batch_group_count"]) != 1:
        raise Unsupported("conv_general_dilated with batch_group_count")
    dn = params["dimension_numbers"]
    groups = int(params["feature_group_count"])
    dtype = params.get("preferred_element_type")
    if dtype is not None:
        lhs, rhs = lhs.astype(np.dtype(dtype)), rhs.astype(np.dtype(dtype))
    lhs = np.transpose(lhs, (0, *(int(d) + 1 for d in dn.lhs_spec)))
    rhs = np.transpose(rhs, (0, *(int(d) + 1 for d in dn.rhs_spec)))
    n_sp = lhs.ndim - 3
    lhs = _dilate(lhs, params["lhs_dilation"], 3)
    lhs = _pad_spatial(lhs, params["padding"], 3)
    rhs = _dilate(rhs, params["rhs_dilation"], 3)
    kernel = rhs.shape[3:]
    windows = np.lib.stride_tricks.sliding_window_view(
        lhs, kernel, axis=tuple(range(3, 3 + n_sp))
    )
    strides = tuple(slice(None, None, int(s)) for s in params["window_strides"])
    windows = windows[(slice(None),) * 3 + strides]
    p, n, c = windows.shape[:3]
    out_sp = windows.shape[3 : 3 + n_sp]
    windows = windows.reshape((p, n, groups, c // groups, *windows.shape[3:]))
    o = rhs.shape[1]
    rhs = rhs.reshape((rhs.shape[0], groups, o // groups, *rhs.shape[2:]))
    so, sk = _SPATIAL[:n_sp], _SPATIAL[n_sp : 2 * n_sp]
    spec = f"...ngc{so}{sk},...goc{sk}->...ngo{so}"
    out = _einsum(spec, windows, rhs)
    out = out.reshape((out.shape[0], n, o, *out_sp))
    inverse = np.argsort([int(d) for d in dn.out_spec])
    return np.transpose(out, (0, *(int(a) + 1 for a in inverse)))


def _windows(x: np.ndarray, params: dict[str, Any], fill: Any) -> np.ndarray:
    """The windows of ``lax.reduce_window``: (points, *output, *window), the
    operand dilated and padded with ``fill`` (the reduction's identity)."""
    rank = x.ndim - 1
    x = _dilate(x, params.get("base_dilation") or (1,) * rank, 1, fill)
    x = _pad_spatial(x, params["padding"], 1, fill)
    dims = [int(w) for w in params["window_dimensions"]]
    dil = [int(d) for d in params.get("window_dilation") or (1,) * rank]
    span = [(w - 1) * d + 1 for w, d in zip(dims, dil)]
    view = np.lib.stride_tricks.sliding_window_view(
        x, span, axis=tuple(range(1, rank + 1))
    )
    step = tuple(slice(None, None, int(s)) for s in params["window_strides"])
    return view[(slice(None), *step, *(slice(None, None, d) for d in dil))]


def _lowest(dtype: np.dtype, sign: int) -> Any:
    if _floating(dtype):
        return sign * np.inf
    info = np.iinfo(dtype)
    return info.min if sign < 0 else info.max


def _reduce_window(fn: Callable[..., Any], sign: int) -> Rule:
    def rule(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
        fill = 0 if sign == 0 else _lowest(x.dtype, sign)
        win = _windows(x, params, np.asarray(fill).astype(x.dtype))
        rank = x.ndim - 1
        return fn(win, axis=tuple(range(1 + rank, 1 + 2 * rank)))

    return rule


def _select_and_scatter_add(params: dict[str, Any], source: np.ndarray, operand):
    """The transpose of max (or min) pooling: each source value is added into
    the element its operand window selects, the first maximum (``ge``) or
    minimum (``le``) in window order, as XLA's select keeps the current
    element while ``select(current, candidate)`` holds."""
    name = getattr(params["select_prim"], "name", str(params["select_prim"]))
    if name not in ("ge", "le"):
        raise Unsupported(f"select_and_scatter_add selecting by {name}")
    sign = -1 if name == "ge" else 1
    rank = operand.ndim - 1
    fill = np.asarray(_lowest(operand.dtype, sign)).astype(operand.dtype)
    plain = dict(params, base_dilation=None, window_dilation=None)
    win = _windows(operand, plain, fill)
    b = _batch([source, operand])
    out_shape = win.shape[1 : 1 + rank]
    flat = win.reshape((win.shape[0], *out_shape, -1))
    pick = np.argmax(flat, axis=-1) if sign < 0 else np.argmin(flat, axis=-1)
    pick = np.broadcast_to(pick, (b, *out_shape))
    dims = [int(w) for w in params["window_dimensions"]]
    offsets = np.unravel_index(pick, dims)
    where = [np.broadcast_to(np.arange(b).reshape((b, *(1,) * rank)), pick.shape)]
    for d in range(rank):
        start = _along(rank, d, out_shape[d]) * int(params["window_strides"][d])
        where.append(start + offsets[d])
    padded = _pad_spatial(
        np.zeros((b, *operand.shape[1:]), source.dtype), params["padding"], 1
    )
    np.add.at(padded, tuple(where), np.broadcast_to(source, pick.shape))
    lo = [int(lo) for lo, _ in params["padding"]]
    crop = tuple(slice(a, a + s) for a, s in zip(lo, operand.shape[1:]))
    return padded[(slice(None), *crop)]


def _top_k(params: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
    """``lax.top_k``: the k largest along ``axis`` in descending order, a tie
    going to the lower index, NaN above every number (XLA's total order)."""
    k = int(params["k"])
    axis = int(params.get("axis", x.ndim - 2)) + 1
    moved = np.moveaxis(x, axis, -1)
    if _floating(x.dtype):
        key = -np.where(np.isnan(moved), np.inf, moved.astype(np.float64))
        nan_first = ~np.isnan(moved)
        order = np.lexsort((key, nan_first), axis=-1)
    else:
        order = np.argsort(-moved.astype(np.int64), axis=-1, kind="stable")
    order = order[..., :k]
    values = np.take_along_axis(moved, order, axis=-1)
    return [
        np.moveaxis(values, -1, axis),
        np.moveaxis(order.astype(np.int32), -1, axis),
    ]


def _sort_keys(x: np.ndarray) -> list[np.ndarray]:
    """Keys of ``x`` in the order JAX sorts by, the first deciding: for floats
    NaN after every number, −0 equal to +0, and a subnormal equal to zero (XLA's
    CPU compares with subnormals read as zero, and moves their bits unchanged)."""
    if not _floating(x.dtype):
        return [x]
    nan = np.isnan(x)
    value = _flush(np.where(nan, np.zeros_like(x), x)).astype(np.float64)
    return [nan, value + 0.0]


def _sort(params: dict[str, Any], *xs: np.ndarray) -> list[np.ndarray]:
    """``lax.sort`` (``jnp.sort``, ``argsort``): the operands permuted by the
    order of the first ``num_keys`` (the first deciding), stably."""
    axis = int(params["dimension"]) + 1
    b = _batch(xs)
    xs = tuple(_full(x, b) for x in xs)
    keys = [
        np.moveaxis(k, axis, -1)
        for x in xs[: int(params["num_keys"])]
        for k in _sort_keys(x)
    ]
    order = np.lexsort(keys[::-1], axis=-1)
    return [
        np.moveaxis(np.take_along_axis(np.moveaxis(x, axis, -1), order, -1), -1, axis)
        for x in xs
    ]


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


def _empty(params: dict[str, Any]) -> np.ndarray:
    """``lax.empty``'s array, which XLA fills with zeros (its value is never
    meant to be read: the transpose of a gather starts from it)."""
    return np.zeros((1,), np.dtype(params["dtype"]))


def _platform_index(params: dict[str, Any]) -> np.ndarray:
    """The branch ``lax.platform_dependent`` takes on the CPU: the one naming
    "cpu", else the default one (None)."""
    platforms = list(params["platforms"])
    for i, names in enumerate(platforms):
        if names is not None and "cpu" in names:
            return np.asarray([i], np.int32)
    if None in platforms:
        return np.asarray([platforms.index(None)], np.int32)
    raise Unsupported("platform_index without a CPU branch")


_VALUES: dict[str, Rule] = {
    "exp": _elementwise(np.exp),
    "exp2": _elementwise(np.exp2),
    "log": _elementwise(np.log),
    "log1p": _elementwise(np.log1p),
    "expm1": _elementwise(np.expm1),
    "logistic": _elementwise(_logistic),
    "tanh": _elementwise(np.tanh),
    "erf": _elementwise(_libm(_ERF)),
    "erfc": _elementwise(_libm(_ERFC)),
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
    "shift_right_arithmetic": _elementwise(_shift_right_arithmetic),
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
    "scatter": _scatter("scatter"),
    "scatter-add": _scatter("scatter-add"),
    "scatter_add": _scatter("scatter_add"),
    "scatter-mul": _scatter("scatter-mul"),
    "scatter-min": _scatter("scatter-min"),
    "scatter-max": _scatter("scatter-max"),
    "conv_general_dilated": _conv,
    "reduce_window_sum": _reduce_window(np.sum, 0),
    "reduce_window_max": _reduce_window(np.max, -1),
    "reduce_window_min": _reduce_window(np.min, 1),
    "select_and_scatter_add": _select_and_scatter_add,
    "top_k": _top_k,
    "sort": _sort,
    "clamp": _clamp,
    "copy": _identity,
    "copy_p": _identity,
    "stop_gradient": _identity,
    "optimization_barrier": lambda params, *xs: list(xs),
    "platform_index": _platform_index,
    "empty2": _empty,
    **interpret_linalg.VALUES,
}

# Operand shapes equal the output's, except scalars, which broadcast.
_ELEMENTWISE = {
    name for name, rule in _VALUES.items() if getattr(rule, "elementwise", False)
} | {"integer_pow", "select_n", "clamp", "convert_element_type"}


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
    return (
        name in RULES
        or name in rules.STRUCTURAL
        or name in rules.IDENTITY
        or name == "convert_element_type"
    )


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
            elif name in _CONTROL:
                stack.extend(_closed(j)[0] for j in _control_jaxprs(eqn.params))
            elif name not in _VALUES or (bounds and not _has_bound(eqn)):
                return False
    return True


@caches.register
@functools.lru_cache(maxsize=64)
def _tiny(dtype: np.dtype) -> float:
    return float(ml_dtypes.finfo(dtype).tiny)


@caches.register
@functools.lru_cache(maxsize=64)
def _floating(dtype: Any) -> bool:
    """Real or complex floating point, ml_dtypes' bfloat16 and float8 types
    included (NumPy does not count them as ``np.inexact``)."""
    return bool(jax.dtypes.issubdtype(np.dtype(dtype), np.inexact))


def _apply(name: str, params: dict[str, Any], *xs: np.ndarray) -> list[np.ndarray]:
    """Primitive ``name`` evaluated here, for the rules that apply one to bounds."""
    out = _VALUES[name](params, *xs)
    return list(out) if isinstance(out, list) else [out]


# The rule table of ``checks.error_rules`` in NumPy, over a leading points axis.
RULES: dict[str, rules.Rule] = rules.rule_table(np, 1, _apply)


def _no_rule(name: str) -> Callable[[], list[Any]]:
    def refuse() -> list[Any]:
        raise Unsupported(f"no rounding-error rule for {name}")

    return refuse


def _bounds(name, params, xs, es, outs):
    """The bounds of one equation's outputs: ``checks.error_rules.equation_bounds``."""
    return rules.equation_bounds(
        np, 1, RULES, _apply, name, params, xs, es, outs, generic=_no_rule(name)
    )


# Primitives that move bits without arithmetic: XLA's CPU leaves their
# subnormal values alone (it flushes those of arithmetic: FTZ and DAZ). Maxima
# and minima are compared by the processor, which reads a subnormal as zero.
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


_LITERALS: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray | None]] = (
    caches.register({})
)


def _literal(v: Any) -> tuple[np.ndarray, np.ndarray | None]:
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


# Control flow. Each point may take another branch or loop another number of
# times: a branch is evaluated at every point and each point keeps the one it
# takes; a loop runs until no point continues, and a point that has stopped
# keeps its carry. Bounds follow as in ``checks.rounding``: the bound of the
# branch taken, carried through the loop's carry.

Pair = tuple[np.ndarray, np.ndarray | None]


def _control_jaxprs(params: dict[str, Any]) -> list[Any]:
    found = [params[k] for k in ("jaxpr", "cond_jaxpr", "body_jaxpr") if k in params]
    if "jaxprs" in params:  # custom_linear_solve: only its solve runs
        found.append(params["jaxprs"].solve)
    return found + list(params.get("branches", ()))


def _select_pairs(which: np.ndarray, options: Sequence[Sequence[Pair]]) -> list[Pair]:
    """Per point, the outputs of option ``which[p]`` (values and bounds)."""
    out = []
    for k in range(len(options[0])):
        values = [o[k][0] for o in options]
        errors = [o[k][1] for o in options]
        b = _batch([which, *values])
        shape = np.broadcast_shapes(*(v.shape[1:] for v in values))
        sel = _full(which.reshape(-1), b).reshape((b, *(1,) * len(shape)))
        full = [np.broadcast_to(v, (b, *shape)) for v in values]
        value = np.choose(sel, full) if len(full) > 1 else full[0]
        error = None
        if any(e is not None for e in errors):
            full_e = [
                np.zeros((b, *shape)) if e is None else np.broadcast_to(e, (b, *shape))
                for e in errors
            ]
            error = np.choose(sel, full_e) if len(full_e) > 1 else full_e[0]
        out.append((value, error))
    return out


def _cond(eqn: Any, pairs: Sequence[Pair], bounds: bool) -> list[Pair]:
    """``lax.cond``/``lax.switch``: every branch, each point keeping its own
    (the index clamped into range, as ``lax.switch`` does)."""
    (index, _), operands = pairs[0], list(pairs[1:])
    branches = eqn.params["branches"]
    outs = [_eval(b.jaxpr, b.consts, operands, bounds) for b in branches]
    which = np.clip(index.astype(np.int64), 0, len(branches) - 1)
    return _select_pairs(which, outs)


def _while(eqn: Any, pairs: Sequence[Pair], bounds: bool) -> list[Pair]:
    """``lax.while_loop`` (``fori_loop`` with a traced trip count): the body
    applied while any point's condition holds, to the points where it does."""
    p = eqn.params
    cond, body = p["cond_jaxpr"], p["body_jaxpr"]
    cn, bn = p["cond_nconsts"], p["body_nconsts"]
    cconsts, bconsts = list(pairs[:cn]), list(pairs[cn : cn + bn])
    carry = list(pairs[cn + bn :])
    while True:
        ((go, _),) = _eval(cond.jaxpr, cond.consts, [*cconsts, *carry], False)
        go = go.reshape(-1).astype(bool)
        if not go.any():
            return carry
        new = _eval(body.jaxpr, body.consts, [*bconsts, *carry], bounds)
        if go.all():
            carry = list(new)
        else:
            carry = _select_pairs(go.astype(np.int64), [carry, new])


def _scan(eqn: Any, pairs: Sequence[Pair], bounds: bool) -> list[Pair]:
    """``lax.scan`` (``fori_loop`` with a fixed trip count): the body once per
    step, the scanned inputs and outputs along the first axis of a point."""
    p = eqn.params
    body, n = p["jaxpr"], int(p["length"])
    nc, nk = p["num_consts"], p["num_carry"]
    consts, carry, xs = list(pairs[:nc]), list(pairs[nc : nc + nk]), pairs[nc + nk :]
    steps = range(n - 1, -1, -1) if p["reverse"] else range(n)
    ys: list[list[Pair]] = []
    for i in steps:
        x_i = [(v[:, i], None if e is None else e[:, i]) for v, e in xs]
        out = _eval(body.jaxpr, body.consts, [*consts, *carry, *x_i], bounds)
        carry, y = list(out[:nk]), out[nk:]
        ys.append(y)
    if p["reverse"]:
        ys.reverse()
    stacked = []
    for k, var in enumerate(eqn.outvars[nk:]):
        if not ys:
            stacked.append((np.zeros((1, *var.aval.shape), var.aval.dtype), None))
            continue
        values = [y[k][0] for y in ys]
        errors = [y[k][1] for y in ys]
        b = _batch(values)
        value = np.stack([_full(v, b) for v in values], axis=1)
        error = None
        if any(e is not None for e in errors):
            eb = max(b, _batch([e for e in errors if e is not None]))
            value = _full(value, eb)
            error = np.stack(
                [
                    np.zeros(value[:, 0].shape) if e is None else _full(e, eb)
                    for e in errors
                ],
                axis=1,
            )
        stacked.append((value, error))
    return [*carry, *stacked]


def _linear_solve(eqn: Any, pairs: Sequence[Pair], bounds: bool) -> list[Pair]:
    """``lax.custom_linear_solve`` (``jnp.linalg.solve``, ``inv``): its
    ``solve`` jaxpr, which is what runs, with its bounds (the factors it closes
    over carry the matrix's errors), as ``checks.rounding`` evaluates it."""
    p = eqn.params
    lengths = p["const_lengths"]
    start = lengths.matvec + lengths.vecmat
    solve = p["jaxprs"].solve
    consts = list(pairs[start : start + lengths.solve])
    b = list(pairs[sum(lengths) :])
    return _eval(solve.jaxpr, solve.consts, [*consts, *b], bounds)


_CONTROL = {
    "cond": _cond,
    "while": _while,
    "scan": _scan,
    "custom_linear_solve": _linear_solve,
}


def _eval(jaxpr: Any, consts: Sequence[Any], args: Sequence[tuple], bounds: bool):
    env: dict[Any, tuple[np.ndarray, np.ndarray | None]] = {}

    def read(v: Any) -> tuple[np.ndarray, np.ndarray | None]:
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
        sub = _sub_jaxpr(eqn) if name in _CALLS else None
        if name in _CONTROL:
            results = _CONTROL[name](eqn, pairs, bounds)
        elif sub is not None:
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
