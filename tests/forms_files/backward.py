"""Backward passes as people write them: VJP and JVP closed forms, several
``wrt`` names at once, Hessian-vector products, and custom derivative rules.

Each right entry is a textbook backward (or forward) pass; each wrong one
(``expect="fail"``, with ``why``) is the same pass with one classic slip.
``tests/test_forms.py`` checks every entry under both engines in float64 and
float32.

References: Stanford CS231n, assignment 2, ``layers.py`` (``affine_backward``,
``relu_backward``); Goodfellow, Bengio & Courville, *Deep Learning* (2016), §6.5
(back-propagation as vector-Jacobian products); Griewank & Walther, *Evaluating
Derivatives*, 2nd ed. (2008), §3.1 (tangents) and §5.1 (Hessian-vector products);
JAX documentation, "Custom derivative rules for JAX-transformable Python
functions" (``jax.custom_jvp``, ``jax.custom_vjp``, ``nondiff_argnums``).
"""

import functools

import jax
import jax.numpy as jnp

import checks
from checks import derivation, domain

_CS231N = "CS231n, assignment 2, layers.py"
_AFFINE = {
    "x": domain.real(("N", "D")),
    "w": domain.real(("D", "M")),
    "b": domain.real(("M",)),
}
_AFFINE_DIMS = {"N": (1, 3), "D": 2, "M": 4}


def affine_forward(x: jax.Array, w: jax.Array, b: jax.Array) -> jax.Array:
    """out = x·w + b, one row per example."""
    return x @ w + b[None, :]


@derivation(
    of=affine_forward,
    wrt=("x", "w", "b"),
    form="vjp",
    inputs=_AFFINE,
    dims=_AFFINE_DIMS,
    source=f"{_CS231N}, affine_backward",
)
def affine_backward(x, w, b, dout):
    """dx = dout·wᵀ, dw = xᵀ·dout, db = Σ_rows dout."""
    return dout @ w.T, x.T @ dout, jnp.sum(dout, axis=0)


@derivation(
    of=affine_forward,
    wrt=("x", "w", "b"),
    form="vjp",
    inputs=_AFFINE,
    dims=_AFFINE_DIMS,
    source=f"{_CS231N}, affine_backward",
    expect="fail",
    why="db averages dout over the batch instead of summing it",
)
def affine_backward_mean_db(x, w, b, dout):
    """Wrong: db = mean_rows dout (right: the sum; b is added to every row)."""
    return dout @ w.T, x.T @ dout, jnp.mean(dout, axis=0)


def relu_forward(x: jax.Array) -> jax.Array:
    """out = max(x, 0)."""
    return jnp.maximum(x, 0.0)


@derivation(
    of=relu_forward,
    wrt="x",
    form="vjp",
    inputs={"x": domain.real(("N", "D"))},
    dims={"N": 3, "D": 2},
    source=f"{_CS231N}, relu_backward",
)
def relu_backward(x, dout):
    """dx = dout ⊙ [x > 0]."""
    return jnp.where(x > 0, dout, 0.0)


@derivation(
    of=relu_forward,
    wrt="x",
    form="vjp",
    inputs={"x": domain.real(("N", "D"))},
    dims={"N": 3, "D": 2},
    source=f"{_CS231N}, relu_backward",
    expect="fail",
    why="passes dout through where x < 0 too (the mask is |x| > 0)",
)
def relu_backward_abs_mask(x, dout):
    """Wrong: masks with |x| > 0 (right: x > 0)."""
    return jnp.where(jnp.abs(x) > 0, dout, 0.0)


