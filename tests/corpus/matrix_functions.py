"""Matrix functions and factorizations: the exponential, pseudo-inverse, spectral
and nuclear norms, a square root by ``eigh``, ``eigvalsh``, least squares by QR,
triangular and Cholesky solves, matrix powers.

Gradients of scalar functions of a matrix are laid out like the matrix, as
``jax.grad`` returns them. Matrices come from samplers that fix their conditioning
by construction: tall matrices with singular values in [1, 3], square ones with
singular values k + 1 ± 0.3 (separated: singular vectors well defined), SPD ones
with eigenvalues k + 1.3 + U(−2.3, 1.3) ± 0.3 (at least 1, gaps at least 0.4), and
full matrices whose lower triangle has a diagonal of magnitude 1 to 2 and whose
upper triangle is noise a triangular solve must not read.

References: K. B. Petersen and M. S. Pedersen, *The Matrix Cookbook* (2012);
G. H. Golub and V. Pereyra, *The Differentiation of Pseudo-Inverses* (1973);
N. J. Higham, *Functions of Matrices* (2008), §3.2 (the Fréchet derivative of a
matrix function, Daleckii–Krein); A. S. Lewis, *The Convex Analysis of Unitarily
Invariant Matrix Functions* (1995); M. B. Giles, *An extended collection of matrix
derivative results for forward and reverse mode AD* (2008).
"""

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

from checks import derivation, domain
from tests.corpus import samplers

_COOKBOOK = "The Matrix Cookbook"
_HIGHAM = "Higham, Functions of Matrices"
_GILES = "Giles (2008)"
_N = {"n": (2, 3)}


def _orthogonal(key: jax.Array, batch: tuple[int, ...], n: int) -> jax.Array:
    """A random n×n orthogonal matrix per batch entry (Q of a Gaussian's QR)."""
    return jnp.linalg.qr(jax.random.normal(key, (*batch, n, n), jnp.float64))[0]


def _tall_conditioned(key, shape, dtype):
    """An m×n matrix (m ≥ n) U[:, :n] diag(σ) Vᵀ, σ ∈ [1, 3]: full column rank."""
    *batch, m, n = shape
    k_u, k_v, k_s = jax.random.split(key, 3)
    u = _orthogonal(k_u, tuple(batch), m)[..., :, :n]
    v = _orthogonal(k_v, tuple(batch), n)
    sigma = jax.random.uniform(k_s, (*batch, n), jnp.float64, 1.0, 3.0)
    return (u * sigma[..., None, :]) @ jnp.swapaxes(v, -1, -2)


def _separated_singular(key, shape, dtype):
    """A square U diag(σ) Vᵀ, σₖ = k + 1 + U(−0.3, 0.3): singular values ≥ 0.7
    and at least 0.4 apart."""
    *batch, n, _ = shape
    k_u, k_v, k_s = jax.random.split(key, 3)
    u = _orthogonal(k_u, tuple(batch), n)
    v = _orthogonal(k_v, tuple(batch), n)
    jitter = jax.random.uniform(k_s, (*batch, n), jnp.float64, -0.3, 0.3)
    steps = jnp.arange(n, dtype=jnp.float64).reshape((1,) * len(batch) + (n,))
    sigma = steps + 1.0 + jitter
    return (u * sigma[..., None, :]) @ jnp.swapaxes(v, -1, -2)


def _spd_separated(key, shape, dtype):
    """``symmetric_separated`` shifted by 3.3 I: eigenvalues ≥ 1, gaps ≥ 0.4."""
    eye = jnp.eye(shape[-1]).reshape((1,) * (len(shape) - 2) + shape[-2:])
    return samplers.symmetric_separated(key, shape, dtype) + 3.3 * eye


def _small(key, shape, dtype):
    """Entries N(0, 0.5²): exp(A) stays moderate."""
    return 0.5 * jax.random.normal(key, shape, jnp.float64)


