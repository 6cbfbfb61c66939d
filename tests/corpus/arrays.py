"""Array programs as users write them: FFTs, einsum, strided and dilated
convolutions, dynamic slices, sorts, prefix scans, ``jax.checkpoint``, ``jax.vmap``
and ``jax.scipy.special``.

Each family has a right closed form and a wrong one (``expect="fail"``, with
``why``). The closed forms use the same idioms as the functions they differentiate
(complex intermediates, ``lax.conv_transpose``, ``lax.associative_scan``, the
double-``where`` that keeps a gradient finite), so each engine evaluates them.

Not in ``tests.corpus.MODULES``: run it from the command line
(``python -m checks tests/corpus/arrays.py --dtype float64,float32``). Its FFT
entries cannot run in bfloat16 or float16 (JAX's FFT has neither), and the
checks compiled by XLA (FFT, ``cumlogsumexp``, ``lgamma``) cost about 100 s of
CPU per run of the corpus test, over its budget.

References: Oppenheim & Schafer, *Discrete-Time Signal Processing* (1989), §8.6
(Parseval, circular convolution); Dumoulin & Visin, "A guide to convolution
arithmetic for deep learning" (2016), §4 (transposed convolution); Blelloch,
"Prefix sums and their applications" (1990), §1.4 (linear recurrences);
Hendrycks & Gimpel (2016) (GELU, tanh form); Abramowitz & Stegun 6.3 (digamma);
JAX docs, "FAQ: gradients contain NaN where using where".
"""

import math

import jax
import jax.numpy as jnp
from jax import lax
from jax.scipy import special

from checks import derivation, domain
from tests.corpus import samplers

_N = {"n": (4, 5)}
_VEC = {"x": domain.real(("n",))}


# --- FFT ---------------------------------------------------------------------


def spectral_energy(x: jax.Array) -> jax.Array:
    """E = Σₖ |X̂ₖ|², X̂ = DFT(x) (``jnp.fft.fft``: complex intermediates)."""
    return jnp.sum(jnp.abs(jnp.fft.fft(x)) ** 2)


_PARSEVAL = "Oppenheim & Schafer (1989), §8.6, Parseval"


@derivation(of=spectral_energy, wrt="x", inputs=_VEC, dims=_N, source=_PARSEVAL)
def spectral_energy_grad(x: jax.Array) -> jax.Array:
    """∇E = 2n x, through the spectrum: 2 Re IDFT(n X̂).

    Parseval: Σₖ |X̂ₖ|² = n Σᵢ xᵢ², so ∂E/∂xᵢ = 2n xᵢ. Written as the
    backward pass of ``fft`` is: ∂E/∂X̂ = 2X̂, pulled back by the adjoint
    DFT (n · IDFT), real part.
    """
    n = x.shape[0]
    return 2.0 * jnp.real(jnp.fft.ifft(n * jnp.fft.fft(x)))


@derivation(
    of=spectral_energy,
    wrt="x",
    inputs=_VEC,
    dims=_N,
    source=_PARSEVAL,
    expect="fail",
    why="takes the DFT as unitary: drops the factor n of Parseval's identity",
)
def spectral_energy_grad_unitary(x: jax.Array) -> jax.Array:
    """∇E = 2 Re IDFT(X̂) = 2x.

    Why wrong: numpy's DFT is not normalized, so Σ|X̂|² = n Σx²; the adjoint of
    the DFT is n · IDFT, not IDFT. Right: 2n x.
    """
    return 2.0 * jnp.real(jnp.fft.ifft(jnp.fft.fft(x)))


def circular_conv_loss(x: jax.Array, k: jax.Array, dout: jax.Array) -> jax.Array:
    """L = Σ dout ⊙ (x ⊛ k), the circular convolution by ``rfft``/``irfft``."""
    n = x.shape[0]
    y = jnp.fft.irfft(jnp.fft.rfft(x) * jnp.fft.rfft(k), n)
    return jnp.sum(dout * y)


_CONV_INPUTS = {
    "x": domain.real(("n",)),
    "k": domain.real(("n",)),
    "dout": domain.real(("n",)),
}


@derivation(
    of=circular_conv_loss,
    wrt="x",
    inputs=_CONV_INPUTS,
    dims=_N,
    source="Oppenheim & Schafer (1989), §8.6.5",
)
def circular_conv_grad_x(x, k, dout) -> jax.Array:
    """∂L/∂x = dout ⋆ k, the circular cross-correlation: IDFT(D̂ · conj(K̂)).

    yⱼ = Σᵢ xᵢ k₍ⱼ₋ᵢ₎ mod n, so ∂L/∂xᵢ = Σⱼ doutⱼ k₍ⱼ₋ᵢ₎ mod n; correlation is
    the product with the conjugate spectrum (k real).
    """
    n = x.shape[0]
    return jnp.fft.irfft(jnp.fft.rfft(dout) * jnp.conj(jnp.fft.rfft(k)), n)


