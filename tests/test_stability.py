"""Stability in low precision, separate from correctness: both directions."""

import io
import json

import jax
import jax.numpy as jnp

import checks
from checks._src.declare import domain
from checks._src.run.cli import main


def softmax(a):
    return jax.nn.softmax(a)


LOGITS = {"a": domain.real(("k",), scale=4.0)}  # magnitudes up to 120


def naive_softmax_jacobian(a):
    e = jnp.exp(a)
    S = e / jnp.sum(e)
    return S[:, None] * (jnp.eye(a.shape[0]) - S[None, :])


def log_sum_exp_softmax_jacobian(a):
    S = jax.nn.softmax(a)
    return S[:, None] * (jnp.eye(a.shape[0]) - S[None, :])


def check(closed_form):
    return checks.verify(
        closed_form, of=softmax, wrt="a", inputs=LOGITS, dims={"k": 3}, samples=500
    )


def test_naive_exp_softmax_is_right_but_unstable_in_float32():
    result = check(naive_softmax_jacobian)
    assert result.status == "pass"  # correctness is decided in float64
    (f32,) = [c for c in result.cases if c.dtype == "float32"]
    assert f32.stability == "unstable"
    assert f32.stability_counterexample is not None
    assert max(abs(v) for v in f32.stability_counterexample.inputs["a"]) > 80
    assert result.stability == "unstable"


def test_log_sum_exp_softmax_is_stable():
    result = check(log_sum_exp_softmax_jacobian)
    assert result.status == "pass"
    assert result.stability == "stable"
    (f64,) = [c for c in result.cases if c.dtype == "float64"]
    assert f64.stability == "not-checked"


def test_wrong_derivation_is_not_judged_for_stability():
    def wrong(a):
        return -jnp.outer(jax.nn.softmax(a), jax.nn.softmax(a))

    result = check(wrong)
    assert result.status == "fail"
    assert result.stability == "not-checked"


def test_ulp_error_is_a_few_units_for_a_well_conditioned_right_derivation():
    from examples import bce_grad_beta, bce_grad_beta_sign_flipped

    right = checks.verify(bce_grad_beta, samples=500)
    for case in right.cases:
        assert 0 < case.max_ulp_error < 64, case.dtype
    wrong = checks.verify(bce_grad_beta_sign_flipped, samples=100)
    assert all(case.max_ulp_error > 1e6 for case in wrong.cases)


def test_require_stable_changes_the_exit_status(tmp_path):
    path = tmp_path / "naive.py"
    path.write_text(
        "import jax, jax.numpy as jnp\n"
        "from checks import derivation, domain\n"
        "def softmax(a):\n    return jax.nn.softmax(a)\n"
        "@derivation(of=softmax, wrt='a', inputs={'a': domain.real(('k',), scale=4.0)},"
        " dims={'k': 3})\n"
        "def naive(a):\n"
        "    e = jnp.exp(a)\n    S = e / jnp.sum(e)\n"
        "    return S[:, None] * (jnp.eye(a.shape[0]) - S[None, :])\n"
    )
    out = io.StringIO()
    assert main([str(path), "--format", "json", "--samples", "300"], stdout=out) == 0
    case = json.loads(out.getvalue())["results"][0]["cases"][1]
    assert case["stability"] == "unstable" and "max_ulp_error" in case
    assert (
        main([str(path), "--samples", "300", "--require-stable"], stdout=io.StringIO())
        == 1
    )