def _lower_dominant(key, shape, dtype):
    """Entries N(0, 0.3²) off the diagonal, ±[1, 2] on it."""
    *batch, n, _ = shape
    k_a, k_d, k_s = jax.random.split(key, 3)
    a = 0.3 * jax.random.normal(k_a, shape, jnp.float64)
    d = jax.random.uniform(k_d, (*batch, n), jnp.float64, 1.0, 2.0)
    d = d * jnp.where(jax.random.uniform(k_s, (*batch, n)) < 0.5, -1.0, 1.0)
    eye = jnp.eye(n, dtype=jnp.float64).reshape((1,) * len(batch) + (n, n))
    return a * (1.0 - eye) + d[..., :, None] * eye


_SPD = domain.custom(samplers.spd, ("n", "n"))
_SPD_SEPARATED = domain.custom(_spd_separated, ("n", "n"))
_SYMMETRIC = domain.custom(samplers.symmetric_separated, ("n", "n"))
_SEPARATED = domain.custom(_separated_singular, ("n", "n"))
_GENERAL = domain.custom(samplers.well_conditioned, ("n", "n"))
_TALL = domain.custom(_tall_conditioned, ("m", "n"))
_TALL_DIMS = {"m": (3, 4), "n": (2,)}


# The exponential ---------------------------------------------------------------


def trace_expm(A: jax.Array) -> jax.Array:
    """tr exp(A) by ``jax.scipy.linalg.expm`` (Padé with scaling and squaring)."""
    return jnp.trace(jsl.expm(A))


_EXPM = {"A": domain.custom(_small, ("n", "n"))}


@derivation(of=trace_expm, wrt="A", inputs=_EXPM, dims=_N, source=f"{_HIGHAM}, §10.6")
def trace_expm_grad(A: jax.Array) -> jax.Array:
    """∂ tr exp(A) / ∂A = exp(A)ᵀ.

    d tr exp(A) = tr L(A, dA) = tr(exp(A) dA)   (the Fréchet derivative under the
    trace: ∫₀¹ tr(e^{sA} dA e^{(1−s)A}) ds, cyclic)
    Source: Higham, Functions of Matrices, §10.6.
    """
    return jsl.expm(A).T


@derivation(
    of=trace_expm,
    wrt="A",
    inputs=_EXPM,
    dims=_N,
    source=f"{_HIGHAM}, §10.6",
    expect="fail",
    why="exp(A) for exp(A)ᵀ: tr(M dA) pairs dAᵢⱼ with Mⱼᵢ",
)
def trace_expm_grad_missing_transpose(A: jax.Array) -> jax.Array:
    """∂ tr exp(A) / ∂A = exp(A).

    Why wrong: right only for symmetric A.
    Source: Higham, Functions of Matrices, §10.6 (the correct form).
    """
    return jsl.expm(A)


# The pseudo-inverse ------------------------------------------------------------


def pinv_pairing(A: jax.Array, B: jax.Array) -> jax.Array:
    """⟨B, A⁺⟩ = Σᵢⱼ Bᵢⱼ (A⁺)ᵢⱼ, A⁺ by ``jnp.linalg.pinv`` (A tall, full rank)."""
    return jnp.sum(B * jnp.linalg.pinv(A))


_PINV = {"A": _TALL, "B": domain.real(("n", "m"))}


@derivation(
    of=pinv_pairing, wrt="A", inputs=_PINV, dims=_TALL_DIMS, source="Golub and Pereyra"
)
def pinv_pairing_grad(A: jax.Array, B: jax.Array) -> jax.Array:
    """∂⟨B, A⁺⟩/∂A = −A⁺ᵀ B A⁺ᵀ + (I − A A⁺) Bᵀ A⁺ A⁺ᵀ (full column rank).

    dA⁺ = −A⁺ dA A⁺ + A⁺A⁺ᵀ dAᵀ (I − AA⁺) + (I − A⁺A) dAᵀ A⁺ᵀA⁺, the last term
    zero when A⁺A = I; each term paired with B by the cyclic trace.
    Source: Golub and Pereyra (1973), Thm 4.3.
    """
    P = jnp.linalg.pinv(A)
    residual = jnp.eye(A.shape[0], dtype=A.dtype) - A @ P
    return -P.T @ B @ P.T + residual @ B.T @ P @ P.T


