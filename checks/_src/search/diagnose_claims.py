"""What is wrong with a failing claim (``checks.claim``): the diagnoses a failing
derivation gets (``checks._src.search.diagnose``), for the claims' own forms.

Each statement is reported only when it holds at every compared point, under the claim's
own rule: within ``SAFETY·(e_a + e_b)`` (or the claim's ``atol``) for the sampled forms,
as ``checks._src.evaluate.claim_sampled`` judges them; within half a unit in the last
printed digit for a printed value.

- ``factor`` (identity, value): ``left = k·right`` for a named ``k``: −1 (the
  sign), 2, ½, ln 2 or 1/ln 2 (a natural log against a base-2 one), ln 10, 1/ln
  10, 10, 1/10 (for a printed value: only when one name fits and the printed
  digits give it to 1 %, so a one-digit 0.7 is not "ln 2 × 1");
- ``zero`` (identity): one side is 0 at every point and the other is not: the
  sides differ by the whole of one side;
- ``difference`` (identity): ``left − right`` is one constant at every point;
- ``reversed`` (inequality): ``larger ≤ smaller`` at every point: the inequality
  holds the other way round (the points of equality counted);
- ``region`` (identity, inequality): the claim holds at the points of some strata of one
  input and fails at the others, or one feature of one input splits them at a threshold
  (``checks._src.search.diagnose_region.threshold``, as for a derivation: a value, the
  largest or smallest magnitude, the number of repeated entries of an integer array; a
  feature not finite at every point passed over);
- ``term`` (value): the printed value is what the expression gives with the
  signs of one or two terms of its sums flipped (the expression's source, edited
  by ``checks._src.search.mutate.sign_flip``, as a mutant of a closed form is);
- ``shape`` (output): the printed shape against the computed one: axes too many
  or too few, an axis off by one or by a factor of 10 (a digit too many or too
  few);
- ``bound`` (bound): how far outside the implied interval the printed value is.
"""

from __future__ import annotations

import ast
import copy
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import jax
import numpy as np

from checks._src.evaluate import case_plan, on_host
from checks._src.judge import compare
from checks._src.search.diagnose_points import Diagnosis, U
from checks._src.search.diagnose_region import _listed as _strata
from checks._src.search.diagnose_region import threshold
from checks._src.search.mutate import (
    _compile,
    _function_tree,
    _preorder,
    _Replace,
    sign_flip,
)

__all__ = ["diagnose_claim"]

_NAMED = (
    ("-1", -1.0),
    ("2", 2.0),
    ("1/2", 0.5),
    ("ln 2", math.log(2)),
    ("1/ln 2", 1 / math.log(2)),
    ("ln 10", math.log(10)),
    ("1/ln 10", 1 / math.log(10)),
    ("10", 10.0),
    ("1/10", 0.1),
    ("-2", -2.0),
    ("-1/2", -0.5),
)
_WHY = {
    "-1": "the sign is flipped",
    "ln 2": "a natural log where the other side has a base-2 one",
    "1/ln 2": "a base-2 log where the other side has a natural one",
    "ln 10": "a natural log where the other side has a base-10 one",
    "1/ln 10": "a base-10 log where the other side has a natural one",
}
# A printed value is held to a named ratio only when known to this relative
# precision (half a unit in its last digit over its magnitude).
PRECISE = 0.01
# Sign-flip edits of a value's expression tried together (pairs of the terms).
MAX_TERMS = 12


def diagnose_claim(c: Any, result: Any, seed: int) -> list[Diagnosis]:
    """The first statement that explains the failing claim ``c`` (its ``result``, as
    ``checks._src.evaluate.claim_check.check_claim`` made it); empty when none does."""
    failing = [k for k in result.cases if k.status == "fail"]
    if not failing:
        return []
    try:
        if c.form == "value":
            found = _value(c, failing[0])
        elif c.form == "output" and c.shape is not None:
            found = _shape(failing[0])
        elif c.form == "bound":
            found = _bound(failing[0])
        elif c.form in ("identity", "inequality"):
            found = _sampled(c, failing, seed)
        else:
            found = None
    except Exception:  # an aid to reading the verdict, which stands without it
        found = None
    return [found] if found is not None else []


