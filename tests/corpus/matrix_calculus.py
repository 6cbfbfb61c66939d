"""Matrix calculus: log-determinants, inverses, traces, eigenvalues, norms.

Gradients of scalar functions of a matrix are laid out like the matrix
(G[i, j] = ∂f/∂Xᵢⱼ), as ``jax.grad`` returns them; a vector function's Jacobian
has the output index first. Matrices come from the well-conditioned samplers in
``tests.corpus.samplers`` (SPD with condition number < 9, general with condition
number < 3, symmetric with eigenvalues at least 0.4 apart); the ``_near_singular``
entries take general matrices of condition number 10⁴ … 10⁵ (``near_singular``),
where float32 keeps two or three digits of X⁻¹ and a first-order rounding bound
would not hold: a right derivation must still pass there, a wrong one fail.

References: K. B. Petersen and M. S. Pedersen, *The Matrix Cookbook* (2012),
§§2.1–2.5 (determinants, inverses, traces, quadratic forms); J. R. Magnus and
H. Neudecker, *Matrix Differential Calculus*, ch. 8 (eigenvalues).
"""

import jax
import jax.numpy as jnp

from checks import derivation, domain
from tests.corpus import samplers

_COOKBOOK = "The Matrix Cookbook"
_N = {"n": (2, 3)}
_GENERAL = domain.custom(samplers.well_conditioned, ("n", "n"))
_SPD = domain.custom(samplers.spd, ("n", "n"))
_SYMMETRIC = domain.custom(samplers.symmetric_separated, ("n", "n"))
_NEAR_SINGULAR = domain.custom(samplers.near_singular, ("n", "n"))


def log_abs_det(X: jax.Array) -> jax.Array:
    """log |det X| through ``jnp.linalg.slogdet``."""
    return jnp.linalg.slogdet(X)[1]


@derivation(
    of=log_abs_det,
    wrt="X",
    inputs={"X": _GENERAL},
    dims=_N,
    source=f"{_COOKBOOK}, eq. 57",
)
def log_abs_det_grad(X: jax.Array) -> jax.Array:
    """∂ log|det X| / ∂X = X⁻ᵀ.

    d log|det X| = tr(X⁻¹ dX)          (Jacobi's formula, divided by det X)
    tr(X⁻¹ dX) = Σᵢⱼ (X⁻ᵀ)ᵢⱼ dXᵢⱼ      (tr(AᵀB) = ⟨A, B⟩)

    Domain: X invertible, either sign of det X.
    Source: The Matrix Cookbook, eq. 57.
    """
    return jnp.linalg.inv(X).T


@derivation(
    of=log_abs_det,
    wrt="X",
    inputs={"X": _GENERAL},
    dims=_N,
    source=f"{_COOKBOOK}, eq. 57",
    expect="fail",
    why="X⁻¹ in place of X⁻ᵀ: right only for symmetric X",
)
def log_abs_det_grad_missing_transpose(X: jax.Array) -> jax.Array:
    """∂ log|det X| / ∂X = X⁻¹ (as often written).

    Why wrong: tr(X⁻¹ dX) pairs dXᵢⱼ with (X⁻¹)ⱼᵢ, so the gradient is X⁻ᵀ; X⁻¹ is
    right only when X is symmetric, and these samples are not.
    Source: The Matrix Cookbook, eq. 57 (the correct form).
    """
    return jnp.linalg.inv(X)


def trace_a_inv_x_b(A: jax.Array, X: jax.Array, B: jax.Array) -> jax.Array:
    """tr(A X⁻¹ B)."""
    return jnp.trace(A @ jnp.linalg.inv(X) @ B)


_TRACE_INPUTS = {
    "A": domain.real(("n", "n")),
    "X": _GENERAL,
    "B": domain.real(("n", "n")),
}