@derivation(
    of=circular_conv_loss,
    wrt="x",
    inputs=_CONV_INPUTS,
    dims=_N,
    source="Oppenheim & Schafer (1989), §8.6.5",
    expect="fail",
    why="convolves with k instead of correlating (k not flipped)",
)
def circular_conv_grad_x_not_flipped(x, k, dout) -> jax.Array:
    """∂L/∂x = dout ⊛ k = IDFT(D̂ · K̂).

    Why wrong: the adjoint of convolving with k is correlating with k (the
    conjugate spectrum), not convolving again. Right: IDFT(D̂ · conj K̂).
    """
    n = x.shape[0]
    return jnp.fft.irfft(jnp.fft.rfft(dout) * jnp.fft.rfft(k), n)


# --- einsum ------------------------------------------------------------------


def trace_of_product(A: jax.Array, B: jax.Array, C: jax.Array) -> jax.Array:
    """tr(ABC) by one three-operand ``jnp.einsum``."""
    return jnp.einsum("ij,jk,ki->", A, B, C)


_TRACE_INPUTS = {
    "A": domain.real(("n", "n")),
    "B": domain.real(("n", "n")),
    "C": domain.real(("n", "n")),
}
_SQ = {"n": (2, 3)}
_COOKBOOK = "Petersen & Pedersen, The Matrix Cookbook, eq. (100)"


@derivation(
    of=trace_of_product, wrt="B", inputs=_TRACE_INPUTS, dims=_SQ, source=_COOKBOOK
)
def trace_of_product_grad_b(A, B, C) -> jax.Array:
    """∂ tr(ABC)/∂B = Aᵀ Cᵀ = (CA)ᵀ: Σᵢ Aᵢⱼ Cₖᵢ at (j, k)."""
    return jnp.einsum("ij,ki->jk", A, C)


@derivation(
    of=trace_of_product,
    wrt="B",
    inputs=_TRACE_INPUTS,
    dims=_SQ,
    source=_COOKBOOK,
    expect="fail",
    why="returns CA, the transpose of the gradient",
)
def trace_of_product_grad_b_transposed(A, B, C) -> jax.Array:
    """∂ tr(ABC)/∂B = CA.

    Why wrong: ∂ tr(BM)/∂B = Mᵀ with M = CA; the transpose is lost. Right: AᵀCᵀ.
    """
    return jnp.einsum("ij,ki->kj", A, C)


# --- strided, dilated convolution ----------------------------------------------

_STRIDE, _DILATION, _K = 2, 2, 2
_DN = ("NCH", "OIH", "NCH")


def _conv(x: jax.Array, w: jax.Array) -> jax.Array:
    return lax.conv_general_dilated(
        x,
        w,
        window_strides=(_STRIDE,),
        padding="VALID",
        rhs_dilation=(_DILATION,),
        dimension_numbers=_DN,
    )


def strided_conv_loss(x: jax.Array, w: jax.Array, dout: jax.Array) -> jax.Array:
    """L = Σ dout ⊙ conv(x, w): 1-D, stride 2, kernel dilation 2, no padding."""
    return jnp.sum(dout * _conv(x, w))


# length L = 7, kernel 2 dilated to 3 → (7 − 3)//2 + 1 = 3 outputs
_SCONV_INPUTS = {
    "x": domain.real((1, 1, 7)),
    "w": domain.real((1, 1, _K)),
    "dout": domain.real((1, 1, 3)),
}
_DUMOULIN = "Dumoulin & Visin (2016), §4"


@derivation(of=strided_conv_loss, wrt="x", inputs=_SCONV_INPUTS, source=_DUMOULIN)
def strided_conv_grad_x(x, w, dout) -> jax.Array:
    """∂L/∂x: the transposed convolution of dout with w.

    yₒ = Σₖ x₍ₛₒ₊dₖ₎ wₖ, so ∂L/∂xᵢ = Σ_{sₒ+dₖ=i} doutₒ wₖ: dout dilated by the
    stride s, correlated with the flipped, d-dilated kernel, padded by
    d(K − 1) on the left and up to the input length on the right.
    """
    span = _DILATION * (_K - 1)
    outs = dout.shape[-1]
    right = x.shape[-1] - (outs - 1) * _STRIDE - 1
    return lax.conv_general_dilated(
        dout,
        jnp.flip(w, axis=-1),
        window_strides=(1,),
        padding=((span, right),),
        lhs_dilation=(_STRIDE,),
        rhs_dilation=(_DILATION,),
        dimension_numbers=_DN,
    )


