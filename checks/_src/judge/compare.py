"""The verdict rule: when is a closed form's value the autodiff value?

Both sides are evaluated on the same inputs: the closed form ``C`` in the case's dtype,
the reference ``R`` (autodiff of ``of``) in float64. Each carries a running
rounding-error bound (``checks._src.evaluate.rounding``): ``e_C`` in the case dtype's
rounding unit, ``e_R`` in float64's. Were both computed exactly they would be equal, so
an element agrees when

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
An element equal, bit for bit, to autodiff computed in the same dtype is within
tolerance whatever its bound (autodiff's own computation made the same error),
so it never makes a case fail or look unstable.

Stability (dtypes below float64 only): the closed form's error |C − R| against
autodiff's own error |A − R| in the same dtype, on the same rounded inputs, and
against the error autodiff's computation may make there (the reference's bound
rescaled to the dtype). It is stable where |C − R| ≤ 8·max(|A − R|, ê_A, ulp(R))
at every point.
"""

from __future__ import annotations

import decimal
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np

__all__ = [
    "SAFETY",
    "Comparison",
    "claim_tolerance",
    "compare",
    "curvature_slack",
    "judge_by_float64",
    "outside",
    "printed_ratio",
    "printed_tolerance",
    "printed_unit",
    "tolerance",
    "verdict",
]

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


def _exponent(x: Any, dtype: Any, xp: Any) -> Any:
    """``e`` with ``max(|x|, tiny) = m·2^e``, ``m ∈ [½, 1)``."""
    _, exponent = xp.frexp(xp.maximum(xp.abs(x), float(jnp.finfo(dtype).tiny)))
    return exponent


def ulp(x: Any, dtype: Any, xp: Any = np) -> Any:
    """The spacing of ``dtype`` numbers at |x| (a unit in the last place):
    ``2^(e−1)·eps``, exact (no logarithm); |x| itself where x is not finite."""
    eps = xp.asarray(float(jnp.finfo(dtype).eps), x.dtype)
    spacing = xp.ldexp(eps, _exponent(x, dtype, xp) - 1)
    return xp.where(xp.isfinite(x), spacing, xp.abs(x))


def in_ulps(err: Any, x: Any, dtype: Any, xp: Any = np) -> Any:
    """``err / ulp(x)``, without forming the ulp itself, which near zero is a
    subnormal number that some devices flush to zero."""
    return xp.ldexp(err, 1 - _exponent(x, dtype, xp)) / float(jnp.finfo(dtype).eps)


def tolerance(closed_bound: Any, ref_bound: Any, dtype: Any, xp: Any = np) -> Any:
    """τ = SAFETY · (e_C + e_R) + SAFETY · tiny(dtype), elementwise; +inf where it is
    not finite. The one tolerance of the verdict (``compare``), also used to test a
    closed form against a transformed reference (``checks._src.search.diagnose``)."""
    tol = SAFETY * (closed_bound + ref_bound) + SAFETY * float(jnp.finfo(dtype).tiny)
    return xp.where(xp.isfinite(tol), tol, xp.inf)


def outside(ratio: Any) -> Any:
    """Where an error over its allowance (``|C − R| / τ``, or a stability ratio)
    is above 1: the element, point or case fails (elementwise; NaN is not
    outside). The one threshold of every verdict."""
    return ratio > 1.0


def verdict(ratio: float) -> str:
    """``"pass"`` when the worst error over tolerance is within it, else
    ``"fail"`` (a NaN ratio fails): ``outside`` of one number."""
    return "fail" if outside(ratio) or np.isnan(ratio) else "pass"


def claim_tolerance(
    bound_a: np.ndarray, bound_b: np.ndarray, atol: float | None = None
) -> np.ndarray:
    """The tolerance of a claim's two sides, both computed in float64:
    ``tolerance(e_a, e_b, float64)``, at least the claim's ``atol`` when it
    states one (``checks.claim``)."""
    tol = tolerance(bound_a, bound_b, "float64")
    return tol if atol is None else np.maximum(tol, atol)


# A printed value's allowance, half a unit in its last digit, is widened by this
# relative margin: a value computed a rounding away from exactly halfway is not
# judged by that rounding.
PRINTED_MARGIN = 1e-9


