"""Samplers for matrices a user's derivation needs to be well defined on.

Each is a ``domain.custom`` sampler: ``sample(key, shape, dtype)`` with ``shape`` the
batch shape ``(n, d, d)``, built from ``jax.random`` and ``jax.numpy`` only (it runs
inside ``jax.jit``, and may be evaluated by NumPy from its jaxpr). Matrices are built
in float64 from a random orthogonal Q (a product of Householder reflections) and
chosen spectra, so conditioning is known by construction rather than hoped for:

- ``spd``: Q diag(λ) Qᵀ with λ ∈ [1, 9], condition number < 9;
- ``well_conditioned``: U diag(±σ) Vᵀ with σ ∈ [1, 3], condition number < 3,
  neither symmetric nor of a fixed determinant sign;
- ``symmetric_separated``: Q diag(λ) Qᵀ with λₖ = k + c + U(−0.3, 0.3), c ∈ [−2, 1],
  eigenvalues at least 0.4 apart (eigenvectors well defined), of either sign;
- ``near_singular``: U diag(±σ) Vᵀ with σ geometric from 1 to 1/κ, κ = 10^U(4, 5):
  as close to singular as float32 can still invert (κ·u ≈ 10⁻³ … 10⁻²);
- ``distinct``: a random permutation of 0, 1, …, in every entry of the last two
  axes together (exact in every dtype, no ties: max and top-k are differentiable).
"""

import jax
import jax.numpy as jnp

__all__ = [
    "distinct",
    "near_singular",
    "spd",
    "symmetric_separated",
    "well_conditioned",
]


def _orthogonal(key: jax.Array, batch: tuple[int, ...], d: int) -> jax.Array:
    """A random orthogonal matrix per batch entry: d + 1 Householder reflections."""
    q = jnp.broadcast_to(jnp.eye(d, dtype=jnp.float64), (*batch, d, d))
    for k in jax.random.split(key, d + 1):
        v = jax.random.normal(k, (*batch, d, 1), dtype=jnp.float64) + 0.1
        vt = jnp.swapaxes(v, -1, -2)
        eye = jnp.broadcast_to(jnp.eye(d, dtype=jnp.float64), (*batch, d, d))
        h = eye - 2.0 * (v @ vt) / (vt @ v)
        q = q @ h
    return q


def _from_spectrum(q: jax.Array, values: jax.Array, p: jax.Array) -> jax.Array:
    """q diag(values) pᵀ, batched over the leading axes."""
    return (q * values[..., None, :]) @ jnp.swapaxes(p, -1, -2)


def spd(key: jax.Array, shape: tuple[int, ...], dtype) -> jax.Array:
    """Symmetric positive definite, eigenvalues in [1, 9] (condition number < 9)."""
    *batch, d, _ = shape
    k_q, k_l = jax.random.split(key)
    q = _orthogonal(k_q, tuple(batch), d)
    lam = jax.random.uniform(k_l, (*batch, d), jnp.float64, 1.0, 9.0)
    a = _from_spectrum(q, lam, q)
    return 0.5 * (a + jnp.swapaxes(a, -1, -2))


def well_conditioned(key: jax.Array, shape: tuple[int, ...], dtype) -> jax.Array:
    """A general square matrix U diag(±σ) Vᵀ, σ ∈ [1, 3] (condition number < 3)."""
    *batch, d, _ = shape
    k_u, k_v, k_s, k_sign = jax.random.split(key, 4)
    u = _orthogonal(k_u, tuple(batch), d)
    v = _orthogonal(k_v, tuple(batch), d)
    sigma = jax.random.uniform(k_s, (*batch, d), jnp.float64, 1.0, 3.0)
    sign = jnp.where(jax.random.uniform(k_sign, (*batch, d)) < 0.5, -1.0, 1.0)
    return _from_spectrum(u, sigma * sign, v)


def near_singular(key: jax.Array, shape: tuple[int, ...], dtype) -> jax.Array:
    """A general square matrix U diag(±σ) Vᵀ, σₖ = κ^(−k/(d−1)) geometric from 1
    to 1/κ, log₁₀ κ ∈ [4, 5] (condition number 10⁴ … 10⁵)."""
    *batch, d, _ = shape
    k_u, k_v, k_k, k_sign = jax.random.split(key, 4)
    u = _orthogonal(k_u, tuple(batch), d)
    v = _orthogonal(k_v, tuple(batch), d)
    digits = jax.random.uniform(k_k, (*batch, 1), jnp.float64, 4.0, 5.0)
    steps = jnp.arange(d, dtype=jnp.float64) / max(d - 1, 1)
    steps = jnp.broadcast_to(steps, (*batch, d))
    sigma = 10.0 ** (-digits * steps)
    sign = jnp.where(jax.random.uniform(k_sign, (*batch, d)) < 0.5, -1.0, 1.0)
    return _from_spectrum(u, sigma * sign, v)


def symmetric_separated(key: jax.Array, shape: tuple[int, ...], dtype) -> jax.Array:
    """Symmetric, eigenvalues k + c + U(−0.3, 0.3), k = 0…d−1: gaps at least 0.4."""
    *batch, d, _ = shape
    k_q, k_l, k_c = jax.random.split(key, 3)
    q = _orthogonal(k_q, tuple(batch), d)
    jitter = jax.random.uniform(k_l, (*batch, d), jnp.float64, -0.3, 0.3)
    shift = jax.random.uniform(k_c, (*batch, 1), jnp.float64, -2.0, 1.0)
    steps = jnp.broadcast_to(jnp.arange(d, dtype=jnp.float64), (*batch, d))
    lam = steps + shift + jitter
    a = _from_spectrum(q, lam, q)
    return 0.5 * (a + jnp.swapaxes(a, -1, -2))


def distinct(key: jax.Array, shape: tuple[int, ...], dtype) -> jax.Array:
    """Each example a random arrangement of 0, 1, …, size − 1, centred (no ties)."""
    n, *one = shape
    size = 1
    for s in one:
        size *= s
    u = jax.random.uniform(key, (n, size), jnp.float64)
    ranks = jnp.argsort(u, axis=-1).astype(jnp.float64)
    return (ranks - (size - 1) / 2.0).reshape(shape)
