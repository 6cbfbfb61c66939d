"""Cross-entropy H(p, q) between discrete distributions, and its binary case.

Gradients of H(p, q) = Σᵢ pᵢ log(1/qᵢ) with respect to q, and of the binary
cross-entropy with respect to β, as the "Cross Entropy" notes (pages CE.2–CE.3)
state them, one entry per stated step.
"""

import jax
import jax.numpy as jnp

from checks import derivation, domain

_SOURCE = '"Cross Entropy" notes'


def cross_entropy(p: jax.Array, q: jax.Array) -> jax.Array:
    """H(p, q) = Σᵢ pᵢ log(1/qᵢ), the cross-entropy of q relative to p."""
    return jnp.sum(p * jnp.log(1 / q))


@derivation(
    of=cross_entropy,
    wrt="q",
    inputs={"p": domain.simplex(("k",)), "q": domain.simplex(("k",))},
    dims={"k": (2, 5)},
    source=f"{_SOURCE}, CE.2, Gradient of cross-entropy, ∂H(p,q)/∂q_e",
)
def cross_entropy_grad_q(p: jax.Array, q: jax.Array) -> jax.Array:
    """∂H(p,q)/∂q_e = −p_e/q_e.

    H(p,q) = Σᵢ pᵢ log(1/qᵢ) = −Σᵢ pᵢ log qᵢ              (log(1/x) = −log x)
    ∂/∂q_e (−Σᵢ pᵢ log qᵢ) = −p_e · 1/q_e                  (only i = e depends on q_e)
    ∇_q H(p,q) = −[p₁/q₁, …, p_m/q_m]

    Domain: p, q probability vectors with qᵢ > 0; natural log. Each q_e is
    differentiated as a free variable (the constraint Σq = 1 is not imposed).
    Note: the notes index the sum to n in the definition and to m in the gradient;
    both are the number of outcomes (here k).
    Source: Cross Entropy notes, CE.2, "Gradient of cross-entropy".
    """
    return -p / q


def reversed_cross_entropy(p: jax.Array, q: jax.Array) -> jax.Array:
    """H(q, p) = Σᵢ qᵢ log(1/pᵢ): the cross-entropy with its arguments in the order
    the notes' vector line ∇_q H(q,p) writes them."""
    return jnp.sum(q * jnp.log(1 / p))


@derivation(
    of=reversed_cross_entropy,
    wrt="q",
    inputs={"p": domain.simplex(("k",)), "q": domain.simplex(("k",))},
    dims={"k": (2, 5)},
    source=f"{_SOURCE}, CE.2, Gradient of cross-entropy, vector form ∇_q H(q,p)",
    expect="fail",
    why="H(q,p) = Σ qᵢ log(1/pᵢ) is linear in q: its gradient is −log p, not −p/q",
)
def reversed_cross_entropy_grad_q(p: jax.Array, q: jax.Array) -> jax.Array:
    """∇_q H(q,p) = −[p₁/q₁, p₂/q₂, …, p_m/q_m].

    H(q,p) = Σᵢ qᵢ log(1/pᵢ)                               (definition, q first)
    ∇_q H(q,p) = −[p₁/q₁, …, p_m/q_m]                      (as stated)

    Domain: p, q probability vectors with pᵢ, qᵢ > 0; natural log.
    Why wrong: with the arguments in the order written, H(q,p) = Σᵢ qᵢ log(1/pᵢ) is
    linear in q, so ∂H(q,p)/∂q_e = log(1/p_e) = −log p_e and ∇_q H(q,p) = −log p.
    The vector −p/q is the gradient of H(p,q) (the preceding line): the arguments
    of H are swapped.
    Source: Cross Entropy notes, CE.2, "Gradient of cross-entropy", vector form.
    """
    return -p / q


def binary_cross_entropy(alpha: jax.Array, beta: jax.Array) -> jax.Array:
    """H(p,q) = α log(1/β) + (1−α) log(1/(1−β)) for p = {α, 1−α}, q = {β, 1−β}."""
    return alpha * jnp.log(1 / beta) + (1 - alpha) * jnp.log(1 / (1 - beta))


_BCE_INPUTS = {"alpha": domain.unit_interval(), "beta": domain.unit_interval()}


@derivation(
    of=binary_cross_entropy,
    wrt="beta",
    inputs=_BCE_INPUTS,
    source=f"{_SOURCE}, CE.3, Binary cross entropy, ∂H(p,q)/∂β, second line",
)
def binary_cross_entropy_grad_beta_sum_of_terms(
    alpha: jax.Array, beta: jax.Array
) -> jax.Array:
    """∂H(p,q)/∂β = −α/β + (1−α)/(1−β).

    H(p,q) = −[α log β + (1−α) log(1−β)]                   (log(1/x) = −log x)
    ∂H/∂β = −∂/∂β [α log β + (1−α) log(1−β)]               (linearity)
          = −α/β + (1−α)/(1−β)                 (d log x/dx = 1/x, chain rule)

    Domain: α ∈ [0, 1], 0 < β < 1; natural log.
    Note: the extracted text reads "−2/∂β [α log β + …]"; the evident reading is
    −∂/∂β [α log β + (1−α) log(1−β)].
    Source: Cross Entropy notes, CE.3, "Binary cross entropy", ∂H(p,q)/∂β.
    """
    return -alpha / beta + (1 - alpha) / (1 - beta)


@derivation(
    of=binary_cross_entropy,
    wrt="beta",
    inputs=_BCE_INPUTS,
    source=f"{_SOURCE}, CE.3, Binary cross entropy, ∂H(p,q)/∂β, common denominator",
)
def binary_cross_entropy_grad_beta_common_denominator(
    alpha: jax.Array, beta: jax.Array
) -> jax.Array:
    """∂H(p,q)/∂β = (−α(1−β) + β(1−α)) / (β(1−β)).

    ∂H/∂β = −α/β + (1−α)/(1−β)                              (previous step)
          = (−α(1−β) + β(1−α)) / (β(1−β))                  (common denominator β(1−β))

    Domain: α ∈ [0, 1], 0 < β < 1; natural log.
    Source: Cross Entropy notes, CE.3, "Binary cross entropy", ∂H(p,q)/∂β.
    """
    return (-alpha * (1 - beta) + beta * (1 - alpha)) / (beta * (1 - beta))


@derivation(
    of=binary_cross_entropy,
    wrt="beta",
    inputs=_BCE_INPUTS,
    source=f"{_SOURCE}, CE.3, Binary cross entropy, ∂H(p,q)/∂β, final result",
)
def binary_cross_entropy_grad_beta(alpha: jax.Array, beta: jax.Array) -> jax.Array:
    """∂H(p,q)/∂β = (β − α) / (β(1−β)).

    ∂H/∂β = (−α(1−β) + β(1−α)) / (β(1−β))                  (previous step)
          = (−α + αβ + β − αβ) / (β(1−β))                  (expand the numerator)
          = (β − α) / (β(1−β))                              (the ±αβ terms cancel)

    Domain: α ∈ [0, 1], 0 < β < 1; natural log.
    Note: the extracted cancellation line reads "(−α + β + α − β)/(β(1−β))" with
    every term struck through; the evident reading is the expansion
    −α + αβ + β − αβ with the two αβ terms cancelled, as written above.
    Source: Cross Entropy notes, CE.3, "Binary cross entropy", ∂H(p,q)/∂β.
    """
    return (beta - alpha) / (beta * (1 - beta))