def polar(r: jax.Array, theta: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(x, y) = (r cos θ, r sin θ), elementwise: two outputs."""
    return r * jnp.cos(theta), r * jnp.sin(theta)


_POLAR = {"r": domain.positive(("n",)), "theta": domain.real(("n",))}


@derivation(
    of=polar,
    wrt=("r", "theta"),
    form="vjp",
    inputs=_POLAR,
    dims={"n": 3},
    source="Deep Learning §6.5.2 (a node with two outputs)",
)
def polar_vjp(r, theta, cotangent):
    """r̄ = x̄ cos θ + ȳ sin θ, θ̄ = r(−x̄ sin θ + ȳ cos θ)."""
    x_bar, y_bar = cotangent
    c, s = jnp.cos(theta), jnp.sin(theta)
    return x_bar * c + y_bar * s, r * (y_bar * c - x_bar * s)


@derivation(
    of=polar,
    wrt=("r", "theta"),
    form="vjp",
    inputs=_POLAR,
    dims={"n": 3},
    source="Deep Learning §6.5.2 (a node with two outputs)",
    expect="fail",
    why="θ̄ drops the factor r",
)
def polar_vjp_no_r(r, theta, cotangent):
    """Wrong: θ̄ = −x̄ sin θ + ȳ cos θ (right: times r)."""
    x_bar, y_bar = cotangent
    c, s = jnp.cos(theta), jnp.sin(theta)
    return x_bar * c + y_bar * s, y_bar * c - x_bar * s


def tanh_layer(W: jax.Array, x: jax.Array) -> jax.Array:
    """h = tanh(W·x)."""
    return jnp.tanh(W @ x)


_LAYER = {"W": domain.real(("m", "n")), "x": domain.real(("n",))}


@derivation(
    of=tanh_layer,
    wrt=("W", "x"),
    form="jvp",
    inputs=_LAYER,
    dims={"m": 3, "n": 2},
    source="Evaluating Derivatives §3.1 (tangent propagation)",
)
def tanh_layer_jvp(W, x, dW, dx):
    """ḣ = (1 − h²) ⊙ (Ẇ·x + W·ẋ)."""
    h = jnp.tanh(W @ x)
    return (1 - h**2) * (dW @ x + W @ dx)


@derivation(
    of=tanh_layer,
    wrt=("W", "x"),
    form="jvp",
    inputs=_LAYER,
    dims={"m": 3, "n": 2},
    source="Evaluating Derivatives §3.1 (tangent propagation)",
    expect="fail",
    why="leaves out the tangent of W",
)
def tanh_layer_jvp_no_dW(W, x, dW, dx):
    """Wrong: ḣ = (1 − h²) ⊙ W·ẋ (right: plus Ẇ·x)."""
    h = jnp.tanh(W @ x)
    return (1 - h**2) * (W @ dx)


def squared_error(w: jax.Array, b: jax.Array, X: jax.Array, y: jax.Array):
    """L = (1/N) Σᵢ (xᵢ·w + b − yᵢ)²."""
    return jnp.mean((X @ w + b - y) ** 2)


_REGRESSION = {
    "w": domain.real(("d",)),
    "b": domain.real(),
    "X": domain.real(("N", "d")),
    "y": domain.real(("N",)),
}


@derivation(
    of=squared_error,
    wrt=("w", "b"),
    inputs=_REGRESSION,
    dims={"N": (1, 4), "d": 2},
    source="Deep Learning §5.1.4 (linear regression)",
)
def squared_error_grads(w, b, X, y):
    """∂L/∂w = (2/N) Xᵀr, ∂L/∂b = (2/N) Σ r, with r = Xw + b − y."""
    r = X @ w + b - y
    return 2 * X.T @ r / y.shape[0], 2 * jnp.mean(r)


@derivation(
    of=squared_error,
    wrt=("w", "b"),
    inputs=_REGRESSION,
    dims={"N": (1, 4), "d": 2},
    source="Deep Learning §5.1.4 (linear regression)",
    expect="fail",
    why="the factor 2 of the square is left out of ∂L/∂b",
)
def squared_error_grads_half_db(w, b, X, y):
    """Wrong: ∂L/∂b = (1/N) Σ r (right: 2/N)."""
    r = X @ w + b - y
    return 2 * X.T @ r / y.shape[0], jnp.mean(r)


def logistic_loss(w: jax.Array, x: jax.Array) -> jax.Array:
    """L = log(1 + exp(−w·x))."""
    return jnp.logaddexp(0.0, -(w @ x))


_LOGISTIC = {"w": domain.real(("d",)), "x": domain.real(("d",))}


@derivation(
    of=logistic_loss,
    wrt="w",
    form="vjp",
    order=2,
    inputs=_LOGISTIC,
    dims={"d": 3},
    source="Evaluating Derivatives §5.1 (Hessian-vector products)",
)
def logistic_loss_hvp(w, x, v):
    """H·v = σ(z)(1 − σ(z))·(x·v)·x, z = w·x."""
    s = jax.nn.sigmoid(w @ x)
    return s * (1 - s) * (x @ v) * x


@derivation(
    of=logistic_loss,
    wrt="w",
    form="vjp",
    order=2,
    inputs=_LOGISTIC,
    dims={"d": 3},
    source="Evaluating Derivatives §5.1 (Hessian-vector products)",
    expect="fail",
    why="returns H·x, not H·v",
)
def logistic_loss_hvp_wrong_vector(w, x, v):
    """Wrong: σ(1 − σ)·(x·x)·x (right: (x·v)·x)."""
    s = jax.nn.sigmoid(w @ x)
    return s * (1 - s) * (x @ x) * x


# Custom derivative rules: checked against autodiff of their own primal.
_REAL = {"x": domain.real(("n",))}
_N = {"n": (3, 8)}


@checks.rule(inputs=_REAL, dims=_N, source="JAX docs, custom_vjp (softplus)")
@jax.custom_vjp
def stable_softplus(x):
    """log(1 + eˣ), written without overflow: max(x, 0) + log1p(e^−|x|)."""
    return jnp.maximum(x, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(x)))


def _softplus_fwd(x):
    return stable_softplus(x), x


def _softplus_bwd(x, g):
    """d softplus/dx = σ(x)."""
    return (g * jax.nn.sigmoid(x),)


stable_softplus.defvjp(_softplus_fwd, _softplus_bwd)


@checks.rule(
    inputs=_REAL,
    dims=_N,
    source="JAX docs, custom_vjp (softplus)",
    expect="fail",
    why="the backward rule's cutoff returns 0 for x > 20, where σ(x) ≈ 1",
)
@jax.custom_vjp
def softplus_with_cutoff(x):
    """log(1 + eˣ); its rule is right only for |x| ≤ 20."""
    return jnp.maximum(x, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(x)))


def _cutoff_fwd(x):
    return softplus_with_cutoff(x), x


def _cutoff_bwd(x, g):
    """Wrong: σ(x) with a cutoff at |x| > 20 that sends large x to 0, not 1."""
    return (g * jnp.where(jnp.abs(x) > 20.0, 0.0, jax.nn.sigmoid(x)),)


softplus_with_cutoff.defvjp(_cutoff_fwd, _cutoff_bwd)


@checks.rule(inputs=_REAL, dims=_N, source="JAX docs, custom_jvp (log1pexp)")
@jax.custom_jvp
def log1pexp(x):
    """log(1 + eˣ), with its tangent σ(x)·ẋ given by a rule."""
    return jnp.logaddexp(x, 0.0)


@log1pexp.defjvp
def _log1pexp_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return log1pexp(x), jax.nn.sigmoid(x) * x_dot


@checks.rule(
    inputs=_REAL,
    dims=_N,
    source="JAX docs, custom_jvp (log1pexp)",
    expect="fail",
    why="the tangent uses 1 − σ(x) = σ(−x) instead of σ(x)",
)
@jax.custom_jvp
def log1pexp_flipped(x):
    """log(1 + eˣ), with a wrong tangent rule."""
    return jnp.logaddexp(x, 0.0)


@log1pexp_flipped.defjvp
def _log1pexp_flipped_jvp(primals, tangents):
    (x,), (x_dot,) = primals, tangents
    return log1pexp_flipped(x), jax.nn.sigmoid(-x) * x_dot


@checks.rule(
    inputs={"x": domain.real(("n",)), "beta": 2.5},
    dims=_N,
    source="JAX docs, custom_vjp with nondiff_argnums",
)
@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def sharp_softplus(x, beta):
    """log(1 + e^(βx))/β, β a fixed sharpness (not differentiated)."""
    z = beta * x
    return (jnp.maximum(z, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(z)))) / beta


def _sharp_fwd(x, beta):
    return sharp_softplus(x, beta), x


def _sharp_bwd(beta, x, g):
    """d/dx = σ(βx); nothing for β."""
    return (g * jax.nn.sigmoid(beta * x),)


sharp_softplus.defvjp(_sharp_fwd, _sharp_bwd)


@checks.rule(
    inputs={"p": 3, "x": domain.real(("n",))},
    dims=_N,
    source="JAX docs, custom_jvp with nondiff_argnums",
)
@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def integer_power(p, x):
    """xᵖ for a fixed integer p (not differentiated)."""
    return x**p


@integer_power.defjvp
def _integer_power_jvp(p, primals, tangents):
    """d xᵖ = p·xᵖ⁻¹·ẋ."""
    (x,), (x_dot,) = primals, tangents
    return integer_power(p, x), p * x ** (p - 1) * x_dot


@checks.rule(
    inputs=_REAL,
    dims=_N,
    source="JAX docs, custom_vjp (softplus)",
    expect="fail",
    why="the forward rule returns relu(x) as the primal, not softplus(x)",
)
@jax.custom_vjp
def softplus_relu_forward(x):
    """log(1 + eˣ); its backward rule is right, its forward rule's primal not."""
    return jnp.maximum(x, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(x)))


