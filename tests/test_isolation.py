"""One broken dtype, entry or line of a message never hides the rest."""

from __future__ import annotations

import jax.numpy as jnp

import checks
from checks._src.declare import domain


def _symmetric(key, shape, dtype):
    import jax

    a = jax.random.normal(key, shape, dtype)
    return a + jnp.swapaxes(a, -1, -2)


def _eigenvalues(A):
    return jnp.linalg.eigh(A)[0]


def _eigenvalues_jacobian(A):
    v = jnp.linalg.eigh(A)[1]
    return jnp.einsum("ji,ki->ijk", v, v)


def test_a_dtype_jax_cannot_evaluate_leaves_the_others_their_verdicts():
    # JAX has no bfloat16 eigh on the CPU: that case errors, float64 still passes
    result = checks.verify(
        _eigenvalues_jacobian,
        of=_eigenvalues,
        wrt="A",
        inputs={"A": domain.custom(_symmetric, (3, 3))},
        dtypes=("float64", "bfloat16"),
        samples=50,
    )
    statuses = {c.dtype: c.status for c in result.cases}
    assert statuses == {"float64": "pass", "bfloat16": "error"}
    message = next(c.message for c in result.cases if c.dtype == "bfloat16")
    assert "bfloat16" in message


def _square(x):
    return x * x


def _raises_two_lines(x):
    raise ValueError("first line\nsecond line with the detail")


def test_an_error_message_is_kept_whole():
    result = checks.verify(
        _raises_two_lines, of=_square, wrt="x", inputs={"x": domain.real()}
    )
    assert result.status == "error"
    text = str(result.to_dict())
    assert "second line with the detail" in text
    assert "For simplicity, JAX has removed" not in text