@derivation(
    of=strided_conv_loss,
    wrt="x",
    inputs=_SCONV_INPUTS,
    source=_DUMOULIN,
    expect="fail",
    why="correlates with w itself instead of the flipped kernel",
)
def strided_conv_grad_x_unflipped(x, w, dout) -> jax.Array:
    """∂L/∂x as above but with w not flipped.

    Why wrong: the transpose of a correlation is a convolution: the kernel must
    be flipped. Right: correlate the dilated dout with flip(w).
    """
    span = _DILATION * (_K - 1)
    outs = dout.shape[-1]
    right = x.shape[-1] - (outs - 1) * _STRIDE - 1
    return lax.conv_general_dilated(
        dout,
        w,
        window_strides=(1,),
        padding=((span, right),),
        lhs_dilation=(_STRIDE,),
        rhs_dilation=(_DILATION,),
        dimension_numbers=_DN,
    )


@derivation(of=strided_conv_loss, wrt="w", inputs=_SCONV_INPUTS, source=_DUMOULIN)
def strided_conv_grad_w(x, w, dout) -> jax.Array:
    """∂L/∂wₖ = Σₒ doutₒ x₍ₛₒ₊dₖ₎: x correlated with dout, by ``lax.conv_transpose``.

    As a convolution of x (window stride d) with dout dilated by s; written
    with ``conv_general_dilated`` taking dout as the kernel (N and C swapped).
    """
    return lax.conv_general_dilated(
        jnp.swapaxes(x, 0, 1),
        jnp.swapaxes(dout, 0, 1),
        window_strides=(_DILATION,),
        padding="VALID",
        rhs_dilation=(_STRIDE,),
        dimension_numbers=_DN,
    ).swapaxes(0, 1)


def transposed_conv_loss(x: jax.Array, w: jax.Array, dout: jax.Array) -> jax.Array:
    """L = Σ dout ⊙ conv_transpose(x, w), stride 2 (``lax.conv_transpose``)."""
    y = lax.conv_transpose(
        x, w, strides=(2,), padding="VALID", dimension_numbers=("NWC", "WIO", "NWC")
    )
    return jnp.sum(dout * y)


# 3 inputs, kernel 3, stride 2 → (3 − 1)·2 + 3 = 7 outputs
_TCONV_INPUTS = {
    "x": domain.real((1, 3, 2)),
    "w": domain.real((3, 2, 1)),
    "dout": domain.real((1, 7, 1)),
}


@derivation(of=transposed_conv_loss, wrt="x", inputs=_TCONV_INPUTS, source=_DUMOULIN)
def transposed_conv_grad_x(x, w, dout) -> jax.Array:
    """∂L/∂x: the strided convolution that ``conv_transpose`` is the transpose of.

    ``conv_transpose`` correlates w with x dilated by 2 and padded by K − 1, so
    y₂ᵢ₊K₋₁₋ₖ gets xᵢ wₖ; hence ∂L/∂xᵢ = Σₖ dout₂ᵢ₊ₖ w_{K−1−k}: a VALID
    correlation of dout with the flipped w, stride 2, the kernel's I and O swapped.
    """
    return lax.conv_general_dilated(
        dout,
        jnp.flip(jnp.swapaxes(w, 1, 2), axis=0),
        window_strides=(2,),
        padding="VALID",
        dimension_numbers=("NWC", "WIO", "NWC"),
    )


@derivation(
    of=transposed_conv_loss,
    wrt="x",
    inputs=_TCONV_INPUTS,
    source=_DUMOULIN,
    expect="fail",
    why="uses stride 1: reads dout at every position, not every second one",
)
def transposed_conv_grad_x_unit_stride(x, w, dout) -> jax.Array:
    """∂L/∂xᵢ = Σₖ doutᵢ₊ₖ wₖ.

    Why wrong: input i of a stride-2 transposed convolution lands at output 2i;
    the gradient reads dout with stride 2. Right: the same correlation, stride 2.
    """
    return lax.conv_general_dilated(
        dout[:, :5],
        jnp.flip(jnp.swapaxes(w, 1, 2), axis=0),
        window_strides=(1,),
        padding="VALID",
        dimension_numbers=("NWC", "WIO", "NWC"),
    )


# --- dynamic slices ---------------------------------------------------------------

_WINDOW = 3


def window_loss(x: jax.Array, i: jax.Array, dout: jax.Array) -> jax.Array:
    """L = Σ dout ⊙ x[i : i + 3] by ``lax.dynamic_slice`` (start clamped to n − 3)."""
    return jnp.sum(dout * lax.dynamic_slice(x, (i,), (_WINDOW,)))


_WINDOW_INPUTS = {
    "x": domain.real(("n",)),
    "i": domain.integers(0, 4),
    "dout": domain.real((_WINDOW,)),
}