def printed_unit(text: str) -> float:
    """One unit in the last digit of a number as printed ('0.81' -> 0.01)."""
    exponent = decimal.Decimal(text.strip()).as_tuple().exponent
    return float(decimal.Decimal(1).scaleb(int(exponent)))


def printed_tolerance(text: str) -> float:
    """The allowance of a value printed as ``text``: half a unit in its last
    digit (rounded to the printed digits), widened by ``PRINTED_MARGIN``."""
    return printed_unit(text) / 2 * (1 + PRINTED_MARGIN)


def printed_ratio(x: float, text: str, truncated: bool = False) -> float:
    """A computed ``x`` against the number printed as ``text``, as an error over
    its allowance (``outside`` when above 1): ``|x − stated| / printed_tolerance``;
    for digits cut rather than rounded (``truncated``), 0 when ``x`` lies from
    the printed number (included, less a relative 1e-12 for rounding) up to the
    next one away from zero (excluded), else inf: "-0.5" holds -0.5 and -0.59,
    not -0.6 or -0.49."""
    stated = float(text)
    if truncated:
        away = np.copysign(1.0, stated) if stated else 1.0  # "0.00": toward +
        magnitude, size = away * x, abs(stated)
        inside = size - 1e-12 * size <= magnitude < size + printed_unit(text)
        return 0.0 if inside else float(np.inf)
    return abs(x - stated) / printed_tolerance(text)


def curvature_slack(hessian_bound: np.ndarray) -> np.ndarray:
    """How far below zero a symmetric Hessian's lowest eigenvalue may be from
    rounding alone: ``SAFETY·‖E‖_F + tiny(float64)`` per point, ``E`` the
    ``(n, k, k)`` elementwise bounds. Weyl's inequality: a perturbation ``E``
    moves every eigenvalue by at most ``‖E‖_2 ≤ ‖E‖_F`` (Horn & Johnson,
    *Matrix Analysis*, 2nd ed., Theorem 4.3.1)."""
    frobenius = np.sqrt(np.sum(hessian_bound**2, axis=(1, 2)))
    return SAFETY * frobenius + float(np.finfo(np.float64).tiny)


def judge_by_float64(results: dict[str, Any]) -> None:
    """Correctness is decided in float64; lower precisions say how stable it is.

    ``results`` maps a dtype's name to its ``CaseResult`` at one set of sizes;
    edited in place. When the float64 case passes, a lower-precision case that
    exceeds its rounding-error tolerance is not a wrong derivation but an
    unstable computation: it passes, and is reported ``unstable`` with the input.
    When float64 fails or errors, stability is not judged (a wrong formula is
    far from autodiff in every dtype). Without a float64 case, each dtype's
    verdict stands on its own.
    """
    reference = results.get("float64")
    if reference is None:
        return
    for dt, case in results.items():
        if dt == "float64" or case.status == "error":
            continue
        if reference.status != "pass":
            case.stability = "not-checked"
            case.stability_ratio = 0.0
            case.stability_message = "not judged: the float64 case does not pass"
            case.stability_counterexample = None
        elif case.status == "fail":
            case.status = "pass"
            case.stability = "unstable"
            case.stability_ratio = max(case.stability_ratio, case.ratio)
            case.stability_message = (
                f"exceeds the {dt} rounding-error tolerance while float64 passes: "
                + case.message
            )
            case.stability_counterexample = case.counterexample
            case.counterexample = None
            case.message = f"float64 passes; {dt} is unstable (see stability)"


