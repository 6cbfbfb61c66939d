"""Linear algebra a user brings: derivatives of a symmetric matrix's eigenvalues,
singular values and log-determinant, each checked at two sizes.

Run by tests/test_lapack.py through the command line at the default sample count:
two LAPACK calls of one compiled check once deadlocked jaxlib's CPU kernels.
"""

import jax
import jax.numpy as jnp

from checks import derivation, domain


def _symmetric_separated(key, shape, dtype):
    """Symmetric matrices whose eigenvalues are at least 1 apart."""
    n = shape[-1]
    k1, k2 = jax.random.split(key)
    q = jnp.linalg.qr(jax.random.normal(k1, shape, dtype))[0]
    gaps = jax.random.uniform(k2, shape[:-1], dtype)
    lam = 2.0 * jnp.arange(n, dtype=dtype) - n + gaps
    a = (q * lam[..., None, :]) @ jnp.swapaxes(q, -1, -2)
    return 0.5 * (a + jnp.swapaxes(a, -1, -2))


def _spd(key, shape, dtype):
    """Symmetric positive definite matrices with eigenvalues in [1, 4]."""
    k1, k2 = jax.random.split(key)
    q = jnp.linalg.qr(jax.random.normal(k1, shape, dtype))[0]
    lam = 1.0 + 3.0 * jax.random.uniform(k2, shape[:-1], dtype)
    a = (q * lam[..., None, :]) @ jnp.swapaxes(q, -1, -2)
    return 0.5 * (a + jnp.swapaxes(a, -1, -2))


def eigenvalues(A):
    return jnp.linalg.eigh(A)[0]


@derivation(
    of=eigenvalues,
    wrt="A",
    inputs={"A": domain.custom(_symmetric_separated, ("n", "n"))},
    dims={"n": (2, 4)},
)
def eigenvalues_jacobian(A):
    """dλᵢ/dA = vᵢvᵢᵀ (distinct eigenvalues)."""
    v = jnp.linalg.eigh(A)[1]
    return jnp.einsum("ji,ki->ijk", v, v)


@derivation(
    of=eigenvalues,
    wrt="A",
    inputs={"A": domain.custom(_symmetric_separated, ("n", "n"))},
    dims={"n": (2, 4)},
    expect="fail",
    why="vᵢvᵢᵀ indexed by rows of V instead of its columns (eigenvectors)",
)
def eigenvalues_jacobian_rows(A):
    v = jnp.linalg.eigh(A)[1]
    return jnp.einsum("ij,ik->ijk", v, v)


def cholesky_log_det(A):
    return 2.0 * jnp.sum(jnp.log(jnp.diagonal(jnp.linalg.cholesky(A))))


@derivation(
    of=cholesky_log_det,
    wrt="A",
    inputs={"A": domain.custom(_spd, ("n", "n"))},
    dims={"n": (2, 4)},
)
def cholesky_log_det_grad(A):
    """d log det A / dA = A⁻¹ for symmetric A, through L = chol(A): A⁻¹ = L⁻ᵀL⁻¹,
    with the derivative of cholesky taken on the lower triangle as JAX does:
    symmetrized, so A⁻¹ exactly."""
    lower = jnp.linalg.cholesky(A)
    eye = jnp.eye(A.shape[-1], dtype=A.dtype)
    inv_lower = jax.scipy.linalg.solve_triangular(lower, eye, lower=True)
    return inv_lower.T @ inv_lower