@derivation(
    of=window_loss,
    wrt="x",
    inputs=_WINDOW_INPUTS,
    dims=_N,
    source="XLA semantics, DynamicSlice",
)
def window_grad_x(x, i, dout) -> jax.Array:
    """∂L/∂x = dout written into zeros at the same (clamped) start."""
    return lax.dynamic_update_slice(jnp.zeros_like(x), dout, (i,))


@derivation(
    of=window_loss,
    wrt="x",
    inputs=_WINDOW_INPUTS,
    dims=_N,
    source="XLA semantics, DynamicSlice",
    expect="fail",
    why="ignores that dynamic_slice clamps the start to n − 3",
)
def window_grad_x_unclamped(x, i, dout) -> jax.Array:
    """∂L/∂x = dout scattered at i, i+1, i+2, out-of-range positions dropped.

    Why wrong: for i > n − 3, ``dynamic_slice`` reads x[n−3 : n], not a window
    running off the end. Right: ``dynamic_update_slice`` at the same start.
    """
    return jnp.zeros_like(x).at[i + jnp.arange(_WINDOW)].add(dout, mode="drop")


# --- sorting ---------------------------------------------------------------------


def ranked_weights(n: int, dtype) -> jax.Array:
    """cᵣ = r + 1: the weight of the r-th smallest value."""
    return jnp.arange(1, n + 1, dtype=dtype)


def weighted_order_statistics(x: jax.Array) -> jax.Array:
    """L = Σᵣ cᵣ x₍ᵣ₎ over the sorted values (an L-statistic, ``jnp.sort``)."""
    return jnp.sum(ranked_weights(x.shape[0], x.dtype) * jnp.sort(x))


_DISTINCT = {"x": domain.real(("n",))}
_SORT = "David & Nagaraja, Order Statistics (2003), §6.3 (L-statistics)"


@derivation(
    of=weighted_order_statistics, wrt="x", inputs=_DISTINCT, dims=_N, source=_SORT
)
def weighted_order_statistics_grad(x: jax.Array) -> jax.Array:
    """∂L/∂xᵢ = c at xᵢ's rank: c gathered through the inverse permutation.

    With p = argsort(x), x₍ᵣ₎ = x_{pᵣ}; so ∂L/∂x_{pᵣ} = cᵣ, i.e. cᵣ written at
    pᵣ (``take_along_axis`` by argsort(p), the ranks).
    """
    p = jnp.argsort(x)
    rank = jnp.argsort(p)
    return jnp.take_along_axis(ranked_weights(x.shape[0], x.dtype), rank, axis=0)


@derivation(
    of=weighted_order_statistics,
    wrt="x",
    inputs=_DISTINCT,
    dims=_N,
    source=_SORT,
    expect="fail",
    why="gathers through the sorting permutation instead of its inverse",
)
def weighted_order_statistics_grad_not_inverted(x: jax.Array) -> jax.Array:
    """∂L/∂xᵢ = c_{pᵢ}, p = argsort(x).

    Why wrong: p maps ranks to positions; position i needs its rank, p⁻¹(i).
    Right: c[argsort(p)].
    """
    p = jnp.argsort(x)
    return jnp.take_along_axis(ranked_weights(x.shape[0], x.dtype), p, axis=0)


# --- prefix scans ---------------------------------------------------------------


def running_max_loss(x: jax.Array, w: jax.Array) -> jax.Array:
    """L = Σᵢ wᵢ maxⱼ≤ᵢ xⱼ (``lax.cummax``)."""
    return jnp.sum(w * lax.cummax(x, axis=0))


_PAIR = {"x": domain.real(("n",)), "w": domain.real(("n",))}
# Distinct entries: a running max with a tie has no derivative.
_DISTINCT_PAIR = {
    "x": domain.custom(samplers.distinct, ("n",)),
    "w": domain.real(("n",)),
}


@derivation(
    of=running_max_loss,
    wrt="x",
    inputs=_DISTINCT_PAIR,
    dims=_N,
    source="subgradient of max",
)
def running_max_grad(x, w) -> jax.Array:
    """∂L/∂xⱼ = Σ wᵢ over the i ≥ j whose running max is attained at xⱼ.

    Mᵢ = maxⱼ≤ᵢ xⱼ; ∂Mᵢ/∂xⱼ = [j = first argmax of x₀..xᵢ].
    Domain: distinct entries.
    """
    n = x.shape[0]
    m = lax.cummax(x, axis=0)
    idx = jnp.arange(n)
    upto = idx[None, :] <= idx[:, None]
    hits = (x[None, :] == m[:, None]) & upto
    first = jnp.argmax(hits, axis=1)
    return jnp.zeros_like(x).at[first].add(w)


