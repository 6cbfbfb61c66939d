"""Backward passes of neural-network layers, written the way CS231n's assignments ask.

Each layer's backward pass takes the upstream gradient ``dout`` and returns the
gradient of the loss with respect to one input. To check it against autodiff, the
function differentiated is the scalar Σ dout ⊙ layer(…) (so its gradient in the
input is exactly the backward pass), and ``dout`` is sampled with the other inputs.
Losses with integer labels take ``y`` from ``domain.integers``.

References: Stanford CS231n, "Convolutional Neural Networks for Visual
Recognition", assignments 1–2 (softmax, SVM, affine, ReLU, batch and layer
normalization, convolution, pooling); Ioffe & Szegedy (2015), §3; Ba et al. (2016).
"""

import jax
import jax.numpy as jnp
from jax import lax

from checks import derivation, domain
from tests.corpus import samplers

_CS231N = "CS231n"
_C = 3  # classes
_EPS = 1e-5  # normalization epsilon, as in the assignments


def softmax_loss(scores: jax.Array, y: jax.Array) -> jax.Array:
    """L = −(1/N) Σᵢ log softmax(sᵢ)_{yᵢ}, integer labels yᵢ."""
    N = scores.shape[0]
    return -jnp.mean(jax.nn.log_softmax(scores, axis=1)[jnp.arange(N), y])


_SCORES_INPUTS = {
    "scores": domain.real(("N", _C)),
    "y": domain.integers(0, _C, ("N",)),
}
_N = {"N": (3, 4)}


@derivation(
    of=softmax_loss,
    wrt="scores",
    inputs=_SCORES_INPUTS,
    dims=_N,
    source=f"{_CS231N}, assignment 1, softmax.py",
)
def softmax_loss_grad_scores(scores: jax.Array, y: jax.Array) -> jax.Array:
    """dscores = (P − onehot(y)) / N, with P = softmax(scores) row by row.

    ∂(−log Pᵢ_{yᵢ})/∂sᵢⱼ = Pᵢⱼ − [j = yᵢ]
    the mean over N rows divides by N

    Written as the assignment does: a scatter-add of −1 at (i, yᵢ).
    Source: CS231n, assignment 1, ``softmax_loss_vectorized``.
    """
    N = scores.shape[0]
    P = jax.nn.softmax(scores, axis=1)
    return P.at[jnp.arange(N), y].add(-1) / N


@derivation(
    of=softmax_loss,
    wrt="scores",
    inputs=_SCORES_INPUTS,
    dims=_N,
    source=f"{_CS231N}, assignment 1, softmax.py",
    expect="fail",
    why="the 1/N of the mean loss is lost",
)
def softmax_loss_grad_scores_lost_batch_mean(
    scores: jax.Array, y: jax.Array
) -> jax.Array:
    """dscores = P − onehot(y).

    Why wrong: that is the gradient of the summed loss; the loss is a mean over the
    N rows. Right: (P − onehot(y)) / N.
    Source: CS231n, assignment 1 (the correct form).
    """
    N = scores.shape[0]
    P = jax.nn.softmax(scores, axis=1)
    return P.at[jnp.arange(N), y].add(-1)


@derivation(
    of=softmax_loss,
    wrt="scores",
    inputs=_SCORES_INPUTS,
    dims=_N,
    source=f"{_CS231N}, assignment 1, softmax.py",
    expect="fail",
    why="sets the label's entry to −1 instead of subtracting 1 from Pᵢ_{yᵢ}",
)
def softmax_loss_grad_scores_set_instead_of_subtract(
    scores: jax.Array, y: jax.Array
) -> jax.Array:
    """dscores = P with the label entries replaced by −1, over N.

    Why wrong: ∂/∂sᵢ_{yᵢ} is Pᵢ_{yᵢ} − 1, not −1: ``.set(-1)`` drops the Pᵢ_{yᵢ}
    term. Right: ``P.at[arange(N), y].add(-1) / N``.
    Source: CS231n, assignment 1 (the correct form).
    """
    N = scores.shape[0]
    P = jax.nn.softmax(scores, axis=1)
    return P.at[jnp.arange(N), y].set(-1) / N


