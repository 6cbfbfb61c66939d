"""Parts of a check evaluated by NumPy on their own (``checks._src.evaluate.on_host``)
give exactly what they give as part of the whole: one side of a point evaluator, a
custom domain's points, an order-0 reference's trace."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import checks
from checks._src.declare import domain, sampling
from checks._src.declare.declare import as_derivation
from checks._src.evaluate import case_program, on_host
from checks._src.evaluate.reference import reference
from checks._src.evaluate.rounding import trace_as_written
from checks._src.store import identity
from examples import bce_grad_beta


def _points(d, dims, n=64):
    root = np.asarray(sampling.stream(3))
    return [
        on_host.draw(dom, sampling.substream_of(root, i), n, dims, jnp.float64)[0]
        for i, dom in enumerate(d.inputs.values())
    ]


def _same(a, b):
    return all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("engine", ["auto", "xla"])
def test_one_side_of_a_point_evaluator_is_what_both_sides_give(engine):
    checks.clear_caches()
    d = as_derivation(bce_grad_beta)
    dims = next(iter(d.dims_cases()))
    xs = _points(d, dims)
    with on_host.engine(engine):
        both = case_program.point_evaluator(d, dims)(*xs)
        closed = case_program.point_evaluator(d, dims, ("closed",))(*xs)
        ref = case_program.point_evaluator(d, dims, ("reference",))(*xs)
    assert len(both) == 4 and len(closed) == 2 and len(ref) == 2
    assert _same(closed, both[:2]) and _same(ref, both[2:])
    assert not _same(closed, ref)  # the two sides are different arrays


@pytest.mark.parametrize("engine", ["auto", "xla"])
def test_a_side_that_is_not_one_is_refused(engine):
    d = as_derivation(bce_grad_beta)
    with on_host.engine(engine):
        for sides in [("closed", "autodiff"), ()]:
            with pytest.raises(ValueError, match="sides must be some of"):
                case_program.point_evaluator(d, {}, sides)


def _distinct(key, shape, dtype):
    u = jax.random.uniform(key, shape, jnp.float64)
    return (jnp.argsort(u, axis=-1) - (shape[-1] - 1) / 2).astype(dtype)


def _scaled(key, shape, dtype):
    return jnp.exp(jax.random.uniform(key, shape, dtype)) * jnp.cos(3.0)


def _normal(key, shape, dtype):  # erf_inv: not evaluated by NumPy, compiled
    return jax.random.normal(key, shape, dtype)


@pytest.mark.parametrize(
    "sampler, exact", [(_distinct, True), (_scaled, False), (_normal, True)]
)
def test_a_custom_domain_is_drawn_by_the_engine_that_evaluates_points(sampler, exact):
    """NumPy draws what the compiled sampler draws, bit for bit where the sampler
    computes exactly (integers, comparisons, uniform bits) or NumPy cannot
    evaluate it (compiled then); within rounding where it computes ``exp``."""
    checks.clear_caches()
    dom = domain.custom(sampler, (5,))
    stream = sampling.substream_of(np.asarray(sampling.stream(11)), 2)
    here, strata = on_host.draw(dom, stream, 200, {}, jnp.float64)
    with on_host.engine("xla"):
        compiled, compiled_strata = on_host.draw(dom, stream, 200, {}, jnp.float64)
    direct = np.asarray(dom.sample(jnp.asarray(stream), 200, {}, jnp.float64)[0])
    assert np.array_equal(compiled, direct)
    assert np.array_equal(strata, compiled_strata)
    if exact:
        assert np.array_equal(here, compiled)
    np.testing.assert_allclose(here, compiled, rtol=1e-15, atol=0)
    kept = here.copy()
    here[0, 0] = 1e9  # a copy: what the run keeps is not changed
    again, _ = on_host.draw(dom, stream, 200, {}, jnp.float64)
    assert np.array_equal(again, kept)


def test_a_built_in_domain_drawn_here_is_its_numpy_sampler():
    dom = domain.unit_interval(shape=(3,))
    stream = np.uint64(12345)
    x, s = on_host.draw(dom, stream, 50, {}, jnp.float64)
    y, t = dom.sample_on_host(stream, 50, {}, jnp.float64)
    assert np.array_equal(x, y) and np.array_equal(s, t)


def _cube(x):
    return jnp.sum(x**3)


def test_an_order_0_reference_is_the_trace_of_of_itself():
    checks.clear_caches()
    avals = (jax.ShapeDtypeStruct((4,), jnp.float64),)
    fast = on_host._derivative(_cube, 0, 0, avals)
    assert fast is on_host.traced(_cube, avals)  # traced once, not twice
    slow = trace_as_written(reference(_cube, 0, 0, avals), *avals)
    assert str(fast) == str(slow)
    first = on_host._derivative(_cube, 0, 1, avals)  # order 1: its own trace
    assert first is not fast and "mul" in str(first)


def _doubled(key, shape, dtype):
    return 2.0 * jax.random.uniform(key, shape, dtype)


def test_a_custom_sampler_is_traced_once_per_run_for_its_key_and_its_draws():
    """The key of a stored result reads the trace NumPy evaluates: one trace per
    run, the same jaxpr as tracing it afresh; a new run traces it again."""
    checks.clear_caches()
    dom = domain.custom(_doubled, (3,))
    first = on_host.sampler_jaxpr(dom, 100, {}, "float64")
    assert on_host.sampler_jaxpr(dom, 100, {}, jnp.float64) is first  # fast path
    assert on_host._sampler(dom, 100, {}, jnp.dtype("float64")).closed is first
    fresh = jax.make_jaxpr(lambda k: dom.sample(k, 100, {}, "float64"))(
        sampling.stream(0)
    )
    assert identity.jaxpr_digest(first) == identity.jaxpr_digest(fresh)
    assert on_host.sampler_jaxpr(dom, 50, {}, "float64") is not first  # other n
    checks._src.run.caches.clear("run")  # a new run: traced again (slow path)
    again = on_host.sampler_jaxpr(dom, 100, {}, "float64")
    assert again is not first
    assert identity.jaxpr_digest(again) == identity.jaxpr_digest(first)