@derivation(
    of=running_max_loss,
    wrt="x",
    inputs=_DISTINCT_PAIR,
    dims=_N,
    source="subgradient of max",
    expect="fail",
    why="credits wᵢ to xᵢ only where xᵢ is a new maximum, not to the argmax",
)
def running_max_grad_diagonal(x, w) -> jax.Array:
    """∂L/∂xᵢ = wᵢ [xᵢ = Mᵢ].

    Why wrong: Mᵢ keeps depending on an earlier maximum xⱼ for all later i;
    those wᵢ belong to xⱼ. Right: Σ wᵢ over the i whose argmax is j.
    """
    return jnp.where(x == lax.cummax(x, axis=0), w, 0.0)


def running_logsumexp_loss(x: jax.Array, w: jax.Array) -> jax.Array:
    """L = Σᵢ wᵢ log Σⱼ≤ᵢ e^{xⱼ} (``lax.cumlogsumexp``)."""
    return jnp.sum(w * lax.cumlogsumexp(x, axis=0))


@derivation(
    of=running_logsumexp_loss,
    wrt="x",
    inputs=_PAIR,
    dims=_N,
    source="∇ log-sum-exp = softmax",
)
def running_logsumexp_grad(x, w) -> jax.Array:
    """∂L/∂xⱼ = Σᵢ≥ⱼ wᵢ e^{xⱼ − cᵢ}, cᵢ = log Σⱼ≤ᵢ e^{xⱼ}.

    Each prefix's gradient is a softmax over the prefix.
    """
    n = x.shape[0]
    c = lax.cumlogsumexp(x, axis=0)
    idx = jnp.arange(n)
    upto = idx[None, :] <= idx[:, None]
    P = jnp.where(upto, jnp.exp(x[None, :] - c[:, None]), 0.0)
    return w @ P


@derivation(
    of=running_logsumexp_loss,
    wrt="x",
    inputs=_PAIR,
    dims=_N,
    source="∇ log-sum-exp = softmax",
    expect="fail",
    why="normalizes every prefix by the total sum, not the prefix's own",
)
def running_logsumexp_grad_total_normalizer(x, w) -> jax.Array:
    """∂L/∂xⱼ = Σᵢ≥ⱼ wᵢ e^{xⱼ − c₋₁}, with the last prefix's c.

    Why wrong: prefix i's log-sum-exp differentiates to a softmax over x₀..xᵢ,
    normalized by e^{cᵢ}. Right: e^{xⱼ − cᵢ}.
    """
    n = x.shape[0]
    c = lax.cumlogsumexp(x, axis=0)
    idx = jnp.arange(n)
    upto = idx[None, :] <= idx[:, None]
    P = jnp.where(upto, jnp.exp(x[None, :] - c[-1]), 0.0)
    return w @ P


def _affine_compose(first, second):
    """(a₁, b₁) then (a₂, b₂): h ↦ a₂(a₁h + b₁) + b₂."""
    a1, b1 = first
    a2, b2 = second
    return a1 * a2, a2 * b1 + b2


def linear_recurrence_loss(a: jax.Array, b: jax.Array, w: jax.Array) -> jax.Array:
    """L = Σₜ wₜ hₜ, hₜ = aₜ hₜ₋₁ + bₜ, h₋₁ = 0, by ``lax.associative_scan``."""
    _, h = lax.associative_scan(_affine_compose, (a, b))
    return jnp.sum(w * h)


_REC_INPUTS = {
    "a": domain.real(("n",), scale=0.5),
    "b": domain.real(("n",)),
    "w": domain.real(("n",)),
}
_BLELLOCH = "Blelloch (1990), §1.4"


def _adjoint(a, w, shift: bool):
    """gₜ = wₜ + aₜ₊₁ gₜ₊₁ (a reverse linear recurrence, by associative_scan)."""
    coeff = jnp.concatenate([a[1:], jnp.zeros_like(a[:1])]) if shift else a
    _, g = lax.associative_scan(_affine_compose, (coeff, w), reverse=True)
    return g


@derivation(
    of=linear_recurrence_loss, wrt="a", inputs=_REC_INPUTS, dims=_N, source=_BLELLOCH
)
def linear_recurrence_grad_a(a, b, w) -> jax.Array:
    """∂L/∂aₜ = gₜ hₜ₋₁, gₜ = ∂L/∂hₜ = wₜ + aₜ₊₁ gₜ₊₁ (reverse scan).

    hₜ feeds hₜ₊₁ with coefficient aₜ₊₁; aₜ multiplies hₜ₋₁.
    """
    _, h = lax.associative_scan(_affine_compose, (a, b))
    previous = jnp.concatenate([jnp.zeros_like(h[:1]), h[:-1]])
    return _adjoint(a, w, shift=True) * previous


