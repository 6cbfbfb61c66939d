"""Derivations that look like a diagnosed mistake and are not.

``WRONG_NOT``: wrong derivations close to a kind that must not be given that
kind (a closed form that is c × the reference on average only, a transpose
plus a little more, ...). ``RIGHT``: right derivations written the way a mistake
would look (a transposed symmetric Jacobian, a sign flipped twice): they pass,
and get no diagnosis.
"""

import jax
import jax.numpy as jnp

from checks import derivation, domain

LINEAR = {
    "w": domain.real(("n",)),
    "X": domain.real(("m", "n")),
    "y": domain.real(("m",)),
}
SIZES = {"m": (3, 5), "n": (2,)}
SQUARE = {"A": domain.real(("n", "n")), "x": domain.real(("n",))}
VECTOR = {"x": domain.real(("k",))}

# name -> the kind it must not get
WRONG_NOT = {
    "mse_grad_factor_on_average": "factor",
    "mse_grad_two_factors": "factor",
    "linear_map_transpose_and_more": "layout",
    "softmax_jacobian_without_delta_and_one_more": "structure",
    "huber_grad_shifted": "region",
    "power_rule_term_half_right": "term",
    "linear_map_jacobian_right_on_symmetric_only": "region",
    "logistic_grad_label_dropped_and_more": "substitution",
    "kl_grad_reverse_and_more": "swapped",
    "least_squares_grad_w_as_grad_b_and_more": "other-wrt",
    "squared_logit_grad_own_term_and_more": "own-entry",
    "softmax_jacobian_scaled_by_row_and_column": "scaled-axis",
    "norm_grad_without_the_norm_and_more": "scaled",
    "least_squares_vjp_both_parts_wrong": "part",
}


def mse(w, X, y):
    return jnp.mean((X @ w - y) ** 2)


@derivation(of=mse, wrt="w", inputs=LINEAR, dims=SIZES, expect="fail", why="noise")
def mse_grad_factor_on_average(w, X, y):
    """On average over the points 1 × the reference; at no point a constant."""
    g = 2 * X.T @ (X @ w - y) / X.shape[0]
    return g * (1 + 0.5 * jnp.sin(3 * w))


@derivation(
    of=mse, wrt="w", inputs=LINEAR, dims=SIZES, expect="fail", why="one element"
)
def mse_grad_two_factors(w, X, y):
    """2 × the reference in its first entry, 1 × in the others."""
    g = 2 * X.T @ (X @ w - y) / X.shape[0]
    first = jnp.arange(g.shape[0]) == 0
    return jnp.where(first, 2 * g, g)


def linear_map(A, x):
    return A @ x


@derivation(
    of=linear_map,
    wrt="x",
    inputs=SQUARE,
    dims={"n": (3,)},
    expect="fail",
    why="Aᵀ and a little more",
)
def linear_map_transpose_and_more(A, x):
    return A.T + 1e-3 * jnp.outer(x, x)


@derivation(
    of=linear_map,
    wrt="x",
    inputs=SQUARE,
    dims={"n": (3,)},
    expect="fail",
    why="right where A is symmetric (the ties points) only",
)
def linear_map_jacobian_right_on_symmetric_only(A, x):
    return 0.5 * (A + A.T)


def softmax(x):
    return jax.nn.softmax(x)


@derivation(
    of=softmax,
    wrt="x",
    inputs=VECTOR,
    dims={"k": (3,)},
    expect="fail",
    why="no δ term, and one off-diagonal entry wrong too",
)
def softmax_jacobian_without_delta_and_one_more(x):
    s = jax.nn.softmax(x)
    i = jnp.arange(x.shape[0])
    one = (i[:, None] == 0) & (i[None, :] == 1)
    return -s[:, None] * s[None, :] + jnp.where(one, x[0], 0.0)


def huber(x):
    return jnp.where(jnp.abs(x) <= 1, 0.5 * x**2, jnp.abs(x) - 0.5)


@derivation(
    of=huber, wrt="x", inputs={"x": domain.real()}, expect="fail", why="wrong anywhere"
)
def huber_grad_shifted(x):
    return jnp.clip(x, -1.0, 1.0) + 0.25


def square_plus_sine(x):
    return x**2 + jnp.sin(x)


@derivation(
    of=square_plus_sine,
    wrt="x",
    inputs={"x": domain.real()},
    expect="fail",
    why="1.5x for 2x: not a whole multiple of a term",
)
def power_rule_term_half_right(x):
    return 1.5 * x + jnp.cos(x)


# Near misses of the neighbour kinds (checks._src.search.diagnose_neighbour): each is
# the mistake of tests/mistakes/neighbour.py and a little more.


def log_loss(w, x, y):
    y_hat = jax.nn.sigmoid(w @ x)
    y = y.astype(y_hat.dtype)
    return -(y * jnp.log(y_hat) + (1 - y) * jnp.log1p(-y_hat))