@derivation(
    of=pinv_pairing,
    wrt="A",
    inputs=_PINV,
    dims=_TALL_DIMS,
    source="Golub and Pereyra",
    expect="fail",
    why="the inverse's rule −A⁻ᵀ B A⁻ᵀ only: the range term of a tall A is lost",
)
def pinv_pairing_grad_as_inverse(A: jax.Array, B: jax.Array) -> jax.Array:
    """∂⟨B, A⁺⟩/∂A = −A⁺ᵀ B A⁺ᵀ.

    Why wrong: for a tall A, AA⁺ ≠ I and A⁺ moves with the range of A.
    Source: Golub and Pereyra (1973) (the correct form).
    """
    P = jnp.linalg.pinv(A)
    return -P.T @ B @ P.T


# Spectral and nuclear norms -----------------------------------------------------


def spectral_norm(X: jax.Array) -> jax.Array:
    """‖X‖₂ = σ₁ by ``jnp.linalg.norm(X, 2)``."""
    return jnp.linalg.norm(X, 2)


@derivation(
    of=spectral_norm,
    wrt="X",
    inputs={"X": _SEPARATED},
    dims=_N,
    source="Lewis (1995)",
)
def spectral_norm_grad(X: jax.Array) -> jax.Array:
    """∂σ₁/∂X = u₁v₁ᵀ (σ₁ simple).

    dσ₁ = u₁ᵀ dX v₁ (first-order perturbation of a simple singular value).
    Source: Lewis (1995); Magnus and Neudecker, ch. 8.
    """
    U, _, Vt = jnp.linalg.svd(X)
    return jnp.outer(U[:, 0], Vt[0])


@derivation(
    of=spectral_norm,
    wrt="X",
    inputs={"X": _SEPARATED},
    dims=_N,
    source="Lewis (1995)",
    expect="fail",
    why="the Frobenius norm's gradient X/‖X‖_F in place of the spectral norm's",
)
def spectral_norm_grad_frobenius(X: jax.Array) -> jax.Array:
    """∂‖X‖₂/∂X = X/‖X‖_F.

    Why wrong: that is ∂‖X‖_F; ‖X‖₂ moves only with σ₁, along u₁v₁ᵀ.
    Source: Lewis (1995) (the correct form).
    """
    return X / jnp.sqrt(jnp.sum(X * X))


def nuclear_norm(X: jax.Array) -> jax.Array:
    """‖X‖_* = Σσᵢ by ``jnp.linalg.norm(X, 'nuc')``."""
    return jnp.linalg.norm(X, "nuc")


@derivation(
    of=nuclear_norm,
    wrt="X",
    inputs={"X": _SEPARATED},
    dims=_N,
    source="Lewis (1995)",
)
def nuclear_norm_grad(X: jax.Array) -> jax.Array:
    """∂‖X‖_*/∂X = U Vᵀ (X of full rank).

    dσᵢ = uᵢᵀ dX vᵢ for each simple σᵢ > 0; Σᵢ uᵢvᵢᵀ = U Vᵀ.
    Source: Lewis (1995).
    """
    U, _, Vt = jnp.linalg.svd(X)
    return U @ Vt


@derivation(
    of=nuclear_norm,
    wrt="X",
    inputs={"X": _SEPARATED},
    dims=_N,
    source="Lewis (1995)",
    expect="fail",
    why="V Uᵀ for U Vᵀ: the transpose of the gradient",
)
def nuclear_norm_grad_transposed(X: jax.Array) -> jax.Array:
    """∂‖X‖_*/∂X = V Uᵀ.

    Why wrong: dσᵢ = uᵢᵀ dX vᵢ = ⟨uᵢvᵢᵀ, dX⟩; V Uᵀ is its transpose.
    Source: Lewis (1995) (the correct form).
    """
    U, _, Vt = jnp.linalg.svd(X)
    return Vt.T @ U.T


# A square root by eigh, and eigvalsh -----------------------------------------------


