"""Diagnoses that name a neighbouring function: the closed form is the derivative
of something close to the declared function, or of it at other inputs.

``checks._src.search.diagnose`` tries these after its own kinds (a factor, a layout, a
structure, a term, a region), on the same points and under the same rule: a
statement is reported only when it holds at **every element of every compared
point** within the verdict's tolerance (``checks._src.judge.compare.tolerance``), the
neighbour's reference carrying its own running error bound (it is evaluated by
the same kind of point evaluator as the declared reference, made once per
diagnosis, with a closed form of zeros: only the reference is read). A
neighbour that cannot be made or evaluated at the points (``DoesNotApply``) is
passed over. Writing ``R(x)`` for the reference at inputs ``x`` and ``C`` for
the closed form:

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
- ``scaled``, ``scaled-axis`` (``checks._src.search.diagnose_scaled``): ``C = g·R`` with
  ``g`` one number per point, or per index of one axis, that changes;
- ``part`` (several-wrt forms, ``checks._src.declare.forms``): one part of the result is
  wrong
  and the others are right; it equals another part's reference broadcast (the
  derivative for ``b`` written in place of the one for ``W``), or else the
  wrong part is named.

Sources: the near-miss patterns of hand derivations collected in
``tests/mistakes/neighbour.py``, and the catalog's documented errors.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import jax.numpy as jnp
import numpy as np

from checks._src.declare.declare import Derivation
from checks._src.evaluate.case_program import point_evaluator
from checks._src.judge import compare
from checks._src.search.diagnose_points import (
    Diagnosis,
    _Batch,
    _evaluate,
    _holds,
    variant,
)
from checks._src.search.diagnose_scaled import scaled, scaled_axis

__all__ = ["DoesNotApply", "neighbours"]

# Points a neighbour is first tried at (one evaluator call).
SCREEN = 64
# Inputs whose entries are masked one at a time (``own-entry``) have at most
# this many entries: one evaluation of the reference per entry.
MAX_MASKED = 16


def _zeros_like_output(shape: tuple[int, ...], of: Callable[..., Any]):
    """A closed form of ``of``'s parameters returning zeros of ``shape`` (only a
    neighbour's reference is read)."""

    def zeros(*xs: Any) -> Any:
        return jnp.zeros(shape, jnp.result_type(*[jnp.asarray(x) for x in xs]))

    zeros.__signature__ = inspect.signature(of)  # type: ignore[attr-defined]
    return zeros


class DoesNotApply(Exception):
    """A neighbour's reference cannot be made or evaluated at these points (the
    neighbouring function, or the declared one at substituted inputs, raises
    there): that neighbour does not apply, and the next is tried."""