# ---------------------------------------------------------------- printed values


def _value(c: Any, case: Any) -> Diagnosis | None:
    texts = [c.stated] if isinstance(c.stated, str) else list(c.stated)
    computed = np.asarray(case.counterexample.reference, np.float64).ravel()
    if len(texts) != computed.size:
        return None
    i = case.counterexample.element[0] if case.counterexample.element else 0
    text, x = texts[i], float(computed[i])
    stated, allowed = float(text), compare.printed_tolerance(text)
    matching = [
        (name, k)
        for name, k in _NAMED
        if abs(stated - k * x) <= allowed + 4 * U * abs(k * x)
    ]
    # A ratio is named only when the printed digits pin it down: one name fits,
    # and the printed number is known to 1 % (0.7 is ln 2 × 1 by its one digit).
    if len(matching) == 1 and allowed <= PRECISE * abs(stated):
        ((name, k),) = matching
        why = _WHY.get(name, f"a factor {name} too many or too few")
        return Diagnosis(
            "factor",
            f"the printed {text} is {name} × the computed {x:.6g}: {why}",
            {"factor": k, "name": name},
        )
    if c.truncated or len(texts) != 1:
        return None
    return _flipped_terms(c, text, stated, allowed)


def _sum_terms(tree: ast.FunctionDef) -> list[tuple[int, str, Callable[..., Any]]]:
    """Sign-flip edits of a definition (``checks._src.search.mutate.sign_flip``):
    ``(node index, term, edit)`` for the right operand of each ``+``/``−`` (its
    operator swapped) and each unary minus (dropped), in the order
    ``checks._src.search.mutate`` numbers nodes."""
    out = []
    for index, node in enumerate(_preorder(tree)):
        flip = sign_flip(node)
        if flip is not None:
            term = node.right if isinstance(node, ast.BinOp) else node.operand
            out.append((index, ast.unparse(term), flip[1]))
    return out[:MAX_TERMS]


def _flipped_terms(
    c: Any, text: str, stated: float, allowed: float
) -> Diagnosis | None:
    """The fewest sign flips (one or two) after which the claim's expression gives
    the printed value (within its printed digits)."""
    tree = _function_tree(c.fn)
    if tree is None:
        return None
    terms = _sum_terms(tree)
    choices: Iterator[tuple[tuple[int, str, Callable[..., Any]], ...]] = (
        combo
        for size in (1, 2)
        for combo in _combinations(terms, size)  # type: ignore[arg-type]
    )
    for combo in choices:
        edited = copy.deepcopy(tree)
        for index, _, flip in sorted(combo, reverse=True, key=lambda t: t[0]):
            replacer = _Replace(index, flip)  # later nodes first
            edited.body = [replacer.visit(stmt) for stmt in edited.body]
        try:
            fn = _compile(ast.fix_missing_locations(edited), c.fn)
            value = on_host.value(fn)
            if value is None:
                value = jax.device_get(fn())
            value = np.asarray(value, np.float64)
        except Exception:
            continue
        if value.size == 1 and abs(float(value) - stated) <= allowed:
            names = " and ".join(f"`{t}`" for _, t, _ in combo)
            plural = "s" if len(combo) > 1 else ""
            return Diagnosis(
                "term",
                f"the printed {text} is what the expression gives with the sign{plural}"
                f" of {names} flipped ({float(value):.6g})",
                {"flipped": [t for _, t, _ in combo], "value": float(value)},
            )
    return None


def _combinations(items: Sequence[Any], size: int) -> Iterator[tuple[Any, ...]]:
    import itertools

    return itertools.combinations(items, size)


# ---------------------------------------------------------------- shapes, bounds


