"""Small derivations used by the tests: right ones, wrong ones and broken ones."""

import jax
import jax.numpy as jnp

from checks import derivation, domain


def binary_cross_entropy(alpha, beta):
    return -(alpha * jnp.log(beta) + (1 - alpha) * jnp.log1p(-beta))


BCE_INPUTS = {"alpha": domain.unit_interval(), "beta": domain.unit_interval()}


@derivation(of=binary_cross_entropy, wrt="beta", inputs=BCE_INPUTS, source="CE.3")
def bce_grad_beta(alpha, beta):
    return (beta - alpha) / (beta * (1 - beta))


@derivation(
    of=binary_cross_entropy,
    wrt="beta",
    inputs=BCE_INPUTS,
    expect="fail",
    why="sign flipped",
)
def bce_grad_beta_sign_flipped(alpha, beta):
    return (alpha - beta) / (beta * (1 - beta))


def softmax(a):
    return jax.nn.softmax(a)


@derivation(of=softmax, wrt="a", inputs={"a": domain.real(("k",))}, dims={"k": (3,)})
def softmax_jacobian(a):
    S = jax.nn.softmax(a)
    return S[:, None] * (jnp.eye(a.shape[0]) - S[None, :])
