"""The verdict rule: when is a closed form's value the autodiff value?

Both sides are evaluated on the same inputs: the closed form ``C`` in the case's
dtype, the reference ``R`` (autodiff of ``of``) in float64. Each carries a running
rounding-error bound (``checks.rounding``): ``e_C`` in the case dtype's rounding
unit, ``e_R`` in float64's. Were both computed exactly they would be equal, so an
element agrees when

    |C − R| ≤ τ = SAFETY · (e_C + e_R) + SAFETY · tiny(dtype)

``e_C`` is ``u·|C|`` for a result computed in one rounding, and grows with the
size of the terms a result is computed from: a gradient that is a small
difference of large terms gets a large allowance, a well-conditioned one a few
units in the last place. ``tiny`` (the smallest normal number) only matters for
results that underflow. Nothing is scaled by the number of elements. A sample
point fails when any of its elements fails; a case fails when any point fails.

Points are left out, and counted, where the comparison would not mean anything:
the float64 reference is not finite there; or its value is outside the case
dtype's range (no float32 closed form can return 1e39); or, in a dtype other than
float64, the closed form is not finite and neither is autodiff computed in that
same dtype (the dtype cannot represent the computation, whoever does it); or the
closed form's error bound is not finite. A closed form that is NaN or ±inf where
the reference is finite and representable is a failure.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np

__all__ = ["SAFETY", "Comparison", "compare"]

# Covers what the first-order bound leaves out: second-order terms, library
# functions that miss their few-ulp budget, FMA contraction.
SAFETY = 2.0


class Comparison(NamedTuple):
    """Per-point outcome of comparing ``(n, *shape)`` batches elementwise."""

    ratio: np.ndarray  # (n,) worst |C − R| / τ over the point's elements; inf if C bad
    worst_element: np.ndarray  # (n,) flat index of that element
    abs_error: np.ndarray  # (n,) max |C − R|
    rel_error: np.ndarray  # (n,) max |C − R| / |R|
    tolerance: np.ndarray  # (n,) τ at the worst element
    checked: np.ndarray  # (n,) bool: the point took part
    reference_not_finite: np.ndarray  # (n,) bool
    out_of_range: np.ndarray  # (n,) bool
    unbounded: np.ndarray  # (n,) bool: the closed form's error bound is not finite
    closed_not_finite: np.ndarray  # (n,) bool: C is NaN/inf where R is finite
    dtype_limit: np.ndarray  # (n,) bool: C and same-dtype autodiff both not finite


def _per_point(x: np.ndarray, n: int) -> np.ndarray:
    return x.reshape(n, -1)


@np.errstate(all="ignore")
def compare(
    closed: np.ndarray,
    closed_bound: np.ndarray,
    ref: np.ndarray,
    ref_bound: np.ndarray,
    dtype: Any,
    same_dtype: np.ndarray | None = None,
) -> Comparison:
    """Apply the rule to a batch; see the module docstring.

    ``same_dtype`` is autodiff evaluated in ``dtype`` (None for float64).
    """
    n = ref.shape[0]
    finfo = jnp.finfo(dtype)  # metadata only: knows bfloat16, unlike numpy
    c = _per_point(closed.astype(np.float64), n)
    r = _per_point(ref.astype(np.float64), n)
    ec = _per_point(closed_bound, n)
    er = _per_point(ref_bound, n)
    if r.shape[1] == 0:  # an empty Jacobian: nothing to compare
        zeros = np.zeros(n)
        false = np.zeros(n, bool)
        return Comparison(
            zeros, zeros.astype(int), zeros, zeros, zeros, ~false, *([false] * 5)
        )

    ref_ok = np.all(np.isfinite(r), axis=1)
    in_range = np.all(np.abs(r) <= float(finfo.max), axis=1)
    c_ok = np.isfinite(c)
    bounded = np.all(np.isfinite(ec) | ~c_ok, axis=1) & np.all(np.isfinite(er), axis=1)
    closed_all_ok = np.all(c_ok, axis=1)
    if same_dtype is None:
        dtype_limit = np.zeros(n, bool)
    else:
        a_ok = np.all(np.isfinite(_per_point(same_dtype.astype(np.float64), n)), axis=1)
        dtype_limit = ref_ok & in_range & ~closed_all_ok & ~a_ok
    checked = ref_ok & in_range & bounded & ~dtype_limit

    tol = SAFETY * (ec + er) + SAFETY * float(finfo.tiny)
    tol = np.where(np.isfinite(tol), tol, np.inf)
    err = np.where(c_ok, np.abs(c - r), np.inf)
    ratio_el = np.where(c_ok, err / tol, np.inf)
    ratio_el = np.where(np.isnan(ratio_el), np.inf, ratio_el)
    worst = np.argmax(ratio_el, axis=1)
    take = lambda rows, i: np.take_along_axis(rows, i[:, None], axis=1)[:, 0]  # noqa: E731
    finite_err = np.where(c_ok, err, 0.0)
    rel = finite_err / np.maximum(np.abs(r), float(finfo.tiny))
    closed_bad = ref_ok & in_range & ~closed_all_ok & ~dtype_limit
    return Comparison(
        ratio=take(ratio_el, worst),
        worst_element=worst,
        abs_error=np.max(np.where(c_ok, err, np.inf), axis=1),
        rel_error=np.max(np.where(c_ok, rel, np.inf), axis=1),
        tolerance=take(tol, worst),
        checked=checked,
        reference_not_finite=~ref_ok,
        out_of_range=ref_ok & ~in_range,
        unbounded=ref_ok & in_range & ~bounded & ~dtype_limit,
        closed_not_finite=closed_bad,
        dtype_limit=dtype_limit,
    )
