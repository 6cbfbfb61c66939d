"""What is wrong with a failing derivation, and a one-edit repair when there is one.

**Diagnosis.** At each failing float64 case's sizes, a modest batch of points
(``POINTS``) is drawn from the declared domains and both sides are evaluated with their
rounding-error bounds by the point evaluator the counterexample search uses
(``checks._src.evaluate.case_program.point_evaluator``). A closed form ``C`` is then
held against a transformed reference ``T(R)`` with the verdict's own tolerance
(``checks._src.judge.compare.tolerance``), the bound of ``T(R)`` being ``T`` carried to
``e_R`` (plus the rounding of computing ``T`` in float64)
(``checks._src.search.diagnose_points``). A statement is reported only when it holds at
**every element of every compared point** of every failing case:

- ``factor``: ``C = c·R``. ``c`` is tried as a simple number (−1, 2, ½, 0, …)
  or a size from ``dims`` (m, 1/m, −m, m·n, …), the same name at every size;
  else the median of ``C/R``, reported as a number when it explains every
  element (``c`` within a few ulps, so a closed form that is ``c·R`` only on
  average is not a factor);
- ``layout``: ``C`` is ``R`` with two axes of the derivative swapped;
- ``structure``: ``C`` differs from ``R`` only on the diagonal of two axes of
  equal length (a δᵢⱼ term missing or extra), only off it, only at one element
  or one index of one axis (a row, a column); or ``C`` equals ``R`` summed or
  averaged over one axis (each entry holding the whole sum);
- ``term``: ``C − R`` is a term ``T`` of a sum in the closed form (the term is
  extra), ``2T`` (its sign is flipped) or ``−T`` (it is needed twice), ``T``
  being the closed form less the closed form without that term
  (``checks._src.search.mutate.without_terms``; ``checks._src.search.diagnose_term``);
- ``region``: ``C`` agrees with ``R`` (per point, as the verdict judges it) at
  the points drawn from some strata of one input and not at the others, or one
  feature of one input (its value, largest or smallest magnitude, the repeated
  entries of an integer array) splits the right points from the wrong ones at a
  threshold: "right except where max|x| > 4"; and it is right at some points of
  that input's bulk (a formula right only where every entry is equal is not
  right in a region) (``checks._src.search.diagnose_region``).

When none of these holds, ``checks._src.search.diagnose_neighbour`` tries the closed
form as the derivative of a neighbouring function (an input substituted, two arguments
exchanged, another ``wrt``, one entry of a sum alone, a factor per point or per row, one
part of a several-wrt result). A VJP, JVP or several-wrt form is diagnosed as it is
checked (``checks._src.declare.forms.lowered``), at its first failing sizes. Failing
claims: ``checks._src.search.diagnose_claims``.

**Repair.** Each single edit of the mutation catalog (``checks._src.search.mutate``,
with its inverses) is applied to the failing closed form's source, smallest edit first,
within a time budget. An edited closed form is first screened in float64 on the
diagnosis points, and is reported only when the full check (every size, float64 and
float32, the run's samples and seed) passes: as a unified diff of the closed form's
source (``ast.unparse``'d, its docstring left out).
"""

from __future__ import annotations

import difflib
import itertools
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from checks._src.declare.declare import Derivation
from checks._src.search.diagnose_neighbour import neighbours
from checks._src.search.diagnose_points import (
    Diagnosis,
    U,
    _affordable,
    _Batch,
    _batch,
    _holds,
    variant,
)
from checks._src.search.diagnose_region import region
from checks._src.search.diagnose_term import term
from checks._src.search.mutate import mutants

__all__ = ["POINTS", "Repair", "diagnose", "repair"]

POINTS = 256  # points drawn per failing case
# The median of C/R has a few ulps of error of its own; c·R one rounding more.
ESTIMATE_ULPS = 4.0


@dataclass
class Repair:
    """A single edit of the closed form's source after which the full check passes."""

    diff: str  # unified diff of the closed form's source
    edit: str  # the edit, as the mutation catalog names it

    def to_dict(self) -> dict[str, Any]:
        return {"diff": self.diff, "edit": self.edit}


# ---------------------------------------------------------------- factor


