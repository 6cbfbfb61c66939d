"""Mixed precision: closed forms written the way low-precision kernels are.

A bfloat16 or float16 kernel computes in float32 and casts back
(``x.astype(jnp.float32)`` … ``.astype(x.dtype)``), accumulates a product in
float32 (``preferred_element_type``), rounds on purpose (``lax.reduce_precision``),
clips by the dtype's ``finfo(x.dtype).eps``, guards a log or a square root at 0
with ``jnp.where``, and mixes float inputs with integer labels. Each such form is
right in every dtype it is checked in; each wrong one is wrong in its formula.

References: Micikevicius et al., "Mixed Precision Training" (ICLR 2018);
JAX docs, "jax.numpy.where" (the double-where trick), "jax.lax.reduce_precision".
"""

import jax
import jax.numpy as jnp
from jax import lax

from checks import derivation, domain

_MP = "Micikevicius et al. (2018), mixed precision training"
_WHERE = "JAX FAQ, gradients and jnp.where (the double-where trick)"


def _wide(x: jax.Array) -> jax.Array:
    """x in float32 if narrower, else as it is (float64 stays float64)."""
    return x.astype(jnp.promote_types(x.dtype, jnp.float32))


# --- tanh in a float32 kernel ---


def tanh_sum(x: jax.Array) -> jax.Array:
    """Σᵢ tanh(xᵢ)."""
    return jnp.sum(jnp.tanh(x))


_VEC = {"x": domain.real(("n",))}
_VEC_DIMS = {"n": (3,)}


@derivation(
    of=tanh_sum,
    wrt="x",
    inputs=_VEC,
    dims=_VEC_DIMS,
    source=f"{_MP}; tanh′ = 1 − tanh²",
)
def tanh_sum_grad_in_float32(x: jax.Array) -> jax.Array:
    """∇ Σ tanh(xᵢ) = 1 − tanh²(xᵢ), computed in float32 and cast back.

    The kernel idiom: widen to float32, compute, round once to the input's dtype.
    """
    t = jnp.tanh(_wide(x))
    return (1.0 - t * t).astype(x.dtype)


@derivation(
    of=tanh_sum,
    wrt="x",
    inputs=_VEC,
    dims=_VEC_DIMS,
    source=f"{_MP}; tanh′ = 1 − tanh²",
    expect="fail",
    why="1 − tanh(x), not 1 − tanh²(x)",
)
def tanh_sum_grad_in_float32_unsquared(x: jax.Array) -> jax.Array:
    """∇ Σ tanh(xᵢ) = 1 − tanh(xᵢ), in float32 and cast back.

    Why wrong: the derivative of tanh is 1 − tanh², the square is lost.
    Right: ``tanh_sum_grad_in_float32``.
    """
    return (1.0 - jnp.tanh(_wide(x))).astype(x.dtype)


# --- a linear layer with a float32 accumulator ---


def linear_layer(W: jax.Array, x: jax.Array, dout: jax.Array) -> jax.Array:
    """Σ dout ⊙ (W x)."""
    return jnp.sum(dout * (W @ x))


_LINEAR = {
    "W": domain.real(("m", "k")),
    "x": domain.real(("k",)),
    "dout": domain.real(("m",)),
}
_LINEAR_DIMS = {"m": (2,), "k": (3,)}


@derivation(
    of=linear_layer,
    wrt="x",
    inputs=_LINEAR,
    dims=_LINEAR_DIMS,
    source=f"{_MP}; ∂(doutᵀ W x)/∂x = Wᵀ dout",
)
def linear_layer_grad_x_float32_accumulator(
    W: jax.Array, x: jax.Array, dout: jax.Array
) -> jax.Array:
    """dx = Wᵀ dout, products accumulated in float32 (``preferred_element_type``)."""
    acc = jnp.promote_types(x.dtype, jnp.float32)
    return jnp.dot(W.T, dout, preferred_element_type=acc).astype(x.dtype)