@derivation(
    of=linear_recurrence_loss,
    wrt="a",
    inputs=_REC_INPUTS,
    dims=_N,
    source=_BLELLOCH,
    expect="fail",
    why="the adjoint recurrence uses aₜ instead of aₜ₊₁",
)
def linear_recurrence_grad_a_unshifted(a, b, w) -> jax.Array:
    """gₜ = wₜ + aₜ gₜ₊₁.

    Why wrong: hₜ₊₁ = aₜ₊₁ hₜ + bₜ₊₁, so the adjoint carries aₜ₊₁ back to step t.
    Right: gₜ = wₜ + aₜ₊₁ gₜ₊₁.
    """
    _, h = lax.associative_scan(_affine_compose, (a, b))
    previous = jnp.concatenate([jnp.zeros_like(h[:1]), h[:-1]])
    return _adjoint(a, w, shift=False) * previous


# --- jax.checkpoint, jax.vmap -------------------------------------------------------


def remat_layer_energy(W: jax.Array, x: jax.Array) -> jax.Array:
    """L = ‖tanh(Wx)‖², the layer under ``jax.checkpoint`` (recomputed backward)."""
    layer = jax.checkpoint(lambda W: jnp.tanh(W @ x))
    return jnp.sum(layer(W) ** 2)


_LAYER_INPUTS = {"W": domain.real((3, "n")), "x": domain.real(("n",))}


@derivation(
    of=remat_layer_energy,
    wrt="W",
    inputs=_LAYER_INPUTS,
    dims={"n": (2, 3)},
    source="chain rule; JAX docs, jax.checkpoint",
)
def remat_layer_energy_grad(W, x) -> jax.Array:
    """∂L/∂W = (2t ⊙ (1 − t²)) xᵀ, t = tanh(Wx); t recomputed under checkpoint."""
    t = jax.checkpoint(lambda W: jnp.tanh(W @ x))(W)
    return jnp.outer(2.0 * t * (1.0 - t * t), x)


@derivation(
    of=remat_layer_energy,
    wrt="W",
    inputs=_LAYER_INPUTS,
    dims={"n": (2, 3)},
    source="chain rule; JAX docs, jax.checkpoint",
    expect="fail",
    why="drops the factor 2 of the square",
)
def remat_layer_energy_grad_half(W, x) -> jax.Array:
    """∂L/∂W = (t ⊙ (1 − t²)) xᵀ.

    Why wrong: d(t²) = 2t dt. Right: (2t ⊙ (1 − t²)) xᵀ.
    """
    t = jax.checkpoint(lambda W: jnp.tanh(W @ x))(W)
    return jnp.outer(t * (1.0 - t * t), x)


def least_squares(w: jax.Array, X: jax.Array, y: jax.Array) -> jax.Array:
    """L = ½ Σᵢ (xᵢ·w − yᵢ)²."""
    return 0.5 * jnp.sum((X @ w - y) ** 2)


_LS_INPUTS = {
    "w": domain.real(("n",)),
    "X": domain.real((4, "n")),
    "y": domain.real((4,)),
}


@derivation(
    of=least_squares,
    wrt="w",
    inputs=_LS_INPUTS,
    dims={"n": (2, 3)},
    source="per-example gradients, JAX docs, jax.vmap",
)
def least_squares_grad_per_example(w, X, y) -> jax.Array:
    """∇L = Σᵢ (xᵢ·w − yᵢ) xᵢ: per-example gradients by ``jax.vmap``, summed."""
    per_example = jax.vmap(lambda xi, yi: (xi @ w - yi) * xi)(X, y)
    return jnp.sum(per_example, axis=0)


@derivation(
    of=least_squares,
    wrt="w",
    inputs=_LS_INPUTS,
    dims={"n": (2, 3)},
    source="per-example gradients, JAX docs, jax.vmap",
    expect="fail",
    why="averages the per-example gradients of a summed loss",
)
def least_squares_grad_per_example_mean(w, X, y) -> jax.Array:
    """∇L = (1/m) Σᵢ (xᵢ·w − yᵢ) xᵢ.

    Why wrong: the loss is a sum over the m examples, not a mean. Right: Σᵢ.
    """
    per_example = jax.vmap(lambda xi, yi: (xi @ w - yi) * xi)(X, y)
    return jnp.mean(per_example, axis=0)


# --- activations and special functions ------------------------------------------------

_GELU = "Hendrycks & Gimpel (2016), GELU, tanh approximation"
_C0 = math.sqrt(2.0 / math.pi)
_C1 = 0.044715


def gelu_tanh(x: jax.Array) -> jax.Array:
    """½ x (1 + tanh(√(2/π)(x + 0.044715 x³))) (``jax.nn.gelu(approximate=True)``)."""
    return jax.nn.gelu(x, approximate=True)


@derivation(of=gelu_tanh, wrt="x", inputs={"x": domain.real()}, source=_GELU)
def gelu_tanh_grad(x: jax.Array) -> jax.Array:
    """½(1 + tanh u) + ½ x (1 − tanh² u) u′, u = √(2/π)(x + 0.044715x³),
    u′ = √(2/π)(1 + 3·0.044715 x²)."""
    t = jnp.tanh(_C0 * (x + _C1 * x**3))
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _C0 * (1.0 + 3.0 * _C1 * x * x)


