"""The autodiff reference a closed form is compared with.

Built from the declaration alone (``of``, ``wrt``, ``order``), never written by
hand per derivation, so the two sides cannot drift apart:

- order 1: ``jax.grad`` of ``of`` with respect to ``wrt`` when ``of`` returns a real
  scalar, else ``jax.jacrev`` when ``of`` has fewer outputs than ``wrt`` has
  entries, else ``jax.jacfwd``; all give ``jax.jacobian``'s layout
  ``of(...).shape + wrt.shape``;
- order 2: ``jax.hessian``, layout ``of(...).shape + wrt.shape + wrt.shape``;
- order 0: ``of`` itself, whose values the closed form's are compared with. A derivation
  in VJP or JVP form, or over several ``wrt`` names, is checked as one of order 0 whose
  ``of`` is the autodiff computation (``checks._src.declare.forms``).

For a scalar ``of``, ``jax.jacrev`` is ``jax.grad`` mapped (``jax.vmap``) over the
one basis cotangent ``1``: the same pullback, with a batch axis of length one on
every cotangent. ``jax.grad`` computes the same products in the same order without
that axis: the same values bit for bit (``tests/test_reference.py``), at about
half the tracing work (the NumPy engine traces every reference it evaluates). A
Hessian stays ``jax.hessian``: ``jacfwd`` of ``grad`` differs from it in the last
bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["expected_shape", "reference"]


def reference(
    of: Callable[..., Any],
    wrt_index: int,
    order: int,
    example_args: Sequence[Any],
    out: Any | None = None,
) -> Callable[..., Any]:
    """The derivative of ``of`` in its ``wrt_index``-th argument, as a function.
    ``out``: the shape and dtype ``of`` returns (``.shape``, ``.dtype``), if known
    (else traced to find them)."""
    if order == 0:
        return of
    if order == 2:
        return jax.hessian(of, argnums=wrt_index)
    if out is None:
        out = jax.eval_shape(of, *example_args)
    if tuple(out.shape) == () and jnp.issubdtype(out.dtype, jnp.floating):
        return jax.grad(of, argnums=wrt_index)
    n_out = math.prod(out.shape)
    n_in = math.prod(jnp.shape(example_args[wrt_index]))
    if n_out <= n_in:
        return jax.jacrev(of, argnums=wrt_index)
    return jax.jacfwd(of, argnums=wrt_index)


def expected_shape(
    out_shape: tuple[int, ...], wrt_shape: tuple[int, ...], order: int
) -> tuple[int, ...]:
    """The shape a closed form of this order must return."""
    return tuple(out_shape) + tuple(wrt_shape) * order
