"""What is wrong with a failing derivation, and a one-edit repair when there is one.

**Diagnosis.** At each failing float64 case's sizes, a modest batch of points
(``POINTS``) is drawn from the declared domains and both sides are evaluated
with their rounding-error bounds by the point evaluator the counterexample
search uses (``checks.case.point_evaluator``). A closed form ``C`` is then held
against a transformed reference ``T(R)`` with the verdict's own tolerance
(``checks.compare.tolerance``), the bound of ``T(R)`` being ``T`` carried to
``e_R`` (plus the rounding of computing ``T`` in float64). A statement is
reported only when it holds at **every element of every compared point** of
every failing case:

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
  (``checks.mutate.without_terms``);
- ``region``: ``C`` agrees with ``R`` (per point, as the verdict judges it) at
  the points drawn from some strata of one input and not at the others, or one
  feature of one input (its value, largest or smallest magnitude, the repeated
  entries of an integer array) splits the right points from the wrong ones at a
  threshold: "right except where max|x| > 4"; and it is right at some points of
  that input's bulk (a formula right only where every entry is equal is not
  right in a region).

When none of these holds, ``checks.diagnose_neighbour`` tries the closed form as
the derivative of a neighbouring function (an input substituted, two arguments
exchanged, another ``wrt``, one entry of a sum alone, a factor per point or per
row, one part of a several-wrt result). A VJP, JVP or several-wrt form is
diagnosed as it is checked (``checks.forms.lowered``), at its first failing
sizes. Failing claims: ``checks.diagnose_claims``.

**Repair.** Each single edit of the mutation catalog (``checks.mutate``, with its
inverses) is applied to the failing closed form's source, smallest edit first,
within a time budget. An edited closed form is first screened in float64 on the
diagnosis points, and is reported only when the full check (every size, float64
and float32, the run's samples and seed) passes: as a unified diff of the closed
form's source (``ast.unparse``'d, its docstring left out).
"""

from __future__ import annotations

import difflib
import itertools
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax.numpy as jnp
import numpy as np

from checks import compare, on_host, sampling
from checks.case import example_args, point_evaluator
from checks.declare import Derivation, make_derivation
from checks.mutate import mutants, without_terms
from checks.reference import expected_shape
from checks.shrink import BATCH

__all__ = ["POINTS", "Diagnosis", "Repair", "diagnose", "repair"]

POINTS = 256  # points drawn per failing case
U = float(np.finfo(np.float64).eps) / 2  # float64's rounding unit
# The median of C/R has a few ulps of error of its own; c·R one rounding more.
ESTIMATE_ULPS = 4.0
# A region needs this many right and wrong points to be told apart.
MIN_SIDE = 2


@dataclass
class Diagnosis:
    """One statement about a failing closed form that every compared point bears out."""

    kind: str  # factor | layout | structure | term | region
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "details": self.details}


@dataclass
class Repair:
    """A single edit of the closed form's source after which the full check passes."""

    diff: str  # unified diff of the closed form's source
    edit: str  # the edit, as the mutation catalog names it

    def to_dict(self) -> dict[str, Any]:
        return {"diff": self.diff, "edit": self.edit}


@dataclass
class _Batch:
    """One failing case's points: inputs, strata, both sides with their bounds."""

    dims: dict[str, int]
    xs: list[np.ndarray]
    strata: list[np.ndarray]
    c: np.ndarray  # (n, *S) closed form, float64
    ec: np.ndarray
    r: np.ndarray  # (n, *S) reference, float64
    er: np.ndarray
    checked: np.ndarray  # (n,) compared by the verdict
    wrong: np.ndarray  # (n,) compared and outside tolerance

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.r.shape[1:])

    def agree(self, t: np.ndarray, et: np.ndarray) -> np.ndarray:
        """Elementwise: C within the verdict's tolerance of ``t`` (bound ``et``),
        at the compared points only, shape ``(checked, *S)``."""
        c, ec = self.c[self.checked], self.ec[self.checked]
        t, et = t[self.checked], et[self.checked]
        with np.errstate(all="ignore"):
            return np.abs(c - t) <= compare.tolerance(ec, et, "float64")


def _sample(d: Derivation, dims: dict[str, int], seed: int, n: int):
    """``n`` points of every input in float64 (NumPy's sampler where the domain has
    one), and their strata, from the run's seed."""
    root = np.asarray(sampling.chunk_stream(seed, 0))
    xs, strata = [], []
    for i, dom in enumerate(d.inputs.values()):
        kind = jnp.float64 if dom.floating else jnp.int32
        if dom.host_draw is not None:
            x, s = dom.sample_on_host(sampling.substream_of(root, i), n, dims, kind)
        else:  # a custom sampler: drawn as the check drew it (NumPy where it can)
            x, s = on_host.draw(dom, sampling.substream_of(root, i), n, dims, kind)
        xs.append(np.asarray(x))
        strata.append(np.asarray(s))
    return xs, strata


# Values per array of a diagnosis batch (points × elements of the derivative):
# a case with a larger derivative is diagnosed on fewer points, at least
# MIN_POINTS, or not at all.
MAX_VALUES = 1 << 20
MIN_POINTS = 16


