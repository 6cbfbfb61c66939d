"""Judging one chunk of a case: the verdict rule (``checks._src.judge.compare``) applied
to every point of one dtype, and the points a summary may quote picked out.

The same code runs on the host (``xp = numpy``) and inside the compiled check
(``xp = jax.numpy``), so where a chunk is judged does not change its verdict.
"""

from __future__ import annotations

import types

import jax
from jax.typing import ArrayLike

from checks._src.declare.sampling import Array
from checks._src.judge import compare
from checks._src.judge.compare import Comparison

# One dtype's values at a chunk's points: "xs" and "strata" (an array per input),
# "c", "ec", "r", "er" (the closed form and the float64 reference, each with its
# bound) and "same_dtype" (autodiff in the dtype; None in float64).
Values = dict[str, Array | list[Array] | None]
# What ``judge`` returns: "cmp" (the ``Comparison``), "index" (the picked points)
# and "points" (their ``Values``).
Judged = dict[str, Comparison | Array | Values]


def judge(o: Values, dtype: str, count: ArrayLike, xp: types.ModuleType) -> Judged:
    """Compare one dtype's values (``checks._src.judge.compare``) and pick the points a
    summary may need: the worst for correctness and, below float64, the worst for
    stability, among the first ``count``. Runs on the host (``xp = numpy``) or
    inside the compiled check (``xp = jax.numpy``), the same rule either way."""
    cmp = compare.compare(
        o["c"], o["ec"], o["r"], o["er"], dtype, o["same_dtype"], xp=xp
    )
    index = _worst(cmp, count, xp)
    return {"cmp": cmp, "index": index, "points": _kept_points(o, index)}


def _worst(cmp: Comparison, count: ArrayLike, xp: types.ModuleType) -> Array:
    """The index of the worst point for correctness and, below float64, for
    stability, among the first ``count``."""
    valid = xp.arange(cmp.ratio.shape[0]) < count
    picks = [xp.argmax(xp.where(cmp.checked & valid, cmp.ratio, -1.0))]
    if cmp.stability_checked is not None:
        considered = cmp.stability_checked & valid
        picks.append(xp.argmax(xp.where(considered, cmp.stability_ratio, -1.0)))
    return xp.stack(picks)


def _kept_points(o: Values, index: Array) -> Values:
    """The inputs and values a summary may quote, at the picked points only."""
    kept = {key: o[key] for key in ("xs", "strata", "c", "r", "same_dtype")}
    return jax.tree.map(lambda x: x[index], kept)
