"""Gradients and the Jacobian of two functions of (x, y): a worked review.

The example of the "Logistic Regression" slides (Ngo Huy Bien, "Jacobian Matrix
Review"): f(x, y) = 3x²y and g(x, y) = 2x + y⁸, their gradients, and the Jacobian
that stacks the two gradients as rows.

The two scalar variables are passed as one vector v = (x, y), so that a gradient
∇f = [∂f/∂x, ∂f/∂y] is the derivative with respect to one parameter, of shape (2,).

Not checked:

- slides, Generalization of the Jacobian: y₁ = f₁(x) = 3x₁²x₂, y₂ = f₂(x) = 2x₁ +
  x₂⁸ are f and g again (f_and_g_jacobian); the stacked ∂y/∂x is garbled by the
  extraction (rows "∂/∂z₁ f_m(x)" repeated).
- slides, Possible Jacobian Shapes: a missing figure.
"""

import jax
import jax.numpy as jnp

from checks import derivation, domain

_SOURCE = 'Ngo Huy Bien, "Logistic Regression" slides, Jacobian Matrix Review'
_INPUTS = {"v": domain.real((2,))}


def three_x_squared_y(v: jax.Array) -> jax.Array:
    """f(x, y) = 3x²y, with v = (x, y)."""
    x, y = v[0], v[1]
    return 3 * x**2 * y


@derivation(
    of=three_x_squared_y,
    wrt="v",
    inputs=_INPUTS,
    source=f"{_SOURCE}, ∇f(x, y)",
)
def three_x_squared_y_gradient(v: jax.Array) -> jax.Array:
    """∇f(x, y) = [∂f/∂x, ∂f/∂y] = [6yx, 3x²].

    ∂f/∂x = 3y · 2x = 6yx                                   (power rule, y constant)
    ∂f/∂y = 3x²                                             (linear in y)

    Domain: (x, y) ∈ ℝ², passed as v = (x, y).
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Jacobian Matrix Review".
    """
    x, y = v[0], v[1]
    return jnp.stack([6 * y * x, 3 * x**2])


def two_x_plus_y_to_the_eighth(v: jax.Array) -> jax.Array:
    """g(x, y) = 2x + y⁸, with v = (x, y)."""
    x, y = v[0], v[1]
    return 2 * x + y**8


@derivation(
    of=two_x_plus_y_to_the_eighth,
    wrt="v",
    inputs=_INPUTS,
    source=f"{_SOURCE}, ∇g(x, y)",
)
def two_x_plus_y_to_the_eighth_gradient(v: jax.Array) -> jax.Array:
    """∇g(x, y) = [2, 8y⁷].

    ∂g/∂x = 2                                               (linear in x)
    ∂g/∂y = 8y⁷                                             (power rule)

    Domain: (x, y) ∈ ℝ², passed as v = (x, y).
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Jacobian Matrix Review".
    """
    y = v[1]
    return jnp.stack([jnp.full_like(y, 2), 8 * y**7])


def f_and_g(v: jax.Array) -> jax.Array:
    """(f(x, y), g(x, y)) = (3x²y, 2x + y⁸), with v = (x, y)."""
    return jnp.stack([three_x_squared_y(v), two_x_plus_y_to_the_eighth(v)])


@derivation(
    of=f_and_g,
    wrt="v",
    inputs=_INPUTS,
    source=f"{_SOURCE}, J = [∇f(x, y); ∇g(x, y)]",
)
def f_and_g_jacobian(v: jax.Array) -> jax.Array:
    """J = [∇f(x, y); ∇g(x, y)] = [[6yx, 3x²], [2, 8y⁷]].

    ∇f(x, y) = [6yx, 3x²]                                   (first entry)
    ∇g(x, y) = [2, 8y⁷]                                     (second entry)
    J = [[∂f/∂x, ∂f/∂y], [∂g/∂x, ∂g/∂y]]                    (gradients as rows)

    Domain: (x, y) ∈ ℝ², passed as v = (x, y). Layout J[i, j] = ∂fᵢ/∂vⱼ.
    Source: Ngo Huy Bien, "Logistic Regression" slides, "Jacobian Matrix Review".
    """
    x, y = v[0], v[1]
    return jnp.stack(
        [
            jnp.stack([6 * y * x, 3 * x**2]),
            jnp.stack([jnp.full_like(y, 2), 8 * y**7]),
        ]
    )
