"""Every domain's samples lie in the domain, in every dtype, edges included."""

import jax.numpy as jnp
import numpy as np
import pytest

from checks._src.declare import domain, sampling
from checks._src.declare.domain import DomainError

N = 4000
DTYPES = ("float64", "float32")


def draw(dom, dtype, dims=None, seed=0):
    x, s = dom.sample(sampling.stream(seed), N, dims or {}, dtype)
    return np.asarray(x), np.asarray(s)


@pytest.mark.parametrize("dtype", DTYPES)
def test_unit_interval_is_open_and_reaches_both_edges(dtype):
    x, s = draw(domain.unit_interval((3,)), dtype)
    assert x.dtype == np.dtype(dtype)
    assert np.all(x > 0) and np.all(x < 1)
    assert x.min() < 1e-10
    assert 1 - x.max() <= 10 * np.finfo(dtype).eps
    assert set(np.unique(s)) == {0, 1, 2}


@pytest.mark.parametrize("dtype", DTYPES)
def test_real_reaches_large_and_small_magnitudes_and_ties(dtype):
    x, s = draw(domain.real(("k",), scale=2.0), dtype, {"k": 4})
    assert np.all(np.isfinite(x))
    assert np.abs(x).max() > 30  # 4·scale to 30·scale
    assert np.abs(x).min() < 1e-6
    ties = x[s == 3]
    assert len(ties) and np.all(ties == ties[:, :1])
    assert set(np.unique(s)) == {0, 1, 2, 3}


@pytest.mark.parametrize("dtype", DTYPES)
def test_positive_is_positive(dtype):
    x, _ = draw(domain.positive((2,)), dtype)
    assert np.all(x > 0) and np.all(np.isfinite(x))
    assert x.min() < 1e-7 and x.max() > 1e3


@pytest.mark.parametrize("dtype", DTYPES)
def test_simplex_is_positive_and_sums_to_one_with_vertices(dtype):
    x, s = draw(domain.simplex(("k",)), dtype, {"k": 5})
    assert np.all(x > 0)
    np.testing.assert_allclose(x.sum(-1), 1, rtol=10 * np.finfo(dtype).eps)
    assert x.min() < (1e-20 if dtype == "float64" else 1e-10)
    np.testing.assert_allclose(x[s == 2], 0.2, rtol=1e-6)  # the centre


def test_one_hot_has_exactly_one_one_per_row():
    x, _ = draw(domain.one_hot(("m", "k")), "float32", {"m": 3, "k": 4})
    assert x.shape == (N, 3, 4)
    assert set(np.unique(x)) == {0.0, 1.0}
    np.testing.assert_array_equal(x.sum(-1), 1)
    assert set(np.argmax(x, -1).ravel()) == {0, 1, 2, 3}


def test_integers_lie_in_range():
    x, _ = draw(domain.integers(-2, 3, ("n",)), "float64", {"n": 6})
    assert x.dtype == np.int32
    assert x.min() == -2 and x.max() == 2


def test_fixed_is_the_value_every_time():
    x, _ = draw(domain.fixed([1.5, -2.0]), "float32")
    assert x.shape == (N, 2)
    np.testing.assert_array_equal(x, np.broadcast_to([1.5, -2.0], (N, 2)))


def test_custom_uses_the_given_sampler():
    def sample(key, shape, dtype):
        import jax

        return jax.random.uniform(key, shape, dtype, 5.0, 6.0)

    x, _ = draw(domain.custom(sample, ("k",)), "float32", {"k": 2})
    assert x.shape == (N, 2) and np.all((x >= 5) & (x <= 6))


def test_same_seed_same_samples_other_seed_other_samples():
    dom = domain.real((3,))
    a, _ = draw(dom, "float64", seed=1)
    b, _ = draw(dom, "float64", seed=1)
    c, _ = draw(dom, "float64", seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_uniform_is_uniform():
    u = np.asarray(sampling.uniform(sampling.stream(3), (200_000,)))
    assert 0 < u.min() and u.max() < 1
    counts, _ = np.histogram(u, bins=20, range=(0, 1))
    assert np.all(np.abs(counts - 10_000) < 500)  # ~5 standard deviations
    z = np.asarray(sampling.normal(sampling.stream(4), (200_000,)))
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01


@pytest.mark.parametrize(
    "make",
    [
        lambda: domain.simplex(()),
        lambda: domain.one_hot(()),
        lambda: domain.integers(3, 3),
        lambda: domain.real(scale=-1.0),
        lambda: domain.real(shape=(0,)),
        lambda: domain.fixed("text"),
    ],
)
def test_nonsense_domains_are_refused(make):
    with pytest.raises(DomainError):
        make()


def test_samples_have_the_declared_dtype_in_bfloat16():
    x, _ = domain.unit_interval().sample(sampling.stream(0), 100, {}, "bfloat16")
    assert x.dtype == jnp.bfloat16
    assert bool(jnp.all((x > 0) & (x < 1)))


BUILT_IN = [
    domain.real(),
    domain.real((3, 4), scale=2.0),
    domain.positive((5,)),
    domain.unit_interval((2, 3)),
    domain.simplex((2, 7)),
    domain.one_hot((3, 5)),
    domain.integers(-3, 9, (3,)),
    domain.fixed([1.0, 2.0]),
]


@pytest.mark.parametrize("dtype", ("float64", "float32", "bfloat16"))
@pytest.mark.parametrize("dom", BUILT_IN, ids=lambda d: d.describe())
def test_numpy_sampler_draws_what_the_jax_sampler_draws(dom, dtype):
    """The NumPy draw is the JAX draw's jaxpr evaluated by NumPy, bit for bit, and
    the compiled draw up to the last bits of ``log``/``cos``/``pow``."""
    import jax

    from checks._src.evaluate import interpret

    kind = dtype if dom.floating else "int32"
    stream = sampling.stream(11)
    closed = jax.make_jaxpr(lambda k: dom.sample(k, N, {}, kind))(stream)
    (x, _), (s, _) = interpret.evaluate(closed, [np.asarray([stream], np.uint64)])
    host_x, host_s = dom.sample_on_host(np.asarray(stream), N, {}, kind)
    assert host_x.dtype == x[0].dtype == np.dtype(kind)
    np.testing.assert_array_equal(host_x, x[0])
    np.testing.assert_array_equal(host_s, s[0])
    compiled_x, compiled_s = draw(dom, kind, seed=11)
    np.testing.assert_array_equal(host_s, compiled_s)
    # float64 agrees to a few ulps; a narrower dtype rounds that float64 value,
    # which a last-bit difference can push to the neighbouring value
    rtol = 1e-13 if dtype == "float64" else 2 * float(jnp.finfo(dtype).eps)
    np.testing.assert_allclose(
        host_x.astype(np.float64), compiled_x.astype(np.float64), rtol=rtol, atol=0
    )


def test_a_custom_sampler_has_no_numpy_draw():
    dom = domain.custom(lambda key, shape, dtype: jnp.zeros(shape, dtype))
    assert dom.host_draw is None
    with pytest.raises(DomainError, match="no NumPy sampler"):
        dom.sample_on_host(np.uint64(0), 3, {}, "float32")
