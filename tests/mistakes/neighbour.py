"""Mistakes that are the derivative of a neighbouring function: an input dropped
(taken as 0 or 1), two arguments exchanged, the derivative for another input, one
entry of a sum used alone, a factor of the point or of each row missing or
extra, one part of a
several-wrt result wrong (``checks._src.search.diagnose_neighbour``)."""

import jax
import jax.numpy as jnp

from checks import derivation, domain

EXPECTED = {
    "logistic_grad_label_dropped": (
        "substitution",
        {"input": "y", "value": 0, "sign": 1.0},
    ),
    "penalty_grad_weight_dropped": (
        "substitution",
        {"input": "lam", "value": 1, "sign": 1.0},
    ),
    "kl_grad_of_the_reverse_divergence": ("swapped", {"inputs": ["p", "q"]}),
    "least_squares_grad_w_as_grad_b": ("other-wrt", {"input": "b"}),
    "squared_logit_grad_own_term": ("own-entry", {"input": "w"}),
    "softmax_jacobian_without_row_factor": ("scaled-axis", {"axis": 0}),
    "amplitude_applied_twice": ("scaled", {"factor": "a", "input": "a"}),
    "norm_grad_without_the_norm": ("scaled", {"factor": None}),
    "least_squares_vjp_dw_halved": ("part", {"part": "w"}),
}

LOGISTIC = {
    "w": domain.real(("n",)),
    "x": domain.real(("n",)),
    "y": domain.integers(0, 2),
}


def log_loss(w, x, y):
    y_hat = jax.nn.sigmoid(w @ x)
    y = y.astype(y_hat.dtype)
    return -(y * jnp.log(y_hat) + (1 - y) * jnp.log1p(-y_hat))


@derivation(
    of=log_loss,
    wrt="w",
    inputs=LOGISTIC,
    dims={"n": (3,)},
    expect="fail",
    why="(ŷ − y)x with the label left out: ŷx",
)
def logistic_grad_label_dropped(w, x, y):
    return jax.nn.sigmoid(w @ x) * x


def penalised(w, lam):
    return 0.5 * lam * jnp.sum(w**2) + jnp.sum(jnp.sin(w))


@derivation(
    of=penalised,
    wrt="w",
    inputs={"w": domain.real(("n",)), "lam": domain.positive()},
    dims={"n": (3,)},
    expect="fail",
    why="the penalty's weight λ is lost: λw + cos w, not w + cos w",
)
def penalty_grad_weight_dropped(w, lam):
    return w + jnp.cos(w)


def kl(p, q):
    return jnp.sum(p * jnp.log(p / q))


@derivation(
    of=kl,
    wrt="q",
    inputs={"p": domain.simplex(("k",)), "q": domain.simplex(("k",))},
    dims={"k": (3,)},
    expect="fail",
    why="∂/∂q KL(q‖p) = log(q/p) + 1, where KL(p‖q) was asked for (−p/q)",
)
def kl_grad_of_the_reverse_divergence(p, q):
    return jnp.log(q / p) + 1


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
    why="2·mean(r), the derivative for b, in every entry: the factor X is lost",
)
def least_squares_grad_w_as_grad_b(w, b, X, y):
    r = X @ w + b - y
    return jnp.full(w.shape, 2 * jnp.mean(r))


def squared_logit(w, x):
    return (w @ x) ** 2


@derivation(
    of=squared_logit,
    wrt="w",
    inputs={"w": domain.real(("n",)), "x": domain.real(("n",))},
    dims={"n": (3,)},
    expect="fail",
    why="2(wᵀx)x_j, with w_j x_j in place of wᵀx",
)
def squared_logit_grad_own_term(w, x):
    return 2 * (w * x) * x


def softmax(x):
    return jax.nn.softmax(x)


@derivation(
    of=softmax,
    wrt="x",
    inputs={"x": domain.real(("k",))},
    dims={"k": (3,)},
    expect="fail",
    why="s_i(δ_ij − s_j) without the s_i in front",
)
def softmax_jacobian_without_row_factor(x):
    s = jax.nn.softmax(x)
    return jnp.eye(x.shape[0]) - s[None, :]


def scaled_sine(x, a):
    return a * jnp.sin(x)


@derivation(
    of=scaled_sine,
    wrt="x",
    inputs={"x": domain.real(), "a": domain.real()},
    expect="fail",
    why="a² cos x: the amplitude multiplied in twice",
)
def amplitude_applied_twice(x, a):
    return a * a * jnp.cos(x)


def norm(x):
    return jnp.sqrt(jnp.sum(x**2))


@derivation(
    of=norm,
    wrt="x",
    inputs={"x": domain.real(("k",))},
    dims={"k": (3,)},
    expect="fail",
    why="x/‖x‖ without the division by ‖x‖",
)
def norm_grad_without_the_norm(x):
    return x


@derivation(
    of=least_squares,
    wrt=("w", "b"),
    form="vjp",
    inputs=LEAST_SQUARES,
    dims={"m": (4,), "n": (2,)},
    expect="fail",
    why="dw = Xᵀr/m · ḡ: the 2 of the square is lost in dw only",
)
def least_squares_vjp_dw_halved(w, b, X, y, g):
    r = X @ w + b - y
    m = X.shape[0]
    return g * X.T @ r / m, g * 2 * jnp.mean(r)