@derivation(
    of=trace_a_inv_x_b,
    wrt="X",
    inputs=_TRACE_INPUTS,
    dims=_N,
    source=f"{_COOKBOOK}, eq. 63",
)
def trace_a_inv_x_b_grad(A: jax.Array, X: jax.Array, B: jax.Array) -> jax.Array:
    """∂ tr(A X⁻¹ B) / ∂X = −X⁻ᵀ Aᵀ Bᵀ X⁻ᵀ.

    d(X⁻¹) = −X⁻¹ dX X⁻¹                        (differentiate X X⁻¹ = I)
    d tr(A X⁻¹ B) = −tr(A X⁻¹ dX X⁻¹ B) = −tr(X⁻¹ B A X⁻¹ dX)   (cyclic trace)
    gradient = (X⁻¹ B A X⁻¹)ᵀ = X⁻ᵀ Aᵀ Bᵀ X⁻ᵀ, negated

    Domain: X invertible; A, B any n×n.
    Source: The Matrix Cookbook, eq. 63.
    """
    inv_t = jnp.linalg.inv(X).T
    return -inv_t @ A.T @ B.T @ inv_t


@derivation(
    of=trace_a_inv_x_b,
    wrt="X",
    inputs=_TRACE_INPUTS,
    dims=_N,
    source=f"{_COOKBOOK}, eq. 63",
    expect="fail",
    why="drops the minus sign of d(X⁻¹) = −X⁻¹ dX X⁻¹",
)
def trace_a_inv_x_b_grad_wrong_sign(
    A: jax.Array, X: jax.Array, B: jax.Array
) -> jax.Array:
    """∂ tr(A X⁻¹ B) / ∂X = X⁻ᵀ Aᵀ Bᵀ X⁻ᵀ.

    Why wrong: the differential of the inverse is −X⁻¹ dX X⁻¹; the sign is lost.
    Right: −X⁻ᵀ Aᵀ Bᵀ X⁻ᵀ.
    Source: The Matrix Cookbook, eq. 63 (the correct form).
    """
    inv_t = jnp.linalg.inv(X).T
    return inv_t @ A.T @ B.T @ inv_t


def determinant(X: jax.Array) -> jax.Array:
    """det X."""
    return jnp.linalg.det(X)


@derivation(
    of=determinant,
    wrt="X",
    inputs={"X": _GENERAL},
    dims=_N,
    source=f"{_COOKBOOK}, eq. 49",
)
def determinant_grad(X: jax.Array) -> jax.Array:
    """∂ det X / ∂X = det(X) X⁻ᵀ (the cofactor matrix).

    d det X = det X · tr(X⁻¹ dX)       (Jacobi's formula)
    gradient = det(X) X⁻ᵀ

    Domain: X invertible (the cofactor form holds everywhere; X⁻ᵀ needs det ≠ 0).
    Source: The Matrix Cookbook, eq. 49.
    """
    return jnp.linalg.det(X) * jnp.linalg.inv(X).T


@derivation(
    of=determinant,
    wrt="X",
    inputs={"X": _GENERAL},
    dims=_N,
    source=f"{_COOKBOOK}, eq. 49",
    expect="fail",
    why="the adjugate adj X = det(X) X⁻¹ in place of the cofactor matrix adj(X)ᵀ",
)
def determinant_grad_adjugate_not_cofactor(X: jax.Array) -> jax.Array:
    """∂ det X / ∂X = adj X = det(X) X⁻¹.

    Why wrong: ∂ det X / ∂Xᵢⱼ is the cofactor Cᵢⱼ, and adj X = Cᵀ; the gradient
    is det(X) X⁻ᵀ.
    Source: The Matrix Cookbook, eq. 49 (the correct form).
    """
    return jnp.linalg.det(X) * jnp.linalg.inv(X)


def inverse_bilinear_form(a: jax.Array, X: jax.Array, b: jax.Array) -> jax.Array:
    """aᵀ X⁻¹ b, computed by a solve, never forming X⁻¹."""
    return a @ jnp.linalg.solve(X, b)


_BILINEAR_INPUTS = {"a": domain.real(("n",)), "X": _GENERAL, "b": domain.real(("n",))}


