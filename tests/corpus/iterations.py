"""Control flow: Newton iterations in ``lax.while_loop``, piecewise functions by
``lax.cond`` and ``lax.switch``, ``lax.fori_loop`` with a carry that depends on
the data, and what changes autodiff's rules: ``custom_jvp``, ``stop_gradient``,
``reduce_precision``.

An iteration's derivative is written as a user writes it: by the implicit-function
theorem at the converged value (Newton), or carried along the loop (forward mode by
hand). JAX differentiates a ``while_loop`` in forward mode only; the checker's
reference is then ``jax.jacfwd`` (``checks._src.evaluate.reference``).

References: J. Nocedal and S. Wright, *Numerical Optimization* (2006), §11.1
(Newton's method) and App. A.2 (implicit functions); P. J. Huber, *Robust
Estimation of a Location Parameter* (1964).
"""

import jax
import jax.numpy as jnp
from jax import lax

from checks import derivation, domain

# Samplers ------------------------------------------------------------------------


def _uniform(low: float, high: float):
    """A ``domain.custom`` sampler: each entry uniform on [low, high]."""

    def sample(key, shape, dtype):
        return jax.random.uniform(key, shape, jnp.float64, low, high)

    return sample


# Newton's method in lax.while_loop -------------------------------------------------


def newton_sqrt(a: jax.Array) -> jax.Array:
    """√a by Newton's iteration x ← (x + a/x)/2 from x = max(a, 1), until the step
    is below 10⁻⁶ of x (at most 60 steps), in ``lax.while_loop``."""

    def step(carry):
        x, _, k = carry
        new = 0.5 * (x + a / x)
        return new, jnp.abs(new - x), k + 1

    def going(carry):
        x, delta, k = carry
        return (delta > 1e-6 * x) & (k < 60)

    x0 = jnp.maximum(a, 1.0)
    x, _, _ = lax.while_loop(going, step, (x0, jnp.inf * jnp.ones_like(a), 0))
    return 0.5 * (x + a / x)  # one more step: quadratic convergence to rounding


_NEWTON_SQRT = {"a": domain.custom(_uniform(0.25, 16.0))}


@derivation(
    of=newton_sqrt,
    wrt="a",
    inputs=_NEWTON_SQRT,
    source="Nocedal and Wright, App. A.2",
)
def newton_sqrt_grad(a: jax.Array) -> jax.Array:
    """d√a/da = 1/(2x) at the converged x = √a.

    F(x, a) = x² − a = 0 defines x(a); dx/da = −(∂F/∂a)/(∂F/∂x) = 1/(2x)
    (implicit functions), evaluated at the loop's own result.

    Domain: a ∈ [1/4, 16].
    Source: Nocedal and Wright, App. A.2 (the implicit function theorem).
    """
    return 0.5 / newton_sqrt(a)


@derivation(
    of=newton_sqrt,
    wrt="a",
    inputs=_NEWTON_SQRT,
    source="Nocedal and Wright, App. A.2",
    expect="fail",
    why="−∂F/∂a over ∂F/∂x with ∂F/∂x = x instead of 2x",
)
def newton_sqrt_grad_lost_factor_two(a: jax.Array) -> jax.Array:
    """d√a/da = 1/x.

    Why wrong: ∂(x² − a)/∂x = 2x; the 2 is lost.
    Source: Nocedal and Wright, App. A.2 (the correct form).
    """
    return 1.0 / newton_sqrt(a)


def cubic_root(c: jax.Array) -> jax.Array:
    """The real roots x of x³ + x = c, elementwise, by Newton's method from
    x = c/(1 + |c|^(2/3)), at most 30 steps, until every
    |x³ + x − c| ≤ 10⁻¹²(1 + |c|)."""

    def going(carry):
        x, k = carry
        return jnp.any(jnp.abs(x**3 + x - c) > 1e-12 * (1.0 + jnp.abs(c))) & (k < 30)

    def step(carry):
        x, k = carry
        return x - (x**3 + x - c) / (3.0 * x**2 + 1.0), k + 1

    x0 = c / (1.0 + jnp.abs(c) ** (2.0 / 3.0))
    x, k = lax.while_loop(going, step, (x0, 0))
    return step((x, k))[0]  # one more step: the error squared, to rounding


_CUBIC = {"c": domain.custom(_uniform(-20.0, 20.0), ("k",))}