def _relu_forward_fwd(x):
    """Wrong: the primal output is max(x, 0), without log1p(e^−|x|)."""
    return jnp.maximum(x, 0.0), x


softplus_relu_forward.defvjp(_relu_forward_fwd, _softplus_bwd)


# Attention, softmax(Q·Kᵀ/√d)·V, with its backward pass written by hand.
_ATTENTION = {
    "Q": domain.real(("T", "d")),
    "K": domain.real(("T", "d")),
    "V": domain.real(("T", "d")),
}
_ATTENTION_DIMS = {"T": 8, "d": 4}
_ATTENTION_SOURCE = "Vaswani et al. 2017, eq. 1; Dao et al. 2022, FlashAttention, §B.2"


def _attention_forward(Q, K, V):
    """(O, P) with P = softmax(Q·Kᵀ/√d) along each row, O = P·V."""
    P = jax.nn.softmax(Q @ K.T / jnp.sqrt(Q.shape[-1]), axis=-1)
    return P @ V, P


def _attention_backward(Q, K, V, P, dO, scale_dQ):
    """dV = Pᵀ·dO; dP = dO·Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P));
    dQ = scale_dQ·dS·K; dK = dSᵀ·Q/√d."""
    dV = P.T @ dO
    dP = dO @ V.T
    dS = P * (dP - jnp.sum(dP * P, axis=-1, keepdims=True))
    return scale_dQ * dS @ K, dS.T @ Q / jnp.sqrt(Q.shape[-1]), dV


