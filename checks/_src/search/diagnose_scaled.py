"""The ``scaled`` and ``scaled-axis`` diagnoses: the closed form is the reference
times a number that changes from point to point, or from slice to slice.

Writing ``R`` for the reference and ``C`` for the closed form, ``g = C/R`` is
read per point (or per point and index along one axis) at the element where it
is best known (relative error bound ``e_C/|C| + e_R/|R|`` least, below 10⁻³),
and ``g·R`` is then held against ``C`` with the bound
``|g|·e_R + (g_rel + u)·|g·R|`` at every element of every compared point
(``checks._src.search.diagnose_points``):

- ``scaled``: ``C = g·R`` with ``g`` one number at each point that changes from
  point to point: named when it is a scalar input ``s`` (or ``1/s``, ``−s``,
  ``−1/s``) — a factor ``s`` extra or missing — else reported unnamed where
  every point has at least two elements to tell it by;
- ``scaled-axis``: ``C = g·R`` with ``g`` the same along every axis but one: each
  row (say) of the closed form is the reference's row times a number of its own,
  which changes from row to row and point to point (a wrong denominator or a
  missing factor of the row's own quantity).

``checks._src.search.diagnose_neighbour`` tries these after the neighbours that evaluate
another reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from checks._src.declare.declare import Derivation
from checks._src.search.diagnose_points import Diagnosis, U, _Batch, _holds

__all__ = ["scaled", "scaled_axis"]

# A scale per slice needs this many entries where the reference is well away
# from 0 (else any slice is "scaled").
MIN_SCALED = 2


def scaled(d: Derivation, batches: Sequence[_Batch]) -> Diagnosis | None:
    """``C = g·R`` with ``g`` one number per point, changing between points:
    named when it is a scalar input ``s`` (``s``, ``1/s``, ``−s``, ``−1/s``) at
    every point; unnamed only where every point has ``MIN_SCALED`` elements to
    estimate it from."""
    made = [_axis_scale(b, None, least=1) for b in batches]
    if any(m is None for m in made):
        return None
    if all(np.all(g == g.flat[0]) for g, _ in made):  # type: ignore[misc]
        return None  # one number: a constant factor (``checks._src.search.diagnose``)
    if not _holds_scaled(batches, made, None):
        return None
    names = list(d.inputs)
    for index, name in enumerate(names):
        if not d.inputs[name].floating or any(
            b.xs[index][0].size != 1 for b in batches
        ):
            continue
        for label, f in (
            (name, lambda v: v),
            (f"1/{name}", lambda v: 1 / v),
            (f"−{name}", lambda v: -v),
            (f"−1/{name}", lambda v: -1 / v),
        ):
            if all(
                _named_scale(f(b.xs[index][b.checked].reshape(-1)), *m)
                for b, m in zip(batches, made, strict=True)
            ):
                extra = "extra" if label in (name, f"−{name}") else "missing"
                sign = "; and the sign is flipped" if label.startswith("−") else ""
                return Diagnosis(
                    "scaled",
                    f"the closed form is {label} × the reference: a factor {name} "
                    f"is {extra}{sign}",
                    {"factor": label, "input": name},
                )
    if any(m[0].size and _axis_scale(b, None) is None for b, m in zip(batches, made)):
        return None  # too few elements per point to say more than "named"
    return Diagnosis(
        "scaled",
        "the closed form is the reference times one number at each point, "
        "changing from point to point: a factor that depends on the inputs is "
        "missing or extra",
        {"factor": None},
    )


def _named_scale(v: np.ndarray, g: np.ndarray, g_rel: np.ndarray) -> bool:
    """``g`` (per point) is ``v`` within its error bound and a rounding of ``v``."""
    g = g.reshape(-1)
    with np.errstate(all="ignore"):
        bound = (g_rel.reshape(-1) + 4 * U) * np.abs(g)
        return bool(np.all(np.abs(g - v) <= bound))


def _holds_scaled(batches: Sequence[_Batch], made: Sequence[Any], axis: Any) -> bool:
    return all(
        _holds([b], lambda b, m=m: _scaled_by(b, *m, axis))
        for b, m in zip(batches, made, strict=True)
    )


def scaled_axis(batches: Sequence[_Batch]) -> Diagnosis | None:
    ndim = len(batches[0].shape)
    if ndim < 2:
        return None
    for axis in range(ndim):
        made: list[Any] = []
        for b in batches:
            one = _axis_scale(b, axis)
            if one is None:
                break
            made.append(one)
        if len(made) != len(batches):
            continue
        if not any(_varies_along(g, g_rel) for g, g_rel in made):
            continue  # one number per point: ``scaled``, not this
        if _holds_scaled(batches, made, axis):
            what = {0: "row", 1: "column"}.get(axis, f"index of axis {axis}")
            what = what if ndim == 2 else f"index of axis {axis}"
            return Diagnosis(
                "scaled-axis",
                f"each {what} of the closed form is the reference's times a number "
                f"of its own (changing from {what} to {what} and point to point): a "
                f"factor that depends on the {what} is missing or extra, as a wrong "
                "denominator gives",
                {"axis": axis},
            )
    return None


def _varies_along(g: np.ndarray, g_rel: np.ndarray) -> bool:
    """At some point, two indices' numbers differ beyond their error bounds."""
    with np.errstate(all="ignore"):
        spread = np.max(g, axis=1) - np.min(g, axis=1)
        bound = 2 * np.max(g_rel * np.abs(g), axis=1)
        return bool(np.any(spread > bound))


