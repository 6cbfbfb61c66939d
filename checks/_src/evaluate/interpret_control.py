"""Control flow and calls of ``checks._src.evaluate.interpret``.

Each point may take another branch or loop another number of times: a branch
is evaluated at every point and each point keeps the one it takes; a loop runs
until no point continues, and a point that has stopped keeps its carry. Bounds
follow as in ``checks._src.evaluate.rounding``: the bound of the branch taken, carried
through the loop's carry. A call (``pjit``, ``custom_jvp_call``, …) is its
inner jaxpr; ``custom_linear_solve`` is its ``solve`` jaxpr. The rules here
take the evaluator of a jaxpr (``checks._src.evaluate.interpret``'s) as ``run``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from jax.extend import core
from numpy.typing import ArrayLike

from checks._src.evaluate.interpret_batch import Pair, Unsupported, full_batch, n_points

__all__ = [
    "CALLS",
    "CONTROL",
    "VALUES",
    "Evaluate",
    "closed_jaxpr",
    "control_jaxprs",
    "sub_jaxpr",
]

# ``run(jaxpr, consts, pairs, bounds)``: the outputs of a jaxpr.
Evaluate = Callable[[core.Jaxpr, Sequence[ArrayLike], Sequence[Pair], bool], list[Pair]]
# ``rule(eqn, pairs, bounds, run)``: the outputs of a control-flow equation.
Control = Callable[[core.JaxprEqn, Sequence[Pair], bool, Evaluate], list[Pair]]


CALLS = (
    "pjit",
    "jit",
    "closed_call",
    "core_call",
    "custom_jvp_call",
    "custom_vjp_call",
    "remat2",  # jax.checkpoint: its body, evaluated once
    "checkpoint",
)


def sub_jaxpr(eqn: core.JaxprEqn) -> core.Jaxpr | core.ClosedJaxpr | None:
    """The jaxpr a call equation runs, if it has one."""
    for key in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
        if key in eqn.params:
            return eqn.params[key]
    return None


def closed_jaxpr(
    sub: core.Jaxpr | core.ClosedJaxpr,
) -> tuple[core.Jaxpr, Sequence[ArrayLike]]:
    """A jaxpr and its constants, whether or not it is closed."""
    if hasattr(sub, "jaxpr"):
        return sub.jaxpr, sub.consts
    return sub, ()


def control_jaxprs(params: dict[str, Any]) -> list[core.ClosedJaxpr]:
    """The jaxprs a control-flow equation runs (for ``supported``)."""
    found = [params[k] for k in ("jaxpr", "cond_jaxpr", "body_jaxpr") if k in params]
    if "jaxprs" in params:  # custom_linear_solve: only its solve runs
        found.append(params["jaxprs"].solve)
    return found + list(params.get("branches", ()))


def _select_pairs(which: np.ndarray, options: Sequence[Sequence[Pair]]) -> list[Pair]:
    """Per point, the outputs of option ``which[p]`` (values and bounds)."""
    out = []
    for k in range(len(options[0])):
        values = [o[k][0] for o in options]
        errors = [o[k][1] for o in options]
        b = n_points([which, *values])
        shape = np.broadcast_shapes(*(v.shape[1:] for v in values))
        sel = full_batch(which.reshape(-1), b).reshape((b, *(1,) * len(shape)))
        full = [np.broadcast_to(v, (b, *shape)) for v in values]
        value = np.choose(sel, full) if len(full) > 1 else full[0]
        error = None
        if any(e is not None for e in errors):
            full_e = [
                np.zeros((b, *shape)) if e is None else np.broadcast_to(e, (b, *shape))
                for e in errors
            ]
            error = np.choose(sel, full_e) if len(full_e) > 1 else full_e[0]
        out.append((value, error))
    return out


def _cond(
    eqn: core.JaxprEqn, pairs: Sequence[Pair], bounds: bool, run: Evaluate
) -> list[Pair]:
    """``lax.cond``/``lax.switch``: every branch, each point keeping its own
    (the index clamped into range, as ``lax.switch`` does)."""
    (index, _), operands = pairs[0], list(pairs[1:])
    branches = eqn.params["branches"]
    outs = [run(b.jaxpr, b.consts, operands, bounds) for b in branches]
    which = np.clip(index.astype(np.int64), 0, len(branches) - 1)
    return _select_pairs(which, outs)


def _while(
    eqn: core.JaxprEqn, pairs: Sequence[Pair], bounds: bool, run: Evaluate
) -> list[Pair]:
    """``lax.while_loop`` (``fori_loop`` with a traced trip count): the body
    applied while any point's condition holds, to the points where it does. A
    condition of shape (B, …) (``jax.vmap`` of a while loop) is a condition per
    batch element, and each carry's leading axes are those B, …: an element
    keeps its carry once its own condition fails, as XLA's lowering selects."""
    p = eqn.params
    cond, body = p["cond_jaxpr"], p["body_jaxpr"]
    cn, bn = p["cond_nconsts"], p["body_nconsts"]
    cconsts, bconsts = list(pairs[:cn]), list(pairs[cn : cn + bn])
    carry = list(pairs[cn + bn :])
    batched = bool(cond.jaxpr.outvars[0].aval.shape)
    while True:
        ((go, _),) = run(cond.jaxpr, cond.consts, [*cconsts, *carry], False)
        go = go.astype(bool) if batched else go.reshape(-1).astype(bool)
        if not go.any():
            return carry
        new = run(body.jaxpr, body.consts, [*bconsts, *carry], bounds)
        if go.all():
            carry = list(new)
        elif batched:
            carry = [_keep_where(go, n, c) for n, c in zip(new, carry)]
        else:
            carry = _select_pairs(go.astype(np.int64), [carry, new])


