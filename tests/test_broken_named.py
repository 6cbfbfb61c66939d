"""Meta-tests: deliberately broken versions of the four named derivations fail.

Each break is one a person makes by hand: a sign flipped, the 1/m dropped, an
index swapped, δᵢⱼ dropped. Each must fail in float64 and in float32, with a
counterexample, and the unbroken closed form must pass on the same samples.
"""

import jax
import jax.numpy as jnp
import pytest

import checks
from checks._src.declare.declare import as_derivation
from derivations import cross_entropy, logistic_regression, softmax, softmax_regression


def _broken(original, closed_form):
    """The original's declaration with another closed form."""
    d = as_derivation(original)
    return checks.verify(
        closed_form,
        of=d.of,
        wrt=d.wrt,
        inputs=d.inputs,
        dims=d.dims,
        order=d.order,
        samples=300,
    )


def bce_sign_flipped(alpha, beta):
    return (alpha - beta) / (beta * (1 - beta))


def bce_factor_dropped(alpha, beta):
    return (beta - alpha) / beta


def bce_alpha_beta_swapped(alpha, beta):
    return (alpha - beta) / (alpha * (1 - alpha))


def softmax_jacobian_delta_dropped(a):
    S = jax.nn.softmax(a)
    return -jnp.outer(S, S)


def softmax_jacobian_sign_flipped(a):
    S = jax.nn.softmax(a)
    return -(S[:, None] * (jnp.eye(a.shape[0]) - S[None, :]))


def softmax_jacobian_index_swapped(a):
    S = jax.nn.softmax(a)
    return S[:, None] * (jnp.eye(a.shape[0]) - S[:, None])


def delta_sign_flipped(z, y):
    m = z.shape[0]
    return (y - jax.nn.softmax(z, axis=-1)) / m


def delta_one_over_m_dropped(z, y):
    return jax.nn.softmax(z, axis=-1) - y


def delta_classes_swapped(z, y):
    m = z.shape[0]
    return (jax.nn.softmax(z, axis=-1) - jnp.roll(y, 1, axis=-1)) / m


def logistic_sign_flipped(theta, X, y):
    h = jax.nn.sigmoid(X @ theta)
    return X.T @ (y.astype(h.dtype) - h) / X.shape[0]


def logistic_one_over_m_dropped(theta, X, y):
    h = jax.nn.sigmoid(X @ theta)
    return X.T @ (h - y.astype(h.dtype))


def logistic_feature_index_swapped(theta, X, y):
    h = jax.nn.sigmoid(X @ theta)
    return X[:, ::-1].T @ (h - y.astype(h.dtype)) / X.shape[0]


CASES = [
    (cross_entropy.binary_cross_entropy_grad_beta, bce_sign_flipped),
    (cross_entropy.binary_cross_entropy_grad_beta, bce_factor_dropped),
    (cross_entropy.binary_cross_entropy_grad_beta, bce_alpha_beta_swapped),
    (softmax.softmax_jacobian, softmax_jacobian_delta_dropped),
    (softmax.softmax_jacobian, softmax_jacobian_sign_flipped),
    (softmax.softmax_jacobian, softmax_jacobian_index_swapped),
    (softmax_regression.softmax_cross_entropy_grad_logits, delta_sign_flipped),
    (softmax_regression.softmax_cross_entropy_grad_logits, delta_one_over_m_dropped),
    (softmax_regression.softmax_cross_entropy_grad_logits, delta_classes_swapped),
    (logistic_regression.logistic_regression_grad_theta, logistic_sign_flipped),
    (logistic_regression.logistic_regression_grad_theta, logistic_one_over_m_dropped),
    (
        logistic_regression.logistic_regression_grad_theta,
        logistic_feature_index_swapped,
    ),
]


@pytest.mark.parametrize(
    ("original", "broken"), CASES, ids=[b.__name__ for _, b in CASES]
)
def test_broken_variant_fails_with_a_counterexample(original, broken):
    result = _broken(original, broken)
    assert result.status == "fail"
    for dtype in ("float64", "float32"):
        failing = [c for c in result.cases if c.dtype == dtype and c.status == "fail"]
        assert failing, f"no {dtype} case failed"
        for c in failing:
            ce = c.counterexample
            assert ce is not None
            assert set(ce.inputs) == set(as_derivation(original).params)
            assert ce.closed_form != ce.reference
            assert c.ratio > 1


@pytest.mark.parametrize(
    "original",
    sorted({o for o, _ in CASES}, key=lambda f: f.__name__),
    ids=lambda f: f.__name__,
)
def test_unbroken_named_derivation_passes_in_both_dtypes(original):
    result = checks.verify(original, samples=300)
    assert result.status == "pass"
    assert {c.dtype for c in result.cases} == {"float64", "float32"}
