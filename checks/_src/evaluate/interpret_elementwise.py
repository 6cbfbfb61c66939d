"""Value rules of ``checks._src.evaluate.interpret``: the elementwise primitives.

Arithmetic, comparisons, bit operations, conversions and selections, each
applied to whole arrays with the points axis leading: NumPy broadcasts a value
of size 1 on it. Integer division and remainder, and the shifts, give what
XLA gives where C leaves the result undefined (division by zero, ``min / −1``,
a shift by the width or more). ``erf`` and ``erfc`` are the C library's, in
float64, rounded to the equation's dtype afterwards. The total-order
comparisons (``eq_to``, ``lt_to``, ``le_to``, which ``jnp.searchsorted`` emits)
order floats as XLA does, −NaN < −inf < … < −0 < +0 < … < +inf < +NaN
(IEEE 754 totalOrder), by comparing sign-folded bit patterns.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from checks._src.evaluate.interpret_batch import Rule, Unsupported

__all__ = ["VALUES"]


def _elementwise(fn: Callable[..., np.ndarray]) -> Rule:
    def rule(params: dict[str, Any], *xs: np.ndarray) -> np.ndarray:
        return fn(*xs)

    rule.elementwise = True  # type: ignore[attr-defined]
    return rule


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


_ERF = np.frompyfunc(math.erf, 1, 1)


_ERFC = np.frompyfunc(math.erfc, 1, 1)


def _libm(fn: np.ufunc) -> Callable[[np.ndarray], np.ndarray]:
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


def _total_order_key(x: np.ndarray) -> np.ndarray:
    """An integer per float that orders as IEEE 754's totalOrder: the bit pattern
    as a signed integer, its magnitude bits flipped where the sign bit is set
    (so more negative floats get smaller keys). Integers are their own key."""
    x = np.asarray(x)
    if x.dtype.kind in "biu":
        return x
    signed = np.dtype(f"int{8 * x.dtype.itemsize}")
    bits = np.ascontiguousarray(x).view(signed)
    magnitude = np.iinfo(signed).max
    return bits ^ ((bits >> (8 * x.dtype.itemsize - 1)) & magnitude)


def _total_order(compare: Callable[..., np.ndarray]) -> Rule:
    return _elementwise(lambda x, y: compare(_total_order_key(x), _total_order_key(y)))


def _select_n(
    params: dict[str, Any], which: np.ndarray, *cases: np.ndarray
) -> np.ndarray:
    if which.dtype == np.bool_:
        return np.where(which, cases[1], cases[0]) if len(cases) == 2 else cases[0]
    return np.choose(which, cases)


def _clamp(
    params: dict[str, Any], lo: np.ndarray, x: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    return np.minimum(np.maximum(x, lo), hi)


def _identity(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    return x


VALUES: dict[str, Rule] = {
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
    "eq_to": _total_order(np.equal),
    "lt_to": _total_order(np.less),
    "le_to": _total_order(np.less_equal),
    "shift_right_logical": _elementwise(_shift_right_logical),
    "shift_right_arithmetic": _elementwise(_shift_right_arithmetic),
    "shift_left": _elementwise(_shift_left),
    "integer_pow": _integer_pow,
    "convert_element_type": _convert,
    "bitcast_convert_type": _bitcast,
    "select_n": _select_n,
    "clamp": _clamp,
    "copy": _identity,
    "copy_p": _identity,
    "stop_gradient": _identity,
    "optimization_barrier": lambda params, *xs: list(xs),
}
