"""From a failing sample to the simplest failing input.

Given the worst sampled input of a failing float64 case (already at the smallest failing
sizes), three steps, each evaluating batches of candidate points with one function
(``checks._src.evaluate.case_program.point_evaluator``: NumPy on the CPU, else
compiled):

1. search: random steps around the point, inside the domain, keeping any that
   raise error / tolerance (a failure confined to a small region gets worse, and
   so clearer, than the sample that found it);
2. shrink: replace each entry, one at a time, by the simplest value that still
   fails — 0, 1, −1, 1/2, 2, then the entry rounded to 1, 2, 3 or 6 significant
   digits — within its domain (a simplex is rounded as a whole and renormalized);
   labels, integers and constants are left as they are;
3. at the result, compare one-sided finite differences of ``of``: when they
   disagree, the point is not differentiable, and autodiff's value there is a
   convention, not a derivative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from checks._src.declare.declare import Derivation
from checks._src.declare.domain import Domain
from checks._src.declare.domain_editing import round_to
from checks._src.evaluate import interpret, on_host
from checks._src.evaluate.case_program import point_evaluator
from checks._src.evaluate.lapack import with_inline_lapack
from checks._src.judge import compare

__all__ = ["Shrunk", "shrink"]

BATCH = 64
SEARCH_ROUNDS = 12


@dataclass
class Shrunk:
    """The simplest failing input found, and what both sides give there."""

    inputs: dict[str, np.ndarray]
    closed_form: np.ndarray
    reference: np.ndarray
    element: list[int]
    ratio: float
    tolerance: float
    non_differentiable: str  # "" or a sentence saying why the point is a kink


def _editable(dom: Domain) -> bool:
    return dom.editing is not None


def _valid(dom: Domain, x: np.ndarray) -> bool:
    return bool(dom.editing.admits(x[None])[0])


def _simpler_values(dom: Domain, v: float) -> list[float]:
    """Candidate replacements for one entry, simplest first: the domain's simple
    values, then ``v`` rounded to 1, 2, 3 and 6 significant digits."""
    rounded = [round_to(v, k) for k in (1, 2, 3, 6)]
    out: list[float] = []
    for c in list(dom.editing.simple) + rounded:
        if c not in out and c != v:
            out.append(c)
    return out


class _Evaluator:
    """Evaluates error / tolerance at batches of points (padded to BATCH)."""

    def __init__(self, d: Derivation, dims: dict[str, int]):
        self.d = d
        self.params = list(d.inputs)
        self.fn = point_evaluator(d, dims)

    def __call__(self, points: list[dict[str, np.ndarray]]):
        n = len(points)
        padded = points + [points[-1]] * (-n % BATCH)
        out = {"c": [], "ec": [], "r": [], "er": []}
        for start in range(0, len(padded), BATCH):
            chunk = padded[start : start + BATCH]
            xs = [np.stack([p[name] for p in chunk]) for name in self.params]
            c, ec, r, er = jax.device_get(self.fn(*xs))
            for k, v in zip(("c", "ec", "r", "er"), (c, ec, r, er)):
                out[k].append(v)
        c, ec, r, er = (np.concatenate(out[k])[:n] for k in ("c", "ec", "r", "er"))
        cmp = compare.compare(c, ec, r, er, "float64")
        ratio = np.where(cmp.checked, cmp.ratio, -np.inf)
        return ratio, cmp, c, r


def _search(ev: _Evaluator, point: dict[str, np.ndarray], ratio: float, seed: int):
    d = ev.d
    rng = np.random.default_rng(seed)
    editable = [p for p in ev.params if _editable(d.inputs[p])]
    if not editable or not np.isfinite(ratio):
        return point, ratio
    sizes = [point[p].size for p in editable]
    for step in range(SEARCH_ROUNDS):
        sigma = 0.3 * 0.6**step
        # Each candidate's draws in turn: for each input, a relative then an
        # absolute perturbation (the order one draw per candidate would give).
        noise = rng.standard_normal((BATCH, 2 * sum(sizes)))
        candidates = [dict(point) for _ in range(BATCH)]
        offset = 0
        for p, size in zip(editable, sizes):
            x = point[p]
            relative = noise[:, offset : offset + size].reshape((BATCH, *x.shape))
            absolute = noise[:, offset + size : offset + 2 * size]
            offset += 2 * size
            y = x * (1 + sigma * relative)
            y = y + sigma * 1e-3 * absolute.reshape((BATCH, *x.shape))
            edit = d.inputs[p].editing
            y = edit.project(y)
            for cand, y_one, ok in zip(candidates, y, edit.admits(y)):
                if ok:
                    cand[p] = y_one
        ratios, *_ = ev(candidates)
        best = int(np.argmax(ratios))
        if ratios[best] > ratio:
            point, ratio = candidates[best], float(ratios[best])
            if not np.isfinite(ratio):
                break
    return point, ratio


def _shrink(ev: _Evaluator, point: dict[str, np.ndarray]):
    d = ev.d
    for p in ev.params:
        dom = d.inputs[p]
        if not _editable(dom):
            continue
        if dom.editing.whole is not None:
            options = [c for c in dom.editing.whole(point[p]) if _valid(dom, c)]
            if options:
                ratios, *_ = ev([{**point, p: c} for c in options])
                failing = np.flatnonzero(compare.outside(ratios))
                if failing.size:
                    point = {**point, p: options[int(failing[0])]}
            continue
        for j in range(point[p].size):
            x = point[p]
            options = []
            for v in _simpler_values(dom, float(x.reshape(-1)[j])):
                y = x.copy().reshape(-1)
                y[j] = v
                y = y.reshape(x.shape)
                if _valid(dom, y):
                    options.append(y)
            if not options:
                continue
            ratios, *_ = ev([{**point, p: y} for y in options])
            failing = np.flatnonzero(compare.outside(ratios))
            if failing.size and d.order == 0:
                failing = _failing_nearby(ev, point, p, options, failing)
            if failing.size:
                point = {**point, p: options[int(failing[0])]}
    return point


def _failing_nearby(
    ev: _Evaluator,
    point: dict[str, np.ndarray],
    p: str,
    options: list[np.ndarray],
    failing: np.ndarray,
) -> np.ndarray:
    """Of the ``failing`` options for ``p``, those that still fail a relative 1e-7
    (absolute 1e-9) away. A VJP, JVP or custom-rule check (order 0,
    ``checks._src.declare.forms``) has no finite-difference test of its point
    (``_kink``): a simple value such as 0 can sit on a kink of how ``of`` is written,
    where autodiff's value is a convention and a right rule "fails" there alone."""
    nudged = []
    for i in failing:
        y = options[int(i)]
        nudged.append({**point, p: y * (1 + 1e-7) + np.where(y >= 0, 1e-9, -1e-9)})
    ratios, *_ = ev(nudged)
    return failing[compare.outside(ratios)]