def svm_loss(scores: jax.Array, y: jax.Array) -> jax.Array:
    """L = (1/N) Σᵢ Σ_{j ≠ yᵢ} max(0, sᵢⱼ − sᵢ_{yᵢ} + 1) (multiclass hinge)."""
    N = scores.shape[0]
    rows = jnp.arange(N)
    correct = scores[rows, y]
    margins = jnp.maximum(0.0, scores - correct[:, None] + 1.0)
    return jnp.sum(margins.at[rows, y].set(0.0)) / N


@derivation(
    of=svm_loss,
    wrt="scores",
    inputs=_SCORES_INPUTS,
    dims=_N,
    source=f"{_CS231N}, assignment 1, linear_svm.py",
)
def svm_loss_grad_scores(scores: jax.Array, y: jax.Array) -> jax.Array:
    """dsᵢⱼ = [marginᵢⱼ > 0]/N for j ≠ yᵢ; dsᵢ_{yᵢ} = −(Σ_{j≠yᵢ} [marginᵢⱼ > 0])/N.

    marginᵢⱼ = sᵢⱼ − sᵢ_{yᵢ} + 1; each positive margin adds sᵢⱼ and subtracts sᵢ_{yᵢ}.

    Domain: no margin exactly 0 (a kink); sampled reals never hit it.
    Source: CS231n, assignment 1, ``svm_loss_vectorized``.
    """
    N = scores.shape[0]
    rows = jnp.arange(N)
    margins = scores - scores[rows, y][:, None] + 1.0
    positive = (margins > 0).astype(scores.dtype).at[rows, y].set(0.0)
    counts = jnp.sum(positive, axis=1)
    return positive.at[rows, y].add(-counts) / N


@derivation(
    of=svm_loss,
    wrt="scores",
    inputs=_SCORES_INPUTS,
    dims=_N,
    source=f"{_CS231N}, assignment 1, linear_svm.py",
    expect="fail",
    why="every wrong class counted, whether or not its margin is positive",
)
def svm_loss_grad_scores_missing_margin_mask(
    scores: jax.Array, y: jax.Array
) -> jax.Array:
    """dsᵢⱼ = 1/N for j ≠ yᵢ; dsᵢ_{yᵢ} = −(C − 1)/N.

    Why wrong: max(0, ·) has slope 0 where the margin is negative; the indicator
    [marginᵢⱼ > 0] is dropped. Right: ``svm_loss_grad_scores``.
    Source: CS231n, assignment 1 (the correct form).
    """
    N, C = scores.shape
    rows = jnp.arange(N)
    ones = jnp.ones_like(scores).at[rows, y].set(0.0)
    return ones.at[rows, y].add(-(C - 1.0)) / N


def batchnorm_loss(
    x: jax.Array, gamma: jax.Array, beta: jax.Array, dout: jax.Array
) -> jax.Array:
    """Σ dout ⊙ BN(x), BN(x) = γ (x − μ)/√(σ² + ε) + β over the batch axis."""
    mu = jnp.mean(x, axis=0, keepdims=True)
    var = jnp.var(x, axis=0, keepdims=True)
    xhat = (x - mu) / jnp.sqrt(var + _EPS)
    return jnp.sum(dout * (gamma[None, :] * xhat + beta[None, :]))


_NORM_INPUTS = {
    "x": domain.real(("N", "D")),
    "gamma": domain.real(("D",)),
    "beta": domain.real(("D",)),
    "dout": domain.real(("N", "D")),
}
_ND = {"N": (3, 4), "D": (3,)}