@derivation(
    of=inverse_bilinear_form,
    wrt="b",
    inputs=_BILINEAR_INPUTS,
    dims=_N,
    source=f"{_COOKBOOK}, eq. 61",
)
def inverse_bilinear_form_grad_b(a: jax.Array, X: jax.Array, b: jax.Array) -> jax.Array:
    """∂ aᵀX⁻¹b / ∂b = X⁻ᵀ a, computed as solve(Xᵀ, a).

    aᵀX⁻¹b is linear in b with coefficient row aᵀX⁻¹; as a column, X⁻ᵀa.

    Domain: X invertible.
    Source: The Matrix Cookbook, eq. 61 (∂aᵀX⁻¹b/∂b by linearity).
    """
    return jnp.linalg.solve(X.T, a)


@derivation(
    of=inverse_bilinear_form,
    wrt="b",
    inputs=_BILINEAR_INPUTS,
    dims=_N,
    source=f"{_COOKBOOK}, eq. 61",
    expect="fail",
    why="solve(X, a) = X⁻¹a in place of X⁻ᵀa: the transpose is lost",
)
def inverse_bilinear_form_grad_b_missing_transpose(
    a: jax.Array, X: jax.Array, b: jax.Array
) -> jax.Array:
    """∂ aᵀX⁻¹b / ∂b = X⁻¹ a.

    Why wrong: the coefficient row of b is aᵀX⁻¹, whose transpose is X⁻ᵀa; X⁻¹a
    is right only for symmetric X. Right: solve(Xᵀ, a).
    Source: The Matrix Cookbook, eq. 61 (the correct form).
    """
    return jnp.linalg.solve(X, a)


@derivation(
    of=inverse_bilinear_form,
    wrt="X",
    inputs=_BILINEAR_INPUTS,
    dims=_N,
    source=f"{_COOKBOOK}, eq. 61",
)
def inverse_bilinear_form_grad_x(a: jax.Array, X: jax.Array, b: jax.Array) -> jax.Array:
    """∂ aᵀX⁻¹b / ∂X = −X⁻ᵀ a bᵀ X⁻ᵀ.

    d(aᵀX⁻¹b) = −aᵀX⁻¹ dX X⁻¹b = −tr(X⁻¹b aᵀX⁻¹ dX)     (d(X⁻¹), cyclic trace)
    gradient = −(X⁻¹ b aᵀ X⁻¹)ᵀ = −(X⁻ᵀa)(X⁻¹b)ᵀ

    Domain: X invertible.
    Source: The Matrix Cookbook, eq. 61.
    """
    return -jnp.outer(jnp.linalg.solve(X.T, a), jnp.linalg.solve(X, b))


def least_squares(A: jax.Array, x: jax.Array, b: jax.Array) -> jax.Array:
    """‖A x − b‖²."""
    r = A @ x - b
    return r @ r


_LSQ_INPUTS = {
    "A": domain.real(("m", "n")),
    "x": domain.real(("n",)),
    "b": domain.real(("m",)),
}
_LSQ_DIMS = {"m": (3, 4), "n": (2, 3)}


@derivation(
    of=least_squares,
    wrt="A",
    inputs=_LSQ_INPUTS,
    dims=_LSQ_DIMS,
    source=f"{_COOKBOOK}, eq. 84",
)
def least_squares_grad_a(A: jax.Array, x: jax.Array, b: jax.Array) -> jax.Array:
    """∂‖Ax − b‖²/∂A = 2 (Ax − b) xᵀ.

    d‖r‖² = 2 rᵀ dr, dr = dA x               (r = Ax − b)
    2 rᵀ dA x = tr(2 x rᵀ dA) → gradient 2 r xᵀ

    Source: The Matrix Cookbook, eq. 84 (with W = I).
    """
    return 2.0 * jnp.outer(A @ x - b, x)


@derivation(
    of=least_squares,
    wrt="A",
    inputs=_LSQ_INPUTS,
    dims=_LSQ_DIMS,
    source=f"{_COOKBOOK}, eq. 84",
    expect="fail",
    why="the factor 2 of d‖r‖² = 2rᵀdr is lost",
)
def least_squares_grad_a_lost_factor_two(
    A: jax.Array, x: jax.Array, b: jax.Array
) -> jax.Array:
    """∂‖Ax − b‖²/∂A = (Ax − b) xᵀ.

    Why wrong: that is the gradient of ½‖Ax − b‖²; of ‖Ax − b‖² it is 2(Ax − b)xᵀ.
    Source: The Matrix Cookbook, eq. 84 (the correct form).
    """
    return jnp.outer(A @ x - b, x)


