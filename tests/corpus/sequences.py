"""Loops: an RNN unrolled by ``lax.scan``, Horner's rule and repeated products by
``lax.fori_loop``, and the prefix operations ``cumsum`` and ``cumprod``.

The closed forms are loops too (backpropagation through time is a reverse scan), as
a user writes them.

References: Stanford CS231n, assignment 3, ``rnn_backward``; Goodfellow, Bengio and
Courville, *Deep Learning* (2016), §10.2.2 (BPTT); Knuth, TAOCP vol. 2, §4.6.4
(Horner's rule and the derivative).
"""

import jax
import jax.numpy as jnp
from jax import lax

from checks import derivation, domain

_CS231N = "CS231n"


def rnn_loss(
    Wh: jax.Array, h0: jax.Array, Wx: jax.Array, xs: jax.Array, dhs: jax.Array
) -> jax.Array:
    """Σₜ dhₜ · hₜ with hₜ = tanh(xₜ Wx + hₜ₋₁ Wh), unrolled by ``lax.scan``."""

    def step(h, inputs):
        x, dh = inputs
        h = jnp.tanh(x @ Wx + h @ Wh)
        return h, dh @ h

    _, terms = lax.scan(step, h0, (xs, dhs))
    return jnp.sum(terms)


# T = 3 steps, D = 2 input features, H hidden units.
_RNN_INPUTS = {
    "Wh": domain.real(("H", "H")),
    "h0": domain.real(("H",)),
    "Wx": domain.real((2, "H")),
    "xs": domain.real((3, 2)),
    "dhs": domain.real((3, "H")),
}
_H = {"H": (2, 3)}


def _rnn_backward(Wh, h0, Wx, xs, dhs, through_time: bool):
    """(dWh, dh0) by a reverse scan over the stored states."""

    def forward(h, x):
        h = jnp.tanh(x @ Wx + h @ Wh)
        return h, h

    _, hs = lax.scan(forward, h0, xs)
    previous = jnp.concatenate([h0[None, :], hs[:-1]], axis=0)

    def backward(carry, inputs):
        dWh, dh_next = carry
        dh_step, h, h_prev = inputs
        dh = dh_step + dh_next if through_time else dh_step
        da = dh * (1.0 - h * h)  # tanh′ = 1 − tanh²
        return (dWh + jnp.outer(h_prev, da), da @ Wh.T), None

    start = (jnp.zeros_like(Wh), jnp.zeros_like(h0))
    (dWh, dh0), _ = lax.scan(backward, start, (dhs, hs, previous), reverse=True)
    return dWh, dh0


@derivation(
    of=rnn_loss,
    wrt="Wh",
    inputs=_RNN_INPUTS,
    dims=_H,
    source=f"{_CS231N}, assignment 3, rnn_backward",
)
def rnn_bptt_grad_wh(Wh, h0, Wx, xs, dhs) -> jax.Array:
    """dWh = Σₜ hₜ₋₁ᵀ daₜ, daₜ = (dhsₜ + daₜ₊₁ Whᵀ) ⊙ (1 − hₜ²), run backwards in t.

    aₜ = xₜ Wx + hₜ₋₁ Wh, hₜ = tanh aₜ
    ∂L/∂hₜ = dhsₜ + ∂L/∂aₜ₊₁ Whᵀ                 (hₜ feeds the next step)
    ∂L/∂aₜ = ∂L/∂hₜ ⊙ (1 − hₜ²)
    ∂L/∂Wh = Σₜ hₜ₋₁ᵀ ∂L/∂aₜ                      (Wh shared by every step)

    Source: CS231n, assignment 3, ``rnn_backward``.
    """
    return _rnn_backward(Wh, h0, Wx, xs, dhs, through_time=True)[0]


@derivation(
    of=rnn_loss,
    wrt="h0",
    inputs=_RNN_INPUTS,
    dims=_H,
    source=f"{_CS231N}, assignment 3, rnn_backward",
)
def rnn_bptt_grad_h0(Wh, h0, Wx, xs, dhs) -> jax.Array:
    """dh₀ = da₁ Whᵀ, the gradient carried back through every step.

    Source: CS231n, assignment 3, ``rnn_backward``.
    """
    return _rnn_backward(Wh, h0, Wx, xs, dhs, through_time=True)[1]


