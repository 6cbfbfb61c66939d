"""LAPACK calls of a compiled program on the CPU, in batches small enough to run
on the thread that calls them.

jaxlib 0.10's CPU kernels for batched linear algebra (``eigh``, ``cholesky``,
``lu``, ``qr``, ``svd``, ``triangular_solve``, …) split a batch whose work
``batch × cost_per_matrix`` reaches ``MIN_PARALLEL_WORK`` flops over XLA's
intra-op thread pool (``jax::ParallelBatchMap``) and then block, on the pool
thread they run on, until the pieces are done. XLA's CPU runtime runs independent
operations of a program concurrently on that same pool. When as many such calls
run at once as the pool has threads (two on a 2-core machine: the float64
reference's ``eigh`` and its rounding bound's, say), every thread waits for
pieces no thread is left to run, and the program never returns: no error, the
CPU idle. (jaxlib 0.11 builds these kernels without the parallel path; the
kernels' cost model is in ``jaxlib/cpu/lapack_kernels.cc``,
``GetLapackBatchChunkSize``.)

``with_inline_lapack(fn)`` is ``fn`` with every batched LAPACK call made a chunk of at
most ``chunk_size`` matrices at a time (``lax.map``), each chunk's work under
the threshold, so the kernel runs it inline and never waits on the pool. Values
are unchanged: each matrix is factorized by the same kernel on the same operand
(tests/test_lapack.py compares them bit for bit). Calls nested in ``while``,
``scan`` and ``cond`` bodies are rewritten inside their body; calls inside
``jit``, ``custom_jvp`` and ``custom_vjp`` are evaluated in place. A program with
no linear algebra, or on another platform than the CPU, is traced as written.
(Chaining the calls with ``lax.optimization_barrier`` does not work: XLA's CPU
compiler removes the barriers before scheduling.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np
from jax import lax
from jax.extend import core

__all__ = [
    "LAPACK_PRIMITIVES",
    "LOW_PRECISION",
    "LowPrecisionLinalg",
    "calls_lapack",
    "chunk_size",
    "low_precision_call",
    "no_low_precision",
    "uses",
    "with_inline_lapack",
]

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


# Floating-point types LAPACK (so XLA's CPU) has no kernel for.
LOW_PRECISION = frozenset({"bfloat16", "float16"})


class LowPrecisionLinalg(NotImplementedError):
    """A linear-algebra primitive on a bfloat16 or float16 operand on the CPU."""


def no_low_precision(name: str, dtypes: Any) -> None:
    """Raise ``LowPrecisionLinalg`` if LAPACK primitive ``name`` has an operand
    of a dtype in ``LOW_PRECISION``: the one message of both engines."""
    low = sorted({str(d) for d in dtypes} & LOW_PRECISION)
    if low:
        raise LowPrecisionLinalg(
            f"linear algebra has no {low[0]} on CPU: {name} of a {low[0]} matrix "
            "(LAPACK computes in float32 and float64 only; check this case in "
            "float32, or convert the matrix before the call)"
        )


def low_precision_call(jaxpr: Any) -> str | None:
    """The message of ``no_low_precision`` for the first LAPACK call of
    ``jaxpr`` (nested ones too) on a bfloat16 or float16 operand, on the CPU;
    None when there is none (or the default device is not a CPU)."""
    if not _on_cpu():
        return None
    stack = [jaxpr.jaxpr if hasattr(jaxpr, "jaxpr") else jaxpr]
    while stack:
        j = stack.pop()
        for eqn in j.eqns:
            if eqn.primitive.name in LAPACK_PRIMITIVES:
                dtypes = [getattr(v.aval, "dtype", None) for v in eqn.invars]
                try:
                    no_low_precision(eqn.primitive.name, dtypes)
                except LowPrecisionLinalg as exc:
                    return str(exc)
            stack.extend(_sub_jaxprs(eqn.params))
    return None


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


def uses(jaxpr: Any, names: frozenset[str]) -> bool:
    """Whether ``jaxpr`` (or any jaxpr nested in it) has a primitive in ``names``."""
    return any(
        eqn.primitive.name in names
        or any(uses(sub, names) for sub in _sub_jaxprs(eqn.params))
        for eqn in jaxpr.eqns
    )


def calls_lapack(jaxpr: Any) -> bool:
    """Whether ``jaxpr`` (or any jaxpr nested in it) makes a LAPACK call."""
    return uses(jaxpr, LAPACK_PRIMITIVES)


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


# jaxlib 0.10's GetLapackBatchChunkSize: a batch whose work (flops, by its cost
# model) is below this runs inline on the calling thread.
MIN_PARALLEL_WORK = 200_000
# Its cost per matrix is at most 10·m·n·min(m, n) flops (svd, eig), times 3 for
# complex types: 30·m·n·max(m, n) bounds every kernel's.
_COST_FACTOR = 30


def chunk_size(core_shapes: Sequence[Sequence[int]]) -> int:
    """Matrices per call whose work stays under ``MIN_PARALLEL_WORK`` for
    operands of these per-matrix shapes (a single matrix always runs inline)."""
    cost = 1
    for shape in core_shapes:
        dims = [int(d) for d in shape[-2:]] or [1]
        rows, cols = dims[0], dims[-1]  # a vector of m: an m × m problem
        cost = max(cost, _COST_FACTOR * rows * cols * max(rows, cols))
    return max(1, (MIN_PARALLEL_WORK - 1) // cost)


# Rank of a single problem's first operand (the rest share its batch dims).
_CORE_RANK = {"tridiagonal_solve": 1}


def _in_chunks(eqn: Any, invals: list[Any]) -> list[Any] | None:
    """``eqn``'s LAPACK call made ``chunk_size`` matrices at a time, or None when
    its batch is small enough already (or its operands share no batch shape)."""
    rank = _CORE_RANK.get(eqn.primitive.name, 2)
    first = invals[0]
    batch = tuple(first.shape[: first.ndim - rank])
    if not batch or any(tuple(x.shape[: len(batch)]) != batch for x in invals):
        return None
    outs = [v.aval for v in eqn.outvars]
    if any(tuple(o.shape[: len(batch)]) != batch for o in outs):
        return None
    size = chunk_size([x.shape[len(batch) :] for x in invals])
    total = int(np.prod(batch))
    if total <= size:
        return None
    params = eqn.primitive.get_bind_params(eqn.params)

    def one(xs: list[Any]) -> list[Any]:
        with eqn.ctx.manager:
            out = eqn.primitive.bind(*xs, **params)
        return list(out) if eqn.primitive.multiple_results else [out]

    flat = [x.reshape((total, *x.shape[len(batch) :])) for x in invals]
    results = lax.map(one, flat, batch_size=size)
    return [r.reshape(batch + r.shape[1:]) for r in results]


def _rewritten_closed(closed: Any) -> Any:
    """A ``ClosedJaxpr`` computing the same with its LAPACK calls in chunks."""
    jaxpr, consts = _closed(closed)
    if not calls_lapack(jaxpr):
        return closed
    avals = [v.aval for v in jaxpr.invars]
    return jax.make_jaxpr(lambda *xs: _evaluate(jaxpr, consts, xs))(*avals)


def _rewritten_params(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with every body or branch rewritten inside itself."""
    new = {}
    for key, value in params.items():
        if isinstance(value, core.ClosedJaxpr):
            new[key] = _rewritten_closed(value)
        elif isinstance(value, (tuple, list)) and any(
            isinstance(v, core.ClosedJaxpr) for v in value
        ):
            items = [
                _rewritten_closed(v) if isinstance(v, core.ClosedJaxpr) else v
                for v in value
            ]
            named = hasattr(value, "_fields")  # custom_linear_solve's jaxprs
            new[key] = type(value)(*items) if named else type(value)(items)
        else:
            new[key] = value
    return new