def _axis_scale(
    b: _Batch, axis: int | None, least: int = MIN_SCALED
) -> tuple[np.ndarray, np.ndarray] | None:
    """Per (point, index along ``axis``; ``None``: per point): the ratio ``C/R``
    at the element where it is best known, and its relative error bound; None
    where a slice has fewer than ``least`` elements with R well away from 0."""
    c, ec, r, er = (x[b.checked] for x in (b.c, b.ec, b.r, b.er))
    n = len(r)
    if n == 0:  # no compared point (a screen's first points, say) to read it at
        return None
    if axis is None:
        c, ec, r, er = (x.reshape(n, 1, -1) for x in (c, ec, r, er))
    else:
        c, ec, r, er = (np.moveaxis(x, axis + 1, 1) for x in (c, ec, r, er))
        k = r.shape[1]
        c, ec, r, er = (x.reshape(n, k, -1) for x in (c, ec, r, er))
    if r.shape[2] < least:
        return None
    with np.errstate(all="ignore"):
        rel = ec / np.abs(c) + er / np.abs(r)
        usable = (np.abs(r) > 0) & (np.abs(c) > 0) & np.isfinite(rel) & (rel < 1e-3)
        if np.any(usable.sum(axis=2) < least):
            return None
        rel = np.where(usable, rel, np.inf)
        best = np.argmin(rel, axis=2)[..., None]
        g = np.take_along_axis(c / r, best, 2)[..., 0]
        g_rel = np.take_along_axis(rel, best, 2)[..., 0] + 2 * U
    return g, g_rel


def _scaled_by(b: _Batch, g: np.ndarray, g_rel: np.ndarray, axis: int | None) -> Any:
    """``(t, et)`` over all points (only the compared ones are read): ``g`` along
    ``axis`` (``None``: one per point) times R."""
    shape = [1] * b.r.ndim
    shape[0] = len(b.r)
    if axis is not None:
        shape[axis + 1] = g.shape[1]
    gg = np.ones((len(b.r), g.shape[1]))
    gr = np.zeros_like(gg)
    gg[b.checked], gr[b.checked] = g, g_rel
    gg, gr = gg.reshape(shape), gr.reshape(shape)
    t = gg * b.r
    return t, np.abs(gg) * b.er + (gr + U) * np.abs(t)
