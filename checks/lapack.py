"""LAPACK calls made one at a time inside a compiled program on the CPU.

jaxlib 0.10's CPU kernels for batched linear algebra (``eigh``, ``cholesky``,
``lu``, ``qr``, ``svd``, …) split a batch over XLA's intra-op thread pool
(``jax::ParallelBatchMap``) and then block, on the pool thread they run on,
until the pieces are done. XLA's CPU runtime runs independent operations of a
program concurrently on that same pool. When as many batched LAPACK calls run at
once as the pool has threads (two on a 2-core machine: the float64 reference's
``eigh`` and its rounding bound's, say), every thread waits for pieces that no
thread is left to run, and the program never returns: no error, the CPU idle.
(jaxlib 0.11 builds these kernels without the parallel path.)

``serialized(fn)`` is ``fn`` with a data dependency from each LAPACK call to the
next (``lax.optimization_barrier`` on the previous call's output and the next
call's operands), so at most one runs at a time and a waiting call always
leaves the pool a free thread. Values are unchanged: the same kernels run on
the same operands, in an order XLA would have been free to choose. Calls nested
in ``while``, ``scan`` and ``cond`` bodies are chained inside their body, and
the whole loop or branch is one link of the chain outside it. A program with
no linear algebra, or on another platform than the CPU, is traced as written.

A reproduction in plain JAX is in ``bench/repro_lapack_deadlock.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
from jax import lax
from jax.extend import core

__all__ = ["LAPACK_PRIMITIVES", "calls_lapack", "serialized"]

# jax.lax.linalg's primitives: on the CPU each is a LAPACK kernel (or a few).
LAPACK_PRIMITIVES = frozenset(
    {
        "cholesky",
        "cholesky_update",
        "eig",
        "eigh",
        "geqp3",
        "geqrf",
        "hessenberg",
        "householder_product",
        "lu",
        "lu_pivots_to_permutation",
        "ormqr",
        "qr",
        "schur",
        "svd",
        "symmetric_product",
        "triangular_solve",
        "tridiagonal",
        "tridiagonal_solve",
    }
)


def _sub_jaxprs(params: dict[str, Any]) -> list[Any]:
    """The jaxprs an equation's parameters hold (bodies, branches, callees)."""
    found = []
    for value in params.values():
        for item in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(item, core.ClosedJaxpr):
                found.append(item.jaxpr)
            elif isinstance(item, core.Jaxpr):
                found.append(item)
    return found


def calls_lapack(jaxpr: Any) -> bool:
    """Whether ``jaxpr`` (or any jaxpr nested in it) makes a LAPACK call."""
    return any(
        eqn.primitive.name in LAPACK_PRIMITIVES
        or any(calls_lapack(sub) for sub in _sub_jaxprs(eqn.params))
        for eqn in jaxpr.eqns
    )


# Calls whose body is evaluated in place: the chain runs through them.
_INLINED = {
    "pjit": "jaxpr",
    "jit": "jaxpr",
    "closed_call": "call_jaxpr",
    "core_call": "call_jaxpr",
    "remat": "jaxpr",
    "checkpoint": "jaxpr",
    "custom_jvp_call": "call_jaxpr",
    "custom_vjp_call": "call_jaxpr",
    "custom_vjp_call_jaxpr": "fun_jaxpr",
}


def _closed(sub: Any) -> tuple[Any, Sequence[Any]]:
    if isinstance(sub, core.ClosedJaxpr):
        return sub.jaxpr, sub.consts
    return sub, ()


def _chained_closed(closed: Any) -> Any:
    """A ``ClosedJaxpr`` computing the same with its LAPACK calls chained."""
    jaxpr, consts = _closed(closed)
    if not calls_lapack(jaxpr):
        return closed
    avals = [v.aval for v in jaxpr.invars]
    return jax.make_jaxpr(lambda *xs: _evaluate(jaxpr, consts, xs, None)[0])(*avals)


def _rebuilt_params(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with every body or branch chained inside itself."""
    new = {}
    for key, value in params.items():
        if isinstance(value, core.ClosedJaxpr):
            new[key] = _chained_closed(value)
        elif isinstance(value, (tuple, list)) and any(
            isinstance(v, core.ClosedJaxpr) for v in value
        ):
            new[key] = type(value)(
                _chained_closed(v) if isinstance(v, core.ClosedJaxpr) else v
                for v in value
            )
        else:
            new[key] = value
    return new


def _after(token: Any, operands: list[Any]) -> list[Any]:
    """``operands``, available only once ``token`` has been computed."""
    if token is None or not operands:
        return operands
    _, *operands = lax.optimization_barrier((token, *operands))
    return operands


def _evaluate(
    jaxpr: Any, consts: Sequence[Any], args: Sequence[Any], token: Any
) -> tuple[list[Any], Any]:
    """Evaluate ``jaxpr`` in the current trace, chaining its LAPACK calls after
    ``token``; returns the outputs and the last call's first output."""
    env: dict[Any, Any] = {}

    def read(v: Any) -> Any:
        return v.val if isinstance(v, core.Literal) else env[v]

    for v, x in zip(jaxpr.constvars, consts):
        env[v] = x
    for v, x in zip(jaxpr.invars, args):
        env[v] = x
    for eqn in jaxpr.eqns:
        invals = [read(v) for v in eqn.invars]
        name = eqn.primitive.name
        subs = _sub_jaxprs(eqn.params)
        lapack = name in LAPACK_PRIMITIVES or any(calls_lapack(s) for s in subs)
        if not lapack:
            with eqn.ctx.manager:
                outs = eqn.primitive.bind(
                    *invals, **eqn.primitive.get_bind_params(eqn.params)
                )
        elif name in _INLINED and eqn.params.get(_INLINED[name]) is not None:
            body, body_consts = _closed(eqn.params[_INLINED[name]])
            outs, token = _evaluate(body, body_consts, invals, token)
        else:
            invals = _after(token, invals)
            params = _rebuilt_params(eqn.params) if subs else eqn.params
            with eqn.ctx.manager:
                outs = eqn.primitive.bind(
                    *invals, **eqn.primitive.get_bind_params(params)
                )
            first = outs[0] if eqn.primitive.multiple_results else outs
            token = first if outs is not None else token
        if not eqn.primitive.multiple_results:
            outs = [outs]
        for v, x in zip(eqn.outvars, outs):
            env[v] = x
    return [read(v) for v in jaxpr.outvars], token


def _on_cpu() -> bool:
    device = jax.config.jax_default_device
    if device is None:
        return jax.default_backend() == "cpu"
    return (device if isinstance(device, str) else device.platform) == "cpu"


def serialized(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with its LAPACK calls made one after another on the CPU (see the
    module docstring); ``fn`` as written elsewhere or without linear algebra."""

    @functools.wraps(fn)
    def chained(*args: Any) -> Any:
        if not _on_cpu():
            return fn(*args)
        closed, shape = jax.make_jaxpr(fn, return_shape=True)(*args)
        flat = jax.tree.leaves(args)
        if calls_lapack(closed.jaxpr):
            outs, _ = _evaluate(closed.jaxpr, closed.consts, flat, None)
        else:
            outs = core.jaxpr_as_fun(closed)(*flat)
        return jax.tree.unflatten(jax.tree.structure(shape), outs)

    return chained
