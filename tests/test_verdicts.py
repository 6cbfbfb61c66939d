"""Each verdict rule both ways, and a broken closed form never hides the others."""

import jax
import jax.numpy as jnp
import pytest

import checks
from checks import derivation
from checks._src.declare import domain
from examples import (
    BCE_INPUTS,
    bce_grad_beta,
    bce_grad_beta_sign_flipped,
    binary_cross_entropy,
)


def check(closed_form, **declaration):
    declaration.setdefault("of", binary_cross_entropy)
    declaration.setdefault("wrt", "beta")
    declaration.setdefault("inputs", BCE_INPUTS)
    return checks.verify(closed_form, samples=400, **declaration)


def test_right_derivation_passes_in_float64_and_float32_at_the_edges():
    result = checks.verify(bce_grad_beta, samples=2000)
    assert result.status == "pass"
    for case in result.cases:
        assert case.checked == 2000  # near-0 and near-1 samples were all compared
        assert case.ratio <= 1


def test_wrong_derivation_fails_and_is_an_expected_failure():
    result = checks.verify(bce_grad_beta_sign_flipped, samples=400)
    assert result.outcome == "fail"
    assert result.status == "xfail" and result.ok


def test_right_derivation_declared_wrong_is_an_unexpected_pass():
    result = check(bce_grad_beta, expect="fail", why="it is not")
    assert result.status == "xpass" and not result.ok


def test_a_small_difference_of_large_terms_is_not_noise_in_float32():
    def grad_as_two_terms(alpha, beta):
        return -alpha / beta + (1 - alpha) / (1 - beta)

    assert check(grad_as_two_terms, dtypes=("float32",)).status == "pass"


def test_wrong_only_for_large_inputs_fails():
    def cube(x):
        return x**3

    def cube_grad_wrong_beyond_four(x):
        return jnp.where(jnp.abs(x) > 4, 3 * x**2 * (1 + 1e-3), 3 * x**2)

    result = checks.verify(
        cube_grad_wrong_beyond_four, of=cube, wrt="x", inputs={"x": domain.real()}
    )
    assert result.status == "fail"
    worst = next(c for c in result.cases if c.status == "fail")
    assert abs(worst.counterexample.inputs["x"]) > 4
    assert worst.counterexample.region == {"x": "large"}


def test_off_by_one_part_in_a_million_fails_in_float64():
    def slightly_off(alpha, beta):
        return (beta - alpha) / (beta * (1 - beta)) * (1 + 1e-6)

    result = check(slightly_off, dtypes=("float64",))
    assert result.status == "fail"


def test_nan_where_the_reference_is_finite_fails():
    def nan_near_zero(alpha, beta):
        g = (beta - alpha) / (beta * (1 - beta))
        return jnp.where(beta < 1e-3, jnp.nan, g)

    result = check(nan_near_zero)
    case = next(c for c in result.cases if c.status == "fail")
    assert "nan" in case.message
    assert case.counterexample.closed_form is None  # NaN becomes null in JSON


def test_points_where_the_reference_is_not_finite_are_left_out_and_counted():
    def log_of(x):
        return jnp.log(jnp.abs(x))

    @derivation(of=log_of, wrt="x", inputs={"x": domain.fixed(0.0)})
    def log_grad(x):
        return 1 / x

    result = checks.verify(log_grad, samples=10)
    assert result.status == "error"
    assert "no sampled point could be checked" in result.cases[0].message


def test_closed_form_that_raises_is_an_error_with_a_message():
    def raises(alpha, beta):
        raise ValueError("sign convention unclear")

    result = check(raises)
    assert result.status == "error"
    assert "sign convention unclear" in result.cases[0].message


def test_closed_form_that_jit_cannot_trace_is_an_error():
    def python_branch(alpha, beta):
        if beta > 0.5:  # a traced value in a Python `if`
            return beta
        return alpha

    result = check(python_branch)
    assert result.status == "error"
    assert "cannot be traced by jax.jit" in result.cases[0].message


def test_closed_form_with_the_wrong_shape_is_an_error():
    def softmax(a):
        return jax.nn.softmax(a)

    def jacobian_as_vector(a):
        s = jax.nn.softmax(a)
        return s * (1 - s)

    result = checks.verify(
        jacobian_as_vector,
        of=softmax,
        wrt="a",
        inputs={"a": domain.real(("k",))},
        dims={"k": (3,)},
    )
    assert result.status == "error"
    assert "shape (3,), expected (3, 3)" in result.cases[0].message


