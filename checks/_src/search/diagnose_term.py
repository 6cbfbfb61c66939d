"""The ``term`` diagnosis: one term of a sum in the closed form is extra, has the
wrong sign, or is needed twice.

For each term ``T`` of a sum or difference in the closed form
(``checks._src.search.mutate.without_terms``: ``T = C − C'``, ``C'`` the closed form
without it, evaluated at the diagnosis points), ``C − R = k·T`` is tried for ``k = 1``
(the term is extra), ``k = 2`` (its sign is flipped) and ``k = −1`` (it is needed
twice); that is ``R = (1 − k)·C + k·C'``, held to the verdict's tolerance with that
combination's bound ``|1 − k|·e_C + |k|·e_C' + 2u·|(1 − k)·C + k·C'|`` at every element
of every compared point (``checks._src.search.diagnose_points``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from checks._src.declare.declare import Derivation
from checks._src.evaluate.case_program import point_evaluator
from checks._src.judge import compare
from checks._src.search.diagnose_points import Diagnosis, U, _Batch, _evaluate, variant
from checks._src.search.mutate import without_terms

__all__ = ["term"]

# C − R = k·T for a term T of the closed form: k = 1, the term is extra; k = 2,
# its sign is flipped; k = −1, it is needed twice.
_TERM_MESSAGES = {
    1.0: "the term {t} is extra: without it the closed form is the reference",
    2.0: "the term {t} has the wrong sign: with it negated the closed form is the "
    "reference",
    -1.0: "the term {t} is counted once where the reference counts it twice",
}


def term(d: Derivation, batches: Sequence[_Batch]) -> Diagnosis | None:
    """``C − R = k·T`` for a term ``T`` of a sum in the closed form (``T = C − C'``
    with ``C'`` the closed form without it, evaluated at the same points), so
    ``R = (1 − k)·C + k·C'``, held to the verdict's tolerance with that
    combination's bound."""
    for text, fn in without_terms(d):
        edited = variant(d, "without a term", closed_form=fn)
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