@derivation(
    of=linear_layer,
    wrt="x",
    inputs=_LINEAR,
    dims={"m": (3,), "k": (3,)},
    source=f"{_MP}; ∂(doutᵀ W x)/∂x = Wᵀ dout",
    expect="fail",
    why="W dout instead of Wᵀ dout (square W hides the shape error)",
)
def linear_layer_grad_x_float32_accumulator_untransposed(
    W: jax.Array, x: jax.Array, dout: jax.Array
) -> jax.Array:
    """dx = W dout, accumulated in float32.

    Why wrong: dx_j = Σᵢ doutᵢ Wᵢⱼ is a column sum, Wᵀ dout. Right: Wᵀ dout.
    """
    acc = jnp.promote_types(x.dtype, jnp.float32)
    return jnp.dot(W, dout, preferred_element_type=acc).astype(x.dtype)


# --- rounding on purpose ---


def cube_third(x: jax.Array) -> jax.Array:
    """Σ xᵢ³/3."""
    return jnp.sum(x**3) / 3.0


@derivation(
    of=cube_third, wrt="x", inputs=_VEC, dims=_VEC_DIMS, source="d(x³/3)/dx = x²"
)
def cube_third_grad_rounded_to_bfloat16(x: jax.Array) -> jax.Array:
    """∇ Σ xᵢ³/3 = xᵢ², rounded to bfloat16's 8 bits (``lax.reduce_precision``).

    The rounding is the closed form's own, and its bound says so.
    """
    return lax.reduce_precision(x * x, exponent_bits=8, mantissa_bits=7)


@derivation(
    of=cube_third,
    wrt="x",
    inputs=_VEC,
    dims=_VEC_DIMS,
    source="d(x³/3)/dx = x²",
    expect="fail",
    why="x³ instead of x² (the power not lowered)",
)
def cube_third_grad_rounded_wrong_power(x: jax.Array) -> jax.Array:
    """∇ Σ xᵢ³/3 = xᵢ³, rounded to bfloat16's 8 bits.

    Why wrong: d(x³/3)/dx = x². Right: x².
    """
    return lax.reduce_precision(x * x * x, exponent_bits=8, mantissa_bits=7)


# --- softmax with a float32 accumulator ---


def logsumexp(x: jax.Array) -> jax.Array:
    """log Σᵢ e^{xᵢ}."""
    return jax.nn.logsumexp(x)


@derivation(
    of=logsumexp, wrt="x", inputs=_VEC, dims=_VEC_DIMS, source="∇ logsumexp = softmax"
)
def logsumexp_grad_float32_softmax(x: jax.Array) -> jax.Array:
    """softmax(x) = e^{x − max x}/Σ e^{x − max x}, exponentials summed in float32."""
    xf = _wide(x)
    e = jnp.exp(xf - jnp.max(xf))
    return (e / jnp.sum(e)).astype(x.dtype)


@derivation(
    of=logsumexp,
    wrt="x",
    inputs=_VEC,
    dims=_VEC_DIMS,
    source="∇ logsumexp = softmax",
    expect="fail",
    why="log-softmax returned instead of softmax",
)
def logsumexp_grad_float32_log_softmax(x: jax.Array) -> jax.Array:
    """∇ log Σ e^{xᵢ} = log softmax(x), in float32.

    Why wrong: the gradient is the softmax itself, not its log. Right: softmax(x).
    """
    xf = _wide(x)
    return jax.nn.log_softmax(xf).astype(x.dtype)


# --- clipping by the dtype's epsilon ---


def clipped_bce(p: jax.Array, y: jax.Array) -> jax.Array:
    """−(y log p̃ + (1 − y) log(1 − p̃)), p̃ = clip(p, ε, 1 − ε), ε = finfo(p).eps."""
    eps = jnp.asarray(jnp.finfo(p.dtype).eps, p.dtype)
    q = jnp.clip(p, eps, 1.0 - eps)
    return -(y * jnp.log(q) + (1.0 - y) * jnp.log1p(-q))


_BCE = {"p": domain.unit_interval(), "y": domain.unit_interval()}