def _sqrtm(A: jax.Array) -> jax.Array:
    """A^{1/2} = Q Λ^{1/2} Qᵀ from ``jnp.linalg.eigh``."""
    lam, Q = jnp.linalg.eigh(A)
    return (Q * jnp.sqrt(lam)[None, :]) @ Q.T


def sqrtm_pairing(A: jax.Array, B: jax.Array) -> jax.Array:
    """⟨B, A^{1/2}⟩ for SPD A (``eigh`` symmetrizes A first)."""
    return jnp.sum(B * _sqrtm(A))


_SQRTM = {"A": _SPD_SEPARATED, "B": domain.real(("n", "n"))}


def _daleckii_krein(A: jax.Array, B: jax.Array, root: bool) -> jax.Array:
    lam, Q = jnp.linalg.eigh(A)
    s = jnp.sqrt(lam) if root else lam
    sym = 0.5 * (B + B.T)  # eigh reads (A + Aᵀ)/2: the gradient is symmetric
    return Q @ ((Q.T @ sym @ Q) / (s[:, None] + s[None, :])) @ Q.T


@derivation(
    of=sqrtm_pairing, wrt="A", inputs=_SQRTM, dims=_N, source=f"{_HIGHAM}, §3.2"
)
def sqrtm_pairing_grad(A: jax.Array, B: jax.Array) -> jax.Array:
    """∂⟨B, A^{1/2}⟩/∂A = Q [(Qᵀ sym(B) Q) ⊘ (√λᵢ + √λⱼ)] Qᵀ.

    X = A^{1/2} solves X dX + dX X = dA: in A's eigenbasis (Qᵀ dX Q)ᵢⱼ =
    (Qᵀ dA Q)ᵢⱼ / (√λᵢ + √λⱼ) (Daleckii–Krein); paired with B, and symmetrized
    because ``eigh`` differentiates (A + Aᵀ)/2.
    Source: Higham, Functions of Matrices, §3.2 and Thm 6.3.
    """
    return _daleckii_krein(A, B, root=True)


@derivation(
    of=sqrtm_pairing,
    wrt="A",
    inputs=_SQRTM,
    dims=_N,
    source=f"{_HIGHAM}, §3.2",
    expect="fail",
    why="divides by λᵢ + λⱼ instead of √λᵢ + √λⱼ",
)
def sqrtm_pairing_grad_eigenvalue_sum(A: jax.Array, B: jax.Array) -> jax.Array:
    """∂⟨B, A^{1/2}⟩/∂A = Q [(Qᵀ sym(B) Q) ⊘ (λᵢ + λⱼ)] Qᵀ.

    Why wrong: the divided difference of √ is 1/(√λᵢ + √λⱼ).
    Source: Higham, Functions of Matrices, §3.2 (the correct form).
    """
    return _daleckii_krein(A, B, root=False)


def weighted_eigenvalues(A: jax.Array, w: jax.Array) -> jax.Array:
    """Σₖ wₖ λₖ(A), λ ascending from ``jnp.linalg.eigvalsh``."""
    return jnp.dot(w, jnp.linalg.eigvalsh(A))


_EIGVALSH = {"A": _SYMMETRIC, "w": domain.real(("n",))}


@derivation(
    of=weighted_eigenvalues,
    wrt="A",
    inputs=_EIGVALSH,
    dims=_N,
    source="Magnus and Neudecker, ch. 8",
)
def weighted_eigenvalues_grad(A: jax.Array, w: jax.Array) -> jax.Array:
    """∂ Σ wₖλₖ / ∂A = Q diag(w) Qᵀ (eigenvalues simple).

    dλₖ = qₖᵀ dA qₖ.
    Source: Magnus and Neudecker, ch. 8, Thm 1.
    """
    _, Q = jnp.linalg.eigh(A)
    return (Q * w[None, :]) @ Q.T