@checks.rule(inputs=_ATTENTION, dims=_ATTENTION_DIMS, source=_ATTENTION_SOURCE)
@jax.custom_vjp
def attention(Q, K, V):
    """softmax(Q·Kᵀ/√d)·V, one head, no mask."""
    return _attention_forward(Q, K, V)[0]


def _attention_fwd(Q, K, V):
    out, P = _attention_forward(Q, K, V)
    return out, (Q, K, V, P)


def _attention_bwd(res, dO):
    """The backward pass with dQ = dS·K/√d."""
    Q, K, V, P = res
    return _attention_backward(Q, K, V, P, dO, 1 / jnp.sqrt(Q.shape[-1]))


attention.defvjp(_attention_fwd, _attention_bwd)


@checks.rule(
    inputs=_ATTENTION,
    dims=_ATTENTION_DIMS,
    source=_ATTENTION_SOURCE,
    expect="fail",
    why="dQ leaves out the 1/√d of the scores (dK keeps it)",
)
@jax.custom_vjp
def attention_dQ_unscaled(Q, K, V):
    """softmax(Q·Kᵀ/√d)·V; its backward rule's dQ misses a factor 1/√d."""
    return _attention_forward(Q, K, V)[0]


def _attention_dQ_unscaled_fwd(Q, K, V):
    out, P = _attention_forward(Q, K, V)
    return out, (Q, K, V, P)


def _attention_dQ_unscaled_bwd(res, dO):
    """Wrong: dQ = dS·K (right: dS·K/√d)."""
    Q, K, V, P = res
    return _attention_backward(Q, K, V, P, dO, 1.0)


attention_dQ_unscaled.defvjp(_attention_dQ_unscaled_fwd, _attention_dQ_unscaled_bwd)