@derivation(
    of=gelu_tanh,
    wrt="x",
    inputs={"x": domain.real()},
    source=_GELU,
    expect="fail",
    why="differentiates u as if it were √(2/π) x (the cubic term's 3·0.044715x² lost)",
)
def gelu_tanh_grad_linear_inner(x: jax.Array) -> jax.Array:
    """½(1 + tanh u) + ½ x (1 − tanh² u) √(2/π).

    Why wrong: u′ = √(2/π)(1 + 3·0.044715 x²). Right: keep the cubic term.
    """
    t = jnp.tanh(_C0 * (x + _C1 * x**3))
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _C0


def entropy(p: jax.Array) -> jax.Array:
    """H = Σ entr(pᵢ) = −Σ pᵢ log pᵢ (``jax.scipy.special.entr``), pᵢ > 0."""
    return jnp.sum(special.entr(p))


_POS = {"p": domain.positive(("n",))}


@derivation(
    of=entropy, wrt="p", inputs=_POS, dims=_N, source="d(−p log p) = −log p − 1"
)
def entropy_grad(p: jax.Array) -> jax.Array:
    """∂H/∂pᵢ = −log pᵢ − 1."""
    return -jnp.log(p) - 1.0


@derivation(
    of=entropy,
    wrt="p",
    inputs=_POS,
    dims=_N,
    source="d(−p log p) = −log p − 1",
    expect="fail",
    why="forgets the −1 from differentiating p in p log p",
)
def entropy_grad_missing_one(p: jax.Array) -> jax.Array:
    """∂H/∂pᵢ = −log pᵢ.

    Why wrong: the product rule gives −log p − p·(1/p). Right: −log p − 1.
    """
    return -jnp.log(p)


def cross_entropy_xlogy(p: jax.Array, q: jax.Array) -> jax.Array:
    """Σ xlogy(p, q) − xlog1py(p, q): Σ pᵢ (log qᵢ − log(1 + qᵢ))."""
    return jnp.sum(special.xlogy(p, q) - special.xlog1py(p, q))


_PQ = {"p": domain.real(("n",)), "q": domain.positive(("n",))}


@derivation(
    of=cross_entropy_xlogy, wrt="q", inputs=_PQ, dims=_N, source="d log q = dq/q"
)
def cross_entropy_xlogy_grad_q(p, q) -> jax.Array:
    """∂/∂qᵢ = pᵢ/qᵢ − pᵢ/(1 + qᵢ) = pᵢ / (qᵢ(1 + qᵢ))."""
    return p / (q * (1.0 + q))


@derivation(
    of=cross_entropy_xlogy,
    wrt="q",
    inputs=_PQ,
    dims=_N,
    source="d log q = dq/q",
    expect="fail",
    why="takes xlog1py(p, q) as p log q, so its derivative as p/q",
)
def cross_entropy_xlogy_grad_q_log1p_as_log(p, q) -> jax.Array:
    """∂/∂qᵢ = pᵢ/qᵢ − pᵢ/qᵢ = 0.

    Why wrong: xlog1py(p, q) = p log(1 + q), whose derivative is p/(1 + q).
    Right: p/q − p/(1 + q).
    """
    return p / q - p / q


def log_gamma_sum(x: jax.Array) -> jax.Array:
    """Σ log Γ(xᵢ), xᵢ > 0 (``jax.scipy.special.gammaln``)."""
    return jnp.sum(special.gammaln(x))


_GAMMA = "Abramowitz & Stegun 6.3.1: ψ = Γ′/Γ"


@derivation(
    of=log_gamma_sum,
    wrt="x",
    inputs={"x": domain.positive(("n",))},
    dims=_N,
    source=_GAMMA,
)
def log_gamma_sum_grad(x: jax.Array) -> jax.Array:
    """∂/∂xᵢ = ψ(xᵢ), the digamma function."""
    return special.digamma(x)


@derivation(
    of=log_gamma_sum,
    wrt="x",
    inputs={"x": domain.positive(("n",))},
    dims=_N,
    source=_GAMMA,
    expect="fail",
    why="uses ψ(x + 1) (the derivative of log x!) = ψ(x) + 1/x",
)
def log_gamma_sum_grad_shifted(x: jax.Array) -> jax.Array:
    """∂/∂xᵢ = ψ(xᵢ + 1).

    Why wrong: Γ(x + 1) = x!, Γ(x) = (x − 1)!; ψ(x + 1) = ψ(x) + 1/x. Right: ψ(x).
    """
    return special.digamma(x + 1.0)


