"""Compiling ahead: the programs of a run are traced and lowered in order on the
calling thread while XLA compiles them on worker threads, several to a program.

Tracing and lowering are Python and hold the GIL; XLA's compilation releases it.
Done one case after another, the two alternate on one core; submitted ahead,
compilation of earlier cases overlaps the tracing of later ones and runs on every
core. And XLA compiles a program of several cases in about half the time it takes
to compile them one by one (its fixed cost per program is paid once), so cases
that run once (one chunk) are compiled ``BATCH`` to a program, run together the
first time one of them is asked for, and each handed its own outputs.

Nothing about a check changes: a case that was not submitted, or whose program
could not be lowered, compiled or run, is compiled on its own when it runs, as
before, and reports its own error there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
from jax.extend import core

from checks._src.evaluate.lapack import uses
from checks._src.run import caches

__all__ = ["BATCH", "Job", "compiled", "drain", "reset", "submit"]

BATCH = 8

_FUTURES: dict[Hashable, Future] = caches.register({})
_BATCHES: dict[Hashable, tuple[_Batch, int]] = caches.register({})
_POOL: ThreadPoolExecutor | None = None


@dataclass(frozen=True)
class Job:
    """A program to compile ahead: ``jitted(*args)`` will be called under ``key``
    on ``device``; ``once``: with exactly these ``args``, once (so it may share a
    program with other such jobs)."""

    key: Hashable
    jitted: Any
    args: tuple[Any, ...]
    device: Any
    once: bool
    options: dict[str, Any]


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        workers = max(1, min(4, os.cpu_count() or 1))
        _POOL = ThreadPoolExecutor(workers, thread_name_prefix="compile-ahead")
    return _POOL


# Primitives that run user Python while a program runs, which may never return:
# a program holding one is compiled on its own, so that it cannot hold up the
# checks it would otherwise share a program with.
CALLBACKS = frozenset({"pure_callback", "io_callback", "debug_callback", "callback"})


class _Batch:
    """Several jobs' functions compiled and run as one program (from the traces
    their jitted functions already made)."""

    def __init__(self, jobs: Sequence[Job], traced: Sequence[Any]) -> None:
        self.args = [job.args for job in jobs]
        self.device = jobs[0].device
        parts = [(core.jaxpr_as_fun(t.jaxpr), t.out_tree) for t in traced]

        def together(args: list[tuple[Any, ...]]) -> list[Any]:
            return [
                jax.tree.unflatten(tree, f(*jax.tree.leaves(a)))
                for (f, tree), a in zip(parts, args)
            ]

        with jax.default_device(self.device):
            lowered = jax.jit(together, compiler_options=jobs[0].options).lower(
                self.args
            )
        self.future = _pool().submit(lowered.compile)
        self.outputs: list[Any] | None = None

    def output(self, index: int) -> Any:
        if self.outputs is None:
            executable = self.future.result()
            with jax.default_device(self.device):
                self.outputs = executable(self.args)
        return self.outputs[index]


def _same(a: Sequence[Any], b: Sequence[Any]) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a, b)
    )


def submit(jobs: Sequence[Job]) -> None:
    """Lower every job now, in order, and compile them in the background: jobs that
    run once, ``BATCH`` to a program; the others one by one."""
    pending: list[tuple[Job, Any]] = []

    def flush() -> None:
        if not pending:
            return
        batch = None
        if len(pending) > 1:
            try:
                batch = _Batch(*zip(*pending))
            except Exception:  # one of them does not lower: each on its own
                batch = None
        if batch is not None:
            for index, (job, _) in enumerate(pending):
                _BATCHES[job.key] = (batch, index)
        else:
            for job, _ in pending:
                _submit_one(job)
        pending.clear()

    for job in jobs:
        if job.key in _FUTURES or job.key in _BATCHES:
            continue
        if not job.once:
            _submit_one(job)
            continue
        try:
            with jax.default_device(job.device):
                traced = job.jitted.trace(*job.args)
        except Exception:  # left to the check, which reports why
            continue
        if uses(traced.jaxpr.jaxpr, CALLBACKS):
            _submit_one(job)
            continue
        if pending and pending[0][0].device != job.device:
            flush()
        pending.append((job, traced))
        if len(pending) >= BATCH:
            flush()
    flush()


def _submit_one(job: Job) -> None:
    try:
        with jax.default_device(job.device):
            lowered = job.jitted.lower(*job.args)
    except Exception:  # left to the check, which reports why
        return
    _FUTURES[job.key] = _pool().submit(lowered.compile)


def compiled(key: Hashable, jitted: Callable[..., Any]) -> Callable[..., Any]:
    """The program compiled ahead under ``key`` if any (waiting for it), else
    ``jitted`` itself."""
    shared = _BATCHES.pop(key, None)
    if shared is not None:
        batch, index = shared

        def run(*args: Any) -> Any:
            if _same(args, batch.args[index]):
                try:
                    return batch.output(index)
                except Exception:  # compiled and run on its own instead
                    pass
            return jitted(*args)

        return run
    future = _FUTURES.pop(key, None)
    if future is None:
        return jitted
    try:
        return future.result()
    except Exception:  # compiled again when called, and reported there
        return jitted


def reset() -> None:
    """Forget what was submitted and not used."""
    _FUTURES.clear()
    _BATCHES.clear()


def drain() -> None:
    """Wait for every compilation under way to finish (nothing is left half done
    when the process ends)."""
    if _POOL is not None:
        _POOL.shutdown(wait=True, cancel_futures=True)
