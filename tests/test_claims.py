"""Claims: each form both ways (a true claim passes, a false one fails)."""

import jax
import jax.numpy as jnp
import pytest

import checks
from checks import DeclarationError, claim
from checks._src.declare import domain

PQ = {"p": domain.simplex(("k",)), "q": domain.simplex(("k",))}
K = {"k": (2, 4)}


def entropy(p):
    return -jnp.sum(p * jnp.log(p))


def cross_entropy(p, q):
    return -jnp.sum(p * jnp.log(q))


def kl(p, q):
    return jnp.sum(p * jnp.log(p / q))


def outcome(fn):
    return checks.verify(fn, samples=400).outcome


def test_a_stated_value_passes_at_its_printed_precision_and_fails_beyond_it():
    @claim.value(stated="0.81", unit="bits")
    def right():
        return -(0.75 * jnp.log2(0.75) + 0.25 * jnp.log2(0.25))  # 0.8113

    @claim.value(stated="0.82", unit="bits")
    def off_by_one_in_the_last_digit():
        return -(0.75 * jnp.log2(0.75) + 0.25 * jnp.log2(0.25))

    @claim.value(stated="0.811")
    def three_digits():
        return -(0.75 * jnp.log2(0.75) + 0.25 * jnp.log2(0.25))

    assert outcome(right) == "pass"
    assert outcome(off_by_one_in_the_last_digit) == "fail"
    assert outcome(three_digits) == "pass"


def test_a_truncated_value_is_read_as_truncated():
    @claim.value(stated="0.666", truncated=True)
    def two_thirds_truncated():
        return jnp.asarray(2 / 3)

    @claim.value(stated="0.666")
    def two_thirds_rounded():
        return jnp.asarray(2 / 3)  # 0.6667 rounds to 0.667

    assert outcome(two_thirds_truncated) == "pass"
    assert outcome(two_thirds_rounded) == "fail"


def test_a_truncated_negative_value_holds_its_printed_number_and_below():
    @claim.value(stated="-0.5", truncated=True)
    def minus_a_half():
        return jnp.asarray(-0.5)

    @claim.value(stated="-0.666", truncated=True)
    def minus_two_thirds():
        return jnp.asarray(-2 / 3)

    @claim.value(stated="-0.5", truncated=True)
    def minus_0_49():
        return jnp.asarray(-0.49)  # cut to -0.4

    @claim.value(stated="-0.5", truncated=True)
    def minus_0_6():
        return jnp.asarray(-0.6)

    assert outcome(minus_a_half) == "pass"
    assert outcome(minus_two_thirds) == "pass"
    assert outcome(minus_0_49) == "fail"
    assert outcome(minus_0_6) == "fail"


def test_a_stated_array_is_checked_entry_by_entry():
    @claim.value(stated=["0.09003057", "0.24472847", "0.66524096"])
    def softmax_123():
        return jax.nn.softmax(jnp.asarray([1.0, 2.0, 3.0]))

    @claim.value(stated=["0.09003057", "0.24472847", "0.66524097"])
    def softmax_123_last_digit_off():
        return jax.nn.softmax(jnp.asarray([1.0, 2.0, 3.0]))

    assert outcome(softmax_123) == "pass"
    result = checks.verify(softmax_123_last_digit_off)
    assert result.outcome == "fail"
    assert result.cases[0].counterexample.element == [2]


def test_a_true_identity_passes_and_a_false_one_fails_with_a_counterexample():
    @claim.identity(inputs=PQ, dims=K)
    def kl_is_cross_entropy_minus_entropy(p, q):
        return kl(p, q), cross_entropy(p, q) - entropy(p)

    @claim.identity(inputs=PQ, dims=K)
    def kl_is_cross_entropy_plus_entropy(p, q):
        return kl(p, q), cross_entropy(p, q) + entropy(p)

    assert outcome(kl_is_cross_entropy_minus_entropy) == "pass"
    result = checks.verify(kl_is_cross_entropy_plus_entropy, samples=300)
    assert result.outcome == "fail"
    assert set(result.cases[0].counterexample.inputs) == {"p", "q"}


def test_an_approximation_holds_within_its_stated_tolerance_only():
    near_one = {
        "x": domain.custom(lambda k, s, d: jax.random.uniform(k, s, d, 0.99, 1.01))
    }

    @claim.identity(inputs=near_one, atol=1e-4)
    def minus_log_is_one_minus_x_near_one(x):
        return -jnp.log(x), 1 - x

    @claim.identity(inputs={"x": domain.unit_interval()}, atol=1e-4)
    def minus_log_is_one_minus_x_everywhere(x):
        return -jnp.log(x), 1 - x

    assert outcome(minus_log_is_one_minus_x_near_one) == "pass"
    assert outcome(minus_log_is_one_minus_x_everywhere) == "fail"