def _keep_where(go: np.ndarray, new: Pair, old: Pair) -> Pair:
    """``new`` where ``go`` (its leading axes: points, then the condition's
    batch axes) holds, else ``old``; values and bounds."""
    (v_new, e_new), (v_old, e_old) = new, old
    g = go.reshape(go.shape + (1,) * (np.ndim(v_new) - go.ndim))
    value = np.where(g, v_new, v_old).astype(np.asarray(v_new).dtype)
    if e_new is None and e_old is None:
        return value, None
    zeros = np.zeros(value.shape)
    e_new = zeros if e_new is None else e_new
    e_old = zeros if e_old is None else e_old
    return value, np.where(g, e_new, e_old)


def _scan(
    eqn: core.JaxprEqn, pairs: Sequence[Pair], bounds: bool, run: Evaluate
) -> list[Pair]:
    """``lax.scan`` (``fori_loop`` with a fixed trip count): the body once per
    step, the scanned inputs and outputs along the first axis of a point."""
    p = eqn.params
    body, n = p["jaxpr"], int(p["length"])
    nc, nk = p["num_consts"], p["num_carry"]
    consts, carry, xs = list(pairs[:nc]), list(pairs[nc : nc + nk]), pairs[nc + nk :]
    steps = range(n - 1, -1, -1) if p["reverse"] else range(n)
    ys: list[list[Pair]] = []
    for i in steps:
        x_i = [(v[:, i], None if e is None else e[:, i]) for v, e in xs]
        out = run(body.jaxpr, body.consts, [*consts, *carry, *x_i], bounds)
        carry, y = list(out[:nk]), out[nk:]
        ys.append(y)
    if p["reverse"]:
        ys.reverse()
    stacked = []
    for k, var in enumerate(eqn.outvars[nk:]):
        if not ys:
            stacked.append((np.zeros((1, *var.aval.shape), var.aval.dtype), None))
            continue
        stacked.append(_stack_steps([y[k] for y in ys]))
    return [*carry, *stacked]


def _stack_steps(steps: Sequence[Pair]) -> Pair:
    """One scanned output of every step, stacked along the first axis of a
    point (an exact step's bound as zeros, if another step has one)."""
    values = [v for v, _ in steps]
    errors = [e for _, e in steps]
    b = n_points(values)
    value = np.stack([full_batch(v, b) for v in values], axis=1)
    error = None
    if any(e is not None for e in errors):
        eb = max(b, n_points([e for e in errors if e is not None]))
        value = full_batch(value, eb)
        error = np.stack(
            [
                np.zeros(value[:, 0].shape) if e is None else full_batch(e, eb)
                for e in errors
            ],
            axis=1,
        )
    return value, error


def _linear_solve(
    eqn: core.JaxprEqn, pairs: Sequence[Pair], bounds: bool, run: Evaluate
) -> list[Pair]:
    """``lax.custom_linear_solve`` (``jnp.linalg.solve``, ``inv``): its ``solve`` jaxpr,
    which is what runs, with its bounds (the factors it closes over carry the matrix's
    errors), as ``checks._src.evaluate.rounding`` evaluates it."""
    p = eqn.params
    lengths = p["const_lengths"]
    start = lengths.matvec + lengths.vecmat
    solve = p["jaxprs"].solve
    consts = list(pairs[start : start + lengths.solve])
    b = list(pairs[sum(lengths) :])
    return run(solve.jaxpr, solve.consts, [*consts, *b], bounds)


def _platform_index(params: dict[str, Any]) -> np.ndarray:
    """The branch ``lax.platform_dependent`` takes on the CPU: the one naming
    "cpu", else the default one (None)."""
    platforms = list(params["platforms"])
    for i, names in enumerate(platforms):
        if names is not None and "cpu" in names:
            return np.asarray([i], np.int32)
    if None in platforms:
        return np.asarray([platforms.index(None)], np.int32)
    raise Unsupported("platform_index without a CPU branch")


CONTROL: dict[str, Control] = {
    "cond": _cond,
    "while": _while,
    "scan": _scan,
    "custom_linear_solve": _linear_solve,
}

# A primitive of control flow that evaluates to a value like any other.
VALUES = {"platform_index": _platform_index}
