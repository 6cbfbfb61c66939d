"""The rounding-error rules of sums: reductions, contractions, convolutions and
scatter-adds, the part of ``checks._src.evaluate.error_rules``' table whose every rule
adds its own rounding (K roundings into an element of a sum of K terms).

Each bound is ``Σ e + K·u·Σ|x| + K·η`` over the K terms summed into an element,
whatever the order of summation (N. J. Higham, *Accuracy and Stability of
Numerical Algorithms*, 2nd ed., SIAM 2002, §3.1 for inner products, §4.2 for
sums), written once over an array namespace ``xp`` as the rest of the table:
``rule_table(xp, lead, apply)``, with ``lead`` leading (points) axes and
``apply(name, params, *operands)`` evaluating a primitive in that engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
import numpy as np

from checks._src.evaluate.roundoff import tiny, unit, wide

__all__ = ["NAMES", "rule_table"]

Rule = Callable[..., list[Any]]


def rule_table(xp: Any, lead: int, apply: Callable[..., list[Any]]) -> dict[str, Rule]:
    """The rules of sums in the array namespace ``xp`` (see the module)."""

    def x64(x: Any) -> Any:
        return wide(xp, x)

    def abs64(x: Any) -> Any:
        return xp.abs(x64(x))

    def rounding_of(z: Any) -> tuple[float, float]:
        return unit(z), tiny(z)

    def cumsum_rule(params, xs, es, outs):
        """K·u·Σ|xᵢ| + Σ eᵢ over the K terms summed into each element (any
        order of summation: Higham §4.2), as ``reduce_sum``."""
        (x,), (e,), (z,) = xs, es, outs
        axis = int(params["axis"]) + lead
        reverse = bool(params.get("reverse", False))

        def cum(v):
            if reverse:
                return xp.flip(xp.cumsum(xp.flip(v, axis), axis=axis), axis)
            return xp.cumsum(v, axis=axis)

        n = x.shape[axis]
        view = [1] * len(x.shape)
        view[axis] = n
        terms = xp.arange(1, n + 1, dtype=xp.float64)
        if reverse:
            terms = xp.flip(terms, 0)
        terms = xp.reshape(terms, view)
        bound = terms * (unit(z) * cum(abs64(x)) + tiny(z))
        return [bound if e is None else bound + cum(e)]

    def bilinear(op: Any, k: int, xs: Any, es: Any, z: Any) -> list[Any]:
        """``|A|∘e_B + e_A∘|B| + K·u·|A|∘|B| + K·η`` for a bilinear ``op`` whose
        every output entry is a sum of K products (a contraction, a convolution)."""
        (a, b), (ea, eb) = xs, es
        u, eta = rounding_of(z)
        abs_a, abs_b = abs64(a), abs64(b)
        bound = k * (u * op(abs_a, abs_b) + eta)
        if eb is not None:
            bound = bound + op(abs_a, eb)
        if ea is not None:
            bound = bound + op(ea, abs_b)
        return [bound]

    def dot_general_rule(params, xs, es, outs):
        """|A|·e_B + e_A·|B| + K·u·|A|·|B| + K·η for a contraction of K terms
        (Higham §3.1: each entry is an inner product of K terms)."""
        a, (z,) = xs[0], outs
        p = dict(params, preferred_element_type=jnp.float64)
        (contract_a, _), _ = params["dimension_numbers"]
        shape = xp.shape(a)
        k = int(np.prod([shape[lead + d] for d in contract_a])) if contract_a else 1
        return bilinear(lambda x, y: apply("dot_general", p, x, y)[0], k, xs, es, z)

    def reduce_sum_rule(params, xs, es, outs):
        """Σ e_x + K·u·Σ|x| + K·η over the K summed terms (Higham §4.2)."""
        (x,), (ex,), (z,) = xs, es, outs
        axes = tuple(int(a) + lead for a in params["axes"])
        shape = xp.shape(x)
        k = int(np.prod([shape[d] for d in axes])) if axes else 1
        u, eta = rounding_of(z)
        bound = k * (u * xp.sum(abs64(x), axis=axes) + eta)
        if ex is not None:
            bound = bound + xp.sum(ex, axis=axes)
        return [bound]

    def scatter_to(params: dict[str, Any], like: Any, indices: Any, updates: Any):
        zeros = xp.zeros(xp.shape(like), xp.float64)
        return apply("scatter-add", params, zeros, indices, x64(updates))[0]

    def scatter_add_rule(params, xs, es, outs):
        """One rounding per update added into an element: with K updates landing
        on it, ``e_z = e_x + Σ e_upd + K·u·(|x| + Σ|upd|) + K·η`` (repeated
        indices add several times)."""
        (x, indices, updates), (ex, _, eu), (z,) = xs, es, outs
        count = scatter_to(params, x, indices, xp.ones(xp.shape(updates)))
        size = abs64(x) + scatter_to(params, x, indices, abs64(updates))
        u, eta = rounding_of(z)
        bound = count * (u * size + eta)
        if ex is not None:
            bound = bound + ex
        if eu is not None:
            bound = bound + scatter_to(params, x, indices, eu)
        return [bound]

    def conv_rule(params, xs, es, outs):
        """As ``dot_general``: each output is an inner product of K = (input
        features per group)·(kernel points) terms, so
        ``|A|∗e_B + e_A∗|B| + K·u·|A|∗|B| + K·η``."""
        b, (z,) = xs[1], outs
        p = dict(params, preferred_element_type=jnp.float64)
        rhs_spec = params["dimension_numbers"].rhs_spec
        shape = xp.shape(b)
        k = int(np.prod([shape[len(shape) - len(rhs_spec) + d] for d in rhs_spec[1:]]))
        conv = lambda x, y: apply("conv_general_dilated", p, x, y)[0]  # noqa: E731
        return bilinear(conv, k, xs, es, z)

    def reduce_window_sum_rule(params, xs, es, outs):
        """As ``reduce_sum`` over each window of K = Π window_dimensions terms."""
        (x,), (ex,), (z,) = xs, es, outs
        k = int(np.prod(params["window_dimensions"]))
        u, eta = rounding_of(z)

        def window_sum(v: Any) -> Any:
            return apply("reduce_window_sum", params, v)[0]

        bound = k * (u * window_sum(abs64(x)) + eta)
        return [bound if ex is None else bound + window_sum(ex)]

    def select_and_scatter_add_rule(params, xs, es, outs):
        """The transpose of a max (or min) pooling: each source value is added
        into the selected element of its window, one rounding per addition:
        ``e = S(e_src) + K·u·S(|src|) + K·η`` with S the same scatter and K the
        number of values landing on the element. The selection is exact (the
        operand's error does not move it, as in ``select_n``)."""
        (source, operand), (es_, _), (z,) = xs, es, outs
        wide = x64(operand)  # the same selection: widening is exact

        def spread(v: Any) -> Any:
            return apply("select_and_scatter_add", params, v, wide)[0]

        u, eta = rounding_of(z)
        count = spread(xp.ones(xp.shape(source), xp.float64))
        bound = count * (u * spread(abs64(source)) + eta)
        return [bound if es_ is None else bound + spread(es_)]

    def fft_rule(params, xs, es, outs):
        """A discrete Fourier transform over the last ``len(fft_lengths)`` axes,
        N points: each output sums N terms of unit weight (1/N for an inverse,
        2/N for a real inverse, whose half spectrum counts twice), so
        ``e_z = w·Σ e``; its own rounding is normwise, not per element (an output
        may cancel to 0 while its neighbours are large): ‖ẑ − z‖₂ ≤ c·u·‖z‖₂
        with c = Σ (p + 4) over the prime factors p of N, one radix-p pass
        each (Higham, §24.1, Thm 24.2: log₂N passes of (4√2 + μ)·u for radix
        2), and ‖z‖₂ from the operand by Parseval (√N‖x‖₂, ‖x‖₂/√N, ≤
        √2‖x‖₂/√N from a half spectrum)."""
        (x,), (e,), (z,) = xs, es, outs
        kind = int(params["fft_type"])  # 0 FFT, 1 IFFT, 2 RFFT, 3 IRFFT
        lengths = [int(n) for n in params["fft_lengths"]]
        n = int(np.prod(lengths))
        axes = tuple(range(len(xp.shape(x)) - len(lengths), len(xp.shape(x))))
        weight, scale = {0: (1.0, n), 1: (1.0 / n, 1.0 / n), 2: (1.0, n)}.get(
            kind, (2.0 / n, 2.0 / n)
        )
        norm = xp.sqrt(scale * xp.sum(abs64(x) ** 2, axis=axes, keepdims=True))
        u, eta = rounding_of(z)
        bound = _radix_passes(n) * u * norm + n * eta
        if e is not None:
            bound = bound + weight * xp.sum(e, axis=axes, keepdims=True)
        return [xp.broadcast_to(bound, xp.shape(z))]

    rules = {
        "fft": fft_rule,
        "cumsum": cumsum_rule,
        "dot_general": dot_general_rule,
        "reduce_sum": reduce_sum_rule,
        "scatter-add": scatter_add_rule,
        "scatter_add": scatter_add_rule,
        "conv_general_dilated": conv_rule,
        "reduce_window_sum": reduce_window_sum_rule,
        "select_and_scatter_add": select_and_scatter_add_rule,
    }
    return rules


def _radix_passes(n: int) -> float:
    """Σ (p + 4) over the prime factors p of n, with multiplicity: the rounding
    of an FFT of n points in units of u·‖z‖₂ (one radix-p pass per factor)."""
    total, p = 0, 2
    while n > 1:
        while n % p == 0:
            total, n = total + p + 4, n // p
        p += 1
    return float(total)


# The primitives with a rule here (derived from the table: its rules need no
# engine to be named).
NAMES = frozenset(rule_table(np, 0, lambda *a: []))