def _evaluate(jaxpr: Any, consts: Sequence[Any], args: Sequence[Any]) -> list[Any]:
    """Evaluate ``jaxpr`` in the current trace, its LAPACK calls in chunks."""
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
        outs = None
        if name in LAPACK_PRIMITIVES:
            outs = _in_chunks(eqn, invals)
        elif name in _INLINED and any(calls_lapack(s) for s in subs):
            body = eqn.params.get(_INLINED[name])
            if body is not None:
                outs = _evaluate(*_closed(body), invals)
        elif any(calls_lapack(s) for s in subs):
            params = eqn.primitive.get_bind_params(_rewritten_params(eqn.params))
            with eqn.ctx.manager:
                outs = eqn.primitive.bind(*invals, **params)
            outs = outs if eqn.primitive.multiple_results else [outs]
        if outs is None:
            with eqn.ctx.manager:
                outs = eqn.primitive.bind(
                    *invals, **eqn.primitive.get_bind_params(eqn.params)
                )
            outs = outs if eqn.primitive.multiple_results else [outs]
        for v, x in zip(eqn.outvars, outs):
            env[v] = x
    return [read(v) for v in jaxpr.outvars]


def _on_cpu() -> bool:
    device = jax.config.jax_default_device
    if device is None:
        return jax.default_backend() == "cpu"
    return (device if isinstance(device, str) else device.platform) == "cpu"


def with_inline_lapack(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with its batched LAPACK calls made in chunks that run inline on the
    CPU (see the module docstring); ``fn`` as written elsewhere or without linear
    algebra."""

    @functools.wraps(fn)
    def chunked(*args: Any) -> Any:
        if not _on_cpu():
            return fn(*args)
        closed, shape = jax.make_jaxpr(fn, return_shape=True)(*args)
        flat = jax.tree.leaves(args)
        if calls_lapack(closed.jaxpr):
            outs = _evaluate(closed.jaxpr, closed.consts, flat)
        else:
            outs = core.jaxpr_as_fun(closed)(*flat)
        return jax.tree.unflatten(jax.tree.structure(shape), outs)

    return chunked