@derivation(
    of=rnn_loss,
    wrt="Wh",
    inputs=_RNN_INPUTS,
    dims=_H,
    source=f"{_CS231N}, assignment 3, rnn_backward",
    expect="fail",
    why="each step's own upstream gradient only: the term from later steps is lost",
)
def rnn_bptt_grad_wh_not_through_time(Wh, h0, Wx, xs, dhs) -> jax.Array:
    """dWh = Σₜ hₜ₋₁ᵀ [dhsₜ ⊙ (1 − hₜ²)].

    Why wrong: hₜ also feeds hₜ₊₁, so ∂L/∂hₜ = dhsₜ + ∂L/∂aₜ₊₁ Whᵀ; dropping the
    second term is truncation to one step, not the gradient.
    Right: ``rnn_bptt_grad_wh``.
    Source: CS231n, assignment 3 (the correct form).
    """
    return _rnn_backward(Wh, h0, Wx, xs, dhs, through_time=False)[0]


def horner_polynomial(c: jax.Array, x: jax.Array) -> jax.Array:
    """p(x) = Σₖ cₖ xᵏ by Horner's rule in a ``lax.fori_loop``."""
    d = c.shape[0]

    def step(i, p):
        return p * x + c[d - 1 - i]

    return lax.fori_loop(0, d, step, jnp.zeros_like(x))


_HORNER_INPUTS = {"c": domain.real(("d",)), "x": domain.real()}
_D = {"d": (3, 4)}


def _horner_with_derivative(c, x, update_after: bool):
    d = c.shape[0]

    def step(i, carry):
        p, dp = carry
        p_next = p * x + c[d - 1 - i]
        dp = dp * x + (p_next if update_after else p)
        return p_next, dp

    zero = jnp.zeros_like(x)
    return lax.fori_loop(0, d, step, (zero, zero))[1]


@derivation(
    of=horner_polynomial,
    wrt="x",
    inputs=_HORNER_INPUTS,
    dims=_D,
    source="Knuth, TAOCP vol. 2, §4.6.4",
)
def horner_polynomial_derivative(c: jax.Array, x: jax.Array) -> jax.Array:
    """p′(x) by the same loop: (p, p′) ← (p x + cₖ, p′ x + p), p′ updated first.

    pₖ₊₁ = pₖ x + c   ⇒   p′ₖ₊₁ = p′ₖ x + pₖ      (product rule)
    Source: Knuth, TAOCP vol. 2, §4.6.4.
    """
    return _horner_with_derivative(c, x, update_after=False)


@derivation(
    of=horner_polynomial,
    wrt="x",
    inputs=_HORNER_INPUTS,
    dims=_D,
    source="Knuth, TAOCP vol. 2, §4.6.4",
    expect="fail",
    why="updates p′ with the new p instead of the old one (order of the two updates)",
)
def horner_polynomial_derivative_updates_in_wrong_order(
    c: jax.Array, x: jax.Array
) -> jax.Array:
    """p′ₖ₊₁ = p′ₖ x + pₖ₊₁.

    Why wrong: the product rule on pₖ₊₁ = pₖ x + c gives p′ₖ₊₁ = p′ₖ x + pₖ; using
    pₖ₊₁ adds x p′-like terms and the constant (a constant polynomial gets p′ = c₀).
    """
    return _horner_with_derivative(c, x, update_after=True)


_POWER = 3  # iterations


def repeated_product_bilinear(A: jax.Array, v: jax.Array, u: jax.Array) -> jax.Array:
    """uᵀ Aᵗ v with t = 3, Aᵗ v by an unnormalized power iteration (``fori_loop``)."""
    Av = lax.fori_loop(0, _POWER, lambda _, w: A @ w, v)
    return u @ Av


_POWER_INPUTS = {
    "A": domain.real(("n", "n")),
    "v": domain.real(("n",)),
    "u": domain.real(("n",)),
}


@derivation(
    of=repeated_product_bilinear,
    wrt="v",
    inputs=_POWER_INPUTS,
    dims={"n": (2, 3)},
    source="adjoint of a linear recurrence",
)
def repeated_product_bilinear_grad_v(
    A: jax.Array, v: jax.Array, u: jax.Array
) -> jax.Array:
    """∂ uᵀAᵗv / ∂v = (Aᵀ)ᵗ u, by the adjoint loop u ← Aᵀ u.

    The adjoint of w ↦ A w is g ↦ Aᵀ g; run t times backwards.
    """
    return lax.fori_loop(0, _POWER, lambda _, g: A.T @ g, u)


@derivation(
    of=repeated_product_bilinear,
    wrt="v",
    inputs=_POWER_INPUTS,
    dims={"n": (2, 3)},
    source="adjoint of a linear recurrence",
    expect="fail",
    why="the adjoint loop multiplies by A instead of Aᵀ",
)
def repeated_product_bilinear_grad_v_missing_transpose(
    A: jax.Array, v: jax.Array, u: jax.Array
) -> jax.Array:
    """∂ uᵀAᵗv / ∂v = Aᵗ u.

    Why wrong: uᵀAᵗv = ((Aᵀ)ᵗu)ᵀv; Aᵗu is right only for symmetric A.
    """
    return lax.fori_loop(0, _POWER, lambda _, g: A @ g, u)


