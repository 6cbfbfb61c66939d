"""Every documented error of the catalog (``expect="fail"``, with its ``why``)
gets a diagnosis consistent with that ``why``; and the claims' diagnoses
(``checks._src.search.diagnose_claims``) are withheld where they do not hold."""

import json

import jax.numpy as jnp
import pytest

from checks import claim, verify
from checks._src.declare import domain
from checks._src.report.report import render_result
from derivations import CATALOG
from tests.mistakes import matches
from tests.test_cli import run

SAMPLES = 200  # as the catalog's documented run

# name -> (kind, details the first diagnosis must have): what each entry's why says.
EXPECTED = {
    # derivations
    "reversed_cross_entropy_grad_q": ("swapped", {"inputs": ["p", "q"]}),
    "binary_cross_entropy_grad_beta_cancellation_as_written": (
        "factor",
        {"name": "0"},
    ),
    "softmax_jacobian_quotient_rule_as_written": ("scaled-axis", {"axis": 0}),
    "softmax_jacobian_off_diagonal_as_written": (
        "structure",
        {"pattern": "off-diagonal"},
    ),
    "log_one_plus_exp_logit_grad_theta": ("own-entry", {"input": "theta"}),
    "example_log_loss_grad_w": (
        "substitution",
        {"input": "y", "value": 1, "sign": -1.0},
    ),
    "example_log_loss_grad_b": (
        "substitution",
        {"input": "y", "value": 1, "sign": -1.0},
    ),
    "batch_log_loss_grad_w_by_component": (
        "substitution",
        {"input": "Y", "value": 1, "sign": -1.0},
    ),
    "batch_log_loss_grad_b_by_example": (
        "substitution",
        {"input": "Y", "value": 1, "sign": -1.0},
    ),
    "calculate_derivatives_dW": ("other-wrt", {"input": "b"}),
    "calculate_derivatives_and_cost_vjp": ("part", {"part": "W", "equals": "b"}),
    # claims
    "entropy_first_order_taylor_is_minus_gini": ("factor", {"name": "-1"}),
    "negative_log_likelihood_as_log_of_reciprocal": ("factor", {"name": "-1"}),
    "gini_listing_computes_gini_impurity": (
        "region",
        {"threshold": {"feature": "the repeated entries of data", "op": ">"}},
    ),
    "compact_probability_equals_probability_by_cases": (
        "region",
        {"threshold": {"feature": "y", "op": "<", "at": 1.0}},
    ),
    "ordered_state_has_more_micro_states": ("reversed", {"equal": 0}),
    "n_values_need_log2_n_bits": ("reversed", {}),
    "min_cross_entropy_equals_min_kl": ("zero", {"zero": "right"}),
    "mnist_x_train_line_as_printed": ("shape", {"extra_axes": [784]}),
    "mnist_y_train_shape_as_printed": ("shape", {"extra_axes": [784]}),
    "mnist_y_test_shape_as_printed": ("shape", {"extra_axes": [784]}),
    "mnist_x_test_scaled_shape_as_printed": (
        "shape",
        {"axis": 0, "printed": 100000, "computed": 10000, "relation": "10x"},
    ),
    "iris_y_shape_as_printed": ("shape", {"extra_axes": [4]}),
    "training_output_initial_w_shape": (
        "shape",
        {"axis": 0, "printed": 5, "computed": 4, "relation": "off-by-one"},
    ),
    "final_cost_against_final_weights": ("bound", {"side": "below"}),
    "figure_4_average_cross_entropy_as_written": ("term", {}),
}
XFAILS = {e.name: e for e in CATALOG if e.expect == "fail"}