@derivation(
    of=batchnorm_loss,
    wrt="x",
    inputs=_NORM_INPUTS,
    dims=_ND,
    source=f"{_CS231N}, assignment 2, batchnorm_backward_alt; Ioffe & Szegedy (2015)",
)
def batchnorm_backward_input(
    x: jax.Array, gamma: jax.Array, beta: jax.Array, dout: jax.Array
) -> jax.Array:
    """dx = (1/(Nσ)) (N dx̂ − Σᵢ dx̂ᵢ − x̂ Σᵢ dx̂ᵢ x̂ᵢ), dx̂ = γ ⊙ dout, σ = √(σ² + ε).

    ∂x̂ₖ/∂xᵢ = (δᵢₖ − 1/N)/σ − x̂ₖ x̂ᵢ/(Nσ)       (through μ and σ²)
    dxᵢ = Σₖ dx̂ₖ ∂x̂ₖ/∂xᵢ, per feature column

    Domain: any x (ε > 0 keeps σ > 0).
    Source: CS231n, assignment 2, ``batchnorm_backward_alt``.
    """
    N = x.shape[0]
    mu = jnp.mean(x, axis=0, keepdims=True)
    std = jnp.sqrt(jnp.var(x, axis=0, keepdims=True) + _EPS)
    xhat = (x - mu) / std
    dxhat = dout * gamma[None, :]
    total = jnp.sum(dxhat, axis=0, keepdims=True)
    projected = jnp.sum(dxhat * xhat, axis=0, keepdims=True)
    return (N * dxhat - total - xhat * projected) / (N * std)


@derivation(
    of=batchnorm_loss,
    wrt="x",
    inputs=_NORM_INPUTS,
    dims=_ND,
    source=f"{_CS231N}, assignment 2, batchnorm_backward",
    expect="fail",
    why="treats the batch mean and variance as constants",
)
def batchnorm_backward_input_constant_statistics(
    x: jax.Array, gamma: jax.Array, beta: jax.Array, dout: jax.Array
) -> jax.Array:
    """dx = γ ⊙ dout / √(σ² + ε).

    Why wrong: μ and σ² depend on every xᵢ of the batch; the two terms through
    them (−Σ dx̂/N and −x̂ Σ dx̂ x̂/N) are dropped. Right: ``batchnorm_backward_input``.
    Source: CS231n, assignment 2 (the correct form).
    """
    std = jnp.sqrt(jnp.var(x, axis=0, keepdims=True) + _EPS)
    return dout * gamma[None, :] / std


@derivation(
    of=batchnorm_loss,
    wrt="gamma",
    inputs=_NORM_INPUTS,
    dims=_ND,
    source=f"{_CS231N}, assignment 2, batchnorm_backward",
)
def batchnorm_backward_gamma(
    x: jax.Array, gamma: jax.Array, beta: jax.Array, dout: jax.Array
) -> jax.Array:
    """dγ = Σᵢ doutᵢ ⊙ x̂ᵢ (sum over the batch).

    Source: CS231n, assignment 2, ``batchnorm_backward``.
    """
    mu = jnp.mean(x, axis=0, keepdims=True)
    xhat = (x - mu) / jnp.sqrt(jnp.var(x, axis=0, keepdims=True) + _EPS)
    return jnp.sum(dout * xhat, axis=0)


def layernorm_loss(
    x: jax.Array, gamma: jax.Array, beta: jax.Array, dout: jax.Array
) -> jax.Array:
    """Σ dout ⊙ LN(x), LN normalizing each row over its D features."""
    mu = jnp.mean(x, axis=1, keepdims=True)
    var = jnp.var(x, axis=1, keepdims=True)
    xhat = (x - mu) / jnp.sqrt(var + _EPS)
    return jnp.sum(dout * (gamma[None, :] * xhat + beta[None, :]))


@derivation(
    of=layernorm_loss,
    wrt="x",
    inputs=_NORM_INPUTS,
    dims=_ND,
    source=f"{_CS231N}, assignment 2, layernorm_backward; Ba et al. (2016)",
)
def layernorm_backward_input(
    x: jax.Array, gamma: jax.Array, beta: jax.Array, dout: jax.Array
) -> jax.Array:
    """dx = (1/(Dσ)) (D dx̂ − Σⱼ dx̂ⱼ − x̂ Σⱼ dx̂ⱼ x̂ⱼ) per row, dx̂ = γ ⊙ dout.

    Batch norm's backward pass with the roles of the axes exchanged: the statistics
    are per row, over the D features.
    Source: CS231n, assignment 2, ``layernorm_backward``.
    """
    D = x.shape[1]
    mu = jnp.mean(x, axis=1, keepdims=True)
    std = jnp.sqrt(jnp.var(x, axis=1, keepdims=True) + _EPS)
    xhat = (x - mu) / std
    dxhat = dout * gamma[None, :]
    total = jnp.sum(dxhat, axis=1, keepdims=True)
    projected = jnp.sum(dxhat * xhat, axis=1, keepdims=True)
    return (D * dxhat - total - xhat * projected) / (D * std)


