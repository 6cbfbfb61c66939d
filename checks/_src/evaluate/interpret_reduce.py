"""Value rules of ``checks._src.evaluate.interpret``: reductions, contractions and
sorts.

Each works along axes of one point (shifted by one past the points axis):
``reduce_*`` and ``arg*`` over axes, the cumulative ones along one,
``dot_general`` as an ``einsum`` with the points axis as ``...``, and ``sort``
and ``top_k`` in XLA's total order of floats (NaN above every number, −0 equal
to +0, a subnormal equal to zero).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from checks._src.evaluate.interpret_batch import (
    Rule,
    floating,
    flush,
    full_batch,
    n_points,
    point_axes,
)

__all__ = ["VALUES", "einsum"]

# ``lax.dot_general``'s ((lhs, rhs) contracting, (lhs, rhs) batch) dimensions.
DotDimensions = tuple[
    tuple[Sequence[int], Sequence[int]], tuple[Sequence[int], Sequence[int]]
]


def _reduction(fn: Callable[..., np.ndarray]) -> Rule:
    def rule(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return fn(x, axis=point_axes(params["axes"]))

    return rule


def _arg(fn: Callable[..., np.ndarray]) -> Rule:
    def rule(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
        (axis,) = params["axes"]
        return fn(x, axis=int(axis) + 1).astype(np.dtype(params["index_dtype"]))

    return rule


def _cumulative(fn: Callable[..., np.ndarray]) -> Rule:
    def rule(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
        axis = int(params["axis"]) + 1
        if params.get("reverse"):
            return np.flip(fn(np.flip(x, axis), axis=axis), axis)
        return fn(x, axis=axis)

    return rule


def _einsum_spec(dimension_numbers: DotDimensions, nl: int, nr: int) -> str:
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


def einsum(spec: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
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
    return einsum(spec, a, b)


def _top_k(params: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
    """``lax.top_k``: the k largest along ``axis`` in descending order, a tie
    going to the lower index, NaN above every number (XLA's total order)."""
    k = int(params["k"])
    axis = int(params.get("axis", x.ndim - 2)) + 1
    moved = np.moveaxis(x, axis, -1)
    if floating(x.dtype):
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
    if not floating(x.dtype):
        return [x]
    nan = np.isnan(x)
    value = flush(np.where(nan, np.zeros_like(x), x)).astype(np.float64)
    return [nan, value + 0.0]


def _sort(params: dict[str, Any], *xs: np.ndarray) -> list[np.ndarray]:
    """``lax.sort`` (``jnp.sort``, ``argsort``): the operands permuted by the
    order of the first ``num_keys`` (the first deciding), stably."""
    axis = int(params["dimension"]) + 1
    b = n_points(xs)
    xs = tuple(full_batch(x, b) for x in xs)
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


VALUES: dict[str, Rule] = {
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
    "top_k": _top_k,
    "sort": _sort,
}