def _factor_names(dims: dict[str, int]) -> Iterator[tuple[str, float]]:
    """Candidate factors, simplest first: numbers, then sizes and their products."""
    yield from (("-1", -1.0), ("0", 0.0), ("2", 2.0), ("1/2", 0.5))
    yield from (("-2", -2.0), ("-1/2", -0.5))
    yield from (("3", 3.0), ("1/3", 1 / 3), ("4", 4.0), ("1/4", 0.25))
    names = sorted(dims)
    for s in names:
        v = float(dims[s])
        yield from ((s, v), (f"1/{s}", 1 / v), (f"-{s}", -v), (f"-1/{s}", -1 / v))
        yield from ((f"2{s}", 2 * v), (f"{s}/2", v / 2))
    for a, b in itertools.combinations(names, 2):
        v = float(dims[a] * dims[b])
        yield from ((f"{a}{b}", v), (f"1/({a}{b})", 1 / v))


def _scaled(c: float, ulps: float = 1.0) -> Callable[[_Batch], Any]:
    def make(b: _Batch) -> tuple[np.ndarray, np.ndarray]:
        t = c * b.r
        return t, abs(c) * b.er + ulps * U * np.abs(t)

    return make


def _factor_message(name: str, c: float) -> str:
    if name == "-1":
        return "the sign is flipped: the closed form is −1 × the reference"
    if name == "0":
        return "the closed form is 0 where the reference is not"
    if name in _NUMBERS:
        text = _NUMBERS[name]
        whole = round(1 / abs(c)) if abs(c) < 1 else round(abs(c))
        lost = f"a factor 1/{whole}" if abs(c) > 1 else f"a factor {whole}"
        sign = "; and the sign is flipped" if c < 0 else ""
        return f"the closed form is {text} × the reference: {lost} is missing{sign}"
    if name.startswith("-"):
        return (
            f"the closed form is −{name[1:]} × the reference: the sign is flipped "
            f"and {_size_note(name[1:])}"
        )
    if name[0].isalpha() or name.startswith("1/"):
        return f"the closed form is {name} × the reference: {_size_note(name)}"
    return f"the closed form is {c:.6g} × the reference"


_NUMBERS = {
    "2": "2",
    "1/2": "½",
    "-2": "−2",
    "-1/2": "−½",
    "3": "3",
    "1/3": "⅓",
    "4": "4",
    "1/4": "¼",
}


def _size_note(name: str) -> str:
    if name.startswith("1/"):
        return f"it divides by {name[2:].strip('()')} once too often"
    if name.endswith("/2"):
        return f"a 2/{name[:-2]} is missing"
    if name.startswith("2"):
        return f"a 1/(2{name[1:]}) is missing"
    return f"a 1/{name} is missing"


def _factor(batches: Sequence[_Batch]) -> Diagnosis | None:
    if not any(np.any(b.r[b.checked] != 0) for b in batches):
        return None
    names = [n for n, _ in _factor_names(batches[0].dims)]
    matching = []
    for name in names:
        values = [dict(_factor_names(b.dims)).get(name) for b in batches]
        if None in values or (values[0] == 1.0 and len(set(values)) == 1):
            continue
        if all(_holds([b], _scaled(v)) for b, v in zip(batches, values, strict=True)):
            matching.append((name, values))
    if matching:
        name, values = matching[0]
        details: dict[str, Any] = {"factor": values[0], "name": name}
        if len(set(values)) > 1:
            details["by_sizes"] = [
                {"dims": b.dims, "factor": v} for b, v in zip(batches, values)
            ]
        also = [n for n, _ in matching[1:]]
        message = _factor_message(name, values[0])
        if also:
            details["also"] = also
            message += f" (at these sizes also {', '.join(also)})"
        return Diagnosis("factor", message, details)
    estimates = []
    for b in batches:
        c, r = b.c[b.checked].ravel(), b.r[b.checked].ravel()
        with np.errstate(all="ignore"):
            ratios = c[r != 0] / r[r != 0]
        ratios = ratios[np.isfinite(ratios)]
        if ratios.size == 0:
            return None
        estimate = float(np.median(ratios))
        if estimate == 1.0 or not _holds([b], _scaled(estimate, ESTIMATE_ULPS)):
            return None
        estimates.append(estimate)
    c0 = estimates[0]
    if all(math.isclose(c, c0, rel_tol=1e-12) for c in estimates):
        return Diagnosis("factor", _factor_message("", c0), {"factor": c0})
    by = [{"dims": b.dims, "factor": c} for b, c in zip(batches, estimates)]
    values = ", ".join(
        f"{c:.6g} at {_sizes(b.dims)}" for b, c in zip(batches, estimates)
    )
    return Diagnosis(
        "factor",
        f"the closed form is a constant × the reference, the constant changing "
        f"with the sizes ({values})",
        {"factor": None, "by_sizes": by},
    )