@derivation(
    of=least_squares,
    wrt="x",
    inputs=_LSQ_INPUTS,
    dims=_LSQ_DIMS,
    source=f"{_COOKBOOK}, eq. 84",
)
def least_squares_grad_x(A: jax.Array, x: jax.Array, b: jax.Array) -> jax.Array:
    """∂‖Ax − b‖²/∂x = 2 Aᵀ(Ax − b) (the normal equations' residual).

    Source: The Matrix Cookbook, eq. 84.
    """
    return 2.0 * A.T @ (A @ x - b)


def cholesky_log_det(X: jax.Array) -> jax.Array:
    """log det X = 2 Σᵢ log Lᵢᵢ with X = L Lᵀ (Cholesky)."""
    L = jnp.linalg.cholesky(X)
    return 2.0 * jnp.sum(jnp.log(jnp.diagonal(L)))


@derivation(
    of=cholesky_log_det,
    wrt="X",
    inputs={"X": _SPD},
    dims=_N,
    source=f"{_COOKBOOK}, eq. 57; Murray (2016), Cholesky derivatives",
)
def cholesky_log_det_grad(X: jax.Array) -> jax.Array:
    """∂ log det X / ∂X = X⁻¹ for symmetric positive definite X.

    2 Σ log Lᵢᵢ = log det X whatever the factorization, so the gradient is X⁻ᵀ;
    ``jnp.linalg.cholesky`` reads the symmetric part (X + Xᵀ)/2, whose gradient is
    (X⁻¹ + X⁻ᵀ)/2 = X⁻¹ for symmetric X.

    Domain: X symmetric positive definite.
    Source: The Matrix Cookbook, eq. 57.
    """
    return jnp.linalg.inv(X)


@derivation(
    of=cholesky_log_det,
    wrt="X",
    inputs={"X": _SPD},
    dims=_N,
    source=f"{_COOKBOOK}, eq. 57",
    expect="fail",
    why="differentiates Σ log Lᵢᵢ = ½ log det X: the factor 2 is lost",
)
def cholesky_log_det_grad_lost_factor_two(X: jax.Array) -> jax.Array:
    """∂ log det X / ∂X = ½ X⁻¹.

    Why wrong: det X = (Π Lᵢᵢ)², so log det X = 2 Σ log Lᵢᵢ; differentiating
    Σ log Lᵢᵢ alone gives half the gradient. Right: X⁻¹.
    Source: The Matrix Cookbook, eq. 57 (the correct form).
    """
    return 0.5 * jnp.linalg.inv(X)


def symmetric_eigenvalues(A: jax.Array) -> jax.Array:
    """The eigenvalues λ₁ ≤ … ≤ λₙ of a symmetric A (``jnp.linalg.eigh``)."""
    return jnp.linalg.eigh(A)[0]


# A single size: eigh at two sizes in one run deadlocks XLA's CPU runtime at present.
_EIGH_DIMS = {"n": (3,)}


@derivation(
    of=symmetric_eigenvalues,
    wrt="A",
    inputs={"A": _SYMMETRIC},
    dims=_EIGH_DIMS,
    source="Magnus & Neudecker, Matrix Differential Calculus, ch. 8, Thm. 7",
)
def symmetric_eigenvalue_jacobian(A: jax.Array) -> jax.Array:
    """∂λᵢ/∂A = vᵢ vᵢᵀ, vᵢ the unit eigenvector of λᵢ.

    A vᵢ = λᵢ vᵢ, vᵢᵀvᵢ = 1
    dA vᵢ + A dvᵢ = dλᵢ vᵢ + λᵢ dvᵢ
    vᵢᵀ·: vᵢᵀ dA vᵢ + λᵢ vᵢᵀdvᵢ = dλᵢ + λᵢ vᵢᵀdvᵢ      (vᵢᵀA = λᵢvᵢᵀ)
    dλᵢ = vᵢᵀ dA vᵢ = tr(vᵢvᵢᵀ dA)

    Domain: A symmetric with simple eigenvalues (``eigh`` symmetrizes its input, so
    the Jacobian is the symmetric vᵢvᵢᵀ). Layout J[i] = ∂λᵢ/∂A, shape (n, n, n).
    Source: Magnus & Neudecker, ch. 8, Theorem 7.
    """
    V = jnp.linalg.eigh(A)[1]
    return jnp.einsum("ji,ki->ijk", V, V)