def _affordable(
    d: Derivation, dims_list: Sequence[dict[str, int]], n: int
) -> list[tuple[dict[str, int], int]]:
    """The sizes to diagnose at, each with its number of points."""
    out = []
    for dims in dims_list:
        args = tuple(example_args(d, dims, jnp.float64))
        out_shape = on_host.traced(d.of, args).out_avals[0].shape
        shape = expected_shape(out_shape, args[d.wrt_index].shape, d.order)
        points = min(n, MAX_VALUES // max(math.prod(shape), 1))
        if points >= MIN_POINTS:
            out.append((dict(dims), points))
    return out


def _batch(d: Derivation, dims: dict[str, int], seed: int, n: int) -> _Batch:
    xs, strata = _sample(d, dims, seed, n)
    c, ec, r, er = _evaluate(d, dims, xs)
    cmp = compare.compare(c, ec, r, er, "float64")
    checked = np.asarray(cmp.checked, bool)
    return _Batch(
        dims, xs, strata, c, ec, r, er, checked, checked & compare.outside(cmp.ratio)
    )


def _evaluate(
    d: Derivation,
    dims: dict[str, int],
    xs: Sequence[np.ndarray],
    evaluate: Callable[..., Any] | None = None,
) -> list[np.ndarray]:
    """(C, e_C, R, e_R) at the points ``xs``, ``BATCH`` points per call, as the
    counterexample search calls the same evaluator (so a compiled one is
    compiled once for both); ``evaluate``: that evaluator, made already."""
    evaluate = evaluate or point_evaluator(d, dims)
    n = len(xs[0])
    parts = []
    for start in range(0, n, BATCH):
        chunk = [x[start : start + BATCH] for x in xs]
        short = BATCH - len(chunk[0])
        if short:
            chunk = [np.concatenate([x, np.repeat(x[-1:], short, 0)]) for x in chunk]
        parts.append([np.asarray(v, np.float64) for v in evaluate(*chunk)])
    return [np.concatenate(p)[:n] for p in zip(*parts)]


def _holds(batches: Sequence[_Batch], make: Callable[[_Batch], Any]) -> bool:
    """``make(b)`` gives ``(t, et)`` (or None: not applicable) for every batch, and C
    agrees with ``t`` at every element of every compared point."""
    for b in batches:
        made = make(b)
        if made is None or not bool(np.all(b.agree(*made))):
            return False
    return True


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


# ---------------------------------------------------------------- term

# C − R = k·T for a term T of the closed form: k = 1, the term is extra; k = 2,
# its sign is flipped; k = −1, it is needed twice.
_TERM_MESSAGES = {
    1.0: "the term {t} is extra: without it the closed form is the reference",
    2.0: "the term {t} has the wrong sign: with it negated the closed form is the "
    "reference",
    -1.0: "the term {t} is counted once where the reference counts it twice",
}


def _term(d: Derivation, batches: Sequence[_Batch]) -> Diagnosis | None:
    """``C − R = k·T`` for a term ``T`` of a sum in the closed form (``T = C − C'``
    with ``C'`` the closed form without it, evaluated at the same points), so
    ``R = (1 − k)·C + k·C'``, held to the verdict's tolerance with that
    combination's bound."""
    for text, fn in without_terms(d):
        edited = _edited(d, fn, "without a term")
        holding = list(_TERM_MESSAGES)  # the multiples k that hold at every batch
        for b in batches:  # so far: the next is evaluated only if one still does
            try:
                other = _values_at(edited, b)
            except Exception:  # the closed form without the term does not evaluate
                holding = []
                break
            if other[0].shape != b.c.shape:
                holding = []  # without the term it has another shape (a constant)
                break
            holding = [k for k in holding if _term_holds(b, other, k)]
            if not holding:
                break
        if holding:
            k = holding[0]
            return Diagnosis(
                "term",
                _TERM_MESSAGES[k].format(t=f"`{text}`"),
                {"term": text, "multiple": k},
            )
    return None


def _values_at(d: Derivation, b: _Batch) -> tuple[np.ndarray, np.ndarray]:
    """``d``'s closed form and its bound at ``b``'s points, float64."""
    c, ec = _evaluate(d, b.dims, b.xs, point_evaluator(d, b.dims, ("closed",)))
    return c, ec


def _term_holds(b: _Batch, other: tuple[np.ndarray, np.ndarray], k: float) -> bool:
    c2, ec2 = (x[b.checked] for x in other)
    c, ec = b.c[b.checked], b.ec[b.checked]
    r, er = b.r[b.checked], b.er[b.checked]
    with np.errstate(all="ignore"):
        predicted = (1 - k) * c + k * c2
        bound = abs(1 - k) * ec + abs(k) * ec2 + 2 * U * np.abs(predicted)
        return bool(
            np.all(np.abs(predicted - r) <= compare.tolerance(bound, er, "float64"))
        )


def _edited(d: Derivation, fn: Callable[..., Any], what: str) -> Derivation:
    """``d`` with ``fn`` as its closed form."""
    return make_derivation(
        fn,
        of=d.of,
        wrt=d.wrt,
        inputs=d.inputs,
        order=d.order,
        dims=d.dims,
        name=f"{d.name} [{what}]",
        source=d.source,
    )


# ---------------------------------------------------------------- region


def _features(name: str, xs: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """Per-point numbers one input may be split by: its value (one entry), its
    largest and smallest magnitude, and for an integer array the number of its
    entries that repeat an earlier one (0: all distinct)."""
    integer = xs.dtype.kind in "iu"
    flat = xs.reshape(len(xs), -1).astype(np.float64)
    if flat.shape[1] == 1:
        yield name, flat[:, 0]
        yield f"|{name}|", np.abs(flat[:, 0])
    elif flat.shape[1] > 1:
        yield f"max|{name}|", np.max(np.abs(flat), axis=1)
        yield f"min|{name}|", np.min(np.abs(flat), axis=1)
        if integer:
            ordered = np.sort(flat, axis=1)
            repeats = np.sum(ordered[:, 1:] == ordered[:, :-1], axis=1)
            yield f"the repeated entries of {name}", repeats.astype(np.float64)


def _simplest_between(low: float, high: float) -> float:
    """The number with fewest significant digits in ``[low, high)`` (0 if it is)."""
    top = max(abs(low), abs(high), 1e-300)
    exponent = math.floor(math.log10(top)) + 1
    for e in range(exponent, exponent - 18, -1):
        step = 10.0**e
        t = float(f"{math.ceil(low / step) * step:.15g}") + 0.0
        if low <= t < high:
            return t
    return low


def _region(d: Derivation, batches: Sequence[_Batch]) -> Diagnosis | None:
    wrong = np.concatenate([b.wrong[b.checked] for b in batches])
    if wrong.sum() < MIN_SIDE or (~wrong).sum() < MIN_SIDE:
        return None
    names = list(d.inputs)
    for index, name in enumerate(names):
        labels = d.inputs[name].strata
        strata = np.concatenate([b.strata[index][b.checked] for b in batches])
        bad = {labels[int(s)] for s in strata[wrong]}
        good = {labels[int(s)] for s in strata[~wrong]}
        threshold = None
        if d.inputs[name].floating:
            threshold = _threshold(name, index, batches, wrong)
        if (bad & good and threshold is None) or labels[0] not in good:
            # Not a region, or one where the closed form is wrong on the input's
            # bulk (right on ties only, say, where a transpose is the same matrix).
            continue
        details: dict[str, Any] = {"input": name}
        parts = []
        if not bad & good:
            details.update(wrong_strata=sorted(bad), right_strata=sorted(good))
            parts.append(
                f"where {name} is sampled from {_listed(sorted(bad))} "
                f"(right on {_listed(sorted(good))})"
            )
        if threshold is not None:
            details["threshold"] = threshold
            parts.insert(
                0, f"where {threshold['feature']} {threshold['op']} {threshold['at']:g}"
            )
        return Diagnosis(
            "region", "the closed form is right except " + "; ".join(parts), details
        )
    return None


def _listed(items: Sequence[str]) -> str:
    return " and ".join(f"the {s}" for s in items) + " points"


def _threshold(
    name: str, index: int, batches: Sequence[_Batch], wrong: np.ndarray
) -> dict[str, Any] | None:
    xs = [b.xs[index][b.checked] for b in batches]
    per_batch = [dict(_features(name, x)) for x in xs]
    for feature in per_batch[0]:
        values = np.concatenate([f[feature] for f in per_batch])
        if not np.all(np.isfinite(values)):
            continue
        right, bad = values[~wrong], values[wrong]
        if right.max() < bad.min():
            at = _simplest_between(float(right.max()), float(bad.min()))
            return {"feature": feature, "op": ">", "at": at}
        if bad.max() < right.min():
            # right where value ≥ t: wrong where value < t
            at = 0.0 - _simplest_between(-float(right.min()), -float(bad.max()))
            return {"feature": feature, "op": "<", "at": at}
    return None


# ---------------------------------------------------------------- entry points


def diagnose(
    d: Derivation, dims_list: Sequence[dict[str, int]], seed: int = 0, n: int = POINTS
) -> list[Diagnosis]:
    """The first statement (``factor``, ``layout``, ``structure``, ``term``,
    ``region``, in that order: each explains more than the next, and implies
    some of those after it; then the neighbours of
    ``checks.diagnose_neighbour``) that explains ``d``'s closed form against the
    reference at every compared point of ``n`` points drawn at each of
    ``dims_list`` (the failing float64 cases' sizes, those small enough:
    ``_affordable``); empty when none does, or when no drawn point is wrong."""
    from checks.diagnose_neighbour import neighbours
    from checks.forms import lowered, needs_lowering

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
    one = _term(d, batches) or _region(d, batches) or neighbours(d, batches)
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
    """The smallest single edit of ``d``'s closed form (``checks.mutate``, with
    inverses) after which ``check`` (the full check: returns the outcome) passes,
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
        edited = _edited(d, m.closed_form, m.description)
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
