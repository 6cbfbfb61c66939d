"""Diagnoses that name a neighbouring function: the closed form is the derivative
of something close to the declared function, or of it at other inputs.

``checks.diagnose`` tries these after its own kinds (a factor, a layout, a
structure, a term, a region), on the same points and under the same rule: a
statement is reported only when it holds at **every element of every compared
point** within the verdict's tolerance (``checks.compare.tolerance``), the
neighbour's reference carrying its own running error bound (it is evaluated by
the same point evaluator as the declared reference). Writing ``R(x)`` for the
reference at inputs ``x`` and ``C`` for the closed form:

- ``substitution``: ``C = s·R(x with one input set to v)``, ``s = ±1``,
  ``v ∈ {0, 1}`` (an input other than ``wrt``, every entry of it): the closed
  form dropped that input, as if it were always ``v``. "``1 − ŷ`` in place of
  ``ŷ − y``" is ``−R(y = 1)``: the label dropped and the sign flipped;
- ``swapped``: ``C = s·∂/∂wrt f(…, x_j, …, x_i, …)``, the declared function with
  two inputs of the same shape exchanged (the closed form differentiates
  ``H(p, q)`` where ``H(q, p)`` was declared);
- ``other-wrt``: ``C`` is the derivative with respect to another input,
  broadcast to the declared one's shape (``∂/∂b`` written for ``∂/∂W``: the
  factor only ``∂/∂W`` carries is missing);
- ``own-entry``: entry ``j`` of ``C`` is entry ``j`` of the reference at the
  ``wrt`` input with every entry but its ``j``-th set to 0 (``θ_j x_j`` used
  where the function has the whole ``θᵀx``);
- ``scaled``: ``C = g·R`` with ``g`` one number at each point that changes from
  point to point: named when it is a scalar input ``s`` (or ``1/s``, ``−s``,
  ``−1/s``) — a factor ``s`` extra or missing — else reported unnamed where
  every point has at least two elements to tell it by;
- ``scaled-axis``: ``C = g·R`` with ``g`` the same along every axis but one: each
  row (say) of the closed form is the reference's row times a number of its own,
  which changes from row to row and point to point (a wrong denominator or a
  missing factor of the row's own quantity);
- ``part`` (several-wrt forms, ``checks.forms``): one part of the result is wrong
  and the others are right; it equals another part's reference broadcast (the
  derivative for ``b`` written in place of the one for ``W``), or else the
  wrong part is named.

Sources: the near-miss patterns of hand derivations collected in
``tests/mistakes/neighbour.py``, and the catalog's documented errors.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np

from checks import compare
from checks.case import point_evaluator
from checks.declare import Derivation, make_derivation
from checks.diagnose import Diagnosis, U, _Batch, _evaluate, _holds

__all__ = ["neighbours"]

# Points a neighbour is first tried at (one evaluator call).
SCREEN = 64
# Inputs whose entries are masked one at a time (``own-entry``) have at most
# this many entries: one evaluation of the reference per entry.
MAX_MASKED = 16
# A scale per slice needs this many entries where the reference is well away
# from 0 (else any slice is "scaled").
MIN_SCALED = 2


def _neighbour(
    d: Derivation,
    *,
    of: Callable[..., Any] | None = None,
    wrt: str | None = None,
    closed_form: Callable[..., Any] | None = None,
) -> Derivation:
    """``d`` with another ``of``, ``wrt`` or closed form (same inputs)."""
    return make_derivation(
        closed_form or d.closed_form,
        of=of or d.of,
        wrt=wrt or d.wrt,
        inputs=d.inputs,
        order=d.order,
        dims=d.dims,
        name=f"{d.name} [neighbour]",
        source=d.source,
    )


# The point evaluators made during one ``neighbours`` call, by derivation and
# sizes: a substituted input is evaluated by the evaluator already made.
_EVALUATORS: dict[tuple[int, tuple[tuple[str, int], ...]], Any] = {}


def _reference_at(
    d: Derivation, b: _Batch, xs: Sequence[np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``d``'s reference and its bound at ``xs`` (``b``'s points by default)."""
    key = (id(d), tuple(sorted(b.dims.items())))
    if key not in _EVALUATORS:
        _EVALUATORS[key] = (d, point_evaluator(d, b.dims, ("reference",)))
    evaluate = _EVALUATORS[key][1]
    r, er = _evaluate(d, b.dims, b.xs if xs is None else xs, evaluate)
    return r, er