def test_the_table_covers_every_documented_error():
    assert set(EXPECTED) == set(XFAILS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_documented_error_gets_the_diagnosis_its_why_gives(name):
    entry = XFAILS[name]
    result = verify(entry, samples=SAMPLES)
    assert result.outcome == "fail", result.message
    assert result.diagnosis, f"{name}: no diagnosis (why: {entry.why})"
    kind, details = EXPECTED[name]
    first = result.diagnosis[0]
    assert first.kind == kind and matches(first.details, details), first
    assert f"diagnosis: {first.message}" in render_result(result)


def test_the_printed_value_names_the_flipped_terms():
    result = verify(XFAILS["figure_4_average_cross_entropy_as_written"])
    (found,) = result.diagnosis
    assert sorted(found.details["flipped"]) == ["ln(0.1)", "ln(0.4)"]
    assert abs(found.details["value"] - 1.3784) < 1e-4


def test_a_reversed_inequality_counts_its_points_of_equality():
    result = verify(XFAILS["n_values_need_log2_n_bits"], samples=SAMPLES)
    details = result.diagnosis[0].details
    assert 0 < details["equal"] < details["points"] == SAMPLES


# ---------------------------------------------------------------- claims both ways

_V = {"x": domain.real(("k",))}
_K = {"k": (3,)}


@claim.identity(inputs=_V, dims=_K, expect="fail", why="sign")
def negated_sum(x):
    return jnp.sum(x**2), -jnp.sum(x**2)


@claim.identity(inputs=_V, dims=_K, expect="fail", why="sign, and a little more")
def negated_sum_and_more(x):
    return jnp.sum(x**2), -jnp.sum(x**2) + 1e-3 * x[0]


@claim.identity(inputs=_V, dims=_K, expect="fail", why="a constant apart")
def shifted_sum(x):
    return jnp.sum(x**2) + 0.5, jnp.sum(x**2)


@claim.identity(inputs=_V, dims=_K, expect="fail", why="log base")
def log2_for_ln(x):
    return jnp.log2(1 + x**2), jnp.log(1 + x**2)


@claim.inequality(inputs=_V, dims=_K, expect="fail", why="backwards")
def square_below_its_half(x):
    return jnp.sum(x**2), 0.5 * jnp.sum(x**2)


@claim.inequality(inputs={"t": domain.real()}, expect="fail", why="for t ≤ 0 only")
def below_zero(t):
    return t, jnp.zeros(())


@claim.value(stated="0.500", expect="fail", why="half the computed value")
def half_of_one():
    return jnp.asarray(1.0)


@claim.value(stated="0.6931", expect="fail", why="ln 2 for log₂ 2")
def ln_two_for_log2_two():
    return jnp.log2(2.0)


@claim.value(stated="0.7", expect="fail", why="ln 2 × 1 to its one printed digit")
def seven_tenths_of_one():
    return jnp.asarray(1.0)


@pytest.mark.parametrize(
    "entry, kind, details",
    [
        (negated_sum, "factor", {"name": "-1"}),
        (shifted_sum, "difference", {}),
        (log2_for_ln, "factor", {"name": "1/ln 2"}),
        (square_below_its_half, "reversed", {}),
        (below_zero, "region", {"threshold": {"feature": "t", "op": ">", "at": 0}}),
        (half_of_one, "factor", {"name": "1/2"}),
        (ln_two_for_log2_two, "factor", {"name": "ln 2"}),
    ],
)
def test_a_claim_diagnosis_where_it_holds(entry, kind, details):
    result = verify(entry, samples=SAMPLES)
    assert result.outcome == "fail"
    first = result.diagnosis[0]
    assert first.kind == kind and matches(first.details, details), first


@pytest.mark.parametrize("entry", [negated_sum_and_more, seven_tenths_of_one])
def test_no_claim_diagnosis_where_it_does_not_hold(entry):
    result = verify(entry, samples=SAMPLES)
    assert result.outcome == "fail"
    assert "factor" not in [d.kind for d in result.diagnosis], result.diagnosis


def test_an_inequality_wrong_at_some_points_is_not_reversed():
    result = verify(below_zero, samples=SAMPLES)
    assert "reversed" not in [d.kind for d in result.diagnosis]


def test_the_json_and_the_documented_errors_list_carry_a_claims_diagnosis(tmp_path):
    path = str(tmp_path / "claims.py")
    with open(path, "w") as f:
        f.write(
            "from tests.test_catalog_diagnosis import negated_sum\n"
            "CATALOG = [negated_sum]\n"
        )
    code, out, err = run(path, "--samples", "50", "--no-cache")
    assert code == 0, err
    assert "Documented errors found (1" in out
    assert "  diagnosis: the left side is -1 × the right side" in out
    code, out, err = run(path, "--samples", "50", "--no-cache", "--format", "json")
    assert code == 0, err
    (entry,) = json.loads(out)["results"]
    assert entry["diagnosis"][0]["kind"] == "factor"
    assert entry["diagnosis"][0]["details"]["name"] == "-1"