@derivation(
    of=cubic_root,
    wrt="c",
    inputs=_CUBIC,
    dims={"k": (3,)},
    source="Nocedal and Wright, App. A.2",
)
def cubic_root_jacobian(c: jax.Array) -> jax.Array:
    """∂xᵢ/∂cⱼ = δᵢⱼ / (3xᵢ² + 1) (each root depends on its own c only).

    F(x, c) = x³ + x − c = 0; dx/dc = 1/(3x² + 1) > 0: x is smooth in c.

    Source: Nocedal and Wright, App. A.2.
    """
    x = cubic_root(c)
    return jnp.diag(1.0 / (3.0 * x**2 + 1.0))


@derivation(
    of=cubic_root,
    wrt="c",
    inputs=_CUBIC,
    dims={"k": (3,)},
    source="Nocedal and Wright, App. A.2",
    expect="fail",
    why="∂F/∂x without the +1 from the linear term",
)
def cubic_root_jacobian_dropped_linear_term(c: jax.Array) -> jax.Array:
    """∂xᵢ/∂cᵢ = 1/(3xᵢ²).

    Why wrong: ∂(x³ + x − c)/∂x = 3x² + 1.
    Source: Nocedal and Wright, App. A.2 (the correct form).
    """
    x = cubic_root(c)
    return jnp.diag(1.0 / (3.0 * x**2))


# Piecewise functions: lax.cond and lax.switch ----------------------------------------


def huber(r: jax.Array) -> jax.Array:
    """Huber's loss with δ = 1 by ``lax.cond``: r²/2 for |r| ≤ 1, |r| − 1/2 beyond."""
    return lax.cond(
        jnp.abs(r) <= 1.0, lambda r: 0.5 * r * r, lambda r: jnp.abs(r) - 0.5, r
    )


_HUBER = {"r": domain.real(scale=2.0)}


@derivation(of=huber, wrt="r", inputs=_HUBER, source="Huber (1964)")
def huber_grad(r: jax.Array) -> jax.Array:
    """ψ(r) = r for |r| ≤ 1, sign(r) beyond (r clipped to [−1, 1]).

    Source: Huber (1964), ψ = ρ′.
    """
    return lax.cond(jnp.abs(r) <= 1.0, lambda r: r, jnp.sign, r)


@derivation(
    of=huber,
    wrt="r",
    inputs=_HUBER,
    source="Huber (1964)",
    expect="fail",
    why="the quadratic piece's derivative everywhere: not clipped beyond |r| = 1",
)
def huber_grad_unclipped(r: jax.Array) -> jax.Array:
    """ψ(r) = r.

    Why wrong: beyond |r| = 1 the loss is linear, slope ±1.
    Source: Huber (1964) (the correct form).
    """
    return lax.cond(jnp.abs(r) <= 1.0, lambda r: r, lambda r: r, r)


def smooth_ramp(x: jax.Array) -> jax.Array:
    """A C¹ piecewise function by ``lax.switch`` on (x > −1) + (x > 1):
    −2x − 1 left of −1, x² on [−1, 1], 2x − 1 right of 1, summed over x."""
    branches = (lambda x: -2.0 * x - 1.0, lambda x: x * x, lambda x: 2.0 * x - 1.0)
    pieces = jax.vmap(
        lambda x: lax.switch(
            (x > -1.0).astype(int) + (x > 1.0).astype(int), branches, x
        )
    )
    return jnp.sum(pieces(x))


_RAMP = {"x": domain.real(("k",), scale=2.0)}


@derivation(of=smooth_ramp, wrt="x", inputs=_RAMP, dims={"k": (4,)}, source="by hand")
def smooth_ramp_grad(x: jax.Array) -> jax.Array:
    """−2 left of −1, 2x on [−1, 1], 2 right of 1 (continuous at ±1).

    Source: differentiate each piece.
    """
    branches = (lambda x: -2.0 + 0.0 * x, lambda x: 2.0 * x, lambda x: 2.0 + 0.0 * x)
    index = (x > -1.0).astype(int) + (x > 1.0).astype(int)
    return jax.vmap(lambda i, x: lax.switch(i, branches, x))(index, x)


