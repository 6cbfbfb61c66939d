"""Mistakes in one term of a sum: a term too many, a term with the wrong sign, a
term counted once that counts twice."""

import jax.numpy as jnp

from checks import derivation, domain

EXPECTED = {
    "regularizer_gradient_without_regularizer": ("term", {"multiple": 1.0}),
    "term_without_x_differentiated": ("term", {"multiple": 1.0}),
    "bce_second_term_sign_flipped": ("term", {"multiple": 2.0}),
    "power_rule_forgotten_in_one_term": ("term", {"multiple": -1.0}),
}


def mse(w, X, y):
    return jnp.mean((X @ w - y) ** 2)


@derivation(
    of=mse,
    wrt="w",
    inputs={
        "w": domain.real(("n",)),
        "X": domain.real(("m", "n")),
        "y": domain.real(("m",)),
    },
    dims={"m": (4,), "n": (2,)},
    expect="fail",
    why="the loss has no L2 penalty: its gradient has no 0.1·w",
)
def regularizer_gradient_without_regularizer(w, X, y):
    return 2 * X.T @ (X @ w - y) / X.shape[0] + 0.1 * w


def sine_plus_square(x, a):
    return jnp.sin(x) + a**2


@derivation(
    of=sine_plus_square,
    wrt="x",
    inputs={"x": domain.real(), "a": domain.real()},
    expect="fail",
    why="a² does not depend on x",
)
def term_without_x_differentiated(x, a):
    return jnp.cos(x) + 2 * a


def binary_cross_entropy(alpha, beta):
    return -(alpha * jnp.log(beta) + (1 - alpha) * jnp.log1p(-beta))


@derivation(
    of=binary_cross_entropy,
    wrt="beta",
    inputs={"alpha": domain.unit_interval(), "beta": domain.unit_interval()},
    expect="fail",
    why="d/dβ log(1 − β) = −1/(1 − β): the minus of the chain rule is lost",
)
def bce_second_term_sign_flipped(alpha, beta):
    return -alpha / beta - (1 - alpha) / (1 - beta)


def square_plus_sine(x):
    return x**2 + jnp.sin(x)


@derivation(
    of=square_plus_sine,
    wrt="x",
    inputs={"x": domain.real()},
    expect="fail",
    why="d/dx x² = 2x",
)
def power_rule_forgotten_in_one_term(x):
    return x + jnp.cos(x)
