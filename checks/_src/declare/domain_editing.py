"""How a counterexample's value is moved and simplified inside its domain
(``checks._src.search.shrink``), and whether a stored result may key a domain by its
parameters (``checks._src.store.store``): the ``Editing`` protocol of ``checks.domain``,
and the editings of the built-in real domains, in NumPy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Editing:
    """How a counterexample's value in a domain is moved and made simpler
    (``checks._src.search.shrink``): the domain's own knowledge, in NumPy, on one batch.

    Attributes:
      admits: ``admits(ys) -> (batch,) bool``: which values of a batch
        ``(batch, *shape)`` lie in the domain.
      project: ``project(ys)``: a randomly moved batch brought back towards the
        domain (unchanged for reals, ``abs`` for positive values, also
        renormalized on the simplex).
      simple: the simplest values for one entry, simplest first; each entry's
        value rounded to 1, 2, 3 and 6 significant digits is tried after them.
      whole: ``whole(x) -> [candidates]``: where a value is only simplified as
        a whole (a probability vector), its simpler candidates, simplest first;
        None: entry by entry, from ``simple``.

    Examples:
      >>> import numpy as np
      >>> from checks import domain
      >>> edit = domain.unit_interval().editing
      >>> edit.admits(np.array([0.5, 1.0])).tolist(), edit.simple[0]
      ([True, False], 0.5)
    """

    admits: Callable[[np.ndarray], np.ndarray]
    project: Callable[[np.ndarray], np.ndarray]
    simple: tuple[float, ...] = (0.0, 1.0, -1.0, 0.5, 2.0, -2.0, 10.0, -10.0)
    whole: Callable[[np.ndarray], list[np.ndarray]] | None = None


def _unchanged(ys: np.ndarray) -> np.ndarray:
    return ys


def _finite_each(ys: np.ndarray) -> np.ndarray:
    return np.all(np.isfinite(ys), axis=tuple(range(1, ys.ndim)))


def _positive_each(ys: np.ndarray) -> np.ndarray:
    return _finite_each(ys) & np.all(ys > 0, axis=tuple(range(1, ys.ndim)))


def _in_unit_interval_each(ys: np.ndarray) -> np.ndarray:
    inside = np.all((ys > 0) & (ys < 1), axis=tuple(range(1, ys.ndim)))
    return _finite_each(ys) & inside


def _on_simplex_each(ys: np.ndarray) -> np.ndarray:
    sums_to_one = np.all(
        np.abs(ys.sum(-1) - 1) < 1e-12, axis=tuple(range(1, ys.ndim - 1))
    )
    return _positive_each(ys) & sums_to_one


def _onto_simplex(ys: np.ndarray) -> np.ndarray:
    ys = np.abs(ys)
    return ys / ys.sum(-1, keepdims=True)


def round_to(v: float, digits: int) -> float:
    """``v`` rounded to ``digits`` significant decimal digits (0 and non-finite
    values unchanged).

    Examples:
      >>> from checks._src.declare.domain_editing import round_to
      >>> round_to(0.123456, 2)
      0.12
    """
    return float(f"{v:.{digits}g}") if v != 0 and np.isfinite(v) else v


def _simplex_candidates(x: np.ndarray) -> list[np.ndarray]:
    """Whole-simplex simplifications: the centre, then rounded and renormalized
    (the largest entry takes up what the rounded others leave of 1)."""
    out = [np.full_like(x, 1.0 / x.shape[-1])]
    for k in (1, 2, 3, 6):
        y = np.vectorize(lambda v, k=k: round_to(float(v), k))(x)
        top = np.argmax(y, axis=-1)
        rest = y.sum(-1) - np.take_along_axis(y, top[..., None], -1)[..., 0]
        np.put_along_axis(y, top[..., None], (1.0 - rest)[..., None], -1)
        out.append(y)
    return out


_REAL_EDITING = Editing(_finite_each, _unchanged)
_POSITIVE_EDITING = Editing(_positive_each, np.abs)
_UNIT_EDITING = Editing(
    _in_unit_interval_each, _unchanged, simple=(0.5, 0.25, 0.75, 0.1, 0.9, 0.01, 0.99)
)
_SIMPLEX_EDITING = Editing(_on_simplex_each, _onto_simplex, whole=_simplex_candidates)
