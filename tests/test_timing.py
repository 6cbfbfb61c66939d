"""``checks.time_check`` and ``checks.profile_check``: what a check costs, and a
clear error for what they cannot time."""

import jax
import jax.numpy as jnp
import pytest

import checks
from checks._src.run.timing import PARTS
from tests.examples import bce_grad_beta, softmax_jacobian


def test_time_check_times_the_compiled_check_at_the_given_sizes():
    t = checks.time_check(
        softmax_jacobian, samples=64, dtypes=["float64", "float32"], sizes={"k": 5}
    )
    assert (t.name, t.sizes, t.samples) == ("softmax_jacobian", {"k": 5}, 64)
    assert t.dtypes == ("float64", "float32") and t.devices == 1
    assert len(t.runs) >= 3 and t.compile_s > 0
    assert t.fastest_s <= t.mean_s and t.points_per_s == 64 / t.mean_s


def test_time_check_times_a_custom_rule():
    @checks.rule(inputs={"x": checks.domain.real()})
    @jax.custom_vjp
    def softplus(x):
        return jnp.logaddexp(x, 0.0)

    softplus.defvjp(lambda x: (softplus(x), x), lambda x, g: (g * jax.nn.sigmoid(x),))
    assert checks.time_check(softplus, samples=32, least=0.0).samples == 32
    with pytest.raises(checks.OptionError, match="Jacobian-form"):
        checks.profile_check(softplus, samples=32, least=0.0)


def test_profile_check_times_every_part():
    parts = checks.profile_check(bce_grad_beta, samples=64, least=0.0)
    assert list(parts) == list(PARTS)
    assert all(seconds > 0 for seconds in parts.values())


def test_what_cannot_be_timed_is_a_clear_error():
    @checks.claim.count(stated="1")
    def one():
        return 1

    with pytest.raises(checks.OptionError, match="is a claim"):
        checks.time_check(one)
    with pytest.raises(checks.OptionError, match="samples must be"):
        checks.time_check(bce_grad_beta, samples=0)
    with pytest.raises(checks.OptionError, match="device must be cpu or gpu"):
        checks.time_check(bce_grad_beta, device="all")
    with pytest.raises(checks.OptionError, match="least must be"):
        checks.profile_check(bce_grad_beta, least=-1)
    with pytest.raises(checks.OptionError, match="has a size named 'k'"):
        checks.time_check(bce_grad_beta, sizes={"k": 3})
    with pytest.raises(checks.DeclarationError, match="is not a derivation"):
        checks.time_check(len)