@derivation(
    of=symmetric_eigenvalues,
    wrt="A",
    inputs={"A": _SYMMETRIC},
    dims=_EIGH_DIMS,
    source="Magnus & Neudecker, Matrix Differential Calculus, ch. 8, Thm. 7",
    expect="fail",
    why="takes the rows of V as eigenvectors: eigh returns them as columns",
)
def symmetric_eigenvalue_jacobian_rows_for_columns(A: jax.Array) -> jax.Array:
    """∂λᵢ/∂A = V[i] V[i]ᵀ with V[i] the i-th row of eigh's V.

    Why wrong: ``eigh`` returns the eigenvectors as the columns V[:, i]; the rows
    of an orthogonal V are orthonormal too, so the result looks plausible (each
    slice is a rank-one projector, and they sum to I) but belongs to no
    eigenvalue. Right: V[:, i] V[:, i]ᵀ.
    Source: Magnus & Neudecker, ch. 8, Theorem 7 (the correct form).
    """
    V = jnp.linalg.eigh(A)[1]
    return jnp.einsum("ij,ik->ijk", V, V)


def quadratic_form(x: jax.Array, A: jax.Array) -> jax.Array:
    """xᵀ A x for a general (not necessarily symmetric) A."""
    return x @ A @ x


_QUADRATIC_INPUTS = {"x": domain.real(("n",)), "A": domain.real(("n", "n"))}


@derivation(
    of=quadratic_form,
    wrt="x",
    inputs=_QUADRATIC_INPUTS,
    dims=_N,
    source=f"{_COOKBOOK}, eq. 81",
)
def quadratic_form_grad_x(x: jax.Array, A: jax.Array) -> jax.Array:
    """∂ xᵀAx / ∂x = (A + Aᵀ) x.

    d(xᵀAx) = dxᵀ A x + xᵀ A dx = (Ax + Aᵀx)ᵀ dx

    Source: The Matrix Cookbook, eq. 81.
    """
    return (A + A.T) @ x


@derivation(
    of=quadratic_form,
    wrt="x",
    inputs=_QUADRATIC_INPUTS,
    dims=_N,
    source=f"{_COOKBOOK}, eq. 81",
    expect="fail",
    why="2Ax assumes A symmetric; for a general A it is (A + Aᵀ)x",
)
def quadratic_form_grad_x_assumes_symmetric(x: jax.Array, A: jax.Array) -> jax.Array:
    """∂ xᵀAx / ∂x = 2 A x.

    Why wrong: xᵀAx = xᵀ((A + Aᵀ)/2)x only sees A's symmetric part; 2Ax is right
    only when A = Aᵀ. Right: (A + Aᵀ)x.
    Source: The Matrix Cookbook, eq. 81 (the correct form).
    """
    return 2.0 * A @ x


@derivation(
    of=quadratic_form,
    wrt="A",
    inputs=_QUADRATIC_INPUTS,
    dims=_N,
    source=f"{_COOKBOOK}, eq. 70",
)
def quadratic_form_grad_a(x: jax.Array, A: jax.Array) -> jax.Array:
    """∂ xᵀAx / ∂A = x xᵀ.

    xᵀAx = Σᵢⱼ xᵢ Aᵢⱼ xⱼ, linear in A with coefficient xᵢxⱼ.

    Source: The Matrix Cookbook, eq. 70.
    """
    return jnp.outer(x, x)