@derivation(
    of=weighted_eigenvalues,
    wrt="A",
    inputs=_EIGVALSH,
    dims=_N,
    source="Magnus and Neudecker, ch. 8",
    expect="fail",
    why="Qᵀ diag(w) Q: the eigenvectors as rows instead of columns",
)
def weighted_eigenvalues_grad_rows(A: jax.Array, w: jax.Array) -> jax.Array:
    """∂ Σ wₖλₖ / ∂A = Qᵀ diag(w) Q.

    Why wrong: ``eigh`` returns the eigenvectors as Q's columns.
    Source: Magnus and Neudecker, ch. 8 (the correct form).
    """
    _, Q = jnp.linalg.eigh(A)
    return Q.T @ (w[:, None] * Q)


# Least squares by QR, triangular and Cholesky solves ------------------------------


def qr_least_squares(A: jax.Array, b: jax.Array, c: jax.Array) -> jax.Array:
    """cᵀx with x = argmin ‖Ax − b‖, by ``jnp.linalg.qr`` and a triangular solve."""
    Q, R = jnp.linalg.qr(A)
    return jnp.dot(c, jsl.solve_triangular(R, Q.T @ b, lower=False))


_LSQ = {"A": _TALL, "b": domain.real(("m",)), "c": domain.real(("n",))}


@derivation(of=qr_least_squares, wrt="A", inputs=_LSQ, dims=_TALL_DIMS, source=_GILES)
def qr_least_squares_grad(A: jax.Array, b: jax.Array, c: jax.Array) -> jax.Array:
    """∂ cᵀx / ∂A = r zᵀ − A z xᵀ, z = (AᵀA)⁻¹c, r = b − Ax.

    AᵀA x = Aᵀb; d: AᵀA dx = dAᵀ r − Aᵀ dA x, so cᵀdx = rᵀ dA z − zᵀAᵀ dA x.
    Source: Giles (2008); Golub and Van Loan, §5.3.
    """
    Q, R = jnp.linalg.qr(A)
    x = jsl.solve_triangular(R, Q.T @ b, lower=False)
    z = jsl.solve_triangular(R, jsl.solve_triangular(R.T, c, lower=True), lower=False)
    return jnp.outer(b - A @ x, z) - jnp.outer(A @ z, x)


@derivation(
    of=qr_least_squares,
    wrt="A",
    inputs=_LSQ,
    dims=_TALL_DIMS,
    source=_GILES,
    expect="fail",
    why="drops r zᵀ: right only when b lies in the range of A (zero residual)",
)
def qr_least_squares_grad_no_residual(A, b, c) -> jax.Array:
    """∂ cᵀx / ∂A = −A z xᵀ.

    Why wrong: a tall A leaves a residual r = b − Ax ≠ 0, and x moves with it.
    Source: Giles (2008) (the correct form).
    """
    Q, R = jnp.linalg.qr(A)
    x = jsl.solve_triangular(R, Q.T @ b, lower=False)
    z = jsl.solve_triangular(R, jsl.solve_triangular(R.T, c, lower=True), lower=False)
    return -jnp.outer(A @ z, x)


def lower_solve_pairing(L: jax.Array, b: jax.Array, c: jax.Array) -> jax.Array:
    """cᵀ L⁻¹ b by ``solve_triangular(L, b, lower=True)``: the upper triangle of
    L is never read."""
    return jnp.dot(c, jsl.solve_triangular(L, b, lower=True))


_TRI = {
    "L": domain.custom(_lower_dominant, ("n", "n")),
    "b": domain.real(("n",)),
    "c": domain.real(("n",)),
}


@derivation(of=lower_solve_pairing, wrt="L", inputs=_TRI, dims=_N, source=_GILES)
def lower_solve_pairing_grad(L: jax.Array, b: jax.Array, c: jax.Array) -> jax.Array:
    """∂ cᵀL⁻¹b / ∂L = −tril(L⁻ᵀ c xᵀ), x = L⁻¹b.

    dx = −L⁻¹ dL x; cᵀdx = −⟨L⁻ᵀc xᵀ, dL⟩, over the lower triangle only.
    Source: Giles (2008), §2.3.
    """
    x = jsl.solve_triangular(L, b, lower=True)
    y = jsl.solve_triangular(L, c, lower=True, trans="T")
    return -jnp.tril(jnp.outer(y, x))