def test_one_broken_derivation_never_hides_the_others():
    def raises(alpha, beta):
        raise RuntimeError("boom")

    broken = checks._src.declare.declare.make_derivation(
        raises, of=binary_cross_entropy, wrt="beta", inputs=BCE_INPUTS
    )
    report = checks.check_all(
        [broken, checks._src.declare.declare.as_derivation(bce_grad_beta)], samples=100
    )
    assert [r.status for r in report.results] == ["error", "pass"]
    assert not report.ok


def test_second_order_derivations_are_checked_against_the_hessian():
    def quartic(x):
        return jnp.sum(x**4)

    inputs = {"x": domain.real(("n",))}

    def hessian(x):
        return jnp.diag(12 * x**2)

    def hessian_wrong(x):
        return jnp.diag(4 * x**3)

    right = checks.verify(
        hessian, of=quartic, wrt="x", inputs=inputs, order=2, dims={"n": 3}
    )
    wrong = checks.verify(
        hessian_wrong, of=quartic, wrt="x", inputs=inputs, order=2, dims={"n": 3}
    )
    assert right.status == "pass"
    assert wrong.status == "fail"


def test_assert_derivation_raises_with_the_readable_report():
    def wrong(alpha, beta):
        return (alpha - beta) / (beta * (1 - beta))

    with pytest.raises(AssertionError) as info:
        checks.assert_derivation(
            wrong, of=binary_cross_entropy, wrt="beta", inputs=BCE_INPUTS, samples=100
        )
    text = str(info.value)
    assert "FAIL" in text and "worst input found" in text and "beta =" in text
    checks.assert_derivation(bce_grad_beta, samples=100)


def test_same_seed_same_verdict_and_numbers():
    a = checks.verify(bce_grad_beta, samples=200, seed=5)
    b = checks.verify(bce_grad_beta, samples=200, seed=5)
    assert [c.max_abs_error for c in a.cases] == [c.max_abs_error for c in b.cases]


@pytest.mark.parametrize(
    ("x", "text", "truncated", "status"),
    [
        (0.8149, "0.81", False, "pass"),  # within half a unit of the last digit
        (0.8051, "0.81", False, "pass"),
        (0.8151, "0.81", False, "fail"),
        (0.8049, "0.81", False, "fail"),
        (-0.8149, "-0.81", False, "pass"),
        (-0.8151, "-0.81", False, "fail"),
        (1250.0, "1.2e3", False, "pass"),  # the unit of "1.2e3" is 100
        (1251.0, "1.2e3", False, "fail"),
        (0.6669, "0.666", True, "pass"),  # cut: from the number to the next
        (0.666, "0.666", True, "pass"),
        (0.667, "0.666", True, "fail"),
        (0.6659, "0.666", True, "fail"),
        (-0.5, "-0.5", True, "pass"),  # away from zero for a negative number
        (-0.5999, "-0.5", True, "pass"),
        (-0.6, "-0.5", True, "fail"),
        (-0.49, "-0.5", True, "fail"),
        (float("nan"), "0.5", False, "fail"),
        (float("nan"), "0.5", True, "fail"),
    ],
)
def test_a_printed_value_rule_both_ways(x, text, truncated, status):
    from checks._src.judge import compare

    assert compare.verdict(compare.printed_ratio(x, text, truncated)) == status


def test_a_dtype_jax_itself_promotes_is_named_as_such():
    """``jnp.fft.fft`` of bfloat16 computes in complex64: ``of`` and the closed
    form both return float32, which is JAX's doing, not a stray constant."""

    def energy(x):
        return jnp.sum(jnp.abs(jnp.fft.fft(x)) ** 2)

    def grad(x):
        return 2.0 * x.shape[0] * jnp.real(jnp.fft.ifft(jnp.fft.fft(x)))

    def grad_with_constant(x):
        return 2.0 * x.shape[0] * x * jnp.ones(x.shape, jnp.float32)

    declaration = {"of": energy, "wrt": "x", "inputs": {"x": domain.real((4,))}}
    result = checks.verify(grad, samples=20, dtypes=["bfloat16"], **declaration)
    (case,) = result.cases
    assert case.status == "error"
    assert case.message.startswith("of= and the closed form both return float32")
    assert "jnp.fft has no bfloat16" in case.message
    declaration["of"] = lambda x: 4.0 * jnp.sum(x * x)  # in bfloat16
    result = checks.verify(
        grad_with_constant, samples=20, dtypes=["bfloat16"], **declaration
    )
    message = result.cases[0].message
    assert message.startswith("closed form returns float32 for bfloat16 inputs")
    assert "a value of another dtype promotes it" in message