def frobenius_norm(X: jax.Array) -> jax.Array:
    """‖X‖_F = √(Σᵢⱼ Xᵢⱼ²)."""
    return jnp.linalg.norm(X)


@derivation(
    of=frobenius_norm,
    wrt="X",
    inputs={"X": domain.real(("m", "n"))},
    dims={"m": (2, 3), "n": (2, 3)},
    source=f"{_COOKBOOK}, eq. 138",
)
def frobenius_norm_grad(X: jax.Array) -> jax.Array:
    """∂‖X‖_F/∂X = X / ‖X‖_F.

    d√s = ds / (2√s), ds = 2 Σ Xᵢⱼ dXᵢⱼ  (s = Σ Xᵢⱼ²)

    Domain: X ≠ 0.
    Source: The Matrix Cookbook, eq. 138 (the square), chain rule through √.
    """
    return X / jnp.linalg.norm(X)


def product_frobenius_squared(A: jax.Array, B: jax.Array) -> jax.Array:
    """‖A B‖_F² = tr(A B Bᵀ Aᵀ)."""
    return jnp.sum((A @ B) ** 2)


_PRODUCT_INPUTS = {"A": domain.real(("n", "n")), "B": domain.real(("n", "n"))}


@derivation(
    of=product_frobenius_squared,
    wrt="A",
    inputs=_PRODUCT_INPUTS,
    dims=_N,
    source=f"{_COOKBOOK}, eq. 112",
)
def product_frobenius_squared_grad_a(A: jax.Array, B: jax.Array) -> jax.Array:
    """∂‖AB‖_F²/∂A = 2 A B Bᵀ.

    d tr(ABBᵀAᵀ) = 2 tr(B Bᵀ Aᵀ dA)         (cyclic trace, symmetry of the two terms)
    gradient = 2 (B Bᵀ Aᵀ)ᵀ = 2 A B Bᵀ

    Source: The Matrix Cookbook, eq. 112.
    """
    return 2.0 * A @ B @ B.T


@derivation(
    of=product_frobenius_squared,
    wrt="A",
    inputs=_PRODUCT_INPUTS,
    dims=_N,
    source=f"{_COOKBOOK}, eq. 112",
    expect="fail",
    why="BᵀB in place of BBᵀ: the transposes are swapped",
)
def product_frobenius_squared_grad_a_swapped_transpose(
    A: jax.Array, B: jax.Array
) -> jax.Array:
    """∂‖AB‖_F²/∂A = 2 A Bᵀ B.

    Why wrong: ‖AB‖_F² = tr(A (BBᵀ) Aᵀ), so the Gram matrix is BBᵀ (rows of A meet
    the rows of B); BᵀB is the Gram matrix of ‖BA‖-type products. Right: 2ABBᵀ.
    Source: The Matrix Cookbook, eq. 112 (the correct form).
    """
    return 2.0 * A @ B.T @ B


# Near a singular matrix (condition number 10⁴ … 10⁵): inv, solve, slogdet.


@derivation(
    of=log_abs_det,
    wrt="X",
    inputs={"X": _NEAR_SINGULAR},
    dims=_N,
    source=f"{_COOKBOOK}, eq. 57",
)
def log_abs_det_grad_near_singular(X: jax.Array) -> jax.Array:
    """∂ log|det X| / ∂X = X⁻ᵀ, as ``log_abs_det_grad``, near a singular X.

    Domain: X invertible; here κ(X) ∈ [10⁴, 10⁵].
    Source: The Matrix Cookbook, eq. 57.
    """
    return jnp.linalg.inv(X).T


@derivation(
    of=log_abs_det,
    wrt="X",
    inputs={"X": _NEAR_SINGULAR},
    dims=_N,
    source=f"{_COOKBOOK}, eq. 57",
    expect="fail",
    why="X + 10⁻⁵·I inverted for stability: near a singular X that moves X⁻¹",
)
def log_abs_det_grad_near_singular_jitter(X: jax.Array) -> jax.Array:
    """∂ log|det X| / ∂X = (X + εI)⁻ᵀ, a jitter ε = 10⁻⁵ added "for stability".

    Why wrong: the gradient is X⁻ᵀ; with σ_min(X) ∈ [10⁻⁵, 10⁻⁴] the jitter is
    10 % to 100 % of the smallest singular value, and X⁻ᵀ's largest part moves
    by as much.
    Source: The Matrix Cookbook, eq. 57 (the correct form).
    """
    return jnp.linalg.inv(X + 1e-5 * jnp.eye(X.shape[-1], dtype=X.dtype)).T


