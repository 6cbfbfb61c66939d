"""Four catalog derivations and one wrong one, for the multi-process tests."""

from checks import derivation, domain
from derivations.cross_entropy import (
    binary_cross_entropy,
    binary_cross_entropy_grad_beta,
)
from derivations.logistic_regression import logistic_regression_grad_theta
from derivations.softmax import softmax_jacobian
from derivations.softmax_regression import softmax_cross_entropy_grad_logits


@derivation(
    of=binary_cross_entropy,
    wrt="beta",
    inputs={"alpha": domain.unit_interval(), "beta": domain.unit_interval()},
    source="CE.3 with the sign flipped",
)
def binary_cross_entropy_grad_beta_sign_flipped(alpha, beta):
    """(α − β)/(β(1 − β)): the negative of ∂H/∂β, wrong everywhere but β = α."""
    return (alpha - beta) / (beta * (1 - beta))


CATALOG = [
    binary_cross_entropy_grad_beta,
    softmax_jacobian,
    softmax_cross_entropy_grad_logits,
    logistic_regression_grad_theta,
    binary_cross_entropy_grad_beta_sign_flipped,
]