@derivation(
    of=lower_solve_pairing,
    wrt="L",
    inputs=_TRI,
    dims=_N,
    source=_GILES,
    expect="fail",
    why="the full outer product: the solve never reads L's upper triangle",
)
def lower_solve_pairing_grad_full(L: jax.Array, b: jax.Array, c: jax.Array):
    """∂ cᵀL⁻¹b / ∂L = −L⁻ᵀ c xᵀ.

    Why wrong: entries above the diagonal do not change the result: their
    derivative is 0.
    Source: Giles (2008) (the correct form).
    """
    x = jsl.solve_triangular(L, b, lower=True)
    y = jsl.solve_triangular(L, c, lower=True, trans="T")
    return -jnp.outer(y, x)


def cholesky_quadratic(A: jax.Array, b: jax.Array) -> jax.Array:
    """bᵀS⁻¹b, S = (A + Aᵀ)/2, by ``cho_factor`` and ``cho_solve`` (A SPD).

    ``jax.scipy.linalg.cho_factor`` factors A as given, and JAX's derivative of
    the Cholesky factor assumes a symmetric perturbation: on A itself its
    gradient is −A⁻¹bbᵀA⁻¹ plus an antisymmetric matrix, right on symmetric
    directions only. Written on S, the gradient is the symmetric one."""
    S = 0.5 * (A + A.T)
    return jnp.dot(b, jsl.cho_solve(jsl.cho_factor(S, lower=True), b))


_CHO = {"A": _SPD, "b": domain.real(("n",))}


@derivation(
    of=cholesky_quadratic, wrt="A", inputs=_CHO, dims=_N, source=f"{_COOKBOOK}, eq. 61"
)
def cholesky_quadratic_grad(A: jax.Array, b: jax.Array) -> jax.Array:
    """∂ bᵀA⁻¹b / ∂A = −A⁻¹bbᵀA⁻¹ (symmetric; ``cholesky`` symmetrizes A).

    Source: The Matrix Cookbook, eq. 61.
    """
    y = jsl.cho_solve(jsl.cho_factor(A, lower=True), b)
    return -jnp.outer(y, y)


@derivation(
    of=cholesky_quadratic,
    wrt="A",
    inputs=_CHO,
    dims=_N,
    source=f"{_COOKBOOK}, eq. 61",
    expect="fail",
    why="the sign of d(A⁻¹) = −A⁻¹ dA A⁻¹ lost",
)
def cholesky_quadratic_grad_wrong_sign(A: jax.Array, b: jax.Array) -> jax.Array:
    """∂ bᵀA⁻¹b / ∂A = A⁻¹bbᵀA⁻¹.

    Source: The Matrix Cookbook, eq. 61 (the correct form).
    """
    y = jsl.cho_solve(jsl.cho_factor(A, lower=True), b)
    return jnp.outer(y, y)


def trace_cube(A: jax.Array) -> jax.Array:
    """tr A³ by ``jnp.linalg.matrix_power``."""
    return jnp.trace(jnp.linalg.matrix_power(A, 3))


@derivation(
    of=trace_cube,
    wrt="A",
    inputs={"A": _GENERAL},
    dims=_N,
    source=f"{_COOKBOOK}, eq. 106",
)
def trace_cube_grad(A: jax.Array) -> jax.Array:
    """∂ tr Aᵏ / ∂A = k (Aᵏ⁻¹)ᵀ, k = 3.

    Source: The Matrix Cookbook, eq. 106.
    """
    return 3.0 * jnp.linalg.matrix_power(A, 2).T


@derivation(
    of=trace_cube,
    wrt="A",
    inputs={"A": _GENERAL},
    dims=_N,
    source=f"{_COOKBOOK}, eq. 106",
    expect="fail",
    why="k Aᵏ⁻¹ without the transpose",
)
def trace_cube_grad_missing_transpose(A: jax.Array) -> jax.Array:
    """∂ tr A³ / ∂A = 3A².

    Source: The Matrix Cookbook, eq. 106 (the correct form).
    """
    return 3.0 * jnp.linalg.matrix_power(A, 2)