@derivation(
    of=log_loss,
    wrt="w",
    inputs={
        "w": domain.real(("n",)),
        "x": domain.real(("n",)),
        "y": domain.integers(0, 2),
    },
    dims={"n": (3,)},
    expect="fail",
    why="ŷx (the label dropped) and a little more",
)
def logistic_grad_label_dropped_and_more(w, x, y):
    return jax.nn.sigmoid(w @ x) * x * (1 + 1e-3 * w)


def kl(p, q):
    return jnp.sum(p * jnp.log(p / q))


@derivation(
    of=kl,
    wrt="q",
    inputs={"p": domain.simplex(("k",)), "q": domain.simplex(("k",))},
    dims={"k": (3,)},
    expect="fail",
    why="the gradient of KL(q‖p) and a little more",
)
def kl_grad_reverse_and_more(p, q):
    return jnp.log(q / p) + 1 + 1e-3 * q


def least_squares(w, b, X, y):
    return jnp.mean((X @ w + b - y) ** 2)


LEAST_SQUARES = {
    "w": domain.real(("n",)),
    "b": domain.real(),
    "X": domain.real(("m", "n")),
    "y": domain.real(("m",)),
}


@derivation(
    of=least_squares,
    wrt="w",
    inputs=LEAST_SQUARES,
    dims={"m": (4,), "n": (2,)},
    expect="fail",
    why="the derivative for b in every entry, and a little more",
)
def least_squares_grad_w_as_grad_b_and_more(w, b, X, y):
    r = X @ w + b - y
    return 2 * jnp.mean(r) + 1e-3 * w


def squared_logit(w, x):
    return (w @ x) ** 2


@derivation(
    of=squared_logit,
    wrt="w",
    inputs={"w": domain.real(("n",)), "x": domain.real(("n",))},
    dims={"n": (3,)},
    expect="fail",
    why="w_j x_j for wᵀx, and a little more",
)
def squared_logit_grad_own_term_and_more(w, x):
    return 2 * (w * x) * x * (1 + 1e-3 * x)


@derivation(
    of=softmax,
    wrt="x",
    inputs=VECTOR,
    dims={"k": (3,)},
    expect="fail",
    why="a factor of each entry's row and column: no one axis's scale",
)
def softmax_jacobian_scaled_by_row_and_column(x):
    s = jax.nn.softmax(x)
    right = s[:, None] * (jnp.eye(x.shape[0]) - s[None, :])
    return right * (1 + 0.1 * s[:, None] * s[None, :])


def norm(x):
    return jnp.sqrt(jnp.sum(x**2))


@derivation(
    of=norm,
    wrt="x",
    inputs=VECTOR,
    dims={"k": (3,)},
    expect="fail",
    why="x for x/‖x‖, and a little more",
)
def norm_grad_without_the_norm_and_more(x):
    return x + 1e-3 * x[0]


@derivation(
    of=least_squares,
    wrt=("w", "b"),
    form="vjp",
    inputs=LEAST_SQUARES,
    dims={"m": (4,), "n": (2,)},
    expect="fail",
    why="both parts are a little off",
)
def least_squares_vjp_both_parts_wrong(w, b, X, y, g):
    r = X @ w + b - y
    m = X.shape[0]
    return g * 2 * X.T @ r / m + 1e-3, g * 2 * jnp.mean(r) + 1e-3


# ---------------------------------------------------------------- right ones

RIGHT = [
    "softmax_jacobian_written_transposed",
    "mse_grad_as_mean_of_rows",
    "huber_grad_as_clip",
    "logistic_grad_sign_flipped_twice",
    "mse_grad_with_factors_moved",
]


@derivation(of=softmax, wrt="x", inputs=VECTOR, dims={"k": (3,)})
def softmax_jacobian_written_transposed(x):
    """s_j(δ_ij − s_i): the transpose of s_i(δ_ij − s_j), which is symmetric."""
    s = jax.nn.softmax(x)
    return s[None, :] * (jnp.eye(x.shape[0], dtype=x.dtype) - s[:, None])


@derivation(of=mse, wrt="w", inputs=LINEAR, dims=SIZES)
def mse_grad_as_mean_of_rows(w, X, y):
    return 2 * jnp.mean(X * (X @ w - y)[:, None], axis=0)


@derivation(of=huber, wrt="x", inputs={"x": domain.real()})
def huber_grad_as_clip(x):
    return jnp.clip(x, -1.0, 1.0)


def logistic_loss(w, x, y):
    z = x @ w
    return -(y * jax.nn.log_sigmoid(z) + (1 - y) * jax.nn.log_sigmoid(-z))


@derivation(
    of=logistic_loss,
    wrt="w",
    inputs={
        "w": domain.real(("n",)),
        "x": domain.real(("n",)),
        "y": domain.unit_interval(),
    },
    dims={"n": (3,)},
)
def logistic_grad_sign_flipped_twice(w, x, y):
    return -(y - jax.nn.sigmoid(x @ w)) * x


@derivation(of=mse, wrt="w", inputs=LINEAR, dims=SIZES)
def mse_grad_with_factors_moved(w, X, y):
    return X.T @ ((X @ w - y) * (2 / X.shape[0]))
