"""The autodiff reference (``checks._src.evaluate.reference``): a real scalar ``of``
is differentiated by ``jax.grad``, which gives ``jax.jacrev``'s values bit for bit,
in its layout, with fewer equations to trace and evaluate; any other ``of`` keeps
``jacrev``/``jacfwd``."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from checks._src.evaluate import interpret
from checks._src.evaluate.reference import reference
from checks._src.evaluate.rounding import trace_as_written


def cross_entropy(z, y):
    return -jnp.sum(y * jax.nn.log_softmax(z))


def logistic_loss(theta, x):
    return jnp.mean(jnp.logaddexp(0.0, -x @ theta))


def cubic(x, y):
    return jnp.sum(x**3 * y) / x.size


SCALARS = [cross_entropy, logistic_loss, cubic]


def _edge_points(dtype, n=6):
    """Zeros, subnormals, huge and ordinary values, and ties."""
    tiny = np.finfo(dtype).smallest_subnormal
    big = np.finfo(dtype).max ** 0.3
    rows = [
        np.zeros(n),
        np.full(n, tiny),
        np.array([tiny, -tiny, 0.0, 1.0, -1.0, 2.0]),
        np.linspace(-big, big, n),
        np.ones(n),
        np.random.default_rng(0).normal(size=n),
    ]
    return [np.asarray(r, dtype) for r in rows]


def _args(f, x, dtype):
    if f is logistic_loss:
        return x, np.linspace(-1.0, 1.0, x.size * 3, dtype=dtype).reshape(3, x.size)
    return x, np.linspace(0.1, 0.9, x.size, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("f", SCALARS, ids=lambda f: f.__name__)
def test_a_scalar_reference_gives_jacrev_values_bit_for_bit(f, dtype):
    with jax.enable_x64(True):
        for x in _edge_points(dtype):
            args = _args(f, x, dtype)
            ours = jax.jit(reference(f, 0, 1, args))(*args)
            theirs = jax.jit(jax.jacrev(f))(*args)
            assert ours.shape == theirs.shape == x.shape
            assert ours.dtype == theirs.dtype
            np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
            (numpy_ours,) = interpret.evaluate(
                trace_as_written(reference(f, 0, 1, args), *args),
                [a[None] for a in args],
            )[0][:1]
            (numpy_theirs,) = interpret.evaluate(
                trace_as_written(jax.jacrev(f), *args), [a[None] for a in args]
            )[0][:1]
            np.testing.assert_array_equal(numpy_ours, numpy_theirs)


def test_a_scalar_reference_traces_fewer_equations_than_jacrev():
    with jax.enable_x64(True):
        args = _args(cross_entropy, np.ones(5), np.float64)
        ours = trace_as_written(reference(cross_entropy, 0, 1, args), *args)
        theirs = trace_as_written(jax.jacrev(cross_entropy), *args)
    assert len(ours.jaxpr.eqns) < len(theirs.jaxpr.eqns)
    assert "iota" not in {e.primitive.name for e in ours.jaxpr.eqns}


@pytest.mark.parametrize(
    "of, want",
    [
        (lambda x: jnp.sum(x, keepdims=True), (1, 4)),  # one output, not a scalar
        (lambda x: jnp.cumsum(x), (4, 4)),
        (lambda x: jnp.sum(x).astype(jnp.int32), None),  # not a float: jacrev's error
    ],
)
def test_any_other_output_keeps_the_jacobian_layout(of, want):
    x = jnp.arange(4.0)
    if want is None:
        with pytest.raises(TypeError):
            reference(of, 0, 1, (x,))(x)
        return
    assert reference(of, 0, 1, (x,))(x).shape == want
