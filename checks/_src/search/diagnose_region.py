"""The ``region`` diagnosis: the closed form is right at some of the points and
wrong at the others, and one input tells them apart.

The closed form agrees with the reference (per point, as the verdict judges it)
at the points drawn from some strata of one input and not at the others, or one
feature of one input (its value, its largest or smallest magnitude, the number
of entries of an integer array that repeat an earlier one) splits the right
points from the wrong ones at a threshold ``t``: "right except where
max|x| > 4", ``t`` the number with the fewest significant digits between the
two sides. And it is right at some points of that input's bulk (a formula right
only where every entry is equal is not right in a region). Each side needs
``MIN_SIDE`` points. The threshold (``threshold``) is also the one a failing
claim is diagnosed by (``checks._src.search.diagnose_claims``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from checks._src.declare.declare import Derivation
from checks._src.search.diagnose_points import Diagnosis, _Batch

__all__ = ["region", "threshold"]

# A region needs this many right and wrong points to be told apart.
MIN_SIDE = 2


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


def region(d: Derivation, batches: Sequence[_Batch]) -> Diagnosis | None:
    wrong = np.concatenate([b.wrong[b.checked] for b in batches])
    if wrong.sum() < MIN_SIDE or (~wrong).sum() < MIN_SIDE:
        return None
    names = list(d.inputs)
    for index, name in enumerate(names):
        labels = d.inputs[name].strata
        strata = np.concatenate([b.strata[index][b.checked] for b in batches])
        bad = {labels[int(s)] for s in strata[wrong]}
        good = {labels[int(s)] for s in strata[~wrong]}
        split = None
        if d.inputs[name].floating:
            xs = [b.xs[index][b.checked] for b in batches]
            split = threshold(name, xs, wrong)
        if (bad & good and split is None) or labels[0] not in good:
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
        if split is not None:
            details["threshold"] = split
            parts.insert(0, f"where {split['feature']} {split['op']} {split['at']:g}")
        return Diagnosis(
            "region", "the closed form is right except " + "; ".join(parts), details
        )
    return None


def _listed(items: Sequence[str]) -> str:
    return " and ".join(f"the {s}" for s in items) + " points"


def threshold(
    name: str,
    xs: Sequence[np.ndarray],
    wrong: np.ndarray,
    kept: np.ndarray | None = None,
) -> dict[str, Any] | None:
    """The first feature of input ``name`` (``_features``) that splits the wrong
    points from the right ones at a threshold ``t``: every right point below it
    and every wrong one above (``op`` ">": wrong where the feature > t), or the
    other way round (``op`` "<"); ``t`` the simplest number between the two
    sides (``_simplest_between``). ``xs``: the input at each group of points
    (a batch, a case); ``wrong``: per point of the groups in order, of those in
    ``kept`` only (all by default). A feature not given at every group (an input
    whose number of entries changes with the sizes) or not finite at every point
    is passed over."""
    per_group = [dict(_features(name, x)) for x in xs]
    for feature in per_group[0]:
        if any(feature not in f for f in per_group):
            continue
        values = np.concatenate([f[feature] for f in per_group])
        if kept is not None:
            values = values[kept]
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
