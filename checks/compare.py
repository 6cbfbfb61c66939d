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
closed form's error bound is not finite. In float64 a closed form that is NaN or
±inf where the reference is finite is a failure. In a lower precision, NaN or
±inf where autodiff in that same dtype is finite is an instability: it is left
out of the correctness verdict and makes the case ``unstable`` (``stability``).

Stability (dtypes below float64 only): the closed form's error |C − R| against
autodiff's own error |A − R| in the same dtype, on the same rounded inputs, and
against the error autodiff's computation may make there (the reference's bound
rescaled to the dtype). It is stable where |C − R| ≤ 8·max(|A − R|, ê_A, ulp(R))
at every point.
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
    ulp_error: np.ndarray  # (n,) max |C − R| in units in the last place of R's dtype
    tolerance: np.ndarray  # (n,) τ at the worst element
    checked: np.ndarray  # (n,) bool: the point took part in the correctness verdict
    reference_not_finite: np.ndarray  # (n,) bool
    out_of_range: np.ndarray  # (n,) bool
    unbounded: np.ndarray  # (n,) bool: the closed form's error bound is not finite
    closed_not_finite: np.ndarray  # (n,) bool: C is NaN/inf where R is finite
    dtype_limit: np.ndarray  # (n,) bool: C and same-dtype autodiff both not finite
    stability_ratio: np.ndarray | None  # (n,) see ``stability``; None in float64
    stability_element: np.ndarray | None  # (n,) flat index of its worst element
    stability_checked: np.ndarray | None  # (n,) bool


def ulp(x: np.ndarray, dtype: Any) -> np.ndarray:
    """The spacing of ``dtype`` numbers at |x| (a unit in the last place)."""
    finfo = jnp.finfo(dtype)
    a = np.abs(x)
    exponent = np.floor(np.log2(np.maximum(a, float(finfo.tiny))))
    return np.exp2(exponent) * float(finfo.eps)


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

    ``same_dtype`` is autodiff evaluated in ``dtype`` (None for float64); with it,
    the closed form's stability is measured too (``stability``).
    """
    n = ref.shape[0]
    finfo = jnp.finfo(dtype)  # metadata only: knows bfloat16, unlike numpy
    c = _per_point(closed.astype(np.float64), n)
    r = _per_point(ref.astype(np.float64), n)
    ec = _per_point(closed_bound, n)
    er = _per_point(ref_bound, n)
    if r.shape[1] == 0:  # an empty Jacobian: nothing to compare
        zeros, false = np.zeros(n), np.zeros(n, bool)
        return Comparison(
            zeros, zeros.astype(int), zeros, zeros, zeros, zeros, ~false,
            *([false] * 5), None, None, None,
        )  # fmt: skip

    low_precision = same_dtype is not None
    ref_ok = np.all(np.isfinite(r), axis=1)
    in_range = np.all(np.abs(r) <= float(finfo.max), axis=1)
    c_ok = np.isfinite(c)
    closed_all_ok = np.all(c_ok, axis=1)
    bounded = np.all(np.isfinite(ec) | ~c_ok, axis=1) & np.all(np.isfinite(er), axis=1)
    comparable = ref_ok & in_range
    if low_precision:
        a = _per_point(same_dtype.astype(np.float64), n)
        a_all_ok = np.all(np.isfinite(a), axis=1)
        dtype_limit = comparable & ~closed_all_ok & ~a_all_ok
        # NaN/inf where autodiff in the same dtype is finite: instability, judged
        # by the stability verdict, not by correctness (float64 decides that).
        closed_bad = np.zeros(n, bool)
        correctness = comparable & bounded & closed_all_ok
    else:
        dtype_limit = np.zeros(n, bool)
        closed_bad = comparable & ~closed_all_ok
        correctness = comparable & bounded

    tol = SAFETY * (ec + er) + SAFETY * float(finfo.tiny)
    tol = np.where(np.isfinite(tol), tol, np.inf)
    err = np.where(c_ok, np.abs(c - r), np.inf)
    ratio_el = np.where(c_ok, err / tol, np.inf)
    ratio_el = np.where(np.isnan(ratio_el), np.inf, ratio_el)
    worst = np.argmax(ratio_el, axis=1)
    finite_err = np.where(c_ok, err, 0.0)
    rel = finite_err / np.maximum(np.abs(r), float(finfo.tiny))
    ulps = finite_err / ulp(r, dtype)

    stability_ratio = stability_element = stability_checked = None
    if low_precision:
        stability_checked = comparable & ~dtype_limit
        ratio_s = stability(c, a, r, er, dtype)
        stability_element = np.argmax(ratio_s, axis=1)
        stability_ratio = _take(ratio_s, stability_element)

    return Comparison(
        ratio=_take(ratio_el, worst),
        worst_element=worst,
        abs_error=np.max(np.where(c_ok, err, np.inf), axis=1),
        rel_error=np.max(np.where(c_ok, rel, np.inf), axis=1),
        ulp_error=np.max(np.where(c_ok, ulps, np.inf), axis=1),
        tolerance=_take(tol, worst),
        checked=correctness,
        reference_not_finite=~ref_ok,
        out_of_range=ref_ok & ~in_range,
        unbounded=comparable
        & ~bounded
        & ~dtype_limit
        & (closed_all_ok | ~low_precision),
        closed_not_finite=closed_bad,
        dtype_limit=dtype_limit,
        stability_ratio=stability_ratio,
        stability_element=stability_element,
        stability_checked=stability_checked,
    )


# A closed form is stable in a low-precision dtype when its error is within
# STABLE_FACTOR of what autodiff's own computation in that dtype allows, or within
# STABLE_ULPS units in the last place of the result.
STABLE_FACTOR = 8.0
STABLE_ULPS = 8.0


@np.errstate(all="ignore")
def stability(
    c: np.ndarray, a: np.ndarray, r: np.ndarray, er: np.ndarray, dtype: Any
) -> np.ndarray:
    """Elementwise |C − R| / max(8·|A − R|, 8·ê_A, 8·ulp(R)); above 1 is unstable.

    ``C`` is the closed form and ``A`` autodiff, both in ``dtype``; ``R`` is the
    float64 reference on the same inputs and ``er`` its float64 rounding-error
    bound. ``ê_A = er · u(dtype)/u(float64)`` is that bound rescaled to ``dtype``:
    the error autodiff's own computation may make there, so a point where
    autodiff happens to be exact does not make an equally good closed form look
    unstable. inf where ``C`` is not finite and ``A`` is; 0 where ``A`` is not
    finite and ``C`` is (better than autodiff).
    """
    u_ratio = float(jnp.finfo(dtype).eps) / float(jnp.finfo(np.float64).eps)
    err_c = np.abs(c - r)
    err_a = np.abs(a - r)
    allowance = STABLE_FACTOR * np.maximum(err_a, er * u_ratio)
    allowance = np.maximum(allowance, STABLE_ULPS * ulp(r, dtype))
    ratio = err_c / allowance
    ratio = np.where(np.isfinite(c), ratio, np.where(np.isfinite(a), np.inf, 0.0))
    return np.where(np.isnan(ratio), 0.0, ratio)


def _take(rows: np.ndarray, index: np.ndarray) -> np.ndarray:
    return np.take_along_axis(rows, index[:, None], axis=1)[:, 0]


def _per_point(x: np.ndarray, n: int) -> np.ndarray:
    return np.asarray(x).reshape(n, -1)