@derivation(
    of=layernorm_loss,
    wrt="x",
    inputs=_NORM_INPUTS,
    dims=_ND,
    source=f"{_CS231N}, assignment 2, layernorm_backward",
    expect="fail",
    why="batch norm's backward pass pasted unchanged: sums over the batch axis",
)
def layernorm_backward_input_batch_axis_sums(
    x: jax.Array, gamma: jax.Array, beta: jax.Array, dout: jax.Array
) -> jax.Array:
    """dx = (1/(Dσ)) (D dx̂ − Σᵢ dx̂ᵢ − x̂ Σᵢ dx̂ᵢ x̂ᵢ), the sums over the batch.

    Why wrong: layer norm's μ and σ² are per row, so the correction sums run over
    the features (axis 1), as in ``layernorm_backward_input``; summing over the
    batch (axis 0) mixes examples that do not share statistics.
    Source: CS231n, assignment 2 (the correct form).
    """
    D = x.shape[1]
    mu = jnp.mean(x, axis=1, keepdims=True)
    std = jnp.sqrt(jnp.var(x, axis=1, keepdims=True) + _EPS)
    xhat = (x - mu) / std
    dxhat = dout * gamma[None, :]
    total = jnp.sum(dxhat, axis=0, keepdims=True)
    projected = jnp.sum(dxhat * xhat, axis=0, keepdims=True)
    return (D * dxhat - total - xhat * projected) / (D * std)


def affine_loss(x: jax.Array, W: jax.Array, b: jax.Array, dout: jax.Array) -> jax.Array:
    """Σ dout ⊙ (x W + b), x of shape (N, D), W (D, M)."""
    return jnp.sum(dout * (x @ W + b[None, :]))


def _affine_inputs(D: str, M: str) -> dict:
    return {
        "x": domain.real(("N", D)),
        "W": domain.real((D, M)),
        "b": domain.real((M,)),
        "dout": domain.real(("N", M)),
    }


@derivation(
    of=affine_loss,
    wrt="W",
    inputs=_affine_inputs("D", "M"),
    dims={"N": (3,), "D": (2, 3), "M": (3,)},
    source=f"{_CS231N}, assignment 2, affine_backward",
)
def affine_backward_weights(
    x: jax.Array, W: jax.Array, b: jax.Array, dout: jax.Array
) -> jax.Array:
    """dW = xᵀ dout.

    Source: CS231n, assignment 2, ``affine_backward``.
    """
    return x.T @ dout


@derivation(
    of=affine_loss,
    wrt="x",
    inputs=_affine_inputs("D", "D"),
    dims={"N": (3,), "D": (2, 3)},
    source=f"{_CS231N}, assignment 2, affine_backward",
)
def affine_backward_input(
    x: jax.Array, W: jax.Array, b: jax.Array, dout: jax.Array
) -> jax.Array:
    """dx = dout Wᵀ.

    Source: CS231n, assignment 2, ``affine_backward``.
    """
    return dout @ W.T


@derivation(
    of=affine_loss,
    wrt="x",
    inputs=_affine_inputs("D", "D"),
    dims={"N": (3,), "D": (2, 3)},
    source=f"{_CS231N}, assignment 2, affine_backward",
    expect="fail",
    why="dout W in place of dout Wᵀ: the transpose is missing (shapes agree: W square)",
)
def affine_backward_input_missing_transpose(
    x: jax.Array, W: jax.Array, b: jax.Array, dout: jax.Array
) -> jax.Array:
    """dx = dout W.

    Why wrong: outᵢₘ = Σ_d xᵢ_d W_dm, so ∂/∂xᵢ_d pairs dout with row d of W:
    dout Wᵀ. With a square W the shapes hide the mistake.
    Source: CS231n, assignment 2 (the correct form).
    """
    return dout @ W


def relu_loss(x: jax.Array, dout: jax.Array) -> jax.Array:
    """Σ dout ⊙ max(0, x)."""
    return jnp.sum(dout * jax.nn.relu(x))


_RELU_INPUTS = {"x": domain.real(("N", "D")), "dout": domain.real(("N", "D"))}


