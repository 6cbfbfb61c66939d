"""Mistakes confined to a pattern of the derivative: the diagonal, one row or
column, one element; or the whole derivative summed or averaged over an axis."""

import jax
import jax.numpy as jnp

from checks import derivation, domain

EXPECTED = {
    "softmax_jacobian_without_delta": ("structure", {"pattern": "diagonal"}),
    "product_rule_without_delta": ("structure", {"pattern": "diagonal"}),
    "softmax_jacobian_as_elementwise": ("structure", {"pattern": "off-diagonal"}),
    "sigmoid_jacobian_as_outer": ("structure", {"pattern": "off-diagonal"}),
    "bias_column_forgotten": ("structure", {"pattern": "element", "element": [0]}),
    "norm_row_without_two": ("structure", {"pattern": "index", "axis": 0}),
    "first_input_term_forgotten": ("structure", {"pattern": "index", "axis": 1}),
    "batch_grad_summed": ("structure", {"pattern": "summed", "axis": 0}),
    "batch_grad_averaged": ("structure", {"pattern": "averaged", "axis": 0}),
}
VECTOR = {"x": domain.real(("k",))}


def softmax(x):
    return jax.nn.softmax(x)


@derivation(
    of=softmax,
    wrt="x",
    inputs=VECTOR,
    dims={"k": (3,)},
    expect="fail",
    why="s_i(δ_ij − s_j) without the δ_ij s_i",
)
def softmax_jacobian_without_delta(x):
    s = jax.nn.softmax(x)
    return -s[:, None] * s[None, :]


def scaled_by_sum(x):
    return x * jnp.sum(x)


@derivation(
    of=scaled_by_sum,
    wrt="x",
    inputs=VECTOR,
    dims={"k": (3,)},
    expect="fail",
    why="∂(x_i Σx)/∂x_j = δ_ij Σx + x_i: the δ_ij Σx is forgotten",
)
def product_rule_without_delta(x):
    return x[:, None] * jnp.ones_like(x)[None, :]


@derivation(
    of=softmax,
    wrt="x",
    inputs=VECTOR,
    dims={"k": (3,)},
    expect="fail",
    why="treats softmax as elementwise: diag(s(1 − s))",
)
def softmax_jacobian_as_elementwise(x):
    s = jax.nn.softmax(x)
    return jnp.diag(s * (1 - s))


def sigmoid(x):
    return jax.nn.sigmoid(x)


@derivation(
    of=sigmoid,
    wrt="x",
    inputs=VECTOR,
    dims={"k": (3,)},
    expect="fail",
    why="σ is elementwise: its Jacobian is diagonal, not σ_i(1 − σ_j)",
)
def sigmoid_jacobian_as_outer(x):
    s = jax.nn.sigmoid(x)
    return s[:, None] * (1 - s)[None, :]


def logistic_with_bias(w, x):
    return jax.nn.log_sigmoid(w[0] + w[1:] @ x)


@derivation(
    of=logistic_with_bias,
    wrt="w",
    inputs={"w": domain.real(("n",)), "x": domain.real(("k",))},
    dims={"n": (4,), "k": (3,)},
    expect="fail",
    why="the bias's feature is 1, not 0",
)
def bias_column_forgotten(w, x):
    z = w[0] + w[1:] @ x
    features = jnp.concatenate([jnp.zeros((1,), x.dtype), x])
    return (1 - jax.nn.sigmoid(z)) * features


def norm_then_identity(x):
    return jnp.concatenate([jnp.sum(x**2)[None], x[1:]])


@derivation(
    of=norm_then_identity,
    wrt="x",
    inputs=VECTOR,
    dims={"k": (3,)},
    expect="fail",
    why="the first output's gradient is 2x, not x",
)
def norm_row_without_two(x):
    eye = jnp.eye(x.shape[0], dtype=x.dtype)
    return jnp.concatenate([x[None, :], eye[1:]], axis=0)


def linear_plus_first(A, b, x):
    return A @ x + b * x[0]


@derivation(
    of=linear_plus_first,
    wrt="x",
    inputs={
        "A": domain.real(("k", "k")),
        "b": domain.real(("k",)),
        "x": domain.real(("k",)),
    },
    dims={"k": (3,)},
    expect="fail",
    why="the b x₀ term's derivative b e₀ᵀ is forgotten",
)
def first_input_term_forgotten(A, b, x):
    return A


def summed_logistic_loss(z, y):
    return jnp.sum(jax.nn.softplus(z) - y * z)


LOGITS = {"z": domain.real(("m",)), "y": domain.unit_interval(("m",))}


@derivation(
    of=summed_logistic_loss,
    wrt="z",
    inputs=LOGITS,
    dims={"m": (3,)},
    expect="fail",
    why="each example's gradient is its own σ(z_i) − y_i, not the batch's sum",
)
def batch_grad_summed(z, y):
    return jnp.sum(jax.nn.sigmoid(z) - y) * jnp.ones_like(z)


@derivation(
    of=summed_logistic_loss,
    wrt="z",
    inputs=LOGITS,
    dims={"m": (3,)},
    expect="fail",
    why="each example's gradient is its own σ(z_i) − y_i, not the batch's mean",
)
def batch_grad_averaged(z, y):
    return jnp.mean(jax.nn.sigmoid(z) - y) * jnp.ones_like(z)