def weighted_logsumexp(x: jax.Array, b: jax.Array) -> jax.Array:
    """log Σ bᵢ e^{xᵢ}, bᵢ > 0 (``jax.scipy.special.logsumexp(x, b=b)``)."""
    return special.logsumexp(x, b=b)


_LSE_B = {"x": domain.real(("n",)), "b": domain.positive(("n",))}


@derivation(
    of=weighted_logsumexp, wrt="x", inputs=_LSE_B, dims=_N, source="∇ log-sum-exp"
)
def weighted_logsumexp_grad(x, b) -> jax.Array:
    """∂/∂xᵢ = bᵢ e^{xᵢ} / Σⱼ bⱼ e^{xⱼ} = softmax(x + log b)."""
    return jax.nn.softmax(x + jnp.log(b))


@derivation(
    of=weighted_logsumexp,
    wrt="x",
    inputs=_LSE_B,
    dims=_N,
    source="∇ log-sum-exp",
    expect="fail",
    why="ignores the weights b",
)
def weighted_logsumexp_grad_unweighted(x, b) -> jax.Array:
    """∂/∂xᵢ = softmax(x).

    Why wrong: each term is weighted by bᵢ. Right: softmax(x + log b).
    """
    return jax.nn.softmax(x)


def pairwise_softplus(x: jax.Array, y: jax.Array) -> jax.Array:
    """log(eˣ + eʸ) (``jnp.logaddexp``)."""
    return jnp.logaddexp(x, y)


_XY = {"x": domain.real(), "y": domain.real()}


@derivation(of=pairwise_softplus, wrt="x", inputs=_XY, source="∂ log(eˣ + eʸ)/∂x")
def pairwise_softplus_grad_x(x, y) -> jax.Array:
    """∂/∂x = eˣ/(eˣ + eʸ) = σ(x − y)."""
    return jax.nn.sigmoid(x - y)


@derivation(
    of=pairwise_softplus,
    wrt="x",
    inputs=_XY,
    source="∂ log(eˣ + eʸ)/∂x",
    expect="fail",
    why="the sigmoid's argument is reversed",
)
def pairwise_softplus_grad_x_reversed(x, y) -> jax.Array:
    """∂/∂x = σ(y − x) (that is ∂/∂y). Right: σ(x − y)."""
    return jax.nn.sigmoid(y - x)


def clipped_loss(x: jax.Array, w: jax.Array) -> jax.Array:
    """L = Σ wᵢ clip(xᵢ, −2, 2) (``jnp.clip``)."""
    return jnp.sum(w * jnp.clip(x, -2.0, 2.0))


@derivation(
    of=clipped_loss, wrt="x", inputs=_PAIR, dims=_N, source="d clip = [lo < x < hi]"
)
def clipped_loss_grad(x, w) -> jax.Array:
    """∂L/∂xᵢ = wᵢ [−2 < xᵢ < 2]."""
    return jnp.where(jnp.abs(x) < 2.0, w, 0.0)


@derivation(
    of=clipped_loss,
    wrt="x",
    inputs=_PAIR,
    dims=_N,
    source="d clip = [lo < x < hi]",
    expect="fail",
    why="passes the gradient through the clipped entries (straight-through)",
)
def clipped_loss_grad_straight_through(x, w) -> jax.Array:
    """∂L/∂xᵢ = wᵢ.

    Why wrong: clip is constant outside [−2, 2]. Right: wᵢ [|xᵢ| < 2].
    """
    return w


def safe_xlogx(x: jax.Array) -> jax.Array:
    """Σ xᵢ log xᵢ over xᵢ > 0 (0 elsewhere), with the double ``where``."""
    pos = x > 0
    safe = jnp.where(pos, x, 1.0)
    return jnp.sum(jnp.where(pos, safe * jnp.log(safe), 0.0))


_NAN_SAFE = "JAX FAQ, gradients contain NaN where using where"


@derivation(of=safe_xlogx, wrt="x", inputs=_VEC, dims=_N, source=_NAN_SAFE)
def safe_xlogx_grad(x: jax.Array) -> jax.Array:
    """∂/∂xᵢ = log xᵢ + 1 for xᵢ > 0, else 0 (the double ``where`` again)."""
    pos = x > 0
    return jnp.where(pos, jnp.log(jnp.where(pos, x, 1.0)) + 1.0, 0.0)


@derivation(
    of=safe_xlogx,
    wrt="x",
    inputs=_VEC,
    dims=_N,
    source=_NAN_SAFE,
    expect="fail",
    why="drops the +1 of the product rule",
)
def safe_xlogx_grad_missing_one(x: jax.Array) -> jax.Array:
    """∂/∂xᵢ = log xᵢ for xᵢ > 0. Right: log xᵢ + 1."""
    pos = x > 0
    return jnp.where(pos, jnp.log(jnp.where(pos, x, 1.0)), 0.0)