@derivation(
    of=relu_loss,
    wrt="x",
    inputs=_RELU_INPUTS,
    dims={"N": (3,), "D": (2, 3)},
    source=f"{_CS231N}, assignment 2, relu_backward",
)
def relu_backward(x: jax.Array, dout: jax.Array) -> jax.Array:
    """dx = dout ⊙ [x > 0].

    Domain: x ≠ 0 (the kink); sampled reals never hit it.
    Source: CS231n, assignment 2, ``relu_backward``.
    """
    return jnp.where(x > 0, dout, 0.0)


@derivation(
    of=relu_loss,
    wrt="x",
    inputs=_RELU_INPUTS,
    dims={"N": (3,), "D": (2, 3)},
    source=f"{_CS231N}, assignment 2, relu_backward",
    expect="fail",
    why="masks with the sign of the upstream gradient instead of the input's",
)
def relu_backward_masks_upstream(x: jax.Array, dout: jax.Array) -> jax.Array:
    """dx = dout ⊙ [dout > 0].

    Why wrong: the slope of max(0, x) depends on x; the cached input is the one to
    test. Right: dout ⊙ [x > 0].
    Source: CS231n, assignment 2 (the correct form).
    """
    return jnp.where(dout > 0, dout, 0.0)


# Convolutions: stride 1, no padding ("VALID"), NCW / NCHW layouts, kernels OIW / OIHW.
def conv1d_loss(x: jax.Array, w: jax.Array, dout: jax.Array) -> jax.Array:
    """Σ dout ⊙ (x ⋆ w), a 1-D cross-correlation (what deep learning calls conv)."""
    out = lax.conv_general_dilated(x, w, window_strides=(1,), padding="VALID")
    return jnp.sum(dout * out)


# x (N, C, W) = (2, 2, 5), w (F, C, K) = (3, 2, 3), out (N, F, W − K + 1) = (2, 3, 3).
_CONV1D_INPUTS = {
    "x": domain.real((2, 2, 5)),
    "w": domain.real((3, 2, 3)),
    "dout": domain.real((2, 3, 3)),
}


@derivation(
    of=conv1d_loss,
    wrt="x",
    inputs=_CONV1D_INPUTS,
    source=f"{_CS231N}, assignment 2, conv_backward_naive",
)
def conv1d_backward_input(x: jax.Array, w: jax.Array, dout: jax.Array) -> jax.Array:
    """dx = dout ∗ w: a full convolution of dout with the flipped kernel.

    outₙfᵢ = Σ_c Σₖ xₙc(i+k) w_fck
    dxₙcⱼ = Σ_f Σₖ doutₙf(j−k) w_fck = Σ_f Σₖ′ doutₙf(j−K+1+k′) w_fc(K−1−k′)
    i.e. dout padded by K − 1 on each side, correlated with w flipped and with its
    input and output channels exchanged.
    Source: CS231n, assignment 2, ``conv_backward_naive``.
    """
    K = w.shape[-1]
    w_flipped = jnp.flip(w, axis=-1).transpose(1, 0, 2)  # (C, F, K)
    return lax.conv_general_dilated(dout, w_flipped, (1,), [(K - 1, K - 1)])


@derivation(
    of=conv1d_loss,
    wrt="x",
    inputs=_CONV1D_INPUTS,
    source=f"{_CS231N}, assignment 2, conv_backward_naive",
    expect="fail",
    why="correlates with the kernel unflipped",
)
def conv1d_backward_input_unflipped_kernel(
    x: jax.Array, w: jax.Array, dout: jax.Array
) -> jax.Array:
    """dx = dout ⋆ w (padded by K − 1), the kernel not flipped.

    Why wrong: the forward pass correlates; its adjoint is a true convolution, so
    the kernel must be flipped along its spatial axis. Right: ``conv1d_backward_input``.
    Source: CS231n, assignment 2 (the correct form).
    """
    K = w.shape[-1]
    return lax.conv_general_dilated(dout, w.transpose(1, 0, 2), (1,), [(K - 1, K - 1)])