def _shape(case: Any) -> Diagnosis | None:
    ce = case.counterexample
    if ce is None:
        return None
    printed, computed = tuple(ce.closed_form), tuple(ce.reference)
    p, q = len(printed), len(computed)
    if p > q and printed[:q] == computed:
        extra = printed[q:]
        return Diagnosis(
            "shape",
            f"the printed shape {_tuple(printed)} has {_axes(extra)} more than the "
            f"computed {_tuple(computed)}: it is the shape of something with "
            f"{_listed(extra)} entries per item",
            {"extra_axes": list(extra)},
        )
    if q > p and computed[:p] == printed:
        return Diagnosis(
            "shape",
            f"the printed shape {_tuple(printed)} lacks the last {_axes(computed[p:])}"
            f" of the computed {_tuple(computed)}",
            {"missing_axes": list(computed[p:])},
        )
    if p == q:
        differ = [i for i in range(p) if printed[i] != computed[i]]
        if len(differ) == 1:
            (i,) = differ
            a, b = printed[i], computed[i]
            if abs(a - b) == 1:
                how, relation = "off by one", "off-by-one"
            elif b and a == 10 * b:
                how, relation = "10 times too large: a digit too many", "10x"
            elif a and b == 10 * a:
                how, relation = "10 times too small: a digit too few", "1/10x"
            else:
                how, relation = f"{a} in place of {b}", "other"
            return Diagnosis(
                "shape",
                f"axis {i} of the printed shape {_tuple(printed)} is {how} "
                f"(computed {_tuple(computed)})",
                {"axis": i, "printed": a, "computed": b, "relation": relation},
            )
    return None


