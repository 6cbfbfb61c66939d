"""NumPy evaluation of jaxprs (``checks._src.evaluate.interpret``) against JAX
itself."""

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from jax import lax
from jax.extend import core

from checks._src.evaluate import interpret
from checks._src.evaluate.rounding import trace_as_written, with_error_bound

RNG = np.random.default_rng(0)
B = 7  # points


def _points(*shapes, dtype=np.float64):
    return [RNG.normal(size=(B, *s)).astype(dtype) for s in shapes]


def _host(fn, xs, bounds=False):
    avals = [jax.ShapeDtypeStruct(x.shape[1:], x.dtype) for x in xs]
    closed = trace_as_written(fn, *avals)
    assert interpret.supported(closed, bounds=bounds)
    return interpret.evaluate(closed, xs, bounds=bounds)


CASES = {
    "scalar times vector": (lambda a, x: a * x, [(), (3,)]),
    "softmax": (jax.nn.softmax, [(4,)]),
    "log-softmax": (jax.nn.log_softmax, [(2, 3)]),
    "logsumexp": (jax.nn.logsumexp, [(5,)]),
    "sigmoid, softplus": (lambda x: jax.nn.sigmoid(x) + jax.nn.softplus(x), [(3,)]),
    "matrix product": (lambda a, b: a @ b, [(2, 3), (3, 4)]),
    "batched product": (
        lambda a, b: jnp.einsum("bij,bjk->bik", a, b),
        [(2, 2, 3), (2, 3, 2)],
    ),
    "outer product": (jnp.outer, [(3,), (2,)]),
    "transpose, reverse": (lambda a: a.T[::-1] * 2, [(2, 3)]),
    "reductions": (lambda a: a.max(0) - a.min(1).sum() + a.prod(), [(2, 3)]),
    "cumulative sum": (lambda a: jnp.cumsum(a[::-1]), [(4,)]),
    "argmax as one-hot": (lambda a: jax.nn.one_hot(jnp.argmax(a), 4) * a, [(4,)]),
    "powers": (lambda a: a**3 + 1 / a**2 + jnp.abs(a) ** 0.5, [(3,)]),
    "where, clip": (lambda a: jnp.where(a > 0, a, -2 * a) + jnp.clip(a, -1, 1), [(5,)]),
    "stack, split, concatenate": (
        lambda a: jnp.concatenate([jnp.stack(jnp.split(a, 2))[::-1].ravel(), a]),
        [(4,)],
    ),
    "unpack a vector": (lambda a: (lambda x, y: x * y)(*a), [(2,)]),
    "pad": (lambda a: jnp.pad(a, ((1, 0), (0, 2))), [(2, 2)]),
    "index with a sampled integer": (
        lambda a, i: a[jnp.clip(i.astype(jnp.int32), 0, 3)],
        [(4,), ()],
    ),
    "dynamic slice": (
        lambda a, i: lax.dynamic_slice(a, (jnp.abs(i * 3).astype(jnp.int32),), (2,)),
        [(5,), ()],
    ),
    "dynamic update slice, start clamped": (
        lambda a, u, i: lax.dynamic_update_slice(
            a * 2, u, (jnp.abs(i * 3).astype(jnp.int32), jnp.int32(0))
        ),
        [(4, 3), (2, 3), ()],
    ),
    "gradient through jax.checkpoint": (
        jax.grad(lambda a: jnp.sum(jax.checkpoint(lambda v: jnp.tanh(v) ** 2)(a))),
        [(3,)],
    ),
    "take rows": (lambda a: a[jnp.array([2, 0])], [(3, 2)]),
    "gradient of cross-entropy": (
        jax.grad(lambda z, y: -jnp.sum(y * jax.nn.log_softmax(z))),
        [(4,), (4,)],
    ),
    "Hessian of log-sum-exp": (jax.hessian(jax.nn.logsumexp), [(3,)]),
    "Jacobian of softmax": (jax.jacfwd(jax.nn.softmax), [(3,)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_values_match_jax(name):
    fn, shapes = CASES[name]
    xs = _points(*shapes)
    ((got, _),) = _host(fn, xs)
    want = jax.jit(jax.vmap(fn))(*xs)  # compiled: one dispatch, not one per op
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", list(CASES))
def test_bounds_match_the_jax_interpreter(name):
    """The rounding-error bounds are ``checks._src.evaluate.rounding``'s, rule for
    rule."""
    fn, shapes = CASES[name]
    xs = _points(*shapes, dtype=np.float32)
    ((value, bound),) = _host(fn, xs, bounds=True)
    avals = [jax.ShapeDtypeStruct(x.shape[1:], x.dtype) for x in xs]
    want_value, want_bound = jax.jit(jax.vmap(with_error_bound(fn, *avals)))(*xs)
    np.testing.assert_allclose(value, want_value, rtol=1e-5, atol=1e-30)
    bound = np.zeros(value.shape) if bound is None else bound
    np.testing.assert_allclose(bound, want_bound, rtol=1e-6, atol=1e-300)


@pytest.mark.parametrize("name", ["softmax", "matrix product", "powers", "reductions"])
def test_float32_values_are_within_their_bounds_of_float64(name):
    fn, shapes = CASES[name]
    xs = _points(*shapes, dtype=np.float32)
    ((value, bound),) = _host(fn, xs, bounds=True)
    ((exact, _),) = _host(fn, [x.astype(np.float64) for x in xs])
    assert value.dtype == np.float32
    assert np.all(np.abs(value.astype(np.float64) - exact) <= bound)
    assert np.any(bound > 0)


def test_integer_arithmetic_wraps_as_in_jax():
    def mix(s):
        z = (s ^ (s >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        return z + jnp.arange(3, dtype=jnp.uint64)

    seeds = np.array([0, 1, 2**63 + 5, 2**64 - 1], np.uint64)
    ((got, _),) = interpret.evaluate(jax.make_jaxpr(mix)(seeds[0]), [seeds])
    np.testing.assert_array_equal(got, jax.vmap(mix)(seeds))


def test_jax_random_bits_are_reproduced_exactly():
    def draw(seed):
        key = jax.random.key(seed)
        return (
            jax.random.bits(key, (3, 2)),
            jax.random.uniform(key, (4,), jnp.float32),
            jax.random.bernoulli(key, 0.3, (5,)),
            jax.random.bits(key, (2,), jnp.uint64),
        )

    seeds = np.array([0, 7, 2**32 - 1], np.uint32)
    outs = interpret.evaluate(jax.make_jaxpr(draw)(seeds[0]), [seeds])
    for (got, _), want in zip(outs, jax.vmap(draw)(seeds)):
        np.testing.assert_array_equal(got, want)


def test_what_it_cannot_evaluate_is_said_before_evaluating():
    closed = jax.make_jaxpr(lambda x: lax.erf_inv(x) + jnp.sort(x))(jnp.ones(3))
    assert not interpret.supported(closed)
    with pytest.raises(interpret.Unsupported):
        interpret.evaluate(closed, [np.ones((2, 3))])


def test_a_quotient_too_small_for_float64_still_bounds_the_error():
    """(e_y/|y|)·|z|: z/y underflows to a subnormal, which XLA flushes to zero."""

    def f(c):
        d = jnp.exp(c)  # about 1e155, with an error bound of about 1e142
        return 1.0 / (1.0 + d) * d

    c = np.array([357.0])
    avals = [jax.ShapeDtypeStruct((), jnp.float64)]
    _, compiled = jax.jit(jax.vmap(with_error_bound(f, *avals)))(c)
    ((_, host),) = _host(f, [c], bounds=True)
    # exp's 4 ulps reach z ≈ 1 twice: through d, and through 1/(1 + d).
    floor = 8 * 2.0**-53
    assert compiled[0] >= floor and host[0] >= floor
    np.testing.assert_allclose(compiled, host, rtol=1e-6)


def _both(fn, *xs):
    """(NumPy engine, jax.jit) values of ``fn`` at a batch of points."""
    avals = [jax.ShapeDtypeStruct(np.shape(x)[1:], np.asarray(x).dtype) for x in xs]
    closed = trace_as_written(fn, *avals)
    ((got, _),) = interpret.evaluate(closed, [np.asarray(x) for x in xs])
    want = jax.jit(jax.vmap(core.jaxpr_as_fun(closed)))(*xs)[0]
    return got, np.asarray(want)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
def test_values_match_xla_in_every_float_dtype(dtype):
    x = RNG.uniform(0.1, 3.0, size=(B, 4)).astype(jnp.dtype(dtype))

    def fn(a):
        return jnp.exp(-a) * a / 3 + jnp.log(a) - jnp.sum(a**2) * jnp.tanh(a)

    got, want = _both(fn, x)
    assert got.dtype == want.dtype == jnp.dtype(dtype)
    # Library functions (exp, log, tanh) may differ in their last bits.
    eps = float(jnp.finfo(dtype).eps)
    want64 = want.astype(np.float64)
    np.testing.assert_allclose(
        got.astype(np.float64), want64, rtol=0, atol=16 * eps * np.abs(want64).max()
    )
    if dtype != "float64":  # each operation rounded once, as XLA (no a·b + c to fuse)
        exact = _both(lambda a: (a + 1) / a - a, x)
        np.testing.assert_array_equal(*(v.astype(np.float64) for v in exact))


def test_low_precision_floats_carry_a_rounding_bound():
    x = np.full((B, 3), 0.3, jnp.bfloat16)
    ((_, bound),) = _host(lambda a: a / 3, [x], bounds=True)
    assert bound is not None and np.all(bound >= 2.0**-9 * 0.1 / 2)


@pytest.mark.parametrize(
    "fn, xs",
    [
        (lambda a, b: jnp.log(a * b), [np.array([1e-10]), np.array([1e-300])]),
        (jnp.sqrt, [np.array([1e-310, 4.0])]),
        (
            lambda a: jnp.where(a * np.float32(1e-30) > 0, 1.0, -1.0),
            [np.array([1e-10, 1.0], np.float32)],
        ),
        (lambda a: (a * 2).astype(jnp.float32), [np.array([1e-40, 1.0])]),
        # float16 runs in float32 on XLA's CPU: its subnormals are kept
        (lambda a: a * 1.5 + a, [np.array([1e-7, 3e-6, 1.0], np.float16)]),
        (lambda a: a * 1.5, [np.array([1e-39, 1.0], ml_dtypes.bfloat16)]),
    ],
)
def test_subnormals_are_flushed_to_zero_as_by_xla(fn, xs):
    got, want = _both(
        fn, *[x[:, None] if x.ndim == 1 and x.size > 1 else x[None] for x in xs]
    )
    np.testing.assert_array_equal(got, want)


def test_float16_subnormals_are_kept_as_by_xla():
    # XLA's CPU computes float16 in float32 and keeps float16's subnormals
    # (6e-8 to 6e-5); σ(−13) = 2.26e-6 is one, reached by an exp in log_sigmoid's
    # gradient
    x = np.array([[1e-3, 3e-3, 1e-6, -13.0, 13.0]], np.float16)

    def fn(a):
        grad = jax.vmap(jax.grad(jax.nn.log_sigmoid))(a)
        return jnp.stack([a * a, a * 2, jnp.exp(a), jax.nn.sigmoid(-a), grad])

    got, want = _both(fn, x)
    subnormal = (want != 0) & (np.abs(want.astype(np.float64)) < 6.1e-5)
    assert np.count_nonzero(subnormal) >= 4
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint32, np.uint8])
def test_integer_division_and_remainder_by_zero_as_xla(dtype):
    info = np.iinfo(dtype)
    x = np.array([7, info.min, info.max, 0, 5, 6], dtype)
    y = np.array([0, 0, 0, 0, 2, 4], dtype)
    if info.min < 0:
        x = np.concatenate([x, np.array([info.min, -7, -7], dtype)])
        y = np.concatenate([y, np.array([-1, 2, -2], dtype)])
    for op in (lax.div, lax.rem):
        got, want = _both(op, x[:, None], y[:, None])
        np.testing.assert_array_equal(got, want)


def test_nan_propagates_through_min_and_max_as_in_xla():
    x = np.array([[np.nan, 1.0, 2.0], [1.0, np.nan, -np.inf]])
    y = np.array([[1.0, np.nan, np.nan], [0.0, 0.0, np.nan]])

    def fn(a, b):
        return jnp.stack(
            [
                jnp.maximum(a, b),
                jnp.minimum(a, b),
                jnp.broadcast_to(jnp.max(a), a.shape),
                jnp.broadcast_to(jnp.min(b), b.shape),
                jnp.clip(a, -1.0, b),
                lax.cummax(a, 0),
            ]
        )

    got, want = _both(fn, x, y)
    np.testing.assert_array_equal(got, want)


def test_cumsum_bounds_count_the_terms_on_the_host_too():
    """[1e17, 1, −1e17]: the last partial sum is 0 where the exact one is 1."""
    x = np.array([[1e17, 1.0, -1e17]])
    for fn, k in ((jnp.cumsum, 2), (lambda a: lax.cumsum(a, reverse=True), 0)):
        ((value, bound),) = _host(fn, [x], bounds=True)
        assert value[0, k] == 0.0 and bound[0, k] >= 1.0