@derivation(
    of=conv1d_loss,
    wrt="w",
    inputs=_CONV1D_INPUTS,
    source=f"{_CS231N}, assignment 2, conv_backward_naive",
)
def conv1d_backward_weights(x: jax.Array, w: jax.Array, dout: jax.Array) -> jax.Array:
    """dw_fck = Σₙ Σᵢ doutₙfᵢ xₙc(i+k): x correlated with dout, batch as channels.

    Source: CS231n, assignment 2, ``conv_backward_naive``.
    """
    # lhs (C, N, W) and rhs (F, N, W_out): the batch axis is the contracted one.
    dw = lax.conv_general_dilated(
        x.transpose(1, 0, 2), dout.transpose(1, 0, 2), (1,), "VALID"
    )  # (C, F, K)
    return dw.transpose(1, 0, 2)


def conv2d_loss(x: jax.Array, w: jax.Array, dout: jax.Array) -> jax.Array:
    """Σ dout ⊙ (x ⋆ w), a 2-D cross-correlation."""
    out = lax.conv_general_dilated(x, w, window_strides=(1, 1), padding="VALID")
    return jnp.sum(dout * out)


# x (N, C, H, W) = (1, 2, 4, 4), w (F, C, 3, 3) = (2, 2, 3, 3), out (1, 2, 2, 2).
_CONV2D_INPUTS = {
    "x": domain.real((1, 2, 4, 4)),
    "w": domain.real((2, 2, 3, 3)),
    "dout": domain.real((1, 2, 2, 2)),
}


@derivation(
    of=conv2d_loss,
    wrt="x",
    inputs=_CONV2D_INPUTS,
    source=f"{_CS231N}, assignment 2, conv_backward_naive",
)
def conv2d_backward_input(x: jax.Array, w: jax.Array, dout: jax.Array) -> jax.Array:
    """dx = dout ∗ w: dout padded by (kh − 1, kw − 1), correlated with w flipped in
    both spatial axes, input and output channels exchanged.

    Source: CS231n, assignment 2, ``conv_backward_naive``.
    """
    kh, kw = w.shape[2:]
    w_flipped = jnp.flip(w, axis=(2, 3)).transpose(1, 0, 2, 3)
    padding = [(kh - 1, kh - 1), (kw - 1, kw - 1)]
    return lax.conv_general_dilated(dout, w_flipped, (1, 1), padding)


@derivation(
    of=conv2d_loss,
    wrt="w",
    inputs=_CONV2D_INPUTS,
    source=f"{_CS231N}, assignment 2, conv_backward_naive",
)
def conv2d_backward_weights(x: jax.Array, w: jax.Array, dout: jax.Array) -> jax.Array:
    """dw_fcab = Σₙ Σᵢⱼ doutₙfᵢⱼ xₙc(i+a)(j+b).

    Source: CS231n, assignment 2, ``conv_backward_naive``.
    """
    dw = lax.conv_general_dilated(
        x.transpose(1, 0, 2, 3), dout.transpose(1, 0, 2, 3), (1, 1), "VALID"
    )  # (C, F, kh, kw)
    return dw.transpose(1, 0, 2, 3)


def max_pool_loss(x: jax.Array, dout: jax.Array) -> jax.Array:
    """Σ dout ⊙ maxpool₂ₓ₂(x), stride 2, by ``lax.reduce_window`` from −∞."""
    pooled = lax.reduce_window(x, -jnp.inf, lax.max, (2, 2), (2, 2), "VALID")
    return jnp.sum(dout * pooled)


# x holds 16 distinct values (a max with a tie has no derivative).
_POOL_INPUTS = {
    "x": domain.custom(samplers.distinct, (4, 4)),
    "dout": domain.real((2, 2)),
}


def _upsample(d: jax.Array) -> jax.Array:
    """Each entry of a (2, 2) array repeated over its 2 × 2 window: (4, 4)."""
    return jnp.repeat(jnp.repeat(d, 2, axis=0), 2, axis=1)


@derivation(
    of=max_pool_loss,
    wrt="x",
    inputs=_POOL_INPUTS,
    source=f"{_CS231N}, assignment 2, max_pool_backward_naive",
)
def max_pool_backward(x: jax.Array, dout: jax.Array) -> jax.Array:
    """dx = dout routed to the argmax of each window, 0 elsewhere.

    Domain: the maximum of each window is unique.
    Source: CS231n, assignment 2, ``max_pool_backward_naive``.
    """
    windows = x.reshape(2, 2, 2, 2)  # (row block, row, column block, column)
    largest = jnp.max(windows, axis=(1, 3), keepdims=True)
    is_max = (windows == largest).reshape(4, 4)
    return jnp.where(is_max, _upsample(dout), 0.0)


