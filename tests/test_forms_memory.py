"""A VJP-form check never forms a Jacobian: its memory grows with the output.

For f: ℝᵏ → ℝᵏ the Jacobian form checks k² numbers per point, the VJP form k
(ūᵀ·∂f/∂z, one reverse pass: Griewank & Walther, *Evaluating Derivatives*, 2nd
ed., §3.2). Memory here is XLA's own account of the compiled check (arguments,
outputs and temporaries of ``Compiled.memory_analysis()``), not a timing: a
reference, rounding-error bound or comparison that formed a k × k array on the
VJP side would make doubling k quadruple it. The Jacobian form, measured the
same way, shows the quadratic growth the measurement is there to catch.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from checks._src.declare import domain, forms, sampling
from checks._src.declare.declare import as_derivation
from checks._src.declare.register import derivation
from checks._src.evaluate import case_program, precision

POINTS = 4


def softmax(z):
    return jax.nn.softmax(z)


@derivation(
    of=softmax,
    wrt="z",
    form="vjp",
    inputs={"z": domain.real(("k",))},
    dims={"k": (4,)},
)
def softmax_vjp(z, u):
    """ūᵀ·∂s/∂z = s ⊙ (ū − ūᵀs)."""
    s = jax.nn.softmax(z)
    return s * (u - jnp.dot(u, s))


@derivation(of=softmax, wrt="z", inputs={"z": domain.real(("k",))}, dims={"k": (4,)})
def softmax_jacobian(z):
    """∂s/∂z = diag(s) − s·sᵀ."""
    s = jax.nn.softmax(z)
    return jnp.diag(s) - jnp.outer(s, s)


def compiled_bytes(fn, k: int) -> int:
    """Bytes XLA allots the compiled float64 check of ``POINTS`` points at size k."""
    d = as_derivation(fn)
    dims = {"k": k}
    with precision.numerics():
        program = case_program._program(
            forms.lowered(d, dims), dims, ("float64",), POINTS
        )
        compiled = program.lower(sampling.stream(0), np.int32(POINTS)).compile()
    memory = compiled.memory_analysis()
    return (
        memory.temp_size_in_bytes
        + memory.output_size_in_bytes
        + memory.argument_size_in_bytes
    )


def growth(fn) -> float:
    """Compiled bytes at k = 128 over those at k = 64: 2 when linear, 4 when
    quadratic."""
    return compiled_bytes(fn, 128) / compiled_bytes(fn, 64)


def test_a_vjp_form_check_grows_linearly_in_the_output():
    assert growth(softmax_vjp) < 2.5


def test_a_jacobian_form_check_grows_quadratically():
    assert growth(softmax_jacobian) > 3.5
