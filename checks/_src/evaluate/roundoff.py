"""The rounding of one dtype: its unit roundoff, its smallest normal number,
Higham's γ_n, and the error bound of one rounding.

Shared by the rule tables of ``checks._src.evaluate.error_rules``,
``checks._src.evaluate.rounding_sums`` and ``checks._src.evaluate.rounding_linalg``. N.
J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM 2002, §2.2
(the model ``fl(x op y) = (x op y)(1 + δ)``, ``|δ| ≤ u``) and Lemma 3.1 (``γ_n = n·u/(1
− n·u)``).
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from checks._src.run import caches

__all__ = ["gamma", "is_float", "rounding_error", "tiny", "unit", "wide"]


@caches.register
@functools.lru_cache(maxsize=256)
def _kind(dtype: Any) -> tuple[bool, float, float]:
    """(floating, u, tiny) of a dtype: u = ε/2, the largest relative error of
    one rounding, and tiny, the smallest normal number (0 for integers)."""
    if not jax.dtypes.issubdtype(dtype, np.inexact):
        return False, 0.0, 0.0
    info = jnp.finfo(dtype)
    return True, float(info.eps) / 2.0, float(info.tiny)


def _dtype(x: Any) -> Any:
    dtype = getattr(x, "dtype", None)
    return dtype if dtype is not None else jnp.result_type(x)


def is_float(x: Any) -> bool:
    """Whether ``x`` (an array, a scalar or an aval) is real or complex floating
    point, ml_dtypes' bfloat16 and float8 included."""
    return _kind(_dtype(x))[0]


def unit(x: Any) -> float:
    """u of ``x``'s dtype; 0 for an integer."""
    return _kind(_dtype(x))[1]


def tiny(x: Any) -> float:
    """The smallest normal number of ``x``'s dtype; 0 for an integer."""
    return _kind(_dtype(x))[2]


def wide(xp: Any, x: Any) -> Any:
    """``x`` in float64, or in complex128 if it is complex (a cast to float64
    would drop its imaginary part, and with it most of |x|)."""
    a = xp.asarray(x)
    return a.astype(xp.complex128 if xp.iscomplexobj(a) else xp.float64)


def rounding_error(xp: Any, x: Any, ulps: float = 1.0) -> Any:
    """ulps·u·|x| + tiny: one rounding, to a relative ``ulps·u`` or, for a result
    that underflows (flushed to zero on CPU and GPU), to an absolute ``tiny``.
    0 where x is not finite (an infinite constant is exact)."""
    a = xp.abs(wide(xp, x))
    return xp.where(xp.isfinite(a), ulps * unit(x) * a + tiny(x), 0.0)


def gamma(n: float, x: Any) -> float:
    """Higham's ``γ_n = n·u/(1 − n·u)`` for ``x``'s dtype (Lemma 3.1: a product of
    n factors ``(1 + δᵢ)^±1`` is ``1 + θ_n`` with ``|θ_n| ≤ γ_n``); inf where
    ``n·u ≥ 1``, where no bound of that form holds."""
    nu = n * unit(x)
    return nu / (1.0 - nu) if nu < 1.0 else float("inf")