@derivation(
    of=max_pool_loss,
    wrt="x",
    inputs=_POOL_INPUTS,
    source=f"{_CS231N}, assignment 2, max_pool_backward_naive",
    expect="fail",
    why="spreads dout evenly over the window (average pooling's backward pass)",
)
def max_pool_backward_spread_evenly(x: jax.Array, dout: jax.Array) -> jax.Array:
    """dx = dout / 4 on every entry of its window.

    Why wrong: only the window's maximum reaches the output; the others have
    derivative 0. Right: dout at the argmax (``max_pool_backward``).
    Source: CS231n, assignment 2 (the correct form).
    """
    return _upsample(dout) / 4.0


def average_pool_loss(x: jax.Array, dout: jax.Array) -> jax.Array:
    """Σ dout ⊙ avgpool₂ₓ₂(x), stride 2, by ``lax.reduce_window`` (a sum over 4)."""
    pooled = lax.reduce_window(x, 0.0, lax.add, (2, 2), (2, 2), "VALID") / 4.0
    return jnp.sum(dout * pooled)


@derivation(
    of=average_pool_loss,
    wrt="x",
    inputs={"x": domain.real((4, 4)), "dout": domain.real((2, 2))},
    source=f"{_CS231N}, assignment 2, pooling",
)
def average_pool_backward(x: jax.Array, dout: jax.Array) -> jax.Array:
    """dx = dout / 4 on every entry of its window.

    Source: CS231n, assignment 2 (average pooling).
    """
    return _upsample(dout) / 4.0


def embedding_loss(W: jax.Array, idx: jax.Array, dout: jax.Array) -> jax.Array:
    """Σ dout ⊙ W[idx]: a lookup of N rows of a (V, D) table."""
    return jnp.sum(dout * W[idx])


# V = 3 rows, N = 4 lookups: some index is always repeated.
_EMBEDDING_INPUTS = {
    "W": domain.real((3, 2)),
    "idx": domain.integers(0, 3, (4,)),
    "dout": domain.real((4, 2)),
}


@derivation(
    of=embedding_loss,
    wrt="W",
    inputs=_EMBEDDING_INPUTS,
    source=f"{_CS231N}, assignment 3, word_embedding_backward",
)
def embedding_backward(W: jax.Array, idx: jax.Array, dout: jax.Array) -> jax.Array:
    """dW[v] = Σ_{n: idxₙ = v} doutₙ: a scatter-add, repeated indices accumulating.

    Source: CS231n, assignment 3, ``word_embedding_backward`` (``np.add.at``).
    """
    return jnp.zeros_like(W).at[idx].add(dout)


@derivation(
    of=embedding_loss,
    wrt="W",
    inputs=_EMBEDDING_INPUTS,
    source=f"{_CS231N}, assignment 3, word_embedding_backward",
    expect="fail",
    why="a scatter that overwrites (dW[idx] = dout) loses repeated indices' sums",
)
def embedding_backward_overwrites_repeats(
    W: jax.Array, idx: jax.Array, dout: jax.Array
) -> jax.Array:
    """dW[idx] = dout.

    Why wrong: a row looked up twice gets both upstream gradients; assignment keeps
    only one of them (the NumPy bug ``dW[idx] += dout``, which does not accumulate
    either). Right: ``np.add.at`` / ``.at[idx].add``.
    Source: CS231n, assignment 3 (the correct form).
    """
    return jnp.zeros_like(W).at[idx].set(dout)


def two_layer_net_loss(
    W1: jax.Array,
    b1: jax.Array,
    W2: jax.Array,
    b2: jax.Array,
    X: jax.Array,
    y: jax.Array,
) -> jax.Array:
    """Softmax loss of s = relu(X W1 + b1) W2 + b2, integer labels."""
    h = jax.nn.relu(X @ W1 + b1[None, :])
    return softmax_loss(h @ W2 + b2[None, :], y)


