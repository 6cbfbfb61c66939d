"""Float64, and float32 products at full precision, inside the checker; the
caller's JAX settings everywhere else.

The autodiff reference is evaluated in float64, and a float64 case samples and
evaluates float64 arrays: JAX makes those only while ``jax_enable_x64`` is on.
Importing ``checks`` leaves that setting as the caller had it; every entry point
(``verify``, ``check_all``, loading a file, the command line, the pytest plugin)
runs its work inside ``numerics()``, with JAX's thread-local ``jax.enable_x64(True)``
context, and a worker thread the checker starts runs under the setting of the
thread that started it (``carried``).

So a closed form is traced with float64 on: inside it ``jnp.asarray(0.5)`` and
``jnp.zeros(n)`` are float64, and each case's inputs have the case's dtype.
Arrays a module made at import keep the dtype they were made with: loaded by
the checker (a file or module named on the command line, collected by pytest)
that is float64; imported by the caller's own code with float64 off, float32.

Matrix products and convolutions of float32 operands (``dot_general``,
``conv_general_dilated`` without a ``precision`` of their own) run at full float32
precision inside the checker: ``numerics()`` sets JAX's ``jax_default_matmul_precision``
to ``"highest"``, which JAX writes into each product's ``precision`` when it traces
it. JAX's default leans toward speed on accelerators: TF32 on recent NVIDIA GPUs
(operands rounded to 10 bits of mantissa), bfloat16 passes on TPUs. The error model
(``checks._src.evaluate.rounding_sums``) bounds a K-term sum of products of float32
operands, each product rounded once, ``u = 2⁻²⁴``; a TF32 product is off by up to
``2⁻¹¹`` relative, 8192 times that, so a right derivation would fail on a GPU where it
passes on the CPU. At full precision the CPU, the GPU and NumPy compute the same
rounded products. A product given a ``precision`` of its own keeps it.

Source: the JAX documentation, "Matmul precision" and
``jax.default_matmul_precision``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

import jax

__all__ = ["MATMUL_PRECISION", "carried", "in_numerics", "numerics"]

P = ParamSpec("P")
R = TypeVar("R")


# The precision of float32 products inside the checker (see the module docstring).
MATMUL_PRECISION = "highest"


@contextlib.contextmanager
def numerics() -> Iterator[None]:
    """JAX's float64 support on and float32 products at full precision in this
    thread for the ``with`` block, both restored after it (nothing to do for a
    setting the caller has already)."""
    with contextlib.ExitStack() as stack:
        if not jax.config.jax_enable_x64:
            stack.enter_context(jax.enable_x64(True))
        if jax.config.jax_default_matmul_precision != MATMUL_PRECISION:
            stack.enter_context(jax.default_matmul_precision(MATMUL_PRECISION))
        yield


def in_numerics(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run inside ``numerics()``."""

    @functools.wraps(fn)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with numerics():
            return fn(*args, **kwargs)

    return wrapped


def carried(fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` to run on another thread under this thread's float64 and matmul
    precision settings (JAX's setting in a ``with`` block is the thread's own)."""
    wide = bool(jax.config.jax_enable_x64)
    products = jax.config.jax_default_matmul_precision

    def run() -> Any:
        with jax.enable_x64(wide), jax.default_matmul_precision(products):
            return fn()

    return run
