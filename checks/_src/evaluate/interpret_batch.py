"""The points axis that every value rule of ``checks._src.evaluate.interpret`` shares.

Every value carries a leading points axis, of the batch's size or of size 1 for
a value that is the same at every point (constants, literals, ``iota``); an
equation's parameters name axes of one point, so each rule shifts them by one
(``point_axes``) and broadcasts the size-1 axis (``full_batch``). Here too: the
``Unsupported`` exception every rule raises for what it does not do, the dtype
test of floating point (ml_dtypes' types included) and the flushing of
subnormal values to zero that XLA's CPU does in arithmetic (FTZ and DAZ).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence

import jax
import ml_dtypes
import numpy as np
from numpy.typing import DTypeLike

from checks._src.run import caches

__all__ = [
    "Pair",
    "Rule",
    "Unsupported",
    "floating",
    "flush",
    "full_batch",
    "n_points",
    "point_axes",
    "to_rank",
]


class Unsupported(Exception):
    """A primitive, or a parameter of one, that this interpreter does not do."""


# A value rule: (params, *operands) -> result, or a list of results.
Rule = Callable[..., np.ndarray | list[np.ndarray]]
# A value at every point, and its rounding-error bound (None: exact).
Pair = tuple[np.ndarray, np.ndarray | None]


def point_axes(axes: Iterable[int]) -> tuple[int, ...]:
    """Axes of one point, as axes of the batch."""
    return tuple(int(a) + 1 for a in axes)


def n_points(arrays: Sequence[np.ndarray]) -> int:
    return max(a.shape[0] for a in arrays)


def to_rank(x: np.ndarray, rank: int) -> np.ndarray:
    """A point's value of lower rank, with leading axes of size 1 (after the
    points axis) so that it broadcasts as a scalar operand does."""
    missing = rank - (x.ndim - 1)
    if missing <= 0:
        return x
    return x.reshape((x.shape[0], *(1,) * missing, *x.shape[1:]))


def full_batch(x: np.ndarray, b: int) -> np.ndarray:
    return x if x.shape[0] == b else np.broadcast_to(x, (b, *x.shape[1:]))


@caches.register
@functools.lru_cache(maxsize=64)
def _tiny(dtype: np.dtype) -> float:
    """The smallest normal number of ``dtype``."""
    return float(ml_dtypes.finfo(dtype).tiny)


@caches.register
@functools.lru_cache(maxsize=64)
def floating(dtype: DTypeLike) -> bool:
    """Real or complex floating point, ml_dtypes' bfloat16 and float8 types
    included (NumPy does not count them as ``np.inexact``)."""
    return bool(jax.dtypes.issubdtype(np.dtype(dtype), np.inexact))


# XLA's CPU computes float16 arithmetic in float32, where float16's subnormals
# are normal numbers, and rounds the result back to float16 keeping them: it
# flushes the subnormals of float32, float64 and bfloat16 (float32's range), not
# those of float16.
_KEEPS_SUBNORMALS = frozenset({np.dtype(np.float16)})


def flush(x: np.ndarray) -> np.ndarray:
    """``x`` with its subnormal values replaced by zeros of the same sign, as
    XLA's CPU flushes them (float16's are kept)."""
    if not floating(x.dtype) or x.dtype.kind == "c" or x.dtype in _KEEPS_SUBNORMALS:
        return x
    small = (np.abs(x) < _tiny(x.dtype)) & (x != 0)
    if not small.any():
        return x
    return np.where(small, x * 0, x)