@derivation(
    of=clipped_bce,
    wrt="p",
    inputs=_BCE,
    source="Keras binary_crossentropy (clipping by epsilon)",
)
def clipped_bce_grad(p: jax.Array, y: jax.Array) -> jax.Array:
    """∂/∂p = (p̃ − y)/(p̃(1 − p̃)) inside [ε, 1 − ε], 0 where the clip holds p̃."""
    eps = jnp.asarray(jnp.finfo(p.dtype).eps, p.dtype)
    inside = (p >= eps) & (p <= 1.0 - eps)
    q = jnp.clip(p, eps, 1.0 - eps)
    return jnp.where(inside, (q - y) / (q * (1.0 - q)), 0.0)


@derivation(
    of=clipped_bce,
    wrt="p",
    inputs=_BCE,
    source="Keras binary_crossentropy (clipping by epsilon)",
    expect="fail",
    why="the sign of the gradient flipped: (y − p)/(p(1 − p))",
)
def clipped_bce_grad_flipped_sign(p: jax.Array, y: jax.Array) -> jax.Array:
    """∂/∂p = (y − p̃)/(p̃(1 − p̃)) inside the clip.

    Why wrong: −d/dp [y log p + (1 − y) log(1 − p)] = (p − y)/(p(1 − p)).
    Right: ``clipped_bce_grad``.
    """
    eps = jnp.asarray(jnp.finfo(p.dtype).eps, p.dtype)
    inside = (p >= eps) & (p <= 1.0 - eps)
    q = jnp.clip(p, eps, 1.0 - eps)
    return jnp.where(inside, (y - q) / (q * (1.0 - q)), 0.0)


# --- logs and square roots guarded at 0 ---


def _with_zeros(key, shape, dtype):
    """Uniform on [0, 2), a quarter of the entries exactly 0."""
    k1, k2 = jax.random.split(key)
    u = jax.random.uniform(k1, shape, dtype, 0.0, 2.0)
    return jnp.where(jax.random.bernoulli(k2, 0.25, shape), jnp.zeros((), dtype), u)


_ZEROS = {"x": domain.custom(_with_zeros, ("n",))}


def neg_entropy(x: jax.Array) -> jax.Array:
    """Σᵢ xᵢ log xᵢ, with 0 log 0 = 0 (the double where: no NaN in the gradient)."""
    safe = jnp.where(x > 0, x, 1.0)
    return jnp.sum(jnp.where(x > 0, x * jnp.log(safe), 0.0))


@derivation(of=neg_entropy, wrt="x", inputs=_ZEROS, dims=_VEC_DIMS, source=_WHERE)
def neg_entropy_grad(x: jax.Array) -> jax.Array:
    """∂(x log x)/∂x = log x + 1 where x > 0; 0 where the where selects the constant."""
    safe = jnp.where(x > 0, x, 1.0)
    return jnp.where(x > 0, jnp.log(safe) + 1.0, 0.0)


@derivation(
    of=neg_entropy,
    wrt="x",
    inputs=_ZEROS,
    dims=_VEC_DIMS,
    source=_WHERE,
    expect="fail",
    why="the + 1 of the product rule is lost",
)
def neg_entropy_grad_missing_one(x: jax.Array) -> jax.Array:
    """∂(x log x)/∂x = log x where x > 0.

    Why wrong: d(x log x) = log x dx + x (dx/x); the second term is 1.
    Right: log x + 1.
    """
    safe = jnp.where(x > 0, x, 1.0)
    return jnp.where(x > 0, jnp.log(safe), 0.0)


def safe_norm(x: jax.Array) -> jax.Array:
    """‖x‖₂, 0 at x = 0 with a zero gradient there (the double where)."""
    s = jnp.sum(x * x)
    return jnp.where(s > 0, jnp.sqrt(jnp.where(s > 0, s, 1.0)), 0.0)


@derivation(of=safe_norm, wrt="x", inputs=_ZEROS, dims={"n": (2,)}, source=_WHERE)
def safe_norm_grad(x: jax.Array) -> jax.Array:
    """∇‖x‖ = x/‖x‖ for x ≠ 0, 0 at x = 0."""
    s = jnp.sum(x * x)
    r = jnp.sqrt(jnp.where(s > 0, s, 1.0))
    return jnp.where(s > 0, x / r, jnp.zeros_like(x))


# --- integer labels with float scores; one_hot ---

_C = 3


