"""The running error bound: it covers the true error, and it is not vacuous."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from checks.rounding import rounding_unit, with_error_bound


def bound_and_error(fn, *xs32):
    """(value, bound, |value − exact|) of fn in float32 against float64."""
    value, bound = jax.jit(with_error_bound(fn, *xs32))(*xs32)
    exact = fn(*(x.astype(jnp.float64) for x in xs32))
    return float(value), float(bound), abs(float(value) - float(exact))


def difference_of_large_terms(alpha, beta):
    return -alpha / beta + (1 - alpha) / (1 - beta)


def one_expression(alpha, beta):
    return (beta - alpha) / (beta * (1 - beta))


@pytest.mark.parametrize("fn", [difference_of_large_terms, one_expression])
def test_bound_covers_the_error(fn):
    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = rng.uniform(1e-3, 1 - 1e-3, 2).astype(np.float32)
        _, bound, error = bound_and_error(fn, jnp.float32(a), jnp.float32(b))
        assert error <= bound


def test_cancellation_gets_a_larger_bound_than_a_direct_expression():
    a, b = jnp.float32(0.3), jnp.float32(0.3000001)
    v1, b1, _ = bound_and_error(difference_of_large_terms, a, b)
    v2, b2, _ = bound_and_error(one_expression, a, b)
    assert b1 / abs(v1) > 1e-2  # the terms are ~1, the result ~4e-7
    assert b2 / abs(v2) < 10 * rounding_unit(jnp.float32)


def test_exact_operations_have_a_bound_of_a_few_units():
    x = jnp.linspace(1, 2, 7, dtype=jnp.float32)
    _, bound = with_error_bound(lambda v: jnp.sum(v * 2.0), x)(x)
    # 7 terms summed (7 roundings) and one product each: 8u·Σ|2x|, no more.
    assert float(bound) <= 8.01 * rounding_unit(jnp.float32) * float(jnp.sum(x * 2))


def test_bound_through_softmax_and_matrix_products():
    def f(W, x):
        return jax.nn.softmax(W @ x)

    W = jnp.asarray(np.random.default_rng(1).normal(size=(4, 3)), jnp.float32)
    x = jnp.asarray([1.0, -2.0, 0.5], jnp.float32)
    value, bound = with_error_bound(f, W, x)(W, x)
    exact = f(W.astype(jnp.float64), x.astype(jnp.float64))
    assert np.all(np.abs(np.asarray(value, np.float64) - exact) <= np.asarray(bound))
    assert np.all(np.asarray(bound) < 1e-5)


def test_underflow_is_covered():
    y = jnp.float32(-3.6e-6)
    _, bound, error = bound_and_error(lambda v: 8 * v**7, y)
    assert error <= bound


def test_vmap_and_jit_compose():
    f = with_error_bound(one_expression, jnp.float32(0.5), jnp.float32(0.5))
    a = jnp.linspace(0.1, 0.9, 5, dtype=jnp.float32)
    v, b = jax.jit(jax.vmap(f))(a, a[::-1])
    assert v.shape == b.shape == (5,)