def _tuple(shape: Sequence[int]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _axes(extra: Sequence[int]) -> str:
    lengths = " × ".join(map(str, extra))
    return f"an axis of length {lengths}" if len(extra) == 1 else f"axes {lengths}"


def _listed(extra: Sequence[int]) -> str:
    return " × ".join(map(str, extra))


def _bound(case: Any) -> Diagnosis | None:
    ce = case.counterexample
    if ce is None:
        return None
    printed = float(ce.closed_form)
    low, high = ce.reference
    if low is not None and printed < low:
        side, edge, what = "below", float(low), "lower"
    elif high is not None and printed > high:
        side, edge, what = "above", float(high), "upper"
    else:
        return None
    ratio = printed / edge if edge else math.inf
    return Diagnosis(
        "bound",
        f"the printed {printed:g} is {side} the {what} bound {edge:.6g} the other "
        f"printed values imply, by {abs(printed - edge):.6g} ({ratio:.3g} × it)",
        {"side": side, "bound": edge, "printed": printed},
    )


# ---------------------------------------------------------------- sampled claims


def _points(c: Any, case: Any, seed: int) -> tuple[list, list, list] | None:
    """The case's inputs, strata and both sides (with bounds), as its check drew
    and evaluated them (same seed and chunks)."""
    from checks._src.evaluate.claim_sampled import _runner, chunks

    n, dims = case.samples, dict(case.dims)
    chunk = min(n, case_plan.MAX_CHUNK)
    device = jax.devices(case.device)[0]
    program = _runner(c, dims, n, chunk, device)
    parts = [
        jax.tree.map(np.asarray, out) for _, out in chunks(program, n, chunk, seed)
    ]
    xs = [np.concatenate([p[0][i] for p in parts]) for i in range(len(parts[0][0]))]
    strata = [np.concatenate([p[1][i] for p in parts]) for i in range(len(xs))]
    sides = [
        [np.concatenate([p[2][s][k] for p in parts]) for k in (0, 1)] for s in (0, 1)
    ]
    return xs, strata, sides


def _sampled(c: Any, failing: Sequence[Any], seed: int) -> Diagnosis | None:
    cases = []
    for case in failing:
        xs, strata, ((a, ea), (b, eb)) = _points(c, case, seed)
        n = len(a)
        a, b, ea, eb = (v.reshape(n, -1) for v in (a, b, ea, eb))
        finite = np.all(np.isfinite(a) & np.isfinite(b), axis=1)
        tol = compare.claim_tolerance(ea, eb, c.atol)
        cases.append((xs, strata, a[finite], b[finite], tol[finite], finite))
    if c.form == "identity":
        found = _identity(cases)
    else:
        found = _reversed(cases)
    return found or _claim_region(c, cases)


def _identity(cases: Sequence[Any]) -> Diagnosis | None:
    with np.errstate(all="ignore"):
        if not any(np.any(np.abs(b) > tol) for _, _, _, b, tol, _ in cases):
            return Diagnosis(
                "zero",
                "the right side is 0 at every point and the left side is not: the "
                "sides differ by the whole left side",
                {"zero": "right"},
            )
        if not any(np.any(np.abs(a) > tol) for _, _, a, _, tol, _ in cases):
            return Diagnosis(
                "zero",
                "the left side is 0 at every point and the right side is not: the "
                "sides differ by the whole right side",
                {"zero": "left"},
            )
        for name, k in _NAMED:
            if all(
                np.all(np.abs(a - k * b) <= tol + 4 * U * np.abs(k * b))
                for _, _, a, b, tol, _ in cases
            ):
                why = _WHY.get(name, f"a factor {name} too many or too few")
                return Diagnosis(
                    "factor",
                    f"the left side is {name} × the right side at every point: {why}",
                    {"factor": k, "name": name},
                )
        diffs = np.concatenate([(a - b).ravel() for _, _, a, b, _, _ in cases])
        if diffs.size:
            d0 = float(np.median(diffs))
            if all(
                np.all(np.abs(a - b - d0) <= tol + 4 * U * (np.abs(a) + np.abs(b)))
                for _, _, a, b, tol, _ in cases
            ):
                return Diagnosis(
                    "difference",
                    f"the sides differ by the same {d0:.6g} at every point: a "
                    "constant term is missing or extra",
                    {"difference": d0},
                )
    return None


def _reversed(cases: Sequence[Any]) -> Diagnosis | None:
    equal = total = 0
    for _, _, a, b, tol, _ in cases:
        if np.any(b - a > tol):
            return None
        equal += int(np.sum(np.all(np.abs(a - b) <= tol, axis=1)))
        total += len(a)
    note = f" (equal at {equal} of {total} points)" if equal else ""
    return Diagnosis(
        "reversed",
        "the inequality holds the other way round: the larger side is at most "
        f"the smaller one at every point{note}",
        {"equal": equal, "points": total},
    )


def _claim_region(c: Any, cases: Sequence[Any]) -> Diagnosis | None:
    """Right at the points of some strata of one input, or on one side of a
    threshold of one of its features, and wrong at the others."""
    wrong_parts, vanish_parts = [], []
    for _, _, a, b, tol, _ in cases:
        excess = (a - b) if c.form == "inequality" else np.abs(a - b)
        wrong_parts.append(np.any(excess > tol, axis=1))
        vanish_parts.append(np.all((np.abs(a) <= tol) & (np.abs(b) <= tol), axis=1))
    # Points where both sides vanish bear the claim out trivially: left out.
    kept = ~np.concatenate(vanish_parts)
    wrong = np.concatenate(wrong_parts)[kept]
    if wrong.sum() < 2 or (~wrong).sum() < 2:
        return None
    vanished = int((~kept).sum())
    note = f" (leaving out {vanished} points where both sides are 0)" * (vanished > 0)
    for index, name in enumerate(c.inputs):
        labels = c.inputs[name].strata
        strata = np.concatenate([s[index][f] for _, s, _, _, _, f in cases])[kept]
        bad = {labels[int(s)] for s in strata[wrong]}
        good = {labels[int(s)] for s in strata[~wrong]}
        if not bad & good and labels[0] in good:
            return Diagnosis(
                "region",
                f"the claim holds where {name} is sampled from "
                f"{_strata(sorted(good))} and fails on {_strata(sorted(bad))}{note}",
                {"input": name, "wrong_strata": sorted(bad)},
            )
        inputs = [xs[index][f] for xs, _, _, _, _, f in cases]
        split = threshold(name, inputs, wrong, kept)
        if split is not None:
            where = f"{split['feature']} {split['op']} {split['at']:g}"
            return Diagnosis(
                "region",
                f"the claim holds except where {where}{note}",
                {"input": name, "threshold": split},
            )
    return None
