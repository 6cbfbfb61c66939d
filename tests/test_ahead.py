"""Compiling ahead, several cases to a program: same outputs, and a case that
cannot be compiled never stops the others."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import checks
from checks._src.evaluate import ahead
from examples import bce_grad_beta, bce_grad_beta_sign_flipped, softmax_jacobian


@pytest.fixture(autouse=True)
def clean():
    ahead.reset()
    yield
    ahead.reset()


def job(key, fn, *args, once=True):
    return ahead.Job(key, jax.jit(fn), args, jax.devices()[0], once, {})


def test_batched_jobs_give_each_its_own_outputs():
    x = jnp.arange(4.0)
    jobs = [job(i, lambda v, i=i: v * i + 1, x) for i in range(5)]
    ahead.submit(jobs)
    for i, j in enumerate(jobs):
        out = ahead.compiled(i, j.jitted)(x)
        np.testing.assert_array_equal(out, x * i + 1)


def test_other_arguments_are_computed_by_the_case_itself():
    x = jnp.arange(4.0)
    jobs = [job(i, lambda v, i=i: v + i, x) for i in range(3)]
    ahead.submit(jobs)
    np.testing.assert_array_equal(ahead.compiled(1, jobs[1].jitted)(x + 10), x + 11)


def test_a_job_that_cannot_be_traced_leaves_the_others_compiled():
    def broken(v):
        raise ValueError("no")

    x = jnp.arange(3.0)
    jobs = [job("a", lambda v: v + 1, x), job("b", broken, x), job("c", jnp.sin, x)]
    ahead.submit(jobs)
    np.testing.assert_array_equal(ahead.compiled("a", jobs[0].jitted)(x), x + 1)
    np.testing.assert_allclose(ahead.compiled("c", jobs[2].jitted)(x), jnp.sin(x))
    with pytest.raises(ValueError, match="no"):
        ahead.compiled("b", jobs[1].jitted)(x)


def test_a_job_that_runs_many_times_is_compiled_on_its_own():
    x = jnp.arange(3.0)
    jobs = [job("many", lambda v: 2 * v, x, once=False)]
    ahead.submit(jobs)
    program = ahead.compiled("many", jobs[0].jitted)
    np.testing.assert_array_equal(program(x), 2 * x)
    np.testing.assert_array_equal(program(x + 1), 2 * x + 2)


def test_a_run_compiled_ahead_gives_the_verdicts_of_single_checks():
    entries = [bce_grad_beta, bce_grad_beta_sign_flipped, softmax_jacobian]
    together = checks.check_all(entries, samples=200).results
    for fn, result in zip(entries, together):
        alone = checks.verify(fn, samples=200)
        assert result.status == alone.status
        for a, b in zip(result.cases, alone.cases):
            assert (a.status, a.checked, a.stability) == (
                b.status,
                b.checked,
                b.stability,
            )
            if b.counterexample:
                assert a.counterexample.inputs == b.counterexample.inputs
