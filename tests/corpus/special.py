"""Special functions and smooth activations, and hand rules in ``jax.custom_vjp``.

GELU through ``jax.scipy.special.erf``, softplus, log-sum-exp. A ``custom_vjp``
function's backward rule is a hand derivation too: there the closed form is
``jax.grad`` of the custom function (which runs the hand rule) and ``of`` is the
plain function, so autodiff of the plain function checks the rule.

References: Hendrycks & Gimpel, "Gaussian Error Linear Units" (2016); JAX docs,
"Custom derivative rules for JAX-transformable Python functions".
"""

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import erf

from checks import derivation, domain

_GELU = "Hendrycks & Gimpel (2016), GELU"
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def gelu(x: jax.Array) -> jax.Array:
    """GELU(x) = x Φ(x) = ½ x (1 + erf(x/√2)), exact (not the tanh approximation)."""
    return 0.5 * x * (1.0 + erf(x / _SQRT2))


@derivation(of=gelu, wrt="x", inputs={"x": domain.real()}, source=_GELU)
def gelu_grad(x: jax.Array) -> jax.Array:
    """GELU′(x) = Φ(x) + x φ(x), φ(x) = e^{−x²/2}/√(2π).

    d/dx [x Φ(x)] = Φ(x) + x Φ′(x)             (product rule)
    Φ′ = φ; Φ(x) = ½(1 + erf(x/√2))
    Source: Hendrycks & Gimpel (2016).
    """
    return 0.5 * (1.0 + erf(x / _SQRT2)) + x * jnp.exp(-0.5 * x * x) * _INV_SQRT_2PI


@derivation(
    of=gelu,
    wrt="x",
    inputs={"x": domain.real()},
    source=_GELU,
    expect="fail",
    why="the product rule's x φ(x) term is dropped",
)
def gelu_grad_missing_density_term(x: jax.Array) -> jax.Array:
    """GELU′(x) = Φ(x).

    Why wrong: GELU is x times Φ(x); differentiating only the x gives Φ(x), and the
    term x φ(x) from Φ is lost. Right: Φ(x) + x φ(x).
    """
    return 0.5 * (1.0 + erf(x / _SQRT2))


def softplus(x: jax.Array) -> jax.Array:
    """log(1 + eˣ) (``jax.nn.softplus``)."""
    return jax.nn.softplus(x)


@derivation(
    of=softplus, wrt="x", inputs={"x": domain.real()}, source="softplus′ = sigmoid"
)
def softplus_grad(x: jax.Array) -> jax.Array:
    """softplus′(x) = eˣ/(1 + eˣ) = σ(x)."""
    return jax.nn.sigmoid(x)


def logsumexp(x: jax.Array) -> jax.Array:
    """log Σᵢ e^{xᵢ} (``jax.nn.logsumexp``)."""
    return jax.nn.logsumexp(x)


_LSE_INPUTS = {"x": domain.real(("n",))}
_LSE_DIMS = {"n": (2, 4)}


@derivation(
    of=logsumexp,
    wrt="x",
    inputs=_LSE_INPUTS,
    dims=_LSE_DIMS,
    source="∇ log-sum-exp = softmax",
)
def logsumexp_grad(x: jax.Array) -> jax.Array:
    """∇ log Σ e^{xᵢ} = softmax(x) = e^{xᵢ}/Σⱼ e^{xⱼ}."""
    return jax.nn.softmax(x)


@derivation(
    of=logsumexp,
    wrt="x",
    inputs=_LSE_INPUTS,
    dims=_LSE_DIMS,
    source="∇ log-sum-exp = softmax",
    expect="fail",
    why="shifts by max(x) for stability but forgets to normalize by the sum",
)
def logsumexp_grad_unnormalized(x: jax.Array) -> jax.Array:
    """∇ log Σ e^{xᵢ} = e^{xᵢ − max x}.

    Why wrong: the derivative of the log divides by Σ e^{xⱼ}; the shift by max x is
    only a rescaling that the division removes. Right: softmax(x).
    """
    return jnp.exp(x - jnp.max(x))


@jax.custom_vjp
def softplus_with_rule(x: jax.Array) -> jax.Array:
    """softplus with a hand-written backward rule g ↦ g σ(x)."""
    return jnp.logaddexp(x, 0.0)


def _softplus_fwd(x):
    return jnp.logaddexp(x, 0.0), x


def _softplus_bwd(x, g):
    return (g * jax.nn.sigmoid(x),)


softplus_with_rule.defvjp(_softplus_fwd, _softplus_bwd)


def softplus_plain(x: jax.Array) -> jax.Array:
    """log(1 + eˣ) as log-add-exp(x, 0), no custom rule."""
    return jnp.logaddexp(x, 0.0)


@derivation(
    of=softplus_plain,
    wrt="x",
    inputs={"x": domain.real()},
    source="JAX docs, custom_vjp",
)
def softplus_custom_vjp_rule(x: jax.Array) -> jax.Array:
    """The custom rule's gradient: σ(x), run through ``jax.grad`` of the custom_vjp."""
    return jax.grad(softplus_with_rule)(x)


def _norm_rule(squared_denominator: bool):
    @jax.custom_vjp
    def norm(x):
        return jnp.sqrt(jnp.sum(x * x))

    def fwd(x):
        r = jnp.sqrt(jnp.sum(x * x))
        return r, (x, r)

    def bwd(residuals, g):
        x, r = residuals
        return (g * x / (r * r if squared_denominator else r),)

    norm.defvjp(fwd, bwd)
    return norm


euclidean_norm_with_rule = _norm_rule(squared_denominator=False)
euclidean_norm_with_squared_rule = _norm_rule(squared_denominator=True)


def euclidean_norm(x: jax.Array) -> jax.Array:
    """‖x‖₂ = √(Σ xᵢ²)."""
    return jnp.sqrt(jnp.sum(x * x))


_NORM_INPUTS = {"x": domain.real(("n",))}


@derivation(
    of=euclidean_norm,
    wrt="x",
    inputs=_NORM_INPUTS,
    dims={"n": (2, 3)},
    source="JAX docs, custom_vjp",
)
def euclidean_norm_custom_vjp_rule(x: jax.Array) -> jax.Array:
    """The custom rule g ↦ g x/‖x‖, through ``jax.grad``.

    d√s = ds/(2√s), ds = 2 xᵀdx. Domain: x ≠ 0.
    """
    return jax.grad(euclidean_norm_with_rule)(x)


@derivation(
    of=euclidean_norm,
    wrt="x",
    inputs=_NORM_INPUTS,
    dims={"n": (2, 3)},
    source="JAX docs, custom_vjp",
    expect="fail",
    why="the custom rule divides by ‖x‖² (the gradient of ½ log ‖x‖²)",
)
def euclidean_norm_custom_vjp_rule_squared_denominator(x: jax.Array) -> jax.Array:
    """The custom rule g ↦ g x/‖x‖², through ``jax.grad``.

    Why wrong: x/‖x‖² is the gradient of log ‖x‖, not of ‖x‖. Right: x/‖x‖.
    """
    return jax.grad(euclidean_norm_with_squared_rule)(x)