def _signed(
    batches: Sequence[_Batch], refs: Sequence[tuple[np.ndarray, np.ndarray]]
) -> float | None:
    """The sign ``s`` with ``C = s·R'`` at every compared element, R' being
    ``refs`` (one per batch); None when neither holds."""
    for s in (1.0, -1.0):
        if all(
            _holds([b], lambda _, r=r, er=er, s=s: (s * r, er))
            for b, (r, er) in zip(batches, refs, strict=True)
        ):
            return s
    return None


def _changes(
    batches: Sequence[_Batch], refs: Sequence[tuple[np.ndarray, np.ndarray]]
) -> bool:
    """The neighbour's reference differs from the declared one at some compared
    element (else the neighbour says nothing new)."""
    for b, (r, er) in zip(batches, refs):
        with np.errstate(all="ignore"):
            far = np.abs(r - b.r) > compare.tolerance(er, b.er, "float64")
        if np.any(far[b.checked]):
            return True
    return False


def _spread(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``x`` (points first) broadcast to ``(points, *shape)``, its per-point
    shape aligned with the end of ``shape``; ValueError when it does not fit."""
    per_point = x.shape[1:]
    if len(per_point) > len(shape):
        raise ValueError("more axes than the target")
    padded = x.reshape((len(x),) + (1,) * (len(shape) - len(per_point)) + per_point)
    return np.broadcast_to(padded, (len(x), *shape))


def _sign_text(s: float) -> str:
    return "" if s > 0 else "−1 × "


# ---------------------------------------------------------------- substitution


def _substitution(d: Derivation, batches: Sequence[_Batch]) -> Diagnosis | None:
    names = list(d.inputs)
    # Integer inputs (labels, counts) first: the ones most often dropped.
    order = sorted(range(len(names)), key=lambda i: d.inputs[names[i]].floating)
    for index in order:
        name = names[index]
        if name == d.wrt:
            continue
        for v in (0, 1):
            refs = []
            for b in batches:
                xs = list(b.xs)
                xs[index] = np.full_like(xs[index], v)
                refs.append(_reference_at(d, b, xs))
            if not _changes(batches, refs):
                continue
            s = _signed(batches, refs)
            if s is None:
                continue
            flipped = "" if s > 0 else " and the sign is flipped"
            return Diagnosis(
                "substitution",
                f"the closed form is {_sign_text(s)}the reference with {name} set "
                f"to {v}: {name} is dropped (taken as {v} everywhere){flipped}",
                {"input": name, "value": v, "sign": s},
            )
    return None


# ---------------------------------------------------------------- swapped


def _exchanged(of: Callable[..., Any], i: int, j: int) -> Callable[..., Any]:
    """``of`` with its positional arguments ``i`` and ``j`` exchanged, under the
    same parameter names."""

    def swapped(*xs: Any) -> Any:
        xs = list(xs)
        xs[i], xs[j] = xs[j], xs[i]
        return of(*xs)

    swapped.__signature__ = inspect.signature(of)  # type: ignore[attr-defined]
    swapped.__name__ = getattr(of, "__name__", "of")
    return swapped


def _swapped(d: Derivation, batches: Sequence[_Batch]) -> Diagnosis | None:
    names = list(d.inputs)
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            c = names[j]
            da, dc = d.inputs[a], d.inputs[c]
            if da.floating != dc.floating or any(
                da.resolve(b.dims) != dc.resolve(b.dims) for b in batches
            ):
                continue
            other = _neighbour(d, of=_exchanged(d.of, i, j))
            refs = [_reference_at(other, b) for b in batches]
            if not _changes(batches, refs):
                continue
            s = _signed(batches, refs)
            if s is None:
                continue
            f = getattr(d.of, "__name__", "the function")
            return Diagnosis(
                "swapped",
                f"the closed form is {_sign_text(s)}the derivative of {f} with its "
                f"arguments {a} and {c} exchanged: it differentiates "
                f"{f}(…{c}…{a}…) where {f}(…{a}…{c}…) is declared",
                {"inputs": [a, c], "sign": s},
            )
    return None


# ---------------------------------------------------------------- other-wrt


def _zeros_like_output(shape: tuple[int, ...], of: Callable[..., Any]):
    """A closed form of ``of``'s parameters returning zeros of ``shape`` (only the
    neighbour's reference is read)."""

    def zeros(*xs: Any) -> Any:
        return jnp.zeros(shape, jnp.result_type(*[jnp.asarray(x) for x in xs]))

    zeros.__signature__ = inspect.signature(of)  # type: ignore[attr-defined]
    return zeros


def _other_wrt(d: Derivation, batches: Sequence[_Batch]) -> Diagnosis | None:
    if d.order != 1:
        return None
    for name, dom in d.inputs.items():
        if name == d.wrt or not dom.floating:
            continue
        refs = []
        for b in batches:
            shape = b.shape[: len(b.shape) - len(d.inputs[d.wrt].resolve(b.dims))]
            shape += dom.resolve(b.dims)
            other = _neighbour(d, wrt=name, closed_form=_zeros_like_output(shape, d.of))
            r, er = _reference_at(other, b)
            try:
                r, er = _spread(r, b.shape), _spread(er, b.shape)
            except ValueError:
                refs = []
                break
            refs.append((r, er))
        if not refs or not _changes(batches, refs):
            continue
        s = _signed(batches, refs)
        if s is None:
            continue
        return Diagnosis(
            "other-wrt",
            f"the closed form is {_sign_text(s)}the derivative with respect to "
            f"{name}, broadcast to {d.wrt}'s shape: a factor that ∂/∂{d.wrt} "
            f"carries and ∂/∂{name} does not is missing",
            {"input": name, "sign": s},
        )
    return None


# ---------------------------------------------------------------- own-entry


def _own_entry(d: Derivation, batches: Sequence[_Batch]) -> Diagnosis | None:
    index = list(d.inputs).index(d.wrt)
    if d.order != 1 or not d.inputs[d.wrt].floating:
        return None
    refs = []
    for b in batches:
        wrt_shape = d.inputs[d.wrt].resolve(b.dims)
        size = int(np.prod(wrt_shape))
        if b.shape != wrt_shape or not 2 <= size <= MAX_MASKED:
            return None
        r = np.empty_like(b.r).reshape(len(b.r), size)
        er = np.empty_like(b.er).reshape(len(b.er), size)
        for k in range(size):
            xs = list(b.xs)
            mask = np.zeros(size)
            mask[k] = 1.0
            xs[index] = xs[index] * mask.reshape(wrt_shape)
            rk, erk = _reference_at(d, b, xs)
            r[:, k] = rk.reshape(len(rk), size)[:, k]
            er[:, k] = erk.reshape(len(erk), size)[:, k]
        refs.append((r.reshape(b.r.shape), er.reshape(b.er.shape)))
    if not _changes(batches, refs):
        return None
    s = _signed(batches, refs)
    if s != 1.0:
        return None
    w = d.wrt
    return Diagnosis(
        "own-entry",
        f"entry j of the closed form is the derivative at {w} with every entry but "
        f"{w}_j set to 0: it uses {w}_j alone where the function uses all of {w} "
        f"(a sum over {w}'s entries, such as {w}ᵀx, replaced by its j-th term)",
        {"input": w},
    )


# ---------------------------------------------------------------- scaled


def _scaled(d: Derivation, batches: Sequence[_Batch]) -> Diagnosis | None:
    """``C = g·R`` with ``g`` one number per point, changing between points:
    named when it is a scalar input ``s`` (``s``, ``1/s``, ``−s``, ``−1/s``) at
    every point; unnamed only where every point has ``MIN_SCALED`` elements to
    estimate it from."""
    made = [_axis_scale(b, None, least=1) for b in batches]
    if any(m is None for m in made):
        return None
    if all(np.all(g == g.flat[0]) for g, _ in made):  # type: ignore[misc]
        return None  # one number: a constant factor (``checks.diagnose``)
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


def _scaled_axis(batches: Sequence[_Batch]) -> Diagnosis | None:
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


# ---------------------------------------------------------------- part


def _part(d: Derivation, batches: Sequence[_Batch]) -> Diagnosis | None:
    parts = getattr(d, "parts", ())
    if not parts or len(batches) != 1:
        return None
    (b,) = batches
    sizes = [int(np.prod(p.shape)) for p in parts]
    if sum(sizes) != int(np.prod(b.shape)):
        return None
    bounds = np.cumsum([0, *sizes])
    wrong = ~b.agree(b.r, b.er).reshape(int(b.checked.sum()), -1)
    bad = [i for i in range(len(parts)) if wrong[:, bounds[i] : bounds[i + 1]].any()]
    if len(bad) != 1:
        return None
    (p,) = bad
    label = parts[p].label
    for q, other in enumerate(parts):
        if q == p:
            continue
        try:
            shape = (len(b.r), *parts[p].shape)
            pick = slice(bounds[q], bounds[q + 1])
            r_q = b.r.reshape(len(b.r), -1)[:, pick].reshape(len(b.r), *other.shape)
            er_q = b.er.reshape(len(b.r), -1)[:, pick].reshape(len(b.r), *other.shape)
            t = _spread(r_q, shape[1:]).reshape(len(b.r), -1)
            et = _spread(er_q, shape[1:]).reshape(len(b.r), -1)
        except ValueError:
            continue
        c = b.c.reshape(len(b.c), -1)[:, bounds[p] : bounds[p + 1]][b.checked]
        ec = b.ec.reshape(len(b.c), -1)[:, bounds[p] : bounds[p + 1]][b.checked]
        with np.errstate(all="ignore"):
            ok = np.abs(c - t[b.checked]) <= compare.tolerance(
                ec, et[b.checked], "float64"
            )
        if np.all(ok):
            return Diagnosis(
                "part",
                f"the {label} part of the result is the {other.label} part's "
                f"reference broadcast to its shape: the derivative for "
                f"{other.label} written in place of the one for {label} (a factor "
                f"only the {label} part carries is missing); the other parts are "
                "right",
                {"part": label, "equals": other.label},
            )
    return Diagnosis(
        "part",
        f"only the {label} part of the result is wrong; the other parts are right",
        {"part": label},
    )


# ---------------------------------------------------------------- entry point


def neighbours(d: Derivation, batches: Sequence[_Batch]) -> Diagnosis | None:
    """The first neighbour (``part``, ``substitution``, ``swapped``,
    ``other-wrt``, ``own-entry``, ``scaled``, ``scaled-axis``) that explains
    ``d``'s closed form at every compared point of ``batches``; None when none
    does. A neighbour whose reference cannot be evaluated is passed over."""
    tries: list[Callable[[Sequence[_Batch]], Diagnosis | None]] = [
        lambda bs: _part(d, bs),
        lambda bs: _substitution(d, bs),
        lambda bs: _swapped(d, bs),
        lambda bs: _other_wrt(d, bs),
        lambda bs: _own_entry(d, bs),
        lambda bs: _scaled(d, bs),
        _scaled_axis,
    ]
    screen = [_head(b, SCREEN) for b in batches]
    try:
        for attempt in tries:
            try:
                # Most neighbours are wrong at the first few points: tried there
                # first, then (if they hold there) at every point.
                if attempt(screen) is None:
                    continue
                found = attempt(batches)
            except Exception:  # the neighbour does not evaluate at these points
                continue
            if found is not None:
                return found
        return None
    finally:
        _EVALUATORS.clear()


def _head(b: _Batch, k: int) -> _Batch:
    """``b``'s first ``k`` points."""
    return _Batch(
        b.dims,
        [x[:k] for x in b.xs],
        [s[:k] for s in b.strata],
        *(v[:k] for v in (b.c, b.ec, b.r, b.er, b.checked, b.wrong)),
    )
