"""NumPy values of the dense linear-algebra primitives, for
``checks._src.evaluate.interpret``.

``jax.numpy.linalg`` lowers ``inv``, ``solve``, ``slogdet``, ``det``,
``cholesky``, ``eigh``, ``svd``, ``pinv``, ``lstsq`` and ``qr`` to the primitives
of ``jax.lax.linalg`` (``lu``, ``triangular_solve``, ``cholesky``, ``eigh``,
``svd``, ``qr``, …), which XLA's CPU runs as LAPACK kernels. Here each is
evaluated over a batch of matrices (the points axis is one more batch axis),
with the outputs and conventions XLA's CPU gives, up to rounding:

* ``lu``: partial pivoting, the first row of largest magnitude as pivot,
  column by column as OpenBLAS's ``getf2`` (bit for bit with XLA's CPU on
  small matrices); a zero pivot leaves its column as it is. Outputs the packed
  factors, the pivots and the permutation ``perm`` with ``A[perm] = L·U``.
* ``triangular_solve``: substitution, a row (column) at a time (XLA sums in
  another order: equal to rounding).
* ``cholesky``: LAPACK ``potrf`` (through NumPy) on the lower triangle; a
  matrix that is not positive definite gives NaN everywhere, as XLA's CPU does.
* ``eigh``, ``svd``, ``qr``: LAPACK ``syevd``, ``gesdd``, ``geqrf``/``orgqr``
  through NumPy, the routines XLA's CPU calls: the same order (eigenvalues
  ascending, singular values descending) and, but where rounding decides a
  reflection (ties, subnormals), the same signs; a matrix with a non-finite
  entry gives NaN.
* ``qr`` with column pivoting: ``geqp3``/``orgqr`` through SciPy, the LAPACK
  jaxlib's CPU kernels call, one matrix at a time.
* ``eigh`` and ``svd`` of a subset of the values (``subset_by_index``) are
  ``Unsupported``: XLA's CPU has no kernel for them either (JAX raises
  ``NotImplementedError`` when it lowers one for the CPU or GPU, and defines no
  derivative of a partial eigendecomposition), so there is no result to match.

LAPACK has no bfloat16 or float16 kernel, and neither engine evaluates linear algebra in
them: ``checks._src.evaluate.lapack.no_low_precision`` raises with the message of both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ml_dtypes
import numpy as np
import scipy.linalg

from checks._src.evaluate.interpret_batch import Rule, Unsupported
from checks._src.evaluate.lapack import no_low_precision

__all__ = ["VALUES"]


def _matrices(*xs: np.ndarray) -> list[np.ndarray]:
    """The operands with their batch axes broadcast together."""
    batch = np.broadcast_shapes(*(x.shape[:-2] for x in xs))
    return [np.broadcast_to(x, (*batch, *x.shape[-2:])) for x in xs]


def _lu(params: dict[str, Any], a: np.ndarray) -> list[np.ndarray]:
    """``P·A = L·U`` by Gaussian elimination with partial pivoting, column by
    column as OpenBLAS's ``getf2`` (the LAPACK under XLA's CPU and NumPy): the
    column's U part by forward substitution, its L part less ``L·u`` (each
    inner product summed before it is subtracted), then the pivot, the row
    swap, and the scaling by the pivot's reciprocal."""
    *batch, m, n = a.shape
    k = min(m, n)
    lu = np.array(a.reshape(-1, m, n))
    tiny = ml_dtypes.finfo(lu.dtype).tiny
    one = np.ones((), lu.dtype)
    rows = np.arange(len(lu))
    pivots = np.zeros((len(lu), k), np.int32)
    for j in range(n):
        top = min(j, m)
        for i in range(1, top):  # U's part: unit lower forward substitution
            dot = np.einsum("bk,bk->b", lu[:, i, :i], lu[:, :i, j])
            lu[:, i, j] -= dot
        if j >= m:
            continue
        if j:
            lu[:, j:, j] -= np.einsum("bik,bk->bi", lu[:, j:, :j], lu[:, :j, j])
        p = j + np.argmax(np.abs(lu[:, j:, j]), axis=1)
        pivots[:, j] = p
        lu[rows, j], lu[rows, p] = lu[rows, p], lu[rows, j].copy()
        # the reciprocal of a normal pivot, a division by a subnormal one; the
        # column of a zero pivot is left as it is
        pivot = lu[:, j, j]
        size = np.abs(pivot)
        scale = np.where(size >= tiny, one / np.where(size == 0, one, pivot), one)
        divide = np.where((size < tiny) & (size > 0), pivot, one)
        lu[:, j + 1 :, j] = lu[:, j + 1 :, j] * scale[:, None] / divide[:, None]
    pivots = pivots.reshape((*batch, k))
    permutation = _lu_pivots_to_permutation({"permutation_size": m}, pivots)
    return [lu.reshape(a.shape), pivots, permutation]