def cross_entropy(scores: jax.Array, y: jax.Array) -> jax.Array:
    """−(1/N) Σᵢ Σⱼ onehot(yᵢ)ⱼ log softmax(sᵢ)ⱼ, ``jax.nn.one_hot``."""
    onehot = jax.nn.one_hot(y, _C, dtype=scores.dtype)
    return -jnp.mean(jnp.sum(onehot * jax.nn.log_softmax(scores, axis=1), axis=1))


_CE = {"scores": domain.real(("N", _C)), "y": domain.integers(0, _C, ("N",))}
_CE_DIMS = {"N": (2,)}


@derivation(
    of=cross_entropy,
    wrt="scores",
    inputs=_CE,
    dims=_CE_DIMS,
    source="CS231n, assignment 1, softmax.py",
)
def cross_entropy_grad_one_hot(scores: jax.Array, y: jax.Array) -> jax.Array:
    """dscores = (softmax(scores) − onehot(y))/N, the one-hot in the scores' dtype."""
    N = scores.shape[0]
    P = jax.nn.softmax(_wide(scores), axis=1)
    return ((P - jax.nn.one_hot(y, _C, dtype=P.dtype)) / N).astype(scores.dtype)


@derivation(
    of=cross_entropy,
    wrt="scores",
    inputs=_CE,
    dims=_CE_DIMS,
    source="CS231n, assignment 1, softmax.py",
    expect="fail",
    why="the one-hot of the next class, y + 1 (an off-by-one label)",
)
def cross_entropy_grad_one_hot_shifted(scores: jax.Array, y: jax.Array) -> jax.Array:
    """dscores = (softmax(scores) − onehot((y + 1) mod C))/N.

    Why wrong: the label's own class gets the −1. Right: onehot(y).
    """
    N = scores.shape[0]
    P = jax.nn.softmax(scores, axis=1)
    return (P - jax.nn.one_hot((y + 1) % _C, _C, dtype=P.dtype)) / N


# --- log_sigmoid, softplus ---


def log_sigmoid(x: jax.Array) -> jax.Array:
    """log σ(x) (``jax.nn.log_sigmoid``)."""
    return jax.nn.log_sigmoid(x)


@derivation(
    of=log_sigmoid, wrt="x", inputs={"x": domain.real()}, source="d log σ(x) = σ(−x)"
)
def log_sigmoid_grad(x: jax.Array) -> jax.Array:
    """d/dx log σ(x) = σ′/σ = 1 − σ(x) = σ(−x)."""
    return jax.nn.sigmoid(-x)


@derivation(
    of=log_sigmoid,
    wrt="x",
    inputs={"x": domain.real()},
    source="d log σ(x) = σ(−x)",
    expect="fail",
    why="σ(x) instead of σ(−x)",
)
def log_sigmoid_grad_sign(x: jax.Array) -> jax.Array:
    """d/dx log σ(x) = σ(x).

    Why wrong: σ′ = σ(1 − σ), so σ′/σ = 1 − σ(x) = σ(−x). Right: σ(−x).
    """
    return jax.nn.sigmoid(x)


def softplus_wide(x: jax.Array) -> jax.Array:
    """log(1 + eˣ) at inputs up to ±3000 (``jax.nn.softplus``)."""
    return jax.nn.softplus(x)


@derivation(
    of=softplus_wide,
    wrt="x",
    inputs={"x": domain.real(scale=100.0)},
    source="softplus′ = σ",
)
def softplus_wide_grad(x: jax.Array) -> jax.Array:
    """softplus′(x) = σ(x), finite where eˣ overflows."""
    return jax.nn.sigmoid(x)


# --- `of` returning float32 ---


def square_in_float32(x: jax.Array) -> jax.Array:
    """Σ xᵢ², returned in float32 whatever the input's dtype."""
    return jnp.sum(x * x).astype(jnp.float32)


@derivation(
    of=square_in_float32, wrt="x", inputs=_VEC, dims=_VEC_DIMS, source="d(x²) = 2x"
)
def square_in_float32_grad(x: jax.Array) -> jax.Array:
    """∇ Σ xᵢ² = 2x (the cast of the value has derivative 1)."""
    return 2.0 * x