def weighted_cumsum(x: jax.Array, w: jax.Array) -> jax.Array:
    """Σᵢ wᵢ Sᵢ with Sᵢ = Σ_{j≤i} xⱼ (``jnp.cumsum``)."""
    return w @ jnp.cumsum(x)


_PREFIX_INPUTS = {"x": domain.real(("n",)), "w": domain.real(("n",))}
_PREFIX_DIMS = {"n": (3, 4)}


@derivation(
    of=weighted_cumsum,
    wrt="x",
    inputs=_PREFIX_INPUTS,
    dims=_PREFIX_DIMS,
    source="adjoint of a prefix sum",
)
def weighted_cumsum_grad(x: jax.Array, w: jax.Array) -> jax.Array:
    """∂/∂xⱼ = Σ_{i≥j} wᵢ: a suffix sum, the reversed cumsum of w.

    The prefix-sum matrix is lower triangular ones; its transpose is upper
    triangular ones, a suffix sum.
    """
    return jnp.cumsum(w[::-1])[::-1]


@derivation(
    of=weighted_cumsum,
    wrt="x",
    inputs=_PREFIX_INPUTS,
    dims=_PREFIX_DIMS,
    source="adjoint of a prefix sum",
    expect="fail",
    why="a prefix sum of w where the adjoint is a suffix sum",
)
def weighted_cumsum_grad_not_reversed(x: jax.Array, w: jax.Array) -> jax.Array:
    """∂/∂xⱼ = Σ_{i≤j} wᵢ.

    Why wrong: xⱼ enters every Sᵢ with i ≥ j, so the gradient sums w over i ≥ j
    (the transpose of the lower-triangular prefix matrix).
    """
    return jnp.cumsum(w)


def weighted_cumprod(x: jax.Array, w: jax.Array) -> jax.Array:
    """Σᵢ wᵢ Pᵢ with Pᵢ = Π_{k≤i} xₖ (``jnp.cumprod``)."""
    return w @ jnp.cumprod(x)


def _between_products(x: jax.Array) -> jax.Array:
    """R[j, i] = Π_{j<k≤i} xₖ for i ≥ j (1 when i = j), 0 for i < j; no division."""
    n = x.shape[0]
    j = jnp.arange(n)[:, None, None]
    i = jnp.arange(n)[None, :, None]
    k = jnp.arange(n)[None, None, :]
    inside = (j < k) & (k <= i)
    factors = jnp.where(inside, x[None, None, :], jnp.ones((), x.dtype))
    upper = jnp.arange(n)[None, :] >= jnp.arange(n)[:, None]
    return jnp.where(upper, jnp.prod(factors, axis=2), 0.0)


def _exclusive_cumprod(x: jax.Array) -> jax.Array:
    """Π_{k<j} xₖ (1 for j = 0)."""
    return jnp.cumprod(jnp.concatenate([jnp.ones((1,), x.dtype), x[:-1]]))


@derivation(
    of=weighted_cumprod,
    wrt="x",
    inputs=_PREFIX_INPUTS,
    dims=_PREFIX_DIMS,
    source="product rule on a prefix product",
)
def weighted_cumprod_grad(x: jax.Array, w: jax.Array) -> jax.Array:
    """∂/∂xⱼ = (Π_{k<j} xₖ) Σ_{i≥j} wᵢ Π_{j<k≤i} xₖ.

    ∂Pᵢ/∂xⱼ = Π_{k≤i, k≠j} xₖ for i ≥ j, else 0       (product rule)
    Written without dividing by xⱼ, so it holds at xⱼ = 0 too.
    """
    return _exclusive_cumprod(x) * (_between_products(x) @ w)


@derivation(
    of=weighted_cumprod,
    wrt="x",
    inputs=_PREFIX_INPUTS,
    dims=_PREFIX_DIMS,
    source="product rule on a prefix product",
    expect="fail",
    why="keeps only the i = j term: xⱼ also enters every later prefix product",
)
def weighted_cumprod_grad_own_term_only(x: jax.Array, w: jax.Array) -> jax.Array:
    """∂/∂xⱼ = wⱼ Π_{k<j} xₖ.

    Why wrong: Pᵢ depends on xⱼ for every i ≥ j, not only i = j.
    Right: (Π_{k<j} xₖ) Σ_{i≥j} wᵢ Π_{j<k≤i} xₖ.
    """
    return _exclusive_cumprod(x) * w
