"""Mistakes that make a gradient a constant multiple of the right one."""

import jax
import jax.numpy as jnp

from checks import derivation, domain

LINEAR = {
    "w": domain.real(("n",)),
    "X": domain.real(("m", "n")),
    "y": domain.real(("m",)),
}
SIZES = {"m": (3, 5), "n": (2,)}

# name -> (kind, details the first diagnosis must have)
EXPECTED = {
    "mse_grad_without_mean": ("factor", {"name": "m"}),
    "mse_grad_without_two": ("factor", {"name": "1/2"}),
    "mse_grad_divided_twice": ("factor", {"name": "1/m"}),
    "logistic_grad_sign_flipped": ("factor", {"name": "-1"}),
    "softmax_ce_batch_grad_without_mean": ("factor", {"name": "m"}),
    "logsumexp_grad_negated": ("factor", {"name": "-1"}),
    "squared_norm_grad_without_two": ("factor", {"name": "1/2"}),
    "half_squared_norm_grad_doubled": ("factor", {"name": "2"}),
    "cube_sum_grad_power_rule_twice": ("factor", {"name": "3"}),
    "variance_grad_bessel": ("factor", {"factor": None}),
    "matrix_mse_grad_mean_over_rows_only": ("factor", {"name": "n"}),
    "log_likelihood_grad_for_loss": ("factor", {"name": "-1"}),
}


def mse(w, X, y):
    return jnp.mean((X @ w - y) ** 2)


@derivation(of=mse, wrt="w", inputs=LINEAR, dims=SIZES, expect="fail", why="no 1/m")
def mse_grad_without_mean(w, X, y):
    return 2 * X.T @ (X @ w - y)


@derivation(of=mse, wrt="w", inputs=LINEAR, dims=SIZES, expect="fail", why="no 2")
def mse_grad_without_two(w, X, y):
    return X.T @ (X @ w - y) / X.shape[0]


@derivation(of=mse, wrt="w", inputs=LINEAR, dims=SIZES, expect="fail", why="1/m twice")
def mse_grad_divided_twice(w, X, y):
    m = X.shape[0]
    return 2 * X.T @ (X @ w - y) / m / m


def logistic_loss(w, x, y):
    z = x @ w
    return -(y * jax.nn.log_sigmoid(z) + (1 - y) * jax.nn.log_sigmoid(-z))


LOGISTIC = {
    "w": domain.real(("n",)),
    "x": domain.real(("n",)),
    "y": domain.unit_interval(),
}


@derivation(
    of=logistic_loss,
    wrt="w",
    inputs=LOGISTIC,
    dims={"n": (3,)},
    expect="fail",
    why="y − σ(z) in place of σ(z) − y",
)
def logistic_grad_sign_flipped(w, x, y):
    return (y - jax.nn.sigmoid(x @ w)) * x


def softmax_ce_batch(Z, Y):
    return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(Z, axis=1), axis=1))


@derivation(
    of=softmax_ce_batch,
    wrt="Z",
    inputs={"Z": domain.real(("m", "k")), "Y": domain.simplex(("m", "k"))},
    dims={"m": (2, 4), "k": (3,)},
    expect="fail",
    why="the batch mean's 1/m is forgotten",
)
def softmax_ce_batch_grad_without_mean(Z, Y):
    return jax.nn.softmax(Z, axis=1) - Y


def logsumexp(x):
    return jax.nn.logsumexp(x)


@derivation(
    of=logsumexp,
    wrt="x",
    inputs={"x": domain.real(("k",))},
    dims={"k": (4,)},
    expect="fail",
    why="the gradient of −log softmax, not of logsumexp",
)
def logsumexp_grad_negated(x):
    return -jax.nn.softmax(x)


def squared_norm(x):
    return jnp.sum(x**2)


@derivation(
    of=squared_norm,
    wrt="x",
    inputs={"x": domain.real(("k",))},
    dims={"k": (3,)},
    expect="fail",
    why="d/dx x² = x",
)
def squared_norm_grad_without_two(x):
    return x


def half_squared_norm(x):
    return 0.5 * jnp.sum(x**2)


@derivation(
    of=half_squared_norm,
    wrt="x",
    inputs={"x": domain.real(("k",))},
    dims={"k": (3,)},
    expect="fail",
    why="the ½ is forgotten",
)
def half_squared_norm_grad_doubled(x):
    return 2 * x


def cube_sum(x):
    return jnp.sum(x**3) / 3


@derivation(
    of=cube_sum,
    wrt="x",
    inputs={"x": domain.real(("k",))},
    dims={"k": (3,)},
    expect="fail",
    why="the 1/3 is forgotten",
)
def cube_sum_grad_power_rule_twice(x):
    return 3 * x**2


def variance(x):
    return jnp.mean((x - jnp.mean(x)) ** 2)


@derivation(
    of=variance,
    wrt="x",
    inputs={"x": domain.real(("k",))},
    dims={"k": (3, 6)},
    expect="fail",
    why="the sample variance's 1/(k − 1) for the population variance's 1/k",
)
def variance_grad_bessel(x):
    return 2 * (x - jnp.mean(x)) / (x.shape[0] - 1)


def matrix_mse(P, Y):
    return jnp.mean((P - Y) ** 2)


@derivation(
    of=matrix_mse,
    wrt="P",
    inputs={"P": domain.real(("m", "n")), "Y": domain.real(("m", "n"))},
    dims={"m": (2,), "n": (3, 4)},
    expect="fail",
    why="divides by the rows only; the mean is over m·n entries",
)
def matrix_mse_grad_mean_over_rows_only(P, Y):
    return 2 * (P - Y) / P.shape[0]


def log_likelihood(w, x, y):
    return -logistic_loss(w, x, y)


@derivation(
    of=log_likelihood,
    wrt="w",
    inputs=LOGISTIC,
    dims={"n": (2,)},
    expect="fail",
    why="the loss's gradient for the likelihood's",
)
def log_likelihood_grad_for_loss(w, x, y):
    return (jax.nn.sigmoid(x @ w) - y) * x
