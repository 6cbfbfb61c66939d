"""Mistakes that return a Jacobian in the wrong layout (axes swapped)."""

import jax
import jax.numpy as jnp

from checks import derivation, domain

EXPECTED = {
    "linear_map_jacobian_transposed": ("layout", {"axes": [0, 1]}),
    "chain_rule_in_the_wrong_order": ("layout", {"axes": [0, 1]}),
    "tanh_layer_jacobian_transposed": ("layout", {"axes": [0, 1]}),
    "matvec_jacobian_wrt_matrix_flattened_wrong": ("layout", {"axes": [1, 2]}),
    "outer_product_jacobian_axes_swapped": ("layout", {"axes": [0, 1]}),
    "residual_jacobian_transposed": ("layout", {"axes": [0, 1]}),
}
SQUARE = {"A": domain.real(("n", "n")), "x": domain.real(("n",))}


def linear_map(A, x):
    return A @ x


@derivation(
    of=linear_map,
    wrt="x",
    inputs=SQUARE,
    dims={"n": (3,)},
    expect="fail",
    why="∂(Ax)/∂x is A, not Aᵀ",
)
def linear_map_jacobian_transposed(A, x):
    return A.T


def softmax_of_linear(W, x):
    return jax.nn.softmax(W @ x)


@derivation(
    of=softmax_of_linear,
    wrt="x",
    inputs={"W": domain.real(("n", "n")), "x": domain.real(("n",))},
    dims={"n": (3,)},
    expect="fail",
    why="Wᵀ J_s in place of J_s W",
)
def chain_rule_in_the_wrong_order(W, x):
    s = jax.nn.softmax(W @ x)
    J = jnp.diag(s) - jnp.outer(s, s)
    return W.T @ J


def tanh_layer(A, x):
    return A @ jnp.tanh(x)


@derivation(
    of=tanh_layer,
    wrt="x",
    inputs=SQUARE,
    dims={"n": (3,)},
    expect="fail",
    why="diag(1 − tanh²) Aᵀ is the transpose of A diag(1 − tanh²)",
)
def tanh_layer_jacobian_transposed(A, x):
    return jnp.diag(1 - jnp.tanh(x) ** 2) @ A.T


@derivation(
    of=linear_map,
    wrt="A",
    inputs=SQUARE,
    dims={"n": (3,)},
    expect="fail",
    why="∂(Ax)_i/∂A_jk = δ_ij x_k, written δ_ik x_j",
)
def matvec_jacobian_wrt_matrix_flattened_wrong(A, x):
    eye = jnp.eye(x.shape[0], dtype=x.dtype)
    return eye[:, None, :] * x[None, :, None]


def outer_product(x, y):
    return jnp.outer(x, y)


@derivation(
    of=outer_product,
    wrt="x",
    inputs={"x": domain.real(("n",)), "y": domain.real(("n",))},
    dims={"n": (3,)},
    expect="fail",
    why="∂(x yᵀ)_ij/∂x_k = δ_ik y_j, written δ_jk y_i",
)
def outer_product_jacobian_axes_swapped(x, y):
    eye = jnp.eye(x.shape[0], dtype=x.dtype)
    return eye[None, :, :] * y[:, None, None]


def residual(A, x):
    return x + jnp.sin(A @ x)


@derivation(
    of=residual,
    wrt="x",
    inputs=SQUARE,
    dims={"n": (3,)},
    expect="fail",
    why="I + Aᵀ diag(cos) in place of I + diag(cos) A",
)
def residual_jacobian_transposed(A, x):
    eye = jnp.eye(x.shape[0], dtype=x.dtype)
    return eye + A.T * jnp.cos(A @ x)[None, :]