def _sizes(dims: dict[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in dims.items()) or "the declared shapes"


# ---------------------------------------------------------------- layout


def _axis_pairs(batches: Sequence[_Batch]) -> list[tuple[int, int]]:
    """Pairs of derivative axes of equal length (> 1) at every size."""
    ndim = len(batches[0].shape)
    return [
        (i, j)
        for i, j in itertools.combinations(range(ndim), 2)
        if all(b.shape[i] == b.shape[j] > 1 for b in batches)
    ]


def _axes_name(i: int, j: int, ndim: int) -> str:
    if ndim == 2:
        return "the transpose of the reference"
    return f"the reference with axes {i} and {j} swapped"


def _layout(batches: Sequence[_Batch]) -> Diagnosis | None:
    ndim = len(batches[0].shape)
    for i, j in _axis_pairs(batches):

        def swapped(b: _Batch, i: int = i, j: int = j) -> Any:
            return np.swapaxes(b.r, i + 1, j + 1), np.swapaxes(b.er, i + 1, j + 1)

        if _holds(batches, swapped):
            return Diagnosis(
                "layout",
                f"the closed form is {_axes_name(i, j, ndim)} (the Jacobian's "
                "layout is of(...).shape + wrt.shape)",
                {"axes": [i, j]},
            )
    return None


# ---------------------------------------------------------------- structure


def _wrong_elements(b: _Batch) -> np.ndarray:
    """(checked, *S) bool: elements outside tolerance."""
    return ~b.agree(b.r, b.er)


def _diagonal(shape: tuple[int, ...], i: int, j: int) -> np.ndarray:
    index = np.indices(shape)
    return index[i] == index[j]


def _structure(batches: Sequence[_Batch]) -> Diagnosis | None:
    found = _diagonal_structure(batches) or _confined(batches)
    return found or _reduced(batches)


def _diagonal_structure(batches: Sequence[_Batch]) -> Diagnosis | None:
    for i, j in _axis_pairs(batches):
        on_only = off_only = True
        ref_off = ref_on = False
        for b in batches:
            wrong = _wrong_elements(b)
            diag = _diagonal(b.shape, i, j)
            on_only &= not bool(np.any(wrong[:, ~diag]))
            off_only &= not bool(np.any(wrong[:, diag]))
            r = b.r[b.checked]
            ref_off |= bool(np.any(r[:, ~diag] != 0))
            ref_on |= bool(np.any(r[:, diag] != 0))
        where = "" if len(batches[0].shape) == 2 else f" of axes {i} and {j}"
        if on_only and ref_off:
            return Diagnosis(
                "structure",
                f"the closed form differs from the reference only on the "
                f"diagonal{where}: a δᵢⱼ term is missing or extra",
                {"pattern": "diagonal", "axes": [i, j]},
            )
        if off_only and ref_on:
            return Diagnosis(
                "structure",
                f"the closed form is right on the diagonal{where} and wrong off it: "
                "the formula holds for i = j only",
                {"pattern": "off-diagonal", "axes": [i, j]},
            )
    return None


def _confined(batches: Sequence[_Batch]) -> Diagnosis | None:
    """Every wrong element at one element, or at one index of one axis."""
    wrong_at: set[tuple[int, ...]] = set()
    for b in batches:
        if int(np.prod(b.shape)) < 2:
            return None
        wrong = np.any(_wrong_elements(b), axis=0)
        wrong_at |= {tuple(int(k) for k in e) for e in np.argwhere(wrong)}
    if not wrong_at:
        return None
    if len(wrong_at) == 1:
        (element,) = wrong_at
        return Diagnosis(
            "structure",
            f"only element [{', '.join(map(str, element))}] of the closed form "
            "is wrong",
            {"pattern": "element", "element": list(element)},
        )
    ndim = len(batches[0].shape)
    for axis in range(ndim):
        if any(b.shape[axis] < 2 for b in batches):
            continue
        at = {e[axis] for e in wrong_at}
        if len(at) == 1:
            (v,) = at
            what = {0: "row", 1: "column"}.get(axis, "index") if ndim == 2 else "index"
            where = f"{what} {v}" + ("" if ndim == 2 else f" of axis {axis}")
            return Diagnosis(
                "structure",
                f"only {where} of the closed form is wrong",
                {"pattern": "index", "axis": axis, "index": v},
            )
    return None


def _reduced(batches: Sequence[_Batch]) -> Diagnosis | None:
    ndim = len(batches[0].shape)
    for axis in range(ndim):
        if any(b.shape[axis] < 2 for b in batches):
            continue
        for how in ("summed", "averaged"):

            def make(b: _Batch, axis: int = axis, how: str = how) -> Any:
                k = b.shape[axis]
                scale = 1.0 if how == "summed" else 1.0 / k
                t = scale * np.sum(b.r, axis=axis + 1, keepdims=True)
                bound = np.sum(b.er + k * U * np.abs(b.r), axis=axis + 1, keepdims=True)
                et = scale * bound + U * np.abs(t)
                shape = b.r.shape
                return np.broadcast_to(t, shape), np.broadcast_to(et, shape)

            if _holds(batches, make):
                total = "sum" if how == "summed" else "mean"
                return Diagnosis(
                    "structure",
                    f"the closed form is the reference {how} over axis {axis}: every "
                    f"entry along that axis holds the {total}",
                    {"pattern": how, "axis": axis},
                )
    return None


# ---------------------------------------------------------------- entry points


def diagnose(
    d: Derivation, dims_list: Sequence[dict[str, int]], seed: int = 0, n: int = POINTS
) -> list[Diagnosis]:
    """The first statement (``factor``, ``layout``, ``structure``, ``term``, ``region``,
    in that order: each explains more than the next, and implies some of those after it;
    then the neighbours of ``checks._src.search.diagnose_neighbour``) that explains
    ``d``'s closed form against the reference at every compared point of ``n`` points
    drawn at each of
    ``dims_list`` (the failing float64 cases' sizes, those small enough:
    ``_affordable``); empty when none does, or when no drawn point is wrong."""
    from checks._src.declare.forms import lowered, needs_lowering

    if needs_lowering(d):  # a VJP, JVP or several-wrt form: as it is checked
        d, dims_list = lowered(d, dims_list[0]), dims_list[:1]
    batches = [_batch(d, dims, seed, k) for dims, k in _affordable(d, dims_list, n)]
    batches = [b for b in batches if b.checked.any()]
    if not any(b.wrong.any() for b in batches):
        return []
    for kind in (_factor, _layout, _structure):
        one = kind(batches)
        if one is not None:
            return [one]
    one = term(d, batches) or region(d, batches) or neighbours(d, batches)
    return [one] if one is not None else []


def _edit_size(a: str, b: str) -> int:
    """Characters changed between ``a`` and ``b``."""
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def _diff(original: str, edited: str, name: str) -> str:
    lines = difflib.unified_diff(
        original.splitlines(),
        edited.splitlines(),
        fromfile=f"a/{name}",
        tofile=f"b/{name}",
        lineterm="",
    )
    return "\n".join(lines)


def repair(
    d: Derivation,
    dims_list: Sequence[dict[str, int]],
    check: Callable[[Derivation], str],
    seed: int = 0,
    seconds: float = 5.0,
    n: int = POINTS,
) -> Repair | None:
    """The smallest single edit of ``d``'s closed form (``checks._src.search.mutate``,
    with inverses) after which ``check`` (the full check: returns the outcome) passes,
    tried within ``seconds``; None when none is found in time.

    Each edit is first screened in float64 on ``n`` points at ``dims_list``
    (an edit still wrong there cannot pass); only the survivors are checked."""
    deadline = time.monotonic() + seconds
    candidates = sorted(
        mutants(d, inverses=True), key=lambda m: _edit_size(m.original, m.source)
    )
    for m in candidates:
        if time.monotonic() > deadline:
            return None
        edited = variant(d, m.description, closed_form=m.closed_form)
        try:
            screened = all(
                not _batch(edited, dict(dims), seed, n).wrong.any()
                for dims in dims_list
            )
        except Exception:  # the edit does not even evaluate
            continue
        if screened and check(edited) == "pass":
            name = getattr(d.closed_form, "__name__", d.name)
            return Repair(_diff(m.original, m.source, name), m.description)
    return None