@derivation(
    of=smooth_ramp,
    wrt="x",
    inputs=_RAMP,
    dims={"k": (4,)},
    source="by hand",
    expect="fail",
    why="the outer pieces' slopes swapped: −2 and 2 in the wrong branches",
)
def smooth_ramp_grad_swapped_branches(x: jax.Array) -> jax.Array:
    """2 left of −1, 2x on [−1, 1], −2 right of 1.

    Why wrong: the branch order of ``lax.switch`` follows the index, and the
    outer slopes are exchanged.
    Source: differentiate each piece (the correct form).
    """
    branches = (lambda x: 2.0 + 0.0 * x, lambda x: 2.0 * x, lambda x: -2.0 + 0.0 * x)
    index = (x > -1.0).astype(int) + (x > 1.0).astype(int)
    return jax.vmap(lambda i, x: lax.switch(i, branches, x))(index, x)


# lax.fori_loop with a carry that depends on the data -----------------------------


def logistic_orbit(x0: jax.Array, r: jax.Array) -> jax.Array:
    """x₅ of the logistic map xₖ₊₁ = r xₖ (1 − xₖ), by ``lax.fori_loop``."""
    return lax.fori_loop(0, 5, lambda _, x: r * x * (1.0 - x), x0)


_ORBIT = {
    "x0": domain.custom(_uniform(0.05, 0.95)),
    "r": domain.custom(_uniform(1.0, 3.9)),
}


def _orbit_tangent(x0, r, dx0, dr, slope=2.0):
    """(x₅, dx₅) carried together: dxₖ₊₁ = r (1 − slope·xₖ) dxₖ + xₖ (1 − xₖ) dr."""

    def body(_, carry):
        x, dx = carry
        return r * x * (1.0 - x), r * (1.0 - slope * x) * dx + x * (1.0 - x) * dr

    return lax.fori_loop(0, 5, body, (x0, dx0))[1]


@derivation(of=logistic_orbit, wrt="x0", inputs=_ORBIT, source="by hand (chain rule)")
def logistic_orbit_grad_x0(x0: jax.Array, r: jax.Array) -> jax.Array:
    """dx₅/dx₀ = Πₖ r (1 − 2xₖ), carried through the same loop (forward mode).

    Source: the chain rule through xₖ₊₁ = r xₖ (1 − xₖ).
    """
    return _orbit_tangent(x0, r, jnp.ones_like(x0), jnp.zeros_like(r))


@derivation(of=logistic_orbit, wrt="r", inputs=_ORBIT, source="by hand (chain rule)")
def logistic_orbit_grad_r(x0: jax.Array, r: jax.Array) -> jax.Array:
    """dx₅/dr: dxₖ₊₁ = r (1 − 2xₖ) dxₖ + xₖ (1 − xₖ), dx₀ = 0.

    Source: the chain rule through xₖ₊₁ = r xₖ (1 − xₖ).
    """
    return _orbit_tangent(x0, r, jnp.zeros_like(x0), jnp.ones_like(r))


@derivation(
    of=logistic_orbit,
    wrt="x0",
    inputs=_ORBIT,
    source="by hand (chain rule)",
    expect="fail",
    why="d[x(1 − x)]/dx taken as 1 − x: the product rule's second term lost",
)
def logistic_orbit_grad_x0_product_rule(x0: jax.Array, r: jax.Array) -> jax.Array:
    """dx₅/dx₀ = Πₖ r (1 − xₖ).

    Why wrong: d[x(1 − x)] = (1 − 2x) dx.
    Source: the chain rule (the correct form).
    """
    return _orbit_tangent(x0, r, jnp.ones_like(x0), jnp.zeros_like(r), slope=1.0)


# custom_jvp, stop_gradient, reduce_precision ---------------------------------------


@jax.custom_jvp
def softplus(x: jax.Array) -> jax.Array:
    """log(1 + eˣ), stable for large |x|, with its derivative σ(x) as a custom JVP."""
    return jnp.logaddexp(x, 0.0)


@softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return softplus(x), jax.nn.sigmoid(x) * dx


def softplus_energy(x: jax.Array, w: jax.Array) -> jax.Array:
    """Σᵢ wᵢ softplus(xᵢ)² through the ``custom_jvp`` softplus."""
    return jnp.sum(w * softplus(x) ** 2)


_SOFTPLUS = {"x": domain.real(("k",), scale=3.0), "w": domain.real(("k",))}