@np.errstate(all="ignore")
def compare(
    closed: np.ndarray,
    closed_bound: np.ndarray,
    ref: np.ndarray,
    ref_bound: np.ndarray,
    dtype: Any,
    same_dtype: np.ndarray | None = None,
    xp: Any = np,
) -> Comparison:
    """Apply the rule to a batch; see the module docstring.

    ``same_dtype`` is autodiff evaluated in ``dtype`` (None for float64); with it,
    the closed form's stability is measured too (``stability``). ``xp`` is the
    array module: ``numpy`` on the host, ``jax.numpy`` inside a compiled check.
    """
    n = ref.shape[0]
    finfo = jnp.finfo(dtype)  # metadata only: knows bfloat16, unlike numpy
    c = _per_point(closed.astype(xp.float64), n, xp)
    r = _per_point(ref.astype(xp.float64), n, xp)
    ec = _per_point(closed_bound, n, xp)
    er = _per_point(ref_bound, n, xp)
    if r.shape[1] == 0:  # an empty Jacobian: nothing to compare
        zeros, false = xp.zeros(n), xp.zeros(n, bool)
        return Comparison(
            zeros, zeros.astype(int), zeros, zeros, zeros, zeros, ~false,
            *([false] * 5), None, None, None,
        )  # fmt: skip

    low_precision = same_dtype is not None
    ref_ok = xp.all(xp.isfinite(r), axis=1)
    in_range = xp.all(xp.abs(r) <= float(finfo.max), axis=1)
    c_ok = xp.isfinite(c)
    closed_all_ok = xp.all(c_ok, axis=1)
    bounded = xp.all(xp.isfinite(ec) | ~c_ok, axis=1) & xp.all(xp.isfinite(er), axis=1)
    comparable = ref_ok & in_range
    if low_precision:
        a = _per_point(same_dtype.astype(xp.float64), n, xp)
        a_all_ok = xp.all(xp.isfinite(a), axis=1)
        dtype_limit = comparable & ~closed_all_ok & ~a_all_ok
        # NaN/inf where autodiff in the same dtype is finite: instability, judged
        # by the stability verdict, not by correctness (float64 decides that).
        closed_bad = xp.zeros(n, bool)
        correctness = comparable & bounded & closed_all_ok
    else:
        dtype_limit = xp.zeros(n, bool)
        closed_bad = comparable & ~closed_all_ok
        correctness = comparable & bounded

    tol = tolerance(ec, er, dtype, xp)
    err = xp.where(c_ok, xp.abs(c - r), xp.inf)
    ratio_el = xp.where(c_ok, err / tol, xp.inf)
    ratio_el = xp.where(xp.isnan(ratio_el), xp.inf, ratio_el)
    if low_precision:  # bit for bit autodiff's own value in this dtype: no worse
        ratio_el = xp.where(c_ok & (c == a), xp.minimum(ratio_el, 1.0), ratio_el)
    worst = xp.argmax(ratio_el, axis=1)
    finite_err = xp.where(c_ok, err, 0.0)
    rel = finite_err / xp.maximum(xp.abs(r), float(finfo.tiny))
    ulps = in_ulps(finite_err, r, dtype, xp)

    stability_ratio = stability_element = stability_checked = None
    if low_precision:
        stability_checked = comparable & ~dtype_limit
        ratio_s = stability(c, a, r, er, dtype, xp)
        stability_element = xp.argmax(ratio_s, axis=1)
        stability_ratio = _take(ratio_s, stability_element, xp)

    return Comparison(
        ratio=_take(ratio_el, worst, xp),
        worst_element=worst,
        abs_error=xp.max(xp.where(c_ok, err, xp.inf), axis=1),
        rel_error=xp.max(xp.where(c_ok, rel, xp.inf), axis=1),
        ulp_error=xp.max(xp.where(c_ok, ulps, xp.inf), axis=1),
        tolerance=_take(tol, worst, xp),
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
    c: np.ndarray,
    a: np.ndarray,
    r: np.ndarray,
    er: np.ndarray,
    dtype: Any,
    xp: Any = np,
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
    err_c = xp.abs(c - r)
    err_a = xp.abs(a - r)
    allowance = STABLE_FACTOR * xp.maximum(err_a, er * u_ratio)
    allowance = xp.maximum(allowance, STABLE_ULPS * ulp(r, dtype, xp))
    ratio = err_c / allowance
    ratio = xp.where(xp.isfinite(c), ratio, xp.where(xp.isfinite(a), xp.inf, 0.0))
    return xp.where(xp.isnan(ratio), 0.0, ratio)


def _take(rows: Any, index: Any, xp: Any = np) -> Any:
    return xp.take_along_axis(rows, index[:, None], axis=1)[:, 0]


def _per_point(x: Any, n: int, xp: Any = np) -> Any:
    return xp.asarray(x).reshape(n, -1)