_BILINEAR_NEAR_SINGULAR = dict(_BILINEAR_INPUTS, X=_NEAR_SINGULAR)


@derivation(
    of=inverse_bilinear_form,
    wrt="b",
    inputs=_BILINEAR_NEAR_SINGULAR,
    dims=_N,
    source=f"{_COOKBOOK}, eq. 61",
)
def inverse_bilinear_form_grad_b_near_singular(
    a: jax.Array, X: jax.Array, b: jax.Array
) -> jax.Array:
    """∂ aᵀX⁻¹b / ∂b = X⁻ᵀ a = solve(Xᵀ, a), near a singular X.

    Domain: X invertible; here κ(X) ∈ [10⁴, 10⁵].
    Source: The Matrix Cookbook, eq. 61.
    """
    return jnp.linalg.solve(X.T, a)


@derivation(
    of=inverse_bilinear_form,
    wrt="b",
    inputs=_BILINEAR_NEAR_SINGULAR,
    dims=_N,
    source=f"{_COOKBOOK}, eq. 61",
    expect="fail",
    why="solve(X, a) = X⁻¹a in place of X⁻ᵀa: the transpose is lost",
)
def inverse_bilinear_form_grad_b_near_singular_missing_transpose(
    a: jax.Array, X: jax.Array, b: jax.Array
) -> jax.Array:
    """∂ aᵀX⁻¹b / ∂b = X⁻¹ a, near a singular X.

    Why wrong: the coefficient row of b is aᵀX⁻¹, whose transpose is X⁻ᵀa.
    Source: The Matrix Cookbook, eq. 61 (the correct form).
    """
    return jnp.linalg.solve(X, a)


@derivation(
    of=trace_a_inv_x_b,
    wrt="X",
    inputs=dict(_TRACE_INPUTS, X=_NEAR_SINGULAR),
    dims=_N,
    source=f"{_COOKBOOK}, eq. 63",
)
def trace_a_inv_x_b_grad_near_singular(
    A: jax.Array, X: jax.Array, B: jax.Array
) -> jax.Array:
    """∂ tr(A X⁻¹ B) / ∂X = −X⁻ᵀ Aᵀ Bᵀ X⁻ᵀ through ``inv``, near a singular X.

    Domain: X invertible; here κ(X) ∈ [10⁴, 10⁵].
    Source: The Matrix Cookbook, eq. 63.
    """
    inv_t = jnp.linalg.inv(X).T
    return -inv_t @ A.T @ B.T @ inv_t


@derivation(
    of=trace_a_inv_x_b,
    wrt="X",
    inputs=dict(_TRACE_INPUTS, X=_NEAR_SINGULAR),
    dims=_N,
    source=f"{_COOKBOOK}, eq. 63",
    expect="fail",
    why="Bᵀ and Aᵀ in the wrong order between the inverses",
)
def trace_a_inv_x_b_grad_near_singular_swapped(
    A: jax.Array, X: jax.Array, B: jax.Array
) -> jax.Array:
    """∂ tr(A X⁻¹ B) / ∂X = −X⁻ᵀ Bᵀ Aᵀ X⁻ᵀ, near a singular X.

    Why wrong: tr(A X⁻¹ B) = tr(X⁻¹ B A), so d = −tr(X⁻¹ B A X⁻¹ dX) and the
    gradient is −(X⁻¹BAX⁻¹)ᵀ = −X⁻ᵀAᵀBᵀX⁻ᵀ: Aᵀ comes first.
    Source: The Matrix Cookbook, eq. 63 (the correct form).
    """
    inv_t = jnp.linalg.inv(X).T
    return -inv_t @ B.T @ A.T @ inv_t