@derivation(
    of=softplus_energy, wrt="x", inputs=_SOFTPLUS, dims={"k": (3,)}, source="by hand"
)
def softplus_energy_grad(x: jax.Array, w: jax.Array) -> jax.Array:
    """∂/∂xᵢ = 2 wᵢ softplus(xᵢ) σ(xᵢ).

    Source: softplus′ = σ, and the chain rule.
    """
    return 2.0 * w * jnp.logaddexp(x, 0.0) * jax.nn.sigmoid(x)


@derivation(
    of=softplus_energy,
    wrt="x",
    inputs=_SOFTPLUS,
    dims={"k": (3,)},
    source="by hand",
    expect="fail",
    why="softplus′ taken as σ(−x) = 1 − σ(x)",
)
def softplus_energy_grad_reflected_sigmoid(x: jax.Array, w: jax.Array) -> jax.Array:
    """∂/∂xᵢ = 2 wᵢ softplus(xᵢ) σ(−xᵢ).

    Why wrong: d log(1 + eˣ)/dx = eˣ/(1 + eˣ) = σ(x).
    Source: softplus′ = σ (the correct form).
    """
    return 2.0 * w * jnp.logaddexp(x, 0.0) * jax.nn.sigmoid(-x)


def frozen_scale_loss(x: jax.Array) -> jax.Array:
    """Σ x² / stop_gradient(Σ x²)... as a weighting: Σᵢ xᵢ² · sg(‖x‖) with the
    norm treated as a constant (``lax.stop_gradient``)."""
    return jnp.sum(x * x) * lax.stop_gradient(jnp.sqrt(jnp.sum(x * x)))


_FROZEN = {"x": domain.real(("k",))}


@derivation(
    of=frozen_scale_loss, wrt="x", inputs=_FROZEN, dims={"k": (3,)}, source="by hand"
)
def frozen_scale_loss_grad(x: jax.Array) -> jax.Array:
    """2x‖x‖: the stopped factor is a constant to autodiff.

    Source: ``lax.stop_gradient`` has derivative zero.
    """
    return 2.0 * x * jnp.sqrt(jnp.sum(x * x))


@derivation(
    of=frozen_scale_loss,
    wrt="x",
    inputs=_FROZEN,
    dims={"k": (3,)},
    source="by hand",
    expect="fail",
    why="differentiates through the stopped norm: 3x‖x‖, the gradient of ‖x‖³",
)
def frozen_scale_loss_grad_through_stop(x: jax.Array) -> jax.Array:
    """3x‖x‖.

    Why wrong: ``stop_gradient`` makes ‖x‖ a constant; ∂‖x‖³ is not asked for.
    Source: ``lax.stop_gradient`` (the correct form).
    """
    return 3.0 * x * jnp.sqrt(jnp.sum(x * x))


def quantized_sine(x: jax.Array) -> jax.Array:
    """Σ sin(q(x)), q rounding to bfloat16's 8 bits (``lax.reduce_precision``),
    differentiated as JAX does: q is linear to autodiff (straight through)."""
    q = lax.reduce_precision(x, exponent_bits=8, mantissa_bits=7)
    return jnp.sum(jnp.sin(q))


_QUANT = {"x": domain.real(("k",), scale=2.0)}


@derivation(
    of=quantized_sine, wrt="x", inputs=_QUANT, dims={"k": (3,)}, source="by hand"
)
def quantized_sine_grad(x: jax.Array) -> jax.Array:
    """cos(q(x)), the straight-through gradient (q′ taken as 1, its cotangent
    itself rounded by q).

    Source: JAX differentiates ``reduce_precision`` as a linear map.
    """
    q = lax.reduce_precision(x, exponent_bits=8, mantissa_bits=7)
    return lax.reduce_precision(jnp.cos(q), exponent_bits=8, mantissa_bits=7)


@derivation(
    of=quantized_sine,
    wrt="x",
    inputs=_QUANT,
    dims={"k": (3,)},
    source="by hand",
    expect="fail",
    why="q′ = 0 almost everywhere (q is a step function): not what JAX differentiates",
)
def quantized_sine_grad_step_function(x: jax.Array) -> jax.Array:
    """0: q(x) is piecewise constant, so Σ sin(q(x)) is too.

    Why wrong: true almost everywhere, but JAX differentiates ``reduce_precision``
    straight through (as the identity, its cotangent rounded), and the checker's
    reference is JAX's derivative.
    Source: JAX's rule for ``reduce_precision`` (the correct form).
    """
    return jnp.zeros_like(x)