# N = 3 examples, D = 2 features, H = 4 hidden units, C = 3 classes.
_MLP_INPUTS = {
    "W1": domain.real((2, 4)),
    "b1": domain.real((4,)),
    "W2": domain.real((4, _C)),
    "b2": domain.real((_C,)),
    "X": domain.real((3, 2)),
    "y": domain.integers(0, _C, (3,)),
}


def _mlp_hidden_grad(W1, b1, W2, b2, X, y, relu_mask: bool) -> jax.Array:
    N = X.shape[0]
    pre = X @ W1 + b1[None, :]
    h = jax.nn.relu(pre)
    P = jax.nn.softmax(h @ W2 + b2[None, :], axis=1)
    dscores = P.at[jnp.arange(N), y].add(-1) / N
    dh = dscores @ W2.T
    dpre = jnp.where(pre > 0, dh, 0.0) if relu_mask else dh
    return X.T @ dpre


@derivation(
    of=two_layer_net_loss,
    wrt="W1",
    inputs=_MLP_INPUTS,
    source=f"{_CS231N}, assignment 1, neural_net.py (TwoLayerNet.loss)",
)
def two_layer_net_grad_w1(W1, b1, W2, b2, X, y) -> jax.Array:
    """dW1 = Xᵀ [(dscores W2ᵀ) ⊙ [XW1 + b1 > 0]], dscores = (P − onehot(y))/N.

    Backpropagation: softmax loss → W2 (transpose) → ReLU mask → W1 (Xᵀ).
    Domain: no hidden pre-activation exactly 0.
    Source: CS231n, assignment 1, ``TwoLayerNet.loss``.
    """
    return _mlp_hidden_grad(W1, b1, W2, b2, X, y, relu_mask=True)


@derivation(
    of=two_layer_net_loss,
    wrt="W1",
    inputs=_MLP_INPUTS,
    source=f"{_CS231N}, assignment 1, neural_net.py (TwoLayerNet.loss)",
    expect="fail",
    why="backpropagates through the ReLU without its mask",
)
def two_layer_net_grad_w1_missing_relu_mask(W1, b1, W2, b2, X, y) -> jax.Array:
    """dW1 = Xᵀ (dscores W2ᵀ).

    Why wrong: units with negative pre-activation are off; their gradient is 0.
    Right: multiply by [XW1 + b1 > 0] before Xᵀ.
    Source: CS231n, assignment 1 (the correct form).
    """
    return _mlp_hidden_grad(W1, b1, W2, b2, X, y, relu_mask=False)


def top_k_loss(x: jax.Array, c: jax.Array) -> jax.Array:
    """Σⱼ cⱼ · (j-th largest entry of x), j < k = 2 (``lax.top_k``)."""
    values, _ = lax.top_k(x, 2)
    return values @ c


# Distinct entries: top-k of a vector with ties has no derivative.
_TOP_K_INPUTS = {"x": domain.custom(samplers.distinct, ("n",)), "c": domain.real((2,))}


@derivation(
    of=top_k_loss,
    wrt="x",
    inputs=_TOP_K_INPUTS,
    dims={"n": (4, 5)},
    source="jax.lax.top_k; sorting as a permutation (a selection is linear)",
)
def top_k_loss_grad(x: jax.Array, c: jax.Array) -> jax.Array:
    """∂/∂x = cⱼ at the index of the j-th largest entry, 0 elsewhere.

    top-k is x read at k indices; with distinct entries the indices are locally
    constant, so the derivative scatters c back to them.
    Domain: distinct entries.
    """
    _, idx = lax.top_k(x, 2)
    return jnp.zeros_like(x).at[idx].set(c)


@derivation(
    of=top_k_loss,
    wrt="x",
    inputs=_TOP_K_INPUTS,
    dims={"n": (4, 5)},
    source="jax.lax.top_k",
    expect="fail",
    why="writes c to the first k positions, not back to the indices top_k chose",
)
def top_k_loss_grad_not_scattered_back(x: jax.Array, c: jax.Array) -> jax.Array:
    """∂/∂x = (c₀, c₁, 0, …).

    Why wrong: the gradient of the sorted values is c, but it belongs to the
    entries top_k picked; it must be scattered back through the indices.
    """
    return jnp.zeros_like(x).at[:2].set(c)