def test_inequalities_both_ways_at_the_edges_of_the_simplex():
    @claim.inequality(inputs=PQ, dims=K)
    def kl_is_nonnegative(p, q):
        return jnp.zeros(()), kl(p, q)

    @claim.inequality(inputs=PQ, dims=K)
    def cross_entropy_is_at_most_entropy(p, q):
        return cross_entropy(p, q), entropy(p)

    assert outcome(kl_is_nonnegative) == "pass"
    assert outcome(cross_entropy_is_at_most_entropy) == "fail"


def test_not_in_general_passes_with_a_witness_and_fails_without_one():
    @claim.differs(inputs=PQ, dims=K)
    def cross_entropy_is_not_symmetric(p, q):
        return cross_entropy(p, q), cross_entropy(q, p)

    @claim.differs(inputs=PQ, dims=K)
    def sum_is_not_symmetric(p, q):
        return jnp.sum(p * q), jnp.sum(q * p)

    result = checks.verify(cross_entropy_is_not_symmetric, samples=300)
    assert result.outcome == "pass"
    assert result.cases[0].counterexample is not None  # the witness
    assert outcome(sum_is_not_symmetric) == "fail"


def test_convexity_both_ways():
    @claim.convex(wrt="x", inputs={"x": domain.positive(("n",))}, dims={"n": 3})
    def negative_log_sum_is_convex(x):
        return -jnp.sum(jnp.log(x))

    @claim.convex(wrt="x", inputs={"x": domain.real(("n",))}, dims={"n": 3})
    def sine_sum_is_convex(x):
        return jnp.sum(jnp.sin(x))

    @claim.nonconvex(wrt="t", inputs={"t": domain.real()})
    def squared_error_of_a_sigmoid_is_not_convex(t):
        return (jax.nn.sigmoid(t) - 1.0) ** 2

    @claim.nonconvex(wrt="t", inputs={"t": domain.real()})
    def square_is_not_convex(t):
        return t**2

    assert outcome(negative_log_sum_is_convex) == "pass"
    assert outcome(sine_sum_is_convex) == "fail"
    assert outcome(squared_error_of_a_sigmoid_is_not_convex) == "pass"
    assert outcome(square_is_not_convex) == "fail"


def test_claims_are_reported_with_their_kind():
    @claim.value(stated="2")
    def two():
        return jnp.asarray(2.0)

    assert checks.verify(two).to_dict()["kind"] == "claim"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: claim.value(stated=0.81)(lambda: 0.81), "as printed"),
        (lambda: claim.value(stated="zero")(lambda: 0.0), "not a number"),
        (lambda: claim.identity()(lambda: (0, 0)), "needs inputs="),
        (
            lambda: claim.convex(wrt="y", inputs={"x": domain.real()})(lambda x: x),
            "wrt=",
        ),
        (lambda: claim.value(stated="1", expect="fail")(lambda: 1.0), "why="),
    ],
)
def test_bad_claims_are_refused_at_declaration(make, message):
    with pytest.raises(DeclarationError, match=message):
        make()


def test_false_claims_with_array_sides_fail_with_a_counterexample():
    logits = {"a": domain.real(("k",))}

    @claim.identity(inputs=logits, dims={"k": 3})
    def off_by_one(a):
        return a, a + 1

    @claim.inequality(inputs=logits, dims={"k": 3})
    def larger_is_smaller(a):
        return a + 1, a

    for fn in (off_by_one, larger_is_smaller):
        result = checks.verify(fn, samples=50)
        assert result.outcome == "fail"
        assert result.cases[0].counterexample is not None


def test_claims_of_many_samples_are_judged_chunk_by_chunk(monkeypatch):
    from checks._src.evaluate import case_plan

    monkeypatch.setattr(case_plan, "MAX_CHUNK", 64)

    @claim.identity(inputs=PQ, dims={"k": 3})
    def kl_is_cross_entropy_minus_entropy(p, q):
        return kl(p, q), cross_entropy(p, q) - entropy(p)

    @claim.inequality(inputs=PQ, dims={"k": 3})
    def cross_entropy_is_at_most_entropy(p, q):
        return cross_entropy(p, q), entropy(p)

    @claim.differs(inputs=PQ, dims={"k": 3})
    def cross_entropy_is_not_symmetric(p, q):
        return cross_entropy(p, q), cross_entropy(q, p)

    @claim.convex(wrt="x", inputs={"x": domain.real(("n",))}, dims={"n": 3})
    def sine_sum_is_convex(x):
        return jnp.sum(jnp.sin(x))

    right = checks.verify(kl_is_cross_entropy_minus_entropy, samples=200)
    assert right.outcome == "pass" and right.cases[0].checked == 200
    wrong = checks.verify(cross_entropy_is_at_most_entropy, samples=200)
    assert wrong.outcome == "fail" and "of 200 points" in wrong.cases[0].message
    assert wrong.cases[0].counterexample is not None
    witness = checks.verify(cross_entropy_is_not_symmetric, samples=200)
    assert witness.outcome == "pass" and "of 200 points" in witness.cases[0].message
    concave = checks.verify(sine_sum_is_convex, samples=200)
    assert concave.outcome == "fail" and "eigenvalue" in concave.cases[0].message
