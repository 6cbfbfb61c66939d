"""The points a failing derivation is diagnosed at, and what a diagnosis states.

At each failing float64 case's sizes, a modest batch of points is drawn from the
declared domains, from the run's seed (NumPy's sampler where a domain has one), and both
sides are evaluated with their rounding-error bounds by the point evaluator the
counterexample search uses (``checks._src.evaluate.case_program.point_evaluator``): a
``_Batch``. A transformed reference ``T(R)`` with its bound ``e_T`` *holds* (``_holds``)
when the closed form ``C`` is within the verdict's own tolerance
(``checks._src.judge.compare.tolerance``) of it at every element of every compared
point: ``|C − T| ≤ tolerance(e_C, e_T)``. A derivative too large for a batch is
diagnosed on fewer points (``MAX_VALUES`` values per array), or not at all.

Every kind of diagnosis (``checks._src.search.diagnose``,
``checks._src.search.diagnose_term``, ``checks._src.search.diagnose_region``,
``checks._src.search.diagnose_neighbour``, ``checks._src.search.diagnose_scaled``)
reports a ``Diagnosis`` and reads these batches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jax.numpy as jnp
import numpy as np

from checks._src.declare import sampling
from checks._src.declare.declare import Derivation, make_derivation
from checks._src.evaluate import on_host
from checks._src.evaluate.case_program import point_evaluator
from checks._src.evaluate.case_static import example_args
from checks._src.evaluate.reference import expected_shape
from checks._src.judge import compare
from checks._src.search.shrink import BATCH

__all__ = ["MAX_VALUES", "MIN_POINTS", "Diagnosis", "U", "variant"]

U = float(np.finfo(np.float64).eps) / 2  # float64's rounding unit


@dataclass
class Diagnosis:
    """One statement about a failing closed form that every compared point bears out."""

    kind: str  # factor | layout | structure | term | region
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "details": self.details}


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


def variant(
    d: Derivation,
    what: str,
    *,
    closed_form: Callable[..., Any] | None = None,
    of: Callable[..., Any] | None = None,
    wrt: str | None = None,
) -> Derivation:
    """``d`` with another closed form, ``of`` or ``wrt`` (the same inputs, order
    and sizes), named ``d.name [what]``."""
    return make_derivation(
        closed_form or d.closed_form,
        of=of or d.of,
        wrt=wrt or d.wrt,
        inputs=d.inputs,
        order=d.order,
        dims=d.dims,
        name=f"{d.name} [{what}]",
        source=d.source,
    )