def _of_at(d: Derivation, args: list[np.ndarray]) -> Any:
    """``of`` at a batch of points: by NumPy (``checks._src.evaluate.on_host``) on the
    CPU where it can, else (or should NumPy raise) compiled, which reports any error."""
    device = jax.config.jax_default_device or jax.devices()[0]
    host = _of_on_host(d, args) if on_host.choose(device).engine == "numpy" else None

    def compiled() -> Any:
        of = jax.jit(with_inline_lapack(jax.vmap(d.of)))
        return lambda *xs: of(*[jnp.asarray(x) for x in xs])

    return on_host.fallback(host, compiled)(*args)


def _of_on_host(d: Derivation, args: list[np.ndarray]) -> Any:
    """``of`` over a batch evaluated by NumPy, or None when its jaxpr cannot be."""
    avals = tuple(jax.ShapeDtypeStruct(a.shape[1:], a.dtype) for a in args)
    try:
        closed = on_host.traced(d.of, avals)
        if not interpret.supported(closed):
            return None
    except Exception:  # compiled instead, which reports any error
        return None
    return lambda *xs: interpret.evaluate(closed, list(xs))[0][0]


def _kink(d: Derivation, point: dict[str, np.ndarray], element: list[int]) -> str:
    """One-sided finite differences of ``of`` at the worst element's coordinate."""
    if d.order != 1:
        return ""
    x = np.asarray(point[d.wrt], np.float64)
    out_ndim = len(element) - x.ndim
    out_index, wrt_index = tuple(element[:out_ndim]), tuple(element[out_ndim:])
    h = 1e-7 * max(1.0, abs(float(x[wrt_index])))
    steps = []
    for delta in (0.0, h, -h):
        y = x.copy()
        y[wrt_index] += delta
        steps.append(y)
    args = [
        np.stack(steps) if i == d.wrt_index else np.stack([point[p]] * len(steps))
        for i, p in enumerate(d.inputs)
    ]
    values = np.asarray(_of_at(d, args), np.float64)
    f0, fp, fm = (float(v[out_index]) for v in values)
    forward, backward = (fp - f0) / h, (f0 - fm) / h
    if not (np.isfinite(forward) and np.isfinite(backward)):
        return ""
    noise = 1e3 * np.finfo(np.float64).eps * max(abs(f0), 1e-300) / h
    gap = abs(forward - backward)
    if gap > max(1e-3 * max(abs(forward), abs(backward)), noise):
        return (
            "non-differentiable point: the one-sided derivatives of of= there "
            f"differ ({backward:.6g} from the left, {forward:.6g} from the right), "
            "so autodiff's value is a convention, not a derivative"
        )
    return ""


def shrink(
    d: Derivation, dims: dict[str, int], inputs: dict[str, Any], seed: int = 0
) -> Shrunk | None:
    """The simplest failing input near ``inputs`` (float64), or None if it passes."""
    point = {
        p: np.asarray(inputs[p], np.float64 if d.inputs[p].floating else np.int32)
        for p in d.inputs
    }
    ev = _Evaluator(d, dims)
    ratios, *_ = ev([point])
    ratio = float(ratios[0])
    if not compare.outside(ratio):
        return None
    point, ratio = _search(ev, point, ratio, seed)
    point = _shrink(ev, point)
    ratios, cmp, c, r = ev([point])
    flat = int(cmp.worst_element[0])
    shape = np.shape(r[0])
    element = [int(e) for e in np.unravel_index(flat, shape)] if shape else []
    return Shrunk(
        inputs=point,
        closed_form=c[0],
        reference=r[0],
        element=element,
        ratio=float(ratios[0]),
        tolerance=float(cmp.tolerance[0]),
        non_differentiable=_kink(d, point, element),
    )
