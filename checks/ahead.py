"""Compiling ahead: the programs of a run are traced and lowered in order on the
calling thread while XLA compiles them on worker threads.

Tracing and lowering are Python and hold the GIL; XLA's compilation releases it.
Done one case after another, the two alternate on one core; submitted ahead,
compilation of earlier cases overlaps the tracing of later ones and runs on every
core. Nothing about a check changes: a case that was not submitted, or whose
compilation failed, is compiled when it runs, as before, and reports its own
error there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

__all__ = ["compiled", "reset", "submit"]

_FUTURES: dict[Hashable, Future] = {}
_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        workers = max(1, min(4, os.cpu_count() or 1))
        _POOL = ThreadPoolExecutor(workers, thread_name_prefix="compile-ahead")
    return _POOL


def submit(key: Hashable, jitted: Any, *args: Any) -> None:
    """Lower ``jitted`` at ``args`` now and compile it in the background."""
    if key in _FUTURES:
        return
    lowered = jitted.lower(*args)
    _FUTURES[key] = _pool().submit(lowered.compile)


def compiled(key: Hashable, jitted: Callable[..., Any]) -> Callable[..., Any]:
    """The program compiled ahead under ``key`` if any (waiting for it), else
    ``jitted`` itself."""
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
