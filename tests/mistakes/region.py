"""Mistakes that are right on part of the domain only."""

import jax
import jax.numpy as jnp

from checks import derivation, domain

EXPECTED = {
    "huber_grad_without_clip": ("region", {"threshold": {"feature": "|x|"}}),
    "leaky_relu_grad_without_slope": ("region", {"threshold": {"feature": "x"}}),
    "clip_grad_forgotten": ("region", {"threshold": {"feature": "|x|"}}),
    "abs_grad_as_one": ("region", {"threshold": {"feature": "x"}}),
    "vector_huber_grad_without_clip": ("region", {"threshold": {"feature": "max|x|"}}),
    "softplus_grad_cut_off": ("region", {"threshold": {"feature": "x"}}),
    "max_grad_at_ties": ("region", {"wrong_strata": ["ties"]}),
}
SCALAR = {"x": domain.real()}


def huber(x):
    return jnp.where(jnp.abs(x) <= 1, 0.5 * x**2, jnp.abs(x) - 0.5)


@derivation(
    of=huber, wrt="x", inputs=SCALAR, expect="fail", why="x is right for |x| ≤ 1 only"
)
def huber_grad_without_clip(x):
    return x


def leaky_relu(x):
    return jnp.where(x > 0, x, 0.01 * x)


@derivation(
    of=leaky_relu, wrt="x", inputs=SCALAR, expect="fail", why="the slope 0.01 is lost"
)
def leaky_relu_grad_without_slope(x):
    return jnp.where(x > 0, 1.0, 0.0).astype(x.dtype)


def clipped_square(x):
    return jnp.clip(x, -1.0, 1.0) ** 2


@derivation(
    of=clipped_square,
    wrt="x",
    inputs=SCALAR,
    expect="fail",
    why="outside [−1, 1] the function is constant",
)
def clip_grad_forgotten(x):
    return 2 * x


def absolute(x):
    return jnp.abs(x)


@derivation(of=absolute, wrt="x", inputs=SCALAR, expect="fail", why="sign(x), not 1")
def abs_grad_as_one(x):
    return jnp.ones_like(x)


def huber_sum(x):
    return jnp.sum(huber(x))


@derivation(
    of=huber_sum,
    wrt="x",
    inputs={"x": domain.real(("k",))},
    dims={"k": (3,)},
    expect="fail",
    why="x is right where every |x_i| ≤ 1 only",
)
def vector_huber_grad_without_clip(x):
    return x


def softplus(x):
    return jax.nn.softplus(x)


@derivation(
    of=softplus,
    wrt="x",
    inputs=SCALAR,
    expect="fail",
    why="σ(x) rounded to 1 above 20: off by e^−20 there",
)
def softplus_grad_cut_off(x):
    return jnp.where(x > 20, jnp.ones_like(x), jax.nn.sigmoid(x))


def maximum(x):
    return jnp.max(x)


@derivation(
    of=maximum,
    wrt="x",
    inputs={"x": domain.real(("k",))},
    dims={"k": (3,)},
    expect="fail",
    why="at ties autodiff shares the gradient among the tied entries",
)
def max_grad_at_ties(x):
    return jax.nn.one_hot(jnp.argmax(x), x.shape[0], dtype=x.dtype)