def _lu_pivots_to_permutation(params: dict[str, Any], pivots: np.ndarray) -> np.ndarray:
    """The permutation the row swaps ``i ↔ pivots[i]`` make of ``0…size−1``."""
    size = int(params["permutation_size"])
    flat = pivots.reshape(-1, pivots.shape[-1])
    rows = np.arange(len(flat))
    perm = np.broadcast_to(np.arange(size, dtype=np.int32), (len(flat), size)).copy()
    for j in range(flat.shape[-1]):
        p = flat[:, j]
        perm[rows, j], perm[rows, p] = perm[rows, p], perm[rows, j].copy()
    return perm.reshape((*pivots.shape[:-1], size))


def _triangular_solve(
    params: dict[str, Any], a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """``op(A)·X = B`` (``left_side``) or ``X·op(A) = B``, ``A`` triangular:
    forward or back substitution, every right-hand side at once."""
    lower = bool(params["lower"])
    a = np.tril(a) if lower else np.triu(a)
    if params.get("conjugate_a", False):
        a = np.conj(a)
    n = a.shape[-1]
    if params["unit_diagonal"]:
        a = a * (1 - np.eye(n, dtype=a.dtype)) + np.eye(n, dtype=a.dtype)
    transpose = bool(params["transpose_a"])
    left = bool(params["left_side"])
    if not left:  # X·op(A) = B  ⇔  op(A)ᵀ·Xᵀ = Bᵀ
        b, transpose = np.swapaxes(b, -1, -2), not transpose
    if transpose:
        a, lower = np.swapaxes(a, -1, -2), not lower
    a, b = _matrices(a, b)
    x = np.zeros(b.shape, np.result_type(a, b))
    order = range(n) if lower else range(n - 1, -1, -1)
    for i in order:
        done = slice(0, i) if lower else slice(i + 1, n)
        known = np.einsum("...k,...kj->...j", a[..., i, done], x[..., done, :])
        x[..., i, :] = (b[..., i, :] - known) / a[..., i, i, None]
    return x if left else np.swapaxes(x, -1, -2)


def _finite_or_nan(
    fn: Callable[[np.ndarray], list[np.ndarray]], a: np.ndarray
) -> list[np.ndarray]:
    """``fn`` of the matrices of ``a`` with finite entries; NaN outputs for the
    others (NumPy's LAPACK wrappers refuse a batch that holds one)."""
    bad = ~np.isfinite(a).all(axis=(-2, -1))
    if not bad.any():
        return fn(a)
    n = a.shape[-1]
    safe = np.where(bad[..., None, None], np.eye(a.shape[-2], n, dtype=a.dtype), a)
    outs = fn(safe)
    return [
        np.where(bad.reshape(bad.shape + (1,) * (o.ndim - bad.ndim)), np.nan, o)
        for o in outs
    ]


def _cholesky(params: dict[str, Any], a: np.ndarray) -> np.ndarray:
    """``A = L·Lᵀ`` from the lower triangle; NaN for a matrix that is not
    positive definite."""

    def factor(x: np.ndarray) -> list[np.ndarray]:
        try:
            return [np.linalg.cholesky(x)]
        except np.linalg.LinAlgError:  # one matrix at a time: NaN where it fails
            flat = x.reshape(-1, *x.shape[-2:])
            out = np.full(flat.shape, np.nan, x.dtype)
            for i, m in enumerate(flat):
                try:
                    out[i] = np.linalg.cholesky(m)
                except np.linalg.LinAlgError:
                    pass
            return [out.reshape(x.shape)]

    return _finite_or_nan(factor, a)[0]


def _eigh(params: dict[str, Any], a: np.ndarray) -> list[np.ndarray]:
    """Eigenvectors (columns) and eigenvalues, ascending, of the symmetric
    matrix held in the lower (``lower``) or upper triangle."""
    if params.get("subset_by_index") not in (None, (0, a.shape[-1])):
        raise Unsupported(
            "eigh of a subset of the eigenvalues (XLA's CPU has no kernel for it)"
        )
    uplo = "L" if params.get("lower", True) else "U"

    def decompose(x: np.ndarray) -> list[np.ndarray]:
        w, v = np.linalg.eigh(x, UPLO=uplo)
        return [v, w]

    return _finite_or_nan(decompose, a)


def _svd(params: dict[str, Any], a: np.ndarray) -> list[np.ndarray]:
    """Singular values, descending, and (``compute_uv``) ``U`` and ``Vᵀ``."""
    if params.get("subset_by_index") not in (None, (0, min(a.shape[-2:]))):
        raise Unsupported(
            "svd of a subset of the singular values (XLA's CPU has no kernel for it)"
        )
    uv = bool(params["compute_uv"])
    full = bool(params["full_matrices"])

    def decompose(x: np.ndarray) -> list[np.ndarray]:
        if not uv:
            return [np.linalg.svd(x, compute_uv=False)]
        u, s, vt = np.linalg.svd(x, full_matrices=full)
        return [s, u, vt]

    return _finite_or_nan(decompose, a)


def _qr(params: dict[str, Any], a: np.ndarray) -> list[np.ndarray]:
    """Householder ``A = Q·R`` (reduced, or ``full_matrices``)."""
    if params.get("pivoting", False):
        return _pivoted_qr(params, a)
    mode = "complete" if params["full_matrices"] else "reduced"

    def decompose(x: np.ndarray) -> list[np.ndarray]:
        q, r = np.linalg.qr(x, mode=mode)
        return [q, r]

    return _finite_or_nan(decompose, a)


def _pivoted_qr(params: dict[str, Any], a: np.ndarray) -> list[np.ndarray]:
    """``A[:, p] = Q·R`` with column pivoting (Businger and Golub, 1965): at each
    step the remaining column of largest norm comes first. LAPACK ``geqp3``,
    then ``orgqr`` (``ungqr``) for Q, as ``jax.lax.linalg.qr`` lowers it on the
    CPU, through SciPy, whose LAPACK is the one jaxlib's CPU kernels call: the
    same pivots, ties to the first column, and the same Q and R bit for bit.
    A non-finite entry goes to LAPACK as it is, as XLA passes it."""
    mode = "full" if params["full_matrices"] else "economic"
    *batch, m, n = a.shape
    flat = a.reshape(-1, m, n)
    outs = [
        scipy.linalg.qr(x, mode=mode, pivoting=True, check_finite=False) for x in flat
    ]
    q, r, p = (np.stack([o[i] for o in outs]) for i in range(3))
    return [
        q.reshape((*batch, *q.shape[-2:])),
        r.reshape((*batch, *r.shape[-2:])),
        p.astype(np.int32).reshape((*batch, n)),
    ]


def _guarded(name: str, fn: Rule) -> Rule:
    """``fn``, refusing a bfloat16 or float16 operand as XLA's CPU does."""

    def rule(params: dict[str, Any], *xs: np.ndarray) -> np.ndarray | list[np.ndarray]:
        no_low_precision(name, [x.dtype for x in xs])
        return fn(params, *xs)

    rule.__doc__ = fn.__doc__
    return rule


VALUES: dict[str, Rule] = {
    name: _guarded(name, fn)
    for name, fn in {
        "lu": _lu,
        "lu_pivots_to_permutation": _lu_pivots_to_permutation,
        "triangular_solve": _triangular_solve,
        "cholesky": _cholesky,
        "eigh": _eigh,
        "svd": _svd,
        "qr": _qr,
    }.items()
}