@dataclass
class _References:
    """The neighbours' references during one diagnosis of ``d``.

    Each neighbour (``d`` with another ``of`` or ``wrt``, or ``d`` itself at other
    inputs) is made once per size, with a closed form of zeros in its derivative's shape
    (only its reference is read, so no closed form is evaluated for it), and so is its
    point evaluator (``checks._src.evaluate.case_program.point_evaluator``): the screen
    and the full pass, every substituted value and every masked entry reuse them."""

    d: Derivation
    _made: dict[Any, tuple[Derivation, Callable[..., Any]]] = field(
        default_factory=dict
    )

    def at(
        self,
        key: tuple[Any, ...],
        b: _Batch,
        xs: Sequence[np.ndarray] | None = None,
        *,
        of: Callable[..., Any] | None = None,
        wrt: str | None = None,
        shape: tuple[int, ...] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The reference of the neighbour ``key`` (``d`` with ``of`` or ``wrt``,
        made on first use; ``shape``: its derivative's shape at ``b``'s sizes,
        ``b``'s by default) and its bound at ``xs`` (``b``'s points by default).
        Raises ``DoesNotApply`` when it cannot be made or evaluated."""
        made = (key, tuple(sorted(b.dims.items())))
        try:
            if made not in self._made:
                shape = b.shape if shape is None else shape
                zeros = _zeros_like_output(shape, self.d.of)
                if of is None and wrt is None:  # ``d`` itself, at other inputs
                    n = replace(self.d, closed_form=zeros, name=f"{self.d.name} [at]")
                else:
                    n = variant(self.d, "neighbour", closed_form=zeros, of=of, wrt=wrt)
                self._made[made] = (n, point_evaluator(n, b.dims, ("reference",)))
            n, evaluate = self._made[made]
            r, er = _evaluate(n, b.dims, b.xs if xs is None else xs, evaluate)
        except Exception as exc:  # the user's function, where it was not declared
            raise DoesNotApply(f"{type(exc).__name__}: {exc}") from exc
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


def _substitution(
    d: Derivation, refs: _References, batches: Sequence[_Batch]
) -> Diagnosis | None:
    names = list(d.inputs)
    # Integer inputs (labels, counts) first: the ones most often dropped.
    order = sorted(range(len(names)), key=lambda i: d.inputs[names[i]].floating)
    for index in order:
        name = names[index]
        if name == d.wrt:
            continue
        for v in (0, 1):
            at = []
            for b in batches:
                xs = list(b.xs)
                xs[index] = np.full_like(xs[index], v)
                at.append(refs.at((), b, xs))
            if not _changes(batches, at):
                continue
            s = _signed(batches, at)
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


def _swapped(
    d: Derivation, refs: _References, batches: Sequence[_Batch]
) -> Diagnosis | None:
    names = list(d.inputs)
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            c = names[j]
            da, dc = d.inputs[a], d.inputs[c]
            if da.floating != dc.floating or any(
                da.resolve(b.dims) != dc.resolve(b.dims) for b in batches
            ):
                continue
            of = _exchanged(d.of, i, j)
            at = [refs.at(("swapped", i, j), b, of=of) for b in batches]
            if not _changes(batches, at):
                continue
            s = _signed(batches, at)
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


def _other_wrt(
    d: Derivation, refs: _References, batches: Sequence[_Batch]
) -> Diagnosis | None:
    if d.order != 1:
        return None
    for name, dom in d.inputs.items():
        if name == d.wrt or not dom.floating:
            continue
        at = []
        for b in batches:
            shape = b.shape[: len(b.shape) - len(d.inputs[d.wrt].resolve(b.dims))]
            shape += dom.resolve(b.dims)
            r, er = refs.at(("wrt", name), b, wrt=name, shape=shape)
            try:
                r, er = _spread(r, b.shape), _spread(er, b.shape)
            except ValueError:
                at = []
                break
            at.append((r, er))
        if not at or not _changes(batches, at):
            continue
        s = _signed(batches, at)
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


def _own_entry(
    d: Derivation, refs: _References, batches: Sequence[_Batch]
) -> Diagnosis | None:
    index = list(d.inputs).index(d.wrt)
    if d.order != 1 or not d.inputs[d.wrt].floating:
        return None
    at = []
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
            rk, erk = refs.at((), b, xs)
            r[:, k] = rk.reshape(len(rk), size)[:, k]
            er[:, k] = erk.reshape(len(erk), size)[:, k]
        at.append((r.reshape(b.r.shape), er.reshape(b.er.shape)))
    if not _changes(batches, at):
        return None
    s = _signed(batches, at)
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


# ---------------------------------------------------------------- part


def _part(d: Derivation, batches: Sequence[_Batch]) -> Diagnosis | None:
    parts = getattr(d, "parts", ())
    if not parts or len(batches) != 1:
        return None
    (b,) = batches
    if not b.checked.any():  # no compared point (a screen's first points, say)
        return None
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
    does. A neighbour whose reference cannot be made or evaluated
    (``DoesNotApply``) is passed over; any other error is raised."""
    refs = _References(d)  # each neighbour made once, for the screen and the rest
    tries: list[Callable[[Sequence[_Batch]], Diagnosis | None]] = [
        lambda bs: _part(d, bs),
        lambda bs: _substitution(d, refs, bs),
        lambda bs: _swapped(d, refs, bs),
        lambda bs: _other_wrt(d, refs, bs),
        lambda bs: _own_entry(d, refs, bs),
        lambda bs: scaled(d, bs),
        scaled_axis,
    ]
    screen = [_head(b, SCREEN) for b in batches]
    for attempt in tries:
        try:
            # Most neighbours are wrong at the first few points: tried there
            # first, then (if they hold there) at every point.
            if attempt(screen) is None:
                continue
            found = attempt(batches)
        except DoesNotApply:
            continue
        if found is not None:
            return found
    return None


def _head(b: _Batch, k: int) -> _Batch:
    """``b``'s first ``k`` points."""
    return _Batch(
        b.dims,
        [x[:k] for x in b.xs],
        [s[:k] for s in b.strata],
        *(v[:k] for v in (b.c, b.ec, b.r, b.er, b.checked, b.wrong)),
    )
