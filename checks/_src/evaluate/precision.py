"""Float64 inside the checker, the caller's JAX setting everywhere else.

The autodiff reference is evaluated in float64, and a float64 case samples and
evaluates float64 arrays: JAX makes those only while ``jax_enable_x64`` is on.
Importing ``checks`` leaves that setting as the caller had it; every entry point
(``verify``, ``check_all``, loading a file, the command line, the pytest plugin)
runs its work inside ``float64()``, JAX's thread-local ``jax.enable_x64(True)``
context, and a worker thread the checker starts runs under the setting of the
thread that started it (``carried``).

So a closed form is traced with float64 on: inside it ``jnp.asarray(0.5)`` and
``jnp.zeros(n)`` are float64, and each case's inputs have the case's dtype.
Arrays a module made at import keep the dtype they were made with: loaded by
the checker (a file or module named on the command line, collected by pytest)
that is float64; imported by the caller's own code with float64 off, float32.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

import jax

__all__ = ["carried", "float64", "in_float64"]

P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def float64() -> Iterator[None]:
    """JAX's float64 support on in this thread for the ``with`` block, restored
    after it (nothing to do when the caller already has it on)."""
    if jax.config.jax_enable_x64:
        yield
        return
    with jax.enable_x64(True):
        yield


def in_float64(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run inside ``float64()``."""

    @functools.wraps(fn)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with float64():
            return fn(*args, **kwargs)

    return wrapped


def carried(fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` to run on another thread under this thread's float64 setting
    (JAX's setting in a ``with`` block is the thread's own)."""
    wide = bool(jax.config.jax_enable_x64)

    def run() -> Any:
        with jax.enable_x64(wide):
            return fn()

    return run
